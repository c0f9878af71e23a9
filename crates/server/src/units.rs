//! Human-friendly configuration values: byte sizes (`64MiB`, `512KB`, `1048576`) and
//! durations (`1d`, `6h`, `30m`, `45s`, `250ms`), parsed the same way from TOML, environment
//! variables and command-line flags.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

/// A size in bytes. Text forms: a plain integer (bytes) or an integer with a unit: `B`, `KB`,
/// `MB`, `GB` (powers of 1000) or `K`, `KiB`, `M`, `MiB`, `G`, `GiB` (powers of 1024), case
/// insensitive. In TOML it may also be an integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ByteSize(pub u64);

impl ByteSize {
    /// The size as a `usize`, saturating on 32-bit targets.
    pub fn as_usize(self) -> usize {
        usize::try_from(self.0).unwrap_or(usize::MAX)
    }
}

impl FromStr for ByteSize {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim();
        let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
        let (num, unit) = t.split_at(split);
        let bad = || {
            format!(
                "invalid size {s:?}: expected bytes, optionally with a unit (KB, MB, GB, KiB, MiB, GiB)"
            )
        };
        let n: u64 = num.parse().map_err(|_| bad())?;
        let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
            "" | "b" => 1,
            "kb" => 1_000,
            "mb" => 1_000_000,
            "gb" => 1_000_000_000,
            "k" | "kib" => 1 << 10,
            "m" | "mib" => 1 << 20,
            "g" | "gib" => 1 << 30,
            _ => return Err(bad()),
        };
        n.checked_mul(mult)
            .map(ByteSize)
            .ok_or_else(|| format!("size {s:?} is too large"))
    }
}

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0;
        for (unit, size) in [("GiB", 1u64 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)] {
            if n >= size && n % size == 0 {
                return write!(f, "{}{unit}", n / size);
            }
        }
        write!(f, "{n}")
    }
}

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = ByteSize;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a size in bytes, as an integer or a string such as \"64MiB\"")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ByteSize, E> {
                Ok(ByteSize(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ByteSize, E> {
                u64::try_from(v)
                    .map(ByteSize)
                    .map_err(|_| E::custom("a size cannot be negative"))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ByteSize, E> {
                v.parse().map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

/// A duration. Text form: an integer with a unit, `ms`, `s`, `m`, `h`, `d` or `w`
/// (`1d`, `6h`, `250ms`); several may be chained (`1h30m`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct HumanDuration(pub Duration);

impl FromStr for HumanDuration {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "invalid duration {s:?}: expected e.g. \"1d\", \"6h\", \"30m\", \"45s\", \"250ms\""
            )
        };
        let mut rest = s.trim();
        if rest.is_empty() {
            return Err(bad());
        }
        let mut total = Duration::ZERO;
        while !rest.is_empty() {
            let split = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
            let (num, tail) = rest.split_at(split);
            let n: u64 = num.parse().map_err(|_| bad())?;
            let unit_len = tail
                .find(|c: char| c.is_ascii_digit())
                .unwrap_or(tail.len());
            let (unit, tail) = tail.split_at(unit_len);
            let secs: u64 = match unit.trim() {
                "ms" => {
                    total = total
                        .checked_add(Duration::from_millis(n))
                        .ok_or_else(bad)?;
                    rest = tail;
                    continue;
                }
                "s" => 1,
                "m" => 60,
                "h" => 3_600,
                "d" => 86_400,
                "w" => 7 * 86_400,
                _ => return Err(bad()),
            };
            let d = n
                .checked_mul(secs)
                .map(Duration::from_secs)
                .ok_or_else(bad)?;
            total = total.checked_add(d).ok_or_else(bad)?;
            rest = tail;
        }
        Ok(HumanDuration(total))
    }
}

impl fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        if d.subsec_millis() != 0 || d.as_secs() == 0 {
            return write!(f, "{}ms", d.as_millis());
        }
        let s = d.as_secs();
        for (unit, size) in [("w", 7 * 86_400), ("d", 86_400), ("h", 3_600), ("m", 60)] {
            if s % size == 0 {
                return write!(f, "{}{unit}", s / size);
            }
        }
        write!(f, "{s}s")
    }
}

impl<'de> Deserialize<'de> for HumanDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!("1024".parse::<ByteSize>().unwrap(), ByteSize(1024));
        assert_eq!("64MiB".parse::<ByteSize>().unwrap(), ByteSize(64 << 20));
        assert_eq!("64m".parse::<ByteSize>().unwrap(), ByteSize(64 << 20));
        assert_eq!("2 KB".parse::<ByteSize>().unwrap(), ByteSize(2000));
        assert!("x".parse::<ByteSize>().is_err());
        assert!("5 parsecs".parse::<ByteSize>().is_err());
        assert!("99999999999999GiB".parse::<ByteSize>().is_err());
        assert_eq!(ByteSize(32 << 20).to_string(), "32MiB");
        assert_eq!(ByteSize(1000).to_string(), "1000");
    }

    #[test]
    fn durations() {
        let d = |s: &str| s.parse::<HumanDuration>().map(|d| d.0);
        assert_eq!(d("1d").unwrap(), Duration::from_secs(86_400));
        assert_eq!(d("6h").unwrap(), Duration::from_secs(6 * 3_600));
        assert_eq!(d("1h30m").unwrap(), Duration::from_secs(5_400));
        assert_eq!(d("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(d("2w").unwrap(), Duration::from_secs(14 * 86_400));
        for bad in ["", "5", "d", "5y", "-1d", "1.5h"] {
            assert!(d(bad).is_err(), "{bad}");
        }
        assert_eq!(HumanDuration(Duration::from_secs(86_400)).to_string(), "1d");
        assert_eq!(HumanDuration(Duration::from_secs(90)).to_string(), "90s");
        assert_eq!(
            HumanDuration(Duration::from_millis(1500)).to_string(),
            "1500ms"
        );
    }
}
