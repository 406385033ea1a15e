//! Faults: paper out, unplugged reader, PIN guessing, a corrupt database, kill -9.

use std::time::Duration;

use kiosk_drivers::idcard::{IdCardSim, SimOptions};
use kiosk_drivers::printer::sim::Control;
use kiosk_drivers::printer::status::Paper;
use serde_json::json;

use crate::util::{self, Terminal};

#[test]
fn paper_out_holds_the_receipt_and_a_refill_prints_it_exactly_once() {
    let mut t = Terminal::new("paper");
    t.start();
    t.printer().control(Control::Paper(Paper::Out));
    t.wait_status(|s| s["devices"]["printer"]["paper"] == "out");
    t.identify(util::card());
    t.fill_form(&util::pension_certification_code());
    t.post_ok("/v1/session/submit", json!({}));
    let s = t.wait_session(|s| s["print"] == "held");
    assert_eq!(s["state"], "printing");
    let status = t.get("/v1/status");
    assert_eq!(status["devices"]["printer"]["state"], "error");
    assert_eq!(status["devices"]["printer"]["held_jobs"], 1);
    assert!(t.receipts().is_empty(), "nothing printed while paper is out");

    // The citizen goes on; the assistant refills the paper.
    t.post_ok("/v1/session/skip-print", json!({}));
    t.post_ok("/v1/session/rate", json!({ "level": 4 }));
    t.printer().control(Control::Paper(Paper::Ok));
    let m = t.login();
    assert!(m.post("/v1/maintenance/paper-refilled", json!({})).unwrap().ok());
    util::wait_until("the held receipt", Duration::from_secs(10), || t.receipts().len() == 1);
    std::thread::sleep(Duration::from_millis(1500)); // several status polls later…
    assert_eq!(t.receipts().len(), 1, "printed once, never twice");
    let unprinted = m.get("/v1/maintenance/receipts").unwrap().body;
    assert!(unprinted["unprinted"].as_array().unwrap().is_empty());
    let audit = { t.stop(); t.store().audit_log(10).unwrap() };
    assert!(audit.iter().any(|(_, _, action, _)| action == "paper_refilled"));
}

#[test]
fn reader_unplug_is_seen_and_a_replug_works_again() {
    let mut t = Terminal::new("unplug");
    t.start();
    t.wait_status(|s| s["devices"]["idcard"]["state"] == "ready");
    t.reader.take(); // unplugged: the pty and its link vanish
    t.wait_status(|s| s["devices"]["idcard"]["state"] == "absent");
    t.reader = Some(IdCardSim::spawn(&t.config.devices.idcard, SimOptions::default()).unwrap());
    t.wait_status(|s| s["devices"]["idcard"]["state"] == "ready");
    let s = t.identify(util::card());
    assert_eq!(s["state"], "authenticated");
    t.stop();
    let faults = t.store().faults().unwrap();
    assert!(faults.iter().any(|(cat, _, source)| cat == "idcard_fault" && source == "device"), "{faults:?}");
}

#[test]
fn pin_guessing_locks_the_maintenance_menu() {
    let mut t = Terminal::new("pin");
    t.start();
    assert_eq!(t.client.get("/v1/maintenance/devices").unwrap().status, 401, "no token, no menu");
    for expected in [401, 401, 429] {
        let r = t.post("/v1/maintenance/login", json!({ "pin": "000000" }));
        assert_eq!(r.status, expected, "{}", r.body);
    }
    let r = t.post("/v1/maintenance/login", json!({ "pin": util::PIN }));
    assert_eq!(r.status, 429, "locked out even with the right pin");
    assert_eq!(r.body["error"], "locked_out");
    t.stop();
    let audit = t.store().audit_log(10).unwrap();
    assert_eq!(audit.iter().filter(|(_, _, a, _)| a == "login_failed").count(), 4);
}

#[test]
fn maintenance_actions_work_and_are_audited() {
    let mut t = Terminal::new("maint");
    t.start();
    let m = t.login();
    let devices = m.get("/v1/maintenance/devices").unwrap();
    assert!(devices.ok() && devices.body["printer"]["state"].is_string());
    assert!(m.post("/v1/maintenance/test-page", json!({})).unwrap().ok());
    util::wait_until("the test page", Duration::from_secs(10), || t.receipts().len() == 1);
    assert!(util::file_text(&t.receipts()[0]).contains("打印机测试页"));
    let r = m.post("/v1/maintenance/fault", json!({ "category": "screen", "text": "触摸屏右下角失灵" })).unwrap();
    assert!(r.ok(), "{}", r.body);
    assert_eq!(m.post("/v1/maintenance/fault", json!({ "category": "" })).unwrap().status, 422);
    // Assisted visit.
    t.identify(util::card());
    let s = m.post("/v1/maintenance/assist", json!({ "on": true })).unwrap();
    assert_eq!(s.body["assisted"], true);
    // Out of service: no visits start, cards are ignored.
    t.post_ok("/v1/session/finish", json!({}));
    assert!(m.post("/v1/maintenance/out-of-service", json!({ "on": true, "reason": "屏幕维修" })).unwrap().ok());
    assert_eq!(t.post("/v1/session/start", json!({})).status, 503);
    let counts = m.get("/v1/maintenance/counts").unwrap().body;
    assert!(counts["counts"].is_object(), "{counts}");
    assert!(m.post("/v1/maintenance/out-of-service", json!({ "on": false })).unwrap().ok());
    t.post_ok("/v1/session/start", json!({}));
    assert!(m.post("/v1/maintenance/logout", json!({})).unwrap().ok());
    assert_eq!(m.get("/v1/maintenance/devices").unwrap().status, 401);
    t.stop();
    let actions: Vec<String> = t.store().audit_log(50).unwrap().into_iter().map(|(_, _, a, _)| a).collect();
    for a in ["login", "view_devices", "test_page", "fault_report", "assist_on", "out_of_service_on", "out_of_service_off", "logout"] {
        assert!(actions.iter().any(|x| x == a), "{a} not audited: {actions:?}");
    }
}

#[test]
fn a_corrupt_database_brings_the_terminal_up_out_of_service() {
    let mut t = Terminal::new("corrupt");
    std::fs::create_dir_all(&t.config.storage.data_dir).unwrap();
    std::fs::write(t.config.db_path(), b"SQLite format 3\0 but then the disk died ".repeat(100)).unwrap();
    t.start();
    let status = t.get("/v1/status");
    assert_eq!(status["out_of_service"]["reason"], "database_recovered");
    assert_eq!(t.post("/v1/session/start", json!({})).status, 503);
    t.reader().place(util::card()).unwrap();
    std::thread::sleep(Duration::from_millis(800));
    assert!(t.get("/v1/session")["citizen"].is_null(), "no visit while out of service");
    let moved: Vec<_> = std::fs::read_dir(&t.config.storage.data_dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".corrupt-"))
        .collect();
    assert_eq!(moved.len(), 1, "the corrupt file is kept for the technician");
    // The assistant puts the terminal back in service.
    let m = t.login();
    assert!(m.post("/v1/maintenance/out-of-service", json!({ "on": false })).unwrap().ok());
    t.post_ok("/v1/session/start", json!({}));
}

#[test]
fn kill_9_during_submit_leaves_the_transaction_complete_or_absent() {
    let code = util::pension_certification_code();
    for delay_us in [0u64, 300, 1000, 3000, 8000] {
        let mut t = Terminal::new("kill9");
        t.start();
        t.identify(util::card());
        t.fill_form(&code);
        let client = t.client.clone();
        let submitter = std::thread::spawn(move || client.post("/v1/session/submit", json!({})));
        std::thread::sleep(Duration::from_micros(delay_us));
        t.kill();
        let answered = submitter.join().unwrap().ok().filter(|r| r.ok()).map(|r| r.body["transaction_key"].as_str().unwrap_or("").to_string());
        let store = t.store();
        let rows = store.transactions().unwrap();
        assert!(rows.len() <= 1);
        if let Some(key) = &answered {
            assert_eq!(rows.len(), 1, "an answered submit is durable (delay {delay_us} µs)");
            assert_eq!(&rows[0].key, key);
        }
        for row in &rows {
            // Complete: the sealed form opens and its receipt job exists.
            assert!(store.transaction_form(&row.key).unwrap().is_some());
            // (Any state: a job being written when the kill came is settled as `uncertain` at
            // the next start rather than printed twice.)
            assert!(store.receipt_of_transaction(&row.key).unwrap().is_some(), "the receipt job exists");
            assert!(t.receipts().len() <= 1);
        }
        drop(store);
        // The daemon comes back over whatever the kill left.
        t.start();
        assert_eq!(t.get("/v1/session")["state"], "idle");
    }
}

#[test]
fn systemd_hears_ready_and_watchdog_pings_from_the_core_loop() {
    let mut t = Terminal::new("notify");
    let socket_path = t.dir.join("notify.sock");
    let socket = std::os::unix::net::UnixDatagram::bind(&socket_path).unwrap();
    socket.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    t.env.push(("NOTIFY_SOCKET".into(), socket_path.to_str().unwrap().into()));
    t.env.push(("WATCHDOG_USEC".into(), "600000".into()));
    t.start();
    let mut buf = [0u8; 64];
    let mut heard = Vec::new();
    while !(heard.iter().any(|m: &String| m == "READY=1") && heard.iter().filter(|m| *m == "WATCHDOG=1").count() >= 2) {
        let n = socket.recv(&mut buf).expect("a notification within 10 s");
        heard.push(String::from_utf8_lossy(&buf[..n]).into_owned());
    }
    t.stop();
    let mut stopping = false;
    while let Ok(n) = socket.recv(&mut buf) {
        if &buf[..n] == b"STOPPING=1" {
            stopping = true;
            break;
        }
    }
    assert!(stopping, "STOPPING=1 on shutdown");
}
