//! The proxy: owns the Mindustry wire (framing, discovery, the connect handshake and its validation, kicks)
//! and routes each player session to the world host over a [`Transport`]. Holds no game state.
//!
//! Owns: the TCP listener and the UDP socket (same port), one task per connection ([`conn`]), the UDP receive
//! loop (registration, discovery replies, routing datagrams to connections), shared bookkeeping
//! ([`registry`]), the handshake rules ([`handshake`]) and the few payloads it handles itself ([`wire`]).
//! Also hosts the `bots` client library ([`bots`]) used by `multidustry bots` and tests.
//! Does not own: the world (sessions go to `WorldId::DEFAULT` through the transport), the codec (protocol
//! crate), bans storage (`multidustrycore::access`).
//!
//! Use: `let p = Proxy::bind(&config, transport, access).await?; println!("{}", p.tcp_addr()); p.run(shutdown).await`
//! or [`run`] for both steps. Invariants: one bad client never takes down another or the proxy; shutdown
//! kicks every client with `serverClose` and reports their `Leave`s before `run` returns.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI32, AtomicU64};
use std::time::Duration;

use multidustry_protocol::discovery::ServerInfo;
use multidustry_protocol::framing::MAX_UDP_BODY;
use multidustry_protocol::{Body, FrameworkMessage, decode_datagram};
use multidustrycore::Config;
use multidustrycore::access::Access;
use multidustrycore::messages::WorldId;
use multidustrycore::transport::Transport;
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tracing::{debug, info, warn};

pub mod bots;
mod conn;
pub mod discovery;
pub mod handshake;
mod registry;
pub mod wire;

use registry::{Registry, UdpEvent};

/// The proxy could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    /// Binding TCP or UDP failed.
    #[error("cannot bind {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// Accepting connections failed for good.
    #[error("listener failed: {0}")]
    Listener(std::io::Error),
}

/// The settings the proxy reads from `Config` (section `proxy`).
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub accepted_builds: Vec<u32>,
    pub max_players: u32,
    pub connects_per_ip_per_minute: u32,
    pub timeout_secs: u32,
    pub name: String,
    pub description: String,
    pub rate_limit_loopback: bool,
    pub whitelist: bool,
    pub uuids_per_ip: u32,
}

/// Knobs that are not part of the config file.
#[derive(Debug, Clone)]
pub struct ProxyOptions {
    /// The world every session joins.
    pub world: WorldId,
    /// Apply `proxy.connects_per_ip_per_minute` to loopback clients too. Off by default so `multidustry bots`
    /// can start many bots against a local server; tests of the limit turn it on.
    pub rate_limit_loopback: bool,
}

impl Default for ProxyOptions {
    fn default() -> Self {
        Self { world: WorldId::DEFAULT, rate_limit_loopback: false }
    }
}

/// What every connection task shares.
pub(crate) struct Ctx {
    pub settings: Settings,
    pub transport: Arc<dyn Transport>,
    pub access: Arc<Access>,
    pub registry: Registry,
    pub udp: Arc<UdpSocket>,
    pub next_session: AtomicU64,
    pub next_stream: AtomicI32,
    pub world: WorldId,
    pub port: u16,
}

/// Live figures of a running proxy (cheap to clone).
#[derive(Clone)]
pub struct ProxyStats {
    ctx: Arc<Ctx>,
}

impl std::fmt::Debug for ProxyStats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxyStats")
            .field("players", &self.players())
            .field("connections", &self.connections())
            .finish()
    }
}

impl ProxyStats {
    /// Players past the handshake.
    pub fn players(&self) -> usize {
        self.ctx.registry.player_count()
    }

    /// Open TCP connections, joined or not.
    pub fn connections(&self) -> usize {
        self.ctx.registry.conn_count()
    }
}

/// A bound proxy, not yet serving.
pub struct Proxy {
    tcp: TcpListener,
    ctx: Arc<Ctx>,
    tcp_addr: SocketAddr,
    udp_addr: SocketAddr,
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proxy").field("tcp", &self.tcp_addr).field("udp", &self.udp_addr).finish()
    }
}

impl Proxy {
    /// Binds TCP and UDP on `config.proxy.bind` (the same port for both; with port 0 a free port is picked for
    /// both). Sessions go to [`WorldId::DEFAULT`].
    pub async fn bind(config: &Config, transport: Arc<dyn Transport>, access: Arc<Access>) -> Result<Self, ProxyError> {
        Self::bind_with(config, transport, access, ProxyOptions::default()).await
    }

    /// [`Proxy::bind`] with explicit [`ProxyOptions`].
    pub async fn bind_with(
        config: &Config,
        transport: Arc<dyn Transport>,
        access: Arc<Access>,
        options: ProxyOptions,
    ) -> Result<Self, ProxyError> {
        let addr = config.proxy.bind;
        let (tcp, udp) = bind_pair(addr).await?;
        let tcp_addr = tcp.local_addr().map_err(|source| ProxyError::Bind { addr, source })?;
        let udp_addr = udp.local_addr().map_err(|source| ProxyError::Bind { addr, source })?;
        let p = &config.proxy;
        let ctx = Arc::new(Ctx {
            settings: Settings {
                accepted_builds: p.accepted_builds.clone(),
                max_players: p.max_players,
                connects_per_ip_per_minute: p.connects_per_ip_per_minute,
                timeout_secs: p.timeout_secs,
                name: p.name.clone(),
                description: p.description.clone(),
                rate_limit_loopback: options.rate_limit_loopback,
                whitelist: p.whitelist,
                uuids_per_ip: p.uuids_per_ip,
            },
            transport,
            access,
            registry: Registry::default(),
            udp: Arc::new(udp),
            next_session: AtomicU64::new(1),
            next_stream: AtomicI32::new(0),
            world: options.world,
            port: tcp_addr.port(),
        });
        Ok(Self { tcp, ctx, tcp_addr, udp_addr })
    }

    /// The bound TCP address.
    pub fn tcp_addr(&self) -> SocketAddr {
        self.tcp_addr
    }

    /// The bound UDP address (same port as TCP).
    pub fn udp_addr(&self) -> SocketAddr {
        self.udp_addr
    }

    /// Live figures.
    pub fn stats(&self) -> ProxyStats {
        ProxyStats { ctx: self.ctx.clone() }
    }

    /// Serves until `shutdown` completes, then kicks everyone (`serverClose`) and waits (at most 5 s) for the
    /// connection tasks to finish.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send) -> Result<(), ProxyError> {
        let (stop_tx, stop_rx) = watch::channel(false);
        let mut tasks = JoinSet::new();
        let udp_task = tokio::spawn(udp_loop(self.ctx.clone(), stop_rx.clone()));
        info!(tcp = %self.tcp_addr, udp = %self.udp_addr, "proxy listening");
        tokio::pin!(shutdown);
        let result = loop {
            tokio::select! {
                _ = &mut shutdown => break Ok(()),
                accepted = self.tcp.accept() => match accepted {
                    Ok((stream, peer)) => {
                        tasks.spawn(conn::serve(self.ctx.clone(), stream, peer, stop_rx.clone()));
                    }
                    Err(e) if is_transient(&e) => {
                        debug!(error = %e, "accept failed; continuing");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    Err(e) => break Err(ProxyError::Listener(e)),
                },
                Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
            }
        };
        let _ = stop_tx.send(true);
        let drain = async { while tasks.join_next().await.is_some() {} };
        if tokio::time::timeout(Duration::from_secs(5), drain).await.is_err() {
            warn!("connections did not close within 5 s; aborting them");
        }
        udp_task.abort();
        info!("proxy stopped");
        result
    }
}

/// Binds and serves until `shutdown`: [`Proxy::bind`] then [`Proxy::run`].
pub async fn run(
    config: &Config,
    transport: Arc<dyn Transport>,
    access: Arc<Access>,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ProxyError> {
    Proxy::bind(config, transport, access).await?.run(shutdown).await
}

fn is_transient(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(e.kind(), ConnectionAborted | ConnectionReset | Interrupted | WouldBlock | TimedOut)
        || e.raw_os_error().is_some_and(|c| c == 24 || c == 23) // EMFILE / ENFILE: back off, keep serving
}

async fn bind_pair(addr: SocketAddr) -> Result<(TcpListener, UdpSocket), ProxyError> {
    let mut attempts = 0;
    loop {
        attempts += 1;
        let tcp = TcpListener::bind(addr).await.map_err(|source| ProxyError::Bind { addr, source })?;
        let port = tcp.local_addr().map_err(|source| ProxyError::Bind { addr, source })?.port();
        let udp_addr = SocketAddr::new(addr.ip(), port);
        match UdpSocket::bind(udp_addr).await {
            Ok(udp) => return Ok((tcp, udp)),
            // With port 0 the TCP port may be taken for UDP: try another one.
            Err(_) if addr.port() == 0 && attempts < 20 => continue,
            Err(source) => return Err(ProxyError::Bind { addr: udp_addr, source }),
        }
    }
}

/// Receives every datagram on the game port: discovery queries, UDP registrations, and client traffic routed
/// to its connection by source address. Datagrams from unknown addresses (other than those two) are dropped.
async fn udp_loop(ctx: Arc<Ctx>, mut stop: watch::Receiver<bool>) {
    let mut buf = vec![0u8; MAX_UDP_BODY + 1];
    loop {
        let (n, from) = tokio::select! {
            r = ctx.udp.recv_from(&mut buf) => match r {
                Ok(v) => v,
                Err(e) => {
                    // ICMP port-unreachable from a vanished client shows up here on some systems.
                    debug!(error = %e, "udp receive error");
                    continue;
                }
            },
            _ = stop.changed() => return,
        };
        let Some(data) = buf.get(..n) else { continue };
        match decode_datagram(data) {
            Ok(Body::Framework(FrameworkMessage::DiscoverHost)) => {
                if let Some(reply) = discovery::reply_to(data, &LiveInfo(ctx.clone()))
                    && let Err(e) = ctx.udp.send_to(&reply, from).await
                {
                    debug!(error = %e, %from, "discovery reply failed");
                }
            }
            Ok(Body::Framework(FrameworkMessage::RegisterUdp { connection_id })) => {
                if let Some(tx) = ctx.registry.register_udp(connection_id, from) {
                    let _ = tx.try_send(UdpEvent::Registered(from));
                } else if let Some(tx) = ctx.registry.route_udp(from) {
                    let _ = tx.try_send(UdpEvent::Body(Body::Framework(FrameworkMessage::KeepAlive)));
                }
            }
            Ok(body) => {
                if let Some(tx) = ctx.registry.route_udp(from) {
                    // A full channel means the connection is behind: drop, as UDP may.
                    let _ = tx.try_send(UdpEvent::Body(body));
                }
            }
            Err(e) => {
                if let Some(tx) = ctx.registry.route_udp(from) {
                    let _ = tx.try_send(UdpEvent::Bad(e));
                }
            }
        }
    }
}

/// The server-list entry with the live player count and the world's published status.
struct LiveInfo(Arc<Ctx>);

impl discovery::InfoProvider for LiveInfo {
    fn server_info(&self) -> ServerInfo {
        server_info(&self.0)
    }
}

fn server_info(ctx: &Ctx) -> ServerInfo {
    let status = ctx.transport.world_status(ctx.world).unwrap_or_default();
    let newest = ctx.settings.accepted_builds.iter().copied().max().unwrap_or(159);
    ServerInfo {
        name: ctx.settings.name.clone(),
        map: status.map,
        players: i32::try_from(ctx.registry.player_count()).unwrap_or(i32::MAX),
        wave: status.wave,
        version: newest as i32,
        version_type: handshake::OFFICIAL.into(),
        gamemode: status.gamemode,
        player_limit: i32::try_from(ctx.settings.max_players).unwrap_or(i32::MAX),
        description: ctx.settings.description.clone(),
        mode_name: status.mode_name,
        port: ctx.port as i16,
    }
}
