//! Snapshot encoding: entity records (`writeSync`) of players and core units per client build, the state
//! snapshot's fields, and the player "save" record that goes into the world stream.
//!
//! Owns: the field order of the entity classes this server syncs, taken from
//! `shared/data/protocol/entity-sync-b159.tsv` / `-b154.tsv` and `entity-save-*.tsv` (Player = class 12;
//! alpha/beta/gamma = classes 0/30/31, the plain UnitEntity layout; 154 writes `ammo` where 159 writes
//! `aimX, aimY`), and the 800-byte chunking of `NetServer.writeEntitySnapshotsAll`.
//!
//! Does not own: packet framing (the host wraps these bytes in `entitySnapshot`/`stateSnapshot` packets).
//!
//! Invariants: records of one packet are complete; a packet holds at least one record; the player is listed
//! right before its unit (Java's `Groups.sync` order, which the captures show).

use multidustry_protocol::io::Writer;
use multidustry_protocol::typeio::{BuildPlan, Object, UnitRef};

use crate::ecs::Ecs;
use crate::grid::Grid;
use crate::sim::{GameState, Plan, PlayerState, UnitState};
use crate::value::Value;

/// `maxSnapshotSize`: a packet is flushed once its data exceeds this.
pub const MAX_SNAPSHOT_SIZE: usize = 800;

/// Entity class id of Player.
pub const PLAYER_CLASS: u8 = 12;

/// The fields of a `stateSnapshot`.
#[derive(Debug, Clone, PartialEq)]
pub struct StateSnapshot {
    /// Countdown in ticks.
    pub wave_time: f32,
    /// Wave.
    pub wave: i32,
    /// Enemy count.
    pub enemies: i32,
    /// Paused.
    pub paused: bool,
    /// Game over.
    pub game_over: bool,
    /// Universe seconds.
    pub time_data: i32,
    /// Ticks per second (1..=255).
    pub tps: u8,
    /// RNG state.
    pub rand0: i64,
    /// RNG state.
    pub rand1: i64,
    /// `u8 teamCount` + per team (u8 id + ItemModule: i16 n + n × (i16 item, i32 amount)).
    pub core_data: Vec<u8>,
}

/// Builds the state snapshot from the world.
pub fn state_snapshot(state: &GameState, grid: &Grid, tick_rate: u32) -> StateSnapshot {
    let mut core = Writer::new();
    let teams = grid.core_teams();
    core.u8(teams.len().min(255) as u8);
    for team in teams.into_iter().take(255) {
        core.u8(team);
        let items: Vec<(u16, i32)> = grid
            .core_of(team)
            .map(|(_, b)| b.items.iter().filter(|(_, n)| **n > 0).map(|(i, n)| (*i, *n)).collect())
            .unwrap_or_default();
        core.i16(items.len() as i16);
        for (item, amount) in items {
            core.i16(item as i16).i32(amount);
        }
    }
    StateSnapshot {
        wave_time: state.wave_countdown,
        wave: state.wave,
        enemies: 0,
        paused: false,
        game_over: false,
        time_data: (state.tick / 60.0) as i32,
        tps: tick_rate.clamp(1, 255) as u8,
        rand0: state.rand.0,
        rand1: state.rand.1,
        core_data: core.into_inner(),
    }
}

fn string(w: &mut Writer, s: &str) {
    if w.str(Some(s)).is_err() {
        // Names and texts are limited far below 65535 bytes upstream; never emit a broken record.
        w.u16(0);
    }
}

/// Player `writeSync` (class 12) for `build`, without the id/class header.
pub fn write_player_sync(w: &mut Writer, p: &PlayerState, build: u32) {
    w.bool(p.admin).bool(p.boosting).u32(p.color).f32(p.mouse_x).f32(p.mouse_y);
    string(w, &p.name);
    if build >= 159 {
        w.i16(p.selected_block).i32(p.selected_rotation);
    }
    w.bool(p.shooting).u8(p.team).bool(p.typing);
    unit_ref(w, p.unit);
    w.f32(p.x).f32(p.y);
}

fn unit_ref(w: &mut Writer, unit: Option<i32>) {
    w.unit_ref(unit.map_or(UnitRef::NONE, UnitRef::Unit));
}

/// Core unit `writeSync` (UnitEntity layout, classes 0/30/31) for `build`.
pub fn write_unit_sync(w: &mut Writer, u: &UnitState, build: u32) {
    w.u8(0); // abilities: none on alpha/beta/gamma
    if build >= 159 {
        w.f32(u.aim.0).f32(u.aim.1);
    } else {
        w.f32(0.0); // ammo
    }
    w.u8(0).i32(u.controller); // controller: player
    w.f32(1.0); // elevation: flying
    w.f64(0.0); // flag
    w.f32(u.health);
    w.bool(u.shooting);
    w.i32(-1); // mineTile
    let mounts = crate::blocks::unit_stats(u.type_id).mounts;
    w.u8(mounts);
    for _ in 0..mounts {
        w.u8(u8::from(u.shooting)).f32(u.aim.0).f32(u.aim.1);
    }
    write_plans_net(w, u.plans.iter(), build);
    w.f32(u.rotation);
    w.f32(0.0); // shield
    w.bool(u.spawned_by_core);
    w.i16(-1).i32(0); // stack
    w.i32(0); // statuses
    w.u8(u.team);
    w.i16(u.type_id);
    w.bool(u.update_building);
    w.f32(u.vel.0).f32(u.vel.1);
    w.f32(u.x).f32(u.y);
}

/// `writePlansQueueNet`: i32 n (≤ 20, cut once configs pass 500 bytes) + plans.
pub fn write_plans_net<'a>(w: &mut Writer, plans: impl Iterator<Item = &'a Plan>, build: u32) {
    let mut chosen = Vec::new();
    let mut config_bytes = 0usize;
    for p in plans.take(20) {
        chosen.push(p);
        if let Value::Str(Some(s)) = &p.config {
            config_bytes += s.len();
        }
        if let Value::Other(Object::Bytes(b)) = &p.config {
            config_bytes += b.len();
        }
        if config_bytes > 500 {
            break;
        }
    }
    w.i32(chosen.len() as i32);
    for p in chosen {
        write_plan(w, p, build);
    }
}

/// `writePlan` (the protocol crate's codec; block ids mapped to `build`).
pub fn write_plan(w: &mut Writer, p: &Plan, build: u32) {
    let pos = crate::grid::pack(p.x, p.y);
    let block = crate::blocks::to_build(p.block, build) as i16;
    let plan = if p.breaking {
        BuildPlan::Break { pos }
    } else {
        BuildPlan::Place { pos, block, rotation: p.rotation, has_config: 1, config: p.config.to_object() }
    };
    let mut tmp = Writer::new();
    if tmp.plan(&plan).is_err() {
        // Only an over-long config fails, which input limits exclude: keep the record well-formed.
        tmp = Writer::new();
        tmp.u8(0).i32(pos).i16(block).u8(p.rotation).u8(1).u8(0);
    }
    w.bytes(tmp.as_slice());
}

/// `TypeIO.writeObject` for [`Value`] (an unencodable value, which input limits exclude, is written as null).
pub fn write_value(w: &mut Writer, v: &Value) {
    let mut tmp = Writer::new();
    match tmp.object(&v.to_object()) {
        Ok(_) => w.bytes(tmp.as_slice()),
        Err(_) => w.u8(0),
    };
}

/// Entity snapshot packets for `build`: (amount, data) chunks of at most ~800 bytes.
pub fn entity_snapshots(ecs: &Ecs, build: u32) -> Vec<(i16, Vec<u8>)> {
    let mut packets = Vec::new();
    let mut w = Writer::with_capacity(1024);
    let mut amount: i16 = 0;
    let mut flush = |w: &mut Writer, amount: &mut i16| {
        if *amount > 0 {
            packets.push((*amount, std::mem::take(w).into_inner()));
            *amount = 0;
        }
    };
    let mut listed = std::collections::BTreeSet::new();
    for p in ecs.players() {
        if !p.confirmed {
            continue;
        }
        w.i32(p.id).u8(PLAYER_CLASS);
        write_player_sync(&mut w, p, build);
        amount += 1;
        if let Some(u) = p.unit.and_then(|id| ecs.unit(id)) {
            w.i32(u.id).u8(crate::blocks::unit_class(u.type_id));
            write_unit_sync(&mut w, u, build);
            amount += 1;
            listed.insert(u.id);
        }
        if w.len() > MAX_SNAPSHOT_SIZE {
            flush(&mut w, &mut amount);
        }
    }
    for u in ecs.units().filter(|u| !listed.contains(&u.id)) {
        w.i32(u.id).u8(crate::blocks::unit_class(u.type_id));
        write_unit_sync(&mut w, u, build);
        amount += 1;
        if w.len() > MAX_SNAPSHOT_SIZE {
            flush(&mut w, &mut amount);
        }
    }
    flush(&mut w, &mut amount);
    packets
}

/// Block snapshot records for `positions`, if this server can encode those buildings for `build`.
///
/// Partial: building `writeAll` bodies are block-specific and not implemented for any block yet, so this
/// returns `None` (the Java server sends these only for `sync = true` blocks and a client works without them;
/// core items reach clients through the state snapshot).
pub fn block_snapshot(_grid: &Grid, _positions: impl Iterator<Item = i32>, _build: u32) -> Option<(i16, Vec<u8>)> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn player_sync_record_matches_the_field_tables() {
        let mut p = PlayerState::for_tests(7, "ab");
        p.unit = Some(9);
        let mut w = Writer::new();
        write_player_sync(&mut w, &p, 159);
        // admin, boosting, color, mouse x/y, name (1+2+2), selectedBlock, selectedRotation, shooting, team,
        // typing, unit (5), x, y
        assert_eq!(w.len(), 1 + 1 + 4 + 8 + 5 + 2 + 4 + 1 + 1 + 1 + 5 + 8);
        let mut w154 = Writer::new();
        write_player_sync(&mut w154, &p, 154);
        assert_eq!(w154.len(), w.len() - 6);
        let b = w.as_slice();
        assert_eq!(&b[b.len() - 13..b.len() - 8], &[2, 0, 0, 0, 9]);
    }

    #[test]
    fn alpha_record_differs_between_builds_by_aim_vs_ammo() {
        let u = UnitState::for_tests(3, 1);
        let (mut a, mut b) = (Writer::new(), Writer::new());
        write_unit_sync(&mut a, &u, 159);
        write_unit_sync(&mut b, &u, 154);
        assert_eq!(a.len(), b.len() + 4);
    }

    #[test]
    fn snapshots_chunk_past_800_bytes() {
        let mut ecs = Ecs::new(1);
        for i in 0..40 {
            let id = ecs.allocate_id();
            let mut p = PlayerState::for_tests(id, &format!("player{i}"));
            p.confirmed = true;
            ecs.insert_player(p);
        }
        let packets = entity_snapshots(&ecs, 159);
        assert!(packets.len() > 1);
        assert_eq!(packets.iter().map(|(n, _)| i32::from(*n)).sum::<i32>(), 40);
        for (_, data) in &packets[..packets.len() - 1] {
            assert!(data.len() > MAX_SNAPSHOT_SIZE && data.len() < MAX_SNAPSHOT_SIZE + 100);
        }
    }
}
