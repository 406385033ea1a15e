//! Wall-clock helpers without a date library: RFC 3339 timestamps, dates, and the terminal's
//! fixed time zone (China Standard Time, UTC+08:00, no daylight saving).
//!
//! Times are Unix seconds (`i64`). The clock is read only by the daemon's shell and passed in.

pub use kiosk_wire::civil::{civil_from_days, days_from_civil, TZ_OFFSET_S};

/// Now, in Unix seconds.
pub fn now_unix() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

fn num(s: &str) -> Option<i64> {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok()).flatten()
}

/// Parses `YYYY-MM-DD` to a day number.
pub fn parse_date(s: &str) -> Option<i64> {
    let (y, rest) = s.split_once('-')?;
    let (m, d) = rest.split_once('-')?;
    let (y, m, d) = (num(y)?, num(m)? as u32, num(d)? as u32);
    if y.to_string().len() != 4 || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let days = days_from_civil(y, m, d);
    (civil_from_days(days) == (y, m, d)).then_some(days)
}

/// Parses an RFC 3339 timestamp (`2026-12-10T08:00:00+08:00`, `…Z`, fractional seconds
/// ignored) to Unix seconds.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let (date, time) = s.split_once(['T', ' '])?;
    let days = parse_date(date)?;
    let (clock, offset) = if let Some(c) = time.strip_suffix('Z') {
        (c, 0)
    } else {
        let at = time.rfind(['+', '-'])?;
        let (c, off) = time.split_at(at);
        let sign = if off.starts_with('-') { -1 } else { 1 };
        let (oh, om) = off[1..].split_once(':')?;
        (c, sign * (num(oh)? * 3600 + num(om)? * 60))
    };
    let clock = clock.split('.').next()?;
    let mut parts = clock.split(':');
    let (h, m, sec) = (num(parts.next()?)?, num(parts.next()?)?, num(parts.next()?)?);
    if parts.next().is_some() || h > 23 || m > 59 || sec > 60 {
        return None;
    }
    Some(days * 86_400 + h * 3600 + m * 60 + sec - offset)
}

/// Formats Unix seconds as RFC 3339 in the terminal's time zone.
pub fn format_local(t: i64) -> String {
    let local = t + TZ_OFFSET_S;
    let (y, m, d) = civil_from_days(local.div_euclid(86_400));
    let s = local.rem_euclid(86_400);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}+08:00", s / 3600, s / 60 % 60, s % 60)
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
