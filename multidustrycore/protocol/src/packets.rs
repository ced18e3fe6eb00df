//! Typed Mindustry packets, build-neutral: one struct per upstream packet class (named exactly as the class,
//! `KickCallPacket2`, `ConnectPacket`, ...), and [`Packet`], the enum of all of them.
//!
//! Owns: payload layouts (the bytes after the 4-byte packet header) for every packet of builds 154 and 159;
//! [`Packet::decode`] (id → kind via the [`Build`] profile, then the layout) and [`Packet::encode`].
//! Fixed layouts are declared once, in `packets_gen.rs` (generated from `packet_ids_v159.tsv`); the few
//! layouts that differ per build or need care are written by hand here ([`ConnectPacket`],
//! [`ClientSnapshotCallPacket`]). Stream *types* (WorldStream, AssetRequirementStream, AssetStream) are never
//! framed on their own; they, and anything a caller prefers not to parse, travel as [`Packet::Other`].
//!
//! Does not own: framing/LZ4 ([`crate::framing`]), entity records inside snapshots ([`crate::entity`]; see
//! [`EntitySnapshotCallPacket::records`]), stream reassembly ([`crate::stream`]).
//!
//! Conventions: a field typed `Option<i32>` named `player` is the calling player's id that `targets = both`
//! packets carry **only in the server-sent form**: decoding a client-sent packet yields `None`, encoding
//! writes it when `Some`. Content ids (block, item, unit type, ...) are plain `i16`; packed tile/building
//! positions are `i32` (see [`crate::typeio::pack_pos`]).
//!
//! Invariant: for every packet `p` decoded with `(build, side)`, `p.encode(build)` returns the same bytes, and
//! decoding consumes exactly the payload (leftover bytes are an error).

use crate::build::{Build, PacketKind, Side};
use crate::entity::{self, EntityRecord};
use crate::framing::RawPacket;
use crate::io::{DecodeError, Reader, Writer};
use crate::typeio::{BuildPlan, ClientPlan, ContentRef, EncodeError, ItemStack, Object, TraceInfo, UnitRef};

/// Why a packet could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PacketError {
    /// The id is not registered in this build.
    #[error("packet id {id} is not registered in build {build}")]
    UnknownId {
        /// The id.
        id: u8,
        /// The build number.
        build: i32,
    },
    /// The payload does not match the packet's layout.
    #[error("bad {kind} payload: {source}")]
    Payload {
        /// Which packet.
        kind: PacketKind,
        /// The decode failure.
        source: DecodeError,
    },
}

/// Decoding context: which build's layout, and which endpoint sent the packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cx {
    /// Build profile.
    pub build: Build,
    /// Sender.
    pub side: Side,
}

/// A value with a fixed wire codec (one per TypeIO encoding used by packets).
pub trait Field: Sized {
    /// Reads the value.
    ///
    /// # Errors
    /// Malformed or truncated input.
    fn read(r: &mut Reader<'_>, cx: Cx) -> Result<Self, DecodeError>;
    /// Writes the value.
    ///
    /// # Errors
    /// Values the encoding cannot carry.
    fn write(&self, w: &mut Writer, build: Build) -> Result<(), EncodeError>;
}

macro_rules! scalar_field {
    ($($t:ty => $m:ident),* $(,)?) => {$(
        impl Field for $t {
            fn read(r: &mut Reader<'_>, _: Cx) -> Result<Self, DecodeError> { r.$m() }
            fn write(&self, w: &mut Writer, _: Build) -> Result<(), EncodeError> { w.$m(*self); Ok(()) }
        }
    )*};
}
scalar_field!(u8 => u8, i8 => i8, u16 => u16, i16 => i16, i32 => i32, i64 => i64, f32 => f32, f64 => f64, bool => bool,
    UnitRef => unit_ref, ContentRef => content_ref);

/// TypeIO string.
impl Field for Option<String> {
    fn read(r: &mut Reader<'_>, _: Cx) -> Result<Self, DecodeError> {
        r.str()
    }
    fn write(&self, w: &mut Writer, _: Build) -> Result<(), EncodeError> {
        w.str(self.as_deref()).map(|_| ())
    }
}

/// The server-only leading player id of `targets = both` packets (see the module doc).
impl Field for Option<i32> {
    fn read(r: &mut Reader<'_>, cx: Cx) -> Result<Self, DecodeError> {
        if cx.side == Side::Server { r.i32().map(Some) } else { Ok(None) }
    }
    fn write(&self, w: &mut Writer, _: Build) -> Result<(), EncodeError> {
        if let Some(id) = self {
            w.i32(*id);
        }
        Ok(())
    }
}

impl Field for Object {
    fn read(r: &mut Reader<'_>, _: Cx) -> Result<Self, DecodeError> {
        r.object()
    }
    fn write(&self, w: &mut Writer, _: Build) -> Result<(), EncodeError> {
        w.object(self).map(|_| ())
    }
}

/// `byte[]`: i16 length + bytes.
impl Field for Vec<u8> {
    fn read(r: &mut Reader<'_>, _: Cx) -> Result<Self, DecodeError> {
        r.byte_array()
    }
    fn write(&self, w: &mut Writer, _: Build) -> Result<(), EncodeError> {
        w.byte_array(self).map(|_| ())
    }
}

/// `int[]`: i16 count + i32s.
impl Field for Vec<i32> {
    fn read(r: &mut Reader<'_>, _: Cx) -> Result<Self, DecodeError> {
        r.int_array()
    }
    fn write(&self, w: &mut Writer, _: Build) -> Result<(), EncodeError> {
        w.int_array(self).map(|_| ())
    }
}

/// `short[]`: i16 count + i16s.
impl Field for Vec<i16> {
    fn read(r: &mut Reader<'_>, _: Cx) -> Result<Self, DecodeError> {
        r.short_array()
    }
    fn write(&self, w: &mut Writer, _: Build) -> Result<(), EncodeError> {
        w.short_array(self).map(|_| ())
    }
}

/// `String[][]` (menus).
impl Field for Vec<Vec<Option<String>>> {
    fn read(r: &mut Reader<'_>, _: Cx) -> Result<Self, DecodeError> {
        r.str_array2d()
    }
    fn write(&self, w: &mut Writer, _: Build) -> Result<(), EncodeError> {
        w.str_array2d(self).map(|_| ())
    }
}

/// `Vec2`: f32 x, f32 y.
impl Field for (f32, f32) {
    fn read(r: &mut Reader<'_>, _: Cx) -> Result<Self, DecodeError> {
        Ok((r.f32()?, r.f32()?))
    }
    fn write(&self, w: &mut Writer, _: Build) -> Result<(), EncodeError> {
        w.f32(self.0).f32(self.1);
        Ok(())
    }
}

impl Field for TraceInfo {
    fn read(r: &mut Reader<'_>, _: Cx) -> Result<Self, DecodeError> {
        r.trace_info()
    }
    fn write(&self, w: &mut Writer, _: Build) -> Result<(), EncodeError> {
        w.trace_info(self).map(|_| ())
    }
}

/// `ItemStack[]`: i16 count + (i16 item, i32 amount).
impl Field for Vec<ItemStack> {
    fn read(r: &mut Reader<'_>, _: Cx) -> Result<Self, DecodeError> {
        let n = count_i16(r, 6)?;
        (0..n).map(|_| r.item_stack()).collect()
    }
    fn write(&self, w: &mut Writer, _: Build) -> Result<(), EncodeError> {
        w.i16(len16("ItemStack[]", self.len())?);
        for s in self {
            w.item_stack(*s);
        }
        Ok(())
    }
}

/// A liquid and an amount (`LiquidStack`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LiquidStack {
    /// Liquid id.
    pub liquid: i16,
    /// Amount.
    pub amount: f32,
}

/// `LiquidStack[]`: i16 count + (i16 liquid, f32 amount).
impl Field for Vec<LiquidStack> {
    fn read(r: &mut Reader<'_>, _: Cx) -> Result<Self, DecodeError> {
        let n = count_i16(r, 6)?;
        (0..n).map(|_| Ok(LiquidStack { liquid: r.i16()?, amount: r.f32()? })).collect()
    }
    fn write(&self, w: &mut Writer, _: Build) -> Result<(), EncodeError> {
        w.i16(len16("LiquidStack[]", self.len())?);
        for s in self {
            w.i16(s.liquid).f32(s.amount);
        }
        Ok(())
    }
}

fn count_i16(r: &mut Reader<'_>, min_size: usize) -> Result<usize, DecodeError> {
    let n = r.i16()?;
    let n = usize::try_from(n).map_err(|_| DecodeError::Invalid { what: "array length", value: n.into() })?;
    if n * min_size > r.remaining() {
        return Err(DecodeError::Eof { at: r.position(), needed: n * min_size - r.remaining() });
    }
    Ok(n)
}

fn len16(what: &'static str, len: usize) -> Result<i16, EncodeError> {
    i16::try_from(len).map_err(|_| EncodeError::TooLong { what, len, limit: i16::MAX as usize })
}

/// `IntSeq`: i32 count + i32s.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IntSeq(pub Vec<i32>);

impl Field for IntSeq {
    fn read(r: &mut Reader<'_>, _: Cx) -> Result<Self, DecodeError> {
        r.int_seq().map(IntSeq)
    }
    fn write(&self, w: &mut Writer, _: Build) -> Result<(), EncodeError> {
        w.int_seq(&self.0).map(|_| ())
    }
}

/// Rules/objectives/marker JSON: i32 byte length + UTF-8 text (Arc JSON dialect, not parsed here).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct JsonText(pub String);

impl Field for JsonText {
    fn read(r: &mut Reader<'_>, _: Cx) -> Result<Self, DecodeError> {
        let at = r.position();
        let n = r.i32()?;
        let n = usize::try_from(n).map_err(|_| DecodeError::Invalid { what: "JSON length", value: n.into() })?;
        String::from_utf8(r.bytes(n)?.to_vec()).map(JsonText).map_err(|_| DecodeError::BadString { at })
    }
    fn write(&self, w: &mut Writer, _: Build) -> Result<(), EncodeError> {
        let n = i32::try_from(self.0.len()).map_err(|_| EncodeError::TooLong {
            what: "JSON",
            len: self.0.len(),
            limit: i32::MAX as usize,
        })?;
        w.i32(n).bytes(self.0.as_bytes());
        Ok(())
    }
}

/// The rest of the payload, kept as bytes: a layout this crate does not parse on its own
/// (`ClientBuildPlans`, which needs each block's `rotate` flag; a `unitSpawn` container, see
/// [`UnitSpawnCallPacket::record`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RestBytes(pub Vec<u8>);

impl Field for RestBytes {
    fn read(r: &mut Reader<'_>, _: Cx) -> Result<Self, DecodeError> {
        Ok(RestBytes(r.take_rest().to_vec()))
    }
    fn write(&self, w: &mut Writer, _: Build) -> Result<(), EncodeError> {
        w.bytes(&self.0);
        Ok(())
    }
}

/// `Packets.KickReason`, by ordinal (same in 154 and 159).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[allow(missing_docs)]
pub enum KickReason {
    #[default]
    Kick,
    ClientOutdated,
    ServerOutdated,
    Banned,
    Gameover,
    RecentKick,
    NameInUse,
    IdInUse,
    NameEmpty,
    CustomClient,
    ServerClose,
    Vote,
    TypeMismatch,
    Whitelist,
    PlayerLimit,
    ServerRestarting,
}

impl KickReason {
    /// All reasons in ordinal order.
    pub const ALL: [KickReason; 16] = [
        KickReason::Kick,
        KickReason::ClientOutdated,
        KickReason::ServerOutdated,
        KickReason::Banned,
        KickReason::Gameover,
        KickReason::RecentKick,
        KickReason::NameInUse,
        KickReason::IdInUse,
        KickReason::NameEmpty,
        KickReason::CustomClient,
        KickReason::ServerClose,
        KickReason::Vote,
        KickReason::TypeMismatch,
        KickReason::Whitelist,
        KickReason::PlayerLimit,
        KickReason::ServerRestarting,
    ];

    /// The wire ordinal.
    #[must_use]
    pub fn ordinal(self) -> u8 {
        self as u8
    }

    /// The reason with this ordinal.
    #[must_use]
    pub fn from_ordinal(o: u8) -> Option<Self> {
        Self::ALL.get(usize::from(o)).copied()
    }

    /// The upstream constant name (`clientOutdated`, ...).
    #[must_use]
    pub fn name(self) -> &'static str {
        [
            "kick",
            "clientOutdated",
            "serverOutdated",
            "banned",
            "gameover",
            "recentKick",
            "nameInUse",
            "idInUse",
            "nameEmpty",
            "customClient",
            "serverClose",
            "vote",
            "typeMismatch",
            "whitelist",
            "playerLimit",
            "serverRestarting",
        ][self as usize]
    }
}

impl Field for KickReason {
    fn read(r: &mut Reader<'_>, _: Cx) -> Result<Self, DecodeError> {
        let o = r.u8()?;
        KickReason::from_ordinal(o).ok_or(DecodeError::Invalid { what: "kick reason", value: o.into() })
    }
    fn write(&self, w: &mut Writer, _: Build) -> Result<(), EncodeError> {
        w.u8(self.ordinal());
        Ok(())
    }
}

/// A packet layout: read from / write to a payload.
pub trait PacketBody: Sized {
    /// The packet class.
    const KIND: PacketKind;
    /// Reads the payload fields (the caller checks that every byte was consumed).
    ///
    /// # Errors
    /// Malformed payload.
    fn read(r: &mut Reader<'_>, cx: Cx) -> Result<Self, DecodeError>;
    /// Writes the payload fields.
    ///
    /// # Errors
    /// Values the layout cannot carry.
    fn write(&self, w: &mut Writer, build: Build) -> Result<(), EncodeError>;
}

macro_rules! simple_packets {
    ($( $(#[$m:meta])* $name:ident { $( $f:ident : $t:ty ),* $(,)? } )*) => {
        $(
            $(#[$m])*
            #[derive(Debug, Clone, PartialEq, Default)]
            #[allow(missing_docs)]
            pub struct $name { $( pub $f: $t, )* }

            impl PacketBody for $name {
                const KIND: PacketKind = PacketKind::$name;
                #[allow(unused_variables)]
                fn read(r: &mut Reader<'_>, cx: Cx) -> Result<Self, DecodeError> {
                    Ok(Self { $( $f: <$t as Field>::read(r, cx)?, )* })
                }
                #[allow(unused_variables)]
                fn write(&self, w: &mut Writer, build: Build) -> Result<(), EncodeError> {
                    $( Field::write(&self.$f, w, build)?; )*
                    Ok(())
                }
            }

            impl From<$name> for Packet {
                fn from(p: $name) -> Packet { Packet::$name(p) }
            }

            #[cfg(test)]
            impl $name {
                pub(crate) fn arb() -> proptest::strategy::BoxedStrategy<Self> {
                    use proptest::strategy::Strategy;
                    (proptest::strategy::Just(()), $( <$t as crate::arb::ArbField>::arb(), )*)
                        .prop_map(|((), $($f,)*)| Self { $($f,)* })
                        .boxed()
                }
            }
        )*

        /// Strategies for every simple packet (tests only).
        #[cfg(test)]
        pub(crate) fn arb_simple_packets() -> Vec<proptest::strategy::BoxedStrategy<Packet>> {
            use proptest::strategy::Strategy;
            vec![ $( $name::arb().prop_map(Packet::$name).boxed(), )* ]
        }

        /// Every typed packet, plus [`Packet::Other`] for stream types and anything kept as bytes.
        #[derive(Debug, Clone, PartialEq)]
        #[allow(missing_docs)]
        pub enum Packet {
            ConnectPacket(ConnectPacket),
            ClientSnapshotCallPacket(ClientSnapshotCallPacket),
            $( $name($name), )*
            /// A packet kept as its payload bytes (never produced by [`Packet::decode`] for a typed kind;
            /// build one to pass bytes through, or see [`Packet::decode_lazy`]).
            Other { kind: PacketKind, payload: Vec<u8> },
        }

        impl Packet {
            /// The packet's class.
            #[must_use]
            pub fn kind(&self) -> PacketKind {
                match self {
                    Packet::ConnectPacket(_) => PacketKind::ConnectPacket,
                    Packet::ClientSnapshotCallPacket(_) => PacketKind::ClientSnapshotCallPacket,
                    $( Packet::$name(_) => PacketKind::$name, )*
                    Packet::Other { kind, .. } => *kind,
                }
            }

            /// Decodes the payload of a packet of kind `kind`, consuming all of it.
            ///
            /// # Errors
            /// The payload does not match the layout.
            pub fn decode_payload(kind: PacketKind, payload: &[u8], cx: Cx) -> Result<Packet, PacketError> {
                let mut r = Reader::new(payload);
                let p = match kind {
                    PacketKind::ConnectPacket => ConnectPacket::read(&mut r, cx).map(Packet::ConnectPacket),
                    PacketKind::ClientSnapshotCallPacket =>
                        ClientSnapshotCallPacket::read(&mut r, cx).map(Packet::ClientSnapshotCallPacket),
                    $( PacketKind::$name => $name::read(&mut r, cx).map(Packet::$name), )*
                    _ => return Ok(Packet::Other { kind, payload: payload.to_vec() }),
                };
                let p = p.and_then(|p| r.finish().map(|()| p)).map_err(|source| PacketError::Payload { kind, source })?;
                Ok(p)
            }

            /// Writes the payload.
            ///
            /// # Errors
            /// Values the layout cannot carry.
            pub fn encode_payload(&self, w: &mut Writer, build: Build) -> Result<(), EncodeError> {
                match self {
                    Packet::ConnectPacket(p) => p.write(w, build),
                    Packet::ClientSnapshotCallPacket(p) => p.write(w, build),
                    $( Packet::$name(p) => p.write(w, build), )*
                    Packet::Other { payload, .. } => { w.bytes(payload); Ok(()) }
                }
            }
        }
    };
}

include!("packets_gen.rs");

impl Packet {
    /// Decodes a framed packet: its id through the build's table, then the payload.
    ///
    /// # Errors
    /// Unknown id for this build, or a payload that does not match the layout.
    pub fn decode(build: Build, side: Side, raw: &RawPacket) -> Result<Packet, PacketError> {
        let kind = build.kind(raw.id).ok_or(PacketError::UnknownId { id: raw.id, build: build.number() })?;
        Packet::decode_payload(kind, &raw.payload, Cx { build, side })
    }

    /// Like [`Packet::decode`] but only for the kinds in `typed`; every other kind becomes
    /// [`Packet::Other`] without parsing (for a proxy that passes most packets through).
    ///
    /// # Errors
    /// As [`Packet::decode`], for the kinds it parses.
    pub fn decode_lazy(build: Build, side: Side, raw: &RawPacket, typed: &[PacketKind]) -> Result<Packet, PacketError> {
        let kind = build.kind(raw.id).ok_or(PacketError::UnknownId { id: raw.id, build: build.number() })?;
        if typed.contains(&kind) {
            Packet::decode_payload(kind, &raw.payload, Cx { build, side })
        } else {
            Ok(Packet::Other { kind, payload: raw.payload.clone() })
        }
    }

    /// Encodes for `build`: its id and payload.
    ///
    /// # Errors
    /// The build has no such packet, or a value the layout cannot carry.
    pub fn encode(&self, build: Build) -> Result<RawPacket, EncodeError> {
        let id = build.id(self.kind()).ok_or(EncodeError::Unsupported("packet not present in this build"))?;
        let mut w = Writer::new();
        self.encode_payload(&mut w, build)?;
        Ok(RawPacket { id, payload: w.into_inner() })
    }
}

/// `Packets.ConnectPacket` (C→S, TCP, priority high): the join request.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ConnectPacket {
    /// Client build (159; -1 for custom builds).
    pub version: i32,
    /// `"official"` for releases.
    pub version_type: Option<String>,
    /// Player name.
    pub name: Option<String>,
    /// Locale (`"en"`).
    pub locale: Option<String>,
    /// Per-server id (base64 of 8 bytes).
    pub usid: Option<String>,
    /// The 8 uuid bytes followed by their CRC-32 as an i64: the server's notion of the uuid is all 16.
    pub uuid: [u8; 16],
    /// Mobile client.
    pub mobile: bool,
    /// RGBA8888 color.
    pub color: i32,
    /// Enabled mods, `"name:version"`.
    pub mods: Vec<Option<String>>,
}

impl ConnectPacket {
    /// The uuid as the Java server prints and stores it: base64 of all 16 bytes.
    #[must_use]
    pub fn uuid_base64(&self) -> String {
        base64(&self.uuid)
    }

    /// Whether the trailing 8 bytes are the CRC-32 of the first 8 (the Java server does not check it).
    #[must_use]
    pub fn uuid_crc_ok(&self) -> bool {
        let mut crc = [0u8; 8];
        crc.copy_from_slice(&self.uuid[8..]);
        u64::from_be_bytes(crc) == u64::from(crc32(&self.uuid[..8]))
    }

    /// Builds the 16 uuid bytes from the client's 8 (appending the CRC-32 as the Java client does).
    #[must_use]
    pub fn uuid_from_id(id: [u8; 8]) -> [u8; 16] {
        let mut out = [0u8; 16];
        out[..8].copy_from_slice(&id);
        out[8..].copy_from_slice(&u64::from(crc32(&id)).to_be_bytes());
        out
    }
}

impl PacketBody for ConnectPacket {
    const KIND: PacketKind = PacketKind::ConnectPacket;
    fn read(r: &mut Reader<'_>, _: Cx) -> Result<Self, DecodeError> {
        let version = r.i32()?;
        let version_type = r.str()?;
        let name = r.str()?;
        let locale = r.str()?;
        let usid = r.str()?;
        let mut uuid = [0u8; 16];
        uuid.copy_from_slice(r.bytes(16)?);
        let mobile = r.bool()?;
        let color = r.i32()?;
        let n = usize::from(r.u8()?);
        let mods = (0..n).map(|_| r.str()).collect::<Result<_, _>>()?;
        Ok(Self { version, version_type, name, locale, usid, uuid, mobile, color, mods })
    }
    fn write(&self, w: &mut Writer, _: Build) -> Result<(), EncodeError> {
        w.i32(self.version).str(self.version_type.as_deref())?.str(self.name.as_deref())?;
        w.str(self.locale.as_deref())?.str(self.usid.as_deref())?.bytes(&self.uuid).bool(self.mobile).i32(self.color);
        let n = u8::try_from(self.mods.len()).map_err(|_| EncodeError::TooLong {
            what: "mods",
            len: self.mods.len(),
            limit: 255,
        })?;
        w.u8(n);
        for m in &self.mods {
            w.str(m.as_deref())?;
        }
        Ok(())
    }
}

impl From<ConnectPacket> for Packet {
    fn from(p: ConnectPacket) -> Packet {
        Packet::ConnectPacket(p)
    }
}

/// `Call.clientSnapshot` (C→S, UDP, priority high): the client's unit state, ~15 per second.
/// `selected_block`/`selected_rotation` exist only in 159; plans are capped at 20 in 159 only.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ClientSnapshotCallPacket {
    /// Increments per send.
    pub snapshot_id: i32,
    /// Unit id, -1 when dead.
    pub unit_id: i32,
    /// Dead.
    pub dead: bool,
    /// x.
    pub x: f32,
    /// y.
    pub y: f32,
    /// Aim x.
    pub pointer_x: f32,
    /// Aim y.
    pub pointer_y: f32,
    /// Rotation.
    pub rotation: f32,
    /// Base rotation.
    pub base_rotation: f32,
    /// Velocity x.
    pub x_velocity: f32,
    /// Velocity y.
    pub y_velocity: f32,
    /// Mined tile, -1 none.
    pub mining: i32,
    /// Boosting.
    pub boosting: bool,
    /// Shooting.
    pub shooting: bool,
    /// Chatting.
    pub chatting: bool,
    /// Building.
    pub building: bool,
    /// Selected block, -1 none (159 only).
    pub selected_block: i16,
    /// Selected rotation (159 only).
    pub selected_rotation: i32,
    /// Build plans (`None` = null).
    pub plans: Option<Vec<BuildPlan>>,
    /// Camera x.
    pub view_x: f32,
    /// Camera y.
    pub view_y: f32,
    /// Camera width.
    pub view_width: f32,
    /// Camera height.
    pub view_height: f32,
}

impl PacketBody for ClientSnapshotCallPacket {
    const KIND: PacketKind = PacketKind::ClientSnapshotCallPacket;
    fn read(r: &mut Reader<'_>, cx: Cx) -> Result<Self, DecodeError> {
        let v159 = cx.build == Build::V159;
        Ok(Self {
            snapshot_id: r.i32()?,
            unit_id: r.i32()?,
            dead: r.bool()?,
            x: r.f32()?,
            y: r.f32()?,
            pointer_x: r.f32()?,
            pointer_y: r.f32()?,
            rotation: r.f32()?,
            base_rotation: r.f32()?,
            x_velocity: r.f32()?,
            y_velocity: r.f32()?,
            mining: r.i32()?,
            boosting: r.bool()?,
            shooting: r.bool()?,
            chatting: r.bool()?,
            building: r.bool()?,
            selected_block: if v159 { r.i16()? } else { 0 },
            selected_rotation: if v159 { r.i32()? } else { 0 },
            plans: r.plans_queue(v159)?,
            view_x: r.f32()?,
            view_y: r.f32()?,
            view_width: r.f32()?,
            view_height: r.f32()?,
        })
    }
    fn write(&self, w: &mut Writer, build: Build) -> Result<(), EncodeError> {
        w.i32(self.snapshot_id).i32(self.unit_id).bool(self.dead).f32(self.x).f32(self.y);
        w.f32(self.pointer_x).f32(self.pointer_y).f32(self.rotation).f32(self.base_rotation);
        w.f32(self.x_velocity).f32(self.y_velocity).i32(self.mining);
        w.bool(self.boosting).bool(self.shooting).bool(self.chatting).bool(self.building);
        if build == Build::V159 {
            w.i16(self.selected_block).i32(self.selected_rotation);
        }
        w.plans_queue(self.plans.as_deref())?;
        w.f32(self.view_x).f32(self.view_y).f32(self.view_width).f32(self.view_height);
        Ok(())
    }
}

impl From<ClientSnapshotCallPacket> for Packet {
    fn from(p: ClientSnapshotCallPacket) -> Packet {
        Packet::ClientSnapshotCallPacket(p)
    }
}

impl EntitySnapshotCallPacket {
    /// Decodes the entity records (field by field, per the build's layouts).
    ///
    /// # Errors
    /// See [`entity::decode_records`].
    pub fn records(&self, build: Build) -> Result<Vec<EntityRecord>, DecodeError> {
        entity::decode_records(&self.data, self.amount, build)
    }

    /// A snapshot packet holding `records`.
    ///
    /// # Errors
    /// See [`entity::encode_records`].
    pub fn from_records(records: &[EntityRecord], build: Build) -> Result<Self, EncodeError> {
        let (amount, data) = entity::encode_records(records, build)?;
        Ok(Self { amount, data })
    }
}

impl ClientPlanSnapshotCallPacket {
    /// Decodes the preview plans; `rotates(block)` is the block's `rotate` flag.
    ///
    /// # Errors
    /// Malformed plans or trailing bytes.
    pub fn decode_plans(&self, rotates: impl Fn(u16) -> bool) -> Result<Vec<ClientPlan>, DecodeError> {
        decode_client_plans(&self.plans.0, rotates)
    }
}

impl ClientPlanSnapshotReceivedCallPacket {
    /// Decodes the relayed preview plans; `rotates(block)` is the block's `rotate` flag.
    ///
    /// # Errors
    /// Malformed plans or trailing bytes.
    pub fn decode_plans(&self, rotates: impl Fn(u16) -> bool) -> Result<Vec<ClientPlan>, DecodeError> {
        decode_client_plans(&self.plans.0, rotates)
    }
}

fn decode_client_plans(bytes: &[u8], rotates: impl Fn(u16) -> bool) -> Result<Vec<ClientPlan>, DecodeError> {
    let mut r = Reader::new(bytes);
    let plans = r.client_plans(rotates)?;
    r.finish()?;
    Ok(plans)
}

impl UnitSpawnCallPacket {
    /// Decodes the unit container (one entity record).
    ///
    /// # Errors
    /// A malformed record or trailing bytes.
    pub fn record(&self, build: Build) -> Result<EntityRecord, DecodeError> {
        let mut r = Reader::new(&self.container.0);
        let rec = EntityRecord::decode(&mut r, build)?;
        r.finish()?;
        Ok(rec)
    }
}

/// One team's core items in a state snapshot's `coreData`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoreItems {
    /// Team id.
    pub team: u8,
    /// Non-zero items of the team's first core.
    pub items: Vec<ItemStack>,
}

impl StateSnapshotCallPacket {
    /// Decodes `core_data`: u8 team count, per team u8 id + (i16 n, n × (i16 item, i32 amount)).
    ///
    /// # Errors
    /// Malformed or trailing bytes.
    pub fn cores(&self) -> Result<Vec<CoreItems>, DecodeError> {
        let mut r = Reader::new(&self.core_data);
        let n = r.u8()?;
        let cx = Cx { build: Build::V159, side: Side::Server };
        let out = (0..n)
            .map(|_| Ok(CoreItems { team: r.u8()?, items: <Vec<ItemStack> as Field>::read(&mut r, cx)? }))
            .collect::<Result<Vec<_>, DecodeError>>()?;
        r.finish()?;
        Ok(out)
    }

    /// Encodes `core_data` from per-team items.
    ///
    /// # Errors
    /// More than 255 teams or too many items.
    pub fn encode_cores(cores: &[CoreItems]) -> Result<Vec<u8>, EncodeError> {
        let mut w = Writer::new();
        w.u8(u8::try_from(cores.len()).map_err(|_| EncodeError::TooLong {
            what: "teams",
            len: cores.len(),
            limit: 255,
        })?);
        for c in cores {
            w.u8(c.team);
            c.items.write(&mut w, Build::V159)?;
        }
        Ok(w.into_inner())
    }
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for c in data.chunks(3) {
        let b = [c[0], c.get(1).copied().unwrap_or(0), c.get(2).copied().unwrap_or(0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= c.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
#[path = "packets_tests.rs"]
mod tests;
