//! Subcommands. Each file owns one command family: its flags and its `run`.

use std::process::ExitCode;

pub mod bots;
pub mod config;
pub mod map;
pub mod mlog;
pub mod monolith;
pub mod ping;

/// Service modes accepted by `--mode`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Mode {
    /// Everything in one process.
    Monolith,
    /// Control plane.
    Apiserver,
    /// Client endpoint.
    Proxy,
    /// World host.
    Gameserver,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Monolith => "monolith",
            Mode::Apiserver => "apiserver",
            Mode::Proxy => "proxy",
            Mode::Gameserver => "gameserver",
        }
    }
}

/// Arguments of a command that is not built yet: accepted and ignored, so the error below is what the user
/// sees rather than a flag-parsing complaint.
#[derive(Debug, clap::Args)]
pub struct NotYetArgs {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    _rest: Vec<String>,
}

/// The honest answer of a command that does not exist yet: an error and a failing exit code.
pub fn not_yet(name: &str) -> ExitCode {
    eprintln!(
        "error: `multidustry {name}` is not available yet in this version; \
         `multidustry monolith` runs a complete server in one process"
    );
    ExitCode::from(2)
}
