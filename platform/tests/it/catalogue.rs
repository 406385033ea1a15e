//! Catalogue publishing, signatures a terminal can verify, ETags, pause/resume, knowledge, and
//! the configuration.

use kiosk_platform::client::DeviceClient;
use kiosk_wire::sign::parse_public_key;
use kiosk_wire::{SignedCatalogue, TerminalConfig};
use serde_json::{json, Value};

use crate::util::*;

const ITEM: &str = "11440000009511114X4442182945000";

fn pull(t: &DeviceClient, etag: Option<&str>) -> kiosk_platform::client::HttpResponse {
    match etag {
        Some(e) => t.send("GET", "/api/v1/catalogue", b"", &[("if-none-match", e.to_string())]).unwrap(),
        None => t.get("/api/v1/catalogue").unwrap(),
    }
}

fn item_status(doc: &str, code: &str) -> Value {
    let v: Value = serde_json::from_str(doc).unwrap();
    v["items"].as_array().unwrap().iter().find(|i| i["code"] == code).unwrap()["status"].clone()
}

fn a_published_catalogue_reaches_terminals_signed_and_versioned(db: Backend) {
    let p = Platform::start(db, "catalogue");
    let t = p.terminal(1, true);
    assert_eq!(pull(&t, None).code(), "no_catalogue");
    let published = p.admin.publish_catalogue(SAMPLE_CATALOGUE).unwrap();
    assert_eq!(published["version"], "2026.12.01.1");

    // The terminal verifies it against the key it was configured with.
    let key = p.admin.get_json("/admin/v1/platform-key").unwrap();
    let vk = parse_public_key(key["public_key"].as_str().unwrap()).unwrap();
    let r = pull(&t, None);
    assert_eq!(r.header("etag"), Some("\"2026.12.01.1\""));
    let signed: SignedCatalogue = serde_json::from_value(r.json()).unwrap();
    assert_eq!(signed.document, SAMPLE_CATALOGUE, "the document exactly as published");
    assert_eq!(signed.verify(&vk).unwrap().version.to_string(), "2026.12.01.1");
    assert_eq!(signed.key_id, key["key_id"].as_str().unwrap());
    // Unchanged: 304 without a body.
    let r = pull(&t, Some("\"2026.12.01.1\""));
    assert_eq!((r.status, r.body.len()), (304, 0));
    // The heartbeat answer names the latest version.
    let ack = t.post_json("/api/v1/heartbeat", &heartbeat(&t.terminal_id, T0, 0)).unwrap().json();
    assert_eq!(ack["catalogue_version"], "2026.12.01.1");

    // Versions only go up; documents must have a head.
    let e = p.admin.publish_catalogue(SAMPLE_CATALOGUE).unwrap_err().to_string();
    assert!(e.contains("409 version_not_newer"), "{e}");
    for bad in ["{", "[]", "{\"schema\": 2, \"version\": \"2027.01.01.1\"}", "{\"schema\": 1, \"version\": \"new\"}"] {
        let e = p.admin.publish_catalogue(bad).unwrap_err().to_string();
        assert!(e.contains("422 invalid_catalogue"), "{bad}: {e}");
    }

    // Pause with notice: a new version (today's date), the item paused in the document.
    let paused = p.admin.pause(ITEM, "系统升级，12月20日暂停办理。", "Paused on 20 December for an upgrade.", "2026-12-20T08:00:00+08:00", "2026-12-20T18:00:00+08:00").unwrap();
    assert_eq!(paused["version"], "2026.12.04.1");
    let r = pull(&t, Some("\"2026.12.01.1\""));
    assert_eq!((r.status, r.header("etag")), (200, Some("\"2026.12.04.1\"")));
    let signed: SignedCatalogue = serde_json::from_value(r.json()).unwrap();
    signed.verify(&vk).unwrap();
    assert_eq!(
        item_status(&signed.document, ITEM),
        json!({ "state": "paused", "notice": "系统升级，12月20日暂停办理。", "notice_en": "Paused on 20 December for an upgrade.", "from": "2026-12-20T08:00:00+08:00", "until": "2026-12-20T18:00:00+08:00" })
    );
    let doc: Value = serde_json::from_str(&signed.document).unwrap();
    assert_eq!(doc["published_at"], "2026-12-04T10:00:00+08:00");
    assert_eq!(doc["items"].as_array().unwrap().len(), 41, "nothing else changed");

    // Resume: active again, next version.
    let resumed = p.admin.resume(ITEM).unwrap();
    assert_eq!((resumed["version"].clone(), resumed["was_paused"].clone()), (json!("2026.12.04.2"), json!(true)));
    let signed: SignedCatalogue = serde_json::from_value(pull(&t, None).json()).unwrap();
    assert_eq!(item_status(&signed.document, ITEM), json!({ "state": "active" }));

    // Refusals: unknown item, offline item, bad window.
    assert!(p.admin.resume("nope").unwrap_err().to_string().contains("404"));
    let e = p.admin.pause("11441800005050701D4442715864000", "x", "", "2026-12-20T08:00:00+08:00", "2026-12-20T18:00:00+08:00").unwrap_err().to_string();
    assert!(e.contains("409 item_offline"), "{e}");
    let e = p.admin.pause(ITEM, "x", "", "2026-12-20T18:00:00+08:00", "2026-12-20T08:00:00+08:00").unwrap_err().to_string();
    assert!(e.contains("400"), "{e}");

    // Knowledge content.
    let bundle = json!({ "knowledge": [{ "id": "kn-notice-test", "title": "通知", "title_en": "Notice", "category": "notice", "body": "正文。", "body_en": "Body.", "image": null, "start": "2026-12-01", "expires": "2026-12-31" }] });
    let r = p.admin.publish_knowledge(&bundle.to_string()).unwrap();
    assert_eq!((r["version"].clone(), r["knowledge"].clone()), (json!("2026.12.04.3"), json!(1)));
    let signed: SignedCatalogue = serde_json::from_value(pull(&t, None).json()).unwrap();
    let doc: Value = serde_json::from_str(&signed.document).unwrap();
    assert_eq!(doc["knowledge"], bundle["knowledge"]);
    assert!(p.admin.publish_knowledge("[{\"id\": \"bad\"}]").unwrap_err().to_string().contains("400"));
}

fn configuration_is_pulled_by_version(db: Backend) {
    let p = Platform::start(db, "config");
    let t = p.terminal(1, true);
    let r = t.get("/api/v1/config").unwrap();
    let c: TerminalConfig = serde_json::from_value(r.json()).unwrap();
    assert_eq!((c.version, c.heartbeat_s, c.offline_after_s, r.header("etag")), (1, 60, 180, Some("\"1\"")));
    assert_eq!(t.send("GET", "/api/v1/config", b"", &[("if-none-match", "\"1\"".into())]).unwrap().status, 304);
    let changed = p.admin.post_json("/admin/v1/config", &json!({ "heartbeat_s": 30, "settings": { "purge_after_days": 7 } })).unwrap();
    assert_eq!((changed["version"].clone(), changed["offline_after_s"].clone()), (json!(2), json!(90)));
    let r = t.send("GET", "/api/v1/config", b"", &[("if-none-match", "\"1\"".into())]).unwrap();
    let c: TerminalConfig = serde_json::from_value(r.json()).unwrap();
    assert_eq!((c.version, c.heartbeat_s, c.settings["purge_after_days"].clone()), (2, 30, json!(7)));
    let ack = t.post_json("/api/v1/heartbeat", &heartbeat(&t.terminal_id, T0, 0)).unwrap().json();
    assert_eq!(ack["config_version"], 2);
    assert!(p.admin.post_json("/admin/v1/config", &json!({ "heartbeat_s": 1 })).unwrap_err().to_string().contains("400"));
}

crate::both!(a_published_catalogue_reaches_terminals_signed_and_versioned, configuration_is_pulled_by_version);
