//! Debian packages (`cargo xtask package [--target T]`) and the aarch64 cross build
//! (`cargo xtask cross`).
//!
//! A package is any workspace crate whose `Cargo.toml` has a `[package.metadata.deb]` table (see
//! `DEB_CRATES`); its binaries are built here first (a package may ship binaries of other
//! crates, like `kiosk-hw` in the terminal package) and then packaged with
//! `cargo deb -p CRATE --no-build`. The `.deb` files land in `<target dir>/debian/`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{cargo, have, root, run, target_dir, Result};

/// The target the terminals run on.
pub const AARCH64: &str = "aarch64-unknown-linux-gnu";

/// One Debian package: the crate holding its `[package.metadata.deb]`, the crates whose
/// binaries it ships, and whether it cross-builds without extra system libraries.
pub struct DebCrate {
    pub krate: &'static str,
    pub deb: &'static str,
    pub bin_crates: &'static [&'static str],
    pub cross: bool,
}

/// Every package of the project. A crate listed here whose folder has no `Cargo.toml` yet is
/// skipped, so `kiosk-ui` packages itself once its crate lands with its metadata.
pub const DEB_CRATES: &[DebCrate] = &[
    DebCrate { krate: "kioskd", deb: "open-kiosk-terminal", bin_crates: &["kioskd", "kiosk-drivers"], cross: true },
    DebCrate { krate: "kiosk-platform", deb: "open-kiosk-platform", bin_crates: &["kiosk-platform"], cross: true },
    // Slint's linuxkms backend links libgbm, libxkbcommon, libudev and libseat: cross-building
    // it needs those for arm64 (see deploy/README.md), so it is packaged natively only.
    DebCrate { krate: "kiosk-ui", deb: "open-kiosk-ui", bin_crates: &["kiosk-ui"], cross: false },
];

/// The folder of a workspace crate, by package name.
fn crate_dir(krate: &str) -> PathBuf {
    match krate {
        "kioskd" => root().join("kiosk-daemon"),
        "kiosk-platform" => root().join("platform"),
        "kiosk-drivers" => root().join("drivers"),
        other => root().join(other),
    }
}

/// The packages that exist in this checkout (their crate has Debian metadata).
pub fn present() -> Vec<&'static DebCrate> {
    DEB_CRATES
        .iter()
        .filter(|d| std::fs::read_to_string(crate_dir(d.krate).join("Cargo.toml")).is_ok_and(|t| t.contains("[package.metadata.deb]")))
        .collect()
}

/// Installs cargo-deb when `cargo deb` is missing.
pub fn ensure_cargo_deb() -> Result<()> {
    if have("cargo-deb", "--version") {
        return Ok(());
    }
    eprintln!("xtask: installing cargo-deb (once)");
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.args(["install", "cargo-deb", "--locked", "--version", "^3"]);
    run(c)
}

/// The Rust standard library for `target` (rustup) and, for aarch64, Debian's cross compiler.
pub fn ensure_target(target: &str) -> Result<()> {
    let installed = Command::new("rustup").args(["target", "list", "--installed"]).output().map(|o| String::from_utf8_lossy(&o.stdout).into_owned()).unwrap_or_default();
    if !installed.lines().any(|l| l.trim() == target) {
        let mut c = Command::new("rustup");
        c.args(["target", "add", target]);
        run(c)?;
    }
    if target == AARCH64 {
        crate::apt_install(&[("gcc-aarch64-linux-gnu", "/usr/bin/aarch64-linux-gnu-gcc"), ("libc6-dev-arm64-cross", "/usr/aarch64-linux-gnu/lib/crt1.o")])?;
    }
    Ok(())
}

/// Where cargo puts release binaries for `target` (None: the host).
pub fn release_dir(target: Option<&str>) -> PathBuf {
    match target {
        Some(t) => target_dir().join(t).join("release"),
        None => target_dir().join("release"),
    }
}

/// `cargo xtask package [--target T]`: every package, built in release mode, into
/// `<target dir>/debian/`. Returns the `.deb` paths.
pub fn package(target: Option<&str>) -> Result<Vec<PathBuf>> {
    crate::setup()?;
    ensure_cargo_deb()?;
    if let Some(t) = target {
        ensure_target(t)?;
    }
    let packages: Vec<&DebCrate> = present().into_iter().filter(|d| target.is_none() || d.cross).collect();
    let mut build = cargo();
    build.args(["build", "--release", "--bins", "--quiet"]);
    for d in &packages {
        for b in d.bin_crates {
            build.args(["-p", b]);
        }
    }
    if let Some(t) = target {
        build.args(["--target", t]);
    }
    run(build)?;
    let out = target_dir().join("debian");
    std::fs::create_dir_all(&out).map_err(|e| format!("creating {}: {e}", out.display()))?;
    let mut debs = Vec::new();
    for d in &packages {
        let mut c = cargo();
        c.args(["deb", "-p", d.krate, "--no-build", "--quiet", "--output"]).arg(&out);
        if let Some(t) = target {
            c.args(["--target", t]);
            // Debian's cross binutils strip the aarch64 binaries (the host's strip cannot).
            if t == AARCH64 && !Path::new("/usr/bin/aarch64-linux-gnu-strip").exists() {
                c.arg("--no-strip");
            }
        }
        let shown = format!("{c:?}");
        eprintln!("xtask: running {shown}");
        let o = c.output().map_err(|e| format!("cannot run {shown}: {e}"))?;
        if !o.status.success() {
            return Err(format!("{shown} failed: {}\n{}", o.status, String::from_utf8_lossy(&o.stderr)));
        }
        // cargo deb prints the path of the package it wrote.
        let path = String::from_utf8_lossy(&o.stdout).lines().map(str::trim).rfind(|l| l.ends_with(".deb")).map(PathBuf::from);
        let path = path.ok_or_else(|| format!("{shown} did not say which package it wrote"))?;
        if !path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with(&format!("{}_", d.deb))) {
            return Err(format!("{} is not a {} package", path.display(), d.deb));
        }
        eprintln!("xtask: built {}", path.display());
        debs.push(path);
    }
    Ok(debs)
}

/// The ELF machine of a file: `Some(183)` for AArch64, `Some(62)` for x86-64.
fn elf_machine(path: &Path) -> Result<u16> {
    let bytes = std::fs::read(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    if bytes.len() < 20 || &bytes[..4] != b"\x7fELF" {
        return Err(format!("{} is not an ELF file", path.display()));
    }
    if bytes[4] != 2 || bytes[5] != 1 {
        return Err(format!("{} is not a 64-bit little-endian ELF file", path.display()));
    }
    Ok(u16::from_le_bytes([bytes[18], bytes[19]]))
}

const EM_AARCH64: u16 = 183;

/// `cargo xtask cross`: kioskd, kiosk-hw and kiosk-platform in release mode for aarch64,
/// checked to be AArch64 ELF executables; then the aarch64 packages.
pub fn cross() -> Result<()> {
    crate::setup()?;
    ensure_target(AARCH64)?;
    let mut c = cargo();
    c.args(["build", "--release", "--bins", "--quiet", "--target", AARCH64, "-p", "kioskd", "-p", "kiosk-drivers", "-p", "kiosk-platform"]);
    run(c)?;
    let dir = release_dir(Some(AARCH64));
    for bin in ["kioskd", "kiosk-hw", "kiosk-platform"] {
        let path = dir.join(bin);
        let machine = elf_machine(&path)?;
        if machine != EM_AARCH64 {
            return Err(format!("{} is not an AArch64 executable (ELF machine {machine})", path.display()));
        }
        let described = Command::new("file").arg("-b").arg(&path).output().map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string()).unwrap_or_default();
        if !described.is_empty() && !described.contains("aarch64") && !described.contains("ARM aarch64") {
            return Err(format!("file(1) says {}: {described}", path.display()));
        }
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        eprintln!("xtask: {} is AArch64 ({} KiB){}", path.display(), size / 1024, if described.is_empty() { String::new() } else { format!(": {described}") });
    }
    for deb in package(Some(AARCH64))? {
        eprintln!("xtask: aarch64 package {}", deb.display());
    }
    Ok(())
}
