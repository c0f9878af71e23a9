//! The `SELECT` statement's grammar: fields and aliases, `FROM`, `WHERE`, `GROUP BY time(i[,
//! offset])` / tags / `*` / `/regex/`, `fill(...)`, `ORDER BY time [ASC|DESC]`,
//! `LIMIT`/`OFFSET`, `SLIMIT`/`SOFFSET`, `tz(...)`.

use super::ast::*;
use super::lexer::Tok;
use super::parser::Parser;
use crate::error::ParseError;

impl Parser<'_> {
    pub(super) fn select(&mut self) -> Result<Select, ParseError> {
        let mut fields = vec![self.field()?];
        while self.eat_op(",")? {
            fields.push(self.field()?);
        }
        if self.is_kw("INTO") {
            return Err(self.error_here("SELECT ... INTO is not supported by Strata".into()));
        }
        self.expect_kw("FROM")?;
        let sources = self.sources()?;
        let condition = self.where_clause()?;
        let mut group_by = GroupBy::default();
        if self.eat_kw("GROUP")? {
            self.expect_kw("BY")?;
            loop {
                self.dimension(&mut group_by)?;
                if !self.eat_op(",")? {
                    break;
                }
            }
        }
        let mut fill = Fill::Null;
        if self.is_kw("fill") {
            self.advance()?;
            self.expect_op("(")?;
            fill = match self.advance()? {
                Tok::Ident(w) if w.eq_ignore_ascii_case("null") => Fill::Null,
                Tok::Ident(w) if w.eq_ignore_ascii_case("none") => Fill::None,
                Tok::Ident(w) if w.eq_ignore_ascii_case("previous") => Fill::Previous,
                Tok::Ident(w) if w.eq_ignore_ascii_case("linear") => Fill::Linear,
                Tok::Int(n) => Fill::Number(n as f64),
                Tok::Float(f) => Fill::Number(f),
                Tok::Op("-") => match self.advance()? {
                    Tok::Int(n) => Fill::Number(-(n as f64)),
                    Tok::Float(f) => Fill::Number(-f),
                    _ => return Err(self.unexpected("number")),
                },
                _ => {
                    return Err(self.error_here(
                        "fill must be a number, null, none, previous or linear".into(),
                    ));
                }
            };
            self.expect_op(")")?;
        }
        let mut order_desc = false;
        if self.eat_kw("ORDER")? {
            self.expect_kw("BY")?;
            let name = self.ident()?;
            if !name.eq_ignore_ascii_case("time") {
                return Err(self.error_here("only ORDER BY time supported at this time".into()));
            }
            if self.eat_kw("DESC")? {
                order_desc = true;
            } else {
                self.eat_kw("ASC")?;
            }
        }
        let (limit, offset) = self.limit_offset()?;
        let mut slimit = 0;
        let mut soffset = 0;
        if self.eat_kw("SLIMIT")? {
            slimit = self.unsigned("integer")?;
        }
        if self.eat_kw("SOFFSET")? {
            soffset = self.unsigned("integer")?;
        }
        let mut tz = None;
        if self.is_kw("tz") {
            self.advance()?;
            self.expect_op("(")?;
            match self.advance()? {
                Tok::Str(s) => tz = Some(s),
                _ => return Err(self.unexpected("string")),
            }
            self.expect_op(")")?;
        }
        Ok(Select {
            fields,
            sources,
            condition,
            group_by,
            fill,
            order_desc,
            limit,
            offset,
            slimit,
            soffset,
            tz,
        })
    }

    pub(super) fn field(&mut self) -> Result<Field, ParseError> {
        let expr = self.expr(0)?;
        let alias = if self.eat_kw("AS")? {
            Some(self.ident()?)
        } else {
            None
        };
        Ok(Field { expr, alias })
    }

    pub(super) fn dimension(&mut self, g: &mut GroupBy) -> Result<(), ParseError> {
        if self.eat_op("*")? {
            g.all_tags = true;
            return Ok(());
        }
        if let Some(re) = self.regex()? {
            g.tag_regexes.push(re);
            return Ok(());
        }
        if matches!(&self.tok, Tok::Ident(w) if w.eq_ignore_ascii_case("time")) {
            let pos = self.pos();
            self.advance()?;
            if self.eat_op("(")? {
                let interval = match self.advance()? {
                    Tok::Duration(d) if d > 0 => d,
                    _ => {
                        return Err(ParseError::at(
                            pos,
                            "time dimension must have duration argument".into(),
                        ));
                    }
                };
                let mut offset = 0;
                if self.eat_op(",")? {
                    let neg = self.eat_op("-")?;
                    offset = match self.advance()? {
                        Tok::Duration(d) => d,
                        Tok::Ident(w) if w.eq_ignore_ascii_case("now") => {
                            self.expect_op("(")?;
                            self.expect_op(")")?;
                            0
                        }
                        _ => return Err(self.unexpected("duration")),
                    };
                    if neg {
                        offset = -offset;
                    }
                }
                self.expect_op(")")?;
                if g.interval.is_some() {
                    return Err(ParseError::at(
                        pos,
                        "multiple time dimensions not allowed".into(),
                    ));
                }
                g.interval = Some((interval, offset));
                return Ok(());
            }
            g.tags.push("time".into());
            return Ok(());
        }
        g.tags.push(self.ident()?);
        Ok(())
    }
}
