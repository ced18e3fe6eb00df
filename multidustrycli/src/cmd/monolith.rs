//! `multidustry monolith`: not built yet; answers with a clear error.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, Default, clap::Args)]
pub struct Args {
    /// Map or save to serve (.msav); none serves the generated default world.
    #[arg(long, value_name = "FILE.msav")]
    pub world: Option<PathBuf>,
    /// TCP and UDP address to listen on.
    #[arg(long, value_name = "ADDR")]
    pub bind: Option<std::net::SocketAddr>,
    /// Data directory (snapshots, bans, admins).
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Server name shown in the server list.
    #[arg(long)]
    pub name: Option<String>,
}

pub fn run(config: Option<&Path>, _args: Args) -> anyhow::Result<ExitCode> {
    let config = multidustrycore::Config::load(config, std::env::vars())?;
    crate::logging::install(&config.general);
    Ok(super::not_yet("monolith"))
}
