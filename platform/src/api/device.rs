//! The device API, `/api/v1/…`: what a terminal's sync agent calls. Every route but enrolment is
//! signed (`kiosk_wire::sign`): the platform reads the five signature headers, finds the
//! terminal, verifies body hash, signature and timestamp, then records the nonce (a nonce seen
//! before is a replay). Only `approved` and `relocated` terminals may heartbeat, send batches and
//! pull the catalogue and configuration; any terminal may read its own record.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use kiosk_wire::sign::{parse_public_key, verify_request, SignatureError, SignedHeaders};
use kiosk_wire::{
    codes, Batch, BatchAck, EnrolRequest, EnrolResponse, Heartbeat, HeartbeatAck, RecordBody, RecordKind, Rejected, SignedCatalogue, TerminalConfig,
    TerminalInfo, WireError, MAX_BATCH_BYTES, PROTOCOL_VERSION,
};

use super::{body_bytes, db, etag, not_modified, parse_json, ApiError, AppState};
use crate::db::{Enrolment, HeartbeatUpdate, PreparedBody, PreparedRecord, TerminalRow};
use crate::mask;

fn respond(r: Result<Response, ApiError>) -> Response {
    r.unwrap_or_else(IntoResponse::into_response)
}

fn wire_error(e: WireError) -> ApiError {
    match e {
        WireError::Version(_) => ApiError::new(StatusCode::BAD_REQUEST, codes::UNSUPPORTED_VERSION, e.to_string()),
        WireError::Invalid { .. } => ApiError::bad_request(e.to_string()),
    }
}

fn unauthorized(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, code, message)
}

/// Verifies a signed request and records its nonce; the terminal it came from.
async fn authenticate(app: &AppState, method: &Method, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Result<TerminalRow, ApiError> {
    let signed = SignedHeaders::from_lookup(|name| headers.get(name).and_then(|v| v.to_str().ok()))
        .map_err(|e| unauthorized(codes::BAD_SIGNATURE, e.to_string()))?;
    let id = signed.terminal.clone();
    let terminal = db(app, move |s| s.terminal(&id))
        .await?
        .ok_or_else(|| unauthorized(codes::UNKNOWN_TERMINAL, "this terminal is not enrolled on the platform"))?;
    let key = parse_public_key(&terminal.public_key).map_err(|_| ApiError::internal("stored public key is unusable"))?;
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or_else(|| uri.path());
    let now = app.now();
    match verify_request(&key, &signed, method.as_str(), path, body, now, app.options.max_skew_s) {
        Ok(()) => {}
        Err(SignatureError::StaleTimestamp { skew }) => {
            tracing::warn!(terminal = %terminal.id, skew, "stale request timestamp");
            return Err(ApiError {
                server_time: Some(now),
                ..unauthorized(codes::STALE_TIMESTAMP, format!("the request's timestamp is {skew} s from the platform's clock (at most {} s allowed)", app.options.max_skew_s))
            });
        }
        Err(e) => {
            tracing::warn!(terminal = %terminal.id, error = %e, "request signature rejected");
            return Err(unauthorized(codes::BAD_SIGNATURE, e.to_string()));
        }
    }
    let (tid, nonce) = (terminal.id.clone(), signed.nonce.clone());
    if !db(app, move |s| s.use_nonce(&tid, &nonce, now)).await? {
        tracing::warn!(terminal = %terminal.id, "replayed nonce");
        return Err(unauthorized(codes::REPLAYED_NONCE, "this nonce was already used"));
    }
    Ok(terminal)
}

/// 403 unless the terminal may sync; the code is its status.
fn serving(t: &TerminalRow) -> Result<(), ApiError> {
    if t.status.serves() {
        return Ok(());
    }
    let code = match t.status {
        kiosk_wire::TerminalStatus::Pending => codes::PENDING,
        kiosk_wire::TerminalStatus::Rejected => codes::REJECTED,
        _ => codes::DECOMMISSIONED,
    };
    let message = match t.status {
        kiosk_wire::TerminalStatus::Pending => "the terminal is waiting for an administrator's approval".to_string(),
        s => format!("the terminal is {s}{}", t.status_reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default()),
    };
    Err(ApiError { terminal_status: Some(t.status), ..ApiError::new(StatusCode::FORBIDDEN, code, message) })
}

fn same_terminal(t: &TerminalRow, body_terminal: &str) -> Result<(), ApiError> {
    if t.id == body_terminal {
        Ok(())
    } else {
        Err(ApiError::bad_request("the body names another terminal than the signature").with_code(codes::TERMINAL_MISMATCH))
    }
}

impl ApiError {
    fn with_code(self, code: &'static str) -> ApiError {
        ApiError { code, ..self }
    }
}

/// `POST /api/v1/enrol` (unsigned).
pub async fn enrol(State(app): State<AppState>, body: Result<Bytes, BytesRejection>) -> Response {
    respond(async {
        let req: EnrolRequest = parse_json(&body_bytes(body)?)?;
        req.validate().map_err(wire_error)?;
        let e = Enrolment {
            new_id: format!("T-{}", uuid::Uuid::now_v7()),
            token_hash: crate::keys::secret_hash(&req.token),
            public_key: req.public_key.to_ascii_lowercase(),
            site: req.site,
            software_version: req.software_version,
            now: app.now(),
        };
        let (row, created) = db(&app, move |s| s.enrol(&e)).await?;
        if created {
            tracing::info!(terminal = %row.id, division = %row.site.division_code, status = %row.status, "terminal enrolled");
        }
        Ok(Json(EnrolResponse { v: PROTOCOL_VERSION, terminal_id: row.id, status: row.status }).into_response())
    }
    .await)
}

/// `GET /api/v1/terminal`.
pub async fn terminal(State(app): State<AppState>, method: Method, uri: Uri, headers: HeaderMap, body: Result<Bytes, BytesRejection>) -> Response {
    respond(async {
        let t = authenticate(&app, &method, &uri, &headers, &body_bytes(body)?).await?;
        let config = db(&app, |s| s.config()).await?;
        Ok(Json(TerminalInfo {
            v: PROTOCOL_VERSION,
            terminal_id: t.id,
            status: t.status,
            status_reason: t.status_reason,
            site: t.site,
            heartbeat_s: config.heartbeat_s,
            offline_after_s: app.offline_after_s(config.heartbeat_s),
            enrolled_at: t.enrolled_at,
            status_changed_at: t.status_changed_at,
        })
        .into_response())
    }
    .await)
}

/// `POST /api/v1/heartbeat`.
pub async fn heartbeat(State(app): State<AppState>, method: Method, uri: Uri, headers: HeaderMap, body: Result<Bytes, BytesRejection>) -> Response {
    respond(async {
        let bytes = body_bytes(body)?;
        let t = authenticate(&app, &method, &uri, &headers, &bytes).await?;
        let hb: Heartbeat = parse_json(&bytes)?;
        hb.validate().map_err(wire_error)?;
        same_terminal(&t, &hb.terminal_id)?;
        serving(&t)?;
        let now = app.now();
        let update = HeartbeatUpdate {
            body_json: serde_json::to_string(&hb).map_err(|e| ApiError::internal(e.to_string()))?,
            at: hb.at,
            outbox_pending: hb.outbox.pending,
            outbox_oldest_s: hb.outbox.oldest_age_s,
            software_version: hb.software_version.clone(),
        };
        let id = t.id.clone();
        let (catalogue_version, config) = db(&app, move |s| {
            s.heartbeat(&id, &update, now)?;
            Ok((s.catalogue_version()?, s.config()?))
        })
        .await?;
        app.metrics.heartbeats.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        tracing::debug!(terminal = %t.id, pending = hb.outbox.pending, "heartbeat");
        Ok(Json(HeartbeatAck { v: PROTOCOL_VERSION, server_time: now, catalogue_version, config_version: config.version, status: t.status }).into_response())
    }
    .await)
}

/// Why a record was not prepared: rejected for good, or the platform failed (the batch fails).
enum Unprepared {
    Rejected(Rejected),
    Internal(String),
}

impl From<Rejected> for Unprepared {
    fn from(r: Rejected) -> Self {
        Unprepared::Rejected(r)
    }
}

/// Checks and seals one record. Personal data leaves this function sealed or masked.
fn prepare(app: &AppState, terminal_id: &str, r: &kiosk_wire::Record) -> Result<PreparedRecord, Unprepared> {
    let reject = |reason: &str, detail: String| Rejected { key: r.key.chars().take(64).collect(), reason: reason.to_string(), detail };
    if !kiosk_wire::is_record_key(&r.key) {
        return Err(reject("invalid_key", "the key is not a UUID".into()).into());
    }
    let body = r.parse().map_err(|e| reject("invalid_body", mask::redact_serde(&e.to_string())))?;
    let body = match body {
        RecordBody::Transaction(t) => {
            let plain = serde_json::to_vec(&t.form).map_err(|e| Unprepared::Internal(e.to_string()))?;
            let aad = format!("{terminal_id}/{}", r.key);
            let form_sealed = app.data_key.seal(aad.as_bytes(), &plain).map_err(|e| Unprepared::Internal(e.to_string()))?;
            let id = t.form.get("id_number").filter(|v| !v.is_empty()).or_else(|| t.form.values().find(|v| mask::looks_like_id(v)));
            PreparedBody::Transaction {
                name_masked: t.form.get("name").map(|n| mask::mask_name(n)).unwrap_or_default(),
                id_masked: id.map(|v| mask::mask_id(v)).unwrap_or_default(),
                item_code: t.item_code,
                item_name: t.item_name,
                assisted: t.assisted,
                elderly: t.elderly,
                form_sealed,
            }
        }
        RecordBody::Rating(b) => PreparedBody::Rating {
            transaction_key: b.transaction_key,
            item_code: b.item_code,
            level: b.level,
            reasons: b.reasons,
            complaint: b.complaint.map(|c| mask::scrub_text(&c)),
        },
        RecordBody::Fault(f) => PreparedBody::Fault { category: f.category, text: mask::scrub_text(&f.text), source: f.source },
    };
    Ok(PreparedRecord { key: r.key.clone(), created_at: r.created_at, body })
}

/// `POST /api/v1/outbox`: a batch, applied once per key in one transaction.
pub async fn outbox(State(app): State<AppState>, method: Method, uri: Uri, headers: HeaderMap, body: Result<Bytes, BytesRejection>) -> Response {
    respond(async {
        let bytes = body_bytes(body)?;
        let t = authenticate(&app, &method, &uri, &headers, &bytes).await?;
        let too_large = |m: String| ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, codes::PAYLOAD_TOO_LARGE, m);
        if bytes.len() > MAX_BATCH_BYTES {
            return Err(too_large(format!("a batch is at most {MAX_BATCH_BYTES} bytes; split it")));
        }
        let batch: Batch = parse_json(&bytes)?;
        if batch.records.len() > kiosk_wire::MAX_BATCH_RECORDS {
            return Err(too_large(format!("a batch is at most {} records; split it", kiosk_wire::MAX_BATCH_RECORDS)));
        }
        batch.validate().map_err(wire_error)?;
        same_terminal(&t, &batch.terminal_id)?;
        serving(&t)?;
        let now = app.now();
        let app2 = app.clone();
        let terminal = t.clone();
        let (acknowledged, rejected, fresh) = db(&app, move |s| {
            // Keys in batch order, each once; a key repeated within the batch is acknowledged
            // with its first occurrence.
            let mut seen = std::collections::HashSet::new();
            let mut prepared = Vec::new();
            let mut order = Vec::new();
            let mut rejected = Vec::new();
            for r in &batch.records {
                if seen.contains(&r.key) {
                    continue;
                }
                match prepare(&app2, &terminal.id, r) {
                    Ok(p) => {
                        seen.insert(r.key.clone());
                        order.push(r.key.clone());
                        prepared.push(p);
                    }
                    Err(Unprepared::Rejected(rej)) => {
                        seen.insert(r.key.clone());
                        rejected.push(rej);
                    }
                    Err(Unprepared::Internal(e)) => return Err(crate::db::StoreError::Corrupt(format!("cannot seal a form: {e}"))),
                }
            }
            let applied = s.apply_batch(&terminal, &prepared, now)?;
            let mut fresh: HashMap<RecordKind, u64> = HashMap::new();
            for (p, new) in prepared.iter().zip(&applied) {
                if *new {
                    *fresh.entry(p.body.kind()).or_insert(0) += 1;
                }
            }
            Ok((order, rejected, fresh))
        })
        .await?;
        let new_total: u64 = fresh.values().sum();
        for (k, n) in &fresh {
            app.metrics.ingested(*k, *n);
        }
        let duplicates = acknowledged.len() as u64 - new_total;
        app.metrics.duplicates.fetch_add(duplicates, std::sync::atomic::Ordering::Relaxed);
        app.metrics.rejected_records.fetch_add(rejected.len() as u64, std::sync::atomic::Ordering::Relaxed);
        tracing::info!(terminal = %t.id, acknowledged = acknowledged.len(), new = new_total, duplicates, rejected = rejected.len(), "batch applied");
        Ok(Json(BatchAck { v: PROTOCOL_VERSION, acknowledged, rejected }).into_response())
    }
    .await)
}

/// `GET /api/v1/catalogue` with `ETag`/`If-None-Match`.
pub async fn catalogue(State(app): State<AppState>, method: Method, uri: Uri, headers: HeaderMap, body: Result<Bytes, BytesRejection>) -> Response {
    respond(async {
        let t = authenticate(&app, &method, &uri, &headers, &body_bytes(body)?).await?;
        serving(&t)?;
        let version = db(&app, |s| s.catalogue_version()).await?;
        let Some(version) = version else {
            return Err(ApiError::new(StatusCode::NOT_FOUND, codes::NO_CATALOGUE, "no catalogue has been published yet"));
        };
        let tag = etag(&version);
        if not_modified(&headers, &tag) {
            return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, tag)]).into_response());
        }
        let c = db(&app, |s| s.catalogue()).await?.ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, codes::NO_CATALOGUE, "no catalogue"))?;
        let tag = etag(&c.version);
        let body = SignedCatalogue { v: PROTOCOL_VERSION, version: c.version, document: c.document, signature: c.signature, key_id: c.key_id };
        Ok(([(header::ETAG, tag)], Json(body)).into_response())
    }
    .await)
}

/// `GET /api/v1/config` with `ETag`/`If-None-Match`.
pub async fn config(State(app): State<AppState>, method: Method, uri: Uri, headers: HeaderMap, body: Result<Bytes, BytesRejection>) -> Response {
    respond(async {
        let t = authenticate(&app, &method, &uri, &headers, &body_bytes(body)?).await?;
        serving(&t)?;
        let c = db(&app, |s| s.config()).await?;
        let tag = etag(&c.version.to_string());
        if not_modified(&headers, &tag) {
            return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, tag)]).into_response());
        }
        let body = TerminalConfig { v: PROTOCOL_VERSION, version: c.version, heartbeat_s: c.heartbeat_s, offline_after_s: app.offline_after_s(c.heartbeat_s), settings: c.settings };
        Ok(([(header::ETAG, tag)], Json(body)).into_response())
    }
    .await)
}
