//! Integration tests of the drivers crate: real pseudo-terminals, the real simulators, and the
//! real `kiosk-hw` binary.

mod cli;
mod idcard;
mod printer;
mod util;
