//! Fuzz target: arbitrary text → parse → JIT compile → run under fuel, against the interpreter.
//! Checks: compilation never fails on a parsed program, nothing panics or crashes, fuel always stops the
//! program (every run returns having executed at most its budget), and both engines agree on outcome and state.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use multidustry_mlog::content::ContentTable;
use multidustry_mlog::engine::{Budget, Engine};
use multidustry_mlog::host::StandaloneHost;
use multidustry_mlog::interp::Interpreter;
use multidustry_mlog::ir::Build;
use multidustry_mlog::jit::JitProgram;
use multidustry_mlog::parse::{ParseOptions, parse_or_empty};
use multidustry_mlog::state::ProcessorState;

const LINKS: [&str; 3] = ["message1", "cell1", "bank1"];

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else { return };
    let Ok(src) = std::str::from_utf8(rest) else { return };
    let links: Vec<String> = LINKS.iter().map(|s| (*s).to_string()).collect();
    let content = Arc::new(ContentTable::empty());
    let build = if sel & 1 == 0 { Build::B159 } else { Build::B154 };
    let opts =
        ParseOptions { build, privileged: sel & 2 != 0, links: &links, content: &content, test_instructions: false };
    let (p, _) = parse_or_empty(src, &opts);
    let jit = JitProgram::compile(&p).expect("every parsed program compiles");
    let (mut hi, mut hj) = (StandaloneHost::new(&LINKS), StandaloneHost::new(&LINKS));
    let mut si = ProcessorState::new(&p, 8.0, &mut hi);
    let mut sj = ProcessorState::new(&p, 8.0, &mut hj);
    for k in 0..24u64 {
        let fuel = [1, 8, 2, 25, 500, 3][(k as usize + usize::from(sel >> 4)) % 6];
        let b = Budget { fuel, tick_seconds: 1.0 / 60.0, stop_at_wrap: sel & 4 != 0, stop_at_selfloop: sel & 8 != 0 };
        let oi = Interpreter.run(&p, &mut si, &mut hi, b);
        let oj = jit.run(jit.program(), &mut sj, &mut hj, b);
        assert!(oj.executed <= fuel, "fuel did not stop the program");
        assert_eq!(oi, oj);
        assert_eq!(si, sj);
        assert_eq!(hi.flushes, hj.flushes);
    }
});
