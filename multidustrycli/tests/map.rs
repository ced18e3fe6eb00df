//! `multidustry map info|render` on real maps (skipped when the shared data is absent).

use std::path::PathBuf;
use std::process::Command;

/// A file of the shared test data, located as `multidustry-testdata` does (`$MULTIDUSTRY_TEST_DATA`, else
/// `../shared/data` beside the workspace root); `None` with a notice when absent, a failure when
/// `MULTIDUSTRY_REQUIRE_TEST_DATA` is set. (Kept local so this test needs no extra dev-dependency.)
fn data_file(rel: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("MULTIDUSTRY_TEST_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join("..").join("shared").join("data"));
    if !dir.is_dir() {
        let required = std::env::var_os("MULTIDUSTRY_REQUIRE_TEST_DATA").is_some_and(|v| !v.is_empty() && v != "0");
        assert!(!required, "test data not found at {}", dir.display());
        eprintln!("skipping: test data not found at {}", dir.display());
        return None;
    }
    let path = dir.join(rel);
    assert!(path.exists(), "test data file missing: {}", path.display());
    Some(path)
}

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_multidustry"))
}

#[test]
fn map_info_text_and_json() {
    let Some(path) = data_file("maps/default/fortress.msav") else { return };
    let out = bin().args(["map", "info"]).arg(&path).output().expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert!(text.contains("name:        Fortress"), "{text}");
    assert!(text.contains("size:        256x256"), "{text}");
    assert!(text.contains("version:     4"), "{text}");
    assert!(
        text.contains("waves:       on (timer), every 120 s, first after 240 s, 27 spawn groups (the map's)"),
        "{text}"
    );
    assert!(text.contains("teams:       1, 2"), "{text}");

    let out = bin().args(["map", "info", "--json"]).arg(&path).output().expect("run");
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["name"], "Fortress");
    assert_eq!(v["width"], 256);
    assert_eq!(v["height"], 256);
    assert_eq!(v["version"], 4);
    assert_eq!(v["building_count"], 13);
    assert!(v["block_count"].as_u64().expect("count") > 1000);
    assert!(v["rules"].as_str().expect("rules").contains("spawns"));
    assert!(v["tags"].as_array().expect("tags").iter().any(|t| t == "author"));
    assert_eq!(v["meta"]["width"], "256");
    assert_eq!(v["hosted_rules"]["waves"], true);
    assert_eq!(v["hosted_rules"]["spawns"].as_array().expect("spawns").len(), 27);
    assert_eq!(v["hosted_rules"]["spawns"][0]["unit_type"], "dagger");
    assert_eq!(v["hosted_rules"]["teams"]["2"]["infinite_ammo"], true);
}

#[test]
fn map_render_writes_a_png_of_the_map_size() {
    let Some(path) = data_file("maps/default/veins.msav") else { return };
    let dir = tempfile::tempdir().expect("tmp");
    let png_path = dir.path().join("veins.png");
    let out =
        bin().args(["map", "render"]).arg(&path).arg("-o").arg(&png_path).args(["--scale", "2"]).output().expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let bytes = std::fs::read(&png_path).expect("png written");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    // IHDR: width and height (big-endian) at bytes 16..24.
    let w = u32::from_be_bytes(bytes[16..20].try_into().expect("4"));
    let h = u32::from_be_bytes(bytes[20..24].try_into().expect("4"));
    assert_eq!((w, h), (700, 400), "veins is 350x200 at scale 2");
}

#[test]
fn map_info_on_a_bad_file_names_it() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("broken.msav");
    std::fs::write(&path, b"not a map").expect("write");
    let out = bin().args(["map", "info"]).arg(&path).output().expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("broken.msav"), "{err}");
}
