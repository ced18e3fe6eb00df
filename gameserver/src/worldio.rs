//! World files and the world stream for this server's [`Grid`], through the world crate (`multidustry_world`):
//! the generated default world, `.msav` snapshots (`World::read_msav` / `World::write_msav(13)`), and
//! `NetworkIO.writeWorld` per client build (`World::world_stream`).
//!
//! Owns: converting between the grid and a [`World`] ([`to_world`] / [`from_world`]): the content header
//! listing exactly the blocks used (§6.1 strategy b, so one stream serves both builds), the building records of
//! the blocks this server simulates (`writeBase` + class tail; parsed back by [`parse_building`]), the
//! block-name table, and the `multidustry.*` meta tags (entity ids, RNG). Byte layouts of files and streams are
//! the world crate's.
//!
//! Content ids: the grid uses build-159 ids for every block in [`NAMES`]; blocks of a loaded map that are not in
//! it get ids from [`DYNAMIC_BASE`] on, remembered by name, and their building records are kept as raw bytes and
//! re-emitted unchanged. Block names, sizes and classes come from the world crate's build-159 content table.
//! Partial: buildings of save formats 1–3 (legacy records) are dropped; units are not saved (core units respawn
//! with their players). Still local: `read_base` (the world crate's `Building::base` does not expose where the
//! class tail starts, which the simulated blocks' configs need).
//!
//! Invariants: readers never panic and never allocate from an untrusted length beyond the bytes present (the
//! world crate's limits); a snapshot is written to a temporary file and renamed, so a crash leaves the previous
//! snapshot intact.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::Path;

use multidustry_protocol::UnitRef;
use multidustry_protocol::io::{DecodeError, Reader, Writer};
use multidustry_world::content::legacy_block_name;
use multidustry_world::{
    Build, ContentHeader, ContentTable, ContentType, DataPatches, PlayerRecord, StreamParams, TeamPlans, Tiles, World,
    WorldError,
};

use crate::blocks::{self, id};
use crate::grid::{self, Building, Grid};
use crate::sim::{GameState, PlayerState, Sim, SimRules};
use crate::value::Value;

/// First id given to block names this server does not know.
pub const DYNAMIC_BASE: u16 = 2000;

/// Block names of the build-159 ids this server uses (floors, walls, ores, cores and placeable blocks).
pub const NAMES: &[(u16, &str)] = &[
    (0, "air"),
    (1, "spawn"),
    (21, "deep-water"),
    (22, "shallow-water"),
    (31, "space"),
    (33, "stone"),
    (36, "basalt"),
    (39, "sand-floor"),
    (40, "darksand"),
    (41, "dirt"),
    (71, "grass"),
    (80, "stone-wall"),
    (82, "dirt-wall"),
    (111, "boulder"),
    (130, "metal-floor"),
    (167, "ore-copper"),
    (168, "ore-lead"),
    (170, "ore-coal"),
    (171, "ore-titanium"),
    (339, "core-shard"),
    (340, "core-foundation"),
    (341, "core-nucleus"),
];

/// The build-159 content table of the world crate (names, sizes, classes of every vanilla block).
fn table() -> &'static ContentTable {
    ContentTable::for_build(Build::V159)
}

/// Floors nothing can be built on.
const UNBUILDABLE_NAMES: &[&str] = &["deep-water", "deep-tainted-water", "space", "empty"];

/// Sets which floors are unbuildable and which blocks are environment walls (not replaceable).
fn environment(grid: &mut Grid) {
    let t = table();
    grid.unbuildable_floors = UNBUILDABLE_NAMES.iter().filter_map(|n| t.id(ContentType::BLOCK, n)).collect();
    grid.static_walls =
        t.blocks().iter().filter(|b| b.is_static() && !b.class.contains("Prop")).map(|b| b.id).collect();
}

/// Side length of a block (1 when unknown).
fn block_size(block: u16) -> u8 {
    blocks::rule_for(block)
        .map(|r| r.size)
        .or_else(|| core_size(block))
        .or_else(|| table().block_size(block))
        .unwrap_or(1)
}

/// A file or stream could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum WorldIoError {
    /// Bytes did not follow the format.
    #[error("malformed world data: {0}")]
    Decode(#[from] DecodeError),
    /// Decompression or file IO failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// A valid file this reader does not support.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// The world crate could not read or write it.
    #[error("{0}")]
    World(#[from] WorldError),
}

/// Block id ↔ name mapping of one world.
#[derive(Debug, Clone, Default)]
pub struct BlockNames {
    by_id: BTreeMap<u16, String>,
    by_name: HashMap<String, u16>,
}

impl BlockNames {
    /// The built-in names plus the placeable blocks.
    pub fn builtin() -> Self {
        let mut n = Self::default();
        for &(id, name) in NAMES {
            n.insert(id, name);
        }
        for r in blocks::RULES {
            n.insert(r.id, r.name);
        }
        n
    }

    fn insert(&mut self, id: u16, name: &str) {
        self.by_id.insert(id, name.to_string());
        self.by_name.insert(name.to_string(), id);
    }

    /// The id for `name`: build-159 native ids for every vanilla block (the world crate's content table), a
    /// new dynamic id for names it does not know (mods).
    pub fn id_of(&mut self, name: &str) -> u16 {
        if let Some(id) = self.by_name.get(name) {
            return *id;
        }
        if let Some(b) = table().block_by_name(name) {
            self.insert(b.id, b.name);
            return b.id;
        }
        let id = self.by_id.keys().copied().filter(|&i| i >= DYNAMIC_BASE).max().map_or(DYNAMIC_BASE, |m| m + 1);
        self.insert(id, name);
        id
    }

    /// The name of `id` (`air` for unknown ids).
    pub fn name(&self, id: u16) -> &str {
        match self.by_id.get(&id) {
            Some(n) => n,
            None => table().block(id).map_or("air", |b| b.name),
        }
    }
}

/// A world as loaded: grid, rules, state, names and map metadata.
#[derive(Debug, Clone)]
pub struct LoadedWorld {
    /// Tiles and buildings.
    pub grid: Grid,
    /// Names of the block ids in the grid.
    pub names: BlockNames,
    /// Global state (wave, tick, …).
    pub state: GameState,
    /// Rules JSON as the map stores it (Arc JSON).
    pub rules_json: String,
    /// Rules the simulation uses (derived from `rules_json`).
    pub rules: SimRules,
    /// Map name.
    pub name: String,
    /// First entity id not yet used.
    pub next_entity_id: i32,
}

// ------------------------------------------------------------------------------------------------------------
// generation

/// The generated default world (the world crate's `generate`: terrain, ore fields, a core shard with starting
/// items, an enemy spawn), as a grid.
pub fn generate(seed: u64, size: u16) -> LoadedWorld {
    let world = multidustry_world::generate::generate(seed, size, size);
    let mut loaded = from_world(&world);
    if loaded.name == "unknown" {
        loaded.name = format!("Generated {size}x{size}");
    }
    loaded
}

/// The simulation rules a rules JSON implies (only the keys the simulation uses; everything else is kept in
/// the JSON and reaches clients unchanged).
pub fn rules_from_json(json: &str) -> SimRules {
    let compact: String = json.chars().filter(|c| !c.is_whitespace() && *c != '"').collect();
    let flag = |key: &str| compact.contains(&format!("{key}:true"));
    let number = |key: &str| {
        compact.split(&format!("{key}:")).nth(1).and_then(|rest| {
            let n: String = rest.chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
            n.parse::<f32>().ok()
        })
    };
    let mut r = SimRules { infinite_resources: flag("infiniteResources"), ..SimRules::default() };
    if compact.contains("waveTimer:false") || compact.contains("waves:false") {
        r.wave_timer = false;
    }
    if let Some(s) = number("waveSpacing").filter(|s| *s >= 1.0) {
        r.wave_spacing = s;
    }
    r
}

// ------------------------------------------------------------------------------------------------------------
// writing

/// `writeBase` + tail of a building this server simulates (None: keep the raw record).
fn building_record(b: &Building) -> Vec<u8> {
    if let Some(logic) = &b.logic {
        return crate::logic::record(logic);
    }
    if let Some(raw) = &b.raw {
        return raw.clone();
    }
    let mut w = Writer::new();
    let (revision, tail): (u8, Writer) = {
        let mut t = Writer::new();
        let rev = match b.block {
            257 | 258 => {
                t.i32(0); // ConveyorBuild: no items on the belt
                1
            }
            264 | 265 => {
                let item = match b.config {
                    Value::Content(0, i) => i,
                    _ => -1,
                };
                t.i16(item); // SorterBuild.sortItem
                2
            }
            228 | 229 | 430 => {
                t.bool(matches!(b.config, Value::Bool(true))); // DoorBuild.open / SwitchBuild.enabled
                0
            }
            429 => {
                let text = match &b.config {
                    Value::Str(Some(s)) => s.as_str(),
                    _ => "",
                };
                let _ = t.jutf(text); // MessageBuild.message
                0
            }
            b if core_size(b).is_some() => {
                t.f32(f32::NAN).f32(f32::NAN); // CoreBuild.commandPos: null (as Java writes it)
                1
            }
            _ => 0,
        };
        (rev, t)
    };
    let has_items = blocks::core_unit(b.block).is_some();
    w.u8(revision).f32(b.health).u8(b.rotation | 0x80).u8(b.team).u8(3).u8(1);
    w.u8(if has_items { 1 | 8 } else { 8 });
    if has_items {
        let items: Vec<(u16, i32)> = b.items.iter().filter(|(_, n)| **n > 0).map(|(i, n)| (*i, *n)).collect();
        w.i16(items.len() as i16);
        for (i, n) in items {
            w.i16(i as i16).i32(n);
        }
    }
    w.u8(255).u8(0);
    w.bytes(tail.as_slice());
    w.into_inner()
}

/// Metadata of a world that is not in the grid.
#[derive(Debug, Clone)]
pub struct WorldMeta {
    /// Map name.
    pub name: String,
    /// Rules JSON.
    pub rules_json: String,
}

/// The grid as a world crate [`World`] (format 13): a content header listing exactly the blocks used (ids local
/// to it), the tiles with the buildings' records, one empty plan list per core team, and the tags `name`,
/// `mapname`, `width`, `height`, `rules`. Construction sites are written as air: a client joining
/// mid-construction sees the result on finish. State tags are added by [`save`]; streams take the state from
/// [`StreamParams`].
pub fn to_world(grid: &Grid, names: &BlockNames, meta: &WorldMeta) -> World {
    let (wd, ht) = (grid.width(), grid.height());
    let mut used: Vec<u16> = vec![0];
    for y in 0..ht {
        for x in 0..wd {
            if let Some(t) = grid.tile(x, y) {
                used.extend([t.floor, t.overlay, t.block]);
            }
        }
    }
    used.sort_unstable();
    used.dedup();
    let local: HashMap<u16, u16> = used.iter().enumerate().map(|(i, &b)| (b, i as u16)).collect();
    let id = |b: u16| local.get(&b).copied().unwrap_or(0);
    let content =
        ContentHeader { types: vec![(ContentType::BLOCK, used.iter().map(|&b| names.name(b).to_string()).collect())] };
    let mut tiles = Tiles::new(wd as u16, ht as u16, 0);
    for i in 0..tiles.len() {
        let (x, y) = (i as i32 % wd, i as i32 / wd);
        let t = grid.tile(x, y).copied().unwrap_or_default();
        tiles.floor[i] = id(t.floor);
        tiles.overlay[i] = id(t.overlay);
        match t.building.and_then(|p| grid.building(p).map(|b| (p, b))) {
            Some((p, b)) if b.construction.is_none() => {
                tiles.block[i] = id(t.block);
                tiles.parts[i] = true;
                if grid::pack(x, y) == p {
                    tiles.buildings.insert(i as u32, multidustry_world::Building::modern(building_record(b)));
                }
            }
            Some(_) => {}
            None => tiles.block[i] = id(t.block),
        }
    }
    World {
        version: 13,
        meta: vec![
            ("name".into(), meta.name.clone()),
            ("mapname".into(), meta.name.clone()),
            ("width".into(), wd.to_string()),
            ("height".into(), ht.to_string()),
            ("rules".into(), meta.rules_json.clone()),
        ],
        patches: DataPatches { format: 2, assets: Vec::new() },
        content,
        tiles,
        entity_mapping: Vec::new(),
        teams: grid.core_teams().into_iter().map(|t| TeamPlans { team: i32::from(t), plans: Vec::new() }).collect(),
        entities: Vec::new(),
        markers: b"{}".to_vec(),
        custom: Vec::new(),
    }
}

/// What the stream of `player` needs beyond the world: the player record and the live state.
fn stream_params(sim: &Sim, meta: &WorldMeta, player: &PlayerState) -> StreamParams {
    let record = PlayerRecord {
        admin: player.admin,
        boosting: player.boosting,
        color: player.color as i32,
        last_command: 255,
        mouse_x: player.mouse_x,
        mouse_y: player.mouse_y,
        name: Some(player.name.clone()),
        selected_block: player.selected_block,
        selected_rotation: player.selected_rotation,
        shooting: player.shooting,
        team: player.team,
        typing: player.typing,
        unit: player.unit.map_or(UnitRef::NONE, UnitRef::Unit),
        x: player.x,
        y: player.y,
    };
    StreamParams {
        player_id: player.id,
        player: record,
        rules: Some(meta.rules_json.clone()),
        wave: Some(sim.state.wave),
        wavetime: Some(sim.state.wave_countdown),
        tick: Some(sim.state.tick),
        seeds: sim.state.rand,
    }
}

fn build_of(build: u32) -> Build {
    if build >= 159 { Build::V159 } else { Build::V154 }
}

/// `NetworkIO.writeWorld` for `player` in its build's layout, zlib-deflated.
pub fn world_stream(
    sim: &Sim,
    names: &BlockNames,
    meta: &WorldMeta,
    player: &PlayerState,
) -> Result<Vec<u8>, WorldIoError> {
    world_stream_with(&to_world(&sim.grid, names, meta), sim, meta, player)
}

/// [`world_stream`] from an already converted world (it only depends on the grid).
fn world_stream_with(
    world: &World,
    sim: &Sim,
    meta: &WorldMeta,
    player: &PlayerState,
) -> Result<Vec<u8>, WorldIoError> {
    Ok(world.world_stream(build_of(player.build), &stream_params(sim, meta, player))?)
}

/// Writes an `.msav` (format 13) snapshot of the world to `path` (temp file + rename).
pub fn save(sim: &Sim, names: &BlockNames, meta: &WorldMeta, path: &Path) -> Result<(), WorldIoError> {
    let mut world = to_world(&sim.grid, names, meta);
    world.set_tag("wave", sim.state.wave.to_string());
    world.set_tag("wavetime", sim.state.wave_countdown.to_string());
    world.set_tag("tick", sim.state.tick.to_string());
    world.set_tag("build", "159");
    world.set_tag("multidustry.next-entity-id", sim.next_entity_id().to_string());
    world.set_tag("multidustry.rand", format!("{} {}", sim.state.rand.0, sim.state.rand.1));
    let data = world.write_msav(13)?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("msav.tmp");
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&data)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    Ok(())
}

// ------------------------------------------------------------------------------------------------------------
// reading

/// Reads an `.msav` (save versions 2–13, the world crate's reader) from bytes.
pub fn load(bytes: &[u8]) -> Result<LoadedWorld, WorldIoError> {
    Ok(from_world(&World::read_msav(bytes)?))
}

/// Converts a world crate [`multidustry_world::World`] (ids of its own content header) into a grid with
/// build-159 ids, by block name.
pub fn from_world(world: &multidustry_world::World) -> LoadedWorld {
    let mut names = BlockNames::builtin();
    let ids: Vec<u16> =
        world.content.names(ContentType::BLOCK).iter().map(|n| names.id_of(legacy_block_name(n))).collect();
    let map_id = |id: u16| ids.get(usize::from(id)).copied().unwrap_or(0);
    let tiles = &world.tiles;
    let (wd, ht) = (tiles.width, tiles.height);
    let mut grid = Grid::new(wd, ht, 33);
    environment(&mut grid);
    let w = i32::from(wd.max(1));
    for i in 0..tiles.len() {
        let (x, y) = (i as i32 % w, i as i32 / w);
        if let Some(t) = grid.tile_mut(x, y) {
            let floor = map_id(tiles.floor.get(i).copied().unwrap_or(0));
            t.floor = if floor == 0 { 33 } else { floor };
            t.overlay = map_id(tiles.overlay.get(i).copied().unwrap_or(0));
        }
        let block = map_id(tiles.block.get(i).copied().unwrap_or(0));
        if !tiles.parts.get(i).copied().unwrap_or(false) {
            grid.set_static(x, y, block);
        }
    }
    for (&index, b) in &tiles.buildings {
        let i = index as usize;
        let (x, y) = (i as i32 % w, i as i32 / w);
        let block = map_id(tiles.block.get(i).copied().unwrap_or(0));
        if b.format != multidustry_world::tiles::RecordFormat::Modern {
            continue; // save formats 1-3: buildings are not carried over
        }
        let mut building = parse_building(block, &b.record);
        crate::logic::attach(&mut building, x, y);
        if !grid.put(x, y, block_size(block), building.clone()) {
            grid.put(x, y, 1, building);
        }
    }
    let rules_json = world.rules().to_string();
    let mut state = GameState::default();
    if let Some(v) = world.tag("wave").and_then(|v| v.parse().ok()) {
        state.wave = v;
    }
    if let Some(v) = world.tag("wavetime").and_then(|v| v.parse().ok()) {
        state.wave_countdown = v;
    }
    if let Some(v) = world.tag("tick").and_then(|v| v.parse().ok()) {
        state.tick = v;
    }
    if let Some((a, b)) = world.tag("multidustry.rand").and_then(|v| v.split_once(' '))
        && let (Ok(a), Ok(b)) = (a.parse(), b.parse())
    {
        state.rand = (a, b);
    }
    LoadedWorld {
        grid,
        names,
        state,
        rules: rules_from_json(&rules_json),
        rules_json,
        name: world.name().to_string(),
        next_entity_id: world.tag("multidustry.next-entity-id").and_then(|v| v.parse().ok()).unwrap_or(1),
    }
}

fn core_size(block: u16) -> Option<u8> {
    match block {
        id::CORE_SHARD => Some(3),
        id::CORE_FOUNDATION => Some(4),
        id::CORE_NUCLEUS => Some(5),
        _ => None,
    }
}

/// Parses a building record: base fields always; for simulated blocks also the tail (else the record is
/// kept raw and re-emitted unchanged).
fn parse_building(block: u16, record: &[u8]) -> Building {
    let raw = || {
        let mut b = Building::new(block, 0, 0, 1.0);
        b.raw = Some(record.to_vec());
        b
    };
    let mut r = Reader::new(record);
    let Ok(base) = read_base(&mut r) else {
        return raw();
    };
    let mut b = Building::new(block, base.team, base.rotation, base.health);
    b.items = base.items;
    let simulated = blocks::rule_for(block).is_some() || core_size(block).is_some();
    if !simulated {
        let mut b = raw();
        b.team = base.team;
        b.rotation = base.rotation;
        b.health = base.health;
        return b;
    }
    let tail = match block {
        257 | 258 => r.i32().map(|_| Value::Null),
        264 | 265 => r.i16().map(|i| if i < 0 { Value::Null } else { Value::Content(0, i) }),
        228 | 229 | 430 => r.bool().map(Value::Bool),
        429 => r.jutf().map(|s| Value::Str(Some(s))),
        b if core_size(b).is_some() && !r.is_empty() => r.f32().and_then(|_| r.f32()).map(|_| Value::Null),
        _ => Ok(Value::Null),
    };
    match tail {
        Ok(v) if matches!(block, 257 | 258) || r.is_empty() => {
            b.config = v;
            b
        }
        _ => {
            let mut b = raw();
            b.team = base.team;
            b.rotation = base.rotation;
            b
        }
    }
}

/// Length of a modern record's revision byte plus `writeBase` (where the class tail starts).
pub(crate) fn base_len(record: &[u8]) -> Result<usize, DecodeError> {
    let mut r = Reader::new(record);
    read_base(&mut r)?;
    Ok(r.position())
}

struct Base {
    health: f32,
    rotation: u8,
    team: u8,
    items: BTreeMap<u16, i32>,
}

fn read_base(r: &mut Reader<'_>) -> Result<Base, DecodeError> {
    let _revision = r.u8()?;
    let health = r.f32()?;
    let rot = r.u8()?;
    let team = r.u8()?;
    if rot & 0x80 == 0 {
        return Err(DecodeError::Other("legacy building base"));
    }
    let version = r.u8()?;
    if version >= 1 {
        r.u8()?; // enabled
    }
    let mask = if version >= 2 { r.u8()? } else { 0 };
    let mut items = BTreeMap::new();
    if mask & 1 != 0 {
        let n = r.i16()?.max(0);
        for _ in 0..n {
            let id = r.i16()?;
            let amount = r.i32()?;
            if id >= 0 {
                items.insert(id as u16, amount);
            }
        }
    }
    if mask & 2 != 0 {
        let n = r.i16()?.max(0) as usize;
        r.skip(n * 4 + 4)?;
    }
    if mask & 4 != 0 {
        let n = r.i16()?.max(0) as usize;
        r.skip(n * 6)?;
    }
    if mask & 16 != 0 {
        r.skip(8)?;
    }
    if mask & 32 != 0 {
        r.skip(4)?;
    }
    if version <= 2 {
        r.u8()?;
    }
    if version >= 3 {
        r.skip(2)?;
    }
    if version == 4 {
        r.skip(8)?;
    }
    Ok(Base { health, rotation: rot & 0x7f, team, items })
}

// ------------------------------------------------------------------------------------------------------------
// the host's WorldIo

/// [`crate::host::WorldIo`] over this module. Keeps the [`World`] converted from the last grid version, so a
/// burst of joins on an unchanged world converts the grid once (each stream is still written and deflated).
#[derive(Debug, Clone)]
pub struct MsavIo {
    /// Block names of the world.
    pub names: BlockNames,
    /// Name and rules.
    pub meta: WorldMeta,
    cache: Option<(u64, World)>,
}

impl crate::host::WorldIo for MsavIo {
    fn world_stream(&mut self, sim: &Sim, player: &PlayerState) -> Result<Vec<u8>, String> {
        let version = sim.grid.version();
        if self.cache.as_ref().is_none_or(|(v, _)| *v != version) {
            self.cache = Some((version, to_world(&sim.grid, &self.names, &self.meta)));
        }
        let Some((_, world)) = &self.cache else { return Err("no cached world".into()) };
        world_stream_with(world, sim, &self.meta, player).map_err(|e| e.to_string())
    }

    fn save(&mut self, sim: &Sim, path: &Path) -> Result<(), String> {
        save(sim, &self.names, &self.meta, path).map_err(|e| e.to_string())
    }

    fn map_name(&self) -> String {
        self.meta.name.clone()
    }

    fn gamemode(&self) -> u8 {
        u8::from(rules_from_json(&self.meta.rules_json).infinite_resources)
    }
}

impl LoadedWorld {
    /// Builds the simulation and its IO from a loaded world.
    pub fn into_parts(self, tick_rate: u32) -> (Sim, MsavIo) {
        let sim = Sim::new(self.grid, self.rules, self.state, tick_rate, self.next_entity_id);
        (
            sim,
            MsavIo { names: self.names, meta: WorldMeta { name: self.name, rules_json: self.rules_json }, cache: None },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn player_records_in_streams_have_the_sizes_java_writes() {
        let (sim, _) = generate(1, 40).into_parts(60);
        let meta = WorldMeta { name: "t".into(), rules_json: "{}".into() };
        // ERRATA B: 43 bytes for the name "mindref" in build 154; snapshots-b159.md: 50 for "mindref1" in 159.
        for (name, build, len) in [("mindref", Build::V154, 43), ("mindref1", Build::V159, 50)] {
            let p = stream_params(&sim, &meta, &PlayerState::for_tests(1, name));
            let mut w = Writer::new();
            p.player.write(&mut w, build).expect("writes");
            assert_eq!(w.len(), len, "{name}");
            assert_eq!(&w.as_slice()[..2], &[0, if build == Build::V159 { 2 } else { 1 }]);
        }
    }

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len() / 2).map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("hex")).collect()
    }

    #[test]
    fn building_records_match_the_layouts_java_writes() {
        // Records as the Java game saved them in official maps (biomassFacility, planetaryTerminal, fungalPass,
        // atolls): core-shard with 100 copper, inverted sorter set to thorium, door (closed), copper wall,
        // conveyor (rotation 1, empty belt).
        for (block, java) in [
            (id::CORE_SHARD, "01448980008001030109000100000000006400007fc000007fc00000"),
            (265, "0242200000800203010800000007"),
            (228, "0043c800008002030108000000"),
            (216, "0043a0000080010301080000"),
            (257, "014234000081000300090000000000000000"),
        ] {
            let java = unhex(java);
            let b = parse_building(block, &java);
            assert!(b.raw.is_none(), "block {block} parsed");
            let ours = building_record(&b);
            assert_eq!(ours.len() + usize::from(block == 257) * 2, java.len(), "block {block}");
            assert_eq!(ours[0], java[0], "revision of block {block}");
            let back = parse_building(block, &ours);
            assert_eq!((back.items, back.config, back.rotation, back.team), (b.items, b.config, b.rotation, b.team));
        }
        let core = parse_building(id::CORE_SHARD, &unhex("01448980008001030109000100000000006400007fc000007fc00000"));
        assert_eq!(core.items.get(&0), Some(&100));
        let sorter = parse_building(265, &unhex("0242200000800203010800000007"));
        assert_eq!(sorter.config, Value::Content(0, 7));
    }
}
