//! The InfluxQL scanner: text to tokens, each with its position (line and character, as
//! InfluxDB's errors name them). Keywords are identifiers compared case-insensitively by the
//! parser; a `"quoted"` identifier is never a keyword. A `/regex/` is only scanned where the
//! parser asks for one ([`Lexer::regex`]), since `/` is also division.

use crate::error::ParseError;

/// A position in the query text: line and character, both from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// An unquoted identifier or keyword.
    Ident(String),
    /// A `"double-quoted"` identifier.
    Quoted(String),
    /// A `'single-quoted'` string.
    Str(String),
    Int(i64),
    Float(f64),
    /// A duration literal in nanoseconds (`10m`, `1700000000s`).
    Duration(i64),
    /// A bound parameter `$name` (not supported: reported by the parser).
    Param(String),
    /// Operators and punctuation: `+ - * / % = != <> < <= > >= =~ !~ , ( ) ; . :: & | ^`.
    Op(&'static str),
    Eof,
}

impl Tok {
    /// How InfluxDB names the token in "found X" messages.
    pub fn describe(&self) -> String {
        match self {
            Tok::Ident(s) => s.clone(),
            Tok::Quoted(s) => s.clone(),
            Tok::Str(s) => s.clone(),
            Tok::Int(n) => n.to_string(),
            Tok::Float(f) => f.to_string(),
            Tok::Duration(_) => "DURATION".into(),
            Tok::Param(p) => format!("${p}"),
            Tok::Op(o) => (*o).to_string(),
            Tok::Eof => "EOF".into(),
        }
    }
}

/// The scanner over one query text.
pub struct Lexer<'a> {
    src: &'a str,
    at: usize,
}

const OPS: &[&str] = &[
    "!=", "<>", "<=", ">=", "=~", "!~", "::", "+", "-", "*", "/", "%", "=", "<", ">", ",", "(",
    ")", ";", ".", "&", "|", "^",
];

impl<'a> Lexer<'a> {
    pub fn new(src: &'a str) -> Self {
        Lexer { src, at: 0 }
    }

    /// The position of byte offset `at`.
    pub fn pos_of(&self, at: usize) -> Pos {
        let before = &self.src[..at.min(self.src.len())];
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        Pos { line, col }
    }

    fn rest(&self) -> &'a str {
        &self.src[self.at..]
    }

    fn skip_space_and_comments(&mut self) {
        loop {
            let r = self.rest();
            let trimmed = r.trim_start();
            self.at += r.len() - trimmed.len();
            if trimmed.starts_with("--") {
                let n = trimmed.find('\n').unwrap_or(trimmed.len());
                self.at += n;
            } else if trimmed.starts_with("/*") {
                let n = trimmed.find("*/").map_or(trimmed.len(), |i| i + 2);
                self.at += n;
            } else {
                return;
            }
        }
    }

    /// The next token and the byte offset it starts at.
    pub fn next_token(&mut self) -> Result<(Tok, usize), ParseError> {
        self.skip_space_and_comments();
        let start = self.at;
        let r = self.rest();
        let Some(c) = r.chars().next() else {
            return Ok((Tok::Eof, start));
        };
        let tok = if c.is_ascii_digit()
            || (c == '.' && r[1..].starts_with(|d: char| d.is_ascii_digit()))
        {
            self.number()?
        } else if c.is_alphabetic() || c == '_' {
            let n = r
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(r.len());
            self.at += n;
            Tok::Ident(r[..n].to_string())
        } else if c == '"' {
            Tok::Quoted(self.quoted('"')?)
        } else if c == '\'' {
            Tok::Str(self.quoted('\'')?)
        } else if c == '$' {
            let body = &r[1..];
            let n = body
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(body.len());
            self.at += 1 + n;
            Tok::Param(body[..n].to_string())
        } else if let Some(op) = OPS.iter().find(|op| r.starts_with(**op)) {
            self.at += op.len();
            Tok::Op(op)
        } else {
            return Err(ParseError::at(
                self.pos_of(start),
                format!("found {c}, expected identifier, string, number, bool"),
            ));
        };
        Ok((tok, start))
    }

    /// A string or quoted identifier; `\` escapes the quote and `\\`, as InfluxDB's scanner.
    fn quoted(&mut self, quote: char) -> Result<String, ParseError> {
        let start = self.at;
        let body = &self.rest()[1..];
        let mut out = String::new();
        let mut chars = body.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some((_, e)) if e == quote || e == '\\' => out.push(e),
                    Some((_, 'n')) => out.push('\n'),
                    Some((_, e)) => {
                        out.push('\\');
                        out.push(e);
                    }
                    None => break,
                },
                '\n' if quote == '\'' => break,
                c if c == quote => {
                    self.at += 1 + i + 1;
                    return Ok(out);
                }
                c => out.push(c),
            }
        }
        Err(ParseError::at(
            self.pos_of(start),
            if quote == '\'' {
                "unterminated quoted string".into()
            } else {
                "unterminated quoted identifier".into()
            },
        ))
    }

    /// An integer, a float or a duration (`10m`, `1.5h` is not one: durations are whole).
    fn number(&mut self) -> Result<Tok, ParseError> {
        let start = self.at;
        let r = self.rest();
        let digits = r
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(r.len());
        let mut text = &r[..digits];
        // `1.` followed by an identifier is a float and a dot (never in practice); keep simple.
        let mut len = digits;
        let after = &r[digits..];
        if (after.starts_with('e') || after.starts_with('E'))
            && after[1..].starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '+')
        {
            let exp = &after[1..];
            let sign = usize::from(exp.starts_with(['-', '+']));
            let n = exp[sign..]
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(exp.len() - sign);
            if n > 0 {
                len = digits + 1 + sign + n;
                text = &r[..len];
            }
        }
        let unit_text = &r[len..];
        let unit_len = unit_text
            .find(|c: char| !c.is_alphabetic())
            .unwrap_or(unit_text.len());
        let unit = &unit_text[..unit_len];
        let bad = |lexer: &Self, what: &str| {
            ParseError::at(lexer.pos_of(start), format!("unable to parse {what}"))
        };
        if !unit.is_empty() && !text.contains(['.', 'e', 'E']) {
            if let Some(ns) = unit_ns(unit) {
                let n: i64 = text.parse().map_err(|_| bad(self, "duration"))?;
                self.at += len + unit_len;
                return n
                    .checked_mul(ns)
                    .map(Tok::Duration)
                    .ok_or_else(|| bad(self, "duration"));
            }
        }
        self.at += len;
        if text.contains(['.', 'e', 'E']) {
            text.parse::<f64>()
                .map(Tok::Float)
                .map_err(|_| bad(self, "number"))
        } else {
            match text.parse::<i64>() {
                Ok(n) => Ok(Tok::Int(n)),
                Err(_) => text
                    .parse::<f64>()
                    .map(Tok::Float)
                    .map_err(|_| bad(self, "integer")),
            }
        }
    }

    /// A `/regex/` starting at the next non-space character, if there is one.
    pub fn regex(&mut self) -> Result<Option<(String, usize)>, ParseError> {
        self.skip_space_and_comments();
        let start = self.at;
        let r = self.rest();
        if !r.starts_with('/') {
            return Ok(None);
        }
        let mut out = String::new();
        let mut chars = r[1..].char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some((_, '/')) => out.push('/'),
                    Some((_, e)) => {
                        out.push('\\');
                        out.push(e);
                    }
                    None => break,
                },
                '/' => {
                    self.at += 1 + i + 1;
                    return Ok(Some((out, start)));
                }
                '\n' => break,
                c => out.push(c),
            }
        }
        Err(ParseError::at(
            self.pos_of(start),
            "unterminated regex".into(),
        ))
    }

    /// Saves and restores the scan position (for the parser's one-token look-ahead).
    pub fn offset(&self) -> usize {
        self.at
    }

    pub fn seek(&mut self, at: usize) {
        self.at = at;
    }
}

/// Nanoseconds per duration unit (`ns u µ ms s m h d w`).
pub fn unit_ns(unit: &str) -> Option<i64> {
    Some(match unit {
        "ns" => 1,
        "u" | "µ" | "us" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" => 60_000_000_000,
        "h" => 3_600_000_000_000,
        "d" => 86_400_000_000_000,
        "w" => 604_800_000_000_000,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        let mut l = Lexer::new(s);
        let mut v = Vec::new();
        loop {
            let (t, _) = l.next_token().unwrap();
            if t == Tok::Eof {
                return v;
            }
            v.push(t);
        }
    }

    #[test]
    fn scans_literals_and_operators() {
        assert_eq!(
            toks("SELECT \"a b\",x FROM m WHERE t >= 10m and v != 'it\\'s' -- c\n1.5 3 1e3"),
            vec![
                Tok::Ident("SELECT".into()),
                Tok::Quoted("a b".into()),
                Tok::Op(","),
                Tok::Ident("x".into()),
                Tok::Ident("FROM".into()),
                Tok::Ident("m".into()),
                Tok::Ident("WHERE".into()),
                Tok::Ident("t".into()),
                Tok::Op(">="),
                Tok::Duration(600_000_000_000),
                Tok::Ident("and".into()),
                Tok::Ident("v".into()),
                Tok::Op("!="),
                Tok::Str("it's".into()),
                Tok::Float(1.5),
                Tok::Int(3),
                Tok::Float(1000.0),
            ]
        );
        assert_eq!(
            toks("1700000000000ms"),
            vec![Tok::Duration(1_700_000_000_000_000_000)]
        );
        assert!(Lexer::new("'open").next_token().is_err());
        assert!(Lexer::new("99999999999999999999w").next_token().is_err());
    }

    #[test]
    fn regexes_only_where_asked() {
        let mut l = Lexer::new(" /a\\/b.*/ x");
        assert_eq!(l.regex().unwrap().unwrap().0, "a/b.*");
        assert_eq!(l.next_token().unwrap().0, Tok::Ident("x".into()));
        assert_eq!(Lexer::new("x").regex().unwrap(), None);
        assert_eq!(l.pos_of(3), Pos { line: 1, col: 4 });
    }
}
