//! Test support: a proxy on `127.0.0.1:0` in front of a tiny fake world host (a test double on the real
//! in-process transport), and a raw Mindustry client that registers over TCP+UDP and sends whatever bytes a
//! test wants.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use multidustry_protocol::{Body, Build, Compression, FrameDecoder, FrameworkMessage, PacketKind, RawPacket, Writer};
use multidustry_proxy::wire;
use multidustry_proxy::{Proxy, ProxyOptions};
use multidustrycore::Config;
use multidustrycore::access::Access;
use multidustrycore::messages::{ClientMsg, KickReason, OutPacket, Reliability, Target, ToProxy, ToWorld, WorldId};
use multidustrycore::transport::{InProcess, Transport, WorldEnd};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::sync::oneshot;

/// A running proxy + fake world.
pub struct Harness {
    pub addr: SocketAddr,
    pub world: FakeWorld,
    pub access: Arc<Access>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Harness {
    pub async fn start(config: Config) -> Harness {
        Self::start_with(config, Arc::new(Access::in_memory()), InProcess::new()).await
    }

    pub async fn start_with(mut config: Config, access: Arc<Access>, transport: InProcess) -> Harness {
        config.proxy.bind = "127.0.0.1:0".parse().expect("valid addr");
        let end = transport.attach_world(WorldId::DEFAULT).expect("attach the fake world");
        let world = FakeWorld::spawn(end);
        let options = ProxyOptions { rate_limit_loopback: true, ..Default::default() };
        let proxy = Proxy::bind_with(&config, Arc::new(transport), access.clone(), options).await.expect("proxy binds");
        let addr = proxy.tcp_addr();
        assert_eq!(proxy.udp_addr().port(), addr.port(), "TCP and UDP share the port");
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            proxy
                .run(async {
                    let _ = rx.await;
                })
                .await
                .expect("proxy runs");
        });
        Harness { addr, world, access, stop: Some(tx), task: Some(task) }
    }

    pub async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = tokio::time::timeout(Duration::from_secs(10), t).await;
        }
    }
}

pub fn config(builds: &[u32]) -> Config {
    let mut c = Config::default();
    c.proxy.accepted_builds = builds.to_vec();
    c.proxy.connects_per_ip_per_minute = 10_000;
    c.proxy.uuids_per_ip = 0;
    c
}

/// The fake world: answers Join with a small but real world stream (header + padding), ConnectConfirm with a
/// "has connected" broadcast and a playerSpawn, chat with a formatted chat broadcast. Records what it got.
#[derive(Clone)]
pub struct FakeWorld {
    pub end: WorldEnd,
    pub log: Arc<Mutex<Vec<ToWorld>>>,
    stop: Arc<AtomicBool>,
}

impl FakeWorld {
    fn spawn(end: WorldEnd) -> FakeWorld {
        let w = FakeWorld { end, log: Arc::default(), stop: Arc::default() };
        let me = w.clone();
        std::thread::spawn(move || me.run());
        w
    }

    fn run(self) {
        let mut names = std::collections::HashMap::new();
        let map = multidustry_world::generate::generate(7, 60, 60);
        while !self.stop.load(Ordering::Relaxed) {
            let Some(msg) = self.end.recv_timeout(Duration::from_millis(20)) else { continue };
            self.log.lock().expect("log lock").push(msg.clone());
            match msg {
                ToWorld::Join { session, player } => {
                    let build = if player.build == 154 { Build::V154 } else { Build::V159 };
                    names.insert(session, (player.name.clone(), build));
                    let data = world_stream(&map, build, player_id(session.0), &player.name);
                    let _ = self.end.send(ToProxy::WorldStream { session, data });
                }
                ToWorld::Client { session, msg: ClientMsg::ConnectConfirm } => {
                    let Some((name, build)) = names.get(&session).cloned() else { continue };
                    let _ = self.end.send(ToProxy::Packet {
                        to: Target::World,
                        packet: OutPacket::Message { text: format!("[accent]{name}[accent] has connected.") },
                        reliability: Reliability::Reliable,
                    });
                    let mut w = Writer::new();
                    w.i32(multidustry_protocol::pack_pos(50, 60)).i32(player_id(session.0));
                    let id = build.id(PacketKind::PlayerSpawnCallPacket).expect("both builds have playerSpawn");
                    let _ = self.end.send(ToProxy::Packet {
                        to: Target::Session(session),
                        packet: OutPacket::Raw { build: build.number() as u32, id, payload: w.into_inner() },
                        reliability: Reliability::Reliable,
                    });
                }
                ToWorld::Client { session, msg: ClientMsg::Chat { text } } => {
                    let name = names.get(&session).map(|n| n.0.clone()).unwrap_or_default();
                    let _ = self.end.send(ToProxy::Packet {
                        to: Target::World,
                        packet: OutPacket::Chat {
                            message: format!("[coral][[{name}[coral]]:[white] {text}"),
                            unformatted: Some(text),
                            sender: Some(player_id(session.0)),
                        },
                        reliability: Reliability::Reliable,
                    });
                }
                ToWorld::Leave { session, .. } => {
                    names.remove(&session);
                }
                _ => {}
            }
        }
    }

    /// Sends a kick to a session.
    pub fn kick(&self, session: multidustrycore::messages::SessionId, reason: KickReason) {
        let _ = self.end.send(ToProxy::Kick { session, reason });
    }

    pub fn events(&self) -> Vec<ToWorld> {
        self.log.lock().expect("log lock").clone()
    }

    /// Waits until `pred` holds for the log.
    pub async fn wait_for(&self, what: &str, pred: impl Fn(&[ToWorld]) -> bool) {
        let until = Instant::now() + Duration::from_secs(10);
        while Instant::now() < until {
            if pred(&self.events()) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("timed out waiting for the world to see {what}; log: {:#?}", self.events());
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.world.stop.store(true, Ordering::Relaxed);
    }
}

pub fn player_id(session: u64) -> i32 {
    100 + session as i32
}

/// A real deflated world stream for `build` (a small generated world), as the worlds crate writes it.
pub fn world_stream(world: &multidustry_world::World, build: Build, player_id: i32, name: &str) -> Vec<u8> {
    let player = multidustry_world::PlayerRecord::new(name, 1, -1);
    let params = multidustry_world::StreamParams::new(player_id, player);
    world.world_stream(build, &params).expect("the generated world streams")
}

/// A raw client.
pub struct Client {
    pub tcp: TcpStream,
    pub udp: UdpSocket,
    pub id: Option<i32>,
    dec: FrameDecoder,
    pub build: Build,
}

impl Client {
    /// Connects TCP and reads RegisterTCP (does not register UDP).
    pub async fn connect_tcp(addr: SocketAddr) -> Client {
        let tcp = TcpStream::connect(addr).await.expect("tcp connect");
        let udp = UdpSocket::bind("127.0.0.1:0").await.expect("udp bind");
        udp.connect(addr).await.expect("udp connect");
        let mut c = Client { tcp, udp, id: None, dec: FrameDecoder::new(), build: Build::V159 };
        match c.next_body().await {
            Some(Body::Framework(FrameworkMessage::RegisterTcp { connection_id })) => c.id = Some(connection_id),
            other => panic!("expected RegisterTCP first, got {other:?}"),
        }
        c
    }

    /// Connects and completes TCP + UDP registration.
    pub async fn connect(addr: SocketAddr) -> Client {
        let mut c = Self::connect_tcp(addr).await;
        c.register_udp().await;
        c
    }

    pub async fn register_udp(&mut self) {
        let id = self.id.expect("RegisterTCP seen");
        let b = Body::Framework(FrameworkMessage::RegisterUdp { connection_id: id })
            .encode(Compression::Never)
            .expect("small");
        self.udp.send(&b).await.expect("udp send");
        match self.next_body().await {
            Some(Body::Framework(FrameworkMessage::RegisterUdp { connection_id: 0 })) => {}
            other => panic!("expected the TCP RegisterUDP reply, got {other:?}"),
        }
    }

    pub async fn send_tcp_bytes(&mut self, bytes: &[u8]) {
        let _ = self.tcp.write_all(bytes).await;
    }

    pub async fn send_packet(&mut self, raw: RawPacket) {
        let body = Body::Packet(raw).encode(Compression::Java).expect("encodable");
        let frame = multidustry_protocol::encode_tcp_frame(&body).expect("fits");
        self.send_tcp_bytes(&frame).await;
    }

    pub async fn send_connect(&mut self, p: &wire::ConnectPacket) {
        // The table kicks come in: the client's build, or for unsupported builds the nearest supported one.
        self.build = Build::from_number(p.version).unwrap_or(if p.version < 157 { Build::V154 } else { Build::V159 });
        let payload = wire::encode_connect(p).expect("encodable");
        self.send_packet(RawPacket { id: wire::CONNECT_PACKET_ID, payload }).await;
    }

    /// Next TCP body within 5 s; `None` on close or timeout.
    pub async fn next_body(&mut self) -> Option<Body> {
        let until = Instant::now() + Duration::from_secs(5);
        let mut buf = vec![0u8; 65536];
        loop {
            if let Ok(Some(b)) = self.dec.next_body() {
                return Some(b);
            }
            let left = until.checked_duration_since(Instant::now())?;
            match tokio::time::timeout(left, self.tcp.read(&mut buf)).await {
                Ok(Ok(0)) | Ok(Err(_)) | Err(_) => return None,
                Ok(Ok(n)) => self.dec.extend(&buf[..n]),
            }
        }
    }

    /// Reads until a kick arrives; returns its reason. Panics if the connection closes without one.
    pub async fn expect_kick(&mut self) -> KickReason {
        while let Some(b) = self.next_body().await {
            if let Body::Packet(p) = b {
                match self.build.kind(p.id) {
                    Some(PacketKind::KickCallPacket2) => {
                        return KickReason::from_ordinal(p.payload[0]).expect("valid ordinal");
                    }
                    Some(PacketKind::KickCallPacket) => {
                        return KickReason::Text(
                            wire::decode_str_payload(&p.payload).expect("string").expect("not null"),
                        );
                    }
                    _ => {}
                }
            }
        }
        panic!("connection ended without a kick");
    }

    /// True once the server closed the TCP connection (within 5 s).
    pub async fn closed(&mut self) -> bool {
        while let Some(_b) = self.next_body().await {}
        let mut b = [0u8; 1];
        matches!(tokio::time::timeout(Duration::from_secs(1), self.tcp.read(&mut b)).await, Ok(Ok(0)) | Ok(Err(_)))
    }

    /// Waits for a packet of `kind`; returns its payload.
    pub async fn wait_packet(&mut self, kind: PacketKind) -> Option<Vec<u8>> {
        while let Some(b) = self.next_body().await {
            if let Body::Packet(p) = b {
                let k = self.build.kind(p.id);
                if k == Some(kind) {
                    return Some(p.payload);
                }
                if matches!(k, Some(PacketKind::KickCallPacket | PacketKind::KickCallPacket2)) {
                    eprintln!("kicked while waiting for {kind}: {:?}", p.payload);
                }
            }
        }
        eprintln!("connection ended or went quiet while waiting for {kind}");
        None
    }

    /// Joins fully: connect packet, world stream, connectConfirm.
    pub async fn join(addr: SocketAddr, name: &str, seed: u8, build: Build) -> Client {
        let mut c = Client::connect(addr).await;
        c.send_connect(&connect_packet(name, seed, build.number())).await;
        let begin = c.wait_packet(PacketKind::StreamBegin).await.expect("stream begins");
        let (_, total, kind) = wire::decode_stream_begin(&begin).expect("StreamBegin decodes");
        assert_eq!(kind, wire::WORLD_STREAM_TYPE);
        let mut got = 0usize;
        while got < total as usize {
            let chunk = c.wait_packet(PacketKind::StreamChunk).await.expect("chunk");
            got += wire::decode_stream_chunk(&chunk).expect("chunk decodes").1.len();
        }
        c.send_packet(wire::connect_confirm(build).expect("has connectConfirm")).await;
        c
    }
}

pub fn connect_packet(name: &str, seed: u8, version: i32) -> wire::ConnectPacket {
    wire::ConnectPacket {
        version,
        version_type: Some("official".into()),
        name: Some(name.into()),
        locale: Some("en".into()),
        usid: Some(wire::base64(&[seed, 1, 2, 3, 4, 5, 6, 7])),
        uuid: wire::ConnectPacket::uuid_from_id([seed, 9, 9, 9, 9, 9, 9, 9]),
        mobile: false,
        color: -1,
        mods: vec![],
    }
}
