//! Prints the building-record layouts the Java game saved in a directory of maps: per block name and observed
//! (revision, module mask, tail length) the count and the first tail in hex. The source of the `rev`, `mask`
//! and `tail` columns of `gameserver/src/blocks.tsv`.
//!
//! `cargo run -p multidustry-gameserver --example scan -- ../shared/data/maps`

use std::collections::BTreeMap;
use std::path::Path;

use multidustry_protocol::io::Reader;
use multidustry_world::{ContentType, World};

type Layouts = BTreeMap<String, BTreeMap<(u8, u8, usize), (usize, String)>>;

fn scan(dir: &Path, out: &mut Layouts) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            scan(&p, out);
            continue;
        }
        if p.extension().is_none_or(|x| x != "msav") {
            continue;
        }
        let Ok(bytes) = std::fs::read(&p) else { continue };
        let Ok(w) = World::read_msav(&bytes) else { continue };
        for (&i, b) in &w.tiles.buildings {
            let name = w.content.name(ContentType::BLOCK, w.tiles.block[i as usize]).unwrap_or("?").to_string();
            let mut r = Reader::new(&b.record);
            let Ok(rev) = r.u8() else { continue };
            if multidustry_gameserver::records::read_base(&mut r).is_err() {
                continue;
            }
            let mask = b.record.get(9).copied().unwrap_or(0) & 15;
            let tail = &b.record[r.position()..];
            let hex: String = tail.iter().take(260).map(|x| format!("{x:02x}")).collect();
            out.entry(name).or_default().entry((rev, mask, tail.len())).or_insert((0, hex)).0 += 1;
        }
    }
}

fn main() {
    let dir = std::env::args().nth(1).unwrap_or_else(|| "../shared/data/maps".into());
    let mut layouts = Layouts::new();
    scan(Path::new(&dir), &mut layouts);
    for (name, m) in layouts {
        for ((rev, mask, len), (count, hex)) in m {
            println!("{name}\trev{rev}\tmask{mask}\ttail{len}\tx{count}\t{hex}");
        }
    }
}
