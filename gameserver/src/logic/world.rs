//! World-processor instructions beyond the grid's basics: markers (`makemarker`, `setmarker`), `spawnwave`,
//! `setprop` and `sync`, called from the host ([`super::host`]) with thin delegations.
//!
//! Owns: turning these instructions' operands into [`Requests`] the simulation applies after the processors'
//! tick (markers, waves), and `setprop` on buildings and units, applied at once (a processor that sets a
//! property and senses it in the same tick sees the new value, as in Java).
//! Does not own: the markers themselves ([`crate::markers`]), wave spawning (`sim`), snapshots.
//!
//! What Java does and what this does (`LExecutor`, build 159; a headless server runs world processors too, and
//! clients run their own copies of world processors, so most instructions send nothing):
//! - `makemarker` / `setmarker`: only change `state.markers` (no call is sent: `createMarker`, `removeMarker`,
//!   `updateMarker*` exist for scripts and plugins; `LExecutor` does not use them). Here: the same, through
//!   [`crate::markers`]; saves and world streams carry them.
//! - `spawnwave x y natural`: nothing on a client; natural → `logic.skipWave()` (which runs the wave:
//!   `Sim::run_wave`); otherwise every spawn group's units for the current wave (`state.wave - 1`) around
//!   (`x`, `y`) in tiles, without advancing the wave (`Sim::spawn_wave_at`). Units reach clients through the
//!   normal entity snapshots.
//! - `setprop`: `Settable.setProp`: units: health (clamped to 0..max; at 0 the unit dies: here removed with a
//!   `unitDespawn`, Java kills it with `unitDeath`), x/y (tiles), rotation, team, flag, shield (not below 0);
//!   buildings: health (clamped; at 0 destroyed: here removed as `setblock` removes, Java sends
//!   `buildDestroyed`), team; item amounts of cores (clamped to the core's capacity). Not modelled: unit item
//!   stacks, liquids, power, payloads (the simulation has none of them).
//! - `sync var`: Java sends `Call.syncVariable(processor, id, value)` at most 20 times a second per variable,
//!   where `id` is the variable's index in the client's `LExecutor.vars` (the order in which `LAssembler`
//!   first met each non-constant name while building statements, in each statement's own field order, which
//!   differs from text order for e.g. `op`). This server's parser numbers slots in text order, so the client's
//!   id is not derivable exactly: no `syncVariable` is sent (a wrong id would overwrite another variable on
//!   every client). `sync` leaves the variable unchanged.
//! - `draw`/`drawflush`: a headless server has no displays' GPU buffers; clients draw from their own
//!   processors; nothing is sent. Same here.
//! - `effect`, `sound`, `cutscene`, `explosion` (damage aside), `message`, `weatherset`: in Java these reach
//!   players through the clients' own world processors (`effect`/`playsound` and `cutscene`/`message` act
//!   locally, `weatherset` creates a weather entity that is synced); a headless server only consumes
//!   `message`'s text buffer. Here: no-ops, `message` consumes the buffer; `explosion` deals no damage and
//!   `weatherset`/`weathersense` see no weather (the simulation has neither damage areas nor weather).

use multidustry_mlog::content::SENSORS;
use multidustry_mlog::ir::HostInstr;
use multidustry_mlog::value::{ContentKind, Value as MValue};

use super::handle_pos;
use super::host::WorldHost;
use crate::markers::MarkerOp;
use crate::sim::Call;

/// What world processors asked of the simulation during a tick, in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Requests {
    /// Marker instructions.
    pub markers: Vec<MarkerOp>,
    /// `spawnwave`: `None` natural (run the next wave), else world coordinates.
    pub waves: Vec<Option<(f32, f32)>>,
}

/// `LVar.numOrNan`: null is NaN, an object 1, a number itself.
fn num_or_nan(v: &MValue) -> f64 {
    match v {
        MValue::Null => f64::NAN,
        MValue::Num(n) => *n,
        _ => 1.0,
    }
}

fn arg(args: &[MValue], i: usize) -> MValue {
    args.get(i).cloned().unwrap_or_default()
}

/// `makemarker type id x y replace`.
pub(super) fn make_marker(host: &mut WorldHost<'_>, instr: &HostInstr, args: &[MValue]) {
    let kind = instr.modes.first().cloned().unwrap_or_else(|| "shape".into());
    host.effects.world.markers.push(MarkerOp::Make {
        kind,
        id: arg(args, 0).num() as i32,
        x: arg(args, 1).num(),
        y: arg(args, 2).num(),
        replace: arg(args, 3).truthy(),
    });
}

/// `setmarker property id p1 p2 p3`.
pub(super) fn set_marker(host: &mut WorldHost<'_>, instr: &HostInstr, args: &[MValue]) {
    let prop = instr.modes.first().map_or("pos", String::as_str);
    let id = arg(args, 0).num() as i32;
    let op = match prop {
        "remove" => MarkerOp::Remove(id),
        // the text buffer is not visible to the host (see `crate::markers`)
        "flushText" => return,
        "texture" => {
            if arg(args, 1).truthy() {
                return;
            }
            // `PrintI.toString(object)`: strings as they are (other objects are not handled here)
            let MValue::Str(name) = arg(args, 2) else { return };
            let name = name.to_string();
            MarkerOp::Texture { id, name }
        }
        _ => MarkerOp::Control {
            id,
            prop: prop.to_string(),
            p: [num_or_nan(&arg(args, 1)), num_or_nan(&arg(args, 2)), num_or_nan(&arg(args, 3))],
        },
    };
    host.effects.world.markers.push(op);
}

/// `spawnwave x y natural`.
pub(super) fn spawn_wave(host: &mut WorldHost<'_>, args: &[MValue]) {
    let at = if arg(args, 2).truthy() {
        None
    } else {
        Some((arg(args, 0).num() as f32 * 8.0, arg(args, 1).num() as f32 * 8.0))
    };
    host.effects.world.waves.push(at);
}

/// `sync var`: the variable keeps its value (see the module doc for why no `syncVariable` is sent).
pub(super) fn sync(args: &[MValue], outs: &mut [MValue]) {
    if let (Some(o), Some(v)) = (outs.first_mut(), args.first()) {
        *o = v.clone();
    }
}

/// `setprop property target value`.
pub(super) fn set_prop(host: &mut WorldHost<'_>, args: &[MValue]) {
    let (prop, target, value) = (arg(args, 0), arg(args, 1), arg(args, 2));
    match target {
        MValue::Building(_) => {
            if let Some(pos) = handle_pos(&target) {
                set_building_prop(host, pos, &prop, &value);
            }
        }
        MValue::Unit(h) => {
            if let Ok(id) = u32::try_from(h) {
                set_unit_prop(host, id as i32, args);
            }
        }
        _ => {}
    }
}

fn sensor_name(prop: &MValue) -> Option<&'static str> {
    match prop {
        MValue::Sensor(k) => SENSORS.get(usize::from(*k)).copied(),
        _ => None,
    }
}

fn set_building_prop(host: &mut WorldHost<'_>, pos: i32, prop: &MValue, value: &MValue) {
    let Some(b) = host.grid.building(pos) else { return };
    if b.construction.is_some() {
        return;
    }
    let block = b.block;
    if let MValue::Content(ContentKind::Item, item) = *prop {
        let Some(cap) = multidustry_world::ContentTable::for_build(multidustry_world::Build::V159)
            .block(block)
            .and_then(|f| f.core_item_capacity())
        else {
            return;
        };
        let amount = value.num() as i64;
        if amount < 0 {
            return;
        }
        let amount = amount.min(i64::from(cap)) as i32;
        if let Some(b) = host.grid.building_mut(pos) {
            b.items.insert(item, amount);
        }
        return;
    }
    match sensor_name(prop) {
        Some("health") => {
            let max = super::host::max_health(block);
            let health = value.num().clamp(0.0, max) as f32;
            if health <= 0.0 {
                host.grid.remove(pos);
                host.effects.calls.push(Call::DeconstructFinish { pos, block, unit: -1 });
            } else if let Some(b) = host.grid.building_mut(pos) {
                b.health = health;
            }
        }
        Some("team") => {
            let team = match value {
                MValue::Team(t) => *t,
                v => (v.num() as i64).clamp(0, 255) as u8,
            };
            if let Some(b) = host.grid.building_mut(pos) {
                b.team = team;
            }
        }
        _ => {}
    }
}

/// Unit properties are set by [`super::units::setprop`]; as `UnitComp.setProp(health)`, a unit left at no
/// health dies.
fn set_unit_prop(host: &mut WorldHost<'_>, id: i32, args: &[MValue]) {
    super::units::setprop(host, args);
    let Some(units) = host.units.as_deref_mut() else { return };
    if units.ecs.unit(id).is_some_and(|u| u.health <= 0.0) {
        units.ecs.remove_unit(id);
        host.effects.calls.push(Call::UnitDespawn(id));
    }
}
