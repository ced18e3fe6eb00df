//! Malformed and hostile input: each case kicks only the offending client, with a reason, while a second,
//! joined client keeps playing (its ping is still answered afterwards). Also: a client that does not read is
//! kicked when its outbound queue overflows, without blocking the world.

mod support;

use std::time::Duration;

use multidustry_protocol::{Body, Build, Compression, FrameworkMessage, PacketKind, RawPacket};
use multidustry_proxy::wire;
use multidustrycore::messages::{KickReason, LeaveReason, OutPacket, Reliability, Target, ToProxy, ToWorld};
use multidustrycore::transport::{InProcess, SendError};
use support::{Client, Harness, config};

/// The bystander is still served: a ping gets its answer.
async fn still_playing(c: &mut Client, t: i64) {
    c.send_packet(wire::ping(Build::V159, t).expect("has ping")).await;
    let pong = c.wait_packet(PacketKind::PingResponseCallPacket).await.expect("the bystander still gets answers");
    assert_eq!(wire::decode_i64_payload(&pong), Ok(t));
}

async fn kicked_text(h: &Harness, joined: Option<u8>, bytes: &[u8]) -> String {
    let mut c = match joined {
        Some(seed) => Client::join(h.addr, &format!("victim{seed}"), seed, Build::V159).await,
        None => Client::connect(h.addr).await,
    };
    c.send_tcp_bytes(bytes).await;
    match c.expect_kick().await {
        KickReason::Text(t) => {
            assert!(c.closed().await);
            t
        }
        other => panic!("expected a text kick, got {other}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_oversize_bad_lz4_and_unknown_packets_kick_only_the_sender() {
    let h = Harness::start(config(&[159])).await;
    let mut bystander = Client::join(h.addr, "bystander", 1, Build::V159).await;

    // A zero-length frame.
    let t = kicked_text(&h, None, &[0, 0]).await;
    assert!(t.contains("Malformed frame"), "{t}");
    still_playing(&mut bystander, 1).await;

    // A length over the 16 KiB limit (no body needed: the prefix alone is rejected).
    let t = kicked_text(&h, Some(62), &[0xff, 0xff, 1, 2, 3]).await;
    assert!(t.contains("Malformed frame") && t.contains("exceeds"), "{t}");
    still_playing(&mut bystander, 2).await;

    // A compressed packet whose LZ4 block is garbage.
    let mut body = vec![97u8, 0, 40, 1];
    body.extend_from_slice(&[0xff; 12]);
    let mut frame = (body.len() as u16).to_be_bytes().to_vec();
    frame.extend_from_slice(&body);
    let t = kicked_text(&h, Some(63), &frame).await;
    assert!(t.contains("Malformed packet") && t.contains("LZ4"), "{t}");
    still_playing(&mut bystander, 3).await;

    // An LZ4 length field far beyond the 32 KiB payload limit.
    let frame = [0u8, 6, 97, 0xff, 0xff, 1, 0x10, 0];
    let t = kicked_text(&h, Some(64), &frame).await;
    assert!(t.contains("Malformed packet"), "{t}");

    // Random bytes as a frame body.
    let t = kicked_text(&h, Some(65), &[0, 5, 200, 1, 2, 3, 4]).await;
    assert!(t.contains("Malformed packet"), "{t}");

    // An id no build 159 packet has.
    let mut c = Client::join(h.addr, "unknown-id", 51, Build::V159).await;
    c.send_packet(RawPacket { id: 250, payload: vec![] }).await;
    assert!(matches!(c.expect_kick().await, KickReason::Text(t) if t.contains("Unknown packet id 250")));

    // A server-to-client packet sent by a client.
    let mut c = Client::join(h.addr, "wrong-way", 52, Build::V159).await;
    c.send_packet(wire::kick(Build::V159, &KickReason::Kick).expect("has kick")).await;
    assert!(matches!(c.expect_kick().await, KickReason::Text(t) if t.contains("Invalid packet type")));

    // A chat packet whose string is cut short.
    let mut c = Client::join(h.addr, "bad-chat", 53, Build::V159).await;
    let chat_id = Build::V159.id(PacketKind::SendChatMessageCallPacket).expect("has chat");
    c.send_packet(RawPacket { id: chat_id, payload: vec![1, 0, 9, b'x'] }).await;
    assert!(matches!(c.expect_kick().await, KickReason::Text(t) if t.contains("Malformed chat")));

    still_playing(&mut bystander, 4).await;
    h.world
        .wait_for("a Leave per kicked client", |log| {
            log.iter().filter(|m| matches!(m, ToWorld::Leave { reason: LeaveReason::Kicked(_), .. })).count() >= 7
        })
        .await;
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_and_packet_floods_are_kicked() {
    let h = Harness::start(config(&[159])).await;
    let mut bystander = Client::join(h.addr, "bystander", 1, Build::V159).await;

    let mut spammer = Client::join(h.addr, "spammer", 2, Build::V159).await;
    for i in 0..30 {
        spammer.send_packet(wire::send_chat(Build::V159, &format!("spam {i}")).expect("has chat")).await;
    }
    // Java kicks chat spam with the plain `kick` reason.
    assert_eq!(spammer.expect_kick().await, KickReason::Kick);
    still_playing(&mut bystander, 10).await;

    let mut flooder = Client::join(h.addr, "flooder", 3, Build::V159).await;
    let keepalive = Body::Framework(FrameworkMessage::KeepAlive).encode_tcp(Compression::Never).expect("small");
    let burst: Vec<u8> = keepalive.iter().copied().cycle().take(keepalive.len() * 400).collect();
    flooder.send_tcp_bytes(&burst).await;
    assert!(matches!(flooder.expect_kick().await, KickReason::Text(t) if t.contains("too many packets")));
    still_playing(&mut bystander, 11).await;
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_datagrams_from_a_registered_address_kick_it() {
    let h = Harness::start(config(&[159])).await;
    let mut bystander = Client::join(h.addr, "bystander", 1, Build::V159).await;
    let mut c = Client::join(h.addr, "udp-garbage", 2, Build::V159).await;
    for _ in 0..10 {
        c.udp.send(&[0x42, 0xff, 0xff, 9, 9]).await.expect("udp");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(matches!(c.expect_kick().await, KickReason::Text(t) if t.contains("Malformed datagrams")));
    // Datagrams from an address that never registered are ignored (no crash, no effect).
    let stranger = tokio::net::UdpSocket::bind("127.0.0.1:0").await.expect("udp");
    stranger.send_to(&[0xde, 0xad, 0xbe, 0xef], h.addr).await.expect("udp");
    still_playing(&mut bystander, 5).await;
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_does_not_read_overflows_and_is_kicked_without_blocking_the_world() {
    // Small session queues so the overflow comes quickly.
    let h = Harness::start_with(
        config(&[159]),
        std::sync::Arc::new(multidustrycore::access::Access::in_memory()),
        InProcess::with_capacities(1024, 8),
    )
    .await;
    let mut bystander = Client::join(h.addr, "bystander", 1, Build::V159).await;
    let _sleeper = Client::join(h.addr, "sleeper", 2, Build::V159).await; // never reads again
    let sleeper_session = h
        .world
        .events()
        .iter()
        .find_map(|m| match m {
            ToWorld::Join { session, player } if player.name == "sleeper" => Some(*session),
            _ => None,
        })
        .expect("sleeper joined");
    // 16 KB of incompressible bytes per packet, far more than the socket buffers hold.
    let mut x = 7u32;
    let payload: Vec<u8> = (0..16_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect();
    let started = std::time::Instant::now();
    let mut overflowed = false;
    for _ in 0..20_000 {
        let r = h.world.end.send(ToProxy::Packet {
            to: Target::Session(sleeper_session),
            packet: OutPacket::Raw { build: 159, id: 200, payload: payload.clone() },
            reliability: Reliability::Reliable,
        });
        if let Err(SendError::Full(s)) = r {
            assert_eq!(s, vec![sleeper_session]);
            overflowed = true;
            break;
        }
        tokio::time::sleep(Duration::from_micros(200)).await;
    }
    assert!(overflowed, "the sleeper's queue never filled");
    assert!(started.elapsed() < Duration::from_secs(30));
    h.world
        .wait_for("the sleeper's Leave(Overflow)", |log| {
            log.iter().any(|m| matches!(m, ToWorld::Leave { session, reason: LeaveReason::Overflow } if *session == sleeper_session))
        })
        .await;
    still_playing(&mut bystander, 6).await;
    h.stop().await;
}
