//! The reference interpreter: the game's exact execution semantics over the [`Program`] IR.
//!
//! Owns: instruction semantics (`mlog.md` §2): the step rule (wrap, truncate, increment before running),
//! `@counter` reads/writes, every `op` (via [`crate::ops`]), conditions, `select`, text output (`print`,
//! `printchar`, `format`, `printflush`), colours, `lookup`, memory and string/`@this` reads and writes,
//! `wait`/`stop`/`end`, `sensor` on strings/content, and dispatch of world instructions to the [`Host`].
//! Does not own: the per-tick loop ([`crate::engine::tick`]) or parsing.
//!
//! This is the definition the JIT is tested against: when they disagree, this file is right or the spec is
//! re-read. It never panics on any `Program` (bad slot indices read as null and writes to them are dropped).

use std::fmt::Write as _;

use crate::engine::{Budget, Engine, Exit, RunOutcome};
use crate::host::{Host, HostFlow};
use crate::ir::{Build, Cond, Dst, HostOp, Instr, Program, Src};
use crate::ops;
use crate::state::{MAX_TEXT_BUFFER, ProcessorState};
use crate::value::{Value, print_number};

/// The reference interpreter (stateless; all state is in [`ProcessorState`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct Interpreter;

static NULL: Value = Value::Null;

#[inline]
fn read<'a>(state: &'a ProcessorState, host: &mut dyn Host, src: Src, tmp: &'a mut Value) -> &'a Value {
    match src {
        Src::Slot(s) => state.vars.get(s as usize).unwrap_or(&NULL),
        Src::Counter => {
            *tmp = Value::Num(state.counter);
            tmp
        }
        Src::Global(g) => {
            *tmp = host.global(g);
            tmp
        }
    }
}

#[inline]
fn get(state: &ProcessorState, host: &mut dyn Host, src: Src) -> Value {
    match src {
        Src::Slot(s) => state.vars.get(s as usize).cloned().unwrap_or(Value::Null),
        Src::Counter => Value::Num(state.counter),
        Src::Global(g) => host.global(g),
    }
}

#[inline(always)]
fn num(state: &ProcessorState, host: &mut dyn Host, src: Src) -> f64 {
    match src {
        Src::Slot(s) => state.vars.get(s as usize).map_or(0.0, Value::num),
        Src::Counter => state.counter,
        Src::Global(g) => host.global(g).num(),
    }
}

#[inline(always)]
fn write(state: &mut ProcessorState, dst: Dst, v: Value) {
    match dst {
        Dst::Discard => {}
        Dst::Slot(s) => {
            if let Some(slot) = state.vars.get_mut(s as usize) {
                *slot = v;
            }
        }
        Dst::Counter => {
            if let Value::Num(n) = v {
                state.counter = n;
            }
        }
    }
}

#[inline]
fn write_num(state: &mut ProcessorState, dst: Dst, v: f64) {
    write(state, dst, Value::num_or_null(v));
}

/// Evaluates a condition (jump/select) on two values.
#[must_use]
pub fn condition(cond: Cond, a: &Value, b: &Value) -> bool {
    match cond {
        Cond::Equal => ops::equal(a, b),
        Cond::NotEqual => !ops::equal(a, b),
        Cond::LessThan => a.num() < b.num(),
        Cond::LessThanEq => a.num() <= b.num(),
        Cond::GreaterThan => a.num() > b.num(),
        Cond::GreaterThanEq => a.num() >= b.num(),
        Cond::StrictEqual => ops::strict_equal(a, b),
        Cond::Always => true,
    }
}

/// Appends `v` as `print` shows it.
pub fn print_value(out: &mut String, v: &Value, program: &Program, host: &dyn Host) {
    match v {
        Value::Num(n) => print_number(out, *n),
        Value::Null => out.push_str("null"),
        Value::Str(s) => out.push_str(s),
        Value::Content(k, id) => out.push_str(program.content.name(*k, *id).unwrap_or("[object]")),
        Value::Team(t) => out.push_str(crate::content::TEAMS.get(*t as usize).copied().unwrap_or("[object]")),
        Value::Sensor(s) => out.push_str(crate::content::SENSORS.get(*s as usize).copied().unwrap_or("[object]")),
        Value::Key(_) => out.push_str("solid"),
        Value::Building(_) | Value::Unit(_) => match host.object_name(v) {
            Some(n) => out.push_str(&n),
            None => out.push_str("[object]"),
        },
    }
}

fn append(state: &mut ProcessorState, build: Build, s: &str) {
    match build {
        Build::B159 => state.append_text(s),
        Build::B154 => {
            // b154 appends the whole value while the buffer is shorter than 400 units; printflush truncates.
            if state.text_units < MAX_TEXT_BUFFER {
                state.text.push_str(s);
                state.text_units += s.encode_utf16().count();
            }
        }
    }
}

/// Truncates to at most `MAX_TEXT_BUFFER` UTF-16 units.
fn truncate_units(s: &str) -> &str {
    let mut units = 0;
    for (i, c) in s.char_indices() {
        units += c.len_utf16();
        if units > MAX_TEXT_BUFFER {
            return &s[..i];
        }
    }
    s
}

impl Engine for Interpreter {
    fn run(&self, program: &Program, state: &mut ProcessorState, host: &mut dyn Host, budget: Budget) -> RunOutcome {
        let instrs = &program.instrs[..];
        let n = instrs.len();
        if n == 0 {
            return RunOutcome { executed: 0, exit: Exit::Empty };
        }
        let nf = n as f64;
        let mut executed: u64 = 0;
        let mut scratch = String::new();
        let exit = loop {
            if executed >= budget.fuel {
                break Exit::Fuel;
            }
            // Step rule: wrap out-of-range counters to 0, run the truncated index, increment first.
            let mut c = state.counter;
            if !(c >= 0.0 && c < nf) {
                if budget.stop_at_wrap {
                    break Exit::Wrap;
                }
                c = 0.0;
            }
            let i = c as usize;
            state.counter = c + 1.0;
            executed += 1;
            let Some(instr) = instrs.get(i) else { break Exit::Fuel };
            match instr {
                Instr::Noop | Instr::Draw { .. } => {}
                Instr::Set { dst, src } => {
                    let v = get(state, host, *src);
                    write(state, *dst, v);
                }
                Instr::Op { op, dst, a, b } => {
                    let r = {
                        let (mut t1, mut t2) = (Value::Null, Value::Null);
                        // Fast path: both numeric slots.
                        if let (Src::Slot(x), Src::Slot(y)) = (*a, *b)
                            && let (Some(Value::Num(x)), Some(Value::Num(y))) =
                                (state.vars.get(x as usize), state.vars.get(y as usize))
                        {
                            ops::num_op(*op, *x, *y, host)
                        } else {
                            let va = read(state, host, *a, &mut t1).clone();
                            let vb = read(state, host, *b, &mut t2);
                            ops::op(*op, &va, vb, host)
                        }
                    };
                    write_num(state, *dst, r);
                }
                Instr::Select { dst, cond, a, b, x, y } => {
                    let (mut t1, mut t2) = (Value::Null, Value::Null);
                    let va = read(state, host, *a, &mut t1).clone();
                    let vb = read(state, host, *b, &mut t2);
                    let pick = if condition(*cond, &va, vb) { *x } else { *y };
                    let v = get(state, host, pick);
                    write(state, *dst, v);
                }
                Instr::Jump { target, cond, a, b } => {
                    if *target == -1 {
                        continue;
                    }
                    let taken = match cond {
                        Cond::Always => true,
                        _ => {
                            if let (Src::Slot(x), Src::Slot(y)) = (*a, *b)
                                && let (Some(Value::Num(x)), Some(Value::Num(y))) =
                                    (state.vars.get(x as usize), state.vars.get(y as usize))
                            {
                                ops::num_cond(*cond, *x, *y)
                            } else {
                                let (mut t1, mut t2) = (Value::Null, Value::Null);
                                let va = read(state, host, *a, &mut t1).clone();
                                let vb = read(state, host, *b, &mut t2);
                                condition(*cond, &va, vb)
                            }
                        }
                    };
                    if taken {
                        state.counter = f64::from(*target);
                        if budget.stop_at_selfloop && *target as usize == i && *target >= 0 {
                            break Exit::SelfLoop;
                        }
                    }
                }
                Instr::End => state.counter = nf,
                Instr::Stop => {
                    state.counter -= 1.0;
                    break Exit::Stop;
                }
                Instr::Wait { secs } => {
                    let t = num(state, host, *secs);
                    let key = i as u32;
                    let timer = state.wait_timers.get(&key).copied().unwrap_or(0.0);
                    if program.build == Build::B159 && t <= 0.0 {
                        // master: a non-positive wait yields once and continues next tick
                        break Exit::Wait;
                    }
                    if timer >= t {
                        state.wait_timers.remove(&key);
                    } else {
                        state.counter -= 1.0;
                        state.wait_timers.insert(key, timer + budget.tick_seconds);
                        break Exit::Wait;
                    }
                }
                Instr::Print { value } => {
                    scratch.clear();
                    let mut t = Value::Null;
                    print_value(&mut scratch, read(state, host, *value, &mut t), program, host);
                    append(state, program.build, &scratch);
                }
                Instr::PrintChar { value } => {
                    let v = get(state, host, *value);
                    if let Value::Num(x) = v {
                        // Java `(char) Math.floor(x)`: an int narrowed to a UTF-16 unit.
                        let unit = (x.floor() as i32) as u16;
                        let s = char::from_u32(u32::from(unit)).unwrap_or('\u{FFFD}');
                        let mut buf = [0u8; 4];
                        append(state, program.build, s.encode_utf8(&mut buf));
                    }
                    // Objects: null and non-content objects are ignored. A content object appends
                    // `(char) emojiChar()`, `Fonts.getUnicode(name)`: its icon's code point when the game's icon
                    // table (`icons/icons.properties`) is loaded, else 0. The Java dedicated server
                    // (`ServerLauncher`) never loads that table (only clients and some headless harnesses call
                    // `Fonts.loadContentIconsHeadless`), so on a server every content object appends U+0000.
                    else if let Value::Content(..) = v {
                        append(state, program.build, "\u{0}");
                    }
                }
                Instr::Format { value } => {
                    scratch.clear();
                    let mut t = Value::Null;
                    print_value(&mut scratch, read(state, host, *value, &mut t), program, host);
                    format_placeholder(state, &scratch);
                }
                Instr::PrintFlush { .. } | Instr::Read { .. } | Instr::Write { .. } => {
                    run_io(program, state, host, instr);
                }
                Instr::DrawFlush { target } => {
                    let t = get(state, host, *target);
                    host.drawflush(&t);
                }
                Instr::PackColor { dst, rgba } => {
                    let ch = |v: f64| -> u32 { ((v as f32).clamp(0.0, 1.0) * 255.0) as u32 };
                    let r = ch(num(state, host, rgba[0]));
                    let g = ch(num(state, host, rgba[1]));
                    let b = ch(num(state, host, rgba[2]));
                    let a = ch(num(state, host, rgba[3]));
                    let bits = (r << 24) | (g << 16) | (b << 8) | a;
                    write(state, *dst, Value::Num(f64::from_bits(u64::from(bits))));
                }
                Instr::UnpackColor { rgba, value } => {
                    let bits = num(state, host, *value).to_bits() as u32;
                    for (k, d) in rgba.iter().enumerate() {
                        let byte = (bits >> (24 - 8 * k)) & 0xff;
                        write(state, *d, Value::Num(f64::from(byte as f32 / 255.0)));
                    }
                }
                Instr::Lookup { kind, dst, id } => {
                    let v = program.content.lookup(*kind, num(state, host, *id));
                    write(state, *dst, v);
                }
                Instr::GetLink { dst, index } => {
                    let idx = num(state, host, *index) as i64;
                    let v = host.getlink(idx);
                    write(state, *dst, v);
                }
                Instr::Sensor { dst, target, prop } => {
                    let t = get(state, host, *target);
                    let p = get(state, host, *prop);
                    let v = sense(program, host, &t, &p);
                    write(state, *dst, v);
                }
                Instr::SetRate { ipt } => {
                    let v = num(state, host, *ipt) as i64;
                    state.ipt = v.clamp(1, 500) as f64;
                }
                Instr::Host(h) => {
                    let args: Vec<Value> = h.args.iter().map(|s| get(state, host, *s)).collect();
                    let mut outs = vec![Value::Null; args.len()];
                    if matches!(h.op, HostOp::Ucontrol | HostOp::Uradar | HostOp::Ulocate) {
                        let unit = program.unit_slot.and_then(|s| state.vars.get(s as usize)).unwrap_or(&Value::Null);
                        host.bound_unit(unit);
                    }
                    let flow = host.call(h, &args, &mut outs);
                    if h.op == crate::ir::HostOp::Message {
                        // `message` consumes the text buffer (a headless Java server does only that).
                        let text = state.take_text();
                        host.message(h.modes.first().map_or("announce", String::as_str), &text);
                    }
                    if h.op == crate::ir::HostOp::SetMarker
                        && marker_reads_text(h, &args)
                        && host.marker_text(h, &args, &state.text)
                    {
                        state.take_text();
                    }
                    if h.op == crate::ir::HostOp::Ubind {
                        if let (Some(slot), Some(u)) = (program.unit_slot, outs.first())
                            && let Some(v) = state.vars.get_mut(slot as usize)
                        {
                            *v = u.clone();
                        }
                    } else {
                        for (d, v) in h.outs.iter().zip(outs) {
                            if *d != Dst::Discard {
                                write(state, *d, v);
                            }
                        }
                    }
                    match flow {
                        HostFlow::Continue => {}
                        HostFlow::Yield => break Exit::HostYield,
                        HostFlow::Repeat => {
                            state.counter -= 1.0;
                            break Exit::HostYield;
                        }
                    }
                }
                Instr::AssertEquals { expected, actual, message } => {
                    let e = get(state, host, *expected);
                    let a = get(state, host, *actual);
                    state.asserts_run += 1;
                    if !assert_same(&e, &a) {
                        let mut m = String::new();
                        print_value(&mut m, &get(state, host, *message), program, host);
                        let (mut es, mut as_) = (String::new(), String::new());
                        print_value(&mut es, &e, program, host);
                        print_value(&mut as_, &a, program, host);
                        let _ = write!(m, ": expected {es}, actual {as_} (instruction {i})");
                        state.assert_failures.push(m);
                    }
                }
                Instr::AssertFlush { mark } => {
                    let at = state.text.len() as f64;
                    write(state, *mark, Value::Num(at));
                }
                Instr::AssertPrints { mark, expected, message } => {
                    let from = num(state, host, *mark) as usize;
                    let e = get(state, host, *expected);
                    let mut es = String::new();
                    print_value(&mut es, &e, program, host);
                    let printed = state.text.get(from..).unwrap_or("").to_string();
                    state.asserts_run += 1;
                    // The game caps the buffer at 400 units; Mindcode's emulator does not. An assertion about text
                    // the game could not hold is not applicable (counted, not failed).
                    let overflowed = state.text_units >= MAX_TEXT_BUFFER;
                    if printed != es && !overflowed {
                        let mut m = String::new();
                        print_value(&mut m, &get(state, host, *message), program, host);
                        let _ = write!(m, ": expected print {es:?}, actual {printed:?} (instruction {i})");
                        state.assert_failures.push(m);
                    }
                }
            }
        };
        state.executed += executed;
        RunOutcome { executed, exit }
    }
}

/// Mindcode's `assertequals`: same value (numbers exactly, or printing identically; objects equal).
/// `setmarker flushText`, and `setmarker texture` whose first operand (after the id) is true, read the text
/// buffer (`SetMarkerI`).
fn marker_reads_text(h: &crate::ir::HostInstr, args: &[Value]) -> bool {
    match h.modes.first().map(String::as_str) {
        Some("flushText") => true,
        Some("texture") => args.get(1).is_some_and(Value::truthy),
        _ => false,
    }
}

fn assert_same(e: &Value, a: &Value) -> bool {
    match (e, a) {
        (Value::Num(x), Value::Num(y)) => x == y || (x - y).abs() < 1e-9 * x.abs().max(y.abs()).max(1.0),
        (x, y) if x.is_obj() && y.is_obj() => x.obj_eq(y),
        _ => false,
    }
}

/// `format`: replace the placeholder `{d}` with the lowest digit `d` in the buffer by `text`.
fn format_placeholder(state: &mut ProcessorState, text: &str) {
    let bytes = state.text.as_bytes();
    let mut best: Option<(u8, usize)> = None;
    for i in 0..bytes.len().saturating_sub(2) {
        if bytes[i] == b'{' && bytes[i + 2] == b'}' && bytes[i + 1].is_ascii_digit() {
            let d = bytes[i + 1];
            if best.is_none_or(|(bd, _)| d < bd) {
                best = Some((d, i));
            }
        }
    }
    if let Some((_, at)) = best {
        let mut s = String::with_capacity(state.text.len() + text.len());
        s.push_str(&state.text[..at]);
        s.push_str(text);
        s.push_str(&state.text[at + 3..]);
        state.text.clear();
        state.text_units = 0;
        state.append_text(&s);
    }
}

/// The common case of `read` and `write`, with no temporaries: a building and a numeric address held in
/// variables, for which only `Host::read` / `Host::write` apply ([`run_io`] comes to the same calls for them).
/// Returns false, doing nothing, for anything else. Inlined into the JIT's slow path, which runs it for every
/// memory access of compiled code before falling back to [`run_io`].
#[inline(always)]
pub(crate) fn run_io_fast(state: &mut ProcessorState, host: &mut dyn Host, instr: &Instr) -> bool {
    match instr {
        Instr::Read { dst, target: Src::Slot(t), index: Src::Slot(ix) } => {
            let (Some(t @ Value::Building(_)), Some(ix @ Value::Num(_))) =
                (state.vars.get(*t as usize), state.vars.get(*ix as usize))
            else {
                return false;
            };
            if let Some(v) = host.read(t, ix.num() as i64) {
                write(state, *dst, Value::num_or_null(v));
            }
            true
        }
        Instr::Write { value, target: Src::Slot(t), index: Src::Slot(ix) } => {
            let (Some(t @ Value::Building(_)), Some(ix @ Value::Num(_))) =
                (state.vars.get(*t as usize), state.vars.get(*ix as usize))
            else {
                return false;
            };
            let v = num(state, host, *value);
            host.write(t, ix.num() as i64, v);
            true
        }
        _ => false,
    }
}

/// `read`, `write` and `printflush`: the memory and message instructions, which never yield or jump except by
/// writing `@counter`. The interpreter's definition of them, shared with the JIT's slow path (which calls it for
/// one instruction without the run loop; the caller has already advanced the counter past the instruction).
/// Returns false (doing nothing) for any other instruction.
pub(crate) fn run_io(program: &Program, state: &mut ProcessorState, host: &mut dyn Host, instr: &Instr) -> bool {
    // Operands are read by reference (no `Value` copies): this runs for every memory access of compiled code.
    if run_io_fast(state, host, instr) {
        return true;
    }
    let (mut t1, mut t2, mut t3) = (Value::Null, Value::Null, Value::Null);
    match instr {
        Instr::Read { dst, target, index } => {
            let t = read(state, host, *target, &mut t1);
            let idx = read(state, host, *index, &mut t2);
            if let Some(v) = read_target(program, state, host, t, idx) {
                write(state, *dst, v);
            }
        }
        Instr::Write { value, target, index } => {
            let t = read(state, host, *target, &mut t1);
            let idx = read(state, host, *index, &mut t2);
            let v = read(state, host, *value, &mut t3);
            if let Value::Str(name) = idx {
                if host.is_self(t) {
                    let (name, v) = (name.clone(), v.clone());
                    write_own_var(program, state, &name, v);
                    return true;
                }
                if host.write_var(t, name, v) {
                    return true;
                }
            }
            host.write(t, idx.num() as i64, v.num());
        }
        Instr::PrintFlush { target } => {
            // The text is taken first: reading the target does not depend on it.
            let text = state.take_text();
            let t = read(state, host, *target, &mut t1);
            host.printflush(t, truncate_units(&text));
        }
        _ => return false,
    }
    true
}

fn read_target(
    program: &Program,
    state: &ProcessorState,
    host: &mut dyn Host,
    target: &Value,
    idx: &Value,
) -> Option<Value> {
    if let Value::Str(s) = target {
        let i = idx.num() as i64;
        let unit = usize::try_from(i).ok().and_then(|i| s.encode_utf16().nth(i));
        return Some(unit.map_or(Value::Null, |u| Value::Num(f64::from(u))));
    }
    if let Value::Str(name) = idx
        && host.is_self(target)
    {
        return Some(
            program.slot_of(name).map_or(Value::Null, |s| state.vars.get(s as usize).cloned().unwrap_or(Value::Null)),
        );
    }
    if let Value::Str(name) = idx
        && let Some(v) = host.read_var(target, name)
    {
        return Some(v);
    }
    host.read(target, idx.num() as i64).map(Value::num_or_null)
}

/// `write value @this "name"`: a variable of this processor by name (constants are not written).
fn write_own_var(program: &Program, state: &mut ProcessorState, name: &str, v: Value) {
    if let Some(s) = program.slot_of(name)
        && program.is_var(s)
        && let Some(slot) = state.vars.get_mut(s as usize)
    {
        *slot = v;
    }
}

fn sense(program: &Program, host: &mut dyn Host, target: &Value, prop: &Value) -> Value {
    let key = match prop {
        Value::Sensor(k) => crate::content::SENSORS.get(*k as usize).copied(),
        _ => None,
    };
    match (target, key) {
        (Value::Str(s), Some("size" | "bufferSize")) => Value::Num(s.encode_utf16().count() as f64),
        (Value::Content(k, id), Some("name")) => {
            program.content.name(*k, *id).map_or(Value::Null, |n| Value::Str(n.into()))
        }
        (Value::Content(k, id), Some("id")) => Value::Num(program.content.sensed_logic_id(*k, *id)),
        _ => host.sensor(target, prop),
    }
}
