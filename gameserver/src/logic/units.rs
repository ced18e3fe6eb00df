//! Units as processors see them: `ubind`, `ucontrol`, `radar`, `uradar`, `ulocate`, `sensor` on units, the world
//! processor's `spawn`, `fetch unit…` and `setprop` on units, and the logic controller (`LogicAI`) that moves
//! units processors command.
//!
//! Owns: [`LogicAi`] (the controller a unit carries in `UnitState::logic` while a processor commands it),
//! [`LogicUnits`] (per-world processor-side state: `ubind` cycle positions per processor and unit type, `radar`
//! result caches, the per-tick unit snapshot the lookups scan), [`Units`] (what the runner lends a processor's
//! host for one tick), the instruction semantics of `LExecutor`'s `UnitBindI`, `UnitControlI`, `RadarI`,
//! `UnitLocateI`, `SpawnUnitI`, `FetchI` (units, players) and `UnitComp.sense`/`setProp`, and [`update`], the
//! movement step of logic-controlled units (`LogicAI.updateMovement`). Does not own: the ECS storage (`ecs`),
//! the wave AI (`sim`), construction (`sim`'s builder path, which builds the plans `ucontrol build` queues),
//! unit type facts (`waves::UNIT_TYPES`), sync and save layouts (`sync`, `unitsave`, which read `flag`,
//! `stack` and `logic`).
//!
//! ```text
//!  processor ──ubind──▶ @unit ──ucontrol move──▶ UnitState.logic = LogicAi{Move, x, y, timer 600}
//!  Sim::tick ──update()──▶ units with a LogicAi move at their type's speed; timer runs out → logic = None
//!                          (the unit's normal AI, the wave AI, takes over again)
//! ```
//!
//! Semantics kept from Java: `ubind @type` cycles through the team's units of that type in creation order
//! (entity id order here, as `TeamData.unitCache`), `ubind unit` binds a unit of the processor's team (any
//! team for world processors); only AI units take a logic controller (`isLogicControllable`), so a bound
//! player unit ignores `ucontrol`; a processor that commands a unit another processor commands takes it
//! over; the controller lets go after [`LOGIC_CONTROL_TIMEOUT`] ticks without `ucontrol`/`ulocate`, or when the
//! controlling processor is gone; building radars recompute at most every [`RADAR_INTERVAL`] ticks per
//! instruction, unit radars and `ulocate` once per [`TARGET_INTERVAL`] ticks per instruction and unit
//! (`LogicAI.checkTargetTimer`), and outputs keep their previous values where Java leaves them alone.
//!
//! Documented no-ops and partial parts (the simulation has no such model yet):
//! * `ucontrol build` queues one plan on nova/pulsar (the builders among the simulated AI types; the others
//!   cannot build, as in Java) and the sim's construction path builds it from the team's core items; the
//!   plan's config (`p5`) is not applied and `rules.logicUnitBuild` is taken as its default (on).
//! * `ucontrol mine` is a no-op: there is no mining model (in Java pulsar could mine; the other simulated
//!   types cannot).
//! * `ucontrol itemTake/itemDrop` move items between the unit's stack and cores (the team's shared core
//!   storage) or containers/vaults; other buildings neither give nor accept items here, and no transfer
//!   effect packets are sent (clients see the results in snapshots). `payDrop/payTake/payEnter` are no-ops
//!   (no payload units or payload blocks). `boost` only sets the flag `@boosting` reports for nova/pulsar
//!   (no elevation change).
//! * `target`/`targetp` set the aim and the `shooting` flag clients see; no bullets or damage exist.
//! * `pathfind x y`: ground units follow a breadth-first flow field toward the target tile (at most
//!   [`PATH_FIELDS`] fields kept, dropped when the layout changes; Java's `ControlPathfinder` also weighs
//!   terrain costs), flyers fly straight. `autoPathfind`: ground units of the wave team follow the wave flow
//!   field to the other teams' cores; other units head straight for the nearest enemy core (there is no flow
//!   field toward the wave team's cores) and stop at half their range; flyers with no enemy core stand still
//!   (Java sends them to the closest spawner).
//! * `moveTo` sets the velocity directly (no acceleration, drag or `rotateSpeed`); ground units stop at
//!   buildings and static walls instead of sliding along them.
//! * Ranges: turret ranges from `Blocks.java` ([`turret_range`]); unit ranges are not modelled per weapon,
//!   every unit uses [`UNIT_RANGE`] (radar, `@range`, `getBlock` and `ulocate` reach, `autoPathfind` stop).
//!   No unit is a boss. `spawn` creates only the types in `waves::UNIT_TYPES` (others have no sync/save
//!   layout here); the unit cap counts core capacity only. `fetch player` gives null (no player objects).
//! * `setprop` on units: see `setprop` below; a unit set to 0 health dies (`logic::world` removes it with
//!   `unitDeath`).
//! * `ulocate` block flags are derived from block names and build-menu categories ([`has_flag`]).
//!
//! Cost: a processor that uses no unit instruction pays nothing (no state, no allocation). The first unit
//! lookup of a tick snapshots the units into a flat vector (O(units)), shared by every processor that tick;
//! `ubind @type` is then a binary search, `radar` a linear scan of the snapshot (O(units) per recompute,
//! bounded by the caches above); `ulocate building/damaged` scan the grid's buildings and `ulocate ore` an
//! index of the item's ore tiles (one grid scan per [`ORE_INDEX_TICKS`]), once per [`TARGET_INTERVAL`] per
//! unit and instruction; `pathfind` computes at most [`PATH_FIELDS_PER_TICK`] new flow fields per tick and
//! keeps [`PATH_FIELDS`].
//!
//! Invariants: no function panics on any value (stale unit ids, wrong kinds, non-finite numbers); a unit with
//! `logic` set is an AI unit (`controller < 0`).

use std::collections::HashMap;

use multidustry_mlog::content::SENSORS;
use multidustry_mlog::ir::{HostInstr, HostOp};
use multidustry_mlog::value::{ContentKind, Value as MValue};
use multidustry_world::ContentType;

use super::host::WorldHost;
use super::{block_name, block_size, centre, handle, handle_pos, processor_kind};
use crate::blocks;
use crate::ecs::Ecs;
use crate::grid::{self, Grid};
use crate::sim::UnitState;
use crate::waves::{self, FlowField};

/// `LogicAI.logicControlTimeout`: ticks without commands after which a unit returns to its normal AI.
pub const LOGIC_CONTROL_TIMEOUT: f32 = 60.0 * 10.0;
/// `RadarI`: a building radar recomputes at most this often (ticks) unless its source changes.
pub const RADAR_INTERVAL: f64 = 30.0;
/// `LogicAI.targetTimer`: unit radars and `ulocate` recompute once per instruction per this many ticks.
pub const TARGET_INTERVAL: f32 = 40.0;
/// Range of every unit (world units): unit ranges are not modelled per weapon (dagger's standard bullet, speed
/// 2.5 × lifetime 60).
pub const UNIT_RANGE: f32 = 150.0;
/// `Vars.buildingRange`.
const BUILDING_RANGE: f32 = 220.0;
/// `GlobalVars.ctrlProcessor`, `ctrlPlayer`, `ctrlCommand`.
const CTRL_PROCESSOR: f64 = 1.0;
const CTRL_PLAYER: f64 = 2.0;
const CTRL_COMMAND: f64 = 3.0;

/// What a logic-controlled unit does (`LUnitControl` movement modes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Stand still.
    Idle,
    /// Stand still and drop build plans.
    Stop,
    /// Move to a point.
    Move,
    /// Move to within a radius of a point.
    Approach,
    /// Follow a path to a point (`pathfind x y`; flyers fly straight).
    Pathfind,
    /// Follow the path to the nearest enemy core (`autoPathfind`).
    AutoPathfind,
}

/// Where a logic-controlled unit aims.
#[derive(Debug, Clone, PartialEq)]
pub enum Aim {
    /// Nowhere (`aimControl = stop`).
    None,
    /// A point in world units (`ucontrol target`).
    Pos(f32, f32),
    /// A unit or building (`ucontrol targetp`).
    Object(MValue),
}

/// `LogicAI`: the controller of a unit a processor commands.
#[derive(Debug, Clone, PartialEq)]
pub struct LogicAi {
    /// Packed position of the controlling processor (`controller`).
    pub controller: i32,
    /// Movement mode.
    pub control: Control,
    /// Movement target (world units).
    pub move_x: f32,
    /// Movement target (world units).
    pub move_y: f32,
    /// `approach` radius (world units).
    pub move_rad: f32,
    /// Ticks left before the unit returns to its normal AI.
    pub control_timer: f32,
    /// Ticks until the per-instruction lookup limits reset.
    pub target_timer: f32,
    /// `ucontrol boost`.
    pub boost: bool,
    /// `ucontrol target/targetp` shoot flag.
    pub shoot: bool,
    /// Aim.
    pub aim: Aim,
    /// Instructions that looked something up since the last reset (`radars`).
    checked: Vec<usize>,
    /// Last results per instruction (`execCache`), kept while the controller lives.
    cache: Vec<(usize, Cached)>,
}

/// Most `execCache` entries kept (a program has few lookup instructions; code edits can add stale ones).
const EXEC_CACHE_LIMIT: usize = 64;

/// A cached lookup result of one instruction.
#[derive(Debug, Clone, PartialEq)]
enum Cached {
    /// `uradar`: the unit found.
    Radar(MValue),
    /// `ulocate`: x, y (tiles), found, building.
    Locate(f64, f64, bool, MValue),
}

impl LogicAi {
    fn new(controller: i32) -> Self {
        Self {
            controller,
            control: Control::Idle,
            move_x: 0.0,
            move_y: 0.0,
            move_rad: 0.0,
            control_timer: LOGIC_CONTROL_TIMEOUT,
            target_timer: 0.0,
            boost: false,
            shoot: false,
            aim: Aim::None,
            checked: Vec::new(),
            cache: Vec::new(),
        }
    }

    /// `checkTargetTimer`: whether `key` may look up again now (and marks it).
    fn check(&mut self, key: usize) -> bool {
        if self.checked.contains(&key) {
            return false;
        }
        self.checked.push(key);
        true
    }

    fn cached(&self, key: usize) -> Option<&Cached> {
        self.cache.iter().find(|(k, _)| *k == key).map(|(_, c)| c)
    }

    fn store(&mut self, key: usize, value: Cached) {
        if let Some(slot) = self.cache.iter_mut().find(|(k, _)| *k == key) {
            slot.1 = value;
            return;
        }
        if self.cache.len() >= EXEC_CACHE_LIMIT {
            self.cache.clear();
        }
        self.cache.push((key, value));
    }
}

/// One unit as lookups see it during a tick (positions do not change while processors run).
#[derive(Debug, Clone, Copy, PartialEq)]
struct UnitView {
    id: i32,
    team: u8,
    type_id: i16,
    x: f32,
    y: f32,
    health: f32,
    max_health: f32,
    shield: f32,
    flying: bool,
    player: bool,
    boosting: bool,
}

/// A building radar's cache (`RadarI.timer`, `lastSourceBuild`, `lastTarget`).
#[derive(Debug, Clone, PartialEq)]
struct RadarCache {
    at: f64,
    source: i32,
    result: MValue,
}

/// Processor-side unit state of one world.
#[derive(Debug, Default)]
pub struct LogicUnits {
    /// Per processor: next `ubind` index per unit type (`LExecutor.binds`).
    binds: HashMap<i32, Vec<(i16, usize)>>,
    /// Per (processor, instruction): building radar cache.
    radar: HashMap<(i32, usize), RadarCache>,
    /// The units, by id, for this tick (valid while `fresh`).
    view: Vec<UnitView>,
    /// `(team, type, index into view)` sorted: the `unitCache` lists.
    by_type: Vec<(u8, i16, usize)>,
    fresh: bool,
    tick: f64,
    /// Flow fields toward `ucontrol pathfind` target tiles, oldest first (all of one grid layout).
    paths: Vec<((i32, i32), FlowField)>,
    /// Per (processor, unit): tick of the last item transfer (`LExecutor.unitTimeouts`).
    timeouts: HashMap<(i32, i32), f64>,
    /// Per item: when its ore tiles were indexed, and the tiles.
    ores: HashMap<u16, (f64, Vec<(i32, i32)>)>,
}

/// The world's units lent to processors for one tick.
#[derive(Debug)]
pub struct Units<'a> {
    /// The entity store.
    pub ecs: &'a mut Ecs,
    /// Processor-side unit state.
    pub state: &'a mut LogicUnits,
    /// Ground spawn tiles (`ulocate spawn`).
    pub spawns: &'a [(i32, i32)],
    /// `rules.waveTeam`.
    pub wave_team: u8,
}

impl Units<'_> {
    /// The same units for a shorter borrow (one processor's run).
    pub fn reborrow(&mut self) -> Units<'_> {
        Units { ecs: &mut *self.ecs, state: &mut *self.state, spawns: self.spawns, wave_team: self.wave_team }
    }

    /// Starts a tick: the unit snapshot is rebuilt on first use; every 10 s the caches of processors that are
    /// gone are dropped.
    pub(super) fn begin_tick(&mut self, grid: &Grid, tick: f64) {
        let s = &mut *self.state;
        s.fresh = false;
        if (tick / 600.0).floor() != (s.tick / 600.0).floor() {
            let alive = |pos: &i32| grid.building(*pos).is_some_and(|b| processor_kind(b.block).is_some());
            s.binds.retain(|p, _| alive(p));
            // entries of replaced programs (client edits) age out too
            s.radar.retain(|(p, _), c| alive(p) && tick - c.at < 600.0);
            s.timeouts.retain(|_, t| tick - *t < TRANSFER_DELAY);
        }
        s.tick = tick;
    }

    fn view(&mut self) -> &[UnitView] {
        let s = &mut *self.state;
        if !s.fresh {
            s.view.clear();
            s.view.extend(self.ecs.units().map(|u| UnitView {
                id: u.id,
                team: u.team,
                type_id: u.type_id,
                x: u.x,
                y: u.y,
                health: u.health,
                max_health: max_health(u),
                shield: u.shield,
                flying: u.flying,
                player: u.controller >= 0,
                boosting: boosting(u),
            }));
            s.by_type.clear();
            s.by_type.extend(s.view.iter().enumerate().map(|(i, u)| (u.team, u.type_id, i)));
            s.by_type.sort_unstable();
            s.fresh = true;
        }
        &s.view
    }
}

// ------------------------------------------------------------------------------------------------------------
// facts

fn speed(type_id: i16) -> f32 {
    waves::unit_type(type_id).map_or_else(|| blocks::unit_stats(type_id).speed, |f| f.speed)
}

/// `UnitType.buildSpeed` of the AI unit types (nova 0.8, pulsar 0.9; the others cannot build).
fn build_speed(u: &UnitState) -> f32 {
    match u.type_id {
        5 | 6 => blocks::unit_stats(u.type_id).build_speed,
        _ => 0.0,
    }
}

/// `UnitType.armor` of the simulated AI unit types (`UnitTypes.java`).
fn armor(type_id: i16) -> f32 {
    match type_id {
        1 | 6 => 4.0,   // mace, pulsar
        2 => 9.0,       // fortress
        5 => 1.0,       // nova
        11 | 16 => 3.0, // atrax, horizon
        12 | 17 => 5.0, // spiroct, zenith
        _ => 0.0,
    }
}

fn max_health(u: &UnitState) -> f32 {
    waves::unit_type(u.type_id).map_or_else(|| blocks::unit_stats(u.type_id).health, |f| f.health)
}

/// `type.canBoost && isFlying()`: nova and pulsar hover while boosting (the flag stands in for elevation).
fn boosting(u: &UnitState) -> bool {
    matches!(u.type_id, 5 | 6) && u.logic.as_ref().is_some_and(|l| l.boost)
}

/// `range()` of a `Ranged` building: turrets (`Blocks.java` `range`) and repair points (`repairRadius`).
pub fn turret_range(block: u16) -> Option<f32> {
    Some(match block_name(block) {
        "duo" | "wave" => 110.0,
        "scatter" => 220.0,
        "scorch" => 60.0,
        "hail" => 235.0,
        "lancer" => 165.0,
        "arc" | "fuse" => 90.0,
        "parallax" | "swarmer" => 240.0,
        "salvo" | "tsunami" | "meltdown" => 190.0,
        "segment" => 180.0,
        "ripple" => 290.0,
        "cyclone" => 200.0,
        "foreshadow" => 500.0,
        "spectre" => 260.0,
        "repair-point" => 65.0,
        "repair-turret" => 145.0,
        _ => return None,
    })
}

/// Whether `block` carries the `BlockFlag` named `flag` (the logic flags: core, storage, generator, turret,
/// factory, repair, battery, reactor, drill, shield), derived from the block's class as its name and build-menu
/// category tell it.
pub fn has_flag(block: u16, flag: &str) -> bool {
    let name = block_name(block);
    let category = blocks::rule_for(block).map_or("", |r| r.category);
    match flag {
        "core" => blocks::core_unit(block).is_some(),
        "storage" => matches!(name, "container" | "vault"),
        "generator" => {
            category == "power"
                && (name.ends_with("generator") || name.starts_with("solar-panel") || name.ends_with("reactor"))
        }
        "reactor" => name.ends_with("reactor"),
        "battery" => name.starts_with("battery"),
        "turret" => category == "turret" || name == "repair-turret",
        "factory" => category == "crafting" && !matches!(name, "separator" | "disassembler" | "incinerator"),
        "repair" => matches!(name, "repair-point" | "repair-turret"),
        "drill" => name.ends_with("-drill"),
        "shield" => name == "force-projector",
        _ => false,
    }
}

fn unit_value(id: i32) -> MValue {
    MValue::Unit(u64::from(id as u32))
}

fn unit_id(v: &MValue) -> Option<i32> {
    match v {
        MValue::Unit(h) => u32::try_from(*h).ok().map(|i| i as i32),
        _ => None,
    }
}

fn dst2(a: (f32, f32), b: (f32, f32)) -> f32 {
    (a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)
}

/// `World.unconv`: tiles to world units (non-finite → 0).
fn unconv(v: &MValue) -> f32 {
    let n = v.num() as f32 * 8.0;
    if n.is_finite() { n } else { 0.0 }
}

fn key(instr: &HostInstr) -> usize {
    std::ptr::from_ref(instr) as usize
}

// ------------------------------------------------------------------------------------------------------------
// instructions

/// `ubind`, `ucontrol`, `radar`, `uradar`, `ulocate`.
pub(super) fn call(host: &mut WorldHost<'_>, instr: &HostInstr, args: &[MValue], outs: &mut [MValue]) {
    // Outputs Java leaves alone keep their values.
    for (o, a) in outs.iter_mut().zip(args) {
        o.clone_from(a);
    }
    let mode = |i: usize| instr.modes.get(i).map_or("", String::as_str);
    match instr.op {
        HostOp::Ubind => {
            let v = ubind(host, args.first().unwrap_or(&MValue::Null));
            if let Some(o) = outs.first_mut() {
                *o = v;
            }
        }
        HostOp::Ucontrol => ucontrol(host, mode(0), args, outs),
        HostOp::Radar | HostOp::Uradar => {
            let source =
                if instr.op == HostOp::Radar { args.first().cloned().unwrap_or_default() } else { host.unit.clone() };
            let filters = [mode(0), mode(1), mode(2)];
            let order = args.get(1).is_some_and(MValue::truthy);
            let v = radar(host, &source, filters, mode(3), order, key(instr));
            if let Some(o) = outs.get_mut(2) {
                *o = v;
            }
        }
        HostOp::Ulocate => ulocate(host, mode(0), mode(1), args, outs, key(instr)),
        _ => {}
    }
}

/// `UnitBindI`: the value `@unit` gets.
fn ubind(host: &mut WorldHost<'_>, target: &MValue) -> MValue {
    let (team, privileged, pos) = (host.team, host.privileged, host.pos);
    let Some(units) = host.units.as_deref_mut() else { return MValue::Null };
    match *target {
        MValue::Content(ContentKind::Unit, type_id) => {
            let Ok(type_id) = i16::try_from(type_id) else { return MValue::Null };
            units.view();
            let s = &mut *units.state;
            let lo = s.by_type.partition_point(|e| (e.0, e.1) < (team, type_id));
            let hi = s.by_type.partition_point(|e| (e.0, e.1) <= (team, type_id));
            if hi == lo {
                return MValue::Null;
            }
            let binds = s.binds.entry(pos).or_default();
            let slot = match binds.iter().position(|(t, _)| *t == type_id) {
                Some(i) => i,
                None => {
                    binds.push((type_id, 0));
                    binds.len() - 1
                }
            };
            let next = &mut binds[slot].1;
            *next %= hi - lo;
            let view_index = s.by_type[lo + *next].2;
            *next += 1;
            s.view.get(view_index).map_or(MValue::Null, |u| unit_value(u.id))
        }
        MValue::Unit(_) => match unit_id(target).and_then(|id| units.ecs.unit(id)) {
            Some(u) if u.team == team || privileged => unit_value(u.id),
            _ => MValue::Null,
        },
        _ => MValue::Null,
    }
}

/// `UnitControlI.checkLogicAI`: the bound unit if this processor may command it, now under a logic controller
/// held by this processor.
fn controlled<'u>(host: &'u mut WorldHost<'_>) -> Option<&'u mut UnitState> {
    let (team, privileged, pos) = (host.team, host.privileged, host.pos);
    let units = host.units.as_deref_mut()?;
    controlled_in(units.ecs, &host.unit, (team, privileged, pos))
}

/// [`controlled`] over the entity store alone (`exec`: processor team, privileged, position).
fn controlled_in<'u>(ecs: &'u mut Ecs, unit: &MValue, exec: (u8, bool, i32)) -> Option<&'u mut UnitState> {
    let (team, privileged, pos) = exec;
    let u = ecs.unit_mut(unit_id(unit)?)?;
    if !(u.team == team || privileged) || u.controller >= 0 {
        return None;
    }
    match &mut u.logic {
        Some(l) => l.controller = pos,
        None => {
            u.logic = Some(Box::new(LogicAi::new(pos)));
            u.plans.clear();
        }
    }
    Some(u)
}

/// `UnitControlI`.
fn ucontrol(host: &mut WorldHost<'_>, mode: &str, args: &[MValue], outs: &mut [MValue]) {
    let arg = |i: usize| args.get(i).cloned().unwrap_or_default();
    let (x1, y1, d1) = (unconv(&arg(0)), unconv(&arg(1)), unconv(&arg(2)));
    // getBlock reads the grid; find the unit first, then look.
    if mode == "getBlock" {
        let Some(u) = controlled(host) else { return };
        if let Some(l) = &mut u.logic {
            l.control_timer = LOGIC_CONTROL_TIMEOUT;
        }
        let range = UNIT_RANGE.max(BUILDING_RANGE);
        let near = dst2((u.x, u.y), (x1, y1)) < range * range;
        let tile = near.then(|| host.grid.tile((x1 / 8.0).round() as i32, (y1 / 8.0).round() as i32)).flatten();
        let (block, building, floor) = match tile {
            None => (MValue::Null, MValue::Null, MValue::Null),
            Some(t) => {
                let building = t.building.map_or(MValue::Null, handle);
                let block = t.building.and_then(|p| host.grid.building(p)).map_or(t.block, |b| b.block);
                let under = if t.overlay != 0 { t.overlay } else { t.floor };
                (MValue::Content(ContentKind::Block, block), building, MValue::Content(ContentKind::Block, under))
            }
        };
        for (i, v) in [(2, block), (3, building), (4, floor)] {
            if let Some(o) = outs.get_mut(i) {
                *o = v;
            }
        }
        return;
    }
    if matches!(mode, "itemTake" | "itemDrop") {
        transfer(host, mode == "itemTake", args);
        return;
    }
    if mode == "build" {
        // Look at the grid first (the unit borrow covers the host).
        let rotation = (arg(3).num() as i64).rem_euclid(4) as u8;
        let plan = match arg(2) {
            MValue::Content(ContentKind::Block, b) => blocks::rule_for(b).map(|r| {
                // `World.toTile(x1 - block.offset / tilesize)`
                let off = if r.size % 2 == 0 { 0.5 } else { 0.0 };
                (r.id, ((x1 - off) / 8.0).round() as i32, ((y1 - off) / 8.0).round() as i32)
            }),
            _ => None,
        };
        let wanted = plan.filter(|&(block, x, y)| {
            let built = host
                .grid
                .building_at(x, y)
                .is_some_and(|(_, b)| b.block == block && b.rotation == rotation && b.construction.is_none());
            host.grid.tile(x, y).is_some() && !built
        });
        let Some(u) = controlled(host) else { return };
        if let Some(l) = u.logic.as_deref_mut() {
            l.control_timer = LOGIC_CONTROL_TIMEOUT;
        }
        if plan.is_none() || build_speed(u) <= 0.0 {
            return;
        }
        u.plans.clear();
        if let Some((block, x, y)) = wanted {
            u.update_building = true;
            let config = crate::value::Value::Null;
            u.plans.push_back(crate::sim::Plan { x, y, breaking: false, block, rotation, config });
        }
        return;
    }
    let Some(u) = controlled(host) else { return };
    let (ux, uy) = (u.x, u.y);
    let Some(l) = u.logic.as_deref_mut() else { return };
    l.control_timer = LOGIC_CONTROL_TIMEOUT;
    match mode {
        "idle" => l.control = Control::Idle,
        "autoPathfind" => l.control = Control::AutoPathfind,
        "pathfind" | "move" | "stop" | "approach" => {
            l.control = match mode {
                "move" => Control::Move,
                "stop" => Control::Stop,
                "approach" => Control::Approach,
                _ => Control::Pathfind,
            };
            (l.move_x, l.move_y) = (x1, y1);
            if mode == "approach" {
                l.move_rad = d1;
            }
            if mode == "stop" {
                u.plans.clear();
            }
        }
        "unbind" => {
            u.logic = None;
            u.shooting = false;
        }
        "within" => {
            if let Some(o) = outs.get_mut(3) {
                *o = MValue::bool(dst2((ux, uy), (x1, y1)) < d1 * d1);
            }
        }
        "target" => {
            l.aim = Aim::Pos(x1, y1);
            l.shoot = arg(2).truthy();
        }
        "targetp" => {
            let target = arg(0);
            l.aim =
                if matches!(target, MValue::Unit(_) | MValue::Building(_)) { Aim::Object(target) } else { Aim::None };
            l.shoot = arg(1).truthy();
        }
        "boost" => l.boost = arg(0).truthy(),
        "flag" => {
            let f = arg(0).num();
            u.flag = if f.is_finite() { f } else { 0.0 };
        }
        // build, itemDrop and itemTake are handled above; mine, payDrop, payTake, payEnter: see the module docs.
        _ => {}
    }
}

/// `Vars.logicItemTransferRange`.
const ITEM_TRANSFER_RANGE: f32 = 45.0;
/// `LogicAI.transferDelay`: ticks between two item transfers of one processor and unit.
pub const TRANSFER_DELAY: f64 = 60.0 * 1.5;

/// `UnitType.itemCapacity` of the simulated AI unit types: flare 10 and horizon 0 as set, the others
/// `max(round(hitSize × 4, 10), 10)`.
pub fn item_capacity(type_id: i16) -> i32 {
    let hit_size: i32 = match type_id {
        15 => return 10,
        16 => return 0,
        1 => 10,      // mace
        2 | 11 => 13, // fortress, atrax
        6 => 11,      // pulsar
        12 => 15,     // spiroct
        17 => 20,     // zenith
        _ => 8,       // dagger, nova, crawler
    };
    ((hit_size * 4) / 10 * 10).max(10)
}

/// The item module a building's transfers use: a core's items are its team's shared core storage (held by
/// `Grid::core_of`), other buildings hold their own. With the item capacity for `item` (`getMaximumAccepted`):
/// cores and storage blocks accept items, other buildings take none here.
fn item_target(grid: &Grid, pos: i32) -> Option<(i32, i32)> {
    let b = grid.building(pos)?;
    if blocks::core_unit(b.block).is_some() {
        let (core, c) = grid.core_of(b.team)?;
        let table = multidustry_world::ContentTable::for_build(multidustry_world::Build::V159);
        let cap = table.block(c.block).and_then(|f| f.core_item_capacity()).unwrap_or(0);
        return Some((core, i32::try_from(cap).unwrap_or(i32::MAX)));
    }
    let cap = match block_name(b.block) {
        "container" => 300,
        "vault" => 1000,
        _ => 0,
    };
    Some((pos, cap))
}

/// `ucontrol itemTake building item amount` / `itemDrop building amount` (`UnitControlI`): at most one
/// transfer per [`TRANSFER_DELAY`] per processor and unit, within [`ITEM_TRANSFER_RANGE`] plus half the
/// building, with buildings of the unit's team. Clients learn the result from snapshots (the unit's stack,
/// core items); the transfer effect packets are not sent.
fn transfer(host: &mut WorldHost<'_>, take: bool, args: &[MValue]) {
    let exec = (host.team, host.privileged, host.pos);
    let tick = host.clock.tick;
    let grid = &mut *host.grid;
    let Some(units) = host.units.as_deref_mut() else { return };
    let Some(u) = controlled_in(units.ecs, &host.unit, exec) else { return };
    if let Some(l) = u.logic.as_deref_mut() {
        l.control_timer = LOGIC_CONTROL_TIMEOUT;
    }
    let timeouts = &mut units.state.timeouts;
    let key = (exec.2, u.id);
    if timeouts.get(&key).is_some_and(|t| tick < t + TRANSFER_DELAY) {
        return;
    }
    let arg = |i: usize| args.get(i).cloned().unwrap_or_default();
    if !take && arg(0) == MValue::Content(ContentKind::Block, 0) {
        // dropping into @air clears the stack
        u.stack.1 = 0;
        timeouts.insert(key, tick);
        return;
    }
    let Some(pos) = handle_pos(&arg(0)) else { return };
    let Some(b) = grid.building(pos) else { return };
    let reach = ITEM_TRANSFER_RANGE + f32::from(block_size(b.block)) * 8.0 / 2.0;
    if b.team != u.team || b.construction.is_some() || dst2(centre(pos, b.block), (u.x, u.y)) >= reach * reach {
        return;
    }
    let Some((holder, cap)) = item_target(grid, pos) else { return };
    let Some(items) = grid.building_mut(holder).map(|h| &mut h.items) else { return };
    let capacity = item_capacity(u.type_id);
    if take {
        let MValue::Content(ContentKind::Item, item) = arg(1) else { return };
        let amount = arg(2).num();
        let amount = if amount.is_finite() { amount as i32 } else { 0 };
        // `maxAccepted`: only the carried item, up to the capacity
        let accepts = if u.stack.0 != item && u.stack.1 > 0 { 0 } else { capacity - u.stack.1 };
        let have = items.get(&item).copied().unwrap_or(0);
        let taken = have.min(amount.min(accepts));
        if taken > 0 {
            items.insert(item, have - taken);
            u.stack = (item, u.stack.1 + taken);
            timeouts.insert(key, tick);
        }
    } else {
        let wanted = arg(1).num();
        let dropped = u.stack.1.min(if wanted.is_finite() { wanted as i32 } else { 0 });
        let item = u.stack.0;
        let have = items.get(&item).copied().unwrap_or(0);
        let accepted = dropped.min(cap - have);
        if accepted > 0 {
            items.insert(item, have + accepted);
            u.stack.1 -= accepted;
            timeouts.insert(key, tick);
        }
    }
}

/// `RadarI.find` over the tick's unit snapshot: the best unit within `range` of `from` passing the filters.
fn find(
    view: &[UnitView],
    from: (f32, f32, u8, Option<i32>),
    range: f32,
    filters: [&str; 3],
    sort: &str,
    dir: f32,
) -> MValue {
    let (x, y, team, exclude) = from;
    let enemies = filters.contains(&"enemy");
    let allies = filters.contains(&"ally");
    let mut best: Option<(f32, i32)> = None;
    for u in view {
        if Some(u.id) == exclude {
            continue;
        }
        let team_ok = if enemies {
            u.team != team
        } else if allies {
            u.team == team
        } else {
            true
        };
        if !team_ok || dst2((u.x, u.y), (x, y)) >= range * range {
            continue;
        }
        let pass = filters.iter().all(|f| match *f {
            "enemy" => u.team != team,
            "ally" => u.team == team,
            "player" => u.player,
            "attacker" => !u.boosting,
            "flying" => u.flying,
            "boss" => false,
            "ground" => !u.flying,
            _ => true,
        });
        if !pass {
            continue;
        }
        let value = match sort {
            "health" => u.health,
            "shield" => u.shield,
            "armor" => armor(u.type_id),
            "maxHealth" => u.max_health,
            _ => -dst2((u.x, u.y), (x, y)),
        } * dir;
        if best.is_none_or(|(b, _)| value > b) {
            best = Some((value, u.id));
        }
    }
    best.map_or(MValue::Null, |(_, id)| unit_value(id))
}

/// `RadarI` (`radar` from a building or the bound unit, `uradar` from the bound unit).
fn radar(host: &mut WorldHost<'_>, source: &MValue, filters: [&str; 3], sort: &str, order: bool, key: usize) -> MValue {
    let dir = if order { 1.0 } else { -1.0 };
    let (team, privileged, pos, tick) = (host.team, host.privileged, host.pos, host.clock.tick);
    match source {
        MValue::Building(_) => {
            let Some(bpos) = handle_pos(source) else { return MValue::Null };
            let Some(b) = host.grid.building(bpos) else { return MValue::Null };
            let Some(range) = turret_range(b.block) else { return MValue::Null };
            if !(privileged || b.team == team) || b.construction.is_some() {
                return MValue::Null;
            }
            let (bx, by) = centre(bpos, b.block);
            let bteam = b.team;
            let Some(units) = host.units.as_deref_mut() else { return MValue::Null };
            if let Some(c) = units.state.radar.get(&(pos, key))
                && tick - c.at < RADAR_INTERVAL
                && c.source == bpos
            {
                return c.result.clone();
            }
            let result = find(units.view(), (bx, by, bteam, None), range, filters, sort, dir);
            let cache = RadarCache { at: tick, source: bpos, result: result.clone() };
            units.state.radar.insert((pos, key), cache);
            result
        }
        MValue::Unit(_) if *source == host.unit => {
            let Some(u) = controlled(host) else { return MValue::Null };
            let (ux, uy, uteam, uid) = (u.x, u.y, u.team, u.id);
            let Some(l) = u.logic.as_deref_mut() else { return MValue::Null };
            if !l.check(key) {
                return match l.cached(key) {
                    Some(Cached::Radar(v)) => v.clone(),
                    _ => MValue::Null,
                };
            }
            let Some(units) = host.units.as_deref_mut() else { return MValue::Null };
            let result = find(units.view(), (ux, uy, uteam, Some(uid)), UNIT_RANGE, filters, sort, dir);
            if let Some(l) = units.ecs.unit_mut(uid).and_then(|u| u.logic.as_deref_mut()) {
                l.store(key, Cached::Radar(result.clone()));
            }
            result
        }
        _ => MValue::Null,
    }
}

/// `UnitLocateI`.
fn ulocate(host: &mut WorldHost<'_>, locate: &str, flag: &str, args: &[MValue], outs: &mut [MValue], key: usize) {
    let set = |outs: &mut [MValue], i: usize, v: MValue| {
        if let Some(o) = outs.get_mut(i) {
            *o = v;
        }
    };
    let exec_team = host.team;
    let Some(u) = controlled(host) else {
        set(outs, 4, MValue::bool(false));
        return;
    };
    let (ux, uy, team, uid) = (u.x, u.y, u.team, u.id);
    let Some(l) = u.logic.as_deref_mut() else { return };
    l.control_timer = LOGIC_CONTROL_TIMEOUT;
    let previous = match l.cached(key) {
        Some(Cached::Locate(x, y, _, _)) => (*x, *y),
        _ => (0.0, 0.0),
    };
    if !l.check(key) {
        // Java writes its cache back, x and y included (0 until something was found).
        let (x, y, found, build) = match l.cached(key).cloned() {
            Some(Cached::Locate(x, y, found, build)) => (x, y, found, build),
            _ => (0.0, 0.0, false, MValue::Null),
        };
        set(outs, 5, build);
        set(outs, 4, MValue::bool(found));
        set(outs, 2, MValue::Num(x));
        set(outs, 3, MValue::Num(y));
        return;
    }
    let grid = &*host.grid;
    let closest_building = |want: &dyn Fn(i32, &grid::Building) -> bool| {
        grid.buildings()
            .filter(|(p, b)| b.construction.is_none() && want(*p, b))
            .map(|(p, b)| {
                let c = centre(p, b.block);
                (dst2(c, (ux, uy)), p, c)
            })
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, p, c)| (c, Some(p)))
    };
    // (world position of the result, building there)
    let found: Option<((f32, f32), Option<i32>)> = match locate {
        "building" => {
            let enemy = args.first().is_some_and(MValue::truthy);
            closest_building(&|_, b| {
                (if enemy { b.team != team && b.team != 0 } else { b.team == team }) && has_flag(b.block, flag)
            })
        }
        "damaged" => closest_building(&|_, b| {
            let max = blocks::rule_for(b.block).map_or(f32::from(block_size(b.block)).powi(2) * 40.0, |r| r.health);
            b.team == team && b.health < max
        }),
        "ore" => match args.get(1) {
            Some(MValue::Content(ContentKind::Item, item)) => host
                .units
                .as_deref_mut()
                .and_then(|units| closest_ore(grid, units.state, *item, (ux, uy)))
                .map(|t| (t, None)),
            _ => None,
        },
        "spawn" => host.units.as_deref().and_then(|units| {
            units
                .spawns
                .iter()
                .map(|&(x, y)| (x as f32 * 8.0, y as f32 * 8.0))
                .min_by(|a, b| dst2(*a, (ux, uy)).total_cmp(&dst2(*b, (ux, uy))))
                .map(|p| (p, grid.tile((p.0 / 8.0) as i32, (p.1 / 8.0) as i32).and_then(|t| t.building)))
        }),
        _ => None,
    };
    let (mut x, mut y) = previous;
    let is_building_search = matches!(locate, "building" | "damaged");
    let ok = found.is_some_and(|(_, b)| !is_building_search || b.is_some());
    if let (true, Some(((wx, wy), _))) = (ok, found) {
        (x, y) = (f64::from(wx) / 8.0, f64::from(wy) / 8.0);
        set(outs, 2, MValue::Num(x));
        set(outs, 3, MValue::Num(y));
    }
    set(outs, 4, MValue::bool(ok));
    let reach = UNIT_RANGE.max(BUILDING_RANGE);
    let build = match found.and_then(|(_, b)| b) {
        Some(p) => match grid.building(p) {
            Some(b) if dst2(centre(p, b.block), (ux, uy)) < reach * reach || b.team == exec_team => handle(p),
            _ => MValue::Null,
        },
        None => MValue::Null,
    };
    set(outs, 5, build.clone());
    if let Some(l) = host.units.as_deref_mut().and_then(|u| u.ecs.unit_mut(uid)).and_then(|u| u.logic.as_deref_mut()) {
        l.store(key, Cached::Locate(x, y, ok, build));
    }
}

/// How long (ticks) an ore index (`ulocate ore`) is used before the grid is scanned again: overlays change
/// only through world-processor `setblock ore`, which shows up after at most this long.
pub const ORE_INDEX_TICKS: f64 = 600.0;

/// `indexer.findClosestOre`: the nearest tile without a building whose overlay is the ore of `item`. The ore
/// tiles of an item are indexed by one scan of the grid, reused for [`ORE_INDEX_TICKS`].
fn closest_ore(grid: &Grid, state: &mut LogicUnits, item: u16, (ux, uy): (f32, f32)) -> Option<(f32, f32)> {
    let tick = state.tick;
    let stale = state.ores.get(&item).is_none_or(|(at, _)| tick - at >= ORE_INDEX_TICKS || tick < *at);
    if stale {
        let table = multidustry_world::ContentTable::for_build(multidustry_world::Build::V159);
        let item_name = table.name(ContentType::ITEM, item)?;
        let ores: Vec<u16> = table
            .names(ContentType::BLOCK)
            .iter()
            .enumerate()
            .filter(|(_, n)| n.strip_prefix("ore-").is_some_and(|rest| rest == item_name))
            .filter_map(|(i, _)| u16::try_from(i).ok())
            .collect();
        let mut tiles = Vec::new();
        if !ores.is_empty() {
            for y in 0..grid.height() {
                for x in 0..grid.width() {
                    if grid.tile(x, y).is_some_and(|t| ores.contains(&t.overlay)) {
                        tiles.push((x, y));
                    }
                }
            }
        }
        state.ores.insert(item, (tick, tiles));
    }
    let (_, tiles) = state.ores.get(&item)?;
    tiles
        .iter()
        .filter(|&&(x, y)| grid.tile(x, y).is_some_and(|t| t.building.is_none() && t.block == 0))
        .map(|&(x, y)| (x as f32 * 8.0, y as f32 * 8.0))
        .min_by(|a, b| dst2(*a, (ux, uy)).total_cmp(&dst2(*b, (ux, uy))))
}

/// `SpawnUnitI`: `spawn type x y rotation team result` (world processors).
pub(super) fn spawn(host: &mut WorldHost<'_>, args: &[MValue], outs: &mut [MValue]) {
    for (o, a) in outs.iter_mut().zip(args) {
        o.clone_from(a);
    }
    let arg = |i: usize| args.get(i).cloned().unwrap_or_default();
    let (MValue::Content(ContentKind::Unit, type_id), MValue::Team(team)) = (arg(0), arg(4)) else { return };
    let Some(facts) = i16::try_from(type_id).ok().and_then(waves::unit_type) else { return };
    let cap = unit_cap(host.grid, team, host.units.as_deref().map_or(2, |u| u.wave_team));
    let Some(units) = host.units.as_deref_mut() else { return };
    if units.ecs.units().filter(|u| u.team == team && u.type_id == facts.id).count() >= cap {
        return;
    }
    if units.ecs.unit_count() >= waves::MAX_WAVE_UNITS {
        return;
    }
    let id = units.ecs.allocate_id();
    let mut u = UnitState::for_tests(id, -1);
    u.type_id = facts.id;
    u.class_id = facts.class_id;
    u.flying = facts.flying;
    u.team = team;
    u.health = facts.health;
    u.spawned_by_core = false;
    u.update_building = false;
    (u.x, u.y) = (unconv(&arg(1)), unconv(&arg(2)));
    let r = arg(3).num() as f32;
    u.rotation = if r.is_finite() { r } else { 0.0 };
    if units.ecs.insert_unit(u) {
        units.state.fresh = false;
        if let Some(o) = outs.get_mut(5) {
            *o = unit_value(id);
        }
    }
}

/// `setprop prop unit value` on a unit (world processors; `UnitComp.setProp`): `@x`, `@y` (tiles),
/// `@rotation`, `@velocityX`/`@velocityY` (tiles per second), `@health` (clamped to 0..maxHealth; the caller,
/// `logic::world`, kills a unit left at 0), `@shield`, `@flag`, `@team` (a number or a team). Other
/// properties (`@speed`, `@armor` status overrides, payloads, items) are not modelled and do nothing.
pub(super) fn setprop(host: &mut WorldHost<'_>, args: &[MValue]) {
    let (Some(MValue::Sensor(key)), Some(target), Some(value)) = (args.first(), args.get(1), args.get(2)) else {
        return;
    };
    let Some(u) = unit_id(target).and_then(|id| host.units.as_deref_mut()?.ecs.unit_mut(id)) else { return };
    let name = SENSORS.get(*key as usize).copied().unwrap_or("");
    if let ("team", MValue::Team(t)) = (name, value) {
        u.team = *t;
        return;
    }
    let v = value.num();
    if !v.is_finite() {
        return;
    }
    let f = v as f32;
    match name {
        "x" => u.x = f * 8.0,
        "y" => u.y = f * 8.0,
        "rotation" => u.rotation = f,
        "velocityX" => u.vel.0 = (v * 8.0 / 60.0) as f32,
        "velocityY" => u.vel.1 = (v * 8.0 / 60.0) as f32,
        "health" => u.health = f.clamp(0.0, max_health(u)),
        "shield" => u.shield = f.max(0.0),
        "flag" => u.flag = v,
        "team" => u.team = u8::try_from(v as i64).unwrap_or(u.team),
        _ => {}
    }
}

/// `Units.getCap`: unlimited for the wave team; otherwise the team's cores' `unitCapModifier` (shard 8,
/// foundation 16, nucleus 24; `rules.unitCap` 0).
fn unit_cap(grid: &Grid, team: u8, wave_team: u8) -> usize {
    if team == wave_team {
        return usize::MAX;
    }
    grid.buildings()
        .filter(|(_, b)| b.team == team && b.construction.is_none())
        .map(|(_, b)| match block_name(b.block) {
            "core-shard" => 8,
            "core-foundation" => 16,
            "core-nucleus" => 24,
            _ => 0,
        })
        .sum()
}

/// `fetch unit|unitCount|player|playerCount` (world processors): the team's units in creation order, or those
/// of one type (`unitCache`); players are counted, but `fetch player` gives null (mlog values have no player
/// objects here).
pub(super) fn fetch(host: &mut WorldHost<'_>, mode: &str, team: u8, index: i64, extra: &MValue) -> MValue {
    let Some(units) = host.units.as_deref_mut() else {
        return if mode.ends_with("Count") { MValue::Num(0.0) } else { MValue::Null };
    };
    match mode {
        "playerCount" => MValue::Num(units.ecs.players().filter(|p| p.team == team).count() as f64),
        "player" => MValue::Null,
        _ => {
            let type_id = match *extra {
                MValue::Content(ContentKind::Unit, t) => i16::try_from(t).ok().or(Some(i16::MIN)),
                _ => None,
            };
            units.view();
            let s = &*units.state;
            let (count, nth) = match type_id {
                Some(t) => {
                    let lo = s.by_type.partition_point(|e| (e.0, e.1) < (team, t));
                    let hi = s.by_type.partition_point(|e| (e.0, e.1) <= (team, t));
                    let nth = usize::try_from(index).ok().filter(|i| *i < hi - lo).map(|i| s.by_type[lo + i].2);
                    (hi - lo, nth.and_then(|v| s.view.get(v)).map(|u| u.id))
                }
                None => {
                    let mut mine = s.view.iter().filter(|u| u.team == team);
                    let nth = usize::try_from(index).ok().and_then(|i| mine.clone().nth(i)).map(|u| u.id);
                    (mine.by_ref().count(), nth)
                }
            };
            if mode == "unitCount" { MValue::Num(count as f64) } else { nth.map_or(MValue::Null, unit_value) }
        }
    }
}

/// `sensor` on a unit (`UnitComp.sense`/`senseObject`), and `@dead` of null.
pub(super) fn sensor(host: &mut WorldHost<'_>, target: &MValue, prop: &MValue) -> MValue {
    let name = match prop {
        MValue::Sensor(k) => SENSORS.get(*k as usize).copied().unwrap_or(""),
        // `sense(Content)`: the carried item's amount (an empty stack is copper × 0, `ItemStack`'s default),
        // no payloads (0 of any unit type or block); other items are NaN → null.
        MValue::Content(kind, item) => {
            let Some(u) = unit_id(target).and_then(|id| host.units.as_deref()?.ecs.unit(id)) else {
                return MValue::Null;
            };
            let carried = if u.stack.1 > 0 { u.stack.0 } else { 0 };
            return match kind {
                ContentKind::Item if *item == carried => MValue::Num(f64::from(u.stack.1)),
                ContentKind::Unit | ContentKind::Block => MValue::Num(0.0),
                _ => MValue::Null,
            };
        }
        _ => return MValue::Null,
    };
    let Some(units) = host.units.as_deref() else {
        return if name == "dead" { MValue::Num(1.0) } else { MValue::Null };
    };
    let Some(u) = unit_id(target).and_then(|id| units.ecs.unit(id)) else {
        return if name == "dead" { MValue::Num(1.0) } else { MValue::Null };
    };
    let num = MValue::num_or_null;
    let conv = |v: f32| num(f64::from(v) / 8.0);
    match name {
        "x" => conv(u.x),
        "y" => conv(u.y),
        "rotation" => num(f64::from(u.rotation)),
        "health" => num(f64::from(u.health)),
        "maxHealth" => num(f64::from(max_health(u))),
        "shield" => num(f64::from(u.shield)),
        "armor" => num(f64::from(armor(u.type_id))),
        "velocityX" => num(f64::from(u.vel.0) * 60.0 / 8.0),
        "velocityY" => num(f64::from(u.vel.1) * 60.0 / 8.0),
        "dead" => num(0.0),
        "team" => num(f64::from(u.team)),
        "shooting" => MValue::bool(u.shooting),
        "boosting" => MValue::bool(boosting(u)),
        "range" => num(f64::from(UNIT_RANGE) / 8.0),
        "shootX" => conv(u.aim.0),
        "shootY" => conv(u.aim.1),
        "mining" => num(0.0),
        "mineX" | "mineY" => num(-1.0),
        "flag" => num(u.flag),
        "speed" => num(f64::from(speed(u.type_id)) * 60.0 / 8.0),
        "totalItems" => num(f64::from(u.stack.1)),
        "itemCapacity" => num(f64::from(item_capacity(u.type_id))),
        "payloadCount" | "totalPayload" => num(0.0),
        "controlled" => num(if u.logic.is_some() {
            CTRL_PROCESSOR
        } else if u.controller >= 0 {
            CTRL_PLAYER
        } else if u.team != units.wave_team {
            CTRL_COMMAND
        } else {
            0.0
        }),
        "type" => MValue::Content(ContentKind::Unit, u.type_id as u16),
        "name" => match u.controller {
            c if c >= 0 => units.ecs.player(c).map_or(MValue::Null, |p| MValue::Str(p.name.as_str().into())),
            _ => MValue::Null,
        },
        "controller" => match &u.logic {
            Some(l) => handle(l.controller),
            None => unit_value(u.id),
        },
        "firstItem" if u.stack.1 > 0 => MValue::Content(ContentKind::Item, u.stack.0),
        "firstItem" | "payloadType" => MValue::Null,
        _ => MValue::Null,
    }
}

/// What `print` shows for a unit: its type's name.
pub(super) fn object_name(host: &WorldHost<'_>, obj: &MValue) -> Option<String> {
    let u = host.units.as_deref().and_then(|units| units.ecs.unit(unit_id(obj)?))?;
    let table = multidustry_world::ContentTable::for_build(multidustry_world::Build::V159);
    table.name(ContentType::UNIT, u.type_id as u16).map(str::to_string)
}

// ------------------------------------------------------------------------------------------------------------
// movement

/// Most `ucontrol pathfind` target fields kept per world (each is one breadth-first pass over the map and
/// 4 bytes per tile).
pub const PATH_FIELDS: usize = 16;
/// Most new `pathfind` fields computed per tick (a program sending new targets every tick cannot make the
/// tick do a map-wide search per unit); a unit whose field waits moves straight meanwhile.
pub const PATH_FIELDS_PER_TICK: usize = 2;

/// `LogicAI.updateMovement` for every logic-controlled unit: timers, release, and movement at the unit type's
/// speed. `flow` is the wave flow field (recomputed here when stale and a wave-team unit auto-pathfinds);
/// `state` keeps the flow fields toward `pathfind` targets (`ControlPathfinder`'s role).
pub fn update(
    ecs: &mut Ecs,
    grid: &Grid,
    flow: &mut Option<FlowField>,
    state: &mut LogicUnits,
    wave_team: u8,
    delta: f32,
) {
    let ids: Vec<i32> = ecs.units().filter(|u| u.logic.is_some()).map(|u| u.id).collect();
    if ids.is_empty() {
        return;
    }
    if state.paths.first().is_some_and(|(_, f)| f.version != grid.layout_version()) || state.paths.len() > PATH_FIELDS {
        state.paths.clear();
    }
    let mut cores: Option<Vec<(f32, f32, u8)>> = None;
    let mut new_fields = 0;
    for id in ids {
        let Some(u) = ecs.unit(id) else { continue };
        let Some(l) = u.logic.as_deref() else { continue };
        // Aim at an object: read its position first.
        let aim_at = match &l.aim {
            Aim::Object(v @ MValue::Unit(_)) => unit_id(v).and_then(|t| ecs.unit(t)).map(|t| (t.x, t.y)),
            Aim::Object(v @ MValue::Building(_)) => {
                handle_pos(v).and_then(|p| grid.building(p).map(|b| centre(p, b.block)))
            }
            Aim::Pos(x, y) => Some((*x, *y)),
            _ => None,
        };
        let (control, team, flying) = (l.control, u.team, u.flying);
        let target_tile = ((l.move_x / 8.0).round() as i32, (l.move_y / 8.0).round() as i32);
        let follows_waves = control == Control::AutoPathfind && team == wave_team && !flying;
        if follows_waves && flow.as_ref().is_none_or(|f| f.version != grid.layout_version()) {
            let targets: Vec<u8> = grid.core_teams().into_iter().filter(|t| *t != wave_team).collect();
            *flow = Some(FlowField::new(grid, &targets));
        }
        if control == Control::AutoPathfind && !follows_waves && cores.is_none() {
            cores = Some(
                grid.buildings()
                    .filter(|(_, b)| blocks::core_unit(b.block).is_some() && b.construction.is_none())
                    .map(|(p, b)| {
                        let (x, y) = centre(p, b.block);
                        (x, y, b.team)
                    })
                    .collect(),
            );
        }
        if control == Control::Pathfind
            && !flying
            && new_fields < PATH_FIELDS_PER_TICK
            && !state.paths.iter().any(|(t, _)| *t == target_tile)
        {
            new_fields += 1;
            if state.paths.len() >= PATH_FIELDS {
                state.paths.remove(0);
            }
            state.paths.push((target_tile, FlowField::to_tile(grid, target_tile.0, target_tile.1)));
        }
        let Some(u) = ecs.unit_mut(id) else { continue };
        let Some(l) = u.logic.as_deref_mut() else { continue };
        if l.target_timer > 0.0 {
            l.target_timer -= delta;
        } else {
            l.checked.clear();
            l.target_timer = TARGET_INTERVAL;
        }
        let controller_valid =
            grid.building(l.controller).is_some_and(|b| b.construction.is_none() && processor_kind(b.block).is_some());
        if l.control_timer > 0.0 && controller_valid {
            l.control_timer -= delta;
        } else {
            u.logic = None;
            u.shooting = false;
            u.vel = (0.0, 0.0);
            continue;
        }
        u.shooting = l.shoot && !boosting_flag(u.type_id, l.boost);
        if let Some(a) = aim_at {
            u.aim = a;
        }
        let Some(l) = u.logic.as_deref() else { continue };
        let speed = speed(u.type_id) * delta;
        let goal = (l.move_x, l.move_y);
        let step = match l.control {
            Control::Move => move_to(u, goal, 1.0, 30.0, speed),
            Control::Approach => move_to(u, goal, l.move_rad - 7.0, 7.0, speed),
            Control::Pathfind if u.flying => move_to(u, goal, 1.0, 30.0, speed),
            Control::Pathfind => {
                let field = state.paths.iter().find(|(t, _)| *t == target_tile).map(|(_, f)| f);
                match field.and_then(|f| f.next_step(u.x, u.y)) {
                    Some(next) => move_to(u, next, 0.0, 1.0, speed),
                    // arrived on the target tile, or no path: straight for the point
                    None => move_to(u, goal, 1.0, 30.0, speed),
                }
            }
            Control::AutoPathfind if follows_waves => {
                let next = flow.as_ref().and_then(|f| f.next_step(u.x, u.y));
                next.map_or((0.0, 0.0), |n| move_to(u, n, 0.0, 1.0, speed))
            }
            Control::AutoPathfind => {
                let enemy = cores
                    .as_deref()
                    .unwrap_or(&[])
                    .iter()
                    .filter(|c| c.2 != u.team && c.2 != 0)
                    .min_by(|a, b| dst2((a.0, a.1), (u.x, u.y)).total_cmp(&dst2((b.0, b.1), (u.x, u.y))));
                match enemy {
                    Some(&(cx, cy, _)) => move_to(u, (cx, cy), UNIT_RANGE * 0.5, 30.0, speed),
                    None => (0.0, 0.0),
                }
            }
            Control::Idle | Control::Stop => (0.0, 0.0),
        };
        if l.control == Control::Stop {
            u.plans.clear();
        }
        let (nx, ny) = (u.x + step.0, u.y + step.1);
        let tile_of = |x: f32, y: f32| ((x / 8.0).round() as i32, (y / 8.0).round() as i32);
        let (next, here) = (tile_of(nx, ny), tile_of(u.x, u.y));
        let blocked = !u.flying
            && next != here
            && grid.tile(next.0, next.1).is_none_or(|t| t.building.is_some() || grid.static_walls.contains(&t.block));
        if blocked {
            u.vel = (0.0, 0.0);
            continue;
        }
        (u.x, u.y) = (nx, ny);
        u.vel = step;
        if step != (0.0, 0.0) {
            u.rotation = step.1.atan2(step.0).to_degrees();
        }
    }
}

fn boosting_flag(type_id: i16, boost: bool) -> bool {
    matches!(type_id, 5 | 6) && boost
}

/// `AIController.moveTo(target, circleLength, smooth)`: the step toward `target` this tick; speed scales down
/// within `smooth` of the circle, and a unit well inside the circle backs away.
fn move_to(u: &UnitState, target: (f32, f32), circle: f32, smooth: f32, speed: f32) -> (f32, f32) {
    let (dx, dy) = (target.0 - u.x, target.1 - u.y);
    let dist = (dx * dx + dy * dy).sqrt();
    if dist <= f32::EPSILON {
        return (0.0, 0.0);
    }
    let length = if circle <= 0.001 { 1.0 } else { ((dist - circle) / smooth.max(0.001)).clamp(-1.0, 1.0) };
    let len = if length < -0.5 {
        -speed * length.abs()
    } else if length < 0.0 {
        0.0
    } else {
        // never overshoot the target in one step
        (speed * length).min(dist)
    };
    (dx / dist * len, dy / dist * len)
}
