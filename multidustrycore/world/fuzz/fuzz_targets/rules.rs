//! Rules JSON (Arc's minimal dialect): any text parses or fails cleanly; what parses writes text that reads
//! back, and a second read-write is a fixed point. The server path (`Rules::for_map`) never panics, and the
//! wave arithmetic of every spawn group is total.
#![no_main]

use libfuzzer_sys::fuzz_target;
use multidustry_world::rules::{Gamemode, Rules};
use multidustry_world::Build;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let hosted = Rules::for_map(text, Gamemode::Survival, Build::V159);
    for g in &hosted.spawns {
        for wave in [i32::MIN, -1, 0, 1, 37, i32::MAX] {
            let _ = g.spawned(wave);
            let _ = g.shield(wave);
        }
    }
    let Ok(rules) = Rules::read_json(text, Build::V154) else { return };
    let once = Rules::read_json(&rules.to_json(), Build::V154).expect("our own output reads back");
    let written = once.to_json();
    let twice = Rules::read_json(&written, Build::V154).expect("reads again");
    assert_eq!(twice.to_json(), written);
});
