use super::*;

#[test]
fn connect_packet_from_the_spec() {
    let hex = "0000009f0100086f6666696369616c010006506c61796572010002656e01000c414141414141414141414141\
               3d01020304050607080000000003fca88c500ffffffff00";
    let _ = hex;
    let p = ConnectPacket {
        version: 159,
        version_type: Some("official".into()),
        name: Some("Player".into()),
        locale: Some("en".into()),
        usid: Some("AAAAAAAAAAA=".into()),
        uuid: ConnectPacket::uuid_from_id([1, 2, 3, 4, 5, 6, 7, 8]),
        mobile: false,
        color: -1,
        mods: vec![],
    };
    let raw = Packet::from(p.clone()).encode(Build::V159).unwrap();
    assert_eq!(raw.id, 3);
    assert_eq!(raw.payload.len(), 66);
    assert_eq!(
        &raw.payload[raw.payload.len() - 22..raw.payload.len() - 6],
        &[1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0x3f, 0xca, 0x88, 0xc5]
    );
    assert_eq!(p.uuid_base64(), "AQIDBAUGBwgAAAAAP8qIxQ==");
    assert!(p.uuid_crc_ok());
    assert_eq!(Packet::decode(Build::V159, Side::Client, &raw).unwrap(), Packet::ConnectPacket(p));
}

#[test]
fn both_direction_packets_carry_the_player_only_from_the_server() {
    let from_server = TileConfigCallPacket { player: Some(7), build: 5, value: Object::Int(1) };
    let raw = Packet::from(from_server.clone()).encode(Build::V159).unwrap();
    assert_eq!(raw.id, 139);
    assert_eq!(Packet::decode(Build::V159, Side::Server, &raw).unwrap(), Packet::TileConfigCallPacket(from_server));
    let from_client = TileConfigCallPacket { player: None, build: 5, value: Object::Int(1) };
    let raw = Packet::from(from_client.clone()).encode(Build::V154).unwrap();
    assert_eq!(raw.id, 123);
    assert_eq!(Packet::decode(Build::V154, Side::Client, &raw).unwrap(), Packet::TileConfigCallPacket(from_client));
}

#[test]
fn packets_absent_from_a_build_are_refused() {
    let p = Packet::from(CopyToClipboardCallPacket { text: Some("x".into()) });
    assert!(p.encode(Build::V154).is_err());
    assert_eq!(p.encode(Build::V159).unwrap().id, 35);
    assert!(matches!(
        Packet::decode(Build::V154, Side::Server, &RawPacket { id: 200, payload: vec![] }),
        Err(PacketError::UnknownId { .. })
    ));
}

#[test]
fn trailing_bytes_are_an_error() {
    let raw = RawPacket { id: 80, payload: vec![0, 0, 0, 1, 9] };
    assert!(Packet::decode(Build::V159, Side::Server, &raw).is_err());
}

mod props {
    use super::*;
    use crate::arb::{ArbField, f32s, plans};
    use proptest::prelude::*;

    fn connect() -> BoxedStrategy<Packet> {
        (
            any::<i32>(),
            <Option<String>>::arb(),
            <Option<String>>::arb(),
            <Option<String>>::arb(),
            <Option<String>>::arb(),
            any::<[u8; 16]>(),
            any::<bool>(),
            any::<i32>(),
            proptest::collection::vec(<Option<String>>::arb(), 0..3),
        )
            .prop_map(|(version, version_type, name, locale, usid, uuid, mobile, color, mods)| {
                Packet::ConnectPacket(ConnectPacket {
                    version,
                    version_type,
                    name,
                    locale,
                    usid,
                    uuid,
                    mobile,
                    color,
                    mods,
                })
            })
            .boxed()
    }

    fn client_snapshot(v159: bool) -> BoxedStrategy<Packet> {
        (
            (any::<i32>(), any::<i32>(), any::<bool>(), f32s(), f32s(), f32s(), f32s(), f32s(), f32s()),
            (f32s(), f32s(), any::<i32>(), any::<[bool; 4]>(), any::<i16>(), any::<i32>(), plans()),
            (f32s(), f32s(), f32s(), f32s()),
        )
            .prop_map(move |(a, b, c)| {
                Packet::ClientSnapshotCallPacket(ClientSnapshotCallPacket {
                    snapshot_id: a.0,
                    unit_id: a.1,
                    dead: a.2,
                    x: a.3,
                    y: a.4,
                    pointer_x: a.5,
                    pointer_y: a.6,
                    rotation: a.7,
                    base_rotation: a.8,
                    x_velocity: b.0,
                    y_velocity: b.1,
                    mining: b.2,
                    boosting: b.3[0],
                    shooting: b.3[1],
                    chatting: b.3[2],
                    building: b.3[3],
                    selected_block: if v159 { b.4 } else { 0 },
                    selected_rotation: if v159 { b.5 } else { 0 },
                    plans: b.6,
                    view_x: c.0,
                    view_y: c.1,
                    view_width: c.2,
                    view_height: c.3,
                })
            })
            .boxed()
    }

    fn any_packet(v159: bool) -> impl Strategy<Value = Packet> {
        let mut all = arb_simple_packets();
        all.push(connect());
        all.push(client_snapshot(v159));
        proptest::strategy::Union::new(all)
    }

    fn round_trip(build: Build, p: &Packet) -> Result<(), TestCaseError> {
        let Ok(raw) = p.encode(build) else {
            // Only packets the build lacks may fail to encode.
            prop_assert!(build.id(p.kind()).is_none());
            return Ok(());
        };
        let back = Packet::decode(build, Side::Server, &raw).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&back, p);
        prop_assert_eq!(back.encode(build).unwrap(), raw);
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn every_packet_round_trips_in_159(p in any_packet(true)) {
            round_trip(Build::V159, &p)?;
        }

        #[test]
        fn every_packet_round_trips_in_154(p in any_packet(false)) {
            round_trip(Build::V154, &p)?;
        }

        #[test]
        fn entity_snapshots_round_trip(recs in proptest::collection::vec(crate::arb::entity_record(true), 0..6),
                                       old in proptest::collection::vec(crate::arb::entity_record(false), 0..6)) {
            for (build, recs) in [(Build::V159, recs), (Build::V154, old)] {
                let snap = EntitySnapshotCallPacket::from_records(&recs, build).unwrap();
                prop_assert_eq!(snap.records(build).unwrap(), recs.clone());
                let raw = Packet::from(snap.clone()).encode(build).unwrap();
                prop_assert_eq!(Packet::decode(build, Side::Server, &raw).unwrap(), Packet::EntitySnapshotCallPacket(snap));
                let chunks = crate::entity::chunk_records(&recs, build, 100).unwrap();
                let joined: Vec<_> = chunks.iter().flat_map(|(n, d)| crate::entity::decode_records(d, *n, build).unwrap()).collect();
                prop_assert_eq!(joined, recs);
            }
        }

        #[test]
        fn arbitrary_payloads_never_panic_and_reencode_stably(id in any::<u8>(), bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            for build in Build::ALL {
                for side in [Side::Client, Side::Server] {
                    let raw = RawPacket { id, payload: bytes.clone() };
                    // Java booleans accept any non-zero byte, so only decode∘encode is the identity here.
                    if let Ok(p) = Packet::decode(build, side, &raw) {
                        let again = p.encode(build).unwrap();
                        prop_assert_eq!(Packet::decode(build, side, &again).unwrap(), p);
                    }
                }
            }
        }
    }
}
