//! The parsed program: a flat instruction list with resolved operands. Shared input of the interpreter and the JIT.
//!
//! Owns: [`Program`], [`Instr`] (one variant per instruction family), operand kinds [`Src`] / [`Dst`], the `op`
//! and condition enums, and the slot table (name, kind, initial value of every variable/constant).
//! Does not own: parsing (see [`crate::parse`]) or execution semantics (see [`crate::interp`], the reference).
//!
//! Invariants (established by the parser, relied on by engines without re-checking):
//! * every `Src::Slot(i)` / `Dst::Slot(i)` has `i < program.slots.len()`;
//! * a `Dst::Slot` never names a constant slot (writes to constants were resolved to `Dst::Discard`);
//! * `instrs.len() <= MAX_INSTRUCTIONS`; jump targets are *not* range-checked (out of range wraps to 0 on the
//!   next step, `-1` never fires — the game's rule);
//! * the program is immutable once built; all mutable state is in [`crate::state::ProcessorState`].

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::content::ContentTable;
use crate::value::{ContentKind, Value};

/// Index of a variable or constant slot in [`Program::slots`] and [`crate::state::ProcessorState::vars`].
pub type Slot = u32;

/// The game keeps at most this many instructions (`LExecutor.maxInstructions`); the rest is dropped.
pub const MAX_INSTRUCTIONS: usize = 1000;

/// Game build whose semantics a program follows where builds differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Build {
    /// Build 154 (v8 beta): older number literal parser, yields consume budget, v7-style string escapes.
    B154,
    /// Build 159 (current release; follows the master semantics in `mlog.md`).
    #[default]
    B159,
}

impl Build {
    /// From the build number (`154`, `159`).
    #[must_use]
    pub fn from_number(n: u32) -> Option<Self> {
        match n {
            154 => Some(Self::B154),
            159 => Some(Self::B159),
            _ => None,
        }
    }
}

/// A read operand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Src {
    /// A variable or constant slot (constants are slots initialised once and never written).
    Slot(Slot),
    /// `@counter`: reads the processor's program counter (during instruction *i* it reads *i + 1*).
    Counter,
    /// A world global that changes over time (`@time`, `@tick`, ...): read from the host at each use.
    Global(GlobalVar),
}

/// A write operand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Dst {
    /// Write is ignored (constants, globals, `@ipt`, `true`, number literals as destinations).
    Discard,
    /// A variable slot.
    Slot(Slot),
    /// `@counter`: a finite number written here is a jump; objects and null leave the counter unchanged.
    Counter,
}

/// Time-varying world globals (read through [`crate::host::Host::global`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum GlobalVar {
    /// `@time` (ms of game time).
    Time,
    /// `@tick`.
    Tick,
    /// `@second`.
    Second,
    /// `@minute`.
    Minute,
    /// `@waveNumber`.
    WaveNumber,
    /// `@waveTime` (seconds).
    WaveTime,
    /// `@mapw`.
    MapW,
    /// `@maph`.
    MapH,
    /// `@server`.
    Server,
    /// `@client`.
    Client,
}

/// What a slot is, and how the state initialises it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SlotKind {
    /// Ordinary variable, starts `null`.
    Var,
    /// Constant with a value known at parse time (literals, `true`, `@pi`, `@copper`, ...).
    Const(Value),
    /// The i-th linked building's name (`message1`, `cell1`, ...): constant, value from the host at init.
    Link(u32),
    /// Per-processor constant from the host at init (`@this`, `@thisx`, `@thisy`, `@links`, `@ipt`).
    Special(Special),
    /// `@unit`: constant for `set`, but written by `ubind` through the host.
    Unit,
}

/// Per-processor constants whose value the host provides when the state is created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Special {
    /// `@this`.
    This,
    /// `@thisx`.
    ThisX,
    /// `@thisy`.
    ThisY,
    /// `@links`.
    Links,
    /// `@ipt`.
    Ipt,
}

/// A named slot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlotInfo {
    /// The source name (`x`, `@copper`, a literal's text for hidden constants).
    pub name: String,
    /// Kind and initial value.
    pub kind: SlotKind,
}

/// `op` operations (LogicOp), with legacy names already rewritten (`atan2` → `Angle`, `dst` → `Len`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[allow(missing_docs)]
pub enum OpKind {
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
}

impl OpKind {
    /// From the mlog token (legacy aliases included).
    #[must_use]
    pub fn parse(token: &str) -> Option<Self> {
        use OpKind::*;
        Some(match token {
            "add" => Add,
            "sub" => Sub,
            "mul" => Mul,
            "div" => Div,
            "idiv" => Idiv,
            "mod" => Mod,
            "emod" => Emod,
            "pow" => Pow,
            "equal" => Equal,
            "notEqual" => NotEqual,
            "land" => Land,
            "lessThan" => LessThan,
            "lessThanEq" => LessThanEq,
            "greaterThan" => GreaterThan,
            "greaterThanEq" => GreaterThanEq,
            "strictEqual" => StrictEqual,
            "shl" => Shl,
            "shr" => Shr,
            "ushr" => Ushr,
            "or" => Or,
            "and" => And,
            "xor" => Xor,
            "not" => Not,
            "max" => Max,
            "min" => Min,
            "angle" | "atan2" => Angle,
            "angleDiff" => AngleDiff,
            "len" | "dst" => Len,
            "noise" => Noise,
            "abs" => Abs,
            "sign" => Sign,
            "log" => Log,
            "logn" => Logn,
            "log10" => Log10,
            "floor" => Floor,
            "ceil" => Ceil,
            "round" => Round,
            "sqrt" => Sqrt,
            "rand" => Rand,
            "sin" => Sin,
            "cos" => Cos,
            "tan" => Tan,
            "asin" => Asin,
            "acos" => Acos,
            "atan" => Atan,
            _ => return None,
        })
    }

    /// Does the op ignore its second operand?
    #[must_use]
    pub fn is_unary(self) -> bool {
        use OpKind::*;
        matches!(
            self,
            Not | Abs | Sign | Log | Log10 | Floor | Ceil | Round | Sqrt | Rand | Sin | Cos | Tan | Asin | Acos | Atan
        )
    }
}

/// Conditions of `jump` and `select` (ConditionOp).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[allow(missing_docs)]
pub enum Cond {
    Equal,
    NotEqual,
    LessThan,
    LessThanEq,
    GreaterThan,
    GreaterThanEq,
    StrictEqual,
    Always,
}

impl Cond {
    /// From the mlog token.
    #[must_use]
    pub fn parse(token: &str) -> Option<Self> {
        Some(match token {
            "equal" => Self::Equal,
            "notEqual" => Self::NotEqual,
            "lessThan" => Self::LessThan,
            "lessThanEq" => Self::LessThanEq,
            "greaterThan" => Self::GreaterThan,
            "greaterThanEq" => Self::GreaterThanEq,
            "strictEqual" => Self::StrictEqual,
            "always" => Self::Always,
            _ => return None,
        })
    }
}

/// World-touching instructions that are executed entirely by the host ([`crate::host::Host::call`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[allow(missing_docs)]
pub enum HostOp {
    Control,
    Radar,
    Ubind,
    Ucontrol,
    Uradar,
    Ulocate,
    // world-processor only
    GetBlock,
    SetBlock,
    Spawn,
    Status,
    WeatherSense,
    WeatherSet,
    SpawnWave,
    SetRule,
    Message,
    Cutscene,
    Effect,
    Explosion,
    Fetch,
    Sync,
    ClientData,
    GetFlag,
    SetFlag,
    SetProp,
    PlaySound,
    SetMarker,
    MakeMarker,
    LocalePrint,
}

impl HostOp {
    /// The mlog opcode.
    #[must_use]
    pub fn parse(token: &str) -> Option<Self> {
        use HostOp::*;
        Some(match token {
            "control" => Control,
            "radar" => Radar,
            "ubind" => Ubind,
            "ucontrol" => Ucontrol,
            "uradar" => Uradar,
            "ulocate" => Ulocate,
            "getblock" => GetBlock,
            "setblock" => SetBlock,
            "spawn" => Spawn,
            "status" => Status,
            "weathersense" => WeatherSense,
            "weatherset" => WeatherSet,
            "spawnwave" => SpawnWave,
            "setrule" => SetRule,
            "message" => Message,
            "cutscene" => Cutscene,
            "effect" => Effect,
            "explosion" => Explosion,
            "fetch" => Fetch,
            "sync" => Sync,
            "clientdata" => ClientData,
            "getflag" => GetFlag,
            "setflag" => SetFlag,
            "setprop" => SetProp,
            "playsound" => PlaySound,
            "setmarker" => SetMarker,
            "makemarker" => MakeMarker,
            "localeprint" => LocalePrint,
            _ => return None,
        })
    }

    /// Only valid in a world processor (a normal processor turns it into `noop`).
    #[must_use]
    pub fn privileged(self) -> bool {
        !matches!(self, Self::Control | Self::Radar | Self::Ubind | Self::Ucontrol | Self::Uradar | Self::Ulocate)
    }
}

/// A host instruction with its operands. Argument positions follow the instruction's text order; `outs[k]`
/// is the destination of argument `k` for arguments that the game treats as outputs (else `Dst::Discard`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostInstr {
    /// Which instruction.
    pub op: HostOp,
    /// Sub-command / mode tokens as written (`ucontrol move` → `["move"]`, `radar enemy any any distance` →
    /// the four filter/sort tokens, `getblock building` → `["building"]`).
    pub modes: Vec<String>,
    /// Value operands in text order (after the mode tokens).
    pub args: Vec<Src>,
    /// For each entry of `args`, where the host's result for that position is stored (outputs only).
    pub outs: Vec<Dst>,
    /// `sync`: the synced variable's id in a Java client's `LExecutor.vars`, per client build (set by the
    /// parser through [`crate::javaids`]; `None` when not derivable). Unset for other instructions.
    #[serde(default)]
    pub client_var: ClientVarIds,
}

/// A variable's id in the executor of a Java client, per client build (see [`crate::javaids`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ClientVarIds {
    /// Build-154 clients.
    pub b154: Option<i32>,
    /// Build-159 clients.
    pub b159: Option<i32>,
}

/// One instruction. Every variant costs exactly one instruction of budget.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Instr {
    /// `noop`, unknown opcodes, malformed statements, privileged opcodes in a normal processor.
    Noop,
    /// `set dst src`.
    Set { dst: Dst, src: Src },
    /// `op kind dst a b`.
    Op { op: OpKind, dst: Dst, a: Src, b: Src },
    /// `select dst cond a b x y`.
    Select { dst: Dst, cond: Cond, a: Src, b: Src, x: Src, y: Src },
    /// `jump target cond a b`; `target == -1` never fires.
    Jump { target: i32, cond: Cond, a: Src, b: Src },
    /// `end`: counter = instruction count (wraps to 0 next step).
    End,
    /// `stop`: counter -= 1 and yield.
    Stop,
    /// `wait seconds`: yields until the per-instruction timer reaches the duration.
    Wait { secs: Src },
    /// `print v`.
    Print { value: Src },
    /// `printchar v`.
    PrintChar { value: Src },
    /// `format v`.
    Format { value: Src },
    /// `printflush target`.
    PrintFlush { target: Src },
    /// `draw cmd x y p1 p2 p3 p4` (headless server: no effect; kept for hosts that render).
    Draw { cmd: String, args: [Src; 6] },
    /// `drawflush target`.
    DrawFlush { target: Src },
    /// `packcolor dst r g b a`.
    PackColor { dst: Dst, rgba: [Src; 4] },
    /// `unpackcolor r g b a value`.
    UnpackColor { rgba: [Dst; 4], value: Src },
    /// `lookup kind dst id`.
    Lookup { kind: ContentKind, dst: Dst, id: Src },
    /// `read dst target index`.
    Read { dst: Dst, target: Src, index: Src },
    /// `write value target index`.
    Write { value: Src, target: Src, index: Src },
    /// `getlink dst index`.
    GetLink { dst: Dst, index: Src },
    /// `sensor dst target prop`.
    Sensor { dst: Dst, target: Src, prop: Src },
    /// `setrate ipt` (world processor).
    SetRate { ipt: Src },
    /// Everything else that touches the world.
    Host(Box<HostInstr>),
    /// Test-only (Mindcode emulator, parsed only with [`crate::parse::ParseOptions::test_instructions`]):
    /// `assertequals expected actual message`.
    AssertEquals { expected: Src, actual: Src, message: Src },
    /// Test-only: `assertflush mark` — store the current text-buffer position into `mark`.
    AssertFlush { mark: Dst },
    /// Test-only: `assertprints mark expected message` — text printed since position `mark` must equal.
    AssertPrints { mark: Src, expected: Src, message: Src },
}

/// A loaded program: instructions plus the slot table. Cheap to share (`Arc<Program>`) between processors
/// running the same code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Program {
    /// Instructions, at most [`MAX_INSTRUCTIONS`]. Empty = the processor runs nothing.
    pub instrs: Vec<Instr>,
    /// Slot table; `ProcessorState::vars` has the same length.
    pub slots: Vec<SlotInfo>,
    /// Build whose semantics apply.
    pub build: Build,
    /// World processor (privileged) code.
    pub privileged: bool,
    /// Link names in link order (the names the parser turned into link constants).
    pub links: Vec<String>,
    /// Slot of `@unit`, if the program mentions it.
    pub unit_slot: Option<Slot>,
    /// Content names (printing content, `lookup`, `sensor @name`). Not serialized: a deserialized program gets
    /// an empty table unless the caller sets it.
    #[serde(skip)]
    pub content: Arc<ContentTable>,
}

impl Program {
    /// The empty program (what the game loads on any parse error).
    #[must_use]
    pub fn empty(build: Build) -> Self {
        Self {
            instrs: Vec::new(),
            slots: Vec::new(),
            build,
            privileged: false,
            links: Vec::new(),
            unit_slot: None,
            content: Arc::default(),
        }
    }

    /// Slot of a name (variables and named constants; first match).
    #[must_use]
    pub fn slot_of(&self, name: &str) -> Option<Slot> {
        self.slots.iter().position(|s| s.name == name).and_then(|i| Slot::try_from(i).ok())
    }

    /// Is `slot` a plain (writable) variable?
    #[must_use]
    pub fn is_var(&self, slot: Slot) -> bool {
        self.slots.get(slot as usize).is_some_and(|s| matches!(s.kind, SlotKind::Var))
    }
}
