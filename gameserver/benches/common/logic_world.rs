//! The bench world of `benches/logic.rs`, shared with `examples/tickstats.rs`: logic processors (2x2), each
//! with a memory cell and a message block beside it, running a read/write/printflush loop at 8 instructions
//! per tick.

use std::time::Duration;

use multidustry_gameserver::grid::{Building, Grid};
use multidustry_gameserver::logic::{self, Clock, Logic, LogicOutput, id};
use multidustry_gameserver::value::Value;

/// The processors' program: every iteration reads, increments and writes the cell and flushes the message; every
/// 100th prints the count first.
pub const PROGRAM: &str = "\
read n cell1 0
op add n n 1
write n cell1 0
op mod m n 100
jump 6 notEqual m 0
print n
printflush message1
jump 0 always
";

/// `count` logic processors (2x2), each with a memory cell and a message block beside it. They run in lockstep:
/// every ~88 ticks all of them change their message in the same tick.
pub fn world(count: usize) -> Grid {
    world_with(count, false)
}

/// [`world`], with processor `i`'s cell starting at `i % 100`, so that their message changes spread over the
/// ticks as on a map whose processors were not all built at once.
pub fn world_staggered(count: usize) -> Grid {
    world_with(count, true)
}

fn world_with(count: usize, staggered: bool) -> Grid {
    let side = (count as f64).sqrt().ceil() as i32;
    let mut g = Grid::new((side * 4) as u16 + 4, (side * 3) as u16 + 4, 33);
    for i in 0..count as i32 {
        let (x, y) = ((i % side) * 4, (i / side) * 3);
        let links = [("cell1", x + 2, y), ("message1", x + 3, y)];
        let mut p = Building::new(id::LOGIC_PROCESSOR, 1, 0, 100.0);
        p.logic = logic::processor_data(id::LOGIC_PROCESSOR, 1, PROGRAM, &links).map(Box::new);
        assert!(g.put(x, y, 2, p));
        let mut c = Building::new(id::MEMORY_CELL, 1, 0, 100.0);
        c.logic = logic::new_data(id::MEMORY_CELL, 1, 0, 100.0).map(Box::new);
        if staggered
            && let Some(logic::LogicData { kind: logic::LogicKind::Memory(cells), .. }) = c.logic.as_deref_mut()
        {
            cells[0] = f64::from(i % 100);
        }
        assert!(g.put(x + 2, y, 1, c));
        let mut m = Building::new(id::MESSAGE, 1, 0, 100.0);
        m.config = Value::Str(Some(String::new()));
        assert!(g.put(x + 3, y, 1, m));
    }
    g
}

/// Advances `clock` by one 60 Hz tick and runs the processors of `grid` for it.
pub fn tick(l: &mut Logic, grid: &mut Grid, clock: &mut Clock) -> LogicOutput {
    clock.tick += 1.0;
    clock.now += Duration::from_millis(16);
    l.tick(grid, clock, 1.0)
}
