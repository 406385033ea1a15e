//! The platform's clock, passed in so tests can set the time: the system clock in production, a
//! manual clock (set and advanced by the test) otherwise. Unix seconds.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

#[derive(Debug, Clone)]
pub enum Clock {
    System,
    Manual(Arc<AtomicI64>),
}

impl Clock {
    /// A manual clock starting at `t`.
    pub fn manual(t: i64) -> Clock {
        Clock::Manual(Arc::new(AtomicI64::new(t)))
    }

    pub fn now(&self) -> i64 {
        match self {
            Clock::System => system_now(),
            Clock::Manual(t) => t.load(Ordering::SeqCst),
        }
    }

    /// Moves a manual clock (no effect on the system clock).
    pub fn advance(&self, seconds: i64) {
        if let Clock::Manual(t) = self {
            t.fetch_add(seconds, Ordering::SeqCst);
        }
    }

    /// Sets a manual clock (no effect on the system clock).
    pub fn set(&self, t: i64) {
        if let Clock::Manual(c) = self {
            c.store(t, Ordering::SeqCst);
        }
    }
}

/// The system clock, Unix seconds.
pub fn system_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clocks_are_shared_and_move() {
        let c = Clock::manual(100);
        let c2 = c.clone();
        c.advance(5);
        assert_eq!(c2.now(), 105);
        c2.set(7);
        assert_eq!(c.now(), 7);
        assert!(Clock::System.now() > 1_600_000_000);
    }
}
