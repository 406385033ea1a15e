//! GA 467 reader
