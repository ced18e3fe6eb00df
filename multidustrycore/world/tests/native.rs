//! `World::to_native` translates the content ids inside building configs (sorter items, unloader items,
//! item/liquid sources, construction sites) from a file's own content header to a build's native ids.

use multidustry_world::content::legacy_block_name;
use multidustry_world::{Build, ContentHeader, ContentTable, ContentType, Tiles, World};

/// A current-layout record: revision, base version 3, no modules, then `tail`.
fn record(revision: u8, tail: &[u8]) -> Vec<u8> {
    let mut r = vec![revision];
    r.extend_from_slice(&100f32.to_be_bytes());
    r.extend_from_slice(&[0x80, 1, 3, 1, 0, 255, 0]);
    r.extend_from_slice(tail);
    r
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

/// Names every config id of every building, through the world's own header.
fn config_names(w: &World) -> Vec<(u32, Vec<String>)> {
    let facts = ContentTable::for_build(Build::V159);
    w.tiles
        .buildings
        .iter()
        .map(|(&i, b)| {
            let class =
                w.block_name(w.tiles.block[i as usize]).and_then(|n| facts.block_by_name(n)).map_or("", |f| f.class);
            let ids = b
                .config_ids(class)
                .iter()
                .map(|c| {
                    let id = b.config_id(c).expect("in range");
                    let ty = match c.kind {
                        multidustry_world::ContentKind::Item => ContentType::ITEM,
                        multidustry_world::ContentKind::Liquid => ContentType::LIQUID,
                        multidustry_world::ContentKind::Block => ContentType::BLOCK,
                        multidustry_world::ContentKind::UnitCommand => ContentType::UNIT_COMMAND,
                    };
                    match u16::try_from(id) {
                        Ok(id) => w.content.name(ty, id).map_or("?".into(), |n| legacy_block_name(n).to_owned()),
                        Err(_) => "none".into(),
                    }
                })
                .collect();
            (i, ids)
        })
        .collect()
}

#[test]
fn config_ids_follow_names_into_native_ids() {
    // A header whose item, liquid and block ids all differ from the native ones.
    let content = ContentHeader {
        types: vec![
            (ContentType::ITEM, names(&["lead", "silicon", "copper"])),
            (
                ContentType::BLOCK,
                names(&[
                    "air",
                    "stone",
                    "sorter",
                    "unloader",
                    "liquid-source",
                    "build2",
                    "copper-wall",
                    "item-source",
                    "ground-factory",
                    "duo",
                ]),
            ),
            (ContentType::LIQUID, names(&["oil", "water"])),
            (ContentType::UNIT_COMMAND, names(&["move", "boost", "mine", "loopPayload"])),
        ],
    };
    let mut tiles = Tiles::new(8, 2, 1);
    tiles.place_building(0, 0, 2, 1, record(2, &[0, 0])); // sorter: lead
    tiles.place_building(1, 0, 3, 1, record(1, &[0, 1])); // unloader (rev 1): silicon
    tiles.place_building(2, 0, 3, 1, record(0, &[2])); // unloader (rev 0, i8): copper
    tiles.place_building(3, 0, 4, 1, record(1, &[0, 0])); // liquid source: oil
    tiles.place_building(4, 0, 7, 1, record(0, &[0xff, 0xff])); // item source: none
    let mut site = 0.5f32.to_be_bytes().to_vec();
    site.extend_from_slice(&[0xff, 0xff, 0, 6, 0xff]); // build2: previous none, current copper-wall
    tiles.place_building(6, 0, 5, 2, record(0, &site));
    // ground-factory (revision 3, no payload): payVector, payRotation, flag 0, progress, plan 0, null
    // commandPos, command 2 (mine in this header).
    let mut factory = vec![0u8; 12];
    factory.push(0);
    factory.extend_from_slice(&0f32.to_be_bytes());
    factory.extend_from_slice(&0i16.to_be_bytes());
    factory.extend_from_slice(&f32::NAN.to_be_bytes());
    factory.extend_from_slice(&f32::NAN.to_be_bytes());
    factory.push(2);
    tiles.place_building(1, 1, 8, 1, record(3, &factory));
    // duo (revision 2): reload, rotation, 2 ammo entries: copper (file id 2) ×10, silicon (1) ×5.
    let mut duo = vec![0u8; 8];
    duo.extend_from_slice(&[2, 0, 2, 0, 10, 0, 1, 0, 5]);
    tiles.place_building(2, 1, 9, 1, record(2, &duo));
    let world = World {
        version: 13,
        meta: vec![("name".into(), "t".into())],
        patches: Default::default(),
        content,
        tiles,
        entity_mapping: Vec::new(),
        teams: Vec::new(),
        entities: Vec::new(),
        markers: b"{}".to_vec(),
        custom: Vec::new(),
    };
    let before = config_names(&world);
    assert_eq!(
        before.iter().map(|(_, n)| n.join(",")).collect::<Vec<_>>(),
        ["lead", "silicon", "copper", "oil", "none", "none,copper-wall", "mine", "copper,silicon"]
    );
    for build in Build::ALL {
        let native = world.to_native(build);
        assert_eq!(config_names(&native), before, "{build:?}");
        let table = ContentTable::for_build(build);
        let factory = &native.tiles.buildings[&9];
        let cmd = factory.config_id(&factory.config_ids("UnitFactory")[0]).expect("command");
        assert_eq!(native.content.name(ContentType::UNIT_COMMAND, cmd as u16), Some("mine"));
        let sorter = &native.tiles.buildings[&0];
        let id = sorter.config_id(&sorter.config_ids("Sorter")[0]).expect("id");
        assert_eq!(id, i16::try_from(table.id(ContentType::ITEM, "lead").expect("lead")).expect("small"));
        assert_ne!(id, 0, "the file's id 0 (lead) is not the native id of lead");
        // Still a valid save after translation.
        let back = World::read_msav(&native.write_msav(13).expect("writes")).expect("reads");
        assert_eq!(back.tiles, native.tiles);
    }
}

#[test]
fn official_maps_keep_their_configs_through_to_native() {
    let Some(dir) = multidustry_testdata::dir() else { return };
    let mut configs = 0;
    for sub in ["default", "serpulo", "serpulo/hidden", "erekir"] {
        let Ok(entries) = std::fs::read_dir(dir.join("maps").join(sub)) else { continue };
        for e in entries.flatten() {
            if e.path().extension().is_none_or(|x| x != "msav") {
                continue;
            }
            let world = World::load(e.path()).expect("map loads");
            // The item-turret layout the translation assumes explains every current-base turret record: the
            // ammo list (u8 n, n x (i16 item, i16 amount)) ends the record right after reload and rotation.
            let facts = ContentTable::for_build(Build::V159);
            for (&i, b) in &world.tiles.buildings {
                let class = world.block_name(world.tiles.block[i as usize]).and_then(|n| facts.block_by_name(n));
                if class.is_some_and(|f| f.class == "ItemTurret")
                    && b.record.first() == Some(&2)
                    && let Some(tail) = b.tail_offset()
                {
                    let n = usize::from(b.record[tail + 8]);
                    assert_eq!(b.record.len(), tail + 9 + 4 * n, "{}: turret at {i}", e.path().display());
                }
            }
            let before = config_names(&world);
            configs += before.iter().map(|(_, n)| n.len()).sum::<usize>();
            // Build 154 is the one whose ids differ from the 159-era maps' headers.
            for build in [Build::V154] {
                let after = config_names(&world.to_native(build));
                // Names the build lacks become its id-0 entry, as in the Java reader; all others are equal.
                for ((i, a), (_, b)) in before.iter().zip(&after) {
                    for (x, y) in a.iter().zip(b) {
                        let table = ContentTable::for_build(build);
                        let known = x == "none"
                            || [ContentType::ITEM, ContentType::LIQUID, ContentType::BLOCK]
                                .into_iter()
                                .any(|ty| table.id(ty, x).is_some());
                        if known {
                            assert_eq!(x, y, "{}: building {i} ({build:?})", e.path().display());
                        }
                    }
                }
            }
        }
    }
    assert!(configs > 0, "the official maps configure some sorters, unloaders or sources");
    eprintln!("{configs} config ids checked");
}
