//! `control` on buildings and the sensors that read what it changed, as `Building.control` and its block-class
//! overrides do it in builds 154 and 159.
//!
//! Owns: [`Controlled`] (the per-building state `control` leaves behind: the processor that last disabled it,
//! a turret's logic aim), applying `control enabled|config|color|shoot|shootp` to a building, the sensors
//! `@enabled`, `@shootX`, `@shootY`, `@shooting`, `@color` of controlled buildings, and re-enabling buildings
//! when the processor that disabled them lets go ([`release_disabled_by`], [`on_unlink`]).
//! Does not own: who may control what (the host checks team, links and privilege before calling [`control`]),
//! processors' own enabled flag (`Processor::enabled`, which is their `Building.enabled`), message blocks.
//!
//! Semantics (Java source, `BuildingComp.control`, `LExecutor.ControlI`, `LogicBlock`, `Turret.TurretBuild`,
//! `LightBlock.LightBuild`):
//! * `enabled` works on every building: `enabled = p1 != 0` (`Mathf.zero`, tolerance 1e-6), and a disabling
//!   processor becomes the building's `lastDisabler`. A disabled building stays disabled until a processor
//!   enables it, the disabling processor unlinks it (blocks with `autoResetEnabled`, i.e. all but switches), or
//!   the disabling processor is removed (`LogicBuild.removeFromProximity`, every block). There is no timeout:
//!   the six-second `timeToUncontrol` of build 126 was removed in 2022 (BE 23032, before build 146). Switches
//!   keep `enabled` as their state (the building's configuration here).
//! * `config` on a logic-configurable block (one with an item or liquid configuration: sorters, inverted
//!   sorters, unloaders, item and liquid sources) applies the value as a configuration (`configured(null, p1)`):
//!   an item/liquid of the right kind or null; a building copies that building's configuration (not a
//!   processor's). A number does nothing (`config` takes objects). Unit factories take a unit type: the index
//!   of its plan (`UnitFactory.config(UnitType)`), none (-1) for a type they do not build. The changed block is
//!   then broadcast as a `tileConfig` through the runner's message-sync path (rate limited).
//! * `color` on an illuminator sets its colour to the low 32 bits of the number (`Color.fromDouble`); `sensor
//!   @color` returns it the other way (`toDoubleBits`).
//! * `shoot x y shoot` / `shootp unit shoot` on a turret (the `Turret` subclasses) store the aim (tile units in
//!   `@shootX`/`@shootY`) and the shooting flag for `logicControlCooldown` (2 s): `@shooting` reads the flag
//!   while the logic control lasts, else false. This server simulates no combat: turrets neither turn nor fire;
//!   `shootp` aims at the target's current position (no intercept prediction, which needs the ammo's speed).
//!
//! Invariant: nothing here panics on any value; state is only created for buildings that were controlled.

use multidustry_mlog::value::{ContentKind, Value as MValue};

use super::{LogicData, LogicKind, handle_pos, id};
use crate::blocks::{self, ConfigKind};
use crate::grid::{Building, Grid};
use crate::value::{CONTENT_ITEM, CONTENT_LIQUID, Value};

/// `Turret.logicControlCooldown`: ticks a `shoot`/`shootp` keeps a turret under logic control.
pub const LOGIC_CONTROL_COOLDOWN: f64 = 60.0 * 2.0;

/// What `control` left on a building (boxed in [`Building::controlled`], absent on most buildings).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Controlled {
    /// `lastDisabler`: the processor that last disabled this building (not saved, as in the game).
    pub last_disabler: Option<i32>,
    /// A turret's logic aim.
    pub aim: Option<Aim>,
}

/// A turret's logic aim (`targetPos`, `logicShooting`, `logicControlTime`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Aim {
    /// Target in world units (tiles × 8).
    pub x: f32,
    /// Target in world units.
    pub y: f32,
    /// `logicShooting`.
    pub shooting: bool,
    /// Game tick until which the turret is logic controlled.
    pub until_tick: f64,
}

/// The Java class of a build-159 block.
fn block_class(block: u16) -> Option<&'static str> {
    multidustry_world::ContentTable::for_build(multidustry_world::Build::V159).block(block).map(|f| f.class)
}

/// `!Mathf.zero((float) p1)`.
fn nonzero(v: &MValue) -> bool {
    (v.num() as f32).abs() > 0.000_001
}

/// Whether a block is one of the `Turret` classes (`ItemTurret`, `PowerTurret`, ...).
pub fn is_turret(block: u16) -> bool {
    block_class(block).is_some_and(|c| {
        matches!(
            c,
            "ItemTurret"
                | "LiquidTurret"
                | "PowerTurret"
                | "LaserTurret"
                | "ContinuousTurret"
                | "ContinuousLiquidTurret"
        )
    })
}

fn is_illuminator(block: u16) -> bool {
    block_class(block) == Some("LightBlock")
}

/// The unit plans of the unit factories (`Blocks.java`: `plans`), by unit name, in plan-index order.
pub fn factory_plans(block: u16) -> Option<&'static [&'static str]> {
    match blocks::rule_for(block)?.name {
        "ground-factory" => Some(&["dagger", "crawler", "nova"]),
        "air-factory" => Some(&["flare", "mono"]),
        "naval-factory" => Some(&["risso", "retusa"]),
        _ => None,
    }
}

/// `Block.autoResetEnabled`: false for switches only (among the vanilla blocks).
fn auto_reset_enabled(block: u16) -> bool {
    !matches!(block, id::SWITCH | id::WORLD_SWITCH)
}

/// The building's `enabled` (`Building.enabled`; switches: their state; processors: their flag).
pub fn enabled(b: &Building) -> bool {
    match (b.block, b.logic.as_deref()) {
        (id::SWITCH, _) => matches!(b.config, Value::Bool(true)),
        (_, Some(LogicData { kind: LogicKind::Switch(s), .. })) => *s,
        (_, Some(LogicData { kind: LogicKind::Processor(p), .. })) => p.enabled,
        _ => b.enabled,
    }
}

/// Sets the building's `enabled`; returns whether a switch's visible state changed (clients are told).
fn set_enabled(b: &mut Building, on: bool) -> bool {
    match (b.block, b.logic.as_deref_mut()) {
        (id::SWITCH, _) => {
            let v = Value::Bool(on);
            let changed = b.config != v;
            b.config = v;
            return changed;
        }
        (_, Some(LogicData { kind: LogicKind::Switch(s), .. })) => *s = on,
        (_, Some(LogicData { kind: LogicKind::Processor(p), .. })) => p.enabled = on,
        _ => b.enabled = on,
    }
    false
}

/// What a `control` changed that the runner must pass on.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Outcome {
    /// The building's configuration or switch state changed (broadcast as a `tileConfig`).
    pub changed: bool,
}

/// `control mode target p1 p2 p3 p4` by the processor at `controller` on the building at `target` (already
/// checked: a world processor, or a linked building of the processor's team). `tick` is the game tick.
pub(super) fn control(
    grid: &mut Grid,
    controller: i32,
    target: i32,
    mode: &str,
    args: &[MValue],
    tick: f64,
) -> Outcome {
    let arg = |i: usize| args.get(i).cloned().unwrap_or_default();
    let p1 = arg(1);
    let mut out = Outcome::default();
    match mode {
        "enabled" => {
            let on = nonzero(&p1);
            let Some(b) = grid.building_mut(target) else { return out };
            if !p1.truthy() {
                b.controlled.get_or_insert_with(Box::default).last_disabler = Some(controller);
            }
            out.changed = set_enabled(b, on);
        }
        "config" => {
            if let Some(b) = grid.building_mut(target)
                && let Some(plans) = factory_plans(b.block)
            {
                // `UnitFactory.config(UnitType)`: the plan of that unit, or none (-1) for any other type
                let MValue::Content(ContentKind::Unit, unit) = p1 else { return out };
                let name = multidustry_world::ContentTable::for_build(multidustry_world::Build::V159)
                    .name(multidustry_world::ContentType::UNIT, unit);
                let plan = plans.iter().position(|p| Some(*p) == name);
                let value = plan.map_or(Value::Null, |i| Value::Int(i as i32));
                if b.config != value {
                    b.config = value;
                    out.changed = true;
                }
                return out;
            }
            // objects only; a number goes to the numeric overload, which ignores `config`
            let value = match &p1 {
                MValue::Num(_) => return out,
                MValue::Null => Value::Null,
                MValue::Content(ContentKind::Item, i) => Value::Content(CONTENT_ITEM, *i as i16),
                MValue::Content(ContentKind::Liquid, i) => Value::Content(CONTENT_LIQUID, *i as i16),
                MValue::Building(_) => {
                    // `configured(builder, Building)`: copy the other building's configuration (never a
                    // processor's: `control` refuses `LogicBuild` arguments)
                    let Some(other) = handle_pos(&p1).and_then(|p| grid.building(p)) else { return out };
                    if super::processor_kind(other.block).is_some() || matches!(other.config, Value::Building(_)) {
                        return out;
                    }
                    match other.config {
                        Value::Null => return out,
                        ref c => c.clone(),
                    }
                }
                _ => return out,
            };
            let Some(b) = grid.building_mut(target) else { return out };
            let kind = blocks::rule_for(b.block).map_or(ConfigKind::None, |r| r.config);
            if !matches!(kind, ConfigKind::Item | ConfigKind::Liquid) || !value.fits(kind) {
                return out;
            }
            if b.config != value {
                b.config = value;
                out.changed = true;
            }
        }
        "color" => {
            let Some(b) = grid.building_mut(target) else { return out };
            if is_illuminator(b.block) {
                let rgba = p1.num().to_bits() as u32 as i32;
                b.config = Value::Int(rgba);
            }
        }
        "shoot" => {
            let Some(b) = grid.building_mut(target) else { return out };
            if is_turret(b.block) {
                let aim = Aim {
                    x: (p1.num() * 8.0) as f32,
                    y: (arg(2).num() * 8.0) as f32,
                    shooting: nonzero(&arg(3)),
                    until_tick: tick + LOGIC_CONTROL_COOLDOWN,
                };
                b.controlled.get_or_insert_with(Box::default).aim = Some(aim);
            }
        }
        "shootp" => {
            // objects only; the target's position when it is a building (units are not simulated)
            if matches!(p1, MValue::Num(_)) {
                return out;
            }
            let at = handle_pos(&p1).and_then(|p| grid.building(p).map(|o| super::centre(p, o.block)));
            let Some(b) = grid.building_mut(target) else { return out };
            if is_turret(b.block) {
                let c = b.controlled.get_or_insert_with(Box::default);
                let (x, y) = at.or_else(|| c.aim.map(|a| (a.x, a.y))).unwrap_or((0.0, 0.0));
                c.aim = Some(Aim { x, y, shooting: nonzero(&arg(2)), until_tick: tick + LOGIC_CONTROL_COOLDOWN });
            }
        }
        _ => {}
    }
    out
}

/// Sensors of what `control` changes; `None` for the keys this module does not answer.
pub(super) fn sense(b: &Building, key: &str, tick: f64) -> Option<MValue> {
    let aim = b.controlled.as_ref().and_then(|c| c.aim);
    Some(match key {
        "enabled" => MValue::bool(enabled(b)),
        "shootX" | "shootY" if is_turret(b.block) => {
            let (x, y) = aim.map_or((0.0, 0.0), |a| (a.x, a.y));
            MValue::Num(f64::from(if key == "shootX" { x } else { y }) / 8.0)
        }
        // no combat: a turret shoots only while logic controlled with `shoot` set
        "shooting" if is_turret(b.block) => MValue::bool(aim.is_some_and(|a| a.until_tick > tick && a.shooting)),
        "color" if is_illuminator(b.block) => {
            let rgba = match b.config {
                Value::Int(c) => c,
                _ => DEFAULT_LIGHT_COLOR,
            };
            MValue::Num(f64::from_bits(u64::from(rgba as u32)))
        }
        _ => return None,
    })
}

/// `Pal.accent` (`ffd37f`), the colour of a new illuminator.
const DEFAULT_LIGHT_COLOR: i32 = 0xffd3_7fffu32 as i32;

/// `LogicBuild.removeFromProximity`: the processor at `processor` is gone; every building it disabled last is
/// enabled again (switches included; clients do the same on their side). Unlike the game, which only looks at
/// the processor's current links, this also releases buildings it unlinked while they were disabled.
pub fn release_disabled_by(grid: &mut Grid, processor: i32) {
    let held: Vec<i32> = grid
        .buildings()
        .filter(|(_, b)| b.controlled.as_ref().is_some_and(|c| c.last_disabler == Some(processor)))
        .map(|(p, _)| p)
        .collect();
    for pos in held {
        if let Some(b) = grid.building_mut(pos) {
            if let Some(c) = b.controlled.as_mut() {
                c.last_disabler = None;
            }
            if !enabled(b) {
                set_enabled(b, true);
            }
        }
    }
}

/// The link toggle of `LogicBlock`'s `config(Integer)`: the processor at `processor` unlinked the building at
/// `target`; it is enabled again when it has `autoResetEnabled` and that processor disabled it last.
pub fn on_unlink(grid: &mut Grid, processor: i32, target: i32) {
    let Some(b) = grid.building_mut(target) else { return };
    if !auto_reset_enabled(b.block) || b.controlled.as_ref().and_then(|c| c.last_disabler) != Some(processor) {
        return;
    }
    if let Some(c) = b.controlled.as_mut() {
        c.last_disabler = None;
    }
    set_enabled(b, true);
}

/// Whether a building is a processor (its removal calls [`release_disabled_by`]).
pub fn is_processor(b: &Building) -> bool {
    matches!(b.logic.as_deref(), Some(LogicData { kind: LogicKind::Processor(_), .. }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grid;

    #[test]
    fn colours_round_trip_through_double_bits() {
        let mut g = Grid::new(10, 10, 33);
        let light = multidustry_world::ContentTable::for_build(multidustry_world::Build::V159)
            .id(multidustry_world::ContentType::BLOCK, "illuminator")
            .expect("illuminator");
        assert!(g.put(2, 2, 1, Building::new(light, 1, 0, 10.0)));
        let pos = grid::pack(2, 2);
        let b = g.building(pos).expect("placed");
        assert_eq!(sense(b, "color", 0.0), Some(MValue::Num(f64::from_bits(0xffd3_7fff))));
        let packed = f64::from_bits(0x1122_3344);
        control(&mut g, grid::pack(0, 0), pos, "color", &[MValue::Null, MValue::Num(packed)], 0.0);
        let b = g.building(pos).expect("placed");
        assert_eq!(b.config, Value::Int(0x1122_3344));
        assert_eq!(sense(b, "color", 0.0), Some(MValue::Num(packed)));
    }
}
