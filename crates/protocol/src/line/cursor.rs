//! Byte cursor over a line-protocol body: position, line and column
//! tracking, and scanning of (possibly escaped) tokens.

use std::borrow::Cow;

use crate::error::ProtocolError;

/// Byte class: ends a measurement (`,` and space).
pub(super) const MEASUREMENT_STOP: u8 = 1;
/// Byte class: ends a tag key, tag value or field key (`,`, `=`, space).
pub(super) const KEY_STOP: u8 = 2;
/// Byte class: ends an unquoted field value (`,` and space).
pub(super) const VALUE_STOP: u8 = 4;
/// Byte class: ends a timestamp (space).
pub(super) const TIMESTAMP_STOP: u8 = 8;
/// Byte class: needs a closer look (`\`, `\n`, `\r`).
const SPECIAL: u8 = 16;

/// Class flags of every byte value: one table load per byte in the
/// scanning loops (measurably faster than a `match`).
// Built at compile time: an out-of-bounds index would fail the build, so
// this indexing cannot panic at run time.
#[allow(clippy::indexing_slicing)]
static CLASSES: [u8; 256] = {
    let mut table = [0u8; 256];
    table[b',' as usize] = MEASUREMENT_STOP | KEY_STOP | VALUE_STOP;
    table[b' ' as usize] = MEASUREMENT_STOP | KEY_STOP | VALUE_STOP | TIMESTAMP_STOP;
    table[b'=' as usize] = KEY_STOP;
    table[b'\\' as usize] = SPECIAL;
    table[b'\n' as usize] = SPECIAL;
    table[b'\r' as usize] = SPECIAL;
    table
};

/// Class flags of `byte`.
fn class_of(byte: u8) -> u8 {
    CLASSES.get(usize::from(byte)).copied().unwrap_or(0)
}

/// Whether `pos` starts a line ending: `\n`, or `\r` before `\n` or the end.
fn is_line_end(bytes: &[u8], pos: usize) -> bool {
    match bytes.get(pos) {
        Some(b'\n') => true,
        Some(b'\r') => matches!(bytes.get(pos + 1), None | Some(b'\n')),
        _ => false,
    }
}

/// Position in the body, with the line bookkeeping needed for error messages.
pub(super) struct Cursor<'a> {
    text: &'a str,
    pos: usize,
    /// Current line number, 1-based.
    line: usize,
    /// Byte offset of the current line's first byte.
    line_start: usize,
}

impl<'a> Cursor<'a> {
    pub(super) fn new(text: &'a str) -> Self {
        Self {
            text,
            pos: 0,
            line: 1,
            line_start: 0,
        }
    }

    pub(super) fn pos(&self) -> usize {
        self.pos
    }

    pub(super) fn line(&self) -> usize {
        self.line
    }

    /// 1-based byte column of `pos` on the current line.
    pub(super) fn column(&self, pos: usize) -> usize {
        pos.saturating_sub(self.line_start) + 1
    }

    pub(super) fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<u8> {
        self.text.as_bytes().get(self.pos + offset).copied()
    }

    /// The character at the cursor, for error messages.
    pub(super) fn peek_char(&self) -> char {
        self.text
            .get(self.pos..)
            .and_then(|rest| rest.chars().next())
            .unwrap_or('\u{fffd}')
    }

    /// Steps over one byte known to be ASCII.
    pub(super) fn bump(&mut self) {
        self.pos += 1;
    }

    /// Whether the cursor is at the end of a line: `\n`, `\r\n`, a final
    /// `\r`, or the end of the body.
    pub(super) fn at_eol(&self) -> bool {
        self.pos >= self.text.len() || is_line_end(self.text.as_bytes(), self.pos)
    }

    /// Steps over the line ending at the cursor, if any.
    pub(super) fn consume_eol(&mut self) {
        if self.peek() == Some(b'\r') {
            self.pos += 1;
        }
        if self.peek() == Some(b'\n') {
            self.pos += 1;
            self.line += 1;
            self.line_start = self.pos;
        }
    }

    /// Skips spaces and tabs.
    pub(super) fn skip_blanks(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    /// Skips spaces.
    pub(super) fn skip_spaces(&mut self) {
        while self.peek() == Some(b' ') {
            self.pos += 1;
        }
    }

    /// Moves to the end of the current line (before its line ending).
    pub(super) fn skip_to_eol(&mut self) {
        while !self.at_eol() {
            self.pos += 1;
        }
    }

    /// The input from `start` to `end` (byte offsets on character boundaries).
    pub(crate) fn text(&self, start: usize, end: usize) -> Option<&'a str> {
        self.slice(start, end).ok()
    }

    fn slice(&self, start: usize, end: usize) -> Result<&'a str, ProtocolError> {
        // Tokens end on ASCII delimiters, so this cannot fail on a str; the
        // check only keeps the parser panic-free.
        self.text
            .get(start..end)
            .ok_or_else(|| ProtocolError::LineInvalidUtf8 {
                line: self.line,
                column: self.column(end),
            })
    }

    /// Scans an escapable token (measurement, tag key or value, field key)
    /// up to an unescaped byte of class `stop`, or the end of line.
    /// `\x` for `escapable(x)` yields `x`; other backslashes stay literal.
    pub(super) fn scan_token(
        &mut self,
        stop: u8,
        escapable: impl Fn(u8) -> bool,
    ) -> Result<Cow<'a, str>, ProtocolError> {
        let bytes = self.text.as_bytes();
        let start = self.pos;
        let mut pos = self.pos;
        let mut escaped = false;
        while let Some(&byte) = bytes.get(pos) {
            let class = class_of(byte);
            if class & (stop | SPECIAL) == 0 {
                pos += 1;
            } else if class & stop != 0 {
                break;
            } else if byte == b'\\' {
                if bytes.get(pos + 1).is_some_and(|&next| escapable(next)) {
                    escaped = true;
                    pos += 2;
                } else {
                    pos += 1;
                }
            } else if is_line_end(bytes, pos) {
                break;
            } else {
                pos += 1; // a lone `\r`
            }
        }
        self.pos = pos;
        let raw = self.slice(start, pos)?;
        Ok(if escaped {
            Cow::Owned(unescape(raw, escapable))
        } else {
            Cow::Borrowed(raw)
        })
    }

    /// Scans an unescaped token (number, boolean, timestamp) up to a byte of
    /// class `stop`, or the end of line.
    pub(super) fn scan_plain(&mut self, stop: u8) -> Result<&'a str, ProtocolError> {
        let bytes = self.text.as_bytes();
        let start = self.pos;
        let mut pos = self.pos;
        while let Some(&byte) = bytes.get(pos) {
            let class = class_of(byte);
            if class & stop != 0 || (class & SPECIAL != 0 && is_line_end(bytes, pos)) {
                break;
            }
            pos += 1;
        }
        self.pos = pos;
        self.slice(start, pos)
    }

    /// Scans a string field value; the cursor is on the opening quote.
    /// Returns `None` if the closing quote is missing (the cursor is then at
    /// the end of the body). Newlines inside the string are kept and counted.
    pub(super) fn scan_string(&mut self) -> Result<Option<Cow<'a, str>>, ProtocolError> {
        self.pos += 1; // opening quote
        let start = self.pos;
        let mut escaped = false;
        loop {
            match self.peek() {
                None => return Ok(None),
                Some(b'\\') => match self.peek_at(1) {
                    Some(b'"' | b'\\') => {
                        escaped = true;
                        self.pos += 2;
                    }
                    _ => self.pos += 1,
                },
                Some(b'"') => break,
                Some(b'\n') => {
                    self.pos += 1;
                    self.line += 1;
                    self.line_start = self.pos;
                }
                Some(_) => self.pos += 1,
            }
        }
        let raw = self.slice(start, self.pos)?;
        self.pos += 1; // closing quote
        Ok(Some(if escaped {
            Cow::Owned(unescape(raw, |b| b == b'"' || b == b'\\'))
        } else {
            Cow::Borrowed(raw)
        }))
    }
}

/// Removes the backslash of every `\x` with `escapable(x)`, pairing
/// backslashes left to right exactly as the scanners do.
fn unescape(raw: &str, escapable: impl Fn(u8) -> bool) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(&next) = chars.peek() {
                if next.is_ascii() && escapable(next as u8) {
                    out.push(next);
                    chars.next();
                    continue;
                }
            }
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag_escapable(b: u8) -> bool {
        matches!(b, b',' | b'=' | b' ' | b'\\')
    }

    #[test]
    fn plain_token_is_borrowed() {
        let mut c = Cursor::new("host=a");
        let t = c.scan_token(KEY_STOP, tag_escapable).unwrap();
        assert!(matches!(t, Cow::Borrowed("host")));
        assert_eq!(c.peek(), Some(b'='));
    }

    #[test]
    fn escaped_token_is_owned_and_unescaped() {
        let mut c = Cursor::new(r"a\,b\=c\ d\\e\xf=1");
        let t = c.scan_token(KEY_STOP, tag_escapable).unwrap();
        assert!(matches!(t, Cow::Owned(_)));
        assert_eq!(t, r"a,b=c d\e\xf");
        assert_eq!(c.peek(), Some(b'='));
    }

    #[test]
    fn backslash_pairs_left_to_right() {
        // `\\` is one backslash, then `,` ends the token.
        let mut c = Cursor::new(r"a\\,b");
        assert_eq!(c.scan_token(KEY_STOP, tag_escapable).unwrap(), r"a\");
        assert_eq!(c.peek(), Some(b','));
        // `\\\,` is a backslash and a comma.
        let mut c = Cursor::new(r"a\\\,b c");
        assert_eq!(c.scan_token(KEY_STOP, tag_escapable).unwrap(), r"a\,b");
    }

    #[test]
    fn token_stops_at_line_end() {
        let mut c = Cursor::new("abc\r\ndef");
        assert_eq!(c.scan_token(KEY_STOP, tag_escapable).unwrap(), "abc");
        assert!(c.at_eol());
        c.consume_eol();
        assert_eq!(c.line(), 2);
        assert_eq!(c.column(c.pos()), 1);
        // A lone `\r` is an ordinary byte.
        let mut c = Cursor::new("a\rb c");
        assert_eq!(c.scan_token(KEY_STOP, tag_escapable).unwrap(), "a\rb");
        // A trailing backslash is literal.
        let mut c = Cursor::new("ab\\\n");
        assert_eq!(c.scan_token(KEY_STOP, tag_escapable).unwrap(), "ab\\");
    }

    #[test]
    fn strings_unescape_and_span_lines() {
        let mut c = Cursor::new(r#""a\"b\\c\d" x"#);
        let s = c.scan_string().unwrap().unwrap();
        assert_eq!(s, r#"a"b\c\d"#);
        assert_eq!(c.peek(), Some(b' '));

        let mut c = Cursor::new("\"one\ntwo\" 5");
        let s = c.scan_string().unwrap().unwrap();
        assert!(matches!(s, Cow::Borrowed("one\ntwo")));
        assert_eq!(c.line(), 2);
        assert_eq!(c.column(c.pos()), 5);

        let mut c = Cursor::new("\"open");
        assert!(c.scan_string().unwrap().is_none());
        let mut c = Cursor::new(r#""ends in backslash\"#);
        assert!(c.scan_string().unwrap().is_none());
    }

    #[test]
    fn plain_scan_and_peek_char() {
        let mut c = Cursor::new("12.5,é");
        assert_eq!(c.scan_plain(VALUE_STOP).unwrap(), "12.5");
        c.bump();
        assert_eq!(c.peek_char(), 'é');
        c.skip_to_eol();
        assert!(c.at_eol());
        assert_eq!(c.peek_char(), '\u{fffd}');
    }
}
