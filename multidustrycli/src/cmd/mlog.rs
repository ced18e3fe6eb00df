//! `multidustry mlog run FILE`: run one MLOG program outside a world and show what it printed.
//!
//! Prints each `printflush` output and the final variables (or one JSON object with `--json`). The program
//! runs on a headless processor linked to the blocks given with `--link` (kind from the name: `message1`,
//! `cell1` (64 slots), `bank1` (512 slots), `switch1`, `display1`; default `message1`). It stops at `stop`, at
//! the N-th wrap of `@counter` back to 0 (`--wraps`, default 1), at a `jump` to itself `always`, or at the
//! instruction limit. Without `--ipt` there is no per-tick limit (every tick runs until `wait`/`stop`); with it,
//! ticks follow the game's per-tick accumulator loop for the chosen build.
//! Content names (`@copper`, `lookup`) come from `--content DIR` (tables `items.tsv`, `liquids.tsv`,
//! `blocks.tsv`, `units.tsv`, `logic_ids_b154.tsv` as in `shared/data/content`); without it they are plain
//! variables and `lookup` yields null.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context as _, bail};
use multidustry_mlog::content::ContentTable;
use multidustry_mlog::engine::Engine;
use multidustry_mlog::host::StandaloneHost;
use multidustry_mlog::interp::{Interpreter, print_value};
use multidustry_mlog::ir::{Build, SlotKind};
use multidustry_mlog::parse::{ParseOptions, parse_or_empty};
use multidustry_mlog::run::{RunConfig, run_to_end};
use multidustry_mlog::state::ProcessorState;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum EngineKind {
    /// The reference interpreter.
    Interp,
    /// The cranelift JIT.
    Jit,
}

#[derive(Debug, clap::Subcommand)]
enum Cmd {
    /// Run a program and print its flushed messages and final variables.
    Run {
        /// The `.mlog` source file.
        file: PathBuf,
        /// Game build whose semantics to follow (159 or 154).
        #[arg(long, default_value_t = 159, value_parser = parse_build)]
        build: u32,
        /// Execution engine.
        #[arg(long, value_enum, default_value_t = EngineKind::Interp)]
        engine: EngineKind,
        /// Instructions per tick (2 micro, 8 logic, 25 hyper); none = no per-tick limit.
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=100_000))]
        ipt: Option<u32>,
        /// Stop at this wrap of @counter back to 0.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
        wraps: u64,
        /// Stop after this many instructions.
        #[arg(long, default_value_t = 50_000_000)]
        max_instructions: u64,
        /// Link a block (repeatable, in link order); kind from the name.
        #[arg(long = "link", value_name = "NAME")]
        links: Vec<String>,
        /// Directory with the content tables (see the command's help).
        #[arg(long, value_name = "DIR", env = "MULTIDUSTRY_MLOG_CONTENT")]
        content: Option<PathBuf>,
        /// Honour Mindcode's test instructions (assertequals, assertflush, assertprints).
        #[arg(long)]
        asserts: bool,
        /// World processor (privileged instructions allowed).
        #[arg(long)]
        privileged: bool,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
}

fn parse_build(s: &str) -> Result<u32, String> {
    match s.parse::<u32>() {
        Ok(n) if Build::from_number(n).is_some() => Ok(n),
        _ => Err(format!("unsupported build {s:?}; use 159 or 154")),
    }
}

fn load_content(dir: &Path) -> anyhow::Result<ContentTable> {
    let r = |f: &str| -> anyhow::Result<String> {
        let p = dir.join(f);
        std::fs::read_to_string(&p).with_context(|| format!("reading content table {}", p.display()))
    };
    Ok(ContentTable::from_tsv(
        &r("items.tsv")?,
        &r("liquids.tsv")?,
        &r("blocks.tsv")?,
        &r("units.tsv")?,
        &r("logic_ids_b154.tsv")?,
    ))
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let Cmd::Run { file, build, engine, ipt, wraps, max_instructions, links, content, asserts, privileged, json } =
        args.cmd;
    let build = Build::from_number(build).unwrap_or_default();
    let engine: Box<dyn Engine> = match engine {
        EngineKind::Interp => Box::new(Interpreter),
        EngineKind::Jit => Box::new(multidustry_mlog::jit::Jit::new()),
    };
    let src = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
    let src = String::from_utf8_lossy(&src);
    let links = if links.is_empty() { vec!["message1".to_string()] } else { links };
    for l in &links {
        if multidustry_mlog::host::Block::from_link_name(l).is_none() {
            bail!("unknown link kind {l:?}: use message1, cell1, bank1, switch1 or display1 style names");
        }
    }
    let content = Arc::new(match &content {
        Some(dir) => load_content(dir)?,
        None => ContentTable::empty(),
    });
    let opts = ParseOptions { build, privileged, links: &links, content: &content, test_instructions: asserts };
    let (program, err) = parse_or_empty(&src, &opts);
    if let Some(e) = &err {
        eprintln!("warning: the game would load no code: {e}");
    }
    let mut host = StandaloneHost::new(&links);
    let mut state = ProcessorState::new(&program, f64::from(ipt.unwrap_or(8)), &mut host);
    let cfg = RunConfig { ipt: ipt.map(f64::from), wraps, max_instructions, ..RunConfig::default() };
    let report = run_to_end(engine.as_ref(), &program, &mut state, &mut host, &cfg);

    let mut vars: Vec<(String, String)> = Vec::new();
    let mut counter = String::new();
    print_value(&mut counter, &multidustry_mlog::value::Value::Num(state.counter), &program, &host);
    vars.push(("@counter".to_string(), counter));
    for (info, v) in program.slots.iter().zip(&state.vars) {
        if matches!(info.kind, SlotKind::Var | SlotKind::Unit) {
            let mut s = String::new();
            print_value(&mut s, v, &program, &host);
            vars.push((info.name.clone(), s));
        }
    }
    if json {
        let flushes: Vec<serde_json::Value> = host
            .flushes
            .iter()
            .map(|f| serde_json::json!({ "target": f.target, "text": f.text, "delivered": f.delivered }))
            .collect();
        let variables: serde_json::Map<String, serde_json::Value> =
            vars.into_iter().map(|(k, v)| (k, serde_json::Value::String(v))).collect();
        let mut obj = serde_json::json!({
            "flushes": flushes,
            "variables": variables,
            "executed": report.executed,
            "termination": report.termination.name(),
            "elapsed_ns": u64::try_from(report.elapsed_ns).unwrap_or(u64::MAX),
        });
        if asserts {
            obj["assert_failures"] = serde_json::json!(state.assert_failures);
        }
        if let Some(e) = err {
            obj["parse_error"] = serde_json::Value::String(e.to_string());
        }
        println!("{obj}");
    } else {
        for f in &host.flushes {
            let target = f.target.as_deref().unwrap_or("(not a message block)");
            println!("flush {target}: {}", f.text);
        }
        if !state.text.is_empty() {
            println!("unflushed: {}", state.text);
        }
        for (k, v) in &vars {
            println!("{k} = {v}");
        }
        for f in &state.assert_failures {
            println!("assertion failed: {f}");
        }
        println!(
            "termination {} after {} instructions in {} ticks ({:.3} ms)",
            report.termination.name(),
            report.executed,
            report.ticks,
            report.elapsed_ns as f64 / 1e6
        );
    }
    Ok(if state.assert_failures.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
