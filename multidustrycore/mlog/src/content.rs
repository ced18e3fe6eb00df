//! Names the parser resolves to constants, and the content table behind `lookup` and `@copper`-style constants.
//!
//! Owns: [`ContentTable`] (item/liquid/block/unit names by content id and the logic-id order used by `lookup`),
//! filled by its host (names pushed in content-id order, or loaded from tab-separated text), with logic ids from
//! text or from the built-in tables of builds 154/159 ([`crate::logicids`], [`ContentTable::set_build_logic_ids`]);
//! the sensor-key names ([`SENSORS`]); team names; the fixed global constants. Does not own: the content names
//! of a build — hosts supply them (the gameserver from the world crate's tables, tools from a data directory);
//! an empty table is valid (every `@item` name is then a plain variable and `lookup` returns null).
//!
//! Invariant: content ids stored in `Value::Content` index into the table's name lists.

use std::collections::HashMap;

use crate::value::{ContentKind, Value};

/// Sensor keys (LAccess names, the union across builds). `Value::Sensor(i)` is `SENSORS[i]`.
pub const SENSORS: &[&str] = &[
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
    "maxUnits",
    "id",
    "enabled",
    "shoot",
    "shootp",
    "config",
    "color",
];

/// Index of a sensor name in [`SENSORS`].
#[must_use]
pub fn sensor_index(name: &str) -> Option<u16> {
    SENSORS.iter().position(|s| *s == name).and_then(|i| u16::try_from(i).ok())
}

/// Team names by team id.
pub const TEAMS: &[&str] = &["derelict", "sharded", "crux", "malis", "green", "blue", "neoplastic"];

/// Item, liquid, block and unit names, and the logic-id order of each kind.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContentTable {
    names: [Vec<String>; 4],
    by_name: [HashMap<String, u16>; 4],
    logic: [Vec<u16>; 4],
}

fn kind_index(k: ContentKind) -> usize {
    match k {
        ContentKind::Item => 0,
        ContentKind::Liquid => 1,
        ContentKind::Block => 2,
        ContentKind::Unit => 3,
    }
}

const KINDS: [ContentKind; 4] = [ContentKind::Item, ContentKind::Liquid, ContentKind::Block, ContentKind::Unit];

impl ContentTable {
    /// Empty table: no content constants, every `lookup` is null.
    #[must_use]
    pub fn empty() -> Self {
        Self::default()
    }

    /// Adds one content entry in content-id order for its kind; returns its content id.
    pub fn push(&mut self, kind: ContentKind, name: &str) -> u16 {
        let k = kind_index(kind);
        let id = u16::try_from(self.names[k].len()).unwrap_or(u16::MAX);
        self.names[k].push(name.to_string());
        self.by_name[k].entry(name.to_string()).or_insert(id);
        id
    }

    /// Loads names from `id<TAB>name` tables (first line a header; extra columns ignored) per kind, and the logic
    /// ids from a `content_type<TAB>logic_id<TAB>name` table. Lines that do not parse are skipped. Logic ids
    /// that name unknown content are appended as new entries so `lookup` still finds them.
    #[must_use]
    pub fn from_tsv(items: &str, liquids: &str, blocks: &str, units: &str, logic_ids: &str) -> Self {
        let mut t = Self::default();
        for (kind, text) in KINDS.iter().zip([items, liquids, blocks, units]) {
            let mut rows: Vec<(u32, &str)> = text
                .lines()
                .skip(1)
                .filter_map(|l| {
                    let mut f = l.split('\t');
                    Some((f.next()?.trim().parse().ok()?, f.next()?.trim()))
                })
                .collect();
            rows.sort_by_key(|r| r.0);
            for (_, name) in rows {
                t.push(*kind, name);
            }
        }
        let mut logic: Vec<(ContentKind, u32, &str)> = logic_ids
            .lines()
            .skip(1)
            .filter_map(|l| {
                let mut f = l.split('\t');
                let kind = ContentKind::parse(f.next()?.trim())?;
                Some((kind, f.next()?.trim().parse().ok()?, f.next()?.trim()))
            })
            .collect();
        logic.sort_by_key(|r| r.1);
        for (kind, logic_id, name) in logic {
            let k = kind_index(kind);
            let id = match t.by_name[k].get(name) {
                Some(id) => *id,
                None => t.push(kind, name),
            };
            let li = logic_id as usize;
            if li >= t.logic[k].len() {
                if li > 65_535 {
                    continue;
                }
                t.logic[k].resize(li + 1, u16::MAX);
            }
            t.logic[k][li] = id;
        }
        t
    }

    /// Replaces the logic ids of `kind` with `names` (index = logic id), as `GlobalVars.init` reads one type of
    /// `logicids.dat`. A name the table lacks is added as new content so `lookup` still finds it.
    pub fn set_logic_ids(&mut self, kind: ContentKind, names: &[&str]) {
        let k = kind_index(kind);
        let ids: Vec<u16> = names
            .iter()
            .map(|name| match self.by_name[k].get(*name) {
                Some(id) => *id,
                None => self.push(kind, name),
            })
            .collect();
        self.logic[k] = ids;
    }

    /// Loads the logic-id table of `build` ([`crate::logicids`]) for all four kinds.
    pub fn set_build_logic_ids(&mut self, build: crate::ir::Build) {
        let ids = crate::logicids::for_build(build);
        for kind in crate::logicids::LOOKABLE {
            self.set_logic_ids(kind, ids.names(kind));
        }
    }

    /// `sensor @id` of a content object (`GlobalVars.lookupLogicId`): its logic id; `0` for content the table
    /// of its kind does not list (the game's id array defaults to 0); `-1` when no table is loaded for the kind.
    #[must_use]
    pub fn sensed_logic_id(&self, kind: ContentKind, id: u16) -> f64 {
        if self.logic[kind_index(kind)].is_empty() {
            return -1.0;
        }
        self.logic_id(kind, id).map_or(0.0, |l| l as f64)
    }

    /// Name of a content object.
    #[must_use]
    pub fn name(&self, kind: ContentKind, id: u16) -> Option<&str> {
        self.names[kind_index(kind)].get(id as usize).map(String::as_str)
    }

    /// Content by name.
    #[must_use]
    pub fn by_name(&self, kind: ContentKind, name: &str) -> Option<u16> {
        self.by_name[kind_index(kind)].get(name).copied()
    }

    /// `lookup kind id`: content by logic id, null when out of range.
    #[must_use]
    pub fn lookup(&self, kind: ContentKind, logic_id: f64) -> Value {
        let k = kind_index(kind);
        let i = logic_id as i64;
        match usize::try_from(i).ok().and_then(|i| self.logic[k].get(i)) {
            Some(&id) if id != u16::MAX => Value::Content(kind, id),
            _ => Value::Null,
        }
    }

    /// Number of logic ids of a kind (`@itemCount`, ...).
    #[must_use]
    pub fn logic_count(&self, kind: ContentKind) -> usize {
        self.logic[kind_index(kind)].len()
    }

    /// The logic id of a content object (`sensor @id`).
    #[must_use]
    pub fn logic_id(&self, kind: ContentKind, id: u16) -> Option<usize> {
        self.logic[kind_index(kind)].iter().position(|x| *x == id)
    }

    /// `@name` → content constant: items, liquids, units, then blocks not sharing an item's/liquid's name.
    #[must_use]
    pub fn resolve(&self, name: &str) -> Option<Value> {
        for kind in [ContentKind::Item, ContentKind::Liquid, ContentKind::Unit, ContentKind::Block] {
            if let Some(id) = self.by_name(kind, name) {
                return Some(Value::Content(kind, id));
            }
        }
        None
    }
}

/// Fixed global constants (`true`, `@pi`, `@ctrlProcessor`, team names, sensor keys, counts). Content names
/// come from `content`. Returns `None` for anything that is a variable.
#[must_use]
pub fn global_constant(name: &str, content: &ContentTable) -> Option<Value> {
    let num = |v: f64| Some(Value::Num(v));
    match name {
        "true" => return num(1.0),
        "false" => return num(0.0),
        "null" => return Some(Value::Null),
        "@pi" | "π" => return num(std::f64::consts::PI),
        "@e" => return num(std::f64::consts::E),
        "@degToRad" => return num(std::f64::consts::PI / 180.0),
        "@radToDeg" => return num(180.0 / std::f64::consts::PI),
        "@ctrlProcessor" => return num(1.0),
        "@ctrlPlayer" => return num(2.0),
        "@ctrlCommand" => return num(3.0),
        "@itemCount" => return num(content.logic_count(ContentKind::Item) as f64),
        "@liquidCount" => return num(content.logic_count(ContentKind::Liquid) as f64),
        "@blockCount" => return num(content.logic_count(ContentKind::Block) as f64),
        "@unitCount" => return num(content.logic_count(ContentKind::Unit) as f64),
        "@solid" => return Some(Value::Key(0)),
        _ => {}
    }
    let rest = name.strip_prefix('@')?;
    if let Some(t) = TEAMS.iter().position(|t| *t == rest) {
        return Some(Value::Team(t as u8));
    }
    if let Some(s) = sensor_index(rest) {
        return Some(Value::Sensor(s));
    }
    if rest == "configure" {
        return sensor_index("config").map(Value::Sensor);
    }
    content.resolve(rest)
}
