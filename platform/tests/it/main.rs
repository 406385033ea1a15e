//! Integration tests of kiosk-platform: the real service on 127.0.0.1:0 with a temporary SQLite
//! file, driven over real HTTP by a signed test terminal (kiosk-wire) and the admin client; the
//! real binary for the command line.

mod api;
mod catalogue;
mod cli;
mod enrol;
mod ingest;
mod security;
mod util;
mod web;
