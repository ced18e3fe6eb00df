//! Which variables compiled code keeps in registers, and what the slow path may touch.
//!
//! Owns: the choice of cached variables ([`regions`]: innermost loops, and in each the variables inline-compiled
//! instructions use most, at most [`MAX_CACHED`]) and, per instruction, which variable slots the
//! reference interpreter may read or write when it runs that instruction for compiled code ([`touch`]).
//! Does not own: the code that keeps the registers and memory in step (see [`super::codegen`]).
//!
//! Invariants: [`touch`] over-approximates, and its `reads` include its `writes`. An instruction that may read a variable by name (`read x @this
//! "name"`) flushes every cached variable; one that may write a variable by name (`write v @this "name"`), or any
//! host instruction, reloads every cached variable. Only [`SlotKind::Var`] slots are cached: every other slot kind
//! is never written while a program runs.

use crate::ir::{Cond, Dst, Instr, Program, Slot, SlotKind, Src};
use crate::value::Value;

/// At most this many variables of one loop live in registers (each takes a tag and a payload register).
pub(crate) const MAX_CACHED: usize = 12;

/// Loops longer than this (in instructions) keep their variables in memory: register allocation time grows
/// with the cached variables' live ranges, and a long loop body gains little.
pub(crate) const MAX_REGION_LEN: usize = 200;

/// A loop whose most used variables compiled code keeps in registers while it runs inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Region {
    /// First instruction (the target of the backward jump).
    pub start: usize,
    /// One past the last instruction (the backward jump).
    pub end: usize,
    /// The cached variables, most used first.
    pub slots: Vec<Slot>,
}

/// The loops of `program` (ranges `[target, jump]` closed by a backward jump, innermost first, disjoint, at
/// most [`MAX_REGION_LEN`] long) with the variables to cache in each: the variables of `SlotKind::Var` that
/// instructions compiled inline (`inline`) use inside the loop, most used first, at most [`MAX_CACHED`].
/// Sorted by start.
pub(crate) fn regions(program: &Program, inline: impl Fn(&Instr) -> bool) -> Vec<Region> {
    let mut loops: Vec<(usize, usize)> = program
        .instrs
        .iter()
        .enumerate()
        .filter_map(|(j, instr)| match *instr {
            Instr::Jump { target, .. } => usize::try_from(target).ok().filter(|&t| t < j).map(|t| (t, j + 1)),
            _ => None,
        })
        .filter(|(t, e)| e - t <= MAX_REGION_LEN)
        .collect();
    loops.sort_by_key(|&(t, e)| (e - t, t));
    let mut taken: Vec<(usize, usize)> = Vec::new();
    for (t, e) in loops {
        if taken.iter().all(|&(a, b)| e <= a || b <= t) {
            taken.push((t, e));
        }
    }
    taken.sort_unstable();
    let mut out = Vec::new();
    for (start, end) in taken {
        let mut weight = vec![0u64; program.slots.len()];
        for instr in &program.instrs[start..end] {
            if !inline(instr) {
                continue;
            }
            let mut add = |s: Slot| {
                if let Some(x) = weight.get_mut(s as usize) {
                    *x += 1;
                }
            };
            match *instr {
                Instr::Set { dst, src } => {
                    dst_slot(dst).map(&mut add);
                    src_slot(src).map(&mut add);
                }
                Instr::Op { dst, a, b, .. } => {
                    dst_slot(dst).map(&mut add);
                    src_slot(a).map(&mut add);
                    src_slot(b).map(&mut add);
                }
                Instr::Select { dst, a, b, x, y, .. } => {
                    dst_slot(dst).map(&mut add);
                    for s in [a, b, x, y] {
                        src_slot(s).map(&mut add);
                    }
                }
                Instr::Jump { cond, a, b, .. } if cond != Cond::Always => {
                    src_slot(a).map(&mut add);
                    src_slot(b).map(&mut add);
                }
                _ => {}
            }
        }
        let mut slots: Vec<Slot> = (0..program.slots.len())
            .filter(|&s| weight[s] > 0 && matches!(program.slots[s].kind, SlotKind::Var))
            .filter_map(|s| Slot::try_from(s).ok())
            .collect();
        slots.sort_by_key(|&s| (std::cmp::Reverse(weight[s as usize]), s));
        slots.truncate(MAX_CACHED);
        if !slots.is_empty() {
            out.push(Region { start, end, slots });
        }
    }
    out
}

fn dst_slot(d: Dst) -> Option<Slot> {
    if let Dst::Slot(s) = d { Some(s) } else { None }
}

fn src_slot(s: Src) -> Option<Slot> {
    if let Src::Slot(s) = s { Some(s) } else { None }
}

/// A set of variable slots, or all of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Slots {
    /// Every slot.
    All,
    /// These slots (may repeat; slots that are not cached are ignored by the user).
    Some(Vec<Slot>),
}

impl Slots {
    /// Whether `s` is in the set.
    pub fn contains(&self, s: Slot) -> bool {
        match self {
            Self::All => true,
            Self::Some(v) => v.contains(&s),
        }
    }
}

/// What running instruction `instr` in the interpreter may do to variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Touch {
    /// Slots whose memory must be current before it runs: those it may read, and every slot in `writes` (a slot
    /// reloaded afterwards that it did not write must not come back stale).
    pub reads: Slots,
    /// Slots it may write (their registers must be reloaded after it ran).
    pub writes: Slots,
}

/// What the interpreter may read and write when it runs `instr` of `program`. Exhaustive on purpose: a new
/// instruction must be classified here.
pub(crate) fn touch(program: &Program, instr: &Instr) -> Touch {
    let src = |v: &mut Vec<Slot>, s: Src| v.extend(src_slot(s));
    let dst = |v: &mut Vec<Slot>, d: Dst| v.extend(dst_slot(d));
    let (mut r, mut w) = (Vec::new(), Vec::new());
    // A numeric constant index never names a variable (by-name access needs a string index).
    let numeric = |s: Src| match s {
        Src::Slot(k) => {
            matches!(program.slots.get(k as usize).map(|x| &x.kind), Some(SlotKind::Const(Value::Num(_) | Value::Null)))
        }
        Src::Counter => true,
        Src::Global(_) => false,
    };
    match instr {
        Instr::Noop | Instr::End | Instr::Stop => {}
        Instr::Set { dst: d, src: s } => {
            src(&mut r, *s);
            dst(&mut r, *d);
            dst(&mut w, *d);
        }
        Instr::Op { dst: d, a, b, .. } => {
            src(&mut r, *a);
            src(&mut r, *b);
            dst(&mut r, *d);
            dst(&mut w, *d);
        }
        Instr::Select { dst: d, a, b, x, y, .. } => {
            for s in [a, b, x, y] {
                src(&mut r, *s);
            }
            dst(&mut r, *d);
            dst(&mut w, *d);
        }
        Instr::Jump { a, b, .. } => {
            src(&mut r, *a);
            src(&mut r, *b);
        }
        Instr::Wait { secs: s }
        | Instr::Print { value: s }
        | Instr::PrintChar { value: s }
        | Instr::Format { value: s }
        | Instr::PrintFlush { target: s }
        | Instr::DrawFlush { target: s }
        | Instr::SetRate { ipt: s } => src(&mut r, *s),
        Instr::Draw { args, .. } => args.iter().for_each(|s| src(&mut r, *s)),
        Instr::PackColor { dst: d, rgba } => {
            rgba.iter().for_each(|s| src(&mut r, *s));
            dst(&mut r, *d);
            dst(&mut w, *d);
        }
        Instr::UnpackColor { rgba, value } => {
            src(&mut r, *value);
            for d in rgba {
                dst(&mut r, *d);
                dst(&mut w, *d);
            }
        }
        Instr::Lookup { dst: d, id: s, .. } | Instr::GetLink { dst: d, index: s } => {
            src(&mut r, *s);
            dst(&mut r, *d);
            dst(&mut w, *d);
        }
        Instr::Sensor { dst: d, target, prop } => {
            src(&mut r, *target);
            src(&mut r, *prop);
            dst(&mut r, *d);
            dst(&mut w, *d);
        }
        Instr::Read { dst: d, target, index } => {
            dst(&mut w, *d);
            if !numeric(*index) {
                // `read x @this "name"` reads any variable.
                return Touch { reads: Slots::All, writes: Slots::Some(w) };
            }
            src(&mut r, *target);
            src(&mut r, *index);
            dst(&mut r, *d);
        }
        Instr::Write { value, target, index } => {
            src(&mut r, *value);
            src(&mut r, *target);
            src(&mut r, *index);
            if !numeric(*index) {
                // `write v @this "name"` may write any variable (and the others are reloaded too, so they are
                // written back first).
                return Touch { reads: Slots::All, writes: Slots::All };
            }
        }
        Instr::Host(_) => return Touch { reads: Slots::All, writes: Slots::All },
        Instr::AssertEquals { expected, actual, message } => {
            for s in [expected, actual, message] {
                src(&mut r, *s);
            }
        }
        Instr::AssertFlush { mark } => {
            dst(&mut r, *mark);
            dst(&mut w, *mark);
        }
        Instr::AssertPrints { mark, expected, message } => {
            for s in [mark, expected, message] {
                src(&mut r, *s);
            }
        }
    }
    debug_assert!(w.iter().all(|s| r.contains(s)), "reads include writes: {instr:?}");
    Touch { reads: Slots::Some(r), writes: Slots::Some(w) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::ContentTable;
    use crate::ir::Build;
    use crate::parse::{ParseOptions, parse};

    fn program(src: &str) -> Program {
        let links = vec!["cell1".to_string()];
        let content = std::sync::Arc::new(ContentTable::empty());
        let opts = ParseOptions::new(Build::B159, false, &links, &content);
        parse(src, &opts).expect("test program parses")
    }

    #[test]
    fn innermost_loops_are_regions_with_their_most_used_variables() {
        let src = "set a 1\nset b 2\nouter:\nset c 0\ninner:\nop add c c 1\nop add d d c\n\
                   jump inner lessThan c 10\nop add a a b\njump outer lessThan a 100\nset e 1\n";
        let p = program(src);
        let r = regions(&p, |_| true);
        assert_eq!(r.len(), 1, "{r:?}");
        assert_eq!((r[0].start, r[0].end), (3, 6));
        let (c, d) = (p.slot_of("c").expect("c"), p.slot_of("d").expect("d"));
        assert_eq!(r[0].slots, vec![c, d]);
        assert!(regions(&p, |_| false).is_empty());
    }

    #[test]
    fn at_most_max_cached_per_region_and_no_long_regions() {
        let body: String = (0..40).map(|i| format!("op add v{i} v{i} 1\n")).collect();
        let p = program(&format!("top:\n{body}jump top always\n"));
        let r = regions(&p, |_| true);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].slots.len(), MAX_CACHED);
        assert!(r[0].slots.iter().all(|&s| matches!(p.slots[s as usize].kind, SlotKind::Var)));
        let long: String = (0..MAX_REGION_LEN).map(|i| format!("op add v{} v{} 1\n", i % 7, i % 7)).collect();
        let p = program(&format!("top:\n{long}jump top always\n"));
        assert!(regions(&p, |_| true).is_empty());
    }

    #[test]
    fn by_name_memory_access_touches_every_variable() {
        let p = program("read x @this \"y\"\nwrite x @this name\nread z cell1 3\nwrite z cell1 4\n");
        let x = p.slot_of("x").expect("x");
        let t = touch(&p, &p.instrs[0]);
        assert_eq!(t.reads, Slots::All);
        assert_eq!(t.writes, Slots::Some(vec![x]));
        let t = touch(&p, &p.instrs[1]);
        assert_eq!((t.reads, t.writes), (Slots::All, Slots::All));
        let z = p.slot_of("z").expect("z");
        let t = touch(&p, &p.instrs[2]);
        assert_eq!(t.writes, Slots::Some(vec![z]));
        assert!(t.reads.contains(z) && !t.reads.contains(x));
        let t = touch(&p, &p.instrs[3]);
        assert_eq!(t.writes, Slots::Some(vec![]));
    }
}
