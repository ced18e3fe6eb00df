//! World files and world streams: generated world, snapshot round trip, official maps, and the stream layout
//! checked with one structural parser against both our streams and the real Java build-159 stream.

use std::io::Read;

use multidustry_gameserver::blocks;
use multidustry_gameserver::grid;
use multidustry_gameserver::sim::{Input, JoinRequest, Output};
use multidustry_gameserver::value::Value;
use multidustry_gameserver::worldio::{self, BlockNames, WorldMeta};
use multidustry_gameserver::{Call, Target};
use multidustry_protocol::io::{DecodeError, Reader};

fn inflate(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::ZlibDecoder::new(b).read_to_end(&mut out).expect("valid zlib");
    out
}

/// Walks a `NetworkIO.writeWorld` stream to its end; returns (player id, block names, map width, height).
fn parse_stream(data: &[u8], build: u32) -> Result<(i32, Vec<String>, u16, u16), DecodeError> {
    let mut r = Reader::new(data);
    if build >= 159 {
        assert_eq!(r.i32()?, 2, "data patch format");
        assert_eq!(r.i32()?, 0, "no assets");
    }
    let _rules = r.jutf()?;
    let _locales = r.jutf()?;
    let tags = r.i16()?;
    for _ in 0..tags {
        r.jutf()?;
        r.jutf()?;
    }
    r.i32()?; // wave
    r.f32()?; // countdown
    r.f64()?; // tick
    r.i64()?;
    r.i64()?;
    let player = r.i32()?;
    let revision = r.i16()?;
    assert_eq!(revision, if build >= 159 { 2 } else { 1 });
    r.skip(1 + 1 + 4 + 1 + 8)?;
    if r.u8()? != 0 {
        r.jutf()?;
    }
    if build >= 159 {
        r.skip(6)?;
    }
    r.skip(3 + 5 + 8)?;
    let types = r.u8()?;
    let mut blocks = Vec::new();
    for _ in 0..types {
        let kind = r.i8()?;
        let n = r.i16()?;
        for _ in 0..n {
            let name = r.jutf()?;
            if kind == 1 {
                blocks.push(name);
            }
        }
    }
    if build < 159 {
        assert_eq!(r.u8()?, 0, "content patches");
    }
    let (w, h) = (r.u16()?, r.u16()?);
    let total = usize::from(w) * usize::from(h);
    let mut i = 0;
    while i < total {
        r.skip(4)?;
        i += usize::from(r.u8()?) + 1;
    }
    let mut i = 0;
    while i < total {
        let block = r.i16()?;
        assert!((block as usize) < blocks.len(), "block id {block} in the header");
        let flags = r.u8()?;
        if flags & 4 != 0 {
            r.skip(7)?;
        }
        if flags & 1 != 0 {
            if r.bool()? {
                let n = r.i32()?;
                r.skip(n as usize)?;
            }
            i += 1;
        } else if flags & 4 != 0 {
            i += 1;
        } else {
            i += usize::from(r.u8()?) + 1;
        }
    }
    let teams = r.i32()?;
    for _ in 0..teams {
        r.i32()?;
        let plans = r.i32()?;
        assert_eq!(plans, 0, "this parser expects no team plans");
    }
    assert_eq!(r.bytes(2)?, b"{}");
    let custom = r.i32()?;
    assert_eq!(custom, 0);
    r.finish()?;
    Ok((player, blocks, w, h))
}

#[test]
fn the_parser_accepts_the_real_java_world_stream() {
    let Some(data) = multidustry_testdata::read("captures/b159/world-stream-fortress-b159.inflated.bin") else {
        return;
    };
    let (_, blocks, w, h) = parse_stream(&data, 159).expect("the Java stream parses to its end");
    assert_eq!((w, h), (256, 256));
    assert!(blocks.iter().any(|b| b == "core-shard"));
}

fn join(sim: &mut multidustry_gameserver::Sim, session: u64, build: u32) -> i32 {
    sim.handle(
        std::time::Duration::ZERO,
        Input::Join {
            session,
            request: JoinRequest {
                build,
                name: format!("p{session}"),
                uuid: format!("u{session}"),
                usid: String::new(),
                color: 0xff00ffff,
                locale: "en".into(),
                admin: false,
                ip: "127.0.0.1".into(),
            },
        },
    );
    sim.drain()
        .into_iter()
        .find_map(|o| match o {
            Output::Send(Target::Session(_), Call::WorldStream { player_id }) => Some(player_id),
            _ => None,
        })
        .expect("stream requested")
}

#[test]
fn generated_world_streams_parse_for_both_builds() {
    let world = worldio::generate(7, 120);
    let (mut sim, io) = world.into_parts(60);
    assert!(sim.grid.core_of(1).is_some());
    for (session, build) in [(1, 159), (2, 154)] {
        let id = join(&mut sim, session, build);
        let player = sim.player(id).expect("player").clone();
        let stream = worldio::world_stream(&sim, &io.names, &io.meta, &player).expect("writes");
        let inflated = inflate(&stream);
        let (pid, blocks, w, h) = parse_stream(&inflated, build).expect("our stream parses to its end");
        assert_eq!((pid, w, h), (id, 120, 120));
        assert_eq!(blocks[0], "air");
        assert!(blocks.iter().any(|b| b == "core-shard") && blocks.iter().any(|b| b == "stone"));
    }
}

#[test]
fn snapshots_round_trip_buildings_items_config_and_ids() {
    let world = worldio::generate(3, 80);
    let (mut sim, io) = world.into_parts(60);
    let (cx, cy) = grid::unpack(sim.grid.core_of(1).expect("core").0);
    let mut sorter = grid::Building::new(blocks::id::SORTER, 1, 0, 40.0);
    sorter.config = Value::Content(0, 3);
    assert!(sim.grid.put(cx + 4, cy, 1, sorter));
    let mut msg = grid::Building::new(blocks::id::MESSAGE, 1, 0, 40.0);
    msg.config = Value::Str(Some("héllo wörld".into()));
    assert!(sim.grid.put(cx + 5, cy, 1, msg));
    let mut door = grid::Building::new(blocks::id::DOOR, 1, 0, 400.0);
    door.config = Value::Bool(true);
    assert!(sim.grid.put(cx + 6, cy, 1, door));
    assert!(sim.grid.put(cx + 7, cy, 1, grid::Building::new(blocks::id::CONVEYOR, 1, 3, 45.0)));
    join(&mut sim, 1, 159);
    sim.state.wave = 9;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("world.msav");
    worldio::save(&sim, &io.names, &io.meta, &path).expect("saves");
    let loaded = worldio::load(&std::fs::read(&path).expect("read")).expect("loads");
    assert_eq!(loaded.state.wave, 9);
    assert_eq!(loaded.next_entity_id, sim.next_entity_id());
    assert_eq!(loaded.name, io.meta.name);
    let g = &loaded.grid;
    assert_eq!(g.building(grid::pack(cx + 4, cy)).map(|b| b.config.clone()), Some(Value::Content(0, 3)));
    assert_eq!(
        g.building(grid::pack(cx + 5, cy)).map(|b| b.config.clone()),
        Some(Value::Str(Some("héllo wörld".into())))
    );
    assert_eq!(g.building(grid::pack(cx + 6, cy)).map(|b| b.config.clone()), Some(Value::Bool(true)));
    assert_eq!(g.building(grid::pack(cx + 7, cy)).map(|b| (b.block, b.rotation)), Some((257, 3)));
    assert_eq!(g.core_of(1).map(|(_, b)| b.items.clone()), sim.grid.core_of(1).map(|(_, b)| b.items.clone()));
    for y in 0..g.height() {
        for x in 0..g.width() {
            let (a, b) = (g.tile(x, y).expect("tile"), sim.grid.tile(x, y).expect("tile"));
            assert_eq!((a.floor, a.overlay, a.block), (b.floor, b.overlay, b.block), "tile {x},{y}");
        }
    }
}

#[test]
fn official_maps_of_every_format_load_and_stream() {
    let Some(dir) = multidustry_testdata::dir() else { return };
    let mut loaded = 0;
    let mut refused = 0;
    for sub in ["maps/default", "maps/serpulo"] {
        let Ok(entries) = std::fs::read_dir(dir.join(sub)) else { continue };
        for e in entries.flatten().filter(|e| e.path().extension().is_some_and(|x| x == "msav")) {
            let bytes = std::fs::read(e.path()).expect("read map");
            match worldio::load(&bytes) {
                Ok(world) => {
                    loaded += 1;
                    let names = world.names.clone();
                    let meta = WorldMeta { name: world.name.clone(), rules_json: world.rules_json.clone() };
                    let (w, h) = (world.grid.width(), world.grid.height());
                    let (mut sim, _) = world.into_parts(60);
                    let id = join(&mut sim, 1, 159);
                    let p = sim.player(id).expect("p").clone();
                    let stream = worldio::world_stream(&sim, &names, &meta, &p).expect("stream");
                    let (_, _, sw, sh) = parse_stream(&inflate(&stream), 159)
                        .unwrap_or_else(|err| panic!("{}: {err}", e.path().display()));
                    assert_eq!((i32::from(sw), i32::from(sh)), (w, h));
                }
                Err(worldio::WorldIoError::Unsupported(_)) => refused += 1,
                Err(err) => panic!("{}: {err}", e.path().display()),
            }
        }
    }
    assert!(loaded >= 40 && refused == 0, "loaded {loaded}, refused {refused}");
    let _ = BlockNames::builtin();
}

#[test]
fn cached_world_streams_equal_fresh_ones_and_follow_grid_changes() {
    use multidustry_gameserver::host::WorldIo;
    let (mut sim, mut io) = worldio::generate(11, 80).into_parts(60);
    let id = join(&mut sim, 1, 159);
    let p = sim.player(id).expect("p").clone();
    let fresh = inflate(&worldio::world_stream(&sim, &io.names, &io.meta, &p).expect("fresh"));
    // The cached stream deflates the per-player head and reuses the deflated map part: the same bytes inflated.
    assert_eq!(inflate(&io.world_stream(&sim, &p).expect("cached")), fresh);
    assert_eq!(inflate(&io.world_stream(&sim, &p).expect("cached again")), fresh);
    let id2 = join(&mut sim, 2, 154);
    let p2 = sim.player(id2).expect("p2").clone();
    let fresh154 = inflate(&worldio::world_stream(&sim, &io.names, &io.meta, &p2).expect("fresh 154"));
    assert_eq!(inflate(&io.world_stream(&sim, &p2).expect("cached 154")), fresh154);
    let (cx, cy) = grid::unpack(sim.grid.core_of(1).expect("core").0);
    assert!(sim.grid.put(cx + 5, cy + 5, 1, grid::Building::new(blocks::id::COPPER_WALL, 1, 0, 320.0)));
    let changed = inflate(&io.world_stream(&sim, &p).expect("after a change"));
    assert_ne!(changed, fresh);
    assert_eq!(changed, inflate(&worldio::world_stream(&sim, &io.names, &io.meta, &p).expect("fresh again")));
}

#[test]
fn construction_sites_and_unsimulated_blocks_persist_and_stream() {
    let (mut sim, io) = worldio::generate(5, 80).into_parts(60);
    let (cx, cy) = grid::unpack(sim.grid.core_of(1).expect("core").0);
    let duo = blocks::rule_named("duo").expect("duo");
    let wall = blocks::rule_named("thorium-wall-large").expect("wall");
    assert!(sim.grid.put(cx + 5, cy, 1, grid::Building::new(duo.id, 1, 2, duo.health)));
    let mut site = grid::Building::new(wall.id, 1, 0, 10.0);
    site.construction = Some(grid::Construction {
        block: wall.id,
        progress: 0.4,
        breaking: false,
        paid: vec![9.0],
        config: Value::Null,
    });
    assert!(sim.grid.put(cx + 7, cy + 4, 2, site));
    for build in [159, 154] {
        let id = join(&mut sim, u64::from(build), build);
        let p = sim.player(id).expect("p").clone();
        let stream = worldio::world_stream(&sim, &io.names, &io.meta, &p).expect("stream");
        let (_, names, _, _) = parse_stream(&inflate(&stream), build).expect("parses to its end");
        assert!(names.iter().any(|n| n == "build2") && names.iter().any(|n| n == "thorium-wall-large"));
        assert!(names.iter().any(|n| n == "duo"));
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("world.msav");
    worldio::save(&sim, &io.names, &io.meta, &path).expect("saves");
    let world = multidustry_world::World::read_msav(&std::fs::read(&path).expect("read")).expect("world reads");
    let site_tile = world.tiles.index(cx + 7, cy + 4).expect("index");
    let header_name = world.block_name(world.tiles.block[site_tile]).expect("name");
    assert_eq!(header_name, "build2", "construction sites are ConstructBlocks in files");
    let loaded = worldio::load(&std::fs::read(&path).expect("read")).expect("loads");
    let back = loaded.grid.building(grid::pack(cx + 7, cy + 4)).expect("site");
    let c = back.construction.as_ref().expect("still under construction");
    assert_eq!((back.block, c.block, c.progress, c.paid.clone()), (wall.id, wall.id, 0.4, vec![9.0]));
    assert_eq!(loaded.grid.building_at(cx + 8, cy + 5).map(|(p, _)| p), Some(grid::pack(cx + 7, cy + 4)));
    let duo_back = loaded.grid.building(grid::pack(cx + 5, cy)).expect("duo");
    assert_eq!((duo_back.block, duo_back.rotation, duo_back.team), (duo.id, 2, 1));
}

#[test]
fn wave_units_are_saved_and_come_back_on_restart() {
    let (mut sim, io) = worldio::generate(9, 100).into_parts(60);
    sim.rules.spawns = vec![
        multidustry_world::SpawnGroup { unit_amount: 3, ..multidustry_world::SpawnGroup::of("dagger") },
        multidustry_world::SpawnGroup::of("flare"),
    ];
    sim.run_wave();
    let units: Vec<_> = sim.units().cloned().collect();
    assert_eq!(units.len(), 4, "the generated world has one spawn point");
    let job = worldio::SaveJob::capture(&sim, &io.names, &io.meta);
    let bytes = job.encode().expect("encodes");
    let world = multidustry_world::World::read_msav(&bytes).expect("reads");
    assert_eq!(world.entities.len(), 4);
    assert!(world.entities.iter().all(|e| e.class_id == 4 || e.class_id == 3));
    let loaded = worldio::load(&bytes).expect("loads");
    let (restored, _) = loaded.into_parts(60);
    let back: Vec<_> = restored.units().cloned().collect();
    assert_eq!(back.len(), 4);
    for (a, b) in units.iter().zip(&back) {
        assert_eq!((a.id, a.type_id, a.class_id, a.team, a.flying), (b.id, b.type_id, b.class_id, b.team, b.flying));
        assert_eq!((a.x, a.y, a.health), (b.x, b.y, b.health));
    }
    assert!(restored.next_entity_id() > units.iter().map(|u| u.id).max().expect("ids"));
    assert_eq!(restored.enemy_count(), 4);
}

/// The rules JSON of a stream (its first string after the data patches).
fn stream_rules(data: &[u8], build: u32) -> String {
    let mut r = Reader::new(data);
    if build >= 159 {
        r.i32().expect("patch format");
        r.i32().expect("assets");
    }
    r.jutf().expect("rules").to_string()
}

#[test]
fn hosted_rules_drive_the_sim_streams_and_saves() {
    let Some(bytes) = multidustry_testdata::read("maps/default/fortress.msav") else { return };
    let map = multidustry_world::World::read_msav(&bytes).expect("map");
    let hosted = map.host_rules(multidustry_world::Gamemode::Survival, multidustry_world::Build::V159);
    let world = worldio::load(&bytes).expect("loads");
    // The played rules are Java's hosted rules: spawn groups, teams, the JSON the Java server sends.
    assert_eq!(world.rules_json, hosted.to_json());
    assert_eq!(world.rules.spawns, hosted.spawns);
    assert!(!world.rules.spawns.is_empty());
    let names = world.names.clone();
    let meta = WorldMeta { name: world.name.clone(), rules_json: world.rules_json.clone() };
    let (mut sim, io) = world.into_parts(60);
    for build in [154, 159] {
        let id = join(&mut sim, u64::from(build), build);
        let p = sim.player(id).expect("p").clone();
        let stream = worldio::world_stream(&sim, &names, &meta, &p).expect("stream");
        assert_eq!(stream_rules(&inflate(&stream), build), hosted.to_json(), "build {build}");
    }
    // A run-time rule change (what `setrule` does) reaches streams and the snapshot, and survives a restart.
    sim.rules.wave_spacing = 600.0;
    sim.rules.wave_timer = false;
    let id = join(&mut sim, 7, 159);
    let p = sim.player(id).expect("p").clone();
    let live = stream_rules(&inflate(&worldio::world_stream(&sim, &names, &meta, &p).expect("stream")), 159);
    let typed = multidustry_world::Rules::read_json(&live, multidustry_world::Build::V159).expect("parses");
    assert_eq!((typed.wave_spacing, typed.wave_timer), (600.0, false));
    assert_eq!(typed.spawns, hosted.spawns);
    let saved = worldio::SaveJob::capture(&sim, &io.names, &io.meta).encode().expect("encodes");
    let saved_world = multidustry_world::World::read_msav(&saved).expect("reads");
    assert_eq!(saved_world.saved_rules(multidustry_world::Build::V159), typed);
    let back = worldio::load(&saved).expect("loads");
    assert_eq!((back.rules.wave_spacing, back.rules.wave_timer), (600.0, false));
    assert_eq!(back.rules.spawns, hosted.spawns);
}

#[test]
fn maps_without_spawn_groups_get_java_default_waves() {
    let (sim, _) = worldio::generate(3, 50).into_parts(60);
    assert_eq!(sim.rules.spawns, multidustry_world::rules::default_waves());
}
