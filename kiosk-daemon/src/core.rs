//! The daemon's core: one thread, one closed enum of inputs, handled in one place.
//!
//! Every input — a device event, a citizen's intent from the API, a maintenance call, a timer
//! tick — is an [`Input`] variant, and [`Core::handle`] is the only code that changes the
//! session, the terminal mode or the database. The API and the device threads only send inputs
//! and wait for replies; so the order of events is the order of this loop, and the state
//! machine can be read top to bottom.

use std::collections::{BTreeMap, HashSet};
use std::sync::mpsc::Sender;
use std::time::{Duration, Instant};

use kiosk_drivers::idcard::{mask_id, mask_name, IdCard};
use kiosk_drivers::printer::receipt::{test_page, PaperWidth, Receipt};
use serde::Serialize;
use serde_json::{json, Value};
use tokio::sync::{broadcast, oneshot};

use crate::catalogue::{Catalogue, Item, Kind};
use crate::console::command::HoursOverride;
use crate::console::{ConsoleReply, ConsoleRequest};
use crate::config::Config;
use crate::devices::{DeviceState, PrintOutcome, PrinterCommand, PrinterHealth, ReaderHealth};
use crate::maintenance::{Maintenance, PinError};
use crate::session::{CardOutcome, Citizen, PrintState, Session, SessionError, Timer, Timing};
use crate::store::{NewTransaction, Store};
use crate::time;

/// Everything the core reacts to.
#[derive(Debug)]
pub enum Input {
    /// The reader found a card and is reading it.
    CardDetected,
    CardRead(Box<IdCard>),
    /// A read failed; the kind is `ReaderError::kind`.
    CardFailed(&'static str),
    Reader(ReaderHealth),
    Printer(PrinterHealth),
    PrintStarted { receipt_id: i64 },
    Printed { receipt_id: i64, outcome: PrintOutcome },
    Api(Request, oneshot::Sender<Reply>),
    /// A technician console request.
    Console(ConsoleRequest, Sender<ConsoleReply>),
    /// News from the sync agent.
    Sync(crate::sync::SyncEvent),
    Shutdown,
}

/// Requests from the local API.
#[derive(Debug)]
pub enum Request {
    Status,
    Session,
    Categories,
    Items { category: Option<String> },
    Item { code: String },
    Search { q: String },
    Knowledge,
    Start,
    Browse,
    Choose { code: String },
    SetFields { fields: BTreeMap<String, String> },
    Submit,
    SkipPrint,
    Rate { level: u8, reasons: Vec<String>, complaint: Option<String> },
    Extend,
    Finish,
    Elderly { on: bool },
    Activity,
    Login { pin: String },
    Maintenance { token: String, action: MaintenanceAction },
}

#[derive(Debug)]
pub enum MaintenanceAction {
    Logout,
    Devices,
    TestPage,
    PaperRefilled,
    Fault { category: String, text: String },
    OutOfService { on: bool, reason: Option<String> },
    SyncNow,
    Counts,
    Assist { on: bool },
    Receipts,
    Hours { set: HoursOverride },
}

/// An API error: HTTP status, a stable code, a message (English; the UI translates codes).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApiError {
    #[serde(skip)]
    pub status: u16,
    pub error: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<Value>,
}

impl ApiError {
    pub fn new(status: u16, error: &str, message: impl Into<String>) -> ApiError {
        ApiError { status, error: error.into(), message: message.into(), details: None }
    }
}

pub type Reply = Result<Value, ApiError>;

impl From<SessionError> for ApiError {
    fn from(e: SessionError) -> ApiError {
        let details = serde_json::to_value(&e).ok();
        let (status, code) = match &e {
            SessionError::WrongState { .. } => (409, "wrong_state"),
            SessionError::NeedsCard => (409, "needs_card"),
            SessionError::UnknownItem => (404, "unknown_item"),
            SessionError::Unavailable { .. } => (409, "unavailable"),
            SessionError::FieldLocked { .. } => (422, "field_locked"),
            SessionError::Invalid { .. } => (422, "invalid"),
            SessionError::BadRating => (422, "bad_rating"),
        };
        ApiError { status, error: code.into(), message: e.to_string(), details }
    }
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    tracing::error!(error = %e, "internal error");
    ApiError::new(500, "internal", e.to_string())
}

/// A server-sent event for the UI.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub event: &'static str,
    pub data: Value,
}

/// Why the terminal is not serving citizens, when it is not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutOfService {
    pub reason: String,
    pub since: i64,
}

pub struct Core {
    config: Config,
    timing: Timing,
    store: Store,
    catalogue: Catalogue,
    stopped: HashSet<String>,
    session: Session,
    reader: ReaderHealth,
    printer: PrinterHealth,
    printer_tx: Sender<PrinterCommand>,
    events: broadcast::Sender<Event>,
    maintenance: Maintenance,
    out_of_service: Option<OutOfService>,
    started: Instant,
    started_unix: i64,
    online: bool,
    sync_requested: bool,
    last_purge: Option<Instant>,
    config_path: Option<std::path::PathBuf>,
    hours_override: HoursOverride,
    was_open: bool,
    sync_wake: Option<std::sync::Arc<tokio::sync::Notify>>,
    sync_status: Option<String>,
    sync_error: Option<String>,
    last_sync_ok: Option<i64>,
}

/// How often acknowledged personal data past its retention is purged.
const PURGE_EVERY: Duration = Duration::from_secs(3600);

const OUT_OF_SERVICE_KEY: &str = "out_of_service";
const HOURS_OVERRIDE_KEY: &str = "hours_override";

impl Core {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        config: Config,
        config_path: Option<std::path::PathBuf>,
        store: Store,
        catalogue: Catalogue,
        printer_tx: Sender<PrinterCommand>,
        events: broadcast::Sender<Event>,
        started: Instant,
    ) -> Result<Core, crate::store::StoreError> {
        let stopped = store.stopped_items()?.into_iter().collect();
        let out_of_service = store.setting(OUT_OF_SERVICE_KEY)?.and_then(|v| serde_json::from_str::<(String, i64)>(&v).ok()).map(|(reason, since)| OutOfService { reason, since });
        let maintenance = Maintenance::new(&config.maintenance);
        let hours_override = store.setting(HOURS_OVERRIDE_KEY)?.as_deref().and_then(HoursOverride::parse).unwrap_or(HoursOverride::Auto);
        let was_open = match hours_override {
            HoursOverride::Auto => config.hours.open_at(time::now_unix()),
            HoursOverride::Open => true,
            HoursOverride::Closed => false,
        };
        Ok(Core {
            timing: Timing::from_config(&config.session),
            config,
            store,
            catalogue,
            stopped,
            session: Session::new(),
            reader: ReaderHealth { state: DeviceState::Absent, problem: None },
            printer: PrinterHealth::unknown(),
            printer_tx,
            events,
            maintenance,
            out_of_service,
            started,
            started_unix: time::now_unix(),
            online: false,
            sync_requested: false,
            last_purge: None,
            config_path,
            hours_override,
            was_open,
            sync_wake: None,
            sync_status: None,
            sync_error: None,
            last_sync_ok: None,
        })
    }

    /// Connects the sync agent: "sync now" and new records wake it.
    pub fn set_sync_wake(&mut self, wake: std::sync::Arc<tokio::sync::Notify>) {
        self.sync_wake = Some(wake);
    }

    fn wake_sync(&self) {
        if let Some(w) = &self.sync_wake {
            w.notify_one();
        }
    }

    fn on_sync(&mut self, event: crate::sync::SyncEvent) {
        use crate::sync::SyncEvent;
        match event {
            SyncEvent::Exchange { online, status, error } => {
                if online != self.online {
                    tracing::info!(online, "platform {}", if online { "reachable" } else { "unreachable" });
                    self.emit("online", json!({ "online": online }));
                }
                self.online = online;
                self.sync_error = error;
                if online {
                    self.last_sync_ok = Some(time::now_unix());
                    self.sync_requested = false;
                }
                if let Some(s) = status {
                    let name = s.as_str().to_string();
                    if self.sync_status.as_deref() != Some(name.as_str()) {
                        tracing::info!(status = %name, "terminal status on the platform");
                    }
                    let decommissioned = s == kiosk_wire::TerminalStatus::Decommissioned;
                    let marked = self.out_of_service.as_ref().is_some_and(|o| o.reason == "decommissioned");
                    if decommissioned && !marked {
                        tracing::warn!("the platform decommissioned this terminal: it stops serving");
                        self.set_out_of_service(Some("decommissioned"));
                    }
                    self.sync_status = Some(name);
                }
            }
            SyncEvent::Catalogue(catalogue) => {
                if catalogue.version == self.catalogue.version {
                    return;
                }
                match self.store.set_catalogue(&catalogue, time::now_unix()) {
                    Ok(()) => {
                        tracing::info!(from = %self.catalogue.version, to = %catalogue.version, "catalogue updated");
                        self.catalogue = *catalogue;
                        self.emit("catalogue", json!({ "version": self.catalogue.version }));
                    }
                    Err(e) => tracing::error!(error = %e, "cannot store the new catalogue; keeping the old one"),
                }
            }
        }
    }

    /// Within operating hours (or overridden open).
    pub fn open_now(&self) -> bool {
        match self.hours_override {
            HoursOverride::Auto => self.config.hours.open_at(time::now_unix()),
            HoursOverride::Open => true,
            HoursOverride::Closed => false,
        }
    }

    /// Citizens can be served: in service and open.
    fn accepting(&self) -> bool {
        self.out_of_service.is_none() && self.open_now()
    }

    fn now_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    fn emit(&self, event: &'static str, data: Value) {
        let _ = self.events.send(Event { event, data });
    }

    fn emit_session(&self) {
        let v = self.session_view();
        self.emit("session", v);
    }

    fn current_item(&self) -> Option<&Item> {
        self.session.current_item().and_then(|c| self.catalogue.item(c))
    }

    fn session_view(&self) -> Value {
        let now = self.now_ms();
        serde_json::to_value(self.session.view(self.current_item(), now, &self.timing)).unwrap_or(Value::Null)
    }

    /// Re-sends receipts that were waiting when the daemon last stopped.
    pub fn resume_receipts(&mut self) -> Result<(), crate::store::StoreError> {
        let interrupted = self.store.settle_interrupted_receipts()?;
        if interrupted > 0 {
            tracing::warn!(count = interrupted, "receipts interrupted mid-print marked uncertain");
        }
        for job in self.store.unprinted_receipts()? {
            let _ = self.printer_tx.send(PrinterCommand::Print { id: job.id, body: job.body });
        }
        Ok(())
    }

    pub fn set_out_of_service(&mut self, reason: Option<&str>) {
        let now = time::now_unix();
        self.out_of_service = reason.map(|r| OutOfService { reason: r.to_string(), since: now });
        let stored = match &self.out_of_service {
            Some(o) => serde_json::to_string(&(o.reason.clone(), o.since)).unwrap_or_default(),
            None => String::new(),
        };
        if let Err(e) = self.store.set_setting(OUT_OF_SERVICE_KEY, &stored) {
            tracing::error!(error = %e, "cannot persist out-of-service state");
        }
        if self.out_of_service.is_some() && self.session.has_citizen() {
            self.session.finish(self.now_ms());
        }
        self.emit("out_of_service", json!(self.out_of_service));
    }

    /// The one place inputs are handled. Returns false on shutdown.
    pub fn handle(&mut self, input: Input) -> bool {
        let now_ms = self.now_ms();
        match input {
            Input::CardDetected => {
                if self.accepting() {
                    let before = self.session.state();
                    self.session.card_detected(now_ms);
                    if self.session.state() != before {
                        self.emit_session();
                    }
                }
            }
            Input::CardRead(card) => {
                if !self.accepting() {
                    // Nobody is served now; the card data is dropped at once.
                    return true;
                }
                let citizen = Citizen::from_card(&card);
                drop(card);
                let outcome = self.session.card_read(citizen, now_ms);
                tracing::info!(?outcome, session = self.session.serial(), "card accepted");
                if outcome == CardOutcome::Replaced {
                    self.emit("citizen_replaced", json!({ "session": self.session.serial() }));
                }
                self.emit_session();
            }
            Input::CardFailed(kind) => {
                self.session.card_failed();
                self.emit("card_error", json!({ "kind": kind }));
                self.emit_session();
            }
            Input::Reader(h) => {
                if h.state != self.reader.state {
                    self.record_device_fault("idcard", &h.state, h.problem.as_deref());
                }
                self.reader = h;
                self.emit("device", json!({ "device": "idcard", "health": self.reader }));
            }
            Input::Printer(h) => {
                if h.state != self.printer.state {
                    self.record_device_fault("printer", &h.state, h.problem.as_deref());
                }
                self.printer = h;
                self.emit("device", json!({ "device": "printer", "health": self.printer }));
            }
            Input::PrintStarted { receipt_id } => {
                if let Err(e) = self.store.set_receipt_state(receipt_id, "printing", None, time::now_unix()) {
                    tracing::error!(error = %e, "cannot record receipt state");
                }
            }
            Input::Printed { receipt_id, outcome } => {
                let now = time::now_unix();
                let (state, reason, view) = match &outcome {
                    PrintOutcome::Printed => ("printed", None, PrintState::Printed),
                    PrintOutcome::Held { reason } => ("held", Some(reason.as_str()), PrintState::Held),
                };
                if let Err(e) = self.store.set_receipt_state(receipt_id, state, reason, now) {
                    tracing::error!(error = %e, "cannot record receipt state");
                }
                if outcome == PrintOutcome::Printed {
                    if let Some(code) = self.session.current_item().map(str::to_string) {
                        let _ = self.store.bump_usage(now, &code, "print");
                    }
                }
                self.session.print_update(receipt_id, view);
                self.emit("print", json!({ "receipt": receipt_id, "state": state, "reason": reason }));
                self.emit_session();
            }
            Input::Api(request, reply) => {
                let result = self.request(request, now_ms);
                let _ = reply.send(result);
            }
            Input::Console(request, reply) => {
                let result = self.console(request);
                let _ = reply.send(result);
            }
            Input::Sync(event) => self.on_sync(event),
            Input::Shutdown => return false,
        }
        true
    }

    /// Timers: inactivity warning and timeout, goodbye, maintenance token expiry.
    pub fn tick(&mut self) {
        let now_ms = self.now_ms();
        match self.session.tick(now_ms, &self.timing) {
            Some(Timer::Warning { seconds_left }) => {
                self.emit("warning", json!({ "seconds_left": seconds_left }));
                self.emit_session();
            }
            Some(Timer::TimedOut) => {
                tracing::info!("session timed out and was wiped");
                self.emit("timeout", json!({}));
                self.emit_session();
            }
            Some(Timer::GoodbyeOver) => self.emit_session(),
            None => {}
        }
        self.maintenance.expire(now_ms);
        let open = self.open_now();
        if open != self.was_open {
            self.was_open = open;
            tracing::info!(open, "operating hours: terminal {}", if open { "opens" } else { "closes" });
            if !open && self.session.has_citizen() {
                self.session.finish(now_ms);
                self.emit_session();
            }
            self.emit("hours", json!({ "open": open }));
        }
        if self.last_purge.is_none_or(|t| t.elapsed() >= PURGE_EVERY) {
            self.last_purge = Some(Instant::now());
            match self.store.purge(time::now_unix(), self.config.storage.purge_after_days) {
                Ok(0) => {}
                Ok(n) => tracing::info!(transactions = n, "purged personal data past its retention"),
                Err(e) => tracing::error!(error = %e, "purge failed"),
            }
        }
    }

    fn record_device_fault(&mut self, device: &str, state: &DeviceState, problem: Option<&str>) {
        if *state == DeviceState::Ready {
            return;
        }
        let key = uuid::Uuid::now_v7().to_string();
        let text = format!("{device} {state:?}: {}", problem.unwrap_or("unknown"));
        if let Err(e) = self.store.add_fault(&key, &format!("{device}_fault"), &text, "device", time::now_unix()) {
            tracing::error!(error = %e, "cannot record device fault");
        }
    }

    fn availability_of(&self, item: &Item) -> crate::catalogue::Availability {
        item.availability(time::now_unix(), self.online, self.stopped.contains(&item.code))
    }

    fn item_summary(&self, item: &Item) -> Value {
        json!({
            "code": item.code,
            "name": item.name,
            "name_en": item.name_en,
            "department": item.department,
            "category": item.category,
            "kind": item.kind,
            "identity": item.identity,
            "availability": self.availability_of(item),
        })
    }

    fn status(&self) -> Value {
        let outbox = self.store.outbox_stats(time::now_unix()).ok();
        json!({
            "version": env!("CARGO_PKG_VERSION"),
            "terminal": { "name": self.config.terminal.name, "division_code": self.config.terminal.division_code },
            "online": self.online,
            "sync": { "configured": !self.config.sync.platform_url.is_empty(), "terminal_status": self.sync_status, "last_ok": self.last_sync_ok.map(time::format_local), "error": self.sync_error },
            "out_of_service": self.out_of_service,
            "open": self.open_now(),
            "hours": { "enabled": self.config.hours.enabled, "open": self.config.hours.open, "close": self.config.hours.close, "closed_days": self.config.hours.closed_days, "override": self.hours_override },
            "devices": { "idcard": self.reader, "printer": self.printer },
            "outbox": outbox,
            "catalogue": { "version": self.catalogue.version, "items": self.catalogue.items.len() },
            "session": { "state": self.session.state() },
            "uptime_s": self.started.elapsed().as_secs(),
            "started_at": time::format_local(self.started_unix),
        })
    }

    fn serving(&self) -> Result<(), ApiError> {
        match &self.out_of_service {
            Some(o) => Err(ApiError::new(503, "out_of_service", format!("terminal out of service: {}", o.reason))),
            None if !self.open_now() => Err(ApiError::new(503, "closed", "outside operating hours")),
            None => Ok(()),
        }
    }

    fn set_hours_override(&mut self, set: HoursOverride, actor: &str) -> Value {
        self.hours_override = set;
        let name = serde_json::to_value(set).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
        if let Err(e) = self.store.set_setting(HOURS_OVERRIDE_KEY, &name) {
            tracing::error!(error = %e, "cannot persist the hours override");
        }
        let _ = self.store.audit(actor, "hours_override", &name, time::now_unix());
        self.tick();
        json!({ "override": set, "open": self.open_now() })
    }

    fn request(&mut self, request: Request, now_ms: u64) -> Reply {
        let changes_session = matches!(
            request,
            Request::Start
                | Request::Browse
                | Request::Choose { .. }
                | Request::SetFields { .. }
                | Request::Submit
                | Request::SkipPrint
                | Request::Rate { .. }
                | Request::Extend
                | Request::Finish
                | Request::Elderly { .. }
        );
        let result = self.request_inner(request, now_ms);
        if changes_session && result.is_ok() {
            self.emit_session();
        }
        result
    }

    fn request_inner(&mut self, request: Request, now_ms: u64) -> Reply {
        match request {
            Request::Status => Ok(self.status()),
            Request::Session => Ok(self.session_view()),
            Request::Categories => {
                let mut cats = self.catalogue.categories.clone();
                cats.sort_by_key(|c| c.order);
                let counts: Vec<Value> = cats
                    .iter()
                    .map(|c| {
                        let n = self.catalogue.items.iter().filter(|i| i.category == c.code).count();
                        json!({ "code": c.code, "name": c.name, "name_en": c.name_en, "items": n })
                    })
                    .collect();
                Ok(json!({ "categories": counts }))
            }
            Request::Items { category } => {
                let items: Vec<Value> = self
                    .catalogue
                    .items
                    .iter()
                    .filter(|i| category.as_deref().is_none_or(|c| i.category == c))
                    .map(|i| self.item_summary(i))
                    .collect();
                Ok(json!({ "items": items }))
            }
            Request::Item { code } => {
                let item = self.catalogue.item(&code).ok_or_else(|| ApiError::new(404, "unknown_item", "no such item"))?;
                let mut v = serde_json::to_value(item).map_err(internal)?;
                v["availability"] = serde_json::to_value(self.availability_of(item)).map_err(internal)?;
                let _ = self.store.bump_usage(time::now_unix(), &code, "view");
                Ok(v)
            }
            Request::Search { q } => {
                let q: String = q.chars().take(50).collect();
                let items: Vec<Value> = self.catalogue.search(&q).into_iter().take(30).map(|i| self.item_summary(i)).collect();
                Ok(json!({ "query": q, "items": items }))
            }
            Request::Knowledge => Ok(json!({ "knowledge": self.catalogue.live_knowledge(time::now_unix()) })),
            Request::Start => {
                self.serving()?;
                self.session.start(now_ms)?;
                Ok(self.session_view())
            }
            Request::Browse => {
                self.session.browse(now_ms)?;
                Ok(self.session_view())
            }
            Request::Choose { code } => {
                self.serving()?;
                let item = self.catalogue.item(&code).ok_or_else(|| ApiError::new(404, "unknown_item", "no such item"))?.clone();
                let availability = self.availability_of(&item);
                self.session.choose_item(&item, &availability, now_ms)?;
                let _ = self.store.bump_usage(time::now_unix(), &code, "start");
                Ok(self.session_view())
            }
            Request::SetFields { fields } => {
                let item = self.current_item().cloned().ok_or(SessionError::WrongState { state: self.session.state() })?;
                self.session.set_fields(&item, fields, now_ms)?;
                Ok(self.session_view())
            }
            Request::Submit => self.submit(now_ms),
            Request::SkipPrint => {
                self.session.skip_print(now_ms)?;
                Ok(self.session_view())
            }
            Request::Rate { level, reasons, complaint } => {
                let key = uuid::Uuid::now_v7().to_string();
                let rating = self.session.rate(key, level, reasons, complaint, now_ms)?;
                self.store
                    .add_rating(&rating.key, rating.transaction_key.as_deref(), &rating.item_code, rating.level, &rating.reasons, rating.complaint.as_deref(), time::now_unix())
                    .map_err(internal)?;
                tracing::info!(level = rating.level, "rating stored");
                self.wake_sync();
                let mut v = self.session_view();
                v["complaint_hotline"] = json!(if rating.complaint.is_some() { Some("12345") } else { None });
                Ok(v)
            }
            Request::Extend => {
                self.session.extend(now_ms)?;
                Ok(self.session_view())
            }
            Request::Finish => {
                self.session.finish(now_ms);
                tracing::info!("visit finished and wiped");
                Ok(self.session_view())
            }
            Request::Elderly { on } => {
                self.session.set_elderly(on, now_ms);
                Ok(self.session_view())
            }
            Request::Activity => {
                self.session.activity(now_ms);
                Ok(json!({ "ok": true }))
            }
            Request::Login { pin } => {
                let now = time::now_unix();
                match self.maintenance.login(&pin, now_ms) {
                    Ok(token) => {
                        let _ = self.store.audit("assistant", "login", "", now);
                        Ok(json!({ "token": token, "expires_in_s": self.config.maintenance.token_ttl_s }))
                    }
                    Err(e) => {
                        let _ = self.store.audit("assistant", "login_failed", &e.to_string(), now);
                        Err(match e {
                            PinError::NotConfigured => ApiError::new(503, "maintenance_disabled", e.to_string()),
                            PinError::Wrong { remaining } => ApiError {
                                details: Some(json!({ "attempts_left": remaining })),
                                ..ApiError::new(401, "wrong_pin", e.to_string())
                            },
                            PinError::LockedOut { seconds } => ApiError {
                                details: Some(json!({ "retry_after_s": seconds })),
                                ..ApiError::new(429, "locked_out", e.to_string())
                            },
                        })
                    }
                }
            }
            Request::Maintenance { token, action } => {
                if !self.maintenance.check(&token, now_ms) {
                    return Err(ApiError::new(401, "not_logged_in", "maintenance login required"));
                }
                self.maintenance_action(token, action, now_ms)
            }
        }
    }

    fn receipt_for(&self, item: &Item, key: &str, now: i64) -> Vec<u8> {
        let width = PaperWidth::from_mm(self.config.devices.printer_width).unwrap_or(PaperWidth::Mm58);
        let title = item.form.as_ref().map(|f| f.receipt_title.clone()).or_else(|| item.print.as_ref().map(|p| p.document.clone())).unwrap_or_else(|| item.name.clone());
        let mut r = Receipt::new(width).title(&title).center(&self.config.terminal.name).separator().kv("办理事项", &item.name).kv("事项编码", &item.code);
        if let Some(c) = self.session.citizen() {
            r = r.kv("申请人", &mask_name(c.name.expose())).kv("证件号码", &mask_id(c.id_number.expose()));
        }
        r = r
            .kv("办理时间", &time::format_local_short(now))
            .kv("业务流水号", key)
            .kv("状态", if self.online { "已提交" } else { "已受理（离线保存，联网后自动上传）" });
        if let Some(result) = item.form.as_ref().map(|f| f.result.as_str()).filter(|s| !s.is_empty()) {
            r = r.separator().line(result);
        }
        r = r
            .separator()
            .qr(&format!("KIOSK-TX:{key}"))
            .center("请取回身份证和回执")
            .center("咨询投诉：12345")
            .feed(2);
        match r.encode() {
            Ok(bytes) => bytes,
            Err(e) => {
                tracing::error!(error = %e, "receipt encoding failed");
                Vec::new()
            }
        }
    }

    fn submit(&mut self, now_ms: u64) -> Reply {
        self.serving()?;
        let item = self.current_item().cloned().ok_or(SessionError::WrongState { state: self.session.state() })?;
        let key = uuid::Uuid::now_v7().to_string();
        let submission = self.session.begin_submit(&item, key.clone(), now_ms)?;
        let now = time::now_unix();
        let receipt = self.receipt_for(&item, &key, now);
        let stored = self.store.submit(&NewTransaction {
            key: &submission.key,
            item_code: &submission.item_code,
            item_name: &submission.item_name,
            created_at: now,
            assisted: submission.assisted,
            elderly: submission.elderly,
            form: &submission.values,
            receipt: (!receipt.is_empty()).then_some(receipt.as_slice()),
        });
        drop(submission);
        match stored {
            Ok(receipt_id) => {
                tracing::info!(transaction = %key, item = %item.code, "transaction stored");
                if let Some(id) = receipt_id {
                    let _ = self.printer_tx.send(PrinterCommand::Print { id, body: receipt });
                }
                self.wake_sync();
                let result = item.form.as_ref().map(|f| f.result.clone()).filter(|s| !s.is_empty());
                self.session.submitted(key, receipt_id, result);
                Ok(self.session_view())
            }
            Err(e) => {
                self.session.submit_failed();
                Err(internal(e))
            }
        }
    }

    fn maintenance_action(&mut self, token: String, action: MaintenanceAction, now_ms: u64) -> Reply {
        let now = time::now_unix();
        let audit = |store: &mut Store, action: &str, detail: &str| {
            if let Err(e) = store.audit("assistant", action, detail, now) {
                tracing::error!(error = %e, "cannot write the audit log");
            }
        };
        match action {
            MaintenanceAction::Logout => {
                self.maintenance.logout(&token);
                audit(&mut self.store, "logout", "");
                Ok(json!({ "ok": true }))
            }
            MaintenanceAction::Devices => {
                audit(&mut self.store, "view_devices", "");
                Ok(json!({ "idcard": self.reader, "printer": self.printer }))
            }
            MaintenanceAction::TestPage => {
                let width = PaperWidth::from_mm(self.config.devices.printer_width).unwrap_or(PaperWidth::Mm58);
                let body = test_page(width).encode().map_err(internal)?;
                let id = self.store.add_receipt("test", &body, now).map_err(internal)?;
                let _ = self.printer_tx.send(PrinterCommand::Print { id, body });
                audit(&mut self.store, "test_page", &format!("receipt {id}"));
                Ok(json!({ "receipt": id }))
            }
            MaintenanceAction::PaperRefilled => {
                let _ = self.printer_tx.send(PrinterCommand::Poll);
                audit(&mut self.store, "paper_refilled", "");
                Ok(json!({ "ok": true }))
            }
            MaintenanceAction::Fault { category, text } => {
                let category: String = category.chars().take(40).collect();
                let text: String = text.chars().take(500).collect();
                if category.trim().is_empty() {
                    return Err(ApiError::new(422, "invalid", "fault category is required"));
                }
                let key = uuid::Uuid::now_v7().to_string();
                self.store.add_fault(&key, &category, &text, "assistant", now).map_err(internal)?;
                self.wake_sync();
                audit(&mut self.store, "fault_report", &category);
                Ok(json!({ "key": key }))
            }
            MaintenanceAction::OutOfService { on, reason } => {
                let reason = reason.unwrap_or_else(|| "maintenance".into());
                self.set_out_of_service(on.then_some(reason.as_str()));
                audit(&mut self.store, if on { "out_of_service_on" } else { "out_of_service_off" }, &reason);
                Ok(json!({ "out_of_service": self.out_of_service }))
            }
            MaintenanceAction::SyncNow => {
                self.sync_requested = true;
                self.wake_sync();
                audit(&mut self.store, "sync_now", "");
                Ok(json!({ "requested": true, "agent_running": self.sync_wake.is_some() }))
            }
            MaintenanceAction::Counts => {
                let counts = self.store.counts_for_day(now).map_err(internal)?;
                let outbox = self.store.outbox_stats(now).map_err(internal)?;
                Ok(json!({ "date": time::local_date_string(now), "counts": counts, "outbox": outbox }))
            }
            MaintenanceAction::Assist { on } => {
                self.session.set_assisted(on)?;
                audit(&mut self.store, if on { "assist_on" } else { "assist_off" }, &format!("session {}", self.session.serial()));
                self.session.activity(now_ms);
                self.emit_session();
                Ok(self.session_view())
            }
            MaintenanceAction::Hours { set } => Ok(self.set_hours_override(set, "assistant")),
            MaintenanceAction::Receipts => {
                let jobs: Vec<Value> = self.store.unprinted_receipts().map_err(internal)?.iter().map(|j| json!({ "id": j.id, "state": j.state })).collect();
                Ok(json!({ "unprinted": jobs }))
            }
        }
    }

    fn console(&mut self, request: ConsoleRequest) -> ConsoleReply {
        let now = time::now_unix();
        let audit = |store: &mut Store, action: &str, detail: &str| {
            if let Err(e) = store.audit("technician", action, detail, now) {
                tracing::error!(error = %e, "cannot write the audit log");
            }
        };
        match request {
            ConsoleRequest::Audit { action, detail } => {
                audit(&mut self.store, &action, &detail);
                Ok(json!({}))
            }
            ConsoleRequest::Status => {
                let mut v = self.status();
                v["disk_free_bytes"] = json!(crate::console_ops::disk_free(&self.config.storage.data_dir));
                v["platform"] = json!({ "configured": !self.config.sync.platform_url.is_empty(), "reachable": self.online, "url": self.config.sync.platform_url });
                Ok(v)
            }
            ConsoleRequest::SyncStatus => Ok(json!({
                "online": self.online,
                "agent": if self.sync_wake.is_some() { "running" } else { "off (no sync.platform_url)" },
                "platform_url": self.config.sync.platform_url,
                "terminal_status": self.sync_status,
                "last_ok": self.last_sync_ok.map(time::format_local),
                "last_error": self.sync_error,
                "sync_requested": self.sync_requested,
                "outbox": self.store.outbox_stats(now).map_err(|e| e.to_string())?,
            })),
            ConsoleRequest::SyncNow => {
                self.sync_requested = true;
                self.wake_sync();
                audit(&mut self.store, "sync_now", "");
                Ok(json!({ "requested": true, "agent_running": self.sync_wake.is_some() }))
            }
            ConsoleRequest::DbCheck => {
                let problem = self.store.check().map_err(|e| e.to_string())?;
                audit(&mut self.store, "db_check", problem.as_deref().unwrap_or("ok"));
                Ok(json!({
                    "integrity": problem.unwrap_or_else(|| "ok".into()),
                    "schema_version": self.store.schema_version().map_err(|e| e.to_string())?,
                    "size_bytes": std::fs::metadata(self.store.path()).map(|m| m.len()).unwrap_or(0),
                }))
            }
            ConsoleRequest::DbVacuum => {
                let before = std::fs::metadata(self.store.path()).map(|m| m.len()).unwrap_or(0);
                self.store.vacuum().map_err(|e| e.to_string())?;
                let after = std::fs::metadata(self.store.path()).map(|m| m.len()).unwrap_or(0);
                audit(&mut self.store, "db_vacuum", &format!("{before} -> {after}"));
                Ok(json!({ "size_before": before, "size_after": after }))
            }
            ConsoleRequest::ConfigGet(key) => crate::console_ops::config_get(&self.config, &key).map(|v| json!({ "key": key, "value": v })),
            ConsoleRequest::ConfigSet(key, value) => {
                let path = self.config_path.clone().ok_or("this daemon was started without a configuration file")?;
                let config = crate::console_ops::config_set(&path, &key, &value)?;
                let shown = if key.contains("pin_hash") { "(hash)".to_string() } else { value.clone() };
                audit(&mut self.store, "config_set", &format!("{key} = {shown}"));
                // Session timing and opening hours apply at once; the rest after a restart.
                let live = key.starts_with("session.") || key.starts_with("hours.");
                self.timing = Timing::from_config(&config.session);
                self.config.session = config.session.clone();
                self.config.hours = config.hours.clone();
                Ok(json!({ "key": key, "saved": true, "applied": if live { "now" } else { "after restart" } }))
            }
            ConsoleRequest::Catalogue => {
                let t = time::now_unix();
                let unavailable: Vec<Value> = self
                    .catalogue
                    .items
                    .iter()
                    .filter_map(|i| {
                        let a = self.availability_of(i);
                        a.reason.map(|r| json!({ "code": i.code, "name": i.name, "reason": r }))
                    })
                    .collect();
                Ok(json!({
                    "version": self.catalogue.version,
                    "published_at": self.catalogue.published_at,
                    "items": self.catalogue.items.len(),
                    "knowledge_live": self.catalogue.live_knowledge(t).len(),
                    "stopped_locally": self.stopped.iter().collect::<Vec<_>>(),
                    "unavailable": unavailable,
                }))
            }
            ConsoleRequest::ServicePause(code) | ConsoleRequest::ServiceResume(code) if self.catalogue.item(&code).is_none() => {
                Err(format!("no item with code {code}"))
            }
            ConsoleRequest::ServicePause(code) => {
                self.store.set_item_stopped(&code, true, now).map_err(|e| e.to_string())?;
                self.stopped.insert(code.clone());
                audit(&mut self.store, "service_pause", &code);
                self.emit("catalogue", json!({ "stopped": code }));
                Ok(json!({ "code": code, "stopped": true }))
            }
            ConsoleRequest::ServiceResume(code) => {
                self.store.set_item_stopped(&code, false, now).map_err(|e| e.to_string())?;
                self.stopped.remove(&code);
                audit(&mut self.store, "service_resume", &code);
                self.emit("catalogue", json!({ "resumed": code }));
                Ok(json!({ "code": code, "stopped": false }))
            }
            ConsoleRequest::UiRestart => {
                let listeners = self.events.receiver_count();
                self.emit("ui_restart", json!({}));
                audit(&mut self.store, "ui_restart", "");
                Ok(json!({ "requested": true, "ui_connections": listeners }))
            }
            ConsoleRequest::Bundle => {
                let status = self.status();
                let path = crate::console_ops::write_bundle(&self.config, &self.store, status).map_err(|e| e.to_string())?;
                audit(&mut self.store, "bundle", &path.display().to_string());
                Ok(json!({ "path": path }))
            }
            ConsoleRequest::Hours(None) => Ok(json!({ "open": self.open_now(), "override": self.hours_override, "schedule": self.config.hours })),
            ConsoleRequest::Hours(Some(set)) => Ok(self.set_hours_override(set, "technician")),
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn session_state(&self) -> crate::session::State {
        self.session.state()
    }

    pub fn catalogue_item_kind(&self, code: &str) -> Option<Kind> {
        self.catalogue.item(code).map(|i| i.kind)
    }
}

/// The core loop: handles inputs and ticks until shutdown.
pub fn run(mut core: Core, rx: std::sync::mpsc::Receiver<Input>, tick: Duration) {
    let mut next_tick = Instant::now() + tick;
    // systemd's watchdog is pinged from this loop and nowhere else: if it hangs, the pings stop.
    let watchdog = crate::notify::watchdog_interval();
    let mut last_ping = Instant::now();
    loop {
        let wait = next_tick.saturating_duration_since(Instant::now());
        match rx.recv_timeout(wait) {
            Ok(input) => {
                if !core.handle(input) {
                    break;
                }
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
        }
        if Instant::now() >= next_tick {
            core.tick();
            next_tick = Instant::now() + tick;
        }
        if let Some(every) = watchdog {
            if last_ping.elapsed() >= every {
                crate::notify::notify("WATCHDOG=1");
                last_ping = Instant::now();
            }
        }
    }
    tracing::info!("core stopped");
}
