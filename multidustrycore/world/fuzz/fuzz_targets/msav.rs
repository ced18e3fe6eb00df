//! msav reader: any bytes, inflated (first byte 0) or zlib-compressed (first byte 1). Whatever parses must
//! write back (when the writer accepts it) to bytes that read again and re-write identically; id translation
//! and the hosted rules never panic on it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use multidustry_world::World;

fuzz_target!(|data: &[u8]| {
    let Some((mode, rest)) = data.split_first() else { return };
    let parsed = if mode & 1 == 0 { World::read_msav_inflated(rest) } else { World::read_msav(rest) };
    let Ok(world) = parsed else { return };
    let _ = world.info();
    let _ = multidustry_world::render::render_rgb(&world, 1);
    // Id translation walks every building record (base, modules, class tails) and the rules JSON.
    let native = world.to_native(multidustry_world::Build::V154);
    assert_eq!(native.tiles.buildings.len(), world.tiles.buildings.len());
    let _ = world.host_rules(multidustry_world::Gamemode::Survival, multidustry_world::Build::V159).to_json();
    for version in [13, 11] {
        let Ok(bytes) = world.write_msav_inflated(version) else { continue };
        let back = World::read_msav_inflated(&bytes).expect("our own output reads back");
        assert_eq!(back.write_msav_inflated(version).expect("writes again"), bytes);
    }
});
