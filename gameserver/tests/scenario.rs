//! Scenario tests: one world stepped tick by tick at 60 Hz with scripted sessions, asserting the calls sent.

use std::time::Duration;

use multidustry_gameserver::blocks::{self, item};
use multidustry_gameserver::grid::{self, Building, Grid};
use multidustry_gameserver::sim::GameState;
use multidustry_gameserver::value::{CONTENT_ITEM, Value};
use multidustry_gameserver::{
    Call, ClientSnapshot, Input, JoinRequest, KickReason, Output, Plan, Sim, SimRules, Target,
};

const TICK: Duration = Duration::from_micros(16_667);
const CORE: (i32, i32) = (20, 20);

struct World {
    sim: Sim,
    now: Duration,
    out: Vec<Output>,
    snap_ids: std::collections::HashMap<u64, i32>,
}

impl World {
    fn new(infinite: bool) -> Self {
        let mut grid = Grid::new(50, 50, 1);
        let mut core = Building::new(blocks::id::CORE_SHARD, 1, 0, 1100.0);
        core.items.insert(item::COPPER, 300);
        core.items.insert(item::LEAD, 100);
        core.items.insert(item::GRAPHITE, 50);
        assert!(grid.put(CORE.0, CORE.1, 3, core));
        let rules = SimRules { infinite_resources: infinite, ..SimRules::default() };
        Self {
            sim: Sim::new(grid, rules, GameState::default(), 60, 1),
            now: Duration::from_secs(1),
            out: Vec::new(),
            snap_ids: Default::default(),
        }
    }

    fn input(&mut self, input: Input) {
        self.sim.handle(self.now, input);
        self.out.extend(self.sim.drain());
    }

    fn ticks(&mut self, n: u32) {
        for _ in 0..n {
            self.now += TICK;
            self.sim.tick(self.now);
            self.out.extend(self.sim.drain());
        }
    }

    fn take(&mut self) -> Vec<Output> {
        std::mem::take(&mut self.out)
    }

    fn join(&mut self, session: u64, name: &str, build: u32) -> i32 {
        self.input(Input::Join {
            session,
            request: JoinRequest {
                build,
                name: name.into(),
                uuid: format!("uuid{session}"),
                usid: format!("usid{session}"),
                color: 0x11223300,
                locale: "en".into(),
                admin: false,
                ip: "127.0.0.1".into(),
            },
        });
        let id = self
            .take()
            .iter()
            .find_map(|o| match o {
                Output::Send(Target::Session(s), Call::WorldStream { player_id }) if *s == session => Some(*player_id),
                _ => None,
            })
            .expect("world stream sent to the joining session");
        self.ticks(40); // the client loads the world
        self.input(Input::ConnectConfirm { session });
        id
    }

    fn snapshot(&mut self, session: u64, x: f32, y: f32, plans: Option<Vec<Plan>>) {
        let id = self.snap_ids.entry(session).or_insert(0);
        *id += 1;
        let snapshot = ClientSnapshot {
            snapshot_id: *id,
            unit_id: 0,
            x,
            y,
            building: true,
            selected_block: -1,
            plans,
            ..ClientSnapshot::default()
        };
        self.input(Input::ClientSnapshot { session, snapshot });
    }
}

fn broadcasts(out: &[Output]) -> Vec<&Call> {
    out.iter()
        .filter_map(|o| match o {
            Output::Send(Target::All, c) => Some(c),
            _ => None,
        })
        .collect()
}

/// The entity snapshot sent to clients of `build` in `out`.
fn entity_snapshot(out: &[Output], build: u32) -> (i16, std::sync::Arc<[u8]>) {
    out.iter()
        .find_map(|o| match o {
            Output::Send(Target::Build(x), Call::EntitySnapshot { amount, data }) if *x == build => {
                Some((*amount, data.clone()))
            }
            _ => None,
        })
        .expect("an entity snapshot for this build")
}

fn core_xy() -> (f32, f32) {
    (CORE.0 as f32 * 8.0, CORE.1 as f32 * 8.0)
}

#[test]
fn join_spawns_a_core_unit_and_announces_the_player() {
    let mut w = World::new(false);
    let id = w.join(1, "alice", 159);
    let out = w.take();
    let calls = broadcasts(&out);
    assert!(calls.contains(&&Call::SendMessage("[accent]alice[accent] has connected.".into())));
    let spawn = calls.iter().find_map(|c| match c {
        Call::PlayerSpawn { core, player } => Some((*core, *player)),
        _ => None,
    });
    assert_eq!(spawn, Some((grid::pack(CORE.0, CORE.1), id)));
    let p = w.sim.player(id).expect("player");
    let unit = w.sim.unit(p.unit.expect("has a unit")).expect("unit");
    assert_eq!((unit.type_id, unit.controller, unit.team), (35, id, 1), "an alpha controlled by the player");
    assert_eq!((unit.x, unit.y), core_xy());

    // Entity and state snapshots follow at the 200 ms cadence, for the player's build.
    w.ticks(13);
    let out = w.take();
    let entity: Vec<_> =
        out.iter().filter(|o| matches!(o, Output::Send(Target::Build(159), Call::EntitySnapshot { .. }))).collect();
    assert!(!entity.is_empty());
    if let Output::Send(_, Call::EntitySnapshot { amount, data }) = entity[0] {
        assert_eq!(*amount, 2, "player + unit");
        assert_eq!(&data[..5], &[0, 0, 0, id as u8, 12], "player record first");
    }
    assert!(out.iter().any(|o| matches!(o, Output::Send(Target::All, Call::StateSnapshot(_)))));
}

#[test]
fn movement_is_limited_by_unit_speed_and_corrected() {
    let mut w = World::new(false);
    let id = w.join(1, "runner", 159);
    w.take();
    let (cx, cy) = core_xy();
    // 100 ms later a legal move of 10 units.
    w.ticks(6);
    w.snapshot(1, cx + 10.0, cy, None);
    let unit = w.sim.player(id).and_then(|p| p.unit).expect("unit");
    assert!((w.sim.unit(unit).expect("u").x - (cx + 10.0)).abs() < 0.01);
    assert!(w.take().iter().all(|o| !matches!(o, Output::Send(_, Call::SetPosition { .. }))));
    // A teleport of 300 units in 100 ms is cut to speed × time × 1.1 and the client is corrected.
    w.ticks(6);
    w.snapshot(1, cx + 310.0, cy, None);
    let x = w.sim.unit(unit).expect("u").x;
    assert!(x < cx + 10.0 + 3.0 * 6.2 * 1.1 + 1.0, "moved to {x}");
    let out = w.take();
    assert!(out.iter().any(|o| matches!(o, Output::Send(Target::Session(1), Call::SetPosition { .. }))));
}

#[test]
fn players_see_each_other_and_chat_is_formatted_like_java() {
    let mut w = World::new(false);
    let a = w.join(1, "alice", 159);
    let b = w.join(2, "bob", 154);
    w.take();
    w.ticks(13);
    let out = w.take();
    let for_154 = out.iter().find_map(|o| match o {
        Output::Send(Target::Build(154), Call::EntitySnapshot { amount, .. }) => Some(*amount),
        _ => None,
    });
    assert_eq!(for_154, Some(4), "both players and both units reach the 154 client");
    assert_eq!(w.sim.sessions_of(Target::All).len(), 2);

    w.input(Input::Chat { session: 1, text: "hello\nthere".into() });
    let out = w.take();
    let chat = broadcasts(&out).into_iter().find_map(|c| match c {
        Call::SendChat { formatted, unformatted, sender } => Some((formatted.clone(), unformatted.clone(), *sender)),
        _ => None,
    });
    assert_eq!(
        chat,
        Some(("[coral][[[#112233FF]alice[coral]]:[white] hellothere".into(), Some("hellothere".into()), a))
    );

    w.input(Input::Leave { session: 2, reason: "closed".into() });
    let out = w.take();
    let calls = broadcasts(&out);
    assert!(calls.contains(&&Call::SendMessage("[accent]bob[accent] has disconnected.".into())));
    assert!(calls.contains(&&Call::PlayerDisconnect(b)));
    assert!(calls.iter().any(|c| matches!(c, Call::UnitDespawn(_))));
    assert_eq!(w.sim.player_count(), 1);
    assert_eq!(w.sim.units().count(), 1, "bob's unit is gone");
}

#[test]
fn chat_in_the_first_500_ms_is_dropped_as_java_does() {
    let mut w = World::new(false);
    w.input(Input::Join {
        session: 9,
        request: JoinRequest {
            build: 154,
            name: "eager".into(),
            uuid: "u9".into(),
            usid: "s9".into(),
            color: 0xff,
            locale: "en".into(),
            admin: false,
            ip: "127.0.0.1".into(),
        },
    });
    w.ticks(6);
    w.input(Input::ConnectConfirm { session: 9 });
    w.input(Input::Chat { session: 9, text: "first!".into() });
    assert!(broadcasts(&w.take()).iter().all(|c| !matches!(c, Call::SendChat { .. })));
    w.ticks(30);
    assert!(broadcasts(&w.take()).iter().all(|c| !matches!(c, Call::SendChat { .. })), "dropped, not held");
    w.input(Input::Chat { session: 9, text: "second".into() });
    let out = w.take();
    assert!(broadcasts(&out).iter().any(|c| matches!(c, Call::SendChat { unformatted: Some(t), .. } if t == "second")));
}

#[test]
fn chat_flood_kicks() {
    let mut w = World::new(false);
    w.join(1, "spammer", 159);
    w.ticks(60);
    w.take();
    for i in 0..25 {
        w.input(Input::Chat { session: 1, text: format!("spam {i}") });
    }
    assert!(w.take().iter().any(|o| matches!(o, Output::Kick(1, KickReason::Spam))));
    assert_eq!(w.sim.player_count(), 0);
}

fn place(x: i32, y: i32, block: u16, rotation: u8, config: Value) -> Plan {
    Plan { x, y, breaking: false, block, rotation, config }
}

#[test]
fn building_completes_at_builder_speed_and_costs_core_items() {
    let mut w = World::new(false);
    w.join(1, "builder", 159);
    w.take();
    let (cx, cy) = core_xy();
    w.snapshot(1, cx, cy, Some(vec![place(24, 20, blocks::id::COPPER_WALL, 1, Value::Null)]));
    w.ticks(1);
    let out = w.take();
    assert!(broadcasts(&out).iter().any(|c| matches!(c, Call::BeginPlace { block: 216, x: 24, y: 20, .. })));
    // copper wall: build cost 6 × 0.5 × 5 = 15, alpha build speed 0.5 → 30 ticks (Java: 0.44 s in the capture).
    w.ticks(26);
    assert!(!broadcasts(&w.take()).iter().any(|c| matches!(c, Call::ConstructFinish { .. })));
    w.ticks(6);
    let out = w.take();
    let finish = broadcasts(&out).into_iter().find_map(|c| match c {
        Call::ConstructFinish { pos, block, team, .. } => Some((*pos, *block, *team)),
        _ => None,
    });
    assert_eq!(finish, Some((grid::pack(24, 20), 216, 1)));
    assert_eq!(w.sim.core_items(1).get(&item::COPPER), Some(&294));
    let b = w.sim.grid.building(grid::pack(24, 20)).expect("built");
    assert!(b.construction.is_none());
    // A conveyor (cost 1) is built within a couple of ticks and keeps its rotation.
    w.snapshot(1, cx, cy, Some(vec![place(25, 20, blocks::id::CONVEYOR, 3, Value::Null)]));
    w.ticks(4);
    let out = w.take();
    assert!(broadcasts(&out).iter().any(|c| matches!(c, Call::ConstructFinish { block: 257, rotation: 3, .. })));
}

#[test]
fn invalid_plans_are_refused_with_remove_queue_block() {
    let mut w = World::new(false);
    w.join(1, "griefer", 159);
    w.take();
    let (cx, cy) = core_xy();
    w.snapshot(
        1,
        cx,
        cy,
        Some(vec![
            place(20, 20, blocks::id::CONVEYOR, 0, Value::Null), // on the core
            place(99, 99, blocks::id::CONVEYOR, 0, Value::Null), // outside (skipped: no tile)
            place(30, 30, 9999, 0, Value::Null),                 // unknown block
            Plan { x: 20, y: 21, breaking: true, block: 0, rotation: 0, config: Value::Null }, // the core
        ]),
    );
    let out = w.take();
    let refused: Vec<(i32, i32, bool)> = out
        .iter()
        .filter_map(|o| match o {
            Output::Send(Target::Session(1), Call::RemoveQueueBlock { x, y, breaking }) => Some((*x, *y, *breaking)),
            _ => None,
        })
        .collect();
    assert_eq!(refused, vec![(20, 20, false), (30, 30, false), (20, 21, true)]);
}

#[test]
fn sandbox_builds_for_free_and_deconstruction_refunds_half_in_survival() {
    let mut sandbox = World::new(true);
    sandbox.join(1, "free", 159);
    let (cx, cy) = core_xy();
    sandbox.snapshot(1, cx, cy, Some(vec![place(24, 24, blocks::id::COPPER_WALL, 0, Value::Null)]));
    sandbox.ticks(300);
    assert!(broadcasts(&sandbox.take()).iter().any(|c| matches!(c, Call::ConstructFinish { block: 216, .. })));
    assert_eq!(sandbox.sim.core_items(1).get(&item::COPPER), Some(&300), "free in sandbox");

    let mut w = World::new(false);
    w.join(1, "survivor", 159);
    w.snapshot(1, cx, cy, Some(vec![place(24, 24, blocks::id::COPPER_WALL, 0, Value::Null)]));
    w.ticks(300);
    assert_eq!(w.sim.core_items(1).get(&item::COPPER), Some(&294));
    w.take();
    w.snapshot(
        1,
        cx,
        cy,
        Some(vec![Plan { x: 24, y: 24, breaking: true, block: 0, rotation: 0, config: Value::Null }]),
    );
    w.ticks(1);
    assert!(broadcasts(&w.take()).iter().any(|c| matches!(c, Call::BeginBreak { x: 24, y: 24, .. })));
    w.ticks(300);
    let out = w.take();
    assert!(broadcasts(&out).iter().any(|c| matches!(c, Call::DeconstructFinish { block: 216, .. })));
    assert_eq!(w.sim.core_items(1).get(&item::COPPER), Some(&297), "half of 6 copper back");
    assert!(w.sim.grid.building(grid::pack(24, 24)).is_none());
}

#[test]
fn construction_stalls_without_items() {
    let mut w = World::new(false);
    w.join(1, "poor", 159);
    let (cx, cy) = core_xy();
    // A sorter needs lead 2 + copper 2; remove the lead.
    w.sim.grid.core_items_mut(1).expect("core").insert(item::LEAD, 0);
    w.snapshot(1, cx, cy, Some(vec![place(24, 22, blocks::id::SORTER, 0, Value::Null)]));
    w.ticks(600);
    assert!(!broadcasts(&w.take()).iter().any(|c| matches!(c, Call::ConstructFinish { .. })));
    w.sim.grid.core_items_mut(1).expect("core").insert(item::LEAD, 10);
    w.ticks(300);
    assert!(broadcasts(&w.take()).iter().any(|c| matches!(c, Call::ConstructFinish { block: 264, .. })));
}

#[test]
fn tile_config_and_rotation_apply_and_reach_everyone() {
    let mut w = World::new(true);
    let a = w.join(1, "a", 159);
    w.join(2, "b", 154);
    let (cx, cy) = core_xy();
    w.snapshot(
        1,
        cx,
        cy,
        Some(vec![
            place(24, 20, blocks::id::SORTER, 0, Value::Content(CONTENT_ITEM, 0)),
            place(25, 20, blocks::id::DOOR, 0, Value::Null),
            place(26, 20, blocks::id::MESSAGE, 0, Value::Null),
            place(27, 20, blocks::id::CONVEYOR, 0, Value::Null),
        ]),
    );
    w.ticks(2000);
    let out = w.take();
    assert_eq!(broadcasts(&out).iter().filter(|c| matches!(c, Call::ConstructFinish { .. })).count(), 4);
    assert_eq!(w.sim.grid.building(grid::pack(24, 20)).map(|b| b.config.clone()), Some(Value::Content(0, 0)));

    for (pos, value) in [
        (grid::pack(24, 20), Value::Content(CONTENT_ITEM, 1)),
        (grid::pack(25, 20), Value::Bool(true)),
        (grid::pack(26, 20), Value::Str(Some("hello world".into()))),
    ] {
        w.input(Input::TileConfig { session: 2, pos, value: value.clone() });
        let out = w.take();
        let sent = broadcasts(&out).into_iter().find_map(|c| match c {
            Call::TileConfig { pos: p, value: v, .. } if *p == pos => Some(v.clone()),
            _ => None,
        });
        assert_eq!(sent, Some(value.clone()));
        assert_eq!(w.sim.grid.building(pos).map(|b| b.config.clone()), Some(value));
    }
    // A wrong kind of value is ignored.
    w.input(Input::TileConfig { session: 1, pos: grid::pack(25, 20), value: Value::Str(Some("x".into())) });
    assert!(broadcasts(&w.take()).is_empty());
    assert_eq!(w.sim.grid.building(grid::pack(25, 20)).map(|b| b.config.clone()), Some(Value::Bool(true)));

    w.input(Input::RotateBlock { session: 1, pos: grid::pack(27, 20), direction: false });
    let out = w.take();
    assert!(broadcasts(&out).contains(&&Call::RotateBlock {
        player: Some(a),
        pos: grid::pack(27, 20),
        direction: false
    }));
    assert_eq!(w.sim.grid.building(grid::pack(27, 20)).map(|b| b.rotation), Some(1));
}

#[test]
fn entity_snapshots_decode_with_the_protocol_crates_independent_tables() {
    use multidustry_protocol::Build;
    use multidustry_protocol::entity::{EntityData, decode_records};
    let mut w = World::new(false);
    let a = w.join(1, "alice", 159);
    let b = w.join(2, "bob", 154);
    let (cx, cy) = core_xy();
    // Give alice a queued plan so the plan queue is part of the record.
    w.snapshot(1, cx, cy, Some(vec![place(30, 30, blocks::id::MESSAGE, 0, Value::Str(Some("hi".into())))]));
    w.take();
    w.ticks(13);
    let out = w.take();
    for (build, proto) in [(159u32, Build::V159), (154, Build::V154)] {
        let (amount, data) = entity_snapshot(&out, build);
        let records = decode_records(&data, amount, proto).expect("decodes to the last byte");
        assert_eq!(records.len(), 4);
        let players: Vec<i32> = records
            .iter()
            .filter_map(|r| match &r.data {
                EntityData::Player(p) => {
                    assert_eq!(p.team, 1);
                    Some(r.id)
                }
                _ => None,
            })
            .collect();
        assert_eq!(players, vec![a, b]);
        let units = records.iter().filter(|r| matches!(r.data, EntityData::Unit(_))).count();
        assert_eq!(units, 2);
    }
}

#[test]
fn build_menu_blocks_follow_java_placement_rules() {
    let mut w = World::new(false);
    w.join(1, "builder", 159);
    w.take();
    let (cx, cy) = core_xy();
    let id = |n: &str| blocks::rule_named(n).expect(n).id;
    // Ore under one tile of the drill's 2x2 footprint at (30,24): (30,24),(31,24),(30,25),(31,25).
    w.sim.grid.tile_mut(31, 25).expect("tile").overlay = 167; // ore-copper
    w.snapshot(
        1,
        cx,
        cy,
        Some(vec![
            place(26, 20, id("duo"), 1, Value::Null),
            place(30, 24, id("mechanical-drill"), 0, Value::Null),
            place(34, 24, id("mechanical-drill"), 0, Value::Null), // no ore
            place(26, 26, id("scrap-wall"), 0, Value::Null),       // sandbox only
            place(26, 30, id("core-foundation"), 0, Value::Null),  // core upgrade only
            place(30, 30, id("mechanical-pump"), 0, Value::Null),  // no liquid
        ]),
    );
    let out = w.take();
    let refused: Vec<(i32, i32)> = out
        .iter()
        .filter_map(|o| match o {
            Output::Send(Target::Session(1), Call::RemoveQueueBlock { x, y, .. }) => Some((*x, *y)),
            _ => None,
        })
        .collect();
    assert_eq!(refused, vec![(34, 24), (26, 26), (26, 30), (30, 30)]);
    // duo: 35 copper × 0.5 = 17.5 build cost → 35 ticks; drill: 12 × 0.5 = 6 → 12 ticks (alpha, speed 0.5).
    w.ticks(60);
    let out = w.take();
    let finished: Vec<u16> = broadcasts(&out)
        .into_iter()
        .filter_map(|c| match c {
            Call::ConstructFinish { block, .. } => Some(*block),
            _ => None,
        })
        .collect();
    assert_eq!(finished, vec![id("duo"), id("mechanical-drill")]);
    assert_eq!(w.sim.core_items(1).get(&item::COPPER), Some(&(300 - 35 - 12)));
    // Block snapshots: the core and the duo are synced (a drill is not), every 6 s, to each client build.
    w.ticks(400);
    let out = w.take();
    let snapshots: Vec<i16> = out
        .iter()
        .filter_map(|o| match o {
            Output::Send(Target::Build(159), Call::BlockSnapshot { amount, .. }) => Some(*amount),
            _ => None,
        })
        .collect();
    assert!(!snapshots.is_empty() && snapshots.iter().all(|n| *n == 2), "{snapshots:?}");
}

#[test]
fn sandbox_only_blocks_are_placeable_in_sandbox() {
    let mut w = World::new(true);
    w.join(1, "builder", 159);
    w.take();
    let (cx, cy) = core_xy();
    let source = blocks::rule_named("item-source").expect("source").id;
    w.snapshot(1, cx, cy, Some(vec![place(26, 26, source, 0, Value::Content(CONTENT_ITEM, 0))]));
    w.ticks(10);
    let out = w.take();
    assert!(
        broadcasts(&out).iter().any(|c| matches!(c, Call::ConstructFinish { block, .. } if *block == source)),
        "{out:?}"
    );
}

#[test]
fn waves_spawn_at_the_spawn_points_and_walk_to_the_core() {
    use multidustry_protocol::Build;
    use multidustry_protocol::entity::{EntityData, decode_records};
    use multidustry_protocol::typeio::Controller;
    let mut w = World::new(false);
    w.sim.grid.tile_mut(45, 20).expect("tile").overlay = 1; // the `spawn` marker
    w.sim.rules.wave_spacing = 1e6;
    w.sim.state.wave_countdown = 100.0;
    w.join(1, "defender", 159);
    w.join(2, "old", 154);
    w.take();
    assert_eq!(w.sim.enemy_count(), 0);
    w.ticks(30); // the countdown (100 ticks) runs while players are present: 2 × 40 (joins) + 30 ticks;
    // the wave runs at tick 100 and its units move from that tick on (11 moves by now)
    assert_eq!(w.sim.state.wave, 2, "wave 1 ran");
    // Default waves, wave index 0: one dagger (DefaultWaves' first group) and nothing else.
    let enemies: Vec<_> = w.sim.units().filter(|u| u.controller < 0).cloned().collect();
    assert_eq!(enemies.len(), 1);
    let dagger = &enemies[0];
    assert_eq!((dagger.type_id, dagger.class_id, dagger.team, dagger.flying), (0, 4, 2, false));
    assert!(
        ((dagger.x - 360.0).powi(2) + (dagger.y - 160.0).powi(2)).sqrt() <= 16.0 + 11.0 * 0.5 + 0.01,
        "spawned within 2 tiles of the spawn, walked 11 ticks: {} {}",
        dagger.x,
        dagger.y
    );
    // Clients of both builds get the dagger as a mech record with an AI controller; the state counts it.
    w.take();
    w.ticks(13);
    let out = w.take();
    for (build, proto) in [(159u32, Build::V159), (154, Build::V154)] {
        let (amount, data) = entity_snapshot(&out, build);
        let records = decode_records(&data, amount, proto).expect("decodes");
        let unit = records
            .iter()
            .find_map(|r| match &r.data {
                EntityData::Unit(u) if r.id == dagger.id => Some(u.clone()),
                _ => None,
            })
            .expect("the dagger is in the snapshot");
        assert_eq!((unit.class_id, unit.type_id, unit.team, unit.controller), (4, 0, 2, Controller::Ai));
    }
    let state = out.iter().find_map(|o| match o {
        Output::Send(Target::All, Call::StateSnapshot(s)) => Some(s.enemies),
        _ => None,
    });
    assert_eq!(state, Some(1));
    // It walks toward the core (0.5 units per tick) and stops next to it.
    let start = (dagger.x - 160.0).abs();
    w.ticks(200);
    let now = w.sim.unit(dagger.id).expect("alive").clone();
    assert!((now.x - 160.0).abs() < start - 90.0, "moved from {} to {}", dagger.x, now.x);
    w.ticks(2000);
    let end = w.sim.unit(dagger.id).expect("alive").clone();
    assert!((end.x - 160.0).abs() <= 3.0 * 8.0 && (end.y - 160.0).abs() <= 3.0 * 8.0, "{}, {}", end.x, end.y);
    // The console's runwave spawns the next wave at once.
    let before = w.sim.enemy_count();
    w.sim.run_wave();
    assert!(w.sim.enemy_count() > before);
}

#[test]
fn banned_blocks_are_refused_and_a_whitelist_allows_only_its_blocks() {
    let mut w = World::new(false);
    let duo = blocks::rule_named("duo").expect("duo").id;
    w.sim.rules.banned_blocks = vec![duo];
    w.join(1, "builder", 159);
    w.take();
    let (cx, cy) = core_xy();
    let plans = vec![place(26, 20, duo, 0, Value::Null), place(27, 22, blocks::id::COPPER_WALL, 0, Value::Null)];
    w.snapshot(1, cx, cy, Some(plans.clone()));
    let refused = |out: &[Output]| -> Vec<(i32, i32)> {
        out.iter()
            .filter_map(|o| match o {
                Output::Send(Target::Session(1), Call::RemoveQueueBlock { x, y, .. }) => Some((*x, *y)),
                _ => None,
            })
            .collect()
    };
    assert_eq!(refused(&w.take()), vec![(26, 20)], "rules.bannedBlocks");
    w.sim.rules.block_whitelist = true;
    w.snapshot(1, cx, cy, Some(plans));
    assert_eq!(refused(&w.take()), vec![(27, 22)], "rules.blockWhitelist: only listed blocks");
}

#[test]
fn a_core_upgrades_in_place_when_the_core_holds_its_requirements() {
    let mut w = World::new(false);
    w.join(1, "builder", 159);
    w.take();
    let (cx, cy) = core_xy();
    let foundation = blocks::rule_named("core-foundation").expect("foundation").id;
    let plan = || vec![place(CORE.0, CORE.1, foundation, 0, Value::Null)];
    // Not enough items in the core: refused.
    w.snapshot(1, cx, cy, Some(plan()));
    assert!(w.take().iter().any(|o| matches!(o, Output::Send(Target::Session(1), Call::RemoveQueueBlock { .. }))));
    // With the requirements in the core, the shard becomes a foundation at once and pays for it.
    if let Some(items) = w.sim.grid.core_items_mut(1) {
        items.insert(item::COPPER, 4000);
        items.insert(item::LEAD, 3500);
        items.insert(item::SILICON, 2000);
    }
    w.snapshot(1, cx, cy, Some(plan()));
    w.ticks(2);
    let out = w.take();
    assert!(broadcasts(&out).iter().any(|c| matches!(c, Call::ConstructFinish { block, .. } if *block == foundation)));
    let (pos, core) = w.sim.grid.core_of(1).expect("core");
    assert_eq!((pos, core.block), (grid::pack(CORE.0, CORE.1), foundation));
    assert_eq!(w.sim.core_items(1).get(&item::COPPER), Some(&1000));
    assert_eq!(w.sim.core_items(1).get(&item::LEAD), Some(&500));
    assert_eq!(w.sim.grid.building_at(CORE.0 + 2, CORE.1 + 2).map(|(p, _)| p), Some(pos), "the 4x4 footprint");
    // A core never shrinks: placing a shard on the foundation is refused.
    w.snapshot(1, cx, cy, Some(vec![place(CORE.0, CORE.1, blocks::id::CORE_SHARD, 0, Value::Null)]));
    assert!(w.take().iter().any(|o| matches!(o, Output::Send(Target::Session(1), Call::RemoveQueueBlock { .. }))));
}

#[test]
fn blocks_replace_as_java_allows() {
    let mut w = World::new(true);
    w.join(1, "upgrader", 159);
    w.take();
    let (cx, cy) = core_xy();
    let id = |n: &str| blocks::rule_named(n).expect(n).id;
    let walls: Vec<Plan> = [(24, 24), (25, 24), (24, 25), (25, 25)]
        .iter()
        .map(|&(x, y)| place(x, y, id("copper-wall"), 0, Value::Null))
        .collect();
    let mut first = walls.clone();
    first.push(place(28, 24, id("conveyor"), 1, Value::Null));
    first.push(place(30, 24, id("router"), 0, Value::Null));
    w.snapshot(1, cx, cy, Some(first));
    w.ticks(60);
    w.take();
    let block_at = |w: &World, x, y| w.sim.grid.building_at(x, y).map(|(p, b)| (p, b.block, b.construction.is_some()));
    assert_eq!(block_at(&w, 28, 24).map(|b| b.1), Some(id("conveyor")));
    // Conveyor -> titanium conveyor (same group and size), four copper walls -> one large titanium wall
    // (walls replace any smaller wall: anyReplace), router -> sorter (transportation, same size).
    w.snapshot(
        1,
        cx,
        cy,
        Some(vec![
            place(28, 24, id("titanium-conveyor"), 1, Value::Null),
            place(24, 24, id("titanium-wall-large"), 0, Value::Null),
            place(30, 24, id("sorter"), 0, Value::Null),
        ]),
    );
    w.ticks(120);
    let out = w.take();
    let refused = out.iter().any(|o| matches!(o, Output::Send(_, Call::RemoveQueueBlock { .. })));
    assert!(!refused, "replacements are valid plans");
    assert_eq!(block_at(&w, 28, 24).map(|b| (b.1, b.2)), Some((id("titanium-conveyor"), false)));
    let large = block_at(&w, 25, 25).expect("large wall");
    assert_eq!((large.1, large.2), (id("titanium-wall-large"), false));
    assert_eq!(block_at(&w, 24, 24).map(|b| b.0), Some(large.0), "one building covers the four tiles");
    assert_eq!(block_at(&w, 30, 24).map(|b| b.1), Some(id("sorter")));
    // Not replaceable: a conveyor over a wall (other group), a drill over a sorter; the same conveyor at the same
    // rotation is already satisfied (skipped silently); a rotated copy of the conveyor replaces it (quickRotate).
    w.snapshot(
        1,
        cx,
        cy,
        Some(vec![
            place(24, 24, id("conveyor"), 0, Value::Null),
            place(28, 24, id("titanium-conveyor"), 1, Value::Null),
            place(30, 24, id("mechanical-drill"), 0, Value::Null),
        ]),
    );
    let refused: Vec<(i32, i32)> = w
        .take()
        .iter()
        .filter_map(|o| match o {
            Output::Send(Target::Session(1), Call::RemoveQueueBlock { x, y, .. }) => Some((*x, *y)),
            _ => None,
        })
        .collect();
    assert_eq!(refused, vec![(24, 24), (30, 24)]);
    w.snapshot(1, cx, cy, Some(vec![place(28, 24, id("titanium-conveyor"), 2, Value::Null)]));
    w.ticks(2);
    let out = w.take();
    assert!(broadcasts(&out).iter().any(|c| matches!(c, Call::BeginPlace { x: 28, y: 24, rotation: 2, .. })));
    let turned = w.sim.grid.building(grid::pack(28, 24)).map(|b| (b.rotation, b.construction.is_some()));
    assert_eq!(turned, Some((2, false)), "turned in place, no construction");
}

#[test]
fn relative_bridge_links_are_stored_absolute_and_liquid_sources_take_liquids() {
    let mut w = World::new(true);
    w.join(1, "linker", 159);
    let (cx, cy) = core_xy();
    let id = |n: &str| blocks::rule_named(n).expect(n).id;
    w.snapshot(
        1,
        cx,
        cy,
        Some(vec![
            place(24, 26, id("bridge-conveyor"), 0, Value::Null),
            place(27, 26, id("bridge-conveyor"), 0, Value::Null),
            place(29, 26, id("liquid-source"), 0, Value::Null),
        ]),
    );
    w.ticks(600);
    w.take();
    // ItemBridge `config(Point2.class, ...)`: relative to the bridge; clients still see the value as sent.
    w.input(Input::TileConfig { session: 1, pos: grid::pack(24, 26), value: Value::Point(3, 0) });
    let out = w.take();
    assert!(broadcasts(&out).iter().any(|c| matches!(c, Call::TileConfig { value: Value::Point(3, 0), .. })));
    assert_eq!(w.sim.grid.building(grid::pack(24, 26)).map(|b| b.config.clone()), Some(Value::Int(grid::pack(27, 26))));
    w.input(Input::TileConfig { session: 1, pos: grid::pack(29, 26), value: Value::Content(4, 1) });
    assert_eq!(w.sim.grid.building(grid::pack(29, 26)).map(|b| b.config.clone()), Some(Value::Content(4, 1)));
    w.input(Input::TileConfig { session: 1, pos: grid::pack(29, 26), value: Value::Content(CONTENT_ITEM, 1) });
    assert_eq!(w.sim.grid.building(grid::pack(29, 26)).map(|b| b.config.clone()), Some(Value::Content(4, 1)));
}

#[test]
fn power_node_configs_toggle_links_on_both_ends_within_range_and_team() {
    let mut w = World::new(true);
    w.join(1, "electrician", 159);
    let id = |n: &str| blocks::rule_named(n).expect(n).id;
    let (node, battery) = (id("power-node"), id("battery"));
    for (x, y, block, team) in
        [(24, 30, node, 1), (28, 30, node, 1), (31, 30, battery, 1), (40, 30, node, 1), (26, 33, node, 2)]
    {
        assert!(w.sim.grid.put(x, y, 1, Building::new(block, team, 0, 100.0)));
    }
    let links =
        |w: &World, x, y| w.sim.grid.building(grid::pack(x, y)).map(|b| b.power_links.clone()).unwrap_or_default();
    let (a, b, c) = (grid::pack(24, 30), grid::pack(28, 30), grid::pack(31, 30));
    w.take();
    w.input(Input::TileConfig { session: 1, pos: a, value: Value::Int(b) });
    assert!(
        broadcasts(&w.take()).iter().any(|c| matches!(c, Call::TileConfig { value: Value::Int(v), .. } if *v == b))
    );
    assert_eq!((links(&w, 24, 30), links(&w, 28, 30)), (vec![b], vec![a]), "linked on both ends");
    // Out of range (16 tiles, range 6) and another team's node: nothing changes.
    w.input(Input::TileConfig { session: 1, pos: a, value: Value::Int(grid::pack(40, 30)) });
    w.input(Input::TileConfig { session: 1, pos: a, value: Value::Int(grid::pack(26, 33)) });
    assert_eq!(links(&w, 24, 30), vec![b]);
    assert!(links(&w, 40, 30).is_empty() && links(&w, 26, 33).is_empty());
    // Point2[]: relative positions replace the node's list (each toggled in order).
    let rel = |dx: i32, dy: i32| (dx << 16) | (dy & 0xffff);
    let points = multidustry_protocol::typeio::Object::Point2Array(vec![rel(3, 0), rel(-4, 0)]);
    w.input(Input::TileConfig { session: 1, pos: b, value: Value::Other(points) });
    assert_eq!(links(&w, 28, 30), vec![c, a]);
    assert_eq!((links(&w, 31, 30), links(&w, 24, 30)), (vec![b], vec![b]));
    // Toggling an existing link removes it from both ends.
    w.input(Input::TileConfig { session: 1, pos: a, value: Value::Int(b) });
    assert_eq!((links(&w, 24, 30), links(&w, 28, 30)), (vec![], vec![c]));
    // Removing a building drops the links to it.
    w.sim.grid.remove(c);
    assert!(links(&w, 28, 30).is_empty());
}

#[test]
fn a_power_node_built_by_a_player_links_to_its_potential_links() {
    let mut w = World::new(true);
    w.join(1, "electrician", 159);
    let (cx, cy) = core_xy();
    let id = |n: &str| blocks::rule_named(n).expect(n).id;
    let (node, battery) = (id("power-node"), id("battery"));
    for (x, y, block, team) in [
        (31, 30, battery, 1), // in range: linked second (nodes first)
        (27, 35, node, 1),    // in range: a node, linked first
        (23, 30, battery, 1), // in range, but in the graph of (27, 35): skipped
        (28, 30, battery, 1), // touching the new node: skipped
        (27, 27, battery, 2), // another team
        (40, 30, battery, 1), // out of range
    ] {
        assert!(w.sim.grid.put(x, y, 1, Building::new(block, team, 0, 100.0)));
    }
    let (m, b3) = (grid::pack(27, 35), grid::pack(23, 30));
    assert!(multidustry_gameserver::power::toggle_link(&mut w.sim.grid, m, b3));
    w.take();
    w.snapshot(1, cx, cy, Some(vec![place(27, 30, node, 0, Value::Null)]));
    w.ticks(600);
    let n = grid::pack(27, 30);
    let b1 = grid::pack(31, 30);
    let links = |w: &World, p| w.sim.grid.building(p).map(|b| b.power_links.clone()).unwrap_or_default();
    assert_eq!(links(&w, n), vec![m, b1], "nodes first, one link per graph");
    assert_eq!((links(&w, m), links(&w, b1)), (vec![b3, n], vec![n]));
    assert!(links(&w, grid::pack(28, 30)).is_empty() && links(&w, grid::pack(27, 27)).is_empty());
    let configs: Vec<Value> = broadcasts(&w.take())
        .iter()
        .filter_map(|c| match c {
            Call::TileConfig { player: None, pos, value } if *pos == n => Some(value.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(configs, vec![Value::Int(m), Value::Int(b1)], "each link announced as a server tileConfig");
}
