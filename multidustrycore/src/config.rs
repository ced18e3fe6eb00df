//! The one configuration schema of every Multidustry service.
//!
//! Layers, later wins: built-in defaults → TOML file (`--config FILE`) → environment
//! (`MULTIDUSTRY__SECTION__KEY=value`, e.g. `MULTIDUSTRY__GAMESERVER__TICK_RATE=30`) → command-line flags
//! (applied by the binary on the returned value). Unknown keys and bad values are rejected with a message
//! that names the key. [`DEFAULT_TOML`] is the commented default file (`multidustry config default`); a
//! test keeps it equal to [`Config::default`].

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// Prefix of environment overrides; sections and keys are separated by `__`.
pub const ENV_PREFIX: &str = "MULTIDUSTRY__";

/// The commented default configuration file.
pub const DEFAULT_TOML: &str = include_str!("default-config.toml");

/// Everything a Multidustry process can be configured with. One section per service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Settings every service shares.
    pub general: General,
    /// The public game endpoint (the Mindustry protocol side).
    pub proxy: Proxy,
    /// World hosting.
    pub gameserver: Gameserver,
    /// The control plane.
    pub apiserver: Apiserver,
    /// `multidustry monolith`.
    pub monolith: Monolith,
}

/// Settings every service shares.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct General {
    /// Directory for persistent data: world snapshots, bans, admins, Raft log.
    pub data_dir: PathBuf,
    /// Log format: "text" or "json".
    pub log_format: LogFormat,
    /// Log filter in `tracing` env-filter syntax; `RUST_LOG` overrides it.
    pub log_level: String,
}

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// The public game endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Proxy {
    /// TCP and UDP address clients connect to (Mindustry's default port is 6567).
    pub bind: SocketAddr,
    /// Server name shown in the server list.
    pub name: String,
    /// Description shown in the server list.
    pub description: String,
    /// Most players at once; 0 means no limit.
    pub max_players: u32,
    /// Client builds accepted (159 and/or 154).
    pub accepted_builds: Vec<u32>,
    /// Connection attempts allowed per IP per minute.
    pub connects_per_ip_per_minute: u32,
    /// Seconds without any packet before a connection is closed (Arc uses 12 s).
    pub timeout_secs: u32,
    /// Only whitelisted uuids may join (console `whitelist add <uuid>`); Java's `whitelist` setting.
    pub whitelist: bool,
    /// Most distinct uuids one IP address may join with within 3 hours (the Java server's limit, 10); 0 = no
    /// limit. Loopback clients are exempt unless connect limits apply to them (tests run many bots there).
    pub uuids_per_ip: u32,
}

/// World hosting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Gameserver {
    /// World ticks per second (Mindustry runs at 60).
    pub tick_rate: u32,
    /// Seconds between world snapshots; 0 disables periodic snapshots (shutdown still saves).
    pub snapshot_interval_secs: u32,
    /// Seed of the generated default world.
    pub world_seed: u64,
    /// Width and height of the generated default world, in tiles.
    pub world_size: u32,
    /// Whose MLOG semantics processors in worlds follow where builds 159 and 154 differ (number literals, `wait`
    /// and the tick budget, string escapes, printing): 159 or 154.
    pub mlog_build: u32,
    /// How processors in worlds run: the cranelift JIT (programs over 100 instructions start on the interpreter
    /// until compiled) or the interpreter only.
    pub mlog_engine: MlogEngine,
}

/// How world processors run (`gameserver.mlog_engine`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum MlogEngine {
    /// Cranelift JIT with the interpreter as fallback.
    #[default]
    Jit,
    /// Reference interpreter only.
    Interpreter,
}

/// The control plane.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Apiserver {
    /// Operator HTTP API address.
    pub http_bind: SocketAddr,
    /// Consul agent address; empty means the built-in Raft registry serves discovery.
    pub consul_address: String,
}

/// `multidustry monolith`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Monolith {
    /// Map or save to serve; empty means the generated default world.
    pub world: Option<PathBuf>,
}

impl Default for General {
    fn default() -> Self {
        Self { data_dir: PathBuf::from("multidustry-data"), log_format: LogFormat::Text, log_level: "info".into() }
    }
}

impl Default for Proxy {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([0, 0, 0, 0], 6567)),
            name: "Multidustry".into(),
            description: String::new(),
            max_players: 0,
            accepted_builds: vec![159, 154],
            connects_per_ip_per_minute: 30,
            timeout_secs: 12,
            whitelist: false,
            uuids_per_ip: 10,
        }
    }
}

impl Default for Gameserver {
    fn default() -> Self {
        Self {
            tick_rate: 60,
            snapshot_interval_secs: 300,
            world_seed: 0x4d49_4e44,
            world_size: 200,
            mlog_build: 159,
            mlog_engine: MlogEngine::Jit,
        }
    }
}

impl Default for Apiserver {
    fn default() -> Self {
        Self { http_bind: SocketAddr::from(([127, 0, 0, 1], 6580)), consul_address: String::new() }
    }
}

/// A configuration that could not be loaded; the message names the key and the problem.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Parsing or typing failed (unknown key, bad value, bad TOML).
    #[error("{0}")]
    Invalid(String),
    /// A value parsed but is not allowed.
    #[error("invalid value for `{key}`: {reason}")]
    Value {
        /// Dotted key, e.g. `gameserver.tick_rate`.
        key: &'static str,
        /// Why it is wrong.
        reason: String,
    },
    /// The file given with `--config` does not exist.
    #[error("config file {0} does not exist")]
    Missing(PathBuf),
}

impl Config {
    /// Loads defaults, then `file` (if any), then `MULTIDUSTRY__*` variables from `env`, and validates.
    ///
    /// `env` is passed in (instead of read here) so tests and libraries stay free of process state; the
    /// binary passes `std::env::vars()`.
    pub fn load(file: Option<&Path>, env: impl IntoIterator<Item = (String, String)>) -> Result<Self, ConfigError> {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        if let Some(path) = file {
            if !path.is_file() {
                return Err(ConfigError::Missing(path.to_path_buf()));
            }
            fig = fig.merge(Toml::file_exact(path));
        }
        let vars: Vec<(String, String)> = env.into_iter().filter(|(k, _)| k.starts_with(ENV_PREFIX)).collect();
        if !vars.is_empty() {
            // figment's Env provider reads the process environment; feed it our list through a TOML
            // document instead so the layering stays the same and nothing global is touched.
            let mut doc = toml::Table::new();
            for (key, raw) in vars {
                let path: Vec<String> = key[ENV_PREFIX.len()..].split("__").map(str::to_ascii_lowercase).collect();
                insert_env_value(&mut doc, &path, &raw)
                    .map_err(|e| ConfigError::Invalid(format!("environment variable {key}: {e}")))?;
            }
            fig = fig.merge(Serialized::defaults(doc));
        }
        let config: Config = fig.extract().map_err(|e| ConfigError::Invalid(describe(e)))?;
        config.validate()?;
        Ok(config)
    }

    /// Parses a TOML document on top of the defaults (no environment).
    pub fn from_toml_str(text: &str) -> Result<Self, ConfigError> {
        let config: Config = Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::string(text))
            .extract()
            .map_err(|e| ConfigError::Invalid(describe(e)))?;
        config.validate()?;
        Ok(config)
    }

    /// Checks values that parse but make no sense.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |key, reason: &str| Err(ConfigError::Value { key, reason: reason.to_string() });
        if !(1..=1000).contains(&self.gameserver.tick_rate) {
            return bad("gameserver.tick_rate", "must be between 1 and 1000");
        }
        if !(50..=2000).contains(&self.gameserver.world_size) {
            return bad("gameserver.world_size", "must be between 50 and 2000");
        }
        if ![154, 159].contains(&self.gameserver.mlog_build) {
            return bad("gameserver.mlog_build", "must be 159 or 154");
        }
        if self.proxy.accepted_builds.is_empty() {
            return bad("proxy.accepted_builds", "must name at least one build (159 or 154)");
        }
        if let Some(b) = self.proxy.accepted_builds.iter().find(|b| ![154, 159].contains(*b)) {
            return Err(ConfigError::Value {
                key: "proxy.accepted_builds",
                reason: format!("build {b} is not supported (supported: 159, 154)"),
            });
        }
        if self.proxy.name.trim().is_empty() {
            return bad("proxy.name", "must not be empty");
        }
        if self.proxy.timeout_secs == 0 {
            return bad("proxy.timeout_secs", "must be at least 1");
        }
        Ok(())
    }
}

/// Puts one environment value into a TOML table at `path`, parsing it as a TOML value when it is one
/// (numbers, booleans, arrays) and as a plain string otherwise.
fn insert_env_value(doc: &mut toml::Table, path: &[String], raw: &str) -> Result<(), String> {
    let (last, parents) = path.split_last().ok_or("empty key")?;
    if last.is_empty() || parents.iter().any(String::is_empty) {
        return Err("empty key segment".into());
    }
    let mut table = doc;
    for p in parents {
        table = table
            .entry(p.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()))
            .as_table_mut()
            .ok_or("key is both a value and a section")?;
    }
    let value = format!("v = {raw}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(raw.to_string()));
    table.insert(last.clone(), value);
    Ok(())
}

/// Turns figment's error into one line per problem, each naming the dotted key.
fn describe(err: figment::Error) -> String {
    err.into_iter()
        .map(|e| {
            let key = e.path.join(".");
            let kind = e.kind.to_string();
            if key.is_empty() { kind } else { format!("`{key}`: {kind}") }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect()
    }

    #[test]
    fn default_file_is_the_default_config() {
        assert_eq!(Config::from_toml_str(DEFAULT_TOML).unwrap(), Config::default());
        // and every key of the schema is documented in it
        let table: toml::Table = DEFAULT_TOML.parse().unwrap();
        let uncommented: toml::Table = toml::to_string(&Config::default()).unwrap().parse().unwrap();
        for (section, keys) in &uncommented {
            let keys = keys.as_table().unwrap();
            for key in keys.keys() {
                assert!(
                    DEFAULT_TOML.contains(&format!("{key} =")),
                    "default-config.toml does not document {section}.{key}"
                );
            }
            assert!(table.contains_key(section) || DEFAULT_TOML.contains(&format!("[{section}]")));
        }
    }

    #[test]
    fn layers_apply_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        std::fs::write(&file, "[proxy]\nname = \"from file\"\n[gameserver]\ntick_rate = 30\n").unwrap();
        let c =
            Config::load(Some(&file), env(&[("MULTIDUSTRY__GAMESERVER__TICK_RATE", "20"), ("OTHER", "x")])).unwrap();
        assert_eq!(c.proxy.name, "from file");
        assert_eq!(c.gameserver.tick_rate, 20);
        let c = Config::load(None, env(&[("MULTIDUSTRY__PROXY__ACCEPTED_BUILDS", "[159]")])).unwrap();
        assert_eq!(c.proxy.accepted_builds, vec![159]);
        let c = Config::load(None, env(&[("MULTIDUSTRY__PROXY__NAME", "My server")])).unwrap();
        assert_eq!(c.proxy.name, "My server");
    }

    #[test]
    fn unknown_keys_and_bad_values_name_the_key() {
        let e = Config::from_toml_str("[proxy]\nnmae = \"x\"\n").unwrap_err().to_string();
        assert!(e.contains("nmae"), "{e}");
        let e = Config::from_toml_str("[gameserver]\ntick_rate = \"fast\"\n").unwrap_err().to_string();
        assert!(e.contains("gameserver.tick_rate"), "{e}");
        let e = Config::from_toml_str("[gameserver]\ntick_rate = 0\n").unwrap_err().to_string();
        assert!(e.contains("gameserver.tick_rate"), "{e}");
        let e = Config::from_toml_str("[nosuch]\n").unwrap_err().to_string();
        assert!(e.contains("nosuch"), "{e}");
        let e = Config::load(None, env(&[("MULTIDUSTRY__PROXY__BIND", "nowhere")])).unwrap_err().to_string();
        assert!(e.contains("proxy.bind"), "{e}");
        let e = Config::from_toml_str("[proxy]\naccepted_builds = [146]\n").unwrap_err().to_string();
        assert!(e.contains("146"), "{e}");
        let e = Config::from_toml_str("[gameserver]\nmlog_build = 146\n").unwrap_err().to_string();
        assert!(e.contains("gameserver.mlog_build"), "{e}");
        let e = Config::from_toml_str("[gameserver]\nmlog_engine = \"fast\"\n").unwrap_err().to_string();
        assert!(e.contains("gameserver.mlog_engine") && e.contains("fast"), "{e}");
        let c = Config::load(None, env(&[("MULTIDUSTRY__GAMESERVER__MLOG_ENGINE", "interpreter")])).unwrap();
        assert_eq!(c.gameserver.mlog_engine, MlogEngine::Interpreter);
        let missing = Config::load(Some(Path::new("/nonexistent/x.toml")), env(&[])).unwrap_err();
        assert!(missing.to_string().contains("/nonexistent/x.toml"));
    }
}
