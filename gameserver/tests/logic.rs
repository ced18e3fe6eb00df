//! Processors inside worlds: loading from official maps and Java saves, ticking at the blocks' rates through
//! `Sim::tick`, memory shared between processors, client edits, message sync, and save/load.

mod common;
use common::run;

use std::time::Duration;

use multidustry_gameserver::grid::{self, Building, Grid};
use multidustry_gameserver::logic::{self, LogicData, LogicKind, id};
use multidustry_gameserver::sim::GameState;
use multidustry_gameserver::value::Value;
use multidustry_gameserver::worldio::{self, BlockNames, WorldMeta};
use multidustry_gameserver::{Call, Input, JoinRequest, Output, Sim, SimRules, Target};
use multidustry_protocol::typeio::Object;

fn put(grid: &mut Grid, x: i32, y: i32, block: u16, data: Option<LogicData>) {
    let mut b = Building::new(block, 1, 0, 100.0);
    b.logic = data.map(Box::new);
    if block == id::MESSAGE {
        b.config = Value::Str(Some(String::new()));
    }
    let size = match block {
        id::LOGIC_PROCESSOR | id::MEMORY_BANK => 2,
        id::HYPER_PROCESSOR => 3,
        _ => 1,
    };
    assert!(grid.put(x, y, size, b), "placed {block} at {x},{y}");
}

fn proc(block: u16, code: &str, links: &[(&str, i32, i32)]) -> Option<LogicData> {
    logic::processor_data(block, 1, code, links)
}

fn sim(grid: Grid) -> Sim {
    let rules = SimRules { wave_timer: false, ..SimRules::default() };
    Sim::new(grid, rules, GameState::default(), 60, 1)
}

fn message(sim: &Sim, x: i32, y: i32) -> String {
    match &sim.grid.building(grid::pack(x, y)).expect("message block").config {
        Value::Str(Some(s)) => s.clone(),
        other => panic!("message config {other:?}"),
    }
}

/// The processor at (x, y) as the runner holds it (the grid's copy is the state of the last write-back).
fn processor(sim: &Sim, x: i32, y: i32) -> &logic::Processor {
    sim.logic.processor(&sim.grid, grid::pack(x, y)).unwrap_or_else(|| panic!("no processor at {x},{y}"))
}

/// The cells of the memory block at (x, y) as the runner holds them.
fn memory(sim: &Sim, x: i32, y: i32) -> &[f64] {
    sim.logic.memory(&sim.grid, grid::pack(x, y)).unwrap_or_else(|| panic!("no memory at {x},{y}"))
}

const COUNTER: &str = "op add n n 1\nprint n\nprintflush message1\n";

#[test]
fn printflush_changes_a_message_block_at_the_processor_rate() {
    let mut g = Grid::new(30, 30, 33);
    put(&mut g, 5, 5, id::MICRO_PROCESSOR, proc(id::MICRO_PROCESSOR, COUNTER, &[("message1", 6, 5)]));
    put(&mut g, 6, 5, id::MESSAGE, None);
    put(&mut g, 10, 10, id::LOGIC_PROCESSOR, proc(id::LOGIC_PROCESSOR, COUNTER, &[("message1", 12, 10)]));
    put(&mut g, 12, 10, id::MESSAGE, None);
    let mut s = sim(g);
    let mut now = Duration::from_secs(1);
    run(&mut s, &mut now, 30);
    // Build 159's loop runs the budget accumulated before this tick: 29 ticks' worth after 30 ticks.
    // micro: 2 * 29 = 58 instructions = 19 loops + one `op add` (n = 20, last flush printed 19).
    assert_eq!(processor(&s, 5, 5).state.executed, 58);
    assert_eq!(processor(&s, 5, 5).var("n"), Some(&multidustry_mlog::value::Value::Num(20.0)));
    assert_eq!(message(&s, 6, 5), "19");
    // logic processor: 8 * 29 = 232 = 77 loops + one instruction.
    assert_eq!(processor(&s, 10, 10).state.executed, 232);
    assert_eq!(message(&s, 12, 10), "77");
    assert!(processor(&s, 5, 5).jitted(), "the JIT compiled the program");
}

#[test]
fn a_cell_written_by_one_processor_is_read_by_another() {
    let mut g = Grid::new(30, 30, 33);
    put(&mut g, 5, 5, id::MEMORY_CELL, logic::new_data(id::MEMORY_CELL, 1, 0, 100.0));
    put(
        &mut g,
        4,
        5,
        id::MICRO_PROCESSOR,
        proc(id::MICRO_PROCESSOR, "write 42 cell1 3\nwrite @thisx cell1 4\n", &[("cell1", 5, 5)]),
    );
    put(
        &mut g,
        6,
        5,
        id::MICRO_PROCESSOR,
        proc(
            id::MICRO_PROCESSOR,
            "read x cell1 3\nprint x\nprintflush message1\n",
            &[("cell1", 5, 5), ("message1", 7, 5)],
        ),
    );
    put(&mut g, 7, 5, id::MESSAGE, None);
    let mut s = sim(g);
    let mut now = Duration::from_secs(1);
    run(&mut s, &mut now, 20);
    assert_eq!(message(&s, 7, 5), "42");
    let m = memory(&s, 5, 5);
    assert_eq!(m.len(), 64);
    assert_eq!((m[3], m[4]), (42.0, 4.0));
}

#[test]
fn other_teams_and_unlinked_or_far_blocks_are_out_of_reach() {
    let mut g = Grid::new(60, 60, 33);
    // A team-2 message linked by a team-1 processor is not a valid link; a message 20 tiles away is out of the
    // micro processor's 10-tile range.
    put(
        &mut g,
        5,
        5,
        id::MICRO_PROCESSOR,
        proc(id::MICRO_PROCESSOR, "print @links\nprintflush message1\n", &[("message1", 6, 5), ("message2", 30, 5)]),
    );
    let mut enemy = Building::new(id::MESSAGE, 2, 0, 100.0);
    enemy.config = Value::Str(Some("theirs".into()));
    assert!(g.put(6, 5, 1, enemy));
    put(&mut g, 30, 5, id::MESSAGE, None);
    let mut s = sim(g);
    let mut now = Duration::from_secs(1);
    run(&mut s, &mut now, 20);
    assert_eq!(processor(&s, 5, 5).bound_links(), &[] as &[i32]);
    assert_eq!(message(&s, 6, 5), "theirs");
    assert_eq!(message(&s, 30, 5), "");
}

fn join(s: &mut Sim, now: Duration, session: u64) {
    s.handle(
        now,
        Input::Join {
            session,
            request: JoinRequest {
                build: 159,
                name: "p".into(),
                uuid: "u".into(),
                usid: "s".into(),
                color: 0,
                locale: "en".into(),
                admin: false,
                ip: "127.0.0.1".into(),
            },
        },
    );
    s.handle(now, Input::ConnectConfirm { session });
    s.drain();
}

#[test]
fn client_edits_recompile_and_link_toggles_rebind() {
    let mut g = Grid::new(30, 30, 33);
    let core = Building::new(multidustry_gameserver::blocks::id::CORE_SHARD, 1, 0, 1100.0);
    assert!(g.put(20, 20, 3, core));
    put(&mut g, 5, 5, id::MICRO_PROCESSOR, proc(id::MICRO_PROCESSOR, COUNTER, &[("message1", 6, 5)]));
    put(&mut g, 6, 5, id::MESSAGE, None);
    put(&mut g, 5, 6, id::MESSAGE, None);
    let mut s = sim(g);
    let mut now = Duration::from_secs(1);
    join(&mut s, now, 7);
    run(&mut s, &mut now, 10);
    let pos = grid::pack(5, 5);
    // New code from the client: links relative to the processor.
    let bytes = logic::record::compress(
        "print \"edited\"\nprintflush message1\n",
        &[logic::record::LinkRecord { name: "message1".into(), x: 0, y: 1 }],
    );
    let value = Value::Other(Object::Bytes(bytes));
    s.handle(now, Input::TileConfig { session: 7, pos, value: value.clone() });
    let out = s.drain();
    assert!(
        out.iter().any(|o| matches!(o, Output::Send(Target::All, Call::TileConfig { pos: p, value: v, .. }) if *p == pos && *v == value)),
        "the accepted config is broadcast"
    );
    assert_eq!(processor(&s, 5, 5).code, "print \"edited\"\nprintflush message1\n");
    run(&mut s, &mut now, 10);
    assert_eq!(message(&s, 5, 6), "edited");
    // Toggle a link to the other message block: a new link named message2 (message1 is taken).
    s.handle(now, Input::TileConfig { session: 7, pos, value: Value::Int(grid::pack(6, 5)) });
    let p = processor(&s, 5, 5);
    assert_eq!(
        p.links.iter().map(|l| (l.name.as_str(), l.x, l.y)).collect::<Vec<_>>(),
        [("message1", 5, 6), ("message2", 6, 5)]
    );
    assert_eq!(p.bound_links(), &[grid::pack(5, 6), grid::pack(6, 5)]);
    // Bad bytes: rejected, nothing changes, nothing is broadcast.
    s.drain();
    s.handle(now, Input::TileConfig { session: 7, pos, value: Value::Other(Object::Bytes(vec![1, 2, 3])) });
    assert!(s.drain().is_empty());
    assert_eq!(processor(&s, 5, 5).code, "print \"edited\"\nprintflush message1\n");
}

#[test]
fn changed_messages_reach_clients_as_rate_limited_tile_configs() {
    let mut g = Grid::new(30, 30, 33);
    let core = Building::new(multidustry_gameserver::blocks::id::CORE_SHARD, 1, 0, 1100.0);
    assert!(g.put(20, 20, 3, core));
    put(&mut g, 5, 5, id::MICRO_PROCESSOR, proc(id::MICRO_PROCESSOR, COUNTER, &[("message1", 6, 5)]));
    put(&mut g, 6, 5, id::MESSAGE, None);
    let mut s = sim(g);
    let mut now = Duration::from_secs(1);
    join(&mut s, now, 3);
    let out = run(&mut s, &mut now, 120);
    let texts: Vec<String> = out
        .iter()
        .filter_map(|o| match o {
            Output::Send(Target::All, Call::TileConfig { player: None, pos, value: Value::Str(Some(t)) })
                if *pos == grid::pack(6, 5) =>
            {
                Some(t.clone())
            }
            _ => None,
        })
        .collect();
    // The text changes every 1.5 ticks; broadcasts are at most one per 500 ms: 2 seconds give 4 or 5.
    assert!((4..=5).contains(&texts.len()), "{texts:?}");
    assert_eq!(texts.first().map(String::as_str), Some("1"));
    let nums: Vec<i32> = texts.iter().map(|t| t.parse().expect("number")).collect();
    assert!(nums.windows(2).all(|w| w[1] > w[0] + 10), "{nums:?}");
}

#[test]
fn save_and_load_keep_program_variables_links_and_memory() {
    let mut g = Grid::new(30, 30, 33);
    let code = "read n cell1 0\nop add n n 1\nwrite n cell1 0\nset s \"text\"\nprint n\nprintflush message1\n";
    put(&mut g, 5, 5, id::MICRO_PROCESSOR, proc(id::MICRO_PROCESSOR, code, &[("cell1", 6, 5), ("message1", 4, 5)]));
    put(&mut g, 6, 5, id::MEMORY_CELL, logic::new_data(id::MEMORY_CELL, 1, 0, 100.0));
    put(&mut g, 4, 5, id::MESSAGE, None);
    put(&mut g, 10, 10, id::WORLD_PROCESSOR, proc(id::WORLD_PROCESSOR, "setrate 100\nset w 1\n", &[]));
    let mut s = sim(g);
    let mut now = Duration::from_secs(1);
    run(&mut s, &mut now, 61);
    let n_before = processor(&s, 5, 5).var("n").cloned();
    assert!(matches!(n_before, Some(multidustry_mlog::value::Value::Num(n)) if n > 10.0), "{n_before:?}");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("w.msav");
    let meta = WorldMeta { name: "logic".into(), rules_json: "{}".into() };
    worldio::save(&s, &BlockNames::builtin(), &meta, &path).expect("saves");
    let loaded = worldio::load(&std::fs::read(&path).expect("reads")).expect("loads");
    let (mut s2, _) = loaded.into_parts(60);
    let p = processor(&s2, 5, 5);
    assert_eq!(p.code, code);
    assert_eq!(
        p.links.iter().map(|l| (l.name.as_str(), l.x, l.y)).collect::<Vec<_>>(),
        [("cell1", 6, 5), ("message1", 4, 5)]
    );
    let cell = |s: &Sim| memory(s, 6, 5)[0];
    assert_eq!(cell(&s2), cell(&s));
    assert_eq!(processor(&s2, 10, 10).state.ipt, 100.0, "setrate is saved");
    // The first tick restores the saved variables (as `loadBlock` does) and runs the saved accumulator's
    // instructions (revision 4 keeps it; micro processor: at most 2, so `n` moves by at most one), then the
    // program continues counting.
    let mut now2 = Duration::from_secs(1);
    run(&mut s2, &mut now2, 1);
    let n_after = processor(&s2, 5, 5).var("n").cloned();
    let (Some(multidustry_mlog::value::Value::Num(a)), Some(multidustry_mlog::value::Value::Num(b))) =
        (&n_before, &n_after)
    else {
        panic!("{n_before:?} {n_after:?}")
    };
    assert!(*b == *a || *b == *a + 1.0, "{a} then {b}");
    assert_eq!(processor(&s2, 5, 5).var("s"), Some(&multidustry_mlog::value::Value::Str("text".into())));
    run(&mut s2, &mut now2, 30);
    assert!(cell(&s2) > cell(&s), "the program resumed from the saved cell");
}

/// Every logic building record of every official map and Java save parses, and re-encodes to a record that
/// parses back to the same state.
#[test]
fn official_maps_processors_load_and_round_trip() {
    let Some(dir) = multidustry_testdata::dir() else { return };
    let mut files = Vec::new();
    for sub in
        ["maps/default", "maps/serpulo", "maps/erekir", "maps/serpulo/hidden", "captures/b154/world", "captures/b159"]
    {
        if let Ok(rd) = std::fs::read_dir(dir.join(sub)) {
            files.extend(
                rd.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|e| e == "msav")),
            );
        }
    }
    files.sort();
    let (mut processors, mut memories, mut maps) = (0, 0, 0);
    for f in &files {
        let loaded = worldio::load(&std::fs::read(f).expect("reads")).expect("loads");
        let mut found = false;
        for (pos, b) in loaded.grid.buildings() {
            let is_logic = logic::processor_kind(b.block).is_some() || logic::memory_capacity(b.block).is_some();
            if !is_logic {
                continue;
            }
            let data = b
                .logic
                .as_deref()
                .unwrap_or_else(|| panic!("{}: logic block at {:?} not loaded", f.display(), grid::unpack(pos)));
            // We write revision 4 (build 159's layout, with wait timers and the accumulator; streams for build 154
            // get revision 3, see `buildrecords`). Everything survives, and re-encoding is stable.
            let bytes = logic::record(data);
            let again = logic::parse_record(b.block, &bytes).expect("re-encoded record parses");
            assert_eq!(logic::record(&again), bytes, "{} {:?}", f.display(), grid::unpack(pos));
            match (&data.kind, &again.kind) {
                (LogicKind::Processor(p), LogicKind::Processor(q)) => {
                    assert_eq!((&p.code, &p.links, p.state.ipt), (&q.code, &q.links, q.state.ipt));
                    processors += 1;
                }
                (LogicKind::Memory(m), LogicKind::Memory(n)) => {
                    assert_eq!(m, n);
                    memories += 1;
                }
                other => panic!("{other:?}"),
            }
            found = true;
        }
        maps += usize::from(found);
    }
    assert!(
        processors > 500 && memories > 20 && maps > 60,
        "{processors} processors, {memories} memories, {maps} maps"
    );
}

/// A map full of processors runs: world and logic processors execute at their rates, nothing panics.
#[test]
fn a_map_with_many_processors_runs() {
    let Some(bytes) = multidustry_testdata::read("maps/serpulo/hidden/247.msav") else { return };
    let (mut s, _) = worldio::load(&bytes).expect("loads").into_parts(60);
    let mut now = Duration::from_secs(1);
    run(&mut s, &mut now, 120);
    let mut ran = 0;
    let mut total = 0;
    for (pos, _) in s.grid.buildings() {
        if let Some(p) = s.logic.processor(&s.grid, pos) {
            total += 1;
            let program = p.program().unwrap_or_else(|| panic!("bound at {:?}", grid::unpack(pos)));
            if !program.instrs.is_empty() && p.enabled {
                assert!(p.state.executed > 0, "processor at {:?} ran", grid::unpack(pos));
                ran += 1;
            }
        }
    }
    assert_eq!(total, 23 + 3 + 24);
    assert!(ran > 30, "{ran} of {total} ran");
    assert!(s.logic.executed > 10_000, "{}", s.logic.executed);
}

/// The Java build-154 server's own save of Ground Zero: its world processors (written with their variables by
/// the Java game) load, keep their saved variables and run.
#[test]
fn java_server_save_world_processors_resume() {
    let Some(bytes) = multidustry_testdata::read("captures/b154/world/groundzero-b154.msav") else { return };
    let (mut s, _) = worldio::load(&bytes).expect("loads").into_parts(60);
    let procs: Vec<i32> = s
        .grid
        .buildings()
        .filter(|(_, b)| matches!(b.logic.as_deref(), Some(LogicData { kind: LogicKind::Processor(_), .. })))
        .map(|(p, _)| p)
        .collect();
    assert_eq!(procs.len(), 5);
    let mut now = Duration::from_secs(1);
    run(&mut s, &mut now, 60);
    for pos in procs {
        let (x, y) = grid::unpack(pos);
        let p = processor(&s, x, y);
        assert!(p.error.is_none(), "{:?}", p.error);
        assert!(p.state.executed > 0 || p.program().is_some_and(|pr| pr.instrs.is_empty()));
    }
}

#[test]
fn logic_blocks_built_without_state_get_it_and_schematic_code_loads() {
    let mut g = Grid::new(30, 30, 33);
    // As a finished construction leaves them: no logic state; the processor's config is the plan's code.
    let mut p = Building::new(id::MICRO_PROCESSOR, 1, 0, 100.0);
    let code =
        logic::record::compress("write 7 cell1 1\n", &[logic::record::LinkRecord { name: "cell1".into(), x: 1, y: 0 }]);
    p.config = Value::Other(Object::Bytes(code));
    assert!(g.put(5, 5, 1, p));
    assert!(g.put(6, 5, 1, Building::new(id::MEMORY_CELL, 1, 0, 100.0)));
    let mut s = sim(g);
    let mut now = Duration::from_secs(1);
    run(&mut s, &mut now, 5);
    assert_eq!(processor(&s, 5, 5).code, "write 7 cell1 1\n");
    assert_eq!(memory(&s, 6, 5)[1], 7.0);
}

#[test]
fn world_processor_instructions_reach_the_grid_and_rules() {
    let mut g = Grid::new(30, 30, 33);
    let core = Building::new(multidustry_gameserver::blocks::id::CORE_SHARD, 1, 0, 1100.0);
    assert!(g.put(20, 20, 3, core));
    g.set_static(3, 3, 80);
    let code = "setflag \"go\" true\ngetflag f \"go\"\nfetch coreCount cc @sharded\nfetch core c @sharded 0\n\
                sensor cx c @x\ngetblock block b 3 3\nsetblock block @copper-wall 8 8 @sharded 0\n\
                getblock building w 8 8\nsensor wt w @type\nsetrule waveSpacing 30\nstop\n";
    put(&mut g, 1, 1, id::WORLD_PROCESSOR, proc(id::WORLD_PROCESSOR, code, &[]));
    let mut s = sim(g);
    let mut now = Duration::from_secs(1);
    let out = run(&mut s, &mut now, 5);
    let p = processor(&s, 1, 1);
    use multidustry_mlog::value::{ContentKind, Value as M};
    assert_eq!(p.var("f"), Some(&M::Num(1.0)));
    assert_eq!(p.var("cc"), Some(&M::Num(1.0)));
    assert_eq!(p.var("cx"), Some(&M::Num(20.0)));
    assert_eq!(p.var("b"), Some(&M::Content(ContentKind::Block, 80)));
    assert_eq!(p.var("wt"), Some(&M::Content(ContentKind::Block, 216)));
    assert_eq!(s.grid.building(grid::pack(8, 8)).map(|b| (b.block, b.team)), Some((216, 1)));
    assert!(out.iter().any(|o| matches!(o, Output::Send(Target::All, Call::ConstructFinish { block: 216, .. }))));
    assert_eq!(s.rules.wave_spacing, 1800.0);
    assert!(s.logic.flags().contains("go"));
}

/// Truncated, bit-flipped and spliced records and configurations from a real map are errors, never panics.
#[test]
fn corrupted_logic_records_are_errors_not_panics() {
    let Some(bytes) = multidustry_testdata::read("maps/serpulo/hidden/247.msav") else { return };
    let loaded = worldio::load(&bytes).expect("loads");
    let records: Vec<(u16, Vec<u8>)> = loaded
        .grid
        .buildings()
        .filter_map(|(_, b)| b.logic.as_deref().map(|d| (b.block, logic::record(d))))
        .take(40)
        .collect();
    assert!(!records.is_empty());
    let mut seed = 0x1234_5678_9abc_def0u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut errors = 0;
    for (block, rec) in &records {
        for i in 0..rec.len() {
            errors += usize::from(logic::parse_record(*block, &rec[..i]).is_err());
        }
        for _ in 0..200 {
            let mut m = rec.clone();
            let at = (next() as usize) % m.len();
            m[at] ^= 1 << (next() % 8);
            let _ = logic::parse_record(*block, &m);
            let _ = logic::record::decompress(&m[at..]);
        }
    }
    assert!(errors > 0);
    // A valid zlib stream whose content lies about its lengths.
    for len in [i32::MAX, -5, 1 << 20] {
        let mut raw = vec![1u8];
        raw.extend(len.to_be_bytes());
        let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut enc, &raw).expect("vec");
        assert!(logic::record::decompress(&enc.finish().expect("vec")).is_err());
    }
}

#[test]
fn a_player_reconfiguring_processors_is_rate_limited_like_the_java_server() {
    let mut g = Grid::new(30, 30, 33);
    let core = Building::new(multidustry_gameserver::blocks::id::CORE_SHARD, 1, 0, 1100.0);
    assert!(g.put(20, 20, 3, core));
    put(&mut g, 5, 5, id::MICRO_PROCESSOR, proc(id::MICRO_PROCESSOR, COUNTER, &[]));
    let mut s = sim(g);
    let mut now = Duration::from_secs(1);
    join(&mut s, now, 7);
    run(&mut s, &mut now, 2);
    let pos = grid::pack(5, 5);
    let edit = |k: u32| {
        let code = format!("set k {k}\n");
        Value::Other(Object::Bytes(logic::record::compress(&code, &[])))
    };
    let broadcasts = |out: &[Output]| {
        out.iter()
            .filter(|o| matches!(o, Output::Send(Target::All, Call::TileConfig { pos: p, .. }) if *p == pos))
            .count()
    };
    // 40 edits at once: the first 25 (`interactRateLimit`) apply, the rest are dropped.
    for k in 0..40 {
        s.handle(now, Input::TileConfig { session: 7, pos, value: edit(k) });
    }
    assert_eq!(broadcasts(&s.drain()), logic::CONFIGURE_RATE_LIMIT as usize);
    assert_eq!(processor(&s, 5, 5).code, "set k 24\n");
    // Still inside the 6 s window: refused.
    now += Duration::from_secs(5);
    s.handle(now, Input::TileConfig { session: 7, pos, value: edit(100) });
    assert_eq!(broadcasts(&s.drain()), 0);
    assert_eq!(processor(&s, 5, 5).code, "set k 24\n");
    // After the window a new one starts.
    now += Duration::from_secs(2);
    s.handle(now, Input::TileConfig { session: 7, pos, value: edit(101) });
    assert_eq!(broadcasts(&s.drain()), 1);
    assert_eq!(processor(&s, 5, 5).code, "set k 101\n");
}

#[test]
fn big_programs_start_on_the_interpreter_and_are_compiled_on_a_later_tick() {
    // A counter padded with no-op jumps to well over the immediate-compile size.
    let mut code = String::from("op add n n 1\n");
    for _ in 0..logic::JIT_IMMEDIATE_MAX_INSTRUCTIONS + 50 {
        code.push_str("jump 0 equal 1 0\n");
    }
    let mut small = Grid::new(20, 20, 33);
    put(&mut small, 2, 2, id::HYPER_PROCESSOR, proc(id::HYPER_PROCESSOR, "op add n n 1\n", &[]));
    put(&mut small, 8, 2, id::HYPER_PROCESSOR, proc(id::HYPER_PROCESSOR, &code, &[]));
    put(&mut small, 14, 2, id::HYPER_PROCESSOR, proc(id::HYPER_PROCESSOR, &code.replace("n n", "m m"), &[]));
    let mut l = logic::Logic::default();
    let mut clock = logic::Clock::default();
    let p = |l: &logic::Logic, g: &Grid, x: i32| match l.processor(g, grid::pack(x, 2)) {
        Some(p) => (p.jitted(), p.var("n").or(p.var("m")).cloned()),
        None => panic!("no processor at {x},2"),
    };
    clock.tick += 1.0;
    l.tick(&mut small, &clock, 1.0);
    assert!(p(&l, &small, 2).0, "a small program is compiled at once");
    assert!(!p(&l, &small, 8).0 && !p(&l, &small, 14).0, "big programs start on the interpreter");
    assert_eq!(l.pending_compilations(), 2);
    // One deferred compilation per tick.
    clock.tick += 1.0;
    l.tick(&mut small, &clock, 1.0);
    assert!(p(&l, &small, 8).0 && !p(&l, &small, 14).0);
    let waiting = p(&l, &small, 14).1;
    assert!(matches!(waiting, Some(multidustry_mlog::value::Value::Num(n)) if n >= 1.0), "interpreted: {waiting:?}");
    clock.tick += 1.0;
    l.tick(&mut small, &clock, 1.0);
    assert!(p(&l, &small, 14).0);
    assert_eq!(l.pending_compilations(), 0);
    // The switch keeps the state: the interpreted and the compiled counters agree tick for tick.
    let mut reference = Grid::new(20, 20, 33);
    put(&mut reference, 8, 2, id::HYPER_PROCESSOR, proc(id::HYPER_PROCESSOR, &code, &[]));
    let mut interp = logic::Logic::new(multidustry_mlog::ir::Build::B159, logic::EngineKind::Interpreter);
    let mut c2 = logic::Clock::default();
    for _ in 0..3 {
        c2.tick += 1.0;
        interp.tick(&mut reference, &c2, 1.0);
    }
    assert_eq!(p(&l, &small, 8).1, p(&interp, &reference, 8).1);
}

#[test]
fn printflush_empties_the_buffer_even_when_the_target_is_not_a_message_of_the_team() {
    // builds 154 and 159 (`PrintFlushI`): the buffer is cleared whether or not the text was delivered.
    let mut g = Grid::new(20, 20, 33);
    let code = "print \"lost\"\nprintflush enemy\nprint \"kept\"\nprintflush message1\nstop\n";
    put(&mut g, 2, 2, id::MICRO_PROCESSOR, proc(id::MICRO_PROCESSOR, code, &[("message1", 3, 2), ("enemy", 2, 3)]));
    put(&mut g, 3, 2, id::MESSAGE, None);
    let mut enemy = Building::new(id::MESSAGE, 2, 0, 100.0);
    enemy.config = Value::Str(Some(String::new()));
    assert!(g.put(2, 3, 1, enemy));
    let mut s = sim(g);
    let mut now = Duration::from_secs(1);
    run(&mut s, &mut now, 10);
    assert_eq!(message(&s, 3, 2), "kept");
    assert_eq!(message(&s, 2, 3), "", "another team's message is not written");
}

/// `read`/`write` with a string address on another processor (`LogicBuild` as `LReadable`/`LWritable`): its
/// variables by name (`@counter` too), never its constants; unknown names leave the output unchanged; a world
/// processor reaches any processor through a handle.
#[test]
fn processors_read_and_write_each_others_variables_by_name() {
    use multidustry_mlog::value::Value as M;
    let mut g = Grid::new(30, 30, 33);
    let target = "set n 42\nop add m w 1\nset t @this\njump 1 always\n";
    put(&mut g, 5, 5, id::LOGIC_PROCESSOR, proc(id::LOGIC_PROCESSOR, target, &[]));
    let reader = "read a processor1 \"n\"\nwrite 7 processor1 \"w\"\nwrite 5 processor1 \"@this\"\nset z -1\n\
                  read z processor1 \"nope\"\nread c processor1 \"@counter\"\nstop\n";
    put(&mut g, 8, 5, id::LOGIC_PROCESSOR, proc(id::LOGIC_PROCESSOR, reader, &[("processor1", 5, 5)]));
    let world = "getblock building b 5 5\nread wm b \"m\"\nwrite 1000 b \"q\"\n";
    put(&mut g, 1, 1, id::WORLD_PROCESSOR, proc(id::WORLD_PROCESSOR, world, &[]));
    let mut s = sim(g);
    let mut now = Duration::from_secs(1);
    run(&mut s, &mut now, 10);
    let r = processor(&s, 8, 5);
    assert_eq!(r.var("a"), Some(&M::Num(42.0)));
    assert_eq!(r.var("z"), Some(&M::Num(-1.0)), "an unknown name leaves the output unchanged");
    assert!(matches!(r.var("c"), Some(M::Num(c)) if (0.0..4.0).contains(c)), "{:?}", r.var("c"));
    let t = processor(&s, 5, 5);
    assert_eq!(t.var("m"), Some(&M::Num(8.0)), "the written variable is used by its program");
    assert_eq!(t.var("t"), Some(&logic::handle(grid::pack(5, 5))), "constants are not writable");
    assert_eq!(t.var("q"), None, "q is no variable of the target: the write does nothing");
    assert_eq!(processor(&s, 1, 1).var("wm"), Some(&M::Num(8.0)));
}

/// The runner holds processor and memory state; `write_back` brings the grid's copy (what records are written
/// from) up to date, and a world stream or save made meanwhile already sees the current state.
#[test]
fn the_grid_copy_of_runner_state_is_refreshed_on_write_back() {
    let mut g = Grid::new(30, 30, 33);
    let code = "read n cell1 0\nop add n n 1\nwrite n cell1 0\n";
    put(&mut g, 5, 5, id::MICRO_PROCESSOR, proc(id::MICRO_PROCESSOR, code, &[("cell1", 6, 5)]));
    put(&mut g, 6, 5, id::MEMORY_CELL, logic::new_data(id::MEMORY_CELL, 1, 0, 100.0));
    let mut s = sim(g);
    let mut now = Duration::from_secs(1);
    run(&mut s, &mut now, 30);
    let grid_cell = |s: &Sim| match s.grid.building(grid::pack(6, 5)).and_then(|b| b.logic.as_deref()) {
        Some(LogicData { kind: LogicKind::Memory(m), .. }) => m[0],
        other => panic!("{other:?}"),
    };
    let live = memory(&s, 6, 5)[0];
    assert!(live > 5.0, "{live}");
    assert_eq!(grid_cell(&s), 0.0, "the grid keeps the adopted state until a write-back");
    let Sim { logic, grid, .. } = &mut s;
    logic.write_back(grid);
    assert_eq!(grid_cell(&s), live);
    let grid_n = match s.grid.building(grid::pack(5, 5)).and_then(|b| b.logic.as_deref()) {
        Some(LogicData { kind: LogicKind::Processor(p), .. }) => p.var("n").cloned(),
        other => panic!("{other:?}"),
    };
    assert_eq!(grid_n, Some(multidustry_mlog::value::Value::Num(live)));
}

/// A linked block that becomes a (de)construction site in place stops being a valid link on the next tick, and
/// is linked again when finished (the grid's construction version tells the runner to recheck).
#[test]
fn links_follow_construction_state_changes_in_place() {
    let mut g = Grid::new(20, 20, 33);
    put(&mut g, 2, 2, id::MICRO_PROCESSOR, proc(id::MICRO_PROCESSOR, "write @tick cell1 0\n", &[("cell1", 3, 2)]));
    put(&mut g, 3, 2, id::MEMORY_CELL, logic::new_data(id::MEMORY_CELL, 1, 0, 100.0));
    let mut l = logic::Logic::default();
    let mut clock = logic::Clock::default();
    let mut tick = |l: &mut logic::Logic, g: &mut Grid| {
        clock.tick += 1.0;
        l.tick(g, &clock, 1.0);
    };
    for _ in 0..3 {
        tick(&mut l, &mut g);
    }
    let (p, c) = (grid::pack(2, 2), grid::pack(3, 2));
    assert_eq!(l.processor(&g, p).expect("processor").bound_links(), &[c]);
    let written = l.memory(&g, c).expect("cell")[0];
    assert!(written > 0.0);
    g.note_construction_change(c);
    g.building_mut(c).expect("cell").construction = Some(grid::Construction {
        block: id::MEMORY_CELL,
        progress: 1.0,
        breaking: true,
        paid: Vec::new(),
        config: Value::Null,
    });
    tick(&mut l, &mut g);
    assert_eq!(l.processor(&g, p).expect("processor").bound_links(), &[] as &[i32]);
    let frozen = l.memory(&g, c).expect("cell")[0];
    tick(&mut l, &mut g);
    assert_eq!(l.memory(&g, c).expect("cell")[0], frozen, "a site is not written");
    g.note_construction_change(c);
    g.building_mut(c).expect("cell").construction = None;
    tick(&mut l, &mut g);
    tick(&mut l, &mut g);
    assert_eq!(l.processor(&g, p).expect("processor").bound_links(), &[c]);
    assert!(l.memory(&g, c).expect("cell")[0] > frozen);
}
