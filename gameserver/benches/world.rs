//! The world thread's heavy operations: the per-join world stream (every join re-encodes the map from the
//! cached `World` and deflates it), and snapshots (what the world thread pays: the capture, versus the whole
//! save it used to do inline).
//!
//! Run: `cargo bench -p multidustry-gameserver --bench world` (the official-map case skips when the shared
//! data is absent).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use multidustry_gameserver::host::WorldIo;
use multidustry_gameserver::sim::{Input, JoinRequest, Output};
use multidustry_gameserver::worldio::{self, LoadedWorld, SaveJob};
use multidustry_gameserver::{Call, Target};

fn join(sim: &mut multidustry_gameserver::Sim, session: u64, build: u32) -> i32 {
    let request = JoinRequest {
        build,
        name: format!("bench{session}"),
        uuid: format!("u{session}"),
        usid: String::new(),
        color: 0xffffffff,
        locale: "en".into(),
        admin: false,
        ip: "127.0.0.1".into(),
    };
    sim.handle(std::time::Duration::ZERO, Input::Join { session, request });
    sim.drain()
        .into_iter()
        .find_map(|o| match o {
            Output::Send(Target::Session(_), Call::WorldStream { player_id }) => Some(player_id),
            _ => None,
        })
        .expect("stream requested")
}

fn bench_world(c: &mut Criterion, label: &str, world: LoadedWorld) {
    let (mut sim, mut io) = world.into_parts(60);
    let dir = std::env::temp_dir().join(format!("multidustry-bench-{}", std::process::id()));
    let path = dir.join("world.msav");
    let mut g = c.benchmark_group(label);
    for build in [159u32, 154] {
        let id = join(&mut sim, u64::from(build), build);
        let p = sim.player(id).expect("player").clone();
        let bytes = io.world_stream(&sim, &p).expect("stream");
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_function(format!("world stream per join (cached World, build {build})"), |b| {
            b.iter(|| io.world_stream(&sim, &p).expect("stream"))
        });
    }
    g.bench_function("world stream after a grid change (convert + encode)", |b| {
        let p = sim.players().next().expect("player").clone();
        b.iter(|| {
            let _ = sim.grid.tile_mut(0, 0);
            io.world_stream(&sim, &p).expect("stream")
        })
    });
    g.bench_function("snapshot on the world thread: capture only (now)", |b| {
        b.iter(|| SaveJob::capture(&sim, &io.names, &io.meta))
    });
    g.bench_function("snapshot on the world thread: capture + encode + write (before)", |b| {
        b.iter(|| worldio::save(&sim, &io.names, &io.meta, &path).expect("saves"))
    });
    g.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

fn bench(c: &mut Criterion) {
    bench_world(c, "generated-256x256", worldio::generate(1, 256));
    if let Some(bytes) = multidustry_testdata::read("maps/default/fortress.msav") {
        bench_world(c, "fortress", worldio::load(&bytes).expect("loads"));
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
