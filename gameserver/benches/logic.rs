//! Cost of one world tick of the processors: many logic processors each looping over a linked memory cell and a
//! message block (at 8 instructions per tick; also with a construction state changing every tick), and the
//! official map with the most processors.
//!
//! Run: `cargo bench -p multidustry-gameserver --bench logic`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use multidustry_gameserver::grid::{Building, Grid};
use multidustry_gameserver::logic::{self, Clock, Logic, id};
use multidustry_gameserver::value::Value;

const PROGRAM: &str = "\
read n cell1 0
op add n n 1
write n cell1 0
op mod m n 100
jump 6 notEqual m 0
print n
printflush message1
jump 0 always
";

/// `count` logic processors (2x2), each with a memory cell and a message block beside it.
fn world(count: usize) -> Grid {
    let side = (count as f64).sqrt().ceil() as i32;
    let mut g = Grid::new((side * 4) as u16 + 4, (side * 3) as u16 + 4, 33);
    for i in 0..count as i32 {
        let (x, y) = ((i % side) * 4, (i / side) * 3);
        let links = [("cell1", x + 2, y), ("message1", x + 3, y)];
        let mut p = Building::new(id::LOGIC_PROCESSOR, 1, 0, 100.0);
        p.logic = logic::processor_data(id::LOGIC_PROCESSOR, 1, PROGRAM, &links).map(Box::new);
        assert!(g.put(x, y, 2, p));
        let mut c = Building::new(id::MEMORY_CELL, 1, 0, 100.0);
        c.logic = logic::new_data(id::MEMORY_CELL, 1, 0, 100.0).map(Box::new);
        assert!(g.put(x + 2, y, 1, c));
        let mut m = Building::new(id::MESSAGE, 1, 0, 100.0);
        m.config = Value::Str(Some(String::new()));
        assert!(g.put(x + 3, y, 1, m));
    }
    g
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("logic_tick");
    for (name, engine) in [("jit", logic::EngineKind::Jit), ("interp", logic::EngineKind::Interpreter)] {
        for count in [1_000usize, 10_000] {
            let mut grid = world(count);
            let mut l = Logic::new(multidustry_mlog::ir::Build::B159, engine);
            let mut clock = Clock::default();
            for _ in 0..10 {
                clock.tick += 1.0;
                clock.now += Duration::from_millis(16);
                l.tick(&mut grid, &clock, 1.0);
            }
            group.bench_function(format!("{name}_{count}_logic_processors"), |b| {
                b.iter(|| {
                    clock.tick += 1.0;
                    clock.now += Duration::from_millis(16);
                    black_box(l.tick(&mut grid, &clock, 1.0));
                });
            });
        }
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
                clock.tick += 1.0;
                clock.now += Duration::from_millis(16);
                black_box(l.tick(&mut grid, &clock, 1.0));
            });
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
