//! Cost of unit instructions in a world tick (`logic::units`): `count` logic processors that each bind the next
//! dagger of their team, order it to move, look for the nearest enemy with `uradar` and sense its health, over
//! 1,000 own and 500 enemy daggers; and the same world with processors that use no unit instruction, to show
//! that units cost them nothing. Each iteration is one full `Sim::tick` (processors, logic movement, wave AI).
//!
//! Run: `cargo bench -p multidustry-gameserver --bench logic_units`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use multidustry_gameserver::grid::{Building, Grid};
use multidustry_gameserver::logic::{self, id};
use multidustry_gameserver::sim::{GameState, UnitState};
use multidustry_gameserver::{Sim, SimRules};

const UNITS: &str = "\
ubind @dagger
op rand rx 100
op rand ry 100
ucontrol move rx ry 0 0 0
uradar enemy any any distance 0 1 t
sensor h t @health
jump 0 always
";

const PLAIN: &str = "\
op add n n 1
op mod m n 100
op rand rx 100
op rand ry 100
op add s rx ry
set t s
jump 0 always
";

fn world(count: usize, code: &str) -> Sim {
    let side = (count as f64).sqrt().ceil() as i32;
    let mut g = Grid::new(200, 200, 33);
    for i in 0..count as i32 {
        let (x, y) = ((i % side) * 2, (i / side) * 2);
        let mut p = Building::new(id::LOGIC_PROCESSOR, 1, 0, 100.0);
        p.logic = logic::processor_data(id::LOGIC_PROCESSOR, 1, code, &[]).map(Box::new);
        assert!(g.put(x, y, 2, p));
    }
    let rules = SimRules { wave_timer: false, ..SimRules::default() };
    let mut sim = Sim::new(g, rules, GameState::default(), 60, 10_000);
    for i in 0..1_500 {
        let mut u = UnitState::for_tests(i + 1, -1);
        (u.type_id, u.class_id, u.flying, u.health) = (0, 4, false, 130.0);
        u.team = if i < 1_000 { 1 } else { 2 };
        (u.x, u.y) = (((i % 100) * 16) as f32, (100 + (i / 100) * 8) as f32 * 8.0);
        assert!(sim.restore_unit(u));
    }
    sim
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("logic_units_tick");
    group.sample_size(20);
    for (name, code) in [("unit_instructions", UNITS), ("no_unit_instructions", PLAIN)] {
        for count in [1_000usize, 10_000] {
            let mut sim = world(count, code);
            let mut now = Duration::from_secs(1);
            for _ in 0..10 {
                now += Duration::from_millis(16);
                sim.tick(now);
                sim.drain();
            }
            group.bench_function(format!("{name}_{count}_processors_1500_units"), |b| {
                b.iter(|| {
                    now += Duration::from_millis(16);
                    sim.tick(now);
                    black_box(sim.drain());
                });
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
