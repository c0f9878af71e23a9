//! The metric model: how Strata's measurements, tags and fields appear to PromQL.

pub mod labels;
pub mod metric_name;
pub mod number;
