//! The `.msav` container (§8): zlib, `MSAV`, version, regions; read for versions 2–13, write 11 and 13.
//!
//! Owns: region framing and order per version, the meta string map, data patches, the entities region (entity
//! mapping, team plans, entity chunks kept verbatim), markers (UBJSON bytes), custom chunks, and zlib with a
//! size limit.
//!
//! Does not own: the tile grid ([`crate::tiles`]), the content header ([`crate::content`]).
//!
//! Invariants: every region must be consumed exactly (as the Java reader checks); inflation stops at
//! [`MAX_INFLATED`] bytes; no count from the input allocates more than the bytes left can hold.
//! Lossless: read → write (13) → read gives an equal [`World`] for every save version (ids of v4/v5 entity
//! chunks, which carried none, are assigned on read). Versions 2–3: the legacy entity groups are skipped (as the
//! game does) and legacy building records are converted to the modern record layout on read: cores exactly as
//! the Java game re-saves them ([`crate::Building::from_legacy_core`]), any other class with only its header
//! re-encoded ([`crate::Building::from_legacy`]), so the writer can emit them and the Java reader reads them as
//! its legacy loader did.

use std::io::{Read, Write};

use multidustry_protocol::io::{DecodeError, Reader, Writer};
use multidustry_protocol::typeio::Object;

use crate::content::{ContentHeader, ContentTable, ContentType, legacy_block_name};
use crate::error::Section;
use crate::tiles::{MapLayout, Tiles};
use crate::{World, WorldError};
use multidustry_protocol::build::Build;

/// Largest inflated size accepted for a save or world stream (64 MiB).
pub const MAX_INFLATED: usize = 64 << 20;
/// Current save version of build 159.
pub const VERSION_159: i32 = 13;
/// Current save version of build 154.
pub const VERSION_154: i32 = 11;

/// One data asset (§8.6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataAsset {
    /// Asset type: 0 patch, 1 content, 2 bundle, 3 image, 4 sound, 5 music.
    pub kind: i8,
    /// Asset path.
    pub path: String,
    /// Embedded bytes, or the SHA-256 of an external asset.
    pub content: AssetContent,
}

/// An asset's bytes or its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssetContent {
    /// Stored inline.
    Embedded(Vec<u8>),
    /// Stored elsewhere, named by SHA-256.
    External([u8; 32]),
}

/// The data patches of a save (v11 string patches and v12 images are converted to assets).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DataPatches {
    /// Patch format version (2 in build 159).
    pub format: i32,
    /// The assets.
    pub assets: Vec<DataAsset>,
}

/// A team's rebuild plans (§8.5; also world-stream item 13).
#[derive(Debug, Clone, PartialEq)]
pub struct TeamPlans {
    /// Team id.
    pub team: i32,
    /// Plans.
    pub plans: Vec<BlockPlan>,
}

/// One rebuild plan.
#[derive(Debug, Clone, PartialEq)]
pub struct BlockPlan {
    /// Tile x.
    pub x: i16,
    /// Tile y.
    pub y: i16,
    /// Rotation.
    pub rotation: i16,
    /// Block id (world's own ids).
    pub block: i16,
    /// Configuration (`TypeIO.writeObject`).
    pub config: Object,
}

/// One saved entity, verbatim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityChunk {
    /// Entity class id.
    pub class_id: u8,
    /// Entity id (assigned on read for versions 4–5, which stored none; `None` for a chunk too short to hold one).
    pub id: Option<i32>,
    /// The entity's `write()` bytes (`i16 revision` + fields).
    pub data: Vec<u8>,
}

pub(crate) fn inflate(bytes: &[u8], limit: usize) -> Result<Vec<u8>, WorldError> {
    let mut out = Vec::new();
    let mut dec = flate2::read::ZlibDecoder::new(bytes).take(limit as u64 + 1);
    dec.read_to_end(&mut out).map_err(WorldError::Zlib)?;
    if out.len() > limit {
        return Err(WorldError::TooLarge { what: "inflated data", value: out.len(), limit });
    }
    Ok(out)
}

pub(crate) fn deflate(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(6));
    enc.write_all(bytes).expect("writing to a Vec cannot fail");
    enc.finish().expect("writing to a Vec cannot fail")
}

pub(crate) fn read_string_map(r: &mut Reader<'_>) -> Result<Vec<(String, String)>, DecodeError> {
    let n = r.i16()?;
    let mut out = Vec::with_capacity(usize::try_from(n).unwrap_or(0).min(r.remaining() / 4));
    for _ in 0..n.max(0) {
        out.push((r.jutf()?, r.jutf()?));
    }
    Ok(out)
}

pub(crate) fn write_string_map(w: &mut Writer, map: &[(String, String)]) -> Result<(), WorldError> {
    w.i16(i16::try_from(map.len()).map_err(|_| WorldError::too_large("string map", map.len()))?);
    for (k, v) in map {
        w.jutf(k)?;
        w.jutf(v)?;
    }
    Ok(())
}

fn region<'a>(r: &mut Reader<'a>, name: &'static str) -> Result<Reader<'a>, WorldError> {
    let len = r.i32().section(name)?;
    let len = usize::try_from(len).map_err(|_| WorldError::Decode {
        section: name,
        source: DecodeError::Invalid { what: "region length", value: len.into() },
    })?;
    Ok(Reader::new(r.bytes(len).section(name)?))
}

fn finish(r: &Reader<'_>, name: &'static str, declared: usize) -> Result<(), WorldError> {
    if r.is_empty() {
        Ok(())
    } else {
        Err(WorldError::RegionLength { region: name, declared, used: declared - r.remaining() })
    }
}

fn with_region<'a, T>(
    r: &mut Reader<'a>,
    name: &'static str,
    f: impl FnOnce(&mut Reader<'a>) -> Result<T, WorldError>,
) -> Result<T, WorldError> {
    let mut sub = region(r, name)?;
    let declared = sub.remaining();
    let v = f(&mut sub)?;
    finish(&sub, name, declared)?;
    Ok(v)
}

fn write_region(w: &mut Writer, f: impl FnOnce(&mut Writer) -> Result<(), WorldError>) -> Result<(), WorldError> {
    let mut sub = Writer::new();
    f(&mut sub)?;
    let bytes = sub.into_inner();
    w.i32(i32::try_from(bytes.len()).map_err(|_| WorldError::too_large("region", bytes.len()))?);
    w.bytes(&bytes);
    Ok(())
}

/// Reads the v12/v13 data-patch layout (also world-stream item 1).
pub(crate) fn read_data_patches(r: &mut Reader<'_>, v12: bool) -> Result<DataPatches, DecodeError> {
    let format = r.i32()?;
    let n = r.i32()?;
    let mut assets = Vec::new();
    for _ in 0..n.max(0) {
        if v12 {
            let len = usize::try_from(r.i32()?).map_err(|_| DecodeError::Other("negative patch length"))?;
            assets.push(DataAsset {
                kind: 0,
                path: String::new(),
                content: AssetContent::Embedded(r.bytes(len)?.to_vec()),
            });
        } else {
            let kind = r.i8()?;
            let path = r.jutf()?;
            let content = if r.bool()? {
                let len = usize::try_from(r.i32()?).map_err(|_| DecodeError::Other("negative asset length"))?;
                AssetContent::Embedded(r.bytes(len)?.to_vec())
            } else {
                let mut h = [0u8; 32];
                h.copy_from_slice(r.bytes(32)?);
                AssetContent::External(h)
            };
            assets.push(DataAsset { kind, path, content });
        }
    }
    if v12 {
        let m = r.i32()?;
        for _ in 0..m.max(0) {
            let path = r.jutf()?;
            let _w = r.i16()?;
            let _h = r.i16()?;
            let len = usize::try_from(r.i32()?).map_err(|_| DecodeError::Other("negative image length"))?;
            assets.push(DataAsset { kind: 3, path, content: AssetContent::Embedded(r.bytes(len)?.to_vec()) });
        }
    }
    Ok(DataPatches { format, assets })
}

pub(crate) fn write_data_patches(w: &mut Writer, p: &DataPatches) -> Result<(), WorldError> {
    w.i32(p.format);
    w.i32(i32::try_from(p.assets.len()).map_err(|_| WorldError::too_large("assets", p.assets.len()))?);
    for a in &p.assets {
        w.i8(a.kind);
        w.jutf(&a.path)?;
        match &a.content {
            AssetContent::Embedded(b) => {
                w.bool(true).i32(i32::try_from(b.len()).map_err(|_| WorldError::too_large("asset", b.len()))?).bytes(b);
            }
            AssetContent::External(h) => {
                w.bool(false).bytes(h);
            }
        }
    }
    Ok(())
}

/// v11 (and build-154 world stream) content patches: `u8 n × (i32 len + UTF-8)`.
pub(crate) fn read_content_patches(r: &mut Reader<'_>) -> Result<DataPatches, DecodeError> {
    let n = r.u8()?;
    let mut assets = Vec::new();
    for _ in 0..n {
        let len = usize::try_from(r.i32()?).map_err(|_| DecodeError::Other("negative patch length"))?;
        assets.push(DataAsset {
            kind: 0,
            path: String::new(),
            content: AssetContent::Embedded(r.bytes(len)?.to_vec()),
        });
    }
    Ok(DataPatches { format: 2, assets })
}

pub(crate) fn write_content_patches(w: &mut Writer, p: &DataPatches) -> Result<(), WorldError> {
    let patches: Vec<&Vec<u8>> = p
        .assets
        .iter()
        .map(|a| match (&a.kind, &a.content) {
            (0, AssetContent::Embedded(b)) => Ok(b),
            _ => Err(WorldError::Invalid("build 154 saves hold only embedded JSON patches".into())),
        })
        .collect::<Result<_, _>>()?;
    w.u8(u8::try_from(patches.len()).map_err(|_| WorldError::too_large("patches", patches.len()))?);
    for b in patches {
        w.i32(i32::try_from(b.len()).map_err(|_| WorldError::too_large("patch", b.len()))?).bytes(b);
    }
    Ok(())
}

pub(crate) fn read_team_plans(r: &mut Reader<'_>, int_config: bool) -> Result<Vec<TeamPlans>, DecodeError> {
    let teams = r.i32()?;
    let mut out = Vec::new();
    for _ in 0..teams.max(0) {
        let team = r.i32()?;
        let n = r.i32()?;
        let mut plans = Vec::with_capacity(usize::try_from(n).unwrap_or(0).min(r.remaining() / 9));
        for _ in 0..n.max(0) {
            let (x, y, rotation, block) = (r.i16()?, r.i16()?, r.i16()?, r.i16()?);
            let config = if int_config { Object::Int(r.i32()?) } else { r.object()? };
            plans.push(BlockPlan { x, y, rotation, block, config });
        }
        out.push(TeamPlans { team, plans });
    }
    Ok(out)
}

pub(crate) fn write_team_plans(w: &mut Writer, teams: &[TeamPlans]) -> Result<(), WorldError> {
    w.i32(i32::try_from(teams.len()).map_err(|_| WorldError::too_large("teams", teams.len()))?);
    for t in teams {
        w.i32(t.team).i32(i32::try_from(t.plans.len()).map_err(|_| WorldError::too_large("plans", t.plans.len()))?);
        for p in &t.plans {
            w.i16(p.x).i16(p.y).i16(p.rotation).i16(p.block);
            w.object(&p.config)?;
        }
    }
    Ok(())
}

pub(crate) fn read_custom(r: &mut Reader<'_>) -> Result<Vec<(String, Vec<u8>)>, DecodeError> {
    let n = r.i32()?;
    let mut out = Vec::new();
    for _ in 0..n.max(0) {
        let name = r.jutf()?;
        let len = usize::try_from(r.i32()?).map_err(|_| DecodeError::Other("negative chunk length"))?;
        out.push((name, r.bytes(len)?.to_vec()));
    }
    Ok(out)
}

pub(crate) fn write_custom(w: &mut Writer, chunks: &[(String, Vec<u8>)]) -> Result<(), WorldError> {
    w.i32(i32::try_from(chunks.len()).map_err(|_| WorldError::too_large("custom chunks", chunks.len()))?);
    for (name, b) in chunks {
        w.jutf(name)?;
        w.i32(i32::try_from(b.len()).map_err(|_| WorldError::too_large("custom chunk", b.len()))?).bytes(b);
    }
    Ok(())
}

/// The Java class of a block named in `header` when it has a building (else `None`), for the legacy (v1–3)
/// map layout, where a building chunk follows exactly the blocks that have one.
fn legacy_building_class(header: &ContentHeader) -> impl Fn(u16) -> Option<&'static str> + '_ {
    let table = ContentTable::for_build(Build::V159);
    move |id| {
        header
            .name(ContentType::BLOCK, id)
            .and_then(|n| table.block_by_name(legacy_block_name(n)))
            .filter(|b| b.has_building())
            .map(|b| b.class)
    }
}

impl World {
    /// Reads a `.msav` file (zlib-compressed).
    pub fn read_msav(compressed: &[u8]) -> Result<Self, WorldError> {
        let raw = inflate(compressed, MAX_INFLATED)?;
        Self::read_msav_inflated(&raw)
    }

    /// Reads a `.msav` file from disk; errors name the file.
    pub fn load(path: impl AsRef<std::path::Path>) -> Result<Self, WorldError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| WorldError::Io(e).in_file(path))?;
        Self::read_msav(&bytes).map_err(|e| e.in_file(path))
    }

    /// Reads an inflated save (`MSAV` + version + regions).
    pub fn read_msav_inflated(raw: &[u8]) -> Result<Self, WorldError> {
        let mut r = Reader::new(raw);
        let magic = r.bytes(4).section("header")?;
        if magic != b"MSAV" {
            return Err(WorldError::BadMagic(magic.to_vec()));
        }
        let version = r.i32().section("header")?;
        if !(2..=13).contains(&version) {
            return Err(WorldError::UnsupportedVersion(version));
        }
        let meta = with_region(&mut r, "meta", |r| read_string_map(r).section("meta"))?;
        let mut patches = DataPatches { format: 2, assets: Vec::new() };
        if version >= 12 {
            patches = with_region(&mut r, "patches", |r| read_data_patches(r, version == 12).section("patches"))?;
        }
        let content = with_region(&mut r, "content", |r| ContentHeader::read(r).section("content"))?;
        if version == 11 {
            patches = with_region(&mut r, "patches", |r| read_content_patches(r).section("patches"))?;
        }
        let layout = match version {
            ..=3 => MapLayout::Legacy,
            4..=9 => MapLayout::Short,
            _ => MapLayout::Modern,
        };
        let tiles = {
            let class = legacy_building_class(&content);
            with_region(&mut r, "map", |r| Tiles::read(r, layout, &class).section("map"))?
        };
        let (entity_mapping, teams, entities) =
            with_region(&mut r, "entities", |r| read_entities(r, version).section("entities"))?;
        let markers = if version >= 8 {
            let mut sub = region(&mut r, "markers")?;
            sub.take_rest().to_vec()
        } else {
            b"{}".to_vec()
        };
        let custom = if version >= 7 {
            with_region(&mut r, "custom", |r| read_custom(r).section("custom"))?
        } else {
            Vec::new()
        };
        if !r.is_empty() {
            return Err(WorldError::Decode {
                section: "file end",
                source: DecodeError::Trailing { count: r.remaining() },
            });
        }
        Ok(World { version, meta, patches, content, tiles, entity_mapping, teams, entities, markers, custom })
    }

    /// Writes the save in `version` (13 for build 159, 11 for build 154), zlib-compressed.
    pub fn write_msav(&self, version: i32) -> Result<Vec<u8>, WorldError> {
        Ok(deflate(&self.write_msav_inflated(version)?))
    }

    /// Writes the save in `version` (13 or 11), not compressed.
    pub fn write_msav_inflated(&self, version: i32) -> Result<Vec<u8>, WorldError> {
        if version != 13 && version != 11 {
            return Err(WorldError::UnsupportedWriteVersion(version));
        }
        let mut w = Writer::with_capacity(self.tiles.len() * 2 + 4096);
        w.bytes(b"MSAV").i32(version);
        write_region(&mut w, |w| write_string_map(w, &self.meta))?;
        if version >= 12 {
            write_region(&mut w, |w| write_data_patches(w, &self.patches))?;
        }
        write_region(&mut w, |w| self.content.write(w))?;
        if version == 11 {
            write_region(&mut w, |w| write_content_patches(w, &self.patches))?;
        }
        write_region(&mut w, |w| self.tiles.write(w))?;
        write_region(&mut w, |w| {
            w.i16(i16::try_from(self.entity_mapping.len()).map_err(|_| WorldError::too_large("entity mapping", 0))?);
            for (id, name) in &self.entity_mapping {
                w.i16(*id);
                w.jutf(name)?;
            }
            write_team_plans(w, &self.teams)?;
            w.i32(i32::try_from(self.entities.len()).map_err(|_| WorldError::too_large("entities", 0))?);
            for e in &self.entities {
                let len = 1 + if e.id.is_some() { 4 } else { 0 } + e.data.len();
                w.i32(i32::try_from(len).map_err(|_| WorldError::too_large("entity", len))?);
                w.u8(e.class_id);
                if let Some(id) = e.id {
                    w.i32(id);
                }
                w.bytes(&e.data);
            }
            Ok(())
        })?;
        write_region(&mut w, |w| {
            w.bytes(&self.markers);
            Ok(())
        })?;
        write_region(&mut w, |w| write_custom(w, &self.custom))?;
        Ok(w.into_inner())
    }
}

type Entities = (Vec<(i16, String)>, Vec<TeamPlans>, Vec<EntityChunk>);

fn read_entities(r: &mut Reader<'_>, version: i32) -> Result<Entities, DecodeError> {
    if version <= 3 {
        let teams = if version == 3 { read_team_plans(r, true)? } else { Vec::new() };
        // Legacy entity groups: skipped, as the game does.
        let groups = r.i8()?;
        for _ in 0..groups.max(0) {
            let n = r.i32()?;
            for _ in 0..n.max(0) {
                let len = usize::from(r.u16()?);
                r.skip(len)?;
            }
        }
        return Ok((Vec::new(), teams, Vec::new()));
    }
    let mut mapping = Vec::new();
    if version >= 5 {
        let n = r.i16()?;
        for _ in 0..n.max(0) {
            mapping.push((r.i16()?, r.jutf()?));
        }
    }
    let teams = read_team_plans(r, false)?;
    let n = r.i32()?;
    let mut entities = Vec::with_capacity(usize::try_from(n).unwrap_or(0).min(r.remaining() / 2));
    let mut next_id = 1;
    for _ in 0..n.max(0) {
        let len = if version >= 10 {
            let l = r.i32()?;
            usize::try_from(l).map_err(|_| DecodeError::Invalid { what: "entity chunk length", value: l.into() })?
        } else {
            usize::from(r.u16()?)
        };
        let mut c = Reader::new(r.bytes(len)?);
        let class_id = c.u8()?;
        let id = if version >= 6 {
            if c.remaining() >= 4 { Some(c.i32()?) } else { None }
        } else {
            next_id += 1;
            Some(next_id - 1)
        };
        entities.push(EntityChunk { class_id, id, data: c.take_rest().to_vec() });
    }
    Ok((mapping, teams, entities))
}
