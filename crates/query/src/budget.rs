//! The result-size cap: counts output points (rows) as series are built and fails the query
//! as soon as the cap is certain to be exceeded, so a huge query stops early instead of being
//! truncated. One budget is shared by the threads building a query's series.

use std::sync::atomic::{AtomicUsize, Ordering};

use crate::error::QueryError;

/// Points still allowed in the result.
#[derive(Debug)]
pub(crate) struct Budget {
    max: usize,
    used: AtomicUsize,
}

impl Budget {
    pub(crate) fn new(max: usize) -> Self {
        Budget {
            max,
            used: AtomicUsize::new(0),
        }
    }

    /// Fails if `rows` more points (a lower bound of what is coming) do not fit.
    pub(crate) fn check(&self, rows: usize) -> Result<(), QueryError> {
        if rows > self.max.saturating_sub(self.used.load(Ordering::Relaxed)) {
            return Err(self.too_large());
        }
        Ok(())
    }

    fn too_large(&self) -> QueryError {
        QueryError::TooLarge(format!(
            "query would return more than {} points; narrow the time range or use aggregate or limit",
            self.max
        ))
    }

    /// Accounts for `rows` points of one output series.
    pub(crate) fn take(&self, rows: usize) -> Result<(), QueryError> {
        self.used
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| {
                (rows <= self.max.saturating_sub(used)).then_some(used + rows)
            })
            .map(|_| ())
            .map_err(|_| self.too_large())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_up_to_the_cap() {
        let b = Budget::new(5);
        b.take(3).unwrap();
        b.check(2).unwrap();
        let e = b.take(3).unwrap_err();
        assert_eq!(e.status(), 413);
        assert!(e.to_string().contains("more than 5 points"), "{e}");
        assert!(e.to_string().contains("aggregate or limit"), "{e}");
        b.take(2).unwrap();
        assert!(b.check(1).is_err());
        b.check(0).unwrap();
    }
}
