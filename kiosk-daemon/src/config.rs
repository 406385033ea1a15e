//! The daemon's configuration: one TOML file, every setting with a default.
//!
//! `deploy/kioskd.example.toml` is the annotated example; a test checks that it parses and
//! names every setting this module knows.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub terminal: TerminalConfig,
    pub devices: DevicesConfig,
    pub storage: StorageConfig,
    pub api: ApiConfig,
    pub session: SessionConfig,
    pub maintenance: MaintenanceConfig,
    pub catalogue: CatalogueConfig,
    pub hours: HoursConfig,
    pub console: ConsoleConfig,
    pub sync: SyncConfig,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SyncConfig {
    /// The provincial platform, e.g. `https://kiosk.gd.gov.cn`. Empty: no sync (offline only).
    pub platform_url: String,
    /// The one-time enrolment token a city administrator issued for this terminal.
    pub enrol_token: String,
    /// The platform's catalogue-signing public key (64 hex digits); catalogues that do not
    /// verify against it are refused.
    pub platform_key: String,
    /// Heartbeat interval until the platform says otherwise.
    pub heartbeat_s: u64,
    /// Records per outbox batch.
    pub batch_size: usize,
    /// Per-request timeout.
    pub timeout_s: u64,
    /// The longest wait between retries after failures.
    pub max_backoff_s: u64,
}

impl Default for SyncConfig {
    fn default() -> Self {
        SyncConfig {
            platform_url: String::new(),
            enrol_token: String::new(),
            platform_key: String::new(),
            heartbeat_s: 60,
            batch_size: 100,
            timeout_s: 15,
            max_backoff_s: 300,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HoursConfig {
    /// Off: always open.
    pub enabled: bool,
    /// Local time `HH:MM` the terminal opens and closes each day.
    pub open: String,
    pub close: String,
    /// Days closed all day: `mon` … `sun`.
    pub closed_days: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConsoleConfig {
    /// The technician console's serial port (8N1). Empty: no console.
    pub port: String,
    pub baud: u32,
    /// Where `kioskd console-code` stores the code's hash. Empty: `data_dir/console.code`.
    pub code_file: String,
    /// Wrong codes in a row before a lockout, and its length.
    pub max_attempts: u32,
    pub lockout_s: u64,
    /// A technician login ends after this long without input.
    pub idle_logout_s: u64,
    /// Where `bundle` writes diagnostic bundles. Empty: `data_dir/bundles`.
    pub bundle_dir: String,
}

impl Default for HoursConfig {
    fn default() -> Self {
        HoursConfig { enabled: false, open: "08:00".into(), close: "20:00".into(), closed_days: Vec::new() }
    }
}

impl Default for ConsoleConfig {
    fn default() -> Self {
        ConsoleConfig {
            port: String::new(),
            baud: 115_200,
            code_file: String::new(),
            max_attempts: 3,
            lockout_s: 300,
            idle_logout_s: 600,
            bundle_dir: String::new(),
        }
    }
}

/// Minutes since midnight of `HH:MM`.
pub fn parse_hhmm(s: &str) -> Option<u32> {
    let (h, m) = s.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

pub const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

impl HoursConfig {
    /// Whether the schedule has the terminal open at `now` (Unix seconds, local time +08:00).
    pub fn open_at(&self, now: i64) -> bool {
        if !self.enabled {
            return true;
        }
        let day = crate::time::local_day(now);
        let weekday = WEEKDAYS[(day + 3).rem_euclid(7) as usize];
        if self.closed_days.iter().any(|d| d == weekday) {
            return false;
        }
        let minute = ((now + crate::time::TZ_OFFSET_S).rem_euclid(86_400) / 60) as u32;
        match (parse_hhmm(&self.open), parse_hhmm(&self.close)) {
            (Some(o), Some(c)) => o <= minute && minute < c,
            _ => true,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TerminalConfig {
    /// Shown on receipts and in the maintenance menu.
    pub name: String,
    /// Administrative division code of the site (12 digits, GB/T 2260 + township/village).
    pub division_code: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DevicesConfig {
    /// The ID-card reader's serial device (a udev symlink survives replugs).
    pub idcard: PathBuf,
    pub idcard_baud: u32,
    /// How often the reader is polled for a card, in milliseconds.
    pub idcard_poll_ms: u64,
    pub printer: PathBuf,
    pub printer_baud: u32,
    /// 58 or 80 (mm).
    pub printer_width: u32,
    /// How often the printer's status is polled, in milliseconds (at most 2000).
    pub printer_poll_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageConfig {
    /// Holds `kiosk.db` and `keys/`.
    pub data_dir: PathBuf,
    /// Form data with personal information is purged this many days after the platform
    /// acknowledged the transaction.
    pub purge_after_days: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApiConfig {
    /// The Unix socket of the local API.
    pub socket: PathBuf,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SessionConfig {
    /// Seconds of inactivity before the session is wiped.
    pub timeout_s: u64,
    /// Seconds of warning (a countdown with "I need more time") before the timeout.
    pub warning_s: u64,
    /// Timeouts are multiplied by this in elderly mode.
    pub elderly_factor: f64,
    /// Seconds the goodbye screen stays before the terminal returns to idle.
    pub goodbye_s: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MaintenanceConfig {
    /// Argon2 PHC string of the assistants' PIN (`kioskd pin-hash` makes one). Empty: the
    /// maintenance API is closed.
    pub pin_hash: String,
    /// Wrong PINs in a row before the lockout.
    pub max_attempts: u32,
    /// Lockout length in seconds.
    pub lockout_s: u64,
    /// A maintenance login lasts this long without activity.
    pub token_ttl_s: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CatalogueConfig {
    /// The catalogue loaded into an empty database at first start.
    pub seed: PathBuf,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            terminal: TerminalConfig::default(),
            devices: DevicesConfig::default(),
            storage: StorageConfig::default(),
            api: ApiConfig::default(),
            session: SessionConfig::default(),
            maintenance: MaintenanceConfig::default(),
            catalogue: CatalogueConfig::default(),
            hours: HoursConfig::default(),
            console: ConsoleConfig::default(),
            sync: SyncConfig::default(),
        }
    }
}

impl Default for TerminalConfig {
    fn default() -> Self {
        TerminalConfig { name: "粤智助自助机".into(), division_code: "441882000000".into() }
    }
}

impl Default for DevicesConfig {
    fn default() -> Self {
        DevicesConfig {
            idcard: "/dev/kiosk-idcard".into(),
            idcard_baud: 115_200,
            idcard_poll_ms: 250,
            printer: "/dev/kiosk-printer".into(),
            printer_baud: 115_200,
            printer_width: 58,
            printer_poll_ms: 1000,
        }
    }
}

impl Default for StorageConfig {
    fn default() -> Self {
        StorageConfig { data_dir: "/var/lib/kiosk".into(), purge_after_days: 30 }
    }
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig { socket: "/run/kiosk/kioskd.sock".into() }
    }
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig { timeout_s: 120, warning_s: 30, elderly_factor: 2.0, goodbye_s: 8 }
    }
}

impl Default for MaintenanceConfig {
    fn default() -> Self {
        MaintenanceConfig { pin_hash: String::new(), max_attempts: 5, lockout_s: 300, token_ttl_s: 600 }
    }
}

impl Default for CatalogueConfig {
    fn default() -> Self {
        CatalogueConfig { seed: "/usr/share/kiosk/catalogue.json".into() }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("{path}: {source}")]
    Parse { path: String, source: Box<toml::de::Error> },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

impl Config {
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: shown.clone(), source })?;
        Config::parse(&text, &shown)
    }

    pub fn parse(text: &str, origin: &str) -> Result<Config, ConfigError> {
        let config: Config =
            toml::from_str(text).map_err(|source| ConfigError::Parse { path: origin.into(), source: Box::new(source) })?;
        config.validate().map_err(|message| ConfigError::Invalid { path: origin.into(), message })?;
        Ok(config)
    }

    /// Checks values a type cannot: ranges and relations between settings.
    pub fn validate(&self) -> Result<(), String> {
        let s = &self.session;
        if s.timeout_s < 5 {
            return Err("session.timeout_s must be at least 5".into());
        }
        if s.warning_s >= s.timeout_s {
            return Err("session.warning_s must be less than session.timeout_s".into());
        }
        if !(1.0..=5.0).contains(&s.elderly_factor) {
            return Err("session.elderly_factor must be between 1 and 5".into());
        }
        if !matches!(self.devices.printer_width, 58 | 80) {
            return Err("devices.printer_width must be 58 or 80".into());
        }
        if self.devices.printer_poll_ms == 0 || self.devices.printer_poll_ms > 2000 {
            return Err("devices.printer_poll_ms must be between 1 and 2000".into());
        }
        if self.devices.idcard_poll_ms == 0 {
            return Err("devices.idcard_poll_ms must be positive".into());
        }
        if self.maintenance.max_attempts == 0 {
            return Err("maintenance.max_attempts must be at least 1".into());
        }
        if !self.maintenance.pin_hash.is_empty() && !self.maintenance.pin_hash.starts_with("$argon2") {
            return Err("maintenance.pin_hash must be an argon2 hash made by `kioskd pin-hash`".into());
        }
        let h = &self.hours;
        match (parse_hhmm(&h.open), parse_hhmm(&h.close)) {
            (Some(o), Some(c)) if o < c => {}
            _ => return Err("hours.open and hours.close must be HH:MM with open before close".into()),
        }
        if let Some(d) = h.closed_days.iter().find(|d| !WEEKDAYS.contains(&d.as_str())) {
            return Err(format!("hours.closed_days: {d:?} is not one of mon … sun"));
        }
        let y = &self.sync;
        if !y.platform_url.is_empty() && !(y.platform_url.starts_with("https://") || y.platform_url.starts_with("http://")) {
            return Err("sync.platform_url must be an http(s) URL".into());
        }
        if !y.platform_key.is_empty() && (y.platform_key.len() != 64 || !y.platform_key.bytes().all(|b| b.is_ascii_hexdigit())) {
            return Err("sync.platform_key must be 64 hex digits".into());
        }
        if y.heartbeat_s < 5 || y.batch_size == 0 || y.batch_size > 500 || y.timeout_s == 0 || y.max_backoff_s == 0 {
            return Err("sync: heartbeat_s >= 5, batch_size 1..=500, timeout_s and max_backoff_s > 0".into());
        }
        if self.console.max_attempts == 0 {
            return Err("console.max_attempts must be at least 1".into());
        }
        let code = &self.terminal.division_code;
        if code.len() != 12 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err("terminal.division_code must be 12 digits".into());
        }
        Ok(())
    }

    pub fn db_path(&self) -> PathBuf {
        self.storage.data_dir.join("kiosk.db")
    }

    pub fn key_path(&self) -> PathBuf {
        self.storage.data_dir.join("keys").join("form.key")
    }

    pub fn console_code_path(&self) -> PathBuf {
        if self.console.code_file.is_empty() { self.storage.data_dir.join("console.code") } else { PathBuf::from(&self.console.code_file) }
    }

    pub fn bundle_dir(&self) -> PathBuf {
        if self.console.bundle_dir.is_empty() { self.storage.data_dir.join("bundles") } else { PathBuf::from(&self.console.bundle_dir) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_is_all_defaults() {
        assert_eq!(Config::parse("", "t").unwrap(), Config::default());
    }

    #[test]
    fn the_example_in_deploy_parses_and_names_every_setting() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/kioskd.example.toml");
        let text = std::fs::read_to_string(path).unwrap();
        let config = Config::parse(&text, path).unwrap();
        // Every key of the defaults appears in the example (so the example documents them all).
        let defaults = toml::to_string(&Config::default()).unwrap();
        let mut section = String::new();
        for line in defaults.lines() {
            if let Some(s) = line.strip_prefix('[') {
                section = s.trim_end_matches(']').to_string();
                assert!(text.contains(&format!("[{section}]")), "example lacks [{section}]");
            } else if let Some((key, _)) = line.split_once(" = ") {
                let found = text.lines().any(|l| l.trim_start().trim_start_matches('#').trim_start().starts_with(&format!("{key} =")));
                assert!(found, "example lacks {section}.{key}");
            }
        }
        assert_eq!(config.devices.printer_width, 58);
    }

    #[test]
    fn opening_hours_follow_the_schedule() {
        let mut h = HoursConfig { enabled: true, open: "08:30".into(), close: "17:30".into(), closed_days: vec!["sun".into()] };
        let at = |s: &str| crate::time::parse_rfc3339(s).unwrap();
        assert!(h.open_at(at("2026-12-04T08:30:00+08:00")), "a friday morning");
        assert!(!h.open_at(at("2026-12-04T08:29:59+08:00")));
        assert!(!h.open_at(at("2026-12-04T17:30:00+08:00")));
        assert!(!h.open_at(at("2026-12-06T10:00:00+08:00")), "sunday");
        h.enabled = false;
        assert!(h.open_at(at("2026-12-06T03:00:00+08:00")));
        assert!(Config::parse("[hours]\nopen = \"18:00\"\nclose = \"08:00\"\n", "k").is_err());
        assert!(Config::parse("[hours]\nclosed_days = [\"someday\"]\n", "k").is_err());
    }

    #[test]
    fn bad_values_are_clear_errors() {
        let e = Config::parse("[session]\ntimeout_s = 30\nwarning_s = 40\n", "k.toml").unwrap_err();
        assert!(e.to_string().contains("warning_s"), "{e}");
        let e = Config::parse("[devices]\nprinter_width = 70\n", "k.toml").unwrap_err();
        assert!(e.to_string().contains("58 or 80"), "{e}");
        let e = Config::parse("[sesion]\n", "k.toml").unwrap_err();
        assert!(e.to_string().contains("k.toml"), "{e}");
        let e = Config::parse("[maintenance]\npin_hash = \"1234\"\n", "k.toml").unwrap_err();
        assert!(e.to_string().contains("argon2"), "{e}");
    }
}
