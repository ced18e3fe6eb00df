//! Typed packet decoding for both builds and both senders, entity records inside snapshots, discovery replies.
//! Property: no panic; a decoded packet re-encodes, and encode∘decode is stable on those bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use multidustry_protocol::packets::Packet;
use multidustry_protocol::{Build, RawPacket, ServerInfo, Side, entity};

fuzz_target!(|data: &[u8]| {
    let Some((&id, payload)) = data.split_first() else { return };
    let raw = RawPacket { id, payload: payload.to_vec() };
    for build in Build::ALL {
        for side in [Side::Client, Side::Server] {
            if let Ok(p) = Packet::decode(build, side, &raw) {
                let again = p.encode(build).expect("a decoded packet re-encodes");
                let back = Packet::decode(build, side, &again).expect("re-encoded packet decodes");
                assert_eq!(back.encode(build).expect("re-encodes"), again, "encode∘decode is stable");
                if let Packet::EntitySnapshotCallPacket(s) = &p {
                    let _ = s.records(build);
                }
            }
        }
        // Entity records straight from the fuzz input (amount = first byte).
        if let Ok(recs) = entity::decode_records(payload, i16::from(id), build) {
            let (n, bytes) = entity::encode_records(&recs, build).expect("records re-encode");
            let back = entity::decode_records(&bytes, n, build).expect("re-encoded records decode");
            assert_eq!(entity::encode_records(&back, build).expect("re-encode"), (n, bytes));
        }
        let _ = entity::decode_records_lossy(payload, i16::from(id), build);
    }
    if let Ok(info) = ServerInfo::decode(data) {
        let _ = ServerInfo::decode(&info.encode()).expect("re-encoded info decodes");
    }
});
