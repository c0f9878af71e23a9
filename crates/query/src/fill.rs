//! `fill` of windows without data, shared by the JSON query (`"fill"`) and InfluxQL
//! (`fill(...)`): `null` leaves them empty, `none` drops them (the caller's part), a number
//! puts it there, `previous` repeats the value of the last window that had data, `linear`
//! interpolates between the windows with data on each side (none before the first or after
//! the last). Only windows with no data are filled; a window with data whose aggregate is
//! null (a standard deviation of one value) stays null.

use serde::Deserialize;
use serde::de::{self, Deserializer};

/// How empty windows are filled.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Fill {
    #[default]
    Null,
    None,
    Number(f64),
    Previous,
    Linear,
}

impl<'de> Deserialize<'de> for Fill {
    /// JSON: `"null"`, `"none"`, `"previous"`, `"linear"`, or a number.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Word(String),
            Number(f64),
        }
        match Raw::deserialize(d)? {
            Raw::Number(n) if n.is_finite() => Ok(Fill::Number(n)),
            Raw::Number(_) => Err(de::Error::custom("fill: the number must be finite")),
            Raw::Word(w) => match w.as_str() {
                "null" => Ok(Fill::Null),
                "none" => Ok(Fill::None),
                "previous" => Ok(Fill::Previous),
                "linear" => Ok(Fill::Linear),
                other => Err(de::Error::custom(format!(
                    "fill: expected \"null\", \"none\", \"previous\", \"linear\" or a number, got {other:?}"
                ))),
            },
        }
    }
}

/// A value a window can be filled with.
pub trait Fillable: Clone {
    /// The fill number as a value of the column (`like`: a value of it, for its type).
    fn from_number(n: f64, like: Option<&Self>) -> Self;
    /// `a + (b - a) * f`, if both are numbers.
    fn lerp(a: &Self, b: &Self, f: f64) -> Option<Self>;
}

/// Fills the cells of the windows marked `empty` (`starts`: the windows' times).
pub fn fill<T: Fillable>(how: Fill, starts: &[i64], cells: &mut [Option<T>], empty: &[bool]) {
    let like = cells.iter().flatten().next().cloned();
    match how {
        Fill::Null | Fill::None => {}
        Fill::Number(n) => {
            for (cell, e) in cells.iter_mut().zip(empty) {
                if *e {
                    *cell = Some(T::from_number(n, like.as_ref()));
                }
            }
        }
        Fill::Previous => {
            let mut prev: Option<T> = None;
            for (cell, e) in cells.iter_mut().zip(empty) {
                if *e {
                    *cell = prev.clone();
                } else {
                    prev = cell.clone();
                }
            }
        }
        Fill::Linear => {
            let known: Vec<usize> = (0..cells.len())
                .filter(|&i| !empty[i] && cells[i].is_some())
                .collect();
            for w in known.windows(2) {
                let (a, z) = (w[0], w[1]);
                let (Some(va), Some(vz)) = (cells[a].clone(), cells[z].clone()) else {
                    continue;
                };
                for i in a + 1..z {
                    if empty[i] {
                        let f = (starts[i] - starts[a]) as f64 / (starts[z] - starts[a]) as f64;
                        cells[i] = T::lerp(&va, &vz, f);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Fillable for f64 {
        fn from_number(n: f64, _: Option<&Self>) -> Self {
            n
        }
        fn lerp(a: &Self, b: &Self, f: f64) -> Option<Self> {
            Some(a + (b - a) * f)
        }
    }

    #[test]
    fn fills_only_empty_windows() {
        let starts = [0, 10, 20, 30, 40];
        let empty = [true, false, true, false, true];
        let base = [None, Some(1.0), None, Some(3.0), None];
        let run = |how| {
            let mut c = base;
            fill(how, &starts, &mut c, &empty);
            c
        };
        assert_eq!(run(Fill::Null), base);
        assert_eq!(
            run(Fill::Number(0.0)),
            [Some(0.0), Some(1.0), Some(0.0), Some(3.0), Some(0.0)]
        );
        assert_eq!(
            run(Fill::Previous),
            [None, Some(1.0), Some(1.0), Some(3.0), Some(3.0)]
        );
        assert_eq!(
            run(Fill::Linear),
            [None, Some(1.0), Some(2.0), Some(3.0), None]
        );
        let f: Fill = serde_json::from_str("\"previous\"").unwrap();
        assert_eq!(f, Fill::Previous);
        assert_eq!(
            serde_json::from_str::<Fill>("-1").unwrap(),
            Fill::Number(-1.0)
        );
        assert!(serde_json::from_str::<Fill>("\"zero\"").is_err());
    }
}
