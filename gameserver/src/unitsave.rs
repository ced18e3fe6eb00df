//! Units in saves: the msav entities region's unit records (`write()`, build 159 layout: `i16 revision` then
//! the fields of `protocol/entity-save-b159.tsv`), written for the AI-controlled (wave) units and read back.
//!
//! Owns: encoding and decoding the save form of the unit classes waves use (UnitEntity 3, MechUnit 4, the
//! legacy nova/pulsar mechs 17/19, spiroct 21, LegsUnit 24). Does not own: the chunking of the entities region
//! (the world crate's `EntityChunk`s), which units exist (`sim`).
//!
//! Player-controlled core units are not saved (they respawn with their players, as `spawnedByCore` units
//! despawn in Java). The `flag` processors set and carried items are kept; a logic controller is written as
//! Java writes it and dropped on reading (the unit returns to its normal AI, as `afterRead` resets
//! controllers). Fields the simulation does not keep are written with their defaults (no abilities, no
//! mounts, no plans, no statuses) and ignored on reading.
//!
//! Invariants: the decoder consumes exactly the record or refuses it; it never panics.

use multidustry_protocol::io::{DecodeError, Reader, Writer};
use multidustry_protocol::typeio::{Controller, ItemStack};

use crate::sim::UnitState;

/// The save revision build 159 writes for a unit class (`entity-save-b159.tsv`), for the classes saved here.
pub fn save_revision(class_id: u8) -> Option<i16> {
    match class_id {
        3 | 4 | 24 => Some(9),
        17 => Some(7),
        19 => Some(5),
        21 => Some(8),
        _ => None,
    }
}

/// Whether the class has the mech `baseRotation` field.
fn is_mech(class_id: u8) -> bool {
    matches!(class_id, 4 | 17 | 19)
}

/// A unit's carried items as saves and snapshots write them (empty: item -1, amount 0).
pub fn item_stack(u: &UnitState) -> ItemStack {
    if u.stack.1 > 0 {
        ItemStack { item: u.stack.0 as i16, amount: u.stack.1 }
    } else {
        ItemStack { item: -1, amount: 0 }
    }
}

/// The save record of an AI unit (None for classes not saved here and for player units).
pub fn encode(u: &UnitState) -> Option<Vec<u8>> {
    let revision = save_revision(u.class_id)?;
    if u.controller >= 0 {
        return None;
    }
    let mut w = Writer::new();
    w.i16(revision).abilities(&[]).ok()?;
    if is_mech(u.class_id) {
        w.f32(u.rotation);
    }
    // A logic-controlled unit is saved with its processor (`TypeIO.writeController`); Java gives it its
    // default AI again when loading (`afterRead`), as `decode` does.
    let controller = u.logic.as_ref().map_or(Controller::Ai, |l| Controller::Logic(l.controller));
    w.controller(&controller).ok()?;
    w.f32(if u.flying { 1.0 } else { 0.0 }).f64(u.flag).f32(u.health).bool(u.shooting).i32(-1);
    w.mounts(&[]).ok()?;
    w.i32(0); // plans: i32 n, none
    w.f32(u.rotation).f32(u.shield).bool(u.spawned_by_core).item_stack(item_stack(u));
    w.statuses(&[]).ok()?.u8(u.team).i16(u.type_id).bool(u.update_building);
    w.f32(u.vel.0).f32(u.vel.1).f32(u.x).f32(u.y);
    Some(w.into_inner())
}

/// Reads a unit save record of `class_id` (any controller; the caller decides what to keep) into a unit with
/// entity id `id`.
pub fn decode(class_id: u8, id: i32, data: &[u8]) -> Result<UnitState, DecodeError> {
    if save_revision(class_id).is_none() {
        return Err(DecodeError::Other("unit class not saved by this server"));
    }
    let mut r = Reader::new(data);
    let revision = r.i16()?;
    if Some(revision) != save_revision(class_id) {
        return Err(DecodeError::Invalid { what: "unit save revision", value: revision.into() });
    }
    r.abilities()?;
    if is_mech(class_id) {
        r.f32()?; // baseRotation
    }
    let controller = r.controller()?;
    let elevation = r.f32()?;
    let flag = r.f64()?;
    let health = r.f32()?;
    let shooting = r.bool()?;
    r.i32()?; // mineTile
    r.mounts()?;
    let plans = r.i32()?;
    for _ in 0..plans.max(0) {
        r.plan()?;
    }
    let rotation = r.f32()?;
    let shield = r.f32()?;
    let spawned_by_core = r.bool()?;
    let stack = r.item_stack()?;
    r.statuses()?;
    let team = r.u8()?;
    let type_id = r.i16()?;
    let update_building = r.bool()?;
    let vel = (r.f32()?, r.f32()?);
    let (x, y) = (r.f32()?, r.f32()?);
    r.finish()?;
    let finite = |v: f32| if v.is_finite() { v } else { 0.0 };
    let mut u = UnitState::for_tests(id, if matches!(controller, Controller::Player(_)) { 0 } else { -1 });
    u.type_id = type_id;
    u.class_id = class_id;
    u.team = team;
    u.flying = elevation > 0.5;
    u.health = finite(health);
    u.shooting = shooting;
    u.flag = if flag.is_finite() { flag } else { 0.0 };
    if let (Ok(item), true) = (u16::try_from(stack.item), stack.amount > 0) {
        u.stack = (item, stack.amount);
    }
    u.rotation = finite(rotation);
    u.shield = finite(shield);
    u.spawned_by_core = spawned_by_core;
    u.update_building = update_building;
    u.vel = (finite(vel.0), finite(vel.1));
    (u.x, u.y) = (finite(x), finite(y));
    Ok(u)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wave_units_round_trip_and_player_units_are_not_saved() {
        let mut u = UnitState::for_tests(7, -1);
        (u.type_id, u.class_id, u.team, u.flying, u.x, u.y, u.health) = (0, 4, 2, false, 100.0, 50.0, 130.0);
        u.flag = 42.5;
        u.stack = (3, 12);
        let data = encode(&u).expect("dagger saved");
        // i16 rev, u8 abilities, f32 baseRotation, u8 controller, f32 elevation, f64 flag, f32 health,
        // bool, i32 mineTile, u8 mounts, i32 plans, f32 rotation, f32 shield, bool, i16+i32 stack,
        // i32 statuses, u8 team, i16 type, bool, 4 × f32.
        assert_eq!(data.len(), 2 + 1 + 4 + 1 + 4 + 8 + 4 + 1 + 4 + 1 + 4 + 4 + 4 + 1 + 6 + 4 + 1 + 2 + 1 + 16);
        let back = decode(4, 7, &data).expect("decodes");
        assert_eq!(
            (back.type_id, back.team, back.x, back.y, back.health, back.controller),
            (0, 2, 100.0, 50.0, 130.0, -1)
        );
        assert_eq!(back.flag, 42.5, "the flag is saved");
        assert_eq!(back.stack, (3, 12), "carried items are saved");
        assert!(decode(4, 7, &data[..data.len() - 1]).is_err());
        assert!(decode(3, 7, &data).is_err(), "flyer records have no base rotation");
        assert!(encode(&UnitState::for_tests(1, 5)).is_none(), "core units respawn instead");
    }
}
