//! The Mindustry client protocol, as the Java game speaks it (builds 159 and 154). Sans-IO: no sockets,
//! no sessions, no game logic; fuzzable on its own.
//!
//! Spec: `shared/docs/mindustry-protocol.md` with `shared/data/protocol/ERRATA.md`; ground truth: the Java
//! source (`core/src/mindustry/io/TypeIO.java`, `net/Packets.java`, Arc's `arc.net`).
//!
//! # API overview
//!
//! | layer | module | main items |
//! |---|---|---|
//! | bytes | [`io`] | [`Reader`] / [`Writer`] (Java big-endian, `jutf`), [`DecodeError`] |
//! | TypeIO | [`typeio`] | `Reader::{str, object, plan, plans_queue, unit_ref, controller, status, ...}` and the matching `Writer` methods; [`Object`], [`BuildPlan`], [`UnitRef`], [`pack_pos`], [`EncodeError`] |
//! | ArcNet | [`framing`] | [`FrameDecoder`] (TCP bytes → bodies), [`decode_body`] / [`decode_datagram`], [`Body`] = [`FrameworkMessage`] \| [`RawPacket`] (id + *uncompressed* payload), [`Body::encode_tcp`], [`Compression`], limits `MAX_TCP_BODY`/`MAX_PAYLOAD` |
//! | builds | [`build`] | [`Build::V159`] / [`Build::V154`]: `id(kind)`, `kind(id)`; [`PacketKind`] (upstream class names) with `direction()`, `transport()`, `priority()`; [`Side`] |
//! | packets | [`packets`] | [`Packet`] (build-neutral typed enum; [`Packet::Other`] keeps untyped ones as bytes): `Packet::decode(build, side, &raw)`, `packet.encode(build) -> RawPacket` |
//! | entities | [`entity`] | [`EntityRecord`] (Player, units, fire, puddle, weather, world label) and [`entity::decode_records`] / [`entity::encode_records`] for `entitySnapshot` data |
//! | streams | [`stream`] | [`StreamAssembler`] (StreamBegin/StreamChunk → whole stream), [`stream::split_stream`] (server side) |
//! | discovery | [`discovery`] | [`ServerInfo`] `decode` / `encode` (UDP server-list reply), [`discovery::DISCOVER_REQUEST`] |
//!
//! Typical receive path of a proxy: `FrameDecoder::extend` → `next_body` → `Body::Packet(raw)` →
//! `Packet::decode(build, Side::Client, &raw)`; typed or not, `packet.encode(build)` gives the same
//! payload back. Send path: `Body::Packet(packet.encode(build)?).encode_tcp(Compression::Java)`.

pub mod build;
pub mod discovery;
pub mod entity;
pub mod framing;
pub mod io;
mod kinds;
pub mod packets;
pub mod stream;
pub mod typeio;

#[cfg(test)]
pub(crate) mod arb;

pub use build::{Build, Direction, PacketKind, Priority, Side, Transport};
pub use discovery::ServerInfo;
pub use entity::EntityRecord;
pub use framing::{
    Body, Compression, FrameDecoder, FrameError, FrameworkMessage, RawPacket, decode_body, decode_datagram,
    encode_tcp_frame,
};
pub use io::{DecodeError, Reader, Writer};
pub use packets::Packet;
pub use stream::StreamAssembler;
pub use typeio::{BuildPlan, EncodeError, Object, UnitRef, pack_pos, unpack_pos};
