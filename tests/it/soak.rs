//! A short chaos soak (2 terminals, 40 s of chaos) with the real binaries: every accepted
//! transaction reaches the platform exactly once. `cargo xtask soak` runs longer ones.

use std::path::PathBuf;
use std::process::Command;

/// The folder holding kioskd and kiosk-platform beside kiosk-soak; built when missing (a run
/// of this crate's tests alone does not build other crates' binaries).
fn bin_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_BIN_EXE_kiosk-soak")).parent().unwrap().to_path_buf();
    if !dir.join("kioskd").exists() || !dir.join("kiosk-platform").exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut c = Command::new(cargo);
        c.args(["build", "--quiet", "-p", "kioskd", "-p", "kiosk-platform", "--bins"]);
        if dir.file_name().is_some_and(|n| n == "release") {
            c.arg("--release");
        }
        assert!(c.status().unwrap().success(), "building kioskd and kiosk-platform");
    }
    dir
}

#[test]
fn a_short_chaos_soak_delivers_every_accepted_transaction_exactly_once() {
    let work = std::env::temp_dir().join(format!("kiosk-soak-it-{}", std::process::id()));
    let out = Command::new(env!("CARGO_BIN_EXE_kiosk-soak"))
        .args(["--terminals", "2", "--seconds", "40", "--bin-dir"])
        .arg(bin_dir())
        .arg("--work-dir")
        .arg(&work)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stdout.lines().last().unwrap_or_default();
    assert!(out.status.success(), "soak failed ({}):\n{stdout}\n{stderr}", out.status);
    // The final line, exactly.
    let fields: Vec<(&str, u64)> = last
        .strip_prefix("soak: ")
        .unwrap_or_else(|| panic!("no final line: {stdout}"))
        .split(' ')
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap();
            (k, v.parse().unwrap())
        })
        .collect();
    let names: Vec<&str> = fields.iter().map(|(k, _)| *k).collect();
    assert_eq!(names, ["terminals", "accepted", "delivered", "duplicates", "lost"]);
    let get = |k: &str| fields.iter().find(|(n, _)| *n == k).unwrap().1;
    assert_eq!(get("terminals"), 2);
    assert!(get("accepted") > 0, "citizens were served: {stdout}");
    assert!(get("delivered") >= get("accepted"));
    assert_eq!((get("duplicates"), get("lost")), (0, 0));
    // The chaos happened: processes killed, requests faulted, devices failed.
    for what in ["proxy drop_after", "proxy duplicate", "proxy error_5xx"] {
        let line = stdout.lines().find(|l| l.trim_start().starts_with(&format!("{what}:"))).unwrap_or_else(|| panic!("{what} not reported: {stdout}"));
        let n: u64 = line.rsplit(' ').next().unwrap().parse().unwrap();
        assert!(n > 0, "{what} never happened: {stdout}");
    }
    assert!(stdout.contains("kill -9 kioskd:") || stdout.contains("kill -9 platform:"), "{stdout}");
    assert!(!work.exists(), "a passing soak cleans up");
}
