//! The `SHOW` statements' grammar: `DATABASES`, `MEASUREMENTS [ON db] [WITH MEASUREMENT =
//! name | =~ /re/] [WHERE] [LIMIT] [OFFSET]`, `TAG KEYS`, `TAG VALUES ... WITH KEY`, `FIELD
//! KEYS`, `SERIES`, `RETENTION POLICIES`; the others InfluxDB has are named as unsupported.

use super::ast::*;
use super::lexer::Tok;
use super::parser::Parser;
use crate::error::ParseError;

impl Parser<'_> {
    pub(super) fn show(&mut self) -> Result<Statement, ParseError> {
        if self.eat_kw("DATABASES")? {
            return Ok(Statement::ShowDatabases);
        }
        if self.eat_kw("MEASUREMENTS")? {
            let on = self.on_clause()?;
            let mut with = None;
            if self.eat_kw("WITH")? {
                self.expect_kw("MEASUREMENT")?;
                if self.eat_op("=~")? {
                    match self.regex()? {
                        Some(re) => with = Some(NameMatch::Regex(re)),
                        None => return Err(self.unexpected("regex")),
                    }
                } else {
                    self.expect_op("=")?;
                    with = Some(NameMatch::Name(self.ident()?));
                }
            }
            let condition = self.where_clause()?;
            let (limit, offset) = self.limit_offset()?;
            return Ok(Statement::ShowMeasurements {
                on,
                with,
                condition,
                limit,
                offset,
            });
        }
        if self.eat_kw("TAG")? {
            if self.eat_kw("KEYS")? {
                let on = self.on_clause()?;
                let (from, condition) = self.sources_and_condition()?;
                let (limit, offset) = self.limit_offset()?;
                return Ok(Statement::ShowTagKeys {
                    on,
                    from,
                    condition,
                    limit,
                    offset,
                });
            }
            if self.eat_kw("VALUES")? {
                let on = self.on_clause()?;
                let from = if self.eat_kw("FROM")? {
                    self.sources()?
                } else {
                    Vec::new()
                };
                self.expect_kw("WITH")?;
                self.expect_kw("KEY")?;
                let key = if self.eat_kw("IN")? {
                    self.expect_op("(")?;
                    let mut keys = vec![self.ident()?];
                    while self.eat_op(",")? {
                        keys.push(self.ident()?);
                    }
                    self.expect_op(")")?;
                    KeyMatch::In(keys)
                } else if self.eat_op("=~")? {
                    KeyMatch::Regex(self.regex()?.ok_or_else(|| self.unexpected("regex"))?)
                } else if self.eat_op("!~")? {
                    KeyMatch::NotRegex(self.regex()?.ok_or_else(|| self.unexpected("regex"))?)
                } else if self.eat_op("!=")? || self.eat_op("<>")? {
                    KeyMatch::NotEq(self.ident()?)
                } else if self.eat_op("=")? {
                    KeyMatch::Eq(self.ident()?)
                } else {
                    return Err(self.unexpected("=, !=, =~, !~"));
                };
                let condition = self.where_clause()?;
                let (limit, offset) = self.limit_offset()?;
                return Ok(Statement::ShowTagValues {
                    on,
                    from,
                    key,
                    condition,
                    limit,
                    offset,
                });
            }
            return Err(self.unexpected("KEYS, VALUES"));
        }
        if self.eat_kw("FIELD")? {
            self.expect_kw("KEYS")?;
            let on = self.on_clause()?;
            let from = if self.eat_kw("FROM")? {
                self.sources()?
            } else {
                Vec::new()
            };
            let (limit, offset) = self.limit_offset()?;
            return Ok(Statement::ShowFieldKeys {
                on,
                from,
                limit,
                offset,
            });
        }
        if self.is_kw("SERIES") {
            self.advance()?;
            if self.is_kw("CARDINALITY") || self.is_kw("EXACT") {
                return self.unsupported("SHOW SERIES");
            }
            let on = self.on_clause()?;
            let (from, condition) = self.sources_and_condition()?;
            let (limit, offset) = self.limit_offset()?;
            return Ok(Statement::ShowSeries {
                on,
                from,
                condition,
                limit,
                offset,
            });
        }
        if self.eat_kw("RETENTION")? {
            self.expect_kw("POLICIES")?;
            return Ok(Statement::ShowRetentionPolicies {
                on: self.on_clause()?,
            });
        }
        match &self.tok {
            Tok::Ident(_) => self.unsupported("SHOW"),
            _ => Err(self.unexpected(
                "CONTINUOUS, DATABASES, DIAGNOSTICS, FIELD, GRANTS, MEASUREMENT, MEASUREMENTS, QUERIES, RETENTION, SERIES, SHARD, SHARDS, STATS, SUBSCRIPTIONS, TAG, USERS",
            )),
        }
    }
}
