//! Statements run over an engine snapshot: [`select`] (raw rows, transformations,
//! aggregates, `fill`), [`functions`] (InfluxQL's functions), [`eval`] (row expressions),
//! [`tags`] (tag conditions on the postings), [`show`] (metadata statements and deletes).

pub mod eval;
pub mod functions;
pub mod select;
pub mod show;
pub mod tags;
