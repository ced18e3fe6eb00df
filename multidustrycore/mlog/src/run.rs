//! Running one program alone to completion: the loop behind `multidustry mlog run` and the corpus harness.
//!
//! Owns: [`run_to_end`] — ticks a program on any [`Engine`] with a [`StandaloneHost`] until it stops (`stop`),
//! reaches the N-th wrap of `@counter` back to 0, executes a `jump` to itself, or hits an instruction or tick
//! limit; [`RunConfig`] and [`RunReport`].
//! Does not own: semantics (engines) or the world (a standalone host has only linked blocks).
//!
//! Two modes, as the build-154 oracle (`shared/data/mlog/expected-b154/README.md`):
//! * **fast** (`ipt = None`): every tick runs until a yield (`wait`/`stop`), no per-tick limit;
//! * **ticks** (`ipt = Some(n)`): the game's accumulator loop of `program.build` with n instructions per tick.

use std::time::Instant;

use crate::engine::{Budget, Engine, Exit, MAX_INSTRUCTION_SCALE};
use crate::host::StandaloneHost;
use crate::ir::{Build, Program};
use crate::state::ProcessorState;

/// Why a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Termination {
    /// A `stop` ran.
    Stop,
    /// The `wraps`-th wrap of the counter back to 0 was about to happen.
    End,
    /// A taken `jump` to its own index.
    SelfLoop,
    /// The instruction limit was reached.
    Budget,
    /// The tick limit was reached.
    Ticks,
    /// Nothing to run (parse error or empty program).
    Empty,
}

impl Termination {
    /// Lower-case name (`stop`, `end`, `selfloop`, `budget`, `ticks`, `empty`).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Stop => "stop",
            Self::End => "end",
            Self::SelfLoop => "selfloop",
            Self::Budget => "budget",
            Self::Ticks => "ticks",
            Self::Empty => "empty",
        }
    }
}

/// Limits of a run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunConfig {
    /// `None` = fast mode; `Some(ipt)` = the game's per-tick loop with this many instructions per tick.
    pub ipt: Option<f64>,
    /// Stop at this wrap of `@counter` to 0 (1 = the first time the program ends).
    pub wraps: u64,
    /// Stop after this many instructions.
    pub max_instructions: u64,
    /// Stop after this many ticks.
    pub max_ticks: u64,
}

impl Default for RunConfig {
    fn default() -> Self {
        Self { ipt: None, wraps: 1, max_instructions: 50_000_000, max_ticks: 1_000_000 }
    }
}

/// What a run did.
#[derive(Debug, Clone, PartialEq)]
pub struct RunReport {
    /// Why it ended.
    pub termination: Termination,
    /// Instructions executed.
    pub executed: u64,
    /// Ticks run (the tick in progress when it ended counts).
    pub ticks: u64,
    /// Wall-clock time inside the engine loop.
    pub elapsed_ns: u128,
}

/// Runs `program` on `state` with `host` until it terminates (see the module docs).
pub fn run_to_end(
    engine: &dyn Engine,
    program: &Program,
    state: &mut ProcessorState,
    host: &mut StandaloneHost,
    cfg: &RunConfig,
) -> RunReport {
    let start = Instant::now();
    let mut executed = 0u64;
    let mut ticks = 0u64;
    let mut wraps = 0u64;
    let termination = 'run: loop {
        if program.instrs.is_empty() {
            break Termination::Empty;
        }
        if ticks >= cfg.max_ticks {
            break Termination::Ticks;
        }
        ticks += 1;
        host.tick += 1.0;
        // The tick's budget.
        let mut allowance = match cfg.ipt {
            None => u64::MAX,
            Some(ipt) => {
                let cap = MAX_INSTRUCTION_SCALE * ipt;
                if program.build == Build::B154 {
                    state.accumulator = (state.accumulator + ipt).min(cap);
                } else {
                    state.accumulator = state.accumulator.min(cap);
                }
                state.accumulator.max(0.0).floor() as u64
            }
        };
        let mut used_this_tick = 0u64;
        let mut yielded = false;
        loop {
            let remaining = cfg.max_instructions.saturating_sub(executed);
            if remaining == 0 {
                break 'run Termination::Budget;
            }
            let fuel = allowance.min(remaining);
            if fuel == 0 {
                break;
            }
            let budget = Budget { fuel, tick_seconds: 1.0 / 60.0, stop_at_wrap: true, stop_at_selfloop: true };
            let out = engine.run(program, state, host, budget);
            executed += out.executed;
            used_this_tick += out.executed;
            allowance = allowance.saturating_sub(out.executed);
            match out.exit {
                Exit::Fuel => {
                    if executed >= cfg.max_instructions {
                        break 'run Termination::Budget;
                    }
                    break;
                }
                Exit::Wrap => {
                    wraps += 1;
                    if wraps >= cfg.wraps {
                        break 'run Termination::End;
                    }
                    state.counter = 0.0;
                }
                Exit::Stop => break 'run Termination::Stop,
                Exit::SelfLoop => break 'run Termination::SelfLoop,
                Exit::Empty => break 'run Termination::Empty,
                Exit::Wait | Exit::HostYield => {
                    yielded = true;
                    break;
                }
            }
        }
        if cfg.ipt.is_some() {
            // master: a yielding instruction does not consume budget; b154: it does.
            let consumed =
                if yielded && program.build == Build::B159 { used_this_tick.saturating_sub(1) } else { used_this_tick };
            state.accumulator -= consumed as f64;
            if program.build == Build::B159 {
                state.accumulator += cfg.ipt.unwrap_or(0.0);
            }
        }
    };
    RunReport { termination, executed, ticks, elapsed_ns: start.elapsed().as_nanos() }
}
