//! The technician console: a line-based shell on a serial port (8N1), usable from minicom,
//! picocom or screen, for diagnosing a terminal without network or screen.
//!
//! It runs on its own thread beside the session machinery: it only sends requests to the core
//! (and self-tests to the device threads) and waits with a timeout, so a stuck or hostile
//! serial line changes nothing for the citizen at the screen. Nothing but `help` and `login`
//! works before login; the code is never echoed; logins lock out after repeated failures and
//! end after inactivity.

pub mod command;
pub mod line;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use serde_json::{json, Value};

use crate::core::Input;
use crate::devices::{PrinterCommand, ReaderCommand};
use command::{Command, Login, LoginOutcome, Parsed, Target};
use kiosk_drivers::serial::{SerialError, SerialLink};
use line::{LineEditor, Output};

/// Requests the console sends to the core.
#[derive(Debug)]
pub enum ConsoleRequest {
    Status,
    SyncStatus,
    SyncNow,
    DbCheck,
    DbVacuum,
    ConfigGet(String),
    ConfigSet(String, String),
    Catalogue,
    ServicePause(String),
    ServiceResume(String),
    UiRestart,
    Bundle,
    Hours(Option<command::HoursOverride>),
    Audit { action: String, detail: String },
}

pub type ConsoleReply = Result<Value, String>;

/// Hashes a technician code for `kioskd console-code`.
pub fn hash_code(code: &str) -> Result<String, String> {
    let code = code.trim();
    if code.chars().count() < 6 || code.len() > 64 || code.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("the code must be 6 to 64 characters without spaces".into());
    }
    let mut salt = [0u8; 16];
    getrandom::getrandom(&mut salt).map_err(|e| e.to_string())?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    Argon2::default().hash_password(code.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| e.to_string())
}

/// Writes the code's hash to `path` (mode 0600).
pub fn store_code(path: &Path, code: &str) -> Result<(), String> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let hash = hash_code(code)?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
    f.write_all(hash.as_bytes()).and_then(|()| f.sync_all()).map_err(|e| e.to_string())?;
    std::fs::rename(&tmp, path).map_err(|e| format!("{}: {e}", path.display()))
}

fn code_matches(path: &Path, code: &str) -> bool {
    let Ok(hash) = std::fs::read_to_string(path) else { return false };
    code.len() <= 64 && PasswordHash::new(hash.trim()).is_ok_and(|h| Argon2::default().verify_password(code.as_bytes(), &h).is_ok())
}

/// What the console needs from the rest of the daemon.
pub struct ConsoleLinks {
    pub core: Sender<Input>,
    pub reader: Sender<ReaderCommand>,
    pub printer: Sender<PrinterCommand>,
}

struct Console {
    link: SerialLink,
    editor: LineEditor,
    login: Login,
    awaiting_code: bool,
    code_path: PathBuf,
    links: ConsoleLinks,
    started: Instant,
    /// Output is dropped until then: the peer stopped reading (a stuck or hostile line must
    /// not stall the console, let alone anything else).
    muted_until: Option<Instant>,
    /// Output gathered while a chunk of input is handled, sent in one write.
    out: Vec<u8>,
}

/// How long the console waits for a peer that does not read, and then stays quiet.
const WRITE_PATIENCE: Duration = Duration::from_millis(200);
const MUTE_FOR: Duration = Duration::from_secs(1);

const PROMPT: &str = "kioskd> ";
const REPLY_TIMEOUT: Duration = Duration::from_secs(10);

/// Starts the console thread on `port`.
pub fn spawn(port: &str, baud: u32, config: &crate::config::Config, links: ConsoleLinks, stop: Arc<AtomicBool>) -> std::io::Result<JoinHandle<()>> {
    let c = &config.console;
    let mut link = SerialLink::new(port, baud);
    link.set_write_timeout(WRITE_PATIENCE);
    link.set_drain_writes(false);
    let console = Console {
        link,
        editor: LineEditor::new(),
        login: Login::new(c.max_attempts, c.lockout_s * 1000, c.idle_logout_s * 1000),
        awaiting_code: false,
        code_path: config.console_code_path(),
        links,
        started: Instant::now(),
        muted_until: None,
        out: Vec::new(),
    };
    std::thread::Builder::new().name("console".into()).spawn(move || console.run(&stop))
}

/// Renders a JSON value as indented `key: value` lines for people.
pub fn human(v: &Value) -> String {
    fn walk(v: &Value, indent: usize, out: &mut String) {
        match v {
            Value::Object(m) => {
                for (k, v) in m {
                    match v {
                        Value::Object(_) | Value::Array(_) if !is_empty(v) => {
                            out.push_str(&format!("{:indent$}{k}:\n", ""));
                            walk(v, indent + 2, out);
                        }
                        _ => out.push_str(&format!("{:indent$}{k}: {}\n", "", scalar(v))),
                    }
                }
            }
            Value::Array(a) => {
                for item in a {
                    match item {
                        Value::Object(_) => {
                            out.push_str(&format!("{:indent$}-\n", ""));
                            walk(item, indent + 2, out);
                        }
                        _ => out.push_str(&format!("{:indent$}- {}\n", "", scalar(item))),
                    }
                }
            }
            other => out.push_str(&format!("{:indent$}{}\n", "", scalar(other))),
        }
    }
    fn is_empty(v: &Value) -> bool {
        matches!(v, Value::Object(m) if m.is_empty()) || matches!(v, Value::Array(a) if a.is_empty())
    }
    fn scalar(v: &Value) -> String {
        match v {
            Value::Null => "-".into(),
            Value::String(s) => s.clone(),
            Value::Array(a) if a.is_empty() => "(none)".into(),
            Value::Object(m) if m.is_empty() => "(none)".into(),
            other => other.to_string(),
        }
    }
    let mut out = String::new();
    walk(v, 0, &mut out);
    out
}

impl Console {
    fn now(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    fn write(&mut self, text: &str) {
        let crlf = text.replace("\r\n", "\n").replace('\n', "\r\n");
        self.write_bytes(crlf.as_bytes());
    }

    fn write_bytes(&mut self, bytes: &[u8]) {
        // Bounded: a flood of input cannot grow the pending output without end.
        if self.out.len() + bytes.len() <= 64 * 1024 {
            self.out.extend_from_slice(bytes);
        }
    }

    /// Sends the gathered output in one write.
    fn flush(&mut self) {
        if self.out.is_empty() {
            return;
        }
        let out = std::mem::take(&mut self.out);
        if self.muted_until.is_some_and(|t| Instant::now() < t) {
            return;
        }
        self.muted_until = None;
        if let Err(e) = self.link.write_all(&out) {
            tracing::debug!(error = %e, "console write failed; output muted for a while");
            self.muted_until = Some(Instant::now() + MUTE_FOR);
        }
    }

    fn run(mut self, stop: &AtomicBool) {
        let mut buf = [0u8; 256];
        let mut greeted = false;
        while !stop.load(Ordering::SeqCst) {
            if !greeted && self.link.ensure_open().is_ok() {
                self.write("\nkioskd technician console. Type help.\n");
                self.write(PROMPT);
                self.flush();
                greeted = true;
            }
            match self.link.read_some(&mut buf, Instant::now() + Duration::from_millis(200)) {
                Ok(n) => {
                    for &b in &buf[..n] {
                        self.byte(b);
                    }
                    self.flush();
                }
                Err(SerialError::Timeout { .. }) => {}
                Err(e) => {
                    tracing::debug!(error = %e, "console port unavailable");
                    greeted = false;
                    std::thread::sleep(Duration::from_millis(500));
                }
            }
            if self.login.expire(self.now()) {
                self.write("\nlogged out after inactivity\n");
                self.write(PROMPT);
                self.flush();
            }
        }
    }

    fn byte(&mut self, b: u8) {
        match self.editor.push(b) {
            None => {}
            Some(Output::Echo(bytes)) => self.write_bytes(&bytes),
            Some(Output::Overlong) => {
                self.write(&format!("\nline too long (max {} bytes)\n", line::MAX_LINE));
                self.finish_line();
            }
            Some(Output::Line(l)) => {
                self.write("\n");
                self.line(&l);
                self.finish_line();
            }
        }
    }

    fn finish_line(&mut self) {
        if self.awaiting_code {
            self.write("code: ");
        } else {
            self.write(PROMPT);
        }
    }

    fn ask_core(&self, request: ConsoleRequest) -> ConsoleReply {
        let (tx, rx) = channel();
        self.links.core.send(Input::Console(request, tx)).map_err(|_| "the daemon is stopping".to_string())?;
        rx.recv_timeout(REPLY_TIMEOUT).map_err(|_| "no answer from the daemon".to_string())?
    }

    fn audit(&self, action: &str, detail: &str) {
        let _ = self.ask_core(ConsoleRequest::Audit { action: action.into(), detail: detail.into() });
    }

    fn line(&mut self, l: &str) {
        let now = self.now();
        if std::mem::take(&mut self.awaiting_code) {
            self.editor.set_echo(true);
            let correct = code_matches(&self.code_path, l.trim());
            match self.login.attempt(correct, now) {
                LoginOutcome::Ok => {
                    self.audit("console_login", "");
                    self.write("logged in\n");
                }
                LoginOutcome::Wrong { remaining } => {
                    self.audit("console_login_failed", "");
                    self.write(&format!("wrong code; {remaining} tries left\n"));
                }
                LoginOutcome::LockedOut { seconds } => {
                    self.audit("console_login_failed", "locked out");
                    self.write(&format!("too many wrong codes; locked for {seconds} s\n"));
                }
            }
            return;
        }
        let Parsed { command, json } = match command::parse(l) {
            Ok(Some(p)) => p,
            Ok(None) => return,
            Err(e) => {
                self.write(&format!("{e}\n"));
                return;
            }
        };
        if !command.open_to_all() && !self.login.active(now) {
            self.write("login required: type login\n");
            return;
        }
        let result: ConsoleReply = match command {
            Command::Help => {
                self.write(&format!("{}\n", command::HELP));
                return;
            }
            Command::Login => {
                if let Some(seconds) = self.login.locked(now) {
                    self.write(&format!("locked for {seconds} s after wrong codes\n"));
                } else if !self.code_path.exists() {
                    self.write("no technician code is set on this terminal (kioskd console-code)\n");
                } else {
                    self.awaiting_code = true;
                    self.editor.set_echo(false);
                }
                return;
            }
            Command::Logout => {
                self.login.logout();
                self.audit("console_logout", "");
                self.write("logged out\n");
                return;
            }
            Command::Log { lines, level } => {
                let tail = crate::logbuf::global().tail(lines, level);
                if json {
                    Ok(json!({ "lines": tail }))
                } else {
                    let text: String = tail
                        .iter()
                        .map(|l| format!("{} {:5} {}: {}\n", crate::time::format_local(l.at), l.level, l.target, l.message))
                        .collect();
                    self.write(if text.is_empty() { "(no log lines)\n" } else { &text });
                    return;
                }
            }
            Command::SelfTest(target) => Ok(self.selftest(target)),
            Command::Status => self.ask_core(ConsoleRequest::Status),
            Command::SyncStatus => self.ask_core(ConsoleRequest::SyncStatus),
            Command::SyncNow => self.ask_core(ConsoleRequest::SyncNow),
            Command::DbCheck => self.ask_core(ConsoleRequest::DbCheck),
            Command::DbVacuum => self.ask_core(ConsoleRequest::DbVacuum),
            Command::ConfigGet(k) => self.ask_core(ConsoleRequest::ConfigGet(k)),
            Command::ConfigSet(k, v) => self.ask_core(ConsoleRequest::ConfigSet(k, v)),
            Command::Catalogue => self.ask_core(ConsoleRequest::Catalogue),
            Command::ServicePause(c) => self.ask_core(ConsoleRequest::ServicePause(c)),
            Command::ServiceResume(c) => self.ask_core(ConsoleRequest::ServiceResume(c)),
            Command::UiRestart => self.ask_core(ConsoleRequest::UiRestart),
            Command::Bundle => self.ask_core(ConsoleRequest::Bundle),
            Command::Hours(o) => self.ask_core(ConsoleRequest::Hours(o)),
        };
        let text = match (&result, json) {
            (Ok(v), true) => format!("{}\n", json!({ "ok": true, "result": v })),
            (Err(e), true) => format!("{}\n", json!({ "ok": false, "error": e })),
            (Ok(v), false) => human(v),
            (Err(e), false) => format!("error: {e}\n"),
        };
        self.write(&text);
    }

    fn selftest(&self, target: Target) -> Value {
        let mut results = serde_json::Map::new();
        if matches!(target, Target::Idcard | Target::All) {
            let (tx, rx) = channel();
            let r = match self.links.reader.send(ReaderCommand::SelfTest(tx)) {
                Ok(()) => rx.recv_timeout(REPLY_TIMEOUT).unwrap_or_else(|_| json!({ "ok": false, "problem": "reader thread did not answer" })),
                Err(_) => json!({ "ok": false, "problem": "reader thread not running" }),
            };
            results.insert("idcard".into(), r);
        }
        if matches!(target, Target::Printer | Target::All) {
            let (tx, rx) = channel();
            let r = match self.links.printer.send(PrinterCommand::SelfTest(tx)) {
                Ok(()) => rx.recv_timeout(REPLY_TIMEOUT).unwrap_or_else(|_| json!({ "ok": false, "problem": "printer thread did not answer" })),
                Err(_) => json!({ "ok": false, "problem": "printer thread not running" }),
            };
            results.insert("printer".into(), r);
        }
        let ok = results.values().all(|v| v["ok"] == true);
        self.audit("selftest", &format!("{target:?} ok={ok}"));
        json!({ "ok": ok, "devices": results })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_output_is_readable() {
        let v = json!({ "online": false, "devices": { "printer": { "paper": "out" } }, "faults": [] });
        let text = human(&v);
        assert!(text.contains("online: false"));
        assert!(text.contains("devices:\n  printer:\n    paper: out"));
        assert!(text.contains("faults: (none)"));
    }

    #[test]
    fn codes_are_hashed_and_checked() {
        let dir = std::env::temp_dir().join(format!("kioskd-code-{}", std::process::id()));
        let path = dir.join("console.code");
        assert!(store_code(&path, "12345").is_err(), "too short");
        store_code(&path, "tech-2026").unwrap();
        let stored = std::fs::read_to_string(&path).unwrap();
        assert!(stored.starts_with("$argon2") && !stored.contains("tech-2026"));
        assert!(code_matches(&path, "tech-2026"));
        assert!(!code_matches(&path, "tech-2027"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
