//! The technician console's heavier operations, kept out of the core loop's file: reading and
//! writing single configuration keys, free disk space, the diagnostic bundle.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use crate::config::Config;
use crate::store::Store;

/// Free bytes on the file system holding `path`.
pub fn disk_free(path: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    let mut s: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is a valid NUL-terminated path and `s` a writable statvfs.
    let rc = unsafe { libc::statvfs(c.as_ptr(), &mut s) };
    (rc == 0).then(|| s.f_bavail as u64 * s.f_frsize as u64)
}

fn lookup<'a>(table: &'a toml::Table, key: &str) -> Option<&'a toml::Value> {
    let (section, name) = key.split_once('.')?;
    table.get(section)?.as_table()?.get(name)
}

/// The value of `section.key` in the running configuration. Hashes are not shown.
pub fn config_get(config: &Config, key: &str) -> Result<Value, String> {
    let table = toml::Table::try_from(config).map_err(|e| e.to_string())?;
    let v = lookup(&table, key).ok_or_else(|| format!("unknown setting {key:?} (section.name, e.g. session.timeout_s)"))?;
    if key.ends_with("pin_hash") {
        return Ok(json!(if v.as_str().unwrap_or("").is_empty() { "(not set)" } else { "(set)" }));
    }
    serde_json::to_value(v).map_err(|e| e.to_string())
}

/// Parses a console VALUE as TOML (numbers, booleans, arrays), falling back to a plain string.
fn parse_value(value: &str) -> toml::Value {
    let probe = format!("v = {value}");
    match probe.parse::<toml::Table>() {
        Ok(mut t) => t.remove("v").unwrap_or_else(|| toml::Value::String(value.to_string())),
        Err(_) => toml::Value::String(value.to_string()),
    }
}

/// Sets `section.key` in the file at `path`: only known settings, validated as a whole, written
/// atomically. Returns the new configuration.
pub fn config_set(path: &Path, key: &str, value: &str) -> Result<Config, String> {
    let defaults = toml::Table::try_from(Config::default()).map_err(|e| e.to_string())?;
    let Some(default) = lookup(&defaults, key) else {
        return Err(format!("unknown setting {key:?}"));
    };
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut table: toml::Table = text.parse().map_err(|e| format!("{}: {e}", path.display()))?;
    let mut v = parse_value(value);
    // A string setting keeps a value that looks like a number as text.
    if default.is_str() && !v.is_str() {
        v = toml::Value::String(value.to_string());
    }
    if default.same_type(&toml::Value::Float(0.0)) {
        if let Some(i) = v.as_integer() {
            v = toml::Value::Float(i as f64);
        }
    }
    if !default.same_type(&v) {
        return Err(format!("{key} takes a {}, not {value:?}", default.type_str()));
    }
    let (section, name) = key.split_once('.').expect("looked up above");
    let entry = table.entry(section.to_string()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
    entry.as_table_mut().ok_or_else(|| format!("[{section}] in {} is not a table", path.display()))?.insert(name.to_string(), v);
    let new_text = toml::to_string(&table).map_err(|e| e.to_string())?;
    let config = Config::parse(&new_text, &path.display().to_string()).map_err(|e| e.to_string())?;
    let tmp = path.with_extension("toml.tmp");
    std::fs::write(&tmp, &new_text).map_err(|e| format!("{}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(config)
}

/// Writes a diagnostic bundle folder: status, recent log, configuration (hashes removed),
/// database check, fault reports, audit log, receipt states. No personal data: none of these
/// hold any (logs and audit are personal-data-free by construction; forms stay sealed in the
/// database, which is not copied).
pub fn write_bundle(config: &Config, store: &Store, status: Value) -> std::io::Result<PathBuf> {
    let dir = config.bundle_dir().join(format!("bundle-{}", crate::time::format_local(crate::time::now_unix()).replace(':', "")));
    std::fs::create_dir_all(&dir)?;
    let write_json = |name: &str, v: &Value| std::fs::write(dir.join(name), serde_json::to_vec_pretty(v).unwrap_or_default());
    write_json("status.json", &status)?;
    let log: String = crate::logbuf::global()
        .tail(crate::logbuf::CAPACITY, None)
        .iter()
        .map(|l| format!("{} {:5} {}: {}\n", crate::time::format_local(l.at), l.level, l.target, l.message))
        .collect();
    std::fs::write(dir.join("log.txt"), log)?;
    let mut redacted = config.clone();
    if !redacted.maintenance.pin_hash.is_empty() {
        redacted.maintenance.pin_hash = "(set)".into();
    }
    std::fs::write(dir.join("config.toml"), toml::to_string(&redacted).unwrap_or_default())?;
    let check = store.check().map(|p| p.unwrap_or_else(|| "ok".into())).unwrap_or_else(|e| e.to_string());
    write_json("db.json", &json!({ "integrity": check, "schema_version": store.schema_version().ok() }))?;
    let faults: Vec<Value> = store.faults().unwrap_or_default().into_iter().map(|(c, t, s)| json!({ "category": c, "text": t, "source": s })).collect();
    write_json("faults.json", &json!(faults))?;
    let audit: Vec<Value> = store.audit_log(500).unwrap_or_default().into_iter().map(|(at, actor, action, detail)| json!({ "at": crate::time::format_local(at), "actor": actor, "action": action, "detail": detail })).collect();
    write_json("audit.json", &json!(audit))?;
    let receipts: Vec<Value> = store.unprinted_receipts().unwrap_or_default().into_iter().map(|r| json!({ "id": r.id, "state": r.state })).collect();
    write_json("receipts.json", &json!(receipts))?;
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_set_validates_types_and_persists() {
        let dir = std::env::temp_dir().join(format!("kioskd-cfgset-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("kioskd.toml");
        std::fs::write(&path, "# comment\n[session]\ntimeout_s = 120\n").unwrap();
        let c = config_set(&path, "session.timeout_s", "90").unwrap();
        assert_eq!(c.session.timeout_s, 90);
        assert_eq!(Config::load(&path).unwrap().session.timeout_s, 90);
        assert!(config_set(&path, "session.timeout_s", "soon").unwrap_err().contains("integer"));
        assert!(config_set(&path, "session.warning_s", "500").is_err(), "validated as a whole");
        assert!(config_set(&path, "session.bogus", "1").unwrap_err().contains("unknown"));
        let c = config_set(&path, "terminal.name", "冲口村 自助机").unwrap();
        assert_eq!(c.terminal.name, "冲口村 自助机");
        let c = config_set(&path, "terminal.division_code", "441882104201").unwrap();
        assert_eq!(c.terminal.division_code, "441882104201", "digits stay text for a text setting");
        let c = config_set(&path, "hours.closed_days", r#"["sun"]"#).unwrap();
        assert_eq!(c.hours.closed_days, vec!["sun"]);
        let c = config_set(&path, "session.elderly_factor", "3").unwrap();
        assert_eq!(c.session.elderly_factor, 3.0);
        assert_eq!(config_get(&c, "session.timeout_s").unwrap(), json!(90));
        assert_eq!(config_get(&c, "maintenance.pin_hash").unwrap(), json!("(not set)"));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn disk_free_reads_the_file_system() {
        assert!(disk_free(Path::new("/")).unwrap() > 0);
        assert!(disk_free(Path::new("/no/such/place")).is_none());
    }
}
