//! `multidustry ping HOST[:PORT] [--json]`: queries a Mindustry server the way the game's server list does
//! (one UDP `DiscoverHost` datagram, `FE 01`, to the game port; the reply is the server-list entry) and prints
//! the entry and the round-trip time. No answer within the timeout, or a reply that does not decode, is an
//! error (exit code 1).

use std::net::{SocketAddr, ToSocketAddrs, UdpSocket};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use multidustry_protocol::ServerInfo;
use multidustry_protocol::discovery::{CLIENT_BUFFER, DISCOVER_REQUEST};

/// Default Mindustry port (TCP and UDP).
const DEFAULT_PORT: u16 = 6567;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Server address: `host`, `host:port`, `1.2.3.4:6567` or `[::1]:6567` (default port 6567).
    #[arg(value_name = "HOST[:PORT]")]
    target: String,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
    /// Seconds to wait for the answer (the game waits 2).
    #[arg(long, default_value_t = 2.0, value_name = "SECONDS")]
    timeout: f64,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let addr = resolve(&args.target)?;
    let timeout = Duration::try_from_secs_f64(args.timeout)
        .ok()
        .filter(|t| !t.is_zero())
        .context("--timeout must be a positive number of seconds")?;
    let (info, rtt) = ping(addr, timeout)?;
    if args.json {
        let v = serde_json::json!({
            "address": addr.to_string(),
            "name": info.name,
            "map": info.map,
            "players": info.players,
            "player_limit": info.player_limit,
            "wave": info.wave,
            "build": info.version,
            "version_type": info.version_type,
            "mode": info.gamemode().name(),
            "mode_name": info.mode_name,
            "description": info.description,
            "port": info.effective_port(),
            "rtt_ms": rtt.as_secs_f64() * 1000.0,
        });
        println!("{v}");
    } else {
        let limit = if info.player_limit > 0 { format!(" / {}", info.player_limit) } else { String::new() };
        let mode = if info.mode_name.is_empty() {
            info.gamemode().name().to_string()
        } else {
            format!("{} ({})", info.mode_name, info.gamemode().name())
        };
        println!("server:       {addr}");
        println!("name:         {}", info.name);
        println!("map:          {}", info.map);
        println!("players:      {}{limit}", info.players);
        println!("player limit: {}", if info.player_limit > 0 { info.player_limit.to_string() } else { "none".into() });
        println!("wave:         {}", info.wave);
        println!("build:        {} ({})", info.version, info.version_type);
        println!("mode:         {mode}");
        println!("description:  {}", info.description);
        println!("port:         {}", info.effective_port());
        println!("ping:         {:.1} ms", rtt.as_secs_f64() * 1000.0);
    }
    Ok(ExitCode::SUCCESS)
}

/// `host`, `host:port`, `[v6]:port` or a bare IPv6 address → the first resolved socket address.
fn resolve(target: &str) -> anyhow::Result<SocketAddr> {
    if let Ok(a) = target.parse::<SocketAddr>() {
        return Ok(a);
    }
    if let Ok(ip) = target.parse::<std::net::IpAddr>() {
        return Ok(SocketAddr::new(ip, DEFAULT_PORT));
    }
    let (host, port) = match target.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => {
            (h, p.parse::<u16>().with_context(|| format!("invalid port `{p}` in `{target}`"))?)
        }
        _ => (target, DEFAULT_PORT),
    };
    if host.is_empty() {
        bail!("no host in `{target}`");
    }
    (host, port)
        .to_socket_addrs()
        .with_context(|| format!("cannot resolve `{host}`"))?
        .next()
        .with_context(|| format!("`{host}` has no address"))
}

/// Sends the discovery request and waits for the reply.
fn ping(addr: SocketAddr, timeout: Duration) -> anyhow::Result<(ServerInfo, Duration)> {
    let local: SocketAddr = if addr.is_ipv6() { "[::]:0".parse()? } else { "0.0.0.0:0".parse()? };
    let socket = UdpSocket::bind(local).context("cannot open a UDP socket")?;
    socket.connect(addr).with_context(|| format!("cannot reach {addr}"))?;
    let start = Instant::now();
    socket.send(&DISCOVER_REQUEST).with_context(|| format!("cannot send to {addr}"))?;
    let mut buf = [0u8; CLIENT_BUFFER];
    loop {
        let left = timeout.saturating_sub(start.elapsed());
        if left.is_zero() {
            bail!("no answer from {addr} within {:.1} s (is a Mindustry server running there?)", timeout.as_secs_f64());
        }
        socket.set_read_timeout(Some(left))?;
        match socket.recv(&mut buf) {
            Ok(n) => {
                let rtt = start.elapsed();
                let info = ServerInfo::decode(&buf[..n])
                    .map_err(|e| anyhow::anyhow!("malformed reply from {addr} ({n} bytes): {e}"))?;
                return Ok((info, rtt));
            }
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                bail!("no answer from {addr}: nothing is listening on that UDP port (connection refused)")
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e).with_context(|| format!("receiving from {addr}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_resolve_with_the_default_port() {
        assert_eq!(resolve("127.0.0.1").unwrap(), "127.0.0.1:6567".parse().unwrap());
        assert_eq!(resolve("127.0.0.1:7000").unwrap(), "127.0.0.1:7000".parse().unwrap());
        assert_eq!(resolve("[::1]:7000").unwrap(), "[::1]:7000".parse().unwrap());
        assert_eq!(resolve("::1").unwrap(), "[::1]:6567".parse().unwrap());
        assert_eq!(resolve("localhost:7001").unwrap().port(), 7001);
        assert!(resolve("localhost:x").is_err());
        assert!(resolve(":5").is_err());
    }
}
