//! Mindustry's TypeIO encodings (`core/src/mindustry/io/TypeIO.java`), on top of [`crate::io`].
//!
//! Owns: the four string encodings, packed positions, content/entity/tile/unit references, the tagged
//! object encoding ([`Object`], `writeObject`/`readObject`), build plans, status entries, weapon mounts,
//! abilities, unit controllers, item stacks, int arrays, trace info. Readers are inherent methods added to
//! [`Reader`] (`r.str()`, `r.object()`), writers to [`Writer`] (`w.str(..)`, `w.object(..)`).
//!
//! Does not own: packet layouts (`packets`), entity records (`entity`), world/msav layouts.
//!
//! Invariants: every reader is bounded by the bytes present and by the limits below (no allocation from an
//! untrusted count beyond them); writing what a reader returned gives back the same bytes.

use crate::io::{DecodeError, Reader, StringTooLong, Writer};

/// Largest array/sequence count accepted inside a tagged object (upstream's "safe" read limit).
pub const MAX_OBJECT_ARRAY: usize = 1000;
/// Largest `byte[]` inside a tagged object (tag 14).
pub const MAX_OBJECT_BYTES: usize = 40_000;
/// Most plans in a network plan queue (`readPlansQueueNet`).
pub const MAX_NET_PLANS: usize = 20;
/// Upper bound on counts read from untrusted input where upstream has none (`IntSeq`, status lists, save
/// plan queues): every element takes at least one byte, so a count above the bytes left is rejected anyway;
/// this also caps the pre-allocation.
pub const MAX_SEQ: usize = 1 << 16;
/// Status effect id of the `dynamic` status, the only one with extra fields (builds 154 and 159).
pub const DYNAMIC_STATUS_ID: i16 = 22;

/// Why an encode failed: a value that the format cannot represent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// A string does not fit `writeUTF` (65535 encoded bytes).
    #[error(transparent)]
    StringTooLong(#[from] StringTooLong),
    /// A collection is longer than its length prefix (or the protocol) allows.
    #[error("{what} too long: {len} (limit {limit})")]
    TooLong {
        /// What was being written.
        what: &'static str,
        /// Its length.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// A value that this build cannot carry (e.g. a packet the build does not have).
    #[error("{0}")]
    Unsupported(&'static str),
}

/// Checks a count against a limit, and against the bytes left given a minimum element size.
fn check_count(
    r: &Reader<'_>,
    what: &'static str,
    n: usize,
    limit: usize,
    min_size: usize,
) -> Result<usize, DecodeError> {
    if n > limit {
        return Err(DecodeError::TooLarge { what, value: n, limit });
    }
    if n.saturating_mul(min_size) > r.remaining() {
        return Err(DecodeError::Eof { at: r.position(), needed: n * min_size - r.remaining() });
    }
    Ok(n)
}

fn len_i16(what: &'static str, len: usize) -> Result<i16, EncodeError> {
    i16::try_from(len).map_err(|_| EncodeError::TooLong { what, len, limit: i16::MAX as usize })
}

fn len_i32(what: &'static str, len: usize) -> Result<i32, EncodeError> {
    i32::try_from(len).map_err(|_| EncodeError::TooLong { what, len, limit: i32::MAX as usize })
}

fn len_u8(what: &'static str, len: usize) -> Result<u8, EncodeError> {
    u8::try_from(len).map_err(|_| EncodeError::TooLong { what, len, limit: 255 })
}

/// Point2 packing: `(x << 16) | (y & 0xFFFF)` (`arc.math.geom.Point2.pack`).
#[must_use]
pub fn pack_pos(x: i16, y: i16) -> i32 {
    (i32::from(x) << 16) | (i32::from(y) & 0xFFFF)
}

/// Inverse of [`pack_pos`]: `(x, y)`.
#[must_use]
pub fn unpack_pos(pos: i32) -> (i16, i16) {
    ((pos >> 16) as i16, pos as i16)
}

/// `Unit` reference (`TypeIO.writeUnit`): u8 kind + i32.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnitRef {
    /// Kind 0 (`null`); the i32 that follows is kept for exact re-encoding (Java writes 0).
    Null(i32),
    /// Kind 1: a block-controlled unit, by the packed position of its building.
    Block(i32),
    /// Kind 2: a normal unit, by entity id.
    Unit(i32),
    /// Any other kind byte (Java reads it as null); kept for exact re-encoding.
    Other(u8, i32),
}

impl Default for UnitRef {
    fn default() -> Self {
        UnitRef::NONE
    }
}

impl UnitRef {
    /// The null reference as Java writes it.
    pub const NONE: UnitRef = UnitRef::Null(0);
}

/// Generic content reference (`ContentType` ordinal + id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ContentRef {
    /// `ContentType` ordinal (0 item, 1 block, 4 liquid, 5 status, 6 unit, ...).
    pub content_type: u8,
    /// Content id within that type.
    pub id: i16,
}

/// The tagged object encoding (`TypeIO.writeObject`/`readObject`), one variant per tag.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Object {
    /// Tag 0.
    #[default]
    Null,
    /// Tag 1.
    Int(i32),
    /// Tag 2.
    Long(i64),
    /// Tag 3.
    Float(f32),
    /// Tag 4: a TypeIO string (which may itself be null: `04 00`).
    String(Option<String>),
    /// Tag 5.
    Content(ContentRef),
    /// Tag 6: `IntSeq` with an i16 count.
    IntSeq(Vec<i32>),
    /// Tag 7: i32 x, i32 y.
    Point2 {
        /// x.
        x: i32,
        /// y.
        y: i32,
    },
    /// Tag 8: u8 count of packed points.
    Point2Array(Vec<i32>),
    /// Tag 9: a tech node, by its content.
    TechNode(ContentRef),
    /// Tag 10.
    Bool(bool),
    /// Tag 11.
    Double(f64),
    /// Tag 12: a building by packed position.
    Building(i32),
    /// Tag 13: an `LAccess` ordinal.
    LAccess(i16),
    /// Tag 14: i32 length + bytes.
    Bytes(Vec<u8>),
    /// Tag 15: legacy unit command byte (Java reads it as null).
    LegacyUnitCommand(u8),
    /// Tag 16: i32 count + bools.
    BoolArray(Vec<bool>),
    /// Tag 17: unit by id.
    Unit(i32),
    /// Tag 18: i16 count + (f32, f32) pairs.
    Vec2Array(Vec<(f32, f32)>),
    /// Tag 19.
    Vec2(f32, f32),
    /// Tag 20: team id.
    Team(u8),
    /// Tag 21: `int[]` (i16 count + i32s).
    IntArray(Vec<i32>),
    /// Tag 22: i32 count + objects (nested arrays are rejected on read).
    ObjectArray(Vec<Object>),
    /// Tag 23: `UnitCommand` id (u16).
    UnitCommand(u16),
}

/// A build plan (`TypeIO.writePlan`).
#[derive(Debug, Clone, PartialEq)]
pub enum BuildPlan {
    /// `breaking = 1`: deconstruct the building at `pos`.
    Break {
        /// Packed tile position.
        pos: i32,
    },
    /// `breaking = 0`: place `block`.
    Place {
        /// Packed tile position.
        pos: i32,
        /// Block id.
        block: i16,
        /// Rotation byte.
        rotation: u8,
        /// The `hasConfig` byte (Java always writes 1; kept for exact re-encoding).
        has_config: u8,
        /// Configuration.
        config: Object,
    },
}

/// Most preview plans accepted in one `ClientBuildPlans` (the spec's limit; Java caps its pre-allocation there).
pub const MAX_CLIENT_PLANS: usize = 1000;

/// One preview plan of `ClientBuildPlans` (`TypeIO.writeClientPlans`): never a breaking plan.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientPlan {
    /// Tile x (read back unsigned).
    pub x: u16,
    /// Tile y.
    pub y: u16,
    /// Block id.
    pub block: u16,
    /// Rotation, present only for blocks with `rotate = true`.
    pub rotation: Option<u8>,
    /// Configuration (Java keeps only null, numbers, content and teams).
    pub config: Object,
}

/// Dynamic status fields, in wire order (damage, health, speed, reload, buildSpeed, drag multipliers,
/// armorOverride); `Some` = the bit is set and the f32 is present.
pub type DynamicStatus = [Option<f32>; 7];

/// A status effect entry (`TypeIO.writeStatus`).
#[derive(Debug, Clone, PartialEq)]
pub struct StatusEntry {
    /// Status effect id.
    pub id: i16,
    /// Remaining time (ticks).
    pub time: f32,
    /// Only for the `dynamic` effect ([`DYNAMIC_STATUS_ID`]); ignored when writing other ids.
    pub dynamic: DynamicStatus,
}

/// A weapon mount's synced state (`TypeIO.writeMounts`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mount {
    /// Bit 0 shoot, bit 1 rotate.
    pub flags: u8,
    /// Aim x.
    pub aim_x: f32,
    /// Aim y.
    pub aim_y: f32,
}

/// Item stack (`TypeIO.writeItems`): i16 item id (-1 none), i32 amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ItemStack {
    /// Item id, -1 for none.
    pub item: i16,
    /// Amount.
    pub amount: i32,
}

/// A command-AI queue entry (controller tag 9).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CommandTarget {
    /// 0: a building position.
    Building(i32),
    /// 1: a unit id.
    Unit(i32),
    /// 2: a point.
    Position(f32, f32),
    /// Any other tag byte (no payload).
    Nothing(u8),
}

/// Command AI state (controller tag 9).
#[derive(Debug, Clone, PartialEq)]
pub struct CommandAi {
    /// Target position.
    pub target_pos: Option<(f32, f32)>,
    /// Attack target: (kind byte, pos or id); kind 1 = building, else unit.
    pub attack: Option<(u8, i32)>,
    /// Command id, -1 = none.
    pub command: i8,
    /// Command queue.
    pub queue: Vec<CommandTarget>,
    /// Enabled stance ids.
    pub stances: Vec<u8>,
}

/// Unit controller (`TypeIO.writeController`); only the tags current writers produce.
#[derive(Debug, Clone, PartialEq)]
pub enum Controller {
    /// 0: a player (entity id).
    Player(i32),
    /// 3: a logic processor (packed pos).
    Logic(i32),
    /// 9: command AI.
    Command(CommandAi),
    /// 5: assembler AI.
    Assembler,
    /// 2: any other AI.
    Ai,
}

/// `Administration.TraceInfo` as `TypeIO.writeTraceInfo` writes it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TraceInfo {
    /// IP.
    pub ip: Option<String>,
    /// UUID.
    pub uuid: Option<String>,
    /// Locale.
    pub locale: Option<String>,
    /// Modded client.
    pub modded: bool,
    /// Mobile client.
    pub mobile: bool,
    /// Join count.
    pub times_joined: i32,
    /// Kick count.
    pub times_kicked: i32,
    /// Known IPs.
    pub ips: Vec<Option<String>>,
    /// Known names.
    pub names: Vec<Option<String>>,
}

impl<'a> Reader<'a> {
    /// TypeIO string (`TypeIO.readString`): u8 present (0 = null) + JUTF.
    pub fn str(&mut self) -> Result<Option<String>, DecodeError> {
        if self.u8()? == 0 { Ok(None) } else { self.jutf().map(Some) }
    }

    /// Discovery string: u8 byte length + UTF-8 (invalid sequences, e.g. a cut multi-byte char, become U+FFFD).
    pub fn discovery_str(&mut self) -> Result<String, DecodeError> {
        let n = usize::from(self.u8()?);
        Ok(String::from_utf8_lossy(self.bytes(n)?).into_owned())
    }

    /// ByteBuffer string (`TypeIO.readString(ByteBuffer)`): i16 length (-1 = null) + UTF-8.
    pub fn buffer_str(&mut self) -> Result<Option<String>, DecodeError> {
        let at = self.position();
        let n = self.i16()?;
        if n == -1 {
            return Ok(None);
        }
        let n = usize::try_from(n).map_err(|_| DecodeError::Invalid { what: "string length", value: n.into() })?;
        String::from_utf8(self.bytes(n)?.to_vec()).map(Some).map_err(|_| DecodeError::BadString { at })
    }

    /// `Unit` reference.
    pub fn unit_ref(&mut self) -> Result<UnitRef, DecodeError> {
        let kind = self.u8()?;
        let v = self.i32()?;
        Ok(match kind {
            0 => UnitRef::Null(v),
            1 => UnitRef::Block(v),
            2 => UnitRef::Unit(v),
            k => UnitRef::Other(k, v),
        })
    }

    /// Generic content (u8 type + i16 id).
    pub fn content_ref(&mut self) -> Result<ContentRef, DecodeError> {
        Ok(ContentRef { content_type: self.u8()?, id: self.i16()? })
    }

    /// `byte[]` remote-call parameter: i16 length + bytes.
    pub fn byte_array(&mut self) -> Result<Vec<u8>, DecodeError> {
        let n = self.i16()?;
        let n = usize::try_from(n).map_err(|_| DecodeError::Invalid { what: "byte[] length", value: n.into() })?;
        Ok(self.bytes(n)?.to_vec())
    }

    /// Like [`Reader::byte_array`] but borrowing.
    pub fn byte_array_ref(&mut self) -> Result<&'a [u8], DecodeError> {
        let n = self.i16()?;
        let n = usize::try_from(n).map_err(|_| DecodeError::Invalid { what: "byte[] length", value: n.into() })?;
        self.bytes(n)
    }

    /// `int[]`: i16 count + i32s (a negative count is an error).
    pub fn int_array(&mut self) -> Result<Vec<i32>, DecodeError> {
        let n = self.i16()?;
        let n = usize::try_from(n).map_err(|_| DecodeError::Invalid { what: "int[] length", value: n.into() })?;
        let n = check_count(self, "int[]", n, MAX_SEQ, 4)?;
        (0..n).map(|_| self.i32()).collect()
    }

    /// `short[]`: i16 count + i16s.
    pub fn short_array(&mut self) -> Result<Vec<i16>, DecodeError> {
        let n = self.i16()?;
        let n = usize::try_from(n).map_err(|_| DecodeError::Invalid { what: "short[] length", value: n.into() })?;
        let n = check_count(self, "short[]", n, MAX_SEQ, 2)?;
        (0..n).map(|_| self.i16()).collect()
    }

    /// `IntSeq`: i32 count + i32s.
    pub fn int_seq(&mut self) -> Result<Vec<i32>, DecodeError> {
        let n = self.i32()?;
        let n = usize::try_from(n).map_err(|_| DecodeError::Invalid { what: "IntSeq length", value: n.into() })?;
        let n = check_count(self, "IntSeq", n, usize::MAX, 4)?;
        (0..n).map(|_| self.i32()).collect()
    }

    /// `String[]` (u8 count + TypeIO strings).
    pub fn str_array(&mut self) -> Result<Vec<Option<String>>, DecodeError> {
        let n = usize::from(self.u8()?);
        let n = check_count(self, "String[]", n, 255, 1)?;
        (0..n).map(|_| self.str()).collect()
    }

    /// `String[][]` (menus): u8 rows, per row u8 cols + strings.
    pub fn str_array2d(&mut self) -> Result<Vec<Vec<Option<String>>>, DecodeError> {
        let n = usize::from(self.u8()?);
        let n = check_count(self, "String[][]", n, 255, 1)?;
        (0..n).map(|_| self.str_array()).collect()
    }

    /// Tagged object (`TypeIO.readObject`), with the safe-mode limits.
    pub fn object(&mut self) -> Result<Object, DecodeError> {
        self.object_depth(0)
    }

    fn object_depth(&mut self, depth: u8) -> Result<Object, DecodeError> {
        let at = self.position();
        let tag = self.u8()?;
        Ok(match tag {
            0 => Object::Null,
            1 => Object::Int(self.i32()?),
            2 => Object::Long(self.i64()?),
            3 => Object::Float(self.f32()?),
            4 => Object::String(self.str()?),
            5 => Object::Content(self.content_ref()?),
            6 => {
                let n = self.i16()?;
                let n =
                    usize::try_from(n).map_err(|_| DecodeError::Invalid { what: "IntSeq length", value: n.into() })?;
                let n = check_count(self, "object IntSeq", n, MAX_OBJECT_ARRAY, 4)?;
                Object::IntSeq((0..n).map(|_| self.i32()).collect::<Result<_, _>>()?)
            }
            7 => Object::Point2 { x: self.i32()?, y: self.i32()? },
            8 => {
                let n = self.i8()?;
                let n = usize::try_from(n)
                    .map_err(|_| DecodeError::Invalid { what: "Point2[] length", value: n.into() })?;
                let n = check_count(self, "Point2[]", n, MAX_OBJECT_ARRAY, 4)?;
                Object::Point2Array((0..n).map(|_| self.i32()).collect::<Result<_, _>>()?)
            }
            9 => Object::TechNode(self.content_ref()?),
            10 => Object::Bool(self.bool()?),
            11 => Object::Double(self.f64()?),
            12 => Object::Building(self.i32()?),
            13 => Object::LAccess(self.i16()?),
            14 => {
                let n = self.i32()?;
                let n =
                    usize::try_from(n).map_err(|_| DecodeError::Invalid { what: "byte[] length", value: n.into() })?;
                let n = check_count(self, "object byte[]", n, MAX_OBJECT_BYTES, 1)?;
                Object::Bytes(self.bytes(n)?.to_vec())
            }
            15 => Object::LegacyUnitCommand(self.u8()?),
            16 => {
                let n = self.i32()?;
                let n = usize::try_from(n)
                    .map_err(|_| DecodeError::Invalid { what: "boolean[] length", value: n.into() })?;
                let n = check_count(self, "boolean[]", n, MAX_OBJECT_ARRAY, 1)?;
                Object::BoolArray((0..n).map(|_| self.bool()).collect::<Result<_, _>>()?)
            }
            17 => Object::Unit(self.i32()?),
            18 => {
                let n = self.i16()?;
                let n =
                    usize::try_from(n).map_err(|_| DecodeError::Invalid { what: "Vec2[] length", value: n.into() })?;
                let n = check_count(self, "Vec2[]", n, MAX_OBJECT_ARRAY, 8)?;
                Object::Vec2Array((0..n).map(|_| Ok((self.f32()?, self.f32()?))).collect::<Result<_, DecodeError>>()?)
            }
            19 => Object::Vec2(self.f32()?, self.f32()?),
            20 => Object::Team(self.u8()?),
            21 => {
                let n = self.i16()?;
                let n =
                    usize::try_from(n).map_err(|_| DecodeError::Invalid { what: "int[] length", value: n.into() })?;
                let n = check_count(self, "object int[]", n, MAX_OBJECT_ARRAY, 4)?;
                Object::IntArray((0..n).map(|_| self.i32()).collect::<Result<_, _>>()?)
            }
            22 => {
                if depth > 0 {
                    return Err(DecodeError::Other("nested object array"));
                }
                let n = self.i32()?;
                let n = usize::try_from(n)
                    .map_err(|_| DecodeError::Invalid { what: "Object[] length", value: n.into() })?;
                let n = check_count(self, "Object[]", n, MAX_OBJECT_ARRAY, 1)?;
                Object::ObjectArray((0..n).map(|_| self.object_depth(depth + 1)).collect::<Result<_, _>>()?)
            }
            23 => Object::UnitCommand(self.u16()?),
            t => {
                let _ = at;
                return Err(DecodeError::Invalid { what: "object tag", value: t.into() });
            }
        })
    }

    /// Build plan (`TypeIO.readPlan`; always consumes the place fields, unlike Java for out-of-map plans).
    pub fn plan(&mut self) -> Result<BuildPlan, DecodeError> {
        let breaking = self.u8()?;
        let pos = self.i32()?;
        if breaking == 1 {
            return Ok(BuildPlan::Break { pos });
        }
        if breaking != 0 {
            return Err(DecodeError::Invalid { what: "plan kind", value: breaking.into() });
        }
        Ok(BuildPlan::Place {
            pos,
            block: self.i16()?,
            rotation: self.u8()?,
            has_config: self.u8()?,
            config: self.object()?,
        })
    }

    /// Network plan queue (`readPlansQueueNet`): i32 count (-1 = null), at most [`MAX_NET_PLANS`] when
    /// `capped` (159 server rule), else bounded only by the bytes present.
    pub fn plans_queue(&mut self, capped: bool) -> Result<Option<Vec<BuildPlan>>, DecodeError> {
        let n = self.i32()?;
        if n == -1 {
            return Ok(None);
        }
        let n = usize::try_from(n).map_err(|_| DecodeError::Invalid { what: "plan count", value: n.into() })?;
        let limit = if capped { MAX_NET_PLANS } else { MAX_SEQ };
        let n = check_count(self, "plan queue", n, limit, 5)?;
        (0..n).map(|_| self.plan()).collect::<Result<Vec<_>, _>>().map(Some)
    }

    /// Status entry (`TypeIO.readStatus`).
    pub fn status(&mut self) -> Result<StatusEntry, DecodeError> {
        let id = self.i16()?;
        let time = self.f32()?;
        let mut dynamic = [None; 7];
        if id == DYNAMIC_STATUS_ID {
            let flags = self.u8()?;
            for (bit, slot) in dynamic.iter_mut().enumerate() {
                if flags & (1 << bit) != 0 {
                    *slot = Some(self.f32()?);
                }
            }
        }
        Ok(StatusEntry { id, time, dynamic })
    }

    /// `seq<writeStatus>`: i32 count + entries.
    pub fn statuses(&mut self) -> Result<Vec<StatusEntry>, DecodeError> {
        let n = self.i32()?;
        let n = usize::try_from(n).map_err(|_| DecodeError::Invalid { what: "status count", value: n.into() })?;
        let n = check_count(self, "statuses", n, MAX_SEQ, 6)?;
        (0..n).map(|_| self.status()).collect()
    }

    /// Weapon mounts (u8 count + (u8 flags, f32, f32)); a negative count byte is read as zero, as Java's loop.
    pub fn mounts(&mut self) -> Result<Vec<Mount>, DecodeError> {
        let n = self.i8()?;
        if n < 0 {
            return Err(DecodeError::Invalid { what: "mount count", value: n.into() });
        }
        let n = check_count(self, "mounts", n as usize, 127, 9)?;
        (0..n).map(|_| Ok(Mount { flags: self.u8()?, aim_x: self.f32()?, aim_y: self.f32()? })).collect()
    }

    /// Abilities (u8 count + f32s).
    pub fn abilities(&mut self) -> Result<Vec<f32>, DecodeError> {
        let n = self.i8()?;
        if n < 0 {
            return Err(DecodeError::Invalid { what: "ability count", value: n.into() });
        }
        let n = check_count(self, "abilities", n as usize, 127, 4)?;
        (0..n).map(|_| self.f32()).collect()
    }

    /// Item stack.
    pub fn item_stack(&mut self) -> Result<ItemStack, DecodeError> {
        Ok(ItemStack { item: self.i16()?, amount: self.i32()? })
    }

    /// Unit controller (`TypeIO.readController`, current tags only: 0, 2, 3, 5, 9).
    pub fn controller(&mut self) -> Result<Controller, DecodeError> {
        let tag = self.u8()?;
        Ok(match tag {
            0 => Controller::Player(self.i32()?),
            3 => Controller::Logic(self.i32()?),
            5 => Controller::Assembler,
            2 => Controller::Ai,
            9 => {
                let has_attack = self.bool()?;
                let has_pos = self.bool()?;
                let target_pos = if has_pos { Some((self.f32()?, self.f32()?)) } else { None };
                let attack = if has_attack { Some((self.u8()?, self.i32()?)) } else { None };
                let command = self.i8()?;
                let n = usize::from(self.u8()?);
                let n = check_count(self, "command queue", n, 255, 1)?;
                let queue = (0..n)
                    .map(|_| {
                        Ok(match self.u8()? {
                            0 => CommandTarget::Building(self.i32()?),
                            1 => CommandTarget::Unit(self.i32()?),
                            2 => CommandTarget::Position(self.f32()?, self.f32()?),
                            t => CommandTarget::Nothing(t),
                        })
                    })
                    .collect::<Result<_, DecodeError>>()?;
                let n = usize::from(self.u8()?);
                let stances = self.bytes(n)?.to_vec();
                Controller::Command(CommandAi { target_pos, attack, command, queue, stances })
            }
            t => return Err(DecodeError::Invalid { what: "controller tag", value: t.into() }),
        })
    }

    /// `ClientBuildPlans` (`TypeIO.readClientPlans`): i16 count (0 = null, read as empty), per plan packed
    /// pos as u16 x/y, u16 block, a rotation byte only if `rotates(block)`, a tagged object. The rotate flag is
    /// per block (`blocks.tsv`), which this crate does not know: the caller supplies it.
    pub fn client_plans(&mut self, rotates: impl Fn(u16) -> bool) -> Result<Vec<ClientPlan>, DecodeError> {
        let n = self.i16()?;
        let n = usize::try_from(n).map_err(|_| DecodeError::Invalid { what: "client plan count", value: n.into() })?;
        let n = check_count(self, "client plans", n, MAX_CLIENT_PLANS, 7)?;
        (0..n)
            .map(|_| {
                let x = self.u16()?;
                let y = self.u16()?;
                let block = self.u16()?;
                let rotation = if rotates(block) { Some(self.u8()?) } else { None };
                Ok(ClientPlan { x, y, block, rotation, config: self.object()? })
            })
            .collect()
    }

    /// Trace info (`TypeIO.readTraceInfo`).
    pub fn trace_info(&mut self) -> Result<TraceInfo, DecodeError> {
        Ok(TraceInfo {
            ip: self.str()?,
            uuid: self.str()?,
            locale: self.str()?,
            modded: self.bool()?,
            mobile: self.bool()?,
            times_joined: self.i32()?,
            times_kicked: self.i32()?,
            ips: self.str_array()?,
            names: self.str_array()?,
        })
    }
}

impl Writer {
    /// TypeIO string: u8 present + JUTF.
    pub fn str(&mut self, s: Option<&str>) -> Result<&mut Self, EncodeError> {
        match s {
            None => {
                self.u8(0);
            }
            Some(s) => {
                self.u8(1);
                self.jutf(s)?;
            }
        }
        Ok(self)
    }

    /// Discovery string: truncated to `max` UTF-8 bytes (possibly mid-character, as Java does), u8 length.
    pub fn discovery_str(&mut self, s: &str, max: usize) -> &mut Self {
        let b = s.as_bytes();
        let n = b.len().min(max).min(255);
        self.u8(n as u8);
        self.bytes(&b[..n])
    }

    /// ByteBuffer string: i16 length (-1 = null) + UTF-8.
    pub fn buffer_str(&mut self, s: Option<&str>) -> Result<&mut Self, EncodeError> {
        match s {
            None => {
                self.i16(-1);
            }
            Some(s) => {
                self.i16(len_i16("string", s.len())?);
                self.bytes(s.as_bytes());
            }
        }
        Ok(self)
    }

    /// `Unit` reference.
    pub fn unit_ref(&mut self, u: UnitRef) -> &mut Self {
        let (k, v) = match u {
            UnitRef::Null(v) => (0, v),
            UnitRef::Block(v) => (1, v),
            UnitRef::Unit(v) => (2, v),
            UnitRef::Other(k, v) => (k, v),
        };
        self.u8(k).i32(v)
    }

    /// Generic content.
    pub fn content_ref(&mut self, c: ContentRef) -> &mut Self {
        self.u8(c.content_type).i16(c.id)
    }

    /// `byte[]`: i16 length + bytes.
    pub fn byte_array(&mut self, b: &[u8]) -> Result<&mut Self, EncodeError> {
        self.i16(len_i16("byte[]", b.len())?);
        Ok(self.bytes(b))
    }

    /// `int[]`: i16 count + i32s.
    pub fn int_array(&mut self, v: &[i32]) -> Result<&mut Self, EncodeError> {
        self.i16(len_i16("int[]", v.len())?);
        for &x in v {
            self.i32(x);
        }
        Ok(self)
    }

    /// `short[]`: i16 count + i16s.
    pub fn short_array(&mut self, v: &[i16]) -> Result<&mut Self, EncodeError> {
        self.i16(len_i16("short[]", v.len())?);
        for &x in v {
            self.i16(x);
        }
        Ok(self)
    }

    /// `IntSeq`: i32 count + i32s.
    pub fn int_seq(&mut self, v: &[i32]) -> Result<&mut Self, EncodeError> {
        self.i32(len_i32("IntSeq", v.len())?);
        for &x in v {
            self.i32(x);
        }
        Ok(self)
    }

    /// `String[]`.
    pub fn str_array(&mut self, v: &[Option<String>]) -> Result<&mut Self, EncodeError> {
        self.u8(len_u8("String[]", v.len())?);
        for s in v {
            self.str(s.as_deref())?;
        }
        Ok(self)
    }

    /// `String[][]`.
    pub fn str_array2d(&mut self, v: &[Vec<Option<String>>]) -> Result<&mut Self, EncodeError> {
        self.u8(len_u8("String[][]", v.len())?);
        for row in v {
            self.str_array(row)?;
        }
        Ok(self)
    }

    /// Tagged object.
    pub fn object(&mut self, o: &Object) -> Result<&mut Self, EncodeError> {
        match o {
            Object::Null => {
                self.u8(0);
            }
            Object::Int(v) => {
                self.u8(1).i32(*v);
            }
            Object::Long(v) => {
                self.u8(2).i64(*v);
            }
            Object::Float(v) => {
                self.u8(3).f32(*v);
            }
            Object::String(s) => {
                self.u8(4).str(s.as_deref())?;
            }
            Object::Content(c) => {
                self.u8(5).content_ref(*c);
            }
            Object::IntSeq(v) => {
                self.u8(6).i16(len_i16("IntSeq", v.len())?);
                for &x in v {
                    self.i32(x);
                }
            }
            Object::Point2 { x, y } => {
                self.u8(7).i32(*x).i32(*y);
            }
            Object::Point2Array(v) => {
                let n = i8::try_from(v.len()).map_err(|_| EncodeError::TooLong {
                    what: "Point2[]",
                    len: v.len(),
                    limit: 127,
                })?;
                self.u8(8).i8(n);
                for &x in v {
                    self.i32(x);
                }
            }
            Object::TechNode(c) => {
                self.u8(9).content_ref(*c);
            }
            Object::Bool(b) => {
                self.u8(10).bool(*b);
            }
            Object::Double(v) => {
                self.u8(11).f64(*v);
            }
            Object::Building(p) => {
                self.u8(12).i32(*p);
            }
            Object::LAccess(v) => {
                self.u8(13).i16(*v);
            }
            Object::Bytes(b) => {
                self.u8(14).i32(len_i32("byte[]", b.len())?).bytes(b);
            }
            Object::LegacyUnitCommand(v) => {
                self.u8(15).u8(*v);
            }
            Object::BoolArray(v) => {
                self.u8(16).i32(len_i32("boolean[]", v.len())?);
                for &b in v {
                    self.bool(b);
                }
            }
            Object::Unit(id) => {
                self.u8(17).i32(*id);
            }
            Object::Vec2Array(v) => {
                self.u8(18).i16(len_i16("Vec2[]", v.len())?);
                for &(x, y) in v {
                    self.f32(x).f32(y);
                }
            }
            Object::Vec2(x, y) => {
                self.u8(19).f32(*x).f32(*y);
            }
            Object::Team(t) => {
                self.u8(20).u8(*t);
            }
            Object::IntArray(v) => {
                self.u8(21).int_array(v)?;
            }
            Object::ObjectArray(v) => {
                self.u8(22).i32(len_i32("Object[]", v.len())?);
                for o in v {
                    self.object(o)?;
                }
            }
            Object::UnitCommand(c) => {
                self.u8(23).u16(*c);
            }
        }
        Ok(self)
    }

    /// Build plan.
    pub fn plan(&mut self, p: &BuildPlan) -> Result<&mut Self, EncodeError> {
        match p {
            BuildPlan::Break { pos } => {
                self.u8(1).i32(*pos);
            }
            BuildPlan::Place { pos, block, rotation, has_config, config } => {
                self.u8(0).i32(*pos).i16(*block).u8(*rotation).u8(*has_config).object(config)?;
            }
        }
        Ok(self)
    }

    /// Plan queue: i32 count (-1 = null) + plans. Writes them all: callers cap at [`MAX_NET_PLANS`] for the
    /// network form.
    pub fn plans_queue(&mut self, plans: Option<&[BuildPlan]>) -> Result<&mut Self, EncodeError> {
        match plans {
            None => {
                self.i32(-1);
            }
            Some(v) => {
                self.i32(len_i32("plans", v.len())?);
                for p in v {
                    self.plan(p)?;
                }
            }
        }
        Ok(self)
    }

    /// Status entry.
    pub fn status(&mut self, s: &StatusEntry) -> &mut Self {
        self.i16(s.id).f32(s.time);
        if s.id == DYNAMIC_STATUS_ID {
            let flags = s.dynamic.iter().enumerate().fold(0u8, |f, (bit, v)| f | (u8::from(v.is_some()) << bit));
            self.u8(flags);
            for v in s.dynamic.iter().flatten() {
                self.f32(*v);
            }
        }
        self
    }

    /// `seq<writeStatus>`.
    pub fn statuses(&mut self, v: &[StatusEntry]) -> Result<&mut Self, EncodeError> {
        self.i32(len_i32("statuses", v.len())?);
        for s in v {
            self.status(s);
        }
        Ok(self)
    }

    /// Weapon mounts.
    pub fn mounts(&mut self, v: &[Mount]) -> Result<&mut Self, EncodeError> {
        let n = i8::try_from(v.len()).map_err(|_| EncodeError::TooLong { what: "mounts", len: v.len(), limit: 127 })?;
        self.i8(n);
        for m in v {
            self.u8(m.flags).f32(m.aim_x).f32(m.aim_y);
        }
        Ok(self)
    }

    /// Abilities.
    pub fn abilities(&mut self, v: &[f32]) -> Result<&mut Self, EncodeError> {
        let n =
            i8::try_from(v.len()).map_err(|_| EncodeError::TooLong { what: "abilities", len: v.len(), limit: 127 })?;
        self.i8(n);
        for &x in v {
            self.f32(x);
        }
        Ok(self)
    }

    /// Item stack.
    pub fn item_stack(&mut self, s: ItemStack) -> &mut Self {
        self.i16(s.item).i32(s.amount)
    }

    /// Unit controller.
    pub fn controller(&mut self, c: &Controller) -> Result<&mut Self, EncodeError> {
        match c {
            Controller::Player(id) => {
                self.u8(0).i32(*id);
            }
            Controller::Logic(pos) => {
                self.u8(3).i32(*pos);
            }
            Controller::Assembler => {
                self.u8(5);
            }
            Controller::Ai => {
                self.u8(2);
            }
            Controller::Command(ai) => {
                self.u8(9).bool(ai.attack.is_some()).bool(ai.target_pos.is_some());
                if let Some((x, y)) = ai.target_pos {
                    self.f32(x).f32(y);
                }
                if let Some((k, v)) = ai.attack {
                    self.u8(k).i32(v);
                }
                self.i8(ai.command).u8(len_u8("command queue", ai.queue.len())?);
                for t in &ai.queue {
                    match *t {
                        CommandTarget::Building(p) => self.u8(0).i32(p),
                        CommandTarget::Unit(p) => self.u8(1).i32(p),
                        CommandTarget::Position(x, y) => self.u8(2).f32(x).f32(y),
                        CommandTarget::Nothing(t) => self.u8(t),
                    };
                }
                self.u8(len_u8("stances", ai.stances.len())?).bytes(&ai.stances);
            }
        }
        Ok(self)
    }

    /// `ClientBuildPlans` (an empty list is written as count 0, as Java writes null).
    pub fn client_plans(&mut self, plans: &[ClientPlan]) -> Result<&mut Self, EncodeError> {
        if plans.len() > MAX_CLIENT_PLANS {
            return Err(EncodeError::TooLong { what: "client plans", len: plans.len(), limit: MAX_CLIENT_PLANS });
        }
        self.i16(plans.len() as i16);
        for p in plans {
            self.u16(p.x).u16(p.y).u16(p.block);
            if let Some(r) = p.rotation {
                self.u8(r);
            }
            self.object(&p.config)?;
        }
        Ok(self)
    }

    /// Trace info.
    pub fn trace_info(&mut self, t: &TraceInfo) -> Result<&mut Self, EncodeError> {
        self.str(t.ip.as_deref())?.str(t.uuid.as_deref())?.str(t.locale.as_deref())?;
        self.bool(t.modded).bool(t.mobile).i32(t.times_joined).i32(t.times_kicked);
        self.str_array(&t.ips)?.str_array(&t.names)
    }
}

#[cfg(test)]
#[path = "typeio_tests.rs"]
mod tests;
