//! Mutable state of one processor: everything an engine reads and writes besides the immutable [`Program`].
//!
//! Owns: [`ProcessorState`] (variables, program counter, text buffer, `wait` timers, the per-tick accumulator,
//! the rate set by `setrate`, counters) and its creation from a program. Serializable with serde so a world can
//! snapshot a processor mid-program and resume it elsewhere (the program itself is re-parsed from its source,
//! which the world keeps in the building config; the state is only valid with the same program text).
//! Does not own: execution (engines) or the per-tick loop (see [`crate::engine::tick`]).
//!
//! Layout: `repr(C)` with the fields a running processor touches every tick first ([`HOT_BYTES`]), for hosts
//! that keep thousands of processors in an array and prefetch them.
//!
//! Invariants: `vars.len() == program.slots.len()`; constant slots hold their initial value forever; `counter`
//! is a finite number (it may be outside `[0, n)`: the next step wraps it to 0).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::host::Host;
use crate::ir::{Program, SlotKind};
use crate::value::Value;

/// Longest text buffer, in UTF-16 units (the game's `maxTextBuffer`).
pub const MAX_TEXT_BUFFER: usize = 400;

/// State of one processor.
///
/// Layout (`repr(C)`): the fields every tick of a running processor touches come first ([`HOT_BYTES`]), so a
/// host keeping many processors in an array can load just those; wait timers and the test-only fields follow.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[repr(C)]
pub struct ProcessorState {
    /// One value per program slot (variables and constants).
    pub vars: Vec<Value>,
    /// `@counter` (a double in the game: fractional parts are kept).
    pub counter: f64,
    /// Fractional instruction budget carried between ticks (`LogicBuild.accumulator`).
    pub accumulator: f64,
    /// Instructions per tick; the block's ipt, changed by `setrate` for world processors.
    pub ipt: f64,
    /// Total instructions executed (statistics).
    pub executed: u64,
    /// The text buffer filled by `print`/`format`, emptied by `printflush`.
    pub text: String,
    /// Length of `text` in UTF-16 units (the game's limit counts those).
    pub text_units: usize,
    /// Test-only: text-buffer position remembered by `assertflush` (byte offset; reset by `printflush`).
    pub assert_mark: usize,
    /// `wait` timers, by instruction index (seconds accumulated).
    pub wait_timers: BTreeMap<u32, f64>,
    /// Test-only: failures of `assertequals`/`assertprints`, in order.
    pub assert_failures: Vec<String>,
    /// Test-only: number of assertions evaluated.
    pub asserts_run: u64,
}

/// Bytes at the start of a [`ProcessorState`] holding what running it touches on every tick (everything but
/// the `wait` timers and the test-only failure list and count).
pub const HOT_BYTES: usize = std::mem::offset_of!(ProcessorState, wait_timers);

impl ProcessorState {
    /// Fresh state for `program`: variables null, constants set, link/special constants asked from `host`.
    pub fn new(program: &Program, ipt: f64, host: &mut dyn Host) -> Self {
        let vars = program
            .slots
            .iter()
            .map(|s| match &s.kind {
                SlotKind::Var | SlotKind::Unit => Value::Null,
                SlotKind::Const(v) => v.clone(),
                SlotKind::Link(i) => host.link(*i as usize),
                SlotKind::Special(sp) => host.special(*sp),
            })
            .collect();
        Self { vars, ipt, ..Self::default() }
    }

    /// Re-reads the link and special constants from `host` (links changed without a code change).
    pub fn refresh_constants(&mut self, program: &Program, host: &mut dyn Host) {
        for (slot, info) in self.vars.iter_mut().zip(&program.slots) {
            match &info.kind {
                SlotKind::Link(i) => *slot = host.link(*i as usize),
                SlotKind::Special(sp) => *slot = host.special(*sp),
                _ => {}
            }
        }
    }

    /// Value of a variable by name (`None` if the program has no such slot).
    #[must_use]
    pub fn var(&self, program: &Program, name: &str) -> Option<&Value> {
        if name == "@counter" {
            return None;
        }
        program.slot_of(name).and_then(|s| self.vars.get(s as usize))
    }

    /// Appends to the text buffer, truncating at [`MAX_TEXT_BUFFER`] UTF-16 units (master truncates the append).
    pub fn append_text(&mut self, s: &str) {
        if self.text_units >= MAX_TEXT_BUFFER {
            return;
        }
        for c in s.chars() {
            let w = c.len_utf16();
            if self.text_units + w > MAX_TEXT_BUFFER {
                break;
            }
            self.text.push(c);
            self.text_units += w;
        }
    }

    /// Takes the text buffer, leaving it empty.
    pub fn take_text(&mut self) -> String {
        self.text_units = 0;
        self.assert_mark = 0;
        std::mem::take(&mut self.text)
    }
}
