//! Enemy waves: spawn groups, the wave spawner, and the (minimal) enemy unit AI.
//!
//! Owns: `WaveSpawner.spawnEnemies` (ground units around each `spawn` overlay tile within 2 tiles, flyers
//! from the map edge past the centre), the facts of the Serpulo wave unit types (`UnitTypes`: type id, entity
//! class id, speed, health, flying), and the movement of wave units: ground units follow a breadth-first flow
//! field toward the nearest player-team core over walkable tiles (no building, no static wall, no deep
//! liquid); flyers move straight at it. Units stop next to the core.
//!
//! Does not own: spawn groups, their wave arithmetic and Java's default waves (the world crate's typed rules:
//! `multidustry_world::SpawnGroup`, `Rules::wave`, `default_waves`), the ECS (`ecs`), snapshots (`sync` writes the units like any other), the countdown (`sim`).
//!
//! Missing (not simulated yet): combat (units neither shoot nor take damage, so they never die and a wave
//! never ends a game), Java's flowfield costs (other teams' buildings are walls here; Java paths through them
//! at a cost and shoots them), unit-type abilities, legged/naval movement rules, status effects and items of
//! groups, boss waves, `rules.waitEnemies`, `attackMode` core spawns. Wave units are not limited by a unit cap,
//! as in Java's `WaveSpawner` (which ignores `rules.unitCap`); [`MAX_WAVE_UNITS`] is only a safety bound.

use std::collections::VecDeque;

use crate::grid::Grid;

/// Safety bound on living wave units (not a Java rule: Java's spawner has no cap).
pub const MAX_WAVE_UNITS: usize = 2000;

/// `WaveSpawner.margin`: how far outside the map flyers may appear (world units).
const FLYER_MARGIN: f32 = 40.0;

/// Facts of a unit type that can appear in waves (`mindustry.content.UnitTypes`; ids of builds 154 and 159).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UnitTypeFacts {
    /// Content name.
    pub name: &'static str,
    /// Unit type id.
    pub id: i16,
    /// Entity class id (`EntityMapping`).
    pub class_id: u8,
    /// `speed` (world units per tick).
    pub speed: f32,
    /// `health`.
    pub health: f32,
    /// `flying`.
    pub flying: bool,
    /// Weapon mounts in the sync record.
    pub mounts: u8,
}

/// The Serpulo ground/air units of the default waves and common map spawn groups.
pub const UNIT_TYPES: &[UnitTypeFacts] = &[
    UnitTypeFacts { name: "dagger", id: 0, class_id: 4, speed: 0.5, health: 130.0, flying: false, mounts: 2 },
    UnitTypeFacts { name: "mace", id: 1, class_id: 4, speed: 0.5, health: 550.0, flying: false, mounts: 2 },
    UnitTypeFacts { name: "fortress", id: 2, class_id: 4, speed: 0.43, health: 900.0, flying: false, mounts: 2 },
    UnitTypeFacts { name: "nova", id: 5, class_id: 17, speed: 0.55, health: 120.0, flying: false, mounts: 2 },
    UnitTypeFacts { name: "pulsar", id: 6, class_id: 19, speed: 0.7, health: 320.0, flying: false, mounts: 2 },
    UnitTypeFacts { name: "crawler", id: 10, class_id: 4, speed: 1.0, health: 200.0, flying: false, mounts: 1 },
    UnitTypeFacts { name: "atrax", id: 11, class_id: 24, speed: 0.6, health: 460.0, flying: false, mounts: 2 },
    UnitTypeFacts { name: "spiroct", id: 12, class_id: 21, speed: 0.54, health: 760.0, flying: false, mounts: 4 },
    UnitTypeFacts { name: "flare", id: 15, class_id: 3, speed: 2.7, health: 70.0, flying: true, mounts: 2 },
    UnitTypeFacts { name: "horizon", id: 16, class_id: 3, speed: 1.7, health: 340.0, flying: true, mounts: 0 },
    UnitTypeFacts { name: "zenith", id: 17, class_id: 3, speed: 1.7, health: 700.0, flying: true, mounts: 2 },
];

/// Facts of a unit type by id.
pub fn unit_type(id: i16) -> Option<&'static UnitTypeFacts> {
    UNIT_TYPES.iter().find(|u| u.id == id)
}

/// Facts of a unit type by name.
pub fn unit_type_named(name: &str) -> Option<&'static UnitTypeFacts> {
    UNIT_TYPES.iter().find(|u| u.name == name)
}

// ------------------------------------------------------------------------------------------------------------
// positions and movement

/// Ground spawn points: tiles whose overlay is the `spawn` marker (block id 1).
pub fn spawn_tiles(grid: &Grid) -> Vec<(i32, i32)> {
    let mut out = Vec::new();
    for y in 0..grid.height() {
        for x in 0..grid.width() {
            if grid.tile(x, y).is_some_and(|t| t.overlay == 1) {
                out.push((x, y));
            }
        }
    }
    out
}

/// `eachFlyerSpawn`: the point past the map centre on the line from a spawn tile through it, clamped to the
/// map plus a margin (world units).
pub fn flyer_spawn(grid: &Grid, tile: (i32, i32)) -> (f32, f32) {
    let (w, h) = (grid.width() as f32, grid.height() as f32);
    let angle = ((h / 2.0) - tile.1 as f32).atan2((w / 2.0) - tile.0 as f32);
    let trns = w.max(h) * std::f32::consts::SQRT_2 * 8.0;
    let x = (w * 8.0 / 2.0 + angle.cos() * trns).clamp(-FLYER_MARGIN, w * 8.0 + FLYER_MARGIN);
    let y = (h * 8.0 / 2.0 + angle.sin() * trns).clamp(-FLYER_MARGIN, h * 8.0 + FLYER_MARGIN);
    (x, y)
}

/// Breadth-first distances (in tiles) to the nearest tile next to a target core, over walkable tiles.
#[derive(Debug, Clone)]
pub struct FlowField {
    width: i32,
    height: i32,
    dist: Vec<u32>,
    /// Grid layout version the field was computed for (`Grid::layout_version`).
    pub version: u64,
    /// Target cores (origin tile, size).
    pub cores: Vec<(i32, i32, u8)>,
}

impl FlowField {
    /// Distances toward the cores of `targets` (teams) for ground units of `team`.
    pub fn new(grid: &Grid, targets: &[u8]) -> Self {
        let cores: Vec<(i32, i32, u8)> = grid
            .buildings()
            .filter(|(_, b)| targets.contains(&b.team) && crate::blocks::core_unit(b.block).is_some())
            .map(|(p, b)| {
                let (x, y) = crate::grid::unpack(p);
                (x, y, crate::records::block_size(b.block))
            })
            .collect();
        let seeds = cores.iter().flat_map(|&(cx, cy, size)| Grid::footprint(cx, cy, size.saturating_add(2)));
        let mut field = Self::from_seeds(grid, seeds);
        field.cores = cores;
        field
    }

    /// Distances toward tile (x, y) (a logic unit's `ucontrol pathfind` target); no cores.
    pub fn to_tile(grid: &Grid, x: i32, y: i32) -> Self {
        Self::from_seeds(grid, std::iter::once((x, y)))
    }

    /// Breadth-first distances from the walkable tiles among `seeds`.
    fn from_seeds(grid: &Grid, seeds: impl Iterator<Item = (i32, i32)>) -> Self {
        let (w, h) = (grid.width(), grid.height());
        let mut dist = vec![u32::MAX; (w.max(0) * h.max(0)) as usize];
        let mut queue = VecDeque::new();
        let walkable = |x: i32, y: i32| {
            grid.tile(x, y).is_some_and(|t| {
                let f = crate::blocks::floor(t.floor);
                t.building.is_none() && !grid.static_walls.contains(&t.block) && !f.deep && !f.unplaceable
            })
        };
        for (x, y) in seeds {
            if walkable(x, y) {
                let i = (y * w + x) as usize;
                if dist[i] == u32::MAX {
                    dist[i] = 0;
                    queue.push_back((x, y));
                }
            }
        }
        while let Some((x, y)) = queue.pop_front() {
            let d = dist[(y * w + x) as usize];
            for (dx, dy) in [(1, 0), (-1, 0), (0, 1), (0, -1)] {
                let (nx, ny) = (x + dx, y + dy);
                if walkable(nx, ny) {
                    let i = (ny * w + nx) as usize;
                    if dist[i] == u32::MAX {
                        dist[i] = d + 1;
                        queue.push_back((nx, ny));
                    }
                }
            }
        }
        Self { width: w, height: h, dist, version: grid.layout_version(), cores: Vec::new() }
    }

    /// Distance of tile (x, y), `None` when unreachable or outside.
    pub fn distance(&self, x: i32, y: i32) -> Option<u32> {
        if x < 0 || y < 0 || x >= self.width || y >= self.height {
            return None;
        }
        self.dist.get((y * self.width + x) as usize).copied().filter(|d| *d != u32::MAX)
    }

    /// The world position a ground unit at (x, y) heads for next: the centre of the neighbouring tile with
    /// the smallest distance; `None` when it has arrived or is stuck.
    pub fn next_step(&self, x: f32, y: f32) -> Option<(f32, f32)> {
        let (tx, ty) = ((x / 8.0).round() as i32, (y / 8.0).round() as i32);
        let here = self.distance(tx, ty);
        if here == Some(0) {
            return None;
        }
        let mut best: Option<((i32, i32), u32)> = None;
        for (dx, dy) in [(1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (1, -1), (-1, 1), (-1, -1)] {
            let (nx, ny) = (tx + dx, ty + dy);
            let Some(d) = self.distance(nx, ny) else { continue };
            // Diagonal steps only between two walkable orthogonal neighbours (no corner cutting).
            if dx != 0 && dy != 0 && (self.distance(tx + dx, ty).is_none() || self.distance(tx, ty + dy).is_none()) {
                continue;
            }
            if best.is_none_or(|(_, bd)| d < bd) {
                best = Some(((nx, ny), d));
            }
        }
        match (best, here) {
            (Some(((nx, ny), d)), Some(h)) if d < h => Some((nx as f32 * 8.0, ny as f32 * 8.0)),
            (Some(((nx, ny), _)), None) => Some((nx as f32 * 8.0, ny as f32 * 8.0)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use multidustry_world::SpawnGroup;

    #[test]
    fn spawn_counts_follow_get_spawned() {
        let g = SpawnGroup { end: 10, unit_scaling: 2.0, ..SpawnGroup::of("dagger") };
        let counts: Vec<i32> = (0..12).map(|w| g.spawned(w)).collect();
        assert_eq!(counts, vec![1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 0]);
        let spaced = SpawnGroup { begin: 11, unit_scaling: 1.7, spacing: 2, max: 4, ..SpawnGroup::of("dagger") };
        assert_eq!((spaced.spawned(10), spaced.spawned(11), spaced.spawned(12), spaced.spawned(99)), (0, 1, 0, 4));
        let shielded = SpawnGroup { begin: 2, shields: 10.0, shield_scaling: 5.0, ..SpawnGroup::of("dagger") };
        assert_eq!(shielded.shield(4), 20.0);
        let first = &multidustry_world::rules::default_waves()[0];
        assert!(unit_type_named(&first.unit_type).is_some() && first.spawned(0) >= 1);
    }

    #[test]
    fn the_flow_field_leads_around_walls_to_the_core() {
        let mut g = Grid::new(30, 10, 33);
        assert!(g.put(3, 5, 3, crate::grid::Building::new(crate::blocks::id::CORE_SHARD, 1, 0, 1100.0)));
        g.static_walls.push(80);
        for y in 0..8 {
            g.set_static(15, y, 80); // a wall with a gap at the top
        }
        let f = FlowField::new(&g, &[1]);
        assert_eq!(f.distance(4, 7), Some(0));
        assert_eq!(f.distance(15, 3), None);
        let (mut x, mut y) = (25.0 * 8.0, 2.0 * 8.0);
        let mut steps = 0;
        while let Some((nx, ny)) = f.next_step(x, y) {
            (x, y) = (nx, ny);
            steps += 1;
            assert!(steps < 200, "stuck");
            assert!(!(x / 8.0 == 15.0 && y / 8.0 < 8.0), "walked through the wall");
        }
        assert_eq!(f.distance((x / 8.0) as i32, (y / 8.0) as i32), Some(0));
    }
}
