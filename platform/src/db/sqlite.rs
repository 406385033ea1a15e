//! [`Storage`] on SQLite: one connection (bundled SQLite, WAL, `synchronous=FULL`, so an
//! acknowledgement is on disk before it is sent), migrations keyed on `PRAGMA user_version`,
//! writes in `BEGIN IMMEDIATE` transactions.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use kiosk_wire::{CatalogueVersion, Site, TerminalStatus};
use rusqlite::{params, Connection, ErrorCode, OptionalExtension, Row, TransactionBehavior};
use serde_json::Value;

use super::*;

const MIGRATIONS: &[&str] = &[
    // 1: the initial schema.
    r#"
    CREATE TABLE tokens (
        id TEXT PRIMARY KEY,
        secret_sha256 TEXT NOT NULL UNIQUE,
        division_prefix TEXT NOT NULL,
        preapproved INTEGER NOT NULL,
        note TEXT NOT NULL DEFAULT '',
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        used_at INTEGER,
        used_by TEXT
    );
    CREATE TABLE terminals (
        id TEXT PRIMARY KEY,
        public_key TEXT NOT NULL UNIQUE,
        status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'relocated', 'decommissioned')),
        status_reason TEXT,
        site_name TEXT NOT NULL,
        division_code TEXT NOT NULL,
        software_version TEXT NOT NULL,
        token_id TEXT NOT NULL,
        enrolled_at INTEGER NOT NULL,
        status_changed_at INTEGER NOT NULL,
        last_seen_at INTEGER,
        last_heartbeat_at INTEGER,
        last_heartbeat TEXT,
        outbox_pending INTEGER,
        outbox_oldest_s INTEGER,
        clock_offset_s INTEGER
    );
    CREATE TABLE terminal_events (
        id INTEGER PRIMARY KEY,
        terminal_id TEXT NOT NULL,
        at INTEGER NOT NULL,
        event TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX terminal_events_terminal ON terminal_events (terminal_id, id);
    CREATE TABLE nonces (
        terminal_id TEXT NOT NULL,
        nonce TEXT NOT NULL,
        seen_at INTEGER NOT NULL,
        PRIMARY KEY (terminal_id, nonce)
    ) WITHOUT ROWID;
    CREATE INDEX nonces_seen ON nonces (seen_at);
    CREATE TABLE applied (
        terminal_id TEXT NOT NULL,
        key TEXT NOT NULL,
        kind TEXT NOT NULL,
        applied_at INTEGER NOT NULL,
        PRIMARY KEY (terminal_id, key)
    ) WITHOUT ROWID;
    CREATE TABLE transactions (
        id INTEGER PRIMARY KEY,
        terminal_id TEXT NOT NULL,
        key TEXT NOT NULL,
        division_code TEXT NOT NULL,
        item_code TEXT NOT NULL,
        item_name TEXT NOT NULL,
        assisted INTEGER NOT NULL,
        elderly INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        received_at INTEGER NOT NULL,
        name_masked TEXT NOT NULL,
        id_masked TEXT NOT NULL,
        form_sealed BLOB NOT NULL
    );
    CREATE INDEX transactions_created ON transactions (created_at);
    CREATE TABLE ratings (
        id INTEGER PRIMARY KEY,
        terminal_id TEXT NOT NULL,
        key TEXT NOT NULL,
        division_code TEXT NOT NULL,
        transaction_key TEXT,
        item_code TEXT NOT NULL,
        level INTEGER NOT NULL CHECK (level BETWEEN 1 AND 5),
        reasons TEXT NOT NULL,
        complaint TEXT,
        created_at INTEGER NOT NULL,
        received_at INTEGER NOT NULL
    );
    CREATE INDEX ratings_created ON ratings (created_at);
    CREATE TABLE faults (
        id INTEGER PRIMARY KEY,
        terminal_id TEXT NOT NULL,
        key TEXT NOT NULL,
        division_code TEXT NOT NULL,
        category TEXT NOT NULL,
        text TEXT NOT NULL,
        source TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        received_at INTEGER NOT NULL,
        closed_at INTEGER,
        close_note TEXT
    );
    CREATE INDEX faults_open ON faults (closed_at, id);
    CREATE TABLE catalogues (
        id INTEGER PRIMARY KEY,
        version TEXT NOT NULL UNIQUE,
        document TEXT NOT NULL,
        signature TEXT NOT NULL,
        key_id TEXT NOT NULL,
        published_at INTEGER NOT NULL
    );
    CREATE TABLE config (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        version INTEGER NOT NULL,
        heartbeat_s INTEGER NOT NULL,
        settings TEXT NOT NULL,
        updated_at INTEGER NOT NULL
    );
    INSERT INTO config (id, version, heartbeat_s, settings, updated_at) VALUES (1, 1, 60, '{}', 0);
    "#,
];

/// The platform's SQLite database.
pub struct SqliteStorage {
    conn: Mutex<Connection>,
}

impl std::fmt::Debug for SqliteStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SqliteStorage(..)")
    }
}

fn map_err(e: rusqlite::Error) -> StoreError {
    match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StoreError::Busy,
        _ => StoreError::Sqlite(e),
    }
}

trait Sql<T> {
    fn db(self) -> StoreResult<T>;
}

impl<T> Sql<T> for Result<T, rusqlite::Error> {
    fn db(self) -> StoreResult<T> {
        self.map_err(map_err)
    }
}

fn status_of(s: &str) -> rusqlite::Result<TerminalStatus> {
    s.parse().map_err(|_| rusqlite::Error::InvalidColumnType(0, format!("status {s}"), rusqlite::types::Type::Text))
}

pub(super) const TERMINAL_COLUMNS: &str = "id, public_key, status, status_reason, site_name, division_code, software_version, token_id, enrolled_at,
    status_changed_at, last_seen_at, last_heartbeat_at, last_heartbeat, outbox_pending, outbox_oldest_s, clock_offset_s";

fn terminal_row(r: &Row<'_>) -> rusqlite::Result<TerminalRow> {
    Ok(TerminalRow {
        id: r.get(0)?,
        public_key: r.get(1)?,
        status: status_of(&r.get::<_, String>(2)?)?,
        status_reason: r.get(3)?,
        site: Site { name: r.get(4)?, division_code: r.get(5)? },
        software_version: r.get(6)?,
        token_id: r.get(7)?,
        enrolled_at: r.get(8)?,
        status_changed_at: r.get(9)?,
        last_seen_at: r.get(10)?,
        last_heartbeat_at: r.get(11)?,
        last_heartbeat: r.get(12)?,
        outbox_pending: r.get(13)?,
        outbox_oldest_s: r.get(14)?,
        clock_offset_s: r.get(15)?,
    })
}

pub(super) const TOKEN_COLUMNS: &str = "id, division_prefix, preapproved, note, created_at, expires_at, used_at, used_by";

fn token_row(r: &Row<'_>) -> rusqlite::Result<TokenRow> {
    Ok(TokenRow {
        id: r.get(0)?,
        division_prefix: r.get(1)?,
        preapproved: r.get(2)?,
        note: r.get(3)?,
        created_at: r.get(4)?,
        expires_at: r.get(5)?,
        used_at: r.get(6)?,
        used_by: r.get(7)?,
    })
}

pub(super) const FAULT_COLUMNS: &str = "f.id, f.terminal_id, coalesce(t.site_name, ''), f.division_code, f.key, f.category, f.text, f.source,
    f.created_at, f.received_at, f.closed_at, f.close_note FROM faults f LEFT JOIN terminals t ON t.id = f.terminal_id";

fn fault_row(r: &Row<'_>) -> rusqlite::Result<FaultRow> {
    Ok(FaultRow {
        id: r.get(0)?,
        terminal_id: r.get(1)?,
        site_name: r.get(2)?,
        division_code: r.get(3)?,
        key: r.get(4)?,
        category: r.get(5)?,
        text: r.get(6)?,
        source: r.get(7)?,
        created_at: r.get(8)?,
        received_at: r.get(9)?,
        closed_at: r.get(10)?,
        close_note: r.get(11)?,
    })
}

fn event(conn: &Connection, terminal_id: &str, at: i64, event: &str, detail: &str) -> rusqlite::Result<()> {
    conn.execute("INSERT INTO terminal_events (terminal_id, at, event, detail) VALUES (?1, ?2, ?3, ?4)", params![terminal_id, at, event, detail])?;
    Ok(())
}

fn get_terminal(conn: &Connection, id: &str) -> rusqlite::Result<Option<TerminalRow>> {
    conn.query_row(&format!("SELECT {TERMINAL_COLUMNS} FROM terminals WHERE id = ?1"), [id], terminal_row).optional()
}

pub(super) fn range(since: Option<i64>, until: Option<i64>) -> (i64, i64) {
    (since.unwrap_or(i64::MIN), until.unwrap_or(i64::MAX))
}

pub(super) fn like_prefix(p: &Option<String>) -> String {
    // Prefixes are digits only (checked by the caller), so no LIKE wildcard can slip in.
    format!("{}%", p.as_deref().unwrap_or(""))
}

impl SqliteStorage {
    /// Opens (creating the folder and file when absent) and migrates the database at `path`.
    pub fn open(path: &Path) -> StoreResult<SqliteStorage> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::DataDir { path: dir.display().to_string(), source })?;
        }
        if !path.exists() {
            // Private from the start: the database holds masked identities and sealed forms.
            use std::os::unix::fs::OpenOptionsExt;
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)
                .map_err(|source| StoreError::DataDir { path: path.display().to_string(), source })?;
        }
        let mut conn = Connection::open(path).db()?;
        conn.busy_timeout(std::time::Duration::from_secs(5)).db()?;
        conn.pragma_update(None, "journal_mode", "WAL").db()?;
        conn.pragma_update(None, "synchronous", "FULL").db()?;
        conn.pragma_update(None, "foreign_keys", "ON").db()?;
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).db()?;
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version.max(0) as usize) {
            let tx = conn.transaction().db()?;
            tx.execute_batch(sql).db()?;
            tx.pragma_update(None, "user_version", (i + 1) as i64).db()?;
            tx.commit().db()?;
            tracing::info!(version = i + 1, "platform database migrated");
        }
        Ok(SqliteStorage { conn: Mutex::new(conn) })
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave a half-done SQLite transaction behind
        // (it rolls back on drop), so a poisoned lock is still usable.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` in a `BEGIN IMMEDIATE` transaction, committed (with a full fsync) when it
    /// returns `Ok`.
    fn write<T>(&self, f: impl FnOnce(&rusqlite::Transaction<'_>) -> StoreResult<T>) -> StoreResult<T> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).db()?;
        let out = f(&tx)?;
        tx.commit().db()?;
        Ok(out)
    }

    /// Like [`Self::write`] but committed with `synchronous=NORMAL`: survives a crash of the
    /// process, and may be lost with the last moments before a power cut (the next full commit
    /// syncs it). For nonces and heartbeats only, which are no acknowledgement: a lost nonce
    /// lets a request inside the timestamp window be replayed, and every signed request is
    /// idempotent (a heartbeat overwrites, a batch applies each key once).
    fn write_relaxed<T>(&self, f: impl FnOnce(&rusqlite::Transaction<'_>) -> StoreResult<T>) -> StoreResult<T> {
        let mut conn = self.conn();
        conn.pragma_update(None, "synchronous", "NORMAL").db()?;
        let out = (|| -> StoreResult<T> {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).db()?;
            let out = f(&tx)?;
            tx.commit().db()?;
            Ok(out)
        })();
        let restored = conn.pragma_update(None, "synchronous", "FULL").db();
        let out = out?;
        restored?;
        Ok(out)
    }
}

impl Storage for SqliteStorage {
    fn create_token(&self, t: &NewToken) -> StoreResult<TokenRow> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO tokens (id, secret_sha256, division_prefix, preapproved, note, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![t.id, t.secret_hash, t.division_prefix, t.preapproved, t.note, t.created_at, t.expires_at],
            )
            .db()?;
            tx.query_row(&format!("SELECT {TOKEN_COLUMNS} FROM tokens WHERE id = ?1"), [&t.id], token_row).db()
        })
    }

    fn tokens(&self) -> StoreResult<Vec<TokenRow>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!("SELECT {TOKEN_COLUMNS} FROM tokens ORDER BY created_at, id")).db()?;
        let rows = stmt.query_map([], token_row).db()?.collect::<Result<_, _>>().db()?;
        Ok(rows)
    }

    fn enrol(&self, e: &Enrolment) -> StoreResult<(TerminalRow, bool)> {
        self.write(|tx| {
            let token: Option<(String, String, bool, i64, Option<String>)> = tx
                .query_row(
                    "SELECT id, division_prefix, preapproved, expires_at, used_by FROM tokens WHERE secret_sha256 = ?1",
                    [&e.token_hash],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
                )
                .optional()
                .db()?;
            let Some((token_id, prefix, preapproved, expires_at, used_by)) = token else {
                return Err(Refusal::BadToken.into());
            };
            let by_key: Option<String> = tx.query_row("SELECT id FROM terminals WHERE public_key = ?1", [&e.public_key], |r| r.get(0)).optional().db()?;
            if let Some(used_by) = used_by {
                // A retry of an enrolment whose answer was lost gets the same answer.
                if by_key.as_deref() == Some(used_by.as_str()) {
                    let row = get_terminal(tx, &used_by).db()?.ok_or_else(|| StoreError::Corrupt("token used by a missing terminal".into()))?;
                    return Ok((row, false));
                }
                return Err(Refusal::TokenUsed.into());
            }
            if let Some(terminal_id) = by_key {
                return Err(Refusal::AlreadyEnrolled { terminal_id }.into());
            }
            if expires_at <= e.now {
                return Err(Refusal::TokenExpired.into());
            }
            if !e.site.division_code.starts_with(&prefix) {
                return Err(Refusal::DivisionNotAllowed { prefix }.into());
            }
            let status = if preapproved { TerminalStatus::Approved } else { TerminalStatus::Pending };
            tx.execute(
                "INSERT INTO terminals (id, public_key, status, site_name, division_code, software_version, token_id, enrolled_at, status_changed_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
                params![e.new_id, e.public_key, status.as_str(), e.site.name, e.site.division_code, e.software_version, token_id, e.now],
            )
            .db()?;
            tx.execute("UPDATE tokens SET used_at = ?1, used_by = ?2 WHERE id = ?3", params![e.now, e.new_id, token_id]).db()?;
            event(tx, &e.new_id, e.now, "enrolled", &format!("token {token_id}, site {} {}", e.site.division_code, e.site.name)).db()?;
            if preapproved {
                event(tx, &e.new_id, e.now, "approved", "pre-approved token").db()?;
            }
            let row = get_terminal(tx, &e.new_id).db()?.ok_or_else(|| StoreError::Corrupt("terminal vanished".into()))?;
            Ok((row, true))
        })
    }

    fn terminal(&self, id: &str) -> StoreResult<Option<TerminalRow>> {
        get_terminal(&self.conn(), id).db()
    }

    fn terminals(&self) -> StoreResult<Vec<TerminalRow>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!("SELECT {TERMINAL_COLUMNS} FROM terminals ORDER BY division_code, id")).db()?;
        let rows = stmt.query_map([], terminal_row).db()?.collect::<Result<_, _>>().db()?;
        Ok(rows)
    }

    fn terminal_events(&self, id: &str, limit: usize) -> StoreResult<Vec<EventRow>> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT at, event, detail FROM terminal_events WHERE terminal_id = ?1 ORDER BY id DESC LIMIT ?2").db()?;
        let rows = stmt
            .query_map(params![id, limit as i64], |r| Ok(EventRow { at: r.get(0)?, event: r.get(1)?, detail: r.get(2)? }))
            .db()?
            .collect::<Result<_, _>>()
            .db()?;
        Ok(rows)
    }

    fn transition(&self, id: &str, t: &Transition, reason: Option<&str>, now: i64) -> StoreResult<TerminalRow> {
        self.write(|tx| {
            let row = get_terminal(tx, id).db()?.ok_or_else(|| Refusal::NotFound { what: "terminal", id: id.to_string() })?;
            let to = t.target(row.status).ok_or(Refusal::BadTransition { from: row.status, action: t.action() })?;
            tx.execute(
                "UPDATE terminals SET status = ?1, status_reason = ?2, status_changed_at = ?3 WHERE id = ?4",
                params![to.as_str(), reason, now, id],
            )
            .db()?;
            let mut detail = reason.unwrap_or("").to_string();
            if let Transition::Relocate(site) = t {
                tx.execute("UPDATE terminals SET site_name = ?1, division_code = ?2 WHERE id = ?3", params![site.name, site.division_code, id]).db()?;
                detail = format!(
                    "from {} {} to {} {}{}",
                    row.site.division_code,
                    row.site.name,
                    site.division_code,
                    site.name,
                    reason.map(|r| format!(": {r}")).unwrap_or_default()
                );
            }
            event(tx, id, now, to.as_str(), &detail).db()?;
            get_terminal(tx, id).db()?.ok_or_else(|| StoreError::Corrupt("terminal vanished".into()))
        })
    }

    fn use_nonce(&self, terminal_id: &str, nonce: &str, now: i64) -> StoreResult<bool> {
        self.write_relaxed(|tx| {
            let fresh = tx.execute("INSERT OR IGNORE INTO nonces (terminal_id, nonce, seen_at) VALUES (?1, ?2, ?3)", params![terminal_id, nonce, now]).db()? == 1;
            tx.execute("UPDATE terminals SET last_seen_at = ?1 WHERE id = ?2", params![now, terminal_id]).db()?;
            Ok(fresh)
        })
    }

    fn purge_nonces(&self, before: i64) -> StoreResult<usize> {
        self.conn().execute("DELETE FROM nonces WHERE seen_at < ?1", [before]).db()
    }

    fn heartbeat(&self, terminal_id: &str, hb: &HeartbeatUpdate, now: i64) -> StoreResult<()> {
        self.write_relaxed(|tx| {
            tx.execute(
                "UPDATE terminals SET last_heartbeat_at = ?1, last_seen_at = ?1, last_heartbeat = ?2, outbox_pending = ?3, outbox_oldest_s = ?4,
                 clock_offset_s = ?5, software_version = ?6 WHERE id = ?7",
                params![
                    now,
                    hb.body_json,
                    hb.outbox_pending.min(i64::MAX as u64) as i64,
                    hb.outbox_oldest_s,
                    now.saturating_sub(hb.at),
                    hb.software_version,
                    terminal_id
                ],
            )
            .db()?;
            Ok(())
        })
    }

    fn apply_batch(&self, terminal: &TerminalRow, records: &[PreparedRecord], now: i64) -> StoreResult<Vec<bool>> {
        self.write(|tx| {
            let mut ledger = tx.prepare_cached("INSERT OR IGNORE INTO applied (terminal_id, key, kind, applied_at) VALUES (?1, ?2, ?3, ?4)").db()?;
            let mut out = Vec::with_capacity(records.len());
            let (tid, division) = (&terminal.id, &terminal.site.division_code);
            for r in records {
                let new = ledger.execute(params![tid, r.key, r.body.kind().as_str(), now]).db()? == 1;
                if new {
                    match &r.body {
                        PreparedBody::Transaction { item_code, item_name, assisted, elderly, form_sealed, name_masked, id_masked } => {
                            tx.prepare_cached(
                                "INSERT INTO transactions (terminal_id, key, division_code, item_code, item_name, assisted, elderly, created_at, received_at,
                                 name_masked, id_masked, form_sealed) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                            )
                            .db()?
                            .execute(params![tid, r.key, division, item_code, item_name, assisted, elderly, r.created_at, now, name_masked, id_masked, form_sealed])
                            .db()?;
                        }
                        PreparedBody::Rating { transaction_key, item_code, level, reasons, complaint } => {
                            let reasons = serde_json::to_string(reasons).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                            tx.prepare_cached(
                                "INSERT INTO ratings (terminal_id, key, division_code, transaction_key, item_code, level, reasons, complaint, created_at, received_at)
                                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                            )
                            .db()?
                            .execute(params![tid, r.key, division, transaction_key, item_code, level, reasons, complaint, r.created_at, now])
                            .db()?;
                        }
                        PreparedBody::Fault { category, text, source } => {
                            tx.prepare_cached(
                                "INSERT INTO faults (terminal_id, key, division_code, category, text, source, created_at, received_at)
                                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                            )
                            .db()?
                            .execute(params![tid, r.key, division, category, text, source, r.created_at, now])
                            .db()?;
                        }
                    }
                }
                out.push(new);
            }
            Ok(out)
        })
    }

    fn catalogue(&self) -> StoreResult<Option<StoredCatalogue>> {
        self.conn()
            .query_row("SELECT version, document, signature, key_id, published_at FROM catalogues ORDER BY id DESC LIMIT 1", [], |r| {
                Ok(StoredCatalogue { version: r.get(0)?, document: r.get(1)?, signature: r.get(2)?, key_id: r.get(3)?, published_at: r.get(4)? })
            })
            .optional()
            .db()
    }

    fn catalogue_version(&self) -> StoreResult<Option<String>> {
        self.conn().query_row("SELECT version FROM catalogues ORDER BY id DESC LIMIT 1", [], |r| r.get(0)).optional().db()
    }

    fn publish_catalogue(&self, c: &StoredCatalogue) -> StoreResult<()> {
        self.write(|tx| {
            let current: Option<String> = tx.query_row("SELECT version FROM catalogues ORDER BY id DESC LIMIT 1", [], |r| r.get(0)).optional().db()?;
            if let Some(current) = current {
                let newer = match (current.parse::<CatalogueVersion>(), c.version.parse::<CatalogueVersion>()) {
                    (Ok(cur), Ok(new)) => new > cur,
                    _ => false,
                };
                if !newer {
                    return Err(Refusal::VersionNotNewer { current, offered: c.version.clone() }.into());
                }
            }
            tx.execute(
                "INSERT INTO catalogues (version, document, signature, key_id, published_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![c.version, c.document, c.signature, c.key_id, c.published_at],
            )
            .db()?;
            Ok(())
        })
    }

    fn config(&self) -> StoreResult<StoredConfig> {
        let (version, heartbeat_s, settings, updated_at): (i64, i64, String, i64) = self
            .conn()
            .query_row("SELECT version, heartbeat_s, settings, updated_at FROM config WHERE id = 1", [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .db()?;
        let settings = serde_json::from_str(&settings).map_err(|e| StoreError::Corrupt(format!("config settings: {e}")))?;
        Ok(StoredConfig { version: version.max(0) as u64, heartbeat_s: heartbeat_s.clamp(1, u32::MAX as i64) as u32, settings, updated_at })
    }

    fn set_config(&self, heartbeat_s: Option<u32>, settings: Option<BTreeMap<String, Value>>, now: i64) -> StoreResult<StoredConfig> {
        let settings = settings.map(|s| serde_json::to_string(&s)).transpose().map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.write(|tx| {
            tx.execute(
                "UPDATE config SET version = version + 1, heartbeat_s = coalesce(?1, heartbeat_s), settings = coalesce(?2, settings), updated_at = ?3 WHERE id = 1",
                params![heartbeat_s, settings, now],
            )
            .db()?;
            Ok(())
        })?;
        self.config()
    }

    fn faults(&self, filter: FaultFilter, terminal_id: Option<&str>, limit: usize) -> StoreResult<Vec<FaultRow>> {
        let state = match filter {
            FaultFilter::Open => "f.closed_at IS NULL",
            FaultFilter::Closed => "f.closed_at IS NOT NULL",
            FaultFilter::All => "TRUE",
        };
        let conn = self.conn();
        let mut stmt = conn
            .prepare(&format!("SELECT {FAULT_COLUMNS} WHERE {state} AND (?1 IS NULL OR f.terminal_id = ?1) ORDER BY f.id DESC LIMIT ?2"))
            .db()?;
        let rows = stmt.query_map(params![terminal_id, limit as i64], fault_row).db()?.collect::<Result<_, _>>().db()?;
        Ok(rows)
    }

    fn close_fault(&self, id: i64, note: &str, now: i64) -> StoreResult<FaultRow> {
        self.write(|tx| {
            let n = tx.execute("UPDATE faults SET closed_at = coalesce(closed_at, ?1), close_note = coalesce(close_note, ?2) WHERE id = ?3", params![now, note, id]).db()?;
            if n == 0 {
                return Err(Refusal::NotFound { what: "fault", id: id.to_string() }.into());
            }
            tx.query_row(&format!("SELECT {FAULT_COLUMNS} WHERE f.id = ?1"), [id], fault_row).db()
        })
    }

    fn open_faults_by_terminal(&self) -> StoreResult<BTreeMap<String, u64>> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT terminal_id, count(*) FROM faults WHERE closed_at IS NULL GROUP BY terminal_id").db()?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))).db()?.collect::<Result<_, _>>().db()?;
        Ok(rows)
    }

    fn stats(&self, q: &StatsQuery) -> StoreResult<Stats> {
        let (since, until) = range(q.since, q.until);
        let prefix = like_prefix(&q.division_prefix);
        let tid = q.terminal_id.as_deref();
        let filter = "created_at >= ?1 AND created_at < ?2 AND division_code LIKE ?3 AND (?4 IS NULL OR terminal_id = ?4)";
        let conn = self.conn();
        let mut items: BTreeMap<String, ItemStats> = BTreeMap::new();
        let mut stmt = conn
            .prepare(&format!("SELECT item_code, max(item_name), count(*), sum(assisted), sum(elderly) FROM transactions WHERE {filter} GROUP BY item_code"))
            .db()?;
        let rows = stmt.query_map(params![since, until, prefix, tid], |r| {
            Ok(ItemStats {
                item_code: r.get(0)?,
                item_name: r.get(1)?,
                transactions: r.get::<_, i64>(2)? as u64,
                assisted: r.get::<_, i64>(3)? as u64,
                elderly: r.get::<_, i64>(4)? as u64,
                ratings: 0,
                avg_level: None,
            })
        });
        for s in rows.db()? {
            let s = s.db()?;
            items.insert(s.item_code.clone(), s);
        }
        let mut stmt = conn.prepare(&format!("SELECT item_code, count(*), avg(level) FROM ratings WHERE {filter} GROUP BY item_code")).db()?;
        let rows = stmt.query_map(params![since, until, prefix, tid], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64, r.get::<_, Option<f64>>(2)?)));
        for row in rows.db()? {
            let (code, n, avg) = row.db()?;
            let e = items.entry(code.clone()).or_insert_with(|| ItemStats {
                item_code: code,
                item_name: String::new(),
                transactions: 0,
                assisted: 0,
                elderly: 0,
                ratings: 0,
                avg_level: None,
            });
            e.ratings = n;
            e.avg_level = avg;
        }
        let digits = q.region_digits.clamp(1, 12) as i64;
        let mut regions: BTreeMap<String, RegionStats> = BTreeMap::new();
        let empty = |region: String| RegionStats { region, terminals: 0, transactions: 0, ratings: 0, avg_level: None };
        let mut stmt = conn
            .prepare(&format!("SELECT substr(division_code, 1, ?5) AS region, count(*) FROM transactions WHERE {filter} GROUP BY region"))
            .db()?;
        for row in stmt.query_map(params![since, until, prefix, tid, digits], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))).db()? {
            let (region, n) = row.db()?;
            regions.entry(region.clone()).or_insert_with(|| empty(region)).transactions = n;
        }
        let mut stmt = conn
            .prepare(&format!("SELECT substr(division_code, 1, ?5) AS region, count(*), avg(level) FROM ratings WHERE {filter} GROUP BY region"))
            .db()?;
        for row in stmt
            .query_map(params![since, until, prefix, tid, digits], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64, r.get::<_, Option<f64>>(2)?)))
            .db()?
        {
            let (region, n, avg) = row.db()?;
            let e = regions.entry(region.clone()).or_insert_with(|| empty(region));
            e.ratings = n;
            e.avg_level = avg;
        }
        let mut stmt = conn
            .prepare(
                "SELECT substr(division_code, 1, ?1) AS region, count(*) FROM terminals
                 WHERE status IN ('approved', 'relocated') AND division_code LIKE ?2 AND (?3 IS NULL OR id = ?3) GROUP BY region",
            )
            .db()?;
        for row in stmt.query_map(params![digits, prefix, tid], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))).db()? {
            let (region, n) = row.db()?;
            regions.entry(region.clone()).or_insert_with(|| empty(region)).terminals = n;
        }
        let mut by_item: Vec<ItemStats> = items.into_values().collect();
        by_item.sort_by(|a, b| b.transactions.cmp(&a.transactions).then(b.ratings.cmp(&a.ratings)).then(a.item_code.cmp(&b.item_code)));
        Ok(Stats { by_item, by_region: regions.into_values().collect() })
    }

    fn export(&self, kind: ExportKind, q: &ExportQuery) -> StoreResult<Table> {
        let (since, until) = range(q.since, q.until);
        let after = q.after.unwrap_or(0);
        let limit = q.limit as i64;
        let conn = self.conn();
        let text = |r: &Row<'_>, i: usize| -> rusqlite::Result<Cell> { Ok(r.get::<_, Option<String>>(i)?.map(Cell::Text).unwrap_or(Cell::Null)) };
        let int = |r: &Row<'_>, i: usize| -> rusqlite::Result<Cell> { Ok(r.get::<_, Option<i64>>(i)?.map(Cell::Int).unwrap_or(Cell::Null)) };
        let (columns, sql): (Vec<&'static str>, &str) = match kind {
            ExportKind::Transactions => (
                vec!["seq", "key", "terminal_id", "division_code", "item_code", "item_name", "created_at", "received_at", "assisted", "elderly", "applicant_name_masked", "id_number_masked"],
                "SELECT id, key, terminal_id, division_code, item_code, item_name, created_at, received_at, assisted, elderly, name_masked, id_masked
                 FROM transactions WHERE id > ?1 AND received_at >= ?2 AND received_at < ?3 ORDER BY id LIMIT ?4",
            ),
            ExportKind::Ratings => (
                vec!["seq", "key", "terminal_id", "division_code", "item_code", "transaction_key", "level", "reasons", "complaint", "created_at", "received_at"],
                "SELECT id, key, terminal_id, division_code, item_code, transaction_key, level, reasons, complaint, created_at, received_at
                 FROM ratings WHERE id > ?1 AND received_at >= ?2 AND received_at < ?3 ORDER BY id LIMIT ?4",
            ),
            ExportKind::Usage => (
                vec!["day", "division_code", "item_code", "transactions", "assisted", "elderly", "ratings", "avg_level"],
                "SELECT day, division_code, item_code, sum(t), sum(a), sum(e), sum(r), CASE WHEN sum(r) > 0 THEN 1.0 * sum(lv) / sum(r) END FROM (
                    SELECT date(created_at + 28800, 'unixepoch') AS day, division_code, item_code, 1 AS t, assisted AS a, elderly AS e, 0 AS r, 0 AS lv
                    FROM transactions WHERE created_at >= ?2 AND created_at < ?3
                    UNION ALL
                    SELECT date(created_at + 28800, 'unixepoch'), division_code, item_code, 0, 0, 0, 1, level
                    FROM ratings WHERE created_at >= ?2 AND created_at < ?3)
                 WHERE ?1 IS NOT NULL GROUP BY day, division_code, item_code ORDER BY day, division_code, item_code LIMIT ?4",
            ),
        };
        let mut stmt = conn.prepare(sql).db()?;
        let rows = stmt
            .query_map(params![after, since, until, limit], |r| {
                Ok(match kind {
                    ExportKind::Transactions => vec![
                        int(r, 0)?,
                        text(r, 1)?,
                        text(r, 2)?,
                        text(r, 3)?,
                        text(r, 4)?,
                        text(r, 5)?,
                        int(r, 6)?,
                        int(r, 7)?,
                        Cell::Bool(r.get(8)?),
                        Cell::Bool(r.get(9)?),
                        text(r, 10)?,
                        text(r, 11)?,
                    ],
                    ExportKind::Ratings => {
                        let reasons: Vec<String> = serde_json::from_str(&r.get::<_, String>(7)?).unwrap_or_default();
                        vec![
                            int(r, 0)?,
                            text(r, 1)?,
                            text(r, 2)?,
                            text(r, 3)?,
                            text(r, 4)?,
                            text(r, 5)?,
                            int(r, 6)?,
                            Cell::Text(reasons.join(";")),
                            text(r, 8)?,
                            int(r, 9)?,
                            int(r, 10)?,
                        ]
                    }
                    ExportKind::Usage => vec![
                        text(r, 0)?,
                        text(r, 1)?,
                        text(r, 2)?,
                        int(r, 3)?,
                        int(r, 4)?,
                        int(r, 5)?,
                        int(r, 6)?,
                        r.get::<_, Option<f64>>(7)?.map(Cell::Float).unwrap_or(Cell::Null),
                    ],
                })
            })
            .db()?
            .collect::<Result<Vec<_>, _>>()
            .db()?;
        Ok(Table { columns, rows })
    }

    fn counts(&self, online_cutoff: i64) -> StoreResult<Counts> {
        let conn = self.conn();
        let mut c = Counts::default();
        for s in TerminalStatus::ALL {
            c.terminals.insert(s.as_str().to_string(), 0);
        }
        let mut stmt = conn.prepare("SELECT status, count(*) FROM terminals GROUP BY status").db()?;
        for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))).db()? {
            let (s, n) = row.db()?;
            c.terminals.insert(s, n);
        }
        let (online, pending, oldest): (i64, Option<i64>, Option<i64>) = conn
            .query_row(
                "SELECT count(CASE WHEN last_heartbeat_at >= ?1 THEN 1 END), sum(outbox_pending), max(outbox_oldest_s)
                 FROM terminals WHERE status IN ('approved', 'relocated')",
                [online_cutoff],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .db()?;
        c.online = online.max(0) as u64;
        c.outbox_pending = pending.unwrap_or(0).max(0) as u64;
        c.outbox_oldest_s = oldest.unwrap_or(0).max(0);
        for (kind, table) in [("transaction", "transactions"), ("rating", "ratings"), ("fault", "faults")] {
            let n: i64 = conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0)).db()?;
            c.records.insert(kind.to_string(), n.max(0) as u64);
        }
        let open: i64 = conn.query_row("SELECT count(*) FROM faults WHERE closed_at IS NULL", [], |r| r.get(0)).db()?;
        c.open_faults = open.max(0) as u64;
        Ok(c)
    }
}

/// The storage tests, shared with [`super::pg`]: each takes any [`Storage`].
#[cfg(test)]
pub(super) mod tests {
    use super::*;

    const KEY_A: &str = "0193a4f2-7c1e-7b3a-9f00-00000000000a";
    const KEY_B: &str = "0193a4f2-7c1e-7b3a-9f00-00000000000b";

    fn temp(name: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("kiosk-platform-sqlite-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d.join("platform.db")
    }

    fn token(s: &dyn Storage, id: &str, prefix: &str, preapproved: bool, expires_at: i64) {
        s.create_token(&NewToken {
            id: id.into(),
            secret_hash: format!("hash-{id}"),
            division_prefix: prefix.into(),
            preapproved,
            note: String::new(),
            created_at: 0,
            expires_at,
        })
        .unwrap();
    }

    fn enrolment(token: &str, key: &str, new_id: &str, division: &str, now: i64) -> Enrolment {
        Enrolment {
            new_id: new_id.into(),
            token_hash: format!("hash-{token}"),
            public_key: key.into(),
            site: Site { name: "大塘村".into(), division_code: division.into() },
            software_version: "0.1.0".into(),
            now,
        }
    }

    fn refusal(e: StoreError) -> Refusal {
        match e {
            StoreError::Refused(r) => r,
            other => panic!("expected a refusal, got {other}"),
        }
    }

    #[test]
    fn enrolment_rules_sqlite() {
        enrolment_rules(&SqliteStorage::open(&temp("enrol")).unwrap());
    }

    #[test]
    fn batches_apply_each_key_once_sqlite() {
        batches_apply_each_key_once(&SqliteStorage::open(&temp("batch")).unwrap());
    }

    pub(in crate::db) fn enrolment_rules(s: &dyn Storage) {
        token(s, "tok1", "4418", false, 1000);
        token(s, "tok2", "4418", true, 1000);
        assert_eq!(refusal(s.enrol(&enrolment("nope", "k1", "T-1", "441802100201", 10)).unwrap_err()), Refusal::BadToken);
        assert!(matches!(refusal(s.enrol(&enrolment("tok1", "k1", "T-1", "440100000000", 10)).unwrap_err()), Refusal::DivisionNotAllowed { .. }));
        assert_eq!(refusal(s.enrol(&enrolment("tok1", "k1", "T-1", "441802100201", 1000)).unwrap_err()), Refusal::TokenExpired);
        let (row, created) = s.enrol(&enrolment("tok1", "k1", "T-1", "441802100201", 10)).unwrap();
        assert!(created);
        assert_eq!(row.status, TerminalStatus::Pending);
        // A retry (lost answer) gets the same terminal, even after the token expired.
        let (again, created) = s.enrol(&enrolment("tok1", "k1", "T-other", "441802100201", 5000)).unwrap();
        assert!(!created);
        assert_eq!(again.id, "T-1");
        assert_eq!(refusal(s.enrol(&enrolment("tok1", "k2", "T-2", "441802100201", 10)).unwrap_err()), Refusal::TokenUsed);
        assert!(matches!(refusal(s.enrol(&enrolment("tok2", "k1", "T-2", "441802100201", 10)).unwrap_err()), Refusal::AlreadyEnrolled { .. }));
        let (row, _) = s.enrol(&enrolment("tok2", "k2", "T-2", "441802100201", 10)).unwrap();
        assert_eq!(row.status, TerminalStatus::Approved, "pre-approved token");
        assert_eq!(s.tokens().unwrap().iter().filter(|t| t.used_by.is_some()).count(), 2);
        // Transitions.
        assert!(matches!(refusal(s.transition("T-1", &Transition::Decommission, None, 20).and_then(|_| s.transition("T-1", &Transition::Approve, None, 21)).unwrap_err()), Refusal::BadTransition { .. }));
        let site = Site { name: "新址".into(), division_code: "441803000000".into() };
        let moved = s.transition("T-2", &Transition::Relocate(site.clone()), Some("村委搬迁"), 30).unwrap();
        assert_eq!((moved.status, moved.site), (TerminalStatus::Relocated, site));
        let events = s.terminal_events("T-2", 10).unwrap();
        assert_eq!(events[0].event, "relocated");
        assert!(events[0].detail.contains("441802100201") && events[0].detail.contains("441803000000"));
        assert!(matches!(refusal(s.transition("T-9", &Transition::Approve, None, 1).unwrap_err()), Refusal::NotFound { .. }));
    }

    pub(in crate::db) fn batches_apply_each_key_once(s: &dyn Storage) {
        token(s, "t", "44", true, i64::MAX);
        let (terminal, _) = s.enrol(&enrolment("t", "k", "T-1", "441802100201", 1)).unwrap();
        let fault = |key: &str| PreparedRecord { key: key.into(), created_at: 5, body: PreparedBody::Fault { category: "printer".into(), text: "卡纸".into(), source: "assistant".into() } };
        assert_eq!(s.apply_batch(&terminal, &[fault(KEY_A)], 10).unwrap(), vec![true]);
        assert_eq!(s.apply_batch(&terminal, &[fault(KEY_A), fault(KEY_B)], 11).unwrap(), vec![false, true]);
        assert_eq!(s.counts(0).unwrap().records["fault"], 2);
        assert_eq!(s.faults(FaultFilter::Open, None, 10).unwrap().len(), 2);
        let id = s.faults(FaultFilter::Open, None, 10).unwrap()[0].id;
        s.close_fault(id, "换纸", 12).unwrap();
        assert_eq!(s.faults(FaultFilter::Open, None, 10).unwrap().len(), 1);
        assert_eq!(s.open_faults_by_terminal().unwrap()["T-1"], 1);
        // Nonces.
        assert!(s.use_nonce("T-1", "n1", 100).unwrap());
        assert!(!s.use_nonce("T-1", "n1", 101).unwrap());
        assert_eq!(s.purge_nonces(101).unwrap(), 1);
        // Catalogue versions only go up.
        let cat = |v: &str| StoredCatalogue { version: v.into(), document: "{}".into(), signature: "s".into(), key_id: "k".into(), published_at: 1 };
        s.publish_catalogue(&cat("2026.12.01.1")).unwrap();
        assert!(matches!(refusal(s.publish_catalogue(&cat("2026.12.01.1")).unwrap_err()), Refusal::VersionNotNewer { .. }));
        assert!(matches!(refusal(s.publish_catalogue(&cat("2026.11.30.9")).unwrap_err()), Refusal::VersionNotNewer { .. }));
        s.publish_catalogue(&cat("2026.12.01.10")).unwrap();
        assert_eq!(s.catalogue().unwrap().unwrap().version, "2026.12.01.10");
        // Config versions go up with each change.
        let c = s.config().unwrap();
        let c2 = s.set_config(Some(30), None, 5).unwrap();
        assert_eq!((c2.version, c2.heartbeat_s), (c.version + 1, 30));
    }
}
