//! kioskd benchmarks, each against a baseline measured in the same run:
//!
//! - durable submits per second (seal + transaction row + receipt job + usage count, one
//!   fsync'd SQLite transaction each) against a bare rusqlite insert of a same-sized row with
//!   the same pragmas (WAL, synchronous=FULL), one transaction each;
//! - cold start to ready (`kioskd run` until `GET /v1/status` answers) with the sample catalogue
//!   plus 100,000 past transactions, against the same start with an empty database;
//! - daemon memory (RSS and PSS) when idle after start, against an idle `kiosk-hw sim idcard`
//!   process (a minimal process on the same driver stack).
//!
//! - outbox drain of a 10,000-transaction backlog to a real platform over loopback (records per
//!   second), against the same drain one transaction per request.
//!
//! Output: a Markdown table on stdout.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use kioskd::client::Client;
use kioskd::config::Config;
use kioskd::store::{NewTransaction, Store};
use rusqlite::params;

struct Row {
    name: String,
    value: f64,
    unit: &'static str,
    baseline_name: &'static str,
    baseline: f64,
}

fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("kioskd-bench-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn form() -> BTreeMap<String, String> {
    BTreeMap::from([
        ("name".into(), "张秀英".into()),
        ("id_number".into(), "441882195103070022".into()),
        ("phone".into(), "13800138000".into()),
        ("residence".into(), "home".into()),
    ])
}

fn durable_submits(rows: &mut Vec<Row>) {
    const N: usize = 300;
    let dir = temp("submit");
    let (mut store, _) = Store::open(&dir.join("kiosk.db"), &dir.join("keys/form.key"), 0).unwrap();
    let f = form();
    let receipt = vec![0x1Bu8; 900];
    let t = Instant::now();
    for i in 0..N {
        let key = format!("0193a4f2-7c1e-7b3a-9f00-{i:012}");
        store
            .submit(&NewTransaction {
                key: &key,
                item_code: "11440000009511114X4442182945000",
                item_name: "城乡居民养老保险待遇资格认证",
                created_at: 1_765_000_000 + i as i64,
                assisted: false,
                elderly: true,
                form: &f,
                receipt: Some(&receipt),
            })
            .unwrap();
    }
    let ours = N as f64 / t.elapsed().as_secs_f64();

    let bare = rusqlite::Connection::open(dir.join("bare.db")).unwrap();
    bare.pragma_update(None, "journal_mode", "WAL").unwrap();
    bare.pragma_update(None, "synchronous", "FULL").unwrap();
    bare.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, key TEXT UNIQUE, payload BLOB)").unwrap();
    let payload = vec![0x5Au8; 200 + receipt.len()];
    let t = Instant::now();
    for i in 0..N {
        bare.execute("INSERT INTO t (key, payload) VALUES (?1, ?2)", params![format!("k{i}"), payload]).unwrap();
    }
    let baseline = N as f64 / t.elapsed().as_secs_f64();
    rows.push(Row {
        name: "durable submits".into(),
        value: ours,
        unit: "/s",
        baseline_name: "bare rusqlite insert, same pragmas",
        baseline,
    });
    let _ = std::fs::remove_dir_all(&dir);
}

fn config_in(dir: &Path) -> Config {
    let mut c = Config::default();
    c.devices.idcard = dir.join("no-reader");
    c.devices.printer = dir.join("no-printer");
    c.storage.data_dir = dir.join("data");
    c.api.socket = dir.join("kioskd.sock");
    c.catalogue.seed = dir.join("none.json");
    c
}

fn seed_transactions(config: &Config, n: usize) {
    let (mut store, _) = Store::open(&config.db_path(), &config.key_path(), 0).unwrap();
    let catalogue = kioskd::catalogue::Catalogue::from_json(kioskd::daemon::SAMPLE_CATALOGUE).unwrap();
    store.set_catalogue(&catalogue, 0).unwrap();
    let conn = store.connection();
    conn.execute_batch("BEGIN").unwrap();
    let sealed = vec![0xA5u8; 160];
    for i in 0..n {
        conn.execute(
            "INSERT INTO transactions (key, item_code, item_name, created_at, form_sealed, state) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                format!("0193a4f2-0000-7000-8000-{i:012}"),
                catalogue.items[i % catalogue.items.len()].code,
                catalogue.items[i % catalogue.items.len()].name,
                1_700_000_000 + i as i64,
                sealed,
                if i % 10 == 0 { "pending" } else { "acknowledged" }
            ],
        )
        .unwrap();
    }
    conn.execute_batch("COMMIT").unwrap();
}

fn start(config: &Config, dir: &Path) -> (Child, Duration) {
    let path = dir.join("kioskd.toml");
    std::fs::write(&path, toml::to_string(config).unwrap()).unwrap();
    let t = Instant::now();
    let child = Command::new(env!("CARGO_BIN_EXE_kioskd"))
        .args(["run", "--config", path.to_str().unwrap()])
        .env("KIOSK_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    kioskd::demo::wait_ready(&Client::new(&config.api.socket), Duration::from_secs(60)).unwrap();
    (child, t.elapsed())
}

fn stop(mut child: Child) {
    let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
    let _ = child.wait();
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// (RSS, PSS) in KiB from /proc.
fn memory(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |text: &str, name: &str| {
        text.lines().find(|l| l.starts_with(name)).and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0)
    };
    let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default();
    (field(&status, "VmRSS:"), field(&rollup, "Pss:"))
}

fn cold_start_and_memory(rows: &mut Vec<Row>) {
    const RUNS: usize = 5;
    let big = temp("start-big");
    let big_config = config_in(&big);
    seed_transactions(&big_config, 100_000);
    let empty = temp("start-empty");
    let empty_config = config_in(&empty);

    let mut big_times = Vec::new();
    let mut empty_times = Vec::new();
    let mut idle = (0.0, 0.0);
    for run in 0..RUNS {
        let (child, t) = start(&empty_config, &empty);
        empty_times.push(t);
        stop(child);
        let (child, t) = start(&big_config, &big);
        big_times.push(t);
        if run == RUNS - 1 {
            std::thread::sleep(Duration::from_secs(2));
            idle = memory(child.id());
        }
        stop(child);
    }
    rows.push(Row {
        name: "cold start to ready, sample catalogue + 100,000 transactions".into(),
        value: median(big_times).as_secs_f64() * 1e3,
        unit: " ms",
        baseline_name: "same start with an empty database",
        baseline: median(empty_times).as_secs_f64() * 1e3,
    });

    // Baseline process: an idle reader simulator.
    let sim_dir = temp("sim");
    let hw = PathBuf::from(env!("CARGO_BIN_EXE_kioskd")).with_file_name("kiosk-hw");
    let mut sim = Command::new(&hw)
        .args(["sim", "idcard", "--link", sim_dir.join("idcard").to_str().unwrap()])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let base = match &mut sim {
        Ok(child) => {
            std::thread::sleep(Duration::from_secs(1));
            memory(child.id())
        }
        Err(_) => (f64::NAN, f64::NAN),
    };
    if let Ok(mut child) = sim {
        let _ = child.kill();
        let _ = child.wait();
    }
    rows.push(Row { name: "kioskd idle RSS (after start, 100k transactions)".into(), value: idle.0 / 1024.0, unit: " MiB", baseline_name: "idle kiosk-hw sim idcard RSS", baseline: base.0 / 1024.0 });
    rows.push(Row { name: "kioskd idle PSS".into(), value: idle.1 / 1024.0, unit: " MiB", baseline_name: "idle kiosk-hw sim idcard PSS", baseline: base.1 / 1024.0 });
    for d in [big, empty, sim_dir] {
        let _ = std::fs::remove_dir_all(d);
    }
}

/// Serves a platform from its library on loopback; returns its URL, a token, its key.
fn platform(dir: &Path) -> (String, String, String, tokio::sync::oneshot::Sender<()>) {
    use kiosk_platform::server;
    let config = server::ServeConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        db: kiosk_platform::db::DbUrl::Sqlite(dir.join("platform.db")),
        admin_token_file: None,
        signing_key_file: None,
        data_key_file: None,
        options: kiosk_platform::app::Options::default(),
    };
    let opened = server::open(&config, kiosk_platform::clock::Clock::System).unwrap();
    let admin_token = opened.app.admin_token.clone();
    let app = opened.app;
    let (tx, rx) = std::sync::mpsc::channel();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        rt.block_on(async move {
            let listener = server::bind(config.listen).await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            let _ = server::serve(listener, app, async {
                let _ = stopped.await;
            })
            .await;
        });
    });
    let url = format!("http://{}", rx.recv().unwrap());
    let admin = kiosk_platform::client::AdminClient::new(kiosk_platform::client::HttpClient::new(&url).unwrap(), admin_token);
    let token = admin.create_token("4418", true, None, "bench").unwrap()["token"].as_str().unwrap().to_string();
    let key = admin.get_json("/admin/v1/platform-key").unwrap()["public_key"].as_str().unwrap().to_string();
    (url, token, key, stop)
}

/// Records per second draining `n` backlog transactions with `batch` records per request.
fn drain_rate(name: &str, n: usize, batch: usize) -> f64 {
    let dir = temp(name);
    let (url, token, key, stop) = platform(&dir.join("platform"));
    let mut config = config_in(&dir);
    config.sync.platform_url = url;
    config.sync.enrol_token = token;
    config.sync.platform_key = key;
    config.sync.batch_size = batch;
    {
        let (mut store, _) = Store::open(&config.db_path(), &config.key_path(), 0).unwrap();
        let f = form();
        for i in 0..n {
            let key = format!("0193a4f2-7c1e-7b3a-9f00-{i:012}");
            let t = NewTransaction { key: &key, item_code: "11440000009511114X4442182945000", item_name: "城乡居民养老保险待遇资格认证", created_at: 1_765_000_000 + i as i64, assisted: false, elderly: true, form: &f, receipt: None };
            store.submit(&t).unwrap();
        }
    }
    // Timed from the start of the process: the agent begins draining as soon as it runs.
    let (child, ready) = start(&config, &dir);
    let client = Client::new(&config.api.socket);
    let t = Instant::now();
    loop {
        let s = client.get("/v1/status").unwrap().body;
        if s["outbox"]["pending"] == 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let rate = n as f64 / (ready + t.elapsed()).as_secs_f64();
    stop_child(child);
    let _ = stop.send(());
    let _ = std::fs::remove_dir_all(&dir);
    rate
}

fn stop_child(child: Child) {
    stop(child);
}

fn drain(rows: &mut Vec<Row>) {
    let batched = drain_rate("drain-batched", 10_000, 500);
    let single = drain_rate("drain-single", 500, 1);
    rows.push(Row {
        name: "outbox drain of a 10,000-transaction backlog to the platform, 500 per batch".into(),
        value: batched,
        unit: " records/s",
        baseline_name: "one transaction per request",
        baseline: single,
    });
}

fn main() {
    if std::env::args().any(|a| a == "--test" || a == "--list") {
        return;
    }
    let mut rows = Vec::new();
    durable_submits(&mut rows);
    cold_start_and_memory(&mut rows);
    drain(&mut rows);
    println!("## kioskd benchmarks\n");
    println!("| benchmark | value | baseline | baseline value | ratio |");
    println!("|---|---|---|---|---|");
    for r in rows {
        println!(
            "| {} | {:.1}{} | {} | {:.1}{} | {:.2}× |",
            r.name,
            r.value,
            r.unit,
            r.baseline_name,
            r.baseline,
            r.unit,
            r.value / r.baseline
        );
    }
}
