//! MLOG (Mindustry Logic): parser, reference interpreter with the game's semantics, and a cranelift JIT.
//!
//! # Contract between the parts (stable; additive changes only — breaking ones are listed at the end)
//!
//! * [`parse::parse`] / [`parse::parse_or_empty`] turn text into an immutable [`ir::Program`]: a flat
//!   `Vec<Instr>` (≤ 1000) whose operands are resolved: [`ir::Src::Slot`] / [`ir::Dst::Slot`] index the slot
//!   table (variables *and* constants; constants are pre-parsed values in `SlotKind::Const` and are never a
//!   `Dst`), `@counter` is `Src::Counter`/`Dst::Counter`, time globals are `Src::Global`, jump targets are
//!   instruction indices (`-1` = never). The build (154/159) is `program.build`; engines read it for the few
//!   semantic differences.
//! * [`value::Value`] is the runtime value; [`value::Value::num`] / [`value::Value::truthy`] /
//!   [`value::Value::num_or_null`] are the game's `num()` / `bool()` / `setnum`; [`value::print_number`] is
//!   `print`'s number format. Stored numbers are always finite.
//! * [`state::ProcessorState`] holds everything mutable (vars by slot, counter, text buffer, wait timers,
//!   accumulator, ipt) and is serde-serializable for snapshots/migration.
//! * [`host::Host`] is how world-touching instructions reach the world; [`host::StandaloneHost`] is the
//!   headless host of `multidustry mlog run` and the tests.
//! * [`engine::Engine::run`]`(program, state, host, budget) -> RunOutcome` is implemented by
//!   [`interp::Interpreter`] (the reference) and by the JIT (`jit` module); they are interchangeable and must
//!   agree on every observable (flushes, variables, counter, executed count, exit). [`engine::tick`] is the
//!   game's per-tick accumulator loop over any engine. [`ops`] holds the arithmetic both engines share.
//!
//! Breaking changes since the first commit: none.

pub mod content;
pub mod engine;
pub mod host;
pub mod interp;
pub mod ir;
pub mod javaids;
pub mod jit;
pub mod logicids;
pub mod ops;
pub mod parse;
pub mod run;
pub mod state;
pub mod value;
