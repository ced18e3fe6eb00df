//! Tests of [`super::java_var_ids`]. Each expectation is derived by hand from the Java rules in the module
//! doc: `@counter` is id 0; `@unit`/`@this` are constants from the start; each statement asks for its
//! operands in its `build` order; globals, numbers and strings take no id; link names and `@links`, `@ipt`,
//! `@thisx`, `@thisy` end up constants. The corpus test compares with the variables the real build-154
//! executor lists (`shared/data/mlog/expected-b154`).

use std::sync::Arc;

use super::*;
use crate::content::ContentTable;
use crate::ir::SlotKind;

/// Content names: the logic-id tables (copper, conveyor, dagger, poly, ...).
fn test_content() -> Arc<ContentTable> {
    let mut t = ContentTable::empty();
    t.set_build_logic_ids(Build::B154);
    Arc::new(t)
}

fn ids_with(src: &str, build: Build, privileged: bool, links: &[&str]) -> Result<Vec<String>, IdsUnknown> {
    let links: Vec<String> = links.iter().map(|s| (*s).to_string()).collect();
    let content = test_content();
    let opts = ParseOptions { build, privileged, links: &links, content: &content, test_instructions: false };
    java_var_ids(src, &opts).map(|ids| ids.names().to_vec())
}

/// Both builds, a world processor, no links: the same ids.
fn ids(src: &str) -> Vec<String> {
    let a = ids_with(src, Build::B154, true, &[]).expect("154 ids");
    let b = ids_with(src, Build::B159, true, &[]).expect("159 ids");
    assert_eq!(a, b, "{src}: builds disagree");
    a
}

fn v(names: &[&str]) -> Vec<String> {
    let mut out = vec!["@counter".to_string()];
    out.extend(names.iter().map(|s| (*s).to_string()));
    out
}

#[test]
fn op_asks_for_its_operands_before_its_result() {
    // OpI(op, var(a), var(b), var(dest)): x, y, then r
    assert_eq!(ids("op add r x y"), v(&["x", "y", "r"]));
    // missing operands keep the field defaults "a" and "b" (variables of those names)
    assert_eq!(ids("op add r"), v(&["a", "b", "r"]));
    // legacy names are renamed before the enum is read
    assert_eq!(ids("op atan2 r y x"), v(&["y", "x", "r"]));
    // a name met again keeps its first id
    assert_eq!(ids("op add r x y\nop mul x r r"), v(&["x", "y", "r"]));
}

#[test]
fn literals_and_globals_take_no_id() {
    // SetI(var(from), var(to)): "5" is a hidden constant, so only x
    assert_eq!(ids("set x 5"), v(&["x"]));
    // print "hi": a string constant; 0x10 a number; then y (to), z (to, after from = y)
    assert_eq!(ids("print \"hi\"\nset y 0x10\nset z y"), v(&["y", "z"]));
    // globals: @copper, true, @time, @health; @this is a per-processor constant
    assert_eq!(ids("set a @copper\nset b true\nset c @time\nsensor h @this @health"), v(&["a", "b", "c", "h"]));
    // SenseI(var(from), var(to), var(type)): from before to
    assert_eq!(ids("sensor h blk @health"), v(&["blk", "h"]));
    // the game's parseDouble has no Integer.MIN_VALUE sentinel: a number in both builds
    assert_eq!(ids("set a -2147483648"), v(&["a"]));
    // `draw color r g b` leaves a = "0", which afterRead turns into the number 255
    assert_eq!(ids("draw color cr cg cb"), v(&["cr", "cg", "cb"]));
}

#[test]
fn per_processor_names_become_constants() {
    // @thisx and @links enter the map as variables, then updateCode makes them constants; @unit is one already;
    // @counter stays the variable with id 0
    assert_eq!(ids("set a @thisx\nset b @links\nset @counter 3\nset c @unit"), v(&["a", "b", "c"]));
}

#[test]
fn statement_field_orders() {
    // ReadI(var(target), var(address), var(output))
    assert_eq!(ids("read out mem idx"), v(&["mem", "idx", "out"]));
    // WriteI(var(target), var(address), var(input))
    assert_eq!(ids("write val mem idx"), v(&["mem", "idx", "val"]));
    // JumpI(op, var(value), var(compare), dest): a label target is read as -1 first
    assert_eq!(ids("l:\njump l lessThan i n"), v(&["i", "n"]));
    // defaults value "x" compare "false"
    assert_eq!(ids("jump 0"), v(&["x"]));
    // SelectI(op, var(result), var(comp0), var(comp1), var(a), var(b))
    assert_eq!(ids("select out lessThan p q s t"), v(&["out", "p", "q", "s", "t"]));
    // UnpackColorI(var(r), var(g), var(b), var(a), var(value))
    assert_eq!(ids("unpackcolor r1 g1 b1 a1 col"), v(&["r1", "g1", "b1", "a1", "col"]));
    // LookupI(var(result), var(id), type)
    assert_eq!(ids("lookup block res idx"), v(&["res", "idx"]));
    // radar: var(radar), var(sortOrder), var(output); uradar asks for @unit instead of its radar field
    assert_eq!(ids("radar enemy any any distance tur ord out"), v(&["tur", "ord", "out"]));
    assert_eq!(ids("uradar enemy any any distance tur ord out"), v(&["ord", "out"]));
    // UnitLocateI(locate, flag, var(enemy), var(ore), var(outX), var(outY), var(outFound), var(outBuild))
    assert_eq!(ids("ulocate building core en or ox oy fnd bld"), v(&["en", "or", "ox", "oy", "fnd", "bld"]));
    // the defaults: enemy "true" (global), ore @copper (global), outx outy found building
    assert_eq!(ids("ulocate building core"), v(&["outx", "outy", "found", "building"]));
    // FetchI(type, var(result), var(team), var(extra), var(index)): extra before index
    assert_eq!(ids("fetch unit res tm idx ext"), v(&["res", "tm", "ext", "idx"]));
    // GetBlockI(var(x), var(y), var(result), layer)
    assert_eq!(ids("getblock block res px py"), v(&["px", "py", "res"]));
    // SetBlockI(var(x), var(y), var(block), var(team), var(rotation), layer)
    assert_eq!(ids("setblock floor blk px py tm rot"), v(&["px", "py", "blk", "tm", "rot"]));
    // SpawnWaveI(var(natural), var(x), var(y))
    assert_eq!(ids("spawnwave sx sy nat"), v(&["nat", "sx", "sy"]));
    // ApplyEffectI(clear, effect, var(unit), var(duration)): the effect name is no operand
    assert_eq!(ids("status false wet u d"), v(&["u", "d"]));
    // EffectI(fx, x, y, sizerot, color, data): data defaults to "", a variable named ""
    assert_eq!(ids("effect warn ex ey"), v(&["ex", "ey", ""]));
    // MakeMarkerI(type, var(id), var(x), var(y), var(replace)): the marker type is no operand
    assert_eq!(ids("makemarker shape mid mx my rep"), v(&["mid", "mx", "my", "rep"]));
    // SetMarkerI(type, var(id), var(p1), var(p2), var(p3))
    assert_eq!(ids("setmarker pos mid a b"), v(&["mid", "a", "b"]));
    // SpawnUnitI(type, x, y, rotation, team, result)
    assert_eq!(ids("spawn t sx sy rot tm res"), v(&["t", "sx", "sy", "rot", "tm", "res"]));
    // WeatherSenseI(var(weather), var(to))
    assert_eq!(ids("weathersense res w"), v(&["w", "res"]));
    // FlushMessageI(type, var(duration), var(outSuccess)): the default outSuccess is the global @wait
    assert_eq!(ids("message announce dur"), v(&["dur"]));
    // PlaySoundI(positional, id, volume, pitch, pan, x, y, limit): positional is a boolean field
    assert_eq!(ids("playsound true snd vol pit pan px py lim"), v(&["snd", "vol", "pit", "pan", "px", "py", "lim"]));
    // SyncI(var(variable)), default "var"
    assert_eq!(ids("sync x"), v(&["x"]));
    assert_eq!(ids("sync"), v(&["var"]));
    // GetFlagI(var(result), var(flag)), SetFlagI(var(flag), var(value)), SetPropI(type, of, value)
    assert_eq!(
        ids("getflag res fl\nsetflag fl2 val\nsetprop typ of val2"),
        v(&["res", "fl", "fl2", "val", "typ", "of", "val2"])
    );
    // ControlI(type, var(target), var(p1..p4)); `configure` is renamed `config` (a variable name here)
    assert_eq!(ids("control shoot tgt configure py sh"), v(&["tgt", "config", "py", "sh"]));
    // draw print's afterRead turns an alignment name into its global
    assert_eq!(ids("draw print px py center"), v(&["px", "py"]));
    assert_eq!(ids("draw print px py middle"), v(&["px", "py", "middle"]));
}

#[test]
fn invalid_statements_ask_for_nothing_in_154_and_are_unknown_in_159() {
    // `Enum.valueOf` throws: an invalid statement (build 154's enum constants are known)
    assert_eq!(ids_with("op bogus r a b\nset y 1", Build::B154, true, &[]).expect("ids"), v(&["y"]));
    assert!(ids_with("op bogus r a b", Build::B159, true, &[]).is_err());
    // an opcode 154 does not register
    assert_eq!(ids_with("frobnicate x\nset y 1", Build::B154, true, &[]).expect("ids"), v(&["y"]));
    assert!(ids_with("frobnicate x", Build::B159, true, &[]).is_err());
    // a name that merely starts with ___ is a variable
    assert_eq!(ids("set ___tmp_1@main 1"), v(&["___tmp_1@main"]));
    // an explicit noop is known in both
    assert_eq!(ids("noop\nset y 1"), v(&["y"]));
    // privileged statements in a normal processor are invalid
    assert_eq!(ids_with("spawnwave a b c\nset y 1", Build::B159, false, &[]).expect("ids"), v(&["y"]));
    assert_eq!(ids_with("spawnwave a b c", Build::B159, true, &[]).expect("ids"), v(&["c", "a", "b"]));
    // an assembler error loads the empty program
    assert_eq!(ids("set a 1\njump nowhere always"), v(&[]));
}

#[test]
fn unknown_ids_are_errors_not_guesses() {
    for src in [
        "clientdata \"ch\" v 0", // build depends on the allowLogicData rule
        "set a @sfx-pew",        // sounds are globals on clients; this crate does not list them
        "set @foo 1",            // unknown @name: a variable here, maybe a global there
        "set a @neoplastic",     // resolved by this crate's team table, not a Java base team
        "set a %[red]",          // named colour
        "set ___5.0 1",          // the hidden constant of 5
        "set ___1.0E-5 1",       // the hidden constant of 0.00001
    ] {
        assert!(ids_with(src, Build::B154, true, &[]).is_err(), "154: {src}");
        assert!(ids_with(src, Build::B159, true, &[]).is_err(), "159: {src}");
    }
}

#[test]
fn quotes_a_clients_lexer_may_read_differently_are_unknown() {
    // 154's LParser ends the string at the escaped quote (then fails on `b"`); this crate reads one string
    assert!(ids_with("print \"a\\\"b\"\nsync x", Build::B154, true, &[]).is_err());
    // 159's parser may or may not honour the escape
    assert!(ids_with("print \"a\\\"b\"\nsync x", Build::B159, true, &[]).is_err());
    assert_eq!(ids("print \"a\\nb\"\nsync x"), v(&["x"]));
}

#[test]
fn links_become_constants() {
    // 154: the link name first enters as a variable (set's `to`), then updateCode makes it a constant
    let got = ids_with("set switch1 1\nset y switch1\nread r cell1 0", Build::B154, true, &["switch1", "cell1"]);
    assert_eq!(got.expect("ids"), v(&["y", "r"]));
    // 159: which constants stay in `vars` is not established
    assert!(ids_with("set y 1", Build::B159, true, &["switch1"]).is_err());
}

#[test]
fn build_154_trims_tokens() {
    // the 154 lexer keeps "\r" inside a token; `var` trims it: "1\r" is the number 1 and "a\r" is `a`
    assert_eq!(ids_with("set a 1\r\nset b a\r\n", Build::B154, true, &[]).expect("ids"), v(&["a", "b"]));
}

#[test]
fn ids_lookup_by_name() {
    let links: Vec<String> = Vec::new();
    let content = test_content();
    let opts = ParseOptions::new(Build::B159, true, &links, &content);
    let ids = java_var_ids("op add r x y\nsync r", &opts).expect("ids");
    // @counter 0, x 1, y 2, r 3
    assert_eq!(ids.id("r"), Some(3));
    assert_eq!(ids.id("@counter"), Some(0));
    assert_eq!(ids.id("nope"), None);
}

/// Every corpus program, both builds, normal and world processors: no panic; and for build 154 (normal
/// processor linked to message1, cell1, bank1, bank2, bank3 as the oracle's was) the ids equal the order in
/// which the real game's executor lists its variables.
#[test]
fn corpus_matches_the_real_build_154_executor() {
    let Some(data) = multidustry_testdata::dir() else { return };
    let root = data.join("mlog");
    let mut files = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else { continue };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                if !p.ends_with("expected-b154") {
                    stack.push(p);
                }
            } else if p.extension().is_some_and(|x| x == "mlog") {
                files.push(p);
            }
        }
    }
    files.sort();
    assert!(files.len() >= 60, "corpus has {} programs", files.len());
    let links = ["message1", "cell1", "bank1", "bank2", "bank3"];
    let r = |f: &str| std::fs::read_to_string(data.join("content").join(f)).unwrap_or_default();
    let content = Arc::new(ContentTable::from_tsv(
        &r("items.tsv"),
        &r("liquids.tsv"),
        &r("blocks.tsv"),
        &r("units.tsv"),
        &r("logic_ids_b154.tsv"),
    ));
    let (mut compared, mut unknown) = (0, 0);
    for path in &files {
        let src = std::fs::read_to_string(path).expect("corpus file");
        for build in [Build::B154, Build::B159] {
            for privileged in [false, true] {
                for l in [&links[..], &[]] {
                    let owned: Vec<String> = l.iter().map(|s| (*s).to_string()).collect();
                    let opts =
                        ParseOptions { build, privileged, links: &owned, content: &content, test_instructions: false };
                    let _ = java_var_ids(&src, &opts);
                }
            }
        }
        let rel = path.strip_prefix(&root).expect("under mlog");
        let out = root.join("expected-b154").join(format!("{}.out", rel.display()));
        let Ok(expected) = std::fs::read_to_string(&out) else { continue };
        if expected.lines().any(|l| l.starts_with("skipped")) {
            continue;
        }
        let want: Vec<String> = expected
            .lines()
            .filter_map(|l| l.strip_prefix("var "))
            .filter_map(|l| l.split(' ').next())
            .map(str::to_string)
            .collect();
        let owned: Vec<String> = links.iter().map(|s| (*s).to_string()).collect();
        let opts = ParseOptions::new(Build::B154, false, &owned, &content);
        match java_var_ids(&src, &opts) {
            Ok(got) => {
                assert_eq!(got.names(), &want[..], "{}", rel.display());
                compared += 1;
            }
            Err(e) => {
                println!("{}: {e}", rel.display());
                unknown += 1;
            }
        }
        // the names are this crate's variable slots too
        if let (Ok(p), Ok(ids)) = (crate::parse::parse(&src, &opts), java_var_ids(&src, &opts)) {
            for name in ids.names().iter().skip(1) {
                let slot = p.slot_of(name).map(|s| &p.slots[s as usize].kind);
                assert!(matches!(slot, Some(SlotKind::Var) | None), "{}: {name} is {slot:?}", rel.display());
            }
        }
    }
    println!("javaids: {compared} corpus programs match the build-154 executor's variable order, {unknown} unknown");
    assert!(compared >= 30, "only {compared} programs compared ({unknown} unknown)");
}

#[test]
fn parser_annotates_sync_instructions() {
    use crate::ir::{ClientVarIds, HostInstr};
    let links: Vec<String> = Vec::new();
    let content = test_content();
    let sync_ids = |src: &str, build: Build, privileged: bool| -> Vec<ClientVarIds> {
        let opts = ParseOptions { build, privileged, links: &links, content: &content, test_instructions: false };
        let p = crate::parse::parse(src, &opts).expect("parses");
        p.instrs
            .iter()
            .filter_map(|i| match i {
                Instr::Host(h) if h.op == HostOp::Sync => Some(HostInstr::clone(h).client_var),
                _ => None,
            })
            .collect()
    };
    // @counter 0, x 1, y 2, r 3; `sync 5` syncs a constant (never sent); `sync @time` a global
    let src = "op add r x y\nsync r\nsync x\nsync 5\nsync @time";
    let both = |id| ClientVarIds { b154: id, b159: id };
    for build in [Build::B154, Build::B159] {
        assert_eq!(sync_ids(src, build, true), vec![both(Some(3)), both(Some(1)), both(None), both(None)]);
    }
    // an unknown id in one statement leaves every sync of the program without one
    assert_eq!(sync_ids("sync x\nset a @sfx-pew", Build::B159, true), vec![both(None)]);
    // only 159 unknown: an opcode 154 does not register
    assert_eq!(sync_ids("frobnicate q\nsync x", Build::B159, true), vec![ClientVarIds { b154: Some(1), b159: None }]);
}

mod generated {
    use proptest::prelude::*;

    use super::*;

    const OPCODES: &[&str] = &[
        "set",
        "op",
        "sync",
        "read",
        "write",
        "jump",
        "select",
        "draw",
        "print",
        "sensor",
        "fetch",
        "ulocate",
        "uradar",
        "getblock",
        "setblock",
        "spawnwave",
        "effect",
        "status",
        "playsound",
        "makemarker",
        "setmarker",
        "clientdata",
        "lookup",
        "control",
        "noop",
        "frobnicate",
        "end",
        "label:",
        "wait",
    ];
    const TOKENS: &[&str] = &[
        "x",
        "y",
        "r",
        "add",
        "lessThan",
        "print",
        "center",
        "1",
        "-2147483648",
        "0x10",
        "%ff0000",
        "%[red]",
        "\"s\"",
        "\"",
        "@copper",
        "@time",
        "@counter",
        "@unit",
        "@thisx",
        "@sfx-pew",
        "@neoplastic",
        "true",
        "cell1",
        "___5.0",
        "___t",
        "always",
        "unit",
        "building",
        "core",
        "configure",
        "label",
        "x\r",
        "π",
        "",
    ];

    fn program() -> impl Strategy<Value = String> {
        let line = (prop::sample::select(OPCODES), prop::collection::vec(prop::sample::select(TOKENS), 0..8)).prop_map(
            |(op, toks)| {
                let mut l = op.to_string();
                for t in toks {
                    l.push(' ');
                    l.push_str(t);
                }
                l
            },
        );
        prop::collection::vec(line, 0..24).prop_map(|lines| lines.join("\n"))
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        /// Any program: no panic; where ids exist, `@counter` is 0, names are unique and never the
        /// constants `updateCode` adds, and every `sync` id names one of them.
        #[test]
        fn ids_are_consistent(src in program(), privileged in any::<bool>(), linked in any::<bool>()) {
            let links: Vec<String> = if linked { vec!["cell1".into()] } else { Vec::new() };
            let content = test_content();
            for build in [Build::B154, Build::B159] {
                let opts =
                    ParseOptions { build, privileged, links: &links, content: &content, test_instructions: false };
                let Ok(ids) = java_var_ids(&src, &opts) else { continue };
                prop_assert_eq!(ids.names().first().map(String::as_str), Some("@counter"));
                let unique: std::collections::HashSet<&String> = ids.names().iter().collect();
                prop_assert_eq!(unique.len(), ids.names().len());
                for name in ids.names() {
                    prop_assert!(!LATE_CONSTANTS.contains(&name.as_str()) && !links.contains(name), "{}", name);
                    prop_assert_eq!(ids.id(name).map(|i| &ids.names()[i as usize]), Some(name));
                }
                for i in 0..64 {
                    if let Some(id) = ids.sync_id(i) {
                        prop_assert!((id as usize) < ids.names().len());
                    }
                }
                // the parser's annotation agrees with the table
                let (p, _) = crate::parse::parse_or_empty(&src, &opts);
                for (i, instr) in p.instrs.iter().enumerate() {
                    if let Instr::Host(h) = instr && h.op == HostOp::Sync {
                        let own = match build { Build::B154 => h.client_var.b154, Build::B159 => h.client_var.b159 };
                        prop_assert_eq!(own, ids.sync_id(i));
                    }
                }
            }
        }
    }
}
