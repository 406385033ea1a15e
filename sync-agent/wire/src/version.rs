//! Catalogue versions `YYYY.MM.DD.N` (publication day, then a sequence number that day),
//! compared as a tuple of four integers: `2026.12.01.10` is newer than `2026.12.01.9`.
//!
//! The platform refuses to publish a version that is not newer than the current one; the agent
//! refuses to apply one that is not newer than what it has.

use std::fmt;
use std::str::FromStr;

/// A parsed catalogue version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CatalogueVersion {
    pub year: u32,
    pub month: u32,
    pub day: u32,
    pub seq: u32,
}

/// Why a version string is not a catalogue version.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("catalogue version {0:?} is not YYYY.MM.DD.N")]
pub struct VersionError(pub String);

impl FromStr for CatalogueVersion {
    type Err = VersionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || VersionError(s.chars().take(40).collect());
        let mut parts = s.split('.');
        let mut next = |max_len: usize| -> Result<u32, VersionError> {
            let p = parts.next().ok_or_else(err)?;
            if p.is_empty() || p.len() > max_len || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err());
            }
            p.parse().map_err(|_| err())
        };
        let (year, month, day, seq) = (next(4)?, next(2)?, next(2)?, next(9)?);
        if parts.next().is_some() || !(1000..=9999).contains(&year) || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
            return Err(err());
        }
        Ok(CatalogueVersion { year, month, day, seq })
    }
}

impl fmt::Display for CatalogueVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}.{:02}.{:02}.{}", self.year, self.month, self.day, self.seq)
    }
}

impl CatalogueVersion {
    /// The version to publish on `today` (`(year, month, day)`, the publisher's calendar day)
    /// after `previous`: `today.1` on a new day, the next sequence number on the same day, and
    /// the next sequence number of `previous`'s day when `previous` is dated in the future (a
    /// skewed clock must never produce a version that is not newer).
    pub fn next_after(previous: Option<CatalogueVersion>, today: (u32, u32, u32)) -> CatalogueVersion {
        let (year, month, day) = today;
        let first = CatalogueVersion { year, month, day, seq: 1 };
        match previous {
            None => first,
            Some(p) if (p.year, p.month, p.day) < today => first,
            Some(p) => CatalogueVersion { seq: p.seq.saturating_add(1), ..p },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> CatalogueVersion {
        s.parse().unwrap()
    }

    #[test]
    fn parses_compares_numerically_and_prints() {
        assert!(v("2026.12.01.10") > v("2026.12.01.9"));
        assert!(v("2026.12.02.1") > v("2026.12.01.99"));
        assert!(v("2027.01.01.1") > v("2026.12.31.5"));
        assert_eq!(v("2026.12.01.1").to_string(), "2026.12.01.1");
        assert_eq!(v("2026.1.1.1").to_string(), "2026.01.01.1");
        for bad in ["", "2026.12.01", "2026.12.01.1.2", "2026.13.01.1", "2026.12.00.1", "26.12.01.1", "2026.12.01.x", "2026.12.01.-1", "2026.12.01.9999999999", "+026.12.01.1"] {
            assert!(bad.parse::<CatalogueVersion>().is_err(), "{bad}");
        }
    }

    #[test]
    fn next_is_always_newer() {
        assert_eq!(CatalogueVersion::next_after(None, (2026, 12, 4)), v("2026.12.04.1"));
        assert_eq!(CatalogueVersion::next_after(Some(v("2026.12.01.3")), (2026, 12, 4)), v("2026.12.04.1"));
        assert_eq!(CatalogueVersion::next_after(Some(v("2026.12.04.3")), (2026, 12, 4)), v("2026.12.04.4"));
        let future = v("2027.01.01.2");
        let next = CatalogueVersion::next_after(Some(future), (2026, 12, 4));
        assert!(next > future);
    }
}
