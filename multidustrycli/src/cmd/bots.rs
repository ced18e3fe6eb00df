//! `multidustry bots`: not built yet; answers with a clear error.

use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    _rest: Vec<String>,
}

pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    Ok(super::not_yet("bots"))
}
