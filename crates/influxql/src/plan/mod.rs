//! Pure analysis of parsed statements: [`condition`] splits a `WHERE` clause into the time
//! range, the tag conditions and the row conditions.

pub mod condition;
