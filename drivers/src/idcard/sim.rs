//! A simulated GA 467 SAM reader on a pseudo-terminal.
//!
//! It decodes requests with the same codec as the host, answers every command of the protocol,
//! and behaves like real readers where it matters: a read is find -> select -> read; after a
//! successful read, find answers "no card" until the card is removed and placed again; a request
//! with a bad checksum gets SW3 10. Cards are placed and removed, and faults injected, through
//! [`Control`] (the `kiosk-hw sim idcard` JSON lines).
//!
//! Replies are paced at the configured baud rate (10 bits a byte), so timings seen through the
//! simulator match a real UART's wire time.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::Value;

use super::card::CardJson;
use super::proto::{
    BaudRate, Command, Decoder, FrameError, ReadBlocks, ReplyError, Request, Response, Sw3, FINGERPRINT_LEN, PHOTO_LEN,
};
use crate::serial::PtyLink;

/// Faults the simulator can inject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// No fault.
    None,
    /// Find answers 80 even with a card placed.
    NoCard,
    /// Reads answer 41 (read failed).
    ReadFail,
    /// Every command answers 60 (SAM self-test failed).
    SamFail,
    /// Random line noise before every reply.
    Garbage,
    /// Replies arrive in small pieces with gaps.
    Split,
    /// Replies come after [`SimOptions::slow_delay`] (longer than any default timeout).
    Slow,
    /// Replies carry a wrong checksum.
    BadChecksum,
    /// The citizen lifts the card during the read: the read answers 41 and the card is gone
    /// (an extension beyond the `kiosk-hw` contract's list, for recovery tests).
    Lift,
}

impl Fault {
    pub fn parse(name: &str) -> Option<Fault> {
        Some(match name {
            "none" => Fault::None,
            "no_card" => Fault::NoCard,
            "read_fail" => Fault::ReadFail,
            "sam_fail" => Fault::SamFail,
            "garbage" => Fault::Garbage,
            "split" => Fault::Split,
            "slow" => Fault::Slow,
            "bad_checksum" => Fault::BadChecksum,
            "lift" => Fault::Lift,
            _ => return None,
        })
    }

    pub const NAMES: [&'static str; 9] =
        ["none", "no_card", "read_fail", "sam_fail", "garbage", "split", "slow", "bad_checksum", "lift"];
}

/// A control message.
#[derive(Debug, Clone, PartialEq)]
pub enum Control {
    /// Place a card (replacing any card on the reader).
    Place(Box<CardJson>),
    /// Lift the card.
    Remove,
    /// Inject a fault; `count` limits it to that many affected replies, `None` keeps it until
    /// the next fault message.
    Fault { fault: Fault, count: Option<u32> },
}

/// Parses one control line: `{"place": CARD}`, `{"remove": true}`, `{"fault": NAME}` (with an
/// optional `"count": N`).
pub fn parse_control(line: &str) -> Result<Control, String> {
    let value: Value = serde_json::from_str(line).map_err(|e| format!("not json: {e}"))?;
    let obj = value.as_object().ok_or("expected a json object")?;
    if let Some(card) = obj.get("place") {
        let card: CardJson = serde_json::from_value(card.clone()).map_err(|e| format!("bad card: {e}"))?;
        card.to_text_block().map_err(|e| format!("bad card: {e}"))?;
        return Ok(Control::Place(Box::new(card)));
    }
    if let Some(remove) = obj.get("remove") {
        return match remove {
            Value::Bool(true) => Ok(Control::Remove),
            _ => Err("\"remove\" takes true".into()),
        };
    }
    if let Some(fault) = obj.get("fault") {
        let name = fault.as_str().ok_or("\"fault\" takes a string")?;
        let fault = Fault::parse(name).ok_or_else(|| format!("unknown fault {name:?}; known: {}", Fault::NAMES.join(", ")))?;
        let count = match obj.get("count") {
            None => None,
            Some(v) => Some(v.as_u64().and_then(|n| u32::try_from(n).ok()).ok_or("\"count\" takes a whole number")?),
        };
        return Ok(Control::Fault { fault, count });
    }
    Err("expected one of \"place\", \"remove\", \"fault\"".into())
}

/// Simulator settings.
#[derive(Debug, Clone)]
pub struct SimOptions {
    /// Pace replies at this baud rate (`None`: as fast as the pty takes them).
    pub pace_baud: Option<u32>,
    /// How late a reply comes under [`Fault::Slow`].
    pub slow_delay: Duration,
    /// The SAM id bytes answered to 12 FF.
    pub sam_id: [u8; 16],
}

impl Default for SimOptions {
    fn default() -> Self {
        let mut sam_id = [0u8; 16];
        sam_id[0..2].copy_from_slice(&5u16.to_le_bytes());
        sam_id[2..4].copy_from_slice(&1u16.to_le_bytes());
        sam_id[4..8].copy_from_slice(&20_240_826u32.to_le_bytes());
        sam_id[8..12].copy_from_slice(&4_419_001u32.to_le_bytes());
        sam_id[12..16].copy_from_slice(&1_234_567_890u32.to_le_bytes());
        SimOptions { pace_baud: Some(115_200), slow_delay: Duration::from_secs(3), sam_id }
    }
}

struct PlacedCard {
    blocks: ReadBlocks,
    has_fingerprint: bool,
}

/// Opaque filler for the photo and fingerprint blocks, derived from the text so each card's
/// bytes are stable.
fn filler(seed_bytes: &[u8], len: usize, tag: u8) -> Vec<u8> {
    let mut x: u64 = 0xCBF2_9CE4_8422_2325 ^ tag as u64;
    for b in seed_bytes {
        x = (x ^ *b as u64).wrapping_mul(0x0100_0000_01B3);
    }
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

impl PlacedCard {
    fn new(card: &CardJson) -> Result<PlacedCard, String> {
        let text = card.to_text_block().map_err(|e| e.to_string())?;
        let has_fingerprint = card.fingerprint == Some(true);
        let mut photo = filler(&text, PHOTO_LEN, 1);
        photo[..3].copy_from_slice(b"WLf");
        let fingerprint = has_fingerprint.then(|| filler(&text, FINGERPRINT_LEN, 2));
        Ok(PlacedCard { blocks: ReadBlocks { text, photo, fingerprint }, has_fingerprint })
    }
}

#[derive(Default)]
struct State {
    card: Option<PlacedCard>,
    /// Find may succeed: a card was placed and not yet read successfully.
    fresh: bool,
    selected: bool,
    fault: Option<(Fault, Option<u32>)>,
    baud: Option<u32>,
    sam_id: [u8; 16],
    served: u64,
}

impl State {
    /// The active fault if it applies to this reply; consumes one count.
    fn take_fault(&mut self, applies: impl Fn(Fault) -> bool) -> Option<Fault> {
        let (fault, count) = self.fault?;
        if !applies(fault) {
            return None;
        }
        match count {
            Some(0) => {
                self.fault = None;
                None
            }
            Some(n) => {
                self.fault = if n <= 1 { None } else { Some((fault, Some(n - 1))) };
                Some(fault)
            }
            None => Some(fault),
        }
    }

    fn respond(&mut self, request: Result<Request, RequestError>) -> Response {
        self.served += 1;
        let request = match request {
            Ok(r) => r,
            Err(RequestError::Checksum) => return Response::new(Sw3::HostChecksumError, vec![]),
            Err(RequestError::Length) => return Response::new(Sw3::HostLengthError, vec![]),
            Err(RequestError::Unknown) => return Response::new(Sw3::BadCommand, vec![]),
        };
        if self.take_fault(|f| f == Fault::SamFail).is_some() {
            return Response::new(Sw3::SamSelfTestFailed, vec![]);
        }
        match request.command {
            Command::ResetSam => {
                self.selected = false;
                Response::new(Sw3::Ok, vec![])
            }
            Command::SamStatus => Response::new(Sw3::Ok, vec![]),
            Command::ReadSamId => Response::new(Sw3::Ok, self.sam_id.to_vec()),
            Command::FindCard => {
                self.selected = false;
                let forced_miss = self.take_fault(|f| f == Fault::NoCard).is_some();
                if self.card.is_some() && self.fresh && !forced_miss {
                    Response::new(Sw3::FindOk, vec![0; 4])
                } else {
                    Response::new(Sw3::NoCard, vec![])
                }
            }
            Command::SelectCard => {
                if self.card.is_some() && self.fresh {
                    self.selected = true;
                    Response::new(Sw3::Ok, vec![0; 8])
                } else {
                    Response::new(Sw3::SelectFailed, vec![])
                }
            }
            Command::ReadText | Command::ReadTextWithFingerprint => {
                let with_fp = request.command == Command::ReadTextWithFingerprint;
                let Some(card) = self.card.as_ref().filter(|_| self.selected) else {
                    return Response::new(Sw3::ReadFailed, vec![]);
                };
                let data = if with_fp && !card.has_fingerprint {
                    ReadBlocks { fingerprint: None, ..card.blocks.clone() }.encode(true)
                } else {
                    card.blocks.encode(with_fp)
                };
                match self.take_fault(|f| matches!(f, Fault::ReadFail | Fault::Lift)) {
                    Some(Fault::Lift) => {
                        self.card = None;
                        self.selected = false;
                        return Response::new(Sw3::ReadFailed, vec![]);
                    }
                    Some(_) => return Response::new(Sw3::ReadFailed, vec![]),
                    None => {}
                }
                // Like real readers: find answers "no card" until the card is placed again.
                // The card stays selected, so a repeated read (after a corrupt reply) works.
                self.fresh = false;
                Response::new(Sw3::Ok, data)
            }
            Command::ReadNewAddress => {
                if self.selected {
                    Response::new(Sw3::NoContent, vec![])
                } else {
                    Response::new(Sw3::ReadFailed, vec![])
                }
            }
            Command::SetBaud(b) => {
                // The reply still goes out at the old rate; the new one applies afterwards.
                Response::new(Sw3::Ok, vec![b.para()])
            }
        }
    }
}

enum RequestError {
    Checksum,
    Length,
    Unknown,
}

/// A running simulator. Dropping it stops the thread and removes the link.
pub struct IdCardSim {
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    device: PathBuf,
    link: PathBuf,
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    // A panic elsewhere must not take the simulator down with it.
    state.lock().unwrap_or_else(|p| p.into_inner())
}

impl IdCardSim {
    /// Creates the pty, publishes `link`, and serves on a new thread.
    pub fn spawn(link: &Path, options: SimOptions) -> std::io::Result<IdCardSim> {
        let pty = PtyLink::create(link)?;
        let device = pty.device().to_path_buf();
        let state = Arc::new(Mutex::new(State { baud: options.pace_baud, sam_id: options.sam_id, ..State::default() }));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let state = Arc::clone(&state);
            let stop = Arc::clone(&stop);
            std::thread::Builder::new()
                .name("idcard-sim".into())
                .spawn(move || serve(pty, state, stop, options))?
        };
        Ok(IdCardSim { state, stop, thread: Some(thread), device, link: link.to_path_buf() })
    }

    /// Applies a control message. Placing an invalid card is refused with a reason.
    pub fn control(&self, control: Control) -> Result<(), String> {
        let mut s = lock(&self.state);
        match control {
            Control::Place(card) => {
                s.card = Some(PlacedCard::new(&card)?);
                s.fresh = true;
                s.selected = false;
            }
            Control::Remove => {
                s.card = None;
                s.fresh = false;
                s.selected = false;
            }
            Control::Fault { fault: Fault::None, .. } => s.fault = None,
            Control::Fault { fault, count } => s.fault = Some((fault, count)),
        }
        Ok(())
    }

    pub fn place(&self, card: CardJson) -> Result<(), String> {
        self.control(Control::Place(Box::new(card)))
    }

    pub fn remove(&self) {
        let _ = self.control(Control::Remove);
    }

    pub fn fault(&self, fault: Fault) {
        let _ = self.control(Control::Fault { fault, count: None });
    }

    /// Requests answered so far.
    pub fn served(&self) -> u64 {
        lock(&self.state).served
    }

    pub fn device(&self) -> &Path {
        &self.device
    }

    pub fn link(&self) -> &Path {
        &self.link
    }

    /// Stops serving and removes the link (the reader looks unplugged).
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for IdCardSim {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn garbage(seed: u64) -> Vec<u8> {
    // Noise that includes partial preambles but never a whole one.
    let mut x = seed | 1;
    let n = 3 + (seed % 13) as usize;
    (0..n)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if i % 4 == 1 { 0xAA } else { (x as u8) & 0x7F }
        })
        .collect()
}

fn serve(mut pty: PtyLink, state: Arc<Mutex<State>>, stop: Arc<AtomicBool>, options: SimOptions) {
    let mut decoder = Decoder::new();
    let mut buf = [0u8; 512];
    while !stop.load(Ordering::SeqCst) {
        let n = match pty.read_some(&mut buf) {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!(error = %e, "idcard simulator read failed");
                std::thread::sleep(Duration::from_millis(20));
                continue;
            }
        };
        decoder.push(&buf[..n]);
        loop {
            let request = match decoder.decode() {
                Ok(Some(frame)) => {
                    // The request itself took wire time to arrive over a real UART.
                    if let Some(baud) = lock(&state).baud {
                        std::thread::sleep(crate::serial::wire_time(frame.wire_len(), baud));
                    }
                    Request::parse(&frame)
                }
                .map_err(|e| match e {
                    ReplyError::UnknownCommand { .. } => RequestError::Unknown,
                    _ => RequestError::Length,
                }),
                Ok(None) => break,
                Err(FrameError::Checksum { .. }) => Err(RequestError::Checksum),
                Err(FrameError::BadLength { .. }) => Err(RequestError::Length),
            };
            let command = request.as_ref().ok().map(|r| r.command);
            let (mut reply, fault, fault_after, baud) = {
                let mut s = lock(&state);
                let mut reply = s.respond(request).encode();
                let fault = s.take_fault(|f| matches!(f, Fault::Garbage | Fault::Split | Fault::Slow | Fault::BadChecksum));
                if fault == Some(Fault::BadChecksum) {
                    if let Some(last) = reply.last_mut() {
                        *last ^= 0x5A;
                    }
                }
                let baud = s.baud;
                if let Some(Command::SetBaud(b)) = command {
                    if s.baud.is_some() {
                        s.baud = Some(b.bits_per_second());
                    }
                }
                (std::mem::take(&mut reply), fault, s.fault, baud)
            };
            tracing::trace!(?command, ?fault, "idcard simulator replying");
            let written = match fault {
                Some(Fault::Slow) => {
                    // Clearing the fault speeds the line up again, as a reconnected cable would.
                    let end = std::time::Instant::now() + options.slow_delay;
                    while std::time::Instant::now() < end
                        && !stop.load(Ordering::SeqCst)
                        && lock(&state).fault == fault_after
                    {
                        std::thread::sleep(Duration::from_millis(10));
                    }
                    pty.write_paced(&reply, baud)
                }
                Some(Fault::Garbage) => {
                    let mut noisy = garbage(lock(&state).served.wrapping_mul(0x9E37_79B9));
                    noisy.append(&mut reply);
                    pty.write_paced(&noisy, baud)
                }
                Some(Fault::Split) => {
                    let mut result = Ok(());
                    for (i, piece) in reply.chunks(7).enumerate() {
                        let (a, b) = piece.split_at(piece.len().min(1 + i % 5));
                        result = pty.write_paced(a, baud).and_then(|()| pty.write_paced(b, baud));
                        if result.is_err() {
                            break;
                        }
                        std::thread::sleep(Duration::from_millis(1 + (i % 3) as u64));
                    }
                    result
                }
                _ => pty.write_paced(&reply, baud),
            };
            if let Err(e) = written {
                tracing::warn!(error = %e, "idcard simulator write failed");
            }
        }
    }
}

/// Baud rates the simulator accepts for pacing.
pub fn valid_baud(baud: u32) -> bool {
    BaudRate::from_bits_per_second(baud).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_lines_parse_per_contract() {
        assert_eq!(parse_control(r#"{"remove": true}"#), Ok(Control::Remove));
        assert_eq!(parse_control(r#"{"fault": "slow"}"#), Ok(Control::Fault { fault: Fault::Slow, count: None }));
        assert_eq!(
            parse_control(r#"{"fault": "bad_checksum", "count": 2}"#),
            Ok(Control::Fault { fault: Fault::BadChecksum, count: Some(2) })
        );
        for name in Fault::NAMES {
            assert!(parse_control(&format!(r#"{{"fault": "{name}"}}"#)).is_ok(), "{name}");
        }
        assert!(parse_control(r#"{"fault": "fire"}"#).unwrap_err().contains("unknown fault"));
        assert!(parse_control(r#"{"remove": false}"#).is_err());
        assert!(parse_control("not json").is_err());
        assert!(parse_control("[]").is_err());
        assert!(parse_control(r#"{"place": {"card_type": "resident"}}"#).unwrap_err().contains("bad card"));
    }

    #[test]
    fn garbage_never_holds_a_whole_preamble() {
        for seed in 0..2000u64 {
            let g = garbage(seed);
            assert!(!g.windows(5).any(|w| w == super::super::proto::PREAMBLE));
        }
    }

    #[test]
    fn counted_faults_wear_off() {
        let mut s = State { fault: Some((Fault::NoCard, Some(2))), ..State::default() };
        assert_eq!(s.take_fault(|f| f == Fault::NoCard), Some(Fault::NoCard));
        assert_eq!(s.take_fault(|f| f == Fault::ReadFail), None, "other kinds do not consume it");
        assert_eq!(s.take_fault(|f| f == Fault::NoCard), Some(Fault::NoCard));
        assert_eq!(s.take_fault(|f| f == Fault::NoCard), None);
        assert!(s.fault.is_none());
    }
}
