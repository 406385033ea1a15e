//! The citizen session state machine. Pure: no I/O, no clock (times are monotonic
//! milliseconds passed in), no storage. The daemon's core feeds it inputs and performs the
//! effects its results ask for.
//!
//! ```text
//! idle -> identifying -> authenticated -> browsing -> in_service -> submitting -> printing
//!      -> rating -> finished -> idle
//! ```
//!
//! Invariants:
//! - Every path that ends a visit (finish, timeout, a different card) calls [`Session::wipe`]
//!   first, which drops the citizen's data (zeroed in memory by [`Secret`]) before anything else.
//! - No transition depends on sensing card removal: readers cannot tell it reliably.
//! - Views ([`SessionView`]) carry masked names and ID numbers only.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::catalogue::{validate_form, Availability, FieldProblem, Identity, Item, Kind, Unavailable};
use crate::secret::Secret;
use kiosk_drivers::idcard::{mask_id, mask_name, IdCard};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Idle,
    Identifying,
    Authenticated,
    Browsing,
    InService,
    Submitting,
    Printing,
    Rating,
    Finished,
}

/// The identified citizen. Held only in memory, only for the visit.
#[derive(Debug)]
pub struct Citizen {
    pub card_type: String,
    pub name: Secret,
    pub id_number: Secret,
    pub gender: Option<String>,
    pub birth_date: Option<Secret>,
    pub address: Option<Secret>,
    pub nation: Option<String>,
}

impl Citizen {
    pub fn from_card(card: &IdCard) -> Citizen {
        Citizen {
            card_type: card.card_type.as_str(),
            name: Secret::new(card.name.clone()),
            id_number: Secret::new(card.id_number.clone()),
            gender: card.gender.map(|g| g.zh().to_string()),
            birth_date: card.birth_date.map(|d| Secret::new(d.to_string())),
            address: card.address.clone().map(Secret::new),
            nation: card.nation.clone(),
        }
    }

    fn prefill(&self, source: &str) -> Option<String> {
        Some(match source {
            "card.name" => self.name.expose().to_string(),
            "card.id_number" => self.id_number.expose().to_string(),
            "card.gender" => self.gender.clone()?,
            "card.birth_date" => self.birth_date.as_ref()?.expose().to_string(),
            "card.address" => self.address.as_ref()?.expose().to_string(),
            "card.nation" => self.nation.clone()?,
            _ => return None,
        })
    }

    /// Whether `other` is the same card holder.
    pub fn same_as(&self, other: &Citizen) -> bool {
        self.id_number == other.id_number && self.card_type == other.card_type
    }
}

/// Timing, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timing {
    pub timeout_ms: u64,
    pub warning_ms: u64,
    pub elderly_factor: f64,
    pub goodbye_ms: u64,
}

impl Timing {
    pub fn from_config(c: &crate::config::SessionConfig) -> Timing {
        Timing { timeout_ms: c.timeout_s * 1000, warning_ms: c.warning_s * 1000, elderly_factor: c.elderly_factor, goodbye_ms: c.goodbye_s * 1000 }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "error", rename_all = "snake_case")]
pub enum SessionError {
    #[error("not possible in state {state:?}")]
    WrongState { state: State },
    #[error("this service needs the citizen's ID card")]
    NeedsCard,
    #[error("unknown item")]
    UnknownItem,
    #[error("item unavailable: {reason:?}")]
    Unavailable { reason: Unavailable },
    #[error("field {key} is filled from the ID card and cannot be changed")]
    FieldLocked { key: String },
    #[error("form has problems")]
    Invalid { problems: Vec<FieldProblem> },
    #[error("rating level must be 1 to 5")]
    BadRating,
}

/// What the core must do after a card was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardOutcome {
    /// A new visit began.
    Started,
    /// An anonymous visit is now identified.
    Identified,
    /// The same citizen's card again: nothing changes.
    Same,
    /// A different citizen: the previous visit was wiped first.
    Replaced,
}

/// Timer results of [`Session::tick`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timer {
    /// Inactivity warning: the visit ends in this many seconds unless extended.
    Warning { seconds_left: u64 },
    /// The visit timed out and was wiped.
    TimedOut,
    /// The goodbye screen is over; back to idle.
    GoodbyeOver,
}

/// The receipt's fate, for the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PrintState {
    Printing,
    Printed,
    /// Could not print now (paper out, cover open): kept, and printed once the assistant has
    /// fixed the printer.
    Held,
}

/// What a submit hands to storage.
#[derive(Debug)]
pub struct Submission {
    pub key: String,
    pub item_code: String,
    pub item_name: String,
    pub values: BTreeMap<String, String>,
    pub assisted: bool,
    pub elderly: bool,
}

#[derive(Debug)]
pub struct Rating {
    pub key: String,
    pub transaction_key: Option<String>,
    pub item_code: String,
    pub level: u8,
    pub reasons: Vec<String>,
    pub complaint: Option<String>,
}

#[derive(Debug, Default)]
pub struct Session {
    state: Option<State>,
    serial: u64,
    citizen: Option<Citizen>,
    item: Option<(String, Kind)>,
    last_item: Option<String>,
    fields: BTreeMap<String, Secret>,
    elderly: bool,
    assisted: bool,
    last_activity_ms: u64,
    warned: bool,
    finished_at_ms: Option<u64>,
    transaction_key: Option<String>,
    receipt_id: Option<i64>,
    print: Option<PrintState>,
    result_text: Option<String>,
}

/// The masked, serialisable view of the session (the local API's `GET /v1/session`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SessionView {
    pub state: State,
    pub session: u64,
    pub citizen: Option<CitizenView>,
    pub elderly_mode: bool,
    pub assisted: bool,
    pub item: Option<String>,
    pub fields: BTreeMap<String, FieldView>,
    pub transaction_key: Option<String>,
    pub print: Option<PrintState>,
    pub result: Option<String>,
    pub seconds_left: Option<u64>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CitizenView {
    pub card_type: String,
    pub name_masked: String,
    pub id_masked: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FieldView {
    /// Shown value: masked when the field holds a name or ID number from the card.
    pub value: String,
    pub locked: bool,
}

impl Session {
    pub fn new() -> Session {
        Session { state: Some(State::Idle), ..Session::default() }
    }

    pub fn state(&self) -> State {
        self.state.unwrap_or(State::Idle)
    }

    pub fn serial(&self) -> u64 {
        self.serial
    }

    pub fn elderly(&self) -> bool {
        self.elderly
    }

    pub fn has_citizen(&self) -> bool {
        self.citizen.is_some()
    }

    pub fn current_item(&self) -> Option<&str> {
        self.item.as_ref().map(|(c, _)| c.as_str())
    }

    pub fn receipt_id(&self) -> Option<i64> {
        self.receipt_id
    }

    /// Drops every piece of the visit's personal data. Called before anything else when a
    /// visit ends.
    pub fn wipe(&mut self) {
        self.citizen = None;
        self.fields.clear();
        self.item = None;
        self.last_item = None;
        self.assisted = false;
        self.warned = false;
        self.transaction_key = None;
        self.receipt_id = None;
        self.print = None;
        self.result_text = None;
        self.elderly = false;
    }

    fn begin(&mut self, now_ms: u64) {
        self.wipe();
        self.serial += 1;
        self.finished_at_ms = None;
        self.touch(now_ms);
    }

    fn touch(&mut self, now_ms: u64) {
        self.last_activity_ms = now_ms;
        self.warned = false;
    }

    fn active(&self) -> bool {
        !matches!(self.state(), State::Idle | State::Identifying | State::Finished)
    }

    fn require(&self, ok: &[State]) -> Result<(), SessionError> {
        if ok.contains(&self.state()) { Ok(()) } else { Err(SessionError::WrongState { state: self.state() }) }
    }

    fn timeout_ms(&self, t: &Timing) -> u64 {
        let f = if self.elderly { t.elderly_factor } else { 1.0 };
        (t.timeout_ms as f64 * f) as u64
    }

    fn warning_ms(&self, t: &Timing) -> u64 {
        let f = if self.elderly { t.elderly_factor } else { 1.0 };
        (t.warning_ms as f64 * f) as u64
    }

    /// The reader found a card and is reading it.
    pub fn card_detected(&mut self, now_ms: u64) {
        if matches!(self.state(), State::Idle | State::Finished) {
            self.begin(now_ms);
            self.state = Some(State::Identifying);
        } else {
            self.touch(now_ms);
        }
    }

    /// The read failed; an identification in progress goes back to idle.
    pub fn card_failed(&mut self) {
        if self.state() == State::Identifying {
            self.wipe();
            self.state = Some(State::Idle);
        }
    }

    /// A card was read.
    pub fn card_read(&mut self, citizen: Citizen, now_ms: u64) -> CardOutcome {
        match (&self.citizen, self.active()) {
            (Some(current), true) if current.same_as(&citizen) => {
                self.touch(now_ms);
                CardOutcome::Same
            }
            (Some(_), true) => {
                let elderly = self.elderly;
                self.begin(now_ms);
                self.elderly = elderly;
                self.citizen = Some(citizen);
                self.state = Some(State::Authenticated);
                CardOutcome::Replaced
            }
            (None, true) => {
                self.touch(now_ms);
                self.citizen = Some(citizen);
                // Refill card-sourced fields of a form already open.
                CardOutcome::Identified
            }
            (_, false) => {
                if self.state() != State::Identifying {
                    self.begin(now_ms);
                }
                self.touch(now_ms);
                self.citizen = Some(citizen);
                self.state = Some(State::Authenticated);
                CardOutcome::Started
            }
        }
    }

    /// Starts an anonymous visit (guides and knowledge need no card).
    pub fn start(&mut self, now_ms: u64) -> Result<(), SessionError> {
        self.require(&[State::Idle, State::Finished])?;
        self.begin(now_ms);
        self.state = Some(State::Browsing);
        Ok(())
    }

    /// Shows the service list (home) inside a visit; also leaves an item.
    pub fn browse(&mut self, now_ms: u64) -> Result<(), SessionError> {
        self.require(&[State::Authenticated, State::Browsing, State::InService, State::Rating])?;
        self.touch(now_ms);
        if self.state() == State::InService {
            self.fields.clear();
            self.item = None;
        }
        self.state = Some(State::Browsing);
        Ok(())
    }

    /// Opens an item: checks identity and availability, pre-fills fields from the card.
    pub fn choose_item(&mut self, item: &Item, availability: &Availability, now_ms: u64) -> Result<(), SessionError> {
        self.require(&[State::Authenticated, State::Browsing, State::InService])?;
        self.touch(now_ms);
        if let Some(reason) = availability.reason {
            return Err(SessionError::Unavailable { reason });
        }
        if item.identity == Identity::Card && self.citizen.is_none() {
            return Err(SessionError::NeedsCard);
        }
        self.fields.clear();
        if let (Some(form), Some(citizen)) = (&item.form, &self.citizen) {
            for f in &form.fields {
                if let Some(v) = f.prefill.as_deref().and_then(|p| citizen.prefill(p)) {
                    self.fields.insert(f.key.clone(), Secret::new(v));
                }
            }
        }
        self.item = Some((item.code.clone(), item.kind));
        self.last_item = Some(item.code.clone());
        self.state = Some(State::InService);
        Ok(())
    }

    /// Sets form fields the citizen typed. Card-sourced locked fields cannot be changed.
    pub fn set_fields(&mut self, item: &Item, values: BTreeMap<String, String>, now_ms: u64) -> Result<(), SessionError> {
        self.require(&[State::InService])?;
        self.touch(now_ms);
        let form = item.form.as_ref().ok_or(SessionError::WrongState { state: self.state() })?;
        for key in values.keys() {
            if let Some(f) = form.fields.iter().find(|f| &f.key == key) {
                if f.locked && f.prefill.is_some() {
                    return Err(SessionError::FieldLocked { key: key.clone() });
                }
            }
        }
        let mut probe: BTreeMap<String, String> = BTreeMap::new();
        for (k, v) in &values {
            probe.insert(k.clone(), v.clone());
        }
        // Only per-field checks here (unknown keys, types); "required" waits for the submit.
        let problems: Vec<FieldProblem> = validate_form(form, &probe)
            .into_iter()
            .filter(|p| p.problem != "required")
            .collect();
        if !problems.is_empty() {
            return Err(SessionError::Invalid { problems });
        }
        for (k, v) in values {
            if v.trim().is_empty() {
                self.fields.remove(&k);
            } else {
                self.fields.insert(k, Secret::new(v.trim()));
            }
        }
        Ok(())
    }

    /// Validates and freezes the form; the core stores the returned submission durably, then
    /// calls [`Session::submitted`].
    pub fn begin_submit(&mut self, item: &Item, key: String, now_ms: u64) -> Result<Submission, SessionError> {
        self.require(&[State::InService])?;
        self.touch(now_ms);
        if !matches!(item.kind, Kind::Form | Kind::Print) {
            return Err(SessionError::WrongState { state: self.state() });
        }
        if item.identity == Identity::Card && self.citizen.is_none() {
            return Err(SessionError::NeedsCard);
        }
        let values: BTreeMap<String, String> = self.fields.iter().map(|(k, v)| (k.clone(), v.expose().to_string())).collect();
        if let Some(form) = &item.form {
            let problems = validate_form(form, &values);
            if !problems.is_empty() {
                return Err(SessionError::Invalid { problems });
            }
        }
        self.state = Some(State::Submitting);
        Ok(Submission {
            key,
            item_code: item.code.clone(),
            item_name: item.name.clone(),
            values,
            assisted: self.assisted,
            elderly: self.elderly,
        })
    }

    /// The submission is durable. With a receipt to print, the visit goes to printing.
    pub fn submitted(&mut self, key: String, receipt_id: Option<i64>, result: Option<String>) {
        self.transaction_key = Some(key);
        self.receipt_id = receipt_id;
        self.result_text = result;
        self.fields.clear();
        if receipt_id.is_some() {
            self.print = Some(PrintState::Printing);
            self.state = Some(State::Printing);
        } else {
            self.state = Some(State::Rating);
        }
    }

    /// Storing failed: back to the form, nothing lost from it.
    pub fn submit_failed(&mut self) {
        if self.state() == State::Submitting {
            self.state = Some(State::InService);
        }
    }

    /// The printer reported on this visit's receipt.
    pub fn print_update(&mut self, receipt_id: i64, state: PrintState) {
        if self.receipt_id != Some(receipt_id) {
            return;
        }
        self.print = Some(state);
        if state == PrintState::Printed && self.state() == State::Printing {
            self.state = Some(State::Rating);
        }
    }

    /// The citizen goes on to rating without waiting for a held receipt.
    pub fn skip_print(&mut self, now_ms: u64) -> Result<(), SessionError> {
        self.require(&[State::Printing])?;
        self.touch(now_ms);
        self.state = Some(State::Rating);
        Ok(())
    }

    /// 好差评: a rating of the service (1 非常不满意 … 5 非常满意). Ends the visit.
    pub fn rate(&mut self, key: String, level: u8, reasons: Vec<String>, complaint: Option<String>, now_ms: u64) -> Result<Rating, SessionError> {
        self.require(&[State::Rating, State::Printing, State::InService, State::Browsing])?;
        if !(1..=5).contains(&level) {
            return Err(SessionError::BadRating);
        }
        let item_code = self.item.as_ref().map(|(c, _)| c.clone()).or_else(|| self.last_item.clone()).ok_or(SessionError::UnknownItem)?;
        let rating = Rating {
            key,
            transaction_key: self.transaction_key.clone(),
            item_code,
            level,
            reasons: reasons.into_iter().take(10).map(|r| r.chars().take(50).collect()).collect(),
            complaint: complaint.map(|c| c.chars().take(500).collect::<String>()).filter(|c| !c.trim().is_empty()),
        };
        self.finish(now_ms);
        Ok(rating)
    }

    /// Ends the visit: wipes it and shows goodbye.
    pub fn finish(&mut self, now_ms: u64) {
        self.wipe();
        self.finished_at_ms = Some(now_ms);
        self.state = Some(State::Finished);
    }

    /// "需要更多时间": resets the inactivity timer.
    pub fn extend(&mut self, now_ms: u64) -> Result<(), SessionError> {
        if !self.active() {
            return Err(SessionError::WrongState { state: self.state() });
        }
        self.touch(now_ms);
        Ok(())
    }

    pub fn set_elderly(&mut self, on: bool, now_ms: u64) {
        self.elderly = on;
        if self.active() {
            self.touch(now_ms);
        }
    }

    pub fn set_assisted(&mut self, on: bool) -> Result<(), SessionError> {
        if !self.active() {
            return Err(SessionError::WrongState { state: self.state() });
        }
        self.assisted = on;
        Ok(())
    }

    /// Any citizen activity that is not an intent (a touch on the screen).
    pub fn activity(&mut self, now_ms: u64) {
        if self.active() {
            self.touch(now_ms);
        }
    }

    /// Advances timers. Returns what happened, if anything.
    pub fn tick(&mut self, now_ms: u64, timing: &Timing) -> Option<Timer> {
        match self.state() {
            State::Finished => {
                let done = self.finished_at_ms.is_none_or(|f| now_ms.saturating_sub(f) >= timing.goodbye_ms);
                if done {
                    self.finished_at_ms = None;
                    self.state = Some(State::Idle);
                    return Some(Timer::GoodbyeOver);
                }
                None
            }
            State::Identifying => {
                // A read that never completes must not hold the terminal.
                if now_ms.saturating_sub(self.last_activity_ms) >= 15_000 {
                    self.card_failed();
                }
                None
            }
            State::Idle | State::Submitting => None,
            _ => {
                let idle = now_ms.saturating_sub(self.last_activity_ms);
                let timeout = self.timeout_ms(timing);
                if idle >= timeout {
                    self.wipe();
                    self.finished_at_ms = None;
                    self.state = Some(State::Idle);
                    return Some(Timer::TimedOut);
                }
                let warn_at = timeout.saturating_sub(self.warning_ms(timing));
                if idle >= warn_at && !self.warned {
                    self.warned = true;
                    return Some(Timer::Warning { seconds_left: (timeout - idle).div_ceil(1000) });
                }
                None
            }
        }
    }

    /// Seconds until the inactivity timeout, when a warning is showing.
    pub fn seconds_left(&self, now_ms: u64, timing: &Timing) -> Option<u64> {
        if !self.active() || !self.warned {
            return None;
        }
        let timeout = self.timeout_ms(timing);
        Some(timeout.saturating_sub(now_ms.saturating_sub(self.last_activity_ms)).div_ceil(1000))
    }

    /// The masked view for the API.
    pub fn view(&self, item: Option<&Item>, now_ms: u64, timing: &Timing) -> SessionView {
        let citizen = self.citizen.as_ref().map(|c| CitizenView {
            card_type: c.card_type.clone(),
            name_masked: mask_name(c.name.expose()),
            id_masked: mask_id(c.id_number.expose()),
        });
        let mut fields = BTreeMap::new();
        if let (Some(item), Some(form)) = (item, item.and_then(|i| i.form.as_ref())) {
            debug_assert_eq!(Some(item.code.as_str()), self.current_item());
            for f in &form.fields {
                let Some(v) = self.fields.get(&f.key) else { continue };
                let value = match f.prefill.as_deref() {
                    Some("card.name") => mask_name(v.expose()),
                    Some("card.id_number") => mask_id(v.expose()),
                    _ if f.field_type == crate::catalogue::FieldType::IdNumber => mask_id(v.expose()),
                    _ => v.expose().to_string(),
                };
                fields.insert(f.key.clone(), FieldView { value, locked: f.locked && f.prefill.is_some() });
            }
        }
        SessionView {
            state: self.state(),
            session: self.serial,
            citizen,
            elderly_mode: self.elderly,
            assisted: self.assisted,
            item: self.current_item().map(str::to_string),
            fields,
            transaction_key: self.transaction_key.clone(),
            print: self.print,
            result: self.result_text.clone(),
            seconds_left: self.seconds_left(now_ms, timing),
        }
    }

    /// Form values for the receipt (only what is needed; the core masks).
    pub fn citizen(&self) -> Option<&Citizen> {
        self.citizen.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::tests::sample;
    use crate::catalogue::Catalogue;

    const T: Timing = Timing { timeout_ms: 60_000, warning_ms: 20_000, elderly_factor: 2.0, goodbye_ms: 5_000 };

    fn citizen(id: &str, name: &str) -> Citizen {
        Citizen {
            card_type: "resident".into(),
            name: Secret::new(name),
            id_number: Secret::new(id),
            gender: Some("女".into()),
            birth_date: Some(Secret::new("1951-03-07")),
            address: Some(Secret::new("广东省清远市连州市西岸镇")),
            nation: Some("汉".into()),
        }
    }

    fn form_item(c: &Catalogue) -> &Item {
        c.items.iter().find(|i| i.name == "城乡居民养老保险待遇资格认证").expect("sample has it")
    }

    fn avail() -> Availability {
        Availability { available: true, reason: None, notice: None, notice_en: None }
    }

    #[test]
    fn a_full_visit_walks_every_state_and_wipes_at_the_end() {
        let c = sample();
        let item = form_item(&c);
        let mut s = Session::new();
        s.card_detected(0);
        assert_eq!(s.state(), State::Identifying);
        assert_eq!(s.card_read(citizen("441882195103070022", "张秀英"), 100), CardOutcome::Started);
        assert_eq!(s.state(), State::Authenticated);
        s.browse(200).unwrap();
        s.choose_item(item, &avail(), 300).unwrap();
        let view = s.view(Some(item), 300, &T);
        let id_field = view.fields.values().find(|f| f.value.contains('*') && f.value.len() == 18).expect("masked prefilled id");
        assert!(id_field.locked);
        let mut values = BTreeMap::new();
        for f in &item.form.as_ref().unwrap().fields {
            if f.prefill.is_none() && f.required {
                let v = match f.field_type {
                    crate::catalogue::FieldType::Phone => "13800138000".to_string(),
                    crate::catalogue::FieldType::Choice => f.options[0].value.clone(),
                    crate::catalogue::FieldType::Digits => "6".repeat(f.min_len.unwrap_or(6)),
                    crate::catalogue::FieldType::Date => "2026-12-04".into(),
                    crate::catalogue::FieldType::Number => f.min.unwrap_or(1.0).to_string(),
                    _ => "测试".into(),
                };
                values.insert(f.key.clone(), v);
            }
        }
        s.set_fields(item, values, 400).unwrap();
        let sub = s.begin_submit(item, "k1".into(), 500).unwrap();
        assert!(sub.values.values().any(|v| v == "441882195103070022"), "the full id goes to storage");
        assert_eq!(s.state(), State::Submitting);
        s.submitted("k1".into(), Some(7), None);
        assert_eq!(s.state(), State::Printing);
        s.print_update(7, PrintState::Printed);
        assert_eq!(s.state(), State::Rating);
        let rating = s.rate("r1".into(), 5, vec!["办理快捷".into()], None, 600).unwrap();
        assert_eq!(rating.transaction_key.as_deref(), Some("k1"));
        assert_eq!(s.state(), State::Finished);
        let view = s.view(None, 600, &T);
        assert!(view.citizen.is_none() && view.fields.is_empty() && view.transaction_key.is_none());
        assert_eq!(s.tick(600 + 5_000, &T), Some(Timer::GoodbyeOver));
        assert_eq!(s.state(), State::Idle);
    }

    #[test]
    fn locked_fields_cannot_be_changed_and_bad_values_are_refused() {
        let c = sample();
        let item = form_item(&c);
        let mut s = Session::new();
        s.card_read(citizen("441882195103070022", "张秀英"), 0);
        s.choose_item(item, &avail(), 0).unwrap();
        let locked = item.form.as_ref().unwrap().fields.iter().find(|f| f.locked && f.prefill.is_some()).unwrap();
        let err = s.set_fields(item, BTreeMap::from([(locked.key.clone(), "x".into())]), 0).unwrap_err();
        assert!(matches!(err, SessionError::FieldLocked { .. }));
        let err = s.set_fields(item, BTreeMap::from([("no_such_field".into(), "x".into())]), 0).unwrap_err();
        assert!(matches!(err, SessionError::Invalid { .. }));
        assert!(matches!(s.begin_submit(item, "k".into(), 0), Err(SessionError::Invalid { .. })), "required fields missing");
    }

    #[test]
    fn timeout_warns_then_wipes_and_extend_resets() {
        let mut s = Session::new();
        s.card_read(citizen("441882195103070022", "张秀英"), 0);
        assert_eq!(s.tick(39_999, &T), None);
        assert_eq!(s.tick(40_000, &T), Some(Timer::Warning { seconds_left: 20 }));
        assert_eq!(s.tick(41_000, &T), None, "one warning");
        assert_eq!(s.seconds_left(45_000, &T), Some(15));
        s.extend(50_000).unwrap();
        assert_eq!(s.tick(89_999, &T), None);
        assert_eq!(s.tick(110_000, &T), Some(Timer::TimedOut));
        assert_eq!(s.state(), State::Idle);
        assert!(!s.has_citizen());
    }

    #[test]
    fn elderly_mode_doubles_the_time() {
        let mut s = Session::new();
        s.card_read(citizen("441882195103070022", "张秀英"), 0);
        s.set_elderly(true, 0);
        assert_eq!(s.tick(60_000, &T), None);
        assert_eq!(s.tick(80_000, &T), Some(Timer::Warning { seconds_left: 40 }));
        assert_eq!(s.tick(120_000, &T), Some(Timer::TimedOut));
    }

    #[test]
    fn a_different_card_replaces_the_citizen_the_same_card_does_not() {
        let c = sample();
        let item = form_item(&c);
        let mut s = Session::new();
        s.card_read(citizen("441882195103070022", "张秀英"), 0);
        s.choose_item(item, &avail(), 0).unwrap();
        let first = s.serial();
        assert_eq!(s.card_read(citizen("441882195103070022", "张秀英"), 10), CardOutcome::Same);
        assert_eq!(s.state(), State::InService);
        assert_eq!(s.card_read(citizen("441826196210210012", "莫志强"), 20), CardOutcome::Replaced);
        assert_eq!(s.state(), State::Authenticated);
        assert!(s.serial() > first);
        let view = s.view(None, 20, &T);
        assert_eq!(view.citizen.unwrap().id_masked, "441826********0012");
        assert!(view.item.is_none() && view.fields.is_empty(), "nothing of the first visit is left");
    }

    #[test]
    fn card_items_need_a_card_and_unavailable_items_say_why() {
        let c = sample();
        let item = form_item(&c);
        let mut s = Session::new();
        s.start(0).unwrap();
        assert_eq!(s.choose_item(item, &avail(), 0), Err(SessionError::NeedsCard));
        let paused = Availability { available: false, reason: Some(Unavailable::Paused), notice: None, notice_en: None };
        let guide = c.items.iter().find(|i| i.identity == Identity::None).unwrap();
        assert_eq!(s.choose_item(guide, &paused, 0), Err(SessionError::Unavailable { reason: Unavailable::Paused }));
        s.choose_item(guide, &avail(), 0).unwrap();
        // Identifying mid-visit keeps the visit.
        assert_eq!(s.card_read(citizen("441882195103070022", "张秀英"), 5), CardOutcome::Identified);
        assert_eq!(s.state(), State::InService);
    }

    #[test]
    fn a_held_receipt_lets_the_citizen_go_on() {
        let mut s = Session::new();
        s.card_read(citizen("441882195103070022", "张秀英"), 0);
        s.state = Some(State::Submitting);
        s.submitted("k".into(), Some(3), None);
        s.print_update(99, PrintState::Printed);
        assert_eq!(s.state(), State::Printing, "another receipt's news changes nothing");
        s.print_update(3, PrintState::Held);
        assert_eq!(s.view(None, 0, &T).print, Some(PrintState::Held));
        s.skip_print(1).unwrap();
        assert_eq!(s.state(), State::Rating);
        assert!(matches!(s.rate("r".into(), 9, vec![], None, 2), Err(SessionError::BadRating)));
    }
}
