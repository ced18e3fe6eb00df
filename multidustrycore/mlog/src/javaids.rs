//! The ids a Java client gives a program's variables: the index of each variable in the client's
//! `LExecutor.vars`, which `Call.syncVariable(building, variable, value)` (the world-processor `sync`
//! instruction) carries. This parser numbers its slots its own way, so the client's numbering is recomputed
//! here from the same source text.
//!
//! Owns: replaying what the Java assembler does with a program's names, per client build: which statement
//! fields `LogicIO.read` fills from which tokens (field declaration order, defaults for missing tokens, enum
//! fields that make a statement invalid), the order in which each statement's `build` asks `LAssembler.var`
//! for its operands, which tokens `var` turns into globals, hidden constants or variables, the constants
//! `LogicBuild.updateCode` adds before `LExecutor.load`, and `load` itself.
//! Does not own: parsing ([`crate::parse`], whose lexer this reuses), execution, sending anything.
//!
//! How Java numbers them (verified in the build-154 source, the snapshot the project's 154 captures were made
//! with; build 159 where it is known to agree, see below):
//! 1. `new LAssembler()` puts `@counter` (a variable), then `@unit` and `@this` (constants) into an
//!    *insertion-ordered* map (`OrderedMap<String, LVar>`).
//! 2. Each statement's `build(asm)` calls `asm.var(token)` for its fields in the order Java evaluates the
//!    instruction constructor's arguments (e.g. `op add r a b` asks for `a`, `b`, `r`). Invalid statements
//!    (unknown opcodes, bad enum tokens, privileged opcodes in a normal processor) ask for nothing.
//! 3. `var`: a global (`true`, `@copper`, `@time`, ...) never enters the map; a string literal or a number
//!    enters it as a constant (`"___" + text`); anything else enters it as a variable named by the token.
//! 4. `updateCode` then puts every valid link's name, `@links`, `@ipt`, `@thisx`, `@thisy` as constants (a
//!    variable of the same name becomes a constant).
//! 5. `load` keeps the non-constant entries in map order: entry *i* is `vars[i]`, id *i*. So constants take no
//!    id, and `@counter` is always 0.
//!
//! When the id can't be established, the whole program gets none ([`IdsUnknown`]) rather than a guess (a
//! wrong id would overwrite another variable on every client): an opcode the build does not register (for
//! build 159: any opcode build 154 does not register, since 159 may have added statements), an enum token
//! outside build 154's enum constants, `clientdata` (its `build` returns null when the `allowLogicData` rule
//! is off, asking for nothing), an `@name` that this crate does not know to be a global (the client's
//! `GlobalVars` holds sounds, colours and content this crate may not list), a named colour literal
//! (`%[red]`), a variable named like a hidden constant (`___5.0`, `___"a"`), a string literal Java cannot slice, a
//! quote the client's parser may split differently from this crate's lexer (an escaped quote; for build 154
//! also an unterminated string, which 154's `LParser` rejects and this crate's 154 lexer reads as a name), and,
//! for build 159, a program with links or with tokens Java would trim (current sources keep link constants in
//! `vars`, build 154 does not; which rule 159 has is not established).
//!
//! Build 159: the statement field orders, defaults and build orders below were read in build 154 and in the
//! current source (one class per statement, after 159); they agree, so 159 (between the two) is taken to
//! agree too. Token classification for 159 follows this crate's 159 number and string rules.

use std::collections::HashMap;

use crate::content::{ContentTable, global_constant};
#[cfg(doc)]
use crate::ir::HostInstr;
use crate::ir::{Build, HostOp, Instr, Program};
use crate::logicids;
use crate::parse::{ParseOptions, java_parse_int, parse_number_unfiltered, parse_unannotated, statement_tokens};
use crate::value::{ContentKind, Value};

/// Why a program's variables get no client id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("client variable ids unknown: {0}")]
pub struct IdsUnknown(pub String);

/// The client's variable ids of one program: `names()[id]` is the variable with that id.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct JavaVarIds {
    names: Vec<String>,
    by_name: HashMap<String, i32>,
    /// Statement index → id of the variable its `sync` sends (absent: not a `sync`, an invalid one, or one
    /// whose operand is a constant, which `SyncI` never sends).
    syncs: HashMap<usize, i32>,
}

impl JavaVarIds {
    /// The id of variable `name` (as this crate names slots), if it is a variable in the client's executor.
    #[must_use]
    pub fn id(&self, name: &str) -> Option<i32> {
        self.by_name.get(name).copied()
    }

    /// Variable names by id.
    #[must_use]
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The id the `sync` statement number `index` (labels not counted: the program's instruction index)
    /// sends, if that statement is a `sync` of a variable.
    #[must_use]
    pub fn sync_id(&self, index: usize) -> Option<i32> {
        self.syncs.get(&index).copied()
    }
}

/// Per-processor names that end up constants in `updateCode` (besides link names).
const LATE_CONSTANTS: [&str; 6] = ["@unit", "@this", "@links", "@ipt", "@thisx", "@thisy"];

/// `@` names that may be variables: the per-processor ones (`@counter` is the only writable one).
const SPECIALS: [&str; 7] = ["@counter", "@unit", "@this", "@thisx", "@thisy", "@links", "@ipt"];

/// `GlobalVars` names this crate resolves elsewhere (time-varying globals, network and client variables,
/// `@wait`), weathers, and `LStatement.nameToAlign`'s alignments (all build 154).
const OTHER_GLOBALS: [&str; 32] = [
    "@time",
    "@tick",
    "@second",
    "@minute",
    "@waveNumber",
    "@waveTime",
    "@mapw",
    "@maph",
    "@wait",
    "@server",
    "@client",
    "@clientLocale",
    "@clientUnit",
    "@clientName",
    "@clientTeam",
    "@clientMobile",
    "@snowing",
    "@rain",
    "@sandstorm",
    "@sporestorm",
    "@fog",
    "@suspend-particles",
    "@center",
    "@top",
    "@bottom",
    "@left",
    "@right",
    "@topLeft",
    "@topRight",
    "@bottomLeft",
    "@bottomRight",
    "@ctrlProcessor",
];

/// Names this crate's content/team tables resolve that Java's `GlobalVars` may not register (the team
/// `neoplastic` is not a base team; the internal unit type `block`; legacy blocks; a 159 unit type whose
/// `internal` flag is not verified): variables in Java, or unknown.
const NOT_GLOBALS: [&str; 8] = [
    "neoplastic",
    "block",
    "turret-unit-build-tower",
    "legacy-mech-pad",
    "legacy-unit-factory",
    "legacy-unit-factory-air",
    "legacy-unit-factory-ground",
    "command-center",
];

/// `LStatement.nameToAlign` keys (`draw print`'s `afterRead` prefixes them with `@`).
const ALIGNS: [&str; 9] =
    ["center", "top", "bottom", "left", "right", "topLeft", "topRight", "bottomLeft", "bottomRight"];

// Enum constants of build 154 (`Enum.valueOf` accepts exactly these names).
const GRAPHICS: &[&str] = &[
    "clear",
    "color",
    "col",
    "stroke",
    "line",
    "rect",
    "lineRect",
    "poly",
    "linePoly",
    "triangle",
    "image",
    "print",
    "translate",
    "scale",
    "rotate",
    "reset",
];
const LACCESS: &[&str] = &[
    "totalItems",
    "firstItem",
    "totalLiquids",
    "totalPower",
    "itemCapacity",
    "liquidCapacity",
    "powerCapacity",
    "powerNetStored",
    "powerNetCapacity",
    "powerNetIn",
    "powerNetOut",
    "ammo",
    "ammoCapacity",
    "currentAmmoType",
    "memoryCapacity",
    "health",
    "maxHealth",
    "heat",
    "shield",
    "armor",
    "efficiency",
    "progress",
    "timescale",
    "rotation",
    "x",
    "y",
    "velocityX",
    "velocityY",
    "shootX",
    "shootY",
    "cameraX",
    "cameraY",
    "cameraWidth",
    "cameraHeight",
    "displayWidth",
    "displayHeight",
    "bufferSize",
    "operations",
    "size",
    "solid",
    "dead",
    "range",
    "shooting",
    "boosting",
    "mineX",
    "mineY",
    "mining",
    "speed",
    "team",
    "type",
    "flag",
    "controlled",
    "controller",
    "name",
    "payloadCount",
    "payloadType",
    "totalPayload",
    "payloadCapacity",
    "id",
    "enabled",
    "shoot",
    "shootp",
    "config",
    "color",
];
const RADAR_TARGET: &[&str] = &["any", "enemy", "ally", "player", "attacker", "flying", "boss", "ground"];
const RADAR_SORT: &[&str] = &["distance", "health", "shield", "armor", "maxHealth"];
const LOGIC_OP: &[&str] = &[
    "add",
    "sub",
    "mul",
    "div",
    "idiv",
    "mod",
    "emod",
    "pow",
    "equal",
    "notEqual",
    "land",
    "lessThan",
    "lessThanEq",
    "greaterThan",
    "greaterThanEq",
    "strictEqual",
    "shl",
    "shr",
    "ushr",
    "or",
    "and",
    "xor",
    "not",
    "max",
    "min",
    "angle",
    "angleDiff",
    "len",
    "noise",
    "abs",
    "sign",
    "log",
    "logn",
    "log10",
    "floor",
    "ceil",
    "round",
    "sqrt",
    "rand",
    "sin",
    "cos",
    "tan",
    "asin",
    "acos",
    "atan",
];
const CONDITION: &[&str] =
    &["equal", "notEqual", "lessThan", "lessThanEq", "greaterThan", "greaterThanEq", "strictEqual", "always"];
const CONTENT_TYPE: &[&str] = &[
    "item",
    "block",
    "mech_UNUSED",
    "bullet",
    "liquid",
    "status",
    "unit",
    "weather",
    "effect_UNUSED",
    "sector",
    "loadout_UNUSED",
    "typeid_UNUSED",
    "error",
    "planet",
    "ammo_UNUSED",
    "team",
    "unitCommand",
    "unitStance",
];
const UNIT_CONTROL: &[&str] = &[
    "idle",
    "stop",
    "move",
    "approach",
    "pathfind",
    "autoPathfind",
    "boost",
    "target",
    "targetp",
    "itemDrop",
    "itemTake",
    "payDrop",
    "payTake",
    "payEnter",
    "mine",
    "flag",
    "build",
    "getBlock",
    "within",
    "unbind",
];
const LOCATE: &[&str] = &["ore", "building", "spawn", "damaged"];
const BLOCK_FLAG: &[&str] = &[
    "core",
    "storage",
    "generator",
    "turret",
    "factory",
    "repair",
    "battery",
    "reactor",
    "extinguisher",
    "drill",
    "shield",
    "launchPad",
    "unitCargoUnloadPoint",
    "unitAssembler",
    "hasFogRadius",
    "steamVent",
    "blockRepair",
    "synced",
];
const TILE_LAYER: &[&str] = &["floor", "ore", "block", "building"];
const LOGIC_RULE: &[&str] = &[
    "currentWaveTime",
    "waveTimer",
    "waves",
    "wave",
    "waveSpacing",
    "waveSending",
    "attackMode",
    "enemyCoreBuildRadius",
    "dropZoneRadius",
    "unitCap",
    "mapArea",
    "lighting",
    "canGameOver",
    "ambientLight",
    "solarMultiplier",
    "dragMultiplier",
    "ban",
    "unban",
    "buildSpeed",
    "unitHealth",
    "unitBuildSpeed",
    "unitMineSpeed",
    "unitCost",
    "unitDamage",
    "blockHealth",
    "blockDamage",
    "rtsMinWeight",
    "rtsMinSquad",
];
const MESSAGE_TYPE: &[&str] = &["notify", "announce", "toast", "mission"];
const CUTSCENE: &[&str] = &["pan", "zoom", "stop"];
const FETCH_TYPE: &[&str] = &["unit", "unitCount", "player", "playerCount", "core", "coreCount", "build", "buildCount"];
const MARKER_CONTROL: &[&str] = &[
    "remove",
    "world",
    "minimap",
    "autoscale",
    "pos",
    "endPos",
    "drawLayer",
    "color",
    "radius",
    "stroke",
    "outline",
    "rotation",
    "shape",
    "arc",
    "flushText",
    "fontSize",
    "textHeight",
    "textAlign",
    "lineAlign",
    "labelFlags",
    "texture",
    "textureSize",
    "posi",
    "uvi",
    "colori",
];

/// A statement field, in declaration order (`LogicIO.read` assigns token *i + 1* to field *i*).
#[derive(Clone, Copy)]
enum Field {
    /// A `String` operand with its default text.
    Text(&'static str, &'static str),
    /// An enum field: the token must name one of these constants, else the statement is invalid.
    Enum(&'static [&'static str]),
    /// A `boolean` (`Boolean.valueOf` accepts anything) or a `String` that is not an operand.
    Other,
    /// `jump`'s `int destIndex` (`Integer.valueOf`).
    Int,
}

/// An operand `build` asks `var` for: a field by name, or a literal token.
#[derive(Clone, Copy)]
enum Arg {
    F(&'static str),
    Lit(&'static str),
}

/// A registered statement: fields in declaration order, `build`'s operand order, `privileged()`.
struct Spec {
    fields: &'static [Field],
    build: &'static [Arg],
    privileged: bool,
}

use Arg::{F, Lit};
use Field::{Enum, Int, Other, Text};

const fn spec(fields: &'static [Field], build: &'static [Arg], privileged: bool) -> Spec {
    Spec { fields, build, privileged }
}

/// The statements build 154 registers (`@RegisterStatement`), as `LStatements` declares and builds them.
/// `clientdata` is handled separately (its `build` depends on a rule).
fn statement(op: &str) -> Option<Spec> {
    const RADAR_FIELDS: &[Field] = &[
        Enum(RADAR_TARGET),
        Enum(RADAR_TARGET),
        Enum(RADAR_TARGET),
        Enum(RADAR_SORT),
        Text("radar", "turret1"),
        Text("sortOrder", "1"),
        Text("output", "result"),
    ];
    const Z: &str = "0";
    Some(match op {
        "noop" => spec(&[], &[], false),
        "read" => spec(
            &[Text("output", "result"), Text("target", "cell1"), Text("address", Z)],
            &[F("target"), F("address"), F("output")],
            false,
        ),
        "write" => spec(
            &[Text("input", "result"), Text("target", "cell1"), Text("address", Z)],
            &[F("target"), F("address"), F("input")],
            false,
        ),
        "draw" => spec(
            &[Enum(GRAPHICS), Text("x", Z), Text("y", Z), Text("p1", Z), Text("p2", Z), Text("p3", Z), Text("p4", Z)],
            &[F("x"), F("y"), F("p1"), F("p2"), F("p3"), F("p4")],
            false,
        ),
        "print" => spec(&[Text("value", "\"frog\"")], &[F("value")], false),
        "printchar" => spec(&[Text("value", "65")], &[F("value")], false),
        "format" => spec(&[Text("value", "\"frog\"")], &[F("value")], false),
        "drawflush" => spec(&[Text("target", "display1")], &[F("target")], false),
        "printflush" => spec(&[Text("target", "message1")], &[F("target")], false),
        "getlink" => spec(&[Text("output", "result"), Text("address", Z)], &[F("output"), F("address")], false),
        "control" => spec(
            &[Enum(LACCESS), Text("target", "block1"), Text("p1", Z), Text("p2", Z), Text("p3", Z), Text("p4", Z)],
            &[F("target"), F("p1"), F("p2"), F("p3"), F("p4")],
            false,
        ),
        "radar" => spec(RADAR_FIELDS, &[F("radar"), F("sortOrder"), F("output")], false),
        // `UnitRadarStatement` declares no fields (its superclass's follow) and asks for `@unit`
        "uradar" => spec(RADAR_FIELDS, &[Lit("@unit"), F("sortOrder"), F("output")], false),
        "sensor" => spec(
            &[Text("to", "result"), Text("from", "block1"), Text("type", "@copper")],
            &[F("from"), F("to"), F("type")],
            false,
        ),
        "set" => spec(&[Text("to", "result"), Text("from", Z)], &[F("from"), F("to")], false),
        "op" => spec(
            &[Enum(LOGIC_OP), Text("dest", "result"), Text("a", "a"), Text("b", "b")],
            &[F("a"), F("b"), F("dest")],
            false,
        ),
        "select" => spec(
            &[
                Text("result", "result"),
                Enum(CONDITION),
                Text("comp0", "x"),
                Text("comp1", "false"),
                Text("a", "a"),
                Text("b", "b"),
            ],
            &[F("result"), F("comp0"), F("comp1"), F("a"), F("b")],
            false,
        ),
        "wait" => spec(&[Text("value", "0.5")], &[F("value")], false),
        "stop" | "end" => spec(&[], &[], false),
        "lookup" => {
            spec(&[Enum(CONTENT_TYPE), Text("result", "result"), Text("id", Z)], &[F("result"), F("id")], false)
        }
        "packcolor" => spec(
            &[Text("result", "result"), Text("r", "1"), Text("g", Z), Text("b", Z), Text("a", "1")],
            &[F("result"), F("r"), F("g"), F("b"), F("a")],
            false,
        ),
        "unpackcolor" => spec(
            &[Text("r", "r"), Text("g", "g"), Text("b", "b"), Text("a", "a"), Text("value", "color")],
            &[F("r"), F("g"), F("b"), F("a"), F("value")],
            false,
        ),
        "jump" => spec(
            &[Int, Enum(CONDITION), Text("value", "x"), Text("compare", "false")],
            &[F("value"), F("compare")],
            false,
        ),
        "ubind" => spec(&[Text("type", "@poly")], &[F("type")], false),
        "ucontrol" => spec(
            &[Enum(UNIT_CONTROL), Text("p1", Z), Text("p2", Z), Text("p3", Z), Text("p4", Z), Text("p5", Z)],
            &[F("p1"), F("p2"), F("p3"), F("p4"), F("p5")],
            false,
        ),
        "ulocate" => spec(
            &[
                Enum(LOCATE),
                Enum(BLOCK_FLAG),
                Text("enemy", "true"),
                Text("ore", "@copper"),
                Text("outX", "outx"),
                Text("outY", "outy"),
                Text("outFound", "found"),
                Text("outBuild", "building"),
            ],
            &[F("enemy"), F("ore"), F("outX"), F("outY"), F("outFound"), F("outBuild")],
            false,
        ),
        "getblock" => spec(
            &[Enum(TILE_LAYER), Text("result", "result"), Text("x", Z), Text("y", Z)],
            &[F("x"), F("y"), F("result")],
            true,
        ),
        "setblock" => spec(
            &[
                Enum(TILE_LAYER),
                Text("block", "@air"),
                Text("x", Z),
                Text("y", Z),
                Text("team", "@derelict"),
                Text("rotation", Z),
            ],
            &[F("x"), F("y"), F("block"), F("team"), F("rotation")],
            true,
        ),
        "spawn" => spec(
            &[
                Text("type", "@dagger"),
                Text("x", "10"),
                Text("y", "10"),
                Text("rotation", "90"),
                Text("team", "@sharded"),
                Text("result", "result"),
            ],
            &[F("type"), F("x"), F("y"), F("rotation"), F("team"), F("result")],
            true,
        ),
        // `boolean clear`, `String effect` (a status name, not an operand), then the operands
        "status" => {
            spec(&[Other, Other, Text("unit", "unit"), Text("duration", "10")], &[F("unit"), F("duration")], true)
        }
        "weathersense" => spec(&[Text("to", "result"), Text("weather", "@rain")], &[F("weather"), F("to")], true),
        "weatherset" => spec(&[Text("weather", "@rain"), Text("state", "true")], &[F("weather"), F("state")], true),
        "spawnwave" => {
            spec(&[Text("x", "10"), Text("y", "10"), Text("natural", "false")], &[F("natural"), F("x"), F("y")], true)
        }
        "setrule" => spec(
            &[
                Enum(LOGIC_RULE),
                Text("value", "10"),
                Text("p1", Z),
                Text("p2", Z),
                Text("p3", "100"),
                Text("p4", "100"),
            ],
            &[F("value"), F("p1"), F("p2"), F("p3"), F("p4")],
            true,
        ),
        "message" => spec(
            &[Enum(MESSAGE_TYPE), Text("duration", "3"), Text("outSuccess", "@wait")],
            &[F("duration"), F("outSuccess")],
            true,
        ),
        "cutscene" => spec(
            &[Enum(CUTSCENE), Text("p1", "100"), Text("p2", "100"), Text("p3", "0.06"), Text("p4", Z)],
            &[F("p1"), F("p2"), F("p3"), F("p4")],
            true,
        ),
        // `String type` is an effect name (`LogicFx.get`), not an operand; `data` defaults to "" (a variable
        // named "")
        "effect" => spec(
            &[Other, Text("x", Z), Text("y", Z), Text("sizerot", "2"), Text("color", "%ffaaff"), Text("data", "")],
            &[F("x"), F("y"), F("sizerot"), F("color"), F("data")],
            true,
        ),
        "explosion" => spec(
            &[
                Text("team", "@crux"),
                Text("x", Z),
                Text("y", Z),
                Text("radius", "5"),
                Text("damage", "50"),
                Text("air", "true"),
                Text("ground", "true"),
                Text("pierce", "false"),
                Text("effect", "true"),
            ],
            &[F("team"), F("x"), F("y"), F("radius"), F("damage"), F("air"), F("ground"), F("pierce"), F("effect")],
            true,
        ),
        "setrate" => spec(&[Text("amount", "10")], &[F("amount")], true),
        "fetch" => spec(
            &[
                Enum(FETCH_TYPE),
                Text("result", "result"),
                Text("team", "@sharded"),
                Text("index", Z),
                Text("extra", "@conveyor"),
            ],
            &[F("result"), F("team"), F("extra"), F("index")],
            true,
        ),
        "sync" => spec(&[Text("variable", "var")], &[F("variable")], true),
        "getflag" => spec(&[Text("result", "result"), Text("flag", "\"flag\"")], &[F("result"), F("flag")], true),
        "setflag" => spec(&[Text("flag", "\"flag\""), Text("value", "true")], &[F("flag"), F("value")], true),
        "setprop" => spec(
            &[Text("type", "@copper"), Text("of", "block1"), Text("value", Z)],
            &[F("type"), F("of"), F("value")],
            true,
        ),
        "playsound" => spec(
            &[
                Other,
                Text("id", "@sfx-pew"),
                Text("volume", "1"),
                Text("pitch", "1"),
                Text("pan", Z),
                Text("x", "@thisx"),
                Text("y", "@thisy"),
                Text("limit", "true"),
            ],
            &[F("id"), F("volume"), F("pitch"), F("pan"), F("x"), F("y"), F("limit")],
            true,
        ),
        "setmarker" => spec(
            &[Enum(MARKER_CONTROL), Text("id", Z), Text("p1", Z), Text("p2", Z), Text("p3", Z)],
            &[F("id"), F("p1"), F("p2"), F("p3")],
            true,
        ),
        // `String type` is a marker class name, not an operand
        "makemarker" => spec(
            &[Other, Text("id", Z), Text("x", Z), Text("y", Z), Text("replace", "true")],
            &[F("id"), F("x"), F("y"), F("replace")],
            true,
        ),
        "localeprint" => spec(&[Text("value", "\"name\"")], &[F("value")], true),
        _ => return None,
    })
}

/// Java's `String.trim`: strips characters `<= ' '` at both ends.
fn java_trim(s: &str) -> &str {
    s.trim_matches(|c: char| c <= ' ')
}

/// The map `LAssembler` builds, reduced to what decides ids: names in insertion order.
struct Asm<'a> {
    build: Build,
    content: &'a ContentTable,
    order: Vec<String>,
    seen: HashMap<String, ()>,
    /// Statement index → name of the variable its `sync` asked for.
    syncs: Vec<(usize, String)>,
}

impl Asm<'_> {
    fn put_var(&mut self, name: &str) {
        if !self.seen.contains_key(name) {
            self.seen.insert(name.to_string(), ());
            self.order.push(name.to_string());
        }
    }

    /// Is `symbol` a `GlobalVars` name? `Err` when this crate can't tell.
    fn global(&self, symbol: &str) -> Result<bool, IdsUnknown> {
        if OTHER_GLOBALS.contains(&symbol) {
            return Ok(true);
        }
        let Some(rest) = symbol.strip_prefix('@') else {
            // the non-`@` globals: `true`, `false`, `null`, `π` (and "the end", which no token can be)
            return Ok(global_constant(symbol, self.content).is_some());
        };
        if SPECIALS.contains(&symbol) {
            return Ok(false);
        }
        if NOT_GLOBALS.contains(&rest) {
            return Err(IdsUnknown(format!("{symbol} is a name this crate resolves but Java's globals do not")));
        }
        let known = match global_constant(symbol, self.content) {
            None => false,
            Some(Value::Sensor(_)) if self.build == Build::B154 => LACCESS.contains(&rest),
            Some(Value::Content(kind, _)) if self.build == Build::B154 => in_154(kind, rest),
            Some(_) => true,
        };
        if known { Ok(true) } else { Err(IdsUnknown(format!("{symbol} may be a global of the client's build"))) }
    }

    /// `LAssembler.var(symbol)`: records a variable (and returns its name), ignores globals and hidden
    /// constants.
    fn var(&mut self, symbol: &str) -> Result<Option<String>, IdsUnknown> {
        if self.global(symbol)? {
            return Ok(None);
        }
        let s = match self.build {
            Build::B154 => java_trim(symbol),
            Build::B159 => {
                if java_trim(symbol) != symbol {
                    return Err(IdsUnknown(format!("{symbol:?} has characters Java may trim")));
                }
                symbol
            }
        };
        if s.starts_with('"') {
            if s.len() >= 2 && s.ends_with('"') {
                return Ok(None);
            }
            return Err(IdsUnknown(format!("{s:?} is not a string literal Java can read")));
        }
        let s = s.replace(' ', "_");
        if s.starts_with("%[") {
            return Err(IdsUnknown(format!("{s} may be a named colour")));
        }
        if parse_number_unfiltered(&s, self.build).is_some() {
            return Ok(None);
        }
        if may_be_hidden_constant(&s) {
            return Err(IdsUnknown(format!("{s} may name a hidden constant")));
        }
        if s.starts_with('@') && !SPECIALS.contains(&s.as_str()) {
            return Err(IdsUnknown(format!("{s} may be a global of the client's build")));
        }
        self.put_var(&s);
        Ok(Some(s))
    }

    /// One statement: `LParser`'s token fix-ups, `LogicIO.read`, `afterRead`, `build`.
    fn statement(&mut self, index: usize, tokens: &[String], privileged: bool) -> Result<(), IdsUnknown> {
        let mut t: Vec<String> = tokens.to_vec();
        let Some(op) = t.first().cloned() else { return Ok(()) };
        if op == "op"
            && let Some(name) = t.get_mut(1)
        {
            if name == "atan2" {
                *name = "angle".into();
            } else if name == "dst" {
                *name = "len".into();
            }
        }
        if op == "jump"
            && let Some(dest) = t.get_mut(1)
        {
            match java_parse_int(dest) {
                None => *dest = "-1".into(),
                Some(_) => {
                    let digits = dest.strip_prefix(['-', '+']).unwrap_or(dest);
                    if !digits.bytes().all(|b| b.is_ascii_digit()) {
                        return Err(IdsUnknown(format!("jump target {dest}")));
                    }
                }
            }
        }
        for tok in t.iter_mut().skip(1) {
            if tok == "@configure" {
                *tok = "@config".into();
            } else if tok == "configure" {
                *tok = "config".into();
            }
        }
        if op == "clientdata" {
            return Err(IdsUnknown("clientdata (its build depends on the allowLogicData rule)".into()));
        }
        let Some(spec) = statement(&op) else {
            return match self.build {
                // no custom parsers on a vanilla client: an invalid statement, asking for nothing
                Build::B154 => Ok(()),
                Build::B159 => Err(IdsUnknown(format!("opcode {op} may be registered in build 159"))),
            };
        };
        let mut values: HashMap<&'static str, String> = HashMap::new();
        for (i, field) in spec.fields.iter().enumerate() {
            let token = t.get(i + 1);
            match *field {
                Text(name, default) => {
                    values.insert(name, token.map_or_else(|| default.to_string(), Clone::clone));
                }
                Enum(names) => {
                    if let Some(tok) = token
                        && !names.contains(&tok.as_str())
                    {
                        return match self.build {
                            // `valueOf` throws: an invalid statement
                            Build::B154 => Ok(()),
                            Build::B159 => Err(IdsUnknown(format!("{op} {tok} may be valid in build 159"))),
                        };
                    }
                }
                Other | Int => {}
            }
        }
        if spec.privileged && !privileged {
            return Ok(());
        }
        if op == "draw"
            && t.get(1).is_some_and(|c| c == "print")
            && let Some(p1) = values.get_mut("p1")
            && ALIGNS.contains(&p1.as_str())
        {
            *p1 = format!("@{p1}");
        }
        for arg in spec.build {
            let token = match *arg {
                F(name) => values.get(name).cloned().unwrap_or_default(),
                Lit(tok) => tok.to_string(),
            };
            if let Some(name) = self.var(&token)?
                && op == "sync"
            {
                self.syncs.push((index, name));
            }
        }
        Ok(())
    }
}

/// Could `name` be the key of a hidden constant (`"___" + "\"text\""` for a string, `"___" + value` with
/// Java's `Double.toString` for a number: `-?digits.digits(E-?digits)?`)? Then `putVar` would return that
/// constant instead of a variable.
fn may_be_hidden_constant(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("___") else { return false };
    if rest.starts_with('"') {
        return true;
    }
    let rest = rest.strip_prefix('-').unwrap_or(rest);
    let (mantissa, exponent) = rest.split_once('E').unwrap_or((rest, "0"));
    let exponent = exponent.strip_prefix('-').unwrap_or(exponent);
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    mantissa.split_once('.').is_some_and(|(a, b)| digits(a) && digits(b)) && digits(exponent)
}

/// Could build 154's `LParser` split this token differently from this crate's lexer? Its `string()` ends a
/// string at the first `"` (a backslash does not escape it) and fails on a missing closing quote, where this
/// crate's 154 lexer honours `\"` and falls back to a plain token.
fn quote_differs_154(token: &str) -> bool {
    token.contains('"')
        && (token.contains("\\\"") || !(token.len() >= 2 && token.starts_with('"') && token.ends_with('"')))
}

/// Is `name` a content name build 154's logic-id table lists (its globals include every such name)?
fn in_154(kind: ContentKind, name: &str) -> bool {
    logicids::for_build(Build::B154).names(kind).contains(&name)
}

/// The client's variable ids for `src` as a client of `opts.build` assembles it in a processor whose valid
/// links are `opts.links` (in link order). `Err` when they can't be established (see the module doc).
pub fn java_var_ids(src: &str, opts: &ParseOptions<'_>) -> Result<JavaVarIds, IdsUnknown> {
    let mut asm =
        Asm { build: opts.build, content: opts.content, order: Vec::new(), seen: HashMap::new(), syncs: Vec::new() };
    asm.put_var("@counter");
    asm.put_var("@unit");
    asm.put_var("@this");
    // an assembler error: the client loads the empty program (only `@counter`)
    if parse_unannotated(src, opts).is_ok() {
        let statements = statement_tokens(src, opts.build).map_err(|e| IdsUnknown(e.to_string()))?;
        // whether build 159's parser honours `\"` (as current sources do) or not (as 154 does) is not
        // established either
        let differs = |t: &String| match opts.build {
            Build::B154 => quote_differs_154(t),
            Build::B159 => t.contains("\\\""),
        };
        if let Some(t) = statements.iter().flatten().find(|t| differs(t)) {
            return Err(IdsUnknown(format!("{t:?}: the client's parser may read these quotes differently")));
        }
        for (index, tokens) in statements.iter().enumerate() {
            asm.statement(index, tokens, opts.privileged)?;
        }
    }
    if opts.build == Build::B159 && !opts.links.is_empty() {
        return Err(IdsUnknown("links (which constants build 159 keeps in its variables is unknown)".into()));
    }
    let mut ids = JavaVarIds::default();
    for name in asm.order {
        if LATE_CONSTANTS.contains(&name.as_str()) || opts.links.contains(&name) {
            continue;
        }
        let id = i32::try_from(ids.names.len()).unwrap_or(i32::MAX);
        ids.by_name.insert(name.clone(), id);
        ids.names.push(name);
    }
    for (index, name) in &asm.syncs {
        if let Some(id) = ids.id(name) {
            ids.syncs.insert(*index, id);
        }
    }
    Ok(ids)
}

/// Sets [`HostInstr::client_var`] of every `sync` in `program`, parsed from `src` with `opts`: the id per
/// client build (`None` where [`java_var_ids`] can't tell, or where the other build's lexer splits the text
/// into different statements, so instruction indices would not correspond).
pub(crate) fn annotate(program: &mut Program, src: &str, opts: &ParseOptions<'_>) {
    let is_sync = |i: &Instr| matches!(i, Instr::Host(h) if h.op == HostOp::Sync);
    if !program.instrs.iter().any(is_sync) {
        return;
    }
    let own = statement_tokens(src, opts.build).ok();
    for build in [Build::B154, Build::B159] {
        let o = ParseOptions { build, ..*opts };
        let comparable = build == opts.build || statement_tokens(src, build).ok() == own;
        let ids = if comparable { java_var_ids(src, &o).ok() } else { None };
        for (index, instr) in program.instrs.iter_mut().enumerate() {
            if let Instr::Host(h) = instr
                && h.op == HostOp::Sync
            {
                let id = ids.as_ref().and_then(|ids| ids.sync_id(index));
                match build {
                    Build::B154 => h.client_var.b154 = id,
                    Build::B159 => h.client_var.b159 = id,
                }
            }
        }
    }
}

#[cfg(test)]
#[path = "javaids_tests.rs"]
mod tests;
