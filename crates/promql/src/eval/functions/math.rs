//! Functions applied to each value of an instant vector: arithmetic, trigonometry, rounding,
//! clamping and the calendar functions (UTC), with Go's `math` semantics where Rust's differ
//! (Go's `Max`/`Min` return NaN when either side is NaN).

/// A value-wise function of an instant vector.
pub type ValueFn = fn(f64) -> f64;

/// The value-wise function named `name`.
pub fn lookup(name: &str) -> Option<ValueFn> {
    Some(match name {
        "abs" => f64::abs,
        "ceil" => f64::ceil,
        "floor" => f64::floor,
        "exp" => f64::exp,
        "sqrt" => f64::sqrt,
        "ln" => f64::ln,
        "log2" => f64::log2,
        "log10" => f64::log10,
        "sin" => f64::sin,
        "cos" => f64::cos,
        "tan" => f64::tan,
        "asin" => f64::asin,
        "acos" => f64::acos,
        "atan" => f64::atan,
        "sinh" => f64::sinh,
        "cosh" => f64::cosh,
        "tanh" => f64::tanh,
        "asinh" => f64::asinh,
        "acosh" => f64::acosh,
        "atanh" => f64::atanh,
        "deg" => |v| v * 180.0 / std::f64::consts::PI,
        "rad" => |v| v * std::f64::consts::PI / 180.0,
        "sgn" => |v| {
            if v < 0.0 {
                -1.0
            } else if v > 0.0 {
                1.0
            } else {
                v
            }
        },
        "minute" => |v| calendar(v).map_or(f64::NAN, |c| c.minute as f64),
        "hour" => |v| calendar(v).map_or(f64::NAN, |c| c.hour as f64),
        "day_of_week" => |v| calendar(v).map_or(f64::NAN, |c| c.weekday as f64),
        "day_of_month" => |v| calendar(v).map_or(f64::NAN, |c| c.day as f64),
        "day_of_year" => |v| calendar(v).map_or(f64::NAN, |c| c.yday as f64),
        "days_in_month" => {
            |v| calendar(v).map_or(f64::NAN, |c| days_in_month(c.year, c.month) as f64)
        }
        "month" => |v| calendar(v).map_or(f64::NAN, |c| c.month as f64),
        "year" => |v| calendar(v).map_or(f64::NAN, |c| c.year as f64),
        _ => return None,
    })
}

/// Whether `name` is a calendar function (its argument defaults to `vector(time())`).
pub fn is_calendar(name: &str) -> bool {
    matches!(
        name,
        "minute"
            | "hour"
            | "day_of_week"
            | "day_of_month"
            | "day_of_year"
            | "days_in_month"
            | "month"
            | "year"
    )
}

/// Go's `math.Max`.
pub fn go_max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.max(b)
    }
}

/// Go's `math.Min`.
pub fn go_min(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.min(b)
    }
}

/// `round(v, to_nearest)`.
pub fn round(v: f64, to_nearest: f64) -> f64 {
    let inverse = 1.0 / to_nearest;
    (v * inverse + 0.5).floor() / inverse
}

/// A UTC calendar date and time of day.
#[derive(Debug, PartialEq, Eq)]
pub struct Calendar {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub yday: u32,
    pub weekday: u32,
    pub hour: u32,
    pub minute: u32,
}

/// The UTC date of `seconds` since the epoch, truncated to whole seconds as Go's
/// `time.Unix(int64(v), 0)` does; `None` for NaN and values out of range.
pub fn calendar(seconds: f64) -> Option<Calendar> {
    if !seconds.is_finite() || seconds.abs() > 1e17 {
        return None;
    }
    let s = seconds.trunc() as i64;
    let days = s.div_euclid(86_400);
    let rem = s.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    let mut yday = day;
    for m in 1..month {
        yday += days_in_month(year, m);
    }
    Some(Calendar {
        year,
        month,
        day,
        yday,
        weekday: (days + 4).rem_euclid(7) as u32,
        hour: (rem / 3600) as u32,
        minute: (rem % 3600 / 60) as u32,
    })
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_matches_known_dates() {
        // 2016-02-29T13:45:10Z, a Monday.
        let c = calendar(1_456_753_510.9).unwrap();
        assert_eq!(
            c,
            Calendar {
                year: 2016,
                month: 2,
                day: 29,
                yday: 60,
                weekday: 1,
                hour: 13,
                minute: 45
            }
        );
        assert_eq!(calendar(0.0).unwrap().weekday, 4);
        assert_eq!(calendar(-1.0).unwrap().year, 1969);
        assert_eq!(days_in_month(1900, 2), 28);
        assert_eq!(days_in_month(2000, 2), 29);
        assert!(calendar(f64::NAN).is_none());
    }

    #[test]
    fn go_semantics() {
        assert!(go_max(f64::NAN, 1.0).is_nan());
        assert_eq!(round(2.5, 1.0), 3.0);
        assert_eq!(round(-2.5, 1.0), -2.0);
        assert_eq!(round(13.0, 5.0), 15.0);
    }
}
