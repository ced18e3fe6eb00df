//! World files and the world stream for this server's [`Grid`]: the generated default world (from the world
//! crate), the `.msav`
//! snapshot writer/reader (format 13, readable from format 10 on), and `NetworkIO.writeWorld` per client build.
//!
//! Owns: converting between the grid and the save/stream layouts of protocol spec §6 and §8 (with
//! `shared/data/protocol/ERRATA.md`: build 154 streams have no data-patch prefix and carry a `u8` content-patch
//! count after the content header; 159 streams start with `i32 2, i32 0`), the building records of the blocks
//! this server simulates (`writeBase` + class tail), and the block-name table the content header needs.
//!
//! Content ids: the grid uses build-159 ids for every block in [`NAMES`]; blocks of a loaded map that are not in
//! it get ids from [`DYNAMIC_BASE`] on, remembered by name, and their building records are kept as raw bytes and
//! re-emitted unchanged. Every file and stream written here carries its own content header listing exactly the
//! blocks used, so a client maps everything by name (§6.1 strategy b) and the same map bytes serve both builds.
//!
//! Maps older than format 10 are read with the world crate's reader (`multidustry_world::World`) and converted
//! by block name; block names, sizes and classes come from its build-159 content table. Partial: buildings of
//! save formats 1–3 (legacy records) are dropped; units are not saved (core units respawn with their players).
//!
//! Invariants: readers never panic and never allocate from an untrusted length beyond the bytes present; a
//! snapshot is written to a temporary file and renamed, so a crash leaves the previous snapshot intact.

use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Write};
use std::path::Path;

use multidustry_protocol::io::{DecodeError, Reader, Writer};
use multidustry_world::{Build, ContentTable, ContentType};

use crate::blocks::{self, id};
use crate::grid::{self, Building, Grid};
use crate::sim::{GameState, PlayerState, Sim, SimRules};
use crate::sync;
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

/// Content header listing the used blocks: returns (header bytes, map id → header-local id).
fn content_header(grid: &Grid, names: &BlockNames) -> Result<(Vec<u8>, HashMap<u16, i16>), WorldIoError> {
    let mut used: Vec<u16> = vec![0];
    for y in 0..grid.height() {
        for x in 0..grid.width() {
            if let Some(t) = grid.tile(x, y) {
                used.extend([t.floor, t.overlay, t.block]);
            }
        }
    }
    used.sort_unstable();
    used.dedup();
    let local: HashMap<u16, i16> = used.iter().enumerate().map(|(i, &b)| (b, i as i16)).collect();
    let mut w = Writer::new();
    w.u8(1).i8(1).i16(used.len() as i16);
    for b in &used {
        w.jutf(names.name(*b)).map_err(|e| WorldIoError::Unsupported(e.to_string()))?;
    }
    Ok((w.into_inner(), local))
}

/// `writeBase` + tail of a building this server simulates (None: keep the raw record).
fn building_record(b: &Building) -> Vec<u8> {
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

/// The map region (§8.4, format ≥ 10 layout) in header-local ids.
fn map_region(grid: &Grid, local: &HashMap<u16, i16>) -> Vec<u8> {
    let (wd, ht) = (grid.width(), grid.height());
    let total = (wd * ht) as usize;
    let at = |i: usize| grid.tile(i as i32 % wd, i as i32 / wd).copied().unwrap_or_default();
    let id = |b: u16| local.get(&b).copied().unwrap_or(0);
    let mut w = Writer::with_capacity(total * 2);
    w.u16(wd as u16).u16(ht as u16);
    let mut i = 0;
    while i < total {
        let t = at(i);
        let mut run = 0usize;
        while i + run + 1 < total && run < 255 {
            let n = at(i + run + 1);
            if n.floor != t.floor || n.overlay != t.overlay {
                break;
            }
            run += 1;
        }
        w.i16(id(t.floor)).i16(id(t.overlay)).u8(run as u8);
        i += run + 1;
    }
    // Construction sites are written as air: a client joining mid-construction sees the result on finish.
    let effective = |t: grid::Tile| -> (u16, Option<i32>) {
        match t.building.and_then(|p| grid.building(p).map(|b| (p, b))) {
            Some((p, b)) if b.construction.is_none() => (t.block, Some(p)),
            Some(_) => (0, None),
            None => (t.block, None),
        }
    };
    let mut i = 0;
    while i < total {
        let t = at(i);
        let (block, building) = effective(t);
        w.i16(id(block));
        match building {
            Some(pos) => {
                w.u8(1);
                let (x, y) = (i as i32 % wd, i as i32 / wd);
                let center = grid::pack(x, y) == pos;
                w.bool(center);
                if center && let Some(b) = grid.building(pos) {
                    let rec = building_record(b);
                    w.i32(rec.len() as i32).bytes(&rec);
                }
                i += 1;
            }
            None => {
                w.u8(0);
                let mut run = 0usize;
                while i + run + 1 < total && run < 255 {
                    let (nb, nbuild) = effective(at(i + run + 1));
                    if nb != block || nbuild.is_some() {
                        break;
                    }
                    run += 1;
                }
                w.u8(run as u8);
                i += run + 1;
            }
        }
    }
    w.into_inner()
}

fn team_plans(grid: &Grid) -> Vec<u8> {
    let mut w = Writer::new();
    let teams = grid.core_teams();
    w.i32(teams.len() as i32);
    for t in teams {
        w.i32(i32::from(t)).i32(0);
    }
    w.into_inner()
}

fn string_map(w: &mut Writer, pairs: &[(&str, String)]) -> Result<(), WorldIoError> {
    w.i16(pairs.len() as i16);
    for (k, v) in pairs {
        w.jutf(k).map_err(|e| WorldIoError::Unsupported(e.to_string()))?;
        w.jutf(v).map_err(|e| WorldIoError::Unsupported(e.to_string()))?;
    }
    Ok(())
}

fn deflate(bytes: &[u8]) -> Result<Vec<u8>, WorldIoError> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::with_capacity(bytes.len() / 4), flate2::Compression::fast());
    e.write_all(bytes)?;
    Ok(e.finish()?)
}

/// Metadata of a world that is not in the grid.
#[derive(Debug, Clone)]
pub struct WorldMeta {
    /// Map name.
    pub name: String,
    /// Rules JSON.
    pub rules_json: String,
}

/// `NetworkIO.writeWorld` for `player` in its build's layout, zlib-deflated.
pub fn world_stream(
    sim: &Sim,
    names: &BlockNames,
    meta: &WorldMeta,
    player: &PlayerState,
) -> Result<Vec<u8>, WorldIoError> {
    let (header, local) = content_header(&sim.grid, names)?;
    let map = map_region(&sim.grid, &local);
    world_stream_with(sim, meta, player, &header, &map)
}

/// [`world_stream`] with the content header and map region already encoded (they only depend on the grid).
fn world_stream_with(
    sim: &Sim,
    meta: &WorldMeta,
    player: &PlayerState,
    header: &[u8],
    map: &[u8],
) -> Result<Vec<u8>, WorldIoError> {
    let grid = &sim.grid;
    let build = player.build;
    let mut w = Writer::with_capacity(64 * 1024);
    if build >= 159 {
        w.i32(2).i32(0); // data patches: format 2, no assets
    }
    w.jutf(&meta.rules_json).map_err(|e| WorldIoError::Unsupported(e.to_string()))?;
    w.jutf("{}").map_err(|e| WorldIoError::Unsupported(e.to_string()))?;
    string_map(
        &mut w,
        &[
            ("name", meta.name.clone()),
            ("width", grid.width().to_string()),
            ("height", grid.height().to_string()),
            ("rules", meta.rules_json.clone()),
        ],
    )?;
    w.i32(sim.state.wave).f32(sim.state.wave_countdown).f64(sim.state.tick);
    w.i64(sim.state.rand.0).i64(sim.state.rand.1);
    w.i32(player.id);
    sync::write_player_save(&mut w, player, build);
    w.bytes(header);
    if build < 159 {
        w.u8(0); // content patches (builds before 159)
    }
    w.bytes(map);
    w.bytes(&team_plans(grid));
    w.u8(0x7b).u8(0x7d); // markers: {}
    w.i32(0); // custom chunks
    deflate(w.as_slice())
}

/// Writes an `.msav` (format 13) snapshot of the world to `path` (temp file + rename).
pub fn save(sim: &Sim, names: &BlockNames, meta: &WorldMeta, path: &Path) -> Result<(), WorldIoError> {
    let grid = &sim.grid;
    let mut out = Writer::with_capacity(64 * 1024);
    out.bytes(b"MSAV").i32(13);
    let region = |out: &mut Writer, body: &[u8]| {
        out.i32(body.len() as i32).bytes(body);
    };
    let mut m = Writer::new();
    string_map(
        &mut m,
        &[
            ("name", meta.name.clone()),
            ("mapname", meta.name.clone()),
            ("width", grid.width().to_string()),
            ("height", grid.height().to_string()),
            ("rules", meta.rules_json.clone()),
            ("wave", sim.state.wave.to_string()),
            ("wavetime", sim.state.wave_countdown.to_string()),
            ("tick", sim.state.tick.to_string()),
            ("build", "159".into()),
            ("multidustry.next-entity-id", sim.next_entity_id().to_string()),
            ("multidustry.rand", format!("{} {}", sim.state.rand.0, sim.state.rand.1)),
        ],
    )?;
    region(&mut out, m.as_slice());
    let mut p = Writer::new();
    p.i32(2).i32(0);
    region(&mut out, p.as_slice());
    let (header, local) = content_header(grid, names)?;
    region(&mut out, &header);
    region(&mut out, &map_region(grid, &local));
    let mut e = Writer::new();
    e.i16(0).bytes(&team_plans(grid)).i32(0);
    region(&mut out, e.as_slice());
    region(&mut out, b"{}");
    let mut c = Writer::new();
    c.i32(0);
    region(&mut out, c.as_slice());
    let data = deflate(out.as_slice())?;
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

/// Most decompressed bytes accepted from one file (the largest official maps inflate to a few MB).
pub const MAX_INFLATED: u64 = 256 << 20;

/// Reads an `.msav` (format 10–13) from bytes.
pub fn load(bytes: &[u8]) -> Result<LoadedWorld, WorldIoError> {
    let mut raw = Vec::new();
    flate2::read::ZlibDecoder::new(bytes).take(MAX_INFLATED).read_to_end(&mut raw)?;
    let mut r = Reader::new(&raw);
    if r.bytes(4)? != b"MSAV" {
        return Err(WorldIoError::Unsupported("not an msav file (no MSAV magic)".into()));
    }
    let version = r.i32()?;
    if !(10..=13).contains(&version) {
        return load_with_world_crate(bytes);
    }
    let region = |r: &mut Reader<'_>| -> Result<Vec<u8>, WorldIoError> {
        let n = r.i32()?;
        if n < 0 {
            return Err(DecodeError::Invalid { what: "region length", value: i64::from(n) }.into());
        }
        Ok(r.bytes(n as usize)?.to_vec())
    };
    let meta = region(&mut r)?;
    let content;
    if version >= 12 {
        let _patches = region(&mut r)?;
        content = region(&mut r)?;
    } else {
        content = region(&mut r)?;
        if version == 11 {
            let _patches = region(&mut r)?;
        }
    }
    let map = region(&mut r)?;
    let meta = read_string_map(&meta)?;
    let mut names = BlockNames::builtin();
    let header = read_block_header(&content, &mut names)?;
    let grid = read_map(&map, &header)?;
    let get = |k: &str| meta.get(k).cloned();
    let rules_json = get("rules").unwrap_or_else(|| "{}".into());
    let mut state = GameState::default();
    if let Some(w) = get("wave").and_then(|v| v.parse().ok()) {
        state.wave = w;
    }
    if let Some(w) = get("wavetime").and_then(|v| v.parse().ok()) {
        state.wave_countdown = w;
    }
    if let Some(t) = get("tick").and_then(|v| v.parse().ok()) {
        state.tick = t;
    }
    if let Some((a, b)) = get("multidustry.rand").as_deref().and_then(|v| v.split_once(' '))
        && let (Ok(a), Ok(b)) = (a.parse(), b.parse())
    {
        state.rand = (a, b);
    }
    Ok(LoadedWorld {
        grid,
        names,
        state,
        rules: rules_from_json(&rules_json),
        rules_json,
        name: get("name").or_else(|| get("mapname")).unwrap_or_else(|| "Unnamed".into()),
        next_entity_id: get("multidustry.next-entity-id").and_then(|v| v.parse().ok()).unwrap_or(1),
    })
}

/// Older save formats (2–9) through the world crate's reader, converted to a grid by block name.
fn load_with_world_crate(bytes: &[u8]) -> Result<LoadedWorld, WorldIoError> {
    let world = multidustry_world::World::read_msav(bytes).map_err(|e| WorldIoError::Unsupported(format!("{e}")))?;
    Ok(from_world(&world))
}

/// Converts a world crate [`multidustry_world::World`] (ids of its own content header) into a grid with
/// build-159 ids, by block name.
pub fn from_world(world: &multidustry_world::World) -> LoadedWorld {
    let mut names = BlockNames::builtin();
    let ids: Vec<u16> = world.content.names(ContentType::BLOCK).iter().map(|n| names.id_of(legacy_name(n))).collect();
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
        let building = parse_building(block, &b.record);
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
    LoadedWorld {
        grid,
        names,
        state,
        rules: rules_from_json(&rules_json),
        rules_json,
        name: world.name().to_string(),
        next_entity_id: 1,
    }
}

fn read_string_map(bytes: &[u8]) -> Result<HashMap<String, String>, WorldIoError> {
    let mut r = Reader::new(bytes);
    let n = r.i16()?.max(0);
    let mut m = HashMap::new();
    for _ in 0..n {
        let k = r.jutf()?;
        let v = r.jutf()?;
        m.insert(k, v);
    }
    Ok(m)
}

/// Reads the content header; returns the file's block id → grid id table.
fn read_block_header(bytes: &[u8], names: &mut BlockNames) -> Result<Vec<u16>, WorldIoError> {
    let mut r = Reader::new(bytes);
    let types = r.u8()?;
    let mut blocks_table = Vec::new();
    for _ in 0..types {
        let kind = r.i8()?;
        let n = r.i16()?.max(0) as usize;
        if n > r.remaining() {
            return Err(DecodeError::TooLarge { what: "content count", value: n, limit: r.remaining() }.into());
        }
        let mut list = Vec::with_capacity(n);
        for _ in 0..n {
            list.push(r.jutf()?);
        }
        if kind == 1 {
            blocks_table = list.iter().map(|name| names.id_of(legacy_name(name))).collect();
        }
    }
    Ok(blocks_table)
}

/// `SaveFileReader` legacy block renames (the common ones).
fn legacy_name(name: &str) -> &str {
    match name {
        "rocks" => "stone-wall",
        "sporerocks" => "spore-wall",
        "icerocks" => "ice-wall",
        "deepwater" => "deep-water",
        "water" => "shallow-water",
        "sand" => "sand-floor",
        "ignarock" => "basalt",
        "holostone" => "dacite",
        "slag" => "molten-slag",
        "craters" => "crater-stone",
        other => other,
    }
}

fn read_map(bytes: &[u8], header: &[u16]) -> Result<Grid, WorldIoError> {
    let mut r = Reader::new(bytes);
    let (wd, ht) = (r.u16()?, r.u16()?);
    if wd == 0 || ht == 0 || u32::from(wd) * u32::from(ht) > 4_000_000 {
        return Err(WorldIoError::Unsupported(format!("map size {wd}x{ht}")));
    }
    let map_id = |id: i16| -> u16 { header.get(id.max(0) as usize).copied().unwrap_or(0) };
    let mut grid = Grid::new(wd, ht, 33);
    environment(&mut grid);
    let total = usize::from(wd) * usize::from(ht);
    let w = i32::from(wd);
    let mut i = 0;
    while i < total {
        let floor = map_id(r.i16()?);
        let overlay = map_id(r.i16()?);
        let run = usize::from(r.u8()?);
        for j in i..(i + run + 1).min(total) {
            if let Some(t) = grid.tile_mut(j as i32 % w, j as i32 / w) {
                t.floor = if floor == 0 { 33 } else { floor };
                t.overlay = overlay;
            }
        }
        i += run + 1;
    }
    let mut i = 0;
    while i < total {
        let block = map_id(r.i16()?);
        let flags = r.u8()?;
        if flags & 4 != 0 {
            r.skip(7)?;
        }
        let (x, y) = (i as i32 % w, i as i32 / w);
        if flags & 1 != 0 {
            let center = r.bool()?;
            if center {
                let n = r.i32()?;
                if n < 0 {
                    return Err(DecodeError::Invalid { what: "building chunk length", value: i64::from(n) }.into());
                }
                let record = r.bytes(n as usize)?;
                let size = block_size(block);
                let b = parse_building(block, record);
                if size == 1 || !grid.put(x, y, size, b.clone()) {
                    // Unknown multi-tile blocks: occupy the origin tile; the covered tiles keep their block id.
                    grid.put(x, y, 1, b);
                }
            } else if let Some(t) = grid.tile_mut(x, y)
                && t.building.is_none()
            {
                t.block = block;
            }
            i += 1;
        } else if flags & 4 != 0 {
            grid.set_static(x, y, block);
            i += 1;
        } else {
            let run = usize::from(r.u8()?);
            for j in i..(i + run + 1).min(total) {
                grid.set_static(j as i32 % w, j as i32 / w, block);
            }
            i += run + 1;
        }
    }
    Ok(grid)
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

/// [`crate::host::WorldIo`] over this module. Keeps the encoded content header and map region of the last
/// grid version, so a burst of joins on an unchanged world encodes the map once.
#[derive(Debug, Clone)]
pub struct MsavIo {
    /// Block names of the world.
    pub names: BlockNames,
    /// Name and rules.
    pub meta: WorldMeta,
    cache: Option<(u64, Vec<u8>, Vec<u8>)>,
}

impl crate::host::WorldIo for MsavIo {
    fn world_stream(&mut self, sim: &Sim, player: &PlayerState) -> Result<Vec<u8>, String> {
        let version = sim.grid.version();
        if self.cache.as_ref().is_none_or(|(v, _, _)| *v != version) {
            let (header, local) = content_header(&sim.grid, &self.names).map_err(|e| e.to_string())?;
            let map = map_region(&sim.grid, &local);
            self.cache = Some((version, header, map));
        }
        let Some((_, header, map)) = &self.cache else { return Err("no cached map".into()) };
        world_stream_with(sim, &self.meta, player, header, map).map_err(|e| e.to_string())
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
