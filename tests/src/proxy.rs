//! A fault-injecting HTTP/1.1 proxy for the link between sync agents and the platform (real
//! loopback TCP, std threads).
//!
//! Each request from a client is read whole (head and body, `Content-Length` or chunked) and,
//! while chaos is on, suffers one fault drawn at random:
//!
//! - `delay`: held 0.2–2.5 s, then forwarded;
//! - `drop_before`: the connection is closed without forwarding (the request never arrived);
//! - `drop_after`: forwarded, the platform answers, the answer is thrown away and the
//!   connection closed (the request was applied but the client cannot know);
//! - `reset`: the connection is reset (TCP RST) without forwarding;
//! - `reset_after`: forwarded, then reset instead of answering;
//! - `duplicate`: forwarded, answered, and the captured request replayed to the platform a
//!   second time (at once, or 0.5–3 s later from another connection);
//! - `error_5xx`: the proxy answers 500, 502 or 503 (`Retry-After: 1`) itself without forwarding;
//! - `error_after`: forwarded, then answered 502 (applied, but the client sees a failure).
//!
//! Without chaos every request passes unchanged. The upstream address can change (a restarted
//! platform keeps its port, but the proxy does not care).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::rng::Rng;

/// The faults, in the order of `Stats`.
pub const FAULTS: &[&str] = &["pass", "delay", "drop_before", "drop_after", "reset", "reset_after", "duplicate", "error_5xx", "error_after", "upstream_down"];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    Pass = 0,
    Delay,
    DropBefore,
    DropAfter,
    Reset,
    ResetAfter,
    Duplicate,
    Error5xx,
    ErrorAfter,
}

const UPSTREAM_DOWN: usize = 9;

/// Longest HTTP head accepted (the agent's are far smaller).
const MAX_HEAD: usize = 64 * 1024;
/// Longest body accepted (outbox batches are bounded well below this).
const MAX_BODY: usize = 64 * 1024 * 1024;

struct Shared {
    upstream: Mutex<SocketAddr>,
    chaos: AtomicBool,
    /// Probability (per mille) that a request suffers a fault while chaos is on.
    fault_per_mille: AtomicU64,
    /// Longest `delay`, in milliseconds.
    max_delay_ms: AtomicU64,
    stopping: AtomicBool,
    stats: [AtomicU64; 10],
    /// Replays answered by the platform, by class: 2xx, 4xx, other.
    replay_answers: [AtomicU64; 3],
    rng: Mutex<Rng>,
}

/// The proxy; stops accepting when dropped (open connections end with their clients).
pub struct FaultProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

impl FaultProxy {
    /// Listens on a free loopback port and forwards to `upstream`.
    pub fn start(upstream: SocketAddr, seed: u64) -> std::io::Result<FaultProxy> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            upstream: Mutex::new(upstream),
            chaos: AtomicBool::new(false),
            fault_per_mille: AtomicU64::new(350),
            max_delay_ms: AtomicU64::new(2500),
            stopping: AtomicBool::new(false),
            stats: Default::default(),
            replay_answers: Default::default(),
            rng: Mutex::new(Rng::new(seed)),
        });
        let s = Arc::clone(&shared);
        std::thread::Builder::new().name("proxy-accept".into()).spawn(move || {
            for conn in listener.incoming() {
                if s.stopping.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let s = Arc::clone(&s);
                let _ = std::thread::Builder::new().name("proxy-conn".into()).spawn(move || serve(conn, &s));
            }
        })?;
        Ok(FaultProxy { addr, shared })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn set_upstream(&self, upstream: SocketAddr) {
        *self.shared.upstream.lock().unwrap_or_else(|e| e.into_inner()) = upstream;
    }

    /// Turns fault injection on or off.
    pub fn set_chaos(&self, on: bool) {
        self.shared.chaos.store(on, Ordering::SeqCst);
    }

    /// The share of requests (0..=1000 per mille) that suffer a fault while chaos is on.
    pub fn set_fault_rate(&self, per_mille: u64) {
        self.shared.fault_per_mille.store(per_mille.min(1000), Ordering::SeqCst);
    }

    /// The longest `delay` fault, in milliseconds (default 2500).
    pub fn set_max_delay_ms(&self, ms: u64) {
        self.shared.max_delay_ms.store(ms.max(1), Ordering::SeqCst);
    }

    /// Requests seen per fault (names in `FAULTS`).
    pub fn stats(&self) -> Vec<(&'static str, u64)> {
        FAULTS.iter().zip(self.shared.stats.iter()).map(|(n, c)| (*n, c.load(Ordering::Relaxed))).collect()
    }

    /// How the platform answered the replayed requests: (2xx, 4xx, other).
    pub fn replay_answers(&self) -> (u64, u64, u64) {
        let a = &self.shared.replay_answers;
        (a[0].load(Ordering::Relaxed), a[1].load(Ordering::Relaxed), a[2].load(Ordering::Relaxed))
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees `stopping`.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
    }
}

/// One HTTP message as it came off the wire.
#[derive(Clone, Debug)]
pub struct Message {
    /// Head and body, byte for byte.
    pub raw: Vec<u8>,
    /// The start line (request line or status line).
    pub start: String,
    /// The connection ends after this message (`Connection: close`, or a body read to EOF).
    pub close: bool,
}

impl Message {
    /// The status code of a response.
    pub fn status(&self) -> Option<u16> {
        self.start.split_whitespace().nth(1)?.parse().ok()
    }
}

fn bad(msg: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, msg.to_string())
}

/// Reads one message. `Ok(None)`: the peer closed cleanly before a new message began.
/// `head_request`: the response answers a HEAD request (no body).
pub fn read_message(r: &mut impl BufRead, is_response: bool, head_request: bool) -> std::io::Result<Option<Message>> {
    let mut raw = Vec::new();
    let mut start = String::new();
    let mut content_length: Option<usize> = None;
    let mut chunked = false;
    let mut close = false;
    loop {
        let mut line = Vec::new();
        let n = r.by_ref().take((MAX_HEAD + 1) as u64).read_until(b'\n', &mut line)?;
        if n == 0 {
            if raw.is_empty() {
                return Ok(None);
            }
            return Err(bad("connection closed inside a head"));
        }
        raw.extend_from_slice(&line);
        if raw.len() > MAX_HEAD {
            return Err(bad("head too long"));
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if start.is_empty() {
            if text.is_empty() {
                // Tolerate stray CRLF between messages.
                raw.clear();
                continue;
            }
            start = text.to_string();
            continue;
        }
        if text.is_empty() {
            break;
        }
        let Some((name, value)) = text.split_once(':') else { return Err(bad("malformed header")) };
        let (name, value) = (name.trim().to_ascii_lowercase(), value.trim());
        match name.as_str() {
            "content-length" => content_length = Some(value.parse().map_err(|_| bad("bad content-length"))?),
            "transfer-encoding" => chunked = value.to_ascii_lowercase().contains("chunked"),
            "connection" => close = value.eq_ignore_ascii_case("close"),
            _ => {}
        }
    }
    let status: Option<u16> = if is_response { start.split_whitespace().nth(1).and_then(|s| s.parse().ok()) } else { None };
    let no_body = is_response && (head_request || status.is_some_and(|s| (100..200).contains(&s) || s == 204 || s == 304));
    if no_body {
        return Ok(Some(Message { raw, start, close }));
    }
    if chunked {
        loop {
            let mut line = Vec::new();
            if r.by_ref().take(1024).read_until(b'\n', &mut line)? == 0 {
                return Err(bad("connection closed inside a chunked body"));
            }
            raw.extend_from_slice(&line);
            let size_text = String::from_utf8_lossy(&line);
            let size_text = size_text.trim().split(';').next().unwrap_or("");
            let size = usize::from_str_radix(size_text, 16).map_err(|_| bad("bad chunk size"))?;
            if raw.len() + size > MAX_BODY {
                return Err(bad("body too long"));
            }
            if size == 0 {
                // Trailers, then the empty line.
                loop {
                    let mut t = Vec::new();
                    if r.by_ref().take(MAX_HEAD as u64).read_until(b'\n', &mut t)? == 0 {
                        return Err(bad("connection closed inside trailers"));
                    }
                    raw.extend_from_slice(&t);
                    if t == b"\r\n" || t == b"\n" {
                        break;
                    }
                }
                break;
            }
            let mut chunk = vec![0; size + 2];
            r.read_exact(&mut chunk)?;
            raw.extend_from_slice(&chunk);
        }
    } else if let Some(n) = content_length {
        if n > MAX_BODY {
            return Err(bad("body too long"));
        }
        let at = raw.len();
        raw.resize(at + n, 0);
        r.read_exact(&mut raw[at..])?;
    } else if is_response {
        // No length: the body runs to the end of the connection.
        r.by_ref().take(MAX_BODY as u64).read_to_end(&mut raw)?;
        close = true;
    }
    Ok(Some(Message { raw, start, close }))
}

/// Sends `request` to `upstream` on a new connection and reads the answer.
pub fn exchange(upstream: SocketAddr, request: &Message, timeout: Duration) -> std::io::Result<Message> {
    let mut s = TcpStream::connect_timeout(&upstream, Duration::from_secs(2))?;
    s.set_read_timeout(Some(timeout))?;
    s.set_write_timeout(Some(timeout))?;
    s.set_nodelay(true)?;
    s.write_all(&request.raw)?;
    let head = request.start.starts_with("HEAD ");
    read_message(&mut BufReader::new(s), true, head)?.ok_or_else(|| bad("upstream closed without answering"))
}

fn synthetic(status: u16, reason: &str, retry_after: bool) -> Vec<u8> {
    let body = format!("{{\"error\":\"proxy_{status}\",\"message\":\"{reason} (injected by the soak's proxy)\"}}");
    let mut r = format!("HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n", body.len());
    if retry_after {
        r.push_str("retry-after: 1\r\n");
    }
    r.push_str("\r\n");
    r.push_str(&body);
    r.into_bytes()
}

/// Closes `s` with a TCP reset (SO_LINGER 0).
fn reset(s: TcpStream) {
    let linger = libc::linger { l_onoff: 1, l_linger: 0 };
    // SAFETY: a valid socket descriptor and a correctly sized option value.
    unsafe {
        libc::setsockopt(s.as_raw_fd(), libc::SOL_SOCKET, libc::SO_LINGER, (&linger as *const libc::linger).cast(), std::mem::size_of::<libc::linger>() as libc::socklen_t);
    }
    drop(s);
}

fn pick(shared: &Shared) -> (Fault, u64) {
    let mut rng = shared.rng.lock().unwrap_or_else(|e| e.into_inner());
    let extra = rng.next_u64();
    if !shared.chaos.load(Ordering::SeqCst) || rng.below(1000) >= shared.fault_per_mille.load(Ordering::SeqCst) {
        return (Fault::Pass, extra);
    }
    let f = match rng.below(100) {
        0..=17 => Fault::Delay,
        18..=29 => Fault::DropBefore,
        30..=41 => Fault::DropAfter,
        42..=49 => Fault::Reset,
        50..=57 => Fault::ResetAfter,
        58..=75 => Fault::Duplicate,
        76..=89 => Fault::Error5xx,
        _ => Fault::ErrorAfter,
    };
    (f, extra)
}

fn upstream(shared: &Shared) -> SocketAddr {
    *shared.upstream.lock().unwrap_or_else(|e| e.into_inner())
}

/// Forwards, or answers 502/504 like a real reverse proxy when the platform is unreachable.
fn forward(shared: &Shared, request: &Message) -> Message {
    match exchange(upstream(shared), request, Duration::from_secs(20)) {
        Ok(m) => m,
        Err(e) => {
            shared.stats[UPSTREAM_DOWN].fetch_add(1, Ordering::Relaxed);
            let timed_out = matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut);
            let raw = if timed_out { synthetic(504, "Gateway Timeout", false) } else { synthetic(502, "Bad Gateway", false) };
            Message { raw, start: String::new(), close: true }
        }
    }
}

fn replay(shared: &Arc<Shared>, request: &Message, later_ms: Option<u64>) {
    let count = |shared: &Shared, answer: std::io::Result<Message>| {
        let class = match answer.ok().and_then(|m| m.status()) {
            Some(s) if (200..300).contains(&s) => 0,
            Some(s) if (400..500).contains(&s) => 1,
            _ => 2,
        };
        shared.replay_answers[class].fetch_add(1, Ordering::Relaxed);
    };
    match later_ms {
        None => count(shared, exchange(upstream(shared), request, Duration::from_secs(20))),
        Some(ms) => {
            let (shared, request) = (Arc::clone(shared), request.clone());
            let _ = std::thread::Builder::new().name("proxy-replay".into()).spawn(move || {
                std::thread::sleep(Duration::from_millis(ms));
                count(&shared, exchange(upstream(&shared), &request, Duration::from_secs(20)));
            });
        }
    }
}

fn serve(client: TcpStream, shared: &Arc<Shared>) {
    let _ = client.set_nodelay(true);
    // An idle keep-alive connection is closed after a while; the client opens another.
    let _ = client.set_read_timeout(Some(Duration::from_secs(60)));
    let Ok(write_half) = client.try_clone() else { return };
    let mut writer = write_half;
    let mut reader = BufReader::new(client);
    loop {
        let request = match read_message(&mut reader, false, false) {
            Ok(Some(m)) => m,
            _ => return,
        };
        let (fault, extra) = pick(shared);
        shared.stats[fault as usize].fetch_add(1, Ordering::Relaxed);
        let answer = match fault {
            Fault::Pass => forward(shared, &request),
            Fault::Delay => {
                let max = shared.max_delay_ms.load(Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(max.min(200) + extra % max));
                forward(shared, &request)
            }
            Fault::DropBefore => {
                let _ = writer.shutdown(Shutdown::Both);
                return;
            }
            Fault::DropAfter => {
                let _ = forward(shared, &request);
                let _ = writer.shutdown(Shutdown::Both);
                return;
            }
            Fault::Reset => {
                reset(writer);
                return;
            }
            Fault::ResetAfter => {
                let _ = forward(shared, &request);
                reset(writer);
                return;
            }
            Fault::Duplicate => {
                let first = forward(shared, &request);
                replay(shared, &request, if extra % 2 == 0 { None } else { Some(500 + extra % 2500) });
                first
            }
            Fault::Error5xx => {
                let (status, reason, retry) = [(500, "Internal Server Error", false), (502, "Bad Gateway", false), (503, "Service Unavailable", true)][(extra % 3) as usize];
                Message { raw: synthetic(status, reason, retry), start: String::new(), close: false }
            }
            Fault::ErrorAfter => {
                let _ = forward(shared, &request);
                Message { raw: synthetic(502, "Bad Gateway", false), start: String::new(), close: false }
            }
        };
        if writer.write_all(&answer.raw).is_err() || answer.close || request.close {
            let _ = writer.shutdown(Shutdown::Both);
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tiny upstream on loopback counting requests: answers each with its count.
    fn upstream_server() -> (SocketAddr, Arc<AtomicU64>) {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let n = Arc::new(AtomicU64::new(0));
        let c = Arc::clone(&n);
        std::thread::spawn(move || {
            for s in l.incoming() {
                let Ok(s) = s else { continue };
                let c = Arc::clone(&c);
                std::thread::spawn(move || {
                    let mut w = s.try_clone().unwrap();
                    let mut r = BufReader::new(s);
                    while let Ok(Some(_)) = read_message(&mut r, false, false) {
                        let k = c.fetch_add(1, Ordering::SeqCst) + 1;
                        let body = format!("{k}");
                        let _ = w.write_all(format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{body}", body.len()).as_bytes());
                    }
                });
            }
        });
        (addr, n)
    }

    fn post(proxy: SocketAddr, body: &str) -> std::io::Result<Message> {
        let req = format!("POST /x HTTP/1.1\r\nhost: t\r\ncontent-length: {}\r\n\r\n{body}", body.len());
        exchange(proxy, &Message { raw: req.into_bytes(), start: "POST /x HTTP/1.1".into(), close: false }, Duration::from_secs(10))
    }

    #[test]
    fn without_chaos_requests_pass_unchanged() {
        let (up, n) = upstream_server();
        let p = FaultProxy::start(up, 1).unwrap();
        for i in 1..=5 {
            let m = post(p.addr(), "hello").unwrap();
            assert_eq!(m.status(), Some(200));
            assert!(m.raw.ends_with(i.to_string().as_bytes()));
        }
        assert_eq!(n.load(Ordering::SeqCst), 5);
    }

    #[test]
    fn with_every_request_faulted_each_kind_happens_and_replays_reach_the_upstream() {
        let (up, n) = upstream_server();
        let p = FaultProxy::start(up, 7).unwrap();
        p.set_chaos(true);
        p.set_fault_rate(1000);
        p.set_max_delay_ms(20);
        let mut answered = 0;
        for _ in 0..300 {
            if post(p.addr(), "x").is_ok() {
                answered += 1;
            }
        }
        std::thread::sleep(Duration::from_secs(4));
        let stats: std::collections::HashMap<_, _> = p.stats().into_iter().collect();
        for f in ["delay", "drop_before", "drop_after", "reset", "reset_after", "duplicate", "error_5xx", "error_after"] {
            assert!(stats[f] > 0, "{f} never happened: {stats:?}");
        }
        assert_eq!(stats["pass"], 0);
        let (ok, _, _) = p.replay_answers();
        assert_eq!(ok, stats["duplicate"], "every replay reached the upstream");
        // Forwarded: everything but drop_before, reset and error_5xx, plus the replays.
        let forwarded = 300 - stats["drop_before"] - stats["reset"] - stats["error_5xx"] + stats["duplicate"];
        assert_eq!(n.load(Ordering::SeqCst), forwarded);
        assert!(answered > 0 && answered < 300);
    }

    #[test]
    fn chunked_and_bodiless_messages_are_framed() {
        let text = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\nHTTP/1.1 304 Not Modified\r\netag: x\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
        let mut r = BufReader::new(&text[..]);
        let a = read_message(&mut r, true, false).unwrap().unwrap();
        assert!(a.raw.ends_with(b"0\r\n\r\n"));
        let b = read_message(&mut r, true, false).unwrap().unwrap();
        assert_eq!(b.status(), Some(304));
        let c = read_message(&mut r, true, false).unwrap().unwrap();
        assert!(c.raw.ends_with(b"ok"));
        assert!(read_message(&mut r, true, false).unwrap().is_none());
        // Hostile input is an error, never a panic.
        for bad in [&b"GET / HTTP/1.1\r\ncontent-length: x\r\n\r\n"[..], b"GET / HTTP/1.1\r\nnocolon\r\n\r\n", b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n"] {
            assert!(read_message(&mut BufReader::new(bad), true, false).is_err());
        }
    }
}
