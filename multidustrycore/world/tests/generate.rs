//! The generated default world: deterministic, loadable, playable (core with items, ores near it, a spawn
//! reachable over land).

use std::collections::VecDeque;

use multidustry_world::generate::{Layout, generate, generate_with_layout};
use multidustry_world::{Build, ContentType, PlayerRecord, StreamParams, World, WorldStream};

#[test]
fn same_seed_same_world_other_seed_other_world() {
    assert_eq!(generate(7, 200, 150), generate(7, 200, 150));
    assert_ne!(generate(7, 200, 150).tiles, generate(8, 200, 150).tiles);
    let w = generate(1, 10, 5000);
    assert_eq!((w.tiles.width, w.tiles.height), (50, 1000), "sizes are clamped");
}

#[test]
fn generated_world_saves_loads_and_streams_for_both_builds() {
    let w = generate(42, 250, 250);
    let back = World::read_msav(&w.write_msav(13).expect("write")).expect("read");
    assert_eq!(back, w);
    for build in Build::ALL {
        let p = StreamParams::new(5, PlayerRecord::new("p", 1, -1));
        let s = WorldStream::read_compressed(&w.world_stream(build, &p).expect("stream"), build).expect("parse");
        assert_eq!(s.tiles, w.tiles);
        assert!(s.teams.iter().any(|t| t.team == 1));
    }
}

fn reachable(w: &World, from: (i32, i32), to: (i32, i32)) -> bool {
    let t = &w.tiles;
    let deep = w.content.id(ContentType::BLOCK, "deep-water");
    let mut seen = vec![false; t.len()];
    let mut q = VecDeque::from([from]);
    while let Some((x, y)) = q.pop_front() {
        if (x - to.0).abs() <= 1 && (y - to.1).abs() <= 1 {
            return true;
        }
        for (dx, dy) in [(1, 0), (-1, 0), (0, 1), (0, -1)] {
            let (nx, ny) = (x + dx, y + dy);
            let Some(i) = t.index(nx, ny) else { continue };
            let passable = (t.block[i] == 0 || t.parts[i]) && Some(t.floor[i]) != deep;
            if passable && !seen[i] {
                seen[i] = true;
                q.push_back((nx, ny));
            }
        }
    }
    false
}

#[test]
fn generated_world_is_playable() {
    for seed in [0u64, 1, 2, 3, 99, 12345] {
        let (w, Layout { core, spawn }) = generate_with_layout(seed, 300, 200);
        let t = &w.tiles;
        let name = |id: u16| w.block_name(id).unwrap_or("?");
        let ci = t.index(core.0, core.1).expect("core inside");
        assert_eq!(name(t.block[ci]), "core-shard");
        let b = &t.buildings[&(ci as u32)];
        let base = b.base().expect("core record parses");
        assert_eq!(base.team, 1);
        let items = base.items.expect("core has items");
        assert!(items.iter().any(|(i, n)| w.content.name(ContentType::ITEM, *i) == Some("copper") && *n >= 1000));
        let si = t.index(spawn.0, spawn.1).expect("spawn inside");
        assert_eq!(name(t.overlay[si]), "spawn");
        let ore_near = |ore: &str| {
            (-15..=15).any(|dy| {
                (-15..=15).any(|dx| t.index(core.0 + dx, core.1 + dy).is_some_and(|i| name(t.overlay[i]) == ore))
            })
        };
        assert!(ore_near("ore-copper") && ore_near("ore-lead"), "seed {seed}: ores near the core");
        let walls = t.block.iter().filter(|b| name(**b).ends_with("-wall")).count();
        assert!(walls > t.len() / 50, "seed {seed}: some walls");
        let floors: std::collections::BTreeSet<_> = t.floor.iter().map(|f| name(*f)).collect();
        assert!(floors.len() >= 4, "seed {seed}: varied floors {floors:?}");
        assert!(reachable(&w, core, spawn), "seed {seed}: spawn reachable from the core over land");
        // Plateaus with cliff rims: every cliff carries a non-zero mask of lower neighbours, and that mask is
        // right (a set bit points at a tile that is neither cliff nor plateau wall line).
        let cliffs: Vec<usize> = (0..t.len()).filter(|&i| name(t.block[i]) == "cliff").collect();
        assert!(!cliffs.is_empty(), "seed {seed}: some cliffs");
        for &i in &cliffs {
            let mask = t.data.get(&(i as u32)).expect("cliff tile data").data as u8;
            assert_ne!(mask, 0, "seed {seed}: cliff {i} has a mask");
        }
        let rules = w.saved_rules(Build::V159);
        assert!(rules.waves && rules.wave_timer && rules.initial_wave_spacing == 10800.0);
        // Every tile the core covers is marked as a building part; the stream depends on it.
        assert_eq!(t.parts.iter().filter(|p| **p).count(), 9);
    }
}
