//! The gameserver: hosts worlds on sync world threads that tick at a fixed rate and never await, and talks to
//! the networking side over bounded channels.
//!
//! ```text
//!   proxy ──ToWorld──▶ [bounded channel] ──▶ world thread: drain → Sim::handle … Sim::tick → encode ──ToProxy──▶
//! ```
//!
//! Modules: `sim` (the game rules of one world, sans-IO), `ecs` (all Legion types), `grid` (tiles and
//! buildings), `blocks` (construction facts), `sync` (snapshot records per client build), `value`
//! (configuration values).
//!
//! `logic` runs the world's MLOG processors (logic blocks and world processors loaded from the map's building
//! records) inside `Sim::tick`, after unit and building updates.

pub mod blocks;
pub mod buildrecords;
pub mod console;
pub mod ecs;
pub mod grid;
pub mod host;
pub mod logic;
pub mod markers;
pub mod power;
pub mod records;
pub mod sim;
pub mod streamcache;
pub mod sync;
pub mod unitsave;
pub mod value;
pub mod waves;
pub mod wire;
pub mod worldio;

pub use sim::{Call, ClientSnapshot, Input, JoinRequest, KickReason, Output, Plan, SessionId, Sim, SimRules, Target};
