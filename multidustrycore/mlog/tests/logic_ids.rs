//! Checks the generated logic-id tables (`src/logicids_gen.rs`) against `shared/data`, and regenerates them.
//!
//! Regenerate with:
//! `MULTIDUSTRY_REGEN=1 cargo test -p multidustry-mlog --test logic_ids`
//!
//! Sources: build 154 from `content/logic_ids_b154.tsv` (the `logicids.dat` shipped with build 154); build 159
//! derived by [`pack`], a model of the image packer's id assignment (`MindustryImagePacker.iconProcessing` in
//! the game's tools module) run on the build-154 file and the build-159 content tables (`content/blocks.tsv`,
//! `units.tsv`, `items.tsv`, `liquids.tsv`), with [`NEW_LOGIC_VISIBLE_159`] as the logic-visible content the
//! 154 file lacks.
//!
//! The ignored test `matches_mimex_dump` compares the result with the logic ids dumped from a running build
//! 159.7 by the Mindcode project's metadata extractor (`cardillan/mimex-data`, `data/v159.7/`); point
//! `MULTIDUSTRY_MIMEX_DIR` at that `data` directory to run it (the files are not part of this repository).

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::sync::Arc;

use multidustry_mlog::content::ContentTable;
use multidustry_mlog::engine::{Budget, Engine as _};
use multidustry_mlog::host::StandaloneHost;
use multidustry_mlog::interp::Interpreter;
use multidustry_mlog::ir::Build;
use multidustry_mlog::logicids::{self, LOOKABLE};
use multidustry_mlog::parse::{ParseOptions, parse};
use multidustry_mlog::state::ProcessorState;
use multidustry_mlog::value::{ContentKind, Value};

/// Type names in `logicids.dat` order (`GlobalVars.lookableContent`) and their build-159 content tables.
const TYPES: [(&str, &str); 4] =
    [("block", "blocks.tsv"), ("unit", "units.tsv"), ("item", "items.tsv"), ("liquid", "liquids.tsv")];

/// Build-159 content that is logic-visible but absent from the build-154 file, per type in [`TYPES`] order.
/// From the Java source: `large-canvas` is declared with `requirements(Category.logic, BuildVisibility.shown,
/// ...)`; every other build-159 name the 154 file lacks is hidden (floors, walls, ores, boulders and other
/// environment blocks keep the default `BuildVisibility.hidden`; `build1`..`build16` are construct blocks;
/// `legacy-*` blocks; missile and other hidden unit types; the hidden items `fissile-matter` and
/// `dormant-cyst`).
const NEW_LOGIC_VISIBLE_159: [&[&str]; 4] = [&["large-canvas"], &[], &[], &[]];

fn read(rel: &str) -> Option<String> {
    multidustry_testdata::read(rel).map(|b| String::from_utf8(b).expect("utf-8 table"))
}

/// `logic_ids_b154.tsv` as names in logic-id order per type (ids must be dense).
fn b154() -> Option<[Vec<String>; 4]> {
    let text = read("content/logic_ids_b154.tsv")?;
    let mut out: [Vec<String>; 4] = Default::default();
    for line in text.lines().skip(1).filter(|l| !l.is_empty()) {
        let f: Vec<&str> = line.split('\t').collect();
        let t = TYPES.iter().position(|(n, _)| *n == f[0]).expect("known type");
        let id: usize = f[1].parse().expect("logic id");
        assert_eq!(out[t].len(), id, "ids are dense and in order in the tsv");
        out[t].push(f[2].to_string());
    }
    Some(out)
}

/// Build-159 content names in content-id order, per type.
fn content_159() -> Option<[Vec<String>; 4]> {
    let mut out: [Vec<String>; 4] = Default::default();
    for (i, (_, file)) in TYPES.iter().enumerate() {
        let text = read(&format!("content/{file}"))?;
        for line in text.lines().skip(1).filter(|l| !l.is_empty()) {
            let mut f = line.split('\t');
            let id: usize = f.next().expect("id").parse().expect("id");
            assert_eq!(out[i].len(), id, "content ids are dense");
            out[i].push(f.next().expect("name").to_string());
        }
    }
    Some(out)
}

/// The packer's id assignment: `previous` (the old file, names in id order per type), the new build's
/// `content` (names in content-id order per type) and `visible(type, name)` (`logicVisible`). Returns the file
/// it writes. Faithful to the tools source, including its free-id search (the first `other.id + 1` over all
/// lookable content, content ids of any type, that is not yet a logic id of this type) and dropping names that
/// no longer exist before writing each type densely in id order.
fn pack(
    previous: &[Vec<String>; 4],
    content: &[Vec<String>; 4],
    visible: impl Fn(usize, &str) -> bool,
) -> [Vec<String>; 4] {
    let content_id: Vec<HashMap<&str, usize>> =
        content.iter().map(|names| names.iter().enumerate().map(|(i, n)| (n.as_str(), i)).collect()).collect();
    // registered: name -> logic id; id_to_content: logic id -> name
    let mut registered: Vec<HashMap<String, usize>> = vec![HashMap::new(); 4];
    let mut id_to_content: Vec<HashMap<usize, String>> = vec![HashMap::new(); 4];
    for t in 0..4 {
        for (i, name) in previous[t].iter().enumerate() {
            if content_id[t].contains_key(name.as_str()) {
                registered[t].insert(name.clone(), i);
                id_to_content[t].insert(i, name.clone());
            }
        }
    }
    let lookup_cont: Vec<(usize, usize, &str)> = (0..4)
        .flat_map(|t| content[t].iter().enumerate().map(move |(id, n)| (t, id, n.as_str())))
        .filter(|(t, _, n)| visible(*t, n))
        .collect();
    for &(t, _, name) in &lookup_cont {
        if registered[t].contains_key(name) {
            continue;
        }
        let mut next = 0;
        for &(_, other_id, _) in &lookup_cont {
            if !id_to_content[t].contains_key(&(other_id + 1)) {
                next = other_id + 1;
                break;
            }
        }
        id_to_content[t].insert(next, name.to_string());
        registered[t].insert(name.to_string(), next);
    }
    std::array::from_fn(|t| {
        let mut all: Vec<(usize, String)> = id_to_content[t].values().map(|n| (registered[t][n], n.clone())).collect();
        all.sort();
        all.into_iter().map(|(_, n)| n).collect()
    })
}

fn derive_159(b154: &[Vec<String>; 4]) -> Option<[Vec<String>; 4]> {
    let content = content_159()?;
    let known: Vec<HashSet<&str>> = b154.iter().map(|v| v.iter().map(String::as_str).collect()).collect();
    for (t, names) in NEW_LOGIC_VISIBLE_159.iter().enumerate() {
        for n in *names {
            assert!(content[t].iter().any(|c| c == n), "{n} is build-159 content");
        }
    }
    // Content listed in the old file stays logic-visible (none of it was hidden between the builds).
    Some(pack(b154, &content, |t, n| known[t].contains(n) || NEW_LOGIC_VISIBLE_159[t].contains(&n)))
}

fn render(out: &mut String, name: &str, tables: &[Vec<String>; 4]) {
    writeln!(out, "pub(crate) const {name}: [&[&str]; 4] = [").expect("write");
    for ((ty, _), names) in TYPES.iter().zip(tables) {
        writeln!(out, "    // {ty}: {} logic ids", names.len()).expect("write");
        writeln!(out, "    &[").expect("write");
        for n in names {
            writeln!(out, "        {n:?},").expect("write");
        }
        writeln!(out, "    ],").expect("write");
    }
    writeln!(out, "];").expect("write");
}

fn generate() -> Option<String> {
    let old = b154()?;
    let new = derive_159(&old)?;
    let mut out = String::new();
    out.push_str(
        "// @generated by multidustrycore/mlog/tests/logic_ids.rs -- do not edit.\n\
         // Regenerate: MULTIDUSTRY_REGEN=1 cargo test -p multidustry-mlog --test logic_ids\n\
         // Content names in logic-id order (interoperability facts), per type: block, unit, item, liquid.\n\
         //   build 154: shared/data/content/logic_ids_b154.tsv (the build's logicids.dat)\n\
         //   build 159: derived from the 154 table and shared/data/content/{blocks,units,items,liquids}.tsv by\n\
         //              the image packer's id assignment (see src/logicids.rs)\n\n",
    );
    render(&mut out, "B154", &old);
    out.push('\n');
    render(&mut out, "B159", &new);
    Some(out)
}

fn built_in(build: Build) -> [Vec<String>; 4] {
    let ids = logicids::for_build(build);
    std::array::from_fn(|t| ids.names(LOOKABLE[t]).iter().map(|s| (*s).to_string()).collect())
}

#[test]
fn generated_tables_match_the_data() {
    let Some(text) = generate() else { return };
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/logicids_gen.rs");
    if std::env::var_os("MULTIDUSTRY_REGEN").is_some() {
        std::fs::write(&path, &text).expect("write logicids_gen.rs");
        return;
    }
    let current = std::fs::read_to_string(&path).expect("read logicids_gen.rs");
    assert!(
        current == text,
        "src/logicids_gen.rs is stale: run MULTIDUSTRY_REGEN=1 cargo test -p multidustry-mlog --test logic_ids"
    );
}

#[test]
fn build_154_table_is_the_shipped_file() {
    let Some(old) = b154() else { return };
    assert_eq!(built_in(Build::B154), old);
    assert_eq!([old[0].len(), old[1].len(), old[2].len(), old[3].len()], [260, 56, 20, 11]);
}

#[test]
fn build_159_keeps_every_154_id_and_appends_large_canvas() {
    let Some(old) = b154() else { return };
    let new = built_in(Build::B159);
    for t in 0..4 {
        assert_eq!(new[t][..old[t].len()], old[t][..], "type {}: 154 ids unchanged", TYPES[t].0);
    }
    assert_eq!(new[0][260..], ["large-canvas".to_string()]);
    assert_eq!([new[1].len(), new[2].len(), new[3].len()], [56, 20, 11]);
}

#[test]
fn pack_model_fills_holes_and_compacts_like_the_tools() {
    // A name that no longer exists leaves a hole; the free-id search finds `other.id + 1` for the first
    // lookable content whose successor id is free, and the written file is dense.
    let s = |v: &[&str]| v.iter().map(|x| (*x).to_string()).collect::<Vec<_>>();
    let previous = [s(&["a", "gone", "b"]), vec![], vec![], vec![]];
    let content = [s(&["a", "b", "c", "d"]), vec![], vec![], vec![]];
    let out = pack(&previous, &content, |_, _| true);
    // ids: a=0, b=2; c: first other with id+1 free = a (0) -> 1 (the hole); d: a->1 taken, b->2 taken, c->3
    assert_eq!(out[0], s(&["a", "c", "b", "d"]));
}

fn run(build: Build, code: &str) -> Vec<(String, Value)> {
    let mut table = ContentTable::empty();
    if let Some(c) = content_159() {
        for (t, names) in c.iter().enumerate() {
            for n in names {
                table.push(LOOKABLE[t], n);
            }
        }
    }
    table.set_build_logic_ids(build);
    let content = Arc::new(table);
    let links: Vec<String> = Vec::new();
    let opts = ParseOptions { build, privileged: false, links: &links, content: &content, test_instructions: false };
    let program = parse(code, &opts).expect("parses");
    let mut host = StandaloneHost::new(&links);
    let mut state = ProcessorState::new(&program, 1000.0, &mut host);
    let budget = Budget { fuel: 1000, tick_seconds: 1.0 / 60.0, stop_at_wrap: true, stop_at_selfloop: true };
    Interpreter.run(&program, &mut state, &mut host, budget);
    ["a", "b", "c", "d", "e", "f"]
        .iter()
        .filter_map(|n| program.slot_of(n).map(|s| ((*n).to_string(), state.vars[s as usize].clone())))
        .collect()
}

#[test]
fn lookup_counts_and_sensed_ids_follow_the_build() {
    let code = "set a @blockCount\nlookup block b 260\nsensor c @large-canvas @id\nlookup block d 0\n\
                sensor e @air @id\nset f @unitCount\nstop";
    let v159 = run(Build::B159, code);
    let get = |v: &[(String, Value)], n: &str| v.iter().find(|(k, _)| k == n).map(|(_, x)| x.clone());
    assert_eq!(get(&v159, "a"), Some(Value::Num(261.0)));
    assert!(matches!(get(&v159, "b"), Some(Value::Content(ContentKind::Block, _))));
    assert_eq!(get(&v159, "c"), Some(Value::Num(260.0)));
    assert!(matches!(get(&v159, "d"), Some(Value::Content(ContentKind::Block, _))));
    // content without a logic id senses as 0 (the game's int array default)
    assert_eq!(get(&v159, "e"), Some(Value::Num(0.0)));
    assert_eq!(get(&v159, "f"), Some(Value::Num(56.0)));
    let v154 = run(Build::B154, code);
    assert_eq!(get(&v154, "a"), Some(Value::Num(260.0)));
    assert_eq!(get(&v154, "b"), Some(Value::Null));
    assert_eq!(get(&v154, "c"), Some(Value::Num(0.0)));
}

/// Compares the build-159 table with the Mindcode extractor's dump of a running 159.7 (`mimex-*.txt`:
/// `name;id;logicId;...`, -1 for content without a logic id).
#[test]
#[ignore = "needs MULTIDUSTRY_MIMEX_DIR (cardillan/mimex-data's data directory)"]
fn matches_mimex_dump() {
    let dir = std::path::PathBuf::from(std::env::var_os("MULTIDUSTRY_MIMEX_DIR").expect("MULTIDUSTRY_MIMEX_DIR"));
    let new = built_in(Build::B159);
    for (t, (ty, _)) in TYPES.iter().enumerate() {
        let text = std::fs::read_to_string(dir.join("v159.7").join(format!("mimex-{ty}s.txt"))).expect("mimex file");
        let mut lines = text.lines().filter(|l| !l.starts_with("//"));
        let header: Vec<&str> = lines.next().expect("header").split(';').collect();
        let (ni, li) = (
            header.iter().position(|h| *h == "name").expect("name column"),
            header.iter().position(|h| *h == "logicId").expect("logicId column"),
        );
        let mut ids: Vec<(i64, String)> = lines
            .map(|l| l.split(';').collect::<Vec<_>>())
            .map(|f| (f[li].parse().expect("logicId"), f[ni].to_string()))
            .filter(|(id, _)| *id >= 0)
            .collect();
        ids.sort();
        let names: Vec<String> = ids.iter().map(|(_, n)| n.clone()).collect();
        assert!(ids.iter().enumerate().all(|(i, (id, _))| *id == i as i64), "{ty}: dense");
        assert_eq!(names, new[t], "{ty}");
    }
}
