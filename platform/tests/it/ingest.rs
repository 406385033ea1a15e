//! Outbox batches: sent at least once, applied exactly once; invalid records rejected alone;
//! limits; exports hold each record once, with personal data masked.

use kiosk_wire::{Batch, BatchAck, Record, RecordKind, MAX_BATCH_RECORDS};
use serde_json::{json, Value};

use crate::util::*;

fn send(t: &kiosk_platform::client::DeviceClient, records: Vec<Record>) -> BatchAck {
    let r = t.post_json("/api/v1/outbox", &Batch::new(&t.terminal_id, records)).unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    serde_json::from_value(r.json()).unwrap()
}

fn keys(ns: &[u64]) -> Vec<String> {
    ns.iter().map(|n| key(*n)).collect()
}

fn a_batch_is_applied_once_however_often_it_arrives(db: Backend) {
    let p = Platform::start(db, "once");
    let t = p.terminal(1, true);
    let batch = vec![transaction(1), transaction(2), transaction(3), rating(4, 5), rating(5, 2), fault(6)];
    let first = send(&t, batch.clone());
    assert_eq!(first.acknowledged, keys(&[1, 2, 3, 4, 5, 6]));
    assert!(first.rejected.is_empty());
    // The same batch again (its answer was lost): the same answer, nothing applied twice.
    assert_eq!(send(&t, batch), first);
    // Overlapping batches, and a key twice in one batch.
    let ack = send(&t, vec![transaction(3), transaction(7), fault(6), transaction(7), rating(8, 4)]);
    assert_eq!(ack.acknowledged, keys(&[3, 7, 6, 8]));
    for (kind, n) in [("transaction", 4.0), ("rating", 3.0), ("fault", 1.0)] {
        assert_eq!(p.metric(&format!("kiosk_platform_records_stored{{kind=\"{kind}\"}}")), Some(n), "{kind}");
    }
    assert_eq!(p.metric("kiosk_platform_records_ingested_total{kind=\"transaction\"}"), Some(4.0));
    assert_eq!(p.metric("kiosk_platform_records_duplicate_total"), Some(8.0));

    // Statistics count each once, per item and per region.
    let stats = p.admin.get_json("/admin/v1/stats?level=city").unwrap();
    let item = &stats["by_item"][0];
    assert_eq!((item["transactions"].clone(), item["ratings"].clone(), item["assisted"].clone()), (json!(4), json!(3), json!(1)));
    assert_eq!(item["avg_level"].as_f64().unwrap(), (5.0 + 2.0 + 4.0) / 3.0);
    assert_eq!(stats["by_region"], json!([{ "region": "4418", "terminals": 1, "transactions": 4, "ratings": 3, "avg_level": (5.0 + 2.0 + 4.0) / 3.0 }]));
    let county = p.admin.get_json("/admin/v1/stats?level=county&prefix=4401").unwrap();
    assert_eq!(county["by_item"], json!([]));

    // Faults: listed open, closed by an administrator.
    let faults = p.admin.get_json("/admin/v1/faults").unwrap();
    assert_eq!(faults.as_array().unwrap().len(), 1);
    assert_eq!(faults[0]["site_name"], "大塘村党群服务中心");
    let id = faults[0]["id"].as_i64().unwrap();
    p.admin.post_json(&format!("/admin/v1/faults/{id}/close"), &json!({ "note": "已换纸" })).unwrap();
    assert_eq!(p.admin.get_json("/admin/v1/faults").unwrap(), json!([]));
    assert_eq!(p.admin.get_json("/admin/v1/faults?state=closed").unwrap()[0]["close_note"], "已换纸");
}

fn exports_hold_each_record_once_and_no_identity_in_clear(db: Backend) {
    let p = Platform::start(db, "export");
    let t = p.terminal(1, true);
    send(&t, vec![transaction(1), transaction(2), rating(3, 5)]);
    send(&t, vec![transaction(1), transaction(2), rating(3, 5), transaction(4)]);
    let csv = p.admin.export("transactions", "csv", None, None).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "seq,key,terminal_id,division_code,item_code,item_name,created_at,received_at,assisted,elderly,applicant_name_masked,id_number_masked");
    assert_eq!(lines.len(), 4, "{csv}");
    for n in [1, 2, 4] {
        assert_eq!(csv.matches(&key(n)).count(), 1, "key {n} once");
    }
    assert!(lines[1].ends_with(",张*,441882********0022"), "{}", lines[1]);
    assert!(lines[1].contains(",2026-12-04T09:00:01+08:00,2026-12-04T10:00:00+08:00,"), "{}", lines[1]);
    let jsonl = p.admin.export("ratings", "jsonl", None, None).unwrap();
    let rows: Vec<Value> = jsonl.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0]["level"].clone(), rows[0]["reasons"].clone()), (json!(5), json!("办理快")));
    let usage = p.admin.export("usage", "csv", Some("2026-12-04"), None).unwrap();
    assert_eq!(usage.lines().collect::<Vec<_>>(), ["day,division_code,item_code,transactions,assisted,elderly,ratings,avg_level", "2026-12-04,441802100201,11440000009511114X4442182945000,3,2,3,1,5.0"]);
    // Incremental: after the last seq there is nothing new.
    let r = p.admin.call("GET", "/admin/v1/export/transactions?format=csv", b"").unwrap();
    let last: i64 = r.header("x-kiosk-last-seq").unwrap().parse().unwrap();
    assert_eq!(p.admin.export("transactions", "csv", None, Some(last)).unwrap().lines().count(), 1, "header only");
    let r = p.admin.call("GET", "/admin/v1/export/transactions?limit=1", b"").unwrap();
    assert_eq!((r.header("x-kiosk-more"), r.text().lines().count()), (Some("true"), 2));

    // The ID number, phone and name never leave whole: not in any export, the admin API or
    // the metrics; and the database file holds the form sealed.
    let everything = [
        csv,
        jsonl,
        usage,
        p.admin.export("ratings", "csv", None, None).unwrap(),
        p.admin.get_json("/admin/v1/terminals").unwrap().to_string(),
        p.admin.get_json(&format!("/admin/v1/terminals/{}", t.terminal_id)).unwrap().to_string(),
        p.admin.get_json("/admin/v1/stats").unwrap().to_string(),
        p.metrics(),
    ]
    .join("\n");
    for secret in [ID, "13800138000", NAME] {
        assert!(!everything.contains(secret), "{secret} leaked");
    }
    for file in ["platform.db", "platform.db-wal"] {
        let bytes = std::fs::read(p.dir.join(file)).unwrap_or_default();
        assert!(!bytes.windows(ID.len()).any(|w| w == ID.as_bytes()), "{file} holds the ID number in clear");
    }
    if let Some(dump) = p.database_text() {
        assert!(dump.contains("0193a4f2"), "the dump holds the records");
        let hex: String = ID.bytes().map(|b| format!("{b:02x}")).collect();
        for secret in [ID.to_string(), hex, "13800138000".into(), NAME.into()] {
            assert!(!dump.contains(&secret), "the PostgreSQL database holds {secret} in clear");
        }
    }
}

fn invalid_records_are_rejected_alone_and_consistently(db: Backend) {
    let p = Platform::start(db, "reject");
    let t = p.terminal(1, true);
    let mut bad_level = rating(2, 5);
    bad_level.body["level"] = json!(9);
    let mut wrong_type = transaction(3);
    wrong_type.body["form"] = json!({ "id_number": 441882195103070022u64 });
    let mut bad_key = fault(4);
    bad_key.key = "not-a-uuid".into();
    let wrong_kind = Record { kind: RecordKind::Rating, ..fault(5) };
    let batch = vec![transaction(1), bad_level, wrong_type, bad_key, wrong_kind, fault(6)];
    let ack = send(&t, batch.clone());
    assert_eq!(ack.acknowledged, keys(&[1, 6]));
    let reasons: Vec<(String, String)> = ack.rejected.iter().map(|r| (r.key.clone(), r.reason.clone())).collect();
    assert_eq!(
        reasons,
        [(key(2), "invalid_body".into()), (key(3), "invalid_body".into()), ("not-a-uuid".into(), "invalid_key".into()), (key(5), "invalid_body".into())]
    );
    assert!(ack.rejected.iter().all(|r| !r.detail.contains("441882")), "details never echo values");
    assert_eq!(send(&t, batch), ack, "the same answer every time");
    assert_eq!(p.metric("kiosk_platform_records_stored{kind=\"transaction\"}"), Some(1.0));
}

fn batch_limits_and_envelopes(db: Backend) {
    let p = Platform::start(db, "limits");
    let t = p.terminal(1, true);
    let many: Vec<Record> = (0..=MAX_BATCH_RECORDS as u64).map(fault).collect();
    let r = t.post_json("/api/v1/outbox", &Batch::new(&t.terminal_id, many)).unwrap();
    assert_eq!((r.status, r.code()), (413, "payload_too_large".into()));
    let mut big = transaction(1);
    big.body["item_name"] = json!("长".repeat(400_000));
    let r = t.post_json("/api/v1/outbox", &Batch::new(&t.terminal_id, vec![big])).unwrap();
    assert_eq!((r.status, r.code()), (413, "payload_too_large".into()));
    let r = t.post_json("/api/v1/outbox", &Batch::new("T-someone-else", vec![fault(1)])).unwrap();
    assert_eq!((r.status, r.code()), (400, "terminal_mismatch".into()));
    let r = t.post_json("/api/v1/outbox", &json!({ "v": 1, "terminal_id": t.terminal_id, "records": "many" })).unwrap();
    assert_eq!((r.status, r.code()), (400, "bad_request".into()));
    let ack = send(&t, vec![]);
    assert!(ack.acknowledged.is_empty() && ack.rejected.is_empty());
    assert_eq!(p.metric("kiosk_platform_records_stored{kind=\"fault\"}"), Some(0.0));
}

crate::both!(a_batch_is_applied_once_however_often_it_arrives, exports_hold_each_record_once_and_no_identity_in_clear, invalid_records_are_rejected_alone_and_consistently, batch_limits_and_envelopes);
