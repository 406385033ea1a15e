#[path = "it/printer.rs"]
mod printer;
