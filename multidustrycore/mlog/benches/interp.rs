//! Reference-interpreter throughput, and the per-tick cost of many small processors.
//!
//! * `interp_speed`: `lemu/speed.mlog` (30,000,003 instructions: a count-down loop of jump/op sub/jump) run to its
//!   end in one budget; throughput in instructions per second (criterion "elements").
//! * `interp_tick_10k_logic`: one game tick ([`engine::tick`], build 159) of 10,000 logic processors at 8 ipt,
//!   each with its own state and host, all running the speed loop (the program parsed once and shared).
//!
//! Run: `cargo bench -p multidustry-mlog --bench interp` (needs the shared test data; skips without it).

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use multidustry_mlog::content::ContentTable;
use multidustry_mlog::engine::{self, Budget, Engine, Exit};
use multidustry_mlog::host::StandaloneHost;
use multidustry_mlog::interp::Interpreter;
use multidustry_mlog::ir::{Build, Program};
use multidustry_mlog::parse::{ParseOptions, parse};
use multidustry_mlog::state::ProcessorState;

fn load(rel: &str) -> Option<Program> {
    let bytes = multidustry_testdata::read(rel)?;
    let src = String::from_utf8(bytes).expect("utf-8 program");
    let links = vec!["message1".to_string()];
    let content = Arc::new(ContentTable::empty());
    let opts = ParseOptions {
        build: Build::B159,
        privileged: false,
        links: &links,
        content: &content,
        test_instructions: false,
    };
    Some(parse(&src, &opts).expect("corpus program parses"))
}

fn speed(c: &mut Criterion) {
    let Some(p) = load("mlog/lemu/speed.mlog") else { return };
    let budget = Budget { stop_at_wrap: true, ..Budget::fuel(u64::MAX) };
    let mut host = StandaloneHost::new(&["message1"]);
    let fresh = ProcessorState::new(&p, 8.0, &mut host);
    let mut s = fresh.clone();
    let out = Interpreter.run(&p, &mut s, &mut host, budget);
    assert_eq!(out.exit, Exit::Wrap);
    let count = out.executed;

    let mut g = c.benchmark_group("interp_speed");
    g.sample_size(10);
    g.throughput(Throughput::Elements(count));
    g.bench_function("lemu_speed", |b| {
        b.iter(|| {
            let mut s = fresh.clone();
            let out = Interpreter.run(&p, &mut s, &mut host, budget);
            black_box(out.executed)
        });
    });
    g.finish();
}

fn tick_10k(c: &mut Criterion) {
    let Some(p) = load("mlog/lemu/speed.mlog") else { return };
    const N: usize = 10_000;
    let mut hosts: Vec<StandaloneHost> = (0..N).map(|_| StandaloneHost::new(&["message1"])).collect();
    let mut states: Vec<ProcessorState> = hosts.iter_mut().map(|h| ProcessorState::new(&p, 8.0, h)).collect();
    // Warm the accumulators up to the steady state (8 per tick).
    for (s, h) in states.iter_mut().zip(hosts.iter_mut()) {
        engine::tick(&Interpreter, &p, s, h, 1.0);
    }
    let mut g = c.benchmark_group("interp_tick_10k_logic");
    g.throughput(Throughput::Elements((N * 8) as u64));
    g.bench_function("one_tick", |b| {
        b.iter(|| {
            let mut total = 0;
            for (s, h) in states.iter_mut().zip(hosts.iter_mut()) {
                total += engine::tick(&Interpreter, &p, s, h, 1.0).executed;
            }
            black_box(total)
        });
    });
    g.finish();
}

criterion_group!(benches, speed, tick_10k);
criterion_main!(benches);
