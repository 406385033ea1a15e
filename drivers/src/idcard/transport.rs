//! The ID-card reader transport: a thin blocking loop around [`super::proto`] over a
//! [`SerialLink`].
//!
//! One generic [`Reader::transact`] sends a command, waits for its reply with the command's
//! timeout, retransmits after a corrupt reply or a "host checksum error" from the SAM, and maps
//! every failure to a [`ReaderError`] variant callers can match. [`Reader::read_card`] runs
//! find -> select -> read and starts again from find when the card moved or was lifted mid-read.
//! Reply bytes of reads are never logged: only command names, status words and lengths.

use std::time::{Duration, Instant};

use super::card::{CardError, IdCard};
use super::proto::{format_sam_id, BaudRate, Command, Decoder, FrameError, ReadBlocks, ReplyError, Response, Sw3};
use crate::serial::{SerialError, SerialLink};

/// Default baud rate of GA 467 SAM modules.
pub const DEFAULT_BAUD: u32 = 115_200;

/// Timeouts and retry budgets. The defaults suit real SAM modules: find and select answer
/// within tens of milliseconds, a read (SAM-card authentication plus 1295 bytes) within about a
/// second.
#[derive(Debug, Clone)]
pub struct ReaderConfig {
    /// Timeout for every command but the reads.
    pub command_timeout: Duration,
    /// Timeout for 30 01 / 30 10 / 30 03.
    pub read_timeout: Duration,
    /// Retransmissions of one command after a corrupt reply.
    pub checksum_retries: u32,
    /// find -> select -> read attempts when the card moves mid-read.
    pub read_attempts: u32,
}

impl Default for ReaderConfig {
    fn default() -> Self {
        ReaderConfig {
            command_timeout: Duration::from_millis(500),
            read_timeout: Duration::from_millis(2000),
            checksum_retries: 2,
            read_attempts: 3,
        }
    }
}

/// Everything that can go wrong talking to the reader.
#[derive(Debug, thiserror::Error)]
pub enum ReaderError {
    /// No card in the field (find answered 80), or the card was lifted before it could be read.
    #[error("no card on the reader")]
    NoCard,
    /// The port cannot be opened or failed (unplugged); the next call reopens it by path.
    #[error("reader disconnected: {0}")]
    Disconnected(SerialError),
    /// The reader did not answer in time.
    #[error("reader did not answer {command} within {timeout_ms} ms")]
    Timeout { command: Command, timeout_ms: u64 },
    /// Replies kept arriving corrupt.
    #[error("corrupt reply to {command} after {attempts} attempts: {source}")]
    Corrupt { command: Command, attempts: u32, source: FrameError },
    /// A well-framed reply that does not have the shape the command needs (e.g. a short read).
    #[error("malformed reply to {command}: {source}")]
    Malformed { command: Command, source: ReplyError },
    /// The SAM answered with an error status.
    #[error("reader answered {command} with {status}")]
    Status { command: Command, status: Sw3 },
    /// The card's text block does not parse.
    #[error("card data invalid: {0}")]
    Card(#[from] CardError),
}

impl ReaderError {
    /// A stable short name, for JSON output and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            ReaderError::NoCard => "no_card",
            ReaderError::Disconnected(_) => "disconnected",
            ReaderError::Timeout { .. } => "timeout",
            ReaderError::Corrupt { .. } => "corrupt_reply",
            ReaderError::Malformed { .. } => "malformed_reply",
            ReaderError::Status { status, .. } => match status {
                Sw3::SamSelfTestFailed | Sw3::SamNotAuthorised => "sam_failed",
                s if s.is_card_moved() => "read_failed",
                Sw3::UnknownCardType => "unknown_card_type",
                _ => "device_error",
            },
            ReaderError::Card(_) => "bad_card_data",
        }
    }

    /// True for failures that a card moving or being lifted mid-read produces; the right
    /// recovery is to start again from find.
    pub fn is_card_moved(&self) -> bool {
        match self {
            ReaderError::Status { status, .. } => status.is_card_moved() || *status == Sw3::SelectFailed,
            ReaderError::Malformed { .. } | ReaderError::Corrupt { .. } => true,
            ReaderError::Timeout { command, .. } => command.carries_personal_data(),
            _ => false,
        }
    }

    pub fn is_disconnect(&self) -> bool {
        matches!(self, ReaderError::Disconnected(_))
    }
}

fn from_serial(command: Command, timeout: Duration, e: SerialError) -> ReaderError {
    match e {
        SerialError::Timeout { .. } => ReaderError::Timeout { command, timeout_ms: timeout.as_millis() as u64 },
        other => ReaderError::Disconnected(other),
    }
}

/// Whether `r` can be the reply to `command`. Replies carry no command code, so a reply that
/// arrives after its command timed out would otherwise be taken for the next command's; the
/// status word and data length tell most of them apart.
fn plausible_reply(command: Command, r: &Response) -> bool {
    match (r.sw3, command) {
        (Sw3::FindOk, Command::FindCard) => r.data.len() == 4,
        (Sw3::FindOk, _) => false,
        (Sw3::NoCard, c) => c == Command::FindCard,
        (Sw3::SelectFailed, c) => c == Command::SelectCard,
        (Sw3::Ok, Command::SelectCard) => r.data.len() == 8 || r.data.is_empty(),
        (Sw3::Ok, Command::ReadText | Command::ReadTextWithFingerprint) => r.data.len() >= 4,
        (Sw3::Ok, Command::ReadSamId) => r.data.len() == 16,
        (Sw3::Ok, Command::SamStatus | Command::ResetSam) => r.data.is_empty(),
        (Sw3::Ok, Command::SetBaud(_)) => r.data.len() <= 1,
        (Sw3::Ok, Command::ReadNewAddress) => true,
        (Sw3::Ok, Command::FindCard) => false,
        (Sw3::NoContent, c) => c == Command::ReadNewAddress,
        // Error statuses carry no data and may answer any command.
        (_, _) => r.data.is_empty(),
    }
}

/// Counters a supervisor can report (and tests can check).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReaderStats {
    pub commands: u64,
    pub retransmissions: u64,
    pub read_restarts: u64,
    pub bytes_sent: u64,
    pub bytes_received: u64,
}

/// A GA 467 reader on a serial port.
#[derive(Debug)]
pub struct Reader {
    link: SerialLink,
    decoder: Decoder,
    config: ReaderConfig,
    stats: ReaderStats,
}

impl Reader {
    /// A reader on `path` at `baud`. Nothing is opened until the first command, and the port is
    /// reopened by path after an unplug.
    pub fn open(path: impl Into<std::path::PathBuf>, baud: u32) -> Reader {
        Reader::with_config(path, baud, ReaderConfig::default())
    }

    pub fn with_config(path: impl Into<std::path::PathBuf>, baud: u32, config: ReaderConfig) -> Reader {
        Reader { link: SerialLink::new(path, baud), decoder: Decoder::new(), config, stats: ReaderStats::default() }
    }

    pub fn config_mut(&mut self) -> &mut ReaderConfig {
        &mut self.config
    }

    pub fn link(&self) -> &SerialLink {
        &self.link
    }

    pub fn stats(&self) -> &ReaderStats {
        &self.stats
    }

    fn timeout_for(&self, command: Command) -> Duration {
        if command.carries_personal_data() { self.config.read_timeout } else { self.config.command_timeout }
    }

    /// Sends `command` and returns the SAM's reply, whatever its status. Retransmits after a
    /// corrupt reply or after the SAM reports a corrupt request.
    pub fn transact(&mut self, command: Command) -> Result<Response, ReaderError> {
        let timeout = self.timeout_for(command);
        let attempts = self.config.checksum_retries + 1;
        let request = command.encode();
        let mut last_corrupt = None;
        for attempt in 1..=attempts {
            if attempt > 1 {
                self.stats.retransmissions += 1;
            }
            self.decoder.clear();
            self.link.drain_input().map_err(|e| from_serial(command, timeout, e))?;
            self.link.write_all(&request).map_err(|e| from_serial(command, timeout, e))?;
            self.stats.commands += 1;
            self.stats.bytes_sent += request.len() as u64;
            tracing::trace!(%command, attempt, "sent");
            let deadline = Instant::now() + timeout;
            let mut buf = [0u8; 512];
            let outcome = loop {
                match self.decoder.decode() {
                    Ok(Some(frame)) => {
                        self.stats.bytes_received += frame.wire_len() as u64;
                        let response =
                            Response::parse(&frame).map_err(|source| ReaderError::Malformed { command, source })?;
                        // Status and length only: read replies carry personal data.
                        tracing::trace!(%command, sw3 = %response.sw3, data_len = response.data.len(), "reply");
                        if !plausible_reply(command, &response) {
                            // A late reply to an earlier command that timed out: not ours.
                            tracing::debug!(%command, sw3 = %response.sw3, "discarded a stale reply");
                            continue;
                        }
                        break Some(response);
                    }
                    Ok(None) => {}
                    Err(e @ FrameError::Checksum { .. }) => {
                        tracing::debug!(%command, error = %e, "corrupt reply");
                        last_corrupt = Some(e);
                        break None;
                    }
                    Err(e) => {
                        // A bad length is line noise that looked like a preamble: keep reading.
                        tracing::debug!(%command, error = %e, "skipped noise");
                        continue;
                    }
                }
                match self.link.read_some(&mut buf, deadline) {
                    Ok(n) => self.decoder.push(&buf[..n]),
                    Err(SerialError::Timeout { .. }) if self.decoder.buffered() >= super::proto::HEADER_LEN => {
                        // Part of a frame came, then nothing: the card was likely lifted.
                        return Err(ReaderError::Malformed {
                            command,
                            source: ReplyError::Short { what: "a reply (cut off)", len: self.decoder.buffered() },
                        });
                    }
                    Err(e) => return Err(from_serial(command, timeout, e)),
                }
            };
            match outcome {
                Some(r) if matches!(r.sw3, Sw3::HostChecksumError | Sw3::HostLengthError) => {
                    tracing::debug!(%command, sw3 = %r.sw3, "sam saw a corrupt request");
                    last_corrupt = Some(FrameError::Checksum { computed: 0, received: 0 });
                }
                Some(r) => return Ok(r),
                None => {}
            }
        }
        Err(ReaderError::Corrupt {
            command,
            attempts,
            source: last_corrupt.unwrap_or(FrameError::Checksum { computed: 0, received: 0 }),
        })
    }

    /// Sends `command` and insists on `expected` status.
    fn expect(&mut self, command: Command, expected: Sw3) -> Result<Response, ReaderError> {
        let r = self.transact(command)?;
        if r.sw3 == expected {
            Ok(r)
        } else {
            Err(ReaderError::Status { command, status: r.sw3 })
        }
    }

    /// "Find card" (20 01). `Err(NoCard)` when the field is empty.
    pub fn find_card(&mut self) -> Result<(), ReaderError> {
        let r = self.transact(Command::FindCard)?;
        match r.sw3 {
            Sw3::FindOk => Ok(()),
            Sw3::NoCard => Err(ReaderError::NoCard),
            status => Err(ReaderError::Status { command: Command::FindCard, status }),
        }
    }

    /// "Select card" (20 02).
    pub fn select_card(&mut self) -> Result<(), ReaderError> {
        self.expect(Command::SelectCard, Sw3::Ok).map(drop)
    }

    /// The read command alone (30 01, or 30 10 with `fingerprint`); the card must be selected.
    pub fn read_blocks(&mut self, fingerprint: bool) -> Result<ReadBlocks, ReaderError> {
        let command = if fingerprint { Command::ReadTextWithFingerprint } else { Command::ReadText };
        let r = self.expect(command, Sw3::Ok)?;
        ReadBlocks::parse(&r.data, fingerprint).map_err(|source| ReaderError::Malformed { command, source })
    }

    /// One card read: find -> select -> read -> parse, restarting from find (up to
    /// `read_attempts` times) when the card moved mid-read. `Err(NoCard)` when there is no card
    /// or it was lifted.
    pub fn read_card(&mut self, fingerprint: bool) -> Result<IdCard, ReaderError> {
        self.read_card_with(fingerprint, || {})
    }

    /// [`Reader::read_card`], calling `on_found` once when a card is first found (so a UI can
    /// say "reading…" during the ~0.5 s the rest takes).
    pub fn read_card_with(&mut self, fingerprint: bool, mut on_found: impl FnMut()) -> Result<IdCard, ReaderError> {
        let mut last = None;
        for attempt in 0..self.config.read_attempts.max(1) {
            if attempt > 0 {
                self.stats.read_restarts += 1;
            }
            self.find_card()?;
            if attempt == 0 {
                on_found();
            }
            let step = self.select_card().and_then(|()| self.read_blocks(fingerprint));
            match step {
                Ok(blocks) => return Ok(IdCard::parse(&blocks.text, blocks.photo, blocks.fingerprint)?),
                Err(e) if e.is_card_moved() => {
                    tracing::debug!(error = %e, attempt, "card read interrupted, starting again from find");
                    last = Some(e);
                }
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or(ReaderError::NoCard))
    }

    /// Polls for a card every `poll` until one is read or `timeout` passes (`Err(NoCard)`).
    /// Any other error ends the wait at once.
    pub fn wait_for_card(&mut self, timeout: Duration, poll: Duration, fingerprint: bool) -> Result<IdCard, ReaderError> {
        let deadline = Instant::now() + timeout;
        loop {
            match self.read_card(fingerprint) {
                Err(ReaderError::NoCard) => {
                    let now = Instant::now();
                    if now >= deadline {
                        return Err(ReaderError::NoCard);
                    }
                    std::thread::sleep(poll.min(deadline - now));
                }
                other => return other,
            }
        }
    }

    /// SAM self-test status (11 FF): `Ok(())` when the SAM reports 90.
    pub fn sam_status(&mut self) -> Result<(), ReaderError> {
        self.expect(Command::SamStatus, Sw3::Ok).map(drop)
    }

    /// The SAM's id (12 FF), formatted as vendor tools print it.
    pub fn sam_id(&mut self) -> Result<String, ReaderError> {
        let r = self.expect(Command::ReadSamId, Sw3::Ok)?;
        format_sam_id(&r.data).map_err(|source| ReaderError::Malformed { command: Command::ReadSamId, source })
    }

    /// Resets the SAM (10 FF).
    pub fn reset_sam(&mut self) -> Result<(), ReaderError> {
        self.expect(Command::ResetSam, Sw3::Ok).map(drop)
    }

    /// Switches the SAM's baud rate (60 0x) and then the port's.
    pub fn set_baud(&mut self, baud: BaudRate) -> Result<(), ReaderError> {
        self.expect(Command::SetBaud(baud), Sw3::Ok)?;
        self.link.set_baud(baud.bits_per_second());
        Ok(())
    }

    /// The latest address appended by a police station (30 03), `None` when there is none.
    /// The reply layout is unconfirmed: the data is taken as UCS-2 LE text.
    pub fn read_new_address(&mut self) -> Result<Option<String>, ReaderError> {
        let command = Command::ReadNewAddress;
        let r = self.transact(command)?;
        match r.sw3 {
            Sw3::NoContent => Ok(None),
            Sw3::Ok => {
                let units: Vec<u16> = r.data.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
                let text: String = char::decode_utf16(units).map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER)).collect();
                let text = text.trim_end_matches([' ', '\0']).to_string();
                Ok((!text.is_empty()).then_some(text))
            }
            status => Err(ReaderError::Status { command, status }),
        }
    }

    /// Closes the port (the next command reopens it).
    pub fn close(&mut self) {
        self.link.close();
    }
}
