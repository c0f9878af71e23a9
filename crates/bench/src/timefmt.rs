//! Time on the command line and in queries: `--start` (RFC 3339 or epoch seconds),
//! `--duration` (`1d`, `12h`, `1h30m`, `10s`, `500ms`) and RFC 3339 formatting for InfluxQL.
//! All times are milliseconds since the Unix epoch (UTC).

use crate::error::BenchError;

/// Milliseconds in a second, minute, hour, day.
pub const SECOND_MS: i64 = 1_000;
pub const MINUTE_MS: i64 = 60 * SECOND_MS;
pub const HOUR_MS: i64 = 60 * MINUTE_MS;
pub const DAY_MS: i64 = 24 * HOUR_MS;

/// Parses `--start`: RFC 3339 (`2016-01-01T00:00:00Z`, `2016-01-01T02:00:00+02:00`,
/// fractional seconds allowed), a bare date `2016-01-01` (midnight UTC), epoch seconds
/// (`1451606400`) or epoch milliseconds with a suffix (`1451606400000ms`).
pub fn parse_start(text: &str) -> Result<i64, BenchError> {
    let t = text.trim();
    let bad = || {
        BenchError::Usage(format!(
            "invalid start time {text:?}: expected RFC 3339 (2016-01-01T00:00:00Z) or epoch seconds"
        ))
    };
    if let Some(ms) = t.strip_suffix("ms") {
        return ms.parse::<i64>().map_err(|_| bad());
    }
    let unsigned = t.strip_prefix('-').unwrap_or(t);
    if !unsigned.is_empty() && unsigned.bytes().all(|b| b.is_ascii_digit()) {
        return t
            .parse::<i64>()
            .ok()
            .and_then(|s| s.checked_mul(SECOND_MS))
            .ok_or_else(bad);
    }
    parse_rfc3339(t).ok_or_else(bad)
}

fn digits(s: &str) -> Option<i64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn parse_rfc3339(t: &str) -> Option<i64> {
    let (date, rest) = match t.find(['T', 't', ' ']) {
        Some(i) => (&t[..i], &t[i + 1..]),
        None => (t, "00:00:00Z"),
    };
    let mut d = date.split('-');
    let (y, m, day) = (digits(d.next()?)?, digits(d.next()?)?, digits(d.next()?)?);
    if d.next().is_some() || !(1..=12).contains(&m) || !(1..=31).contains(&day) {
        return None;
    }
    // Split the clock from the offset.
    let (clock, offset_ms) = if let Some(c) = rest.strip_suffix(['Z', 'z']) {
        (c, 0)
    } else {
        let i = rest.rfind(['+', '-'])?;
        let (c, off) = rest.split_at(i);
        let sign = if off.starts_with('-') { -1 } else { 1 };
        let mut hm = off[1..].split(':');
        let oh = digits(hm.next()?)?;
        let om = digits(hm.next().unwrap_or("0"))?;
        (c, sign * (oh * HOUR_MS + om * MINUTE_MS))
    };
    let mut c = clock.split(':');
    let (hh, mm) = (digits(c.next()?)?, digits(c.next()?)?);
    let sec_text = c.next().unwrap_or("0");
    if c.next().is_some() || hh > 23 || mm > 59 {
        return None;
    }
    let (whole, frac) = match sec_text.split_once('.') {
        Some((w, f)) => (w, f),
        None => (sec_text, ""),
    };
    let ss = digits(whole)?;
    if ss > 60 {
        return None;
    }
    let frac_ms = if frac.is_empty() {
        0
    } else {
        let f3: String = frac.chars().chain("000".chars()).take(3).collect();
        digits(&f3)?
    };
    let days = days_from_civil(y, m, day);
    Some(days * DAY_MS + hh * HOUR_MS + mm * MINUTE_MS + ss * SECOND_MS + frac_ms - offset_ms)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// `2016-01-01T00:00:00Z` (with `.mmm` when the milliseconds are not zero).
pub fn format_rfc3339(ms: i64) -> String {
    let days = ms.div_euclid(DAY_MS);
    let rem = ms.rem_euclid(DAY_MS);
    let (y, m, d) = civil_from_days(days);
    let (h, mi, s, frac) = (
        rem / HOUR_MS,
        rem % HOUR_MS / MINUTE_MS,
        rem % MINUTE_MS / SECOND_MS,
        rem % SECOND_MS,
    );
    if frac == 0 {
        format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
    } else {
        format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{frac:03}Z")
    }
}

/// Parses a duration such as `1d`, `12h`, `1h30m`, `90s`, `500ms`, `2w` into milliseconds.
pub fn parse_duration(text: &str) -> Result<i64, BenchError> {
    let bad = || {
        BenchError::Usage(format!(
            "invalid duration {text:?}: expected e.g. 1d, 12h, 30m, 10s, 500ms"
        ))
    };
    let t = text.trim();
    if t.is_empty() {
        return Err(bad());
    }
    let mut total: i64 = 0;
    let mut rest = t;
    while !rest.is_empty() {
        let n_end = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        let n: i64 = rest[..n_end].parse().map_err(|_| bad())?;
        rest = &rest[n_end..];
        let u_end = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = match &rest[..u_end] {
            "ms" => 1,
            "s" => SECOND_MS,
            "m" => MINUTE_MS,
            "h" => HOUR_MS,
            "d" => DAY_MS,
            "w" => 7 * DAY_MS,
            _ => return Err(bad()),
        };
        rest = &rest[u_end..];
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(bad)?;
    }
    if total <= 0 {
        return Err(bad());
    }
    Ok(total)
}

/// `1d`, `12h`, `90m`, `10s` or `250ms`: the largest whole unit.
pub fn format_duration(ms: i64) -> String {
    for (unit, name) in [
        (DAY_MS, "d"),
        (HOUR_MS, "h"),
        (MINUTE_MS, "m"),
        (SECOND_MS, "s"),
    ] {
        if ms != 0 && ms % unit == 0 {
            return format!("{}{name}", ms / unit);
        }
    }
    format!("{ms}ms")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts() {
        assert_eq!(
            parse_start("2016-01-01T00:00:00Z").unwrap(),
            1_451_606_400_000
        );
        assert_eq!(parse_start("2016-01-01").unwrap(), 1_451_606_400_000);
        assert_eq!(
            parse_start("2016-01-01T02:00:00+02:00").unwrap(),
            1_451_606_400_000
        );
        assert_eq!(
            parse_start("2016-01-01T00:00:00.250Z").unwrap(),
            1_451_606_400_250
        );
        assert_eq!(parse_start("1451606400").unwrap(), 1_451_606_400_000);
        assert_eq!(parse_start("1451606400123ms").unwrap(), 1_451_606_400_123);
        assert!(parse_start("yesterday").is_err());
        assert!(parse_start("2016-13-01T00:00:00Z").is_err());
    }

    #[test]
    fn rfc3339_round_trip() {
        for ms in [
            0,
            1_451_606_400_000,
            1_451_606_400_250,
            951_782_400_000,
            4_102_444_800_000,
        ] {
            assert_eq!(
                parse_start(&format_rfc3339(ms)).unwrap(),
                ms,
                "{}",
                format_rfc3339(ms)
            );
        }
        assert_eq!(format_rfc3339(1_451_606_400_000), "2016-01-01T00:00:00Z");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1d").unwrap(), DAY_MS);
        assert_eq!(parse_duration("12h").unwrap(), 12 * HOUR_MS);
        assert_eq!(parse_duration("1h30m").unwrap(), 90 * MINUTE_MS);
        assert_eq!(parse_duration("500ms").unwrap(), 500);
        assert!(parse_duration("").is_err());
        assert!(parse_duration("5x").is_err());
        assert!(parse_duration("h").is_err());
        assert_eq!(format_duration(DAY_MS), "1d");
        assert_eq!(format_duration(90 * MINUTE_MS), "90m");
    }
}
