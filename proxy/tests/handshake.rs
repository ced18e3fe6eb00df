//! The proxy's connect handshake, driven over real sockets against a fake world host: registration order,
//! every kick reason of the Java server's check order, and the session reaching the world.

mod support;

use std::sync::Arc;
use std::time::Duration;

use multidustry_protocol::{Body, Build, FrameworkMessage, PacketKind, RawPacket};
use multidustry_proxy::wire;
use multidustrycore::access::Access;
use multidustrycore::messages::{ClientMsg, KickReason, LeaveReason, ToWorld};
use multidustrycore::transport::InProcess;
use support::{Client, Harness, config, connect_packet};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_order_is_tcp_then_udp_then_connect() {
    let h = Harness::start(config(&[159, 154])).await;
    // RegisterTCP is the very first thing (checked inside connect_tcp), the RegisterUDP reply follows the UDP
    // registration (checked inside register_udp).
    let mut c = Client::connect(h.addr).await;
    // Duplicate RegisterUDP datagrams are ignored: no second reply, the connection stays usable.
    let id = c.id.expect("registered");
    let b = Body::Framework(FrameworkMessage::RegisterUdp { connection_id: id })
        .encode(multidustry_protocol::Compression::Never)
        .expect("small");
    c.udp.send(&b).await.expect("udp");
    c.send_connect(&connect_packet("alice", 1, 159)).await;
    let begin = c.wait_packet(PacketKind::StreamBegin).await.expect("world stream begins after connect");
    assert_eq!(wire::decode_stream_begin(&begin).expect("decodes").2, wire::WORLD_STREAM_TYPE);
    h.world
        .wait_for("Join", |log| {
            log.iter()
                .any(|m| matches!(m, ToWorld::Join { player, .. } if player.name == "alice" && player.build == 159))
        })
        .await;
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn packets_before_udp_registration_are_kicked() {
    let h = Harness::start(config(&[159])).await;
    let mut c = Client::connect_tcp(h.addr).await;
    c.send_connect(&connect_packet("early", 1, 159)).await;
    assert!(matches!(c.expect_kick().await, KickReason::Text(t) if t.contains("UDP registration")));
    assert!(c.closed().await);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn packets_before_the_connect_packet_are_kicked() {
    let h = Harness::start(config(&[159])).await;
    let mut c = Client::connect(h.addr).await;
    c.send_packet(wire::connect_confirm(Build::V159).expect("has it")).await;
    assert!(matches!(c.expect_kick().await, KickReason::Text(t) if t.contains("before the connect handshake")));
    h.stop().await;
}

async fn kicked_with(h: &Harness, p: wire::ConnectPacket) -> KickReason {
    let mut c = Client::connect(h.addr).await;
    c.send_connect(&p).await;
    let r = c.expect_kick().await;
    assert!(c.closed().await, "the connection closes after a kick");
    r
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn version_kicks_name_old_and_new_builds() {
    let h = Harness::start(config(&[154])).await;
    assert_eq!(kicked_with(&h, connect_packet("old", 1, 153)).await, KickReason::ClientOutdated);
    assert_eq!(kicked_with(&h, connect_packet("new", 2, 155)).await, KickReason::ServerOutdated);
    let mut p = connect_packet("custom", 3, -1);
    p.version_type = Some("official".into());
    assert_eq!(kicked_with(&h, p).await, KickReason::CustomClient);
    let mut p = connect_packet("be", 4, 154);
    p.version_type = Some("bleeding-edge".into());
    assert_eq!(kicked_with(&h, p).await, KickReason::TypeMismatch);
    let mut p = connect_packet("nulltype", 5, 154);
    p.version_type = None;
    assert_eq!(kicked_with(&h, p).await, KickReason::TypeMismatch);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_builds_are_accepted_side_by_side() {
    let h = Harness::start(config(&[159, 154])).await;
    let _a = Client::join(h.addr, "new-client", 1, Build::V159).await;
    let _b = Client::join(h.addr, "old-client", 2, Build::V154).await;
    h.world
        .wait_for("two confirms", |log| {
            log.iter().filter(|m| matches!(m, ToWorld::Client { msg: ClientMsg::ConnectConfirm, .. })).count() == 2
        })
        .await;
    let builds: Vec<u32> = h
        .world
        .events()
        .iter()
        .filter_map(|m| if let ToWorld::Join { player, .. } = m { Some(player.build) } else { None })
        .collect();
    assert_eq!(builds, vec![159, 154]);
    assert_eq!(kicked_with(&h, connect_packet("between", 3, 157)).await, KickReason::ClientOutdated);
    assert_eq!(kicked_with(&h, connect_packet("future", 4, 160)).await, KickReason::ServerOutdated);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_and_ids_in_use_empty_names_and_mods() {
    let h = Harness::start(config(&[159])).await;
    let _dupe = Client::join(h.addr, "[red]Dupe", 1, Build::V159).await;
    // Same name with other colors, spacing and case: nameInUse.
    assert_eq!(kicked_with(&h, connect_packet("  dUPE ", 2, 159)).await, KickReason::NameInUse);
    // Same uuid (seed 1), different name and usid: idInUse.
    let mut p = connect_packet("clone", 1, 159);
    p.usid = Some(wire::base64(&[77; 8]));
    assert_eq!(kicked_with(&h, p).await, KickReason::IdInUse);
    // Same usid, different uuid: idInUse.
    let mut p = connect_packet("clone2", 9, 159);
    p.usid = Some(wire::base64(&[1, 1, 2, 3, 4, 5, 6, 7]));
    assert_eq!(kicked_with(&h, p).await, KickReason::IdInUse);
    // Missing usid: idInUse.
    let mut p = connect_packet("nousid", 10, 159);
    p.usid = None;
    assert_eq!(kicked_with(&h, p).await, KickReason::IdInUse);
    // Empty after fixName.
    assert_eq!(kicked_with(&h, connect_packet(" \t\n ", 11, 159)).await, KickReason::NameEmpty);
    assert_eq!(kicked_with(&h, connect_packet("[clear]", 12, 159)).await, KickReason::NameEmpty);
    assert_eq!(kicked_with(&h, connect_packet("[", 13, 159)).await, KickReason::NameEmpty);
    // Mods: the Java server's text.
    let mut p = connect_packet("modder", 14, 159);
    p.mods = vec![Some("fakemod:1.0".into())];
    assert_eq!(
        kicked_with(&h, p).await,
        KickReason::Text("[accent]Incompatible mods![]\n\nUnnecessary mods:[lightgray]\n> fakemod:1.0".into())
    );
    // A second ConnectPacket on a joined connection: idInUse.
    let mut c = Client::join(h.addr, "twice", 15, Build::V159).await;
    c.send_connect(&connect_packet("twice-again", 16, 159)).await;
    assert_eq!(c.expect_kick().await, KickReason::IdInUse);
    h.world
        .wait_for("Leave of the double-connect", |log| {
            log.iter().any(|m| matches!(m, ToWorld::Leave { reason: LeaveReason::Kicked(KickReason::IdInUse), .. }))
        })
        .await;
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bans_limits_and_recent_kicks() {
    let access = Arc::new(Access::in_memory());
    let banned = connect_packet("banned", 1, 159);
    access.ban_uuid(&banned.uuid_base64()).expect("in memory");
    let mut cfg = config(&[159]);
    cfg.proxy.max_players = 2;
    let h = Harness::start_with(cfg, access.clone(), InProcess::new()).await;
    assert_eq!(kicked_with(&h, banned).await, KickReason::Banned);

    let _a = Client::join(h.addr, "a", 2, Build::V159).await;
    let _b = Client::join(h.addr, "b", 3, Build::V159).await;
    assert_eq!(kicked_with(&h, connect_packet("c", 4, 159)).await, KickReason::PlayerLimit);
    // Admins are exempt from the limit.
    let admin = connect_packet("boss", 5, 159);
    access.set_admin(&admin.uuid_base64(), true).expect("in memory");
    let mut boss = Client::connect(h.addr).await;
    boss.send_connect(&admin).await;
    assert!(boss.wait_packet(PacketKind::StreamBegin).await.is_some(), "admin joins a full server");
    h.world
        .wait_for("admin flag", |log| log.iter().any(|m| matches!(m, ToWorld::Join { player, .. } if player.admin)))
        .await;

    // A kick from the world starts the 30 s cool-down for that uuid: recentKick on rejoin.
    let session = h
        .world
        .events()
        .iter()
        .find_map(|m| match m {
            ToWorld::Join { session, player } if player.name == "a" => Some(*session),
            _ => None,
        })
        .expect("a joined");
    h.world.kick(session, KickReason::Kick);
    h.world
        .wait_for("a's Leave", |log| {
            log.iter().any(|m| matches!(m, ToWorld::Leave { session: s, reason: LeaveReason::Kicked(KickReason::Kick) } if *s == session))
        })
        .await;
    assert_eq!(kicked_with(&h, connect_packet("a", 2, 159)).await, KickReason::RecentKick);

    // Banned IP: kicked right after RegisterTCP, before any packet.
    access.ban_ip("127.0.0.1".parse().expect("ip")).expect("in memory");
    let mut c = Client::connect_tcp(h.addr).await;
    assert_eq!(c.expect_kick().await, KickReason::Banned);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_rate_limit_per_ip() {
    let mut cfg = config(&[159]);
    cfg.proxy.connects_per_ip_per_minute = 3;
    let h = Harness::start(cfg).await;
    for _ in 0..3 {
        let mut c = Client::connect(h.addr).await;
        c.send_packet(RawPacket { id: 200, payload: vec![] }).await;
        let _ = c.expect_kick().await;
    }
    let mut c = Client::connect_tcp(h.addr).await;
    assert!(matches!(c.expect_kick().await, KickReason::Text(t) if t.contains("Too many connection attempts")));
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn world_stream_chunks_ping_chat_and_leave() {
    let h = Harness::start(config(&[159])).await;
    let mut c = Client::join(h.addr, "chatty", 1, Build::V159).await;
    // "has connected" broadcast, then playerSpawn, reach the client.
    let msg = c.wait_packet(PacketKind::SendMessageCallPacket).await.expect("join message");
    assert_eq!(wire::decode_str_payload(&msg).expect("string"), Some("[accent]chatty[accent] has connected.".into()));
    // Ping is answered by the proxy itself.
    c.send_packet(wire::ping(Build::V159, 123_456).expect("has ping")).await;
    let pong = c.wait_packet(PacketKind::PingResponseCallPacket).await.expect("pingResponse");
    assert_eq!(wire::decode_i64_payload(&pong), Ok(123_456));
    // Chat goes to the world; an over-long line is dropped.
    c.send_packet(wire::send_chat(Build::V159, &"x".repeat(200)).expect("has chat")).await;
    c.send_packet(wire::send_chat(Build::V159, "hi all").expect("has chat")).await;
    let chat = c.wait_packet(PacketKind::SendMessageCallPacket2).await.expect("chat echo");
    let (m, u, _) = wire::decode_chat(&chat).expect("decodes");
    assert_eq!(u.as_deref(), Some("hi all"));
    assert!(m.expect("formatted").contains("chatty"));
    let chats: Vec<String> = h
        .world
        .events()
        .iter()
        .filter_map(|m| match m {
            ToWorld::Client { msg: ClientMsg::Chat { text }, .. } => Some(text.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(chats, vec!["hi all".to_string()]);
    // Other packets pass through as bytes with the build's id.
    let snap_id = Build::V159.id(PacketKind::ClientSnapshotCallPacket).expect("has it");
    c.send_packet(RawPacket { id: snap_id, payload: vec![1, 2, 3] }).await;
    h.world
        .wait_for("raw clientSnapshot", |log| {
            log.iter().any(|m| matches!(m, ToWorld::Client { msg: ClientMsg::Packet { id, payload }, .. } if *id == snap_id && payload == &[1, 2, 3]))
        })
        .await;
    drop(c);
    h.world
        .wait_for("Leave on disconnect", |log| {
            log.iter().any(|m| matches!(m, ToWorld::Leave { reason: LeaveReason::Disconnected, .. }))
        })
        .await;
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_connections_time_out_without_a_kick() {
    let mut cfg = config(&[159]);
    cfg.proxy.timeout_secs = 2;
    let h = Harness::start(cfg).await;
    let mut c = Client::connect(h.addr).await;
    // Nothing sent: the proxy closes after ~2 s without a kick packet (Arc's timeout is a plain close).
    let started = std::time::Instant::now();
    assert!(c.closed().await);
    assert!(started.elapsed() >= Duration::from_millis(1500), "closed too early: {:?}", started.elapsed());
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_kicks_with_server_close_and_reports_leave() {
    let h = Harness::start(config(&[159])).await;
    let mut c = Client::join(h.addr, "stayer", 1, Build::V159).await;
    let end = h.world.end.clone();
    let world = h.world.clone();
    h.stop().await;
    assert_eq!(c.expect_kick().await, KickReason::ServerClose);
    // Let the fake world thread (stopped with the harness) finish the message it may be holding.
    tokio::time::sleep(Duration::from_millis(200)).await;
    // The fake world thread stopped with the harness; read the transport directly. `stop` returned only after
    // the connection tasks finished, so the Leave is already queued.
    let mut msgs = world.events();
    msgs.extend(std::iter::from_fn(|| end.try_recv()));
    assert!(
        msgs.iter().any(|m| matches!(m, ToWorld::Leave { reason: LeaveReason::Shutdown, .. })),
        "no Leave(Shutdown) in {msgs:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_tcp_connection_gets_a_keepalive_after_8_seconds() {
    let h = Harness::start(config(&[159])).await;
    let mut c = Client::join(h.addr, "idler", 1, Build::V159).await;
    // Drain the join traffic, then stay quiet on TCP except our own keep-alives (as the Java client does when
    // it has nothing to send), so the proxy's TCP write side goes idle.
    let keepalive = Body::Framework(FrameworkMessage::KeepAlive)
        .encode_tcp(multidustry_protocol::Compression::Never)
        .expect("small");
    let started = std::time::Instant::now();
    let mut got = false;
    while started.elapsed() < Duration::from_secs(12) {
        c.send_tcp_bytes(&keepalive).await;
        // next_body waits up to 5 s; anything but a KeepAlive (join messages, playerSpawn) is skipped.
        if let Some(Body::Framework(FrameworkMessage::KeepAlive)) = c.next_body().await {
            got = true;
            break;
        }
    }
    assert!(got, "no KeepAlive from the proxy within 12 s of idle TCP");
    assert!(started.elapsed() >= Duration::from_secs(7), "KeepAlive came before the 8 s idle period");
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whitelist_name_and_subnet_bans_and_the_uuid_limit_kick_in_java_order() {
    // Whitelist on: an unlisted uuid is kicked `whitelist`, a listed one joins.
    let mut cfg = config(&[159]);
    cfg.proxy.whitelist = true;
    let access = Arc::new(Access::in_memory());
    let listed = connect_packet("listed", 7, 159);
    access.set_whitelisted(&listed.uuid_base64(), true).expect("in memory");
    let h = Harness::start_with(cfg, access.clone(), InProcess::new()).await;
    assert_eq!(kicked_with(&h, connect_packet("stranger", 8, 159)).await, KickReason::Whitelist);
    let mut c = Client::connect(h.addr).await;
    c.send_connect(&listed).await;
    assert!(c.wait_packet(PacketKind::StreamBegin).await.is_some(), "a whitelisted player joins");
    // A banned name (colors and case ignored) is `banned`, before the whitelist check.
    access.set_name_ban("grief", true).expect("in memory");
    assert_eq!(kicked_with(&h, connect_packet("[red]GRIEF", 9, 159)).await, KickReason::Banned);
    // A banned subnet is refused at TCP connect.
    access.set_subnet_ban("127.0.", true).expect("in memory");
    let mut c = Client::connect_tcp(h.addr).await;
    assert_eq!(c.expect_kick().await, KickReason::Banned);
    h.stop().await;

    // At most `uuids_per_ip` distinct uuids per IP within 3 h; a known uuid may come back.
    let mut cfg = config(&[159]);
    cfg.proxy.uuids_per_ip = 2;
    let h = Harness::start(cfg).await;
    for seed in [20, 21] {
        let mut c = Client::connect(h.addr).await;
        c.send_connect(&connect_packet(&format!("u{seed}"), seed, 159)).await;
        assert!(c.wait_packet(PacketKind::StreamBegin).await.is_some());
    }
    assert_eq!(kicked_with(&h, connect_packet("third", 22, 159)).await, KickReason::Banned);
    h.stop().await;
}
