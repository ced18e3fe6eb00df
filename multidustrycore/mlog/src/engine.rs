//! The execution contract shared by the reference interpreter and the JIT, and the game's per-tick loop on top.
//!
//! Owns: the [`Engine`] trait (`run(program, state, host, budget) -> RunOutcome`), [`Budget`] and [`Exit`]
//! (why a run returned), and [`tick`], the game's `LogicBuild.updateTile` accumulator loop for each build.
//! Does not own: instruction semantics (the interpreter is the reference; the JIT must match it exactly).
//!
//! Contract every engine honours:
//! * `run` executes at most `budget.fuel` instructions and returns how many it executed; every instruction costs 1
//!   (including `noop`, `jump`, unknown ones, and a yielding `wait`/`stop`, which is counted in `executed`);
//! * it can stop between any two instructions and the state then resumes exactly there on the next `run`;
//! * a step first wraps `counter` to 0 if it is outside `[0, n)`; when `budget.stop_at_wrap` is set and that
//!   wrap would happen (and `counter != 0` is not the very first step), `run` returns [`Exit::Wrap`] *before*
//!   wrapping, without executing or counting anything for that step (the state is unchanged, so a later `run`
//!   continues with the wrap);
//! * with `budget.stop_at_selfloop`, executing a `jump` to its own index whose condition holds returns
//!   [`Exit::SelfLoop`] after counting it;
//! * an empty program executes nothing and returns [`Exit::Empty`].

use crate::host::Host;
use crate::ir::{Build, Program};
use crate::state::ProcessorState;

/// Limits of one `run` call.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Budget {
    /// Maximum instructions to execute.
    pub fuel: u64,
    /// Seconds of game time one tick lasts for `wait` timers (`delta / 60`; 1/60 at a steady 60 TPS).
    pub tick_seconds: f64,
    /// Return [`Exit::Wrap`] instead of wrapping `@counter` back to 0.
    pub stop_at_wrap: bool,
    /// Return [`Exit::SelfLoop`] after a taken `jump` to its own index.
    pub stop_at_selfloop: bool,
}

impl Budget {
    /// `fuel` instructions, one 60 TPS tick of `wait` time, no early stops: what the game's tick loop wants.
    #[must_use]
    pub fn fuel(fuel: u64) -> Self {
        Self { fuel, tick_seconds: 1.0 / 60.0, stop_at_wrap: false, stop_at_selfloop: false }
    }
}

/// Why `run` returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// `fuel` instructions were executed.
    Fuel,
    /// A `wait` yielded (it will re-run next time until its timer expires).
    Wait,
    /// A `stop` yielded (it re-runs forever).
    Stop,
    /// A host instruction asked to yield.
    HostYield,
    /// The next step would wrap `@counter` to 0 (only with `stop_at_wrap`).
    Wrap,
    /// A taken `jump` to itself (only with `stop_at_selfloop`).
    SelfLoop,
    /// The program has no instructions.
    Empty,
}

impl Exit {
    /// Did the run end on a yielding instruction (which the tick loop treats specially)?
    #[must_use]
    pub fn yielded(self) -> bool {
        matches!(self, Exit::Wait | Exit::Stop | Exit::HostYield)
    }
}

/// Result of one `run`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunOutcome {
    /// Instructions executed (a yielding instruction is included).
    pub executed: u64,
    /// Why it returned.
    pub exit: Exit,
}

/// An execution engine: the reference interpreter ([`crate::interp::Interpreter`]) or the JIT.
pub trait Engine {
    /// Runs `program` on `state` until the budget, a yield, or a requested early stop. See the module docs.
    fn run(&self, program: &Program, state: &mut ProcessorState, host: &mut dyn Host, budget: Budget) -> RunOutcome;
}

/// The game caps the accumulator at this many ticks' worth of instructions (`maxInstructionScale`).
pub const MAX_INSTRUCTION_SCALE: f64 = 5.0;

/// One game tick of a processor: the accumulator loop of `LogicBuild.updateTile` for `program.build`.
///
/// `delta` is the tick delta times time scale times efficiency (1.0 at a steady 60 TPS with no overdrive).
/// Uses `state.ipt` as instructions per tick. Returns the run outcome of the tick (with `Exit::Fuel` and
/// `executed == 0` when the budget was below one instruction).
#[inline]
pub fn tick(
    engine: &dyn Engine,
    program: &Program,
    state: &mut ProcessorState,
    host: &mut dyn Host,
    delta: f64,
) -> RunOutcome {
    let ipt = state.ipt;
    let cap = MAX_INSTRUCTION_SCALE * ipt;
    // Whole instructions of an accumulator of at least 1: the cast truncates, which is `floor` for positive
    // numbers (and saturates an infinite one), without a libm call on baseline x86_64.
    let budget = |fuel: f64| Budget { fuel: fuel.max(0.0) as u64, ..Budget::fuel(0) };
    match program.build {
        Build::B159 => {
            // master: cap, run while acc >= 1 (a yield breaks without consuming), then add delta * ipt.
            state.accumulator = state.accumulator.min(cap);
            let mut out = RunOutcome { executed: 0, exit: Exit::Fuel };
            if state.accumulator >= 1.0 {
                let mut b = budget(state.accumulator);
                b.tick_seconds = delta / 60.0;
                out = engine.run(program, state, host, b);
                let consumed = if out.exit.yielded() { out.executed.saturating_sub(1) } else { out.executed };
                state.accumulator -= consumed as f64;
            }
            state.accumulator += delta * ipt;
            out
        }
        Build::B154 => {
            // b154: add delta * ipt, cap, then run; a yielding instruction consumes budget too.
            state.accumulator = (state.accumulator + delta * ipt).min(cap);
            if state.accumulator < 1.0 {
                return RunOutcome { executed: 0, exit: Exit::Fuel };
            }
            let mut b = budget(state.accumulator);
            b.tick_seconds = delta / 60.0;
            let out = engine.run(program, state, host, b);
            state.accumulator -= out.executed as f64;
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::content::ContentTable;
    use crate::host::StandaloneHost;
    use crate::interp::Interpreter;
    use crate::parse::{ParseOptions, parse};

    fn prog(src: &str, build: Build) -> Program {
        let links = vec!["message1".to_string()];
        let content = Arc::new(ContentTable::empty());
        let opts =
            ParseOptions { build, privileged: false, links: &links, content: &content, test_instructions: false };
        parse(src, &opts).expect("parses")
    }

    #[test]
    fn tick_budget_and_yield_accounting_per_build() {
        // master runs before adding the tick's budget (nothing on the first tick); b154 adds first.
        for (build, want) in [(Build::B159, [0u64, 8, 8, 8]), (Build::B154, [8, 8, 8, 8])] {
            let p = prog("noop\nop add n n 1\njump 1 always\n", build);
            let mut host = StandaloneHost::new(&["message1"]);
            let mut s = ProcessorState::new(&p, 8.0, &mut host);
            let got: Vec<u64> = (0..4).map(|_| tick(&Interpreter, &p, &mut s, &mut host, 1.0).executed).collect();
            assert_eq!(got, want, "{build:?}");
        }
        // A yielding instruction: master does not charge it, b154 does.
        for (build, start, left) in [(Build::B159, 8.0, 13.0), (Build::B154, 0.0, 4.0)] {
            let p = prog("op add n n 1\nop add n n 1\nop add n n 1\nstop\n", build);
            let mut host = StandaloneHost::new(&["message1"]);
            let mut s = ProcessorState::new(&p, 8.0, &mut host);
            s.accumulator = start;
            let out = tick(&Interpreter, &p, &mut s, &mut host, 1.0);
            assert_eq!(out.exit, Exit::Stop);
            assert_eq!(out.executed, 4);
            assert_eq!(s.accumulator, left, "{build:?}");
        }
    }

    #[test]
    fn printchar_of_content_appends_what_a_java_server_appends() {
        // The dedicated server has no icon table: `emojiChar()` is 0 for every content object.
        let links = vec!["message1".to_string()];
        let mut table = ContentTable::empty();
        table.push(crate::value::ContentKind::Item, "copper");
        let content = Arc::new(table);
        let opts = ParseOptions::new(Build::B159, false, &links, &content);
        let p = parse(
            "printchar @copper\nprintchar 65\nprintchar @sharded\nprintchar null\nprintflush message1\nstop\n",
            &opts,
        )
        .expect("parses");
        assert_flushes_in_both_engines(&p, 6, &["\u{0}A"]);
    }

    #[test]
    fn world_message_consumes_the_text_buffer_in_both_engines() {
        let links = vec!["message1".to_string()];
        let content = Arc::new(ContentTable::empty());
        let opts = ParseOptions::new(Build::B159, true, &links, &content);
        let p =
            parse("print 1\nmessage announce 3 @wait\nprint 2\nprintflush message1\nstop\n", &opts).expect("parses");
        assert_flushes_in_both_engines(&p, 5, &["2"]);
    }

    /// Runs `p` for `fuel` instructions in the interpreter and in the JIT, each with a fresh host linked to
    /// `message1`, and checks the texts flushed.
    fn assert_flushes_in_both_engines(p: &Program, fuel: u64, want: &[&str]) {
        let jit = crate::jit::JitProgram::compile(p).expect("compiles");
        for engine in [&Interpreter as &dyn Engine, &jit] {
            let mut host = StandaloneHost::new(&["message1"]);
            let mut s = ProcessorState::new(p, 8.0, &mut host);
            engine.run(p, &mut s, &mut host, Budget::fuel(fuel));
            assert_eq!(host.flushes.iter().map(|f| f.text.as_str()).collect::<Vec<_>>(), want);
        }
    }

    #[test]
    fn accumulator_is_capped_at_five_ticks() {
        let p = prog("op add n n 1\n", Build::B159);
        let mut host = StandaloneHost::new(&["message1"]);
        let mut s = ProcessorState::new(&p, 8.0, &mut host);
        s.accumulator = 1000.0;
        let out = tick(&Interpreter, &p, &mut s, &mut host, 1.0);
        assert_eq!(out.executed, 40);
    }

    #[test]
    fn snapshot_mid_program_resumes_identically() {
        let src = "set a 0\nloop:\nop add a a 1\nprint a\nprint \",\"\njump skip lessThan a 5\nprintflush message1\nset a 0\nskip:\nwait 0.05\njump loop always\n";
        let p = prog(src, Build::B159);
        let run = |split: Option<usize>| -> (Vec<String>, ProcessorState) {
            let mut host = StandaloneHost::new(&["message1"]);
            let mut s = ProcessorState::new(&p, 8.0, &mut host);
            for t in 0..200 {
                if Some(t) == split {
                    let json = serde_json::to_string(&s).expect("serializes");
                    s = serde_json::from_str(&json).expect("deserializes");
                }
                tick(&Interpreter, &p, &mut s, &mut host, 1.0);
            }
            (host.flushes.iter().map(|f| f.text.clone()).collect(), s)
        };
        let (a, sa) = run(None);
        assert!(a.len() >= 3, "the program flushes: {a:?}");
        for split in [1, 7, 33, 101] {
            let (b, sb) = run(Some(split));
            assert_eq!(a, b);
            assert_eq!(sa, sb);
        }
    }
}
