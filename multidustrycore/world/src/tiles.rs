//! The tile grid and the map region (§8.4): floors, overlays, blocks, tile data and building records.
//!
//! Owns: [`Tiles`], [`Building`], [`TileData`], reading the map region of every save version (legacy v2–v3 with
//! per-block knowledge, v4–v9 with `u16` chunks and 1-byte data, v10+ with `i32` chunks) and writing the current
//! layout (also the world stream's item 12).
//!
//! Does not own: what a building record means beyond its common prefix ([`Building::base`]); records are kept
//! verbatim, so a re-save loses nothing.
//!
//! Invariants: `floor`, `overlay`, `block` and `parts` have `width * height` entries (index `y * width + x`);
//! every key of `buildings` has `parts[i] == true`; the reader allocates at most [`MAX_TILES`] tiles and only
//! as fast as the input supplies runs.

use std::collections::BTreeMap;

use multidustry_protocol::io::{DecodeError, Reader, Writer};

use crate::WorldError;

/// Most tiles a map may have (4096 × 4096); the largest official map has 352 000.
pub const MAX_TILES: usize = 4096 * 4096;

/// The 7 bytes of per-tile data (`Tile.data`, `floorData`, `overlayData`, `extraData`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TileData {
    /// `Tile.data`.
    pub data: i8,
    /// `Tile.floorData`.
    pub floor_data: i8,
    /// `Tile.overlayData`.
    pub overlay_data: i8,
    /// `Tile.extraData`.
    pub extra: i32,
}

/// Layout of a building record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordFormat {
    /// `u8 revision` + `writeAll` (save versions ≥ 4, the world stream).
    Modern,
    /// The layout of save versions 1–3 (`u16` health, packed team/rotation, …), kept only for a record too
    /// short to convert ([`Building::from_legacy`]); the writer refuses it.
    Legacy,
}

/// A building's saved record, verbatim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Building {
    /// Layout of `record`.
    pub format: RecordFormat,
    /// The chunk bytes: for [`RecordFormat::Modern`], `u8 revision` then `writeBase` and the class tail.
    pub record: Vec<u8>,
}

/// Where the content ids of a record's item and liquid modules are (byte offsets of each `i16` id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleIds {
    /// Whether the record has an item module.
    pub has_items: bool,
    /// Offsets of item ids.
    pub items: Vec<usize>,
    /// Offsets of liquid ids.
    pub liquids: Vec<usize>,
}

/// The content type of an id inside a building's class tail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentKind {
    /// An item id.
    Item,
    /// A liquid id.
    Liquid,
    /// A block id.
    Block,
    /// A unit command id (`UnitCommand`, content type 16).
    UnitCommand,
    /// A unit type id.
    Unit,
}

/// Where a content id sits inside a building record ([`Building::config_ids`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConfigId {
    /// Byte offset in [`Building::record`].
    pub offset: usize,
    /// What the id names.
    pub kind: ContentKind,
    /// `i16` (true) or `i8` (false, old revisions).
    pub wide: bool,
}

/// The common prefix of a modern building record (`BuildingComp.writeBase`).
#[derive(Debug, Clone, PartialEq)]
pub struct BuildingBase {
    /// Block-class revision byte.
    pub revision: u8,
    /// Health.
    pub health: f32,
    /// Rotation (0..3).
    pub rotation: u8,
    /// Team id.
    pub team: u8,
    /// Item module contents `(item id, amount)` in the record's own ids, when the record has one and its
    /// layout is the current one (base version ≥ 2 with the module mask).
    pub items: Option<Vec<(u16, i32)>>,
}

impl Building {
    /// A modern record.
    pub fn modern(record: Vec<u8>) -> Self {
        Self { format: RecordFormat::Modern, record }
    }

    /// Converts a save-version 1–3 building record into the modern record layout, or `None` when the record is
    /// too short to hold the legacy header.
    ///
    /// The legacy layout (`LegacySaveVersion.readMap`) is `u8 revision, u16 health, u8 packed team/rotation
    /// [, u8 team when the packed high nibble is 8]`, then the block's modules in their legacy encoding, a
    /// consume-valid byte and the class tail. The current reader (`Building.readAll` → `readBase`) accepts the
    /// same fields when the rotation byte has its high bit clear: `u8 revision, f32 health, u8 rotation,
    /// u8 team`, then the modules the block declares in their legacy encoding, the consume byte and the class
    /// tail read with the record's revision — exactly what the legacy loader reads. (Cores, whose layout is
    /// known, go through [`Building::from_legacy_core`] first.) So the conversion only
    /// re-encodes the header and keeps everything after it verbatim: the Java game reads the converted record
    /// into the same building state as the original, and our writer can emit it (no module facts per block
    /// are needed). What it does not do is re-encode the modules in the current (masked, `i16` id) form the
    /// Java game would write after loading, so [`Building::modules`] reports `None` for such records.
    pub fn from_legacy(record: &[u8]) -> Option<Self> {
        let mut r = Reader::new(record);
        let revision = r.u8().ok()?;
        let health = r.u16().ok()?;
        let packed = r.u8().ok()?;
        let (team, rotation) =
            if packed >> 4 == 8 { (r.u8().ok()?, packed & 0x0f) } else { (packed >> 4, packed & 0x0f) };
        let mut out = Vec::with_capacity(record.len() + 3);
        out.push(revision);
        out.extend_from_slice(&f32::from(health).to_be_bytes());
        out.push(rotation);
        out.push(team);
        out.extend_from_slice(r.rest());
        Some(Self::modern(out))
    }

    /// Converts a save-version 1–3 *core* record to exactly the current layout, as the Java game writes a core
    /// it loaded from an old map: `u8 revision 1`, base version 3 (enabled, module mask items | the always-set
    /// bit 3), the item module in its current form (`i16` count and ids, non-zero amounts in id order), both
    /// efficiency bytes at 255 (a running core), and the revision-1 tail of `CoreBuild` (a null `commandPos`:
    /// two NaN floats) — the same layout [`crate::generate::core_record`] writes and the Java servers' saves
    /// hold. `None` unless the legacy record is exactly header, item module and consume byte (a core has no
    /// power or liquid module and its revision-0 tail is empty), so anything unexpected falls back to
    /// [`Building::from_legacy`].
    pub fn from_legacy_core(record: &[u8]) -> Option<Self> {
        let mut r = Reader::new(record);
        let revision = r.u8().ok()?;
        let health = r.u16().ok()?;
        let packed = r.u8().ok()?;
        let team = if packed >> 4 == 8 { r.u8().ok()? } else { packed >> 4 };
        let rotation = packed & 0x0f;
        let count = r.u8().ok()?;
        let mut items = BTreeMap::new();
        for _ in 0..count {
            let id = r.u8().ok()?;
            let amount = r.i32().ok()?;
            items.insert(u16::from(id), amount);
        }
        r.u8().ok()?; // consume-valid byte
        if revision != 0 || !r.is_empty() {
            return None;
        }
        let items: Vec<(u16, i32)> = items.into_iter().filter(|(_, n)| *n > 0).collect();
        let mut w = Writer::new();
        w.u8(1).f32(f32::from(health)).u8(rotation | 0x80).u8(team).u8(3).u8(1).u8(1 | 8);
        w.i16(i16::try_from(items.len()).ok()?);
        for (id, n) in items {
            w.i16(i16::try_from(id).ok()?).i32(n);
        }
        w.u8(255).u8(255).f32(f32::NAN).f32(f32::NAN);
        Some(Self::modern(w.into_inner()))
    }

    /// Parses the record's common prefix: team, rotation, health (and items for current layouts).
    pub fn base(&self) -> Option<BuildingBase> {
        let mut r = Reader::new(&self.record);
        match self.format {
            RecordFormat::Modern => {
                let revision = r.u8().ok()?;
                let health = r.f32().ok()?;
                let rot = r.u8().ok()?;
                let team = r.u8().ok()?;
                let items = self.modules().filter(|m| m.has_items).and_then(|m| {
                    m.items
                        .iter()
                        .map(|&off| {
                            let mut r = Reader::new(self.record.get(off..)?);
                            Some((r.u16().ok()?, r.i32().ok()?))
                        })
                        .collect::<Option<Vec<_>>>()
                });
                Some(BuildingBase { revision, health, rotation: rot & 0x7f, team, items })
            }
            RecordFormat::Legacy => {
                let revision = r.u8().ok()?;
                let health = f32::from(r.u16().ok()?);
                let packed = r.u8().ok()?;
                let (team, rotation) =
                    if packed >> 4 == 8 { (r.u8().ok()?, packed & 0x0f) } else { (packed >> 4, packed & 0x0f) };
                Some(BuildingBase { revision, health, rotation, team, items: None })
            }
        }
    }

    /// Offsets of the content ids inside the record's item and liquid modules, for records in the current base
    /// layout (rotation high bit set, base version >= 2 with a module mask). `None` when the layout is older
    /// or the record is too short.
    pub fn modules(&self) -> Option<ModuleIds> {
        self.parse_base().map(|(m, _)| m)
    }

    /// Byte offset where the block-class tail (`Building.write`) starts, for records in the current base layout
    /// (protocol spec §8.4.3: module mask bits 0–2 modules, bit 4 time scale, bit 5 last disabler; two
    /// efficiency bytes; visibility flags for base version 4). `None` for older layouts or short records.
    pub fn tail_offset(&self) -> Option<usize> {
        self.parse_base().map(|(_, t)| t)
    }

    fn parse_base(&self) -> Option<(ModuleIds, usize)> {
        if self.format != RecordFormat::Modern {
            return None;
        }
        let mut r = Reader::new(&self.record);
        r.skip(5).ok()?;
        let rot = r.u8().ok()?;
        r.skip(1).ok()?;
        if rot & 0x80 == 0 {
            return None;
        }
        let version = r.u8().ok()?;
        if version < 2 {
            return None;
        }
        r.skip(1).ok()?;
        let mask = r.u8().ok()?;
        let mut out = ModuleIds { has_items: mask & 1 != 0, items: Vec::new(), liquids: Vec::new() };
        if mask & 1 != 0 {
            let n = r.i16().ok()?;
            for _ in 0..n.max(0) {
                out.items.push(r.position());
                r.skip(6).ok()?;
            }
        }
        if mask & 2 != 0 {
            let links = r.i16().ok()?;
            r.skip(usize::try_from(links).ok()? * 4 + 4).ok()?;
        }
        if mask & 4 != 0 {
            let n = r.i16().ok()?;
            for _ in 0..n.max(0) {
                out.liquids.push(r.position());
                r.skip(6).ok()?;
            }
        }
        if mask & 16 != 0 {
            r.skip(8).ok()?;
        }
        if mask & 32 != 0 {
            r.skip(4).ok()?;
        }
        // Base version 2 ends with the legacy consume bool; 3 and 4 with two efficiency bytes.
        r.skip(if version <= 2 { 1 } else { 2 }).ok()?;
        if version == 4 {
            r.skip(8).ok()?;
        }
        Some((out, r.position()))
    }

    /// Content ids inside the block-class tail of a record of Java class `class` (the block's class, see
    /// [`crate::content::BlockFacts::class`]): where each one is, its content type and width. Ids whose id
    /// space can differ between content headers/builds and whose place the upstream `write()` makes fixed:
    ///
    /// | class | tail (upstream `write`) |
    /// |---|---|
    /// | `Sorter` (sorter, inverted sorter) | `i16 sortItem` first (every revision) |
    /// | `Unloader` | revision 1: `i16 sortItem`; revision 0: `i8` |
    /// | `ItemSource` | `i16 outputItem` |
    /// | `LiquidSource` | revision 1: `i16 source` liquid; revision 0: `i8` |
    /// | `DuctRouter` | revision >= 1: `i16 sortItem` |
    /// | `ConstructBlock` (build1..16) | `f32 progress, i16 previous block, i16 current block` |
    /// | `Conveyor`, `ArmoredConveyor` | `i32 n`, then n stacks: revision 1 `i16 item, i8 x, i8 y`; revision 0 one `i32` packing `u8 item, x, y, 0` — only when the n stacks end the record |
    /// | `ItemTurret` | revision 2: `Turret` part (`f32 reload, f32 rotation`), `u8 n`, n × (`i16 item`, `i16` amount); revision 1: same with `u8` items; revision 0: no `Turret` part — only when the list ends the record |
    /// | payload (`Payload.write`, see below) | `bool present`, `u8 type`; a block payload (type 1) then `i16 block`, `u8 revision` and the nested record's `writeAll` |
    /// | `PayloadConveyor` | `f32 progress, f32 itemRotation`, payload |
    /// | `PayloadRouter` revision >= 1 | the `PayloadConveyor` part, then `u8 content type` (1 block, 6 unit, -1 none), `i16 sorted`, `u8 recDir` — the last 4 bytes of the record |
    /// | `PayloadBlock` classes (`PayloadLoader`, `PayloadUnloader`, `PayloadDeconstructor`, `PayloadMassDriver`, `PayloadVoid`, `PayloadSource`, `Constructor`, `UnitFactory`, `Reconstructor`) | `vec2 payVector, f32 payRotation`, payload, then the class's own fields |
    /// | `Constructor` | … `f32 progress, i16 recipe` block — the last 2 bytes |
    /// | `UnitFactory` revision >= 3, `Reconstructor` revision >= 3 | … `vec2 commandPos, u8 command` — the last byte (255 = none) |
    ///
    /// A block payload's block id, and the item/liquid ids of the nested record's item and liquid modules, are
    /// listed; the nested record's own class tail is not (its class is not known here).
    ///
    /// Not covered (their ids stay as stored): unit payloads (the unit type sits inside the unit's
    /// entity-specific serialization), the unit-factory plan (an index into the block's plan list, not a
    /// content id), `PayloadSource`'s configured unit and block (after a variable-length payload, not at the
    /// end), `UnitAssembler`, logic processors (no content ids).
    pub fn config_ids(&self, class: &str) -> Vec<ConfigId> {
        let Some(tail) = self.tail_offset() else { return Vec::new() };
        let revision = self.record.first().copied().unwrap_or(0);
        let len = self.record.len();
        let item = ContentKind::Item;
        let at = |offset: usize, kind: ContentKind, wide: bool| {
            let width = if wide { 2 } else { 1 };
            (offset >= tail && offset + width <= len).then_some(ConfigId { offset, kind, wide })
        };
        let (kind, offset, wide) = match (class, revision) {
            ("Sorter" | "ItemSource", _) => (item, tail, true),
            ("Unloader", 0) => (item, tail, false),
            ("Unloader", _) => (item, tail, true),
            ("LiquidSource", 0) => (ContentKind::Liquid, tail, false),
            ("LiquidSource", _) => (ContentKind::Liquid, tail, true),
            ("DuctRouter", 1..) => (item, tail, true),
            ("Conveyor" | "ArmoredConveyor", _) => {
                let Some(n) = self.record.get(tail..tail + 4).map(|b| i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
                else {
                    return Vec::new();
                };
                let Ok(n) = usize::try_from(n) else { return Vec::new() };
                if n > len / 4 || tail + 4 + n * 4 != len {
                    return Vec::new();
                }
                return (0..n).filter_map(|k| at(tail + 4 + 4 * k, item, revision != 0)).collect();
            }
            ("ItemTurret", _) => {
                let (start, wide) = match revision {
                    0 => (tail, false),
                    1 => (tail + 8, false),
                    _ => (tail + 8, true),
                };
                let Some(&n) = self.record.get(start) else { return Vec::new() };
                let entry = if wide { 4 } else { 3 };
                if start + 1 + usize::from(n) * entry != len {
                    return Vec::new();
                }
                return (0..usize::from(n))
                    .map(|k| ConfigId { offset: start + 1 + k * entry, kind: ContentKind::Item, wide })
                    .collect();
            }
            ("ConstructBlock", _) => {
                return [tail + 4, tail + 6].into_iter().filter_map(|o| at(o, ContentKind::Block, true)).collect();
            }
            ("PayloadConveyor", _) => return self.payload_ids(tail + 8),
            ("PayloadRouter", _) => {
                let mut ids = self.payload_ids(tail + 8);
                if revision >= 1 && len >= tail + 13 {
                    let kind = match self.record[len - 4] {
                        1 => Some(ContentKind::Block),
                        6 => Some(ContentKind::Unit),
                        _ => None,
                    };
                    ids.extend(kind.and_then(|k| at(len - 3, k, true)));
                }
                return ids;
            }
            (
                "PayloadLoader"
                | "PayloadUnloader"
                | "PayloadDeconstructor"
                | "PayloadMassDriver"
                | "PayloadVoid"
                | "PayloadSource"
                | "Constructor"
                | "UnitFactory"
                | "Reconstructor",
                _,
            ) => {
                let mut ids = self.payload_ids(tail + 12);
                match (class, revision) {
                    // Minimum lengths: the fields of the class with an empty payload (a 1-byte flag).
                    ("Constructor", _) if len >= tail + 19 => ids.extend(at(len - 2, ContentKind::Block, true)),
                    ("UnitFactory", 3..) if len >= tail + 28 => {
                        ids.extend(at(len - 1, ContentKind::UnitCommand, false));
                    }
                    ("Reconstructor", 3..) if len >= tail + 26 => {
                        ids.extend(at(len - 1, ContentKind::UnitCommand, false));
                    }
                    _ => {}
                }
                return ids;
            }
            _ => return Vec::new(),
        };
        at(offset, kind, wide).into_iter().collect()
    }

    /// Ids of the payload written at `flag` (`Payload.write`): for a block payload, its block id and the item and
    /// liquid ids of the nested record's modules.
    fn payload_ids(&self, flag: usize) -> Vec<ConfigId> {
        // present, type 1 (block), i16 block, then the nested record (u8 revision + writeAll).
        if self.record.get(flag..flag + 2) != Some(&[1, 1]) || flag + 5 > self.record.len() {
            return Vec::new();
        }
        let mut ids = vec![ConfigId { offset: flag + 2, kind: ContentKind::Block, wide: true }];
        let nested = flag + 4;
        if let Some(m) = Building::modern(self.record[nested..].to_vec()).modules() {
            let wide = |kind, offsets: &[usize]| {
                offsets.iter().map(move |&o| ConfigId { offset: nested + o, kind, wide: true }).collect::<Vec<_>>()
            };
            ids.extend(wide(ContentKind::Item, &m.items));
            ids.extend(wide(ContentKind::Liquid, &m.liquids));
        }
        ids
    }

    /// The id a [`ConfigId`] points at (`-1` = none).
    pub fn config_id(&self, c: &ConfigId) -> Option<i16> {
        if c.wide {
            let b = self.record.get(c.offset..c.offset + 2)?;
            Some(i16::from_be_bytes([b[0], b[1]]))
        } else {
            self.record.get(c.offset).map(|b| i16::from(*b as i8))
        }
    }

    /// Overwrites the id a [`ConfigId`] points at; `false` when it does not fit the field.
    pub fn set_config_id(&mut self, c: &ConfigId, id: i16) -> bool {
        if c.wide {
            match self.record.get_mut(c.offset..c.offset + 2) {
                Some(slot) => {
                    slot.copy_from_slice(&id.to_be_bytes());
                    true
                }
                None => false,
            }
        } else {
            match (self.record.get_mut(c.offset), i8::try_from(id)) {
                (Some(slot), Ok(v)) => {
                    *slot = v as u8;
                    true
                }
                _ => false,
            }
        }
    }

    /// Team of the building, if the record can be parsed that far.
    pub fn team(&self) -> Option<u8> {
        self.base().map(|b| b.team)
    }
}

/// The tile grid of a world, in the ids of the world's own content header.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Tiles {
    /// Width in tiles.
    pub width: u16,
    /// Height in tiles.
    pub height: u16,
    /// Floor block id per tile.
    pub floor: Vec<u16>,
    /// Overlay (ore) block id per tile; 0 = none.
    pub overlay: Vec<u16>,
    /// Block id per tile (every tile a multiblock covers carries its id); 0 = air.
    pub block: Vec<u16>,
    /// Tiles that belong to a building (its center and the other tiles it covers).
    pub parts: Vec<bool>,
    /// Building records by center tile index.
    pub buildings: BTreeMap<u32, Building>,
    /// Tiles with saved data, by tile index.
    pub data: BTreeMap<u32, TileData>,
}

/// How the block layer of a map region is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MapLayout {
    /// Versions 1–3: a building chunk (u16) follows exactly when the block has a building.
    Legacy,
    /// Versions 4–9: flags with 1-byte data (bit 2) and 7-byte data (bit 4), u16 chunks.
    Short,
    /// Versions ≥ 10 and the world stream.
    Modern,
}

impl Tiles {
    /// An empty grid of the given size: floor `floor` everywhere, no overlays, air blocks.
    pub fn new(width: u16, height: u16, floor: u16) -> Self {
        let n = usize::from(width) * usize::from(height);
        Self {
            width,
            height,
            floor: vec![floor; n],
            overlay: vec![0; n],
            block: vec![0; n],
            parts: vec![false; n],
            buildings: BTreeMap::new(),
            data: BTreeMap::new(),
        }
    }

    /// Number of tiles.
    pub fn len(&self) -> usize {
        self.floor.len()
    }

    /// Whether the grid has no tiles.
    pub fn is_empty(&self) -> bool {
        self.floor.is_empty()
    }

    /// Tile index of `(x, y)`, if inside.
    pub fn index(&self, x: i32, y: i32) -> Option<usize> {
        let (w, h) = (i32::from(self.width), i32::from(self.height));
        (x >= 0 && y >= 0 && x < w && y < h).then(|| usize::try_from(y * w + x).unwrap_or(0))
    }

    /// Places a building of `block` (size `size`) centered on `(x, y)`: sets the block id on every covered tile
    /// and stores `record` at the center. Out-of-map parts are skipped.
    pub fn place_building(&mut self, x: i32, y: i32, block: u16, size: u8, record: Vec<u8>) {
        let off = (i32::from(size) - 1) / 2;
        for dy in 0..i32::from(size) {
            for dx in 0..i32::from(size) {
                if let Some(i) = self.index(x - off + dx, y - off + dy) {
                    self.block[i] = block;
                    self.parts[i] = true;
                }
            }
        }
        if let Some(c) = self.index(x, y) {
            self.buildings.insert(u32::try_from(c).unwrap_or(0), Building::modern(record));
        }
    }

    pub(crate) fn read(
        r: &mut Reader<'_>,
        layout: MapLayout,
        legacy_class: &dyn Fn(u16) -> Option<&'static str>,
    ) -> Result<Self, DecodeError> {
        let width = r.u16()?;
        let height = r.u16()?;
        let n = usize::from(width) * usize::from(height);
        if n > MAX_TILES {
            return Err(DecodeError::TooLarge { what: "map tiles", value: n, limit: MAX_TILES });
        }
        // Grow with the input: every run entry takes at least 5 bytes and covers at most 256 tiles.
        let cap = n.min(r.remaining().saturating_mul(52));
        let mut floor = Vec::with_capacity(cap);
        let mut overlay = Vec::with_capacity(cap);
        while floor.len() < n {
            let f = r.u16()?;
            let o = r.u16()?;
            let run = usize::from(r.u8()?) + 1;
            let run = run.min(n - floor.len());
            floor.extend(std::iter::repeat_n(f, run));
            overlay.extend(std::iter::repeat_n(o, run));
        }
        let mut block = Vec::with_capacity(cap);
        let mut parts = Vec::with_capacity(cap);
        let mut buildings = BTreeMap::new();
        let mut data = BTreeMap::new();
        while block.len() < n {
            let i = block.len();
            let idx = u32::try_from(i).map_err(|_| DecodeError::Other("tile index"))?;
            let id = r.u16()?;
            if layout == MapLayout::Legacy {
                if let Some(class) = legacy_class(id) {
                    let len = usize::from(r.u16()?);
                    let record = r.bytes(len)?;
                    let converted = if class == "CoreBlock" { Building::from_legacy_core(record) } else { None };
                    let building = match converted.or_else(|| Building::from_legacy(record)) {
                        Some(b) => b,
                        None => Building { format: RecordFormat::Legacy, record: record.to_vec() },
                    };
                    buildings.insert(idx, building);
                    block.push(id);
                    parts.push(true);
                } else {
                    let run = (usize::from(r.u8()?) + 1).min(n - i);
                    block.extend(std::iter::repeat_n(id, run));
                    parts.extend(std::iter::repeat_n(false, run));
                }
                continue;
            }
            let flags = r.u8()?;
            let had_entity = flags & 1 != 0;
            let old_data = layout == MapLayout::Short && flags & 2 != 0;
            let new_data = flags & 4 != 0;
            if new_data {
                let d = TileData { data: r.i8()?, floor_data: r.i8()?, overlay_data: r.i8()?, extra: r.i32()? };
                data.insert(idx, d);
            }
            if had_entity {
                let center = r.bool()?;
                if center {
                    let len = match layout {
                        MapLayout::Modern => {
                            let l = r.i32()?;
                            usize::try_from(l)
                                .map_err(|_| DecodeError::Invalid { what: "chunk length", value: l.into() })?
                        }
                        _ => usize::from(r.u16()?),
                    };
                    let record = r.bytes(len)?.to_vec();
                    buildings.insert(idx, Building::modern(record));
                }
                block.push(id);
                parts.push(true);
            } else if old_data || new_data {
                if old_data {
                    // The 1-byte legacy data follows (after the 7 bytes when both flags are set) and sets
                    // `Tile.data`, as `ShortChunkSaveVersion.readMap` does.
                    let byte = r.i8()?;
                    data.entry(idx).or_default().data = byte;
                }
                block.push(id);
                parts.push(false);
            } else {
                let run = (usize::from(r.u8()?) + 1).min(n - i);
                block.extend(std::iter::repeat_n(id, run));
                parts.extend(std::iter::repeat_n(false, run));
            }
        }
        Ok(Self { width, height, floor, overlay, block, parts, buildings, data })
    }

    /// Writes the current map-region layout (`i32` chunk lengths, flag bit 4 for tile data).
    pub fn write(&self, w: &mut Writer) -> Result<(), WorldError> {
        let n = self.len();
        if self.overlay.len() != n || self.block.len() != n || self.parts.len() != n {
            return Err(WorldError::Invalid("tile layers differ in length".into()));
        }
        if n != usize::from(self.width) * usize::from(self.height) {
            return Err(WorldError::Invalid("tile count does not match width * height".into()));
        }
        w.u16(self.width).u16(self.height);
        let mut i = 0;
        while i < n {
            let (f, o) = (self.floor[i], self.overlay[i]);
            let mut run = 0usize;
            while run < 255 && i + run + 1 < n && self.floor[i + run + 1] == f && self.overlay[i + run + 1] == o {
                run += 1;
            }
            w.u16(f).u16(o).u8(u8::try_from(run).unwrap_or(255));
            i += run + 1;
        }
        let plain = |j: usize, id: u16| self.block[j] == id && !self.parts[j] && !self.data.contains_key(&(j as u32));
        let mut i = 0;
        while i < n {
            let idx = u32::try_from(i).map_err(|_| WorldError::Invalid("tile index".into()))?;
            let id = self.block[i];
            let data = self.data.get(&idx);
            let part = self.parts[i];
            w.u16(id);
            w.u8(u8::from(part) | if data.is_some() { 4 } else { 0 });
            if let Some(d) = data {
                w.i8(d.data).i8(d.floor_data).i8(d.overlay_data).i32(d.extra);
            }
            if part {
                match self.buildings.get(&idx) {
                    Some(b) => {
                        if b.format != RecordFormat::Modern {
                            return Err(WorldError::Invalid(format!(
                                "building at tile {i} has a legacy (save version 1-3) record"
                            )));
                        }
                        w.bool(true);
                        let len = i32::try_from(b.record.len())
                            .map_err(|_| WorldError::too_large("building record", b.record.len()))?;
                        w.i32(len).bytes(&b.record);
                    }
                    None => {
                        w.bool(false);
                    }
                }
                i += 1;
            } else if data.is_some() {
                i += 1;
            } else {
                let mut run = 0usize;
                while run < 255 && i + run + 1 < n && plain(i + run + 1, id) {
                    run += 1;
                }
                w.u8(u8::try_from(run).unwrap_or(255));
                i += run + 1;
            }
        }
        Ok(())
    }
}
