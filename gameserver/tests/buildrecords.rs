//! Per-build building records: build-159 maps with processors stream to build-154 clients in the 154 layout.

use std::io::Read;

use multidustry_gameserver::buildrecords;
use multidustry_gameserver::logic::record::read_processor;
use multidustry_gameserver::sim::{Input, JoinRequest};
use multidustry_gameserver::worldio::{self, WorldMeta};
use multidustry_world::{Build, ContentHeader, ContentTable, ContentType, Tiles, World, WorldStream};

/// Official maps (build 159.7) holding logic processors.
fn maps_with_processors() -> Vec<(String, Vec<u8>)> {
    let Some(dir) = multidustry_testdata::dir() else { return Vec::new() };
    let mut out = Vec::new();
    for sub in ["maps/default", "maps/serpulo", "maps/serpulo/hidden", "maps/erekir"] {
        let Ok(entries) = std::fs::read_dir(dir.join(sub)) else { continue };
        for e in entries.flatten().filter(|e| e.path().extension().is_some_and(|x| x == "msav")) {
            let bytes = std::fs::read(e.path()).expect("read");
            let Ok(world) = World::read_msav(&bytes) else { continue };
            if processors(&world.content, &world.tiles).next().is_some() {
                out.push((e.path().display().to_string(), bytes));
            }
        }
    }
    out
}

/// (block name, record) of every logic processor among `tiles`.
fn processors<'a>(content: &'a ContentHeader, tiles: &'a Tiles) -> impl Iterator<Item = (&'static str, &'a [u8])> {
    let t = ContentTable::for_build(Build::V159);
    tiles.buildings.iter().filter_map(move |(&i, b)| {
        let name = content.name(ContentType::BLOCK, *tiles.block.get(i as usize)?)?;
        let facts = t.block_by_name(name)?;
        (facts.class == "LogicBlock" && b.format == multidustry_world::tiles::RecordFormat::Modern)
            .then_some((facts.name, b.record.as_slice()))
    })
}

/// Parses a processor record as build 154 reads it (revision at most 3), consuming every byte.
fn parses_as_154(name: &str, record: &[u8]) -> Result<String, String> {
    let revision = record.first().copied().ok_or("empty")?;
    if revision > 3 {
        return Err(format!("revision {revision}"));
    }
    let base = record.len() - tail_len(record);
    let tail = read_processor(&record[base..], revision, name == "world-processor").map_err(|e| e.to_string())?;
    Ok(tail.config.code)
}

/// Length of the class tail (the world crate's base parser).
fn tail_len(record: &[u8]) -> usize {
    let b = multidustry_world::Building::modern(record.to_vec());
    record.len() - b.tail_offset().expect("modern base")
}

#[test]
fn revision_4_processors_become_revision_3_for_build_154() {
    let maps = maps_with_processors();
    if multidustry_testdata::dir().is_none() {
        return;
    }
    assert!(!maps.is_empty(), "the official maps hold processors");
    let mut converted = 0;
    for (path, bytes) in &maps {
        let world = World::read_msav(bytes).expect("reads");
        let native = buildrecords::for_build(&world, Build::V154);
        assert!(matches!(buildrecords::for_build(&world, Build::V159), std::borrow::Cow::Borrowed(_)));
        let before: Vec<_> = processors(&world.content, &world.tiles).collect();
        let after: Vec<_> = processors(&native.content, &native.tiles).collect();
        assert_eq!(before.len(), after.len());
        for ((name, old), (_, new)) in before.iter().zip(&after) {
            let code = parses_as_154(name, new).unwrap_or_else(|e| panic!("{path}: {name}: {e}"));
            let old_tail = read_processor(&old[old.len() - tail_len(old)..], old[0], *name == "world-processor")
                .expect("159 record parses");
            assert_eq!(code, old_tail.config.code, "{path}: code kept");
            if old[0] >= 4 {
                converted += 1;
                assert_eq!(new[0], 3);
            } else {
                assert_eq!(old, new, "older revisions pass unchanged");
            }
        }
    }
    assert!(converted > 100, "converted {converted}");
}

#[test]
fn streams_of_maps_with_processors_parse_for_build_154() {
    let maps = maps_with_processors();
    let mut checked = 0;
    for (path, bytes) in maps.iter().take(6) {
        let loaded = worldio::load(bytes).expect("loads");
        let meta = WorldMeta { name: loaded.name.clone(), rules_json: loaded.rules_json.clone() };
        let names = loaded.names.clone();
        let (mut sim, mut io) = loaded.into_parts(60);
        let request = JoinRequest {
            build: 154,
            name: "old".into(),
            uuid: "u1".into(),
            usid: String::new(),
            color: 0xff00ffff,
            locale: "en".into(),
            admin: false,
            ip: "127.0.0.1".into(),
        };
        sim.handle(std::time::Duration::ZERO, Input::Join { session: 1, request });
        let p = sim.players().next().expect("joined").clone();
        let fresh = worldio::world_stream(&sim, &names, &meta, &p).expect("stream");
        let cached = multidustry_gameserver::host::WorldIo::world_stream(&mut io, &sim, &p).expect("cached");
        for data in [fresh, cached] {
            let mut inflated = Vec::new();
            flate2::read::ZlibDecoder::new(&data[..]).read_to_end(&mut inflated).expect("zlib");
            let stream = WorldStream::read(&inflated, Build::V154).unwrap_or_else(|e| panic!("{path}: {e}"));
            for (name, record) in processors(&stream.content, &stream.tiles) {
                parses_as_154(name, record).unwrap_or_else(|e| panic!("{path}: {name}: {e}"));
                checked += 1;
            }
        }
    }
    if multidustry_testdata::dir().is_some() {
        assert!(checked > 0);
    }
}
