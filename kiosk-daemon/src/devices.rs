//! Device supervision: one thread per device, each owning its blocking driver and reporting to
//! the core as [`Input`]s.
//!
//! - The reader thread polls for a card, reconnects by path after an unplug (so udev symlinks
//!   keep working), and reports its state only when it changes.
//! - The printer thread polls status at `printer_poll_ms` (at most every 2 s) and before every
//!   job. A job that cannot print is held and retried when the status allows, in order, once.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use kiosk_drivers::idcard::{Reader, ReaderError};
use kiosk_drivers::printer::status::PrinterStatus;
use kiosk_drivers::printer::transport::{Printer, PrinterError};
use serde::Serialize;

use crate::core::Input;

/// A device's health as the API reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceState {
    Ready,
    Absent,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReaderHealth {
    pub state: DeviceState,
    /// The last error's kind (`ReaderError::kind`), when in error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PrinterHealth {
    pub state: DeviceState,
    /// `ok`, `near_end` or `out`; `unknown` while absent.
    pub paper: String,
    pub cover_open: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// Jobs waiting because the printer cannot print now.
    pub held_jobs: usize,
}

impl PrinterHealth {
    pub fn unknown() -> PrinterHealth {
        PrinterHealth { state: DeviceState::Absent, paper: "unknown".into(), cover_open: false, problem: None, held_jobs: 0 }
    }

    fn from_status(s: &PrinterStatus, held_jobs: usize) -> PrinterHealth {
        PrinterHealth {
            state: if s.can_print() { DeviceState::Ready } else { DeviceState::Error },
            paper: s.paper.as_str().to_string(),
            cover_open: s.cover_open,
            problem: s.problem().map(str::to_string),
            held_jobs,
        }
    }
}

/// Commands to the reader thread.
#[derive(Debug)]
pub enum ReaderCommand {
    /// SAM self-test status and id, answered as JSON.
    SelfTest(Sender<serde_json::Value>),
}

fn reader_selftest(reader: &mut Reader, path: &std::path::Path) -> serde_json::Value {
    let status = reader.sam_status();
    let sam_id = reader.sam_id();
    let problem = status.as_ref().err().or(sam_id.as_ref().err()).map(|e| e.kind());
    serde_json::json!({
        "ok": problem.is_none(),
        "port": path,
        "sam_status": match &status { Ok(()) => "ok".to_string(), Err(e) => e.kind().to_string() },
        "sam_id": sam_id.ok(),
        "problem": problem,
        "port_opens": reader.link().open_count(),
        "retransmissions": reader.stats().retransmissions,
    })
}

/// Spawns the reader thread.
pub fn spawn_reader(
    path: std::path::PathBuf,
    baud: u32,
    poll: Duration,
    tx: Sender<Input>,
    commands: Receiver<ReaderCommand>,
    stop: Arc<AtomicBool>,
) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new().name("idcard".into()).spawn(move || {
        let mut reader = Reader::open(&path, baud);
        let mut last: Option<ReaderHealth> = None;
        while !stop.load(Ordering::SeqCst) {
            while let Ok(ReaderCommand::SelfTest(reply)) = commands.try_recv() {
                let _ = reply.send(reader_selftest(&mut reader, &path));
            }
            let result = reader.read_card_with(false, || {
                let _ = tx.send(Input::CardDetected);
            });
            let (health, pause) = match result {
                Ok(card) => {
                    tracing::info!(card_type = %card.card_type.as_str(), "card read");
                    let _ = tx.send(Input::CardRead(Box::new(card)));
                    (ReaderHealth { state: DeviceState::Ready, problem: None }, poll)
                }
                Err(ReaderError::NoCard) => (ReaderHealth { state: DeviceState::Ready, problem: None }, poll),
                Err(e) if e.is_disconnect() => {
                    (ReaderHealth { state: DeviceState::Absent, problem: Some(e.kind().into()) }, Duration::from_secs(1))
                }
                Err(e) => {
                    tracing::warn!(error = %e, "card read failed");
                    let _ = tx.send(Input::CardFailed(e.kind()));
                    let device_fault = matches!(e.kind(), "sam_failed" | "timeout" | "corrupt_reply" | "device_error");
                    let state = if device_fault { DeviceState::Error } else { DeviceState::Ready };
                    (ReaderHealth { state, problem: device_fault.then(|| e.kind().into()) }, poll)
                }
            };
            if last.as_ref() != Some(&health) {
                tracing::info!(state = ?health.state, problem = ?health.problem, "id-card reader state");
                let _ = tx.send(Input::Reader(health.clone()));
                last = Some(health);
            }
            sleep_unless(&stop, pause);
        }
    })
}

fn sleep_unless(stop: &AtomicBool, total: Duration) {
    let end = std::time::Instant::now() + total;
    while !stop.load(Ordering::SeqCst) {
        let now = std::time::Instant::now();
        if now >= end {
            break;
        }
        std::thread::sleep((end - now).min(Duration::from_millis(25)));
    }
}

/// Commands to the printer thread.
#[derive(Debug)]
pub enum PrinterCommand {
    /// Print this job (a receipt's ESC/POS bytes) once.
    Print { id: i64, body: Vec<u8> },
    /// Check the status now (after "paper refilled").
    Poll,
    /// Query the status and answer as JSON.
    SelfTest(Sender<serde_json::Value>),
    Shutdown,
}

/// What became of a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrintOutcome {
    Printed,
    /// Not printed now; kept and retried when the printer can print.
    Held { reason: String },
}

/// Spawns the printer thread.
pub fn spawn_printer(
    path: std::path::PathBuf,
    baud: u32,
    poll: Duration,
    rx: Receiver<PrinterCommand>,
    tx: Sender<Input>,
) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new().name("printer".into()).spawn(move || {
        let mut printer = Printer::open(&path, baud);
        let mut queue: VecDeque<(i64, Vec<u8>, bool)> = VecDeque::new(); // (id, body, held already reported)
        let mut last: Option<PrinterHealth> = None;
        let mut poll_now = true;
        let mut selftests: Vec<Sender<serde_json::Value>> = Vec::new();
        loop {
            if !poll_now {
                match rx.recv_timeout(poll) {
                    Ok(PrinterCommand::Print { id, body }) => queue.push_back((id, body, false)),
                    Ok(PrinterCommand::Poll) => {}
                    Ok(PrinterCommand::SelfTest(reply)) => selftests.push(reply),
                    Ok(PrinterCommand::Shutdown) | Err(RecvTimeoutError::Disconnected) => return,
                    Err(RecvTimeoutError::Timeout) => {}
                }
            }
            poll_now = false;
            // Take every queued command before printing, so order is kept.
            while let Ok(cmd) = rx.try_recv() {
                match cmd {
                    PrinterCommand::Print { id, body } => queue.push_back((id, body, false)),
                    PrinterCommand::Poll => {}
                    PrinterCommand::SelfTest(reply) => selftests.push(reply),
                    PrinterCommand::Shutdown => return,
                }
            }
            let status = printer.status();
            for reply in selftests.drain(..) {
                let _ = reply.send(match &status {
                    Ok(s) => serde_json::json!({ "ok": s.can_print(), "port": path, "status": s, "problem": s.problem(), "warning": s.warning(), "queued_jobs": queue.len() }),
                    Err(e) => serde_json::json!({ "ok": false, "port": path, "problem": if e.is_disconnect() { "disconnected".to_string() } else { e.to_string() } }),
                });
            }
            let mut health = match &status {
                Ok(s) => PrinterHealth::from_status(s, 0),
                Err(e) => PrinterHealth {
                    problem: Some(if e.is_disconnect() { "disconnected".into() } else { e.to_string() }),
                    ..PrinterHealth::unknown()
                },
            };
            if let Ok(s) = &status {
                // Print what can print, oldest first; stop at the first that cannot.
                while s.can_print() {
                    let Some((id, body, _)) = queue.front() else { break };
                    let id = *id;
                    let _ = tx.send(Input::PrintStarted { receipt_id: id });
                    match printer.print_bytes(body) {
                        Ok(()) => {
                            tracing::info!(receipt = id, "receipt printed");
                            queue.pop_front();
                            let _ = tx.send(Input::Printed { receipt_id: id, outcome: PrintOutcome::Printed });
                        }
                        Err(e) => {
                            let reason = held_reason(&e);
                            tracing::warn!(receipt = id, %reason, "receipt held");
                            if let Some(front) = queue.front_mut() {
                                front.2 = true;
                            }
                            let _ = tx.send(Input::Printed { receipt_id: id, outcome: PrintOutcome::Held { reason } });
                            if let Some(st) = e.status() {
                                health = PrinterHealth::from_status(st, 0);
                            }
                            break;
                        }
                    }
                }
            }
            // Jobs that wait report "held" once each.
            for (id, _, reported) in queue.iter_mut() {
                if !*reported {
                    *reported = true;
                    let reason = health.problem.clone().unwrap_or_else(|| "printer not ready".into());
                    let _ = tx.send(Input::Printed { receipt_id: *id, outcome: PrintOutcome::Held { reason } });
                }
            }
            health.held_jobs = queue.len();
            if last.as_ref() != Some(&health) {
                tracing::info!(state = ?health.state, paper = %health.paper, problem = ?health.problem, "printer state");
                let _ = tx.send(Input::Printer(health.clone()));
                last = Some(health);
            }
        }
    })
}

fn held_reason(e: &PrinterError) -> String {
    match e.status().and_then(|s| s.problem()) {
        Some(p) => p.to_string(),
        None if e.is_disconnect() => "disconnected".into(),
        None => e.to_string(),
    }
}
