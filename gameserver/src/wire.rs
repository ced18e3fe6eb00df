//! Translation between the world's [`Call`]s/[`Input`]s and the internal messages (`multidustrycore::messages`):
//! client packets the proxy forwards as bytes are decoded here for the session's build, and calls are encoded
//! per build into `OutPacket::Raw` (or the build-neutral `Message`/`Chat`).
//!
//! Owns: the packet ids and payload layouts of the calls the world sends and the client packets it reads
//! (ids from `shared/data/protocol/packet_ids_v159.tsv` and `captures/b154/packet-ids-b154.tsv`; layouts from
//! the generated `*CallPacket` classes as listed there and in `snapshots-b*.md`), and the tagged-object subset
//! of [`Value`].
//!
//! Partial: this duplicates a few TypeIO readers (plans, objects) that the protocol crate's `typeio` module
//! also provides; switching to it is a local change here.
//!
//! Invariants: decoders never panic and consume exactly their payload; unknown client packets are ignored
//! (returned as `None`), malformed ones are an error (the caller logs at debug and drops them).

use multidustry_protocol::io::{DecodeError, Reader, Writer};
use multidustrycore::messages::{OutPacket, Reliability, SessionId as Sid, Target as MsgTarget, ToProxy};

use crate::blocks;
use crate::sim::{Call, ClientSnapshot, Input, Plan, SessionId, Target};
use crate::sync::{self, StateSnapshot};
use crate::value::Value;

/// Packet ids of one client build.
#[derive(Debug, Clone, Copy)]
struct Ids {
    entity_snapshot: u8,
    state_snapshot: u8,
    block_snapshot: u8,
    client_snapshot: u8,
    player_spawn: u8,
    player_disconnect: u8,
    unit_despawn: u8,
    begin_place: u8,
    begin_break: u8,
    construct_finish: u8,
    deconstruct_finish: u8,
    remove_queue_block: u8,
    tile_config: u8,
    rotate_block: u8,
    set_position: u8,
    request_block_snapshot: Option<u8>,
}

const IDS_159: Ids = Ids {
    entity_snapshot: 48,
    state_snapshot: 133,
    block_snapshot: 13,
    client_snapshot: 28,
    player_spawn: 81,
    player_disconnect: 80,
    unit_despawn: 152,
    begin_place: 12,
    begin_break: 11,
    construct_finish: 34,
    deconstruct_finish: 41,
    remove_queue_block: 83,
    tile_config: 139,
    rotate_block: 95,
    set_position: 117,
    request_block_snapshot: Some(87),
};

const IDS_154: Ids = Ids {
    entity_snapshot: 43,
    state_snapshot: 117,
    block_snapshot: 11,
    client_snapshot: 24,
    player_spawn: 68,
    player_disconnect: 67,
    unit_despawn: 136,
    begin_place: 10,
    begin_break: 9,
    construct_finish: 30,
    deconstruct_finish: 36,
    remove_queue_block: 70,
    tile_config: 123,
    rotate_block: 79,
    set_position: 101,
    request_block_snapshot: None,
};

fn ids(build: u32) -> &'static Ids {
    if build >= 159 { &IDS_159 } else { &IDS_154 }
}

/// The client builds the world encodes for.
pub const BUILDS: [u32; 2] = [159, 154];

/// Decodes a forwarded client packet of `build` into a world input. `Ok(None)`: a packet the world ignores.
pub fn decode_client(session: SessionId, build: u32, id: u8, payload: &[u8]) -> Result<Option<Input>, DecodeError> {
    let ids = ids(build);
    let mut r = Reader::new(payload);
    let input = if id == ids.client_snapshot {
        let snapshot = client_snapshot(&mut r, build)?;
        Input::ClientSnapshot { session, snapshot }
    } else if id == ids.tile_config {
        let pos = r.i32()?;
        let value = object(&mut r)?;
        Input::TileConfig { session, pos, value }
    } else if id == ids.rotate_block {
        let pos = r.i32()?;
        let direction = r.bool()?;
        Input::RotateBlock { session, pos, direction }
    } else if Some(id) == ids.request_block_snapshot {
        Input::RequestBlockSnapshot { session, pos: r.i32()? }
    } else {
        return Ok(None);
    };
    r.finish()?;
    Ok(Some(input))
}

fn client_snapshot(r: &mut Reader<'_>, build: u32) -> Result<ClientSnapshot, DecodeError> {
    let snapshot_id = r.i32()?;
    let unit_id = r.i32()?;
    let dead = r.bool()?;
    let (x, y) = (r.f32()?, r.f32()?);
    let (pointer_x, pointer_y) = (r.f32()?, r.f32()?);
    let rotation = r.f32()?;
    let _base_rotation = r.f32()?;
    let (vel_x, vel_y) = (r.f32()?, r.f32()?);
    let _mining = r.i32()?;
    let boosting = r.bool()?;
    let shooting = r.bool()?;
    let chatting = r.bool()?;
    let building = r.bool()?;
    let (selected_block, selected_rotation) = if build >= 159 {
        let b = r.i16()?;
        let b = if b < 0 { b } else { blocks::from_build(b as u16, build) as i16 };
        (b, r.i32()?)
    } else {
        (-1, 0)
    };
    let n = r.i32()?;
    let plans = if n < 0 {
        None
    } else {
        let limit = if build >= 159 { crate::sim::MAX_PLANS } else { 1000 };
        let n = n as usize;
        if n > limit {
            return Err(DecodeError::TooLarge { what: "plans", value: n, limit });
        }
        let mut plans = Vec::with_capacity(n.min(crate::sim::MAX_PLANS));
        for _ in 0..n {
            plans.push(plan(r, build)?);
        }
        Some(plans)
    };
    for _ in 0..4 {
        r.f32()?; // view rectangle
    }
    Ok(ClientSnapshot {
        snapshot_id,
        unit_id,
        dead,
        x,
        y,
        pointer_x,
        pointer_y,
        rotation,
        vel_x,
        vel_y,
        boosting,
        shooting,
        chatting,
        building,
        selected_block,
        selected_rotation,
        plans,
    })
}

fn plan(r: &mut Reader<'_>, build: u32) -> Result<Plan, DecodeError> {
    let breaking = r.u8()? == 1;
    let pos = r.i32()?;
    let (x, y) = crate::grid::unpack(pos);
    if breaking {
        return Ok(Plan { x, y, breaking, block: 0, rotation: 0, config: Value::Null });
    }
    let block = r.i16()?;
    let rotation = r.u8()?;
    let has_config = r.u8()?;
    let config = if has_config != 0 { object(r)? } else { Value::Null };
    let block = if block < 0 { u16::MAX } else { blocks::from_build(block as u16, build) };
    Ok(Plan { x, y, breaking, block, rotation, config })
}

fn typeio_str(r: &mut Reader<'_>) -> Result<Option<String>, DecodeError> {
    if r.u8()? == 0 { Ok(None) } else { r.jutf().map(Some) }
}

/// `TypeIO.readObject` (safe mode): the tags this world interprets become [`Value`]s, every other valid tag is
/// kept as raw bytes.
pub fn object(r: &mut Reader<'_>) -> Result<Value, DecodeError> {
    let start = *r;
    let tag = r.u8()?;
    let v = match tag {
        0 => Value::Null,
        1 => Value::Int(r.i32()?),
        2 => Value::Long(r.i64()?),
        3 => Value::Float(r.f32()?),
        4 => {
            let s = typeio_str(r)?;
            if s.as_ref().is_some_and(|s| s.len() > 1200) {
                return Err(DecodeError::TooLarge { what: "config string", value: 1201, limit: 1200 });
            }
            Value::Str(s)
        }
        5 => Value::Content(r.u8()?, r.i16()?),
        7 => Value::Point(r.i32()?, r.i32()?),
        10 => Value::Bool(r.bool()?),
        12 => Value::Building(r.i32()?),
        _ => {
            skip_object_body(r, tag)?;
            let used = start.remaining() - r.remaining();
            let mut raw = start;
            return Ok(Value::Other(raw.bytes(used)?.to_vec()));
        }
    };
    Ok(v)
}

fn counted(r: &mut Reader<'_>, n: usize, each: usize) -> Result<(), DecodeError> {
    if n > 1000 {
        return Err(DecodeError::TooLarge { what: "object array", value: n, limit: 1000 });
    }
    r.skip(n * each)
}

fn skip_object_body(r: &mut Reader<'_>, tag: u8) -> Result<(), DecodeError> {
    match tag {
        6 | 21 => {
            let n = r.i16()?;
            counted(r, n.max(0) as usize, 4)
        }
        8 => {
            let n = r.u8()?;
            counted(r, n as usize, 4)
        }
        9 => r.skip(3),
        11 => r.skip(8),
        13 => r.skip(2),
        14 => {
            let n = r.i32()?;
            if !(0..=40_000).contains(&n) {
                return Err(DecodeError::TooLarge { what: "byte[]", value: n.max(0) as usize, limit: 40_000 });
            }
            r.skip(n as usize)
        }
        15 => r.skip(1),
        16 => {
            let n = r.i32()?;
            counted(r, n.max(0) as usize, 1)
        }
        17 => r.skip(4),
        18 => {
            let n = r.i16()?;
            counted(r, n.max(0) as usize, 8)
        }
        19 => r.skip(8),
        20 => r.skip(1),
        22 => {
            let n = r.i32()?;
            if !(0..=1000).contains(&n) {
                return Err(DecodeError::TooLarge { what: "object[]", value: n.max(0) as usize, limit: 1000 });
            }
            for _ in 0..n {
                let t = r.u8()?;
                if t == 22 {
                    return Err(DecodeError::Other("nested object array"));
                }
                let v = match t {
                    0 => Ok(()),
                    1 | 3 | 12 | 17 => r.skip(4),
                    2 | 11 | 19 | 7 => r.skip(8),
                    4 => typeio_str(r).map(|_| ()),
                    5 | 9 => r.skip(3),
                    10 | 15 | 20 => r.skip(1),
                    13 | 23 => r.skip(2),
                    other => skip_object_body(r, other),
                };
                v?;
            }
            Ok(())
        }
        23 => r.skip(2),
        _ => Err(DecodeError::Invalid { what: "object tag", value: i64::from(tag) }),
    }
}

fn sid(s: SessionId) -> Sid {
    Sid(s)
}

fn raw(to: MsgTarget, build: u32, id: u8, w: Writer, reliability: Reliability) -> ToProxy {
    ToProxy::Packet { to, packet: OutPacket::Raw { build, id, payload: w.into_inner() }, reliability }
}

fn state_payload(s: &StateSnapshot) -> Writer {
    let mut w = Writer::with_capacity(48 + s.core_data.len());
    w.f32(s.wave_time).i32(s.wave).i32(s.enemies).bool(s.paused).bool(s.game_over).i32(s.time_data);
    w.u8(s.tps).i64(s.rand0).i64(s.rand1);
    w.i16(s.core_data.len() as i16).bytes(&s.core_data);
    w
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
                if let Some((id, w, reliability)) = encode_for(call, build) {
                    out.push(raw(to, build, id, w, reliability));
                }
            }
        }
    }
}

fn block_id(block: u16, build: u32) -> i16 {
    blocks::to_build(block, build) as i16
}

/// Encodes a build-specific call: (packet id, payload, reliability).
fn encode_for(call: &Call, build: u32) -> Option<(u8, Writer, Reliability)> {
    let ids = ids(build);
    let mut w = Writer::new();
    let (id, rel) = match call {
        Call::EntitySnapshot { amount, data } => {
            w.i16(*amount).i16(data.len() as i16).bytes(data);
            (ids.entity_snapshot, Reliability::Unreliable)
        }
        Call::BlockSnapshot { amount, data } => {
            w.i16(*amount).i16(data.len() as i16).bytes(data);
            (ids.block_snapshot, Reliability::Unreliable)
        }
        Call::StateSnapshot(s) => return Some((ids.state_snapshot, state_payload(s), Reliability::Unreliable)),
        Call::PlayerSpawn { core, player } => {
            w.i32(*core).i32(*player);
            (ids.player_spawn, Reliability::Reliable)
        }
        Call::PlayerDisconnect(id) => {
            w.i32(*id);
            (ids.player_disconnect, Reliability::Reliable)
        }
        Call::UnitDespawn(unit) => {
            w.u8(2).i32(*unit);
            (ids.unit_despawn, Reliability::Reliable)
        }
        Call::BeginPlace { unit, block, team, x, y, rotation, config } => {
            w.u8(2).i32(*unit).i16(block_id(*block, build)).u8(*team).i32(*x).i32(*y).i32(i32::from(*rotation));
            sync::write_value(&mut w, config);
            (ids.begin_place, Reliability::Reliable)
        }
        Call::BeginBreak { unit, team, x, y } => {
            w.u8(2).i32(*unit).u8(*team).i32(*x).i32(*y);
            (ids.begin_break, Reliability::Reliable)
        }
        Call::ConstructFinish { pos, block, unit, rotation, team, config } => {
            w.i32(*pos).i16(block_id(*block, build)).u8(2).i32(*unit).u8(*rotation).u8(*team);
            sync::write_value(&mut w, config);
            (ids.construct_finish, Reliability::Reliable)
        }
        Call::DeconstructFinish { pos, block, unit } => {
            w.i32(*pos).i16(block_id(*block, build)).u8(2).i32(*unit);
            (ids.deconstruct_finish, Reliability::Reliable)
        }
        Call::RemoveQueueBlock { x, y, breaking } => {
            w.i32(*x).i32(*y).bool(*breaking);
            (ids.remove_queue_block, Reliability::Reliable)
        }
        Call::TileConfig { player, pos, value } => {
            w.i32(player.unwrap_or(-1)).i32(*pos);
            sync::write_value(&mut w, value);
            (ids.tile_config, Reliability::Reliable)
        }
        Call::RotateBlock { player, pos, direction } => {
            w.i32(player.unwrap_or(-1)).i32(*pos).bool(*direction);
            (ids.rotate_block, Reliability::Reliable)
        }
        Call::SetPosition { x, y } => {
            w.f32(*x).f32(*y);
            (ids.set_position, Reliability::Reliable)
        }
        Call::WorldStream { .. } | Call::SendMessage(_) | Call::SendChat { .. } => return None,
    };
    Some((id, w, rel))
}

#[cfg(test)]
mod tests {
    use super::*;

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
            let id = ids(build).client_snapshot;
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
    fn objects_round_trip_and_unknown_tags_stay_raw() {
        for v in [
            Value::Null,
            Value::Int(-3),
            Value::Str(Some("héllo".into())),
            Value::Content(0, 4),
            Value::Point(1, -2),
            Value::Bool(true),
            Value::Building(77),
        ] {
            let mut w = Writer::new();
            sync::write_value(&mut w, &v);
            let bytes = w.into_inner();
            let mut r = Reader::new(&bytes);
            assert_eq!(object(&mut r).expect("reads"), v);
            assert!(r.is_empty());
        }
        let int_seq = [6u8, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2];
        let mut r = Reader::new(&int_seq);
        assert_eq!(object(&mut r).expect("reads"), Value::Other(int_seq.to_vec()));
        let bad = [99u8];
        assert!(object(&mut Reader::new(&bad)).is_err());
        let huge = [14u8, 0x7f, 0xff, 0xff, 0xff];
        assert!(object(&mut Reader::new(&huge)).is_err());
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
