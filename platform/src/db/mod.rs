//! Storage behind one trait, [`Storage`], so the service does not know which database it runs on.
//! [`sqlite::SqliteStorage`] (bundled SQLite, WAL, `synchronous=FULL`) is chosen by
//! [`DbUrl::Sqlite`]; [`pg::PgStorage`] (the synchronous `postgres` client with a small
//! connection pool, no TLS) by [`DbUrl::Postgres`]. The methods are synchronous and called from
//! a blocking thread.
//!
//! Invariants every implementation keeps:
//! - A batch is one database transaction: each record's key goes into the `applied` ledger
//!   (unique per terminal) and, only when the key is new, into its kind's table. A key is
//!   therefore applied at most once, whatever the number of deliveries, and every key of a
//!   committed batch is acknowledged.
//! - A nonce is recorded in the same statement that checks it (insert-or-ignore on a unique key).
//! - Catalogue versions only increase: the comparison happens inside the publishing transaction.
//! - Personal data arrives sealed ([`PreparedBody::Transaction::form_sealed`]) or already
//!   masked/scrubbed; storage never sees a plaintext form.

pub mod pg;
pub mod sqlite;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use kiosk_wire::{RecordKind, Site, TerminalStatus};
use serde::Serialize;
use serde_json::Value;

/// Where the data lives, from `--db`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl DbUrl {
    /// `sqlite:///abs/path.db`, `sqlite://relative.db`, `sqlite:path.db`, a plain path, or
    /// `postgres://…` / `postgresql://…`.
    pub fn parse(s: &str) -> Result<DbUrl, StoreError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(StoreError::Url("empty database url".into()));
        }
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            return Ok(DbUrl::Postgres(s.to_string()));
        }
        if let Some(p) = s.strip_prefix("sqlite://").or_else(|| s.strip_prefix("sqlite:")) {
            if p.is_empty() {
                return Err(StoreError::Url("sqlite url without a path".into()));
            }
            return Ok(DbUrl::Sqlite(PathBuf::from(p)));
        }
        if let Some((scheme, _)) = s.split_once("://") {
            return Err(StoreError::Url(format!("unknown database scheme {scheme:?} (use sqlite:///path or a file path)")));
        }
        Ok(DbUrl::Sqlite(PathBuf::from(s)))
    }

    /// Safe to print: a PostgreSQL password is hidden.
    pub fn display(&self) -> String {
        match self {
            DbUrl::Sqlite(p) => format!("sqlite://{}", p.display()),
            DbUrl::Postgres(u) => match (u.find("://"), u.rfind('@')) {
                (Some(a), Some(b)) if b > a => format!("{}://***@{}", &u[..a], &u[b + 1..]),
                _ => u.clone(),
            },
        }
    }
}

/// Opens the storage a URL names (creating and migrating a SQLite file; connecting to and
/// migrating a PostgreSQL database, which must exist).
pub fn open(url: &DbUrl) -> Result<Arc<dyn Storage>, StoreError> {
    match url {
        DbUrl::Sqlite(path) => Ok(Arc::new(sqlite::SqliteStorage::open(path)?)),
        DbUrl::Postgres(url) => Ok(Arc::new(pg::PgStorage::open(url)?)),
    }
}

/// A domain refusal: the request was understood and is not allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("unknown enrolment token")]
    BadToken,
    #[error("the enrolment token has expired")]
    TokenExpired,
    #[error("the enrolment token was already used by another terminal")]
    TokenUsed,
    #[error("the site's division code is outside the token's prefix {prefix}")]
    DivisionNotAllowed { prefix: String },
    #[error("this public key is already enrolled as {terminal_id}")]
    AlreadyEnrolled { terminal_id: String },
    #[error("no such {what}: {id}")]
    NotFound { what: &'static str, id: String },
    #[error("cannot {action} a terminal that is {from}")]
    BadTransition { from: TerminalStatus, action: &'static str },
    #[error("catalogue version {offered} is not newer than the published {current}")]
    VersionNotNewer { current: String, offered: String },
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database: {}", pg_detail(.0))]
    Postgres(#[from] postgres::Error),
    #[error("the database is busy")]
    Busy,
    #[error("cannot create the data folder {path}: {source}")]
    DataDir { path: String, source: std::io::Error },
    #[error("database url: {0}")]
    Url(String),
    #[error("{0}")]
    Unsupported(String),
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Refused(#[from] Refusal),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A PostgreSQL error with its cause (the client's own `Display` says only "db error").
fn pg_detail(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => match std::error::Error::source(e) {
            Some(cause) => format!("{e}: {cause}"),
            None => e.to_string(),
        },
    }
}

// ----- rows and inputs -----

/// A new enrolment token (the secret itself is never stored, only its hash).
#[derive(Debug, Clone)]
pub struct NewToken {
    pub id: String,
    pub secret_hash: String,
    pub division_prefix: String,
    pub preapproved: bool,
    pub note: String,
    pub created_at: i64,
    pub expires_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenRow {
    pub id: String,
    pub division_prefix: String,
    pub preapproved: bool,
    pub note: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub used_by: Option<String>,
}

/// An enrolment request after validation.
#[derive(Debug, Clone)]
pub struct Enrolment {
    /// The id to give the terminal if this enrolment creates one.
    pub new_id: String,
    pub token_hash: String,
    pub public_key: String,
    pub site: Site,
    pub software_version: String,
    pub now: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TerminalRow {
    pub id: String,
    pub public_key: String,
    pub status: TerminalStatus,
    pub status_reason: Option<String>,
    pub site: Site,
    pub software_version: String,
    pub token_id: String,
    pub enrolled_at: i64,
    pub status_changed_at: i64,
    /// Last authenticated request of any kind (platform clock).
    pub last_seen_at: Option<i64>,
    /// Last heartbeat (platform clock) and its body as received (JSON text).
    pub last_heartbeat_at: Option<i64>,
    #[serde(skip)]
    pub last_heartbeat: Option<String>,
    pub outbox_pending: Option<i64>,
    pub outbox_oldest_s: Option<i64>,
    /// Platform clock minus the terminal's, at the last heartbeat.
    pub clock_offset_s: Option<i64>,
}

impl TerminalRow {
    /// Online: a heartbeat within `offline_after_s` of `now`.
    pub fn online(&self, now: i64, offline_after_s: u32) -> bool {
        self.last_heartbeat_at.is_some_and(|t| now.saturating_sub(t) <= offline_after_s as i64)
    }
}

/// An administrator's decision about a terminal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transition {
    Approve,
    Reject,
    Relocate(Site),
    Decommission,
}

impl Transition {
    pub fn action(&self) -> &'static str {
        match self {
            Transition::Approve => "approve",
            Transition::Reject => "reject",
            Transition::Relocate(_) => "relocate",
            Transition::Decommission => "decommission",
        }
    }

    /// The status after this transition from `from`, or `None` when it is not allowed.
    pub fn target(&self, from: TerminalStatus) -> Option<TerminalStatus> {
        use TerminalStatus::*;
        match (self, from) {
            (Transition::Approve, Pending) => Some(Approved),
            (Transition::Reject, Pending) => Some(Rejected),
            (Transition::Relocate(_), Approved | Relocated) => Some(Relocated),
            (Transition::Decommission, Pending | Approved | Rejected | Relocated) => Some(Decommissioned),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventRow {
    pub at: i64,
    pub event: String,
    pub detail: String,
}

/// A validated outbox record, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct PreparedRecord {
    pub key: String,
    pub created_at: i64,
    pub body: PreparedBody,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PreparedBody {
    Transaction {
        item_code: String,
        item_name: String,
        assisted: bool,
        elderly: bool,
        /// The form sealed with the data key (associated data `terminal_id/key`).
        form_sealed: Vec<u8>,
        name_masked: String,
        id_masked: String,
    },
    Rating {
        transaction_key: Option<String>,
        item_code: String,
        level: u8,
        reasons: Vec<String>,
        /// Scrubbed of long digit runs.
        complaint: Option<String>,
    },
    Fault {
        category: String,
        /// Scrubbed of long digit runs.
        text: String,
        source: String,
    },
}

impl PreparedBody {
    pub fn kind(&self) -> RecordKind {
        match self {
            PreparedBody::Transaction { .. } => RecordKind::Transaction,
            PreparedBody::Rating { .. } => RecordKind::Rating,
            PreparedBody::Fault { .. } => RecordKind::Fault,
        }
    }
}

/// What a heartbeat changes on the terminal's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeartbeatUpdate {
    /// The heartbeat as received (JSON text), shown as the terminal's health.
    pub body_json: String,
    /// The terminal's clock.
    pub at: i64,
    pub outbox_pending: u64,
    pub outbox_oldest_s: Option<i64>,
    pub software_version: String,
}

/// A published catalogue as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCatalogue {
    pub version: String,
    pub document: String,
    pub signature: String,
    pub key_id: String,
    pub published_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredConfig {
    pub version: u64,
    pub heartbeat_s: u32,
    pub settings: BTreeMap<String, Value>,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FaultRow {
    pub id: i64,
    pub terminal_id: String,
    pub site_name: String,
    pub division_code: String,
    pub key: String,
    pub category: String,
    pub text: String,
    pub source: String,
    pub created_at: i64,
    pub received_at: i64,
    pub closed_at: Option<i64>,
    pub close_note: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultFilter {
    Open,
    Closed,
    All,
}

/// Which records the statistics count: by their creation time on the terminal, and by region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatsQuery {
    pub since: Option<i64>,
    pub until: Option<i64>,
    /// Digits of the division code that make a region: 2 province, 4 city, 6 county, 9 township,
    /// 12 village.
    pub region_digits: usize,
    /// Only this division prefix.
    pub division_prefix: Option<String>,
    /// Only this terminal.
    pub terminal_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemStats {
    pub item_code: String,
    pub item_name: String,
    pub transactions: u64,
    pub assisted: u64,
    pub elderly: u64,
    pub ratings: u64,
    pub avg_level: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegionStats {
    pub region: String,
    pub terminals: u64,
    pub transactions: u64,
    pub ratings: u64,
    pub avg_level: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stats {
    pub by_item: Vec<ItemStats>,
    pub by_region: Vec<RegionStats>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    Transactions,
    Ratings,
    Usage,
}

impl ExportKind {
    pub fn parse(s: &str) -> Option<ExportKind> {
        match s {
            "transactions" => Some(ExportKind::Transactions),
            "ratings" => Some(ExportKind::Ratings),
            "usage" => Some(ExportKind::Usage),
            _ => None,
        }
    }
}

/// Which rows an export holds. Transactions and ratings: received (platform clock) in
/// `[since, until)` and with `seq > after`, at most `limit`, in `seq` order, so an incremental
/// export passes the last `seq` it got. Usage: days of creation in `[since, until)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportQuery {
    pub since: Option<i64>,
    pub until: Option<i64>,
    pub after: Option<i64>,
    pub limit: usize,
}

/// One cell of an export.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Int(i64),
    Float(f64),
    Bool(bool),
    Text(String),
}

/// An export: column names and rows in column order.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub columns: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
}

/// Counts for `/metrics` and the fleet summary.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub terminals: BTreeMap<String, u64>,
    pub online: u64,
    pub records: BTreeMap<String, u64>,
    pub outbox_pending: u64,
    pub outbox_oldest_s: i64,
    pub open_faults: u64,
}

/// Everything the service stores. Methods block; the HTTP layer calls them on a blocking
/// thread.
pub trait Storage: Send + Sync {
    fn create_token(&self, token: &NewToken) -> StoreResult<TokenRow>;
    fn tokens(&self) -> StoreResult<Vec<TokenRow>>;

    /// Enrols a terminal with a one-time token. The same token and key again answer the same
    /// terminal (`false`: not created now).
    fn enrol(&self, e: &Enrolment) -> StoreResult<(TerminalRow, bool)>;
    fn terminal(&self, id: &str) -> StoreResult<Option<TerminalRow>>;
    fn terminals(&self) -> StoreResult<Vec<TerminalRow>>;
    fn terminal_events(&self, id: &str, limit: usize) -> StoreResult<Vec<EventRow>>;
    fn transition(&self, id: &str, t: &Transition, reason: Option<&str>, now: i64) -> StoreResult<TerminalRow>;

    /// Records a nonce (and that the terminal was seen). `false` when it was already used.
    fn use_nonce(&self, terminal_id: &str, nonce: &str, now: i64) -> StoreResult<bool>;
    /// Forgets nonces seen before `before`.
    fn purge_nonces(&self, before: i64) -> StoreResult<usize>;

    fn heartbeat(&self, terminal_id: &str, hb: &HeartbeatUpdate, now: i64) -> StoreResult<()>;
    /// Applies a batch in one transaction; for each record, whether it was applied now (`false`:
    /// applied by an earlier delivery).
    fn apply_batch(&self, terminal: &TerminalRow, records: &[PreparedRecord], now: i64) -> StoreResult<Vec<bool>>;

    fn catalogue(&self) -> StoreResult<Option<StoredCatalogue>>;
    /// The latest published version only (cheap: every heartbeat answer carries it).
    fn catalogue_version(&self) -> StoreResult<Option<String>>;
    /// Publishes a catalogue whose version must be newer than the current one.
    fn publish_catalogue(&self, c: &StoredCatalogue) -> StoreResult<()>;

    fn config(&self) -> StoreResult<StoredConfig>;
    fn set_config(&self, heartbeat_s: Option<u32>, settings: Option<BTreeMap<String, Value>>, now: i64) -> StoreResult<StoredConfig>;

    fn faults(&self, filter: FaultFilter, terminal_id: Option<&str>, limit: usize) -> StoreResult<Vec<FaultRow>>;
    fn close_fault(&self, id: i64, note: &str, now: i64) -> StoreResult<FaultRow>;
    fn open_faults_by_terminal(&self) -> StoreResult<BTreeMap<String, u64>>;

    fn stats(&self, q: &StatsQuery) -> StoreResult<Stats>;
    fn export(&self, kind: ExportKind, q: &ExportQuery) -> StoreResult<Table>;
    fn counts(&self, online_cutoff: i64) -> StoreResult<Counts>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(DbUrl::parse("sqlite:///var/lib/k/p.db").unwrap(), DbUrl::Sqlite("/var/lib/k/p.db".into()));
        assert_eq!(DbUrl::parse("sqlite://p.db").unwrap(), DbUrl::Sqlite("p.db".into()));
        assert_eq!(DbUrl::parse("sqlite:p.db").unwrap(), DbUrl::Sqlite("p.db".into()));
        assert_eq!(DbUrl::parse("/tmp/p.db").unwrap(), DbUrl::Sqlite("/tmp/p.db".into()));
        assert!(matches!(DbUrl::parse("postgres://u:secret@h/db").unwrap(), DbUrl::Postgres(_)));
        assert_eq!(DbUrl::parse("postgres://u:secret@h/db").unwrap().display(), "postgres://***@h/db");
        assert!(DbUrl::parse("mysql://x").is_err());
        assert!(DbUrl::parse("").is_err());
        assert!(DbUrl::parse("sqlite://").is_err());
        // Nothing listens on port 1: a clear connection error, no panic.
        let e = open(&DbUrl::parse("postgresql://kiosk@127.0.0.1:1/db?connect_timeout=2").unwrap()).err().unwrap();
        assert!(matches!(e, StoreError::Postgres(_)), "{e}");
        assert!(matches!(open(&DbUrl::parse("postgres://h/db?sslmode=nonsense").unwrap()).err().unwrap(), StoreError::Url(_)));
    }

    #[test]
    fn transitions() {
        use TerminalStatus::*;
        assert_eq!(Transition::Approve.target(Pending), Some(Approved));
        assert_eq!(Transition::Approve.target(Approved), None);
        assert_eq!(Transition::Reject.target(Approved), None);
        let site = Site { name: "x".into(), division_code: "441802100201".into() };
        assert_eq!(Transition::Relocate(site.clone()).target(Relocated), Some(Relocated));
        assert_eq!(Transition::Relocate(site).target(Pending), None);
        assert_eq!(Transition::Decommission.target(Decommissioned), None);
        assert_eq!(Transition::Decommission.target(Rejected), Some(Decommissioned));
    }
}
