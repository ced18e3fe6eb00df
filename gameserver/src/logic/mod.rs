//! MLOG processors inside a world: logic blocks and world processors loaded from their building records, bound
//! to their linked buildings, compiled (cranelift JIT, interpreter fallback) and ticked at their block's rate
//! through `multidustry_mlog::engine::tick`; memory cells and banks; client edits; saving back.
//!
//! Owns: [`LogicData`] (the per-building logic state the grid carries: a processor or a memory block, plus the
//! record's base bytes), [`Logic`] (the world's processor runner: the dense table of processors, memory and
//! message texts (`table`), compiled-program cache, world-processor flags, RNG, the message-sync rate limiter),
//! parsing records into it ([`attach`]) and writing them back ([`fn@record`]), link bookkeeping as `LogicBuild`
//! does it (names, validity, range, duplicates), and client configuration of processors ([`Logic::configure`]:
//! new compressed code, link toggles).
//! Does not own: instruction semantics (the mlog crate), the building base layout and files (`worldio`), packets
//! (`sim` queues the [`Call`]s this module returns), the `Host` implementation's world rules beyond what the grid
//! holds (see [`host`]).
//!
//! Where the state lives (the invariant every reader relies on): the runner *adopts* each processor and memory
//! block into its table, matched by position and [`LogicData::serial`] (a building replaced at the same position
//! has a new serial). While adopted, the table is the source of truth and the grid's `LogicData` holds the state
//! as of the last write-back. So whatever reads processor or memory state from outside the runner goes through
//! it: [`Logic::processor`] / [`Logic::memory`] (tests, tools), or [`Logic::write_back`] /
//! [`Logic::write_back_at`] into a grid (`worldio` writes back into the save job's copy of the grid and into a
//! copy for world streams, `sim` writes back a building before its block snapshot). Caches of records key on
//! `Grid::version` *and* [`Logic::state_version`]. Message texts stay in the grid (clients configure them): the
//! table only mirrors them, and `sim` reports client edits with [`Logic::config_changed`].
//!
//! How a tick runs: the table is reconciled with the grid only when `Grid::layout_version` changed (or a
//! construction site of a logic block was finished); then per processor slot, in position order:
//! ```text
//!  own state and links: full link check only when the layout changed; construction states of itself and its
//!  links only when theirs changed (Grid::construction_changes_since; all every FULL_RECHECK_TICKS) ─▶ rebind
//!        ─▶ engine::tick(engine, program, state, WorldHost{grid, table rows, clock}, delta)
//! ```
//! `read`/`write` of linked memory use the slot's resolved cell range in the table's one `Vec<f64>`, and
//! `printflush` to a linked message compares with the mirrored text (the grid is written only on change), so a
//! steady-state tick makes no grid lookup, hash or allocation for them; other targets (handles from `getlink`,
//! `fetch`, `getblock`, sensors, control) are looked up in the grid, with the table consulted for adopted state.
//! Programs longer than [`JIT_IMMEDIATE_MAX_INSTRUCTIONS`] start on the interpreter and are JIT-compiled later,
//! [`DEFERRED_COMPILES_PER_TICK`] per tick; player edits are rate limited ([`Logic::configure_by`]).
//! Performance: see the `logic` bench (10,000 logic processors at 8 instructions per tick, also with a
//! construction state changing every tick). A steady-state tick touches four cache lines of each processor's
//! slot (see `table`), its variables, and its linked rows. A construction change costs a grid lookup per processor and per link
//! of the processors that are or link that building.
//! Clients see results the way the Java game arranges it: clients run the same processors locally (the world
//! stream carries each processor's code, links and variables), and the Java server sends nothing when
//! `printflush` changes a message. Because this server is authoritative and client copies can diverge (server
//! time, sensors), a message block or switch whose content a processor changed is also broadcast as a
//! `tileConfig` (only on change, at most once per [`Logic::sync_interval`] per block; texts longer than the 220
//! characters a client's `MessageBlock` accepts are not sent).
//!
//! Invariants: a processor that failed to load keeps its raw record (re-emitted unchanged) and never runs; bad
//! client bytes are rejected with a debug log, never a panic; a processor's `state.vars` always belongs to its
//! current program (rebinding creates a new state and copies variables by name); code outside this module
//! replaces an adopted building's `logic` only with a layout change (remove and put the building: the runner
//! adopts the new serial on its next tick), and moves a `LogicData` to another position only after
//! [`Logic::write_back`] (the runner adopts it there from the grid's copy).
//!
//! Other processors' variables: `read x processor1 "name"` / `write v processor1 "name"` reach another processor
//! (finished; of the same team and not privileged, or any for a world processor) by variable name, `@counter`
//! included; constants (links, `@this`, literals) and `@unit` are neither read nor written, and an unknown name
//! leaves the output unchanged (as `LExecutor`'s `optionalVar` does).
//!
//! Unit instructions, radar and `spawn` live in [`units`] (with their own partial list); markers, `spawnwave`,
//! `setprop` and `sync` in [`world`], whose module doc lists what Java's headless server does for each world
//! instruction (draw, effects, sounds, cutscenes, explosions, weather, messages) and what this server does.
//! Partial: draw, effects, sounds, weather and cutscene are no-ops and `explosion` deals no damage here (it
//! sends Java's `logicExplosion`); `sync` sends `syncVariable` only where the client's variable id is
//! established (see [`world`]); world-processor `message` clears
//! the text buffer as the Java headless server does (clients show it themselves); `setblock` on floor/ore
//! layers changes the server's grid only (there is no `setFloor` call yet); hyper processors run at full rate
//! without cryofluid. `printchar` of a content object appends U+0000, as the Java dedicated server does (it
//! never loads the icon table clients take the glyph from; see the interpreter).

pub mod control;
mod host;
pub mod record;
mod table;
pub mod units;
pub mod world;

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use multidustry_mlog::content::ContentTable;
use multidustry_mlog::engine;
use multidustry_mlog::interp::Interpreter;
use multidustry_mlog::ir::{Build, Program, SlotKind};
use multidustry_mlog::jit::JitProgram;
use multidustry_mlog::parse::{ParseOptions, parse_or_empty};
use multidustry_mlog::state::ProcessorState;
use multidustry_mlog::value::{ContentKind, Value as MValue};
use multidustry_protocol::typeio::{ContentRef, Object};
use multidustry_world::ContentType;

use crate::grid::{self, Building, Grid};
use crate::sim::Call;
use crate::value::Value;
use host::{Effects, WorldHost};
pub use record::RecordError;
use table::{MemRow, MsgRow, Slot, Table};

/// Build-159 ids of the logic blocks.
pub mod id {
    /// `message`.
    pub const MESSAGE: u16 = 429;
    /// `switch`.
    pub const SWITCH: u16 = 430;
    /// `micro-processor`.
    pub const MICRO_PROCESSOR: u16 = 431;
    /// `logic-processor`.
    pub const LOGIC_PROCESSOR: u16 = 432;
    /// `hyper-processor`.
    pub const HYPER_PROCESSOR: u16 = 433;
    /// `memory-cell`.
    pub const MEMORY_CELL: u16 = 434;
    /// `memory-bank`.
    pub const MEMORY_BANK: u16 = 435;
    /// `reinforced-message`.
    pub const REINFORCED_MESSAGE: u16 = 441;
    /// `world-processor`.
    pub const WORLD_PROCESSOR: u16 = 442;
    /// `world-cell`.
    pub const WORLD_CELL: u16 = 443;
    /// `world-message`.
    pub const WORLD_MESSAGE: u16 = 444;
    /// `world-switch`.
    pub const WORLD_SWITCH: u16 = 445;
}

/// Facts of a processor block (`Blocks.java`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProcessorKind {
    /// Instructions per tick (`instructionsPerTick`; a world processor's default, changed by `setrate`).
    pub ipt: f64,
    /// Link range in world units (`range`).
    pub range: f32,
    /// World processor.
    pub privileged: bool,
}

/// The processor facts of `block`, if it is a processor.
pub fn processor_kind(block: u16) -> Option<ProcessorKind> {
    let k = |ipt: f64, range: f32, privileged| ProcessorKind { ipt, range, privileged };
    Some(match block {
        id::MICRO_PROCESSOR => k(2.0, 8.0 * 10.0, false),
        id::LOGIC_PROCESSOR => k(8.0, 8.0 * 22.0, false),
        id::HYPER_PROCESSOR => k(25.0, 8.0 * 42.0, false),
        id::WORLD_PROCESSOR => k(8.0, f32::MAX, true),
        _ => return None,
    })
}

/// Most instructions per tick `setrate` may give a world processor (`maxInstructionsPerTick`).
pub const MAX_WORLD_IPT: f64 = 500.0;

/// Slots of a memory block.
pub fn memory_capacity(block: u16) -> Option<usize> {
    match block {
        id::MEMORY_CELL => Some(64),
        id::MEMORY_BANK | id::WORLD_CELL => Some(512),
        _ => None,
    }
}

/// Blocks only world processors may use (`block.privileged`).
pub fn privileged_block(block: u16) -> bool {
    matches!(block, id::WORLD_PROCESSOR | id::WORLD_CELL | id::WORLD_MESSAGE | id::WORLD_SWITCH)
}

/// Logic state a grid building carries.
#[derive(Debug, Clone)]
pub struct LogicData {
    /// The record's revision byte and `writeBase` bytes, re-emitted as read (the revision is rewritten).
    pub base: Vec<u8>,
    /// What the block holds.
    pub kind: LogicKind,
    /// Identity of this state (unique per creation, kept by clones): the runner adopts a processor or memory
    /// block by (position, serial), so a building replaced at the same position is never mistaken for the old.
    serial: u64,
}

impl PartialEq for LogicData {
    /// Compares the state, not the identity.
    fn eq(&self, o: &Self) -> bool {
        self.base == o.base && self.kind == o.kind
    }
}

/// Source of [`LogicData`] serials.
static NEXT_SERIAL: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

impl LogicData {
    fn new(base: Vec<u8>, kind: LogicKind) -> Self {
        Self { base, kind, serial: NEXT_SERIAL.fetch_add(1, std::sync::atomic::Ordering::Relaxed) }
    }

    /// The identity the runner adopts this state by (see the module doc).
    pub fn serial(&self) -> u64 {
        self.serial
    }
}

/// The simulated part of a logic building.
#[derive(Debug, Clone, PartialEq)]
pub enum LogicKind {
    /// A processor.
    Processor(Box<Processor>),
    /// A memory cell/bank/world cell.
    Memory(Vec<f64>),
    /// A `reinforced-message` / `world-message` (the plain `message` keeps its text in the building config).
    Message(String),
    /// A `world-switch` (the plain `switch` keeps its state in the building config).
    Switch(bool),
}

/// One link of a processor (`LogicLink`).
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    /// Name the program uses (`cell1`).
    pub name: String,
    /// Absolute tile x.
    pub x: i32,
    /// Absolute tile y.
    pub y: i32,
    /// Toggled on (inactive links are dropped when saved, as the game does).
    pub active: bool,
    /// Points at a building the processor may use (computed each tick).
    pub valid: bool,
    /// The building last seen there (origin and block), to notice replacements.
    last: Option<(i32, u16)>,
}

/// One processor.
///
/// Layout (`repr(C)`): the fields a steady-state tick reads come first (one cache line), then `state` (whose
/// own hot fields come first, see `ProcessorState`), then what only changes and saves touch; the runner's table
/// prefetches just the hot lines of each processor (see `table::HOT_BYTES`).
#[derive(Debug, Clone)]
#[repr(C)]
pub struct Processor {
    program: Option<Arc<Program>>,
    jit: JitCell,
    bound: Vec<i32>,
    /// `Grid::layout_version` of the last full link check (None: check next tick).
    links_layout: Option<u64>,
    /// Block id.
    pub block: u16,
    /// Enabled (`Building.enabled`: `control enabled` turns it off until a processor turns it on again or the
    /// disabling processor lets go, see [`control`]).
    pub enabled: bool,
    checked_duplicates: bool,
    icon: u16,
    /// Execution state (variables, counter, text buffer, accumulator, ipt).
    pub state: ProcessorState,
    /// The program text.
    pub code: String,
    /// Links in link order.
    pub links: Vec<Link>,
    /// The last assembler error of this code, if any (the processor then runs nothing, as in the game).
    pub error: Option<String>,
    saved: Vec<(String, Object)>,
    tag: Option<String>,
    /// Origins of the buildings the active links point at, with whether each was finished (no construction) at
    /// the last full check. With the layout unchanged, blocks, teams and positions are unchanged, so a link's
    /// validity can only change with that flag: a tick compares only these.
    link_watch: Vec<(i32, bool)>,
}

impl PartialEq for Processor {
    fn eq(&self, o: &Self) -> bool {
        self.block == o.block
            && self.code == o.code
            && self.links == o.links
            && self.enabled == o.enabled
            && self.state == o.state
            && self.saved == o.saved
            && self.tag == o.tag
            && self.icon == o.icon
    }
}

impl Processor {
    fn new(block: u16, code: String, links: Vec<Link>, saved: Vec<(String, Object)>, ipt: f64) -> Self {
        Self {
            block,
            code,
            links,
            enabled: true,
            state: ProcessorState { ipt, ..ProcessorState::default() },
            error: None,
            program: None,
            jit: Arc::new(OnceLock::new()),
            bound: Vec::new(),
            saved,
            checked_duplicates: false,
            tag: None,
            icon: 0,
            links_layout: None,
            link_watch: Vec::new(),
        }
    }

    /// The program currently loaded (None before the first tick binds it).
    pub fn program(&self) -> Option<&Program> {
        self.program.as_deref()
    }

    /// Whether the JIT compiled the current program.
    pub fn jitted(&self) -> bool {
        matches!(self.jit.get(), Some(Some(_)))
    }

    /// Positions of the valid links, in link order (`executor.links`).
    pub fn bound_links(&self) -> &[i32] {
        &self.bound
    }

    /// Value of a variable by name (current program).
    pub fn var(&self, name: &str) -> Option<&MValue> {
        self.state.var(self.program.as_deref()?, name)
    }

    /// The variables the game saves: `@counter` and the non-constant (and `@unit`) slots that are not null, as
    /// TypeIO objects.
    /// The wait timers as `LogicBuild.write` saves them: every `wait` instruction of the program, in order, with
    /// its timer (0 when idle). Before the program is bound, the timers read from the record, as they were.
    fn wait_records(&self) -> Vec<(u16, f32)> {
        let timer = |i: u32| self.state.wait_timers.get(&i).copied().unwrap_or(0.0) as f32;
        match self.program.as_deref() {
            Some(program) => program
                .instrs
                .iter()
                .enumerate()
                .filter(|(_, instr)| matches!(instr, multidustry_mlog::ir::Instr::Wait { .. }))
                .filter_map(|(i, _)| Some((u16::try_from(i).ok()?, timer(u32::try_from(i).ok()?))))
                .collect(),
            None => {
                self.state.wait_timers.iter().filter_map(|(i, t)| Some((u16::try_from(*i).ok()?, *t as f32))).collect()
            }
        }
    }

    fn saved_vars(&self) -> Vec<(String, Object)> {
        let Some(p) = self.program.as_deref() else { return self.saved.clone() };
        let counter = ("@counter".to_string(), Object::Double(self.state.counter));
        std::iter::once(counter)
            .chain(
                p.slots
                    .iter()
                    .zip(&self.state.vars)
                    .filter(|(s, _)| matches!(s.kind, SlotKind::Var | SlotKind::Unit))
                    .filter_map(|(s, v)| to_object(v).map(|o| (s.name.clone(), o))),
            )
            .collect()
    }
}

/// `LogicBlock.getLinkName`: the link base name of a block (`memory-cell` → `cell`, `copper-wall-large` → `wall`).
pub fn link_base_name(block_name: &str) -> &str {
    let parts: Vec<&str> = block_name.split('-').collect();
    if parts.len() < 2 {
        return block_name;
    }
    let last = parts[parts.len() - 1];
    if last == "large" || last.parse::<f32>().is_ok() { parts[parts.len() - 2] } else { last }
}

/// `LogicBuild.findLinkName`: the base name plus the lowest free number among `links`.
fn find_link_name(links: &[Link], base: &str) -> String {
    let mut taken = BTreeSet::new();
    let mut max = 1;
    for l in links {
        if let Some(num) = l.name.strip_prefix(base)
            && let Ok(v) = num.parse::<i32>()
        {
            taken.insert(v);
            max = max.max(v);
        }
    }
    let n = (1..max.saturating_add(2)).find(|i| !taken.contains(i)).unwrap_or(0);
    format!("{base}{n}")
}

/// Name of a block id (build 159), `unknown` for ids the content table lacks.
pub fn block_name(block: u16) -> &'static str {
    multidustry_world::ContentTable::for_build(multidustry_world::Build::V159)
        .name(ContentType::BLOCK, block)
        .unwrap_or("unknown")
}

fn block_size(block: u16) -> u8 {
    multidustry_world::ContentTable::for_build(multidustry_world::Build::V159).block_size(block).unwrap_or(1)
}

/// Centre of a building in world units (`Building.x`: tile * 8 + `Block.offset`).
fn centre(pos: i32, block: u16) -> (f32, f32) {
    let (x, y) = grid::unpack(pos);
    let off = if block_size(block).is_multiple_of(2) { 4.0 } else { 0.0 };
    (x as f32 * 8.0 + off, y as f32 * 8.0 + off)
}

/// A mlog value as the TypeIO object `LogicBuild.write` saves (None = not saved: null, or not representable).
fn to_object(v: &MValue) -> Option<Object> {
    Some(match v {
        MValue::Null => return None,
        MValue::Num(n) => Object::Double(*n),
        MValue::Str(s) => Object::String(Some(s.to_string())),
        MValue::Content(k, id) => Object::Content(ContentRef { content_type: content_type(*k), id: *id as i16 }),
        MValue::Team(t) => Object::Team(*t),
        MValue::Building(h) => Object::Building(u32::try_from(*h).ok()? as i32),
        MValue::Unit(_) | MValue::Sensor(_) | MValue::Key(_) => return None,
    })
}

fn content_type(k: ContentKind) -> u8 {
    match k {
        ContentKind::Item => 0,
        ContentKind::Block => 1,
        ContentKind::Liquid => 4,
        ContentKind::Unit => 6,
    }
}

/// A saved TypeIO object as a mlog value (`readObjectBoxed`; buildings resolve to their handle).
fn from_object(o: &Object) -> MValue {
    match o {
        Object::Double(d) => MValue::num_or_null(*d),
        Object::Int(i) => MValue::Num(f64::from(*i)),
        Object::Long(l) => MValue::num_or_null(*l as f64),
        Object::Float(f) => MValue::num_or_null(f64::from(*f)),
        Object::Bool(b) => MValue::bool(*b),
        Object::String(Some(s)) => MValue::Str(s.as_str().into()),
        Object::Content(c) => {
            let kind = match c.content_type {
                0 => ContentKind::Item,
                1 => ContentKind::Block,
                4 => ContentKind::Liquid,
                6 => ContentKind::Unit,
                _ => return MValue::Null,
            };
            u16::try_from(c.id).map_or(MValue::Null, |id| MValue::Content(kind, id))
        }
        Object::Team(t) => MValue::Team(*t),
        Object::Building(p) => MValue::Building(u64::from(*p as u32)),
        _ => MValue::Null,
    }
}

/// The handle a building has in mlog values.
pub fn handle(pos: i32) -> MValue {
    MValue::Building(u64::from(pos as u32))
}

/// The position behind a building handle.
pub fn handle_pos(v: &MValue) -> Option<i32> {
    match v {
        MValue::Building(h) => u32::try_from(*h).ok().map(|p| p as i32),
        _ => None,
    }
}

// ------------------------------------------------------------------------------------------------------------
// records

/// Blocks whose buildings carry [`LogicData`].
fn needs_logic(block: u16) -> bool {
    processor_kind(block).is_some()
        || memory_capacity(block).is_some()
        || matches!(block, id::REINFORCED_MESSAGE | id::WORLD_MESSAGE | id::WORLD_SWITCH)
}

/// Parses the logic state of a loaded building from its raw record (tile `x`, `y` for the log). Processors,
/// memory blocks, reinforced/world messages and world switches get [`LogicData`] and lose their raw bytes; a
/// record that does not parse is logged and kept raw (the building then does nothing).
pub fn attach(b: &mut Building, x: i32, y: i32) {
    if !needs_logic(b.block) {
        return;
    }
    let Some(raw) = b.raw.as_deref() else { return };
    match parse_record(b.block, raw) {
        Ok(data) => {
            b.logic = Some(Box::new(data));
            b.raw = None;
        }
        Err(e) => tracing::warn!(x, y, block = block_name(b.block), error = %e, "logic block not loaded"),
    }
}

/// Parses a logic building's record (revision byte, base, class tail).
pub fn parse_record(block: u16, raw: &[u8]) -> Result<LogicData, RecordError> {
    let base_len = crate::records::base_len(raw)?;
    let (base, tail) = raw.split_at(base_len);
    let revision = base.first().copied().unwrap_or(0);
    let kind = if let Some(k) = processor_kind(block) {
        let t = record::read_processor(tail, revision, k.privileged)?;
        let links = t
            .config
            .links
            .into_iter()
            .map(|l| Link {
                name: l.name,
                x: i32::from(l.x),
                y: i32::from(l.y),
                active: true,
                valid: false,
                last: None,
            })
            .collect();
        let ipt = t.ipt.map_or(k.ipt, |i| f64::from(i).clamp(1.0, MAX_WORLD_IPT));
        let mut p = Processor::new(block, t.config.code, links, t.vars, ipt);
        p.enabled = crate::records::record_enabled(base);
        p.tag = t.tag;
        p.icon = t.icon;
        if let Some(acc) = t.accumulator {
            p.state.accumulator = f64::from(acc);
        }
        for (index, time) in t.waits {
            p.state.wait_timers.insert(u32::from(index), f64::from(time));
        }
        LogicKind::Processor(Box::new(p))
    } else if let Some(cap) = memory_capacity(block) {
        LogicKind::Memory(record::read_memory(tail, cap)?)
    } else if block == id::WORLD_SWITCH {
        let mut r = multidustry_protocol::io::Reader::new(tail);
        let on = r.bool()?;
        r.finish()?;
        LogicKind::Switch(on)
    } else {
        let mut r = multidustry_protocol::io::Reader::new(tail);
        let text = r.jutf()?;
        r.finish()?;
        LogicKind::Message(text)
    };
    Ok(LogicData::new(base.to_vec(), kind))
}

/// The building record of a logic building (what `LogicBuild.write` etc. write), base bytes as loaded.
pub fn record(data: &LogicData) -> Vec<u8> {
    let mut out = data.base.clone();
    match &data.kind {
        LogicKind::Processor(p) => {
            if let Some(rev) = out.first_mut() {
                *rev = record::REVISION;
            }
            let privileged = processor_kind(p.block).is_some_and(|k| k.privileged);
            let links = p
                .links
                .iter()
                .filter(|l| l.active)
                .map(|l| record::LinkRecord { name: l.name.clone(), x: l.x as i16, y: l.y as i16 })
                .collect();
            let tail = record::ProcessorTail {
                config: record::LogicConfig { version: 1, code: p.code.clone(), links },
                vars: p.saved_vars(),
                ipt: privileged.then(|| p.state.ipt.clamp(1.0, MAX_WORLD_IPT) as i16),
                tag: p.tag.clone(),
                icon: p.icon,
                waits: p.wait_records(),
                accumulator: Some(p.state.accumulator as f32),
            };
            out.extend(record::write_processor(&tail, privileged, record::REVISION));
        }
        LogicKind::Memory(m) => out.extend(record::write_memory(m)),
        LogicKind::Message(text) => {
            let mut w = multidustry_protocol::io::Writer::new();
            if w.jutf(text).is_err() {
                let _ = w.jutf("");
            }
            out.extend(w.into_inner());
        }
        LogicKind::Switch(on) => out.push(u8::from(*on)),
    }
    out
}

/// A new building of a logic block (placed by a player or `setblock`): empty processor or zeroed memory, with a
/// fresh base (`writeBase`: health, rotation, team, version 3, enabled, no modules).
pub fn new_data(block: u16, team: u8, rotation: u8, health: f32) -> Option<LogicData> {
    let kind = if let Some(k) = processor_kind(block) {
        LogicKind::Processor(Box::new(Processor::new(block, String::new(), Vec::new(), Vec::new(), k.ipt)))
    } else if let Some(cap) = memory_capacity(block) {
        LogicKind::Memory(vec![0.0; cap])
    } else if matches!(block, id::REINFORCED_MESSAGE | id::WORLD_MESSAGE) {
        LogicKind::Message(String::new())
    } else if block == id::WORLD_SWITCH {
        LogicKind::Switch(false)
    } else {
        return None;
    };
    let mut w = multidustry_protocol::io::Writer::new();
    w.u8(0).f32(health).u8(rotation | 0x80).u8(team).u8(3).u8(1).u8(0).u8(255).u8(0);
    Some(LogicData::new(w.into_inner(), kind))
}

/// A processor building's logic data with `code` and links at absolute tile positions (names as given), as a
/// map editor would save it. `None` when `block` is no processor.
pub fn processor_data(block: u16, team: u8, code: &str, links: &[(&str, i32, i32)]) -> Option<LogicData> {
    let mut data = new_data(block, team, 0, 1.0)?;
    if let LogicKind::Processor(p) = &mut data.kind {
        p.code = code.to_string();
        p.links = links
            .iter()
            .map(|(name, x, y)| Link {
                name: (*name).to_string(),
                x: *x,
                y: *y,
                active: true,
                valid: false,
                last: None,
            })
            .collect();
    }
    Some(data)
}

// ------------------------------------------------------------------------------------------------------------
// the runner

/// Which engine runs programs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EngineKind {
    /// Cranelift JIT, interpreter when a program does not compile.
    #[default]
    Jit,
    /// The reference interpreter only.
    Interpreter,
}

/// World time as processors see it.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Clock {
    /// Wall time of the tick (for rate limits).
    pub now: Duration,
    /// Game tick counter (`state.tick`).
    pub tick: f64,
    /// Current wave.
    pub wave: i32,
    /// Ticks to the next wave.
    pub wave_countdown: f32,
}

/// What a tick of the processors asks of the simulation.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LogicOutput {
    /// Calls to broadcast to every player.
    pub calls: Vec<Call>,
    /// `setrule` changes the simulation may apply (rule name, value).
    pub rules: Vec<(String, f64)>,
    /// Marker and wave requests of world processors, in order.
    pub world: world::Requests,
}

/// Most distinct programs kept compiled (the cache is emptied when full: client edits cannot grow it).
const CACHE_LIMIT: usize = 512;

type ProgramKey = (bool, Vec<String>, String);
/// A loaded program, its compiled form (None: interpreter), and its assembler error.
type Loaded = (Arc<Program>, JitCell, Option<String>);
/// The compiled form of a program, shared by the cache and the processors running it: unset while a deferred
/// compilation waits (the interpreter runs it meanwhile), `None` when it runs on the interpreter for good.
type JitCell = Arc<OnceLock<Option<Arc<JitProgram>>>>;

/// Programs up to this many instructions are compiled when loaded; longer ones (cranelift's cost grows with
/// their size: milliseconds for a few hundred instructions) start on the interpreter and are compiled later, at
/// most [`DEFERRED_COMPILES_PER_TICK`] per world tick, so client edits and world loads never stall the world
/// thread on a burst of compilations. Both engines give the same results, so the switch is invisible.
pub const JIT_IMMEDIATE_MAX_INSTRUCTIONS: usize = 100;
/// The runner rechecks every processor's own construction state and its links' at least this often (ticks),
/// even when `Grid::construction_changes_since` says nothing changed.
pub const FULL_RECHECK_TICKS: u64 = 60;
/// The runner asks the CPU to load the variables and linked rows of the processor this many slots ahead of the
/// running one (see `Table::prefetch`).
const PREFETCH_AHEAD: usize = 4;
/// Deferred JIT compilations done per tick.
pub const DEFERRED_COMPILES_PER_TICK: usize = 1;

/// `Config.interactRateWindow` (seconds) and `interactRateLimit`: a player may configure at most this many blocks
/// per window (`Administration`'s action filter with its `Ratekeeper`).
pub const CONFIGURE_RATE_WINDOW: Duration = Duration::from_secs(6);
/// See [`CONFIGURE_RATE_WINDOW`].
pub const CONFIGURE_RATE_LIMIT: u32 = 25;

/// The processors of one world.
#[derive(Debug)]
pub struct Logic {
    /// Semantics of which client build (`Build::B159` unless the world serves 154 rules).
    pub build: Build,
    /// Engine.
    pub engine: EngineKind,
    /// Minimum time between two `tileConfig` broadcasts of one message block or switch changed by a processor;
    /// `None` sends none (clients then rely on their own simulation, as with a Java server).
    pub sync_interval: Option<Duration>,
    cache: HashMap<ProgramKey, Loaded>,
    /// Programs waiting for their deferred JIT compilation, oldest first.
    pending_jit: std::collections::VecDeque<(Arc<Program>, JitCell)>,
    /// Per player: start of the current rate window and configurations in it (`Ratekeeper`).
    rate: HashMap<i32, (Duration, u32)>,
    flags: BTreeSet<String>,
    rng: u64,
    /// Message/switch broadcasts: when each block was last sent, the blocks waiting (queued once), and the
    /// waiting ones by the time they may be sent.
    sync: SyncQueue,
    /// Instructions executed since the world started.
    pub executed: u64,
    /// The dense table of processors, memory and message texts (see [`table`]).
    table: Table,
    /// `Grid::construction_seq` at the end of the last tick: the processors that are or link the buildings whose
    /// construction state changed since are rechecked (all of them when the grid forgot, and every
    /// [`FULL_RECHECK_TICKS`] ticks in case some code changed one without telling the grid).
    seen_seq: Option<u64>,
    /// (building origin, slot index) for every slot's own position and watched link origins, sorted: who to
    /// recheck when a construction state changes. Rebuilt when `watch_dirty`.
    watch: Vec<(i32, u32)>,
    /// Slots or their watched links changed since `watch` was built.
    watch_dirty: bool,
    /// Ticks run.
    ticks: u64,
    /// Bumped whenever state the runner holds may have changed (ticks, configuration): with the grid's version,
    /// the key of anything derived from the world's records (world-stream caches).
    state_version: u64,
    /// `fetch` lists of the last tick and the `Grid::layout_version` they were current at (reused while the
    /// grid is unchanged but for this runner's own `setblock`s, which keep them up to date).
    fetch: (host::FetchLists, Option<u64>),
    /// The world's map markers (`state.markers`): only world processors change them, at once, as in Java
    /// (see [`world`] and [`crate::markers`]); saves and world streams write them.
    pub markers: crate::markers::Markers,
    /// `sync`'s rate limit state (see [`world`]).
    sync_times: world::SyncTimes,
}

impl Default for Logic {
    fn default() -> Self {
        Self::new(Build::B159, EngineKind::Jit)
    }
}

/// The mlog content table of a world running `build`'s semantics: build-159 names by native id (so
/// `Value::Content` ids are grid ids) and `build`'s logic ids (`lookup`, `@blockCount`, `sensor @id`; see
/// `multidustry_mlog::logicids` for how the build-159 table was derived and checked).
pub fn content_table(build: Build) -> ContentTable {
    let t = multidustry_world::ContentTable::for_build(multidustry_world::Build::V159);
    let mut c = ContentTable::empty();
    for (kind, ty) in [
        (ContentKind::Item, ContentType::ITEM),
        (ContentKind::Liquid, ContentType::LIQUID),
        (ContentKind::Block, ContentType::BLOCK),
        (ContentKind::Unit, ContentType::UNIT),
    ] {
        for name in t.names(ty) {
            c.push(kind, name);
        }
    }
    c.set_build_logic_ids(build);
    c
}

/// [`content_table`], built once per build.
fn shared_content(build: Build) -> &'static Arc<ContentTable> {
    static B154: OnceLock<Arc<ContentTable>> = OnceLock::new();
    static B159: OnceLock<Arc<ContentTable>> = OnceLock::new();
    let cell = match build {
        Build::B154 => &B154,
        Build::B159 => &B159,
    };
    cell.get_or_init(|| Arc::new(content_table(build)))
}

impl Logic {
    /// A runner for `build`'s semantics with `engine`.
    pub fn new(build: Build, engine: EngineKind) -> Self {
        Self {
            build,
            engine,
            sync_interval: Some(Duration::from_millis(500)),
            cache: HashMap::new(),
            pending_jit: std::collections::VecDeque::new(),
            rate: HashMap::new(),
            flags: BTreeSet::new(),
            rng: 0x9E37_79B9_7F4A_7C15,
            sync: SyncQueue::default(),
            executed: 0,
            table: Table::default(),
            seen_seq: None,
            watch: Vec::new(),
            watch_dirty: true,
            ticks: 0,
            state_version: 0,
            fetch: (host::FetchLists::default(), None),
            markers: crate::markers::Markers::default(),
            sync_times: world::SyncTimes::default(),
        }
    }

    /// World-processor flags set by `setflag`.
    pub fn flags(&self) -> &BTreeSet<String> {
        &self.flags
    }

    /// Runs every processor of `grid` for one tick of `delta` (1.0 at 60 ticks per second), in a world without
    /// units (unit instructions find nothing).
    pub fn tick(&mut self, grid: &mut Grid, clock: &Clock, delta: f32) -> LogicOutput {
        self.tick_with_units(grid, None, clock, delta)
    }

    /// [`Logic::tick`] with the world's units for the unit instructions (see [`units`]).
    pub fn tick_with_units(
        &mut self,
        grid: &mut Grid,
        mut units: Option<&mut units::Units<'_>>,
        clock: &Clock,
        delta: f32,
    ) -> LogicOutput {
        if let Some(u) = units.as_deref_mut() {
            u.begin_tick(grid, clock.tick);
        }
        for _ in 0..DEFERRED_COMPILES_PER_TICK {
            let Some((program, cell)) = self.pending_jit.pop_front() else { break };
            let _ = cell.set(compile(&program));
        }
        self.ticks = self.ticks.wrapping_add(1);
        // Construction states changed since the last tick (None: unknown, recheck every processor).
        let changes: Option<Vec<i32>> = if self.ticks.is_multiple_of(FULL_RECHECK_TICKS) {
            None
        } else {
            self.seen_seq.and_then(|s| grid.construction_changes_since(s)).map(<[i32]>::to_vec)
        };
        let foreign = changes.as_ref().is_none_or(|c| !c.is_empty());
        if self.table.layout != Some(grid.layout_version()) || (foreign && self.pending_finished(grid)) {
            self.reconcile(grid);
        }
        // The slots to recheck, sorted (all of them when `changes` is unknown).
        let recheck: Option<Vec<u32>> = changes.map(|c| self.slots_watching(&c));
        // The processors present when the tick starts run (in position order); ones `setblock` adds wait for
        // the next tick (the table is reconciled then), removed ones are skipped.
        let mut table = std::mem::take(&mut self.table);
        let layout = grid.layout_version();
        let mut effects = Effects::default();
        if !foreign && self.fetch.1 == Some(layout) {
            effects.fetch = std::mem::take(&mut self.fetch.0);
        }
        effects.markers = std::mem::take(&mut self.markers);
        effects.sync_times = std::mem::take(&mut self.sync_times);
        let mut moved = false;
        let mut next = recheck.as_deref().map(|r| r.iter().copied().peekable());
        for i in 0..table.procs.len() {
            if !moved && grid.layout_version() != layout {
                moved = true;
                table::refresh_msgs(&mut table.msgs, grid);
            }
            table.prefetch(i + PREFETCH_AHEAD);
            let marked = match &mut next {
                None => true,
                Some(it) => it.next_if_eq(&(i as u32)).is_some(),
            };
            self.step(grid, &mut table, i, clock, delta, marked || moved, &mut effects, units.as_deref_mut());
        }
        self.table = table;
        self.seen_seq = Some(grid.construction_seq());
        self.fetch = (std::mem::take(&mut effects.fetch), Some(grid.layout_version()));
        self.markers = std::mem::take(&mut effects.markers);
        self.sync_times = std::mem::take(&mut effects.sync_times);
        if !self.table.procs.is_empty() {
            self.state_version += 1;
        }
        let mut out = LogicOutput { calls: effects.calls, rules: effects.rules, world: effects.world };
        self.sync_changes(grid, clock.now, effects.changed, &mut out.calls);
        out
    }

    /// Indices of the slots that are, or watch a link to, one of the buildings at `changed` (sorted, unique).
    fn slots_watching(&mut self, changed: &[i32]) -> Vec<u32> {
        if changed.is_empty() {
            return Vec::new();
        }
        if self.watch_dirty {
            self.watch.clear();
            for (i, slot) in self.table.procs.iter().enumerate() {
                self.watch.push((slot.pos, i as u32));
                self.watch.extend(slot.proc.link_watch.iter().map(|&(o, _)| (o, i as u32)));
            }
            self.watch.sort_unstable();
            self.watch_dirty = false;
        }
        let mut out = Vec::new();
        for &pos in changed {
            let from = self.watch.partition_point(|&(p, _)| p < pos);
            out.extend(self.watch[from..].iter().take_while(|&&(p, _)| p == pos).map(|&(_, i)| i));
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Whether a construction site of a logic block was finished without logic state (it must be adopted).
    fn pending_finished(&self, grid: &Grid) -> bool {
        self.table.pending.iter().any(|&pos| {
            grid.building(pos).is_some_and(|b| b.construction.is_none() && b.logic.is_none() && b.raw.is_none())
        })
    }

    /// Rebuilds the table from the grid (after a layout change): gives logic state to logic buildings that
    /// appeared without it, keeps the rows of buildings still there (same position and serial), adopts new
    /// ones (copying their state out of the grid), drops the rest, re-reads message texts and re-resolves links.
    fn reconcile(&mut self, grid: &mut Grid) {
        let is_message = |block: u16| matches!(block, id::MESSAGE | id::REINFORCED_MESSAGE | id::WORLD_MESSAGE);
        let positions: Vec<i32> =
            grid.buildings().filter(|(_, b)| needs_logic(b.block) || is_message(b.block)).map(|(p, _)| p).collect();
        let fresh: Vec<i32> = positions
            .iter()
            .copied()
            .filter(|&pos| {
                grid.building(pos).is_some_and(|b| {
                    needs_logic(b.block) && b.construction.is_none() && b.logic.is_none() && b.raw.is_none()
                })
            })
            .collect();
        if !fresh.is_empty() {
            self.adopt_new_buildings(grid, fresh);
        }
        let old = std::mem::take(&mut self.table);
        let proc_pos: Vec<i32> = old.procs.iter().map(|s| s.pos).collect();
        let mem_pos: Vec<i32> = old.mems.iter().map(|r| r.pos).collect();
        let mut old_procs: Vec<Option<Slot>> = old.procs.into_iter().map(Some).collect();
        let mut old_mems: Vec<Option<MemRow>> = old.mems.into_iter().map(Some).collect();
        let mut t = Table::default();
        for pos in positions {
            let Some(b) = grid.building(pos) else { continue };
            if is_message(b.block) {
                t.msgs.push(MsgRow { pos, text: host::message_text(b) });
            }
            let Some(d) = b.logic.as_deref() else {
                if needs_logic(b.block) && b.raw.is_none() {
                    t.pending.push(pos);
                }
                continue;
            };
            match &d.kind {
                LogicKind::Processor(p) => {
                    let kept =
                        proc_pos.binary_search(&pos).ok().and_then(|i| old_procs[i].take_if(|s| s.serial == d.serial));
                    let mut slot = kept.unwrap_or_else(|| Slot {
                        pos,
                        serial: d.serial,
                        team: b.team,
                        constructing: false,
                        proc: (**p).clone(),
                        targets: table::LinkTargets::default(),
                        targets_layout: 0,
                    });
                    slot.team = b.team;
                    slot.constructing = b.construction.is_some();
                    // `enabled` is kept in both copies; the grid's has what building removal released.
                    slot.proc.enabled = p.enabled;
                    t.procs.push(slot);
                }
                LogicKind::Memory(m) => {
                    let kept =
                        mem_pos.binary_search(&pos).ok().and_then(|i| old_mems[i].take_if(|r| r.serial == d.serial));
                    let start = t.cells.len() as u32;
                    match kept.and_then(|r| old.cells.get(r.range())) {
                        Some(cells) => t.cells.extend_from_slice(cells),
                        None => t.cells.extend_from_slice(m),
                    }
                    let len = t.cells.len() as u32 - start;
                    t.mems.push(MemRow { pos, serial: d.serial, start, len });
                }
                LogicKind::Message(_) | LogicKind::Switch(_) => {}
            }
        }
        for slot in &mut t.procs {
            table::resolve(&t.mems, &t.msgs, grid, slot);
        }
        t.layout = Some(grid.layout_version());
        self.table = t;
        self.watch_dirty = true;
    }

    /// Gives logic state to logic buildings that appeared without it (finished by a builder, or placed by code
    /// that does not know this module); a processor whose construction carried code (a schematic's `byte[]`
    /// config, links relative) loads that code.
    fn adopt_new_buildings(&mut self, grid: &mut Grid, fresh: Vec<i32>) {
        for pos in fresh {
            let Some(b) = grid.building_mut(pos) else { continue };
            let Some(data) = new_data(b.block, b.team, b.rotation, b.health) else { continue };
            b.logic = Some(Box::new(data));
            let config = std::mem::take(&mut b.config);
            if matches!(config, Value::Other(Object::Bytes(_)))
                && let Err(why) = self.configure(grid, pos, &config)
            {
                let (x, y) = grid::unpack(pos);
                tracing::debug!(x, y, why, "built processor's code not loaded");
            }
        }
    }

    /// Broadcasts changed message texts and switch states, at most once per interval per block (a block
    /// changed within the interval after its last broadcast is sent when the interval ends, with its text then).
    fn sync_changes(&mut self, grid: &Grid, now: Duration, changed: Vec<i32>, calls: &mut Vec<Call>) {
        let Some(interval) = self.sync_interval else { return };
        let q = &mut self.sync;
        for pos in changed {
            if q.queued.insert(pos) {
                // (never before now: a send time older than the interval delays nothing, whether or not it was
                // forgotten yet)
                let due = q.last.get(&pos).map_or(now, |t| (*t + interval).max(now));
                q.due.push(std::cmp::Reverse((due, pos)));
            }
        }
        while let Some(&std::cmp::Reverse((due, pos))) = q.due.peek() {
            if due > now {
                break;
            }
            q.due.pop();
            q.queued.remove(&pos);
            q.last.insert(pos, now);
            let value = match grid.building(pos) {
                Some(b) if b.block == id::MESSAGE || b.block == id::REINFORCED_MESSAGE => {
                    let text = host::message_text(b).unwrap_or_default();
                    if text.encode_utf16().count() > crate::value::MESSAGE_MAX_CHARS {
                        continue;
                    }
                    Value::Str(Some(text))
                }
                Some(b) if b.block == id::SWITCH => Value::Bool(matches!(b.config, Value::Bool(true))),
                // blocks a processor configured with `control config`
                Some(b)
                    if crate::blocks::rule_for(b.block).is_some_and(|r| {
                        matches!(r.config, crate::blocks::ConfigKind::Item | crate::blocks::ConfigKind::Liquid)
                    }) =>
                {
                    b.config.clone()
                }
                Some(b) if control::factory_plans(b.block).is_some() => match b.config {
                    Value::Int(i) => Value::Int(i),
                    _ => Value::Int(-1),
                },
                _ => continue,
            };
            calls.push(Call::TileConfig { player: None, pos, value });
        }
        // Forget send times older than the interval (they no longer delay anything).
        // (amortized: only once the map has doubled since the last pass)
        if q.last.len() > 2 * (q.queued.len() + q.kept) + 1024 {
            q.last.retain(|_, t| now.saturating_sub(*t) < interval);
            q.kept = q.last.len();
        }
    }

    /// One processor's tick: existence and link checks (full only when the layout changed, construction states
    /// only when something outside the runner changed the grid), rebinding, then the engine.
    #[allow(clippy::too_many_arguments)]
    fn step(
        &mut self,
        grid: &mut Grid,
        table: &mut Table,
        i: usize,
        clock: &Clock,
        delta: f32,
        recheck: bool,
        effects: &mut Effects,
        units: Option<&mut units::Units<'_>>,
    ) {
        let Table { procs, mems, cells, msgs, .. } = table;
        let (before, rest) = procs.split_at_mut(i);
        let Some((slot, after)) = rest.split_first_mut() else { return };
        if recheck {
            match grid.building(slot.pos) {
                Some(b) if b.logic.as_deref().is_some_and(|d| d.serial == slot.serial) => {
                    slot.constructing = b.construction.is_some();
                    slot.team = b.team;
                }
                // removed (or replaced) since the table was built: skipped until the next reconcile
                _ => slot.constructing = true,
            }
        }
        if slot.constructing {
            return;
        }
        let (pos, team) = (slot.pos, slot.team);
        let p = &mut slot.proc;
        let Some(kind) = processor_kind(p.block) else { return };
        if !p.checked_duplicates {
            p.checked_duplicates = true;
            let mut seen = BTreeSet::new();
            p.links.retain(|l| match grid.building_at(l.x, l.y) {
                Some((origin, _)) => seen.insert(origin),
                None => true,
            });
        }
        let layout = grid.layout_version();
        let unchanged = p.links_layout == Some(layout)
            && (!recheck
                || p.link_watch
                    .iter()
                    .all(|&(o, fin)| grid.building(o).is_some_and(|b| b.construction.is_none()) == fin));
        let changed = !unchanged && {
            let changed = update_links(grid, pos, team, kind, &mut p.links);
            p.links_layout = Some(layout);
            p.link_watch.clear();
            self.watch_dirty = true;
            for l in p.links.iter().filter(|l| l.active) {
                if let Some((o, b)) = grid.building_at(l.x, l.y) {
                    p.link_watch.push((o, b.construction.is_none()));
                }
            }
            changed
        };
        if changed || p.program.is_none() {
            let keep = p.program.is_some();
            self.bind(grid, pos, team, p, clock, keep, effects);
            table::resolve(mems, msgs, grid, slot);
        }
        let p = &mut slot.proc;
        if !kind.privileged {
            p.state.ipt = kind.ipt;
        }
        if !p.enabled {
            return;
        }
        let Some(program) = p.program.as_deref() else { return };
        let mut units = units.map(units::Units::reborrow);
        let mut host = WorldHost {
            grid,
            pos,
            team,
            block: p.block,
            privileged: kind.privileged,
            links: &p.bound,
            targets: &slot.targets,
            targets_layout: slot.targets_layout,
            mems,
            cells,
            msgs,
            before,
            after,
            clock,
            rng: &mut self.rng,
            flags: &mut self.flags,
            effects,
            units: units.as_mut(),
            unit: MValue::Null,
        };
        let before = p.state.executed;
        match p.jit.get() {
            Some(Some(jit)) => engine::tick(&**jit, jit.program(), &mut p.state, &mut host, f64::from(delta)),
            _ => engine::tick(&Interpreter, program, &mut p.state, &mut host, f64::from(delta)),
        };
        self.executed += p.state.executed.saturating_sub(before);
        if let Some(on) = host.effects.disable_self.take() {
            p.enabled = on;
            // `enabled` is a building property `control` and building removal change in the grid's copy too.
            if let Some(LogicData { kind: LogicKind::Processor(g), .. }) =
                grid.building_mut(pos).and_then(|b| b.logic.as_deref_mut())
            {
                g.enabled = on;
            }
        }
    }

    /// Copies a processor's `enabled` from the grid's copy into its table slot (after `control::on_unlink` or
    /// `control::release_disabled_by` changed the grid's copy).
    fn mirror_enabled(&mut self, grid: &Grid, pos: i32) {
        let Some(LogicData { kind: LogicKind::Processor(g), .. }) = grid.building(pos).and_then(|b| b.logic.as_deref())
        else {
            return;
        };
        if let Some(i) = table::slot_index(&self.table.procs, grid, pos) {
            self.table.procs[i].proc.enabled = g.enabled;
        }
    }

    /// `updateCode`: assembles the code with the currently valid links as constants, compiles it, and makes a new
    /// state (variables kept by name when `keep`, else restored from the record's saved variables).
    #[allow(clippy::too_many_arguments)]
    fn bind(
        &mut self,
        grid: &mut Grid,
        pos: i32,
        team: u8,
        p: &mut Processor,
        clock: &Clock,
        keep: bool,
        effects: &mut Effects,
    ) {
        let Some(kind) = processor_kind(p.block) else { return };
        let mut names = Vec::new();
        p.bound.clear();
        for l in p.links.iter().filter(|l| l.active && l.valid) {
            if let Some((origin, _)) = grid.building_at(l.x, l.y) {
                names.push(l.name.clone());
                p.bound.push(origin);
            }
        }
        let key = (kind.privileged, names, p.code.clone());
        if self.cache.len() >= CACHE_LIMIT && !self.cache.contains_key(&key) {
            self.cache.clear();
        }
        let entry = self.cache.entry(key).or_insert_with_key(|(privileged, names, code)| {
            let opts = ParseOptions::new(self.build, *privileged, names, shared_content(self.build));
            let (program, err) = parse_or_empty(code, &opts);
            let program = Arc::new(program);
            let jit: JitCell = Arc::new(OnceLock::new());
            match self.engine {
                EngineKind::Jit if program.instrs.len() <= JIT_IMMEDIATE_MAX_INSTRUCTIONS => {
                    let _ = jit.set(compile(&program));
                }
                EngineKind::Jit => self.pending_jit.push_back((program.clone(), jit.clone())),
                EngineKind::Interpreter => {
                    let _ = jit.set(None);
                }
            }
            (program, jit, err.map(|e| e.to_string()))
        });
        let (program, jit, err) = entry.clone();
        if let Some(e) = &err {
            let (x, y) = grid::unpack(pos);
            tracing::debug!(x, y, error = %e, "processor code does not assemble; it runs nothing");
        }
        let mut host = WorldHost {
            grid,
            pos,
            team,
            block: p.block,
            privileged: kind.privileged,
            links: &p.bound,
            targets: &table::LinkTargets::default(),
            targets_layout: 0,
            mems: &[],
            cells: &mut [],
            msgs: &mut [],
            before: &mut [],
            after: &mut [],
            clock,
            rng: &mut self.rng,
            flags: &mut self.flags,
            effects,
            units: None,
            unit: MValue::Null,
        };
        let mut state = ProcessorState::new(&program, p.state.ipt, &mut host);
        state.accumulator = p.state.accumulator;
        state.executed = p.state.executed;
        if !keep {
            // wait timers saved by a revision-4 record (the instruction indices belong to this code)
            state.wait_timers = std::mem::take(&mut p.state.wait_timers);
        }
        let restore: Vec<(String, MValue)> = if keep {
            // `@counter` is a plain variable in the game: rebinding keeps it, like the others.
            state.counter = p.state.counter;
            p.program
                .as_deref()
                .map(|old| {
                    old.slots
                        .iter()
                        .zip(&p.state.vars)
                        .filter(|(s, _)| matches!(s.kind, SlotKind::Var | SlotKind::Unit))
                        .map(|(s, v)| (s.name.clone(), v.clone()))
                        .collect()
                })
                .unwrap_or_default()
        } else {
            std::mem::take(&mut p.saved).iter().map(|(n, o)| (n.clone(), from_object(o))).collect()
        };
        for (name, v) in restore {
            if name == "@counter" {
                if let MValue::Num(c) = v {
                    state.counter = c;
                }
                continue;
            }
            if let Some(slot) = program.slot_of(&name)
                && matches!(program.slots.get(slot as usize).map(|s| &s.kind), Some(SlotKind::Var | SlotKind::Unit))
                && let Some(dst) = state.vars.get_mut(slot as usize)
            {
                *dst = v;
            }
        }
        p.state = state;
        p.program = Some(program);
        p.jit = jit;
        p.error = err;
    }

    /// A client's `tileConfig` on a processor: new compressed code (`byte[]`, links relative) or a link toggle
    /// (`Integer` position). Returns whether it was applied (the caller then broadcasts it). World processors
    /// are not editable by players (`accessible()` is false outside the editor). Applies to the runner's slot
    /// when the processor is adopted, else to the grid's state.
    pub fn configure(&mut self, grid: &mut Grid, pos: i32, value: &Value) -> Result<(), &'static str> {
        let Some(b) = grid.building(pos) else { return Err("no building") };
        let Some(kind) = processor_kind(b.block) else { return Err("not a processor") };
        if kind.privileged {
            return Err("world processors are not editable");
        }
        let team = b.team;
        let (px, py) = grid::unpack(pos);
        let change = match value {
            Value::Other(Object::Bytes(data)) => {
                let cfg = record::decompress(data).map_err(|e| {
                    tracing::debug!(x = px, y = py, error = %e, "processor configuration rejected");
                    "bad logic bytes"
                })?;
                let mut links: Vec<Link> = Vec::new();
                for l in cfg.links {
                    let (x, y) = (px + i32::from(l.x), py + i32::from(l.y));
                    let mut name = l.name;
                    if let Some((_, other)) = grid.building_at(x, y) {
                        let base = link_base_name(block_name(other.block));
                        if !name.starts_with(base) {
                            name = find_link_name(&links, base);
                        }
                    }
                    links.push(Link { name, x, y, active: true, valid: false, last: None });
                }
                Change::Code(cfg.code, links)
            }
            Value::Int(target) => {
                let Some((origin, other)) = grid.building_at(grid::unpack(*target).0, grid::unpack(*target).1) else {
                    return Err("no building to link");
                };
                if !valid_link(grid, pos, team, kind, origin) {
                    return Err("not a valid link");
                }
                let (ox, oy) = grid::unpack(origin);
                Change::Toggle(ox, oy, link_base_name(block_name(other.block)).to_string())
            }
            _ => return Err("unsupported processor configuration"),
        };
        let toggled = match &change {
            Change::Toggle(ox, oy, _) => Some(grid::pack(*ox, *oy)),
            Change::Code(..) => None,
        };
        if let Some(i) = table::slot_index(&self.table.procs, grid, pos) {
            let mut procs = std::mem::take(&mut self.table.procs);
            let slot = &mut procs[i];
            self.apply_change(grid, pos, team, kind, &mut slot.proc, change);
            table::resolve(&self.table.mems, &self.table.msgs, grid, slot);
            self.table.procs = procs;
            if let Some(other) = toggled {
                self.mirror_enabled(grid, other);
            }
        } else {
            let Some(b) = grid.building_mut(pos) else { return Err("no building") };
            let Some(mut data) = b.logic.take() else { return Err("processor not loaded") };
            if let LogicKind::Processor(p) = &mut data.kind {
                self.apply_change(grid, pos, team, kind, p, change);
            }
            if let Some(b) = grid.building_mut(pos) {
                b.logic = Some(data);
            }
        }
        self.state_version += 1;
        Ok(())
    }

    /// Applies a validated configuration to `p` and rebinds it.
    fn apply_change(&mut self, grid: &mut Grid, pos: i32, team: u8, kind: ProcessorKind, p: &mut Processor, c: Change) {
        let keep = match c {
            Change::Code(code, links) => {
                p.code = code;
                p.links = links;
                p.saved.clear();
                false
            }
            Change::Toggle(ox, oy, base) => {
                let mut unlinked = false;
                if let Some(i) = p.links.iter().position(|l| l.x == ox && l.y == oy) {
                    let l = &mut p.links[i];
                    l.active = !l.active;
                    unlinked = !l.active;
                    if !l.name.starts_with(&base) {
                        l.name.clear();
                        let name = find_link_name(&p.links, &base);
                        p.links[i].name = name;
                    }
                } else {
                    p.links.retain(|l| !(l.x == ox && l.y == oy));
                    let name = find_link_name(&p.links, &base);
                    p.links.push(Link { name, x: ox, y: oy, active: true, valid: true, last: None });
                }
                if unlinked {
                    control::on_unlink(grid, pos, grid::pack(ox, oy));
                }
                true
            }
        };
        update_links(grid, pos, team, kind, &mut p.links);
        p.links_layout = None;
        let clock = Clock::default();
        let mut effects = Effects::default();
        // Rebinding reads only link constants from the host; nothing it does has effects.
        self.bind(grid, pos, team, p, &clock, keep && p.program.is_some(), &mut effects);
    }

    /// [`Logic::configure`] for a player's `tileConfig`, limited as the Java server's anti-spam action filter
    /// limits block configuration: at most [`CONFIGURE_RATE_LIMIT`] per [`CONFIGURE_RATE_WINDOW`] per player
    /// (a window starts with the first configuration after the previous one ended). Refused configurations do
    /// nothing. Partial: the Java filter also covers other blocks' configurations (the caller's business), lets
    /// a player configure a block they just built once without counting, and kicks at 60 in a window.
    pub fn configure_by(
        &mut self,
        grid: &mut Grid,
        pos: i32,
        value: &Value,
        player: i32,
        now: Duration,
    ) -> Result<(), &'static str> {
        if self.rate.len() > 4096 {
            self.rate.retain(|_, (start, _)| now.saturating_sub(*start) <= CONFIGURE_RATE_WINDOW);
        }
        let (start, count) = self.rate.entry(player).or_insert((now, 0));
        if now.saturating_sub(*start) > CONFIGURE_RATE_WINDOW {
            *start = now;
            *count = 0;
        }
        *count += 1;
        if *count > CONFIGURE_RATE_LIMIT {
            return Err("configuring blocks too quickly");
        }
        self.configure(grid, pos, value)
    }

    /// The processor at `pos`: the runner's state when it holds it, else the grid's.
    pub fn processor<'a>(&'a self, grid: &'a Grid, pos: i32) -> Option<&'a Processor> {
        let d = grid.building(pos)?.logic.as_deref()?;
        let LogicKind::Processor(p) = &d.kind else { return None };
        match table::slot_index(&self.table.procs, grid, pos) {
            Some(i) => Some(&self.table.procs[i].proc),
            None => Some(p),
        }
    }

    /// The cells of the memory block at `pos`: the runner's when it holds them, else the grid's.
    pub fn memory<'a>(&'a self, grid: &'a Grid, pos: i32) -> Option<&'a [f64]> {
        let d = grid.building(pos)?.logic.as_deref()?;
        let LogicKind::Memory(m) = &d.kind else { return None };
        match table::mem_index(&self.table.mems, pos, d.serial) {
            Some(i) => self.table.cells.get(self.table.mems[i].range()),
            None => Some(m),
        }
    }

    /// Writes the state the runner holds (processors, memory) back into `grid`'s logic data, for readers that
    /// look at the grid (records for saves, world streams, block snapshots). `grid` may be a clone of the grid
    /// the runner ticks (a save job's copy): rows are matched by position and serial.
    pub fn write_back(&self, grid: &mut Grid) {
        for slot in &self.table.procs {
            write_processor(grid, slot);
        }
        for row in &self.table.mems {
            write_memory(grid, row, &self.table.cells);
        }
    }

    /// [`Logic::write_back`] for the building at `pos` only.
    pub fn write_back_at(&self, grid: &mut Grid, pos: i32) {
        if let Ok(i) = self.table.procs.binary_search_by_key(&pos, |s| s.pos) {
            write_processor(grid, &self.table.procs[i]);
        }
        if let Ok(i) = self.table.mems.binary_search_by_key(&pos, |r| r.pos) {
            write_memory(grid, &self.table.mems[i], &self.table.cells);
        }
    }

    /// Whether the runner holds any state that [`Logic::write_back`] would write.
    pub fn holds_state(&self) -> bool {
        !self.table.procs.is_empty() || !self.table.mems.is_empty()
    }

    /// Changes whenever state the runner holds may have changed (see [`Logic::write_back`]): caches of records
    /// are keyed by it together with `Grid::version`.
    pub fn state_version(&self) -> u64 {
        self.state_version
    }

    /// Tells the runner that something outside it changed the configuration of the building at `pos` (a
    /// client's `tileConfig` on a message block): its mirrored message text is re-read.
    pub fn config_changed(&mut self, grid: &Grid, pos: i32) {
        if let Some(i) = table::msg_index(&self.table.msgs, pos) {
            self.table.msgs[i].text = grid.building(pos).and_then(host::message_text);
        }
    }

    /// Programs waiting for a deferred JIT compilation.
    pub fn pending_compilations(&self) -> usize {
        self.pending_jit.len()
    }

    /// Compiled programs currently cached (distinct code × links × privilege).
    pub fn cached_programs(&self) -> usize {
        self.cache.len()
    }
}

/// Pending message/switch broadcasts (see `Logic::sync_changes`).
#[derive(Debug, Default)]
struct SyncQueue {
    /// Last broadcast per block.
    last: HashMap<i32, Duration>,
    /// Blocks waiting for their broadcast.
    queued: std::collections::HashSet<i32>,
    /// Waiting blocks by the time they may be sent (earliest first).
    due: std::collections::BinaryHeap<std::cmp::Reverse<(Duration, i32)>>,
    /// Entries `last` kept at its last pruning.
    kept: usize,
}

/// A validated client configuration of a processor.
enum Change {
    /// New code and links (absolute positions).
    Code(String, Vec<Link>),
    /// Toggle the link to the building with this origin, named from this base.
    Toggle(i32, i32, String),
}

/// JIT-compiles `program` (None: the interpreter runs it; logged).
fn compile(program: &Program) -> Option<Arc<JitProgram>> {
    match JitProgram::compile(program) {
        Ok(j) => Some(Arc::new(j)),
        Err(e) => {
            tracing::warn!(error = %e, "processor program not compiled; the interpreter runs it");
            None
        }
    }
}

/// Copies an adopted processor into the grid's logic data at its position (if it is still the same state).
fn write_processor(grid: &mut Grid, slot: &Slot) {
    if table::serial_at(grid, slot.pos) != Some(slot.serial) {
        return;
    }
    if let Some(LogicKind::Processor(p)) =
        grid.building_mut(slot.pos).and_then(|b| b.logic.as_deref_mut()).map(|d| &mut d.kind)
    {
        (**p).clone_from(&slot.proc);
    }
}

/// Copies an adopted memory block into the grid's logic data at its position (if it is still the same state).
fn write_memory(grid: &mut Grid, row: &MemRow, cells: &[f64]) {
    if table::serial_at(grid, row.pos) != Some(row.serial) {
        return;
    }
    if let Some(LogicKind::Memory(m)) =
        grid.building_mut(row.pos).and_then(|b| b.logic.as_deref_mut()).map(|d| &mut d.kind)
        && let Some(data) = cells.get(row.range())
    {
        m.clear();
        m.extend_from_slice(data);
    }
}

/// `LogicBuild.validLink`: a finished building of the same team within range (world processors: anything),
/// never a privileged block for a normal processor.
fn valid_link(grid: &Grid, pos: i32, team: u8, kind: ProcessorKind, other: i32) -> bool {
    let (Some(me), Some(o)) = (grid.building(pos), grid.building(other)) else { return false };
    valid_link_to(pos, me.block, team, kind, other, o)
}

/// [`valid_link`] with both buildings at hand (no lookups).
fn valid_link_to(pos: i32, block: u16, team: u8, kind: ProcessorKind, other: i32, o: &Building) -> bool {
    if o.construction.is_some() {
        return false;
    }
    if kind.privileged {
        return true;
    }
    if privileged_block(o.block) || o.team != team {
        return false;
    }
    let (ax, ay) = centre(pos, block);
    let (bx, by) = centre(other, o.block);
    let reach = kind.range + f32::from(block_size(o.block)) * 8.0 / 2.0;
    ((ax - bx).powi(2) + (ay - by).powi(2)).sqrt() <= reach
}

/// The per-tick link check of `LogicBuild.updateTile`: recomputes validity; a link that became valid or now
/// points at another building is renamed for it, and other links to that building are dropped. Returns whether
/// anything changed (the program must then be rebound).
fn update_links(grid: &Grid, pos: i32, team: u8, kind: ProcessorKind, links: &mut Vec<Link>) -> bool {
    let Some(block) = grid.building(pos).map(|b| b.block) else { return false };
    let mut changed = false;
    let mut again = true;
    while again {
        again = false;
        for i in 0..links.len() {
            if !links[i].active {
                continue;
            }
            let at = grid.building_at(links[i].x, links[i].y);
            let cur = at.map(|(o, b)| (o, b.block));
            let valid = at.is_some_and(|(o, b)| valid_link_to(pos, block, team, kind, o, b));
            if links[i].last.is_none() {
                links[i].last = cur;
            }
            if valid != links[i].valid || links[i].last != cur {
                links[i].last = cur;
                links[i].valid = valid;
                changed = true;
                if valid && let Some((origin, block)) = cur {
                    links[i].name.clear();
                    let name = find_link_name(links, link_base_name(block_name(block)));
                    links[i].name = name;
                    let keep_at = (links[i].x, links[i].y);
                    let mut idx = 0;
                    links.retain(|l| {
                        let this = idx;
                        idx += 1;
                        this == i
                            || (l.x, l.y) == keep_at
                            || grid.building_at(l.x, l.y).is_none_or(|(o, _)| o != origin)
                    });
                    again = true;
                    break;
                }
            }
        }
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_names_follow_the_game() {
        assert_eq!(link_base_name("memory-cell"), "cell");
        assert_eq!(link_base_name("message"), "message");
        assert_eq!(link_base_name("large-logic-display"), "display");
        assert_eq!(link_base_name("copper-wall-large"), "wall");
        assert_eq!(link_base_name("micro-processor"), "processor");
        let l = |name: &str| Link { name: name.into(), x: 0, y: 0, active: true, valid: true, last: None };
        assert_eq!(find_link_name(&[], "cell"), "cell1");
        assert_eq!(find_link_name(&[l("cell1"), l("cell3")], "cell"), "cell2");
        assert_eq!(find_link_name(&[l("cell1"), l("cell2")], "cell"), "cell3");
        assert_eq!(find_link_name(&[l("cell2147483647")], "cell"), "cell1");
    }

    #[test]
    fn values_convert_to_saved_objects_and_back() {
        for v in [
            MValue::Num(2.5),
            MValue::Str("hi".into()),
            MValue::Content(ContentKind::Item, 3),
            MValue::Content(ContentKind::Block, 431),
            MValue::Team(2),
            handle(grid::pack(3, 4)),
        ] {
            let o = to_object(&v).expect("saved");
            assert_eq!(from_object(&o), v);
        }
        assert_eq!(to_object(&MValue::Null), None);
        assert_eq!(from_object(&Object::Bool(true)), MValue::Num(1.0));
    }

    #[test]
    fn message_broadcasts_do_not_depend_on_when_old_send_times_are_forgotten() {
        let mut g = Grid::new(10, 10, 33);
        let (a, b) = (grid::pack(5, 5), grid::pack(2, 2));
        for pos in [a, b] {
            let mut m = Building::new(id::MESSAGE, 1, 0, 100.0);
            m.config = Value::Str(Some(format!("at {pos}")));
            let (x, y) = grid::unpack(pos);
            assert!(g.put(x, y, 1, m));
        }
        let sent = |calls: &[Call]| -> Vec<i32> {
            calls.iter().filter_map(|c| if let Call::TileConfig { pos, .. } = c { Some(*pos) } else { None }).collect()
        };
        let mut l = Logic::default();
        let mut calls = Vec::new();
        l.sync_changes(&g, Duration::from_secs(1), vec![a], &mut calls);
        assert_eq!(sent(&calls), [a]);
        // Long after the interval: `a`'s old send time is still remembered (the map is small), yet both go out
        // now in position order, as they would once it was forgotten.
        calls.clear();
        l.sync_changes(&g, Duration::from_secs(60), vec![a, b], &mut calls);
        assert_eq!(sent(&calls), [b, a]);
        // Within the interval a change waits for it to end.
        calls.clear();
        l.sync_changes(&g, Duration::from_millis(60_100), vec![a], &mut calls);
        assert!(calls.is_empty());
        l.sync_changes(&g, Duration::from_millis(60_500), Vec::new(), &mut calls);
        assert_eq!(sent(&calls), [a]);
    }
}
