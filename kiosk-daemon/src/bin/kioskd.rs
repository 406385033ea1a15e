//! `kioskd`: the kiosk terminal daemon. Argument parsing and wiring only.
//!
//! - `kioskd run --config FILE`: run the terminal.
//! - `kioskd demo [--dir DIR] [--visit] [--exit]`: a complete terminal with simulated devices.
//! - `kioskd pin-hash`: read an assistant PIN on stdin, print the hash for `[maintenance] pin_hash`.

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
    },
    /// Hash an assistant PIN read from stdin.
    PinHash,
}

fn init_logging() {
    let level = match std::env::var("KIOSK_LOG").ok().as_deref() {
        Some("error") => tracing::Level::ERROR,
        Some("warn") => tracing::Level::WARN,
        Some("debug") => tracing::Level::DEBUG,
        Some("trace") => tracing::Level::TRACE,
        _ => tracing::Level::INFO,
    };
    // stderr, no colours: journald adds time and unit.
    tracing_subscriber::fmt().with_writer(std::io::stderr).with_max_level(level).with_ansi(false).init();
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let result = match cli.command {
        Command::Run { config } => kioskd::config::Config::load(&config).map_err(anyhow::Error::from).and_then(|c| {
            let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
            rt.block_on(kioskd::daemon::run(c, kioskd::daemon::signal()))
        }),
        Command::Demo { dir, visit, exit } => {
            let dir = dir.unwrap_or_else(|| std::env::temp_dir().join(format!("kioskd-demo-{}", std::process::id())));
            kioskd::demo::run(kioskd::demo::DemoOptions { dir, visit, exit_after_visit: exit })
        }
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
