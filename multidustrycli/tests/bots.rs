//! `multidustry bots` as a command: flag errors, the `--json` report and exit codes, against a closed port and
//! against a real `multidustry monolith` on loopback (the server side of this test; the monolith's own
//! behaviour is tested in `monolith.rs`).

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_multidustry");
const REPORT_FIELDS: [&str; 6] = ["joined", "failed", "kicked", "join_ms_p50", "join_ms_p99", "packets_per_sec"];

fn run_bots(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(BIN).arg("bots").args(args).output().expect("run multidustry bots");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn report(stdout: &str) -> serde_json::Value {
    let line = stdout.lines().last().unwrap_or_default();
    let v: serde_json::Value =
        serde_json::from_str(line).unwrap_or_else(|e| panic!("not one JSON object ({e}): {stdout}"));
    for k in REPORT_FIELDS {
        assert!(v.get(k).is_some(), "report lacks `{k}`: {v}");
    }
    v
}

#[test]
fn unsupported_build_and_zero_count_are_flag_errors() {
    let (code, _, err) = run_bots(&["--connect", "127.0.0.1:1", "--build", "150"]);
    assert_ne!(code, Some(0));
    assert!(err.contains("--build 150 is not supported"), "{err}");
    let (code, _, err) = run_bots(&["--connect", "127.0.0.1:1", "--count", "0"]);
    assert_ne!(code, Some(0));
    assert!(err.contains("--count"), "{err}");
}

#[test]
fn nobody_listening_means_every_bot_failed_and_exit_code_1() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let target = format!("127.0.0.1:{port}");
    let (code, out, _) = run_bots(&["--connect", &target, "--count", "3", "--duration", "1", "--json"]);
    assert_eq!(code, Some(1));
    let r = report(&out);
    assert_eq!((r["joined"].as_u64(), r["failed"].as_u64(), r["kicked"].as_u64()), (Some(0), Some(3), Some(0)));
    assert!(r["errors"][0][0].as_str().is_some_and(|e| e.contains("tcp connect")), "{r}");
    // Without --json: the human summary.
    let (code, out, _) = run_bots(&["--connect", &target, "--duration", "1"]);
    assert_eq!(code, Some(1));
    assert!(out.contains("joined 0 / failed 1 / kicked 0 of 1 bots"), "{out}");
}

/// A monolith on loopback; killed on drop.
struct Monolith {
    child: Child,
    addr: SocketAddr,
    _data: tempfile::TempDir,
}

impl Monolith {
    fn start() -> Monolith {
        let data = tempfile::tempdir().expect("temp dir");
        let mut child = Command::new(BIN)
            .args(["monolith", "--bind", "127.0.0.1:0", "--data"])
            .arg(data.path())
            .env("RUST_LOG", "warn")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the monolith");
        let stdout = child.stdout.take().expect("piped");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let ready = rx.recv_timeout(Duration::from_secs(60)).expect("readiness line");
        let addr = ready
            .split_whitespace()
            .skip_while(|w| *w != "tcp")
            .nth(1)
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("no tcp address in {ready}"));
        Monolith { child, addr, _data: data }
    }
}

impl Drop for Monolith {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn bots_join_a_monolith_hear_their_say_line_and_exit_0() {
    let server = Monolith::start();
    let target = server.addr.to_string();
    for build in ["159", "154"] {
        let say = format!("smoke {build}");
        let (code, out, err) = run_bots(&[
            "--connect",
            &target,
            "--count",
            "2",
            "--duration",
            "4",
            "--build",
            build,
            "--say",
            &say,
            "--expect",
            &say,
            "--json",
        ]);
        let r = report(&out);
        assert_eq!(code, Some(0), "build {build}: {r}\n{err}");
        assert_eq!((r["joined"].as_u64(), r["failed"].as_u64(), r["kicked"].as_u64()), (Some(2), Some(0), Some(0)));
        assert_eq!(r["expect_seen"].as_u64(), Some(2));
        assert!(r["join_ms_p50"].as_f64().is_some_and(|v| v > 0.0));
        assert!(r["packets_per_sec"].as_f64().is_some_and(|v| v > 0.0));
        assert_eq!(r["decode_errors"].as_u64(), Some(0), "the monolith's packets decode with the codec: {r}");
    }
    // --expect with a text nobody sends fails the run.
    let (code, out, _) = run_bots(&["--connect", &target, "--duration", "2", "--expect", "no one says this", "--json"]);
    assert_eq!(code, Some(1));
    let r = report(&out);
    assert_eq!((r["joined"].as_u64(), r["failed"].as_u64()), (Some(1), Some(1)));
}
