//! The chaos soak: N terminals (each a real `kioskd` process with its own simulated reader and
//! printer on ptys) sync through a fault-injecting proxy (`proxy.rs`) to one real
//! `kiosk-platform` process, while citizens visit every terminal through its local API and
//! chaos strikes:
//!
//! - processes: `kill -9` of a random kioskd (restarted), `kill -9` of the platform (restarted
//!   on the same port), the platform frozen with SIGSTOP for a few seconds (then SIGCONT);
//! - the network: every fault of the proxy (drops, delays, resets, replayed requests, 5xx);
//! - devices: paper out on a printer for a while, a reader unplugged (its simulator stopped,
//!   the pty and its symlink gone) and plugged back.
//!
//! A transaction is *accepted* when kioskd's `POST /v1/session/submit` answered success. After
//! the chaos window the faults stop and everything drains; then the invariants are checked:
//! every accepted transaction is on the platform exactly once (its export), no key is there
//! twice, every terminal shows online on the platform, every kioskd's outbox is empty, and no
//! process's resident memory grew past its bound (sampled from /proc/PID/status every second).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};
use kiosk_drivers::idcard::{CardJson, IdCardSim, SimOptions};
use kiosk_drivers::printer::receipt::PaperWidth;
use kiosk_drivers::printer::sim::{PrinterSim, PrinterSimHandle, SimConfig};
use kiosk_platform::client::{AdminClient, HttpClient};
use kioskd::client::Client;
use kioskd::config::Config;
use serde_json::{json, Value};

use crate::proxy::FaultProxy;
use crate::rng::Rng;

/// What to run.
#[derive(Debug, Clone)]
pub struct Options {
    pub terminals: usize,
    /// Length of the chaos window.
    pub seconds: u64,
    pub seed: u64,
    /// Where `kioskd` and `kiosk-platform` are.
    pub bin_dir: PathBuf,
    /// Scratch folder (removed after a passing run unless `keep`).
    pub work_dir: PathBuf,
    pub keep: bool,
    /// Longest wait for everything to drain after the chaos.
    pub drain_timeout: Duration,
    /// A process fails the soak when its RSS ends above `rss_factor` × its RSS 5 s after start
    /// plus `rss_slack_mib`.
    pub rss_factor: f64,
    pub rss_slack_mib: u64,
}

impl Options {
    pub fn new(terminals: usize, seconds: u64, bin_dir: PathBuf) -> Options {
        let seed = Rng::seed_from_time();
        Options {
            terminals,
            seconds,
            seed,
            bin_dir,
            work_dir: std::env::temp_dir().join(format!("kiosk-soak-{}", std::process::id())),
            keep: false,
            drain_timeout: Duration::from_secs(180),
            rss_factor: 2.0,
            rss_slack_mib: 64,
        }
    }
}

/// The outcome. `passed()` decides the exit code.
#[derive(Debug, Default)]
pub struct Summary {
    pub terminals: usize,
    pub accepted: usize,
    pub delivered: usize,
    pub duplicates: usize,
    pub lost: usize,
    /// What else went wrong (terminals offline, memory, processes that would not start).
    pub problems: Vec<String>,
    /// Counts of what the chaos did.
    pub events: BTreeMap<String, u64>,
    /// Per process kind: (name, RSS 5 s after start, peak RSS), KiB, the worst incarnation.
    pub rss: Vec<(String, u64, u64)>,
}

impl Summary {
    pub fn passed(&self) -> bool {
        self.problems.is_empty() && self.duplicates == 0 && self.lost == 0 && self.accepted > 0
    }

    /// The last line the soak prints.
    pub fn final_line(&self) -> String {
        format!("soak: terminals={} accepted={} delivered={} duplicates={} lost={}", self.terminals, self.accepted, self.delivered, self.duplicates, self.lost)
    }
}

/// A counter of chaos events by name.
#[derive(Default)]
struct Events(Mutex<BTreeMap<String, u64>>);

impl Events {
    fn add(&self, what: &str) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()).entry(what.to_string()).or_default() += 1;
    }
    fn snapshot(&self) -> BTreeMap<String, u64> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

fn signal(pid: u32, sig: libc::c_int) {
    // SAFETY: kill(2) with a pid this process spawned.
    unsafe {
        libc::kill(pid as libc::pid_t, sig);
    }
}

/// VmRSS of a process in KiB.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find(|l| l.starts_with("VmRSS:"))?.split_whitespace().nth(1)?.parse().ok()
}

/// Memory of one process incarnation.
#[derive(Debug, Clone)]
struct Incarnation {
    name: String,
    pid: u32,
    started: Instant,
    baseline: Option<u64>,
    peak: u64,
    last: u64,
}

#[derive(Default)]
struct Memory(Mutex<Vec<Incarnation>>);

impl Memory {
    fn started(&self, name: &str, pid: u32) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(Incarnation { name: name.into(), pid, started: Instant::now(), baseline: None, peak: 0, last: 0 });
    }
    fn sample(&self, alive: &HashSet<u32>) {
        let mut v = self.0.lock().unwrap_or_else(|e| e.into_inner());
        for inc in v.iter_mut().filter(|i| alive.contains(&i.pid)) {
            if let Some(kib) = rss_kib(inc.pid) {
                inc.last = kib;
                inc.peak = inc.peak.max(kib);
                if inc.baseline.is_none() && inc.started.elapsed() >= Duration::from_secs(5) {
                    inc.baseline = Some(kib);
                }
            }
        }
    }
}

/// The platform process, restartable on the same port.
struct Platform {
    bin: PathBuf,
    dir: PathBuf,
    addr: Option<std::net::SocketAddr>,
    child: Option<Child>,
    stopped: bool,
}

impl Platform {
    fn start(&mut self, memory: &Memory) -> anyhow::Result<()> {
        let listen = self.addr.map(|a| a.to_string()).unwrap_or_else(|| "127.0.0.1:0".into());
        let log = std::fs::OpenOptions::new().create(true).append(true).open(self.dir.join("platform.log"))?;
        let mut last_error = None;
        // A restart may race the old socket's teardown: retry the bind briefly.
        for _ in 0..50 {
            let mut child = Command::new(&self.bin)
                .args(["serve", "--listen", &listen, "--db"])
                .arg(self.dir.join("platform.db"))
                .args(["--offline-after-s", "30"])
                .env("KIOSK_LOG", "info")
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(log.try_clone()?)
                .spawn()
                .with_context(|| format!("starting {}", self.bin.display()))?;
            let mut line = String::new();
            let stdout = child.stdout.take().ok_or_else(|| anyhow!("no stdout"))?;
            let _ = std::io::BufReader::new(stdout).read_line(&mut line);
            if let Some(url) = line.trim().strip_prefix("listening on http://") {
                self.addr = Some(url.parse().context("the platform's address")?);
                memory.started("kiosk-platform", child.id());
                self.child = Some(child);
                self.stopped = false;
                return Ok(());
            }
            let _ = child.kill();
            let _ = child.wait();
            last_error = Some(line);
            std::thread::sleep(Duration::from_millis(200));
        }
        bail!("kiosk-platform did not start: {:?}", last_error)
    }

    fn kill_9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        self.stopped = false;
    }

    fn pause(&mut self, on: bool) {
        if let Some(c) = &self.child {
            signal(c.id(), if on { libc::SIGSTOP } else { libc::SIGCONT });
            self.stopped = on;
        }
    }

    fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr.map(|a| a.to_string()).unwrap_or_default())
    }
}

impl Drop for Platform {
    fn drop(&mut self) {
        if self.stopped {
            self.pause(false);
        }
        if let Some(mut c) = self.child.take() {
            signal(c.id(), libc::SIGTERM);
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = c.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// One terminal: its folder, simulators and kioskd process.
struct Terminal {
    index: usize,
    dir: PathBuf,
    config: Config,
    config_path: PathBuf,
    kioskd: PathBuf,
    reader: Mutex<Option<IdCardSim>>,
    printer: PrinterSimHandle,
    daemon: Mutex<Option<Child>>,
    client: Client,
    accepted: Mutex<Vec<String>>,
    visits_failed: AtomicU64,
}

impl Terminal {
    fn new(index: usize, root: &Path, kioskd: &Path, proxy_url: &str, token: &str, platform_key: &str) -> anyhow::Result<Terminal> {
        let dir = root.join(format!("terminal-{index}"));
        std::fs::create_dir_all(dir.join("dev"))?;
        let mut config = kioskd::demo::demo_config(&dir, String::new());
        config.terminal.name = format!("soak terminal {index}");
        config.devices.idcard_poll_ms = 100;
        config.devices.printer_poll_ms = 200;
        config.session.goodbye_s = 1;
        config.sync.platform_url = proxy_url.to_string();
        config.sync.enrol_token = token.to_string();
        config.sync.platform_key = platform_key.to_string();
        config.sync.heartbeat_s = 5;
        config.sync.batch_size = 10;
        config.sync.timeout_s = 5;
        config.sync.max_backoff_s = 2;
        std::fs::write(&config.catalogue.seed, kioskd::daemon::SAMPLE_CATALOGUE)?;
        let config_path = dir.join("kioskd.toml");
        std::fs::write(&config_path, toml::to_string(&config)?)?;
        let reader = IdCardSim::spawn(&config.devices.idcard, SimOptions::default()).context("reader simulator")?;
        let printer = PrinterSim::spawn(&config.devices.printer, SimConfig::new(PaperWidth::Mm58, dir.join("receipts"))).context("printer simulator")?;
        let client = Client::new(&config.api.socket);
        Ok(Terminal {
            index,
            dir,
            config,
            config_path,
            kioskd: kioskd.to_path_buf(),
            reader: Mutex::new(Some(reader)),
            printer,
            daemon: Mutex::new(None),
            client,
            accepted: Mutex::new(Vec::new()),
            visits_failed: AtomicU64::new(0),
        })
    }

    fn start(&self, memory: &Memory) -> anyhow::Result<()> {
        let log = std::fs::OpenOptions::new().create(true).append(true).open(self.dir.join("kioskd.log"))?;
        let child = Command::new(&self.kioskd)
            .arg("run")
            .arg("--config")
            .arg(&self.config_path)
            .env("KIOSK_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting {}", self.kioskd.display()))?;
        let pid = child.id();
        *self.daemon.lock().unwrap_or_else(|e| e.into_inner()) = Some(child);
        kioskd::demo::wait_ready(&self.client, Duration::from_secs(60)).with_context(|| format!("terminal {} after start", self.index))?;
        memory.started(&format!("kioskd-{}", self.index), pid);
        Ok(())
    }

    fn kill_9(&self) {
        if let Some(mut c) = self.daemon.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    fn stop(&self) {
        if let Some(mut c) = self.daemon.lock().unwrap_or_else(|e| e.into_inner()).take() {
            signal(c.id(), libc::SIGTERM);
            let _ = c.wait();
        }
    }

    fn pid(&self) -> Option<u32> {
        self.daemon.lock().unwrap_or_else(|e| e.into_inner()).as_ref().map(Child::id)
    }

    fn unplug_reader(&self) {
        if let Some(r) = self.reader.lock().unwrap_or_else(|e| e.into_inner()).take() {
            r.stop();
        }
    }

    fn plug_reader(&self) -> anyhow::Result<()> {
        let mut r = self.reader.lock().unwrap_or_else(|e| e.into_inner());
        if r.is_none() {
            *r = Some(IdCardSim::spawn(&self.config.devices.idcard, SimOptions::default()).context("reader simulator")?);
        }
        Ok(())
    }

    fn paper(&self, state: &str) {
        if let Ok(c) = kiosk_drivers::printer::sim::parse_control(&format!("{{\"paper\": \"{state}\"}}")) {
            self.printer.control(c);
        }
    }

    fn status(&self) -> Option<Value> {
        self.client.get("/v1/status").ok().filter(|r| r.ok()).map(|r| r.body)
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One citizen visit. `Ok(Some(key))` when the submit was accepted.
fn visit(t: &Terminal, card: &CardJson, code: &str, fields: &[kioskd::catalogue::Field]) -> anyhow::Result<Option<String>> {
    let c = &t.client;
    // Whatever the last visit left (a kill, an unplug) is ended first.
    let _ = c.post("/v1/session/finish", json!({}));
    kioskd::demo::wait_session(c, Duration::from_secs(5), |s| s["state"] == "idle")?;
    {
        let reader = t.reader.lock().unwrap_or_else(|e| e.into_inner());
        let Some(r) = reader.as_ref() else { bail!("reader unplugged") };
        r.remove();
        r.place(card.clone()).map_err(|e| anyhow!(e))?;
    }
    kioskd::demo::wait_session(c, Duration::from_secs(10), |s| s["state"] == "authenticated" && !s["citizen"].is_null())?;
    let r = c.post("/v1/session/item", json!({ "code": code }))?;
    if !r.ok() {
        bail!("item: {} {}", r.status, r.body["error"]);
    }
    let mut values = serde_json::Map::new();
    for f in fields.iter().filter(|f| f.prefill.is_none() && f.required) {
        values.insert(f.key.clone(), Value::String(kioskd::demo::sample_value(f)));
    }
    let r = c.post("/v1/session/fields", json!({ "fields": values }))?;
    if !r.ok() {
        bail!("fields: {} {}", r.status, r.body["error"]);
    }
    let r = c.post("/v1/session/submit", json!({}))?;
    if !r.ok() {
        bail!("submit: {} {}", r.status, r.body["error"]);
    }
    let key = r.body["transaction_key"].as_str().ok_or_else(|| anyhow!("submit answered without a key"))?.to_string();
    t.accepted.lock().unwrap_or_else(|e| e.into_inner()).push(key.clone());
    // The receipt prints, or is held while the paper is out; then the citizen rates.
    let _ = kioskd::demo::wait_session(c, Duration::from_secs(10), |s| s["print"] == "printed" || s["print"] == "held" || s["state"] == "rating");
    let _ = c.post("/v1/session/rate", json!({ "level": 5, "reasons": ["办理快捷"] }));
    if let Some(r) = t.reader.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
        r.remove();
    }
    Ok(Some(key))
}

/// The form item the visits use, and its fields.
fn form_item() -> anyhow::Result<(String, Vec<kioskd::catalogue::Field>)> {
    let cat = kioskd::catalogue::Catalogue::from_json(kioskd::daemon::SAMPLE_CATALOGUE).map_err(|e| anyhow!("{e}"))?;
    let item = cat.items.iter().find(|i| i.name == "城乡居民养老保险待遇资格认证").ok_or_else(|| anyhow!("the sample catalogue lacks the pension certification"))?;
    let fields = item.form.as_ref().map(|f| f.fields.clone()).unwrap_or_default();
    Ok((item.code.clone(), fields))
}

fn wait_for(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    while !f() {
        if Instant::now() > deadline {
            bail!("timed out waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Ok(())
}

fn say(start: Instant, msg: &str) {
    eprintln!("[{:>5.1}s] {msg}", start.elapsed().as_secs_f64());
}

/// Runs the soak. Errors are set-up failures; a soak that ran reports through `Summary`.
pub fn run(o: &Options) -> anyhow::Result<Summary> {
    let began = Instant::now();
    let kioskd_bin = o.bin_dir.join("kioskd");
    let platform_bin = o.bin_dir.join("kiosk-platform");
    for b in [&kioskd_bin, &platform_bin] {
        if !b.exists() {
            bail!("{} is missing (build kioskd and kiosk-platform first)", b.display());
        }
    }
    let _ = std::fs::remove_dir_all(&o.work_dir);
    std::fs::create_dir_all(o.work_dir.join("platform"))?;
    say(began, &format!("soak: {} terminals, {} s of chaos, seed {}, in {}", o.terminals, o.seconds, o.seed, o.work_dir.display()));

    let memory = Arc::new(Memory::default());
    let events = Arc::new(Events::default());
    let mut rng = Rng::new(o.seed);

    let platform = Arc::new(Mutex::new(Platform { bin: platform_bin, dir: o.work_dir.join("platform"), addr: None, child: None, stopped: false }));
    platform.lock().unwrap_or_else(|e| e.into_inner()).start(&memory)?;
    let (url, addr) = {
        let p = platform.lock().unwrap_or_else(|e| e.into_inner());
        (p.url(), p.addr.ok_or_else(|| anyhow!("no platform address"))?)
    };
    let token = std::fs::read_to_string(o.work_dir.join("platform").join("admin-token")).context("the platform's admin token")?;
    let admin = AdminClient::new(HttpClient::new(&url).map_err(|e| anyhow!("{e}"))?, token.trim().to_string());
    // Heartbeats every 10 s (the platform's minimum); offline after 30 s without one.
    admin.post_json("/admin/v1/config", &json!({ "heartbeat_s": 10 })).map_err(|e| anyhow!("setting the heartbeat: {e}"))?;
    let platform_key = admin.get_json("/admin/v1/platform-key").map_err(|e| anyhow!("{e}"))?["public_key"].as_str().unwrap_or_default().to_string();

    let proxy = Arc::new(FaultProxy::start(addr, rng.next_u64())?);
    let mut terminals = Vec::new();
    for i in 0..o.terminals {
        let t = admin.create_token("4418", true, None, &format!("soak terminal {i}")).map_err(|e| anyhow!("enrolment token: {e}"))?;
        let token = t["token"].as_str().unwrap_or_default().to_string();
        let term = Terminal::new(i, &o.work_dir, &kioskd_bin, &proxy.url(), &token, &platform_key)?;
        term.start(&memory)?;
        terminals.push(Arc::new(term));
    }
    let terminals = Arc::new(terminals);
    // Every terminal enrolled and approved before the chaos starts.
    wait_for("every terminal to enrol", Duration::from_secs(60), || {
        terminals.iter().all(|t| t.status().is_some_and(|s| s["sync"]["terminal_status"] == "approved"))
    })?;
    say(began, "every terminal enrolled; chaos starts");

    let card: CardJson = serde_json::from_str(kioskd::demo::DEMO_CARD)?;
    let (code, fields) = form_item()?;
    let visiting = Arc::new(AtomicBool::new(true));
    let chaos = Arc::new(AtomicBool::new(true));
    let mut threads = Vec::new();

    // Citizens: one after another on every terminal.
    for t in terminals.iter() {
        let (t, visiting, card, code, fields) = (Arc::clone(t), Arc::clone(&visiting), card.clone(), code.clone(), fields.clone());
        threads.push(std::thread::spawn(move || {
            while visiting.load(Ordering::SeqCst) {
                if t.pid().is_none() {
                    std::thread::sleep(Duration::from_millis(100));
                    continue;
                }
                if visit(&t, &card, &code, &fields).is_err() {
                    t.visits_failed.fetch_add(1, Ordering::Relaxed);
                    std::thread::sleep(Duration::from_millis(300));
                }
            }
        }));
    }

    // Memory: every second, every live process.
    let sampling = Arc::new(AtomicBool::new(true));
    let sampler = {
        let (memory, terminals, platform, sampling) = (Arc::clone(&memory), Arc::clone(&terminals), Arc::clone(&platform), Arc::clone(&sampling));
        std::thread::spawn(move || {
            while sampling.load(Ordering::SeqCst) {
                let mut alive: HashSet<u32> = terminals.iter().filter_map(|t| t.pid()).collect();
                if let Some(p) = platform.lock().unwrap_or_else(|e| e.into_inner()).pid() {
                    alive.insert(p);
                }
                memory.sample(&alive);
                std::thread::sleep(Duration::from_secs(1));
            }
        })
    };

    // Process chaos: kill -9 a kioskd, kill -9 the platform, freeze the platform.
    let problems = Arc::new(Mutex::new(Vec::<String>::new()));
    {
        let (terminals, platform, memory, events, chaos, problems) = (Arc::clone(&terminals), Arc::clone(&platform), Arc::clone(&memory), Arc::clone(&events), Arc::clone(&chaos), Arc::clone(&problems));
        let mut rng = Rng::new(rng.next_u64());
        threads.push(std::thread::spawn(move || {
            while chaos.load(Ordering::SeqCst) {
                std::thread::sleep(rng.millis(1500, 4000));
                if !chaos.load(Ordering::SeqCst) {
                    break;
                }
                match rng.below(10) {
                    0..=4 => {
                        let t = &terminals[rng.below(terminals.len() as u64) as usize];
                        t.kill_9();
                        events.add("kill -9 kioskd");
                        std::thread::sleep(rng.millis(200, 2000));
                        if let Err(e) = t.start(&memory) {
                            problems.lock().unwrap_or_else(|e| e.into_inner()).push(format!("kioskd {} did not restart: {e:#}", t.index));
                        }
                    }
                    5..=7 => {
                        platform.lock().unwrap_or_else(|e| e.into_inner()).kill_9();
                        events.add("kill -9 platform");
                        std::thread::sleep(rng.millis(500, 3000));
                        if let Err(e) = platform.lock().unwrap_or_else(|e| e.into_inner()).start(&memory) {
                            problems.lock().unwrap_or_else(|e| e.into_inner()).push(format!("the platform did not restart: {e:#}"));
                        }
                    }
                    _ => {
                        platform.lock().unwrap_or_else(|e| e.into_inner()).pause(true);
                        events.add("SIGSTOP platform");
                        std::thread::sleep(rng.millis(1000, 6000));
                        platform.lock().unwrap_or_else(|e| e.into_inner()).pause(false);
                    }
                }
            }
        }));
    }

    // Device chaos: paper out, reader unplugged.
    {
        let (terminals, events, chaos, problems) = (Arc::clone(&terminals), Arc::clone(&events), Arc::clone(&chaos), Arc::clone(&problems));
        let mut rng = Rng::new(rng.next_u64());
        threads.push(std::thread::spawn(move || {
            while chaos.load(Ordering::SeqCst) {
                std::thread::sleep(rng.millis(1000, 3000));
                if !chaos.load(Ordering::SeqCst) {
                    break;
                }
                let t = &terminals[rng.below(terminals.len() as u64) as usize];
                if rng.chance(500) {
                    t.paper("out");
                    events.add("paper out");
                    std::thread::sleep(rng.millis(1000, 6000));
                    t.paper("ok");
                } else {
                    t.unplug_reader();
                    events.add("reader unplugged");
                    std::thread::sleep(rng.millis(1000, 5000));
                    if let Err(e) = t.plug_reader() {
                        problems.lock().unwrap_or_else(|e| e.into_inner()).push(format!("reader {} did not come back: {e:#}", t.index));
                    }
                }
            }
        }));
    }

    proxy.set_chaos(true);
    let chaos_end = Instant::now() + Duration::from_secs(o.seconds);
    let mut next_report = Instant::now() + Duration::from_secs(10);
    while Instant::now() < chaos_end {
        std::thread::sleep(Duration::from_millis(200));
        if Instant::now() >= next_report {
            next_report += Duration::from_secs(10);
            let accepted: usize = terminals.iter().map(|t| t.accepted.lock().unwrap_or_else(|e| e.into_inner()).len()).sum();
            let ev: Vec<String> = events.snapshot().iter().map(|(k, v)| format!("{k}={v}")).collect();
            say(began, &format!("accepted={accepted} {}", ev.join(" ")));
        }
    }

    // The chaos stops; everything comes back and drains.
    say(began, "chaos stops; draining");
    chaos.store(false, Ordering::SeqCst);
    proxy.set_chaos(false);
    visiting.store(false, Ordering::SeqCst);
    for t in threads {
        let _ = t.join();
    }
    {
        let mut p = platform.lock().unwrap_or_else(|e| e.into_inner());
        p.pause(false);
        if p.pid().is_none() {
            p.start(&memory)?;
        }
    }
    for t in terminals.iter() {
        t.paper("ok");
        t.plug_reader()?;
        if t.pid().is_none() {
            t.start(&memory)?;
        }
    }
    let mut problems: Vec<String> = std::mem::take(&mut *problems.lock().unwrap_or_else(|e| e.into_inner()));
    let drained = wait_for("every outbox to drain and every terminal online", o.drain_timeout, || {
        terminals.iter().all(|t| t.status().is_some_and(|s| s["online"] == true && s["outbox"]["pending"] == 0))
            && admin.get_json("/admin/v1/terminals").ok().and_then(|v| v["terminals"].as_array().cloned()).is_some_and(|ts| ts.len() == terminals.len() && ts.iter().all(|t| t["online"] == true))
    });
    if let Err(e) = drained {
        for t in terminals.iter() {
            let s = t.status().unwrap_or(Value::Null);
            problems.push(format!("terminal {}: online={} outbox={} sync={}", t.index, s["online"], s["outbox"], s["sync"]));
        }
        problems.push(e.to_string());
    }

    // The invariants.
    let mut summary = Summary { terminals: terminals.len(), ..Summary::default() };
    let listed = admin.get_json("/admin/v1/terminals").map_err(|e| anyhow!("{e}"))?;
    let on_platform: Vec<Value> = listed["terminals"].as_array().cloned().unwrap_or_default();
    for t in &on_platform {
        if t["online"] != true {
            problems.push(format!("terminal {} is not online on the platform", t["id"].as_str().unwrap_or("?")));
        }
    }
    if on_platform.len() != terminals.len() {
        problems.push(format!("{} terminals on the platform, {} expected", on_platform.len(), terminals.len()));
    }
    let export = admin.export("transactions", "jsonl", None, None).map_err(|e| anyhow!("export: {e}"))?;
    let mut seen: HashMap<String, usize> = HashMap::new();
    for line in export.lines().filter(|l| !l.trim().is_empty()) {
        let v: Value = serde_json::from_str(line).context("an export line")?;
        let key = v["key"].as_str().ok_or_else(|| anyhow!("an exported transaction without a key"))?;
        *seen.entry(key.to_string()).or_default() += 1;
    }
    summary.delivered = seen.len();
    summary.duplicates = seen.values().filter(|n| **n > 1).map(|n| n - 1).sum();
    let accepted: Vec<String> = terminals.iter().flat_map(|t| t.accepted.lock().unwrap_or_else(|e| e.into_inner()).clone()).collect();
    summary.accepted = accepted.len();
    let unique: HashSet<&String> = accepted.iter().collect();
    if unique.len() != accepted.len() {
        problems.push("a terminal accepted two submits with the same key".into());
    }
    summary.lost = accepted.iter().filter(|k| !seen.contains_key(*k)).count();

    // Memory: each process incarnation against its own RSS 5 s after start.
    sampling.store(false, Ordering::SeqCst);
    let _ = sampler.join();
    let incarnations = memory.0.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let mut worst: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for inc in &incarnations {
        let Some(base) = inc.baseline else { continue };
        let bound = (base as f64 * o.rss_factor) as u64 + o.rss_slack_mib * 1024;
        if inc.peak > bound {
            problems.push(format!("{} (pid {}) grew from {} KiB to {} KiB (bound {} KiB)", inc.name, inc.pid, base, inc.peak, bound));
        }
        let kind = if inc.name.starts_with("kioskd") { "kioskd" } else { "kiosk-platform" };
        let e = worst.entry(kind.to_string()).or_insert((base, inc.peak));
        if inc.peak.saturating_sub(base) > e.1.saturating_sub(e.0) {
            *e = (base, inc.peak);
        }
    }
    summary.rss = worst.into_iter().map(|(k, (b, p))| (k, b, p)).collect();

    let mut ev = events.snapshot();
    for (name, n) in proxy.stats() {
        ev.insert(format!("proxy {name}"), n);
    }
    let (ok, refused, other) = proxy.replay_answers();
    ev.insert("replays answered 2xx".into(), ok);
    ev.insert("replays refused 4xx".into(), refused);
    ev.insert("replays other".into(), other);
    ev.insert("visits that did not complete".into(), terminals.iter().map(|t| t.visits_failed.load(Ordering::Relaxed)).sum());
    summary.events = ev;
    summary.problems = problems;

    // Privacy: no terminal logged the citizen's name or full ID number.
    for t in terminals.iter() {
        let log = std::fs::read_to_string(t.dir.join("kioskd.log")).unwrap_or_default();
        if card.id_number.as_deref().is_some_and(|id| log.contains(id)) || card.name.as_deref().is_some_and(|n| log.contains(n)) {
            summary.problems.push(format!("terminal {}'s log holds personal data", t.index));
        }
    }

    drop(terminals);
    drop(platform);
    drop(proxy);
    if summary.passed() && !o.keep {
        let _ = std::fs::remove_dir_all(&o.work_dir);
    } else {
        say(began, &format!("logs and databases kept in {}", o.work_dir.display()));
    }
    say(began, "done");
    Ok(summary)
}
