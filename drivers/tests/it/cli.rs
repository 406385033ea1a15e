//! The `kiosk-hw` contract, end to end: the real binary as simulator and as client.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use serde_json::Value;

use crate::util::{self, TempDir};

const BIN: &str = env!("CARGO_BIN_EXE_kiosk-hw");

/// A simulator process, killed on drop.
pub struct SimProcess {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl SimProcess {
    pub fn start(args: &[&str]) -> SimProcess {
        let mut child = Command::new(BIN)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start kiosk-hw");
        let stdin = child.stdin.take().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut ready = String::new();
        stdout.read_line(&mut ready).unwrap();
        let ready: Value = serde_json::from_str(&ready).expect("ready line");
        assert_eq!(ready["ready"], true);
        SimProcess { child, stdin, stdout }
    }

    /// Sends one control line and returns the simulator's answer.
    pub fn send(&mut self, line: &str) -> Value {
        writeln!(self.stdin, "{line}").unwrap();
        self.stdin.flush().unwrap();
        let mut answer = String::new();
        self.stdout.read_line(&mut answer).unwrap();
        serde_json::from_str(&answer).expect("answer line")
    }

    /// Stops the simulator with SIGTERM and waits: it removes its link.
    pub fn terminate(mut self) {
        unsafe_kill(self.child.id());
        let _ = self.child.wait();
    }
}

fn unsafe_kill(pid: u32) {
    let _ = Command::new("kill").arg("-TERM").arg(pid.to_string()).status();
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub struct Outcome {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn kiosk_hw(args: &[&str]) -> Outcome {
    let out = Command::new(BIN).args(args).output().expect("run kiosk-hw");
    Outcome {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn read(link: &Path, extra: &[&str]) -> Outcome {
    let mut args = vec!["idcard", "read", "--port", link.to_str().unwrap(), "--timeout-ms", "1500"];
    args.extend_from_slice(extra);
    kiosk_hw(&args)
}

#[test]
fn sim_and_read_follow_the_contract() {
    let dir = TempDir::new("cli-idcard");
    let link = dir.join("idcard");
    let card_file = dir.join("card.json");
    std::fs::write(&card_file, serde_json::to_string(&util::resident_card()).unwrap()).unwrap();
    let mut sim = SimProcess::start(&["sim", "idcard", "--link", link.to_str().unwrap(), "--card", card_file.to_str().unwrap()]);

    // --card placed it at start; --reveal prints the object the simulator accepts.
    let out = read(&link, &["--reveal"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let revealed: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(revealed, serde_json::to_value(util::resident_card()).unwrap());
    assert_eq!(out.stdout.lines().count(), 1, "one JSON object");

    // Read once: find says no card until it is placed again -> exit 3, one line on stderr.
    let out = read(&link, &[]);
    assert_eq!(out.code, 3);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(out.stdout.is_empty());

    // Placing what --reveal printed round-trips; without --reveal the output is masked.
    assert_eq!(sim.send(&format!(r#"{{"place": {revealed}}}"#))["ok"], true);
    let out = read(&link, &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let masked: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(masked["id_number"], "441882********0022");
    assert_eq!(masked["name"], "张*");
    assert_eq!(masked["nation"], "汉");
    assert_eq!(masked["valid_to"], "long_term");
    assert_eq!(masked["birth_date"], "1951-03-07");
    assert_eq!(masked["gender"], "female");
    assert_eq!(masked["id_number_valid"], true);
    assert!(!out.stdout.contains("441882195103070022") && !out.stdout.contains("张秀英"));

    // A device error: exit 4, one line on stderr.
    assert_eq!(sim.send(r#"{"place": {"card_type": "hmt_residence", "name": "陈家明", "gender": "male", "birth_date": "1990-08-15", "id_number": "810000199008150014", "valid_from": "2020-05-01", "valid_to": "2025-05-01"}}"#)["ok"], true);
    assert_eq!(sim.send(r#"{"fault": "sam_fail"}"#)["ok"], true);
    let out = read(&link, &[]);
    assert_eq!(out.code, 4);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert_eq!(sim.send(r#"{"fault": "none"}"#)["ok"], true);
    let out = read(&link, &["--reveal"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let hmt: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(hmt["card_type"], "hmt_residence");
    assert_eq!(hmt["id_number_valid"], true);

    // Bad control lines are answered with a reason and change nothing.
    let bad = sim.send(r#"{"fault": "meteor"}"#);
    assert_eq!(bad["ok"], false);
    assert!(bad["error"].as_str().unwrap().contains("unknown fault"));
    assert_eq!(sim.send(r#"{"remove": true}"#)["ok"], true);
    assert_eq!(read(&link, &[]).code, 3);

    // SIGTERM: the simulator removes its link; the reader is then a device error.
    sim.terminate();
    assert!(std::fs::symlink_metadata(&link).is_err(), "link removed");
    let out = read(&link, &[]);
    assert_eq!(out.code, 4, "{}", out.stderr);
    assert_eq!(out.stderr.lines().count(), 1);
}

#[test]
fn every_contract_fault_name_maps_to_an_exit_code() {
    let dir = TempDir::new("cli-faults");
    let link = dir.join("idcard");
    let mut sim = SimProcess::start(&["sim", "idcard", "--link", link.to_str().unwrap()]);
    let card = serde_json::to_string(&util::resident_card()).unwrap();
    // (fault, exit code of the read under it)
    for (fault, code) in [
        ("no_card", 3),
        ("read_fail", 4),
        ("sam_fail", 4),
        ("garbage", 0),
        ("split", 0),
        ("slow", 4),
        ("bad_checksum", 4),
    ] {
        assert_eq!(sim.send(&format!(r#"{{"place": {card}}}"#))["ok"], true);
        assert_eq!(sim.send(&format!(r#"{{"fault": "{fault}"}}"#))["ok"], true);
        let out = read(&link, &[]);
        assert_eq!(out.code, code, "{fault}: {}", out.stderr);
        assert_eq!(sim.send(r#"{"fault": "none"}"#)["ok"], true);
        assert_eq!(sim.send(&format!(r#"{{"place": {card}}}"#))["ok"], true);
        let out = read(&link, &[]);
        assert_eq!(out.code, 0, "read after {fault}: {}", out.stderr);
    }
}

#[test]
fn fingerprint_card_answers_30_10() {
    let dir = TempDir::new("cli-fp");
    let link = dir.join("idcard");
    let mut sim = SimProcess::start(&["sim", "idcard", "--link", link.to_str().unwrap()]);
    let mut card = serde_json::to_value(util::resident_card()).unwrap();
    card["fingerprint"] = Value::Bool(true);
    assert_eq!(sim.send(&format!(r#"{{"place": {card}}}"#))["ok"], true);
    let out = read(&link, &["--fingerprint", "--reveal"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let read: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(read, card, "fingerprint presence reported, its data never printed");
}

#[test]
fn sam_command_prints_id_and_status() {
    let dir = TempDir::new("cli-sam");
    let link = dir.join("idcard");
    let mut sim = SimProcess::start(&["sim", "idcard", "--link", link.to_str().unwrap()]);
    let out = kiosk_hw(&["idcard", "sam", "--port", link.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["status"], "ok");
    assert_eq!(v["sam_id"], "05.01-20240826-0004419001-1234567890");
    sim.send(r#"{"fault": "sam_fail"}"#);
    let out = kiosk_hw(&["idcard", "sam", "--port", link.to_str().unwrap()]);
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["status"], "sam_failed");
    assert_eq!(out.code, 4);
}

#[test]
fn usage_errors_are_clear() {
    let out = kiosk_hw(&["idcard", "read"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("--port"), "{}", out.stderr);
    let out = kiosk_hw(&["printer", "test-page", "--port", "/dev/null", "--width", "70"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("58 or 80"), "{}", out.stderr);
}

#[test]
fn printer_sim_status_and_test_page_follow_the_contract() {
    let dir = TempDir::new("cli-printer");
    let link = dir.join("printer");
    let out = dir.join("receipts");
    let mut sim = SimProcess::start(&["sim", "printer", "--link", link.to_str().unwrap(), "--out", out.to_str().unwrap(), "--width", "80"]);
    let port = link.to_str().unwrap();

    let status = kiosk_hw(&["printer", "status", "--port", port]);
    assert_eq!(status.code, 0, "{}", status.stderr);
    let v: Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(v["online"], true);
    assert_eq!(v["cover_open"], false);
    assert_eq!(v["paper"], "ok");
    assert_eq!(v["cutter_error"], false);
    assert_eq!(v["unrecoverable_error"], false);

    let page = kiosk_hw(&["printer", "test-page", "--port", port, "--width", "80"]);
    assert_eq!(page.code, 0, "{}", page.stderr);
    let text = wait_for_file(&out.join("0001.txt"));
    assert!(text.contains("打印机测试页"), "{text}");
    assert!(out.join("0001.png").exists());

    for (line, field, value) in [
        (r#"{"paper": "near_end"}"#, "paper", "near_end"),
        (r#"{"paper": "out"}"#, "paper", "out"),
    ] {
        assert_eq!(sim.send(line)["ok"], true);
        let v: Value = serde_json::from_str(&kiosk_hw(&["printer", "status", "--port", port]).stdout).unwrap();
        assert_eq!(v[field], value);
    }
    // Paper out: the test page is refused, nothing is printed.
    let page = kiosk_hw(&["printer", "test-page", "--port", port]);
    assert_eq!(page.code, 4);
    assert_eq!(page.stderr.lines().count(), 1, "{}", page.stderr);
    assert!(page.stderr.contains("paper"), "{}", page.stderr);
    assert_eq!(sim.send(r#"{"paper": "ok"}"#)["ok"], true);
    assert_eq!(sim.send(r#"{"cover": "open"}"#)["ok"], true);
    let v: Value = serde_json::from_str(&kiosk_hw(&["printer", "status", "--port", port]).stdout).unwrap();
    assert_eq!(v["cover_open"], true);
    assert_eq!(v["online"], false);
    assert_eq!(sim.send(r#"{"cover": "closed"}"#)["ok"], true);
    assert_eq!(sim.send(r#"{"paper": "soggy"}"#)["ok"], false);
    let page = kiosk_hw(&["printer", "test-page", "--port", port]);
    assert_eq!(page.code, 0, "{}", page.stderr);
    wait_for_file(&out.join("0002.txt"));
    assert!(!out.join("0003.txt").exists(), "exactly one receipt per successful job");
}

fn wait_for_file(path: &Path) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        if let Ok(t) = std::fs::read_to_string(path) {
            return t;
        }
        assert!(std::time::Instant::now() < deadline, "{} never appeared", path.display());
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}
