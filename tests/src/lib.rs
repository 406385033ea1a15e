//! End-to-end tests across the binaries: the chaos soak (`soak`, run by the `kiosk-soak`
//! binary and, shortly, by the test suite) with its fault-injecting proxy (`proxy`), and the
//! Debian package checks (`it/packages.rs`). See `tests/README.md`.

pub mod proxy;
pub mod rng;
pub mod soak;
