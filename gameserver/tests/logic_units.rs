//! Unit instructions of processors inside worlds (`logic::units`): `ubind`, `ucontrol`, `radar`, `uradar`,
//! `ulocate`, `sensor` on units, the world processor's `spawn`, and the logic controller's timeout, all through
//! `Sim::tick`.

mod common;
use common::run;

use std::time::Duration;

use multidustry_gameserver::blocks::{self, id::CORE_SHARD};
use multidustry_gameserver::grid::{self, Building, Grid};
use multidustry_gameserver::logic::{self, LogicData, id, units};
use multidustry_gameserver::sim::{GameState, UnitState};
use multidustry_gameserver::worldio::{self, BlockNames, WorldMeta};
use multidustry_gameserver::{Call, Input, JoinRequest, Output, Sim, SimRules, Target};
use multidustry_mlog::value::{ContentKind, Value as MValue};
use multidustry_protocol::Build;
use multidustry_protocol::entity::{EntityData, decode_records};
use multidustry_protocol::typeio::Controller;

/// Entity ids below this are free for the units a test places (`Sim::restore_unit`).
const FIRST_ID: i32 = 1000;

fn put(grid: &mut Grid, x: i32, y: i32, block: u16, team: u8, data: Option<LogicData>) {
    let mut b = Building::new(block, team, 0, 100.0);
    b.logic = data.map(Box::new);
    let size =
        multidustry_world::ContentTable::for_build(multidustry_world::Build::V159).block_size(block).unwrap_or(1);
    assert!(grid.put(x, y, size, b), "placed {block} at {x},{y}");
}

fn proc(block: u16, team: u8, code: &str, links: &[(&str, i32, i32)]) -> Option<LogicData> {
    logic::processor_data(block, team, code, links)
}

fn sim(grid: Grid) -> Sim {
    let rules = SimRules { wave_timer: false, ..SimRules::default() };
    Sim::new(grid, rules, GameState::default(), 60, FIRST_ID)
}

/// An AI unit of `type_id` (a `waves::UNIT_TYPES` type) at tile (x, y).
fn unit(s: &mut Sim, id: i32, type_id: i16, team: u8, x: f32, y: f32) {
    let facts = multidustry_gameserver::waves::unit_type(type_id).expect("simulated type");
    let mut u = UnitState::for_tests(id, -1);
    (u.type_id, u.class_id, u.flying, u.team, u.health) = (type_id, facts.class_id, facts.flying, team, facts.health);
    (u.x, u.y, u.spawned_by_core, u.update_building) = (x * 8.0, y * 8.0, false, false);
    assert!(s.restore_unit(u), "unit {id} added");
}

/// A variable of the processor at (x, y) as the runner holds it (the grid's copy is the last write-back).
fn var(s: &Sim, x: i32, y: i32, name: &str) -> MValue {
    let p = s.logic.processor(&s.grid, grid::pack(x, y)).unwrap_or_else(|| panic!("no processor at {x},{y}"));
    p.var(name).cloned().unwrap_or_default()
}

fn unit_of(id: i32) -> MValue {
    MValue::Unit(id as u64)
}

fn join(s: &mut Sim, now: Duration, session: u64) {
    let request = JoinRequest {
        build: 159,
        name: "p".into(),
        uuid: "u".into(),
        usid: "s".into(),
        color: 0,
        locale: "en".into(),
        admin: false,
        ip: "127.0.0.1".into(),
    };
    s.handle(now, Input::Join { session, request });
    s.handle(now, Input::ConnectConfirm { session });
    s.drain();
}

/// The units of the last entity snapshot sent to build-159 clients in `out`.
fn snapshot_units(out: &[Output]) -> Vec<(i32, multidustry_protocol::entity::UnitSync)> {
    let (amount, data) = out
        .iter()
        .rev()
        .find_map(|o| match o {
            Output::Send(Target::Build(159), Call::EntitySnapshot { amount, data }) => Some((*amount, data.clone())),
            _ => None,
        })
        .expect("an entity snapshot");
    decode_records(&data, amount, Build::V159)
        .expect("decodes")
        .into_iter()
        .filter_map(|r| match r.data {
            EntityData::Unit(u) => Some((r.id, u)),
            _ => None,
        })
        .collect()
}

#[test]
fn ucontrol_move_drives_a_bound_unit_at_its_type_speed_and_sensors_read_it() {
    let mut g = Grid::new(60, 60, 33);
    let code = "ubind @dagger\nucontrol move 20 10 0 0 0\nsensor c @unit @controlled\nsensor x @unit @x\n\
                sensor ctl @unit @controller\nsensor sp @unit @speed\nsensor t @unit @type\nsensor d null @dead\n";
    put(&mut g, 5, 5, id::LOGIC_PROCESSOR, 1, proc(id::LOGIC_PROCESSOR, 1, code, &[]));
    let mut s = sim(g);
    unit(&mut s, 7, 0, 1, 10.0, 10.0); // dagger, speed 0.5 per tick
    let mut now = Duration::from_secs(1);
    run(&mut s, &mut now, 2);
    let u = s.unit(7).expect("dagger").clone();
    let ai = u.logic.as_deref().expect("under logic control");
    assert_eq!(
        (ai.control, ai.move_x, ai.move_y, ai.controller),
        (units::Control::Move, 160.0, 80.0, grid::pack(5, 5))
    );
    assert_eq!(var(&s, 5, 5, "@unit"), unit_of(7));
    assert_eq!(var(&s, 5, 5, "c"), MValue::Num(1.0), "@controlled = ctrlProcessor");
    assert_eq!(var(&s, 5, 5, "ctl"), logic::handle(grid::pack(5, 5)));
    assert_eq!(var(&s, 5, 5, "sp"), MValue::Num(0.5 * 60.0 / 8.0));
    assert_eq!(var(&s, 5, 5, "t"), MValue::Content(ContentKind::Unit, 0));
    assert_eq!(var(&s, 5, 5, "d"), MValue::Num(1.0), "@dead of null");
    let x0 = u.x;
    run(&mut s, &mut now, 40);
    let u = s.unit(7).expect("dagger");
    // Full speed until within 30 units of the target (moveTo's smoothing): 40 ticks × 0.5.
    assert!((u.x - (x0 + 20.0)).abs() < 1e-3, "x {} from {x0}", u.x);
    assert_eq!(u.y, 80.0);
    assert_eq!(u.rotation, 0.0, "faces its movement");
    assert!(matches!(var(&s, 5, 5, "x"), MValue::Num(x) if (x - f64::from(u.x) / 8.0).abs() < 0.1));
    run(&mut s, &mut now, 600);
    let u = s.unit(7).expect("dagger");
    assert!((u.x - 160.0).abs() < 2.0, "arrived next to (20, 10): {}", u.x);
    assert!(u.logic.is_some(), "a processor that keeps commanding keeps its unit");
}

#[test]
fn ubind_cycles_through_the_teams_units_of_a_type_and_flags_are_set() {
    let mut g = Grid::new(60, 60, 33);
    let code = "jump 5 greaterThanEq k 3\nubind @dagger\nucontrol flag k\nop add k k 1\nend\nstop\n";
    put(&mut g, 5, 5, id::LOGIC_PROCESSOR, 1, proc(id::LOGIC_PROCESSOR, 1, code, &[]));
    let mut s = sim(g);
    unit(&mut s, 10, 0, 1, 10.0, 10.0);
    unit(&mut s, 11, 15, 1, 12.0, 10.0); // a flare: another type
    unit(&mut s, 12, 0, 1, 14.0, 10.0);
    unit(&mut s, 13, 0, 2, 16.0, 10.0); // another team's dagger
    let mut now = Duration::from_secs(1);
    run(&mut s, &mut now, 10);
    let flag = |s: &Sim, id: i32| s.unit(id).expect("unit").flag;
    // Binds 10, 12, 10: flags 0, 1, 2 → unit 10 ends with 2, unit 12 with 1.
    assert_eq!((flag(&s, 10), flag(&s, 12)), (2.0, 1.0));
    assert_eq!((flag(&s, 11), flag(&s, 13)), (0.0, 0.0));
    assert!(s.unit(13).expect("crux dagger").logic.is_none());
    assert_eq!(var(&s, 5, 5, "@unit"), unit_of(10));
}

#[test]
fn the_flag_is_synced_and_survives_save_and_load() {
    let mut g = Grid::new(60, 60, 33);
    let code = "ubind @dagger\nucontrol flag 42.5\nucontrol move 30 30\n";
    put(&mut g, 5, 5, id::MICRO_PROCESSOR, 1, proc(id::MICRO_PROCESSOR, 1, code, &[]));
    let mut s = sim(g);
    unit(&mut s, 20, 0, 1, 10.0, 10.0);
    let mut now = Duration::from_secs(1);
    join(&mut s, now, 1);
    let out = run(&mut s, &mut now, 30);
    assert_eq!(s.unit(20).expect("dagger").flag, 42.5);
    let units = snapshot_units(&out);
    let (_, synced) = units.iter().find(|(id, _)| *id == 20).expect("the dagger is synced");
    assert_eq!((synced.flag, synced.controller.clone()), (42.5, Controller::Logic(grid::pack(5, 5))));
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("w.msav");
    let meta = WorldMeta { name: "units".into(), rules_json: "{}".into() };
    worldio::save(&s, &BlockNames::builtin(), &meta, &path).expect("saves");
    let loaded = worldio::load(&std::fs::read(&path).expect("reads")).expect("loads");
    let (s2, _) = loaded.into_parts(60);
    let back = s2.unit(20).expect("dagger restored");
    assert_eq!((back.flag, back.type_id, back.team), (42.5, 0, 1));
    assert!(back.logic.is_none(), "Java resets the controller on load");
}

#[test]
fn radar_from_a_turret_and_uradar_from_a_unit_find_the_nearest_enemy() {
    let mut g = Grid::new(80, 80, 33);
    let duo = blocks::rule_named("duo").expect("duo").id;
    put(&mut g, 10, 10, duo, 1, None);
    let code = "radar enemy any any distance duo1 1 near\nradar enemy any any distance duo1 0 far\n\
                radar ally any any distance duo1 1 friend\nradar enemy flying any distance duo1 1 flyer\n\
                radar enemy any any health duo1 1 strongest\n\
                ubind @dagger\nuradar enemy any any distance 0 1 mine\n";
    put(&mut g, 12, 10, id::LOGIC_PROCESSOR, 1, proc(id::LOGIC_PROCESSOR, 1, code, &[("duo1", 10, 10)]));
    let mut s = sim(g);
    // duo range 110 (13.75 tiles) around (10, 10)
    unit(&mut s, 30, 0, 2, 15.0, 10.0); // enemy dagger, 5 tiles
    unit(&mut s, 31, 2, 2, 10.0, 18.0); // enemy fortress, 8 tiles, 900 health
    unit(&mut s, 32, 15, 2, 10.0, 4.0); // enemy flare, 6 tiles
    unit(&mut s, 33, 0, 2, 30.0, 10.0); // enemy dagger, 20 tiles: out of range
    unit(&mut s, 34, 0, 1, 11.0, 10.0); // own dagger, 1 tile
    let mut now = Duration::from_secs(1);
    run(&mut s, &mut now, 10);
    assert_eq!(var(&s, 12, 10, "near"), unit_of(30));
    assert_eq!(var(&s, 12, 10, "far"), unit_of(31));
    assert_eq!(var(&s, 12, 10, "friend"), unit_of(34));
    assert_eq!(var(&s, 12, 10, "flyer"), unit_of(32));
    assert_eq!(var(&s, 12, 10, "strongest"), unit_of(31));
    // The bound own dagger at (11, 10): its nearest enemy is the dagger at (15, 10); itself is not a result.
    assert_eq!(var(&s, 12, 10, "@unit"), unit_of(34));
    assert_eq!(var(&s, 12, 10, "mine"), unit_of(30));
}

#[test]
fn ulocate_finds_the_enemy_core_own_buildings_ore_and_spawns() {
    let mut g = Grid::new(80, 80, 33);
    put(&mut g, 40, 40, CORE_SHARD, 2, None);
    let container = blocks::rule_named("container").expect("container").id;
    put(&mut g, 16, 16, container, 1, None);
    let table = multidustry_world::ContentTable::for_build(multidustry_world::Build::V159);
    let ore = table.names(multidustry_world::ContentType::BLOCK).iter().position(|n| *n == "ore-copper").expect("ore");
    g.tile_mut(12, 13).expect("tile").overlay = ore as u16;
    g.tile_mut(5, 50).expect("tile").overlay = 1; // spawn marker
    let code = "ubind @dagger\nulocate building core true @copper cx cy cfound cb\n\
                ulocate building storage false @copper sx sy sfound sb\n\
                ulocate ore core true @copper ox oy ofound ob\nulocate spawn core true @copper px py pfound pb\n\
                ulocate building turret true @copper tx ty tfound tb\n";
    put(&mut g, 5, 5, id::LOGIC_PROCESSOR, 1, proc(id::LOGIC_PROCESSOR, 1, code, &[]));
    let mut s = sim(g);
    unit(&mut s, 40, 0, 1, 10.0, 10.0);
    let mut now = Duration::from_secs(1);
    run(&mut s, &mut now, 10);
    let v = |n: &str| var(&s, 5, 5, n);
    // The shard's centre is its tile (size 3); 42 tiles away and of another team: no building handle.
    assert_eq!(
        (v("cx"), v("cy"), v("cfound"), v("cb")),
        (MValue::Num(40.0), MValue::Num(40.0), MValue::Num(1.0), MValue::Null)
    );
    // The own container (size 2: centre offset half a tile) comes with its building.
    assert_eq!((v("sx"), v("sy"), v("sfound")), (MValue::Num(16.5), MValue::Num(16.5), MValue::Num(1.0)));
    assert_eq!(v("sb"), logic::handle(grid::pack(16, 16)));
    assert_eq!((v("ox"), v("oy"), v("ofound")), (MValue::Num(12.0), MValue::Num(13.0), MValue::Num(1.0)));
    assert_eq!((v("px"), v("py"), v("pfound")), (MValue::Num(5.0), MValue::Num(50.0), MValue::Num(1.0)));
    // No enemy turret: not found. The first run leaves x/y alone; later runs within the lookup interval write
    // the cache back as Java does, and its x/y are 0 while nothing was found.
    assert_eq!((v("tx"), v("tfound"), v("tb")), (MValue::Num(0.0), MValue::Num(0.0), MValue::Null));
}

#[test]
fn world_spawn_creates_a_unit_clients_see() {
    let mut g = Grid::new(60, 60, 33);
    let code = "jump 3 notEqual u null\nspawn @flare 20 25 90 @crux u\nspawn @alpha 20 25 0 @crux a\n\
                spawn @dagger 20 25 0 @sharded d\nstop\n";
    put(&mut g, 5, 5, id::WORLD_PROCESSOR, 0, proc(id::WORLD_PROCESSOR, 0, code, &[]));
    let mut s = sim(g);
    let mut now = Duration::from_secs(1);
    join(&mut s, now, 1);
    let out = run(&mut s, &mut now, 30);
    let MValue::Unit(id) = var(&s, 5, 5, "u") else { panic!("spawn result {:?}", var(&s, 5, 5, "u")) };
    let flare = s.unit(id as i32).expect("spawned flare").clone();
    assert_eq!(
        (flare.type_id, flare.class_id, flare.team, flare.x, flare.y, flare.rotation, flare.controller),
        (15, 3, 2, 160.0, 200.0, 90.0, -1)
    );
    assert_eq!(var(&s, 5, 5, "a"), MValue::Null, "alpha is not a spawnable type here");
    assert_eq!(var(&s, 5, 5, "d"), MValue::Null, "sharded has no core: unit cap 0");
    assert_eq!(s.units().filter(|u| u.controller < 0).count(), 1, "spawned once");
    let units = snapshot_units(&out);
    let (_, synced) = units.iter().find(|(uid, _)| *uid == id as i32).expect("clients see the flare");
    assert_eq!((synced.class_id, synced.type_id, synced.team, synced.x, synced.y), (3, 15, 2, 160.0, 200.0));
}

#[test]
fn the_logic_controller_times_out_and_player_units_cannot_be_commanded() {
    let mut g = Grid::new(60, 60, 33);
    put(&mut g, 40, 10, CORE_SHARD, 1, None);
    let code = "ubind @dagger\nucontrol idle\nstop\n";
    put(&mut g, 5, 5, id::WORLD_PROCESSOR, 2, proc(id::WORLD_PROCESSOR, 2, code, &[]));
    let alpha = "ubind @alpha\nsensor c @unit @controlled\nucontrol move 0 0\n";
    put(&mut g, 5, 20, id::LOGIC_PROCESSOR, 1, proc(id::LOGIC_PROCESSOR, 1, alpha, &[]));
    let mut s = sim(g);
    unit(&mut s, 50, 0, 2, 10.0, 10.0); // a crux dagger: the wave AI walks it to the shard
    let mut now = Duration::from_secs(1);
    join(&mut s, now, 1);
    // The wave AI walks it until the world processor's first run binds it (its second tick).
    run(&mut s, &mut now, 5);
    let bound_at = s.unit(50).map(|d| (d.x, d.y)).expect("dagger");
    assert!(bound_at.0 < 80.0 + 2.0 * 0.5 + 1e-3, "{bound_at:?}");
    run(&mut s, &mut now, 295);
    let d = s.unit(50).expect("dagger").clone();
    assert_eq!((d.x, d.y), bound_at, "idle under logic control");
    let timer = d.logic.as_deref().expect("controlled").control_timer;
    assert!(timer > 0.0 && timer < units::LOGIC_CONTROL_TIMEOUT - 290.0, "timer {timer}");
    run(&mut s, &mut now, 320);
    let d = s.unit(50).expect("dagger").clone();
    assert!(d.logic.is_none(), "released after 10 s without commands");
    assert!(d.x > 80.0, "the wave AI walks it again: {}", d.x);
    // The player's alpha binds (`@controlled` = ctrlPlayer) but does not take a logic controller.
    let player_unit = s.units().find(|u| u.controller >= 0).expect("the player's unit").clone();
    assert_eq!(var(&s, 5, 20, "@unit"), unit_of(player_unit.id));
    assert_eq!(var(&s, 5, 20, "c"), MValue::Num(2.0));
    assert!(player_unit.logic.is_none());
    assert_ne!((player_unit.x, player_unit.y), (0.0, 0.0));
}

#[test]
fn a_world_processor_binds_wave_and_spawned_units_moves_them_and_fetches_them() {
    let mut g = Grid::new(60, 60, 33);
    put(&mut g, 40, 10, CORE_SHARD, 1, None);
    g.tile_mut(10, 40).expect("tile").overlay = 1; // spawn marker
    let code = "jump 2 notEqual s null\nspawn @dagger 20 40 0 @crux s\nfetch unitCount n @crux 0 @dagger\n\
                fetch unit f @crux 1 @dagger\nfetch unitCount all @crux 0 @conveyor\nfetch unitCount mine @sharded\n\
                ubind @dagger\nucontrol move 30 50 0 0 0\n";
    put(&mut g, 5, 5, id::WORLD_PROCESSOR, 2, proc(id::WORLD_PROCESSOR, 2, code, &[]));
    let mut s = sim(g);
    s.run_wave(); // wave 1 of the default waves: one crux dagger at the spawn marker
    let wave_dagger = s.units().find(|u| u.team == 2).map(|u| (u.id, u.x, u.y)).expect("wave dagger");
    unit(&mut s, 60, 0, 1, 30.0, 30.0); // a sharded AI dagger: stands (no command), not bound (other team)
    let mut now = Duration::from_secs(1);
    run(&mut s, &mut now, 60);
    let MValue::Unit(spawned) = var(&s, 5, 5, "s") else { panic!("spawned {:?}", var(&s, 5, 5, "s")) };
    let spawned = spawned as i32;
    assert_eq!(var(&s, 5, 5, "n"), MValue::Num(2.0));
    assert_eq!(var(&s, 5, 5, "all"), MValue::Num(2.0));
    assert_eq!(var(&s, 5, 5, "mine"), MValue::Num(1.0));
    assert_eq!(var(&s, 5, 5, "f"), unit_of(spawned), "creation order: the wave dagger, then the spawned one");
    let target = (240.0f32, 400.0f32);
    for (id, start) in [(wave_dagger.0, (wave_dagger.1, wave_dagger.2)), (spawned, (160.0, 320.0))] {
        let u = s.unit(id).expect("dagger");
        let ai = u.logic.as_deref().expect("commanded");
        assert_eq!((ai.control, ai.move_x, ai.move_y), (units::Control::Move, target.0, target.1));
        let d = |p: (f32, f32)| ((p.0 - target.0).powi(2) + (p.1 - target.1).powi(2)).sqrt();
        assert!(d((u.x, u.y)) < d(start) - 20.0, "unit {id} moved toward the target: {:?} → {:?}", start, (u.x, u.y));
    }
    let other = s.unit(60).expect("sharded dagger");
    assert_eq!((other.x, other.y, other.logic.is_none()), (240.0, 240.0, true));
}

#[test]
fn pathfind_leads_a_ground_unit_around_walls_and_auto_pathfind_heads_for_the_enemy_core() {
    let mut g = Grid::new(40, 20, 33);
    g.static_walls.push(80);
    for y in 0..15 {
        g.set_static(20, y, 80); // a wall with a gap at the top
    }
    put(&mut g, 35, 15, CORE_SHARD, 2, None);
    let code = "ubind @dagger\nucontrol pathfind 30 5\nubind @flare\nucontrol autoPathfind\n";
    put(&mut g, 2, 2, id::LOGIC_PROCESSOR, 1, proc(id::LOGIC_PROCESSOR, 1, code, &[]));
    let mut s = sim(g);
    unit(&mut s, 70, 0, 1, 10.0, 5.0); // dagger
    unit(&mut s, 71, 15, 1, 5.0, 15.0); // flare, 2.7 per tick
    let mut now = Duration::from_secs(1);
    for _ in 0..1200 {
        run(&mut s, &mut now, 1);
        let d = s.unit(70).expect("dagger");
        let (tx, ty) = ((d.x / 8.0).round() as i32, (d.y / 8.0).round() as i32);
        assert!(!(tx == 20 && ty < 15), "walked into the wall at {}, {}", d.x, d.y);
    }
    let d = s.unit(70).expect("dagger");
    assert!((d.x - 240.0).abs() < 2.0 && (d.y - 40.0).abs() < 2.0, "arrived at (30, 5): {}, {}", d.x, d.y);
    let f = s.unit(71).expect("flare");
    let to_core = ((f.x - 280.0).powi(2) + (f.y - 120.0).powi(2)).sqrt();
    assert!(
        (units::UNIT_RANGE * 0.5..units::UNIT_RANGE * 0.5 + 2.0).contains(&to_core),
        "stopped at half range: {to_core}"
    );
}

#[test]
fn unit_sensors_follow_unit_comp_and_a_removed_processor_releases_its_unit() {
    let mut g = Grid::new(60, 60, 33);
    put(&mut g, 40, 40, CORE_SHARD, 1, None);
    let code = "ubind @nova\nucontrol boost 1\nucontrol target 12 10 1\nsensor h @unit @health\n\
                sensor mh @unit @maxHealth\nsensor tm @unit @team\nsensor r @unit @range\nsensor sh @unit @shooting\n\
                sensor bo @unit @boosting\nsensor sx @unit @shootX\nsensor it @unit @copper\nsensor fi @unit @firstItem\n\
                sensor nm @unit @name\nprint @unit\nprintflush message1\nubind @alpha\nsensor pn @unit @name\n\
                sensor pd @unit @dead\n";
    put(&mut g, 5, 5, id::LOGIC_PROCESSOR, 1, proc(id::LOGIC_PROCESSOR, 1, code, &[("message1", 7, 5)]));
    put(&mut g, 7, 5, id::MESSAGE, 1, None);
    if let Some(b) = g.building_mut(grid::pack(7, 5)) {
        b.config = multidustry_gameserver::value::Value::Str(Some(String::new()));
    }
    let mut s = sim(g);
    unit(&mut s, 80, 5, 1, 10.0, 10.0); // nova: 120 health, can boost
    let mut now = Duration::from_secs(1);
    join(&mut s, now, 1);
    run(&mut s, &mut now, 30);
    let v = |s: &Sim, n: &str| var(s, 5, 5, n);
    assert_eq!((v(&s, "h"), v(&s, "mh"), v(&s, "tm")), (MValue::Num(120.0), MValue::Num(120.0), MValue::Num(1.0)));
    assert_eq!(v(&s, "r"), MValue::Num(f64::from(units::UNIT_RANGE) / 8.0));
    assert_eq!((v(&s, "bo"), v(&s, "sh")), (MValue::Num(1.0), MValue::Num(0.0)), "boosting units do not shoot");
    assert_eq!(v(&s, "sx"), MValue::Num(12.0), "aims at the target");
    assert_eq!((v(&s, "it"), v(&s, "fi"), v(&s, "nm")), (MValue::Num(0.0), MValue::Null, MValue::Null));
    assert_eq!(v(&s, "pn"), MValue::Str("p".into()), "a player's unit senses its player's name");
    assert_eq!(v(&s, "pd"), MValue::Num(0.0));
    let text = match &s.grid.building(grid::pack(7, 5)).expect("message").config {
        multidustry_gameserver::value::Value::Str(Some(t)) => t.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(text, "nova");
    assert!(s.unit(80).expect("nova").logic.is_some());
    s.grid.remove(grid::pack(5, 5));
    run(&mut s, &mut now, 1);
    assert!(s.unit(80).expect("nova").logic.is_none(), "released when its processor is gone");
}

#[test]
fn ucontrol_build_makes_builder_units_construct_through_the_sim() {
    let mut g = Grid::new(60, 60, 33);
    put(&mut g, 30, 30, CORE_SHARD, 1, None);
    if let Some(core) = g.building_mut(grid::pack(30, 30)) {
        core.items.insert(0, 100); // copper
    }
    let wall = blocks::rule_named("copper-wall").expect("copper-wall").id;
    let code = "ubind @nova\nucontrol build 20 20 @copper-wall 1 0\nsensor a @unit @armor\n\
                ubind @dagger\nucontrol build 22 20 @copper-wall 0 0\n";
    put(&mut g, 5, 5, id::LOGIC_PROCESSOR, 1, proc(id::LOGIC_PROCESSOR, 1, code, &[]));
    let mut s = sim(g);
    unit(&mut s, 90, 5, 1, 20.0, 17.0); // nova: builds at 0.8
    unit(&mut s, 91, 0, 1, 22.0, 17.0); // dagger: cannot build
    let mut now = Duration::from_secs(1);
    run(&mut s, &mut now, 600);
    let built = s.grid.building(grid::pack(20, 20)).expect("the wall");
    assert_eq!((built.block, built.team, built.construction.is_none()), (wall, 1, true));
    assert_eq!(s.core_items(1).get(&0), Some(&94), "paid 6 copper from the core");
    assert!(s.grid.building(grid::pack(22, 20)).is_none(), "daggers do not build");
    assert!(s.unit(91).expect("dagger").plans.is_empty());
    assert!(s.unit(90).expect("nova").plans.is_empty(), "nothing left to build");
    assert_eq!(var(&s, 5, 5, "a"), MValue::Num(1.0), "nova armor");
}

#[test]
fn units_take_items_from_the_core_and_drop_them_into_storage_at_the_transfer_rate() {
    let mut g = Grid::new(60, 60, 33);
    put(&mut g, 30, 30, CORE_SHARD, 1, None);
    if let Some(core) = g.building_mut(grid::pack(30, 30)) {
        core.items.insert(0, 100); // copper
    }
    let container = blocks::rule_named("container").expect("container").id;
    put(&mut g, 26, 26, container, 1, None);
    let take = "ubind @dagger\nulocate building core false @copper cx cy cf core\nucontrol itemTake core @copper 25\n\
                sensor n @unit @totalItems\nsensor fi @unit @firstItem\nsensor c @unit @copper\n\
                sensor cap @unit @itemCapacity\n";
    put(&mut g, 5, 5, id::LOGIC_PROCESSOR, 1, proc(id::LOGIC_PROCESSOR, 1, take, &[]));
    let drop = "ubind @mace\nulocate building storage false @copper sx sy sf box\nucontrol itemDrop box 15\n";
    put(&mut g, 5, 10, id::LOGIC_PROCESSOR, 1, proc(id::LOGIC_PROCESSOR, 1, drop, &[]));
    let mut s = sim(g);
    unit(&mut s, 95, 0, 1, 27.0, 30.0); // dagger: capacity 30, 3 tiles from the core
    let facts = multidustry_gameserver::waves::unit_type(1).expect("mace");
    let mut mace = UnitState::for_tests(96, -1);
    (mace.type_id, mace.class_id, mace.flying, mace.team, mace.health) = (1, facts.class_id, false, 1, facts.health);
    (mace.x, mace.y, mace.stack) = (26.0 * 8.0, 24.0 * 8.0, (1, 20)); // 20 lead
    assert!(s.restore_unit(mace));
    let mut now = Duration::from_secs(1);
    run(&mut s, &mut now, 20);
    assert_eq!(s.unit(95).expect("dagger").stack, (0, 25));
    assert_eq!(s.core_items(1).get(&0), Some(&75));
    let v = |s: &Sim, n: &str| var(s, 5, 5, n);
    assert_eq!(
        (v(&s, "n"), v(&s, "fi"), v(&s, "c")),
        (MValue::Num(25.0), MValue::Content(ContentKind::Item, 0), MValue::Num(25.0))
    );
    assert_eq!(v(&s, "cap"), MValue::Num(30.0));
    let stored = |s: &Sim| s.grid.building(grid::pack(26, 26)).and_then(|b| b.items.get(&1).copied());
    assert_eq!((s.unit(96).expect("mace").stack.1, stored(&s)), (5, Some(15)));
    // One transfer per 90 ticks: the dagger fills up to its capacity, the mace empties.
    run(&mut s, &mut now, 100);
    assert_eq!(s.unit(95).expect("dagger").stack, (0, 30));
    assert_eq!(s.core_items(1).get(&0), Some(&70));
    assert_eq!((s.unit(96).expect("mace").stack.1, stored(&s)), (0, Some(20)));
}

#[test]
fn world_processors_set_unit_properties() {
    let mut g = Grid::new(60, 60, 33);
    let code = "jump 8 notEqual u null\nspawn @dagger 10 10 0 @crux u\nsetprop @x u 20\nsetprop @y u 12.5\n\
                setprop @health u 1000\nsetprop @flag u 7\nsetprop @team u @sharded\nsetprop @rotation u 45\nstop\n";
    put(&mut g, 5, 5, id::WORLD_PROCESSOR, 0, proc(id::WORLD_PROCESSOR, 0, code, &[]));
    let mut s = sim(g);
    let mut now = Duration::from_secs(1);
    run(&mut s, &mut now, 10);
    let MValue::Unit(id) = var(&s, 5, 5, "u") else { panic!("no unit") };
    let u = s.unit(id as i32).expect("spawned");
    assert_eq!((u.x, u.y, u.health, u.flag, u.team, u.rotation), (160.0, 100.0, 130.0, 7.0, 1, 45.0));
}

/// Unit instructions with every kind of wrong operand: nothing panics, units stay finite, nothing is bound
/// that should not be.
#[test]
fn odd_operands_do_nothing_harmful() {
    let mut g = Grid::new(40, 40, 33);
    put(&mut g, 30, 30, CORE_SHARD, 1, None);
    let lines = [
        "ubind null",
        "ubind 5",
        "ubind \"dagger\"",
        "ubind @copper",
        "ubind @this",
        "ubind @sharded",
        "set big 1e308",
        "op div nan 0 0",
        "ubind @dagger",
        "ucontrol move big big",
        "ucontrol move nan nan",
        "ucontrol approach 1 1 -5",
        "ucontrol within big 1 -1 w",
        "ucontrol getBlock big -big b t f",
        "ucontrol flag nan",
        "ucontrol build big big @copper-wall big \"x\"",
        "ucontrol build 5 5 @dagger 0 0",
        "ucontrol itemTake @this @copper 1e300",
        "ucontrol itemDrop null -5",
        "ucontrol targetp \"str\" 1",
        "ucontrol pathfind -1e9 1e9",
        "ucontrol autoPathfind",
        "ucontrol nonsense 1 2",
        "uradar enemy any any nonsense 0 nan r",
        "radar enemy any any distance @this 1 r2",
        "radar enemy any any distance null 1 r3",
        "ulocate building nonsense true @copper x y f b",
        "ulocate ore core true null x y f b",
        "ulocate nonsense core true @copper x y f b",
        "sensor s1 @unit null",
        "sensor s2 @unit \"x\"",
        "sensor s3 12 @x",
        "fetch unit fu @sharded big @dagger",
        "fetch unit fu2 @sharded -1",
        "fetch unitCount fc null",
        "spawn @dagger nan big nan @crux sp",
        "spawn @flare 1 1 0 null sp2",
        "spawn null 1 1 0 @crux sp3",
        "setprop @x sp nan",
        "setprop @team sp 999",
        "setprop @health sp -1e300",
        "ucontrol unbind",
    ];
    let code = lines.join("\n") + "\n";
    put(&mut g, 2, 2, id::WORLD_PROCESSOR, 1, proc(id::WORLD_PROCESSOR, 1, &code, &[]));
    put(&mut g, 6, 2, id::LOGIC_PROCESSOR, 1, proc(id::LOGIC_PROCESSOR, 1, &code, &[]));
    let mut s = sim(g);
    unit(&mut s, 5, 0, 1, 10.0, 10.0);
    unit(&mut s, 6, 15, 2, 12.0, 10.0);
    let mut now = Duration::from_secs(1);
    run(&mut s, &mut now, 200);
    for u in s.units() {
        assert!(u.x.is_finite() && u.y.is_finite() && u.health.is_finite(), "unit {} {:?}", u.id, (u.x, u.y));
        assert!(u.stack.1 >= 0);
    }
    assert_eq!(var(&s, 6, 2, "s3"), MValue::Null);
    assert_eq!(var(&s, 6, 2, "sp"), MValue::Null, "normal processors do not spawn");
    assert!(s.grid.building(grid::pack(5, 5)).is_none(), "a unit type is not a block to build");
}
