//! The cranelift JIT: compiles a [`Program`] to machine code that runs under exact fuel metering and agrees with
//! the reference interpreter on every observable result.
//!
//! Owns: [`JitProgram`] (one compiled program, an [`Engine`] for that program), [`Jit`] (an [`Engine`] for any
//! program, compiling on first use and caching), and the run loop that joins compiled code, the interpreter
//! fallback for fractional `@counter` values, and the [`Budget`] rules.
//! Does not own: semantics (the interpreter, [`crate::interp`], defines them; instructions compiled code does
//! not inline are executed by the interpreter through the slow helper) or the state, which stays the shared
//! serializable [`ProcessorState`], so a processor can be snapshotted and continued by either engine at any
//! instruction boundary.
//!
//! How a run works:
//! ```text
//!  run(fuel) ─▶ counter integral or out of range? ── yes ─▶ machine code (fuel) ─▶ Fuel/Wait/Stop/Wrap/... ─▶ done
//!                     │ no (fractional)                        │ FALLBACK (a jump made the counter fractional)
//!                     ▼                                        ▼
//!              interpreter, 1 instruction ◀────────────────────┘  (loop until fuel or an exit)
//! ```
//! Compiled code debits one unit of fuel before every instruction and can return between any two; it keeps the
//! program counter implicit and stores it into `state.counter` when it returns, so the next run resumes exactly
//! there. Inline: `set`, `select`, numeric `op` (every kind; non-trivial ones call [`crate::ops::num_op`], the
//! interpreter's own function), `jump`, `end`, `noop`; strings, object equality, globals and every other
//! instruction go to the interpreter one instruction at a time (see [`codegen`]).
//!
//! Invariants: a [`JitProgram`] runs only the program it was compiled from (checked on every run, with a fallback
//! to the interpreter otherwise) and only on a state whose `vars` has that program's slot count (the compiled
//! code's memory safety rests on it).

mod cache;
mod codegen;
mod runtime;

use std::sync::{Arc, Mutex};

use crate::engine::{Budget, Engine, Exit, RunOutcome};
use crate::host::Host;
use crate::interp::Interpreter;
use crate::ir::Program;
use crate::state::ProcessorState;

/// Why a program could not be compiled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JitError {
    /// Cranelift rejected the function or the host ISA is unsupported.
    #[error("jit code generation failed: {0}")]
    Codegen(String),
}

/// One program compiled to machine code. Runs that program only (see [`Engine::run`] below).
#[derive(Debug)]
pub struct JitProgram {
    program: Program,
    compiled: Option<codegen::Compiled>,
}

impl JitProgram {
    /// Compiles `program` (keeps a copy to check that runs pass the same program).
    pub fn compile(program: &Program) -> Result<Self, JitError> {
        let compiled = if program.instrs.is_empty() { None } else { Some(codegen::compile(program)?) };
        Ok(Self { program: program.clone(), compiled })
    }

    /// The program this was compiled from.
    #[must_use]
    pub fn program(&self) -> &Program {
        &self.program
    }

    /// Runs the compiled program on `state` (which must belong to it; otherwise the interpreter runs it).
    #[inline]
    pub fn run_state(&self, state: &mut ProcessorState, host: &mut dyn Host, budget: Budget) -> RunOutcome {
        let Some(compiled) = &self.compiled else {
            return Interpreter.run(&self.program, state, host, budget);
        };
        if state.vars.len() != self.program.slots.len() {
            // Not a state of this program: compiled slot offsets would be out of bounds.
            return Interpreter.run(&self.program, state, host, budget);
        }
        run_compiled(compiled, &self.program, state, host, budget)
    }
}

impl Engine for JitProgram {
    /// Runs with machine code when `program` is the compiled one (same object, or equal), else with the
    /// interpreter.
    #[inline]
    fn run(&self, program: &Program, state: &mut ProcessorState, host: &mut dyn Host, budget: Budget) -> RunOutcome {
        if std::ptr::eq(program, &self.program) || *program == self.program {
            self.run_state(state, host, budget)
        } else {
            Interpreter.run(program, state, host, budget)
        }
    }
}

/// How many compiled programs [`Jit`] keeps.
const CACHE_SIZE: usize = 32;

/// An [`Engine`] for any program: compiles each distinct program on first use and keeps the last
/// [`CACHE_SIZE`] compiled. Finding the compiled code compares the program with the cached copies, which costs
/// time proportional to the program; a host that runs one program many times should hold a [`JitProgram`].
/// A program cranelift cannot compile runs in the interpreter.
#[derive(Debug, Default)]
pub struct Jit {
    cache: Mutex<Vec<Arc<JitProgram>>>,
}

impl Jit {
    /// An engine with an empty cache.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The compiled form of `program` (compiling it now if it is not cached).
    pub fn compiled(&self, program: &Program) -> Result<Arc<JitProgram>, JitError> {
        let mut cache = self.cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(pos) = cache.iter().position(|c| c.program == *program) {
            let hit = cache.remove(pos);
            cache.push(Arc::clone(&hit));
            return Ok(hit);
        }
        let compiled = Arc::new(JitProgram::compile(program)?);
        if cache.len() >= CACHE_SIZE {
            cache.remove(0);
        }
        cache.push(Arc::clone(&compiled));
        Ok(compiled)
    }
}

impl Engine for Jit {
    fn run(&self, program: &Program, state: &mut ProcessorState, host: &mut dyn Host, budget: Budget) -> RunOutcome {
        match self.compiled(program) {
            Ok(c) => c.run_state(state, host, budget),
            Err(_) => Interpreter.run(program, state, host, budget),
        }
    }
}

/// The run loop: machine code while the counter is an integer (or out of range, which compiled code wraps),
/// the interpreter one instruction at a time while it is fractional (or `-0.0`, which the interpreter keeps
/// as is when it runs out of fuel, while compiled code would store `0.0`).
#[inline]
fn run_compiled(
    compiled: &codegen::Compiled,
    program: &Program,
    state: &mut ProcessorState,
    host: &mut dyn Host,
    budget: Budget,
) -> RunOutcome {
    let n = program.instrs.len() as f64;
    let start = state.executed;
    let total = budget.fuel.min(i64::MAX as u64);
    let mut fuel = total;
    let exit = loop {
        if fuel == 0 {
            break Exit::Fuel;
        }
        let c = state.counter;
        // (`c as u64` is exact for an integral `c` in range: a cheaper `c.fract() != 0.0`.)
        if c >= 0.0 && c < n && ((c as u64) as f64 != c || c.is_sign_negative()) {
            let step = Budget { fuel: 1, ..budget };
            let out = Interpreter.run(program, state, host, step);
            fuel -= out.executed;
            if out.exit != Exit::Fuel {
                break out.exit;
            }
            continue;
        }
        let (remaining, code) = runtime::call_compiled(compiled.func, program, state, host, &budget, fuel as i64);
        fuel = remaining.max(0) as u64;
        match code {
            runtime::exit::FALLBACK => continue,
            runtime::exit::FUEL => break Exit::Fuel,
            runtime::exit::WAIT => break Exit::Wait,
            runtime::exit::STOP => break Exit::Stop,
            runtime::exit::HOST_YIELD => break Exit::HostYield,
            runtime::exit::WRAP => break Exit::Wrap,
            _ => break Exit::SelfLoop,
        }
    };
    let executed = total - fuel;
    state.executed = start + executed;
    RunOutcome { executed, exit }
}

#[cfg(test)]
mod tests;
