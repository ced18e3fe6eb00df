//! A world's map markers (`state.markers`, Java's `MapMarkers`): the markers world processors create with
//! `makemarker`, change with `setmarker` and remove with `setmarker remove`, loaded from a map or save and written
//! into saves and world streams (the `markers` region) as Java writes them: `JsonIO.writeBytes(map,
//! ObjectiveMarker.class)`, i.e. Arc's `Json` over its `UBJsonWriter`.
//!
//! Owns: [`UValue`] (an Arc UBJSON tree: reader and writer), [`Markers`] (id → [`Marker`]) and what each marker
//! instruction does to it ([`Markers::make`], [`Markers::control`], [`Markers::remove`], [`Markers::set_texture`]).
//! Does not own: the region framing (the world crate), running processors (`logic`).
//!
//! The layout, from Arc's `Json` and `UBJsonWriter` and Mindustry's `mindustry.game.markers` (all official maps
//! and captures only carry the empty `{}`, so no marker written by Java is at hand to compare bytes with):
//! ```text
//!  { "<id as decimal>": { "class": "Shape", <fields that differ from a new marker's, superclass fields first> } … }
//!  object '{' … '}'; names: 'i'/'I'/'l' length + UTF-8 (no 'S'); strings: 'S' + length + UTF-8; float 'd' f32;
//!  int 'l' i32; byte 'i'; boolean 'T'/'F'; Vec2 a nested object {x, y} (zero members left out); Color "rrggbbaa";
//!  TextureHolder {"string": name} (no `equals`, so always written)
//! ```
//! The class tag is the class name without `Marker` (`MapObjectives.registerMarker`: the last registered tag
//! wins); fields equal to a fresh instance's are left out (`ObjectiveMarker.write` is `Json.writeFields`, which
//! skips default values). `world`, `minimap`, `light` are `@IndexBool` ints: the marker's index in `MapMarkers`'
//! unordered `worldMarkers`/`mapMarkers`/`lightMarkers` lists, -1 when not in one (a new marker holds 1, -1, -1);
//! this module keeps those lists as Java does (append; removal moves the last element into the gap), so the
//! indices written are Java's. Ids are written in ascending order and a loaded world's list indices are assigned in
//! ascending id order (Java iterates its `IntMap` in hash order; readers only look at -1 or not).
//!
//! Which source: build 159's protocol (`updateMarkerTexture` carries an object) matches the
//! `mindustry.game.markers` package (`ObjectiveMarker implements JsonSerializable`, `TextureHolder`,
//! `LightMarker`); the field lists here follow the newest stored copies of those classes, which were not checked
//! against a 159 jar (the stored copies span several development snapshots). Arc's `UBJsonWriter.value(Object)`
//! as stored has no `Boolean` case; if build 159's has none either, Java itself could not write a marker whose
//! boolean field (`fill`, `outline`, `autoscale`) differs from its default, and this writer's `T`/`F` is the
//! only sensible reading.
//! Partial: `QuadMarker` (`makemarker quad`) is not modelled (its `float[]` vertices): `makemarker quad` does
//! nothing here; markers of unknown classes or fields read from a map are kept and written back unchanged
//! (only their list indices follow removals) and `setmarker` does not change them.
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
    /// `TextureHolder` (`{"string": name}`): no `equals`, so always written; a new one holds `"white"`.
    Texture,
}

/// `ObjectiveMarker`'s fields: `world`, `minimap`, `light` are `@IndexBool` ints (the marker's index in
/// `MapMarkers.worldMarkers`/`mapMarkers`/`lightMarkers`, -1 when not shown there; a new marker has 1, -1, -1).
const BASE: &[(&str, Kind)] = &[
    ("world", Kind::I32(1)),
    ("minimap", Kind::I32(-1)),
    ("light", Kind::I32(-1)),
    ("autoscale", Kind::Bool(false)),
    ("drawLayer", Kind::F32(120.0)),
];
/// The three visibility lists, by field name.
const LISTS: [&str; 3] = ["world", "minimap", "light"];
const POS: (&str, Kind) = ("pos", Kind::Vec2);
const YELLOW: u32 = 0xffd3_7fff;
/// `Align.center`.
const CENTER: i32 = 1;

/// The marker classes `makemarker` can create (`mindustry.game.markers`): (class tag, fields after the base
/// and `pos`, in declaration order).
const CLASSES: &[(&str, &[(&str, Kind)])] = &[
    (
        "ShapeText",
        &[
            ("text", Kind::Str("frog")),
            ("fontSize", Kind::F32(1.0)),
            ("textHeight", Kind::F32(7.0)),
            ("flags", Kind::I8(3)),
            ("textAlign", Kind::I32(CENTER)),
            ("lineAlign", Kind::I32(CENTER)),
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
    (
        "Text",
        &[
            ("text", Kind::Str("uwu")),
            ("fontSize", Kind::F32(1.0)),
            ("flags", Kind::I8(3)),
            ("textAlign", Kind::I32(CENTER)),
            ("lineAlign", Kind::I32(CENTER)),
        ],
    ),
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
            ("texture", Kind::Texture),
            ("color", Kind::Color(0xffff_ffff)),
        ],
    ),
    ("Light", &[("radius", Kind::F32(5.0)), ("color", Kind::Color(YELLOW))]),
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
        "Light" | "light" => "Light",
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

/// A `TextureHolder` naming a texture by string.
fn texture_holder(name: &str) -> UValue {
    UValue::Object(vec![("string".to_string(), UValue::Str(name.to_string()))])
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
        Kind::Texture => texture_holder("white"),
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
        let fields =
            if class == "Texture" { vec![("texture".to_string(), texture_holder("white"))] } else { Vec::new() };
        Self { class: class.to_string(), fields }
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
                (*k == Kind::Texture || !same(&v, &default_value(*k))).then(|| (n.to_string(), v))
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
            // `world`, `minimap`, `light` move the marker between `MapMarkers`' lists: `Markers::control`
            (_, "autoscale") if n1 => self.set(prop, UValue::Bool(truthy(p1))),
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
            ("ShapeText" | "Text", "textAlign" | "lineAlign") if n1 => self.set(prop, UValue::I32(p1 as i32)),
            ("ShapeText" | "Text", "labelFlags" | "outline") => {
                let mut flags = match self.field("flags") {
                    Some(UValue::I8(v)) => v,
                    _ => 3,
                };
                // `labelFlags`: background from p1, outline from p2; `outline`: outline from p1
                let bit = |flags: i8, mask: i8, on: bool| if on { flags | mask } else { flags & !mask };
                if n1 {
                    flags = bit(flags, if prop == "outline" { 2 } else { 1 }, truthy(p1));
                }
                if n2 && prop == "labelFlags" {
                    flags = bit(flags, 2, truthy(p2));
                }
                self.set("flags", UValue::I8(flags));
            }
            ("Shape" | "Line", "outline") if n1 => self.set("outline", UValue::Bool(truthy(p1))),
            ("ShapeText" | "Point" | "Shape" | "Light", "radius") | ("Point" | "Shape" | "Line", "stroke") if n1 => {
                self.set(prop, f(p1));
            }
            ("ShapeText" | "Shape" | "Texture", "rotation") if n1 => self.set(prop, f(p1)),
            ("ShapeText" | "Point" | "Shape" | "Texture" | "Light", "color") if n1 => self.set("color", color_of(p1)),
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
    /// `MapMarkers.worldMarkers`, `mapMarkers`, `lightMarkers` (unordered `Seq`s: removal moves the last
    /// element into the gap) as marker ids; each marker's `world`/`minimap`/`light` field is its index here.
    lists: [Vec<i32>; 3],
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
        let mut markers = Self { map, lists: Default::default(), raw: Some(bytes.to_vec()), version: 0 };
        // `MapMarkers.read`: old saves hold booleans (true → shown); the shown markers get their list indices in
        // map order (Java iterates its `IntMap`, here ascending ids)
        let ids: Vec<i32> = markers.map.keys().copied().collect();
        for id in ids {
            for (l, name) in LISTS.iter().enumerate() {
                let shown = match markers.map.get(&id).and_then(|m| m.field(name)) {
                    Some(UValue::Bool(b)) => b,
                    Some(v) => v.num().is_none_or(|n| n != -1.0),
                    None => l == 0,
                };
                let index = if shown {
                    markers.lists[l].push(id);
                    markers.lists[l].len() as i32 - 1
                } else {
                    -1
                };
                markers.set_index(id, l, index);
            }
        }
        Ok(markers)
    }

    /// [`Markers::read`], or no markers but the region's bytes kept verbatim (written back until a processor
    /// changes markers) when they do not read.
    pub fn read_or_keep(bytes: &[u8]) -> Self {
        Self::read(bytes).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "markers region does not read: kept verbatim until a processor changes markers");
            Self { map: BTreeMap::new(), lists: Default::default(), raw: Some(bytes.to_vec()), version: 0 }
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

    /// The list index marker `id` holds for list `l` (-1: not in it).
    fn index(&self, id: i32, l: usize) -> i32 {
        match self.map.get(&id).and_then(|m| m.field(LISTS[l])) {
            Some(v) => v.num().map_or(-1, |n| n as i32),
            None => -1,
        }
    }

    /// Sets marker `id`'s index for list `l` (also on markers of classes this server does not model, whose
    /// other fields stay as read).
    fn set_index(&mut self, id: i32, l: usize, index: i32) {
        let Some(m) = self.map.get_mut(&id) else { return };
        let name = LISTS[l];
        if m.modelled() {
            m.set(name, UValue::I32(index));
            return;
        }
        let default = if l == 0 { 1 } else { -1 };
        m.fields.retain(|(k, _)| k != name);
        if index != default {
            let at = m.fields.iter().take_while(|(k, _)| LISTS[..l].contains(&k.as_str())).count();
            m.fields.insert(at, (name.to_string(), UValue::I32(index)));
        }
    }

    /// `Seq.remove(index)` of an unordered list after Java set the last element's index to `index`: the last
    /// element moves into the gap (`skip`: a marker no longer in the map whose index does not matter).
    fn remove_at(&mut self, l: usize, index: i32, skip: Option<i32>) {
        let Ok(i) = usize::try_from(index) else { return };
        if i >= self.lists[l].len() {
            return;
        }
        if let Some(&last) = self.lists[l].last()
            && Some(last) != skip
        {
            self.set_index(last, l, index);
        }
        self.lists[l].swap_remove(i);
    }

    /// `makemarker type id x y replace` (`MakeMarkerI`, `MapMarkers.add`): a new marker of `type` at tile (`x`,
    /// `y`), unless the type is unknown, there are [`MAX_MARKERS`] already, or `id` exists and `replace` is
    /// false. A replaced marker's list places go to the new one.
    pub fn make(&mut self, kind: &str, id: i32, x: f64, y: f64, replace: bool) -> bool {
        let Some(class) = class_of(kind) else { return false };
        if self.map.len() >= MAX_MARKERS || (!replace && self.map.contains_key(&id)) {
            return false;
        }
        let mut m = Marker::new(class);
        m.control("pos", x, y, 0.0);
        let prev = [0, 1, 2].map(|l| self.index(id, l));
        let had = self.map.insert(id, m).is_some();
        for (l, &prev_index) in prev.iter().enumerate() {
            let curr = self.index(id, l);
            if had && prev_index != -1 {
                if curr != -1 {
                    self.set_index(id, l, prev_index);
                    if let Some(slot) = usize::try_from(prev_index).ok().and_then(|i| self.lists[l].get_mut(i)) {
                        *slot = id;
                    }
                } else {
                    // the previous marker (same id, gone) leaves the list
                    self.remove_at(l, prev_index, Some(id));
                }
            } else if curr != -1 {
                self.set_index(id, l, self.lists[l].len() as i32);
                self.lists[l].push(id);
            }
        }
        self.changed();
        true
    }

    /// `setmarker remove id` (`MapMarkers.remove`).
    pub fn remove(&mut self, id: i32) -> bool {
        let prev = [0, 1, 2].map(|l| self.index(id, l));
        if self.map.remove(&id).is_none() {
            return false;
        }
        for (l, &index) in prev.iter().enumerate() {
            if index != -1 {
                self.remove_at(l, index, Some(id));
            }
        }
        self.changed();
        true
    }

    /// `setmarker <prop> id p1 p2 p3` for the numeric properties (`ObjectiveMarker.control`; `world`,
    /// `minimap`, `light` through `MapMarkers.updateMarker`).
    pub fn control(&mut self, id: i32, prop: &str, p1: f64, p2: f64, p3: f64) {
        let Some(m) = self.map.get(&id) else { return };
        if let Some(l) = LISTS.iter().position(|n| *n == prop) {
            if p1.is_nan() || !m.modelled() {
                return;
            }
            let visible = (p1 as f32).abs() >= 0.000_001;
            let index = self.index(id, l);
            if (index != -1) == visible {
                return;
            }
            if visible {
                self.set_index(id, l, self.lists[l].len() as i32);
                self.lists[l].push(id);
            } else {
                self.remove_at(l, index, None);
                self.set_index(id, l, -1);
            }
            self.changed();
            return;
        }
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

    /// `setmarker texture id true` (`setTexture` with the text buffer) on a texture marker: its `TextureHolder`
    /// names the texture by string.
    pub fn set_texture(&mut self, id: i32, name: &str) {
        self.set_texture_holder(id, texture_holder(name));
    }

    /// `setmarker texture id false object` (`setTexture(p2.obj())`) on a texture marker: `holder` is the
    /// `TextureHolder` as written (see [`TextureRef`]).
    pub fn set_texture_holder(&mut self, id: i32, holder: UValue) {
        let Some(m) = self.map.get_mut(&id) else { return };
        if m.modelled() && m.has("texture") && m.field("texture").as_ref() != Some(&holder) {
            m.set("texture", holder);
            self.changed();
        }
    }
}

/// What a `TextureHolder` holds, as `TextureHolder.write` writes it.
#[derive(Debug, Clone, PartialEq)]
pub enum TextureRef {
    /// An atlas region name: `{"string": name}`.
    Name(String),
    /// Content (its icon): `{"content": name}`.
    Content(String),
    /// A display or canvas building: `{"building": pos}`.
    Building(i32),
    /// Anything else (null, a number, a team): written as `{}`.
    Other,
}

impl TextureRef {
    /// The holder's UBJSON object.
    pub fn holder(&self) -> UValue {
        let member = |k: &str, v: UValue| UValue::Object(vec![(k.to_string(), v)]);
        match self {
            Self::Name(s) => member("string", UValue::Str(s.clone())),
            Self::Content(s) => member("content", UValue::Str(s.clone())),
            Self::Building(pos) => member("building", UValue::I32(*pos)),
            Self::Other => UValue::Object(Vec::new()),
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
        /// What the marker shows.
        texture: TextureRef,
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
            MarkerOp::Texture { id, texture } => self.set_texture_holder(*id, texture.holder()),
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
        // the first marker shown in the world has index 0 there (a new marker's `world` is 1)
        want.extend_from_slice(&[b'i', 5]);
        want.extend_from_slice(b"world");
        want.extend_from_slice(&[b'l', 0, 0, 0, 0]);
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
        assert_eq!(mk.field("world"), Some(UValue::I32(-1)));
        let back = Markers::read(&m.encode()).expect("reads");
        assert_eq!(back.get(1), m.get(1));
        assert!(m.remove(1));
        assert_eq!(m.encode(), b"{}");
    }

    /// `MapMarkers`' lists: indices as Java assigns them, the last marker moving into a removed one's place.
    #[test]
    fn visibility_lists_follow_map_markers() {
        let mut m = Markers::default();
        for id in [10, 20, 30] {
            m.make("point", id, 0.0, 0.0, true);
        }
        let idx = |m: &Markers, id: i32, l: &str| m.get(id).and_then(|k| k.field(l)).and_then(|v| v.num());
        assert_eq!(
            [idx(&m, 10, "world"), idx(&m, 20, "world"), idx(&m, 30, "world")],
            [Some(0.0), Some(1.0), Some(2.0)]
        );
        m.remove(10);
        assert_eq!(idx(&m, 30, "world"), Some(0.0), "the last moved into the gap");
        m.control(20, "world", 0.0, f64::NAN, f64::NAN);
        assert_eq!(idx(&m, 20, "world"), Some(-1.0));
        m.control(20, "minimap", 1.0, f64::NAN, f64::NAN);
        m.control(30, "light", 1.0, f64::NAN, f64::NAN);
        m.control(30, "minimap", 1.0, f64::NAN, f64::NAN);
        assert_eq!(
            [idx(&m, 20, "minimap"), idx(&m, 30, "minimap"), idx(&m, 30, "light")],
            [Some(0.0), Some(1.0), Some(0.0)]
        );
        // replacing keeps the list places; a reload reassigns them in id order
        m.make("shape", 30, 1.0, 1.0, true);
        assert_eq!(
            [idx(&m, 30, "world"), idx(&m, 30, "minimap"), idx(&m, 30, "light")],
            [Some(0.0), Some(-1.0), Some(-1.0)]
        );
        assert_eq!(idx(&m, 20, "minimap"), Some(0.0));
        let back = Markers::read(&m.encode()).expect("reads");
        assert_eq!(back.lists, [vec![30], vec![20], vec![]]);
        // old saves: booleans
        let old = UValue::Object(vec![(
            "4".into(),
            UValue::Object(vec![
                ("class".into(), UValue::Str("Point".into())),
                ("world".into(), UValue::Bool(false)),
                ("minimap".into(), UValue::Bool(true)),
            ]),
        )]);
        let read = Markers::read(&old.to_bytes()).expect("reads");
        assert_eq!([idx(&read, 4, "world"), idx(&read, 4, "minimap")], [Some(-1.0), Some(0.0)]);
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
        m.apply(&MarkerOp::Texture { id: 3, texture: TextureRef::Name("router".into()) });
        m.control(3, "textureSize", 2.0, 3.0, f64::NAN);
        let t = m.get(3).expect("texture");
        let names: Vec<&str> = t.fields.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["width", "height", "texture"], "world index 1 is the default; the holder always");
        assert_eq!(t.field("texture"), Some(texture_holder("router")));
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
                let fresh = Markers { map: read.map.clone(), lists: read.lists.clone(), raw: None, version: 1 };
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
