//! JIT and reference-interpreter throughput, and the per-tick cost of many small processors.
//!
//! * `speed/*`: `lemu/speed.mlog` (30,000,003 instructions: a count-down loop of jump/op sub/jump) run to its
//!   end in one budget; throughput is in instructions (criterion's "elements").
//! * `tick_10k_logic/*`: one game tick of 10,000 logic processors (8 instructions each, through
//!   [`engine::tick`]) running the speed loop, each with its own state and host (the program compiled once).
//! * `compile/math-none`: compiling the largest corpus program (throughput in mlog instructions).
//!
//! Run: `cargo bench -p multidustry-mlog --bench jit` (needs the shared test data; skips without it).

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use multidustry_mlog::content::ContentTable;
use multidustry_mlog::engine::{self, Budget, Engine, Exit};
use multidustry_mlog::host::StandaloneHost;
use multidustry_mlog::interp::Interpreter;
use multidustry_mlog::ir::{Build, Program};
use multidustry_mlog::jit::JitProgram;
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
        test_instructions: true,
    };
    Some(parse(&src, &opts).expect("corpus program parses"))
}

fn speed(c: &mut Criterion) {
    let Some(p) = load("mlog/lemu/speed.mlog") else { return };
    let jit = JitProgram::compile(&p).expect("compiles");
    let budget = Budget { stop_at_wrap: true, ..Budget::fuel(u64::MAX) };
    let mut host = StandaloneHost::new(&["message1"]);
    let fresh = ProcessorState::new(&p, 8.0, &mut host);
    // Count once: the throughput unit.
    let mut s = fresh.clone();
    let out = Interpreter.run(&p, &mut s, &mut host, budget);
    assert_eq!(out.exit, Exit::Wrap);
    let count = out.executed;

    let mut g = c.benchmark_group("speed");
    g.sample_size(10);
    g.throughput(Throughput::Elements(count));
    g.bench_function("jit", |b| {
        b.iter(|| {
            let mut s = fresh.clone();
            let out = jit.run(jit.program(), &mut s, &mut host, budget);
            assert_eq!(out.executed, count);
            black_box(s.counter)
        });
    });
    g.bench_function("interpreter", |b| {
        b.iter(|| {
            let mut s = fresh.clone();
            let out = Interpreter.run(&p, &mut s, &mut host, budget);
            assert_eq!(out.executed, count);
            black_box(s.counter)
        });
    });
    g.finish();
}

fn many_processors(c: &mut Criterion) {
    const N: usize = 10_000;
    let Some(p) = load("mlog/lemu/speed.mlog") else { return };
    let jit = JitProgram::compile(&p).expect("compiles");
    let mut hosts: Vec<StandaloneHost> = (0..N).map(|_| StandaloneHost::new(&["message1"])).collect();
    let mut states: Vec<ProcessorState> = hosts.iter_mut().map(|h| ProcessorState::new(&p, 8.0, h)).collect();
    // Warm up so every processor is mid-loop with a full budget each tick.
    for (s, h) in states.iter_mut().zip(&mut hosts) {
        engine::tick(&jit, &p, s, h, 1.0);
    }
    let mut g = c.benchmark_group("tick_10k_logic");
    g.throughput(Throughput::Elements(N as u64 * 8));
    // The JIT is handed its own copy of the program, so finding the compiled code is a pointer comparison.
    let engines: [(&str, &dyn Engine, &Program); 2] = [("jit", &jit, jit.program()), ("interpreter", &Interpreter, &p)];
    for (name, e, prog) in engines {
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut executed = 0;
                for (s, h) in states.iter_mut().zip(&mut hosts) {
                    executed += engine::tick(e, prog, s, h, 1.0).executed;
                }
                assert_eq!(executed, N as u64 * 8);
                black_box(executed)
            });
        });
    }
    g.finish();
}

fn compile(c: &mut Criterion) {
    // The largest corpus program (about 1000 instructions after the parser's cap).
    let Some(p) = load("mlog/mindcode-library/math-none.mlog") else { return };
    let mut g = c.benchmark_group("compile");
    g.sample_size(10);
    g.throughput(Throughput::Elements(p.instrs.len() as u64));
    g.bench_function("math-none", |b| b.iter(|| black_box(JitProgram::compile(&p).expect("compiles"))));
    g.finish();
}

criterion_group!(benches, speed, many_processors, compile);
criterion_main!(benches);
