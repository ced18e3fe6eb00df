//! Golden tests against the Java server's world streams and saves (captures of builds 159 and 154).
//!
//! * every captured stream parses to its last byte and re-encodes byte for byte, for its build;
//! * the captured Java saves (`SaveIO.save`) read and re-write byte for byte (inflated);
//! * our stream for the same map (built from the official map file) matches the Java stream in every field
//!   that does not depend on the moment it was taken: data patches, locales, tags, player id and record,
//!   floors, overlays and blocks (except the boulders and default ores the Java server scatters with a random
//!   seed on load), building parts, the set of buildings with their team, markers and custom chunks (the rules
//!   JSON is compared in `tests/rules.rs`); with the moment-dependent values (wave countdown, tick, RNG
//!   seeds) taken from the Java stream, every byte before the content header equals Java's;
//! * our stream built from the Java save of the same running game matches the Java stream in content header,
//!   rules, the whole tile grid, team plans, markers and custom chunks; building records differ only for
//!   buildings whose state moves with time (drill progress, processors).

use multidustry_world::content::legacy_block_name;
use multidustry_world::{Build, ContentHeader, ContentType, StreamParams, World, WorldStream};

struct Case {
    stream: &'static str,
    stream_deflated: &'static str,
    save: &'static str,
    map: Option<&'static str>,
    /// The Java server hosted an older copy of the map: its tags differ (see the Ground Zero case).
    older_copy: bool,
    build: Build,
    save_version: i32,
}

const CASES: &[Case] = &[
    Case {
        stream: "captures/b159/world-stream-fortress-b159.inflated.bin",
        stream_deflated: "captures/b159/world-stream-fortress-b159.bin",
        save: "captures/b159/fortress-server-save-b159.msav",
        map: Some("maps/default/fortress.msav"),
        older_copy: false,
        build: Build::V159,
        save_version: 13,
    },
    Case {
        stream: "captures/b154/world/world-fortress.bin",
        stream_deflated: "captures/b154/world/world-fortress.deflated.bin",
        save: "captures/b154/world/fortress-b154.msav",
        map: Some("maps/default/fortress.msav"),
        older_copy: false,
        build: Build::V154,
        save_version: 11,
    },
    Case {
        stream: "captures/b154/world/world-maze.bin",
        stream_deflated: "captures/b154/world/world-maze.deflated.bin",
        save: "captures/b154/world/maze-b154.msav",
        map: Some("maps/default/maze.msav"),
        older_copy: false,
        build: Build::V154,
        save_version: 11,
    },
    // The b154 server hosted an older copy of groundZero.msav than the 159 one in maps/. Its tiles, buildings,
    // team plans, markers and custom chunks are those of our copy (apart from the boulders the map's scatter
    // filters place at random); its tags differ: our copy adds `hasExternalAssets` and `sectorPreset`, and
    // `saved`, `tick` and `rules` (teams listed, one objective's count) have other values. Those tags are
    // left out of the comparison; every other tag must be equal. The rules are compared in tests/rules.rs.
    Case {
        stream: "captures/b154/world/world-groundzero.bin",
        stream_deflated: "captures/b154/world/world-groundzero.deflated.bin",
        save: "captures/b154/world/groundzero-b154.msav",
        map: Some("maps/serpulo/groundZero.msav"),
        older_copy: true,
        build: Build::V154,
        save_version: 11,
    },
];

fn block(h: &ContentHeader, id: u16) -> &str {
    legacy_block_name(h.name(ContentType::BLOCK, id).unwrap_or("?"))
}

#[test]
fn captured_streams_parse_and_reencode_byte_exact() {
    for c in CASES {
        let Some(raw) = multidustry_testdata::read(c.stream) else { return };
        let s = WorldStream::read(&raw, c.build).unwrap_or_else(|e| panic!("{}: {e}", c.stream));
        assert_eq!(s.write(c.build).expect("write"), raw, "{}: re-encode", c.stream);
        let deflated = multidustry_testdata::read(c.stream_deflated).expect("deflated copy");
        assert_eq!(WorldStream::read_compressed(&deflated, c.build).expect("deflated"), s);
        // The Java server writes its full native content header: it must equal our generated table.
        assert_eq!(s.content, ContentHeader::native(c.build), "{}: native content header", c.stream);
        // The other build's layout must not parse it.
        let other = if c.build == Build::V159 { Build::V154 } else { Build::V159 };
        assert!(WorldStream::read(&raw, other).is_err(), "{}: parsed with the wrong build", c.stream);
    }
}

#[test]
fn java_saves_round_trip_byte_exact() {
    for c in CASES {
        let Some(compressed) = multidustry_testdata::read(c.save) else { return };
        let world = World::read_msav(&compressed).unwrap_or_else(|e| panic!("{}: {e}", c.save));
        assert_eq!(world.version, c.save_version);
        let mut inflated = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::ZlibDecoder::new(&compressed[..]), &mut inflated).expect("zlib");
        assert_eq!(
            world.write_msav_inflated(c.save_version).expect("write"),
            inflated,
            "{}: byte-exact re-save",
            c.save
        );
        assert_eq!(World::read_msav(&world.write_msav(c.save_version).expect("write")).expect("read"), world);
    }
}

#[test]
fn our_stream_from_the_map_matches_java_where_not_time_dependent() {
    for c in CASES {
        let Some(map_file) = c.map else { continue };
        let Some(raw) = multidustry_testdata::read(c.stream) else { return };
        let java = WorldStream::read(&raw, c.build).expect("java stream");
        let map = World::read_msav(&multidustry_testdata::read(map_file).expect("map")).expect("map loads");
        let mut params = StreamParams::new(java.player_id, java.player.clone());
        params.wave = Some(1);
        let bytes = map.world_stream(c.build, &params).expect("our stream");
        let ours = WorldStream::read_compressed(&bytes, c.build).expect("our stream parses with our reader");

        // With the moment-dependent values (wave countdown, tick, RNG seeds) taken from the Java stream, every
        // byte before the content header is Java's: data patches, rules, locales, tags (in the Java map's
        // iteration order), state and player. Not for the older Ground Zero copy (other tags and rules), and
        // for Fortress 159 only after the unexplained team-2 rule difference (tests/rules.rs).
        if !c.older_copy {
            params.wavetime = Some(java.wavetime);
            params.tick = Some(java.tick);
            params.seeds = (java.seed0, java.seed1);
            if c.build == Build::V159 {
                let mut rules = map.host_rules(multidustry_world::Gamemode::Survival, c.build);
                rules.teams.get_mut(&2).expect("team 2").infinite_ammo = false;
                params.rules = Some(rules.to_json());
            }
            let mut head = map.to_stream(c.build, &params);
            let mut java_head = java.clone();
            for s in [&mut head, &mut java_head] {
                s.tiles = multidustry_world::Tiles::new(0, 0, 0);
                s.teams.clear();
                s.custom.clear();
                s.markers = b"{}".to_vec();
            }
            head.content = java_head.content.clone();
            assert_eq!(head.write(c.build).expect("ours"), java_head.write(c.build).expect("java"), "{map_file}: head");
        }

        assert_eq!(ours.data_patches, java.data_patches);
        assert_eq!(ours.content_patches, java.content_patches);
        assert_eq!(ours.locales, java.locales);
        if c.older_copy {
            let (mut a, mut b) = (ours.tags.clone(), java.tags.clone());
            const NEWER: &[&str] = &["hasExternalAssets", "sectorPreset", "saved", "tick", "rules"];
            a.retain(|(k, _)| !NEWER.contains(&k.as_str()));
            b.retain(|(k, _)| !NEWER.contains(&k.as_str()));
            a.sort();
            b.sort();
            assert_eq!(a, b, "{map_file}: tags are the map's tags");
        } else {
            // Same tags in the same order (the Java StringMap's iteration order of the build).
            assert_eq!(ours.tags, java.tags, "{map_file}: tags");
        }
        assert_eq!(ours.wave, java.wave);
        assert_eq!(ours.player_id, java.player_id);
        assert_eq!(ours.player, java.player);
        assert_eq!(ours.markers, java.markers);
        assert_eq!(ours.custom, java.custom);
        let java_teams: Vec<i32> = java.teams.iter().map(|t| t.team).collect();
        for t in &ours.teams {
            assert!(java_teams.contains(&t.team), "{map_file}: team {} not in the Java stream", t.team);
            assert!(t.plans.is_empty());
        }
        let (ot, jt) = (&ours.tiles, &java.tiles);
        assert_eq!((ot.width, ot.height), (jt.width, jt.height));
        let mut boulders = 0;
        let mut random_ores = 0;
        for i in 0..ot.len() {
            assert_eq!(block(&ours.content, ot.floor[i]), block(&java.content, jt.floor[i]), "{map_file}: floor {i}");
            let (oo, jo) = (block(&ours.content, ot.overlay[i]), block(&java.content, jt.overlay[i]));
            if oo != jo {
                // Maps without their own ore filters get the default ore generation with a random seed.
                assert!(
                    (oo == "air" || oo.starts_with("ore-")) && jo.starts_with("ore-"),
                    "{map_file}: overlay {i}: ours {oo}, java {jo}"
                );
                random_ores += 1;
            }
            let (ob, jb) = (block(&ours.content, ot.block[i]), block(&java.content, jt.block[i]));
            if ob != jb {
                assert!(ob == "air" && jb.ends_with("boulder"), "{map_file}: block {i}: ours {ob}, java {jb}");
                boulders += 1;
            }
            assert_eq!(ot.parts[i], jt.parts[i], "{map_file}: building part {i}");
        }
        assert!(boulders < ot.len() / 100, "{map_file}: {boulders} random boulders");
        assert!(random_ores < ot.len() / 10, "{map_file}: {random_ores} random ores");
        eprintln!("{map_file} ({:?}): {boulders} random boulders, {random_ores} random ore tiles", c.build);
        let ours_b: Vec<_> = ot.buildings.iter().map(|(k, b)| (*k, b.team())).collect();
        let java_b: Vec<_> = jt.buildings.iter().map(|(k, b)| (*k, b.team())).collect();
        assert_eq!(ours_b, java_b, "{map_file}: buildings (position, team)");
    }
}

#[test]
fn our_stream_from_the_java_save_matches_java_stream() {
    for c in CASES {
        let Some(raw) = multidustry_testdata::read(c.stream) else { return };
        let java = WorldStream::read(&raw, c.build).expect("java stream");
        let save = World::read_msav(&multidustry_testdata::read(c.save).expect("save")).expect("save loads");
        let bytes =
            save.world_stream(c.build, &StreamParams::new(java.player_id, java.player.clone())).expect("stream");
        let ours = WorldStream::read_compressed(&bytes, c.build).expect("parses");
        assert_eq!(ours.rules, java.rules, "{}: rules", c.save);
        assert_eq!(ours.content, java.content);
        assert_eq!(ours.teams, java.teams, "{}: team plans", c.save);
        assert_eq!(ours.markers, java.markers);
        assert_eq!(ours.custom, java.custom);
        let (ot, jt) = (&ours.tiles, &java.tiles);
        assert_eq!(ot.floor, jt.floor);
        assert_eq!(ot.overlay, jt.overlay);
        assert_eq!(ot.block, jt.block);
        assert_eq!(ot.parts, jt.parts);
        assert_eq!(ot.data, jt.data);
        assert_eq!(ot.buildings.keys().collect::<Vec<_>>(), jt.buildings.keys().collect::<Vec<_>>());
        let mut moved = Vec::new();
        for (k, b) in &ot.buildings {
            let j = &jt.buildings[k];
            assert_eq!(b.team(), j.team(), "{}: team of building at {k}", c.save);
            if b != j {
                moved.push(block(&ours.content, ot.block[*k as usize]).to_owned());
            }
        }
        for name in &moved {
            assert!(
                matches!(name.as_str(), "mechanical-drill" | "world-processor"),
                "{}: record of {name} differs (not a time-dependent block)",
                c.save
            );
        }
    }
}

#[test]
fn to_native_translates_ids_by_name() {
    for file in ["maps/default/fortress.msav", "captures/b154/world/groundzero-b154.msav"] {
        let Some(raw) = multidustry_testdata::read(file) else { return };
        let map = World::read_msav(&raw).expect("loads");
        for build in Build::ALL {
            let native = map.to_native(build);
            assert_eq!(native.content, ContentHeader::native(build));
            let t = (&map.tiles, &native.tiles);
            for i in 0..t.0.len() {
                for (a, b) in [(&t.0.floor, &t.1.floor), (&t.0.overlay, &t.1.overlay), (&t.0.block, &t.1.block)] {
                    let old = legacy_block_name(map.content.name(ContentType::BLOCK, a[i]).expect("name"));
                    assert_eq!(native.content.name(ContentType::BLOCK, b[i]), Some(old), "{file} {build:?} tile {i}");
                }
            }
            for (k, b) in &t.0.buildings {
                let items = |w: &World, b: &multidustry_world::Building| -> Vec<(String, i32)> {
                    let names =
                        |(i, n): (u16, i32)| (w.content.name(ContentType::ITEM, i).unwrap_or("?").to_owned(), n);
                    b.base().and_then(|x| x.items).unwrap_or_default().into_iter().map(names).collect()
                };
                assert_eq!(items(&map, b), items(&native, &t.1.buildings[k]), "{file}: items of building {k}");
            }
        }
    }
}
