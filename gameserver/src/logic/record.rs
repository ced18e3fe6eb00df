//! Byte layouts of the logic blocks' building records and configurations, as the Java game writes them.
//!
//! Owns: the compressed logic configuration (`LogicBlock.compress` / `LogicBuild.readCompressed`: zlib stream of
//! `u8 version`, `i32 length` + UTF-8 code, `i32 count` + per link `writeUTF name`, `i16 x`, `i16 y`; version 0
//! carried `i32` link positions that the game ignores), the class tail of `LogicBuild` (`read`/`write`:
//! revision ≥ 1 `i32 length` + compressed bytes, revision 0 `writeUTF code` + `i16 count` + ignored `i32`s; then
//! `i32 count` + (`writeUTF name`, TypeIO object) saved variables, `i32 count` + ignored doubles (memory, always
//! 0 when written), for privileged processors at revision ≥ 2 an `i16` instructions-per-tick, at revision ≥ 3
//! a TypeIO string `tag` and a `u16` icon, at revision ≥ 4 (master) `u16` count + (`u16` index, `f32` time)
//! wait timers and the `f32` accumulator), and the tail of `MemoryBuild` (`i32 count` + doubles). Worlds are
//! written at revision 4 (build 159's `LogicBuild.version()`; the official 159.7 maps hold it); streams for
//! build-154 clients get revision 3, the layout the Java build-154 server writes (`buildrecords`).
//! Does not own: what the values mean in a world (see the parent module) or the building base (`worldio`).
//!
//! Links are *absolute* tile positions in building records and *relative* to the processor in configurations
//! (`LogicBuild.config()` / `configure(byte[])`); the caller picks by passing `relative`.
//!
//! Invariants: decoders never panic and never allocate from an untrusted length beyond what the input backs;
//! inflating stops at [`MAX_INFLATED`] bytes; code longer than the game's `maxByteLen` (500 KiB) is refused.

use std::io::{Read, Write as _};

use flate2::Compression;
use flate2::read::ZlibDecoder;
use flate2::write::ZlibEncoder;
use multidustry_protocol::io::{DecodeError, Reader, Writer};
use multidustry_protocol::typeio::Object;

/// `LogicBlock.maxByteLen`: longest code the game accepts.
pub const MAX_CODE_BYTES: usize = 1024 * 500;
/// Most inflated bytes read from one configuration (code plus links).
pub const MAX_INFLATED: u64 = MAX_CODE_BYTES as u64 + 256 * 1024;

/// Why logic bytes were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// Truncated or malformed bytes.
    #[error("malformed logic data: {0}")]
    Decode(#[from] DecodeError),
    /// The zlib stream did not inflate.
    #[error("logic data does not inflate: {0}")]
    Inflate(String),
    /// A length over the game's limits.
    #[error("logic data too large: {0}")]
    TooLarge(&'static str),
    /// Bytes were left over after a complete record.
    #[error("{0} bytes left after the logic record")]
    Trailing(usize),
}

/// One link as the configuration stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRecord {
    /// Link name (`message1`, `cell2`).
    pub name: String,
    /// Tile x (absolute or relative, see the module docs).
    pub x: i16,
    /// Tile y.
    pub y: i16,
}

/// A decompressed logic configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogicConfig {
    /// Format version (0 or 1).
    pub version: u8,
    /// The program text.
    pub code: String,
    /// Links (empty for version 0).
    pub links: Vec<LinkRecord>,
}

/// `LogicBuild.readCompressed`'s parsing: inflates and reads a configuration.
pub fn decompress(data: &[u8]) -> Result<LogicConfig, RecordError> {
    let mut inflated = Vec::new();
    ZlibDecoder::new(data)
        .take(MAX_INFLATED + 1)
        .read_to_end(&mut inflated)
        .map_err(|e| RecordError::Inflate(e.to_string()))?;
    if inflated.len() as u64 > MAX_INFLATED {
        return Err(RecordError::TooLarge("inflated configuration"));
    }
    let mut r = Reader::new(&inflated);
    let version = r.u8()?;
    let len = r.i32()?;
    let len = usize::try_from(len).map_err(|_| DecodeError::Other("negative code length"))?;
    if len > MAX_CODE_BYTES {
        return Err(RecordError::TooLarge("code"));
    }
    let code = String::from_utf8_lossy(r.bytes(len)?).into_owned();
    let total = r.i32()?;
    let total = usize::try_from(total).map_err(|_| DecodeError::Other("negative link count"))?;
    let mut links = Vec::new();
    if version == 0 {
        r.skip(total.checked_mul(4).ok_or(RecordError::TooLarge("links"))?)?;
    } else {
        // Each link takes at least 6 bytes: the count cannot exceed what the bytes back.
        if total > r.remaining() / 6 {
            return Err(DecodeError::Other("link count beyond the data").into());
        }
        for _ in 0..total {
            let name = r.jutf()?;
            let x = r.i16()?;
            let y = r.i16()?;
            links.push(LinkRecord { name, x, y });
        }
    }
    Ok(LogicConfig { version, code, links })
}

/// `LogicBlock.compress`: version 1, the code as UTF-8, the given links (names longer than 65535 bytes of
/// modified UTF-8 are written empty).
pub fn compress(code: &str, links: &[LinkRecord]) -> Vec<u8> {
    let mut w = Writer::new();
    w.u8(1);
    let bytes = code.as_bytes();
    w.i32(i32::try_from(bytes.len()).unwrap_or(i32::MAX));
    w.bytes(bytes);
    w.i32(i32::try_from(links.len()).unwrap_or(i32::MAX));
    for l in links {
        if w.jutf(&l.name).is_err() {
            let _ = w.jutf("");
        }
        w.i16(l.x).i16(l.y);
    }
    let mut enc = ZlibEncoder::new(Vec::new(), Compression::default());
    // Writing into a Vec cannot fail.
    let _ = enc.write_all(w.as_slice());
    enc.finish().unwrap_or_default()
}

/// The class tail of a `LogicBuild` record.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessorTail {
    /// Configuration (links absolute).
    pub config: LogicConfig,
    /// Saved variables: name and TypeIO value.
    pub vars: Vec<(String, Object)>,
    /// Instructions per tick of a privileged processor (revision ≥ 2), already at least 1.
    pub ipt: Option<i16>,
    /// The processor's tag (revision ≥ 3).
    pub tag: Option<String>,
    /// The processor's icon character (revision ≥ 3).
    pub icon: u16,
    /// Wait timers by instruction index (revision ≥ 4).
    pub waits: Vec<(u16, f32)>,
    /// Instruction accumulator (revision ≥ 4).
    pub accumulator: Option<f32>,
}

/// Reads a `LogicBuild` tail of `revision`; `privileged` is whether the block is a world processor. Consumes
/// exactly the tail.
pub fn read_processor(tail: &[u8], revision: u8, privileged: bool) -> Result<ProcessorTail, RecordError> {
    let mut r = Reader::new(tail);
    let config = if revision >= 1 {
        let n = r.i32()?;
        let n = usize::try_from(n).map_err(|_| DecodeError::Other("negative config length"))?;
        decompress(r.bytes(n)?)?
    } else {
        let code = r.jutf()?;
        let n = r.i16()?;
        r.skip(usize::try_from(n).unwrap_or(0) * 4)?;
        LogicConfig { version: 0, code, links: Vec::new() }
    };
    let count = r.i32()?;
    let count = usize::try_from(count).map_err(|_| DecodeError::Other("negative variable count"))?;
    if count > r.remaining() / 3 {
        return Err(DecodeError::Other("variable count beyond the data").into());
    }
    let mut vars = Vec::with_capacity(count);
    for _ in 0..count {
        let name = r.jutf()?;
        let value = r.object()?;
        vars.push((name, value));
    }
    let memory = r.i32()?;
    let memory = usize::try_from(memory).map_err(|_| DecodeError::Other("negative memory length"))?;
    r.skip(memory.checked_mul(8).ok_or(RecordError::TooLarge("memory"))?)?;
    let ipt = if privileged && revision >= 2 { Some(r.i16()?.max(1)) } else { None };
    let (mut tag, mut icon, mut waits, mut accumulator) = (None, 0, Vec::new(), None);
    if revision >= 3 {
        tag = r.str()?;
        icon = r.u16()?;
    }
    if revision >= 4 {
        let n = usize::from(r.u16()?);
        for _ in 0..n {
            waits.push((r.u16()?, r.f32()?));
        }
        accumulator = Some(r.f32()?);
    }
    if !r.is_empty() {
        return Err(RecordError::Trailing(r.remaining()));
    }
    Ok(ProcessorTail { config, vars, ipt, tag, icon, waits, accumulator })
}

/// Newest `LogicBuild` revision (`version()` of build 159): revision 3 plus wait timers and the accumulator.
pub const REVISION: u8 = 4;

/// Writes a `LogicBuild` tail at `revision`: 4 (build 159: with `tail.waits` and `tail.accumulator`, 0 when
/// absent) or 3 (what the Java build-154 server writes; the rev-4 fields are dropped). Revisions below 3 are
/// written as 3.
pub fn write_processor(tail: &ProcessorTail, privileged: bool, revision: u8) -> Vec<u8> {
    let mut w = Writer::new();
    let compressed = compress(&tail.config.code, &tail.config.links);
    w.i32(i32::try_from(compressed.len()).unwrap_or(i32::MAX));
    w.bytes(&compressed);
    let mut vars = Writer::new();
    let mut count = 0i32;
    for (name, value) in &tail.vars {
        let mut one = Writer::new();
        if one.jutf(name).is_err() || one.object(value).is_err() {
            continue; // a value the codec cannot write is not saved (the game saves nothing it cannot read)
        }
        vars.bytes(one.as_slice());
        count += 1;
    }
    w.i32(count);
    w.bytes(vars.as_slice());
    w.i32(0); // memory: none
    if privileged {
        w.i16(tail.ipt.unwrap_or(1));
    }
    if w.str(tail.tag.as_deref()).is_err() {
        w.u8(0);
    }
    w.u16(tail.icon);
    if revision >= 4 {
        // `write.s(count)` and `write.s(index)`, read back unsigned; at most 1000 instructions, so never clipped
        let n = tail.waits.len().min(usize::from(u16::MAX));
        w.u16(n as u16);
        for (index, time) in &tail.waits[..n] {
            w.u16(*index).f32(*time);
        }
        w.f32(tail.accumulator.unwrap_or(0.0));
    }
    w.into_inner()
}

/// Reads a `MemoryBuild` tail: the stored doubles, keeping at most `capacity` (the game drops the rest).
pub fn read_memory(tail: &[u8], capacity: usize) -> Result<Vec<f64>, RecordError> {
    let mut r = Reader::new(tail);
    let n = r.i32()?;
    let n = usize::try_from(n).map_err(|_| DecodeError::Other("negative memory length"))?;
    if n > r.remaining() / 8 {
        return Err(DecodeError::Other("memory length beyond the data").into());
    }
    let mut memory = vec![0.0; capacity];
    for i in 0..n {
        let v = r.f64()?;
        if let Some(slot) = memory.get_mut(i) {
            *slot = v;
        }
    }
    if !r.is_empty() {
        return Err(RecordError::Trailing(r.remaining()));
    }
    Ok(memory)
}

/// Writes a `MemoryBuild` tail.
pub fn write_memory(memory: &[f64]) -> Vec<u8> {
    let mut w = Writer::with_capacity(4 + memory.len() * 8);
    w.i32(i32::try_from(memory.len()).unwrap_or(0));
    for v in memory {
        w.f64(*v);
    }
    w.into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configurations_round_trip_and_bad_bytes_are_errors() {
        let links = vec![LinkRecord { name: "message1".into(), x: 1, y: -2 }];
        let c = compress("print 1\nprintflush message1", &links);
        let back = decompress(&c).expect("decompresses");
        assert_eq!(back, LogicConfig { version: 1, code: "print 1\nprintflush message1".into(), links });
        assert!(decompress(b"not zlib").is_err());
        assert!(decompress(&[]).is_err());
        // A declared code length beyond the data, and one beyond the game's limit.
        for len in [100i32, 600 * 1024, -1] {
            let mut w = Writer::new();
            w.u8(1).i32(len);
            let mut enc = ZlibEncoder::new(Vec::new(), Compression::default());
            enc.write_all(w.as_slice()).expect("vec");
            assert!(decompress(&enc.finish().expect("vec")).is_err(), "{len}");
        }
    }

    #[test]
    fn processor_tails_round_trip() {
        let tail = ProcessorTail {
            config: LogicConfig {
                version: 1,
                code: "set a 1".into(),
                links: vec![LinkRecord { name: "cell1".into(), x: 10, y: 12 }],
            },
            vars: vec![("a".into(), Object::Double(1.5)), ("s".into(), Object::String(Some("x".into())))],
            ipt: Some(100),
            tag: Some("t".into()),
            icon: 0xF8A0,
            waits: Vec::new(),
            accumulator: None,
        };
        let bytes = write_processor(&tail, true, 3);
        assert_eq!(read_processor(&bytes, 3, true).expect("reads"), tail);
        let mut plain = tail.clone();
        plain.ipt = None;
        let bytes = write_processor(&plain, false, 3);
        assert_eq!(read_processor(&bytes, 3, false).expect("reads"), plain);
        assert!(read_processor(&bytes[..bytes.len() - 1], 3, false).is_err());
        let mut long = bytes.clone();
        long.push(0);
        assert_eq!(read_processor(&long, 3, false), Err(RecordError::Trailing(1)));
        // Revision 4 (master) adds wait timers and the accumulator.
        let mut v4 = bytes.clone();
        v4.extend([0, 1, 0, 2, 0x3f, 0x80, 0, 0, 0x40, 0, 0, 0]);
        let t = read_processor(&v4, 4, false).expect("reads");
        assert_eq!((&t.waits, t.accumulator), (&vec![(2, 1.0)], Some(2.0)));
        assert_eq!(write_processor(&t, false, 4), v4, "revision 4 writes them back");
        assert_eq!(write_processor(&t, false, 3), bytes, "revision 3 drops them");
    }

    #[test]
    fn memory_tails_keep_capacity() {
        let bytes = write_memory(&[1.0, 2.0, 3.0]);
        assert_eq!(read_memory(&bytes, 2).expect("reads"), vec![1.0, 2.0]);
        assert_eq!(read_memory(&bytes, 4).expect("reads"), vec![1.0, 2.0, 3.0, 0.0]);
        let mut w = Writer::new();
        w.i32(i32::MAX);
        assert!(read_memory(w.as_slice(), 64).is_err());
    }
}
