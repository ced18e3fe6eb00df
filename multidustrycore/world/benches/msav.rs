//! Load and save of the largest square official map (500x500, `default/archipelago.msav`, save version 5)
//! and of its re-saved version-13 form, plus world-stream writing (which includes deriving the hosted rules),
//! and the rules alone (map JSON -> typed `Rules` -> the Java server's JSON).
//!
//! Run: `cargo bench -p multidustry-world --bench msav` (skips when the shared data is absent).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use multidustry_world::{Build, PlayerRecord, StreamParams, World};

fn find_500() -> Option<Vec<u8>> {
    let dir = multidustry_testdata::dir()?.join("maps");
    let mut stack = vec![dir];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).ok()?.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "msav") {
                let bytes = std::fs::read(&p).ok()?;
                if let Ok(w) = World::read_msav(&bytes)
                    && (w.tiles.width, w.tiles.height) == (500, 500)
                {
                    eprintln!("bench map: {} ({} bytes)", p.display(), bytes.len());
                    return Some(bytes);
                }
            }
        }
    }
    None
}

fn bench(c: &mut Criterion) {
    let Some(original) = find_500() else { return };
    let world = World::read_msav(&original).expect("loads");
    let v13 = world.write_msav(13).expect("saves");
    let inflated = world.write_msav_inflated(13).expect("saves");
    let mut g = c.benchmark_group("msav-500x500");
    g.throughput(Throughput::Bytes(inflated.len() as u64));
    g.bench_function("load original (v5, zlib)", |b| b.iter(|| World::read_msav(&original).expect("loads")));
    g.bench_function("load v13 (zlib)", |b| b.iter(|| World::read_msav(&v13).expect("loads")));
    g.bench_function("load v13 (inflated)", |b| b.iter(|| World::read_msav_inflated(&inflated).expect("loads")));
    g.bench_function("save v13 (zlib)", |b| b.iter(|| world.write_msav(13).expect("saves")));
    g.bench_function("save v13 (inflated)", |b| b.iter(|| world.write_msav_inflated(13).expect("saves")));
    let p = StreamParams::new(1, PlayerRecord::new("bench", 1, -1));
    g.bench_function("world stream 159 (zlib)", |b| b.iter(|| world.world_stream(Build::V159, &p).expect("stream")));
    g.finish();
    let mut g = c.benchmark_group("rules");
    g.throughput(Throughput::Bytes(world.rules().len() as u64));
    g.bench_function("host rules + to_json (map's JSON)", |b| {
        b.iter(|| world.host_rules(multidustry_world::Gamemode::Survival, Build::V159).to_json())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
