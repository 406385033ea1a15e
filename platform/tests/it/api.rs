//! The route table, the OpenAPI document, the operations page, hostile requests, admin
//! authentication and overload protection.

use std::io::Write;

use kiosk_platform::api::openapi::{Auth, ROUTES};
use serde_json::Value;

use crate::util::*;

fn every_documented_route_answers_and_the_document_matches_the_table(db: Backend) {
    let p = Platform::start(db, "routes");
    let t = p.terminal(1, true);
    let doc = p.http().get("/openapi.json", &[]).unwrap().json();
    let documented: usize = doc["paths"].as_object().unwrap().values().map(|m| m.as_object().unwrap().len()).sum();
    assert_eq!(documented, ROUTES.len());
    for (method, path, _, auth) in ROUTES {
        let concrete = path.replace("{id}", &t.terminal_id).replace("{code}", "no-such-item").replace("{kind}", "usage");
        let m = method.to_uppercase();
        let r = match auth {
            Auth::Public => p.http().request(&m, &concrete, &[], b"{}").unwrap(),
            Auth::Device => t.send(&m, &concrete, if m == "GET" { b"" } else { b"{}" }, &[]).unwrap(),
            Auth::Admin => p.admin.http.request(&m, &concrete, &[("authorization", format!("Bearer {}", admin_token(&p)))], b"{}").unwrap(),
        };
        assert_ne!(r.status, 405, "{method} {path}: method not routed");
        assert!(!(r.status == 404 && r.code() == "not_found" && r.json()["message"] == "no such route"), "{method} {path}: not routed");
        assert!(r.status < 500, "{method} {path}: {} {}", r.status, r.text());
        if *auth == Auth::Admin {
            let anon = p.http().request(&m, &concrete, &[], b"{}").unwrap();
            assert_eq!((anon.status, anon.code()), (401, "unauthorized".to_string()), "{method} {path} without the token");
        }
    }
    let r = p.http().get("/nope", &[]).unwrap();
    assert_eq!((r.status, r.code()), (404, "not_found".into()));
    let r = p.http().request("DELETE", "/api/v1/heartbeat", &[], b"").unwrap();
    assert_eq!(r.status, 405);
}

fn admin_token(p: &Platform) -> String {
    std::fs::read_to_string(p.dir.join("admin-token")).unwrap().trim().to_string()
}

fn the_operations_page_and_its_data(db: Backend) {
    let p = Platform::start(db, "page");
    let t = p.terminal(1, true);
    t.post_json("/api/v1/heartbeat", &heartbeat(&t.terminal_id, T0, 2)).unwrap().ok().unwrap();
    t.post_json("/api/v1/outbox", &kiosk_wire::Batch::new(&t.terminal_id, vec![transaction(1), transaction(2), fault(3)])).unwrap().ok().unwrap();
    let page = p.http().get("/", &[]).unwrap();
    assert_eq!(page.header("content-type"), Some("text/html; charset=utf-8"));
    let html = page.text();
    assert!(html.contains("终端运维平台") && html.contains("terminal operations"));
    let summary = p.admin.get_json("/admin/v1/summary").unwrap();
    assert_eq!((summary["counts"]["online"].clone(), summary["counts"]["open_faults"].clone()), (Value::from(1), Value::from(1)));
    let svg = p.admin.call("GET", "/admin/v1/stats/usage.svg", b"").unwrap();
    assert_eq!(svg.header("content-type"), Some("image/svg+xml; charset=utf-8"));
    let svg = svg.text();
    assert!(svg.contains("城乡居民养老保险待遇资格认证") && svg.contains(">2</text>"), "{svg}");
    let one = p.admin.call("GET", &format!("/admin/v1/stats/usage.svg?terminal={}", t.terminal_id), b"").unwrap().text();
    assert!(one.contains(">2</text>"));
}

fn hostile_requests_get_clear_errors_and_the_service_goes_on(db: Backend) {
    let p = Platform::start(db, "hostile");
    let t = p.terminal(1, true);
    let post = |path: &str, body: &[u8]| p.http().request("POST", path, &[("content-type", "application/json".into())], body).unwrap();
    for body in [&b"{"[..], b"null", b"[]", b"\xff\xfe", b"{\"v\": \"1\"}", b"{\"v\":1,\"token\":5}"] {
        let r = post("/api/v1/enrol", body);
        assert_eq!((r.status, r.code()), (400, "bad_request".into()), "{body:?}");
    }
    let r = post("/api/v1/enrol", b"");
    assert_eq!(r.status, 400);
    // Over the body limit (2 MiB): refused, answered in JSON.
    let huge = vec![b' '; 3 * 1024 * 1024];
    let r = post("/api/v1/enrol", &huge);
    assert_eq!((r.status, r.code()), (413, "payload_too_large".into()));
    // Signed but malformed.
    for body in [&b"{"[..], b"{\"v\":1}", b"{\"v\":1,\"terminal_id\":1}", b"\"x\""] {
        let r = t.send("POST", "/api/v1/heartbeat", body, &[]).unwrap();
        assert_eq!((r.status, r.code()), (400, "bad_request".into()), "{body:?}");
        let r = t.send("POST", "/api/v1/outbox", body, &[]).unwrap();
        assert_eq!(r.status, 400, "{body:?}");
    }
    let mut hb = serde_json::to_value(heartbeat(&t.terminal_id, T0, 0)).unwrap();
    hb["outbox"]["pending"] = Value::from(-1);
    assert_eq!(t.post_json("/api/v1/heartbeat", &hb).unwrap().status, 400);
    hb["outbox"]["pending"] = Value::from(0);
    hb["reader"]["state"] = Value::from("exploded");
    assert_eq!(t.post_json("/api/v1/heartbeat", &hb).unwrap().status, 400);
    // Bad admin queries.
    for path in ["/admin/v1/stats?level=galaxy", "/admin/v1/stats?since=yesterday", "/admin/v1/export/usage?format=xml", "/admin/v1/terminals?status=lost", "/admin/v1/faults?state=x"] {
        let e = p.admin.call("GET", path, b"").unwrap_err().to_string();
        assert!(e.starts_with("400"), "{path}: {e}");
    }
    assert!(p.admin.call("GET", "/admin/v1/export/passwords", b"").unwrap_err().to_string().starts_with("404"));
    assert!(p.admin.call("POST", "/admin/v1/faults/abc/close", b"").unwrap_err().to_string().starts_with("404"));
    // Still serving.
    assert_eq!(p.http().get("/healthz", &[]).unwrap().status, 200);
    t.post_json("/api/v1/heartbeat", &heartbeat(&t.terminal_id, T0, 0)).unwrap().ok().unwrap();
}

fn overload_is_answered_503_with_retry_after(db: Backend) {
    let p = Platform::with(db, "overload", |o| {
        o.max_in_flight = 1;
        o.retry_after_s = 7;
    });
    // Hold the only slot: a request whose body never finishes arriving. The held request
    // reaches the limit at its own pace (the server may not have read it yet, and a probe may
    // take the slot first): ask until the platform is full, holding more if need be.
    let addr = p.url.trim_start_matches("http://").to_string();
    let mut held = Vec::new();
    let mut refused = None;
    'outer: for _ in 0..10 {
        let mut h = std::net::TcpStream::connect(&addr).unwrap();
        h.write_all(b"POST /api/v1/enrol HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{").unwrap();
        held.push(h);
        for _ in 0..50 {
            let r = p.http().get("/healthz", &[]).unwrap();
            if r.status == 503 {
                refused = Some(r);
                break 'outer;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }
    let r = refused.expect("a full platform answers 503");
    assert_eq!((r.code(), r.header("retry-after")), ("overloaded".to_string(), Some("7")));
    drop(held);
    let mut recovered = false;
    for _ in 0..500 {
        if p.http().get("/healthz", &[]).unwrap().status == 200 {
            recovered = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(recovered, "the slot is released when the held request ends");
    assert!(p.metric("kiosk_platform_requests_rejected_total{reason=\"overloaded\"}").unwrap() >= 1.0);
}

crate::both!(every_documented_route_answers_and_the_document_matches_the_table, the_operations_page_and_its_data, hostile_requests_get_clear_errors_and_the_service_goes_on, overload_is_answered_503_with_retry_after);
