//! A world's map markers (`state.markers`, Java's `MapMarkers`): the markers world processors create with
//! `makemarker`, change with `setmarker` and remove with `setmarker remove`, loaded from a map or save and written
//! into saves and world streams (the `markers` region) as Java writes them: `JsonIO.writeBytes(map,
//! ObjectiveMarker.class)`, i.e. Arc's `Json` over its `UBJsonWriter`.
//!
//! Owns: [`UValue`] (an Arc UBJSON tree: reader and writer), [`Markers`] (id → [`Marker`]) and what each marker
//! instruction does to it ([`Markers::make`], [`Markers::control`], [`Markers::remove`], [`Markers::set_texture`]).
//! Does not own: the region framing (the world crate), running processors (`logic`).
//!
//! The layout, from Arc's `Json` and `UBJsonWriter` and Mindustry's `MapObjectives` (all official maps and
//! captures only carry the empty `{}`, so no marker written by Java is at hand to compare bytes with):
//! ```text
//!  { "<id as decimal>": { "class": "Shape", <fields that differ from a new marker's, superclass fields first> } … }
//!  object '{' … '}'; names: 'i'/'I'/'l' length + UTF-8 (no 'S'); strings: 'S' + length + UTF-8; float 'd' f32;
//!  int 'l' i32; byte 'i'; boolean 'T'/'F'; Vec2 a nested object {x, y} (zero members left out); Color "rrggbbaa"
//! ```
//! The class tag is the class name without `Marker` (`MapObjectives.registerMarker`: the last registered tag
//! wins); fields equal to a fresh instance's are left out (`Json.usePrototypes`). Ids are written in ascending
//! order (Java iterates its `IntMap` in hash order; readers do not care).
//!
//! Marker fields follow `MapObjectives` as stored for this work (`world`, `minimap`, `autoscale`, `drawLayer` on every
//! marker, `pos` on positioned ones); whether build 159 has exactly these fields is not verified against a 159 jar.
//! Partial: `QuadMarker` (`makemarker quad`) is not modelled (its `float[]` vertices): `makemarker quad` does
//! nothing here; markers of unknown classes or fields read from a map are kept and written back unchanged but
//! `setmarker` does not change them; `setmarker texture` with an object other than a string does nothing.
//!
//! Invariants: the reader never panics, nests at most [`MAX_DEPTH`] levels and allocates only for bytes
//! present; a world whose markers no processor changed writes back the exact bytes it was loaded with.

use std::collections::BTreeMap;

use multidustry_protocol::io::{DecodeError, Reader, Writer};

/// Deepest nesting the reader accepts.
pub const MAX_DEPTH: usize = 64;
/// `MakeMarkerI.maxMarkers`.
pub const MAX_MARKERS: usize = 20_000;
/// `Vars.tilesize`.
const TILE: f32 = 8.0;

/// One Arc UBJSON value.
#[derive(Debug, Clone, PartialEq)]
pub enum UValue {
    /// `Z`.
    Null,
    /// `T` / `F`.
    Bool(bool),
    /// `i`.
    I8(i8),
    /// `I`.
    I16(i16),
    /// `l`.
    I32(i32),
    /// `L`.
    I64(i64),
    /// `d`.
    F32(f32),
    /// `D`.
    F64(f64),
    /// `S`.
    Str(String),
    /// `[` … `]`.
    Array(Vec<UValue>),
    /// `{` … `}`, members in order.
    Object(Vec<(String, UValue)>),
}

impl UValue {
    /// The number, of any numeric type.
    pub fn num(&self) -> Option<f64> {
        Some(match *self {
            Self::I8(v) => v.into(),
            Self::I16(v) => v.into(),
            Self::I32(v) => v.into(),
            Self::I64(v) => v as f64,
            Self::F32(v) => v.into(),
            Self::F64(v) => v,
            _ => return None,
        })
    }

    /// Member `name` of an object.
    pub fn get(&self, name: &str) -> Option<&UValue> {
        match self {
            Self::Object(m) => m.iter().find(|(k, _)| k == name).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Reads one value (type byte first), consuming exactly its bytes.
    pub fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let t = r.u8()?;
        read_typed(r, t, 0)
    }

    /// Writes the value as `UBJsonWriter` does.
    pub fn write(&self, w: &mut Writer) {
        match self {
            Self::Null => {
                w.u8(b'Z');
            }
            Self::Bool(b) => {
                w.u8(if *b { b'T' } else { b'F' });
            }
            Self::I8(v) => {
                w.u8(b'i').u8(*v as u8);
            }
            Self::I16(v) => {
                w.u8(b'I').u16(*v as u16);
            }
            Self::I32(v) => {
                w.u8(b'l').i32(*v);
            }
            Self::I64(v) => {
                w.u8(b'L').i64(*v);
            }
            Self::F32(v) => {
                w.u8(b'd').f32(*v);
            }
            Self::F64(v) => {
                w.u8(b'D').f64(*v);
            }
            Self::Str(s) => {
                w.u8(b'S');
                write_len_bytes(w, s.as_bytes());
            }
            Self::Array(a) => {
                w.u8(b'[');
                for v in a {
                    v.write(w);
                }
                w.u8(b']');
            }
            Self::Object(m) => {
                w.u8(b'{');
                for (k, v) in m {
                    write_len_bytes(w, k.as_bytes());
                    v.write(w);
                }
                w.u8(b'}');
            }
        }
    }

    /// The value's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new();
        self.write(&mut w);
        w.as_slice().to_vec()
    }
}

/// `UBJsonWriter.name` / string length: `i` + byte up to 127, `I` + short up to 32767, else `l` + int.
fn write_len_bytes(w: &mut Writer, b: &[u8]) {
    if b.len() <= 127 {
        w.u8(b'i').u8(b.len() as u8);
    } else if b.len() <= 32767 {
        w.u8(b'I').u16(b.len() as u16);
    } else {
        w.u8(b'l').i32(i32::try_from(b.len()).unwrap_or(i32::MAX));
    }
    w.bytes(b);
}

fn read_len(r: &mut Reader<'_>, t: u8) -> Result<usize, DecodeError> {
    let v: i64 = match t {
        b'i' => i64::from(r.u8()? as i8),
        b'U' => r.u8()?.into(),
        b'I' => i64::from(r.u16()? as i16),
        b'l' => r.i32()?.into(),
        b'L' => r.i64()?,
        _ => return Err(DecodeError::Invalid { what: "ubjson length type", value: t.into() }),
    };
    let n = usize::try_from(v).map_err(|_| DecodeError::Invalid { what: "ubjson length", value: v })?;
    if n > r.remaining() {
        return Err(DecodeError::Eof { at: r.position(), needed: n });
    }
    Ok(n)
}

fn read_str(r: &mut Reader<'_>, t: u8) -> Result<String, DecodeError> {
    let n = read_len(r, t)?;
    let b = r.bytes(n)?;
    String::from_utf8(b.to_vec()).map_err(|_| DecodeError::Invalid { what: "ubjson utf-8", value: 0 })
}

fn read_typed(r: &mut Reader<'_>, t: u8, depth: usize) -> Result<UValue, DecodeError> {
    if depth > MAX_DEPTH {
        return Err(DecodeError::TooLarge { what: "ubjson depth", value: depth, limit: MAX_DEPTH });
    }
    Ok(match t {
        b'Z' => UValue::Null,
        b'T' => UValue::Bool(true),
        b'F' => UValue::Bool(false),
        b'i' => UValue::I8(r.u8()? as i8),
        b'U' => UValue::I16(r.u8()?.into()),
        b'I' => UValue::I16(r.u16()? as i16),
        b'l' => UValue::I32(r.i32()?),
        b'L' => UValue::I64(r.i64()?),
        b'd' => UValue::F32(r.f32()?),
        b'D' => UValue::F64(r.f64()?),
        b'S' => {
            let lt = r.u8()?;
            UValue::Str(read_str(r, lt)?)
        }
        b'[' => {
            let mut items = Vec::new();
            let (mut typed, mut count) = (None, None);
            let mut next = r.u8()?;
            if next == b'$' {
                typed = Some(r.u8()?);
                next = r.u8()?;
            }
            if next == b'#' {
                let ct = r.u8()?;
                count = Some(read_len_loose(r, ct)?);
            }
            match (typed, count) {
                (Some(ty), Some(n)) => {
                    for _ in 0..n {
                        if r.is_empty() {
                            return Err(DecodeError::Eof { at: r.position(), needed: 1 });
                        }
                        items.push(read_typed(r, ty, depth + 1)?);
                    }
                }
                (None, Some(n)) => {
                    for _ in 0..n {
                        let ty = r.u8()?;
                        items.push(read_typed(r, ty, depth + 1)?);
                    }
                }
                (Some(_), None) => return Err(DecodeError::Invalid { what: "ubjson typed array", value: 0 }),
                (None, None) => {
                    while next != b']' {
                        items.push(read_typed(r, next, depth + 1)?);
                        next = r.u8()?;
                    }
                }
            }
            UValue::Array(items)
        }
        b'{' => {
            let mut members = Vec::new();
            let mut next = r.u8()?;
            while next != b'}' {
                let name = read_str(r, next)?;
                let ty = r.u8()?;
                members.push((name, read_typed(r, ty, depth + 1)?));
                next = r.u8()?;
            }
            UValue::Object(members)
        }
        _ => return Err(DecodeError::Invalid { what: "ubjson type", value: t.into() }),
    })
}

/// A count of an optimized container (no check against the bytes left: elements may be zero-sized).
fn read_len_loose(r: &mut Reader<'_>, t: u8) -> Result<usize, DecodeError> {
    let v: i64 = match t {
        b'i' => i64::from(r.u8()? as i8),
        b'U' => r.u8()?.into(),
        b'I' => i64::from(r.u16()? as i16),
        b'l' => r.i32()?.into(),
        _ => return Err(DecodeError::Invalid { what: "ubjson count type", value: t.into() }),
    };
    let n = usize::try_from(v).map_err(|_| DecodeError::Invalid { what: "ubjson count", value: v })?;
    // every element takes at least one byte unless typed as a zero-sized value; cap either way
    if n > r.remaining().max(1) * 8 {
        return Err(DecodeError::TooLarge { what: "ubjson count", value: n, limit: r.remaining() * 8 });
    }
    Ok(n)
}

/// How a marker field is stored.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Bool(bool),
    F32(f32),
    I32(i32),
    I8(i8),
    Str(&'static str),
    /// `Vec2` (default zero).
    Vec2,
    /// `Color` as `rrggbbaa`.
    Color(u32),
}

const BASE: &[(&str, Kind)] = &[
    ("world", Kind::Bool(true)),
    ("minimap", Kind::Bool(false)),
    ("autoscale", Kind::Bool(false)),
    ("drawLayer", Kind::F32(120.0)),
];
const POS: (&str, Kind) = ("pos", Kind::Vec2);
const YELLOW: u32 = 0xffd3_7fff;

/// The marker classes `makemarker` can create: (class tag, subclass fields after the base and `pos`).
const CLASSES: &[(&str, &[(&str, Kind)])] = &[
    (
        "ShapeText",
        &[
            ("text", Kind::Str("frog")),
            ("fontSize", Kind::F32(1.0)),
            ("textHeight", Kind::F32(7.0)),
            ("flags", Kind::I8(3)),
            ("radius", Kind::F32(6.0)),
            ("rotation", Kind::F32(0.0)),
            ("sides", Kind::I32(4)),
            ("color", Kind::Color(YELLOW)),
        ],
    ),
    ("Point", &[("radius", Kind::F32(5.0)), ("stroke", Kind::F32(11.0)), ("color", Kind::Color(0xf255_55ff))]),
    (
        "Shape",
        &[
            ("radius", Kind::F32(8.0)),
            ("rotation", Kind::F32(0.0)),
            ("stroke", Kind::F32(1.0)),
            ("startAngle", Kind::F32(0.0)),
            ("endAngle", Kind::F32(360.0)),
            ("fill", Kind::Bool(false)),
            ("outline", Kind::Bool(true)),
            ("sides", Kind::I32(4)),
            ("color", Kind::Color(YELLOW)),
        ],
    ),
    ("Text", &[("text", Kind::Str("uwu")), ("fontSize", Kind::F32(1.0)), ("flags", Kind::I8(3))]),
    (
        "Line",
        &[
            ("endPos", Kind::Vec2),
            ("stroke", Kind::F32(1.0)),
            ("outline", Kind::Bool(true)),
            ("color1", Kind::Color(YELLOW)),
            ("color2", Kind::Color(YELLOW)),
        ],
    ),
    (
        "Texture",
        &[
            ("rotation", Kind::F32(0.0)),
            ("width", Kind::F32(0.0)),
            ("height", Kind::F32(0.0)),
            ("textureName", Kind::Str("")),
            ("color", Kind::Color(0xffff_ffff)),
        ],
    ),
];

/// `MapObjectives.markerNameToType`: the class tag a `makemarker` type names (class name without `Marker`, as
/// is or camelized; the legacy `Minimap` is a point marker). `Quad` is not modelled (see the module doc).
pub fn class_of(name: &str) -> Option<&'static str> {
    Some(match name {
        "ShapeText" | "shapeText" => "ShapeText",
        "Point" | "point" | "Minimap" | "minimap" => "Point",
        "Shape" | "shape" => "Shape",
        "Text" | "text" => "Text",
        "Line" | "line" => "Line",
        "Texture" | "texture" => "Texture",
        _ => return None,
    })
}

fn fields_of(class: &str) -> Option<Vec<(&'static str, Kind)>> {
    let (_, own) = CLASSES.iter().find(|(c, _)| *c == class)?;
    let mut all: Vec<(&'static str, Kind)> = BASE.to_vec();
    all.push(POS);
    all.extend_from_slice(own);
    Some(all)
}

/// The value a field of `kind` holds by default, as written.
fn default_value(kind: Kind) -> UValue {
    match kind {
        Kind::Bool(b) => UValue::Bool(b),
        Kind::F32(f) => UValue::F32(f),
        Kind::I32(i) => UValue::I32(i),
        Kind::I8(i) => UValue::I8(i),
        Kind::Str(s) => UValue::Str(s.to_string()),
        Kind::Vec2 => UValue::Object(Vec::new()),
        Kind::Color(c) => UValue::Str(format!("{c:08x}")),
    }
}

/// Whether two stored values are equal as Java's `equals` on the boxed field values sees them.
fn same(a: &UValue, b: &UValue) -> bool {
    match (a, b) {
        (UValue::F32(x), UValue::F32(y)) => x.to_bits() == y.to_bits(),
        (UValue::Object(_), UValue::Object(_)) => {
            let (ax, ay) = vec2(a);
            let (bx, by) = vec2(b);
            ax.to_bits() == bx.to_bits() && ay.to_bits() == by.to_bits()
        }
        _ => a == b,
    }
}

fn vec2(v: &UValue) -> (f32, f32) {
    let c = |n: &str| v.get(n).and_then(UValue::num).unwrap_or(0.0) as f32;
    (c("x"), c("y"))
}

fn make_vec2(x: f32, y: f32) -> UValue {
    let mut m = Vec::new();
    if x.to_bits() != 0 {
        m.push(("x".to_string(), UValue::F32(x)));
    }
    if y.to_bits() != 0 {
        m.push(("y".to_string(), UValue::F32(y)));
    }
    UValue::Object(m)
}

/// Arc `Color.fromDouble`: the packed `rgba8888` in the double's low 32 bits, as `Color.toString` writes it.
fn color_of(p: f64) -> UValue {
    UValue::Str(format!("{:08x}", p.to_bits() as u32))
}

/// One marker: its class tag and the members written after it (the fields that differ from a new marker's).
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    /// Class tag (`Shape`, `ShapeText`, …).
    pub class: String,
    /// Members after `class`, as read or written.
    pub fields: Vec<(String, UValue)>,
}

impl Marker {
    /// A new marker of `class` (a tag from [`class_of`]).
    pub fn new(class: &str) -> Self {
        Self { class: class.to_string(), fields: Vec::new() }
    }

    /// The current value of `name` (its default when not stored).
    pub fn field(&self, name: &str) -> Option<UValue> {
        if let Some((_, v)) = self.fields.iter().find(|(k, _)| k == name) {
            return Some(v.clone());
        }
        fields_of(&self.class)?.into_iter().find(|(n, _)| *n == name).map(|(_, k)| default_value(k))
    }

    /// Whether this server models the marker's class and every stored field (else it is kept as read).
    fn modelled(&self) -> bool {
        fields_of(&self.class).is_some_and(|defs| self.fields.iter().all(|(k, _)| defs.iter().any(|(n, _)| n == k)))
    }

    /// Sets `name` (a field of this class) and re-derives the stored members: declared order, defaults left out.
    fn set(&mut self, name: &str, value: UValue) {
        let Some(defs) = fields_of(&self.class) else { return };
        if !defs.iter().any(|(n, _)| *n == name) {
            return;
        }
        let mut current: BTreeMap<&str, UValue> = BTreeMap::new();
        for (n, k) in &defs {
            current.insert(n, self.field(n).unwrap_or_else(|| default_value(*k)));
        }
        current.insert(defs.iter().find(|(n, _)| *n == name).map_or("", |(n, _)| n), value);
        self.fields = defs
            .iter()
            .filter_map(|(n, k)| {
                let v = current.remove(n)?;
                (!same(&v, &default_value(*k))).then(|| (n.to_string(), v))
            })
            .collect();
    }

    fn has(&self, name: &str) -> bool {
        fields_of(&self.class).is_some_and(|d| d.iter().any(|(n, _)| *n == name))
    }

    /// `ObjectiveMarker.control` and its subclasses' overrides (NaN arguments are ignored per argument).
    pub fn control(&mut self, prop: &str, p1: f64, p2: f64, p3: f64) {
        if !self.modelled() {
            return;
        }
        let truthy = |p: f64| (p as f32).abs() >= 0.000_001;
        let f = |p: f64| UValue::F32(p as f32);
        // each argument counts only when it is not NaN (null), independently of the others
        let (n1, n2, n3) = (!p1.is_nan(), !p2.is_nan(), !p3.is_nan());
        let class = self.class.clone();
        match (class.as_str(), prop) {
            (_, "world" | "minimap" | "autoscale") if n1 => self.set(prop, UValue::Bool(truthy(p1))),
            (_, "drawLayer") if n1 => self.set(prop, f(p1)),
            (_, "pos" | "endPos") if self.has(prop) => {
                let (mut x, mut y) = vec2(&self.field(prop).unwrap_or(UValue::Null));
                if n1 {
                    x = p1 as f32 * TILE;
                }
                if n2 {
                    y = p2 as f32 * TILE;
                }
                self.set(prop, make_vec2(x, y));
            }
            ("ShapeText" | "Text", "fontSize") | ("ShapeText", "textHeight") if n1 => self.set(prop, f(p1)),
            ("ShapeText" | "Text", "labelFlags") => {
                let mut flags = match self.field("flags") {
                    Some(UValue::I8(v)) => v,
                    _ => 3,
                };
                if n1 {
                    flags = if truthy(p1) { flags | 1 } else { flags & !1 };
                }
                if n2 {
                    flags = if truthy(p2) { flags | 2 } else { flags & !2 };
                }
                self.set("flags", UValue::I8(flags));
            }
            ("ShapeText" | "Point" | "Shape", "radius") | ("Point" | "Shape" | "Line", "stroke") if n1 => {
                self.set(prop, f(p1));
            }
            ("ShapeText" | "Shape" | "Texture", "rotation") if n1 => self.set(prop, f(p1)),
            ("ShapeText" | "Point" | "Shape" | "Texture", "color") if n1 => self.set("color", color_of(p1)),
            ("Line", "color") if n1 => {
                self.set("color1", color_of(p1));
                self.set("color2", color_of(p1));
            }
            ("ShapeText", "shape") if n1 => self.set("sides", UValue::I32(p1 as i32)),
            ("Shape", "shape") => {
                if n1 {
                    self.set("sides", UValue::I32(p1 as i32));
                }
                if n2 {
                    self.set("fill", UValue::Bool(truthy(p2)));
                }
                if n3 {
                    self.set("outline", UValue::Bool(truthy(p3)));
                }
            }
            ("Shape", "arc") => {
                if n1 {
                    self.set("startAngle", f(p1));
                }
                if n2 {
                    self.set("endAngle", f(p2));
                }
            }
            ("Line", "posi") if n1 => {
                let which = match p1 as i32 {
                    0 => "pos",
                    1 => "endPos",
                    _ => return,
                };
                let (mut x, mut y) = vec2(&self.field(which).unwrap_or(UValue::Null));
                if n2 {
                    x = p2 as f32 * TILE;
                }
                if n3 {
                    y = p3 as f32 * TILE;
                }
                self.set(which, make_vec2(x, y));
            }
            ("Line", "colori") if n1 && n2 => match p1 as i32 {
                0 => self.set("color1", color_of(p2)),
                1 => self.set("color2", color_of(p2)),
                _ => {}
            },
            ("Texture", "textureSize") => {
                if n1 {
                    self.set("width", UValue::F32(p1 as f32 * TILE));
                }
                if n2 {
                    self.set("height", UValue::F32(p2 as f32 * TILE));
                }
            }
            _ => {}
        }
    }

    fn to_value(&self) -> UValue {
        let mut m = vec![("class".to_string(), UValue::Str(self.class.clone()))];
        m.extend(self.fields.iter().cloned());
        UValue::Object(m)
    }
}

/// The markers of a world (`state.markers`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Markers {
    map: BTreeMap<i32, Marker>,
    /// The bytes the markers were loaded from, while unchanged (written back verbatim).
    raw: Option<Vec<u8>>,
    /// Bumped on every change (key of cached world streams).
    version: u64,
}

/// Why a markers region could not be read.
#[derive(Debug, thiserror::Error)]
pub enum MarkersError {
    /// Not UBJSON.
    #[error("markers: {0}")]
    Decode(#[from] DecodeError),
    /// UBJSON but not an object of markers.
    #[error("markers: {0}")]
    Shape(&'static str),
}

impl Markers {
    /// Reads a markers region (the bare UBJSON object).
    pub fn read(bytes: &[u8]) -> Result<Self, MarkersError> {
        let mut r = Reader::new(bytes);
        let v = UValue::read(&mut r)?;
        if !r.is_empty() {
            return Err(DecodeError::Trailing { count: r.remaining() }.into());
        }
        let UValue::Object(entries) = v else { return Err(MarkersError::Shape("not an object")) };
        let mut map = BTreeMap::new();
        for (k, v) in entries {
            let id: i32 = k.parse().map_err(|_| MarkersError::Shape("id is not an int"))?;
            let UValue::Object(members) = v else { return Err(MarkersError::Shape("marker is not an object")) };
            let mut class = None;
            let mut fields = Vec::new();
            for (name, value) in members {
                match (name.as_str(), value) {
                    ("class", UValue::Str(c)) if class.is_none() => class = Some(c),
                    (_, value) => fields.push((name, value)),
                }
            }
            let class = class.ok_or(MarkersError::Shape("marker without class"))?;
            map.insert(id, Marker { class, fields });
        }
        Ok(Self { map, raw: Some(bytes.to_vec()), version: 0 })
    }

    /// [`Markers::read`], or no markers but the region's bytes kept verbatim (written back until a processor
    /// changes markers) when they do not read.
    pub fn read_or_keep(bytes: &[u8]) -> Self {
        Self::read(bytes).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "markers region does not read: kept verbatim until a processor changes markers");
            Self { map: BTreeMap::new(), raw: Some(bytes.to_vec()), version: 0 }
        })
    }

    /// The markers region as Java writes it (the loaded bytes while nothing changed).
    pub fn encode(&self) -> Vec<u8> {
        if let Some(raw) = &self.raw {
            return raw.clone();
        }
        UValue::Object(self.map.iter().map(|(id, m)| (id.to_string(), m.to_value())).collect()).to_bytes()
    }

    /// Bumped on every change.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Number of markers.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Marker `id`.
    pub fn get(&self, id: i32) -> Option<&Marker> {
        self.map.get(&id)
    }

    fn changed(&mut self) {
        self.raw = None;
        self.version += 1;
    }

    /// `makemarker type id x y replace` (`MakeMarkerI`): a new marker of `type` at tile (`x`, `y`), unless the
    /// type is unknown, there are [`MAX_MARKERS`] already, or `id` exists and `replace` is false.
    pub fn make(&mut self, kind: &str, id: i32, x: f64, y: f64, replace: bool) -> bool {
        let Some(class) = class_of(kind) else { return false };
        if self.map.len() >= MAX_MARKERS || (!replace && self.map.contains_key(&id)) {
            return false;
        }
        let mut m = Marker::new(class);
        m.control("pos", x, y, 0.0);
        self.map.insert(id, m);
        self.changed();
        true
    }

    /// `setmarker remove id`.
    pub fn remove(&mut self, id: i32) -> bool {
        let removed = self.map.remove(&id).is_some();
        if removed {
            self.changed();
        }
        removed
    }

    /// `setmarker <prop> id p1 p2 p3` for the numeric properties (`ObjectiveMarker.control`).
    pub fn control(&mut self, id: i32, prop: &str, p1: f64, p2: f64, p3: f64) {
        let Some(m) = self.map.get_mut(&id) else { return };
        let before = m.clone();
        m.control(prop, p1, p2, p3);
        if *m != before {
            self.changed();
        }
    }

    /// `setmarker flushText id fetch` (`setText`): the text of a text or shape-text marker (other markers
    /// ignore it). Whether the marker exists (the processor's text buffer is consumed only then).
    pub fn set_text(&mut self, id: i32, text: &str) -> bool {
        let Some(m) = self.map.get_mut(&id) else { return false };
        if m.modelled() && m.has("text") && m.field("text") != Some(UValue::Str(text.to_string())) {
            m.set("text", UValue::Str(text.to_string()));
            self.changed();
        }
        true
    }

    /// `setmarker texture id false name` / `setmarker texture id true` (`setTexture`) on a texture marker.
    pub fn set_texture(&mut self, id: i32, name: &str) {
        let Some(m) = self.map.get_mut(&id) else { return };
        if m.modelled() && m.has("textureName") && m.field("textureName") != Some(UValue::Str(name.to_string())) {
            m.set("textureName", UValue::Str(name.to_string()));
            self.changed();
        }
    }
}

/// A marker instruction of a world processor (applied at once by the processor's host, as `LExecutor` does).
#[derive(Debug, Clone, PartialEq)]
pub enum MarkerOp {
    /// `makemarker`.
    Make {
        /// Type name.
        kind: String,
        /// Marker id.
        id: i32,
        /// Tile x.
        x: f64,
        /// Tile y.
        y: f64,
        /// Replace an existing marker.
        replace: bool,
    },
    /// `setmarker remove`.
    Remove(i32),
    /// `setmarker <prop>`.
    Control {
        /// Marker id.
        id: i32,
        /// `LMarkerControl` name.
        prop: String,
        /// Arguments (NaN: not a number).
        p: [f64; 3],
    },
    /// `setmarker texture id false <object>`.
    Texture {
        /// Marker id.
        id: i32,
        /// Texture name.
        name: String,
    },
}

impl Markers {
    /// Applies one processor request.
    pub fn apply(&mut self, op: &MarkerOp) {
        match op {
            MarkerOp::Make { kind, id, x, y, replace } => {
                self.make(kind, *id, *x, *y, *replace);
            }
            MarkerOp::Remove(id) => {
                self.remove(*id);
            }
            MarkerOp::Control { id, prop, p } => self.control(*id, prop, p[0], p[1], p[2]),
            MarkerOp::Texture { id, name } => self.set_texture(*id, name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shape_marker_is_written_as_arc_json_writes_it() {
        let mut m = Markers::default();
        assert!(m.make("shape", 5, 10.0, 12.5, true));
        let bytes = m.encode();
        let mut want = vec![b'{', b'i', 1, b'5', b'{', b'i', 5];
        want.extend_from_slice(b"class");
        want.extend_from_slice(&[b'S', b'i', 5]);
        want.extend_from_slice(b"Shape");
        want.extend_from_slice(&[b'i', 3]);
        want.extend_from_slice(b"pos");
        want.extend_from_slice(&[b'{', b'i', 1, b'x', b'd']);
        want.extend_from_slice(&80.0f32.to_be_bytes());
        want.extend_from_slice(&[b'i', 1, b'y', b'd']);
        want.extend_from_slice(&100.0f32.to_be_bytes());
        want.extend_from_slice(b"}}}");
        assert_eq!(bytes, want);
        let back = Markers::read(&bytes).expect("reads");
        assert_eq!(back.get(5), m.get(5));
    }

    #[test]
    fn controls_change_fields_and_defaults_are_left_out() {
        let mut m = Markers::default();
        m.make("shapeText", 1, 0.0, 3.0, false);
        // not replaced
        assert!(!m.make("point", 1, 9.0, 9.0, false));
        m.control(1, "radius", 6.0, f64::NAN, f64::NAN); // the default again: still left out
        m.control(1, "fontSize", 2.5, f64::NAN, f64::NAN);
        m.control(1, "labelFlags", 0.0, 1.0, f64::NAN);
        m.control(1, "color", f64::from_bits(0xff00_00ff), f64::NAN, f64::NAN);
        m.control(1, "world", 0.0, f64::NAN, f64::NAN);
        let mk = m.get(1).expect("marker");
        assert_eq!(mk.class, "ShapeText");
        let names: Vec<&str> = mk.fields.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["world", "pos", "fontSize", "flags", "color"]);
        assert_eq!(mk.field("pos"), Some(UValue::Object(vec![("y".into(), UValue::F32(24.0))])));
        assert_eq!(mk.field("flags"), Some(UValue::I8(2)));
        assert_eq!(mk.field("color"), Some(UValue::Str("ff0000ff".into())));
        assert_eq!(mk.field("world"), Some(UValue::Bool(false)));
        let back = Markers::read(&m.encode()).expect("reads");
        assert_eq!(back.get(1), m.get(1));
        assert!(m.remove(1));
        assert_eq!(m.encode(), b"{}");
    }

    #[test]
    fn null_arguments_leave_their_part_unchanged() {
        let mut m = Markers::default();
        m.make("shape", 1, 2.0, 3.0, true);
        m.control(1, "pos", f64::NAN, 5.0, f64::NAN);
        m.control(1, "shape", f64::NAN, 1.0, 0.0);
        m.control(1, "arc", f64::NAN, 90.0, f64::NAN);
        let s = m.get(1).expect("shape");
        assert_eq!(s.field("pos"), Some(make_vec2(16.0, 40.0)));
        assert_eq!(s.field("sides"), Some(UValue::I32(4)));
        assert_eq!(s.field("fill"), Some(UValue::Bool(true)));
        assert_eq!(s.field("outline"), Some(UValue::Bool(false)));
        assert_eq!(s.field("endAngle"), Some(UValue::F32(90.0)));
        assert_eq!(s.field("startAngle"), Some(UValue::F32(0.0)));
        // `endPos` exists only on lines
        m.control(1, "endPos", 1.0, 1.0, f64::NAN);
        assert!(m.get(1).expect("shape").fields.iter().all(|(k, _)| k != "endPos"));
    }

    #[test]
    fn line_and_texture_controls() {
        let mut m = Markers::default();
        m.make("line", 2, 1.0, 1.0, true);
        m.control(2, "endPos", 4.0, 5.0, f64::NAN);
        m.control(2, "posi", 0.0, f64::NAN, 7.0);
        m.control(2, "colori", 1.0, f64::from_bits(0x0000_ffff), f64::NAN);
        let l = m.get(2).expect("line");
        assert_eq!(l.field("pos"), Some(make_vec2(8.0, 56.0)));
        assert_eq!(l.field("endPos"), Some(make_vec2(32.0, 40.0)));
        assert_eq!(l.field("color2"), Some(UValue::Str("0000ffff".into())));
        assert_eq!(l.field("color1"), Some(UValue::Str("ffd37fff".into())));
        m.make("texture", 3, 0.0, 0.0, true);
        m.apply(&MarkerOp::Texture { id: 3, name: "router".into() });
        m.control(3, "textureSize", 2.0, 3.0, f64::NAN);
        let t = m.get(3).expect("texture");
        assert_eq!(t.fields.len(), 3);
        assert_eq!(t.field("textureName"), Some(UValue::Str("router".into())));
        assert_eq!(t.field("height"), Some(UValue::F32(24.0)));
        assert!(!m.make("quad", 4, 0.0, 0.0, true));
        assert!(!m.make("nope", 4, 0.0, 0.0, true));
    }

    /// Truncated, bit-flipped and spliced marker regions are errors or markers, never panics; whatever reads
    /// writes back bytes that read to the same markers.
    #[test]
    fn mutated_regions_never_panic_and_readable_ones_round_trip() {
        let mut m = Markers::default();
        m.make("shapeText", 1, 2.0, 3.0, true);
        m.control(1, "color", f64::from_bits(0x1122_3344), f64::NAN, f64::NAN);
        m.make("line", -7, 1.0, 1.0, true);
        m.control(-7, "endPos", 9.0, 9.0, f64::NAN);
        m.make("texture", 300, 0.5, 0.5, true);
        m.set_texture(300, "router");
        let base = m.encode();
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut readable = 0;
        for round in 0..20_000 {
            let mut b = base.clone();
            match round % 3 {
                0 => b.truncate((next() as usize) % (base.len() + 1)),
                1 => {
                    for _ in 0..1 + next() % 4 {
                        let i = (next() as usize) % b.len();
                        b[i] ^= 1 << (next() % 8);
                    }
                }
                _ => {
                    let (i, j) = ((next() as usize) % b.len(), (next() as usize) % b.len());
                    let piece = b[i.min(j)..i.max(j)].to_vec();
                    let at = (next() as usize) % b.len();
                    b.splice(at..at, piece);
                }
            }
            if let Ok(read) = Markers::read(&b) {
                readable += 1;
                // written by this writer (not the kept bytes), read back to the same tree (NaN-safe compare)
                let fresh = Markers { map: read.map.clone(), raw: None, version: 1 };
                let again = Markers::read(&fresh.encode()).expect("own bytes read");
                assert_eq!(format!("{:?}", again.map), format!("{:?}", read.map));
            }
        }
        assert!(readable > 0);
    }

    #[test]
    fn unknown_markers_and_bad_bytes() {
        // a marker of a class this server does not model survives unchanged, and setmarker leaves it alone
        let v = UValue::Object(vec![(
            "-3".into(),
            UValue::Object(vec![
                ("class".into(), UValue::Str("Quad".into())),
                ("vertices".into(), UValue::Array(vec![UValue::F32(1.0), UValue::F32(2.0)])),
            ]),
        )]);
        let bytes = v.to_bytes();
        let mut m = Markers::read(&bytes).expect("reads");
        m.control(-3, "pos", 1.0, 1.0, 0.0);
        assert_eq!(m.encode(), bytes);
        m.make("point", 0, 1.0, 1.0, true);
        let again = Markers::read(&m.encode()).expect("reads");
        assert_eq!(again.get(-3), m.get(-3));
        assert_eq!(again.len(), 2);
        for bad in [&b""[..], b"{", b"{i\x01x", b"[", b"{}x", b"{i\x01aZ}", b"{i\x7f", b"[$d#l\x7f\xff\xff\xff"] {
            assert!(Markers::read(bad).is_err(), "{bad:?}");
        }
        let deep = vec![b'['; 200];
        assert!(Markers::read(&deep).is_err());
    }
}
