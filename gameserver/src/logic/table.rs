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
//! * `Slot::targets` holds the positions of `Slot::proc.bound` with their rows (cell ranges) of the same table,
//!   valid while `Grid::layout_version` equals `Slot::targets_layout`;
//! * memory rows own consecutive ranges of `Table::cells` in position order, so processors running in position
//!   order walk the cells of their neighbouring memory blocks sequentially;
//! * a [`Slot`] is cache-line aligned and keeps what a steady-state tick touches in its first [`HOT_BYTES`]
//!   (four lines: its own fields, then the hot heads of `Processor` and `ProcessorState`, all `repr(C)`); the
//!   prefetch loads only those lines, a few lines of the processor's variables and its linked rows.

use super::Processor;
use crate::grid::Grid;

/// Where a bound link's state lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Target {
    /// Memory: a range of [`Table::cells`].
    Mem {
        /// First cell.
        start: u32,
        /// Number of cells.
        len: u32,
    },
    /// Message row index.
    Msg(u32),
    /// Anything else (the grid serves it).
    Other,
}

/// Links kept inside the slot (no pointer to follow for the common processor with a few links).
pub(super) const INLINE_LINKS: usize = 4;

/// A processor's bound links with their targets: the first [`INLINE_LINKS`] inline, the rest spilled.
#[derive(Debug, Clone, Default)]
pub(super) struct LinkTargets {
    inline: [(i32, Option<Target>); INLINE_LINKS],
    spill: Box<[(i32, Target)]>,
}

impl LinkTargets {
    /// The target of the bound link to `pos`.
    #[inline]
    pub fn find(&self, pos: i32) -> Option<Target> {
        for &(p, t) in &self.inline {
            match t {
                Some(t) if p == pos => return Some(t),
                Some(_) => {}
                None => return None,
            }
        }
        self.spill.iter().find(|(p, _)| *p == pos).map(|(_, t)| *t)
    }

    /// The targets of `links` (in link order).
    fn new(links: impl Iterator<Item = (i32, Target)>) -> Self {
        let mut out = Self::default();
        let mut spill = Vec::new();
        for (pos, t) in links {
            match out.inline.iter_mut().find(|(_, t)| t.is_none()) {
                Some(free) => *free = (pos, Some(t)),
                None => spill.push((pos, t)),
            }
        }
        out.spill = spill.into_boxed_slice();
        out
    }
}

/// One adopted processor.
///
/// Laid out (`repr(C)`, cache-line aligned) so that what a steady-state tick reads and writes comes first and
/// fills [`HOT_BYTES`] (four cache lines): these fields and the link targets, then [`Processor`]'s own hot head
/// (see its layout note) with the hot head of its `ProcessorState`; the rest of the processor (code, links,
/// saved variables, wait timers, ...) and the serial follow, and are touched only when something changes.
#[derive(Debug)]
#[repr(C, align(64))]
pub(super) struct Slot {
    /// Origin position.
    pub pos: i32,
    /// Team of the building.
    pub team: u8,
    /// Under (de)construction or gone: does not run.
    pub constructing: bool,
    /// `Grid::layout_version` `targets` were resolved at (they are used only while it is current).
    pub targets_layout: u64,
    /// Per bound link, where its state lives.
    pub targets: LinkTargets,
    /// The processor (authoritative while adopted).
    pub proc: Processor,
    /// Serial of the grid's `LogicData` this slot was adopted from.
    pub serial: u64,
}

/// Bytes at the start of a [`Slot`] that running its processor in a steady-state tick touches (the slot's own
/// fields, the processor's hot head and the state's hot head); `Table::prefetch` loads these lines only.
pub(super) const HOT_BYTES: usize =
    std::mem::offset_of!(Slot, proc) + std::mem::offset_of!(Processor, state) + multidustry_mlog::state::HOT_BYTES;

/// One adopted memory block.
#[derive(Debug)]
pub(super) struct MemRow {
    /// Origin position.
    pub pos: i32,
    /// Serial of the grid's `LogicData`.
    pub serial: u64,
    /// Its cells: `Table::cells[start..start + len]`.
    pub start: u32,
    /// Number of cells.
    pub len: u32,
}

impl MemRow {
    /// The row's range of `Table::cells`.
    pub fn range(&self) -> std::ops::Range<usize> {
        self.start as usize..self.start as usize + self.len as usize
    }

    fn target(&self) -> Target {
        Target::Mem { start: self.start, len: self.len }
    }
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
    /// The cells of every memory block, block after block in position order.
    pub cells: Vec<f64>,
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

impl Table {
    /// Asks the CPU to start loading what running processor `i` touches first and that lies outside the slot
    /// array (its variables, the first cell of each linked memory block, its linked message rows), so that the
    /// loads overlap the run of the processors before it. A hint only: no effect on results.
    /// Also starts loading slot `i + 4` itself (read here when its turn comes to be `i`).
    #[inline]
    pub fn prefetch(&self, i: usize) {
        if let Some(ahead) = self.procs.get(i + 4) {
            let p: *const Slot = ahead;
            for line in (0..HOT_BYTES).step_by(64) {
                prefetch(p.cast::<u8>().wrapping_add(line));
            }
        }
        let Some(slot) = self.procs.get(i) else { return };
        // (every line the variables overlap, from the line of the first one)
        let vars = slot.proc.state.vars.as_ptr_range();
        let first = vars.start.cast::<u8>().wrapping_sub(vars.start as usize % 64);
        for line in (0..(vars.end as usize).saturating_sub(first as usize)).step_by(64).take(PREFETCH_VAR_LINES) {
            prefetch(first.wrapping_add(line));
        }
        for (_, t) in &slot.targets.inline {
            match t {
                Some(Target::Mem { start, .. }) => prefetch(self.cells.as_ptr().wrapping_add(*start as usize)),
                Some(Target::Msg(m)) => prefetch(self.msgs.as_ptr().wrapping_add(*m as usize)),
                Some(Target::Other) => {}
                None => break,
            }
        }
    }
}

/// Most cache lines of a processor's variables `Table::prefetch` asks for (a small program's all).
const PREFETCH_VAR_LINES: usize = 4;

/// A prefetch hint for the cache line holding `p` (never dereferenced; any address is allowed).
#[inline(always)]
fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `_mm_prefetch` only hints the cache; it does not access memory, cannot fault on any address, and
    // SSE (its target feature) is part of the x86_64 baseline.
    #[allow(unsafe_code)]
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// Resolves the slot's bound link positions to table rows.
pub(super) fn resolve(mems: &[MemRow], msgs: &[MsgRow], grid: &Grid, slot: &mut Slot) {
    slot.targets_layout = grid.layout_version();
    slot.targets = LinkTargets::new(slot.proc.bound.iter().map(|&pos| {
        let mem = serial_at(grid, pos).and_then(|s| mem_index(mems, pos, s));
        let t = match (mem, msg_index(msgs, pos)) {
            (Some(i), _) => mems[i].target(),
            (None, Some(i)) if msgs[i].text.is_some() => Target::Msg(i as u32),
            _ => Target::Other,
        };
        (pos, t)
    }));
}

/// Re-reads every message row's text from the grid (after a layout change inside a tick).
pub(super) fn refresh_msgs(msgs: &mut [MsgRow], grid: &Grid) {
    for r in msgs {
        r.text = grid.building(r.pos).and_then(super::host::message_text);
    }
}

#[cfg(test)]
mod tests {
    use std::mem::{align_of, offset_of, size_of};

    use super::*;
    use multidustry_mlog::state::ProcessorState;

    /// Offset of the end of a field inside a [`Slot`] (via the processor and its state where nested).
    fn end_in_slot(proc_field: Option<(usize, usize)>, state_field: Option<(usize, usize)>) -> usize {
        let base = offset_of!(Slot, proc);
        match (proc_field, state_field) {
            (Some((off, len)), None) => base + off + len,
            (None, Some((off, len))) => base + offset_of!(Processor, state) + off + len,
            _ => unreachable!(),
        }
    }

    #[test]
    fn what_a_steady_tick_touches_lies_in_the_first_four_cache_lines_of_a_slot() {
        assert_eq!(align_of::<Slot>(), 64);
        const { assert!(HOT_BYTES <= 4 * 64) };
        assert!(size_of::<Slot>() > HOT_BYTES, "the cold part follows");
        // the slot's own per-tick fields
        for end in [
            offset_of!(Slot, pos) + size_of::<i32>(),
            offset_of!(Slot, team) + 1,
            offset_of!(Slot, constructing) + 1,
            offset_of!(Slot, targets_layout) + 8,
            offset_of!(Slot, targets) + size_of::<LinkTargets>(),
        ] {
            assert!(end <= offset_of!(Slot, proc), "{end}");
        }
        // the processor's: program, compiled form, bound links, link check, block, enabled
        for (off, len) in [
            (offset_of!(Processor, program), 8),
            (offset_of!(Processor, jit), 8),
            (offset_of!(Processor, bound), 24),
            (offset_of!(Processor, links_layout), 16),
            (offset_of!(Processor, block), 2),
            (offset_of!(Processor, enabled), 1),
            (offset_of!(Processor, checked_duplicates), 1),
        ] {
            assert!(end_in_slot(Some((off, len)), None) <= HOT_BYTES, "processor field at {off}");
        }
        // the state's: variables, counter, accumulator, rate, statistics, text buffer
        for (off, len) in [
            (offset_of!(ProcessorState, vars), 24),
            (offset_of!(ProcessorState, counter), 8),
            (offset_of!(ProcessorState, accumulator), 8),
            (offset_of!(ProcessorState, ipt), 8),
            (offset_of!(ProcessorState, executed), 8),
            (offset_of!(ProcessorState, text), 24),
            (offset_of!(ProcessorState, text_units), 8),
            (offset_of!(ProcessorState, assert_mark), 8),
        ] {
            assert!(end_in_slot(None, Some((off, len))) <= HOT_BYTES, "state field at {off}");
        }
        // and what only changes and saves touch comes after
        assert!(offset_of!(Slot, serial) >= HOT_BYTES);
        assert!(end_in_slot(Some((offset_of!(Processor, code), 0)), None) >= HOT_BYTES);
    }

    #[test]
    fn link_targets_find_inline_and_spilled_links() {
        let t = |i: u32| Target::Mem { start: i * 64, len: 64 };
        let links = LinkTargets::new((0..6).map(|i| (i * 10, t(i as u32))));
        for i in 0..6 {
            assert_eq!(links.find(i * 10), Some(t(i as u32)), "link {i}");
        }
        assert_eq!(links.find(5), None);
        assert_eq!(LinkTargets::new(std::iter::empty()).find(0), None);
    }
}
