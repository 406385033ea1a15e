//! Shared set-up: one demo terminal (kioskd + simulators) and one window per test.

use std::path::PathBuf;
use std::sync::Once;
use std::time::Duration;

use i_slint_backend_testing::{ElementHandle, ElementRoot};
use kiosk_ui::demo::{DemoSettings, DemoTerminal};
use kiosk_ui::{Lang, Options, Screen, Ui};
use slint::ComponentHandle;

pub const CARD_NAME: &str = "张秀英";
pub const CARD_ID: &str = "441882195103070022";

/// The `kioskd` binary, built when missing.
pub fn kioskd() -> PathBuf {
    ensure_kioskd();
    kiosk_ui::demo::kioskd_binary()
}

/// Makes sure the `kioskd` binary exists next to the test binaries (a plain
/// `cargo test -p kiosk-ui` does not build other packages' binaries).
fn ensure_kioskd() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let bin = kiosk_ui::demo::kioskd_binary();
        if !bin.is_file() {
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            let status = std::process::Command::new(cargo)
                .args(["build", "-p", "kioskd", "--bin", "kioskd"])
                .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
                .status()
                .expect("running cargo build -p kioskd");
            assert!(status.success(), "building kioskd failed");
        }
    });
}

pub struct Kiosk {
    // Field order: the window goes before the daemon.
    pub ui: Ui,
    pub terminal: DemoTerminal,
}

pub fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("kiosk-ui-it-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

pub fn start(name: &str, settings: DemoSettings) -> Kiosk {
    ensure_kioskd();
    i_slint_backend_testing::init_no_event_loop();
    let terminal = DemoTerminal::start(&dir(name), &settings).expect("demo terminal");
    let ui = Ui::new(Options { socket: terminal.socket.clone(), lang: Lang::Zh, demo: None, pictures: None }).expect("window");
    ui.window.window().set_size(slint::PhysicalSize::new(1080, 1920));
    ui.window.show().expect("show");
    let k = Kiosk { ui, terminal };
    k.wait_screen(Screen::Attract);
    k.wait("the catalogue", |ui| ui.window.get_offer().contains("养老"));
    k
}

impl Kiosk {
    pub fn wait(&self, what: &str, pred: impl Fn(&Ui) -> bool) {
        assert!(
            self.ui.wait_until(Duration::from_secs(20), pred),
            "timed out waiting for {what}: screen {:?}, state {}, labels {:?}",
            self.ui.screen(),
            self.ui.session_state(),
            self.labels()
        );
    }

    pub fn wait_screen(&self, screen: Screen) {
        self.wait(&format!("screen {screen:?}"), move |ui| ui.screen() == screen);
    }

    /// Every accessible label and value in the window now.
    pub fn labels(&self) -> Vec<String> {
        self.ui
            .window
            .root_element()
            .query_descendants()
            .find_all()
            .into_iter()
            .flat_map(|e| [e.accessible_label(), e.accessible_value(), e.accessible_description()])
            .flatten()
            .map(|s| s.to_string())
            .filter(|s| !s.is_empty())
            .collect()
    }

    pub fn shows(&self, text: &str) -> bool {
        self.labels().iter().any(|l| l.contains(text))
    }

    /// Taps the enabled element labelled `label`.
    pub fn tap(&self, label: &str) {
        self.ui.pump();
        let found: Vec<ElementHandle> = ElementHandle::find_by_accessible_label(&self.ui.window, label).filter(|e| e.accessible_enabled() != Some(false)).collect();
        let e = found.first().unwrap_or_else(|| panic!("nothing labelled {label:?} to tap on screen {:?}; labels: {:?}", self.ui.screen(), self.labels()));
        e.invoke_accessible_default_action();
        self.ui.pump();
    }

    /// Types on the on-screen keyboard, one key per character.
    pub fn type_keys(&self, keys: &str) {
        for c in keys.chars() {
            self.tap(&c.to_string());
        }
    }

    /// Taps the hidden maintenance corner `n` times.
    pub fn tap_corner(&self, n: usize) {
        let corner: Vec<ElementHandle> = ElementHandle::find_by_element_id(&self.ui.window, "Header::corner").collect();
        let corner = corner.first().expect("the maintenance corner (needs the UI compiled with debug info)");
        for _ in 0..n {
            corner.mock_single_click(slint::platform::PointerEventButton::Left);
        }
        self.ui.pump();
    }

    pub fn place_card(&self) {
        self.terminal.control(&format!("{{\"place\": {}}}", kiosk_ui::app::DEMO_CARD.trim()));
    }

    /// Privacy: nothing in the window holds the card holder's full name or ID number.
    pub fn assert_no_full_identity(&self) {
        for l in self.labels() {
            assert!(!l.contains(CARD_NAME) && !l.contains(CARD_ID), "the window shows {l:?}");
        }
    }
}
