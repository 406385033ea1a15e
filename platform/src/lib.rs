//! `kiosk-platform`: the thin provincial platform the village terminals sync with (issue 4).
//!
//! - [`db`]: storage behind the [`db::Storage`] trait; [`db::sqlite`] is the implementation.
//! - [`api`]: the HTTP service (device API, admin API, metrics, OpenAPI, operations page).
//! - [`app`]: shared state and options; [`server`]: wiring, serving, housekeeping.
//! - [`catalogue_edit`]: pause/resume/knowledge edits of the published catalogue (pure).
//! - [`export`]: CSV and JSON-lines exports; [`mask`]: masking of personal data.
//! - [`keys`]: key files and sealing at rest; [`clock`], [`time`]: time, passed in.
//! - [`client`]: blocking HTTP clients (admin CLI, tests, benchmarks).
//!
//! The wire format is `kiosk-wire`'s; this crate never defines a message a terminal sees.

pub mod api;
pub mod app;
pub mod catalogue_edit;
pub mod client;
pub mod clock;
pub mod db;
pub mod export;
pub mod keys;
pub mod mask;
pub mod server;
pub mod time;
