//! Throughput of the hot packets: entity snapshots (decode = packet payload → typed packet → entity records;
//! encode = records → packet payload) and client snapshots, per build. Run:
//! `cargo bench -p multidustry-protocol --bench snapshots`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use multidustry_protocol::entity::{EntityData, EntityRecord, PlayerSync, UnitSync};
use multidustry_protocol::packets::{ClientSnapshotCallPacket, EntitySnapshotCallPacket, Packet};
use multidustry_protocol::typeio::{BuildPlan, Controller, ItemStack, Mount, Object};
use multidustry_protocol::{Build, RawPacket, Side, UnitRef, pack_pos};

/// A player and its alpha, as the captures show them (~45 + ~110 bytes).
fn pair(i: i32) -> [EntityRecord; 2] {
    let player = EntityRecord {
        id: 200 + 2 * i,
        data: EntityData::Player(PlayerSync {
            admin: false,
            boosting: false,
            color: 0xffd3_7fffu32 as i32,
            mouse_x: 931.5,
            mouse_y: 580.25,
            name: Some(format!("player{i}")),
            selected_block: -1,
            selected_rotation: 0,
            shooting: i % 3 == 0,
            team: 1,
            typing: false,
            unit: UnitRef::Unit(201 + 2 * i),
            x: 928.0 + i as f32,
            y: 584.0,
        }),
    };
    let unit = EntityRecord {
        id: 201 + 2 * i,
        data: EntityData::Unit(UnitSync {
            class_id: 0,
            abilities: vec![],
            ammo: 0.0,
            aim_x: 931.5,
            aim_y: 580.25,
            base_rotation: 0.0,
            building: 0,
            controller: Controller::Player(200 + 2 * i),
            elevation: 1.0,
            flag: 0.0,
            health: 350.0,
            is_shooting: false,
            lifetime: 0.0,
            mine_tile: -1,
            mounts: vec![Mount { flags: 2, aim_x: 931.5, aim_y: 580.25 }; 2],
            plans: Some(vec![]),
            rotation: 90.0,
            shield: 0.0,
            spawned_by_core: true,
            stack: ItemStack { item: -1, amount: 0 },
            statuses: vec![],
            team: 1,
            time: 0.0,
            type_id: 35,
            update_building: true,
            vel: (0.1, -0.2),
            x: 928.0 + i as f32,
            y: 584.0,
        }),
    };
    [player, unit]
}

fn client_snapshot() -> ClientSnapshotCallPacket {
    ClientSnapshotCallPacket {
        snapshot_id: 14,
        unit_id: 227,
        x: 928.0,
        y: 584.0,
        rotation: 280.5,
        building: true,
        mining: -1,
        selected_block: -1,
        plans: Some(
            (0..5)
                .map(|i| BuildPlan::Place {
                    pos: pack_pos(113 + i, 70),
                    block: 215,
                    rotation: 0,
                    has_config: 1,
                    config: Object::Null,
                })
                .collect(),
        ),
        view_width: 640.0,
        view_height: 360.0,
        ..ClientSnapshotCallPacket::default()
    }
}

fn bench(c: &mut Criterion) {
    for build in [Build::V159, Build::V154] {
        // Five pairs ≈ one Java-sized (~800 byte) snapshot packet.
        let records: Vec<EntityRecord> = (0..5).flat_map(pair).collect();
        let snap = EntitySnapshotCallPacket::from_records(&records, build).unwrap();
        let raw = Packet::from(snap).encode(build).unwrap();
        let mut g = c.benchmark_group(format!("entity_snapshot_b{}", build.number()));
        g.throughput(Throughput::Bytes(raw.payload.len() as u64));
        g.bench_function("decode_with_records", |b| {
            b.iter(|| {
                let p = Packet::decode(build, Side::Server, black_box(&raw)).unwrap();
                let Packet::EntitySnapshotCallPacket(s) = p else { unreachable!() };
                black_box(s.records(build).unwrap())
            })
        });
        g.bench_function("encode_from_records", |b| {
            b.iter(|| {
                let s = EntitySnapshotCallPacket::from_records(black_box(&records), build).unwrap();
                black_box(Packet::from(s).encode(build).unwrap())
            })
        });
        g.finish();

        let cs = Packet::from(client_snapshot());
        let raw: RawPacket = cs.encode(build).unwrap();
        let mut g = c.benchmark_group(format!("client_snapshot_b{}", build.number()));
        g.throughput(Throughput::Bytes(raw.payload.len() as u64));
        g.bench_function("decode", |b| {
            b.iter(|| black_box(Packet::decode(build, Side::Client, black_box(&raw)).unwrap()))
        });
        g.bench_function("encode", |b| b.iter(|| black_box(black_box(&cs).encode(build).unwrap())));
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
