//! Serial plumbing shared by both device transports and both simulators.
//!
//! - [`SerialLink`]: the host side. Opens a port *by path* (so udev symlinks such as
//!   `/dev/kiosk-idcard` keep working after a USB replug gives the device a new `ttyUSBn`),
//!   notices an unplug (`Ok(0)`, `BrokenPipe`, `EIO`, a vanished path) and reopens on the next use.
//! - [`PtyLink`]: the simulator side. A pseudo-terminal pair whose slave is published under a
//!   caller-chosen symlink; the symlink is removed again on drop.
//!
//! Reads go through [`SerialLink::read_some`], which returns whatever arrived before a deadline;
//! callers feed the bytes to a sans-IO decoder and loop until it yields a frame.

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serialport::{SerialPort, TTYPort};

/// Errors of the serial layer. The link is already marked closed when one of these is returned
/// for an I/O failure, so the next call reopens the port.
#[derive(Debug, thiserror::Error)]
pub enum SerialError {
    /// The device path does not exist or cannot be opened (reader or printer unplugged).
    #[error("cannot open {path}: {source}")]
    Open { path: String, source: serialport::Error },
    /// The port was open but reading or writing failed (typically an unplug).
    #[error("i/o error on {path}: {source}")]
    Io { path: String, source: io::Error },
    /// The device did not answer before the deadline.
    #[error("timed out after {waited_ms} ms waiting for {path}")]
    Timeout { path: String, waited_ms: u64 },
}

impl SerialError {
    /// True when the device is unreachable (unplugged, path missing) rather than slow.
    pub fn is_disconnect(&self) -> bool {
        matches!(self, SerialError::Open { .. } | SerialError::Io { .. })
    }
}

/// A host-side serial port opened lazily by path, reopened after an unplug.
pub struct SerialLink {
    path: PathBuf,
    baud: u32,
    port: Option<TTYPort>,
    reopen_count: u64,
    write_timeout: Duration,
    drain_writes: bool,
}

impl std::fmt::Debug for SerialLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SerialLink")
            .field("path", &self.path)
            .field("baud", &self.baud)
            .field("open", &self.port.is_some())
            .finish()
    }
}

/// How long a single blocking read may wait inside [`SerialLink::read_some`]; short, so
/// deadlines are honoured closely.
const POLL_SLICE: Duration = Duration::from_millis(20);

/// How long [`SerialLink::write_all`] waits for a device that does not take bytes, by default.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(5);

impl SerialLink {
    /// A link to `path` at `baud` (8N1, no flow control). Nothing is opened yet.
    pub fn new(path: impl Into<PathBuf>, baud: u32) -> Self {
        SerialLink { path: path.into(), baud, port: None, reopen_count: 0, write_timeout: WRITE_TIMEOUT, drain_writes: true }
    }

    /// Whether [`SerialLink::write_all`] waits until the bytes have left (`tcdrain`), the
    /// default. A console talking to a person need not wait for every echoed byte.
    pub fn set_drain_writes(&mut self, drain: bool) {
        self.drain_writes = drain;
    }

    /// How long [`SerialLink::write_all`] waits for a peer that does not take bytes.
    pub fn set_write_timeout(&mut self, timeout: Duration) {
        self.write_timeout = timeout;
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn baud(&self) -> u32 {
        self.baud
    }

    /// Changes the baud rate used from the next (re)open on; the open port is closed.
    pub fn set_baud(&mut self, baud: u32) {
        self.baud = baud;
        self.port = None;
    }

    /// How many times the port has been opened (1 after the first successful open).
    pub fn open_count(&self) -> u64 {
        self.reopen_count
    }

    pub fn is_open(&self) -> bool {
        self.port.is_some()
    }

    /// Closes the port; the next use reopens it by path.
    pub fn close(&mut self) {
        self.port = None;
    }

    fn path_string(&self) -> String {
        self.path.display().to_string()
    }

    /// Opens the port if it is not open. Resolves the path afresh each time, so a symlink that
    /// now points at another device is followed.
    pub fn ensure_open(&mut self) -> Result<&mut TTYPort, SerialError> {
        if self.port.is_none() {
            let path = self.path_string();
            let mut port = serialport::new(&path, self.baud)
                .data_bits(serialport::DataBits::Eight)
                .parity(serialport::Parity::None)
                .stop_bits(serialport::StopBits::One)
                .flow_control(serialport::FlowControl::None)
                .timeout(POLL_SLICE)
                .open_native()
                .map_err(|source| SerialError::Open { path: path.clone(), source })?;
            // Shared access: technicians may attach a monitor; the kiosk is the only writer.
            let _ = port.set_exclusive(false);
            tracing::debug!(path = %path, baud = self.baud, "serial port opened");
            self.port = Some(port);
            self.reopen_count += 1;
        }
        Ok(self.port.as_mut().expect("port was just opened"))
    }

    fn io_error(&mut self, source: io::Error) -> SerialError {
        tracing::warn!(path = %self.path.display(), error = %source, "serial i/o failed, closing port");
        self.port = None;
        SerialError::Io { path: self.path_string(), source }
    }

    /// Writes all of `bytes` and flushes. A device that is slow to take the bytes (a printer
    /// busy printing, a full output queue) is waited for up to the write timeout
    /// ([`WRITE_TIMEOUT`] unless set) and then reported as a timeout, not as an unplug.
    pub fn write_all(&mut self, bytes: &[u8]) -> Result<(), SerialError> {
        let started = Instant::now();
        let mut written = 0;
        while written < bytes.len() {
            let port = self.ensure_open()?;
            match port.write(&bytes[written..]) {
                Ok(0) => return Err(self.io_error(io::ErrorKind::WriteZero.into())),
                Ok(n) => written += n,
                Err(e) if matches!(e.kind(), io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted) => {
                    if started.elapsed() >= self.write_timeout {
                        return Err(SerialError::Timeout { path: self.path_string(), waited_ms: started.elapsed().as_millis() as u64 });
                    }
                }
                Err(e) => return Err(self.io_error(e)),
            }
        }
        if !self.drain_writes {
            return Ok(());
        }
        let port = self.ensure_open()?;
        port.flush().map_err(|e| self.io_error(e))
    }

    /// Discards whatever is waiting in the input buffer (stale replies, status bytes).
    pub fn drain_input(&mut self) -> Result<usize, SerialError> {
        self.ensure_open()?;
        let mut drained = 0;
        let mut buf = [0u8; 256];
        loop {
            let port = self.port.as_mut().expect("opened above");
            let _ = port.clear(serialport::ClearBuffer::Input);
            let waiting = match port.bytes_to_read() {
                Ok(n) => n,
                Err(e) => return Err(self.io_error(io::Error::other(e))),
            };
            if waiting == 0 {
                return Ok(drained);
            }
            match port.read(&mut buf) {
                Ok(0) => return Err(self.io_error(io::ErrorKind::BrokenPipe.into())),
                Ok(n) => drained += n,
                Err(e) if e.kind() == io::ErrorKind::TimedOut => return Ok(drained),
                Err(e) => return Err(self.io_error(e)),
            }
        }
    }

    /// Reads whatever arrives into `buf` before `deadline`. Returns `Ok(n)` with `n > 0` as soon
    /// as any bytes are there, [`SerialError::Timeout`] if none came in time. Repeated `Ok(0)`
    /// from the OS (the way an unplugged USB adapter looks) is reported as an I/O error.
    pub fn read_some(&mut self, buf: &mut [u8], deadline: Instant) -> Result<usize, SerialError> {
        let started = Instant::now();
        let mut zero_reads = 0;
        loop {
            let now = Instant::now();
            if now >= deadline {
                return Err(SerialError::Timeout {
                    path: self.path_string(),
                    waited_ms: started.elapsed().as_millis() as u64,
                });
            }
            let slice = (deadline - now).min(POLL_SLICE).max(Duration::from_millis(1));
            let port = self.ensure_open()?;
            if let Err(e) = port.set_timeout(slice) {
                return Err(self.io_error(io::Error::other(e)));
            }
            match port.read(buf) {
                Ok(0) => {
                    zero_reads += 1;
                    if zero_reads >= 3 {
                        return Err(self.io_error(io::ErrorKind::BrokenPipe.into()));
                    }
                }
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == io::ErrorKind::TimedOut || e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.io_error(e)),
            }
            if !self.path.exists() {
                // The symlink or device node vanished: the device was unplugged.
                return Err(self.io_error(io::Error::new(io::ErrorKind::NotFound, "device path vanished")));
            }
        }
    }
}

/// The simulator side of a virtual serial device: a pty pair, with the slave's device path
/// published as a symlink at `link`. The slave stays open here too, so the master never sees a
/// hang-up between two host connections.
pub struct PtyLink {
    master: TTYPort,
    _slave: TTYPort,
    device: PathBuf,
    link: PathBuf,
}

impl PtyLink {
    /// Creates the pty pair and the symlink `link -> /dev/pts/N`, replacing a stale link left by
    /// a killed simulator. Refuses to replace anything that is not a symlink.
    pub fn create(link: &Path) -> io::Result<PtyLink> {
        let (mut master, slave) = TTYPort::pair().map_err(io::Error::other)?;
        master.set_timeout(POLL_SLICE).map_err(io::Error::other)?;
        let device = PathBuf::from(slave.name().ok_or_else(|| io::Error::other("pty slave has no name"))?);
        match std::fs::symlink_metadata(link) {
            Ok(meta) if meta.file_type().is_symlink() => std::fs::remove_file(link)?,
            Ok(_) => {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    format!("{} exists and is not a symlink; not replacing it", link.display()),
                ));
            }
            Err(_) => {}
        }
        if let Some(parent) = link.parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent)?;
            }
        }
        std::os::unix::fs::symlink(&device, link)?;
        Ok(PtyLink { master, _slave: slave, device, link: link.to_path_buf() })
    }

    /// The pty slave device, e.g. `/dev/pts/7`.
    pub fn device(&self) -> &Path {
        &self.device
    }

    /// The published symlink.
    pub fn link(&self) -> &Path {
        &self.link
    }

    /// The master end, which the simulator reads requests from and writes replies to.
    pub fn master(&mut self) -> &mut TTYPort {
        &mut self.master
    }

    /// Reads what the host sent, waiting at most one poll slice. `Ok(0)` means nothing arrived.
    pub fn read_some(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.master.read(buf) {
            Ok(n) => Ok(n),
            Err(e) if matches!(e.kind(), io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted) => Ok(0),
            Err(e) => Err(e),
        }
    }

    /// Writes `bytes` to the host, paced as a UART at `baud` would send them (10 bits a byte)
    /// when `baud` is given, at once otherwise.
    pub fn write_paced(&mut self, bytes: &[u8], baud: Option<u32>) -> io::Result<()> {
        let Some(baud) = baud.filter(|b| *b > 0) else {
            self.master.write_all(bytes)?;
            return self.master.flush();
        };
        // Send in chunks of ~2 ms of wire time, each when its last byte would have arrived
        // over a real UART, so the receiver never sees a byte earlier than the wire allows.
        let chunk = ((baud as usize / 10) / 500).max(1);
        let start = Instant::now();
        let mut sent = 0usize;
        for piece in bytes.chunks(chunk) {
            sent += piece.len();
            let due = wire_time(sent, baud);
            let elapsed = start.elapsed();
            if due > elapsed {
                std::thread::sleep(due - elapsed);
            }
            self.master.write_all(piece)?;
            self.master.flush()?;
        }
        Ok(())
    }
}

impl Drop for PtyLink {
    fn drop(&mut self) {
        // Remove the link only if it still points at our device (another simulator may own it).
        if std::fs::read_link(&self.link).map(|t| t == self.device).unwrap_or(false) {
            let _ = std::fs::remove_file(&self.link);
        }
    }
}

/// Time a UART at `baud` with 8N1 framing (10 bits a byte) needs to send `bytes` bytes.
pub fn wire_time(bytes: usize, baud: u32) -> Duration {
    if baud == 0 {
        return Duration::ZERO;
    }
    Duration::from_nanos((bytes as u64 * 10 * 1_000_000_000) / baud as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_time_of_a_full_read_reply_at_115200() {
        // 1295 bytes at 115200 baud is the ~0.11 s the protocol notes quote.
        let t = wire_time(1295, 115_200);
        assert!(t > Duration::from_millis(110) && t < Duration::from_millis(115), "{t:?}");
        assert_eq!(wire_time(10, 0), Duration::ZERO);
    }

    #[test]
    fn pty_link_round_trip_and_link_cleanup() {
        let dir = std::env::temp_dir().join(format!("kiosk-serial-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let link = dir.join("dev");
        let mut pty = PtyLink::create(&link).unwrap();
        assert_eq!(std::fs::read_link(&link).unwrap(), pty.device());

        let mut host = SerialLink::new(&link, 115_200);
        host.write_all(b"ping").unwrap();
        let mut buf = [0u8; 16];
        let mut got = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(2);
        while got.len() < 4 && Instant::now() < deadline {
            let n = pty.read_some(&mut buf).unwrap();
            got.extend_from_slice(&buf[..n]);
        }
        assert_eq!(got, b"ping");
        pty.write_paced(b"pong", Some(115_200)).unwrap();
        let n = host.read_some(&mut buf, Instant::now() + Duration::from_secs(2)).unwrap();
        assert!(n > 0 && b"pong".starts_with(&buf[..n]));
        drop(pty);
        assert!(!link.exists(), "link removed with the simulator");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn opening_a_missing_path_is_a_disconnect() {
        let mut host = SerialLink::new("/nonexistent/kiosk-reader", 115_200);
        let err = host.write_all(b"x").unwrap_err();
        assert!(err.is_disconnect(), "{err}");
    }

    #[test]
    fn pty_link_refuses_to_replace_a_regular_file() {
        let dir = std::env::temp_dir().join(format!("kiosk-serial-test-file-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("not-a-link");
        std::fs::write(&file, b"keep me").unwrap();
        assert!(PtyLink::create(&file).is_err());
        assert_eq!(std::fs::read(&file).unwrap(), b"keep me");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
