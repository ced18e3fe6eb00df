//! The simulation of one world: players, their units, building, chat, and what must be sent to whom.
//!
//! Owns: the game rules of a running world as the Java server applies them (`NetServer`, `BuilderComp`,
//! `ConstructBlock`): joins and leaves, movement with the server's speed checks, build plans (validated, timed
//! at the builder's speed, paid from the core), deconstruction refunds, tile configuration, chat formatting and
//! flood limits, and the periodic state/entity/block snapshots. Time is passed in (`now`), outputs are queued
//! as [`Output`]s: no IO, no clocks, no threads, so scenario tests step it tick by tick.
//!
//! Does not own: bytes on the wire (`sync` encodes records, the host turns [`Call`]s into packets), the world
//! stream and files (`worldio`), the ECS storage (`ecs`), threads and channels (`host`).
//!
//! ```text
//!  Input ──handle()──▶ Sim ──tick()──▶ Output queue ──drain()──▶ host (encode per build, send)
//! ```
//!
//! Invariants: entity ids are never reused; a player's unit, if any, is controlled by that player; every
//! output names sessions that were known when it was queued; the tick never blocks.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use crate::blocks::{self, BlockRule};
use crate::ecs::Ecs;
use crate::grid::{self, Building, Construction, Grid};
use crate::sync;
use crate::value::Value;
use crate::waves;

/// A proxy-side player session, as the transport names it.
pub type SessionId = u64;

/// Ticks per second the game rules are written for (`Time.delta` = 1 at 60 fps).
pub const GAME_TPS: f32 = 60.0;
/// Snapshot interval (`NetServer.serverSyncTime`/`snapshotInterval`, 200 ms).
pub const SNAPSHOT_INTERVAL: Duration = Duration::from_millis(200);
/// Block snapshot interval (6 s).
pub const BLOCK_SNAPSHOT_INTERVAL: Duration = Duration::from_secs(6);
/// Distance past which a client is teleported back to the server's position (14 tiles).
pub const CORRECT_DIST: f32 = 14.0 * 8.0;
/// `Vars.maxTextLength` for chat.
pub const MAX_CHAT_CHARS: usize = 150;
/// `chatSpamLimit` messages per 2 s before a kick.
pub const CHAT_SPAM_LIMIT: usize = 20;
/// Chat from players younger than this is dropped (`NetServer`: 500 ms after connecting).
pub const CHAT_MIN_AGE: Duration = Duration::from_millis(500);
/// Plans a client may send per snapshot (`readPlansQueueNet`).
pub const MAX_PLANS: usize = 20;
/// Plans queued on one unit at most.
pub const MAX_QUEUED_PLANS: usize = 100;

/// A build plan as a client sends it (block ids already in build-159 numbering).
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Tile x.
    pub x: i32,
    /// Tile y.
    pub y: i32,
    /// Remove instead of place.
    pub breaking: bool,
    /// Block to place (ignored when breaking).
    pub block: u16,
    /// Rotation 0..=3.
    pub rotation: u8,
    /// Configuration to apply when finished.
    pub config: Value,
}

/// The fields of a `clientSnapshot` the server uses (block ids in build-159 numbering).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ClientSnapshot {
    /// Increments per send.
    pub snapshot_id: i32,
    /// The unit the client controls (-1 none).
    pub unit_id: i32,
    /// The client thinks it is dead.
    pub dead: bool,
    /// Position.
    pub x: f32,
    /// Position.
    pub y: f32,
    /// Aim.
    pub pointer_x: f32,
    /// Aim.
    pub pointer_y: f32,
    /// Unit rotation.
    pub rotation: f32,
    /// Velocity.
    pub vel_x: f32,
    /// Velocity.
    pub vel_y: f32,
    /// Boosting.
    pub boosting: bool,
    /// Shooting.
    pub shooting: bool,
    /// Typing in chat.
    pub chatting: bool,
    /// Building enabled.
    pub building: bool,
    /// Selected block (-1 none; 159 only).
    pub selected_block: i16,
    /// Selected rotation (159 only).
    pub selected_rotation: i32,
    /// Plans (None = the client sent null).
    pub plans: Option<Vec<Plan>>,
}

/// What a join carries (already validated by the proxy: name fixed, version checked, not banned).
#[derive(Debug, Clone, PartialEq)]
pub struct JoinRequest {
    /// Client build (154 or 159).
    pub build: u32,
    /// Sanitised player name.
    pub name: String,
    /// Base64 uuid (16 bytes).
    pub uuid: String,
    /// Base64 usid.
    pub usid: String,
    /// RGBA8888 colour.
    pub color: u32,
    /// Locale.
    pub locale: String,
    /// Is an admin (from the access store).
    pub admin: bool,
    /// Remote address, for the console and bans.
    pub ip: String,
}

/// An event the world consumes.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// A session passed the handshake and wants the world.
    Join {
        /// Session.
        session: SessionId,
        /// Who.
        request: JoinRequest,
    },
    /// The client loaded the world (`connectConfirm`).
    ConnectConfirm {
        /// Session.
        session: SessionId,
    },
    /// Movement, aim and build plans.
    ClientSnapshot {
        /// Session.
        session: SessionId,
        /// The snapshot.
        snapshot: ClientSnapshot,
    },
    /// A chat line (`sendChatMessage`).
    Chat {
        /// Session.
        session: SessionId,
        /// Raw text.
        text: String,
    },
    /// `tileConfig` from a client.
    TileConfig {
        /// Session.
        session: SessionId,
        /// Building position.
        pos: i32,
        /// New value.
        value: Value,
    },
    /// `rotateBlock` from a client.
    RotateBlock {
        /// Session.
        session: SessionId,
        /// Building position.
        pos: i32,
        /// Clockwise if false, counter-clockwise if true (`direction` in Java).
        direction: bool,
    },
    /// `requestBlockSnapshot` (159).
    RequestBlockSnapshot {
        /// Session.
        session: SessionId,
        /// Building position.
        pos: i32,
    },
    /// The session is gone (disconnect, kick, timeout).
    Leave {
        /// Session.
        session: SessionId,
        /// Why, for the log.
        reason: String,
    },
}

/// Kick reasons the world may use (`KickReason` ordinals are the proxy's business).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KickReason {
    /// Kicked by an admin / the console.
    Kick,
    /// Banned.
    Banned,
    /// The server is shutting down.
    ServerClose,
    /// Chat flood and similar abuse.
    Spam,
}

/// A server→client call, build-neutral (block ids build-159; the host converts for 154).
#[derive(Debug, Clone, PartialEq)]
pub enum Call {
    /// The world stream for the joining player (built by the host from the world, see `worldio`).
    WorldStream {
        /// The player's entity id (stream item 9).
        player_id: i32,
    },
    /// `sendMessage(String)` (159 id 98): a system line.
    SendMessage(String),
    /// `sendMessage(String, String, Player)` (159 id 99): a chat line.
    SendChat {
        /// Formatted line.
        formatted: String,
        /// Raw text shown above the unit (None for direct messages).
        unformatted: Option<String>,
        /// Sender player id (-1 none).
        sender: i32,
    },
    /// `playerSpawn(Tile core, Player)`.
    PlayerSpawn {
        /// Core position.
        core: i32,
        /// Player id.
        player: i32,
    },
    /// `playerDisconnect(int)`.
    PlayerDisconnect(i32),
    /// `unitDespawn(Unit)`.
    UnitDespawn(i32),
    /// `entitySnapshot(amount, data)`, already encoded for one build.
    EntitySnapshot {
        /// Records.
        amount: i16,
        /// Records' bytes.
        data: Arc<[u8]>,
    },
    /// `stateSnapshot`.
    StateSnapshot(sync::StateSnapshot),
    /// `blockSnapshot(amount, data)` for one build.
    BlockSnapshot {
        /// Records.
        amount: i16,
        /// Records' bytes.
        data: Arc<[u8]>,
    },
    /// `beginPlace(unit, block, team, x, y, rotation, config)`.
    BeginPlace {
        /// Builder unit id.
        unit: i32,
        /// Block.
        block: u16,
        /// Team.
        team: u8,
        /// x.
        x: i32,
        /// y.
        y: i32,
        /// Rotation.
        rotation: u8,
        /// Plan config.
        config: Value,
    },
    /// `beginBreak(unit, team, x, y)`.
    BeginBreak {
        /// Builder unit id.
        unit: i32,
        /// Team.
        team: u8,
        /// x.
        x: i32,
        /// y.
        y: i32,
    },
    /// `constructFinish(tile, block, builder, rotation, team, config)`.
    ConstructFinish {
        /// Tile position.
        pos: i32,
        /// Block.
        block: u16,
        /// Builder unit id.
        unit: i32,
        /// Rotation.
        rotation: u8,
        /// Team.
        team: u8,
        /// Config.
        config: Value,
    },
    /// `deconstructFinish(tile, block, builder)`.
    DeconstructFinish {
        /// Tile position.
        pos: i32,
        /// Block removed.
        block: u16,
        /// Builder unit id.
        unit: i32,
    },
    /// `removeQueueBlock(x, y, breaking)`: the server refused a plan.
    RemoveQueueBlock {
        /// x.
        x: i32,
        /// y.
        y: i32,
        /// breaking.
        breaking: bool,
    },
    /// `tileConfig(player, build, value)`.
    TileConfig {
        /// Player who configured (None = server).
        player: Option<i32>,
        /// Building position.
        pos: i32,
        /// Value.
        value: Value,
    },
    /// `rotateBlock(player, build, direction)`.
    RotateBlock {
        /// Player.
        player: Option<i32>,
        /// Building position.
        pos: i32,
        /// Direction.
        direction: bool,
    },
    /// `setPosition(x, y)`: the server corrects a client.
    SetPosition {
        /// x.
        x: f32,
        /// y.
        y: f32,
    },
    /// `spawnEffect(x, y, rotation, type)` (`WaveSpawner.spawnEffect`): the spawn animation of a wave unit.
    SpawnEffect {
        /// World x.
        x: f32,
        /// World y.
        y: f32,
        /// Rotation (degrees).
        rotation: f32,
        /// Unit type (build-159 id).
        unit_type: i16,
    },
    /// `unitDeath(uid)` (`UnitComp.kill`): the unit dies on every client.
    UnitDeath(i32),
    /// `buildDestroyed(build)` (`Building.setProp` health 0 → `Call.buildDestroyed`): destroyed on every client.
    BuildDestroyed(i32),
    /// `setFlag(flag, add)` (`LExecutor.SetFlagI`: a world processor changed an objective flag).
    SetFlag {
        /// Flag name.
        flag: String,
        /// Set (true) or cleared.
        add: bool,
    },
    /// `logicExplosion(team, x, y, radius, damage, air, ground, pierce, effect)` (`LExecutor.ExplosionI`).
    LogicExplosion {
        /// Team dealing the damage.
        team: u8,
        /// World x.
        x: f32,
        /// World y.
        y: f32,
        /// Radius in world units.
        radius: f32,
        /// Damage.
        damage: f32,
        /// Hits air units.
        air: bool,
        /// Hits ground units and buildings.
        ground: bool,
        /// Pierces buildings.
        pierce: bool,
        /// Shows the explosion effect.
        effect: bool,
    },
    /// `syncVariable(building, variable, value)` (`LExecutor.SyncI`: a world processor's `sync`). The variable
    /// id is the index in the client's own executor, which depends on the client's build: `None` is not sent to
    /// that build's clients.
    SyncVariable {
        /// The processor's position.
        pos: i32,
        /// The variable's id for build-154 clients.
        id154: Option<i32>,
        /// The variable's id for build-159 clients.
        id159: Option<i32>,
        /// The value (`TypeIO.writeObject`: a number as a double; content ids as build 159 numbers them).
        value: multidustry_protocol::typeio::Object,
    },
}

/// Who receives an output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// One session.
    Session(SessionId),
    /// Every confirmed player.
    All,
    /// Every confirmed player of one client build (build-specific encodings).
    Build(u32),
}

/// Something the world wants done.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// Send a call.
    Send(Target, Call),
    /// Disconnect a session with a reason.
    Kick(SessionId, KickReason),
    /// A line for the server log/console.
    Log(String),
}

/// A player (one component of the ECS).
#[derive(Debug, Clone, PartialEq)]
pub struct PlayerState {
    /// Entity id.
    pub id: i32,
    /// Session.
    pub session: SessionId,
    /// Client build.
    pub build: u32,
    /// Name.
    pub name: String,
    /// uuid.
    pub uuid: String,
    /// usid.
    pub usid: String,
    /// Remote address.
    pub ip: String,
    /// RGBA8888.
    pub color: u32,
    /// Team.
    pub team: u8,
    /// Admin.
    pub admin: bool,
    /// Loaded the world (`con.hasConnected`).
    pub confirmed: bool,
    /// Controlled unit.
    pub unit: Option<i32>,
    /// Position (when dead).
    pub x: f32,
    /// Position (when dead).
    pub y: f32,
    /// Aim.
    pub mouse_x: f32,
    /// Aim.
    pub mouse_y: f32,
    /// Typing.
    pub typing: bool,
    /// Shooting.
    pub shooting: bool,
    /// Boosting.
    pub boosting: bool,
    /// Selected block (-1).
    pub selected_block: i16,
    /// Selected rotation.
    pub selected_rotation: i32,
    /// Last accepted snapshot id.
    pub last_snapshot_id: i32,
    /// When the last snapshot was accepted.
    pub last_snapshot_at: Option<Duration>,
    /// Server-side position at the last accepted snapshot.
    pub last_position: (f32, f32),
    /// When the player joined.
    pub joined_at: Duration,
    /// Times of recent chat lines (flood control).
    pub chat_times: VecDeque<Duration>,
}

impl PlayerState {
    /// A player with defaults, for tests.
    pub fn for_tests(id: i32, name: &str) -> Self {
        Self {
            id,
            session: id as SessionId,
            build: 159,
            name: name.into(),
            uuid: String::new(),
            usid: String::new(),
            ip: String::new(),
            color: 0xffffffff,
            team: 1,
            admin: false,
            confirmed: false,
            unit: None,
            x: 0.0,
            y: 0.0,
            mouse_x: 0.0,
            mouse_y: 0.0,
            typing: false,
            shooting: false,
            boosting: false,
            selected_block: -1,
            selected_rotation: 0,
            last_snapshot_id: i32::MIN,
            last_snapshot_at: None,
            last_position: (0.0, 0.0),
            joined_at: Duration::ZERO,
            chat_times: VecDeque::new(),
        }
    }

    /// `Player.coloredName()`: `[#RRGGBBAA]name`.
    pub fn colored_name(&self) -> String {
        format!("[#{:08X}]{}", self.color, self.name)
    }
}

/// A unit (one component of the ECS): player-controlled core units and wave units (`controller` < 0: AI).
#[derive(Debug, Clone, PartialEq)]
pub struct UnitState {
    /// Entity id.
    pub id: i32,
    /// Unit type id (alpha 35, beta 36, gamma 37).
    pub type_id: i16,
    /// Team.
    pub team: u8,
    /// Controlling player id; negative for AI-controlled (wave) units.
    pub controller: i32,
    /// Position (world units).
    pub x: f32,
    /// Position.
    pub y: f32,
    /// Rotation (degrees).
    pub rotation: f32,
    /// Velocity.
    pub vel: (f32, f32),
    /// Aim.
    pub aim: (f32, f32),
    /// Health.
    pub health: f32,
    /// Shooting.
    pub shooting: bool,
    /// Build plans, first is active.
    pub plans: VecDeque<Plan>,
    /// Building enabled (`updateBuilding`).
    pub update_building: bool,
    /// Spawned by a core (despawned with its player).
    pub spawned_by_core: bool,
    /// Entity class id (`EntityMapping`: alpha 0, beta 30, gamma 31, dagger 4, flare 3, …).
    pub class_id: u8,
    /// Flying (elevation 1) or on the ground.
    pub flying: bool,
    /// Shield points (wave units: `SpawnGroup.getShield`).
    pub shield: f32,
    /// Carried items (`UnitComp.stack`: item id, amount; amount 0 = empty, Java's default item is copper).
    pub stack: (u16, i32),
    /// `UnitComp.flag`: a number processors set (`ucontrol flag`) and read (`sensor @flag`); saved and synced.
    pub flag: f64,
    /// The logic controller (`LogicAI`) while a processor commands this unit; `None`: its normal AI.
    pub logic: Option<Box<crate::logic::units::LogicAi>>,
}

impl UnitState {
    /// A unit with defaults, for tests.
    pub fn for_tests(id: i32, controller: i32) -> Self {
        Self {
            id,
            type_id: 35,
            team: 1,
            controller,
            x: 0.0,
            y: 0.0,
            rotation: 90.0,
            vel: (0.0, 0.0),
            aim: (0.0, 0.0),
            health: 350.0,
            shooting: false,
            plans: VecDeque::new(),
            update_building: true,
            spawned_by_core: true,
            class_id: 0,
            flying: true,
            shield: 0.0,
            stack: (0, 0),
            flag: 0.0,
            logic: None,
        }
    }
}

/// Rules of this world the simulation needs.
#[derive(Debug, Clone, PartialEq)]
pub struct SimRules {
    /// Free building (`rules.infiniteResources`, sandbox).
    pub infinite_resources: bool,
    /// Team new players join (`rules.defaultTeam`, sharded = 1).
    pub default_team: u8,
    /// Wave countdown runs (`rules.waveTimer`).
    pub wave_timer: bool,
    /// Ticks between waves (`rules.waveSpacing`).
    pub wave_spacing: f32,
    /// Announce joins and leaves.
    pub connect_messages: bool,
    /// Message of the day sent on join (None = off).
    pub motd: Option<String>,
    /// `rules.lighting` (lighting-only blocks such as the illuminator become placeable).
    pub lighting: bool,
    /// `rules.waveTeam` (crux = 2).
    pub wave_team: u8,
    /// `rules.spawns` (the map's, else Java's default waves). Groups of unit types this server does not
    /// simulate (`waves::UNIT_TYPES`) spawn nothing.
    pub spawns: Vec<multidustry_world::SpawnGroup>,
    /// `rules.bannedBlocks` (build-159 ids); with `block_whitelist` it lists the only allowed blocks.
    pub banned_blocks: Vec<u16>,
    /// `rules.blockWhitelist`: `banned_blocks` is a whitelist (`Rules.isBanned`).
    pub block_whitelist: bool,
}

impl Default for SimRules {
    fn default() -> Self {
        Self {
            infinite_resources: false,
            default_team: 1,
            wave_timer: true,
            wave_spacing: 2.0 * 60.0 * 60.0,
            connect_messages: true,
            motd: None,
            lighting: false,
            wave_team: 2,
            spawns: multidustry_world::rules::default_waves(),
            banned_blocks: Vec::new(),
            block_whitelist: false,
        }
    }
}

impl SimRules {
    /// The simulation's view of typed rules (the world crate's [`multidustry_world::Rules`], e.g.
    /// `World::host_rules`): flags, wave timing, teams, spawn groups and block bans. `motd` and
    /// `connect_messages` are server settings, not rules, and keep their defaults.
    pub fn from_rules(r: &multidustry_world::Rules) -> Self {
        let table = multidustry_world::ContentTable::for_build(multidustry_world::Build::V159);
        let banned_blocks = match r.other("bannedBlocks") {
            Some(multidustry_world::arcjson::JsonValue::Array(names)) => names
                .iter()
                .filter_map(|n| n.as_str())
                .filter_map(|n| table.id(multidustry_world::ContentType::BLOCK, n))
                .collect(),
            _ => Vec::new(),
        };
        Self {
            infinite_resources: r.infinite_resources,
            default_team: r.default_team(),
            wave_timer: r.wave_timer && r.waves,
            wave_spacing: if r.wave_spacing >= 1.0 { r.wave_spacing } else { SimRules::default().wave_spacing },
            lighting: r.lighting,
            wave_team: r.wave_team(),
            spawns: r.spawns.clone(),
            banned_blocks,
            block_whitelist: r.block_whitelist,
            ..Self::default()
        }
    }

    /// Writes the fields the simulation can change at run time (`setrule`: wave timer and spacing; also
    /// infinite resources and lighting) back into `r`, so streams and saves carry the live rules as Java's
    /// `state.rules` does. Fields equal to what `r` already implies are left untouched (the JSON stays
    /// byte-identical when nothing changed).
    pub fn apply_to(&self, r: &mut multidustry_world::Rules) {
        let before = Self::from_rules(r);
        if self.wave_timer != before.wave_timer {
            r.wave_timer = self.wave_timer;
            if self.wave_timer {
                r.waves = true;
            }
        }
        if self.wave_spacing != before.wave_spacing {
            r.wave_spacing = self.wave_spacing;
        }
        if self.infinite_resources != before.infinite_resources {
            r.infinite_resources = self.infinite_resources;
        }
        if self.lighting != before.lighting {
            r.lighting = self.lighting;
        }
    }
}

/// Global state sent in state snapshots and the world stream.
#[derive(Debug, Clone, PartialEq)]
pub struct GameState {
    /// Current wave.
    pub wave: i32,
    /// Countdown to the next wave, in ticks.
    pub wave_countdown: f32,
    /// Game tick counter.
    pub tick: f64,
    /// RNG state (two longs).
    pub rand: (i64, i64),
}

impl Default for GameState {
    fn default() -> Self {
        Self { wave: 1, wave_countdown: 2.0 * 60.0 * 60.0, tick: 0.0, rand: (0x1234_5678, 0x9abc_def0) }
    }
}

/// One world.
#[derive(Debug)]
pub struct Sim {
    /// Tiles and buildings.
    pub grid: Grid,
    /// Rules.
    pub rules: SimRules,
    /// Global state.
    pub state: GameState,
    ecs: Ecs,
    sessions: HashMap<SessionId, i32>,
    out: Vec<Output>,
    now: Duration,
    started: Duration,
    last_snapshot: Option<Duration>,
    last_block_snapshot: Option<Duration>,
    tick_rate: u32,
    /// Wave spawner and AI state (see `waves`).
    pub(crate) wave_ai: WaveAi,
    /// MLOG processors of this world (`logic`).
    pub logic: crate::logic::Logic,
    /// Processor-side unit state (`ubind` cycles, radar caches; see `logic::units`).
    logic_units: crate::logic::units::LogicUnits,
}

/// Wave state the simulation keeps between ticks.
#[derive(Debug, Default)]
pub(crate) struct WaveAi {
    /// Ground flow field toward the player cores (recomputed when the grid changes).
    flow: Option<waves::FlowField>,
    /// Spawn tiles (found on the first wave).
    spawn_tiles: Option<Vec<(i32, i32)>>,
}

impl Sim {
    /// A world over `grid`, ticking `tick_rate` times per second.
    pub fn new(grid: Grid, rules: SimRules, state: GameState, tick_rate: u32, first_entity_id: i32) -> Self {
        Self {
            grid,
            rules,
            state,
            ecs: Ecs::new(first_entity_id),
            sessions: HashMap::new(),
            out: Vec::new(),
            now: Duration::ZERO,
            started: Duration::ZERO,
            last_snapshot: None,
            last_block_snapshot: None,
            tick_rate: tick_rate.max(1),
            wave_ai: WaveAi::default(),
            logic: crate::logic::Logic::default(),
            logic_units: crate::logic::units::LogicUnits::default(),
        }
    }

    /// Takes the queued outputs.
    pub fn drain(&mut self) -> Vec<Output> {
        std::mem::take(&mut self.out)
    }

    /// Player by id.
    pub fn player(&self, id: i32) -> Option<&PlayerState> {
        self.ecs.player(id)
    }

    /// Player by session.
    pub fn player_by_session(&self, session: SessionId) -> Option<&PlayerState> {
        self.ecs.player(*self.sessions.get(&session)?)
    }

    /// Unit by id.
    pub fn unit(&self, id: i32) -> Option<&UnitState> {
        self.ecs.unit(id)
    }

    /// All players.
    pub fn players(&self) -> impl Iterator<Item = &PlayerState> {
        self.ecs.players()
    }

    /// All units.
    pub fn units(&self) -> impl Iterator<Item = &UnitState> {
        self.ecs.units()
    }

    /// Number of players (joined or joining).
    pub fn player_count(&self) -> usize {
        self.ecs.player_count()
    }

    /// Adds a unit restored from a save (its id must be below the first id this world allocates).
    pub fn restore_unit(&mut self, unit: UnitState) -> bool {
        unit.id < self.ecs.next_id() && self.ecs.insert_unit(unit)
    }

    /// The next entity id (persisted so a restored world never reuses ids).
    pub fn next_entity_id(&self) -> i32 {
        self.ecs.next_id()
    }

    /// Sessions of confirmed players of `build`.
    pub fn sessions_of(&self, target: Target) -> Vec<SessionId> {
        match target {
            Target::Session(s) => vec![s],
            Target::All => self.ecs.players().filter(|p| p.confirmed).map(|p| p.session).collect(),
            Target::Build(b) => self.ecs.players().filter(|p| p.confirmed && p.build == b).map(|p| p.session).collect(),
        }
    }

    fn send(&mut self, target: Target, call: Call) {
        self.out.push(Output::Send(target, call));
    }

    fn log(&mut self, line: String) {
        self.out.push(Output::Log(line));
    }

    /// Broadcasts a system chat line (console `say`: `[scarlet][[Server]:[] text`).
    pub fn server_say(&mut self, text: &str) {
        self.send(Target::All, Call::SendMessage(format!("[scarlet][[Server]:[] {text}")));
    }

    /// Broadcasts a system line as is (`Call.sendMessage(String)`).
    pub fn announce(&mut self, text: &str) {
        self.send(Target::All, Call::SendMessage(text.to_string()));
    }

    /// Kicks a player by id.
    pub fn kick(&mut self, player: i32, reason: KickReason) -> bool {
        let Some(session) = self.ecs.player(player).map(|p| p.session) else { return false };
        self.out.push(Output::Kick(session, reason));
        self.remove_player(session, "kicked");
        true
    }

    /// Sets a player's admin flag.
    pub fn set_admin(&mut self, player: i32, admin: bool) -> bool {
        match self.ecs.player_mut(player) {
            Some(p) => {
                p.admin = admin;
                true
            }
            None => false,
        }
    }

    /// Handles one input at `now`.
    pub fn handle(&mut self, now: Duration, input: Input) {
        self.now = now;
        match input {
            Input::Join { session, request } => self.join(session, request),
            Input::ConnectConfirm { session } => self.confirm(session),
            Input::ClientSnapshot { session, snapshot } => self.client_snapshot(session, snapshot),
            Input::Chat { session, text } => self.chat(session, &text),
            Input::TileConfig { session, pos, value } => self.tile_config(session, pos, value),
            Input::RotateBlock { session, pos, direction } => self.rotate_block(session, pos, direction),
            Input::RequestBlockSnapshot { session, pos } => self.request_block_snapshot(session, pos),
            Input::Leave { session, reason } => self.remove_player(session, &reason),
        }
    }

    fn join(&mut self, session: SessionId, req: JoinRequest) {
        if self.sessions.contains_key(&session) {
            tracing::debug!(session, "duplicate join ignored");
            return;
        }
        let id = self.ecs.allocate_id();
        let mut p = PlayerState::for_tests(id, &req.name);
        p.session = session;
        p.build = req.build;
        p.uuid = req.uuid;
        p.usid = req.usid;
        p.ip = req.ip;
        p.color = req.color | 0xff;
        p.admin = req.admin;
        p.team = self.rules.default_team;
        p.joined_at = self.now;
        if let Some((pos, _)) = self.grid.core_of(p.team) {
            let (x, y) = grid::unpack(pos);
            p.x = x as f32 * 8.0;
            p.y = y as f32 * 8.0;
        }
        self.ecs.insert_player(p);
        self.sessions.insert(session, id);
        self.send(Target::Session(session), Call::WorldStream { player_id: id });
    }

    fn confirm(&mut self, session: SessionId) {
        let Some(&id) = self.sessions.get(&session) else { return };
        let Some(p) = self.ecs.player_mut(id) else { return };
        if p.confirmed {
            return;
        }
        p.confirmed = true;
        let name = p.name.clone();
        let uuid = p.uuid.clone();
        if self.rules.connect_messages {
            self.send(Target::All, Call::SendMessage(format!("[accent]{name}[accent] has connected.")));
        }
        self.log(format!("[{uuid}] {name} has connected."));
        if let Some(motd) = self.rules.motd.clone() {
            self.send(Target::Session(session), Call::SendChat { formatted: motd, unformatted: None, sender: -1 });
        }
        self.respawn(id);
    }

    /// `CoreBlock.playerSpawn`: a core unit for `player` at its team's core.
    fn respawn(&mut self, player: i32) {
        let Some(p) = self.ecs.player(player) else { return };
        if p.unit.is_some() || !p.confirmed {
            return;
        }
        let team = p.team;
        let Some((core_pos, core)) = self.grid.core_of(team) else { return };
        let Some(type_id) = blocks::core_unit(core.block) else { return };
        let (cx, cy) = grid::unpack(core_pos);
        let stats = blocks::unit_stats(type_id);
        let unit_id = self.ecs.allocate_id();
        let mut unit = UnitState::for_tests(unit_id, player);
        unit.type_id = type_id;
        unit.team = team;
        unit.x = cx as f32 * 8.0;
        unit.y = cy as f32 * 8.0;
        unit.health = stats.health;
        unit.class_id = blocks::unit_class(type_id);
        let (ux, uy) = (unit.x, unit.y);
        self.ecs.insert_unit(unit);
        if let Some(p) = self.ecs.player_mut(player) {
            p.unit = Some(unit_id);
            p.x = ux;
            p.y = uy;
            p.last_position = (ux, uy);
            p.last_snapshot_at = Some(self.now);
        }
        self.send(Target::All, Call::PlayerSpawn { core: core_pos, player });
    }

    fn remove_player(&mut self, session: SessionId, reason: &str) {
        let Some(id) = self.sessions.remove(&session) else { return };
        let Some(p) = self.ecs.remove_player(id) else { return };
        if p.confirmed {
            if self.rules.connect_messages {
                self.send(Target::All, Call::SendMessage(format!("[accent]{}[accent] has disconnected.", p.name)));
            }
            self.send(Target::All, Call::PlayerDisconnect(p.id));
        }
        if let Some(unit) = p.unit
            && let Some(u) = self.ecs.remove_unit(unit)
            && u.spawned_by_core
        {
            self.send(Target::All, Call::UnitDespawn(u.id));
        }
        self.log(format!("[{}] {} has disconnected. ({reason})", p.uuid, p.name));
    }

    fn client_snapshot(&mut self, session: SessionId, s: ClientSnapshot) {
        let Some(&id) = self.sessions.get(&session) else { return };
        let now = self.now;
        let Some(p) = self.ecs.player_mut(id) else { return };
        if !p.confirmed || s.snapshot_id < p.last_snapshot_id {
            return;
        }
        let finite = |v: f32| if v.is_finite() { v } else { 0.0 };
        p.mouse_x = finite(s.pointer_x);
        p.mouse_y = finite(s.pointer_y);
        p.typing = s.chatting;
        p.shooting = s.shooting;
        p.boosting = false;
        p.selected_block = s.selected_block;
        p.selected_rotation = s.selected_rotation;
        let elapsed_ms = p.last_snapshot_at.map_or(16.0, |t| (now.saturating_sub(t)).as_secs_f32() * 1000.0);
        p.last_snapshot_at = Some(now);
        p.last_snapshot_id = s.snapshot_id;
        let last = p.last_position;
        let unit_id = p.unit;
        let team = p.team;
        let (x, y) = (finite(s.x), finite(s.y));

        let Some(unit_id) = unit_id else {
            if let Some(p) = self.ecs.player_mut(id) {
                p.x = x;
                p.y = y;
            }
            return;
        };
        let Some(u) = self.ecs.unit_mut(unit_id) else { return };
        let stats = blocks::unit_stats(u.type_id);
        let max_speed = stats.speed;
        let (mut vx, mut vy) = (finite(s.vel_x), finite(s.vel_y));
        let vlen = (vx * vx + vy * vy).sqrt();
        if vlen > max_speed && vlen > 0.0 {
            vx *= max_speed / vlen;
            vy *= max_speed / vlen;
        }
        u.vel = (vx, vy);
        u.aim = (finite(s.pointer_x), finite(s.pointer_y));
        u.shooting = s.shooting;
        u.update_building = s.building;
        u.rotation = finite(s.rotation);
        let (tx, ty) = if s.dead { (u.x, u.y) } else { (x, y) };
        // NetServer.clientSnapshot: the move since the last accepted position is limited to what the unit's
        // speed allows in the elapsed time (+10%).
        let max_move = elapsed_ms / 1000.0 * GAME_TPS * max_speed * 1.1;
        let (mut dx, mut dy) = (tx - last.0, ty - last.1);
        let len = (dx * dx + dy * dy).sqrt();
        if len > max_move && len > 0.0 {
            dx *= max_move / len;
            dy *= max_move / len;
        }
        let w = self.grid.width() as f32 * 8.0;
        let h = self.grid.height() as f32 * 8.0;
        let nx = (last.0 + dx).clamp(-8.0, w + 8.0);
        let ny = (last.1 + dy).clamp(-8.0, h + 8.0);
        u.x = nx;
        u.y = ny;
        let correct = !s.dead && ((x - nx).powi(2) + (y - ny).powi(2)).sqrt() > CORRECT_DIST;
        if let Some(p) = self.ecs.player_mut(id) {
            p.last_position = (nx, ny);
            p.x = nx;
            p.y = ny;
        }
        if correct {
            self.send(Target::Session(session), Call::SetPosition { x: nx, y: ny });
        }
        if let Some(plans) = s.plans {
            self.accept_plans(session, unit_id, team, plans);
        }
    }

    fn accept_plans(&mut self, session: SessionId, unit_id: i32, team: u8, plans: Vec<Plan>) {
        let mut accepted = Vec::new();
        for plan in plans.into_iter().take(MAX_PLANS) {
            let Some(tile) = self.grid.tile(plan.x, plan.y) else { continue };
            // Auto-skip plans that are already satisfied, as NetServer does.
            if plan.breaking && tile.building.is_none() {
                continue;
            }
            if !plan.breaking
                && let Some((pos, b)) = self.grid.building_at(plan.x, plan.y)
                && pos == grid::pack(plan.x, plan.y)
                && b.block == plan.block
                && b.construction.is_none()
                && (b.rotation == plan.rotation % 4 || !blocks::rule_for(b.block).is_some_and(|r| r.rotate))
            {
                continue;
            }
            let verdict = if plan.breaking {
                self.grid.valid_break(team, plan.x, plan.y).map(|_| ())
            } else {
                match blocks::rule_for(plan.block) {
                    None => Err(grid::PlaceError::UnknownBlock),
                    Some(rule)
                        if (rule.placement != blocks::Placement::Core
                            && !rule.placeable(self.rules.infinite_resources, self.rules.lighting))
                            || !rule.visibility.visible(self.rules.infinite_resources, self.rules.lighting)
                            || self.rules.banned_blocks.contains(&rule.id) != self.rules.block_whitelist =>
                    {
                        Err(grid::PlaceError::UnknownBlock)
                    }
                    Some(rule) if !plan.config.fits(rule.config) => Err(grid::PlaceError::UnknownBlock),
                    Some(rule) if rule.placement == blocks::Placement::Core => {
                        self.core_upgrade_check(team, rule, &plan)
                    }
                    Some(rule) => {
                        self.grid.valid_replace(rule, plan.x, plan.y, team, plan.rotation).map(|_| ()).or_else(|e| {
                            // A construction site of the same block is fine: the builder helps finish it.
                            match self.grid.building_at(plan.x, plan.y) {
                                Some((_, b)) if b.construction.as_ref().is_some_and(|c| c.block == plan.block) => {
                                    Ok(())
                                }
                                _ => Err(e),
                            }
                        })
                    }
                }
            };
            match verdict {
                Ok(()) => accepted.push(plan),
                Err(e) => {
                    tracing::debug!(session, x = plan.x, y = plan.y, reason = ?e, "plan rejected");
                    self.send(
                        Target::Session(session),
                        Call::RemoveQueueBlock { x: plan.x, y: plan.y, breaking: plan.breaking },
                    );
                }
            }
        }
        if let Some(u) = self.ecs.unit_mut(unit_id) {
            for plan in accepted {
                if u.plans.len() >= MAX_QUEUED_PLANS {
                    break;
                }
                if !u.plans.iter().any(|q| q.x == plan.x && q.y == plan.y && q.breaking == plan.breaking) {
                    u.plans.push_back(plan);
                }
            }
        }
    }

    fn chat(&mut self, session: SessionId, text: &str) {
        let Some(&id) = self.sessions.get(&session) else { return };
        let now = self.now;
        let Some(p) = self.ecs.player_mut(id) else { return };
        if !p.confirmed {
            return;
        }
        if now.saturating_sub(p.joined_at) < CHAT_MIN_AGE {
            // NetServer.sendChatMessage: chat from a connection younger than 500 ms is dropped.
            tracing::debug!(session, "chat within 500 ms of connecting dropped");
            return;
        }
        while p.chat_times.front().is_some_and(|t| now.saturating_sub(*t) > Duration::from_secs(2)) {
            p.chat_times.pop_front();
        }
        p.chat_times.push_back(now);
        if p.chat_times.len() > CHAT_SPAM_LIMIT {
            let pid = p.id;
            self.kick(pid, KickReason::Spam);
            return;
        }
        let text: String = text.replace(['\n', '\r'], "");
        let text = text.trim();
        if text.is_empty() || text.chars().count() > MAX_CHAT_CHARS {
            return;
        }
        let p = p.clone();
        if let Some(command) = text.strip_prefix('/') {
            self.player_command(&p, command);
            return;
        }
        // Vars.chatFormatter: "[coral][[" + player.coloredName() + "[coral]]:[white] " + message
        let formatted = format!("[coral][[{}[coral]]:[white] {}", p.colored_name(), text);
        self.log(format!("{}: {}", p.name, text));
        self.send(Target::All, Call::SendChat { formatted, unformatted: Some(text.to_string()), sender: p.id });
    }

    fn player_command(&mut self, p: &PlayerState, command: &str) {
        let mut words = command.split_whitespace();
        let reply = match words.next().unwrap_or("") {
            "help" => concat!(
                "[orange]-- Commands Page[lightgray] 1[gray]/[lightgray]1[orange] --\n\n",
                "[orange] /help[white] [page][lightgray] - Lists all commands.\n",
                "[orange] /t[white] <message...>[lightgray] - Send a message only to your teammates.\n"
            )
            .to_string(),
            "t" => {
                let rest: Vec<&str> = words.collect();
                let msg = rest.join(" ");
                let formatted =
                    format!("[#{}]<T> [coral][[{}[coral]]:[white] {}", team_color(p.team), p.colored_name(), msg);
                let team = p.team;
                for s in
                    self.ecs.players().filter(|o| o.confirmed && o.team == team).map(|o| o.session).collect::<Vec<_>>()
                {
                    self.send(
                        Target::Session(s),
                        Call::SendChat { formatted: formatted.clone(), unformatted: Some(msg.clone()), sender: p.id },
                    );
                }
                return;
            }
            _ => "[scarlet]Unknown command. Check [lightgray]/help[scarlet].".to_string(),
        };
        self.send(Target::Session(p.session), Call::SendChat { formatted: reply, unformatted: None, sender: -1 });
    }

    fn tile_config(&mut self, session: SessionId, pos: i32, value: Value) {
        let Some(p) = self.player_by_session(session).filter(|p| p.confirmed) else { return };
        let (pid, team) = (p.id, p.team);
        if self.grid.building(pos).is_some_and(|b| b.team == team && crate::logic::processor_kind(b.block).is_some()) {
            match self.logic.configure_by(&mut self.grid, pos, &value, pid, self.now) {
                Ok(()) => self.send(Target::All, Call::TileConfig { player: Some(pid), pos, value }),
                Err(why) => tracing::debug!(session, pos, why, "processor config rejected"),
            }
            return;
        }
        let Some(b) = self.grid.building_mut(pos) else { return };
        if b.team != team || b.construction.is_some() {
            return;
        }
        let Some(rule) = blocks::rule_for(b.block) else { return };
        if rule.config == blocks::ConfigKind::None || !value.fits(rule.config) {
            tracing::debug!(session, pos, "tile config rejected");
            return;
        }
        // Power nodes keep their links in the power modules of both ends, not in `config`.
        if crate::power::node_rule(b.block).is_some() {
            if crate::power::configure(&mut self.grid, pos, &value) {
                self.send(Target::All, Call::TileConfig { player: Some(pid), pos, value });
            }
            return;
        }
        // Bridges and mass drivers keep an absolute link: a relative `Point2` config is resolved against the
        // building's tile (`ItemBridge`/`MassDriver` `config(Point2.class, ...)`).
        b.config = match (&value, crate::records::keeps_absolute_link(b.block)) {
            (Value::Point(dx, dy), true) => {
                let (x, y) = grid::unpack(pos);
                Value::Int(grid::pack(x + dx, y + dy))
            }
            _ => value.clone(),
        };
        self.logic.config_changed(&self.grid, pos);
        self.send(Target::All, Call::TileConfig { player: Some(pid), pos, value });
    }

    fn rotate_block(&mut self, session: SessionId, pos: i32, direction: bool) {
        let Some(p) = self.player_by_session(session).filter(|p| p.confirmed) else { return };
        let (pid, team) = (p.id, p.team);
        let Some(b) = self.grid.building_mut(pos) else { return };
        if b.team != team || !blocks::rule_for(b.block).is_some_and(|r| r.rotate) {
            return;
        }
        b.rotation = if direction { (b.rotation + 3) % 4 } else { (b.rotation + 1) % 4 };
        self.send(Target::All, Call::RotateBlock { player: Some(pid), pos, direction });
    }

    fn request_block_snapshot(&mut self, session: SessionId, pos: i32) {
        let Some(p) = self.player_by_session(session) else { return };
        let (team, build) = (p.team, p.build);
        let Some(b) = self.grid.building(pos) else { return };
        if b.team != team {
            return;
        }
        // The runner holds processor and memory state; the record is written from the grid.
        self.logic.write_back_at(&mut self.grid, pos);
        if let Some((amount, data)) = sync::block_snapshots(&self.grid, std::iter::once(pos), build).into_iter().next()
        {
            self.send(Target::Session(session), Call::BlockSnapshot { amount, data: data.into() });
        }
    }

    /// Advances the world by one tick at `now`.
    pub fn tick(&mut self, now: Duration) {
        if self.state.tick == 0.0 && self.started.is_zero() {
            self.started = now;
        }
        self.now = now;
        let delta = GAME_TPS / self.tick_rate as f32;
        self.state.tick += f64::from(delta);
        if self.rules.wave_timer && self.ecs.player_count() > 0 {
            self.state.wave_countdown -= delta;
            if self.state.wave_countdown <= 0.0 {
                self.run_wave();
            }
        }
        self.update_units(delta);
        self.update_wave_units(delta);
        crate::logic::units::update(
            &mut self.ecs,
            &self.grid,
            &mut self.wave_ai.flow,
            &mut self.logic_units,
            self.rules.wave_team,
            delta,
        );
        self.update_building(delta);
        self.update_logic(delta);
        if self.last_snapshot.is_none_or(|t| now.saturating_sub(t) >= SNAPSHOT_INTERVAL) {
            self.last_snapshot = Some(now);
            self.snapshots();
        }
        if self.last_block_snapshot.is_none_or(|t| now.saturating_sub(t) >= BLOCK_SNAPSHOT_INTERVAL) {
            self.last_block_snapshot = Some(now);
            self.block_snapshots();
        }
    }

    /// Runs the world's processors (`logic`) and applies what they asked for.
    fn update_logic(&mut self, delta: f32) {
        let clock = crate::logic::Clock {
            now: self.now,
            tick: self.state.tick,
            wave: self.state.wave,
            wave_countdown: self.state.wave_countdown,
        };
        let spawns = self.wave_ai.spawn_tiles.get_or_insert_with(|| waves::spawn_tiles(&self.grid));
        let mut units = crate::logic::units::Units {
            ecs: &mut self.ecs,
            state: &mut self.logic_units,
            spawns,
            wave_team: self.rules.wave_team,
        };
        let out = self.logic.tick_with_units(&mut self.grid, Some(&mut units), &clock, delta);
        for (rule, value) in out.rules {
            match rule.as_str() {
                "waveSpacing" => self.rules.wave_spacing = (value * 60.0) as f32,
                "waveTimer" => self.rules.wave_timer = value != 0.0,
                "wave" => self.state.wave = value as i32,
                "currentWaveTime" => self.state.wave_countdown = (value * 60.0) as f32,
                _ => {}
            }
        }
        for call in out.calls {
            self.send(Target::All, call);
        }
        for wave in out.world.waves {
            match wave {
                // `logic.skipWave()`: runs the next wave
                None => self.run_wave(),
                Some((x, y, tile)) => self.spawn_wave_at(x, y, tile),
            }
        }
    }

    fn update_units(&mut self, _delta: f32) {
        // Respawn confirmed players without a unit (dead or never spawned) while their team has a core.
        let waiting: Vec<i32> = self.ecs.players().filter(|p| p.confirmed && p.unit.is_none()).map(|p| p.id).collect();
        for id in waiting {
            self.respawn(id);
        }
    }

    /// `BuilderComp.update` for every unit with plans: in range → begin, progress, finish.
    fn update_building(&mut self, delta: f32) {
        for unit_id in self.ecs.unit_ids() {
            let Some(u) = self.ecs.unit(unit_id) else { continue };
            if !u.update_building {
                continue;
            }
            let Some(plan) = u.plans.front().cloned() else { continue };
            let (ux, uy, team, speed) = (u.x, u.y, u.team, blocks::unit_stats(u.type_id).build_speed);
            let (px, py) = (plan.x as f32 * 8.0, plan.y as f32 * 8.0);
            if ((px - ux).powi(2) + (py - uy).powi(2)).sqrt() > blocks::BUILDING_RANGE {
                // Out of range: rotate it to the back, as the Java builder does.
                if let Some(u) = self.ecs.unit_mut(unit_id)
                    && u.plans.len() > 1
                    && let Some(p) = u.plans.pop_front()
                {
                    u.plans.push_back(p);
                }
                continue;
            }
            let done = if plan.breaking {
                self.step_deconstruct(unit_id, team, &plan, speed * delta)
            } else {
                self.step_construct(unit_id, team, &plan, speed * delta)
            };
            if done && let Some(u) = self.ecs.unit_mut(unit_id) {
                u.plans.pop_front();
            }
        }
    }

    /// Returns true when the plan is finished or impossible.
    fn step_construct(&mut self, unit: i32, team: u8, plan: &Plan, speed: f32) -> bool {
        let Some(rule) = blocks::rule_for(plan.block) else { return true };
        if rule.placement == blocks::Placement::Core {
            self.upgrade_core(unit, team, rule, plan);
            return true;
        }
        let pos = grid::pack(plan.x, plan.y);
        let site = self.grid.building(pos).map(|b| b.construction.as_ref().map(|c| (c.block, c.breaking)));
        match site {
            Some(Some((block, false))) if block == rule.id => self.progress_construct(unit, team, pos, rule, speed),
            Some(Some(_)) => true,
            _ => {
                // Free tiles, or finished buildings this block replaces (`Block.canReplace`): the replaced
                // buildings go and the construction site takes their place (`ConstructBlock.replace`).
                let Ok(replaced) = self.grid.valid_replace(rule, plan.x, plan.y, team, plan.rotation) else {
                    return true;
                };
                let rotation = plan.rotation % 4;
                let beginning = Call::BeginPlace {
                    unit,
                    block: rule.id,
                    team,
                    x: plan.x,
                    y: plan.y,
                    rotation,
                    config: plan.config.clone(),
                };
                // `Build.beginPlace`: the same rotatable block is only turned (`quickRotate`), no construction.
                if replaced == [pos]
                    && let Some(b) = self.grid.building_mut(pos)
                    && b.block == rule.id
                {
                    b.rotation = rotation;
                    self.send(Target::All, beginning);
                    return true;
                }
                for p in replaced {
                    self.grid.remove(p);
                }
                let mut b = Building::new(rule.id, team, plan.rotation % 4, rule.health);
                b.construction = Some(Construction {
                    block: rule.id,
                    progress: 0.0,
                    breaking: false,
                    paid: vec![0.0; rule.requirements.len()],
                    config: plan.config.clone(),
                });
                self.grid.put(plan.x, plan.y, rule.size, b);
                self.send(
                    Target::All,
                    Call::BeginPlace {
                        unit,
                        block: rule.id,
                        team,
                        x: plan.x,
                        y: plan.y,
                        rotation: plan.rotation % 4,
                        config: plan.config.clone(),
                    },
                );
                false
            }
        }
    }

    fn progress_construct(&mut self, unit: i32, team: u8, pos: i32, rule: &BlockRule, speed: f32) -> bool {
        let step = speed / rule.build_cost();
        let infinite = self.rules.infinite_resources;
        let Some(b) = self.grid.building(pos) else { return true };
        let Some(c) = b.construction.clone() else { return true };
        let target = (c.progress + step).min(1.0);
        // ConstructBuild.construct: items are taken as progress accumulates; missing items stall progress.
        let mut paid = c.paid.clone();
        let mut progress = target;
        if !infinite {
            let Some(items) = self.grid.core_items_mut(team) else { return false };
            let owed: Vec<i32> = rule
                .requirements
                .iter()
                .enumerate()
                .map(|(i, &(_, amount))| ((amount as f32 * target).ceil() - paid[i]).max(0.0) as i32)
                .collect();
            let affordable =
                rule.requirements.iter().zip(&owed).all(|(&(item, _), &n)| items.get(&item).copied().unwrap_or(0) >= n);
            if affordable {
                for (i, (&(item, _), &n)) in rule.requirements.iter().zip(&owed).enumerate() {
                    if n > 0 {
                        *items.entry(item).or_insert(0) -= n;
                        paid[i] += n as f32;
                    }
                }
            } else {
                // Not enough in the core: construction stalls until items arrive.
                progress = c.progress;
            }
        }
        // ConstructBuild.construct: `progress >= 1 || rules.infiniteResources` finishes (sandbox is instant).
        let finished = progress >= 1.0 || infinite;
        if let Some(b) = self.grid.building_mut(pos)
            && let Some(site) = b.construction.as_mut()
        {
            site.progress = progress.max(site.progress);
            site.paid = paid;
        }
        if finished {
            self.grid.note_construction_change(pos);
            let Some(b) = self.grid.building_mut(pos) else { return true };
            let config = b.construction.take().map(|c| c.config).unwrap_or_default();
            let node = crate::power::node_rule(rule.id).is_some();
            if !node {
                b.config = config.clone();
            }
            b.health = rule.health;
            let rotation = b.rotation;
            if node {
                // `constructFinish` applies the plan's config (`configured`); clients apply it themselves.
                crate::power::configure(&mut self.grid, pos, &config);
            }
            self.send(Target::All, Call::ConstructFinish { pos, block: rule.id, unit, rotation, team, config });
            if node {
                // `PowerNodeBuild.placed()`: the server links the new node and announces each link.
                for link in crate::power::auto_link(&mut self.grid, pos) {
                    self.send(Target::All, Call::TileConfig { player: None, pos, value: Value::Int(link) });
                }
            }
        }
        finished
    }

    fn step_deconstruct(&mut self, unit: i32, team: u8, plan: &Plan, speed: f32) -> bool {
        let Ok(pos) = self.grid.valid_break(team, plan.x, plan.y) else { return true };
        let Some(b) = self.grid.building(pos) else { return true };
        let block = b.block;
        let rule = blocks::rule_for(block);
        let cost = rule.map_or(20.0, BlockRule::build_cost);
        match &b.construction {
            Some(c) if c.breaking => {}
            _ => {
                // Build.beginBreak: the building becomes a deconstruction site at the progress it had.
                let progress = b.construction.as_ref().map_or(1.0, |c| c.progress);
                let paid = b.construction.as_ref().map(|c| c.paid.clone()).unwrap_or_else(|| {
                    rule.map(|r| r.requirements.iter().map(|&(_, n)| n as f32).collect()).unwrap_or_default()
                });
                self.grid.note_construction_change(pos);
                if let Some(b) = self.grid.building_mut(pos) {
                    b.construction = Some(Construction { block, progress, breaking: true, paid, config: Value::Null });
                }
                self.send(Target::All, Call::BeginBreak { unit, team, x: plan.x, y: plan.y });
                return false;
            }
        }
        let Some(b) = self.grid.building_mut(pos) else { return true };
        let Some(c) = b.construction.as_mut() else { return true };
        c.progress -= speed / cost;
        // ConstructBuild.deconstruct: `progress <= 0 || rules.infiniteResources` finishes.
        if c.progress > 0.0 && !self.rules.infinite_resources {
            return false;
        }
        let paid = c.paid.clone();
        self.grid.remove(pos);
        if let Some(rule) = rule
            && !self.rules.infinite_resources
            && let Some(items) = self.grid.core_items_mut(team)
        {
            // ConstructBuild.deconstruct refunds deconstructRefundMultiplier of what was paid.
            for (i, &(item, _)) in rule.requirements.iter().enumerate() {
                let refund = (paid.get(i).copied().unwrap_or(0.0) * blocks::DECONSTRUCT_REFUND).floor() as i32;
                if refund > 0 {
                    *items.entry(item).or_insert(0) += refund;
                }
            }
        }
        self.send(Target::All, Call::DeconstructFinish { pos, block, unit });
        true
    }

    fn snapshots(&mut self) {
        if self.ecs.player_count() == 0 {
            return;
        }
        let mut state = sync::state_snapshot(&self.state, &self.grid, self.tick_rate);
        state.enemies = self.enemy_count() as i32;
        self.send(Target::All, Call::StateSnapshot(state));
        let builds: Vec<u32> = {
            let mut b: Vec<u32> = self.ecs.players().filter(|p| p.confirmed).map(|p| p.build).collect();
            b.sort_unstable();
            b.dedup();
            b
        };
        for build in builds {
            for (amount, data) in sync::entity_snapshots(&self.ecs, build) {
                self.send(Target::Build(build), Call::EntitySnapshot { amount, data: data.into() });
            }
        }
    }

    fn block_snapshots(&mut self) {
        if self.ecs.player_count() == 0 {
            return;
        }
        // NetServer.writeBlockSnapshots: every building whose block has `sync = true` (BlockFlag.synced), team
        // by team; construction sites are ConstructBlocks, which are synced too.
        let mut synced: Vec<(u8, i32)> =
            self.grid.buildings().filter(|(_, b)| sync::is_synced(b)).map(|(p, b)| (b.team, p)).collect();
        synced.sort_unstable();
        let synced: Vec<i32> = synced.into_iter().map(|(_, p)| p).collect();
        for &pos in &synced {
            self.logic.write_back_at(&mut self.grid, pos);
        }
        let builds: Vec<u32> = {
            let mut b: Vec<u32> = self.ecs.players().filter(|p| p.confirmed).map(|p| p.build).collect();
            b.sort_unstable();
            b.dedup();
            b
        };
        for build in builds {
            for (amount, data) in sync::block_snapshots(&self.grid, synced.iter().copied(), build) {
                self.send(Target::Build(build), Call::BlockSnapshot { amount, data: data.into() });
            }
        }
    }

    /// Items of `team`'s core (for the console and tests).
    pub fn core_items(&self, team: u8) -> BTreeMap<u16, i32> {
        self.grid.core_of(team).map(|(_, b)| b.items.clone()).unwrap_or_default()
    }
}

// ------------------------------------------------------------------------------------------------------------
// core upgrades (CoreBlock.canPlaceOn, beforePlaceBegan, placeBegan)

impl Sim {
    /// `CoreBlock.canPlaceOn` for a plan of a core block: the plan's tile is the origin of a finished core of the
    /// same team that is smaller, the larger footprint is inside the map and free apart from that core, and the
    /// team's core holds the requirements (unless resources are infinite). Core-zone floors are not modelled.
    fn core_upgrade_check(&self, team: u8, rule: &BlockRule, plan: &Plan) -> Result<(), grid::PlaceError> {
        let pos = grid::pack(plan.x, plan.y);
        let old = self.grid.building(pos).ok_or(grid::PlaceError::CannotPlaceOn)?;
        let old_size = crate::records::block_size(old.block);
        if old.team != team
            || old.construction.is_some()
            || blocks::core_unit(old.block).is_none()
            || old_size >= rule.size
        {
            return Err(grid::PlaceError::CannotPlaceOn);
        }
        for (x, y) in Grid::footprint(plan.x, plan.y, rule.size) {
            let t = self.grid.tile(x, y).ok_or(grid::PlaceError::OutOfBounds)?;
            if t.building.is_some_and(|p| p != pos) || self.grid.static_walls.contains(&t.block) {
                return Err(grid::PlaceError::Occupied);
            }
        }
        let items = &old.items;
        if !self.rules.infinite_resources
            && rule.requirements.iter().any(|&(item, n)| items.get(&item).copied().unwrap_or(0) < n as i32)
        {
            return Err(grid::PlaceError::CannotPlaceOn);
        }
        Ok(())
    }

    /// A core upgrade happens at once (`CoreBlock.placeBegan` with a core as the previous block): the
    /// requirements leave the core, the larger core takes its place with the remaining items, and clients get
    /// `beginPlace` and `constructFinish`.
    fn upgrade_core(&mut self, unit: i32, team: u8, rule: &BlockRule, plan: &Plan) {
        if self.core_upgrade_check(team, rule, plan).is_err() {
            return;
        }
        let pos = grid::pack(plan.x, plan.y);
        let Some(mut old) = self.grid.remove(pos) else { return };
        if !self.rules.infinite_resources {
            for &(item, n) in &rule.requirements {
                *old.items.entry(item).or_insert(0) -= n as i32;
            }
        }
        let mut core = Building::new(rule.id, team, 0, rule.health);
        core.items = old.items.clone();
        if !self.grid.put(plan.x, plan.y, rule.size, core) {
            // Cannot happen after the check; put the old core back rather than lose it.
            let size = crate::records::block_size(old.block);
            self.grid.put(plan.x, plan.y, size, old);
            return;
        }
        let (x, y) = (plan.x, plan.y);
        self.send(Target::All, Call::BeginPlace { unit, block: rule.id, team, x, y, rotation: 0, config: Value::Null });
        self.send(
            Target::All,
            Call::ConstructFinish { pos, block: rule.id, unit, rotation: 0, team, config: Value::Null },
        );
        self.log(format!("Core at {x},{y} upgraded to {}.", rule.name));
    }
}

// ------------------------------------------------------------------------------------------------------------
// waves (WaveSpawner, the wave countdown's end, the minimal wave-unit AI; facts and path finding in `waves`)

impl Sim {
    /// Living units of the wave team (`state.enemies`).
    pub fn enemy_count(&self) -> usize {
        let team = self.rules.wave_team;
        self.ecs.units().filter(|u| u.team == team && u.controller < 0).count()
    }

    /// `Logic.runWave`: spawns the current wave (`WaveSpawner.spawnEnemies` for `wave - 1`), advances the wave
    /// and restarts the countdown. Also the console's `runwave`.
    pub fn run_wave(&mut self) {
        let tiles = match &self.wave_ai.spawn_tiles {
            Some(t) => t.clone(),
            None => {
                let t = waves::spawn_tiles(&self.grid);
                self.wave_ai.spawn_tiles = Some(t.clone());
                t
            }
        };
        let wave = self.state.wave - 1;
        let mut spawned = 0;
        for group in self.rules.spawns.clone() {
            let Some(facts) = waves::unit_type_named(&group.unit_type) else { continue };
            let count = group.spawned(wave);
            for &tile in tiles.iter().filter(|t| group.spawn < 0 || group.spawn == grid::pack(t.0, t.1)) {
                for _ in 0..count {
                    if self.ecs.unit_count() >= waves::MAX_WAVE_UNITS {
                        break;
                    }
                    let (x, y) = if facts.flying {
                        let (fx, fy) = waves::flyer_spawn(&self.grid, tile);
                        (fx + self.random_range(40.0 / 1.5), fy + self.random_range(40.0 / 1.5))
                    } else {
                        // Tmp.v1.rnd(spread): a random direction, `spread` (2 tiles) long.
                        let angle = self.random_range(std::f32::consts::PI);
                        (tile.0 as f32 * 8.0 + angle.cos() * 16.0, tile.1 as f32 * 8.0 + angle.sin() * 16.0)
                    };
                    self.insert_wave_unit(facts, group.shield(wave), x, y);
                    spawned += 1;
                }
            }
        }
        self.log(format!("Wave {} spawned {spawned} units at {} spawn points.", self.state.wave, tiles.len()));
        self.state.wave += 1;
        self.state.wave_countdown = self.rules.wave_spacing;
    }

    /// One unit of a wave group for the wave team at (`x`, `y`).
    fn insert_wave_unit(&mut self, facts: &waves::UnitTypeFacts, shield: f32, x: f32, y: f32) -> i32 {
        let id = self.ecs.allocate_id();
        let mut u = UnitState::for_tests(id, -1);
        u.type_id = facts.id;
        u.class_id = facts.class_id;
        u.flying = facts.flying;
        u.team = self.rules.wave_team;
        u.health = facts.health;
        u.shield = shield;
        u.spawned_by_core = false;
        u.update_building = false;
        (u.x, u.y) = (x, y);
        self.ecs.insert_unit(u);
        id
    }

    /// `spawnwave x y false` (`SpawnWaveI`): every spawn group's units of the current wave (`state.wave - 1`)
    /// around world position (`x`, `y`) (a random offset up to 2 tiles, as `Tmp.v1.rnd(spread)`), without
    /// advancing the wave or touching the countdown; a group bound to one spawn point spawns only when `tile`
    /// (packed) is that point.
    pub fn spawn_wave_at(&mut self, x: f32, y: f32, tile: i32) {
        let wave = self.state.wave - 1;
        for group in self.rules.spawns.clone() {
            if group.spawn != -1 && group.spawn != tile {
                continue;
            }
            let Some(facts) = waves::unit_type_named(&group.unit_type) else { continue };
            for _ in 0..group.spawned(wave) {
                if self.ecs.unit_count() >= waves::MAX_WAVE_UNITS {
                    return;
                }
                let angle = self.random_range(std::f32::consts::PI);
                let (ux, uy) = (x + angle.cos() * 16.0, y + angle.sin() * 16.0);
                let id = self.insert_wave_unit(facts, group.shield(wave), ux, uy);
                // `spawner.spawnEffect(unit)`: facing the map's centre, and the spawn animation on clients
                let (cx, cy) = (self.grid.width() as f32 * 4.0, self.grid.height() as f32 * 4.0);
                let rotation = (cy - uy).atan2(cx - ux).to_degrees().rem_euclid(360.0);
                if let Some(u) = self.ecs.unit_mut(id) {
                    u.rotation = rotation;
                }
                // unit type ids are build-159 ones (no build-154 unit table here): 159 clients only
                self.send(Target::Build(159), Call::SpawnEffect { x: ux, y: uy, rotation, unit_type: facts.id });
            }
        }
    }

    /// A uniform value in `-range..range` from the world's RNG state (xorshift128+ over `state.rand`).
    fn random_range(&mut self, range: f32) -> f32 {
        let (mut s1, s0) = (self.state.rand.0 as u64, self.state.rand.1 as u64);
        s1 ^= s1 << 23;
        s1 = s1 ^ s0 ^ (s1 >> 17) ^ (s0 >> 26);
        self.state.rand = (s0 as i64, s1 as i64);
        let unit = (s0.wrapping_add(s1) >> 40) as f32 / (1u64 << 24) as f32;
        (unit * 2.0 - 1.0) * range
    }

    /// Moves wave units toward the nearest player-team core: ground units along the flow field, flyers in a
    /// straight line; both stop next to the core (there is no combat yet).
    fn update_wave_units(&mut self, delta: f32) {
        // Only the wave team's units walk to the enemy cores; AI units of other teams (spawned by world
        // processors) stand until a processor commands them (Java's CommandAI without a command).
        let wave_team = self.rules.wave_team;
        let ids: Vec<i32> = self
            .ecs
            .units()
            .filter(|u| u.controller < 0 && u.logic.is_none() && u.team == wave_team)
            .map(|u| u.id)
            .collect();
        if ids.is_empty() {
            return;
        }
        let targets: Vec<u8> = self.grid.core_teams().into_iter().filter(|t| *t != self.rules.wave_team).collect();
        if self.wave_ai.flow.as_ref().is_none_or(|f| f.version != self.grid.layout_version()) {
            self.wave_ai.flow = Some(waves::FlowField::new(&self.grid, &targets));
        }
        let Some(flow) = self.wave_ai.flow.as_ref() else { return };
        for id in ids {
            let Some(u) = self.ecs.unit_mut(id) else { continue };
            let speed = waves::unit_type(u.type_id).map_or(0.5, |f| f.speed) * delta;
            let goal = if u.flying {
                flow.cores
                    .iter()
                    .map(|&(cx, cy, size)| (cx as f32 * 8.0, cy as f32 * 8.0, f32::from(size) * 4.0 + 16.0))
                    .min_by(|a, b| {
                        let da = (a.0 - u.x).powi(2) + (a.1 - u.y).powi(2);
                        let db = (b.0 - u.x).powi(2) + (b.1 - u.y).powi(2);
                        da.total_cmp(&db)
                    })
                    .filter(|&(cx, cy, stop)| ((cx - u.x).powi(2) + (cy - u.y).powi(2)).sqrt() > stop)
                    .map(|(cx, cy, _)| (cx, cy))
            } else {
                flow.next_step(u.x, u.y)
            };
            let Some((gx, gy)) = goal else {
                u.vel = (0.0, 0.0);
                continue;
            };
            let (dx, dy) = (gx - u.x, gy - u.y);
            let len = (dx * dx + dy * dy).sqrt();
            let step = speed.min(len);
            let (vx, vy) = if len > 0.0 { (dx / len * step, dy / len * step) } else { (0.0, 0.0) };
            u.x += vx;
            u.y += vy;
            u.vel = (vx, vy);
            if len > 0.0 {
                u.rotation = dy.atan2(dx).to_degrees();
            }
        }
    }
}

/// `Team.color` hex (RRGGBBAA) of the common teams.
fn team_color(team: u8) -> &'static str {
    match team {
        1 => "ffd37fff",
        2 => "f25555ff",
        3 => "a27ce5ff",
        4 => "54d67dff",
        5 => "6c87fdff",
        _ => "4d4e58ff",
    }
}
