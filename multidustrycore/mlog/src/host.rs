//! The boundary between an engine and the world: every instruction that touches something outside the processor
//! goes through [`Host`].
//!
//! Owns: the [`Host`] trait (links, memory, message blocks, sensors, world globals, object names, and a generic
//! [`Host::call`] for control/radar/unit/world-processor instructions), and [`StandaloneHost`], the host of
//! `multidustry mlog run` and of the tests: linked blocks only (message, memory cell 64 slots, memory bank 512
//! slots, switch, display), no units, no map.
//! Does not own: the world model. The gameserver implements `Host` over its world (buildings by handle, team
//! checks, radar caches); a processor's links are `Value::Building(handle)` values the host hands out.
//!
//! Invariants: host methods never panic on bad input (wrong object kinds, out-of-range indices): they return
//! `Value::Null` / `None` / do nothing, as the game does.

use crate::ir::{GlobalVar, HostInstr, Special};
use crate::value::Value;

/// What a host instruction asks of the engine after it ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostFlow {
    /// Go on with the next instruction.
    Continue,
    /// Yield: end this tick's run here (the instruction counts as executed; it is not repeated unless the host
    /// also asked for that by returning `Repeat`).
    Yield,
    /// Re-run this instruction on the next tick and yield now (counter stays on it).
    Repeat,
}

/// The world as seen by one processor. Default methods describe a processor with no world (what a headless
/// test wants); hosts override what they support.
pub trait Host {
    /// The i-th link at load time (value of the constant `message1`, `cell1`, ...).
    fn link(&mut self, index: usize) -> Value {
        let _ = index;
        Value::Null
    }
    /// `getlink i`: the i-th *valid* link, or null.
    fn getlink(&mut self, index: i64) -> Value {
        let _ = index;
        Value::Null
    }
    /// Per-processor constants (`@this`, `@thisx`, `@thisy`, `@links`, `@ipt`).
    fn special(&mut self, which: Special) -> Value {
        let _ = which;
        Value::Null
    }
    /// Time-varying globals (`@time`, `@tick`, ...).
    fn global(&mut self, which: GlobalVar) -> Value {
        let _ = which;
        Value::Num(0.0)
    }
    /// `read` from a memory block (cell/bank/world cell): `Some(value)` if `target` is readable memory.
    /// Out-of-range indices read 0. Non-memory targets return `None` (string and own-processor reads are
    /// handled by the engine).
    fn read(&mut self, target: &Value, index: i64) -> Option<f64> {
        let _ = (target, index);
        None
    }
    /// `write` into a memory block; ignored when the target is not writable memory or the index is out of range.
    fn write(&mut self, target: &Value, index: i64, value: f64) {
        let _ = (target, index, value);
    }
    /// `read dst target "name"` on another processor (`target` is not this one, the address is a string):
    /// `Some(value)` of its variable `name` when `target` is a processor this one may read, `None` otherwise
    /// (the engine then tries [`Host::read`], which leaves the destination unchanged for a processor).
    fn read_var(&mut self, target: &Value, name: &str) -> Option<Value> {
        let _ = (target, name);
        None
    }
    /// `write value target "name"` on another processor: sets its variable `name` when `target` is a processor
    /// this one may write and `name` is a variable (never a constant). Returns whether `target` was such a
    /// processor (the engine then does not also try [`Host::write`]).
    fn write_var(&mut self, target: &Value, name: &str, value: &Value) -> bool {
        let _ = (target, name, value);
        false
    }
    /// `printflush`: deliver `text` (already at most 400 chars) to `target` if it is a message block.
    /// Returns whether it was delivered. The engine clears its buffer either way.
    fn printflush(&mut self, target: &Value, text: &str) -> bool {
        let _ = (target, text);
        false
    }
    /// `drawflush`: no-op on a headless server.
    fn drawflush(&mut self, target: &Value) {
        let _ = target;
    }
    /// `sensor prop` on a building/unit/content/team target. Sensors of strings (`@size`) and content names
    /// (`@name`) are handled by the engine before asking the host.
    fn sensor(&mut self, target: &Value, prop: &Value) -> Value {
        let _ = (target, prop);
        Value::Null
    }
    /// Printed name of a building or unit (its block / unit type name). `None` prints `[object]`.
    fn object_name(&self, obj: &Value) -> Option<String> {
        let _ = obj;
        None
    }
    /// Whether `obj` is this processor itself (for `read`/`write` by variable name on `@this`).
    fn is_self(&self, obj: &Value) -> bool {
        let _ = obj;
        false
    }
    /// `op rand`: uniform in [0, 1).
    fn rand(&mut self) -> f64 {
        0.5
    }
    /// World-processor `message TYPE ...`: the engine hands over the text buffer (and empties it) after
    /// [`Host::call`] ran the instruction. A headless server shows nothing: clients run world processors
    /// themselves and show the message locally.
    fn message(&mut self, kind: &str, text: &str) {
        let _ = (kind, text);
    }
    /// World-processor `setmarker flushText` and `setmarker texture` with its first operand true (they read the
    /// text buffer, `SetMarkerI`): after [`Host::call`] ran the instruction, the engine hands over the buffer and
    /// empties it when this returns true (Java empties it only when the marker exists).
    fn marker_text(&mut self, instr: &HostInstr, args: &[Value], text: &str) -> bool {
        let _ = (instr, args, text);
        false
    }
    /// The value of the processor's `@unit` variable, given right before [`Host::call`] runs `ucontrol`,
    /// `uradar` or `ulocate` (they act on the bound unit, `LExecutor.unit`; null when the program has no
    /// `@unit`). Hosts without units ignore it.
    fn bound_unit(&mut self, unit: &Value) {
        let _ = unit;
    }
    /// Control, radar, unit and world-processor instructions. `args` are the evaluated operands (text order),
    /// `outs` has the same length: the host writes results for output positions, which the engine stores into
    /// the instruction's [`HostInstr::outs`] destinations.
    fn call(&mut self, instr: &HostInstr, args: &[Value], outs: &mut [Value]) -> HostFlow {
        let _ = (instr, args, outs);
        HostFlow::Continue
    }
}

/// A linked block of the standalone host.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// Message block: last delivered text.
    Message(String),
    /// Memory cell (64) or bank (512) or any size of doubles.
    Memory(Vec<f64>),
    /// Switch: enabled flag.
    Switch(bool),
    /// Display (draw commands are not rendered).
    Display,
}

impl Block {
    /// The block a link name denotes: kind from the name's prefix (`message1`, `cell1` (64 slots), `bank1`
    /// (512 slots), `switch1`, `display1`). `None` for unknown names.
    #[must_use]
    pub fn from_link_name(name: &str) -> Option<Self> {
        let base = name.trim_end_matches(|c: char| c.is_ascii_digit());
        Some(match base {
            "message" => Block::Message(String::new()),
            "cell" => Block::Memory(vec![0.0; 64]),
            "bank" => Block::Memory(vec![0.0; 512]),
            "switch" => Block::Switch(false),
            "display" => Block::Display,
            _ => return None,
        })
    }

    /// Block name as `print` shows it.
    #[must_use]
    pub fn block_name(&self) -> &'static str {
        match self {
            Block::Message(_) => "message",
            Block::Memory(m) if m.len() > 64 => "memory-bank",
            Block::Memory(_) => "memory-cell",
            Block::Switch(_) => "switch",
            Block::Display => "logic-display",
        }
    }
}

/// One `printflush` as the standalone host saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct Flush {
    /// Link name of the target (`message1`), or `None` when the target was not a linked message block.
    pub target: Option<String>,
    /// The flushed text (truncated to 400 chars).
    pub text: String,
    /// Whether a message block received it.
    pub delivered: bool,
}

/// Handle base of the standalone host's buildings: link *i* is `Value::Building(LINK_BASE + i)`; the processor
/// itself is `Value::Building(SELF_HANDLE)`.
pub const LINK_BASE: u64 = 1;
/// Handle of the processor itself in the standalone host.
pub const SELF_HANDLE: u64 = 0;

/// Host for running a program alone: a logic processor (`@ipt` 8 unless set) with named linked blocks.
#[derive(Debug, Clone)]
pub struct StandaloneHost {
    /// Linked blocks, in link order, with their names.
    pub blocks: Vec<(String, Block)>,
    /// Every `printflush`, in order.
    pub flushes: Vec<Flush>,
    /// `@ipt` seen by the program.
    pub ipt: f64,
    /// Current tick (drives `@tick`, `@time`, `@second`, `@minute`).
    pub tick: f64,
    rng: u64,
}

impl StandaloneHost {
    /// A host with the given link names (unknown kinds are skipped).
    #[must_use]
    pub fn new<S: AsRef<str>>(links: &[S]) -> Self {
        let blocks = links
            .iter()
            .filter_map(|n| Block::from_link_name(n.as_ref()).map(|b| (n.as_ref().to_string(), b)))
            .collect();
        Self { blocks, flushes: Vec::new(), ipt: 8.0, tick: 0.0, rng: 0x2545_F491_4F6C_DD1D }
    }

    /// Link names in order (feed these to [`crate::parse::ParseOptions::links`]).
    #[must_use]
    pub fn link_names(&self) -> Vec<String> {
        self.blocks.iter().map(|(n, _)| n.clone()).collect()
    }

    /// Block by link name.
    #[must_use]
    pub fn block(&self, name: &str) -> Option<&Block> {
        self.blocks.iter().find(|(n, _)| n == name).map(|(_, b)| b)
    }

    /// Block by link name, mutable (to preload memory).
    pub fn block_mut(&mut self, name: &str) -> Option<&mut Block> {
        self.blocks.iter_mut().find(|(n, _)| n == name).map(|(_, b)| b)
    }

    fn index_of(&self, v: &Value) -> Option<usize> {
        match v {
            Value::Building(h) if *h >= LINK_BASE => {
                let i = usize::try_from(*h - LINK_BASE).ok()?;
                (i < self.blocks.len()).then_some(i)
            }
            _ => None,
        }
    }
}

impl Host for StandaloneHost {
    fn link(&mut self, index: usize) -> Value {
        if index < self.blocks.len() { Value::Building(LINK_BASE + index as u64) } else { Value::Null }
    }
    fn getlink(&mut self, index: i64) -> Value {
        match usize::try_from(index) {
            Ok(i) if i < self.blocks.len() => Value::Building(LINK_BASE + i as u64),
            _ => Value::Null,
        }
    }
    fn special(&mut self, which: Special) -> Value {
        match which {
            Special::This => Value::Building(SELF_HANDLE),
            Special::ThisX | Special::ThisY => Value::Num(0.0),
            Special::Links => Value::Num(self.blocks.len() as f64),
            Special::Ipt => Value::Num(self.ipt),
        }
    }
    fn global(&mut self, which: GlobalVar) -> Value {
        Value::Num(match which {
            GlobalVar::Tick => self.tick,
            GlobalVar::Time => self.tick / 60.0 * 1000.0,
            GlobalVar::Second => self.tick / 60.0,
            GlobalVar::Minute => self.tick / 3600.0,
            GlobalVar::Server => 1.0,
            _ => 0.0,
        })
    }
    fn read(&mut self, target: &Value, index: i64) -> Option<f64> {
        let i = self.index_of(target)?;
        match &self.blocks[i].1 {
            Block::Memory(m) => Some(usize::try_from(index).ok().and_then(|k| m.get(k)).copied().unwrap_or(0.0)),
            _ => None,
        }
    }
    fn write(&mut self, target: &Value, index: i64, value: f64) {
        let Some(i) = self.index_of(target) else { return };
        if let Block::Memory(m) = &mut self.blocks[i].1
            && let Some(slot) = usize::try_from(index).ok().and_then(|k| m.get_mut(k))
        {
            *slot = value;
        }
    }
    fn printflush(&mut self, target: &Value, text: &str) -> bool {
        let idx = self.index_of(target);
        let mut delivered = false;
        let mut name = None;
        if let Some(i) = idx {
            name = Some(self.blocks[i].0.clone());
            if let Block::Message(m) = &mut self.blocks[i].1 {
                text.clone_into(m);
                delivered = true;
            }
        }
        self.flushes.push(Flush { target: name, text: text.to_string(), delivered });
        delivered
    }
    fn sensor(&mut self, target: &Value, prop: &Value) -> Value {
        let Some(i) = self.index_of(target) else { return Value::Null };
        let Value::Sensor(key) = prop else { return Value::Null };
        let name = crate::content::SENSORS.get(*key as usize).copied().unwrap_or("");
        match (&self.blocks[i].1, name) {
            (Block::Switch(on), "enabled") => Value::bool(*on),
            (Block::Memory(m), "memoryCapacity") => Value::Num(m.len() as f64),
            (Block::Message(t), "bufferSize") => Value::Num(t.encode_utf16().count() as f64),
            (_, "enabled") => Value::bool(true),
            (_, "x" | "y") => Value::Num(0.0),
            _ => Value::Null,
        }
    }
    fn object_name(&self, obj: &Value) -> Option<String> {
        match obj {
            Value::Building(SELF_HANDLE) => Some("logic-processor".to_string()),
            _ => self.index_of(obj).map(|i| self.blocks[i].1.block_name().to_string()),
        }
    }
    fn is_self(&self, obj: &Value) -> bool {
        matches!(obj, Value::Building(SELF_HANDLE))
    }
    fn rand(&mut self) -> f64 {
        // xorshift64*: deterministic for tests (the game's RNG is seeded from the clock, not reproducible).
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        let x = self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D);
        (x >> 11) as f64 / (1u64 << 53) as f64
    }
    fn call(&mut self, instr: &HostInstr, args: &[Value], outs: &mut [Value]) -> HostFlow {
        // `control enabled <switch> <on>` is the one world instruction a standalone processor can serve.
        if instr.op == crate::ir::HostOp::Control
            && instr.modes.first().is_some_and(|m| m == "enabled")
            && let (Some(target), Some(on)) = (args.first(), args.get(1))
            && let Some(i) = self.index_of(target)
            && let Block::Switch(s) = &mut self.blocks[i].1
        {
            *s = on.truthy();
        }
        let _ = outs;
        HostFlow::Continue
    }
}
