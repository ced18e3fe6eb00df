//! How [`crate::messages`] travel between proxies and world hosts.
//!
//! Owns: the [`Transport`] trait, the two endpoint types every implementation hands out ([`ProxySession`] for
//! the proxy side, one per player session; [`WorldEnd`] for the world side, one per hosted world), and the
//! in-process implementation over bounded `kanal` channels ([`InProcess`], used by the monolith and tests).
//! Does not own: what the messages mean (see `messages`), sockets, or the QUIC implementation (cluster issue).
//!
//! ```text
//!   proxy task (async)                                   world thread (sync, never blocks)
//!   ProxySession::send(ClientMsg) ──▶ [ one bounded inbound queue per world ] ──▶ WorldEnd::try_recv()
//!   ProxySession::recv()          ◀── [ one bounded queue per session       ] ◀── WorldEnd::send(ToProxy)
//! ```
//!
//! The inbound queue is a `kanal` channel (sync side for world threads). Each session's queue is a tokio
//! `mpsc` channel: `try_send` works from any thread without a runtime, and its `recv` is cancel safe, which
//! the proxy needs inside `select!` (kanal's async receive future drops a message handed to it when it is
//! cancelled, so [`WorldEnd::recv_async`] must not be raced in a `select!`).
//!
//! Invariants:
//! - Opening a session enqueues [`ToWorld::Join`] before anything else of that session; closing it (explicitly
//!   with [`ProxySession::leave`] or by dropping it) enqueues exactly one [`ToWorld::Leave`] and unregisters it,
//!   so the world never receives anything for the session afterwards. The `Leave` is never lost: if the inbound
//!   queue is full at drop time it goes to a side list that [`WorldEnd::try_recv`] drains once the queue is
//!   empty.
//! - [`WorldEnd::send`] never blocks. When a session's queue is full the session is marked overflowed and
//!   unregistered, `send` reports [`SendError::Full`] with the session, and the proxy side's next
//!   [`ProxySession::recv`] returns [`SessionClosed::Overflow`]: the proxy kicks that client and the world
//!   later receives its `Leave { reason: Overflow }`. The tick is never held up by a slow client.
//! - Messages for a session that has already left are dropped silently (its `Leave` is on the way).
//! - Dropping the (last clone of a) [`WorldEnd`] detaches the world: its live sessions' `recv` returns
//!   [`SessionClosed::WorldGone`] and new sessions fail with [`TransportError::NoWorld`].
//!
//! A QUIC implementation fits the same shape: `open_session` opens one bidirectional stream per session (CBOR
//! frames of `ToWorld`/`ToProxy`), unreliable packets go as datagrams, and pump tasks move frames between the
//! stream and the same bounded channels, so proxies and world threads see identical endpoints.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use crate::messages::{ClientMsg, LeaveReason, OutPacket, PlayerInfo, SessionId, Target, ToProxy, ToWorld};
use crate::messages::{WorldId, WorldStatus};

/// Default capacity of a world's inbound queue (messages from all its sessions).
pub const DEFAULT_INBOUND_CAPACITY: usize = 8192;
/// Default capacity of one session's outbound queue (world → proxy). At 60 ticks/s and the Java cadence (a few
/// packets per tick per player) this is several seconds of traffic; a client that falls this far behind is
/// kicked.
pub const DEFAULT_SESSION_CAPACITY: usize = 2048;

/// Moves messages between proxies and world hosts. Object safe: services hold an `Arc<dyn Transport>`.
pub trait Transport: Send + Sync + fmt::Debug + 'static {
    /// World side: starts hosting `world` on this transport. Sessions opened for it arrive at the returned end.
    fn attach_world(&self, world: WorldId) -> Result<WorldEnd, TransportError>;

    /// Proxy side: opens `session` for a validated player on the host of `world`. The world's first message for
    /// it is `ToWorld::Join { session, player }`.
    fn open_session(
        &self,
        world: WorldId,
        session: SessionId,
        player: PlayerInfo,
    ) -> Result<ProxySession, TransportError>;

    /// The latest status the world published (map name, wave, …), for discovery replies. `None` when the world
    /// is not attached.
    fn world_status(&self, world: WorldId) -> Option<WorldStatus>;
}

/// A transport operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// No host serves this world (not attached, or detached).
    #[error("no host serves world {0}")]
    NoWorld(WorldId),
    /// The world is already attached on this transport.
    #[error("world {0} is already attached")]
    AlreadyAttached(WorldId),
    /// The session id is already open.
    #[error("session {0} is already open")]
    DuplicateSession(SessionId),
    /// The inbound queue is full (only from [`ProxySession::try_send`]).
    #[error("the world's inbound queue is full")]
    Full,
    /// The other side is gone.
    #[error("the other side is gone")]
    Closed,
}

/// [`WorldEnd::send`] could not deliver to some sessions.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// These sessions' queues were full: they are now overflowed (the proxy kicks them) and unregistered.
    #[error("outbound queue full for {0:?}")]
    Full(Vec<SessionId>),
}

/// Why [`ProxySession::recv`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SessionClosed {
    /// The client read too slowly and the session's outbound queue filled. Kick the client.
    #[error("the session's outbound queue overflowed")]
    Overflow,
    /// The world host detached (shutdown or crash).
    #[error("the world host is gone")]
    WorldGone,
}

// ---------------------------------------------------------------------------------------------------------------
// endpoints

/// The proxy's end of one player session. Async; used from the proxy's connection task.
pub struct ProxySession {
    id: SessionId,
    world: WorldId,
    to_world: kanal::AsyncSender<ToWorld>,
    from_world: tokio::sync::mpsc::Receiver<ToProxy>,
    overflow: Arc<AtomicBool>,
    slot: Arc<WorldSlot>,
    left: bool,
}

impl fmt::Debug for ProxySession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxySession").field("id", &self.id).field("world", &self.world).finish_non_exhaustive()
    }
}

impl ProxySession {
    /// Builds a session end from its parts (for transport implementations).
    fn new(
        id: SessionId,
        world: WorldId,
        to_world: kanal::AsyncSender<ToWorld>,
        from_world: tokio::sync::mpsc::Receiver<ToProxy>,
        overflow: Arc<AtomicBool>,
        slot: Arc<WorldSlot>,
    ) -> Self {
        Self { id, world, to_world, from_world, overflow, slot, left: false }
    }

    /// This session's id.
    pub fn id(&self) -> SessionId {
        self.id
    }

    /// The world it is attached to.
    pub fn world(&self) -> WorldId {
        self.world
    }

    /// Sends a client message, waiting while the world's inbound queue is full (back-pressure onto this one
    /// client's socket reads).
    pub async fn send(&self, msg: ClientMsg) -> Result<(), TransportError> {
        self.to_world.send(ToWorld::Client { session: self.id, msg }).await.map_err(|_| TransportError::Closed)
    }

    /// Sends a client message if there is room now.
    pub fn try_send(&self, msg: ClientMsg) -> Result<(), TransportError> {
        let mut m = Some(ToWorld::Client { session: self.id, msg });
        match self.to_world.try_send_option(&mut m) {
            Ok(true) => Ok(()),
            Ok(false) => Err(TransportError::Full),
            Err(_) => Err(TransportError::Closed),
        }
    }

    /// The next message from the world for this session. Cancel safe (may be raced in `select!`).
    pub async fn recv(&mut self) -> Result<ToProxy, SessionClosed> {
        if self.overflow.load(Ordering::Acquire) {
            return Err(SessionClosed::Overflow);
        }
        match self.from_world.recv().await {
            Some(m) => Ok(m),
            None if self.overflow.load(Ordering::Acquire) => Err(SessionClosed::Overflow),
            None => Err(SessionClosed::WorldGone),
        }
    }

    /// Whether the world overflowed this session's queue (the proxy should kick the client). Lets a proxy that
    /// is blocked writing to a slow client notice without waiting for [`Self::recv`].
    pub fn overflowed(&self) -> bool {
        self.overflow.load(Ordering::Acquire)
    }

    /// A message from the world if one is queued, without waiting.
    pub fn try_recv(&mut self) -> Result<Option<ToProxy>, SessionClosed> {
        if self.overflow.load(Ordering::Acquire) {
            return Err(SessionClosed::Overflow);
        }
        match self.from_world.try_recv() {
            Ok(m) => Ok(Some(m)),
            Err(tokio::sync::mpsc::error::TryRecvError::Empty) => Ok(None),
            Err(tokio::sync::mpsc::error::TryRecvError::Disconnected) => Err(SessionClosed::WorldGone),
        }
    }

    /// Ends the session with `reason`: unregisters it and delivers `Leave` to the world (waiting for room).
    pub async fn leave(mut self, reason: LeaveReason) {
        self.left = true;
        self.slot.remove(self.id);
        let msg = ToWorld::Leave { session: self.id, reason };
        if let Err(kanal::SendError::Closed | kanal::SendError::ReceiveClosed) = self.to_world.send(msg).await {
            // The world is gone; nobody to tell.
        }
    }
}

impl Drop for ProxySession {
    fn drop(&mut self) {
        if self.left {
            return;
        }
        self.slot.remove(self.id);
        let mut msg = Some(ToWorld::Leave { session: self.id, reason: LeaveReason::Disconnected });
        if let Ok(false) = self.to_world.try_send_option(&mut msg)
            && let Some(m) = msg
        {
            lock(&self.slot.pending_leaves).push(m);
        }
    }
}

/// The world host's end: all sessions of one world. Sync and non-blocking (world threads never await); cheap to
/// clone. Dropping the last clone detaches the world.
#[derive(Clone)]
pub struct WorldEnd {
    inner: Arc<WorldEndInner>,
}

struct WorldEndInner {
    world: WorldId,
    inbound: kanal::Receiver<ToWorld>,
    slot: Arc<WorldSlot>,
    shared: Arc<Shared>,
}

impl Drop for WorldEndInner {
    fn drop(&mut self) {
        lock(&self.shared.worlds).remove(&self.world);
        lock(&self.slot.sessions).clear();
    }
}

impl fmt::Debug for WorldEnd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorldEnd").field("world", &self.inner.world).finish_non_exhaustive()
    }
}

impl WorldEnd {
    /// The world this end serves.
    pub fn world(&self) -> WorldId {
        self.inner.world
    }

    /// The next message from any session, or `None` when nothing is queued. Never blocks.
    pub fn try_recv(&self) -> Option<ToWorld> {
        match self.inner.inbound.try_recv() {
            Ok(Some(m)) => Some(m),
            Ok(None) | Err(_) => self.pending_leave(),
        }
    }

    /// Moves everything queued now into `out` (at most `max` messages); returns how many. Never blocks.
    pub fn drain_into(&self, out: &mut Vec<ToWorld>, max: usize) -> usize {
        let mut n = 0;
        while n < max {
            match self.try_recv() {
                Some(m) => out.push(m),
                None => break,
            }
            n += 1;
        }
        n
    }

    /// Waits up to `timeout` for a message (for idle loops and tests; a ticking world uses [`Self::try_recv`]).
    pub fn recv_timeout(&self, timeout: Duration) -> Option<ToWorld> {
        if let Some(m) = self.try_recv() {
            return Some(m);
        }
        match self.inner.inbound.recv_timeout(timeout) {
            Ok(m) => Some(m),
            Err(_) => self.pending_leave(),
        }
    }

    /// Waits for a message, asynchronously (for a tokio-side world host). `None` if every sender is gone.
    /// Not cancel safe: do not race it in `select!` (a message handed to a cancelled wait is lost).
    pub async fn recv_async(&self) -> Option<ToWorld> {
        if let Some(m) = self.try_recv() {
            return Some(m);
        }
        self.inner.inbound.as_async().recv().await.ok().or_else(|| self.pending_leave())
    }

    fn pending_leave(&self) -> Option<ToWorld> {
        let mut p = lock(&self.inner.slot.pending_leaves);
        if p.is_empty() { None } else { Some(p.remove(0)) }
    }

    /// Sends to one session or broadcasts to every session of this world. Never blocks. A full session queue
    /// overflows that session (see the module doc) and is reported in [`SendError::Full`]; other receivers still
    /// get the message. Messages for sessions that have left are dropped. `OutPacket::Raw` only reaches sessions
    /// of its build.
    pub fn send(&self, msg: ToProxy) -> Result<(), SendError> {
        let slot = &self.inner.slot;
        let mut full = Vec::new();
        {
            let sessions = lock(&slot.sessions);
            let raw_build = match &msg {
                ToProxy::Packet { packet: OutPacket::Raw { build, .. }, .. } => Some(*build),
                _ => None,
            };
            let wants = |out: &SessionOut| raw_build.is_none_or(|b| b == out.build);
            match msg.session() {
                Some(id) => {
                    if let Some(out) = sessions.get(&id).filter(|o| wants(o))
                        && !out.offer(msg)
                    {
                        full.push(id);
                    }
                }
                None => {
                    debug_assert!(matches!(msg, ToProxy::Packet { to: Target::World, .. }));
                    for (id, out) in sessions.iter().filter(|(_, o)| wants(o)) {
                        if !out.offer(msg.clone()) {
                            full.push(*id);
                        }
                    }
                }
            }
        }
        if full.is_empty() {
            return Ok(());
        }
        let mut sessions = lock(&slot.sessions);
        for id in &full {
            if let Some(out) = sessions.remove(id) {
                out.overflow.store(true, Ordering::Release);
                // Dropping `out.tx` wakes a proxy blocked in `recv`.
            }
        }
        Err(SendError::Full(full))
    }

    /// Publishes the world's status for discovery replies.
    pub fn publish_status(&self, status: WorldStatus) {
        *lock(&self.inner.slot.status) = status;
    }

    /// Sessions currently registered (joined and not yet left).
    pub fn session_count(&self) -> usize {
        lock(&self.inner.slot.sessions).len()
    }
}

// ---------------------------------------------------------------------------------------------------------------
// the in-process implementation

/// The in-process transport: kanal channels inside one process (monolith, tests). Cheap to clone; clones share
/// the same worlds.
#[derive(Clone, Default)]
pub struct InProcess {
    shared: Arc<Shared>,
}

impl fmt::Debug for InProcess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let worlds: Vec<WorldId> = lock(&self.shared.worlds).keys().copied().collect();
        f.debug_struct("InProcess").field("worlds", &worlds).finish()
    }
}

#[derive(Default)]
struct Shared {
    worlds: Mutex<HashMap<WorldId, Arc<WorldSlot>>>,
    capacities: Mutex<Option<(usize, usize)>>,
}

struct WorldSlot {
    inbound: kanal::Sender<ToWorld>,
    sessions: Mutex<HashMap<SessionId, SessionOut>>,
    pending_leaves: Mutex<Vec<ToWorld>>,
    status: Mutex<WorldStatus>,
    session_capacity: usize,
}

impl WorldSlot {
    fn remove(&self, id: SessionId) {
        lock(&self.sessions).remove(&id);
    }
}

struct SessionOut {
    tx: tokio::sync::mpsc::Sender<ToProxy>,
    build: u32,
    overflow: Arc<AtomicBool>,
}

impl SessionOut {
    /// Queues `msg`; false when the queue is full. A closed queue (proxy side gone) counts as delivered.
    fn offer(&self, msg: ToProxy) -> bool {
        !matches!(self.tx.try_send(msg), Err(tokio::sync::mpsc::error::TrySendError::Full(_)))
    }
}

impl InProcess {
    /// A transport with the default queue sizes.
    pub fn new() -> Self {
        Self::default()
    }

    /// A transport with explicit queue sizes (each at least 1): the world inbound queue and each session's
    /// outbound queue. Tests use small ones to exercise overflow.
    pub fn with_capacities(inbound: usize, per_session: usize) -> Self {
        let t = Self::default();
        *lock(&t.shared.capacities) = Some((inbound.max(1), per_session.max(1)));
        t
    }

    fn capacities(&self) -> (usize, usize) {
        lock(&self.shared.capacities).unwrap_or((DEFAULT_INBOUND_CAPACITY, DEFAULT_SESSION_CAPACITY))
    }
}

impl Transport for InProcess {
    fn attach_world(&self, world: WorldId) -> Result<WorldEnd, TransportError> {
        let (inbound_cap, session_cap) = self.capacities();
        let mut worlds = lock(&self.shared.worlds);
        if worlds.contains_key(&world) {
            return Err(TransportError::AlreadyAttached(world));
        }
        let (tx, rx) = kanal::bounded(inbound_cap);
        let slot = Arc::new(WorldSlot {
            inbound: tx,
            sessions: Mutex::new(HashMap::new()),
            pending_leaves: Mutex::new(Vec::new()),
            status: Mutex::new(WorldStatus::default()),
            session_capacity: session_cap,
        });
        worlds.insert(world, slot.clone());
        Ok(WorldEnd { inner: Arc::new(WorldEndInner { world, inbound: rx, slot, shared: self.shared.clone() }) })
    }

    fn open_session(
        &self,
        world: WorldId,
        session: SessionId,
        player: PlayerInfo,
    ) -> Result<ProxySession, TransportError> {
        let slot = lock(&self.shared.worlds).get(&world).cloned().ok_or(TransportError::NoWorld(world))?;
        let (tx, rx) = tokio::sync::mpsc::channel(slot.session_capacity);
        let overflow = Arc::new(AtomicBool::new(false));
        {
            let mut sessions = lock(&slot.sessions);
            if sessions.contains_key(&session) {
                return Err(TransportError::DuplicateSession(session));
            }
            sessions.insert(session, SessionOut { tx, build: player.build, overflow: overflow.clone() });
        }
        let to_world = slot.inbound.clone_async();
        let mut join = Some(ToWorld::Join { session, player });
        match to_world.try_send_option(&mut join) {
            Ok(true) => {}
            Ok(false) => {
                slot.remove(session);
                return Err(TransportError::Full);
            }
            Err(_) => {
                slot.remove(session);
                return Err(TransportError::NoWorld(world));
            }
        }
        Ok(ProxySession::new(session, world, to_world, rx, overflow, slot))
    }

    fn world_status(&self, world: WorldId) -> Option<WorldStatus> {
        let slot = lock(&self.shared.worlds).get(&world).cloned()?;
        let status = lock(&slot.status).clone();
        Some(status)
    }
}

/// Locks a mutex, recovering from poisoning (the protected maps stay consistent across a panic: every critical
/// section is a single insert/remove/clone).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use super::*;
    use crate::messages::{KickReason, Reliability};

    fn player(name: &str, build: u32) -> PlayerInfo {
        PlayerInfo {
            name: name.into(),
            uuid: format!("{name}-uuid"),
            usid: format!("{name}-usid"),
            build,
            color: 0xffff_ffff,
            locale: "en".into(),
            ip: IpAddr::from([127, 0, 0, 1]),
            admin: false,
            mobile: false,
        }
    }

    fn raw(build: u32) -> ToProxy {
        ToProxy::Packet {
            to: Target::World,
            packet: OutPacket::Raw { build, id: 1, payload: vec![build as u8] },
            reliability: Reliability::Unreliable,
        }
    }

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a test runtime builds")
    }

    #[test]
    fn join_client_leave_arrive_in_order() {
        let t = InProcess::new();
        let world = t.attach_world(WorldId::DEFAULT).expect("first attach");
        let s = t.open_session(WorldId::DEFAULT, SessionId(1), player("a", 159)).expect("world is attached");
        rt().block_on(async {
            s.send(ClientMsg::ConnectConfirm).await.expect("room");
            s.leave(LeaveReason::Timeout).await;
        });
        assert!(matches!(world.try_recv(), Some(ToWorld::Join { session: SessionId(1), .. })));
        assert!(matches!(world.try_recv(), Some(ToWorld::Client { msg: ClientMsg::ConnectConfirm, .. })));
        assert!(matches!(world.try_recv(), Some(ToWorld::Leave { reason: LeaveReason::Timeout, .. })));
        assert_eq!(world.try_recv(), None);
        assert_eq!(world.session_count(), 0);
    }

    #[test]
    fn drop_sends_leave_even_when_inbound_is_full() {
        let t = InProcess::with_capacities(1, 4);
        let world = t.attach_world(WorldId::DEFAULT).expect("attach");
        let s = t.open_session(WorldId::DEFAULT, SessionId(9), player("a", 159)).expect("open");
        // The Join fills the single slot; the Leave must go to the side list.
        assert_eq!(s.try_send(ClientMsg::ConnectConfirm), Err(TransportError::Full));
        drop(s);
        assert!(matches!(world.try_recv(), Some(ToWorld::Join { .. })));
        assert!(matches!(world.try_recv(), Some(ToWorld::Leave { reason: LeaveReason::Disconnected, .. })));
        assert_eq!(world.try_recv(), None);
    }

    #[test]
    fn broadcast_raw_reaches_only_matching_build() {
        let t = InProcess::new();
        let world = t.attach_world(WorldId::DEFAULT).expect("attach");
        let mut a = t.open_session(WorldId::DEFAULT, SessionId(1), player("a", 159)).expect("open");
        let mut b = t.open_session(WorldId::DEFAULT, SessionId(2), player("b", 154)).expect("open");
        world.send(raw(159)).expect("room");
        world.send(raw(154)).expect("room");
        let text = ToProxy::Packet {
            to: Target::World,
            packet: OutPacket::Message { text: "hi".into() },
            reliability: Reliability::Reliable,
        };
        world.send(text.clone()).expect("room");
        assert_eq!(a.try_recv(), Ok(Some(raw(159))));
        assert_eq!(a.try_recv(), Ok(Some(text.clone())));
        assert_eq!(a.try_recv(), Ok(None));
        assert_eq!(b.try_recv(), Ok(Some(raw(154))));
        assert_eq!(b.try_recv(), Ok(Some(text)));
    }

    #[test]
    fn full_session_overflows_without_blocking_and_others_continue() {
        let t = InProcess::with_capacities(16, 2);
        let world = t.attach_world(WorldId::DEFAULT).expect("attach");
        let mut slow = t.open_session(WorldId::DEFAULT, SessionId(1), player("slow", 159)).expect("open");
        let mut fast = t.open_session(WorldId::DEFAULT, SessionId(2), player("fast", 159)).expect("open");
        world.send(raw(159)).expect("room");
        assert_eq!(fast.try_recv(), Ok(Some(raw(159))));
        world.send(raw(159)).expect("room");
        assert_eq!(fast.try_recv(), Ok(Some(raw(159))));
        // slow now holds 2 = capacity; the third overflows it.
        assert_eq!(world.send(raw(159)), Err(SendError::Full(vec![SessionId(1)])));
        assert_eq!(slow.try_recv(), Err(SessionClosed::Overflow));
        assert_eq!(rt().block_on(slow.recv()), Err(SessionClosed::Overflow));
        assert_eq!(fast.try_recv(), Ok(Some(raw(159))));
        assert_eq!(world.session_count(), 1);
        // A kick for the overflowed session is dropped quietly (its Leave is coming).
        world.send(ToProxy::Kick { session: SessionId(1), reason: KickReason::Kick }).expect("dropped quietly");
        drop(slow);
        let msgs: Vec<_> = std::iter::from_fn(|| world.try_recv()).collect();
        assert!(msgs.iter().any(|m| matches!(m, ToWorld::Leave { session: SessionId(1), .. })));
    }

    #[test]
    fn detach_closes_sessions_and_rejects_new_ones() {
        let t = InProcess::new();
        let world = t.attach_world(WorldId(3)).expect("attach");
        assert_eq!(t.attach_world(WorldId(3)).err(), Some(TransportError::AlreadyAttached(WorldId(3))));
        world.publish_status(WorldStatus { map: "Fortress".into(), wave: 2, ..Default::default() });
        assert_eq!(t.world_status(WorldId(3)).map(|s| s.map), Some("Fortress".into()));
        let mut s = t.open_session(WorldId(3), SessionId(1), player("a", 159)).expect("open");
        assert_eq!(
            t.open_session(WorldId(3), SessionId(1), player("b", 159)).err(),
            Some(TransportError::DuplicateSession(SessionId(1)))
        );
        drop(world);
        assert_eq!(rt().block_on(s.recv()), Err(SessionClosed::WorldGone));
        assert_eq!(
            t.open_session(WorldId(3), SessionId(2), player("c", 159)).err(),
            Some(TransportError::NoWorld(WorldId(3)))
        );
        assert_eq!(t.world_status(WorldId(3)), None);
    }
}
