//! Bans, admins and the whitelist: who may join and who has admin rights, persisted in the data dir.
//!
//! Owns: the [`Access`] store (banned uuids, banned IPs, banned subnets, banned names, admin uuids, whitelisted
//! uuids) and its file (`access.toml` in `general.data_dir`, see [`ACCESS_FILE`]). The proxy reads it during the
//! connect handshake (banned ip/subnet at TCP connect, banned uuid/name → kick `banned`; not whitelisted while
//! the whitelist is on → `whitelist`; admin flag → `PlayerInfo::admin`); the console (`ban`, `unban`, `bans`,
//! `admin`, `subnet-ban`, `name-ban`, `whitelist`) changes it.
//! Does not own: kicking (the console asks the world/proxy to kick after banning), whether the whitelist is
//! enforced (`proxy.whitelist` in the config).
//!
//! Subnet bans are IP-address prefixes as the Java server's `subnet-ban` stores them (`"10.1."` rejects every
//! address whose text starts with it). Name bans are a Multidustry addition: a name is compared with color tags
//! stripped, trimmed and lower-cased (the handshake's name key).
//!
//! Invariants: every change is written to disk before the method returns (write to a temporary file, then
//! rename, so a crash never leaves a half-written file); a store without a path ([`Access::in_memory`]) keeps
//! everything in memory. Safe to share between threads (`Arc<Access>`).

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use serde::{Deserialize, Serialize};

/// File name of the store inside the data dir.
pub const ACCESS_FILE: &str = "access.toml";

/// The access store could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    /// Reading or writing the file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The file exists but is not a valid access file.
    #[error("{path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// On-disk form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct AccessData {
    /// Banned server-side uuids (24-char base64).
    banned_uuids: BTreeSet<String>,
    /// Banned IP addresses.
    banned_ips: BTreeSet<IpAddr>,
    /// Admin uuids.
    admins: BTreeSet<String>,
    /// Banned IP-address prefixes (`subnet-ban`).
    banned_subnets: BTreeSet<String>,
    /// Banned player names (name keys).
    banned_names: BTreeSet<String>,
    /// Whitelisted uuids (enforced when `proxy.whitelist` is on).
    whitelist: BTreeSet<String>,
}

/// Bans and admins.
#[derive(Debug)]
pub struct Access {
    path: Option<PathBuf>,
    data: Mutex<AccessData>,
}

/// What [`Access::unban`] removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unbanned {
    /// A uuid ban.
    Uuid,
    /// An IP ban.
    Ip,
    /// Nothing matched.
    Nothing,
}

impl Access {
    /// Opens (or starts empty, when the file does not exist) the store in `data_dir`.
    pub fn open_in(data_dir: &Path) -> Result<Self, AccessError> {
        Self::open(&data_dir.join(ACCESS_FILE))
    }

    /// Opens the store at `path`; a missing file is an empty store (created on the first change).
    pub fn open(path: &Path) -> Result<Self, AccessError> {
        let data = match std::fs::read_to_string(path) {
            Ok(text) => toml::from_str::<AccessData>(&text)
                .map_err(|e| AccessError::Parse { path: path.to_path_buf(), message: e.to_string() })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => AccessData::default(),
            Err(source) => return Err(AccessError::Io { path: path.to_path_buf(), source }),
        };
        Ok(Self { path: Some(path.to_path_buf()), data: Mutex::new(data) })
    }

    /// An empty store that is never written to disk (tests, throwaway servers).
    pub fn in_memory() -> Self {
        Self { path: None, data: Mutex::new(AccessData::default()) }
    }

    fn lock(&self) -> MutexGuard<'_, AccessData> {
        self.data.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether a client with this uuid or ip is banned.
    pub fn is_banned(&self, uuid: &str, ip: IpAddr) -> bool {
        let d = self.lock();
        d.banned_uuids.contains(uuid) || d.banned_ips.contains(&ip)
    }

    /// Whether this IP is banned.
    pub fn is_ip_banned(&self, ip: IpAddr) -> bool {
        self.lock().banned_ips.contains(&ip)
    }

    /// Whether this IP address starts with a banned subnet prefix (`Administration.isSubnetBanned`).
    pub fn is_subnet_banned(&self, ip: IpAddr) -> bool {
        let text = ip.to_string();
        self.lock().banned_subnets.iter().any(|p| text.starts_with(p.as_str()))
    }

    /// Whether a name key (colors stripped, trimmed, lower-cased) is banned.
    pub fn is_name_banned(&self, name_key: &str) -> bool {
        !name_key.is_empty() && self.lock().banned_names.contains(name_key)
    }

    /// Whether this uuid is on the whitelist.
    pub fn is_whitelisted(&self, uuid: &str) -> bool {
        self.lock().whitelist.contains(uuid)
    }

    /// Adds (`true`) or removes a subnet prefix. Returns whether anything changed.
    pub fn set_subnet_ban(&self, prefix: &str, banned: bool) -> Result<bool, AccessError> {
        let p = prefix.trim().to_string();
        self.change(|d| if banned { !p.is_empty() && d.banned_subnets.insert(p) } else { d.banned_subnets.remove(&p) })
    }

    /// Adds (`true`) or removes a banned name key. Returns whether anything changed.
    pub fn set_name_ban(&self, name_key: &str, banned: bool) -> Result<bool, AccessError> {
        let k = name_key.trim().to_string();
        self.change(|d| if banned { !k.is_empty() && d.banned_names.insert(k) } else { d.banned_names.remove(&k) })
    }

    /// Adds (`true`) or removes a whitelisted uuid. Returns whether anything changed.
    pub fn set_whitelisted(&self, uuid: &str, listed: bool) -> Result<bool, AccessError> {
        let u = uuid.trim().to_string();
        self.change(|d| if listed { !u.is_empty() && d.whitelist.insert(u) } else { d.whitelist.remove(&u) })
    }

    /// Banned subnet prefixes, sorted.
    pub fn subnet_bans(&self) -> Vec<String> {
        self.lock().banned_subnets.iter().cloned().collect()
    }

    /// Banned name keys, sorted.
    pub fn name_bans(&self) -> Vec<String> {
        self.lock().banned_names.iter().cloned().collect()
    }

    /// Whitelisted uuids, sorted.
    pub fn whitelist(&self) -> Vec<String> {
        self.lock().whitelist.iter().cloned().collect()
    }

    /// Whether this uuid is an admin.
    pub fn is_admin(&self, uuid: &str) -> bool {
        self.lock().admins.contains(uuid)
    }

    /// Bans a uuid. Returns whether it was newly banned.
    pub fn ban_uuid(&self, uuid: &str) -> Result<bool, AccessError> {
        self.change(|d| d.banned_uuids.insert(uuid.to_string()))
    }

    /// Bans an IP. Returns whether it was newly banned.
    pub fn ban_ip(&self, ip: IpAddr) -> Result<bool, AccessError> {
        self.change(|d| d.banned_ips.insert(ip))
    }

    /// Removes a ban given a uuid or an IP address (as typed on the console).
    pub fn unban(&self, uuid_or_ip: &str) -> Result<Unbanned, AccessError> {
        let target = uuid_or_ip.trim();
        self.change(|d| {
            if d.banned_uuids.remove(target) {
                Unbanned::Uuid
            } else if let Ok(ip) = target.parse::<IpAddr>()
                && d.banned_ips.remove(&ip)
            {
                Unbanned::Ip
            } else {
                Unbanned::Nothing
            }
        })
    }

    /// Grants (`true`) or revokes admin rights. Returns whether anything changed.
    pub fn set_admin(&self, uuid: &str, admin: bool) -> Result<bool, AccessError> {
        self.change(|d| if admin { d.admins.insert(uuid.to_string()) } else { d.admins.remove(uuid) })
    }

    /// Banned uuids and IPs, sorted.
    pub fn bans(&self) -> (Vec<String>, Vec<IpAddr>) {
        let d = self.lock();
        (d.banned_uuids.iter().cloned().collect(), d.banned_ips.iter().copied().collect())
    }

    /// Admin uuids, sorted.
    pub fn admins(&self) -> Vec<String> {
        self.lock().admins.iter().cloned().collect()
    }

    /// Applies `f` and saves when the data changed. On a write error the in-memory change is kept (the next
    /// successful save persists it) and the error is returned.
    fn change<R>(&self, f: impl FnOnce(&mut AccessData) -> R) -> Result<R, AccessError> {
        let mut d = self.lock();
        let before = d.clone();
        let r = f(&mut d);
        if *d != before
            && let Some(path) = &self.path
        {
            save(path, &d)?;
        }
        Ok(r)
    }
}

fn save(path: &Path, data: &AccessData) -> Result<(), AccessError> {
    let io = |source| AccessError::Io { path: path.to_path_buf(), source };
    let text =
        toml::to_string(data).map_err(|e| AccessError::Parse { path: path.to_path_buf(), message: e.to_string() })?;
    if let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let tmp = path.with_extension("toml.tmp");
    let header = "# Bans, admins and whitelist of this server; edited by the console (ban, unban, admin, subnet-ban,\n\
                  # name-ban, whitelist).\n";
    std::fs::write(&tmp, format!("{header}{text}")).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bans_and_admins_persist_across_reopen() {
        let dir = tempfile::tempdir().expect("temp dir");
        let ip: IpAddr = "10.1.2.3".parse().expect("valid ip");
        {
            let a = Access::open_in(dir.path()).expect("missing file is an empty store");
            assert!(!a.is_banned("u1", ip));
            assert!(a.ban_uuid("u1").expect("saves"));
            assert!(!a.ban_uuid("u1").expect("saves"));
            assert!(a.ban_ip(ip).expect("saves"));
            assert!(a.set_admin("boss", true).expect("saves"));
        }
        let a = Access::open_in(dir.path()).expect("reads what was written");
        assert!(a.is_banned("u1", "127.0.0.1".parse().expect("valid ip")));
        assert!(a.is_banned("other", ip));
        assert!(a.is_ip_banned(ip));
        assert!(a.is_admin("boss"));
        assert_eq!(a.bans(), (vec!["u1".to_string()], vec![ip]));
        assert_eq!(a.unban("10.1.2.3").expect("saves"), Unbanned::Ip);
        assert_eq!(a.unban("u1").expect("saves"), Unbanned::Uuid);
        assert_eq!(a.unban("nobody").expect("no change"), Unbanned::Nothing);
        assert!(a.set_admin("boss", false).expect("saves"));
        let a = Access::open_in(dir.path()).expect("reopen");
        assert_eq!(a.bans(), (vec![], vec![]));
        assert!(a.admins().is_empty());
    }

    #[test]
    fn a_corrupt_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join(ACCESS_FILE);
        std::fs::write(&path, "banned_uuids = 5\n").expect("write");
        let e = Access::open(&path).expect_err("not a list");
        assert!(e.to_string().contains("access.toml"), "{e}");
    }

    #[test]
    fn subnet_name_bans_and_the_whitelist_persist() {
        let dir = tempfile::tempdir().expect("temp dir");
        {
            let a = Access::open_in(dir.path()).expect("empty");
            assert!(a.set_subnet_ban("10.1.", true).expect("saves"));
            assert!(!a.set_subnet_ban("  ", true).expect("nothing"));
            assert!(a.set_name_ban("griefer", true).expect("saves"));
            assert!(a.set_whitelisted("uuidA", true).expect("saves"));
        }
        let a = Access::open_in(dir.path()).expect("reopen");
        assert!(a.is_subnet_banned("10.1.2.3".parse().expect("ip")));
        assert!(!a.is_subnet_banned("10.10.2.3".parse().expect("ip")));
        assert!(a.is_name_banned("griefer") && !a.is_name_banned(""));
        assert!(a.is_whitelisted("uuidA") && !a.is_whitelisted("uuidB"));
        assert_eq!(
            (a.subnet_bans(), a.name_bans(), a.whitelist().len()),
            (vec!["10.1.".into()], vec!["griefer".into()], 1)
        );
        assert!(a.set_subnet_ban("10.1.", false).expect("saves"));
        assert!(a.set_name_ban("griefer", false).expect("saves"));
        assert!(a.set_whitelisted("uuidA", false).expect("saves"));
        let a = Access::open_in(dir.path()).expect("reopen");
        assert!(a.subnet_bans().is_empty() && a.name_bans().is_empty() && a.whitelist().is_empty());
    }

    #[test]
    fn in_memory_store_works_without_disk() {
        let a = Access::in_memory();
        assert!(a.ban_uuid("x").expect("no disk"));
        assert!(a.is_banned("x", "::1".parse().expect("valid ip")));
    }
}
