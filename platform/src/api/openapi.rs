//! The route table and the OpenAPI 3.1 document generated from it (`GET /openapi.json`).
//! [`ROUTES`] is checked against the running router by the integration tests: every route
//! answers, and nothing is routed that is not documented.

use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    Public,
    /// Signed by an enrolled terminal (`x-kiosk-*` headers).
    Device,
    /// `Authorization: Bearer <admin token>`.
    Admin,
}

/// (method, path, summary, auth) of every route.
pub const ROUTES: &[(&str, &str, &str, Auth)] = &[
    ("get", "/", "The operations web page (fleet, terminal detail, usage chart)", Auth::Public),
    ("get", "/openapi.json", "This document", Auth::Public),
    ("get", "/metrics", "Prometheus metrics: terminals by status, online, records, rejections, outbox depth", Auth::Public),
    ("get", "/healthz", "Liveness: the database answers", Auth::Public),
    ("post", "/api/v1/enrol", "Enrol with a one-time token: EnrolRequest -> EnrolResponse (unsigned)", Auth::Public),
    ("get", "/api/v1/terminal", "The terminal's own record and status: TerminalInfo (any status)", Auth::Device),
    ("post", "/api/v1/heartbeat", "Heartbeat -> HeartbeatAck", Auth::Device),
    ("post", "/api/v1/outbox", "Batch of records -> BatchAck (each key applied once)", Auth::Device),
    ("get", "/api/v1/catalogue", "The signed catalogue: SignedCatalogue; ETag = version, If-None-Match -> 304", Auth::Device),
    ("get", "/api/v1/config", "The terminal configuration: TerminalConfig; ETag = version, If-None-Match -> 304", Auth::Device),
    ("get", "/admin/v1/tokens", "Enrolment tokens (without their secrets)", Auth::Admin),
    ("post", "/admin/v1/tokens", "Issue a token: {division_prefix, preapproved, expires_in_s, note} -> {token, ...}", Auth::Admin),
    ("get", "/admin/v1/terminals", "Terminals with online/offline, health and open faults: ?status=&prefix=&online=", Auth::Admin),
    ("get", "/admin/v1/terminals/{id}", "One terminal: record, health, events, faults, usage", Auth::Admin),
    ("post", "/admin/v1/terminals/{id}/approve", "Approve a pending terminal: {reason}", Auth::Admin),
    ("post", "/admin/v1/terminals/{id}/reject", "Reject a pending terminal: {reason}", Auth::Admin),
    ("post", "/admin/v1/terminals/{id}/relocate", "Move a terminal to an approved new site: {site: {name, division_code}, reason}", Auth::Admin),
    ("post", "/admin/v1/terminals/{id}/decommission", "Decommission a terminal: {reason}", Auth::Admin),
    ("get", "/admin/v1/catalogue", "The published catalogue and its signature", Auth::Admin),
    ("post", "/admin/v1/catalogue", "Publish a catalogue (body: the catalogue JSON; its version must be newer); the platform signs it", Auth::Admin),
    ("post", "/admin/v1/knowledge", "Replace the knowledge content: [..] or {knowledge: [..]}; republishes", Auth::Admin),
    ("post", "/admin/v1/items/{code}/pause", "Pause an item: {notice, notice_en, from, until}; republishes", Auth::Admin),
    ("post", "/admin/v1/items/{code}/resume", "Resume an item; republishes", Auth::Admin),
    ("get", "/admin/v1/config", "The terminal configuration", Auth::Admin),
    ("post", "/admin/v1/config", "Change it: {heartbeat_s, settings}; bumps the version", Auth::Admin),
    ("get", "/admin/v1/faults", "Fault reports: ?state=open|closed|all&terminal=", Auth::Admin),
    ("post", "/admin/v1/faults/{id}/close", "Close a fault: {note}", Auth::Admin),
    ("get", "/admin/v1/summary", "Fleet counts", Auth::Admin),
    ("get", "/admin/v1/stats", "Transactions and ratings per item and per region: ?since=&until=&level=&prefix=&terminal=", Auth::Admin),
    ("get", "/admin/v1/stats/usage.svg", "Transactions per item as an SVG bar chart (same query)", Auth::Admin),
    ("get", "/admin/v1/export/{kind}", "Export transactions, ratings or usage: ?format=csv|jsonl&since=&until=&after=&limit=", Auth::Admin),
    ("get", "/admin/v1/platform-key", "The catalogue signing public key (hex) and key id", Auth::Admin),
];

pub fn document() -> Value {
    let mut paths = Map::new();
    for (method, path, summary, auth) in ROUTES {
        let mut op = json!({
            "summary": summary,
            "responses": {
                "200": { "description": "OK" },
                "default": { "description": "Error", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } }
            }
        });
        match auth {
            Auth::Public => {}
            Auth::Device => op["security"] = json!([{ "kiosk_signature": [] }]),
            Auth::Admin => op["security"] = json!([{ "admin_token": [] }]),
        }
        if *method == "post" {
            op["requestBody"] = json!({ "required": false, "content": { "application/json": { "schema": { "type": "object" } } } });
        }
        let params: Vec<Value> = path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
            .collect();
        if !params.is_empty() {
            op["parameters"] = Value::Array(params);
        }
        let entry = paths.entry(path.to_string()).or_insert_with(|| json!({}));
        entry[*method] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "kiosk-platform",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The provincial platform of the village self-service terminals. Device requests are signed (KIOSK-SIG-V1, see kiosk-wire); admin requests carry the admin token. Errors are {\"error\": code, \"message\": ...}."
        },
        "paths": paths,
        "components": {
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error", "message"],
                    "properties": {
                        "error": { "type": "string" },
                        "message": { "type": "string" },
                        "status": { "type": "string", "enum": ["pending", "approved", "rejected", "relocated", "decommissioned"] },
                        "server_time": { "type": "integer" }
                    }
                }
            },
            "securitySchemes": {
                "admin_token": { "type": "http", "scheme": "bearer" },
                "kiosk_signature": { "type": "apiKey", "in": "header", "name": "x-kiosk-signature", "description": "Ed25519 over KIOSK-SIG-V1\\n{METHOD}\\n{path}\\n{terminal}\\n{timestamp}\\n{nonce}\\n{body_sha256}, with x-kiosk-terminal, x-kiosk-timestamp, x-kiosk-nonce and x-kiosk-body-sha256" }
            }
        }
    })
}

pub async fn serve() -> Response {
    Json(document()).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_documented_once() {
        let doc = document();
        let n: usize = doc["paths"].as_object().unwrap().values().map(|p| p.as_object().unwrap().len()).sum();
        assert_eq!(n, ROUTES.len());
        assert_eq!(doc["paths"]["/admin/v1/terminals/{id}/approve"]["post"]["parameters"][0]["name"], "id");
    }
}
