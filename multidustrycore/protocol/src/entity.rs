//! Entity sync records: what `entitySnapshot` (and `unitSpawn`) carry, one record per entity:
//! `i32 id, u8 class id, writeSync fields` (generated `writeSync`/`readSync` of `mindustry.gen.*`).
//!
//! Owns: [`EntityRecord`] and its per-class field layouts for builds 154 and 159 (from
//! `shared/data/protocol/entity-sync-b*.tsv`): Player (12), every unit class (plain `UnitEntity` layout, mech
//! with `baseRotation`, payload units, tethered payload unit, timed-kill unit), Fire (10), Puddle (13),
//! WeatherState (14) and WorldLabel (35). [`decode_records`] / [`encode_records`] handle a snapshot's data.
//!
//! Partial by design: payload units (classes 5, 23, 26, 36) decode only with an **empty** payload list; a
//! carried payload is a unit *save* record or a building record, which this crate does not model, so such a
//! record is an error (and [`decode_records_lossy`] keeps it and the rest of the packet as bytes).
//!
//! Invariant: decode-then-encode with the same [`Build`] returns the same bytes.

use crate::build::Build;
use crate::io::{DecodeError, Reader, Writer};
use crate::typeio::{BuildPlan, Controller, EncodeError, ItemStack, Mount, StatusEntry, UnitRef};

/// Class id of `Player`.
pub const PLAYER_CLASS: u8 = 12;
/// Class id of `Fire`.
pub const FIRE_CLASS: u8 = 10;
/// Class id of `Puddle`.
pub const PUDDLE_CLASS: u8 = 13;
/// Class id of `WeatherState`.
pub const WEATHER_CLASS: u8 = 14;
/// Class id of `WorldLabel`.
pub const WORLD_LABEL_CLASS: u8 = 35;
/// Class id of alpha's unit class (`UnitEntityLegacyAlpha`).
pub const ALPHA_CLASS: u8 = 0;

/// Which extra fields a unit class syncs beyond the plain `UnitEntity` layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct UnitLayout {
    /// Mech units: `baseRotation`.
    pub mech: bool,
    /// Payload units: `payloads`.
    pub payload: bool,
    /// Building-tethered payload unit (36): `building`.
    pub tether: bool,
    /// Timed-kill unit (39): `lifetime`, `time`.
    pub timed: bool,
}

/// The unit layout of a class id, `None` if the class is not a unit.
#[must_use]
pub fn unit_layout(class_id: u8) -> Option<UnitLayout> {
    let plain = UnitLayout::default();
    Some(match class_id {
        0 | 2 | 3 | 16 | 18 | 20 | 21 | 24 | 29 | 30 | 31 | 33 | 43 | 45 | 46 => plain,
        4 | 17 | 19 | 32 => UnitLayout { mech: true, ..plain },
        5 | 23 | 26 => UnitLayout { payload: true, ..plain },
        36 => UnitLayout { payload: true, tether: true, ..plain },
        39 => UnitLayout { timed: true, ..plain },
        _ => return None,
    })
}

/// `Player` sync fields (class 12). The player's save record (`Player.write`, the world stream's player
/// entity) is the same fields plus a revision and `lastCommand`: [`PlayerSync::decode_save`].
#[derive(Debug, Clone, PartialEq)]
pub struct PlayerSync {
    /// Admin flag.
    pub admin: bool,
    /// Boosting.
    pub boosting: bool,
    /// RGBA8888 color.
    pub color: i32,
    /// Mouse x (world units).
    pub mouse_x: f32,
    /// Mouse y.
    pub mouse_y: f32,
    /// Name (TypeIO string).
    pub name: Option<String>,
    /// Selected block id, -1 none (159 only; 0-initialised and not written for 154).
    pub selected_block: i16,
    /// Selected rotation (159 only).
    pub selected_rotation: i32,
    /// Shooting.
    pub shooting: bool,
    /// Team id.
    pub team: u8,
    /// Typing.
    pub typing: bool,
    /// Controlled unit.
    pub unit: UnitRef,
    /// x.
    pub x: f32,
    /// y.
    pub y: f32,
}

impl PlayerSync {
    /// Reads the `writeSync` fields (after the record's id and class id).
    ///
    /// # Errors
    /// Truncated input.
    pub fn decode(r: &mut Reader<'_>, build: Build) -> Result<Self, DecodeError> {
        Self::decode_fields(r, build, None)
    }

    /// Writes the `writeSync` fields.
    ///
    /// # Errors
    /// A name too long for its prefix.
    pub fn encode(&self, w: &mut Writer, build: Build) -> Result<(), EncodeError> {
        self.encode_fields(w, build, None)
    }

    /// Reads the player's *save* record (`Player.write`, the world stream's player entity):
    /// `i16 revision` (2 in 159, 1 in 154), then the sync fields with `u8 lastCommand` after `color`. Returns
    /// the fields and `lastCommand` (255 = none).
    ///
    /// # Errors
    /// Truncated input or a revision other than the build's.
    pub fn decode_save(r: &mut Reader<'_>, build: Build) -> Result<(Self, u8), DecodeError> {
        let revision = r.i16()?;
        if revision != Self::save_revision(build) {
            return Err(DecodeError::Invalid { what: "player revision", value: revision.into() });
        }
        let mut last_command = 255;
        let p = Self::decode_fields(r, build, Some(&mut last_command))?;
        Ok((p, last_command))
    }

    /// Writes the save record (see [`PlayerSync::decode_save`]).
    ///
    /// # Errors
    /// A name too long for its prefix.
    pub fn encode_save(&self, w: &mut Writer, build: Build, last_command: u8) -> Result<(), EncodeError> {
        w.i16(Self::save_revision(build));
        self.encode_fields(w, build, Some(last_command))
    }

    /// `Player` save revision of `build`.
    #[must_use]
    pub fn save_revision(build: Build) -> i16 {
        if build == Build::V159 { 2 } else { 1 }
    }

    fn decode_fields(r: &mut Reader<'_>, build: Build, last_command: Option<&mut u8>) -> Result<Self, DecodeError> {
        let admin = r.bool()?;
        let boosting = r.bool()?;
        let color = r.i32()?;
        if let Some(lc) = last_command {
            *lc = r.u8()?;
        }
        Ok(Self {
            admin,
            boosting,
            color,
            mouse_x: r.f32()?,
            mouse_y: r.f32()?,
            name: r.str()?,
            selected_block: if build == Build::V159 { r.i16()? } else { 0 },
            selected_rotation: if build == Build::V159 { r.i32()? } else { 0 },
            shooting: r.bool()?,
            team: r.u8()?,
            typing: r.bool()?,
            unit: r.unit_ref()?,
            x: r.f32()?,
            y: r.f32()?,
        })
    }

    fn encode_fields(&self, w: &mut Writer, build: Build, last_command: Option<u8>) -> Result<(), EncodeError> {
        w.bool(self.admin).bool(self.boosting).i32(self.color);
        if let Some(lc) = last_command {
            w.u8(lc);
        }
        w.f32(self.mouse_x).f32(self.mouse_y).str(self.name.as_deref())?;
        if build == Build::V159 {
            w.i16(self.selected_block).i32(self.selected_rotation);
        }
        w.bool(self.shooting).u8(self.team).bool(self.typing).unit_ref(self.unit).f32(self.x).f32(self.y);
        Ok(())
    }
}

/// Unit sync fields (every unit class; the class's [`UnitLayout`] decides which optional fields exist).
#[derive(Debug, Clone, PartialEq)]
pub struct UnitSync {
    /// Entity class id (0 alpha, 30 beta, 31 gamma, 3 flare/`UnitEntity`, 4 mech, ...).
    pub class_id: u8,
    /// One f32 per ability.
    pub abilities: Vec<f32>,
    /// `ammo` (154 only).
    pub ammo: f32,
    /// `aimX` (159 only).
    pub aim_x: f32,
    /// `aimY` (159 only).
    pub aim_y: f32,
    /// `baseRotation` (mech classes only).
    pub base_rotation: f32,
    /// `building` (class 36 only): packed pos.
    pub building: i32,
    /// Controller.
    pub controller: Controller,
    /// Elevation.
    pub elevation: f32,
    /// Logic flag.
    pub flag: f64,
    /// Health.
    pub health: f32,
    /// Shooting.
    pub is_shooting: bool,
    /// `lifetime` (class 39 only).
    pub lifetime: f32,
    /// Mined tile, -1 none.
    pub mine_tile: i32,
    /// Weapon mounts.
    pub mounts: Vec<Mount>,
    /// Plans (`None` = null).
    pub plans: Option<Vec<BuildPlan>>,
    /// Rotation in degrees.
    pub rotation: f32,
    /// Shield.
    pub shield: f32,
    /// Spawned by a core.
    pub spawned_by_core: bool,
    /// Carried items.
    pub stack: ItemStack,
    /// Status effects.
    pub statuses: Vec<StatusEntry>,
    /// Team.
    pub team: u8,
    /// `time` (class 39 only).
    pub time: f32,
    /// Unit type id (alpha 35, beta 36, gamma 37 in 159).
    pub type_id: i16,
    /// Update building.
    pub update_building: bool,
    /// Velocity.
    pub vel: (f32, f32),
    /// x.
    pub x: f32,
    /// y.
    pub y: f32,
}

/// `Fire` sync (class 10).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FireSync {
    /// Lifetime.
    pub lifetime: f32,
    /// Tile pos.
    pub tile: i32,
    /// Time.
    pub time: f32,
    /// x.
    pub x: f32,
    /// y.
    pub y: f32,
}

/// `Puddle` sync (class 13).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PuddleSync {
    /// Amount.
    pub amount: f32,
    /// Liquid id.
    pub liquid: i16,
    /// Tile pos.
    pub tile: i32,
    /// x.
    pub x: f32,
    /// y.
    pub y: f32,
}

/// `WeatherState` sync (class 14).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WeatherSync {
    /// Effect timer.
    pub effect_timer: f32,
    /// Intensity.
    pub intensity: f32,
    /// Life.
    pub life: f32,
    /// Opacity.
    pub opacity: f32,
    /// Weather id.
    pub weather: i16,
    /// Wind vector.
    pub wind: (f32, f32),
    /// x.
    pub x: f32,
    /// y.
    pub y: f32,
}

/// `WorldLabel` sync (class 35).
#[derive(Debug, Clone, PartialEq)]
pub struct WorldLabelSync {
    /// Flags.
    pub flags: i8,
    /// Font size.
    pub font_size: f32,
    /// Parent entity id (159 only).
    pub parent: i32,
    /// Text.
    pub text: Option<String>,
    /// x.
    pub x: f32,
    /// y.
    pub y: f32,
    /// z.
    pub z: f32,
}

/// The class-specific part of a record.
#[derive(Debug, Clone, PartialEq)]
pub enum EntityData {
    /// Class 12.
    Player(PlayerSync),
    /// Any unit class.
    Unit(UnitSync),
    /// Class 10.
    Fire(FireSync),
    /// Class 13.
    Puddle(PuddleSync),
    /// Class 14.
    Weather(WeatherSync),
    /// Class 35.
    WorldLabel(WorldLabelSync),
}

/// One entity record of an entity snapshot (`i32 id, u8 class id, writeSync`).
#[derive(Debug, Clone, PartialEq)]
pub struct EntityRecord {
    /// Entity id.
    pub id: i32,
    /// Synced fields.
    pub data: EntityData,
}

impl EntityRecord {
    /// The record's class id.
    #[must_use]
    pub fn class_id(&self) -> u8 {
        match &self.data {
            EntityData::Player(_) => PLAYER_CLASS,
            EntityData::Unit(u) => u.class_id,
            EntityData::Fire(_) => FIRE_CLASS,
            EntityData::Puddle(_) => PUDDLE_CLASS,
            EntityData::Weather(_) => WEATHER_CLASS,
            EntityData::WorldLabel(_) => WORLD_LABEL_CLASS,
        }
    }

    /// Reads one record.
    ///
    /// # Errors
    /// Truncated input, an unregistered/unsupported class id, or a payload unit carrying payloads.
    pub fn decode(r: &mut Reader<'_>, build: Build) -> Result<Self, DecodeError> {
        let id = r.i32()?;
        let class = r.u8()?;
        let data = match class {
            PLAYER_CLASS => EntityData::Player(PlayerSync::decode(r, build)?),
            FIRE_CLASS => EntityData::Fire(FireSync {
                lifetime: r.f32()?,
                tile: r.i32()?,
                time: r.f32()?,
                x: r.f32()?,
                y: r.f32()?,
            }),
            PUDDLE_CLASS => EntityData::Puddle(PuddleSync {
                amount: r.f32()?,
                liquid: r.i16()?,
                tile: r.i32()?,
                x: r.f32()?,
                y: r.f32()?,
            }),
            WEATHER_CLASS => EntityData::Weather(WeatherSync {
                effect_timer: r.f32()?,
                intensity: r.f32()?,
                life: r.f32()?,
                opacity: r.f32()?,
                weather: r.i16()?,
                wind: (r.f32()?, r.f32()?),
                x: r.f32()?,
                y: r.f32()?,
            }),
            WORLD_LABEL_CLASS => EntityData::WorldLabel(WorldLabelSync {
                flags: r.i8()?,
                font_size: r.f32()?,
                parent: if build == Build::V159 { r.i32()? } else { 0 },
                text: r.str()?,
                x: r.f32()?,
                y: r.f32()?,
                z: r.f32()?,
            }),
            c => match unit_layout(c) {
                Some(layout) => EntityData::Unit(decode_unit(r, build, c, layout)?),
                None => return Err(DecodeError::Invalid { what: "entity class id", value: c.into() }),
            },
        };
        Ok(EntityRecord { id, data })
    }

    /// Writes one record.
    ///
    /// # Errors
    /// Strings or collections too long for their prefixes, or a unit class id that has no unit layout.
    pub fn encode(&self, w: &mut Writer, build: Build) -> Result<(), EncodeError> {
        w.i32(self.id).u8(self.class_id());
        match &self.data {
            EntityData::Player(p) => p.encode(w, build)?,
            EntityData::Fire(f) => {
                w.f32(f.lifetime).i32(f.tile).f32(f.time).f32(f.x).f32(f.y);
            }
            EntityData::Puddle(p) => {
                w.f32(p.amount).i16(p.liquid).i32(p.tile).f32(p.x).f32(p.y);
            }
            EntityData::Weather(s) => {
                w.f32(s.effect_timer).f32(s.intensity).f32(s.life).f32(s.opacity).i16(s.weather);
                w.f32(s.wind.0).f32(s.wind.1).f32(s.x).f32(s.y);
            }
            EntityData::WorldLabel(l) => {
                w.i8(l.flags).f32(l.font_size);
                if build == Build::V159 {
                    w.i32(l.parent);
                }
                w.str(l.text.as_deref())?.f32(l.x).f32(l.y).f32(l.z);
            }
            EntityData::Unit(u) => encode_unit(w, build, u)?,
        }
        Ok(())
    }
}

fn decode_unit(r: &mut Reader<'_>, build: Build, class_id: u8, layout: UnitLayout) -> Result<UnitSync, DecodeError> {
    let abilities = r.abilities()?;
    let (mut ammo, mut aim_x, mut aim_y) = (0.0, 0.0, 0.0);
    if build == Build::V159 {
        aim_x = r.f32()?;
        aim_y = r.f32()?;
    } else {
        ammo = r.f32()?;
    }
    let base_rotation = if layout.mech { r.f32()? } else { 0.0 };
    let building = if layout.tether { r.i32()? } else { 0 };
    let controller = r.controller()?;
    let elevation = r.f32()?;
    let flag = r.f64()?;
    let health = r.f32()?;
    let is_shooting = r.bool()?;
    let lifetime = if layout.timed { r.f32()? } else { 0.0 };
    let mine_tile = r.i32()?;
    let mounts = r.mounts()?;
    if layout.payload {
        let n = r.i32()?;
        if n != 0 {
            return Err(DecodeError::Other("unit payloads are not decoded (only an empty payload list is)"));
        }
    }
    let plans = r.plans_queue(build == Build::V159)?;
    let rotation = r.f32()?;
    let shield = r.f32()?;
    let spawned_by_core = r.bool()?;
    let stack = r.item_stack()?;
    let statuses = r.statuses()?;
    let team = r.u8()?;
    let time = if layout.timed { r.f32()? } else { 0.0 };
    Ok(UnitSync {
        class_id,
        abilities,
        ammo,
        aim_x,
        aim_y,
        base_rotation,
        building,
        controller,
        elevation,
        flag,
        health,
        is_shooting,
        lifetime,
        mine_tile,
        mounts,
        plans,
        rotation,
        shield,
        spawned_by_core,
        stack,
        statuses,
        team,
        time,
        type_id: r.i16()?,
        update_building: r.bool()?,
        vel: (r.f32()?, r.f32()?),
        x: r.f32()?,
        y: r.f32()?,
    })
}

fn encode_unit(w: &mut Writer, build: Build, u: &UnitSync) -> Result<(), EncodeError> {
    let layout = unit_layout(u.class_id).ok_or(EncodeError::Unsupported("unit record with a non-unit class id"))?;
    w.abilities(&u.abilities)?;
    if build == Build::V159 {
        w.f32(u.aim_x).f32(u.aim_y);
    } else {
        w.f32(u.ammo);
    }
    if layout.mech {
        w.f32(u.base_rotation);
    }
    if layout.tether {
        w.i32(u.building);
    }
    w.controller(&u.controller)?.f32(u.elevation).f64(u.flag).f32(u.health).bool(u.is_shooting);
    if layout.timed {
        w.f32(u.lifetime);
    }
    w.i32(u.mine_tile).mounts(&u.mounts)?;
    if layout.payload {
        w.i32(0);
    }
    w.plans_queue(u.plans.as_deref())?.f32(u.rotation).f32(u.shield).bool(u.spawned_by_core).item_stack(u.stack);
    w.statuses(&u.statuses)?.u8(u.team);
    if layout.timed {
        w.f32(u.time);
    }
    w.i16(u.type_id).bool(u.update_building).f32(u.vel.0).f32(u.vel.1).f32(u.x).f32(u.y);
    Ok(())
}

/// Decodes the `data` of an entity snapshot holding `amount` records; every byte must be consumed.
///
/// # Errors
/// Any record error, a negative amount, or trailing bytes.
pub fn decode_records(data: &[u8], amount: i16, build: Build) -> Result<Vec<EntityRecord>, DecodeError> {
    let n =
        usize::try_from(amount).map_err(|_| DecodeError::Invalid { what: "entity amount", value: amount.into() })?;
    let mut r = Reader::new(data);
    // A record is at least 5 bytes: never pre-allocate more than the data can hold.
    let mut out = Vec::with_capacity(n.min(data.len() / 5));
    for _ in 0..n {
        out.push(EntityRecord::decode(&mut r, build)?);
    }
    r.finish()?;
    Ok(out)
}

/// Like [`decode_records`], but stops at the first record it cannot decode (as the Java client does) and
/// returns the records before it plus the undecoded rest of the data.
#[must_use]
pub fn decode_records_lossy(data: &[u8], amount: i16, build: Build) -> (Vec<EntityRecord>, &[u8]) {
    let mut r = Reader::new(data);
    let mut out = Vec::new();
    for _ in 0..amount.max(0) {
        let mut probe = r;
        match EntityRecord::decode(&mut probe, build) {
            Ok(rec) => {
                out.push(rec);
                r = probe;
            }
            Err(_) => break,
        }
    }
    (out, r.rest())
}

/// Encodes records as snapshot `data`; returns `(amount, data)`.
///
/// # Errors
/// More than `i16::MAX` records or any record encode error.
pub fn encode_records(records: &[EntityRecord], build: Build) -> Result<(i16, Vec<u8>), EncodeError> {
    let amount = i16::try_from(records.len()).map_err(|_| EncodeError::TooLong {
        what: "entity records",
        len: records.len(),
        limit: i16::MAX as usize,
    })?;
    let mut w = Writer::new();
    for rec in records {
        rec.encode(&mut w, build)?;
    }
    Ok((amount, w.into_inner()))
}

/// Groups records into snapshot packets as the Java server does: a packet is emitted once its data exceeds
/// `limit` bytes (upstream 800), checked after each record. Returns `(amount, data)` per packet.
///
/// # Errors
/// Any record encode error.
pub fn chunk_records(records: &[EntityRecord], build: Build, limit: usize) -> Result<Vec<(i16, Vec<u8>)>, EncodeError> {
    let mut out = Vec::new();
    let mut w = Writer::new();
    let mut amount: i16 = 0;
    for rec in records {
        rec.encode(&mut w, build)?;
        amount += 1;
        if w.len() > limit || amount == i16::MAX {
            out.push((amount, std::mem::take(&mut w).into_inner()));
            amount = 0;
        }
    }
    if amount > 0 {
        out.push((amount, w.into_inner()));
    }
    Ok(out)
}
