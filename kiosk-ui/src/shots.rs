//! `kiosk-ui --screenshots DIR`: starts a demo terminal (kioskd with simulated reader and
//! printer), walks a real visit and the maintenance menu through the window's own callbacks, and
//! renders every screen with the software renderer, in Chinese and English, normal and elderly
//! mode, portrait and landscape, into `DIR/<screen>-<lang>-<mode>-<orientation>.png`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use slint::ComponentHandle;

use crate::app::{Options, Ui, DEMO_CARD};
use crate::demo::{DemoSettings, DemoTerminal};
use crate::headless;
use crate::text::Lang;
use crate::Screen;

const PORTRAIT: (u32, u32) = (1080, 1920);
const LANDSCAPE: (u32, u32) = (1920, 1080);

pub struct Report {
    pub files: Vec<PathBuf>,
    pub receipts: PathBuf,
}

struct Shooter<'a> {
    ui: &'a Ui,
    window: &'a slint::platform::software_renderer::MinimalSoftwareWindow,
    dir: &'a Path,
    files: Vec<PathBuf>,
    base: Lang,
}

impl Shooter<'_> {
    /// Renders the current screen in all eight variants, then restores the base presentation.
    fn shoot(&mut self, name: &str) -> Result<(), String> {
        for lang in [Lang::Zh, Lang::En] {
            for elderly in [false, true] {
                self.ui.set_presentation(lang, elderly);
                for (orientation, (w, h)) in [("portrait", PORTRAIT), ("landscape", LANDSCAPE)] {
                    // Layout-dependent paging needs the size first, then a render pass.
                    let _ = headless::render(self.window, w, h);
                    self.ui.render();
                    let frame = headless::render(self.window, w, h);
                    if !frame.has_ink() {
                        return Err(format!("{name}: blank frame"));
                    }
                    let mode = if elderly { "elderly" } else { "normal" };
                    let path = self.dir.join(format!("{name}-{}-{mode}-{orientation}.png", lang.code()));
                    frame.save_png(&path)?;
                    self.files.push(path);
                }
            }
        }
        self.ui.set_presentation(self.base, false);
        let _ = headless::render(self.window, PORTRAIT.0, PORTRAIT.1);
        Ok(())
    }

    fn wait(&self, what: &str, pred: impl Fn(&Ui) -> bool) -> Result<(), String> {
        if self.ui.wait_until(Duration::from_secs(20), pred) {
            Ok(())
        } else {
            Err(format!("timed out waiting for {what} (screen {:?}, state {})", self.ui.screen(), self.ui.session_state()))
        }
    }

    fn wait_screen(&self, screen: Screen) -> Result<(), String> {
        self.wait(&format!("{screen:?}"), move |ui| ui.screen() == screen)
    }
}

/// Runs the whole walk. `dir` receives the PNG files; the demo terminal lives in `dir/terminal`.
pub fn run(dir: &Path, lang: Lang) -> Result<Report, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let window = headless::install()?;
    let terminal_dir = dir.join("terminal");
    let _ = std::fs::remove_dir_all(&terminal_dir);
    let terminal = DemoTerminal::start(&terminal_dir, &DemoSettings::default())?;
    let ui = Ui::new(Options { socket: terminal.socket.clone(), lang, demo: Some(terminal.control.clone()), pictures: crate::app::pictures_dir() })
        .map_err(|e| format!("cannot create the window: {e}"))?;
    ui.window.show().map_err(|e| e.to_string())?;
    let _ = headless::render(&window, PORTRAIT.0, PORTRAIT.1);
    let mut s = Shooter { ui: &ui, window: &window, dir, files: Vec::new(), base: lang };
    let w = &ui.window;

    s.wait("the daemon", |ui| ui.connected() && ui.screen() == Screen::Attract && !ui.window.get_offer().is_empty() && !ui.window.get_terminal_name().is_empty())?;
    s.shoot("attract")?;

    // Knowledge, without a card.
    w.invoke_open_knowledge();
    s.wait_screen(Screen::Knowledge)?;
    s.shoot("knowledge")?;
    w.invoke_open_article(0);
    s.wait_screen(Screen::Article)?;
    s.shoot("article")?;
    w.invoke_home();
    s.wait_screen(Screen::Attract)?;

    // A card that cannot be read, then reading held up by a slow reader.
    terminal.control(r#"{"fault": "bad_checksum"}"#);
    terminal.control(&format!("{{\"place\": {}}}", DEMO_CARD.trim()));
    s.wait("a card error", |ui| ui.screen() == Screen::Reading && !ui.window.get_card_error().is_empty())?;
    s.shoot("card-error")?;
    terminal.control(r#"{"remove": true}"#);
    terminal.control(r#"{"fault": "none"}"#);
    w.invoke_back();
    s.wait_screen(Screen::Attract)?;

    // The citizen's visit.
    terminal.control(&format!("{{\"place\": {}}}", DEMO_CARD.trim()));
    s.wait_screen(Screen::Home)?;
    s.shoot("home")?;
    w.invoke_open_search();
    for k in ["y", "l", "j"] {
        w.invoke_key(k.into());
    }
    s.ui.pump();
    s.shoot("search")?;
    w.invoke_keyboard_done();
    s.wait_screen(Screen::Items)?;
    s.shoot("search-results")?;
    w.invoke_home();
    s.wait_screen(Screen::Home)?;
    w.invoke_open_category("yanglao".into());
    s.wait_screen(Screen::Items)?;
    s.shoot("items")?;
    let first = s.ui.window.get_list();
    let code = slint::Model::row_data(&first, 0).map(|t| t.code.to_string()).ok_or("empty item list")?;
    w.invoke_open_item(code.into());
    s.wait_screen(Screen::Guide)?;
    s.shoot("guide")?;
    w.invoke_start_item();
    s.wait_screen(Screen::Form)?;
    s.shoot("form")?;
    // The phone field (index 2 in the sample's first pension item) with the keypad.
    let fields = s.ui.window.get_fields();
    let phone = (0..slint::Model::row_count(&fields)).find(|i| slint::Model::row_data(&fields, *i).is_some_and(|f| f.input == "digits" && !f.locked));
    if let Some(i) = phone {
        w.invoke_select_field(i as i32);
        for d in "1380013".chars() {
            w.invoke_key(d.to_string().into());
        }
        s.ui.pump();
        s.shoot("form-keypad")?;
        for d in "8000".chars() {
            w.invoke_key(d.to_string().into());
        }
    }
    let text_field = (0..slint::Model::row_count(&fields)).find(|i| slint::Model::row_data(&fields, *i).is_some_and(|f| f.input == "text" && !f.locked));
    if let Some(i) = text_field {
        w.invoke_select_field(i as i32);
        for k in ["s", "h", "e", "n", "g"] {
            w.invoke_key(k.into());
        }
        s.ui.pump();
        s.shoot("form-pinyin")?;
        w.invoke_candidate(0);
        w.invoke_keyboard_done();
    }
    for i in 0..slint::Model::row_count(&fields) {
        if slint::Model::row_data(&fields, i).is_some_and(|f| f.input == "choice" && !f.locked) {
            w.invoke_choose_option(i as i32, 0);
        }
    }
    w.invoke_form_next();
    s.wait_screen(Screen::Confirm)?;
    s.shoot("confirm")?;
    // The printer runs out of paper just now: the receipt is held, the citizen goes on.
    terminal.control(r#"{"paper": "out"}"#);
    std::thread::sleep(Duration::from_millis(2500));
    w.invoke_confirm_submit();
    s.wait("the held receipt", |ui| ui.screen() == Screen::Working && ui.window.get_work_state() == "held")?;
    s.shoot("printing-held")?;
    w.invoke_skip_print();
    s.wait_screen(Screen::Rating)?;
    s.shoot("rating")?;
    w.invoke_rate(5);
    s.ui.pump();
    s.shoot("rating-chosen")?;
    w.invoke_open_complaint();
    s.ui.pump();
    s.shoot("complaint")?;
    w.invoke_back();
    s.ui.show_countdown(20);
    s.shoot("countdown")?;
    w.invoke_more_time();
    w.invoke_send_rating();
    s.wait_screen(Screen::Goodbye)?;
    s.shoot("goodbye")?;
    terminal.control(r#"{"remove": true}"#);
    terminal.control(r#"{"paper": "ok"}"#);
    s.wait_screen(Screen::Attract)?;

    // The assistant: hidden gesture, PIN, menu, fault report, out of service.
    for _ in 0..5 {
        w.invoke_corner_tap();
    }
    s.wait_screen(Screen::Pin)?;
    for d in "123456".chars() {
        w.invoke_pin_key(d.to_string().into());
    }
    s.ui.pump();
    s.shoot("pin")?;
    w.invoke_pin_key("enter".into());
    s.wait_screen(Screen::Maintenance)?;
    s.wait("device status", |ui| slint::Model::row_count(&ui.window.get_counts()) > 0)?;
    s.shoot("maintenance")?;
    w.invoke_maintenance("fault".into());
    s.wait_screen(Screen::Fault)?;
    w.invoke_toggle_fault_category(1);
    for k in ["q", "u", "e", "z", "h", "i"] {
        w.invoke_key(k.into());
    }
    s.ui.pump();
    s.shoot("fault")?;
    w.invoke_maintenance("menu".into());
    s.wait_screen(Screen::Maintenance)?;
    w.invoke_maintenance("out-of-service".into());
    s.wait("out of service", |ui| ui.window.get_out_of_service())?;
    w.invoke_maintenance("logout".into());
    s.wait_screen(Screen::OutOfService)?;
    s.shoot("out-of-service")?;
    for _ in 0..5 {
        w.invoke_corner_tap();
    }
    for d in "123456".chars() {
        w.invoke_pin_key(d.to_string().into());
    }
    w.invoke_pin_key("enter".into());
    s.wait_screen(Screen::Maintenance)?;
    w.invoke_maintenance("out-of-service".into());
    s.wait("back in service", |ui| !ui.window.get_out_of_service())?;
    w.invoke_maintenance("logout".into());
    s.wait_screen(Screen::Attract)?;

    // Closed outside opening hours (set by the assistant's API).
    let client = kioskd_client::Client::new(&terminal.socket);
    let token = client
        .post("/v1/maintenance/login", serde_json::json!({ "pin": "123456" }))
        .ok()
        .and_then(|r| r.body.get("token").and_then(|t| t.as_str()).map(str::to_string))
        .ok_or("cannot log in to set the hours")?;
    let assistant = client.clone().with_token(&token);
    let _ = assistant.post("/v1/maintenance/hours", serde_json::json!({ "override": "closed" }));
    s.wait_screen(Screen::Closed)?;
    s.shoot("closed")?;
    let _ = assistant.post("/v1/maintenance/hours", serde_json::json!({ "override": "auto" }));
    s.wait_screen(Screen::Attract)?;

    let files = std::mem::take(&mut s.files);
    let receipts = terminal.receipts();
    drop(ui);
    drop(terminal);
    Ok(Report { files, receipts })
}
