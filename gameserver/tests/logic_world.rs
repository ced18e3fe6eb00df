//! World semantics of processors beyond the basics of `logic.rs`: logic ids (`lookup`, `@blockCount`-style
//! counts, `sensor @id`) per build, `control` of non-logic buildings, and revision-4 processor records.

use std::time::Duration;

use multidustry_gameserver::grid::{self, Building, Grid};
use multidustry_gameserver::logic::{self, EngineKind, Logic, LogicData, LogicKind, id};
use multidustry_gameserver::sim::GameState;
use multidustry_gameserver::{Output, Sim, SimRules};
use multidustry_mlog::ir::Build;
use multidustry_mlog::value::{ContentKind, Value as M};

const TICK: Duration = Duration::from_micros(16_667);

fn size_of(block: u16) -> u8 {
    multidustry_world::ContentTable::for_build(multidustry_world::Build::V159).block_size(block).unwrap_or(1)
}

fn put(grid: &mut Grid, x: i32, y: i32, block: u16, team: u8, data: Option<LogicData>) {
    let mut b = Building::new(block, team, 0, 100.0);
    b.logic = data.map(Box::new);
    assert!(grid.put(x, y, size_of(block), b), "placed {block} at {x},{y}");
}

fn block_id(name: &str) -> u16 {
    multidustry_world::ContentTable::for_build(multidustry_world::Build::V159)
        .id(multidustry_world::ContentType::BLOCK, name)
        .expect("block name")
}

fn sim(grid: Grid) -> Sim {
    let rules = SimRules { wave_timer: false, ..SimRules::default() };
    Sim::new(grid, rules, GameState::default(), 60, 1)
}

fn run(sim: &mut Sim, now: &mut Duration, ticks: u32) -> Vec<Output> {
    let mut out = Vec::new();
    for _ in 0..ticks {
        *now += TICK;
        sim.tick(*now);
        out.extend(sim.drain());
    }
    out
}

fn processor(sim: &Sim, x: i32, y: i32) -> &logic::Processor {
    match sim.grid.building(grid::pack(x, y)).and_then(|b| b.logic.as_deref()) {
        Some(LogicData { kind: LogicKind::Processor(p), .. }) => p,
        other => panic!("no processor at {x},{y}: {other:?}"),
    }
}

/// Runs `code` on a world processor at 1,1 for a few ticks with `build`'s semantics.
fn world_run(build: Build, code: &str) -> Sim {
    let mut g = Grid::new(20, 20, 33);
    put(&mut g, 1, 1, id::WORLD_PROCESSOR, 1, logic::processor_data(id::WORLD_PROCESSOR, 1, code, &[]));
    let mut s = sim(g);
    s.logic = Logic::new(build, EngineKind::Jit);
    let mut now = Duration::from_secs(1);
    run(&mut s, &mut now, 3);
    s
}

const LOOKUPS: &str = "set bc @blockCount\nset uc @unitCount\nset ic @itemCount\nset lc @liquidCount\n\
                       lookup block b0 0\nlookup block canvas 260\nlookup unit u0 0\nlookup item i5 5\n\
                       lookup liquid l5 5\nlookup block none -1\nsensor cid @large-canvas @id\n\
                       sensor did @dagger @id\nsensor sid @silicon @id\nsensor wid @water @id\n\
                       sensor fid @stone @id\nstop\n";

#[test]
fn lookup_counts_and_ids_use_the_build_159_table_in_worlds() {
    let s = world_run(Build::B159, LOOKUPS);
    let p = processor(&s, 1, 1);
    let v = |n: &str| p.var(n).cloned().unwrap_or_else(|| panic!("variable {n}"));
    assert_eq!([v("bc"), v("uc"), v("ic"), v("lc")], [M::Num(261.0), M::Num(56.0), M::Num(20.0), M::Num(11.0)]);
    assert_eq!(v("b0"), M::Content(ContentKind::Block, block_id("graphite-press")));
    assert_eq!(v("canvas"), M::Content(ContentKind::Block, block_id("large-canvas")));
    // values carry the grid's content ids: logic liquid 5 is hydrogen, content id 8
    assert_eq!(v("u0"), M::Content(ContentKind::Unit, 0));
    assert_eq!(v("i5"), M::Content(ContentKind::Item, 5));
    assert_eq!(v("l5"), M::Content(ContentKind::Liquid, 8));
    assert_eq!(v("none"), M::Null);
    assert_eq!([v("cid"), v("did"), v("sid"), v("wid")], [M::Num(260.0), M::Num(0.0), M::Num(9.0), M::Num(0.0)]);
    assert_eq!(v("fid"), M::Num(0.0), "content without a logic id senses 0, as the game's id array");
}

#[test]
fn a_build_154_world_uses_the_154_table() {
    let s = world_run(Build::B154, LOOKUPS);
    let p = processor(&s, 1, 1);
    let v = |n: &str| p.var(n).cloned().unwrap_or_else(|| panic!("variable {n}"));
    assert_eq!(v("bc"), M::Num(260.0));
    assert_eq!(v("canvas"), M::Null, "large-canvas has no logic id in build 154");
    assert_eq!(v("cid"), M::Num(0.0));
    assert_eq!(v("b0"), M::Content(ContentKind::Block, block_id("graphite-press")));
}

/// Every logic id of every type names content the world knows, and `sensor @id` inverts `lookup`.
#[test]
fn every_logic_id_round_trips_through_lookup_and_sensor() {
    for (kind, count) in [("block", 261), ("unit", 56), ("item", 20), ("liquid", 11)] {
        let code = format!(
            "setrate 500\nset i 0\nloop:\nlookup {kind} c i\nsensor back c @id\njump bad notEqual back i\njump bad strictEqual c null\n\
             op add i i 1\njump loop lessThan i {count}\nset ok 1\nstop\nbad:\nset ok 0\nstop\n"
        );
        let mut g = Grid::new(20, 20, 33);
        put(&mut g, 1, 1, id::WORLD_PROCESSOR, 1, logic::processor_data(id::WORLD_PROCESSOR, 1, &code, &[]));
        let mut s = sim(g);
        let mut now = Duration::from_secs(1);
        run(&mut s, &mut now, 20);
        let p = processor(&s, 1, 1);
        assert_eq!(p.var("ok"), Some(&M::Num(1.0)), "{kind}: stopped at logic id {:?}", p.var("i"));
    }
}
