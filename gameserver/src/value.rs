//! Building and plan configuration values: the subset of TypeIO's tagged object (`writeObject`, protocol spec
//! §1.7) that the blocks this server simulates use.
//!
//! Owns: the in-memory form the simulation stores and compares, and its conversion to/from the protocol
//! crate's [`Object`] (whose codec, `Reader::object`/`Writer::object`, is the only wire codec used); objects
//! this server does not interpret are kept as [`Value::Other`], so they still reach clients unchanged.
//!
//! Invariants: `Other` never holds an object that has its own variant here (see [`Value::from`]).

use multidustry_protocol::typeio::{ContentRef, Object};

/// A configuration value.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    /// null (tag 0).
    #[default]
    Null,
    /// Integer (tag 1).
    Int(i32),
    /// Long (tag 2).
    Long(i64),
    /// Float (tag 3).
    Float(f32),
    /// String (tag 4); `None` is a null string.
    Str(Option<String>),
    /// Content (tag 5): content type ordinal, id.
    Content(u8, i16),
    /// Point2 (tag 7).
    Point(i32, i32),
    /// Boolean (tag 10).
    Bool(bool),
    /// Building position (tag 12).
    Building(i32),
    /// Any other object, kept as the protocol crate decoded it.
    Other(Object),
}

impl From<Object> for Value {
    fn from(o: Object) -> Value {
        match o {
            Object::Null => Value::Null,
            Object::Int(v) => Value::Int(v),
            Object::Long(v) => Value::Long(v),
            Object::Float(v) => Value::Float(v),
            Object::String(s) => Value::Str(s),
            Object::Content(c) => Value::Content(c.content_type, c.id),
            Object::Point2 { x, y } => Value::Point(x, y),
            Object::Bool(b) => Value::Bool(b),
            Object::Building(p) => Value::Building(p),
            other => Value::Other(other),
        }
    }
}

impl Value {
    /// The protocol object this value encodes as.
    pub fn to_object(&self) -> Object {
        match self {
            Value::Null => Object::Null,
            Value::Int(v) => Object::Int(*v),
            Value::Long(v) => Object::Long(*v),
            Value::Float(v) => Object::Float(*v),
            Value::Str(s) => Object::String(s.clone()),
            Value::Content(t, id) => Object::Content(ContentRef { content_type: *t, id: *id }),
            Value::Point(x, y) => Object::Point2 { x: *x, y: *y },
            Value::Bool(b) => Object::Bool(*b),
            Value::Building(p) => Object::Building(*p),
            Value::Other(o) => o.clone(),
        }
    }
}

/// ContentType ordinal of items.
pub const CONTENT_ITEM: u8 = 0;

/// Content type ordinal of liquids (`ContentType.liquid`).
pub const CONTENT_LIQUID: u8 = 4;

impl Value {
    /// Whether this value is acceptable as the configuration of a block of `kind`.
    pub fn fits(&self, kind: crate::blocks::ConfigKind) -> bool {
        use crate::blocks::ConfigKind as K;
        match (kind, self) {
            (_, Value::Null) => true,
            (K::Item, Value::Content(CONTENT_ITEM, _)) => true,
            (K::Liquid, Value::Content(CONTENT_LIQUID, _)) => true,
            (K::Bool, Value::Bool(_)) => true,
            (K::Text, Value::Str(Some(s))) => s.chars().count() <= MESSAGE_MAX_CHARS,
            (K::Link, Value::Point(..) | Value::Int(_) | Value::Building(_) | Value::Other(_)) => true,
            (K::Int, Value::Int(_)) => true,
            (K::Program, Value::Other(Object::Bytes(b))) => b.len() <= PROGRAM_MAX_BYTES,
            _ => false,
        }
    }
}

/// Largest compressed processor program accepted (`LogicBlock.maxByteLen`).
pub const PROGRAM_MAX_BYTES: usize = 1024 * 100;

/// `MessageBlock.maxTextLength`.
pub const MESSAGE_MAX_CHARS: usize = 220;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blocks::ConfigKind;

    #[test]
    fn values_fit_only_their_block_kind() {
        assert!(Value::Content(CONTENT_ITEM, 0).fits(ConfigKind::Item));
        assert!(!Value::Content(4, 0).fits(ConfigKind::Item));
        assert!(Value::Bool(true).fits(ConfigKind::Bool));
        assert!(!Value::Bool(true).fits(ConfigKind::None));
        assert!(Value::Str(Some("hi".into())).fits(ConfigKind::Text));
        assert!(!Value::Str(Some("x".repeat(221))).fits(ConfigKind::Text));
        assert!(Value::Null.fits(ConfigKind::None));
    }

    #[test]
    fn objects_convert_both_ways() {
        for o in [
            Object::Null,
            Object::Int(-3),
            Object::String(Some("héllo".into())),
            Object::Content(ContentRef { content_type: 0, id: 4 }),
            Object::Point2 { x: 1, y: -2 },
            Object::Bool(true),
            Object::Building(77),
            Object::IntSeq(vec![1, 2]),
        ] {
            assert_eq!(Value::from(o.clone()).to_object(), o);
        }
        assert_eq!(Value::from(Object::IntSeq(vec![1])), Value::Other(Object::IntSeq(vec![1])));
    }
}
