//! The server console: the operator commands of the Java server's `ServerControl` (help, status, players, say,
//! kick, ban, unban, bans, admin, subnet-ban, whitelist, runwave, save, stop, exit; plus name-ban), run against
//! one world.
//!
//! Owns: parsing a console line and applying it to a [`Sim`] and the ban/admin store ([`AccessControl`]);
//! producing the reply lines. Does not own: reading stdin (the binary), where bans live on disk (the store),
//! saving (the host performs [`ConsoleAction::Save`]/`Stop`/`Exit`).
//!
//! Invariants: a command never panics on any input; unknown commands answer with a hint, as the Java server.

use crate::sim::{KickReason, Sim};

/// The ban and admin lists (persisted by the implementation; the proxy enforces bans at connect).
pub trait AccessControl: Send {
    /// Bans a uuid (and the ip it last used, if known).
    fn ban(&mut self, uuid: &str, ip: Option<&str>, name: &str) -> Result<(), String>;
    /// Unbans a uuid or ip; false if it was not banned.
    fn unban(&mut self, uuid_or_ip: &str) -> Result<bool, String>;
    /// Banned uuids and ips, one human-readable line each.
    fn bans(&self) -> Vec<String>;
    /// Adds or removes an admin by uuid.
    fn set_admin(&mut self, uuid: &str, admin: bool, name: &str) -> Result<(), String>;
    /// Adds (`true`) or removes an entry of a list; returns whether it changed.
    fn set_listed(&mut self, _list: AccessList, _value: &str, _listed: bool) -> Result<bool, String> {
        Err("this server keeps no such list".into())
    }
    /// The entries of a list.
    fn listed(&self, _list: AccessList) -> Vec<String> {
        Vec::new()
    }
}

/// The access lists the console edits besides bans and admins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessList {
    /// Banned IP-address prefixes (`subnet-ban`).
    Subnets,
    /// Banned names (`name-ban`; name keys: colors stripped, trimmed, lower-cased).
    Names,
    /// Whitelisted uuids (`whitelist`; enforced when `proxy.whitelist` is on).
    Whitelist,
}

/// What the host must do after a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsoleAction {
    /// Nothing more.
    None,
    /// Save the world now (optionally named).
    Save(Option<String>),
    /// Stop hosting: save and shut down.
    Stop,
    /// Save and exit the process.
    Exit,
}

/// Facts the console shows that the simulation does not know.
#[derive(Debug, Clone, Default)]
pub struct HostFacts {
    /// Map name.
    pub map: String,
    /// Measured ticks per second over the last second.
    pub tps: f32,
    /// Mean tick time in microseconds.
    pub mean_tick_us: f32,
}

const HELP: &[(&str, &str, &str)] = &[
    ("help", "", "Displays this command list."),
    ("status", "", "Displays server status."),
    ("players", "", "List all players currently in game."),
    ("say", "<message...>", "Send a message to all players."),
    ("kick", "<username...>", "Kick a person by name."),
    ("ban", "<type-id|name|ip> <username/IP/ID...>", "Ban a person."),
    ("unban", "<ip/ID>", "Completely unban a person by IP or ID."),
    ("bans", "", "List all banned IPs and IDs."),
    ("admin", "<add/remove> <username/ID...>", "Make an online user admin"),
    ("runwave", "", "Trigger the next wave."),
    ("subnet-ban", "[add/remove] [address]", "Ban a subnet: rejects every connection whose IP starts with it."),
    ("name-ban", "[add/remove] [name...]", "Ban a player name (colors and case ignored)."),
    ("whitelist", "[add/remove] [ID]", "Add/remove players from the whitelist using their ID."),
    ("save", "[name]", "Save the world now."),
    ("stop", "", "Stop hosting the server (saves first)."),
    ("exit", "", "Exit the server application (saves first)."),
];

/// Runs one console line. Returns the reply lines and what the host must do.
pub fn run(
    line: &str,
    sim: &mut Sim,
    access: &mut dyn AccessControl,
    facts: &HostFacts,
) -> (Vec<String>, ConsoleAction) {
    let line = line.trim();
    let (cmd, rest) = line.split_once(char::is_whitespace).map_or((line, ""), |(c, r)| (c, r.trim()));
    let mut out = Vec::new();
    let action = match cmd {
        "" => ConsoleAction::None,
        "help" => {
            out.push("Commands:".into());
            for (c, params, desc) in HELP {
                out.push(format!("  {c} {params} - {desc}").replace("  - ", " - "));
            }
            ConsoleAction::None
        }
        "status" => {
            out.push("Status:".into());
            out.push(format!("  Playing on map {} / Wave {}", facts.map, sim.state.wave));
            out.push(format!("  {:.0} ticks/s, mean tick {:.0} us", facts.tps, facts.mean_tick_us));
            let n = sim.player_count();
            if n == 0 {
                out.push("  No players connected.".into());
            } else {
                out.push(format!("  Players: {n}"));
                for p in sim.players() {
                    out.push(format!("    {} / {}", strip_colors(&p.name), p.uuid));
                }
            }
            ConsoleAction::None
        }
        "players" => {
            let players: Vec<_> = sim.players().collect();
            if players.is_empty() {
                out.push("No players are currently in the server.".into());
            } else {
                out.push(format!("Players: {}", players.len()));
                for p in players {
                    out.push(format!(
                        "  {}{} / ID: {} / IP: {} / id #{}",
                        if p.admin { "[A] " } else { "" },
                        strip_colors(&p.name),
                        p.uuid,
                        p.ip,
                        p.id
                    ));
                }
            }
            ConsoleAction::None
        }
        "say" => {
            if rest.is_empty() {
                out.push("Usage: say <message...>".into());
            } else {
                sim.server_say(rest);
                out.push(format!("Server: {rest}"));
            }
            ConsoleAction::None
        }
        "kick" => {
            match find_player(sim, rest) {
                Some(id) => {
                    let name = sim.player(id).map(|p| p.name.clone()).unwrap_or_default();
                    sim.announce(&format!("[scarlet]{name}[scarlet] has been kicked by the server."));
                    sim.kick(id, KickReason::Kick);
                    out.push("Kicked.".into());
                }
                None => out.push("Nobody with that name could be found...".into()),
            }
            ConsoleAction::None
        }
        "ban" => {
            let (kind, target) = rest.split_once(char::is_whitespace).map_or((rest, ""), |(k, t)| (k, t.trim()));
            match (kind, target) {
                (_, "") => out.push("Usage: ban <type-id|name|ip> <username/IP/ID...>".into()),
                ("id", uuid) => {
                    report(&mut out, access.ban(uuid, None, ""), "Banned.");
                    let online: Vec<i32> = sim.players().filter(|p| p.uuid == uuid).map(|p| p.id).collect();
                    for id in online {
                        sim.kick(id, KickReason::Banned);
                    }
                }
                ("ip", ip) => {
                    report(&mut out, access.ban("", Some(ip), ""), "Banned.");
                    let online: Vec<i32> = sim.players().filter(|p| p.ip == ip).map(|p| p.id).collect();
                    for id in online {
                        sim.kick(id, KickReason::Banned);
                    }
                }
                ("name", name) => match find_player(sim, name) {
                    Some(id) => {
                        let p = sim.player(id).cloned();
                        if let Some(p) = p {
                            report(&mut out, access.ban(&p.uuid, Some(&p.ip), &p.name), "Banned.");
                            sim.kick(id, KickReason::Banned);
                        }
                    }
                    None => out.push("No matches found.".into()),
                },
                _ => out.push("Invalid type.".into()),
            }
            ConsoleAction::None
        }
        "unban" => {
            match access.unban(rest) {
                Ok(true) => out.push("Unbanned player.".into()),
                Ok(false) => out.push("That IP/ID is not banned!".into()),
                Err(e) => out.push(format!("Could not unban: {e}")),
            }
            ConsoleAction::None
        }
        "bans" => {
            let bans = access.bans();
            if bans.is_empty() {
                out.push("No banned players have been found.".into());
            } else {
                out.push("Banned players:".into());
                out.extend(bans.into_iter().map(|b| format!("  {b}")));
            }
            ConsoleAction::None
        }
        "admin" => {
            let (op, target) = rest.split_once(char::is_whitespace).map_or((rest, ""), |(k, t)| (k, t.trim()));
            let add = match op {
                "add" => Some(true),
                "remove" => Some(false),
                _ => None,
            };
            match (add, target) {
                (None, _) | (_, "") => out.push("Usage: admin <add/remove> <username/ID...>".into()),
                (Some(add), target) => {
                    let found = find_player(sim, target).and_then(|id| sim.player(id).cloned());
                    let (uuid, name, id) = match &found {
                        Some(p) => (p.uuid.clone(), p.name.clone(), Some(p.id)),
                        None => (target.to_string(), String::new(), None),
                    };
                    match access.set_admin(&uuid, add, &name) {
                        Ok(()) => {
                            if let Some(id) = id {
                                sim.set_admin(id, add);
                            }
                            let who = if name.is_empty() { uuid } else { strip_colors(&name) };
                            out.push(if add {
                                format!("Changed admin status of player: {who}")
                            } else {
                                format!("Removed admin status of player: {who}")
                            });
                        }
                        Err(e) => out.push(format!("Could not change admin status: {e}")),
                    }
                }
            }
            ConsoleAction::None
        }
        "subnet-ban" => {
            list_command(&mut out, access, AccessList::Subnets, rest, sim);
            ConsoleAction::None
        }
        "name-ban" => {
            list_command(&mut out, access, AccessList::Names, rest, sim);
            ConsoleAction::None
        }
        "whitelist" => {
            list_command(&mut out, access, AccessList::Whitelist, rest, sim);
            ConsoleAction::None
        }
        "runwave" => {
            sim.run_wave();
            out.push("Wave spawned.".into());
            ConsoleAction::None
        }
        "save" => ConsoleAction::Save((!rest.is_empty()).then(|| rest.to_string())),
        "stop" => ConsoleAction::Stop,
        "exit" => ConsoleAction::Exit,
        other => {
            out.push(format!("Command '{other}' not found. Try 'help'."));
            ConsoleAction::None
        }
    };
    (out, action)
}

/// `subnet-ban`, `name-ban` and `whitelist`: no argument lists, `add`/`remove` edit (wording as `ServerControl`).
fn list_command(out: &mut Vec<String>, access: &mut dyn AccessControl, list: AccessList, rest: &str, sim: &mut Sim) {
    let (op, value) = rest.split_once(char::is_whitespace).map_or((rest, ""), |(o, v)| (o, v.trim()));
    let value = match list {
        AccessList::Names => strip_colors(value).trim().to_lowercase(),
        _ => value.to_string(),
    };
    let what = match list {
        AccessList::Subnets => "subnet",
        AccessList::Names => "name",
        AccessList::Whitelist => "player ID",
    };
    match (op, value.as_str()) {
        ("", _) => {
            let entries = access.listed(list);
            match list {
                AccessList::Subnets => {
                    out.push(format!("Subnets banned: {}", if entries.is_empty() { "<none>" } else { "" }))
                }
                AccessList::Names => {
                    out.push(format!("Names banned: {}", if entries.is_empty() { "<none>" } else { "" }))
                }
                AccessList::Whitelist if entries.is_empty() => out.push("No whitelisted players found.".into()),
                AccessList::Whitelist => out.push("Whitelist:".into()),
            }
            out.extend(entries.into_iter().map(|e| format!("  {e}")));
        }
        (_, "") => out.push(format!("You must provide a {what} to add or remove.")),
        ("add" | "remove", value) => {
            let add = op == "add";
            match access.set_listed(list, value, add) {
                Ok(false) if add => out.push(format!("That {what} is already listed.")),
                Ok(false) => out.push(format!("That {what} isn't listed.")),
                Ok(true) => {
                    out.push(match (list, add) {
                        (AccessList::Subnets, true) => format!("Banned {value}**"),
                        (AccessList::Subnets, false) => format!("Unbanned {value}**"),
                        (AccessList::Names, true) => format!("Banned the name '{value}'."),
                        (AccessList::Names, false) => format!("Unbanned the name '{value}'."),
                        (AccessList::Whitelist, true) => format!("Player '{value}' has been whitelisted."),
                        (AccessList::Whitelist, false) => format!("Player '{value}' has been un-whitelisted."),
                    });
                    // A new ban also removes matching players who are online.
                    if add && list != AccessList::Whitelist {
                        let matching: Vec<i32> = sim
                            .players()
                            .filter(|p| match list {
                                AccessList::Subnets => p.ip.starts_with(value),
                                _ => strip_colors(&p.name).trim().to_lowercase() == value,
                            })
                            .map(|p| p.id)
                            .collect();
                        for id in matching {
                            sim.kick(id, KickReason::Banned);
                        }
                    }
                }
                Err(e) => out.push(format!("Could not change the list: {e}")),
            }
        }
        _ => out.push("Incorrect usage. Provide add/remove as the second argument.".into()),
    }
}

fn report(out: &mut Vec<String>, r: Result<(), String>, ok: &str) {
    match r {
        Ok(()) => out.push(ok.into()),
        Err(e) => out.push(format!("Failed: {e}")),
    }
}

/// Finds an online player by exact name (colour tags ignored, case-insensitive), `#id`, or uuid.
pub fn find_player(sim: &Sim, key: &str) -> Option<i32> {
    let key = key.trim();
    if key.is_empty() {
        return None;
    }
    if let Some(id) = key.strip_prefix('#').and_then(|n| n.parse::<i32>().ok()) {
        return sim.player(id).map(|p| p.id);
    }
    sim.players()
        .find(|p| p.uuid == key || strip_colors(&p.name).eq_ignore_ascii_case(key) || p.name == key)
        .map(|p| p.id)
}

/// Removes `[colour]` markup (`Strings.stripColors`): `[name]`, `[#hex]` and `[]`; `[[` is a literal `[`.
pub fn strip_colors(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '[' {
            if chars.get(i + 1) == Some(&'[') {
                out.push('[');
                i += 2;
                continue;
            }
            if let Some(end) = chars[i + 1..].iter().position(|&c| c == ']') {
                let inner: String = chars[i + 1..i + 1 + end].iter().collect();
                let is_tag =
                    inner.is_empty() || inner.starts_with('#') || inner.chars().all(|c| c.is_ascii_alphabetic());
                if is_tag {
                    i += end + 2;
                    continue;
                }
            }
        }
        out.push(c);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grid::Grid;
    use crate::sim::{GameState, Input, JoinRequest, Output, SimRules};
    use std::time::Duration;

    #[derive(Default)]
    struct Store {
        bans: Vec<String>,
        admins: Vec<String>,
        lists: Vec<(String, String)>,
    }

    impl AccessControl for Store {
        fn ban(&mut self, uuid: &str, ip: Option<&str>, _name: &str) -> Result<(), String> {
            if !uuid.is_empty() {
                self.bans.push(uuid.into());
            }
            if let Some(ip) = ip {
                self.bans.push(ip.into());
            }
            Ok(())
        }
        fn unban(&mut self, key: &str) -> Result<bool, String> {
            let before = self.bans.len();
            self.bans.retain(|b| b != key);
            Ok(self.bans.len() != before)
        }
        fn bans(&self) -> Vec<String> {
            self.bans.clone()
        }
        fn set_admin(&mut self, uuid: &str, admin: bool, _name: &str) -> Result<(), String> {
            if admin {
                self.admins.push(uuid.into());
            } else {
                self.admins.retain(|a| a != uuid);
            }
            Ok(())
        }
        fn set_listed(&mut self, list: AccessList, value: &str, listed: bool) -> Result<bool, String> {
            let key = (format!("{list:?}"), value.to_string());
            let had = self.lists.contains(&key);
            if listed && !had {
                self.lists.push(key);
            } else if !listed {
                self.lists.retain(|k| *k != key);
            }
            Ok(listed != had)
        }
        fn listed(&self, list: AccessList) -> Vec<String> {
            self.lists.iter().filter(|(l, _)| *l == format!("{list:?}")).map(|(_, v)| v.clone()).collect()
        }
    }

    #[test]
    fn subnet_name_bans_and_whitelist_commands_edit_the_lists_and_kick() {
        let mut sim = world_with(&["alice", "[red]Bob"]);
        let mut store = Store::default();
        let facts = HostFacts::default();
        let mut run_line = |sim: &mut Sim, line: &str| run(line, sim, &mut store, &facts).0;
        assert_eq!(run_line(&mut sim, "subnet-ban"), vec!["Subnets banned: <none>".to_string()]);
        assert_eq!(run_line(&mut sim, "subnet-ban add 10.0.0.0"), vec!["Banned 10.0.0.0**".to_string()]);
        assert_eq!(run_line(&mut sim, "subnet-ban add 10.0.0.0"), vec!["That subnet is already listed.".to_string()]);
        assert_eq!(sim.player_count(), 1, "alice (10.0.0.0) was online and is kicked");
        assert_eq!(run_line(&mut sim, "name-ban add BOB"), vec!["Banned the name 'bob'.".to_string()]);
        assert_eq!(sim.player_count(), 0, "[red]Bob matches the name ban");
        assert_eq!(
            run_line(&mut sim, "whitelist add someid"),
            vec!["Player 'someid' has been whitelisted.".to_string()]
        );
        assert_eq!(run_line(&mut sim, "whitelist"), vec!["Whitelist:".to_string(), "  someid".to_string()]);
        assert_eq!(run_line(&mut sim, "whitelist remove someid").len(), 1);
        assert_eq!(
            run_line(&mut sim, "whitelist add"),
            vec!["You must provide a player ID to add or remove.".to_string()]
        );
        assert_eq!(
            run_line(&mut sim, "subnet-ban wat x")[0],
            "Incorrect usage. Provide add/remove as the second argument."
        );
    }

    fn world_with(names: &[&str]) -> Sim {
        let mut sim = Sim::new(Grid::new(10, 10, 1), SimRules::default(), GameState::default(), 60, 1);
        for (i, n) in names.iter().enumerate() {
            sim.handle(
                Duration::ZERO,
                Input::Join {
                    session: i as u64,
                    request: JoinRequest {
                        build: 159,
                        name: (*n).into(),
                        uuid: format!("uuid-{n}"),
                        usid: String::new(),
                        color: 0xff,
                        locale: "en".into(),
                        admin: false,
                        ip: format!("10.0.0.{i}"),
                    },
                },
            );
        }
        sim.drain();
        sim
    }

    #[test]
    fn strip_colors_like_java() {
        assert_eq!(strip_colors("[red]bob[]"), "bob");
        assert_eq!(strip_colors("[#ff0000ff]x[[y]"), "x[y]");
        assert_eq!(strip_colors("a [1,2] b"), "a [1,2] b");
    }

    #[test]
    fn kick_ban_unban_admin_and_unknown() {
        let mut sim = world_with(&["[red]alice", "bob"]);
        let mut store = Store::default();
        let facts = HostFacts::default();
        let (out, _) = run("players", &mut sim, &mut store, &facts);
        assert_eq!(out[0], "Players: 2");
        let (out, _) = run("kick alice", &mut sim, &mut store, &facts);
        assert_eq!(out, vec!["Kicked."]);
        assert!(sim.drain().iter().any(|o| matches!(o, Output::Kick(0, KickReason::Kick))));
        let (out, _) = run("ban name bob", &mut sim, &mut store, &facts);
        assert_eq!(out, vec!["Banned."]);
        assert_eq!(store.bans, vec!["uuid-bob".to_string(), "10.0.0.1".to_string()]);
        assert_eq!(sim.player_count(), 0);
        let (out, _) = run("bans", &mut sim, &mut store, &facts);
        assert_eq!(out.len(), 3);
        assert_eq!(run("unban uuid-bob", &mut sim, &mut store, &facts).0, vec!["Unbanned player."]);
        assert_eq!(run("unban uuid-bob", &mut sim, &mut store, &facts).0, vec!["That IP/ID is not banned!"]);
        run("admin add uuid-zed", &mut sim, &mut store, &facts);
        assert_eq!(store.admins, vec!["uuid-zed".to_string()]);
        assert_eq!(
            run("frobnicate", &mut sim, &mut store, &facts).0,
            vec!["Command 'frobnicate' not found. Try 'help'."]
        );
        assert_eq!(run("save snap", &mut sim, &mut store, &facts).1, ConsoleAction::Save(Some("snap".into())));
        assert_eq!(run("stop", &mut sim, &mut store, &facts).1, ConsoleAction::Stop);
        assert_eq!(run("exit", &mut sim, &mut store, &facts).1, ConsoleAction::Exit);
        assert!(run("help", &mut sim, &mut store, &facts).0.len() > 12);
    }

    #[test]
    fn say_broadcasts_as_server() {
        let mut sim = world_with(&["a"]);
        let mut store = Store::default();
        run("say hello all", &mut sim, &mut store, &HostFacts::default());
        let out = sim.drain();
        assert!(out.iter().any(|o| matches!(o,
            Output::Send(crate::sim::Target::All, crate::sim::Call::SendMessage(m)) if m == "[scarlet][[Server]:[] hello all")));
    }
}
