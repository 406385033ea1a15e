//! The messages of protocol version 1, one type per JSON document, each carrying `"v": 1`.
//!
//! Every request type has a `validate` that checks what serde cannot (lengths, formats, ranges)
//! and names the offending field; the platform calls it on everything it receives, and the agent
//! may call it before sending. Unknown JSON keys are ignored, so a newer peer may add optional
//! keys without a version change; a breaking change bumps [`PROTOCOL_VERSION`].
//!
//! Types that can hold personal data (`TransactionBody::form`, `RatingBody::complaint`) and the
//! one-time enrolment token have `Debug` impls that omit the values.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The protocol version this crate speaks; every message carries it as `"v"`.
pub const PROTOCOL_VERSION: u32 = 1;
/// At most this many records in one [`Batch`].
pub const MAX_BATCH_RECORDS: usize = 500;
/// At most this many bytes of JSON in one [`Batch`] request body.
pub const MAX_BATCH_BYTES: usize = 1024 * 1024;

/// Length limits (in characters) the platform enforces.
pub mod limits {
    pub const SITE_NAME: usize = 100;
    pub const SOFTWARE_VERSION: usize = 64;
    pub const PROBLEM: usize = 200;
    pub const ITEM_CODE: usize = 64;
    pub const ITEM_NAME: usize = 200;
    pub const FORM_FIELDS: usize = 100;
    pub const FORM_KEY: usize = 64;
    pub const FORM_VALUE: usize = 2000;
    pub const REASONS: usize = 20;
    pub const REASON: usize = 100;
    pub const FREE_TEXT: usize = 2000;
    pub const FAULT_CATEGORY: usize = 64;
    pub const FAULT_SOURCE: usize = 64;
    pub const TERMINAL_ID: usize = 64;
    pub const TOKEN: usize = 128;
}

/// The device API's paths, relative to the platform's base URL.
pub mod paths {
    pub const ENROL: &str = "/api/v1/enrol";
    pub const TERMINAL: &str = "/api/v1/terminal";
    pub const HEARTBEAT: &str = "/api/v1/heartbeat";
    pub const OUTBOX: &str = "/api/v1/outbox";
    pub const CATALOGUE: &str = "/api/v1/catalogue";
    pub const CONFIG: &str = "/api/v1/config";
}

/// The `error` codes of [`ErrorBody`] that the agent acts on.
pub mod codes {
    /// The request's JSON is malformed, of the wrong shape, or invalid.
    pub const BAD_REQUEST: &str = "bad_request";
    /// `"v"` is not a version the platform speaks.
    pub const UNSUPPORTED_VERSION: &str = "unsupported_version";
    /// The body is over the platform's limit, or a batch over [`super::MAX_BATCH_RECORDS`] /
    /// [`super::MAX_BATCH_BYTES`]: split it.
    pub const PAYLOAD_TOO_LARGE: &str = "payload_too_large";
    /// Signature headers missing or malformed, body hash mismatch, or a wrong signature.
    pub const BAD_SIGNATURE: &str = "bad_signature";
    /// The timestamp is too far from the platform's clock; the body carries `server_time`.
    pub const STALE_TIMESTAMP: &str = "stale_timestamp";
    /// This nonce was already used: make a new one for every request.
    pub const REPLAYED_NONCE: &str = "replayed_nonce";
    /// The platform does not know this terminal id (never enrolled, or deleted).
    pub const UNKNOWN_TERMINAL: &str = "unknown_terminal";
    /// The body names a different terminal than the signature headers.
    pub const TERMINAL_MISMATCH: &str = "terminal_mismatch";
    /// 403 for a terminal that is `pending` or `rejected`: the code is its status.
    pub const PENDING: &str = "pending";
    pub const REJECTED: &str = "rejected";
    /// 403 for a decommissioned terminal: stop serving and say so.
    pub const DECOMMISSIONED: &str = "decommissioned";
    /// Enrolment: the token is unknown, expired, already used by another key, or the site is
    /// outside the token's division prefix.
    pub const BAD_TOKEN: &str = "bad_token";
    pub const TOKEN_EXPIRED: &str = "token_expired";
    pub const TOKEN_USED: &str = "token_used";
    pub const DIVISION_NOT_ALLOWED: &str = "division_not_allowed";
    /// Enrolment: this public key already belongs to a terminal (enrolled with another token).
    pub const ALREADY_ENROLLED: &str = "already_enrolled";
    /// No catalogue has been published yet.
    pub const NO_CATALOGUE: &str = "no_catalogue";
    /// 503 with `Retry-After`: the platform is busy; 429 likewise.
    pub const OVERLOADED: &str = "overloaded";
}

/// A message's `v` is not [`PROTOCOL_VERSION`], or a field is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("unsupported protocol version {0} (expected {PROTOCOL_VERSION})")]
    Version(u32),
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
}

fn invalid(field: &'static str, reason: impl Into<String>) -> WireError {
    WireError::Invalid { field, reason: reason.into() }
}

/// Checks a message's `v`.
pub fn check_version(v: u32) -> Result<(), WireError> {
    if v == PROTOCOL_VERSION { Ok(()) } else { Err(WireError::Version(v)) }
}

fn text(field: &'static str, s: &str, max: usize, allow_empty: bool) -> Result<(), WireError> {
    if !allow_empty && s.trim().is_empty() {
        return Err(invalid(field, "is empty"));
    }
    if s.chars().count() > max {
        return Err(invalid(field, format!("longer than {max} characters")));
    }
    if s.chars().any(|c| c.is_control() && c != '\n') {
        return Err(invalid(field, "contains control characters"));
    }
    Ok(())
}

/// A 12-digit administrative division code (统计用区划代码: province 2, city 2, county 2,
/// township 3, village 3), e.g. `441802100201`.
pub fn is_division_code(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// A division-code prefix an enrolment token is bound to: 2 to 12 digits (`44` the province,
/// `4418` a city, `441802` a county …).
pub fn is_division_prefix(s: &str) -> bool {
    (2..=12).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
}

/// A record's idempotency key: a UUID in canonical text form (`8-4-4-4-12` hex digits). The
/// agent makes them with UUID v7, so keys sort by creation time.
pub fn is_record_key(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| if matches!(i, 8 | 13 | 18 | 23) { *c == b'-' } else { c.is_ascii_hexdigit() })
}

/// A terminal id as the platform makes them (`T-` and a UUID), or anything of the same
/// alphabet up to 64 characters.
pub fn is_terminal_id(s: &str) -> bool {
    !s.is_empty() && s.len() <= limits::TERMINAL_ID && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

// ----- enrolment and the terminal's record -----

/// Where a terminal stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Site {
    /// The service station's name, e.g. `清城区东城街道大塘村党群服务中心`.
    pub name: String,
    /// The village's 12-digit division code.
    pub division_code: String,
}

impl Site {
    pub fn validate(&self) -> Result<(), WireError> {
        text("site.name", &self.name, limits::SITE_NAME, false)?;
        if !is_division_code(&self.division_code) {
            return Err(invalid("site.division_code", "must be 12 digits"));
        }
        Ok(())
    }
}

/// A terminal's state on the platform.
///
/// `pending` (enrolled, waiting for approval) -> `approved` or `rejected`; `approved` ->
/// `relocated` (moved to a new site, which the platform approved) or `decommissioned`;
/// `relocated` -> `relocated` again or `decommissioned`. Only `approved` and `relocated`
/// terminals may sync ([`TerminalStatus::serves`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TerminalStatus {
    Pending,
    Approved,
    Rejected,
    Relocated,
    Decommissioned,
}

impl TerminalStatus {
    pub const ALL: [TerminalStatus; 5] = [Self::Pending, Self::Approved, Self::Rejected, Self::Relocated, Self::Decommissioned];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Relocated => "relocated",
            Self::Decommissioned => "decommissioned",
        }
    }

    /// May the terminal serve citizens and sync?
    pub fn serves(self) -> bool {
        matches!(self, Self::Approved | Self::Relocated)
    }
}

impl fmt::Display for TerminalStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TerminalStatus {
    type Err = WireError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|t| t.as_str() == s).ok_or_else(|| invalid("status", format!("unknown status {:?}", s.chars().take(20).collect::<String>())))
    }
}

/// `POST /api/v1/enrol` (the only unsigned device request).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolRequest {
    pub v: u32,
    /// The one-time enrolment token an administrator issued.
    pub token: String,
    /// The terminal's Ed25519 public key, 64 hex digits.
    pub public_key: String,
    pub site: Site,
    pub software_version: String,
}

impl fmt::Debug for EnrolRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnrolRequest")
            .field("v", &self.v)
            .field("token", &"<omitted>")
            .field("public_key", &self.public_key)
            .field("site", &self.site)
            .field("software_version", &self.software_version)
            .finish()
    }
}

impl EnrolRequest {
    pub fn new(token: impl Into<String>, public_key: impl Into<String>, site: Site, software_version: impl Into<String>) -> Self {
        EnrolRequest { v: PROTOCOL_VERSION, token: token.into(), public_key: public_key.into(), site, software_version: software_version.into() }
    }

    pub fn validate(&self) -> Result<(), WireError> {
        check_version(self.v)?;
        if self.token.is_empty() || self.token.len() > limits::TOKEN || !self.token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(invalid("token", "malformed"));
        }
        crate::sign::parse_public_key(&self.public_key).map_err(|e| invalid("public_key", e.to_string()))?;
        self.site.validate()?;
        text("software_version", &self.software_version, limits::SOFTWARE_VERSION, false)
    }
}

/// The answer to an enrolment: the terminal's id and its status (`pending` until an
/// administrator approves it, `approved` at once for a pre-approved token). Enrolling again with
/// the same token and key answers the same (a lost answer can be retried).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolResponse {
    pub v: u32,
    pub terminal_id: String,
    pub status: TerminalStatus,
}

/// `GET /api/v1/terminal`: the terminal's own record. Answered whatever the status, so a pending
/// terminal can poll for approval and a decommissioned one learns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TerminalInfo {
    pub v: u32,
    pub terminal_id: String,
    pub status: TerminalStatus,
    /// Why the status was set (rejection or decommission reason), when an administrator said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    /// The terminal's current site (after a relocation, the new one).
    pub site: Site,
    /// Send a heartbeat this often.
    pub heartbeat_s: u32,
    /// The platform shows the terminal offline after this long without a heartbeat.
    pub offline_after_s: u32,
    pub enrolled_at: i64,
    pub status_changed_at: i64,
}

// ----- heartbeat -----

/// The state of a device as the terminal sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceState {
    Ready,
    Absent,
    Error,
}

impl DeviceState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ready => "ready",
            Self::Absent => "absent",
            Self::Error => "error",
        }
    }
}

/// The ID-card reader.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceHealth {
    pub state: DeviceState,
    /// A short machine-readable or plain-language problem, never personal data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

/// The receipt printer's paper.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Paper {
    Ok,
    NearEnd,
    Out,
    Unknown,
}

impl Paper {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::NearEnd => "near_end",
            Self::Out => "out",
            Self::Unknown => "unknown",
        }
    }
}

/// The receipt printer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrinterHealth {
    pub state: DeviceState,
    pub paper: Paper,
    #[serde(default)]
    pub cover_open: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

/// What waits in the terminal's outbox (transactions, ratings and fault reports not yet
/// acknowledged).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxDepth {
    pub pending: u64,
    /// Age of the oldest unsent record, seconds; `None` when the outbox is empty.
    #[serde(default)]
    pub oldest_age_s: Option<i64>,
}

/// `POST /api/v1/heartbeat`, every `heartbeat_s` seconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Heartbeat {
    pub v: u32,
    pub terminal_id: String,
    /// The terminal's clock, Unix seconds (the platform shows the offset to its own).
    pub at: i64,
    pub reader: DeviceHealth,
    pub printer: PrinterHealth,
    pub outbox: OutboxDepth,
    /// The catalogue version the terminal is serving, if it has one.
    #[serde(default)]
    pub catalogue_version: Option<String>,
    pub software_version: String,
    pub uptime_s: u64,
    pub disk_free_bytes: u64,
    /// Since when the agent has been exchanging with the platform without a failure (Unix s).
    #[serde(default)]
    pub online_since: Option<i64>,
}

impl Heartbeat {
    pub fn validate(&self) -> Result<(), WireError> {
        check_version(self.v)?;
        if !is_terminal_id(&self.terminal_id) {
            return Err(invalid("terminal_id", "malformed"));
        }
        if let Some(p) = &self.reader.problem {
            text("reader.problem", p, limits::PROBLEM, true)?;
        }
        if let Some(p) = &self.printer.problem {
            text("printer.problem", p, limits::PROBLEM, true)?;
        }
        if let Some(c) = &self.catalogue_version {
            text("catalogue_version", c, limits::SOFTWARE_VERSION, false)?;
        }
        text("software_version", &self.software_version, limits::SOFTWARE_VERSION, false)
    }
}

/// The answer to a heartbeat: the platform's clock, the latest catalogue and configuration
/// versions (pull them when they differ from what the terminal has) and the terminal's status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeartbeatAck {
    pub v: u32,
    pub server_time: i64,
    /// The latest published catalogue version; `None` before the first publication.
    #[serde(default)]
    pub catalogue_version: Option<String>,
    pub config_version: u64,
    pub status: TerminalStatus,
}

// ----- outbox -----

/// What a record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    Transaction,
    Rating,
    Fault,
}

impl RecordKind {
    pub const ALL: [RecordKind; 3] = [Self::Transaction, Self::Rating, Self::Fault];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Transaction => "transaction",
            Self::Rating => "rating",
            Self::Fault => "fault",
        }
    }
}

/// One outbox row. `key` is the idempotency key: the platform applies a key once, however
/// often it arrives, and acknowledges it every time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub key: String,
    pub kind: RecordKind,
    /// When the terminal created it (Unix s, the terminal's clock).
    pub created_at: i64,
    /// The kind's body: [`TransactionBody`], [`RatingBody`] or [`FaultBody`].
    pub body: Value,
}

/// A record's body, typed.
#[derive(Debug, Clone, PartialEq)]
pub enum RecordBody {
    Transaction(TransactionBody),
    Rating(RatingBody),
    Fault(FaultBody),
}

impl Record {
    fn with(key: impl Into<String>, kind: RecordKind, created_at: i64, body: Value) -> Record {
        Record { key: key.into(), kind, created_at, body }
    }

    pub fn transaction(key: impl Into<String>, created_at: i64, body: &TransactionBody) -> Record {
        Self::with(key, RecordKind::Transaction, created_at, serde_json::to_value(body).unwrap_or(Value::Null))
    }

    pub fn rating(key: impl Into<String>, created_at: i64, body: &RatingBody) -> Record {
        Self::with(key, RecordKind::Rating, created_at, serde_json::to_value(body).unwrap_or(Value::Null))
    }

    pub fn fault(key: impl Into<String>, created_at: i64, body: &FaultBody) -> Record {
        Self::with(key, RecordKind::Fault, created_at, serde_json::to_value(body).unwrap_or(Value::Null))
    }

    /// Checks the key and parses and validates the body for the record's kind.
    pub fn parse(&self) -> Result<RecordBody, WireError> {
        if !is_record_key(&self.key) {
            return Err(invalid("key", "not a UUID"));
        }
        fn typed<T: serde::de::DeserializeOwned>(v: &Value) -> Result<T, WireError> {
            T::deserialize(v).map_err(|e| invalid("body", e.to_string()))
        }
        let body = match self.kind {
            RecordKind::Transaction => RecordBody::Transaction(typed(&self.body)?),
            RecordKind::Rating => RecordBody::Rating(typed(&self.body)?),
            RecordKind::Fault => RecordBody::Fault(typed(&self.body)?),
        };
        match &body {
            RecordBody::Transaction(b) => b.validate()?,
            RecordBody::Rating(b) => b.validate()?,
            RecordBody::Fault(b) => b.validate()?,
        }
        Ok(body)
    }
}

/// A submitted service (办件).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionBody {
    pub item_code: String,
    pub item_name: String,
    /// An assistant helped (协助办理).
    #[serde(default)]
    pub assisted: bool,
    /// Elderly mode was on.
    #[serde(default)]
    pub elderly: bool,
    /// The form's values by field key. Personal data (name, ID number, phone …): sent only over
    /// TLS, sealed at rest on the platform, masked in every export; never logged.
    #[serde(default)]
    pub form: BTreeMap<String, String>,
}

impl fmt::Debug for TransactionBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransactionBody")
            .field("item_code", &self.item_code)
            .field("item_name", &self.item_name)
            .field("assisted", &self.assisted)
            .field("elderly", &self.elderly)
            .field("form_keys", &self.form.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl TransactionBody {
    pub fn validate(&self) -> Result<(), WireError> {
        text("item_code", &self.item_code, limits::ITEM_CODE, false)?;
        text("item_name", &self.item_name, limits::ITEM_NAME, false)?;
        if self.form.len() > limits::FORM_FIELDS {
            return Err(invalid("form", format!("more than {} fields", limits::FORM_FIELDS)));
        }
        for (k, v) in &self.form {
            text("form key", k, limits::FORM_KEY, false)?;
            text("form value", v, limits::FORM_VALUE, true)?;
        }
        Ok(())
    }
}

/// A 好差评 rating, five levels: 5 非常满意, 4 满意, 3 基本满意, 2 不满意, 1 非常不满意.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RatingBody {
    /// The transaction rated, when the rating followed one.
    #[serde(default)]
    pub transaction_key: Option<String>,
    pub item_code: String,
    pub level: u8,
    #[serde(default)]
    pub reasons: Vec<String>,
    /// Free text a citizen typed; may hold personal data.
    #[serde(default)]
    pub complaint: Option<String>,
}

impl fmt::Debug for RatingBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RatingBody")
            .field("transaction_key", &self.transaction_key)
            .field("item_code", &self.item_code)
            .field("level", &self.level)
            .field("reasons", &self.reasons)
            .field("complaint_chars", &self.complaint.as_ref().map(|c| c.chars().count()))
            .finish()
    }
}

impl RatingBody {
    pub fn validate(&self) -> Result<(), WireError> {
        if let Some(k) = &self.transaction_key {
            if !is_record_key(k) {
                return Err(invalid("transaction_key", "not a UUID"));
            }
        }
        text("item_code", &self.item_code, limits::ITEM_CODE, false)?;
        if !(1..=5).contains(&self.level) {
            return Err(invalid("level", "must be 1 to 5"));
        }
        if self.reasons.len() > limits::REASONS {
            return Err(invalid("reasons", format!("more than {}", limits::REASONS)));
        }
        for r in &self.reasons {
            text("reasons", r, limits::REASON, false)?;
        }
        if let Some(c) = &self.complaint {
            text("complaint", c, limits::FREE_TEXT, true)?;
        }
        Ok(())
    }
}

/// A fault report (报障), by an assistant or raised by the terminal itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultBody {
    /// e.g. `printer`, `reader`, `screen`, `network`, `other`.
    pub category: String,
    #[serde(default)]
    pub text: String,
    /// Who raised it: `assistant`, `device`, `daemon` ….
    pub source: String,
}

impl FaultBody {
    pub fn validate(&self) -> Result<(), WireError> {
        text("category", &self.category, limits::FAULT_CATEGORY, false)?;
        text("text", &self.text, limits::FREE_TEXT, true)?;
        text("source", &self.source, limits::FAULT_SOURCE, false)
    }
}

/// `POST /api/v1/outbox`: at most [`MAX_BATCH_RECORDS`] records and [`MAX_BATCH_BYTES`] of JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Batch {
    pub v: u32,
    pub terminal_id: String,
    pub records: Vec<Record>,
}

impl Batch {
    pub fn new(terminal_id: impl Into<String>, records: Vec<Record>) -> Batch {
        Batch { v: PROTOCOL_VERSION, terminal_id: terminal_id.into(), records }
    }

    /// Checks the envelope (version, terminal id, record count). Records are checked one by one
    /// with [`Record::parse`]: a bad record is rejected alone, the rest of the batch applies.
    pub fn validate(&self) -> Result<(), WireError> {
        check_version(self.v)?;
        if !is_terminal_id(&self.terminal_id) {
            return Err(invalid("terminal_id", "malformed"));
        }
        if self.records.len() > MAX_BATCH_RECORDS {
            return Err(invalid("records", format!("more than {MAX_BATCH_RECORDS}")));
        }
        Ok(())
    }
}

/// A record the platform will never apply (the agent must not send it again as it is).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejected {
    pub key: String,
    /// `invalid_key` or `invalid_body`.
    pub reason: String,
    #[serde(default)]
    pub detail: String,
}

/// The answer to a batch. `acknowledged` lists every key of the batch that is now stored on the
/// platform, including those applied by an earlier delivery: the agent may mark all of them
/// acknowledged. Keys in neither list were not in the batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchAck {
    pub v: u32,
    pub acknowledged: Vec<String>,
    #[serde(default)]
    pub rejected: Vec<Rejected>,
}

// ----- configuration -----

/// `GET /api/v1/config` (ETag `"<version>"`): settings the platform pushes to every terminal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TerminalConfig {
    pub v: u32,
    /// Increases with every change.
    pub version: u64,
    pub heartbeat_s: u32,
    pub offline_after_s: u32,
    /// Further settings by name; a terminal ignores the ones it does not know.
    #[serde(default)]
    pub settings: BTreeMap<String, Value>,
}

// ----- errors -----

/// Every error answer of the platform: `{"error": code, "message": …}` plus, where it applies,
/// the terminal's `status` (403) and the platform's clock (`stale_timestamp`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<TerminalStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_time: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const KEY: &str = "0193a4f2-7c1e-7b3a-9f00-000000000001";

    #[test]
    fn statuses_are_snake_case_and_round_trip() {
        for s in TerminalStatus::ALL {
            assert_eq!(serde_json::to_value(s).unwrap(), json!(s.as_str()));
            assert_eq!(s.as_str().parse::<TerminalStatus>().unwrap(), s);
        }
        assert!("Approved".parse::<TerminalStatus>().is_err());
        assert!(TerminalStatus::Relocated.serves() && !TerminalStatus::Pending.serves());
    }

    #[test]
    fn a_heartbeat_has_the_documented_shape() {
        let hb = Heartbeat {
            v: PROTOCOL_VERSION,
            terminal_id: "T-0193a4f2-7c1e-7b3a-9f00-000000000001".into(),
            at: 1_796_000_000,
            reader: DeviceHealth { state: DeviceState::Ready, problem: None },
            printer: PrinterHealth { state: DeviceState::Ready, paper: Paper::NearEnd, cover_open: false, problem: None },
            outbox: OutboxDepth { pending: 3, oldest_age_s: Some(120) },
            catalogue_version: Some("2026.12.01.1".into()),
            software_version: "0.1.0".into(),
            uptime_s: 3600,
            disk_free_bytes: 1 << 30,
            online_since: None,
        };
        hb.validate().unwrap();
        let v = serde_json::to_value(&hb).unwrap();
        assert_eq!(v["v"], 1);
        assert_eq!(v["printer"]["paper"], "near_end");
        assert_eq!(v["reader"], json!({ "state": "ready" }));
        assert_eq!(serde_json::from_value::<Heartbeat>(v).unwrap(), hb);
        let mut bad = hb.clone();
        bad.v = 2;
        assert_eq!(bad.validate(), Err(WireError::Version(2)));
        let mut bad = hb;
        bad.printer.problem = Some("x".repeat(201));
        assert!(bad.validate().is_err());
    }

    #[test]
    fn records_parse_by_kind_and_validate() {
        let t = TransactionBody {
            item_code: "11440000009511114X4442182945000".into(),
            item_name: "城乡居民养老保险待遇资格认证".into(),
            assisted: true,
            elderly: false,
            form: BTreeMap::from([("id_number".into(), "441882195103070022".into())]),
        };
        let r = Record::transaction(KEY, 10, &t);
        assert_eq!(r.parse().unwrap(), RecordBody::Transaction(t.clone()));
        assert!(!format!("{t:?}").contains("441882"), "Debug omits form values");
        let rating = RatingBody { transaction_key: Some(KEY.into()), item_code: "c".into(), level: 5, reasons: vec!["快".into()], complaint: Some("电话13800138000".into()) };
        assert!(!format!("{rating:?}").contains("138001"));
        assert!(Record::rating(KEY, 10, &rating).parse().is_ok());
        let mut bad = rating.clone();
        bad.level = 6;
        assert!(Record::rating(KEY, 10, &bad).parse().is_err());
        bad.level = 0;
        assert!(Record::rating(KEY, 10, &bad).parse().is_err());
        let fault = FaultBody { category: "printer".into(), text: "卡纸".into(), source: "assistant".into() };
        assert!(Record::fault(KEY, 10, &fault).parse().is_ok());
        // A body of the wrong kind, a bad key, wrong types.
        assert!(Record { kind: RecordKind::Rating, ..Record::fault(KEY, 10, &fault) }.parse().is_err());
        assert!(Record::fault("not-a-key", 10, &fault).parse().is_err());
        assert!(Record { key: KEY.into(), kind: RecordKind::Fault, created_at: 0, body: json!({ "category": 1, "source": "x" }) }.parse().is_err());
        assert!(Record { key: KEY.into(), kind: RecordKind::Transaction, created_at: 0, body: json!(null) }.parse().is_err());
    }

    #[test]
    fn record_json_uses_snake_case_kinds() {
        let r: Record = serde_json::from_value(json!({ "key": KEY, "kind": "fault", "created_at": 1, "body": { "category": "x", "source": "y" } })).unwrap();
        assert_eq!(r.kind, RecordKind::Fault);
        assert!(serde_json::from_value::<Record>(json!({ "key": KEY, "kind": "Fault", "created_at": 1, "body": {} })).is_err());
    }

    #[test]
    fn formats() {
        assert!(is_record_key(KEY));
        assert!(is_record_key(&KEY.to_uppercase()));
        assert!(!is_record_key(&KEY[1..]));
        assert!(!is_record_key("0193a4f2x7c1e-7b3a-9f00-000000000001"));
        assert!(is_division_code("441802100201"));
        assert!(!is_division_code("44180210020"));
        assert!(!is_division_code("44180210020a"));
        assert!(is_division_prefix("4418") && !is_division_prefix("4") && !is_division_prefix("4418021002011"));
        assert!(is_terminal_id("T-0193a4f2-7c1e-7b3a-9f00-000000000001"));
        assert!(!is_terminal_id("T 1") && !is_terminal_id("") && !is_terminal_id(&"x".repeat(65)));
        let site = Site { name: "大塘村党群服务中心".into(), division_code: "441802100201".into() };
        site.validate().unwrap();
        assert!(Site { name: " ".into(), ..site.clone() }.validate().is_err());
        assert!(Site { name: "a\u{7}".into(), ..site.clone() }.validate().is_err());
    }

    #[test]
    fn enrol_request_hides_its_token() {
        let r = EnrolRequest::new("secret-token-value", "00".repeat(32), Site { name: "x".into(), division_code: "441802100201".into() }, "0.1.0");
        assert!(!format!("{r:?}").contains("secret-token-value"));
    }

    #[test]
    fn batches_are_bounded() {
        let fault = FaultBody { category: "x".into(), text: String::new(), source: "y".into() };
        let records = (0..=MAX_BATCH_RECORDS).map(|_| Record::fault(KEY, 0, &fault)).collect::<Vec<_>>();
        let mut b = Batch::new("T-1", records);
        assert!(b.validate().is_err());
        b.records.truncate(MAX_BATCH_RECORDS);
        assert!(b.validate().is_ok());
    }
}
