//! Resident ID-card reader (SAM module, GA 467 / GA/T 467-2019 serial protocol).
//!
//! - [`proto`]: the sans-IO frame codec, commands and status words.
//! - [`card`]: the 256-byte text block (resident, 'I' and 'J' layouts), code tables, the ID
//!   number check digit, masking, and the JSON form of a card.
//! - [`transport`]: [`Reader`], the blocking driver over a serial port.
//! - [`sim`]: [`IdCardSim`], a simulated reader on a pseudo-terminal.

pub mod card;
pub mod proto;
pub mod sim;
pub mod transport;

pub use card::{mask_id, mask_name, CardJson, CardType, Gender, IdCard};
pub use sim::{Control, Fault, IdCardSim, SimOptions};
pub use transport::{Reader, ReaderConfig, ReaderError, DEFAULT_BAUD};
