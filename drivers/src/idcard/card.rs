//! The 256-byte text block of a card, its three known layouts, and the JSON form of a card.
//!
//! The text block is UCS-2 little-endian, space padded. The character at byte 248 tells the
//! layout: 'I' foreigner permanent residence card, 'J' Hong Kong/Macau/Taiwan residence permit,
//! anything else that is not a letter a resident card. An unknown *letter* is reported as
//! [`CardType::Unknown`] and its fields are not interpreted: a layout is never guessed.
//!
//! [`CardJson`] is the one JSON shape of a card: `kiosk-hw idcard read --reveal` prints it and the
//! simulator accepts it to place a card. [`IdCard`] is the typed form; its `Debug` masks the
//! name and ID number, so a stray `{:?}` cannot leak them into a log.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::proto::TEXT_LEN;

/// Which kind of card the text block describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardType {
    /// 居民身份证.
    Resident,
    /// 'I': 外国人永久居留身份证.
    ForeignPermanent,
    /// 'J': 港澳台居民居住证.
    HmtResidence,
    /// A type letter this code does not know (e.g. a newer card version).
    Unknown(char),
}

impl CardType {
    pub fn as_str(&self) -> String {
        match self {
            CardType::Resident => "resident".into(),
            CardType::ForeignPermanent => "foreign_permanent".into(),
            CardType::HmtResidence => "hmt_residence".into(),
            CardType::Unknown(c) => format!("unknown:{c}"),
        }
    }

    pub fn parse(s: &str) -> Result<CardType, CardError> {
        Ok(match s {
            "resident" => CardType::Resident,
            "foreign_permanent" => CardType::ForeignPermanent,
            "hmt_residence" => CardType::HmtResidence,
            other => {
                let letter = other.strip_prefix("unknown:").and_then(|l| {
                    let mut chars = l.chars();
                    let c = chars.next()?;
                    (chars.next().is_none() && c.is_ascii_alphabetic()).then_some(c)
                });
                match letter {
                    Some(c) if c != 'I' && c != 'J' => CardType::Unknown(c),
                    _ => return Err(CardError::Invalid { field: "card_type", reason: format!("unknown card type {other:?}") }),
                }
            }
        })
    }
}

/// Gender codes of GB/T 2261.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Gender {
    Unknown,
    Male,
    Female,
    Unspecified,
}

impl Gender {
    pub fn from_code(c: char) -> Option<Gender> {
        Some(match c {
            '0' => Gender::Unknown,
            '1' => Gender::Male,
            '2' => Gender::Female,
            '9' => Gender::Unspecified,
            _ => return None,
        })
    }

    pub fn code(self) -> char {
        match self {
            Gender::Unknown => '0',
            Gender::Male => '1',
            Gender::Female => '2',
            Gender::Unspecified => '9',
        }
    }

    /// The Chinese word printed on the card.
    pub fn zh(self) -> &'static str {
        match self {
            Gender::Male => "男",
            Gender::Female => "女",
            Gender::Unknown => "未知",
            Gender::Unspecified => "未说明",
        }
    }
}

/// GB 3304 nation codes 01..56, in code order, as printed on the card (without 族).
const NATIONS: [&str; 56] = [
    "汉", "蒙古", "回", "藏", "维吾尔", "苗", "彝", "壮", "布依", "朝鲜", "满", "侗", "瑶", "白", "土家", "哈尼", "哈萨克", "傣",
    "黎", "傈僳", "佤", "畲", "高山", "拉祜", "水", "东乡", "纳西", "景颇", "柯尔克孜", "土", "达斡尔", "仫佬", "羌", "布朗",
    "撒拉", "毛南", "仡佬", "锡伯", "阿昌", "普米", "塔吉克", "怒", "乌孜别克", "俄罗斯", "鄂温克", "德昂", "保安", "裕固", "京",
    "塔塔尔", "独龙", "鄂伦春", "赫哲", "门巴", "珞巴", "基诺",
];

/// The name for a GB 3304 code, e.g. 1 -> "汉", 97 -> "其他".
pub fn nation_name(code: u8) -> Option<&'static str> {
    match code {
        1..=56 => Some(NATIONS[code as usize - 1]),
        97 => Some("其他"),
        98 => Some("外国血统中国籍人士"),
        _ => None,
    }
}

/// The GB 3304 code for a name; accepts the name with or without a trailing 族.
pub fn nation_code(name: &str) -> Option<u8> {
    let bare = name.strip_suffix('族').unwrap_or(name);
    if let Some(i) = NATIONS.iter().position(|n| *n == bare) {
        return Some(i as u8 + 1);
    }
    match bare {
        "其他" => Some(97),
        "外国血统中国籍人士" | "外国血统" => Some(98),
        _ => None,
    }
}

/// ISO 7064 MOD 11-2 check character for the first 17 characters of a GB 11643 ID number.
pub fn id_check_char(first17: &str) -> Option<char> {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const MAP: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
    let digits: Vec<u32> = first17.chars().map(|c| c.to_digit(10)).collect::<Option<_>>()?;
    if digits.len() != 17 {
        return None;
    }
    let sum: u32 = digits.iter().zip(WEIGHTS).map(|(d, w)| d * w).sum();
    Some(MAP[(sum % 11) as usize])
}

/// True when `id` is 18 characters whose last is the right MOD 11-2 check character.
pub fn id_number_valid(id: &str) -> bool {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() != 18 {
        return false;
    }
    let first17: String = chars[..17].iter().collect();
    let last = chars[17].to_ascii_uppercase();
    id_check_char(&first17) == Some(last)
}

/// Masks an ID or card number for display, logs and receipts: the first 6 and last 4
/// characters stay, each hidden one becomes `*`. Short values are masked whole but for one
/// character at each end.
pub fn mask_id(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    let n = chars.len();
    let (keep_head, keep_tail) = if n > 10 { (6, 4) } else if n > 2 { (1, 1) } else { (0, 0) };
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| if i < keep_head || i >= n - keep_tail { *c } else { '*' })
        .collect()
}

/// Masks a name: its first character and one `*`.
pub fn mask_name(name: &str) -> String {
    match name.chars().next() {
        Some(first) => format!("{first}*"),
        None => String::new(),
    }
}

/// Errors turning a text block or a JSON card into a card.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CardError {
    #[error("field {field} is invalid: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error("field {field} is missing")]
    Missing { field: &'static str },
    #[error("field {field} does not fit in {bytes} bytes")]
    TooLong { field: &'static str, bytes: usize },
}

fn invalid(field: &'static str, reason: impl Into<String>) -> CardError {
    CardError::Invalid { field, reason: reason.into() }
}

/// A date on the card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct CardDate {
    pub year: u16,
    pub month: u8,
    pub day: u8,
}

impl CardDate {
    /// Parses the card's `YYYYMMDD`.
    pub fn from_card(s: &str, field: &'static str) -> Result<CardDate, CardError> {
        if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid(field, format!("expected YYYYMMDD, found {} characters", s.chars().count())));
        }
        let year: u16 = s[0..4].parse().map_err(|_| invalid(field, "bad year"))?;
        let month: u8 = s[4..6].parse().map_err(|_| invalid(field, "bad month"))?;
        let day: u8 = s[6..8].parse().map_err(|_| invalid(field, "bad day"))?;
        CardDate::new(year, month, day).ok_or_else(|| invalid(field, "no such date"))
    }

    /// Parses `YYYY-MM-DD` (the JSON form).
    pub fn from_iso(s: &str, field: &'static str) -> Result<CardDate, CardError> {
        let parts: Vec<&str> = s.split('-').collect();
        match parts.as_slice() {
            [y, m, d] if y.len() == 4 && m.len() == 2 && d.len() == 2 => CardDate::from_card(&format!("{y}{m}{d}"), field),
            _ => Err(invalid(field, "expected YYYY-MM-DD")),
        }
    }

    pub fn new(year: u16, month: u8, day: u8) -> Option<CardDate> {
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        let days = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        (year >= 1800 && (1..=days).contains(&day)).then_some(CardDate { year, month, day })
    }

    pub fn card_form(&self) -> String {
        format!("{:04}{:02}{:02}", self.year, self.month, self.day)
    }
}

impl fmt::Display for CardDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// The end of a card's validity: a date, or 长期 (long term).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValidTo {
    Date(CardDate),
    LongTerm,
}

impl fmt::Display for ValidTo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValidTo::Date(d) => d.fmt(f),
            ValidTo::LongTerm => f.write_str("long_term"),
        }
    }
}

/// A card as read. Everything a layout has is here; what it lacks is `None`.
#[derive(Clone, PartialEq, Eq)]
pub struct IdCard {
    pub card_type: CardType,
    /// The Chinese name (for 'I' cards, the Chinese name field).
    pub name: String,
    pub gender: Option<Gender>,
    /// GB 3304 name, resident cards only.
    pub nation: Option<String>,
    pub birth_date: Option<CardDate>,
    pub address: Option<String>,
    /// The ID number ('I' cards: the card number).
    pub id_number: String,
    /// MOD 11-2 check result, resident and 'J' cards only.
    pub id_number_valid: Option<bool>,
    /// Issuing authority ('I' cards: the authority code).
    pub issuer: Option<String>,
    pub valid_from: Option<CardDate>,
    pub valid_to: Option<ValidTo>,
    pub english_name: Option<String>,
    /// GB/T 2659 three-letter code, 'I' cards only.
    pub nationality: Option<String>,
    /// 'J' cards only.
    pub pass_number: Option<String>,
    /// 'J' cards only.
    pub issue_count: Option<String>,
    /// 'I' cards only: the card version field.
    pub card_version: Option<String>,
    /// The WLT photo, opaque: only a licensed vendor library can decode it.
    pub photo: Vec<u8>,
    /// Fingerprint data, opaque, when read with 30 10 from a card that has it.
    pub fingerprint: Option<Vec<u8>>,
}

impl fmt::Debug for IdCard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdCard")
            .field("card_type", &self.card_type)
            .field("name", &mask_name(&self.name))
            .field("id_number", &mask_id(&self.id_number))
            .field("id_number_valid", &self.id_number_valid)
            .field("photo_bytes", &self.photo.len())
            .field("fingerprint", &self.fingerprint.is_some())
            .finish_non_exhaustive()
    }
}

/// Reads UCS-2 LE characters from `block[at..at+len]`, trimming padding (spaces and NULs).
fn ucs2(block: &[u8; TEXT_LEN], at: usize, len: usize) -> String {
    let units: Vec<u16> = block[at..at + len].chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
    let s: String = char::decode_utf16(units).map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER)).collect();
    s.trim_end_matches([' ', '\0']).trim_start_matches('\0').to_string()
}

fn opt(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

/// The card type from the character at byte 248.
pub fn card_type_of(block: &[u8; TEXT_LEN]) -> CardType {
    let unit = u16::from_le_bytes([block[248], block[249]]);
    match char::from_u32(unit as u32) {
        Some('I') => CardType::ForeignPermanent,
        Some('J') => CardType::HmtResidence,
        Some(c) if c.is_ascii_alphabetic() => CardType::Unknown(c),
        _ => CardType::Resident,
    }
}

fn parse_gender(block: &[u8; TEXT_LEN], at: usize) -> Result<Gender, CardError> {
    let code = ucs2(block, at, 2);
    code.chars().next().and_then(Gender::from_code).ok_or_else(|| invalid("gender", format!("unknown gender code {code:?}")))
}

fn parse_valid_to(s: &str) -> Result<ValidTo, CardError> {
    if s == "长期" {
        Ok(ValidTo::LongTerm)
    } else {
        CardDate::from_card(s, "valid_to").map(ValidTo::Date)
    }
}

impl IdCard {
    /// Parses the text block with the layout its type character names. `photo` and
    /// `fingerprint` are carried along untouched.
    pub fn parse(text: &[u8; TEXT_LEN], photo: Vec<u8>, fingerprint: Option<Vec<u8>>) -> Result<IdCard, CardError> {
        let card_type = card_type_of(text);
        let mut card = IdCard {
            card_type,
            name: String::new(),
            gender: None,
            nation: None,
            birth_date: None,
            address: None,
            id_number: String::new(),
            id_number_valid: None,
            issuer: None,
            valid_from: None,
            valid_to: None,
            english_name: None,
            nationality: None,
            pass_number: None,
            issue_count: None,
            card_version: None,
            photo,
            fingerprint,
        };
        match card_type {
            CardType::Resident | CardType::HmtResidence => {
                card.name = ucs2(text, 0, 30);
                card.gender = Some(parse_gender(text, 30)?);
                if card_type == CardType::Resident {
                    let code = ucs2(text, 32, 4);
                    let name = code.parse::<u8>().ok().and_then(nation_name);
                    card.nation = Some(match name {
                        Some(n) => n.to_string(),
                        None => format!("unknown:{code}"),
                    });
                } else {
                    card.pass_number = opt(ucs2(text, 220, 18));
                    card.issue_count = opt(ucs2(text, 238, 4));
                }
                card.birth_date = Some(CardDate::from_card(&ucs2(text, 36, 16), "birth_date")?);
                card.address = opt(ucs2(text, 52, 70));
                card.id_number = ucs2(text, 122, 36);
                card.id_number_valid = Some(id_number_valid(&card.id_number));
                card.issuer = opt(ucs2(text, 158, 30));
                card.valid_from = Some(CardDate::from_card(&ucs2(text, 188, 16), "valid_from")?);
                card.valid_to = Some(parse_valid_to(&ucs2(text, 204, 16))?);
            }
            CardType::ForeignPermanent => {
                card.english_name = opt(ucs2(text, 0, 120));
                card.gender = Some(parse_gender(text, 120)?);
                card.id_number = ucs2(text, 122, 30);
                card.nationality = opt(ucs2(text, 152, 6));
                card.name = ucs2(text, 158, 30);
                card.valid_from = Some(CardDate::from_card(&ucs2(text, 188, 16), "valid_from")?);
                card.valid_to = Some(parse_valid_to(&ucs2(text, 204, 16))?);
                card.birth_date = Some(CardDate::from_card(&ucs2(text, 220, 16), "birth_date")?);
                card.card_version = opt(ucs2(text, 236, 4));
                card.issuer = opt(ucs2(text, 240, 8));
            }
            CardType::Unknown(_) => {}
        }
        if !matches!(card_type, CardType::Unknown(_)) && card.id_number.is_empty() {
            return Err(CardError::Missing { field: "id_number" });
        }
        Ok(card)
    }

    /// The JSON form; `reveal` false masks the name and the ID number.
    pub fn to_json(&self, reveal: bool) -> CardJson {
        let (name, id_number) = if reveal {
            (self.name.clone(), self.id_number.clone())
        } else {
            (mask_name(&self.name), mask_id(&self.id_number))
        };
        let known = !matches!(self.card_type, CardType::Unknown(_));
        CardJson {
            card_type: self.card_type.as_str(),
            name: known.then_some(name),
            gender: self.gender,
            nation: self.nation.clone(),
            birth_date: self.birth_date.map(|d| d.to_string()),
            address: self.address.clone(),
            id_number: known.then_some(id_number),
            id_number_valid: self.id_number_valid,
            issuer: self.issuer.clone(),
            valid_from: self.valid_from.map(|d| d.to_string()),
            valid_to: self.valid_to.map(|v| v.to_string()),
            english_name: self.english_name.clone(),
            nationality: self.nationality.clone(),
            pass_number: self.pass_number.clone(),
            issue_count: self.issue_count.clone(),
            fingerprint: self.fingerprint.as_ref().map(|_| true),
        }
    }
}

/// The JSON shape of a card (the `kiosk-hw` contract). Absent fields are omitted.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardJson {
    pub card_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gender: Option<Gender>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_number_valid: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub english_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nationality: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pass_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue_count: Option<String>,
    /// Simulator input: the card holds fingerprints (answers 30 10 with data). On output: the
    /// read returned fingerprint data (never the data itself).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<bool>,
}

impl fmt::Debug for CardJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CardJson")
            .field("card_type", &self.card_type)
            .field("name", &self.name.as_deref().map(mask_name))
            .field("id_number", &self.id_number.as_deref().map(mask_id))
            .finish_non_exhaustive()
    }
}

/// Writes `value` as UCS-2 LE into `block[at..at+len]`, space padded.
fn put(block: &mut [u8; TEXT_LEN], at: usize, len: usize, field: &'static str, value: &str) -> Result<(), CardError> {
    let units: Vec<u16> = value.encode_utf16().collect();
    if units.len() * 2 > len {
        return Err(CardError::TooLong { field, bytes: len });
    }
    for (i, u) in units.iter().enumerate() {
        block[at + 2 * i..at + 2 * i + 2].copy_from_slice(&u.to_le_bytes());
    }
    Ok(())
}

fn required<'a>(v: &'a Option<String>, field: &'static str) -> Result<&'a str, CardError> {
    v.as_deref().ok_or(CardError::Missing { field })
}

fn card_date(v: &Option<String>, field: &'static str) -> Result<String, CardError> {
    Ok(CardDate::from_iso(required(v, field)?, field)?.card_form())
}

fn card_valid_to(v: &Option<String>) -> Result<String, CardError> {
    match required(v, "valid_to")? {
        "long_term" | "长期" => Ok("长期".to_string()),
        other => Ok(CardDate::from_iso(other, "valid_to")?.card_form()),
    }
}

impl CardJson {
    /// Builds the 256-byte text block this card would hold (the simulator's side). Values are
    /// checked as strictly as a card personalisation system would.
    pub fn to_text_block(&self) -> Result<[u8; TEXT_LEN], CardError> {
        let mut block = [0u8; TEXT_LEN];
        for pair in block.chunks_exact_mut(2) {
            pair.copy_from_slice(&[0x20, 0x00]);
        }
        let card_type = CardType::parse(&self.card_type)?;
        let gender = |g: Option<Gender>| g.ok_or(CardError::Missing { field: "gender" }).map(|g| g.code().to_string());
        match card_type {
            CardType::Resident | CardType::HmtResidence => {
                put(&mut block, 0, 30, "name", required(&self.name, "name")?)?;
                put(&mut block, 30, 2, "gender", &gender(self.gender)?)?;
                if card_type == CardType::Resident {
                    let nation = required(&self.nation, "nation")?;
                    let code = nation_code(nation).ok_or_else(|| invalid("nation", format!("unknown nation {nation:?}")))?;
                    put(&mut block, 32, 4, "nation", &format!("{code:02}"))?;
                }
                put(&mut block, 36, 16, "birth_date", &card_date(&self.birth_date, "birth_date")?)?;
                put(&mut block, 52, 70, "address", self.address.as_deref().unwrap_or(""))?;
                let id = required(&self.id_number, "id_number")?;
                put(&mut block, 122, 36, "id_number", id)?;
                put(&mut block, 158, 30, "issuer", self.issuer.as_deref().unwrap_or(""))?;
                put(&mut block, 188, 16, "valid_from", &card_date(&self.valid_from, "valid_from")?)?;
                put(&mut block, 204, 16, "valid_to", &card_valid_to(&self.valid_to)?)?;
                if card_type == CardType::HmtResidence {
                    put(&mut block, 220, 18, "pass_number", self.pass_number.as_deref().unwrap_or(""))?;
                    put(&mut block, 238, 4, "issue_count", self.issue_count.as_deref().unwrap_or(""))?;
                    put(&mut block, 248, 2, "card_type", "J")?;
                }
            }
            CardType::ForeignPermanent => {
                put(&mut block, 0, 120, "english_name", self.english_name.as_deref().unwrap_or(""))?;
                put(&mut block, 120, 2, "gender", &gender(self.gender)?)?;
                put(&mut block, 122, 30, "id_number", required(&self.id_number, "id_number")?)?;
                put(&mut block, 152, 6, "nationality", self.nationality.as_deref().unwrap_or(""))?;
                put(&mut block, 158, 30, "name", self.name.as_deref().unwrap_or(""))?;
                put(&mut block, 188, 16, "valid_from", &card_date(&self.valid_from, "valid_from")?)?;
                put(&mut block, 204, 16, "valid_to", &card_valid_to(&self.valid_to)?)?;
                put(&mut block, 220, 16, "birth_date", &card_date(&self.birth_date, "birth_date")?)?;
                put(&mut block, 236, 4, "card_version", "01")?;
                put(&mut block, 240, 8, "issuer", self.issuer.as_deref().unwrap_or(""))?;
                put(&mut block, 248, 2, "card_type", "I")?;
            }
            CardType::Unknown(c) => put(&mut block, 248, 2, "card_type", &c.to_string())?,
        }
        Ok(block)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn resident() -> CardJson {
        CardJson {
            card_type: "resident".into(),
            name: Some("张秀英".into()),
            gender: Some(Gender::Female),
            nation: Some("汉".into()),
            birth_date: Some("1951-03-07".into()),
            address: Some("广东省清远市连州市西岸镇冲口村委会冲口村28号".into()),
            id_number: Some("441882195103070022".into()),
            id_number_valid: Some(true),
            issuer: Some("连州市公安局".into()),
            valid_from: Some("2015-06-01".into()),
            valid_to: Some("long_term".into()),
            english_name: None,
            nationality: None,
            pass_number: None,
            issue_count: None,
            fingerprint: None,
        }
    }

    fn parse(json: &CardJson) -> IdCard {
        IdCard::parse(&json.to_text_block().unwrap(), vec![0; 1024], None).unwrap()
    }

    #[test]
    fn check_digit_follows_gb_11643() {
        // The standard's own example: 11010519491231002X.
        assert_eq!(id_check_char("11010519491231002"), Some('X'));
        assert!(id_number_valid("11010519491231002X"));
        assert!(id_number_valid("11010519491231002x"));
        assert!(!id_number_valid("110105194912310021"));
        assert!(!id_number_valid("1101051949123100"));
        assert!(!id_number_valid("1101051949123100AX"));
        assert_eq!(id_check_char("44188219510307002"), Some('2'));
    }

    #[test]
    fn resident_card_fields_from_known_values() {
        let card = parse(&resident());
        assert_eq!(card.card_type, CardType::Resident);
        assert_eq!(card.name, "张秀英");
        assert_eq!(card.gender, Some(Gender::Female));
        assert_eq!(card.nation.as_deref(), Some("汉"));
        assert_eq!(card.birth_date, CardDate::new(1951, 3, 7));
        assert_eq!(card.id_number, "441882195103070022");
        assert_eq!(card.id_number_valid, Some(true));
        assert_eq!(card.valid_to, Some(ValidTo::LongTerm));
        assert_eq!(card.issuer.as_deref(), Some("连州市公安局"));
        assert_eq!(card.to_json(true), resident());
    }

    #[test]
    fn resident_block_bytes_are_at_the_documented_offsets() {
        let block = resident().to_text_block().unwrap();
        // name at 0: 张 = U+5F20, little endian.
        assert_eq!(&block[0..2], &[0x20, 0x5F]);
        assert_eq!(&block[30..32], &[b'2', 0]);
        assert_eq!(&block[32..36], &[b'0', 0, b'1', 0]);
        assert_eq!(&block[36..38], &[b'1', 0]);
        assert_eq!(&block[122..124], &[b'4', 0]);
        assert_eq!(&block[156..158], &[b'2', 0]);
        // 长 = U+957F.
        assert_eq!(&block[204..206], &[0x7F, 0x95]);
        assert_eq!(&block[248..250], &[0x20, 0x00]);
    }

    #[test]
    fn foreign_permanent_card_fields_from_known_values() {
        let json = CardJson {
            card_type: "foreign_permanent".into(),
            name: Some("马丁".into()),
            gender: Some(Gender::Male),
            birth_date: Some("1980-11-02".into()),
            id_number: Some("CAN440080110201".into()),
            issuer: Some("1500".into()),
            valid_from: Some("2019-01-15".into()),
            valid_to: Some("2029-01-14".into()),
            english_name: Some("MARTIN, JEAN PIERRE".into()),
            nationality: Some("CAN".into()),
            ..empty("foreign_permanent")
        };
        let card = parse(&json);
        assert_eq!(card.card_type, CardType::ForeignPermanent);
        assert_eq!(card.name, "马丁");
        assert_eq!(card.english_name.as_deref(), Some("MARTIN, JEAN PIERRE"));
        assert_eq!(card.nationality.as_deref(), Some("CAN"));
        assert_eq!(card.id_number, "CAN440080110201");
        assert_eq!(card.id_number_valid, None, "no check digit on the foreigner card number");
        assert_eq!(card.birth_date, CardDate::new(1980, 11, 2));
        assert_eq!(card.valid_to, Some(ValidTo::Date(CardDate::new(2029, 1, 14).unwrap())));
        assert_eq!(card.card_version.as_deref(), Some("01"));
        assert_eq!(card.to_json(true), json);
    }

    fn empty(card_type: &str) -> CardJson {
        CardJson {
            card_type: card_type.into(),
            name: None,
            gender: None,
            nation: None,
            birth_date: None,
            address: None,
            id_number: None,
            id_number_valid: None,
            issuer: None,
            valid_from: None,
            valid_to: None,
            english_name: None,
            nationality: None,
            pass_number: None,
            issue_count: None,
            fingerprint: None,
        }
    }

    #[test]
    fn hmt_residence_permit_fields_from_known_values() {
        let json = CardJson {
            card_type: "hmt_residence".into(),
            name: Some("陈家明".into()),
            gender: Some(Gender::Male),
            birth_date: Some("1990-08-15".into()),
            address: Some("广东省珠海市香洲区拱北街道".into()),
            id_number: Some("810000199008150014".into()),
            id_number_valid: Some(true),
            issuer: Some("珠海市公安局".into()),
            valid_from: Some("2020-05-01".into()),
            valid_to: Some("2025-05-01".into()),
            pass_number: Some("H12345678".into()),
            issue_count: Some("01".into()),
            ..empty("hmt_residence")
        };
        let card = parse(&json);
        assert_eq!(card.card_type, CardType::HmtResidence);
        assert_eq!(card.nation, None, "nation is unused on J cards");
        assert_eq!(card.pass_number.as_deref(), Some("H12345678"));
        assert_eq!(card.issue_count.as_deref(), Some("01"));
        assert!(card.id_number.starts_with("81"));
        assert_eq!(card.to_json(true), json);
    }

    #[test]
    fn unknown_letters_are_reported_not_guessed() {
        let mut block = resident().to_text_block().unwrap();
        block[248..250].copy_from_slice(&[b'Y', 0]);
        let card = IdCard::parse(&block, vec![], None).unwrap();
        assert_eq!(card.card_type, CardType::Unknown('Y'));
        assert_eq!(card.card_type.as_str(), "unknown:Y");
        assert!(card.name.is_empty() && card.id_number.is_empty(), "fields of an unknown layout are not interpreted");
        let json = card.to_json(true);
        assert_eq!(serde_json::to_string(&json).unwrap(), r#"{"card_type":"unknown:Y"}"#);
        assert_eq!(json.to_text_block().unwrap()[248], b'Y');
    }

    #[test]
    fn masking_keeps_six_and_four() {
        assert_eq!(mask_id("441882195103070022"), "441882********0022");
        assert_eq!(mask_name("张秀英"), "张*");
        let masked = parse(&resident()).to_json(false);
        assert_eq!(masked.id_number.as_deref(), Some("441882********0022"));
        assert_eq!(masked.name.as_deref(), Some("张*"));
        let debug = format!("{:?} {:?}", parse(&resident()), resident());
        assert!(!debug.contains("441882195103070022") && !debug.contains("张秀英"), "{debug}");
    }

    #[test]
    fn nation_table_matches_gb_3304() {
        assert_eq!(nation_name(1), Some("汉"));
        assert_eq!(nation_name(2), Some("蒙古"));
        assert_eq!(nation_name(3), Some("回"));
        assert_eq!(nation_name(56), Some("基诺"));
        assert_eq!(nation_name(97), Some("其他"));
        assert_eq!(nation_name(0), None);
        assert_eq!(nation_code("壮族"), Some(8));
        for code in (1..=56).chain([97, 98]) {
            assert_eq!(nation_code(nation_name(code).unwrap()), Some(code));
        }
    }

    #[test]
    fn dates_are_checked() {
        assert!(CardDate::from_card("20230229", "d").is_err());
        assert!(CardDate::from_card("20240229", "d").is_ok());
        assert!(CardDate::from_card("2024022", "d").is_err());
        assert!(CardDate::from_iso("2024/02/29", "d").is_err());
        let mut block = resident().to_text_block().unwrap();
        put(&mut block, 36, 16, "birth_date", "19511307").unwrap();
        assert!(matches!(IdCard::parse(&block, vec![], None), Err(CardError::Invalid { field: "birth_date", .. })));
    }

    #[test]
    fn invalid_check_digit_is_reported_not_rejected() {
        let mut json = resident();
        json.id_number = Some("441882195103070021".into()); // right digit is 2
        let card = parse(&json);
        assert_eq!(card.id_number_valid, Some(false));
    }

    #[test]
    fn json_rejects_bad_input_clearly() {
        let mut json = resident();
        json.name = Some("一二三四五六七八九十一二三四五六".into());
        assert_eq!(json.to_text_block(), Err(CardError::TooLong { field: "name", bytes: 30 }));
        assert!(CardType::parse("unknown:I").is_err());
        assert!(CardType::parse("passport").is_err());
        assert!(serde_json::from_str::<CardJson>(r#"{"card_type":"resident","colour":"red"}"#).is_err());
    }

    #[test]
    fn random_text_blocks_never_panic() {
        let mut x: u64 = 0x1234_5678_9ABC_DEF1;
        for _ in 0..5_000 {
            let mut block = [0u8; TEXT_LEN];
            for b in block.iter_mut() {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                *b = x as u8;
            }
            for t in [b' ', b'I', b'J', b'Z'] {
                block[248] = t;
                block[249] = 0;
                let _ = IdCard::parse(&block, vec![], None);
            }
        }
    }
}
