//! The local API: HTTP/JSON on a Unix socket plus a server-sent event stream, for the UI and
//! for tests. Handlers only translate HTTP to [`Request`]s for the core and back; they hold no
//! state of their own.

use std::convert::Infallible;
use std::path::Path;
use std::sync::mpsc::Sender;

use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, Path as UrlPath, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use tokio::sync::{broadcast, oneshot};
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::StreamExt;

use crate::core::{ApiError, Event, Input, MaintenanceAction, Request};

#[derive(Clone)]
pub struct AppState {
    pub core: Sender<Input>,
    pub events: broadcast::Sender<Event>,
}

fn error_response(e: &ApiError) -> Response {
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, Json(e)).into_response()
}

async fn call(state: &AppState, request: Request) -> Response {
    let (tx, rx) = oneshot::channel();
    if state.core.send(Input::Api(request, tx)).is_err() {
        return error_response(&ApiError::new(503, "shutting_down", "the daemon is stopping"));
    }
    match rx.await {
        Ok(Ok(v)) => Json(v).into_response(),
        Ok(Err(e)) => error_response(&e),
        Err(_) => error_response(&ApiError::new(503, "shutting_down", "the daemon is stopping")),
    }
}

/// A JSON body, or a clear 400 in the API's error shape. An empty body is `{}`.
fn body<T: DeserializeOwned>(b: Result<Json<T>, JsonRejection>) -> Result<T, Response> {
    match b {
        Ok(Json(v)) => Ok(v),
        Err(e) => Err(error_response(&ApiError::new(400, "bad_request", e.body_text()))),
    }
}

fn token(headers: &HeaderMap) -> String {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("")
        .to_string()
}

#[derive(Deserialize)]
struct CategoryQuery {
    category: Option<String>,
}

#[derive(Deserialize)]
struct SearchQuery {
    #[serde(default)]
    q: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ItemBody {
    code: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FieldsBody {
    fields: std::collections::BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RateBody {
    level: u8,
    #[serde(default)]
    reasons: Vec<String>,
    #[serde(default)]
    complaint: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OnBody {
    on: bool,
    #[serde(default)]
    reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PinBody {
    pin: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultBody {
    category: String,
    #[serde(default)]
    text: String,
}

macro_rules! simple {
    ($name:ident, $req:expr) => {
        async fn $name(State(s): State<AppState>) -> Response {
            call(&s, $req).await
        }
    };
}

simple!(status, Request::Status);
simple!(session, Request::Session);
simple!(categories, Request::Categories);
simple!(knowledge, Request::Knowledge);
simple!(start, Request::Start);
simple!(browse, Request::Browse);
simple!(submit, Request::Submit);
simple!(skip_print, Request::SkipPrint);
simple!(extend, Request::Extend);
simple!(finish, Request::Finish);
simple!(activity, Request::Activity);

async fn items(State(s): State<AppState>, Query(q): Query<CategoryQuery>) -> Response {
    call(&s, Request::Items { category: q.category }).await
}

async fn item(State(s): State<AppState>, UrlPath(code): UrlPath<String>) -> Response {
    call(&s, Request::Item { code }).await
}

async fn search(State(s): State<AppState>, Query(q): Query<SearchQuery>) -> Response {
    call(&s, Request::Search { q: q.q }).await
}

async fn choose(State(s): State<AppState>, b: Result<Json<ItemBody>, JsonRejection>) -> Response {
    match body(b) {
        Ok(b) => call(&s, Request::Choose { code: b.code }).await,
        Err(r) => r,
    }
}

async fn fields(State(s): State<AppState>, b: Result<Json<FieldsBody>, JsonRejection>) -> Response {
    match body(b) {
        Ok(b) => call(&s, Request::SetFields { fields: b.fields }).await,
        Err(r) => r,
    }
}

async fn rate(State(s): State<AppState>, b: Result<Json<RateBody>, JsonRejection>) -> Response {
    match body(b) {
        Ok(b) => call(&s, Request::Rate { level: b.level, reasons: b.reasons, complaint: b.complaint }).await,
        Err(r) => r,
    }
}

async fn elderly(State(s): State<AppState>, b: Result<Json<OnBody>, JsonRejection>) -> Response {
    match body(b) {
        Ok(b) => call(&s, Request::Elderly { on: b.on }).await,
        Err(r) => r,
    }
}

async fn login(State(s): State<AppState>, b: Result<Json<PinBody>, JsonRejection>) -> Response {
    match body(b) {
        Ok(b) => call(&s, Request::Login { pin: b.pin }).await,
        Err(r) => r,
    }
}

async fn maint(s: &AppState, headers: &HeaderMap, action: MaintenanceAction) -> Response {
    call(s, Request::Maintenance { token: token(headers), action }).await
}

macro_rules! maintenance {
    ($name:ident, $action:expr) => {
        async fn $name(State(s): State<AppState>, headers: HeaderMap) -> Response {
            maint(&s, &headers, $action).await
        }
    };
}

maintenance!(logout, MaintenanceAction::Logout);
maintenance!(devices, MaintenanceAction::Devices);
maintenance!(test_page, MaintenanceAction::TestPage);
maintenance!(paper_refilled, MaintenanceAction::PaperRefilled);
maintenance!(sync_now, MaintenanceAction::SyncNow);
maintenance!(counts, MaintenanceAction::Counts);
maintenance!(receipts, MaintenanceAction::Receipts);

async fn fault(State(s): State<AppState>, headers: HeaderMap, b: Result<Json<FaultBody>, JsonRejection>) -> Response {
    match body(b) {
        Ok(b) => maint(&s, &headers, MaintenanceAction::Fault { category: b.category, text: b.text }).await,
        Err(r) => r,
    }
}

async fn out_of_service(State(s): State<AppState>, headers: HeaderMap, b: Result<Json<OnBody>, JsonRejection>) -> Response {
    match body(b) {
        Ok(b) => maint(&s, &headers, MaintenanceAction::OutOfService { on: b.on, reason: b.reason }).await,
        Err(r) => r,
    }
}

async fn assist(State(s): State<AppState>, headers: HeaderMap, b: Result<Json<OnBody>, JsonRejection>) -> Response {
    match body(b) {
        Ok(b) => maint(&s, &headers, MaintenanceAction::Assist { on: b.on }).await,
        Err(r) => r,
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HoursBody {
    #[serde(rename = "override")]
    set: String,
}

async fn hours(State(s): State<AppState>, headers: HeaderMap, b: Result<Json<HoursBody>, JsonRejection>) -> Response {
    match body(b) {
        Ok(b) => match crate::console::command::HoursOverride::parse(&b.set) {
            Some(set) => maint(&s, &headers, MaintenanceAction::Hours { set }).await,
            None => error_response(&ApiError::new(422, "invalid", "override must be open, closed or auto")),
        },
        Err(r) => r,
    }
}

async fn openapi() -> Response {
    Json(crate::openapi::document()).into_response()
}

async fn events(State(s): State<AppState>) -> Sse<impl tokio_stream::Stream<Item = Result<SseEvent, Infallible>>> {
    let stream = BroadcastStream::new(s.events.subscribe()).filter_map(|e| {
        let e = e.ok()?;
        Some(Ok(SseEvent::default().event(e.event).data(e.data.to_string())))
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

async fn not_found() -> Response {
    error_response(&ApiError::new(404, "not_found", "no such route"))
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/v1/status", get(status))
        .route("/v1/session", get(session))
        .route("/v1/events", get(events))
        .route("/v1/categories", get(categories))
        .route("/v1/items", get(items))
        .route("/v1/items/{code}", get(item))
        .route("/v1/search", get(search))
        .route("/v1/knowledge", get(knowledge))
        .route("/v1/openapi.json", get(openapi))
        .route("/v1/session/start", post(start))
        .route("/v1/session/browse", post(browse))
        .route("/v1/session/item", post(choose))
        .route("/v1/session/fields", post(fields))
        .route("/v1/session/submit", post(submit))
        .route("/v1/session/skip-print", post(skip_print))
        .route("/v1/session/rate", post(rate))
        .route("/v1/session/extend", post(extend))
        .route("/v1/session/finish", post(finish))
        .route("/v1/session/elderly", post(elderly))
        .route("/v1/session/activity", post(activity))
        .route("/v1/maintenance/login", post(login))
        .route("/v1/maintenance/logout", post(logout))
        .route("/v1/maintenance/devices", get(devices))
        .route("/v1/maintenance/test-page", post(test_page))
        .route("/v1/maintenance/paper-refilled", post(paper_refilled))
        .route("/v1/maintenance/fault", post(fault))
        .route("/v1/maintenance/out-of-service", post(out_of_service))
        .route("/v1/maintenance/sync-now", post(sync_now))
        .route("/v1/maintenance/counts", get(counts))
        .route("/v1/maintenance/assist", post(assist))
        .route("/v1/maintenance/receipts", get(receipts))
        .route("/v1/maintenance/hours", post(hours))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(64 * 1024))
        .with_state(state)
}

/// Binds the Unix socket at `path` (replacing a stale one) with mode 0660.
pub fn bind(path: &Path) -> std::io::Result<tokio::net::UnixListener> {
    use std::os::unix::fs::PermissionsExt;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    if path.exists() {
        // A live daemon would answer; a stale socket file refuses connections.
        if std::os::unix::net::UnixStream::connect(path).is_ok() {
            return Err(std::io::Error::new(std::io::ErrorKind::AddrInUse, format!("{} is in use by another daemon", path.display())));
        }
        std::fs::remove_file(path)?;
    }
    let listener = tokio::net::UnixListener::bind(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o660))?;
    Ok(listener)
}

/// Serves until `shutdown` resolves.
pub async fn serve(listener: tokio::net::UnixListener, state: AppState, shutdown: impl std::future::Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
    axum::serve(listener, router(state)).with_graceful_shutdown(shutdown).await
}
