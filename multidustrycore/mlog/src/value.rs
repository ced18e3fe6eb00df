//! Runtime values of mlog variables and the game's conversions between them.
//!
//! Owns: [`Value`] (number / null / string / object references), `num()` (numval), `bool()` (truthiness),
//! `setnum` (NaN/∞ ⇒ null), object equality, and number printing (`print` rule: near-integers print as
//! `Math.round`, others as Java `Double.toString`).
//! Does not own: what an object *is* (buildings and units are opaque host handles, see [`crate::host`]),
//! nor content names (those live in [`crate::content::ContentTable`]).
//!
//! Invariant: a `Value::Num` stored in a variable is always finite; producers go through [`Value::num_or_null`]
//! (the game's `setnum`), so NaN and ±∞ never reach a variable.

use std::fmt::Write as _;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// Kind of a content object (`lookup` types and `@copper`-style constants).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ContentKind {
    /// `lookup item`.
    Item,
    /// `lookup liquid`.
    Liquid,
    /// `lookup block`.
    Block,
    /// `lookup unit`.
    Unit,
}

impl ContentKind {
    /// The mlog token (`item`, `liquid`, `block`, `unit`).
    #[must_use]
    pub fn parse(token: &str) -> Option<Self> {
        Some(match token {
            "item" => Self::Item,
            "liquid" => Self::Liquid,
            "block" => Self::Block,
            "unit" => Self::Unit,
            _ => return None,
        })
    }
}

/// One mlog value. 24 bytes; cloning a string is an `Arc` bump.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(into = "ValueRepr", from = "ValueRepr")]
// Defined layout (discriminant byte, payload at offset 8): the JIT reads and writes numbers in place.
#[repr(C, u8)]
pub enum Value {
    /// `null` (uninitialised variables, failed lookups, NaN/∞ results).
    #[default]
    Null,
    /// A finite double.
    Num(f64),
    /// A string (literals, `sensor @name` on content).
    Str(Arc<str>),
    /// Item/liquid/block/unit type, by its id in the *content table* (not the logic id).
    Content(ContentKind, u16),
    /// A team, by team id (`@sharded` = 1, `@crux` = 2, ...).
    Team(u8),
    /// A sensor property key (`@x`, `@health`, ...): index into [`crate::content::SENSORS`].
    Sensor(u16),
    /// Other enum-like key constants (`@solid`, `@ctrlProcessor`-style object constants are numbers instead).
    Key(u16),
    /// A building, as an opaque handle the host understands.
    Building(u64),
    /// A unit, as an opaque handle the host understands.
    Unit(u64),
}

impl Value {
    /// The game's `setnum`: finite numbers stay numbers, NaN and ±∞ become `null`.
    #[inline]
    #[must_use]
    pub fn num_or_null(v: f64) -> Self {
        if v.is_finite() { Value::Num(v) } else { Value::Null }
    }

    /// From a boolean: 1 or 0.
    #[inline]
    #[must_use]
    pub fn bool(b: bool) -> Self {
        Value::Num(if b { 1.0 } else { 0.0 })
    }

    /// Is this an object (anything but a number)?
    #[inline]
    #[must_use]
    pub fn is_obj(&self) -> bool {
        !matches!(self, Value::Num(_))
    }

    /// The game's `num()`: objects read as 1 (non-null) or 0 (null); NaN/∞ (never stored) read as 0.
    #[inline]
    #[must_use]
    pub fn num(&self) -> f64 {
        match self {
            Value::Num(v) => {
                if v.is_finite() {
                    *v
                } else {
                    0.0
                }
            }
            Value::Null => 0.0,
            _ => 1.0,
        }
    }

    /// The game's `bool()`: objects are true when non-null; numbers when `|x| >= 1e-5`.
    #[inline]
    #[must_use]
    pub fn truthy(&self) -> bool {
        match self {
            Value::Num(v) => v.abs() >= 0.00001,
            Value::Null => false,
            _ => true,
        }
    }

    /// Object identity/equality as the game's `equals` on objects (both operands are objects).
    #[must_use]
    pub fn obj_eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) => true,
            (Value::Str(a), Value::Str(b)) => a == b,
            (Value::Content(k1, a), Value::Content(k2, b)) => k1 == k2 && a == b,
            (Value::Team(a), Value::Team(b)) => a == b,
            (Value::Sensor(a), Value::Sensor(b)) => a == b,
            (Value::Key(a), Value::Key(b)) => a == b,
            (Value::Building(a), Value::Building(b)) => a == b,
            (Value::Unit(a), Value::Unit(b)) => a == b,
            _ => false,
        }
    }

    /// The string, if this is one.
    #[must_use]
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
}

/// Java `(long) x`: saturating, NaN → 0 (Rust's `as` has exactly these semantics).
#[inline]
#[must_use]
pub fn to_long(x: f64) -> i64 {
    x as i64
}

/// Java `Math.round(double)`: `floor(x + 0.5)` as a saturating long.
#[inline]
#[must_use]
pub fn java_round(x: f64) -> i64 {
    // Math.round is specified as floor(x + 1/2) with correct handling near .5; for |x| >= 2^52 x is integral.
    if x.is_nan() {
        return 0;
    }
    if x.abs() >= 4_503_599_627_370_496.0 {
        return x as i64;
    }
    let f = x.floor();
    (if x - f >= 0.5 { f + 1.0 } else { f }) as i64
}

/// Appends a number the way `print` does: `Math.round(v)` when `|v - round(v)| < 1e-5`, else Java's
/// `Double.toString(v)`.
pub fn print_number(out: &mut String, v: f64) {
    let r = java_round(v);
    if (v - r as f64).abs() < 0.00001 {
        let _ = write!(out, "{r}");
    } else {
        java_double_to_string(out, v);
    }
}

/// Java `Double.toString` (shortest round-trip digits, as JDK 19+; JDK 17 differs for a few values such as
/// 1e23, which JDK 17 prints `9.999999999999999E22`). Decimal form for `1e-3 <= |v| < 1e7`, else
/// `d.dddE±n`.
pub fn java_double_to_string(out: &mut String, v: f64) {
    if v.is_nan() {
        out.push_str("NaN");
        return;
    }
    if v.is_infinite() {
        out.push_str(if v > 0.0 { "Infinity" } else { "-Infinity" });
        return;
    }
    if v == 0.0 {
        out.push_str(if v.is_sign_negative() { "-0.0" } else { "0.0" });
        return;
    }
    // Shortest round-trip digits and exponent from Rust's `{:e}` formatting.
    let sci = format!("{:e}", v.abs());
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mant.chars().filter(char::is_ascii_digit).collect();
    if v < 0.0 {
        out.push('-');
    }
    let a = v.abs();
    if (1e-3..1e7).contains(&a) {
        if exp >= 0 {
            let int_len = (exp + 1) as usize;
            if digits.len() <= int_len {
                out.push_str(&digits);
                out.extend(std::iter::repeat_n('0', int_len - digits.len()));
                out.push_str(".0");
            } else {
                out.push_str(&digits[..int_len]);
                out.push('.');
                out.push_str(&digits[int_len..]);
            }
        } else {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-exp - 1) as usize));
            out.push_str(&digits);
        }
    } else {
        out.push_str(&digits[..1]);
        out.push('.');
        if digits.len() > 1 {
            out.push_str(&digits[1..]);
        } else {
            out.push('0');
        }
        let _ = write!(out, "E{exp}");
    }
}

/// Serialized form of a [`Value`] (strings as owned text).
#[derive(Debug, Clone, Serialize, Deserialize)]
enum ValueRepr {
    Null,
    Num(f64),
    Str(String),
    Content(ContentKind, u16),
    Team(u8),
    Sensor(u16),
    Key(u16),
    Building(u64),
    Unit(u64),
}

impl From<Value> for ValueRepr {
    fn from(v: Value) -> Self {
        match v {
            Value::Null => Self::Null,
            Value::Num(n) => Self::Num(n),
            Value::Str(s) => Self::Str(s.to_string()),
            Value::Content(k, i) => Self::Content(k, i),
            Value::Team(t) => Self::Team(t),
            Value::Sensor(s) => Self::Sensor(s),
            Value::Key(s) => Self::Key(s),
            Value::Building(b) => Self::Building(b),
            Value::Unit(u) => Self::Unit(u),
        }
    }
}

impl From<ValueRepr> for Value {
    fn from(v: ValueRepr) -> Self {
        match v {
            ValueRepr::Null => Self::Null,
            ValueRepr::Num(n) => Self::num_or_null(n),
            ValueRepr::Str(s) => Self::Str(s.into()),
            ValueRepr::Content(k, i) => Self::Content(k, i),
            ValueRepr::Team(t) => Self::Team(t),
            ValueRepr::Sensor(s) => Self::Sensor(s),
            ValueRepr::Key(s) => Self::Key(s),
            ValueRepr::Building(b) => Self::Building(b),
            ValueRepr::Unit(u) => Self::Unit(u),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(v: f64) -> String {
        let mut s = String::new();
        print_number(&mut s, v);
        s
    }

    #[test]
    fn printing_follows_the_game() {
        assert_eq!(p(12.0), "12");
        assert_eq!(p(2.000001), "2");
        assert_eq!(p(1.999999), "2");
        assert_eq!(p(0.30000000000000004), "0.30000000000000004");
        assert_eq!(p(1e20), "1.0E20");
        assert_eq!(p(1e19), "1.0E19");
        assert_eq!(p(1.0 / 3.0), "0.3333333333333333");
        assert_eq!(p(9.530565148452297E-5), "9.530565148452297E-5");
        assert_eq!(p(-2.5), "-2.5");
        assert_eq!(p(1.5e7 + 0.5), "1.50000005E7");
        assert_eq!(p(0.00123), "0.00123");
    }

    #[test]
    fn conversions() {
        assert_eq!(Value::Null.num(), 0.0);
        assert_eq!(Value::Str("x".into()).num(), 1.0);
        assert!(!Value::Num(0.000001).truthy());
        assert!(Value::Num(-1.0).truthy());
        assert!(matches!(Value::num_or_null(f64::NAN), Value::Null));
        assert_eq!(java_round(-2.5), -2);
        assert_eq!(java_round(2.5), 3);
        assert_eq!(to_long(f64::NAN), 0);
        assert_eq!(to_long(1e30), i64::MAX);
    }
}
