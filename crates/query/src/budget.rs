//! The result-size cap: counts output points (rows) as series are built and fails the query
//! as soon as the cap is certain to be exceeded, so a huge query stops early instead of being
//! truncated.

use crate::error::QueryError;

/// Points still allowed in the result.
#[derive(Debug)]
pub(crate) struct Budget {
    max: usize,
    used: usize,
}

impl Budget {
    pub(crate) fn new(max: usize) -> Self {
        Budget { max, used: 0 }
    }

    /// Fails if `rows` more points (a lower bound of what is coming) do not fit.
    pub(crate) fn check(&self, rows: usize) -> Result<(), QueryError> {
        if rows > self.max.saturating_sub(self.used) {
            return Err(QueryError::TooLarge(format!(
                "query would return more than {} points; narrow the time range or use aggregate or limit",
                self.max
            )));
        }
        Ok(())
    }

    /// Accounts for `rows` points of one output series.
    pub(crate) fn take(&mut self, rows: usize) -> Result<(), QueryError> {
        self.check(rows)?;
        self.used += rows;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_up_to_the_cap() {
        let mut b = Budget::new(5);
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
