//! Golden tests: every frame of the real Java captures (`shared/data/captures/b159`, `b154`) decodes,
//! re-encodes to the same bytes (LZ4 frames: the same payload and a valid frame; byte-identical compression
//! is counted and reported), and every typed packet decodes field by field, entity records included.

use std::collections::HashMap;

use multidustry_protocol::entity::EntityData;
use multidustry_protocol::framing::{self, Body, Compression, FrameDecoder, FrameworkMessage, RawPacket};
use multidustry_protocol::packets::{KickReason, Packet};
use multidustry_protocol::stream::StreamAssembler;
use multidustry_protocol::typeio::{BuildPlan, Object, UnitRef};
use multidustry_protocol::{Build, PacketKind, ServerInfo, Side};
use serde_json::{Value, json};

fn hex(s: &str) -> Vec<u8> {
    assert!(s.len().is_multiple_of(2), "odd hex");
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex")).collect()
}

fn jsonl(rel: &str) -> Option<Vec<Value>> {
    let text = multidustry_testdata::read(rel)?;
    let text = String::from_utf8(text).expect("utf8");
    Some(text.lines().filter(|l| !l.trim().is_empty()).map(|l| serde_json::from_str(l).expect("json")).collect())
}

fn side(dir: &str) -> Side {
    if dir == "c2s" { Side::Client } else { Side::Server }
}

#[derive(Default, Debug)]
struct Tally {
    frames: usize,
    compressed: usize,
    lz4_identical: usize,
    typed: HashMap<PacketKind, usize>,
    entity_records: usize,
    players: usize,
    units: usize,
}

/// Checks one packet body: decode, typed decode + exact payload re-encode, frame re-encode.
fn check_packet_body(build: Build, dir: &str, body: &[u8], t: &mut Tally) -> Packet {
    let Body::Packet(raw) = framing::decode_body(body).expect("body decodes") else { panic!("not a packet") };
    let header = framing::split_packet(body).unwrap();
    // Re-encode as Java would: same compression decision; uncompressed bodies are byte-identical.
    let again = Body::Packet(raw.clone()).encode(Compression::Java).unwrap();
    assert_eq!(again[..4], body[..4], "packet header (id, length, compression flag)");
    if header.compressed {
        t.compressed += 1;
        if again == body {
            t.lz4_identical += 1;
        }
        assert_eq!(framing::decode_body(&again).unwrap(), Body::Packet(raw.clone()));
    } else {
        assert_eq!(again, body);
    }
    let p = Packet::decode(build, side(dir), &raw).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        !matches!(p, Packet::Other { .. }) || matches!(p.kind(), PacketKind::WorldStream),
        "{:?} untyped",
        p.kind()
    );
    assert_eq!(p.encode(build).unwrap(), raw, "{} re-encodes to the same payload", p.kind());
    *t.typed.entry(p.kind()).or_default() += 1;
    match &p {
        Packet::EntitySnapshotCallPacket(s) => {
            let recs = s.records(build).unwrap_or_else(|e| panic!("entity records: {e}"));
            assert_eq!(recs.len(), s.amount as usize);
            for r in &recs {
                t.entity_records += 1;
                match &r.data {
                    EntityData::Player(pl) => {
                        t.players += 1;
                        assert!(
                            pl.name
                                .as_deref()
                                .is_some_and(|n| n.starts_with("mindref") || n == "dupe" || n.starts_with("uuid-")),
                            "{:?}",
                            pl.name
                        );
                        assert!(matches!(pl.unit, UnitRef::Null(0) | UnitRef::Unit(_)));
                    }
                    EntityData::Unit(u) => {
                        t.units += 1;
                        assert_eq!(u.class_id, 0, "alpha");
                        assert_eq!(u.type_id, 35, "alpha's unit type id");
                        assert!(u.health > 0.0);
                        assert_eq!(u.mounts.len(), 2);
                    }
                    other => panic!("unexpected entity {other:?}"),
                }
            }
            let back = multidustry_protocol::packets::EntitySnapshotCallPacket::from_records(&recs, build).unwrap();
            assert_eq!(&back, s, "entity records re-encode to the same bytes");
        }
        Packet::StateSnapshotCallPacket(s) => {
            let cores = s.cores().unwrap();
            assert!(cores.iter().any(|c| c.team == 1), "sharded has a core");
        }
        Packet::ClientPlanSnapshotReceivedCallPacket(c) => {
            // ClientBuildPlans with count 0 (= null): the harness plans nothing.
            assert_eq!(c.plans.0, [0, 0]);
            assert_eq!(c.decode_plans(|_| false).unwrap(), vec![]);
        }
        _ => {}
    }
    p
}

fn framework(name: &str, fields: &[u8]) -> FrameworkMessage {
    let id = |b: &[u8]| i32::from_be_bytes(b.try_into().expect("4 bytes"));
    match name {
        "DiscoverHost" => FrameworkMessage::DiscoverHost,
        "KeepAlive" => FrameworkMessage::KeepAlive,
        "RegisterTCP" => FrameworkMessage::RegisterTcp { connection_id: id(fields) },
        "RegisterUDP" => FrameworkMessage::RegisterUdp { connection_id: id(fields) },
        n => panic!("framework {n}"),
    }
}

#[test]
fn b159_frames_decode_and_reencode() {
    for file in ["captures/b159/join-capture-b159.frames.jsonl", "captures/b159/join-two-clients-b159.frames.jsonl"] {
        let Some(lines) = jsonl(file) else { return };
        let mut t = Tally::default();
        let mut streams = StreamAssembler::default();
        let mut world = None;
        for o in &lines {
            let dir = o["dir"].as_str().unwrap();
            let fields = hex(o["body_hex"].as_str().unwrap());
            let body: Vec<u8> = match o["kind"].as_str().unwrap() {
                "framework" => {
                    let m = framework(o["name"].as_str().unwrap(), &fields);
                    let b = Body::Framework(m).encode(Compression::Java).unwrap();
                    assert_eq!(&b[2..], &fields[..]);
                    assert_eq!(framing::decode_body(&b).unwrap(), Body::Framework(m));
                    b
                }
                "discovery_reply" => {
                    let info = ServerInfo::decode(&fields).unwrap();
                    assert_eq!((info.name.as_str(), info.map.as_str(), info.version), ("Server", "Fortress", 159));
                    assert_eq!((info.player_limit, info.port, info.version_type.as_str()), (30, 6661, "official"));
                    assert_eq!(info.encode(), fields);
                    continue;
                }
                "packet" => {
                    let id = o["id"].as_u64().unwrap() as u8;
                    let len = o["length"].as_u64().unwrap() as u16;
                    let lz4 = o["lz4"].as_bool().unwrap();
                    let payload = if lz4 { hex(o["wire_body_hex"].as_str().unwrap()) } else { fields.clone() };
                    let mut b = vec![id];
                    b.extend_from_slice(&len.to_be_bytes());
                    b.push(u8::from(lz4));
                    b.extend_from_slice(&payload);
                    let p = check_packet_body(Build::V159, dir, &b, &mut t);
                    assert_eq!(p.kind().name(), o["name"].as_str().unwrap());
                    assert_eq!(
                        Packet::decode(Build::V159, side(dir), &RawPacket { id, payload: fields.clone() }).unwrap(),
                        p
                    );
                    match &p {
                        Packet::StreamBegin(b) => assert_eq!(streams.begin(b).unwrap(), None),
                        Packet::StreamChunk(c) => {
                            if let Some(done) = streams.chunk(c).unwrap() {
                                world = Some(done);
                            }
                        }
                        Packet::ConnectPacket(c) => {
                            assert_eq!(c.version, 159);
                            assert_eq!(c.version_type.as_deref(), Some("official"));
                            assert!(c.name.as_deref().is_some_and(|n| n.starts_with("mindref")));
                            assert!(c.uuid_crc_ok());
                        }
                        Packet::PlayerSpawnCallPacket(s) => assert!(s.player > 0 && s.tile > 0),
                        _ => {}
                    }
                    b
                }
                k => panic!("kind {k}"),
            };
            if let Some(n) = o.get("tcp_frame_len").and_then(Value::as_u64) {
                assert_eq!(n as usize, body.len(), "tcp_frame_len is the body length");
                assert_eq!(framing::encode_tcp_frame(&body).unwrap().len(), body.len() + 2);
            }
            t.frames += 1;
        }
        if file.contains("join-capture") {
            let expected = multidustry_testdata::read("captures/b159/world-stream-fortress-b159.bin").unwrap();
            assert_eq!(world.expect("world stream completes").data, expected);
        }
        println!("{file}: {t:?}");
        assert!(t.entity_records > 0 && t.players > 0 && t.units > 0);
    }
}

/// The raw TCP `recv()` chunks, fed to the streaming decoder, give exactly the frames of the frames file.
#[test]
fn b159_raw_tcp_chunks_split_into_the_same_frames() {
    let Some(raw) = jsonl("captures/b159/join-capture-b159.jsonl") else { return };
    let frames = jsonl("captures/b159/join-capture-b159.frames.jsonl").unwrap();
    let mut decoders: HashMap<(u64, String), FrameDecoder> = HashMap::new();
    let mut got: HashMap<(u64, String), Vec<Body>> = HashMap::new();
    for o in raw.iter().filter(|o| o["transport"] == "tcp") {
        let key = (o["conn"].as_u64().unwrap(), o["dir"].as_str().unwrap().to_string());
        let d = decoders.entry(key.clone()).or_default();
        // Feed in small pieces too, to exercise partial frames.
        for piece in hex(o["hex"].as_str().unwrap()).chunks(7) {
            d.extend(piece);
            while let Some(b) = d.next_body().unwrap() {
                got.entry(key.clone()).or_default().push(b);
            }
        }
    }
    for d in decoders.values() {
        assert_eq!(d.buffered(), 0);
    }
    let mut expected: HashMap<(u64, String), usize> = HashMap::new();
    for o in frames.iter().filter(|o| o["transport"] == "tcp") {
        *expected.entry((o["conn"].as_u64().unwrap(), o["dir"].as_str().unwrap().to_string())).or_default() += 1;
    }
    let counts: HashMap<_, _> = got.iter().map(|(k, v)| (k.clone(), v.len())).collect();
    assert_eq!(counts, expected);
}

/// JSON equality where floats compare as the f32 they came from (the Python reader prints doubles with
/// its own shortest representation).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) if x.is_f64() || y.is_f64() => {
            x.as_f64().map(|v| v as f32) == y.as_f64().map(|v| v as f32)
        }
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b)),
        (Value::Object(x), Value::Object(y)) => x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w))),
        _ => a == b,
    }
}

fn tile_json(pos: i32) -> Value {
    let (x, y) = multidustry_protocol::unpack_pos(pos);
    json!({"pos": pos, "x": x, "y": y})
}

fn unit_json(u: UnitRef) -> Value {
    match u {
        UnitRef::Unit(id) => json!({"kind": "unit", "id_or_pos": id}),
        UnitRef::Block(pos) => json!({"kind": "block", "id_or_pos": pos}),
        other => json!(format!("{other:?}")),
    }
}

fn object_json(o: &Object) -> Value {
    match o {
        Object::Null => Value::Null,
        other => json!(format!("{other:?}")),
    }
}

fn plans_json(p: &Option<Vec<BuildPlan>>) -> Value {
    match p {
        None => Value::Null,
        Some(v) => Value::Array(
            v.iter()
                .map(|p| match p {
                    BuildPlan::Break { pos } => {
                        let (x, y) = multidustry_protocol::unpack_pos(*pos);
                        json!({"breaking": true, "x": x, "y": y})
                    }
                    BuildPlan::Place { pos, block, rotation, has_config, config } => {
                        let (x, y) = multidustry_protocol::unpack_pos(*pos);
                        json!({"breaking": false, "x": x, "y": y, "block_id": block, "rotation": rotation,
                               "has_config": has_config, "config": object_json(config)})
                    }
                })
                .collect(),
        ),
    }
}

/// Our decode of a packet, in the field names of the independent Python reader's `fields` objects.
fn fields_json(p: &Packet) -> Option<Value> {
    Some(match p {
        Packet::ConnectPacket(c) => json!({
            "version": c.version, "versionType": c.version_type, "name": c.name, "locale": c.locale, "usid": c.usid,
            "uuid_bytes_hex": c.uuid[..8].iter().map(|b| format!("{b:02x}")).collect::<String>(),
            "uuid_crc32": u64::from_be_bytes(c.uuid[8..].try_into().unwrap()),
            "uuid_crc32_matches": c.uuid_crc_ok(), "mobile": c.mobile,
            "color_rgba": format!("{:08x}", c.color as u32), "mods": c.mods,
        }),
        Packet::ConnectConfirmCallPacket(_) => json!({}),
        Packet::PingCallPacket(x) => json!({"time": x.time}),
        Packet::PingResponseCallPacket(x) => json!({"time": x.time}),
        Packet::ClientSnapshotCallPacket(s) => json!({
            "snapshotID": s.snapshot_id, "unitID": s.unit_id, "dead": s.dead, "x": s.x, "y": s.y,
            "pointerX": s.pointer_x, "pointerY": s.pointer_y, "rotation": s.rotation, "baseRotation": s.base_rotation,
            "xVelocity": s.x_velocity, "yVelocity": s.y_velocity,
            "mining": if s.mining == -1 { Value::Null } else { tile_json(s.mining) },
            "boosting": s.boosting, "shooting": s.shooting, "chatting": s.chatting, "building": s.building,
            "plans": plans_json(&s.plans), "viewX": s.view_x, "viewY": s.view_y, "viewWidth": s.view_width,
            "viewHeight": s.view_height,
        }),
        Packet::SendMessageCallPacket(m) => json!({"message": m.message}),
        Packet::SendMessageCallPacket2(m) => {
            json!({"message": m.message, "unformatted": m.unformatted, "playersender_id": m.playersender})
        }
        Packet::SendChatMessageCallPacket(m) => json!({"message": m.message}),
        Packet::StateSnapshotCallPacket(s) => json!({
            "waveTime": s.wave_time, "wave": s.wave, "enemies": s.enemies, "paused": s.paused, "gameOver": s.game_over,
            "timeData": s.time_data, "tps": s.tps, "rand0": s.rand0, "rand1": s.rand1,
            "coreData_hex": s.core_data.iter().map(|b| format!("{b:02x}")).collect::<String>(),
        }),
        Packet::EntitySnapshotCallPacket(s) => json!({"amount": s.amount, "data_len": s.data.len(),
            "data_hex": s.data.iter().map(|b| format!("{b:02x}")).collect::<String>()}),
        Packet::BlockSnapshotCallPacket(s) => json!({"amount": s.amount, "data_len": s.data.len(),
            "data_hex": s.data.iter().map(|b| format!("{b:02x}")).collect::<String>()}),
        Packet::PlayerSpawnCallPacket(s) => json!({"tile": tile_json(s.tile), "player_id": s.player}),
        Packet::BeginPlaceCallPacket(b) => json!({"unit": unit_json(b.unit), "block_id": b.result, "team": b.team,
            "x": b.x, "y": b.y, "rotation": b.rotation, "placeConfig": object_json(&b.place_config)}),
        Packet::ConstructFinishCallPacket(c) => json!({"tile": tile_json(c.tile), "block_id": c.block,
            "builder": unit_json(c.builder), "rotation": c.rotation, "team": c.team, "config": object_json(&c.config)}),
        Packet::BeginBreakCallPacket(b) => json!({"unit": unit_json(b.unit), "team": b.team, "x": b.x, "y": b.y}),
        Packet::DeconstructFinishCallPacket(d) => {
            json!({"tile": tile_json(d.tile), "block_id": d.block, "builder": unit_json(d.builder)})
        }
        Packet::KickCallPacket2(k) => json!({"reason_ordinal": k.reason.ordinal(), "reason": k.reason.name()}),
        Packet::KickCallPacket(k) => json!({"reason": k.reason}),
        Packet::PlayerDisconnectCallPacket(d) => json!({"playerid": d.playerid}),
        Packet::UnitDespawnCallPacket(u) => json!({"unit": unit_json(u.unit)}),
        _ => return None,
    })
}

#[test]
fn b154_frames_decode_reencode_and_match_the_independent_reader() {
    let Some(dir) = multidustry_testdata::dir() else { return };
    let mut names: Vec<_> = std::fs::read_dir(dir.join("captures/b154/streams"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".frames.jsonl"))
        .collect();
    names.sort();
    assert_eq!(names.len(), 12);
    let mut total = Tally::default();
    let mut compared = 0usize;
    let (mut worlds, mut matched_worlds) = (0usize, 0usize);
    for name in &names {
        let frames = jsonl(&format!("captures/b154/streams/{name}")).unwrap();
        let packets = jsonl(&format!("captures/b154/streams/{}", name.replace(".frames.", ".packets."))).unwrap();
        let by_seq: HashMap<u64, &Value> = packets.iter().filter_map(|p| p["seq"].as_u64().map(|s| (s, p))).collect();
        let mut decoders: HashMap<(u64, String), FrameDecoder> = HashMap::new();
        let mut streams = StreamAssembler::default();
        for f in &frames {
            let bytes = hex(f["hex"].as_str().unwrap());
            let dir = f["dir"].as_str().unwrap();
            let meta = by_seq[&f["seq"].as_u64().unwrap()];
            let body: Vec<u8> = if f["transport"] == "tcp" {
                let d = decoders.entry((f["conn"].as_u64().unwrap(), dir.to_string())).or_default();
                d.extend(&bytes);
                let b = d.next_frame().unwrap().expect("one whole frame").to_vec();
                assert_eq!(d.next_frame().unwrap(), None);
                assert_eq!(framing::encode_tcp_frame(&b).unwrap(), bytes);
                b
            } else {
                bytes.clone()
            };
            match meta["kind"].as_str().unwrap() {
                "server_info" => {
                    let info = ServerInfo::decode(&body).unwrap();
                    let s = &meta["server_info"];
                    assert_eq!(info.name, s["name"].as_str().unwrap());
                    assert_eq!(info.map, s["map"].as_str().unwrap());
                    assert_eq!(i64::from(info.players), s["players"].as_i64().unwrap());
                    assert_eq!(i64::from(info.version), s["version"].as_i64().unwrap());
                    assert_eq!(info.description, s["description"].as_str().unwrap());
                    assert_eq!(i64::from(info.port), s["port"].as_i64().unwrap());
                    assert_eq!(info.encode(), body);
                }
                "framework" => {
                    let Body::Framework(m) = framing::decode_body(&body).unwrap() else { panic!() };
                    let expected = framework(meta["framework"].as_str().unwrap(), &body[2..]);
                    assert_eq!(m, expected);
                    assert_eq!(Body::Framework(m).encode(Compression::Java).unwrap(), body);
                }
                "packet" => {
                    let p = check_packet_body(Build::V154, dir, &body, &mut total);
                    assert_eq!(p.kind().name(), meta["packet"].as_str().unwrap());
                    assert_eq!(Build::V154.id(p.kind()), Some(meta["packet_id"].as_u64().unwrap() as u8));
                    let Body::Packet(raw) = framing::decode_body(&body).unwrap() else { panic!() };
                    assert_eq!(hex(meta["payload_hex"].as_str().unwrap()), raw.payload);
                    if let (Some(ours), Some(theirs)) = (fields_json(&p), meta.get("fields")) {
                        for (k, v) in ours.as_object().unwrap() {
                            let t = theirs.get(k).unwrap_or(&Value::Null);
                            assert!(same(v, t), "{} field {k} in {name}: ours {v}, theirs {t}", p.kind());
                        }
                        compared += 1;
                    }
                    match &p {
                        Packet::StreamBegin(b) => assert_eq!(streams.begin(b).unwrap(), None),
                        Packet::StreamChunk(c) => {
                            if let Some(done) = streams.chunk(c).unwrap() {
                                worlds += 1;
                                // The world files were saved by the client of the join-<map> captures (a world
                                // stream is player-specific, so other captures' streams differ).
                                if let Some(map) = name.strip_prefix("join-").and_then(|n| n.split('.').next()) {
                                    let expected = multidustry_testdata::read(&format!(
                                        "captures/b154/world/world-{map}.deflated.bin"
                                    ))
                                    .unwrap();
                                    assert!(done.data == expected, "world stream of {name} differs from the saved one");
                                    matched_worlds += 1;
                                }
                            }
                        }
                        _ => {}
                    }
                }
                k => panic!("kind {k}"),
            }
            total.frames += 1;
        }
    }
    println!("b154: {total:?}, {compared} packets compared field by field, {worlds} world streams");
    assert_eq!(matched_worlds, 3);
    assert_eq!(total.typed[&PacketKind::EntitySnapshotCallPacket], 384);
    assert_eq!(total.typed[&PacketKind::StateSnapshotCallPacket], 384);
    assert_eq!(total.typed[&PacketKind::ClientSnapshotCallPacket], 886);
    assert_eq!(total.entity_records, 813);
    assert_eq!((total.players, total.units), (434, 379));
}

#[test]
fn kicks_give_the_right_reasons() {
    let Some(tsv) = multidustry_testdata::read("captures/b154/kicks.tsv") else { return };
    let tsv = String::from_utf8(tsv).unwrap();
    let mut n = 0;
    for line in tsv.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let frame = hex(cols[7]);
        let mut d = FrameDecoder::new();
        d.extend(&frame);
        let Body::Packet(raw) = d.next_body().unwrap().unwrap() else { panic!() };
        assert_eq!(raw.id.to_string(), cols[3]);
        match Packet::decode(Build::V154, Side::Server, &raw).unwrap() {
            Packet::KickCallPacket2(k) => {
                assert_eq!(cols[4], "KickCallPacket2");
                assert_eq!(k.reason.name(), cols[5]);
                assert_eq!(k.reason.ordinal().to_string(), cols[6]);
                assert_eq!(KickReason::from_ordinal(k.reason.ordinal()), Some(k.reason));
            }
            Packet::KickCallPacket(k) => {
                assert_eq!(cols[4], "KickCallPacket");
                assert_eq!(k.reason.unwrap().replace('\n', "\\n"), cols[5]);
            }
            other => panic!("not a kick: {other:?}"),
        }
        n += 1;
    }
    assert_eq!(n, 6);
}

#[test]
fn b154_discovery_replies() {
    let Some(lines) = jsonl("captures/b154/discovery/discovery.jsonl") else { return };
    for l in &lines {
        let reply = hex(l["response_hex"].as_str().or_else(|| l["reply_hex"].as_str()).expect("response hex"));
        let info = ServerInfo::decode(&reply).unwrap();
        assert_eq!(info.name, "mindref-b154");
        assert_eq!(info.version, 154);
        assert_eq!(info.player_limit, 30);
        assert_eq!(info.effective_port(), 6570);
        assert_eq!(info.encode(), reply);
    }
    assert_eq!(multidustry_testdata::read("captures/b154/discovery/request.bin").unwrap(), [0xfe, 0x01]);
    let req = multidustry_testdata::read("captures/b159/discovery-request-b159.bin").unwrap();
    assert_eq!(framing::decode_datagram(&req).unwrap(), Body::Framework(FrameworkMessage::DiscoverHost));
    let reply = multidustry_testdata::read("captures/b159/discovery-reply-b159.bin").unwrap();
    assert_eq!(reply.len(), 46);
    assert_eq!(ServerInfo::decode(&reply).unwrap().encode(), reply);
}
