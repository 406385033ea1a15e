//! Wall-clock text without a date library: RFC 3339 instants in China time (UTC+08:00, the
//! catalogue's and the exports' zone), calendar days, and the `since`/`until` forms the admin API
//! accepts. Calendar arithmetic comes from `kiosk_wire::civil`, shared with `kioskd::time`.

pub use kiosk_wire::civil::{civil_from_days, days_from_civil, format_local, parse_date, parse_rfc3339, TZ_OFFSET_S};

/// True when `s` is an RFC 3339 instant with an explicit offset or `Z`.
pub fn is_rfc3339(s: &str) -> bool {
    parse_rfc3339(s).is_some()
}


/// The China-time calendar date of `t`.
pub fn local_date(t: i64) -> (i64, u32, u32) {
    civil_from_days(t.saturating_add(TZ_OFFSET_S).div_euclid(86_400))
}

/// `YYYY-MM-DD` of `t` in China time.
pub fn local_date_string(t: i64) -> String {
    let (y, m, d) = local_date(t);
    format!("{y:04}-{m:02}-{d:02}")
}

/// A `since`/`until` value: Unix seconds, an RFC 3339 instant, or a date (its midnight, China
/// time).
pub fn parse_instant(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Some(n) = (!s.is_empty() && s.len() <= 12 && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse::<i64>().ok()).flatten() {
        return Some(n);
    }
    if let Some(days) = parse_date(s) {
        return Some(days * 86_400 - TZ_OFFSET_S);
    }
    parse_rfc3339(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_and_round_trips() {
        assert_eq!(parse_rfc3339("1970-01-01T08:00:00+08:00"), Some(0));
        let t = parse_rfc3339("2026-12-10T08:00:00+08:00").unwrap();
        assert_eq!(format_local(t), "2026-12-10T08:00:00+08:00");
        assert_eq!(local_date_string(t), "2026-12-10");
        assert_eq!(local_date(t - 8 * 3600 - 1), (2026, 12, 9), "midnight China time");
        assert_eq!(parse_instant("2026-12-10"), parse_rfc3339("2026-12-10T00:00:00+08:00"));
        assert_eq!(parse_instant("1796000000"), Some(1_796_000_000));
        assert_eq!(parse_instant("2026-12-10T00:00:00Z"), parse_rfc3339("2026-12-10T08:00:00+08:00"));
        for bad in ["", "x", "2026-13-01", "2026-02-30", "2026-12-10T25:00:00Z", "2026-12-10T08:00:00+", "-5", "2026-12-10T08:00:00"] {
            assert_eq!(parse_instant(bad), None, "{bad}");
        }
        assert!(!is_rfc3339("2026-12-10"));
    }
}
