//! A small blocking client for kioskd's local API (HTTP/1.1 over the Unix socket), for the UI,
//! tests, the demo and tools. One request per connection; the event stream is read line by line.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot reach {path}: {source}")]
    Connect { path: String, source: std::io::Error },
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    #[error("malformed response: {0}")]
    Malformed(String),
}

#[derive(Debug, Clone)]
pub struct Client {
    socket: PathBuf,
    token: Option<String>,
    timeout: Duration,
}

/// A response: status and JSON body (`Value::Null` when the body is not JSON).
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    pub status: u16,
    pub body: Value,
}

impl Response {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

impl Client {
    pub fn new(socket: impl Into<PathBuf>) -> Client {
        Client { socket: socket.into(), token: None, timeout: Duration::from_secs(10) }
    }

    /// Uses this maintenance token on every request.
    pub fn with_token(mut self, token: &str) -> Client {
        self.token = Some(token.to_string());
        self
    }

    pub fn socket(&self) -> &Path {
        &self.socket
    }

    fn connect(&self) -> Result<UnixStream, ClientError> {
        let s = UnixStream::connect(&self.socket).map_err(|source| ClientError::Connect { path: self.socket.display().to_string(), source })?;
        s.set_read_timeout(Some(self.timeout))?;
        s.set_write_timeout(Some(self.timeout))?;
        Ok(s)
    }

    fn head(&self, method: &str, path: &str, len: usize) -> String {
        // Keep-alive (the default): the server reads the whole request before answering and
        // never resets a connection with unread bytes in it; the response is framed by its
        // length, and the connection is dropped after one exchange.
        let mut h = format!("{method} {path} HTTP/1.1\r\nHost: kioskd\r\nContent-Type: application/json\r\nContent-Length: {len}\r\n");
        if let Some(t) = &self.token {
            h.push_str(&format!("Authorization: Bearer {t}\r\n"));
        }
        h.push_str("\r\n");
        h
    }

    pub fn request(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Response, ClientError> {
        // GET carries no body.
        let payload = if method == "GET" { String::new() } else { body.map(|b| b.to_string()).unwrap_or_default() };
        let mut s = self.connect()?;
        let mut request = self.head(method, path, payload.len()).into_bytes();
        request.extend_from_slice(payload.as_bytes());
        if let Err(e) = s.write_all(&request) {
            // A server that answered early (an error about the head) may have closed its end:
            // its answer is still worth reading.
            if !matches!(e.kind(), std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset) {
                return Err(e.into());
            }
        }
        read_response(&mut BufReader::new(s))
    }

    pub fn get(&self, path: &str) -> Result<Response, ClientError> {
        self.request("GET", path, None)
    }

    pub fn post(&self, path: &str, body: Value) -> Result<Response, ClientError> {
        self.request("POST", path, Some(&body))
    }

    /// Opens the event stream.
    pub fn events(&self) -> Result<Events, ClientError> {
        let mut s = self.connect()?;
        s.set_read_timeout(None)?;
        s.write_all(self.head("GET", "/v1/events", 0).as_bytes())?;
        let mut reader = BufReader::new(s);
        let mut line = String::new();
        // Skip the response head.
        loop {
            line.clear();
            if reader.read_line(&mut line)? == 0 {
                return Err(ClientError::Malformed("event stream closed".into()));
            }
            if line == "\r\n" || line == "\n" {
                break;
            }
        }
        Ok(Events { reader, closed: false })
    }
}

fn read_response(r: &mut impl BufRead) -> Result<Response, ClientError> {
    let mut status = None;
    let mut length = None;
    let mut chunked = false;
    let mut line = String::new();
    loop {
        line.clear();
        if r.read_line(&mut line)? == 0 {
            return Err(ClientError::Malformed("connection closed in the response head".into()));
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if status.is_none() {
            status = l.split_whitespace().nth(1).and_then(|s| s.parse::<u16>().ok());
            continue;
        }
        let lower = l.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            length = v.trim().parse::<usize>().ok();
        } else if lower.starts_with("transfer-encoding:") && lower.contains("chunked") {
            chunked = true;
        }
    }
    let status = status.ok_or_else(|| ClientError::Malformed("no status line".into()))?;
    let mut body = Vec::new();
    if chunked {
        loop {
            line.clear();
            r.read_line(&mut line)?;
            let size = usize::from_str_radix(line.trim(), 16).map_err(|_| ClientError::Malformed("chunk size".into()))?;
            if size == 0 {
                break;
            }
            let mut chunk = vec![0u8; size + 2];
            r.read_exact(&mut chunk)?;
            body.extend_from_slice(&chunk[..size]);
        }
    } else if let Some(n) = length {
        if n > 16 * 1024 * 1024 {
            return Err(ClientError::Malformed("response too large".into()));
        }
        body.resize(n, 0);
        r.read_exact(&mut body)?;
    } else {
        r.read_to_end(&mut body)?;
    }
    Ok(Response { status, body: serde_json::from_slice(&body).unwrap_or(Value::Null) })
}

/// Server-sent events, one `(event, data)` at a time.
pub struct Events {
    reader: BufReader<UnixStream>,
    closed: bool,
}

impl Events {
    /// The next event, skipping keep-alive comments. Chunked framing lines are ignored.
    pub fn next_event(&mut self, timeout: Duration) -> Result<Option<(String, Value)>, ClientError> {
        self.reader.get_ref().set_read_timeout(Some(timeout))?;
        let mut event = String::new();
        let mut data = String::new();
        let mut line = String::new();
        loop {
            line.clear();
            match self.reader.read_line(&mut line) {
                Ok(0) => {
                    self.closed = true;
                    return Ok(None);
                }
                Ok(_) => {}
                Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => return Ok(None),
                Err(e) => return Err(e.into()),
            }
            let l = line.trim_end_matches(['\r', '\n']);
            if let Some(v) = l.strip_prefix("event:") {
                event = v.trim().to_string();
            } else if let Some(v) = l.strip_prefix("data:") {
                data.push_str(v.trim_start());
            } else if l.is_empty() && !event.is_empty() {
                return Ok(Some((event, serde_json::from_str(&data).unwrap_or(Value::Null))));
            }
        }
    }

    /// Whether the daemon closed the stream (a `None` from [`Events::next_event`] then means
    /// the end, not a quiet moment).
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Waits for an event named `name` whose data satisfies `pred`.
    pub fn wait_for(&mut self, name: &str, timeout: Duration, pred: impl Fn(&Value) -> bool) -> Result<Option<Value>, ClientError> {
        let deadline = std::time::Instant::now() + timeout;
        while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
            match self.next_event(left)? {
                Some((e, d)) if e == name && pred(&d) => return Ok(Some(d)),
                Some(_) => {}
                None => return Ok(None),
            }
        }
        Ok(None)
    }
}
