//! `multidustry ping` against our discovery responder (`multidustry_proxy::discovery::serve`), against a
//! silent port (no answer: exit 1 and a clear message), and against a responder sending garbage.

use std::process::Command;
use std::sync::Arc;

use multidustry_protocol::ServerInfo;
use tokio::net::UdpSocket;

fn multidustry() -> Command {
    Command::new(env!("CARGO_BIN_EXE_multidustry"))
}

fn info(port: u16) -> ServerInfo {
    ServerInfo {
        name: "Ping Test ✓".into(),
        map: "Ground Zero".into(),
        players: 2,
        wave: 9,
        version: 159,
        gamemode: 2,
        player_limit: 16,
        description: "a responder under test".into(),
        mode_name: String::new(),
        port: port as i16,
        ..ServerInfo::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ping_prints_the_server_entry() {
    let socket = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
    let port = socket.local_addr().unwrap().port();
    let task = tokio::spawn(multidustry_proxy::discovery::serve(socket, info(port)));
    let target = format!("127.0.0.1:{port}");

    let out = tokio::task::spawn_blocking({
        let target = target.clone();
        move || multidustry().args(["ping", &target]).output().unwrap()
    })
    .await
    .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for want in [
        "name:         Ping Test ✓",
        "map:          Ground Zero",
        "players:      2 / 16",
        "wave:         9",
        "build:        159 (official)",
        "mode:         attack",
        "description:  a responder under test",
        "ping:",
    ] {
        assert!(text.contains(want), "missing `{want}` in:\n{text}");
    }

    let out = tokio::task::spawn_blocking(move || multidustry().args(["ping", &target, "--json"]).output().unwrap())
        .await
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["name"], "Ping Test ✓");
    assert_eq!(v["map"], "Ground Zero");
    assert_eq!(v["players"], 2);
    assert_eq!(v["player_limit"], 16);
    assert_eq!(v["wave"], 9);
    assert_eq!(v["build"], 159);
    assert_eq!(v["mode"], "attack");
    assert_eq!(v["description"], "a responder under test");
    assert_eq!(v["port"], port);
    assert!(v["rtt_ms"].as_f64().unwrap() >= 0.0);
    task.abort();
}

#[test]
fn a_silent_port_is_a_clear_error() {
    // A bound socket that never answers: the request is received and ignored, so this is a real timeout.
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let target = silent.local_addr().unwrap().to_string();
    let start = std::time::Instant::now();
    let out = multidustry().args(["ping", &target, "--timeout", "0.5"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(start.elapsed() < std::time::Duration::from_secs(5));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("no answer from") && err.contains(&target), "{err}");
    assert!(out.stdout.is_empty());

    // Default timeout (2 s) also ends with exit 1.
    let out = multidustry().args(["ping", &target]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn a_malformed_reply_is_a_clear_error() {
    let server = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let target = server.local_addr().unwrap().to_string();
    let t = std::thread::spawn(move || {
        let mut buf = [0u8; 64];
        let (_, from) = server.recv_from(&mut buf).unwrap();
        // A name claiming 50 bytes, followed by 3.
        server.send_to(&[50, b'a', b'b', b'c'], from).unwrap();
    });
    let out = multidustry().args(["ping", &target]).output().unwrap();
    t.join().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("malformed reply"), "{err}");
}
