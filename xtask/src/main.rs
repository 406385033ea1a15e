//! Project automation, run as `cargo xtask <command>` (an alias in `.cargo/config.toml`).
//!
//! - `setup`: installs what the build and tests need on a fresh Debian machine (idempotent).
//! - `test`: set-up, then every test in the workspace (cargo-nextest when installed), then a
//!   compile check of the benchmarks. This is what `.ci/run` calls.
//! - `demo [--dir DIR] [--exit]`: the main job: the platform and a complete terminal (`kioskd
//!   demo`, both device simulators). With a display, the touchscreen UI in a window; without,
//!   a scripted citizen visit through the local API while the UI renders every screen into PNG
//!   files; then where the receipts and screenshots went. It keeps serving until Ctrl-C unless
//!   `--exit`.
//! - `bench [--out FILE]`: runs every benchmark and writes one Markdown report (`bench.rs`).
//! - `package [--target T]`: the Debian packages, release build, into `target/debian/` (`deb.rs`).
//! - `cross`: kioskd, kiosk-hw and kiosk-platform for aarch64, checked, and their packages.
//! - `soak [--terminals N] [--seconds S] [--seed X]`: the chaos soak (`tests/`, release build).

mod bench;
mod deb;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

type Result<T> = std::result::Result<T, String>;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("setup") => setup(),
        Some("test") => test(&args[1..]),
        Some("demo") => demo(&args[1..]),
        Some("bench") => bench::bench(&args[1..]),
        Some("package") => deb::package(flag(&args[1..], "--target")).map(|debs| {
            for d in debs {
                println!("{}", d.display());
            }
        }),
        Some("cross") => deb::cross(),
        Some("soak") => soak(&args[1..]),
        _ => {
            eprintln!(
                "usage: cargo xtask <setup | test | demo [--dir DIR] [--exit] | bench [--out FILE] | package [--target T] | cross | soak [--terminals N] [--seconds S] [--seed X]>"
            );
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

/// Cargo's target folder (CARGO_TARGET_DIR when set).
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).map(|p| if p.is_absolute() { p } else { root().join(p) }).unwrap_or_else(|| root().join("target"))
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
/// The drivers need no system library (serialport is built without libudev, SQLite is
/// bundled); the platform's tests also run on a real PostgreSQL server (Debian 12: 15) and
/// load its operations page in headless Chromium.
const APT_PACKAGES: &[(&str, &str)] = &[
    ("postgresql", "/usr/lib/postgresql"),
    // The operations page is tested in a real headless browser over WebDriver.
    ("chromium", "/usr/bin/chromium"),
    ("chromium-driver", "/usr/bin/chromedriver"),
    // kiosk-ui's linuxkms backend links libinput, libudev and libxkbcommon (found by pkg-config).
    ("pkg-config", "/usr/bin/pkg-config"),
    ("libinput-dev", "/usr/include/libinput.h"),
    ("libudev-dev", "/usr/include/libudev.h"),
    ("libxkbcommon-dev", "/usr/include/xkbcommon/xkbcommon.h"),
    // cargo-deb computes the packages' Depends with dpkg-shlibdeps; the packaging test reads
    // them with dpkg-deb and checks the maintainer scripts with shellcheck.
    ("dpkg-dev", "/usr/bin/dpkg-shlibdeps"),
    ("shellcheck", "/usr/bin/shellcheck"),
    ("file", "/usr/bin/file"),
];

fn setup() -> Result<()> {
    apt_install(APT_PACKAGES)
}

/// Installs those of `packages` (name, a path that shows it is there) that are missing.
fn apt_install(packages: &[(&str, &str)]) -> Result<()> {
    let missing: Vec<&str> = packages.iter().filter(|(_, probe)| !Path::new(probe).exists()).map(|(p, _)| *p).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let is_root = is_root();
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
    // The release packages (host and aarch64) and the aarch64 cross build come first: the
    // packaging test in tests/ reads the .deb files from target/debian/.
    deb::package(None)?;
    deb::cross()?;
    let deb_dir = target_dir().join("debian");
    // The platform's tests run on SQLite and on this PostgreSQL server (one fresh database per
    // test); with CI=true they fail when KIOSK_TEST_POSTGRES is missing.
    let (postgres_url, _server) = test_postgres()?;
    if have("cargo-nextest", "--version") || have("cargo", "nextest") {
        let mut c = cargo();
        c.args(["nextest", "run", "--workspace", "--no-fail-fast"]).args(extra).env("KIOSK_TEST_POSTGRES", &postgres_url).env("KIOSK_TEST_DEB_DIR", &deb_dir);
        run(c)?;
    } else {
        eprintln!("xtask: cargo-nextest not installed; using cargo test");
        let mut c = cargo();
        c.args(["test", "--workspace", "--no-fail-fast"]).args(extra).env("KIOSK_TEST_POSTGRES", &postgres_url).env("KIOSK_TEST_DEB_DIR", &deb_dir);
        run(c)?;
    }
    // Doc examples, and the benchmarks must keep compiling even though tests do not time them.
    let mut c = cargo();
    c.args(["test", "--workspace", "--doc", "--quiet"]);
    run(c)?;
    // A compile check in the dev profile the tests already built: `cargo bench --no-run` would
    // rebuild the whole Slint stack optimised once more just to prove the benches compile.
    let mut c = cargo();
    c.args(["build", "--workspace", "--benches", "--quiet"]);
    run(c)
}

/// Port of the test PostgreSQL server (not 5432, so a system cluster can run beside it).
const TEST_PG_PORT: u16 = 54329;

/// A test PostgreSQL server this run started: stopped (fast) when dropped.
struct PgServer {
    pg_ctl: PathBuf,
    data: PathBuf,
}

impl Drop for PgServer {
    fn drop(&mut self) {
        let mut c = as_postgres_user(&self.pg_ctl);
        c.args(["stop", "-m", "fast", "-w", "-D"]).arg(&self.data).stdout(Stdio::null());
        let _ = c.status();
    }
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

/// `program` run as the `postgres` system user when we are root (initdb and postgres refuse
/// to run as root), as ourselves otherwise.
fn as_postgres_user(program: &Path) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

/// The newest installed PostgreSQL's `bin` folder (Debian: /usr/lib/postgresql/<major>/bin).
fn postgres_bin() -> Result<PathBuf> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|e| format!("PostgreSQL is not installed (/usr/lib/postgresql: {e})"))?
        .filter_map(|e| e.ok())
        .filter_map(|e| Some((e.file_name().to_str()?.parse::<u32>().ok()?, e.path().join("bin"))))
        .filter(|(_, bin)| bin.join("pg_ctl").exists() && bin.join("initdb").exists())
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin).ok_or_else(|| "no PostgreSQL server binaries under /usr/lib/postgresql/*/bin".to_string())
}

/// The PostgreSQL server the tests use, as a base URL for `KIOSK_TEST_POSTGRES`: the
/// variable's value when it is already set; otherwise a throwaway cluster of our own in
/// `$TMPDIR/kiosk-test-postgres` (trust authentication, listening on 127.0.0.1:54329 only,
/// fsync off), created when absent, reused when already running, started otherwise (and then
/// stopped again when the returned guard drops).
fn test_postgres() -> Result<(String, Option<PgServer>)> {
    if let Some(url) = std::env::var("KIOSK_TEST_POSTGRES").ok().filter(|u| !u.trim().is_empty()) {
        eprintln!("xtask: PostgreSQL tests use KIOSK_TEST_POSTGRES from the environment");
        return Ok((url, None));
    }
    let url = format!("postgres://postgres@127.0.0.1:{TEST_PG_PORT}");
    let bin = postgres_bin()?;
    let ready = || {
        Command::new(bin.join("pg_isready")).args(["-q", "-h", "127.0.0.1", "-p", &TEST_PG_PORT.to_string(), "-U", "postgres"]).status().is_ok_and(|s| s.success())
    };
    if ready() {
        eprintln!("xtask: PostgreSQL already running on 127.0.0.1:{TEST_PG_PORT}");
        return Ok((url, None));
    }
    let data = std::env::temp_dir().join("kiosk-test-postgres");
    let major = bin.parent().and_then(|p| p.file_name()).and_then(|n| n.to_str()).unwrap_or("").to_string();
    let existing = std::fs::read_to_string(data.join("PG_VERSION")).unwrap_or_default();
    if existing.trim() != major {
        // Absent, half-made, or made by another major version: start over (test data only).
        let _ = std::fs::remove_dir_all(&data);
        std::fs::create_dir_all(&data).map_err(|e| format!("creating {}: {e}", data.display()))?;
        if is_root() {
            run({
                let mut c = Command::new("chown");
                c.args(["postgres:postgres"]).arg(&data);
                c
            })?;
        }
        let mut c = as_postgres_user(&bin.join("initdb"));
        c.args(["-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync", "-D"]).arg(&data).stdout(Stdio::null());
        run(c)?;
    }
    let mut c = as_postgres_user(&bin.join("pg_ctl"));
    c.arg("-D").arg(&data).arg("-l").arg(data.join("server.log")).args(["-w", "-t", "60", "-o"]);
    c.arg(format!("-c listen_addresses=127.0.0.1 -p {TEST_PG_PORT} -k {} -c fsync=off -c full_page_writes=off -c max_connections=200", data.display()));
    c.arg("start").stdout(Stdio::null());
    if let Err(e) = run(c) {
        let log = std::fs::read_to_string(data.join("server.log")).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(15).collect();
        return Err(format!("{e}\n{}", tail.into_iter().rev().collect::<Vec<_>>().join("\n")));
    }
    if !ready() {
        return Err(format!("PostgreSQL started but does not answer on 127.0.0.1:{TEST_PG_PORT}; see {}", data.join("server.log").display()));
    }
    eprintln!("xtask: PostgreSQL {major} started on 127.0.0.1:{TEST_PG_PORT} (data in {})", data.display());
    Ok((url, Some(PgServer { pg_ctl: bin.join("pg_ctl"), data })))
}

/// `cargo xtask soak`: the chaos soak of `tests/` (crate kiosk-e2e) on release binaries.
fn soak(args: &[String]) -> Result<()> {
    let mut c = cargo();
    c.args(["build", "--release", "--bins", "--quiet", "-p", "kioskd", "-p", "kiosk-platform", "-p", "kiosk-e2e"]);
    run(c)?;
    let bin_dir = target_dir().join("release");
    let mut c = Command::new(bin_dir.join("kiosk-soak"));
    c.arg("--bin-dir").arg(&bin_dir).args(args);
    run(c)
}

fn flag<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).map(String::as_str)
}

/// The first `"field": "value"` string in a JSON text (the tools print pretty JSON).
fn json_field(text: &str, field: &str) -> Option<String> {
    let at = text.find(&format!("\"{field}\""))?;
    let rest = &text[at + field.len() + 2..];
    let start = rest.find('"')? + 1;
    let end = rest[start..].find('"')? + start;
    Some(rest[start..end].to_string())
}

fn output(cmd: &mut Command) -> Result<String> {
    let out = cmd.output().map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!("{cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr).trim()));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The platform process, stopped when dropped.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.0.id().to_string()).status();
        let _ = self.0.wait();
    }
}

fn demo(args: &[String]) -> Result<()> {
    use std::io::BufRead;
    let dir = flag(args, "--dir").map(PathBuf::from).unwrap_or_else(|| root().join("target").join("kiosk-demo"));
    // A fresh terminal and platform every time: new databases, new receipts.
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("platform")).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let mut c = cargo();
    c.args(["build", "--quiet", "-p", "kioskd", "-p", "kiosk-drivers", "-p", "kiosk-platform", "-p", "kiosk-ui", "--bins"]);
    run(c)?;
    let display = std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some();
    let kioskd = target_dir().join("debug").join("kioskd");
    let platform_bin = target_dir().join("debug").join("kiosk-platform");
    let ui_bin = target_dir().join("debug").join("kiosk-ui");
    let text = |p: &Path| p.to_str().map(str::to_string).ok_or("the demo folder path is not UTF-8");

    // The provincial platform, on a free loopback port.
    let db = dir.join("platform").join("platform.db");
    let mut server = std::process::Command::new(&platform_bin)
        .args(["serve", "--listen", "127.0.0.1:0", "--db", &text(&db)?])
        .env("KIOSK_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start kiosk-platform: {e}"))?;
    let mut first = String::new();
    std::io::BufReader::new(server.stdout.take().ok_or("no platform stdout")?).read_line(&mut first).map_err(|e| e.to_string())?;
    let server = Child(server);
    let url = first.trim().strip_prefix("listening on ").ok_or_else(|| format!("kiosk-platform did not start: {first}"))?.to_string();
    let token_file = dir.join("platform").join("admin-token");
    let admin = |extra: &[&str]| -> Result<String> {
        let mut c = Command::new(&platform_bin);
        c.args(["admin", "--url", &url, "--token-file", &text(&token_file)?]).args(extra);
        output(&mut c)
    };
    let token = json_field(&admin(&["token", "create", "--prefix", "4418", "--note", "demo"])?, "token").ok_or("no enrolment token")?;
    let key = json_field(&admin(&["platform-key"])?, "public_key").ok_or("no platform key")?;

    println!("Open Kiosk demo: the provincial platform at {url} (operations page; admin token in {}),", token_file.display());
    println!("and a complete terminal (kioskd) with a simulated GA 467 ID-card reader and a simulated ESC/POS");
    println!("printer on pseudo-terminals, in {}. The terminal enrols with a one-time token; this", dir.display());
    println!("script approves it on the platform like a city administrator would; a scripted citizen visit");
    println!("runs through the terminal's local API and syncs once the terminal is approved.");

    // Approve the terminal as soon as it has enrolled (in the background).
    let approver = {
        let (platform_bin, url, token_file) = (platform_bin.clone(), url.clone(), token_file.clone());
        std::thread::spawn(move || {
            for _ in 0..600 {
                let list = Command::new(&platform_bin).args(["admin", "--url", &url, "--token-file"]).arg(&token_file).args(["terminals", "list"]).output();
                if let Ok(out) = list {
                    let listing = String::from_utf8_lossy(&out.stdout).into_owned();
                    if let Some(id) = listing.lines().find(|l| l.contains("\tpending\t")).and_then(|l| l.split('\t').next()) {
                        let ok = Command::new(&platform_bin).args(["admin", "--url", &url, "--token-file"]).arg(&token_file).args(["terminals", "approve", id]).output().is_ok_and(|o| o.status.success());
                        println!("\n[platform] terminal {id} enrolled and was approved: {}", if ok { "ok" } else { "failed" });
                        return;
                    }
                }
                std::thread::sleep(std::time::Duration::from_millis(200));
            }
        })
    };

    // With a display, the citizen uses the touchscreen UI in a window (its demo strip places the
    // card and takes the paper out). Without one, the scripted visit runs through the local API
    // while the UI renders every screen headless into PNG files.
    let mut screenshots = None;
    let mut c = if display {
        println!("A display is present: the touchscreen UI opens in a window; use its 演示 (demo) buttons to place the card.");
        let mut c = Command::new(&ui_bin);
        c.args(["--demo", "--demo-dir", &text(&dir.join("terminal"))?, "--platform-url", &url, "--enrol-token", &token, "--platform-key", &key]);
        c
    } else {
        let shots_dir = dir.join("screenshots");
        println!("No display: the UI renders every screen headless into {} while the scripted visit runs.", shots_dir.display());
        let mut s = Command::new(&ui_bin);
        s.arg("--screenshots").arg(&shots_dir).env("KIOSKD_BIN", &kioskd).stdout(Stdio::piped()).stderr(Stdio::piped());
        screenshots = Some(std::thread::spawn(move || match s.output() {
            Ok(out) if out.status.success() => {
                print!("\n[ui] {}", String::from_utf8_lossy(&out.stdout));
            }
            Ok(out) => eprintln!("\n[ui] the screenshots failed: {}", String::from_utf8_lossy(&out.stderr)),
            Err(e) => eprintln!("\n[ui] cannot start kiosk-ui: {e}"),
        }));
        let mut c = Command::new(&kioskd);
        c.args(["demo", "--dir", &text(&dir.join("terminal"))?, "--visit", "--platform-url", &url, "--enrol-token", &token, "--platform-key", &key]);
        if args.iter().any(|a| a == "--exit") {
            c.arg("--exit");
        } else {
            println!("(Both keep serving after the visit: Ctrl-C stops them. `cargo xtask demo --exit` stops after the visit.)");
        }
        c
    };
    c.env("KIOSK_LOG", std::env::var("KIOSK_LOG").unwrap_or_else(|_| "warn".into()));
    let result = run(c);
    let _ = approver.join();
    if let Some(shots) = screenshots {
        let _ = shots.join();
    }
    println!("\nOn the platform:");
    print!("{}", admin(&["terminals", "list"]).unwrap_or_default());
    print!("{}", admin(&["export", "transactions", "--format", "csv"]).unwrap_or_default());
    drop(server);
    let receipts = dir.join("terminal").join("receipts");
    let mut files: Vec<String> = std::fs::read_dir(&receipts)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned())).collect())
        .unwrap_or_default();
    files.sort();
    println!("\nReceipts (text, and a PNG picture of the paper) are in {}: {}", receipts.display(), files.join(", "));
    println!("Hardware tool for technicians: target/debug/kiosk-hw --help");
    result
}
