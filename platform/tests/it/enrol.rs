//! Enrolment, approval, the terminal lifecycle, and online/offline from heartbeat age.

use kiosk_wire::sign::SigningKey;
use kiosk_wire::{Batch, EnrolRequest, HeartbeatAck, Site, TerminalInfo};
use serde_json::json;

use crate::util::*;

fn a_terminal_enrols_waits_for_approval_then_shows_online_until_heartbeats_stop(db: Backend) {
    let p = Platform::with(db, "online", |o| o.offline_after_s = Some(30));
    let key = SigningKey::from_bytes(&[1; 32]);
    let token = p.token("4418", false);
    let r = p.enrol_raw(&key, &token, DIVISION);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["status"], "pending");
    assert_eq!(r.json()["v"], 1);
    let id = r.json()["terminal_id"].as_str().unwrap().to_string();
    assert!(id.starts_with("T-") && id.len() == 38, "{id}");
    let t = p.device(&key, &id);

    // Pending: it may read its record, nothing else.
    let info: TerminalInfo = serde_json::from_value(t.get("/api/v1/terminal").unwrap().json()).unwrap();
    assert_eq!(info.status, kiosk_wire::TerminalStatus::Pending);
    assert_eq!((info.site.division_code.as_str(), info.heartbeat_s, info.offline_after_s), (DIVISION, 60, 30));
    let r = t.post_json("/api/v1/heartbeat", &heartbeat(&id, T0, 0)).unwrap();
    assert_eq!((r.status, r.code(), r.json()["status"].clone()), (403, "pending".into(), json!("pending")));
    assert_eq!(p.listed(&id)["status"], "pending");
    assert_eq!(p.listed(&id)["online"], false);
    assert_eq!(p.metric("kiosk_platform_terminals{status=\"pending\"}"), Some(1.0));

    // Approved: heartbeats are acknowledged and the terminal is online.
    p.admin.transition(&id, "approve", Some("现场核验通过")).unwrap();
    let r = t.post_json("/api/v1/heartbeat", &heartbeat(&id, T0 - 7, 4)).unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    let ack: HeartbeatAck = serde_json::from_value(r.json()).unwrap();
    assert_eq!((ack.server_time, ack.status, ack.config_version, ack.catalogue_version), (T0, kiosk_wire::TerminalStatus::Approved, 1, None));
    let listed = p.listed(&id);
    assert_eq!((listed["online"].clone(), listed["outbox_pending"].clone(), listed["clock_offset_s"].clone()), (json!(true), json!(4), json!(7)));
    assert_eq!(listed["health"]["printer"]["paper"], "near_end");
    assert_eq!(p.metric("kiosk_platform_terminals_online"), Some(1.0));
    assert_eq!(p.metric("kiosk_platform_terminals{status=\"approved\"}"), Some(1.0));
    assert_eq!(p.metric("kiosk_platform_outbox_pending"), Some(4.0));
    let detail = p.admin.get_json(&format!("/admin/v1/terminals/{id}")).unwrap();
    let events: Vec<&str> = detail["events"].as_array().unwrap().iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert_eq!(events, ["approved", "enrolled"]);

    // Heartbeats stop: offline once the threshold has passed, and not before.
    p.clock.advance(30);
    assert_eq!(p.listed(&id)["online"], true);
    p.clock.advance(1);
    assert_eq!(p.listed(&id)["online"], false);
    assert_eq!(p.metric("kiosk_platform_terminals_online"), Some(0.0));
    let offline = p.admin.get_json("/admin/v1/terminals?online=false").unwrap();
    assert_eq!(offline["terminals"].as_array().unwrap().len(), 1);
    // And back.
    t.post_json("/api/v1/heartbeat", &heartbeat(&id, p.clock.now(), 0)).unwrap().ok().unwrap();
    assert_eq!(p.listed(&id)["online"], true);
}

fn enrolment_tokens_are_one_time_bound_to_a_division_and_expire(db: Backend) {
    let p = Platform::start(db, "tokens");
    let (k1, k2, k3) = (SigningKey::from_bytes(&[1; 32]), SigningKey::from_bytes(&[2; 32]), SigningKey::from_bytes(&[3; 32]));
    let token = p.token("4418", false);
    // Outside the token's city.
    let r = p.enrol_raw(&k1, &token, "440103000000");
    assert_eq!((r.status, r.code()), (403, "division_not_allowed".into()));
    let first = p.enrol_raw(&k1, &token, DIVISION);
    assert_eq!(first.status, 200);
    // A retry after a lost answer gets the same terminal.
    let again = p.enrol_raw(&k1, &token, DIVISION);
    assert_eq!(again.json(), first.json());
    // Another key cannot reuse it; the same key cannot enrol twice.
    let r = p.enrol_raw(&k2, &token, DIVISION);
    assert_eq!((r.status, r.code()), (409, "token_used".into()));
    let r = p.enrol_raw(&k1, &p.token("44", false), DIVISION);
    assert_eq!((r.status, r.code()), (409, "already_enrolled".into()));
    // Unknown and expired tokens.
    let r = p.enrol_raw(&k2, "no-such-token", DIVISION);
    assert_eq!((r.status, r.code()), (401, "bad_token".into()));
    let short = p.admin.create_token("4418", false, Some(60), "").unwrap()["token"].as_str().unwrap().to_string();
    p.clock.advance(60);
    let r = p.enrol_raw(&k2, &short, DIVISION);
    assert_eq!((r.status, r.code()), (401, "token_expired".into()));
    // Pre-approved.
    let r = p.enrol_raw(&k3, &p.token("4418", true), DIVISION);
    assert_eq!(r.json()["status"], "approved");
    // Tokens are listed without their secrets.
    let list = p.admin.get_json("/admin/v1/tokens").unwrap();
    assert!(!list.to_string().contains(&token));
    assert_eq!(list.as_array().unwrap().iter().filter(|t| t["used_by"].is_string()).count(), 2);
    // Malformed requests.
    let bad_key = EnrolRequest::new(&token, "00".repeat(31), Site { name: "x".into(), division_code: DIVISION.into() }, "0.1.0");
    let post = |body: Vec<u8>| p.http().request("POST", "/api/v1/enrol", &[], &body).unwrap();
    let r = post(serde_json::to_vec(&bad_key).unwrap());
    assert_eq!((r.status, r.code()), (400, "bad_request".into()));
    assert!(r.json()["message"].as_str().unwrap().contains("public_key"));
    let mut v2 = serde_json::to_value(EnrolRequest::new(&token, kiosk_wire::sign::public_key_hex(&k2.verifying_key()), Site { name: "x".into(), division_code: DIVISION.into() }, "0.1.0")).unwrap();
    v2["v"] = json!(2);
    let r = post(v2.to_string().into_bytes());
    assert_eq!((r.status, r.code()), (400, "unsupported_version".into()));
    let r = p.admin.call("POST", "/admin/v1/tokens", br#"{"division_prefix": "44x"}"#).unwrap_err();
    assert!(r.to_string().contains("400"), "{r}");
}

fn rejection_relocation_and_decommissioning(db: Backend) {
    let p = Platform::start(db, "lifecycle");
    let rejected = p.terminal(1, false);
    p.admin.transition(&rejected.terminal_id, "reject", Some("未经批准的站点")).unwrap();
    let info = rejected.get("/api/v1/terminal").unwrap().json();
    assert_eq!((info["status"].clone(), info["status_reason"].clone()), (json!("rejected"), json!("未经批准的站点")));
    let r = rejected.post_json("/api/v1/heartbeat", &heartbeat(&rejected.terminal_id, T0, 0)).unwrap();
    assert_eq!((r.status, r.code()), (403, "rejected".into()));
    let e = p.admin.transition(&rejected.terminal_id, "approve", None).unwrap_err().to_string();
    assert!(e.contains("409 bad_transition"), "{e}");
    assert!(p.admin.transition("T-nope", "approve", None).unwrap_err().to_string().contains("404"));

    // Relocation: a new, approved site; the terminal goes on serving there.
    let t = p.terminal(2, true);
    let moved = p.admin.relocate(&t.terminal_id, "石角镇政务服务站", "441821100000", Some("村委会搬迁")).unwrap();
    assert_eq!((moved["status"].clone(), moved["site"]["division_code"].clone()), (json!("relocated"), json!("441821100000")));
    let info: TerminalInfo = serde_json::from_value(t.get("/api/v1/terminal").unwrap().json()).unwrap();
    assert_eq!((info.status, info.site.name.as_str()), (kiosk_wire::TerminalStatus::Relocated, "石角镇政务服务站"));
    t.post_json("/api/v1/heartbeat", &heartbeat(&t.terminal_id, T0, 0)).unwrap().ok().unwrap();
    assert!(p.admin.relocate(&t.terminal_id, "x", "12345", None).unwrap_err().to_string().contains("400"));

    // Decommissioned: every sync request is refused with its status; its record says so.
    p.admin.transition(&t.terminal_id, "decommission", Some("设备报废")).unwrap();
    let r = t.post_json("/api/v1/heartbeat", &heartbeat(&t.terminal_id, T0, 0)).unwrap();
    assert_eq!((r.status, r.code(), r.json()["status"].clone()), (403, "decommissioned".into(), json!("decommissioned")));
    let r = t.post_json("/api/v1/outbox", &Batch::new(&t.terminal_id, vec![fault(1)])).unwrap();
    assert_eq!((r.status, r.code()), (403, "decommissioned".into()));
    for path in ["/api/v1/catalogue", "/api/v1/config"] {
        assert_eq!(t.get(path).unwrap().code(), "decommissioned", "{path}");
    }
    assert_eq!(t.get("/api/v1/terminal").unwrap().json()["status"], "decommissioned");
    assert_eq!(p.metric("kiosk_platform_terminals{status=\"decommissioned\"}"), Some(1.0));
}

crate::both!(a_terminal_enrols_waits_for_approval_then_shows_online_until_heartbeats_stop, enrolment_tokens_are_one_time_bound_to_a_division_and_expire, rejection_relocation_and_decommissioning);
