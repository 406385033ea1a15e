//! Integration tests of kioskd: the real daemon binary, real SQLite files, real ptys with the
//! simulators, the local API over its Unix socket.

mod api;
mod console;
mod faults;
mod sync;
mod util;
mod visit;
