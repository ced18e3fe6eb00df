//! The `multidustry` binary's own surface: config commands and the honest answer of unbuilt commands.

use std::process::Command;

fn multidustry() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_multidustry"));
    // keep the developer's environment out of the results
    for (k, _) in std::env::vars() {
        if k.starts_with("MULTIDUSTRY__") {
            c.env_remove(k);
        }
    }
    c
}

#[test]
fn config_default_prints_a_file_that_checks() {
    let out = multidustry().args(["config", "default"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("[proxy]") && text.contains("tick_rate = 60"), "{text}");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("m.toml");
    std::fs::write(&file, &text).unwrap();
    let out = multidustry().arg("--config").arg(&file).args(["config", "check"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn config_errors_name_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.toml");
    std::fs::write(&file, "[gameserver]\ntick_rat = 30\n").unwrap();
    let out = multidustry().arg("--config").arg(&file).args(["config", "check"]).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("tick_rat"), "{err}");

    let out = multidustry().args(["config", "show"]).env("MULTIDUSTRY__PROXY__MAX_PLAYERS", "lots").output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("proxy.max_players"), "{err}");

    let out = multidustry().args(["config", "show"]).env("MULTIDUSTRY__PROXY__MAX_PLAYERS", "12").output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("max_players = 12"));
}

#[test]
fn unbuilt_commands_fail_clearly() {
    for cmd in [&["apiserver"][..], &["worlds", "ls"], &["plugins", "install", "x.zip"], &["--mode", "proxy"]] {
        let out = multidustry().args(cmd).output().unwrap();
        assert!(!out.status.success(), "{cmd:?} must not pretend to succeed");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("not available yet"), "{cmd:?}: {err}");
    }
}
