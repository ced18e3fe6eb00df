//! Build profiles: which packet id means what in build 159 and build 154.
//!
//! Owns: [`Build`], the id ↔ [`PacketKind`] mapping for each supported build (declared once, as data, in the
//! generated `kinds.rs`), and per-kind metadata (direction, transport, priority) from the 159 table.
//! Does not own: payload layouts (`packets`), which differ between builds only in the places `Build` is
//! passed to.
//!
//! Invariant: `build.kind(build.id(k)?) == Some(k)` for every kind the build has; ids are dense `0..count`.

pub use crate::kinds::PacketKind;
use crate::kinds::{ALL_KINDS, COUNT_154, IDS_154, KIND_COUNT, META, NAMES};

/// A client build this codec speaks. The build a client announces in its `ConnectPacket` picks the profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Build {
    /// Build 154 (the live reference peer's build; no asset streams, older entity layouts).
    V154,
    /// Build 159 (release 159.x, what players run).
    V159,
}

/// Who may send a packet (`@Remote(targets = ...)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Server to client only.
    ServerToClient,
    /// Client to server only.
    ClientToServer,
    /// Either; the server-sent form carries the calling player's id first.
    Both,
}

/// Which socket upstream uses (`unreliable = true` → UDP). Receivers accept either.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// Reliable, ordered.
    Tcp,
    /// Unreliable datagrams.
    Udp,
}

/// Handling priority before the world has loaded (`PacketPriority`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Priority {
    /// Dropped until loaded.
    Low,
    /// Queued until loaded.
    Normal,
    /// Handled immediately.
    High,
}

/// Which endpoint sent a packet; decides whether a `Both` packet carries its leading player id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// The client sent it.
    Client,
    /// The server sent it.
    Server,
}

impl Build {
    /// Both builds, newest first.
    pub const ALL: [Build; 2] = [Build::V159, Build::V154];

    /// The build number on the wire (`Version.build`).
    #[must_use]
    pub fn number(self) -> i32 {
        match self {
            Build::V154 => 154,
            Build::V159 => 159,
        }
    }

    /// The profile for a build number, if supported.
    #[must_use]
    pub fn from_number(n: i32) -> Option<Build> {
        match n {
            154 => Some(Build::V154),
            159 => Some(Build::V159),
            _ => None,
        }
    }

    /// How many packet ids the build registers.
    #[must_use]
    pub fn packet_count(self) -> usize {
        match self {
            Build::V154 => COUNT_154,
            Build::V159 => KIND_COUNT,
        }
    }

    /// The packet id of `kind` in this build, or `None` when the build has no such packet.
    #[must_use]
    pub fn id(self, kind: PacketKind) -> Option<u8> {
        let i = kind as usize;
        match self {
            Build::V159 => u8::try_from(i).ok(),
            Build::V154 => IDS_154.get(i).copied().filter(|&id| id != 255),
        }
    }

    /// The packet kind with id `id` in this build.
    #[must_use]
    pub fn kind(self, id: u8) -> Option<PacketKind> {
        match self {
            Build::V159 => ALL_KINDS.get(usize::from(id)).copied(),
            Build::V154 => IDS_154.iter().position(|&x| x == id && id != 255).map(|i| ALL_KINDS[i]),
        }
    }

    /// Every kind of this build, in id order.
    pub fn kinds(self) -> impl Iterator<Item = PacketKind> {
        (0..self.packet_count()).filter_map(move |id| self.kind(id as u8))
    }
}

impl PacketKind {
    /// The upstream class name (`KickCallPacket2`, `ConnectPacket`, ...).
    #[must_use]
    pub fn name(self) -> &'static str {
        NAMES[self as usize]
    }

    /// Looks a kind up by its upstream class name.
    #[must_use]
    pub fn from_name(name: &str) -> Option<PacketKind> {
        NAMES.iter().position(|n| *n == name).map(|i| ALL_KINDS[i])
    }

    /// Who may send it.
    #[must_use]
    pub fn direction(self) -> Direction {
        META[self as usize].0
    }

    /// The transport upstream sends it on.
    #[must_use]
    pub fn transport(self) -> Transport {
        META[self as usize].1
    }

    /// Handling priority.
    #[must_use]
    pub fn priority(self) -> Priority {
        META[self as usize].2
    }
}

impl std::fmt::Display for PacketKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
