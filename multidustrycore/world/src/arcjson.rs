//! Arc's "minimal" JSON dialect (`arc.util.serialization.JsonReader` / `JsonWriter.OutputType.minimal`), the
//! text Mindustry stores map rules in and sends in the world stream (`JsonIO.write(state.rules)`).
//!
//! Owns: [`JsonValue`] (an ordered tree that keeps each number's source text), a tolerant reader (unquoted
//! names and values, quoted strings with escapes, `//` and `/* */` comments, trailing commas), and the
//! minimal writer (no whitespace; names and values left unquoted where Arc leaves them unquoted; numbers as
//! Java prints them).
//!
//! Does not own: what the values mean (`crate::rules`).
//!
//! Invariants: the reader never panics and nests at most [`MAX_DEPTH`] levels; writing a value read from Arc's
//! own output gives back the same text.

use std::fmt::Write as _;

/// Deepest nesting the reader accepts.
pub const MAX_DEPTH: usize = 64;

/// A JSON value as Arc's reader produces it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum JsonValue {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A number with the text it was written as (kept so pass-through values re-serialize unchanged).
    Number(f64, String),
    /// A string (quoted or not in the source).
    String(String),
    /// An array.
    Array(Vec<JsonValue>),
    /// An object, members in source order.
    Object(Vec<(String, JsonValue)>),
}

/// Why a text is not Arc JSON.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("rules JSON: {what} at byte {at}")]
pub struct JsonError {
    /// What was wrong.
    pub what: &'static str,
    /// Byte offset.
    pub at: usize,
}

impl JsonValue {
    /// A number value from an `f64` (text as Java would print a `double` holding an integer or a float).
    pub fn number(v: f64) -> Self {
        Self::Number(v, java_number(v))
    }

    /// Member `key` of an object.
    pub fn get(&self, key: &str) -> Option<&JsonValue> {
        match self {
            Self::Object(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The value as a number (numbers, and strings that parse as one, as Arc's `asFloat` allows).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Self::Number(v, _) => Some(*v),
            Self::String(s) => s.trim().parse().ok(),
            Self::Bool(b) => Some(f64::from(u8::from(*b))),
            _ => None,
        }
    }

    /// The value as a string (numbers and booleans as their text).
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::String(s) => Some(s),
            Self::Number(_, t) => Some(t),
            Self::Bool(true) => Some("true"),
            Self::Bool(false) => Some("false"),
            _ => None,
        }
    }

    /// Whether the value is an empty array or object.
    pub fn is_empty_container(&self) -> bool {
        matches!(self, Self::Array(a) if a.is_empty()) || matches!(self, Self::Object(o) if o.is_empty())
    }

    /// Parses Arc JSON text.
    pub fn parse(text: &str) -> Result<Self, JsonError> {
        let mut p = Parser { s: text.as_bytes(), i: 0 };
        p.ws()?;
        let v = p.value(0)?;
        p.ws()?;
        if p.i != p.s.len() {
            return Err(p.err("trailing characters"));
        }
        Ok(v)
    }

    /// Writes the value in Arc's minimal output form.
    pub fn to_minimal(&self) -> String {
        let mut out = String::new();
        self.write_minimal(&mut out);
        out
    }

    /// Appends the minimal form to `out`.
    pub fn write_minimal(&self, out: &mut String) {
        match self {
            Self::Null => out.push_str("null"),
            Self::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Self::Number(_, t) => out.push_str(t),
            Self::String(s) => out.push_str(&quote_value(s)),
            Self::Array(a) => {
                out.push('[');
                for (i, v) in a.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    v.write_minimal(out);
                }
                out.push(']');
            }
            Self::Object(m) => {
                out.push('{');
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&quote_name(k));
                    out.push(':');
                    v.write_minimal(out);
                }
                out.push('}');
            }
        }
    }
}

/// How Java prints a `float` field through Arc's writer: integral values as a long (`2`), others with
/// `Float.toString` (shortest round-trip digits; scientific form below 1e-3 and from 1e7).
pub fn java_float(v: f32) -> String {
    if v.is_finite() && v == v.trunc() && v.abs() < 9.2e18 {
        return format!("{}", v as i64);
    }
    java_decimal(format!("{v:e}"), f64::from(v).abs())
}

/// Like [`java_float`] for a `double`.
pub fn java_number(v: f64) -> String {
    if v.is_finite() && v == v.trunc() && v.abs() < 9.2e18 {
        return format!("{}", v as i64);
    }
    java_decimal(format!("{v:e}"), v.abs())
}

/// Turns Rust's `{:e}` shortest form (`1.7e0`, `-2.5e-4`) into Java's `toString` layout.
fn java_decimal(sci: String, abs: f64) -> String {
    if !abs.is_finite() {
        return if sci.contains("NaN") {
            "NaN".into()
        } else if sci.starts_with('-') {
            "-Infinity".into()
        } else {
            "Infinity".into()
        };
    }
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (neg, mantissa) = mantissa.strip_prefix('-').map_or((false, mantissa), |m| (true, m));
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if (1e-3..1e7).contains(&abs) {
        if exp < 0 {
            out.push_str("0.");
            for _ in 0..(-exp - 1) {
                out.push('0');
            }
            out.push_str(&digits);
        } else {
            let point = usize::try_from(exp).unwrap_or(0) + 1;
            if digits.len() <= point {
                out.push_str(&digits);
                for _ in digits.len()..point {
                    out.push('0');
                }
                out.push_str(".0");
            } else {
                out.push_str(&digits[..point]);
                out.push('.');
                out.push_str(&digits[point..]);
            }
        }
    } else {
        out.push_str(&digits[..1]);
        out.push('.');
        out.push_str(if digits.len() > 1 { &digits[1..] } else { "0" });
        let _ = write!(out, "E{exp}");
    }
    out
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('\r', "\\r").replace('\n', "\\n").replace('\t', "\\t")
}

/// `OutputType.minimal.quoteValue` for a string.
fn quote_value(s: &str) -> String {
    let e = escape(s);
    let plain = !matches!(s, "true" | "false" | "null")
        && !s.contains("//")
        && !s.contains("/*")
        && !e.is_empty()
        && !e.ends_with(' ')
        && minimal_value(&e);
    if plain { e } else { format!("\"{}\"", e.replace('"', "\\\"")) }
}

/// `OutputType.minimal.quoteName`.
fn quote_name(s: &str) -> String {
    let e = escape(s);
    if !s.contains("//") && !s.contains("/*") && minimal_name(&e) {
        return e;
    }
    if javascript_name(&e) {
        return e;
    }
    format!("\"{}\"", e.replace('"', "\\\""))
}

/// `^[^":,}/ ][^:]*$`
fn minimal_name(s: &str) -> bool {
    let mut c = s.chars();
    match c.next() {
        Some(f) if !matches!(f, '"' | ':' | ',' | '}' | '/' | ' ') => c.all(|ch| ch != ':'),
        _ => false,
    }
}

/// `^[^":,{\[\]/ ][^}\],]*$`
fn minimal_value(s: &str) -> bool {
    let mut c = s.chars();
    match c.next() {
        Some(f) if !matches!(f, '"' | ':' | ',' | '{' | '[' | ']' | '/' | ' ') => {
            c.all(|ch| !matches!(ch, '}' | ']' | ','))
        }
        _ => false,
    }
}

/// `^[a-zA-Z_$][a-zA-Z_$0-9]*$`
fn javascript_name(s: &str) -> bool {
    let mut c = s.chars();
    match c.next() {
        Some(f) if f.is_ascii_alphabetic() || f == '_' || f == '$' => {
            c.all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '$')
        }
        _ => false,
    }
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn err(&self, what: &'static str) -> JsonError {
        JsonError { what, at: self.i }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn ws(&mut self) -> Result<(), JsonError> {
        loop {
            match self.peek() {
                Some(b' ' | b'\t' | b'\r' | b'\n') => self.i += 1,
                Some(b'/') if self.s.get(self.i + 1) == Some(&b'/') => {
                    while let Some(c) = self.peek() {
                        if c == b'\n' {
                            break;
                        }
                        self.i += 1;
                    }
                }
                Some(b'/') if self.s.get(self.i + 1) == Some(&b'*') => {
                    self.i += 2;
                    loop {
                        match self.peek() {
                            None => return Err(self.err("unterminated comment")),
                            Some(b'*') if self.s.get(self.i + 1) == Some(&b'/') => {
                                self.i += 2;
                                break;
                            }
                            Some(_) => self.i += 1,
                        }
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    fn value(&mut self, depth: usize) -> Result<JsonValue, JsonError> {
        if depth > MAX_DEPTH {
            return Err(self.err("nested too deeply"));
        }
        match self.peek() {
            None => Err(self.err("unexpected end")),
            Some(b'{') => {
                self.i += 1;
                let mut members = Vec::new();
                loop {
                    self.ws()?;
                    match self.peek() {
                        Some(b'}') => {
                            self.i += 1;
                            return Ok(JsonValue::Object(members));
                        }
                        Some(b',') => {
                            self.i += 1;
                            continue;
                        }
                        None => return Err(self.err("unterminated object")),
                        _ => {}
                    }
                    let name = self.string(true)?;
                    self.ws()?;
                    if self.peek() != Some(b':') {
                        return Err(self.err("expected ':'"));
                    }
                    self.i += 1;
                    self.ws()?;
                    let v = self.value(depth + 1)?;
                    members.push((name, v));
                }
            }
            Some(b'[') => {
                self.i += 1;
                let mut items = Vec::new();
                loop {
                    self.ws()?;
                    match self.peek() {
                        Some(b']') => {
                            self.i += 1;
                            return Ok(JsonValue::Array(items));
                        }
                        Some(b',') => {
                            self.i += 1;
                            continue;
                        }
                        None => return Err(self.err("unterminated array")),
                        _ => items.push(self.value(depth + 1)?),
                    }
                }
            }
            Some(b'"') => Ok(JsonValue::String(self.string(false)?)),
            Some(_) => {
                let raw = self.string(false)?;
                Ok(match raw.as_str() {
                    "true" => JsonValue::Bool(true),
                    "false" => JsonValue::Bool(false),
                    "null" => JsonValue::Null,
                    _ => match parse_number(&raw) {
                        Some(v) => JsonValue::Number(v, raw),
                        None => JsonValue::String(raw),
                    },
                })
            }
        }
    }

    /// A quoted string, or an unquoted run (names end at `:`, values at `,`, `}`, `]` or a line end).
    fn string(&mut self, name: bool) -> Result<String, JsonError> {
        if self.peek() == Some(b'"') {
            self.i += 1;
            let mut out = Vec::new();
            loop {
                match self.peek() {
                    None => return Err(self.err("unterminated string")),
                    Some(b'"') => {
                        self.i += 1;
                        break;
                    }
                    Some(b'\\') => {
                        self.i += 1;
                        let c = self.peek().ok_or_else(|| self.err("unterminated escape"))?;
                        self.i += 1;
                        match c {
                            b'n' => out.push(b'\n'),
                            b'r' => out.push(b'\r'),
                            b't' => out.push(b'\t'),
                            b'b' => out.push(8),
                            b'f' => out.push(12),
                            b'u' => {
                                let hex = self.s.get(self.i..self.i + 4).ok_or_else(|| self.err("short \\u escape"))?;
                                let code = std::str::from_utf8(hex)
                                    .ok()
                                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                                    .ok_or_else(|| self.err("bad \\u escape"))?;
                                self.i += 4;
                                let ch = char::from_u32(code).unwrap_or('\u{fffd}');
                                let mut buf = [0u8; 4];
                                out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                            }
                            other => out.push(other),
                        }
                    }
                    Some(c) => {
                        out.push(c);
                        self.i += 1;
                    }
                }
            }
            return String::from_utf8(out).map_err(|_| self.err("invalid UTF-8"));
        }
        let start = self.i;
        while let Some(c) = self.peek() {
            let stop = if name { c == b':' } else { matches!(c, b',' | b'}' | b']' | b'\r' | b'\n') };
            if stop {
                break;
            }
            self.i += 1;
        }
        let raw = std::str::from_utf8(&self.s[start..self.i]).map_err(|_| self.err("invalid UTF-8"))?;
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(self.err("empty token"));
        }
        // Escapes count in unquoted text too (the writer escapes before deciding to leave a value unquoted).
        Ok(if raw.contains('\\') { unescape(raw) } else { raw.to_owned() })
    }
}

/// Resolves the backslash escapes the writer produces (`\\ \r \n \t \"`); others keep the escaped char.
fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

fn parse_number(raw: &str) -> Option<f64> {
    let first = raw.as_bytes().first()?;
    if !(first.is_ascii_digit() || *first == b'-' || *first == b'+' || *first == b'.') {
        return None;
    }
    raw.parse::<f64>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_round_trip() {
        let text = "{teams:{1:{},2:{infiniteAmmo:true}},spawns:[{type:dagger,end:10,scaling:1.5}],text:@gz.mine,\
                    a:\"x,y\",b:-0.25}";
        let v = JsonValue::parse(text).expect("parses");
        assert_eq!(v.to_minimal(), text);
        assert_eq!(v.get("b").and_then(JsonValue::as_f64), Some(-0.25));
        let s = JsonValue::String("line\nbreak \\ tab\t".into());
        assert_eq!(JsonValue::parse(&s.to_minimal()).expect("re-reads"), s);
    }

    #[test]
    fn java_float_formatting() {
        assert_eq!(java_float(2.0), "2");
        assert_eq!(java_float(1.7), "1.7");
        assert_eq!(java_float(0.5), "0.5");
        assert_eq!(java_float(416.52), "416.52");
        assert_eq!(java_float(1.0e-4), "1.0E-4");
        assert_eq!(java_float(1.5e7), "15000000");
        assert_eq!(java_float(1.25e8), "125000000");
        assert_eq!(java_float(-0.001), "-0.001");
        assert_eq!(java_float(1234567.5), "1234567.5");
        assert_eq!(java_number(12345678.5), "1.23456785E7");
    }

    #[test]
    fn hostile_input_is_an_error() {
        for t in ["{", "[1,", "{a}", "\"abc", &"[".repeat(100), "{a:1} x", "/* x"] {
            assert!(JsonValue::parse(t).is_err(), "{t}");
        }
        assert_eq!(JsonValue::parse("{a:1,}").expect("trailing comma"), JsonValue::parse("{a:1}").expect("ok"));
    }
}
