//! `GET /metrics` in the Prometheus text format (version 0.0.4). Counts only, no personal data
//! and no terminal ids, so it is served without the admin token.

use std::fmt::Write;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use kiosk_wire::RecordKind;

use super::{db, typed, AppState};
use crate::db::Counts;

/// Renders the metrics text.
pub fn render(c: &Counts, app: &crate::app::App) -> String {
    let mut out = String::new();
    let mut family = |name: &str, kind: &str, help: &str, samples: Vec<(String, u64)>| {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} {kind}");
        for (labels, v) in samples {
            let _ = writeln!(out, "{name}{labels} {v}");
        }
    };
    family(
        "kiosk_platform_terminals",
        "gauge",
        "Terminals by status.",
        c.terminals.iter().map(|(s, n)| (format!("{{status=\"{s}\"}}"), *n)).collect(),
    );
    family("kiosk_platform_terminals_online", "gauge", "Approved or relocated terminals with a heartbeat within the offline threshold.", vec![(String::new(), c.online)]);
    family(
        "kiosk_platform_records_stored",
        "gauge",
        "Records stored, by kind.",
        c.records.iter().map(|(k, n)| (format!("{{kind=\"{k}\"}}"), *n)).collect(),
    );
    family(
        "kiosk_platform_records_ingested_total",
        "counter",
        "Records applied since start, by kind (first delivery only).",
        RecordKind::ALL.iter().map(|k| (format!("{{kind=\"{}\"}}", k.as_str()), app.metrics.ingested_total(*k))).collect(),
    );
    let load = |a: &std::sync::atomic::AtomicU64| a.load(std::sync::atomic::Ordering::Relaxed);
    family("kiosk_platform_records_duplicate_total", "counter", "Records delivered again and acknowledged without applying.", vec![(String::new(), load(&app.metrics.duplicates))]);
    family("kiosk_platform_records_rejected_total", "counter", "Records rejected as invalid.", vec![(String::new(), load(&app.metrics.rejected_records))]);
    family("kiosk_platform_heartbeats_total", "counter", "Heartbeats accepted since start.", vec![(String::new(), load(&app.metrics.heartbeats))]);
    family(
        "kiosk_platform_requests_rejected_total",
        "counter",
        "Error answers since start, by error code.",
        app.metrics.errors().into_iter().map(|(code, n)| (format!("{{reason=\"{code}\"}}"), n)).collect(),
    );
    family("kiosk_platform_outbox_pending", "gauge", "Records waiting in terminals' outboxes, as last reported.", vec![(String::new(), c.outbox_pending)]);
    family("kiosk_platform_outbox_oldest_seconds", "gauge", "Age of the oldest unsent record on any terminal, as last reported.", vec![(String::new(), c.outbox_oldest_s.max(0) as u64)]);
    family("kiosk_platform_faults_open", "gauge", "Fault reports not yet closed.", vec![(String::new(), c.open_faults)]);
    out
}

pub async fn serve(State(app): State<AppState>) -> Response {
    let result = async {
        let config = db(&app, |s| s.config()).await?;
        let cutoff = app.now() - app.offline_after_s(config.heartbeat_s) as i64;
        db(&app, move |s| s.counts(cutoff)).await
    }
    .await;
    match result {
        Ok(c) => typed("text/plain; version=0.0.4; charset=utf-8", render(&c, &app)),
        Err(e) => e.into_response(),
    }
}
