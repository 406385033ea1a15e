//! The last log lines, kept in memory for the technician console's `log` command and the
//! diagnostic bundle. A `tracing` layer formats each event once into a bounded ring.
//!
//! Log lines are personal-data-free by construction (nothing logs names or ID numbers), so the
//! ring can be shown and bundled as it is.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::sync::{Mutex, OnceLock};

use serde::Serialize;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::Context;
use tracing_subscriber::Layer;

/// Lines kept.
pub const CAPACITY: usize = 2000;

#[derive(Debug, Clone, Serialize)]
pub struct LogLine {
    pub at: i64,
    pub level: String,
    pub target: String,
    pub message: String,
}

#[derive(Default)]
pub struct LogBuffer {
    lines: Mutex<VecDeque<LogLine>>,
}

impl LogBuffer {
    pub fn push(&self, line: LogLine) {
        let mut l = self.lines.lock().unwrap_or_else(|p| p.into_inner());
        if l.len() >= CAPACITY {
            l.pop_front();
        }
        l.push_back(line);
    }

    /// The last `n` lines at `level` or more severe, oldest first.
    pub fn tail(&self, n: usize, level: Option<Level>) -> Vec<LogLine> {
        let l = self.lines.lock().unwrap_or_else(|p| p.into_inner());
        let keep = |line: &&LogLine| match level {
            None => true,
            Some(max) => line.level.parse::<Level>().map(|lv| lv <= max).unwrap_or(true),
        };
        let mut v: Vec<LogLine> = l.iter().rev().filter(keep).take(n).cloned().collect();
        v.reverse();
        v
    }
}

/// The process-wide buffer.
pub fn global() -> &'static LogBuffer {
    static BUFFER: OnceLock<LogBuffer> = OnceLock::new();
    BUFFER.get_or_init(LogBuffer::default)
}

/// A layer that copies every event into [`global`].
pub struct RingLayer;

struct Fields(String);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?}");
        } else {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0.push_str(value);
        } else {
            let _ = write!(self.0, " {}={value}", field.name());
        }
    }
}

impl<S: Subscriber> Layer<S> for RingLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut fields = Fields(String::new());
        event.record(&mut fields);
        global().push(LogLine {
            at: crate::time::now_unix(),
            level: event.metadata().level().to_string(),
            target: event.metadata().target().to_string(),
            message: fields.0,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_is_bounded_and_filters_by_level() {
        let b = LogBuffer::default();
        for i in 0..CAPACITY + 10 {
            let level = if i % 2 == 0 { "WARN" } else { "INFO" };
            b.push(LogLine { at: i as i64, level: level.into(), target: "t".into(), message: format!("m{i}") });
        }
        assert_eq!(b.tail(usize::MAX, None).len(), CAPACITY);
        let warns = b.tail(3, Some(Level::WARN));
        assert_eq!(warns.len(), 3);
        assert!(warns.iter().all(|l| l.level == "WARN"));
        assert_eq!(b.tail(1, None)[0].message, format!("m{}", CAPACITY + 9));
    }
}
