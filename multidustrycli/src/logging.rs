//! Installs the process-wide tracing subscriber (binaries only; libraries never do).

use std::io::IsTerminal;

use multidustrycore::config::{General, LogFormat};
use tracing_subscriber::EnvFilter;

/// Crates whose `info` output is not for operators: cranelift logs every compiled function's IR at `info`
/// (a map with many processors printed tens of thousands of lines at start-up).
const QUIET: &[&str] = &["cranelift_jit", "cranelift_codegen", "cranelift_module", "cranelift_frontend"];

/// The filter for `base` (the configured level or `RUST_LOG`): `QUIET` crates only log warnings unless `base`
/// names them itself.
fn directives(base: &str) -> String {
    let mut out = base.trim().to_string();
    for krate in QUIET {
        if !base.contains(krate) {
            if !out.is_empty() {
                out.push(',');
            }
            out.push_str(krate);
            out.push_str("=warn");
        }
    }
    out
}

/// Logs go to stderr so stdout stays for command output (and the monolith's readiness line).
pub fn install(general: &General) {
    let base = std::env::var(EnvFilter::DEFAULT_ENV).unwrap_or_else(|_| general.log_level.clone());
    let filter = EnvFilter::try_new(directives(&base)).unwrap_or_else(|_| EnvFilter::new(directives("info")));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cranelift_is_quiet_unless_asked_for() {
        let d = directives("info");
        assert_eq!(d, "info,cranelift_jit=warn,cranelift_codegen=warn,cranelift_module=warn,cranelift_frontend=warn");
        assert!(EnvFilter::try_new(&d).is_ok());
        assert_eq!(
            directives("debug,cranelift_jit=info"),
            "debug,cranelift_jit=info,cranelift_codegen=warn,cranelift_module=warn,cranelift_frontend=warn"
        );
        assert_eq!(
            directives(""),
            "cranelift_jit=warn,cranelift_codegen=warn,cranelift_module=warn,cranelift_frontend=warn"
        );
    }
}
