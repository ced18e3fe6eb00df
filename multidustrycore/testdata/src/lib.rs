//! Locates the test data that no one on the team wrote (`shared/data`: official maps, captures of the Java
//! game, the mlog corpus). The data is never copied into this repository (the game's assets are GPL).
//!
//! Lookup order: `$MULTIDUSTRY_TEST_DATA`, then `../shared/data` next to the workspace root.
//!
//! A fresh clone has no `shared/`: tests that need the data print why and skip. `.ci/run` sets
//! `MULTIDUSTRY_REQUIRE_TEST_DATA=1`, which turns a missing directory into a test failure so CI can never
//! pass by skipping.

use std::path::{Path, PathBuf};

/// Environment variable that points at the data directory.
pub const DATA_ENV: &str = "MULTIDUSTRY_TEST_DATA";
/// Environment variable that makes missing data a failure (set by `.ci/run`).
pub const REQUIRE_ENV: &str = "MULTIDUSTRY_REQUIRE_TEST_DATA";

/// The shared data directory, or `None` (after printing a skip notice) when it is absent and not required.
///
/// # Panics
/// When the data is missing and `MULTIDUSTRY_REQUIRE_TEST_DATA` is set: CI must not pass by skipping.
#[must_use]
pub fn dir() -> Option<PathBuf> {
    let candidate = match std::env::var_os(DATA_ENV) {
        Some(p) => PathBuf::from(p),
        None => workspace_root().join("..").join("shared").join("data"),
    };
    if candidate.is_dir() {
        return Some(candidate);
    }
    let required = std::env::var_os(REQUIRE_ENV).is_some_and(|v| !v.is_empty() && v != "0");
    assert!(
        !required,
        "test data not found at {} and {REQUIRE_ENV} is set (set {DATA_ENV} to the shared/data directory)",
        candidate.display()
    );
    eprintln!("skipping: test data not found at {} (set {DATA_ENV} to the shared/data directory)", candidate.display());
    None
}

/// A path inside the data directory, or `None` when the data directory is absent (see [`dir`]).
///
/// # Panics
/// When the directory exists but the file does not: that is a broken checkout, not a skip.
#[must_use]
pub fn file(relative: &str) -> Option<PathBuf> {
    let path = dir()?.join(relative);
    assert!(path.exists(), "test data file missing: {}", path.display());
    Some(path)
}

/// Reads a file inside the data directory; `None` when the data directory is absent.
///
/// # Panics
/// When the file is missing or unreadable while the data directory exists.
#[must_use]
pub fn read(relative: &str) -> Option<Vec<u8>> {
    let path = file(relative)?;
    Some(std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display())))
}

/// The workspace root (this crate lives two levels below it).
#[must_use]
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crate lives at <root>/multidustrycore/testdata")
        .to_path_buf()
}
