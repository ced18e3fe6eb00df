//! World-processor instructions beyond the grid's basics: markers (`makemarker`, `setmarker`), `spawnwave`,
//! `setprop`, `sync`, `setflag` and `explosion`, called from the host ([`super::host`]) with thin delegations.
//!
//! Owns: what these instructions do: markers (changed at once in the markers the runner lends each tick,
//! including `flushText`/`texture` from the text buffer through [`multidustry_mlog::host::Host::marker_text`]),
//! `spawnwave` as [`Requests`] the simulation applies after the processors' tick, `setprop` on buildings and
//! units at once (a processor that sets a property and senses it in the same tick sees the new value, as in
//! Java), and the calls `setflag` and `explosion` send.
//! Does not own: the markers themselves ([`crate::markers`]), wave spawning (`sim`), snapshots.
//!
//! What Java does and what this does (`LExecutor`, build 159; a headless server runs world processors too, and
//! clients run their own copies of world processors, so most instructions send nothing):
//! - `makemarker` / `setmarker`: only change `state.markers` (no call is sent: `createMarker`, `removeMarker`,
//!   `updateMarker*` exist for scripts and plugins; `LExecutor` does not use them). Here: the same, through
//!   [`crate::markers`]; saves and world streams carry them.
//! - `spawnwave x y natural`: nothing on a client; natural → `logic.skipWave()` (which runs the wave:
//!   `Sim::run_wave`); otherwise every spawn group's units for the current wave (`state.wave - 1`) around
//!   (`x`, `y`) in tiles (groups bound to one spawn point only when it is that tile), without advancing the
//!   wave (`Sim::spawn_wave_at`); `spawner.spawnEffect` turns each unit to face the map's centre and sends
//!   `spawnEffect` (here to build-159 clients only: the unit type ids are 159's). Units reach clients through
//!   the normal entity snapshots. (Java's natural waves send `spawnEffect` too; `Sim::run_wave` does not yet.)
//! - `setprop`: `Settable.setProp`: units: health (clamped to 0..max; at 0 the unit is killed: `unitDeath`),
//!   x/y (tiles), rotation, team, flag, shield (not below 0); buildings: health (clamped; at 0 destroyed:
//!   `buildDestroyed`), team; item amounts of cores (clamped to the core's capacity). Here: the same, except
//!   that a destroyed building leaves no rubble and drops nothing (the simulation has neither). Not modelled: unit item
//!   stacks, liquids, power, payloads (the simulation has none of them).
//! - `sync var` (`SyncI`): unless the variable is a constant, and at most once per 50 ms per variable
//!   (`syncInterval`: the time since its last sync must exceed it), Java sends
//!   `Call.syncVariable(processor, id, value)` to every client, unreliably: `id` is the variable's index in the
//!   client's own `LExecutor.vars`, which a client applies only to a non-constant variable of its executor, and
//!   `value` is the object, or the number as a double. Here: the same, with the id per client build from the
//!   mlog crate's `javaids` (carried by the instruction as `client_var`), and the rate limit on the tick's
//!   wall time per processor and variable slot. Where that id is unknown for a build (see `javaids`: e.g.
//!   `clientdata`, `@names` this server does not know, build-159 programs with links), that build's clients
//!   get nothing, never a guessed id (which would overwrite another variable on every client). Not sent
//!   either (partial): sensor keys and other enum constants (`LAccess` ordinals are not verified here), and to
//!   build-154 clients, content other than blocks (only block ids are re-keyed per build). `sync` leaves the
//!   variable unchanged.
//! - `setflag`: `Call.setFlag(flag, add)` to every client, only when the flag's state changes. Here: the same.
//! - `explosion`: the server (clients skip the instruction) sends `Call.logicExplosion` (radius capped at 100
//!   tiles), which deals the damage on the server and shows the effect on clients. Here: the call is sent
//!   (clients show it and damage their copies); the server deals no damage (the simulation has no damage
//!   model), so the server's snapshots undo client-side unit damage.
//! - `weatherset`: runs on the server too and sends `Call.createWeather` when the weather was not active
//!   (else it extends the weather entity's life, which entity snapshots carry); `weathersense` reads the
//!   active weathers. Here: no weather exists; `weatherset` does nothing and `weathersense` reads false (0).
//! - `draw`/`drawflush` return at once on a headless server (`draw print` does not even consume the text
//!   buffer); the mlog crate's `draw` is a no-op that leaves the buffer too.
//! - `effect`: `Effect.at` on the server, which creates nothing on a headless server; clients show effects from
//!   their own processors. `playsound` plays locally (silent on a headless server); `cutscene` returns at once
//!   on a headless server. Here: no-ops.
//! - `message`: sets its success output to 1, then a headless server only clears the text buffer, except
//!   `message mission`, which sets `state.rules.mission` to the text. Here: success 1 and the buffer is
//!   cleared; the mission text is not kept.
//! - `setrule mapArea` sends `Call.setMapArea` in Java; not handled here (see the host's `setrule`).
//! - `clientdata`: calls `clientLogicData*`, which are client-to-server packets; not sent here.

use std::collections::HashMap;
use std::time::Duration;

use multidustry_mlog::content::SENSORS;
use multidustry_mlog::ir::{HostInstr, Src};
use multidustry_mlog::value::{ContentKind, Value as MValue};
use multidustry_protocol::typeio::{ContentRef, Object};

use super::handle_pos;
use super::host::WorldHost;
use crate::grid;
use crate::markers::{MarkerOp, TextureRef};
use crate::sim::Call;
use multidustry_world::ContentType;

/// What world processors asked of the simulation during a tick, in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Requests {
    /// `spawnwave`: `None` natural (run the next wave), else world coordinates and the packed tile position
    /// (`Point2.pack(x.numi(), y.numi())`, which groups bound to one spawn point must match).
    pub waves: Vec<Option<(f32, f32, i32)>>,
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
    host.effects.markers.apply(&MarkerOp::Make {
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
        // from the text buffer: `marker_text`
        "flushText" => return,
        "texture" => {
            if arg(args, 1).truthy() {
                return;
            }
            // `setTexture(p2.obj())`: strings, content and buildings are what a `TextureHolder` keeps
            let texture = match arg(args, 2) {
                MValue::Str(name) => TextureRef::Name(name.to_string()),
                MValue::Content(kind, cid) => {
                    let ty = match kind {
                        ContentKind::Item => ContentType::ITEM,
                        ContentKind::Liquid => ContentType::LIQUID,
                        ContentKind::Block => ContentType::BLOCK,
                        ContentKind::Unit => ContentType::UNIT,
                    };
                    let table = multidustry_world::ContentTable::for_build(multidustry_world::Build::V159);
                    match table.names(ty).get(usize::from(cid)) {
                        Some(name) => TextureRef::Content((*name).to_string()),
                        None => TextureRef::Other,
                    }
                }
                v @ MValue::Building(_) => handle_pos(&v).map_or(TextureRef::Other, TextureRef::Building),
                _ => TextureRef::Other,
            };
            MarkerOp::Texture { id, texture }
        }
        _ => MarkerOp::Control {
            id,
            prop: prop.to_string(),
            p: [num_or_nan(&arg(args, 1)), num_or_nan(&arg(args, 2)), num_or_nan(&arg(args, 3))],
        },
    };
    host.effects.markers.apply(&op);
}

/// `setmarker flushText id fetch` and `setmarker texture id true` (`SetMarkerI`): the marker's text or texture
/// name from the text buffer; whether the buffer is consumed (only when the marker exists, as in Java).
pub(super) fn marker_text(host: &mut WorldHost<'_>, instr: &HostInstr, args: &[MValue], text: &str) -> bool {
    let id = arg(args, 0).num() as i32;
    match instr.modes.first().map(String::as_str) {
        Some("flushText") => host.effects.markers.set_text(id, text),
        Some("texture") => {
            let exists = host.effects.markers.get(id).is_some();
            host.effects.markers.set_texture(id, text);
            exists
        }
        _ => false,
    }
}

/// `spawnwave x y natural`.
pub(super) fn spawn_wave(host: &mut WorldHost<'_>, args: &[MValue]) {
    let at = if arg(args, 2).truthy() {
        None
    } else {
        let (x, y) = (arg(args, 0).num(), arg(args, 1).num());
        Some((x as f32 * 8.0, y as f32 * 8.0, grid::pack(x as i32, y as i32)))
    };
    host.effects.world.waves.push(at);
}

/// `SyncI.syncInterval`: a variable is synced again only when more than this has passed.
pub const SYNC_INTERVAL: Duration = Duration::from_millis(1000 / 20);

/// When each (processor position, variable slot) was last synced.
pub type SyncTimes = HashMap<(i32, u32), Duration>;

/// Entries kept before old ones (beyond [`SYNC_INTERVAL`], which no longer limit anything) are dropped.
const SYNC_TIMES_PRUNE: usize = 1024;

/// `sync var` (`SyncI`, world processors only): `syncVariable` to every client, rate limited per variable; the
/// variable keeps its value.
pub(super) fn sync(host: &mut WorldHost<'_>, instr: &HostInstr, args: &[MValue], outs: &mut [MValue]) {
    let value = arg(args, 0);
    if let Some(o) = outs.first_mut() {
        *o = value.clone();
    }
    // a constant operand (a literal, a global, `@this`) is a variable of no executor: `SyncI` skips it
    let Some(Src::Slot(slot)) = instr.args.first() else { return };
    let ids = instr.client_var;
    if ids.b154.is_none() && ids.b159.is_none() {
        return;
    }
    let now = host.clock.now;
    let times = &mut host.effects.sync_times;
    let key = (host.pos, *slot);
    if times.get(&key).is_some_and(|last| now.saturating_sub(*last) <= SYNC_INTERVAL) {
        return;
    }
    if times.len() >= SYNC_TIMES_PRUNE {
        times.retain(|_, last| now.saturating_sub(*last) <= SYNC_INTERVAL);
    }
    times.insert(key, now);
    let Some(value) = sync_object(&value) else { return };
    host.effects.calls.push(Call::SyncVariable { pos: host.pos, id154: ids.b154, id159: ids.b159, value });
}

/// What `TypeIO.writeObject` writes for a variable (`isobj ? objval : numval`); `None` for values whose Java
/// object this server does not map (sensor keys and other enum constants).
fn sync_object(v: &MValue) -> Option<Object> {
    Some(match v {
        MValue::Null => Object::Null,
        MValue::Num(n) => Object::Double(*n),
        MValue::Str(s) => Object::String(Some(s.to_string())),
        MValue::Content(kind, id) => {
            let content_type = match kind {
                ContentKind::Item => 0,
                ContentKind::Block => 1,
                ContentKind::Liquid => 4,
                ContentKind::Unit => 6,
            };
            Object::Content(ContentRef { content_type, id: i16::try_from(*id).ok()? })
        }
        MValue::Team(t) => Object::Team(*t),
        MValue::Building(_) => Object::Building(handle_pos(v)?),
        MValue::Unit(h) => Object::Unit(u32::try_from(*h).ok()? as i32),
        MValue::Sensor(_) | MValue::Key(_) => return None,
    })
}

/// `setflag flag value` (`SetFlagI`): changes `state.rules.objectiveFlags` through `Call.setFlag`, which Java
/// sends (to every client) only when the flag's state actually changes.
pub(super) fn set_flag(host: &mut WorldHost<'_>, args: &[MValue]) {
    let MValue::Str(flag) = arg(args, 0) else { return };
    let add = arg(args, 1).truthy();
    let changed = if add { host.flags.insert(flag.to_string()) } else { host.flags.remove(&*flag) };
    if changed {
        host.effects.calls.push(Call::SetFlag { flag: flag.to_string(), add });
    }
}

/// `explosion team x y radius damage air ground pierce effect` (`ExplosionI`): Java's server sends
/// `Call.logicExplosion` (clients skip the instruction) with the radius capped at 100 tiles; the damage itself
/// is not simulated here (the simulation has no damage model), clients show the effect and apply the damage
/// to their copies.
pub(super) fn explosion(host: &mut WorldHost<'_>, args: &[MValue]) {
    // `LVar.team()`: a team object, or a number 0..255; anything else is null (not sent here)
    let team = match arg(args, 0) {
        MValue::Team(t) => t,
        MValue::Num(n) if (0.0..256.0).contains(&n) => n as u8,
        _ => return,
    };
    let n = |i: usize| arg(args, i).num() as f32;
    host.effects.calls.push(Call::LogicExplosion {
        team,
        x: n(1) * 8.0,
        y: n(2) * 8.0,
        radius: n(3).min(100.0) * 8.0,
        damage: n(4),
        air: arg(args, 5).truthy(),
        ground: arg(args, 6).truthy(),
        pierce: arg(args, 7).truthy(),
        effect: arg(args, 8).truthy(),
    });
}

/// The results of instructions that only report on a headless server: `weathersense` is false (no weather is
/// ever active here), `message`'s success output is 1 (`FlushMessageI` sets it first; a headless server then
/// only clears the text buffer).
pub(super) fn outputs(instr: &HostInstr, outs: &mut [MValue]) {
    let (index, value) = match instr.op {
        multidustry_mlog::ir::HostOp::WeatherSense => (0, 0.0),
        multidustry_mlog::ir::HostOp::Message => (1, 1.0),
        _ => return,
    };
    if let Some(o) = outs.get_mut(index) {
        *o = MValue::Num(value);
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

/// The team a `setprop @team` value names: a team object, or a number as `Team.get((int)value)`; other objects
/// (and null) name none.
fn team_of(value: &MValue) -> Option<u8> {
    match value {
        MValue::Team(t) => Some(*t),
        MValue::Num(n) => Some((*n as i64).rem_euclid(256) as u8),
        _ => None,
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
    // `setProp(LAccess, Object)` (an object value) only changes the team
    let num = match value {
        MValue::Num(n) => Some(*n),
        _ => None,
    };
    match sensor_name(prop) {
        Some("health") => {
            let Some(v) = num else { return };
            let max = super::host::max_health(block);
            let health = v.clamp(0.0, max) as f32;
            if health <= 0.0 {
                host.grid.remove(pos);
                host.effects.calls.push(Call::BuildDestroyed(pos));
            } else if let Some(b) = host.grid.building_mut(pos) {
                b.health = health;
            }
        }
        Some("team") => {
            let Some(team) = team_of(value) else { return };
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
    // `setProp(LAccess, Object)` (an object value) changes only the team
    if !matches!(args.get(2), Some(MValue::Num(_) | MValue::Team(_))) {
        return;
    }
    super::units::setprop(host, args);
    let Some(units) = host.units.as_deref_mut() else { return };
    if units.ecs.unit(id).is_some_and(|u| u.health <= 0.0) {
        units.ecs.remove_unit(id);
        host.effects.calls.push(Call::UnitDeath(id));
    }
}
