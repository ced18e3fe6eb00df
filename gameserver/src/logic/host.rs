//! The mlog [`Host`] over a world's grid: what one processor's world-touching instructions see and change.
//!
//! Owns: link resolution (`getlink`, link constants, `@links`), per-processor constants (`@this`, `@thisx`,
//! `@thisy`, `@ipt`), world globals (`@time`, `@tick`, `@second`, `@minute`, `@waveNumber`, `@waveTime`,
//! `@mapw`, `@maph`, `@server`), memory `read`/`write` (linked memory through the runner's table), reading and
//! writing other processors' variables by name, `printflush` into message blocks, `sensor` on buildings,
//! `control` (through [`super::control`]), and the world-processor instructions the grid can serve (`getblock`,
//! `setblock`,
//! `fetch` of cores/buildings, `getflag`/`setflag`, `setrule`).
//! Does not own: scheduling (the parent module), units (`ubind`, `ucontrol`, `radar`, `uradar`, `ulocate`,
//! `spawn`, `sensor` on units: thin delegations to [`super::units`]), markers, `spawnwave`, `setprop`, `sync`
//! (thin delegations to [`super::world`]); effects, sounds, weather, `clientdata`, `cutscene`, `explosion` are
//! no-ops (see [`super::world`] for what Java does with them).
//!
//! Permissions follow `LExecutor`: a normal processor reads/writes memory, flushes messages and controls only
//! buildings of its own team (control: only linked ones) and never privileged blocks; a world processor may use
//! any building. Invariant: no method panics on any value (wrong kinds, stale handles, out-of-range indices).

use std::collections::{BTreeSet, HashMap};

use multidustry_mlog::content::SENSORS;
use multidustry_mlog::host::{Host, HostFlow};
use multidustry_mlog::ir::{GlobalVar, HostInstr, HostOp, SlotKind, Special};
use multidustry_mlog::value::{ContentKind, Value as MValue};

use super::table::{self, LinkTargets, MemRow, MsgRow, Slot, Target};
use super::{Clock, LogicData, LogicKind, Processor, block_name, block_size, handle, handle_pos, id, privileged_block};
use crate::blocks;
use crate::grid::{self, Building, Grid};
use crate::sim::Call;
use crate::value::Value;

/// Side effects of processors during one tick, applied by the runner afterwards.
#[derive(Debug, Default)]
pub(super) struct Effects {
    /// Message blocks and switches whose content changed.
    pub changed: Vec<i32>,
    /// Calls to broadcast.
    pub calls: Vec<Call>,
    /// `setrule` requests.
    pub rules: Vec<(String, f64)>,
    /// Wave requests (see [`super::world`]).
    pub world: super::world::Requests,
    /// The world's markers, lent by the runner for the tick (`Logic::markers`).
    pub markers: crate::markers::Markers,
    /// The running processor's new enabled flag, if it controlled itself.
    pub disable_self: Option<bool>,
    /// When each (processor, variable slot) was last synced by `sync` (kept across ticks by the runner).
    pub sync_times: super::world::SyncTimes,
    /// `fetch` lists built when first asked for (kept up to date by `setblock`; the runner keeps them across
    /// ticks while nothing else changes the grid): per team, all buildings (`None`), one block type
    /// (`Some(id)`), cores (`Some(CORES)`), in position order.
    pub fetch: FetchLists,
}

/// Buildings per (team, block or all or cores), in position order.
pub(super) type FetchLists = HashMap<(u8, Option<u16>), Vec<i32>>;

/// Key of the core lists in [`Effects::fetch`].
const CORES: u16 = u16::MAX;

/// The `fetch` list of `key` (team and all buildings / one block / cores), in position order.
fn fetch_list(grid: &Grid, (team, which): (u8, Option<u16>)) -> Vec<i32> {
    grid.buildings()
        .filter(|(_, b)| b.construction.is_none() && b.team == team)
        .filter(|(_, b)| match which {
            None => true,
            Some(CORES) => blocks::core_unit(b.block).is_some(),
            Some(block) => b.block == block,
        })
        .map(|(p, _)| p)
        .collect()
}

/// The host of one processor for one run. Linked memory and messages are reached through the runner's table
/// (`targets`: the bound links' rows); anything else through the grid, with the table consulted for the state
/// of adopted processors and memory blocks (see `table`).
pub(super) struct WorldHost<'a> {
    pub grid: &'a mut Grid,
    pub pos: i32,
    pub team: u8,
    pub block: u16,
    pub privileged: bool,
    pub links: &'a [i32],
    pub targets: &'a LinkTargets,
    /// `Grid::layout_version` `targets` belong to (a `setblock` during the run makes them unusable).
    pub targets_layout: u64,
    pub mems: &'a [MemRow],
    pub cells: &'a mut [f64],
    pub msgs: &'a mut [MsgRow],
    /// Adopted processors before and after the running one (position order).
    pub before: &'a mut [Slot],
    pub after: &'a mut [Slot],
    pub clock: &'a Clock,
    pub rng: &'a mut u64,
    pub flags: &'a mut BTreeSet<String>,
    pub effects: &'a mut Effects,
    /// The world's units (`None`: a world without units, or a rebind that runs no instruction).
    pub units: Option<&'a mut super::units::Units<'a>>,
    /// The processor's `@unit` as last handed over by [`Host::bound_unit`].
    pub unit: MValue,
}

/// Text of a message-like building (plain message config, or reinforced/world message data).
pub(super) fn message_text(b: &Building) -> Option<String> {
    match (&b.config, b.logic.as_deref()) {
        (_, Some(LogicData { kind: LogicKind::Message(t), .. })) => Some(t.clone()),
        (Value::Str(s), _) if b.block == id::MESSAGE => Some(s.clone().unwrap_or_default()),
        _ if b.block == id::MESSAGE => Some(String::new()),
        _ => None,
    }
}

/// Sets the text of a message-like building (the grid's copy `printflush` writes), reusing the old text's
/// memory.
fn set_message_text(b: &mut Building, text: &str) {
    match (b.logic.as_deref_mut(), &mut b.config) {
        (Some(LogicData { kind: LogicKind::Message(t), .. }), _) | (_, Value::Str(Some(t))) => text.clone_into(t),
        (_, config) => *config = Value::Str(Some(text.to_string())),
    }
}

fn conv(pos: i32, block: u16) -> (f64, f64) {
    let (x, y) = grid::unpack(pos);
    let off = if block_size(block).is_multiple_of(2) { 0.5 } else { 0.0 };
    (f64::from(x) + off, f64::from(y) + off)
}

pub(super) fn max_health(block: u16) -> f64 {
    blocks::rule_for(block).map_or_else(|| f64::from(block_size(block)).powi(2) * 40.0, |r| f64::from(r.health))
}

impl WorldHost<'_> {
    /// The table target of `pos` if it is a bound link (a valid link: finished, and of this team and not
    /// privileged unless this is a world processor, so every permission check passes).
    #[inline]
    fn linked(&self, pos: i32) -> Option<Target> {
        if self.grid.layout_version() != self.targets_layout {
            return None;
        }
        self.targets.find(pos)
    }

    /// Memory of a cell/bank this processor may use (same team and not privileged, or any for world
    /// processors).
    #[inline]
    fn memory_mut(&mut self, v: &MValue) -> Option<&mut [f64]> {
        let pos = handle_pos(v)?;
        match self.linked(pos) {
            Some(Target::Mem { start, len }) => self.cells.get_mut(start as usize..start as usize + len as usize),
            Some(Target::Msg(_)) => None,
            Some(Target::Other) | None => self.unlinked_memory_mut(pos),
        }
    }

    /// [`Self::memory_mut`] of a building that is not a bound link (or while the links are stale): the grid,
    /// with the table consulted for adopted memory blocks.
    #[inline(never)]
    fn unlinked_memory_mut(&mut self, pos: i32) -> Option<&mut [f64]> {
        let (privileged, team) = (self.privileged, self.team);
        let b = self.grid.building(pos)?;
        if b.construction.is_some() || !(privileged || (b.team == team && !privileged_block(b.block))) {
            return None;
        }
        let Some(LogicData { kind: LogicKind::Memory(_), .. }) = b.logic.as_deref() else { return None };
        let serial = b.logic.as_deref().map(LogicData::serial)?;
        if let Some(i) = table::mem_index(self.mems, pos, serial) {
            return self.cells.get_mut(self.mems[i].range());
        }
        match self.grid.building_mut(pos)?.logic.as_deref_mut() {
            Some(LogicData { kind: LogicKind::Memory(m), .. }) => Some(m.as_mut_slice()),
            _ => None,
        }
    }

    /// Another processor (not the running one): the runner's slot when adopted, else the grid's state.
    fn processor_mut(&mut self, pos: i32) -> Option<&mut Processor> {
        let serial = table::serial_at(self.grid, pos)?;
        for side in [&mut *self.before, &mut *self.after] {
            if let Ok(i) = side.binary_search_by_key(&pos, |s| s.pos)
                && side[i].serial == serial
            {
                return Some(&mut side[i].proc);
            }
        }
        match self.grid.building_mut(pos)?.logic.as_deref_mut() {
            Some(LogicData { kind: LogicKind::Processor(p), .. }) => Some(p),
            _ => None,
        }
    }

    /// Another processor this one may read and write variables of (`LogicBuild` as `LReadable`/`LWritable`:
    /// finished, and a world processor or of the same team and not privileged).
    fn accessible_processor(&mut self, target: &MValue) -> Option<&mut Processor> {
        let pos = handle_pos(target)?;
        if pos == self.pos {
            return None;
        }
        let b = self.grid.building(pos)?;
        let allowed = b.construction.is_none()
            && super::processor_kind(b.block).is_some()
            && (self.privileged || (b.team == self.team && !privileged_block(b.block)));
        if !allowed {
            return None;
        }
        self.processor_mut(pos)
    }

    fn control(&mut self, mode: &str, args: &[MValue]) {
        let Some(target) = args.first().and_then(handle_pos) else { return };
        let allowed = self.privileged
            || (self.links.contains(&target) && self.grid.building(target).is_some_and(|b| b.team == self.team));
        if !allowed {
            return;
        }
        if target == self.pos {
            // the running processor's state is out of the grid during its run; the runner applies this
            if mode == "enabled" {
                self.effects.disable_self = Some(args.get(1).is_some_and(|v| (v.num() as f32).abs() > 0.000_001));
            }
            return;
        }
        if super::control::control(self.grid, self.pos, target, mode, args, self.clock.tick).changed {
            self.effects.changed.push(target);
        }
        // A processor's `enabled` lives in the runner's table while adopted: mirror what `control` decided.
        if mode == "enabled"
            && let Some(on) = self
                .grid
                .building(target)
                .filter(|b| super::processor_kind(b.block).is_some())
                .map(super::control::enabled)
            && let Some(p) = self.processor_mut(target)
        {
            p.enabled = on;
        }
    }

    /// `enabled` of a processor other than the running one (the runner's slot when adopted).
    fn processor_enabled(&self, pos: i32, grid_copy: &Processor) -> bool {
        let serial = table::serial_at(self.grid, pos);
        for side in [&*self.before, &*self.after] {
            if let Ok(i) = side.binary_search_by_key(&pos, |s| s.pos)
                && Some(side[i].serial) == serial
            {
                return side[i].proc.enabled;
            }
        }
        grid_copy.enabled
    }

    fn sense_building(&self, pos: i32, prop: &MValue) -> MValue {
        let Some(b) = self.grid.building(pos) else { return MValue::Null };
        if let MValue::Content(ContentKind::Item, item) = prop {
            return MValue::Num(f64::from(b.items.get(item).copied().unwrap_or(0)));
        }
        let MValue::Sensor(key) = prop else { return MValue::Null };
        let name = SENSORS.get(*key as usize).copied().unwrap_or("");
        let (x, y) = conv(pos, b.block);
        let num = MValue::Num;
        match name {
            "x" => num(x),
            "y" => num(y),
            "health" => num(f64::from(b.health)),
            "maxHealth" => num(max_health(b.block)),
            "team" => MValue::Team(b.team),
            "type" => MValue::Content(ContentKind::Block, b.block),
            "size" => num(f64::from(block_size(b.block))),
            "rotation" => num(f64::from(b.rotation)),
            "timescale" | "efficiency" => num(1.0),
            "dead" => num(0.0),
            "shield" | "armor" | "heat" => num(0.0),
            "totalItems" => num(b.items.values().map(|n| f64::from(*n)).sum()),
            "firstItem" => b
                .items
                .iter()
                .find(|(_, n)| **n > 0)
                .map_or(MValue::Null, |(i, _)| MValue::Content(ContentKind::Item, *i)),
            "itemCapacity" => num(multidustry_world::ContentTable::for_build(multidustry_world::Build::V159)
                .block(b.block)
                .and_then(|f| f.core_item_capacity())
                .map_or(0.0, f64::from)),
            "memoryCapacity" => match b.logic.as_deref() {
                Some(LogicData { kind: LogicKind::Memory(m), .. }) => num(m.len() as f64),
                _ => num(0.0),
            },
            "enabled" => match b.logic.as_deref() {
                // The running processor is enabled (it runs); others' flags live in the runner's table.
                Some(LogicData { kind: LogicKind::Processor(_), .. }) if pos == self.pos => num(1.0),
                Some(LogicData { kind: LogicKind::Processor(p), .. }) => MValue::bool(self.processor_enabled(pos, p)),
                _ => super::control::sense(b, name, self.clock.tick).unwrap_or(MValue::Null),
            },
            "shootX" | "shootY" | "shooting" | "color" => {
                super::control::sense(b, name, self.clock.tick).unwrap_or(MValue::Null)
            }
            "config" => match &b.config {
                Value::Content(crate::value::CONTENT_ITEM, i) if *i >= 0 => {
                    MValue::Content(ContentKind::Item, *i as u16)
                }
                Value::Content(crate::value::CONTENT_LIQUID, i) if *i >= 0 => {
                    MValue::Content(ContentKind::Liquid, *i as u16)
                }
                _ => MValue::Null,
            },
            "bufferSize" => message_text(b).map_or(MValue::Null, |t| num(t.encode_utf16().count() as f64)),
            _ => MValue::Null,
        }
    }

    fn world_call(&mut self, instr: &HostInstr, args: &[MValue], outs: &mut [MValue]) {
        let mode = instr.modes.first().map_or("", String::as_str);
        let arg = |i: usize| args.get(i).cloned().unwrap_or_default();
        let tile_xy = |i: usize| (arg(i).num() as i32, arg(i + 1).num() as i32);
        match instr.op {
            HostOp::GetBlock => {
                let (x, y) = tile_xy(1);
                let v = match self.grid.tile(x, y) {
                    None => MValue::Null,
                    Some(t) => match mode {
                        "floor" => MValue::Content(ContentKind::Block, t.floor),
                        "ore" => MValue::Content(ContentKind::Block, t.overlay),
                        "building" => t.building.map_or(MValue::Null, handle),
                        _ => MValue::Content(ContentKind::Block, t.block),
                    },
                };
                if let Some(o) = outs.first_mut() {
                    *o = v;
                }
            }
            HostOp::SetBlock => self.set_block(mode, &arg(0), tile_xy(1), &arg(3), arg(4).num()),
            HostOp::Fetch => {
                let team = match arg(1) {
                    MValue::Team(t) => t,
                    _ => return,
                };
                let index = arg(2).num() as i64;
                let filter = match arg(3) {
                    MValue::Content(ContentKind::Block, b) => Some(b),
                    _ => None,
                };
                if matches!(mode, "unit" | "unitCount" | "player" | "playerCount") {
                    let v = super::units::fetch(self, mode, team, index, &arg(3));
                    if let Some(o) = outs.first_mut() {
                        *o = v;
                    }
                    return;
                }
                let key = match mode {
                    "core" | "coreCount" => (team, Some(CORES)),
                    "build" | "buildCount" => (team, filter),
                    _ => (team, Some(CORES - 1)), // no such list
                };
                let grid = &*self.grid;
                let matching = self.effects.fetch.entry(key).or_insert_with(|| fetch_list(grid, key)).as_slice();
                let v = match mode {
                    "coreCount" | "buildCount" => MValue::Num(matching.len() as f64),
                    _ => usize::try_from(index).ok().and_then(|i| matching.get(i)).map_or(MValue::Null, |p| handle(*p)),
                };
                if let Some(o) = outs.first_mut() {
                    *o = v;
                }
            }
            HostOp::GetFlag => {
                let v = match arg(1) {
                    MValue::Str(s) => MValue::bool(self.flags.contains(&*s)),
                    _ => MValue::Null,
                };
                if let Some(o) = outs.first_mut() {
                    *o = v;
                }
            }
            HostOp::SetFlag => super::world::set_flag(self, args),
            HostOp::SetRule => self.effects.rules.push((mode.to_string(), arg(0).num())),
            _ => {}
        }
    }

    /// `setblock layer block x y team rotation`.
    fn set_block(&mut self, layer: &str, block: &MValue, (x, y): (i32, i32), team: &MValue, rotation: f64) {
        let MValue::Content(ContentKind::Block, block) = *block else { return };
        let Some(t) = self.grid.tile_mut(x, y) else { return };
        match layer {
            "floor" => {
                if block != 0 {
                    t.floor = block;
                }
            }
            "ore" => t.overlay = block,
            _ => {
                let team = match team {
                    MValue::Team(t) => *t,
                    _ => 0,
                };
                let rotation = (rotation as i64).rem_euclid(4) as u8;
                if let Some((origin, old)) = self.grid.building_at(x, y) {
                    if old.block == block && old.team == team && old.rotation == rotation {
                        return;
                    }
                    let (removed, old_team) = (old.block, old.team);
                    self.grid.remove(origin);
                    for key in [(old_team, None), (old_team, Some(removed)), (old_team, Some(CORES))] {
                        if let Some(l) = self.effects.fetch.get_mut(&key)
                            && let Ok(i) = l.binary_search(&origin)
                        {
                            l.remove(i);
                        }
                    }
                    self.effects.calls.push(Call::DeconstructFinish { pos: origin, block: removed, unit: -1 });
                }
                let facts = multidustry_world::ContentTable::for_build(multidustry_world::Build::V159).block(block);
                let has_building = facts.is_some_and(|f| f.has_building());
                if block == 0 || !has_building {
                    self.grid.set_static(x, y, block);
                    return;
                }
                let size = block_size(block);
                let mut b = Building::new(block, team, rotation, max_health(block) as f32);
                if let Some(data) = super::new_data(block, team, rotation, b.health) {
                    b.logic = Some(Box::new(data));
                }
                if self.grid.put(x, y, size, b) {
                    let origin = grid::pack(x, y);
                    let mut keys = vec![(team, None), (team, Some(block))];
                    if blocks::core_unit(block).is_some() {
                        keys.push((team, Some(CORES)));
                    }
                    for key in keys {
                        // only lists already built this tick; others are built from the grid when asked for
                        if let Some(l) = self.effects.fetch.get_mut(&key)
                            && let Err(i) = l.binary_search(&origin)
                        {
                            l.insert(i, origin);
                        }
                    }
                    self.effects.calls.push(Call::ConstructFinish {
                        pos: grid::pack(x, y),
                        block,
                        unit: -1,
                        rotation,
                        team,
                        config: Value::Null,
                    });
                }
            }
        }
    }
}

impl Host for WorldHost<'_> {
    fn link(&mut self, index: usize) -> MValue {
        self.links.get(index).map_or(MValue::Null, |p| handle(*p))
    }

    fn getlink(&mut self, index: i64) -> MValue {
        usize::try_from(index).ok().and_then(|i| self.links.get(i)).map_or(MValue::Null, |p| handle(*p))
    }

    fn special(&mut self, which: Special) -> MValue {
        let (x, y) = conv(self.pos, self.block);
        match which {
            Special::This => handle(self.pos),
            Special::ThisX => MValue::Num(x),
            Special::ThisY => MValue::Num(y),
            Special::Links => MValue::Num(self.links.len() as f64),
            Special::Ipt => MValue::Num(super::processor_kind(self.block).map_or(1.0, |k| k.ipt)),
        }
    }

    fn global(&mut self, which: GlobalVar) -> MValue {
        let tick = self.clock.tick;
        MValue::Num(match which {
            GlobalVar::Time => tick / 60.0 * 1000.0,
            GlobalVar::Tick => tick,
            GlobalVar::Second => tick / 60.0,
            GlobalVar::Minute => tick / 60.0 / 60.0,
            GlobalVar::WaveNumber => f64::from(self.clock.wave),
            GlobalVar::WaveTime => f64::from(self.clock.wave_countdown) / 60.0,
            GlobalVar::MapW => f64::from(self.grid.width()),
            GlobalVar::MapH => f64::from(self.grid.height()),
            GlobalVar::Server => 1.0,
            GlobalVar::Client => 0.0,
        })
    }

    fn read(&mut self, target: &MValue, index: i64) -> Option<f64> {
        let m = self.memory_mut(target)?;
        Some(usize::try_from(index).ok().and_then(|i| m.get(i)).copied().unwrap_or(0.0))
    }

    fn write(&mut self, target: &MValue, index: i64, value: f64) {
        if let Some(m) = self.memory_mut(target)
            && let Some(slot) = usize::try_from(index).ok().and_then(|i| m.get_mut(i))
        {
            *slot = value;
        }
    }

    fn read_var(&mut self, target: &MValue, name: &str) -> Option<MValue> {
        let p = self.accessible_processor(target)?;
        let program = p.program.as_deref()?;
        if name == "@counter" {
            return Some(MValue::Num(p.state.counter));
        }
        let slot = program.slot_of(name)?;
        // Only variables (`LExecutor.vars` holds the non-constant ones): constants, links and `@unit` are not.
        if !matches!(program.slots.get(slot as usize).map(|s| &s.kind), Some(SlotKind::Var)) {
            return None;
        }
        p.state.vars.get(slot as usize).cloned()
    }

    fn write_var(&mut self, target: &MValue, name: &str, value: &MValue) -> bool {
        let Some(p) = self.accessible_processor(target) else { return false };
        let Some(program) = p.program.as_deref() else { return true };
        if name == "@counter" {
            // Like a `set @counter`: an object keeps the counter's number.
            if let MValue::Num(n) = value {
                p.state.counter = *n;
            }
            return true;
        }
        if let Some(slot) = program.slot_of(name)
            && matches!(program.slots.get(slot as usize).map(|s| &s.kind), Some(SlotKind::Var))
            && let Some(v) = p.state.vars.get_mut(slot as usize)
        {
            *v = value.clone();
        }
        true
    }

    fn printflush(&mut self, target: &MValue, text: &str) -> bool {
        let Some(pos) = handle_pos(target) else { return false };
        if let Some(Target::Msg(i)) = self.linked(pos)
            && let Some(Some(cur)) = self.msgs.get_mut(i as usize).map(|r| &mut r.text)
        {
            // (lengths first: most flushes of a busy processor are the same short or empty text)
            if cur.len() == text.len() && (text.is_empty() || cur == text) {
                return true;
            }
            text.clone_into(cur);
            if let Some(b) = self.grid.building_mut(pos) {
                set_message_text(b, text);
            }
            self.effects.changed.push(pos);
            return true;
        }
        let privileged = self.privileged;
        let team = self.team;
        let Some(b) = self.grid.building(pos) else { return false };
        if !(b.team == team || privileged) || b.construction.is_some() {
            return false;
        }
        let same = match (&b.config, b.logic.as_deref()) {
            (_, Some(LogicData { kind: LogicKind::Message(t), .. })) => t == text,
            (Value::Str(Some(t)), _) if b.block == id::MESSAGE => t == text,
            _ if b.block == id::MESSAGE => false,
            _ => return false,
        };
        if same {
            return true;
        }
        let Some(b) = self.grid.building_mut(pos) else { return false };
        set_message_text(b, text);
        if let Some(i) = table::msg_index(self.msgs, pos) {
            self.msgs[i].text = Some(text.to_string());
        }
        self.effects.changed.push(pos);
        true
    }

    fn sensor(&mut self, target: &MValue, prop: &MValue) -> MValue {
        match target {
            // Any team's buildings can be sensed; privileged blocks only by world processors.
            MValue::Building(_) => match handle_pos(target) {
                Some(p) if self.privileged || self.grid.building(p).is_some_and(|b| !privileged_block(b.block)) => {
                    self.sense_building(p, prop)
                }
                _ => MValue::Null,
            },
            MValue::Unit(_) | MValue::Null => super::units::sensor(self, target, prop),
            _ => MValue::Null,
        }
    }

    fn marker_text(&mut self, instr: &HostInstr, args: &[MValue], text: &str) -> bool {
        self.privileged && super::world::marker_text(self, instr, args, text)
    }

    fn bound_unit(&mut self, unit: &MValue) {
        self.unit.clone_from(unit);
    }

    fn object_name(&self, obj: &MValue) -> Option<String> {
        if let MValue::Unit(_) = obj {
            return super::units::object_name(self, obj);
        }
        let pos = handle_pos(obj)?;
        self.grid.building(pos).map(|b| block_name(b.block).to_string())
    }

    fn is_self(&self, obj: &MValue) -> bool {
        handle_pos(obj) == Some(self.pos)
    }

    fn rand(&mut self) -> f64 {
        let r = &mut *self.rng;
        *r ^= *r >> 12;
        *r ^= *r << 25;
        *r ^= *r >> 27;
        let x = r.wrapping_mul(0x2545_F491_4F6C_DD1D);
        (x >> 11) as f64 / (1u64 << 53) as f64
    }

    fn call(&mut self, instr: &HostInstr, args: &[MValue], outs: &mut [MValue]) -> HostFlow {
        match instr.op {
            HostOp::Control => {
                let mode = instr.modes.first().map_or("enabled", String::as_str).to_string();
                self.control(&mode, args);
            }
            HostOp::Radar | HostOp::Ubind | HostOp::Ucontrol | HostOp::Uradar | HostOp::Ulocate => {
                super::units::call(self, instr, args, outs);
            }
            HostOp::Spawn if self.privileged => super::units::spawn(self, args, outs),
            HostOp::MakeMarker if self.privileged => super::world::make_marker(self, instr, args),
            HostOp::SetMarker if self.privileged => super::world::set_marker(self, instr, args),
            HostOp::SpawnWave if self.privileged => super::world::spawn_wave(self, args),
            HostOp::SetProp if self.privileged => super::world::set_prop(self, args),
            HostOp::Sync if self.privileged => super::world::sync(self, instr, args, outs),
            HostOp::Explosion if self.privileged => super::world::explosion(self, args),
            HostOp::WeatherSense | HostOp::Message if self.privileged => super::world::outputs(instr, outs),
            op if op.privileged() && self.privileged => self.world_call(instr, args, outs),
            _ => {}
        }
        HostFlow::Continue
    }
}
