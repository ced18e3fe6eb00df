//! World-processor instructions that change the world beyond the grid: markers (kept in saves and streams),
//! `spawnwave`, `setprop` and `sync` (`logic::world`, `markers`).

use std::time::Duration;

use multidustry_gameserver::grid::{self, Building, Grid};
use multidustry_gameserver::logic::{self, id};
use multidustry_gameserver::markers::{Markers, UValue};
use multidustry_gameserver::sim::{Call, GameState, Target};
use multidustry_gameserver::worldio::{self, BlockNames, WorldMeta};
use multidustry_gameserver::{Output, Sim, SimRules};
use multidustry_mlog::value::Value as M;
use multidustry_protocol::typeio::{ContentRef, Object};
use multidustry_world::SpawnGroup;

const TICK: Duration = Duration::from_micros(16_667);

fn with_world_processor(mut g: Grid, rules: SimRules, code: &str) -> Sim {
    let b = {
        let mut b = Building::new(id::WORLD_PROCESSOR, 1, 0, 100.0);
        b.logic = logic::processor_data(id::WORLD_PROCESSOR, 1, code, &[]).map(Box::new);
        b
    };
    assert!(g.put(1, 1, 1, b));
    Sim::new(g, rules, GameState { wave: 3, ..GameState::default() }, 60, 1)
}

fn run(sim: &mut Sim, ticks: u32) -> Vec<Output> {
    let mut now = Duration::from_secs(1);
    let mut out = Vec::new();
    for _ in 0..ticks {
        now += TICK;
        sim.tick(now);
        out.extend(sim.drain());
    }
    out
}

fn rules() -> SimRules {
    SimRules { wave_timer: false, ..SimRules::default() }
}

fn var(sim: &Sim, name: &str) -> Option<M> {
    sim.logic.processor(&sim.grid, grid::pack(1, 1)).and_then(|p| p.var(name).cloned())
}

fn tmp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("multidustry-world-ops-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join("w.msav")
}

#[test]
fn markers_made_by_a_world_processor_are_saved_streamed_and_loaded_back() {
    let code = "makemarker shape 5 10 12.5 true\nsetmarker radius 5 3\nsetmarker color 5 %ff0000ff\n\
                makemarker text 7 1 1 false\nsetmarker remove 7\nmakemarker point 9 2 3 true\n\
                setmarker pos 9 4 null\nstop\n";
    let mut s = with_world_processor(Grid::new(20, 20, 33), rules(), code);
    let out = run(&mut s, 5);
    assert_eq!(s.logic.markers.len(), 2);
    let shape = s.logic.markers.get(5).expect("shape marker");
    assert_eq!(shape.class, "Shape");
    assert_eq!(
        shape.fields,
        vec![
            // index 0 in the world markers list (a new marker's `world` is 1, so 0 is written)
            ("world".to_string(), UValue::I32(0)),
            (
                "pos".to_string(),
                UValue::Object(vec![("x".into(), UValue::F32(80.0)), ("y".into(), UValue::F32(100.0))])
            ),
            ("radius".to_string(), UValue::F32(3.0)),
            ("color".to_string(), UValue::Str("ff0000ff".into())),
        ]
    );
    // `setmarker pos 9 4` with y null keeps y
    let point = s.logic.markers.get(9).expect("point");
    assert_eq!(
        point.field("pos"),
        Some(UValue::Object(vec![("x".into(), UValue::F32(32.0)), ("y".into(), UValue::F32(24.0))]))
    );
    // Java sends no call for markers (clients run world processors themselves)
    assert!(out.iter().all(|o| !matches!(o, Output::Send(_, Call::TileConfig { .. }))));

    // saved: the markers region holds them; a reload has them
    let path = tmp("markers");
    let meta = WorldMeta { name: "m".into(), rules_json: "{}".into() };
    worldio::save(&s, &BlockNames::builtin(), &meta, &path).expect("saves");
    let bytes = std::fs::read(&path).expect("reads");
    let world = multidustry_world::World::read_msav(&bytes).expect("msav reads");
    assert_eq!(world.markers, s.logic.markers.encode());
    assert_eq!(&world.markers[..3], b"{i\x01");
    let (loaded, mut io) = worldio::load(&bytes).expect("loads").into_parts(60);
    assert_eq!(loaded.logic.markers.get(5), s.logic.markers.get(5));
    // a joining player's stream carries them (delimited by the world crate's Arc UBJSON measure)
    use multidustry_gameserver::host::WorldIo;
    let player = multidustry_gameserver::sim::PlayerState::for_tests(1, "p");
    let stream = io.world_stream(&loaded, &player).expect("stream");
    let decoded = multidustry_world::WorldStream::read_compressed(&stream, multidustry_world::Build::V159)
        .expect("stream decodes");
    assert_eq!(decoded.markers, s.logic.markers.encode());
    assert_eq!(loaded.logic.markers.get(9), s.logic.markers.get(9));
    assert_eq!(loaded.logic.markers.len(), 2);
    let _ = std::fs::remove_dir_all(path.parent().expect("dir"));
}

#[test]
fn a_maps_markers_survive_load_and_save_and_reach_the_world_stream() {
    // no official map carries markers, so one is made: a shape written as Java writes it and a quad (a class
    // this server keeps but does not model)
    let mut m = Markers::default();
    m.make("shapeText", 3, 4.0, 5.0, true);
    let mut region = UValue::Object(vec![]);
    if let Ok(UValue::Object(mut entries)) =
        multidustry_gameserver::markers::UValue::read(&mut multidustry_protocol::io::Reader::new(&m.encode()))
    {
        entries.push((
            "-1".into(),
            UValue::Object(vec![
                ("class".into(), UValue::Str("Quad".into())),
                ("textureName".into(), UValue::Str("router".into())),
            ]),
        ));
        region = UValue::Object(entries);
    }
    let region = region.to_bytes();
    let mut world = multidustry_world::generate::generate(7, 30, 30);
    world.markers.clone_from(&region);
    let loaded = worldio::from_world(&world);
    let meta = WorldMeta { name: loaded.name.clone(), rules_json: loaded.rules_json.clone() };
    let names = loaded.names.clone();
    let (sim, mut io) = loaded.into_parts(60);
    assert_eq!(sim.logic.markers.len(), 2);
    let path = tmp("map-markers");
    worldio::save(&sim, &names, &meta, &path).expect("saves");
    let saved = multidustry_world::World::read_msav(&std::fs::read(&path).expect("file")).expect("msav");
    assert_eq!(saved.markers, region, "unchanged markers are written back byte for byte");
    let _ = std::fs::remove_dir_all(path.parent().expect("dir"));

    // the join stream carries them too
    use multidustry_gameserver::host::WorldIo;
    let player = multidustry_gameserver::sim::PlayerState::for_tests(1, "p");
    let stream = io.world_stream(&sim, &player).expect("stream");
    // the world crate's stream reader delimits the markers with its Arc UBJSON measure
    let decoded = multidustry_world::WorldStream::read_compressed(&stream, multidustry_world::Build::V159)
        .expect("stream decodes");
    assert_eq!(decoded.markers, region);
}

#[test]
fn an_official_maps_empty_markers_stay_empty() {
    let Some(bytes) = multidustry_testdata::read("maps/serpulo/groundZero.msav") else { return };
    let loaded = worldio::load(&bytes).expect("loads");
    assert!(loaded.markers.is_empty());
    assert_eq!(loaded.markers.encode(), b"{}");
}

fn one_group() -> Vec<SpawnGroup> {
    vec![
        SpawnGroup { unit_type: "flare".into(), unit_amount: 2, unit_scaling: 1.0, ..SpawnGroup::default() },
        // bound to another spawn point: not spawned by `spawnwave 20 22`
        SpawnGroup { unit_type: "dagger".into(), spawn: grid::pack(3, 3), ..SpawnGroup::default() },
    ]
}

#[test]
fn spawnwave_at_a_position_spawns_the_current_wave_there_and_natural_runs_the_next_wave() {
    let mut r = rules();
    r.spawns = one_group();
    let mut s = with_world_processor(Grid::new(40, 40, 33), r.clone(), "spawnwave 20 22 false\nstop\n");
    let out = run(&mut s, 2);
    // `spawnEffect` per unit, the unit facing the map's centre (160, 160)
    let effects: Vec<_> = out
        .iter()
        .filter_map(|o| match o {
            Output::Send(Target::Build(159), Call::SpawnEffect { x, y, rotation, .. }) => Some((*x, *y, *rotation)),
            _ => None,
        })
        .collect();
    assert_eq!(effects.len(), 4);
    let mut wire = Vec::new();
    let c = Call::SpawnEffect { x: 1.0, y: 2.0, rotation: 3.0, unit_type: 16 };
    multidustry_gameserver::wire::encode(Target::Build(159), &c, &multidustry_gameserver::wire::BUILDS, &mut wire);
    assert_eq!(wire.len(), 1, "encoded for build 159 only");
    for (x, y, rotation) in &effects {
        let want = (160.0 - y).atan2(160.0 - x).to_degrees().rem_euclid(360.0);
        assert!((rotation - want).abs() < 0.001, "{rotation} {want}");
        let u = s.units().find(|u| u.x == *x && u.y == *y).expect("unit of the effect");
        assert_eq!(u.rotation, *rotation);
    }
    // wave 3 → group wave index 2: unitAmount 2 + 2 waves / scaling 1 = 4 flares, within 2 tiles of (160, 176)
    let units: Vec<_> = s.units().filter(|u| u.team == r.wave_team).collect();
    assert_eq!(units.len(), 4);
    for u in &units {
        assert!(((u.x - 160.0).powi(2) + (u.y - 176.0).powi(2)).sqrt() <= 16.01, "{},{}", u.x, u.y);
        assert_eq!(u.type_id, multidustry_gameserver::waves::unit_type_named("flare").expect("flare").id);
    }
    assert_eq!(s.state.wave, 3, "the wave does not advance");

    // at the bound group's spawn point both groups spawn
    let mut s = with_world_processor(Grid::new(40, 40, 33), r.clone(), "spawnwave 3 3 false\nstop\n");
    run(&mut s, 2);
    let dagger = multidustry_gameserver::waves::unit_type_named("dagger").expect("dagger").id;
    assert_eq!(s.units().filter(|u| u.type_id == dagger).count(), 1);
    assert_eq!(s.units().count(), 5);

    let mut s = with_world_processor(Grid::new(40, 40, 33), r, "spawnwave 0 0 true\nstop\n");
    run(&mut s, 2);
    assert_eq!(s.state.wave, 4, "natural: the next wave ran");
}

#[test]
fn setprop_changes_buildings_cores_and_units() {
    let mut g = Grid::new(40, 40, 33);
    let core = Building::new(multidustry_gameserver::blocks::id::CORE_SHARD, 1, 0, 1100.0);
    assert!(g.put(20, 20, 3, core));
    assert!(g.put(8, 8, 1, Building::new(216, 1, 0, 80.0)));
    assert!(g.put(9, 9, 1, Building::new(216, 1, 0, 80.0)));
    let code = "getblock building w 8 8\nsetprop @health w 50\nsetprop @team w @crux\nsetprop @health w @copper\nsensor h w @health\n\
                getblock building c 20 20\nsetprop @copper c 700\nsetprop @lead c 99999999\n\
                getblock building d 9 9\nsetprop @health d 0\n\
                spawn @dagger 5 5 90 @sharded u\nsetprop @x u 7\nsetprop @y u 9\nsetprop @flag u 42\n\
                setprop @rotation u 45\nsetprop @health u 1\nsetprop @team u 3\nsensor ux u @x\n\
                set keep 17\nsync keep\nstop\n";
    let mut s = with_world_processor(g, rules(), code);
    let out = run(&mut s, 12);
    let w = s.grid.building(grid::pack(8, 8)).expect("wall");
    assert_eq!((w.health, w.team), (50.0, 2));
    assert_eq!(var(&s, "h"), Some(M::Num(50.0)));
    let c = s.grid.building(grid::pack(20, 20)).expect("core");
    assert_eq!(c.items.get(&0), Some(&700));
    assert_eq!(c.items.get(&1), Some(&4000), "clamped to the shard's capacity");
    assert!(s.grid.building(grid::pack(9, 9)).is_none(), "health 0 destroys");
    assert!(
        out.iter().any(|o| matches!(o, Output::Send(Target::All, Call::BuildDestroyed(p)) if *p == grid::pack(9, 9)))
    );
    let u = s.units().find(|u| u.flag == 42.0).expect("the spawned unit");
    assert_eq!((u.x, u.y, u.rotation, u.health, u.team), (56.0, 72.0, 45.0, 1.0, 3));
    assert_eq!(var(&s, "ux"), Some(M::Num(7.0)));
    assert_eq!(var(&s, "keep"), Some(M::Num(17.0)), "sync leaves the variable");
}

#[test]
fn setprop_health_zero_removes_a_unit() {
    let code = "spawn @dagger 5 5 90 @sharded u\nsetprop @health u 0\nsensor dead u @dead\nstop\n";
    let mut g = Grid::new(40, 40, 33);
    // a core gives the team its unit cap
    assert!(g.put(20, 20, 3, Building::new(multidustry_gameserver::blocks::id::CORE_SHARD, 1, 0, 1100.0)));
    let mut s = with_world_processor(g, rules(), code);
    let out = run(&mut s, 5);
    assert_eq!(s.units().count(), 0);
    assert_eq!(var(&s, "dead"), Some(M::Num(1.0)));
    assert!(out.iter().any(|o| matches!(o, Output::Send(Target::All, Call::UnitDeath(_)))));
    let mut wire = Vec::new();
    for c in [Call::UnitDeath(7), Call::BuildDestroyed(grid::pack(3, 4))] {
        multidustry_gameserver::wire::encode(Target::All, &c, &multidustry_gameserver::wire::BUILDS, &mut wire);
    }
    assert_eq!(wire.len(), 4, "both calls encode for builds 159 and 154");
}

#[test]
fn setflag_sends_set_flag_on_change_and_explosion_sends_logic_explosion() {
    let code = "setflag \"boss\" true\nsetflag \"boss\" true\nsetflag \"gone\" false\n\
                explosion @crux 10 12 150 40 true false true true\nexplosion null 1 1 1 1 1 1 1 1\nstop\n";
    let mut s = with_world_processor(Grid::new(20, 20, 33), rules(), code);
    let out = run(&mut s, 4);
    let flags: Vec<_> = out
        .iter()
        .filter_map(|o| match o {
            Output::Send(Target::All, Call::SetFlag { flag, add }) => Some((flag.clone(), *add)),
            _ => None,
        })
        .collect();
    // only the change is sent (Java's `SetFlagI` checks the flag's state first)
    assert_eq!(flags, vec![("boss".to_string(), true)]);
    let explosions: Vec<_> = out
        .iter()
        .filter_map(|o| match o {
            Output::Send(Target::All, c @ Call::LogicExplosion { .. }) => Some(c.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        explosions,
        vec![Call::LogicExplosion {
            team: 2,
            x: 80.0,
            y: 96.0,
            radius: 800.0,
            damage: 40.0,
            air: true,
            ground: false,
            pierce: true,
            effect: true,
        }]
    );
    // and both encode for both client builds
    let mut wire = Vec::new();
    for c in flags.iter().map(|(f, a)| Call::SetFlag { flag: f.clone(), add: *a }).chain(explosions) {
        multidustry_gameserver::wire::encode(Target::All, &c, &multidustry_gameserver::wire::BUILDS, &mut wire);
    }
    assert_eq!(wire.len(), 4);
}

#[test]
fn flush_text_and_texture_take_the_text_buffer_only_for_existing_markers_in_both_engines() {
    let code = "makemarker text 1 2 2 true\nprint \"hello\"\nsetmarker flushText 1 false\nprint \"rest\"\n\
                setmarker flushText 99 false\nprint \"x\"\nsetmarker flushText 1 true\n\
                makemarker texture 3 0 0 true\nprint \"router\"\nsetmarker texture 3 true\n\
                makemarker shape 4 0 0 true\nprint \"ignored\"\nsetmarker flushText 4\nprint \"left\"\nstop\n";
    for engine in [logic::EngineKind::Jit, logic::EngineKind::Interpreter] {
        let mut s = with_world_processor(Grid::new(20, 20, 33), rules(), code);
        s.logic = logic::Logic::new(multidustry_mlog::ir::Build::B159, engine);
        run(&mut s, 6);
        let m = &s.logic.markers;
        assert_eq!(m.get(1).and_then(|t| t.field("text")), Some(UValue::Str("restx".into())), "{engine:?}");
        assert_eq!(
            m.get(3).and_then(|t| t.field("texture")),
            Some(UValue::Object(vec![("string".into(), UValue::Str("router".into()))]))
        );
        // a shape marker has no text, but its existence consumes the buffer
        // (its only field: its index 2 in the world markers list)
        assert_eq!(m.get(4).map(|t| t.fields.clone()), Some(vec![("world".to_string(), UValue::I32(2))]));
        let p = s.logic.processor(&s.grid, grid::pack(1, 1)).expect("processor");
        assert_eq!(p.state.text, "left", "{engine:?}");
    }
}

#[test]
fn weathersense_reads_false_and_message_reports_success() {
    let code = "set w 5\nweathersense w @rain\nset ok 7\nprint \"hi\"\nmessage announce 3 ok\nstop\n";
    let mut s = with_world_processor(Grid::new(20, 20, 33), rules(), code);
    run(&mut s, 3);
    assert_eq!(var(&s, "w"), Some(M::Num(0.0)));
    assert_eq!(var(&s, "ok"), Some(M::Num(1.0)));
    let p = s.logic.processor(&s.grid, grid::pack(1, 1)).expect("processor");
    assert_eq!(p.state.text, "", "message consumed the buffer");
}

#[test]
fn setmarker_texture_takes_strings_content_and_buildings() {
    let mut g = Grid::new(20, 20, 33);
    assert!(g.put(5, 6, 1, Building::new(216, 1, 0, 80.0)));
    let code = "makemarker texture 1 0 0 true\nsetmarker texture 1 false @router\n\
                makemarker texture 2 0 0 true\ngetblock building b 5 6\nsetmarker texture 2 false b\n\
                makemarker texture 3 0 0 true\nsetmarker texture 3 false null\n\
                makemarker texture 4 0 0 true\nsetmarker texture 4 false \"duo\"\nstop\n";
    let mut s = with_world_processor(g, rules(), code);
    run(&mut s, 5);
    let holder = |id: i32| s.logic.markers.get(id).and_then(|m| m.field("texture"));
    let obj = |k: &str, v: UValue| Some(UValue::Object(vec![(k.to_string(), v)]));
    assert_eq!(holder(1), obj("content", UValue::Str("router".into())));
    assert_eq!(holder(2), obj("building", UValue::I32(grid::pack(5, 6))));
    assert_eq!(holder(3), Some(UValue::Object(vec![])));
    assert_eq!(holder(4), obj("string", UValue::Str("duo".into())));
}

/// The `syncVariable` calls among `out`.
fn sync_calls(out: &[Output]) -> Vec<Call> {
    out.iter()
        .filter_map(|o| match o {
            Output::Send(Target::All, c @ Call::SyncVariable { .. }) => Some(c.clone()),
            _ => None,
        })
        .collect()
}

/// The `syncVariable` packets a client of `build` receives for `call`: (packet id, decoded packet).
fn sync_packets(call: &Call) -> Vec<(u32, u8, multidustry_protocol::packets::SyncVariableCallPacket)> {
    use multidustry_protocol::{Packet, RawPacket, Side};
    use multidustrycore::messages::{OutPacket, ToProxy};
    let mut wire = Vec::new();
    multidustry_gameserver::wire::encode(Target::All, call, &multidustry_gameserver::wire::BUILDS, &mut wire);
    wire.into_iter()
        .filter_map(|m| match m {
            ToProxy::Packet { packet: OutPacket::Raw { build, id, payload }, .. } => {
                let b =
                    if build >= 159 { multidustry_protocol::Build::V159 } else { multidustry_protocol::Build::V154 };
                match Packet::decode(b, Side::Server, &RawPacket { id, payload }).expect("decodes") {
                    Packet::SyncVariableCallPacket(p) => Some((build, id, p)),
                    other => panic!("unexpected packet {other:?}"),
                }
            }
            _ => None,
        })
        .collect()
}

#[test]
fn sync_sends_sync_variable_with_the_clients_variable_id_at_most_every_50_ms() {
    // The client's `LExecutor.vars`: @counter 0; `op add x x 1` asks for a = x, b = 1 (a constant), dest = x,
    // so x is 1; `set y x` asks for from = x, to = y, so y is 2.
    let code = "op add x x 1\nset y x\nsync y\nsync x\n";
    let mut s = with_world_processor(Grid::new(20, 20, 33), rules(), code);
    let mut now = Duration::from_secs(1);
    let mut per_tick = Vec::new();
    for _ in 0..7 {
        now += TICK;
        s.tick(now);
        per_tick.push(sync_calls(&s.drain()));
    }
    // the processor starts running in the second tick; 8 instructions per tick run the loop twice, but a
    // variable is synced again only after more than 50 ms (ticks of 16.667 ms: every third tick)
    let counts: Vec<usize> = per_tick.iter().map(Vec::len).collect();
    assert_eq!(counts, vec![0, 2, 0, 0, 2, 0, 0]);
    let pos = grid::pack(1, 1);
    assert_eq!(
        per_tick[1],
        vec![
            Call::SyncVariable { pos, id154: Some(2), id159: Some(2), value: Object::Double(1.0) },
            Call::SyncVariable { pos, id154: Some(1), id159: Some(1), value: Object::Double(1.0) },
        ]
    );
    // the value is the variable's at the time of the `sync`: x was 7 in the first run of the fourth running tick
    let Call::SyncVariable { value, .. } = &per_tick[4][0] else { unreachable!() };
    assert_eq!(*value, Object::Double(7.0));
    // the packet reaches clients of both builds with their own packet ids (build 159: 134, build 154: 118)
    let packets = sync_packets(&per_tick[1][0]);
    let ids: Vec<(u32, u8)> = packets.iter().map(|(b, id, _)| (*b, *id)).collect();
    assert_eq!(ids, vec![(159, 134), (154, 118)]);
    for (_, _, p) in &packets {
        assert_eq!((p.building, p.variable, p.value.clone()), (pos, 2, Object::Double(1.0)));
    }
    // the variable itself is unchanged by `sync`
    assert_eq!(var(&s, "y"), var(&s, "x"));
}

#[test]
fn sync_sends_nothing_without_a_known_client_id() {
    for code in [
        // `@sfx-pew` is a global on clients (their sounds), which this server does not list: no id is certain
        "sync x\nset a @sfx-pew\n",
        // `clientdata` asks for its operands only when a rule allows it
        "sync x\nclientdata \"ch\" x 0\n",
        // constants are no variables of the client's executor (`SyncI` skips them)
        "sync 5\nsync @time\nsync true\n",
    ] {
        let mut s = with_world_processor(Grid::new(20, 20, 33), rules(), code);
        let out = run(&mut s, 3);
        assert!(sync_calls(&out).is_empty(), "{code}");
    }
    // a normal processor cannot `sync` (a privileged instruction: a noop there)
    let mut g = Grid::new(20, 20, 33);
    let mut b = Building::new(id::LOGIC_PROCESSOR, 1, 0, 100.0);
    b.logic = logic::processor_data(id::LOGIC_PROCESSOR, 1, "sync x\n", &[]).map(Box::new);
    assert!(g.put(1, 1, 1, b));
    let mut s = Sim::new(g, rules(), GameState::default(), 60, 1);
    assert!(sync_calls(&run(&mut s, 3)).is_empty());
}

#[test]
fn sync_goes_only_to_the_builds_whose_id_is_known() {
    // `frobnicate` is no statement of build 154 (an invalid one, asking for nothing: x is id 1 there); build 159
    // may register statements 154 lacks, so its clients get nothing
    let mut s = with_world_processor(Grid::new(20, 20, 33), rules(), "frobnicate q\nsync x\nset x 4\n");
    let calls = sync_calls(&run(&mut s, 2));
    let pos = grid::pack(1, 1);
    assert_eq!(calls[0], Call::SyncVariable { pos, id154: Some(1), id159: None, value: Object::Null });
    let packets = sync_packets(&calls[0]);
    assert_eq!(packets.len(), 1);
    assert_eq!((packets[0].0, packets[0].1, packets[0].2.variable), (154, 118, 1));
    // content reaches build-154 clients only as blocks (re-keyed); other content only build-159 clients
    let item = Call::SyncVariable {
        pos,
        id154: Some(1),
        id159: Some(1),
        value: Object::Content(ContentRef { content_type: 0, id: 0 }),
    };
    assert_eq!(sync_packets(&item).iter().map(|p| p.0).collect::<Vec<_>>(), vec![159]);
}
