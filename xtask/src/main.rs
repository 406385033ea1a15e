//! Project automation, run as `cargo xtask <command>` (an alias in `.cargo/config.toml`).
//!
//! - `setup`: installs what the build and tests need on a fresh Debian machine (idempotent).
//! - `test`: set-up, then every test in the workspace (cargo-nextest when installed), then a
//!   compile check of the benchmarks. This is what `.ci/run` calls.
//! - `demo [--dir DIR] [--exit]`: the main job: a complete terminal (`kioskd demo`) with both
//!   device simulators, a scripted citizen visit through the local API, and where the receipts
//!   went. It keeps serving until Ctrl-C unless `--exit`.
//! - `bench [--out FILE]`: runs every benchmark and writes one Markdown report.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

type Result<T> = std::result::Result<T, String>;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("setup") => setup(),
        Some("test") => test(&args[1..]),
        Some("demo") => demo(&args[1..]),
        Some("bench") => bench(&args[1..]),
        _ => {
            eprintln!("usage: cargo xtask <setup | test | demo [--dir DIR] [--exit] | bench [--out FILE]>");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the workspace").to_path_buf()
}

fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(root());
    c
}

fn run(mut cmd: Command) -> Result<()> {
    let shown = format!("{cmd:?}");
    eprintln!("xtask: running {shown}");
    let status = cmd.status().map_err(|e| format!("cannot start {shown}: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("{shown} failed: {status}")) }
}

fn have(program: &str, arg: &str) -> bool {
    Command::new(program).arg(arg).stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
}

/// Debian packages the tests need, by the command or file that shows they are there.
/// Nothing yet: the drivers need no system library (serialport is built without libudev and
/// SQLite will be bundled). Later issues add here (e.g. PostgreSQL for the platform tests).
const APT_PACKAGES: &[(&str, &str)] = &[];

fn setup() -> Result<()> {
    let missing: Vec<&str> = APT_PACKAGES.iter().filter(|(_, probe)| !Path::new(probe).exists()).map(|(p, _)| *p).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let is_root = Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.trim_ascii() == b"0");
    let apt = |args: &[&str]| {
        let mut c = if is_root { Command::new("apt-get") } else { Command::new("sudo") };
        if !is_root {
            c.arg("apt-get");
        }
        c.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        run(c)
    };
    apt(&["update", "-qq"])?;
    apt(&[&["install", "-y", "-qq", "--no-install-recommends"][..], &missing].concat())
}

fn test(extra: &[String]) -> Result<()> {
    setup()?;
    if have("cargo-nextest", "--version") || have("cargo", "nextest") {
        let mut c = cargo();
        c.args(["nextest", "run", "--workspace", "--no-fail-fast"]).args(extra);
        run(c)?;
    } else {
        eprintln!("xtask: cargo-nextest not installed; using cargo test");
        let mut c = cargo();
        c.args(["test", "--workspace", "--no-fail-fast"]).args(extra);
        run(c)?;
    }
    // Doc examples, and the benchmarks must keep compiling even though tests do not time them.
    let mut c = cargo();
    c.args(["test", "--workspace", "--doc", "--quiet"]);
    run(c)?;
    let mut c = cargo();
    c.args(["bench", "--workspace", "--benches", "--no-run", "--quiet"]);
    run(c)
}

fn bench(args: &[String]) -> Result<()> {
    let out = flag(args, "--out").map(PathBuf::from);
    let mut c = cargo();
    c.args(["bench", "--workspace", "--benches", "--quiet"]).stdout(Stdio::piped());
    eprintln!("xtask: running cargo bench --workspace --benches");
    let output = c.output().map_err(|e| format!("cannot run cargo bench: {e}"))?;
    if !output.status.success() {
        return Err(format!("cargo bench failed: {}", output.status));
    }
    let report = String::from_utf8_lossy(&output.stdout).into_owned();
    match out {
        Some(path) => {
            std::fs::write(&path, &report).map_err(|e| format!("writing {}: {e}", path.display()))?;
            eprintln!("xtask: benchmark report written to {}", path.display());
        }
        None => print!("{report}"),
    }
    Ok(())
}

fn flag<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).map(String::as_str)
}

fn demo(args: &[String]) -> Result<()> {
    let dir = flag(args, "--dir").map(PathBuf::from).unwrap_or_else(|| root().join("target").join("kiosk-demo"));
    // A fresh terminal every time: new database, new receipts.
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let mut c = cargo();
    c.args(["build", "--quiet", "-p", "kioskd", "-p", "kiosk-drivers", "--bins"]);
    run(c)?;
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root().join("target"));
    let kioskd = target.join("debug").join("kioskd");
    println!("Open Kiosk demo: a complete terminal (kioskd) with a simulated GA 467 ID-card reader and a");
    println!("simulated ESC/POS printer on pseudo-terminals, in {}.", dir.display());
    println!("A scripted citizen visit runs through the local API; the network is down (the platform");
    println!("and the UI join this demo with their issues).");
    let mut c = Command::new(&kioskd);
    c.args(["demo", "--dir", dir.to_str().ok_or("the demo folder path is not UTF-8")?, "--visit"]);
    if args.iter().any(|a| a == "--exit") {
        c.arg("--exit");
    } else {
        println!("(The terminal keeps serving after the visit: Ctrl-C stops it. `cargo xtask demo --exit` stops after the visit.)");
    }
    c.env("KIOSK_LOG", std::env::var("KIOSK_LOG").unwrap_or_else(|_| "warn".into()));
    run(c)?;
    let receipts = dir.join("receipts");
    let mut files: Vec<String> = std::fs::read_dir(&receipts)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned())).collect())
        .unwrap_or_default();
    files.sort();
    println!("\nReceipts (text, and a PNG picture of the paper) are in {}: {}", receipts.display(), files.join(", "));
    println!("Hardware tool for technicians: target/debug/kiosk-hw --help");
    Ok(())
}
