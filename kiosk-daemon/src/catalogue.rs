//! The service catalogue: categories, items (事项) with their kind, status, 办事指南 and form
//! schema, and knowledge content. The format is documented in `assets/catalogue/README.md`.
//!
//! Everything here is pure: availability and expiry take `now` as a parameter; form input is
//! validated against the item's schema without touching storage.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::time;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Catalogue {
    pub schema: u32,
    pub version: String,
    pub published_at: String,
    pub categories: Vec<Category>,
    pub items: Vec<Item>,
    #[serde(default)]
    pub knowledge: Vec<Knowledge>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Category {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub name_en: String,
    #[serde(default)]
    pub order: i32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Guide,
    Form,
    Query,
    Print,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Identity {
    Card,
    None,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Status {
    Active,
    Paused {
        notice: String,
        #[serde(default)]
        notice_en: String,
        from: String,
        until: String,
    },
    Offline {
        #[serde(default)]
        notice: String,
        #[serde(default)]
        notice_en: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Section {
    pub title: String,
    #[serde(default)]
    pub title_en: String,
    pub body: String,
    #[serde(default)]
    pub body_en: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Guide {
    pub summary: String,
    #[serde(default)]
    pub summary_en: String,
    #[serde(default)]
    pub sections: Vec<Section>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    Text,
    Digits,
    Phone,
    IdNumber,
    Date,
    Choice,
    Number,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChoiceOption {
    pub value: String,
    pub label: String,
    #[serde(default)]
    pub label_en: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field {
    pub key: String,
    pub label: String,
    #[serde(default)]
    pub label_en: String,
    #[serde(rename = "type")]
    pub field_type: FieldType,
    #[serde(default)]
    pub required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefill: Option<String>,
    #[serde(default)]
    pub locked: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<ChoiceOption>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_len: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_len: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Form {
    pub fields: Vec<Field>,
    pub receipt_title: String,
    #[serde(default)]
    pub receipt_title_en: String,
    #[serde(default)]
    pub result: String,
    #[serde(default)]
    pub result_en: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResultField {
    pub key: String,
    pub label: String,
    #[serde(default)]
    pub label_en: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Query {
    pub service: String,
    #[serde(default)]
    pub result_fields: Vec<ResultField>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrintDoc {
    pub document: String,
    #[serde(default)]
    pub document_en: String,
    #[serde(default)]
    pub needs_online: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub name_en: String,
    pub department: String,
    pub category: String,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default)]
    pub pinyin: String,
    pub kind: Kind,
    pub identity: Identity,
    pub status: Status,
    pub guide: Guide,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form: Option<Form>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<Query>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub print: Option<PrintDoc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Knowledge {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub title_en: String,
    pub category: String,
    pub body: String,
    #[serde(default)]
    pub body_en: String,
    #[serde(default)]
    pub image: Option<String>,
    pub start: String,
    pub expires: String,
}

/// Prefill sources a form field may name.
pub const PREFILL_SOURCES: [&str; 6] =
    ["card.name", "card.id_number", "card.gender", "card.birth_date", "card.address", "card.nation"];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogueError {
    #[error("catalogue is not valid json: {0}")]
    Json(String),
    #[error("catalogue schema {0} is not supported (expected 1)")]
    Schema(u32),
    #[error("item {code}: {problem}")]
    Item { code: String, problem: String },
    #[error("knowledge {id}: {problem}")]
    Knowledge { id: String, problem: String },
    #[error("{0}")]
    Other(String),
}

fn item_err(item: &Item, problem: impl Into<String>) -> CatalogueError {
    CatalogueError::Item { code: item.code.clone(), problem: problem.into() }
}

impl Catalogue {
    /// Parses and validates a catalogue document.
    pub fn from_json(text: &str) -> Result<Catalogue, CatalogueError> {
        let c: Catalogue = serde_json::from_str(text).map_err(|e| CatalogueError::Json(e.to_string()))?;
        c.validate()?;
        Ok(c)
    }

    pub fn validate(&self) -> Result<(), CatalogueError> {
        if self.schema != 1 {
            return Err(CatalogueError::Schema(self.schema));
        }
        if self.version.trim().is_empty() {
            return Err(CatalogueError::Other("catalogue version is empty".into()));
        }
        let categories: HashSet<&str> = self.categories.iter().map(|c| c.code.as_str()).collect();
        let mut codes = HashSet::new();
        for item in &self.items {
            if item.code.is_empty() || !codes.insert(item.code.as_str()) {
                return Err(item_err(item, "empty or duplicate code"));
            }
            if !categories.contains(item.category.as_str()) {
                return Err(item_err(item, format!("unknown category {}", item.category)));
            }
            let blocks = (item.form.is_some(), item.query.is_some(), item.print.is_some());
            let expected = match item.kind {
                Kind::Guide => (false, false, false),
                Kind::Form => (true, false, false),
                Kind::Query => (false, true, false),
                Kind::Print => (false, false, true),
            };
            if blocks != expected {
                return Err(item_err(item, "kind and its form/query/print block do not match"));
            }
            if let Status::Paused { from, until, .. } = &item.status {
                match (time::parse_rfc3339(from), time::parse_rfc3339(until)) {
                    (Some(a), Some(b)) if a < b => {}
                    _ => return Err(item_err(item, "paused status needs from < until (RFC 3339)")),
                }
            }
            if let Some(form) = &item.form {
                let mut keys = HashSet::new();
                for f in &form.fields {
                    if !keys.insert(f.key.as_str()) {
                        return Err(item_err(item, format!("duplicate field {}", f.key)));
                    }
                    if let Some(p) = &f.prefill {
                        if !PREFILL_SOURCES.contains(&p.as_str()) {
                            return Err(item_err(item, format!("field {}: unknown prefill {p}", f.key)));
                        }
                    }
                    if f.field_type == FieldType::Choice && f.options.is_empty() {
                        return Err(item_err(item, format!("field {}: choice without options", f.key)));
                    }
                }
                if item.identity != Identity::Card && form.fields.iter().any(|f| f.prefill.is_some()) {
                    return Err(item_err(item, "prefilled fields need identity card"));
                }
            }
        }
        for k in &self.knowledge {
            if time::parse_date(&k.start).is_none() || time::parse_date(&k.expires).is_none() {
                return Err(CatalogueError::Knowledge { id: k.id.clone(), problem: "start and expires must be YYYY-MM-DD".into() });
            }
        }
        Ok(())
    }

    pub fn item(&self, code: &str) -> Option<&Item> {
        self.items.iter().find(|i| i.code == code)
    }

    /// Knowledge content showable at `now`: started and not expired (expiry day included).
    pub fn live_knowledge(&self, now: i64) -> Vec<&Knowledge> {
        let today = time::local_day(now);
        self.knowledge
            .iter()
            .filter(|k| {
                let start = time::parse_date(&k.start).unwrap_or(i64::MAX);
                let end = time::parse_date(&k.expires).unwrap_or(i64::MIN);
                start <= today && today <= end
            })
            .collect()
    }

    /// Items matching `query` by name, keyword, pinyin initials or category name, best first.
    pub fn search(&self, query: &str) -> Vec<&Item> {
        let q = query.trim().to_lowercase();
        if q.is_empty() {
            return Vec::new();
        }
        let cat_name: BTreeMap<&str, &str> = self.categories.iter().map(|c| (c.code.as_str(), c.name.as_str())).collect();
        let mut scored: Vec<(u32, usize, &Item)> = self
            .items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| {
                let score = if item.name.starts_with(&q) {
                    100
                } else if item.name.contains(&q) {
                    80
                } else if item.pinyin.starts_with(&q) {
                    70
                } else if item.keywords.iter().any(|k| k.contains(&q) || (q.chars().count() >= 2 && q.contains(k.as_str()))) {
                    60
                } else if cat_name.get(item.category.as_str()).is_some_and(|n| n.contains(&q)) {
                    40
                } else if q.is_ascii() && q.len() >= 2 && item.pinyin.contains(&q) {
                    30
                } else if q.is_ascii() && item.name_en.to_lowercase().contains(&q) {
                    20
                } else {
                    return None;
                };
                Some((score, i, item))
            })
            .collect();
        scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        scored.into_iter().map(|(_, _, i)| i).collect()
    }
}

/// Why an item cannot be started now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unavailable {
    /// Paused by the platform, within its pause window.
    Paused,
    /// Taken off line by the platform.
    Offline,
    /// Needs the platform and the terminal is offline.
    NeedsNetwork,
    /// Stopped on this terminal by an assistant or technician.
    StoppedLocally,
}

impl Unavailable {
    pub fn message_zh(self) -> &'static str {
        match self {
            Unavailable::Paused => "该事项暂停办理",
            Unavailable::Offline => "该事项已下线",
            Unavailable::NeedsNetwork => "网络未连接，该事项暂时无法办理，其他事项可正常办理",
            Unavailable::StoppedLocally => "该事项在本机暂停办理",
        }
    }
}

/// An item's availability at a moment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Availability {
    pub available: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<Unavailable>,
    /// The pause notice, shown both during the pause and before it (the advance notice).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice_en: Option<String>,
}

impl Item {
    /// Needs the platform to be reachable to do anything beyond reading the guide.
    pub fn needs_network(&self) -> bool {
        match self.kind {
            Kind::Query => true,
            Kind::Print => self.print.as_ref().is_some_and(|p| p.needs_online),
            Kind::Guide | Kind::Form => false,
        }
    }

    pub fn availability(&self, now: i64, online: bool, stopped_locally: bool) -> Availability {
        let mut a = Availability { available: true, reason: None, notice: None, notice_en: None };
        match &self.status {
            Status::Active => {}
            Status::Paused { notice, notice_en, from, until } => {
                let from = time::parse_rfc3339(from).unwrap_or(i64::MIN);
                let until = time::parse_rfc3339(until).unwrap_or(i64::MAX);
                if now < until {
                    a.notice = Some(notice.clone());
                    a.notice_en = Some(notice_en.clone());
                }
                if from <= now && now < until {
                    a.available = false;
                    a.reason = Some(Unavailable::Paused);
                }
            }
            Status::Offline { notice, notice_en } => {
                a.available = false;
                a.reason = Some(Unavailable::Offline);
                a.notice = (!notice.is_empty()).then(|| notice.clone());
                a.notice_en = (!notice_en.is_empty()).then(|| notice_en.clone());
            }
        }
        if a.available && stopped_locally {
            a.available = false;
            a.reason = Some(Unavailable::StoppedLocally);
        }
        if a.available && !online && self.needs_network() {
            a.available = false;
            a.reason = Some(Unavailable::NeedsNetwork);
        }
        a
    }
}

/// One problem with a submitted form, per field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldProblem {
    pub key: String,
    pub problem: &'static str,
}

fn check_value(field: &Field, value: &str) -> Option<&'static str> {
    let chars = value.chars().count();
    if field.min_len.is_some_and(|m| chars < m) {
        return Some("too_short");
    }
    if field.max_len.is_some_and(|m| chars > m) || chars > 500 {
        return Some("too_long");
    }
    match field.field_type {
        FieldType::Text => value.chars().any(char::is_control).then_some("invalid_characters"),
        FieldType::Digits => (!value.bytes().all(|b| b.is_ascii_digit())).then_some("digits_only"),
        FieldType::Phone => {
            let digits: String = value.chars().filter(|c| *c != '-' && *c != ' ').collect();
            let mobile = digits.len() == 11 && digits.starts_with('1') && digits.bytes().all(|b| b.is_ascii_digit());
            let landline = (10..=12).contains(&digits.len()) && digits.starts_with('0') && digits.bytes().all(|b| b.is_ascii_digit());
            (!(mobile || landline)).then_some("invalid_phone")
        }
        FieldType::IdNumber => (!kiosk_drivers::idcard::card::id_number_valid(value)).then_some("invalid_id_number"),
        FieldType::Date => time::parse_date(value).is_none().then_some("invalid_date"),
        FieldType::Choice => (!field.options.iter().any(|o| o.value == value)).then_some("not_an_option"),
        FieldType::Number => match value.parse::<f64>() {
            Ok(n) if n.is_finite() => {
                if field.min.is_some_and(|m| n < m) || field.max.is_some_and(|m| n > m) {
                    Some("out_of_range")
                } else {
                    None
                }
            }
            _ => Some("not_a_number"),
        },
    }
}

/// Validates complete form values against the schema: required fields present, every value of
/// the right type, no unknown keys.
pub fn validate_form(form: &Form, values: &BTreeMap<String, String>) -> Vec<FieldProblem> {
    let mut problems = Vec::new();
    for key in values.keys() {
        if !form.fields.iter().any(|f| &f.key == key) {
            problems.push(FieldProblem { key: key.clone(), problem: "unknown_field" });
        }
    }
    for f in &form.fields {
        match values.get(&f.key).map(|v| v.trim()) {
            None | Some("") => {
                if f.required {
                    problems.push(FieldProblem { key: f.key.clone(), problem: "required" });
                }
            }
            Some(v) => {
                if let Some(p) = check_value(f, v) {
                    problems.push(FieldProblem { key: f.key.clone(), problem: p });
                }
            }
        }
    }
    problems
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn sample() -> Catalogue {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../assets/catalogue/catalogue.json");
        Catalogue::from_json(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn the_sample_catalogue_is_valid_and_rich_enough() {
        let c = sample();
        assert!(c.items.len() >= 30);
        for cat in ["shebao", "yibao", "yanglao", "gongjijin", "huzheng", "minzheng", "budongchan", "nongye", "shuiwu"] {
            assert!(c.items.iter().filter(|i| i.category == cat).count() >= 2, "{cat}");
        }
        for kind in [Kind::Guide, Kind::Form, Kind::Query, Kind::Print] {
            assert!(c.items.iter().any(|i| i.kind == kind), "{kind:?}");
        }
    }

    #[test]
    fn search_finds_by_name_keyword_and_pinyin() {
        let c = sample();
        let first = |q: &str| c.search(q).first().map(|i| i.name.clone()).unwrap_or_default();
        assert_eq!(first("城乡居民养老保险待遇资格认证"), "城乡居民养老保险待遇资格认证");
        assert!(c.search("资格认证").iter().any(|i| i.name == "城乡居民养老保险待遇资格认证"));
        assert!(c.search("cxjmylbx").iter().any(|i| i.name.starts_with("城乡居民养老保险")));
        assert!(c.search("高龄").iter().any(|i| i.name.contains("高龄津贴")));
        assert!(c.search("   ").is_empty());
        assert!(c.search("zzzzzzzz").is_empty());
    }

    #[test]
    fn availability_follows_status_network_and_time() {
        let c = sample();
        let now = time::parse_rfc3339("2026-12-04T10:00:00+08:00").unwrap();
        let query = c.items.iter().find(|i| i.kind == Kind::Query && i.status == Status::Active).unwrap();
        assert!(query.availability(now, true, false).available);
        assert_eq!(query.availability(now, false, false).reason, Some(Unavailable::NeedsNetwork));
        let form = c.items.iter().find(|i| i.kind == Kind::Form && i.status == Status::Active).unwrap();
        assert!(form.availability(now, false, false).available, "forms work offline");
        assert_eq!(form.availability(now, false, true).reason, Some(Unavailable::StoppedLocally));

        let future_pause = c
            .items
            .iter()
            .find(|i| matches!(&i.status, Status::Paused { from, .. } if time::parse_rfc3339(from).unwrap() > now))
            .expect("a scheduled pause in the sample");
        let a = future_pause.availability(now, true, false);
        assert!(a.available && a.notice.is_some(), "advance notice before the pause");
        let Status::Paused { from, until, .. } = &future_pause.status else { unreachable!() };
        let during = time::parse_rfc3339(from).unwrap() + 60;
        assert_eq!(future_pause.availability(during, true, false).reason, Some(Unavailable::Paused));
        let after = time::parse_rfc3339(until).unwrap();
        let a = future_pause.availability(after, true, false);
        assert!(a.available && a.notice.is_none(), "resumed after the window");
    }

    #[test]
    fn expired_and_future_knowledge_never_shows() {
        let c = sample();
        let now = time::parse_rfc3339("2026-12-04T10:00:00+08:00").unwrap();
        let live = c.live_knowledge(now);
        assert!(!live.is_empty());
        assert!(live.len() < c.knowledge.len(), "the sample holds expired or future content");
        for k in live {
            assert!(time::parse_date(&k.expires).unwrap() >= time::local_day(now));
            assert!(time::parse_date(&k.start).unwrap() <= time::local_day(now));
        }
    }

    #[test]
    fn form_values_are_validated_by_type() {
        let form = Form {
            fields: vec![
                Field { key: "phone".into(), label: "电话".into(), label_en: String::new(), field_type: FieldType::Phone, required: true, prefill: None, locked: false, options: vec![], min_len: None, max_len: None, min: None, max: None },
                Field { key: "id".into(), label: "身份证号".into(), label_en: String::new(), field_type: FieldType::IdNumber, required: true, prefill: Some("card.id_number".into()), locked: true, options: vec![], min_len: None, max_len: None, min: None, max: None },
                Field { key: "n".into(), label: "人数".into(), label_en: String::new(), field_type: FieldType::Number, required: false, prefill: None, locked: false, options: vec![], min_len: None, max_len: None, min: Some(1.0), max: Some(10.0) },
            ],
            receipt_title: "回执".into(),
            receipt_title_en: String::new(),
            result: String::new(),
            result_en: String::new(),
        };
        let mut v = BTreeMap::new();
        assert_eq!(validate_form(&form, &v).len(), 2);
        v.insert("phone".into(), "13800138000".into());
        v.insert("id".into(), "441882195103070022".into());
        assert!(validate_form(&form, &v).is_empty());
        v.insert("n".into(), "11".into());
        v.insert("phone".into(), "12345".into());
        v.insert("hack".into(), "x".into());
        let problems: Vec<&str> = validate_form(&form, &v).iter().map(|p| p.problem).collect();
        assert_eq!(problems, vec!["unknown_field", "invalid_phone", "out_of_range"]);
    }

    #[test]
    fn hostile_documents_are_rejected_clearly() {
        assert!(matches!(Catalogue::from_json("{"), Err(CatalogueError::Json(_))));
        let mut c = sample();
        c.items[1].code = c.items[0].code.clone();
        assert!(c.validate().is_err());
        let mut c = sample();
        c.schema = 9;
        assert_eq!(c.validate(), Err(CatalogueError::Schema(9)));
    }
}
