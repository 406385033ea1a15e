//! The terminal against the real platform over real HTTP on loopback: enrolment and approval,
//! offline visits delivered exactly once after approval and after an outage, heartbeats,
//! a signed catalogue update, decommissioning.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use kiosk_platform::app::Options;
use kiosk_platform::client::{AdminClient, HttpClient};
use kiosk_platform::clock::Clock;
use kiosk_platform::db::DbUrl;
use kiosk_platform::server::{self, ServeConfig};
use serde_json::{json, Value};

use crate::util::{self, Terminal};

/// The platform, served from its library on a fixed loopback port so it can be stopped and
/// started again (an outage) with the same database.
struct Platform {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    admin: AdminClient,
}

impl Platform {
    fn start(dir: &std::path::Path, addr: SocketAddr) -> Platform {
        Platform::start_with_clock(dir, addr, Clock::System)
    }

    fn start_with_clock(dir: &std::path::Path, addr: SocketAddr, clock: Clock) -> Platform {
        let config = ServeConfig {
            listen: addr,
            db: DbUrl::Sqlite(dir.join("platform.db")),
            admin_token_file: None,
            signing_key_file: None,
            data_key_file: None,
            options: Options::default(),
        };
        let opened = server::open(&config, clock).unwrap();
        let token = opened.app.admin_token.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let app = opened.app;
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
            rt.block_on(async move {
                let listener = server::bind(config.listen).await.unwrap();
                tx.send(listener.local_addr().unwrap()).unwrap();
                server::serve(listener, app, async {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
            });
        });
        let addr = rx.recv().unwrap();
        let admin = AdminClient::new(HttpClient::new(&format!("http://{addr}")).unwrap(), token);
        Platform { addr, stop: Some(stop), thread: Some(thread), admin }
    }

    fn shutdown(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }

    fn exported(&self, kind: &str) -> Vec<Value> {
        self.admin.export(kind, "jsonl", None, None).unwrap().lines().filter(|l| !l.trim().is_empty()).map(|l| serde_json::from_str(l).unwrap()).collect()
    }

    fn terminal(&self) -> Option<Value> {
        self.admin.get_json("/admin/v1/terminals").unwrap()["terminals"].as_array().unwrap().first().cloned()
    }
}

impl Drop for Platform {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn wait(what: &str, secs: u64, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn visit(t: &Terminal, code: &str) -> String {
    t.identify(util::card());
    t.fill_form(code);
    let key = t.post_ok("/v1/session/submit", json!({}))["transaction_key"].as_str().unwrap().to_string();
    t.wait_session(|s| s["print"] == "printed");
    t.post_ok("/v1/session/rate", json!({ "level": 5, "reasons": ["办理快捷"] }));
    // The next visit must be able to read the same card again.
    t.reader().remove();
    key
}

#[test]
fn enrol_approve_sync_exactly_once_update_the_catalogue_and_decommission() {
    let pdir = std::env::temp_dir().join(format!("kioskd-it-platform-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&pdir);
    std::fs::create_dir_all(&pdir).unwrap();
    let mut platform = Platform::start(&pdir, "127.0.0.1:0".parse().unwrap());
    let token = platform.admin.create_token("4418", false, None, "e2e").unwrap()["token"].as_str().unwrap().to_string();
    let key = platform.admin.get_json("/admin/v1/platform-key").unwrap()["public_key"].as_str().unwrap().to_string();
    let url = format!("http://{}", platform.addr);

    let mut t = Terminal::with("sync", |c| {
        c.sync.platform_url = url.clone();
        c.sync.enrol_token = token.clone();
        c.sync.platform_key = key.clone();
        c.sync.heartbeat_s = 5;
        c.sync.max_backoff_s = 2;
    });
    t.start();
    let code = util::pension_certification_code();

    // Enrolled and pending: visits work, nothing is sent yet.
    wait("enrolment", 20, || platform.terminal().is_some_and(|x| x["status"] == "pending"));
    let first = visit(&t, &code);
    let id = platform.terminal().unwrap()["id"].as_str().unwrap().to_string();
    assert!(platform.exported("transactions").is_empty());

    // Approved: the outbox drains, exactly once.
    platform.admin.transition(&id, "approve", None).unwrap();
    let m = t.login();
    m.post("/v1/maintenance/sync-now", json!({})).unwrap();
    wait("the outbox to drain", 30, || t.get("/v1/status")["outbox"]["pending"] == 0);
    assert_eq!(t.get("/v1/status")["online"], true);
    let txs = platform.exported("transactions");
    assert_eq!(txs.len(), 1, "{txs:?}");
    assert!(txs[0].to_string().contains(&first));
    assert!(!txs[0].to_string().contains(util::ID), "exports are masked");
    assert_eq!(platform.exported("ratings").len(), 1);
    wait("a heartbeat", 20, || platform.terminal().is_some_and(|x| x["online"] == true));

    // Outage: the platform goes away; visits go on; nothing is lost or sent twice after.
    platform.shutdown();
    m.post("/v1/maintenance/sync-now", json!({})).unwrap();
    wait("offline", 20, || t.get("/v1/status")["online"] == false);
    let second = visit(&t, &code);
    assert_eq!(t.get("/v1/status")["outbox"]["pending"], 2);
    let addr = platform.addr;
    drop(platform);
    let platform = Platform::start(&pdir, addr);
    m.post("/v1/maintenance/sync-now", json!({})).unwrap();
    wait("the outbox to drain after the outage", 40, || t.get("/v1/status")["outbox"]["pending"] == 0);
    let txs = platform.exported("transactions");
    assert_eq!(txs.len(), 2, "each transaction once: {txs:?}");
    assert!(txs.iter().any(|x| x.to_string().contains(&second)));
    assert_eq!(platform.exported("ratings").len(), 2);

    // A catalogue published on the platform reaches the terminal, verified.
    let mut doc: Value = serde_json::from_str(kioskd::daemon::SAMPLE_CATALOGUE).unwrap();
    doc["version"] = json!("2026.12.05.1");
    platform.admin.publish_catalogue(&doc.to_string()).unwrap();
    m.post("/v1/maintenance/sync-now", json!({})).unwrap();
    wait("the new catalogue", 30, || t.get("/v1/status")["catalogue"]["version"] == "2026.12.05.1");

    // Decommissioned: the terminal stops serving and says so.
    platform.admin.transition(&id, "decommission", Some("site closed")).unwrap();
    m.post("/v1/maintenance/sync-now", json!({})).unwrap();
    wait("decommissioning", 30, || t.get("/v1/status")["out_of_service"]["reason"] == "decommissioned");
    assert_eq!(t.post("/v1/session/start", json!({})).status, 503);

    // No name or full ID number in the terminal's log, whatever was synced.
    t.stop();
    let log = util::file_text(&t.log_path());
    assert!(log.contains("outbox records acknowledged"), "the log is real");
    assert!(log.contains("terminal configuration applied"), "the configuration was pulled");
    assert!(!log.contains(util::ID) && !log.contains(util::NAME));
    drop(platform);
    let _ = std::fs::remove_dir_all(&pdir);
}

fn platform_and_token(name: &str) -> (Platform, String, String, std::path::PathBuf) {
    let pdir = std::env::temp_dir().join(format!("kioskd-it-platform-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&pdir);
    std::fs::create_dir_all(&pdir).unwrap();
    let platform = Platform::start(&pdir, "127.0.0.1:0".parse().unwrap());
    let token = platform.admin.create_token("4418", true, None, "e2e").unwrap()["token"].as_str().unwrap().to_string();
    let key = platform.admin.get_json("/admin/v1/platform-key").unwrap()["public_key"].as_str().unwrap().to_string();
    (platform, token, key, pdir)
}

#[test]
fn a_catalogue_that_does_not_verify_is_refused_and_the_old_one_kept() {
    let (platform, token, _real_key, pdir) = platform_and_token("tamper");
    // The terminal trusts another key: whatever the platform signs does not verify.
    let impostor = kiosk_wire::sign::public_key_hex(&kiosk_wire::sign::SigningKey::from_bytes(&[7; 32]).verifying_key());
    let url = format!("http://{}", platform.addr);
    let mut t = Terminal::with("tamper", |c| {
        c.sync.platform_url = url.clone();
        c.sync.enrol_token = token.clone();
        c.sync.platform_key = impostor.clone();
        c.sync.heartbeat_s = 5;
    });
    t.start();
    wait("approval", 20, || t.get("/v1/status")["sync"]["terminal_status"] == "approved");
    let before = t.get("/v1/status")["catalogue"]["version"].clone();
    let mut doc: Value = serde_json::from_str(kioskd::daemon::SAMPLE_CATALOGUE).unwrap();
    doc["version"] = json!("2026.12.06.1");
    doc["items"][0]["name"] = json!("被篡改的事项");
    platform.admin.publish_catalogue(&doc.to_string()).unwrap();
    let m = t.login();
    m.post("/v1/maintenance/sync-now", json!({})).unwrap();
    wait("the refusal in the log", 20, || util::file_text(&t.log_path()).contains("catalogue not applied"));
    assert_eq!(t.get("/v1/status")["catalogue"]["version"], before, "the old catalogue stays");
    assert!(!t.get("/v1/search?q=%E7%AF%A1%E6%94%B9").to_string().contains("被篡改"));
    assert_eq!(t.get("/v1/status")["online"], true, "a refused catalogue is not an outage");
    drop(platform);
    let _ = std::fs::remove_dir_all(&pdir);
}

#[test]
fn kill_9_mid_drain_then_restart_delivers_every_record_exactly_once() {
    const N: usize = 200;
    let (platform, token, key, pdir) = platform_and_token("kill-drain");
    let url = format!("http://{}", platform.addr);
    let mut t = Terminal::with("kill-drain", |c| {
        c.sync.platform_url = url.clone();
        c.sync.enrol_token = token.clone();
        c.sync.platform_key = key.clone();
        c.sync.heartbeat_s = 5;
        c.sync.batch_size = 4;
        c.sync.max_backoff_s = 1;
    });
    // A backlog built while the terminal was offline for days.
    {
        std::fs::create_dir_all(&t.config.storage.data_dir).unwrap();
        let (mut store, _) = kioskd::store::Store::open(&t.config.db_path(), &t.config.key_path(), 0).unwrap();
        let form = std::collections::BTreeMap::from([("phone".to_string(), "13800138000".to_string())]);
        for i in 0..N {
            let key = format!("0193a4f2-7c1e-7b3a-9f00-{i:012}");
            store
                .submit(&kioskd::store::NewTransaction {
                    key: &key,
                    item_code: "11440000009511114X4442182945000",
                    item_name: "城乡居民养老保险待遇资格认证",
                    created_at: 1_765_000_000 + i as i64,
                    assisted: false,
                    elderly: false,
                    form: &form,
                    receipt: None,
                })
                .unwrap();
        }
    }
    // Killed again and again while it drains.
    for delay_ms in [150u64, 250, 400] {
        t.start();
        std::thread::sleep(Duration::from_millis(delay_ms));
        t.kill();
    }
    t.start();
    wait("the backlog to drain", 60, || t.get("/v1/status")["outbox"]["pending"] == 0);
    let txs = platform.exported("transactions");
    let mut keys: Vec<String> = txs.iter().map(|x| x["key"].as_str().unwrap().to_string()).collect();
    keys.sort();
    keys.dedup();
    assert_eq!(txs.len(), N, "every record arrived exactly once");
    assert_eq!(keys.len(), N);
    drop(platform);
    let _ = std::fs::remove_dir_all(&pdir);
}

/// The real `kiosk-platform` binary (built beside kioskd by the workspace test run), so it can
/// be killed with SIGKILL mid-batch.
struct PlatformProcess {
    child: std::process::Child,
    url: String,
}

impl PlatformProcess {
    fn start(dir: &std::path::Path, listen: &str) -> PlatformProcess {
        use std::io::BufRead;
        let bin = std::path::PathBuf::from(env!("CARGO_BIN_EXE_kioskd")).with_file_name("kiosk-platform");
        assert!(bin.exists(), "{} is built by the workspace test run", bin.display());
        let mut child = std::process::Command::new(bin)
            .args(["serve", "--listen", listen, "--db", dir.join("platform.db").to_str().unwrap(), "--offline-after-s", "3"])
            .env("KIOSK_LOG", "warn")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let url = line.trim().strip_prefix("listening on ").expect("listening line").to_string();
        PlatformProcess { child, url }
    }

    fn admin(&self, dir: &std::path::Path) -> AdminClient {
        let token = std::fs::read_to_string(dir.join("admin-token")).unwrap();
        AdminClient::new(HttpClient::new(&self.url).unwrap(), token.trim().to_string())
    }

    fn kill_9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for PlatformProcess {
    fn drop(&mut self) {
        self.kill_9();
    }
}

#[test]
fn platform_killed_mid_batch_then_restarted_gets_every_record_once_and_heartbeats_stopping_show_offline() {
    const N: usize = 300;
    let pdir = std::env::temp_dir().join(format!("kioskd-it-platform-kill-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&pdir);
    std::fs::create_dir_all(&pdir).unwrap();
    let mut platform = PlatformProcess::start(&pdir, "127.0.0.1:0");
    let listen = platform.url.trim_start_matches("http://").to_string();
    let admin = platform.admin(&pdir);
    let token = admin.create_token("4418", true, None, "e2e").unwrap()["token"].as_str().unwrap().to_string();
    let key = admin.get_json("/admin/v1/platform-key").unwrap()["public_key"].as_str().unwrap().to_string();
    let url = platform.url.clone();
    let mut t = Terminal::with("platform-kill", |c| {
        c.sync.platform_url = url.clone();
        c.sync.enrol_token = token.clone();
        c.sync.platform_key = key.clone();
        c.sync.heartbeat_s = 5;
        c.sync.batch_size = 3;
        c.sync.max_backoff_s = 1;
    });
    {
        std::fs::create_dir_all(&t.config.storage.data_dir).unwrap();
        let (mut store, _) = kioskd::store::Store::open(&t.config.db_path(), &t.config.key_path(), 0).unwrap();
        let form = std::collections::BTreeMap::from([("phone".to_string(), "13800138000".to_string())]);
        for i in 0..N {
            let key = format!("0193a4f2-7c1e-7b3a-9f01-{i:012}");
            let tx = kioskd::store::NewTransaction { key: &key, item_code: "11440000009511114X4442182945000", item_name: "城乡居民养老保险待遇资格认证", created_at: 1_765_000_000 + i as i64, assisted: false, elderly: false, form: &form, receipt: None };
            store.submit(&tx).unwrap();
        }
    }
    t.start();
    // SIGKILL the platform while batches are in flight, then bring it back on the same address.
    wait("draining to start", 20, || t.get("/v1/status")["outbox"]["pending"].as_u64().unwrap_or(0) < N as u64);
    platform.kill_9();
    let delivered_before = t.get("/v1/status")["outbox"]["pending"].as_u64().unwrap();
    assert!(delivered_before > 0, "killed mid-drain, with records left");
    let platform = PlatformProcess::start(&pdir, &listen);
    let admin = platform.admin(&pdir);
    wait("the rest of the backlog", 60, || t.get("/v1/status")["outbox"]["pending"] == 0);
    let csv = admin.export("transactions", "jsonl", None, None).unwrap();
    let mut keys: Vec<&str> = csv.lines().filter(|l| !l.is_empty()).map(|l| l.split("\"key\":\"").nth(1).unwrap().split('"').next().unwrap()).collect();
    assert_eq!(keys.len(), N, "every record once");
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), N, "no record twice");

    // Heartbeats stop: the platform shows the terminal offline within its threshold (3 s).
    let listed = |admin: &AdminClient| admin.get_json("/admin/v1/terminals").unwrap()["terminals"][0]["online"].clone();
    wait("online on the platform", 20, || listed(&admin) == true);
    t.stop();
    wait("offline on the platform", 15, || listed(&admin) == false);
    drop(platform);
    let _ = std::fs::remove_dir_all(&pdir);
}

#[test]
fn a_terminal_whose_clock_is_two_hours_slow_learns_the_platforms_time_and_syncs() {
    let pdir = std::env::temp_dir().join(format!("kioskd-it-platform-clock-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&pdir);
    std::fs::create_dir_all(&pdir).unwrap();
    let platform_time = kioskd::time::now_unix() + 2 * 3600;
    let platform = Platform::start_with_clock(&pdir, "127.0.0.1:0".parse().unwrap(), Clock::manual(platform_time));
    let token = platform.admin.create_token("4418", true, None, "e2e").unwrap()["token"].as_str().unwrap().to_string();
    let key = platform.admin.get_json("/admin/v1/platform-key").unwrap()["public_key"].as_str().unwrap().to_string();
    let url = format!("http://{}", platform.addr);
    let mut t = Terminal::with("clock", |c| {
        c.sync.platform_url = url.clone();
        c.sync.enrol_token = token.clone();
        c.sync.platform_key = key.clone();
        c.sync.heartbeat_s = 5;
        c.sync.max_backoff_s = 1;
    });
    t.start();
    visit(&t, &util::pension_certification_code());
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let s = t.get("/v1/status");
        if s["online"] == true && s["outbox"]["pending"] == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "never synced: {} / {}", s["sync"], util::file_text(&t.log_path()).lines().filter(|l| l.contains("sync") || l.contains("clock")).take(8).collect::<Vec<_>>().join("\n"));
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(platform.exported("transactions").len(), 1);
    t.stop();
    assert!(util::file_text(&t.log_path()).contains("terminal clock differs"), "the offset was learnt");
    drop(platform);
    let _ = std::fs::remove_dir_all(&pdir);
}
