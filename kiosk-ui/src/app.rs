//! The controller: holds what the window shows, turns the citizen's taps into kioskd requests
//! and kioskd's answers and events into screens. It runs on the UI thread only; daemon I/O
//! happens on the bridge's threads (see `bridge.rs`).
//!
//! Privacy: the controller only ever sees the masked session view. Everything it holds about a
//! citizen (form values, search text, rating, complaint) is dropped the moment the daemon's
//! session number changes or the visit ends, so nothing of one person reaches the next.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kioskd_client::{ClientError, Response};
use serde_json::{json, Value};
use slint::{ComponentHandle, Model, ModelRc, SharedString, VecModel};

use crate::bridge::{self, Api, Msg};
use crate::text::{self, Lang};
use crate::{AppWindow, ArticleData, ChipData, DeviceData, FieldData, KeyValue, Screen, SectionData, Theme, TileData, TileRow};

/// How the UI is started.
#[derive(Clone)]
pub struct Options {
    pub socket: PathBuf,
    pub lang: Lang,
    /// In demo mode, a sink for simulator control lines (the demo strip's buttons).
    pub demo: Option<DemoControl>,
    /// Folder with the knowledge pictures (`assets/knowledge`), when available.
    pub pictures: Option<PathBuf>,
}

/// Writes control lines to the demo daemon's simulators.
#[derive(Clone)]
pub struct DemoControl(pub Arc<Mutex<Box<dyn std::io::Write + Send>>>);

impl DemoControl {
    pub fn send(&self, line: &str) {
        if let Ok(mut w) = self.0.lock() {
            let _ = writeln!(w, "{line}");
            let _ = w.flush();
        }
    }
}

use std::io::Write as _;

/// The knowledge pictures: `$KIOSK_UI_PICTURES`, the installed `/usr/share/kiosk/knowledge`, or
/// the source tree's `assets/knowledge`.
pub fn pictures_dir() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("KIOSK_UI_PICTURES").map(PathBuf::from),
        Some(PathBuf::from("/usr/share/kiosk/knowledge")),
        Some(PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../assets/knowledge"))),
    ];
    candidates.into_iter().flatten().find(|p| p.is_dir())
}

/// The demo card, as the simulator's JSON.
pub const DEMO_CARD: &str = include_str!("../../assets/demo/card-resident.json");

#[derive(Debug, Clone, PartialEq)]
enum Nav {
    /// A category's items (`category` set) or search results (`title` set).
    Items { category: Option<String>, title: String, items: Vec<Value> },
    Guide(Value),
    Knowledge,
    Article(usize),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Target {
    Search,
    Field(usize),
    Complaint,
    Fault,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Maint {
    Pin,
    Menu,
    Fault,
}

/// Everything about the current citizen's visit that the UI holds. Replaced wholesale.
#[derive(Default)]
struct Visit {
    serial: u64,
    nav: Vec<Nav>,
    page: usize,
    searching: bool,
    search: String,
    values: BTreeMap<String, String>,
    errors: BTreeMap<String, String>,
    active: Option<usize>,
    confirming: bool,
    rating: i32,
    reasons: Vec<bool>,
    complaint: String,
    complaining: bool,
}

pub struct Ctl {
    win: slint::Weak<AppWindow>,
    api: Api<Ctl>,
    options: Options,
    lang: Lang,
    elderly: bool,
    connected: bool,
    disconnect_reason: String,
    status: Value,
    session: Value,
    categories: Vec<Value>,
    knowledge: Vec<Value>,
    visit: Visit,
    /// Knowledge browsed from the attract screen, with no visit.
    idle_nav: Vec<Nav>,
    kb_mode: String,
    composition: String,
    candidates: Vec<String>,
    card_error: Option<(String, Instant)>,
    notice: Option<(String, Instant)>,
    countdown_until: Option<Instant>,
    last_touch: Instant,
    last_activity_sent: Option<Instant>,
    corner_taps: Vec<Instant>,
    maint: Option<Maint>,
    token: Option<String>,
    pin: String,
    pin_error: String,
    devices: Value,
    counts: Value,
    maint_message: String,
    fault_category: Option<usize>,
    fault_text: String,
    restart_requested: bool,
}

/// The running UI: the window and its controller.
pub struct Ui {
    pub window: AppWindow,
    ctl: Rc<RefCell<Ctl>>,
    inbox: Rc<Receiver<Msg<Ctl>>>,
    _ticker: slint::Timer,
}

thread_local! {
    static PUMP: RefCell<Option<(Rc<RefCell<Ctl>>, Rc<Receiver<Msg<Ctl>>>)>> = const { RefCell::new(None) };
}

fn pump_with(ctl: &Rc<RefCell<Ctl>>, inbox: &Receiver<Msg<Ctl>>) {
    let mut changed = false;
    while let Ok(msg) = inbox.try_recv() {
        let mut c = ctl.borrow_mut();
        match msg {
            Msg::Reply(f) => f(&mut c),
            Msg::Event(name, data) => c.on_event(&name, data),
            Msg::Connected => c.on_connected(),
            Msg::Disconnected(why) => c.on_disconnected(why),
        }
        changed = true;
    }
    let mut c = ctl.borrow_mut();
    if c.tick() || changed {
        c.render();
    }
}

impl Ui {
    /// Creates the window (the Slint platform must be set up already) and connects to kioskd.
    pub fn new(options: Options) -> Result<Ui, slint::PlatformError> {
        let window = AppWindow::new()?;
        let wake: bridge::Wake = Arc::new(|| {
            // Without an event loop (the headless tests), the test pumps by itself.
            let _ = slint::invoke_from_event_loop(|| {
                PUMP.with(|p| {
                    if let Some((ctl, inbox)) = p.borrow().as_ref() {
                        pump_with(ctl, inbox);
                    }
                })
            });
        });
        let (api, inbox) = bridge::start::<Ctl>(options.socket.clone(), wake);
        let lang = options.lang;
        let ctl = Rc::new(RefCell::new(Ctl {
            win: window.as_weak(),
            api,
            lang,
            elderly: false,
            connected: false,
            disconnect_reason: String::new(),
            status: Value::Null,
            session: json!({ "state": "idle", "session": 0 }),
            categories: Vec::new(),
            knowledge: Vec::new(),
            visit: Visit::default(),
            idle_nav: Vec::new(),
            kb_mode: "pinyin".into(),
            composition: String::new(),
            candidates: Vec::new(),
            card_error: None,
            notice: None,
            countdown_until: None,
            last_touch: Instant::now(),
            last_activity_sent: None,
            corner_taps: Vec::new(),
            maint: None,
            token: None,
            pin: String::new(),
            pin_error: String::new(),
            devices: Value::Null,
            counts: Value::Null,
            maint_message: String::new(),
            fault_category: None,
            fault_text: String::new(),
            restart_requested: false,
            options,
        }));
        lang.select();
        window.set_demo(ctl.borrow().options.demo.is_some());
        wire(&window, &ctl);
        let inbox = Rc::new(inbox);
        PUMP.with(|p| *p.borrow_mut() = Some((ctl.clone(), inbox.clone())));
        let ticker = slint::Timer::default();
        {
            let (ctl, inbox) = (ctl.clone(), inbox.clone());
            ticker.start(slint::TimerMode::Repeated, Duration::from_millis(250), move || pump_with(&ctl, &inbox));
        }
        ctl.borrow_mut().render();
        Ok(Ui { window, ctl, inbox, _ticker: ticker })
    }

    /// Applies everything the daemon said since the last call and re-renders. The event loop
    /// does this by itself; tests without an event loop call it.
    pub fn pump(&self) {
        pump_with(&self.ctl, &self.inbox);
    }

    /// Whether kioskd asked the UI to restart (`ui_restart`); the binary exits so systemd
    /// starts it again.
    pub fn restart_requested(&self) -> bool {
        self.ctl.borrow().restart_requested
    }

    /// The screen now shown.
    pub fn screen(&self) -> Screen {
        self.window.get_screen()
    }

    /// The daemon's session state as last heard (`idle`, `authenticated`, …).
    pub fn session_state(&self) -> String {
        self.ctl.borrow().state().to_string()
    }

    /// Whether the event stream to kioskd is up.
    pub fn connected(&self) -> bool {
        self.ctl.borrow().connected
    }

    /// Pumps (and runs Slint's timers) until `pred` holds or `timeout` passes.
    pub fn wait_until(&self, timeout: Duration, pred: impl Fn(&Ui) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            slint::platform::update_timers_and_animations();
            self.pump();
            if pred(self) {
                return true;
            }
            if Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(15));
        }
    }

    /// Shows the window in this language and mode without telling the daemon (screenshots).
    pub fn set_presentation(&self, lang: Lang, elderly: bool) {
        let mut c = self.ctl.borrow_mut();
        c.lang = lang;
        c.elderly = elderly;
        lang.select();
        c.render();
    }

    /// Shows the inactivity countdown as if the daemon had warned (screenshots).
    pub fn show_countdown(&self, seconds: u64) {
        let mut c = self.ctl.borrow_mut();
        c.countdown_until = Some(Instant::now() + Duration::from_secs(seconds));
        c.render();
    }

    /// Re-renders after an outside change (window size).
    pub fn render(&self) {
        self.ctl.borrow_mut().render();
    }
}

macro_rules! on {
    ($window:expr, $ctl:expr, $setter:ident, |$c:ident $(, $arg:ident)*| $body:expr) => {{
        let ctl = $ctl.clone();
        $window.$setter(move |$($arg),*| {
            let mut guard = ctl.borrow_mut();
            let $c: &mut Ctl = &mut guard;
            $c.touched();
            $body;
            $c.render();
        });
    }};
}

fn wire(w: &AppWindow, ctl: &Rc<RefCell<Ctl>>) {
    on!(w, ctl, on_toggle_elderly, |c| c.toggle_elderly());
    on!(w, ctl, on_toggle_lang, |c| c.toggle_lang());
    on!(w, ctl, on_corner_tap, |c| c.corner_tap());
    on!(w, ctl, on_activity, |c| ());
    on!(w, ctl, on_browse, |c| c.browse());
    on!(w, ctl, on_open_knowledge, |c| c.open_knowledge());
    on!(w, ctl, on_open_article, |c, i| c.open_article(i));
    on!(w, ctl, on_open_category, |c, code| c.open_category(code.to_string()));
    on!(w, ctl, on_open_item, |c, code| c.open_item(code.to_string()));
    on!(w, ctl, on_open_search, |c| c.open_search());
    on!(w, ctl, on_start_item, |c| c.start_item());
    on!(w, ctl, on_page_step, |c, d| c.page_step(d));
    on!(w, ctl, on_back, |c| c.back());
    on!(w, ctl, on_home, |c| c.home());
    on!(w, ctl, on_finish, |c| c.finish());
    on!(w, ctl, on_more_time, |c| c.more_time());
    on!(w, ctl, on_select_field, |c, i| c.select_field(i));
    on!(w, ctl, on_choose_option, |c, i, j| c.choose_option(i, j));
    on!(w, ctl, on_key, |c, k| c.key(&k));
    on!(w, ctl, on_backspace, |c| c.backspace());
    on!(w, ctl, on_candidate, |c, i| c.candidate(i));
    on!(w, ctl, on_switch_mode, |c, m| c.switch_mode(&m));
    on!(w, ctl, on_keyboard_done, |c| c.keyboard_done());
    on!(w, ctl, on_form_next, |c| c.form_next());
    on!(w, ctl, on_confirm_submit, |c| c.confirm_submit());
    on!(w, ctl, on_skip_print, |c| c.skip_print());
    on!(w, ctl, on_rate, |c, level| c.rate(level));
    on!(w, ctl, on_toggle_reason, |c, i| c.toggle_reason(i));
    on!(w, ctl, on_send_rating, |c| c.send_rating(false));
    on!(w, ctl, on_open_complaint, |c| c.open_complaint());
    on!(w, ctl, on_send_complaint, |c| c.send_rating(true));
    on!(w, ctl, on_pin_key, |c, k| c.pin_key(&k));
    on!(w, ctl, on_pin_backspace, |c| {
        c.pin.pop();
    });
    on!(w, ctl, on_pin_cancel, |c| c.leave_maintenance());
    on!(w, ctl, on_maintenance, |c, action| c.maintenance(&action));
    on!(w, ctl, on_toggle_fault_category, |c, i| c.fault_category = Some(i.max(0) as usize));
    on!(w, ctl, on_demo_action, |c, a| c.demo_action(&a));
}

fn s(v: &Value, key: &str) -> String {
    v.get(key).and_then(Value::as_str).unwrap_or_default().to_string()
}

fn model<T: Clone + 'static>(v: Vec<T>) -> ModelRc<T> {
    ModelRc::new(VecModel::from(v))
}

fn strings(v: impl IntoIterator<Item = String>) -> ModelRc<SharedString> {
    model(v.into_iter().map(SharedString::from).collect())
}

/// The per-field problems of a rejected form (`details.problems` or `problems`: `key`, `problem`).
fn problems_of(r: &Result<Response, ClientError>) -> Option<impl Iterator<Item = (String, String)> + '_> {
    let body = &r.as_ref().ok()?.body;
    let problems = body.get("details").and_then(|d| d.get("problems")).or_else(|| body.get("problems"))?.as_array()?;
    Some(problems.iter().map(|p| (s(p, "key"), s(p, "problem"))))
}

/// The error code of a failed API answer (`{"error": …}`), or the transport failure.
fn error_of(r: &Result<Response, ClientError>) -> Option<String> {
    match r {
        Ok(r) if r.ok() => None,
        Ok(r) => Some(r.body.get("error").and_then(Value::as_str).unwrap_or("error").to_string()),
        Err(_) => Some("unreachable".into()),
    }
}

impl Ctl {
    fn state(&self) -> &str {
        self.session.get("state").and_then(Value::as_str).unwrap_or("idle")
    }

    fn in_visit(&self) -> bool {
        !matches!(self.state(), "idle" | "finished")
    }

    fn item_detail(&self) -> Option<&Value> {
        self.visit.nav.iter().rev().find_map(|n| match n {
            Nav::Guide(v) => Some(v),
            _ => None,
        })
    }

    fn touched(&mut self) {
        self.last_touch = Instant::now();
        // Taps that stay inside the UI (paging, typing) still mean the citizen is there.
        if self.in_visit() && self.last_activity_sent.is_none_or(|t| t.elapsed() > Duration::from_secs(2)) {
            self.last_activity_sent = Some(Instant::now());
            self.api.post("/v1/session/activity", json!({}), |_, _| {});
        }
    }

    fn say(&mut self, zh: &'static str, en: &'static str) {
        self.notice = Some((self.lang.t(zh, en).to_string(), Instant::now()));
    }

    fn fail(&mut self, r: &Result<Response, ClientError>) {
        match error_of(r).as_deref() {
            None => {}
            Some("unreachable") => self.say("终端服务暂时没有响应，请稍候再试。", "The terminal service is not answering; please try again shortly."),
            Some("needs_card") => self.say("办理这个事项需要先把身份证放在读卡区。", "Place your ID card on the reader to use this service."),
            Some("unavailable") => self.say("这个事项现在不能办理。", "This service is not available now."),
            Some(_) => self.say("操作没有成功，请再试一次，或向协办员求助。", "That did not work. Please try again, or ask the village assistant."),
        }
    }

    // ------------------------------------------------------------------ daemon side

    fn on_connected(&mut self) {
        self.connected = true;
        self.disconnect_reason.clear();
        self.refresh();
    }

    fn on_disconnected(&mut self, why: String) {
        self.connected = false;
        self.disconnect_reason = why;
    }

    /// Reloads status, session, categories and knowledge.
    fn refresh(&mut self) {
        self.api.get("/v1/status", |c, r| {
            if let Ok(r) = r.filter_ok() {
                c.status = r.body;
            }
        });
        self.api.get("/v1/session", |c, r| {
            if let Ok(r) = r.filter_ok() {
                c.set_session(r.body);
            }
        });
        self.load_catalogue();
    }

    fn load_catalogue(&mut self) {
        self.api.get("/v1/categories", |c, r| {
            if let Ok(r) = r.filter_ok() {
                c.categories = r.body.get("categories").and_then(Value::as_array).cloned().unwrap_or_default();
            }
        });
        self.api.get("/v1/knowledge", |c, r| {
            if let Ok(r) = r.filter_ok() {
                c.knowledge = r.body.get("knowledge").and_then(Value::as_array).cloned().unwrap_or_default();
            }
        });
    }

    fn on_event(&mut self, name: &str, data: Value) {
        match name {
            "session" => self.set_session(data),
            "warning" => {
                let left = data.get("seconds_left").and_then(Value::as_u64).unwrap_or(0);
                self.countdown_until = Some(Instant::now() + Duration::from_secs(left));
            }
            "timeout" => self.countdown_until = None,
            "card_error" => {
                let kind = s(&data, "kind");
                self.card_error = Some((text::card_error_group(&kind).to_string(), Instant::now()));
            }
            "online" => {
                if let Some(map) = self.status.as_object_mut() {
                    map.insert("online".into(), data.get("online").cloned().unwrap_or(Value::Bool(false)));
                }
            }
            "out_of_service" | "hours" | "device" => {
                self.api.get("/v1/status", |c, r| {
                    if let Ok(r) = r.filter_ok() {
                        c.status = r.body;
                    }
                });
                if self.maint == Some(Maint::Menu) && name == "device" {
                    self.load_maintenance();
                }
            }
            "catalogue" => self.load_catalogue(),
            "ui_restart" => {
                self.restart_requested = true;
                let _ = slint::quit_event_loop();
            }
            // print, citizen_replaced: the session event that comes with them says it all.
            _ => {}
        }
    }

    fn set_session(&mut self, v: Value) {
        let serial = v.get("session").and_then(Value::as_u64).unwrap_or(0);
        let state = s(&v, "state");
        let ended = matches!(state.as_str(), "idle" | "finished");
        let new_visit = serial != self.visit.serial && !ended;
        if serial != self.visit.serial || ended {
            // A new visit, or the end of one: forget everything about the last citizen.
            self.visit = Visit { serial, ..Visit::default() };
            self.composition.clear();
            self.candidates.clear();
        }
        if state == "idle" && self.state() != "idle" {
            // Back to the attract screen for the next person: standard settings again.
            self.elderly = false;
            self.lang = self.options.lang;
            self.lang.select();
        }
        if !ended {
            self.card_error = None;
            self.idle_nav.clear();
            let daemon_elderly = v.get("elderly_mode").and_then(Value::as_bool).unwrap_or(false);
            if new_visit && self.elderly && !daemon_elderly {
                // Chosen on the attract screen, before the visit began: the daemon learns it
                // now (longer timeouts).
                self.api.post("/v1/session/elderly", json!({ "on": true }), |c, r| c.fail(&r));
            } else {
                self.elderly = daemon_elderly;
            }
        }
        if state == "in_service" && self.state() != "in_service" {
            self.visit.confirming = false;
            self.visit.active = None;
        }
        // The daemon's view carries the seconds left only while its warning is showing.
        self.countdown_until = v.get("seconds_left").and_then(Value::as_u64).map(|n| Instant::now() + Duration::from_secs(n));
        self.session = v;
    }


    // ------------------------------------------------------------------ citizen intents

    fn toggle_elderly(&mut self) {
        self.elderly = !self.elderly;
        if self.in_visit() {
            self.api.post("/v1/session/elderly", json!({ "on": self.elderly }), |c, r| c.fail(&r));
        }
    }

    fn toggle_lang(&mut self) {
        self.lang = if self.lang == Lang::Zh { Lang::En } else { Lang::Zh };
        self.lang.select();
    }

    fn corner_tap(&mut self) {
        let now = Instant::now();
        self.corner_taps.retain(|t| now.duration_since(*t) < Duration::from_secs(3));
        self.corner_taps.push(now);
        if self.corner_taps.len() >= 5 && self.maint.is_none() {
            self.corner_taps.clear();
            self.maint = Some(Maint::Pin);
            self.pin.clear();
            self.pin_error.clear();
        }
    }

    fn browse(&mut self) {
        self.api.post("/v1/session/start", json!({}), |c, r| c.fail(&r));
    }

    fn open_knowledge(&mut self) {
        self.api.get("/v1/knowledge", |c, r| {
            if let Ok(r) = r.filter_ok() {
                c.knowledge = r.body.get("knowledge").and_then(Value::as_array).cloned().unwrap_or_default();
            }
        });
        if self.in_visit() {
            self.visit.nav.push(Nav::Knowledge);
            self.visit.page = 0;
        } else {
            self.idle_nav = vec![Nav::Knowledge];
        }
    }

    fn open_article(&mut self, i: i32) {
        let page_start = self.visit_or_idle_page() * self.per_page_list();
        let index = page_start + i.max(0) as usize;
        if index < self.knowledge.len() {
            if self.in_visit() {
                self.visit.nav.push(Nav::Article(index));
            } else {
                self.idle_nav.push(Nav::Article(index));
            }
        }
    }

    fn visit_or_idle_page(&self) -> usize {
        if self.in_visit() { self.visit.page } else { 0 }
    }

    fn open_category(&mut self, code: String) {
        self.api.get(format!("/v1/items?category={}", urlencode(&code)), move |c, r| {
            c.fail(&r);
            if let Ok(r) = r.filter_ok() {
                let items = r.body.get("items").and_then(Value::as_array).cloned().unwrap_or_default();
                c.visit.nav.push(Nav::Items { category: Some(code), title: String::new(), items });
                c.visit.page = 0;
            }
        });
    }

    fn open_item(&mut self, code: String) {
        self.api.get(format!("/v1/items/{}", urlencode(&code)), |c, r| {
            c.fail(&r);
            if let Ok(r) = r.filter_ok() {
                c.visit.nav.push(Nav::Guide(r.body));
            }
        });
        // Counts as a view in the terminal's statistics only when chosen; reading is free.
    }

    fn open_search(&mut self) {
        self.visit.searching = true;
        self.kb_mode = "latin".into();
        self.composition.clear();
        self.candidates.clear();
    }

    fn run_search(&mut self) {
        let q = self.visit.search.trim().to_string();
        if q.is_empty() {
            self.visit.searching = false;
            return;
        }
        self.api.get(format!("/v1/search?q={}", urlencode(&q)), move |c, r| {
            c.fail(&r);
            if let Ok(r) = r.filter_ok() {
                let items = r.body.get("items").and_then(Value::as_array).cloned().unwrap_or_default();
                c.visit.searching = false;
                c.visit.nav.push(Nav::Items { category: None, title: q, items });
                c.visit.page = 0;
            }
        });
    }

    fn start_item(&mut self) {
        let Some(item) = self.item_detail().cloned() else { return };
        let code = s(&item, "code");
        self.api.post("/v1/session/item", json!({ "code": code }), move |c, r| {
            c.fail(&r);
            if error_of(&r).is_none() {
                c.visit.values.clear();
                c.visit.errors.clear();
                c.visit.active = None;
                c.visit.confirming = false;
                if let Ok(r) = r {
                    c.set_session(r.body);
                }
                // A form with nothing left to type goes straight to the confirmation.
                let fields = c.form_fields();
                if fields.iter().all(|f| f.locked || f.input == "choice" && !f.required) {
                    c.visit.confirming = !fields.is_empty() || s(&item, "kind") != "form";
                }
            }
        });
    }

    fn page_step(&mut self, d: i32) {
        let pages = self.page_count();
        let page = if self.in_visit() { &mut self.visit.page } else { return };
        let next = (*page as i64 + d as i64).clamp(0, pages.saturating_sub(1) as i64);
        *page = next as usize;
    }

    fn back(&mut self) {
        if self.card_error.is_some() && !self.in_visit() {
            self.card_error = None;
            return;
        }
        if !self.in_visit() {
            self.idle_nav.pop();
            return;
        }
        if self.visit.searching {
            self.visit.searching = false;
            self.composition.clear();
            return;
        }
        match self.state() {
            "in_service" => {
                if self.visit.confirming {
                    self.visit.confirming = false;
                } else {
                    self.api.post("/v1/session/browse", json!({}), |c, r| c.fail(&r));
                }
                return;
            }
            "rating" if self.visit.complaining => {
                self.visit.complaining = false;
                return;
            }
            _ => {}
        }
        self.visit.nav.pop();
        self.visit.page = 0;
    }

    fn home(&mut self) {
        if !self.in_visit() {
            self.idle_nav.clear();
            return;
        }
        self.visit.nav.clear();
        self.visit.page = 0;
        self.visit.searching = false;
        if self.state() == "in_service" {
            self.api.post("/v1/session/browse", json!({}), |c, r| c.fail(&r));
        }
    }

    fn finish(&mut self) {
        self.countdown_until = None;
        self.api.post("/v1/session/finish", json!({}), |c, r| c.fail(&r));
    }

    fn more_time(&mut self) {
        self.countdown_until = None;
        self.api.post("/v1/session/extend", json!({}), |c, r| c.fail(&r));
    }

    // ------------------------------------------------------------------ forms and keyboard

    fn form_fields(&self) -> Vec<FieldData> {
        let Some(item) = self.item_detail() else { return Vec::new() };
        let session_fields = self.session.get("fields").cloned().unwrap_or(Value::Null);
        let lang = self.lang;
        let fields = item.get("form").and_then(|f| f.get("fields")).and_then(Value::as_array).cloned().unwrap_or_default();
        fields
            .iter()
            .map(|f| {
                let key = s(f, "key");
                let ty = s(f, "type");
                let from_card = session_fields.get(&key).filter(|v| v.get("locked").and_then(Value::as_bool) == Some(true));
                let locked = from_card.is_some();
                let options: Vec<Value> = f.get("options").and_then(Value::as_array).cloned().unwrap_or_default();
                let raw = match from_card {
                    Some(v) => s(v, "value"),
                    None => self.visit.values.get(&key).cloned().unwrap_or_default(),
                };
                let selected = options.iter().position(|o| s(o, "value") == raw).map(|i| i as i32).unwrap_or(-1);
                let value = if ty == "choice" && selected >= 0 { lang.pick(&options[selected as usize], "label") } else { raw };
                FieldData {
                    key: key.clone().into(),
                    label: lang.pick(f, "label").into(),
                    value: value.into(),
                    locked,
                    required: f.get("required").and_then(Value::as_bool).unwrap_or(false),
                    input: match ty.as_str() {
                        "choice" => "choice",
                        "text" => "text",
                        _ => "digits",
                    }
                    .into(),
                    options: strings(options.iter().map(|o| lang.pick(o, "label"))),
                    selected,
                    error: self.visit.errors.get(&key).map(|e| text::problem(lang, e)).unwrap_or_default().into(),
                    hint: text::field_hint(lang, &ty).into(),
                }
            })
            .collect()
    }

    fn field_type(&self, index: usize) -> String {
        self.item_detail()
            .and_then(|i| i.get("form")?.get("fields")?.get(index).cloned())
            .map(|f| s(&f, "type"))
            .unwrap_or_default()
    }

    fn select_field(&mut self, i: i32) {
        let Ok(i) = usize::try_from(i) else { return };
        let fields = self.form_fields();
        let Some(f) = fields.get(i) else { return };
        if f.locked || f.input == "choice" {
            self.visit.active = None;
            return;
        }
        self.visit.active = Some(i);
        self.composition.clear();
        self.candidates.clear();
        self.kb_mode = if f.input == "text" { "pinyin".into() } else { "digits".into() };
    }

    fn choose_option(&mut self, i: i32, j: i32) {
        let Some(item) = self.item_detail() else { return };
        let Some(field) = item.get("form").and_then(|f| f.get("fields")).and_then(|f| f.get(i.max(0) as usize)).cloned() else { return };
        let Some(option) = field.get("options").and_then(|o| o.get(j.max(0) as usize)) else { return };
        let key = s(&field, "key");
        self.visit.values.insert(key.clone(), s(option, "value"));
        self.visit.errors.remove(&key);
        self.visit.active = None;
    }

    fn target(&self) -> Option<Target> {
        if self.maint == Some(Maint::Fault) {
            return Some(Target::Fault);
        }
        if self.maint.is_some() {
            return None;
        }
        match self.state() {
            "in_service" if !self.visit.confirming => self.visit.active.map(Target::Field),
            "rating" | "printing" if self.visit.complaining => Some(Target::Complaint),
            _ if self.visit.searching => Some(Target::Search),
            _ => None,
        }
    }

    fn target_text(&mut self, t: Target) -> Option<&mut String> {
        match t {
            Target::Search => Some(&mut self.visit.search),
            Target::Complaint => Some(&mut self.visit.complaint),
            Target::Fault => Some(&mut self.fault_text),
            Target::Field(i) => {
                let key = self.item_detail()?.get("form")?.get("fields")?.get(i)?.get("key")?.as_str()?.to_string();
                self.visit.errors.remove(&key);
                Some(self.visit.values.entry(key).or_default())
            }
        }
    }

    fn limit(&self, t: Target) -> usize {
        match t {
            Target::Search => 30,
            Target::Complaint | Target::Fault => 500,
            Target::Field(i) => self
                .item_detail()
                .and_then(|it| it.get("form")?.get("fields")?.get(i)?.get("max_len")?.as_u64())
                .map(|n| n as usize)
                .unwrap_or(100),
        }
    }

    fn key(&mut self, k: &str) {
        let Some(t) = self.target() else { return };
        if self.kb_mode == "pinyin" && k.len() == 1 && k.as_bytes()[0].is_ascii_lowercase() {
            if self.composition.len() < 24 {
                self.composition.push_str(k);
                self.candidates = crate::pinyin::candidates(&self.composition, 8);
            }
            return;
        }
        if self.kb_mode == "pinyin" && k == " " && !self.composition.is_empty() {
            self.candidate(0);
            return;
        }
        let is_date = matches!(t, Target::Field(i) if self.field_type(i) == "date");
        let limit = self.limit(t);
        let Some(text) = self.target_text(t) else { return };
        if text.chars().count() >= limit {
            return;
        }
        if is_date {
            // Typed as 8 digits; the dashes come by themselves: 1950-01-31.
            let mut digits: String = text.chars().filter(char::is_ascii_digit).collect();
            if k.len() == 1 && k.as_bytes()[0].is_ascii_digit() && digits.len() < 8 {
                digits.push_str(k);
            }
            *text = format_date(&digits);
            return;
        }
        text.push_str(k);
    }

    fn backspace(&mut self) {
        if !self.composition.is_empty() {
            self.composition.pop();
            self.candidates = crate::pinyin::candidates(&self.composition, 8);
            return;
        }
        let Some(t) = self.target() else { return };
        let is_date = matches!(t, Target::Field(i) if self.field_type(i) == "date");
        if let Some(text) = self.target_text(t) {
            if is_date {
                let mut digits: String = text.chars().filter(char::is_ascii_digit).collect();
                digits.pop();
                *text = format_date(&digits);
            } else {
                text.pop();
            }
        }
    }

    fn candidate(&mut self, i: i32) {
        let Some(c) = usize::try_from(i).ok().and_then(|i| self.candidates.get(i)).cloned() else { return };
        if let Some(t) = self.target() {
            let limit = self.limit(t);
            if let Some(text) = self.target_text(t) {
                if text.chars().count() + c.chars().count() <= limit {
                    text.push_str(&c);
                }
            }
        }
        self.composition.clear();
        self.candidates.clear();
    }

    fn switch_mode(&mut self, m: &str) {
        if matches!(m, "pinyin" | "latin" | "digits") {
            self.kb_mode = m.to_string();
            self.composition.clear();
            self.candidates.clear();
        }
    }

    fn keyboard_done(&mut self) {
        self.composition.clear();
        self.candidates.clear();
        match self.target() {
            Some(Target::Search) => self.run_search(),
            Some(Target::Field(_)) => self.visit.active = None,
            _ => {}
        }
    }

    fn form_next(&mut self) {
        self.visit.active = None;
        self.composition.clear();
        let fields = self.form_fields();
        let mut values = serde_json::Map::new();
        for f in fields.iter().filter(|f| !f.locked) {
            values.insert(f.key.to_string(), Value::String(self.visit.values.get(f.key.as_str()).cloned().unwrap_or_default()));
        }
        // Required fields are checked here, so the citizen sees every problem at once.
        self.visit.errors.clear();
        for f in fields.iter().filter(|f| f.required && !f.locked) {
            if self.visit.values.get(f.key.as_str()).is_none_or(|v| v.trim().is_empty()) {
                self.visit.errors.insert(f.key.to_string(), "required".into());
            }
        }
        self.api.post("/v1/session/fields", json!({ "fields": values }), |c, r| {
            if let Some(problems) = problems_of(&r) {
                c.visit.errors.extend(problems);
            }
            if error_of(&r).is_some() && c.visit.errors.is_empty() {
                c.fail(&r);
            }
            if error_of(&r).is_none() && c.visit.errors.is_empty() {
                c.visit.confirming = true;
            }
        });
    }

    fn confirm_submit(&mut self) {
        self.api.post("/v1/session/submit", json!({}), |c, r| {
            if let Some(problems) = problems_of(&r) {
                c.visit.errors = problems.collect();
                c.visit.confirming = false;
                return;
            }
            c.fail(&r);
        });
    }

    fn skip_print(&mut self) {
        self.api.post("/v1/session/skip-print", json!({}), |c, r| c.fail(&r));
    }

    fn rate(&mut self, level: i32) {
        if self.visit.rating != level {
            self.visit.rating = level.clamp(1, 5);
            self.visit.reasons = vec![false; text::reasons(self.lang, self.visit.rating).len()];
        }
    }

    fn toggle_reason(&mut self, i: i32) {
        if let Some(r) = usize::try_from(i).ok().and_then(|i| self.visit.reasons.get_mut(i)) {
            *r = !*r;
        }
    }

    fn open_complaint(&mut self) {
        self.visit.complaining = true;
        self.kb_mode = "pinyin".into();
        self.composition.clear();
        self.candidates.clear();
    }

    fn send_rating(&mut self, with_complaint: bool) {
        let level = if self.visit.rating == 0 && with_complaint { 1 } else { self.visit.rating };
        if level == 0 {
            return;
        }
        // Reasons are recorded in Chinese whatever the screen language, like the platform's
        // 好差评 categories.
        let reasons: Vec<&str> = text::reasons(Lang::Zh, level)
            .into_iter()
            .zip(self.visit.reasons.iter().chain(std::iter::repeat(&false)))
            .filter(|(_, on)| **on)
            .map(|(r, _)| r)
            .collect();
        let mut body = json!({ "level": level, "reasons": reasons });
        if with_complaint && !self.visit.complaint.trim().is_empty() {
            body["complaint"] = Value::String(self.visit.complaint.trim().to_string());
        }
        self.api.post("/v1/session/rate", body, |c, r| c.fail(&r));
    }

    // ------------------------------------------------------------------ maintenance

    fn pin_key(&mut self, k: &str) {
        if k == "enter" {
            let pin = std::mem::take(&mut self.pin);
            self.api.post("/v1/maintenance/login", json!({ "pin": pin }), |c, r| match r {
                Ok(r) if r.ok() => {
                    c.token = r.body.get("token").and_then(Value::as_str).map(str::to_string);
                    c.pin_error.clear();
                    c.maint = Some(Maint::Menu);
                    c.maint_message.clear();
                    c.load_maintenance();
                }
                Ok(r) => {
                    let details = r.body.get("details").cloned().unwrap_or(Value::Null);
                    c.pin_error = match s(&r.body, "error").as_str() {
                        "wrong_pin" => {
                            let left = details.get("attempts_left").and_then(Value::as_u64).unwrap_or(0);
                            match c.lang {
                                Lang::Zh => format!("密码不对，还可以再试 {left} 次"),
                                Lang::En => format!("Wrong PIN; {left} attempts left"),
                            }
                        }
                        "locked_out" => {
                            let minutes = details.get("retry_after_s").and_then(Value::as_u64).unwrap_or(60).div_ceil(60);
                            match c.lang {
                                Lang::Zh => format!("输错次数太多，已锁定，请 {minutes} 分钟后再试"),
                                Lang::En => format!("Too many wrong PINs: locked, try again in {minutes} min"),
                            }
                        }
                        _ => c.lang.t("本机没有设置维护密码", "No maintenance PIN is set on this terminal").to_string(),
                    };
                }
                Err(_) => c.pin_error = c.lang.t("终端服务没有响应", "The terminal service is not answering").to_string(),
            });
        } else if k.len() == 1 && k.as_bytes()[0].is_ascii_digit() && self.pin.len() < 12 {
            self.pin.push_str(k);
        }
    }

    fn load_maintenance(&mut self) {
        let Some(token) = self.token.clone() else { return };
        self.api.with_token("GET", "/v1/maintenance/devices", None, &token, |c, r| match r {
            Ok(r) if r.ok() => c.devices = r.body,
            other => c.maintenance_failed(&other),
        });
        self.api.with_token("GET", "/v1/maintenance/counts", None, &token, |c, r| {
            if let Ok(r) = r.filter_ok() {
                c.counts = r.body;
            }
        });
        self.api.get("/v1/status", |c, r| {
            if let Ok(r) = r.filter_ok() {
                c.status = r.body;
            }
        });
    }

    fn maintenance_failed(&mut self, r: &Result<Response, ClientError>) {
        if error_of(r).as_deref() == Some("not_logged_in") {
            // The token expired: ask for the PIN again.
            self.token = None;
            self.maint = Some(Maint::Pin);
            self.pin_error = self.lang.t("登录已过期，请重新输入密码", "Your login expired; enter the PIN again").to_string();
        } else if error_of(r).is_some() {
            self.maint_message = self.lang.t("操作没有成功", "That did not work").to_string();
        }
    }

    fn leave_maintenance(&mut self) {
        if let Some(token) = self.token.take() {
            self.api.with_token("POST", "/v1/maintenance/logout", Some(json!({})), &token, |_, _| {});
        }
        self.maint = None;
        self.pin.clear();
        self.pin_error.clear();
        self.fault_text.clear();
        self.fault_category = None;
        self.composition.clear();
        self.candidates.clear();
    }

    fn maintenance(&mut self, action: &str) {
        let Some(token) = self.token.clone() else {
            self.leave_maintenance();
            return;
        };
        let done = |zh: &'static str, en: &'static str| {
            move |c: &mut Ctl, r: Result<Response, ClientError>| {
                if error_of(&r).is_none() {
                    c.maint_message = c.lang.t(zh, en).to_string();
                    c.load_maintenance();
                } else {
                    c.maintenance_failed(&r);
                }
            }
        };
        match action {
            "paper-refilled" => self.api.with_token("POST", "/v1/maintenance/paper-refilled", Some(json!({})), &token, done("已通知打印机重新检查纸张", "The printer is being checked again")),
            "test-page" => self.api.with_token("POST", "/v1/maintenance/test-page", Some(json!({})), &token, done("测试页已发送到打印机", "Test page sent to the printer")),
            "sync-now" => self.api.with_token("POST", "/v1/maintenance/sync-now", Some(json!({})), &token, done("已开始同步", "Sync started")),
            "out-of-service" => {
                let on = self.status.get("out_of_service").is_none_or(Value::is_null);
                let body = json!({ "on": on, "reason": self.lang.t("协办员暂停服务", "Stopped by the village assistant") });
                self.api.with_token("POST", "/v1/maintenance/out-of-service", Some(body), &token, done("已更新服务状态", "Service state updated"));
            }
            "refresh" | "menu" => {
                self.maint = Some(Maint::Menu);
                self.load_maintenance();
            }
            "fault" => {
                self.maint = Some(Maint::Fault);
                self.fault_text.clear();
                self.fault_category = None;
                self.kb_mode = "pinyin".into();
            }
            "send-fault" => {
                let Some(category) = self.fault_category.and_then(|i| text::fault_categories(Lang::Zh).get(i).map(|c| c.0)) else {
                    self.maint_message = self.lang.t("请先选择故障类别", "Choose what is broken first").to_string();
                    return;
                };
                let body = json!({ "category": category, "text": self.fault_text.trim() });
                self.api.with_token("POST", "/v1/maintenance/fault", Some(body), &token, |c, r| {
                    if error_of(&r).is_none() {
                        c.maint = Some(Maint::Menu);
                        c.fault_text.clear();
                        c.fault_category = None;
                        c.maint_message = c.lang.t("故障已记录，会上报到平台", "Fault recorded; it will be reported to the platform").to_string();
                        c.load_maintenance();
                    } else {
                        c.maintenance_failed(&r);
                    }
                });
            }
            "logout" => self.leave_maintenance(),
            _ => {}
        }
    }

    fn demo_action(&mut self, action: &str) {
        let Some(demo) = &self.options.demo else { return };
        match action {
            "place" => demo.send(&format!("{{\"place\": {}}}", DEMO_CARD.trim())),
            "remove" => demo.send("{\"remove\": true}"),
            "paper-out" => demo.send("{\"paper\": \"out\"}"),
            "paper-ok" => demo.send("{\"paper\": \"ok\"}"),
            _ => {}
        }
    }

    // ------------------------------------------------------------------ time

    /// Periodic housekeeping; true when something visible changed.
    fn tick(&mut self) -> bool {
        let mut changed = false;
        if self.notice.as_ref().is_some_and(|(_, at)| at.elapsed() > Duration::from_secs(6)) {
            self.notice = None;
            changed = true;
        }
        if self.card_error.as_ref().is_some_and(|(_, at)| at.elapsed() > Duration::from_secs(12)) {
            self.card_error = None;
            changed = true;
        }
        if !self.in_visit() && !self.idle_nav.is_empty() && self.last_touch.elapsed() > Duration::from_secs(120) {
            self.idle_nav.clear();
            changed = true;
        }
        if self.maint.is_some() && self.last_touch.elapsed() > Duration::from_secs(300) {
            self.leave_maintenance();
            changed = true;
        }
        if let Some(until) = self.countdown_until {
            if until <= Instant::now() {
                // The daemon's timeout event or session change follows.
                self.countdown_until = None;
            }
            changed = true;
        }
        changed
    }

    fn countdown(&self) -> i32 {
        self.countdown_until.map(|u| u.saturating_duration_since(Instant::now()).as_secs_f64().ceil() as i32).unwrap_or(0)
    }

    // ------------------------------------------------------------------ rendering

    fn per_page_list(&self) -> usize {
        self.win.upgrade().map(|w| w.get_list_per_page().max(1) as usize).unwrap_or(6)
    }

    fn page_count(&self) -> usize {
        let n = match self.visit.nav.last() {
            Some(Nav::Items { items, .. }) => items.len(),
            Some(Nav::Knowledge) => self.knowledge.len(),
            None => {
                let w = self.win.upgrade();
                let per = w.map(|w| (w.get_columns() * w.get_rows_per_page()).max(1) as usize).unwrap_or(12);
                return (self.home_tiles().len()).div_ceil(per).max(1);
            }
            _ => return 1,
        };
        n.div_ceil(self.per_page_list()).max(1)
    }

    fn home_tiles(&self) -> Vec<TileData> {
        let lang = self.lang;
        let mut tiles: Vec<TileData> = self
            .categories
            .iter()
            .map(|c| TileData {
                code: s(c, "code").into(),
                name: lang.pick(c, "name").into(),
                detail: match lang {
                    Lang::Zh => format!("{} 项", c.get("items").and_then(Value::as_u64).unwrap_or(0)),
                    Lang::En => format!("{} services", c.get("items").and_then(Value::as_u64).unwrap_or(0)),
                }
                .into(),
                note: SharedString::new(),
                enabled: true,
            })
            .collect();
        tiles.push(TileData {
            code: "@knowledge".into(),
            name: lang.t("政策知识", "Policies and advice").into(),
            detail: lang.t("防骗提醒、政策解读", "Anti-fraud advice, policy explainers").into(),
            note: SharedString::new(),
            enabled: true,
        });
        tiles
    }

    fn item_tile(&self, item: &Value) -> TileData {
        let lang = self.lang;
        let availability = item.get("availability").cloned().unwrap_or(Value::Null);
        let mut note = text::availability_note(lang, &availability);
        let needs_card = s(item, "identity") == "card" && self.session.get("citizen").is_none_or(Value::is_null);
        if note.is_empty() && needs_card && s(item, "kind") != "guide" {
            note = lang.t("需要身份证", "Needs your ID card").to_string();
        }
        TileData {
            code: s(item, "code").into(),
            name: lang.pick(item, "name").into(),
            detail: format!("{} · {}", text::kind_label(lang, &s(item, "kind")), s(item, "department")).into(),
            enabled: note.is_empty() || note == lang.t("需要身份证", "Needs your ID card"),
            note: note.into(),
        }
    }

    fn screen(&self) -> Screen {
        if let Some(m) = self.maint {
            return match m {
                Maint::Pin => Screen::Pin,
                Maint::Menu => Screen::Maintenance,
                Maint::Fault => Screen::Fault,
            };
        }
        if !self.connected {
            return Screen::OutOfService;
        }
        let idle_view = |nav: Option<&Nav>| match nav {
            Some(Nav::Knowledge) => Some(Screen::Knowledge),
            Some(Nav::Article(_)) => Some(Screen::Article),
            _ => None,
        };
        match self.state() {
            "identifying" => Screen::Reading,
            "authenticated" | "browsing" => match self.visit.nav.last() {
                Some(Nav::Items { .. }) => Screen::Items,
                Some(Nav::Guide(_)) => Screen::Guide,
                Some(Nav::Knowledge) => Screen::Knowledge,
                Some(Nav::Article(_)) => Screen::Article,
                None => Screen::Home,
            },
            "in_service" => {
                if self.visit.confirming {
                    Screen::Confirm
                } else {
                    Screen::Form
                }
            }
            "submitting" | "printing" => Screen::Working,
            "rating" => {
                if self.visit.complaining {
                    Screen::Complaint
                } else {
                    Screen::Rating
                }
            }
            "finished" => Screen::Goodbye,
            _ => {
                if let Some(v) = idle_view(self.idle_nav.last()) {
                    v
                } else if self.status.get("out_of_service").is_some_and(|o| !o.is_null()) {
                    Screen::OutOfService
                } else if self.status.get("open") == Some(&Value::Bool(false)) {
                    Screen::Closed
                } else if self.card_error.is_some() {
                    Screen::Reading
                } else {
                    Screen::Attract
                }
            }
        }
    }

    pub fn render(&mut self) {
        let Some(w) = self.win.upgrade() else { return };
        let lang = self.lang;
        w.global::<Theme>().set_elderly(self.elderly);
        let screen = self.screen();
        w.set_screen(screen);
        w.set_terminal_name(s(self.status.get("terminal").unwrap_or(&Value::Null), "name").into());
        w.set_online(self.status.get("online").and_then(Value::as_bool).unwrap_or(false));
        w.set_notice(self.notice.as_ref().map(|(n, _)| n.clone()).unwrap_or_default().into());
        w.set_countdown(if self.in_visit() { self.countdown() } else { 0 });
        let citizen = self.session.get("citizen").filter(|c| !c.is_null());
        w.set_citizen(citizen.map(|c| s(c, "name_masked")).unwrap_or_default().into());
        w.set_card_error(self.card_error.as_ref().map(|(k, _)| k.clone()).unwrap_or_default().into());
        let names: Vec<String> = self.categories.iter().map(|c| lang.pick(c, "name")).collect();
        w.set_offer(names.join(lang.list_separator()).into());
        let hours = self.status.get("hours").cloned().unwrap_or(Value::Null);
        w.set_hours_text(
            match lang {
                Lang::Zh => format!("服务时间：每天 {}–{}", s(&hours, "open"), s(&hours, "close")),
                Lang::En => format!("Opening hours: {}–{} daily", s(&hours, "open"), s(&hours, "close")),
            }
            .into(),
        );
        let oos = self.status.get("out_of_service").cloned().unwrap_or(Value::Null);
        w.set_out_of_service(!oos.is_null());
        w.set_out_of_service_reason(
            if !self.connected {
                lang.t("正在连接终端服务，请稍候……", "Connecting to the terminal service, please wait…").to_string()
            } else {
                s(&oos, "reason")
            }
            .into(),
        );

        // Lists, paged to fit the screen.
        let pages = self.page_count();
        if self.visit.page >= pages {
            self.visit.page = pages - 1;
        }
        let page = if self.in_visit() { self.visit.page } else { 0 };
        w.set_page(page as i32);
        w.set_pages(pages as i32);
        let columns = w.get_columns().max(1) as usize;
        let per_home = columns * w.get_rows_per_page().max(1) as usize;
        let tiles = self.home_tiles();
        let rows: Vec<TileRow> = tiles
            .iter()
            .skip(page * per_home)
            .take(per_home)
            .cloned()
            .collect::<Vec<_>>()
            .chunks(columns)
            .map(|c| {
                // The last row keeps the grid's column widths: invisible fillers (no code).
                let mut cells = c.to_vec();
                cells.resize(columns, TileData::default());
                TileRow { cells: model(cells) }
            })
            .collect();
        w.set_tiles(model(rows));
        w.set_searching(self.visit.searching);
        w.set_search_text(self.visit.search.clone().into());
        let per_list = self.per_page_list();
        let nav = if self.in_visit() { self.visit.nav.last().cloned() } else { self.idle_nav.last().cloned() };
        match &nav {
            Some(Nav::Items { category, title, items }) => {
                let title = match category {
                    Some(code) => self.categories.iter().find(|c| &s(c, "code") == code).map(|c| lang.pick(c, "name")).unwrap_or_default(),
                    None => format!("{}{}", lang.t("搜索：", "Search: "), title),
                };
                w.set_list_title(title.into());
                w.set_list(model(items.iter().skip(page * per_list).take(per_list).map(|i| self.item_tile(i)).collect()));
            }
            Some(Nav::Knowledge) => {
                w.set_list_title(lang.t("政策知识", "Policies and advice").into());
                w.set_list(model(
                    self.knowledge
                        .iter()
                        .skip(page * per_list)
                        .take(per_list)
                        .enumerate()
                        .map(|(i, k)| TileData {
                            code: i.to_string().into(),
                            name: lang.pick(k, "title").into(),
                            detail: text::knowledge_category(lang, &s(k, "category")).into(),
                            note: SharedString::new(),
                            enabled: true,
                        })
                        .collect(),
                ));
            }
            Some(Nav::Article(i)) => {
                if let Some(k) = self.knowledge.get(*i) {
                    let picture = k.get("image").and_then(Value::as_str).and_then(|name| {
                        let dir = self.options.pictures.as_ref()?;
                        // Only a plain file name inside the pictures folder.
                        if name.contains('/') || name.starts_with('.') {
                            return None;
                        }
                        slint::Image::load_from_path(&dir.join(name)).ok()
                    });
                    w.set_article(ArticleData {
                        id: s(k, "id").into(),
                        title: lang.pick(k, "title").into(),
                        category: text::knowledge_category(lang, &s(k, "category")).into(),
                        body: lang.pick(k, "body").into(),
                        has_picture: picture.is_some(),
                        picture: picture.unwrap_or_default(),
                    });
                }
            }
            _ => {}
        }
        if let Some(item) = self.item_detail().cloned() {
            w.set_item_name(lang.pick(&item, "name").into());
            w.set_item_department(s(&item, "department").into());
            let guide = item.get("guide").cloned().unwrap_or(Value::Null);
            w.set_item_summary(lang.pick(&guide, "summary").into());
            let sections: Vec<SectionData> = guide
                .get("sections")
                .and_then(Value::as_array)
                .map(|a| a.iter().map(|x| SectionData { title: lang.pick(x, "title").into(), body: lang.pick(x, "body").into() }).collect())
                .unwrap_or_default();
            w.set_sections(model(sections));
            let tile = self.item_tile(&item);
            let kind = s(&item, "kind");
            let available = item.get("availability").and_then(|a| a.get("available")).and_then(Value::as_bool).unwrap_or(true);
            let has_card = citizen.is_some();
            let needs_card = s(&item, "identity") == "card";
            let action = if kind == "guide" || !available || (needs_card && !has_card) { "" } else { text::action_label(lang, &kind) };
            w.set_item_action(action.into());
            let blocked = if !available {
                tile.note.to_string()
            } else if kind != "guide" && needs_card && !has_card {
                lang.t("办理这个事项需要身份证：请把身份证放在读卡区，然后再点这个事项。", "This service needs your ID card: place it on the reader, then open this service again.").to_string()
            } else {
                String::new()
            };
            w.set_item_blocked(blocked.into());
            let fields = self.form_fields();
            let summary: Vec<KeyValue> = fields.iter().filter(|f| !f.value.is_empty()).map(|f| KeyValue { key: f.label.clone(), value: f.value.clone() }).collect();
            w.set_fields(model(fields));
            w.set_summary(model(summary));
            let result = item.get("form").map(|f| lang.pick(f, "result")).filter(|r| !r.is_empty());
            let from_daemon = s(&self.session, "result");
            w.set_result_text(if lang == Lang::En { result.unwrap_or(from_daemon) } else if from_daemon.is_empty() { result.unwrap_or_default() } else { from_daemon }.into());
        } else {
            w.set_result_text(s(&self.session, "result").into());
        }
        if screen != Screen::Guide && screen != Screen::Article {
            w.set_guide_scroll(0.0);
        }
        w.set_active_field(self.visit.active.map(|i| i as i32).unwrap_or(-1));
        w.set_keyboard_mode(self.kb_mode.clone().into());
        let field_ty = self.visit.active.map(|i| self.field_type(i)).unwrap_or_default();
        w.set_keyboard_modes(screen != Screen::Form || field_ty == "text");
        w.set_composition(self.composition.clone().into());
        w.set_candidates(strings(self.candidates.clone()));
        let print = s(&self.session, "print");
        w.set_print_state(print.clone().into());
        w.set_work_state(
            match (self.state(), print.as_str()) {
                ("submitting", _) => "submitting",
                (_, "held") => "held",
                _ => "printing",
            }
            .into(),
        );
        w.set_rating(self.visit.rating);
        let reasons = text::reasons(lang, self.visit.rating.max(1));
        w.set_reasons(model(
            reasons.iter().enumerate().map(|(i, r)| ChipData { label: (*r).into(), selected: self.visit.reasons.get(i).copied().unwrap_or(false) }).collect(),
        ));
        w.set_complaint_text(format!("{}{}", self.visit.complaint, self.composition_suffix(Target::Complaint)).into());
        // Maintenance.
        w.set_pin_dots("●".repeat(self.pin.len()).into());
        w.set_pin_error(self.pin_error.clone().into());
        let devices: Vec<DeviceData> = ["idcard", "printer"]
            .iter()
            .map(|d| {
                let health = self.devices.get(*d).or_else(|| self.status.get("devices").and_then(|x| x.get(*d))).cloned().unwrap_or(Value::Null);
                let (state, ok) = text::device_state(lang, d, &health);
                DeviceData { name: (if *d == "idcard" { lang.t("身份证读卡器", "ID card reader") } else { lang.t("回执打印机", "Receipt printer") }).into(), state: state.into(), ok }
            })
            .chain(std::iter::once({
                let online = self.status.get("online").and_then(Value::as_bool).unwrap_or(false);
                DeviceData { name: lang.t("平台连接", "Platform link").into(), state: (if online { lang.t("在线", "Online") } else { lang.t("离线（资料会在联网后上传）", "Offline (data uploads once back online)") }).into(), ok: online }
            }))
            .collect();
        w.set_devices(model(devices));
        let mut counts: Vec<KeyValue> = self
            .counts
            .get("counts")
            .and_then(Value::as_object)
            .map(|m| m.iter().map(|(k, v)| KeyValue { key: text::count_label(lang, k).into(), value: v.to_string().into() }).collect())
            .unwrap_or_default();
        if let Some(p) = self.counts.get("outbox").and_then(|o| o.get("pending")) {
            counts.push(KeyValue { key: lang.t("待上传记录", "Records waiting to upload").into(), value: p.to_string().into() });
        }
        w.set_counts(model(counts));
        w.set_maintenance_message(self.maint_message.clone().into());
        w.set_fault_categories(model(
            text::fault_categories(lang).iter().enumerate().map(|(i, (_, l))| ChipData { label: (*l).into(), selected: self.fault_category == Some(i) }).collect(),
        ));
        w.set_fault_text(format!("{}{}", self.fault_text, self.composition_suffix(Target::Fault)).into());
        if screen == Screen::Form {
            // Show the pinyin being composed inside the active field.
            if let (Some(i), false) = (self.visit.active, self.composition.is_empty()) {
                let fields = w.get_fields();
                if let Some(mut f) = fields.row_data(i) {
                    f.value = format!("{}{}", f.value, self.composition).into();
                    fields.set_row_data(i, f);
                }
            }
        }
        if self.visit.searching && !self.composition.is_empty() {
            w.set_search_text(format!("{}{}", self.visit.search, self.composition).into());
        }
    }

    fn composition_suffix(&self, t: Target) -> String {
        if self.target() == Some(t) { self.composition.clone() } else { String::new() }
    }
}

trait FilterOk {
    fn filter_ok(self) -> Result<Response, ()>;
}

impl FilterOk for Result<Response, ClientError> {
    fn filter_ok(self) -> Result<Response, ()> {
        match self {
            Ok(r) if r.ok() => Ok(r),
            _ => Err(()),
        }
    }
}

/// `YYYYMMDD` digits (possibly fewer) as `YYYY-MM-DD`.
pub fn format_date(digits: &str) -> String {
    let d: String = digits.chars().filter(char::is_ascii_digit).take(8).collect();
    match d.len() {
        0..=4 => d,
        5..=6 => format!("{}-{}", &d[..4], &d[4..]),
        _ => format!("{}-{}-{}", &d[..4], &d[4..6], &d[6..]),
    }
}

/// Percent-encodes a query or path component.
pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_get_their_dashes() {
        assert_eq!(format_date(""), "");
        assert_eq!(format_date("1950"), "1950");
        assert_eq!(format_date("19500"), "1950-0");
        assert_eq!(format_date("195001"), "1950-01");
        assert_eq!(format_date("1950013"), "1950-01-3");
        assert_eq!(format_date("19500131"), "1950-01-31");
        assert_eq!(format_date("1950013199"), "1950-01-31");
    }

    #[test]
    fn urls_are_encoded() {
        assert_eq!(urlencode("ylj"), "ylj");
        assert_eq!(urlencode("养老"), "%E5%85%BB%E8%80%81");
        assert_eq!(urlencode("a b&c"), "a%20b%26c");
    }
}
