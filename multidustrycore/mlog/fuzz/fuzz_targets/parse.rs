//! Parser fuzz target: any text, both builds, normal and privileged, with and without test instructions.
//! Checks the parser never panics, keeps its invariants (≤ 1000 instructions, every slot operand in range,
//! no write into a constant), and that the interpreter then runs 2,000 instructions of the result without
//! panicking.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use multidustry_mlog::content::ContentTable;
use multidustry_mlog::engine::{Budget, Engine};
use multidustry_mlog::host::StandaloneHost;
use multidustry_mlog::interp::Interpreter;
use multidustry_mlog::ir::{Build, Dst, Instr, MAX_INSTRUCTIONS, SlotKind, Src};
use multidustry_mlog::parse::{ParseOptions, parse_or_empty};
use multidustry_mlog::state::ProcessorState;

fn check_src(n: usize, s: &Src) {
    if let Src::Slot(i) = s {
        assert!((*i as usize) < n, "slot {i} out of range {n}");
    }
}

fn check_dst(p: &multidustry_mlog::ir::Program, d: &Dst) {
    if let Dst::Slot(i) = d {
        let info = &p.slots[*i as usize];
        assert!(matches!(info.kind, SlotKind::Var), "write into non-variable {info:?}");
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else { return };
    let src = String::from_utf8_lossy(rest);
    let build = if flags & 1 == 0 { Build::B159 } else { Build::B154 };
    let links: Vec<String> = ["message1", "cell1", "bank1", "switch1", "display1"].map(String::from).to_vec();
    let content = Arc::new(ContentTable::empty());
    let opts = ParseOptions {
        build,
        privileged: flags & 2 != 0,
        links: &links,
        content: &content,
        test_instructions: flags & 4 != 0,
    };
    let (p, _err) = parse_or_empty(&src, &opts);
    assert!(p.instrs.len() <= MAX_INSTRUCTIONS);
    let n = p.slots.len();
    for ins in &p.instrs {
        match ins {
            Instr::Set { dst, src } => {
                check_dst(&p, dst);
                check_src(n, src);
            }
            Instr::Op { dst, a, b, .. } => {
                check_dst(&p, dst);
                check_src(n, a);
                check_src(n, b);
            }
            Instr::Jump { a, b, .. } => {
                check_src(n, a);
                check_src(n, b);
            }
            Instr::Read { dst, target, index } => {
                check_dst(&p, dst);
                check_src(n, target);
                check_src(n, index);
            }
            _ => {}
        }
    }
    let mut host = StandaloneHost::new(&links);
    let mut state = ProcessorState::new(&p, 8.0, &mut host);
    let out = Interpreter.run(&p, &mut state, &mut host, Budget::fuel(2_000));
    assert!(out.executed <= 2_000);
});
