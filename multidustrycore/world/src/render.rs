//! Top-down pictures of a world (`multidustry map render`).
//!
//! Owns: a small hand-made palette by block name and category (floors, ores, environment walls, buildings
//! coloured by team) and PNG encoding. Not the game's sprites or its colour tables.
//!
//! Invariants: one pixel per tile times `scale`; north (high y) is at the top of the picture, as in the game.

use crate::content::{ContentTable, ContentType, legacy_block_name};
use crate::{Build, World, WorldError};

/// Largest accepted scale (pixels per tile).
pub const MAX_SCALE: u32 = 16;

/// Colour of a team (the game's team colours for the six named teams, a hashed hue otherwise).
pub fn team_color(team: u8) -> [u8; 3] {
    match team {
        0 => [0x4d, 0x4e, 0x58],
        1 => [0xff, 0xd3, 0x7f],
        2 => [0xf2, 0x55, 0x55],
        3 => [0xa2, 0x7c, 0xe5],
        4 => [0x54, 0xd6, 0x7d],
        5 => [0x6c, 0x87, 0xfd],
        t => {
            let h = u32::from(t).wrapping_mul(2_654_435_761);
            [(h >> 24) as u8 | 0x40, (h >> 16) as u8 | 0x40, (h >> 8) as u8 | 0x40]
        }
    }
}

/// Colour of a floor or overlay by name.
pub fn floor_color(name: &str) -> [u8; 3] {
    let has = |s: &str| name.contains(s);
    match name {
        "deep-water" | "deep-tainted-water" => [0x2b, 0x4a, 0x8f],
        n if n.starts_with("ore-") || n.starts_with("wall-ore-") => ore_color(n),
        "spawn" => [0xff, 0x30, 0x30],
        _ if has("tar") => [0x31, 0x2d, 0x35],
        _ if has("water") => [0x4a, 0x72, 0xc4],
        _ if has("slag") || has("magma") => [0xe0, 0x70, 0x30],
        _ if has("cryofluid") => [0x7f, 0xd8, 0xe8],
        _ if has("darksand") => [0x5a, 0x50, 0x46],
        _ if has("sand") => [0xd6, 0xc0, 0x8a],
        _ if has("grass") || has("moss") => [0x5e, 0x9a, 0x4e],
        _ if has("snow") => [0xe8, 0xee, 0xf4],
        _ if has("ice") => [0xb4, 0xd8, 0xf0],
        _ if has("salt") => [0xd8, 0xd8, 0xd0],
        _ if has("dirt") || has("mud") => [0x7a, 0x5a, 0x40],
        _ if has("spore") => [0x6a, 0x48, 0x8a],
        _ if has("basalt") || has("char") => [0x3e, 0x3e, 0x44],
        _ if has("metal") || has("dark-panel") => [0x6a, 0x6e, 0x78],
        _ if has("shale") => [0x8a, 0x5a, 0x48],
        _ if has("crater") => [0x70, 0x70, 0x70],
        _ if has("hotrock") => [0xb0, 0x50, 0x30],
        _ if has("dacite") => [0xa0, 0xa0, 0x98],
        _ if has("rhyolite") || has("regolith") || has("yellow") => [0x9a, 0x70, 0x48],
        _ if has("arkyic") || has("beryllic") || has("carbon") || has("ferric") || has("red") => [0x7a, 0x50, 0x4a],
        _ => [0x80, 0x80, 0x84],
    }
}

fn ore_color(name: &str) -> [u8; 3] {
    let has = |s: &str| name.contains(s);
    match () {
        _ if has("copper") => [0xd9, 0x9d, 0x73],
        _ if has("lead") => [0x8c, 0x7f, 0xa9],
        _ if has("coal") => [0x27, 0x27, 0x27],
        _ if has("titanium") => [0x8d, 0xa1, 0xe3],
        _ if has("thorium") => [0xf9, 0xa3, 0xc7],
        _ if has("scrap") => [0x77, 0x77, 0x77],
        _ if has("beryllium") => [0x3a, 0x8f, 0x64],
        _ if has("tungsten") => [0x76, 0x8a, 0x9a],
        _ if has("graphite") => [0x4a, 0x4b, 0x53],
        _ => [0xc0, 0xc0, 0x60],
    }
}

fn darker(c: [u8; 3], f: f32) -> [u8; 3] {
    c.map(|v| (f32::from(v) * f) as u8)
}

/// Renders `world` as RGB pixels (`width*scale × height*scale`, row 0 = top).
pub fn render_rgb(world: &World, scale: u32) -> (u32, u32, Vec<u8>) {
    let scale = scale.clamp(1, MAX_SCALE);
    let t = &world.tiles;
    let table = ContentTable::for_build(Build::V159);
    let names: Vec<&str> =
        world.content.names(ContentType::BLOCK).iter().map(|n| legacy_block_name(n.as_str())).collect();
    let name = |id: u16| names.get(usize::from(id)).copied().unwrap_or("air");
    // Team of every building tile: spread each center's team over its footprint.
    let mut team = vec![None; t.len()];
    for (c, b) in &t.buildings {
        let c = *c as usize;
        let Some(tm) = b.team() else { continue };
        let size = table.block_by_name(name(t.block[c])).map_or(1, |f| i32::from(f.size));
        let (cx, cy) = ((c % usize::from(t.width)) as i32, (c / usize::from(t.width)) as i32);
        let off = (size - 1) / 2;
        for dy in 0..size {
            for dx in 0..size {
                if let Some(i) = t.index(cx - off + dx, cy - off + dy) {
                    team[i] = Some(tm);
                }
            }
        }
    }
    let (w, h) = (u32::from(t.width), u32::from(t.height));
    let (pw, ph) = (w * scale, h * scale);
    let mut px = vec![0u8; (pw * ph * 3) as usize];
    for y in 0..h {
        for x in 0..w {
            let i = (y * w + x) as usize;
            let block = name(t.block[i]);
            let color = if t.parts[i] || team[i].is_some() {
                let c = team_color(team[i].unwrap_or(0));
                let center = t.buildings.contains_key(&(i as u32));
                if center { c } else { darker(c, 0.85) }
            } else if block != "air" {
                let facts = table.block_by_name(block);
                let base = if block.contains("boulder") { floor_color(name(t.floor[i])) } else { floor_color(block) };
                match facts {
                    Some(f) if f.is_static() => darker(base, 0.55),
                    _ => darker(base, 0.7),
                }
            } else if t.overlay[i] != 0 && name(t.overlay[i]) != "air" {
                floor_color(name(t.overlay[i]))
            } else {
                floor_color(name(t.floor[i]))
            };
            for sy in 0..scale {
                let row = (h - 1 - y) * scale + sy;
                for sx in 0..scale {
                    let p = ((row * pw + x * scale + sx) * 3) as usize;
                    px[p..p + 3].copy_from_slice(&color);
                }
            }
        }
    }
    (pw, ph, px)
}

/// Renders `world` as a PNG file's bytes.
pub fn render_png(world: &World, scale: u32) -> Result<Vec<u8>, WorldError> {
    let (w, h, px) = render_rgb(world, scale);
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header().map_err(|e| WorldError::Invalid(format!("png: {e}")))?;
        writer.write_image_data(&px).map_err(|e| WorldError::Invalid(format!("png: {e}")))?;
    }
    Ok(out)
}
