//! World files and the world stream for this server's [`Grid`], through the world crate (`multidustry_world`):
//! the generated default world, `.msav` snapshots (`World::read_msav` / `World::write_msav(13)`), and
//! `NetworkIO.writeWorld` per client build (`World::world_stream`).
//!
//! Owns: converting between the grid and a [`World`] ([`to_world`] / [`from_world`]): the content header
//! listing exactly the blocks used (§6.1 strategy b, so one stream serves both builds), placing the building
//! records (`records`: simulated blocks, default records of the other placeable blocks, construction sites as
//! `ConstructBuild`s on `build{size}` tiles, raw records carried from maps), the block-name table, and the
//! `multidustry.*` meta tags (entity ids, RNG), and which rules a loaded world is played with ([`world_rules`]:
//! the world crate's typed `Rules`, hosted as Java hosts a map, or as saved for our own snapshots; streams and
//! snapshots carry them as `JsonIO.write` does, with `setrule` changes applied by [`live_rules_json`]).
//! Byte layouts of files and streams are the world crate's.
//!
//! Content ids: the grid uses build-159 ids for every block in [`NAMES`]; blocks of a loaded map that are not in
//! it get ids from [`DYNAMIC_BASE`] on, remembered by name, and their building records are kept as raw bytes and
//! re-emitted unchanged. Block names, sizes and classes come from the world crate's build-159 content table.
//! Partial: buildings of save formats 1–3 (legacy records) are dropped; units are not saved (core units respawn
//! with their players).
//!
//! Invariants: readers never panic and never allocate from an untrusted length beyond the bytes present (the
//! world crate's limits); a snapshot is written to a temporary file and renamed, so a crash leaves the previous
//! snapshot intact.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::Path;

use multidustry_protocol::UnitRef;
use multidustry_protocol::io::DecodeError;
use multidustry_world::content::legacy_block_name;
use multidustry_world::{
    Build, ContentHeader, ContentTable, ContentType, DataPatches, Gamemode, PlayerRecord, Rules, StreamParams,
    TeamPlans, Tiles, World, WorldError,
};

use crate::blocks;
use crate::grid::{self, Building, Grid};
use crate::records;
use crate::sim::{GameState, PlayerState, Sim, SimRules};

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

/// Sets which blocks are environment walls (not replaceable); floors are judged by `blocks::floor`.
fn environment(grid: &mut Grid) {
    let t = table();
    grid.static_walls =
        t.blocks().iter().filter(|b| b.is_static() && !b.class.contains("Prop")).map(|b| b.id).collect();
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
        for r in blocks::rules() {
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
    /// Rules JSON of the played rules ([`world_rules`] written as Java's `JsonIO.write`).
    pub rules_json: String,
    /// Rules the simulation uses (`SimRules::from_rules` of [`world_rules`]).
    pub rules: SimRules,
    /// Map name.
    pub name: String,
    /// First entity id not yet used.
    pub next_entity_id: i32,
    /// Wave units saved with the world (`unitsave`).
    pub units: Vec<crate::sim::UnitState>,
    /// Map markers (`crate::markers`).
    pub markers: crate::markers::Markers,
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

/// The rules a loaded world is played with, as the Java server has them: this server's own snapshots (tag
/// `multidustry.rand`) resume with the rules as saved (`World::saved_rules`, what `SaveIO.load` gives), any
/// other world is hosted as a map in survival (`World::host_rules`: mode preset, default waves when the map has
/// none, global rules, team rules).
pub fn world_rules(world: &World) -> Rules {
    if world.tag("multidustry.rand").is_some() {
        world.saved_rules(Build::V159)
    } else {
        world.host_rules(Gamemode::Survival, Build::V159)
    }
}

/// The live rules JSON (`JsonIO.write(state.rules)`): the world's rules JSON with the run-time changes of
/// `rules` (`setrule`) applied; `base` itself (unchanged bytes) when nothing changed or it does not parse.
pub fn live_rules_json(base: &str, rules: &SimRules) -> String {
    let Ok(mut typed) = Rules::read_json(base, Build::V159) else { return base.to_string() };
    let before = typed.clone();
    rules.apply_to(&mut typed);
    if typed == before { base.to_string() } else { typed.to_json() }
}

// ------------------------------------------------------------------------------------------------------------
// writing

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
/// `mapname`, `width`, `height`, `rules`. Construction sites are `build{size}` tiles with a `ConstructBuild`
/// record naming the block being built (so a joining client and a restart see the site and its progress).
/// State tags are added by [`save`]; streams take the state from [`StreamParams`].
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
    for (_, b) in grid.buildings() {
        if let Some(c) = &b.construction {
            used.extend([c.block, records::construct_block(records::block_size(c.block))]);
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
            Some((p, b)) => {
                tiles.block[i] = match &b.construction {
                    Some(c) => id(records::construct_block(records::block_size(c.block))),
                    None => id(t.block),
                };
                tiles.parts[i] = true;
                if grid::pack(x, y) == p {
                    let record = records::building_record(b, &id);
                    tiles.buildings.insert(i as u32, multidustry_world::Building::modern(record));
                }
            }
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
        rules: Some(live_rules_json(&meta.rules_json, &sim.rules)),
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
    let build = build_of(player.build);
    Ok(crate::buildrecords::for_build(world, build).world_stream(build, &stream_params(sim, meta, player))?)
}

/// Everything a snapshot needs, copied out of the world so the encoding (grid conversion, msav writing,
/// deflate, file IO) can run off the world thread: [`SaveJob::capture`] is a clone on the world thread,
/// [`SaveJob::write`] the expensive part anywhere.
#[derive(Debug, Clone)]
pub struct SaveJob {
    grid: Grid,
    names: BlockNames,
    meta: WorldMeta,
    state: GameState,
    next_entity_id: i32,
    units: Vec<crate::sim::UnitState>,
    /// The markers region (`Logic::markers`).
    markers: Vec<u8>,
}

impl SaveJob {
    /// Copies the world's saved state (the rules as live: `setrule` changes included).
    pub fn capture(sim: &Sim, names: &BlockNames, meta: &WorldMeta) -> Self {
        let mut grid = sim.grid.clone();
        // Processors and memory run in the logic runner's table; the copy gets their current state.
        sim.logic.write_back(&mut grid);
        Self {
            grid,
            names: names.clone(),
            meta: WorldMeta { name: meta.name.clone(), rules_json: live_rules_json(&meta.rules_json, &sim.rules) },
            markers: sim.logic.markers.encode(),
            state: sim.state.clone(),
            next_entity_id: sim.next_entity_id(),
            units: sim.units().filter(|u| u.controller < 0).cloned().collect(),
        }
    }

    /// The `.msav` (format 13) bytes: the world, state tags and the wave units in the entities region.
    pub fn encode(&self) -> Result<Vec<u8>, WorldIoError> {
        let mut world = to_world(&self.grid, &self.names, &self.meta);
        world.markers.clone_from(&self.markers);
        world.set_tag("wave", self.state.wave.to_string());
        world.set_tag("wavetime", self.state.wave_countdown.to_string());
        world.set_tag("tick", self.state.tick.to_string());
        world.set_tag("build", "159");
        world.set_tag("multidustry.next-entity-id", self.next_entity_id.to_string());
        world.set_tag("multidustry.rand", format!("{} {}", self.state.rand.0, self.state.rand.1));
        world.entities = self
            .units
            .iter()
            .filter_map(|u| {
                let data = crate::unitsave::encode(u)?;
                Some(multidustry_world::EntityChunk { class_id: u.class_id, id: Some(u.id), data })
            })
            .collect();
        Ok(world.write_msav(13)?)
    }

    /// Encodes and writes the snapshot to `path` (temp file + rename).
    pub fn write(&self, path: &Path) -> Result<(), WorldIoError> {
        let data = self.encode()?;
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
}

/// Writes an `.msav` (format 13) snapshot of the world to `path` (temp file + rename), on this thread.
pub fn save(sim: &Sim, names: &BlockNames, meta: &WorldMeta, path: &Path) -> Result<(), WorldIoError> {
    SaveJob::capture(sim, names, meta).write(path)
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
        let mut building = if records::is_construct_block(block) {
            match records::parse_construct(&b.record, &map_id) {
                Some((base, c)) => {
                    let mut site = Building::new(c.block, base.team, base.rotation, base.health);
                    let block = c.block;
                    site.construction = Some(c);
                    if grid.put(x, y, records::block_size(block), site) {
                        continue;
                    }
                    records::parse_building(block, &b.record)
                }
                None => records::parse_building(block, &b.record),
            }
        } else {
            records::parse_building(block, &b.record)
        };
        crate::logic::attach(&mut building, x, y);
        if !grid.put(x, y, records::block_size(block), building.clone()) {
            grid.put(x, y, 1, building);
        }
    }
    let typed = world_rules(world);
    let rules_json = typed.to_json();
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
        rules: SimRules::from_rules(&typed),
        rules_json,
        name: world.name().to_string(),
        next_entity_id: world.tag("multidustry.next-entity-id").and_then(|v| v.parse().ok()).unwrap_or(1),
        markers: crate::markers::Markers::read_or_keep(&world.markers),
        units: world
            .entities
            .iter()
            .filter_map(|e| crate::unitsave::decode(e.class_id, e.id?, &e.data).ok())
            .filter(|u| u.controller < 0)
            .collect(),
    }
}

// ------------------------------------------------------------------------------------------------------------
// the host's WorldIo

/// [`crate::host::WorldIo`] over this module. Keeps the [`World`] converted from the last grid version and,
/// per client build, its deflated map part (`streamcache`), so a join on an unchanged world only writes and
/// deflates the small per-player head of the stream.
#[derive(Debug, Clone)]
pub struct MsavIo {
    /// Block names of the world.
    pub names: BlockNames,
    /// Name and rules.
    pub meta: WorldMeta,
    /// The world converted at (grid version, logic state version, markers version), with the stream-cache
    /// version given to it.
    cache: Option<((u64, u64, u64), u64, World)>,
    /// Versions handed to `streams` (one per conversion).
    generation: u64,
    streams: crate::streamcache::StreamCache,
}

impl crate::host::WorldIo for MsavIo {
    fn world_stream(&mut self, sim: &Sim, player: &PlayerState) -> Result<Vec<u8>, String> {
        // Processor and memory state lives in the logic runner (see `logic`): a cached conversion is valid only
        // for the grid version and the runner's state version it was made at.
        let key = (sim.grid.version(), sim.logic.state_version(), sim.logic.markers.version());
        if self.cache.as_ref().is_none_or(|(k, _, _)| *k != key) {
            self.generation += 1;
            let mut world = if sim.logic.holds_state() {
                let mut grid = sim.grid.clone();
                sim.logic.write_back(&mut grid);
                to_world(&grid, &self.names, &self.meta)
            } else {
                to_world(&sim.grid, &self.names, &self.meta)
            };
            world.markers = sim.logic.markers.encode();
            self.cache = Some((key, self.generation, world));
        }
        let Some((_, version, world)) = &self.cache else { return Err("no cached world".into()) };
        self.streams
            .stream(*version, world, build_of(player.build), &stream_params(sim, &self.meta, player))
            .map_err(|e| e.to_string())
    }

    fn save(&mut self, sim: &Sim, path: &Path) -> Result<(), String> {
        save(sim, &self.names, &self.meta, path).map_err(|e| e.to_string())
    }

    fn capture(&mut self, sim: &Sim) -> Option<crate::host::SaveTask> {
        let job = SaveJob::capture(sim, &self.names, &self.meta);
        Some(Box::new(move |path: &Path| job.write(path).map_err(|e| e.to_string())))
    }

    fn map_name(&self) -> String {
        self.meta.name.clone()
    }

    fn gamemode(&self) -> u8 {
        // `Gamemode.bestFit` order; ordinals survival 0, sandbox 1, attack 2, pvp 3, editor 4.
        let r = Rules::read_json(&self.meta.rules_json, Build::V159).unwrap_or_default();
        if r.pvp {
            3
        } else if r.editor {
            4
        } else if r.attack_mode {
            2
        } else {
            u8::from(r.infinite_resources)
        }
    }
}

impl LoadedWorld {
    /// Builds the simulation and its IO from a loaded world.
    pub fn into_parts(self, tick_rate: u32) -> (Sim, MsavIo) {
        let next_id = self.units.iter().map(|u| u.id.saturating_add(1)).fold(self.next_entity_id, i32::max);
        let mut sim = Sim::new(self.grid, self.rules, self.state, tick_rate, next_id);
        sim.logic.markers = self.markers;
        for u in self.units {
            sim.restore_unit(u);
        }
        (
            sim,
            MsavIo {
                names: self.names,
                meta: WorldMeta { name: self.name, rules_json: self.rules_json },
                cache: None,
                generation: 0,
                streams: Default::default(),
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use multidustry_protocol::io::Writer;

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
}
