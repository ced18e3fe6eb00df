//! `multidustry`: the one binary. It only wires: parse flags and config, install tracing, run a
//! subcommand. Each subcommand lives in `cmd/`; the services are libraries.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd;
mod logging;

/// Multidustry: a Mindustry server cluster that scales out.
#[derive(Debug, Parser)]
#[command(name = "multidustry", version, about, long_about = None)]
struct Cli {
    /// Configuration file (TOML); see `multidustry config default`.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Run a service by mode name instead of a subcommand (`--mode monolith` = `multidustry monolith`).
    #[arg(long, value_name = "MODE")]
    mode: Option<cmd::Mode>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run everything in one process: the easiest way to host a server.
    Monolith(cmd::monolith::Args),
    /// Run a control-plane (Raft) replica.
    Apiserver(cmd::NotYetArgs),
    /// Run a proxy (the Mindustry client endpoint of a cluster).
    Proxy(cmd::NotYetArgs),
    /// Run a gameserver (hosts worlds for a cluster).
    Gameserver(cmd::NotYetArgs),
    /// Show the cluster's state (talks to an apiserver).
    Status(cmd::NotYetArgs),
    /// Manage worlds: ls, create, migrate, stop (talks to an apiserver).
    Worlds(cmd::NotYetArgs),
    /// List players across the cluster.
    Players(cmd::NotYetArgs),
    /// Kick a player from the cluster.
    Kick(cmd::NotYetArgs),
    /// Ban a player across the cluster.
    Ban(cmd::NotYetArgs),
    /// Read and write the cluster-scoped key-value store.
    Kv(cmd::NotYetArgs),
    /// Install, list and remove WASM plugins.
    Plugins(cmd::NotYetArgs),
    /// Create the cluster CA and issue node certificates.
    Certs(cmd::NotYetArgs),
    /// Query a Mindustry server the way the game's server list does.
    Ping(cmd::ping::Args),
    /// Inspect and render maps and saves.
    Map(cmd::map::Args),
    /// Run MLOG programs outside a world.
    Mlog(cmd::mlog::Args),
    /// Load generator and smoke tester speaking the real client protocol.
    Bots(cmd::bots::Args),
    /// Print or check configuration.
    Config(cmd::config::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let command = match (cli.command, cli.mode) {
        (Some(c), None) => c,
        (None, Some(cmd::Mode::Monolith)) => Command::Monolith(cmd::monolith::Args::default()),
        (None, Some(mode)) => {
            return cmd::not_yet(mode.name());
        }
        (Some(_), Some(_)) => {
            eprintln!("error: give either a subcommand or --mode, not both");
            return ExitCode::from(2);
        }
        (None, None) => {
            eprintln!("error: no subcommand given; try `multidustry monolith` or `multidustry --help`");
            return ExitCode::from(2);
        }
    };
    let result = match command {
        Command::Monolith(a) => cmd::monolith::run(cli.config.as_deref(), a),
        Command::Apiserver(_) => return cmd::not_yet("apiserver"),
        Command::Proxy(_) => return cmd::not_yet("proxy"),
        Command::Gameserver(_) => return cmd::not_yet("gameserver"),
        Command::Status(_) => return cmd::not_yet("status"),
        Command::Worlds(_) => return cmd::not_yet("worlds"),
        Command::Players(_) => return cmd::not_yet("players"),
        Command::Kick(_) => return cmd::not_yet("kick"),
        Command::Ban(_) => return cmd::not_yet("ban"),
        Command::Kv(_) => return cmd::not_yet("kv"),
        Command::Plugins(_) => return cmd::not_yet("plugins"),
        Command::Certs(_) => return cmd::not_yet("certs"),
        Command::Ping(a) => cmd::ping::run(a),
        Command::Map(a) => cmd::map::run(a),
        Command::Mlog(a) => cmd::mlog::run(a),
        Command::Bots(a) => cmd::bots::run(a),
        Command::Config(a) => cmd::config::run(cli.config.as_deref(), a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
