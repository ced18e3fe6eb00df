//! Unit tests of the JIT against the interpreter on hand-written programs that reach every compiled path
//! (inline arithmetic, `setnum`, counter writes, fractional counters, wraps, self-loops, slow paths, yields).

use std::sync::Arc;

use super::JitProgram;
use crate::content::ContentTable;
use crate::engine::{Budget, Engine, Exit, tick};
use crate::host::StandaloneHost;
use crate::interp::Interpreter;
use crate::ir::{Build, Program};
use crate::parse::{ParseOptions, parse};
use crate::state::ProcessorState;
use crate::value::Value;

const LINKS: [&str; 3] = ["message1", "cell1", "bank1"];

fn program(src: &str) -> Program {
    let links: Vec<String> = LINKS.iter().map(|s| (*s).to_string()).collect();
    let content = Arc::new(ContentTable::empty());
    let opts = ParseOptions::new(Build::B159, false, &links, &content);
    parse(src, &opts).expect("test program parses")
}

/// Bitwise comparison of two states (numbers by bits, so `-0.0` and `0.0` differ).
pub(crate) fn assert_same_state(a: &ProcessorState, b: &ProcessorState, what: &str) {
    assert_eq!(a.vars.len(), b.vars.len(), "{what}: slot count");
    for (i, (x, y)) in a.vars.iter().zip(&b.vars).enumerate() {
        let same = match (x, y) {
            (Value::Num(p), Value::Num(q)) => p.to_bits() == q.to_bits(),
            _ => x == y,
        };
        assert!(same, "{what}: slot {i}: interpreter {x:?}, jit {y:?}");
    }
    assert_eq!(a.counter.to_bits(), b.counter.to_bits(), "{what}: counter {} vs {}", a.counter, b.counter);
    assert_eq!(a, b, "{what}: state");
}

/// Runs `src` tick by tick under both engines with the given per-tick fuel, comparing after every run.
fn differential(src: &str, budgets: &[u64], flags: (bool, bool)) {
    let p = program(src);
    let jit = JitProgram::compile(&p).expect("compiles");
    let mut hi = StandaloneHost::new(&LINKS);
    let mut hj = StandaloneHost::new(&LINKS);
    let mut si = ProcessorState::new(&p, 8.0, &mut hi);
    let mut sj = ProcessorState::new(&p, 8.0, &mut hj);
    for (k, &fuel) in budgets.iter().enumerate() {
        let b = Budget { fuel, tick_seconds: 1.0 / 60.0, stop_at_wrap: flags.0, stop_at_selfloop: flags.1 };
        let oi = Interpreter.run(&p, &mut si, &mut hi, b);
        let oj = jit.run(&p, &mut sj, &mut hj, b);
        assert_eq!(oi, oj, "run {k} (fuel {fuel}) of {src:?}");
        assert_same_state(&si, &sj, &format!("run {k} of {src:?}"));
        assert_eq!(hi.flushes, hj.flushes, "flushes after run {k}");
        assert_eq!(hi.blocks, hj.blocks, "blocks after run {k}");
    }
}

fn all_budgets() -> Vec<u64> {
    (0..40).map(|k| [1, 2, 3, 0, 5, 8, 13, 25, 7, 100][k % 10]).collect()
}

#[test]
fn arithmetic_and_setnum() {
    let src = "set a 7\nset b -3\nop add c a b\nop div d a 0\nop mod e a b\nop idiv f a b\nop pow g -8 0.5\n\
               op shl h 1 64\nop not i 0\nop and j -1 255\nop ushr k -1 60\nop sub l 1e308 -1e308\nop max m -0 0\n\
               op angle n 3 4\nop equal o null 0\nop strictEqual q null 0\nop land r a d\nop emod s -7 3\n\
               op sqrt t -1\nop floor u -2.5\nop round v -2.5\nop sign w -0\nop lessThan x d 1\nend";
    differential(src, &all_budgets(), (false, false));
    differential(src, &[1000], (true, true));
}

#[test]
fn strings_and_objects() {
    let src = "set s \"abc\"\nset t s\nop equal e s \"abc\"\nop equal f s 1\nop strictEqual g s t\nset s 5\n\
               op add h t 1\nset u @counter\nprint s\nprint t\nprint e\nprintflush message1\n\
               jump 13 equal t \"abc\"\nset never 1\nset x null\njump 16 strictEqual x null\nset y 1\nend";
    differential(src, &all_budgets(), (false, false));
}

#[test]
fn counter_writes_and_fractions() {
    let src = "op add r @counter 1\nset @counter r\nset a 1\nset @counter 4.5\nset b 2\nset c @counter\n\
               op mul @counter 0 0\nop div @counter 1 0\nset @counter \"x\"\nset @counter 99\nset z 3";
    differential(src, &all_budgets(), (false, false));
    differential(src, &[3, 3, 3, 3, 3, 3, 3, 3], (true, false));
}

#[test]
fn jumps_wraps_and_selfloops() {
    let src = "set i 0\nop add i i 1\njump 1 lessThan i 10\njump 5 always\njump -1 always\njump 500 greaterThan i 5\n\
               set never 1";
    differential(src, &all_budgets(), (false, false));
    differential(src, &[4, 4, 4, 4, 4, 4, 4, 4, 4, 4], (true, false));
    let selfloop = "set i 0\nop add i i 1\njump 3 always\njump 3 greaterThan i 0";
    differential(selfloop, &[2, 2, 2, 2, 2, 2], (true, true));
    differential(selfloop, &[2, 2, 2, 2, 2, 2], (false, false));
}

#[test]
fn yields_memory_and_text() {
    let src = "write 5 cell1 3\nread x cell1 3\nop add x x 0.5\nprint x\nwait 0.05\nprintflush message1\n\
               sensor s message1 @bufferSize\nstop";
    differential(src, &all_budgets(), (false, false));
}

#[test]
fn speed_loop_counts_every_instruction() {
    let src = "set n 1000\nloop:\n jump ret lessThanEq n 0\n op sub n n 1\n jump loop always\nret:\n end";
    differential(src, &[3001, 1, 5, 3000, 8, 8], (false, false));
    let p = program(src);
    let jit = JitProgram::compile(&p).expect("compiles");
    let mut h = StandaloneHost::new(&LINKS);
    let mut s = ProcessorState::new(&p, 8.0, &mut h);
    let out = jit.run(&p, &mut s, &mut h, Budget { stop_at_wrap: true, ..Budget::fuel(u64::MAX) });
    assert_eq!(out, crate::engine::RunOutcome { executed: 3003, exit: Exit::Wrap });
    assert_eq!(s.executed, 3003);
}

#[test]
fn tick_loop_matches_with_accumulator() {
    let src = "op add i i 1\nwait 0.1\nprint i\nprintflush message1";
    let p = program(src);
    let jit = JitProgram::compile(&p).expect("compiles");
    let mut hi = StandaloneHost::new(&LINKS);
    let mut hj = StandaloneHost::new(&LINKS);
    let mut si = ProcessorState::new(&p, 8.0, &mut hi);
    let mut sj = ProcessorState::new(&p, 8.0, &mut hj);
    for t in 0..200 {
        let delta = if t % 7 == 3 { 1.7 } else { 1.0 };
        let oi = tick(&Interpreter, &p, &mut si, &mut hi, delta);
        let oj = tick(&jit, &p, &mut sj, &mut hj, delta);
        assert_eq!(oi, oj, "tick {t}");
        assert_same_state(&si, &sj, &format!("tick {t}"));
    }
    assert_eq!(hi.flushes, hj.flushes);
    assert!(!hi.flushes.is_empty());
}

#[test]
fn foreign_state_or_program_falls_back_safely() {
    let p = program("set a 1\nop add a a 1");
    let q = program("set a 1\nset b 2\nset c 3\nop add a a 1");
    let jit = JitProgram::compile(&p).expect("compiles");
    let mut h = StandaloneHost::new(&LINKS);
    // A state with too few slots for the compiled code: must not touch memory out of bounds.
    let mut s = ProcessorState::default();
    let _ = jit.run(&p, &mut s, &mut h, Budget::fuel(10));
    // Another program: runs (in the interpreter) with the right result.
    let mut sq = ProcessorState::new(&q, 8.0, &mut h);
    let mut sq2 = sq.clone();
    let a = jit.run(&q, &mut sq, &mut h, Budget::fuel(7));
    let b = Interpreter.run(&q, &mut sq2, &mut h, Budget::fuel(7));
    assert_eq!(a, b);
    assert_eq!(sq, sq2);
}

#[test]
fn engines_can_be_shared_across_world_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<JitProgram>();
    send_sync::<super::Jit>();
}

/// CPU time of this thread in nanoseconds (Linux `schedstat`), for measuring on a machine shared with other
/// jobs where wall-clock benchmarks are inflated by waiting for a core. `None` elsewhere.
fn thread_cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

/// Manual measurement (not a test of speed): `cargo test --release -p multidustry-mlog --lib cpu_time_rates --
/// --ignored --nocapture` prints instructions per CPU-second of the speed loop for both engines, and the CPU
/// time of one tick of 10,000 logic processors.
#[test]
#[ignore = "measurement, run by hand in release mode"]
fn cpu_time_rates() {
    let src = "set n 10000000\nloop:\n jump ret lessThanEq n 0\n op sub n n 1\n jump loop always\nret:\n end";
    let p = program(src);
    let jit = JitProgram::compile(&p).expect("compiles");
    let mut h = StandaloneHost::new(&LINKS);
    let fresh = ProcessorState::new(&p, 8.0, &mut h);
    let budget = Budget { stop_at_wrap: true, ..Budget::fuel(u64::MAX) };
    let engines: [(&str, &dyn Engine, &Program); 2] = [("jit", &jit, jit.program()), ("interpreter", &Interpreter, &p)];
    for (name, e, prog) in engines {
        for _ in 0..3 {
            let mut s = fresh.clone();
            let t0 = thread_cpu_ns().unwrap_or(0);
            let w0 = std::time::Instant::now();
            let out = e.run(prog, &mut s, &mut h, budget);
            let cpu = thread_cpu_ns().unwrap_or(0) - t0;
            let wall = w0.elapsed().as_nanos();
            println!(
                "{name}: {} instructions, {:.1} M/s per CPU second, {:.1} M/s wall",
                out.executed,
                out.executed as f64 / cpu as f64 * 1e3,
                out.executed as f64 / wall as f64 * 1e3
            );
        }
    }
    let mut hosts: Vec<StandaloneHost> = (0..10_000).map(|_| StandaloneHost::new(&LINKS)).collect();
    let mut states: Vec<ProcessorState> = hosts.iter_mut().map(|h| ProcessorState::new(&p, 8.0, h)).collect();
    for (name, e, prog) in engines {
        const TICKS: u64 = 300;
        let t0 = thread_cpu_ns().unwrap_or(0);
        let w0 = std::time::Instant::now();
        let mut executed = 0;
        for _ in 0..TICKS {
            for (s, h) in states.iter_mut().zip(&mut hosts) {
                executed += tick(e, prog, s, h, 1.0).executed;
            }
        }
        let cpu = thread_cpu_ns().unwrap_or(0) - t0;
        let wall = w0.elapsed().as_nanos() as f64;
        println!(
            "{name}: one tick of 10,000 logic processors: {} instructions, {:.3} ms CPU, {:.3} ms wall (mean of {TICKS})",
            executed / TICKS,
            cpu as f64 / 1e6 / TICKS as f64,
            wall / 1e6 / TICKS as f64
        );
    }
}
