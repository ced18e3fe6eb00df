//! The internal wire contract between a proxy and the world hosts, readable in one place.
//!
//! Owns: every message a proxy sends to a world ([`ToWorld`]) and a world sends back ([`ToProxy`]), and the
//! small value types they carry. All types derive serde so the QUIC transport can frame them as CBOR
//! (ciborium); the in-process transport moves them as values. Does not own: how messages travel
//! ([`crate::transport`]) or the Mindustry encoding of packets (the `multidustry-protocol` crate).
//!
//! ```text
//!  client ──Mindustry wire──▶ PROXY ──ToWorld::{Join, Client, Leave}──▶ WORLD
//!  client ◀─Mindustry wire─── PROXY ◀─ToProxy::{Packet, WorldStream, Kick}── WORLD
//! ```
//!
//! Invariants and division of labour:
//! - Per session the world sees exactly: one [`ToWorld::Join`], any number of [`ToWorld::Client`], then at most
//!   one [`ToWorld::Leave`] (always one unless the whole proxy dies). Nothing arrives for a session after its
//!   `Leave`.
//! - The proxy owns the handshake: it validates the `ConnectPacket` (build, name, uuid, bans, limits) and only
//!   then sends `Join`. It answers the client's `ping` itself and echoes framework pings; neither reaches the
//!   world.
//! - The proxy types only what it must inspect ([`ClientMsg::ConnectConfirm`], [`ClientMsg::Chat`]). Every
//!   other client packet (clientSnapshot, build plans, tile config, rotateBlock, requestItem, …) arrives as
//!   [`ClientMsg::Packet`] with the **per-build** packet id and the **decompressed** payload; the world decodes
//!   it with `multidustry-protocol` for [`PlayerInfo::build`]. (This is how style.md wants it: the proxy passes
//!   what it does not need to understand through as bytes.)
//! - World → proxy packets are either build-neutral messages the proxy encodes for each client's build
//!   ([`OutPacket::Message`], [`OutPacket::Chat`]) or bytes the world already encoded for one build
//!   ([`OutPacket::Raw`]): the proxy frames and (when large) LZ4-compresses them, and delivers a `Raw` packet
//!   only to sessions whose build matches.
//! - A world stream is sent as the complete zlib-deflated `NetworkIO.writeWorld` bytes; the proxy cuts it into
//!   `StreamBegin`/`StreamChunk` packets.
//!
//! Stability: additive changes only (new variants go behind the `#[non_exhaustive]` markers). A breaking change
//! must be noted here and in the commit message.

use std::fmt;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

/// Version of this message set, carried by the QUIC transport's frames. Bump on any breaking change.
pub const MESSAGES_VERSION: u16 = 1;

/// One player connection through a proxy. Unique among the live sessions of a proxy (the proxy allocates
/// them; the cluster issue will fold the proxy's id into the high bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SessionId(pub u64);

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s{}", self.0)
    }
}

/// A hosted world. The monolith hosts exactly [`WorldId::DEFAULT`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct WorldId(pub u64);

impl WorldId {
    /// The world a player joins when nothing else is configured (the only world of a monolith).
    pub const DEFAULT: WorldId = WorldId(0);
}

impl fmt::Display for WorldId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "w{}", self.0)
    }
}

/// Who a validated client is, as the proxy learned it from the `ConnectPacket` (upstream `Packets.ConnectPacket`
/// plus `NetConnection`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlayerInfo {
    /// Sanitised display name (the Java server's `fixName`: trimmed, no newlines/tabs, no transparent color
    /// tags, at most ~40 UTF-8 bytes). Never empty. May contain `[color]` markup.
    pub name: String,
    /// The server-side uuid: base64 of the 16 bytes the client sends (8 id bytes + 8 CRC bytes), 24 chars.
    pub uuid: String,
    /// The per-server id the client generated (base64 of 8 bytes).
    pub usid: String,
    /// Client build: 159 or 154. Picks the codec profile for every packet of this session.
    pub build: u32,
    /// Player color, RGBA8888, alpha forced to 0xff (as the Java server does).
    pub color: u32,
    /// Client locale, "en" when the client sent none.
    pub locale: String,
    /// Remote IP address of the client's TCP connection.
    pub ip: IpAddr,
    /// Whether the uuid is in the admin list (see `access`).
    pub admin: bool,
    /// The client runs on Android/iOS.
    pub mobile: bool,
}

/// Proxy → world.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum ToWorld {
    /// A client passed the handshake; the world should answer with a [`ToProxy::WorldStream`] for it.
    /// Upstream this is the tail of `NetServer.connectPacket`.
    Join {
        /// The new session.
        session: SessionId,
        /// Who it is.
        player: PlayerInfo,
    },
    /// A packet from a joined client.
    Client {
        /// The sender.
        session: SessionId,
        /// What it sent.
        msg: ClientMsg,
    },
    /// The session ended; the world removes the player (upstream `NetServer.onDisconnect`).
    Leave {
        /// The session that ended.
        session: SessionId,
        /// Why.
        reason: LeaveReason,
    },
}

impl ToWorld {
    /// The session this message is about.
    pub fn session(&self) -> SessionId {
        match self {
            ToWorld::Join { session, .. } | ToWorld::Client { session, .. } | ToWorld::Leave { session, .. } => {
                *session
            }
        }
    }
}

/// A client packet, after the handshake.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum ClientMsg {
    /// `connectConfirm` (159 id 33, 154 id 29): the client loaded the world. Upstream
    /// `NetServer.connectConfirm`: add the player, announce, spawn.
    ConnectConfirm,
    /// `sendChatMessage` (159 id 97, 154 id 81): one chat line as typed, at most 150 chars (longer lines are
    /// dropped by the proxy, as the Java server does). Commands (`/help`) are included verbatim; the world
    /// formats and broadcasts.
    Chat {
        /// The line as typed.
        text: String,
    },
    /// Any other client packet, for the session's build: packet id and decompressed payload. Includes
    /// `clientSnapshot` (159 id 28, 154 id 24), build plans, `tileConfig`, `rotateBlock`, `requestItem`, ….
    /// Decode with `multidustry-protocol` for [`PlayerInfo::build`].
    Packet {
        /// Packet id in the session build's table.
        id: u8,
        /// Uncompressed payload.
        payload: Vec<u8>,
    },
}

/// Why a session ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum LeaveReason {
    /// The client closed the connection.
    Disconnected,
    /// Nothing was received for `proxy.timeout_secs`.
    Timeout,
    /// The proxy kicked the client (bad input, flood) or forwarded the world's kick.
    Kicked(KickReason),
    /// The session's outbound queue overflowed (the client reads too slowly); the proxy kicked it.
    Overflow,
    /// A socket or protocol error.
    Error(String),
    /// The proxy is shutting down.
    Shutdown,
}

/// World → proxy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum ToProxy {
    /// Send a packet to one session or to every session of the sending world.
    Packet {
        /// Receivers.
        to: Target,
        /// What to send.
        packet: OutPacket,
        /// TCP or (when possible) UDP.
        reliability: Reliability,
    },
    /// Send a world stream (upstream `NetworkIO.writeWorld`, already zlib-deflated) to one session. The proxy
    /// sends `StreamBegin` (type 2, WorldStream) and 1024-byte `StreamChunk`s over TCP.
    WorldStream {
        /// The receiver.
        session: SessionId,
        /// The complete deflated world stream.
        data: Vec<u8>,
    },
    /// Kick a session: the proxy sends the kick packet, flushes, closes, and reports
    /// `Leave { reason: Kicked(reason) }`.
    Kick {
        /// Who.
        session: SessionId,
        /// Why (shown to the player).
        reason: KickReason,
    },
}

impl ToProxy {
    /// The single session this message is for, or `None` for a broadcast.
    pub fn session(&self) -> Option<SessionId> {
        match self {
            ToProxy::Packet { to: Target::Session(s), .. } => Some(*s),
            ToProxy::Packet { to: Target::World, .. } => None,
            ToProxy::WorldStream { session, .. } | ToProxy::Kick { session, .. } => Some(*session),
        }
    }
}

/// Who receives a [`ToProxy::Packet`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Target {
    /// One session.
    Session(SessionId),
    /// Every live session of the sending world (upstream `Call.x(...)` = `sendToAll`). `OutPacket::Raw` only
    /// reaches sessions of the matching build.
    World,
}

/// How a packet travels to the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Reliability {
    /// TCP, in order (upstream remote calls without `unreliable`).
    Reliable,
    /// UDP when the client registered it and the datagram is small enough, TCP otherwise (upstream
    /// `unreliable = true`: snapshots).
    Unreliable,
}

/// A server → client packet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum OutPacket {
    /// Already encoded by the world for one build: id in that build's table, uncompressed payload. Delivered
    /// only to sessions with `PlayerInfo::build == build`.
    Raw {
        /// The build the bytes are encoded for (159 or 154).
        build: u32,
        /// Packet id in that build's table.
        id: u8,
        /// Uncompressed payload (the proxy compresses payloads of 36 bytes or more).
        payload: Vec<u8>,
    },
    /// `sendMessage(String)` (159 id 98, 154 id 82): a server line shown in chat, e.g.
    /// `"[accent]name[accent] has connected."`.
    Message {
        /// The text, with markup.
        text: String,
    },
    /// `sendMessage(String message, String unformatted, Player sender)` (159 id 99, 154 id 83): a chat line.
    Chat {
        /// The formatted line, e.g. `"[coral][[name[coral]]:[white] hi"`.
        message: String,
        /// The text as typed, or `None`.
        unformatted: Option<String>,
        /// The sending player's entity id, or `None` for server lines.
        sender: Option<i32>,
    },
}

/// Why a client was kicked, as the cluster's messages carry it (serde). The fixed reasons are upstream
/// `Packets.KickReason` (same ordinals in 154 and 159), whose one table (ordinals, names) is the protocol
/// crate's `packets::KickReason` ([`KickReason::fixed`] / `From`); they are sent as `KickCallPacket2`;
/// [`KickReason::Text`] is sent as `KickCallPacket` (free text).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum KickReason {
    /// 0: kicked by an admin.
    Kick,
    /// 1: the client's build is older than the server's.
    ClientOutdated,
    /// 2: the client's build is newer than the server's.
    ServerOutdated,
    /// 3: uuid, ip or name banned.
    Banned,
    /// 4: game over (quiet).
    GameOver,
    /// 5: kicked recently.
    RecentKick,
    /// 6: name already online.
    NameInUse,
    /// 7: uuid/usid already online or missing.
    IdInUse,
    /// 8: empty name.
    NameEmpty,
    /// 9: custom client not allowed.
    CustomClient,
    /// 10: the server closes.
    ServerClose,
    /// 11: vote-kicked.
    Vote,
    /// 12: version type mismatch.
    TypeMismatch,
    /// 13: not whitelisted.
    Whitelist,
    /// 14: server full.
    PlayerLimit,
    /// 15: restarting; the client reconnects by itself.
    ServerRestarting,
    /// Free text (`KickCallPacket`), e.g. "Malformed packet." or a flood notice.
    Text(String),
}

/// The protocol crate's `Packets.KickReason` (the one table of fixed reasons: ordinals and upstream names).
type WireKick = multidustry_protocol::packets::KickReason;

impl KickReason {
    /// The fixed reason as the protocol crate encodes it (`KickCallPacket2`), or `None` for [`KickReason::Text`].
    /// Both conversions are exhaustive matches, so the two enums cannot drift apart silently.
    pub fn fixed(&self) -> Option<WireKick> {
        Some(match self {
            KickReason::Kick => WireKick::Kick,
            KickReason::ClientOutdated => WireKick::ClientOutdated,
            KickReason::ServerOutdated => WireKick::ServerOutdated,
            KickReason::Banned => WireKick::Banned,
            KickReason::GameOver => WireKick::Gameover,
            KickReason::RecentKick => WireKick::RecentKick,
            KickReason::NameInUse => WireKick::NameInUse,
            KickReason::IdInUse => WireKick::IdInUse,
            KickReason::NameEmpty => WireKick::NameEmpty,
            KickReason::CustomClient => WireKick::CustomClient,
            KickReason::ServerClose => WireKick::ServerClose,
            KickReason::Vote => WireKick::Vote,
            KickReason::TypeMismatch => WireKick::TypeMismatch,
            KickReason::Whitelist => WireKick::Whitelist,
            KickReason::PlayerLimit => WireKick::PlayerLimit,
            KickReason::ServerRestarting => WireKick::ServerRestarting,
            KickReason::Text(_) => return None,
        })
    }

    /// The `KickReason` ordinal, or `None` for [`KickReason::Text`].
    pub fn ordinal(&self) -> Option<u8> {
        self.fixed().map(WireKick::ordinal)
    }

    /// The reason for an ordinal (as read from `KickCallPacket2`); `None` when out of range.
    pub fn from_ordinal(ordinal: u8) -> Option<KickReason> {
        WireKick::from_ordinal(ordinal).map(KickReason::from)
    }
}

impl From<WireKick> for KickReason {
    fn from(k: WireKick) -> Self {
        match k {
            WireKick::Kick => KickReason::Kick,
            WireKick::ClientOutdated => KickReason::ClientOutdated,
            WireKick::ServerOutdated => KickReason::ServerOutdated,
            WireKick::Banned => KickReason::Banned,
            WireKick::Gameover => KickReason::GameOver,
            WireKick::RecentKick => KickReason::RecentKick,
            WireKick::NameInUse => KickReason::NameInUse,
            WireKick::IdInUse => KickReason::IdInUse,
            WireKick::NameEmpty => KickReason::NameEmpty,
            WireKick::CustomClient => KickReason::CustomClient,
            WireKick::ServerClose => KickReason::ServerClose,
            WireKick::Vote => KickReason::Vote,
            WireKick::TypeMismatch => KickReason::TypeMismatch,
            WireKick::Whitelist => KickReason::Whitelist,
            WireKick::PlayerLimit => KickReason::PlayerLimit,
            WireKick::ServerRestarting => KickReason::ServerRestarting,
        }
    }
}

/// The upstream constant name (`clientOutdated`, …) of a fixed reason, the text of [`KickReason::Text`].
impl fmt::Display for KickReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.fixed(), self) {
            (Some(k), _) => f.write_str(k.name()),
            (None, KickReason::Text(t)) => f.write_str(t),
            (None, _) => Ok(()),
        }
    }
}

/// What a world publishes about itself for the server list (discovery replies) and the console.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct WorldStatus {
    /// Map name shown in the server list.
    pub map: String,
    /// Current wave.
    pub wave: i32,
    /// `Gamemode` ordinal: 0 survival, 1 sandbox, 2 attack, 3 pvp, 4 editor.
    pub gamemode: u8,
    /// Custom mode label (`rules.modeName`), empty if none.
    pub mode_name: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cbor_round_trip<T: Serialize + for<'de> Deserialize<'de> + PartialEq + fmt::Debug>(v: &T) {
        let mut buf = Vec::new();
        ciborium::into_writer(v, &mut buf).expect("encoding into a Vec cannot fail");
        let back: T = ciborium::from_reader(buf.as_slice()).expect("decodes what we encoded");
        assert_eq!(&back, v);
    }

    fn player() -> PlayerInfo {
        PlayerInfo {
            name: "mindref".into(),
            uuid: "AAECAwQFBgcAAAAAiCHg5Q==".into(),
            usid: "CAkKCwwNDg8=".into(),
            build: 154,
            color: 0xffd3_7fff,
            locale: "en".into(),
            ip: IpAddr::from([127, 0, 0, 1]),
            admin: false,
            mobile: false,
        }
    }

    #[test]
    fn every_message_round_trips_through_cbor() {
        let s = SessionId(7);
        let msgs = vec![
            ToWorld::Join { session: s, player: player() },
            ToWorld::Client { session: s, msg: ClientMsg::ConnectConfirm },
            ToWorld::Client { session: s, msg: ClientMsg::Chat { text: "ünïcödé 🚀".into() } },
            ToWorld::Client { session: s, msg: ClientMsg::Packet { id: 24, payload: vec![1, 2, 3] } },
            ToWorld::Leave { session: s, reason: LeaveReason::Kicked(KickReason::Text("flood".into())) },
            ToWorld::Leave { session: s, reason: LeaveReason::Overflow },
        ];
        for m in &msgs {
            cbor_round_trip(m);
            assert_eq!(m.session(), s);
        }
        let back = vec![
            ToProxy::Packet {
                to: Target::World,
                packet: OutPacket::Raw { build: 159, id: 48, payload: vec![0; 40] },
                reliability: Reliability::Unreliable,
            },
            ToProxy::Packet {
                to: Target::Session(s),
                packet: OutPacket::Chat { message: "[coral]x".into(), unformatted: None, sender: Some(3) },
                reliability: Reliability::Reliable,
            },
            ToProxy::WorldStream { session: s, data: vec![0x78, 0x9c] },
            ToProxy::Kick { session: s, reason: KickReason::Banned },
        ];
        for m in &back {
            cbor_round_trip(m);
        }
        assert_eq!(back[0].session(), None);
        assert_eq!(back[3].session(), Some(s));
    }

    #[test]
    fn kick_reason_ordinals_match_upstream() {
        for o in 0..16u8 {
            let r = KickReason::from_ordinal(o).expect("0..16 are defined");
            assert_eq!(r.ordinal(), Some(o));
        }
        assert_eq!(KickReason::from_ordinal(16), None);
        assert_eq!(KickReason::NameInUse.ordinal(), Some(6));
        assert_eq!(KickReason::PlayerLimit.ordinal(), Some(14));
        assert_eq!(KickReason::Text("x".into()).ordinal(), None);
        assert_eq!(KickReason::ClientOutdated.to_string(), "clientOutdated");
    }
}
