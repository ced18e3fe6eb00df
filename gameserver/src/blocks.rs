//! Construction rules for the blocks players can build here: requirements, build cost, size, rotation,
//! visibility, block-specific placement conditions, what configuration a block takes, and the default
//! building record of every placeable block.
//!
//! Owns: the facts table `blocks.tsv` (every Serpulo block of the build menu; its header says where each column
//! comes from: `mindustry.content.Blocks` for requirements, `buildCostMultiplier`, health and visibility, the
//! Java game's own saves for record layouts), the floor/ore facts placement needs ([`floor`]), `Item.cost`,
//! and `Block.init()`'s build cost formula. Ids are build 159 native block ids ([`to_build`]/[`from_build`]
//! re-key them for build 154 by name, through the world crate's content tables).
//!
//! Does not own: what blocks do (no block other than construction is simulated yet: a placed drill exists,
//! persists and reaches clients with its default record, but does not mine), blocks outside the table (they
//! still exist, persist and reach clients through the world crate's raw building data).
//!
//! Partial: replacing one block by another (`Block.canReplace`, e.g. conveyor → titanium conveyor) is refused
//! (core upgrades, the one replacement implemented, are in `sim`); core-zone floors are not modelled; the ground-unit overlap check for solid blocks is not made;
//! `contactsShallows` is approximated by the per-tile deep-floor check. Erekir blocks are not in the table, nor
//! are the build-159-only `tile-logic-display` and `large-canvas` (the Java source read is the v154 era).
//! `rules.bannedBlocks`/`blockWhitelist` are applied by `sim` (`Rules.isBanned`).
//!
//! Build cost (`Block.init`): `Σ amount × item.cost × buildCostMultiplier` (20 × multiplier for a block without
//! requirements); a builder adds `buildSpeed / buildCost` progress per tick (`BuilderComp`), so an alpha (build
//! speed 0.5) needs `2 × buildCost` ticks: a copper wall (`Wall.buildCostMultiplier` = 5) takes 30 ticks, as
//! the Java server's 0.44 s between `beginPlace` and `constructFinish` in the b154 actions capture shows.
//! Deconstruction runs at the same speed and refunds `deconstructRefundMultiplier` (0.5) of what was paid.

use multidustry_world::{Build, ContentHeader, ContentTable, ContentType, Translation};

/// Block ids (build 159) the server itself refers to.
pub mod id {
    /// `air`.
    pub const AIR: u16 = 0;
    /// `core-shard`.
    pub const CORE_SHARD: u16 = 339;
    /// `core-foundation`.
    pub const CORE_FOUNDATION: u16 = 340;
    /// `core-nucleus`.
    pub const CORE_NUCLEUS: u16 = 341;
    /// `conveyor`.
    pub const CONVEYOR: u16 = 257;
    /// `copper-wall`.
    pub const COPPER_WALL: u16 = 216;
    /// `sorter`.
    pub const SORTER: u16 = 264;
    /// `door`.
    pub const DOOR: u16 = 228;
    /// `message`.
    pub const MESSAGE: u16 = 429;
    /// `switch`.
    pub const SWITCH: u16 = 430;
}

/// Item ids (same in builds 154 and 159).
pub mod item {
    /// copper
    pub const COPPER: u16 = 0;
    /// lead
    pub const LEAD: u16 = 1;
    /// metaglass
    pub const METAGLASS: u16 = 2;
    /// graphite
    pub const GRAPHITE: u16 = 3;
    /// titanium
    pub const TITANIUM: u16 = 6;
    /// thorium
    pub const THORIUM: u16 = 7;
    /// silicon
    pub const SILICON: u16 = 9;
    /// plastanium
    pub const PLASTANIUM: u16 = 10;
}

/// `Item.cost` (`mindustry.content.Items`); items not listed cost 1.
pub fn item_cost(item: u16) -> f32 {
    match item {
        item::COPPER => 0.5,
        item::LEAD => 0.7,
        item::METAGLASS => 1.5,
        item::GRAPHITE => 1.0,
        item::TITANIUM => 1.0,
        item::THORIUM => 1.1,
        item::SILICON => 0.8,
        item::PLASTANIUM => 1.3,
        11 /* phase-fabric */ => 1.3,
        12 /* surge-alloy */ => 1.2,
        _ => 1.0,
    }
}

/// What configuration a block accepts (`Block.config(...)` registrations).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigKind {
    /// Not configurable.
    None,
    /// An item (sorters, unloaders, sources): content ref, or null to clear.
    Item,
    /// A liquid (liquid source): content ref (content type 4), or null to clear.
    Liquid,
    /// A boolean (doors, switches).
    Bool,
    /// A string (message blocks, limited to 220 characters as `MessageBlock.maxTextLength`).
    Text,
    /// A point/position link (bridges, power nodes, mass drivers): bridges and mass drivers store it in `config`;
    /// power nodes keep links in both ends' power modules (`power`).
    Link,
    /// An integer (unit factory plan index, illuminator colour).
    Int,
    /// A processor program (compressed bytes; the logic module interprets it).
    Program,
}

/// `Block.buildVisibility` of the placeable blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    /// `shown`: always.
    Shown,
    /// `sandboxOnly`: only with `rules.infiniteResources`.
    Sandbox,
    /// `lightingOnly`: only with `rules.lighting` (or in a campaign, which this server never is).
    Lighting,
    /// `editorOnly`: never on a server.
    Editor,
}

impl Visibility {
    /// `BuildVisibility.visible()` under the given world rules.
    pub fn visible(self, sandbox: bool, lighting: bool) -> bool {
        match self {
            Visibility::Shown => true,
            Visibility::Sandbox => sandbox,
            Visibility::Lighting => lighting,
            Visibility::Editor => false,
        }
    }
}

/// Block-specific placement condition (`Block.canPlaceOn` overrides).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// Anywhere `Build.validPlace` allows.
    Any,
    /// `Drill.canPlaceOn`: some covered tile drops an item of hardness <= tier.
    Drill(u8),
    /// `Pump.canPlaceOn`: covered tiles have exactly one kind of liquid floor.
    Pump,
    /// `ThermalGenerator.canPlaceOn`: the covered floors' heat attribute sums above 0.01.
    Heat,
    /// Oil extractor (`Fracker`, base efficiency 0): the covered floors have some oil attribute.
    Oil,
    /// A core: only as an upgrade of a smaller core of the team (`CoreBlock.canPlaceOn`; see `sim`).
    Core,
}

/// Layout of a finished building's record when the server does not simulate the block: `u8 revision`,
/// `writeBase` with an empty module of each kind in `mask`, then the class tail with default field values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordSpec {
    /// Block-class revision byte (`Building.version()`).
    pub revision: u8,
    /// Module mask (1 items, 2 power, 4 liquids, 8 always).
    pub mask: u8,
    /// Class tail (`write()` after `writeBase`) with default values.
    pub tail: Vec<u8>,
}

/// One placeable block (a row of `blocks.tsv`).
#[derive(Debug, Clone, PartialEq)]
pub struct BlockRule {
    /// Build 159 block id.
    pub id: u16,
    /// Content name.
    pub name: &'static str,
    /// Side length in tiles (the world crate's content table).
    pub size: u8,
    /// Whether the block has a rotation the player chooses.
    pub rotate: bool,
    /// Build-menu category.
    pub category: &'static str,
    /// When players may place it.
    pub visibility: Visibility,
    /// Requirements as (item id, amount).
    pub requirements: Vec<(u16, u32)>,
    /// `buildCostMultiplier`.
    pub cost_multiplier: f32,
    /// Health of the finished building.
    pub health: f32,
    /// Configuration accepted.
    pub config: ConfigKind,
    /// Block-specific placement condition.
    pub placement: Placement,
    /// `floating`: may be placed on deep liquid floors.
    pub floating: bool,
    /// `sync`: included in block snapshots (`BlockFlag.synced`).
    pub sync: bool,
    /// Default building record.
    pub record: RecordSpec,
}

impl BlockRule {
    /// `Block.buildCost`.
    pub fn build_cost(&self) -> f32 {
        let sum: f32 = if self.requirements.is_empty() {
            20.0
        } else {
            self.requirements.iter().map(|&(i, n)| n as f32 * item_cost(i)).sum()
        };
        sum * self.cost_multiplier
    }

    /// Offset of the block's origin tile from its bottom-left tile (`Block.offset` in tiles, rounded down):
    /// a block of size s placed at (x, y) covers `x - (s-1)/2 ..= x + s/2`.
    pub fn low_offset(&self) -> i32 {
        (i32::from(self.size) - 1) / 2
    }

    /// Whether a player may place it on free ground under the given rules (visibility; cores only as upgrades,
    /// see [`Placement::Core`]).
    pub fn placeable(&self, sandbox: bool, lighting: bool) -> bool {
        self.placement != Placement::Core && self.visibility.visible(sandbox, lighting)
    }
}

/// The facts table (`blocks.tsv`, documented in its header).
const TABLE: &str = include_str!("blocks.tsv");

/// A `blocks.tsv` row could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("blocks.tsv line {line}: {reason}")]
pub struct TableError {
    /// 1-based line.
    pub line: usize,
    /// What was wrong.
    pub reason: String,
}

/// Parses the facts table (names, items and sizes resolved through the world crate's build-159 tables).
pub fn parse_table(text: &'static str) -> Result<Vec<BlockRule>, TableError> {
    let content = ContentTable::for_build(Build::V159);
    let mut rules = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let err = |reason: String| TableError { line: i + 1, reason };
        let cols: Vec<&'static str> = line.split('\t').collect();
        let [name, category, vis, reqs, mult, health, flags, rev, mask, tail] = cols[..] else {
            return Err(err(format!("{} columns, want 10", cols.len())));
        };
        let facts = content.block_by_name(name).ok_or_else(|| err(format!("unknown block {name}")))?;
        let visibility = match vis {
            "shown" => Visibility::Shown,
            "sandbox" => Visibility::Sandbox,
            "lighting" => Visibility::Lighting,
            "editor" => Visibility::Editor,
            v => return Err(err(format!("visibility {v}"))),
        };
        let mut requirements = Vec::new();
        for stack in reqs.split(',').filter(|s| *s != "-") {
            let (item, n) = stack.split_once(':').ok_or_else(|| err(format!("stack {stack}")))?;
            let id = content.id(ContentType::ITEM, item).ok_or_else(|| err(format!("item {item}")))?;
            requirements.push((id, n.parse().map_err(|_| err(format!("amount {n}")))?));
        }
        let size = facts.size;
        let health = if health == "-" {
            f32::from(size) * f32::from(size) * 40.0
        } else {
            health.parse().map_err(|_| err(format!("health {health}")))?
        };
        let (mut rotate, mut sync, mut floating) = (false, false, false);
        let (mut placement, mut config) = (Placement::Any, ConfigKind::None);
        for flag in flags.split(',').filter(|f| *f != "-") {
            match flag {
                "rotate" => rotate = true,
                "sync" => sync = true,
                "floating" => floating = true,
                "pump" => placement = Placement::Pump,
                "heat" => placement = Placement::Heat,
                "oil" => placement = Placement::Oil,
                "core" => placement = Placement::Core,
                f if f.starts_with("drill:") => {
                    placement = Placement::Drill(f[6..].parse().map_err(|_| err(format!("flag {f}")))?)
                }
                "config:item" => config = ConfigKind::Item,
                "config:liquid" => config = ConfigKind::Liquid,
                "config:bool" => config = ConfigKind::Bool,
                "config:text" => config = ConfigKind::Text,
                "config:link" => config = ConfigKind::Link,
                "config:int" => config = ConfigKind::Int,
                "config:program" => config = ConfigKind::Program,
                f => return Err(err(format!("flag {f}"))),
            }
        }
        rules.push(BlockRule {
            id: facts.id,
            name: facts.name,
            size,
            rotate,
            category,
            visibility,
            requirements,
            cost_multiplier: mult.parse().map_err(|_| err(format!("multiplier {mult}")))?,
            health,
            config,
            placement,
            floating,
            sync,
            record: RecordSpec {
                revision: rev.parse().map_err(|_| err(format!("revision {rev}")))?,
                mask: mask.parse().map_err(|_| err(format!("mask {mask}")))?,
                tail: parse_tail(tail).ok_or_else(|| err(format!("tail {tail}")))?,
            },
        });
    }
    Ok(rules)
}

/// `XX*n` repeats, hex strings, `-` empty.
fn parse_tail(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    for token in text.split_whitespace().filter(|t| *t != "-") {
        let (hex, times) = match token.split_once('*') {
            Some((h, n)) => (h, n.parse::<usize>().ok()?),
            None => (token, 1),
        };
        if hex.len() % 2 != 0 {
            return None;
        }
        let bytes: Vec<u8> = (0..hex.len() / 2)
            .map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok())
            .collect::<Option<_>>()?;
        for _ in 0..times {
            out.extend_from_slice(&bytes);
        }
    }
    Some(out)
}

/// Every placeable block.
pub fn rules() -> &'static [BlockRule] {
    static RULES: std::sync::OnceLock<Vec<BlockRule>> = std::sync::OnceLock::new();
    RULES.get_or_init(|| parse_table(TABLE).expect("blocks.tsv is a constant checked by the unit tests"))
}

/// The rule for a build-159 block id.
pub fn rule_for(id: u16) -> Option<&'static BlockRule> {
    static BY_ID: std::sync::OnceLock<std::collections::HashMap<u16, usize>> = std::sync::OnceLock::new();
    let index = BY_ID.get_or_init(|| rules().iter().enumerate().map(|(i, r)| (r.id, i)).collect());
    index.get(&id).and_then(|&i| rules().get(i))
}

/// The rule for a block name.
pub fn rule_named(name: &str) -> Option<&'static BlockRule> {
    rules().iter().find(|r| r.name == name)
}

/// What a floor (or overlay) offers to placement (`Floor` fields of `mindustry.content.Blocks`).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct FloorFacts {
    /// `isDeep()` (`drownTime > 0`): only floating blocks may stand on it.
    pub deep: bool,
    /// `placeableOn == false` (space, empty).
    pub unplaceable: bool,
    /// `isLiquid`.
    pub liquid: bool,
    /// `liquidDrop` (liquid content id) for pumps.
    pub liquid_drop: Option<u16>,
    /// Hardness of the item it drops (`itemDrop.hardness`) for drills.
    pub drop_hardness: Option<u8>,
    /// `attributes.get(Attribute.heat)`.
    pub heat: f32,
    /// `attributes.get(Attribute.oil)`.
    pub oil: f32,
}

/// Floor and ore facts by build-159 block id (unknown ids: plain buildable floor).
pub fn floor(id: u16) -> FloorFacts {
    static TABLE: std::sync::OnceLock<std::collections::HashMap<u16, FloorFacts>> = std::sync::OnceLock::new();
    TABLE.get_or_init(floor_table).get(&id).copied().unwrap_or_default()
}

fn floor_table() -> std::collections::HashMap<u16, FloorFacts> {
    let content = ContentTable::for_build(Build::V159);
    let liquid = |n: &str| content.id(ContentType::LIQUID, n);
    let water = liquid("water");
    let f = FloorFacts::default;
    // (name, facts): Blocks.java floor definitions; item hardness from Items.java (sand 0, scrap 0, copper 1,
    // lead 1, coal 2, titanium 3, beryllium 3, thorium 4, tungsten 5).
    let rows: Vec<(&str, FloorFacts)> = vec![
        ("deep-water", FloorFacts { deep: true, liquid: true, liquid_drop: water, ..f() }),
        ("shallow-water", FloorFacts { liquid: true, liquid_drop: water, ..f() }),
        ("tainted-water", FloorFacts { liquid: true, liquid_drop: water, ..f() }),
        ("deep-tainted-water", FloorFacts { deep: true, liquid: true, liquid_drop: water, ..f() }),
        ("darksand-tainted-water", FloorFacts { liquid: true, liquid_drop: water, ..f() }),
        ("sand-water", FloorFacts { liquid: true, liquid_drop: water, ..f() }),
        ("darksand-water", FloorFacts { liquid: true, liquid_drop: water, ..f() }),
        ("tar", FloorFacts { deep: true, liquid: true, liquid_drop: liquid("oil"), ..f() }),
        ("pooled-cryofluid", FloorFacts { deep: true, liquid: true, liquid_drop: liquid("cryofluid"), ..f() }),
        ("molten-slag", FloorFacts { deep: true, liquid: true, liquid_drop: liquid("slag"), heat: 0.85, ..f() }),
        ("arkycite-floor", FloorFacts { deep: true, liquid: true, liquid_drop: liquid("arkycite"), ..f() }),
        ("space", FloorFacts { unplaceable: true, ..f() }),
        ("empty", FloorFacts { unplaceable: true, ..f() }),
        ("hotrock", FloorFacts { heat: 0.5, ..f() }),
        ("magmarock", FloorFacts { heat: 0.75, ..f() }),
        ("sand-floor", FloorFacts { drop_hardness: Some(0), oil: 0.7, ..f() }),
        ("darksand", FloorFacts { drop_hardness: Some(0), oil: 1.5, ..f() }),
        ("shale", FloorFacts { oil: 1.6, ..f() }),
        ("salt", FloorFacts { oil: 0.3, ..f() }),
        ("ore-copper", FloorFacts { drop_hardness: Some(1), ..f() }),
        ("ore-lead", FloorFacts { drop_hardness: Some(1), ..f() }),
        ("ore-scrap", FloorFacts { drop_hardness: Some(0), ..f() }),
        ("ore-coal", FloorFacts { drop_hardness: Some(2), ..f() }),
        ("ore-titanium", FloorFacts { drop_hardness: Some(3), ..f() }),
        ("ore-thorium", FloorFacts { drop_hardness: Some(4), ..f() }),
        ("ore-beryllium", FloorFacts { drop_hardness: Some(3), ..f() }),
        ("ore-tungsten", FloorFacts { drop_hardness: Some(5), ..f() }),
    ];
    rows.into_iter().filter_map(|(n, facts)| Some((content.id(ContentType::BLOCK, n)?, facts))).collect()
}

/// Whether a build-159 block id is a core, and which unit type (id) it spawns: shard → alpha, foundation →
/// beta, nucleus → gamma (`CoreBlock.unitType`).
pub fn core_unit(block: u16) -> Option<i16> {
    match block {
        id::CORE_SHARD => Some(35),
        id::CORE_FOUNDATION => Some(36),
        id::CORE_NUCLEUS => Some(37),
        _ => None,
    }
}

/// Entity class id of the core unit types (alpha 0, beta 30, gamma 31).
pub fn unit_class(unit_type: i16) -> u8 {
    match unit_type {
        36 => 30,
        37 => 31,
        _ => 0,
    }
}

/// Movement speed (world units per tick) and build speed of the core unit types (`UnitTypes`).
pub fn unit_stats(unit_type: i16) -> UnitStats {
    match unit_type {
        // nova and pulsar: the builders among the AI unit types (`ucontrol build`)
        5 => UnitStats { speed: 0.55, build_speed: 0.8, health: 120.0, mounts: 2 },
        6 => UnitStats { speed: 0.7, build_speed: 0.9, health: 320.0, mounts: 2 },
        36 => UnitStats { speed: 3.3, build_speed: 0.75, health: 170.0, mounts: 2 },
        37 => UnitStats { speed: 3.55, build_speed: 1.0, health: 220.0, mounts: 2 },
        _ => UnitStats { speed: 3.0, build_speed: 0.5, health: 350.0, mounts: 2 },
    }
}

/// Stats of a unit type the server simulates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UnitStats {
    /// `UnitType.speed`, world units per tick.
    pub speed: f32,
    /// `UnitType.buildSpeed`.
    pub build_speed: f32,
    /// `UnitType.health`.
    pub health: f32,
    /// Weapon mounts in its sync record (one mirrored weapon = 2).
    pub mounts: u8,
}

/// Builder reach in world units (`Vars.buildingRange`).
pub const BUILDING_RANGE: f32 = 220.0;

/// `Rules.deconstructRefundMultiplier`.
pub const DECONSTRUCT_REFUND: f32 = 0.5;

/// A build-159 block id as build `build` numbers it.
pub fn to_build(block: u16, build: u32) -> u16 {
    if build >= 159 {
        return block;
    }
    static TO_154: std::sync::OnceLock<Translation> = std::sync::OnceLock::new();
    TO_154.get_or_init(|| Translation::new(&ContentHeader::native(Build::V159), Build::V154)).block(block)
}

/// A block id sent by a client of build `build`, as build 159 numbers it (by name, through the world crate's
/// content tables; a name 159 does not know becomes 0, air).
pub fn from_build(block: u16, build: u32) -> u16 {
    if build >= 159 {
        return block;
    }
    static FROM_154: std::sync::OnceLock<Translation> = std::sync::OnceLock::new();
    FROM_154.get_or_init(|| Translation::new(&ContentHeader::native(Build::V154), Build::V159)).block(block)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_costs_follow_the_java_formula() {
        let conveyor = rule_named("conveyor").expect("conveyor");
        assert!((conveyor.build_cost() - 1.0).abs() < 1e-4);
        let wall = rule_named("copper-wall").expect("wall");
        assert!((wall.build_cost() - 15.0).abs() < 1e-4);
        let sorter = rule_for(id::SORTER).expect("sorter");
        assert!((sorter.build_cost() - (1.4 + 1.0) * 3.0).abs() < 1e-4);
    }

    #[test]
    fn build_154_ids_shift_around_the_missing_blocks() {
        for b in [0u16, 178, 180, 257, 339, 429, 430, 441, 445] {
            assert_eq!(from_build(to_build(b, 154), 154), b, "block {b}");
        }
        assert_eq!(to_build(257, 154), 256);
        assert_eq!(to_build(441, 154), 439);
        assert_eq!(to_build(257, 159), 257);
    }

    #[test]
    fn rule_ids_are_unique_and_offsets_sane() {
        let rules = rules();
        assert!(rules.len() >= 140, "{} rules", rules.len());
        for (i, r) in rules.iter().enumerate() {
            assert!(rules[i + 1..].iter().all(|o| o.id != r.id && o.name != r.name), "{}", r.name);
            assert!(r.size >= 1 && r.build_cost() > 0.0);
            assert!(r.record.mask & 8 != 0 && r.record.mask < 16, "{}", r.name);
        }
        assert_eq!(rule_named("door-large").expect("door").low_offset(), 0);
        assert_eq!(core_unit(id::CORE_SHARD), Some(35));
    }

    #[test]
    fn the_table_parses_with_java_values() {
        assert_eq!(parse_table(TABLE).map(|r| r.len()), Ok(rules().len()));
        let duo = rule_named("duo").expect("duo");
        assert_eq!((duo.size, duo.rotate, duo.sync, duo.health), (1, true, true, 250.0));
        assert_eq!(duo.record.tail, vec![0, 0, 0, 0, 0x42, 0xb4, 0, 0, 0]);
        let drill = rule_named("pneumatic-drill").expect("drill");
        assert_eq!((drill.size, drill.placement), (2, Placement::Drill(3)));
        assert_eq!(drill.requirements, vec![(item::COPPER, 18), (item::GRAPHITE, 10)]);
        assert_eq!(rule_named("memory-bank").expect("bank").record.tail.len(), 4 + 512 * 8);
        assert_eq!(rule_named("junction").expect("junction").record.tail.len(), 200);
        assert!(!rule_named("item-source").expect("source").placeable(false, false));
        assert!(rule_named("item-source").expect("source").placeable(true, false));
        assert!(!rule_named("core-foundation").expect("core").placeable(true, true));
        assert!(parse_table("duo\tturret").is_err());
        assert!(parse_tail("0*3").is_none());
        assert_eq!(parse_tail("ab*2 01"), Some(vec![0xab, 0xab, 1]));
    }

    #[test]
    fn floors_know_deep_water_ores_and_attributes() {
        let t = ContentTable::for_build(Build::V159);
        let id = |n| t.id(ContentType::BLOCK, n).expect("block");
        assert!(floor(id("deep-water")).deep && floor(id("deep-water")).liquid_drop.is_some());
        assert!(!floor(id("shallow-water")).deep);
        assert_eq!(floor(id("ore-titanium")).drop_hardness, Some(3));
        assert!(floor(id("space")).unplaceable);
        assert_eq!(floor(id("stone")), FloorFacts::default());
    }
}

/// `mindustry.world.meta.BlockGroup`: blocks of one group may replace each other (`Block.canReplace`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// No group: never replaces another block.
    None,
    /// Walls and doors.
    Walls,
    /// Mender, overdrive, force projectors.
    Projectors,
    /// Turrets.
    Turrets,
    /// Conveyors, junctions, routers, sorters, gates, item bridges, unloaders.
    Transportation,
    /// Power nodes, batteries, generators (`PowerBlock`).
    Power,
    /// Conduits, liquid routers, junctions and bridges.
    Liquids,
    /// Drills.
    Drills,
    /// Unit factories and reconstructors.
    Units,
    /// Processors, memory, messages, switches, displays.
    Logic,
    /// Payload conveyors and routers.
    Payloads,
}

impl Group {
    /// `BlockGroup.anyReplace`: a larger block of the group replaces smaller ones of any class.
    pub fn any_replace(self) -> bool {
        matches!(
            self,
            Self::Walls
                | Self::Projectors
                | Self::Turrets
                | Self::Transportation
                | Self::Liquids
                | Self::Logic
                | Self::Payloads
        )
    }
}

/// The Java class of a build-159 block (the world crate's content facts).
fn class_of(block: u16) -> Option<&'static str> {
    multidustry_world::ContentTable::for_build(multidustry_world::Build::V159).block(block).map(|b| b.class)
}

/// The group a block class's constructor sets (Serpulo classes).
pub fn group_of(block: u16) -> Group {
    match class_of(block).unwrap_or("") {
        "Wall" | "Door" | "ShieldWall" => Group::Walls,
        "MendProjector" | "OverdriveProjector" | "ForceProjector" | "RegenProjector" => Group::Projectors,
        "ItemTurret"
        | "LiquidTurret"
        | "PowerTurret"
        | "LaserTurret"
        | "ContinuousTurret"
        | "ContinuousLiquidTurret"
        | "PointDefenseTurret"
        | "TractorBeamTurret" => Group::Turrets,
        "Conveyor" | "ArmoredConveyor" | "StackConveyor" | "Junction" | "ItemBridge" | "BufferedItemBridge"
        | "Sorter" | "Router" | "OverflowGate" | "Unloader" | "Duct" | "DuctRouter" | "DuctBridge" | "OverflowDuct"
        | "StackRouter" | "DuctJunction" => Group::Transportation,
        "PowerNode" | "Battery" | "ConsumeGenerator" | "SolarGenerator" | "ThermalGenerator" | "NuclearReactor"
        | "ImpactReactor" | "PowerDiode" => Group::Power,
        "Conduit" | "ArmoredConduit" | "LiquidRouter" | "LiquidJunction" | "LiquidBridge" => Group::Liquids,
        "Drill" | "BurstDrill" | "BeamDrill" => Group::Drills,
        "UnitFactory" | "Reconstructor" => Group::Units,
        "LogicBlock" | "MemoryBlock" | "MessageBlock" | "SwitchBlock" | "LogicDisplay" | "CanvasBlock" => Group::Logic,
        "PayloadConveyor" | "PayloadRouter" => Group::Payloads,
        _ => Group::None,
    }
}

/// `Block.canReplace(other)` for placeable `new` over the building block `old`: same non-empty group, and the
/// same size, or larger when both are the same class or the group replaces anything (`anyReplace`); a block
/// replaces itself only to rotate (`rotate && quickRotate`). Cores never (their upgrades are separate).
pub fn can_replace(new: &BlockRule, old: u16) -> bool {
    if core_unit(old).is_some() {
        return false;
    }
    let (group, old_size) = (group_of(new.id), crate::records::block_size(old));
    (old != new.id || new.rotate)
        && group != Group::None
        && group_of(old) == group
        && (new.size == old_size
            || (new.size >= old_size && (class_of(new.id) == class_of(old) || group.any_replace())))
}
