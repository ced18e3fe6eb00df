//! Server discovery: the UDP reply to a `DiscoverHost` datagram (`FE 01`), i.e. what the game's server list
//! shows (`NetworkIO.writeServerData` / `readServerData`).
//!
//! Owns: [`ServerInfo`] and its exact wire layout, which is the same in builds 154 and 159 (checked against
//! both builds' captures). Does not own: sockets (the responder is `multidustry-proxy`'s `discovery`).
//!
//! Invariants: `decode` never panics, tolerates trailing bytes (multicast replies are zero-padded to 500
//! bytes) and requires every field through `port`; `encode` truncates strings to the Java maxima.

use crate::io::{DecodeError, Reader, Writer};

/// The discovery request datagram: framework `DiscoverHost`.
pub const DISCOVER_REQUEST: [u8; 2] = [0xFE, 0x01];
/// Max UTF-8 bytes of the server name.
pub const MAX_NAME: usize = 100;
/// Max UTF-8 bytes of the map name.
pub const MAX_MAP: usize = 64;
/// Max UTF-8 bytes of the version type.
pub const MAX_VERSION_TYPE: usize = 32;
/// Max UTF-8 bytes of the description.
pub const MAX_DESCRIPTION: usize = 100;
/// Max UTF-8 bytes of the mode name.
pub const MAX_MODE_NAME: usize = 50;
/// Size of the buffer the Java client reads replies into.
pub const CLIENT_BUFFER: usize = 512;

/// `Gamemode` ordinals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Gamemode {
    /// 0.
    Survival,
    /// 1.
    Sandbox,
    /// 2.
    Attack,
    /// 3.
    Pvp,
    /// 4.
    Editor,
}

impl Gamemode {
    /// The ordinal; out-of-range ordinals read as survival (as the Java client clamps them).
    #[must_use]
    pub fn from_ordinal(o: u8) -> Gamemode {
        match o {
            1 => Gamemode::Sandbox,
            2 => Gamemode::Attack,
            3 => Gamemode::Pvp,
            4 => Gamemode::Editor,
            _ => Gamemode::Survival,
        }
    }

    /// Lower-case name as the game shows it.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Gamemode::Survival => "survival",
            Gamemode::Sandbox => "sandbox",
            Gamemode::Attack => "attack",
            Gamemode::Pvp => "pvp",
            Gamemode::Editor => "editor",
        }
    }
}

/// A server-list entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerInfo {
    /// Server name (≤ 100 bytes).
    pub name: String,
    /// Map name (≤ 64 bytes).
    pub map: String,
    /// Players online.
    pub players: i32,
    /// Wave.
    pub wave: i32,
    /// Build number (159, 154; -1 custom).
    pub version: i32,
    /// `"official"`.
    pub version_type: String,
    /// Gamemode ordinal (kept raw for exact round trips; see [`Gamemode::from_ordinal`]).
    pub gamemode: u8,
    /// Player limit, 0 = none.
    pub player_limit: i32,
    /// Description (≤ 100 bytes).
    pub description: String,
    /// Custom mode name, "" if none.
    pub mode_name: String,
    /// The server's port; 0 means the client assumes 6567. Signed on the wire.
    pub port: i16,
}

impl Default for ServerInfo {
    fn default() -> Self {
        Self {
            name: "Server".into(),
            map: String::new(),
            players: 0,
            wave: 1,
            version: 159,
            version_type: "official".into(),
            gamemode: 0,
            player_limit: 0,
            description: String::new(),
            mode_name: String::new(),
            port: 6567u16 as i16,
        }
    }
}

impl ServerInfo {
    /// Encodes the reply datagram.
    #[must_use]
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::with_capacity(64 + self.name.len() + self.description.len());
        w.discovery_str(&self.name, MAX_NAME).discovery_str(&self.map, MAX_MAP);
        w.i32(self.players).i32(self.wave).i32(self.version).discovery_str(&self.version_type, MAX_VERSION_TYPE);
        w.u8(self.gamemode).i32(self.player_limit);
        w.discovery_str(&self.description, MAX_DESCRIPTION).discovery_str(&self.mode_name, MAX_MODE_NAME);
        w.i16(self.port);
        w.into_inner()
    }

    /// Decodes a reply; bytes after `port` are ignored.
    ///
    /// # Errors
    /// A reply that ends before `port`.
    pub fn decode(datagram: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(datagram);
        Ok(Self {
            name: r.discovery_str()?,
            map: r.discovery_str()?,
            players: r.i32()?,
            wave: r.i32()?,
            version: r.i32()?,
            version_type: r.discovery_str()?,
            gamemode: r.u8()?,
            player_limit: r.i32()?,
            description: r.discovery_str()?,
            mode_name: r.discovery_str()?,
            port: r.i16()?,
        })
    }

    /// The port a client would connect to (`0` → 6567; the u16 view of the signed field).
    #[must_use]
    pub fn effective_port(&self) -> u16 {
        if self.port == 0 { 6567 } else { self.port as u16 }
    }

    /// The gamemode.
    #[must_use]
    pub fn gamemode(&self) -> Gamemode {
        Gamemode::from_ordinal(self.gamemode)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_example() {
        let info = ServerInfo {
            name: "My Server".into(),
            map: "Ground Zero".into(),
            players: 3,
            wave: 5,
            version: 159,
            version_type: "official".into(),
            gamemode: 0,
            player_limit: 0,
            description: "A test server".into(),
            mode_name: String::new(),
            port: 6567,
        };
        let b = info.encode();
        assert_eq!(b.len(), 65);
        assert_eq!(&b[b.len() - 3..], [0, 0x19, 0xa7]);
        assert_eq!(ServerInfo::decode(&b).unwrap(), info);
        let mut padded = b.clone();
        padded.resize(500, 0);
        assert_eq!(ServerInfo::decode(&padded).unwrap(), info);
        assert!(ServerInfo::decode(&b[..b.len() - 1]).is_err());
    }

    #[test]
    fn long_strings_are_truncated_to_the_java_maxima() {
        let info = ServerInfo { name: "n".repeat(300), ..ServerInfo::default() };
        assert_eq!(ServerInfo::decode(&info.encode()).unwrap().name.len(), MAX_NAME);
    }
}
