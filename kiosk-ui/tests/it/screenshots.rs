//! `kiosk-ui --screenshots DIR` renders every screen in every variant, for real: the binary
//! starts its own demo terminal and walks a visit. The pictures land in `target/screenshots`.

use std::path::PathBuf;

const SCREENS: &[&str] = &[
    "attract", "knowledge", "article", "card-error", "home", "search", "search-results", "items", "guide", "form", "form-keypad",
    "form-pinyin", "confirm", "printing-held", "rating", "rating-chosen", "complaint", "countdown", "goodbye", "pin", "maintenance",
    "fault", "out-of-service", "closed",
];

#[test]
fn every_screen_in_every_variant() {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target/screenshots"));
    let _ = std::fs::remove_dir_all(&dir);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kiosk-ui"))
        .arg("--screenshots")
        .arg(&dir)
        .env("KIOSKD_BIN", crate::util::kioskd())
        .output()
        .expect("running kiosk-ui --screenshots");
    assert!(out.status.success(), "kiosk-ui --screenshots failed: {}", String::from_utf8_lossy(&out.stderr));
    for screen in SCREENS {
        for lang in ["zh", "en"] {
            for mode in ["normal", "elderly"] {
                for (orientation, (w, h)) in [("portrait", (1080, 1920)), ("landscape", (1920, 1080))] {
                    let path = dir.join(format!("{screen}-{lang}-{mode}-{orientation}.png"));
                    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                    let decoder = png::Decoder::new(std::io::BufReader::new(file));
                    let reader = decoder.read_info().unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                    let info = reader.info();
                    assert_eq!((info.width, info.height), (w, h), "{}", path.display());
                }
            }
        }
    }
    let receipts = std::fs::read_dir(dir.join("terminal/receipts")).map(|d| d.count()).unwrap_or(0);
    assert!(receipts > 0, "the walk printed its receipt");
}
