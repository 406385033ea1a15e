//! Project automation, run as `cargo xtask <command>` (an alias in `.cargo/config.toml`).
//!
//! - `setup`: installs what the build and tests need on a fresh Debian machine (idempotent).
//! - `test`: set-up, then every test in the workspace (cargo-nextest when installed), then a
//!   compile check of the benchmarks. This is what `.ci/run` calls.
//! - `demo [--dir DIR]`: the main job. Until the daemon exists (issue 3), it runs both device
//!   simulators and drives them with the real `kiosk-hw` tool: reads a card, checks the SAM and
//!   the printer, prints receipts, shows paper-out handling, and says where the output went.
//! - `bench [--out FILE]`: runs every benchmark and writes one Markdown report.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

type Result<T> = std::result::Result<T, String>;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("setup") => setup(),
        Some("test") => test(&args[1..]),
        Some("demo") => demo(&args[1..]),
        Some("bench") => bench(&args[1..]),
        _ => {
            eprintln!("usage: cargo xtask <setup | test | demo [--dir DIR] | bench [--out FILE]>");
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
    c.args(["bench", "--workspace", "--no-run", "--quiet"]);
    run(c)
}

fn bench(args: &[String]) -> Result<()> {
    let out = flag(args, "--out").map(PathBuf::from);
    let mut c = cargo();
    c.args(["bench", "--workspace", "--quiet"]).stdout(Stdio::piped());
    eprintln!("xtask: running cargo bench --workspace");
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

/// A simulator process, stopped with SIGTERM when dropped (so it removes its link).
struct Sim {
    name: &'static str,
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Sim {
    fn start(name: &'static str, bin: &Path, args: &[&str]) -> Result<Sim> {
        let mut child = Command::new(bin)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start the {name} simulator: {e}"))?;
        let stdin = child.stdin.take().expect("piped");
        let mut stdout = BufReader::new(child.stdout.take().expect("piped"));
        let mut ready = String::new();
        stdout.read_line(&mut ready).map_err(|e| e.to_string())?;
        if !ready.contains("\"ready\":true") {
            return Err(format!("the {name} simulator did not start: {ready}"));
        }
        Ok(Sim { name, child, stdin, stdout })
    }

    fn send(&mut self, line: &str) -> Result<()> {
        writeln!(self.stdin, "{line}").map_err(|e| e.to_string())?;
        let mut answer = String::new();
        self.stdout.read_line(&mut answer).map_err(|e| e.to_string())?;
        if answer.contains("\"ok\":true") { Ok(()) } else { Err(format!("{} simulator refused {line}: {answer}", self.name)) }
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(2);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `kiosk-hw` with `args`, echoing the command and its output.
fn hw(bin: &Path, args: &[&str]) -> Result<(i32, String)> {
    println!("\n$ kiosk-hw {}", args.join(" "));
    let out = Command::new(bin).args(args).output().map_err(|e| format!("cannot run kiosk-hw: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    print!("{stdout}");
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    Ok((out.status.code().unwrap_or(-1), stdout))
}

fn demo(args: &[String]) -> Result<()> {
    let dir = flag(args, "--dir").map(PathBuf::from).unwrap_or_else(|| root().join("target").join("kiosk-demo"));
    let _ = std::fs::remove_dir_all(dir.join("dev"));
    std::fs::create_dir_all(dir.join("dev")).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let receipts = dir.join("receipts");

    let mut c = cargo();
    c.args(["build", "--quiet", "-p", "kiosk-drivers", "--bin", "kiosk-hw"]);
    run(c)?;
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root().join("target"));
    let bin = target.join("debug").join("kiosk-hw");

    let idcard = dir.join("dev").join("idcard");
    let printer = dir.join("dev").join("printer");
    let card = root().join("assets").join("demo").join("card-resident.json");
    let (idcard_s, printer_s, receipts_s, card_s) =
        (idcard.to_str().unwrap(), printer.to_str().unwrap(), receipts.to_str().unwrap(), card.to_str().unwrap());
    let mut reader_sim = Sim::start("idcard", &bin, &["sim", "idcard", "--link", idcard_s, "--card", card_s])?;
    let mut printer_sim = Sim::start("printer", &bin, &["sim", "printer", "--link", printer_s, "--out", receipts_s, "--width", "58"])?;

    println!("Kiosk hardware demo: a simulated GA 467 ID-card reader at {idcard_s}");
    println!("and a simulated 58 mm ESC/POS printer at {printer_s}, driven by the real kiosk-hw tool.");
    println!("(The full kiosk daemon, UI and platform arrive with issues 3-5; this demo grows with them.)");

    hw(&bin, &["idcard", "sam", "--port", idcard_s])?;
    let (code, _) = hw(&bin, &["idcard", "read", "--port", idcard_s])?;
    if code != 0 {
        return Err(format!("reading the demo card failed with exit code {code}"));
    }
    println!("(name and ID number are masked; --reveal shows them)");
    let (code, _) = hw(&bin, &["idcard", "read", "--port", idcard_s, "--timeout-ms", "500"])?;
    println!("exit code {code}: like a real reader, a card already read is not found again until it is re-placed");

    hw(&bin, &["printer", "status", "--port", printer_s])?;
    let (code, _) = hw(&bin, &["printer", "test-page", "--port", printer_s])?;
    if code != 0 {
        return Err(format!("printing the test page failed with exit code {code}"));
    }

    println!("\nThe printer runs out of paper:");
    printer_sim.send(r#"{"paper": "out"}"#)?;
    hw(&bin, &["printer", "status", "--port", printer_s])?;
    let (code, _) = hw(&bin, &["printer", "test-page", "--port", printer_s])?;
    println!("exit code {code}: nothing was printed");
    println!("\nThe assistant refills the paper:");
    printer_sim.send(r#"{"paper": "ok"}"#)?;
    let (code, _) = hw(&bin, &["printer", "test-page", "--port", printer_s])?;
    if code != 0 {
        return Err(format!("printing after the refill failed with exit code {code}"));
    }

    println!("\nA second citizen places a Hong Kong/Macau/Taiwan residence permit:");
    let permit = std::fs::read_to_string(root().join("assets").join("demo").join("card-hmt.json")).map_err(|e| e.to_string())?;
    reader_sim.send(&format!(r#"{{"place": {}}}"#, permit.trim()))?;
    hw(&bin, &["idcard", "read", "--port", idcard_s])?;

    drop(reader_sim);
    drop(printer_sim);
    let mut files: Vec<String> = std::fs::read_dir(&receipts)
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    files.sort();
    println!("\nReceipts (text and a PNG picture of the paper) are in {}:", receipts.display());
    for f in files {
        println!("  {f}");
    }
    Ok(())
}
