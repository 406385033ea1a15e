//! The platform's secrets, each in its own file (mode 0600, folder 0700), created at first start:
//!
//! - the catalogue signing key (Ed25519 seed, 64 hex digits and a newline): its public half is
//!   what terminals are configured with (`GET /admin/v1/platform-key`);
//! - the admin token (64 hex digits and a newline): `Authorization: Bearer <token>`;
//! - the data key (32 raw bytes): seals transaction forms at rest with XChaCha20-Poly1305, a
//!   random nonce per value and the record's identity as associated data, so a sealed form cannot
//!   be moved to another row unnoticed.

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use kiosk_wire::sign::{signing_key_from_hex, signing_key_hex, SigningKey};
use sha2::{Digest, Sha256};

const NONCE_LEN: usize = 24;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("{path} is malformed: {what}")]
    Malformed { path: String, what: &'static str },
    #[error("{path} is readable by others (mode {mode:o}); it must be 0600")]
    Mode { path: String, mode: u32 },
    #[error("random number generator failed: {0}")]
    Random(String),
    #[error("sealed value is corrupt or was sealed with another key")]
    Open,
}

/// `N` random bytes from the operating system.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], KeyError> {
    let mut b = [0u8; N];
    getrandom::getrandom(&mut b).map_err(|e| KeyError::Random(e.to_string()))?;
    Ok(b)
}

/// A random secret of 32 bytes as 64 hex digits (admin and enrolment tokens).
pub fn random_token() -> Result<String, KeyError> {
    Ok(kiosk_wire::hex::encode(&random_bytes::<32>()?))
}

/// SHA-256 of a secret, hex: what the database keeps instead of the secret.
pub fn secret_hash(secret: &str) -> String {
    kiosk_wire::hex::encode(&Sha256::digest(secret.as_bytes()))
}

/// Compares two secrets in time independent of where they differ.
pub fn secrets_equal(a: &str, b: &str) -> bool {
    let (x, y) = (Sha256::digest(a.as_bytes()), Sha256::digest(b.as_bytes()));
    x.iter().zip(y.iter()).fold(0u8, |acc, (p, q)| acc | (p ^ q)) == 0
}

/// Reads a secret file, creating it with `make()` when absent; refuses a file others can read.
/// Returns the contents and whether the file was created now.
fn load_or_create(path: &Path, make: impl FnOnce() -> Result<Vec<u8>, KeyError>) -> Result<(Vec<u8>, bool), KeyError> {
    let shown = path.display().to_string();
    let io = |source| KeyError::Io { path: shown.clone(), source };
    let mut created = false;
    if !path.exists() {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir).map_err(io)?;
        }
        let bytes = make()?;
        let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path).map_err(io)?;
        f.write_all(&bytes).map_err(io)?;
        f.sync_all().map_err(io)?;
        created = true;
    }
    let mode = std::fs::metadata(path).map_err(io)?.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(KeyError::Mode { path: shown, mode });
    }
    Ok((std::fs::read(path).map_err(io)?, created))
}

/// The catalogue signing key at `path`, created when absent.
pub fn load_or_create_signing_key(path: &Path) -> Result<(SigningKey, bool), KeyError> {
    let (bytes, created) = load_or_create(path, || Ok(format!("{}\n", kiosk_wire::hex::encode(&random_bytes::<32>()?)).into_bytes()))?;
    let text = std::str::from_utf8(&bytes).map_err(|_| KeyError::Malformed { path: path.display().to_string(), what: "not text" })?;
    let key = signing_key_from_hex(text).map_err(|_| KeyError::Malformed { path: path.display().to_string(), what: "expected 64 hex digits" })?;
    Ok((key, created))
}

/// Writes a signing key to a new file (for tools and tests).
pub fn write_signing_key(path: &Path, key: &SigningKey) -> Result<(), KeyError> {
    load_or_create(path, || Ok(format!("{}\n", signing_key_hex(key)).into_bytes())).map(|_| ())
}

/// The admin token at `path`, created when absent.
pub fn load_or_create_admin_token(path: &Path) -> Result<(String, bool), KeyError> {
    let (bytes, created) = load_or_create(path, || Ok(format!("{}\n", random_token()?).into_bytes()))?;
    let token = String::from_utf8(bytes).map_err(|_| KeyError::Malformed { path: path.display().to_string(), what: "not text" })?.trim().to_string();
    if token.len() < 16 || !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(KeyError::Malformed { path: path.display().to_string(), what: "a token is at least 16 printable characters" });
    }
    Ok((token, created))
}

/// Reads an admin token file (the CLI's side; never creates one).
pub fn read_token_file(path: &Path) -> Result<String, KeyError> {
    let text = std::fs::read_to_string(path).map_err(|source| KeyError::Io { path: path.display().to_string(), source })?;
    Ok(text.trim().to_string())
}

/// Seals personal data at rest.
pub struct DataKey {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(..)")
    }
}

impl DataKey {
    pub fn load_or_create(path: &Path) -> Result<DataKey, KeyError> {
        let (bytes, _) = load_or_create(path, || Ok(random_bytes::<32>()?.to_vec()))?;
        if bytes.len() != 32 {
            return Err(KeyError::Malformed { path: path.display().to_string(), what: "expected 32 bytes" });
        }
        Ok(DataKey::from_bytes(&bytes))
    }

    pub fn from_bytes(bytes: &[u8]) -> DataKey {
        DataKey { cipher: XChaCha20Poly1305::new(Key::from_slice(bytes)) }
    }

    /// Seals `plaintext` bound to `aad`: nonce || ciphertext and tag.
    pub fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, KeyError> {
        let nonce = random_bytes::<NONCE_LEN>()?;
        let ct = self.cipher.encrypt(XNonce::from_slice(&nonce), Payload { msg: plaintext, aad }).map_err(|_| KeyError::Open)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        Ok(out)
    }

    pub fn open(&self, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, KeyError> {
        if sealed.len() < NONCE_LEN + 16 {
            return Err(KeyError::Open);
        }
        let (nonce, ct) = sealed.split_at(NONCE_LEN);
        self.cipher.decrypt(XNonce::from_slice(nonce), Payload { msg: ct, aad }).map_err(|_| KeyError::Open)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("kiosk-platform-keys-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn key_files_are_created_private_and_reloaded() {
        let dir = temp("files");
        let (k1, created) = load_or_create_signing_key(&dir.join("sign.key")).unwrap();
        assert!(created);
        let (k2, created) = load_or_create_signing_key(&dir.join("sign.key")).unwrap();
        assert!(!created);
        assert_eq!(k1.to_bytes(), k2.to_bytes());
        let mode = std::fs::metadata(dir.join("sign.key")).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let (t1, _) = load_or_create_admin_token(&dir.join("admin-token")).unwrap();
        assert_eq!(read_token_file(&dir.join("admin-token")).unwrap(), t1);
        std::fs::set_permissions(dir.join("admin-token"), std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(load_or_create_admin_token(&dir.join("admin-token")), Err(KeyError::Mode { .. })));
        std::fs::write(dir.join("bad.key"), "zz").unwrap();
        std::fs::set_permissions(dir.join("bad.key"), std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(matches!(load_or_create_signing_key(&dir.join("bad.key")), Err(KeyError::Malformed { .. })));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn sealing_binds_the_row() {
        let k = DataKey::from_bytes(&[3; 32]);
        let s = k.seal(b"T-1/a", b"441882195103070022").unwrap();
        assert!(!s.windows(6).any(|w| w == b"441882"));
        assert_eq!(k.open(b"T-1/a", &s).unwrap(), b"441882195103070022");
        assert!(k.open(b"T-1/b", &s).is_err());
        assert!(k.open(b"T-1/a", &s[..10]).is_err());
        assert!(DataKey::from_bytes(&[4; 32]).open(b"T-1/a", &s).is_err());
        assert!(secrets_equal("abc", "abc") && !secrets_equal("abc", "abd"));
    }
}
