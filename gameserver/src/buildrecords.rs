//! Building records per client build: converting records written in build 159's layout into the layout a
//! build-154 client reads, for world streams (and anything else that sends a [`World`] to an older client).
//!
//! Owns: the list of block classes whose record layout differs between builds 154 and 159 as far as verified,
//! and their conversion. Verified differences (Java source of the `read`/`write`/`version` methods, and the
//! revisions found in the captured saves: the b154 server's own saves hold `LogicBlock` records at revision 3,
//! the build-159.7 official maps and the b159 server save at revision 4):
//!
//! | class | 159 | 154 | conversion |
//! |---|---|---|---|
//! | `LogicBlock` (processors, world processor) | revision 4: revision-3 tail + `u16` n × (`u16` index, `f32` wait time) + `f32` accumulator | revision ≤ 3 | drop the wait timers and the accumulator, write revision 3 |
//!
//! Every other class the captures of both builds hold (`Conveyor`, `CoreBlock`, `Drill`, `ItemTurret`,
//! `Router`, `Wall`) has the same revision in both; classes absent from the 154 captures are passed unchanged
//! (not verified: the 154 source was not at hand).
//!
//! Does not own: the record layouts themselves (`records`, `logic::record`), content ids (the stream's content
//! header names every block, so ids need no translation).
//!
//! Invariants: a record that does not parse is passed unchanged (never a panic); conversion to build 159 is the
//! identity.

use std::borrow::Cow;

use multidustry_world::{Build, ContentTable, World};

use crate::logic::record::{read_processor, write_processor};

/// The Java class of block `id` in `world`'s content header (build-159 content facts, by name).
fn class_of(world: &World, id: u16) -> Option<(&'static str, &'static str)> {
    let name = world.block_name(id)?;
    let facts = ContentTable::for_build(Build::V159).block_by_name(name)?;
    Some((facts.class, facts.name))
}

/// The record `record` of a building of Java class `class` (block `name`) as build `to` reads it; `None` when
/// it needs no change (or does not parse).
pub fn convert_record(class: &str, name: &str, record: &[u8], to: Build) -> Option<Vec<u8>> {
    if to != Build::V154 || class != "LogicBlock" {
        return None;
    }
    let revision = *record.first()?;
    if revision < 4 {
        return None;
    }
    let base_len = crate::records::base_len(record).ok()?;
    let (base, tail) = record.split_at(base_len);
    let privileged = name == "world-processor";
    let parsed = read_processor(tail, revision, privileged).ok()?;
    let mut out = Vec::with_capacity(record.len());
    out.push(3);
    out.extend_from_slice(base.get(1..)?);
    out.extend_from_slice(&write_processor(&parsed, privileged, 3));
    Some(out)
}

/// `world` with every building record in the layout of `build` (borrowed when nothing changes).
pub fn for_build(world: &World, build: Build) -> Cow<'_, World> {
    if build != Build::V154 {
        return Cow::Borrowed(world);
    }
    let mut changed: Vec<(u32, Vec<u8>)> = Vec::new();
    for (&index, b) in &world.tiles.buildings {
        if b.format != multidustry_world::tiles::RecordFormat::Modern {
            continue;
        }
        let Some(&block) = world.tiles.block.get(index as usize) else { continue };
        let Some((class, name)) = class_of(world, block) else { continue };
        if let Some(record) = convert_record(class, name, &b.record, build) {
            changed.push((index, record));
        }
    }
    if changed.is_empty() {
        return Cow::Borrowed(world);
    }
    let mut out = world.clone();
    for (index, record) in changed {
        if let Some(b) = out.tiles.buildings.get_mut(&index) {
            b.record = record;
        }
    }
    Cow::Owned(out)
}
