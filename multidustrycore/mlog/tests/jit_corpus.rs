//! Every program of the shared mlog corpus (`shared/data/mlog/**.mlog`) runs under the JIT and the interpreter
//! with the same results: same outcome, state (numbers by bits), flushes and memory after every run of a fuel
//! schedule that mixes tiny budgets (1, 2, 8 ...: the game's per-tick budgets, stopping mid-loop) with large
//! ones, until the program ends (wraps), stops, or a total instruction limit; under builds 159 and 154.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use multidustry_mlog::content::ContentTable;
use multidustry_mlog::engine::{Budget, Engine, Exit};
use multidustry_mlog::host::StandaloneHost;
use multidustry_mlog::interp::Interpreter;
use multidustry_mlog::ir::Build;
use multidustry_mlog::jit::JitProgram;
use multidustry_mlog::parse::{ParseOptions, parse_or_empty};
use multidustry_mlog::state::ProcessorState;
use multidustry_mlog::value::Value;

/// Instructions per program and build before the comparison stops (the longest corpus programs run for tens of
/// millions; agreement on a prefix this long exercises all their loops).
const LIMIT: u64 = 300_000;
const SCHEDULE: [u64; 12] = [1, 2, 8, 25, 3, 500, 8, 1, 7919, 8, 40_000, 13];

fn programs(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            // `expected-b154/` holds expected outputs, not programs.
            if p.file_name().is_some_and(|n| n != "expected-b154") {
                programs(&p, out);
            }
        } else if p.extension().is_some_and(|e| e == "mlog") {
            out.push(p);
        }
    }
}

/// Link names a program mentions (`message1`, `cell2`, `bank1`, ...), in first-use order.
fn links_of(src: &str) -> Vec<String> {
    let mut links = Vec::new();
    for tok in src.split(|c: char| c.is_whitespace() || c == ';') {
        let base = tok.trim_end_matches(|c: char| c.is_ascii_digit());
        if base.len() < tok.len()
            && matches!(base, "message" | "cell" | "bank" | "switch" | "display")
            && !links.iter().any(|l| l == tok)
        {
            links.push(tok.to_string());
        }
    }
    links
}

fn check(path: &Path, src: &str, build: Build) -> u64 {
    let links = links_of(src);
    let content = Arc::new(ContentTable::empty());
    let opts = ParseOptions { build, privileged: false, links: &links, content: &content, test_instructions: true };
    let (p, _) = parse_or_empty(src, &opts);
    let jit = JitProgram::compile(&p).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let (mut hi, mut hj) = (StandaloneHost::new(&links), StandaloneHost::new(&links));
    let mut si = ProcessorState::new(&p, 8.0, &mut hi);
    let mut sj = ProcessorState::new(&p, 8.0, &mut hj);
    let mut total = 0;
    for k in 0.. {
        let fuel = SCHEDULE[k % SCHEDULE.len()];
        let b = Budget { fuel, tick_seconds: 1.0 / 60.0, stop_at_wrap: true, stop_at_selfloop: true };
        let oi = Interpreter.run(&p, &mut si, &mut hi, b);
        let oj = jit.run(jit.program(), &mut sj, &mut hj, b);
        let what = format!("{} ({build:?}) run {k}", path.display());
        assert_eq!(oi, oj, "{what}");
        for (i, (x, y)) in si.vars.iter().zip(&sj.vars).enumerate() {
            let same = match (x, y) {
                (Value::Num(a), Value::Num(b)) => a.to_bits() == b.to_bits(),
                _ => x == y,
            };
            assert!(same, "{what}: slot {i} ({}): {x:?} vs {y:?}", p.slots[i].name);
        }
        assert_eq!(si.counter.to_bits(), sj.counter.to_bits(), "{what}: counter");
        assert_eq!(si, sj, "{what}");
        assert_eq!(hi.flushes, hj.flushes, "{what}");
        assert_eq!(hi.blocks, hj.blocks, "{what}");
        total += oi.executed;
        if matches!(oi.exit, Exit::Wrap | Exit::Stop | Exit::SelfLoop | Exit::Empty) || total >= LIMIT {
            break;
        }
    }
    total
}

#[test]
fn jit_agrees_with_interpreter_on_the_corpus() {
    let Some(dir) = multidustry_testdata::dir() else { return };
    let mut files = Vec::new();
    programs(&dir.join("mlog"), &mut files);
    assert!(files.len() >= 60, "corpus has {} programs", files.len());
    let mut executed = 0;
    for f in &files {
        let src = std::fs::read_to_string(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        for build in [Build::B159, Build::B154] {
            executed += check(f, &src, build);
        }
    }
    assert!(executed > 1_000_000, "only {executed} instructions compared");
}
