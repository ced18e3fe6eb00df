//! The facts table against the Java game's own saves: every placeable block's default record layout
//! (revision, module mask, tail length) must be one the Java game wrote for that block in an official map.

use std::collections::{BTreeMap, BTreeSet};

use multidustry_gameserver::blocks;
use multidustry_protocol::io::Reader;
use multidustry_world::{ContentType, World};

/// (revision, module mask & 15, tail length) of a modern record.
fn layout(rec: &[u8]) -> Option<(u8, u8, usize)> {
    let mut r = Reader::new(rec);
    let rev = r.u8().ok()?;
    multidustry_gameserver::records::read_base(&mut r).ok()?;
    let mut m = Reader::new(rec);
    m.skip(7).ok()?;
    let version = m.u8().ok()?;
    m.u8().ok()?; // enabled
    let mask = if version >= 2 { m.u8().ok()? } else { 0 };
    Some((rev, mask & 15, r.remaining()))
}

#[test]
fn default_records_match_the_layouts_java_saves() {
    let Some(dir) = multidustry_testdata::dir() else { return };
    let mut seen: BTreeMap<String, BTreeSet<(u8, u8, usize)>> = BTreeMap::new();
    for sub in ["maps/default", "maps/serpulo", "maps/serpulo/hidden", "maps/erekir", "captures/b154/world"] {
        let Ok(entries) = std::fs::read_dir(dir.join(sub)) else { continue };
        for e in entries.flatten().filter(|e| e.path().extension().is_some_and(|x| x == "msav")) {
            let Ok(world) = World::read_msav(&std::fs::read(e.path()).expect("read")) else { continue };
            for (&i, b) in &world.tiles.buildings {
                let name = world.content.name(ContentType::BLOCK, world.tiles.block[i as usize]).unwrap_or("?");
                if let Some(l) = layout(&b.record) {
                    // Processors share one class (LogicBlock): pool their layouts.
                    let key = if name.ends_with("-processor") { "processor" } else { name };
                    seen.entry(key.to_string()).or_default().insert(l);
                }
            }
        }
    }
    // Records whose tail length depends on their content (message text, processor code and variables) match on
    // revision and mask only (processors: the revision build 154 saves, which 159 reads as well).
    let variable = ["message"];
    let mut checked = 0;
    let mut wrong = Vec::new();
    for rule in blocks::rules() {
        let key = if rule.name.ends_with("-processor") { "processor" } else { rule.name };
        let Some(observed) = seen.get(key) else { continue };
        checked += 1;
        let ours = (rule.record.revision, rule.record.mask, rule.record.tail.len());
        let ok = if key == "processor" {
            // Pooled over the processor blocks, whose modules differ (hyper has liquids): revision only.
            observed.iter().any(|&(r, _, _)| r == ours.0)
        } else if variable.contains(&rule.name) {
            observed.iter().any(|&(r, m, _)| (r, m) == (ours.0, ours.1))
        } else {
            observed.contains(&ours)
        };
        if !ok {
            wrong.push(format!("{}: ours {ours:?}, Java {observed:?}", rule.name));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    assert!(checked >= 100, "only {checked} table blocks occur in the maps");
}
