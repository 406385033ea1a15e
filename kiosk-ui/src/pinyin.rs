//! The pinyin input method behind the on-screen keyboard's candidate bar.
//!
//! The dictionary (`assets/pinyin/pinyin-dict.tsv`, format in its README) is embedded and parsed
//! once. Typed letters are a prefix of an entry's key (toneless pinyin, syllables concatenated,
//! ü as `v`); an exact key match ranks first, then the entry's weight.

use std::sync::OnceLock;

static DICT_TSV: &str = include_str!("../../assets/pinyin/pinyin-dict.tsv");

struct Entry {
    key: &'static str,
    text: &'static str,
    weight: u64,
}

fn dict() -> &'static [Entry] {
    static DICT: OnceLock<Vec<Entry>> = OnceLock::new();
    DICT.get_or_init(|| parse(DICT_TSV))
}

fn parse(tsv: &'static str) -> Vec<Entry> {
    let mut v: Vec<Entry> = tsv
        .lines()
        .filter_map(|line| {
            let mut parts = line.split('\t');
            let key = parts.next()?;
            let text = parts.next()?;
            let weight = parts.next().and_then(|w| w.trim().parse().ok()).unwrap_or(1);
            (!key.is_empty() && !text.is_empty() && key.bytes().all(|b| b.is_ascii_lowercase())).then_some(Entry { key, text, weight })
        })
        .collect();
    // The file is sorted by key; make sure, since lookups binary-search it.
    v.sort_by(|a, b| a.key.cmp(b.key).then(b.weight.cmp(&a.weight)));
    v
}

/// Number of entries in the embedded dictionary.
pub fn entries() -> usize {
    dict().len()
}

/// Every hanzi the dictionary can produce, for the font coverage check.
pub fn all_text() -> impl Iterator<Item = &'static str> {
    dict().iter().map(|e| e.text)
}

/// Up to `limit` candidates for the typed letters, best first, without repeats.
pub fn candidates(typed: &str, limit: usize) -> Vec<String> {
    let typed = typed.to_ascii_lowercase().replace('ü', "v");
    if typed.is_empty() || !typed.bytes().all(|b| b.is_ascii_lowercase()) {
        return Vec::new();
    }
    let d = dict();
    let start = d.partition_point(|e| e.key < typed.as_str());
    let matching = d[start..].iter().take_while(|e| e.key.starts_with(typed.as_str()));
    // Exact matches first; among the rest, prefer the shorter key (the word being typed), then
    // the weight. Scanning is bounded: a one-letter prefix matches thousands of entries.
    let mut found: Vec<(bool, usize, u64, &'static str)> =
        matching.take(20_000).map(|e| (e.key == typed, e.key.len(), e.weight, e.text)).collect();
    found.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(b.2.cmp(&a.2)).then(a.3.cmp(b.3)));
    let mut out: Vec<String> = Vec::with_capacity(limit);
    for (_, _, _, text) in found {
        if out.len() >= limit {
            break;
        }
        if !out.iter().any(|o| o == text) {
            out.push(text.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_words_come_first() {
        assert_eq!(candidates("yanglao", 5).first().map(String::as_str), Some("养老"));
        assert_eq!(candidates("shebao", 5).first().map(String::as_str), Some("社保"));
        assert!(candidates("yibao", 8).iter().any(|c| c == "医保"), "{:?}", candidates("yibao", 8));
    }

    #[test]
    fn single_syllables_offer_common_characters() {
        let c = candidates("wo", 10);
        assert!(c.iter().any(|c| c == "我"), "{c:?}");
        let c = candidates("lv", 10);
        assert!(c.iter().any(|c| c == "绿" || c == "旅" || c == "律"), "{c:?}");
    }

    #[test]
    fn prefixes_complete_words() {
        let c = candidates("shenfenz", 5);
        assert!(c.iter().any(|c| c == "身份证"), "{c:?}");
    }

    #[test]
    fn junk_gives_nothing() {
        assert!(candidates("", 5).is_empty());
        assert!(candidates("123", 5).is_empty());
        assert!(candidates("养老", 5).is_empty());
        assert!(candidates("zzzzzzzz", 5).is_empty());
        assert_eq!(candidates("a", 7).len(), 7);
    }

    #[test]
    fn dictionary_is_substantial() {
        assert!(entries() > 20_000, "{}", entries());
    }
}
