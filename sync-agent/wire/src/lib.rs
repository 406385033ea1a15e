//! `kiosk-wire`: the sync protocol between a terminal's sync agent (inside `kioskd`) and the
//! provincial platform (`kiosk-platform`), shared by both. No I/O, no clock, no tokio: messages
//! are serde types, signing is pure functions of keys, bytes and a `now` passed in.
//!
//! - [`messages`]: the versioned JSON messages (enrolment, terminal record, heartbeat, outbox
//!   batch and its typed record bodies, configuration, errors), their limits and validation.
//! - [`catalogue`]: the signed catalogue envelope and the document head.
//! - [`sign`]: request signing (`KIOSK-SIG-V1`), document signing, key encoding.
//! - [`version`]: catalogue version numbers and their order.
//! - [`hex`]: the encoding of keys, hashes, nonces and signatures.
//!
//! Every message carries `"v": 1` ([`PROTOCOL_VERSION`]). The device API's paths are in
//! [`messages::paths`] and its error codes in [`messages::codes`].

pub mod catalogue;
pub mod civil;
pub mod hex;
pub mod messages;
pub mod sign;
pub mod version;

pub use catalogue::{document_head, CatalogueError, DocumentHead, SignedCatalogue, CATALOGUE_SCHEMA};
pub use messages::*;
pub use sign::{sign_document, sign_request, verify_document, verify_request, KeyError, SignatureError, SignedHeaders, SigningKey, VerifyingKey};
pub use version::{CatalogueVersion, VersionError};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sign::tests::Rng;

    /// Random and mutated JSON never panics the parsers or validators.
    #[test]
    fn random_json_never_panics() {
        let fault = FaultBody { category: "printer".into(), text: "卡纸".into(), source: "assistant".into() };
        let batch = Batch::new("T-1", vec![Record::fault("0193a4f2-7c1e-7b3a-9f00-000000000001", 5, &fault)]);
        let seed = serde_json::to_vec(&batch).unwrap();
        let mut rng = Rng(42);
        for i in 0..4000 {
            let input = if i % 2 == 0 {
                rng.bytes(200)
            } else {
                let mut m = seed.clone();
                for _ in 0..1 + rng.next() % 4 {
                    let at = (rng.next() % m.len() as u64) as usize;
                    m[at] = rng.next() as u8;
                }
                m
            };
            if let Ok(b) = serde_json::from_slice::<Batch>(&input) {
                let _ = b.validate();
                for r in &b.records {
                    let _ = r.parse();
                }
            }
            if let Ok(h) = serde_json::from_slice::<Heartbeat>(&input) {
                let _ = h.validate();
            }
            if let Ok(e) = serde_json::from_slice::<EnrolRequest>(&input) {
                let _ = e.validate();
            }
            let _ = document_head(&String::from_utf8_lossy(&input));
            let _ = String::from_utf8_lossy(&input).parse::<CatalogueVersion>();
        }
    }
}
