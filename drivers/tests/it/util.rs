//! Shared test helpers: unique temp dirs and sample cards.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use kiosk_drivers::idcard::{CardJson, Gender};

/// A fresh, empty directory for one test. Removed again when the guard drops.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "kiosk-it-{name}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }

    pub fn join(&self, p: &str) -> PathBuf {
        self.0.join(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn blank(card_type: &str) -> CardJson {
    serde_json::from_value(serde_json::json!({ "card_type": card_type })).unwrap()
}

/// An elderly villager's resident card (valid check digit, long-term validity).
pub fn resident_card() -> CardJson {
    CardJson {
        name: Some("张秀英".into()),
        gender: Some(Gender::Female),
        nation: Some("汉".into()),
        birth_date: Some("1951-03-07".into()),
        address: Some("广东省清远市连州市西岸镇冲口村委会冲口村28号".into()),
        id_number: Some("441882195103070022".into()),
        id_number_valid: Some(true),
        issuer: Some("连州市公安局".into()),
        valid_from: Some("2015-06-01".into()),
        valid_to: Some("long_term".into()),
        ..blank("resident")
    }
}

/// A second, different citizen.
pub fn second_resident_card() -> CardJson {
    CardJson {
        name: Some("莫志强".into()),
        gender: Some(Gender::Male),
        nation: Some("瑶".into()),
        birth_date: Some("1962-10-21".into()),
        address: Some("广东省清远市连南瑶族自治县三江镇".into()),
        id_number: Some("441826196210210012".into()),
        id_number_valid: Some(true),
        issuer: Some("连南瑶族自治县公安局".into()),
        valid_from: Some("2012-01-09".into()),
        valid_to: Some("2032-01-09".into()),
        ..blank("resident")
    }
}

pub fn hmt_card() -> CardJson {
    CardJson {
        name: Some("陈家明".into()),
        gender: Some(Gender::Male),
        birth_date: Some("1990-08-15".into()),
        address: Some("广东省珠海市香洲区拱北街道".into()),
        id_number: Some("810000199008150014".into()),
        id_number_valid: Some(true),
        issuer: Some("珠海市公安局".into()),
        valid_from: Some("2020-05-01".into()),
        valid_to: Some("2025-05-01".into()),
        pass_number: Some("H12345678".into()),
        issue_count: Some("01".into()),
        ..blank("hmt_residence")
    }
}

pub fn foreign_card() -> CardJson {
    CardJson {
        name: Some("马丁".into()),
        gender: Some(Gender::Male),
        birth_date: Some("1980-11-02".into()),
        id_number: Some("CAN440080110201".into()),
        issuer: Some("1500".into()),
        valid_from: Some("2019-01-15".into()),
        valid_to: Some("2029-01-14".into()),
        english_name: Some("MARTIN, JEAN PIERRE".into()),
        nationality: Some("CAN".into()),
        ..blank("foreign_permanent")
    }
}

pub fn unknown_card(letter: char) -> CardJson {
    blank(&format!("unknown:{letter}"))
}
