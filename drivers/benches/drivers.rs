//! Driver benchmarks, each reported as a ratio against a baseline measured in the same run.
//!
//! - card read, from placement to parsed card, through the simulator on a real pty paced at
//!   115200 baud; baselines: the computed wire time of the same exchange, and a measured raw
//!   paced transfer of the same bytes over the same kind of pty (the floor for any driver).
//! - frame decoding throughput; baseline: the XOR checksum alone over the same bytes.
//! - receipt encoding (a typical service receipt to ESC/POS bytes); baseline: GB18030-encoding
//!   the same text with encoding_rs, the irreducible part of the work.
//!
//! Output is a Markdown table on stdout (`cargo xtask bench --out FILE` saves it).

use std::hint::black_box;
use std::time::{Duration, Instant};

use kiosk_drivers::idcard::proto::{checksum, Decoder, ReadBlocks, Response, Sw3, PHOTO_LEN, TEXT_LEN};
use kiosk_drivers::idcard::{CardJson, IdCardSim, Reader, SimOptions};
use kiosk_drivers::printer::receipt::{PaperWidth, Receipt};
use kiosk_drivers::serial::{wire_time, PtyLink, SerialLink};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn fmt(d: Duration) -> String {
    if d >= Duration::from_millis(1) {
        format!("{:.2} ms", d.as_secs_f64() * 1e3)
    } else {
        format!("{:.2} µs", d.as_secs_f64() * 1e6)
    }
}

struct Row {
    name: &'static str,
    value: Duration,
    baseline_name: &'static str,
    baseline: Duration,
}

fn card() -> CardJson {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../assets/demo/card-resident.json"))
        .expect("demo card");
    serde_json::from_str(&text).expect("demo card parses")
}

fn card_read(rows: &mut Vec<Row>) {
    const BAUD: u32 = 115_200;
    const RUNS: usize = 25;
    let dir = std::env::temp_dir().join(format!("kiosk-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let link = dir.join("idcard");
    let sim = IdCardSim::spawn(&link, SimOptions { pace_baud: Some(BAUD), ..SimOptions::default() }).unwrap();
    let mut reader = Reader::open(&link, BAUD);
    let card = card();
    // Warm up: open the port.
    sim.place(card.clone()).unwrap();
    reader.read_card(false).unwrap();

    let mut times = Vec::with_capacity(RUNS);
    let mut bytes = 0;
    for _ in 0..RUNS {
        sim.place(card.clone()).unwrap();
        let before = reader.stats().bytes_sent + reader.stats().bytes_received;
        let t = Instant::now();
        let parsed = reader.read_card(false).unwrap();
        times.push(t.elapsed());
        black_box(parsed);
        bytes = (reader.stats().bytes_sent + reader.stats().bytes_received - before) as usize;
    }
    let read = median(times);
    drop(sim);

    // Measured floor: the same number of bytes, paced the same way, over a fresh pty, read by
    // the same serial layer.
    let mut pty = PtyLink::create(&link).unwrap();
    let mut host = SerialLink::new(&link, BAUD);
    host.drain_input().unwrap();
    let payload = vec![0x55u8; bytes];
    let mut raw_times = Vec::new();
    let mut buf = vec![0u8; 4096];
    for _ in 0..RUNS {
        let t = Instant::now();
        pty.write_paced(&payload, Some(BAUD)).unwrap();
        let mut got = 0;
        while got < bytes {
            got += host.read_some(&mut buf, Instant::now() + Duration::from_secs(2)).unwrap();
        }
        raw_times.push(t.elapsed());
    }
    drop(pty);
    let _ = std::fs::remove_dir_all(&dir);

    rows.push(Row { name: "card read (find+select+read, 115200 baud)", value: read, baseline_name: "computed wire time of the same bytes", baseline: wire_time(bytes, BAUD) });
    rows.push(Row { name: "card read (find+select+read, 115200 baud)", value: read, baseline_name: "measured paced pty transfer of the same bytes", baseline: median(raw_times) });
}

fn decode_throughput(rows: &mut Vec<Row>) {
    let blocks = ReadBlocks { text: [0x20; TEXT_LEN], photo: vec![0x5A; PHOTO_LEN], fingerprint: None };
    let frame = Response::new(Sw3::Ok, blocks.encode(false)).encode();
    let stream: Vec<u8> = frame.iter().copied().cycle().take(frame.len() * 800).collect();
    let mut decode_times = Vec::new();
    let mut base_times = Vec::new();
    for _ in 0..15 {
        let t = Instant::now();
        let mut d = Decoder::new();
        let mut frames = 0;
        for chunk in stream.chunks(512) {
            d.push(chunk);
            while let Ok(Some(f)) = d.decode() {
                frames += 1;
                black_box(&f);
            }
        }
        assert_eq!(frames, 800);
        decode_times.push(t.elapsed());
        let t = Instant::now();
        let mut x = 0u8;
        for f in stream.chunks(frame.len()) {
            x ^= checksum(black_box(&f[5..f.len() - 1]));
        }
        black_box(x);
        base_times.push(t.elapsed());
    }
    rows.push(Row {
        name: "decode 800 read replies (1 MiB)",
        value: median(decode_times),
        baseline_name: "xor checksum over the same bytes",
        baseline: median(base_times),
    });
}

fn sample_receipt(width: PaperWidth) -> Receipt {
    Receipt::new(width)
        .title("城乡居民养老保险待遇资格认证")
        .center("粤智助政府服务自助机")
        .separator()
        .kv("办理事项", "城乡居民养老保险待遇资格认证")
        .kv("事项编码", "11440000MB2C92658X4442111015000")
        .kv("申请人", "张*")
        .kv("身份证号", "441882********0022")
        .kv("办理时间", "2026-12-04 10:32:18")
        .kv("办理结果", "认证成功")
        .kv("业务流水号", "0193a4f2-7c1e-7b3a-9f00-1c2d3e4f5a6b")
        .separator()
        .line("温馨提示：本次认证有效期为12个月，请于明年同期前再次认证。如有疑问请拨打12345政务服务便民热线。")
        .qr("https://example.invalid/r/0193a4f2-7c1e-7b3a-9f00-1c2d3e4f5a6b")
        .center("请为本次服务评价：非常满意 满意 基本满意 不满意 非常不满意")
        .feed(2)
}

fn receipt_encoding(rows: &mut Vec<Row>) {
    for (width, name) in [(PaperWidth::Mm58, "encode a service receipt, 58 mm"), (PaperWidth::Mm80, "encode a service receipt, 80 mm")] {
        let receipt = sample_receipt(width);
        let text = receipt.lines().join("\n");
        let mut enc_times = Vec::new();
        let mut base_times = Vec::new();
        for _ in 0..31 {
            let t = Instant::now();
            for _ in 0..100 {
                black_box(receipt.encode().unwrap());
            }
            enc_times.push(t.elapsed() / 100);
            let t = Instant::now();
            for _ in 0..100 {
                black_box(encoding_rs::GB18030.encode(black_box(&text)));
            }
            base_times.push(t.elapsed() / 100);
        }
        rows.push(Row { name, value: median(enc_times), baseline_name: "GB18030-encode the same text", baseline: median(base_times) });
    }
}

fn main() {
    // `cargo test --benches` passes flags; this harness only benchmarks under `cargo bench`.
    if std::env::args().any(|a| a == "--test" || a == "--list") {
        return;
    }
    let mut rows = Vec::new();
    card_read(&mut rows);
    decode_throughput(&mut rows);
    receipt_encoding(&mut rows);
    println!("## kiosk-drivers benchmarks\n");
    println!("| benchmark | median | baseline | baseline median | ratio |");
    println!("|---|---|---|---|---|");
    for r in rows {
        let ratio = r.value.as_secs_f64() / r.baseline.as_secs_f64().max(1e-12);
        println!("| {} | {} | {} | {} | {:.2}× |", r.name, fmt(r.value), r.baseline_name, fmt(r.baseline), ratio);
    }
}
