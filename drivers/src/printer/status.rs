//! Printer status codec: the `DLE EOT n` real-time status request and its one-byte replies,
//! folded into a [`PrinterStatus`]; and the 4-byte automatic status back (`GS a n`). Sans-IO:
//! the transport sends [`request`] bytes and feeds replies to a [`StatusBuilder`]; the
//! simulator encodes replies with [`PrinterStatus::reply`].
//!
//! Bits (protocols.md, "ESC/POS receipt printer"); every reply byte has `(b & 0x93) == 0x12`:
//!
//! | n | meaning        | bits                                                        |
//! |---|----------------|-------------------------------------------------------------|
//! | 1 | printer        | 0x08 offline                                                |
//! | 2 | offline cause  | 0x04 cover open, 0x20 stopped by paper end, 0x40 error      |
//! | 3 | error cause    | 0x08 autocutter, 0x20 unrecoverable, 0x40 auto-recoverable  |
//! | 4 | paper sensor   | 0x0C near end, 0x60 paper out                               |

use serde::{Deserialize, Serialize};

/// `DLE EOT`.
pub const DLE_EOT: [u8; 2] = [0x10, 0x04];
/// The requests a full status query sends, in order.
pub const REQUESTS: [u8; 4] = [1, 2, 3, 4];

/// Mask and value every real-time status reply byte matches.
pub const REPLY_MASK: u8 = 0x93;
pub const REPLY_FIXED: u8 = 0x12;

pub const PRINTER_OFFLINE: u8 = 0x08;
pub const OFFLINE_COVER_OPEN: u8 = 0x04;
pub const OFFLINE_PAPER_END_STOP: u8 = 0x20;
pub const OFFLINE_ERROR: u8 = 0x40;
pub const ERROR_AUTOCUTTER: u8 = 0x08;
pub const ERROR_UNRECOVERABLE: u8 = 0x20;
pub const ERROR_AUTO_RECOVERABLE: u8 = 0x40;
pub const PAPER_NEAR_END: u8 = 0x0C;
pub const PAPER_OUT: u8 = 0x60;

/// Automatic status back, first byte: `(b & 0x93) == 0x10`; 0x08 offline, 0x20 cover open.
pub const ASB_FIRST_MASK: u8 = 0x93;
pub const ASB_FIRST_FIXED: u8 = 0x10;
pub const ASB_OFFLINE: u8 = 0x08;
pub const ASB_COVER_OPEN: u8 = 0x20;
/// Automatic status back, third byte: 0x03 near end, 0x0C paper end.
pub const ASB_NEAR_END: u8 = 0x03;
pub const ASB_PAPER_END: u8 = 0x0C;

/// The bytes of real-time status request `n` (`10 04 n`).
pub fn request(n: u8) -> [u8; 3] {
    [DLE_EOT[0], DLE_EOT[1], n]
}

/// Whether `byte` has the fixed bits of a real-time status reply.
pub fn is_reply(byte: u8) -> bool {
    byte & REPLY_MASK == REPLY_FIXED
}

/// Paper supply as the sensors report it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Paper {
    #[default]
    Ok,
    NearEnd,
    Out,
}

impl Paper {
    pub fn as_str(self) -> &'static str {
        match self {
            Paper::Ok => "ok",
            Paper::NearEnd => "near_end",
            Paper::Out => "out",
        }
    }
}

/// Why status replies were rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatusError {
    #[error("reply {byte:#04x} to status request {n} is not a status byte")]
    BadReply { n: u8, byte: u8 },
    #[error("no such status request: {0}")]
    UnknownRequest(u8),
    #[error("no reply to status request {0} yet")]
    Incomplete(u8),
    #[error("automatic status back {0:02x?} is malformed")]
    BadAutoStatus([u8; 4]),
}

/// The printer's state, from the four real-time status replies.
///
/// JSON: `{"online","cover_open","paper","cutter_error","unrecoverable_error",
/// "recoverable_error"}` with `paper` one of `"ok"`, `"near_end"`, `"out"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PrinterStatus {
    pub online: bool,
    pub cover_open: bool,
    pub paper: Paper,
    pub cutter_error: bool,
    pub unrecoverable_error: bool,
    /// An auto-recoverable error such as head overheat: printing resumes by itself.
    pub recoverable_error: bool,
}

impl Default for PrinterStatus {
    /// Ready to print.
    fn default() -> Self {
        PrinterStatus::READY
    }
}

impl PrinterStatus {
    pub const READY: PrinterStatus = PrinterStatus {
        online: true,
        cover_open: false,
        paper: Paper::Ok,
        cutter_error: false,
        unrecoverable_error: false,
        recoverable_error: false,
    };

    /// Whether a job sent now would print (paper near its end still prints).
    pub fn can_print(&self) -> bool {
        self.problem().is_none()
    }

    /// The most important reason the printer cannot print, in a few lower-case words.
    pub fn problem(&self) -> Option<&'static str> {
        if self.unrecoverable_error {
            Some("unrecoverable error")
        } else if self.cover_open {
            Some("cover open")
        } else if self.paper == Paper::Out {
            Some("paper out")
        } else if self.cutter_error {
            Some("cutter error")
        } else if self.recoverable_error {
            Some("recoverable error")
        } else if !self.online {
            Some("offline")
        } else {
            None
        }
    }

    /// Something staff should see to although printing still works.
    pub fn warning(&self) -> Option<&'static str> {
        (self.paper == Paper::NearEnd).then_some("paper near end")
    }

    /// Folds the four replies (to requests 1, 2, 3, 4).
    pub fn from_replies(replies: [u8; 4]) -> Result<PrinterStatus, StatusError> {
        let mut b = StatusBuilder::new();
        for (n, byte) in REQUESTS.into_iter().zip(replies) {
            b.apply(n, byte)?;
        }
        b.finish()
    }

    /// The byte a printer in this state answers to `DLE EOT n`; `None` for requests other than
    /// 1..=4. Used by the simulator.
    pub fn reply(&self, n: u8) -> Option<u8> {
        let stopped_by_paper = self.paper == Paper::Out;
        let error = self.cutter_error || self.unrecoverable_error || self.recoverable_error;
        let bits = match n {
            1 => flag(!self.online || self.cover_open || stopped_by_paper || error, PRINTER_OFFLINE),
            2 => {
                flag(self.cover_open, OFFLINE_COVER_OPEN)
                    | flag(stopped_by_paper, OFFLINE_PAPER_END_STOP)
                    | flag(error, OFFLINE_ERROR)
            }
            3 => {
                flag(self.cutter_error, ERROR_AUTOCUTTER)
                    | flag(self.unrecoverable_error, ERROR_UNRECOVERABLE)
                    | flag(self.recoverable_error, ERROR_AUTO_RECOVERABLE)
            }
            // With the paper out the near-end sensor sees no paper either.
            4 => match self.paper {
                Paper::Ok => 0,
                Paper::NearEnd => PAPER_NEAR_END,
                Paper::Out => PAPER_NEAR_END | PAPER_OUT,
            },
            _ => return None,
        };
        Some(REPLY_FIXED | bits)
    }
}

fn flag(on: bool, bits: u8) -> u8 {
    if on { bits } else { 0 }
}

/// Collects replies to requests 1..=4, in any order, and folds them into a [`PrinterStatus`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StatusBuilder {
    replies: [Option<u8>; 4],
}

impl StatusBuilder {
    pub fn new() -> StatusBuilder {
        StatusBuilder::default()
    }

    /// Records `byte` as the reply to request `n`, validating its fixed bits.
    pub fn apply(&mut self, n: u8, byte: u8) -> Result<(), StatusError> {
        let slot = match n {
            1..=4 => &mut self.replies[n as usize - 1],
            _ => return Err(StatusError::UnknownRequest(n)),
        };
        if !is_reply(byte) {
            return Err(StatusError::BadReply { n, byte });
        }
        *slot = Some(byte);
        Ok(())
    }

    /// The first request still without a reply.
    pub fn missing(&self) -> Option<u8> {
        self.replies.iter().position(Option::is_none).map(|i| i as u8 + 1)
    }

    pub fn is_complete(&self) -> bool {
        self.missing().is_none()
    }

    /// The status, once all four replies are in.
    pub fn finish(&self) -> Result<PrinterStatus, StatusError> {
        let [Some(r1), Some(r2), Some(r3), Some(r4)] = self.replies else {
            return Err(StatusError::Incomplete(self.missing().unwrap_or(1)));
        };
        let paper = if r4 & PAPER_OUT != 0 || r2 & OFFLINE_PAPER_END_STOP != 0 {
            Paper::Out
        } else if r4 & PAPER_NEAR_END != 0 {
            Paper::NearEnd
        } else {
            Paper::Ok
        };
        Ok(PrinterStatus {
            online: r1 & PRINTER_OFFLINE == 0,
            cover_open: r2 & OFFLINE_COVER_OPEN != 0,
            paper,
            cutter_error: r3 & ERROR_AUTOCUTTER != 0,
            unrecoverable_error: r3 & ERROR_UNRECOVERABLE != 0,
            recoverable_error: r3 & ERROR_AUTO_RECOVERABLE != 0,
        })
    }
}

/// The parts of an automatic status back (`GS a n`) message this crate understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AutoStatus {
    pub online: bool,
    pub cover_open: bool,
    pub paper: Paper,
    pub raw: [u8; 4],
}

impl AutoStatus {
    /// Decodes the 4-byte message. Only the first byte's fixed bits are documented for the
    /// printers we target, so only they are validated.
    pub fn decode(raw: [u8; 4]) -> Result<AutoStatus, StatusError> {
        if raw[0] & ASB_FIRST_MASK != ASB_FIRST_FIXED {
            return Err(StatusError::BadAutoStatus(raw));
        }
        let paper = if raw[2] & ASB_PAPER_END != 0 {
            Paper::Out
        } else if raw[2] & ASB_NEAR_END != 0 {
            Paper::NearEnd
        } else {
            Paper::Ok
        };
        Ok(AutoStatus { online: raw[0] & ASB_OFFLINE == 0, cover_open: raw[0] & ASB_COVER_OPEN != 0, paper, raw })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(replies: [u8; 4]) -> PrinterStatus {
        PrinterStatus::from_replies(replies).unwrap()
    }

    #[test]
    fn request_bytes() {
        assert_eq!(request(1), [0x10, 0x04, 0x01]);
        assert_eq!(request(4), [0x10, 0x04, 0x04]);
    }

    #[test]
    fn ready_printer() {
        let s = status([0x12, 0x12, 0x12, 0x12]);
        assert_eq!(s, PrinterStatus::READY);
        assert!(s.can_print());
        assert_eq!(s.problem(), None);
        assert_eq!(s.warning(), None);
    }

    type Case = ([u8; 4], fn(&mut PrinterStatus), Option<&'static str>);

    #[test]
    fn every_bit_decodes() {
        let cases: [Case; 9] = [
            ([0x1A, 0x12, 0x12, 0x12], |s| s.online = false, Some("offline")),
            (
                [0x1A, 0x16, 0x12, 0x12],
                |s| {
                    s.online = false;
                    s.cover_open = true
                },
                Some("cover open"),
            ),
            (
                [0x1A, 0x32, 0x12, 0x12],
                |s| {
                    s.online = false;
                    s.paper = Paper::Out
                },
                Some("paper out"),
            ),
            (
                [0x1A, 0x52, 0x1A, 0x12],
                |s| {
                    s.online = false;
                    s.cutter_error = true
                },
                Some("cutter error"),
            ),
            (
                [0x1A, 0x52, 0x32, 0x12],
                |s| {
                    s.online = false;
                    s.unrecoverable_error = true
                },
                Some("unrecoverable error"),
            ),
            (
                [0x1A, 0x52, 0x52, 0x12],
                |s| {
                    s.online = false;
                    s.recoverable_error = true
                },
                Some("recoverable error"),
            ),
            ([0x12, 0x12, 0x12, 0x1E], |s| s.paper = Paper::NearEnd, None),
            (
                [0x1A, 0x32, 0x12, 0x72],
                |s| {
                    s.online = false;
                    s.paper = Paper::Out
                },
                Some("paper out"),
            ),
            (
                [0x1A, 0x32, 0x12, 0x7E],
                |s| {
                    s.online = false;
                    s.paper = Paper::Out
                },
                Some("paper out"),
            ),
        ];
        for (replies, edit, problem) in cases {
            let mut want = PrinterStatus::READY;
            edit(&mut want);
            let got = status(replies);
            assert_eq!(got, want, "{replies:02x?}");
            assert_eq!(got.problem(), problem, "{replies:02x?}");
            assert_eq!(got.can_print(), problem.is_none());
        }
        assert_eq!(status([0x12, 0x12, 0x12, 0x1E]).warning(), Some("paper near end"));
        // Printers that set only one bit of a sensor pair.
        assert_eq!(status([0x12, 0x12, 0x12, 0x16]).paper, Paper::NearEnd);
        assert_eq!(status([0x12, 0x12, 0x12, 0x52]).paper, Paper::Out);
    }

    #[test]
    fn reply_and_decode_round_trip() {
        let mut states = Vec::new();
        for paper in [Paper::Ok, Paper::NearEnd, Paper::Out] {
            for bits in 0..16u8 {
                let mut s = PrinterStatus { paper, ..PrinterStatus::READY };
                s.cover_open = bits & 1 != 0;
                s.cutter_error = bits & 2 != 0;
                s.unrecoverable_error = bits & 4 != 0;
                s.recoverable_error = bits & 8 != 0;
                s.online = !(s.cover_open || s.paper == Paper::Out || bits & 14 != 0);
                states.push(s);
            }
        }
        for s in states {
            let replies = REQUESTS.map(|n| s.reply(n).unwrap());
            assert!(replies.iter().all(|&b| is_reply(b)), "{replies:02x?}");
            assert_eq!(status(replies), s);
        }
        assert_eq!(PrinterStatus::READY.reply(5), None);
        let out = PrinterStatus { paper: Paper::Out, online: false, ..PrinterStatus::READY };
        assert_eq!(REQUESTS.map(|n| out.reply(n).unwrap()), [0x1A, 0x32, 0x12, 0x7E]);
    }

    #[test]
    fn builder_takes_replies_in_any_order_and_validates() {
        let mut b = StatusBuilder::new();
        assert_eq!(b.finish(), Err(StatusError::Incomplete(1)));
        b.apply(4, 0x1E).unwrap();
        b.apply(2, 0x12).unwrap();
        assert_eq!(b.missing(), Some(1));
        b.apply(3, 0x12).unwrap();
        assert!(!b.is_complete());
        b.apply(1, 0x12).unwrap();
        assert_eq!(b.finish().unwrap().paper, Paper::NearEnd);
        assert_eq!(b.apply(1, 0x00), Err(StatusError::BadReply { n: 1, byte: 0x00 }));
        assert_eq!(b.apply(2, 0xFF), Err(StatusError::BadReply { n: 2, byte: 0xFF }));
        assert_eq!(b.apply(5, 0x12), Err(StatusError::UnknownRequest(5)));
        assert_eq!(b.apply(0, 0x12), Err(StatusError::UnknownRequest(0)));
        for byte in 0..=255u8 {
            assert_eq!(is_reply(byte), byte & 0x93 == 0x12);
        }
    }

    #[test]
    fn json_contract() {
        let s = PrinterStatus { paper: Paper::NearEnd, ..PrinterStatus::READY };
        let v: serde_json::Value = serde_json::to_value(s).unwrap();
        assert_eq!(v["online"], true);
        assert_eq!(v["cover_open"], false);
        assert_eq!(v["paper"], "near_end");
        assert_eq!(v["cutter_error"], false);
        assert_eq!(v["unrecoverable_error"], false);
        assert_eq!(serde_json::to_value(Paper::Out).unwrap(), "out");
        assert_eq!(serde_json::to_value(Paper::Ok).unwrap(), "ok");
        assert_eq!(serde_json::from_str::<Paper>("\"near_end\"").unwrap(), Paper::NearEnd);
    }

    #[test]
    fn automatic_status_back() {
        let a = AutoStatus::decode([0x10, 0x00, 0x00, 0x00]).unwrap();
        assert!(a.online && !a.cover_open && a.paper == Paper::Ok);
        let a = AutoStatus::decode([0x38, 0x00, 0x03, 0x00]).unwrap();
        assert!(!a.online && a.cover_open && a.paper == Paper::NearEnd);
        assert_eq!(AutoStatus::decode([0x18, 0x00, 0x0F, 0x00]).unwrap().paper, Paper::Out);
        assert!(AutoStatus::decode([0x12, 0, 0, 0]).is_err());
    }
}
