//! Snapshot contents: the entity records of players and core units (as the protocol crate's [`EntityRecord`]s,
//! whose codec writes each build's field layout and whose `entity::chunk_records` does the 800-byte chunking
//! of `NetServer.writeEntitySnapshotsAll`), the state snapshot's fields, and plan/object writing helpers.
//!
//! Owns: which values the server puts in those records (alpha/beta/gamma = classes 0/30/31, flying, player
//! controller, one mount entry per weapon, `writePlansQueueNet`'s 20-plan/500-byte selection). Does not own:
//! byte layouts (protocol crate), packet framing (the host wraps the bytes in `entitySnapshot`/`stateSnapshot`
//! packets), the player "save" record of the world stream (the world crate's `PlayerRecord`).
//!
//! Invariants: records of one packet are complete; a packet holds at least one record; the player is listed
//! right before its unit (Java's `Groups.sync` order, which the captures show).

use multidustry_protocol::entity::{self, EntityData, PlayerSync, UnitSync};
use multidustry_protocol::io::Writer;
use multidustry_protocol::packets::{CoreItems, StateSnapshotCallPacket};
use multidustry_protocol::typeio::{BuildPlan, Controller, ItemStack, Mount, Object, UnitRef};
use multidustry_protocol::{Build, EntityRecord};

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
    let cores: Vec<CoreItems> = grid
        .core_teams()
        .into_iter()
        .take(255)
        .map(|team| CoreItems {
            team,
            items: grid
                .core_of(team)
                .map(|(_, b)| {
                    let stacks = b.items.iter().filter(|(_, n)| **n > 0);
                    stacks.map(|(i, n)| ItemStack { item: *i as i16, amount: *n }).collect()
                })
                .unwrap_or_default(),
        })
        .collect();
    // At most 255 teams (taken above) and far fewer than 32768 item kinds: encoding cannot fail.
    let core_data = StateSnapshotCallPacket::encode_cores(&cores).unwrap_or_else(|_| vec![0]);
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
        core_data,
    }
}

/// Player `writeSync` fields (class 12).
pub fn player_sync(p: &PlayerState) -> PlayerSync {
    PlayerSync {
        admin: p.admin,
        boosting: p.boosting,
        color: p.color as i32,
        mouse_x: p.mouse_x,
        mouse_y: p.mouse_y,
        name: Some(p.name.clone()),
        selected_block: p.selected_block,
        selected_rotation: p.selected_rotation,
        shooting: p.shooting,
        team: p.team,
        typing: p.typing,
        unit: p.unit.map_or(UnitRef::NONE, UnitRef::Unit),
        x: p.x,
        y: p.y,
    }
}

/// Unit `writeSync` fields for `build` (plans' block ids): core units (UnitEntity layout, classes 0/30/31,
/// player controller, flying) and wave units (their type's class, AI controller, ground or flying).
pub fn unit_sync(u: &UnitState, build: u32) -> UnitSync {
    let mounts = match crate::waves::unit_type(u.type_id) {
        Some(f) if u.controller < 0 => f.mounts,
        _ => crate::blocks::unit_stats(u.type_id).mounts,
    };
    UnitSync {
        class_id: u.class_id,
        abilities: Vec::new(), // none on alpha/beta/gamma
        ammo: 0.0,
        aim_x: u.aim.0,
        aim_y: u.aim.1,
        base_rotation: 0.0,
        building: 0,
        controller: match &u.logic {
            _ if u.controller >= 0 => Controller::Player(u.controller),
            Some(l) => Controller::Logic(l.controller),
            None => Controller::Ai,
        },
        elevation: if u.flying { 1.0 } else { 0.0 },
        flag: u.flag,
        health: u.health,
        is_shooting: u.shooting,
        lifetime: 0.0,
        mine_tile: -1,
        mounts: (0..mounts).map(|_| Mount { flags: u8::from(u.shooting), aim_x: u.aim.0, aim_y: u.aim.1 }).collect(),
        plans: Some(plans_net(u.plans.iter(), build)),
        rotation: u.rotation,
        shield: u.shield,
        spawned_by_core: u.spawned_by_core,
        stack: crate::unitsave::item_stack(u),
        statuses: Vec::new(),
        team: u.team,
        time: 0.0,
        type_id: u.type_id,
        update_building: u.update_building,
        vel: u.vel,
        x: u.x,
        y: u.y,
    }
}

/// `writePlansQueueNet`'s selection: at most 20 plans, cut once configs pass 500 bytes.
pub fn plans_net<'a>(plans: impl Iterator<Item = &'a Plan>, build: u32) -> Vec<BuildPlan> {
    let mut chosen = Vec::new();
    let mut config_bytes = 0usize;
    for p in plans.take(20) {
        chosen.push(build_plan(p, build));
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
    chosen
}

/// A plan in the protocol crate's form, block id mapped to `build`.
pub fn build_plan(p: &Plan, build: u32) -> BuildPlan {
    let pos = crate::grid::pack(p.x, p.y);
    if p.breaking {
        BuildPlan::Break { pos }
    } else {
        let block = crate::blocks::to_build(p.block, build) as i16;
        BuildPlan::Place { pos, block, rotation: p.rotation, has_config: 1, config: p.config.to_object() }
    }
}

/// `writePlan` (the protocol crate's codec; block ids mapped to `build`).
pub fn write_plan(w: &mut Writer, p: &Plan, build: u32) {
    let mut tmp = Writer::new();
    if tmp.plan(&build_plan(p, build)).is_err() {
        // Only an over-long config fails, which input limits exclude: keep the record well-formed.
        tmp = Writer::new();
        let block = crate::blocks::to_build(p.block, build) as i16;
        tmp.u8(0).i32(crate::grid::pack(p.x, p.y)).i16(block).u8(p.rotation).u8(1).u8(0);
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

/// The entity records of a snapshot: each confirmed player right before its unit, then the other units.
pub fn entity_records(ecs: &Ecs, build: u32) -> Vec<EntityRecord> {
    let mut records = Vec::new();
    let mut listed = std::collections::BTreeSet::new();
    for p in ecs.players() {
        if !p.confirmed {
            continue;
        }
        records.push(EntityRecord { id: p.id, data: EntityData::Player(player_sync(p)) });
        if let Some(u) = p.unit.and_then(|id| ecs.unit(id)) {
            records.push(EntityRecord { id: u.id, data: EntityData::Unit(unit_sync(u, build)) });
            listed.insert(u.id);
        }
    }
    for u in ecs.units().filter(|u| !listed.contains(&u.id)) {
        records.push(EntityRecord { id: u.id, data: EntityData::Unit(unit_sync(u, build)) });
    }
    records
}

/// Entity snapshot packets for `build`: (amount, data) chunks, flushed once past [`MAX_SNAPSHOT_SIZE`] bytes
/// (the protocol crate's `entity::chunk_records`). A record that cannot be encoded (an over-long name, which
/// join limits exclude) is left out.
pub fn entity_snapshots(ecs: &Ecs, build: u32) -> Vec<(i16, Vec<u8>)> {
    let b = if build >= 159 { Build::V159 } else { Build::V154 };
    let records = entity_records(ecs, build);
    entity::chunk_records(&records, b, MAX_SNAPSHOT_SIZE).unwrap_or_else(|_| {
        let ok: Vec<EntityRecord> = records.into_iter().filter(|r| r.encode(&mut Writer::new(), b).is_ok()).collect();
        entity::chunk_records(&ok, b, MAX_SNAPSHOT_SIZE).unwrap_or_default()
    })
}

/// Whether `NetServer.writeBlockSnapshots` includes the building: blocks with `sync = true` (turrets,
/// storage and cores, crafters, generators, payload blocks, mass drivers: the `sync` column of `blocks.tsv`),
/// construction sites (ConstructBlock) and cores.
pub fn is_synced(b: &crate::grid::Building) -> bool {
    b.construction.is_some()
        || crate::blocks::core_unit(b.block).is_some()
        || crate::blocks::rule_for(b.block).is_some_and(|r| r.sync)
}

/// `blockSnapshot` packets for the buildings at `positions`, as `NetServer.writeBlockSnapshots` writes them:
/// per building `i32 pos`, `i16 block id` (the client build's id; `build{size}` for a construction site),
/// then `writeAll` (the building record without its revision byte); a packet is flushed once its data passes
/// [`MAX_SNAPSHOT_SIZE`] bytes. Positions without a building are skipped.
pub fn block_snapshots(grid: &Grid, positions: impl Iterator<Item = i32>, build: u32) -> Vec<(i16, Vec<u8>)> {
    let native = |b: u16| crate::blocks::to_build(b, build);
    let mut packets = Vec::new();
    let mut w = Writer::new();
    let mut amount: i16 = 0;
    for pos in positions {
        let Some(b) = grid.building(pos) else { continue };
        let block = match &b.construction {
            Some(c) => crate::records::construct_block(crate::records::block_size(c.block)),
            None => b.block,
        };
        let record = crate::records::building_record(b, &native);
        w.i32(pos).i16(native(block) as i16);
        w.bytes(record.get(1..).unwrap_or(&[]));
        amount += 1;
        if w.len() > MAX_SNAPSHOT_SIZE || amount == i16::MAX {
            packets.push((amount, std::mem::replace(&mut w, Writer::new()).into_inner()));
            amount = 0;
        }
    }
    if amount > 0 {
        packets.push((amount, w.into_inner()));
    }
    packets
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn player_sync_record_matches_the_field_tables() {
        let mut p = PlayerState::for_tests(7, "ab");
        p.unit = Some(9);
        let rec = |p: &PlayerState, b| {
            let mut w = Writer::new();
            EntityRecord { id: p.id, data: EntityData::Player(player_sync(p)) }.encode(&mut w, b).expect("encodes");
            w.as_slice()[5..].to_vec() // without the id/class header
        };
        let w = rec(&p, Build::V159);
        // admin, boosting, color, mouse x/y, name (1+2+2), selectedBlock, selectedRotation, shooting, team,
        // typing, unit (5), x, y
        assert_eq!(w.len(), 1 + 1 + 4 + 8 + 5 + 2 + 4 + 1 + 1 + 1 + 5 + 8);
        assert_eq!(rec(&p, Build::V154).len(), w.len() - 6);
        let b = &w[..];
        assert_eq!(&b[b.len() - 13..b.len() - 8], &[2, 0, 0, 0, 9]);
    }

    #[test]
    fn alpha_record_differs_between_builds_by_aim_vs_ammo() {
        let u = UnitState::for_tests(3, 1);
        let (mut a, mut b) = (Writer::new(), Writer::new());
        let rec = |build| EntityRecord { id: u.id, data: EntityData::Unit(unit_sync(&u, build)) };
        rec(159).encode(&mut a, Build::V159).expect("encodes");
        rec(154).encode(&mut b, Build::V154).expect("encodes");
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

    #[test]
    fn block_snapshots_match_the_java_servers_bytes() {
        // join-capture-b159: blockSnapshot(amount 2) with two default duos at (124,120) and (124,121),
        // team 1, rotation 1.
        let java = "007c0078015d437a0000810103010d0000000000000000000042b4000000\
                    007c0079015d437a0000810103010d0000000000000000000042b4000000";
        let java: Vec<u8> =
            (0..java.len() / 2).map(|i| u8::from_str_radix(&java[2 * i..2 * i + 2], 16).expect("hex")).collect();
        let duo = crate::blocks::rule_named("duo").expect("duo");
        let mut grid = Grid::new(200, 200, 33);
        for y in [120, 121] {
            assert!(grid.put(124, y, 1, crate::grid::Building::new(duo.id, 1, 1, duo.health)));
        }
        let positions = [crate::grid::pack(124, 120), crate::grid::pack(124, 121)];
        let packets = block_snapshots(&grid, positions.into_iter(), 159);
        assert_eq!(packets, vec![(2, java)]);
        assert!(is_synced(grid.building(positions[0]).expect("duo")));
        // Build 154 numbers duo 347 (two blocks fewer before it).
        let b154 = block_snapshots(&grid, positions.into_iter(), 154);
        assert_eq!(&b154[0].1[4..6], &crate::blocks::to_build(duo.id, 154).to_be_bytes());
        // Many buildings: chunked past 800 bytes, every record counted once.
        let mut grid = Grid::new(200, 200, 33);
        let mut all = Vec::new();
        for x in 0..100 {
            assert!(grid.put(x, 5, 1, crate::grid::Building::new(duo.id, 1, 0, duo.health)));
            all.push(crate::grid::pack(x, 5));
        }
        let packets = block_snapshots(&grid, all.into_iter(), 159);
        assert!(packets.len() > 1);
        assert_eq!(packets.iter().map(|(n, _)| i32::from(*n)).sum::<i32>(), 100);
    }
}
