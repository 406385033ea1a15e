//! Small blocking HTTP/1.1 clients over `std::net::TcpStream` (plain HTTP: run them on the
//! platform host or through a tunnel; TLS is the reverse proxy's): [`HttpClient`], the signed
//! [`DeviceClient`] a terminal would be (used by the tests and benchmarks, and a reference for
//! the agent), and [`AdminClient`] behind `kiosk-platform admin`. One request per connection.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

use kiosk_wire::sign::{nonce_from_bytes, sign_request, SigningKey};
use serde_json::{json, Value};

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("url {0:?}: expected http://HOST:PORT[/PREFIX] (https is for the reverse proxy: run the CLI on the platform host or through a tunnel)")]
    Url(String),
    #[error("cannot reach {addr}: {source}")]
    Connect { addr: String, source: std::io::Error },
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    #[error("malformed response: {0}")]
    Malformed(String),
    #[error("{status} {code}: {message}")]
    Api { status: u16, code: String, message: String },
    #[error(transparent)]
    Key(#[from] crate::keys::KeyError),
}

/// A response.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpResponse {
    pub status: u16,
    /// Header names lower-case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// The body as JSON (`Null` when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The error code of an error answer.
    pub fn code(&self) -> String {
        self.json()["error"].as_str().unwrap_or("").to_string()
    }

    /// `Ok(self)` for 2xx and 304, the error answer as [`ClientError::Api`] otherwise.
    pub fn ok(self) -> Result<HttpResponse, ClientError> {
        if (200..300).contains(&self.status) || self.status == 304 {
            return Ok(self);
        }
        let v = self.json();
        Err(ClientError::Api {
            status: self.status,
            code: v["error"].as_str().unwrap_or("").to_string(),
            message: v["message"].as_str().map(str::to_string).unwrap_or_else(|| self.text().chars().take(200).collect()),
        })
    }
}

/// Plain HTTP/1.1 to one base URL.
#[derive(Debug, Clone)]
pub struct HttpClient {
    host: String,
    port: u16,
    prefix: String,
    timeout: Duration,
}

impl HttpClient {
    /// `http://HOST:PORT[/PREFIX]`.
    pub fn new(url: &str) -> Result<HttpClient, ClientError> {
        let rest = url.strip_prefix("http://").ok_or_else(|| ClientError::Url(url.to_string()))?;
        let (authority, prefix) = match rest.find('/') {
            Some(i) => (&rest[..i], rest[i..].trim_end_matches('/')),
            None => (rest, ""),
        };
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) if !h.is_empty() => (h, p.parse().map_err(|_| ClientError::Url(url.to_string()))?),
            None if !authority.is_empty() => (authority, 80),
            _ => return Err(ClientError::Url(url.to_string())),
        };
        Ok(HttpClient { host: host.to_string(), port, prefix: prefix.to_string(), timeout: Duration::from_secs(30) })
    }

    pub fn with_timeout(mut self, timeout: Duration) -> HttpClient {
        self.timeout = timeout;
        self
    }

    /// The path the server sees for `path` (with the base URL's prefix).
    pub fn full_path(&self, path: &str) -> String {
        format!("{}{path}", self.prefix)
    }

    pub fn request(&self, method: &str, path: &str, headers: &[(&str, String)], body: &[u8]) -> Result<HttpResponse, ClientError> {
        let addr = format!("{}:{}", self.host, self.port);
        let mut s = TcpStream::connect(&addr).map_err(|source| ClientError::Connect { addr: addr.clone(), source })?;
        s.set_read_timeout(Some(self.timeout))?;
        s.set_write_timeout(Some(self.timeout))?;
        let mut head = format!("{method} {} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n", self.full_path(path), self.host, body.len());
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        let mut request = head.into_bytes();
        request.extend_from_slice(body);
        if let Err(e) = s.write_all(&request) {
            // A server that refused the request early (a body over its limit) may have closed
            // its end: its answer is still worth reading.
            if !matches!(e.kind(), std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset) {
                return Err(e.into());
            }
        }
        read_response(&mut BufReader::new(s), method == "HEAD")
    }

    pub fn get(&self, path: &str, headers: &[(&str, String)]) -> Result<HttpResponse, ClientError> {
        self.request("GET", path, headers, b"")
    }
}

fn read_response(r: &mut impl BufRead, head_only: bool) -> Result<HttpResponse, ClientError> {
    let mut line = String::new();
    let mut status = None;
    let mut headers = Vec::new();
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
            if status.is_none() {
                return Err(ClientError::Malformed("no status line".into()));
            }
            continue;
        }
        if let Some((n, v)) = l.split_once(':') {
            headers.push((n.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let status = status.ok_or_else(|| ClientError::Malformed("no status line".into()))?;
    let find = |name: &str| headers.iter().find(|(n, _)| n == name).map(|(_, v): &(String, String)| v.clone());
    let mut body = Vec::new();
    if head_only || status == 304 || status == 204 {
        // no body
    } else if find("transfer-encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked")) {
        loop {
            line.clear();
            r.read_line(&mut line)?;
            let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16).map_err(|_| ClientError::Malformed("chunk size".into()))?;
            if size == 0 {
                break;
            }
            if body.len() + size > 256 * 1024 * 1024 {
                return Err(ClientError::Malformed("response too large".into()));
            }
            let mut chunk = vec![0u8; size + 2];
            r.read_exact(&mut chunk)?;
            body.extend_from_slice(&chunk[..size]);
        }
    } else if let Some(n) = find("content-length").and_then(|v| v.parse::<usize>().ok()) {
        if n > 256 * 1024 * 1024 {
            return Err(ClientError::Malformed("response too large".into()));
        }
        body.resize(n, 0);
        r.read_exact(&mut body)?;
    } else {
        r.read_to_end(&mut body)?;
    }
    Ok(HttpResponse { status, headers, body })
}

/// A terminal's signed requests.
pub struct DeviceClient {
    pub http: HttpClient,
    pub key: SigningKey,
    pub terminal_id: String,
    /// The terminal's clock (Unix seconds).
    pub clock: Box<dyn Fn() -> i64 + Send + Sync>,
}

impl DeviceClient {
    pub fn new(http: HttpClient, key: SigningKey, terminal_id: impl Into<String>, clock: impl Fn() -> i64 + Send + Sync + 'static) -> DeviceClient {
        DeviceClient { http, key, terminal_id: terminal_id.into(), clock: Box::new(clock) }
    }

    /// Signs with a fresh nonce and the terminal's clock, and sends.
    pub fn send(&self, method: &str, path: &str, body: &[u8], extra: &[(&str, String)]) -> Result<HttpResponse, ClientError> {
        let nonce = nonce_from_bytes(crate::keys::random_bytes::<16>()?);
        self.send_signed(method, path, body, (self.clock)(), &nonce, extra)
    }

    /// Signs with the given timestamp and nonce (to test replays and skew), and sends.
    pub fn send_signed(&self, method: &str, path: &str, body: &[u8], timestamp: i64, nonce: &str, extra: &[(&str, String)]) -> Result<HttpResponse, ClientError> {
        let signed = sign_request(&self.key, method, &self.http.full_path(path), &self.terminal_id, timestamp, nonce, body);
        let mut headers: Vec<(&str, String)> = signed.pairs().to_vec();
        headers.push(("content-type", "application/json".into()));
        headers.extend(extra.iter().cloned());
        self.http.request(method, path, &headers, body)
    }

    pub fn post_json(&self, path: &str, body: &impl serde::Serialize) -> Result<HttpResponse, ClientError> {
        let bytes = serde_json::to_vec(body).map_err(|e| ClientError::Malformed(e.to_string()))?;
        self.send("POST", path, &bytes, &[])
    }

    pub fn get(&self, path: &str) -> Result<HttpResponse, ClientError> {
        self.send("GET", path, b"", &[])
    }
}

/// The admin API with the admin token.
#[derive(Debug, Clone)]
pub struct AdminClient {
    pub http: HttpClient,
    token: String,
}

impl AdminClient {
    pub fn new(http: HttpClient, token: impl Into<String>) -> AdminClient {
        AdminClient { http, token: token.into() }
    }

    fn auth(&self) -> Vec<(&'static str, String)> {
        vec![("authorization", format!("Bearer {}", self.token)), ("content-type", "application/json".into())]
    }

    /// Any admin request; error answers are [`ClientError::Api`].
    pub fn call(&self, method: &str, path: &str, body: &[u8]) -> Result<HttpResponse, ClientError> {
        self.http.request(method, path, &self.auth(), body)?.ok()
    }

    pub fn get_json(&self, path: &str) -> Result<Value, ClientError> {
        Ok(self.call("GET", path, b"")?.json())
    }

    pub fn post_json(&self, path: &str, body: &Value) -> Result<Value, ClientError> {
        Ok(self.call("POST", path, body.to_string().as_bytes())?.json())
    }

    /// Issues an enrolment token; the answer holds the secret (`token`).
    pub fn create_token(&self, division_prefix: &str, preapproved: bool, expires_in_s: Option<i64>, note: &str) -> Result<Value, ClientError> {
        let mut body = json!({ "division_prefix": division_prefix, "preapproved": preapproved, "note": note });
        if let Some(s) = expires_in_s {
            body["expires_in_s"] = json!(s);
        }
        self.post_json("/admin/v1/tokens", &body)
    }

    /// `approve`, `reject` or `decommission`.
    pub fn transition(&self, terminal_id: &str, action: &str, reason: Option<&str>) -> Result<Value, ClientError> {
        self.post_json(&format!("/admin/v1/terminals/{}/{action}", path_segment(terminal_id)), &json!({ "reason": reason }))
    }

    pub fn relocate(&self, terminal_id: &str, name: &str, division_code: &str, reason: Option<&str>) -> Result<Value, ClientError> {
        let body = json!({ "site": { "name": name, "division_code": division_code }, "reason": reason });
        self.post_json(&format!("/admin/v1/terminals/{}/relocate", path_segment(terminal_id)), &body)
    }

    /// Publishes a catalogue document (its text exactly as given).
    pub fn publish_catalogue(&self, document: &str) -> Result<Value, ClientError> {
        Ok(self.call("POST", "/admin/v1/catalogue", document.as_bytes())?.json())
    }

    pub fn publish_knowledge(&self, bundle: &str) -> Result<Value, ClientError> {
        Ok(self.call("POST", "/admin/v1/knowledge", bundle.as_bytes())?.json())
    }

    pub fn pause(&self, code: &str, notice: &str, notice_en: &str, from: &str, until: &str) -> Result<Value, ClientError> {
        let body = json!({ "notice": notice, "notice_en": notice_en, "from": from, "until": until });
        self.post_json(&format!("/admin/v1/items/{}/pause", path_segment(code)), &body)
    }

    pub fn resume(&self, code: &str) -> Result<Value, ClientError> {
        Ok(self.call("POST", &format!("/admin/v1/items/{}/resume", path_segment(code)), b"")?.json())
    }

    /// An export's text (CSV or JSON lines).
    pub fn export(&self, kind: &str, format: &str, since: Option<&str>, after: Option<i64>) -> Result<String, ClientError> {
        let mut path = format!("/admin/v1/export/{}?format={}", path_segment(kind), query_value(format));
        if let Some(s) = since {
            path.push_str(&format!("&since={}", query_value(s)));
        }
        if let Some(a) = after {
            path.push_str(&format!("&after={a}"));
        }
        Ok(self.call("GET", &path, b"")?.text())
    }
}

fn escape(s: &str, keep: impl Fn(u8) -> bool) -> String {
    s.bytes().map(|b| if keep(b) { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

/// Percent-encodes a path segment.
pub fn path_segment(s: &str) -> String {
    escape(s, |b| b.is_ascii_alphanumeric() || b"-_.~".contains(&b))
}

/// Percent-encodes a query value.
pub fn query_value(s: &str) -> String {
    escape(s, |b| b.is_ascii_alphanumeric() || b"-_.~:".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let c = HttpClient::new("http://127.0.0.1:8080").unwrap();
        assert_eq!((c.host.as_str(), c.port, c.full_path("/x")), ("127.0.0.1", 8080, "/x".to_string()));
        let c = HttpClient::new("http://platform.local/kiosk/").unwrap();
        assert_eq!((c.port, c.full_path("/x")), (80, "/kiosk/x".to_string()));
        assert!(HttpClient::new("https://x").is_err());
        assert!(HttpClient::new("http://:80").is_err());
        assert!(HttpClient::new("http://h:port").is_err());
        assert_eq!(path_segment("T-1/../x"), "T-1%2F..%2Fx");
        assert_eq!(query_value("2026-12-04T08:00:00+08:00"), "2026-12-04T08:00:00%2B08:00");
    }

    #[test]
    fn responses_are_framed() {
        let raw = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nETag: \"1\"\r\n\r\n{}";
        let r = read_response(&mut &raw[..], false).unwrap();
        assert_eq!((r.status, r.header("etag"), r.json()), (200, Some("\"1\""), json!({})));
        let raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n1\r\nc\r\n0\r\n\r\n";
        assert_eq!(read_response(&mut &raw[..], false).unwrap().text(), "abc");
        assert!(read_response(&mut &b"garbage\r\n\r\n"[..], false).is_err());
        assert!(read_response(&mut &b""[..], false).is_err());
        let raw = b"HTTP/1.1 403 Forbidden\r\nContent-Length: 46\r\n\r\n{\"error\":\"decommissioned\",\"message\":\"gone...\"}";
        match read_response(&mut &raw[..], false).unwrap().ok() {
            Err(ClientError::Api { status: 403, code, .. }) => assert_eq!(code, "decommissioned"),
            other => panic!("{other:?}"),
        }
    }
}
