//! The distribution of single logic ticks (min, percentiles, max, mean) on the bench world of `benches/logic.rs`,
//! for machines where criterion's mean is dominated by noise or by the ticks where every processor changes its
//! message at once (they run in lockstep, so that happens every ~88 ticks).
//!
//! Run: `cargo run --release -p multidustry-gameserver --example tickstats -- [PROCESSORS] [jit|interp]
//! [staggered]` (default 10000 jit, lockstep; `staggered` spreads the processors' message changes over the ticks).
//! Measures 1,200 ticks after 60 warm-up ticks.

use multidustry_gameserver::logic::{self, Clock, Logic};
use std::time::Instant;

#[path = "../benches/common/logic_world.rs"]
mod logic_world;
use logic_world::{tick, world, world_staggered};
fn main() {
    let count: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let engine = if std::env::args().nth(2).as_deref() == Some("interp") {
        logic::EngineKind::Interpreter
    } else {
        logic::EngineKind::Jit
    };
    let mut grid =
        if std::env::args().nth(3).as_deref() == Some("staggered") { world_staggered(count) } else { world(count) };
    let mut l = Logic::new(multidustry_mlog::ir::Build::B159, engine);
    let mut clock = Clock::default();
    for _ in 0..60 {
        tick(&mut l, &mut grid, &mut clock);
    }
    let mut t = Vec::new();
    for _ in 0..1200 {
        let s = Instant::now();
        std::hint::black_box(tick(&mut l, &mut grid, &mut clock));
        t.push(s.elapsed().as_secs_f64() * 1e6);
    }
    let mean = t.iter().sum::<f64>() / t.len() as f64;
    t.sort_by(f64::total_cmp);
    let q = |p: f64| t[((t.len() - 1) as f64 * p) as usize];
    println!(
        "{count} processors: min {:.0} us, p10 {:.0}, median {:.0}, p90 {:.0}, p99 {:.0}, max {:.0}, mean {:.0} us",
        t[0],
        q(0.1),
        q(0.5),
        q(0.9),
        q(0.99),
        t[t.len() - 1],
        mean
    );
}
