//! A platform for one test: the real router on 127.0.0.1:0 in its own runtime thread, a
//! temporary SQLite file or a fresh PostgreSQL database, a manual clock at [`T0`], and helpers
//! for terminals and records.
//!
//! Every test runs on both backends: [`both!`] turns `fn name(db: Backend)` into the tests
//! `sqlite::name` and `postgres::name`. The PostgreSQL run creates a database of its own on the
//! server `KIOSK_TEST_POSTGRES` names (a base URL without a database, e.g.
//! `postgres://postgres@127.0.0.1:54329`; `cargo xtask test` starts one) and drops it at the
//! end. Without the variable the PostgreSQL runs fail under CI (`CI` set) and are skipped with
//! a notice otherwise.

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

/// Which database a test's platform runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Generates, for each `fn name(db: Backend)` listed, a test per backend.
#[macro_export]
macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $name() { super::$name($crate::util::Backend::Sqlite) } )*
        }
        mod postgres {
            $( #[test] fn $name() { if $crate::util::postgres_available(stringify!($name)) { super::$name($crate::util::Backend::Postgres) } } )*
        }
    };
}

/// The base URL of the test PostgreSQL server.
fn postgres_base() -> Option<String> {
    std::env::var("KIOSK_TEST_POSTGRES").ok().map(|u| u.trim().trim_end_matches('/').to_string()).filter(|u| !u.is_empty())
}

/// Whether the PostgreSQL run of `test` can go ahead: panics under CI when the server is not
/// configured, prints a notice and answers `false` elsewhere.
pub fn postgres_available(test: &str) -> bool {
    if postgres_base().is_some() {
        return true;
    }
    let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false");
    assert!(!ci, "KIOSK_TEST_POSTGRES is not set: under CI every platform test must also run on PostgreSQL (cargo xtask test starts a server)");
    eprintln!("NOTICE: KIOSK_TEST_POSTGRES is not set; the PostgreSQL run of {test} is SKIPPED (set it, e.g. postgres://postgres@127.0.0.1:54329)");
    false
}

/// A database of its own on the test PostgreSQL server, dropped with this value.
pub struct PgDb {
    base: String,
    pub name: String,
}

impl PgDb {
    pub fn create(test: &str) -> PgDb {
        static N: AtomicU32 = AtomicU32::new(0);
        let base = postgres_base().expect("KIOSK_TEST_POSTGRES");
        let label: String = test.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).take(24).collect();
        let name = format!("kiosk_it_{}_{}_{label}", std::process::id(), N.fetch_add(1, Ordering::SeqCst));
        let mut admin = Self::admin(&base);
        // Two statements: CREATE DATABASE cannot run inside a (multi-statement) transaction.
        admin.batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).unwrap_or_else(|e| panic!("dropping database {name}: {e:?}"));
        admin.batch_execute(&format!("CREATE DATABASE \"{name}\"")).unwrap_or_else(|e| panic!("creating database {name}: {e:?}"));
        PgDb { base, name }
    }

    fn admin(base: &str) -> postgres::Client {
        postgres::Client::connect(&format!("{base}/postgres"), postgres::NoTls).unwrap_or_else(|e| panic!("cannot connect to the test PostgreSQL server {base}: {e}"))
    }

    /// The database's URL, for `--db`.
    pub fn url(&self) -> String {
        format!("{}/{}", self.base, self.name)
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        let base = self.base.clone();
        // On its own thread: a drop may run inside a tokio runtime, where the synchronous
        // client must not block.
        let _ = std::thread::spawn(move || {
            if let Ok(mut admin) = postgres::Client::connect(&format!("{base}/postgres"), postgres::NoTls) {
                if let Err(e) = admin.batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")) {
                    eprintln!("cannot drop test database {name}: {e}");
                }
            }
        })
        .join();
    }
}

pub struct Platform {
    pub dir: PathBuf,
    pub url: String,
    pub clock: Clock,
    pub admin: AdminClient,
    admin_token: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    pg: Option<PgDb>,
}

pub fn fresh_dir(name: &str) -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let d = std::env::temp_dir().join(format!("kiosk-platform-it-{name}-{}-{}", std::process::id(), N.fetch_add(1, Ordering::SeqCst)));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

impl Platform {
    pub fn start(backend: Backend, name: &str) -> Platform {
        Platform::with(backend, name, |_| {})
    }

    pub fn with(backend: Backend, name: &str, adjust: impl FnOnce(&mut Options)) -> Platform {
        let dir = fresh_dir(name);
        let mut options = Options::default();
        adjust(&mut options);
        let pg = (backend == Backend::Postgres).then(|| PgDb::create(name));
        let file = |f: &str| pg.as_ref().map(|_| dir.join(f));
        let config = ServeConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            db: match &pg {
                None => DbUrl::Sqlite(dir.join("platform.db")),
                Some(pg) => DbUrl::Postgres(pg.url()),
            },
            // Beside the SQLite file by default; in the test's folder for PostgreSQL too.
            admin_token_file: file("admin-token"),
            signing_key_file: file("platform-signing.key"),
            data_key_file: file("platform-data.key"),
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
        let admin = AdminClient::new(HttpClient::new(&url).unwrap(), token.clone());
        Platform { dir, url, clock, admin, admin_token: token, shutdown: Some(stop_tx), thread: Some(thread), pg }
    }

    /// The admin token (what an operator types into the web page).
    pub fn admin_token(&self) -> &str {
        &self.admin_token
    }

    /// PostgreSQL only: every row of every table as text (bytea as hex).
    pub fn database_text(&self) -> Option<String> {
        let url = self.pg.as_ref()?.url();
        std::thread::spawn(move || {
            let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
            let tables: Vec<String> = c
                .query("SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'", &[])
                .unwrap()
                .iter()
                .map(|r| r.get(0))
                .collect();
            let mut out = String::new();
            for t in tables {
                let text: String = c.query_one(&format!("SELECT coalesce(string_agg(t::text, E'\\n'), '') FROM \"{t}\" t"), &[]).unwrap().get(0);
                out.push_str(&text);
                out.push('\n');
            }
            out
        })
        .join()
        .ok()
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
        drop(self.pg.take());
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
