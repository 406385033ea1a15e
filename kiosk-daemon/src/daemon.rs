//! Wiring: opens the store, loads the catalogue, starts the device threads, the core thread
//! and the local API, and stops them all on shutdown. Everything from outside (configuration,
//! the shutdown signal) is passed in.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::sync::broadcast;

use crate::api::{self, AppState};
use crate::catalogue::Catalogue;
use crate::config::Config;
use crate::core::{self, Core, Input};
use crate::devices;
use crate::store::Store;
use crate::time;

/// The sample catalogue, built in: used at first start when the configured seed file is absent.
pub const SAMPLE_CATALOGUE: &str = include_str!("../../assets/catalogue/catalogue.json");

fn initial_catalogue(config: &Config) -> anyhow::Result<Catalogue> {
    let seed = &config.catalogue.seed;
    let (text, origin) = match std::fs::read_to_string(seed) {
        Ok(t) => (t, seed.display().to_string()),
        Err(_) => (SAMPLE_CATALOGUE.to_string(), "the built-in sample".to_string()),
    };
    Catalogue::from_json(&text).with_context(|| format!("loading the catalogue from {origin}"))
}

/// Runs the daemon until `shutdown` resolves.
/// `config_path` is where `config set` from the console saves settings (none: read-only).
pub async fn run(config: Config, config_path: Option<std::path::PathBuf>, shutdown: impl std::future::Future<Output = ()> + Send) -> anyhow::Result<()> {
    let started = Instant::now();
    let now = time::now_unix();
    let (mut store, opened) = Store::open(&config.db_path(), &config.key_path(), now).context("opening the database")?;
    let catalogue = match store.catalogue() {
        Ok(Some(c)) => c,
        Ok(None) => {
            let c = initial_catalogue(&config)?;
            store.set_catalogue(&c, now)?;
            tracing::info!(version = %c.version, items = c.items.len(), "catalogue loaded into the new database");
            c
        }
        Err(e) => {
            tracing::error!(error = %e, "stored catalogue unreadable; using the seed");
            initial_catalogue(&config)?
        }
    };

    let (input_tx, input_rx) = std::sync::mpsc::channel::<Input>();
    let (printer_tx, printer_rx) = std::sync::mpsc::channel();
    let (events, _) = broadcast::channel(256);
    let mut core = Core::new(config.clone(), config_path, store, catalogue, printer_tx.clone(), events.clone(), started)?;
    if let Some(moved) = &opened.recovered_from {
        tracing::error!(moved_to = %moved.display(), "database was corrupt; terminal is out of service until a technician checks it");
        core.set_out_of_service(Some("database_recovered"));
    }
    core.resume_receipts()?;
    let agent = if config.sync.platform_url.is_empty() {
        tracing::info!("no sync.platform_url: running offline only");
        None
    } else {
        let agent = crate::sync::Agent::new(&config, input_tx.clone()).map_err(anyhow::Error::msg).context("starting the sync agent")?;
        let wake = Arc::new(tokio::sync::Notify::new());
        core.set_sync_wake(Arc::clone(&wake));
        Some((agent, wake))
    };

    let stop = Arc::new(AtomicBool::new(false));
    let (reader_tx, reader_rx) = std::sync::mpsc::channel();
    let reader = devices::spawn_reader(
        config.devices.idcard.clone(),
        config.devices.idcard_baud,
        Duration::from_millis(config.devices.idcard_poll_ms),
        input_tx.clone(),
        reader_rx,
        Arc::clone(&stop),
    )?;
    let printer = devices::spawn_printer(
        config.devices.printer.clone(),
        config.devices.printer_baud,
        Duration::from_millis(config.devices.printer_poll_ms),
        printer_rx,
        input_tx.clone(),
    )?;
    let console = if config.console.port.is_empty() {
        None
    } else {
        let links = crate::console::ConsoleLinks { core: input_tx.clone(), reader: reader_tx.clone(), printer: printer_tx.clone() };
        tracing::info!(port = %config.console.port, "technician console enabled");
        Some(crate::console::spawn(&config.console.port, config.console.baud, &config, links, Arc::clone(&stop))?)
    };
    let core_thread = std::thread::Builder::new().name("core".into()).spawn(move || core::run(core, input_rx, Duration::from_millis(200)))?;

    let agent_task = agent.map(|(agent, wake)| tokio::spawn(agent.run(wake)));
    let listener = api::bind(&config.api.socket).with_context(|| format!("binding {}", config.api.socket.display()))?;
    tracing::info!(socket = %config.api.socket.display(), "kioskd ready");
    crate::notify::notify("READY=1");
    let state = AppState { core: input_tx.clone(), events };
    let (stop_api, api_stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(api::serve(listener, state, async {
        let _ = api_stopped.await;
    }));
    shutdown.await;
    let _ = stop_api.send(());
    // Open event streams never end by themselves: give requests in flight a moment, then go.
    let served = match tokio::time::timeout(Duration::from_secs(2), server).await {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => Err(std::io::Error::other(e)),
        Err(_) => Ok(()),
    };

    tracing::info!("shutting down");
    crate::notify::notify("STOPPING=1");
    if let Some(t) = agent_task {
        t.abort();
    }
    stop.store(true, Ordering::SeqCst);
    let _ = input_tx.send(Input::Shutdown);
    let _ = printer_tx.send(devices::PrinterCommand::Shutdown);
    let _ = core_thread.join();
    let _ = reader.join();
    let _ = printer.join();
    if let Some(c) = console {
        let _ = c.join();
    }
    let _ = std::fs::remove_file(&config.api.socket);
    served.context("serving the local API")
}

/// Resolves on SIGTERM or SIGINT.
pub async fn signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(_) => return std::future::pending().await,
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}
