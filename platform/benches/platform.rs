//! kiosk-platform benchmarks, each against a baseline measured in the same run:
//!
//! - batch ingest: 10,000 transactions in batches of 500 over loopback HTTP (signed, verified,
//!   sealed, applied once in one SQLite transaction per batch) against a bare rusqlite insert of
//!   the same rows, 500 per transaction, with the same pragmas (WAL, synchronous=FULL);
//! - heartbeat ingest: 4 client threads simulating 100 terminals (requests per second and p99
//!   latency) against unauthenticated `GET /healthz` requests from the same threads.
//!
//! Both run on SQLite, and again on PostgreSQL when `KIOSK_TEST_POSTGRES` names a server
//! (`cargo xtask bench` starts one), with a bare `postgres` insert as the ingest baseline there.
//!
//! Output: a Markdown table on stdout.

use std::sync::Arc;
use std::time::{Duration, Instant};

use kiosk_platform::app::Options;
use kiosk_platform::client::{AdminClient, DeviceClient, HttpClient};
use kiosk_platform::clock::Clock;
use kiosk_platform::db::DbUrl;
use kiosk_platform::server::{self, ServeConfig};
use kiosk_wire::sign::{public_key_hex, SigningKey};
use kiosk_wire::*;

struct Row {
    name: String,
    value: f64,
    unit: &'static str,
    baseline_name: &'static str,
    baseline: f64,
}

fn start(dir: &std::path::Path, db: DbUrl) -> (String, AdminClient) {
    let config = ServeConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        db,
        admin_token_file: Some(dir.join("admin-token")),
        signing_key_file: Some(dir.join("platform-signing.key")),
        data_key_file: Some(dir.join("platform-data.key")),
        options: Options { max_in_flight: 256, ..Options::default() },
    };
    let opened = server::open(&config, Clock::System).unwrap();
    let token = opened.app.admin_token.clone();
    let app = opened.app;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        rt.block_on(async move {
            let listener = server::bind(config.listen).await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            server::serve(listener, app, std::future::pending()).await.unwrap();
        });
    });
    let url = format!("http://{}", rx.recv().unwrap());
    let admin = AdminClient::new(HttpClient::new(&url).unwrap(), token);
    (url, admin)
}

fn terminal(url: &str, admin: &AdminClient, seed: u32) -> DeviceClient {
    let mut bytes = [7u8; 32];
    bytes[..4].copy_from_slice(&seed.to_le_bytes());
    let key = SigningKey::from_bytes(&bytes);
    let token = admin.create_token("4418", true, None, "bench").unwrap()["token"].as_str().unwrap().to_string();
    let req = EnrolRequest::new(token, public_key_hex(&key.verifying_key()), Site { name: "村".into(), division_code: "441802100201".into() }, "bench");
    let http = HttpClient::new(url).unwrap();
    let id = http.request("POST", "/api/v1/enrol", &[], &serde_json::to_vec(&req).unwrap()).unwrap().json()["terminal_id"].as_str().unwrap().to_string();
    DeviceClient::new(http, key, id, kiosk_platform::clock::system_now)
}

fn tx_body() -> TransactionBody {
    TransactionBody {
        item_code: "11440000009511114X4442182945000".into(),
        item_name: "城乡居民养老保险待遇资格认证".into(),
        assisted: false,
        elderly: true,
        form: [("name", "张秀英"), ("id_number", "441882195103070022"), ("phone", "13800138000"), ("residence", "home")].into_iter().map(|(k, v)| (k.into(), v.into())).collect(),
    }
}

fn key(n: usize) -> String {
    format!("0193a4f2-7c1e-7b3a-9f00-{n:012}")
}

fn batch_ingest(rows: &mut Vec<Row>, url: &str, admin: &AdminClient, dir: &std::path::Path, pg: Option<&str>) {
    const N: usize = 10_000;
    const PER: usize = MAX_BATCH_RECORDS;
    let t = terminal(url, admin, 1);
    let body = tx_body();
    let start = Instant::now();
    for chunk in (0..N).collect::<Vec<_>>().chunks(PER) {
        let records = chunk.iter().map(|n| Record::transaction(key(*n), 1_796_349_600, &body)).collect();
        let r = t.post_json("/api/v1/outbox", &Batch::new(&t.terminal_id, records)).unwrap();
        assert_eq!(r.status, 200, "{}", r.text());
    }
    let http_rate = N as f64 / start.elapsed().as_secs_f64();

    if let Some(pg) = pg {
        let mut client = postgres::Client::connect(pg, postgres::NoTls).unwrap();
        client.batch_execute("CREATE TABLE bare_t (id BIGSERIAL PRIMARY KEY, key TEXT UNIQUE, item_code TEXT, item_name TEXT, created_at BIGINT, form BYTEA)").unwrap();
        let form = serde_json::to_vec(&body.form).unwrap();
        let start = Instant::now();
        for chunk in (0..N).collect::<Vec<_>>().chunks(PER) {
            let mut tx = client.transaction().unwrap();
            for n in chunk {
                tx.execute("INSERT INTO bare_t (key, item_code, item_name, created_at, form) VALUES ($1, $2, $3, $4, $5)", &[&key(*n), &body.item_code, &body.item_name, &0i64, &form]).unwrap();
            }
            tx.commit().unwrap();
        }
        let bare_rate = N as f64 / start.elapsed().as_secs_f64();
        rows.push(Row { name: format!("batch ingest over HTTP ({N} transactions, {PER}/batch)"), value: http_rate, unit: " rec/s", baseline_name: "bare postgres insert, same batches", baseline: bare_rate });
        return;
    }
    let conn = rusqlite::Connection::open(dir.join("bare.db")).unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.pragma_update(None, "synchronous", "FULL").unwrap();
    conn.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, key TEXT UNIQUE, item_code TEXT, item_name TEXT, created_at INTEGER, form BLOB)").unwrap();
    let form = serde_json::to_vec(&body.form).unwrap();
    let mut conn = conn;
    let start = Instant::now();
    for chunk in (0..N).collect::<Vec<_>>().chunks(PER) {
        let tx = conn.transaction().unwrap();
        for n in chunk {
            tx.execute("INSERT INTO t (key, item_code, item_name, created_at, form) VALUES (?1, ?2, ?3, ?4, ?5)", rusqlite::params![key(*n), body.item_code, body.item_name, 0, form]).unwrap();
        }
        tx.commit().unwrap();
    }
    let bare_rate = N as f64 / start.elapsed().as_secs_f64();
    rows.push(Row { name: format!("batch ingest over HTTP ({N} transactions, {PER}/batch)"), value: http_rate, unit: " rec/s", baseline_name: "bare rusqlite insert, same batches", baseline: bare_rate });
}

fn percentile(mut v: Vec<Duration>, p: f64) -> f64 {
    v.sort();
    v.get(((v.len() as f64 * p).ceil() as usize).saturating_sub(1)).map(|d| d.as_secs_f64() * 1000.0).unwrap_or(0.0)
}

fn load(threads: usize, per_thread: usize, work: Arc<dyn Fn(usize, usize) + Send + Sync>) -> (f64, Vec<Duration>) {
    let start = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|th| {
            let work = work.clone();
            std::thread::spawn(move || {
                let mut lat = Vec::with_capacity(per_thread);
                for i in 0..per_thread {
                    let t = Instant::now();
                    work(th, i);
                    lat.push(t.elapsed());
                }
                lat
            })
        })
        .collect();
    let lat: Vec<Duration> = handles.into_iter().flat_map(|h| h.join().unwrap()).collect();
    ((threads * per_thread) as f64 / start.elapsed().as_secs_f64(), lat)
}

fn heartbeats(rows: &mut Vec<Row>, url: &str, admin: &AdminClient) {
    const TERMINALS: usize = 100;
    const THREADS: usize = 4;
    const PER_THREAD: usize = 500;
    let fleet: Arc<Vec<DeviceClient>> = Arc::new((0..TERMINALS).map(|i| terminal(url, admin, 100 + i as u32)).collect());
    let f = fleet.clone();
    let (rate, lat) = load(
        THREADS,
        PER_THREAD,
        Arc::new(move |th, i| {
            let t = &f[(th * PER_THREAD + i) % TERMINALS];
            let hb = Heartbeat {
                v: PROTOCOL_VERSION,
                terminal_id: t.terminal_id.clone(),
                at: kiosk_platform::clock::system_now(),
                reader: DeviceHealth { state: DeviceState::Ready, problem: None },
                printer: PrinterHealth { state: DeviceState::Ready, paper: Paper::Ok, cover_open: false, problem: None },
                outbox: OutboxDepth { pending: 0, oldest_age_s: None },
                catalogue_version: Some("2026.12.01.1".into()),
                software_version: "bench".into(),
                uptime_s: 1,
                disk_free_bytes: 1,
                online_since: None,
            };
            let r = t.post_json("/api/v1/heartbeat", &hb).unwrap();
            assert_eq!(r.status, 200, "{}", r.text());
        }),
    );
    let http = HttpClient::new(url).unwrap();
    let (base_rate, base_lat) = load(
        THREADS,
        PER_THREAD,
        Arc::new(move |_, _| {
            assert_eq!(http.get("/healthz", &[]).unwrap().status, 200);
        }),
    );
    rows.push(Row { name: format!("heartbeat ingest ({TERMINALS} terminals, {THREADS} client threads)"), value: rate, unit: " req/s", baseline_name: "GET /healthz, same threads", baseline: base_rate });
    rows.push(Row { name: "heartbeat p99 latency".into(), value: percentile(lat, 0.99), unit: " ms", baseline_name: "GET /healthz p99", baseline: percentile(base_lat, 0.99) });
}

fn main() {
    if std::env::args().any(|a| a == "--test" || a == "--list") {
        return;
    }
    let dir = std::env::temp_dir().join(format!("kiosk-platform-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (url, admin) = start(&dir, DbUrl::Sqlite(dir.join("platform.db")));
    let mut rows = Vec::new();
    batch_ingest(&mut rows, &url, &admin, &dir, None);
    heartbeats(&mut rows, &url, &admin);
    report("SQLite", rows);

    match std::env::var("KIOSK_TEST_POSTGRES") {
        Ok(base) => {
            let name = format!("kiosk_bench_{}", std::process::id());
            let mut server = postgres::Client::connect(&format!("{base}/postgres"), postgres::NoTls).unwrap();
            // One statement each: DROP/CREATE DATABASE cannot run inside a transaction block.
            server.batch_execute(&format!("DROP DATABASE IF EXISTS {name}")).unwrap();
            server.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
            let url_db = format!("{base}/{name}");
            let pg_dir = dir.join("pg");
            std::fs::create_dir_all(&pg_dir).unwrap();
            let (url, admin) = start(&pg_dir, DbUrl::Postgres(url_db.clone()));
            let mut rows = Vec::new();
            batch_ingest(&mut rows, &url, &admin, &pg_dir, Some(&url_db));
            heartbeats(&mut rows, &url, &admin);
            report("PostgreSQL", rows);
            let _ = server.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
        Err(_) => println!("\n(PostgreSQL not benchmarked: KIOSK_TEST_POSTGRES is not set; `cargo xtask bench` sets it.)"),
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn report(backend: &str, rows: Vec<Row>) {
    println!("## kiosk-platform benchmarks ({backend})\n");
    println!("| benchmark | value | baseline | baseline value | ratio |");
    println!("|---|---|---|---|---|");
    for r in rows {
        println!("| {} | {:.1}{} | {} | {:.1}{} | {:.2}× |", r.name, r.value, r.unit, r.baseline_name, r.baseline, r.unit, r.value / r.baseline);
    }
    println!();
}
