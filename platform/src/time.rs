//! Wall-clock text without a date library: RFC 3339 instants in China time (UTC+08:00, the
//! catalogue's and the exports' zone), calendar days, and the `since`/`until` forms the admin API
//! accepts. Calendar arithmetic comes from `kiosk_wire::civil`, shared with `kioskd::time`.

pub use kiosk_wire::civil::{civil_from_days, days_from_civil, TZ_OFFSET_S};

fn num(s: &str) -> Option<i64> {
    (!s.is_empty() && s.len() <= 9 && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok()).flatten()
}

/// Parses `YYYY-MM-DD` to a day number.
pub fn parse_date(s: &str) -> Option<i64> {
    let (y, rest) = s.split_once('-')?;
    let (m, d) = rest.split_once('-')?;
    if y.len() != 4 {
        return None;
    }
    let (y, m, d) = (num(y)?, num(m)? as u32, num(d)? as u32);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let days = days_from_civil(y, m, d);
    (civil_from_days(days) == (y, m, d)).then_some(days)
}

/// Parses an RFC 3339 instant with `Z` or an offset (fractional seconds ignored).
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let (date, time) = s.split_once(['T', ' '])?;
    let days = parse_date(date)?;
    let (clock, offset) = if let Some(c) = time.strip_suffix('Z') {
        (c, 0)
    } else {
        let at = time.rfind(['+', '-'])?;
        let (c, off) = time.split_at(at);
        let sign = if off.starts_with('-') { -1 } else { 1 };
        let (oh, om) = off.get(1..)?.split_once(':')?;
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

/// True when `s` is an RFC 3339 instant with an explicit offset or `Z`.
pub fn is_rfc3339(s: &str) -> bool {
    parse_rfc3339(s).is_some()
}

/// Unix seconds as RFC 3339 in China time.
pub fn format_local(t: i64) -> String {
    let local = t.saturating_add(TZ_OFFSET_S);
    let (y, m, d) = civil_from_days(local.div_euclid(86_400));
    let s = local.rem_euclid(86_400);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}+08:00", s / 3600, s / 60 % 60, s % 60)
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
