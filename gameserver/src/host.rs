//! The world thread: one OS thread per hosted world, ticking its [`Sim`] at a fixed rate.
//!
//! Owns: the tick loop (drain the transport's bounded inbound queue without blocking, translate
//! [`ToWorld`] into sim inputs, tick, encode outputs per client build and hand them to the transport, which
//! never blocks either), periodic and final snapshots, console requests, published world status, and tick
//! statistics. Does not own: file formats and the world stream (behind [`WorldIo`]), game rules (`sim`),
//! ban storage (behind [`AccessControl`]).
//!
//! ```text
//!   loop every 1/tick_rate s:
//!     requests (console, shutdown) ─┐
//!     WorldEnd::drain_into ─────────┼─▶ Sim::handle … Sim::tick ─▶ wire::encode ─▶ WorldEnd::send
//!     snapshot timer ───────────────┘                                (WorldIo::world_stream for joins)
//! ```
//!
//! Invariants: the thread never awaits and never blocks on a client (a full session queue overflows that
//! session in the transport); it sleeps only between ticks; a shutdown always ends with a save attempt.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use multidustrycore::messages::{self, ClientMsg, LeaveReason, ToProxy, ToWorld, WorldStatus};
use multidustrycore::transport::WorldEnd;

use crate::console::{self, AccessControl, ConsoleAction, HostFacts};
use crate::sim::{Call, Input, JoinRequest, KickReason, Output, PlayerState, Sim, Target};
use crate::wire;

/// File formats and the world stream, as the world crate provides them.
pub trait WorldIo: Send + 'static {
    /// The complete zlib-deflated world stream (`NetworkIO.writeWorld`) for `player`, in its build's layout.
    fn world_stream(&mut self, sim: &Sim, player: &PlayerState) -> Result<Vec<u8>, String>;
    /// Writes a snapshot of the world to `path` (atomically: a crash leaves the previous file intact).
    fn save(&mut self, sim: &Sim, path: &Path) -> Result<(), String>;
    /// Copies what a snapshot needs out of the world (cheap, on the world thread) and returns the expensive
    /// rest (encoding, compression, file IO) to run on the saver thread. `None`: this IO only saves with
    /// [`WorldIo::save`], on the world thread.
    fn capture(&mut self, _sim: &Sim) -> Option<SaveTask> {
        None
    }
    /// Map name for the server list and the console.
    fn map_name(&self) -> String;
    /// `Gamemode` ordinal (0 survival, 1 sandbox, …).
    fn gamemode(&self) -> u8 {
        0
    }
}

/// The off-thread part of a snapshot: writes it to the path given.
pub type SaveTask = Box<dyn FnOnce(&Path) -> Result<(), String> + Send>;

/// A snapshot for the saver thread, with the console reply to complete when it is written.
struct SaveMsg {
    task: SaveTask,
    path: PathBuf,
    captured_us: u64,
    reply: Option<(Vec<String>, kanal::Sender<Vec<String>>)>,
}

/// Runs snapshots in order on one thread; a periodic snapshot is skipped while the previous one is still
/// being written (the queue holds one).
fn spawn_saver() -> std::io::Result<(kanal::Sender<SaveMsg>, JoinHandle<()>)> {
    let (tx, rx) = kanal::bounded::<SaveMsg>(1);
    let thread = std::thread::Builder::new().name("world-0-saver".into()).spawn(move || {
        while let Ok(msg) = rx.recv() {
            let started = Instant::now();
            let line = match (msg.task)(&msg.path) {
                Ok(()) => {
                    tracing::info!(
                        path = %msg.path.display(),
                        world_thread_us = msg.captured_us,
                        write_ms = started.elapsed().as_millis() as u64,
                        "world saved"
                    );
                    format!("Saved to {}.", msg.path.display())
                }
                Err(e) => {
                    tracing::error!(path = %msg.path.display(), error = %e, "could not save the world");
                    format!("Could not save: {e}")
                }
            };
            if let Some((mut lines, reply)) = msg.reply {
                lines.push(line);
                let _ = reply.send(lines);
            }
        }
    })?;
    Ok((tx, thread))
}

/// How a world host runs.
#[derive(Debug, Clone)]
pub struct HostConfig {
    /// Ticks per second.
    pub tick_rate: u32,
    /// Snapshot period; `None` disables periodic snapshots (shutdown still saves).
    pub snapshot_interval: Option<Duration>,
    /// Where snapshots go.
    pub save_path: PathBuf,
}

enum Request {
    Console(String, kanal::Sender<Vec<String>>),
    Shutdown,
}

/// Statistics of the tick loop.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TickStats {
    /// Ticks completed in the last full second.
    pub tps: f32,
    /// Mean busy time of a tick over the last second, microseconds.
    pub mean_tick_us: f32,
    /// Longest tick over the last second, microseconds.
    pub max_tick_us: f32,
}

/// A running world thread.
#[derive(Debug)]
pub struct WorldHost {
    thread: Option<JoinHandle<()>>,
    requests: kanal::Sender<Request>,
    exit_requested: Arc<AtomicBool>,
    stats: Arc<std::sync::Mutex<TickStats>>,
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Request::Console(l, _) => write!(f, "Console({l:?})"),
            Request::Shutdown => f.write_str("Shutdown"),
        }
    }
}

impl WorldHost {
    /// Starts the world thread.
    pub fn spawn(
        sim: Sim,
        end: WorldEnd,
        io: Box<dyn WorldIo>,
        access: Box<dyn AccessControl>,
        config: HostConfig,
    ) -> std::io::Result<Self> {
        let (tx, rx) = kanal::bounded(64);
        let exit_requested = Arc::new(AtomicBool::new(false));
        let stats = Arc::new(std::sync::Mutex::new(TickStats::default()));
        let saver = spawn_saver()?;
        let mut runner = Runner {
            saver: Some(saver),
            sim,
            end,
            io,
            access,
            config,
            requests: rx,
            exit_requested: exit_requested.clone(),
            stats: stats.clone(),
            out: Vec::new(),
            inbox: Vec::new(),
        };
        let thread = std::thread::Builder::new().name("world-0".into()).spawn(move || runner.run())?;
        Ok(Self { thread: Some(thread), requests: tx, exit_requested, stats })
    }

    /// Runs a console line on the world thread and returns its reply (waits at most 5 s).
    pub fn console(&self, line: &str) -> Vec<String> {
        let (tx, rx) = kanal::bounded(1);
        if self.requests.send(Request::Console(line.to_string(), tx)).is_err() {
            return vec!["The world is not running.".into()];
        }
        rx.recv_timeout(Duration::from_secs(5)).unwrap_or_else(|_| vec!["The world did not answer.".into()])
    }

    /// Whether the console asked to stop or exit (the world has then saved and stopped).
    pub fn exit_requested(&self) -> bool {
        self.exit_requested.load(Ordering::Acquire)
    }

    /// Whether the world thread has ended.
    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(JoinHandle::is_finished)
    }

    /// The latest tick statistics.
    pub fn stats(&self) -> TickStats {
        self.stats.lock().map(|s| *s).unwrap_or_default()
    }

    /// Stops the world: kicks everyone (`serverClose`), saves, joins the thread.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        let _ = self.requests.send(Request::Shutdown);
        if let Some(t) = self.thread.take()
            && t.join().is_err()
        {
            tracing::error!("the world thread panicked");
        }
    }
}

impl Drop for WorldHost {
    fn drop(&mut self) {
        self.stop();
    }
}

struct Runner {
    saver: Option<(kanal::Sender<SaveMsg>, JoinHandle<()>)>,
    sim: Sim,
    end: WorldEnd,
    io: Box<dyn WorldIo>,
    access: Box<dyn AccessControl>,
    config: HostConfig,
    requests: kanal::Receiver<Request>,
    exit_requested: Arc<AtomicBool>,
    stats: Arc<std::sync::Mutex<TickStats>>,
    out: Vec<ToProxy>,
    inbox: Vec<ToWorld>,
}

/// Most inbound messages handled per tick; the rest wait for the next tick (bounded work per tick).
const MAX_INBOX_PER_TICK: usize = 8192;

impl Runner {
    fn run(&mut self) {
        let period = Duration::from_secs_f64(1.0 / f64::from(self.config.tick_rate.max(1)));
        let start = Instant::now();
        let mut next = start;
        let mut last_save = Instant::now();
        let mut window = (Instant::now(), 0u32, Duration::ZERO, Duration::ZERO);
        let mut last_status = Instant::now() - Duration::from_secs(10);
        tracing::info!(tick_rate = self.config.tick_rate, "world thread started");
        loop {
            let busy = Instant::now();
            match self.requests.try_recv() {
                Ok(Some(Request::Shutdown)) | Err(_) => break,
                Ok(Some(Request::Console(line, reply))) => {
                    let stop = self.console(&line, &reply);
                    if stop {
                        self.exit_requested.store(true, Ordering::Release);
                        break;
                    }
                }
                Ok(None) => {}
            }
            let now = start.elapsed();
            self.inbox.clear();
            self.end.drain_into(&mut self.inbox, MAX_INBOX_PER_TICK);
            let inbox = std::mem::take(&mut self.inbox);
            for msg in &inbox {
                self.handle(now, msg);
            }
            self.inbox = inbox;
            self.sim.tick(now);
            self.flush();

            if let Some(every) = self.config.snapshot_interval
                && last_save.elapsed() >= every
            {
                last_save = Instant::now();
                self.save_in_background(None, None);
            }
            if last_status.elapsed() >= Duration::from_secs(1) {
                last_status = Instant::now();
                self.end.publish_status(WorldStatus {
                    map: self.io.map_name(),
                    wave: self.sim.state.wave,
                    gamemode: self.io.gamemode(),
                    mode_name: String::new(),
                });
            }

            let spent = busy.elapsed();
            window.1 += 1;
            window.2 += spent;
            window.3 = window.3.max(spent);
            if window.0.elapsed() >= Duration::from_secs(1) {
                let secs = window.0.elapsed().as_secs_f32();
                let s = TickStats {
                    tps: window.1 as f32 / secs,
                    mean_tick_us: window.2.as_secs_f32() * 1e6 / window.1.max(1) as f32,
                    max_tick_us: window.3.as_secs_f32() * 1e6,
                };
                if let Ok(mut g) = self.stats.lock() {
                    *g = s;
                }
                window = (Instant::now(), 0, Duration::ZERO, Duration::ZERO);
            }

            next += period;
            let now = Instant::now();
            if next > now {
                std::thread::sleep(next - now);
            } else if now - next > Duration::from_secs(1) {
                // Far behind (debugger, suspended VM): do not try to catch up with a burst of ticks.
                next = now;
            }
        }
        self.shutdown();
    }

    fn handle(&mut self, now: Duration, msg: &ToWorld) {
        let input = match msg {
            ToWorld::Join { session, player } => Input::Join {
                session: session.0,
                request: JoinRequest {
                    build: player.build,
                    name: player.name.clone(),
                    uuid: player.uuid.clone(),
                    usid: player.usid.clone(),
                    color: player.color,
                    locale: player.locale.clone(),
                    admin: player.admin,
                    ip: player.ip.to_string(),
                },
            },
            ToWorld::Client { session, msg } => match msg {
                ClientMsg::ConnectConfirm => Input::ConnectConfirm { session: session.0 },
                ClientMsg::Chat { text } => Input::Chat { session: session.0, text: text.clone() },
                ClientMsg::Packet { id, payload } => {
                    let Some(build) = self.sim.player_by_session(session.0).map(|p| p.build) else { return };
                    match wire::decode_client(session.0, build, *id, payload) {
                        Ok(Some(input)) => input,
                        Ok(None) => return,
                        Err(e) => {
                            tracing::debug!(session = %session, id, error = %e, "malformed client packet dropped");
                            return;
                        }
                    }
                }
                _ => return,
            },
            ToWorld::Leave { session, reason } => Input::Leave { session: session.0, reason: leave_reason(reason) },
            _ => return,
        };
        self.sim.handle(now, input);
    }

    fn builds(&self) -> Vec<u32> {
        let mut b: Vec<u32> = self.sim.players().map(|p| p.build).collect();
        b.sort_unstable();
        b.dedup();
        b
    }

    fn flush(&mut self) {
        let outputs = self.sim.drain();
        if outputs.is_empty() {
            return;
        }
        let builds = self.builds();
        for o in outputs {
            match o {
                Output::Send(Target::Session(s), Call::WorldStream { player_id }) => {
                    let Some(player) = self.sim.player(player_id).cloned() else { continue };
                    match self.io.world_stream(&self.sim, &player) {
                        Ok(data) => self.out.push(ToProxy::WorldStream { session: messages::SessionId(s), data }),
                        Err(e) => {
                            tracing::error!(session = s, error = %e, "could not write the world stream");
                            self.out.push(ToProxy::Kick {
                                session: messages::SessionId(s),
                                reason: messages::KickReason::Text("The server could not send the world.".into()),
                            });
                        }
                    }
                }
                Output::Send(target, call) => wire::encode(target, &call, &builds, &mut self.out),
                Output::Kick(s, reason) => self.out.push(ToProxy::Kick {
                    session: messages::SessionId(s),
                    reason: match reason {
                        KickReason::Kick => messages::KickReason::Kick,
                        KickReason::Banned => messages::KickReason::Banned,
                        KickReason::ServerClose => messages::KickReason::ServerClose,
                        KickReason::Spam => messages::KickReason::Text("You are sending messages too quickly.".into()),
                    },
                }),
                Output::Log(line) => tracing::info!("{line}"),
            }
        }
        for msg in self.out.drain(..) {
            if let Err(e) = self.end.send(msg) {
                tracing::warn!(error = %e, "sessions overflowed; the proxy kicks them");
            }
        }
    }

    fn console(&mut self, line: &str, reply: &kanal::Sender<Vec<String>>) -> bool {
        let s = self.stats.lock().map(|s| *s).unwrap_or_default();
        let facts = HostFacts { map: self.io.map_name(), tps: s.tps, mean_tick_us: s.mean_tick_us };
        let (mut lines, action) = console::run(line, &mut self.sim, self.access.as_mut(), &facts);
        self.flush();
        let stop = match action {
            ConsoleAction::None => false,
            ConsoleAction::Save(name) => {
                // The saver thread answers once the file is written.
                self.save_in_background(name.as_deref(), Some((lines, reply.clone())));
                return false;
            }
            ConsoleAction::Stop | ConsoleAction::Exit => {
                lines.push("Stopping: saving the world and closing.".into());
                true
            }
        };
        let _ = reply.send(lines);
        stop
    }

    fn save_path(&self, name: Option<&str>) -> PathBuf {
        match name {
            Some(n) => {
                let safe: String = n.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
                self.config.save_path.with_file_name(format!("{safe}.msav"))
            }
            None => self.config.save_path.clone(),
        }
    }

    /// Captures a snapshot on this thread and hands its writing to the saver thread (falls back to saving here
    /// when the IO cannot capture). A periodic snapshot is dropped while the saver is still busy.
    fn save_in_background(&mut self, name: Option<&str>, reply: Option<(Vec<String>, kanal::Sender<Vec<String>>)>) {
        let path = self.save_path(name);
        let started = Instant::now();
        let task = self.io.capture(&self.sim);
        let captured_us = started.elapsed().as_micros() as u64;
        match (task, self.saver.as_ref()) {
            (Some(task), Some((tx, _))) => {
                let msg = SaveMsg { task, path, captured_us, reply };
                let sent = if msg.reply.is_some() { tx.send(msg).map(|_| true) } else { tx.try_send(msg) };
                match sent {
                    Ok(true) => {}
                    Ok(false) => tracing::warn!("previous snapshot still being written; periodic snapshot skipped"),
                    Err(_) => tracing::error!("the saver thread is gone; snapshot not written"),
                }
            }
            _ => {
                let line = self.save(name);
                if let Some((mut lines, reply)) = reply {
                    lines.push(line);
                    let _ = reply.send(lines);
                }
            }
        }
    }

    fn save(&mut self, name: Option<&str>) -> String {
        let path = self.save_path(name);
        let started = Instant::now();
        match self.io.save(&self.sim, &path) {
            Ok(()) => {
                tracing::info!(path = %path.display(), ms = started.elapsed().as_millis() as u64, "world saved");
                format!("Saved to {}.", path.display())
            }
            Err(e) => {
                tracing::error!(path = %path.display(), error = %e, "could not save the world");
                format!("Could not save: {e}")
            }
        }
    }

    fn shutdown(&mut self) {
        let sessions: Vec<u64> = self.sim.players().map(|p| p.session).collect();
        for s in sessions {
            let _ = self
                .end
                .send(ToProxy::Kick { session: messages::SessionId(s), reason: messages::KickReason::ServerClose });
        }
        // The final snapshot goes through the saver too (after any pending one), then the saver is joined.
        self.save_in_background(None, None);
        if let Some((tx, thread)) = self.saver.take() {
            drop(tx);
            if thread.join().is_err() {
                tracing::error!("the saver thread panicked");
            }
        }
        tracing::info!("world thread stopped");
    }
}

fn leave_reason(r: &LeaveReason) -> String {
    match r {
        LeaveReason::Disconnected => "disconnected".into(),
        LeaveReason::Timeout => "timeout".into(),
        LeaveReason::Kicked(k) => format!("kicked: {k}"),
        LeaveReason::Overflow => "outbound queue overflow".into(),
        LeaveReason::Error(e) => format!("error: {e}"),
        LeaveReason::Shutdown => "proxy shutdown".into(),
        _ => "left".into(),
    }
}
