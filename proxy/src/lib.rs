//! The proxy: owns the Mindustry wire (framing, discovery, the connect handshake and its validation, kicks)
//! and routes each player session to the gameserver that hosts the player's world. Holds no game state.
//! Built by the playable-monolith issue; the cluster issue adds the QUIC side.

pub mod discovery;
