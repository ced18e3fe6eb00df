//! Arc's networking layer (ArcNet) as Mindustry uses it: object bodies, framework messages, the packet
//! header with LZ4, TCP framing and its streaming decoder, UDP datagrams.
//!
//! Owns: [`Body`] (`0xFE` framework message or packet), [`RawPacket`] (id + uncompressed payload),
//! [`FrameworkMessage`], [`FrameDecoder`] (bytes in, bodies out, for a TCP connection), the size limits.
//! Does not own: what a packet id means (that is [`crate::Build`]) or payload layouts ([`crate::packets`]).
//!
//! ```text
//! TCP:  u16 len | body            UDP datagram: body
//! body: FE kind [fields]                        (framework)
//!     | id:u8 len:u16 comp:u8 payload           (packet; comp 1 = LZ4 block of `len` bytes)
//! ```
//!
//! Invariants: decoding never allocates more than [`MAX_PAYLOAD`] per packet or [`MAX_TCP_BODY`] per
//! buffered frame; a body decodes only if every byte is consumed.

use crate::io::{DecodeError, Reader, Writer};

/// Largest TCP frame body a Java endpoint reads (its 16 KiB object buffer; the u16 prefix not counted).
pub const MAX_TCP_BODY: usize = 16_384;
/// Largest UDP datagram body a Java endpoint reads.
pub const MAX_UDP_BODY: usize = 16_384;
/// Largest uncompressed packet payload (Java's 32 KiB decompression buffer).
pub const MAX_PAYLOAD: usize = 32_768;
/// Java compresses payloads of at least this many bytes (except stream chunks).
pub const COMPRESS_THRESHOLD: usize = 36;
/// First body byte of a framework message.
pub const FRAMEWORK_ID: u8 = 0xFE;
/// Packet id of `StreamChunk` in every supported build (never compressed by Java).
pub const STREAM_CHUNK_ID: u8 = 1;

/// Errors of the framing layer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// A body or field could not be decoded.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// A TCP frame announced length 0 ("Invalid object length").
    #[error("empty frame")]
    EmptyFrame,
    /// A frame or payload exceeds the limits.
    #[error("{what} of {len} bytes exceeds the limit of {limit}")]
    TooLarge {
        /// Frame body or payload.
        what: &'static str,
        /// Its size.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// The LZ4 block is corrupt or does not inflate to the announced length.
    #[error("bad LZ4 payload")]
    Lz4,
    /// Unknown framework message kind.
    #[error("unknown framework message {0}")]
    UnknownFramework(u8),
    /// Compression byte other than 0 or 1.
    #[error("unknown compression flag {0}")]
    BadCompression(u8),
}

/// ArcNet framework messages (`arc.net.FrameworkMessage`), body `FE kind ...`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FrameworkMessage {
    /// 0: `Ping` (answer `is_reply = false` pings with the same id and `is_reply = true`).
    Ping {
        /// Ping id.
        id: i32,
        /// Whether this is the answer.
        is_reply: bool,
    },
    /// 1: `DiscoverHost` (the server-list query, UDP).
    DiscoverHost,
    /// 2: `KeepAlive`.
    KeepAlive,
    /// 3: `RegisterUDP` (client over UDP with its id; server over TCP with 0).
    RegisterUdp {
        /// Connection id.
        connection_id: i32,
    },
    /// 4: `RegisterTCP` (server over TCP, first thing on a connection).
    RegisterTcp {
        /// Connection id.
        connection_id: i32,
    },
}

/// A Mindustry packet with its payload already decompressed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RawPacket {
    /// Build-specific packet id.
    pub id: u8,
    /// Uncompressed payload.
    pub payload: Vec<u8>,
}

/// One ArcNet object.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Body {
    /// `0xFE` framework message.
    Framework(FrameworkMessage),
    /// A Mindustry packet.
    Packet(RawPacket),
}

/// How to write the compression byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Compression {
    /// As Java: LZ4 when the payload has at least [`COMPRESS_THRESHOLD`] bytes, except stream chunks.
    Java,
    /// Never compress.
    Never,
    /// Always compress.
    Always,
}

impl FrameworkMessage {
    fn decode(r: &mut Reader<'_>) -> Result<Self, FrameError> {
        let kind = r.u8()?;
        Ok(match kind {
            0 => FrameworkMessage::Ping { id: r.i32()?, is_reply: r.u8()? == 1 },
            1 => FrameworkMessage::DiscoverHost,
            2 => FrameworkMessage::KeepAlive,
            3 => FrameworkMessage::RegisterUdp { connection_id: r.i32()? },
            4 => FrameworkMessage::RegisterTcp { connection_id: r.i32()? },
            k => return Err(FrameError::UnknownFramework(k)),
        })
    }

    fn encode(&self, w: &mut Writer) {
        w.u8(FRAMEWORK_ID);
        match *self {
            FrameworkMessage::Ping { id, is_reply } => {
                w.u8(0).i32(id).bool(is_reply);
            }
            FrameworkMessage::DiscoverHost => {
                w.u8(1);
            }
            FrameworkMessage::KeepAlive => {
                w.u8(2);
            }
            FrameworkMessage::RegisterUdp { connection_id } => {
                w.u8(3).i32(connection_id);
            }
            FrameworkMessage::RegisterTcp { connection_id } => {
                w.u8(4).i32(connection_id);
            }
        }
    }
}

/// The parts of a packet body without decompressing it (for pass-through and inspection).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PacketHeader<'a> {
    /// Packet id.
    pub id: u8,
    /// Uncompressed payload length.
    pub length: u16,
    /// Whether the payload is LZ4-compressed.
    pub compressed: bool,
    /// The payload bytes as on the wire (compressed or not).
    pub wire_payload: &'a [u8],
}

/// Splits a packet body (not a framework message) into header and wire payload.
pub fn split_packet(body: &[u8]) -> Result<PacketHeader<'_>, FrameError> {
    let mut r = Reader::new(body);
    let id = r.u8()?;
    let length = r.u16()?;
    let comp = r.u8()?;
    let compressed = match comp {
        0 => false,
        1 => true,
        c => return Err(FrameError::BadCompression(c)),
    };
    let wire_payload = if compressed {
        r.take_rest()
    } else {
        let p = r.bytes(usize::from(length))?;
        r.finish()?;
        p
    };
    Ok(PacketHeader { id, length, compressed, wire_payload })
}

/// Decompresses a packet's payload (bounded by [`MAX_PAYLOAD`]).
pub fn packet_payload(h: &PacketHeader<'_>) -> Result<Vec<u8>, FrameError> {
    let len = usize::from(h.length);
    if len > MAX_PAYLOAD {
        return Err(FrameError::TooLarge { what: "packet payload", len, limit: MAX_PAYLOAD });
    }
    if !h.compressed {
        return Ok(h.wire_payload.to_vec());
    }
    let mut out = vec![0u8; len];
    match lz4_flex::block::decompress_into(h.wire_payload, &mut out) {
        Ok(n) if n == len => Ok(out),
        _ => Err(FrameError::Lz4),
    }
}

/// Decodes one object body (a TCP frame without its prefix, or a UDP datagram).
pub fn decode_body(body: &[u8]) -> Result<Body, FrameError> {
    if body.first() == Some(&FRAMEWORK_ID) {
        let mut r = Reader::new(&body[1..]);
        let m = FrameworkMessage::decode(&mut r)?;
        r.finish()?;
        return Ok(Body::Framework(m));
    }
    let h = split_packet(body)?;
    Ok(Body::Packet(RawPacket { id: h.id, payload: packet_payload(&h)? }))
}

/// LZ4 block compression of a payload as the packet layer sends it.
#[must_use]
pub fn lz4_compress(payload: &[u8]) -> Vec<u8> {
    lz4_flex::block::compress(payload)
}

impl Body {
    /// Appends the body's bytes to `w`.
    ///
    /// # Errors
    /// A payload longer than [`MAX_PAYLOAD`] (the u16 length could not carry it or Java could not read it).
    pub fn encode_into(&self, w: &mut Writer, compression: Compression) -> Result<(), FrameError> {
        match self {
            Body::Framework(m) => m.encode(w),
            Body::Packet(p) => encode_packet_into(w, p.id, &p.payload, compression)?,
        }
        Ok(())
    }

    /// The body's bytes.
    ///
    /// # Errors
    /// See [`Body::encode_into`].
    pub fn encode(&self, compression: Compression) -> Result<Vec<u8>, FrameError> {
        let mut w = Writer::new();
        self.encode_into(&mut w, compression)?;
        Ok(w.into_inner())
    }

    /// The body as a TCP frame (u16 length prefix + body).
    ///
    /// # Errors
    /// See [`encode_tcp_frame`].
    pub fn encode_tcp(&self, compression: Compression) -> Result<Vec<u8>, FrameError> {
        let mut w = Writer::new();
        w.u16(0);
        self.encode_into(&mut w, compression)?;
        finish_tcp_frame(w)
    }
}

/// Writes a packet body: id, u16 uncompressed length, compression byte, payload.
///
/// # Errors
/// A payload longer than [`MAX_PAYLOAD`].
pub fn encode_packet_into(w: &mut Writer, id: u8, payload: &[u8], compression: Compression) -> Result<(), FrameError> {
    if payload.len() > MAX_PAYLOAD {
        return Err(FrameError::TooLarge { what: "packet payload", len: payload.len(), limit: MAX_PAYLOAD });
    }
    let compress = match compression {
        Compression::Never => false,
        Compression::Always => true,
        Compression::Java => payload.len() >= COMPRESS_THRESHOLD && id != STREAM_CHUNK_ID,
    };
    w.u8(id).u16(payload.len() as u16).bool(compress);
    if compress {
        w.bytes(&lz4_compress(payload));
    } else {
        w.bytes(payload);
    }
    Ok(())
}

fn finish_tcp_frame(mut w: Writer) -> Result<Vec<u8>, FrameError> {
    let len = w.len() - 2;
    if len > MAX_TCP_BODY {
        return Err(FrameError::TooLarge { what: "TCP frame body", len, limit: MAX_TCP_BODY });
    }
    w.buf_mut()[..2].copy_from_slice(&(len as u16).to_be_bytes());
    Ok(w.into_inner())
}

/// Prefixes an encoded body with its u16 length.
///
/// # Errors
/// An empty body or one longer than [`MAX_TCP_BODY`] (a Java peer could not read it).
pub fn encode_tcp_frame(body: &[u8]) -> Result<Vec<u8>, FrameError> {
    if body.is_empty() {
        return Err(FrameError::EmptyFrame);
    }
    let mut w = Writer::with_capacity(body.len() + 2);
    w.u16(0).bytes(body);
    finish_tcp_frame(w)
}

/// Decodes a UDP datagram (one body, no prefix).
///
/// # Errors
/// Oversized datagrams or any body error.
pub fn decode_datagram(datagram: &[u8]) -> Result<Body, FrameError> {
    if datagram.len() > MAX_UDP_BODY {
        return Err(FrameError::TooLarge { what: "UDP datagram", len: datagram.len(), limit: MAX_UDP_BODY });
    }
    decode_body(datagram)
}

/// Streaming TCP frame splitter: feed received bytes with [`FrameDecoder::extend`], take frames with
/// [`FrameDecoder::next_frame`] (raw bodies) or [`FrameDecoder::next_body`] (decoded).
///
/// It buffers at most one incomplete frame (≤ `max_body + 2` bytes) plus whatever was fed and not yet taken;
/// a frame announcing more than `max_body` is an error before any of it is buffered for it.
#[derive(Debug, Clone)]
pub struct FrameDecoder {
    buf: Vec<u8>,
    start: usize,
    max_body: usize,
}

impl Default for FrameDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl FrameDecoder {
    /// A decoder with the Java limit ([`MAX_TCP_BODY`]).
    #[must_use]
    pub fn new() -> Self {
        Self::with_limit(MAX_TCP_BODY)
    }

    /// A decoder accepting bodies up to `max_body` bytes (at most 65535).
    #[must_use]
    pub fn with_limit(max_body: usize) -> Self {
        Self { buf: Vec::new(), start: 0, max_body: max_body.min(usize::from(u16::MAX)) }
    }

    /// Appends received bytes.
    pub fn extend(&mut self, bytes: &[u8]) {
        if self.start > 0 && self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        } else if self.start > 4096 && self.start * 2 > self.buf.len() {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes buffered and not yet returned.
    #[must_use]
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.start
    }

    /// The next complete frame body, `Ok(None)` if more bytes are needed.
    ///
    /// # Errors
    /// A zero or oversized length prefix: the connection must be closed (the stream cannot resync).
    pub fn next_frame(&mut self) -> Result<Option<&[u8]>, FrameError> {
        let avail = &self.buf[self.start..];
        if avail.len() < 2 {
            return Ok(None);
        }
        let len = usize::from(u16::from_be_bytes([avail[0], avail[1]]));
        if len == 0 {
            return Err(FrameError::EmptyFrame);
        }
        if len > self.max_body {
            return Err(FrameError::TooLarge { what: "TCP frame body", len, limit: self.max_body });
        }
        if avail.len() < 2 + len {
            return Ok(None);
        }
        let s = self.start + 2;
        self.start = s + len;
        Ok(Some(&self.buf[s..s + len]))
    }

    /// The next complete frame, decoded.
    ///
    /// # Errors
    /// Framing errors (fatal for the connection) or body errors (the frame is consumed either way).
    pub fn next_body(&mut self) -> Result<Option<Body>, FrameError> {
        match self.next_frame()? {
            None => Ok(None),
            Some(b) => decode_body(b).map(Some),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kick_frame_from_the_spec() {
        // Spec §5.4: kick `banned` in build 159 = 00 05 3d 00 01 00 03.
        let body = Body::Packet(RawPacket { id: 61, payload: vec![3] });
        assert_eq!(body.encode_tcp(Compression::Java).unwrap(), [0, 5, 0x3d, 0, 1, 0, 3]);
        let mut d = FrameDecoder::new();
        d.extend(&[0, 5, 0x3d, 0, 1]);
        assert_eq!(d.next_body().unwrap(), None);
        d.extend(&[0, 3, 0, 2, 0xfe, 2]);
        assert_eq!(d.next_body().unwrap(), Some(body));
        assert_eq!(d.next_body().unwrap(), Some(Body::Framework(FrameworkMessage::KeepAlive)));
        assert_eq!(d.next_body().unwrap(), None);
        assert_eq!(d.buffered(), 0);
    }

    #[test]
    fn framework_messages_round_trip() {
        for m in [
            FrameworkMessage::Ping { id: -5, is_reply: true },
            FrameworkMessage::DiscoverHost,
            FrameworkMessage::KeepAlive,
            FrameworkMessage::RegisterUdp { connection_id: 0 },
            FrameworkMessage::RegisterTcp { connection_id: 0x2d39045b },
        ] {
            let b = Body::Framework(m).encode(Compression::Java).unwrap();
            assert_eq!(decode_body(&b).unwrap(), Body::Framework(m));
        }
        assert_eq!(
            Body::Framework(FrameworkMessage::RegisterTcp { connection_id: 7 }).encode_tcp(Compression::Java).unwrap(),
            [0, 6, 0xfe, 4, 0, 0, 0, 7]
        );
    }

    #[test]
    fn bad_frames_are_errors() {
        let mut d = FrameDecoder::new();
        d.extend(&[0, 0]);
        assert_eq!(d.next_frame(), Err(FrameError::EmptyFrame));
        let mut d = FrameDecoder::new();
        d.extend(&[0xff, 0xff]);
        assert!(matches!(d.next_frame(), Err(FrameError::TooLarge { .. })));
        assert!(decode_body(&[0xfe, 9]).is_err());
        assert!(decode_body(&[0xfe, 2, 0]).is_err());
        assert!(decode_body(&[5, 0, 3, 0, 1, 2]).is_err());
        assert!(decode_body(&[5, 0, 1, 0, 1, 2]).is_err());
        assert!(decode_body(&[5, 0, 40, 1, 1, 2]).is_err());
        assert!(decode_body(&[5, 0xff, 0xff, 1, 0]).is_err());
        assert!(decode_body(&[5, 0, 1, 2, 0]).is_err());
    }

    #[test]
    fn compressed_packets_round_trip() {
        let payload: Vec<u8> = (0..200u8).map(|i| i % 7).collect();
        let b = Body::Packet(RawPacket { id: 48, payload: payload.clone() });
        let enc = b.encode(Compression::Java).unwrap();
        assert_eq!(enc[3], 1);
        assert!(enc.len() < payload.len());
        assert_eq!(decode_body(&enc).unwrap(), b);
        let chunk = Body::Packet(RawPacket { id: STREAM_CHUNK_ID, payload });
        assert_eq!(chunk.encode(Compression::Java).unwrap()[3], 0);
    }
}
