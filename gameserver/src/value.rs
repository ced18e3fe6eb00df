//! Building and plan configuration values: the subset of TypeIO's tagged object (`writeObject`, protocol spec
//! §1.7) that the blocks this server simulates use.
//!
//! Owns: the in-memory form the simulation stores and compares. Wire encoding of these values is done where
//! packets are encoded (the protocol crate's object codec); values this server does not understand are kept
//! as [`Value::Other`] with their encoded bytes, so they still reach clients unchanged.
//!
//! Invariants: `Other` always holds one complete encoded object (tag byte first).

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
    /// Any other object, as its encoded bytes (tag byte first).
    Other(Vec<u8>),
}

/// ContentType ordinal of items.
pub const CONTENT_ITEM: u8 = 0;

impl Value {
    /// Whether this value is acceptable as the configuration of a block of `kind`.
    pub fn fits(&self, kind: crate::blocks::ConfigKind) -> bool {
        use crate::blocks::ConfigKind as K;
        match (kind, self) {
            (_, Value::Null) => true,
            (K::Item, Value::Content(CONTENT_ITEM, _)) => true,
            (K::Bool, Value::Bool(_)) => true,
            (K::Text, Value::Str(Some(s))) => s.chars().count() <= MESSAGE_MAX_CHARS,
            (K::Link, Value::Point(..) | Value::Int(_) | Value::Building(_) | Value::Other(_)) => true,
            _ => false,
        }
    }
}

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
}
