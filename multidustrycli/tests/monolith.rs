//! Integration: the real `multidustry` binary as a monolith on loopback, driven by `multidustry bots` for both
//! client builds, the console on stdin, and a restart from the same data dir.

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_multidustry");

/// A running monolith; killed on drop.
struct Server {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
    addr: SocketAddr,
}

impl Server {
    fn start(data: &Path) -> Server {
        let mut child = Command::new(BIN)
            .args(["monolith", "--bind", "127.0.0.1:0", "--data"])
            .arg(data)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the monolith");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let ready = lines.recv_timeout(Duration::from_secs(30)).expect("a readiness line within 30 s");
        // "multidustry monolith listening on tcp 127.0.0.1:PORT udp 127.0.0.1:PORT"
        let words: Vec<&str> = ready.split_whitespace().collect();
        assert_eq!(&words[..4], ["multidustry", "monolith", "listening", "on"], "readiness line: {ready}");
        assert_eq!(words[4], "tcp");
        let addr: SocketAddr = words[5].parse().expect("tcp address");
        assert_eq!(words[6], "udp");
        let udp: SocketAddr = words[7].parse().expect("udp address");
        assert_eq!(addr.port(), udp.port());
        assert_ne!(addr.port(), 0);
        let stdin = child.stdin.take();
        Server { child, stdin, lines, addr }
    }

    /// Sends a console line and collects the reply lines printed within `wait`.
    fn console(&mut self, line: &str, wait: Duration) -> Vec<String> {
        let stdin = self.stdin.as_mut().expect("stdin open");
        writeln!(stdin, "{line}").expect("write console line");
        stdin.flush().expect("flush");
        let mut out = Vec::new();
        let deadline = std::time::Instant::now() + wait;
        while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(l) => out.push(l),
                Err(_) => break,
            }
        }
        out
    }

    /// Stops via the console and waits for the process to exit.
    fn stop(mut self) {
        self.console("stop", Duration::from_millis(100));
        for _ in 0..100 {
            if let Ok(Some(status)) = self.child.try_wait() {
                assert!(status.success(), "monolith exited with {status}");
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("the monolith did not stop within 10 s");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn bots(addr: SocketAddr, build: u32, count: u32, secs: u32, extra: &[&str]) -> serde_json::Value {
    let (json, ok) = bots_any(addr, build, count, secs, extra);
    assert!(ok, "bots failed (build {build}): {json}");
    json
}

/// Runs bots and returns their JSON report and whether every bot succeeded.
fn bots_any(addr: SocketAddr, build: u32, count: u32, secs: u32, extra: &[&str]) -> (serde_json::Value, bool) {
    let out = Command::new(BIN)
        .args(["bots", "--connect", &addr.to_string(), "--count", &count.to_string()])
        .args(["--duration", &secs.to_string(), "--build", &build.to_string(), "--json"])
        .args(extra)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run bots");
    let text = String::from_utf8_lossy(&out.stdout);
    let json: serde_json::Value = serde_json::from_str(text.trim())
        .unwrap_or_else(|e| panic!("bots printed no JSON ({e}): {text} / {}", String::from_utf8_lossy(&out.stderr)));
    (json, out.status.success())
}

fn messages(bot: &serde_json::Value) -> Vec<String> {
    bot["messages"]
        .as_array()
        .map(|m| m.iter().filter_map(|s| s.as_str().map(String::from)).collect())
        .unwrap_or_default()
}

#[test]
fn bots_of_both_builds_join_see_each_other_chat_and_build_and_a_restart_keeps_the_world() {
    let data = tempfile::tempdir().expect("tempdir");
    let mut server = Server::start(data.path());

    for (build, word) in [(159u32, "hello-from-159"), (154, "hello-from-154")] {
        let json = bots(server.addr, build, 3, 4, &["--say", word, "--expect", word, "--build-blocks", "--name", "b"]);
        assert_eq!(json["joined"], 3, "{json}");
        assert_eq!(json["failed"], 0, "{json}");
        assert_eq!(json["expect_seen"], 3, "every bot got the chat line: {json}");
        // Issue 4: a placed block is reported built (constructFinish) to every bot, and every bot sees the
        // other players in its entity snapshots.
        let built_by_all = json["blocks_built_seen_by_all"].as_u64().expect("blocks_built_seen_by_all");
        assert!(built_by_all >= 1, "some placed block was reported built to every bot: {json}");
        assert_eq!(json["min_players_seen"], 3, "every bot saw all three players: {json}");
        assert_eq!(json["decode_errors"], 0, "{json}");
        let list = json["bots"].as_array().expect("bots");
        for bot in list {
            assert_eq!(bot["spawned"], true, "{bot}");
            let msgs = messages(bot);
            // Every bot sees its own arrival and at least one other bot's (join announcements are broadcast to
            // every session in the world, so bots that joined earlier see the later ones).
            let name = bot["name"].as_str().expect("name");
            assert!(msgs.iter().any(|m| m.contains(&format!("{name}[accent] has connected."))), "{msgs:?}");
            let others = (0..3).filter(|o| format!("b{o}") != name);
            assert!(
                others.clone().any(|o| msgs.iter().any(|m| m.contains(&format!("b{o}[accent] has connected.")))),
                "{name} saw no other bot: {msgs:?}"
            );
            assert!(msgs.iter().any(|m| m.contains("[coral]]:[white] ") && m.contains(word)), "{msgs:?}");
        }
    }

    // Subnet and name bans from the console reject new connections with `banned` and persist.
    assert_eq!(server.console("subnet-ban add 127.0.0.", Duration::from_secs(1)), vec!["Banned 127.0.0.**"]);
    let (json, ok) = bots_any(server.addr, 159, 1, 2, &["--name", "s"]);
    assert!(!ok && json["kicked"] == 1, "{json}");
    assert!(json["kick_reasons"].to_string().to_lowercase().contains("banned"), "{json}");
    assert_eq!(server.console("subnet-ban remove 127.0.0.", Duration::from_secs(1)), vec!["Unbanned 127.0.0.**"]);
    assert_eq!(server.console("name-ban add n0", Duration::from_secs(1)), vec!["Banned the name 'n0'."]);
    let (json, ok) = bots_any(server.addr, 154, 1, 2, &["--name", "n"]);
    assert!(!ok && json["kicked"] == 1, "{json}");

    // A wave (console runwave) reaches clients of both builds as enemy units in their entity snapshots.
    assert_eq!(server.console("runwave", Duration::from_secs(1)), vec!["Wave spawned."]);
    for build in [159u32, 154] {
        let json = bots(server.addr, build, 1, 2, &["--name", &format!("w{build}-")]);
        assert!(json["min_enemies_seen"].as_u64().unwrap_or(0) >= 1, "the wave's units: {json}");
        assert_eq!(json["decode_errors"], 0, "{json}");
    }

    // The bots have left (their leaves may take a moment to reach the world).
    let mut status = Vec::new();
    for _ in 0..10 {
        status = server.console("status", Duration::from_millis(500));
        if status.iter().any(|l| l.contains("No players connected.")) {
            break;
        }
    }
    assert!(status.iter().any(|l| l.contains("Wave") && l.contains("Playing on map")), "status: {status:?}");
    assert!(status.iter().any(|l| l.contains("No players connected.")), "status: {status:?}");
    let ban = server.console("ban id AAAAAAAAAAAAAAAAAAAAAA==", Duration::from_secs(1));
    assert_eq!(ban, vec!["Banned."]);
    let bans = server.console("bans", Duration::from_secs(1));
    assert!(bans.iter().any(|l| l.contains("AAAAAAAAAAAAAAAAAAAAAA==")), "bans: {bans:?}");
    server.stop();

    // The snapshot written on stop holds the walls the bots built, and the bans persist.
    let snapshot = data.path().join("worlds/default.msav");
    let world = multidustry_gameserver::worldio::load(&std::fs::read(&snapshot).expect("snapshot written"))
        .expect("snapshot loads");
    let walls = world.grid.buildings().filter(|(_, b)| b.block == 216 && b.construction.is_none()).count();
    assert!(walls >= 1, "a copper wall was built and saved");
    assert!(!world.units.is_empty(), "the wave's units are saved with the world");
    let access_file = std::fs::read_to_string(data.path().join("access.toml")).expect("access file");
    assert!(access_file.contains("n0") && !access_file.contains("127.0.0."), "{access_file}");
    assert!(
        std::fs::read_to_string(data.path().join("access.toml"))
            .expect("access file")
            .contains("AAAAAAAAAAAAAAAAAAAAAA==")
    );

    // A restart resumes the snapshot: same walls, and the ban survives.
    let mut again = Server::start(data.path());
    let bans = again.console("bans", Duration::from_secs(1));
    assert!(bans.iter().any(|l| l.contains("AAAAAAAAAAAAAAAAAAAAAA==")), "bans after restart: {bans:?}");
    let json = bots(again.addr, 159, 2, 2, &["--name", "r"]);
    assert_eq!(json["joined"], 2, "{json}");
    again.stop();
    let resumed =
        multidustry_gameserver::worldio::load(&std::fs::read(&snapshot).expect("snapshot")).expect("snapshot loads");
    let walls_after = resumed.grid.buildings().filter(|(_, b)| b.block == 216).count();
    assert_eq!(walls_after, walls, "the restart kept the built walls");
    assert!(
        resumed.units.iter().all(|u| world.units.iter().any(|w| w.id == u.id)) && !resumed.units.is_empty(),
        "the wave units came back after the restart"
    );
    assert!(resumed.next_entity_id > world.next_entity_id, "entity ids continue after a restart");
}

#[test]
fn mode_flag_is_the_same_as_the_subcommand() {
    let data = tempfile::tempdir().expect("tempdir");
    let mut child = Command::new(BIN)
        .args(["--mode", "monolith"])
        .env("MULTIDUSTRY__PROXY__BIND", "127.0.0.1:0")
        .env("MULTIDUSTRY__GENERAL__DATA_DIR", data.path())
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("readiness line");
    let _ = child.kill();
    let _ = child.wait();
    assert!(line.starts_with("multidustry monolith listening on tcp 127.0.0.1:"), "{line}");
}
