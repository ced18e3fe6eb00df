//! Bot clients: a load generator and smoke tester that speaks the real Mindustry client protocol (what
//! `multidustry bots` runs, and what tests drive in-process).
//!
//! Owns: one bot's client state machine ([`run_bot`]) and the swarm runner with its report ([`run_swarm`],
//! [`SwarmReport`]). Does not own: the codec (protocol crate) or any server logic.
//!
//! Each bot, like `NetClient` + `ArcNetProvider`: TCP connect → wait for `RegisterTCP{id}` → send
//! `RegisterUDP{id}` over UDP every 100 ms until the server's TCP `RegisterUDP` → `ConnectPacket` (unique
//! name and uuid) → receive `StreamBegin`/`StreamChunk`, inflate and parse the whole world stream (the
//! player id, map size, buildings) → `connectConfirm` → steady state until the duration ends: `clientSnapshot` over UDP every
//! 100 ms (walking a small circle around the core it spawned at), `ping` over TCP every second, optional chat
//! every 5 s (`chat`), one `say` line after joining, optional build plans (`build_blocks`: a copper wall a few
//! tiles from the core, re-sent until the duration ends). Kicks, chat and server messages are recorded.
//!
//! Observations recorded per bot: chat/server lines, player ids seen in entity snapshots (decoded with the
//! codec; failures are counted as `decode_errors`), buildings reported by `constructFinish`.
//!
//! The world stream is parsed completely with the worlds crate's reader (`multidustry_world::WorldStream`),
//! which must consume every byte: a stream a real client could not load fails the bot.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use multidustry_protocol::entity::EntityData;
use multidustry_protocol::typeio::{BuildPlan, Controller};
use multidustry_protocol::{
    Body, Build, Compression, FrameDecoder, FrameworkMessage, Object, Packet, PacketKind, RawPacket, Side, Writer,
    decode_datagram, encode_tcp_frame, pack_pos, unpack_pos,
};
use multidustry_world::WorldStream;
use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::{TcpStream, UdpSocket};

use crate::wire::{self, ConnectPacket};

/// Largest deflated world stream a bot buffers.
const MAX_STREAM_BYTES: usize = 32 * 1024 * 1024;

/// What every bot of a swarm does.
#[derive(Debug, Clone)]
pub struct BotOptions {
    /// Server address (TCP and UDP).
    pub server: SocketAddr,
    /// Client build to speak.
    pub build: Build,
    /// How long each bot stays after connecting.
    pub duration: Duration,
    /// Chat every 5 s.
    pub chat: bool,
    /// Place a block near the core.
    pub build_blocks: bool,
    /// Send this chat line once after joining.
    pub say: Option<String>,
    /// Count the bot as failed unless a chat/server message containing this reaches it.
    pub expect: Option<String>,
    /// Names are `{prefix}{index}`.
    pub name_prefix: String,
    /// Give up joining after this long.
    pub join_timeout: Duration,
    /// Seed of the bots' uuids/usids (each bot mixes in its index); differs per run by default.
    pub seed: u64,
}

impl BotOptions {
    /// Defaults for `server`: build 159, 10 s, no chat/build.
    pub fn new(server: SocketAddr) -> Self {
        Self {
            server,
            build: Build::V159,
            duration: Duration::from_secs(10),
            chat: false,
            build_blocks: false,
            say: None,
            expect: None,
            name_prefix: "bot".into(),
            join_timeout: Duration::from_secs(30),
            seed: u64::from(std::process::id()) << 20 ^ now_nanos(),
        }
    }
}

fn now_nanos() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0)
}

/// How one bot fared.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BotOutcome {
    /// Bot index.
    pub index: usize,
    /// Name it joined with.
    pub name: String,
    /// It received the world and confirmed.
    pub joined: bool,
    /// Milliseconds from TCP connect to `connectConfirm`.
    pub join_ms: Option<f64>,
    /// Kick reason, if kicked.
    pub kicked: Option<String>,
    /// Error that ended it, if any (connect failure, timeout, protocol error).
    pub error: Option<String>,
    /// Whether the `expect` text reached it (true when no `expect` was given).
    pub expect_seen: bool,
    /// Packets (and framework messages) received.
    pub packets_in: u64,
    /// Packets sent.
    pub packets_out: u64,
    /// Its player entity id (from the world stream).
    pub player_id: Option<i32>,
    /// Deflated world stream size.
    pub world_bytes: usize,
    /// Map size from the world stream (width, height in tiles).
    pub world_size: Option<(u16, u16)>,
    /// Buildings in the world stream.
    pub world_buildings: usize,
    /// Chat and server lines it received.
    pub messages: Vec<String>,
    /// Its core was reported by `playerSpawn`.
    pub spawned: bool,
    /// Player entity ids seen in entity snapshots (itself included), sorted.
    pub players_seen: Vec<i32>,
    /// Buildings reported finished (`constructFinish`): packed tile position and block id.
    pub blocks_built: Vec<(i32, i16)>,
    /// Ids of AI-controlled units of another team seen in entity snapshots (wave enemies), ascending.
    pub enemies_seen: Vec<i32>,
    /// Entity snapshots (or constructFinish packets) that did not decode with the codec.
    pub decode_errors: u64,
}

impl BotOutcome {
    /// A bot failed when it did not join, was kicked, errored, or missed the expected text.
    pub fn failed(&self) -> bool {
        !self.joined || self.kicked.is_some() || self.error.is_some() || !self.expect_seen
    }
}

/// The swarm's result (`--json` prints it).
#[derive(Debug, Clone, Serialize)]
pub struct SwarmReport {
    /// Bots that joined.
    pub joined: usize,
    /// Bots that failed (not joined, kicked, errored, or missed `expect`).
    pub failed: usize,
    /// Bots that were kicked.
    pub kicked: usize,
    /// Median join time, ms (0 when none joined).
    pub join_ms_p50: f64,
    /// 99th percentile join time, ms.
    pub join_ms_p99: f64,
    /// Packets per second, both directions, all bots.
    pub packets_per_sec: f64,
    /// Bots started.
    pub count: usize,
    /// Build spoken.
    pub build: i32,
    /// Wall time of the run, seconds.
    pub elapsed_secs: f64,
    /// Bots that saw the `expect` text.
    pub expect_seen: usize,
    /// The fewest distinct players any joined bot saw in entity snapshots (0 when none joined).
    pub min_players_seen: usize,
    /// Distinct buildings (tile, block) reported finished to every joined bot.
    pub blocks_built_seen_by_all: usize,
    /// The fewest distinct wave enemies (AI units of another team) any joined bot saw.
    pub min_enemies_seen: usize,
    /// Undecodable entity snapshots / constructFinish packets, summed over bots.
    pub decode_errors: u64,
    /// Distinct kick reasons with counts.
    pub kick_reasons: Vec<(String, usize)>,
    /// Distinct errors with counts.
    pub errors: Vec<(String, usize)>,
    /// Per-bot details.
    pub bots: Vec<BotOutcome>,
}

impl SwarmReport {
    /// Aggregates outcomes.
    pub fn from_outcomes(bots: Vec<BotOutcome>, build: Build, elapsed: Duration) -> Self {
        let mut joins: Vec<f64> = bots.iter().filter_map(|b| b.join_ms).collect();
        joins.sort_by(f64::total_cmp);
        let pct = |p: f64| -> f64 {
            if joins.is_empty() {
                return 0.0;
            }
            let i = ((p * joins.len() as f64).ceil() as usize).clamp(1, joins.len()) - 1;
            joins[i]
        };
        let packets: u64 = bots.iter().map(|b| b.packets_in + b.packets_out).sum();
        let secs = elapsed.as_secs_f64().max(1e-3);
        let tally = |it: Vec<String>| {
            let mut v: Vec<(String, usize)> = Vec::new();
            for s in it {
                match v.iter_mut().find(|(k, _)| *k == s) {
                    Some(e) => e.1 += 1,
                    None => v.push((s, 1)),
                }
            }
            v
        };
        Self {
            joined: bots.iter().filter(|b| b.joined).count(),
            failed: bots.iter().filter(|b| b.failed()).count(),
            kicked: bots.iter().filter(|b| b.kicked.is_some()).count(),
            join_ms_p50: pct(0.50),
            join_ms_p99: pct(0.99),
            packets_per_sec: packets as f64 / secs,
            count: bots.len(),
            build: build.number(),
            elapsed_secs: secs,
            expect_seen: bots.iter().filter(|b| b.expect_seen).count(),
            min_players_seen: bots.iter().filter(|b| b.joined).map(|b| b.players_seen.len()).min().unwrap_or(0),
            blocks_built_seen_by_all: {
                let joined: Vec<&BotOutcome> = bots.iter().filter(|b| b.joined).collect();
                let mut all: Vec<(i32, i16)> = joined.first().map(|b| b.blocks_built.clone()).unwrap_or_default();
                all.sort_unstable();
                all.dedup();
                all.retain(|x| joined.iter().all(|b| b.blocks_built.contains(x)));
                all.len()
            },
            min_enemies_seen: bots.iter().filter(|b| b.joined).map(|b| b.enemies_seen.len()).min().unwrap_or(0),
            decode_errors: bots.iter().map(|b| b.decode_errors).sum(),
            kick_reasons: tally(bots.iter().filter_map(|b| b.kicked.clone()).collect()),
            errors: tally(bots.iter().filter_map(|b| b.error.clone()).collect()),
            bots,
        }
    }

    /// The human summary lines `multidustry bots` prints.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "joined {} / failed {} / kicked {} of {} bots (build {})\njoin time p50 {:.1} ms, p99 {:.1} ms\n\
             {:.1} packets/s over {:.1} s\nfewest players seen by a bot {}, buildings reported to every bot {}, \
             fewest wave enemies seen by a bot {}, undecodable packets {}",
            self.joined,
            self.failed,
            self.kicked,
            self.count,
            self.build,
            self.join_ms_p50,
            self.join_ms_p99,
            self.packets_per_sec,
            self.elapsed_secs,
            self.min_players_seen,
            self.blocks_built_seen_by_all,
            self.min_enemies_seen,
            self.decode_errors
        );
        for (r, n) in &self.kick_reasons {
            s.push_str(&format!("\nkicked ({n}): {r}"));
        }
        for (e, n) in &self.errors {
            s.push_str(&format!("\nerror ({n}): {e}"));
        }
        s
    }
}

/// Runs `count` bots concurrently (started 10 ms apart) and aggregates their outcomes.
pub async fn run_swarm(opts: &BotOptions, count: usize) -> SwarmReport {
    let start = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for i in 0..count {
        let o = opts.clone();
        set.spawn(async move { run_bot(&o, i).await });
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let mut outcomes = Vec::with_capacity(count);
    while let Some(r) = set.join_next().await {
        match r {
            Ok(o) => outcomes.push(o),
            Err(e) => outcomes.push(BotOutcome { error: Some(format!("bot task failed: {e}")), ..Default::default() }),
        }
    }
    outcomes.sort_by_key(|o| o.index);
    SwarmReport::from_outcomes(outcomes, opts.build, start.elapsed())
}

/// Runs one bot to the end of `opts.duration` (or until kicked or failed).
pub async fn run_bot(opts: &BotOptions, index: usize) -> BotOutcome {
    let mut out = BotOutcome {
        index,
        name: format!("{}{}", opts.name_prefix, index),
        expect_seen: opts.expect.is_none(),
        ..Default::default()
    };
    let deadline = Instant::now() + opts.duration;
    let r = tokio::time::timeout(opts.duration + Duration::from_secs(5), bot_session(opts, index, deadline, &mut out))
        .await;
    match r {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            if out.kicked.is_none() {
                out.error = Some(e);
            }
        }
        Err(_) => out.error = Some("bot did not finish in time".into()),
    }
    out
}

struct Bot<'a> {
    opts: &'a BotOptions,
    build: Build,
    w: OwnedWriteHalf,
    udp: UdpSocket,
    started: Instant,
    /// When to send the `say` line: chat from a connection younger than 500 ms is dropped by the server
    /// (`NetServer`), so it waits until 600 ms after connecting.
    say_at: Option<Instant>,
}

/// A connection may chat this long after it was opened (the server drops earlier lines, as Java's does).
const CHAT_AFTER: Duration = Duration::from_millis(600);

impl Bot<'_> {
    async fn send_tcp(&mut self, raw: Option<RawPacket>, out: &mut BotOutcome) -> Result<(), String> {
        let Some(raw) = raw else { return Err("packet missing from this build's table".into()) };
        let body = Body::Packet(raw).encode(Compression::Java).map_err(|e| e.to_string())?;
        let frame = encode_tcp_frame(&body).map_err(|e| e.to_string())?;
        self.w.write_all(&frame).await.map_err(|e| format!("tcp write: {e}"))?;
        out.packets_out += 1;
        Ok(())
    }

    async fn send_udp(&mut self, raw: RawPacket, out: &mut BotOutcome) -> Result<(), String> {
        let body = Body::Packet(raw).encode(Compression::Java).map_err(|e| e.to_string())?;
        // Datagram loss or an ICMP error is not fatal for a UDP client.
        let _ = self.udp.send(&body).await;
        out.packets_out += 1;
        Ok(())
    }
}

async fn bot_session(opts: &BotOptions, index: usize, deadline: Instant, out: &mut BotOutcome) -> Result<(), String> {
    let started = Instant::now();
    let stream = tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(opts.server))
        .await
        .map_err(|_| "tcp connect timed out".to_string())?
        .map_err(|e| format!("tcp connect: {e}"))?;
    let _ = stream.set_nodelay(true);
    let (mut r, w) = stream.into_split();
    let local = if opts.server.is_ipv4() { "0.0.0.0:0" } else { "[::]:0" };
    let udp = UdpSocket::bind(local).await.map_err(|e| format!("udp bind: {e}"))?;
    udp.connect(opts.server).await.map_err(|e| format!("udp connect: {e}"))?;
    let mut bot = Bot { opts, build: opts.build, w, udp, started, say_at: None };
    let mut dec = FrameDecoder::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut ubuf = vec![0u8; 20 * 1024];

    // --- registration: RegisterTCP, then RegisterUDP until the server acknowledges over TCP.
    let reg_deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    let mut conn_id = None;
    let mut resend = tokio::time::interval(Duration::from_millis(100));
    loop {
        if let Some(id) = conn_id {
            tokio::select! {
                _ = resend.tick() => {
                    let b = Body::Framework(FrameworkMessage::RegisterUdp { connection_id: id })
                        .encode(Compression::Never).map_err(|e| e.to_string())?;
                    let _ = bot.udp.send(&b).await;
                }
                n = r.read(&mut buf) => {
                    let n = n.map_err(|e| format!("tcp read: {e}"))?;
                    if n == 0 { return Err("server closed during registration".into()); }
                    dec.extend(&buf[..n]);
                }
                _ = tokio::time::sleep_until(reg_deadline) => {
                    return Err("Connected, but timed out during UDP registration".into());
                }
            }
        } else {
            tokio::select! {
                n = r.read(&mut buf) => {
                    let n = n.map_err(|e| format!("tcp read: {e}"))?;
                    if n == 0 { return Err("server closed before RegisterTCP".into()); }
                    dec.extend(&buf[..n]);
                }
                _ = tokio::time::sleep_until(reg_deadline) => return Err("no RegisterTCP from the server".into()),
            }
        }
        let mut registered = false;
        while let Some(body) = dec.next_body().map_err(|e| format!("bad frame from server: {e}"))? {
            out.packets_in += 1;
            match body {
                Body::Framework(FrameworkMessage::RegisterTcp { connection_id }) if conn_id.is_none() => {
                    conn_id = Some(connection_id);
                }
                Body::Framework(FrameworkMessage::RegisterUdp { .. }) if conn_id.is_some() => registered = true,
                Body::Packet(p) => {
                    // A kick can arrive right after RegisterTCP (banned IP, rate limit).
                    handle_kick(&bot, &p, out)?;
                }
                _ => {}
            }
        }
        if registered {
            break;
        }
    }

    // --- ConnectPacket.
    let seed = opts.seed.wrapping_add(index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let uuid8 = seed.to_be_bytes();
    let usid8 = seed.rotate_left(17).wrapping_add(0x5555).to_be_bytes();
    let connect = ConnectPacket {
        version: bot.build.number(),
        version_type: Some("official".into()),
        name: Some(out.name.clone()),
        locale: Some("en".into()),
        usid: Some(wire::base64(&usid8)),
        uuid: ConnectPacket::uuid_from_id(uuid8),
        mobile: false,
        color: 0xffd3_7fffu32 as i32,
        mods: Vec::new(),
    };
    let payload = wire::encode_connect(&connect).map_err(|e| e.to_string())?;
    bot.send_tcp(Some(RawPacket { id: wire::CONNECT_PACKET_ID, payload }), out).await?;

    // --- world stream, then steady state.
    let join_deadline = Instant::now() + opts.join_timeout;
    let mut stream: Option<(i32, usize, Vec<u8>)> = None;
    let mut snapshot_timer = tokio::time::interval(Duration::from_millis(100));
    let mut ping_timer = tokio::time::interval(Duration::from_secs(1));
    let mut chat_timer = tokio::time::interval(Duration::from_secs(5));
    let mut snapshot_id = 0i32;
    let mut spawn: Option<(f32, f32, i32)> = None;
    let mut chats_sent = 0u32;
    loop {
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        if !out.joined && now >= join_deadline {
            return Err("timed out waiting for the world".into());
        }
        let until = tokio::time::Instant::from_std(deadline.min(if out.joined { deadline } else { join_deadline }));
        tokio::select! {
            n = r.read(&mut buf) => {
                let n = n.map_err(|e| format!("tcp read: {e}"))?;
                if n == 0 {
                    return Err("server closed the connection".into());
                }
                dec.extend(&buf[..n]);
                while let Some(body) = dec.next_body().map_err(|e| format!("bad frame from server: {e}"))? {
                    out.packets_in += 1;
                    if let Body::Packet(p) = body {
                        on_packet(&mut bot, p, &mut stream, &mut spawn, out).await?;
                    }
                }
            }
            n = bot.udp.recv(&mut ubuf) => {
                if let Ok(n) = n
                    && let Some(d) = ubuf.get(..n)
                {
                    out.packets_in += 1;
                    if let Ok(Body::Packet(p)) = decode_datagram(d) {
                        on_packet(&mut bot, p, &mut stream, &mut spawn, out).await?;
                    }
                }
            }
            _ = snapshot_timer.tick(), if out.joined => {
                if bot.say_at.is_some_and(|t| Instant::now() >= t)
                    && let Some(line) = bot.opts.say.clone()
                {
                    bot.say_at = None;
                    bot.send_tcp(wire::send_chat(bot.build, &line), out).await?;
                }
                snapshot_id += 1;
                let snap = client_snapshot(&bot, snapshot_id, spawn, index)?;
                bot.send_udp(snap, out).await?;
            }
            _ = ping_timer.tick(), if out.joined => {
                let t = now_nanos() as i64 / 1_000_000;
                bot.send_tcp(wire::ping(bot.build, t), out).await?;
            }
            _ = chat_timer.tick(), if out.joined && opts.chat && bot.started.elapsed() >= CHAT_AFTER => {
                chats_sent += 1;
                let line = format!("hello from {} #{chats_sent}", out.name);
                bot.send_tcp(wire::send_chat(bot.build, &line), out).await?;
            }
            _ = tokio::time::sleep_until(until) => {}
        }
    }
    let _ = bot.w.shutdown().await;
    Ok(())
}

/// Records a kick packet and ends the bot with it.
fn handle_kick(bot: &Bot<'_>, p: &RawPacket, out: &mut BotOutcome) -> Result<(), String> {
    match bot.build.kind(p.id) {
        Some(PacketKind::KickCallPacket2) => {
            let reason = p
                .payload
                .first()
                .and_then(|o| multidustrycore::messages::KickReason::from_ordinal(*o))
                .map_or_else(|| format!("kick ordinal {:?}", p.payload.first()), |r| r.to_string());
            out.kicked = Some(reason.clone());
            Err(format!("kicked: {reason}"))
        }
        Some(PacketKind::KickCallPacket) => {
            let reason = wire::decode_str_payload(&p.payload).ok().flatten().unwrap_or_default();
            out.kicked = Some(reason.clone());
            Err(format!("kicked: {reason}"))
        }
        _ => Ok(()),
    }
}

async fn on_packet(
    bot: &mut Bot<'_>,
    p: RawPacket,
    stream: &mut Option<(i32, usize, Vec<u8>)>,
    spawn: &mut Option<(f32, f32, i32)>,
    out: &mut BotOutcome,
) -> Result<(), String> {
    handle_kick(bot, &p, out)?;
    let build = bot.build;
    match build.kind(p.id) {
        Some(PacketKind::StreamBegin) => {
            let (id, total, _kind) = wire::decode_stream_begin(&p.payload).map_err(|e| format!("StreamBegin: {e}"))?;
            let total = usize::try_from(total).map_err(|_| "negative stream size".to_string())?;
            if total > MAX_STREAM_BYTES {
                return Err(format!("stream of {total} bytes is too large"));
            }
            *stream = Some((id, total, Vec::with_capacity(total)));
        }
        Some(PacketKind::StreamChunk) => {
            let (id, data) = wire::decode_stream_chunk(&p.payload).map_err(|e| format!("StreamChunk: {e}"))?;
            let Some((sid, total, buf)) = stream.as_mut() else { return Err("chunk without StreamBegin".into()) };
            if *sid != id {
                return Err(format!("chunk for unknown stream {id}"));
            }
            buf.extend_from_slice(data);
            if buf.len() >= *total {
                let data = std::mem::take(buf);
                *stream = None;
                out.world_bytes = data.len();
                let world = WorldStream::read_compressed(&data, build).map_err(|e| format!("world stream: {e}"))?;
                out.player_id = Some(world.player_id);
                out.world_size = Some((world.tiles.width, world.tiles.height));
                out.world_buildings = world.tiles.buildings.len();
                bot.send_tcp(wire::connect_confirm(build), out).await?;
                out.joined = true;
                out.join_ms = Some(bot.started.elapsed().as_secs_f64() * 1000.0);
                if bot.opts.say.is_some() {
                    bot.say_at = Some(Instant::now().max(bot.started + CHAT_AFTER));
                }
            }
        }
        Some(PacketKind::SendMessageCallPacket) => {
            if let Ok(Some(text)) = wire::decode_str_payload(&p.payload) {
                see_message(bot, text, out);
            }
        }
        Some(PacketKind::SendMessageCallPacket2) => {
            if let Ok((msg, unformatted, _)) = wire::decode_chat(&p.payload) {
                let text = msg.or(unformatted).unwrap_or_default();
                see_message(bot, text, out);
            }
        }
        Some(PacketKind::EntitySnapshotCallPacket) => match Packet::decode(build, Side::Server, &p) {
            Ok(Packet::EntitySnapshotCallPacket(snap)) => match snap.records(build) {
                Ok(records) => {
                    for r in records {
                        match &r.data {
                            EntityData::Player(_) => {
                                if let Err(i) = out.players_seen.binary_search(&r.id) {
                                    out.players_seen.insert(i, r.id);
                                }
                            }
                            EntityData::Unit(u) if u.controller == Controller::Ai && u.team != 1 => {
                                if let Err(i) = out.enemies_seen.binary_search(&r.id)
                                    && out.enemies_seen.len() < 10_000
                                {
                                    out.enemies_seen.insert(i, r.id);
                                }
                            }
                            _ => {}
                        }
                    }
                }
                Err(_) => out.decode_errors += 1,
            },
            _ => out.decode_errors += 1,
        },
        Some(PacketKind::ConstructFinishCallPacket) => match Packet::decode(build, Side::Server, &p) {
            Ok(Packet::ConstructFinishCallPacket(f)) => {
                if !out.blocks_built.contains(&(f.tile, f.block)) {
                    out.blocks_built.push((f.tile, f.block));
                }
            }
            _ => out.decode_errors += 1,
        },
        Some(PacketKind::PlayerSpawnCallPacket) => {
            if let Ok((pos, player)) = wire::decode_player_spawn(&p.payload)
                && Some(player) == out.player_id
            {
                let (x, y) = unpack_pos(pos);
                *spawn = Some((f32::from(x) * 8.0, f32::from(y) * 8.0, pos));
                out.spawned = true;
            }
        }
        _ => {}
    }
    Ok(())
}

fn see_message(bot: &Bot<'_>, text: String, out: &mut BotOutcome) {
    if let Some(e) = &bot.opts.expect
        && text.contains(e.as_str())
    {
        out.expect_seen = true;
    }
    if out.messages.len() < 200 {
        out.messages.push(text);
    }
}

/// A `clientSnapshot` walking a circle of radius 3 tiles around the spawn point, with one build plan (a copper
/// wall) when `build_blocks` is on.
fn client_snapshot(
    bot: &Bot<'_>,
    snapshot_id: i32,
    spawn: Option<(f32, f32, i32)>,
    index: usize,
) -> Result<RawPacket, String> {
    let build = bot.build;
    let id = build.id(PacketKind::ClientSnapshotCallPacket).ok_or("no clientSnapshot in this build")?;
    let t = bot.started.elapsed().as_secs_f32();
    let (cx, cy, core) = spawn.unwrap_or((0.0, 0.0, 0));
    let phase = index as f32 * 0.7;
    let (x, y) = (cx + 24.0 * (t * 0.5 + phase).cos(), cy + 24.0 * (t * 0.5 + phase).sin());
    let (vx, vy) = (-12.0 * (t * 0.5 + phase).sin() / 60.0, 12.0 * (t * 0.5 + phase).cos() / 60.0);
    let plans = if bot.opts.build_blocks && spawn.is_some() {
        let (tx, ty) = unpack_pos(core);
        // A copper wall (159 id 216; 154 id 215) a few tiles from the core, one spot per bot.
        let block: i16 = if build == Build::V159 { 216 } else { 215 };
        // 159 bots build to the lower right of the core, 154 bots to the lower left, so swarms of both builds
        // against one server do not compete for the same tiles.
        let side: i16 = if build == Build::V159 { 1 } else { -1 };
        let dx = side * (5 + (index % 8) as i16);
        let dy = -5 - (index / 8 % 8) as i16;
        Some(vec![BuildPlan::Place {
            pos: pack_pos(tx.saturating_add(dx), ty.saturating_add(dy)),
            block,
            rotation: 0,
            has_config: 1,
            config: Object::Null,
        }])
    } else {
        None
    };
    let mut w = Writer::new();
    w.i32(snapshot_id).i32(-1).bool(spawn.is_none());
    w.f32(x).f32(y).f32(x).f32(y).f32(0.0).f32(0.0).f32(vx).f32(vy);
    w.i32(-1); // mining: no tile
    w.bool(false).bool(false).bool(false).bool(true); // boosting, shooting, chatting, building
    if build == Build::V159 {
        w.i16(-1).i32(0); // selectedBlock (none), selectedRotation
    }
    w.plans_queue(plans.as_deref()).map_err(|e| e.to_string())?;
    w.f32(x).f32(y).f32(640.0).f32(360.0);
    Ok(RawPacket { id, payload: w.into_inner() })
}
