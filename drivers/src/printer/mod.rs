//! ESC/POS receipt printer (Chinese-market thermal printers, GB18030 built-in font).
//!
//! Host side:
//! - [`receipt`]: lays a receipt out in printer columns and encodes it to ESC/POS bytes. Pure.
//! - [`status`]: the `DLE EOT n` real-time status codec. Sans-IO.
//! - [`transport`]: [`Printer`], a blocking driver over [`crate::serial::SerialLink`] that
//!   checks the status before and after every job.
//!
//! Simulator side:
//! - [`decode`]: a streaming ESC/POS decoder. Sans-IO, bounded, never panics on any input.
//! - [`render`]: turns decoded commands into the printed text lines and a PNG of the paper,
//!   with glyphs from [`font`] (a GNU Unifont subset compiled into the crate).
//! - [`sim`]: the virtual printer on a pseudo-terminal, writing each cut receipt as
//!   `NNNN.txt` + `NNNN.png`.
//!
//! Privacy: receipts carry citizens' names and case numbers; their content is never logged,
//! only lengths and counts.

pub mod decode;
pub mod font;
pub mod receipt;
pub mod render;
pub mod sim;
pub mod status;
pub mod transport;

pub use decode::{Align, Decoder, Event};
pub use receipt::{CutMode, PaperWidth, Receipt, ReceiptError};
pub use render::{RenderedReceipt, Renderer};
pub use sim::{Control, PrinterSim, PrinterSimHandle, SimConfig};
pub use status::{Paper, PrinterStatus, StatusError};
pub use transport::{Printer, PrinterError};
