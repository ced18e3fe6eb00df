//! Replays the client side of the real captures (`shared/data/captures/`) against our proxy (with the fake
//! world host behind it) and checks that we answer as the Java server did: the same kick packets for the
//! kick captures, registration replies, a world stream after every accepted ConnectPacket, discovery replies
//! with the live player count, and every client packet reaching the world (chat lines as typed, other packets
//! as the same bytes). Client RegisterUDP ids are rewritten to the ids our proxy hands out.
//!
//! Not replayed: `kick-console` (the kick comes from the console, i.e. the world side, not from client bytes).

mod support;

use std::collections::HashMap;
use std::time::Duration;

use multidustry_protocol::discovery::ServerInfo;
use multidustry_protocol::{Body, Build, FrameDecoder, FrameworkMessage, PacketKind, RawPacket, decode_body};
use multidustry_proxy::wire;
use multidustrycore::messages::{ClientMsg, ToWorld};
use serde_json::Value;
use support::{Client, Harness, config};

/// One client → server object of a capture, with what the server answered on that connection.
#[derive(Debug, Clone)]
struct Step {
    conn: Option<u64>,
    udp: bool,
    body: Vec<u8>,
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len() / 2).map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("capture hex")).collect()
}

fn lines(relative: &str) -> Option<Vec<Value>> {
    let bytes = multidustry_testdata::read(relative)?;
    let text = String::from_utf8(bytes).expect("jsonl is utf-8");
    Some(text.lines().filter(|l| !l.trim().is_empty()).map(|l| serde_json::from_str(l).expect("valid json")).collect())
}

/// b154 format: TCP `hex` is the whole frame, UDP `hex` the datagram; `conn` null for discovery.
fn b154_steps(lines: &[Value]) -> (Vec<Step>, HashMap<u64, Vec<RawPacket>>, Vec<ServerInfo>) {
    let mut steps = Vec::new();
    let mut kicks: HashMap<u64, Vec<RawPacket>> = HashMap::new();
    let mut replies = Vec::new();
    for l in lines {
        let Some(h) = l["hex"].as_str() else { continue };
        let bytes = hex(h);
        let conn = l["conn"].as_u64();
        let udp = l["transport"] == "udp";
        if l["dir"] == "c2s" {
            let body = if udp { bytes } else { bytes[2..].to_vec() };
            steps.push(Step { conn, udp, body });
        } else if udp && conn.is_none() {
            replies.push(ServerInfo::decode(&bytes).expect("captured discovery reply decodes"));
        } else if !udp && let Some(c) = conn {
            let mut d = FrameDecoder::new();
            d.extend(&bytes);
            if let Ok(Some(Body::Packet(p))) = d.next_body()
                && matches!(Build::V154.kind(p.id), Some(PacketKind::KickCallPacket | PacketKind::KickCallPacket2))
            {
                kicks.entry(c).or_default().push(p);
            }
        }
    }
    (steps, kicks, replies)
}

/// b159 format: objects with `kind`, `name`, `body_hex` (+ `wire_body_hex` when LZ4); UDP conns are their own
/// numbering, mapped to TCP conns through the RegisterUDP id.
fn b159_steps(lines: &[Value]) -> Vec<Step> {
    let mut tcp_of_id: HashMap<String, u64> = HashMap::new();
    let mut tcp_of_udp: HashMap<u64, u64> = HashMap::new();
    let mut steps = Vec::new();
    for l in lines {
        let conn = l["conn"].as_u64().expect("conn");
        let udp = l["transport"] == "udp";
        let name = l["name"].as_str().unwrap_or_default();
        let body_hex = l["body_hex"].as_str().unwrap_or_default();
        if l["dir"] == "s2c" {
            if name == "RegisterTCP" {
                tcp_of_id.insert(body_hex.to_string(), conn);
            }
            continue;
        }
        let body = match l["kind"].as_str() {
            Some("framework") => {
                let fw: u8 = match name {
                    "Ping" => 0,
                    "DiscoverHost" => 1,
                    "KeepAlive" => 2,
                    "RegisterUDP" => 3,
                    "RegisterTCP" => 4,
                    other => panic!("unknown framework message {other}"),
                };
                let mut b = vec![0xfe, fw];
                b.extend(hex(body_hex));
                b
            }
            Some("packet") => {
                let id = l["id"].as_u64().expect("id") as u8;
                let len = l["length"].as_u64().expect("length") as u16;
                let lz4 = l["lz4"].as_bool().unwrap_or(false);
                let mut b = vec![id];
                b.extend(len.to_be_bytes());
                b.push(u8::from(lz4));
                b.extend(hex(if lz4 { l["wire_body_hex"].as_str().expect("wire body") } else { body_hex }));
                b
            }
            other => panic!("unexpected kind {other:?}"),
        };
        let tcp_conn = if udp {
            if name == "RegisterUDP"
                && let Some(t) = tcp_of_id.get(body_hex)
            {
                tcp_of_udp.insert(conn, *t);
            }
            tcp_of_udp.get(&conn).copied()
        } else {
            Some(conn)
        };
        steps.push(Step { conn: tcp_conn, udp, body });
    }
    steps
}

/// What the replay observed.
#[derive(Debug, Default)]
struct Observed {
    kicks: HashMap<u64, Vec<RawPacket>>,
    streams: HashMap<u64, usize>,
    discovery_players: Vec<i32>,
    pings: usize,
}

/// Returns what was observed and the clients, still connected (UDP datagrams may still be on their way).
async fn replay(h: &Harness, build: Build, steps: &[Step]) -> (Observed, HashMap<u64, Client>) {
    let mut clients: HashMap<u64, Client> = HashMap::new();
    let mut obs = Observed::default();
    for step in steps {
        // Keep below the flood limit (300 objects / 3 s).
        tokio::time::sleep(Duration::from_millis(11)).await;
        let Some(conn) = step.conn else {
            if step.body == [0xfe, 0x01] {
                let s = tokio::net::UdpSocket::bind("127.0.0.1:0").await.expect("udp");
                s.send_to(&step.body, h.addr).await.expect("udp");
                let mut buf = [0u8; 600];
                let (n, _) = tokio::time::timeout(Duration::from_secs(5), s.recv_from(&mut buf))
                    .await
                    .expect("discovery reply in time")
                    .expect("udp");
                let info = ServerInfo::decode(&buf[..n]).expect("our reply decodes");
                assert_eq!(info.version, build.number());
                obs.discovery_players.push(info.players);
            }
            continue;
        };
        if let std::collections::hash_map::Entry::Vacant(e) = clients.entry(conn) {
            let mut c = Client::connect_tcp(h.addr).await;
            c.build = build;
            e.insert(c);
        }
        let c = clients.get_mut(&conn).expect("inserted");
        if obs.kicks.contains_key(&conn) {
            continue; // the server closed this connection; the captured client sent nothing more that matters
        }
        let mut body = step.body.clone();
        if step.udp {
            if body.len() == 6 && body[..2] == [0xfe, 0x03] {
                body[2..].copy_from_slice(&c.id.expect("RegisterTCP seen").to_be_bytes());
                c.udp.send(&body).await.expect("udp");
                match c.next_body().await {
                    Some(Body::Framework(FrameworkMessage::RegisterUdp { connection_id: 0 })) => {}
                    other => panic!("expected the RegisterUDP reply, got {other:?}"),
                }
            } else {
                c.udp.send(&body).await.expect("udp");
            }
            continue;
        }
        let mut frame = (body.len() as u16).to_be_bytes().to_vec();
        frame.extend_from_slice(&body);
        c.send_tcp_bytes(&frame).await;
        let decoded = decode_body(&body).expect("captured client frames decode");
        match decoded {
            Body::Packet(p) if p.id == wire::CONNECT_PACKET_ID => {
                // The Java server answers with a kick or a world stream; wait for either.
                while let Some(b) = c.next_body().await {
                    let Body::Packet(p) = b else { continue };
                    match c.build.kind(p.id) {
                        Some(PacketKind::KickCallPacket | PacketKind::KickCallPacket2) => {
                            obs.kicks.entry(conn).or_default().push(p);
                            break;
                        }
                        Some(PacketKind::StreamBegin) => {
                            let (_, total, kind) = wire::decode_stream_begin(&p.payload).expect("StreamBegin");
                            assert_eq!(kind, wire::WORLD_STREAM_TYPE);
                            let mut got = 0;
                            while got < total as usize {
                                let chunk = c.wait_packet(PacketKind::StreamChunk).await.expect("chunk");
                                got += wire::decode_stream_chunk(&chunk).expect("chunk").1.len();
                            }
                            obs.streams.insert(conn, got);
                            break;
                        }
                        _ => {}
                    }
                }
            }
            Body::Packet(p) if build.kind(p.id) == Some(PacketKind::PingCallPacket) => {
                let t = wire::decode_i64_payload(&p.payload).expect("ping");
                let pong = c.wait_packet(PacketKind::PingResponseCallPacket).await.expect("pingResponse");
                assert_eq!(wire::decode_i64_payload(&pong), Ok(t));
                obs.pings += 1;
            }
            _ => {}
        }
    }
    (obs, clients)
}

/// Client packets after the handshake that the world must have received, in order, per capture connection:
/// chat as typed (≤150 chars), everything else but ping/connect as the same id and decompressed payload.
fn expected_world_packets(build: Build, steps: &[Step]) -> Vec<ClientMsg> {
    let mut out = Vec::new();
    for s in steps {
        let Ok(Body::Packet(p)) = decode_body(&s.body) else { continue };
        match build.kind(p.id) {
            Some(PacketKind::ConnectPacket | PacketKind::PingCallPacket) | None => {}
            Some(PacketKind::ConnectConfirmCallPacket) => out.push(ClientMsg::ConnectConfirm),
            Some(PacketKind::SendChatMessageCallPacket) => {
                let text = wire::decode_str_payload(&p.payload).expect("chat").expect("not null");
                if text.chars().count() <= wire::MAX_CHAT_CHARS {
                    out.push(ClientMsg::Chat { text });
                }
            }
            Some(_) => out.push(ClientMsg::Packet { id: p.id, payload: p.payload }),
        }
    }
    out
}

async fn world_got(h: &Harness, expected: &[ClientMsg]) {
    let want = expected.len();
    h.world
        .wait_for("every replayed client packet", |log| {
            log.iter().filter(|m| matches!(m, ToWorld::Client { .. })).count() >= want
        })
        .await;
    let got: Vec<ClientMsg> = h
        .world
        .events()
        .into_iter()
        .filter_map(|m| if let ToWorld::Client { msg, .. } = m { Some(msg) } else { None })
        .collect();
    // With two clients the interleaving is the replay order, which is the capture order.
    assert_eq!(got.len(), expected.len());
    for (i, (g, e)) in got.iter().zip(expected).enumerate() {
        assert_eq!(g, e, "client message #{i} differs");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn b154_kick_captures_get_the_java_kicks() {
    for name in ["kick-version-old", "kick-version-new", "kick-mods", "kick-name-in-use", "kick-id-in-use"] {
        let Some(lines) = lines(&format!("captures/b154/streams/{name}.frames.jsonl")) else { return };
        let (steps, java_kicks, _) = b154_steps(&lines);
        let h = Harness::start(config(&[154])).await;
        let (obs, _clients) = replay(&h, Build::V154, &steps).await;
        assert!(!java_kicks.is_empty(), "{name}: the capture has a kick");
        assert_eq!(obs.kicks, java_kicks, "{name}: our kick packets differ from the Java server's");
        h.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn b154_join_and_play_captures_reach_the_world_unchanged() {
    for name in ["join-fortress", "actions-fortress", "idle-keepalive-fortress", "two-clients-fortress"] {
        let Some(lines) = lines(&format!("captures/b154/streams/{name}.frames.jsonl")) else { return };
        let (steps, java_kicks, java_replies) = b154_steps(&lines);
        assert!(java_kicks.is_empty());
        let h = Harness::start(config(&[154])).await;
        let (obs, _clients) = replay(&h, Build::V154, &steps).await;
        assert!(obs.kicks.is_empty(), "{name}: kicked: {:?}", obs.kicks);
        let tcp_conns: std::collections::HashSet<u64> = steps.iter().filter_map(|s| s.conn).collect();
        assert_eq!(obs.streams.len(), tcp_conns.len(), "{name}: a world stream for every connection");
        // Discovery replies carry the live player count, as the Java server's did at the same moments.
        let java_players: Vec<i32> = java_replies.iter().map(|r| r.players).collect();
        assert_eq!(obs.discovery_players, java_players, "{name}: discovery player counts");
        world_got(&h, &expected_world_packets(Build::V154, &steps)).await;
        h.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn b159_join_captures_reach_the_world_unchanged() {
    for name in ["join-capture-b159", "join-two-clients-b159"] {
        let Some(lines) = lines(&format!("captures/b159/{name}.frames.jsonl")) else { return };
        let steps = b159_steps(&lines);
        let h = Harness::start(config(&[159])).await;
        let (obs, _clients) = replay(&h, Build::V159, &steps).await;
        assert!(obs.kicks.is_empty(), "{name}: kicked: {:?}", obs.kicks);
        let tcp_conns: std::collections::HashSet<u64> = steps.iter().filter_map(|s| s.conn).collect();
        assert_eq!(obs.streams.len(), tcp_conns.len(), "{name}: a world stream for every connection");
        assert!(!obs.discovery_players.is_empty(), "{name}: the capture starts with a discovery ping");
        let expected = expected_world_packets(Build::V159, &steps);
        assert!(expected.contains(&ClientMsg::ConnectConfirm));
        world_got(&h, &expected).await;
        h.stop().await;
    }
}
