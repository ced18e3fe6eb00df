//! Streams: large server→client payloads (the world, asset lists, assets) cut into `StreamBegin` +
//! `StreamChunk` packets (`Packets.StreamBegin`/`StreamChunk`, `Net.handleClientReceived`).
//!
//! Owns: [`StreamAssembler`] (receiving side: chunks → one [`CompletedStream`]) and [`split_stream`]
//! (sending side: bytes → begin + 1024-byte chunks, as the Java server cuts them).
//! Does not own: what a stream contains (the world stream is `multidustry-world`'s).
//!
//! Invariants: a stream never buffers more than its announced `total`, and totals above the assembler's
//! limit are refused at `StreamBegin`; pre-allocation is capped.

use std::collections::HashMap;

use crate::packets::StreamChunk;

pub use crate::packets::StreamBegin;

/// Stream type byte of the world stream (`WorldStream`'s packet id, 2 in both builds).
pub const WORLD_STREAM_TYPE: i8 = 2;
/// Java's chunk size.
pub const CHUNK_SIZE: usize = 1024;
/// Default largest accepted stream (world streams are tens of KB; assets can be larger).
pub const DEFAULT_MAX_STREAM: usize = 64 << 20;

/// Stream reassembly errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StreamError {
    /// A chunk for a stream that was never begun (fatal upstream).
    #[error("chunk for unknown stream {0}")]
    UnknownStream(i32),
    /// Negative or oversized total.
    #[error("stream {id} announces {total} bytes (limit {limit})")]
    BadTotal {
        /// Stream id.
        id: i32,
        /// Announced total.
        total: i32,
        /// The limit.
        limit: usize,
    },
    /// More data than announced.
    #[error("stream {0} received more bytes than announced")]
    Overflow(i32),
}

/// A reassembled stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletedStream {
    /// Stream id.
    pub id: i32,
    /// Stream type (the packet id of the stream class: 2 world, 4/5 assets in 159).
    pub stream_type: i8,
    /// The bytes (for the world stream: zlib-deflated).
    pub data: Vec<u8>,
}

#[derive(Debug)]
struct Partial {
    total: usize,
    stream_type: i8,
    data: Vec<u8>,
}

/// Receiving side of streams.
#[derive(Debug)]
pub struct StreamAssembler {
    streams: HashMap<i32, Partial>,
    max_total: usize,
}

impl Default for StreamAssembler {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_STREAM)
    }
}

impl StreamAssembler {
    /// An assembler refusing streams over `max_total` bytes.
    #[must_use]
    pub fn new(max_total: usize) -> Self {
        Self { streams: HashMap::new(), max_total }
    }

    /// Starts a stream (replacing one with the same id). A stream with `total == 0` completes at once.
    ///
    /// # Errors
    /// A negative or oversized total.
    pub fn begin(&mut self, b: &StreamBegin) -> Result<Option<CompletedStream>, StreamError> {
        let total = usize::try_from(b.total).ok().filter(|&t| t <= self.max_total).ok_or(StreamError::BadTotal {
            id: b.id,
            total: b.total,
            limit: self.max_total,
        })?;
        if total == 0 {
            self.streams.remove(&b.id);
            return Ok(Some(CompletedStream { id: b.id, stream_type: b.stream_type, data: Vec::new() }));
        }
        let data = Vec::with_capacity(total.min(1 << 20));
        self.streams.insert(b.id, Partial { total, stream_type: b.stream_type, data });
        Ok(None)
    }

    /// Adds a chunk; returns the stream once `total` bytes arrived.
    ///
    /// # Errors
    /// Unknown stream id, or more bytes than announced (the stream is dropped).
    pub fn chunk(&mut self, c: &StreamChunk) -> Result<Option<CompletedStream>, StreamError> {
        let p = self.streams.get_mut(&c.id).ok_or(StreamError::UnknownStream(c.id))?;
        if p.data.len() + c.data.len() > p.total {
            self.streams.remove(&c.id);
            return Err(StreamError::Overflow(c.id));
        }
        p.data.extend_from_slice(&c.data);
        if p.data.len() < p.total {
            return Ok(None);
        }
        let p = self.streams.remove(&c.id).expect("present: just updated");
        Ok(Some(CompletedStream { id: c.id, stream_type: p.stream_type, data: p.data }))
    }

    /// Streams in progress.
    #[must_use]
    pub fn pending(&self) -> usize {
        self.streams.len()
    }
}

/// Cuts `data` into a `StreamBegin` and chunks of at most `chunk_size` bytes (Java: 1024).
///
/// # Panics
/// Never for `chunk_size` in `1..=16374`; larger chunk sizes are clamped to what an i16 length and a TCP
/// frame can carry, and `data` longer than `i32::MAX` is refused by the caller's limits first.
#[must_use]
pub fn split_stream(id: i32, stream_type: i8, data: &[u8], chunk_size: usize) -> (StreamBegin, Vec<StreamChunk>) {
    let size = chunk_size.clamp(1, 16_374);
    let total = i32::try_from(data.len()).unwrap_or(i32::MAX);
    let begin = StreamBegin { id, total, stream_type };
    let chunks = data.chunks(size).map(|c| StreamChunk { id, data: c.to_vec() }).collect();
    (begin, chunks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_and_reassemble() {
        let data: Vec<u8> = (0..5000u32).map(|i| i as u8).collect();
        let (b, chunks) = split_stream(3, WORLD_STREAM_TYPE, &data, CHUNK_SIZE);
        assert_eq!(chunks.len(), 5);
        let mut a = StreamAssembler::default();
        assert_eq!(a.begin(&b).unwrap(), None);
        let mut done = None;
        for c in &chunks {
            assert!(done.is_none());
            done = a.chunk(c).unwrap();
        }
        assert_eq!(done, Some(CompletedStream { id: 3, stream_type: 2, data }));
        assert_eq!(a.pending(), 0);
        assert_eq!(a.chunk(&chunks[0]), Err(StreamError::UnknownStream(3)));
        assert!(a.begin(&StreamBegin { id: 1, total: -1, stream_type: 2 }).is_err());
        a.begin(&StreamBegin { id: 1, total: 2, stream_type: 2 }).unwrap();
        assert_eq!(a.chunk(&StreamChunk { id: 1, data: vec![1, 2, 3] }), Err(StreamError::Overflow(1)));
    }
}
