// AssemblyScript: single-precision math on f32x4 vectors for the elementwise kernels.
//
// Every function takes and returns 4 floats and handles the whole float range: ±0, denormals,
// ±Inf, NaN, overflow and underflow, matching the reference kernels (which compute in float64 and
// round) to ~1e-6 relative error, or a few float32 ulps. The polynomial coefficients are minimax
// fits (Lawson's algorithm, numpy/scipy), rounded to float32; each comment gives the fit's error.
//
// Building blocks:
// - exp: x = n·ln2 + r with |r| ≤ ln2/2 (Cody–Waite, exact), e^r by a degree-7 polynomial, then
//   2^n applied in two steps (scale2) so results that are denormal round only once. Functions whose
//   exponent is itself computed (−x²/2 in GELU, the tanh form of GELU) form it and reduce it in
//   float64 lanes: a float32 argument near 100 would already carry a 1e-5 relative error.
// - log: x = 2^e·m with m in [√½, √2), log(1+f) by a polynomial in f = m − 1.
// - erfc(t) = e^(−t²)·G(u)/(1 + 2t), u = (t − 2)/(t + 2) (the shape of Juffa's erfcf), so the
//   exact GELU is accurate for very negative inputs where 1 + erf would cancel.
// - sin/cos: argument reduction by π/2 in float64 (exact enough up to |x| = 1e6), beyond that the
//   lanes go through AssemblyScript's float64 Math.sin/cos (Payne–Hanek).

// @ts-ignore: decorator
@inline const LOG2E: f32 = 1.44269504088896341;
// ln 2 = LN2_HI + LN2_LO; LN2_HI has 9 significant bits, so n·LN2_HI is exact for |n| < 2^15
// @ts-ignore: decorator
@inline const LN2_HI: f32 = 0.693359375;
// @ts-ignore: decorator
@inline const LN2_LO: f32 = -2.12194440e-4;
/** Below this, e^x is 0 even times the largest factor a caller multiplies it by. */
// @ts-ignore: decorator
@inline const EXP_LO: f32 = -115.0;
/** Above this, e^x overflows (ln FLT_MAX ≈ 88.72). */
// @ts-ignore: decorator
@inline const EXP_HI: f32 = 89.0;
// @ts-ignore: decorator
@inline const LOG2E_D: f64 = 1.4426950408889634;
// @ts-ignore: decorator
@inline const LN2_D: f64 = 0.6931471805599453;
// @ts-ignore: decorator
@inline const INV_SQRT2: f32 = 0.70710678118654752;
// 2·√(2/π) and 2·√(2/π)·0.044715, the tanh-GELU argument doubled (float64)
// @ts-ignore: decorator
@inline const GT_C1: f64 = 1.5957691216057308;
// @ts-ignore: decorator
@inline const GT_C2: f64 = 1.5957691216057308 * 0.044715;
// π/2 = PIO2_1 + PIO2_1T (fdlibm): PIO2_1 has 33 bits, so n·PIO2_1 is exact for |n| < 2^20
// @ts-ignore: decorator
@inline const PIO2_1: f64 = 1.57079632673412561417e+00;
// @ts-ignore: decorator
@inline const PIO2_1T: f64 = 6.07710050650619224932e-11;
// @ts-ignore: decorator
@inline const TWO_OVER_PI: f64 = 6.36619772367581382433e-01;

/** a·b + c: one fused instruction with relaxed SIMD, else multiply then add. */
// @ts-ignore: decorator
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

// @ts-ignore: decorator
@inline function signBits(x: v128): v128 {
  return v128.and(x, i32x4.splat(0x80000000));
}

/** Lanes 2 and 3 of x promoted to float64. */
// @ts-ignore: decorator
@inline export function promoteHigh(x: v128): v128 {
  return f64x2.promote_low_f32x4(i32x4.shuffle(x, x, 2, 3, 2, 3));
}

/** Two float64x2 vectors rounded to one float32x4 (lanes lo0, lo1, hi0, hi1). */
// @ts-ignore: decorator
@inline export function demote2(lo: v128, hi: v128): v128 {
  return i32x4.shuffle(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5);
}

// Rounding to an integer by adding 1.5·2^23 (float32) or 1.5·2^52 (float64): the sum's low
// mantissa bits are the integer, so it comes out both as a float (sum − magic) and as int32 bits,
// cheaper than nearest + truncate.
// @ts-ignore: decorator
@inline const MAGIC: f32 = 12582912.0;
// @ts-ignore: decorator
@inline const MAGIC_BITS: i32 = 0x4b400000;
// @ts-ignore: decorator
@inline const MAGIC_D: f64 = 6755399441055744.0;

/** The integers held by two float64x2 magic sums, as one int32x4 (their low words). */
// @ts-ignore: decorator
@inline function magicInt2(kl: v128, kh: v128): v128 {
  return i32x4.shuffle(kl, kh, 0, 2, 4, 6);
}

// ---------------------------------------------------------------- exp

/** q·2^n for int32 lanes n in [−252, 254], in two steps so a denormal result is rounded once. */
// @ts-ignore: decorator
@inline export function scale2(q: v128, n: v128): v128 {
  const n1 = i32x4.shr_s(n, 1);
  const n2 = i32x4.sub(n, n1);
  return f32x4.mul(f32x4.mul(q, i32x4.shl(i32x4.add(n1, i32x4.splat(127)), 23)), i32x4.shl(i32x4.add(n2, i32x4.splat(127)), 23));
}

/** e^r for |r| ≤ ln2/2: 1 + r + r²·P(r), relative error 5e-11 before rounding. */
// @ts-ignore: decorator
@inline export function expPoly(r: v128): v128 {
  let p = madd(f32x4.splat(1.9790352962e-4), r, f32x4.splat(1.3944648672e-3));
  p = madd(p, r, f32x4.splat(8.3334967494e-3));
  p = madd(p, r, f32x4.splat(4.1666295379e-2));
  p = madd(p, r, f32x4.splat(1.6666665673e-1));
  p = madd(p, r, f32x4.splat(0.5));
  return f32x4.add(madd(p, f32x4.mul(r, r), r), f32x4.splat(1));
}

/** k = magic + round(x·log₂e) for x already clamped to [EXP_LO, EXP_HI]. */
// @ts-ignore: decorator
@inline function expK(xc: v128): v128 {
  return madd(xc, f32x4.splat(LOG2E), f32x4.splat(MAGIC));
}

/** r = x − n·ln2, exactly enough (Cody–Waite). */
// @ts-ignore: decorator
@inline function expR(xc: v128, n: v128): v128 {
  return madd(n, f32x4.splat(-LN2_LO), madd(n, f32x4.splat(-LN2_HI), xc));
}

/** Clamp to [EXP_LO, EXP_HI], NaN passing through (pmax/pmin keep their first operand on NaN). */
// @ts-ignore: decorator
@inline function expClamp(x: v128): v128 {
  return f32x4.pmin(f32x4.pmax(x, f32x4.splat(EXP_LO)), f32x4.splat(EXP_HI));
}

/** e^x */
// @ts-ignore: decorator
@inline export function vexp(x: v128): v128 {
  const xc = expClamp(x);
  const k = expK(xc);
  const p = v128.andnot(expPoly(expR(xc, f32x4.sub(k, f32x4.splat(MAGIC)))), f32x4.lt(x, f32x4.splat(EXP_LO)));
  return scale2(p, i32x4.sub(k, i32x4.splat(MAGIC_BITS)));
}

// ---------------------------------------------------------------- log

/** log(1 + f)·… for f in [√½ − 1, √2 − 1], plus e·ln2 (ef = e as floats). */
// @ts-ignore: decorator
@inline function logCore(f: v128, ef: v128): v128 {
  // log(1 + f) = f − f²/2 + f³·P(f), relative error 6e-9 before rounding
  const z = f32x4.mul(f, f);
  let p = madd(f32x4.splat(-7.6344974339e-2), f, f32x4.splat(1.2761582434e-1));
  p = madd(p, f, f32x4.splat(-1.3160184026e-1));
  p = madd(p, f, f32x4.splat(1.4201757312e-1));
  p = madd(p, f, f32x4.splat(-1.6623356938e-1));
  p = madd(p, f, f32x4.splat(2.0001226664e-1));
  p = madd(p, f, f32x4.splat(-2.5000819564e-1));
  p = madd(p, f, f32x4.splat(3.3333331347e-1));
  let y = f32x4.mul(f32x4.mul(p, z), f);
  y = madd(ef, f32x4.splat(LN2_LO), y);
  y = madd(z, f32x4.splat(-0.5), y);
  return madd(ef, f32x4.splat(LN2_HI), f32x4.add(f, y));
}

/** Natural log: −Inf at ±0, NaN below 0, denormals exact. */
// @ts-ignore: decorator
@inline export function vlog(x: v128): v128 {
  const den = f32x4.lt(x, f32x4.splat(1.17549435e-38));
  const xs = v128.bitselect(f32x4.mul(x, f32x4.splat(16777216.0)), x, den);
  let e = i32x4.sub(i32x4.shr_u(xs, 23), i32x4.splat(127));
  e = i32x4.sub(e, v128.and(den, i32x4.splat(24)));
  let m = v128.or(v128.and(xs, i32x4.splat(0x007fffff)), i32x4.splat(0x3f800000));
  const big = f32x4.gt(m, f32x4.splat(1.41421356));
  m = v128.bitselect(f32x4.mul(m, f32x4.splat(0.5)), m, big);
  e = i32x4.sub(e, big);
  const r = logCore(f32x4.sub(m, f32x4.splat(1)), f32x4.convert_i32x4_s(e));
  const valid = v128.and(f32x4.gt(x, f32x4.splat(0)), f32x4.lt(x, f32x4.splat(Infinity)));
  const special = v128.bitselect(f32x4.splat(-Infinity), v128.bitselect(f32x4.splat(NaN), x, f32x4.lt(x, f32x4.splat(0))), f32x4.eq(x, f32x4.splat(0)));
  return v128.bitselect(r, special, valid);
}

/** log(1 + e) for e in [0, 1] (or NaN), accurate for tiny e (the correction term of Goldberg). */
// @ts-ignore: decorator
@inline function log1p01(e: v128): v128 {
  const u = f32x4.add(f32x4.splat(1), e);
  const big = f32x4.gt(u, f32x4.splat(1.41421356));
  const m = v128.bitselect(f32x4.mul(u, f32x4.splat(0.5)), u, big);
  const lg = logCore(f32x4.sub(m, f32x4.splat(1)), v128.and(big, f32x4.splat(1)));
  return f32x4.add(lg, f32x4.div(f32x4.sub(e, f32x4.sub(u, f32x4.splat(1))), u));
}

// ---------------------------------------------------------------- tanh and the logistic family

/** tanh x: an odd polynomial below 0.625, else (1 − e^(−2|x|))/(1 + e^(−2|x|)). */
// @ts-ignore: decorator
@inline export function vtanh(x: v128): v128 {
  const ax = f32x4.abs(x);
  const z = f32x4.mul(ax, ax);
  // tanh x = x + x³·P(x²), relative error 4e-9 on [0, 0.625]
  let p = madd(f32x4.splat(-5.7049845345e-3), z, f32x4.splat(2.0639084280e-2));
  p = madd(p, z, f32x4.splat(-5.3739715368e-2));
  p = madd(p, z, f32x4.splat(1.3331441581e-1));
  p = madd(p, z, f32x4.splat(-3.3333280683e-1));
  const small = madd(f32x4.mul(p, z), ax, ax);
  const e = vexp(f32x4.mul(ax, f32x4.splat(-2)));
  const large = f32x4.div(f32x4.sub(f32x4.splat(1), e), f32x4.add(f32x4.splat(1), e));
  return v128.or(v128.bitselect(small, large, f32x4.lt(ax, f32x4.splat(0.625))), signBits(x));
}

/**
 * The logistic family from e^(−|x|) = p·2^n: sigmoid, silu and softplus. kind 0: sigmoid,
 * 1: silu, 2: softplus. For x < 0 the 2^n is applied last, so tiny results keep their digits.
 */
// @ts-ignore: decorator
@inline export function vlogistic(kind: i32, x: v128): v128 {
  const t = f32x4.neg(f32x4.abs(x));
  const tc = f32x4.pmax(t, f32x4.splat(EXP_LO));
  const k = expK(tc);
  const p = v128.andnot(expPoly(expR(tc, f32x4.sub(k, f32x4.splat(MAGIC)))), f32x4.lt(t, f32x4.splat(EXP_LO)));
  const n = i32x4.sub(k, i32x4.splat(MAGIC_BITS));
  const e = scale2(p, n);
  if (kind == 2) return f32x4.add(f32x4.max(x, f32x4.splat(0)), log1p01(e));
  const rd = f32x4.div(f32x4.splat(1), f32x4.add(f32x4.splat(1), e));
  const neg = f32x4.lt(x, f32x4.splat(0));
  if (kind == 0) return v128.bitselect(scale2(f32x4.mul(p, rd), n), rd, neg);
  return v128.bitselect(scale2(f32x4.mul(f32x4.mul(x, p), rd), n), f32x4.mul(x, rd), neg);
}

/**
 * GELU, tanh form: x·σ(v), v = 2·√(2/π)(x + 0.044715x³), with v formed and reduced in float64
 * (kind 0); kind 1 gives its derivative σ(v) + x·σ(v)(1 − σ(v))·v′.
 */
// @ts-ignore: decorator
@inline export function vgeluTanh(kind: i32, x: v128): v128 {
  const xl = f64x2.promote_low_f32x4(x);
  const xh = promoteHigh(x);
  const vl = f64x2.mul(xl, f64x2.add(f64x2.splat(GT_C1), f64x2.mul(f64x2.splat(GT_C2), f64x2.mul(xl, xl))));
  const vh = f64x2.mul(xh, f64x2.add(f64x2.splat(GT_C1), f64x2.mul(f64x2.splat(GT_C2), f64x2.mul(xh, xh))));
  // w = −|v| ≥ −130: below that (|x| > 11.4) e^w no longer shows in the result
  const wl = f64x2.pmax(f64x2.neg(f64x2.abs(vl)), f64x2.splat(-130));
  const wh = f64x2.pmax(f64x2.neg(f64x2.abs(vh)), f64x2.splat(-130));
  const kl = f64x2.add(f64x2.mul(wl, f64x2.splat(LOG2E_D)), f64x2.splat(MAGIC_D));
  const kh = f64x2.add(f64x2.mul(wh, f64x2.splat(LOG2E_D)), f64x2.splat(MAGIC_D));
  const nl = f64x2.sub(kl, f64x2.splat(MAGIC_D));
  const nh = f64x2.sub(kh, f64x2.splat(MAGIC_D));
  const r = demote2(f64x2.sub(wl, f64x2.mul(nl, f64x2.splat(LN2_D))), f64x2.sub(wh, f64x2.mul(nh, f64x2.splat(LN2_D))));
  const n = magicInt2(kl, kh);
  const neg = f32x4.lt(x, f32x4.splat(0));
  if (kind == 0) {
    // e^w = p·2^n; x < −12 gives 0 (NaN at −Inf, like the reference)
    const p = v128.andnot(expPoly(r), f32x4.lt(x, f32x4.splat(-12)));
    const rd = f32x4.div(f32x4.splat(1), f32x4.add(f32x4.splat(1), scale2(p, n)));
    return v128.bitselect(scale2(f32x4.mul(f32x4.mul(x, p), rd), n), f32x4.mul(x, rd), neg);
  }
  const ax = f32x4.abs(x);
  const p = v128.andnot(expPoly(r), f32x4.gt(ax, f32x4.splat(12)));
  const xc = f32x4.pmin(f32x4.pmax(x, f32x4.splat(-12)), f32x4.splat(12));
  const rd = f32x4.div(f32x4.splat(1), f32x4.add(f32x4.splat(1), scale2(p, n)));
  const q = f32x4.mul(p, rd); // e^w/(1 + e^w) without its 2^n
  const dv = f32x4.mul(xc, f32x4.mul(f32x4.splat(<f32>GT_C1), madd(f32x4.mul(xc, xc), f32x4.splat(3 * 0.044715), f32x4.splat(1))));
  // x < 0: σ = q·2^n, 1 − σ = 1/d;  x ≥ 0: σ = 1/d, 1 − σ = q·2^n
  const negv = scale2(f32x4.mul(q, madd(dv, rd, f32x4.splat(1))), n);
  const posv = f32x4.add(rd, scale2(f32x4.mul(f32x4.mul(dv, rd), q), n));
  // ±Inf: NaN, like the reference (∞·0)
  return v128.bitselect(f32x4.splat(NaN), v128.bitselect(negv, posv, neg), f32x4.eq(ax, f32x4.splat(Infinity)));
}

// ---------------------------------------------------------------- erf family

/** erf x = x·P(x²) for |x| ≤ 0.9, relative error 3e-10 before rounding. */
// @ts-ignore: decorator
@inline function erfSmall(x: v128): v128 {
  const z = f32x4.mul(x, x);
  let p = madd(f32x4.splat(8.5131418018e-5), z, f32x4.splat(-8.1756495638e-4));
  p = madd(p, z, f32x4.splat(5.2038603462e-3));
  p = madd(p, z, f32x4.splat(-2.6860509068e-2));
  p = madd(p, z, f32x4.splat(1.1283715069e-1));
  p = madd(p, z, f32x4.splat(-3.7612634897e-1));
  p = madd(p, z, f32x4.splat(1.1283792257));
  return f32x4.mul(x, p);
}

/**
 * erfc(t)·e^(t²) for t in [0, 11]: G(u)/(1 + 2t) with u = (t − 2)/(t + 2), G a degree-10
 * polynomial (relative error 1.1e-8 before rounding); one division for both quotients.
 */
// @ts-ignore: decorator
@inline function erfcScaled(t: v128): v128 {
  const tp2 = f32x4.add(t, f32x4.splat(2));
  const q = madd(t, f32x4.splat(2), f32x4.splat(1));
  const r = f32x4.div(f32x4.splat(1), f32x4.mul(tp2, q));
  const u = f32x4.mul(f32x4.mul(f32x4.sub(t, f32x4.splat(2)), q), r);
  let g = madd(f32x4.splat(3.7184112443e-5), u, f32x4.splat(-3.4308130853e-4));
  g = madd(g, u, f32x4.splat(-1.2517997529e-3));
  g = madd(g, u, f32x4.splat(1.2545310892e-3));
  g = madd(g, u, f32x4.splat(8.6316186935e-3));
  g = madd(g, u, f32x4.splat(-8.0392146483e-3));
  g = madd(g, u, f32x4.splat(-5.4202865809e-2));
  g = madd(g, u, f32x4.splat(1.6405259073e-1));
  g = madd(g, u, f32x4.splat(-1.6603156924e-1));
  g = madd(g, u, f32x4.splat(-9.2763878405e-2));
  g = madd(g, u, f32x4.splat(1.2769783735));
  return f32x4.mul(g, f32x4.mul(tp2, r));
}

/**
 * e^(−c·x²) = p·2^n with c = 1 or ½, the exponent formed exactly in float64 and clamped at −121
 * (erfc(11) ≈ 1e-54). Writes n into the global below, returns p.
 */
let expSqN: v128 = i32x4.splat(0);
// @ts-ignore: decorator
@inline function expNegSquare(x: v128, c: f64): v128 {
  const xl = f64x2.promote_low_f32x4(x);
  const xh = promoteHigh(x);
  const wl = f64x2.pmax(f64x2.mul(f64x2.mul(xl, xl), f64x2.splat(-c)), f64x2.splat(-121));
  const wh = f64x2.pmax(f64x2.mul(f64x2.mul(xh, xh), f64x2.splat(-c)), f64x2.splat(-121));
  const kl = f64x2.add(f64x2.mul(wl, f64x2.splat(LOG2E_D)), f64x2.splat(MAGIC_D));
  const kh = f64x2.add(f64x2.mul(wh, f64x2.splat(LOG2E_D)), f64x2.splat(MAGIC_D));
  const nl = f64x2.sub(kl, f64x2.splat(MAGIC_D));
  const nh = f64x2.sub(kh, f64x2.splat(MAGIC_D));
  expSqN = magicInt2(kl, kh);
  return expPoly(demote2(f64x2.sub(wl, f64x2.mul(nl, f64x2.splat(LN2_D))), f64x2.sub(wh, f64x2.mul(nh, f64x2.splat(LN2_D)))));
}

/** erf x: a polynomial below 0.9, else ±(1 − erfc|x|). */
// @ts-ignore: decorator
@inline export function verf(x: v128): v128 {
  const ax = f32x4.abs(x);
  const p = expNegSquare(x, 1);
  const erfc = scale2(f32x4.mul(p, erfcScaled(f32x4.pmin(ax, f32x4.splat(11)))), expSqN);
  const large = v128.or(f32x4.sub(f32x4.splat(1), erfc), signBits(x));
  return v128.bitselect(erfSmall(x), large, f32x4.lt(ax, f32x4.splat(0.9)));
}

/**
 * Φ(x) = ½·erfc(|x|/√2) for x < 0 and 1 − ½·erfc(x/√2) for x ≥ 0: kind 0 gives GELU x·Φ(x), kind
 * 1 its derivative Φ(x) + x·φ(x). No 1 + erf(…) that could cancel, so very negative inputs keep
 * their digits. e^(−x²/2) = e·c·e with e = e^(−hi/4) and x² = hi + lo exactly (Dekker's product:
 * no fused multiply-add needed), c = 1 − lo/2: the square loses nothing for large |x|, and the
 * second e, applied last, lets the tails round gradually into the subnormal range.
 */
// @ts-ignore: decorator
@inline export function vgeluErf(kind: i32, x: v128): v128 {
  const one = f32x4.splat(1), two = f32x4.splat(2);
  const ax = f32x4.abs(x);
  // beyond |x| = 20 e^(−x²/2) is 0 in float32; clamping keeps the split below finite (NaN stays NaN)
  const xc = f32x4.pmin(ax, f32x4.splat(20));
  const hi = f32x4.mul(xc, xc);
  const cc = f32x4.mul(xc, f32x4.splat(4097)); // Veltkamp split into 12-bit halves
  const xh = f32x4.sub(cc, f32x4.sub(cc, xc));
  const xl = f32x4.sub(xc, xh);
  const lo = f32x4.add(f32x4.add(f32x4.sub(f32x4.mul(xh, xh), hi), f32x4.mul(f32x4.mul(xh, xl), two)), f32x4.mul(xl, xl));
  // past |x| = 19.5, e² < 1e-82 shows in no float32: 0 there, so ±Inf·0 gives NaN like the reference
  const e = v128.andnot(vexp(f32x4.mul(hi, f32x4.splat(-0.25))), f32x4.gt(ax, f32x4.splat(19.5)));
  const ec = f32x4.mul(e, f32x4.sub(one, f32x4.mul(lo, f32x4.splat(0.5))));
  // ½·erfc(|x|/√2) / e
  const halfE = f32x4.mul(f32x4.mul(ec, f32x4.splat(0.5)), erfcScaled(f32x4.pmin(f32x4.mul(ax, f32x4.splat(INV_SQRT2)), f32x4.splat(11))));
  const half = f32x4.mul(halfE, e);
  const neg = f32x4.lt(x, f32x4.splat(0));
  if (kind == 0) return v128.bitselect(f32x4.mul(f32x4.mul(x, halfE), e), f32x4.mul(x, f32x4.sub(one, half)), neg);
  // x·φ = x·e^(−x²/2)/√(2π)
  const xphi = f32x4.mul(f32x4.mul(x, f32x4.mul(ec, f32x4.splat(0.3989422804014327))), e);
  return f32x4.add(v128.bitselect(half, f32x4.sub(one, half), neg), xphi);
}

// ---------------------------------------------------------------- sin, cos

/** sin x (cos = false) or cos x (cos = true). */
// @ts-ignore: decorator
@inline export function vsincos(x: v128, cos: bool): v128 {
  const xl = f64x2.promote_low_f32x4(x);
  const xh = promoteHigh(x);
  // |x| ≤ 1e6 here (larger lanes are redone below), so the magic rounding is exact
  const kl = f64x2.add(f64x2.mul(xl, f64x2.splat(TWO_OVER_PI)), f64x2.splat(MAGIC_D));
  const kh = f64x2.add(f64x2.mul(xh, f64x2.splat(TWO_OVER_PI)), f64x2.splat(MAGIC_D));
  const nl = f64x2.sub(kl, f64x2.splat(MAGIC_D));
  const nh = f64x2.sub(kh, f64x2.splat(MAGIC_D));
  const rl = f64x2.sub(f64x2.sub(xl, f64x2.mul(nl, f64x2.splat(PIO2_1))), f64x2.mul(nl, f64x2.splat(PIO2_1T)));
  const rh = f64x2.sub(f64x2.sub(xh, f64x2.mul(nh, f64x2.splat(PIO2_1))), f64x2.mul(nh, f64x2.splat(PIO2_1T)));
  const r = demote2(rl, rh);
  let q = magicInt2(kl, kh);
  if (cos) q = i32x4.add(q, i32x4.splat(1));
  const z = f32x4.mul(r, r);
  // sin r = r + r³·S(r²), cos r = 1 − r²/2 + r⁴·C(r²) on |r| ≤ π/4, relative errors 4e-9, 1e-10
  let ps = madd(f32x4.splat(-1.9515282474e-4), z, f32x4.splat(8.3321603015e-3));
  ps = madd(ps, z, f32x4.splat(-1.6666655242e-1));
  const sn = madd(f32x4.mul(ps, z), r, r);
  let pc = madd(f32x4.splat(2.4433156796e-5), z, f32x4.splat(-1.3887316454e-3));
  pc = madd(pc, z, f32x4.splat(4.1666645557e-2));
  const cs = madd(f32x4.mul(pc, z), z, madd(z, f32x4.splat(-0.5), f32x4.splat(1)));
  let v = v128.bitselect(cs, sn, i32x4.ne(v128.and(q, i32x4.splat(1)), i32x4.splat(0)));
  v = v128.xor(v, i32x4.shl(v128.and(q, i32x4.splat(2)), 30));
  const big = f32x4.gt(f32x4.abs(x), f32x4.splat(1e6));
  if (v128.any_true(big)) {
    // huge arguments and ±Inf: float64 library functions, lane by lane
    if (i32x4.extract_lane(big, 0)) v = f32x4.replace_lane(v, 0, sincos1(f32x4.extract_lane(x, 0), cos));
    if (i32x4.extract_lane(big, 1)) v = f32x4.replace_lane(v, 1, sincos1(f32x4.extract_lane(x, 1), cos));
    if (i32x4.extract_lane(big, 2)) v = f32x4.replace_lane(v, 2, sincos1(f32x4.extract_lane(x, 2), cos));
    if (i32x4.extract_lane(big, 3)) v = f32x4.replace_lane(v, 3, sincos1(f32x4.extract_lane(x, 3), cos));
  }
  return v;
}

function sincos1(x: f32, cos: bool): f32 {
  return <f32>(cos ? Math.cos(<f64>x) : Math.sin(<f64>x));
}

// ---------------------------------------------------------------- lane-wise float64 library calls

/** op(a, b) lane by lane through float64: 0 pow, 1 atan2. */
// @ts-ignore: decorator
@inline export function vlanes2(op: i32, a: v128, b: v128): v128 {
  let r = a;
  r = f32x4.replace_lane(r, 0, lane2(op, f32x4.extract_lane(a, 0), f32x4.extract_lane(b, 0)));
  r = f32x4.replace_lane(r, 1, lane2(op, f32x4.extract_lane(a, 1), f32x4.extract_lane(b, 1)));
  r = f32x4.replace_lane(r, 2, lane2(op, f32x4.extract_lane(a, 2), f32x4.extract_lane(b, 2)));
  r = f32x4.replace_lane(r, 3, lane2(op, f32x4.extract_lane(a, 3), f32x4.extract_lane(b, 3)));
  return r;
}

function lane2(op: i32, a: f32, b: f32): f32 {
  return <f32>(op == 0 ? Math.pow(<f64>a, <f64>b) : Math.atan2(<f64>a, <f64>b));
}

/** x^k for a small integer k ≠ 0, multiplied out in float64 (like the reference's Math.pow). */
// @ts-ignore: decorator
@inline export function vpowi(x: v128, k: i32): v128 {
  const xl = f64x2.promote_low_f32x4(x);
  const xh = promoteHigh(x);
  let yl = xl;
  let yh = xh;
  const m = k < 0 ? -k : k;
  for (let i = 1; i < m; i++) {
    yl = f64x2.mul(yl, xl);
    yh = f64x2.mul(yh, xh);
  }
  if (k < 0) {
    yl = f64x2.div(f64x2.splat(1), yl);
    yh = f64x2.div(f64x2.splat(1), yh);
  }
  return demote2(yl, yh);
}
