//! `kiosk-hw`: the hardware tool for technicians on a real terminal, and the device simulators
//! for development and tests. Argument parsing and wiring only; the work is in `kiosk_drivers`.
//!
//! Exit codes: 0 success, 2 usage error, 3 no card within the timeout, 4 device or protocol
//! error. Errors are one line on stderr. Set `KIOSK_LOG=debug` (or trace) for driver logs on
//! stderr; they never contain a name or an ID number.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use kiosk_drivers::idcard::{self, CardJson, IdCardSim, Reader, ReaderConfig, ReaderError};
use kiosk_drivers::printer::receipt::{test_page, PaperWidth};
use kiosk_drivers::printer::sim::{PrinterSim, SimConfig};
use kiosk_drivers::printer::transport::Printer;

const EXIT_NO_CARD: u8 = 3;
const EXIT_DEVICE: u8 = 4;

#[derive(Parser)]
#[command(name = "kiosk-hw", version, about = "Kiosk hardware tool: ID-card reader, receipt printer, and their simulators")]
struct Cli {
    #[command(subcommand)]
    command: Top,
}

#[derive(Subcommand)]
enum Top {
    /// Run a device simulator on a pseudo-terminal.
    #[command(subcommand)]
    Sim(SimCmd),
    /// Talk to an ID-card reader.
    #[command(subcommand)]
    Idcard(IdcardCmd),
    /// Talk to a receipt printer.
    #[command(subcommand)]
    Printer(PrinterCmd),
}

#[derive(Subcommand)]
enum SimCmd {
    /// Simulated GA 467 reader. Control with JSON lines on stdin:
    /// {"place": CARD}, {"remove": true}, {"fault": NAME}.
    Idcard {
        /// Where to publish the pty (a symlink to /dev/pts/N).
        #[arg(long)]
        link: PathBuf,
        /// A card (JSON, as `idcard read --reveal` prints) to place at start.
        #[arg(long)]
        card: Option<PathBuf>,
        /// Baud rate whose wire time replies are paced at.
        #[arg(long, default_value_t = 115_200)]
        baud: u32,
        /// Send replies as fast as the pty takes them.
        #[arg(long)]
        no_pacing: bool,
    },
    /// Simulated ESC/POS printer. Control with JSON lines on stdin:
    /// {"paper": "ok"|"near_end"|"out"}, {"cover": "open"|"closed"}.
    Printer {
        #[arg(long)]
        link: PathBuf,
        /// Where cut receipts go, as NNNN.txt and NNNN.png.
        #[arg(long)]
        out: PathBuf,
        /// Paper width in mm.
        #[arg(long, default_value_t = 58, value_parser = parse_width)]
        width: u32,
    },
}

fn parse_width(s: &str) -> Result<u32, String> {
    match s.parse::<u32>() {
        Ok(w @ (58 | 80)) => Ok(w),
        _ => Err("width must be 58 or 80".into()),
    }
}

#[derive(Args)]
struct PortArgs {
    /// Serial device (a udev symlink such as /dev/kiosk-idcard works best).
    #[arg(long)]
    port: PathBuf,
    #[arg(long, default_value_t = 115_200)]
    baud: u32,
}

#[derive(Subcommand)]
enum IdcardCmd {
    /// Wait for a card, read it, print it as JSON (masked unless --reveal).
    Read {
        #[command(flatten)]
        port: PortArgs,
        /// How long to wait for a card.
        #[arg(long, default_value_t = 5000)]
        timeout_ms: u64,
        /// Print the full name and ID number (for tests and the card holder's own eyes only).
        #[arg(long)]
        reveal: bool,
        /// Read with fingerprint (30 10); only presence is printed, never the data.
        #[arg(long)]
        fingerprint: bool,
    },
    /// SAM id and self-test status.
    Sam {
        #[command(flatten)]
        port: PortArgs,
    },
}

#[derive(Subcommand)]
enum PrinterCmd {
    /// Real-time status (DLE EOT 1..4) as JSON.
    Status {
        #[command(flatten)]
        port: PortArgs,
    },
    /// Print a test receipt: Chinese text, a QR code, cut.
    TestPage {
        #[command(flatten)]
        port: PortArgs,
        #[arg(long, default_value_t = 58, value_parser = parse_width)]
        width: u32,
    },
}

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    STOP.store(true, Ordering::SeqCst);
}

fn install_signal_handlers() {
    let handler = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    unsafe {
        libc::signal(libc::SIGTERM, handler);
        libc::signal(libc::SIGINT, handler);
        libc::signal(libc::SIGHUP, handler);
    }
}

fn init_logging() {
    let level = match std::env::var("KIOSK_LOG").ok().as_deref() {
        Some("error") => tracing::Level::ERROR,
        Some("warn") => tracing::Level::WARN,
        Some("info") => tracing::Level::INFO,
        Some("debug") => tracing::Level::DEBUG,
        Some("trace") => tracing::Level::TRACE,
        _ => return,
    };
    tracing_subscriber::fmt().with_writer(std::io::stderr).with_max_level(level).with_ansi(false).init();
}

fn main() -> ExitCode {
    init_logging();
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("kiosk-hw: {}", one_line(&e));
            ExitCode::from(EXIT_DEVICE)
        }
    }
}

/// The error chain on one line.
fn one_line(e: &anyhow::Error) -> String {
    e.chain().map(|c| c.to_string()).collect::<Vec<_>>().join(": ").replace('\n', " ")
}

fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer(&mut out, value)?;
    writeln!(out)?;
    out.flush()?;
    Ok(())
}

fn run(command: Top) -> anyhow::Result<ExitCode> {
    match command {
        Top::Sim(SimCmd::Idcard { link, card, baud, no_pacing }) => sim_idcard(&link, card.as_deref(), baud, no_pacing),
        Top::Sim(SimCmd::Printer { link, out, width }) => sim_printer(&link, out, width),
        Top::Idcard(IdcardCmd::Read { port, timeout_ms, reveal, fingerprint }) => {
            let mut reader = Reader::with_config(&port.port, port.baud, ReaderConfig::default());
            let result = reader.wait_for_card(Duration::from_millis(timeout_ms), Duration::from_millis(100), fingerprint);
            match result {
                Ok(card) => {
                    print_json(&card.to_json(reveal))?;
                    Ok(ExitCode::SUCCESS)
                }
                Err(ReaderError::NoCard) => {
                    eprintln!("kiosk-hw: no card on {} within {timeout_ms} ms", port.port.display());
                    Ok(ExitCode::from(EXIT_NO_CARD))
                }
                Err(e) => {
                    eprintln!("kiosk-hw: {} ({})", e, e.kind());
                    Ok(ExitCode::from(EXIT_DEVICE))
                }
            }
        }
        Top::Idcard(IdcardCmd::Sam { port }) => {
            let mut reader = Reader::open(&port.port, port.baud);
            let sam_id = reader.sam_id();
            let status = reader.sam_status();
            if let (Err(e), Err(_)) = (&sam_id, &status) {
                if e.is_disconnect() || matches!(e, ReaderError::Timeout { .. }) {
                    eprintln!("kiosk-hw: {e} ({})", e.kind());
                    return Ok(ExitCode::from(EXIT_DEVICE));
                }
            }
            let status_text = match &status {
                Ok(()) => "ok".to_string(),
                Err(e) => e.kind().to_string(),
            };
            print_json(&serde_json::json!({
                "sam_id": sam_id.as_ref().ok(),
                "status": status_text,
            }))?;
            Ok(if status.is_ok() { ExitCode::SUCCESS } else { ExitCode::from(EXIT_DEVICE) })
        }
        Top::Printer(PrinterCmd::Status { port }) => {
            let mut printer = Printer::open(&port.port, port.baud);
            match printer.status() {
                Ok(status) => {
                    print_json(&status)?;
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    eprintln!("kiosk-hw: printer status: {e}");
                    Ok(ExitCode::from(EXIT_DEVICE))
                }
            }
        }
        Top::Printer(PrinterCmd::TestPage { port, width }) => {
            let width = PaperWidth::from_mm(width).expect("validated by the argument parser");
            let mut printer = Printer::open(&port.port, port.baud);
            match printer.print(&test_page(width)) {
                Ok(()) => {
                    print_json(&serde_json::json!({ "printed": true }))?;
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    eprintln!("kiosk-hw: test page: {e}");
                    Ok(ExitCode::from(EXIT_DEVICE))
                }
            }
        }
    }
}

/// Reads control lines from stdin on a helper thread and applies them here, answering each
/// with a JSON line on stdout; keeps serving after stdin closes, until a signal arrives.
fn serve_until_signalled(ready: serde_json::Value, mut apply: impl FnMut(&str) -> Result<(), String>) -> anyhow::Result<ExitCode> {
    install_signal_handlers();
    print_json(&ready)?;
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    while !STOP.load(Ordering::SeqCst) {
        let line = match rx.recv_timeout(Duration::from_millis(50)) {
            Ok(line) => line,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => continue,
            // stdin closed: keep serving until killed.
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                std::thread::sleep(Duration::from_millis(50));
                continue;
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        let answer = match apply(line.trim()) {
            Ok(()) => serde_json::json!({ "ok": true }),
            Err(e) => {
                eprintln!("kiosk-hw: control: {e}");
                serde_json::json!({ "ok": false, "error": e })
            }
        };
        let _ = print_json(&answer);
    }
    Ok(ExitCode::SUCCESS)
}

fn sim_idcard(link: &Path, card: Option<&Path>, baud: u32, no_pacing: bool) -> anyhow::Result<ExitCode> {
    use anyhow::Context;
    if !idcard::sim::valid_baud(baud) {
        anyhow::bail!("baud {baud} is not one of 115200, 57600, 38400, 19200, 9600");
    }
    let initial: Option<CardJson> = match card {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
            Some(serde_json::from_str(&text).with_context(|| format!("parsing card {}", path.display()))?)
        }
        None => None,
    };
    let options = idcard::SimOptions { pace_baud: (!no_pacing).then_some(baud), ..Default::default() };
    let sim = IdCardSim::spawn(link, options).with_context(|| format!("creating pty at {}", link.display()))?;
    if let Some(card) = initial {
        sim.place(card).map_err(anyhow::Error::msg).context("placing the --card card")?;
    }
    let ready = serde_json::json!({ "ready": true, "device": sim.device(), "link": sim.link() });
    let code = serve_until_signalled(ready, |line| sim.control(idcard::sim::parse_control(line)?))?;
    sim.stop();
    Ok(code)
}

fn sim_printer(link: &Path, out: PathBuf, width: u32) -> anyhow::Result<ExitCode> {
    use anyhow::Context;
    let width = PaperWidth::from_mm(width).expect("validated by the argument parser");
    let config = SimConfig { width, out_dir: out, pace_baud: None };
    let sim = PrinterSim::spawn(link, config).with_context(|| format!("creating pty at {}", link.display()))?;
    let ready = serde_json::json!({ "ready": true, "device": sim.device(), "link": sim.link() });
    let code = serve_until_signalled(ready, |line| {
        sim.control(kiosk_drivers::printer::sim::parse_control(line)?);
        Ok(())
    })?;
    sim.stop();
    Ok(code)
}
