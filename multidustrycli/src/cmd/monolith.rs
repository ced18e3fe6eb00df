//! `multidustry monolith`: proxy and gameserver in one process. Wires flags onto the config, starts the
//! monolith, prints one readiness line to stdout, serves the console on stdin, and shuts down (saving) on
//! SIGINT/SIGTERM or the console's `stop`/`exit`.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

#[derive(Debug, Default, clap::Args)]
pub struct Args {
    /// Map or save to serve (.msav), used when the data dir holds no snapshot yet; none serves the generated
    /// default world.
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

pub fn run(config: Option<&Path>, args: Args) -> anyhow::Result<ExitCode> {
    let mut config = multidustrycore::Config::load(config, std::env::vars())?;
    if let Some(bind) = args.bind {
        config.proxy.bind = bind;
    }
    if let Some(data) = args.data {
        config.general.data_dir = data;
    }
    if let Some(name) = args.name {
        config.proxy.name = name;
    }
    if let Some(world) = args.world {
        config.monolith.world = Some(world);
    }
    crate::logging::install(&config.general);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("multidustry-io")
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(serve(config))?;
    Ok(ExitCode::SUCCESS)
}

async fn serve(config: multidustrycore::Config) -> anyhow::Result<()> {
    let options = multidustry_monolith::Options::default();
    let running = multidustry_monolith::start(&config, &options).await?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "multidustry monolith listening on tcp {} udp {}", running.bound.tcp, running.bound.udp)?;
        out.flush()?;
    }
    // The console: stdin lines go to the world; EOF (no terminal, e.g. a service) just ends the console.
    let (line_tx, mut line_rx) = tokio::sync::mpsc::channel::<String>(16);
    std::thread::Builder::new()
        .name("console".into())
        .spawn(move || {
            for line in std::io::stdin().lock().lines() {
                let Ok(line) = line else { break };
                if line_tx.blocking_send(line).is_err() {
                    break;
                }
            }
        })
        .context("starting the console thread")?;
    let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("installing the SIGTERM handler")?;
    let mut console_open = true;
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {
                tracing::info!("SIGINT: shutting down");
                break;
            }
            _ = sigterm.recv() => {
                tracing::info!("SIGTERM: shutting down");
                break;
            }
            line = line_rx.recv(), if console_open => match line {
                Some(line) => {
                    let line_for_world = line.clone();
                    let running_ref = &running;
                    let reply = tokio::task::block_in_place(|| running_ref.console(&line_for_world));
                    let mut out = std::io::stdout().lock();
                    for l in reply {
                        let _ = writeln!(out, "{l}");
                    }
                    let _ = out.flush();
                }
                None => console_open = false,
            },
            _ = tokio::time::sleep(std::time::Duration::from_millis(200)) => {
                if running.world_stopped() {
                    break;
                }
            }
        }
    }
    running.shutdown().await;
    Ok(())
}
