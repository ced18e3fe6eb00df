//! Helpers shared by the processor test files (`logic`, `logic_world`, `logic_units`): ticking a world.

use std::time::Duration;

use multidustry_gameserver::{Output, Sim};

/// One tick at 60 Hz.
pub const TICK: Duration = Duration::from_micros(16_667);

/// Runs `ticks` world ticks from `now` (advanced), returning everything the world sent.
pub fn run(sim: &mut Sim, now: &mut Duration, ticks: u32) -> Vec<Output> {
    let mut out = Vec::new();
    for _ in 0..ticks {
        *now += TICK;
        sim.tick(*now);
        out.extend(sim.drain());
    }
    out
}
