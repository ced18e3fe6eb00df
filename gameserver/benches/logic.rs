//! Cost of one world tick of the processors: many logic processors each looping over a linked memory cell and a
//! message block (at 8 instructions per tick; also with their message changes spread over the ticks, and with a
//! construction state changing every tick), and the official map with the most processors.
//!
//! Run: `cargo bench -p multidustry-gameserver --bench logic`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use multidustry_gameserver::logic::{self, Clock, Logic};

#[path = "common/logic_world.rs"]
mod logic_world;
use logic_world::{tick, world, world_staggered};

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("logic_tick");
    for (name, engine) in [("jit", logic::EngineKind::Jit), ("interp", logic::EngineKind::Interpreter)] {
        for count in [1_000usize, 10_000] {
            let mut grid = world(count);
            let mut l = Logic::new(multidustry_mlog::ir::Build::B159, engine);
            let mut clock = Clock::default();
            for _ in 0..10 {
                tick(&mut l, &mut grid, &mut clock);
            }
            group.bench_function(format!("{name}_{count}_logic_processors"), |b| {
                b.iter(|| {
                    black_box(tick(&mut l, &mut grid, &mut clock));
                });
            });
        }
    }
    // The same processors, their message changes spread over the ticks (no tick where all 10,000 change at once).
    {
        let mut grid = world_staggered(10_000);
        let mut l = Logic::new(multidustry_mlog::ir::Build::B159, logic::EngineKind::Jit);
        let mut clock = Clock::default();
        for _ in 0..10 {
            tick(&mut l, &mut grid, &mut clock);
        }
        group.bench_function("jit_10000_logic_processors_staggered", |b| {
            b.iter(|| {
                black_box(tick(&mut l, &mut grid, &mut clock));
            });
        });
    }
    // A busy world: a construction state changes somewhere every tick (noted as `sim` does), so the runner
    // rechecks the construction states of every processor and link each tick.
    {
        let mut grid = world(10_000);
        let mut l = Logic::new(multidustry_mlog::ir::Build::B159, logic::EngineKind::Jit);
        let mut clock = Clock::default();
        let touched = multidustry_gameserver::grid::pack(3, 0);
        for _ in 0..10 {
            clock.tick += 1.0;
            l.tick(&mut grid, &clock, 1.0);
        }
        group.bench_function("jit_10000_logic_processors_construction_changed_each_tick", |b| {
            b.iter(|| {
                clock.tick += 1.0;
                clock.now += Duration::from_millis(16);
                let _ = grid.building_mut(touched);
                grid.note_construction_change(touched);
                black_box(l.tick(&mut grid, &clock, 1.0));
            });
        });
    }
    if let Some(bytes) = multidustry_testdata::read("maps/serpulo/hidden/247.msav") {
        let loaded = multidustry_gameserver::worldio::load(&bytes).expect("loads");
        let mut grid = loaded.grid;
        let mut l = Logic::default();
        let mut clock = Clock::default();
        group.bench_function("map_247_all_processors", |b| {
            b.iter(|| {
                black_box(tick(&mut l, &mut grid, &mut clock));
            });
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
