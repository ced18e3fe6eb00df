//! The boundary between compiled code and Rust: the context block compiled code reads, the `extern "C"` helpers it
//! calls, the memory layout of [`Value`] it relies on, and the one place that calls into machine code.
//!
//! Owns: [`Ctx`] (a `#[repr(C)]` block: variable array, counter pointer, exit code, run flags, and the raw
//! pointers the helpers turn back into `&mut`), the helper table registered with the JIT module, the layout
//! constants ([`VALUE_SIZE`], [`NUM_OFFSET`], the `TAG_*` discriminants), and [`call_compiled`].
//! Does not own: code generation (see [`super::codegen`]) or the run loop (see [`super`]).
//!
//! Invariants:
//! * `Value` is `#[repr(C, u8)]`: byte 0 is the discriminant in declaration order, the payload union starts at
//!   byte 8; `tag_of` matches every variant without a wildcard, so adding a variant fails to compile here
//!   until its tag and drop behaviour are classified; `layout_matches_the_compiled_code` checks the bytes.
//! * Only `Value::Str` owns heap memory. Compiled code never overwrites a slot whose tag is `TAG_STR` and never
//!   copies one (it hands such instructions to the slow helper), so it cannot leak or double-free an `Arc`.
//! * While compiled code runs, the `ProcessorState`, `Program` and `Host` behind a `Ctx` are reached only
//!   through the `Ctx` (by compiled code and by helpers it calls), never through other references.
//! * Helpers never unwind into machine code: a panic in the interpreter or in `ops` is caught, stored in the
//!   `Ctx`, compiled code is made to return, and the panic is resumed in Rust, so a bug surfaces as the same
//!   panic the interpreter would raise instead of aborting the process.

use std::mem::offset_of;
use std::panic::AssertUnwindSafe;

use crate::engine::{Budget, Engine, Exit};
use crate::host::Host;
use crate::interp::Interpreter;
use crate::ir::{OpKind, Program};
use crate::ops;
use crate::state::ProcessorState;
use crate::value::Value;

/// Size of one variable slot in `ProcessorState::vars`.
pub(crate) const VALUE_SIZE: i32 = 24;
/// Offset of the `f64` of `Value::Num` (and of every payload) inside a slot.
pub(crate) const NUM_OFFSET: i32 = 8;
/// Discriminant of `Value::Null`.
pub(crate) const TAG_NULL: i64 = 0;
/// Discriminant of `Value::Num`.
pub(crate) const TAG_NUM: i64 = 1;
/// Discriminant of `Value::Str` (the only variant with drop glue).
pub(crate) const TAG_STR: i64 = 2;

const _: () = assert!(std::mem::size_of::<Value>() == VALUE_SIZE as usize);

/// The discriminant compiled code sees for `v`. Exhaustive on purpose: a new `Value` variant must be
/// classified here (tag, and whether it owns memory — only `TAG_STR` may).
pub(crate) fn tag_of(v: &Value) -> i64 {
    match v {
        Value::Null => TAG_NULL,
        Value::Num(_) => TAG_NUM,
        Value::Str(_) => TAG_STR,
        Value::Content(..) => 3,
        Value::Team(_) => 4,
        Value::Sensor(_) => 5,
        Value::Key(_) => 6,
        Value::Building(_) => 7,
        Value::Unit(_) => 8,
    }
}

/// Exit codes compiled code leaves in [`Ctx::exit`].
pub(crate) mod exit {
    /// Fuel ran out; the counter points at the next instruction.
    pub const FUEL: u32 = 0;
    /// A `wait` yielded (set by the slow helper).
    pub const WAIT: u32 = 1;
    /// A `stop` yielded.
    pub const STOP: u32 = 2;
    /// A host instruction yielded.
    pub const HOST_YIELD: u32 = 3;
    /// The next step would wrap and the run asked to stop there.
    pub const WRAP: u32 = 4;
    /// A taken self-jump with `stop_at_selfloop`.
    pub const SELF_LOOP: u32 = 5;
    /// The counter is not an integer: the run loop steps the interpreter until it is.
    pub const FALLBACK: u32 = 6;
}

/// Return codes of [`jit_slow`].
pub(crate) mod slow {
    /// Continue with the next instruction (`@counter` is `i + 1`).
    pub const NEXT: u32 = 0;
    /// `@counter` was changed: dispatch on it.
    pub const DISPATCH: u32 = 1;
    /// Return from compiled code ([`super::Ctx::exit`] says why).
    pub const EXIT: u32 = 2;
}

/// Context block passed to compiled code. The first fields are read and written by machine code at the offsets
/// below; the rest is only touched by helpers.
#[repr(C)]
pub(crate) struct Ctx {
    /// `state.vars.as_mut_ptr()`.
    pub vars: *mut Value,
    /// `&mut state.counter`.
    pub counter: *mut f64,
    /// Why compiled code returned (one of [`exit`]).
    pub exit: u32,
    /// `Budget::stop_at_wrap` (0/1).
    pub stop_at_wrap: u8,
    /// `Budget::stop_at_selfloop` (0/1).
    pub stop_at_selfloop: u8,
    /// Seconds of game time of this tick (for `wait`).
    pub tick_seconds: f64,
    state: *mut ProcessorState,
    program: *const Program,
    host: *mut dyn Host,
    /// A panic caught in a helper, re-raised after compiled code returns (unwinding through machine code is
    /// impossible; an `extern "C"` function that unwinds aborts the process).
    panic: Option<Box<dyn std::any::Any + Send>>,
}

/// Offset of [`Ctx::vars`].
pub(crate) const CTX_VARS: i32 = offset_of!(Ctx, vars) as i32;
/// Offset of [`Ctx::counter`].
pub(crate) const CTX_COUNTER: i32 = offset_of!(Ctx, counter) as i32;
/// Offset of [`Ctx::exit`].
pub(crate) const CTX_EXIT: i32 = offset_of!(Ctx, exit) as i32;
/// Offset of [`Ctx::stop_at_wrap`].
pub(crate) const CTX_STOP_AT_WRAP: i32 = offset_of!(Ctx, stop_at_wrap) as i32;
/// Offset of [`Ctx::stop_at_selfloop`].
pub(crate) const CTX_STOP_AT_SELFLOOP: i32 = offset_of!(Ctx, stop_at_selfloop) as i32;

/// Signature of a compiled program: `(ctx, fuel) -> remaining fuel`, exit reason in `ctx.exit`, the next
/// instruction in `*ctx.counter`.
pub(crate) type CompiledFn = unsafe extern "C" fn(*mut Ctx, i64) -> i64;

/// Slow path: runs instruction `i` with the reference interpreter (one instruction of fuel). Used for every
/// instruction, or operand combination, that compiled code does not handle inline.
extern "C" fn jit_slow(ctx: *mut Ctx, i: u32) -> u32 {
    // SAFETY: `ctx` is the pointer `call_compiled` passed to compiled code, which passes it on unchanged; the
    // `Ctx` and the state/program/host it points to outlive the call, and nothing else accesses them while
    // compiled code runs (module invariant). Compiled code holds no Rust references across this call.
    #[allow(unsafe_code)]
    let ctx = unsafe { &mut *ctx };
    if ctx.panic.is_some() {
        ctx.exit = exit::FUEL;
        return slow::EXIT;
    }
    match std::panic::catch_unwind(AssertUnwindSafe(|| slow_step(ctx, i))) {
        Ok(code) => code,
        Err(payload) => {
            ctx.panic = Some(payload);
            ctx.exit = exit::FUEL;
            slow::EXIT
        }
    }
}

fn slow_step(ctx: &mut Ctx, i: u32) -> u32 {
    // SAFETY: see `jit_slow`; these are the only live references to the state, program and host.
    #[allow(unsafe_code)]
    let (state, program, host) = unsafe { (&mut *ctx.state, &*ctx.program, &mut *ctx.host) };
    // Memory and message instructions (never yielding) run without the interpreter's loop: the same code.
    if let Some(instr) = program.instrs.get(i as usize)
        && matches!(
            instr,
            crate::ir::Instr::Read { .. } | crate::ir::Instr::Write { .. } | crate::ir::Instr::PrintFlush { .. }
        )
    {
        let next = f64::from(i) + 1.0;
        state.counter = next;
        if !crate::interp::run_io_fast(state, host, instr) {
            crate::interp::run_io(program, state, host, instr);
        }
        ctx.vars = state.vars.as_mut_ptr();
        return if state.counter == next { slow::NEXT } else { slow::DISPATCH };
    }
    state.counter = f64::from(i);
    let budget = Budget {
        fuel: 1,
        tick_seconds: ctx.tick_seconds,
        stop_at_wrap: false,
        stop_at_selfloop: ctx.stop_at_selfloop != 0,
    };
    let out = Interpreter.run(program, state, host, budget);
    // The interpreter may not resize `vars`, but refresh the pointer compiled code reloads after this call.
    ctx.vars = state.vars.as_mut_ptr();
    let code = match out.exit {
        Exit::Fuel => {
            return if state.counter == f64::from(i) + 1.0 { slow::NEXT } else { slow::DISPATCH };
        }
        Exit::Wait => exit::WAIT,
        Exit::Stop => exit::STOP,
        Exit::HostYield => exit::HOST_YIELD,
        Exit::SelfLoop => exit::SELF_LOOP,
        // Neither can happen for one in-range instruction; dispatching re-checks the counter either way.
        Exit::Wrap | Exit::Empty => return slow::DISPATCH,
    };
    ctx.exit = code;
    slow::EXIT
}

/// Every `op` kind, in the order of the index compiled code passes to [`jit_num_op`]. A kind missing here is
/// simply never compiled inline (the slow helper runs it).
pub(crate) const OPS: [OpKind; 45] = {
    use OpKind::*;
    [
        Add,
        Sub,
        Mul,
        Div,
        Idiv,
        Mod,
        Emod,
        Pow,
        Equal,
        NotEqual,
        Land,
        LessThan,
        LessThanEq,
        GreaterThan,
        GreaterThanEq,
        StrictEqual,
        Shl,
        Shr,
        Ushr,
        Or,
        And,
        Xor,
        Not,
        Max,
        Min,
        Angle,
        AngleDiff,
        Len,
        Noise,
        Abs,
        Sign,
        Log,
        Logn,
        Log10,
        Floor,
        Ceil,
        Round,
        Sqrt,
        Rand,
        Sin,
        Cos,
        Tan,
        Asin,
        Acos,
        Atan,
    ]
};

/// Index of `op` in [`OPS`].
pub(crate) fn op_index(op: OpKind) -> Option<u32> {
    OPS.iter().position(|k| *k == op).and_then(|i| u32::try_from(i).ok())
}

/// `op` on two numbers through the interpreter's own [`ops::num_op`] (raw result; compiled code applies
/// `setnum`). Used for every kind compiled code does not open-code.
extern "C" fn jit_num_op(ctx: *mut Ctx, kind: u32, a: f64, b: f64) -> f64 {
    // SAFETY: as in `jit_slow`: `ctx` is live and its host is reached only through it during the call.
    #[allow(unsafe_code)]
    let ctx = unsafe { &mut *ctx };
    if ctx.panic.is_some() {
        return f64::NAN;
    }
    // SAFETY: as above; the host is reached only through `ctx` during the call.
    #[allow(unsafe_code)]
    let host = unsafe { &mut *ctx.host };
    let Some(k) = OPS.get(kind as usize) else { return f64::NAN };
    match std::panic::catch_unwind(AssertUnwindSafe(|| ops::num_op(*k, a, b, host))) {
        Ok(r) => r,
        Err(payload) => {
            // Re-raised by `call_compiled` once compiled code has returned (the next slow call exits).
            ctx.panic = Some(payload);
            f64::NAN
        }
    }
}

/// Java `%` on doubles (C `fmod`), as [`ops::num_op`] computes `mod`.
extern "C" fn jit_fmod(a: f64, b: f64) -> f64 {
    ops::fmod(a, b)
}

/// Name and address of `fmod(a: f64, b: f64) -> f64`.
pub(crate) fn fmod_helper() -> (&'static str, *const u8) {
    ("mlog_jit_fmod", jit_fmod as *const u8)
}

/// Name and address of `num_op(ctx: ptr, kind: u32, a: f64, b: f64) -> f64`.
pub(crate) fn num_op_helper() -> (&'static str, *const u8) {
    ("mlog_jit_num_op", jit_num_op as *const u8)
}

/// Name and address of the slow-path helper `(ctx: ptr, i: u32) -> u32`.
pub(crate) fn slow_helper() -> (&'static str, *const u8) {
    ("mlog_jit_slow", jit_slow as *const u8)
}

/// Runs compiled code from the instruction at `state.counter` (an integer in `[0, n)`) for at most `fuel`
/// instructions. Returns `(remaining fuel, exit code)`; `state.counter` is the next instruction.
pub(crate) fn call_compiled(
    f: CompiledFn,
    program: &Program,
    state: &mut ProcessorState,
    host: &mut dyn Host,
    budget: &Budget,
    fuel: i64,
) -> (i64, u32) {
    let host: *mut (dyn Host + '_) = host;
    // Erase the borrow's lifetime: the pointer does not outlive this call.
    #[allow(unsafe_code, clippy::missing_transmute_annotations)]
    // SAFETY: only the lifetime bound of the trait object changes; the pointer is used while `host` is borrowed.
    let host: *mut (dyn Host + 'static) = unsafe { std::mem::transmute(host) };
    let mut ctx = Ctx {
        vars: state.vars.as_mut_ptr(),
        counter: &raw mut state.counter,
        exit: exit::FUEL,
        stop_at_wrap: u8::from(budget.stop_at_wrap),
        stop_at_selfloop: u8::from(budget.stop_at_selfloop),
        tick_seconds: budget.tick_seconds,
        state,
        program,
        host,
        panic: None,
    };
    #[allow(unsafe_code)]
    // SAFETY: `f` was compiled by `codegen::compile` for `program` (the caller checked that `program` is the
    // compiled one and that `state.vars.len()` equals its slot count, so every slot offset compiled in is in
    // bounds, and that the counter is an integer in range). Compiled code only touches `ctx`'s fields and the
    // `vars` array, and calls helpers that uphold the module invariants. `state`, `program` and `host` are
    // exclusively borrowed/borrowed for the whole call and reached only through `ctx` meanwhile.
    let remaining = unsafe { f(&raw mut ctx, fuel) };
    if let Some(payload) = ctx.panic.take() {
        std::panic::resume_unwind(payload);
    }
    (remaining, ctx.exit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::ContentKind;

    #[test]
    fn layout_matches_the_compiled_code() {
        let samples = [
            Value::Null,
            Value::Num(-2.5),
            Value::Str("abc".into()),
            Value::Content(ContentKind::Item, 3),
            Value::Team(2),
            Value::Sensor(7),
            Value::Key(1),
            Value::Building(99),
            Value::Unit(5),
        ];
        for v in &samples {
            let p: *const Value = v;
            #[allow(unsafe_code)]
            // SAFETY: `Value` is `repr(C, u8)`: its first byte is the initialised discriminant.
            let tag = unsafe { *p.cast::<u8>() };
            assert_eq!(i64::from(tag), tag_of(v), "{v:?}");
        }
        let v = Value::Num(-2.5);
        let Value::Num(x) = &v else { unreachable!() };
        let off = (x as *const f64 as usize) - (&v as *const Value as usize);
        assert_eq!(off, NUM_OFFSET as usize);
    }
}
