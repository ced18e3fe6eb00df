//! Property: any tile grid (floors, overlays, blocks, tile data, buildings on their footprints) written in the
//! current map-region layout reads back equal, inside a save and inside a world stream of either build.

use multidustry_world::msav::DataPatches;
use multidustry_world::{Build, ContentHeader, PlayerRecord, StreamParams, TileData, Tiles, World, WorldStream};
use proptest::prelude::*;

fn tiles_strategy() -> impl Strategy<Value = Tiles> {
    (1u16..40, 1u16..40, any::<u64>()).prop_map(|(w, h, seed)| {
        let mut s = seed | 1;
        let mut next = move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        let mut t = Tiles::new(w, h, 3);
        for i in 0..t.len() {
            t.floor[i] = (next() % 4) as u16;
            t.overlay[i] = if next() % 3 == 0 { (next() % 3) as u16 } else { 0 };
            t.block[i] = if next() % 4 == 0 { (next() % 3) as u16 } else { 0 };
            if next() % 10 == 0 {
                t.data.insert(
                    i as u32,
                    TileData { data: next() as i8, floor_data: 1, overlay_data: -1, extra: next() as i32 },
                );
            }
        }
        for _ in 0..(next() % 6) {
            let (x, y, size) = ((next() % u64::from(w)) as i32, (next() % u64::from(h)) as i32, (next() % 3 + 1) as u8);
            let rec: Vec<u8> = (0..next() % 20).map(|_| next() as u8).collect();
            t.place_building(x, y, 9, size, rec);
        }
        // Remove parts whose center was overwritten by a later building, keep the rest as placed.
        t
    })
}

fn world(tiles: Tiles) -> World {
    World {
        version: 13,
        meta: vec![("name".into(), "prop".into())],
        patches: DataPatches { format: 2, assets: Vec::new() },
        content: ContentHeader::native(Build::V159),
        tiles,
        entity_mapping: Vec::new(),
        teams: Vec::new(),
        entities: Vec::new(),
        markers: b"{}".to_vec(),
        custom: vec![("x".into(), vec![1, 2, 3])],
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn grids_round_trip(tiles in tiles_strategy()) {
        let w = world(tiles);
        let back = World::read_msav(&w.write_msav(13).expect("write")).expect("read");
        prop_assert_eq!(&back.tiles, &w.tiles);
        let back11 = World::read_msav(&w.write_msav(11).expect("write")).expect("read");
        prop_assert_eq!(&back11.tiles, &w.tiles);
        for build in Build::ALL {
            let p = StreamParams::new(3, PlayerRecord::new("x", 1, 0));
            let s = WorldStream::read_compressed(&w.world_stream(build, &p).expect("stream"), build).expect("read");
            prop_assert_eq!(&s.tiles, &w.tiles);
        }
    }
}
