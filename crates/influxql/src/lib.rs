//! InfluxQL over Strata, answering like InfluxDB 1.x, so Grafana's InfluxDB data source,
//! Telegraf and InfluxDB 1.x clients work unchanged.
//!
//! - `parse/`: the scanner ([`parse::lexer`]), the statements ([`parse::ast`]) and the
//!   recursive-descent parser ([`parse_query`]); errors name the line and character.
//! - `plan/`: pure analysis: a `WHERE` clause split into the time range, tag conditions
//!   (resolved on the postings) and row conditions ([`plan::condition`]).
//! - `exec/`: the executor over an engine snapshot: `SELECT` (raw rows, transformations,
//!   per-bucket aggregates and `fill`), the `SHOW` statements and deletes.
//! - [`response`]: InfluxDB's JSON shapes (plain, `pretty`, chunked), times per `epoch`.
//!
//! [`execute`] runs parsed statements against a [`Server`] (the databases), one result per
//! statement; after a failing statement the rest answer `not executed`, as InfluxDB does.

pub mod error;
pub mod exec;
pub mod parse;
pub mod plan;
pub mod response;
pub mod value;

use std::sync::Arc;
use std::time::Duration;

use strata_engine::Engine;

pub use error::{InfluxqlError, ParseError};
pub use exec::select::Limits;
pub use parse::ast::Statement;
pub use parse::parser::parse_query;
pub use response::{Epoch, render, render_chunked};
pub use value::{SeriesOut, StatementResult, Value};

use parse::ast::Source;

/// What the statements need of the server: its databases.
pub trait Server {
    /// Every database, by name.
    fn database_names(&self) -> Vec<String>;
    /// Creates a database (nothing if it exists).
    fn create_database(&self, name: &str) -> Result<(), String>;
    /// Drops a database and its data (nothing if it does not exist).
    fn drop_database(&self, name: &str) -> Result<(), String>;
    /// The engine of a database, if it exists.
    fn engine(&self, name: &str) -> Option<Arc<Engine>>;
    /// The server's retention (`None`: kept forever).
    fn retention(&self) -> Option<Duration>;
}

/// The request around the statements.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    /// The `db` parameter.
    pub db: Option<&'a str>,
    /// The `rp` parameter (only `autogen` exists).
    pub rp: Option<&'a str>,
    /// `now()`, in nanoseconds.
    pub now: i64,
    pub limits: Limits,
}

/// The retention policy every database has.
pub const RETENTION_POLICY: &str = "autogen";

/// Runs every statement; one result each.
pub fn execute(
    server: &dyn Server,
    statements: &[Statement],
    req: &Request<'_>,
) -> Vec<StatementResult> {
    let mut out = Vec::with_capacity(statements.len());
    let mut failed = false;
    for (i, stmt) in statements.iter().enumerate() {
        let mut r = StatementResult {
            statement_id: i,
            ..StatementResult::default()
        };
        if failed {
            r.error = Some("not executed".into());
        } else {
            match run(server, stmt, req) {
                Ok(series) => r.series = series,
                Err(e) => {
                    r.unavailable = matches!(&e, InfluxqlError::Storage(s) if s.is_unavailable());
                    r.error = Some(e.to_string());
                    failed = true;
                }
            }
        }
        out.push(r);
    }
    out
}

/// The engine of the database a statement reads: the one `ON` or its sources name, else
/// the `db` parameter; every retention policy named must be `autogen`.
fn database_of<'a>(
    server: &dyn Server,
    req: &Request<'a>,
    on: Option<&'a str>,
    sources: &'a [Source],
) -> error::Result<Arc<Engine>> {
    let policies = sources
        .iter()
        .filter_map(|s| s.retention_policy.as_deref())
        .chain(req.rp.filter(|rp| !rp.is_empty()));
    for rp in policies {
        if rp != RETENTION_POLICY {
            return Err(InfluxqlError::invalid(format!(
                "retention policy not found: {rp}"
            )));
        }
    }
    let name = on
        .or_else(|| sources.iter().find_map(|s| s.database.as_deref()))
        .or(req.db.filter(|d| !d.is_empty()))
        .ok_or(InfluxqlError::DatabaseRequired)?;
    server
        .engine(name)
        .ok_or_else(|| InfluxqlError::DatabaseNotFound(name.to_string()))
}

fn run(server: &dyn Server, stmt: &Statement, req: &Request<'_>) -> error::Result<Vec<SeriesOut>> {
    use exec::show;
    let now = req.now;
    match stmt {
        Statement::Select(sel) => {
            let engine = database_of(server, req, None, &sel.sources)?;
            exec::select::run(&engine.snapshot(), sel, now, req.limits)
        }
        Statement::ShowDatabases => {
            let mut s = SeriesOut::new("databases", vec!["name".into()]);
            s.rows = server
                .database_names()
                .into_iter()
                .map(|n| vec![Value::Str(n)])
                .collect();
            Ok(vec![s])
        }
        Statement::ShowMeasurements {
            on,
            with,
            condition,
            limit,
            offset,
        } => {
            let engine = database_of(server, req, on.as_deref(), &[])?;
            show::show_measurements(
                engine.catalog(),
                with.as_ref(),
                condition.as_ref(),
                (*limit, *offset),
                now,
            )
        }
        Statement::ShowTagKeys {
            on,
            from,
            condition,
            limit,
            offset,
        } => {
            let engine = database_of(server, req, on.as_deref(), from)?;
            show::show_tag_keys(
                engine.catalog(),
                from,
                condition.as_ref(),
                (*limit, *offset),
                now,
            )
        }
        Statement::ShowTagValues {
            on,
            from,
            key,
            condition,
            limit,
            offset,
        } => {
            let engine = database_of(server, req, on.as_deref(), from)?;
            show::show_tag_values(
                engine.catalog(),
                from,
                key,
                condition.as_ref(),
                (*limit, *offset),
                now,
            )
        }
        Statement::ShowFieldKeys {
            on,
            from,
            limit,
            offset,
        } => {
            let engine = database_of(server, req, on.as_deref(), from)?;
            show::show_field_keys(engine.catalog(), from, (*limit, *offset))
        }
        Statement::ShowSeries {
            on,
            from,
            condition,
            limit,
            offset,
        } => {
            let engine = database_of(server, req, on.as_deref(), from)?;
            show::show_series(
                engine.catalog(),
                from,
                condition.as_ref(),
                (*limit, *offset),
                now,
            )
        }
        Statement::ShowRetentionPolicies { on } => {
            database_of(server, req, on.as_deref(), &[])?;
            let duration = server.retention().map_or("0s".to_string(), go_duration);
            let mut s = SeriesOut::new(
                "",
                [
                    "name",
                    "duration",
                    "shardGroupDuration",
                    "replicaN",
                    "default",
                ]
                .map(String::from)
                .to_vec(),
            );
            s.rows = vec![vec![
                Value::Str(RETENTION_POLICY.into()),
                Value::Str(duration),
                Value::Str("168h0m0s".into()),
                Value::Int(1),
                Value::Bool(true),
            ]];
            Ok(vec![s])
        }
        Statement::CreateDatabase { name } => {
            server
                .create_database(name)
                .map_err(InfluxqlError::Invalid)?;
            Ok(Vec::new())
        }
        Statement::DropDatabase { name } => {
            server.drop_database(name).map_err(InfluxqlError::Invalid)?;
            Ok(Vec::new())
        }
        Statement::Delete {
            from,
            condition,
            drop_series,
        } => {
            let engine = database_of(server, req, None, from)?;
            show::delete(&engine, from, condition.as_ref(), *drop_series, now)?;
            Ok(Vec::new())
        }
        Statement::DropMeasurement { name } => {
            let engine = database_of(server, req, None, &[])?;
            let from = [Source {
                database: None,
                retention_policy: None,
                name: parse::ast::NameMatch::Name(name.clone()),
            }];
            show::delete(&engine, &from, None, true, now)?;
            Ok(Vec::new())
        }
        Statement::Unsupported(what) => Err(InfluxqlError::invalid(format!(
            "{what} is not supported by Strata"
        ))),
    }
}

/// A duration as Go prints it (`720h0m0s`).
fn go_duration(d: Duration) -> String {
    let s = d.as_secs();
    format!("{}h{}m{}s", s / 3600, s % 3600 / 60, s % 60)
}
