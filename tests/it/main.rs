//! End-to-end tests across binaries: a short chaos soak and the Debian packages.

mod packages;
mod soak;

use std::path::PathBuf;

/// Cargo's target folder, from where this test's sibling binary was built.
pub fn target_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_kiosk-soak")).parent().and_then(|p| p.parent()).expect("target/<profile>/kiosk-soak").to_path_buf()
}
