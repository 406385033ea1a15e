//! The Debian packages `cargo xtask package` built (`cargo xtask test` builds them, host and
//! arm64, before the tests run and names their folder in KIOSK_TEST_DEB_DIR): file lists and
//! modes, conffiles, Depends, the maintainer scripts (present, executable, `sh -n`, shellcheck,
//! the commands they must run), the binaries' architecture, and the installed configuration
//! (valid for kioskd, its socket the one the UI unit connects to).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn deb_dir() -> PathBuf {
    std::env::var_os("KIOSK_TEST_DEB_DIR").map(PathBuf::from).unwrap_or_else(|| crate::target_dir().join("debian"))
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// The newest `.deb` of `package` for `arch` in the package folder.
fn find(package: &str, arch: &str) -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(deb_dir())
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with(&format!("{package}_")) && n.ends_with(&format!("_{arch}.deb"))))
        .collect();
    found.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
    found.pop()
}

/// The packages to check, or None when they were not built (outside CI: skipped, said so).
fn packages(arch: &str) -> Option<(PathBuf, PathBuf)> {
    match (find("open-kiosk-terminal", arch), find("open-kiosk-platform", arch)) {
        (Some(t), Some(p)) => Some((t, p)),
        _ => {
            let msg = format!("no {arch} packages in {}: `cargo xtask package` builds them (`cargo xtask test` does first)", deb_dir().display());
            assert!(std::env::var_os("CI").is_none(), "{msg}");
            eprintln!("skipped: {msg}");
            None
        }
    }
}

fn output(cmd: &mut Command) -> String {
    let o = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(o.status.success(), "{cmd:?}: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

/// `dpkg-deb --contents`: path -> (mode string, owner).
fn contents(deb: &Path) -> BTreeMap<String, (String, String)> {
    output(Command::new("dpkg-deb").arg("--contents").arg(deb))
        .lines()
        .filter_map(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            let path = cols.last()?.trim_start_matches('.').to_string();
            Some((path, (cols.first()?.to_string(), cols.get(1)?.to_string())))
        })
        .collect()
}

/// `dpkg-deb -I`'s control fields.
fn control(deb: &Path) -> BTreeMap<String, String> {
    let text = output(Command::new("dpkg-deb").args(["-f"]).arg(deb));
    let mut fields = BTreeMap::new();
    let mut last = String::new();
    for line in text.lines() {
        if line.starts_with(' ') {
            fields.entry(last.clone()).and_modify(|v: &mut String| v.push_str(line));
        } else if let Some((k, v)) = line.split_once(':') {
            last = k.trim().to_string();
            fields.insert(last.clone(), v.trim().to_string());
        }
    }
    fields
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("kiosk-deb-it-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn elf_machine(path: &Path) -> u16 {
    let b = std::fs::read(path).unwrap();
    assert_eq!(&b[..4], b"\x7fELF", "{} is ELF", path.display());
    u16::from_le_bytes([b[18], b[19]])
}

/// Checks the maintainer scripts in `control_dir`: each present, executable, `sh -n` clean,
/// shellcheck clean (when installed; under CI it must be), and running `needles`.
fn check_scripts(control_dir: &Path, needles: &[(&str, &[&str])]) {
    use std::os::unix::fs::PermissionsExt;
    let shellcheck = Command::new("shellcheck").arg("--version").output().is_ok_and(|o| o.status.success());
    assert!(shellcheck || std::env::var_os("CI").is_none(), "shellcheck is installed by xtask");
    for (script, expected) in needles {
        let path = control_dir.join(script);
        let meta = std::fs::metadata(&path).unwrap_or_else(|_| panic!("{script} is in the package"));
        assert_eq!(meta.permissions().mode() & 0o777, 0o755, "{script} is executable");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("#!/bin/sh\n"), "{script} is a POSIX shell script");
        assert!(text.lines().any(|l| l.trim() == "set -e"), "{script} stops on errors");
        output(Command::new("sh").arg("-n").arg(&path));
        if shellcheck {
            output(Command::new("shellcheck").args(["--shell=sh", "--severity=style"]).arg(&path));
        }
        for needle in *expected {
            assert!(text.contains(needle), "{script} runs `{needle}`:\n{text}");
        }
        // Every maintainer script refuses arguments it does not know (policy 6.5).
        assert!(text.contains("unknown argument"), "{script} rejects unknown actions");
    }
}

/// The file list, modes and owners, against what the package must hold.
fn check_files(deb: &Path, expected: &[(&str, &str)]) -> BTreeMap<String, (String, String)> {
    let files = contents(deb);
    for (path, mode) in expected {
        let (m, owner) = files.get(*path).unwrap_or_else(|| panic!("{} lacks {path}; it has {:?}", deb.display(), files.keys().collect::<Vec<_>>()));
        assert_eq!(m, mode, "{path} mode");
        assert!(owner == "root/root" || owner == "0/0", "{path} owner in the archive is root, not {owner} (postinst sets groups)");
    }
    // Nothing from the build tree or the developer's machine.
    for path in files.keys() {
        assert!(!path.contains("target/") && !path.contains("/root/") && !path.contains("/tmp/"), "stray file {path}");
    }
    files
}

const BIN: &str = "-rwxr-xr-x";
const DOC: &str = "-rw-r--r--";
const SECRET_CONF: &str = "-rw-r-----";

fn check_terminal(deb: &Path, arch: &str) {
    let c = control(deb);
    assert_eq!(c["Package"], "open-kiosk-terminal");
    assert_eq!(c["Architecture"], arch);
    for dep in ["libc6", "passwd", "init-system-helpers"] {
        assert!(c["Depends"].contains(dep), "Depends {} has {dep}", c["Depends"]);
    }
    assert!(c.get("Recommends").is_some_and(|r| r.contains("udev") && r.contains("systemd")), "{c:?}");
    assert!(c["Version"].starts_with(env!("CARGO_PKG_VERSION")), "{c:?}");
    check_files(
        deb,
        &[
            ("/usr/bin/kioskd", BIN),
            ("/usr/bin/kiosk-hw", BIN),
            ("/etc/kiosk/kioskd.toml", SECRET_CONF),
            ("/etc/udev/rules.d/99-kiosk-devices.rules", DOC),
            ("/usr/lib/systemd/system/kioskd.service", DOC),
            ("/usr/share/kiosk/catalogue.json", DOC),
            ("/usr/share/doc/open-kiosk-terminal/copyright", DOC),
            ("/usr/share/doc/open-kiosk-terminal/fonts/OFL-1.1.txt", DOC),
        ],
    );
    let dir = scratch(&format!("terminal-{arch}"));
    output(Command::new("dpkg-deb").arg("-e").arg(deb).arg(dir.join("DEBIAN")));
    let conffiles = std::fs::read_to_string(dir.join("DEBIAN/conffiles")).expect("conffiles");
    let mut listed: Vec<&str> = conffiles.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    listed.sort();
    assert_eq!(listed, ["/etc/kiosk/kioskd.toml", "/etc/udev/rules.d/99-kiosk-devices.rules"]);
    check_scripts(
        &dir.join("DEBIAN"),
        &[
            (
                "postinst",
                &[
                    "configure)",
                    "groupadd --system kiosk",
                    "useradd --system --gid kiosk",
                    "usermod --append --groups dialout kiosk",
                    "install -d -o kiosk -g kiosk -m 0750 /var/lib/kiosk",
                    "chown root:kiosk /etc/kiosk/kioskd.toml",
                    "chmod 0640 /etc/kiosk/kioskd.toml",
                    "udevadm control --reload-rules",
                    "udevadm trigger",
                    "systemctl --system daemon-reload",
                    "deb-systemd-helper enable",
                    "deb-systemd-invoke start",
                    "kioskd.service",
                    // Idempotent: the user is only made when missing.
                    "if ! getent passwd kiosk",
                ],
            ),
            ("prerm", &["remove|deconfigure)", "deb-systemd-invoke stop kioskd.service"]),
            ("postrm", &["purge)", "rm -rf /var/lib/kiosk", "deb-systemd-helper purge kioskd.service", "udevadm control --reload-rules"]),
        ],
    );

    // The files themselves: binaries for the package's architecture, the configuration valid for
    // kioskd and pointing where the package puts things.
    output(Command::new("dpkg-deb").arg("-x").arg(deb).arg(dir.join("root")));
    let machine = if arch == "arm64" { 183 } else { 62 };
    for bin in ["usr/bin/kioskd", "usr/bin/kiosk-hw"] {
        assert_eq!(elf_machine(&dir.join("root").join(bin)), machine, "{bin} is built for {arch}");
    }
    if arch == "amd64" {
        output(Command::new(dir.join("root/usr/bin/kioskd")).arg("--version"));
        output(Command::new(dir.join("root/usr/bin/kiosk-hw")).arg("--version"));
    }
    let text = std::fs::read_to_string(dir.join("root/etc/kiosk/kioskd.toml")).unwrap();
    let config = kioskd::config::Config::parse(&text, "/etc/kiosk/kioskd.toml").expect("the installed configuration is valid");
    assert_eq!(config.api.socket, Path::new("/run/kiosk/kioskd.sock"));
    assert_eq!(config.storage.data_dir, Path::new("/var/lib/kiosk"));
    assert!(dir.join("root").join(config.catalogue.seed.strip_prefix("/").unwrap()).exists(), "the catalogue seed is installed");
    kioskd::catalogue::Catalogue::from_json(&std::fs::read_to_string(dir.join("root/usr/share/kiosk/catalogue.json")).unwrap()).expect("the catalogue loads");
    let unit = std::fs::read_to_string(dir.join("root/usr/lib/systemd/system/kioskd.service")).unwrap();
    assert!(unit.contains("ExecStart=/usr/bin/kioskd run --config /etc/kiosk/kioskd.toml"));
    assert!(unit.contains("StateDirectoryMode=0750"), "systemd keeps the mode postinst gives /var/lib/kiosk");
    let _ = std::fs::remove_dir_all(&dir);
}

fn check_platform(deb: &Path, arch: &str) {
    let c = control(deb);
    assert_eq!(c["Package"], "open-kiosk-platform");
    assert_eq!(c["Architecture"], arch);
    for dep in ["libc6", "passwd", "init-system-helpers"] {
        assert!(c["Depends"].contains(dep), "Depends {} has {dep}", c["Depends"]);
    }
    let files = check_files(
        deb,
        &[
            ("/usr/bin/kiosk-platform", BIN),
            ("/usr/lib/systemd/system/kiosk-platform.service", DOC),
            ("/usr/share/doc/open-kiosk-platform/copyright", DOC),
        ],
    );
    assert!(!files.keys().any(|p| p.contains("kioskd") || p.starts_with("/etc/kiosk/")), "no terminal files");
    let dir = scratch(&format!("platform-{arch}"));
    output(Command::new("dpkg-deb").arg("-e").arg(deb).arg(dir.join("DEBIAN")));
    check_scripts(
        &dir.join("DEBIAN"),
        &[
            (
                "postinst",
                &[
                    "configure)",
                    "groupadd --system kiosk-platform",
                    "useradd --system --gid kiosk-platform",
                    "install -d -o kiosk-platform -g kiosk-platform -m 0700 /var/lib/kiosk-platform",
                    "systemctl --system daemon-reload",
                    "deb-systemd-helper enable",
                    "kiosk-platform.service",
                ],
            ),
            ("prerm", &["deb-systemd-invoke stop kiosk-platform.service"]),
            ("postrm", &["purge)", "rm -rf /var/lib/kiosk-platform"]),
        ],
    );
    output(Command::new("dpkg-deb").arg("-x").arg(deb).arg(dir.join("root")));
    assert_eq!(elf_machine(&dir.join("root/usr/bin/kiosk-platform")), if arch == "arm64" { 183 } else { 62 });
    let _ = std::fs::remove_dir_all(&dir);
}

fn check_ui(deb: &Path, arch: &str) {
    let c = control(deb);
    assert_eq!(c["Package"], "open-kiosk-ui");
    assert_eq!(c["Architecture"], arch);
    for dep in ["libc6", "open-kiosk-terminal", "libinput", "libudev", "libxkbcommon"] {
        assert!(c["Depends"].contains(dep), "Depends {} has {dep}", c["Depends"]);
    }
    let files = check_files(
        deb,
        &[
            ("/usr/bin/kiosk-ui", BIN),
            ("/usr/lib/systemd/system/kiosk-ui.service", DOC),
            ("/usr/share/kiosk/knowledge/antifraud-phone.png", DOC),
            ("/usr/share/doc/open-kiosk-ui/fonts/OFL.txt", DOC),
            ("/usr/share/doc/open-kiosk-ui/copyright", DOC),
        ],
    );
    assert!(!files.keys().any(|p| p.contains("kioskd") || p.starts_with("/etc/")), "no terminal files, no configuration");
    let dir = scratch(&format!("ui-{arch}"));
    output(Command::new("dpkg-deb").arg("-e").arg(deb).arg(dir.join("DEBIAN")));
    check_scripts(
        &dir.join("DEBIAN"),
        &[
            ("postinst", &["configure)", "usermod --append --groups", "video render input", "systemctl --system daemon-reload", "deb-systemd-helper enable", "kiosk-ui.service"]),
            ("prerm", &["deb-systemd-invoke stop kiosk-ui.service"]),
            ("postrm", &["purge)", "deb-systemd-helper purge kiosk-ui.service"]),
        ],
    );
    output(Command::new("dpkg-deb").arg("-x").arg(deb).arg(dir.join("root")));
    assert_eq!(elf_machine(&dir.join("root/usr/bin/kiosk-ui")), if arch == "arm64" { 183 } else { 62 });
    let _ = std::fs::remove_dir_all(&dir);
}

fn host_arch() -> String {
    output(Command::new("dpkg").arg("--print-architecture")).trim().to_string()
}

#[test]
fn the_host_packages_hold_what_a_terminal_and_a_platform_need() {
    let Some((terminal, platform)) = packages(&host_arch()) else { return };
    check_terminal(&terminal, &host_arch());
    check_platform(&platform, &host_arch());
    match find("open-kiosk-ui", &host_arch()) {
        Some(ui) => check_ui(&ui, &host_arch()),
        None => assert!(std::env::var_os("CI").is_none(), "no open-kiosk-ui package in {}", deb_dir().display()),
    }
}

#[test]
fn the_arm64_packages_hold_aarch64_binaries() {
    let Some((terminal, platform)) = packages("arm64") else { return };
    check_terminal(&terminal, "arm64");
    check_platform(&platform, "arm64");
}

/// The UI unit connects where kioskd listens by default, runs as the kiosk user with the display
/// and input groups, after kioskd.
#[test]
fn the_ui_unit_matches_the_daemon() {
    let unit = std::fs::read_to_string(repo().join("deploy/systemd/kiosk-ui.service")).unwrap();
    let socket = kioskd::config::Config::default().api.socket;
    assert!(unit.contains(&format!("ExecStart=/usr/bin/kiosk-ui --socket {}", socket.display())), "{unit}");
    for line in ["After=kioskd.service", "Wants=kioskd.service", "Restart=on-failure", "User=kiosk", "Environment=SLINT_BACKEND=linuxkms"] {
        assert!(unit.lines().any(|l| l.starts_with(line)), "kiosk-ui.service lacks {line}");
    }
    let groups = unit.lines().find(|l| l.starts_with("SupplementaryGroups=")).unwrap();
    for g in ["video", "input", "render"] {
        assert!(groups.split(['=', ' ']).any(|x| x == g), "{groups} lacks {g}");
    }
    // The units parse (when systemd's analyzer is there; it cannot see the binaries, so only
    // syntax errors count).
    if Command::new("systemd-analyze").arg("--version").output().is_ok_and(|o| o.status.success()) {
        for u in ["kioskd.service", "kiosk-platform.service", "kiosk-ui.service"] {
            let o = Command::new("systemd-analyze").args(["verify", "--man=no"]).arg(repo().join("deploy/systemd").join(u)).output().unwrap();
            let err = String::from_utf8_lossy(&o.stderr);
            for line in err.lines() {
                let harmless = line.contains("is not executable") || line.contains("No such file") || line.contains("Command ") || line.contains("Failed to") || line.contains("ReadWritePaths") || line.contains(".target");
                assert!(harmless, "{u}: {line}");
            }
        }
    }
}
