//! The per-join world stream without re-encoding the map: a cache of the compressed, player-independent part.
//!
//! Owns: splitting `NetworkIO.writeWorld` at the end of the player record — before it: rules, tags, wave,
//! tick, seeds, the player's id and record (per join); after it: content header, tiles, team plans, markers
//! (the same for every join until the grid changes) — and assembling a zlib stream from a freshly deflated
//! head and the cached deflated tail. The head is deflated with a full flush (byte-aligned, no references
//! past it) and the tail as an independent raw deflate stream ending in the final block, so the two
//! concatenate into one valid deflate stream; the zlib trailer's Adler-32 is combined from the two parts.
//!
//! Does not own: the stream layout (the world crate's `WorldStream::write`), when the grid changed (the caller
//! passes a version).
//!
//! Invariants: the assembled stream inflates to exactly the bytes `World::world_stream` would produce for the
//! same parameters (tested); a cache entry is used only for the grid version and build it was made for.

use std::collections::HashMap;

use flate2::{Compress, Compression, FlushCompress, Status};
use multidustry_world::{Build, ContentHeader, StreamParams, Tiles, World, WorldError, WorldStream};

/// Adler-32 modulus.
const ADLER_BASE: u32 = 65521;

/// Adler-32 of `data`.
pub fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for chunk in data.chunks(5552) {
        for &x in chunk {
            a += u32::from(x);
            b += a;
        }
        a %= ADLER_BASE;
        b %= ADLER_BASE;
    }
    (b << 16) | a
}

/// Adler-32 of `A ++ B` from `adler32(A)`, `adler32(B)` and `B`'s length (zlib's `adler32_combine`).
pub fn adler32_combine(a1: u32, a2: u32, len2: usize) -> u32 {
    let base = u64::from(ADLER_BASE);
    let rem = len2 as u64 % base;
    let mut sum1 = u64::from(a1 & 0xffff);
    let mut sum2 = (rem * sum1) % base;
    sum1 += u64::from(a2 & 0xffff) + base - 1;
    sum2 += u64::from(a1 >> 16) + u64::from(a2 >> 16) + base - rem;
    if sum1 >= base {
        sum1 -= base;
    }
    if sum1 >= base {
        sum1 -= base;
    }
    if sum2 >= base << 1 {
        sum2 -= base << 1;
    }
    if sum2 >= base {
        sum2 -= base;
    }
    (sum1 | (sum2 << 16)) as u32
}

/// Raw deflate (no zlib header) of `data`, ending with a full flush (`finish == false`: byte-aligned, no
/// back-references past it) or with the final block.
fn deflate_raw(data: &[u8], finish: bool) -> Vec<u8> {
    let mut c = Compress::new(Compression::new(6), false);
    let mut out = Vec::with_capacity(data.len() / 2 + 1024);
    let flush = if finish { FlushCompress::Finish } else { FlushCompress::Full };
    loop {
        if out.len() == out.capacity() {
            out.reserve(out.capacity().max(1024));
        }
        let consumed = usize::try_from(c.total_in()).unwrap_or(data.len()).min(data.len());
        match c.compress_vec(&data[consumed..], &mut out, flush) {
            Ok(Status::StreamEnd) | Err(_) => break,
            // A flush is complete once all input is in and the output did not fill the buffer.
            Ok(_) if !finish && c.total_in() as usize == data.len() && out.len() < out.capacity() => break,
            Ok(_) => {}
        }
    }
    out
}

/// Wave, countdown and tick a stream carries (as `World::to_stream` picks them: parameters, else tags).
fn live_state(world: &World, p: &StreamParams) -> (i32, f32, f64) {
    let num = |k: &str| world.tag(k).and_then(|v| v.parse::<f64>().ok());
    (
        p.wave.unwrap_or_else(|| num("wave").map_or(1, |v| v as i32)),
        p.wavetime.unwrap_or_else(|| num("wavetime").map_or(7200.0, |v| v as f32)),
        p.tick.unwrap_or_else(|| num("tick").unwrap_or(0.0)),
    )
}

/// The player-independent tail of one build's stream, deflated.
#[derive(Debug, Clone)]
struct Tail {
    deflated: Vec<u8>,
    adler: u32,
    len: usize,
    /// Length of the tail of a stream whose map sections are empty (what follows the player record there).
    empty_tail_len: usize,
    /// The stream's fields that do not depend on the player or the live state.
    template: WorldStream,
}

/// Cached deflated stream tails per client build, for one grid version.
#[derive(Debug, Clone, Default)]
pub struct StreamCache {
    version: Option<u64>,
    tails: HashMap<Build, Tail>,
}

/// A stream with the map sections emptied (cheap to write; its head equals the full stream's head).
fn head_only(template: &WorldStream, p: &StreamParams, wave: i32, wavetime: f32, tick: f64) -> WorldStream {
    WorldStream {
        data_patches: template.data_patches.clone(),
        rules: p.rules.clone().unwrap_or_else(|| template.rules.clone()),
        locales: template.locales.clone(),
        tags: template.tags.clone(),
        wave,
        wavetime,
        tick,
        seed0: p.seeds.0,
        seed1: p.seeds.1,
        player_id: p.player_id,
        player: p.player.clone(),
        content: ContentHeader { types: Vec::new() },
        content_patches: template.content_patches.clone(),
        tiles: Tiles::new(0, 0, 0),
        teams: Vec::new(),
        markers: Vec::new(),
        custom: Vec::new(),
    }
}

impl StreamCache {
    /// The zlib-compressed world stream for `build` and `p`, equal (inflated) to `world.world_stream(build, p)`
    /// after `buildrecords::for_build` (records in the layout of `build`).
    /// `world` must be the conversion of the grid at `version`; the map part is encoded and deflated once per
    /// version and build.
    pub fn stream(
        &mut self,
        version: u64,
        world: &World,
        build: Build,
        p: &StreamParams,
    ) -> Result<Vec<u8>, WorldError> {
        if self.version != Some(version) {
            self.tails.clear();
            self.version = Some(version);
        }
        let tail = match self.tails.entry(build) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => e.insert(Self::make_tail(world, build, p)?),
        };
        let (wave, wavetime, tick) = live_state(world, p);
        let head_stream = head_only(&tail.template, p, wave, wavetime, tick);
        let head_full = head_stream.write(build)?;
        let Some(head) = head_full.get(..head_full.len().saturating_sub(tail.empty_tail_len)) else {
            return crate::buildrecords::for_build(world, build).world_stream(build, p);
        };
        let mut out = Vec::with_capacity(2 + head.len() / 2 + tail.deflated.len() + 4);
        out.extend_from_slice(&[0x78, 0x9c]);
        out.extend_from_slice(&deflate_raw(head, false));
        out.extend_from_slice(&tail.deflated);
        out.extend_from_slice(&adler32_combine(adler32(head), tail.adler, tail.len).to_be_bytes());
        Ok(out)
    }

    fn make_tail(world: &World, build: Build, p: &StreamParams) -> Result<Tail, WorldError> {
        let full_stream = crate::buildrecords::for_build(world, build).to_stream(build, p);
        let full = full_stream.write(build)?;
        let mut template = full_stream;
        template.tiles = Tiles::new(0, 0, 0);
        let empty = head_only(&template, p, template.wave, template.wavetime, template.tick).write(build)?;
        // The head ends where the content header starts: its type count is 0 in `empty` and at least 1 (blocks)
        // in the real stream, so that is the first byte where the two differ.
        let split = full.iter().zip(&empty).position(|(a, b)| a != b).unwrap_or(empty.len().min(full.len()));
        let tail = full.get(split..).unwrap_or(&[]);
        Ok(Tail {
            deflated: deflate_raw(tail, true),
            adler: adler32(tail),
            len: tail.len(),
            empty_tail_len: empty.len() - split,
            template,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn inflate(b: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::ZlibDecoder::new(b).read_to_end(&mut out).expect("valid zlib, Adler-32 included");
        out
    }

    #[test]
    fn adler_combines_like_zlib() {
        let (a, b) = (b"Wikipedia".as_slice(), vec![7u8; 100_000]);
        assert_eq!(adler32(a), 0x11E6_0398);
        let whole: Vec<u8> = a.iter().chain(&b).copied().collect();
        assert_eq!(adler32_combine(adler32(a), adler32(&b), b.len()), adler32(&whole));
        assert_eq!(adler32_combine(adler32(&b), adler32(&[]), 0), adler32(&b));
    }

    #[test]
    fn cached_streams_inflate_to_the_uncached_bytes_for_every_player_and_build() {
        let world = multidustry_world::generate::generate(4, 90, 70);
        let mut cache = StreamCache::default();
        for build in [Build::V159, Build::V154] {
            for (id, name) in [(3, "a"), (77, "a much longer player name")] {
                let mut p = StreamParams::new(id, multidustry_world::PlayerRecord::new(name, 1, -1));
                p.wave = Some(id);
                p.tick = Some(f64::from(id) * 10.0);
                p.rules = Some(format!("{{waves:true,seed:{id}}}"));
                let ours = cache.stream(1, &world, build, &p).expect("cached");
                let java_like = world.world_stream(build, &p).expect("plain");
                assert_eq!(inflate(&ours), inflate(&java_like), "build {build:?}, player {id}");
            }
        }
        assert_eq!(cache.tails.len(), 2);
        let p = StreamParams::new(1, multidustry_world::PlayerRecord::new("x", 1, -1));
        cache.stream(2, &world, Build::V159, &p).expect("new version");
        assert_eq!(cache.tails.len(), 1, "a new grid version drops the old tails");
    }
}
