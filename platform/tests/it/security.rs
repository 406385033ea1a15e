//! Signed requests: tampering, replays, stale timestamps, unknown terminals are refused with
//! their codes, and counted.

use kiosk_platform::client::DeviceClient;
use kiosk_wire::sign::{sign_request, SigningKey};
use serde_json::json;

use crate::util::*;

const NONCE: &str = "00112233445566778899aabbccddeeff";

fn tampered_replayed_stale_and_unknown_requests_are_refused(db: Backend) {
    let p = Platform::start(db, "security");
    let t = p.terminal(1, true);
    let body = serde_json::to_vec(&heartbeat(&t.terminal_id, T0, 0)).unwrap();

    // A good request, then the very same request again.
    let r = t.send_signed("POST", "/api/v1/heartbeat", &body, T0, NONCE, &[]).unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    let r = t.send_signed("POST", "/api/v1/heartbeat", &body, T0, NONCE, &[]).unwrap();
    assert_eq!((r.status, r.code()), (401, "replayed_nonce".into()));

    // The body changed after signing.
    let signed = sign_request(&t.key, "POST", "/api/v1/heartbeat", &t.terminal_id, T0, "ffeeddccbbaa99887766554433221100", &body);
    let mut tampered = body.clone();
    tampered[body.len() - 2] ^= 1;
    let r = p.http().request("POST", "/api/v1/heartbeat", &signed.pairs(), &tampered).unwrap();
    assert_eq!((r.status, r.code()), (401, "bad_signature".into()));
    assert!(r.json()["message"].as_str().unwrap().contains("body"));
    // Signed for another path.
    let signed = sign_request(&t.key, "POST", "/api/v1/outbox", &t.terminal_id, T0, "0f0e0d0c0b0a09080706050403020100", &body);
    let r = p.http().request("POST", "/api/v1/heartbeat", &signed.pairs(), &body).unwrap();
    assert_eq!((r.status, r.code()), (401, "bad_signature".into()));
    // Signed by another key for this terminal.
    let impostor = DeviceClient::new(p.http(), SigningKey::from_bytes(&[9; 32]), &t.terminal_id, || T0);
    let r = impostor.send("POST", "/api/v1/heartbeat", &body, &[]).unwrap();
    assert_eq!((r.status, r.code()), (401, "bad_signature".into()));
    // No signature at all.
    let r = p.http().request("POST", "/api/v1/heartbeat", &[], &body).unwrap();
    assert_eq!((r.status, r.code()), (401, "bad_signature".into()));
    assert!(r.json()["message"].as_str().unwrap().contains("x-kiosk-terminal"));
    // Unknown terminal.
    let stranger = DeviceClient::new(p.http(), SigningKey::from_bytes(&[8; 32]), "T-0193a4f2-7c1e-7b3a-9f00-000000000000", || T0);
    let r = stranger.get("/api/v1/terminal").unwrap();
    assert_eq!((r.status, r.code()), (401, "unknown_terminal".into()));

    // Stale: beyond ±300 s; the answer carries the platform's clock so the agent can correct.
    for skew in [301, -301] {
        let r = t.send_signed("POST", "/api/v1/heartbeat", &body, T0 - skew, &format!("{:032x}", 1000 + skew), &[]).unwrap();
        assert_eq!((r.status, r.code(), r.json()["server_time"].clone()), (401, "stale_timestamp".into(), json!(T0)));
    }
    let r = t.send_signed("POST", "/api/v1/heartbeat", &body, T0 - 300, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", &[]).unwrap();
    assert_eq!(r.status, 200, "the edge of the window is accepted");

    for (reason, n) in [("bad_signature", 4.0), ("replayed_nonce", 1.0), ("stale_timestamp", 2.0), ("unknown_terminal", 1.0)] {
        assert_eq!(p.metric(&format!("kiosk_platform_requests_rejected_total{{reason=\"{reason}\"}}")), Some(n), "{reason}");
    }
}

fn a_replay_after_the_nonces_are_forgotten_is_stale(db: Backend) {
    // Nonces are kept for twice the skew window; a request older than the window fails its
    // timestamp, so forgetting them opens no replay.
    let p = Platform::with(db, "replay-window", |o| o.max_skew_s = 60);
    let t = p.terminal(1, true);
    let r = t.send_signed("GET", "/api/v1/config", b"", T0, NONCE, &[]).unwrap();
    assert_eq!(r.status, 200);
    p.clock.advance(121);
    let r = t.send_signed("GET", "/api/v1/config", b"", T0, NONCE, &[]).unwrap();
    assert_eq!((r.status, r.code()), (401, "stale_timestamp".into()));
}

crate::both!(tampered_replayed_stale_and_unknown_requests_are_refused, a_replay_after_the_nonces_are_forgotten_is_stale);
