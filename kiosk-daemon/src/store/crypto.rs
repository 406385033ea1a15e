//! Encryption at rest for personal data (form values, complaint texts): XChaCha20-Poly1305 with
//! a random 24-byte nonce per record and the record's key as associated data, so a sealed value
//! cannot be moved to another row unnoticed.
//!
//! The 32-byte key lives in a file only the daemon's user can read (mode 0600 in a 0700
//! folder), created at first start.

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};

const NONCE_LEN: usize = 24;

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("key file {path}: {source}")]
    KeyFile { path: String, source: std::io::Error },
    #[error("key file {path} is {len} bytes, expected 32")]
    KeyLength { path: String, len: usize },
    #[error("key file {path} is readable by others (mode {mode:o}); it must be 0600")]
    KeyMode { path: String, mode: u32 },
    #[error("sealed value is corrupt or was sealed with another key")]
    Open,
    #[error("random number generator failed: {0}")]
    Random(String),
}

pub struct FormKey {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for FormKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FormKey(..)")
    }
}

impl FormKey {
    /// Loads the key at `path`, creating it (and its folder) when absent.
    pub fn load_or_create(path: &Path) -> Result<FormKey, CryptoError> {
        let shown = path.display().to_string();
        let io = |source| CryptoError::KeyFile { path: shown.clone(), source };
        if !path.exists() {
            if let Some(dir) = path.parent() {
                std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir).map_err(io)?;
            }
            let mut key = [0u8; 32];
            getrandom::getrandom(&mut key).map_err(|e| CryptoError::Random(e.to_string()))?;
            let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path).map_err(io)?;
            f.write_all(&key).map_err(io)?;
            f.sync_all().map_err(io)?;
        }
        let meta = std::fs::metadata(path).map_err(io)?;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(CryptoError::KeyMode { path: shown, mode });
        }
        let bytes = std::fs::read(path).map_err(io)?;
        if bytes.len() != 32 {
            return Err(CryptoError::KeyLength { path: shown, len: bytes.len() });
        }
        Ok(FormKey { cipher: XChaCha20Poly1305::new(Key::from_slice(&bytes)) })
    }

    /// Seals `plaintext`, bound to `aad`. Output: nonce || ciphertext+tag.
    pub fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::getrandom(&mut nonce).map_err(|e| CryptoError::Random(e.to_string()))?;
        let ct = self
            .cipher
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: plaintext, aad })
            .map_err(|_| CryptoError::Open)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        Ok(out)
    }

    pub fn open(&self, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if sealed.len() < NONCE_LEN + 16 {
            return Err(CryptoError::Open);
        }
        let (nonce, ct) = sealed.split_at(NONCE_LEN);
        self.cipher.decrypt(XNonce::from_slice(nonce), Payload { msg: ct, aad }).map_err(|_| CryptoError::Open)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_and_tamper() {
        let dir = std::env::temp_dir().join(format!("kioskd-key-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("keys").join("form.key");
        let key = FormKey::load_or_create(&path).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        let sealed = key.seal(b"tx-1", "张秀英 441882195103070022".as_bytes()).unwrap();
        assert!(!sealed.windows(4).any(|w| w == b"4418"), "no plaintext in the sealed value");
        assert_eq!(key.open(b"tx-1", &sealed).unwrap(), "张秀英 441882195103070022".as_bytes());
        assert!(key.open(b"tx-2", &sealed).is_err(), "bound to its row");
        let mut bad = sealed.clone();
        bad[30] ^= 1;
        assert!(key.open(b"tx-1", &bad).is_err());
        assert!(key.open(b"tx-1", &[1, 2, 3]).is_err());
        // The same key comes back after a restart.
        let again = FormKey::load_or_create(&path).unwrap();
        assert!(again.open(b"tx-1", &sealed).is_ok());
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(FormKey::load_or_create(&path), Err(CryptoError::KeyMode { .. })));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
