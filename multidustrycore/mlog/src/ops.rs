//! `op` and condition arithmetic with the game's exact formulas (Java `double` math, Arc's `float` helpers).
//!
//! Owns: every [`OpKind`] on numbers ([`num_op`]) and on values ([`op`]: object equality for `equal`/`notEqual`
//! when both operands are objects, `strictEqual`), numeric conditions ([`num_cond`]), and the Arc helpers the
//! game uses (`Mathf.atan2` polynomial, `Angles.angleDist`, `Mathf.dst` in f32, `Simplex.raw2d`).
//! Does not own: storing results (callers apply `setnum`: NaN/∞ ⇒ null) or `rand`'s generator (host).
//!
//! The JIT calls these same functions for anything it does not inline, so both engines agree bit for bit.

use crate::host::Host;
use crate::ir::{Cond, OpKind};
use crate::value::{Value, java_round, to_long};

/// `equal` on values: object comparison when both are objects, else `|a - b| < 1e-6` on `num()`.
#[inline]
#[must_use]
pub fn equal(a: &Value, b: &Value) -> bool {
    if a.is_obj() && b.is_obj() { a.obj_eq(b) } else { (a.num() - b.num()).abs() < 0.000001 }
}

/// `strictEqual`: same kind, and equal numbers (`==`) or equal objects.
#[inline]
#[must_use]
pub fn strict_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Num(x), Value::Num(y)) => x == y,
        (x, y) if x.is_obj() && y.is_obj() => x.obj_eq(y),
        _ => false,
    }
}

/// A condition on two numbers (neither operand is an object).
#[inline]
#[must_use]
pub fn num_cond(cond: Cond, a: f64, b: f64) -> bool {
    match cond {
        Cond::Equal => (a - b).abs() < 0.000001,
        Cond::NotEqual => (a - b).abs() >= 0.000001,
        Cond::LessThan => a < b,
        Cond::LessThanEq => a <= b,
        Cond::GreaterThan => a > b,
        Cond::GreaterThanEq => a >= b,
        Cond::StrictEqual => a == b,
        Cond::Always => true,
    }
}

/// `op` on any values. The result is raw (may be NaN/∞; the caller stores it with `setnum`).
#[inline]
pub fn op(kind: OpKind, a: &Value, b: &Value, host: &mut dyn Host) -> f64 {
    match kind {
        OpKind::StrictEqual => b2f(strict_equal(a, b)),
        OpKind::Equal if a.is_obj() && b.is_obj() => b2f(a.obj_eq(b)),
        OpKind::NotEqual if a.is_obj() && b.is_obj() => b2f(!a.obj_eq(b)),
        _ => num_op(kind, a.num(), b.num(), host),
    }
}

#[inline]
fn b2f(b: bool) -> f64 {
    if b { 1.0 } else { 0.0 }
}

/// `op` on two numbers (already `num()`-converted). Raw result.
#[inline]
pub fn num_op(kind: OpKind, a: f64, b: f64, host: &mut dyn Host) -> f64 {
    use OpKind::*;
    match kind {
        Add => a + b,
        Sub => a - b,
        Mul => a * b,
        Div => a / b,
        Idiv => (a / b).floor(),
        Mod => fmod(a, b),
        Emod => fmod(fmod(a, b) + b, b),
        Pow => java_pow(a, b),
        Equal => b2f((a - b).abs() < 0.000001),
        NotEqual => b2f((a - b).abs() >= 0.000001),
        Land => b2f(a != 0.0 && b != 0.0),
        LessThan => b2f(a < b),
        LessThanEq => b2f(a <= b),
        GreaterThan => b2f(a > b),
        GreaterThanEq => b2f(a >= b),
        StrictEqual => b2f(a == b),
        Shl => to_long(a).wrapping_shl(to_long(b) as u32 & 63) as f64,
        Shr => to_long(a).wrapping_shr(to_long(b) as u32 & 63) as f64,
        Ushr => ((to_long(a) as u64).wrapping_shr(to_long(b) as u32 & 63)) as i64 as f64,
        Or => (to_long(a) | to_long(b)) as f64,
        And => (to_long(a) & to_long(b)) as f64,
        Xor => (to_long(a) ^ to_long(b)) as f64,
        Not => (!to_long(a)) as f64,
        Max => java_max(a, b),
        Min => java_min(a, b),
        Angle => f64::from(angle(a as f32, b as f32)),
        AngleDiff => f64::from(angle_dist(a as f32, b as f32)),
        Len => f64::from(dst(a as f32, b as f32)),
        Noise => simplex_raw2d(0, a, b),
        Abs => a.abs(),
        Sign => java_signum(a),
        Log => a.ln(),
        Logn => a.ln() / b.ln(),
        Log10 => a.log10(),
        Floor => a.floor(),
        Ceil => a.ceil(),
        Round => java_round(a) as f64,
        Sqrt => a.sqrt(),
        Rand => host.rand() * a,
        Sin => (a * 0.017453292519943295).sin(),
        Cos => (a * 0.017453292519943295).cos(),
        Tan => (a * 0.017453292519943295).tan(),
        Asin => a.asin() * 57.29577951308232,
        Acos => a.acos() * 57.29577951308232,
        Atan => a.atan() * 57.29577951308232,
    }
}

/// Java `Math.pow` special cases differ from C `pow` in two places: `pow(x, NaN)` is NaN (C gives 1 for x = 1)
/// and `pow(±1, ±∞)` is NaN (C gives 1).
fn java_pow(a: f64, b: f64) -> f64 {
    if b.is_nan() || (a.abs() == 1.0 && b.is_infinite()) {
        return f64::NAN;
    }
    a.powf(b)
}

fn java_max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        return f64::NAN;
    }
    if a == 0.0 && b == 0.0 {
        return if a.is_sign_negative() && b.is_sign_negative() { -0.0 } else { 0.0 };
    }
    if a >= b { a } else { b }
}

fn java_min(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        return f64::NAN;
    }
    if a == 0.0 && b == 0.0 {
        return if a.is_sign_negative() || b.is_sign_negative() { -0.0 } else { 0.0 };
    }
    if a <= b { a } else { b }
}

fn java_signum(a: f64) -> f64 {
    if a > 0.0 {
        1.0
    } else if a < 0.0 {
        -1.0
    } else {
        a
    }
}

const PI_F: f32 = std::f32::consts::PI;
/// Arc `Mathf.radDeg` (`180f / PI` in float).
const RAD_DEG: f32 = 180.0 / PI_F;

/// Arc's polynomial atan (RAND 1955 sheet 11), evaluated in double, sign copied from the input.
fn atn(i: f64) -> f32 {
    let n = i.abs();
    let c = (n - 1.0) / (n + 1.0);
    let c2 = c * c;
    let c3 = c * c2;
    let c5 = c3 * c2;
    let c7 = c5 * c2;
    let c9 = c7 * c2;
    let c11 = c9 * c2;
    let r = std::f64::consts::FRAC_PI_4
        + (0.99997726 * c - 0.33262347 * c3 + 0.19354346 * c5 - 0.11643287 * c7 + 0.05265332 * c9 - 0.0117212 * c11);
    r.copysign(i) as f32
}

/// Arc `Mathf.atan2(x, y)` (x first), radians, float.
fn atan2(x: f32, y: f32) -> f32 {
    let mut x = x;
    let mut n = y / x;
    if n.is_nan() {
        n = if y == x { 1.0 } else { -1.0 };
    } else if n.is_infinite() {
        x = 0.0;
    }
    if x > 0.0 {
        atn(f64::from(n))
    } else if x < 0.0 {
        if y >= 0.0 { atn(f64::from(n)) + PI_F } else { atn(f64::from(n)) - PI_F }
    } else if y > 0.0 {
        x + PI_F / 2.0
    } else if y < 0.0 {
        x - PI_F / 2.0
    } else {
        x + y
    }
}

/// `op angle x y`: degrees in [0, 360), float math.
#[must_use]
pub fn angle(x: f32, y: f32) -> f32 {
    let mut r = atan2(x, y) * RAD_DEG;
    if r < 0.0 {
        r += 360.0;
    }
    r
}

fn fmod_pos(x: f32, n: f32) -> f32 {
    ((x % n) + n) % n
}

/// `op angleDiff a b`: Arc `Angles.angleDist` in float.
#[must_use]
pub fn angle_dist(a: f32, b: f32) -> f32 {
    let a = fmod_pos(a, 360.0);
    let b = fmod_pos(b, 360.0);
    let d1 = if a - b < 0.0 { a - b + 360.0 } else { a - b };
    let d2 = if b - a < 0.0 { b - a + 360.0 } else { b - a };
    d1.min(d2)
}

/// `op len x y`: Arc `Mathf.dst` (float squares, double sqrt, float result).
#[must_use]
pub fn dst(x: f32, y: f32) -> f32 {
    f64::from(x * x + y * y).sqrt() as f32
}

/// Arc `Simplex.raw2d(seed, x, y)`: 2D simplex noise with Arc's integer hash (`perm`) and its `fastfloor`
/// (which maps every non-positive integer n to n - 1, as the game does).
#[must_use]
pub fn simplex_raw2d(seed: i32, x: f64, y: f64) -> f64 {
    const GRAD: [(f64, f64); 12] = [
        (1.0, 1.0),
        (-1.0, 1.0),
        (1.0, -1.0),
        (-1.0, -1.0),
        (1.0, 0.0),
        (-1.0, 0.0),
        (1.0, 0.0),
        (-1.0, 0.0),
        (0.0, 1.0),
        (0.0, -1.0),
        (0.0, 1.0),
        (0.0, -1.0),
    ];
    fn fastfloor(x: f64) -> i32 {
        if x > 0.0 { x as i32 } else { (x as i32).wrapping_sub(1) }
    }
    fn perm(seed: i32, x: i32) -> i32 {
        let mut x = x;
        x = (((x as u32) >> 16) as i32 ^ x).wrapping_mul(0x45d9f3b);
        x = (((x as u32) >> 16) as i32 ^ x).wrapping_mul(0x45d9f3b_i32.wrapping_add(seed));
        x = ((x as u32) >> 16) as i32 ^ x;
        x & 0xff
    }
    let f2 = 0.5 * (3.0f64.sqrt() - 1.0);
    let s = (x + y) * f2;
    let i = fastfloor(x + s);
    let j = fastfloor(y + s);
    let g2 = (3.0 - 3.0f64.sqrt()) / 6.0;
    let t = f64::from(i.wrapping_add(j)) * g2;
    let x0 = x - (f64::from(i) - t);
    let y0 = y - (f64::from(j) - t);
    let (i1, j1) = if x0 > y0 { (1, 0) } else { (0, 1) };
    let x1 = x0 - f64::from(i1) + g2;
    let y1 = y0 - f64::from(j1) + g2;
    let x2 = x0 - 1.0 + 2.0 * g2;
    let y2 = y0 - 1.0 + 2.0 * g2;
    let ii = i & 255;
    let jj = j & 255;
    let gi0 = perm(seed, ii + perm(seed, jj)) % 12;
    let gi1 = perm(seed, ii + i1 + perm(seed, jj + j1)) % 12;
    let gi2 = perm(seed, ii + 1 + perm(seed, jj + 1)) % 12;
    let corner = |tx: f64, ty: f64, g: i32| -> f64 {
        let mut t = 0.5 - tx * tx - ty * ty;
        if t < 0.0 {
            0.0
        } else {
            t *= t;
            let (gx, gy) = GRAD[g as usize];
            t * t * (gx * tx + gy * ty)
        }
    };
    70.0 * (corner(x0, y0, gi0) + corner(x1, y1, gi1) + corner(x2, y2, gi2))
}

/// Java `%` on doubles (C `fmod`): exactly `a % b`, with a shortcut for the common integral operands (the
/// remainder of integers below 2^53 is their integer remainder with the sign of `a`, zero included), which
/// avoids the slow software `fmod`.
#[inline]
pub(crate) fn fmod(a: f64, b: f64) -> f64 {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    if a.abs() < EXACT && b.abs() < EXACT {
        let (ai, bi) = (a as i64, b as i64);
        if bi != 0 && ai as f64 == a && bi as f64 == b {
            return ((ai % bi) as f64).copysign(a);
        }
    }
    a % b
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::StandaloneHost;

    #[test]
    fn fmod_shortcut_matches_the_float_remainder_bit_for_bit() {
        let edge = [
            0.0,
            -0.0,
            1.0,
            -1.0,
            3.0,
            -7.0,
            100.0,
            -100.0,
            0.5,
            -2.5,
            1e15,
            -1e15,
            9_007_199_254_740_991.0,
            -9_007_199_254_740_991.0,
            9_007_199_254_740_992.0,
            1e300,
            f64::MIN_POSITIVE,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ];
        let mut x = 0x9e37_79b9_7f4a_7c15_u64;
        let mut values: Vec<f64> = edge.to_vec();
        for _ in 0..2000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let v = (x >> 11) as f64 / (1u64 << 20) as f64 - 4096.0;
            values.push(if x & 1 == 0 { v.trunc() } else { v });
        }
        for &a in &values {
            for &b in values.iter().step_by(7) {
                let (got, want) = (fmod(a, b), a % b);
                assert!(
                    got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()),
                    "{a} % {b}: {got} != {want}"
                );
            }
        }
    }

    fn o(kind: OpKind, a: f64, b: f64) -> f64 {
        num_op(kind, a, b, &mut StandaloneHost::new::<&str>(&[]))
    }

    #[test]
    fn arc_float_helpers() {
        assert_eq!(o(OpKind::Angle, 1.0, 0.0), 9.530565148452297E-5);
        assert_eq!(o(OpKind::Angle, -1.0, 0.0), 179.99989318847656);
        assert_eq!(o(OpKind::Angle, 3.0, 4.0), 53.13001251220703);
        assert_eq!(o(OpKind::Angle, 1.0, -1.0), 315.0);
        assert_eq!(o(OpKind::AngleDiff, 10.0, 350.0), 20.0);
        assert_eq!(o(OpKind::Len, 3.0, 4.0), 5.0);
    }

    #[test]
    fn java_integer_ops() {
        assert_eq!(o(OpKind::Shl, 1.0, 64.0), 1.0);
        assert_eq!(o(OpKind::Shl, 1.0, 63.0), -9223372036854775808.0);
        assert_eq!(o(OpKind::Shr, -8.0, 1.0), -4.0);
        assert_eq!(o(OpKind::Ushr, -1.0, 60.0), 15.0);
        assert_eq!(o(OpKind::Not, 0.0, 0.0), -1.0);
        assert_eq!(o(OpKind::And, -1.0, 255.0), 255.0);
        assert_eq!(o(OpKind::Or, -16.0, 1.0), -15.0);
        assert_eq!(o(OpKind::Mod, -7.0, 3.0), -1.0);
        assert_eq!(o(OpKind::Emod, -7.0, 3.0), 2.0);
        assert_eq!(o(OpKind::Idiv, -7.0, 2.0), -4.0);
        assert_eq!(o(OpKind::Round, -2.5, 0.0), -2.0);
    }
}
