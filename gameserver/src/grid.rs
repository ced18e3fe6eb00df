//! The tile grid and buildings of one world, as the simulation sees them.
//!
//! Owns: per-tile floor/overlay/block/team, the buildings (keyed by the packed position of their origin
//! tile) with their rotation, health, configuration, construction state and, for blocks this server does not
//! simulate, the raw building bytes carried over from the map, and placement validation (`Build.validPlace`'s
//! bounds / overlap / solid floor / team checks).
//!
//! Does not own: file formats (the world crate reads and writes them; `worldio` converts), what blocks cost
//! (`blocks`).
//!
//! Invariants: every tile a building covers points back at that building's origin; a building's footprint
//! lies inside the map; block ids are build-159 native ids. Buildings are stored by the tile index of their
//! origin (O(1) lookups, which processors do many times per tick) with an ordered position set beside them for
//! iteration in position order; both always hold the same buildings.

use std::collections::{BTreeMap, BTreeSet};

use crate::blocks::{self, BlockRule};
use crate::value::Value;

/// Start of the next grid's layout versions (see [`Grid::layout_version`]).
static NEXT_LAYOUT_BASE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// `Point2.pack`: `x << 16 | y & 0xFFFF`.
pub fn pack(x: i32, y: i32) -> i32 {
    ((x as i16 as i32) << 16) | ((y as i16 as i32) & 0xFFFF)
}

/// `Point2.x(pos)`, `Point2.y(pos)`.
pub fn unpack(pos: i32) -> (i32, i32) {
    (i32::from((pos >> 16) as i16), i32::from(pos as i16))
}

/// One tile.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tile {
    /// Floor block id.
    pub floor: u16,
    /// Overlay (ore) block id, 0 = none.
    pub overlay: u16,
    /// Block id on the tile (0 = air). For a multi-tile building every covered tile holds its block id.
    pub block: u16,
    /// Packed position of the building covering this tile, if any.
    pub building: Option<i32>,
}

/// A construction or deconstruction in progress on a building site.
#[derive(Debug, Clone, PartialEq)]
pub struct Construction {
    /// The block being built (or broken).
    pub block: u16,
    /// 0..=1.
    pub progress: f32,
    /// Deconstructing instead of building.
    pub breaking: bool,
    /// Items already paid per requirement (fractional accumulation, `ConstructBuild.accumulator`).
    pub paid: Vec<f32>,
    /// Configuration to apply when finished.
    pub config: Value,
}

/// A building.
#[derive(Debug, Clone, PartialEq)]
pub struct Building {
    /// Block id.
    pub block: u16,
    /// Team id.
    pub team: u8,
    /// Rotation 0..=3.
    pub rotation: u8,
    /// Health.
    pub health: f32,
    /// Current configuration (sorter item, door/switch state, message text, links).
    pub config: Value,
    /// Items stored (cores: the team's items).
    pub items: BTreeMap<u16, i32>,
    /// Raw building bytes from the map (revision byte first), for blocks this server does not simulate.
    pub raw: Option<Vec<u8>>,
    /// Under (de)construction.
    pub construction: Option<Construction>,
    /// Processor, memory or world-message state of logic blocks (see `logic`); its record replaces `raw`.
    pub logic: Option<Box<crate::logic::LogicData>>,
    /// Power module links (`PowerModule.links`): absolute packed positions of the buildings laser-linked to this
    /// one, in order. Java keeps a link on both ends (the node and the linked building).
    pub power_links: Vec<i32>,
    /// Power module satisfaction as last written (`PowerModule.write`'s status float), kept so that records read
    /// from maps are re-written unchanged; this server does not simulate power graphs.
    pub power_status: f32,
    /// `Building.enabled` (written in the record's base; processors and switches keep theirs in their own
    /// state, see `logic::control::enabled`).
    pub enabled: bool,
    /// What processors' `control` left on this building (last disabler, turret aim); usually `None`.
    pub controlled: Option<Box<crate::logic::control::Controlled>>,
}

impl Building {
    /// A finished building with default state.
    pub fn new(block: u16, team: u8, rotation: u8, health: f32) -> Self {
        Self {
            block,
            team,
            rotation,
            health,
            config: Value::Null,
            items: BTreeMap::new(),
            raw: None,
            construction: None,
            logic: None,
            power_links: Vec::new(),
            power_status: 0.0,
            enabled: true,
            controlled: None,
        }
    }
}

/// Why a placement was refused (a player's invalid action: logged at debug, answered with removeQueueBlock).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlaceError {
    /// Outside the map.
    OutOfBounds,
    /// Not a block players can place here.
    UnknownBlock,
    /// Something is in the way.
    Occupied,
    /// Deep liquid floor for a block that does not float, or a floor nothing may stand on (space).
    BadFloor,
    /// The block's own condition fails (`canPlaceOn`: a drill without ore, a pump without liquid, …).
    CannotPlaceOn,
    /// Nothing to deconstruct, or it belongs to another team, or it is a core.
    NotBreakable,
}

/// The tile grid.
#[derive(Debug, Clone)]
pub struct Grid {
    width: i32,
    height: i32,
    tiles: Vec<Tile>,
    /// Per tile index: the building whose origin is that tile, with its footprint size.
    origins: Vec<Option<Box<(u8, Building)>>>,
    /// Origin positions of all buildings, for iteration in position order.
    order: BTreeSet<i32>,
    /// Block ids that are static walls (not buildings: cannot be replaced).
    pub static_walls: Vec<u16>,
    /// Bumped by every mutable access (so encoders can cache what they derived from an unchanged grid).
    version: u64,
    /// Bumped when tiles or footprints may change (not by building state), for path finding.
    layout_version: u64,
    /// Origins of buildings whose construction state changed in place, oldest first (see
    /// [`Grid::note_construction_change`]); entry `i` has sequence number `construction_base + i`.
    construction_log: Vec<i32>,
    /// Sequence number of the first entry of `construction_log`.
    construction_base: u64,
}

/// Most construction changes [`Grid`] remembers (older ones are forgotten: readers then recheck everything).
const CONSTRUCTION_LOG_MAX: usize = 4096;

impl Grid {
    /// An empty grid (all floors `floor`).
    pub fn new(width: u16, height: u16, floor: u16) -> Self {
        let (w, h) = (i32::from(width), i32::from(height));
        Self {
            width: w,
            height: h,
            tiles: vec![Tile { floor, ..Tile::default() }; (width as usize) * (height as usize)],
            origins: (0..(width as usize) * (height as usize)).map(|_| None).collect(),
            order: BTreeSet::new(),
            static_walls: Vec::new(),
            version: 0,
            // Each grid starts its layout versions in its own range, so a cache keyed by the version (the logic
            // runner's building index) never mistakes a newly loaded grid for the one it was built for.
            layout_version: NEXT_LAYOUT_BASE.fetch_add(1 << 40, std::sync::atomic::Ordering::Relaxed),
            construction_log: Vec::new(),
            construction_base: 0,
        }
    }

    /// Changes whenever the grid may have changed (any mutable access).
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Changes whenever a tile or a building footprint may have changed (placement, removal, tile edits), but
    /// not when only a building's state (progress, items, configuration) does.
    pub fn layout_version(&self) -> u64 {
        self.layout_version
    }

    /// Sequence number of the next in-place construction change (see [`Grid::construction_changes_since`]).
    pub fn construction_seq(&self) -> u64 {
        self.construction_base + self.construction_log.len() as u64
    }

    /// Origins of the buildings whose construction state changed in place (a site finished, a building turned
    /// into a deconstruction site) since sequence number `seq`; `None` when they are no longer remembered (the
    /// caller must then assume any may have changed). What logic links and `fetch` lists depend on.
    pub fn construction_changes_since(&self, seq: u64) -> Option<&[i32]> {
        let start = usize::try_from(seq.checked_sub(self.construction_base)?).ok()?;
        self.construction_log.get(start..)
    }

    /// Records that the construction state of the building with origin `pos` changed in place: code that sets
    /// or clears `Building::construction` of a building already in the grid must call this.
    pub fn note_construction_change(&mut self, pos: i32) {
        self.version += 1;
        if self.construction_log.len() >= CONSTRUCTION_LOG_MAX {
            self.construction_base += self.construction_log.len() as u64;
            self.construction_log.clear();
        }
        self.construction_log.push(pos);
    }

    /// Width in tiles.
    pub fn width(&self) -> i32 {
        self.width
    }

    /// Height in tiles.
    pub fn height(&self) -> i32 {
        self.height
    }

    fn index(&self, x: i32, y: i32) -> Option<usize> {
        (x >= 0 && y >= 0 && x < self.width && y < self.height).then(|| (y * self.width + x) as usize)
    }

    /// The tile at (x, y).
    pub fn tile(&self, x: i32, y: i32) -> Option<&Tile> {
        self.index(x, y).map(|i| &self.tiles[i])
    }

    /// The tile at (x, y), mutably.
    pub fn tile_mut(&mut self, x: i32, y: i32) -> Option<&mut Tile> {
        self.version += 1;
        self.layout_version += 1;
        self.index(x, y).map(|i| &mut self.tiles[i])
    }

    fn origin_index(&self, pos: i32) -> Option<usize> {
        let (x, y) = unpack(pos);
        self.index(x, y)
    }

    /// The building whose origin is at `pos`.
    pub fn building(&self, pos: i32) -> Option<&Building> {
        let i = self.origin_index(pos)?;
        self.origins.get(i)?.as_deref().map(|(_, b)| b)
    }

    /// The building whose origin is at `pos`, mutably.
    pub fn building_mut(&mut self, pos: i32) -> Option<&mut Building> {
        self.version += 1;
        let i = self.origin_index(pos)?;
        self.origins.get_mut(i)?.as_deref_mut().map(|(_, b)| b)
    }

    /// The building covering (x, y), with its origin.
    pub fn building_at(&self, x: i32, y: i32) -> Option<(i32, &Building)> {
        let pos = self.tile(x, y)?.building?;
        self.building(pos).map(|b| (pos, b))
    }

    /// All buildings by origin position.
    pub fn buildings(&self) -> impl Iterator<Item = (i32, &Building)> {
        self.order.iter().filter_map(|&p| self.building(p).map(|b| (p, b)))
    }

    /// Number of buildings.
    pub fn building_count(&self) -> usize {
        self.order.len()
    }

    /// Tiles covered by a block of `size` with origin (x, y) (`Block.offset`: lower side gets `(size-1)/2`).
    pub fn footprint(x: i32, y: i32, size: u8) -> impl Iterator<Item = (i32, i32)> {
        let s = i32::from(size.max(1));
        let lo = (s - 1) / 2;
        (0..s).flat_map(move |dy| (0..s).map(move |dx| (x - lo + dx, y - lo + dy)))
    }

    /// Places a finished (or under-construction) building, overwriting nothing: the footprint must be free
    /// and inside the map. Returns false (and changes nothing) otherwise.
    pub fn put(&mut self, x: i32, y: i32, size: u8, building: Building) -> bool {
        self.version += 1;
        self.layout_version += 1;
        let cells: Vec<(i32, i32)> = Self::footprint(x, y, size).collect();
        if cells.iter().any(|&(cx, cy)| self.tile(cx, cy).is_none_or(|t| t.building.is_some())) {
            return false;
        }
        let pos = pack(x, y);
        for (cx, cy) in cells {
            if let Some(t) = self.tile_mut(cx, cy) {
                t.block = building.block;
                t.building = Some(pos);
            }
        }
        if let Some(slot) = self.index(x, y).and_then(|i| self.origins.get_mut(i)) {
            *slot = Some(Box::new((size.max(1), building)));
            self.order.insert(pos);
        }
        true
    }

    /// Removes the building with origin `pos`, clearing its footprint to air.
    pub fn remove(&mut self, pos: i32) -> Option<Building> {
        self.version += 1;
        self.layout_version += 1;
        let i = self.origin_index(pos)?;
        let (size, building) = *self.origins.get_mut(i)?.take()?;
        self.order.remove(&pos);
        let (x, y) = unpack(pos);
        for (cx, cy) in Self::footprint(x, y, size) {
            if let Some(t) = self.index(cx, cy).and_then(|i| self.tiles.get_mut(i))
                && t.building == Some(pos)
            {
                t.block = blocks::id::AIR;
                t.building = None;
            }
        }
        // The buildings it was laser-linked to forget it (`PowerGraph.remove`).
        crate::power::unlink_removed(self, pos, &building.power_links);
        // A removed processor lets go of the buildings it disabled (`LogicBuild.removeFromProximity`).
        if crate::logic::control::is_processor(&building) {
            crate::logic::control::release_disabled_by(self, pos);
        }
        Some(building)
    }

    /// Sets a non-building block (static wall, boulder) on a tile.
    pub fn set_static(&mut self, x: i32, y: i32, block: u16) {
        self.version += 1;
        self.layout_version += 1;
        if let Some(t) = self.tile_mut(x, y)
            && t.building.is_none()
        {
            t.block = block;
        }
    }

    /// `Build.validPlace` for a placeable block: every covered tile inside the map, free (air, or a removable
    /// boulder-like non-wall block), on a floor it may stand on (`placeableOn`; deep liquid only for `floating`
    /// blocks), then the block's `canPlaceOn` ([`blocks::Placement`]): drills need a tile whose drop
    /// (overlay first, then floor) their tier can mine, pumps exactly one kind of liquid, thermal generators heat,
    /// the oil extractor oil.
    pub fn valid_place(&self, rule: &BlockRule, x: i32, y: i32) -> Result<(), PlaceError> {
        self.place_check(rule, x, y, None).map(|_| ())
    }

    /// [`Grid::valid_place`] for `team` placing at `rotation`, allowing replacement as `Build.validPlace` does:
    /// a covered building may be replaced when it is `team`'s (or derelict), finished, `blocks::can_replace`
    /// allows it, it lies wholly inside the new footprint, and it is not the same block at the same rotation.
    /// Returns the positions of the buildings the placement replaces.
    pub fn valid_replace(
        &self,
        rule: &BlockRule,
        x: i32,
        y: i32,
        team: u8,
        rotation: u8,
    ) -> Result<Vec<i32>, PlaceError> {
        self.place_check(rule, x, y, Some((team, rotation)))
    }

    fn place_check(&self, rule: &BlockRule, x: i32, y: i32, replace: Option<(u8, u8)>) -> Result<Vec<i32>, PlaceError> {
        let (mut drill_ok, mut liquid, mut mixed, mut heat, mut oil) = (false, None, false, 0.0f32, 0.0f32);
        let mut replaced: Vec<i32> = Vec::new();
        let lo = (i32::from(rule.size.max(1)) - 1) / 2;
        let inside = |px: i32, py: i32| {
            (x - lo..x - lo + i32::from(rule.size.max(1))).contains(&px)
                && (y - lo..y - lo + i32::from(rule.size.max(1))).contains(&py)
        };
        for (cx, cy) in Self::footprint(x, y, rule.size) {
            let t = self.tile(cx, cy).ok_or(PlaceError::OutOfBounds)?;
            if self.static_walls.contains(&t.block) {
                return Err(PlaceError::Occupied);
            }
            if let Some(p) = t.building
                && !replaced.contains(&p)
            {
                let Some((team, rotation)) = replace else { return Err(PlaceError::Occupied) };
                let b = self.building(p).ok_or(PlaceError::Occupied)?;
                let (px, py) = unpack(p);
                let replaceable = b.construction.is_none()
                    && (b.team == team || b.team == 0)
                    && blocks::can_replace(rule, b.block)
                    && !(b.block == rule.id && b.rotation == rotation % 4)
                    && Self::footprint(px, py, crate::records::block_size(b.block)).all(|(ox, oy)| inside(ox, oy));
                if !replaceable {
                    return Err(PlaceError::Occupied);
                }
                replaced.push(p);
            }
            let floor = blocks::floor(t.floor);
            if floor.unplaceable || (floor.deep && !rule.floating) {
                return Err(PlaceError::BadFloor);
            }
            let drop = blocks::floor(t.overlay).drop_hardness.or(floor.drop_hardness);
            if let blocks::Placement::Drill(tier) = rule.placement
                && drop.is_some_and(|h| h <= tier)
            {
                drill_ok = true;
            }
            if let Some(l) = floor.liquid_drop {
                mixed |= liquid.is_some_and(|p| p != l);
                liquid = Some(l);
            }
            heat += floor.heat;
            oil += floor.oil;
        }
        let ok = match rule.placement {
            blocks::Placement::Any => true,
            blocks::Placement::Drill(_) => drill_ok,
            blocks::Placement::Pump => liquid.is_some() && !mixed,
            blocks::Placement::Heat => heat > 0.01,
            blocks::Placement::Oil => oil > 0.0,
            blocks::Placement::Core => false,
        };
        if ok { Ok(replaced) } else { Err(PlaceError::CannotPlaceOn) }
    }

    /// Whether `team` may deconstruct the building covering (x, y): it exists, is that team's, is no core.
    pub fn valid_break(&self, team: u8, x: i32, y: i32) -> Result<i32, PlaceError> {
        let (pos, b) = self.building_at(x, y).ok_or(PlaceError::NotBreakable)?;
        if b.team != team || blocks::core_unit(b.block).is_some() {
            return Err(PlaceError::NotBreakable);
        }
        Ok(pos)
    }

    /// The first core of `team` (origin position and building).
    pub fn core_of(&self, team: u8) -> Option<(i32, &Building)> {
        self.buildings()
            .find(|(_, b)| b.team == team && blocks::core_unit(b.block).is_some() && b.construction.is_none())
    }

    /// Teams that own at least one core, ascending.
    pub fn core_teams(&self) -> Vec<u8> {
        let mut teams: Vec<u8> = self
            .buildings()
            .filter(|(_, b)| blocks::core_unit(b.block).is_some() && b.construction.is_none())
            .map(|(_, b)| b.team)
            .collect();
        teams.sort_unstable();
        teams.dedup();
        teams
    }

    /// The items of `team`'s first core, mutably.
    pub fn core_items_mut(&mut self, team: u8) -> Option<&mut BTreeMap<u16, i32>> {
        self.version += 1;
        let pos = self.core_of(team)?.0;
        self.building_mut(pos).map(|b| &mut b.items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn construction_changes_are_remembered_by_sequence_until_the_log_is_full() {
        let mut g = Grid::new(10, 10, 1);
        let start = g.construction_seq();
        assert_eq!(g.construction_changes_since(start), Some(&[][..]));
        g.note_construction_change(pack(1, 2));
        g.note_construction_change(pack(3, 4));
        assert_eq!(g.construction_changes_since(start), Some(&[pack(1, 2), pack(3, 4)][..]));
        let mid = g.construction_seq();
        assert_eq!(g.construction_changes_since(mid), Some(&[][..]));
        for i in 0..CONSTRUCTION_LOG_MAX {
            g.note_construction_change(i as i32);
        }
        assert_eq!(g.construction_changes_since(start), None, "forgotten: the reader must recheck everything");
        assert_eq!(g.construction_changes_since(g.construction_seq() + 1), None, "a sequence not reached yet");
        let now = g.construction_seq();
        g.note_construction_change(pack(5, 5));
        assert_eq!(g.construction_changes_since(now), Some(&[pack(5, 5)][..]));
    }

    #[test]
    fn removing_buildings_keeps_the_others_reachable_and_clears_only_the_footprint() {
        let mut g = Grid::new(20, 20, 1);
        for (i, x) in [2, 6, 10, 14].into_iter().enumerate() {
            assert!(g.put(x, 5, 2, Building::new(100 + i as u16, 1, 0, 10.0)));
        }
        let v = g.layout_version();
        assert_eq!(g.remove(pack(2, 5)).map(|b| b.block), Some(100));
        assert!(g.layout_version() > v);
        assert_eq!(g.remove(pack(2, 5)), None);
        assert!(g.building_at(2, 5).is_none() && g.building_at(3, 6).is_none());
        assert_eq!(g.tile(3, 6).map(|t| t.block), Some(blocks::id::AIR));
        for (x, block) in [(6, 101), (10, 102), (14, 103)] {
            assert_eq!(g.building(pack(x, 5)).map(|b| b.block), Some(block));
            assert_eq!(g.building_at(x + 1, 6).map(|(p, b)| (p, b.block)), Some((pack(x, 5), block)));
        }
        assert_eq!(g.buildings().map(|(p, _)| p).collect::<Vec<_>>(), [pack(6, 5), pack(10, 5), pack(14, 5)]);
        assert_eq!(g.building_count(), 3);
        assert!(g.put(2, 5, 2, Building::new(104, 1, 0, 10.0)));
        assert_eq!(g.building_at(3, 6).map(|(_, b)| b.block), Some(104));
    }

    #[test]
    fn pack_round_trips_like_point2() {
        assert_eq!(pack(3, 4), (3 << 16) | 4);
        assert_eq!(unpack(pack(200, 7)), (200, 7));
        assert_eq!(pack(-1, -1), -1);
    }

    #[test]
    fn multi_tile_buildings_cover_their_footprint_and_block_placement() {
        let mut g = Grid::new(10, 10, 1);
        let drill = blocks::rule_named("copper-wall-large").expect("large wall");
        assert_eq!(g.valid_place(drill, 0, 0), Ok(()));
        assert!(g.put(0, 0, 2, Building::new(drill.id, 1, 0, 160.0)));
        assert_eq!(g.building_at(1, 1).map(|(p, _)| p), Some(pack(0, 0)));
        let wall = blocks::rule_named("copper-wall").expect("wall");
        assert_eq!(g.valid_place(wall, 1, 0), Err(PlaceError::Occupied));
        assert_eq!(g.valid_place(wall, 10, 0), Err(PlaceError::OutOfBounds));
        assert_eq!(g.valid_place(drill, 9, 9), Err(PlaceError::OutOfBounds));
        assert_eq!(g.valid_break(2, 1, 1), Err(PlaceError::NotBreakable));
        assert_eq!(g.valid_break(1, 1, 1), Ok(pack(0, 0)));
        assert!(g.remove(pack(0, 0)).is_some());
        assert_eq!(g.tile(1, 1).map(|t| (t.block, t.building)), Some((0, None)));
        let deep = multidustry_world::ContentTable::for_build(multidustry_world::Build::V159)
            .id(multidustry_world::ContentType::BLOCK, "deep-water")
            .expect("deep water");
        g.tile_mut(1, 1).expect("tile").floor = deep;
        assert_eq!(g.valid_place(wall, 1, 1), Err(PlaceError::BadFloor));
        let drill = blocks::rule_named("mechanical-drill").expect("drill");
        assert_eq!(g.valid_place(drill, 4, 4), Err(PlaceError::CannotPlaceOn));
        g.tile_mut(5, 5).expect("tile").overlay = 167; // ore-copper
        assert_eq!(g.valid_place(drill, 4, 4), Ok(()));
        g.tile_mut(5, 5).expect("tile").overlay = 172; // ore-thorium: too hard for tier 2
        assert_eq!(g.valid_place(drill, 4, 4), Err(PlaceError::CannotPlaceOn));
        let pump = blocks::rule_named("mechanical-pump").expect("pump");
        assert_eq!(g.valid_place(pump, 1, 1), Ok(()), "pumps float (Pump.floating)");
        assert_eq!(g.valid_place(pump, 3, 3), Err(PlaceError::CannotPlaceOn));
    }
}
