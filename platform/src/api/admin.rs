//! The admin API, `/admin/v1/…`, behind `Authorization: Bearer <admin token>`: enrolment tokens,
//! the terminals and their lifecycle, catalogue and knowledge publishing, item pause/resume,
//! configuration, faults, statistics and exports, and the platform's public key.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use kiosk_wire::{codes, is_division_prefix, CatalogueVersion, SignedCatalogue, Site, TerminalStatus};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{body_bytes, db, parse_json, parse_optional_json, typed, ApiError, AppState};
use crate::catalogue_edit::{self, EditError, Pause};
use crate::db::{ExportKind, ExportQuery, FaultFilter, NewToken, StatsQuery, StoredCatalogue, TerminalRow, Transition};
use crate::{export, time};

type Answer = Result<Response, ApiError>;

fn respond(r: Answer) -> Response {
    r.unwrap_or_else(IntoResponse::into_response)
}

fn ok(v: impl serde::Serialize) -> Answer {
    Ok(Json(v).into_response())
}

fn query<T>(q: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    q.map(|Query(v)| v).map_err(|e| ApiError::bad_request(e.body_text()))
}

fn instant(name: &str, v: &Option<String>) -> Result<Option<i64>, ApiError> {
    v.as_deref()
        .filter(|s| !s.is_empty())
        .map(|s| time::parse_instant(s).ok_or_else(|| ApiError::bad_request(format!("{name}: expected Unix seconds, YYYY-MM-DD or an RFC 3339 instant"))))
        .transpose()
}

fn prefix(v: &Option<String>) -> Result<Option<String>, ApiError> {
    match v.as_deref().filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(p) if is_division_prefix(p) => Ok(Some(p.to_string())),
        Some(_) => Err(ApiError::bad_request("prefix: 2 to 12 digits of a division code")),
    }
}

// ----- tokens -----

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenRequest {
    division_prefix: String,
    #[serde(default)]
    preapproved: bool,
    #[serde(default)]
    expires_in_s: Option<i64>,
    #[serde(default)]
    note: String,
}

/// `POST /admin/v1/tokens`: the secret is in this answer only.
pub async fn create_token(State(app): State<AppState>, body: Result<Bytes, BytesRejection>) -> Response {
    respond(async {
        let req: TokenRequest = parse_json(&body_bytes(body)?)?;
        if !is_division_prefix(&req.division_prefix) {
            return Err(ApiError::bad_request("division_prefix: 2 to 12 digits of a division code (e.g. 4418 for 清远市)"));
        }
        let ttl = req.expires_in_s.unwrap_or(app.options.token_ttl_s);
        if !(60..=366 * 86_400).contains(&ttl) {
            return Err(ApiError::bad_request("expires_in_s: between 60 s and 366 days"));
        }
        if req.note.chars().count() > 200 {
            return Err(ApiError::bad_request("note: at most 200 characters"));
        }
        let secret = crate::keys::random_token().map_err(|e| ApiError::internal(e.to_string()))?;
        let now = app.now();
        let t = NewToken {
            id: format!("tok-{}", uuid::Uuid::now_v7().simple()),
            secret_hash: crate::keys::secret_hash(&secret),
            division_prefix: req.division_prefix,
            preapproved: req.preapproved,
            note: req.note,
            created_at: now,
            expires_at: now + ttl,
        };
        let row = db(&app, move |s| s.create_token(&t)).await?;
        tracing::info!(token = %row.id, prefix = %row.division_prefix, preapproved = row.preapproved, "enrolment token issued");
        let mut v = serde_json::to_value(&row).map_err(|e| ApiError::internal(e.to_string()))?;
        v["token"] = Value::String(secret);
        Ok((StatusCode::CREATED, Json(v)).into_response())
    }
    .await)
}

/// `GET /admin/v1/tokens`.
pub async fn tokens(State(app): State<AppState>) -> Response {
    respond(async { ok(db(&app, |s| s.tokens()).await?) }.await)
}

// ----- terminals -----

/// A terminal as the admin API shows it.
fn view(t: &TerminalRow, offline_after_s: u32, open_faults: u64, now: i64) -> Value {
    let mut v = serde_json::to_value(t).unwrap_or(Value::Null);
    v["online"] = Value::Bool(t.status.serves() && t.online(now, offline_after_s));
    v["heartbeat_age_s"] = t.last_heartbeat_at.map(|h| json!(now - h)).unwrap_or(Value::Null);
    v["open_faults"] = json!(open_faults);
    v["health"] = t.last_heartbeat.as_deref().and_then(|h| serde_json::from_str::<Value>(h).ok()).unwrap_or(Value::Null);
    v
}

#[derive(Debug, Default, Deserialize)]
pub struct TerminalsQuery {
    status: Option<String>,
    prefix: Option<String>,
    online: Option<bool>,
}

/// `GET /admin/v1/terminals?status=&prefix=&online=`.
pub async fn terminals(State(app): State<AppState>, q: Result<Query<TerminalsQuery>, QueryRejection>) -> Response {
    respond(async {
        let q = query(q)?;
        let status = q.status.as_deref().filter(|s| !s.is_empty()).map(|s| s.parse::<TerminalStatus>()).transpose().map_err(|e| ApiError::bad_request(e.to_string()))?;
        let prefix = prefix(&q.prefix)?;
        let (rows, faults, config) = db(&app, |s| Ok((s.terminals()?, s.open_faults_by_terminal()?, s.config()?))).await?;
        let now = app.now();
        let offline_after = app.offline_after_s(config.heartbeat_s);
        let list: Vec<Value> = rows
            .iter()
            .filter(|t| status.is_none_or(|s| t.status == s))
            .filter(|t| prefix.as_deref().is_none_or(|p| t.site.division_code.starts_with(p)))
            .filter(|t| q.online.is_none_or(|o| (t.status.serves() && t.online(now, offline_after)) == o))
            .map(|t| view(t, offline_after, faults.get(&t.id).copied().unwrap_or(0), now))
            .collect();
        ok(json!({ "server_time": now, "offline_after_s": offline_after, "terminals": list }))
    }
    .await)
}

/// `GET /admin/v1/terminals/{id}`: the record, health, events, open faults and usage.
pub async fn terminal(State(app): State<AppState>, Path(id): Path<String>) -> Response {
    respond(async {
        let id2 = id.clone();
        let (row, events, faults, config, stats) = db(&app, move |s| {
            let row = s.terminal(&id2)?;
            let q = StatsQuery { since: None, until: None, region_digits: 12, division_prefix: None, terminal_id: Some(id2.clone()) };
            Ok((row, s.terminal_events(&id2, 50)?, s.faults(FaultFilter::All, Some(&id2), 50)?, s.config()?, s.stats(&q)?))
        })
        .await?;
        let row = row.ok_or_else(|| ApiError::not_found(format!("no such terminal: {id}")))?;
        let now = app.now();
        let open = faults.iter().filter(|f| f.closed_at.is_none()).count() as u64;
        let mut v = view(&row, app.offline_after_s(config.heartbeat_s), open, now);
        v["events"] = json!(events);
        v["faults"] = json!(faults);
        v["usage"] = json!(stats.by_item);
        v["server_time"] = json!(now);
        ok(v)
    }
    .await)
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReasonBody {
    #[serde(default)]
    reason: Option<String>,
}

async fn transition(app: AppState, id: String, t: Transition, reason: Option<String>) -> Answer {
    if reason.as_deref().is_some_and(|r| r.chars().count() > 300) {
        return Err(ApiError::bad_request("reason: at most 300 characters"));
    }
    let now = app.now();
    let reason = reason.filter(|r| !r.trim().is_empty());
    let action = t.action();
    let row = db(&app, move |s| s.transition(&id, &t, reason.as_deref(), now)).await?;
    tracing::info!(terminal = %row.id, action, status = %row.status, "terminal status changed");
    ok(row)
}

macro_rules! simple_transition {
    ($name:ident, $t:expr) => {
        pub async fn $name(State(app): State<AppState>, Path(id): Path<String>, body: Result<Bytes, BytesRejection>) -> Response {
            respond(async {
                let b: ReasonBody = parse_optional_json(&body_bytes(body)?)?;
                transition(app, id, $t, b.reason).await
            }
            .await)
        }
    };
}

simple_transition!(approve, Transition::Approve);
simple_transition!(reject, Transition::Reject);
simple_transition!(decommission, Transition::Decommission);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RelocateBody {
    site: Site,
    #[serde(default)]
    reason: Option<String>,
}

/// `POST /admin/v1/terminals/{id}/relocate` `{"site": {"name", "division_code"}, "reason"}`.
pub async fn relocate(State(app): State<AppState>, Path(id): Path<String>, body: Result<Bytes, BytesRejection>) -> Response {
    respond(async {
        let b: RelocateBody = parse_json(&body_bytes(body)?)?;
        b.site.validate().map_err(|e| ApiError::bad_request(e.to_string()))?;
        transition(app, id, Transition::Relocate(b.site), b.reason).await
    }
    .await)
}

// ----- catalogue -----

fn signed_view(c: &StoredCatalogue) -> Value {
    json!({ "version": c.version, "key_id": c.key_id, "signature": c.signature, "published_at": c.published_at })
}

fn edit_error(e: EditError) -> ApiError {
    match e {
        EditError::ItemNotFound(_) => ApiError::not_found(e.to_string()),
        EditError::ItemOffline(_) => ApiError::new(StatusCode::CONFLICT, "item_offline", e.to_string()),
        EditError::NoItems => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_catalogue", e.to_string()),
        EditError::InvalidPause(_) | EditError::InvalidKnowledge(_) => ApiError::bad_request(e.to_string()),
    }
}

/// Signs and stores a document (the caller holds the catalogue lock).
async fn publish_text(app: &AppState, document: String) -> Result<StoredCatalogue, ApiError> {
    let signed = SignedCatalogue::sign(&app.signing_key, document).map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_catalogue", e.to_string()))?;
    let stored = StoredCatalogue { version: signed.version, document: signed.document, signature: signed.signature, key_id: signed.key_id, published_at: app.now() };
    let s2 = stored.clone();
    db(app, move |s| s.publish_catalogue(&s2)).await?;
    tracing::info!(version = %stored.version, "catalogue published");
    Ok(stored)
}

/// `POST /admin/v1/catalogue`: the body is the catalogue JSON; its own `version` must be newer.
pub async fn publish_catalogue(State(app): State<AppState>, body: Result<Bytes, BytesRejection>) -> Response {
    respond(async {
        let bytes = body_bytes(body)?;
        let text = String::from_utf8(bytes.to_vec()).map_err(|_| ApiError::bad_request("the catalogue must be UTF-8"))?;
        let _guard = app.catalogue_lock.lock().await;
        let stored = publish_text(&app, text).await?;
        Ok((StatusCode::CREATED, Json(signed_view(&stored))).into_response())
    }
    .await)
}

/// `GET /admin/v1/catalogue`: the current document and its signature.
pub async fn catalogue(State(app): State<AppState>) -> Response {
    respond(async {
        let c = db(&app, |s| s.catalogue()).await?.ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, codes::NO_CATALOGUE, "no catalogue has been published yet"))?;
        let mut v = signed_view(&c);
        v["document"] = serde_json::from_str(&c.document).unwrap_or(Value::Null);
        ok(v)
    }
    .await)
}

/// Applies `edit` to the current catalogue and republishes it under the next version.
async fn edit_catalogue<R: Send + 'static>(app: &AppState, edit: impl FnOnce(&mut Value) -> Result<R, EditError>) -> Result<(StoredCatalogue, R), ApiError> {
    let _guard = app.catalogue_lock.lock().await;
    let current = db(app, |s| s.catalogue()).await?.ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, codes::NO_CATALOGUE, "publish a catalogue first"))?;
    let mut doc: Value = serde_json::from_str(&current.document).map_err(|e| ApiError::internal(format!("stored catalogue: {e}")))?;
    let r = edit(&mut doc).map_err(edit_error)?;
    let now = app.now();
    let (y, m, d) = time::local_date(now);
    let next = CatalogueVersion::next_after(current.version.parse().ok(), (y.clamp(1000, 9999) as u32, m, d));
    catalogue_edit::stamp(&mut doc, &next.to_string(), now);
    let text = serde_json::to_string_pretty(&doc).map_err(|e| ApiError::internal(e.to_string()))? + "\n";
    Ok((publish_text(app, text).await?, r))
}

/// `POST /admin/v1/items/{code}/pause` `{"notice", "notice_en", "from", "until"}`.
pub async fn pause_item(State(app): State<AppState>, Path(code): Path<String>, body: Result<Bytes, BytesRejection>) -> Response {
    respond(async {
        let p: Pause = parse_json(&body_bytes(body)?)?;
        p.validate().map_err(edit_error)?;
        let c2 = code.clone();
        let (stored, ()) = edit_catalogue(&app, move |doc| catalogue_edit::pause(doc, &c2, &p)).await?;
        tracing::info!(item = %code, version = %stored.version, "item paused");
        ok(signed_view(&stored))
    }
    .await)
}

/// `POST /admin/v1/items/{code}/resume`.
pub async fn resume_item(State(app): State<AppState>, Path(code): Path<String>) -> Response {
    respond(async {
        let c2 = code.clone();
        let (stored, was_paused) = edit_catalogue(&app, move |doc| catalogue_edit::resume(doc, &c2)).await?;
        tracing::info!(item = %code, version = %stored.version, was_paused, "item resumed");
        let mut v = signed_view(&stored);
        v["was_paused"] = json!(was_paused);
        ok(v)
    }
    .await)
}

/// `POST /admin/v1/knowledge`: replaces the knowledge content (`[...]` or `{"knowledge": [...]}`).
pub async fn publish_knowledge(State(app): State<AppState>, body: Result<Bytes, BytesRejection>) -> Response {
    respond(async {
        let bundle: Value = parse_json(&body_bytes(body)?)?;
        let (stored, n) = edit_catalogue(&app, move |doc| catalogue_edit::replace_knowledge(doc, bundle)).await?;
        let mut v = signed_view(&stored);
        v["knowledge"] = json!(n);
        ok(v)
    }
    .await)
}

// ----- configuration -----

fn config_view(app: &AppState, c: &crate::db::StoredConfig) -> Value {
    json!({ "version": c.version, "heartbeat_s": c.heartbeat_s, "offline_after_s": app.offline_after_s(c.heartbeat_s), "settings": c.settings, "updated_at": c.updated_at })
}

/// `GET /admin/v1/config`.
pub async fn config(State(app): State<AppState>) -> Response {
    respond(async {
        let c = db(&app, |s| s.config()).await?;
        ok(config_view(&app, &c))
    }
    .await)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigBody {
    #[serde(default)]
    heartbeat_s: Option<u32>,
    #[serde(default)]
    settings: Option<BTreeMap<String, Value>>,
}

/// `POST /admin/v1/config` `{"heartbeat_s", "settings"}`: bumps the configuration version.
pub async fn set_config(State(app): State<AppState>, body: Result<Bytes, BytesRejection>) -> Response {
    respond(async {
        let b: ConfigBody = parse_json(&body_bytes(body)?)?;
        if b.heartbeat_s.is_some_and(|h| !(10..=3600).contains(&h)) {
            return Err(ApiError::bad_request("heartbeat_s: 10 to 3600"));
        }
        if b.settings.as_ref().is_some_and(|s| s.len() > 200) {
            return Err(ApiError::bad_request("settings: at most 200"));
        }
        let now = app.now();
        let c = db(&app, move |s| s.set_config(b.heartbeat_s, b.settings, now)).await?;
        tracing::info!(version = c.version, "terminal configuration changed");
        ok(config_view(&app, &c))
    }
    .await)
}

// ----- faults -----

#[derive(Debug, Default, Deserialize)]
pub struct FaultsQuery {
    state: Option<String>,
    terminal: Option<String>,
}

/// `GET /admin/v1/faults?state=open|closed|all&terminal=`.
pub async fn faults(State(app): State<AppState>, q: Result<Query<FaultsQuery>, QueryRejection>) -> Response {
    respond(async {
        let q = query(q)?;
        let filter = match q.state.as_deref().unwrap_or("open") {
            "open" => FaultFilter::Open,
            "closed" => FaultFilter::Closed,
            "all" => FaultFilter::All,
            _ => return Err(ApiError::bad_request("state: open, closed or all")),
        };
        ok(db(&app, move |s| s.faults(filter, q.terminal.as_deref(), 1000)).await?)
    }
    .await)
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CloseBody {
    #[serde(default)]
    note: String,
}

/// `POST /admin/v1/faults/{id}/close` `{"note"}`.
pub async fn close_fault(State(app): State<AppState>, Path(id): Path<String>, body: Result<Bytes, BytesRejection>) -> Response {
    respond(async {
        let id: i64 = id.parse().map_err(|_| ApiError::not_found("no such fault"))?;
        let b: CloseBody = parse_optional_json(&body_bytes(body)?)?;
        if b.note.chars().count() > 500 {
            return Err(ApiError::bad_request("note: at most 500 characters"));
        }
        let now = app.now();
        ok(db(&app, move |s| s.close_fault(id, &b.note, now)).await?)
    }
    .await)
}

// ----- monitoring -----

/// `GET /admin/v1/summary`: counts for the fleet view.
pub async fn summary(State(app): State<AppState>) -> Response {
    respond(async {
        let config = db(&app, |s| s.config()).await?;
        let offline_after = app.offline_after_s(config.heartbeat_s);
        let now = app.now();
        let c = db(&app, move |s| s.counts(now - offline_after as i64)).await?;
        let version = db(&app, |s| s.catalogue_version()).await?;
        ok(json!({ "server_time": now, "offline_after_s": offline_after, "counts": c, "catalogue_version": version, "config_version": config.version }))
    }
    .await)
}

#[derive(Debug, Default, Deserialize)]
pub struct StatsParams {
    since: Option<String>,
    until: Option<String>,
    level: Option<String>,
    prefix: Option<String>,
    terminal: Option<String>,
}

fn stats_query(p: &StatsParams) -> Result<StatsQuery, ApiError> {
    let region_digits = match p.level.as_deref().unwrap_or("city") {
        "province" => 2,
        "city" => 4,
        "county" => 6,
        "township" => 9,
        "village" => 12,
        _ => return Err(ApiError::bad_request("level: province, city, county, township or village")),
    };
    Ok(StatsQuery {
        since: instant("since", &p.since)?,
        until: instant("until", &p.until)?,
        region_digits,
        division_prefix: prefix(&p.prefix)?,
        terminal_id: p.terminal.clone().filter(|t| !t.is_empty()),
    })
}

/// `GET /admin/v1/stats?since=&until=&level=&prefix=&terminal=`: transactions and ratings per
/// item and per region (by the records' creation time).
pub async fn stats(State(app): State<AppState>, q: Result<Query<StatsParams>, QueryRejection>) -> Response {
    respond(async {
        let p = query(q)?;
        let q = stats_query(&p)?;
        ok(db(&app, move |s| s.stats(&q)).await?)
    }
    .await)
}

/// `GET /admin/v1/stats/usage.svg`: transactions per item as a bar chart.
pub async fn usage_svg(State(app): State<AppState>, q: Result<Query<StatsParams>, QueryRejection>) -> Response {
    respond(async {
        let p = query(q)?;
        let q = stats_query(&p)?;
        let stats = db(&app, move |s| s.stats(&q)).await?;
        Ok(typed("image/svg+xml; charset=utf-8", super::web::usage_chart(&stats.by_item, 20)))
    }
    .await)
}

#[derive(Debug, Default, Deserialize)]
pub struct ExportParams {
    format: Option<String>,
    since: Option<String>,
    until: Option<String>,
    after: Option<i64>,
    limit: Option<usize>,
}

/// `GET /admin/v1/export/{transactions|ratings|usage}?format=csv|jsonl&since=&until=&after=&limit=`.
pub async fn export(State(app): State<AppState>, Path(kind): Path<String>, q: Result<Query<ExportParams>, QueryRejection>) -> Response {
    respond(async {
        let p = query(q)?;
        let kind = ExportKind::parse(&kind).ok_or_else(|| ApiError::not_found("exports: transactions, ratings, usage"))?;
        let csv = match p.format.as_deref().unwrap_or("csv") {
            "csv" => true,
            "jsonl" => false,
            _ => return Err(ApiError::bad_request("format: csv or jsonl")),
        };
        let q = ExportQuery { since: instant("since", &p.since)?, until: instant("until", &p.until)?, after: p.after, limit: p.limit.unwrap_or(100_000).clamp(1, 1_000_000) };
        let limit = q.limit;
        let table = db(&app, move |s| s.export(kind, &q)).await?;
        let last_seq = match (kind, table.rows.last().and_then(|r| r.first())) {
            (ExportKind::Usage, _) => None,
            (_, Some(crate::db::Cell::Int(n))) => Some(*n),
            _ => None,
        };
        let full = table.rows.len() >= limit;
        let mut r = if csv { typed("text/csv; charset=utf-8", export::to_csv(&table)) } else { typed("application/x-ndjson; charset=utf-8", export::to_jsonl(&table)) };
        if let Some(n) = last_seq {
            r.headers_mut().insert("x-kiosk-last-seq", n.into());
        }
        if full {
            r.headers_mut().insert("x-kiosk-more", axum::http::HeaderValue::from_static("true"));
        }
        Ok(r)
    }
    .await)
}

/// `GET /admin/v1/platform-key`: the catalogue signing key terminals must trust.
pub async fn platform_key(State(app): State<AppState>) -> Response {
    let vk = app.signing_key.verifying_key();
    Json(json!({ "algorithm": "ed25519", "public_key": kiosk_wire::sign::public_key_hex(&vk), "key_id": kiosk_wire::sign::key_id(&vk) })).into_response()
}
