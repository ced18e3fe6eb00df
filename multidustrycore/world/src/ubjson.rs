//! Measures one Arc UBJSON value (`UBJsonReader`, old format) so the world stream's bare markers section can be
//! delimited; the bytes themselves are kept verbatim.
//!
//! Invariants: recursion depth is capped at [`MAX_DEPTH`]; sizes are checked against the bytes present.

use multidustry_protocol::io::{DecodeError, Reader};

/// Deepest nesting accepted.
pub const MAX_DEPTH: usize = 64;

/// Skips one value whose type byte is read first.
pub fn skip_value(r: &mut Reader<'_>) -> Result<(), DecodeError> {
    let t = r.u8()?;
    skip_typed(r, t, 0)
}

fn size(r: &mut Reader<'_>, t: u8, int_on_error: bool) -> Result<Option<usize>, DecodeError> {
    let v: i64 = match t {
        b'i' => r.u8()?.into(),
        b'I' => r.u16()?.into(),
        b'l' => r.i32()?.into(),
        b'L' => r.i64()?,
        _ if int_on_error => {
            let b = r.bytes(3)?;
            i64::from(u32::from_be_bytes([t, b[0], b[1], b[2]]))
        }
        _ => return Ok(None),
    };
    usize::try_from(v).map(Some).map_err(|_| DecodeError::Invalid { what: "ubjson size", value: v })
}

fn skip_string(r: &mut Reader<'_>, t: u8, optional: bool) -> Result<(), DecodeError> {
    let n = match t {
        b'S' => {
            let st = r.u8()?;
            size(r, st, true)?
        }
        b's' => Some(usize::from(r.u8()?)),
        _ if optional => size(r, t, false)?,
        _ => None,
    };
    let n = n.ok_or(DecodeError::Invalid { what: "ubjson string type", value: t.into() })?;
    r.skip(n)
}

fn skip_typed(r: &mut Reader<'_>, t: u8, depth: usize) -> Result<(), DecodeError> {
    if depth > MAX_DEPTH {
        return Err(DecodeError::TooLarge { what: "ubjson depth", value: depth, limit: MAX_DEPTH });
    }
    match t {
        b'[' | b'{' => skip_container(r, t == b'{', depth + 1),
        b'Z' | b'T' | b'F' => Ok(()),
        b'B' | b'U' => r.skip(1),
        b'i' => r.skip(2),
        b'I' | b'l' | b'd' => r.skip(4),
        b'L' | b'D' => r.skip(8),
        b'C' => r.skip(2),
        b's' | b'S' => skip_string(r, t, false),
        b'a' | b'A' => {
            let dt = r.u8()?;
            let n: usize = if t == b'A' {
                let v = r.i32()?;
                usize::try_from(v).map_err(|_| DecodeError::Invalid { what: "ubjson data size", value: v.into() })?
            } else {
                usize::from(r.u8()?)
            };
            for _ in 0..n {
                if r.is_empty() {
                    return Err(DecodeError::Eof { at: r.position(), needed: 1 });
                }
                skip_typed(r, dt, depth + 1)?;
            }
            Ok(())
        }
        _ => Err(DecodeError::Invalid { what: "ubjson type", value: t.into() }),
    }
}

fn skip_container(r: &mut Reader<'_>, object: bool, depth: usize) -> Result<(), DecodeError> {
    let mut t = r.u8()?;
    let mut value_type = 0u8;
    if t == b'$' {
        value_type = r.u8()?;
        t = r.u8()?;
    }
    let mut count: Option<usize> = None;
    if t == b'#' {
        let st = r.u8()?;
        let n = size(r, st, false)?.ok_or(DecodeError::Other("ubjson container size"))?;
        if n == 0 {
            return Ok(());
        }
        count = Some(n);
        t = if object || value_type == 0 { r.u8()? } else { value_type };
    }
    let end = if object { b'}' } else { b']' };
    let mut c = 0usize;
    while t != end {
        if object {
            skip_string(r, t, true)?;
            let vt = if value_type == 0 { r.u8()? } else { value_type };
            skip_typed(r, vt, depth)?;
        } else {
            skip_typed(r, t, depth)?;
        }
        c += 1;
        if count.is_some_and(|n| c >= n) {
            break;
        }
        t = if object || value_type == 0 { r.u8()? } else { value_type };
    }
    Ok(())
}
