//! Blocking receipt-printer driver over a serial port.
//!
//! [`Printer`] wraps a [`SerialLink`] (opened lazily by path, reopened after an unplug). A status
//! query drains stale input, then sends `DLE EOT 1..4` one at a time and reads exactly one reply
//! byte each within a per-query timeout. A print job is only sent when the status says the
//! printer can print, and the status is checked again afterwards so a job that fell over (paper
//! ran out, cover opened) is reported and the caller can keep the receipt for a reprint.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serialport::SerialPort;

use super::receipt::{Receipt, ReceiptError};
use super::status::{self, PrinterStatus, StatusBuilder, StatusError};
use crate::serial::{SerialError, SerialLink};

/// How long one status request may take to be answered by default.
pub const DEFAULT_STATUS_TIMEOUT: Duration = Duration::from_millis(500);
/// How long one blocking write may wait for the device before the stall deadline is checked.
const WRITE_POLL: Duration = Duration::from_millis(20);
/// How long a job may make no progress (the printer accepting no bytes) by default. A printer's
/// receive buffer fills while it prints, so writes legitimately block for a while.
pub const DEFAULT_STALL_TIMEOUT: Duration = Duration::from_secs(5);

/// Errors of the printer driver.
#[derive(Debug, thiserror::Error)]
pub enum PrinterError {
    /// The serial port could not be opened, read or written (typically: unplugged).
    #[error(transparent)]
    Serial(#[from] SerialError),
    /// The printer did not answer a status request in time (powered off, wrong baud rate).
    #[error("printer did not answer a status request")]
    Timeout,
    /// The printer stopped accepting data: `sent` of `total` bytes went out.
    #[error("printer stopped accepting data after {sent} of {total} bytes")]
    Stalled { sent: usize, total: usize },
    /// The printer answered with something that is not a status byte.
    #[error(transparent)]
    BadStatus(#[from] StatusError),
    /// The printer cannot print (before the job: nothing was sent; after: the job may be lost).
    #[error("printer not ready: {}", .0.problem().unwrap_or("unknown state"))]
    NotReady(PrinterStatus),
    /// The receipt could not be encoded.
    #[error(transparent)]
    Encode(#[from] ReceiptError),
}

impl PrinterError {
    /// True when the printer is unreachable (unplugged, path missing) rather than slow or busy.
    pub fn is_disconnect(&self) -> bool {
        matches!(self, PrinterError::Serial(e) if e.is_disconnect())
    }

    /// The printer's status, for [`PrinterError::NotReady`].
    pub fn status(&self) -> Option<&PrinterStatus> {
        match self {
            PrinterError::NotReady(s) => Some(s),
            _ => None,
        }
    }
}

/// An ESC/POS receipt printer on a serial port.
#[derive(Debug)]
pub struct Printer {
    link: SerialLink,
    status_timeout: Duration,
    stall_timeout: Duration,
}

impl Printer {
    /// A printer at `path` (a udev symlink such as `/dev/kiosk-printer`). Nothing is opened
    /// until the first use; after an unplug the path is opened again.
    pub fn open(path: impl Into<PathBuf>, baud: u32) -> Printer {
        Printer::with_link(SerialLink::new(path, baud))
    }

    pub fn with_link(link: SerialLink) -> Printer {
        Printer { link, status_timeout: DEFAULT_STATUS_TIMEOUT, stall_timeout: DEFAULT_STALL_TIMEOUT }
    }

    pub fn path(&self) -> &Path {
        self.link.path()
    }

    /// How long each of the four status requests may wait for its reply.
    pub fn status_timeout(&self) -> Duration {
        self.status_timeout
    }

    pub fn set_status_timeout(&mut self, timeout: Duration) {
        self.status_timeout = timeout;
    }

    /// How long a job may make no progress before [`PrinterError::Stalled`].
    pub fn stall_timeout(&self) -> Duration {
        self.stall_timeout
    }

    pub fn set_stall_timeout(&mut self, timeout: Duration) {
        self.stall_timeout = timeout;
    }

    /// The underlying serial link.
    pub fn link_mut(&mut self) -> &mut SerialLink {
        &mut self.link
    }

    /// Queries the four real-time statuses. A reply that is not a status byte (a late reply to
    /// an earlier query arriving after the drain, line noise) makes it drain and ask once more.
    pub fn status(&mut self) -> Result<PrinterStatus, PrinterError> {
        match self.query_status() {
            Err(PrinterError::BadStatus(e)) => {
                tracing::debug!(path = %self.link.path().display(), error = %e, "bad status reply, asking again");
                self.query_status()
            }
            other => other,
        }
    }

    fn query_status(&mut self) -> Result<PrinterStatus, PrinterError> {
        let stale = self.link.drain_input()?;
        if stale > 0 {
            tracing::debug!(path = %self.link.path().display(), bytes = stale, "drained stale printer input");
        }
        let mut builder = StatusBuilder::new();
        for n in status::REQUESTS {
            self.write(&status::request(n), self.status_timeout)?;
            let byte = self.read_byte()?;
            tracing::trace!(n, reply = format_args!("{byte:#04x}"), "printer status reply");
            builder.apply(n, byte)?;
        }
        let status = builder.finish()?;
        tracing::debug!(path = %self.link.path().display(), ?status, "printer status");
        Ok(status)
    }

    /// Reads exactly one byte, never more (a second byte belongs to the next request).
    fn read_byte(&mut self) -> Result<u8, PrinterError> {
        let mut byte = [0u8; 1];
        let deadline = Instant::now() + self.status_timeout;
        match self.link.read_some(&mut byte, deadline) {
            Ok(_) => Ok(byte[0]),
            Err(SerialError::Timeout { .. }) => Err(PrinterError::Timeout),
            Err(e) => Err(e.into()),
        }
    }

    /// Writes all of `bytes` and waits until the OS has sent them, allowing the device to
    /// accept nothing for up to `stall` at a time. ([`SerialLink::write_all`] gives up after one
    /// short poll, too soon for a printer whose buffer is full, and its flush may block for ever
    /// under flow control.) Waiting for the output queue to empty keeps a following status
    /// request's timeout from running while a long job is still on the wire. An I/O error closes
    /// the port so the next use reopens it.
    fn write(&mut self, bytes: &[u8], stall: Duration) -> Result<(), PrinterError> {
        let total = bytes.len();
        let mut sent = 0;
        let mut deadline = Instant::now() + stall;
        // Each write waits at most one poll slice, so the stall deadline is honoured closely.
        let slice = self.link.ensure_open()?.set_timeout(WRITE_POLL);
        if let Err(e) = slice {
            return Err(self.io_failure(io::Error::other(e)));
        }
        while sent < total {
            let port = self.link.ensure_open()?;
            let result = port.write(&bytes[sent..]);
            match result {
                Ok(0) => return Err(self.io_failure(io::ErrorKind::WriteZero.into())),
                Ok(n) => {
                    sent += n;
                    deadline = Instant::now() + stall;
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                    ) =>
                {
                    if Instant::now() >= deadline {
                        tracing::debug!(sent, total, "printer stopped accepting data");
                        return Err(PrinterError::Stalled { sent, total });
                    }
                }
                Err(source) => return Err(self.io_failure(source)),
            }
        }
        // Wait for the output queue to empty, as long as it keeps shrinking.
        let mut queued_before = u32::MAX;
        loop {
            let port = self.link.ensure_open()?;
            let queued = match port.bytes_to_write() {
                Ok(n) => n,
                Err(e) => return Err(self.io_failure(io::Error::other(e))),
            };
            if queued == 0 {
                return Ok(());
            }
            if queued < queued_before {
                queued_before = queued;
                deadline = Instant::now() + stall;
            } else if Instant::now() >= deadline {
                let sent = total.saturating_sub(queued as usize);
                tracing::debug!(sent, total, "printer stopped taking data off the line");
                return Err(PrinterError::Stalled { sent, total });
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn io_failure(&mut self, source: io::Error) -> PrinterError {
        tracing::warn!(path = %self.link.path().display(), error = %source, "printer i/o failed, closing port");
        self.link.close();
        PrinterError::Serial(SerialError::Io { path: self.link.path().display().to_string(), source })
    }

    /// Prints `receipt`; see [`Printer::print_bytes`].
    pub fn print(&mut self, receipt: &Receipt) -> Result<(), PrinterError> {
        let bytes = receipt.encode()?;
        self.print_bytes(&bytes)
    }

    /// Sends an ESC/POS job. Checks the status first and returns [`PrinterError::NotReady`]
    /// without sending anything if the printer cannot print; checks it again after the job and
    /// returns [`PrinterError::NotReady`] if the printer fell over meanwhile, in which case the
    /// receipt may be missing or partial and should be printed again.
    pub fn print_bytes(&mut self, job: &[u8]) -> Result<(), PrinterError> {
        let before = self.status()?;
        if !before.can_print() {
            tracing::debug!(problem = before.problem(), "printer not ready; job not sent");
            return Err(PrinterError::NotReady(before));
        }
        self.write(job, self.stall_timeout)?;
        tracing::debug!(path = %self.link.path().display(), bytes = job.len(), "print job sent");
        let after = self.status()?;
        if !after.can_print() {
            tracing::debug!(problem = after.problem(), "printer failed during the job");
            return Err(PrinterError::NotReady(after));
        }
        if let Some(warning) = after.warning() {
            tracing::debug!(warning, "printer warning");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::printer::status::Paper;

    #[test]
    fn error_messages_and_classification() {
        let out = PrinterStatus { paper: Paper::Out, online: false, ..PrinterStatus::READY };
        let e = PrinterError::NotReady(out);
        assert_eq!(e.to_string(), "printer not ready: paper out");
        assert_eq!(e.status(), Some(&out));
        assert!(!e.is_disconnect());
        assert_eq!(PrinterError::Timeout.to_string(), "printer did not answer a status request");
        let e = PrinterError::from(StatusError::BadReply { n: 2, byte: 0xFF });
        assert_eq!(e.to_string(), "reply 0xff to status request 2 is not a status byte");
    }

    #[test]
    fn a_missing_device_is_a_disconnect_and_nothing_is_printed() {
        let mut p = Printer::open("/nonexistent/kiosk-printer", 115_200);
        let e = p.status().unwrap_err();
        assert!(e.is_disconnect(), "{e}");
        let e = p.print(&Receipt::new(crate::printer::PaperWidth::Mm58).line("x")).unwrap_err();
        assert!(e.is_disconnect(), "{e}");
        assert_eq!(p.status_timeout(), DEFAULT_STATUS_TIMEOUT);
    }
}
