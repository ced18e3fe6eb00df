//! The per-build packet id tables match the shared table for 159 and every `packet-ids-*.tsv` recorded from
//! a running Java build under `captures/` (Velocity's registry test).

use multidustry_protocol::{Build, Direction, PacketKind, Priority, Transport};

fn rows(text: &str) -> Vec<(u8, String)> {
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            let class = cols[1].rsplit(['.', '$']).next().unwrap().to_string();
            (cols[0].parse().unwrap(), class)
        })
        .collect()
}

fn check(build: Build, rows: &[(u8, String)], what: &str) {
    assert_eq!(rows.len(), build.packet_count(), "{what}: id count");
    for (id, class) in rows {
        let kind = build.kind(*id).unwrap_or_else(|| panic!("{what}: id {id} missing"));
        assert_eq!(kind.name(), class, "{what}: id {id}");
        assert_eq!(build.id(kind), Some(*id));
        assert_eq!(PacketKind::from_name(class), Some(kind));
    }
    assert_eq!(build.kind(rows.len() as u8), None);
}

#[test]
fn tables_match_the_shared_and_captured_id_lists() {
    let Some(dir) = multidustry_testdata::dir() else { return };
    let shared = std::fs::read_to_string(dir.join("protocol/packet_ids_v159.tsv")).unwrap();
    check(Build::V159, &rows(&shared), "packet_ids_v159.tsv");
    let mut checked = 0;
    for sub in ["b159", "b154"] {
        for e in std::fs::read_dir(dir.join("captures").join(sub)).unwrap() {
            let path = e.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            if !(name.starts_with("packet-ids-") && name.ends_with(".tsv")) {
                continue;
            }
            let build = match name.trim_start_matches("packet-ids-b").trim_end_matches(".tsv") {
                "159" => Build::V159,
                "154" => Build::V154,
                other => panic!("capture of an unsupported build {other}"),
            };
            check(build, &rows(&std::fs::read_to_string(&path).unwrap()), &name);
            checked += 1;
        }
    }
    assert_eq!(checked, 2);
}

#[test]
fn metadata_of_well_known_packets() {
    let k = PacketKind::EntitySnapshotCallPacket;
    assert_eq!(
        (k.direction(), k.transport(), k.priority()),
        (Direction::ServerToClient, Transport::Udp, Priority::Low)
    );
    let k = PacketKind::TileConfigCallPacket;
    assert_eq!(k.direction(), Direction::Both);
    assert_eq!(PacketKind::ConnectPacket.priority(), Priority::High);
    // ERRATA B: the 154 ids of the snapshot and build packets.
    let ids154 = [
        (PacketKind::EntitySnapshotCallPacket, 43),
        (PacketKind::StateSnapshotCallPacket, 117),
        (PacketKind::BlockSnapshotCallPacket, 11),
        (PacketKind::ClientSnapshotCallPacket, 24),
        (PacketKind::UnitSpawnCallPacket, 140),
        (PacketKind::PlayerSpawnCallPacket, 68),
        (PacketKind::TileConfigCallPacket, 123),
        (PacketKind::KickCallPacket2, 54),
    ];
    for (k, id) in ids154 {
        assert_eq!(Build::V154.id(k), Some(id), "{k}");
    }
    assert_eq!(Build::V154.id(PacketKind::AssetStream), None);
    assert_eq!(Build::V159.id(PacketKind::WorldDataBeginCallPacket), Some(164));
}
