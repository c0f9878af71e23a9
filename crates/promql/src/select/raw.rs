//! Raw samples of the series matching label matchers in a closed time range: what Prometheus
//! remote read asks for (staleness markers included, as Prometheus returns them).

use promql_parser::label::{MatchOp, Matcher};
use regex::Regex;
use strata_engine::Snapshot;

use crate::error::{PromqlError, Result};
use crate::model::labels::Labels;
use crate::select::samples::{Sample, load_into};
use crate::select::series::select_series;

/// A matcher's operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchKind {
    Equal,
    NotEqual,
    Regex,
    NotRegex,
}

/// Builds a PromQL matcher; regular expressions are anchored, as Prometheus anchors them.
pub fn matcher(kind: MatchKind, name: &str, value: &str) -> Result<Matcher> {
    let re = || {
        Regex::new(&format!("^(?:{value})$")).map_err(|e| {
            PromqlError::bad(format!(
                "invalid regular expression {value:?} for label {name:?}: {e}"
            ))
        })
    };
    let op = match kind {
        MatchKind::Equal => MatchOp::Equal,
        MatchKind::NotEqual => MatchOp::NotEqual,
        MatchKind::Regex => MatchOp::Re(re()?),
        MatchKind::NotRegex => MatchOp::NotRe(re()?),
    };
    Ok(Matcher::new(op, name, value))
}

/// The series matching every matcher with their samples in `[mint, maxt]` (ns), sorted by
/// labels; series without samples there are left out. More than `max_samples` in all is an
/// error.
pub fn raw_samples(
    snapshot: &Snapshot,
    matchers: &[Matcher],
    mint: i64,
    maxt: i64,
    max_samples: usize,
) -> Result<Vec<(Labels, Vec<Sample>)>> {
    let mut out = Vec::new();
    let mut total = 0usize;
    for s in select_series(snapshot.catalog(), matchers) {
        let mut samples = Vec::new();
        load_into(snapshot, s.id, &s.field, mint, maxt, &mut samples)?;
        total += samples.len();
        if total > max_samples {
            return Err(PromqlError::exec(format!(
                "exceeded sample limit ({max_samples})"
            )));
        }
        if !samples.is_empty() {
            out.push((s.labels, samples));
        }
    }
    Ok(out)
}
