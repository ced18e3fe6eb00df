//! The world stream (`NetworkIO.writeWorld` / `loadWorld`, §6 with ERRATA B) for builds 159 and 154.
//!
//! Owns: [`WorldStream`] (every field of the stream), its reader and writer per [`Build`], the player record
//! ([`PlayerRecord`], `Player.write`: revision 2 in 159, revision 1 with no selected block/rotation in 154), and
//! building a stream from a [`World`] ([`World::world_stream`]).
//!
//! Layout: 159 = data patches (`i32 2, i32 n, …`), rules, locales, tags, wave, wavetime, tick, seeds, player
//! id, player, content header, map, team plans, markers (bare UBJSON), custom chunks. 154 = the same without
//! the data-patch prefix and with `u8` content patches right after the content header.
//!
//! Does not own: chunking into StreamBegin/StreamChunk packets (protocol crate).
//!
//! Invariants: the reader consumes exactly the inflated bytes; write-then-read gives back an equal stream.

use multidustry_protocol::build::Build;
use multidustry_protocol::entity::PlayerSync;
use multidustry_protocol::io::{DecodeError, Reader, Writer};
use multidustry_protocol::typeio::UnitRef;

use crate::content::ContentHeader;
use crate::error::Section;
use crate::msav::{self, DataPatches, TeamPlans};
use crate::tiles::{MapLayout, Tiles};
use crate::{World, WorldError};

/// The receiving player's entity as the stream carries it (`Player.write`): the fields of the protocol crate's
/// [`PlayerSync`] plus `last_command`. The wire layout lives once, in `PlayerSync::{decode_save, encode_save}`;
/// this flat struct is the world crate's view of it (convert with [`PlayerRecord::to_sync`] / `From`).
#[derive(Debug, Clone, PartialEq)]
pub struct PlayerRecord {
    /// Admin flag.
    pub admin: bool,
    /// Boosting.
    pub boosting: bool,
    /// Colour, RGBA8888.
    pub color: i32,
    /// Last unit command id, 255 = none.
    pub last_command: u8,
    /// Mouse x (world units).
    pub mouse_x: f32,
    /// Mouse y.
    pub mouse_y: f32,
    /// Name (TypeIO string; `None` = null).
    pub name: Option<String>,
    /// Selected block id (native), -1 = none. Not in build 154.
    pub selected_block: i16,
    /// Selected rotation. Not in build 154.
    pub selected_rotation: i32,
    /// Shooting.
    pub shooting: bool,
    /// Team id.
    pub team: u8,
    /// Typing.
    pub typing: bool,
    /// Controlled unit.
    pub unit: UnitRef,
    /// Position x (world units).
    pub x: f32,
    /// Position y.
    pub y: f32,
}

impl PlayerRecord {
    /// A fresh player as the Java server writes one at join: given name, team and colour, everything else
    /// zero/none.
    pub fn new(name: &str, team: u8, color: i32) -> Self {
        Self {
            admin: false,
            boosting: false,
            color,
            last_command: 255,
            mouse_x: 0.0,
            mouse_y: 0.0,
            name: Some(name.to_owned()),
            selected_block: -1,
            selected_rotation: 0,
            shooting: false,
            team,
            typing: false,
            unit: UnitRef::default(),
            x: 0.0,
            y: 0.0,
        }
    }

    /// Reads the record of `build` (the layout lives in the protocol crate: [`PlayerSync::decode_save`]).
    pub fn read(r: &mut Reader<'_>, build: Build) -> Result<Self, DecodeError> {
        let (sync, last_command) = PlayerSync::decode_save(r, build)?;
        let mut p = Self::from(sync);
        p.last_command = last_command;
        if build == Build::V154 {
            // Not in 154's record: keep the "none" values `new` uses.
            p.selected_block = -1;
        }
        Ok(p)
    }

    /// Writes the record of `build` ([`PlayerSync::encode_save`]).
    pub fn write(&self, w: &mut Writer, build: Build) -> Result<(), WorldError> {
        self.to_sync().encode_save(w, build, self.last_command)?;
        Ok(())
    }

    /// The same player as an entity-snapshot record's fields (everything but `last_command`).
    pub fn to_sync(&self) -> PlayerSync {
        PlayerSync {
            admin: self.admin,
            boosting: self.boosting,
            color: self.color,
            mouse_x: self.mouse_x,
            mouse_y: self.mouse_y,
            name: self.name.clone(),
            selected_block: self.selected_block,
            selected_rotation: self.selected_rotation,
            shooting: self.shooting,
            team: self.team,
            typing: self.typing,
            unit: self.unit,
            x: self.x,
            y: self.y,
        }
    }
}

impl From<PlayerSync> for PlayerRecord {
    /// The save record of a synced player, with no last command.
    fn from(p: PlayerSync) -> Self {
        Self {
            admin: p.admin,
            boosting: p.boosting,
            color: p.color,
            last_command: 255,
            mouse_x: p.mouse_x,
            mouse_y: p.mouse_y,
            name: p.name,
            selected_block: p.selected_block,
            selected_rotation: p.selected_rotation,
            shooting: p.shooting,
            team: p.team,
            typing: p.typing,
            unit: p.unit,
            x: p.x,
            y: p.y,
        }
    }
}

/// Everything a world stream carries.
#[derive(Debug, Clone, PartialEq)]
pub struct WorldStream {
    /// Data patches (build 159 prefix; `None` for 154).
    pub data_patches: Option<DataPatches>,
    /// Rules JSON.
    pub rules: String,
    /// Map locales JSON.
    pub locales: String,
    /// Map tags.
    pub tags: Vec<(String, String)>,
    /// Current wave.
    pub wave: i32,
    /// Wave countdown (ticks).
    pub wavetime: f32,
    /// Game tick counter.
    pub tick: f64,
    /// Logic RNG state.
    pub seed0: i64,
    /// Logic RNG state.
    pub seed1: i64,
    /// The receiving player's entity id.
    pub player_id: i32,
    /// The receiving player's entity.
    pub player: PlayerRecord,
    /// Content header for the map and team plans.
    pub content: ContentHeader,
    /// Content patches after the header (build 154; `None` for 159).
    pub content_patches: Option<DataPatches>,
    /// Tiles and buildings.
    pub tiles: Tiles,
    /// Team plans.
    pub teams: Vec<TeamPlans>,
    /// Markers (UBJSON), verbatim.
    pub markers: Vec<u8>,
    /// Custom chunks allowed for the network.
    pub custom: Vec<(String, Vec<u8>)>,
}

impl WorldStream {
    /// Reads an inflated stream of `build`; every byte must be consumed.
    pub fn read(inflated: &[u8], build: Build) -> Result<Self, WorldError> {
        let mut r = Reader::new(inflated);
        let r = &mut r;
        let data_patches =
            if build == Build::V159 { Some(msav::read_data_patches(r, false).section("data patches")?) } else { None };
        let rules = r.jutf().section("rules")?;
        let locales = r.jutf().section("locales")?;
        let tags = msav::read_string_map(r).section("tags")?;
        let wave = r.i32().section("state")?;
        let wavetime = r.f32().section("state")?;
        let tick = r.f64().section("state")?;
        let seed0 = r.i64().section("state")?;
        let seed1 = r.i64().section("state")?;
        let player_id = r.i32().section("player")?;
        let player = PlayerRecord::read(r, build).section("player")?;
        let content = ContentHeader::read(r).section("content")?;
        let content_patches =
            if build == Build::V154 { Some(msav::read_content_patches(r).section("content patches")?) } else { None };
        let tiles = Tiles::read(r, MapLayout::Modern, &|_| None).section("map")?;
        let teams = msav::read_team_plans(r, false).section("team plans")?;
        let start = r.position();
        let rest = r.rest();
        crate::ubjson::skip_value(r).section("markers")?;
        let markers = rest[..r.position() - start].to_vec();
        let custom = msav::read_custom(r).section("custom")?;
        r.finish().section("world stream end")?;
        Ok(Self {
            data_patches,
            rules,
            locales,
            tags,
            wave,
            wavetime,
            tick,
            seed0,
            seed1,
            player_id,
            player,
            content,
            content_patches,
            tiles,
            teams,
            markers,
            custom,
        })
    }

    /// Reads a zlib-compressed stream (as carried by StreamChunks).
    pub fn read_compressed(bytes: &[u8], build: Build) -> Result<Self, WorldError> {
        Self::read(&msav::inflate(bytes, msav::MAX_INFLATED)?, build)
    }

    /// Writes the stream of `build`, not compressed.
    pub fn write(&self, build: Build) -> Result<Vec<u8>, WorldError> {
        let mut w = Writer::with_capacity(self.tiles.len() * 2 + 4096);
        if build == Build::V159 {
            let empty = DataPatches { format: 2, assets: Vec::new() };
            msav::write_data_patches(&mut w, self.data_patches.as_ref().unwrap_or(&empty))?;
        }
        w.jutf(&self.rules)?;
        w.jutf(&self.locales)?;
        msav::write_string_map(&mut w, &self.tags)?;
        w.i32(self.wave).f32(self.wavetime).f64(self.tick).i64(self.seed0).i64(self.seed1);
        w.i32(self.player_id);
        self.player.write(&mut w, build)?;
        self.content.write(&mut w)?;
        if build == Build::V154 {
            let empty = DataPatches { format: 2, assets: Vec::new() };
            msav::write_content_patches(&mut w, self.content_patches.as_ref().unwrap_or(&empty))?;
        }
        self.tiles.write(&mut w)?;
        msav::write_team_plans(&mut w, &self.teams)?;
        w.bytes(&self.markers);
        msav::write_custom(&mut w, &self.custom)?;
        Ok(w.into_inner())
    }
}

/// What a stream needs beyond the world itself.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamParams {
    /// The receiving player's entity id.
    pub player_id: i32,
    /// The receiving player's entity.
    pub player: PlayerRecord,
    /// Rules JSON; `None` = what the Java server sends when it hosts the world as a map in survival mode
    /// ([`World::host_rules`] written by [`crate::Rules::to_json`]). Pass the live rules for a running game or
    /// a loaded save.
    pub rules: Option<String>,
    /// Current wave; `None` = the `wave` tag, else 1.
    pub wave: Option<i32>,
    /// Wave countdown in ticks; `None` = the `wavetime` tag, else 2 minutes.
    pub wavetime: Option<f32>,
    /// Tick counter; `None` = the `tick` tag, else 0.
    pub tick: Option<f64>,
    /// Logic RNG state.
    pub seeds: (i64, i64),
}

impl StreamParams {
    /// Parameters for a joining player, everything else from the world's tags.
    pub fn new(player_id: i32, player: PlayerRecord) -> Self {
        Self { player_id, player, rules: None, wave: None, wavetime: None, tick: None, seeds: (0, 0) }
    }
}

impl World {
    /// Builds the stream a joining client of `build` receives (uncompressed fields; see [`World::world_stream`]).
    ///
    /// The world's own content header, ids and building records are sent as they are (§6.1 strategy b); the
    /// tags are the world's meta tags in the order the Java server's `StringMap` iterates them (per build, see
    /// [`crate::objectmap`]); team plans are the world's, with team 1 (sharded) added if missing, as
    /// `writeTeamBlocks` does. Markers and custom chunks are the world's (only `static-fog-data` is a network
    /// chunk in vanilla; others are left out).
    pub fn to_stream(&self, build: Build, p: &StreamParams) -> WorldStream {
        let num = |k: &str| self.tag(k).and_then(|v| v.parse::<f64>().ok());
        let mut teams = self.teams.clone();
        if !teams.iter().any(|t| t.team == 1) {
            teams.push(TeamPlans { team: 1, plans: Vec::new() });
        }
        WorldStream {
            data_patches: (build == Build::V159).then(|| self.patches.clone()),
            rules: p.rules.clone().unwrap_or_else(|| self.host_rules(crate::Gamemode::Survival, build).to_json()),
            locales: self.tag("locales").unwrap_or("{}").to_owned(),
            tags: crate::objectmap::string_map_order(&self.meta, build),
            wave: p.wave.unwrap_or_else(|| num("wave").map_or(1, |v| v as i32)),
            wavetime: p.wavetime.unwrap_or_else(|| num("wavetime").map_or(7200.0, |v| v as f32)),
            tick: p.tick.unwrap_or_else(|| num("tick").unwrap_or(0.0)),
            seed0: p.seeds.0,
            seed1: p.seeds.1,
            player_id: p.player_id,
            player: p.player.clone(),
            content: self.content.clone(),
            content_patches: (build == Build::V154).then(|| self.patches.clone()),
            tiles: self.tiles.clone(),
            teams,
            markers: self.markers.clone(),
            custom: self.custom.iter().filter(|(n, _)| n == "static-fog-data").cloned().collect(),
        }
    }

    /// The zlib-compressed world stream for a joining client of `build` (what StreamBegin/StreamChunk carry).
    pub fn world_stream(&self, build: Build, p: &StreamParams) -> Result<Vec<u8>, WorldError> {
        Ok(msav::deflate(&self.to_stream(build, p).write(build)?))
    }
}
