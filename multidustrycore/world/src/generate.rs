//! The generated default world: what `multidustry monolith` serves when given no map.
//!
//! Owns: [`generate`], a deterministic world from `(seed, width, height)`: value-noise terrain (water, sand,
//! darksand, grass, stone floors; stone/dune walls on the highest ground, plateaus below them rimmed with
//! `cliff` blocks whose tile data holds the 8-neighbour mask of lower ground, as the game's generators'
//! `cliffs()` pass sets it), a sharded `core-shard` with starting items on the left, copper/lead/sand ore
//! fields next to it and coal/titanium/scrap farther out, an enemy spawn on the right, and a cleared, walkable
//! corridor from the core to the spawn. Rules: survival with a 3-minute grace period, written by
//! [`crate::Rules::to_json`] so the Java client reads them.
//!
//! Ids are build-159 native ids with the full native content header, so the world streams to both builds (the
//! 154 client maps everything by name, and every block used here exists in 154).
//!
//! Invariants: same inputs → identical world (ChaCha8 from the seed, no global state); sizes are clamped to
//! [`MIN_SIZE`]..=[`MAX_SIZE`].

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::content::{ContentHeader, ContentTable, ContentType};
use crate::msav::{DataPatches, TeamPlans};
use crate::rules::{Gamemode, Rules};
use crate::tiles::{TileData, Tiles};
use crate::{Build, World};

/// Smallest side accepted.
pub const MIN_SIZE: u16 = 50;
/// Largest side accepted.
pub const MAX_SIZE: u16 = 1000;
/// Team that owns the core (`sharded`).
pub const PLAYER_TEAM: u8 = 1;
/// Items in the core at start (name, amount).
pub const STARTING_ITEMS: &[(&str, i32)] =
    &[("copper", 2000), ("lead", 2000), ("graphite", 500), ("silicon", 500), ("titanium", 200), ("metaglass", 200)];

/// Where the generator put things.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// Core center tile.
    pub core: (i32, i32),
    /// Enemy spawn tile.
    pub spawn: (i32, i32),
}

struct Noise {
    grid: Vec<f32>,
    cells: usize,
    scale: f32,
}

impl Noise {
    fn new(rng: &mut ChaCha8Rng, w: u16, h: u16, scale: f32) -> Self {
        let cells = (f32::from(w.max(h)) / scale) as usize + 2;
        Self { grid: (0..cells * cells).map(|_| rng.random::<f32>()).collect(), cells, scale }
    }

    fn at(&self, x: i32, y: i32) -> f32 {
        let (fx, fy) = (x as f32 / self.scale, y as f32 / self.scale);
        let (ix, iy) = (fx as usize, fy as usize);
        let (tx, ty) = (fx - ix as f32, fy - iy as f32);
        let (sx, sy) = (tx * tx * (3.0 - 2.0 * tx), ty * ty * (3.0 - 2.0 * ty));
        let g = |a: usize, b: usize| self.grid[(b.min(self.cells - 1)) * self.cells + a.min(self.cells - 1)];
        let top = g(ix, iy) * (1.0 - sx) + g(ix + 1, iy) * sx;
        let bottom = g(ix, iy + 1) * (1.0 - sx) + g(ix + 1, iy + 1) * sx;
        top * (1.0 - sy) + bottom * sy
    }
}

/// The core record a build-159/154 client reads for a `core-shard` (revision 1: `writeBase` with an item
/// module, then `commandPos` as a null vector), as the Java servers write it.
pub fn core_record(team: u8, health: f32, items: &[(u16, i32)]) -> Vec<u8> {
    let mut w = multidustry_protocol::io::Writer::new();
    w.u8(1).f32(health).u8(0x80).u8(team).u8(3).u8(1).u8(1 | 8);
    w.i16(i16::try_from(items.len()).unwrap_or(0));
    for (id, n) in items {
        w.i16(i16::try_from(*id).unwrap_or(0)).i32(*n);
    }
    w.u8(255).u8(255).f32(f32::NAN).f32(f32::NAN);
    w.into_inner()
}

/// Generates the default world; see the module docs.
pub fn generate(seed: u64, width: u16, height: u16) -> World {
    generate_with_layout(seed, width, height).0
}

/// [`generate`], also telling where the core and spawn are.
pub fn generate_with_layout(seed: u64, width: u16, height: u16) -> (World, Layout) {
    let (w, h) = (width.clamp(MIN_SIZE, MAX_SIZE), height.clamp(MIN_SIZE, MAX_SIZE));
    let table = ContentTable::for_build(Build::V159);
    let id = |name: &str| table.id(ContentType::BLOCK, name).expect("generator uses vanilla blocks");
    let item = |name: &str| table.id(ContentType::ITEM, name).expect("vanilla item");
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let elevation = [Noise::new(&mut rng, w, h, 40.0), Noise::new(&mut rng, w, h, 13.0)];
    let moisture = Noise::new(&mut rng, w, h, 30.0);
    let ores = [
        ("ore-copper", Noise::new(&mut rng, w, h, 7.0), 0.80),
        ("ore-lead", Noise::new(&mut rng, w, h, 7.0), 0.80),
        ("ore-coal", Noise::new(&mut rng, w, h, 6.0), 0.84),
        ("ore-titanium", Noise::new(&mut rng, w, h, 6.0), 0.85),
        ("ore-scrap", Noise::new(&mut rng, w, h, 5.0), 0.88),
    ];
    let (wi, hi) = (i32::from(w), i32::from(h));
    let core = (wi / 5 + rng.random_range(-2..=2), hi / 2 + rng.random_range(-(hi / 8)..=hi / 8));
    let spawn = (wi - wi / 6, hi / 2 + rng.random_range(-(hi / 6)..=hi / 6));
    let dist2 = |x: i32, y: i32, p: (i32, i32)| (x - p.0).pow(2) + (y - p.1).pow(2);
    // Distance from the core→spawn segment.
    let corridor = |x: i32, y: i32| {
        let (ax, ay, bx, by) = (core.0 as f32, core.1 as f32, spawn.0 as f32, spawn.1 as f32);
        let (dx, dy) = (bx - ax, by - ay);
        let t = (((x as f32 - ax) * dx + (y as f32 - ay) * dy) / (dx * dx + dy * dy)).clamp(0.0, 1.0);
        ((x as f32 - ax - t * dx).powi(2) + (y as f32 - ay - t * dy).powi(2)).sqrt()
    };

    let mut tiles = Tiles::new(w, h, id("stone"));
    // High ground (below the wall line) that gets a cliff rim.
    let mut plateau = vec![false; usize::from(w) * usize::from(h)];
    let (deep, shallow, sand, darksand, grass, stone) =
        (id("deep-water"), id("shallow-water"), id("sand-floor"), id("darksand"), id("grass"), id("stone"));
    let (stone_wall, dune_wall) = (id("stone-wall"), id("dune-wall"));
    for y in 0..hi {
        for x in 0..wi {
            let i = (y * wi + x) as usize;
            let mut e = elevation[0].at(x, y) * 0.75 + elevation[1].at(x, y) * 0.25;
            // Flatten around the core and spawn and along the corridor so both are reachable.
            let near_core = dist2(x, y, core) <= 14 * 14;
            let near_spawn = dist2(x, y, spawn) <= 10 * 10;
            let path = corridor(x, y) <= 3.0;
            if near_core || near_spawn || path {
                e = e.clamp(0.42, 0.6);
            }
            let m = moisture.at(x, y);
            tiles.floor[i] = match e {
                e if e < 0.22 => deep,
                e if e < 0.30 => shallow,
                e if e < 0.36 => sand,
                _ if m > 0.62 => grass,
                _ if m < 0.32 => darksand,
                _ => stone,
            };
            plateau[i] = e > 0.64 && !(near_core || near_spawn || path);
            let edge = x < 2 || y < 2 || x >= wi - 2 || y >= hi - 2;
            if edge || e > 0.72 {
                tiles.block[i] =
                    if tiles.floor[i] == darksand || tiles.floor[i] == sand { dune_wall } else { stone_wall };
            }
            if tiles.floor[i] != deep && tiles.floor[i] != shallow && !near_spawn {
                for (name, noise, threshold) in &ores {
                    let far = dist2(x, y, core) > 40 * 40;
                    let needs_far = matches!(*name, "ore-titanium" | "ore-scrap");
                    if noise.at(x, y) > *threshold && (far || !needs_far) {
                        tiles.overlay[i] = id(name);
                        break;
                    }
                }
            }
        }
    }
    // Cliff rims: plateau tiles (not walls) next to lower ground become `cliff`, with the mask of lower
    // neighbours in `Geometry.d8` order (E, NE, N, NW, W, SW, S, SE) as their tile data.
    let cliff = id("cliff");
    const D8: [(i32, i32); 8] = [(1, 0), (1, 1), (0, 1), (-1, 1), (-1, 0), (-1, -1), (0, -1), (1, -1)];
    for y in 0..hi {
        for x in 0..wi {
            let i = (y * wi + x) as usize;
            if !plateau[i] || tiles.block[i] != 0 {
                continue;
            }
            let mut mask = 0u8;
            for (bit, (dx, dy)) in D8.iter().enumerate() {
                if tiles.index(x + dx, y + dy).is_some_and(|j| !plateau[j]) {
                    mask |= 1 << bit;
                }
            }
            if mask != 0 {
                tiles.block[i] = cliff;
                tiles.overlay[i] = 0;
                tiles.data.insert(i as u32, TileData { data: mask as i8, ..TileData::default() });
            }
        }
    }
    // Guaranteed ore fields next to the core: copper, lead and sand within reach of the first drills.
    let fields = [("ore-copper", (7, 3)), ("ore-lead", (-7, -3)), ("ore-copper", (-3, 8)), ("ore-lead", (3, -8))];
    for (name, (dx, dy)) in fields {
        for oy in -2..=2 {
            for ox in -2..=2 {
                if ox * ox + oy * oy <= 5
                    && let Some(i) = tiles.index(core.0 + dx + ox, core.1 + dy + oy)
                {
                    tiles.overlay[i] = id(name);
                    tiles.block[i] = 0;
                    tiles.data.remove(&(i as u32));
                }
            }
        }
    }
    for oy in -1..=1 {
        for ox in -1..=1 {
            if let Some(i) = tiles.index(core.0 + 9 + ox, core.1 - 6 + oy) {
                tiles.floor[i] = sand;
                tiles.overlay[i] = 0;
            }
        }
    }
    if let Some(i) = tiles.index(spawn.0, spawn.1) {
        tiles.overlay[i] = id("spawn");
        tiles.block[i] = 0;
    }
    let items: Vec<(u16, i32)> = STARTING_ITEMS.iter().map(|(n, a)| (item(n), *a)).collect();
    let shard = id("core-shard");
    for dy in -1..=1 {
        for dx in -1..=1 {
            if let Some(i) = tiles.index(core.0 + dx, core.1 + dy) {
                tiles.overlay[i] = 0;
            }
        }
    }
    tiles.place_building(core.0, core.1, shard, 3, core_record(PLAYER_TEAM, 1100.0, &items));

    let mut rules = Rules::for_mode(Gamemode::Survival);
    rules.initial_wave_spacing = 10800.0;
    rules.touch_team(PLAYER_TEAM);
    rules.touch_team(rules.wave_team());
    let rules = rules.to_json();
    let meta = vec![
        ("name".to_owned(), format!("Generated {seed}")),
        ("author".to_owned(), "multidustry".to_owned()),
        ("description".to_owned(), format!("Generated world, seed {seed}, {w}x{h}.")),
        ("width".to_owned(), w.to_string()),
        ("height".to_owned(), h.to_string()),
        ("rules".to_owned(), rules),
        ("wave".to_owned(), "1".to_owned()),
        ("wavetime".to_owned(), "10800".to_owned()),
        ("tick".to_owned(), "0".to_owned()),
        ("mapname".to_owned(), format!("Generated {seed}")),
        ("build".to_owned(), "159".to_owned()),
    ];
    let world = World {
        version: crate::msav::VERSION_159,
        meta,
        patches: DataPatches { format: 2, assets: Vec::new() },
        content: ContentHeader::native(Build::V159),
        tiles,
        entity_mapping: Vec::new(),
        teams: vec![TeamPlans { team: i32::from(PLAYER_TEAM), plans: Vec::new() }],
        entities: Vec::new(),
        markers: b"{}".to_vec(),
        custom: Vec::new(),
    };
    (world, Layout { core, spawn })
}
