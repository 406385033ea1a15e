//! `kioskd demo`: a complete terminal in one folder: both device simulators on ptys, a
//! database, the daemon and its local API; optionally a scripted citizen visit.
//!
//! Standard input drives the simulators with the `kiosk-hw sim` JSON lines
//! (`{"place": CARD}`, `{"remove": true}`, `{"fault": NAME}`, `{"paper": …}`, `{"cover": …}`).

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use kiosk_drivers::idcard::{CardJson, IdCardSim, SimOptions};
use kiosk_drivers::printer::receipt::PaperWidth;
use kiosk_drivers::printer::sim::{PrinterSim, SimConfig};
use serde_json::{json, Value};

use crate::catalogue::{Field, FieldType};
use crate::client::Client;
use crate::config::Config;

/// The assistants' PIN in the demo.
pub const DEMO_PIN: &str = "123456";

/// The demo citizen (fictional; valid check digit).
pub const DEMO_CARD: &str = include_str!("../../assets/demo/card-resident.json");

pub struct DemoOptions {
    pub dir: PathBuf,
    pub visit: bool,
    pub exit_after_visit: bool,
    /// Sync with this platform (`[sync]` settings), when given.
    pub platform_url: Option<String>,
    pub enrol_token: Option<String>,
    pub platform_key: Option<String>,
    /// Stop when standard input ends (a parent process such as the UI went away).
    pub exit_on_eof: bool,
    /// `[session] timeout_s` and `warning_s`, when given.
    pub session_timeout_s: Option<u64>,
    pub session_warning_s: Option<u64>,
}

/// A plausible value a citizen would type into `field` (for scripted visits and tests).
pub fn sample_value(field: &Field) -> String {
    match field.field_type {
        FieldType::Phone => "13800138000".into(),
        FieldType::Choice => field.options.first().map(|o| o.value.clone()).unwrap_or_default(),
        FieldType::Digits => "6".repeat(field.min_len.unwrap_or(6).max(1)),
        FieldType::Date => "2026-12-04".into(),
        FieldType::Number => {
            let v = field.min.unwrap_or(0.0).max(1.0);
            if field.max.is_some_and(|m| v > m) { field.min.unwrap_or(0.0).to_string() } else { v.to_string() }
        }
        FieldType::IdNumber => "441882195103070022".into(),
        FieldType::Text => {
            let s = "无".to_string();
            match field.min_len {
                Some(n) if n > 1 => "无".repeat(n),
                _ => s,
            }
        }
    }
}

/// The config of a demo terminal in `dir`.
pub fn demo_config(dir: &Path, pin_hash: String) -> Config {
    let mut c = Config::default();
    c.devices.idcard = dir.join("dev").join("idcard");
    c.devices.printer = dir.join("dev").join("printer");
    c.storage.data_dir = dir.join("data");
    c.api.socket = dir.join("kioskd.sock");
    c.maintenance.pin_hash = pin_hash;
    c.catalogue.seed = dir.join("catalogue.json");
    c.terminal.name = "连州市西岸镇冲口村 粤智助自助机（演示）".into();
    c
}

/// Waits until the daemon answers `GET /v1/status`.
pub fn wait_ready(client: &Client, timeout: Duration) -> anyhow::Result<Value> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(r) = client.get("/v1/status") {
            if r.ok() {
                return Ok(r.body);
            }
        }
        if Instant::now() > deadline {
            bail!("kioskd did not become ready on {}", client.socket().display());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Polls `GET /v1/session` until `pred` holds.
pub fn wait_session(client: &Client, timeout: Duration, pred: impl Fn(&Value) -> bool) -> anyhow::Result<Value> {
    let deadline = Instant::now() + timeout;
    loop {
        let s = client.get("/v1/session")?.body;
        if pred(&s) {
            return Ok(s);
        }
        if Instant::now() > deadline {
            bail!("session did not reach the expected state; last: {s}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn step(title: &str) {
    println!("\n== {title}");
}

/// The scripted visit: card, elderly mode, search, form prefilled from the card, submit while
/// offline, receipt, rating, wipe.
pub fn scripted_visit(client: &Client, sim: &IdCardSim, receipts: &Path) -> anyhow::Result<()> {
    step("A citizen places her ID card on the reader");
    let card: CardJson = serde_json::from_str(DEMO_CARD)?;
    sim.place(card).map_err(anyhow::Error::msg)?;
    let s = wait_session(client, Duration::from_secs(10), |s| s["state"] == "authenticated")?;
    println!("session {}: citizen {}", s["session"], s["citizen"]);

    step("She turns on elderly mode (长者模式) and searches for 资格认证");
    client.post("/v1/session/elderly", json!({ "on": true }))?;
    client.post("/v1/session/browse", json!({}))?;
    let found = client.get("/v1/search?q=%E8%B5%84%E6%A0%BC%E8%AE%A4%E8%AF%81")?.body;
    let item = found["items"].as_array().and_then(|a| a.first()).cloned().context("search found nothing")?;
    println!("found: {} ({})", item["name"], item["code"]);
    let code = item["code"].as_str().unwrap_or_default().to_string();

    step("She opens it: name and ID number come from the card, masked and locked");
    let s = client.post("/v1/session/item", json!({ "code": code }))?;
    if !s.ok() {
        bail!("opening the item failed: {}", s.body);
    }
    println!("prefilled: {}", s.body["fields"]);
    let detail = client.get(&format!("/v1/items/{code}"))?.body;
    let fields: Vec<Field> = serde_json::from_value(detail["form"]["fields"].clone()).unwrap_or_default();
    let mut values = serde_json::Map::new();
    for f in fields.iter().filter(|f| f.prefill.is_none() && f.required) {
        values.insert(f.key.clone(), Value::String(sample_value(f)));
    }
    println!("she types: {}", Value::Object(values.clone()));
    let r = client.post("/v1/session/fields", json!({ "fields": values }))?;
    if !r.ok() {
        bail!("setting fields failed: {}", r.body);
    }

    step("She submits, with the network down: stored durably, receipt printing");
    let r = client.post("/v1/session/submit", json!({}))?;
    if !r.ok() {
        bail!("submit failed: {}", r.body);
    }
    println!("transaction {}", r.body["transaction_key"]);
    let s = wait_session(client, Duration::from_secs(15), |s| s["print"] == "printed" || s["print"] == "held")?;
    println!("receipt: {} (in {})", s["print"], receipts.display());

    step("She rates the service 非常满意 (5)");
    let r = client.post("/v1/session/rate", json!({ "level": 5, "reasons": ["办理快捷", "操作简单"] }))?;
    println!("session now: {}", r.body["state"]);
    let s = client.get("/v1/session")?.body;
    println!("nothing of her is left: citizen={} fields={}", s["citizen"], s["fields"]);

    step("Terminal status");
    println!("{}", serde_json::to_string_pretty(&client.get("/v1/status")?.body)?);
    Ok(())
}

/// Waits until the terminal is online with an empty outbox.
pub fn wait_synced(client: &Client, timeout: Duration) -> anyhow::Result<Value> {
    let deadline = Instant::now() + timeout;
    loop {
        let s = client.get("/v1/status")?.body;
        if s["online"] == true && s["outbox"]["pending"] == 0 && s["sync"]["terminal_status"] == "approved" {
            return Ok(s);
        }
        if Instant::now() > deadline {
            bail!("outbox {} online {} status {}", s["outbox"], s["online"], s["sync"]["terminal_status"]);
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Runs the demo terminal until SIGTERM/SIGINT (or after the visit with `exit_after_visit`).
pub fn run(options: DemoOptions) -> anyhow::Result<()> {
    let dir = &options.dir;
    std::fs::create_dir_all(dir.join("dev")).with_context(|| format!("creating {}", dir.display()))?;
    let receipts = dir.join("receipts");
    let pin_hash = crate::maintenance::hash_pin(DEMO_PIN).map_err(anyhow::Error::msg)?;
    let mut config = demo_config(dir, pin_hash);
    if let Some(url) = &options.platform_url {
        config.sync.platform_url = url.clone();
        config.sync.enrol_token = options.enrol_token.clone().unwrap_or_default();
        config.sync.platform_key = options.platform_key.clone().unwrap_or_default();
        config.sync.heartbeat_s = 5;
        config.sync.max_backoff_s = 5;
    }
    std::fs::write(&config.catalogue.seed, crate::daemon::SAMPLE_CATALOGUE)?;
    if let Some(t) = options.session_timeout_s {
        config.session.timeout_s = t;
    }
    if let Some(w) = options.session_warning_s {
        config.session.warning_s = w;
    }
    config.validate().map_err(anyhow::Error::msg).context("demo session settings")?;
    let config_path = dir.join("kioskd.toml");
    std::fs::write(&config_path, toml::to_string(&config)?)?;

    let idcard = Arc::new(IdCardSim::spawn(&config.devices.idcard, SimOptions::default()).context("starting the reader simulator")?);
    let printer = Arc::new(
        PrinterSim::spawn(&config.devices.printer, SimConfig { width: PaperWidth::Mm58, out_dir: receipts.clone(), pace_baud: None })
            .context("starting the printer simulator")?,
    );

    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let shutdown = async move {
        tokio::select! {
            _ = crate::daemon::signal() => {}
            _ = stop_rx => {}
        }
    };
    let daemon = runtime.spawn(crate::daemon::run(config.clone(), Some(config_path), shutdown));

    let client = Client::new(&config.api.socket);
    wait_ready(&client, Duration::from_secs(20))?;
    println!("kioskd demo terminal in {}", dir.display());
    println!("  local API:   {}", config.api.socket.display());
    println!("  try:         curl --unix-socket {} http://kiosk/v1/status", config.api.socket.display());
    println!("  reader:      {} (simulated GA 467 SAM)", config.devices.idcard.display());
    println!("  printer:     {} (simulated ESC/POS, receipts in {})", config.devices.printer.display(), receipts.display());
    println!("  maintenance: PIN {DEMO_PIN}");
    println!("  config:      {}", dir.join("kioskd.toml").display());
    println!("  stdin:       {{\"place\": CARD}} {{\"remove\": true}} {{\"paper\": \"out\"}} … drive the simulators");

    let visit = if options.visit { Some(scripted_visit(&client, &idcard, &receipts)) } else { None };
    if options.platform_url.is_some() && options.visit {
        step("Waiting for the platform to approve the terminal and take the outbox");
        match wait_synced(&client, Duration::from_secs(90)) {
            Ok(s) => println!("synced: online={} outbox={} terminal_status={}", s["online"], s["outbox"], s["sync"]["terminal_status"]),
            Err(e) => println!("not synced yet: {e}"),
        }
    }
    if let Some(Err(e)) = &visit {
        eprintln!("kioskd demo: the scripted visit failed: {e:#}");
    }
    if !options.exit_after_visit {
        let (idcard, printer) = (Arc::clone(&idcard), Arc::clone(&printer));
        let exit_on_eof = options.exit_on_eof;
        std::thread::spawn(move || {
            for line in std::io::stdin().lock().lines() {
                let Ok(line) = line else { break };
                let line = line.trim();
                let result = if line.starts_with("{\"paper\"") || line.starts_with("{\"cover\"") {
                    kiosk_drivers::printer::sim::parse_control(line).map(|c| printer.control(c))
                } else if line.is_empty() {
                    continue;
                } else {
                    kiosk_drivers::idcard::sim::parse_control(line).and_then(|c| idcard.control(c))
                };
                match result {
                    Ok(()) => println!("{{\"ok\":true}}"),
                    Err(e) => println!("{}", json!({ "ok": false, "error": e })),
                }
            }
            if exit_on_eof {
                let _ = stop_tx.send(());
            }
        });
    } else {
        let _ = stop_tx.send(());
    }
    let result = runtime.block_on(daemon).context("daemon task")?;
    drop(idcard);
    drop(printer);
    result?;
    match visit {
        Some(Err(e)) => Err(e),
        _ => Ok(()),
    }
}
