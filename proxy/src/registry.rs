//! Shared state of one proxy: live connections (by Arc connection id and by registered UDP address), who is
//! online (for the handshake's duplicate checks and the player count), per-IP connect rates and recent kicks.
//!
//! Owns: that bookkeeping behind one mutex, with short critical sections (no await while locked). Does not own:
//! sockets or sessions. Invariants: a connection id is unique among live connections; a UDP address maps to at
//! most one connection; a player is in [`Online`] exactly while its session is open.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use multidustry_protocol::{Body, FrameError};
use multidustrycore::messages::{KickReason, SessionId};
use tokio::sync::mpsc;

use crate::handshake::{Admitted, Online};

/// How long a kick of type kick/banned/vote keeps the player out (`recentKick`, Java's 30 s default).
pub const KICK_COOLDOWN: Duration = Duration::from_secs(30);

/// Window of the per-IP distinct-uuid limit (3 hours, as the Java server).
pub const UUID_WINDOW: Duration = Duration::from_secs(3 * 60 * 60);

/// What the UDP task hands a connection.
#[derive(Debug)]
pub(crate) enum UdpEvent {
    /// The client's RegisterUDP arrived from this address.
    Registered(SocketAddr),
    /// A datagram from the registered address.
    Body(Body),
    /// A datagram from the registered address that did not decode.
    Bad(FrameError),
}

#[derive(Debug)]
struct ConnSlot {
    events: mpsc::Sender<UdpEvent>,
    udp: Option<SocketAddr>,
}

#[derive(Debug, Default)]
struct Inner {
    conns: HashMap<i32, ConnSlot>,
    by_udp: HashMap<SocketAddr, i32>,
    online: Online,
    players: HashMap<SessionId, (String, String, String)>,
    connects: HashMap<IpAddr, VecDeque<Instant>>,
    kicks: HashMap<String, Instant>,
    /// Distinct uuids seen per IP, with when each was last seen (the per-IP uuid limit).
    uuids_by_ip: HashMap<IpAddr, HashMap<String, Instant>>,
}

/// See the module doc.
#[derive(Debug, Default)]
pub(crate) struct Registry {
    inner: Mutex<Inner>,
}

impl Registry {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers a new TCP connection under a fresh random id.
    pub fn add_conn(&self, events: mpsc::Sender<UdpEvent>) -> i32 {
        let mut g = self.lock();
        let mut id = rand::random::<i32>();
        while id == 0 || g.conns.contains_key(&id) {
            id = rand::random::<i32>();
        }
        g.conns.insert(id, ConnSlot { events, udp: None });
        id
    }

    /// Forgets a connection and its UDP address.
    pub fn remove_conn(&self, id: i32) {
        let mut g = self.lock();
        if let Some(slot) = g.conns.remove(&id)
            && let Some(addr) = slot.udp
        {
            g.by_udp.remove(&addr);
        }
    }

    /// Records `addr` as the UDP address of connection `id` (first RegisterUDP wins; duplicates and unknown ids
    /// are ignored). Returns the connection's event channel when this registration is new.
    pub fn register_udp(&self, id: i32, addr: SocketAddr) -> Option<mpsc::Sender<UdpEvent>> {
        let mut g = self.lock();
        if g.by_udp.contains_key(&addr) {
            return None;
        }
        let slot = g.conns.get_mut(&id)?;
        if slot.udp.is_some() {
            return None;
        }
        slot.udp = Some(addr);
        let tx = slot.events.clone();
        g.by_udp.insert(addr, id);
        Some(tx)
    }

    /// The connection registered for datagrams from `addr`.
    pub fn route_udp(&self, addr: SocketAddr) -> Option<mpsc::Sender<UdpEvent>> {
        let g = self.lock();
        let id = g.by_udp.get(&addr)?;
        g.conns.get(id).map(|s| s.events.clone())
    }

    /// Counts a connection attempt from `ip`; false when it exceeds `per_minute` in the last minute (0 = no
    /// limit).
    pub fn allow_connect(&self, ip: IpAddr, now: Instant, per_minute: u32) -> bool {
        if per_minute == 0 {
            return true;
        }
        let mut g = self.lock();
        if g.connects.len() > 10_000 {
            g.connects.retain(|_, q| q.back().is_some_and(|t| now.duration_since(*t) < Duration::from_secs(60)));
        }
        let q = g.connects.entry(ip).or_default();
        while q.front().is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(60)) {
            q.pop_front();
        }
        if q.len() >= per_minute as usize {
            return false;
        }
        q.push_back(now);
        true
    }

    /// Runs the handshake against the current online set and, if it admits the player, marks it online — one
    /// atomic step, so two clients racing with the same name cannot both get in.
    ///
    /// `uuid_limit` (0 = none) is step 5 of the handshake: an IP that joined with that many other uuids within
    /// [`UUID_WINDOW`] is refused for a new one (the check reports it; `validate` kicks `banned` at its place).
    pub fn admit(
        &self,
        session: SessionId,
        uuid: &str,
        ip: IpAddr,
        uuid_limit: u32,
        now: Instant,
        check: impl FnOnce(&Online, crate::handshake::Checks) -> Result<Admitted, KickReason>,
    ) -> Result<Admitted, KickReason> {
        let mut g = self.lock();
        let recently_kicked = g.kicks.get(uuid).is_some_and(|t| now.duration_since(*t) < KICK_COOLDOWN);
        if g.uuids_by_ip.len() > 10_000 {
            g.uuids_by_ip.retain(|_, m| m.values().any(|t| now.duration_since(*t) < UUID_WINDOW));
        }
        let seen = g.uuids_by_ip.entry(ip).or_default();
        seen.retain(|_, t| now.duration_since(*t) < UUID_WINDOW);
        let too_many_uuids = uuid_limit > 0 && !seen.contains_key(uuid) && seen.len() >= uuid_limit as usize;
        if !too_many_uuids && seen.len() < 1024 {
            seen.insert(uuid.to_string(), now);
        }
        let a = check(&g.online, crate::handshake::Checks { recently_kicked, too_many_uuids })?;
        g.online.names.insert(a.name_key.clone());
        g.online.uuids.insert(a.player.uuid.clone());
        g.online.usids.insert(a.player.usid.clone());
        g.players.insert(session, (a.name_key.clone(), a.player.uuid.clone(), a.player.usid.clone()));
        Ok(a)
    }

    /// Marks a session's player offline.
    pub fn remove_player(&self, session: SessionId) {
        let mut g = self.lock();
        if let Some((name, uuid, usid)) = g.players.remove(&session) {
            g.online.names.remove(&name);
            g.online.uuids.remove(&uuid);
            g.online.usids.remove(&usid);
        }
    }

    /// Starts the kick cool-down for a uuid. (Java also keys it by IP; we do not, so one kicked player behind a
    /// shared address — or one bot on loopback — does not lock out everyone else there.)
    pub fn record_kick(&self, uuid: &str, now: Instant) {
        let mut g = self.lock();
        g.kicks.retain(|_, t| now.duration_since(*t) < KICK_COOLDOWN);
        g.kicks.insert(uuid.to_string(), now);
    }

    /// Players online.
    pub fn player_count(&self) -> usize {
        self.lock().online.count()
    }

    /// Open TCP connections (joined or not).
    pub fn conn_count(&self) -> usize {
        self.lock().conns.len()
    }
}
