//! mlog text → [`Program`]: tokenizer, labels, statement building and operand resolution, per build.
//!
//! Owns: the game's parsing rules (`mlog.md` §1): statement/token separators, comments, strings and escapes,
//! the 16-token and 500-label limits, the 1000-instruction cap, labels, numeric literal grammar (Arc's
//! `Strings.parseDouble` re-implemented, including its non-IEEE rounding and the build-154 quirks), legacy
//! rewrites, unknown/malformed statements as `noop`, privileged opcodes as `noop` in normal processors, missing
//! arguments taking the statement's default text, and operand resolution (globals, strings, numbers, links,
//! per-processor names, variables).
//! Does not own: execution.
//!
//! Errors: [`parse`] returns `Err` for what the game treats as an assembler exception; the game then loads an
//! *empty* program, which is what [`parse_or_empty`] does. Never panics on any input.

use std::collections::HashMap;
use std::sync::Arc;

use crate::content::{ContentTable, global_constant};
use crate::ir::{
    Build, ClientVarIds, Cond, Dst, GlobalVar, HostInstr, HostOp, Instr, MAX_INSTRUCTIONS, OpKind, Program, Slot,
    SlotInfo, SlotKind, Special, Src,
};
use crate::value::{ContentKind, Value};

/// At most this many tokens per statement.
pub const MAX_TOKENS: usize = 16;
/// At most this many labels.
pub const MAX_LABELS: usize = 500;

/// Options of one parse.
#[derive(Debug, Clone, Copy)]
pub struct ParseOptions<'a> {
    /// Semantics of which build.
    pub build: Build,
    /// World processor: privileged instructions allowed.
    pub privileged: bool,
    /// Linked building names in link order (`message1`, `cell1`, ...): they become constants.
    pub links: &'a [String],
    /// Content names for `@copper`-style constants and `lookup`.
    pub content: &'a Arc<ContentTable>,
    /// Recognise Mindcode's test instructions (`assertequals`, `assertflush`, `assertprints`); in the game
    /// they are unknown instructions (noops).
    pub test_instructions: bool,
}

impl<'a> ParseOptions<'a> {
    /// Options for game code (Mindcode's test instructions are unknown instructions, as in the game).
    #[must_use]
    pub fn new(build: Build, privileged: bool, links: &'a [String], content: &'a Arc<ContentTable>) -> Self {
        Self { build, privileged, links, content, test_instructions: false }
    }
}

/// An assembler error (the game then runs nothing).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ParseError {
    /// 1-based source line.
    pub line: usize,
    /// What went wrong.
    pub message: String,
}

/// Parses, or returns the empty program on an assembler error (the game's behaviour), with the error.
#[must_use]
pub fn parse_or_empty(src: &str, opts: &ParseOptions<'_>) -> (Program, Option<ParseError>) {
    match parse(src, opts) {
        Ok(p) => (p, None),
        Err(e) => {
            let mut p = Program::empty(opts.build);
            p.privileged = opts.privileged;
            p.content = Arc::clone(opts.content);
            (p, Some(e))
        }
    }
}

/// One statement's tokens plus the source line it started on.
struct Stmt {
    tokens: Vec<String>,
    line: usize,
}

enum Item {
    Label(String),
    Stmt(Stmt),
}

/// Tokenizer state.
struct Lexer<'s> {
    chars: Vec<char>,
    pos: usize,
    line: usize,
    build: Build,
    src: std::marker::PhantomData<&'s str>,
}

fn err(line: usize, message: impl Into<String>) -> ParseError {
    ParseError { line, message: message.into() }
}

impl Lexer<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    /// A plain token: up to space/tab/`#`/`;`/newline.
    fn token(&mut self) -> String {
        let from = self.pos;
        while let Some(c) = self.peek() {
            if c == '\n' || c == ' ' || c == '\t' || c == '#' || c == ';' {
                break;
            }
            self.pos += 1;
        }
        self.chars[from..self.pos].iter().collect()
    }

    /// A string token starting at `"`; includes the quotes.
    fn string(&mut self) -> Result<String, ParseError> {
        let from = self.pos;
        let mut escaped = false;
        let mut p = self.pos + 1;
        while let Some(&c) = self.chars.get(p) {
            if c == '\n' {
                break;
            }
            if c == '"' && !escaped {
                self.pos = p + 1;
                return Ok(self.chars[from..self.pos].iter().collect());
            }
            escaped = c == '\\' && !escaped;
            p += 1;
        }
        match self.build {
            // Build 154: an unterminated string falls back to a plain token.
            Build::B154 => {
                self.pos = from;
                Ok(self.token())
            }
            Build::B159 => Err(err(self.line, "unterminated string")),
        }
    }

    /// Reads all statements and labels (stopping after `MAX_INSTRUCTIONS` statements).
    fn items(&mut self) -> Result<Vec<Item>, ParseError> {
        let mut items = Vec::new();
        let mut count = 0usize;
        while self.pos < self.chars.len() && count < MAX_INSTRUCTIONS {
            match self.chars[self.pos] {
                '\n' => {
                    self.line += 1;
                    self.pos += 1;
                }
                ';' | ' ' | '\t' => self.pos += 1,
                // b154 skips "\r\n" at a statement start; master normalised \r to \n beforehand.
                '\r' if self.build == Build::B154 => {
                    self.pos += 2;
                    self.line += 1;
                }
                _ => {
                    let line = self.line;
                    let tokens = self.statement()?;
                    if tokens.is_empty() {
                        continue;
                    }
                    if tokens.len() == 1 && tokens[0].ends_with(':') {
                        let mut name = tokens.into_iter().next().unwrap_or_default();
                        name.pop();
                        items.push(Item::Label(name));
                    } else {
                        items.push(Item::Stmt(Stmt { tokens, line }));
                        count += 1;
                    }
                }
            }
        }
        Ok(items)
    }

    fn statement(&mut self) -> Result<Vec<String>, ParseError> {
        let mut tokens = Vec::new();
        let mut expect_space = false;
        while let Some(c) = self.peek() {
            if c == '\n' || c == ';' {
                break;
            }
            if tokens.len() >= MAX_TOKENS {
                return Err(err(self.line, format!("line too long; at most {MAX_TOKENS} tokens")));
            }
            if expect_space && c != ' ' && c != '#' && c != '\t' {
                return Err(err(self.line, "expected space after string/token"));
            }
            expect_space = false;
            if c == '#' {
                while let Some(c) = self.peek() {
                    if c == '\n' {
                        break;
                    }
                    self.pos += 1;
                }
                break;
            } else if c == '"' {
                tokens.push(self.string()?);
                expect_space = true;
            } else if c != ' ' && c != '\t' {
                let t = self.token();
                if self.build == Build::B159 && t.contains('"') {
                    return Err(err(self.line, "expected space after string/token"));
                }
                tokens.push(t);
                expect_space = true;
            } else {
                self.pos += 1;
            }
        }
        Ok(tokens)
    }
}

fn lex(src: &str, build: Build) -> Result<Vec<Item>, ParseError> {
    let text: Vec<char> = match build {
        Build::B159 => src.replace("\r\n", "\n").replace('\r', "\n").chars().collect(),
        Build::B154 => src.chars().collect(),
    };
    let mut lexer = Lexer { chars: text, pos: 0, line: 1, build, src: std::marker::PhantomData };
    lexer.items()
}

/// The statements' tokens as the lexer reads them (labels dropped, nothing rewritten), for
/// [`crate::javaids`].
pub(crate) fn statement_tokens(src: &str, build: Build) -> Result<Vec<Vec<String>>, ParseError> {
    Ok(lex(src, build)?
        .into_iter()
        .filter_map(|item| match item {
            Item::Stmt(st) => Some(st.tokens),
            Item::Label(_) => None,
        })
        .collect())
}

/// Parses `src` into a program. `Err` = the game's assembler exception (see [`parse_or_empty`]).
pub fn parse(src: &str, opts: &ParseOptions<'_>) -> Result<Program, ParseError> {
    let mut program = parse_unannotated(src, opts)?;
    crate::javaids::annotate(&mut program, src, opts);
    Ok(program)
}

/// [`parse`] without the client ids of `sync` (what [`crate::javaids`] itself uses).
pub(crate) fn parse_unannotated(src: &str, opts: &ParseOptions<'_>) -> Result<Program, ParseError> {
    let items = lex(src, opts.build)?;

    // Labels → instruction indices.
    let mut labels: HashMap<String, i32> = HashMap::new();
    let mut index = 0i32;
    for item in &items {
        match item {
            Item::Label(name) => {
                if labels.len() >= MAX_LABELS && !labels.contains_key(name) {
                    return Err(err(0, format!("too many labels; at most {MAX_LABELS}")));
                }
                if labels.insert(name.clone(), index).is_some() && opts.build == Build::B159 {
                    return Err(err(0, format!("duplicate label \"{name}\"")));
                }
            }
            Item::Stmt(_) => index += 1,
        }
    }

    let mut b = Builder::new(opts);
    for item in &items {
        if let Item::Stmt(st) = item {
            let instr = b.statement(st, &labels)?;
            b.instrs.push(instr);
        }
    }
    Ok(b.finish())
}

struct Builder<'a> {
    opts: &'a ParseOptions<'a>,
    slots: Vec<SlotInfo>,
    by_name: HashMap<String, Slot>,
    instrs: Vec<Instr>,
    unit_slot: Option<Slot>,
    strings: HashMap<String, Arc<str>>,
}

impl<'a> Builder<'a> {
    fn new(opts: &'a ParseOptions<'a>) -> Self {
        let mut b = Self {
            opts,
            slots: Vec::new(),
            by_name: HashMap::new(),
            instrs: Vec::new(),
            unit_slot: None,
            strings: HashMap::new(),
        };
        for (i, name) in opts.links.iter().enumerate() {
            let i = u32::try_from(i).unwrap_or(u32::MAX);
            b.add_slot(name.clone(), SlotKind::Link(i));
        }
        b
    }

    fn finish(self) -> Program {
        Program {
            instrs: self.instrs,
            slots: self.slots,
            build: self.opts.build,
            privileged: self.opts.privileged,
            links: self.opts.links.to_vec(),
            unit_slot: self.unit_slot,
            content: Arc::clone(self.opts.content),
        }
    }

    fn add_slot(&mut self, name: String, kind: SlotKind) -> Slot {
        if let Some(s) = self.by_name.get(&name) {
            return *s;
        }
        let id = Slot::try_from(self.slots.len()).unwrap_or(Slot::MAX);
        self.by_name.insert(name.clone(), id);
        self.slots.push(SlotInfo { name, kind });
        id
    }

    /// Resolves an operand token for reading.
    fn src(&mut self, token: &str) -> Src {
        match token {
            "@counter" => return Src::Counter,
            "@time" => return Src::Global(GlobalVar::Time),
            "@tick" => return Src::Global(GlobalVar::Tick),
            "@second" => return Src::Global(GlobalVar::Second),
            "@minute" => return Src::Global(GlobalVar::Minute),
            "@waveNumber" => return Src::Global(GlobalVar::WaveNumber),
            "@waveTime" => return Src::Global(GlobalVar::WaveTime),
            "@mapw" => return Src::Global(GlobalVar::MapW),
            "@maph" => return Src::Global(GlobalVar::MapH),
            "@server" => return Src::Global(GlobalVar::Server),
            "@client" => return Src::Global(GlobalVar::Client),
            _ => {}
        }
        Src::Slot(self.slot(token))
    }

    /// Resolves an operand token for writing.
    fn dst(&mut self, token: &str) -> Dst {
        match self.src(token) {
            Src::Counter => Dst::Counter,
            Src::Global(_) => Dst::Discard,
            Src::Slot(s) => {
                if matches!(self.slots[s as usize].kind, SlotKind::Var) {
                    Dst::Slot(s)
                } else {
                    Dst::Discard
                }
            }
        }
    }

    fn slot(&mut self, token: &str) -> Slot {
        if let Some(s) = self.by_name.get(token) {
            return *s;
        }
        let special = match token {
            "@this" => Some(SlotKind::Special(Special::This)),
            "@thisx" => Some(SlotKind::Special(Special::ThisX)),
            "@thisy" => Some(SlotKind::Special(Special::ThisY)),
            "@links" => Some(SlotKind::Special(Special::Links)),
            "@ipt" => Some(SlotKind::Special(Special::Ipt)),
            "@unit" => Some(SlotKind::Unit),
            _ => None,
        };
        if let Some(kind) = special {
            let s = self.add_slot(token.to_string(), kind);
            if token == "@unit" {
                self.unit_slot = Some(s);
            }
            return s;
        }
        if let Some(v) = global_constant(token, self.opts.content) {
            return self.add_slot(token.to_string(), SlotKind::Const(v));
        }
        let trimmed = match self.opts.build {
            Build::B154 => token.trim(),
            Build::B159 => token,
        };
        if trimmed.len() >= 2 && trimmed.starts_with('"') && trimmed.ends_with('"') {
            let body = &trimmed[1..trimmed.len() - 1];
            let text = match self.opts.build {
                Build::B154 => body.replace("\\n", "\n"),
                Build::B159 => unescape(body),
            };
            let s: Arc<str> = self.strings.entry(text.clone()).or_insert_with(|| text.into()).clone();
            return self.add_slot(trimmed.to_string(), SlotKind::Const(Value::Str(s)));
        }
        if let Some(v) = parse_number(trimmed, self.opts.build) {
            let v = if v.is_finite() { v } else { 0.0 };
            return self.add_slot(trimmed.to_string(), SlotKind::Const(Value::Num(v)));
        }
        if trimmed != token
            && let Some(s) = self.by_name.get(trimmed)
        {
            return *s;
        }
        self.add_slot(trimmed.to_string(), SlotKind::Var)
    }

    /// Field `i` of the statement (after the opcode), or its default.
    fn field<'t>(tokens: &'t [String], i: usize, default: &'t str) -> &'t str {
        tokens.get(i + 1).map_or(default, String::as_str)
    }

    fn statement(&mut self, st: &Stmt, labels: &HashMap<String, i32>) -> Result<Instr, ParseError> {
        let mut toks: Vec<String> = st.tokens.clone();
        // Legacy rewrites.
        if toks[0] == "op"
            && let Some(t) = toks.get_mut(1)
        {
            if t == "atan2" {
                *t = "angle".into();
            } else if t == "dst" {
                *t = "len".into();
            }
        }
        for t in toks.iter_mut().skip(1) {
            if t == "@configure" {
                *t = "@config".into();
            } else if t == "configure" {
                *t = "config".into();
            }
        }
        let t = &toks;
        let op = t[0].as_str();
        let fi = |b: &mut Self, i: usize, d: &str| -> Src {
            let s = Self::field(t, i, d).to_string();
            b.src(&s)
        };
        let instr = match op {
            "noop" => Instr::Noop,
            "set" => {
                let dst = self.dst(Self::field(t, 0, "result"));
                Instr::Set { dst, src: fi(self, 1, "0") }
            }
            "op" => {
                let Some(kind) = OpKind::parse(Self::field(t, 0, "add")) else { return Ok(Instr::Noop) };
                let dst = self.dst(Self::field(t, 1, "result"));
                Instr::Op { op: kind, dst, a: fi(self, 2, "a"), b: fi(self, 3, "b") }
            }
            "select" => {
                let dst = self.dst(Self::field(t, 0, "result"));
                let Some(cond) = Cond::parse(Self::field(t, 1, "notEqual")) else { return Ok(Instr::Noop) };
                Instr::Select {
                    dst,
                    cond,
                    a: fi(self, 2, "x"),
                    b: fi(self, 3, "false"),
                    x: fi(self, 4, "a"),
                    y: fi(self, 5, "b"),
                }
            }
            "jump" => {
                let dest = Self::field(t, 0, "-1");
                let target = match java_parse_int(dest) {
                    Some(i) => i,
                    None => match labels.get(dest) {
                        Some(i) => *i,
                        None => return Err(err(st.line, format!("undefined jump location \"{dest}\""))),
                    },
                };
                let Some(cond) = Cond::parse(Self::field(t, 1, "notEqual")) else { return Ok(Instr::Noop) };
                Instr::Jump { target, cond, a: fi(self, 2, "x"), b: fi(self, 3, "false") }
            }
            "end" => Instr::End,
            "stop" => Instr::Stop,
            "wait" => Instr::Wait { secs: fi(self, 0, "0.5") },
            "print" => Instr::Print { value: fi(self, 0, "\"frog\"") },
            "printchar" => Instr::PrintChar { value: fi(self, 0, "65") },
            "format" => Instr::Format { value: fi(self, 0, "\"frog\"") },
            "printflush" => Instr::PrintFlush { target: fi(self, 0, "message1") },
            "draw" => {
                let cmd = Self::field(t, 0, "clear").to_string();
                let args = [
                    fi(self, 1, "0"),
                    fi(self, 2, "0"),
                    fi(self, 3, "0"),
                    fi(self, 4, "0"),
                    fi(self, 5, "0"),
                    fi(self, 6, "0"),
                ];
                Instr::Draw { cmd, args }
            }
            "drawflush" => Instr::DrawFlush { target: fi(self, 0, "display1") },
            "packcolor" => {
                let dst = self.dst(Self::field(t, 0, "result"));
                Instr::PackColor { dst, rgba: [fi(self, 1, "1"), fi(self, 2, "0"), fi(self, 3, "0"), fi(self, 4, "1")] }
            }
            "unpackcolor" => {
                let rgba = [
                    self.dst(Self::field(t, 0, "r")),
                    self.dst(Self::field(t, 1, "g")),
                    self.dst(Self::field(t, 2, "b")),
                    self.dst(Self::field(t, 3, "a")),
                ];
                Instr::UnpackColor { rgba, value: fi(self, 4, "color") }
            }
            "lookup" => {
                let Some(kind) = ContentKind::parse(Self::field(t, 0, "item")) else { return Ok(Instr::Noop) };
                let dst = self.dst(Self::field(t, 1, "result"));
                Instr::Lookup { kind, dst, id: fi(self, 2, "0") }
            }
            "read" => {
                let dst = self.dst(Self::field(t, 0, "result"));
                Instr::Read { dst, target: fi(self, 1, "cell1"), index: fi(self, 2, "0") }
            }
            "write" => {
                Instr::Write { value: fi(self, 0, "result"), target: fi(self, 1, "cell1"), index: fi(self, 2, "0") }
            }
            "getlink" => {
                let dst = self.dst(Self::field(t, 0, "result"));
                Instr::GetLink { dst, index: fi(self, 1, "0") }
            }
            "sensor" => {
                let dst = self.dst(Self::field(t, 0, "result"));
                Instr::Sensor { dst, target: fi(self, 1, "block1"), prop: fi(self, 2, "@copper") }
            }
            "setrate" => {
                if !self.opts.privileged {
                    return Ok(Instr::Noop);
                }
                Instr::SetRate { ipt: fi(self, 0, "10") }
            }
            "assertequals" if self.opts.test_instructions => Instr::AssertEquals {
                expected: fi(self, 0, "0"),
                actual: fi(self, 1, "0"),
                message: fi(self, 2, "\"\""),
            },
            "assertflush" if self.opts.test_instructions => {
                Instr::AssertFlush { mark: self.dst(Self::field(t, 0, "mark")) }
            }
            "assertprints" if self.opts.test_instructions => Instr::AssertPrints {
                mark: fi(self, 0, "mark"),
                expected: fi(self, 1, "\"\""),
                message: fi(self, 2, "\"\""),
            },
            _ => match HostOp::parse(op) {
                Some(h) => {
                    if h.privileged() && !self.opts.privileged {
                        return Ok(Instr::Noop);
                    }
                    self.host_instr(h, t)
                }
                None => Instr::Noop,
            },
        };
        Ok(instr)
    }

    /// Builds a host instruction from its layout (mode tokens, value operands, output positions).
    fn host_instr(&mut self, op: HostOp, t: &[String]) -> Instr {
        let (mode_defaults, arg_defaults, outputs) = host_layout(op, t.get(1).map(String::as_str));
        let nmodes = mode_defaults.len();
        let modes: Vec<String> =
            mode_defaults.iter().enumerate().map(|(i, d)| Self::field(t, i, d).to_string()).collect();
        let mut args = Vec::with_capacity(arg_defaults.len());
        let mut outs = Vec::with_capacity(arg_defaults.len());
        for (k, d) in arg_defaults.iter().enumerate() {
            let tok = Self::field(t, nmodes + k, d).to_string();
            args.push(self.src(&tok));
            outs.push(if outputs.contains(&k) { self.dst(&tok) } else { Dst::Discard });
        }
        if op == HostOp::Ubind && self.unit_slot.is_none() {
            let s = self.add_slot("@unit".to_string(), SlotKind::Unit);
            self.unit_slot = Some(s);
        }
        Instr::Host(Box::new(HostInstr { op, modes, args, outs, client_var: ClientVarIds::default() }))
    }
}

/// Layout of a host instruction: default mode tokens, default value operands, which operands are outputs.
/// `first` is the first token after the opcode (for modes that change the outputs, e.g. `ucontrol getBlock`).
fn host_layout(
    op: HostOp,
    first: Option<&str>,
) -> (&'static [&'static str], &'static [&'static str], &'static [usize]) {
    use HostOp::*;
    const Z5: &[&str] = &["0", "0", "0", "0", "0"];
    match op {
        Control => (&["enabled"], &["block1", "0", "0", "0", "0"], &[]),
        Radar => (&["enemy", "any", "any", "distance"], &["turret1", "1", "result"], &[2]),
        Ubind => (&[], &["@poly"], &[]),
        Ucontrol => (
            &["move"],
            Z5,
            match first {
                Some("getBlock") => &[2, 3, 4],
                Some("within") => &[3],
                _ => &[],
            },
        ),
        Uradar => (&["enemy", "any", "any", "distance"], &["0", "1", "result"], &[2]),
        Ulocate => (&["building", "core"], &["true", "@copper", "outx", "outy", "found", "building"], &[2, 3, 4, 5]),
        GetBlock => (&["block"], &["result", "0", "0"], &[0]),
        SetBlock => (&["block"], &["@air", "0", "0", "@derelict", "0"], &[]),
        Spawn => (&[], &["@dagger", "10", "10", "90", "@sharded", "result"], &[5]),
        Status => (&["false", "wet"], &["unit", "10"], &[]),
        WeatherSense => (&[], &["result", "@rain"], &[0]),
        WeatherSet => (&[], &["@rain", "true"], &[]),
        SpawnWave => (&[], &["10", "10", "false"], &[]),
        SetRule => (&["waveSpacing"], &["10", "0", "0", "100", "100"], &[]),
        Message => (&["announce"], &["3", "@wait"], &[1]),
        Cutscene => (&["pan"], &["100", "100", "0.06", "0"], &[]),
        Effect => (&["warn"], &["0", "0", "2", "%ffaaff", "0"], &[]),
        Explosion => (&[], &["@crux", "0", "0", "5", "50", "true", "true", "false", "true"], &[]),
        Fetch => (&["unit"], &["result", "@sharded", "0", "@conveyor"], &[0]),
        Sync => (&[], &["var"], &[0]),
        ClientData => (&[], &["\"frog\"", "\"bar\"", "0"], &[]),
        GetFlag => (&[], &["result", "\"flag\""], &[0]),
        SetFlag => (&[], &["\"flag\"", "true"], &[]),
        SetProp => (&[], &["@copper", "block1", "0"], &[]),
        PlaySound => (&["false"], &["@sfx-pew", "1", "1", "0", "@thisx", "@thisy", "true"], &[]),
        SetMarker => (&["pos"], &["0", "0", "0", "0"], &[]),
        MakeMarker => (&["shape"], &["0", "0", "0", "true"], &[]),
        LocalePrint => (&[], &["\"name\""], &[]),
    }
}

/// Master string escapes: `\n`, `\"`, `\\`, `\uXXXX`; other backslashes stay as written.
fn unescape(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut it = body.chars().peekable();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.peek().copied() {
            Some('n') => {
                it.next();
                out.push('\n');
            }
            Some('"') => {
                it.next();
                out.push('"');
            }
            Some('\\') => {
                it.next();
                out.push('\\');
            }
            Some('u') => {
                let hex: String = it.clone().skip(1).take(4).collect();
                if hex.len() == 4
                    && let Ok(code) = u32::from_str_radix(&hex, 16)
                {
                    for _ in 0..5 {
                        it.next();
                    }
                    out.push(char::from_u32(code).unwrap_or('\u{FFFD}'));
                } else {
                    out.push('\\');
                }
            }
            _ => out.push('\\'),
        }
    }
    out
}

/// Arc `Strings.parseInt` (radix 10, whole string); `None` where the game's `canParseInt` is false.
#[must_use]
pub fn java_parse_int(s: &str) -> Option<i32> {
    let v = arc_parse_long(s, 10, true)?;
    i32::try_from(v).ok().filter(|v| *v != i32::MIN)
}

/// Arc `Strings.parseLong(s, radix, ...)`: optional sign, digits of `radix`; `checked` selects the current
/// overflow check (build 154's version missed multiply overflow and wrapped).
fn arc_parse_long(s: &str, radix: u32, checked: bool) -> Option<i64> {
    let b = s.as_bytes();
    if b.is_empty() {
        return None;
    }
    let mut i = 0;
    let mut negative = false;
    let mut limit = -i64::MAX;
    if b[0] < b'0' {
        if b[0] == b'-' {
            negative = true;
            limit = i64::MIN;
        } else if b[0] != b'+' {
            return None;
        }
        if b.len() == 1 {
            return None;
        }
        i = 1;
    }
    let multmin = limit / i64::from(radix);
    let mut result: i64 = 0;
    while i < b.len() {
        let digit = i64::from((b[i] as char).to_digit(radix)?);
        i += 1;
        if checked && result < multmin {
            return None;
        }
        result = result.wrapping_mul(i64::from(radix));
        if result < limit.wrapping_add(digit) {
            return None;
        }
        result = result.wrapping_sub(digit);
    }
    Some(if negative { result } else { result.wrapping_neg() })
}

/// The game's `Integer.MIN_VALUE` sentinel: a literal equal to it is not a number (it becomes a variable).
const INVALID_NUM: f64 = i32::MIN as f64;

/// Number literal → value, or `None` when the token is a name. The game's grammar per build (`mlog.md` §1.3).
/// A result of ±∞ is returned as is (the caller maps it to 0).
#[must_use]
pub fn parse_number(sym: &str, build: Build) -> Option<f64> {
    parse_number_unfiltered(sym, build).filter(|v| *v != INVALID_NUM)
}

/// [`parse_number`] without the `Integer.MIN_VALUE` sentinel check (`LAssembler.parseDouble` of builds 154
/// and later returns NaN for a name, so that value is a number there; see [`crate::javaids`]).
pub(crate) fn parse_number_unfiltered(sym: &str, build: Build) -> Option<f64> {
    let first = sym.chars().next()?;
    if !(first.is_ascii_digit() || matches!(first, '.' | '+' | '-' | '%')) {
        return None;
    }
    let v = match build {
        Build::B159 => {
            let (neg, body) = match sym.as_bytes()[0] {
                b'-' => (true, &sym[1..]),
                b'+' => (false, &sym[1..]),
                _ => (false, sym),
            };
            if let Some(digits) = body.strip_prefix("0x") {
                let u = parse_unsigned(digits, 16)?;
                let v = u as i64 as f64;
                Some(if neg { -v } else { v })
            } else if let Some(digits) = body.strip_prefix("0b") {
                let u = parse_unsigned(digits, 2)?;
                let v = u as i64 as f64;
                Some(if neg { -v } else { v })
            } else if sym.starts_with('%') {
                parse_color(sym)
            } else {
                arc_parse_double(sym, true)
            }
        }
        Build::B154 => {
            let (neg, body) = match sym.as_bytes()[0] {
                b'-' => (true, &sym[1..]),
                b'+' => (false, &sym[1..]),
                _ => (false, sym),
            };
            let signed = |v: i64| Some(if neg { -(v as f64) } else { v as f64 });
            if let Some(d) = body.strip_prefix("0x") {
                arc_parse_long(d, 16, false).and_then(signed)
            } else if let Some(d) = body.strip_prefix("0b") {
                arc_parse_long(d, 2, false).and_then(signed)
            } else if sym.starts_with('%') {
                parse_color(sym)
            } else {
                arc_parse_double(sym, false)
            }
        }
    }?;
    Some(v)
}

fn parse_unsigned(digits: &str, radix: u32) -> Option<u64> {
    if digits.is_empty() || digits.len() > 64 {
        return None;
    }
    u64::from_str_radix(digits, radix).ok().filter(|_| digits.bytes().all(|c| (c as char).is_digit(radix)))
}

/// `%rrggbb` / `%rrggbbaa` → packed colour (same bits as `packcolor`). `None` for other lengths.
fn parse_color(sym: &str) -> Option<f64> {
    if !(sym.len() == 7 || sym.len() == 9) || !sym.is_ascii() {
        return None;
    }
    let ch = |a: usize| u32::from_str_radix(&sym[a..a + 2], 16).unwrap_or(0);
    let (r, g, b) = (ch(1), ch(3), ch(5));
    let a = if sym.len() == 9 { ch(7) } else { 255 };
    Some(f64::from_bits(u64::from((r << 24) | (g << 16) | (b << 8) | a)))
}

/// Arc `Strings.parseDouble`: `current` = the Arc of build 159 (mantissa and exponent parsed separately);
/// otherwise build 154's (a literal with a `.` parses everything after the dot as one long, so `2.5e-1` fails).
fn arc_parse_double(value: &str, current: bool) -> Option<f64> {
    let b = value.as_bytes();
    let len = b.len();
    if len == 0 {
        return None;
    }
    let mut sign = 1.0;
    let mut start = 0;
    let mut end = len;
    let last = b[len - 1];
    if last == b'F' || last == b'f' || last == b'.' {
        end -= 1;
    }
    if b[0] == b'+' {
        start = 1;
    }
    if b[0] == b'-' {
        start = 1;
        sign = -1.0;
    }
    if start >= end {
        return None;
    }
    let (mut dot, mut e) = (None, None);
    let (mut dots, mut es) = (0, 0);
    for (i, &c) in b.iter().enumerate().take(end).skip(start) {
        if c == b'.' {
            dot = Some(i);
            dots += 1;
        }
        if c == b'e' || c == b'E' {
            e = Some(i);
            es += 1;
        }
    }
    let pl = |a: usize, z: usize| -> Option<i64> { value.get(a..z).and_then(|s| arc_parse_long(s, 10, current)) };
    if !current {
        // build 154
        if let Some(dot) = dot {
            let whole = if start == dot { 0 } else { pl(start, dot)? };
            let dec_digits = end - (dot + 1);
            if dec_digits == 0 {
                return Some(whole as f64 * sign);
            }
            let dec = pl(dot + 1, end)?;
            if dec < 0 {
                return None;
            }
            let p = 10f64.powi(dec_digits as i32);
            let scaled = whole.wrapping_mul(p as i64).wrapping_add(dec);
            return Some(scaled as f64 / p * sign);
        }
        if let Some(e) = e {
            let whole = pl(start, e)?;
            let exp = pl(e + 1, end)?;
            return Some(whole as f64 * java_pow10(exp) * sign);
        }
        return pl(start, end).map(|v| v as f64 * sign);
    }
    if dots > 1 || es > 1 {
        return None;
    }
    if let (Some(d), Some(ee)) = (dot, e)
        && d > ee
    {
        return None;
    }
    let mantissa_end = e.unwrap_or(end);
    let mut exponent = 0i64;
    if let Some(e) = e {
        if e + 1 >= end {
            return None;
        }
        exponent = pl(e + 1, end)?;
    }
    if let Some(dot) = dot {
        let whole = if start == dot { 0 } else { pl(start, dot)? };
        let dec_digits = mantissa_end - (dot + 1);
        if dec_digits == 0 {
            return Some(whole as f64 * java_pow10(exponent) * sign);
        }
        let dec = pl(dot + 1, mantissa_end)?;
        if dec < 0 {
            return None;
        }
        let p = java_pow10(dec_digits as i64);
        let scaled = whole.wrapping_mul(p as i64).wrapping_add(dec);
        return Some((scaled as f64 / p) * java_pow10(exponent) * sign);
    }
    if let Some(e) = e {
        let whole = pl(start, e)?;
        return Some(whole as f64 * java_pow10(exponent) * sign);
    }
    pl(start, end).map(|v| v as f64 * sign)
}

/// Java `Math.pow(10, n)` for an integer exponent. Exact for the powers a double holds exactly (|n| ≤ 22),
/// else the correctly rounded value (`10^n` parsed from text), which is what a quality `pow` returns.
fn java_pow10(n: i64) -> f64 {
    if n > 400 {
        return f64::INFINITY;
    }
    if n < -400 {
        return 0.0;
    }
    format!("1e{n}").parse().unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(build: Build) -> (Vec<String>, Arc<ContentTable>, Build) {
        (vec!["message1".to_string()], Arc::new(ContentTable::empty()), build)
    }

    fn p(src: &str, build: Build) -> Result<Program, ParseError> {
        let (links, content, build) = opts(build);
        parse(
            src,
            &ParseOptions { build, privileged: false, links: &links, content: &content, test_instructions: false },
        )
    }

    #[test]
    fn numbers_159() {
        let n = |s| parse_number(s, Build::B159);
        assert_eq!(n("1e3"), Some(1000.0));
        assert_eq!(n(".5"), Some(0.5));
        assert_eq!(n("-.5"), Some(-0.5));
        assert_eq!(n("2.5e-1"), Some(0.25));
        assert_eq!(n("5f"), Some(5.0));
        assert_eq!(n("5."), Some(5.0));
        assert_eq!(n("0x1F"), Some(31.0));
        assert_eq!(n("0b101"), Some(5.0));
        assert_eq!(n("0xFFFFFFFFFFFFFFFF"), Some(-1.0));
        assert_eq!(n("1e400"), Some(f64::INFINITY));
        assert_eq!(n("e5"), None);
        assert_eq!(n("5e"), None);
        assert_eq!(n("0x"), None);
        assert_eq!(n("1_0"), None);
        assert_eq!(n("-2147483648"), None);
    }

    #[test]
    fn numbers_154() {
        let n = |s| parse_number(s, Build::B154);
        assert_eq!(n("2.5e-1"), None);
        assert_eq!(n("1e3"), Some(1000.0));
        assert_eq!(n("1e-3"), Some(0.001));
        assert_eq!(n("12345678901234567890"), Some(-6101065172474983726.0));
    }

    #[test]
    fn labels_limits_and_errors() {
        let prog = p("a:\nset x 1\njump a always\n", Build::B159).expect("parses");
        assert_eq!(prog.instrs.len(), 2);
        assert!(matches!(prog.instrs[1], Instr::Jump { target: 0, cond: Cond::Always, .. }));
        assert!(p("jump nowhere always", Build::B159).is_err());
        assert!(p("print \"a\"b", Build::B159).is_err());
        assert!(p("print a\"b\"", Build::B159).is_err());
        assert!(p("a b c d e f g h i j k l m n o p q", Build::B159).is_err());
        let big: String = (0..1200).map(|i| format!("set x {i}\n")).collect();
        assert_eq!(p(&big, Build::B159).expect("parses").instrs.len(), MAX_INSTRUCTIONS);
        let prog = p("foo 1 2; op bogus r 1 2 # c\nset r 1#x", Build::B159).expect("parses");
        assert_eq!(prog.instrs[0], Instr::Noop);
        assert_eq!(prog.instrs[1], Instr::Noop);
        assert!(matches!(prog.instrs[2], Instr::Set { .. }));
        // privileged in a normal processor
        assert_eq!(p("setblock floor @air 0 0", Build::B159).expect("parses").instrs[0], Instr::Noop);
        // writes to constants are discarded
        let prog = p("set true 5\nset message1 3\nset @counter 2", Build::B159).expect("parses");
        assert!(matches!(prog.instrs[0], Instr::Set { dst: Dst::Discard, .. }));
        assert!(matches!(prog.instrs[1], Instr::Set { dst: Dst::Discard, .. }));
        assert!(matches!(prog.instrs[2], Instr::Set { dst: Dst::Counter, .. }));
    }

    #[test]
    fn strings() {
        let prog = p("print \"a\\nb\\\"c\\u0041\"", Build::B159).expect("parses");
        let Instr::Print { value: Src::Slot(s) } = prog.instrs[0] else { panic!("print") };
        assert_eq!(prog.slots[s as usize].kind, SlotKind::Const(Value::Str("a\nb\"cA".into())));
        assert!(p("print \"abc", Build::B159).is_err());
        assert!(p("print \"abc", Build::B154).is_ok());
    }
}
