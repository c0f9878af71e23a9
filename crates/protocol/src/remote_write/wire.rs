//! A borrowing reader of the protobuf wire format, for exactly the `WriteRequest` schema: the
//! label strings of a request come out as `&str` slices of the decompressed body, so decoding
//! 2,000 series allocates nothing per label (prost's generated types own a `String` per
//! name and value). Unknown fields are skipped by wire type, as protobuf requires.

use crate::error::ProtocolError;

/// A protobuf wire type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum WireType {
    Varint,
    Fixed64,
    Len,
    Fixed32,
}

fn bad(message: impl Into<String>) -> ProtocolError {
    ProtocolError::RemoteWriteProtobuf {
        message: message.into(),
    }
}

/// A cursor over one message's bytes.
#[derive(Debug, Clone)]
pub(super) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    pub fn is_empty(&self) -> bool {
        self.pos >= self.buf.len()
    }

    /// The offset of the next byte.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// The bytes of `range` (offsets from [`Reader::position`]).
    pub fn slice(&self, range: std::ops::Range<usize>) -> &'a [u8] {
        self.buf.get(range).unwrap_or_default()
    }

    #[inline]
    pub fn varint(&mut self) -> Result<u64, ProtocolError> {
        // Keys, lengths of labels and most sample fields fit one byte.
        if let Some(&b) = self.buf.get(self.pos)
            && b < 0x80
        {
            self.pos += 1;
            return Ok(u64::from(b));
        }
        self.varint_long()
    }

    #[cold]
    fn varint_long(&mut self) -> Result<u64, ProtocolError> {
        let mut v: u64 = 0;
        for shift in (0..70).step_by(7) {
            let b = *self
                .buf
                .get(self.pos)
                .ok_or_else(|| bad("truncated varint"))?;
            self.pos += 1;
            if shift == 63 && b > 1 {
                return Err(bad("varint overflows 64 bits"));
            }
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Ok(v);
            }
        }
        Err(bad("varint longer than 10 bytes"))
    }

    /// The next field's number and wire type; `None` at the end.
    #[inline]
    pub fn key(&mut self) -> Result<Option<(u64, WireType)>, ProtocolError> {
        if self.is_empty() {
            return Ok(None);
        }
        let key = self.varint()?;
        let wire = match key & 7 {
            0 => WireType::Varint,
            1 => WireType::Fixed64,
            2 => WireType::Len,
            5 => WireType::Fixed32,
            w => return Err(bad(format!("unsupported wire type {w}"))),
        };
        let field = key >> 3;
        if field == 0 {
            return Err(bad("field number 0"));
        }
        Ok(Some((field, wire)))
    }

    pub fn fixed64(&mut self) -> Result<u64, ProtocolError> {
        let end = self.pos.checked_add(8).filter(|&e| e <= self.buf.len());
        let bytes = end
            .and_then(|e| self.buf.get(self.pos..e))
            .ok_or_else(|| bad("truncated fixed64"))?;
        let mut b = [0u8; 8];
        b.copy_from_slice(bytes);
        self.pos += 8;
        Ok(u64::from_le_bytes(b))
    }

    /// The next field's bytes if it is the length-delimited field whose one-byte key is `key`
    /// with a length below 128 that fits (the shape of nearly every label and sample); `None`,
    /// having read nothing, otherwise.
    #[inline]
    pub fn short_field(&mut self, key: u8) -> Option<&'a [u8]> {
        let (&k, &len) = (self.buf.get(self.pos)?, self.buf.get(self.pos + 1)?);
        if k != key || len >= 0x80 {
            return None;
        }
        let start = self.pos + 2;
        let field = self.buf.get(start..start + usize::from(len))?;
        self.pos = start + usize::from(len);
        Some(field)
    }

    /// A length-delimited field's bytes.
    pub fn bytes(&mut self) -> Result<&'a [u8], ProtocolError> {
        let len = usize::try_from(self.varint()?).map_err(|_| bad("length overflows"))?;
        let end = self
            .pos
            .checked_add(len)
            .filter(|&e| e <= self.buf.len())
            .ok_or_else(|| bad("length-delimited field runs past its message"))?;
        let out = self
            .buf
            .get(self.pos..end)
            .ok_or_else(|| bad("length-delimited field runs past its message"))?;
        self.pos = end;
        Ok(out)
    }

    /// A length-delimited field as UTF-8.
    pub fn str(&mut self) -> Result<&'a str, ProtocolError> {
        std::str::from_utf8(self.bytes()?).map_err(|e| bad(format!("string is not UTF-8: {e}")))
    }

    /// Skips a field of `wire` type.
    pub fn skip(&mut self, wire: WireType) -> Result<(), ProtocolError> {
        match wire {
            WireType::Varint => self.varint().map(|_| ()),
            WireType::Fixed64 => self.fixed64().map(|_| ()),
            WireType::Len => self.bytes().map(|_| ()),
            WireType::Fixed32 => {
                let end = self
                    .pos
                    .checked_add(4)
                    .filter(|&e| e <= self.buf.len())
                    .ok_or_else(|| bad("truncated fixed32"))?;
                self.pos = end;
                Ok(())
            }
        }
    }
}

/// A label as sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct LabelRef<'a> {
    pub name: &'a str,
    pub value: &'a str,
}

/// A sample as sent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct SampleRef {
    pub value: f64,
    pub timestamp: i64,
}

/// Reads a `Label` message.
pub(super) fn label(buf: &[u8]) -> Result<LabelRef<'_>, ProtocolError> {
    let mut r = Reader::new(buf);
    let mut out = LabelRef {
        name: "",
        value: "",
    };
    while let Some((field, wire)) = r.key()? {
        match (field, wire) {
            (1, WireType::Len) => out.name = r.str()?,
            (2, WireType::Len) => out.value = r.str()?,
            (_, w) => r.skip(w)?,
        }
    }
    Ok(out)
}

/// Reads a `Sample` message.
pub(super) fn sample(buf: &[u8]) -> Result<SampleRef, ProtocolError> {
    // What every Prometheus sends: the value (field 1, fixed64), then the timestamp (field 2,
    // varint), nothing else.
    if let [0x09, rest @ ..] = buf
        && let Some((value, [0x10, ts @ ..])) = rest.split_first_chunk::<8>()
    {
        let mut r = Reader::new(ts);
        if let Ok(timestamp) = r.varint()
            && r.is_empty()
        {
            return Ok(SampleRef {
                value: f64::from_bits(u64::from_le_bytes(*value)),
                timestamp: timestamp as i64,
            });
        }
    }
    let mut r = Reader::new(buf);
    let mut out = SampleRef {
        value: 0.0,
        timestamp: 0,
    };
    while let Some((field, wire)) = r.key()? {
        match (field, wire) {
            (1, WireType::Fixed64) => out.value = f64::from_bits(r.fixed64()?),
            (2, WireType::Varint) => out.timestamp = r.varint()? as i64,
            (_, w) => r.skip(w)?,
        }
    }
    Ok(out)
}
