//! Translation between the world's [`Call`]s/[`Input`]s and the internal messages (`multidustrycore::messages`):
//! client packets the proxy forwards as bytes are decoded here for the session's build, and calls are encoded
//! per build into `OutPacket::Raw` (or the build-neutral `Message`/`Chat`).
//!
//! Owns: the mapping between the protocol crate's typed packets ([`Packet`]) and the world's [`Input`]/[`Call`]
//! (block ids re-keyed per build, unit references, the server-sent `player` fields). Packet ids, payload layouts
//! and the TypeIO codecs (objects, plans) are the protocol crate's: `Packet::decode_lazy` / `Packet::encode`.
//!
//! Invariants: decoders never panic and consume exactly their payload; unknown client packets are ignored
//! (returned as `None`), malformed ones are an error (the caller logs at debug and drops them).

use multidustry_protocol::packets::{
    BeginBreakCallPacket, BeginPlaceCallPacket, BlockSnapshotCallPacket, BuildDestroyedCallPacket,
    ClientSnapshotCallPacket, ConstructFinishCallPacket, DeconstructFinishCallPacket, EntitySnapshotCallPacket,
    LogicExplosionCallPacket, PacketError, PlayerDisconnectCallPacket, PlayerSpawnCallPacket,
    RemoveQueueBlockCallPacket, RotateBlockCallPacket, SetFlagCallPacket, SetPositionCallPacket, SpawnEffectCallPacket,
    StateSnapshotCallPacket, SyncVariableCallPacket, TileConfigCallPacket, UnitDeathCallPacket, UnitDespawnCallPacket,
};
use multidustry_protocol::typeio::{BuildPlan, ContentRef, Object, unpack_pos};
use multidustry_protocol::{Build, DecodeError, Packet, PacketKind, RawPacket, Side, UnitRef};
use multidustrycore::messages::{OutPacket, Reliability, SessionId as Sid, Target as MsgTarget, ToProxy};

use crate::blocks;
use crate::sim::{Call, ClientSnapshot, Input, Plan, SessionId, Target};
use crate::value::Value;

/// The client builds the world encodes for.
pub const BUILDS: [u32; 2] = [159, 154];

/// Longest configuration string accepted from a client (`TypeIO.readObject` in safe mode).
const MAX_CONFIG_STRING: usize = 1200;

/// The client packets the world reads; every other one is passed over unparsed.
const CLIENT_KINDS: [PacketKind; 4] = [
    PacketKind::ClientSnapshotCallPacket,
    PacketKind::TileConfigCallPacket,
    PacketKind::RotateBlockCallPacket,
    PacketKind::RequestBlockSnapshotCallPacket,
];

fn build_of(build: u32) -> Build {
    if build >= 159 { Build::V159 } else { Build::V154 }
}

/// Decodes a forwarded client packet of `build` into a world input. `Ok(None)`: a packet the world ignores.
pub fn decode_client(session: SessionId, build: u32, id: u8, payload: &[u8]) -> Result<Option<Input>, PacketError> {
    let raw = RawPacket { id, payload: payload.to_vec() };
    let packet = match Packet::decode_lazy(build_of(build), Side::Client, &raw, &CLIENT_KINDS) {
        Ok(p) => p,
        Err(PacketError::UnknownId { .. }) => return Ok(None),
        Err(e) => return Err(e),
    };
    let bad = |kind, source| PacketError::Payload { kind, source };
    Ok(Some(match packet {
        Packet::ClientSnapshotCallPacket(p) => {
            let snapshot = client_snapshot(p, build).map_err(|e| bad(PacketKind::ClientSnapshotCallPacket, e))?;
            Input::ClientSnapshot { session, snapshot }
        }
        Packet::TileConfigCallPacket(p) => {
            let value = config(p.value.into()).map_err(|e| bad(PacketKind::TileConfigCallPacket, e))?;
            Input::TileConfig { session, pos: p.build, value }
        }
        Packet::RotateBlockCallPacket(p) => Input::RotateBlock { session, pos: p.build, direction: p.direction },
        Packet::RequestBlockSnapshotCallPacket(p) => Input::RequestBlockSnapshot { session, pos: p.pos },
        _ => return Ok(None),
    }))
}

/// A client-sent configuration, with the safe-mode string limit.
fn config(value: Value) -> Result<Value, DecodeError> {
    match &value {
        Value::Str(Some(s)) if s.len() > MAX_CONFIG_STRING => {
            Err(DecodeError::TooLarge { what: "config string", value: s.len(), limit: MAX_CONFIG_STRING })
        }
        _ => Ok(value),
    }
}

fn client_snapshot(p: ClientSnapshotCallPacket, build: u32) -> Result<ClientSnapshot, DecodeError> {
    let (selected_block, selected_rotation) = if build >= 159 {
        let b = p.selected_block;
        (if b < 0 { b } else { blocks::from_build(b as u16, build) as i16 }, p.selected_rotation)
    } else {
        (-1, 0)
    };
    let plans = match p.plans {
        None => None,
        Some(plans) => Some(plans.into_iter().map(|plan| self::plan(plan, build)).collect::<Result<Vec<_>, _>>()?),
    };
    Ok(ClientSnapshot {
        snapshot_id: p.snapshot_id,
        unit_id: p.unit_id,
        dead: p.dead,
        x: p.x,
        y: p.y,
        pointer_x: p.pointer_x,
        pointer_y: p.pointer_y,
        rotation: p.rotation,
        vel_x: p.x_velocity,
        vel_y: p.y_velocity,
        boosting: p.boosting,
        shooting: p.shooting,
        chatting: p.chatting,
        building: p.building,
        selected_block,
        selected_rotation,
        plans,
    })
}

fn plan(p: BuildPlan, build: u32) -> Result<Plan, DecodeError> {
    let (pos, breaking) = match &p {
        BuildPlan::Break { pos } => (*pos, true),
        BuildPlan::Place { pos, .. } => (*pos, false),
    };
    let (x, y) = unpack_pos(pos);
    let (x, y) = (i32::from(x), i32::from(y));
    match p {
        BuildPlan::Break { .. } => Ok(Plan { x, y, breaking, block: 0, rotation: 0, config: Value::Null }),
        BuildPlan::Place { block, rotation, config: c, .. } => {
            let block = if block < 0 { u16::MAX } else { blocks::from_build(block as u16, build) };
            Ok(Plan { x, y, breaking, block, rotation, config: config(c.into())? })
        }
    }
}

fn sid(s: SessionId) -> Sid {
    Sid(s)
}

/// Encodes a call for its receivers. Build-neutral calls become one message; build-specific ones one `Raw`
/// packet per build in `builds` (a `Target::Build` call only for that build).
pub fn encode(target: Target, call: &Call, builds: &[u32], out: &mut Vec<ToProxy>) {
    let (to, only) = match target {
        Target::Session(s) => (MsgTarget::Session(sid(s)), None),
        Target::All => (MsgTarget::World, None),
        Target::Build(b) => (MsgTarget::World, Some(b)),
    };
    let reliable = Reliability::Reliable;
    match call {
        Call::WorldStream { .. } => {} // produced by the host, not here
        Call::SendMessage(text) => {
            out.push(ToProxy::Packet { to, packet: OutPacket::Message { text: text.clone() }, reliability: reliable })
        }
        Call::SendChat { formatted, unformatted, sender } => out.push(ToProxy::Packet {
            to,
            packet: OutPacket::Chat {
                message: formatted.clone(),
                unformatted: unformatted.clone(),
                sender: (*sender >= 0).then_some(*sender),
            },
            reliability: reliable,
        }),
        _ => {
            for &build in builds {
                if only.is_some_and(|b| b != build) {
                    continue;
                }
                let Some((packet, reliability)) = packet_for(call, build) else { continue };
                match packet.encode(build_of(build)) {
                    Ok(RawPacket { id, payload }) => {
                        out.push(ToProxy::Packet { to, packet: OutPacket::Raw { build, id, payload }, reliability })
                    }
                    Err(e) => tracing::warn!(build, kind = ?packet.kind(), error = %e, "call not encodable, dropped"),
                }
            }
        }
    }
}

fn block_id(block: u16, build: u32) -> i16 {
    blocks::to_build(block, build) as i16
}

/// The typed packet of a build-specific call, and its reliability.
fn packet_for(call: &Call, build: u32) -> Option<(Packet, Reliability)> {
    use Reliability::{Reliable, Unreliable};
    let unit = |id: i32| UnitRef::Unit(id);
    let (packet, rel): (Packet, _) = match call {
        Call::EntitySnapshot { amount, data } => (
            Packet::EntitySnapshotCallPacket(EntitySnapshotCallPacket { amount: *amount, data: data.to_vec() }),
            Unreliable,
        ),
        Call::BlockSnapshot { amount, data } => (
            Packet::BlockSnapshotCallPacket(BlockSnapshotCallPacket { amount: *amount, data: data.to_vec() }),
            Unreliable,
        ),
        Call::StateSnapshot(s) => (
            Packet::StateSnapshotCallPacket(StateSnapshotCallPacket {
                wave_time: s.wave_time,
                wave: s.wave,
                enemies: s.enemies,
                paused: s.paused,
                game_over: s.game_over,
                time_data: s.time_data,
                tps: s.tps as i8,
                rand0: s.rand0,
                rand1: s.rand1,
                core_data: s.core_data.clone(),
            }),
            Unreliable,
        ),
        Call::PlayerSpawn { core, player } => {
            (Packet::PlayerSpawnCallPacket(PlayerSpawnCallPacket { tile: *core, player: *player }), Reliable)
        }
        Call::PlayerDisconnect(id) => {
            (Packet::PlayerDisconnectCallPacket(PlayerDisconnectCallPacket { playerid: *id }), Reliable)
        }
        Call::UnitDespawn(u) => (Packet::UnitDespawnCallPacket(UnitDespawnCallPacket { unit: unit(*u) }), Reliable),
        Call::BeginPlace { unit: u, block, team, x, y, rotation, config } => (
            Packet::BeginPlaceCallPacket(BeginPlaceCallPacket {
                unit: unit(*u),
                result: block_id(*block, build),
                team: *team,
                x: *x,
                y: *y,
                rotation: i32::from(*rotation),
                place_config: config.to_object(),
            }),
            Reliable,
        ),
        Call::BeginBreak { unit: u, team, x, y } => {
            (Packet::BeginBreakCallPacket(BeginBreakCallPacket { unit: unit(*u), team: *team, x: *x, y: *y }), Reliable)
        }
        Call::ConstructFinish { pos, block, unit: u, rotation, team, config } => (
            Packet::ConstructFinishCallPacket(ConstructFinishCallPacket {
                tile: *pos,
                block: block_id(*block, build),
                builder: unit(*u),
                rotation: *rotation as i8,
                team: *team,
                config: config.to_object(),
            }),
            Reliable,
        ),
        Call::DeconstructFinish { pos, block, unit: u } => (
            Packet::DeconstructFinishCallPacket(DeconstructFinishCallPacket {
                tile: *pos,
                block: block_id(*block, build),
                builder: unit(*u),
            }),
            Reliable,
        ),
        Call::RemoveQueueBlock { x, y, breaking } => (
            Packet::RemoveQueueBlockCallPacket(RemoveQueueBlockCallPacket { x: *x, y: *y, breaking: *breaking }),
            Reliable,
        ),
        // Server-sent `both` calls carry the player id, -1 for the server itself.
        Call::TileConfig { player, pos, value } => (
            Packet::TileConfigCallPacket(TileConfigCallPacket {
                player: Some(player.unwrap_or(-1)),
                build: *pos,
                value: value.to_object(),
            }),
            Reliable,
        ),
        Call::RotateBlock { player, pos, direction } => (
            Packet::RotateBlockCallPacket(RotateBlockCallPacket {
                player: Some(player.unwrap_or(-1)),
                build: *pos,
                direction: *direction,
            }),
            Reliable,
        ),
        Call::SetPosition { x, y } => (Packet::SetPositionCallPacket(SetPositionCallPacket { x: *x, y: *y }), Reliable),
        Call::SpawnEffect { x, y, rotation, unit_type } => (
            Packet::SpawnEffectCallPacket(SpawnEffectCallPacket { x: *x, y: *y, rotation: *rotation, u: *unit_type }),
            Unreliable,
        ),
        Call::UnitDeath(id) => (Packet::UnitDeathCallPacket(UnitDeathCallPacket { uid: *id }), Reliable),
        Call::BuildDestroyed(pos) => {
            (Packet::BuildDestroyedCallPacket(BuildDestroyedCallPacket { build: *pos }), Reliable)
        }
        Call::SetFlag { flag, add } => {
            (Packet::SetFlagCallPacket(SetFlagCallPacket { flag: Some(flag.clone()), add: *add }), Reliable)
        }
        Call::LogicExplosion { team, x, y, radius, damage, air, ground, pierce, effect } => (
            Packet::LogicExplosionCallPacket(LogicExplosionCallPacket {
                team: *team,
                x: *x,
                y: *y,
                radius: *radius,
                damage: *damage,
                air: *air,
                ground: *ground,
                pierce: *pierce,
                effect: *effect,
            }),
            Unreliable,
        ),
        Call::SyncVariable { pos, id154, id159, value } => {
            let variable = if build >= 159 { (*id159)? } else { (*id154)? };
            let value = sync_value(value, build)?;
            (Packet::SyncVariableCallPacket(SyncVariableCallPacket { building: *pos, variable, value }), Unreliable)
        }
        Call::WorldStream { .. } | Call::SendMessage(_) | Call::SendChat { .. } => return None,
    };
    Some((packet, rel))
}

/// A synced value for a client of `build`: content ids are build 159's, so a build-154 client gets blocks
/// re-keyed and no other content (whose 154 ids are not mapped here).
fn sync_value(value: &Object, build: u32) -> Option<Object> {
    match value {
        Object::Content(c) if build < 159 => {
            if c.content_type != CONTENT_BLOCK {
                return None;
            }
            let id = u16::try_from(c.id).ok()?;
            Some(Object::Content(ContentRef { content_type: CONTENT_BLOCK, id: block_id(id, build) }))
        }
        v => Some(v.clone()),
    }
}

/// `ContentType.block`'s ordinal.
const CONTENT_BLOCK: u8 = 1;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync;
    use multidustry_protocol::Writer;

    fn client_id(build: u32, kind: PacketKind) -> u8 {
        build_of(build).id(kind).expect("registered")
    }

    fn snapshot_bytes(build: u32, plans: &[Plan]) -> Vec<u8> {
        let mut w = Writer::new();
        w.i32(5).i32(9).bool(false).f32(1.0).f32(2.0).f32(3.0).f32(4.0).f32(90.0).f32(0.0).f32(0.5).f32(0.0);
        w.i32(-1).bool(false).bool(true).bool(false).bool(true);
        if build >= 159 {
            w.i16(-1).i32(0);
        }
        w.i32(plans.len() as i32);
        for p in plans {
            sync::write_plan(&mut w, p, build);
        }
        w.f32(0.0).f32(0.0).f32(100.0).f32(100.0);
        w.into_inner()
    }

    #[test]
    fn client_snapshots_decode_for_both_builds() {
        let plans = vec![
            Plan { x: 3, y: 4, breaking: false, block: 264, rotation: 0, config: Value::Content(0, 2) },
            Plan { x: 5, y: 6, breaking: true, block: 0, rotation: 0, config: Value::Null },
        ];
        for build in BUILDS {
            let bytes = snapshot_bytes(build, &plans);
            let id = client_id(build, PacketKind::ClientSnapshotCallPacket);
            let Some(Input::ClientSnapshot { snapshot, .. }) = decode_client(1, build, id, &bytes).expect("decodes")
            else {
                panic!("not a snapshot")
            };
            assert_eq!((snapshot.snapshot_id, snapshot.x, snapshot.y, snapshot.shooting), (5, 1.0, 2.0, true));
            assert_eq!(snapshot.plans.as_deref(), Some(&plans[..]), "build {build}");
            // Truncated input is an error, never a panic.
            for cut in 0..bytes.len() {
                assert!(decode_client(1, build, id, &bytes[..cut]).is_err());
            }
        }
    }

    #[test]
    fn tile_configs_keep_uninterpreted_objects_and_reject_bad_ones() {
        for build in BUILDS {
            let id = client_id(build, PacketKind::TileConfigCallPacket);
            let int_seq = [0u8, 0, 0, 7, 6, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2];
            let Some(Input::TileConfig { pos, value, .. }) = decode_client(1, build, id, &int_seq).expect("decodes")
            else {
                panic!("not a tile config")
            };
            assert_eq!(pos, 7);
            let mut w = Writer::new();
            sync::write_value(&mut w, &value);
            assert_eq!(w.as_slice(), &int_seq[4..], "re-encodes unchanged");
            for bad in [&[0u8, 0, 0, 7, 99][..], &[0, 0, 0, 7, 14, 0x7f, 0xff, 0xff, 0xff]] {
                assert!(decode_client(1, build, id, bad).is_err());
            }
            let mut long = vec![0u8, 0, 0, 7, 4, 1];
            long.extend_from_slice(&1300u16.to_be_bytes());
            long.extend(std::iter::repeat_n(b'a', 1300));
            assert!(decode_client(1, build, id, &long).is_err(), "config strings are capped at 1200 bytes");
        }
    }

    #[test]
    fn calls_encode_with_per_build_ids() {
        let mut out = Vec::new();
        let call = Call::ConstructFinish { pos: 5, block: 257, unit: 3, rotation: 1, team: 1, config: Value::Null };
        encode(Target::All, &call, &BUILDS, &mut out);
        let got: Vec<(u32, u8, Vec<u8>)> = out
            .iter()
            .filter_map(|m| match m {
                ToProxy::Packet { packet: OutPacket::Raw { build, id, payload }, .. } => {
                    Some((*build, *id, payload.clone()))
                }
                _ => None,
            })
            .collect();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0], (159, 34, vec![0, 0, 0, 5, 1, 1, 2, 0, 0, 0, 3, 1, 1, 0]));
        assert_eq!(got[1], (154, 30, vec![0, 0, 0, 5, 1, 0, 2, 0, 0, 0, 3, 1, 1, 0]));
        out.clear();
        encode(Target::Build(154), &Call::PlayerDisconnect(4), &BUILDS, &mut out);
        assert_eq!(out.len(), 1);
    }
}
