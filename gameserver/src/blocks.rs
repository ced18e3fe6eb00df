//! Construction rules for the blocks players can build here: requirements, build cost, size, rotation and
//! what kind of configuration a block takes.
//!
//! Owns: the facts the server needs to validate and time construction. They are taken from the Java source
//! (`mindustry.content.Blocks` requirements and `buildCostMultiplier`, `mindustry.content.Items` item
//! `cost`, `Block.init()`'s build cost formula); ids are build 159 native block ids ([`to_build`]/[`from_build`]
//! re-key them for build 154 by name, through the world crate's content tables).
//!
//! Does not own: blocks the world only carries (anything not in [`RULES`] still exists, persists and reaches
//! clients through the world crate's raw building data; it just cannot be placed by a player yet).
//!
//! Build cost (`Block.init`): `Σ amount × item.cost × buildCostMultiplier` (20 × multiplier for a block without
//! requirements); a builder adds `buildSpeed / buildCost` progress per tick (`BuilderComp`), so an alpha (build
//! speed 0.5) needs `2 × buildCost` ticks: a copper wall (`Wall.buildCostMultiplier` = 5) takes 30 ticks, as
//! the Java server's 0.44 s between `beginPlace` and `constructFinish` in the b154 actions capture shows.
//! Deconstruction runs at the same speed and refunds `deconstructRefundMultiplier` (0.5) of what was paid.

use multidustry_world::{Build, ContentHeader, Translation};

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
    /// An item (sorters, unloaders): content ref of type item, or null to clear.
    Item,
    /// A boolean (doors, switches).
    Bool,
    /// A string (message blocks, limited to 220 characters as `MessageBlock.maxTextLength`).
    Text,
    /// A point/position link (bridges, power nodes): accepted and stored as given.
    Link,
}

/// One placeable block.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BlockRule {
    /// Build 159 block id.
    pub id: u16,
    /// Content name.
    pub name: &'static str,
    /// Side length in tiles.
    pub size: u8,
    /// Whether the block has a rotation the player chooses.
    pub rotate: bool,
    /// Requirements as (item id, amount).
    pub requirements: &'static [(u16, u32)],
    /// `buildCostMultiplier`.
    pub cost_multiplier: f32,
    /// Health of the finished building.
    pub health: f32,
    /// Configuration accepted.
    pub config: ConfigKind,
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
}

use item::*;

/// `Wall.buildCostMultiplier`.
const WALL: f32 = 5.0;

/// The placeable blocks (requirements from `Blocks.java`). Only blocks whose saved building layout this server
/// writes exactly are listed (walls, doors, conveyors, sorters, routers, message, switch); others are refused.
pub const RULES: &[BlockRule] = &[
    rule(216, "copper-wall", 1, false, &[(COPPER, 6)], WALL, 80.0 * 4.0, ConfigKind::None),
    rule(217, "copper-wall-large", 2, false, &[(COPPER, 24)], WALL, 80.0 * 16.0, ConfigKind::None),
    rule(218, "titanium-wall", 1, false, &[(TITANIUM, 6)], WALL, 110.0 * 4.0, ConfigKind::None),
    rule(219, "titanium-wall-large", 2, false, &[(TITANIUM, 24)], WALL, 110.0 * 16.0, ConfigKind::None),
    rule(228, "door", 1, false, &[(TITANIUM, 6), (SILICON, 4)], WALL, 100.0 * 4.0, ConfigKind::Bool),
    rule(229, "door-large", 2, false, &[(TITANIUM, 24), (SILICON, 16)], WALL, 100.0 * 16.0, ConfigKind::Bool),
    rule(257, "conveyor", 1, true, &[(COPPER, 1)], 2.0, 45.0, ConfigKind::None),
    rule(258, "titanium-conveyor", 1, true, &[(COPPER, 1), (LEAD, 1), (TITANIUM, 1)], 1.0, 65.0, ConfigKind::None),
    rule(264, "sorter", 1, false, &[(LEAD, 2), (COPPER, 2)], 3.0, 40.0, ConfigKind::Item),
    rule(265, "inverted-sorter", 1, false, &[(LEAD, 2), (COPPER, 2)], 3.0, 40.0, ConfigKind::Item),
    rule(266, "router", 1, false, &[(COPPER, 3)], 4.0, 40.0, ConfigKind::None),
    rule(429, "message", 1, false, &[(GRAPHITE, 5), (COPPER, 5)], 1.0, 40.0, ConfigKind::Text),
    rule(430, "switch", 1, false, &[(GRAPHITE, 5), (COPPER, 5)], 1.0, 40.0, ConfigKind::Bool),
];

#[expect(clippy::too_many_arguments, reason = "a table row")]
const fn rule(
    id: u16,
    name: &'static str,
    size: u8,
    rotate: bool,
    requirements: &'static [(u16, u32)],
    cost_multiplier: f32,
    health: f32,
    config: ConfigKind,
) -> BlockRule {
    BlockRule { id, name, size, rotate, requirements, cost_multiplier, health, config }
}

/// The rule for a build-159 block id.
pub fn rule_for(id: u16) -> Option<&'static BlockRule> {
    RULES.iter().find(|r| r.id == id)
}

/// The rule for a block name.
pub fn rule_named(name: &str) -> Option<&'static BlockRule> {
    RULES.iter().find(|r| r.name == name)
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
        for (i, r) in RULES.iter().enumerate() {
            assert!(RULES[i + 1..].iter().all(|o| o.id != r.id && o.name != r.name), "{}", r.name);
            assert!(r.size >= 1 && r.build_cost() > 0.0);
        }
        assert_eq!(rule_named("door-large").expect("door").low_offset(), 0);
        assert_eq!(core_unit(id::CORE_SHARD), Some(35));
    }
}
