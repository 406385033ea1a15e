//! Sans-IO codec for the GA 467 SAM serial protocol (resident ID-card readers).
//!
//! Frame, both directions: `AA AA AA 96 69 | LEN (u16 BE) | body | CHK`, where LEN counts every
//! byte after itself (CHK included) and CHK is the XOR of LEN's two bytes and the body.
//! Host -> SAM bodies are `CMD PARA DATA…`; SAM -> host bodies are `SW1 SW2 SW3 DATA…`.
//!
//! This module does no I/O, reads no clock and knows no tokio. [`Decoder`] takes bytes as they
//! arrive and yields whole frames; "need more bytes" is `Ok(None)`. After garbage, a bad length
//! or a bad checksum it resynchronises on the next preamble, so one corrupt frame costs exactly
//! one error and the stream goes on.

use std::fmt;

/// The five-byte preamble that starts every frame.
pub const PREAMBLE: [u8; 5] = [0xAA, 0xAA, 0xAA, 0x96, 0x69];
/// Bytes before the body: preamble and LEN.
pub const HEADER_LEN: usize = 7;
/// The largest LEN accepted. A read with fingerprint is about 2.3 KiB; anything much larger is
/// line noise, and refusing it bounds the decoder's memory.
pub const MAX_LEN: usize = 4096;
/// The smallest LEN of any frame: two command bytes (or three status bytes) and CHK.
pub const MIN_LEN: usize = 3;

/// Length of the text block in a read reply.
pub const TEXT_LEN: usize = 256;
/// Length of the WLT photo in a read reply.
pub const PHOTO_LEN: usize = 1024;
/// Length of the fingerprint block a 30 10 read returns for a card that holds fingerprints.
pub const FINGERPRINT_LEN: usize = 1024;

/// Baud rates selectable with command 60 0x.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BaudRate {
    B115200,
    B57600,
    B38400,
    B19200,
    B9600,
}

impl BaudRate {
    pub fn para(self) -> u8 {
        match self {
            BaudRate::B115200 => 0x00,
            BaudRate::B57600 => 0x01,
            BaudRate::B38400 => 0x02,
            BaudRate::B19200 => 0x03,
            BaudRate::B9600 => 0x04,
        }
    }

    pub fn from_para(para: u8) -> Option<BaudRate> {
        Some(match para {
            0x00 => BaudRate::B115200,
            0x01 => BaudRate::B57600,
            0x02 => BaudRate::B38400,
            0x03 => BaudRate::B19200,
            0x04 => BaudRate::B9600,
            _ => return None,
        })
    }

    pub fn bits_per_second(self) -> u32 {
        match self {
            BaudRate::B115200 => 115_200,
            BaudRate::B57600 => 57_600,
            BaudRate::B38400 => 38_400,
            BaudRate::B19200 => 19_200,
            BaudRate::B9600 => 9_600,
        }
    }

    pub fn from_bits_per_second(bps: u32) -> Option<BaudRate> {
        [BaudRate::B115200, BaudRate::B57600, BaudRate::B38400, BaudRate::B19200, BaudRate::B9600]
            .into_iter()
            .find(|b| b.bits_per_second() == bps)
    }
}

/// Every host -> SAM command of the protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// 10 FF: reset the SAM.
    ResetSam,
    /// 11 FF: SAM self-test status.
    SamStatus,
    /// 12 FF: read the SAM's id.
    ReadSamId,
    /// 20 01: find a card in the field.
    FindCard,
    /// 20 02: select the card found.
    SelectCard,
    /// 30 01: read text and photo.
    ReadText,
    /// 30 10: read text, photo and fingerprint.
    ReadTextWithFingerprint,
    /// 30 03: read the latest appended address (reply layout unconfirmed).
    ReadNewAddress,
    /// 60 0x: change the SAM's baud rate.
    SetBaud(BaudRate),
}

impl Command {
    /// The command's CMD and PARA bytes.
    pub fn code(self) -> [u8; 2] {
        match self {
            Command::ResetSam => [0x10, 0xFF],
            Command::SamStatus => [0x11, 0xFF],
            Command::ReadSamId => [0x12, 0xFF],
            Command::FindCard => [0x20, 0x01],
            Command::SelectCard => [0x20, 0x02],
            Command::ReadText => [0x30, 0x01],
            Command::ReadTextWithFingerprint => [0x30, 0x10],
            Command::ReadNewAddress => [0x30, 0x03],
            Command::SetBaud(b) => [0x60, b.para()],
        }
    }

    /// Parses CMD and PARA; `None` for a command this protocol does not have.
    pub fn from_code(cmd: u8, para: u8) -> Option<Command> {
        Some(match (cmd, para) {
            (0x10, 0xFF) => Command::ResetSam,
            (0x11, 0xFF) => Command::SamStatus,
            (0x12, 0xFF) => Command::ReadSamId,
            (0x20, 0x01) => Command::FindCard,
            (0x20, 0x02) => Command::SelectCard,
            (0x30, 0x01) => Command::ReadText,
            (0x30, 0x10) => Command::ReadTextWithFingerprint,
            (0x30, 0x03) => Command::ReadNewAddress,
            (0x60, p) => Command::SetBaud(BaudRate::from_para(p)?),
            _ => return None,
        })
    }

    /// The whole request frame for this command.
    pub fn encode(self) -> Vec<u8> {
        encode_frame(&self.code())
    }

    /// True for the commands whose replies carry a citizen's personal data.
    pub fn carries_personal_data(self) -> bool {
        matches!(self, Command::ReadText | Command::ReadTextWithFingerprint | Command::ReadNewAddress)
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Command::ResetSam => "reset sam",
            Command::SamStatus => "sam status",
            Command::ReadSamId => "read sam id",
            Command::FindCard => "find card",
            Command::SelectCard => "select card",
            Command::ReadText => "read text",
            Command::ReadTextWithFingerprint => "read text with fingerprint",
            Command::ReadNewAddress => "read new address",
            Command::SetBaud(_) => "set baud",
        };
        let [c, p] = self.code();
        write!(f, "{name} ({c:02X} {p:02X})")
    }
}

/// The SW3 status byte of a SAM reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sw3 {
    /// 90: success.
    Ok,
    /// 9F: find succeeded.
    FindOk,
    /// 91: no content (e.g. no appended address).
    NoContent,
    /// 10: the SAM saw a bad checksum in our frame.
    HostChecksumError,
    /// 11: the SAM saw a bad length in our frame.
    HostLengthError,
    /// 21: unknown command.
    BadCommand,
    /// 23: command not permitted now.
    NotPermitted,
    /// 24: unknown error.
    UnknownError,
    /// 31: the card failed to authenticate the SAM.
    CardAuthFailed,
    /// 32: the SAM failed to authenticate the card.
    SamAuthFailed,
    /// 33: verification error.
    VerificationError,
    /// 40: unknown card type.
    UnknownCardType,
    /// 41: read failed.
    ReadFailed,
    /// 47: random number generation failed.
    RandomFailed,
    /// 60: SAM self-test failed.
    SamSelfTestFailed,
    /// 66: SAM not authorised.
    SamNotAuthorised,
    /// 80: find failed: no card in the field.
    NoCard,
    /// 81: select failed.
    SelectFailed,
    /// Any other value.
    Other(u8),
}

impl Sw3 {
    pub fn from_byte(b: u8) -> Sw3 {
        match b {
            0x90 => Sw3::Ok,
            0x9F => Sw3::FindOk,
            0x91 => Sw3::NoContent,
            0x10 => Sw3::HostChecksumError,
            0x11 => Sw3::HostLengthError,
            0x21 => Sw3::BadCommand,
            0x23 => Sw3::NotPermitted,
            0x24 => Sw3::UnknownError,
            0x31 => Sw3::CardAuthFailed,
            0x32 => Sw3::SamAuthFailed,
            0x33 => Sw3::VerificationError,
            0x40 => Sw3::UnknownCardType,
            0x41 => Sw3::ReadFailed,
            0x47 => Sw3::RandomFailed,
            0x60 => Sw3::SamSelfTestFailed,
            0x66 => Sw3::SamNotAuthorised,
            0x80 => Sw3::NoCard,
            0x81 => Sw3::SelectFailed,
            other => Sw3::Other(other),
        }
    }

    pub fn byte(self) -> u8 {
        match self {
            Sw3::Ok => 0x90,
            Sw3::FindOk => 0x9F,
            Sw3::NoContent => 0x91,
            Sw3::HostChecksumError => 0x10,
            Sw3::HostLengthError => 0x11,
            Sw3::BadCommand => 0x21,
            Sw3::NotPermitted => 0x23,
            Sw3::UnknownError => 0x24,
            Sw3::CardAuthFailed => 0x31,
            Sw3::SamAuthFailed => 0x32,
            Sw3::VerificationError => 0x33,
            Sw3::UnknownCardType => 0x40,
            Sw3::ReadFailed => 0x41,
            Sw3::RandomFailed => 0x47,
            Sw3::SamSelfTestFailed => 0x60,
            Sw3::SamNotAuthorised => 0x66,
            Sw3::NoCard => 0x80,
            Sw3::SelectFailed => 0x81,
            Sw3::Other(b) => b,
        }
    }

    /// True for the statuses a reader gives when the card moved or was lifted mid-read; the
    /// right recovery is to start again from "find".
    pub fn is_card_moved(self) -> bool {
        matches!(self, Sw3::ReadFailed | Sw3::CardAuthFailed | Sw3::SamAuthFailed | Sw3::VerificationError)
    }

    /// A short lower-case description.
    pub fn describe(self) -> &'static str {
        match self {
            Sw3::Ok => "ok",
            Sw3::FindOk => "card found",
            Sw3::NoContent => "no content",
            Sw3::HostChecksumError => "sam saw a checksum error in our frame",
            Sw3::HostLengthError => "sam saw a length error in our frame",
            Sw3::BadCommand => "sam does not know the command",
            Sw3::NotPermitted => "command not permitted now",
            Sw3::UnknownError => "unknown sam error",
            Sw3::CardAuthFailed => "card failed to authenticate the sam",
            Sw3::SamAuthFailed => "sam failed to authenticate the card",
            Sw3::VerificationError => "verification error",
            Sw3::UnknownCardType => "unknown card type",
            Sw3::ReadFailed => "card read failed",
            Sw3::RandomFailed => "random number generation failed",
            Sw3::SamSelfTestFailed => "sam self-test failed",
            Sw3::SamNotAuthorised => "sam not authorised",
            Sw3::NoCard => "no card",
            Sw3::SelectFailed => "card select failed",
            Sw3::Other(_) => "unrecognised status",
        }
    }
}

impl fmt::Display for Sw3 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (sw3 {:02X})", self.describe(), self.byte())
    }
}

/// What can be wrong with bytes on the wire. The decoder has already skipped past the bad
/// bytes when it returns one of these; decoding can simply continue.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("frame length {len} outside {MIN_LEN}..={MAX_LEN}")]
    BadLength { len: usize },
    #[error("frame checksum mismatch: computed {computed:02X}, received {received:02X}")]
    Checksum { computed: u8, received: u8 },
}

/// Errors interpreting a well-framed body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplyError {
    #[error("reply body of {len} bytes is too short for {what}")]
    Short { what: &'static str, len: usize },
    #[error("read reply declares {field} length {declared}, expected {expected}")]
    BlockLength { field: &'static str, declared: usize, expected: usize },
    #[error("unknown command {cmd:02X} {para:02X}")]
    UnknownCommand { cmd: u8, para: u8 },
}

/// XOR checksum over LEN and body.
pub fn checksum(len_and_body: &[u8]) -> u8 {
    len_and_body.iter().fold(0, |acc, b| acc ^ b)
}

/// Wraps `body` in preamble, LEN and CHK.
pub fn encode_frame(body: &[u8]) -> Vec<u8> {
    let len = body.len() + 1;
    debug_assert!(len <= MAX_LEN, "frame body too long");
    let mut out = Vec::with_capacity(HEADER_LEN + len);
    out.extend_from_slice(&PREAMBLE);
    out.extend_from_slice(&(len as u16).to_be_bytes());
    out.extend_from_slice(body);
    let chk = checksum(&out[PREAMBLE.len()..]);
    out.push(chk);
    out
}

/// One well-formed frame: its body, without preamble, LEN or CHK.
#[derive(Clone, PartialEq, Eq)]
pub struct Frame {
    pub body: Vec<u8>,
}

impl fmt::Debug for Frame {
    // Bodies may hold personal data: show the first three bytes and the length only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let head: Vec<String> = self.body.iter().take(3).map(|b| format!("{b:02X}")).collect();
        write!(f, "Frame[{} bytes: {} …]", self.body.len(), head.join(" "))
    }
}

impl Frame {
    /// Total length of this frame on the wire.
    pub fn wire_len(&self) -> usize {
        HEADER_LEN + self.body.len() + 1
    }
}

/// Streaming frame decoder. Push bytes in any chunks; pull frames out.
#[derive(Debug, Default)]
pub struct Decoder {
    buf: Vec<u8>,
    skipped: u64,
}

impl Decoder {
    pub fn new() -> Decoder {
        Decoder::default()
    }

    /// Appends received bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes buffered and not yet part of a returned frame.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Bytes discarded so far as garbage (outside any frame) or as parts of bad frames.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    /// Drops everything buffered (before sending a new command).
    pub fn clear(&mut self) {
        self.skipped += self.buf.len() as u64;
        self.buf.clear();
    }

    fn discard(&mut self, n: usize) {
        let n = n.min(self.buf.len());
        self.buf.drain(..n);
        self.skipped += n as u64;
    }

    /// The next whole frame, `Ok(None)` if more bytes are needed, or an error for a frame that
    /// was corrupt (already skipped).
    pub fn decode(&mut self) -> Result<Option<Frame>, FrameError> {
        // Find the preamble; keep a partial preamble at the end of the buffer.
        match find_preamble(&self.buf) {
            Some(0) => {}
            Some(at) => self.discard(at),
            None => {
                let keep = partial_preamble_suffix(&self.buf);
                let drop = self.buf.len() - keep;
                self.discard(drop);
                return Ok(None);
            }
        }
        if self.buf.len() < HEADER_LEN {
            return Ok(None);
        }
        let len = u16::from_be_bytes([self.buf[5], self.buf[6]]) as usize;
        if !(MIN_LEN..=MAX_LEN).contains(&len) {
            // Skip this preamble's first byte so the search restarts just after it.
            self.discard(1);
            return Err(FrameError::BadLength { len });
        }
        let total = HEADER_LEN + len;
        if self.buf.len() < total {
            return Ok(None);
        }
        let computed = checksum(&self.buf[PREAMBLE.len()..total - 1]);
        let received = self.buf[total - 1];
        if computed != received {
            // The length may itself be corrupt: resynchronise from just after this preamble
            // rather than skipping the whole declared length.
            self.discard(1);
            return Err(FrameError::Checksum { computed, received });
        }
        let body = self.buf[HEADER_LEN..total - 1].to_vec();
        self.buf.drain(..total);
        Ok(Some(Frame { body }))
    }
}

fn find_preamble(buf: &[u8]) -> Option<usize> {
    buf.windows(PREAMBLE.len()).position(|w| w == PREAMBLE)
}

/// Length of the longest suffix of `buf` that is a proper prefix of the preamble.
fn partial_preamble_suffix(buf: &[u8]) -> usize {
    (1..PREAMBLE.len()).rev().find(|&k| buf.len() >= k && buf[buf.len() - k..] == PREAMBLE[..k]).unwrap_or(0)
}

/// A host -> SAM request, as the simulator sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub command: Command,
    pub data: Vec<u8>,
}

impl Request {
    pub fn parse(frame: &Frame) -> Result<Request, ReplyError> {
        let [cmd, para, data @ ..] = frame.body.as_slice() else {
            return Err(ReplyError::Short { what: "a request", len: frame.body.len() });
        };
        let command = Command::from_code(*cmd, *para).ok_or(ReplyError::UnknownCommand { cmd: *cmd, para: *para })?;
        Ok(Request { command, data: data.to_vec() })
    }
}

/// A SAM -> host reply.
#[derive(Clone, PartialEq, Eq)]
pub struct Response {
    pub sw1: u8,
    pub sw2: u8,
    pub sw3: Sw3,
    pub data: Vec<u8>,
}

impl fmt::Debug for Response {
    // Data may hold personal data: show its length only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Response[{:02X} {:02X} {}, {} data bytes]", self.sw1, self.sw2, self.sw3, self.data.len())
    }
}

impl Response {
    pub fn new(sw3: Sw3, data: Vec<u8>) -> Response {
        Response { sw1: 0x00, sw2: 0x00, sw3, data }
    }

    pub fn parse(frame: &Frame) -> Result<Response, ReplyError> {
        let [sw1, sw2, sw3, data @ ..] = frame.body.as_slice() else {
            return Err(ReplyError::Short { what: "a reply", len: frame.body.len() });
        };
        Ok(Response { sw1: *sw1, sw2: *sw2, sw3: Sw3::from_byte(*sw3), data: data.to_vec() })
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut body = Vec::with_capacity(3 + self.data.len());
        body.extend_from_slice(&[self.sw1, self.sw2, self.sw3.byte()]);
        body.extend_from_slice(&self.data);
        encode_frame(&body)
    }
}

/// The blocks of a read reply (30 01 or 30 10). The photo and fingerprint stay opaque.
#[derive(Clone, PartialEq, Eq)]
pub struct ReadBlocks {
    pub text: [u8; TEXT_LEN],
    pub photo: Vec<u8>,
    pub fingerprint: Option<Vec<u8>>,
}

impl fmt::Debug for ReadBlocks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ReadBlocks[text {} bytes, photo {} bytes, fingerprint {:?} bytes]",
            TEXT_LEN,
            self.photo.len(),
            self.fingerprint.as_ref().map(Vec::len)
        )
    }
}

fn be16(bytes: &[u8], at: usize) -> Option<usize> {
    Some(u16::from_be_bytes([*bytes.get(at)?, *bytes.get(at + 1)?]) as usize)
}

impl ReadBlocks {
    /// Parses the data part of a successful read reply. `with_fingerprint` is whether the
    /// command was 30 10 (which adds a fingerprint length and block).
    pub fn parse(data: &[u8], with_fingerprint: bool) -> Result<ReadBlocks, ReplyError> {
        let lengths = if with_fingerprint { 6 } else { 4 };
        let short = || ReplyError::Short { what: "a read reply", len: data.len() };
        let text_len = be16(data, 0).ok_or_else(short)?;
        let photo_len = be16(data, 2).ok_or_else(short)?;
        let fp_len = if with_fingerprint { be16(data, 4).ok_or_else(short)? } else { 0 };
        if text_len != TEXT_LEN {
            return Err(ReplyError::BlockLength { field: "text", declared: text_len, expected: TEXT_LEN });
        }
        if photo_len != PHOTO_LEN {
            return Err(ReplyError::BlockLength { field: "photo", declared: photo_len, expected: PHOTO_LEN });
        }
        if fp_len != 0 && fp_len != FINGERPRINT_LEN {
            return Err(ReplyError::BlockLength { field: "fingerprint", declared: fp_len, expected: FINGERPRINT_LEN });
        }
        if data.len() < lengths + text_len + photo_len + fp_len {
            return Err(short());
        }
        let mut text = [0u8; TEXT_LEN];
        text.copy_from_slice(&data[lengths..lengths + TEXT_LEN]);
        let photo_at = lengths + TEXT_LEN;
        let photo = data[photo_at..photo_at + PHOTO_LEN].to_vec();
        let fingerprint = (fp_len > 0).then(|| data[photo_at + PHOTO_LEN..photo_at + PHOTO_LEN + fp_len].to_vec());
        Ok(ReadBlocks { text, photo, fingerprint })
    }

    /// The data part of a read reply carrying these blocks (the simulator's side).
    pub fn encode(&self, with_fingerprint: bool) -> Vec<u8> {
        let fp: &[u8] = if with_fingerprint { self.fingerprint.as_deref().unwrap_or(&[]) } else { &[] };
        let mut out = Vec::with_capacity(6 + TEXT_LEN + self.photo.len() + fp.len());
        out.extend_from_slice(&(TEXT_LEN as u16).to_be_bytes());
        out.extend_from_slice(&(self.photo.len() as u16).to_be_bytes());
        if with_fingerprint {
            out.extend_from_slice(&(fp.len() as u16).to_be_bytes());
        }
        out.extend_from_slice(&self.text);
        out.extend_from_slice(&self.photo);
        out.extend_from_slice(fp);
        out
    }
}

/// Formats the 16 data bytes of a "read SAM id" reply the way vendor tools print it:
/// `AA.BB-CCCCCCCC-DDDDDDDDDD-EEEEEEEEEE` from little-endian u16, u16, u32, u32, u32.
/// (Layout from public vendor code; unconfirmed against the standard text.)
pub fn format_sam_id(data: &[u8]) -> Result<String, ReplyError> {
    if data.len() < 16 {
        return Err(ReplyError::Short { what: "a sam id", len: data.len() });
    }
    let u16le = |i: usize| u16::from_le_bytes([data[i], data[i + 1]]);
    let u32le = |i: usize| u32::from_le_bytes([data[i], data[i + 1], data[i + 2], data[i + 3]]);
    Ok(format!("{:02}.{:02}-{:08}-{:010}-{:010}", u16le(0), u16le(2), u32le(4), u32le(8), u32le(12)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIND_REQUEST: [u8; 10] = [0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x03, 0x20, 0x01, 0x22];
    const FIND_OK: [u8; 15] = [0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x08, 0x00, 0x00, 0x9F, 0x00, 0x00, 0x00, 0x00, 0x97];
    const NO_CARD: [u8; 11] = [0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x04, 0x00, 0x00, 0x80, 0x84];

    #[test]
    fn find_card_encodes_as_in_the_protocol_notes() {
        assert_eq!(Command::FindCard.encode(), FIND_REQUEST);
        assert_eq!(Response::new(Sw3::FindOk, vec![0; 4]).encode(), FIND_OK);
        assert_eq!(Response::new(Sw3::NoCard, vec![]).encode(), NO_CARD);
    }

    #[test]
    fn every_command_round_trips() {
        let all = [
            Command::ResetSam,
            Command::SamStatus,
            Command::ReadSamId,
            Command::FindCard,
            Command::SelectCard,
            Command::ReadText,
            Command::ReadTextWithFingerprint,
            Command::ReadNewAddress,
            Command::SetBaud(BaudRate::B115200),
            Command::SetBaud(BaudRate::B57600),
            Command::SetBaud(BaudRate::B38400),
            Command::SetBaud(BaudRate::B19200),
            Command::SetBaud(BaudRate::B9600),
        ];
        for cmd in all {
            let mut d = Decoder::new();
            d.push(&cmd.encode());
            let frame = d.decode().unwrap().unwrap();
            assert_eq!(Request::parse(&frame).unwrap().command, cmd);
            assert_eq!(d.buffered(), 0);
        }
    }

    #[test]
    fn sample_frames_decode_at_every_split_point() {
        for sample in [&FIND_REQUEST[..], &FIND_OK[..], &NO_CARD[..]] {
            for split in 0..=sample.len() {
                let mut d = Decoder::new();
                d.push(&sample[..split]);
                let first = d.decode().unwrap();
                if split < sample.len() {
                    assert!(first.is_none(), "split {split}: a partial frame is not a frame");
                    d.push(&sample[split..]);
                    let frame = d.decode().unwrap().expect("whole frame after the rest arrives");
                    assert_eq!(frame.body, sample[HEADER_LEN..sample.len() - 1]);
                } else {
                    assert_eq!(first.unwrap().body, sample[HEADER_LEN..sample.len() - 1]);
                }
                assert_eq!(d.decode().unwrap(), None);
            }
        }
    }

    #[test]
    fn byte_at_a_time_decodes() {
        let mut d = Decoder::new();
        let mut frames = Vec::new();
        for b in FIND_OK.iter().chain(NO_CARD.iter()) {
            d.push(&[*b]);
            while let Some(f) = d.decode().unwrap() {
                frames.push(Response::parse(&f).unwrap().sw3);
            }
        }
        assert_eq!(frames, vec![Sw3::FindOk, Sw3::NoCard]);
    }

    #[test]
    fn resynchronises_after_garbage_and_partial_preambles() {
        let mut stream = vec![0x00, 0xAA, 0xAA, 0x13, 0xAA, 0xAA, 0xAA, 0x96, 0x12, 0x69];
        stream.extend_from_slice(&FIND_OK);
        stream.extend_from_slice(&[0xAA, 0xAA]);
        let mut d = Decoder::new();
        d.push(&stream);
        let f = d.decode().unwrap().unwrap();
        assert_eq!(Response::parse(&f).unwrap().sw3, Sw3::FindOk);
        assert_eq!(d.decode().unwrap(), None);
        assert_eq!(d.buffered(), 2, "a trailing partial preamble is kept");
        d.push(&NO_CARD[2..]);
        assert_eq!(Response::parse(&d.decode().unwrap().unwrap()).unwrap().sw3, Sw3::NoCard);
    }

    #[test]
    fn bad_checksum_is_one_error_then_the_next_frame_decodes() {
        let mut bad = FIND_OK.to_vec();
        *bad.last_mut().unwrap() ^= 0xFF;
        let mut d = Decoder::new();
        d.push(&bad);
        d.push(&NO_CARD);
        assert!(matches!(d.decode(), Err(FrameError::Checksum { .. })));
        let mut got = None;
        for _ in 0..4 {
            if let Some(f) = d.decode().unwrap() {
                got = Some(Response::parse(&f).unwrap().sw3);
                break;
            }
        }
        assert_eq!(got, Some(Sw3::NoCard));
    }

    #[test]
    fn absurd_lengths_are_rejected_without_waiting_for_them() {
        let mut d = Decoder::new();
        d.push(&[0xAA, 0xAA, 0xAA, 0x96, 0x69, 0xFF, 0xFF, 0x00]);
        assert_eq!(d.decode(), Err(FrameError::BadLength { len: 0xFFFF }));
        d.push(&[0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x01]);
        assert_eq!(d.decode(), Err(FrameError::BadLength { len: 1 }));
        d.push(&NO_CARD);
        let mut found = false;
        for _ in 0..8 {
            if let Ok(Some(_)) = d.decode() {
                found = true;
                break;
            }
        }
        assert!(found);
    }

    #[test]
    fn short_bodies_are_errors_not_panics() {
        let f = Frame { body: vec![0x00, 0x00] };
        assert!(Response::parse(&f).is_err());
        assert!(Request::parse(&Frame { body: vec![0x20] }).is_err());
        assert!(ReadBlocks::parse(&[0x01], false).is_err());
        assert!(ReadBlocks::parse(&[0x01, 0x00, 0x04, 0x00, 0x00], false).is_err());
        // Right lengths declared, data cut short.
        let mut data = vec![0x01, 0x00, 0x04, 0x00];
        data.extend(std::iter::repeat_n(0x20, 300));
        assert!(matches!(ReadBlocks::parse(&data, false), Err(ReplyError::Short { .. })));
        assert!(format_sam_id(&[1, 2, 3]).is_err());
    }

    #[test]
    fn read_blocks_round_trip_with_and_without_fingerprint() {
        let blocks = ReadBlocks { text: [0x20; TEXT_LEN], photo: vec![7; PHOTO_LEN], fingerprint: Some(vec![9; FINGERPRINT_LEN]) };
        let plain = blocks.encode(false);
        assert_eq!(plain.len(), 4 + TEXT_LEN + PHOTO_LEN);
        let reply = Response::new(Sw3::Ok, plain.clone()).encode();
        assert_eq!(reply.len(), 1295, "the 30 01 reply is 1295 bytes on the wire");
        let back = ReadBlocks::parse(&plain, false).unwrap();
        assert_eq!(back.fingerprint, None);
        assert_eq!(back.photo, blocks.photo);
        let with_fp = ReadBlocks::parse(&blocks.encode(true), true).unwrap();
        assert_eq!(with_fp, blocks);
        let no_fp = ReadBlocks { fingerprint: None, ..blocks };
        assert_eq!(ReadBlocks::parse(&no_fp.encode(true), true).unwrap().fingerprint, None);
    }

    #[test]
    fn sam_id_formats_like_vendor_tools() {
        let mut data = Vec::new();
        data.extend_from_slice(&5u16.to_le_bytes());
        data.extend_from_slice(&1u16.to_le_bytes());
        data.extend_from_slice(&20_240_826u32.to_le_bytes());
        data.extend_from_slice(&123u32.to_le_bytes());
        data.extend_from_slice(&4_000_000_000u32.to_le_bytes());
        assert_eq!(format_sam_id(&data).unwrap(), "05.01-20240826-0000000123-4000000000");
    }

    #[test]
    fn sw3_bytes_round_trip() {
        for b in 0..=255u8 {
            assert_eq!(Sw3::from_byte(b).byte(), b);
        }
        assert!(Sw3::ReadFailed.is_card_moved());
        assert!(!Sw3::NoCard.is_card_moved());
    }

    /// xorshift64*, so the random tests are reproducible without a dependency.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
    }

    #[test]
    fn random_bytes_never_panic_and_stay_bounded() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let mut d = Decoder::new();
        let templates = [FIND_OK.to_vec(), NO_CARD.to_vec(), Response::new(Sw3::Ok, vec![0x20; 1290]).encode()];
        for round in 0..20_000 {
            let mut chunk: Vec<u8> = if round % 3 == 0 {
                // A real frame with a few bytes mutated.
                let mut t = templates[(rng.next() % 3) as usize].clone();
                for _ in 0..(rng.next() % 3) {
                    let i = (rng.next() as usize) % t.len();
                    t[i] = rng.next() as u8;
                }
                t
            } else {
                let n = (rng.next() % 64) as usize;
                (0..n).map(|_| match rng.next() % 4 {
                    0 => 0xAA,
                    _ => rng.next() as u8,
                }).collect()
            };
            let cut = (rng.next() as usize) % (chunk.len() + 1);
            let rest = chunk.split_off(cut);
            d.push(&chunk);
            d.push(&rest);
            loop {
                match d.decode() {
                    Ok(Some(f)) => {
                        let _ = Response::parse(&f);
                        let _ = Request::parse(&f);
                        if let Ok(r) = Response::parse(&f) {
                            let _ = ReadBlocks::parse(&r.data, rng.next() % 2 == 0);
                            let _ = format_sam_id(&r.data);
                        }
                    }
                    Ok(None) => break,
                    Err(_) => {}
                }
            }
            assert!(d.buffered() <= HEADER_LEN + MAX_LEN, "decoder buffer is bounded");
        }
    }
}
