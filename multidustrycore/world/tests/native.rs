//! `World::to_native` translates the content ids inside building records (sorter items, unloader items,
//! item/liquid sources, construction sites, unit commands, turret ammo, conveyor stacks, payload-router sort
//! configs, constructor recipes, block payloads with their nested modules) from a file's own content header to
//! a build's native ids; the layouts are checked against every record of those classes in the official maps.

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
                        multidustry_world::ContentKind::Unit => ContentType::UNIT,
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
                    "conveyor",
                    "payload-conveyor",
                    "payload-router",
                    "constructor",
                    "additive-reconstructor",
                ]),
            ),
            (ContentType::LIQUID, names(&["oil", "water"])),
            (ContentType::UNIT_COMMAND, names(&["move", "boost", "mine", "loopPayload"])),
            (ContentType::UNIT, names(&["flare", "dagger"])),
        ],
    };
    let mut tiles = Tiles::new(8, 12, 1);
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
    // conveyor (revision 1): 2 stacks (i16 item, i8 x, i8 y): copper (file id 2), lead (0).
    tiles.place_building(0, 3, 10, 1, record(1, &[0, 0, 0, 2, 0, 2, 0, 0x80, 0, 0, 0, 0x19]));
    // conveyor (revision 0): 1 packed stack (u8 item, x, y, 0): silicon (1).
    tiles.place_building(1, 3, 10, 1, record(0, &[0, 0, 0, 1, 1, 0, 0x80, 0]));
    // payload conveyor: progress, itemRotation, a block payload (present, type 1) of copper-wall (file id 6) whose
    // nested record (revision 0, base version 3) has an item module holding 7 silicon (1).
    let mut pc = vec![0u8; 8];
    pc.extend_from_slice(&[1, 1, 0, 6, 0]);
    pc.extend_from_slice(&100f32.to_be_bytes());
    pc.extend_from_slice(&[0x80, 1, 3, 1, 1, 0, 1, 0, 1, 0, 0, 0, 7, 255, 0]);
    tiles.place_building(1, 5, 11, 3, record(0, &pc));
    // payload router (revision 1): no payload, sorted = unit (content type 6) flare (file id 0), recDir 0.
    let mut pr = vec![0u8; 8];
    pr.extend_from_slice(&[0, 6, 0, 0, 0]);
    tiles.place_building(5, 5, 12, 3, record(1, &pr));
    // constructor: payVector, payRotation, no payload, progress, recipe copper-wall (6).
    let mut ctor = vec![0u8; 13];
    ctor.extend_from_slice(&0f32.to_be_bytes());
    ctor.extend_from_slice(&6i16.to_be_bytes());
    tiles.place_building(0, 8, 13, 2, record(0, &ctor));
    // additive reconstructor (revision 3): no payload, progress, null commandPos, command loopPayload (3).
    let mut rc = vec![0u8; 13];
    rc.extend_from_slice(&0f32.to_be_bytes());
    rc.extend_from_slice(&f32::NAN.to_be_bytes());
    rc.extend_from_slice(&f32::NAN.to_be_bytes());
    rc.push(3);
    tiles.place_building(4, 9, 14, 3, record(3, &rc));
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
        [
            "lead",
            "silicon",
            "copper",
            "oil",
            "none",
            "none,copper-wall",
            "mine",
            "copper,silicon",
            "copper,lead",
            "silicon",
            "copper-wall,silicon",
            "flare",
            "copper-wall",
            "loopPayload"
        ]
    );
    for build in Build::ALL {
        let native = world.to_native(build);
        assert_eq!(config_names(&native), before, "{build:?}");
        let table = ContentTable::for_build(build);
        let factory = &native.tiles.buildings[&9];
        let cmd = factory.config_id(&factory.config_ids("UnitFactory")[0]).expect("command");
        assert_eq!(native.content.name(ContentType::UNIT_COMMAND, cmd as u16), Some("mine"));
        let router = &native.tiles.buildings[&45];
        let unit = router.config_id(&router.config_ids("PayloadRouter")[0]).expect("sorted unit");
        assert_eq!(i32::from(unit), i32::from(table.id(ContentType::UNIT, "flare").expect("flare")));
        assert_ne!(unit, 0, "the file's id 0 (flare) is not the native id of flare");
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
    let mut stacks = std::collections::BTreeMap::<u8, usize>::new();
    let mut payloads = std::collections::BTreeMap::<u8, usize>::new();
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
            // The other layouts `config_ids` assumes, checked on every record of their classes: conveyor stacks
            // end the record (4 bytes a stack; in revision 0 the packed int's last byte is 0), payload flags and
            // types are what `Payload.write` writes, and a payload router's sort config is a content type
            // (block, unit or none) with an id (-1 with none).
            for (&i, b) in &world.tiles.buildings {
                let Some(f) = world.block_name(world.tiles.block[i as usize]).and_then(|n| facts.block_by_name(n))
                else {
                    continue;
                };
                let Some(tail) = b.tail_offset() else { continue };
                let at = format!("{}: {} at {i}", e.path().display(), f.name);
                let rec = &b.record;
                match f.class {
                    "Conveyor" | "ArmoredConveyor" => {
                        let n = u32::from_be_bytes(rec[tail..tail + 4].try_into().expect("4")) as usize;
                        assert_eq!(rec.len(), tail + 4 + 4 * n, "{at}");
                        assert_eq!(b.config_ids(f.class).len(), n, "{at}");
                        if rec[0] == 0 {
                            assert!((0..n).all(|k| rec[tail + 7 + 4 * k] == 0), "{at}");
                        }
                        *stacks.entry(rec[0]).or_default() += n;
                    }
                    "PayloadConveyor" | "PayloadRouter" => {
                        assert!(rec[tail + 8] <= 1, "{at}");
                        if rec[tail + 8] == 1 {
                            assert!(rec[tail + 9] <= 1, "{at}");
                            *payloads.entry(rec[tail + 9]).or_default() += 1;
                        }
                        if f.class == "PayloadRouter" {
                            let len = rec.len();
                            assert!(matches!(rec[len - 4], 0xff | 1 | 6), "{at}");
                            if rec[len - 4] == 0xff {
                                assert_eq!(&rec[len - 3..len - 1], &[0xff, 0xff], "{at}");
                            }
                        }
                    }
                    "PayloadLoader"
                    | "PayloadUnloader"
                    | "PayloadDeconstructor"
                    | "PayloadMassDriver"
                    | "Constructor"
                    | "UnitFactory"
                    | "Reconstructor" => {
                        assert!(rec[tail + 12] <= 1, "{at}");
                        if rec[tail + 12] == 1 {
                            assert!(rec[tail + 13] <= 1, "{at}");
                            *payloads.entry(rec[tail + 13]).or_default() += 1;
                        }
                    }
                    _ => {}
                }
            }
            let before = config_names(&world);
            // Every id found names content of the map's own header (or none): the layouts read real ids.
            for (i, n) in &before {
                assert!(!n.iter().any(|x| x == "?"), "{}: building {i}: {n:?}", e.path().display());
            }
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
    eprintln!("{configs} config ids checked; conveyor stacks by revision {stacks:?}; payloads by type {payloads:?}");
}
