//! Interop: the third-party Python client `pydustry` (PyPI, `Server(host, port).get_status()`) queries our
//! discovery responder and reads back the configured name, map and figures.
//!
//! Needs `python3` with `pydustry` installed (`pip install pydustry`). Without it the test prints a skip notice,
//! unless `MULTIDUSTRY_REQUIRE_TEST_DATA` is set (CI), where a missing client is a failure.

use std::sync::Arc;
use std::time::Duration;

use multidustry_protocol::ServerInfo;
use multidustry_proxy::discovery;
use tokio::net::UdpSocket;
use tokio::process::Command;

const SCRIPT: &str = r#"
import socket, sys
socket.setdefaulttimeout(5)
import pydustry
s = pydustry.Server(sys.argv[1], int(sys.argv[2]))
st = s.get_status()
for k in ("name", "map", "players", "wave", "version", "vertype"):
    print(st[k])
print(s.ping(timeout=5) >= 0)
"#;

fn required() -> bool {
    std::env::var_os("MULTIDUSTRY_REQUIRE_TEST_DATA").is_some_and(|v| !v.is_empty() && v != "0")
}

async fn pydustry_available() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import pydustry"])
        .output()
        .await
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        assert!(
            !required(),
            "python3 with pydustry is required (MULTIDUSTRY_REQUIRE_TEST_DATA is set): pip install pydustry"
        );
        eprintln!("skipping: python3 with pydustry not found (pip install pydustry)");
    }
    ok
}

#[tokio::test]
async fn pydustry_reads_our_discovery_reply() {
    if !pydustry_available().await {
        return;
    }
    let socket = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
    let port = socket.local_addr().unwrap().port();
    let info = ServerInfo {
        name: "Multidustry ✓ test".into(),
        map: "Fortress".into(),
        players: 3,
        wave: 7,
        version: 159,
        description: "served by the codec test".into(),
        port: port as i16,
        ..ServerInfo::default()
    };
    let task = tokio::spawn(discovery::serve(socket, info));
    let out = tokio::time::timeout(
        Duration::from_secs(20),
        Command::new("python3")
            .args(["-c", SCRIPT, "127.0.0.1", &port.to_string()])
            .env("PYTHONIOENCODING", "utf-8")
            .output(),
    )
    .await
    .expect("pydustry finished in time")
    .expect("python3 runs");
    task.abort();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "pydustry failed: {}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines, ["Multidustry ✓ test", "Fortress", "3", "7", "159", "official", "True"]);
}
