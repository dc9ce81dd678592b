// AssemblyScript: float32 reductions (sum, max, min, argmax, argmin) and cumsum.
//
// The caller (../ops/reduce.ts) merges the input's dims into (A, R, C): reduce over R, keep A and C.
// C = 1 is a row reduction (rdRowsF32), otherwise a column reduction (rdColsF32) that walks R with
// 16 columns in registers. Sums accumulate in float64 like the reference, so they agree with it to
// the last float32 bit almost always. max/min follow the reference: NaN wins, and among equal
// values the first one wins (argmax/argmin write int32 positions along R).
//
// op codes: 0 sum, 1 max, 2 min, 3 argmax, 4 argmin.
import { demote2, promoteHigh } from "./mathf";

// ---------------------------------------------------------------- rows

// @ts-ignore: decorator
@inline function rowSum(p: usize, n: i32): f64 {
  let s0 = f64x2.splat(0);
  let s1 = s0;
  let s2 = s0;
  let s3 = s0;
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const q = p + (<usize>i << 2);
    const v0 = v128.load(q);
    const v1 = v128.load(q, 16);
    s0 = f64x2.add(s0, f64x2.promote_low_f32x4(v0));
    s1 = f64x2.add(s1, promoteHigh(v0));
    s2 = f64x2.add(s2, f64x2.promote_low_f32x4(v1));
    s3 = f64x2.add(s3, promoteHigh(v1));
  }
  s0 = f64x2.add(f64x2.add(s0, s1), f64x2.add(s2, s3));
  let s = f64x2.extract_lane(s0, 0) + f64x2.extract_lane(s0, 1);
  for (; i < n; i++) s += <f64>load<f32>(p + (<usize>i << 2));
  return s;
}

/** max (isMax) or min of n ≥ 1 floats; NaN if any is NaN. */
// @ts-ignore: decorator
@inline function rowExtreme(p: usize, n: i32, isMax: bool): f32 {
  let i = 0;
  let m: f32 = load<f32>(p);
  if (n >= 8) {
    let m0 = v128.load(p);
    let m1 = v128.load(p, 16);
    i = 8;
    for (; i + 8 <= n; i += 8) {
      const q = p + (<usize>i << 2);
      if (isMax) {
        m0 = f32x4.max(m0, v128.load(q));
        m1 = f32x4.max(m1, v128.load(q, 16));
      } else {
        m0 = f32x4.min(m0, v128.load(q));
        m1 = f32x4.min(m1, v128.load(q, 16));
      }
    }
    m0 = isMax ? f32x4.max(m0, m1) : f32x4.min(m0, m1);
    const a = f32x4.extract_lane(m0, 0);
    const b = f32x4.extract_lane(m0, 1);
    const c = f32x4.extract_lane(m0, 2);
    const d = f32x4.extract_lane(m0, 3);
    m = isMax ? max<f32>(max<f32>(a, b), max<f32>(c, d)) : min<f32>(min<f32>(a, b), min<f32>(c, d));
  }
  for (; i < n; i++) {
    const v = load<f32>(p + (<usize>i << 2));
    m = isMax ? max<f32>(m, v) : min<f32>(m, v);
  }
  return m;
}

/** Position of the first element equal to m (or the first NaN when m is NaN); n ≥ 1. */
// @ts-ignore: decorator
@inline function rowFind(p: usize, n: i32, m: f32): i32 {
  const nan = m != m;
  const vm = f32x4.splat(m);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(p + (<usize>i << 2));
    const hit = nan ? f32x4.ne(v, v) : f32x4.eq(v, vm);
    if (v128.any_true(hit)) return i + ctz(i32x4.bitmask(hit));
  }
  for (; i < n; i++) {
    const v = load<f32>(p + (<usize>i << 2));
    if (nan ? v != v : v == m) return i;
  }
  return n - 1;
}

// @ts-ignore: decorator
@inline function rowsLoop(op: i32, x: usize, out: usize, n: i32, r0: i32, r1: i32): void {
  for (let r = r0; r < r1; r++) {
    const p = x + (<usize>r * <usize>n << 2);
    const o = out + (<usize>r << 2);
    if (op == 0) store<f32>(o, <f32>rowSum(p, n));
    else if (op == 1) store<f32>(o, rowExtreme(p, n, true));
    else if (op == 2) store<f32>(o, rowExtreme(p, n, false));
    else if (op == 3) store<i32>(o, rowFind(p, n, rowExtreme(p, n, true)));
    else store<i32>(o, rowFind(p, n, rowExtreme(p, n, false)));
  }
}

/** out[r] = op(x[r, 0..n)) for rows [r0, r1) of a rows × n matrix; n ≥ 1. */
export function rdRowsF32(op: i32, x: usize, out: usize, n: i32, r0: i32, r1: i32): void {
  switch (op) {
    case 0: rowsLoop(0, x, out, n, r0, r1); break;
    case 1: rowsLoop(1, x, out, n, r0, r1); break;
    case 2: rowsLoop(2, x, out, n, r0, r1); break;
    case 3: rowsLoop(3, x, out, n, r0, r1); break;
    default: rowsLoop(4, x, out, n, r0, r1); break;
  }
}

/**
 * One part of a long row x[lo, hi): the sum (float64) at dst, or the extreme (float64) at dst and
 * its position (int32, counted from 0 at x) at dst + 8. The caller combines the parts in order.
 */
export function rdPartialF32(op: i32, x: usize, lo: i32, hi: i32, dst: usize): void {
  const p = x + (<usize>lo << 2);
  const n = hi - lo;
  if (op == 0) {
    store<f64>(dst, rowSum(p, n));
    return;
  }
  const m = op == 1 || op == 3 ? rowExtreme(p, n, true) : rowExtreme(p, n, false);
  store<f64>(dst, <f64>m);
  store<i32>(dst, lo + rowFind(p, n, m), 8);
}

// ---------------------------------------------------------------- columns

/** For max: v beats acc when greater, or NaN over a number (the first extreme stays). */
// @ts-ignore: decorator
@inline function beats(isMax: bool, v: v128, acc: v128): v128 {
  const better = isMax ? f32x4.gt(v, acc) : f32x4.lt(v, acc);
  return v128.or(better, v128.andnot(f32x4.ne(v, v), f32x4.ne(acc, acc)));
}

// @ts-ignore: decorator
@inline function colsSum(base: usize, out: usize, R: i32, C: i32, c0: i32, c1: i32): void {
  const row = <usize>C << 2;
  let c = c0;
  for (; c + 16 <= c1; c += 16) {
    let s0 = f64x2.splat(0);
    let s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
    let p = base + (<usize>c << 2);
    for (let r = 0; r < R; r++) {
      const v0 = v128.load(p);
      const v1 = v128.load(p, 16);
      const v2 = v128.load(p, 32);
      const v3 = v128.load(p, 48);
      s0 = f64x2.add(s0, f64x2.promote_low_f32x4(v0));
      s1 = f64x2.add(s1, promoteHigh(v0));
      s2 = f64x2.add(s2, f64x2.promote_low_f32x4(v1));
      s3 = f64x2.add(s3, promoteHigh(v1));
      s4 = f64x2.add(s4, f64x2.promote_low_f32x4(v2));
      s5 = f64x2.add(s5, promoteHigh(v2));
      s6 = f64x2.add(s6, f64x2.promote_low_f32x4(v3));
      s7 = f64x2.add(s7, promoteHigh(v3));
      p += row;
    }
    const o = out + (<usize>c << 2);
    v128.store(o, demote2(s0, s1));
    v128.store(o, demote2(s2, s3), 16);
    v128.store(o, demote2(s4, s5), 32);
    v128.store(o, demote2(s6, s7), 48);
  }
  for (; c + 4 <= c1; c += 4) {
    let s0 = f64x2.splat(0);
    let s1 = s0;
    let p = base + (<usize>c << 2);
    for (let r = 0; r < R; r++) {
      const v = v128.load(p);
      s0 = f64x2.add(s0, f64x2.promote_low_f32x4(v));
      s1 = f64x2.add(s1, promoteHigh(v));
      p += row;
    }
    v128.store(out + (<usize>c << 2), demote2(s0, s1));
  }
  for (; c < c1; c++) {
    let s: f64 = 0;
    let p = base + (<usize>c << 2);
    for (let r = 0; r < R; r++) {
      s += <f64>load<f32>(p);
      p += row;
    }
    store<f32>(out + (<usize>c << 2), <f32>s);
  }
}

// @ts-ignore: decorator
@inline function colsExtreme(isMax: bool, arg: bool, base: usize, out: usize, R: i32, C: i32, c0: i32, c1: i32): void {
  const row = <usize>C << 2;
  let c = c0;
  for (; c + 16 <= c1; c += 16) {
    let p = base + (<usize>c << 2);
    let a0 = v128.load(p);
    let a1 = v128.load(p, 16);
    let a2 = v128.load(p, 32);
    let a3 = v128.load(p, 48);
    let i0 = i32x4.splat(0);
    let i1 = i0, i2 = i0, i3 = i0;
    for (let r = 1; r < R; r++) {
      p += row;
      const vr = i32x4.splat(r);
      const v0 = v128.load(p);
      const v1 = v128.load(p, 16);
      const v2 = v128.load(p, 32);
      const v3 = v128.load(p, 48);
      const m0 = beats(isMax, v0, a0);
      const m1 = beats(isMax, v1, a1);
      const m2 = beats(isMax, v2, a2);
      const m3 = beats(isMax, v3, a3);
      a0 = v128.bitselect(v0, a0, m0);
      a1 = v128.bitselect(v1, a1, m1);
      a2 = v128.bitselect(v2, a2, m2);
      a3 = v128.bitselect(v3, a3, m3);
      if (arg) {
        i0 = v128.bitselect(vr, i0, m0);
        i1 = v128.bitselect(vr, i1, m1);
        i2 = v128.bitselect(vr, i2, m2);
        i3 = v128.bitselect(vr, i3, m3);
      }
    }
    const o = out + (<usize>c << 2);
    v128.store(o, arg ? i0 : a0);
    v128.store(o, arg ? i1 : a1, 16);
    v128.store(o, arg ? i2 : a2, 32);
    v128.store(o, arg ? i3 : a3, 48);
  }
  for (; c + 4 <= c1; c += 4) {
    let p = base + (<usize>c << 2);
    let a0 = v128.load(p);
    let i0 = i32x4.splat(0);
    for (let r = 1; r < R; r++) {
      p += row;
      const v0 = v128.load(p);
      const m0 = beats(isMax, v0, a0);
      a0 = v128.bitselect(v0, a0, m0);
      if (arg) i0 = v128.bitselect(i32x4.splat(r), i0, m0);
    }
    v128.store(out + (<usize>c << 2), arg ? i0 : a0);
  }
  for (; c < c1; c++) {
    let p = base + (<usize>c << 2);
    let a = load<f32>(p);
    let ai = 0;
    for (let r = 1; r < R; r++) {
      p += row;
      const v = load<f32>(p);
      if (a == a && (v != v || (isMax ? v > a : v < a))) {
        a = v;
        ai = r;
      }
    }
    if (arg) store<i32>(out + (<usize>c << 2), ai);
    else store<f32>(out + (<usize>c << 2), a);
  }
}

/**
 * out[a, c] = op over r of x[a, r, c] for an A × R × C input (R ≥ 1), for a in [a0, a1) and
 * columns [c0, c1).
 */
export function rdColsF32(op: i32, x: usize, out: usize, R: i32, C: i32, a0: i32, a1: i32, c0: i32, c1: i32): void {
  for (let a = a0; a < a1; a++) {
    const base = x + (<usize>a * <usize>R * <usize>C << 2);
    const o = out + (<usize>a * <usize>C << 2);
    switch (op) {
      case 0: colsSum(base, o, R, C, c0, c1); break;
      case 1: colsExtreme(true, false, base, o, R, C, c0, c1); break;
      case 2: colsExtreme(false, false, base, o, R, C, c0, c1); break;
      case 3: colsExtreme(true, true, base, o, R, C, c0, c1); break;
      default: colsExtreme(false, true, base, o, R, C, c0, c1); break;
    }
  }
}

// ---------------------------------------------------------------- cumsum

/**
 * Running sums along the middle axis of an outer × dim × inner input, for outer indices [o0, o1)
 * and inner columns [c0, c1): float64 accumulation, rounded at each step, exactly as the reference.
 */
export function rdCumsumF32(x: usize, out: usize, dim: i32, inner: i32, o0: i32, o1: i32, c0: i32, c1: i32): void {
  const row = <usize>inner << 2;
  for (let o = o0; o < o1; o++) {
    const base = <usize>o * <usize>dim * <usize>inner << 2;
    if (inner == 1) {
      let s: f64 = 0;
      for (let j = 0; j < dim; j++) {
        const q = base + (<usize>j << 2);
        s += <f64>load<f32>(x + q);
        store<f32>(out + q, <f32>s);
      }
      continue;
    }
    let c = c0;
    for (; c + 4 <= c1; c += 4) {
      let s0 = f64x2.splat(0);
      let s1 = s0;
      let q = base + (<usize>c << 2);
      for (let j = 0; j < dim; j++) {
        const v = v128.load(x + q);
        s0 = f64x2.add(s0, f64x2.promote_low_f32x4(v));
        s1 = f64x2.add(s1, promoteHigh(v));
        v128.store(out + q, demote2(s0, s1));
        q += row;
      }
    }
    for (; c < c1; c++) {
      let s: f64 = 0;
      let q = base + (<usize>c << 2);
      for (let j = 0; j < dim; j++) {
        s += <f64>load<f32>(x + q);
        store<f32>(out + q, <f32>s);
        q += row;
      }
    }
  }
}
