//! Masking of personal data for exports, the admin API and logs. The platform never shows an
//! ID number, bank account or phone number whole, nor a full name: exports carry only the
//! masked forms made here (the full form stays sealed in the database).

/// An ID number as on receipts: the first 6 and last 4 characters kept (region and check), the
/// birth date and sequence hidden: `441882********0022`. Short values keep only their ends.
pub fn mask_id(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    let n = chars.len();
    let (head, tail) = if n > 10 { (6, 4) } else if n > 2 { (1, 1) } else { (0, 0) };
    chars.iter().enumerate().map(|(i, c)| if i < head || i >= n - tail { *c } else { '*' }).collect()
}

/// A name: its first character and one `*` (`张*`).
pub fn mask_name(name: &str) -> String {
    match name.trim().chars().next() {
        Some(first) => format!("{first}*"),
        None => String::new(),
    }
}

/// True when `s` looks like a resident ID number (17 digits and a digit or `X`).
pub fn looks_like_id(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 18 && b[..17].iter().all(u8::is_ascii_digit) && (b[17].is_ascii_digit() || b[17] == b'X' || b[17] == b'x')
}

fn is_digit(c: char) -> bool {
    c.is_ascii_digit() || ('０'..='９').contains(&c)
}

/// Free text (complaints, fault reports) with every run of 6 or more digits (ID numbers, phone
/// and account numbers; a trailing `X` included) replaced by as many `*`.
pub fn scrub_text(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        if is_digit(chars[i]) {
            let start = i;
            while i < chars.len() && is_digit(chars[i]) {
                i += 1;
            }
            if i < chars.len() && i - start == 17 && matches!(chars[i], 'X' | 'x' | 'Ｘ') {
                i += 1;
            }
            if i - start >= 6 {
                out.extend(std::iter::repeat_n('*', i - start));
            } else {
                out.extend(&chars[start..i]);
            }
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// A serde error message with the offending value removed (`invalid type: string "…", expected
/// u8` becomes `invalid type, expected u8`), so error answers and logs never echo a value that
/// may be personal data.
pub fn redact_serde(message: &str) -> String {
    for marker in ["invalid type: ", "invalid value: ", "unknown variant "] {
        if let Some(at) = message.find(marker) {
            let kind = marker.trim_end_matches([':', ' ']);
            let rest = &message[at + marker.len()..];
            return match rest.find(", expected ") {
                Some(e) => format!("{}{kind}{}", &message[..at], &rest[e..]),
                None => format!("{}{kind}", &message[..at]),
            };
        }
    }
    message.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks() {
        assert_eq!(mask_id("441882195103070022"), "441882********0022");
        assert_eq!(mask_id("12345"), "1***5");
        assert_eq!(mask_id(""), "");
        assert_eq!(mask_name("张秀英"), "张*");
        assert_eq!(mask_name(""), "");
        assert!(looks_like_id("44188219510307002X") && !looks_like_id("4418821951030700"));
    }

    #[test]
    fn scrubs_numbers_in_free_text() {
        assert_eq!(scrub_text("请回电13800138000，谢谢"), "请回电***********，谢谢");
        assert_eq!(scrub_text("身份证44188219510307002X有误"), "身份证******************有误");
        assert_eq!(scrub_text("１３８００１３８０００"), "***********");
        assert_eq!(scrub_text("等了20分钟，第3号窗口"), "等了20分钟，第3号窗口");
        assert_eq!(scrub_text("2026年12月"), "2026年12月");
    }

    #[test]
    fn serde_messages_lose_their_values() {
        let e = serde_json::from_str::<u8>("\"441882195103070022\"").unwrap_err().to_string();
        assert!(e.contains("441882"));
        let r = redact_serde(&e);
        assert!(!r.contains("441882"), "{r}");
        assert!(r.starts_with("invalid type, expected u8"), "{r}");
        assert_eq!(redact_serde("missing field `level`"), "missing field `level`");
        assert_eq!(redact_serde("body: invalid type: integer `441882195103070022`, expected a string"), "body: invalid type, expected a string");
    }
}
