//! `multidustry bots`: a load generator and smoke tester speaking the real client protocol. Flags only; the
//! bot logic is `multidustry_proxy::bots`. Exit code 0 when every bot joined (and saw `--expect`), 1 otherwise.

use std::net::{SocketAddr, ToSocketAddrs};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use multidustry_protocol::Build;
use multidustry_proxy::bots::{BotOptions, run_swarm};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Server to connect to, HOST:PORT (port defaults to 6567).
    #[arg(long, value_name = "HOST:PORT")]
    connect: String,
    /// Number of bots.
    #[arg(long, default_value_t = 1)]
    count: usize,
    /// Seconds each bot stays connected.
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// Client build to speak: 159 or 154.
    #[arg(long, default_value_t = 159)]
    build: u32,
    /// Chat every 5 seconds.
    #[arg(long)]
    chat: bool,
    /// Place a block near the core (build plans in client snapshots).
    #[arg(long)]
    build_blocks: bool,
    /// Send this chat line once after joining.
    #[arg(long, value_name = "TEXT")]
    say: Option<String>,
    /// Count a bot as failed unless a chat or server message containing TEXT reaches it.
    #[arg(long, value_name = "TEXT")]
    expect: Option<String>,
    /// Print one JSON object instead of the summary.
    #[arg(long)]
    json: bool,
    /// Bot name prefix (names are PREFIX0, PREFIX1, ...).
    #[arg(long, default_value = "bot")]
    name: String,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.count == 0 {
        bail!("--count must be at least 1");
    }
    let build = match args.build {
        159 => Build::V159,
        154 => Build::V154,
        b => bail!("--build {b} is not supported (supported: 159, 154)"),
    };
    let server = resolve(&args.connect)?;
    let mut opts = BotOptions::new(server);
    opts.build = build;
    opts.duration = Duration::from_secs(args.duration);
    opts.chat = args.chat;
    opts.build_blocks = args.build_blocks;
    opts.say = args.say;
    opts.expect = args.expect;
    opts.name_prefix = args.name;
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the async runtime")?;
    let report = rt.block_on(run_swarm(&opts, args.count));
    if args.json {
        println!("{}", serde_json::to_string(&report).context("serializing the report")?);
    } else {
        println!("{}", report.summary());
    }
    Ok(if report.failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

fn resolve(target: &str) -> anyhow::Result<SocketAddr> {
    let with_port =
        if target.rsplit_once(':').is_some_and(|(h, p)| !h.is_empty() && !h.ends_with(':') && p.parse::<u16>().is_ok())
        {
            target.to_string()
        } else {
            format!("{target}:6567")
        };
    with_port
        .to_socket_addrs()
        .with_context(|| format!("cannot resolve {target}"))?
        .next()
        .with_context(|| format!("{target} resolves to no address"))
}
