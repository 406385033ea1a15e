//! `kioskd`, the kiosk terminal daemon: owns the devices, the offline store and the citizen
//! session, and serves the local API the touchscreen UI is a client of.
//!
//! - [`config`]: the TOML configuration.
//! - [`catalogue`]: the service catalogue model (pure).
//! - [`session`]: the citizen session state machine (pure).
//! - [`store`]: SQLite storage and encryption at rest.
//! - [`devices`]: the reader and printer threads.
//! - [`core`]: the one loop that handles every input.
//! - [`api`], [`openapi`]: the local HTTP API on a Unix socket; [`client`]: its blocking client.
//! - [`console`], [`console_ops`]: the technician serial console; [`logbuf`]: recent log lines.
//! - [`sync`]: the sync agent (enrolment, signed requests, outbox, heartbeat, catalogue).
//! - [`daemon`]: wiring; [`demo`]: a complete terminal with simulated devices.

pub mod api;
pub mod catalogue;
/// The local API client lives in its own small crate so the UI can use it without the daemon.
pub use kioskd_client as client;
pub mod config;
pub mod console;
pub mod console_ops;
pub mod core;
pub mod daemon;
pub mod demo;
pub mod devices;
pub mod logbuf;
pub mod maintenance;
pub mod notify;
pub mod openapi;
pub mod secret;
pub mod session;
pub mod store;
pub mod sync;
pub mod time;
