//! A string holding personal data: zeroed in memory when dropped, masked in `Debug`.
//!
//! Session data (name, ID number, form fields) lives in these, so wiping a session overwrites
//! the bytes instead of leaving them in freed memory, and a stray `{:?}` prints nothing useful.

use std::fmt;

#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        // SAFETY: zero bytes are valid UTF-8, so the String stays valid.
        let bytes = unsafe { self.0.as_mut_vec() };
        for b in bytes.iter_mut() {
            // Volatile so the compiler cannot drop the writes to memory about to be freed.
            unsafe { std::ptr::write_volatile(b, 0) };
        }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({} chars)", self.0.chars().count())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_value() {
        let s = Secret::new("441882195103070022");
        assert_eq!(format!("{s:?}"), "Secret(18 chars)");
        assert_eq!(s.expose(), "441882195103070022");
    }
}
