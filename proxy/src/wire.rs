//! The few packet payloads the proxy (and the bot client) read or write themselves: `ConnectPacket`, chat,
//! ping, kicks, server messages, streams.
//!
//! Owns: these payload layouts, per build through [`Build::id`]. (The world stream itself is read with
//! `multidustry_world::WorldStream`.) Does not own: framing, LZ4 and the id tables
//! (`multidustry_protocol::framing` / `build`), nor the payloads the world reads and writes.
//!
//! `ConnectPacket` is the codec's typed packet. TODO(codec): the remaining small payloads here (kick, message,
//! chat, ping, streams) are hand-written; the codec's `packets::Packet` has typed
//! equivalents now and they can move over. They follow `shared/docs/mindustry-protocol.md` §4.4, §5.4 and the
//! `wire_fields_in_order` column of `packet_ids_v159.tsv`.
//!
//! Invariants: decoders never panic and must consume the whole payload.

use multidustry_protocol::io::{DecodeError, Reader, Writer};
use multidustry_protocol::packets::PacketError;
use multidustry_protocol::typeio::EncodeError;
use multidustry_protocol::{Build, Packet, PacketKind, RawPacket, Side};
use multidustrycore::messages::KickReason;

/// Packet id of `ConnectPacket` in every supported build.
pub const CONNECT_PACKET_ID: u8 = 3;
/// `StreamBegin.type` of a world stream.
pub const WORLD_STREAM_TYPE: i8 = 2;
/// Data bytes per `StreamChunk`, as the Java server cuts them.
pub const STREAM_CHUNK_SIZE: usize = 1024;
/// Longest chat line the Java server accepts (`Vars.maxTextLength`); longer ones are dropped.
pub const MAX_CHAT_CHARS: usize = 150;

/// Upstream `Packets.ConnectPacket` (spec §5.1), the codec's typed packet.
pub use multidustry_protocol::packets::ConnectPacket;

/// Decodes a `ConnectPacket` payload (same layout and id in both builds) with the codec; trailing bytes are an
/// error.
pub fn decode_connect(payload: &[u8]) -> Result<ConnectPacket, PacketError> {
    let raw = RawPacket { id: CONNECT_PACKET_ID, payload: payload.to_vec() };
    match Packet::decode(Build::V159, Side::Client, &raw)? {
        Packet::ConnectPacket(p) => Ok(p),
        _ => unreachable_kind(),
    }
}

/// Encodes a `ConnectPacket` payload as the Java client writes it.
pub fn encode_connect(p: &ConnectPacket) -> Result<Vec<u8>, EncodeError> {
    Ok(Packet::ConnectPacket(p.clone()).encode(Build::V159)?.payload)
}

/// Id 3 is `ConnectPacket` in every build, so the codec cannot return another kind for it; answer with an
/// error rather than panic should that ever change.
fn unreachable_kind() -> Result<ConnectPacket, PacketError> {
    Err(PacketError::UnknownId { id: CONNECT_PACKET_ID, build: Build::V159.number() })
}

/// Standard base64 with padding (what Java's `Base64.getEncoder()` writes).
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A packet of `kind` for `build`; `None` if the build has no such packet.
fn packet(build: Build, kind: PacketKind, payload: Vec<u8>) -> Option<RawPacket> {
    Some(RawPacket { id: build.id(kind)?, payload })
}

/// The kick packet for a reason: `KickCallPacket2` (u8 ordinal) or `KickCallPacket` (TypeIO string).
pub fn kick(build: Build, reason: &KickReason) -> Option<RawPacket> {
    match reason.ordinal() {
        Some(o) => packet(build, PacketKind::KickCallPacket2, vec![o]),
        None => packet(build, PacketKind::KickCallPacket, typeio_str(&reason.to_string())),
    }
}

/// The text `NetServer` shows a client that is not on the whitelist (`Call.infoMessage`) before kicking it.
pub const NOT_WHITELISTED: &str = "You are not whitelisted here.";

/// `infoMessage(String)`.
pub fn info_message(build: Build, text: &str) -> Option<RawPacket> {
    packet(build, PacketKind::InfoMessageCallPacket, typeio_str(text))
}

/// Every packet a kick for `reason` sends, in order: for `whitelist` the info message Java sends first
/// (`NetServer`: `Call.infoMessage(con, "You are not whitelisted here.")`, then `con.kick(KickReason.whitelist)`),
/// then the kick itself.
pub fn kick_packets(build: Build, reason: &KickReason) -> Vec<RawPacket> {
    let info = match reason {
        KickReason::Whitelist => info_message(build, NOT_WHITELISTED),
        _ => None,
    };
    info.into_iter().chain(kick(build, reason)).collect()
}

/// `sendMessage(String)`.
pub fn message(build: Build, text: &str) -> Option<RawPacket> {
    packet(build, PacketKind::SendMessageCallPacket, typeio_str(text))
}

/// `sendMessage(String message, String unformatted, Player sender)`; a missing sender is written as -1.
pub fn chat(build: Build, message: &str, unformatted: Option<&str>, sender: Option<i32>) -> Option<RawPacket> {
    let mut w = Writer::new();
    write_str_lossy(&mut w, Some(message));
    write_str_lossy(&mut w, unformatted);
    w.i32(sender.unwrap_or(-1));
    packet(build, PacketKind::SendMessageCallPacket2, w.into_inner())
}

/// `pingResponse(long time)`.
pub fn ping_response(build: Build, time: i64) -> Option<RawPacket> {
    packet(build, PacketKind::PingResponseCallPacket, time.to_be_bytes().to_vec())
}

/// `ping(long time)` (client → server).
pub fn ping(build: Build, time: i64) -> Option<RawPacket> {
    packet(build, PacketKind::PingCallPacket, time.to_be_bytes().to_vec())
}

/// `sendChatMessage(String)` (client → server).
pub fn send_chat(build: Build, text: &str) -> Option<RawPacket> {
    packet(build, PacketKind::SendChatMessageCallPacket, typeio_str(text))
}

/// `connectConfirm()` (client → server).
pub fn connect_confirm(build: Build) -> Option<RawPacket> {
    packet(build, PacketKind::ConnectConfirmCallPacket, Vec::new())
}

/// `StreamBegin`: i32 id, i32 total, i8 type.
pub fn stream_begin(id: i32, total: i32, kind: i8) -> RawPacket {
    let mut w = Writer::new();
    w.i32(id).i32(total).i8(kind);
    RawPacket { id: 0, payload: w.into_inner() }
}

/// `StreamChunk`: i32 id, i16 len, bytes. `data` must be at most `i16::MAX` bytes.
pub fn stream_chunk(id: i32, data: &[u8]) -> RawPacket {
    let mut w = Writer::with_capacity(6 + data.len());
    w.i32(id).i16(data.len().min(i16::MAX as usize) as i16).bytes(&data[..data.len().min(i16::MAX as usize)]);
    RawPacket { id: 1, payload: w.into_inner() }
}

/// Decoded `StreamBegin`.
pub fn decode_stream_begin(payload: &[u8]) -> Result<(i32, i32, i8), DecodeError> {
    let mut r = Reader::new(payload);
    let v = (r.i32()?, r.i32()?, r.i8()?);
    r.finish()?;
    Ok(v)
}

/// Decoded `StreamChunk`: stream id and data.
pub fn decode_stream_chunk(payload: &[u8]) -> Result<(i32, &[u8]), DecodeError> {
    let mut r = Reader::new(payload);
    let id = r.i32()?;
    let n = r.i16()?;
    let n = usize::try_from(n).map_err(|_| DecodeError::Invalid { what: "chunk length", value: n.into() })?;
    let data = r.bytes(n)?;
    r.finish()?;
    Ok((id, data))
}

/// A payload made of one TypeIO string (chat line, kick text); `None` for a null string.
pub fn decode_str_payload(payload: &[u8]) -> Result<Option<String>, DecodeError> {
    let mut r = Reader::new(payload);
    let s = r.str()?;
    r.finish()?;
    Ok(s)
}

/// A payload made of one i64 (ping, pingResponse).
pub fn decode_i64_payload(payload: &[u8]) -> Result<i64, DecodeError> {
    let mut r = Reader::new(payload);
    let v = r.i64()?;
    r.finish()?;
    Ok(v)
}

/// `sendMessage(String message, String unformatted, Player sender)` payload.
pub fn decode_chat(payload: &[u8]) -> Result<(Option<String>, Option<String>, i32), DecodeError> {
    let mut r = Reader::new(payload);
    let v = (r.str()?, r.str()?, r.i32()?);
    r.finish()?;
    Ok(v)
}

/// `playerSpawn(Tile core, Player player)`: core tile position (packed) and player id.
pub fn decode_player_spawn(payload: &[u8]) -> Result<(i32, i32), DecodeError> {
    let mut r = Reader::new(payload);
    let v = (r.i32()?, r.i32()?);
    r.finish()?;
    Ok(v)
}

fn typeio_str(s: &str) -> Vec<u8> {
    let mut w = Writer::new();
    write_str_lossy(&mut w, Some(s));
    w.into_inner()
}

/// Writes a TypeIO string, cutting it to what JUTF can carry (65 535 bytes) rather than failing: server text is
/// ours, and an over-long line is better shortened than lost.
fn write_str_lossy(w: &mut Writer, s: Option<&str>) {
    let Some(s) = s else {
        w.u8(0);
        return;
    };
    let mut end = s.len().min(16_000);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    if w.str(Some(&s[..end])).is_err() {
        w.u8(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_connect_packet_decodes_and_reencodes() {
        // Spec §5.1 example payload (66 bytes).
        let hex = "0000009f0100086f6666696369616c010006506c6179657201000265 6e01000c414141414141414141414 13d0102030405060708000000003fca88c500ffffffff00";
        let bytes: Vec<u8> = hex_decode(hex);
        let p = decode_connect(&bytes).expect("spec example decodes");
        assert_eq!(p.version, 159);
        assert_eq!(p.name.as_deref(), Some("Player"));
        assert_eq!(p.uuid_base64(), "AQIDBAUGBwgAAAAAP8qIxQ==");
        assert_eq!(p.uuid, ConnectPacket::uuid_from_id([1, 2, 3, 4, 5, 6, 7, 8]));
        assert_eq!(encode_connect(&p).expect("encodes"), bytes);
        assert!(decode_connect(&bytes[..bytes.len() - 1]).is_err());
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(decode_connect(&longer).is_err());
    }

    #[test]
    fn kick_packets_match_the_captures() {
        // kicks.tsv: b154 kick nameInUse = id 54 payload 06; spec §5.4: 159 banned = id 61 payload 03.
        assert_eq!(kick(Build::V154, &KickReason::NameInUse), Some(RawPacket { id: 54, payload: vec![6] }));
        assert_eq!(kick(Build::V159, &KickReason::Banned), Some(RawPacket { id: 61, payload: vec![3] }));
        let text = kick(Build::V154, &KickReason::Text("bye".into())).expect("154 has KickCallPacket");
        assert_eq!(text.id, 53);
        assert_eq!(decode_str_payload(&text.payload), Ok(Some("bye".into())));
    }

    #[test]
    fn the_whitelist_kick_is_preceded_by_javas_info_message() {
        for build in [Build::V154, Build::V159] {
            let packets = kick_packets(build, &KickReason::Whitelist);
            assert_eq!(packets.len(), 2);
            assert_eq!(Some(packets[0].id), build.id(PacketKind::InfoMessageCallPacket));
            assert_eq!(decode_str_payload(&packets[0].payload), Ok(Some("You are not whitelisted here.".into())));
            assert_eq!(Some(&packets[1]), kick(build, &KickReason::Whitelist).as_ref());
            assert_eq!(
                kick_packets(build, &KickReason::Banned),
                kick(build, &KickReason::Banned).into_iter().collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn base64_matches_java() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
    }

    #[test]
    fn streams_round_trip() {
        let b = stream_begin(7, 52_000, WORLD_STREAM_TYPE);
        assert_eq!(decode_stream_begin(&b.payload), Ok((7, 52_000, 2)));
        let c = stream_chunk(7, &[1, 2, 3]);
        assert_eq!(decode_stream_chunk(&c.payload), Ok((7, &[1u8, 2, 3][..])));
        assert!(decode_stream_chunk(&[0, 0, 0, 7, 0xff, 0xff]).is_err());
    }

    proptest::proptest! {
        /// Hostile payloads: every decoder returns (Ok or Err) without panicking.
        #[test]
        fn decoders_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let _ = decode_connect(&bytes);
            let _ = decode_stream_begin(&bytes);
            let _ = decode_stream_chunk(&bytes);
            let _ = decode_str_payload(&bytes);
            let _ = decode_i64_payload(&bytes);
            let _ = decode_chat(&bytes);
            let _ = decode_player_spawn(&bytes);
        }

        /// Chat lines round-trip through the payload helpers.
        #[test]
        fn chat_payloads_round_trip(text in "\\PC{0,150}", sender in proptest::option::of(0i32..1000)) {
            let p = chat(Build::V154, &text, Some(&text), sender).expect("154 has sendMessage2");
            let (m, u, s) = decode_chat(&p.payload).expect("decodes");
            proptest::prop_assert_eq!(m.as_deref(), Some(text.as_str()));
            proptest::prop_assert_eq!(u.as_deref(), Some(text.as_str()));
            proptest::prop_assert_eq!(s, sender.unwrap_or(-1));
        }
    }

    fn hex_decode(s: &str) -> Vec<u8> {
        let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("test hex")).collect()
    }
}
