//! The sync agent, the on-device side of sync with the provincial platform. It runs as a tokio
//! task inside kioskd:
//!
//! - identity: an Ed25519 key made at first start (`keys/device.key`, 0600); enrolment with the
//!   one-time token and the site; then every request is signed (`kiosk_wire::sign`).
//! - outbox: unacknowledged transactions, ratings and fault reports are sent in bounded batches
//!   with their idempotency keys (at least once), marked `sent`, and `acknowledged` only when
//!   the platform says it applied them (exactly once there). Nothing is deleted here.
//! - heartbeat every `heartbeat_s` with device health, outbox depth, versions, uptime, disk.
//! - catalogue pull by ETag; the signature is verified against the configured platform key and
//!   the document validated before the core swaps it in atomically; on any failure the old one
//!   stays.
//! - failures: capped exponential backoff with full jitter; 429/503 `Retry-After` honoured.
//!   The core hears `online` from the last successful exchange.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use kiosk_wire::sign::{self, SigningKey, VerifyingKey};
use kiosk_wire::{Batch, BatchAck, EnrolRequest, EnrolResponse, Heartbeat, HeartbeatAck, Record, RecordKind, SignedCatalogue, Site, TerminalInfo, TerminalStatus};
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::sync::{oneshot, Notify};

use crate::catalogue::Catalogue;
use crate::config::Config;
use crate::core::{Input, Request};
use crate::store::Store;

const TERMINAL_ID_KEY: &str = "sync.terminal_id";
const STATUS_KEY: &str = "sync.status";

/// What the agent tells the core.
#[derive(Debug)]
pub enum SyncEvent {
    /// A successful exchange (online) or a failed one (offline), with the platform's view.
    Exchange { online: bool, status: Option<TerminalStatus>, error: Option<String> },
    /// A verified, validated catalogue to swap in.
    Catalogue(Box<Catalogue>),
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("network: {0}")]
    Network(String),
    #[error("platform answered {status} {code}: {message}")]
    Refused { status: u16, code: String, message: String, retry_after: Option<u64>, server_time: Option<i64> },
    #[error("platform's answer is malformed: {0}")]
    Malformed(String),
    #[error("catalogue rejected: {0}")]
    Catalogue(String),
    #[error("storage: {0}")]
    Store(#[from] crate::store::StoreError),
    #[error("{0}")]
    Other(String),
}

impl SyncError {
    fn retry_after(&self) -> Option<u64> {
        match self {
            SyncError::Refused { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// Loads or creates the device key (mode 0600).
pub fn device_key(path: &Path) -> Result<SigningKey, String> {
    use std::io::Write;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    if !path.exists() {
        let mut seed = [0u8; 32];
        getrandom::getrandom(&mut seed).map_err(|e| e.to_string())?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        }
        let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        f.write_all(sign::signing_key_hex(&SigningKey::from_bytes(&seed)).as_bytes()).map_err(|e| e.to_string())?;
        f.sync_all().map_err(|e| e.to_string())?;
    }
    let mode = std::fs::metadata(path).map_err(|e| e.to_string())?.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(format!("{} is readable by others (mode {mode:o})", path.display()));
    }
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    sign::signing_key_from_hex(text.trim()).map_err(|e| format!("{}: {e}", path.display()))
}

/// Capped exponential backoff with full jitter.
#[derive(Debug)]
pub struct Backoff {
    failures: u32,
    base_ms: u64,
    cap_ms: u64,
}

impl Backoff {
    pub fn new(base: Duration, cap: Duration) -> Backoff {
        Backoff { failures: 0, base_ms: base.as_millis() as u64, cap_ms: cap.as_millis() as u64 }
    }

    pub fn reset(&mut self) {
        self.failures = 0;
    }

    /// The next wait: uniform in [0, min(cap, base·2^n)], at least `retry_after` when given.
    pub fn next(&mut self, retry_after: Option<Duration>, random: u64) -> Duration {
        let ceiling = self.base_ms.saturating_mul(1u64 << self.failures.min(20)).min(self.cap_ms).max(1);
        self.failures = self.failures.saturating_add(1);
        let jittered = Duration::from_millis(random % (ceiling + 1));
        match retry_after {
            Some(r) => jittered.max(r.min(Duration::from_millis(self.cap_ms))),
            None => jittered,
        }
    }
}

fn random_u64() -> u64 {
    let mut b = [0u8; 8];
    let _ = getrandom::getrandom(&mut b);
    u64::from_le_bytes(b)
}

pub struct Agent {
    config: Config,
    http: reqwest::Client,
    base: String,
    key: SigningKey,
    platform_key: Option<VerifyingKey>,
    /// The agent's own connection (in a mutex so the task is `Send`; never held across await).
    store: std::sync::Mutex<Store>,
    core: std::sync::mpsc::Sender<Input>,
    terminal_id: Option<String>,
    status: Option<TerminalStatus>,
    catalogue_etag: Option<String>,
    config_etag: Option<String>,
    /// Platform clock minus ours, learnt when the platform refuses a stale timestamp or
    /// acknowledges a heartbeat: requests are signed on the platform's time, so a terminal whose
    /// clock drifted (no NTP in the village) still syncs.
    clock_offset: i64,
    heartbeat: Duration,
    started: std::time::Instant,
}

impl Agent {
    pub fn new(config: &Config, core: std::sync::mpsc::Sender<Input>) -> Result<Agent, String> {
        let s = &config.sync;
        let key = device_key(&config.storage.data_dir.join("keys").join("device.key"))?;
        let platform_key = if s.platform_key.is_empty() { None } else { Some(sign::parse_public_key(&s.platform_key).map_err(|e| e.to_string())?) };
        let store = Store::open_secondary(&config.db_path(), &config.key_path()).map_err(|e| e.to_string())?;
        let terminal_id = store.setting(TERMINAL_ID_KEY).map_err(|e| e.to_string())?.filter(|v| !v.is_empty());
        let status = store.setting(STATUS_KEY).map_err(|e| e.to_string())?.and_then(|v| v.parse().ok());
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(s.timeout_s))
            .user_agent(concat!("kioskd/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Agent {
            config: config.clone(),
            http,
            base: s.platform_url.trim_end_matches('/').to_string(),
            key,
            platform_key,
            store: std::sync::Mutex::new(store),
            core,
            terminal_id,
            status,
            catalogue_etag: None,
            config_etag: None,
            clock_offset: 0,
            heartbeat: Duration::from_secs(s.heartbeat_s),
            started: std::time::Instant::now(),
        })
    }

    fn db(&self) -> std::sync::MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn tell(&self, e: SyncEvent) {
        let _ = self.core.send(Input::Sync(e));
    }

    fn platform_now(&self) -> i64 {
        crate::time::now_unix() + self.clock_offset
    }

    /// Adopts the platform's clock when ours is off by more than a few seconds.
    fn learn_clock(&mut self, server_time: i64) {
        let offset = server_time - crate::time::now_unix();
        if (offset - self.clock_offset).abs() > 5 {
            tracing::warn!(offset_s = offset, "terminal clock differs from the platform's; signing on the platform's time");
            self.clock_offset = offset;
        }
    }

    /// Sends a request; a refusal for a stale timestamp teaches the clock offset and the
    /// request is sent once more.
    async fn send(&mut self, method: reqwest::Method, path: &str, body: Option<Vec<u8>>, etag: Option<&str>) -> Result<reqwest::Response, SyncError> {
        match self.send_once(method.clone(), path, body.clone(), etag).await {
            Err(SyncError::Refused { code, server_time: Some(t), .. }) if code == "stale_timestamp" => {
                self.learn_clock(t);
                self.send_once(method, path, body, etag).await
            }
            other => other,
        }
    }

    async fn send_once(&self, method: reqwest::Method, path: &str, body: Option<Vec<u8>>, etag: Option<&str>) -> Result<reqwest::Response, SyncError> {
        let body = body.unwrap_or_default();
        let mut req = self.http.request(method.clone(), format!("{}{path}", self.base));
        if let Some(id) = &self.terminal_id {
            let mut nonce = [0u8; 16];
            getrandom::getrandom(&mut nonce).map_err(|e| SyncError::Other(e.to_string()))?;
            let headers = sign::sign_request(&self.key, method.as_str(), path, id, self.platform_now(), &sign::nonce_from_bytes(nonce), &body);
            for (name, value) in headers.pairs() {
                req = req.header(name, value);
            }
        }
        if let Some(tag) = etag {
            req = req.header("if-none-match", tag);
        }
        if !body.is_empty() {
            req = req.header("content-type", "application/json").body(body);
        }
        let resp = req.send().await.map_err(|e| SyncError::Network(e.without_url().to_string()))?;
        let status = resp.status().as_u16();
        if resp.status().is_success() || status == 304 {
            return Ok(resp);
        }
        let retry_after = resp.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<u64>().ok());
        let text = resp.text().await.unwrap_or_default();
        let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        Err(SyncError::Refused {
            status,
            code: v["error"].as_str().unwrap_or("").chars().take(60).collect(),
            message: v["message"].as_str().unwrap_or("").chars().take(200).collect(),
            retry_after,
            server_time: v["server_time"].as_i64(),
        })
    }

    async fn json<T: DeserializeOwned>(resp: reqwest::Response) -> Result<T, SyncError> {
        // Bounded: a hostile platform cannot make the terminal read without end.
        let bytes = resp.bytes().await.map_err(|e| SyncError::Network(e.to_string()))?;
        if bytes.len() > 8 * 1024 * 1024 {
            return Err(SyncError::Malformed("answer larger than 8 MiB".into()));
        }
        serde_json::from_slice(&bytes).map_err(|e| SyncError::Malformed(e.to_string()))
    }

    fn remember(&mut self, id: &str, status: TerminalStatus) -> Result<(), SyncError> {
        self.terminal_id = Some(id.to_string());
        self.status = Some(status);
        let mut db = self.db();
        db.set_setting(TERMINAL_ID_KEY, id)?;
        db.set_setting(STATUS_KEY, status.as_str())?;
        Ok(())
    }

    async fn enrol(&mut self) -> Result<(), SyncError> {
        let site = Site { name: self.config.terminal.name.clone(), division_code: self.config.terminal.division_code.clone() };
        let req = EnrolRequest::new(self.config.sync.enrol_token.clone(), sign::public_key_hex(&self.key.verifying_key()), site, env!("CARGO_PKG_VERSION"));
        let body = serde_json::to_vec(&req).map_err(|e| SyncError::Other(e.to_string()))?;
        let resp: EnrolResponse = Self::json(self.send(reqwest::Method::POST, "/api/v1/enrol", Some(body), None).await?).await?;
        tracing::info!(terminal = %resp.terminal_id, status = %resp.status, "enrolled with the platform");
        self.remember(&resp.terminal_id, resp.status)
    }

    async fn heartbeat_body(&self) -> Result<Vec<u8>, SyncError> {
        let (tx, rx) = oneshot::channel();
        self.core.send(Input::Api(Request::Status, tx)).map_err(|_| SyncError::Other("core stopped".into()))?;
        let s = rx.await.map_err(|_| SyncError::Other("core stopped".into()))?.map_err(|e| SyncError::Other(e.message))?;
        let dev = |v: &Value| serde_json::from_value::<kiosk_wire::DeviceHealth>(serde_json::json!({ "state": v["state"], "problem": v["problem"] })).ok();
        let reader = dev(&s["devices"]["idcard"]).unwrap_or(kiosk_wire::DeviceHealth { state: kiosk_wire::DeviceState::Absent, problem: None });
        let p = &s["devices"]["printer"];
        let printer: kiosk_wire::PrinterHealth = serde_json::from_value(serde_json::json!({
            "state": p["state"], "paper": p["paper"], "cover_open": p["cover_open"], "problem": p["problem"]
        }))
        .map_err(|e| SyncError::Other(e.to_string()))?;
        let hb = Heartbeat {
            v: kiosk_wire::PROTOCOL_VERSION,
            terminal_id: self.terminal_id.clone().unwrap_or_default(),
            at: crate::time::now_unix(),
            reader,
            printer,
            outbox: serde_json::from_value(s["outbox"].clone()).unwrap_or(kiosk_wire::OutboxDepth { pending: 0, oldest_age_s: None }),
            catalogue_version: s["catalogue"]["version"].as_str().map(str::to_string),
            software_version: env!("CARGO_PKG_VERSION").into(),
            uptime_s: self.started.elapsed().as_secs(),
            disk_free_bytes: crate::console_ops::disk_free(&self.config.storage.data_dir).unwrap_or(0),
            online_since: None,
        };
        serde_json::to_vec(&hb).map_err(|e| SyncError::Other(e.to_string()))
    }

    /// Sends the outbox in batches until it is empty or `max_batches` were sent. Returns the
    /// records acknowledged and whether more are waiting (then the next round starts at once).
    async fn drain(&mut self, max_batches: usize) -> Result<(usize, bool), SyncError> {
        let mut sent = 0;
        for _ in 0..max_batches {
            let records = self.db().outbox_batch(self.config.sync.batch_size)?;
            if records.is_empty() {
                return Ok((sent, false));
            }
            let wire: Vec<Record> = records
                .iter()
                .map(|r| Record {
                    key: r.key.clone(),
                    kind: match r.kind.as_str() {
                        "transaction" => RecordKind::Transaction,
                        "rating" => RecordKind::Rating,
                        _ => RecordKind::Fault,
                    },
                    created_at: r.created_at,
                    body: r.body.clone(),
                })
                .collect();
            let ids: Vec<(String, String)> = records.iter().map(|r| (r.kind.clone(), r.key.clone())).collect();
            drop(records);
            let batch = Batch::new(self.terminal_id.clone().unwrap_or_default(), wire);
            let body = serde_json::to_vec(&batch).map_err(|e| SyncError::Other(e.to_string()))?;
            drop(batch);
            self.db().mark_outbox(&ids, "sent", crate::time::now_unix())?;
            let ack: BatchAck = Self::json(self.send(reqwest::Method::POST, "/api/v1/outbox", Some(body), None).await?).await?;
            let acked: Vec<(String, String)> = ids.iter().filter(|(_, k)| ack.acknowledged.contains(k)).cloned().collect();
            self.db().mark_outbox(&acked, "acknowledged", crate::time::now_unix())?;
            for r in &ack.rejected {
                tracing::warn!(key = %r.key, reason = %r.reason, "platform rejected an outbox record");
            }
            sent += acked.len();
            if !acked.is_empty() {
                tracing::info!(records = acked.len(), "outbox records acknowledged by the platform");
            }
            if acked.is_empty() {
                // Nothing moved (every record rejected): do not loop on the same batch.
                return Ok((sent, false));
            }
        }
        Ok((sent, true))
    }

    async fn pull_catalogue(&mut self) -> Result<(), SyncError> {
        let etag = self.catalogue_etag.clone();
        let resp = self.send(reqwest::Method::GET, "/api/v1/catalogue", None, etag.as_deref()).await;
        let resp = match resp {
            Err(SyncError::Refused { status: 404, .. }) => return Ok(()), // nothing published yet
            other => other?,
        };
        if resp.status().as_u16() == 304 {
            return Ok(());
        }
        let etag = resp.headers().get("etag").and_then(|v| v.to_str().ok()).map(str::to_string);
        let signed: SignedCatalogue = Self::json(resp).await?;
        let key = self.platform_key.as_ref().ok_or_else(|| SyncError::Catalogue("no platform_key configured to verify it".into()))?;
        signed.verify(key).map_err(|e| SyncError::Catalogue(e.to_string()))?;
        let catalogue = Catalogue::from_json(&signed.document).map_err(|e| SyncError::Catalogue(e.to_string()))?;
        tracing::info!(version = %catalogue.version, "verified catalogue received");
        self.tell(SyncEvent::Catalogue(Box::new(catalogue)));
        self.catalogue_etag = etag;
        Ok(())
    }

    /// Pulls the terminal configuration by ETag and applies what this terminal knows of it (the
    /// heartbeat interval); unknown settings are ignored, as the protocol says.
    async fn pull_config(&mut self) -> Result<(), SyncError> {
        let etag = self.config_etag.clone();
        let resp = match self.send(reqwest::Method::GET, "/api/v1/config", None, etag.as_deref()).await {
            Err(SyncError::Refused { status: 404, .. }) => return Ok(()), // none set
            other => other?,
        };
        if resp.status().as_u16() == 304 {
            return Ok(());
        }
        let etag = resp.headers().get("etag").and_then(|v| v.to_str().ok()).map(str::to_string);
        let config: kiosk_wire::TerminalConfig = Self::json(resp).await?;
        if config.heartbeat_s >= 5 {
            self.heartbeat = Duration::from_secs(config.heartbeat_s as u64);
        }
        tracing::info!(version = config.version, heartbeat_s = config.heartbeat_s, "terminal configuration applied");
        self.config_etag = etag;
        Ok(())
    }

    /// One round: enrol if needed, learn the status, heartbeat, drain, pull. `Ok(true)` when
    /// the outbox still holds records (a backlog is drained without waiting for heartbeats).
    async fn round(&mut self) -> Result<bool, SyncError> {
        if self.terminal_id.is_none() {
            self.enrol().await?;
        }
        let info: TerminalInfo = Self::json(self.send(reqwest::Method::GET, "/api/v1/terminal", None, None).await?).await?;
        let id = info.terminal_id.clone();
        self.remember(&id, info.status)?;
        if info.heartbeat_s >= 5 {
            self.heartbeat = Duration::from_secs(info.heartbeat_s as u64);
        }
        if !info.status.serves() {
            self.tell(SyncEvent::Exchange { online: true, status: Some(info.status), error: None });
            return Ok(false);
        }
        let body = self.heartbeat_body().await?;
        let ack: HeartbeatAck = Self::json(self.send(reqwest::Method::POST, "/api/v1/heartbeat", Some(body), None).await?).await?;
        self.learn_clock(ack.server_time);
        self.tell(SyncEvent::Exchange { online: true, status: Some(ack.status), error: None });
        let (_, more) = self.drain(50).await?;
        if let Err(e) = self.pull_config().await {
            tracing::warn!(error = %e, "configuration not applied");
            if !matches!(e, SyncError::Malformed(_)) {
                return Err(e);
            }
        }
        if let Err(e) = self.pull_catalogue().await {
            // A bad catalogue is not a network problem: keep the old one, say so, go on.
            tracing::warn!(error = %e, "catalogue not applied; keeping the current one");
            if !matches!(e, SyncError::Catalogue(_) | SyncError::Malformed(_)) {
                return Err(e);
            }
        }
        Ok(more)
    }

    /// Runs until the process ends. `wake` cuts a wait short ("sync now", a new submit).
    pub async fn run(mut self, wake: Arc<Notify>) {
        let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(self.config.sync.max_backoff_s));
        loop {
            let wait = match self.round().await {
                Ok(more) => {
                    backoff.reset();
                    if more { Duration::ZERO } else { self.heartbeat }
                }
                Err(e) => {
                    let wait = backoff.next(e.retry_after().map(Duration::from_secs), random_u64());
                    tracing::warn!(error = %e, retry_in_ms = wait.as_millis() as u64, "sync failed");
                    let status = match &e {
                        SyncError::Refused { code, .. } if code == "decommissioned" => Some(TerminalStatus::Decommissioned),
                        _ => None,
                    };
                    self.tell(SyncEvent::Exchange { online: false, status, error: Some(e.to_string()) });
                    wait
                }
            };
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = wake.notified() => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_capped_jittered_and_honours_retry_after() {
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(60));
        for n in 0..30 {
            let w = b.next(None, u64::MAX - n);
            assert!(w <= Duration::from_secs(60));
        }
        b.reset();
        assert!(b.next(None, 12345) <= Duration::from_secs(1));
        assert!(b.next(Some(Duration::from_secs(30)), 0) >= Duration::from_secs(30));
        assert!(b.next(Some(Duration::from_secs(3600)), 0) <= Duration::from_secs(60), "retry-after is capped too");
    }

    #[test]
    fn the_device_key_is_made_once_and_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("kioskd-devkey-{}", std::process::id()));
        let path = dir.join("keys").join("device.key");
        let a = device_key(&path).unwrap();
        let b = device_key(&path).unwrap();
        assert_eq!(a.to_bytes(), b.to_bytes());
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(device_key(&path).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
