//! The operations page in a real browser: Debian's headless Chromium driven over WebDriver
//! (chromedriver) signs in with the admin token and sees the fleet.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use kiosk_platform::client::HttpClient;
use serde_json::{json, Value};

use crate::util::{self, Backend, Platform, T0};

struct Driver {
    child: Child,
    http: HttpClient,
    session: String,
}

impl Driver {
    fn start() -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (Debian package chromium-driver; `cargo xtask test` installs it)");
        let http = HttpClient::new(&format!("http://127.0.0.1:{port}")).unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while http.get("/status", &[]).map(|r| r.status != 200).unwrap_or(true) {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        let profile = std::env::temp_dir().join(format!("kiosk-chromium-{}-{port}", std::process::id()));
        let caps = json!({ "capabilities": { "alwaysMatch": { "browserName": "chrome", "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--disable-dev-shm-usage", format!("--user-data-dir={}", profile.display())]
        } } } });
        let r = http.request("POST", "/session", &[("content-type", "application/json".into())], caps.to_string().as_bytes()).unwrap();
        let v: Value = r.json();
        let session = v["value"]["sessionId"].as_str().unwrap_or_else(|| panic!("no session: {v}")).to_string();
        Driver { child, http, session }
    }

    fn call(&self, method: &str, path: &str, body: Value) -> Value {
        let path = format!("/session/{}{path}", self.session);
        let r = self.http.request(method, &path, &[("content-type", "application/json".into())], body.to_string().as_bytes()).unwrap();
        r.json()["value"].clone()
    }

    fn element(&self, css: &str) -> String {
        let v = self.call("POST", "/element", json!({ "using": "css selector", "value": css }));
        v.as_object().and_then(|o| o.values().next()).and_then(|e| e.as_str()).unwrap_or_else(|| panic!("no element {css}: {v}")).to_string()
    }

    fn source(&self) -> String {
        self.call("GET", "/source", json!({})).as_str().unwrap_or("").to_string()
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.http.request("DELETE", &format!("/session/{}", self.session), &[], b"");
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn the_operations_page_shows_the_fleet_in_a_real_browser() {
    let p = Platform::start(Backend::Sqlite, "browser");
    let t = p.terminal(9, true);
    t.post_json("/api/v1/heartbeat", &util::heartbeat(&t.terminal_id, T0, 3)).unwrap().ok().unwrap();
    let browser = Driver::start();
    browser.call("POST", "/url", json!({ "url": format!("{}/", p.url) }));
    let input = browser.element("#token");
    browser.call("POST", &format!("/element/{input}/value"), json!({ "text": p.admin_token() }));
    let form = browser.element("#login-form button, #login-form input[type=submit]");
    browser.call("POST", &format!("/element/{form}/click"), json!({}));
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let html = browser.source();
        if html.contains(&t.terminal_id) {
            assert!(html.contains("大塘村") || html.contains("online") || html.contains("在线"), "the row shows the site or state");
            break;
        }
        assert!(Instant::now() < deadline, "the terminal never appeared on the page: {}", html.chars().take(2000).collect::<String>());
        std::thread::sleep(Duration::from_millis(200));
    }
}
