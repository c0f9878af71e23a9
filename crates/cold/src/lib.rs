//! Strata's cold tier: sealed, compacted partitions exported as Parquet files to an object
//! store (S3-compatible, or a local directory), one file per database, measurement and
//! partition, under a per-database manifest whose generations switch atomically. The files
//! are open: DuckDB, DataFusion, Spark and pyarrow read them as they are.
//!
//! The path of an export: [`plan`] (pure: which partitions, which superseded files) ->
//! [`export`] (snapshot -> [`columns`] (Arrow batches) -> [`parquet_file`] -> upload ->
//! [`manifest`] commit). The way back: [`read`] answers the engine's reads of exported
//! partitions (a [`strata_engine::ColdSource`]), after [`plan::offload`] chose which local
//! copies could go. [`store`] opens the configured store; [`layout`] names every object;
//! [`schema`] is the files' schema.

pub mod backup;
pub mod columns;
pub mod error;
pub mod export;
pub mod layout;
pub mod manifest;
pub mod parquet_file;
pub mod plan;
pub mod read;
pub mod schema;
pub mod sealed_json;
pub mod store;

pub use error::{ColdError, Result};
pub use export::{ExportReport, export_database};
pub use manifest::Manifest;
pub use plan::PlanOptions;
pub use read::{CacheStats, ColdCaches, ColdReader};
pub use store::Store;
