//! UDP server-discovery responder: answers `DiscoverHost` datagrams (`FE 01`, what the game's server list and
//! LAN scan send) with a [`ServerInfo`] reply, as `ArcNetProvider`'s discovery handler does.
//!
//! Owns: [`serve`] (a task owning a UDP socket that only answers discovery), [`reply_to`] (the pure decision
//! for a receive loop that shares the game's UDP socket), and [`InfoProvider`] (where the live figures come
//! from). Does not own: the reply layout (`multidustry_protocol::discovery`), game traffic on the socket.
//!
//! Invariants: one reply per request, sent to the request's source address; anything that is not exactly a
//! `DiscoverHost` datagram is ignored; receive errors (e.g. ICMP port-unreachable echoes) never stop the loop.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use multidustry_protocol::ServerInfo;
use multidustry_protocol::discovery::DISCOVER_REQUEST;
use multidustry_protocol::framing::MAX_UDP_BODY;
use tokio::net::UdpSocket;
use tracing::{debug, trace};

/// Supplies the server-list entry at the moment a request arrives (player count, map and wave change).
pub trait InfoProvider: Send + Sync + 'static {
    /// The current entry.
    fn server_info(&self) -> ServerInfo;
}

impl<F> InfoProvider for F
where
    F: Fn() -> ServerInfo + Send + Sync + 'static,
{
    fn server_info(&self) -> ServerInfo {
        self()
    }
}

/// A fixed entry.
impl InfoProvider for ServerInfo {
    fn server_info(&self) -> ServerInfo {
        self.clone()
    }
}

/// The reply to send for `datagram`, or `None` when it is not a discovery request.
#[must_use]
pub fn reply_to(datagram: &[u8], provider: &dyn InfoProvider) -> Option<Vec<u8>> {
    (datagram == DISCOVER_REQUEST).then(|| provider.server_info().encode())
}

/// Answers discovery requests on `socket` until the task is dropped or aborted. Other datagrams are ignored.
///
/// # Errors
/// Never returns `Ok`; returns `Err` only if the socket fails in a way that is not per-datagram (it is closed).
pub async fn serve(socket: Arc<UdpSocket>, provider: impl InfoProvider) -> io::Result<()> {
    let mut buf = vec![0u8; MAX_UDP_BODY];
    loop {
        let (n, from) = match socket.recv_from(&mut buf).await {
            Ok(v) => v,
            Err(e) if is_per_datagram(&e) => {
                debug!(error = %e, "discovery: receive error, continuing");
                continue;
            }
            Err(e) => return Err(e),
        };
        let Some(reply) = buf.get(..n).and_then(|d| reply_to(d, &provider)) else {
            trace!(%from, len = n, "discovery: ignored datagram");
            continue;
        };
        send(&socket, &reply, from).await;
    }
}

async fn send(socket: &UdpSocket, reply: &[u8], to: SocketAddr) {
    match socket.send_to(reply, to).await {
        Ok(_) => trace!(%to, "discovery: replied"),
        Err(e) => debug!(error = %e, %to, "discovery: reply failed"),
    }
}

fn is_per_datagram(e: &io::Error) -> bool {
    use io::ErrorKind::*;
    matches!(e.kind(), ConnectionReset | ConnectionRefused | Interrupted | WouldBlock | TimedOut)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_discover_host_gets_a_reply() {
        let info = ServerInfo { name: "x".into(), ..ServerInfo::default() };
        assert_eq!(reply_to(&[0xfe, 0x01], &info), Some(info.encode()));
        assert_eq!(reply_to(&[0xfe, 0x02], &info), None);
        assert_eq!(reply_to(&[0xfe, 0x01, 0], &info), None);
        assert_eq!(reply_to(&[], &info), None);
    }

    #[tokio::test]
    async fn answers_over_udp_with_the_current_info() {
        let server = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
        let addr = server.local_addr().unwrap();
        let count = Arc::new(std::sync::atomic::AtomicI32::new(0));
        let c = count.clone();
        let task = tokio::spawn(serve(server, move || ServerInfo {
            players: c.fetch_add(1, std::sync::atomic::Ordering::SeqCst),
            ..ServerInfo::default()
        }));
        let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        client.send_to(&[1, 2, 3], addr).await.unwrap();
        let mut buf = [0u8; 512];
        for expected in 0..2 {
            client.send_to(&DISCOVER_REQUEST, addr).await.unwrap();
            let (n, _) = tokio::time::timeout(std::time::Duration::from_secs(2), client.recv_from(&mut buf))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(ServerInfo::decode(&buf[..n]).unwrap().players, expected);
        }
        task.abort();
    }
}
