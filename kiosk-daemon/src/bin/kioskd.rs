//! `kioskd`: the kiosk terminal daemon. Argument parsing and wiring only.
//!
//! - `kioskd run --config FILE`: run the terminal.
//! - `kioskd demo [--dir DIR] [--visit] [--exit]`: a complete terminal with simulated devices.
//! - `kioskd pin-hash`: read an assistant PIN on stdin, print the hash for `[maintenance] pin_hash`.
//! - `kioskd console-code --config FILE`: set the technician console code (read on stdin).

use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "kioskd", version, about = "Kiosk terminal daemon")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the terminal.
    Run {
        #[arg(long)]
        config: PathBuf,
    },
    /// Run a complete demo terminal with simulated devices.
    Demo {
        /// Folder for the database, ptys, socket and receipts (default: a new temporary one).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Walk one scripted citizen visit through the local API.
        #[arg(long)]
        visit: bool,
        /// Stop after the visit instead of serving on.
        #[arg(long)]
        exit: bool,
        /// Sync with this platform.
        #[arg(long)]
        platform_url: Option<String>,
        #[arg(long)]
        enrol_token: Option<String>,
        #[arg(long)]
        platform_key: Option<String>,
        /// Stop when standard input ends (for a parent process that drives the simulators).
        #[arg(long)]
        exit_on_eof: bool,
        /// Inactivity timeout of a visit, in seconds (tests of the countdown use a short one).
        #[arg(long)]
        session_timeout_s: Option<u64>,
        /// Seconds of warning before the timeout.
        #[arg(long)]
        session_warning_s: Option<u64>,
    },
    /// Hash an assistant PIN read from stdin.
    PinHash,
    /// Set the technician console code (read from stdin; only a salted slow hash is stored).
    ConsoleCode {
        #[arg(long)]
        config: PathBuf,
    },
}

fn init_logging() {
    let level = match std::env::var("KIOSK_LOG").ok().as_deref() {
        Some("error") => tracing::Level::ERROR,
        Some("warn") => tracing::Level::WARN,
        Some("debug") => tracing::Level::DEBUG,
        Some("trace") => tracing::Level::TRACE,
        _ => tracing::Level::INFO,
    };
    // stderr, no colours: journald adds time and unit. A copy goes to the in-memory ring the
    // technician console shows.
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::Layer;
    let filter = tracing_subscriber::filter::LevelFilter::from_level(level);
    tracing_subscriber::registry()
        .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_ansi(false).with_filter(filter))
        .with(kioskd::logbuf::RingLayer.with_filter(filter))
        .init();
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let result = match cli.command {
        Command::Run { config } => kioskd::config::Config::load(&config).map_err(anyhow::Error::from).and_then(|c| {
            let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
            rt.block_on(kioskd::daemon::run(c, Some(config.clone()), kioskd::daemon::signal()))
        }),
        Command::Demo { dir, visit, exit, platform_url, enrol_token, platform_key, exit_on_eof, session_timeout_s, session_warning_s } => {
            let dir = dir.unwrap_or_else(|| std::env::temp_dir().join(format!("kioskd-demo-{}", std::process::id())));
            kioskd::demo::run(kioskd::demo::DemoOptions { dir, visit, exit_after_visit: exit, platform_url, enrol_token, platform_key, exit_on_eof, session_timeout_s, session_warning_s })
        }
        Command::ConsoleCode { config } => kioskd::config::Config::load(&config).map_err(anyhow::Error::from).and_then(|c| {
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line)?;
            let path = c.console_code_path();
            kioskd::console::store_code(&path, line.trim()).map_err(anyhow::Error::msg)?;
            println!("technician code saved to {}", path.display());
            Ok(())
        }),
        Command::PinHash => {
            let mut line = String::new();
            match std::io::stdin().lock().read_line(&mut line) {
                Ok(_) => kioskd::maintenance::hash_pin(line.trim()).map(|h| println!("{h}")).map_err(anyhow::Error::msg),
                Err(e) => Err(e.into()),
            }
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kioskd: {e:#}");
            ExitCode::FAILURE
        }
    }
}
