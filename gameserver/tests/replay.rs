//! Replays the client side of a real capture (build 154, `captures/b154/streams/actions-fortress`: join, chat,
//! unicode chat, an over-long line, `/help`, walking, placing and then deconstructing a copper wall) against our
//! world, decoding the client's bytes with `wire`, and compares our answers with the Java server's: chat lines,
//! the build calls byte for byte (same entity ids: the world is started at the Java server's id counter).

use std::time::Duration;

use multidustry_gameserver::blocks::{self, item};
use multidustry_gameserver::grid::{Building, Grid};
use multidustry_gameserver::sim::GameState;
use multidustry_gameserver::{Input, JoinRequest, Output, Sim, SimRules, wire};
use multidustrycore::messages::{OutPacket, ToProxy};

fn hex(s: &str) -> Vec<u8> {
    (0..s.len() / 2).filter_map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()).collect()
}

#[test]
fn the_java_servers_answers_to_the_actions_capture() {
    let Some(text) = multidustry_testdata::read("captures/b154/streams/actions-fortress.packets.jsonl") else {
        return;
    };
    let text = String::from_utf8(text).expect("utf-8");
    let rows: Vec<serde_json::Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .filter(|v: &serde_json::Value| v["kind"] == "packet")
        .collect();

    // Fortress around the core: the core shard at (116, 73), as in the capture; free ground around it.
    let mut grid = Grid::new(256, 256, 33);
    let mut core = Building::new(blocks::id::CORE_SHARD, 1, 0, 1100.0);
    core.items.insert(item::COPPER, 1000);
    assert!(grid.put(116, 73, 3, core));
    // Java's entity counter stood at 226 when this client joined.
    let mut sim = Sim::new(grid, SimRules::default(), GameState::default(), 60, 226);
    let session = 1;
    let mut now = Duration::ZERO;
    let mut ours: Vec<(u8, Vec<u8>)> = Vec::new();
    let mut chat: Vec<(String, Option<i32>)> = Vec::new();
    let collect = |sim: &mut Sim, ours: &mut Vec<(u8, Vec<u8>)>, chat: &mut Vec<(String, Option<i32>)>| {
        let mut out = Vec::new();
        for o in sim.drain() {
            if let Output::Send(target, call) = o {
                wire::encode(target, &call, &[154], &mut out);
            }
        }
        for m in out {
            match m {
                ToProxy::Packet { packet: OutPacket::Raw { id, payload, .. }, .. } => ours.push((id, payload)),
                ToProxy::Packet { packet: OutPacket::Message { text }, .. } => chat.push((text, None)),
                ToProxy::Packet { packet: OutPacket::Chat { message, sender, .. }, .. } => chat.push((message, sender)),
                _ => {}
            }
        }
    };

    for row in rows.iter().filter(|r| r["dir"] == "c2s") {
        let t = Duration::from_secs_f64(row["t_ms"].as_f64().unwrap_or(0.0) / 1000.0);
        while now + Duration::from_micros(16_667) <= t {
            now += Duration::from_micros(16_667);
            sim.tick(now);
            collect(&mut sim, &mut ours, &mut chat);
        }
        let payload = hex(row["payload_hex"].as_str().unwrap_or(""));
        let id = row["packet_id"].as_u64().unwrap_or(0) as u8;
        let input = match row["packet"].as_str().unwrap_or("") {
            "ConnectPacket" => Some(Input::Join {
                session,
                request: JoinRequest {
                    build: 154,
                    name: "mindref".into(),
                    uuid: "AAECAwQFBgcAAAAAiCHg5Q==".into(),
                    usid: "CAkKCwwNDg8=".into(),
                    color: 0xffd37fff,
                    locale: "en".into(),
                    admin: false,
                    ip: "127.0.0.1".into(),
                },
            }),
            "ConnectConfirmCallPacket" => Some(Input::ConnectConfirm { session }),
            "SendChatMessageCallPacket" => {
                Some(Input::Chat { session, text: row["fields"]["message"].as_str().unwrap_or("").to_string() })
            }
            _ => wire::decode_client(session, 154, id, &payload).unwrap_or_else(|e| panic!("seq {}: {e}", row["seq"])),
        };
        if let Some(input) = input {
            sim.handle(t, input);
            collect(&mut sim, &mut ours, &mut chat);
        }
    }
    for _ in 0..600 {
        now += Duration::from_micros(16_667);
        sim.tick(now);
        collect(&mut sim, &mut ours, &mut chat);
    }

    // Chat lines as the Java server sent them (the 200-character line is dropped by both).
    let java_chat: Vec<String> = rows
        .iter()
        .filter(|r| r["dir"] == "s2c" && r["packet"].as_str().is_some_and(|p| p.starts_with("SendMessageCallPacket")))
        .filter_map(|r| r["fields"]["message"].as_str().map(String::from))
        .filter(|m| !m.contains("[[Server]:[]")) // the console line is not part of the client's replay
        .collect();
    let our_chat: Vec<&str> = chat.iter().map(|(m, _)| m.as_str()).collect();
    assert_eq!(our_chat[..3], java_chat[..3], "join announcement and the two chat lines");
    assert_eq!(chat[1].1, Some(226), "sender is the player");
    assert!(java_chat[3].starts_with(our_chat[3].lines().next().expect("help header")), "/help header");
    assert_eq!(chat.len(), 4, "the over-long line got no answer: {our_chat:?}");

    // Build calls: the same packets, byte for byte.
    let build_ids = [10u8, 30, 9, 36]; // beginPlace, constructFinish, beginBreak, deconstructFinish (154)
    let java: Vec<(u8, Vec<u8>)> = rows
        .iter()
        .filter(|r| r["dir"] == "s2c")
        .filter_map(|r| {
            let id = r["packet_id"].as_u64()? as u8;
            build_ids.contains(&id).then(|| (id, hex(r["payload_hex"].as_str().unwrap_or(""))))
        })
        .collect();
    let mine: Vec<(u8, Vec<u8>)> = ours.into_iter().filter(|(id, _)| build_ids.contains(id)).collect();
    assert_eq!(java.len(), 4);
    assert_eq!(mine, java);
    // Spawn: playerSpawn(core, player) with the Java ids.
}
