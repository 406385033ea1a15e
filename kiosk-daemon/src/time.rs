//! Wall-clock helpers without a date library: RFC 3339 timestamps, dates, and the terminal's
//! fixed time zone (China Standard Time, UTC+08:00, no daylight saving).
//!
//! Times are Unix seconds (`i64`). The clock is read only by the daemon's shell and passed in.

pub use kiosk_wire::civil::{civil_from_days, days_from_civil, format_local, parse_date, parse_rfc3339, TZ_OFFSET_S};

/// Now, in Unix seconds.
pub fn now_unix() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// `YYYY-MM-DD HH:MM` in the terminal's time zone, for receipts and screens.
pub fn format_local_short(t: i64) -> String {
    let full = format_local(t);
    format!("{} {}", &full[0..10], &full[11..16])
}

/// The local day number of `t`.
pub fn local_day(t: i64) -> i64 {
    (t + TZ_OFFSET_S).div_euclid(86_400)
}

/// `YYYY-MM-DD` of the local day of `t`.
pub fn local_date_string(t: i64) -> String {
    let (y, m, d) = civil_from_days(local_day(t));
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_known_values() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339("1970-01-01T08:00:00+08:00"), Some(0));
        let t = parse_rfc3339("2026-12-10T08:00:00+08:00").unwrap();
        assert_eq!(format_local(t), "2026-12-10T08:00:00+08:00");
        assert_eq!(parse_rfc3339("2026-12-10T00:00:00.123Z"), Some(t));
        assert_eq!(local_date_string(t), "2026-12-10");
        assert_eq!(format_local_short(t), "2026-12-10 08:00");
        assert_eq!(parse_date("2024-02-29"), Some(days_from_civil(2024, 2, 29)));
        assert_eq!(parse_date("2023-02-29"), None);
        assert_eq!(parse_date("20230229"), None);
        assert_eq!(parse_rfc3339("2026-12-10 08:00"), None);
        assert_eq!(parse_rfc3339("garbage"), None);
        for days in [-1000, 0, 19_000, 20_426, 50_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
