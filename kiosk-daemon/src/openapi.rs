//! The local API's route table and its OpenAPI 3.1 document (served at `GET /v1/openapi.json`).
//!
//! [`ROUTES`] is the single list both the router (`api.rs`) and this document are checked
//! against: a test calls every route on a running daemon and compares the document's paths.

use serde_json::{json, Map, Value};

/// (method, path, summary, auth) of every route.
pub const ROUTES: &[(&str, &str, &str, bool)] = &[
    ("get", "/v1/status", "Terminal status: devices, network, outbox, catalogue, session state", false),
    ("get", "/v1/session", "The current session (masked)", false),
    ("get", "/v1/events", "Server-sent events: session, device, warning, timeout, print, card_error", false),
    ("get", "/v1/categories", "Service categories with item counts", false),
    ("get", "/v1/items", "Items, optionally ?category=CODE, each with its availability", false),
    ("get", "/v1/items/{code}", "One item: guide, form schema, availability", false),
    ("get", "/v1/search", "Search items by name, keyword or pinyin initials: ?q=", false),
    ("get", "/v1/knowledge", "Knowledge content that is live today", false),
    ("get", "/v1/openapi.json", "This document", false),
    ("post", "/v1/session/start", "Start an anonymous visit (no card)", false),
    ("post", "/v1/session/browse", "Go to the service list", false),
    ("post", "/v1/session/item", "Open an item: {\"code\"}", false),
    ("post", "/v1/session/fields", "Set form fields: {\"fields\": {key: value}}", false),
    ("post", "/v1/session/submit", "Submit the form (durable before the answer)", false),
    ("post", "/v1/session/skip-print", "Go on to rating while a receipt is held", false),
    ("post", "/v1/session/rate", "Rate the service: {\"level\": 1..5, \"reasons\": [], \"complaint\"}", false),
    ("post", "/v1/session/extend", "I need more time", false),
    ("post", "/v1/session/finish", "End the visit (wipes it)", false),
    ("post", "/v1/session/elderly", "Elderly mode: {\"on\": bool}", false),
    ("post", "/v1/session/activity", "The citizen touched the screen", false),
    ("post", "/v1/maintenance/login", "Assistant login: {\"pin\"} -> {\"token\"}", false),
    ("post", "/v1/maintenance/logout", "End the maintenance login", true),
    ("get", "/v1/maintenance/devices", "Device health", true),
    ("post", "/v1/maintenance/test-page", "Print a test page", true),
    ("post", "/v1/maintenance/paper-refilled", "Paper refilled: re-check the printer now", true),
    ("post", "/v1/maintenance/fault", "Report a fault: {\"category\", \"text\"}", true),
    ("post", "/v1/maintenance/out-of-service", "Out of service on/off: {\"on\", \"reason\"}", true),
    ("post", "/v1/maintenance/sync-now", "Ask the sync agent to sync now", true),
    ("get", "/v1/maintenance/counts", "Today's counts and the outbox", true),
    ("post", "/v1/maintenance/assist", "Mark the current visit assisted (协助办理): {\"on\"}", true),
    ("get", "/v1/maintenance/receipts", "Receipts not yet printed", true),
    ("post", "/v1/maintenance/hours", "Operating hours override: {\"override\": \"open\"|\"closed\"|\"auto\"}", true),
];

pub fn document() -> Value {
    let mut paths = Map::new();
    for (method, path, summary, auth) in ROUTES {
        let mut op = json!({
            "summary": summary,
            "responses": {
                "200": { "description": "OK", "content": { "application/json": { "schema": { "type": "object" } } } },
                "default": { "description": "Error", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } }
            }
        });
        if *auth {
            op["security"] = json!([{ "pin_token": [] }]);
        }
        if *method == "post" {
            op["requestBody"] = json!({ "required": false, "content": { "application/json": { "schema": { "type": "object" } } } });
        }
        if path.contains("{code}") {
            op["parameters"] = json!([{ "name": "code", "in": "path", "required": true, "schema": { "type": "string" } }]);
        }
        if *path == "/v1/events" {
            op["responses"]["200"]["content"] = json!({ "text/event-stream": { "schema": { "type": "string" } } });
        }
        let entry = paths.entry(path.to_string()).or_insert_with(|| json!({}));
        entry[*method] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "kioskd local API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "HTTP/JSON on a Unix socket, for the touchscreen UI and tests. Never returns a full ID number or name."
        },
        "paths": paths,
        "components": {
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error", "message"],
                    "properties": { "error": { "type": "string" }, "message": { "type": "string" }, "details": {} }
                }
            },
            "securitySchemes": { "pin_token": { "type": "http", "scheme": "bearer" } }
        }
    })
}
