//! World semantics of processors beyond the basics of `logic.rs`: logic ids (`lookup`, `@blockCount`-style
//! counts, `sensor @id`) per build, `control` of non-logic buildings, and revision-4 processor records.

mod common;
use common::run;

use std::time::Duration;

use multidustry_gameserver::grid::{self, Building, Grid};
use multidustry_gameserver::logic::{self, EngineKind, Logic, LogicData, id};
use multidustry_gameserver::sim::GameState;
use multidustry_gameserver::value::Value;
use multidustry_gameserver::{Output, Sim, SimRules};
use multidustry_mlog::ir::Build;
use multidustry_mlog::value::{ContentKind, Value as M};

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

/// The processor at (x, y) as the runner holds it (the grid's copy is the state of the last write-back).
fn processor(sim: &Sim, x: i32, y: i32) -> &logic::Processor {
    sim.logic.processor(&sim.grid, grid::pack(x, y)).unwrap_or_else(|| panic!("no processor at {x},{y}"))
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

fn building(s: &Sim, x: i32, y: i32) -> &Building {
    s.grid.building(grid::pack(x, y)).expect("building")
}

fn sensed(s: &Sim, x: i32, y: i32, var: &str) -> M {
    processor(s, x, y).var(var).cloned().unwrap_or_else(|| panic!("variable {var}"))
}

/// A logic processor at 1,1 linked to the buildings given, running `code`, in a world with those buildings.
fn with_processor(code: &str, blocks: &[(&str, &str, i32, i32)]) -> Sim {
    let mut g = Grid::new(30, 30, 33);
    let links: Vec<(&str, i32, i32)> = blocks.iter().map(|(link, _, x, y)| (*link, *x, *y)).collect();
    put(&mut g, 1, 1, id::LOGIC_PROCESSOR, 1, logic::processor_data(id::LOGIC_PROCESSOR, 1, code, &links));
    for (_, name, x, y) in blocks {
        let block = block_id(name);
        let mut b = Building::new(block, 1, 0, 100.0);
        if block == id::SWITCH {
            b.config = Value::Bool(true);
        }
        assert!(g.put(*x, *y, size_of(block), b), "placed {name}");
    }
    sim(g)
}

#[test]
fn control_enabled_holds_until_the_processor_enables_unlinks_or_goes() {
    // disable, then keep reading the state: no timeout brings it back (the game removed `timeToUncontrol`)
    let code = "control enabled sorter1 0\ncontrol enabled switch1 0\nloop:\nsensor e sorter1 @enabled\n\
                sensor w switch1 @enabled\njump loop always\n";
    let blocks = [("sorter1", "sorter", 4, 4), ("switch1", "switch", 5, 4)];
    let mut s = with_processor(code, &blocks);
    let mut now = Duration::from_secs(1);
    run(&mut s, &mut now, 600);
    assert!(!building(&s, 4, 4).enabled, "still disabled after 10 s");
    assert_eq!(sensed(&s, 1, 1, "e"), M::Num(0.0));
    assert_eq!(sensed(&s, 1, 1, "w"), M::Num(0.0));
    assert_eq!(building(&s, 5, 4).config, Value::Bool(false), "a switch's state is its enabled flag");
    // the record carries the flag in its base, and reading it back keeps it
    let record = multidustry_gameserver::records::building_record(building(&s, 4, 4), &|b| b);
    assert_eq!(record[8], 0, "writeBase enabled byte");
    assert!(!multidustry_gameserver::records::parse_building(building(&s, 4, 4).block, &record).enabled);

    // unlinking through the processor's link toggle re-enables what it disabled, except switches
    let p = grid::pack(1, 1);
    let (sorter, switch) = (Value::Int(grid::pack(4, 4)), Value::Int(grid::pack(5, 4)));
    s.logic.configure(&mut s.grid, p, &sorter).expect("unlink sorter");
    s.logic.configure(&mut s.grid, p, &switch).expect("unlink switch");
    assert!(building(&s, 4, 4).enabled);
    assert_eq!(building(&s, 5, 4).config, Value::Bool(false), "autoResetEnabled is false for switches");

    // removing the processor releases every building it disabled last, switches included
    let mut s = with_processor(code, &blocks);
    run(&mut s, &mut now, 5);
    assert!(!building(&s, 4, 4).enabled);
    s.grid.remove(p);
    assert!(building(&s, 4, 4).enabled);
    assert_eq!(building(&s, 5, 4).config, Value::Bool(true));

    // another processor's disabling is not undone when this one goes
    let mut s = with_processor("control enabled sorter1 1\nstop\n", &blocks);
    building_mut(&mut s, 4, 4).enabled = false;
    run(&mut s, &mut now, 3);
    assert!(building(&s, 4, 4).enabled, "control enabled 1 turns it on");
}

fn building_mut(s: &mut Sim, x: i32, y: i32) -> &mut Building {
    s.grid.building_mut(grid::pack(x, y)).expect("building")
}

#[test]
fn a_processor_disabling_itself_or_another_processor_stays_off() {
    let mut g = Grid::new(30, 30, 33);
    let code = "control enabled @this 0\nop add n n 1\n";
    put(&mut g, 1, 1, id::WORLD_PROCESSOR, 1, logic::processor_data(id::WORLD_PROCESSOR, 1, code, &[]));
    put(&mut g, 5, 5, id::MICRO_PROCESSOR, 1, logic::processor_data(id::MICRO_PROCESSOR, 1, "op add n n 1\n", &[]));
    let world2 = "getblock building p 5 5\ncontrol enabled p 0\nstop\n";
    put(&mut g, 8, 8, id::WORLD_PROCESSOR, 1, logic::processor_data(id::WORLD_PROCESSOR, 1, world2, &[]));
    let mut s = sim(g);
    let mut now = Duration::from_secs(1);
    run(&mut s, &mut now, 800);
    assert!(!processor(&s, 1, 1).enabled);
    // the rest of that tick's budget still runs (the game's loop does not look at `enabled`), then nothing
    assert_eq!(processor(&s, 1, 1).var("n"), Some(&M::Num(4.0)), "8 instructions in the first tick, then off");
    assert!(!processor(&s, 5, 5).enabled, "no timeout re-enables a processor either");
    let n = processor(&s, 5, 5).var("n").cloned();
    run(&mut s, &mut now, 60);
    assert_eq!(processor(&s, 5, 5).var("n").cloned(), n, "a disabled processor does not run");
}

#[test]
fn control_config_configures_sorters_and_sources_and_clients_see_it() {
    let code = "control config sorter1 @copper\ncontrol config source1 @water\ncontrol config unloader1 @water\n\
                control config sorter2 5\ncontrol config sorter2 sorter1\nsensor c sorter1 @config\n\
                sensor l source1 @config\ncontrol config factory1 @nova\ncontrol config factory2 @nova\nstop\n";
    let blocks = [
        ("sorter1", "sorter", 4, 4),
        ("source1", "liquid-source", 5, 4),
        ("unloader1", "unloader", 6, 4),
        ("sorter2", "inverted-sorter", 7, 4),
        ("factory1", "ground-factory", 5, 8),
        ("factory2", "air-factory", 8, 8),
    ];
    let mut s = with_processor(code, &blocks);
    let mut now = Duration::from_secs(1);
    let out = run(&mut s, &mut now, 10);
    let copper = Value::Content(0, 0);
    assert_eq!(building(&s, 4, 4).config, copper);
    assert_eq!(building(&s, 5, 4).config, Value::Content(4, 0), "water");
    assert_eq!(building(&s, 6, 4).config, Value::Null, "an unloader takes items, not liquids");
    assert_eq!(building(&s, 7, 4).config, copper, "a building argument copies its configuration");
    assert_eq!(sensed(&s, 1, 1, "c"), M::Content(ContentKind::Item, 0));
    assert_eq!(sensed(&s, 1, 1, "l"), M::Content(ContentKind::Liquid, 0));
    let configs: Vec<(i32, Value)> = out
        .iter()
        .filter_map(|o| match o {
            Output::Send(_, multidustry_gameserver::Call::TileConfig { player: None, pos, value }) => {
                Some((*pos, value.clone()))
            }
            _ => None,
        })
        .collect();
    assert!(configs.contains(&(grid::pack(4, 4), copper.clone())), "{configs:?}");
    assert!(configs.contains(&(grid::pack(7, 4), copper)), "{configs:?}");
    assert!(!configs.iter().any(|(p, _)| *p == grid::pack(6, 4)), "unchanged blocks are not sent");
    // unit factories: the plan of the unit type (nova is the ground factory's third), none where not built
    assert_eq!(building(&s, 5, 8).config, Value::Int(2));
    assert!(configs.contains(&(grid::pack(5, 8), Value::Int(2))), "{configs:?}");
    assert_eq!(building(&s, 8, 8).config, Value::Null);
}

#[test]
fn control_color_and_shoot_reach_illuminators_and_turrets() {
    let code = "packcolor c 1 0 0.5 1\ncontrol color illuminator1 c\nsensor back illuminator1 @color\n\
                control shoot duo1 12 20 1\nsensor sx duo1 @shootX\nsensor sy duo1 @shootY\n\
                sensor shooting duo1 @shooting\ncontrol shootp duo2 illuminator1 1\nsensor px duo2 @shootX\n\
                stop\n";
    let blocks = [("illuminator1", "illuminator", 4, 4), ("duo1", "duo", 5, 4), ("duo2", "duo", 6, 4)];
    let mut s = with_processor(code, &blocks);
    let mut now = Duration::from_secs(1);
    run(&mut s, &mut now, 10);
    let Value::Int(rgba) = building(&s, 4, 4).config else {
        panic!("illuminator colour {:?}", building(&s, 4, 4).config)
    };
    assert_eq!(rgba as u32, 0xff00_7fff);
    assert_eq!(sensed(&s, 1, 1, "back"), sensed(&s, 1, 1, "c"));
    assert_eq!([sensed(&s, 1, 1, "sx"), sensed(&s, 1, 1, "sy")], [M::Num(12.0), M::Num(20.0)]);
    assert_eq!(sensed(&s, 1, 1, "shooting"), M::Num(1.0));
    assert_eq!(sensed(&s, 1, 1, "px"), M::Num(4.0), "shootp aims at the target's position");
    // the logic control lapses after `logicControlCooldown` (2 s); no combat, so the turret is then idle
    let aim = building(&s, 5, 4).controlled.as_ref().and_then(|c| c.aim).expect("aim");
    assert!(aim.shooting);
    let mut s = with_processor(
        "control shoot duo1 1 1 1\nwait 3\nsensor shooting duo1 @shooting\nstop\n",
        &[("duo1", "duo", 5, 4)],
    );
    run(&mut s, &mut now, 240);
    assert_eq!(sensed(&s, 1, 1, "shooting"), M::Num(0.0));
}

/// (file, block name, record) of every processor record in the Java-written saves and maps at hand.
fn java_processor_records() -> Vec<(String, &'static str, Vec<u8>)> {
    use multidustry_world::{ContentType, World};
    let Some(dir) = multidustry_testdata::dir() else { return Vec::new() };
    let table = multidustry_world::ContentTable::for_build(multidustry_world::Build::V159);
    let mut out = Vec::new();
    for sub in
        ["maps/default", "maps/serpulo", "maps/serpulo/hidden", "maps/erekir", "captures/b159", "captures/b154/world"]
    {
        let Ok(entries) = std::fs::read_dir(dir.join(sub)) else { continue };
        let mut paths: Vec<_> =
            entries.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "msav")).collect();
        paths.sort();
        for path in paths {
            let Ok(world) = World::read_msav(&std::fs::read(&path).expect("read")) else { continue };
            for (&i, b) in &world.tiles.buildings {
                let Some(name) =
                    world.tiles.block.get(i as usize).and_then(|id| world.content.name(ContentType::BLOCK, *id))
                else {
                    continue;
                };
                let Some(facts) = table.block_by_name(name) else { continue };
                if facts.class == "LogicBlock" && b.format == multidustry_world::tiles::RecordFormat::Modern {
                    out.push((path.display().to_string(), facts.name, b.record.clone()));
                }
            }
        }
    }
    out
}

fn tail_of(record: &[u8]) -> &[u8] {
    let start = multidustry_world::Building::modern(record.to_vec()).tail_offset().expect("modern base");
    &record[start..]
}

/// Every processor the Java game saved (159.7 maps and server save at revision 4, the 154 server's saves at
/// revision 3) is written back at revision 4 with the same code, links, variables, rate, tag, icon, wait timers
/// and accumulator; converted for a build-154 client it is revision 3 with everything but the timers.
#[test]
fn java_processor_records_round_trip_at_revision_4() {
    use multidustry_gameserver::buildrecords::convert_record;
    use multidustry_gameserver::logic::record::read_processor;
    let records = java_processor_records();
    if multidustry_testdata::dir().is_none() {
        return;
    }
    let (mut rev4, mut rev3, mut with_waits) = (0, 0, 0);
    for (file, name, java) in &records {
        let privileged = *name == "world-processor";
        let java_tail = read_processor(tail_of(java), java[0], privileged).expect("Java record parses");
        let data = logic::parse_record(block_id(name), java).expect("loads");
        let ours = logic::record(&data);
        assert_eq!(ours[0], 4, "{file}");
        assert_eq!(
            ours[1..tail_of(&ours).as_ptr() as usize - ours.as_ptr() as usize],
            java[1..java.len() - tail_of(java).len()]
        );
        let tail = read_processor(tail_of(&ours), 4, privileged).expect("our record parses");
        assert_eq!(
            (&tail.config.code, &tail.config.links, &tail.vars, tail.ipt, &tail.tag, tail.icon),
            (
                &java_tail.config.code,
                &java_tail.config.links,
                &java_tail.vars,
                java_tail.ipt,
                &java_tail.tag,
                java_tail.icon
            ),
            "{file} {name}"
        );
        if java[0] >= 4 {
            assert_eq!((&tail.waits, tail.accumulator), (&java_tail.waits, java_tail.accumulator), "{file} {name}");
            rev4 += 1;
            with_waits += usize::from(!java_tail.waits.is_empty());
        } else {
            assert!(tail.waits.is_empty());
            rev3 += 1;
        }
        // what a build-154 client gets
        let old = convert_record("LogicBlock", name, &ours, multidustry_world::Build::V154).expect("converted");
        assert_eq!(old[0], 3);
        let t3 = read_processor(tail_of(&old), 3, privileged).expect("rev 3 parses");
        assert_eq!(
            (&t3.config.code, &t3.vars, t3.ipt, &t3.tag),
            (&java_tail.config.code, &java_tail.vars, java_tail.ipt, &java_tail.tag)
        );
    }
    assert!(
        rev4 > 500 && with_waits > 100 && rev3 > 20,
        "{rev4} revision-4 records, {with_waits} with wait timers, {rev3} rev 3"
    );
}

/// The `wait` instructions of our parse sit at the indices Java saved timers for, so a bound processor writes
/// the same timer list; a wait that has run keeps its timer through a save and load.
#[test]
fn bound_processors_write_timers_at_the_java_wait_indices() {
    use multidustry_gameserver::logic::record::read_processor;
    let records = java_processor_records();
    let mut checked = 0;
    for (file, name, java) in records.iter().filter(|(_, _, r)| r[0] >= 4) {
        let privileged = *name == "world-processor";
        let java_tail = read_processor(tail_of(java), java[0], privileged).expect("parses");
        if java_tail.waits.is_empty() {
            continue;
        }
        let data = logic::parse_record(block_id(name), java).expect("loads");
        let mut g = Grid::new(300, 300, 33);
        let (x, y) = (100, 100);
        let mut b = Building::new(block_id(name), 1, 0, 100.0);
        b.logic = Some(Box::new(data));
        assert!(g.put(x, y, size_of(block_id(name)), b));
        let mut s = sim(g);
        let mut now = Duration::from_secs(1);
        run(&mut s, &mut now, 1); // binds the program (the first tick runs no instruction yet)
        s.logic.write_back(&mut s.grid);
        let ours = logic::record(s.grid.building(grid::pack(x, y)).and_then(|b| b.logic.as_deref()).expect("logic"));
        let tail = read_processor(tail_of(&ours), 4, privileged).expect("parses");
        let indices = |w: &[(u16, f32)]| w.iter().map(|(i, _)| *i).collect::<Vec<_>>();
        assert_eq!(indices(&tail.waits), indices(&java_tail.waits), "{file} {name}");
        checked += 1;
    }
    if multidustry_testdata::dir().is_some() {
        assert!(checked > 10, "{checked}");
    }
    // timers survive: a processor in the middle of `wait 10`
    let mut g = Grid::new(20, 20, 33);
    put(
        &mut g,
        1,
        1,
        id::MICRO_PROCESSOR,
        1,
        logic::processor_data(id::MICRO_PROCESSOR, 1, "set a 1\nwait 10\nset b 2\n", &[]),
    );
    let mut s = sim(g);
    let mut now = Duration::from_secs(1);
    run(&mut s, &mut now, 121);
    s.logic.write_back(&mut s.grid);
    let data = s.grid.building(grid::pack(1, 1)).and_then(|b| b.logic.as_deref()).expect("logic").clone();
    let bytes = logic::record(&data);
    let tail = read_processor(tail_of(&bytes), 4, false).expect("parses");
    assert_eq!(tail.waits.len(), 1);
    assert_eq!(tail.waits[0].0, 1);
    assert!((tail.waits[0].1 - 2.0).abs() < 0.05, "about 2 s waited: {:?}", tail.waits);
    let again = logic::parse_record(id::MICRO_PROCESSOR, &bytes).expect("loads");
    assert_eq!(logic::record(&again), bytes, "stable");
}

#[test]
fn a_processor_disabled_by_another_runs_again_when_unlinked_or_when_the_disabler_goes() {
    // The runner keeps processors in its own table; `enabled` changed through the grid (unlink, removal of the
    // disabler) must reach the table.
    for release in ["unlink", "remove"] {
        let mut g = Grid::new(30, 30, 33);
        let code = "control enabled processor1 0\nstop\n";
        put(
            &mut g,
            1,
            1,
            id::LOGIC_PROCESSOR,
            1,
            logic::processor_data(id::LOGIC_PROCESSOR, 1, code, &[("processor1", 4, 4)]),
        );
        put(&mut g, 4, 4, id::MICRO_PROCESSOR, 1, logic::processor_data(id::MICRO_PROCESSOR, 1, "op add n n 1\n", &[]));
        let mut s = sim(g);
        let mut now = Duration::from_secs(1);
        run(&mut s, &mut now, 30);
        assert!(!processor(&s, 4, 4).enabled, "{release}: disabled by the linked processor");
        let n = processor(&s, 4, 4).var("n").cloned();
        run(&mut s, &mut now, 30);
        assert_eq!(processor(&s, 4, 4).var("n").cloned(), n, "{release}: a disabled processor does not run");
        match release {
            "unlink" => {
                s.logic.configure(&mut s.grid, grid::pack(1, 1), &Value::Int(grid::pack(4, 4))).expect("unlinks")
            }
            _ => assert!(s.grid.remove(grid::pack(1, 1)).is_some()),
        }
        run(&mut s, &mut now, 30);
        assert!(processor(&s, 4, 4).enabled, "{release}: enabled again");
        let num = |v: Option<M>| match v {
            Some(M::Num(x)) => x,
            _ => 0.0, // null: never ran
        };
        let (before, after) = (num(n), num(processor(&s, 4, 4).var("n").cloned()));
        assert!(after > before + 10.0, "{release}: runs again ({before} -> {after})");
    }
}
