//! The assistants' PIN: Argon2 hashes, rate-limited attempts with a lockout, short-lived login
//! tokens. Times are monotonic milliseconds passed in.

use std::collections::HashMap;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

use crate::config::MaintenanceConfig;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PinError {
    #[error("no maintenance pin is configured")]
    NotConfigured,
    #[error("wrong pin; {remaining} attempts left before a lockout")]
    Wrong { remaining: u32 },
    #[error("too many wrong pins; try again in {seconds} s")]
    LockedOut { seconds: u64 },
}

/// Makes the PHC hash string to put in the configuration.
pub fn hash_pin(pin: &str) -> Result<String, String> {
    if pin.len() < 4 || pin.len() > 32 || !pin.bytes().all(|b| b.is_ascii_digit()) {
        return Err("the pin must be 4 to 32 digits".into());
    }
    let mut salt = [0u8; 16];
    getrandom::getrandom(&mut salt).map_err(|e| e.to_string())?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    Argon2::default().hash_password(pin.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| e.to_string())
}

pub struct Maintenance {
    hash: String,
    max_attempts: u32,
    lockout_ms: u64,
    ttl_ms: u64,
    failures: u32,
    locked_until_ms: Option<u64>,
    tokens: HashMap<String, u64>,
}

impl Maintenance {
    pub fn new(c: &MaintenanceConfig) -> Maintenance {
        Maintenance {
            hash: c.pin_hash.clone(),
            max_attempts: c.max_attempts,
            lockout_ms: c.lockout_s * 1000,
            ttl_ms: c.token_ttl_s * 1000,
            failures: 0,
            locked_until_ms: None,
            tokens: HashMap::new(),
        }
    }

    /// Checks a PIN; on success returns a new login token.
    pub fn login(&mut self, pin: &str, now_ms: u64) -> Result<String, PinError> {
        if self.hash.is_empty() {
            return Err(PinError::NotConfigured);
        }
        if let Some(until) = self.locked_until_ms {
            if now_ms < until {
                return Err(PinError::LockedOut { seconds: (until - now_ms).div_ceil(1000) });
            }
            self.locked_until_ms = None;
            self.failures = 0;
        }
        let ok = pin.len() <= 64
            && PasswordHash::new(&self.hash).is_ok_and(|h| Argon2::default().verify_password(pin.as_bytes(), &h).is_ok());
        if !ok {
            self.failures += 1;
            if self.failures >= self.max_attempts {
                self.locked_until_ms = Some(now_ms + self.lockout_ms);
                return Err(PinError::LockedOut { seconds: self.lockout_ms.div_ceil(1000) });
            }
            return Err(PinError::Wrong { remaining: self.max_attempts - self.failures });
        }
        self.failures = 0;
        let mut raw = [0u8; 16];
        let _ = getrandom::getrandom(&mut raw);
        let token: String = raw.iter().map(|b| format!("{b:02x}")).collect();
        self.tokens.insert(token.clone(), now_ms);
        Ok(token)
    }

    /// True when `token` is a live login; refreshes it.
    pub fn check(&mut self, token: &str, now_ms: u64) -> bool {
        self.expire(now_ms);
        match self.tokens.get_mut(token) {
            Some(last) => {
                *last = now_ms;
                true
            }
            None => false,
        }
    }

    pub fn logout(&mut self, token: &str) {
        self.tokens.remove(token);
    }

    pub fn expire(&mut self, now_ms: u64) {
        let ttl = self.ttl_ms;
        self.tokens.retain(|_, last| now_ms.saturating_sub(*last) < ttl);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lockout_after_max_attempts_then_recovery() {
        let config = MaintenanceConfig { pin_hash: hash_pin("246810").unwrap(), max_attempts: 3, lockout_s: 60, token_ttl_s: 10 };
        let mut m = Maintenance::new(&config);
        assert_eq!(m.login("0000", 0), Err(PinError::Wrong { remaining: 2 }));
        assert_eq!(m.login("1111", 1), Err(PinError::Wrong { remaining: 1 }));
        assert_eq!(m.login("2222", 2), Err(PinError::LockedOut { seconds: 60 }));
        assert!(matches!(m.login("246810", 3), Err(PinError::LockedOut { .. })), "even the right pin waits");
        let token = m.login("246810", 60_003).unwrap();
        assert!(m.check(&token, 65_000));
        assert!(!m.check(&token, 80_000), "expired after inactivity");
        assert!(!m.check("forged", 0));
    }

    #[test]
    fn pins_are_digits_and_unconfigured_is_closed() {
        assert!(hash_pin("12a4").is_err());
        assert!(hash_pin("12").is_err());
        let mut m = Maintenance::new(&MaintenanceConfig::default());
        assert_eq!(m.login("1234", 0), Err(PinError::NotConfigured));
    }
}
