//! The runner's dense table: the processors, memory blocks and message texts of one world in contiguous
//! storage, so that a steady-state tick reads and writes only this table (no grid lookups, no hashing, no
//! allocation for `read`/`write` of linked memory and `printflush` to a linked message).
//!
//! Owns: [`Table`] (processor slots in position order, memory rows and message rows sorted by position),
//! the resolution of a processor's bound links to table rows ([`resolve`]), and the lookups by position.
//! Does not own: when the table is rebuilt (the parent module reconciles it with the grid whenever
//! `Grid::layout_version` changes or a finished construction needs logic state), instruction semantics (`host`).
//!
//! Invariants:
//! * rows are sorted by position (binary search); a processor or memory row is the building's state while the
//!   grid building at that position carries [`super::LogicData`] with the row's serial ("adopted"): the row is
//!   then authoritative and the grid's copy is the state as of the last `Logic::write_back`;
//! * message rows are only a mirror of the grid's text (the grid stays authoritative for messages: clients
//!   configure them), refreshed on reconcile, after a layout change inside a tick and by
//!   `Logic::config_changed`; `text == None` marks a row whose building is no longer a message;
//! * `Slot::targets` is parallel to `Slot::proc.bound` and names rows of the same table.

use super::Processor;
use crate::grid::Grid;

/// Where a bound link's state lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Target {
    /// Memory row index.
    Mem(u32),
    /// Message row index.
    Msg(u32),
    /// Anything else (the grid serves it).
    Other,
}

/// One adopted processor.
#[derive(Debug)]
pub(super) struct Slot {
    /// Origin position.
    pub pos: i32,
    /// Serial of the grid's `LogicData` this slot was adopted from.
    pub serial: u64,
    /// Team of the building.
    pub team: u8,
    /// Under (de)construction or gone: does not run.
    pub constructing: bool,
    /// The processor (authoritative while adopted).
    pub proc: Processor,
    /// Per bound link, where its state lives.
    pub targets: Vec<Target>,
    /// `Grid::layout_version` `targets` were resolved at (they are used only while it is current).
    pub targets_layout: u64,
}

/// One adopted memory block.
#[derive(Debug)]
pub(super) struct MemRow {
    /// Origin position.
    pub pos: i32,
    /// Serial of the grid's `LogicData`.
    pub serial: u64,
    /// The cells.
    pub data: Vec<f64>,
}

/// The mirrored text of one message block.
#[derive(Debug)]
pub(super) struct MsgRow {
    /// Origin position.
    pub pos: i32,
    /// Current text (None: no longer a message).
    pub text: Option<String>,
}

/// The table.
#[derive(Debug, Default)]
pub(super) struct Table {
    /// Processors in position order (the order they run in).
    pub procs: Vec<Slot>,
    /// Memory blocks by position.
    pub mems: Vec<MemRow>,
    /// Message blocks by position.
    pub msgs: Vec<MsgRow>,
    /// `Grid::layout_version` the table was reconciled for.
    pub layout: Option<u64>,
    /// Logic blocks without logic state (construction sites): adopted when they are finished.
    pub pending: Vec<i32>,
}

/// Serial of the logic state at `pos` in `grid`.
pub(super) fn serial_at(grid: &Grid, pos: i32) -> Option<u64> {
    grid.building(pos).and_then(|b| b.logic.as_deref()).map(super::LogicData::serial)
}

/// Index of the adopted processor at `pos` among `slots` (its serial must match the grid's).
pub(super) fn slot_index(slots: &[Slot], grid: &Grid, pos: i32) -> Option<usize> {
    let i = slots.binary_search_by_key(&pos, |s| s.pos).ok()?;
    (Some(slots[i].serial) == serial_at(grid, pos)).then_some(i)
}

/// Index of the adopted memory block at `pos`, given the serial of the grid's state there.
pub(super) fn mem_index(mems: &[MemRow], pos: i32, serial: u64) -> Option<usize> {
    let i = mems.binary_search_by_key(&pos, |r| r.pos).ok()?;
    (mems[i].serial == serial).then_some(i)
}

/// Index of the message row at `pos`.
pub(super) fn msg_index(msgs: &[MsgRow], pos: i32) -> Option<usize> {
    msgs.binary_search_by_key(&pos, |r| r.pos).ok()
}

/// Resolves the slot's bound link positions to table rows.
pub(super) fn resolve(mems: &[MemRow], msgs: &[MsgRow], grid: &Grid, slot: &mut Slot) {
    let (bound, out) = (&slot.proc.bound, &mut slot.targets);
    slot.targets_layout = grid.layout_version();
    out.clear();
    for &pos in bound {
        let mem = serial_at(grid, pos).and_then(|s| mem_index(mems, pos, s));
        let t = match (mem, msg_index(msgs, pos)) {
            (Some(i), _) => Target::Mem(i as u32),
            (None, Some(i)) if msgs[i].text.is_some() => Target::Msg(i as u32),
            _ => Target::Other,
        };
        out.push(t);
    }
}

/// Re-reads every message row's text from the grid (after a layout change inside a tick).
pub(super) fn refresh_msgs(msgs: &mut [MsgRow], grid: &Grid) {
    for r in msgs {
        r.text = grid.building(r.pos).and_then(super::host::message_text);
    }
}
