//! Edits the platform makes to the published catalogue (pure, on the parsed document): pausing
//! and resuming an item (article 17: 暂停 / 恢复, with a notice shown before and during the
//! pause), replacing the knowledge content (article 18), and stamping a new version. The format
//! is kioskd's, `assets/catalogue/README.md`; everything else in the document is left as it is.

use serde_json::{json, Map, Value};

use crate::time;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    #[error("the catalogue has no items array")]
    NoItems,
    #[error("no item with code {0}")]
    ItemNotFound(String),
    #[error("item {0} is offline (下线); publish a catalogue that brings it back instead")]
    ItemOffline(String),
    #[error("pause: {0}")]
    InvalidPause(String),
    #[error("knowledge: {0}")]
    InvalidKnowledge(String),
}

/// A pause as the admin API receives it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct Pause {
    pub notice: String,
    #[serde(default)]
    pub notice_en: String,
    /// RFC 3339 with an offset.
    pub from: String,
    pub until: String,
}

impl Pause {
    pub fn validate(&self) -> Result<(), EditError> {
        let bad = |m: &str| Err(EditError::InvalidPause(m.to_string()));
        if self.notice.trim().is_empty() {
            return bad("a notice is required: it tells citizens what happens and where to go");
        }
        if self.notice.chars().count() > 300 || self.notice_en.chars().count() > 600 {
            return bad("the notice is too long");
        }
        match (time::parse_rfc3339(&self.from), time::parse_rfc3339(&self.until)) {
            (Some(f), Some(u)) if f < u => Ok(()),
            (Some(_), Some(_)) => bad("from must be before until"),
            _ => bad("from and until must be RFC 3339 instants with an offset, e.g. 2026-12-10T08:00:00+08:00"),
        }
    }
}

fn item_mut<'a>(doc: &'a mut Value, code: &str) -> Result<&'a mut Map<String, Value>, EditError> {
    let items = doc.get_mut("items").and_then(Value::as_array_mut).ok_or(EditError::NoItems)?;
    items
        .iter_mut()
        .filter_map(Value::as_object_mut)
        .find(|i| i.get("code").and_then(Value::as_str) == Some(code))
        .ok_or_else(|| EditError::ItemNotFound(code.to_string()))
}

fn state(item: &Map<String, Value>) -> Option<&str> {
    item.get("status").and_then(|s| s.get("state")).and_then(Value::as_str)
}

/// Pauses an item (replacing an earlier pause). An offline item cannot be paused.
pub fn pause(doc: &mut Value, code: &str, p: &Pause) -> Result<(), EditError> {
    p.validate()?;
    let item = item_mut(doc, code)?;
    if state(item) == Some("offline") {
        return Err(EditError::ItemOffline(code.to_string()));
    }
    item.insert("status".into(), json!({ "state": "paused", "notice": p.notice, "notice_en": p.notice_en, "from": p.from, "until": p.until }));
    Ok(())
}

/// Resumes an item: its status becomes `active`. Returns whether it was paused.
pub fn resume(doc: &mut Value, code: &str) -> Result<bool, EditError> {
    let item = item_mut(doc, code)?;
    if state(item) == Some("offline") {
        return Err(EditError::ItemOffline(code.to_string()));
    }
    let was_paused = state(item) == Some("paused");
    item.insert("status".into(), json!({ "state": "active" }));
    Ok(was_paused)
}

/// Replaces the knowledge content with `knowledge` (an array, or an object with a `knowledge`
/// array), checking each entry's identity and dates.
pub fn replace_knowledge(doc: &mut Value, bundle: Value) -> Result<usize, EditError> {
    let list = match bundle {
        Value::Array(a) => a,
        Value::Object(mut o) => match o.remove("knowledge") {
            Some(Value::Array(a)) => a,
            _ => return Err(EditError::InvalidKnowledge("expected an array or {\"knowledge\": [...]}".into())),
        },
        _ => return Err(EditError::InvalidKnowledge("expected an array or {\"knowledge\": [...]}".into())),
    };
    let mut ids = std::collections::HashSet::new();
    for (i, k) in list.iter().enumerate() {
        let bad = |m: &str| EditError::InvalidKnowledge(format!("entry {i}: {m}"));
        let o = k.as_object().ok_or_else(|| bad("not an object"))?;
        let s = |key: &str| o.get(key).and_then(Value::as_str);
        let id = s("id").filter(|id| id.starts_with("kn-") && id.len() <= 80).ok_or_else(|| bad("id must be kn-…"))?;
        if !ids.insert(id.to_string()) {
            return Err(bad("duplicate id"));
        }
        if s("title").is_none_or(str::is_empty) || s("body").is_none_or(str::is_empty) {
            return Err(bad("title and body are required"));
        }
        match (s("start").and_then(time::parse_date), s("expires").and_then(time::parse_date)) {
            (Some(a), Some(b)) if a <= b => {}
            _ => return Err(bad("start and expires must be dates YYYY-MM-DD with start <= expires")),
        }
    }
    let n = list.len();
    let root = doc.as_object_mut().ok_or(EditError::NoItems)?;
    root.insert("knowledge".into(), Value::Array(list));
    Ok(n)
}

/// Sets `version` and `published_at` (China time) on a document.
pub fn stamp(doc: &mut Value, version: &str, now: i64) {
    if let Some(root) = doc.as_object_mut() {
        root.insert("version".into(), Value::String(version.to_string()));
        root.insert("published_at".into(), Value::String(time::format_local(now)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAUSED_AHEAD: &str = "1144000000205705154442124147000";
    const OFFLINE: &str = "11441800005050701D4442715864000";

    fn sample() -> Value {
        serde_json::from_str(include_str!("../../assets/catalogue/catalogue.json")).unwrap()
    }

    fn pause_spec() -> Pause {
        Pause { notice: "系统升级，暂停办理。".into(), notice_en: "Paused for an upgrade.".into(), from: "2026-12-20T08:00:00+08:00".into(), until: "2026-12-20T18:00:00+08:00".into() }
    }

    fn status(doc: &Value, code: &str) -> Value {
        doc["items"].as_array().unwrap().iter().find(|i| i["code"] == code).unwrap()["status"].clone()
    }

    #[test]
    fn pause_and_resume_follow_the_format() {
        let mut doc = sample();
        let code = doc["items"][0]["code"].as_str().unwrap().to_string();
        pause(&mut doc, &code, &pause_spec()).unwrap();
        assert_eq!(status(&doc, &code), json!({ "state": "paused", "notice": "系统升级，暂停办理。", "notice_en": "Paused for an upgrade.", "from": "2026-12-20T08:00:00+08:00", "until": "2026-12-20T18:00:00+08:00" }));
        assert!(resume(&mut doc, &code).unwrap());
        assert_eq!(status(&doc, &code), json!({ "state": "active" }));
        assert!(!resume(&mut doc, &code).unwrap());
        assert!(resume(&mut doc, PAUSED_AHEAD).unwrap());
        assert_eq!(pause(&mut doc, OFFLINE, &pause_spec()), Err(EditError::ItemOffline(OFFLINE.into())));
        assert_eq!(pause(&mut doc, "nope", &pause_spec()), Err(EditError::ItemNotFound("nope".into())));
        assert_eq!(pause(&mut json!({}), "x", &pause_spec()), Err(EditError::NoItems));
    }

    #[test]
    fn pauses_are_checked() {
        let mut p = pause_spec();
        p.until = p.from.clone();
        assert!(p.validate().is_err());
        let mut p = pause_spec();
        p.from = "2026-12-20 08:00".into();
        assert!(p.validate().is_err());
        let mut p = pause_spec();
        p.notice = " ".into();
        assert!(p.validate().is_err());
    }

    #[test]
    fn knowledge_is_replaced_after_checks() {
        let mut doc = sample();
        let k = json!([{ "id": "kn-test", "title": "标题", "body": "正文", "start": "2026-01-01", "expires": "2026-12-31", "image": null }]);
        assert_eq!(replace_knowledge(&mut doc, json!({ "knowledge": k.clone() })).unwrap(), 1);
        assert_eq!(doc["knowledge"], k);
        assert!(replace_knowledge(&mut doc, json!([{ "id": "x", "title": "t", "body": "b", "start": "2026-01-01", "expires": "2026-12-31" }])).is_err());
        assert!(replace_knowledge(&mut doc, json!([{ "id": "kn-a", "title": "t", "body": "b", "start": "2026-12-31", "expires": "2026-01-01" }])).is_err());
        assert!(replace_knowledge(&mut doc, json!("x")).is_err());
        stamp(&mut doc, "2026.12.04.1", 1_796_000_000);
        assert_eq!(doc["version"], "2026.12.04.1");
        assert!(kiosk_wire::document_head(&doc.to_string()).is_ok());
    }
}
