//! The real `kiosk-platform` binary: `serve` and the `admin` commands.

use std::io::BufRead;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

use kiosk_wire::sign::SigningKey;

use crate::util::*;

const BIN: &str = env!("CARGO_BIN_EXE_kiosk-platform");

struct Served {
    child: Child,
    url: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Serves from `dir`: a SQLite file there, or the PostgreSQL database `pg` with the key files
/// in the working directory (`dir`), their default with PostgreSQL.
fn serve(dir: &Path, pg: Option<&PgDb>) -> Served {
    let db = match pg {
        None => format!("sqlite://{}", dir.join("p.db").display()),
        Some(pg) => pg.url(),
    };
    let mut child = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--db", &db])
        .current_dir(dir)
        .env("KIOSK_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line.trim().strip_prefix("listening on ").expect("the listen address on stdout").to_string();
    Served { child, url }
}

fn admin(s: &Served, dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN).args(["admin", "--url", &s.url, "--token-file"]).arg(dir.join("admin-token")).args(args).output().unwrap()
}

fn stdout(o: &Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn the_admin_commands_drive_a_real_server(db: Backend) {
    let dir = fresh_dir("cli");
    let pg = (db == Backend::Postgres).then(|| PgDb::create("cli"));
    let s = serve(&dir, pg.as_ref());
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(dir.join("admin-token")).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600, "the generated admin token is private");

    let token: serde_json::Value = serde_json::from_str(&stdout(&admin(&s, &dir, &["token", "create", "--prefix", "4418", "--note", "清城区"]))).unwrap();
    let secret = token["token"].as_str().unwrap();
    // A terminal enrols with it (over HTTP, as the agent would).
    let key = SigningKey::from_bytes(&[5; 32]);
    let http = kiosk_platform::client::HttpClient::new(&s.url).unwrap();
    let req = kiosk_wire::EnrolRequest::new(secret, kiosk_wire::sign::public_key_hex(&key.verifying_key()), kiosk_wire::Site { name: "大塘村".into(), division_code: DIVISION.into() }, "0.1.0");
    let id = http.request("POST", "/api/v1/enrol", &[], &serde_json::to_vec(&req).unwrap()).unwrap().json()["terminal_id"].as_str().unwrap().to_string();

    let list = stdout(&admin(&s, &dir, &["terminals", "list"]));
    assert!(list.contains(&id) && list.contains("pending") && list.contains("offline"), "{list}");
    stdout(&admin(&s, &dir, &["terminals", "approve", &id]));
    assert!(stdout(&admin(&s, &dir, &["terminals", "list", "--status", "approved"])).contains(&id));
    let again = admin(&s, &dir, &["terminals", "approve", &id]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("409 bad_transition"));

    let file = dir.join("catalogue.json");
    std::fs::write(&file, SAMPLE_CATALOGUE).unwrap();
    assert!(stdout(&admin(&s, &dir, &["catalogue", "publish", file.to_str().unwrap()])).contains("2026.12.01.1"));
    let paused = stdout(&admin(&s, &dir, &["item", "pause", "11440000009511114X4442182945000", "--notice", "暂停办理", "--from", "2099-12-20T08:00:00+08:00", "--until", "2099-12-20T18:00:00+08:00"]));
    assert!(paused.contains("\"version\""), "{paused}");
    stdout(&admin(&s, &dir, &["item", "resume", "11440000009511114X4442182945000"]));
    let key_json = stdout(&admin(&s, &dir, &["platform-key"]));
    assert!(key_json.contains("\"public_key\""));
    let export = stdout(&admin(&s, &dir, &["export", "transactions", "--format", "csv"]));
    assert!(export.starts_with("seq,key,"));
    stdout(&admin(&s, &dir, &["terminals", "relocate", &id, "--name", "新村委", "--division", "441802100202"]));
    stdout(&admin(&s, &dir, &["terminals", "decommission", &id, "--reason", "报废"]));
    assert!(stdout(&admin(&s, &dir, &["terminals", "list"])).contains("decommissioned"));

    // A wrong token is refused.
    std::fs::write(dir.join("wrong-token"), "x".repeat(64)).unwrap();
    let o = Command::new(BIN).args(["admin", "--url", &s.url, "--token-file"]).arg(dir.join("wrong-token")).args(["token", "list"]).output().unwrap();
    assert!(!o.status.success() && String::from_utf8_lossy(&o.stderr).contains("401 unauthorized"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn unreachable_postgres_and_unknown_schemes_fail_clearly() {
    let dir = fresh_dir("pg");
    // Nothing listens on port 1.
    let o = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--db", "postgres://kiosk@127.0.0.1:1/kiosk?connect_timeout=5", "--admin-token-file"])
        .arg(dir.join("t"))
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("database") && !err.contains("panicked"), "{err}");
    let o = Command::new(BIN).args(["serve", "--listen", "127.0.0.1:0", "--db", "mysql://x"]).output().unwrap();
    assert!(!o.status.success());
    let _ = std::fs::remove_dir_all(&dir);
}

crate::both!(the_admin_commands_drive_a_real_server);
