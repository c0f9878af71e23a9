//! The field values: TSBS's clamped random walk (`common.CWD(ND(0,1), 0, 100, U(0,100))`).
//!
//! Each field of each host starts uniform in `[0, 100)`; every tick adds a standard normal
//! step and clamps the sum to `[0, 100]`. The first row carries the starting value, as in
//! TSBS. TSBS then truncates each value to an integer when it writes the `cpu` measurement
//! (`ToPointAllInt64`); we keep the full `f64` by default (a harder case for compression)
//! and offer the truncation as `--integer-values` (still written as floats).

use crate::rng::Rng;

/// Lower and upper bounds of every CPU field.
pub const MIN: f64 = 0.0;
pub const MAX: f64 = 100.0;

/// One field's walk.
#[derive(Debug, Clone, Copy)]
pub struct ClampedWalk {
    state: f64,
}

impl ClampedWalk {
    /// A walk starting uniformly in `[MIN, MAX)`.
    pub fn start(rng: &mut Rng) -> ClampedWalk {
        ClampedWalk {
            state: MIN + rng.next_f64() * (MAX - MIN),
        }
    }

    /// The current value.
    pub fn value(&self) -> f64 {
        self.state
    }

    /// One tick: add a N(0, 1) step, clamp to `[MIN, MAX]`.
    pub fn advance(&mut self, rng: &mut Rng) {
        self.state = (self.state + rng.normal()).clamp(MIN, MAX);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stays_in_bounds_and_moves_in_small_steps() {
        let mut rng = Rng::new(11, 0);
        let mut w = ClampedWalk::start(&mut rng);
        let mut prev = w.value();
        let mut hit_edge = false;
        for _ in 0..100_000 {
            w.advance(&mut rng);
            let v = w.value();
            assert!((MIN..=MAX).contains(&v));
            assert!((v - prev).abs() < 7.0, "a N(0,1) step of {}", v - prev);
            hit_edge |= v == MIN || v == MAX;
            prev = v;
        }
        assert!(hit_edge, "a long walk reaches a bound and is clamped");
    }
}
