//! Mindustry worlds: msav maps and saves, content tables per build, the world stream, the generated default
//! world, and a top-down renderer.
//!
//! Owns every world file format this project reads or writes. Does not own the simulation (gameserver) or the
//! packet codec (multidustry-protocol, whose `io`/`typeio` this crate builds on).
//!
//! # API (what other crates call)
//!
//! ```text
//! World::load(path) / World::read_msav(&bytes)     msav (save versions 2..13) -> World
//! world.write_msav(13 | 11)                         World -> msav bytes (159 writes 13, 154 writes 11)
//! world.world_stream(build, &StreamParams)          World -> NetworkIO.writeWorld bytes (zlib), per build
//! WorldStream::read(&inflated, build)               world stream -> WorldStream (tiles, tags, player, ...)
//! generate::generate(seed, width, height)           deterministic default world (core shard, ores, spawn)
//! ContentTable::for_build(build)                    native names <-> ids, block size/class/core capacity
//! Translation::new(&world.content, build)           a world's own ids -> a build's native ids (by name)
//! world.to_native(build)                            the whole world re-keyed to a build's native ids
//! world.host_rules(mode, build)                    typed Rules as the Java server hosts the map (waves, teams, ...)
//! world.saved_rules(build)                          typed Rules as stored (a save's state.rules)
//! world.block_name(id), world.name(), world.info()  queries; render::render_png(&world) for pictures
//! ```
//!
//! Ids inside a [`World`] are the ids of its own content header ([`World::content`]), exactly as the file
//! stores them. The world stream re-emits that header together with the raw ids and raw building records
//! (protocol spec §6.1 strategy b), so one world serves clients of both builds; every *other* packet must use
//! the client's native ids: translate with [`content::Translation`].
//!
//! Invariants: readers never panic and never allocate beyond what the input can back (inflate stops at
//! [`msav::MAX_INFLATED`], maps at [`tiles::MAX_TILES`]); building records the server does not model stay
//! verbatim (save versions 1–3: converted to the modern layout on read), so load → save loses nothing.

pub mod arcjson;
pub mod content;
#[rustfmt::skip]
mod content_gen;
mod error;
pub mod generate;
pub mod msav;
pub mod objectmap;
pub mod render;
pub mod rules;
pub mod stream;
pub mod tiles;
mod ubjson;

pub use content::{ContentHeader, ContentTable, ContentType, Translation};
pub use error::WorldError;
pub use msav::{BlockPlan, DataPatches, EntityChunk, TeamPlans};
pub use multidustry_protocol::build::Build;
pub use rules::{Gamemode, Rules, SpawnGroup, TeamRule};
pub use stream::{PlayerRecord, StreamParams, WorldStream};
pub use tiles::{Building, BuildingBase, ConfigId, ContentKind, TileData, Tiles};

/// A world as a save file holds it: meta tags, content header, tiles and buildings, team plans, entities,
/// markers and custom chunks. Ids are those of [`World::content`].
#[derive(Debug, Clone, PartialEq)]
pub struct World {
    /// Save version it was read from (or will be written as by default).
    pub version: i32,
    /// Meta string map, in file order (`name`, `author`, `rules`, `wave`, …).
    pub meta: Vec<(String, String)>,
    /// Data patches.
    pub patches: DataPatches,
    /// The content header the ids refer to.
    pub content: ContentHeader,
    /// Tiles and buildings.
    pub tiles: Tiles,
    /// Custom entity class mapping (mods; empty for vanilla).
    pub entity_mapping: Vec<(i16, String)>,
    /// Team rebuild plans.
    pub teams: Vec<TeamPlans>,
    /// Saved entities, verbatim.
    pub entities: Vec<EntityChunk>,
    /// Markers region (UBJSON), `{}` when none.
    pub markers: Vec<u8>,
    /// Custom chunks `(name, bytes)`.
    pub custom: Vec<(String, Vec<u8>)>,
}

/// Summary of a world for listings (`multidustry map info`).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct WorldInfo {
    /// Map name (`name` tag, else `mapname`).
    pub name: String,
    /// `author` tag.
    pub author: String,
    /// `description` tag.
    pub description: String,
    /// Width in tiles.
    pub width: u16,
    /// Height in tiles.
    pub height: u16,
    /// Save version.
    pub version: i32,
    /// Rules JSON as stored.
    pub rules: String,
    /// Meta tag keys.
    pub tags: Vec<String>,
    /// Tiles whose block is not air.
    pub block_count: usize,
    /// Building records.
    pub building_count: usize,
    /// Buildings per team id.
    pub buildings_by_team: std::collections::BTreeMap<u8, usize>,
    /// Saved entities.
    pub entity_count: usize,
}

impl World {
    /// The value of meta tag `key`.
    pub fn tag(&self, key: &str) -> Option<&str> {
        self.meta.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// Sets (or adds) meta tag `key`.
    pub fn set_tag(&mut self, key: &str, value: impl Into<String>) {
        let value = value.into();
        match self.meta.iter_mut().find(|(k, _)| k == key) {
            Some(e) => e.1 = value,
            None => self.meta.push((key.to_owned(), value)),
        }
    }

    /// Map name: the `name` tag, else `mapname`, else "unknown".
    pub fn name(&self) -> &str {
        self.tag("name").or_else(|| self.tag("mapname")).unwrap_or("unknown")
    }

    /// Rules JSON as stored (`rules` tag), `{}` if absent. For the typed rules see [`World::host_rules`] and
    /// [`World::saved_rules`].
    pub fn rules(&self) -> &str {
        self.tag("rules").unwrap_or("{}")
    }

    /// The rules the Java server plays this world with when it hosts it as a map in `mode`
    /// (`Map.applyRules` plus the server's default global rules; see [`rules`]): default waves when the map
    /// has none, team rules for the default and wave teams.
    pub fn host_rules(&self, mode: Gamemode, build: Build) -> Rules {
        Rules::for_map(self.rules(), mode, build)
    }

    /// The rules exactly as stored (what loading a save gives: `JsonIO.read(Rules.class, rules)`); a `rules`
    /// tag that does not parse gives `new Rules()`.
    pub fn saved_rules(&self, build: Build) -> Rules {
        Rules::read_json(self.rules(), build).unwrap_or_default()
    }

    /// Name of block id `id` in this world's header.
    pub fn block_name(&self, id: u16) -> Option<&str> {
        self.content.name(ContentType::BLOCK, id)
    }

    /// This world with every content id translated to `build`'s native ids and the native content header:
    /// floors, overlays, blocks, team-plan blocks, the item/liquid ids of building item and liquid modules
    /// (records in the current base layout), and the content ids inside block-class tails listed at
    /// [`Building::config_ids`] (sorters, unloaders, item and liquid sources, duct routers, construction sites,
    /// conveyor item stacks, item-turret ammo, payload-router sort configs, constructor recipes, unit-factory and
    /// reconstructor commands, block payloads with their nested item/liquid modules). Ids elsewhere (unit
    /// payloads, the class tail of a nested payload record, unit-factory plan indices, `PayloadSource`
    /// configs) are not translated: they stay correct only where the file's ids equal the native ones (true for
    /// every map saved by the same build). Team-plan configs keep their content objects as they are (`TypeIO`
    /// objects name content by type and id; see the protocol crate).
    pub fn to_native(&self, build: Build) -> World {
        let tr = Translation::new(&self.content, build);
        let facts = ContentTable::for_build(Build::V159);
        let mut w = self.clone();
        for (&index, b) in w.tiles.buildings.iter_mut() {
            let Some(class) = self
                .tiles
                .block
                .get(index as usize)
                .and_then(|&id| self.block_name(id))
                .and_then(|n| facts.block_by_name(n))
                .map(|f| f.class)
            else {
                continue;
            };
            for c in b.config_ids(class) {
                let Some(id) = b.config_id(&c).and_then(|id| u16::try_from(id).ok()) else { continue };
                let ty = match c.kind {
                    tiles::ContentKind::Item => ContentType::ITEM,
                    tiles::ContentKind::Liquid => ContentType::LIQUID,
                    tiles::ContentKind::Block => ContentType::BLOCK,
                    tiles::ContentKind::UnitCommand => ContentType::UNIT_COMMAND,
                    tiles::ContentKind::Unit => ContentType::UNIT,
                };
                let native = i16::try_from(tr.get(ty, id)).unwrap_or(-1);
                b.set_config_id(&c, native);
            }
        }
        w.content = ContentHeader::native(build);
        for v in [&mut w.tiles.floor, &mut w.tiles.overlay, &mut w.tiles.block] {
            for id in v.iter_mut() {
                *id = tr.block(*id);
            }
        }
        for t in &mut w.teams {
            for p in &mut t.plans {
                p.block = i16::try_from(tr.block(u16::try_from(p.block).unwrap_or(0))).unwrap_or(0);
            }
        }
        for b in w.tiles.buildings.values_mut() {
            let Some(m) = b.modules() else { continue };
            for (offsets, ty) in [(&m.items, ContentType::ITEM), (&m.liquids, ContentType::LIQUID)] {
                for &off in offsets {
                    if let Some(slot) = b.record.get_mut(off..off + 2) {
                        let id = u16::from_be_bytes([slot[0], slot[1]]);
                        slot.copy_from_slice(&tr.get(ty, id).to_be_bytes());
                    }
                }
            }
        }
        w
    }

    /// Summary for listings.
    pub fn info(&self) -> WorldInfo {
        let mut by_team = std::collections::BTreeMap::new();
        for b in self.tiles.buildings.values() {
            if let Some(t) = b.team() {
                *by_team.entry(t).or_insert(0) += 1;
            }
        }
        WorldInfo {
            name: self.name().to_owned(),
            author: self.tag("author").unwrap_or("").to_owned(),
            description: self.tag("description").unwrap_or("").to_owned(),
            width: self.tiles.width,
            height: self.tiles.height,
            version: self.version,
            rules: self.rules().to_owned(),
            tags: self.meta.iter().map(|(k, _)| k.clone()).collect(),
            block_count: self.tiles.block.iter().filter(|b| **b != 0).count(),
            building_count: self.tiles.buildings.len(),
            buildings_by_team: by_team,
            entity_count: self.entities.len(),
        }
    }
}
