//! Shared core of every Multidustry service: the configuration schema ([`config`]), and (added with the
//! monolith and cluster issues) the internal message types and the transport trait that the in-process
//! (kanal) and QUIC transports implement.
//!
//! Depends only on the protocol crate; services depend on this, never the other way.

pub mod access;
pub mod config;
pub mod messages;
pub mod transport;

pub use config::Config;
