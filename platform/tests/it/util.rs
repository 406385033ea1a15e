//! A platform for one test: the real router on 127.0.0.1:0 in its own runtime thread, a
//! temporary SQLite file, a manual clock at [`T0`], and helpers for terminals and records.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use kiosk_platform::app::Options;
use kiosk_platform::client::{AdminClient, DeviceClient, HttpClient, HttpResponse};
use kiosk_platform::clock::Clock;
use kiosk_platform::db::DbUrl;
use kiosk_platform::server::{self, ServeConfig};
use kiosk_wire::sign::{public_key_hex, SigningKey};
use kiosk_wire::{
    DeviceHealth, DeviceState, EnrolRequest, FaultBody, Heartbeat, OutboxDepth, Paper, PrinterHealth, RatingBody, Record, Site, TransactionBody,
    PROTOCOL_VERSION,
};
use serde_json::Value;

/// 2026-12-04T10:00:00+08:00, the sample catalogue's "today".
pub const T0: i64 = 1_796_349_600;
pub const DIVISION: &str = "441802100201";
pub const NAME: &str = "张秀英";
pub const ID: &str = "441882195103070022";
pub const SAMPLE_CATALOGUE: &str = include_str!("../../../assets/catalogue/catalogue.json");

pub struct Platform {
    pub dir: PathBuf,
    pub url: String,
    pub clock: Clock,
    pub admin: AdminClient,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

pub fn fresh_dir(name: &str) -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let d = std::env::temp_dir().join(format!("kiosk-platform-it-{name}-{}-{}", std::process::id(), N.fetch_add(1, Ordering::SeqCst)));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

impl Platform {
    pub fn start(name: &str) -> Platform {
        Platform::with(name, |_| {})
    }

    pub fn with(name: &str, adjust: impl FnOnce(&mut Options)) -> Platform {
        let dir = fresh_dir(name);
        let mut options = Options::default();
        adjust(&mut options);
        let config = ServeConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            db: DbUrl::Sqlite(dir.join("platform.db")),
            admin_token_file: None,
            signing_key_file: None,
            data_key_file: None,
            options,
        };
        let clock = Clock::manual(T0);
        let opened = server::open(&config, clock.clone()).unwrap();
        let token = opened.app.admin_token.clone();
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let app = opened.app;
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
            rt.block_on(async move {
                let listener = server::bind(config.listen).await.unwrap();
                addr_tx.send(listener.local_addr().unwrap()).unwrap();
                server::serve(listener, app, async {
                    let _ = stop_rx.await;
                })
                .await
                .unwrap();
            });
        });
        let addr = addr_rx.recv().unwrap();
        let url = format!("http://{addr}");
        let admin = AdminClient::new(HttpClient::new(&url).unwrap(), token);
        Platform { dir, url, clock, admin, shutdown: Some(stop_tx), thread: Some(thread) }
    }

    pub fn http(&self) -> HttpClient {
        HttpClient::new(&self.url).unwrap()
    }

    /// A device client for `key` as terminal `id`, on the platform's clock.
    pub fn device(&self, key: &SigningKey, id: &str) -> DeviceClient {
        let clock = self.clock.clone();
        DeviceClient::new(self.http(), key.clone(), id, move || clock.now())
    }

    pub fn token(&self, prefix: &str, preapproved: bool) -> String {
        self.admin.create_token(prefix, preapproved, None, "test").unwrap()["token"].as_str().unwrap().to_string()
    }

    pub fn enrol_raw(&self, key: &SigningKey, token: &str, division: &str) -> HttpResponse {
        let req = EnrolRequest::new(token, public_key_hex(&key.verifying_key()), Site { name: "大塘村党群服务中心".into(), division_code: division.into() }, "0.1.0");
        self.http().request("POST", "/api/v1/enrol", &[("content-type", "application/json".into())], &serde_json::to_vec(&req).unwrap()).unwrap()
    }

    /// Enrols a new terminal with key seed `seed` (pending unless `approved`, which approves it).
    pub fn terminal(&self, seed: u8, approved: bool) -> DeviceClient {
        let key = SigningKey::from_bytes(&[seed; 32]);
        let token = self.token("4418", false);
        let r = self.enrol_raw(&key, &token, DIVISION);
        assert_eq!(r.status, 200, "{}", r.text());
        let id = r.json()["terminal_id"].as_str().unwrap().to_string();
        if approved {
            self.admin.transition(&id, "approve", None).unwrap();
        }
        self.device(&key, &id)
    }

    pub fn metrics(&self) -> String {
        self.http().get("/metrics", &[]).unwrap().text()
    }

    /// The value of one metrics line, e.g. `kiosk_platform_terminals_online`.
    pub fn metric(&self, series: &str) -> Option<f64> {
        self.metrics().lines().find_map(|l| l.strip_prefix(series).and_then(|rest| rest.strip_prefix(' ')).and_then(|v| v.parse().ok()))
    }

    pub fn terminals(&self) -> Vec<Value> {
        self.admin.get_json("/admin/v1/terminals").unwrap()["terminals"].as_array().unwrap().clone()
    }

    pub fn listed(&self, id: &str) -> Value {
        self.terminals().into_iter().find(|t| t["id"] == id).expect("listed")
    }
}

impl Drop for Platform {
    fn drop(&mut self) {
        if let Some(s) = self.shutdown.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A record key (a UUID).
pub fn key(n: u64) -> String {
    format!("0193a4f2-7c1e-7b3a-9f00-{n:012}")
}

pub fn heartbeat(id: &str, at: i64, pending: u64) -> Heartbeat {
    Heartbeat {
        v: PROTOCOL_VERSION,
        terminal_id: id.into(),
        at,
        reader: DeviceHealth { state: DeviceState::Ready, problem: None },
        printer: PrinterHealth { state: DeviceState::Ready, paper: Paper::NearEnd, cover_open: false, problem: None },
        outbox: OutboxDepth { pending, oldest_age_s: if pending > 0 { Some(90) } else { None } },
        catalogue_version: Some("2026.12.01.1".into()),
        software_version: "0.1.0".into(),
        uptime_s: 3600,
        disk_free_bytes: 8 << 30,
        online_since: Some(at - 60),
    }
}

pub fn transaction(n: u64) -> Record {
    let body = TransactionBody {
        item_code: "11440000009511114X4442182945000".into(),
        item_name: "城乡居民养老保险待遇资格认证".into(),
        assisted: n % 2 == 0,
        elderly: true,
        form: [("name", NAME), ("id_number", ID), ("phone", "13800138000"), ("residence", "home")].into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
    };
    Record::transaction(key(n), T0 - 3600 + n as i64, &body)
}

pub fn rating(n: u64, level: u8) -> Record {
    let body = RatingBody { transaction_key: Some(key(1)), item_code: "11440000009511114X4442182945000".into(), level, reasons: vec!["办理快".into()], complaint: Some(format!("身份证{ID}，电话13800138000")) };
    Record::rating(key(n), T0 - 1800, &body)
}

pub fn fault(n: u64) -> Record {
    Record::fault(key(n), T0 - 600, &FaultBody { category: "printer".into(), text: "打印机卡纸".into(), source: "assistant".into() })
}
