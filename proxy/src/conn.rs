//! One client connection, from TCP accept to close: Arc registration (TCP, then UDP), the connect handshake,
//! then relaying between the client and its world session.
//!
//! Owns: the per-connection state machine and its I/O. Does not own: handshake rules (`handshake`), shared
//! bookkeeping (`registry`) or the UDP socket's receive loop (`lib.rs` routes datagrams here as [`UdpEvent`]s).
//!
//! ```text
//! accept ─▶ RegisterTCP{id} ─▶ (UDP RegisterUDP{id}) ─▶ RegisterUDP{0} ─▶ ConnectPacket ─▶ validate
//!        ─▶ open session (Join) ─▶ relay: client packets → ClientMsg, ToProxy → packets/streams/kicks
//! ```
//!
//! Invariants: nothing a client sends can panic this task; every way out of it goes through
//! [`Conn::finish`], which (when there was a session) sends exactly one `Leave` and always unregisters the
//! connection. Malformed or hostile input (bad frames, oversize lengths, bad LZ4, packets before the
//! handshake, floods) ends only this connection, with a kick that names the reason. One task per connection:
//! a client that reads too slowly stalls only its own task; its session queue then overflows and it is kicked.

use std::future::pending;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use multidustry_protocol::framing::MAX_UDP_BODY;
use multidustry_protocol::{
    Body, Build, Compression, Direction, FrameDecoder, FrameworkMessage, PacketKind, RawPacket, decode_body,
    encode_tcp_frame,
};
use multidustrycore::messages::{ClientMsg, KickReason, LeaveReason, OutPacket, Reliability, SessionId, ToProxy};
use multidustrycore::transport::{ProxySession, SessionClosed};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::{mpsc, watch};
use tracing::{debug, info, warn};

use crate::Ctx;
use crate::handshake::{self, Policy};
use crate::registry::UdpEvent;
use crate::wire::{self, CONNECT_PACKET_ID, MAX_CHAT_CHARS, STREAM_CHUNK_SIZE, WORLD_STREAM_TYPE};

/// Send a TCP KeepAlive after this long without TCP writes (Arc: 8 s).
const KEEPALIVE_AFTER: Duration = Duration::from_secs(8);
/// Objects a client may send in [`FLOOD_WINDOW`] (Java `packetSpamLimit`).
const FLOOD_LIMIT: u32 = 300;
/// Window of the flood limit.
const FLOOD_WINDOW: Duration = Duration::from_secs(3);
/// Chat lines a client may send in [`CHAT_WINDOW`] (Java `chatSpamLimit`, kicked with `kick`).
const CHAT_LIMIT: u32 = 20;
/// Window of the chat limit.
const CHAT_WINDOW: Duration = Duration::from_secs(2);
/// Undecodable datagrams tolerated from a registered address per [`FLOOD_WINDOW`].
const BAD_UDP_LIMIT: u32 = 5;
/// How long a kick (or any final write) may take before the socket is simply closed.
const FINAL_WRITE_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a regular write may block before the client counts as dead.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a connection ends.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum End {
    /// The client closed TCP.
    Closed,
    /// Nothing received for the configured timeout.
    Timeout,
    /// Kick with this reason.
    Kick(KickReason),
    /// The world asked for this kick.
    WorldKick(KickReason),
    /// Socket error.
    Error(String),
    /// The session's outbound queue overflowed.
    Overflow,
    /// The world host went away.
    WorldGone,
    /// Proxy shutdown.
    Shutdown,
}

/// A fixed-window rate counter.
#[derive(Debug)]
struct Window {
    start: Instant,
    count: u32,
    len: Duration,
}

impl Window {
    fn new(now: Instant, len: Duration) -> Self {
        Self { start: now, count: 0, len }
    }

    /// Counts one event; returns the count inside the current window.
    fn hit(&mut self, now: Instant) -> u32 {
        if now.duration_since(self.start) >= self.len {
            self.start = now;
            self.count = 0;
        }
        self.count += 1;
        self.count
    }
}

struct Conn {
    ctx: Arc<Ctx>,
    id: i32,
    peer: SocketAddr,
    w: OwnedWriteHalf,
    udp: Option<SocketAddr>,
    /// Build whose packet ids kicks are written with (the client's once known).
    kick_build: Build,
    /// Set once the ConnectPacket was accepted.
    joined: Option<Joined>,
    last_read: Instant,
    last_write: Instant,
    flood: Window,
    chat: Window,
    bad_udp: Window,
}

struct Joined {
    build: Build,
    session: ProxySession,
    uuid: String,
}

/// Serves one accepted TCP connection until it ends.
pub(crate) async fn serve(ctx: Arc<Ctx>, stream: TcpStream, peer: SocketAddr, mut shutdown: watch::Receiver<bool>) {
    let _ = stream.set_nodelay(true);
    let (mut r, w) = stream.into_split();
    let (events_tx, mut events) = mpsc::channel(256);
    let id = ctx.registry.add_conn(events_tx);
    let now = Instant::now();
    let newest = ctx.settings.accepted_builds.iter().copied().max().unwrap_or(159);
    let mut c = Conn {
        ctx: ctx.clone(),
        id,
        peer,
        w,
        udp: None,
        kick_build: Build::from_number(newest as i32).unwrap_or(Build::V159),
        joined: None,
        last_read: now,
        last_write: now,
        flood: Window::new(now, FLOOD_WINDOW),
        chat: Window::new(now, CHAT_WINDOW),
        bad_udp: Window::new(now, FLOOD_WINDOW),
    };
    debug!(conn = id, %peer, "accepted");
    let end = c.run(&mut r, &mut events, &mut shutdown).await;
    c.finish(end).await;
}

impl Conn {
    async fn run(
        &mut self,
        r: &mut tokio::net::tcp::OwnedReadHalf,
        events: &mut mpsc::Receiver<UdpEvent>,
        shutdown: &mut watch::Receiver<bool>,
    ) -> End {
        // Spec §5.2 step 1 and the per-IP rate limit, before anything else.
        let ip = self.peer.ip();
        if self.ctx.access.is_ip_banned(ip) || self.ctx.access.is_subnet_banned(ip) {
            let _ = self.write_framework(FrameworkMessage::RegisterTcp { connection_id: self.id }).await;
            return End::Kick(KickReason::Banned);
        }
        let limited = self.ctx.settings.rate_limit_loopback || !ip.is_loopback();
        if limited && !self.ctx.registry.allow_connect(ip, Instant::now(), self.ctx.settings.connects_per_ip_per_minute)
        {
            let _ = self.write_framework(FrameworkMessage::RegisterTcp { connection_id: self.id }).await;
            return End::Kick(KickReason::Text(
                "Too many connection attempts from your address; wait a minute.".into(),
            ));
        }
        if let Err(e) = self.write_framework(FrameworkMessage::RegisterTcp { connection_id: self.id }).await {
            return e;
        }
        let mut decoder = FrameDecoder::new();
        let mut buf = vec![0u8; 16 * 1024];
        let mut tick = tokio::time::interval(Duration::from_millis(500));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        if *shutdown.borrow() {
            return End::Shutdown;
        }
        loop {
            let step = {
                let session = self.joined.as_mut().map(|j| &mut j.session);
                tokio::select! {
                    read = r.read(&mut buf) => Step::Tcp(read),
                    ev = events.recv() => Step::Udp(ev),
                    msg = recv_world(session) => Step::World(msg),
                    _ = tick.tick() => Step::Tick,
                    _ = shutdown.changed() => Step::Shutdown,
                }
            };
            let result = match step {
                Step::Tcp(Ok(0)) => Err(End::Closed),
                Step::Tcp(Ok(n)) => {
                    self.last_read = Instant::now();
                    decoder.extend(&buf[..n]);
                    self.drain_frames(&mut decoder).await
                }
                Step::Tcp(Err(e)) => Err(End::Error(e.to_string())),
                Step::Udp(Some(ev)) => self.on_udp(ev).await,
                Step::Udp(None) => Err(End::Error("UDP event channel closed".into())),
                Step::World(Ok(msg)) => self.on_world(msg).await,
                Step::World(Err(SessionClosed::Overflow)) => Err(End::Overflow),
                Step::World(Err(SessionClosed::WorldGone)) => Err(End::WorldGone),
                Step::Tick => self.on_tick().await,
                Step::Shutdown => Err(End::Shutdown),
            };
            if let Err(end) = result {
                return end;
            }
        }
    }

    async fn drain_frames(&mut self, decoder: &mut FrameDecoder) -> Result<(), End> {
        loop {
            let body = match decoder.next_frame() {
                Ok(None) => return Ok(()),
                Ok(Some(frame)) => decode_body(frame),
                Err(e) => return Err(End::Kick(KickReason::Text(format!("Malformed frame: {e}.")))),
            };
            match body {
                Ok(b) => self.on_body(b, false).await?,
                Err(e) => return Err(End::Kick(KickReason::Text(format!("Malformed packet: {e}.")))),
            }
        }
    }

    async fn on_udp(&mut self, ev: UdpEvent) -> Result<(), End> {
        self.last_read = Instant::now();
        match ev {
            UdpEvent::Registered(addr) => {
                if self.udp.is_none() {
                    self.udp = Some(addr);
                    debug!(conn = self.id, %addr, "udp registered");
                    self.write_framework(FrameworkMessage::RegisterUdp { connection_id: 0 }).await?;
                }
                Ok(())
            }
            UdpEvent::Body(b) => self.on_body(b, true).await,
            UdpEvent::Bad(e) => {
                if self.bad_udp.hit(Instant::now()) > BAD_UDP_LIMIT {
                    return Err(End::Kick(KickReason::Text(format!("Malformed datagrams: {e}."))));
                }
                Ok(())
            }
        }
    }

    async fn on_body(&mut self, body: Body, via_udp: bool) -> Result<(), End> {
        if self.flood.hit(Instant::now()) > FLOOD_LIMIT {
            return Err(End::Kick(KickReason::Text("You are sending too many packets.".into())));
        }
        let raw = match body {
            Body::Framework(FrameworkMessage::Ping { id, is_reply: false }) => {
                return self.write_framework(FrameworkMessage::Ping { id, is_reply: true }).await;
            }
            Body::Framework(_) => return Ok(()),
            Body::Packet(p) => p,
        };
        if self.udp.is_none() {
            // The Java server closes a connection that sends packets before its UDP registration finished.
            return Err(End::Kick(KickReason::Text("Packet before the UDP registration finished.".into())));
        }
        if self.joined.is_none() {
            if raw.id != CONNECT_PACKET_ID || via_udp {
                return Err(End::Kick(KickReason::Text("Packet before the connect handshake.".into())));
            }
            return self.on_connect(&raw.payload).await;
        }
        self.on_game_packet(raw).await
    }

    async fn on_connect(&mut self, payload: &[u8]) -> Result<(), End> {
        let p = match wire::decode_connect(payload) {
            Ok(p) => p,
            Err(e) => return Err(End::Kick(KickReason::Text(format!("Malformed connect packet: {e}.")))),
        };
        // Kicks go out in the client's own packet table when we know it (even for a build this server does not
        // accept), else in the nearest accepted build's (as a Java server answers with its own table).
        self.kick_build = Build::from_number(p.version)
            .unwrap_or_else(|| nearest_build(&self.ctx.settings.accepted_builds, p.version));
        let session = SessionId(self.ctx.next_session.fetch_add(1, Ordering::Relaxed));
        let policy = Policy {
            accepted_builds: &self.ctx.settings.accepted_builds,
            max_players: self.ctx.settings.max_players,
            access: &self.ctx.access,
            whitelist: self.ctx.settings.whitelist,
        };
        let ip = self.peer.ip();
        let uuid = p.uuid_base64();
        // Step 5: distinct uuids per IP (loopback exempt unless connect limits apply to it, as for the rate).
        let uuid_limit =
            if self.ctx.settings.rate_limit_loopback || !ip.is_loopback() { self.ctx.settings.uuids_per_ip } else { 0 };
        let admitted = self.ctx.registry.admit(session, &uuid, ip, uuid_limit, Instant::now(), |online, checks| {
            handshake::validate(&p, ip, &policy, online, checks)
        });
        let a = match admitted {
            Ok(a) => a,
            Err(reason) => {
                debug!(conn = self.id, peer = %self.peer, %reason, name = ?p.name, version = p.version, "rejected");
                return Err(End::Kick(reason));
            }
        };
        let name = a.player.name.clone();
        match self.ctx.transport.open_session(self.ctx.world, session, a.player) {
            Ok(s) => {
                info!(conn = self.id, %session, name = %name, build = a.build.number(), peer = %self.peer, "joined");
                self.joined = Some(Joined { build: a.build, session: s, uuid });
                Ok(())
            }
            Err(e) => {
                self.ctx.registry.remove_player(session);
                warn!(conn = self.id, error = %e, "no world to join");
                Err(End::Kick(KickReason::Text("No world is running on this server right now.".into())))
            }
        }
    }

    async fn on_game_packet(&mut self, raw: RawPacket) -> Result<(), End> {
        let Some(j) = self.joined.as_ref() else { return Ok(()) };
        let build = j.build;
        let Some(kind) = build.kind(raw.id) else {
            return Err(End::Kick(KickReason::Text(format!("Unknown packet id {}.", raw.id))));
        };
        let msg = match kind {
            PacketKind::ConnectPacket => return Err(End::Kick(KickReason::IdInUse)),
            PacketKind::ConnectConfirmCallPacket => ClientMsg::ConnectConfirm,
            PacketKind::SendChatMessageCallPacket => {
                if self.chat.hit(Instant::now()) > CHAT_LIMIT {
                    return Err(End::Kick(KickReason::Kick));
                }
                let text = match wire::decode_str_payload(&raw.payload) {
                    Ok(Some(t)) => t,
                    Ok(None) => return Ok(()),
                    Err(e) => return Err(End::Kick(KickReason::Text(format!("Malformed chat packet: {e}.")))),
                };
                if text.chars().count() > MAX_CHAT_CHARS {
                    debug!(conn = self.id, "chat line over the length limit dropped");
                    return Ok(());
                }
                ClientMsg::Chat { text }
            }
            PacketKind::PingCallPacket => {
                let time = match wire::decode_i64_payload(&raw.payload) {
                    Ok(t) => t,
                    Err(e) => return Err(End::Kick(KickReason::Text(format!("Malformed ping: {e}.")))),
                };
                if let Some(p) = wire::ping_response(build, time) {
                    self.write_packet(&p, Reliability::Reliable).await?;
                }
                return Ok(());
            }
            k if k.direction() == Direction::ServerToClient => {
                return Err(End::Kick(KickReason::Text(format!("Invalid packet type for endpoint: {k}."))));
            }
            _ => ClientMsg::Packet { id: raw.id, payload: raw.payload },
        };
        match self.joined.as_ref() {
            Some(j) => j.session.send(msg).await.map_err(|_| End::WorldGone),
            None => Ok(()),
        }
    }

    async fn on_world(&mut self, msg: ToProxy) -> Result<(), End> {
        let Some(build) = self.joined.as_ref().map(|j| j.build) else { return Ok(()) };
        match msg {
            ToProxy::Packet { packet, reliability, .. } => {
                let raw = match packet {
                    OutPacket::Raw { build: b, id, payload } => {
                        if b != build.number() as u32 {
                            warn!(conn = self.id, packet_build = b, "dropped a packet encoded for another build");
                            return Ok(());
                        }
                        Some(RawPacket { id, payload })
                    }
                    OutPacket::Message { text } => wire::message(build, &text),
                    OutPacket::Chat { message, unformatted, sender } => {
                        wire::chat(build, &message, unformatted.as_deref(), sender)
                    }
                    other => {
                        debug!(conn = self.id, packet = ?other, "unsupported packet kind dropped");
                        None
                    }
                };
                match raw {
                    Some(raw) => self.write_packet(&raw, reliability).await,
                    None => Ok(()),
                }
            }
            ToProxy::WorldStream { data, .. } => self.write_stream(&data).await,
            ToProxy::Kick { reason, .. } => Err(End::WorldKick(reason)),
            other => {
                debug!(conn = self.id, msg = ?other, "unsupported world message dropped");
                Ok(())
            }
        }
    }

    async fn on_tick(&mut self) -> Result<(), End> {
        let now = Instant::now();
        if now.duration_since(self.last_read) >= Duration::from_secs(u64::from(self.ctx.settings.timeout_secs)) {
            return Err(End::Timeout);
        }
        if now.duration_since(self.last_write) >= KEEPALIVE_AFTER {
            self.write_framework(FrameworkMessage::KeepAlive).await?;
        }
        Ok(())
    }

    async fn write_stream(&mut self, data: &[u8]) -> Result<(), End> {
        let Ok(total) = i32::try_from(data.len()) else {
            warn!(conn = self.id, len = data.len(), "world stream too large");
            return Err(End::Kick(KickReason::Text("The world is too large to send.".into())));
        };
        let id = self.ctx.next_stream.fetch_add(1, Ordering::Relaxed);
        // One buffer, one write: StreamBegin and every 1024-byte StreamChunk frame back to back.
        let mut frames = Vec::with_capacity(data.len() + data.len() / STREAM_CHUNK_SIZE * 12 + 32);
        let packets = std::iter::once(wire::stream_begin(id, total, WORLD_STREAM_TYPE))
            .chain(data.chunks(STREAM_CHUNK_SIZE).map(|c| wire::stream_chunk(id, c)));
        for raw in packets {
            let frame = Body::Packet(raw)
                .encode(Compression::Java)
                .and_then(|body| encode_tcp_frame(&body))
                .map_err(|e| End::Error(format!("stream frame: {e}")))?;
            frames.extend_from_slice(&frame);
        }
        self.write_tcp(&frames).await
    }

    async fn write_packet(&mut self, raw: &RawPacket, reliability: Reliability) -> Result<(), End> {
        let body = match Body::Packet(raw.clone()).encode(Compression::Java) {
            Ok(b) => b,
            Err(e) => {
                warn!(conn = self.id, id = raw.id, error = %e, "packet not encodable; dropped");
                return Ok(());
            }
        };
        if reliability == Reliability::Unreliable
            && let Some(addr) = self.udp
            && body.len() <= MAX_UDP_BODY
        {
            if let Err(e) = self.ctx.udp.send_to(&body, addr).await {
                debug!(conn = self.id, error = %e, "udp send failed");
            }
            return Ok(());
        }
        match encode_tcp_frame(&body) {
            Ok(frame) => self.write_tcp(&frame).await,
            Err(e) => {
                warn!(conn = self.id, id = raw.id, error = %e, "packet too large for a TCP frame; dropped");
                Ok(())
            }
        }
    }

    async fn write_framework(&mut self, m: FrameworkMessage) -> Result<(), End> {
        match Body::Framework(m).encode_tcp(Compression::Never) {
            Ok(frame) => self.write_tcp(&frame).await,
            Err(e) => Err(End::Error(e.to_string())),
        }
    }

    /// Writes a frame. While the client does not read, this waits (up to [`WRITE_TIMEOUT`]), and the session
    /// queue behind it fills; when the world reports the overflow the write is abandoned and the client kicked.
    async fn write_tcp(&mut self, frame: &[u8]) -> Result<(), End> {
        let session = self.joined.as_ref().map(|j| &j.session);
        let overflow = async {
            match session {
                Some(s) => loop {
                    if s.overflowed() {
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                },
                None => pending().await,
            }
        };
        tokio::select! {
            r = tokio::time::timeout(WRITE_TIMEOUT, self.w.write_all(frame)) => match r {
                Ok(Ok(())) => {
                    self.last_write = Instant::now();
                    Ok(())
                }
                Ok(Err(e)) => Err(End::Error(e.to_string())),
                Err(_) => Err(End::Error("write timed out".into())),
            },
            _ = overflow => Err(End::Overflow),
        }
    }

    /// Ends the connection: kick packet if any (bounded wait), close, `Leave` to the world, unregister.
    async fn finish(mut self, end: End) {
        let (kick, leave) = match &end {
            End::Closed => (None, LeaveReason::Disconnected),
            End::Timeout => (None, LeaveReason::Timeout),
            End::Error(e) => (None, LeaveReason::Error(e.clone())),
            End::Kick(r) | End::WorldKick(r) => (Some(r.clone()), LeaveReason::Kicked(r.clone())),
            End::Overflow => (
                Some(KickReason::Text("Your connection is too slow: too much data is waiting for you.".into())),
                LeaveReason::Overflow,
            ),
            End::WorldGone => (Some(KickReason::ServerClose), LeaveReason::Error("world host gone".into())),
            End::Shutdown => (Some(KickReason::ServerClose), LeaveReason::Shutdown),
        };
        if let Some(reason) = &kick {
            let build = self.joined.as_ref().map_or(self.kick_build, |j| j.build);
            let mut frames = Vec::new();
            for raw in wire::kick_packets(build, reason) {
                if let Ok(body) = Body::Packet(raw).encode(Compression::Java)
                    && let Ok(frame) = encode_tcp_frame(&body)
                {
                    frames.extend_from_slice(&frame);
                }
            }
            if !frames.is_empty() {
                let _ = tokio::time::timeout(FINAL_WRITE_TIMEOUT, self.w.write_all(&frames)).await;
            }
            match &end {
                End::Kick(_) => debug!(conn = self.id, peer = %self.peer, %reason, "kicked"),
                _ => info!(conn = self.id, peer = %self.peer, %reason, "kicked"),
            }
        }
        let _ = tokio::time::timeout(FINAL_WRITE_TIMEOUT, self.w.shutdown()).await;
        if let Some(j) = self.joined.take() {
            if let End::WorldKick(KickReason::Kick | KickReason::Banned | KickReason::Vote) = &end {
                self.ctx.registry.record_kick(&j.uuid, Instant::now());
            }
            let id = j.session.id();
            info!(conn = self.id, session = %id, reason = ?leave, "left");
            j.session.leave(leave).await;
            self.ctx.registry.remove_player(id);
        }
        self.ctx.registry.remove_conn(self.id);
    }
}

enum Step {
    Tcp(std::io::Result<usize>),
    Udp(Option<UdpEvent>),
    World(Result<ToProxy, SessionClosed>),
    Tick,
    Shutdown,
}

async fn recv_world(session: Option<&mut ProxySession>) -> Result<ToProxy, SessionClosed> {
    match session {
        Some(s) => s.recv().await,
        None => pending().await,
    }
}

/// The accepted build whose packet table a kick for a client announcing `version` is written in: the
/// accepted build closest to it (a 153 client gets the 154 table, as a Java 154 server would send).
fn nearest_build(accepted: &[u32], version: i32) -> Build {
    accepted
        .iter()
        .filter_map(|b| Build::from_number(*b as i32))
        .min_by_key(|b| (i64::from(b.number()) - i64::from(version)).abs())
        .unwrap_or(Build::V159)
}
