//! `multidustry mlog run`: flags, output and termination rules, through the real binary.

use std::io::Write as _;
use std::process::Command;

fn run(src: &str, args: &[&str]) -> (serde_json::Value, i32) {
    let mut f = tempfile::NamedTempFile::new().expect("temp file");
    f.write_all(src.as_bytes()).expect("write program");
    let out = Command::new(env!("CARGO_BIN_EXE_multidustry"))
        .args(["mlog", "run"])
        .arg(f.path())
        .args(args)
        .arg("--json")
        .output()
        .expect("run multidustry");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let v = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("json {e}: {stdout:?} {out:?}"));
    (v, out.status.code().unwrap_or(-1))
}

#[test]
fn prints_flushes_variables_and_termination() {
    let (v, code) = run("set a 2\nop mul b a 21\nprint b\nprint \" ok\"\nprintflush message1\nstop\n", &[]);
    assert_eq!(code, 0);
    assert_eq!(v["termination"], "stop");
    assert_eq!(v["executed"], 6);
    assert_eq!(v["flushes"][0]["text"], "42 ok");
    assert_eq!(v["flushes"][0]["target"], "message1");
    assert_eq!(v["variables"]["b"], "42");
    assert_eq!(v["variables"]["@counter"], "5");
    assert!(v["elapsed_ns"].as_u64().is_some());
}

#[test]
fn build_switch_changes_literal_parsing() {
    let prog = "set r 2.5e-1\nprint r\nprintflush message1\nstop\n";
    assert_eq!(run(prog, &["--build", "159"]).0["flushes"][0]["text"], "0.25");
    assert_eq!(run(prog, &["--build", "154"]).0["flushes"][0]["text"], "null");
}

#[test]
fn wraps_selfloop_budget_and_empty() {
    let (v, _) = run("op add n n 1\n", &["--wraps", "3"]);
    assert_eq!(v["termination"], "end");
    assert_eq!(v["variables"]["n"], "3");
    let (v, _) = run("set a 1\njump 1 always\n", &[]);
    assert_eq!(v["termination"], "selfloop");
    assert_eq!(v["executed"], 2);
    let (v, _) = run("op add i i 1\njump 0 lessThan i 1e9\n", &["--max-instructions", "100"]);
    assert_eq!(v["termination"], "budget");
    assert_eq!(v["executed"], 100);
    assert_eq!(v["variables"]["i"], "50");
    let (v, _) = run("jump nowhere always\n", &[]);
    assert_eq!(v["termination"], "empty");
    assert!(v["parse_error"].as_str().is_some_and(|e| e.contains("nowhere")));
}

#[test]
fn ticks_follow_the_ipt_budget() {
    // `wait` yields; with ipt 2 the accumulator paces the loop, and `@tick` advances once per tick.
    let (v, _) = run("op add n n 1\njump 0 lessThan n 10\nset t @tick\nstop\n", &["--ipt", "2"]);
    assert_eq!(v["termination"], "stop");
    assert_eq!(v["variables"]["n"], "10");
    // 22 instructions at 2 per tick after the first (empty) tick: the stop runs on tick 12.
    assert_eq!(v["variables"]["t"], "12");
}

#[test]
fn links_memory_and_errors() {
    let (v, _) = run(
        "write 7 cell1 3\nread x cell1 3\nwrite 9 bank1 511\nread y bank1 511\nread z cell1 64\nsensor c cell1 @memoryCapacity\nstop\n",
        &["--link", "cell1", "--link", "bank1"],
    );
    assert_eq!(v["variables"]["x"], "7");
    assert_eq!(v["variables"]["y"], "9");
    assert_eq!(v["variables"]["z"], "0");
    assert_eq!(v["variables"]["c"], "64");
    let out = Command::new(env!("CARGO_BIN_EXE_multidustry"))
        .args(["mlog", "run", "/nonexistent.mlog", "--link", "reactor1"])
        .output()
        .expect("run");
    assert!(!out.status.success());
}

#[test]
fn asserts_are_honoured_on_request() {
    let (v, code) = run("assertequals 3 2 \"two\"\nstop\n", &["--asserts"]);
    assert_eq!(code, 1);
    assert!(v["assert_failures"][0].as_str().is_some_and(|f| f.contains("two")));
    let (_, code) = run("assertequals 3 2 \"two\"\nstop\n", &[]);
    assert_eq!(code, 0, "without --asserts the game treats them as unknown instructions");
}
