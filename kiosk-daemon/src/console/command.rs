//! Console commands: parsing (pure) and the technician login state (pure, times passed in).

use serde::Serialize;

/// Device(s) a self-test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    Idcard,
    Printer,
    All,
}

/// Operating-hours override.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HoursOverride {
    /// Follow the schedule.
    Auto,
    Open,
    Closed,
}

impl HoursOverride {
    pub fn parse(s: &str) -> Option<HoursOverride> {
        match s {
            "auto" => Some(HoursOverride::Auto),
            "open" => Some(HoursOverride::Open),
            "closed" | "close" => Some(HoursOverride::Closed),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Help,
    Login,
    Logout,
    Status,
    SelfTest(Target),
    Log { lines: usize, level: Option<tracing::Level> },
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
    Hours(Option<HoursOverride>),
}

impl Command {
    /// Commands that work before login.
    pub fn open_to_all(&self) -> bool {
        matches!(self, Command::Help | Command::Login)
    }
}

/// A parsed line: the command and whether `--json` was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub command: Command,
    pub json: bool,
}

pub const HELP: &str = "\
commands (add --json to any for machine-readable output):
  help                          this list
  login                         log in with the technician code
  logout                        log out
  status                        devices, network, outbox, disk, versions, uptime
  selftest idcard|printer|all   device self-tests
  log [N] [--level L]           the last N log lines (default 20), L = error|warn|info|debug
  sync status | sync now        sync state / ask for a sync now
  db check | db vacuum          integrity check / compact the database
  config get KEY                e.g. config get session.timeout_s
  config set KEY VALUE          validated, saved, audited
  catalogue                     catalogue version and items
  service pause|resume CODE     stop or restart one service on this terminal
  hours [open|closed|auto]      operating hours and their override
  ui restart                    ask the touchscreen UI to restart
  bundle                        write a diagnostic bundle (no personal data)";

/// Parses a console line. An empty line is `Ok(None)`.
pub fn parse(line: &str) -> Result<Option<Parsed>, String> {
    let mut words: Vec<&str> = line.split_whitespace().collect();
    let json = words.iter().any(|w| *w == "--json");
    words.retain(|w| *w != "--json");
    let Some((&first, rest)) = words.split_first() else { return Ok(None) };
    let arg = |i: usize, what: &str| rest.get(i).map(|s| s.to_string()).ok_or_else(|| format!("{first}: missing {what}"));
    let no_more = |n: usize| if rest.len() > n { Err(format!("{first}: too many arguments")) } else { Ok(()) };
    let command = match first.to_ascii_lowercase().as_str() {
        "help" | "?" => Command::Help,
        "login" => Command::Login,
        "logout" | "exit" | "quit" => Command::Logout,
        "status" => {
            no_more(0)?;
            Command::Status
        }
        "selftest" => match rest.first().copied().unwrap_or("all") {
            "idcard" => Command::SelfTest(Target::Idcard),
            "printer" => Command::SelfTest(Target::Printer),
            "all" => Command::SelfTest(Target::All),
            other => return Err(format!("selftest: unknown device {other:?} (idcard, printer, all)")),
        },
        "log" => {
            let mut lines = 20;
            let mut level = None;
            let mut i = 0;
            while i < rest.len() {
                match rest[i] {
                    "--level" => {
                        let l = rest.get(i + 1).ok_or("log: --level needs a level")?;
                        level = Some(match *l {
                            "error" => tracing::Level::ERROR,
                            "warn" => tracing::Level::WARN,
                            "info" => tracing::Level::INFO,
                            "debug" => tracing::Level::DEBUG,
                            "trace" => tracing::Level::TRACE,
                            other => return Err(format!("log: unknown level {other:?}")),
                        });
                        i += 2;
                    }
                    n => {
                        lines = n.parse::<usize>().map_err(|_| format!("log: {n:?} is not a number"))?.clamp(1, 1000);
                        i += 1;
                    }
                }
            }
            Command::Log { lines, level }
        }
        "sync" => match rest.first().copied() {
            Some("status") | None => Command::SyncStatus,
            Some("now") => Command::SyncNow,
            Some(other) => return Err(format!("sync: unknown {other:?} (status, now)")),
        },
        "db" => match rest.first().copied() {
            Some("check") => Command::DbCheck,
            Some("vacuum") => Command::DbVacuum,
            _ => return Err("db: check or vacuum".into()),
        },
        "config" => match rest.first().copied() {
            Some("get") => {
                no_more(2)?;
                Command::ConfigGet(arg(1, "KEY")?)
            }
            Some("set") => {
                let key = arg(1, "KEY")?;
                if rest.len() < 3 {
                    return Err("config set: missing VALUE".into());
                }
                Command::ConfigSet(key, rest[2..].join(" "))
            }
            _ => return Err("config: get KEY or set KEY VALUE".into()),
        },
        "catalogue" | "catalog" => Command::Catalogue,
        "service" => match (rest.first().copied(), rest.get(1)) {
            (Some("pause"), Some(code)) => Command::ServicePause(code.to_string()),
            (Some("resume"), Some(code)) => Command::ServiceResume(code.to_string()),
            _ => return Err("service: pause CODE or resume CODE".into()),
        },
        "ui" => match rest.first().copied() {
            Some("restart") => Command::UiRestart,
            _ => return Err("ui: restart".into()),
        },
        "bundle" => Command::Bundle,
        "hours" => match rest.first() {
            None => Command::Hours(None),
            Some(s) => Command::Hours(Some(HoursOverride::parse(s).ok_or_else(|| format!("hours: {s:?} is not open, closed or auto"))?)),
        },
        other => {
            let shown: String = other.chars().take(40).collect();
            return Err(format!("unknown command {shown:?}; type help"));
        }
    };
    Ok(Some(Parsed { command, json }))
}

/// The technician login: attempts, lockout, idle logout. Times are monotonic milliseconds.
#[derive(Debug)]
pub struct Login {
    max_attempts: u32,
    lockout_ms: u64,
    idle_ms: u64,
    failures: u32,
    locked_until: Option<u64>,
    logged_in: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginOutcome {
    Ok,
    Wrong { remaining: u32 },
    LockedOut { seconds: u64 },
}

impl Login {
    pub fn new(max_attempts: u32, lockout_ms: u64, idle_ms: u64) -> Login {
        Login { max_attempts: max_attempts.max(1), lockout_ms, idle_ms, failures: 0, locked_until: None, logged_in: None }
    }

    /// Whether a login attempt may be made now.
    pub fn locked(&self, now: u64) -> Option<u64> {
        self.locked_until.filter(|u| now < *u).map(|u| (u - now).div_ceil(1000))
    }

    /// Records an attempt whose code was `correct`.
    pub fn attempt(&mut self, correct: bool, now: u64) -> LoginOutcome {
        if let Some(seconds) = self.locked(now) {
            return LoginOutcome::LockedOut { seconds };
        }
        if correct {
            self.failures = 0;
            self.logged_in = Some(now);
            return LoginOutcome::Ok;
        }
        self.failures += 1;
        if self.failures >= self.max_attempts {
            self.failures = 0;
            self.locked_until = Some(now + self.lockout_ms);
            return LoginOutcome::LockedOut { seconds: self.lockout_ms.div_ceil(1000) };
        }
        LoginOutcome::Wrong { remaining: self.max_attempts - self.failures }
    }

    /// True while logged in; each call counts as activity. Logs out after idleness.
    pub fn active(&mut self, now: u64) -> bool {
        match self.logged_in {
            Some(last) if now.saturating_sub(last) < self.idle_ms => {
                self.logged_in = Some(now);
                true
            }
            Some(_) => {
                self.logged_in = None;
                false
            }
            None => false,
        }
    }

    /// True when an idle session just expired (for a "logged out" notice).
    pub fn expire(&mut self, now: u64) -> bool {
        match self.logged_in {
            Some(last) if now.saturating_sub(last) >= self.idle_ms => {
                self.logged_in = None;
                true
            }
            _ => false,
        }
    }

    pub fn logout(&mut self) {
        self.logged_in = None;
    }

    pub fn is_logged_in(&self) -> bool {
        self.logged_in.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_command() {
        let p = |s: &str| parse(s).unwrap().unwrap();
        assert_eq!(p("status --json"), Parsed { command: Command::Status, json: true });
        assert_eq!(p("selftest printer").command, Command::SelfTest(Target::Printer));
        assert_eq!(p("selftest").command, Command::SelfTest(Target::All));
        assert_eq!(p("log 50 --level warn").command, Command::Log { lines: 50, level: Some(tracing::Level::WARN) });
        assert_eq!(p("log").command, Command::Log { lines: 20, level: None });
        assert_eq!(p("sync now").command, Command::SyncNow);
        assert_eq!(p("db vacuum").command, Command::DbVacuum);
        assert_eq!(p("config get session.timeout_s").command, Command::ConfigGet("session.timeout_s".into()));
        assert_eq!(p("config set terminal.name 冲口村 自助机").command, Command::ConfigSet("terminal.name".into(), "冲口村 自助机".into()));
        assert_eq!(p("service pause 1144").command, Command::ServicePause("1144".into()));
        assert_eq!(p("hours closed").command, Command::Hours(Some(HoursOverride::Closed)));
        assert_eq!(p("ui restart").command, Command::UiRestart);
        assert_eq!(p("  HELP ").command, Command::Help);
        assert_eq!(parse("   ").unwrap(), None);
    }

    #[test]
    fn bad_lines_say_what_is_wrong() {
        assert!(parse("selftest toaster").unwrap_err().contains("toaster"));
        assert!(parse("config set k").unwrap_err().contains("VALUE"));
        assert!(parse("log many").unwrap_err().contains("not a number"));
        assert!(parse("rm -rf /").unwrap_err().contains("unknown command"));
        assert!(parse("status extra").is_err());
    }

    #[test]
    fn lockout_and_idle_logout() {
        let mut l = Login::new(3, 60_000, 10_000);
        assert_eq!(l.attempt(false, 0), LoginOutcome::Wrong { remaining: 2 });
        assert_eq!(l.attempt(false, 1), LoginOutcome::Wrong { remaining: 1 });
        assert_eq!(l.attempt(false, 2), LoginOutcome::LockedOut { seconds: 60 });
        assert_eq!(l.attempt(true, 3), LoginOutcome::LockedOut { seconds: 60 });
        assert_eq!(l.attempt(true, 60_002), LoginOutcome::Ok);
        assert!(l.active(65_000));
        assert!(!l.expire(70_000));
        assert!(l.expire(80_000));
        assert!(!l.is_logged_in());
    }
}
