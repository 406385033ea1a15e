//! A demo terminal for the UI: starts `kioskd demo` (the daemon with both device simulators) as
//! a child process and keeps its stdin, where simulator control lines go.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::app::DemoControl;

/// Where the `kioskd` binary is: `$KIOSKD_BIN`, next to this executable (or its parent, for
/// test binaries in `deps/`), else on `PATH`.
pub fn kioskd_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("KIOSKD_BIN") {
        return PathBuf::from(p);
    }
    if let Ok(exe) = std::env::current_exe() {
        for dir in exe.ancestors().skip(1).take(2) {
            let candidate = dir.join("kioskd");
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    PathBuf::from("kioskd")
}

/// Extra settings for the demo daemon.
#[derive(Debug, Clone, Default)]
pub struct DemoSettings {
    pub platform_url: Option<String>,
    pub enrol_token: Option<String>,
    pub platform_key: Option<String>,
    pub session_timeout_s: Option<u64>,
    pub session_warning_s: Option<u64>,
}

/// A running demo terminal. Dropping it stops the daemon.
pub struct DemoTerminal {
    child: Child,
    pub dir: PathBuf,
    pub socket: PathBuf,
    pub control: DemoControl,
    replies: Arc<Mutex<Vec<String>>>,
}

impl DemoTerminal {
    pub fn start(dir: &Path, settings: &DemoSettings) -> Result<DemoTerminal, String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let bin = kioskd_binary();
        let mut cmd = Command::new(&bin);
        // The daemon stops when this process goes away, however it goes (its stdin closes).
        cmd.arg("demo").arg("--exit-on-eof").arg("--dir").arg(dir);
        let pairs = [
            ("--platform-url", settings.platform_url.clone()),
            ("--enrol-token", settings.enrol_token.clone()),
            ("--platform-key", settings.platform_key.clone()),
            ("--session-timeout-s", settings.session_timeout_s.map(|n| n.to_string())),
            ("--session-warning-s", settings.session_warning_s.map(|n| n.to_string())),
        ];
        for (flag, value) in pairs {
            if let Some(v) = value {
                cmd.arg(flag).arg(v);
            }
        }
        let log = std::fs::File::create(dir.join("kioskd.log")).map_err(|e| format!("cannot create the daemon log: {e}"))?;
        cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(log);
        let mut child = cmd.spawn().map_err(|e| format!("cannot start {} (build it with `cargo build -p kioskd`): {e}", bin.display()))?;
        let stdin = child.stdin.take().ok_or("no stdin")?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let replies = Arc::new(Mutex::new(Vec::new()));
        {
            let replies = replies.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                    if let Ok(mut r) = replies.lock() {
                        r.push(line);
                    }
                }
            });
        }
        let socket = dir.join("kioskd.sock");
        let terminal = DemoTerminal { child, dir: dir.to_path_buf(), socket, control: DemoControl(Arc::new(Mutex::new(Box::new(stdin)))), replies };
        terminal.wait_ready(Duration::from_secs(30))?;
        Ok(terminal)
    }

    fn wait_ready(&self, timeout: Duration) -> Result<(), String> {
        let client = kioskd_client::Client::new(&self.socket);
        let deadline = Instant::now() + timeout;
        loop {
            if client.get("/v1/status").is_ok_and(|r| r.ok()) {
                return Ok(());
            }
            if Instant::now() > deadline {
                let log = std::fs::read_to_string(self.dir.join("kioskd.log")).unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().take(10).collect();
                return Err(format!("the demo daemon did not become ready; its log ends:\n{}", tail.into_iter().rev().collect::<Vec<_>>().join("\n")));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Sends one control line to the simulators (see `kioskd demo`).
    pub fn control(&self, line: &str) {
        self.control.send(line);
    }

    /// Lines the demo daemon printed (its answers to control lines among them).
    pub fn output(&self) -> Vec<String> {
        self.replies.lock().map(|r| r.clone()).unwrap_or_default()
    }

    pub fn receipts(&self) -> PathBuf {
        self.dir.join("receipts")
    }
}

impl Drop for DemoTerminal {
    fn drop(&mut self) {
        // SIGTERM first, so the daemon shuts down cleanly and removes its socket.
        terminate(self.child.id());
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn terminate(pid: u32) {
    let _ = Command::new("kill").arg("-TERM").arg(pid.to_string()).status();
}
