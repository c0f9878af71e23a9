//! The InfluxQL parser: recursive descent over [`Lexer`] tokens into [`Statement`]s, with
//! InfluxDB's operator precedence (`OR` < `AND` < comparisons < `+ - | ^` < `* / % &`) and
//! its error texts (`found X, expected Y at line L, char C`). Keywords are case-insensitive.

use super::ast::*;
use super::lexer::{Lexer, Tok};
use crate::error::ParseError;

/// Most nested parentheses and calls, so a hostile query cannot exhaust the stack.
const MAX_DEPTH: usize = 64;

/// Parses `q` into its statements (separated by `;`; empty statements are skipped).
pub fn parse_query(q: &str) -> Result<Vec<Statement>, ParseError> {
    let mut p = Parser::new(q)?;
    let mut out = Vec::new();
    loop {
        while p.eat_op(";")? {}
        if p.tok == Tok::Eof {
            break;
        }
        out.push(p.statement()?);
        if p.tok != Tok::Eof && !p.is_op(";") {
            return Err(p.unexpected("EOF, ;"));
        }
    }
    if out.is_empty() {
        return Err(p.unexpected(
            "SELECT, DELETE, SHOW, CREATE, DROP, EXPLAIN, GRANT, REVOKE, ALTER, SET, KILL",
        ));
    }
    Ok(out)
}

/// Parses one expression (for tests and the fuzz target).
pub fn parse_expr(s: &str) -> Result<Expr, ParseError> {
    let mut p = Parser::new(s)?;
    let e = p.expr(0)?;
    if p.tok != Tok::Eof {
        return Err(p.unexpected("EOF"));
    }
    Ok(e)
}

struct Parser<'a> {
    lexer: Lexer<'a>,
    tok: Tok,
    /// Byte offset of `tok`.
    at: usize,
    depth: usize,
}

impl<'a> Parser<'a> {
    fn new(src: &'a str) -> Result<Self, ParseError> {
        let mut lexer = Lexer::new(src);
        let (tok, at) = lexer.next_token()?;
        Ok(Parser {
            lexer,
            tok,
            at,
            depth: 0,
        })
    }

    fn advance(&mut self) -> Result<Tok, ParseError> {
        let (tok, at) = self.lexer.next_token()?;
        self.at = at;
        Ok(std::mem::replace(&mut self.tok, tok))
    }

    fn unexpected(&self, expected: &str) -> ParseError {
        ParseError::at(
            self.lexer.pos_of(self.at),
            format!("found {}, expected {expected}", self.tok.describe()),
        )
    }

    fn is_kw(&self, kw: &str) -> bool {
        matches!(&self.tok, Tok::Ident(s) if s.eq_ignore_ascii_case(kw))
    }

    fn eat_kw(&mut self, kw: &str) -> Result<bool, ParseError> {
        if self.is_kw(kw) {
            self.advance()?;
            return Ok(true);
        }
        Ok(false)
    }

    fn expect_kw(&mut self, kw: &str) -> Result<(), ParseError> {
        if self.eat_kw(kw)? {
            Ok(())
        } else {
            Err(self.unexpected(kw))
        }
    }

    fn is_op(&self, op: &str) -> bool {
        matches!(&self.tok, Tok::Op(o) if *o == op)
    }

    fn eat_op(&mut self, op: &str) -> Result<bool, ParseError> {
        if self.is_op(op) {
            self.advance()?;
            return Ok(true);
        }
        Ok(false)
    }

    fn expect_op(&mut self, op: &str) -> Result<(), ParseError> {
        if self.eat_op(op)? {
            Ok(())
        } else {
            Err(self.unexpected(op))
        }
    }

    /// An identifier (unquoted or quoted).
    fn ident(&mut self) -> Result<String, ParseError> {
        match &self.tok {
            Tok::Ident(_) | Tok::Quoted(_) => match self.advance()? {
                Tok::Ident(s) | Tok::Quoted(s) => Ok(s),
                _ => unreachable!("checked above"),
            },
            _ => Err(self.unexpected("identifier")),
        }
    }

    /// A `/regex/` if the next token is one (the lexer is rewound to scan it as such).
    fn regex(&mut self) -> Result<Option<String>, ParseError> {
        if !self.is_op("/") {
            return Ok(None);
        }
        self.lexer.seek(self.at);
        let Some((re, _)) = self.lexer.regex()? else {
            return Ok(None);
        };
        let (tok, at) = self.lexer.next_token()?;
        self.tok = tok;
        self.at = at;
        Ok(Some(re))
    }

    fn unsigned(&mut self, what: &str) -> Result<usize, ParseError> {
        match self.tok {
            Tok::Int(n) if n >= 0 => {
                self.advance()?;
                Ok(usize::try_from(n).unwrap_or(usize::MAX))
            }
            _ => Err(self.unexpected(what)),
        }
    }

    fn statement(&mut self) -> Result<Statement, ParseError> {
        let Tok::Ident(word) = &self.tok else {
            return Err(self.unexpected(
                "SELECT, DELETE, SHOW, CREATE, DROP, EXPLAIN, GRANT, REVOKE, ALTER, SET, KILL",
            ));
        };
        match word.to_ascii_uppercase().as_str() {
            "SELECT" => {
                self.advance()?;
                Ok(Statement::Select(Box::new(self.select()?)))
            }
            "SHOW" => {
                self.advance()?;
                self.show()
            }
            "CREATE" => {
                self.advance()?;
                if self.eat_kw("DATABASE")? {
                    let name = self.ident()?;
                    // `WITH DURATION ... NAME ...`: accepted and ignored (one policy).
                    if self.is_kw("WITH") {
                        self.skip_statement()?;
                    }
                    return Ok(Statement::CreateDatabase { name });
                }
                self.unsupported("CREATE")
            }
            "DROP" => {
                self.advance()?;
                if self.eat_kw("DATABASE")? {
                    return Ok(Statement::DropDatabase {
                        name: self.ident()?,
                    });
                }
                if self.eat_kw("SERIES")? {
                    let (from, condition) = self.sources_and_condition()?;
                    return Ok(Statement::Delete {
                        from,
                        condition,
                        drop_series: true,
                    });
                }
                if self.eat_kw("MEASUREMENT")? {
                    return Ok(Statement::DropMeasurement {
                        name: self.ident()?,
                    });
                }
                self.unsupported("DROP")
            }
            "DELETE" => {
                self.advance()?;
                let (from, condition) = self.sources_and_condition()?;
                if from.is_empty() && condition.is_none() {
                    return Err(self.unexpected("FROM, WHERE"));
                }
                Ok(Statement::Delete {
                    from,
                    condition,
                    drop_series: false,
                })
            }
            "EXPLAIN" | "GRANT" | "REVOKE" | "ALTER" | "SET" | "KILL" => {
                let w = word.to_ascii_uppercase();
                self.advance()?;
                self.unsupported(&w)
            }
            _ => Err(self.unexpected(
                "SELECT, DELETE, SHOW, CREATE, DROP, EXPLAIN, GRANT, REVOKE, ALTER, SET, KILL",
            )),
        }
    }

    /// A statement Strata does not run, named by `first` and the keyword after it; the rest
    /// of it is skipped up to the next `;`.
    fn unsupported(&mut self, first: &str) -> Result<Statement, ParseError> {
        let mut name = first.to_string();
        if let Tok::Ident(w) = &self.tok {
            name.push(' ');
            name.push_str(&w.to_ascii_uppercase());
        }
        self.skip_statement()?;
        Ok(Statement::Unsupported(name))
    }

    fn skip_statement(&mut self) -> Result<(), ParseError> {
        while self.tok != Tok::Eof && !self.is_op(";") {
            self.advance()?;
        }
        Ok(())
    }

    fn on_clause(&mut self) -> Result<Option<String>, ParseError> {
        if self.eat_kw("ON")? {
            return Ok(Some(self.ident()?));
        }
        Ok(None)
    }

    fn sources_and_condition(&mut self) -> Result<(Vec<Source>, Option<Expr>), ParseError> {
        let from = if self.eat_kw("FROM")? {
            self.sources()?
        } else {
            Vec::new()
        };
        let condition = self.where_clause()?;
        Ok((from, condition))
    }

    fn where_clause(&mut self) -> Result<Option<Expr>, ParseError> {
        if self.eat_kw("WHERE")? {
            return Ok(Some(self.expr(0)?));
        }
        Ok(None)
    }

    fn limit_offset(&mut self) -> Result<(usize, usize), ParseError> {
        let mut limit = 0;
        let mut offset = 0;
        if self.eat_kw("LIMIT")? {
            limit = self.unsigned("integer")?;
        }
        if self.eat_kw("OFFSET")? {
            offset = self.unsigned("integer")?;
        }
        Ok((limit, offset))
    }

    fn show(&mut self) -> Result<Statement, ParseError> {
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

    fn select(&mut self) -> Result<Select, ParseError> {
        let mut fields = vec![self.field()?];
        while self.eat_op(",")? {
            fields.push(self.field()?);
        }
        if self.is_kw("INTO") {
            return Err(ParseError::at(
                self.lexer.pos_of(self.at),
                "SELECT ... INTO is not supported by Strata".into(),
            ));
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
                    return Err(ParseError::at(
                        self.lexer.pos_of(self.at),
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
                return Err(ParseError::at(
                    self.lexer.pos_of(self.at),
                    "only ORDER BY time supported at this time".into(),
                ));
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

    fn field(&mut self) -> Result<Field, ParseError> {
        let expr = self.expr(0)?;
        let alias = if self.eat_kw("AS")? {
            Some(self.ident()?)
        } else {
            None
        };
        Ok(Field { expr, alias })
    }

    fn dimension(&mut self, g: &mut GroupBy) -> Result<(), ParseError> {
        if self.eat_op("*")? {
            g.all_tags = true;
            return Ok(());
        }
        if let Some(re) = self.regex()? {
            g.tag_regexes.push(re);
            return Ok(());
        }
        if matches!(&self.tok, Tok::Ident(w) if w.eq_ignore_ascii_case("time")) {
            let pos = self.lexer.pos_of(self.at);
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

    fn sources(&mut self) -> Result<Vec<Source>, ParseError> {
        let mut out = vec![self.source()?];
        while self.eat_op(",")? {
            out.push(self.source()?);
        }
        Ok(out)
    }

    /// `m`, `rp.m`, `db.rp.m`, `db..m`, or a `/regex/` in the last place.
    fn source(&mut self) -> Result<Source, ParseError> {
        let mut parts: Vec<Option<String>> = Vec::new();
        loop {
            if let Some(re) = self.regex()? {
                return Ok(make_source(parts, NameMatch::Regex(re)));
            }
            match &self.tok {
                Tok::Ident(_) | Tok::Quoted(_) => parts.push(Some(self.ident()?)),
                Tok::Op(".") => parts.push(None),
                _ => return Err(self.unexpected("identifier, regex")),
            }
            if parts.len() > 3 {
                return Err(self.unexpected("identifier"));
            }
            if self.eat_op(".")? {
                // `db..m`: an empty retention policy.
                if self.is_op(".") {
                    self.advance()?;
                    parts.push(None);
                }
                continue;
            }
            let name = parts
                .pop()
                .flatten()
                .ok_or_else(|| self.unexpected("identifier"))?;
            return Ok(make_source(parts, NameMatch::Name(name)));
        }
    }

    /// An expression whose operators bind tighter than `min` (precedence climbing).
    fn expr(&mut self, min: u8) -> Result<Expr, ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ParseError::at(
                self.lexer.pos_of(self.at),
                "expression nested too deeply".into(),
            ));
        }
        let mut lhs = self.unary()?;
        while let Some((op, prec)) = self.binop() {
            if prec <= min {
                break;
            }
            self.advance()?;
            let rhs = if matches!(op, BinOp::Match | BinOp::NotMatch) {
                match self.regex()? {
                    Some(re) => Expr::Regex(re),
                    None => return Err(self.unexpected("regex")),
                }
            } else {
                self.expr(prec)?
            };
            lhs = Expr::binary(op, lhs, rhs);
        }
        self.depth -= 1;
        Ok(lhs)
    }

    fn binop(&self) -> Option<(BinOp, u8)> {
        let op = match &self.tok {
            Tok::Ident(w) if w.eq_ignore_ascii_case("OR") => BinOp::Or,
            Tok::Ident(w) if w.eq_ignore_ascii_case("AND") => BinOp::And,
            Tok::Op("=") => BinOp::Eq,
            Tok::Op("!=") | Tok::Op("<>") => BinOp::Ne,
            Tok::Op("<") => BinOp::Lt,
            Tok::Op("<=") => BinOp::Le,
            Tok::Op(">") => BinOp::Gt,
            Tok::Op(">=") => BinOp::Ge,
            Tok::Op("=~") => BinOp::Match,
            Tok::Op("!~") => BinOp::NotMatch,
            Tok::Op("+") => BinOp::Add,
            Tok::Op("-") => BinOp::Sub,
            Tok::Op("|") => BinOp::BitOr,
            Tok::Op("^") => BinOp::BitXor,
            Tok::Op("*") => BinOp::Mul,
            Tok::Op("/") => BinOp::Div,
            Tok::Op("%") => BinOp::Mod,
            Tok::Op("&") => BinOp::BitAnd,
            _ => return None,
        };
        let prec = match op {
            BinOp::Or => 1,
            BinOp::And => 2,
            o if o.is_comparison() => 4,
            BinOp::Add | BinOp::Sub | BinOp::BitOr | BinOp::BitXor => 5,
            _ => 6,
        };
        Some((op, prec))
    }

    fn unary(&mut self) -> Result<Expr, ParseError> {
        if self.is_op("-") || self.is_op("+") {
            let neg = self.is_op("-");
            self.advance()?;
            return Ok(match self.primary()? {
                Expr::Int(n) if neg => Expr::Int(n.wrapping_neg()),
                Expr::Float(f) if neg => Expr::Float(-f),
                Expr::Duration(d) if neg => Expr::Duration(d.wrapping_neg()),
                e if neg => Expr::binary(BinOp::Mul, Expr::Int(-1), e),
                e => e,
            });
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, ParseError> {
        let e = match self.tok.clone() {
            Tok::Op("(") => {
                self.advance()?;
                let e = self.expr(0)?;
                self.expect_op(")")?;
                Expr::Paren(Box::new(e))
            }
            Tok::Op("*") => {
                self.advance()?;
                Expr::Wildcard(self.cast()?)
            }
            Tok::Op("/") => match self.regex()? {
                Some(re) => Expr::Regex(re),
                None => return Err(self.unexpected("identifier, string, number, bool")),
            },
            Tok::Int(n) => {
                self.advance()?;
                Expr::Int(n)
            }
            Tok::Float(f) => {
                self.advance()?;
                Expr::Float(f)
            }
            Tok::Duration(d) => {
                self.advance()?;
                Expr::Duration(d)
            }
            Tok::Str(s) => {
                self.advance()?;
                Expr::Str(s)
            }
            Tok::Quoted(s) => {
                self.advance()?;
                Expr::Var {
                    name: s,
                    cast: self.cast()?,
                }
            }
            Tok::Ident(w) if is_reserved(&w) && !w.eq_ignore_ascii_case("distinct") => {
                return Err(self.unexpected("identifier, string, number, bool"));
            }
            Tok::Ident(w) => {
                self.advance()?;
                if w.eq_ignore_ascii_case("true") {
                    Expr::Bool(true)
                } else if w.eq_ignore_ascii_case("false") {
                    Expr::Bool(false)
                } else if self.is_op("(") {
                    self.advance()?;
                    let mut args = Vec::new();
                    if !self.is_op(")") {
                        args.push(self.expr(0)?);
                        while self.eat_op(",")? {
                            args.push(self.expr(0)?);
                        }
                    }
                    self.expect_op(")")?;
                    Expr::Call {
                        name: w.to_ascii_lowercase(),
                        args,
                    }
                } else {
                    Expr::Var {
                        name: w,
                        cast: self.cast()?,
                    }
                }
            }
            Tok::Param(p) => {
                return Err(ParseError::at(
                    self.lexer.pos_of(self.at),
                    format!("missing parameter: {p}"),
                ));
            }
            _ => return Err(self.unexpected("identifier, string, number, bool")),
        };
        Ok(e)
    }

    fn cast(&mut self) -> Result<Option<Cast>, ParseError> {
        if !self.eat_op("::")? {
            return Ok(None);
        }
        let pos = self.lexer.pos_of(self.at);
        let w = self.ident()?;
        Ok(Some(match w.to_ascii_lowercase().as_str() {
            "field" => Cast::Field,
            "tag" => Cast::Tag,
            "float" => Cast::Float,
            "integer" => Cast::Integer,
            "string" => Cast::String,
            "boolean" => Cast::Boolean,
            _ => {
                return Err(ParseError::at(
                    pos,
                    format!("found {w}, expected float, integer, string, boolean, field, tag"),
                ));
            }
        }))
    }
}

/// InfluxQL's keywords, which an unquoted identifier may not be.
fn is_reserved(w: &str) -> bool {
    const KEYWORDS: &[&str] = &[
        "ALL",
        "ALTER",
        "ANY",
        "AS",
        "ASC",
        "BEGIN",
        "BY",
        "CREATE",
        "CONTINUOUS",
        "DATABASE",
        "DATABASES",
        "DEFAULT",
        "DELETE",
        "DESC",
        "DESTINATIONS",
        "DIAGNOSTICS",
        "DISTINCT",
        "DROP",
        "DURATION",
        "END",
        "EVERY",
        "EXPLAIN",
        "FIELD",
        "FOR",
        "FROM",
        "GRANT",
        "GRANTS",
        "GROUP",
        "GROUPS",
        "IN",
        "INF",
        "INSERT",
        "INTO",
        "KEY",
        "KEYS",
        "KILL",
        "LIMIT",
        "MEASUREMENT",
        "MEASUREMENTS",
        "NAME",
        "OFFSET",
        "ON",
        "ORDER",
        "PASSWORD",
        "POLICY",
        "POLICIES",
        "PRIVILEGES",
        "QUERIES",
        "QUERY",
        "READ",
        "REPLICATION",
        "RESAMPLE",
        "RETENTION",
        "REVOKE",
        "SELECT",
        "SERIES",
        "SET",
        "SHARD",
        "SHARDS",
        "SLIMIT",
        "SOFFSET",
        "STATS",
        "SUBSCRIPTION",
        "SUBSCRIPTIONS",
        "TAG",
        "TO",
        "USER",
        "USERS",
        "VALUES",
        "WHERE",
        "WITH",
        "WRITE",
    ];
    KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(w))
}

fn make_source(mut parts: Vec<Option<String>>, name: NameMatch) -> Source {
    let rp = parts.pop().flatten();
    let db = parts.pop().flatten();
    Source {
        database: db,
        retention_policy: rp,
        name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(q: &str) -> Statement {
        let mut v = parse_query(q).unwrap();
        assert_eq!(v.len(), 1);
        v.remove(0)
    }

    #[test]
    fn parses_grafana_panel_queries() {
        let Statement::Select(s) = one(
            "SELECT mean(\"usage_user\") AS u FROM \"telegraf\".\"autogen\".\"cpu\" WHERE (\"host\" =~ /^a$/) AND time >= 1700000000000ms and time <= 1700003600000ms GROUP BY time(10s, 5s), \"host\" fill(null) ORDER BY time DESC LIMIT 10 SLIMIT 2",
        ) else {
            panic!()
        };
        assert_eq!(s.fields[0].alias.as_deref(), Some("u"));
        assert_eq!(s.fields[0].expr.column_name(), "mean");
        assert_eq!(s.sources[0].database.as_deref(), Some("telegraf"));
        assert_eq!(s.sources[0].retention_policy.as_deref(), Some("autogen"));
        assert_eq!(s.sources[0].name, NameMatch::Name("cpu".into()));
        assert_eq!(s.group_by.interval, Some((10_000_000_000, 5_000_000_000)));
        assert_eq!(s.group_by.tags, ["host"]);
        assert!(s.order_desc);
        assert_eq!((s.limit, s.slimit), (10, 2));
    }

    #[test]
    fn precedence_and_sources() {
        assert_eq!(
            parse_expr("a + b * 2 > 3 AND c = 'x' OR d").unwrap(),
            Expr::binary(
                BinOp::Or,
                Expr::binary(
                    BinOp::And,
                    Expr::binary(
                        BinOp::Gt,
                        Expr::binary(
                            BinOp::Add,
                            Expr::Var {
                                name: "a".into(),
                                cast: None
                            },
                            Expr::binary(
                                BinOp::Mul,
                                Expr::Var {
                                    name: "b".into(),
                                    cast: None
                                },
                                Expr::Int(2)
                            )
                        ),
                        Expr::Int(3)
                    ),
                    Expr::binary(
                        BinOp::Eq,
                        Expr::Var {
                            name: "c".into(),
                            cast: None
                        },
                        Expr::Str("x".into())
                    )
                ),
                Expr::Var {
                    name: "d".into(),
                    cast: None
                }
            )
        );
        let Statement::Select(s) = one("select * from db1..cpu, /^m.*/") else {
            panic!()
        };
        assert_eq!(s.sources[0].database.as_deref(), Some("db1"));
        assert_eq!(s.sources[0].retention_policy, None);
        assert_eq!(s.sources[1].name, NameMatch::Regex("^m.*".into()));
    }

    #[test]
    fn errors_name_the_position() {
        let e = parse_query("SELEC * FROM cpu").unwrap_err();
        assert_eq!(
            e.to_string(),
            "found SELEC, expected SELECT, DELETE, SHOW, CREATE, DROP, EXPLAIN, GRANT, REVOKE, ALTER, SET, KILL at line 1, char 1"
        );
        let e = parse_query("SELECT FROM cpu").unwrap_err();
        assert_eq!(e.pos.col, 8);
        assert!(parse_query("SELECT a FROM m GROUP BY time(10m").is_err());
        assert!(parse_query(&"(".repeat(10_000)).is_err());
        assert!(parse_query(&format!("SELECT {}1 FROM m", "(".repeat(10_000))).is_err());
    }

    #[test]
    fn show_and_admin_statements() {
        assert_eq!(
            parse_query("show databases; SHOW MEASUREMENTS WITH MEASUREMENT =~ /c.*/ LIMIT 1")
                .unwrap()
                .len(),
            2
        );
        assert!(matches!(
            one("SHOW TAG VALUES FROM cpu WITH KEY IN (host, \"region\") WHERE host = 'a'"),
            Statement::ShowTagValues { key: KeyMatch::In(k), .. } if k.len() == 2
        ));
        assert_eq!(
            one("CREATE USER x WITH PASSWORD 'y'"),
            Statement::Unsupported("CREATE USER".into())
        );
        assert_eq!(
            one("create database \"telegraf\""),
            Statement::CreateDatabase {
                name: "telegraf".into()
            }
        );
        assert!(matches!(
            one("DROP SERIES FROM cpu WHERE host='c'"),
            Statement::Delete {
                drop_series: true,
                ..
            }
        ));
    }
}
