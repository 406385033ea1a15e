//! The terminal's SQLite database (WAL, `synchronous=FULL`): catalogue, transactions outbox,
//! ratings, fault reports, receipts, audit log, usage statistics, settings.
//!
//! - Versioned migrations keyed on `PRAGMA user_version`.
//! - `PRAGMA integrity_check` at open; a corrupt file is moved aside (with its -wal and -shm)
//!   and a fresh database created, and [`Opened::recovered_from`] says so, so the daemon can
//!   come up out of service instead of crashing.
//! - A submit is one SQLite transaction (transaction row, receipt job, usage count) committed
//!   with a full fsync before the API answers: after a crash it is complete or absent.
//! - Outbox rows go `pending -> sent -> acknowledged`; personal data (the sealed form) is purged
//!   a configured number of days after acknowledgement.

pub mod crypto;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use crate::catalogue::Catalogue;
pub use crypto::{CryptoError, FormKey};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("cannot move the corrupt database aside: {0}")]
    MoveAside(std::io::Error),
    #[error("cannot create the data folder {path}: {source}")]
    DataDir { path: String, source: std::io::Error },
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    #[error("stored catalogue is unreadable: {0}")]
    Catalogue(String),
    #[error("{0}")]
    Json(#[from] serde_json::Error),
}

const MIGRATIONS: &[&str] = &[
    // 1: the initial schema.
    r#"
    CREATE TABLE catalogue (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        version TEXT NOT NULL,
        document TEXT NOT NULL,
        applied_at INTEGER NOT NULL
    );
    CREATE TABLE item_overrides (
        code TEXT PRIMARY KEY,
        stopped INTEGER NOT NULL,
        set_at INTEGER NOT NULL
    );
    CREATE TABLE transactions (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,
        item_code TEXT NOT NULL,
        item_name TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        assisted INTEGER NOT NULL DEFAULT 0,
        elderly INTEGER NOT NULL DEFAULT 0,
        form_sealed BLOB,
        state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'acknowledged')),
        sent_at INTEGER,
        acked_at INTEGER,
        purged_at INTEGER
    );
    CREATE INDEX transactions_state ON transactions (state, created_at);
    CREATE TABLE ratings (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,
        transaction_key TEXT,
        item_code TEXT NOT NULL,
        level INTEGER NOT NULL CHECK (level BETWEEN 1 AND 5),
        reasons TEXT NOT NULL DEFAULT '[]',
        complaint_sealed BLOB,
        created_at INTEGER NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'acknowledged')),
        sent_at INTEGER,
        acked_at INTEGER
    );
    CREATE TABLE fault_reports (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,
        category TEXT NOT NULL,
        text TEXT NOT NULL,
        source TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'acknowledged')),
        sent_at INTEGER,
        acked_at INTEGER
    );
    CREATE TABLE receipts (
        id INTEGER PRIMARY KEY,
        transaction_key TEXT,
        kind TEXT NOT NULL,
        body BLOB NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'held', 'printing', 'printed', 'uncertain')),
        reason TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        printed_at INTEGER
    );
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE usage (
        day TEXT NOT NULL,
        item_code TEXT NOT NULL,
        event TEXT NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (day, item_code, event)
    );
    CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    "#,
];

/// What opening found.
#[derive(Debug, Default)]
pub struct Opened {
    /// Set when the database was corrupt: where the old file was moved.
    pub recovered_from: Option<PathBuf>,
    /// The integrity check's first complaint, when it failed.
    pub integrity_problem: Option<String>,
}

pub struct Store {
    conn: Connection,
    key: FormKey,
    path: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish_non_exhaustive()
    }
}

/// A new transaction as the session hands it over.
pub struct NewTransaction<'a> {
    pub key: &'a str,
    pub item_code: &'a str,
    pub item_name: &'a str,
    pub created_at: i64,
    pub assisted: bool,
    pub elderly: bool,
    /// Form values, personal data included; sealed before they touch the disk.
    pub form: &'a BTreeMap<String, String>,
    /// The receipt to print, as ESC/POS bytes (holding masked data only).
    pub receipt: Option<&'a [u8]>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TransactionRow {
    pub key: String,
    pub item_code: String,
    pub state: String,
    pub created_at: i64,
    pub assisted: bool,
    pub has_form: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct OutboxStats {
    pub pending: u64,
    pub oldest_age_s: Option<i64>,
}

/// An outbox record ready to send. `body` may hold personal data: never log it.
#[derive(Clone, PartialEq)]
pub struct OutboxRecord {
    pub kind: String,
    pub key: String,
    pub created_at: i64,
    pub body: serde_json::Value,
}

impl std::fmt::Debug for OutboxRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OutboxRecord[{} {}]", self.kind, self.key)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptJob {
    pub id: i64,
    pub body: Vec<u8>,
    pub state: String,
}

fn integrity(conn: &Connection) -> Result<Option<String>, rusqlite::Error> {
    let result: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    Ok((result != "ok").then_some(result))
}

fn move_aside(path: &Path, now: i64) -> Result<PathBuf, StoreError> {
    let target = PathBuf::from(format!("{}.corrupt-{now}", path.display()));
    std::fs::rename(path, &target).map_err(StoreError::MoveAside)?;
    for suffix in ["-wal", "-shm"] {
        let side = PathBuf::from(format!("{}{suffix}", path.display()));
        if side.exists() {
            let _ = std::fs::rename(&side, format!("{}{suffix}", target.display()));
        }
    }
    Ok(target)
}

fn configure(conn: &Connection) -> Result<(), rusqlite::Error> {
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(())
}

impl Store {
    /// Opens (or creates) the database at `path` with the form key at `key_path`. A corrupt
    /// database is moved aside and replaced by an empty one; `Opened` reports it.
    pub fn open(path: &Path, key_path: &Path, now: i64) -> Result<(Store, Opened), StoreError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::DataDir { path: dir.display().to_string(), source })?;
        }
        let mut opened = Opened::default();
        if path.exists() {
            let check = Connection::open(path).and_then(|c| {
                // Reading the schema fails on a file that is not a database at all.
                c.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0))?;
                integrity(&c)
            });
            let problem = match check {
                Ok(None) => None,
                Ok(Some(p)) => Some(p),
                Err(e) => Some(e.to_string()),
            };
            if let Some(problem) = problem {
                tracing::error!(path = %path.display(), %problem, "database failed its integrity check; moving it aside");
                opened.recovered_from = Some(move_aside(path, now)?);
                opened.integrity_problem = Some(problem);
            }
        }
        let conn = Connection::open(path)?;
        configure(&conn)?;
        let key = FormKey::load_or_create(key_path)?;
        let mut store = Store { conn, key, path: path.to_path_buf() };
        store.migrate()?;
        Ok((store, opened))
    }

    /// A second connection to a database the daemon already opened (checked and migrated):
    /// the sync agent's, so its reads never wait on the core thread.
    pub fn open_secondary(path: &Path, key_path: &Path) -> Result<Store, StoreError> {
        let conn = Connection::open(path)?;
        configure(&conn)?;
        let key = FormKey::load_or_create(key_path)?;
        Ok(Store { conn, key, path: path.to_path_buf() })
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        let version: usize = self.conn.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))? as usize;
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
            let tx = self.conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)?;
            tx.commit()?;
            tracing::info!(version = i + 1, "database migrated");
        }
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(self.conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    /// Runs `PRAGMA integrity_check` now: `None` when healthy.
    pub fn check(&self) -> Result<Option<String>, StoreError> {
        Ok(integrity(&self.conn)?)
    }

    // ----- catalogue -----

    pub fn catalogue(&self) -> Result<Option<Catalogue>, StoreError> {
        let doc: Option<String> =
            self.conn.query_row("SELECT document FROM catalogue WHERE id = 1", [], |r| r.get(0)).optional()?;
        doc.map(|d| Catalogue::from_json(&d).map_err(|e| StoreError::Catalogue(e.to_string()))).transpose()
    }

    /// Replaces the catalogue atomically.
    pub fn set_catalogue(&mut self, catalogue: &Catalogue, now: i64) -> Result<(), StoreError> {
        let doc = serde_json::to_string(catalogue)?;
        self.conn.execute(
            "INSERT INTO catalogue (id, version, document, applied_at) VALUES (1, ?1, ?2, ?3)
             ON CONFLICT (id) DO UPDATE SET version = excluded.version, document = excluded.document, applied_at = excluded.applied_at",
            params![catalogue.version, doc, now],
        )?;
        Ok(())
    }

    pub fn stopped_items(&self) -> Result<Vec<String>, StoreError> {
        let mut stmt = self.conn.prepare("SELECT code FROM item_overrides WHERE stopped = 1 ORDER BY code")?;
        let rows = stmt.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
        Ok(rows)
    }

    pub fn set_item_stopped(&mut self, code: &str, stopped: bool, now: i64) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO item_overrides (code, stopped, set_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (code) DO UPDATE SET stopped = excluded.stopped, set_at = excluded.set_at",
            params![code, stopped, now],
        )?;
        Ok(())
    }

    // ----- transactions -----

    /// Stores a submitted transaction, its receipt job and the usage count in one durable
    /// SQLite transaction. Returns the receipt job's id. Submitting the same key twice stores
    /// it once and returns the first receipt.
    pub fn submit(&mut self, t: &NewTransaction<'_>) -> Result<Option<i64>, StoreError> {
        let plain = serde_json::to_vec(t.form)?;
        let sealed = self.key.seal(t.key.as_bytes(), &plain)?;
        let day = crate::time::local_date_string(t.created_at);
        let tx = self.conn.transaction()?;
        let inserted = tx.execute(
            "INSERT INTO transactions (key, item_code, item_name, created_at, assisted, elderly, form_sealed)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (key) DO NOTHING",
            params![t.key, t.item_code, t.item_name, t.created_at, t.assisted, t.elderly, sealed],
        )?;
        let receipt_id = if inserted == 0 {
            tx.query_row("SELECT id FROM receipts WHERE transaction_key = ?1 ORDER BY id LIMIT 1", [t.key], |r| r.get(0))
                .optional()?
        } else {
            bump_usage(&tx, &day, t.item_code, "submit")?;
            match t.receipt {
                Some(body) => {
                    tx.execute(
                        "INSERT INTO receipts (transaction_key, kind, body, state, created_at) VALUES (?1, 'transaction', ?2, 'pending', ?3)",
                        params![t.key, body, t.created_at],
                    )?;
                    Some(tx.last_insert_rowid())
                }
                None => None,
            }
        };
        tx.commit()?;
        Ok(receipt_id)
    }

    pub fn transaction(&self, key: &str) -> Result<Option<TransactionRow>, StoreError> {
        let sql = format!("{TRANSACTION_COLUMNS} WHERE key = ?1");
        Ok(self.conn.query_row(&sql, [key], transaction_row).optional()?)
    }

    pub fn transactions(&self) -> Result<Vec<TransactionRow>, StoreError> {
        let mut stmt = self.conn.prepare(&format!("{TRANSACTION_COLUMNS} ORDER BY id"))?;
        let rows = stmt.query_map([], transaction_row)?.collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// The decrypted form of a transaction (for the sync agent and for tests).
    pub fn transaction_form(&self, key: &str) -> Result<Option<BTreeMap<String, String>>, StoreError> {
        let sealed: Option<Option<Vec<u8>>> =
            self.conn.query_row("SELECT form_sealed FROM transactions WHERE key = ?1", [key], |r| r.get(0)).optional()?;
        match sealed.flatten() {
            None => Ok(None),
            Some(s) => Ok(Some(serde_json::from_slice(&self.key.open(key.as_bytes(), &s)?)?)),
        }
    }

    /// Marks outbox rows sent / acknowledged (the sync agent's side).
    pub fn mark_transaction(&mut self, key: &str, state: &str, now: i64) -> Result<bool, StoreError> {
        let column = match state {
            "sent" => "sent_at",
            "acknowledged" => "acked_at",
            _ => return Ok(false),
        };
        let n = self.conn.execute(
            &format!("UPDATE transactions SET state = ?1, {column} = ?2 WHERE key = ?3"),
            params![state, now, key],
        )?;
        Ok(n == 1)
    }

    /// Purges sealed personal data acknowledged more than `days` ago, and printed receipts older
    /// than that. Returns how many transactions were purged.
    pub fn purge(&mut self, now: i64, days: u32) -> Result<usize, StoreError> {
        let cutoff = now - days as i64 * 86_400;
        let n = self.conn.execute(
            "UPDATE transactions SET form_sealed = NULL, purged_at = ?1
             WHERE state = 'acknowledged' AND acked_at <= ?2 AND form_sealed IS NOT NULL",
            params![now, cutoff],
        )?;
        self.conn.execute(
            "UPDATE ratings SET complaint_sealed = NULL WHERE state = 'acknowledged' AND acked_at <= ?1",
            params![cutoff],
        )?;
        self.conn.execute("DELETE FROM receipts WHERE state = 'printed' AND printed_at <= ?1", params![cutoff])?;
        Ok(n)
    }

    /// Up to `limit` unacknowledged outbox records (transactions, ratings, fault reports),
    /// oldest first, personal data unsealed for sending. Bounded: the whole backlog is never
    /// in memory.
    pub fn outbox_batch(&self, limit: usize) -> Result<Vec<OutboxRecord>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT kind, key, created_at FROM (
                SELECT 'transaction' AS kind, key, created_at FROM transactions WHERE state != 'acknowledged'
                UNION ALL SELECT 'rating', key, created_at FROM ratings WHERE state != 'acknowledged'
                UNION ALL SELECT 'fault', key, created_at FROM fault_reports WHERE state != 'acknowledged')
             ORDER BY created_at, key LIMIT ?1",
        )?;
        let heads: Vec<(String, String, i64)> =
            stmt.query_map([limit as i64], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect::<Result<_, _>>()?;
        let mut out = Vec::with_capacity(heads.len());
        for (kind, key, created_at) in heads {
            let body = match kind.as_str() {
                "transaction" => {
                    let (code, name, assisted, elderly): (String, String, bool, bool) = self.conn.query_row(
                        "SELECT item_code, item_name, assisted, elderly FROM transactions WHERE key = ?1",
                        [&key],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                    )?;
                    let form = self.transaction_form(&key)?.unwrap_or_default();
                    serde_json::json!({ "item_code": code, "item_name": name, "assisted": assisted, "elderly": elderly, "form": form })
                }
                "rating" => {
                    let (tx, code, level, reasons, sealed): (Option<String>, String, u8, String, Option<Vec<u8>>) = self.conn.query_row(
                        "SELECT transaction_key, item_code, level, reasons, complaint_sealed FROM ratings WHERE key = ?1",
                        [&key],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
                    )?;
                    let complaint = sealed.map(|s| self.key.open(key.as_bytes(), &s)).transpose()?.map(|b| String::from_utf8_lossy(&b).into_owned());
                    let reasons: Vec<String> = serde_json::from_str(&reasons).unwrap_or_default();
                    serde_json::json!({ "transaction_key": tx, "item_code": code, "level": level, "reasons": reasons, "complaint": complaint })
                }
                _ => {
                    let (category, text, source): (String, String, String) = self.conn.query_row(
                        "SELECT category, text, source FROM fault_reports WHERE key = ?1",
                        [&key],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                    )?;
                    serde_json::json!({ "category": category, "text": text, "source": source })
                }
            };
            out.push(OutboxRecord { kind, key, created_at, body });
        }
        Ok(out)
    }

    /// Marks outbox records `sent` or `acknowledged` (never backwards: an acknowledged record
    /// stays acknowledged).
    pub fn mark_outbox(&mut self, records: &[(String, String)], state: &str, now: i64) -> Result<(), StoreError> {
        let column = match state {
            "sent" => "sent_at",
            "acknowledged" => "acked_at",
            _ => return Ok(()),
        };
        let tx = self.conn.transaction()?;
        for (kind, key) in records {
            let table = match kind.as_str() {
                "transaction" => "transactions",
                "rating" => "ratings",
                "fault" => "fault_reports",
                _ => continue,
            };
            tx.execute(
                &format!("UPDATE {table} SET state = ?1, {column} = ?2 WHERE key = ?3 AND state != 'acknowledged'"),
                params![state, now, key],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    pub fn outbox_stats(&self, now: i64) -> Result<OutboxStats, StoreError> {
        let (pending, oldest): (i64, Option<i64>) = self.conn.query_row(
            "SELECT count(*), min(created_at) FROM (
                SELECT created_at FROM transactions WHERE state != 'acknowledged'
                UNION ALL SELECT created_at FROM ratings WHERE state != 'acknowledged'
                UNION ALL SELECT created_at FROM fault_reports WHERE state != 'acknowledged')",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(OutboxStats { pending: pending as u64, oldest_age_s: oldest.map(|o| (now - o).max(0)) })
    }

    // ----- ratings, faults, audit, usage -----

    #[allow(clippy::too_many_arguments)]
    pub fn add_rating(
        &mut self,
        key: &str,
        transaction_key: Option<&str>,
        item_code: &str,
        level: u8,
        reasons: &[String],
        complaint: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError> {
        let sealed = complaint.map(|c| self.key.seal(key.as_bytes(), c.as_bytes())).transpose()?;
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO ratings (key, transaction_key, item_code, level, reasons, complaint_sealed, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (key) DO NOTHING",
            params![key, transaction_key, item_code, level, serde_json::to_string(reasons)?, sealed, now],
        )?;
        bump_usage(&tx, &crate::time::local_date_string(now), item_code, "rate")?;
        tx.commit()?;
        Ok(())
    }

    pub fn ratings(&self) -> Result<Vec<(String, Option<String>, String, u8)>, StoreError> {
        let mut stmt = self.conn.prepare("SELECT key, transaction_key, item_code, level FROM ratings ORDER BY id")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?.collect::<Result<_, _>>()?;
        Ok(rows)
    }

    pub fn add_fault(&mut self, key: &str, category: &str, text: &str, source: &str, now: i64) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO fault_reports (key, category, text, source, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (key) DO NOTHING",
            params![key, category, text, source, now],
        )?;
        Ok(())
    }

    pub fn faults(&self) -> Result<Vec<(String, String, String)>, StoreError> {
        let mut stmt = self.conn.prepare("SELECT category, text, source FROM fault_reports ORDER BY id")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect::<Result<_, _>>()?;
        Ok(rows)
    }

    pub fn audit(&mut self, actor: &str, action: &str, detail: &str, now: i64) -> Result<(), StoreError> {
        self.conn.execute("INSERT INTO audit (at, actor, action, detail) VALUES (?1, ?2, ?3, ?4)", params![now, actor, action, detail])?;
        Ok(())
    }

    pub fn audit_log(&self, limit: usize) -> Result<Vec<(i64, String, String, String)>, StoreError> {
        let mut stmt = self.conn.prepare("SELECT at, actor, action, detail FROM audit ORDER BY id DESC LIMIT ?1")?;
        let rows = stmt
            .query_map([limit as i64], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    pub fn bump_usage(&mut self, now: i64, item_code: &str, event: &str) -> Result<(), StoreError> {
        bump_usage(&self.conn, &crate::time::local_date_string(now), item_code, event)?;
        Ok(())
    }

    /// Today's counts per event (`view`, `start`, `submit`, `print`, `rate`) over all items.
    pub fn counts_for_day(&self, now: i64) -> Result<BTreeMap<String, u64>, StoreError> {
        let day = crate::time::local_date_string(now);
        let mut stmt = self.conn.prepare("SELECT event, sum(count) FROM usage WHERE day = ?1 GROUP BY event")?;
        let rows = stmt
            .query_map([day], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64)))?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    // ----- receipts -----

    /// Receipt jobs that still have to print (pending or held), oldest first.
    pub fn unprinted_receipts(&self) -> Result<Vec<ReceiptJob>, StoreError> {
        let mut stmt = self.conn.prepare("SELECT id, body, state FROM receipts WHERE state IN ('pending', 'held') ORDER BY id")?;
        let rows = stmt.query_map([], |r| Ok(ReceiptJob { id: r.get(0)?, body: r.get(1)?, state: r.get(2)? }))?.collect::<Result<_, _>>()?;
        Ok(rows)
    }

    pub fn add_receipt(&mut self, kind: &str, body: &[u8], now: i64) -> Result<i64, StoreError> {
        self.conn.execute(
            "INSERT INTO receipts (kind, body, state, created_at) VALUES (?1, ?2, 'pending', ?3)",
            params![kind, body, now],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    pub fn set_receipt_state(&mut self, id: i64, state: &str, reason: Option<&str>, now: i64) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE receipts SET state = ?1, reason = ?2, attempts = attempts + (?1 = 'printing'),
             printed_at = CASE WHEN ?1 = 'printed' THEN ?3 ELSE printed_at END WHERE id = ?4",
            params![state, reason, now, id],
        )?;
        Ok(())
    }

    /// The state of the receipt job of a transaction, if it has one.
    pub fn receipt_of_transaction(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self.conn.query_row("SELECT state FROM receipts WHERE transaction_key = ?1", [key], |r| r.get(0)).optional()?)
    }

    pub fn receipt_state(&self, id: i64) -> Result<Option<String>, StoreError> {
        Ok(self.conn.query_row("SELECT state FROM receipts WHERE id = ?1", [id], |r| r.get(0)).optional()?)
    }

    /// After a restart, a job that was being written when the daemon died may or may not have
    /// printed: mark it `uncertain` (the assistant decides) rather than print it twice.
    pub fn settle_interrupted_receipts(&mut self) -> Result<usize, StoreError> {
        Ok(self.conn.execute("UPDATE receipts SET state = 'uncertain', reason = 'interrupted' WHERE state = 'printing'", [])?)
    }

    // ----- settings -----

    pub fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self.conn.query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| r.get(0)).optional()?)
    }

    pub fn set_setting(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    /// Compacts the database file.
    pub fn vacuum(&mut self) -> Result<(), StoreError> {
        self.conn.execute_batch("VACUUM")?;
        Ok(())
    }

    /// Direct access for benchmarks and tests.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }
}

const TRANSACTION_COLUMNS: &str =
    "SELECT key, item_code, state, created_at, assisted, form_sealed IS NOT NULL FROM transactions";

fn transaction_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<TransactionRow> {
    Ok(TransactionRow {
        key: r.get(0)?,
        item_code: r.get(1)?,
        state: r.get(2)?,
        created_at: r.get(3)?,
        assisted: r.get(4)?,
        has_form: r.get(5)?,
    })
}

fn bump_usage(conn: &Connection, day: &str, item_code: &str, event: &str) -> Result<(), rusqlite::Error> {
    conn.execute(
        "INSERT INTO usage (day, item_code, event, count) VALUES (?1, ?2, ?3, 1)
         ON CONFLICT (day, item_code, event) DO UPDATE SET count = count + 1",
        params![day, item_code, event],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("kioskd-store-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn form() -> BTreeMap<String, String> {
        BTreeMap::from([("name".into(), "张秀英".into()), ("id_number".into(), "441882195103070022".into())])
    }

    #[test]
    fn submit_is_idempotent_sealed_and_purged_after_ack() {
        let dir = temp("submit");
        let (mut s, opened) = Store::open(&dir.join("kiosk.db"), &dir.join("keys/form.key"), 1000).unwrap();
        assert!(opened.recovered_from.is_none());
        assert_eq!(s.schema_version().unwrap(), MIGRATIONS.len() as i64);
        let f = form();
        let t = NewTransaction { key: "k1", item_code: "c", item_name: "n", created_at: 1000, assisted: false, elderly: true, form: &f, receipt: Some(b"receipt") };
        let r1 = s.submit(&t).unwrap();
        let r2 = s.submit(&t).unwrap();
        assert_eq!(r1, r2, "same key, same receipt");
        assert_eq!(s.transactions().unwrap().len(), 1);
        assert_eq!(s.unprinted_receipts().unwrap().len(), 1);
        assert_eq!(s.transaction_form("k1").unwrap(), Some(f));
        // No plaintext personal data in the database file.
        drop(s);
        let bytes = std::fs::read(dir.join("kiosk.db")).unwrap();
        let wal = std::fs::read(dir.join("kiosk.db-wal")).unwrap_or_default();
        for hay in [&bytes, &wal] {
            assert!(!hay.windows(18).any(|w| w == b"441882195103070022"));
        }
        let (mut s, _) = Store::open(&dir.join("kiosk.db"), &dir.join("keys/form.key"), 2000).unwrap();
        assert_eq!(s.outbox_stats(2000).unwrap(), OutboxStats { pending: 1, oldest_age_s: Some(1000) });
        assert!(s.mark_transaction("k1", "sent", 2000).unwrap());
        assert!(s.mark_transaction("k1", "acknowledged", 2100).unwrap());
        assert_eq!(s.purge(2100 + 86_400, 2).unwrap(), 0, "retention not over");
        assert_eq!(s.purge(2100 + 2 * 86_400, 2).unwrap(), 1);
        assert_eq!(s.transaction_form("k1").unwrap(), None);
        assert_eq!(s.transaction("k1").unwrap().unwrap().state, "acknowledged", "the row stays");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_corrupt_database_is_moved_aside() {
        let dir = temp("corrupt");
        let db = dir.join("kiosk.db");
        std::fs::write(&db, b"this is not a database, it is a cabbage".repeat(200)).unwrap();
        let (s, opened) = Store::open(&db, &dir.join("keys/form.key"), 42).unwrap();
        let moved = opened.recovered_from.expect("reported");
        assert!(moved.exists());
        assert!(moved.display().to_string().ends_with(".corrupt-42"));
        assert!(s.check().unwrap().is_none(), "the fresh database is healthy");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
