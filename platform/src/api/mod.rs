//! The HTTP service: the device API (`/api/v1/…`, signed), the admin API (`/admin/v1/…`, bearer
//! token), `/metrics`, `/openapi.json` and the operations page (`/`).
//!
//! Handlers translate HTTP to storage calls and back. Storage calls block, so they run on
//! tokio's blocking pool ([`db`]). Every error is JSON `{"error": code, "message": …}`
//! ([`ApiError`]); error answers are counted by code for `/metrics`. Request bodies are at most
//! [`BODY_LIMIT`]; at most `Options::max_in_flight` requests are handled at once and the rest are
//! answered 503 with `Retry-After` at once, so an overload sheds load instead of queueing it.

pub mod admin;
pub mod device;
pub mod metrics;
pub mod openapi;
pub mod web;

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use kiosk_wire::{codes, ErrorBody, TerminalStatus};
use serde::de::DeserializeOwned;

use crate::app::App;
use crate::db::{Refusal, Storage, StoreError, StoreResult};

pub type AppState = Arc<App>;

/// Largest request body.
pub const BODY_LIMIT: usize = 2 * 1024 * 1024;

/// An error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub terminal_status: Option<TerminalStatus>,
    pub server_time: Option<i64>,
    pub retry_after: Option<u32>,
}

/// The error code of an answer, for the metrics middleware.
#[derive(Debug, Clone, Copy)]
struct ErrorCode(&'static str);

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, code, message: message.into(), terminal_status: None, server_time: None, retry_after: None }
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, codes::BAD_REQUEST, message)
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }

    pub fn overloaded(retry_after: u32) -> ApiError {
        ApiError { retry_after: Some(retry_after), ..ApiError::new(StatusCode::SERVICE_UNAVAILABLE, codes::OVERLOADED, "the platform is busy; retry later") }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody { error: self.code.to_string(), message: self.message, status: self.terminal_status, server_time: self.server_time };
        let mut r = (self.status, Json(body)).into_response();
        if let Some(s) = self.retry_after {
            r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        if self.status == StatusCode::UNAUTHORIZED && self.code == "unauthorized" {
            r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        r.extensions_mut().insert(ErrorCode(self.code));
        r
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::Refused(r) => {
                let (status, code) = match &r {
                    Refusal::BadToken => (StatusCode::UNAUTHORIZED, codes::BAD_TOKEN),
                    Refusal::TokenExpired => (StatusCode::UNAUTHORIZED, codes::TOKEN_EXPIRED),
                    Refusal::TokenUsed => (StatusCode::CONFLICT, codes::TOKEN_USED),
                    Refusal::DivisionNotAllowed { .. } => (StatusCode::FORBIDDEN, codes::DIVISION_NOT_ALLOWED),
                    Refusal::AlreadyEnrolled { .. } => (StatusCode::CONFLICT, codes::ALREADY_ENROLLED),
                    Refusal::NotFound { .. } => (StatusCode::NOT_FOUND, "not_found"),
                    Refusal::BadTransition { .. } => (StatusCode::CONFLICT, "bad_transition"),
                    Refusal::VersionNotNewer { .. } => (StatusCode::CONFLICT, "version_not_newer"),
                };
                ApiError::new(status, code, r.to_string())
            }
            StoreError::Busy => ApiError::overloaded(1),
            other => {
                tracing::error!(error = %other, "storage failed");
                ApiError::internal("storage failed; see the platform's log")
            }
        }
    }
}

/// Runs a storage call on the blocking pool.
pub async fn db<T: Send + 'static>(app: &AppState, f: impl FnOnce(&dyn Storage) -> StoreResult<T> + Send + 'static) -> Result<T, ApiError> {
    let store = app.db.clone();
    match tokio::task::spawn_blocking(move || f(store.as_ref())).await {
        Ok(r) => r.map_err(ApiError::from),
        Err(e) => {
            tracing::error!(error = %e, "storage task failed");
            Err(ApiError::internal("storage task failed"))
        }
    }
}

/// The body bytes, or a clear 413/400.
pub fn body_bytes(b: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    b.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, codes::PAYLOAD_TOO_LARGE, format!("the body is over {BODY_LIMIT} bytes"))
        } else {
            ApiError::bad_request(e.body_text())
        }
    })
}

/// Parses a JSON body; the error names what is wrong but never echoes a value.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.is_empty() {
        return Err(ApiError::bad_request("a JSON body is required"));
    }
    serde_json::from_slice(bytes).map_err(|e| ApiError::bad_request(format!("malformed JSON: {}", crate::mask::redact_serde(&e.to_string()))))
}

/// Parses an optional JSON body (empty means `T::default()`).
pub fn parse_optional_json<T: DeserializeOwned + Default>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) { Ok(T::default()) } else { parse_json(bytes) }
}

/// `ETag` value for a version.
pub fn etag(version: &str) -> String {
    format!("\"{version}\"")
}

/// Does `If-None-Match` match this `ETag`?
pub fn not_modified(headers: &HeaderMap, etag: &str) -> bool {
    headers.get_all(header::IF_NONE_MATCH).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(|t| {
        let t = t.trim();
        t == "*" || t.strip_prefix("W/").unwrap_or(t) == etag
    })
}

async fn limit(State(app): State<AppState>, req: Request, next: Next) -> Response {
    match app.in_flight.clone().try_acquire_owned() {
        Ok(_permit) => next.run(req).await,
        Err(_) => {
            app.metrics.error(codes::OVERLOADED);
            ApiError::overloaded(app.options.retry_after_s).into_response()
        }
    }
}

async fn count_errors(State(app): State<AppState>, req: Request, next: Next) -> Response {
    let r = next.run(req).await;
    if let Some(ErrorCode(code)) = r.extensions().get::<ErrorCode>() {
        app.metrics.error(code);
    }
    r
}

async fn admin_auth(State(app): State<AppState>, req: Request, next: Next) -> Response {
    let given = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer ")).unwrap_or("");
    if given.is_empty() || !crate::keys::secrets_equal(given.trim(), &app.admin_token) {
        return ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", "an admin token is required: Authorization: Bearer <token>").into_response();
    }
    next.run(req).await
}

async fn not_found() -> Response {
    ApiError::not_found("no such route").into_response()
}

/// The whole service.
pub fn router(app: AppState) -> Router {
    let admin = Router::new()
        .route("/admin/v1/tokens", get(admin::tokens).post(admin::create_token))
        .route("/admin/v1/terminals", get(admin::terminals))
        .route("/admin/v1/terminals/{id}", get(admin::terminal))
        .route("/admin/v1/terminals/{id}/approve", post(admin::approve))
        .route("/admin/v1/terminals/{id}/reject", post(admin::reject))
        .route("/admin/v1/terminals/{id}/relocate", post(admin::relocate))
        .route("/admin/v1/terminals/{id}/decommission", post(admin::decommission))
        .route("/admin/v1/catalogue", get(admin::catalogue).post(admin::publish_catalogue))
        .route("/admin/v1/knowledge", post(admin::publish_knowledge))
        .route("/admin/v1/items/{code}/pause", post(admin::pause_item))
        .route("/admin/v1/items/{code}/resume", post(admin::resume_item))
        .route("/admin/v1/config", get(admin::config).post(admin::set_config))
        .route("/admin/v1/faults", get(admin::faults))
        .route("/admin/v1/faults/{id}/close", post(admin::close_fault))
        .route("/admin/v1/summary", get(admin::summary))
        .route("/admin/v1/stats", get(admin::stats))
        .route("/admin/v1/stats/usage.svg", get(admin::usage_svg))
        .route("/admin/v1/export/{kind}", get(admin::export))
        .route("/admin/v1/platform-key", get(admin::platform_key))
        .route_layer(middleware::from_fn_with_state(app.clone(), admin_auth));
    Router::new()
        .route("/", get(web::page))
        .route("/openapi.json", get(openapi::serve))
        .route("/metrics", get(metrics::serve))
        .route("/healthz", get(health))
        .route("/api/v1/enrol", post(device::enrol))
        .route("/api/v1/terminal", get(device::terminal))
        .route("/api/v1/heartbeat", post(device::heartbeat))
        .route("/api/v1/outbox", post(device::outbox))
        .route("/api/v1/catalogue", get(device::catalogue))
        .route("/api/v1/config", get(device::config))
        .merge(admin)
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn_with_state(app.clone(), count_errors))
        .layer(middleware::from_fn_with_state(app.clone(), limit))
        .with_state(app)
}

async fn health(State(app): State<AppState>) -> Response {
    match db(&app, |s| s.catalogue_version()).await {
        Ok(_) => Json(serde_json::json!({ "ok": true, "server_time": app.now() })).into_response(),
        Err(e) => e.into_response(),
    }
}

/// A response with a body and content type.
pub fn typed(content_type: &'static str, body: impl Into<Body>) -> Response {
    ([(header::CONTENT_TYPE, content_type)], body.into()).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_match_lists_weak_and_star() {
        let mut h = HeaderMap::new();
        assert!(!not_modified(&h, "\"3\""));
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"2\", W/\"3\""));
        assert!(not_modified(&h, "\"3\""));
        assert!(!not_modified(&h, "\"4\""));
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("*"));
        assert!(not_modified(&h, "\"4\""));
    }

    #[test]
    fn json_errors_never_echo_values() {
        #[derive(serde::Deserialize, Debug)]
        struct T {
            #[allow(dead_code)]
            level: u8,
        }
        let e = parse_json::<T>(br#"{"level": "441882195103070022"}"#).unwrap_err();
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
        assert!(!e.message.contains("441882"), "{}", e.message);
        assert!(parse_json::<T>(b"").is_err());
        assert_eq!(parse_optional_json::<Option<u8>>(b" ").unwrap(), None);
    }
}
