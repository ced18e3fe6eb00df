//! `multidustry config default|check|show`.

use std::path::Path;
use std::process::ExitCode;

use multidustrycore::Config;
use multidustrycore::config::DEFAULT_TOML;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// Print the commented default configuration file.
    Default,
    /// Load the configuration (file given with --config, then MULTIDUSTRY__* variables) and report problems.
    Check,
    /// Print the effective configuration after all layers.
    Show,
}

pub fn run(file: Option<&Path>, args: Args) -> anyhow::Result<ExitCode> {
    match args.action {
        Action::Default => print!("{DEFAULT_TOML}"),
        Action::Check => {
            Config::load(file, std::env::vars())?;
            println!("configuration is valid");
        }
        Action::Show => {
            let config = Config::load(file, std::env::vars())?;
            print!("{}", toml::to_string(&config)?);
        }
    }
    Ok(ExitCode::SUCCESS)
}
