//! Every official map loads, matches the protocol doc's Appendix B (save version, size, name), and survives
//! write (save version 13) → read with nothing lost.

use multidustry_world::{ContentType, World};

/// A row of Appendix B: (file, save version, width, height, name).
type Row = (String, i32, u16, u16, String);

fn appendix_b() -> Option<Vec<Row>> {
    let dir = multidustry_testdata::dir()?;
    let doc = std::fs::read_to_string(dir.join("../docs/mindustry-protocol.md")).expect("protocol doc next to data");
    let start = doc.find("## Appendix B").expect("appendix B");
    let mut rows = Vec::new();
    for line in doc[start..].lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() < 6 || !cells[1].ends_with(".msav") {
            continue;
        }
        let (w, h) = cells[4].split_once('x').expect("w x h");
        rows.push((
            cells[1].to_owned(),
            cells[3].parse().expect("version"),
            w.parse().expect("width"),
            h.parse().expect("height"),
            cells[5].to_owned(),
        ));
    }
    Some(rows)
}

#[test]
fn all_official_maps_load_match_appendix_b_and_round_trip() {
    let Some(rows) = appendix_b() else { return };
    assert_eq!(rows.len(), 114, "appendix B lists 114 maps");
    let dir = multidustry_testdata::dir().expect("checked above");
    let mut failures = Vec::new();
    for (file, version, width, height, name) in &rows {
        let path = dir.join("maps").join(file);
        let world = match World::load(&path) {
            Ok(w) => w,
            Err(e) => {
                failures.push(format!("{file}: {e}"));
                continue;
            }
        };
        assert_eq!(world.version, *version, "{file}: save version");
        assert_eq!((world.tiles.width, world.tiles.height), (*width, *height), "{file}: size");
        assert_eq!(world.name(), name, "{file}: name");
        assert!(!world.tiles.buildings.is_empty() || world.tiles.block.iter().any(|b| *b != 0), "{file}: has blocks");
        // Legacy (save version 1-3) building records are converted to the modern layout on read.
        assert!(
            world.tiles.buildings.values().all(|b| b.format == multidustry_world::tiles::RecordFormat::Modern),
            "{file}: every building record is in the modern layout"
        );
        let bytes = world.write_msav(13).unwrap_or_else(|e| panic!("{file}: write: {e}"));
        let mut back = World::read_msav(&bytes).unwrap_or_else(|e| panic!("{file}: re-read: {e}"));
        assert_eq!(back.version, 13);
        back.version = world.version;
        if world.version < 8 {
            assert_eq!(back.markers, b"{}");
        }
        assert!(back == world, "{file}: round trip changed the world");
        // And a second write is byte-identical (the writer is deterministic).
        assert_eq!(back.write_msav_inflated(13).expect("write"), world.write_msav_inflated(13).expect("write"));
    }
    assert!(failures.is_empty(), "maps failed to load:\n{}", failures.join("\n"));
}

#[test]
fn canyon_legacy_core_converts_to_the_modern_layout() {
    let Some(raw) = multidustry_testdata::read("maps/default/canyon.msav") else { return };
    let world = World::read_msav(&raw).expect("canyon loads");
    assert_eq!(world.version, 2);
    assert_eq!(world.tiles.buildings.len(), 1, "canyon has one building, its core");
    let (&index, core) = world.tiles.buildings.iter().next().expect("one building");
    let block = world.block_name(world.tiles.block[index as usize]);
    assert_eq!(block, Some("core-nucleus"));
    let base = core.base().expect("base parses");
    // Legacy header: revision 0, u16 health 4000, packed team 1 / rotation 0; converted as the Java game
    // writes a core: revision 1, current base with an item module, a null command position.
    assert_eq!((base.revision, base.health, base.team, base.rotation), (1, 4000.0, 1, 0));
    let items = base.items.expect("item module in the current form");
    let named: Vec<(&str, i32)> =
        items.iter().map(|(id, n)| (world.content.name(ContentType::ITEM, *id).expect("item"), *n)).collect();
    assert_eq!(named.len(), 10);
    assert!(named.iter().all(|(_, n)| *n == 2000), "{named:?}");
    assert!(named.contains(&("copper", 2000)), "{named:?}");
    assert_eq!(core.record.len(), 10 + 2 + 10 * 6 + 2 + 8);
    // The generator's core record has the same layout.
    assert_eq!(core.record, multidustry_world::generate::core_record(1, 4000.0, &items));
    let bytes = world.write_msav(13).expect("canyon writes");
    let back = World::read_msav(&bytes).expect("re-reads");
    assert_eq!(back.tiles, world.tiles);
}

#[test]
fn unreadable_input_names_file_and_version() {
    let dir = std::env::temp_dir().join(format!("mdy-world-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp");
    let path = dir.join("future.msav");
    let mut raw = b"MSAV".to_vec();
    raw.extend_from_slice(&99i32.to_be_bytes());
    let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut enc, &raw).expect("deflate");
    std::fs::write(&path, enc.finish().expect("deflate")).expect("write");
    let err = World::load(&path).expect_err("version 99 is refused").to_string();
    assert!(err.contains("future.msav") && err.contains("99"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn legacy_records_of_other_classes_keep_their_body_behind_a_modern_header() {
    use multidustry_world::Building;
    // revision 2, health 300, packed byte 0x83 (team in the next byte, rotation 3), team 7, body.
    let legacy = [2, 0x01, 0x2c, 0x83, 7, 0xaa, 0xbb, 0xcc];
    let b = Building::from_legacy(&legacy).expect("converts");
    let base = b.base().expect("parses");
    assert_eq!((base.revision, base.health, base.rotation, base.team), (2, 300.0, 3, 7));
    // Rotation high bit clear: Java's readBase takes the legacy module encoding that follows.
    assert_eq!(b.record[5], 3);
    assert_eq!(&b.record[7..], &[0xaa, 0xbb, 0xcc]);
    assert!(b.modules().is_none() && b.tail_offset().is_none());
    assert!(Building::from_legacy(&[1, 0]).is_none(), "too short");
    // A core record with anything but items is not converted as a core.
    assert!(Building::from_legacy_core(&[0, 0, 10, 0x10, 0, 0, 0xee]).is_none());
    assert!(Building::from_legacy_core(&[0, 0, 10, 0x10, 0, 0]).is_some());
}
