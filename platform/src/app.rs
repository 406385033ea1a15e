//! The service's shared state, [`App`], and its settings, [`Options`]. Everything from the
//! outside world (storage, keys, clock) is passed in, so tests build an `App` on a temporary
//! SQLite file with a manual clock.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use kiosk_wire::sign::SigningKey;
use kiosk_wire::RecordKind;
use tokio::sync::Semaphore;

use crate::clock::Clock;
use crate::db::Storage;
use crate::keys::DataKey;

/// Service settings (the `serve` flags).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Offline after this long without a heartbeat; `None`: three heartbeat intervals.
    pub offline_after_s: Option<u32>,
    /// Largest accepted distance between a request's timestamp and the platform's clock.
    pub max_skew_s: i64,
    /// Requests handled at once; beyond it the answer is 503 with `Retry-After`.
    pub max_in_flight: usize,
    /// The `Retry-After` of a 503.
    pub retry_after_s: u32,
    /// Lifetime of an enrolment token when the request does not say.
    pub token_ttl_s: i64,
}

impl Default for Options {
    fn default() -> Self {
        Options { offline_after_s: None, max_skew_s: kiosk_wire::sign::DEFAULT_MAX_SKEW_S, max_in_flight: 64, retry_after_s: 5, token_ttl_s: 7 * 86_400 }
    }
}

/// Counters kept in memory since start (the stored totals come from the database).
#[derive(Debug, Default)]
pub struct Metrics {
    ingested: [AtomicU64; 3],
    pub duplicates: AtomicU64,
    pub rejected_records: AtomicU64,
    pub heartbeats: AtomicU64,
    errors: Mutex<BTreeMap<String, u64>>,
}

fn kind_index(k: RecordKind) -> usize {
    match k {
        RecordKind::Transaction => 0,
        RecordKind::Rating => 1,
        RecordKind::Fault => 2,
    }
}

impl Metrics {
    pub fn ingested(&self, k: RecordKind, n: u64) {
        self.ingested[kind_index(k)].fetch_add(n, Ordering::Relaxed);
    }

    pub fn ingested_total(&self, k: RecordKind) -> u64 {
        self.ingested[kind_index(k)].load(Ordering::Relaxed)
    }

    /// Counts an error answer by its code.
    pub fn error(&self, code: &str) {
        let mut m = self.errors.lock().unwrap_or_else(|p| p.into_inner());
        *m.entry(code.to_string()).or_insert(0) += 1;
    }

    pub fn errors(&self) -> BTreeMap<String, u64> {
        self.errors.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// Everything a request handler needs.
pub struct App {
    pub db: Arc<dyn Storage>,
    pub signing_key: SigningKey,
    pub data_key: DataKey,
    pub admin_token: String,
    pub clock: Clock,
    pub options: Options,
    pub metrics: Metrics,
    /// Held while a catalogue is being edited and republished, so two edits cannot both start
    /// from the same version.
    pub catalogue_lock: tokio::sync::Mutex<()>,
    pub in_flight: Arc<Semaphore>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App").field("options", &self.options).finish_non_exhaustive()
    }
}

impl App {
    pub fn new(db: Arc<dyn Storage>, signing_key: SigningKey, data_key: DataKey, admin_token: String, clock: Clock, options: Options) -> Arc<App> {
        let permits = options.max_in_flight.max(1);
        Arc::new(App {
            db,
            signing_key,
            data_key,
            admin_token,
            clock,
            options,
            metrics: Metrics::default(),
            catalogue_lock: tokio::sync::Mutex::new(()),
            in_flight: Arc::new(Semaphore::new(permits)),
        })
    }

    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// The offline threshold in force for a heartbeat interval.
    pub fn offline_after_s(&self, heartbeat_s: u32) -> u32 {
        self.options.offline_after_s.unwrap_or_else(|| heartbeat_s.saturating_mul(3))
    }
}
