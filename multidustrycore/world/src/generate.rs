//! Generated default world.
