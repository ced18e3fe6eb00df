//! Installs the process-wide tracing subscriber (binaries only; libraries never do).

use std::io::IsTerminal;

use multidustrycore::config::{General, LogFormat};
use tracing_subscriber::EnvFilter;

/// Logs go to stderr so stdout stays for command output (and the monolith's readiness line).
pub fn install(general: &General) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&general.log_level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    // A second install (tests calling twice) is harmless: keep the first.
    let _ = match general.log_format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}
