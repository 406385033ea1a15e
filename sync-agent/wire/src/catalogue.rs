//! The signed catalogue envelope. The catalogue document itself is kioskd's format
//! (`assets/catalogue/README.md`); the wire only needs its head (`schema`, `version`) and
//! carries the text exactly as signed, so the signature covers the very bytes the terminal
//! stores.

use serde::{Deserialize, Serialize};

use crate::messages::{check_version, WireError, PROTOCOL_VERSION};
use crate::sign::{self, SignatureError, SigningKey, VerifyingKey};
use crate::version::{CatalogueVersion, VersionError};

/// The catalogue schema this protocol version carries.
pub const CATALOGUE_SCHEMA: u64 = 1;

/// `GET /api/v1/catalogue` (ETag `"<version>"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedCatalogue {
    pub v: u32,
    /// The document's own `version`.
    pub version: String,
    /// The catalogue JSON text, exactly as signed.
    pub document: String,
    /// Ed25519 over `document`'s UTF-8 bytes, 128 lower-case hex digits.
    pub signature: String,
    /// [`sign::key_id`] of the platform key that signed it.
    pub key_id: String,
}

/// The head of a catalogue document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocumentHead {
    pub schema: u64,
    pub version: CatalogueVersion,
}

/// Why a catalogue cannot be published or applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogueError {
    #[error(transparent)]
    Wire(#[from] WireError),
    #[error("catalogue is not a JSON object: {0}")]
    Json(String),
    #[error("catalogue has no integer \"schema\"")]
    NoSchema,
    #[error("catalogue schema {0} is not supported (expected {CATALOGUE_SCHEMA})")]
    Schema(u64),
    #[error("catalogue has no string \"version\"")]
    NoVersion,
    #[error(transparent)]
    Version(#[from] VersionError),
    #[error("envelope says version {envelope} but the document says {document}")]
    VersionMismatch { envelope: String, document: String },
    #[error("signed by key {got}, expected {expected}")]
    WrongKey { got: String, expected: String },
    #[error("catalogue signature: {0}")]
    Signature(#[from] SignatureError),
}

/// Reads a catalogue document's head: it must be a JSON object with an integer `schema` equal to
/// [`CATALOGUE_SCHEMA`] and a `version` of the form `YYYY.MM.DD.N`.
pub fn document_head(document: &str) -> Result<DocumentHead, CatalogueError> {
    let value: serde_json::Value = serde_json::from_str(document).map_err(|e| CatalogueError::Json(e.to_string()))?;
    let object = value.as_object().ok_or_else(|| CatalogueError::Json("not an object".into()))?;
    let schema = object.get("schema").and_then(|s| s.as_u64()).ok_or(CatalogueError::NoSchema)?;
    if schema != CATALOGUE_SCHEMA {
        return Err(CatalogueError::Schema(schema));
    }
    let version = object.get("version").and_then(|s| s.as_str()).ok_or(CatalogueError::NoVersion)?.parse()?;
    Ok(DocumentHead { schema, version })
}

impl SignedCatalogue {
    /// Signs a document (after checking its head).
    pub fn sign(key: &SigningKey, document: String) -> Result<SignedCatalogue, CatalogueError> {
        let head = document_head(&document)?;
        let signature = sign::sign_document(key, document.as_bytes());
        Ok(SignedCatalogue { v: PROTOCOL_VERSION, version: head.version.to_string(), document, signature, key_id: sign::key_id(&key.verifying_key()) })
    }

    /// What a terminal checks before it applies a catalogue: the protocol version, the signing
    /// key, the signature over the exact document bytes, the head, and that the envelope's
    /// version is the document's. (Whether it is newer than the terminal's is the caller's
    /// comparison, on the returned head.)
    pub fn verify(&self, key: &VerifyingKey) -> Result<DocumentHead, CatalogueError> {
        check_version(self.v)?;
        let expected = sign::key_id(key);
        if self.key_id != expected {
            return Err(CatalogueError::WrongKey { got: self.key_id.chars().take(64).collect(), expected });
        }
        sign::verify_document(key, self.document.as_bytes(), &self.signature)?;
        let head = document_head(&self.document)?;
        if head.version.to_string() != self.version {
            return Err(CatalogueError::VersionMismatch { envelope: self.version.chars().take(40).collect(), document: head.version.to_string() });
        }
        Ok(head)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    const DOC: &str = "{\n  \"schema\": 1,\n  \"version\": \"2026.12.01.1\",\n  \"items\": []\n}\n";

    #[test]
    fn a_signed_catalogue_verifies_and_any_tampering_fails() {
        let k = key(7);
        let signed = SignedCatalogue::sign(&k, DOC.to_string()).unwrap();
        assert_eq!(signed.version, "2026.12.01.1");
        let head = signed.verify(&k.verifying_key()).unwrap();
        assert_eq!(head.version.to_string(), "2026.12.01.1");
        // One changed byte of the document (even whitespace).
        let t = SignedCatalogue { document: DOC.replace("  \"items\"", " \"items\""), ..signed.clone() };
        assert_eq!(t.verify(&k.verifying_key()), Err(CatalogueError::Signature(SignatureError::BadSignature)));
        // Another key, or a lying key id.
        assert!(matches!(signed.verify(&key(8).verifying_key()), Err(CatalogueError::WrongKey { .. })));
        let forged = SignedCatalogue::sign(&key(8), DOC.to_string()).unwrap();
        let t = SignedCatalogue { key_id: signed.key_id.clone(), ..forged };
        assert_eq!(t.verify(&k.verifying_key()), Err(CatalogueError::Signature(SignatureError::BadSignature)));
        // An envelope version that is not the document's.
        let t = SignedCatalogue { version: "2026.12.02.1".into(), ..signed.clone() };
        assert!(matches!(t.verify(&k.verifying_key()), Err(CatalogueError::VersionMismatch { .. })));
        let t = SignedCatalogue { v: 9, ..signed };
        assert!(matches!(t.verify(&k.verifying_key()), Err(CatalogueError::Wire(WireError::Version(9)))));
    }

    #[test]
    fn heads_are_checked() {
        assert_eq!(document_head("[]"), Err(CatalogueError::Json("not an object".into())));
        assert!(matches!(document_head("{"), Err(CatalogueError::Json(_))));
        assert_eq!(document_head("{\"version\": \"2026.12.01.1\"}"), Err(CatalogueError::NoSchema));
        assert_eq!(document_head("{\"schema\": \"1\", \"version\": \"2026.12.01.1\"}"), Err(CatalogueError::NoSchema));
        assert_eq!(document_head("{\"schema\": 2, \"version\": \"2026.12.01.1\"}"), Err(CatalogueError::Schema(2)));
        assert_eq!(document_head("{\"schema\": 1}"), Err(CatalogueError::NoVersion));
        assert!(matches!(document_head("{\"schema\": 1, \"version\": \"v1\"}"), Err(CatalogueError::Version(_))));
    }

    #[test]
    fn the_sample_catalogue_has_a_valid_head() {
        let sample = include_str!("../../../assets/catalogue/catalogue.json");
        assert_eq!(document_head(sample).unwrap().version.to_string(), "2026.12.01.1");
    }
}
