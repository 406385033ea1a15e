//! kiosk-ui's integration tests: the real window (Slint's testing backend, no display) against a
//! real kioskd with simulated reader and printer on pseudo-terminals, driven by accessible
//! labels the way a screen reader or a citizen's finger would.

mod assets;
mod maintenance;
mod screenshots;
mod util;
mod visit;
