//! Request signing (`KIOSK-SIG-V1`) and document signing, Ed25519 over SHA-256 body hashes.
//! Pure functions: time, nonces and keys are passed in.
//!
//! A signed request carries five headers:
//!
//! | header | value |
//! |---|---|
//! | `x-kiosk-terminal` | the terminal id the platform gave at enrolment |
//! | `x-kiosk-timestamp` | Unix seconds, decimal, the terminal's clock |
//! | `x-kiosk-nonce` | 32 lower-case hex digits, fresh for every request |
//! | `x-kiosk-body-sha256` | SHA-256 of the body bytes (empty body included), lower-case hex |
//! | `x-kiosk-signature` | Ed25519 signature of the signing string, 128 lower-case hex digits |
//!
//! The signing string is the UTF-8 text
//! `"KIOSK-SIG-V1\n{METHOD}\n{path_and_query}\n{terminal}\n{timestamp}\n{nonce}\n{body_sha256}"`
//! with the method upper-case and the path and query exactly as sent (`/api/v1/config`).
//!
//! [`verify_request`] checks, in this order: the body hash, the signature, the timestamp's
//! distance from `now` (so a stale timestamp is reported only on an authentic request). Replay
//! detection (remembering nonces for twice the skew window) needs storage and is the verifier's
//! job.
//!
//! Catalogues are signed with the platform's key over the document's exact bytes
//! ([`sign_document`], [`verify_document`]); a key is named by [`key_id`].

use ed25519_dalek::{Signature, Signer};
use sha2::{Digest, Sha256};

pub use ed25519_dalek::{SigningKey, VerifyingKey};

use crate::hex;

pub const HEADER_TERMINAL: &str = "x-kiosk-terminal";
pub const HEADER_TIMESTAMP: &str = "x-kiosk-timestamp";
pub const HEADER_NONCE: &str = "x-kiosk-nonce";
pub const HEADER_BODY_SHA256: &str = "x-kiosk-body-sha256";
pub const HEADER_SIGNATURE: &str = "x-kiosk-signature";
/// All five, in signing-string order.
pub const HEADERS: [&str; 5] = [HEADER_TERMINAL, HEADER_TIMESTAMP, HEADER_NONCE, HEADER_BODY_SHA256, HEADER_SIGNATURE];

/// The first line of the signing string.
pub const SCHEME: &str = "KIOSK-SIG-V1";
/// How far a request's timestamp may be from the verifier's clock, by default.
pub const DEFAULT_MAX_SKEW_S: i64 = 300;
/// Nonce length in hex digits (16 random bytes).
pub const NONCE_HEX_LEN: usize = 32;

/// Why a request or document does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("signature does not verify")]
    BadSignature,
    #[error("timestamp is {skew} s away from the verifier's clock")]
    StaleTimestamp {
        /// Verifier's clock minus the request's timestamp: positive when the request is late.
        skew: i64,
    },
    #[error("body does not match its sha-256 header")]
    BodyMismatch,
    #[error("missing header {0}")]
    MissingHeader(&'static str),
    #[error("malformed header {0}")]
    Malformed(&'static str),
}

/// A public or private key that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("key is not 64 hex digits")]
    Malformed,
    #[error("key is not a usable ed25519 public key")]
    Invalid,
}

/// The five signature headers of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeaders {
    pub terminal: String,
    pub timestamp: i64,
    pub nonce: String,
    pub body_sha256: String,
    pub signature: String,
}

impl SignedHeaders {
    /// `(name, value)` of each header, to add to a request.
    pub fn pairs(&self) -> [(&'static str, String); 5] {
        [
            (HEADER_TERMINAL, self.terminal.clone()),
            (HEADER_TIMESTAMP, self.timestamp.to_string()),
            (HEADER_NONCE, self.nonce.clone()),
            (HEADER_BODY_SHA256, self.body_sha256.clone()),
            (HEADER_SIGNATURE, self.signature.clone()),
        ]
    }

    /// Reads and checks the format of the five headers through `get` (header name -> value).
    pub fn from_lookup<'a>(get: impl Fn(&'static str) -> Option<&'a str>) -> Result<SignedHeaders, SignatureError> {
        let need = |name: &'static str| get(name).ok_or(SignatureError::MissingHeader(name));
        let terminal = need(HEADER_TERMINAL)?;
        if !crate::messages::is_terminal_id(terminal) {
            return Err(SignatureError::Malformed(HEADER_TERMINAL));
        }
        let timestamp = parse_timestamp(need(HEADER_TIMESTAMP)?).ok_or(SignatureError::Malformed(HEADER_TIMESTAMP))?;
        let nonce = need(HEADER_NONCE)?;
        if !hex::is_lower_hex(nonce, NONCE_HEX_LEN) {
            return Err(SignatureError::Malformed(HEADER_NONCE));
        }
        let body_sha256 = need(HEADER_BODY_SHA256)?;
        if !hex::is_lower_hex(body_sha256, 64) {
            return Err(SignatureError::Malformed(HEADER_BODY_SHA256));
        }
        let signature = need(HEADER_SIGNATURE)?;
        if !hex::is_lower_hex(signature, 128) {
            return Err(SignatureError::Malformed(HEADER_SIGNATURE));
        }
        Ok(SignedHeaders {
            terminal: terminal.to_string(),
            timestamp,
            nonce: nonce.to_string(),
            body_sha256: body_sha256.to_string(),
            signature: signature.to_string(),
        })
    }
}

fn parse_timestamp(s: &str) -> Option<i64> {
    if s.is_empty() || s.len() > 18 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// SHA-256 of `bytes`, lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(&Sha256::digest(bytes))
}

/// Turns 16 random bytes into a nonce.
pub fn nonce_from_bytes(bytes: [u8; 16]) -> String {
    hex::encode(&bytes)
}

/// The exact text that is signed.
pub fn signing_string(method: &str, path_and_query: &str, terminal: &str, timestamp: i64, nonce: &str, body_sha256: &str) -> String {
    format!("{SCHEME}\n{}\n{path_and_query}\n{terminal}\n{timestamp}\n{nonce}\n{body_sha256}", method.to_ascii_uppercase())
}

/// Signs a request. `nonce` must be fresh (e.g. [`nonce_from_bytes`] of 16 random bytes).
pub fn sign_request(key: &SigningKey, method: &str, path_and_query: &str, terminal: &str, timestamp: i64, nonce: &str, body: &[u8]) -> SignedHeaders {
    let body_sha256 = sha256_hex(body);
    let text = signing_string(method, path_and_query, terminal, timestamp, nonce, &body_sha256);
    let signature = hex::encode(&key.sign(text.as_bytes()).to_bytes());
    SignedHeaders { terminal: terminal.to_string(), timestamp, nonce: nonce.to_string(), body_sha256, signature }
}

fn signature(s: &str, header: &'static str) -> Result<Signature, SignatureError> {
    hex::decode_array::<64>(s).map(|b| Signature::from_bytes(&b)).ok_or(SignatureError::Malformed(header))
}

/// Verifies a request against the terminal's key: body hash, signature, then timestamp within
/// `max_skew_s` of `now`.
pub fn verify_request(
    key: &VerifyingKey,
    headers: &SignedHeaders,
    method: &str,
    path_and_query: &str,
    body: &[u8],
    now: i64,
    max_skew_s: i64,
) -> Result<(), SignatureError> {
    if sha256_hex(body) != headers.body_sha256 {
        return Err(SignatureError::BodyMismatch);
    }
    let sig = signature(&headers.signature, HEADER_SIGNATURE)?;
    let text = signing_string(method, path_and_query, &headers.terminal, headers.timestamp, &headers.nonce, &headers.body_sha256);
    key.verify_strict(text.as_bytes(), &sig).map_err(|_| SignatureError::BadSignature)?;
    let skew = now.saturating_sub(headers.timestamp);
    if skew.unsigned_abs() > max_skew_s.unsigned_abs() {
        return Err(SignatureError::StaleTimestamp { skew });
    }
    Ok(())
}

/// Signs a document's exact bytes; the signature as 128 lower-case hex digits.
pub fn sign_document(key: &SigningKey, document: &[u8]) -> String {
    hex::encode(&key.sign(document).to_bytes())
}

/// Verifies a document signature made by [`sign_document`].
pub fn verify_document(key: &VerifyingKey, document: &[u8], signature_hex: &str) -> Result<(), SignatureError> {
    let sig = signature(signature_hex, "signature")?;
    key.verify_strict(document, &sig).map_err(|_| SignatureError::BadSignature)
}

/// Parses a public key from 64 hex digits, refusing points that are not on the curve and weak
/// (small-order) keys.
pub fn parse_public_key(s: &str) -> Result<VerifyingKey, KeyError> {
    let bytes = hex::decode_array::<32>(s).ok_or(KeyError::Malformed)?;
    let key = VerifyingKey::from_bytes(&bytes).map_err(|_| KeyError::Invalid)?;
    if key.is_weak() {
        return Err(KeyError::Invalid);
    }
    Ok(key)
}

/// A public key as 64 lower-case hex digits.
pub fn public_key_hex(key: &VerifyingKey) -> String {
    hex::encode(key.as_bytes())
}

/// A signing key from its 32-byte seed as 64 hex digits (the key-file format).
pub fn signing_key_from_hex(s: &str) -> Result<SigningKey, KeyError> {
    hex::decode_array::<32>(s.trim()).map(|b| SigningKey::from_bytes(&b)).ok_or(KeyError::Malformed)
}

/// A signing key's seed as 64 hex digits.
pub fn signing_key_hex(key: &SigningKey) -> String {
    hex::encode(&key.to_bytes())
}

/// A short name of a public key: the first 16 hex digits of the SHA-256 of its bytes.
pub fn key_id(key: &VerifyingKey) -> String {
    sha256_hex(key.as_bytes())[..16].to_string()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    // RFC 8032, section 7.1, tests 1 and 2.
    const RFC_SECRET_1: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
    const RFC_PUBLIC_1: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
    const RFC_SIG_1: &str = "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";
    const RFC_SECRET_2: &str = "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb";
    const RFC_PUBLIC_2: &str = "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c";
    const RFC_SIG_2: &str = "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00";

    const TERMINAL: &str = "T-0193a4f2-7c1e-7b3a-9f00-000000000001";
    const NONCE: &str = "000102030405060708090a0b0c0d0e0f";
    const NOW: i64 = 1_796_000_000;

    fn key() -> SigningKey {
        signing_key_from_hex(RFC_SECRET_1).unwrap()
    }

    fn signed(body: &[u8]) -> SignedHeaders {
        sign_request(&key(), "post", "/api/v1/heartbeat", TERMINAL, NOW, NONCE, body)
    }

    #[test]
    fn rfc_8032_known_answers() {
        let k1 = signing_key_from_hex(RFC_SECRET_1).unwrap();
        assert_eq!(public_key_hex(&k1.verifying_key()), RFC_PUBLIC_1);
        assert_eq!(sign_document(&k1, b""), RFC_SIG_1);
        verify_document(&parse_public_key(RFC_PUBLIC_1).unwrap(), b"", RFC_SIG_1).unwrap();
        let k2 = signing_key_from_hex(RFC_SECRET_2).unwrap();
        assert_eq!(public_key_hex(&k2.verifying_key()), RFC_PUBLIC_2);
        assert_eq!(sign_document(&k2, &[0x72]), RFC_SIG_2);
        assert_eq!(signing_key_hex(&k2), RFC_SECRET_2);
    }

    #[test]
    fn sha256_known_answers() {
        assert_eq!(sha256_hex(b""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn request_signature_known_answer() {
        // Pins the signing string and, through RFC 8032's deterministic signatures, the whole
        // scheme: an agent built from this document must produce these exact bytes.
        let h = signed(b"{}");
        assert_eq!(h.body_sha256, "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
        assert_eq!(
            signing_string("post", "/api/v1/heartbeat", TERMINAL, NOW, NONCE, &h.body_sha256),
            format!("KIOSK-SIG-V1\nPOST\n/api/v1/heartbeat\n{TERMINAL}\n1796000000\n{NONCE}\n{}", h.body_sha256)
        );
        assert_eq!(h.signature, sign_document(&key(), signing_string("POST", "/api/v1/heartbeat", TERMINAL, NOW, NONCE, &h.body_sha256).as_bytes()));
        assert_eq!(h.signature, KNOWN_SIGNATURE);
        let vk = key().verifying_key();
        verify_request(&vk, &h, "POST", "/api/v1/heartbeat", b"{}", NOW, 300).unwrap();
    }

    const KNOWN_SIGNATURE: &str = "c5fc633397df32a01e372731cde7935c8e2e04c533bbfd0a3b1ff6be096e447bab91a907576921ce8ed16c6f7af71dd43eff0f8dd387216e6d42fcc47234ee03";

    #[test]
    fn tampering_with_any_part_fails() {
        let vk = key().verifying_key();
        let h = signed(b"{\"a\":1}");
        let ok = |h: &SignedHeaders, m: &str, p: &str, b: &[u8]| verify_request(&vk, h, m, p, b, NOW, 300);
        assert_eq!(ok(&h, "POST", "/api/v1/heartbeat", b"{\"a\":1}"), Ok(()));
        assert_eq!(ok(&h, "PUT", "/api/v1/heartbeat", b"{\"a\":1}"), Err(SignatureError::BadSignature));
        assert_eq!(ok(&h, "POST", "/api/v1/outbox", b"{\"a\":1}"), Err(SignatureError::BadSignature));
        assert_eq!(ok(&h, "POST", "/api/v1/heartbeat?x=1", b"{\"a\":1}"), Err(SignatureError::BadSignature));
        assert_eq!(ok(&h, "POST", "/api/v1/heartbeat", b"{\"a\":2}"), Err(SignatureError::BodyMismatch));
        let t = SignedHeaders { terminal: "T-other".into(), ..h.clone() };
        assert_eq!(ok(&t, "POST", "/api/v1/heartbeat", b"{\"a\":1}"), Err(SignatureError::BadSignature));
        let t = SignedHeaders { timestamp: NOW + 1, ..h.clone() };
        assert_eq!(ok(&t, "POST", "/api/v1/heartbeat", b"{\"a\":1}"), Err(SignatureError::BadSignature));
        let t = SignedHeaders { nonce: "f".repeat(32), ..h.clone() };
        assert_eq!(ok(&t, "POST", "/api/v1/heartbeat", b"{\"a\":1}"), Err(SignatureError::BadSignature));
        let t = SignedHeaders { body_sha256: sha256_hex(b"{\"a\":2}"), ..h.clone() };
        assert_eq!(ok(&t, "POST", "/api/v1/heartbeat", b"{\"a\":2}"), Err(SignatureError::BadSignature));
        let mut sig = h.signature.clone().into_bytes();
        sig[10] = if sig[10] == b'0' { b'1' } else { b'0' };
        let t = SignedHeaders { signature: String::from_utf8(sig).unwrap(), ..h.clone() };
        assert_eq!(ok(&t, "POST", "/api/v1/heartbeat", b"{\"a\":1}"), Err(SignatureError::BadSignature));
        let t = SignedHeaders { signature: "zz".repeat(64), ..h.clone() };
        assert_eq!(ok(&t, "POST", "/api/v1/heartbeat", b"{\"a\":1}"), Err(SignatureError::Malformed(HEADER_SIGNATURE)));
        // Another key.
        let other = signing_key_from_hex(RFC_SECRET_2).unwrap().verifying_key();
        assert_eq!(verify_request(&other, &h, "POST", "/api/v1/heartbeat", b"{\"a\":1}", NOW, 300), Err(SignatureError::BadSignature));
    }

    #[test]
    fn timestamps_outside_the_window_are_stale() {
        let vk = key().verifying_key();
        let h = signed(b"");
        let at = |now| verify_request(&vk, &h, "POST", "/api/v1/heartbeat", b"", now, 300);
        assert_eq!(at(NOW + 300), Ok(()));
        assert_eq!(at(NOW - 300), Ok(()));
        assert_eq!(at(NOW + 301), Err(SignatureError::StaleTimestamp { skew: 301 }));
        assert_eq!(at(NOW - 301), Err(SignatureError::StaleTimestamp { skew: -301 }));
        assert_eq!(at(i64::MIN), Err(SignatureError::StaleTimestamp { skew: i64::MIN }));
        assert!(matches!(at(i64::MAX), Err(SignatureError::StaleTimestamp { .. })));
    }

    #[test]
    fn headers_are_read_and_checked() {
        let h = signed(b"x");
        let pairs = h.pairs();
        let get = |name: &str| pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str());
        assert_eq!(SignedHeaders::from_lookup(get), Ok(h.clone()));
        for missing in HEADERS {
            let r = SignedHeaders::from_lookup(|n| if n == missing { None } else { get(n) });
            assert_eq!(r, Err(SignatureError::MissingHeader(missing)));
        }
        for (header, bad) in [
            (HEADER_TERMINAL, "T 1"),
            (HEADER_TIMESTAMP, "-5"),
            (HEADER_TIMESTAMP, "12a"),
            (HEADER_TIMESTAMP, "99999999999999999999"),
            (HEADER_NONCE, "0011"),
            (HEADER_NONCE, "000102030405060708090A0B0C0D0E0F"),
            (HEADER_BODY_SHA256, "xyz"),
            (HEADER_SIGNATURE, "00"),
        ] {
            let r = SignedHeaders::from_lookup(|n| if n == header { Some(bad) } else { get(n) });
            assert_eq!(r, Err(SignatureError::Malformed(header)), "{header}: {bad}");
        }
    }

    #[test]
    fn public_keys_are_checked() {
        assert!(parse_public_key(RFC_PUBLIC_1).is_ok());
        assert_eq!(parse_public_key("00"), Err(KeyError::Malformed));
        assert_eq!(parse_public_key(&"g".repeat(64)), Err(KeyError::Malformed));
        // The identity point is a weak (small-order) key.
        let identity = format!("01{}", "00".repeat(31));
        assert_eq!(parse_public_key(&identity), Err(KeyError::Invalid));
        assert_eq!(key_id(&parse_public_key(RFC_PUBLIC_1).unwrap()).len(), 16);
    }

    /// xorshift64*: deterministic pseudo-random input without a dependency.
    pub(crate) struct Rng(pub u64);
    impl Rng {
        pub fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        pub fn bytes(&mut self, max: usize) -> Vec<u8> {
            let n = (self.next() % (max as u64 + 1)) as usize;
            (0..n).map(|_| self.next() as u8).collect()
        }
        pub fn text(&mut self, max: usize) -> String {
            const ALPHABET: &[u8] = b"0123456789abcdefT-_ X\n\xff";
            let n = (self.next() % (max as u64 + 1)) as usize;
            let b: Vec<u8> = (0..n).map(|_| ALPHABET[(self.next() % ALPHABET.len() as u64) as usize]).collect();
            String::from_utf8_lossy(&b).into_owned()
        }
    }

    #[test]
    fn random_input_never_panics() {
        let vk = key().verifying_key();
        let good = signed(b"body");
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for i in 0..3000 {
            let values: Vec<String> = (0..5).map(|_| rng.text(140)).collect();
            let _ = SignedHeaders::from_lookup(|n| if rng_pick(i, n) { Some(values[HEADERS.iter().position(|h| *h == n).unwrap_or(0)].as_str()) } else { None });
            // Well-formed headers with random contents.
            let h = SignedHeaders {
                terminal: values[0].clone(),
                timestamp: rng.next() as i64,
                nonce: values[2].clone(),
                body_sha256: if i % 2 == 0 { good.body_sha256.clone() } else { values[3].clone() },
                signature: if i % 3 == 0 { crate::hex::encode(&rng.bytes(64)) } else { values[4].clone() },
            };
            let body = if i % 2 == 0 { b"body".to_vec() } else { rng.bytes(64) };
            assert!(verify_request(&vk, &h, &values[1], &values[2], &body, rng.next() as i64, rng.next() as i64).is_err());
            let _ = verify_document(&vk, &body, &values[4]);
            let _ = parse_public_key(&crate::hex::encode(&rng.bytes(32)));
            let _ = signing_key_from_hex(&values[3]);
        }
    }

    fn rng_pick(i: usize, name: &str) -> bool {
        (i + name.len()) % 7 != 0
    }
}
