//! The InfluxQL parser: recursive descent over [`Lexer`] tokens into [`Statement`]s, with
//! InfluxDB's operator precedence (`OR` < `AND` < comparisons < `+ - | ^` < `* / % &`) and
//! its error texts (`found X, expected Y at line L, char C`). Keywords are case-insensitive.

use super::ast::*;
use super::lexer::{Lexer, Pos, Tok};
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

pub(super) struct Parser<'a> {
    lexer: Lexer<'a>,
    pub(super) tok: Tok,
    /// Byte offset of `tok`.
    at: usize,
    depth: usize,
}

impl<'a> Parser<'a> {
    pub(super) fn new(src: &'a str) -> Result<Self, ParseError> {
        let mut lexer = Lexer::new(src);
        let (tok, at) = lexer.next_token()?;
        Ok(Parser {
            lexer,
            tok,
            at,
            depth: 0,
        })
    }

    pub(super) fn advance(&mut self) -> Result<Tok, ParseError> {
        let (tok, at) = self.lexer.next_token()?;
        self.at = at;
        Ok(std::mem::replace(&mut self.tok, tok))
    }

    /// The position of the current token.
    pub(super) fn pos(&self) -> Pos {
        self.lexer.pos_of(self.at)
    }

    /// An error at the current token.
    pub(super) fn error_here(&self, message: String) -> ParseError {
        ParseError::at(self.pos(), message)
    }

    pub(super) fn unexpected(&self, expected: &str) -> ParseError {
        self.error_here(format!(
            "found {}, expected {expected}",
            self.tok.describe()
        ))
    }

    pub(super) fn is_kw(&self, kw: &str) -> bool {
        matches!(&self.tok, Tok::Ident(s) if s.eq_ignore_ascii_case(kw))
    }

    pub(super) fn eat_kw(&mut self, kw: &str) -> Result<bool, ParseError> {
        if self.is_kw(kw) {
            self.advance()?;
            return Ok(true);
        }
        Ok(false)
    }

    pub(super) fn expect_kw(&mut self, kw: &str) -> Result<(), ParseError> {
        if self.eat_kw(kw)? {
            Ok(())
        } else {
            Err(self.unexpected(kw))
        }
    }

    pub(super) fn is_op(&self, op: &str) -> bool {
        matches!(&self.tok, Tok::Op(o) if *o == op)
    }

    pub(super) fn eat_op(&mut self, op: &str) -> Result<bool, ParseError> {
        if self.is_op(op) {
            self.advance()?;
            return Ok(true);
        }
        Ok(false)
    }

    pub(super) fn expect_op(&mut self, op: &str) -> Result<(), ParseError> {
        if self.eat_op(op)? {
            Ok(())
        } else {
            Err(self.unexpected(op))
        }
    }

    /// An identifier (unquoted or quoted).
    pub(super) fn ident(&mut self) -> Result<String, ParseError> {
        match &self.tok {
            Tok::Ident(_) | Tok::Quoted(_) => match self.advance()? {
                Tok::Ident(s) | Tok::Quoted(s) => Ok(s),
                _ => unreachable!("checked above"),
            },
            _ => Err(self.unexpected("identifier")),
        }
    }

    /// A `/regex/` if the next token is one (the lexer is rewound to scan it as such).
    pub(super) fn regex(&mut self) -> Result<Option<String>, ParseError> {
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

    pub(super) fn unsigned(&mut self, what: &str) -> Result<usize, ParseError> {
        match self.tok {
            Tok::Int(n) if n >= 0 => {
                self.advance()?;
                Ok(usize::try_from(n).unwrap_or(usize::MAX))
            }
            _ => Err(self.unexpected(what)),
        }
    }

    pub(super) fn statement(&mut self) -> Result<Statement, ParseError> {
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
    pub(super) fn unsupported(&mut self, first: &str) -> Result<Statement, ParseError> {
        let mut name = first.to_string();
        if let Tok::Ident(w) = &self.tok {
            name.push(' ');
            name.push_str(&w.to_ascii_uppercase());
        }
        self.skip_statement()?;
        Ok(Statement::Unsupported(name))
    }

    pub(super) fn skip_statement(&mut self) -> Result<(), ParseError> {
        while self.tok != Tok::Eof && !self.is_op(";") {
            self.advance()?;
        }
        Ok(())
    }

    pub(super) fn on_clause(&mut self) -> Result<Option<String>, ParseError> {
        if self.eat_kw("ON")? {
            return Ok(Some(self.ident()?));
        }
        Ok(None)
    }

    pub(super) fn sources_and_condition(
        &mut self,
    ) -> Result<(Vec<Source>, Option<Expr>), ParseError> {
        let from = if self.eat_kw("FROM")? {
            self.sources()?
        } else {
            Vec::new()
        };
        let condition = self.where_clause()?;
        Ok((from, condition))
    }

    pub(super) fn where_clause(&mut self) -> Result<Option<Expr>, ParseError> {
        if self.eat_kw("WHERE")? {
            return Ok(Some(self.expr(0)?));
        }
        Ok(None)
    }

    pub(super) fn limit_offset(&mut self) -> Result<(usize, usize), ParseError> {
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

    pub(super) fn sources(&mut self) -> Result<Vec<Source>, ParseError> {
        let mut out = vec![self.source()?];
        while self.eat_op(",")? {
            out.push(self.source()?);
        }
        Ok(out)
    }

    /// `m`, `rp.m`, `db.rp.m`, `db..m`, or a `/regex/` in the last place.
    pub(super) fn source(&mut self) -> Result<Source, ParseError> {
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
    pub(super) fn expr(&mut self, min: u8) -> Result<Expr, ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error_here("expression nested too deeply".into()));
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

    pub(super) fn binop(&self) -> Option<(BinOp, u8)> {
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

    pub(super) fn unary(&mut self) -> Result<Expr, ParseError> {
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

    pub(super) fn primary(&mut self) -> Result<Expr, ParseError> {
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
                return Err(self.error_here(format!("missing parameter: {p}")));
            }
            _ => return Err(self.unexpected("identifier, string, number, bool")),
        };
        Ok(e)
    }

    pub(super) fn cast(&mut self) -> Result<Option<Cast>, ParseError> {
        if !self.eat_op("::")? {
            return Ok(None);
        }
        let pos = self.pos();
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
