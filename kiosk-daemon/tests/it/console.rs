//! The technician console over a real pseudo-terminal: a whole session, and hostile input
//! while a citizen is served.

use std::time::{Duration, Instant};

use kiosk_drivers::printer::sim::Control;
use kiosk_drivers::printer::status::Paper;
use kiosk_drivers::serial::PtyLink;
use serde_json::{json, Value};

use crate::util::{self, Terminal};

const CODE: &str = "tech-2026";

/// The technician's laptop: the pty master.
struct Laptop {
    pty: PtyLink,
    seen: String,
}

impl Laptop {
    fn send(&mut self, line: &str) {
        self.write(format!("{line}\r\n").as_bytes());
    }

    /// Writes everything, reading what the console says whenever the pty is full (as a real
    /// terminal program does), so neither side blocks the other.
    fn write(&mut self, bytes: &[u8]) {
        use std::io::Write;
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut rest = bytes;
        let mut buf = [0u8; 8192];
        while !rest.is_empty() {
            match self.pty.master().write(rest) {
                Ok(n) => rest = &rest[n..],
                Err(e) if matches!(e.kind(), std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock) => {
                    assert!(Instant::now() < deadline, "the console stopped reading");
                    let n = self.pty.read_some(&mut buf).unwrap();
                    self.seen.push_str(&String::from_utf8_lossy(&buf[..n]));
                    if self.seen.len() > 1 << 20 {
                        self.seen.clear();
                    }
                }
                Err(e) => panic!("pty write failed: {e}"),
            }
        }
    }

    /// Reads until `needle` has appeared after the last call; returns what came.
    fn until(&mut self, needle: &str) -> String {
        self.until_within(needle, Duration::from_secs(15))
    }

    fn until_within(&mut self, needle: &str, patience: Duration) -> String {
        match self.try_until(needle, patience) {
            Some(out) => out,
            None => panic!("never saw {needle:?}; got {:?}", self.seen),
        }
    }

    fn try_until(&mut self, needle: &str, patience: Duration) -> Option<String> {
        let deadline = Instant::now() + patience;
        let mut buf = [0u8; 4096];
        loop {
            if let Some(at) = self.seen.find(needle) {
                let out = self.seen[..at + needle.len()].to_string();
                self.seen.drain(..at + needle.len());
                return Some(out);
            }
            if Instant::now() >= deadline {
                return None;
            }
            let n = self.pty.read_some(&mut buf).unwrap();
            self.seen.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    }

    /// Sends a command and returns its output up to the next prompt.
    fn run(&mut self, line: &str) -> String {
        self.send(line);
        self.until("kioskd> ")
    }
}

fn terminal(name: &str) -> (Terminal, Laptop) {
    let mut t = Terminal::with(name, |c| {
        c.console.lockout_s = 2;
        c.console.max_attempts = 3;
    });
    let link = t.dir.join("console");
    let pty = PtyLink::create(&link).unwrap();
    t.config.console.port = link.to_str().unwrap().to_string();
    kioskd::console::store_code(&t.config.console_code_path(), CODE).unwrap();
    t.start();
    let mut laptop = Laptop { pty, seen: String::new() };
    laptop.until("Type help.");
    laptop.until("kioskd> ");
    (t, laptop)
}

#[test]
fn a_whole_technician_session() {
    let (mut t, mut lap) = terminal("console");
    assert!(lap.run("help").contains("selftest idcard|printer|all"));
    assert!(lap.run("status").contains("login required"));

    // Wrong codes lock the console; the code is never echoed.
    for _ in 0..2 {
        lap.send("login");
        lap.until("code: ");
        lap.send("wrong-code");
        assert!(lap.until("kioskd> ").contains("tries left"));
    }
    lap.send("login");
    lap.until("code: ");
    lap.send("wrong-again");
    assert!(lap.until("kioskd> ").contains("locked"));
    lap.send("login");
    assert!(lap.until("kioskd> ").contains("locked"), "still locked");
    std::thread::sleep(Duration::from_millis(2100));
    lap.send("login");
    lap.until("code: ");
    lap.send(CODE);
    let out = lap.until("kioskd> ");
    assert!(out.contains("logged in"), "{out}");
    assert!(!out.contains(CODE), "the code is not echoed");

    // Every command, people's and scripts' form.
    let status = lap.run("status");
    assert!(status.contains("devices:") && status.contains("disk_free_bytes"), "{status}");
    let json_line = lap.run("status --json");
    let v: Value = serde_json::from_str(json_line.lines().find(|l| l.starts_with('{')).unwrap()).unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(v["result"]["catalogue"]["items"], 41);

    // Self-tests see a simulated paper-out and a missing reader.
    t.printer().control(Control::Paper(Paper::Out));
    let st = lap.run("selftest printer --json");
    let v: Value = serde_json::from_str(st.lines().find(|l| l.starts_with('{')).unwrap()).unwrap();
    assert_eq!(v["result"]["devices"]["printer"]["ok"], false);
    assert_eq!(v["result"]["devices"]["printer"]["problem"], "paper out");
    t.printer().control(Control::Paper(Paper::Ok));
    t.reader.take();
    let st = lap.run("selftest all");
    assert!(st.contains("idcard:") && st.contains("problem: disconnected"), "{st}");
    assert!(st.contains("ok: false"));

    assert!(lap.run("log 5").contains("INFO"), "recent log lines");
    assert!(lap.run("log 5 --level error").lines().count() < 8);
    assert!(lap.run("sync status").contains("outbox:"));
    assert!(lap.run("sync now").contains("requested: true"));
    assert!(lap.run("db check").contains("integrity: ok"));
    assert!(lap.run("db vacuum").contains("size_after"));
    assert!(lap.run("config get session.timeout_s").contains("value: 120"));
    assert!(lap.run("config set session.timeout_s soon").contains("error"));
    assert!(lap.run("config set session.timeout_s 90").contains("saved: true"));
    let cat = lap.run("catalogue");
    assert!(cat.contains("version: 2026.12.01.1"), "{cat}");
    let code = util::pension_certification_code();
    assert!(lap.run(&format!("service pause {code}")).contains("stopped: true"));
    let items = t.get("/v1/items");
    let item = items["items"].as_array().unwrap().iter().find(|i| i["code"] == code.as_str()).unwrap();
    assert_eq!(item["availability"]["reason"], "stopped_locally");
    assert!(lap.run("service pause nope").contains("no item"));
    assert!(lap.run(&format!("service resume {code}")).contains("stopped: false"));
    assert!(lap.run("ui restart").contains("requested: true"));
    let bundle = lap.run("bundle");
    let path = bundle.lines().find_map(|l| l.strip_prefix("path: ")).expect("bundle path").trim().to_string();
    let status_json = std::fs::read_to_string(std::path::Path::new(&path).join("status.json")).unwrap();
    assert!(status_json.contains("catalogue"));
    let all: String = std::fs::read_dir(&path).unwrap().map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap_or_default()).collect();
    assert!(!all.contains(util::ID) && !all.contains("$argon2"), "no personal data or hashes in the bundle");
    assert!(lap.run("hours closed").contains("open: false"));
    assert_eq!(t.get("/v1/status")["open"], false);
    assert_eq!(t.post("/v1/session/start", json!({})).body["error"], "closed");
    assert!(lap.run("hours auto").contains("open: true"));
    assert!(lap.run("frobnicate").contains("unknown command"));
    assert!(lap.run("logout").contains("logged out"));
    assert!(lap.run("status").contains("login required"));

    // `config set` survived a restart; everything was audited.
    t.stop();
    let audit: Vec<String> = t.store().audit_log(100).unwrap().into_iter().map(|(_, actor, action, _)| format!("{actor}:{action}")).collect();
    for a in ["technician:console_login_failed", "technician:console_login", "technician:config_set", "technician:service_pause", "technician:db_vacuum", "technician:bundle", "technician:hours_override", "technician:console_logout"] {
        assert!(audit.iter().any(|x| x == a), "{a} not audited: {audit:?}");
    }
    t.start();
    lap.until("Type help.");
    lap.until("kioskd> ");
    lap.send("login");
    lap.until("code: ");
    lap.send(CODE);
    lap.until("kioskd> ");
    assert!(lap.run("config get session.timeout_s").contains("value: 90"));
}

#[test]
fn hostile_serial_input_changes_nothing_for_the_citizen() {
    let (t, mut lap) = terminal("console-hostile");
    let code = util::pension_certification_code();
    let flood = std::thread::spawn(move || {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut sent = 0usize;
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(3) {
            let mut chunk = Vec::with_capacity(4096);
            for _ in 0..4096 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                chunk.push(x as u8);
            }
            // Overlong lines and plain floods too.
            chunk.extend(std::iter::repeat_n(b'A', 1000));
            chunk.extend_from_slice(b"\r\nstatus\r\nlogin\r\n");
            lap.write(&chunk);
            sent += chunk.len();
            lap.seen.clear();
        }
        (lap, sent)
    });
    // Meanwhile a citizen is served from card to rating.
    t.identify(util::card());
    t.fill_form(&code);
    t.post_ok("/v1/session/submit", json!({}));
    t.wait_session(|s| s["print"] == "printed");
    t.post_ok("/v1/session/rate", json!({ "level": 5 }));
    let (mut lap, sent) = flood.join().unwrap();
    assert!(sent > 10_000);
    assert_eq!(t.get("/v1/status")["session"]["state"], "finished");
    // And the console still works afterwards. (It stops talking for a moment to a peer that
    // does not read, so like a technician the laptop presses Enter again if nothing comes.)
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        lap.seen.clear();
        lap.send("");
        lap.send("help");
        if lap.try_until("write a diagnostic bundle", Duration::from_secs(2)).is_some() {
            break;
        }
        assert!(Instant::now() < deadline, "the console never answered again");
    }
}
