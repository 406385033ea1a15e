//! The receipt printer end to end: the real [`Printer`] driver on a real pseudo-terminal talking
//! to the real [`PrinterSim`] (or to a scripted stand-in printer), receipts checked on disk.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use kiosk_drivers::printer::decode::{Decoder, Event};
use kiosk_drivers::printer::receipt::test_page;
use kiosk_drivers::printer::sim::{Control, PrinterSim, PrinterSimHandle, SimConfig};
use kiosk_drivers::printer::{Paper, PaperWidth, Printer, PrinterError, PrinterStatus, Receipt};
use kiosk_drivers::serial::PtyLink;

/// A fresh directory under the system temp dir, removed again on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
        let dir = std::env::temp_dir().join(format!("kiosk-it-printer-{name}-{}-{n}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }

    fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Status timeout for talking to the simulator: generous, so a loaded test machine cannot turn
/// scheduling delays into failures (these tests assert behaviour, not latency).
const PATIENT: Duration = Duration::from_secs(10);

/// A driver for the printer at `link`.
fn open_printer(link: &Path) -> Printer {
    let mut printer = Printer::open(link, 115_200);
    printer.set_status_timeout(PATIENT);
    printer
}

/// Starts a simulator publishing `dir/printer` and writing receipts to `dir/out`.
fn start_sim(dir: &TempDir, width: PaperWidth) -> PrinterSimHandle {
    PrinterSim::spawn(&dir.join("printer"), SimConfig::new(width, dir.join("out"))).expect("start printer simulator")
}

/// Sorted names of the files in `dir`.
fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = match std::fs::read_dir(dir) {
        Ok(entries) => entries.map(|e| e.unwrap().file_name().into_string().unwrap()).collect(),
        Err(_) => Vec::new(),
    };
    names.sort();
    names
}

/// Decodes a PNG file: (width, height, 8-bit grey pixels).
fn read_png(path: &Path) -> (u32, u32, Vec<u8>) {
    let bytes = std::fs::read(path).unwrap();
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "PNG signature of {}", path.display());
    let mut decoder = png::Decoder::new(bytes.as_slice());
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut pixels).unwrap();
    assert_eq!(info.color_type, png::ColorType::Grayscale);
    assert_eq!(info.bit_depth, png::BitDepth::Eight);
    pixels.truncate(info.buffer_size());
    (info.width, info.height, pixels)
}

#[test]
fn status_follows_every_simulated_state() {
    let dir = TempDir::new("status");
    let sim = start_sim(&dir, PaperWidth::Mm58);
    let mut printer = open_printer(sim.link());

    assert_eq!(printer.status().unwrap(), PrinterStatus::READY);

    sim.control(Control::Paper(Paper::NearEnd));
    let s = printer.status().unwrap();
    assert_eq!(s, PrinterStatus { paper: Paper::NearEnd, ..PrinterStatus::READY });
    assert!(s.can_print());
    assert_eq!(s.warning(), Some("paper near end"));

    sim.control(Control::Paper(Paper::Out));
    let s = printer.status().unwrap();
    assert_eq!(s, PrinterStatus { paper: Paper::Out, online: false, ..PrinterStatus::READY });
    assert_eq!(s.problem(), Some("paper out"));

    sim.control(Control::Paper(Paper::Ok));
    sim.control(Control::Cover(true));
    let s = printer.status().unwrap();
    assert_eq!(s, PrinterStatus { cover_open: true, online: false, ..PrinterStatus::READY });
    assert_eq!(s.problem(), Some("cover open"));
    let json = serde_json::to_value(s).unwrap();
    assert_eq!(json["cover_open"], true);
    assert_eq!(json["paper"], "ok");

    sim.control(Control::Cover(false));
    assert_eq!(printer.status().unwrap(), PrinterStatus::READY);
    assert_eq!(sim.receipts(), 0);
}

#[test]
fn a_receipt_comes_out_as_text_and_png() {
    for width in [PaperWidth::Mm58, PaperWidth::Mm80] {
        let dir = TempDir::new("receipt");
        let sim = start_sim(&dir, width);
        let mut printer = open_printer(sim.link());
        let receipt = Receipt::new(width)
            .title("办理回执")
            .kv("姓名", "张三")
            .kv("事项", "居民身份证换领")
            .kv("金额", "¥40.00")
            .separator()
            .line("请凭本回执于7个工作日后到窗口领取证件。Please keep this receipt.")
            .qr("https://example.invalid/case/20240101-0001");
        printer.print(&receipt).unwrap();

        // The simulator answers the status query after the job only once it has saved it.
        assert_eq!(sim.receipts(), 1);
        let out = dir.join("out");
        assert_eq!(files(&out), ["0001.png", "0001.txt"]);
        let text = std::fs::read_to_string(out.join("0001.txt")).unwrap();
        assert_eq!(text.lines().collect::<Vec<_>>(), receipt.lines());
        assert!(text.starts_with("办理回执\n"));
        assert!(text.contains("张三") && text.contains("￥40.00"));
        assert!(text.contains("[QR] https://example.invalid/case/20240101-0001\n"));

        let (w, h, pixels) = read_png(&out.join("0001.png"));
        assert_eq!(w, width.dots());
        assert!(h > 200, "{h}");
        assert_eq!(pixels.len(), (w * h) as usize);
        let black = pixels.iter().filter(|&&p| p == 0).count();
        assert!(black > 1000, "{black} black pixels");
        assert!(pixels.iter().all(|&p| p == 0 || p == 255));
    }
}

#[test]
fn the_test_page_prints_on_a_paced_line() {
    let dir = TempDir::new("test-page");
    // Paced like a real 115200-baud line this time.
    let config = SimConfig { width: PaperWidth::Mm80, out_dir: dir.join("out"), pace_baud: Some(115_200) };
    let sim = PrinterSim::spawn(&dir.join("printer"), config).unwrap();
    let mut printer = open_printer(sim.link());
    let page = test_page(PaperWidth::Mm80);
    printer.print(&page).unwrap();
    let text = std::fs::read_to_string(dir.join("out").join("0001.txt")).unwrap();
    assert_eq!(text, page.lines().join("\n") + "\n");
    assert_eq!(read_png(&dir.join("out").join("0001.png")).0, 576);
}

#[test]
fn a_printer_without_paper_refuses_the_job_and_the_reprint_works() {
    let dir = TempDir::new("paper-out");
    let sim = start_sim(&dir, PaperWidth::Mm58);
    let mut printer = open_printer(sim.link());
    let receipt = Receipt::new(PaperWidth::Mm58).title("排队号").line("A023");

    sim.control(Control::Paper(Paper::Out));
    match printer.print(&receipt) {
        Err(PrinterError::NotReady(s)) => assert_eq!(s.paper, Paper::Out),
        other => panic!("expected NotReady, got {other:?}"),
    }
    // Nothing was sent: a status round trip later there is still no receipt.
    printer.status().unwrap();
    assert_eq!(sim.receipts(), 0);
    assert!(files(&dir.join("out")).is_empty());

    sim.control(Control::Cover(true));
    sim.control(Control::Paper(Paper::Ok));
    let e = printer.print(&receipt).unwrap_err();
    assert_eq!(e.status().map(|s| s.cover_open), Some(true), "{e}");
    assert_eq!(e.to_string(), "printer not ready: cover open");

    sim.control(Control::Cover(false));
    printer.print(&receipt).unwrap();
    assert_eq!(sim.receipts(), 1);
    assert_eq!(files(&dir.join("out")), ["0001.png", "0001.txt"]);
    assert_eq!(std::fs::read_to_string(dir.join("out").join("0001.txt")).unwrap(), "排队号\nA023\n");

    // Near end still prints.
    sim.control(Control::Paper(Paper::NearEnd));
    printer.print(&receipt).unwrap();
    assert_eq!(sim.receipts(), 2);
}

#[test]
fn unplugging_fails_with_a_disconnect_and_a_new_device_on_the_same_path_works() {
    let dir = TempDir::new("replug");
    let sim = start_sim(&dir, PaperWidth::Mm58);
    let link = sim.link().to_path_buf();
    let mut printer = open_printer(&link);
    printer.print(&Receipt::new(PaperWidth::Mm58).line("第一张")).unwrap();

    drop(sim);
    let e = printer.status().unwrap_err();
    assert!(e.is_disconnect(), "{e}");
    let e = printer.print(&Receipt::new(PaperWidth::Mm58).line("lost")).unwrap_err();
    assert!(e.is_disconnect(), "{e}");

    // The replacement publishes the same path (a udev symlink after a replug) and keeps
    // numbering after the receipts already in the directory.
    let sim = start_sim(&dir, PaperWidth::Mm58);
    assert_eq!(sim.link(), link);
    assert_eq!(printer.status().unwrap(), PrinterStatus::READY);
    printer.print(&Receipt::new(PaperWidth::Mm58).line("第二张")).unwrap();
    assert_eq!(files(&dir.join("out")), ["0001.png", "0001.txt", "0002.png", "0002.txt"]);
    assert_eq!(std::fs::read_to_string(dir.join("out").join("0002.txt")).unwrap(), "第二张\n");
    sim.stop();
    assert!(!link.exists(), "the link goes with the simulator");
}

#[test]
fn garbage_on_the_line_does_not_stop_status_answers() {
    let dir = TempDir::new("garbage");
    let sim = start_sim(&dir, PaperWidth::Mm58);
    let mut printer = open_printer(sim.link());
    // Pseudo-random bytes without DLE, ending in an unfinished command that would swallow
    // what follows: real-time status requests must still be answered.
    let mut x = 0x2545_F491_4F6C_DD1Du64;
    let mut garbage: Vec<u8> = (0..20_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            match (x >> 24) as u8 {
                0x10 => 0x11,
                b => b,
            }
        })
        .collect();
    garbage.extend_from_slice(&[0x1D, b'(', b'k', 0xFF, 0xFF]);
    printer.print_bytes(&garbage).unwrap();
    assert_eq!(printer.status().unwrap(), PrinterStatus::READY);
}

/// A scripted stand-in printer on a pty: answers status request `n` with
/// `answer(n, cuts_seen)` (no answer for `None`).
struct FakePrinter {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl FakePrinter {
    fn start(link: &Path, answer: impl Fn(u8, usize) -> Option<u8> + Send + 'static) -> FakePrinter {
        let mut pty = PtyLink::create(link).expect("create pty");
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let mut decoder = Decoder::new();
                let mut cuts = 0;
                let mut buf = [0u8; 1024];
                while !stop.load(Ordering::Relaxed) {
                    let n = pty.read_some(&mut buf).unwrap_or(0);
                    decoder.push(&buf[..n]);
                    while let Some(event) = decoder.next_event() {
                        match event {
                            Event::Cut { .. } => cuts += 1,
                            Event::StatusRequest(n) => {
                                if let Some(byte) = answer(n, cuts) {
                                    pty.write_paced(&[byte], None).unwrap();
                                }
                            }
                            _ => {}
                        }
                    }
                }
            })
        };
        FakePrinter { stop, thread: Some(thread) }
    }
}

impl Drop for FakePrinter {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[test]
fn a_printer_that_runs_out_of_paper_during_the_job_is_reported() {
    let dir = TempDir::new("mid-job");
    let link = dir.join("printer");
    let out = PrinterStatus { paper: Paper::Out, online: false, ..PrinterStatus::READY };
    let _fake =
        FakePrinter::start(&link, move |n, cuts| if cuts == 0 { PrinterStatus::READY.reply(n) } else { out.reply(n) });
    let mut printer = open_printer(&link);
    match printer.print(&Receipt::new(PaperWidth::Mm58).line("x")) {
        Err(PrinterError::NotReady(s)) => assert_eq!(s, out),
        other => panic!("expected NotReady after the job, got {other:?}"),
    }
}

#[test]
fn a_silent_printer_times_out_and_a_babbling_one_is_rejected() {
    let dir = TempDir::new("silent");
    let silent = dir.join("silent");
    let _fake = FakePrinter::start(&silent, |_, _| None);
    let mut printer = Printer::open(&silent, 115_200);
    printer.set_status_timeout(Duration::from_millis(100));
    assert!(matches!(printer.status(), Err(PrinterError::Timeout)));

    let babbling = dir.join("babbling");
    let _fake2 = FakePrinter::start(&babbling, |_, _| Some(0xFF));
    let mut printer = open_printer(&babbling);
    match printer.status() {
        Err(PrinterError::BadStatus(e)) => {
            assert_eq!(e.to_string(), "reply 0xff to status request 1 is not a status byte")
        }
        other => panic!("expected BadStatus, got {other:?}"),
    }
    // Nothing is printed on a printer whose state is unknown.
    assert!(matches!(printer.print(&Receipt::new(PaperWidth::Mm58).line("x")), Err(PrinterError::BadStatus(_))));
}
