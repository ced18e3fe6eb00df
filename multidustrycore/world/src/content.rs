//! Content tables per client build (names ↔ ids, block sizes and classes) and content headers.
//!
//! Owns: [`ContentHeader`] (the msav/world-stream content region, §8.3), [`ContentTable`] (the native ids of
//! builds 159 and 154, generated into `content_gen.rs` from `shared/data`), [`Translation`] (a file's own ids →
//! a build's native ids, by name, through the game's legacy-rename table) and a few block facts the server needs
//! ([`BlockFacts`]: size, class, core item capacity, whether a block has a building).
//!
//! Does not own: building records (`world`), build costs (the simulation takes them from the Java source).
//!
//! Invariants: ids are positions in the per-type name lists; a header read from untrusted bytes is bounded by
//! the bytes present; unknown names translate to id 0 of their type, as the Java reader does.

use std::collections::HashMap;
use std::sync::OnceLock;

use multidustry_protocol::build::Build;
use multidustry_protocol::io::{DecodeError, Reader, Writer};

use crate::content_gen;

/// A content type ordinal (`mindustry.ctype.ContentType`). Unknown ordinals are kept as they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContentType(pub u8);

impl ContentType {
    /// `item`.
    pub const ITEM: Self = Self(0);
    /// `block` (floors, overlays, walls, buildings).
    pub const BLOCK: Self = Self(1);
    /// `liquid`.
    pub const LIQUID: Self = Self(4);
    /// `status`.
    pub const STATUS: Self = Self(5);
    /// `unit`.
    pub const UNIT: Self = Self(6);
    /// `weather`.
    pub const WEATHER: Self = Self(7);
    /// `sector`.
    pub const SECTOR: Self = Self(9);
    /// `planet`.
    pub const PLANET: Self = Self(13);
    /// `unitCommand`.
    pub const UNIT_COMMAND: Self = Self(16);
    /// `unitStance`.
    pub const UNIT_STANCE: Self = Self(17);
}

/// Most names one type of a content header may list (the format allows `i16`).
pub const MAX_NAMES_PER_TYPE: usize = i16::MAX as usize;

/// A content header: for each mapped type, the names in the order of the ids used by the file or stream.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ContentHeader {
    /// `(type, names)` in the order written.
    pub types: Vec<(ContentType, Vec<String>)>,
}

impl ContentHeader {
    /// Reads `u8 types, types × (i8 type, i16 n, n × JUTF)`.
    pub fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let count = r.u8()?;
        let mut types = Vec::with_capacity(usize::from(count));
        for _ in 0..count {
            let ty = ContentType(r.u8()?);
            let n = r.i16()?;
            let n =
                usize::try_from(n).map_err(|_| DecodeError::Invalid { what: "content name count", value: n.into() })?;
            // Each name takes at least two bytes.
            let mut names = Vec::with_capacity(n.min(r.remaining() / 2));
            for _ in 0..n {
                names.push(r.jutf()?);
            }
            types.push((ty, names));
        }
        Ok(Self { types })
    }

    /// Writes the header as [`ContentHeader::read`] reads it.
    pub fn write(&self, w: &mut Writer) -> Result<(), crate::WorldError> {
        let count = u8::try_from(self.types.len())
            .map_err(|_| crate::WorldError::too_large("content types", self.types.len()))?;
        w.u8(count);
        for (ty, names) in &self.types {
            let n =
                i16::try_from(names.len()).map_err(|_| crate::WorldError::too_large("content names", names.len()))?;
            w.u8(ty.0).i16(n);
            for name in names {
                w.jutf(name)?;
            }
        }
        Ok(())
    }

    /// The names listed for `ty` (empty if the type is absent).
    pub fn names(&self, ty: ContentType) -> &[String] {
        self.types.iter().find(|(t, _)| *t == ty).map(|(_, n)| n.as_slice()).unwrap_or(&[])
    }

    /// The name of id `id` of type `ty`.
    pub fn name(&self, ty: ContentType, id: u16) -> Option<&str> {
        self.names(ty).get(usize::from(id)).map(String::as_str)
    }

    /// The id of `name` in type `ty` (exact name, no renames).
    pub fn id(&self, ty: ContentType, name: &str) -> Option<u16> {
        self.names(ty).iter().position(|n| n == name).and_then(|p| u16::try_from(p).ok())
    }

    /// The native header of a client build (all ten mappable types).
    pub fn native(build: Build) -> Self {
        let t = ContentTable::for_build(build);
        Self {
            types: t.types.iter().map(|(ty, names)| (*ty, names.iter().map(|s| (*s).to_owned()).collect())).collect(),
        }
    }
}

/// The game's rename table for block names of old saves (`SaveFileReader.fallback`).
pub fn legacy_block_name(name: &str) -> &str {
    match name {
        "dart-mech-pad" | "dart-ship-pad" | "javelin-ship-pad" | "trident-ship-pad" | "glaive-ship-pad"
        | "alpha-mech-pad" | "tau-mech-pad" | "omega-mech-pad" | "delta-mech-pad" => "legacy-mech-pad",
        "draug-factory" | "spirit-factory" | "phantom-factory" | "wraith-factory" | "dagger-factory"
        | "crawler-factory" => "legacy-unit-factory",
        "ghoul-factory" | "revenant-factory" => "legacy-unit-factory-air",
        "titan-factory" | "fortress-factory" => "legacy-unit-factory-ground",
        "mass-conveyor" => "payload-conveyor",
        "vestige" => "scepter",
        "turbine-generator" => "steam-generator",
        "rocks" | "cliffs" => "stone-wall",
        "sporerocks" => "spore-wall",
        "icerocks" => "ice-wall",
        "dunerocks" => "dune-wall",
        "sandrocks" => "sand-wall",
        "shalerocks" => "shale-wall",
        "snowrocks" => "snow-wall",
        "saltrocks" => "salt-wall",
        "dirtwall" => "dirt-wall",
        "ignarock" => "basalt",
        "holostone" => "dacite",
        "holostone-wall" => "dacite-wall",
        "rock" => "boulder",
        "snowrock" => "snow-boulder",
        "craters" => "crater-stone",
        "deepwater" => "deep-water",
        "water" => "shallow-water",
        "sand" => "sand-floor",
        "slag" => "molten-slag",
        "cryofluidmixer" => "cryofluid-mixer",
        "block-forge" => "constructor",
        "block-unloader" => "payload-unloader",
        "block-loader" => "payload-loader",
        "thermal-pump" => "impulse-pump",
        "alloy-smelter" => "surge-smelter",
        "steam-vent" => "rhyolite-vent",
        "fabricator" => "tank-fabricator",
        "basic-reconstructor" => "refabricator",
        other => other,
    }
}

/// Facts about one block of a build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockFacts {
    /// Native id in the build.
    pub id: u16,
    /// Content name.
    pub name: &'static str,
    /// Side length in tiles.
    pub size: u8,
    /// The Java class (`CoreBlock`, `Floor`, `StaticWall`, …).
    pub class: &'static str,
}

impl BlockFacts {
    /// Whether the block is a floor (including shallow liquids and vents).
    pub fn is_floor(&self) -> bool {
        matches!(self.class, "Floor" | "ShallowLiquid" | "SteamVent" | "OverlayFloor" | "OreBlock" | "SpawnBlock")
            || self.name == "air"
    }

    /// Whether the block is an overlay (ores, spawn marker).
    pub fn is_overlay(&self) -> bool {
        matches!(self.class, "OverlayFloor" | "OreBlock" | "SpawnBlock")
    }

    /// Whether the block is a static (environment) wall or prop: no building, not a floor.
    pub fn is_static(&self) -> bool {
        matches!(
            self.class,
            "StaticWall" | "StaticProp" | "Prop" | "StaticTree" | "TreeBlock" | "TallBlock" | "SeaBush" | "Cliff"
        )
    }

    /// Whether placing this block creates a building (`Block.hasBuilding()`): everything but air, floors,
    /// overlays and environment walls/props.
    pub fn has_building(&self) -> bool {
        !(self.is_floor()
            || self.is_static()
            || matches!(self.class, "AirBlock" | "RemoveWall" | "RemoveOre" | "RuneOverlay" | "CharacterOverlay"))
    }

    /// Whether the block is a core.
    pub fn is_core(&self) -> bool {
        self.class == "CoreBlock"
    }

    /// A core's item capacity per item (`itemCapacity` in `Blocks.java`), or `None` for other blocks.
    ///
    /// Checked against upstream `core/src/mindustry/content/Blocks.java` (region "storage"): the revisions
    /// stored for this project from the v7/v8 line (the ones with the erekir cores and `isFirstTier`) all set
    /// core-shard 4000, core-foundation 9000, core-nucleus 13000, core-bastion 2000, core-citadel 3000,
    /// core-acropolis 4000; only pre-v6 revisions differ (shard 5000). No revision pinned to the 154 or 159
    /// tag was at hand, so these are the values of the v7/v8 line both builds belong to.
    pub fn core_item_capacity(&self) -> Option<u32> {
        match self.name {
            "core-shard" => Some(4000),
            "core-foundation" => Some(9000),
            "core-nucleus" => Some(13000),
            "core-bastion" => Some(2000),
            "core-citadel" => Some(3000),
            "core-acropolis" => Some(4000),
            _ => None,
        }
    }
}

/// The native content of one client build.
#[derive(Debug)]
pub struct ContentTable {
    build: Build,
    types: Vec<(ContentType, Vec<&'static str>)>,
    index: HashMap<(ContentType, &'static str), u16>,
    blocks: Vec<BlockFacts>,
}

fn make_table(build: Build, header: &'static [(u8, &'static [&'static str])]) -> ContentTable {
    let types: Vec<(ContentType, Vec<&'static str>)> =
        header.iter().map(|(t, names)| (ContentType(*t), names.to_vec())).collect();
    let mut index = HashMap::new();
    for (ty, names) in &types {
        for (i, n) in names.iter().enumerate() {
            index.insert((*ty, *n), u16::try_from(i).expect("generated tables are small"));
        }
    }
    let by_name: HashMap<&str, (u8, &str)> = content_gen::BLOCKS_159.iter().map(|(n, s, c)| (*n, (*s, *c))).collect();
    let blocks = types
        .iter()
        .find(|(t, _)| *t == ContentType::BLOCK)
        .map(|(_, names)| {
            names
                .iter()
                .enumerate()
                .map(|(i, n)| {
                    let (size, class) = by_name.get(n).copied().unwrap_or((1, "Block"));
                    BlockFacts { id: u16::try_from(i).expect("small"), name: n, size, class }
                })
                .collect()
        })
        .unwrap_or_default();
    ContentTable { build, types, index, blocks }
}

impl ContentTable {
    /// The table of a client build.
    pub fn for_build(build: Build) -> &'static ContentTable {
        static T159: OnceLock<ContentTable> = OnceLock::new();
        static T154: OnceLock<ContentTable> = OnceLock::new();
        match build {
            Build::V159 => T159.get_or_init(|| make_table(Build::V159, content_gen::HEADER_159)),
            Build::V154 => T154.get_or_init(|| make_table(Build::V154, content_gen::HEADER_154)),
        }
    }

    /// The build this table describes.
    pub fn build(&self) -> Build {
        self.build
    }

    /// Names of `ty` in native id order.
    pub fn names(&self, ty: ContentType) -> &[&'static str] {
        self.types.iter().find(|(t, _)| *t == ty).map(|(_, n)| n.as_slice()).unwrap_or(&[])
    }

    /// Native id of `name` (exact name).
    pub fn id(&self, ty: ContentType, name: &str) -> Option<u16> {
        self.index.get(&(ty, name)).copied()
    }

    /// Native name of an id.
    pub fn name(&self, ty: ContentType, id: u16) -> Option<&'static str> {
        self.names(ty).get(usize::from(id)).copied()
    }

    /// Facts about block `id`.
    pub fn block(&self, id: u16) -> Option<&BlockFacts> {
        self.blocks.get(usize::from(id))
    }

    /// Facts about the block called `name` (legacy names are renamed first).
    pub fn block_by_name(&self, name: &str) -> Option<&BlockFacts> {
        self.id(ContentType::BLOCK, legacy_block_name(name)).and_then(|id| self.block(id))
    }

    /// Block side length in tiles.
    pub fn block_size(&self, id: u16) -> Option<u8> {
        self.block(id).map(|b| b.size)
    }

    /// All blocks in id order.
    pub fn blocks(&self) -> &[BlockFacts] {
        &self.blocks
    }
}

/// Translation of one file's (or stream's) content ids to a build's native ids, by name.
#[derive(Debug, Clone)]
pub struct Translation {
    maps: Vec<(ContentType, Vec<u16>)>,
}

impl Translation {
    /// Builds the translation of `header`'s ids into `build`'s native ids. Names the build does not know map
    /// to 0 (as the Java reader maps them to the type's first entry, e.g. `air`).
    pub fn new(header: &ContentHeader, build: Build) -> Self {
        let table = ContentTable::for_build(build);
        let maps = header
            .types
            .iter()
            .map(|(ty, names)| {
                let ids = names
                    .iter()
                    .map(|n| {
                        let n = if *ty == ContentType::BLOCK { legacy_block_name(n) } else { n.as_str() };
                        table.id(*ty, n).unwrap_or(0)
                    })
                    .collect();
                (*ty, ids)
            })
            .collect();
        Self { maps }
    }

    /// Native id of file id `id` of type `ty` (0 when unknown).
    pub fn get(&self, ty: ContentType, id: u16) -> u16 {
        self.maps.iter().find(|(t, _)| *t == ty).and_then(|(_, ids)| ids.get(usize::from(id)).copied()).unwrap_or(0)
    }

    /// Native block id of file block id `id`.
    pub fn block(&self, id: u16) -> u16 {
        self.get(ContentType::BLOCK, id)
    }
}
