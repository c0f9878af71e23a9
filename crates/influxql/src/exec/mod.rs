//! Statements run over an engine snapshot: [`select`] (raw rows, transformations; the
//! driver), `rows` (a group's rows, read and merged), `aggregate` (buckets, aggregates,
//! `fill`), `column_aggregate` (count/min/max folded straight from the decoded columns), `output` (output columns and their assembly), [`functions`] (InfluxQL's
//! functions), [`eval`] (row expressions), [`tags`] (tag conditions on the postings),
//! [`show`] (metadata statements and deletes).

mod aggregate;
mod column_aggregate;
pub mod eval;
pub mod functions;
mod output;
mod rows;
pub mod select;
pub mod show;
pub mod tags;
