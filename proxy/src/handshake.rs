//! Validation of a client's `ConnectPacket`, in the Java server's order (spec §5.2), as a pure function.
//!
//! Owns: the check order and the kick reason of each check, and name sanitising (`fixName`). Does not own:
//! sockets, the registry of who is online ([`Online`] is handed in, read-only) or the connect-rate limit (the
//! connection task checks that on TCP accept, before any packet).
//!
//! Checks, first failure wins (numbers from the spec; 1, IP and subnet bans at TCP connect, is the connection
//! task's):
//! 5 more distinct uuids from this IP within 3 h than `proxy.uuids_per_ip` → `banned` · 6 second ConnectPacket
//! → `idInUse` (connection task) · 7 usid missing → `idInUse` · 8 uuid/ip/name banned → `banned` · 9 kicked
//! in the last 30 s → `recentKick` · 10 full (admins exempt) → `playerLimit` · 11 any mod → the Java
//! "Incompatible mods!" text (we run no mods) · 12 whitelist on and the uuid not on it → `whitelist` (preceded,
//! as in Java, by the info message "You are not whitelisted here.": `wire::kick_packets`) · 13 null version type or not
//! "official" →
//! `typeMismatch`, build -1 → `customClient` · 14 same name online (colors stripped, trimmed, case-insensitive)
//! → `nameInUse`, same uuid or usid online → `idInUse` · 15 name empty after `fixName` → `nameEmpty` · 16
//! missing locale → "en" · 17 build not accepted → `serverOutdated` if newer than every accepted build, else
//! `clientOutdated`.

use std::collections::HashSet;
use std::net::IpAddr;

use multidustry_protocol::Build;
use multidustrycore::access::Access;
use multidustrycore::messages::{KickReason, PlayerInfo};

use crate::wire::ConnectPacket;

/// Longest name kept, in UTF-8 bytes (`Vars.maxNameLength`).
pub const MAX_NAME_BYTES: usize = 40;
/// The version type of release builds.
pub const OFFICIAL: &str = "official";

/// Who is online, as the handshake needs to know it.
#[derive(Debug, Clone, Default)]
pub struct Online {
    /// [`name_key`]s of online players.
    pub names: HashSet<String>,
    /// Server-side uuids of online players.
    pub uuids: HashSet<String>,
    /// usids of online players.
    pub usids: HashSet<String>,
}

impl Online {
    /// Number of players online.
    pub fn count(&self) -> usize {
        self.uuids.len()
    }
}

/// Server settings the handshake applies.
#[derive(Debug, Clone, Copy)]
pub struct Policy<'a> {
    /// Accepted client builds.
    pub accepted_builds: &'a [u32],
    /// Most players at once; 0 = no limit.
    pub max_players: u32,
    /// Bans and admins.
    pub access: &'a Access,
    /// Only whitelisted uuids may join.
    pub whitelist: bool,
}

/// Facts about the connecting client the registry knows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Checks {
    /// Kicked within the cool-down window.
    pub recently_kicked: bool,
    /// Its IP already joined with too many other uuids recently.
    pub too_many_uuids: bool,
}

/// A client that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admitted {
    /// What the world learns.
    pub player: PlayerInfo,
    /// Codec profile of the session.
    pub build: Build,
    /// The name key registered as online.
    pub name_key: String,
}

/// Validates `p` from `ip` (`checks`: what the registry knows about this client).
pub fn validate(
    p: &ConnectPacket,
    ip: IpAddr,
    policy: &Policy<'_>,
    online: &Online,
    checks: Checks,
) -> Result<Admitted, KickReason> {
    let uuid = p.uuid_base64();
    // 5
    if checks.too_many_uuids {
        return Err(KickReason::Banned);
    }
    // 7
    let usid = match p.usid.as_deref() {
        Some(u) if !u.is_empty() => u.to_string(),
        _ => return Err(KickReason::IdInUse),
    };
    // 8
    let raw_name = p.name.clone().unwrap_or_default();
    let key = name_key(&raw_name);
    if policy.access.is_banned(&uuid, ip) || policy.access.is_name_banned(&key) {
        return Err(KickReason::Banned);
    }
    // 9
    if checks.recently_kicked {
        return Err(KickReason::RecentKick);
    }
    let admin = policy.access.is_admin(&uuid);
    // 10
    if policy.max_players > 0 && online.count() >= policy.max_players as usize && !admin {
        return Err(KickReason::PlayerLimit);
    }
    // 11
    let mods: Vec<&str> = p.mods.iter().map(|m| m.as_deref().unwrap_or("null")).collect();
    if !mods.is_empty() {
        return Err(KickReason::Text(format!(
            "[accent]Incompatible mods![]\n\nUnnecessary mods:[lightgray]\n> {}",
            mods.join("\n> ")
        )));
    }
    // 12
    if policy.whitelist && !policy.access.is_whitelisted(&uuid) {
        return Err(KickReason::Whitelist);
    }
    // 13
    match p.version_type.as_deref() {
        Some(OFFICIAL) if p.version != -1 => {}
        Some(OFFICIAL) => return Err(KickReason::CustomClient),
        _ => return Err(KickReason::TypeMismatch),
    }
    // 14
    if !key.is_empty() && online.names.contains(&key) {
        return Err(KickReason::NameInUse);
    }
    if online.uuids.contains(&uuid) || online.usids.contains(&usid) {
        return Err(KickReason::IdInUse);
    }
    // 15
    let name = fix_name(&raw_name);
    if name.trim().is_empty() {
        return Err(KickReason::NameEmpty);
    }
    // 16
    let locale = p.locale.clone().filter(|l| !l.is_empty()).unwrap_or_else(|| "en".to_string());
    // 17
    let accepted = u32::try_from(p.version).ok().filter(|v| policy.accepted_builds.contains(v));
    let build = match accepted.and_then(|v| Build::from_number(v as i32)) {
        Some(b) => b,
        None => {
            let newest = policy.accepted_builds.iter().copied().max().unwrap_or(0);
            return Err(if i64::from(p.version) > i64::from(newest) {
                KickReason::ServerOutdated
            } else {
                KickReason::ClientOutdated
            });
        }
    };
    Ok(Admitted {
        player: PlayerInfo {
            name,
            uuid,
            usid,
            build: build.number() as u32,
            color: (p.color as u32) | 0xff,
            locale,
            ip,
            admin,
            mobile: p.mobile,
        },
        build,
        name_key: key,
    })
}

/// How names are compared for `nameInUse`: color tags stripped, trimmed, lower-cased.
pub fn name_key(name: &str) -> String {
    strip_colors(name).trim().to_lowercase()
}

/// Removes `[color]` markup (any bracketed tag without spaces, and `[]`); `[[` is an escaped `[`.
pub fn strip_colors(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('[') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(stripped) = after.strip_prefix('[') {
            out.push('[');
            rest = stripped;
            continue;
        }
        match after.find(']') {
            Some(j) if after[..j].chars().all(|c| c.is_ascii_alphanumeric() || c == '#') => rest = &after[j + 1..],
            _ => {
                out.push('[');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The Java server's `fixName`: trim, drop newlines and tabs, `[` or `]` alone → empty, remove color tags with
/// alpha below 1 (`[clear]`, `[#rrggbb00]`), cut to [`MAX_NAME_BYTES`] UTF-8 bytes.
pub fn fix_name(name: &str) -> String {
    let mut n: String = name.trim().chars().filter(|c| *c != '\n' && *c != '\t').collect();
    if n == "[" || n == "]" {
        return String::new();
    }
    n = remove_transparent_tags(&n);
    let mut end = n.len().min(MAX_NAME_BYTES);
    while !n.is_char_boundary(end) {
        end -= 1;
    }
    n.truncate(end);
    n
}

fn remove_transparent_tags(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('[') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        match after.find(']') {
            Some(j) if is_transparent(&after[..j]) => rest = &after[j + 1..],
            _ => {
                out.push('[');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn is_transparent(tag: &str) -> bool {
    if tag.eq_ignore_ascii_case("clear") {
        return true;
    }
    match tag.strip_prefix('#') {
        Some(hex) if hex.len() == 8 && hex.chars().all(|c| c.is_ascii_hexdigit()) => {
            &hex[6..] != "ff" && &hex[6..] != "FF"
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fix_name_follows_the_java_rules() {
        assert_eq!(fix_name("  bob\t\n "), "bob");
        assert_eq!(fix_name("["), "");
        assert_eq!(fix_name("]"), "");
        assert_eq!(fix_name("[clear]ghost"), "ghost");
        assert_eq!(fix_name("[#ff000000]x[#ff0000ff]y"), "x[#ff0000ff]y");
        assert_eq!(fix_name("[red]kept"), "[red]kept");
        let long = "é".repeat(30);
        let fixed = fix_name(&long);
        assert!(fixed.len() <= MAX_NAME_BYTES && fixed.chars().all(|c| c == 'é'), "{fixed}");
    }

    proptest::proptest! {
        /// Any name: fixName stays within the byte limit, never panics, and never keeps a newline or tab.
        #[test]
        fn fix_name_is_total(name in "\\PC{0,80}[\\[\\]#a-f0-9\t\n]{0,20}") {
            let f = fix_name(&name);
            proptest::prop_assert!(f.len() <= MAX_NAME_BYTES);
            proptest::prop_assert!(!f.contains('\n') && !f.contains('\t'));
            let _ = name_key(&name);
        }
    }

    #[test]
    fn name_keys_ignore_colors_case_and_spacing() {
        assert_eq!(name_key("[red]Dupe "), "dupe");
        assert_eq!(name_key(" dUPE"), "dupe");
        assert_eq!(name_key("[[not a tag]"), "[not a tag]");
        assert_eq!(strip_colors("a[]b[#12345678]c"), "abc");
        assert_eq!(strip_colors("open [ bracket"), "open [ bracket");
    }

    #[test]
    fn the_first_failing_check_wins() {
        let access = Access::in_memory();
        let policy = Policy { accepted_builds: &[159], max_players: 1, access: &access, whitelist: false };
        let ip = IpAddr::from([10, 0, 0, 1]);
        let mut p = ConnectPacket {
            version: 1,
            version_type: None,
            name: Some("x".into()),
            locale: None,
            usid: Some("u".into()),
            uuid: [0; 16],
            mobile: false,
            color: 0x1234_5600,
            mods: vec![Some("m:1".into())],
        };
        let mut online = Online::default();
        online.uuids.insert("someone".into());
        let kicked = Checks { recently_kicked: true, too_many_uuids: false };
        // Full server beats mods, type and version.
        assert_eq!(validate(&p, ip, &policy, &online, Checks::default()), Err(KickReason::PlayerLimit));
        // A recent kick beats the player limit; a ban beats both.
        assert_eq!(validate(&p, ip, &policy, &online, kicked), Err(KickReason::RecentKick));
        access.ban_ip(ip).expect("in memory");
        assert_eq!(validate(&p, ip, &policy, &online, kicked), Err(KickReason::Banned));
        let online = Online::default();
        let policy = Policy { accepted_builds: &[159], max_players: 0, access: &Access::in_memory(), whitelist: false };
        assert!(matches!(validate(&p, ip, &policy, &online, Checks::default()), Err(KickReason::Text(_))));
        p.mods.clear();
        assert_eq!(validate(&p, ip, &policy, &online, Checks::default()), Err(KickReason::TypeMismatch));
        p.version_type = Some(OFFICIAL.into());
        assert_eq!(validate(&p, ip, &policy, &online, Checks::default()), Err(KickReason::ClientOutdated));
        p.version = 159;
        let a = validate(&p, ip, &policy, &online, Checks::default()).expect("admitted");
        assert_eq!(a.player.locale, "en");
        assert_eq!(a.player.color, 0x1234_56ff, "alpha forced to 1");
        assert_eq!(a.player.uuid, "AAAAAAAAAAAAAAAAAAAAAA==");
        assert_eq!(a.build, Build::V159);
        // A name ban (colors and case ignored) is a ban; the uuid limit comes before everything else.
        let access = Access::in_memory();
        access.set_name_ban("x", true).expect("in memory");
        let banned = Policy { accepted_builds: &[159], max_players: 0, access: &access, whitelist: false };
        assert_eq!(validate(&p, ip, &banned, &online, Checks::default()), Err(KickReason::Banned));
        let too_many = Checks { recently_kicked: false, too_many_uuids: true };
        assert_eq!(validate(&p, ip, &policy, &online, too_many), Err(KickReason::Banned));
        // The whitelist, when on, admits only listed uuids.
        let access = Access::in_memory();
        let listed = Policy { accepted_builds: &[159], max_players: 0, access: &access, whitelist: true };
        assert_eq!(validate(&p, ip, &listed, &online, Checks::default()), Err(KickReason::Whitelist));
        access.set_whitelisted("AAAAAAAAAAAAAAAAAAAAAA==", true).expect("in memory");
        assert!(validate(&p, ip, &listed, &online, Checks::default()).is_ok());
    }
}
