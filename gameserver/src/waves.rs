//! Enemy waves: spawn groups, the wave spawner, and the (minimal) enemy unit AI.
//!
//! Owns: `SpawnGroup` as the Java game counts it (`getSpawned`: begin/end/spacing/unitAmount/unitScaling/max,
//! shields), reading `rules.spawns` from the map's rules JSON (a minimal tolerant Arc-JSON reader; the world
//! crate's typed Rules model will replace it), Java's `DefaultWaves` (the first groups, for maps without
//! spawns), `WaveSpawner.spawnEnemies` (ground units around each `spawn` overlay tile within 2 tiles, flyers
//! from the map edge past the centre), the facts of the Serpulo wave unit types (`UnitTypes`: type id, entity
//! class id, speed, health, flying), and the movement of wave units: ground units follow a breadth-first flow
//! field toward the nearest player-team core over walkable tiles (no building, no static wall, no deep
//! liquid); flyers move straight at it. Units stop next to the core.
//!
//! Does not own: the ECS (`ecs`), snapshots (`sync` writes the units like any other), the countdown (`sim`).
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

/// `SpawnGroup` (defaults as Java: end = never, spacing 1, unitAmount 1, unitScaling = never, max 100).
#[derive(Debug, Clone, PartialEq)]
pub struct SpawnGroup {
    /// Unit type id.
    pub unit_type: i16,
    /// First wave (0-based, as `getSpawned` counts).
    pub begin: i32,
    /// Last wave.
    pub end: i32,
    /// Waves between spawns.
    pub spacing: i32,
    /// Units at the first spawn.
    pub unit_amount: i32,
    /// Waves per additional unit.
    pub unit_scaling: f32,
    /// Most units per spawn.
    pub max: i32,
    /// Shield at `begin`.
    pub shields: f32,
    /// Shield per wave after `begin`.
    pub shield_scaling: f32,
    /// Only this spawn tile (packed position), or all.
    pub spawn: Option<i32>,
}

impl SpawnGroup {
    /// A group of `unit_type` with Java's defaults.
    pub fn new(unit_type: i16) -> Self {
        Self {
            unit_type,
            begin: 0,
            end: i32::MAX,
            spacing: 1,
            unit_amount: 1,
            unit_scaling: f32::MAX,
            max: 100,
            shields: 0.0,
            shield_scaling: 0.0,
            spawn: None,
        }
    }

    /// `SpawnGroup.getSpawned(wave)`.
    pub fn spawned(&self, wave: i32) -> i32 {
        let spacing = self.spacing.max(1);
        if wave < self.begin || wave > self.end || (wave - self.begin) % spacing != 0 {
            return 0;
        }
        let extra = ((wave - self.begin) / spacing) as f32 / self.unit_scaling;
        (self.unit_amount + extra as i32).min(self.max)
    }

    /// `SpawnGroup.getShield(wave)`.
    pub fn shield(&self, wave: i32) -> f32 {
        (self.shields + self.shield_scaling * (wave - self.begin) as f32).max(0.0)
    }
}

/// The first groups of Java's `DefaultWaves` (those whose unit types are in [`UNIT_TYPES`]).
pub fn default_groups() -> Vec<SpawnGroup> {
    let g = |name: &str| SpawnGroup::new(unit_type_named(name).map_or(0, |u| u.id));
    vec![
        SpawnGroup { end: 10, unit_scaling: 2.0, ..g("dagger") },
        SpawnGroup { begin: 4, end: 13, unit_amount: 2, unit_scaling: 1.5, ..g("crawler") },
        SpawnGroup { begin: 12, end: 16, unit_scaling: 1.0, ..g("flare") },
        SpawnGroup { begin: 11, unit_scaling: 1.7, spacing: 2, max: 4, ..g("dagger") },
        SpawnGroup { begin: 13, spacing: 3, unit_scaling: 0.5, ..g("pulsar") },
        SpawnGroup { begin: 7, spacing: 3, unit_scaling: 2.0, end: 30, ..g("mace") },
        SpawnGroup { begin: 8, unit_scaling: 1.0, unit_amount: 4, spacing: 2, ..g("dagger") },
        SpawnGroup { begin: 28, spacing: 3, unit_scaling: 1.0, end: 40, ..g("mace") },
        SpawnGroup { begin: 16, unit_scaling: 1.0, spacing: 2, ..g("flare") },
        SpawnGroup { begin: 40, spacing: 5, unit_amount: 2, unit_scaling: 2.0, max: 20, ..g("fortress") },
        SpawnGroup { begin: 40, unit_amount: 2, spacing: 2, unit_scaling: 2.0, ..g("horizon") },
        SpawnGroup { begin: 50, unit_amount: 2, unit_scaling: 3.0, spacing: 5, max: 16, ..g("zenith") },
        SpawnGroup { begin: 31, unit_amount: 4, unit_scaling: 1.0, spacing: 3, ..g("atrax") },
    ]
}

// ------------------------------------------------------------------------------------------------------------
// a minimal tolerant reader for the `spawns` array of Arc JSON rules

#[derive(Debug, Clone, PartialEq)]
enum Json {
    Obj(Vec<(String, Json)>),
    Arr(Vec<Json>),
    Str(String),
    Num(f64),
    Other,
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    depth: u32,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.s.get(self.i).is_some_and(|c| c.is_ascii_whitespace() || *c == b',' || *c == b':') {
            self.i += 1;
        }
    }

    fn word(&mut self) -> String {
        let start = self.i;
        if self.s.get(self.i) == Some(&b'"') {
            self.i += 1;
            let start = self.i;
            while self.s.get(self.i).is_some_and(|c| *c != b'"') {
                self.i += if self.s.get(self.i) == Some(&b'\\') { 2 } else { 1 };
            }
            let out = String::from_utf8_lossy(self.s.get(start..self.i.min(self.s.len())).unwrap_or(&[])).into_owned();
            self.i += 1;
            return out;
        }
        while self.s.get(self.i).is_some_and(|c| !b",:{}[] \t\r\n".contains(c)) {
            self.i += 1;
        }
        String::from_utf8_lossy(self.s.get(start..self.i).unwrap_or(&[])).into_owned()
    }

    fn value(&mut self) -> Option<Json> {
        self.ws();
        self.depth += 1;
        if self.depth > 64 {
            return None;
        }
        let v = match *self.s.get(self.i)? {
            b'{' => {
                self.i += 1;
                let mut fields = Vec::new();
                loop {
                    self.ws();
                    match self.s.get(self.i)? {
                        b'}' => {
                            self.i += 1;
                            break;
                        }
                        _ => {
                            let key = self.word();
                            let v = self.value()?;
                            fields.push((key, v));
                        }
                    }
                }
                Json::Obj(fields)
            }
            b'[' => {
                self.i += 1;
                let mut items = Vec::new();
                loop {
                    self.ws();
                    if *self.s.get(self.i)? == b']' {
                        self.i += 1;
                        break;
                    }
                    items.push(self.value()?);
                }
                Json::Arr(items)
            }
            b'"' => Json::Str(self.word()),
            _ => {
                let w = self.word();
                if w.is_empty() {
                    return None;
                }
                w.parse::<f64>().map_or(
                    if w == "true" || w == "false" || w == "null" { Json::Other } else { Json::Str(w) },
                    Json::Num,
                )
            }
        };
        self.depth -= 1;
        Some(v)
    }
}

/// The strings of the top-level array `key` of a rules JSON (e.g. `bannedBlocks`); `None` when absent.
pub fn string_list(rules_json: &str, key: &str) -> Option<Vec<String>> {
    let mut p = Parser { s: rules_json.as_bytes(), i: 0, depth: 0 };
    let Json::Obj(fields) = p.value()? else { return None };
    let (_, Json::Arr(items)) = fields.into_iter().find(|(k, _)| k == key)? else { return None };
    Some(
        items
            .into_iter()
            .filter_map(|v| match v {
                Json::Str(s) => Some(s),
                _ => None,
            })
            .collect(),
    )
}

/// The `spawns` of a rules JSON: `None` when the key is absent (Java then uses the default waves), `Some`
/// (possibly empty) when present. Groups of unit types not in [`UNIT_TYPES`] are left out.
pub fn parse_spawns(rules_json: &str) -> Option<Vec<SpawnGroup>> {
    let mut p = Parser { s: rules_json.as_bytes(), i: 0, depth: 0 };
    let Json::Obj(fields) = p.value()? else { return None };
    let (_, Json::Arr(groups)) = fields.into_iter().find(|(k, _)| k == "spawns")? else { return None };
    let mut out = Vec::new();
    for g in groups {
        let Json::Obj(fields) = g else { continue };
        let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v);
        let num = |k: &str| match get(k) {
            Some(Json::Num(n)) => Some(*n),
            _ => None,
        };
        let type_name = match get("type") {
            Some(Json::Str(s)) => s.as_str(),
            _ => "dagger",
        };
        let Some(ty) = unit_type_named(type_name) else { continue };
        let mut group = SpawnGroup::new(ty.id);
        let int = |v: f64| v.clamp(f64::from(i32::MIN), f64::from(i32::MAX)) as i32;
        if let Some(v) = num("begin") {
            group.begin = int(v);
        }
        if let Some(v) = num("end") {
            group.end = int(v);
        }
        if let Some(v) = num("spacing") {
            group.spacing = int(v);
        }
        if let Some(v) = num("unitAmount") {
            group.unit_amount = int(v);
        }
        if let Some(v) = num("unitScaling") {
            group.unit_scaling = v as f32;
        }
        if let Some(v) = num("max") {
            group.max = int(v);
        }
        if let Some(v) = num("shields") {
            group.shields = v as f32;
        }
        if let Some(v) = num("shieldScaling") {
            group.shield_scaling = v as f32;
        }
        if let Some(v) = num("spawn") {
            group.spawn = Some(int(v)).filter(|p| *p != -1);
        }
        out.push(group);
    }
    Some(out)
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
        let (w, h) = (grid.width(), grid.height());
        let mut dist = vec![u32::MAX; (w.max(0) * h.max(0)) as usize];
        let mut queue = VecDeque::new();
        let cores: Vec<(i32, i32, u8)> = grid
            .buildings()
            .filter(|(_, b)| targets.contains(&b.team) && crate::blocks::core_unit(b.block).is_some())
            .map(|(p, b)| {
                let (x, y) = crate::grid::unpack(p);
                (x, y, crate::records::block_size(b.block))
            })
            .collect();
        let walkable = |x: i32, y: i32| {
            grid.tile(x, y).is_some_and(|t| {
                let f = crate::blocks::floor(t.floor);
                t.building.is_none() && !grid.static_walls.contains(&t.block) && !f.deep && !f.unplaceable
            })
        };
        for &(cx, cy, size) in &cores {
            for (x, y) in Grid::footprint(cx, cy, size.saturating_add(2)) {
                if walkable(x, y) {
                    let i = (y * w + x) as usize;
                    if dist[i] == u32::MAX {
                        dist[i] = 0;
                        queue.push_back((x, y));
                    }
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
        Self { width: w, height: h, dist, version: grid.layout_version(), cores }
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

    #[test]
    fn spawn_counts_follow_get_spawned() {
        let g = SpawnGroup { end: 10, unit_scaling: 2.0, ..SpawnGroup::new(0) };
        let counts: Vec<i32> = (0..12).map(|w| g.spawned(w)).collect();
        assert_eq!(counts, vec![1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 0]);
        let spaced = SpawnGroup { begin: 11, unit_scaling: 1.7, spacing: 2, max: 4, ..SpawnGroup::new(0) };
        assert_eq!((spaced.spawned(10), spaced.spawned(11), spaced.spawned(12), spaced.spawned(99)), (0, 1, 0, 4));
        let shielded = SpawnGroup { begin: 2, shields: 10.0, shield_scaling: 5.0, ..SpawnGroup::new(0) };
        assert_eq!(shielded.shield(4), 20.0);
        assert_eq!(default_groups()[0].spawned(0), 1);
    }

    #[test]
    fn spawns_are_read_from_arc_json_rules() {
        let rules = r#"{waves:true,spawns:[{type:flare,begin:2,end:9,unitScaling:1.5,max:3},{type:"dagger"},
            {type:reign}],waveSpacing:600}"#;
        let groups = parse_spawns(rules).expect("spawns present");
        assert_eq!(groups.len(), 2, "unknown unit types are left out");
        assert_eq!((groups[0].unit_type, groups[0].begin, groups[0].end, groups[0].max), (15, 2, 9, 3));
        assert_eq!(groups[1], SpawnGroup::new(0));
        assert_eq!(parse_spawns("{waves:true}"), None);
        assert_eq!(parse_spawns("{spawns:[]}"), Some(vec![]));
        assert_eq!(parse_spawns("{spawns:[{type:dagger"), None);
        assert_eq!(parse_spawns(&"[".repeat(10_000)), None);
        assert_eq!(
            string_list(r#"{bannedBlocks:["duo",scatter],x:1}"#, "bannedBlocks"),
            Some(vec!["duo".into(), "scatter".into()])
        );
        assert_eq!(string_list("{x:1}", "bannedBlocks"), None);
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
