//! kiosk-ui: the citizen touchscreen and the assistants' maintenance menu, in Slint.
//!
//! The UI is a client of kioskd's local API (`kioskd-client`): it renders the daemon's session
//! and sends the citizen's intents; it never touches hardware or SQLite. See `app.rs` for the
//! controller, `bridge.rs` for the daemon link, `ui/*.slint` for the screens.

slint::include_modules!();

pub mod app;
pub mod bridge;
pub mod demo;
pub mod headless;
pub mod pinyin;
pub mod shots;
pub mod text;

pub use app::{Options, Ui};
pub use text::Lang;
