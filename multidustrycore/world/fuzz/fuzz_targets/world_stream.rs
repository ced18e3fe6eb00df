//! World-stream reader for both builds: any bytes (first byte picks the build). Whatever parses must write
//! back to bytes that read again and re-write identically.
#![no_main]

use libfuzzer_sys::fuzz_target;
use multidustry_world::{Build, WorldStream};

fuzz_target!(|data: &[u8]| {
    let Some((mode, rest)) = data.split_first() else { return };
    let build = if mode & 1 == 0 { Build::V159 } else { Build::V154 };
    let parsed = if mode & 2 == 0 { WorldStream::read(rest, build) } else { WorldStream::read_compressed(rest, build) };
    let Ok(stream) = parsed else { return };
    let Ok(bytes) = stream.write(build) else { return };
    let back = WorldStream::read(&bytes, build).expect("our own output reads back");
    assert_eq!(back.write(build).expect("writes again"), bytes);
});
