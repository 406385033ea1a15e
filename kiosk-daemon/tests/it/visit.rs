//! Citizen visits end to end.

use std::time::Duration;

use serde_json::json;

use crate::util::{self, Terminal, ID, NAME};

#[test]
fn a_full_offline_visit_leaves_no_trace_of_the_citizen() {
    let mut t = Terminal::new("visit");
    t.start();
    let status = t.get("/v1/status");
    assert_eq!(status["online"], false, "no platform: the network is down");
    let mut events = t.client.events().unwrap();

    // Card -> identified session, masked.
    let s = t.identify(util::card());
    assert_eq!(s["state"], "authenticated");
    assert_eq!(s["citizen"]["name_masked"], "张*");
    assert_eq!(s["citizen"]["id_masked"], "441882********0022");

    // Search by pinyin initials and by words.
    t.post_ok("/v1/session/browse", json!({}));
    let code = util::pension_certification_code();
    let by_words = t.get("/v1/search?q=%E8%B5%84%E6%A0%BC%E8%AE%A4%E8%AF%81");
    assert!(by_words["items"].as_array().unwrap().iter().any(|i| i["code"] == code.as_str()));
    let by_pinyin = t.get("/v1/search?q=cxjmylbx");
    assert!(by_pinyin["items"].as_array().unwrap().iter().any(|i| i["code"] == code.as_str()));

    // The form is prefilled from the card, masked and locked.
    let s = t.fill_form(&code);
    assert_eq!(s["state"], "in_service");
    assert_eq!(s["fields"]["id_number"]["value"], "441882********0022");
    assert_eq!(s["fields"]["id_number"]["locked"], true);
    let refused = t.post("/v1/session/fields", json!({ "fields": { "id_number": "110105194912310020" } }));
    assert_eq!(refused.status, 422);
    assert_eq!(refused.body["error"], "field_locked");

    // Submit with the network down: durable, receipt printed.
    let s = t.post_ok("/v1/session/submit", json!({}));
    let key = s["transaction_key"].as_str().unwrap().to_string();
    let s = t.wait_session(|s| s["print"] == "printed");
    assert_eq!(s["state"], "rating");
    util::wait_until("the receipt file", Duration::from_secs(10), || t.receipts().len() == 1);
    let receipt = util::file_text(&t.receipts()[0]);
    assert!(receipt.contains("441882********0022"), "{receipt}");
    assert!(receipt.contains(&key), "{receipt}");
    assert!(!receipt.contains(ID) && !receipt.contains(NAME), "no full id or name on paper: {receipt}");

    // Rating stored; the visit is wiped.
    let s = t.post_ok("/v1/session/rate", json!({ "level": 5, "reasons": ["办理快捷"] }));
    assert_eq!(s["state"], "finished");
    let s = t.get("/v1/session");
    assert!(s["citizen"].is_null() && s["fields"].as_object().unwrap().is_empty() && s["transaction_key"].is_null());
    let status = t.get("/v1/status");
    assert_eq!(status["outbox"]["pending"], 2, "the transaction and the rating wait for the platform");

    // The event stream told the UI what happened, without personal data.
    let mut seen = Vec::new();
    while let Ok(Some((name, data))) = events.next_event(Duration::from_millis(300)) {
        let text = data.to_string();
        assert!(!text.contains(ID) && !text.contains(NAME), "event {name} leaks: {text}");
        seen.push(name);
    }
    assert!(seen.iter().any(|e| e == "session") && seen.iter().any(|e| e == "print"), "{seen:?}");

    // Stored: complete, sealed, no plaintext in the database files; the log holds no name or id.
    t.stop();
    let store = t.store();
    let row = store.transaction(&key).unwrap().unwrap();
    assert_eq!(row.state, "pending");
    assert_eq!(store.transaction_form(&key).unwrap().unwrap()["id_number"], ID);
    assert_eq!(store.ratings().unwrap()[0].1.as_deref(), Some(key.as_str()));
    drop(store);
    for f in ["kiosk.db", "kiosk.db-wal"] {
        let bytes = std::fs::read(t.config.storage.data_dir.join(f)).unwrap_or_default();
        assert!(!bytes.windows(ID.len()).any(|w| w == ID.as_bytes()), "{f} holds the id in plaintext");
    }
    let log = util::file_text(&t.log_path());
    assert!(log.contains("transaction stored"), "the log is real: {log}");
    assert!(!log.contains(ID) && !log.contains(NAME) && !log.contains("441882********0022"), "the log leaks: {log}");
}

#[test]
fn inactivity_warns_then_wipes_and_more_time_extends() {
    let mut t = Terminal::with("timeout", |c| {
        c.session.timeout_s = 5;
        c.session.warning_s = 3;
    });
    t.start();
    let mut events = t.client.events().unwrap();
    t.identify(util::card());
    let warning = events.wait_for("warning", Duration::from_secs(8), |_| true).unwrap().expect("a warning");
    assert!(warning["seconds_left"].as_u64().unwrap() <= 3);
    // "需要更多时间" resets the clock.
    t.post_ok("/v1/session/extend", json!({}));
    let s = t.get("/v1/session");
    assert_eq!(s["state"], "authenticated");
    assert!(s["seconds_left"].is_null());
    events.wait_for("timeout", Duration::from_secs(10), |_| true).unwrap().expect("a timeout");
    let s = t.get("/v1/session");
    assert_eq!(s["state"], "idle");
    assert!(s["citizen"].is_null());
}

#[test]
fn a_second_card_ends_the_first_citizens_session() {
    let mut t = Terminal::new("second-card");
    t.start();
    let first = t.identify(util::card());
    t.fill_form(&util::pension_certification_code());
    let second = t.identify(util::second_card());
    assert!(second["session"].as_u64() > first["session"].as_u64());
    assert_eq!(second["state"], "authenticated");
    assert_eq!(second["citizen"]["id_masked"], "441826********0012");
    assert!(second["item"].is_null() && second["fields"].as_object().unwrap().is_empty());
    let text = second.to_string();
    assert!(!text.contains("441882") && !text.contains('张'), "nothing of the first citizen: {text}");
}

#[test]
fn anonymous_visits_read_guides_but_card_services_need_a_card() {
    let mut t = Terminal::new("anonymous");
    t.start();
    t.post_ok("/v1/session/start", json!({}));
    let r = t.post("/v1/session/item", json!({ "code": util::pension_certification_code() }));
    assert_eq!(r.status, 409);
    assert_eq!(r.body["error"], "needs_card");
    let items = t.get("/v1/items");
    let guide = items["items"].as_array().unwrap().iter().find(|i| i["kind"] == "guide" && i["availability"]["available"] == true).unwrap();
    let s = t.post_ok("/v1/session/item", json!({ "code": guide["code"] }));
    assert_eq!(s["state"], "in_service");
    // Offline: query items say why they are unavailable; everything else works.
    let query = items["items"].as_array().unwrap().iter().find(|i| i["kind"] == "query" && i["availability"]["reason"] == "needs_network");
    assert!(query.is_some(), "query items are unavailable offline");
    let r = t.post("/v1/session/item", json!({ "code": query.unwrap()["code"] }));
    assert_eq!(r.body["error"], "unavailable");
    let knowledge = t.get("/v1/knowledge");
    assert!(!knowledge["knowledge"].as_array().unwrap().is_empty());
    t.post_ok("/v1/session/finish", json!({}));
}
