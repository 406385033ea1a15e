//! A real terminal for tests: both simulators on ptys (in this process) and the real `kioskd`
//! binary (another process) with its own folder, database and socket.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use kiosk_drivers::idcard::{CardJson, IdCardSim, SimOptions};
use kiosk_drivers::printer::receipt::PaperWidth;
use kiosk_drivers::printer::sim::{PrinterSim, PrinterSimHandle, SimConfig};
use kioskd::client::Client;
use kioskd::config::Config;
use serde_json::{json, Value};

pub const PIN: &str = "246810";
pub const NAME: &str = "张秀英";
pub const ID: &str = "441882195103070022";

pub fn card() -> CardJson {
    serde_json::from_str(kioskd::demo::DEMO_CARD).unwrap()
}

pub fn second_card() -> CardJson {
    let mut c = card();
    c.name = Some("莫志强".into());
    c.id_number = Some("441826196210210012".into());
    c.gender = Some(kiosk_drivers::idcard::Gender::Male);
    c.birth_date = Some("1962-10-21".into());
    c
}

pub struct Terminal {
    pub dir: PathBuf,
    pub config: Config,
    pub reader: Option<IdCardSim>,
    pub printer: Option<PrinterSimHandle>,
    pub daemon: Option<Child>,
    pub client: Client,
    /// Extra environment for the daemon process.
    pub env: Vec<(String, String)>,
}

fn fresh_dir(name: &str) -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let d = std::env::temp_dir().join(format!("kioskd-it-{name}-{}-{}", std::process::id(), N.fetch_add(1, Ordering::SeqCst)));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

impl Terminal {
    /// A terminal with simulators and default test settings, not yet started.
    pub fn new(name: &str) -> Terminal {
        Terminal::with(name, |_| {})
    }

    pub fn with(name: &str, adjust: impl FnOnce(&mut Config)) -> Terminal {
        let dir = fresh_dir(name);
        let hash = kioskd::maintenance::hash_pin(PIN).unwrap();
        let mut config = kioskd::demo::demo_config(&dir, hash);
        config.maintenance.max_attempts = 3;
        config.devices.printer_poll_ms = 200;
        config.devices.idcard_poll_ms = 100;
        adjust(&mut config);
        std::fs::write(&config.catalogue.seed, kioskd::daemon::SAMPLE_CATALOGUE).unwrap();
        let reader = IdCardSim::spawn(&config.devices.idcard, SimOptions::default()).unwrap();
        let printer =
            PrinterSim::spawn(&config.devices.printer, SimConfig::new(PaperWidth::Mm58, dir.join("receipts"))).unwrap();
        let client = Client::new(&config.api.socket);
        Terminal { dir, config, reader: Some(reader), printer: Some(printer), daemon: None, client, env: Vec::new() }
    }

    pub fn log_path(&self) -> PathBuf {
        self.dir.join("kioskd.log")
    }

    /// Starts (or restarts) the real daemon and waits until it answers. The configuration file
    /// is written at the first start only (the daemon may change it later).
    pub fn start(&mut self) -> &mut Terminal {
        let config_path = self.dir.join("kioskd.toml");
        if !config_path.exists() {
            std::fs::write(&config_path, toml::to_string(&self.config).unwrap()).unwrap();
        }
        let log = std::fs::OpenOptions::new().create(true).append(true).open(self.log_path()).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_kioskd"))
            .args(["run", "--config", config_path.to_str().unwrap()])
            .env("KIOSK_LOG", "debug")
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        self.daemon = Some(child);
        kioskd::demo::wait_ready(&self.client, Duration::from_secs(20)).unwrap();
        self
    }

    /// kill -9.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.daemon.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SIGTERM and wait.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.daemon.take() {
            let _ = Command::new("kill").arg("-TERM").arg(c.id().to_string()).status();
            let _ = c.wait();
        }
    }

    pub fn reader(&self) -> &IdCardSim {
        self.reader.as_ref().unwrap()
    }

    pub fn printer(&self) -> &PrinterSimHandle {
        self.printer.as_ref().unwrap()
    }

    pub fn get(&self, path: &str) -> Value {
        let r = self.client.get(path).unwrap();
        assert!(r.ok(), "GET {path}: {} {}", r.status, r.body);
        r.body
    }

    pub fn post(&self, path: &str, body: Value) -> kioskd::client::Response {
        self.client.post(path, body).unwrap()
    }

    pub fn post_ok(&self, path: &str, body: Value) -> Value {
        let r = self.post(path, body);
        assert!(r.ok(), "POST {path}: {} {}", r.status, r.body);
        r.body
    }

    pub fn wait_session(&self, pred: impl Fn(&Value) -> bool) -> Value {
        kioskd::demo::wait_session(&self.client, Duration::from_secs(15), pred).unwrap()
    }

    pub fn wait_status(&self, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let s = self.get("/v1/status");
            if pred(&s) {
                return s;
            }
            assert!(Instant::now() < deadline, "status never matched; last {s}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Places the card and waits for an identified session.
    pub fn identify(&self, card: CardJson) -> Value {
        let id = card.id_number.clone().unwrap();
        self.reader().place(card).unwrap();
        let masked = kiosk_drivers::idcard::mask_id(&id);
        self.wait_session(|s| s["citizen"]["id_masked"] == masked.as_str())
    }

    /// Opens `code` and fills every required field the card did not fill.
    pub fn fill_form(&self, code: &str) -> Value {
        self.post_ok("/v1/session/item", json!({ "code": code }));
        let detail = self.get(&format!("/v1/items/{code}"));
        let fields: Vec<kioskd::catalogue::Field> = serde_json::from_value(detail["form"]["fields"].clone()).unwrap();
        let mut values = serde_json::Map::new();
        for f in fields.iter().filter(|f| f.prefill.is_none() && f.required) {
            values.insert(f.key.clone(), Value::String(kioskd::demo::sample_value(f)));
        }
        self.post_ok("/v1/session/fields", json!({ "fields": values }))
    }

    pub fn receipts(&self) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(self.dir.join("receipts"))
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|e| e == "txt")).collect())
            .unwrap_or_default();
        v.sort();
        v
    }

    pub fn login(&self) -> Client {
        let r = self.post_ok("/v1/maintenance/login", json!({ "pin": PIN }));
        self.client.clone().with_token(r["token"].as_str().unwrap())
    }

    /// Opens the database directly (the daemon must be stopped or idle).
    pub fn store(&self) -> kioskd::store::Store {
        kioskd::store::Store::open(&self.config.db_path(), &self.config.key_path(), kioskd::time::now_unix()).unwrap().0
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        self.kill();
        self.reader.take();
        self.printer.take();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The form item of the sample catalogue the tests use.
pub fn pension_certification_code() -> String {
    let c = kioskd::catalogue::Catalogue::from_json(kioskd::daemon::SAMPLE_CATALOGUE).unwrap();
    c.items.iter().find(|i| i.name == "城乡居民养老保险待遇资格认证").unwrap().code.clone()
}

pub fn wait_until(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub fn file_text(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_default()
}
