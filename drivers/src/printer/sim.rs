//! The virtual receipt printer: speaks ESC/POS on a pseudo-terminal, answers `DLE EOT` status
//! requests from a controllable state (paper ok / near end / out, cover open / closed), and
//! writes every cut receipt to a directory as `NNNN.png` and `NNNN.txt`.
//!
//! - [`PrinterSim`] is the engine: bytes in ([`PrinterSim::push`]), replies and saved receipts
//!   out ([`PrinterSim::poll`]). It does file I/O for the receipts but no serial I/O.
//! - [`PrinterSim::spawn`] runs the engine on its own thread behind a [`PtyLink`] published at a
//!   path, and returns a [`PrinterSimHandle`] to control and stop it.
//!
//! Behaviour: a status request is answered at once from the current state, at any time, even
//! mid-job. While the cover is open or the paper is out, print data is decoded (to keep command
//! framing and find status requests) but discarded, and the paper in progress is torn off and
//! thrown away; near-end still prints. Each cut writes `NNNN.png` and then `NNNN.txt`, each via a
//! temporary file and a rename, so a watcher that sees `NNNN.txt` can read both. Numbers continue
//! after the highest already in the directory, so a restarted simulator never overwrites. A cut
//! on blank paper writes nothing.
//!
//! The simulator answers a status request only after it has processed every command that came
//! before it (unless that command is still incomplete), so once [`crate::printer::Printer::print`]
//! has returned, the receipt's files are on disk.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use super::decode::{Decoder, Event};
use super::receipt::PaperWidth;
use super::render::{RenderedReceipt, Renderer};
use super::status::{Paper, PrinterStatus};
use crate::serial::{PtyLink, wire_time};

/// Simulator settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimConfig {
    /// Paper width: sets the PNG width (384 or 576 dots) and where lines wrap.
    pub width: PaperWidth,
    /// Where `NNNN.txt` / `NNNN.png` go; created if missing.
    pub out_dir: PathBuf,
    /// Simulate a UART at this baud rate: received data is consumed and replies are sent no
    /// faster than the wire would carry them. `None`: as fast as the pty goes.
    pub pace_baud: Option<u32>,
}

impl SimConfig {
    pub fn new(width: PaperWidth, out_dir: impl Into<PathBuf>) -> SimConfig {
        SimConfig { width, out_dir: out_dir.into(), pace_baud: None }
    }
}

/// A change to the simulated printer's condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    /// The paper sensors report this.
    Paper(Paper),
    /// The cover is open (`true`) or closed (`false`).
    Cover(bool),
}

/// Parses one control line: exactly `{"paper": "ok"|"near_end"|"out"}` or
/// `{"cover": "open"|"closed"}`.
pub fn parse_control(line: &str) -> Result<Control, String> {
    const EXPECTED: &str = r#"expected {"paper": "ok"|"near_end"|"out"} or {"cover": "open"|"closed"}"#;
    let value: serde_json::Value =
        serde_json::from_str(line.trim()).map_err(|e| format!("not json ({e}); {EXPECTED}"))?;
    let Some(object) = value.as_object() else {
        return Err(format!("not a json object; {EXPECTED}"));
    };
    if object.len() != 1 {
        return Err(format!("expected exactly one key; {EXPECTED}"));
    }
    let (key, value) = object.iter().next().ok_or_else(|| EXPECTED.to_string())?;
    let value = value.as_str().ok_or_else(|| format!("the value of {key:?} must be a string; {EXPECTED}"))?;
    match (key.as_str(), value) {
        ("paper", "ok") => Ok(Control::Paper(Paper::Ok)),
        ("paper", "near_end") => Ok(Control::Paper(Paper::NearEnd)),
        ("paper", "out") => Ok(Control::Paper(Paper::Out)),
        ("paper", other) => Err(format!("unknown paper state {other:?}; expected \"ok\", \"near_end\" or \"out\"")),
        ("cover", "open") => Ok(Control::Cover(true)),
        ("cover", "closed") => Ok(Control::Cover(false)),
        ("cover", other) => Err(format!("unknown cover state {other:?}; expected \"open\" or \"closed\"")),
        (other, _) => Err(format!("unknown control {other:?}; {EXPECTED}")),
    }
}

/// The simulated printer's physical condition.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SimState {
    pub paper: Paper,
    pub cover_open: bool,
}

impl SimState {
    pub fn apply(&mut self, control: Control) {
        match control {
            Control::Paper(p) => self.paper = p,
            Control::Cover(open) => self.cover_open = open,
        }
    }

    /// What the printer reports in this condition.
    pub fn status(&self) -> PrinterStatus {
        let stopped = self.cover_open || self.paper == Paper::Out;
        PrinterStatus { online: !stopped, cover_open: self.cover_open, paper: self.paper, ..PrinterStatus::READY }
    }
}

/// A receipt the simulator has written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SavedReceipt {
    pub number: u32,
    pub png: PathBuf,
    pub txt: PathBuf,
    pub lines: Vec<String>,
}

/// What [`PrinterSim::poll`] produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SimOutput {
    /// Send this byte to the host (a status reply).
    Reply(u8),
    /// A receipt was cut and saved.
    Saved(SavedReceipt),
}

/// The simulator engine. See the module documentation.
pub struct PrinterSim {
    config: SimConfig,
    decoder: Decoder,
    renderer: Renderer,
    next_number: u32,
    /// Whether the last event saw the printer unable to print.
    stopped: bool,
}

/// Highest `NNNN` among `NNNN.txt` / `NNNN.png` in `dir` (0 if none or no directory).
fn highest_number(dir: &Path) -> io::Result<u32> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let mut highest = 0;
    for entry in entries {
        let name = entry?.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(stem) = name.strip_suffix(".txt").or_else(|| name.strip_suffix(".png")) else { continue };
        if !stem.is_empty() && stem.bytes().all(|b| b.is_ascii_digit()) {
            if let Ok(n) = stem.parse::<u32>() {
                highest = highest.max(n);
            }
        }
    }
    Ok(highest)
}

/// Writes `bytes` to `dir/name` through a hidden temporary file and a rename.
fn write_atomically(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<PathBuf> {
    let tmp = dir.join(format!(".{name}.tmp"));
    let path = dir.join(name);
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, &path)?;
    Ok(path)
}

impl PrinterSim {
    /// An engine writing to `config.out_dir` (created), numbering after what is already there.
    pub fn new(config: SimConfig) -> io::Result<PrinterSim> {
        std::fs::create_dir_all(&config.out_dir)?;
        let next_number = highest_number(&config.out_dir)?.saturating_add(1);
        Ok(PrinterSim {
            renderer: Renderer::new(config.width),
            decoder: Decoder::new(),
            config,
            next_number,
            stopped: false,
        })
    }

    pub fn config(&self) -> &SimConfig {
        &self.config
    }

    /// The number the next saved receipt gets.
    pub fn next_number(&self) -> u32 {
        self.next_number
    }

    /// Throws away the unfinished receipt (paper torn off when the cover opens or paper runs out).
    pub fn tear_off(&mut self) {
        self.renderer.discard_page();
    }

    /// Bytes received from the host.
    pub fn push(&mut self, bytes: &[u8]) {
        self.decoder.push(bytes);
    }

    /// Processes received data in `state` until there is something to send or save; `None` once
    /// everything received so far has been handled.
    pub fn poll(&mut self, state: SimState) -> Option<SimOutput> {
        loop {
            let event = self.decoder.next_event()?;
            if let Event::StatusRequest(n) = event {
                match state.status().reply(n) {
                    Some(byte) => return Some(SimOutput::Reply(byte)),
                    None => {
                        tracing::debug!(n, "unsupported status request ignored");
                        continue;
                    }
                }
            }
            let can_print = state.status().can_print();
            if !can_print {
                if !self.stopped {
                    tracing::debug!(?state, "printer stopped: discarding print data and the unfinished receipt");
                    self.renderer.discard_page();
                }
                self.stopped = true;
                continue;
            }
            self.stopped = false;
            match &event {
                Event::Unknown(bytes) => {
                    tracing::debug!(len = bytes.len(), first = bytes.first().copied(), "unknown command skipped")
                }
                Event::Oversized { len, .. } => tracing::debug!(len, "oversized command skipped"),
                Event::AutoStatus(n) => tracing::debug!(n, "automatic status back is not simulated"),
                _ => {}
            }
            if let Some(receipt) = self.renderer.apply(&event) {
                if receipt.is_blank() {
                    tracing::debug!("cut on blank paper; nothing saved");
                    continue;
                }
                match self.save(&receipt) {
                    Ok(saved) => return Some(SimOutput::Saved(saved)),
                    Err(e) => tracing::error!(dir = %self.config.out_dir.display(), error = %e, "cannot save receipt"),
                }
            }
        }
    }

    fn save(&mut self, receipt: &RenderedReceipt) -> io::Result<SavedReceipt> {
        let dir = &self.config.out_dir;
        std::fs::create_dir_all(dir)?;
        let number = self.next_number;
        let png = write_atomically(dir, &format!("{number:04}.png"), &receipt.to_png()?)?;
        let txt = write_atomically(dir, &format!("{number:04}.txt"), receipt.text().as_bytes())?;
        self.next_number = number.saturating_add(1);
        tracing::debug!(
            number,
            lines = receipt.lines().len(),
            height = receipt.height(),
            truncated = receipt.truncated(),
            "receipt saved"
        );
        Ok(SavedReceipt { number, png, txt, lines: receipt.lines().to_vec() })
    }

    /// Starts a simulator on its own thread, on a pty published at `link`.
    pub fn spawn(link: &Path, config: SimConfig) -> io::Result<PrinterSimHandle> {
        let engine = PrinterSim::new(config.clone())?;
        let pty = PtyLink::create(link)?;
        let shared = Arc::new(Shared::default());
        let device = pty.device().to_path_buf();
        let thread = {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new().name("printer-sim".into()).spawn(move || run(engine, pty, &shared))?
        };
        tracing::debug!(link = %link.display(), device = %device.display(), out = %config.out_dir.display(), "printer simulator started");
        Ok(PrinterSimHandle { shared, thread: Some(thread), device, link: link.to_path_buf(), out_dir: config.out_dir })
    }
}

#[derive(Default)]
struct Shared {
    state: Mutex<SimState>,
    receipts: AtomicUsize,
    stop: AtomicBool,
    /// Set when a control stopped the printer: the simulator thread tears the paper off.
    tear_off: AtomicBool,
}

impl Shared {
    fn state(&self) -> SimState {
        *self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn run(mut engine: PrinterSim, mut pty: PtyLink, shared: &Shared) {
    let pace = engine.config.pace_baud;
    let mut buf = [0u8; 4096];
    while !shared.stop.load(Ordering::Relaxed) {
        let n = match pty.read_some(&mut buf) {
            Ok(n) => n,
            Err(e) => {
                tracing::debug!(error = %e, "printer simulator read failed");
                std::thread::sleep(Duration::from_millis(20));
                continue;
            }
        };
        if shared.tear_off.swap(false, Ordering::SeqCst) {
            engine.tear_off();
        }
        if n == 0 {
            continue;
        }
        if let Some(baud) = pace.filter(|b| *b > 0) {
            std::thread::sleep(wire_time(n, baud));
        }
        engine.push(&buf[..n]);
        while let Some(output) = engine.poll(shared.state()) {
            match output {
                SimOutput::Reply(byte) => {
                    if let Err(e) = pty.write_paced(&[byte], pace) {
                        tracing::debug!(error = %e, "printer simulator write failed");
                    }
                }
                SimOutput::Saved(saved) => {
                    shared.receipts.fetch_add(1, Ordering::SeqCst);
                    tracing::debug!(number = saved.number, "receipt printed");
                }
            }
        }
    }
    tracing::debug!(link = %pty.link().display(), "printer simulator stopped");
}

/// A running simulator. Stops (and removes its link) on [`stop`](PrinterSimHandle::stop) or drop.
pub struct PrinterSimHandle {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
    device: PathBuf,
    link: PathBuf,
    out_dir: PathBuf,
}

impl std::fmt::Debug for PrinterSimHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrinterSimHandle")
            .field("link", &self.link)
            .field("device", &self.device)
            .field("out_dir", &self.out_dir)
            .field("state", &self.shared.state())
            .finish()
    }
}

impl PrinterSimHandle {
    /// Changes the simulated condition; status requests answered after this returns see it.
    pub fn control(&self, control: Control) {
        let mut state = self.shared.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.apply(control);
        if !state.status().can_print() {
            self.shared.tear_off.store(true, Ordering::SeqCst);
        }
        tracing::debug!(?control, state = ?*state, "printer simulator control");
    }

    pub fn state(&self) -> SimState {
        self.shared.state()
    }

    /// Receipts cut and saved so far.
    pub fn receipts(&self) -> usize {
        self.shared.receipts.load(Ordering::SeqCst)
    }

    /// The pty slave, e.g. `/dev/pts/7`.
    pub fn device(&self) -> &Path {
        &self.device
    }

    /// The published symlink.
    pub fn link(&self) -> &Path {
        &self.link
    }

    pub fn out_dir(&self) -> &Path {
        &self.out_dir
    }

    /// Stops the simulator thread; the pty closes and the link is removed.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            if thread.join().is_err() {
                tracing::error!(link = %self.link.display(), "printer simulator thread panicked");
            }
        }
    }
}

impl Drop for PrinterSimHandle {
    fn drop(&mut self) {
        self.shutdown();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::printer::receipt::{Receipt, test_page};
    use crate::printer::status::request;

    fn temp_dir(name: &str) -> PathBuf {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("kiosk-printer-sim-{name}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    fn drain(sim: &mut PrinterSim, state: SimState) -> Vec<SimOutput> {
        std::iter::from_fn(|| sim.poll(state)).collect()
    }

    #[test]
    fn control_lines() {
        assert_eq!(parse_control(r#"{"paper": "ok"}"#), Ok(Control::Paper(Paper::Ok)));
        assert_eq!(parse_control(r#"{"paper":"near_end"}"#), Ok(Control::Paper(Paper::NearEnd)));
        assert_eq!(parse_control(r#" {"paper": "out"} "#), Ok(Control::Paper(Paper::Out)));
        assert_eq!(parse_control(r#"{"cover": "open"}"#), Ok(Control::Cover(true)));
        assert_eq!(parse_control(r#"{"cover": "closed"}"#), Ok(Control::Cover(false)));
        for bad in [
            "",
            "paper out",
            "[]",
            r#"{"paper": "empty"}"#,
            r#"{"cover": true}"#,
            r#"{"lid": "open"}"#,
            r#"{"paper": "ok", "cover": "open"}"#,
            r#"{}"#,
        ] {
            let e = parse_control(bad).unwrap_err();
            assert!(!e.is_empty() && e.chars().next().unwrap().is_lowercase(), "{bad}: {e}");
        }
    }

    #[test]
    fn status_replies_follow_the_state() {
        let dir = temp_dir("state");
        let mut sim = PrinterSim::new(SimConfig::new(PaperWidth::Mm58, &dir)).unwrap();
        let query: Vec<u8> = (1..=4).flat_map(request).collect();
        let replies = |sim: &mut PrinterSim, state| {
            sim.push(&query);
            drain(sim, state)
                .into_iter()
                .map(|o| match o {
                    SimOutput::Reply(b) => b,
                    other => panic!("{other:?}"),
                })
                .collect::<Vec<u8>>()
        };
        let ok = SimState::default();
        assert_eq!(replies(&mut sim, ok), [0x12, 0x12, 0x12, 0x12]);
        let out = SimState { paper: Paper::Out, cover_open: false };
        assert_eq!(replies(&mut sim, out), [0x1A, 0x32, 0x12, 0x7E]);
        let near = SimState { paper: Paper::NearEnd, cover_open: false };
        assert_eq!(replies(&mut sim, near), [0x12, 0x12, 0x12, 0x1E]);
        let open = SimState { paper: Paper::Ok, cover_open: true };
        assert_eq!(replies(&mut sim, open), [0x1A, 0x16, 0x12, 0x12]);
        for state in [ok, out, near, open] {
            let replies = replies(&mut sim, state);
            let status = PrinterStatus::from_replies([replies[0], replies[1], replies[2], replies[3]]).unwrap();
            assert_eq!(status, state.status());
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn cuts_are_saved_in_order_and_numbering_continues() {
        let dir = temp_dir("numbering");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("0007.txt"), "older\n").unwrap();
        std::fs::write(dir.join("notes.txt"), "x").unwrap();
        let mut sim = PrinterSim::new(SimConfig::new(PaperWidth::Mm80, &dir)).unwrap();
        assert_eq!(sim.next_number(), 8);
        let receipt = test_page(PaperWidth::Mm80);
        sim.push(&receipt.encode().unwrap());
        sim.push(&[0x1D, b'V', 0]); // a cut on blank paper saves nothing
        sim.push(&Receipt::new(PaperWidth::Mm80).line("第二张").encode().unwrap());
        let saved: Vec<SavedReceipt> = drain(&mut sim, SimState::default())
            .into_iter()
            .map(|o| match o {
                SimOutput::Saved(s) => s,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(saved.iter().map(|s| s.number).collect::<Vec<_>>(), [8, 9]);
        assert_eq!(saved[0].lines, receipt.lines());
        let text = std::fs::read_to_string(dir.join("0008.txt")).unwrap();
        assert_eq!(text, receipt.lines().join("\n") + "\n");
        assert_eq!(std::fs::read_to_string(dir.join("0009.txt")).unwrap(), "第二张\n");
        assert!(std::fs::read(dir.join("0009.png")).unwrap().starts_with(b"\x89PNG"));
        let names: Vec<String> =
            std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        assert!(!names.iter().any(|n| n.ends_with(".tmp")), "{names:?}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn print_data_is_discarded_while_stopped_but_status_is_answered() {
        let dir = temp_dir("stopped");
        let mut sim = PrinterSim::new(SimConfig::new(PaperWidth::Mm58, &dir)).unwrap();
        let open = SimState { paper: Paper::Ok, cover_open: true };
        // Half a receipt arrives, then the cover opens: the unfinished paper is lost.
        sim.push(b"before\n");
        assert!(drain(&mut sim, SimState::default()).is_empty());
        let mut job = Receipt::new(PaperWidth::Mm58).line("lost").encode().unwrap();
        job.extend_from_slice(&request(2));
        sim.push(&job);
        assert_eq!(drain(&mut sim, open), [SimOutput::Reply(0x16)]);
        // Near end still prints; only what arrived after the cover closed is on the receipt.
        let near = SimState { paper: Paper::NearEnd, cover_open: false };
        sim.push(&Receipt::new(PaperWidth::Mm58).line("kept").encode().unwrap());
        let out = drain(&mut sim, near);
        assert!(matches!(&out[..], [SimOutput::Saved(s)] if s.lines == ["kept"]), "{out:?}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
