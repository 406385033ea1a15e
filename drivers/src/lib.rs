//! Device drivers for the kiosk terminal.
//!
//! Each device is split the same way:
//! - a sans-IO protocol codec (`proto`/`status`/`decode`): bytes in, typed frames out, no I/O,
//!   no clock, no tokio. "Need more bytes" is `Ok(None)`, never an error.
//! - a thin blocking transport over [`serial::SerialLink`] that loops around the codec, applies
//!   per-step timeouts, retries what is worth retrying and reopens the port by path after an
//!   unplug.
//! - a simulator that speaks the same protocol on a pseudo-terminal ([`serial::PtyLink`]), so
//!   everything above runs and is tested without hardware.
//!
//! Privacy: raw bytes of card-read replies carry a citizen's name and ID number; they are never
//! logged, not even at trace level (only their status words and lengths are).

pub mod idcard;
pub mod printer;
pub mod serial;
