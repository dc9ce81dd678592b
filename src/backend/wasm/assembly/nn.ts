// AssemblyScript: float32 kernels for the neural-network methods of the Backend — softmax and
// log-softmax (forward and backward, along any axis), softmax + cross-entropy, LayerNorm and
// RMSNorm (forward and backward), the embedding gather and its scatter-add gradient, gather /
// scatter_add along a dim, and the fused Adam/AdamW update. The reference versions are
// src/backend/js/nn.ts and js/fused.ts.
//
// Every kernel takes the range of work it owns ([r0, r1) rows, [c0, c1) columns or [lo, hi)
// elements), so the TypeScript side (ops/nn.ts) can split a job over threads; each range writes
// its own outputs, and anything summed over rows (LayerNorm's dw, db) goes to a per-thread
// partial that nnSumPartsF32 adds up in a fixed order, so results are bit-identical run to run.

// a·b + c: one fused instruction with relaxed SIMD, else multiply then add.
// @ts-ignore: decorator
@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** Lanes l0 + l1 + l2 + l3, always in this order. */
// @ts-ignore: decorator
@inline function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

/** Largest lane (NaN if any lane is NaN, like Math.max). */
// @ts-ignore: decorator
@inline function hmax(v: v128): f32 {
  return max(max(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1)), max(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3)));
}

/** The first n (< 4) floats at p in lanes 0..n-1, `fill` in the others; never reads past them. */
// @ts-ignore: decorator
@inline function loadTail(p: usize, n: i32, fill: f32): v128 {
  let v = f32x4.splat(fill);
  if (n > 0) v = f32x4.replace_lane(v, 0, load<f32>(p));
  if (n > 1) v = f32x4.replace_lane(v, 1, load<f32>(p, 4));
  if (n > 2) v = f32x4.replace_lane(v, 2, load<f32>(p, 8));
  return v;
}

/** Stores lanes 0..n-1 (n < 4) of v at p. */
// @ts-ignore: decorator
@inline function storeTail(p: usize, v: v128, n: i32): void {
  if (n > 0) store<f32>(p, f32x4.extract_lane(v, 0));
  if (n > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
  if (n > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
}

/** The first min(n, 4) floats at p, `fill` in the lanes past n. */
// @ts-ignore: decorator
@inline function loadN(p: usize, n: i32, fill: f32): v128 {
  return n >= 4 ? v128.load(p) : loadTail(p, n, fill);
}

/** Stores the first min(n, 4) lanes of v at p. */
// @ts-ignore: decorator
@inline function storeN(p: usize, v: v128, n: i32): void {
  if (n >= 4) v128.store(p, v);
  else storeTail(p, v, n);
}

/** Natural log lane by lane (scalar: only once per row or column group). */
// @ts-ignore: decorator
@inline function log4(v: v128): v128 {
  let r = f32x4.splat(Mathf.log(f32x4.extract_lane(v, 0)));
  r = f32x4.replace_lane(r, 1, Mathf.log(f32x4.extract_lane(v, 1)));
  r = f32x4.replace_lane(r, 2, Mathf.log(f32x4.extract_lane(v, 2)));
  return f32x4.replace_lane(r, 3, Mathf.log(f32x4.extract_lane(v, 3)));
}

// ------------------------------------------------------------------ exp
// e^x on four lanes (Cephes' expf): x = n·ln2 + r with |r| ≤ ln2/2, e^r = 1 + r + r²·P(r) with
// P of degree 5, 2^n put into the exponent bits. Within 1.8e-7 relative on x ≤ 0, the range
// softmax uses; exactly 0 below −87.34 (and for −∞), NaN for NaN; inputs above 88 are clamped.
// Specialised for that range rather than mathf.ts's general vexp (denormal-exact two-step
// scaling, float→int conversion), which measured ~25% slower in softmax. Every step is one x86
// instruction: pmin/pmax (not min/max, whose NaN rules cost several), and n rounded by adding
// 1.5·2^23, whose low mantissa bits then hold n.
// @ts-ignore: decorator
@inline function nn_expf4(x: v128): v128 {
  const lo = f32x4.splat(-87.33654);
  const magic = f32x4.splat(12582912.0); // 1.5·2^23
  const under = f32x4.lt(x, lo);
  const xc = f32x4.pmin(f32x4.pmax(x, lo), f32x4.splat(88.0)); // pmax(a, b) = a < b ? b : a: NaN stays NaN
  const t = madd(xc, f32x4.splat(1.44269504088896341), magic);
  const n = f32x4.sub(t, magic);
  // r = x − n·ln2 in two steps: n·0.693359375 is exact for |n| ≤ 128
  let r = madd(n, f32x4.splat(-0.693359375), xc);
  r = madd(n, f32x4.splat(2.12194440e-4), r);
  let p = f32x4.splat(1.9875691500e-4);
  p = madd(p, r, f32x4.splat(1.3981999507e-3));
  p = madd(p, r, f32x4.splat(8.3334519073e-3));
  p = madd(p, r, f32x4.splat(4.1665795894e-2));
  p = madd(p, r, f32x4.splat(1.6666665459e-1));
  p = madd(p, r, f32x4.splat(5.0000001201e-1));
  const y = f32x4.add(madd(p, f32x4.mul(r, r), r), f32x4.splat(1));
  // bits of t end in n (mod 2^9): shifted into the exponent field and biased they make 2^n
  const scale = i32x4.add(i32x4.shl(t, 23), i32x4.splat(127 << 23));
  return v128.andnot(f32x4.mul(y, scale), under);
}

// ------------------------------------------------------------------ softmax over contiguous rows
/**
 * Softmax (log = 0) or log-softmax (log = 1) of rows r0..r1 of a (rows × dim) block. A row whose
 * max is −∞ (fully masked) gives NaN, like the reference (0/0, or −∞ − (−∞)).
 */
export function nnSoftmaxRowsF32(x: usize, out: usize, dim: i32, r0: i32, r1: i32, log: i32): void {
  const rowBytes = <usize>dim << 2;
  const tail = dim & 3;
  const full = dim - tail;
  const tailOff = <usize>full << 2;
  const ninf = f32x4.splat(-Infinity);
  for (let r = r0; r < r1; r++) {
    const xr = x + <usize>r * rowBytes;
    const or = out + <usize>r * rowBytes;
    // 1. the max (pmax skips NaN; a NaN still makes the whole row NaN through its exponential)
    let m0 = ninf, m1 = ninf;
    let c = 0;
    for (; c + 8 <= full; c += 8) {
      const p = xr + (<usize>c << 2);
      m0 = f32x4.pmax(m0, v128.load(p));
      m1 = f32x4.pmax(m1, v128.load(p, 16));
    }
    if (c < full) m0 = f32x4.pmax(m0, v128.load(xr + (<usize>c << 2)));
    if (tail) m1 = f32x4.pmax(m1, loadTail(xr + tailOff, tail, -Infinity));
    let mx = hmax(f32x4.pmax(m0, m1));
    if (mx == -Infinity) mx = 0;
    const mv = f32x4.splat(mx);
    // 2. exponentials (kept for softmax) and their sum
    let s0 = f32x4.splat(0), s1 = f32x4.splat(0);
    c = 0;
    if (log) {
      for (; c + 8 <= full; c += 8) {
        const p = xr + (<usize>c << 2);
        s0 = f32x4.add(s0, nn_expf4(f32x4.sub(v128.load(p), mv)));
        s1 = f32x4.add(s1, nn_expf4(f32x4.sub(v128.load(p, 16), mv)));
      }
      if (c < full) s0 = f32x4.add(s0, nn_expf4(f32x4.sub(v128.load(xr + (<usize>c << 2)), mv)));
      if (tail) s1 = f32x4.add(s1, nn_expf4(f32x4.sub(loadTail(xr + tailOff, tail, -Infinity), mv)));
    } else {
      for (; c + 8 <= full; c += 8) {
        const p = <usize>c << 2;
        const e0 = nn_expf4(f32x4.sub(v128.load(xr + p), mv));
        const e1 = nn_expf4(f32x4.sub(v128.load(xr + p, 16), mv));
        v128.store(or + p, e0);
        v128.store(or + p, e1, 16);
        s0 = f32x4.add(s0, e0);
        s1 = f32x4.add(s1, e1);
      }
      if (c < full) {
        const p = <usize>c << 2;
        const e0 = nn_expf4(f32x4.sub(v128.load(xr + p), mv));
        v128.store(or + p, e0);
        s0 = f32x4.add(s0, e0);
      }
      if (tail) {
        const e1 = nn_expf4(f32x4.sub(loadTail(xr + tailOff, tail, -Infinity), mv));
        storeTail(or + tailOff, e1, tail);
        s1 = f32x4.add(s1, e1);
      }
    }
    const sum = hsum(f32x4.add(s0, s1));
    // 3. normalise
    if (log) {
      const lv = f32x4.splat(Mathf.log(sum));
      for (c = 0; c < full; c += 4) {
        const p = <usize>c << 2;
        v128.store(or + p, f32x4.sub(f32x4.sub(v128.load(xr + p), mv), lv));
      }
      if (tail) storeTail(or + tailOff, f32x4.sub(f32x4.sub(loadTail(xr + tailOff, tail, 0), mv), lv), tail);
    } else {
      const iv = f32x4.splat(<f32>1 / sum);
      for (c = 0; c < full; c += 4) {
        const p = or + (<usize>c << 2);
        v128.store(p, f32x4.mul(v128.load(p), iv));
      }
      if (tail) storeTail(or + tailOff, f32x4.mul(loadTail(or + tailOff, tail, 0), iv), tail);
    }
  }
}

/**
 * Softmax backward over rows r0..r1: dx = y ⊙ (dy − Σ dy·y), or for log-softmax
 * dx = dy − e^y · Σ dy.
 */
export function nnSoftmaxBackwardRowsF32(y: usize, dy: usize, dx: usize, dim: i32, r0: i32, r1: i32, log: i32): void {
  const rowBytes = <usize>dim << 2;
  const tail = dim & 3;
  const full = dim - tail;
  const tailOff = <usize>full << 2;
  for (let r = r0; r < r1; r++) {
    const off = <usize>r * rowBytes;
    const yr = y + off, gr = dy + off, dr = dx + off;
    let s0 = f32x4.splat(0), s1 = f32x4.splat(0);
    let c = 0;
    if (log) {
      for (; c + 8 <= full; c += 8) {
        const p = gr + (<usize>c << 2);
        s0 = f32x4.add(s0, v128.load(p));
        s1 = f32x4.add(s1, v128.load(p, 16));
      }
      if (c < full) s0 = f32x4.add(s0, v128.load(gr + (<usize>c << 2)));
      if (tail) s1 = f32x4.add(s1, loadTail(gr + tailOff, tail, 0));
      const sv = f32x4.splat(hsum(f32x4.add(s0, s1)));
      for (c = 0; c + 8 <= full; c += 8) {
        const p = <usize>c << 2;
        const e0 = nn_expf4(v128.load(yr + p));
        const e1 = nn_expf4(v128.load(yr + p, 16));
        v128.store(dr + p, f32x4.sub(v128.load(gr + p), f32x4.mul(e0, sv)));
        v128.store(dr + p, f32x4.sub(v128.load(gr + p, 16), f32x4.mul(e1, sv)), 16);
      }
      for (; c < full; c += 4) {
        const p = <usize>c << 2;
        v128.store(dr + p, f32x4.sub(v128.load(gr + p), f32x4.mul(nn_expf4(v128.load(yr + p)), sv)));
      }
      if (tail) storeTail(dr + tailOff, f32x4.sub(loadTail(gr + tailOff, tail, 0), f32x4.mul(nn_expf4(loadTail(yr + tailOff, tail, 0)), sv)), tail);
    } else {
      for (; c + 8 <= full; c += 8) {
        const p = <usize>c << 2;
        s0 = madd(v128.load(gr + p), v128.load(yr + p), s0);
        s1 = madd(v128.load(gr + p, 16), v128.load(yr + p, 16), s1);
      }
      if (c < full) {
        const p = <usize>c << 2;
        s0 = madd(v128.load(gr + p), v128.load(yr + p), s0);
      }
      if (tail) s1 = madd(loadTail(gr + tailOff, tail, 0), loadTail(yr + tailOff, tail, 0), s1);
      const sv = f32x4.splat(hsum(f32x4.add(s0, s1)));
      for (c = 0; c < full; c += 4) {
        const p = <usize>c << 2;
        v128.store(dr + p, f32x4.mul(v128.load(yr + p), f32x4.sub(v128.load(gr + p), sv)));
      }
      if (tail) storeTail(dr + tailOff, f32x4.mul(loadTail(yr + tailOff, tail, 0), f32x4.sub(loadTail(gr + tailOff, tail, 0), sv)), tail);
    }
  }
}

// ------------------------------------------------------------------ softmax along a strided axis
// (outer, dim, inner) with inner > 1: four neighbouring columns i..i+3 go through the axis
// together, one vector per step j, so the same code as above runs lane-wise.

/** Softmax along the axis for outer blocks o0..o1 and columns i0..i1 of each. */
export function nnSoftmaxColsF32(x: usize, out: usize, dim: i32, inner: i32, o0: i32, o1: i32, i0: i32, i1: i32, log: i32): void {
  const stride = <usize>inner << 2;
  for (let o = o0; o < o1; o++) {
    const blk = <usize>o * <usize>dim * stride;
    for (let i = i0; i < i1; i += 4) {
      const lanes = min(4, i1 - i);
      const xb = x + blk + (<usize>i << 2);
      const ob = out + blk + (<usize>i << 2);
      let m = f32x4.splat(-Infinity);
      for (let j = 0; j < dim; j++) m = f32x4.pmax(m, loadN(xb + <usize>j * stride, lanes, -Infinity));
      // a column whose max is −∞ uses 0 (its results are then NaN, like the reference)
      m = v128.bitselect(f32x4.splat(0), m, f32x4.eq(m, f32x4.splat(-Infinity)));
      let s = f32x4.splat(0);
      for (let j = 0; j < dim; j++) {
        const e = nn_expf4(f32x4.sub(loadN(xb + <usize>j * stride, lanes, -Infinity), m));
        s = f32x4.add(s, e);
        if (!log) storeN(ob + <usize>j * stride, e, lanes);
      }
      if (log) {
        const lv = log4(s);
        for (let j = 0; j < dim; j++) {
          const v = f32x4.sub(f32x4.sub(loadN(xb + <usize>j * stride, lanes, 0), m), lv);
          storeN(ob + <usize>j * stride, v, lanes);
        }
      } else {
        const iv = f32x4.div(f32x4.splat(1), s);
        for (let j = 0; j < dim; j++) {
          const p = ob + <usize>j * stride;
          const v = f32x4.mul(loadN(p, lanes, 0), iv);
          storeN(p, v, lanes);
        }
      }
    }
  }
}

/** Softmax backward along a strided axis, for outer blocks o0..o1 and columns i0..i1. */
export function nnSoftmaxBackwardColsF32(y: usize, dy: usize, dx: usize, dim: i32, inner: i32, o0: i32, o1: i32, i0: i32, i1: i32, log: i32): void {
  const stride = <usize>inner << 2;
  for (let o = o0; o < o1; o++) {
    const blk = <usize>o * <usize>dim * stride;
    for (let i = i0; i < i1; i += 4) {
      const lanes = min(4, i1 - i);
      const off = blk + (<usize>i << 2);
      let s = f32x4.splat(0);
      if (log) {
        for (let j = 0; j < dim; j++) s = f32x4.add(s, loadN(dy + off + <usize>j * stride, lanes, 0));
      } else {
        for (let j = 0; j < dim; j++) {
          const p = off + <usize>j * stride;
          s = madd(loadN(dy + p, lanes, 0), loadN(y + p, lanes, 0), s);
        }
      }
      for (let j = 0; j < dim; j++) {
        const p = off + <usize>j * stride;
        const g = loadN(dy + p, lanes, 0);
        const yy = loadN(y + p, lanes, 0);
        const v = log ? f32x4.sub(g, f32x4.mul(nn_expf4(yy), s)) : f32x4.mul(yy, f32x4.sub(g, s));
        storeN(dx + p, v, lanes);
      }
    }
  }
}

// ------------------------------------------------------------------ softmax + cross-entropy
/**
 * Rows r0..r1 of (rows × C) logits: lse = log Σ e^x (max-shifted), and the loss against the
 * target class t (eps: smoothed toward uniform) = (1 − eps)(lse − x_t) + eps(lse − mean x);
 * 0 where t = ignore. The log-probabilities themselves are never written.
 */
export function nnCrossEntropyF32(x: usize, target: usize, loss: usize, lse: usize, C: i32, ignore: i32, eps: f32, r0: i32, r1: i32): void {
  const rowBytes = <usize>C << 2;
  const tail = C & 3;
  const full = C - tail;
  const tailOff = <usize>full << 2;
  const ninf = f32x4.splat(-Infinity);
  for (let r = r0; r < r1; r++) {
    const xr = x + <usize>r * rowBytes;
    let m0 = ninf;
    let sx = f32x4.splat(0);
    for (let c = 0; c < full; c += 4) {
      const v = v128.load(xr + (<usize>c << 2));
      m0 = f32x4.pmax(m0, v);
      sx = f32x4.add(sx, v);
    }
    if (tail) {
      m0 = f32x4.pmax(m0, loadTail(xr + tailOff, tail, -Infinity));
      sx = f32x4.add(sx, loadTail(xr + tailOff, tail, 0));
    }
    let mx = hmax(m0);
    if (mx == -Infinity) mx = 0;
    const mv = f32x4.splat(mx);
    let s = f32x4.splat(0);
    for (let c = 0; c < full; c += 4) s = f32x4.add(s, nn_expf4(f32x4.sub(v128.load(xr + (<usize>c << 2)), mv)));
    if (tail) s = f32x4.add(s, nn_expf4(f32x4.sub(loadTail(xr + tailOff, tail, -Infinity), mv)));
    const l: f32 = mx + Mathf.log(hsum(s));
    store<f32>(lse + (<usize>r << 2), l);
    const t = load<i32>(target + (<usize>r << 2));
    let v: f32 = 0;
    if (t != ignore) {
      v = (1 - eps) * (l - load<f32>(xr + (<usize>t << 2)));
      if (eps > 0) v += eps * (l - hsum(sx) / <f32>C);
    }
    store<f32>(loss + (<usize>r << 2), v);
  }
}

/** dx = g_r·(e^(x − lse) − eps/C − (1 − eps)·[c = t]) over rows r0..r1; 0 on ignored rows. */
export function nnCrossEntropyBackwardF32(x: usize, target: usize, lse: usize, g: usize, dx: usize, C: i32, ignore: i32, eps: f32, r0: i32, r1: i32): void {
  const rowBytes = <usize>C << 2;
  const tail = C & 3;
  const full = C - tail;
  const tailOff = <usize>full << 2;
  const a = f32x4.splat(eps / <f32>C);
  for (let r = r0; r < r1; r++) {
    const xr = x + <usize>r * rowBytes;
    const dr = dx + <usize>r * rowBytes;
    const t = load<i32>(target + (<usize>r << 2));
    if (t == ignore) {
      memory.fill(dr, 0, rowBytes);
      continue;
    }
    const gr = load<f32>(g + (<usize>r << 2));
    const gv = f32x4.splat(gr);
    const lv = f32x4.splat(load<f32>(lse + (<usize>r << 2)));
    for (let c = 0; c < full; c += 4) {
      const p = <usize>c << 2;
      v128.store(dr + p, f32x4.mul(gv, f32x4.sub(nn_expf4(f32x4.sub(v128.load(xr + p), lv)), a)));
    }
    if (tail) storeTail(dr + tailOff, f32x4.mul(gv, f32x4.sub(nn_expf4(f32x4.sub(loadTail(xr + tailOff, tail, 0), lv)), a)), tail);
    const pt = dr + (<usize>t << 2);
    store<f32>(pt, load<f32>(pt) - gr * (1 - eps));
  }
}

// ------------------------------------------------------------------ LayerNorm
/**
 * LayerNorm of rows r0..r1 (each d long): out = (x − μ)·rstd ⊙ w + b, rstd = 1/√(var + eps);
 * writes μ and rstd per row. w and b may be 0 (absent). With rms, RMSNorm: μ = 0.
 */
export function nnLayerNormF32(x: usize, w: usize, b: usize, out: usize, mean: usize, rstd: usize, d: i32, eps: f32, r0: i32, r1: i32, rms: i32): void {
  const rowBytes = <usize>d << 2;
  const tail = d & 3;
  const full = d - tail;
  const invD: f32 = <f32>1 / <f32>d;
  for (let r = r0; r < r1; r++) {
    const xr = x + <usize>r * rowBytes;
    const or = out + <usize>r * rowBytes;
    // mean (RMSNorm: none)
    let s0 = f32x4.splat(0), s1 = f32x4.splat(0);
    let c = 0;
    let mu: f32 = 0;
    if (!rms) {
      for (; c + 8 <= full; c += 8) {
        const p = xr + (<usize>c << 2);
        s0 = f32x4.add(s0, v128.load(p));
        s1 = f32x4.add(s1, v128.load(p, 16));
      }
      if (c < full) s0 = f32x4.add(s0, v128.load(xr + (<usize>c << 2)));
      let sum = hsum(f32x4.add(s0, s1));
      for (c = full; c < d; c++) sum += load<f32>(xr + (<usize>c << 2));
      mu = sum / <f32>d;
    }
    const mv = f32x4.splat(mu);
    // variance about the mean (two passes: no cancellation)
    s0 = f32x4.splat(0);
    s1 = f32x4.splat(0);
    c = 0;
    for (; c + 8 <= full; c += 8) {
      const p = xr + (<usize>c << 2);
      const a = f32x4.sub(v128.load(p), mv);
      const bb = f32x4.sub(v128.load(p, 16), mv);
      s0 = madd(a, a, s0);
      s1 = madd(bb, bb, s1);
    }
    if (c < full) {
      const a = f32x4.sub(v128.load(xr + (<usize>c << 2)), mv);
      s0 = madd(a, a, s0);
    }
    let ss = hsum(f32x4.add(s0, s1));
    for (c = full; c < d; c++) {
      const a = load<f32>(xr + (<usize>c << 2)) - mu;
      ss += a * a;
    }
    const rs: f32 = <f32>1 / Mathf.sqrt(ss * invD + eps);
    store<f32>(mean + (<usize>r << 2), mu);
    store<f32>(rstd + (<usize>r << 2), rs);
    const rv = f32x4.splat(rs);
    // out
    if (w && b) {
      for (c = 0; c < full; c += 4) {
        const p = <usize>c << 2;
        v128.store(or + p, madd(f32x4.mul(f32x4.sub(v128.load(xr + p), mv), rv), v128.load(w + p), v128.load(b + p)));
      }
      for (c = full; c < d; c++) {
        const p = <usize>c << 2;
        store<f32>(or + p, (load<f32>(xr + p) - mu) * rs * load<f32>(w + p) + load<f32>(b + p));
      }
    } else {
      for (c = 0; c < full; c += 4) {
        const p = <usize>c << 2;
        let v = f32x4.mul(f32x4.sub(v128.load(xr + p), mv), rv);
        if (w) v = f32x4.mul(v, v128.load(w + p));
        if (b) v = f32x4.add(v, v128.load(b + p));
        v128.store(or + p, v);
      }
      for (c = full; c < d; c++) {
        const p = <usize>c << 2;
        let v = (load<f32>(xr + p) - mu) * rs;
        if (w) v *= load<f32>(w + p);
        if (b) v += load<f32>(b + p);
        store<f32>(or + p, v);
      }
    }
  }
}

/**
 * LayerNorm backward for rows r0..r1: with x̂ = (x − μ)·rstd and g = dy ⊙ w,
 * dx = rstd · (g − mean(g) − x̂ · mean(g ⊙ x̂)); adds Σ dy ⊙ x̂ into dwAcc and Σ dy into dbAcc
 * (either may be 0). With `zero`, dwAcc and dbAcc are cleared first (per-thread partials).
 * With rms, RMSNorm's backward: the mean(g) term is absent (μ is 0).
 */
export function nnLayerNormBackwardF32(dy: usize, x: usize, mean: usize, rstd: usize, w: usize, dx: usize, dwAcc: usize, dbAcc: usize, d: i32, r0: i32, r1: i32, zero: i32, rms: i32): void {
  const rowBytes = <usize>d << 2;
  const tail = d & 3;
  const full = d - tail;
  const invD: f32 = <f32>1 / <f32>d;
  if (zero) {
    if (dwAcc) memory.fill(dwAcc, 0, rowBytes);
    if (dbAcc) memory.fill(dbAcc, 0, rowBytes);
  }
  const fast = w != 0 && dwAcc != 0 && dbAcc != 0;
  for (let r = r0; r < r1; r++) {
    const off = <usize>r * rowBytes;
    const xr = x + off, gr = dy + off, dr = dx + off;
    const mu = load<f32>(mean + (<usize>r << 2));
    const rs = load<f32>(rstd + (<usize>r << 2));
    const mv = f32x4.splat(mu), rv = f32x4.splat(rs);
    let sg = f32x4.splat(0), sgx = f32x4.splat(0);
    let c = 0;
    if (fast) {
      for (; c < full; c += 4) {
        const p = <usize>c << 2;
        const xh = f32x4.mul(f32x4.sub(v128.load(xr + p), mv), rv);
        const gy = v128.load(gr + p);
        const g = f32x4.mul(gy, v128.load(w + p));
        sg = f32x4.add(sg, g);
        sgx = madd(g, xh, sgx);
        v128.store(dwAcc + p, madd(gy, xh, v128.load(dwAcc + p)));
        v128.store(dbAcc + p, f32x4.add(v128.load(dbAcc + p), gy));
      }
    } else {
      for (; c < full; c += 4) {
        const p = <usize>c << 2;
        const xh = f32x4.mul(f32x4.sub(v128.load(xr + p), mv), rv);
        const gy = v128.load(gr + p);
        const g = w ? f32x4.mul(gy, v128.load(w + p)) : gy;
        sg = f32x4.add(sg, g);
        sgx = madd(g, xh, sgx);
        if (dwAcc) v128.store(dwAcc + p, madd(gy, xh, v128.load(dwAcc + p)));
        if (dbAcc) v128.store(dbAcc + p, f32x4.add(v128.load(dbAcc + p), gy));
      }
    }
    let sumG = hsum(sg), sumGX = hsum(sgx);
    for (c = full; c < d; c++) {
      const p = <usize>c << 2;
      const xh = (load<f32>(xr + p) - mu) * rs;
      const gy = load<f32>(gr + p);
      const g = w ? gy * load<f32>(w + p) : gy;
      sumG += g;
      sumGX += g * xh;
      if (dwAcc) store<f32>(dwAcc + p, load<f32>(dwAcc + p) + gy * xh);
      if (dbAcc) store<f32>(dbAcc + p, load<f32>(dbAcc + p) + gy);
    }
    const a: f32 = rms ? 0 : sumG * invD, bb: f32 = sumGX * invD;
    const av = f32x4.splat(a), bv = f32x4.splat(bb);
    for (c = 0; c < full; c += 4) {
      const p = <usize>c << 2;
      const xh = f32x4.mul(f32x4.sub(v128.load(xr + p), mv), rv);
      const gy = v128.load(gr + p);
      const g = w ? f32x4.mul(gy, v128.load(w + p)) : gy;
      v128.store(dr + p, f32x4.mul(rv, f32x4.sub(f32x4.sub(g, av), f32x4.mul(xh, bv))));
    }
    for (c = full; c < d; c++) {
      const p = <usize>c << 2;
      const xh = (load<f32>(xr + p) - mu) * rs;
      const gy = load<f32>(gr + p);
      const g = w ? gy * load<f32>(w + p) : gy;
      store<f32>(dr + p, rs * ((g - a) - xh * bb));
    }
  }
}

/** dst[i] += parts[0][i] + parts[1][i] + … (in that order); part t starts at src + t·strideBytes. */
export function nnSumPartsF32(dst: usize, src: usize, n: i32, parts: i32, strideBytes: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const p = <usize>i << 2;
    let acc = v128.load(src + p);
    for (let t = 1; t < parts; t++) acc = f32x4.add(acc, v128.load(src + <usize>t * <usize>strideBytes + p));
    v128.store(dst + p, f32x4.add(v128.load(dst + p), acc));
  }
  for (; i < n; i++) {
    const p = <usize>i << 2;
    let acc = load<f32>(src + p);
    for (let t = 1; t < parts; t++) acc += load<f32>(src + <usize>t * <usize>strideBytes + p);
    store<f32>(dst + p, load<f32>(dst + p) + acc);
  }
}

// ------------------------------------------------------------------ embedding gather / scatter-add
/** Copies n 4-byte values from src to dst (no overlap). */
// @ts-ignore: decorator
@inline function copy32(dst: usize, src: usize, n: i32): void {
  let c = 0;
  for (; c + 8 <= n; c += 8) {
    const p = <usize>c << 2;
    v128.store(dst + p, v128.load(src + p));
    v128.store(dst + p, v128.load(src + p, 16), 16);
  }
  for (; c + 4 <= n; c += 4) {
    const p = <usize>c << 2;
    v128.store(dst + p, v128.load(src + p));
  }
  for (; c < n; c++) store<u32>(dst + (<usize>c << 2), load<u32>(src + (<usize>c << 2)));
}

/**
 * index_select on 4-byte values: out[o, j, :] = x[o, index[j], :] for output rows r = o·n + j in
 * r0..r1 (x is (outer, dim, inner), index has n entries).
 */
export function nnIndexSelect32(x: usize, index: usize, out: usize, dim: i32, inner: i32, n: i32, r0: i32, r1: i32): void {
  const rowBytes = <usize>inner << 2;
  for (let r = r0; r < r1; r++) {
    const o = r / n, j = r - o * n;
    const src = x + (<usize>o * <usize>dim + <usize>load<i32>(index + (<usize>j << 2))) * rowBytes;
    copy32(out + <usize>r * rowBytes, src, inner);
  }
}

/**
 * index_add: dx[o, index[j], c] += dout[o, j, c] for columns c in c0..c1, every o and j in order
 * (so repeated indices add up the same way whatever the split over columns).
 */
export function nnIndexAddF32(dout: usize, index: usize, dx: usize, outer: i32, dim: i32, inner: i32, n: i32, c0: i32, c1: i32): void {
  const rowBytes = <usize>inner << 2;
  const width = c1 - c0;
  const colOff = <usize>c0 << 2;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < n; j++) {
      const dst = dx + (<usize>o * <usize>dim + <usize>load<i32>(index + (<usize>j << 2))) * rowBytes + colOff;
      const src = dout + (<usize>o * <usize>n + <usize>j) * rowBytes + colOff;
      let c = 0;
      for (; c + 4 <= width; c += 4) {
        const p = <usize>c << 2;
        v128.store(dst + p, f32x4.add(v128.load(dst + p), v128.load(src + p)));
      }
      for (; c < width; c++) {
        const p = <usize>c << 2;
        store<f32>(dst + p, load<f32>(dst + p) + load<f32>(src + p));
      }
    }
  }
}

/**
 * gather along the middle axis on 4-byte values: index and out are (A, J, B), x is (A, Dx, B);
 * out[a, j, b] = x[a, index[a, j, b], b].
 */
export function nnGather32(x: usize, index: usize, out: usize, A: i32, Dx: i32, J: i32, B: i32): void {
  let pos: usize = 0;
  for (let a = 0; a < A; a++) {
    const xa = x + (<usize>a * <usize>Dx * <usize>B << 2);
    for (let j = 0; j < J; j++) {
      for (let b = 0; b < B; b++) {
        const k = <usize>load<i32>(index + (pos << 2));
        store<u32>(out + (pos << 2), load<u32>(xa + ((k * <usize>B + <usize>b) << 2)));
        pos++;
      }
    }
  }
}

/** scatter_add along the middle axis: target[a, index[a, j, b], b] += src[a, j, b], in order. */
export function nnScatterAddF32(target: usize, index: usize, src: usize, A: i32, Dx: i32, J: i32, B: i32): void {
  let pos: usize = 0;
  for (let a = 0; a < A; a++) {
    const ta = target + (<usize>a * <usize>Dx * <usize>B << 2);
    for (let j = 0; j < J; j++) {
      for (let b = 0; b < B; b++) {
        const k = <usize>load<i32>(index + (pos << 2));
        const p = ta + ((k * <usize>B + <usize>b) << 2);
        store<f32>(p, load<f32>(p) + load<f32>(src + (pos << 2)));
        pos++;
      }
    }
  }
}

// ------------------------------------------------------------------ Adam / AdamW
/**
 * One Adam(W) step over many tensors at once: elements lo..hi of their concatenation (the caller
 * starts each range at a multiple of 16 within its tensor, so a thread split changes no bits).
 * The table holds 5 int32 per tensor: byte addresses of p, g, m, v and the element count.
 * stepSize = lr / (1 − β1^t), rbc2 = 1 / (1 − β2^t), c1 = 1 − β1 and c2 = 1 − β2 (rounded from
 * double precision, as 1 − f32(0.999) is not), decay = lr·wd (decoupled: p −= decay·p first) or
 * wd (added to g).
 */
export function nnAdamWF32(table: usize, count: i32, stepSize: f32, rbc2: f32, eps: f32, b1: f32, c1: f32, b2: f32, c2: f32, decay: f32, decoupled: i32, lo: i32, hi: i32): void {
  let start = 0;
  for (let t = 0; t < count && start < hi; t++) {
    const e = table + <usize>(t * 20);
    const n = load<i32>(e, 16);
    const i0 = max(lo, start), i1 = min(hi, start + n);
    if (i0 < i1) adamwRange(load<u32>(e), load<u32>(e, 4), load<u32>(e, 8), load<u32>(e, 12), stepSize, rbc2, eps, b1, c1, b2, c2, decay, decoupled, i0 - start, i1 - start);
    start += n;
  }
}

/** Elements [lo, hi) of one tensor. */
// @ts-ignore: decorator
@inline function adamwRange(p: usize, g: usize, m: usize, v: usize, stepSize: f32, rbc2: f32, eps: f32, b1: f32, c1: f32, b2: f32, c2: f32, decay: f32, decoupled: i32, lo: i32, hi: i32): void {
  const sb1 = f32x4.splat(b1), sb2 = f32x4.splat(b2);
  const sc1 = f32x4.splat(c1), sc2 = f32x4.splat(c2);
  const ss = f32x4.splat(stepSize), sr = f32x4.splat(rbc2), se = f32x4.splat(eps), sd = f32x4.splat(decay);
  let i = lo;
  for (; i + 4 <= hi; i += 4) {
    const o = <usize>i << 2;
    let pv = v128.load(p + o);
    let gv = v128.load(g + o);
    if (decoupled) pv = f32x4.sub(pv, f32x4.mul(sd, pv));
    else gv = madd(sd, pv, gv);
    const mv = madd(sb1, v128.load(m + o), f32x4.mul(sc1, gv));
    const vv = madd(sb2, v128.load(v + o), f32x4.mul(f32x4.mul(sc2, gv), gv));
    v128.store(m + o, mv);
    v128.store(v + o, vv);
    const den = f32x4.add(f32x4.sqrt(f32x4.mul(vv, sr)), se);
    v128.store(p + o, f32x4.sub(pv, f32x4.div(f32x4.mul(ss, mv), den)));
  }
  for (; i < hi; i++) {
    const o = <usize>i << 2;
    let pv = load<f32>(p + o);
    let gv = load<f32>(g + o);
    if (decoupled) pv -= decay * pv;
    else gv += decay * pv;
    const mv = b1 * load<f32>(m + o) + c1 * gv;
    const vv = b2 * load<f32>(v + o) + c2 * gv * gv;
    store<f32>(m + o, mv);
    store<f32>(v + o, vv);
    store<f32>(p + o, pv - (stepSize * mv) / (Mathf.sqrt(vv * rbc2) + eps));
  }
}
