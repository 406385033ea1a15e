//! kiosk-ui benchmarks, each against a baseline measured in the same run:
//!
//! - memory (PSS) of a UI process showing the home screen, against the same home screen as an
//!   HTML page in headless Chromium (Debian's package; PSS summed over all its processes), and
//!   against a blank Slint window;
//! - start to first frame of the home screen (process spawn to the frame rendered, with a live
//!   kioskd), against a blank Slint window's;
//! - a full redraw of the home screen at 1080×1920, against writing every pixel of the buffer
//!   once.
//!
//! The UI processes are this bench binary re-run as a child (`--child home|blank`), on the
//! headless software-renderer platform the terminal's renderer shares. `cargo bench -p kiosk-ui`
//! needs the `kioskd` binary (built by `cargo build -p kioskd`).

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use kiosk_ui::demo::{DemoSettings, DemoTerminal};
use kiosk_ui::{headless, Lang, Options, Screen, Ui};
use slint::ComponentHandle;

slint::slint! {
    export component Blank inherits Window {
        Text { text: "粤智助"; font-size: 40px; }
    }
}

struct Row {
    name: &'static str,
    value: f64,
    unit: &'static str,
    baseline_name: String,
    baseline: f64,
}

const W: u32 = 1080;
const H: u32 = 1920;

/// Child mode: show the screen, report, then idle until stdin closes.
fn child(kind: &str, socket: Option<&str>) {
    let window = headless::install().expect("headless platform");
    let _keep: Box<dyn std::any::Any> = match kind {
        "home" => {
            let ui = Ui::new(Options { socket: PathBuf::from(socket.expect("socket")), lang: Lang::Zh, demo: None, pictures: None }).expect("ui");
            ui.window.show().expect("show");
            let _ = headless::render(&window, W, H);
            assert!(ui.wait_until(Duration::from_secs(30), |ui| ui.screen() == Screen::Home && slint::Model::row_count(&ui.window.get_tiles()) > 0), "no home screen");
            let _ = headless::render(&window, W, H);
            ui.render();
            let frame = headless::render(&window, W, H);
            assert!(frame.has_ink());
            Box::new(ui)
        }
        _ => {
            let blank = Blank::new().expect("blank");
            blank.show().expect("show");
            let frame = headless::render(&window, W, H);
            assert!(frame.has_ink());
            Box::new(blank)
        }
    };
    println!("ready");
    let _ = std::io::stdout().flush();
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
}

fn spawn_child(kind: &str, socket: Option<&Path>) -> (Child, Duration) {
    let exe = std::env::current_exe().expect("current exe");
    let mut cmd = Command::new(exe);
    cmd.arg("--child").arg(kind);
    if let Some(s) = socket {
        cmd.arg(s);
    }
    let started = Instant::now();
    let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn().expect("spawn child");
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    out.read_line(&mut line).expect("child output");
    assert_eq!(line.trim(), "ready", "child {kind} failed");
    (child, started.elapsed())
}

fn field_kib(text: &str, name: &str) -> f64 {
    text.lines().find(|l| l.starts_with(name)).and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse().ok()).unwrap_or(0.0)
}

fn pss_mib(pid: u32) -> f64 {
    field_kib(&std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default(), "Pss:") / 1024.0
}

/// Every process whose parent chain reaches `root` (and `root` itself).
fn process_tree(root: u32) -> Vec<u32> {
    let mut parents = Vec::new();
    for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else { continue };
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        // The parent is the second field after the parenthesised command name.
        let ppid = stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().nth(1)).and_then(|p| p.parse::<u32>().ok());
        if let Some(ppid) = ppid {
            parents.push((pid, ppid));
        }
    }
    let mut tree = vec![root];
    let mut i = 0;
    while i < tree.len() {
        let p = tree[i];
        tree.extend(parents.iter().filter(|(_, pp)| *pp == p).map(|(c, _)| *c));
        i += 1;
    }
    tree
}

fn stop(mut child: Child) {
    drop(child.stdin.take());
    let _ = child.wait();
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The home screen as a web page, from the same categories, with the same font.
fn home_html(categories: &serde_json::Value) -> String {
    let fonts = concat!(env!("CARGO_MANIFEST_DIR"), "/../assets/fonts/ui");
    let mut tiles = String::new();
    for c in categories["categories"].as_array().into_iter().flatten() {
        tiles.push_str(&format!(
            "<button class=tile><b>{}</b><span>{} 项</span></button>",
            c["name"].as_str().unwrap_or(""),
            c["items"].as_u64().unwrap_or(0)
        ));
    }
    tiles.push_str("<button class=tile><b>政策知识</b><span>防骗提醒、政策解读</span></button>");
    format!(
        r#"<!doctype html><html lang=zh-CN><meta charset=utf-8><title>粤智助</title><style>
@font-face {{ font-family: "Noto Sans SC"; font-weight: 400; src: url("file://{fonts}/NotoSansSC-Regular.otf"); }}
@font-face {{ font-family: "Noto Sans SC"; font-weight: 700; src: url("file://{fonts}/NotoSansSC-Bold.otf"); }}
body {{ margin: 0; width: 1080px; height: 1920px; background: #f3f6fa; font: 30px "Noto Sans SC"; color: #1c2430; display: flex; flex-direction: column; }}
header {{ background: #0d47a1; color: #fff; display: flex; align-items: center; padding: 18px; gap: 16px; min-height: 94px; }}
header div {{ flex: 1; }} header small {{ display: block; font-size: 19px; color: #d6e4ff; }} header h1 {{ margin: 0; font-size: 44px; }}
button {{ font: 700 30px "Noto Sans SC"; border-radius: 16px; min-height: 96px; min-width: 160px; background: #fff; color: #1565c0; border: 2px solid #1565c0; }}
.banner {{ background: #fff3cd; padding: 10px 20px; font-size: 24px; }}
main {{ flex: 1; padding: 30px; display: flex; flex-direction: column; gap: 24px; }}
.search {{ border: 3px solid #1565c0; border-radius: 16px; background: #fff; padding: 28px 24px; color: #5a6472; }}
.grid {{ display: grid; grid-template-columns: repeat(3, 1fr); gap: 20px; }}
.tile {{ min-height: 150px; display: flex; flex-direction: column; align-items: center; justify-content: center; color: #1c2430; }}
.tile b {{ font-size: 37px; }} .tile span {{ font-size: 24px; color: #5a6472; font-weight: 400; }}
footer {{ padding: 24px; display: flex; }} footer button {{ flex: 1; background: #c62828; color: #fff; border: 0; }}
</style><header><div><small>连州市西岸镇冲口村 粤智助自助机（演示）</small><h1>请选择要办理的事项</h1></div><button>长者模式</button><button>English</button></header>
<div class=banner>网络暂时中断：标有“需要联网”的事项暂不能办理，其他事项照常办理，资料会在联网后自动上传。</div>
<main><div>您好，张*</div><div class=search>搜索：输入拼音首字母（如 ylj）或关键词</div><div class=grid>{tiles}</div></main>
<footer><button>结束办理</button></footer></html>"#
    )
}

fn chromium() -> Option<PathBuf> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"].iter().map(PathBuf::from).find(|p| p.is_file())
}

/// PSS summed over a headless Chromium showing the page, after it has loaded and settled.
fn chromium_pss(page: &Path) -> Option<f64> {
    let bin = chromium()?;
    let profile = std::env::temp_dir().join(format!("kiosk-ui-bench-chromium-{}", std::process::id()));
    let mut child = Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--remote-debugging-port=0",
            "--window-size=1080,1920",
            "--allow-file-access-from-files",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("file://{}", page.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    // Let it load the page and its fonts and settle, then take the largest of a few samples.
    std::thread::sleep(Duration::from_secs(6));
    let mut best = 0.0f64;
    for _ in 0..3 {
        let total: f64 = process_tree(child.id()).into_iter().map(pss_mib).sum();
        best = best.max(total);
        std::thread::sleep(Duration::from_millis(500));
    }
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&profile);
    Some(best)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        child(args.get(i + 1).map(String::as_str).unwrap_or("blank"), args.get(i + 2).map(String::as_str));
        return;
    }
    if args.iter().any(|a| a == "--test" || a == "--list") {
        return;
    }
    let dir = std::env::temp_dir().join(format!("kiosk-ui-bench-{}", std::process::id()));
    let terminal = DemoTerminal::start(&dir, &DemoSettings::default()).expect("demo terminal (build kioskd first: cargo build -p kioskd)");
    terminal.control(&format!("{{\"place\": {}}}", kiosk_ui::app::DEMO_CARD.trim()));
    let client = kioskd_client::Client::new(&terminal.socket);
    let deadline = Instant::now() + Duration::from_secs(20);
    while client.get("/v1/session").map(|r| r.body["state"] != "authenticated").unwrap_or(true) {
        assert!(Instant::now() < deadline, "the demo card was not read");
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut rows = Vec::new();

    // Start to first frame, and memory, over several runs each.
    const RUNS: usize = 5;
    let (mut home_t, mut blank_t, mut home_pss, mut blank_pss) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..RUNS {
        let (c, t) = spawn_child("home", Some(&terminal.socket));
        std::thread::sleep(Duration::from_millis(300));
        home_pss.push(pss_mib(c.id()));
        home_t.push(t.as_secs_f64() * 1000.0);
        stop(c);
        let (c, t) = spawn_child("blank", None);
        std::thread::sleep(Duration::from_millis(300));
        blank_pss.push(pss_mib(c.id()));
        blank_t.push(t.as_secs_f64() * 1000.0);
        stop(c);
    }
    let (home_t, blank_t, home_pss, blank_pss) = (median(home_t), median(blank_t), median(home_pss), median(blank_pss));
    rows.push(Row { name: "start to first frame, home screen, live kioskd (1080×1920)", value: home_t, unit: " ms", baseline_name: "blank Slint window, same renderer".into(), baseline: blank_t });

    let categories = client.get("/v1/categories").map(|r| r.body).unwrap_or_default();
    let page = dir.join("home.html");
    std::fs::write(&page, home_html(&categories)).expect("writing the page");
    match chromium_pss(&page) {
        Some(chrome) => rows.push(Row { name: "UI process PSS, home screen", value: home_pss, unit: " MiB", baseline_name: "same home screen as HTML in headless Chromium, PSS over all its processes".into(), baseline: chrome }),
        None => eprintln!("kiosk-ui bench: no /usr/bin/chromium; the Chromium comparison is skipped (cargo xtask setup installs it)"),
    }
    rows.push(Row { name: "UI process PSS, home screen", value: home_pss, unit: " MiB", baseline_name: "blank Slint window process".into(), baseline: blank_pss });

    // Frame time in this process.
    let window = headless::install().expect("headless");
    let ui = Ui::new(Options { socket: terminal.socket.clone(), lang: Lang::Zh, demo: None, pictures: None }).expect("ui");
    ui.window.show().expect("show");
    let _ = headless::render(&window, W, H);
    assert!(ui.wait_until(Duration::from_secs(20), |ui| ui.screen() == Screen::Home && slint::Model::row_count(&ui.window.get_tiles()) > 0));
    ui.render();
    let _ = headless::render(&window, W, H);
    const FRAMES: usize = 30;
    let t = Instant::now();
    for _ in 0..FRAMES {
        let f = headless::render(&window, W, H);
        std::hint::black_box(&f.pixels);
    }
    let frame_ms = t.elapsed().as_secs_f64() * 1000.0 / FRAMES as f64;
    let t = Instant::now();
    for i in 0..FRAMES {
        let v = vec![slint::Rgb8Pixel::new(i as u8, 2, 3); (W * H) as usize];
        std::hint::black_box(&v);
    }
    let fill_ms = t.elapsed().as_secs_f64() * 1000.0 / FRAMES as f64;
    rows.push(Row { name: "home screen full redraw, software renderer, 1080×1920", value: frame_ms, unit: " ms", baseline_name: "writing every pixel of the frame once".into(), baseline: fill_ms });
    drop(ui);
    drop(terminal);
    let _ = std::fs::remove_dir_all(&dir);

    println!("## kiosk-ui benchmarks\n");
    println!("| benchmark | value | baseline | baseline value | ratio |");
    println!("|---|---|---|---|---|");
    for r in rows {
        println!("| {} | {:.1}{} | {} | {:.1}{} | {:.2}× |", r.name, r.value, r.unit, r.baseline_name, r.baseline, r.unit, r.value / r.baseline);
    }
}
