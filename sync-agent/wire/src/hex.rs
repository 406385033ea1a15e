//! Lower-case hexadecimal, the encoding of every key, hash, nonce and signature on the wire.

/// Encodes bytes as lower-case hex.
pub fn encode(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 0x0f) as usize] as char);
    }
    s
}

fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Decodes hex (either case) into exactly `N` bytes; `None` on a wrong length or a non-hex
/// character.
pub fn decode_array<const N: usize>(s: &str) -> Option<[u8; N]> {
    let b = s.as_bytes();
    if b.len() != N * 2 {
        return None;
    }
    let mut out = [0u8; N];
    for (i, pair) in b.chunks_exact(2).enumerate() {
        out[i] = nibble(pair[0])? << 4 | nibble(pair[1])?;
    }
    Some(out)
}

/// True when `s` is exactly `len` lower-case hex digits.
pub fn is_lower_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_rejects() {
        assert_eq!(encode(&[0x00, 0x7f, 0xff, 0x10]), "007fff10");
        assert_eq!(decode_array::<4>("007fff10"), Some([0x00, 0x7f, 0xff, 0x10]));
        assert_eq!(decode_array::<4>("007FFF10"), Some([0x00, 0x7f, 0xff, 0x10]));
        assert_eq!(decode_array::<4>("007fff1"), None);
        assert_eq!(decode_array::<4>("007fff1g"), None);
        assert_eq!(decode_array::<2>("é0"), None, "multi-byte characters are not hex");
        assert!(is_lower_hex("00af", 4));
        assert!(!is_lower_hex("00AF", 4));
        assert!(!is_lower_hex("00a", 4));
    }
}
