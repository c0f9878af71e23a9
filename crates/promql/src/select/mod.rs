//! From a selector to data: which series match (on the postings), with what labels, and
//! their samples in a time range.

pub mod matchers;
pub mod raw;
pub mod samples;
pub mod series;
