//! `multidustry monolith`: the proxy and one gameserver world in one process, over the in-process transport.
//!
//! Owns: composing the services (load or generate the world, resume the last snapshot from the data dir, open
//! the ban/admin store, start the world thread and the proxy on the same [`InProcess`] transport), the
//! operator console bridge, and an orderly shutdown (proxy first, then the world, which kicks everyone and
//! saves). Does not own: game rules (gameserver), the Mindustry wire (proxy), flags and stdin (the CLI).
//!
//! ```text
//!   clients ──TCP/UDP──▶ proxy ──InProcess (kanal)──▶ world thread ──▶ data_dir/worlds/default.msav
//!                          └── access.toml (bans, admins) ◀── console
//! ```
//!
//! Invariants: no config file is needed (defaults serve the generated world on 0.0.0.0:6567); a restart with
//! the same data dir resumes the last snapshot; the control plane (single-node Raft) is not part of the
//! monolith yet (the apiserver issue adds it), nothing here depends on it.

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use multidustry_gameserver::console::{AccessControl, AccessList};
use multidustry_gameserver::host::{HostConfig, TickStats, WorldHost};
use multidustry_gameserver::worldio::{self, LoadedWorld};
use multidustrycore::Config;
use multidustrycore::access::{Access, Unbanned};
use multidustrycore::messages::WorldId;
use multidustrycore::transport::{InProcess, Transport};

/// Where the world snapshot lives inside the data dir.
pub const SNAPSHOT_FILE: &str = "worlds/default.msav";

/// The monolith could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum MonolithError {
    /// The world file could not be read.
    #[error("cannot load world {path}: {reason}")]
    World {
        /// File.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The data dir or a file in it is unusable.
    #[error("data directory {path}: {reason}")]
    Data {
        /// Path.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The proxy failed to bind or run.
    #[error("proxy: {0}")]
    Proxy(String),
    /// Threads could not be started.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Bound endpoints of a running monolith.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bound {
    /// TCP listen address.
    pub tcp: SocketAddr,
    /// UDP socket address.
    pub udp: SocketAddr,
}

/// A running monolith: the world thread plus the proxy task.
#[derive(Debug)]
pub struct Running {
    /// Bound endpoints.
    pub bound: Bound,
    /// Where snapshots go.
    pub snapshot_path: PathBuf,
    host: Option<WorldHost>,
    proxy: Option<tokio::task::JoinHandle<Result<(), String>>>,
    proxy_stop: Option<tokio::sync::watch::Sender<bool>>,
}

impl Running {
    /// Runs a console line on the world and returns the reply lines.
    pub fn console(&self, line: &str) -> Vec<String> {
        match &self.host {
            Some(h) => h.console(line),
            None => vec!["The world is not running.".into()],
        }
    }

    /// Whether the console asked to stop/exit, or the world thread ended.
    pub fn world_stopped(&self) -> bool {
        self.host.as_ref().is_none_or(|h| h.exit_requested() || h.is_finished())
    }

    /// Tick statistics of the world.
    pub fn tick_stats(&self) -> TickStats {
        self.host.as_ref().map(WorldHost::stats).unwrap_or_default()
    }

    /// Stops the proxy (closing every connection), then the world (kick, save).
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.proxy_stop.take() {
            let _ = tx.send(true);
        }
        if let Some(p) = self.proxy.take() {
            match tokio::time::timeout(Duration::from_secs(5), p).await {
                Ok(Ok(Err(e))) => tracing::warn!(error = %e, "proxy stopped with an error"),
                Ok(Err(e)) => tracing::warn!(error = %e, "proxy task failed"),
                Err(_) => tracing::warn!("proxy did not stop within 5 s"),
                Ok(Ok(Ok(()))) => {}
            }
        }
        if let Some(h) = self.host.take() {
            let _ = tokio::task::spawn_blocking(move || h.shutdown()).await;
        }
    }
}

/// Options the CLI adds on top of the config.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// World file to serve when no snapshot exists yet (None: the generated default world).
    pub world: Option<PathBuf>,
}

/// Loads the world to serve: the data dir's snapshot if present, else `--world`, else the generated world.
pub fn load_world(config: &Config, options: &Options) -> Result<(LoadedWorld, PathBuf), MonolithError> {
    let snapshot = config.general.data_dir.join(SNAPSHOT_FILE);
    let from_file = |path: &Path| -> Result<LoadedWorld, MonolithError> {
        let bytes = std::fs::read(path)
            .map_err(|e| MonolithError::World { path: path.to_path_buf(), reason: e.to_string() })?;
        worldio::load(&bytes).map_err(|e| MonolithError::World { path: path.to_path_buf(), reason: e.to_string() })
    };
    let world = if snapshot.is_file() {
        tracing::info!(path = %snapshot.display(), "resuming the world snapshot");
        from_file(&snapshot)?
    } else if let Some(path) = options.world.as_deref().or(config.monolith.world.as_deref()) {
        tracing::info!(path = %path.display(), "loading world");
        from_file(path)?
    } else {
        let size = u16::try_from(config.gameserver.world_size).unwrap_or(u16::MAX);
        tracing::info!(seed = config.gameserver.world_seed, size, "serving the generated default world");
        worldio::generate(config.gameserver.world_seed, size)
    };
    Ok((world, snapshot))
}

/// [`AccessControl`] over the shared ban/admin store.
#[derive(Debug, Clone)]
pub struct AccessStore(pub Arc<Access>);

impl AccessControl for AccessStore {
    fn ban(&mut self, uuid: &str, ip: Option<&str>, _name: &str) -> Result<(), String> {
        if !uuid.is_empty() {
            self.0.ban_uuid(uuid).map_err(|e| e.to_string())?;
        }
        if let Some(ip) = ip.filter(|i| !i.is_empty()) {
            let ip = ip.parse().map_err(|_| format!("not an IP address: {ip}"))?;
            self.0.ban_ip(ip).map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    fn unban(&mut self, key: &str) -> Result<bool, String> {
        self.0.unban(key).map(|u| u != Unbanned::Nothing).map_err(|e| e.to_string())
    }

    fn bans(&self) -> Vec<String> {
        let (uuids, ips) = self.0.bans();
        uuids.into_iter().map(|u| format!("ID: {u}")).chain(ips.into_iter().map(|i| format!("IP: {i}"))).collect()
    }

    fn set_admin(&mut self, uuid: &str, admin: bool, _name: &str) -> Result<(), String> {
        self.0.set_admin(uuid, admin).map(|_| ()).map_err(|e| e.to_string())
    }

    fn set_listed(&mut self, list: AccessList, value: &str, listed: bool) -> Result<bool, String> {
        match list {
            AccessList::Subnets => self.0.set_subnet_ban(value, listed),
            AccessList::Names => self.0.set_name_ban(value, listed),
            AccessList::Whitelist => self.0.set_whitelisted(value, listed),
        }
        .map_err(|e| e.to_string())
    }

    fn listed(&self, list: AccessList) -> Vec<String> {
        match list {
            AccessList::Subnets => self.0.subnet_bans(),
            AccessList::Names => self.0.name_bans(),
            AccessList::Whitelist => self.0.whitelist(),
        }
    }
}

/// Starts the world thread and the proxy; returns once both are ready (the proxy is listening).
pub async fn start(config: &Config, options: &Options) -> Result<Running, MonolithError> {
    let data_dir = config.general.data_dir.clone();
    std::fs::create_dir_all(&data_dir)
        .map_err(|e| MonolithError::Data { path: data_dir.clone(), reason: e.to_string() })?;
    let access = Arc::new(
        Access::open_in(&data_dir)
            .map_err(|e| MonolithError::Data { path: data_dir.clone(), reason: e.to_string() })?,
    );
    let (world, snapshot_path) = load_world(config, options)?;
    let (mut sim, io) = world.into_parts(config.gameserver.tick_rate);
    sim.logic = logic_runner(&config.gameserver);
    let transport = InProcess::default();
    let end = transport
        .attach_world(WorldId::DEFAULT)
        .map_err(|e| MonolithError::Data { path: data_dir.clone(), reason: e.to_string() })?;
    let snapshot_interval = match config.gameserver.snapshot_interval_secs {
        0 => None,
        s => Some(Duration::from_secs(u64::from(s))),
    };
    let host = WorldHost::spawn(
        sim,
        end,
        Box::new(io),
        Box::new(AccessStore(access.clone())),
        HostConfig { tick_rate: config.gameserver.tick_rate, snapshot_interval, save_path: snapshot_path.clone() },
    )?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let (bound, proxy) = start_proxy(config, Arc::new(transport), access, stop_rx).await?;
    Ok(Running { bound, snapshot_path, host: Some(host), proxy: Some(proxy), proxy_stop: Some(stop_tx) })
}

/// The world's processor runner as `gameserver.mlog_build` / `mlog_engine` ask.
fn logic_runner(g: &multidustrycore::config::Gameserver) -> multidustry_gameserver::logic::Logic {
    use multidustry_gameserver::logic::{EngineKind, Logic};
    use multidustry_mlog::ir::Build;
    let build = if g.mlog_build == 154 { Build::B154 } else { Build::B159 };
    let engine = match g.mlog_engine {
        multidustrycore::config::MlogEngine::Jit => EngineKind::Jit,
        multidustrycore::config::MlogEngine::Interpreter => EngineKind::Interpreter,
    };
    Logic::new(build, engine)
}

type ProxyTask = tokio::task::JoinHandle<Result<(), String>>;

async fn start_proxy(
    config: &Config,
    transport: Arc<dyn Transport>,
    access: Arc<Access>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> Result<(Bound, ProxyTask), MonolithError> {
    let proxy = multidustry_proxy::Proxy::bind(config, transport, access)
        .await
        .map_err(|e| MonolithError::Proxy(e.to_string()))?;
    let bound = Bound { tcp: proxy.tcp_addr(), udp: proxy.udp_addr() };
    let task = tokio::spawn(async move {
        let shutdown = async move {
            while !*stop.borrow() {
                if stop.changed().await.is_err() {
                    break;
                }
            }
        };
        proxy.run(shutdown).await.map_err(|e| e.to_string())
    });
    Ok((bound, task))
}

/// Runs the monolith until `shutdown` resolves or the console stops it; `ready` is called once with the bound
/// addresses when clients can connect.
pub async fn run(
    config: Config,
    options: Options,
    ready: impl FnOnce(Bound),
    shutdown: impl Future<Output = ()>,
) -> Result<(), MonolithError> {
    let running = start(&config, &options).await?;
    ready(running.bound);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            _ = tokio::time::sleep(Duration::from_millis(200)) => {
                if running.world_stopped() {
                    break;
                }
            }
        }
    }
    running.shutdown().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use multidustry_gameserver::logic::EngineKind;
    use multidustry_mlog::ir::Build;
    use multidustrycore::config::{Config, MlogEngine};

    #[test]
    fn world_processors_follow_the_configured_build_and_engine() {
        let default = super::logic_runner(&Config::default().gameserver);
        assert_eq!((default.build, default.engine), (Build::B159, EngineKind::Jit));
        let mut g = Config::default().gameserver;
        g.mlog_build = 154;
        g.mlog_engine = MlogEngine::Interpreter;
        let l = super::logic_runner(&g);
        assert_eq!((l.build, l.engine), (Build::B154, EngineKind::Interpreter));
    }
}
