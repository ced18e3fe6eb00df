//! Translation of a [`Program`] into one cranelift function `(ctx, fuel) -> remaining fuel`.
//!
//! Owns: the shape of compiled code — an entry that dispatches on `@counter` through a jump table, one block per
//! mlog instruction that first checks and debits fuel, inline code for `set`/`op`/`select`/`jump`/`end`/`noop`,
//! and a call to the slow helper (the reference interpreter, one instruction) for everything else.
//! Does not own: semantics. Inline code implements exactly the interpreter's rules for the cases it accepts
//! (numbers and null through `setnum`, objects read as 1/0, Java long conversions) and hands every other case of
//! the same instruction — string operands, object equality, globals, writes over a string — to the slow path
//! *before* it has changed anything, so the interpreter runs the whole instruction.
//!
//! ```text
//!  entry ─▶ dispatch: counter in [0,n)? ── no ──▶ wrap(c): stop_at_wrap? ─ yes ─▶ exit WRAP (counter c)
//!              │ integer? ── no ──▶ exit FALLBACK                          └─ no ──▶ check[0]
//!              ▼ br_table
//!          check[i]: fuel == 0? ── yes ──▶ exit FUEL (counter i)
//!              ▼ fuel -= 1
//!          body[i]: inline code ─▶ check[i+1] | check[target] | wrap(n) | dispatch
//!                   or slow(i): interpreter runs instruction i → dispatch | EXIT: return
//! ```
//!
//! Straight-line runs (see [`runs`]) of two or more instructions also get a fast entry, which jumps and falls
//! through target when it exists: when at least the run's length of fuel is left it debits it all at once and
//! runs bodies compiled without the per-instruction check; any way out of the run other than falling through to
//! its next instruction (a taken conditional jump, the slow path) first gives back the fuel of the instructions
//! it skipped, so fuel stays debited exactly once per executed instruction. With less fuel left the checked
//! path runs and stops exactly where the fuel ends.
//!
//! Inside a loop chosen by [`cache::regions`] (an innermost range closed by a backward jump), the loop's most used
//! variables live in registers (tag and first payload word as cranelift variables, so SSA construction and the
//! register allocator place them): every edge into the region goes through an entry block that loads them, every
//! edge out of it (jumps and fall-through past it, dispatch, wrap, exits) first writes back those inline code may
//! have changed, and the slow path writes back what the interpreter may read and reloads what it may write
//! ([`cache::touch`]). Outside regions every variable is read and written in memory. Limiting registers to
//! regions keeps their live ranges short: caching variables across the whole function multiplied compile time.
//!
//! Reads of `SlotKind::Const` slots are folded to immediates: no instruction writes a constant slot (the IR
//! never has a `Dst` naming one, and the interpreter's by-name writes only touch `SlotKind::Var`), and a state
//! is created from, and only valid with, its program.
//!
//! Invariants: every path that leaves the function has written back every register-held variable, stored `exit`
//! and (unless the helper or a counter write already did) the counter of the next instruction; every edge into a
//! region defines its registers; fuel is debited exactly once per executed instruction,
//! before it runs; slot offsets are `slot * 24 < vars.len() * 24` because the caller checks the slot count.

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{AbiParam, BlockArg, InstBuilder, JumpTableData, MemFlagsData, UserFuncName, types};
use cranelift_codegen::ir::{Block, FuncRef, Value as CValue};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{Linkage, Module, default_libcall_names};

use super::JitError;
use super::cache::{self, Slots};
use super::runtime::{
    self, CTX_COUNTER, CTX_EXIT, CTX_STOP_AT_SELFLOOP, CTX_STOP_AT_WRAP, CTX_VARS, CompiledFn, NUM_OFFSET, TAG_NULL,
    TAG_NUM, TAG_STR, VALUE_SIZE, exit, slow,
};
use crate::ir::{Cond, Dst, Instr, OpKind, Program, Slot, SlotKind, Src};
use crate::value::Value;

/// Machine code for one program. Owns the executable memory.
pub(crate) struct Compiled {
    /// Only touched by `Drop`; the mutex makes `Compiled` `Sync` (`JITModule` is `Send` but holds a `RefCell`).
    module: std::sync::Mutex<Option<JITModule>>,
    /// Entry point.
    pub func: CompiledFn,
}

impl std::fmt::Debug for Compiled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Compiled").finish_non_exhaustive()
    }
}

impl Drop for Compiled {
    fn drop(&mut self) {
        let slot = self.module.get_mut().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(module) = slot.take() {
            #[allow(unsafe_code)]
            // SAFETY: `func` points into this module's memory and is dropped with `self`; no copy of it escapes
            // `JitProgram`, whose runs borrow it, so no code from this module can run after this point.
            unsafe {
                module.free_memory();
            }
        }
    }
}

/// Compiles `program`.
pub(crate) fn compile(program: &Program) -> Result<Compiled, JitError> {
    let mut flags = settings::builder();
    let cg = |e: settings::SetError| JitError::Codegen(e.to_string());
    flags.set("opt_level", "speed").map_err(cg)?;
    // The verifier costs about as much as compiling; keep it where tests run (debug builds).
    flags.set("enable_verifier", if cfg!(debug_assertions) { "true" } else { "false" }).map_err(cg)?;
    flags.set("use_colocated_libcalls", "false").map_err(cg)?;
    flags.set("is_pic", "false").map_err(cg)?;
    let isa = cranelift_native::builder()
        .map_err(|e| JitError::Codegen(e.to_string()))?
        .finish(settings::Flags::new(flags))
        .map_err(|e| JitError::Codegen(e.to_string()))?;
    let mut jb = JITBuilder::with_isa(isa, default_libcall_names());
    let (slow_name, slow_ptr) = runtime::slow_helper();
    jb.symbol(slow_name, slow_ptr);
    let (fmod_name, fmod_ptr) = runtime::fmod_helper();
    jb.symbol(fmod_name, fmod_ptr);
    let (numop_name, numop_ptr) = runtime::num_op_helper();
    jb.symbol(numop_name, numop_ptr);
    let mut module = JITModule::new(jb);
    let ptr = module.target_config().pointer_type();

    let mut sig = module.make_signature();
    sig.params.push(AbiParam::new(ptr));
    sig.params.push(AbiParam::new(types::I64));
    sig.returns.push(AbiParam::new(types::I64));
    let func_id =
        module.declare_function("mlog_program", Linkage::Local, &sig).map_err(|e| JitError::Codegen(e.to_string()))?;

    let mut slow_sig = module.make_signature();
    slow_sig.params.push(AbiParam::new(ptr));
    slow_sig.params.push(AbiParam::new(types::I32));
    slow_sig.returns.push(AbiParam::new(types::I32));
    let slow_id =
        module.declare_function(slow_name, Linkage::Import, &slow_sig).map_err(|e| JitError::Codegen(e.to_string()))?;
    let mut fmod_sig = module.make_signature();
    fmod_sig.params.push(AbiParam::new(types::F64));
    fmod_sig.params.push(AbiParam::new(types::F64));
    fmod_sig.returns.push(AbiParam::new(types::F64));
    let fmod_id =
        module.declare_function(fmod_name, Linkage::Import, &fmod_sig).map_err(|e| JitError::Codegen(e.to_string()))?;
    let mut numop_sig = module.make_signature();
    numop_sig.params.push(AbiParam::new(ptr));
    numop_sig.params.push(AbiParam::new(types::I32));
    numop_sig.params.push(AbiParam::new(types::F64));
    numop_sig.params.push(AbiParam::new(types::F64));
    numop_sig.returns.push(AbiParam::new(types::F64));
    let numop_id = module
        .declare_function(numop_name, Linkage::Import, &numop_sig)
        .map_err(|e| JitError::Codegen(e.to_string()))?;

    let mut ctx = module.make_context();
    ctx.func.signature = sig;
    ctx.func.name = UserFuncName::user(0, func_id.as_u32());
    let frontend = module.isa().frontend_config();
    let mut fctx = FunctionBuilderContext::new();
    {
        let mut b = FunctionBuilder::new(&mut ctx.func, &mut fctx);
        let helpers = Helpers {
            slow: module.declare_func_in_func(slow_id, b.func),
            fmod: module.declare_func_in_func(fmod_id, b.func),
            num_op: module.declare_func_in_func(numop_id, b.func),
        };
        let mut g = Gen::new(&mut b, program, ptr, helpers);
        g.emit();
        b.seal_all_blocks();
        b.finalize(frontend);
    }
    module.define_function(func_id, &mut ctx).map_err(|e| JitError::Codegen(format!("{e:?}")))?;
    module.clear_context(&mut ctx);
    module.finalize_definitions().map_err(|e| JitError::Codegen(e.to_string()))?;
    let code = module.get_finalized_function(func_id);
    #[allow(unsafe_code)]
    // SAFETY: `code` is the finalized function just defined with signature `(ptr, i64) -> i64` in the host's
    // default calling convention, which is `CompiledFn` (`extern "C"`) on every target cranelift-native supports.
    let func = unsafe { std::mem::transmute::<*const u8, CompiledFn>(code) };
    Ok(Compiled { module: std::sync::Mutex::new(Some(module)), func })
}

/// What an operand reads as, in registers.
#[derive(Clone, Copy)]
struct Operand {
    /// Discriminant (i64).
    tag: CValue,
    /// `num()` of the operand.
    num: CValue,
    /// The raw `f64` payload (only meaningful when `tag == TAG_NUM`).
    raw: CValue,
}

/// Helper functions imported into the compiled function.
struct Helpers {
    slow: FuncRef,
    fmod: FuncRef,
    num_op: FuncRef,
}

struct Gen<'a, 'b> {
    b: &'a mut FunctionBuilder<'b>,
    program: &'a Program,
    ptr: types::Type,
    h: Helpers,
    ctx: CValue,
    fuel: Variable,
    vars: Variable,
    check: Vec<Block>,
    body: Vec<Block>,
    slow_blocks: Vec<Option<Block>>,
    /// Per run leader (see [`runs`]): the block that debits the whole run's fuel at once when enough is left.
    fast_entry: Vec<Option<Block>>,
    /// Per instruction inside a run with a fast entry: its body when the run's fuel was debited up front.
    fast_body: Vec<Option<Block>>,
    fast_slow_blocks: Vec<Option<Block>>,
    /// While emitting fast bodies: the end (exclusive) of the current run.
    fast: Option<usize>,
    dispatch: Block,
    wrap: Block,
    exit_at: Block,
    ret: Block,
    mem: MemFlagsData,
    /// Loops whose variables live in registers while code runs inside them (see [`cache`]).
    regions: Vec<RegionVars>,
    /// Per instruction: its region.
    region_of: Vec<Option<usize>>,
    /// The region of the code being emitted (`None` outside every region: dispatch, wrap, exits, other
    /// instructions).
    cur: Option<usize>,
    /// Entry blocks into a region (target block → block that loads the region's variables and jumps there),
    /// and whether each has been filled.
    enters: Vec<(Block, Block, bool, Option<usize>)>,
}

/// One region's cached variables.
struct RegionVars {
    vars: Vec<(Slot, Cached)>,
}

/// A variable kept in registers inside a region: its tag (i64) and its payload's first word (f64 bits), loaded
/// from memory on every edge into the region; the payload's second word always lives in memory.
#[derive(Clone, Copy)]
struct Cached {
    tag: Variable,
    raw: Variable,
    /// Inline code in the region may write it, so its registers can differ from memory: written back before the
    /// slow path reads it and on every edge out of the region. A variable only the slow path writes is reloaded
    /// after each such write and never differs from memory.
    written: bool,
}

impl<'a, 'b> Gen<'a, 'b> {
    fn new(b: &'a mut FunctionBuilder<'b>, program: &'a Program, ptr: types::Type, h: Helpers) -> Self {
        let entry = b.create_block();
        b.append_block_params_for_function_params(entry);
        b.switch_to_block(entry);
        let ctx = b.block_params(entry)[0];
        let fuel0 = b.block_params(entry)[1];
        let fuel = b.declare_var(types::I64);
        let vars = b.declare_var(ptr);
        b.def_var(fuel, fuel0);
        let mem = MemFlagsData::trusted();
        let v0 = b.ins().load(ptr, mem, ctx, CTX_VARS);
        b.def_var(vars, v0);
        let n = program.instrs.len();
        let mut region_of = vec![None; n];
        let mut regions = Vec::new();
        for (k, r) in cache::regions(program, compiled_inline).into_iter().enumerate() {
            let body = &program.instrs[r.start..r.end];
            let vars = r
                .slots
                .iter()
                .map(|&s| {
                    let tag = b.declare_var(types::I64);
                    let raw = b.declare_var(types::F64);
                    let written = body.iter().any(|x| compiled_inline(x) && writes_slot(x, s));
                    (s, Cached { tag, raw, written })
                })
                .collect();
            region_of[r.start..r.end].fill(Some(k));
            regions.push(RegionVars { vars });
        }
        let check = (0..n).map(|_| b.create_block()).collect();
        let body = (0..n).map(|_| b.create_block()).collect();
        let slow_blocks = vec![None; n];
        let mut fast_entry = vec![None; n];
        let mut fast_body = vec![None; n];
        for (lead, end) in runs(program) {
            if end - lead >= 2 {
                fast_entry[lead] = Some(b.create_block());
                for slot in &mut fast_body[lead..end] {
                    *slot = Some(b.create_block());
                }
            }
        }
        let dispatch = b.create_block();
        let wrap = b.create_block();
        b.append_block_param(wrap, types::F64);
        let exit_at = b.create_block();
        b.append_block_param(exit_at, types::F64);
        b.append_block_param(exit_at, types::I32);
        let ret = b.create_block();
        b.ins().jump(dispatch, &[]);
        Self {
            b,
            program,
            ptr,
            h,
            ctx,
            fuel,
            vars,
            check,
            body,
            slow_blocks,
            fast_entry,
            fast_body,
            fast_slow_blocks: vec![None; n],
            fast: None,
            dispatch,
            wrap,
            exit_at,
            ret,
            mem,
            regions,
            region_of,
            cur: None,
            enters: Vec::new(),
        }
    }

    fn n(&self) -> usize {
        self.program.instrs.len()
    }

    fn emit(&mut self) {
        self.emit_dispatch();
        self.emit_wrap();
        self.emit_exits();
        for i in 0..self.n() {
            self.cur = self.region_of[i];
            self.emit_check(i);
            self.emit_instr(i);
            if let Some(blk) = self.slow_blocks[i] {
                self.b.switch_to_block(blk);
                self.slow(i);
            }
        }
        for (lead, end) in runs(self.program) {
            let Some(entry) = self.fast_entry[lead] else { continue };
            self.cur = self.region_of[lead];
            // fuel >= run length: debit it all and run the bodies without per-instruction checks; else the
            // checked path (which stops exactly where the fuel runs out).
            self.b.switch_to_block(entry);
            let fuel = self.b.use_var(self.fuel);
            let enough = self.b.ins().icmp_imm_s(IntCC::SignedGreaterThanOrEqual, fuel, (end - lead) as i64);
            let debit = self.b.create_block();
            self.b.ins().brif(enough, debit, &[], self.check[lead], &[]);
            self.b.switch_to_block(debit);
            let fuel = self.b.use_var(self.fuel);
            let f = self.b.ins().iadd_imm_s(fuel, -((end - lead) as i64));
            self.b.def_var(self.fuel, f);
            let first = self.fast_body[lead].expect("run bodies exist");
            self.b.ins().jump(first, &[]);
            self.fast = Some(end);
            for i in lead..end {
                self.cur = self.region_of[i];
                let blk = self.fast_body[i].expect("run bodies exist");
                self.b.switch_to_block(blk);
                self.emit_instr(i);
                if let Some(blk) = self.fast_slow_blocks[i] {
                    self.b.switch_to_block(blk);
                    self.slow(i);
                }
            }
            self.fast = None;
        }
        // Entries into regions: load the region's variables, then go on to the target.
        let mut k = 0;
        while let Some(&(target, blk, false, region)) = self.enters.get(k) {
            self.enters[k].2 = true;
            self.cur = region;
            self.b.switch_to_block(blk);
            self.reload(&Slots::All);
            self.b.ins().jump(target, &[]);
            k += 1;
        }
        debug_assert!(self.enters.iter().all(|e| e.2), "entries are created before this loop only");
    }

    /// The block that jumps to `target`, the code of instruction `k`, from outside `k`'s region: `target` itself
    /// when `k` is in no region, else an entry that loads the region's variables first. The caller has left its
    /// own region ([`Self::leave`]).
    fn enter(&mut self, k: usize, target: Block) -> Block {
        if self.region_of[k].is_none() {
            return target;
        }
        if let Some(e) = self.enters.iter().find(|e| e.0 == target) {
            return e.1;
        }
        let blk = self.b.create_block();
        // Filled (with `cur` = the target's region) at the end of `emit`.
        self.enters.push((target, blk, false, self.region_of[k]));
        blk
    }

    /// Jumps to `target`, the code of instruction `k`: directly inside the current region, else leaving it and
    /// entering `k`'s.
    fn jump_to(&mut self, k: usize, target: Block) {
        if self.cur.is_some() && self.cur == self.region_of[k] {
            self.b.ins().jump(target, &[]);
            return;
        }
        self.leave();
        let blk = self.enter(k, target);
        self.b.ins().jump(blk, &[]);
    }

    /// Before an edge out of the current region: writes back the variables inline code may have changed.
    fn leave(&mut self) {
        self.flush(&Slots::All);
    }

    /// In a fast body: gives back the fuel debited for the run's instructions after `i` (before leaving the run
    /// other than by falling through to the next instruction of the run).
    fn refund(&mut self, i: usize) {
        if let Some(end) = self.fast {
            let back = (end - 1 - i) as i64;
            if back > 0 {
                let fuel = self.b.use_var(self.fuel);
                let f = self.b.ins().iadd_imm_s(fuel, back);
                self.b.def_var(self.fuel, f);
            }
        }
    }

    fn f64c(&mut self, v: f64) -> CValue {
        self.b.ins().f64const(v)
    }

    fn i32c(&mut self, v: u32) -> CValue {
        self.b.ins().iconst(types::I32, i64::from(v))
    }

    /// Jump to `check[i]`, or to the wrap block with counter `i` when `i` is outside `[0, n)`.
    fn goto_index(&mut self, i: i64) {
        match usize::try_from(i) {
            Ok(k) if k < self.n() => {
                let target = self.fast_entry[k].unwrap_or(self.check[k]);
                self.jump_to(k, target);
            }
            _ => {
                self.leave();
                let c = self.f64c(i as f64);
                self.b.ins().jump(self.wrap, &[BlockArg::Value(c)]);
            }
        }
    }

    fn goto_next(&mut self, i: usize) {
        if let Some(end) = self.fast
            && i + 1 < end
            && let Some(next) = self.fast_body[i + 1]
        {
            // (A region starts at a jump target, which leads its run: a run enters no region midway.)
            self.jump_to(i + 1, next);
            return;
        }
        self.goto_index(i as i64 + 1);
    }

    /// Leave with `counter = c` and exit code `code`.
    fn exit_with(&mut self, c: f64, code: u32) {
        self.leave();
        let cv = self.f64c(c);
        let code = self.i32c(code);
        self.b.ins().jump(self.exit_at, &[BlockArg::Value(cv), BlockArg::Value(code)]);
    }

    fn emit_dispatch(&mut self) {
        let n = self.n() as f64;
        self.b.switch_to_block(self.dispatch);
        let cptr = self.b.ins().load(self.ptr, self.mem, self.ctx, CTX_COUNTER);
        let c = self.b.ins().load(types::F64, self.mem, cptr, 0);
        let zero = self.f64c(0.0);
        let nv = self.f64c(n);
        let ge0 = self.b.ins().fcmp(FloatCC::GreaterThanOrEqual, c, zero);
        let ltn = self.b.ins().fcmp(FloatCC::LessThan, c, nv);
        let inr = self.b.ins().band(ge0, ltn);
        let in_range = self.b.create_block();
        self.b.ins().brif(inr, in_range, &[], self.wrap, &[BlockArg::Value(c)]);
        self.b.switch_to_block(in_range);
        let k = self.b.ins().fcvt_to_sint_sat(types::I32, c);
        let kf = self.b.ins().fcvt_from_sint(types::F64, k);
        // Bitwise, so that -0.0 (which the interpreter leaves unchanged when it has no fuel) also falls back.
        let kb = self.b.ins().bitcast(types::I64, MemFlagsData::new(), kf);
        let cb = self.b.ins().bitcast(types::I64, MemFlagsData::new(), c);
        let integral = self.b.ins().icmp(IntCC::Equal, kb, cb);
        let table = self.b.create_block();
        let fallback = self.b.create_block();
        self.b.ins().brif(integral, table, &[], fallback, &[]);
        self.b.switch_to_block(fallback);
        let code = self.i32c(exit::FALLBACK);
        self.b.ins().store(self.mem, code, self.ctx, CTX_EXIT);
        self.b.ins().jump(self.ret, &[]);
        self.b.switch_to_block(table);
        let targets: Vec<Block> = (0..self.n()).map(|k| self.enter(k, self.check[k])).collect();
        let calls: Vec<_> = targets.iter().map(|&blk| self.b.func.dfg.block_call(blk, &[])).collect();
        // Never taken (k is in [0, n)); a BlockCall of its own, since SSA construction appends arguments to it.
        let def = self.b.func.dfg.block_call(targets[0], &[]);
        let jt = self.b.create_jump_table(JumpTableData::new(def, &calls));
        self.b.ins().br_table(k, jt);
    }

    fn emit_wrap(&mut self) {
        self.b.switch_to_block(self.wrap);
        let c = self.b.block_params(self.wrap)[0];
        // The interpreter checks fuel before wrapping: with no fuel left the counter stays unwrapped.
        let fuel = self.b.use_var(self.fuel);
        let has_fuel = self.b.create_block();
        let out = self.b.create_block();
        self.b.ins().brif(fuel, has_fuel, &[], out, &[]);
        self.b.switch_to_block(out);
        let code = self.i32c(exit::FUEL);
        self.b.ins().jump(self.exit_at, &[BlockArg::Value(c), BlockArg::Value(code)]);
        self.b.switch_to_block(has_fuel);
        let flag = self.b.ins().uload8(types::I32, self.mem, self.ctx, CTX_STOP_AT_WRAP);
        let stop = self.b.create_block();
        let first = self.fast_entry.first().copied().flatten().unwrap_or(self.check[0]);
        let first = self.enter(0, first);
        self.b.ins().brif(flag, stop, &[], first, &[]);
        self.b.switch_to_block(stop);
        let code = self.i32c(exit::WRAP);
        self.b.ins().jump(self.exit_at, &[BlockArg::Value(c), BlockArg::Value(code)]);
    }

    fn emit_exits(&mut self) {
        self.b.switch_to_block(self.exit_at);
        let c = self.b.block_params(self.exit_at)[0];
        let code = self.b.block_params(self.exit_at)[1];
        let cptr = self.b.ins().load(self.ptr, self.mem, self.ctx, CTX_COUNTER);
        self.b.ins().store(self.mem, c, cptr, 0);
        self.b.ins().store(self.mem, code, self.ctx, CTX_EXIT);
        self.b.ins().jump(self.ret, &[]);
        self.b.switch_to_block(self.ret);
        let fuel = self.b.use_var(self.fuel);
        self.b.ins().return_(&[fuel]);
    }

    fn emit_check(&mut self, i: usize) {
        self.b.switch_to_block(self.check[i]);
        let fuel = self.b.use_var(self.fuel);
        let out = self.b.create_block();
        self.b.ins().brif(fuel, self.body[i], &[], out, &[]);
        self.b.switch_to_block(out);
        self.exit_with(i as f64, exit::FUEL);
        self.b.switch_to_block(self.body[i]);
        let fuel = self.b.use_var(self.fuel);
        let f1 = self.b.ins().iadd_imm_s(fuel, -1);
        self.b.def_var(self.fuel, f1);
    }

    /// Emits the slow path for instruction `i` in the current block.
    fn slow(&mut self, i: usize) {
        self.refund(i);
        // (Outside regions nothing is held in registers: no write-back, no reload.)
        let touch = self.cur.map(|_| cache::touch(self.program, &self.program.instrs[i]));
        if let Some(t) = &touch {
            self.flush(&t.reads);
        }
        let iv = self.i32c(i as u32);
        let call = self.b.ins().call(self.h.slow, &[self.ctx, iv]);
        let r = self.b.inst_results(call)[0];
        let vars = self.b.ins().load(self.ptr, self.mem, self.ctx, CTX_VARS);
        self.b.def_var(self.vars, vars);
        let is_exit = self.b.ins().icmp_imm_s(IntCC::Equal, r, i64::from(slow::EXIT));
        let Some(touch) = touch else {
            // NEXT and DISPATCH both continue through the dispatch block (the interpreter stored the counter): one
            // edge per call site keeps large programs quick to compile; the extra table jump is small next to
            // the call.
            self.b.ins().brif(is_exit, self.ret, &[], self.dispatch, &[]);
            return;
        };
        // In a region: NEXT goes on in the region with the registers of what the instruction wrote reloaded.
        self.reload(&touch.writes);
        let is_next = self.b.ins().icmp_imm_s(IntCC::Equal, r, i64::from(slow::NEXT));
        let (next, other) = (self.b.create_block(), self.b.create_block());
        self.b.ins().brif(is_next, next, &[], other, &[]);
        self.b.switch_to_block(next);
        // Fuel: the slow path's instruction was debited (and `refund` gave back the rest of a fast run).
        self.goto_index(i as i64 + 1);
        self.b.switch_to_block(other);
        self.leave();
        self.b.ins().brif(is_exit, self.ret, &[], self.dispatch, &[]);
    }

    /// The block that runs the slow path for `i` (filled after the instruction's inline code).
    fn slow_block(&mut self, i: usize) -> Block {
        let blocks = if self.fast.is_some() { &mut self.fast_slow_blocks } else { &mut self.slow_blocks };
        if let Some(blk) = blocks[i] {
            return blk;
        }
        let blk = self.b.create_block();
        blocks[i] = Some(blk);
        blk
    }

    /// Continue in a new block if `cond` is false; run the slow path of `i` if it is true.
    fn bail_if(&mut self, cond: CValue, slow_blk: Block) {
        let cont = self.b.create_block();
        self.b.ins().brif(cond, slow_blk, &[], cont, &[]);
        self.b.switch_to_block(cont);
    }

    fn slot_addr(&mut self, s: u32) -> CValue {
        let vars = self.b.use_var(self.vars);
        self.b.ins().iadd_imm_s(vars, i64::from(s) * i64::from(VALUE_SIZE))
    }

    /// The tag of variable slot `s` (i64).
    fn slot_tag(&mut self, s: u32) -> CValue {
        if let Some(c) = self.cached_var(s) {
            return self.b.use_var(c.tag);
        }
        let a = self.slot_addr(s);
        self.b.ins().uload8(types::I64, self.mem, a, 0)
    }

    /// The first payload word of slot `s`, as f64 bits.
    fn slot_raw(&mut self, s: u32) -> CValue {
        if let Some(c) = self.cached_var(s) {
            return self.b.use_var(c.raw);
        }
        let a = self.slot_addr(s);
        self.b.ins().load(types::F64, self.mem, a, NUM_OFFSET)
    }

    /// Sets the tag (i64) and first payload word (f64) of slot `d` (the second word is untouched).
    fn set_slot(&mut self, d: u32, tag: CValue, raw: CValue) {
        if let Some(c) = self.cached_var(d) {
            self.b.def_var(c.tag, tag);
            self.b.def_var(c.raw, raw);
            return;
        }
        let a = self.slot_addr(d);
        self.b.ins().istore8(self.mem, tag, a, 0);
        self.b.ins().store(self.mem, raw, a, NUM_OFFSET);
    }

    /// The registers of slot `s` in the current region.
    fn cached_var(&self, s: u32) -> Option<Cached> {
        let r = self.regions.get(self.cur?)?;
        r.vars.iter().find(|(x, _)| *x == s).map(|(_, c)| *c)
    }

    /// Writes back the registers of the cached variables in `slots` that inline code may have changed.
    fn flush(&mut self, slots: &Slots) {
        let Some(r) = self.cur else { return };
        for k in 0..self.regions[r].vars.len() {
            let (s, c) = self.regions[r].vars[k];
            if !c.written || !slots.contains(s) {
                continue;
            }
            let (t, r) = (self.b.use_var(c.tag), self.b.use_var(c.raw));
            let a = self.slot_addr(s);
            self.b.ins().istore8(self.mem, t, a, 0);
            self.b.ins().store(self.mem, r, a, NUM_OFFSET);
        }
    }

    /// Reloads the registers of the cached variables in `slots` from memory (after the slow path wrote them).
    fn reload(&mut self, slots: &Slots) {
        let Some(r) = self.cur else { return };
        for k in 0..self.regions[r].vars.len() {
            let (s, c) = self.regions[r].vars[k];
            if !slots.contains(s) {
                continue;
            }
            let a = self.slot_addr(s);
            let t = self.b.ins().uload8(types::I64, self.mem, a, 0);
            let r = self.b.ins().load(types::F64, self.mem, a, NUM_OFFSET);
            self.b.def_var(c.tag, t);
            self.b.def_var(c.raw, r);
        }
    }

    /// Reads an operand that inline code supports (`Slot` or `Counter`).
    fn operand(&mut self, i: usize, src: Src) -> Operand {
        match src {
            Src::Slot(s) if let Some(SlotKind::Const(v)) = self.program.slots.get(s as usize).map(|x| &x.kind) => {
                // Constants never change (no `Dst` names them; the state was created from this program).
                let (t, n, r) = (runtime::tag_of(v), v.num(), if let Value::Num(x) = v { *x } else { 0.0 });
                let tag = self.b.ins().iconst(types::I64, t);
                let num = self.f64c(n);
                let raw = self.f64c(r);
                Operand { tag, num, raw }
            }
            Src::Slot(s) => {
                let tag = self.slot_tag(s);
                let raw = self.slot_raw(s);
                let is_num = self.b.ins().icmp_imm_s(IntCC::Equal, tag, TAG_NUM);
                let is_null = self.b.ins().icmp_imm_s(IntCC::Equal, tag, TAG_NULL);
                let zero = self.f64c(0.0);
                let one = self.f64c(1.0);
                let objnum = self.b.ins().select(is_null, zero, one);
                let num = self.b.ins().select(is_num, raw, objnum);
                Operand { tag, num, raw }
            }
            Src::Counter | Src::Global(_) => {
                let tag = self.b.ins().iconst(types::I64, TAG_NUM);
                let v = self.f64c(i as f64 + 1.0);
                Operand { tag, num: v, raw: v }
            }
        }
    }

    /// Emits instruction `i` into the current (body) block.
    fn emit_instr(&mut self, i: usize) {
        let instr = &self.program.instrs[i];
        if !compiled_inline(instr) {
            return self.slow(i);
        }
        match *instr {
            Instr::Noop => self.goto_next(i),
            Instr::End => self.goto_index(self.n() as i64),
            Instr::Set { dst, src } => self.emit_set(i, dst, src),
            Instr::Op { op, dst, a, b } => self.emit_op(i, op, dst, a, b),
            Instr::Select { dst, cond, a, b, x, y } => self.emit_select(i, dst, cond, (a, b), x, y),
            Instr::Jump { target, cond, a, b } => self.emit_jump(i, target, cond, a, b),
            _ => self.slow(i),
        }
    }

    fn emit_set(&mut self, i: usize, dst: Dst, src: Src) {
        match dst {
            Dst::Discard => self.goto_next(i),
            Dst::Slot(d) => {
                let slow_blk = self.slow_block(i);
                let td = self.slot_tag(d);
                let dstr = self.b.ins().icmp_imm_s(IntCC::Equal, td, TAG_STR);
                self.bail_if(dstr, slow_blk);
                self.copy_into(i, d, src, slow_blk);
                self.goto_next(i);
            }
            Dst::Counter => match src {
                Src::Slot(s) => {
                    let slow_blk = self.slow_block(i);
                    let op = self.operand(i, src);
                    let _ = s;
                    let not_num = self.b.ins().icmp_imm_s(IntCC::NotEqual, op.tag, TAG_NUM);
                    self.bail_if(not_num, slow_blk);
                    let cptr = self.b.ins().load(self.ptr, self.mem, self.ctx, CTX_COUNTER);
                    self.b.ins().store(self.mem, op.raw, cptr, 0);
                    self.leave();
                    self.b.ins().jump(self.dispatch, &[]);
                }
                Src::Counter | Src::Global(_) => self.goto_next(i),
            },
        }
    }

    /// Stores a numeric result with `setnum` (NaN/∞ ⇒ null) and continues.
    fn store_num(&mut self, i: usize, dst: Dst, r: CValue) {
        let abs = self.b.ins().fabs(r);
        let inf = self.f64c(f64::INFINITY);
        let finite = self.b.ins().fcmp(FloatCC::LessThan, abs, inf);
        match dst {
            Dst::Discard => self.goto_next(i),
            Dst::Slot(d) => {
                let num = self.b.ins().iconst(types::I64, TAG_NUM);
                let null = self.b.ins().iconst(types::I64, TAG_NULL);
                let t = self.b.ins().select(finite, num, null);
                self.set_slot(d, t, r);
                self.goto_next(i);
            }
            Dst::Counter => {
                let jump = self.b.create_block();
                let cont = self.b.create_block();
                self.b.ins().brif(finite, jump, &[], cont, &[]);
                self.b.switch_to_block(jump);
                let cptr = self.b.ins().load(self.ptr, self.mem, self.ctx, CTX_COUNTER);
                self.b.ins().store(self.mem, r, cptr, 0);
                self.leave();
                self.b.ins().jump(self.dispatch, &[]);
                self.b.switch_to_block(cont);
                self.goto_next(i);
            }
        }
    }

    fn bool_to_num(&mut self, c: CValue) -> CValue {
        let one = self.f64c(1.0);
        let zero = self.f64c(0.0);
        self.b.ins().select(c, one, zero)
    }

    fn long_of(&mut self, x: CValue) -> CValue {
        self.b.ins().fcvt_to_sint_sat(types::I64, x)
    }

    fn emit_op(&mut self, i: usize, op: OpKind, dst: Dst, a: Src, b: Src) {
        let slow_blk = self.slow_block(i);
        if let Dst::Slot(d) = dst {
            let td = self.slot_tag(d);
            let dstr = self.b.ins().icmp_imm_s(IntCC::Equal, td, TAG_STR);
            self.bail_if(dstr, slow_blk);
        }
        let x = self.operand(i, a);
        let y = if op.is_unary() { x } else { self.operand(i, b) };
        let (xa, yb) = (x.num, y.num);
        let r = match op {
            OpKind::Add => self.b.ins().fadd(xa, yb),
            OpKind::Sub => self.b.ins().fsub(xa, yb),
            OpKind::Mul => self.b.ins().fmul(xa, yb),
            OpKind::Div => self.b.ins().fdiv(xa, yb),
            OpKind::Idiv => {
                let q = self.b.ins().fdiv(xa, yb);
                self.b.ins().floor(q)
            }
            OpKind::Mod => self.fmod(xa, yb),
            OpKind::Equal | OpKind::NotEqual => {
                let xo = self.b.ins().icmp_imm_s(IntCC::NotEqual, x.tag, TAG_NUM);
                let yo = self.b.ins().icmp_imm_s(IntCC::NotEqual, y.tag, TAG_NUM);
                let both = self.b.ins().band(xo, yo);
                self.bail_if(both, slow_blk);
                let c = self.num_equal(xa, yb);
                let c = if op == OpKind::NotEqual { self.b.ins().bxor_imm_s(c, 1) } else { c };
                self.bool_to_num(c)
            }
            OpKind::StrictEqual => {
                let c = self.strict_equal(x, y, slow_blk);
                self.bool_to_num(c)
            }
            OpKind::Land => {
                let zero = self.f64c(0.0);
                let xn = self.b.ins().fcmp(FloatCC::NotEqual, xa, zero);
                let yn = self.b.ins().fcmp(FloatCC::NotEqual, yb, zero);
                let c = self.b.ins().band(xn, yn);
                self.bool_to_num(c)
            }
            OpKind::LessThan | OpKind::LessThanEq | OpKind::GreaterThan | OpKind::GreaterThanEq => {
                let cc = float_cc(op);
                let c = self.b.ins().fcmp(cc, xa, yb);
                self.bool_to_num(c)
            }
            OpKind::Shl | OpKind::Shr | OpKind::Ushr | OpKind::Or | OpKind::And | OpKind::Xor => {
                let p = self.long_of(xa);
                let q = self.long_of(yb);
                let r = match op {
                    OpKind::Shl => self.b.ins().ishl(p, q),
                    OpKind::Shr => self.b.ins().sshr(p, q),
                    OpKind::Ushr => self.b.ins().ushr(p, q),
                    OpKind::Or => self.b.ins().bor(p, q),
                    OpKind::And => self.b.ins().band(p, q),
                    _ => self.b.ins().bxor(p, q),
                };
                self.b.ins().fcvt_from_sint(types::F64, r)
            }
            OpKind::Not => {
                let p = self.long_of(xa);
                let r = self.b.ins().bnot(p);
                self.b.ins().fcvt_from_sint(types::F64, r)
            }
            OpKind::Abs => self.b.ins().fabs(xa),
            OpKind::Floor => self.b.ins().floor(xa),
            OpKind::Ceil => self.b.ins().ceil(xa),
            OpKind::Sqrt => self.b.ins().sqrt(xa),
            _ => {
                // Everything else through the interpreter's own arithmetic (emit_instr checked the index).
                let k = runtime::op_index(op).unwrap_or(u32::MAX);
                let kv = self.i32c(k);
                let call = self.b.ins().call(self.h.num_op, &[self.ctx, kv, xa, yb]);
                self.b.inst_results(call)[0]
            }
        };
        self.store_num(i, dst, r)
    }

    /// Java `%` on doubles: integer remainder when both are integers below 2^53 in magnitude and `b != 0` (exact
    /// there, with the sign of `a`, also for a zero result), else the `fmod` helper.
    fn fmod(&mut self, a: CValue, b: CValue) -> CValue {
        let limit = self.f64c(9_007_199_254_740_992.0);
        let (fa, fb) = (self.b.ins().fabs(a), self.b.ins().fabs(b));
        let a_small = self.b.ins().fcmp(FloatCC::LessThan, fa, limit);
        let b_small = self.b.ins().fcmp(FloatCC::LessThan, fb, limit);
        let (ta, tb) = (self.b.ins().trunc(a), self.b.ins().trunc(b));
        let a_int = self.b.ins().fcmp(FloatCC::Equal, ta, a);
        let b_int = self.b.ins().fcmp(FloatCC::Equal, tb, b);
        let zero = self.f64c(0.0);
        let b_nonzero = self.b.ins().fcmp(FloatCC::NotEqual, b, zero);
        let ok = self.b.ins().band(a_small, b_small);
        let ok = self.b.ins().band(ok, a_int);
        let ok = self.b.ins().band(ok, b_int);
        let ok = self.b.ins().band(ok, b_nonzero);
        let (int_blk, call_blk, done) = (self.b.create_block(), self.b.create_block(), self.b.create_block());
        self.b.append_block_param(done, types::F64);
        self.b.ins().brif(ok, int_blk, &[], call_blk, &[]);
        self.b.switch_to_block(int_blk);
        let ia = self.b.ins().fcvt_to_sint_sat(types::I64, a);
        let ib = self.b.ins().fcvt_to_sint_sat(types::I64, b);
        let r = self.b.ins().srem(ia, ib);
        let rf = self.b.ins().fcvt_from_sint(types::F64, r);
        let rf = self.b.ins().fcopysign(rf, a);
        self.b.ins().jump(done, &[BlockArg::Value(rf)]);
        self.b.switch_to_block(call_blk);
        let call = self.b.ins().call(self.h.fmod, &[a, b]);
        let r = self.b.inst_results(call)[0];
        self.b.ins().jump(done, &[BlockArg::Value(r)]);
        self.b.switch_to_block(done);
        self.b.block_params(done)[0]
    }

    /// `|a - b| < 1e-6` (the game's numeric equality).
    fn num_equal(&mut self, a: CValue, b: CValue) -> CValue {
        let d = self.b.ins().fsub(a, b);
        let d = self.b.ins().fabs(d);
        let eps = self.f64c(0.000001);
        self.b.ins().fcmp(FloatCC::LessThan, d, eps)
    }

    /// `strictEqual` for the cases without two objects (those go to the slow path).
    fn strict_equal(&mut self, x: Operand, y: Operand, slow_blk: Block) -> CValue {
        let xo = self.b.ins().icmp_imm_s(IntCC::NotEqual, x.tag, TAG_NUM);
        let yo = self.b.ins().icmp_imm_s(IntCC::NotEqual, y.tag, TAG_NUM);
        let both = self.b.ins().band(xo, yo);
        self.bail_if(both, slow_blk);
        let same_kind = self.b.ins().icmp(IntCC::Equal, xo, yo);
        let eq = self.b.ins().fcmp(FloatCC::Equal, x.raw, y.raw);
        self.b.ins().band(same_kind, eq)
    }

    /// A `jump`/`select` condition as an `i8` boolean; two objects under `equal`-like conditions go to `slow_blk`.
    fn condition(&mut self, i: usize, cond: Cond, a: Src, b: Src, slow_blk: Block) -> CValue {
        if cond == Cond::Always {
            return self.b.ins().iconst(types::I8, 1);
        }
        let x = self.operand(i, a);
        let y = self.operand(i, b);
        match cond {
            Cond::Equal | Cond::NotEqual => {
                let xo = self.b.ins().icmp_imm_s(IntCC::NotEqual, x.tag, TAG_NUM);
                let yo = self.b.ins().icmp_imm_s(IntCC::NotEqual, y.tag, TAG_NUM);
                let both = self.b.ins().band(xo, yo);
                self.bail_if(both, slow_blk);
                let c = self.num_equal(x.num, y.num);
                if cond == Cond::NotEqual { self.b.ins().bxor_imm_s(c, 1) } else { c }
            }
            Cond::StrictEqual => self.strict_equal(x, y, slow_blk),
            Cond::LessThan => self.b.ins().fcmp(FloatCC::LessThan, x.num, y.num),
            Cond::LessThanEq => self.b.ins().fcmp(FloatCC::LessThanOrEqual, x.num, y.num),
            Cond::GreaterThan => self.b.ins().fcmp(FloatCC::GreaterThan, x.num, y.num),
            Cond::GreaterThanEq => self.b.ins().fcmp(FloatCC::GreaterThanOrEqual, x.num, y.num),
            Cond::Always => unreachable!("handled above"),
        }
    }

    /// `select dst cond a b x y` into a variable slot: the chosen operand is copied like `set`.
    fn emit_select(&mut self, i: usize, dst: Dst, cond: Cond, ab: (Src, Src), x: Src, y: Src) {
        let Dst::Slot(d) = dst else {
            // Discard: the condition has no side effects. A counter destination is rare: slow path.
            return if dst == Dst::Discard { self.goto_next(i) } else { self.slow(i) };
        };
        let slow_blk = self.slow_block(i);
        let td = self.slot_tag(d);
        let dstr = self.b.ins().icmp_imm_s(IntCC::Equal, td, TAG_STR);
        self.bail_if(dstr, slow_blk);
        let c = self.condition(i, cond, ab.0, ab.1, slow_blk);
        let (px, py) = (self.b.create_block(), self.b.create_block());
        self.b.ins().brif(c, px, &[], py, &[]);
        for (blk, src) in [(px, x), (py, y)] {
            self.b.switch_to_block(blk);
            self.copy_into(i, d, src, slow_blk);
            self.goto_next(i);
        }
    }

    /// Copies `src` into variable slot `d` (whose tag is known not to be a string); a string source goes to
    /// `slow_blk` before anything is written.
    fn copy_into(&mut self, i: usize, d: u32, src: Src, slow_blk: Block) {
        match src {
            Src::Slot(s) => {
                let ts = self.slot_tag(s);
                let sstr = self.b.ins().icmp_imm_s(IntCC::Equal, ts, TAG_STR);
                self.bail_if(sstr, slow_blk);
                if s != d {
                    // The payload's second word (objects only) always lives in memory.
                    let sa = self.slot_addr(s);
                    let w = self.b.ins().load(types::I64, self.mem, sa, NUM_OFFSET + 8);
                    let da = self.slot_addr(d);
                    self.b.ins().store(self.mem, w, da, NUM_OFFSET + 8);
                    let raw = self.slot_raw(s);
                    self.set_slot(d, ts, raw);
                }
            }
            Src::Counter | Src::Global(_) => {
                // (Globals never reach here: `emit_instr` sends them to the slow path.)
                let v = self.f64c(i as f64 + 1.0);
                let t = self.b.ins().iconst(types::I64, TAG_NUM);
                self.set_slot(d, t, v);
            }
        }
    }

    fn emit_jump(&mut self, i: usize, target: i32, cond: Cond, a: Src, b: Src) {
        if target == -1 {
            // Never fires; operands are plain reads without side effects.
            return self.goto_next(i);
        }
        let taken = self.b.create_block();
        if cond == Cond::Always {
            self.b.ins().jump(taken, &[]);
        } else {
            let slow_blk = self.slow_block(i);
            let c = self.condition(i, cond, a, b, slow_blk);
            let not_taken = self.b.create_block();
            self.b.ins().brif(c, taken, &[], not_taken, &[]);
            self.b.switch_to_block(not_taken);
            self.goto_next(i);
        }
        self.b.switch_to_block(taken);
        self.refund(i);
        if usize::try_from(target).ok() == Some(i) {
            // A taken self-jump: stop here when the run asked for it.
            let flag = self.b.ins().uload8(types::I32, self.mem, self.ctx, CTX_STOP_AT_SELFLOOP);
            let stop = self.b.create_block();
            self.b.ins().brif(flag, stop, &[], self.check[i], &[]);
            self.b.switch_to_block(stop);
            self.exit_with(i as f64, exit::SELF_LOOP);
        } else {
            self.goto_index(i64::from(target));
        }
    }
}

/// Whether `emit_instr` compiles `instr` inline (possibly with a slow path for some operand values).
fn compiled_inline(instr: &Instr) -> bool {
    let global = |s: &Src| matches!(s, Src::Global(_));
    match instr {
        Instr::Noop | Instr::End => true,
        Instr::Set { src, .. } => !global(src),
        Instr::Op { op, a, b, .. } => runtime::op_index(*op).is_some() && !global(a) && !global(b),
        Instr::Select { a, b, x, y, .. } => ![a, b, x, y].into_iter().any(global),
        Instr::Jump { a, b, .. } => !global(a) && !global(b),
        _ => false,
    }
}

/// Whether inline code for `instr` may write variable slot `s`.
fn writes_slot(instr: &Instr, s: Slot) -> bool {
    match *instr {
        Instr::Set { dst, .. } | Instr::Op { dst, .. } | Instr::Select { dst, .. } => dst == Dst::Slot(s),
        _ => false,
    }
}

/// Straight-line runs `[lead, end)` that may debit their fuel at once. Leaders are instruction 0, jump targets
/// and the instruction after one that ends a run; a run goes on while its instructions can only fall through to
/// the next one or leave by a conditional jump (which gives back the fuel of the rest of the run when taken):
/// `noop`, `set`/`op`/`select` into a variable or discarded, conditional jumps. Everything else (unconditional
/// jumps, `end`, counter writes, instructions run by the slow path) ends its run. Every instruction is in
/// exactly one run.
fn runs(program: &Program) -> Vec<(usize, usize)> {
    let n = program.instrs.len();
    let goes_on = |i: usize| {
        let instr = &program.instrs[i];
        compiled_inline(instr)
            && match *instr {
                Instr::Noop => true,
                Instr::Set { dst, .. } | Instr::Op { dst, .. } | Instr::Select { dst, .. } => dst != Dst::Counter,
                Instr::Jump { cond, .. } => cond != Cond::Always,
                _ => false,
            }
    };
    let mut leader = vec![false; n];
    if let Some(first) = leader.first_mut() {
        *first = true;
    }
    for (i, instr) in program.instrs.iter().enumerate() {
        if let Instr::Jump { target, .. } = *instr
            && let Some(t) = usize::try_from(target).ok().filter(|&t| t < n)
        {
            leader[t] = true;
        }
        if !goes_on(i) && i + 1 < n {
            leader[i + 1] = true;
        }
    }
    let mut out = Vec::new();
    let mut lead = 0;
    for (i, _) in leader.iter().enumerate().skip(1).filter(|(_, l)| **l) {
        out.push((lead, i));
        lead = i;
    }
    if n > 0 {
        out.push((lead, n));
    }
    out
}

fn float_cc(op: OpKind) -> FloatCC {
    match op {
        OpKind::LessThan => FloatCC::LessThan,
        OpKind::LessThanEq => FloatCC::LessThanOrEqual,
        OpKind::GreaterThan => FloatCC::GreaterThan,
        _ => FloatCC::GreaterThanOrEqual,
    }
}
