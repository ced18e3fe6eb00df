//! Big-endian byte IO as Java's `DataInputStream`/`DataOutputStream` (and Arc's `Reads`/`Writes`) do it.
//!
//! Owns: scalars, Java modified UTF-8 ("JUTF": `u16` length + CESU-8 with `C0 80` for U+0000), raw byte runs.
//! Does not own: Mindustry-level encodings (TypeIO strings, content refs, objects), which build on this.
//!
//! Invariants: reading never panics and never allocates more than the bytes actually present; every
//! failure is a small [`DecodeError`].

use std::fmt;

/// Why a decode failed. Cheap to build: hostile input hits these constantly.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The input ended before a value was complete.
    #[error("unexpected end of input at byte {at}: needed {needed} more byte(s)")]
    Eof {
        /// Offset where the read started.
        at: usize,
        /// Bytes the read wanted.
        needed: usize,
    },
    /// A string was not valid (modified) UTF-8.
    #[error("invalid string encoding at byte {at}")]
    BadString {
        /// Offset of the string's first byte.
        at: usize,
    },
    /// Bytes were left after a value that must consume its whole input.
    #[error("{count} trailing byte(s) after the value")]
    Trailing {
        /// How many bytes were left.
        count: usize,
    },
    /// A value was outside what the format allows.
    #[error("invalid {what}: {value}")]
    Invalid {
        /// What was being read.
        what: &'static str,
        /// The offending value.
        value: i64,
    },
    /// A length or count exceeded the format's limit.
    #[error("{what} too large: {value} (limit {limit})")]
    TooLarge {
        /// What was being read.
        what: &'static str,
        /// The announced size.
        value: usize,
        /// The limit.
        limit: usize,
    },
    /// A string-keyed or free-form error with a static description.
    #[error("{0}")]
    Other(&'static str),
}

/// A cursor over a byte slice with Java's big-endian reads.
#[derive(Clone, Copy)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl fmt::Debug for Reader<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reader").field("pos", &self.pos).field("len", &self.buf.len()).finish()
    }
}

macro_rules! read_be {
    ($($name:ident: $ty:ty),* $(,)?) => {$(
        #[doc = concat!("Reads a big-endian `", stringify!($ty), "`.")]
        pub fn $name(&mut self) -> Result<$ty, DecodeError> {
            Ok(<$ty>::from_be_bytes(self.array()?))
        }
    )*};
}

impl<'a> Reader<'a> {
    /// A reader at the start of `buf`.
    #[must_use]
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    /// Offset of the next byte to read.
    #[must_use]
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Bytes left.
    #[must_use]
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// Whether every byte was read.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// The unread bytes, without consuming them.
    #[must_use]
    pub fn rest(&self) -> &'a [u8] {
        &self.buf[self.pos..]
    }

    /// Fails with [`DecodeError::Trailing`] unless every byte was read.
    pub fn finish(&self) -> Result<(), DecodeError> {
        match self.remaining() {
            0 => Ok(()),
            count => Err(DecodeError::Trailing { count }),
        }
    }

    /// Takes the next `n` bytes.
    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if n > self.remaining() {
            return Err(DecodeError::Eof { at: self.pos, needed: n - self.remaining() });
        }
        let out = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    /// Takes all remaining bytes.
    pub fn take_rest(&mut self) -> &'a [u8] {
        let out = self.rest();
        self.pos = self.buf.len();
        out
    }

    /// Skips `n` bytes.
    pub fn skip(&mut self, n: usize) -> Result<(), DecodeError> {
        self.bytes(n).map(|_| ())
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let b = self.bytes(N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(b);
        Ok(out)
    }

    read_be!(u8: u8, i8: i8, u16: u16, i16: i16, u32: u32, i32: i32, u64: u64, i64: i64, f32: f32, f64: f64);

    /// Reads a Java boolean (any non-zero byte is true, as `DataInputStream.readBoolean`).
    pub fn bool(&mut self) -> Result<bool, DecodeError> {
        Ok(self.u8()? != 0)
    }

    /// Reads Java modified UTF-8 with a `u16` length prefix (`DataInput.readUTF`).
    pub fn jutf(&mut self) -> Result<String, DecodeError> {
        let at = self.pos;
        let len = usize::from(self.u16()?);
        let raw = self.bytes(len)?;
        decode_modified_utf8(raw).ok_or(DecodeError::BadString { at })
    }
}

/// Decodes Java modified UTF-8 (CESU-8 surrogate pairs, `C0 80` for NUL). Unpaired surrogates become U+FFFD,
/// as Java would keep them in a `String` that Rust cannot represent.
#[must_use]
pub fn decode_modified_utf8(raw: &[u8]) -> Option<String> {
    if raw.is_ascii() {
        // Fast path; modified UTF-8 never contains a raw 0 byte, but Java's reader accepts it.
        return Some(String::from_utf8(raw.to_vec()).expect("ASCII is UTF-8"));
    }
    let mut units: Vec<u16> = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let a = raw[i];
        match a >> 4 {
            0..=7 => {
                units.push(u16::from(a));
                i += 1;
            }
            12 | 13 => {
                let b = *raw.get(i + 1)?;
                if b & 0xC0 != 0x80 {
                    return None;
                }
                units.push((u16::from(a & 0x1F) << 6) | u16::from(b & 0x3F));
                i += 2;
            }
            14 => {
                let b = *raw.get(i + 1)?;
                let c = *raw.get(i + 2)?;
                if b & 0xC0 != 0x80 || c & 0xC0 != 0x80 {
                    return None;
                }
                units.push((u16::from(a & 0x0F) << 12) | (u16::from(b & 0x3F) << 6) | u16::from(c & 0x3F));
                i += 3;
            }
            _ => return None,
        }
    }
    Some(char::decode_utf16(units).map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER)).collect())
}

/// Encodes a string as Java modified UTF-8 (no length prefix).
#[must_use]
pub fn encode_modified_utf8(s: &str) -> Vec<u8> {
    if s.is_ascii() && !s.as_bytes().contains(&0) {
        return s.as_bytes().to_vec();
    }
    let mut out = Vec::with_capacity(s.len() + 8);
    for unit in s.encode_utf16() {
        match unit {
            1..=0x7F => out.push(unit as u8),
            0 | 0x80..=0x7FF => {
                out.push(0xC0 | ((unit >> 6) as u8 & 0x1F));
                out.push(0x80 | (unit as u8 & 0x3F));
            }
            _ => {
                out.push(0xE0 | ((unit >> 12) as u8 & 0x0F));
                out.push(0x80 | ((unit >> 6) as u8 & 0x3F));
                out.push(0x80 | (unit as u8 & 0x3F));
            }
        }
    }
    out
}

/// A growable buffer with Java's big-endian writes.
#[derive(Debug, Default, Clone)]
pub struct Writer {
    buf: Vec<u8>,
}

macro_rules! write_be {
    ($($name:ident: $ty:ty),* $(,)?) => {$(
        #[doc = concat!("Writes a big-endian `", stringify!($ty), "`.")]
        pub fn $name(&mut self, v: $ty) -> &mut Self {
            self.buf.extend_from_slice(&v.to_be_bytes());
            self
        }
    )*};
}

/// Error for a string longer than `writeUTF` allows (65535 encoded bytes).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("string too long for a Java UTF field: {0} encoded bytes (limit 65535)")]
pub struct StringTooLong(pub usize);

impl Writer {
    /// An empty writer.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty writer with room for `n` bytes.
    #[must_use]
    pub fn with_capacity(n: usize) -> Self {
        Self { buf: Vec::with_capacity(n) }
    }

    /// The bytes written so far.
    #[must_use]
    pub fn as_slice(&self) -> &[u8] {
        &self.buf
    }

    /// Bytes written so far.
    #[must_use]
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Whether nothing was written.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The written bytes.
    #[must_use]
    pub fn into_inner(self) -> Vec<u8> {
        self.buf
    }

    /// Mutable access to the underlying buffer (for patching lengths written later).
    pub fn buf_mut(&mut self) -> &mut Vec<u8> {
        &mut self.buf
    }

    write_be!(u8: u8, i8: i8, u16: u16, i16: i16, u32: u32, i32: i32, u64: u64, i64: i64, f32: f32, f64: f64);

    /// Writes a Java boolean (0 or 1).
    pub fn bool(&mut self, v: bool) -> &mut Self {
        self.buf.push(u8::from(v));
        self
    }

    /// Appends raw bytes.
    pub fn bytes(&mut self, b: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(b);
        self
    }

    /// Writes a `u16`-length-prefixed modified UTF-8 string (`DataOutput.writeUTF`).
    pub fn jutf(&mut self, s: &str) -> Result<&mut Self, StringTooLong> {
        let enc = encode_modified_utf8(s);
        let len = u16::try_from(enc.len()).map_err(|_| StringTooLong(enc.len()))?;
        self.u16(len);
        self.buf.extend_from_slice(&enc);
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modified_utf8_matches_java() {
        // Java: "a\u0000é€😀".getBytes via writeUTF -> 61 C0 80 C3 A9 E2 82 AC ED A0 BD ED B8 80
        let s = "a\u{0}é€😀";
        let enc = encode_modified_utf8(s);
        assert_eq!(enc, [0x61, 0xC0, 0x80, 0xC3, 0xA9, 0xE2, 0x82, 0xAC, 0xED, 0xA0, 0xBD, 0xED, 0xB8, 0x80]);
        assert_eq!(decode_modified_utf8(&enc).as_deref(), Some(s));
        let mut w = Writer::new();
        w.jutf(s).unwrap();
        let bytes = w.into_inner();
        let mut r = Reader::new(&bytes);
        assert_eq!(r.jutf().unwrap(), s);
        r.finish().unwrap();
    }

    #[test]
    fn truncated_reads_are_errors() {
        let mut r = Reader::new(&[0, 5, b'a']);
        assert_eq!(r.jutf(), Err(DecodeError::Eof { at: 2, needed: 4 }));
        let mut r = Reader::new(&[1, 2, 3]);
        assert!(r.i32().is_err());
        assert!(decode_modified_utf8(&[0xFF]).is_none());
        assert!(decode_modified_utf8(&[0xC3]).is_none());
    }
}
