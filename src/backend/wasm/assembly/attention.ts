// AssemblyScript: fused scaled dot-product attention, forward and backward, one head (batch
// entry) at a time as a few small matrix products on the SIMD matmul kernel:
//   S = q kᵀ·scale (causal entries −∞),  P = softmax(S),  out = P v          (forward)
//   dv = Pᵀ dO,  dP = dO vᵀ,  dS = P ⊙ (dP − rowsum(dO ⊙ O))·scale,
//   dq = dS k,  dk = dSᵀ q                                                  (backward)
// A head's tq × tk scores live only in the calling thread's scratch; tensors never hold the
// pattern, and the backward recomputes P from the saved log-sum-exp. Causal masking skips work,
// not only zeroes it: a block of query rows computes scores only up to its last visible key, and
// products with P or dS on the left run only over the keys (or queries) that can be non-zero —
// about half the multiply-adds at T = 64. Products write straight into the strided outputs.
// Threads split the batch (batch = B·n_heads), so every write is private to one thread.
// Layout: with heads = 0 each batch entry's rows are contiguous (batch, t, d); with heads = H,
// tensors are (B, t, H, d) as the projections make them, and batch entry bi = b·H + h.
import { kernel, MR, NR, packB } from "./matmul";
import { vexp } from "./mathf";

/** Byte address of row 0 of batch entry bi, and the element stride between rows. */
// @ts-ignore: decorator
@inline function base(ptr: usize, bi: i32, rows: i32, d: i32, heads: i32): usize {
  if (heads == 0) return ptr + (<usize>(bi * rows * d) << 2);
  const b = bi / heads;
  return ptr + (<usize>((b * rows * heads + bi % heads) * d) << 2);
}
// @ts-ignore: decorator
@inline function rowStride(d: i32, heads: i32): i32 {
  return heads == 0 ? d : heads * d;
}

/** Keys a query row may see: all of them, or (causal) j ≤ i + (tk − tq). */
// @ts-ignore: decorator
@inline function visibleKeys(i: i32, tq: i32, tk: i32, causal: bool): i32 {
  return causal ? min(tk, i + (tk - tq) + 1) : tk;
}

/** Bytes of scratch one thread needs: two tq×tk blocks, op(B) packed for the kernel, an edge tile. */
export function attentionScratchBytes(tq: i32, tk: i32, d: i32): i32 {
  return (2 * tq * tk + packFloats(tq, tk, d) + MR * NR) * 4 + 256;
}

/** Floats of the largest packed op(B): the products' depths are d, tq or tk, their widths tk or d. */
// @ts-ignore: decorator
@inline function packFloats(tq: i32, tk: i32, d: i32): i32 {
  return ((max(tk, d) + NR - 1) / NR) * NR * max(d, max(tq, tk));
}

// Which part of a product the causal mask lets us skip
// @ts-ignore: decorator
@inline const COLS = 0; // C(i, j) is needed only for keys j visible to query i (the rest is left arbitrary)
// @ts-ignore: decorator
@inline const P_LOWER = 1; // A(i, p) is zero for keys p query i cannot see (A = P or dS)
// @ts-ignore: decorator
@inline const P_UPPER = 2; // A(j, p) is zero for queries p that cannot see key j (A = Pᵀ or dSᵀ)

/**
 * C (m × n, row stride ldc, all strides in elements) = op(A)·op(B), skipping what the band says
 * the causal mask zeroes; off = tk − tq. `pack` holds op(B) packed, `tmp` an edge tile.
 */
function bandMatmul(a: usize, aRow: i32, aCol: i32, b: usize, bRow: i32, bCol: i32, c: usize, ldc: i32, m: i32, k: i32, n: i32, band: i32, causal: bool, off: i32, pack: usize, tmp: usize): void {
  packB(b, bRow, bCol, 0, k, n, pack);
  const rowBytes = <usize>aRow << 2;
  const cs = <usize>aCol << 2;
  for (let i0 = 0; i0 < m; i0 += MR) {
    const mr = min(MR, m - i0);
    const last = i0 + mr - 1;
    let ps = 0, pe = k, ce = n;
    if (causal && band == COLS) ce = min(n, last + off + 1);
    if (causal && band == P_LOWER) pe = min(k, last + off + 1);
    if (causal && band == P_UPPER) ps = max(0, i0 - off);
    const ap = a + <usize>i0 * rowBytes + <usize>ps * cs;
    const o1 = <usize>min(1, mr - 1) * rowBytes, o2 = <usize>min(2, mr - 1) * rowBytes, o3 = <usize>min(3, mr - 1) * rowBytes;
    for (let j0 = 0; j0 < ce; j0 += NR) {
      kernel(ap, o1, o2, o3, cs, pack + (<usize>(j0 * k + ps * NR) << 2), pe - ps, c + (<usize>(i0 * ldc + j0) << 2), ldc, mr, min(NR, n - j0), false, tmp);
    }
  }
}

/**
 * In place over S (tq × tk): scale, mask, softmax per row; writes each row's log-sum-exp, and
 * copies the scaled scores (−∞ where masked) and the pattern to scoresOut / patternOut unless 0.
 */
function softmaxRows(s: usize, lse: usize, tq: i32, tk: i32, scale: f32, causal: bool, scoresOut: usize, patternOut: usize): void {
  for (let i = 0; i < tq; i++) {
    const row = s + (<usize>(i * tk) << 2);
    const n = visibleKeys(i, tq, tk, causal);
    const sv = f32x4.splat(scale);
    let mx = f32x4.splat(-Infinity);
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const p = row + (<usize>j << 2);
      const v = f32x4.mul(v128.load(p), sv);
      v128.store(p, v);
      mx = f32x4.max(mx, v);
    }
    let max: f32 = Mathf.max(Mathf.max(f32x4.extract_lane(mx, 0), f32x4.extract_lane(mx, 1)), Mathf.max(f32x4.extract_lane(mx, 2), f32x4.extract_lane(mx, 3)));
    for (; j < n; j++) {
      const v = load<f32>(row + (<usize>j << 2)) * scale;
      store<f32>(row + (<usize>j << 2), v);
      max = v > max ? v : max;
    }
    if (scoresOut) {
      const dst = scoresOut + (<usize>(i * tk) << 2);
      memory.copy(dst, row, <usize>n << 2);
      for (let jj = n; jj < tk; jj++) store<f32>(dst + (<usize>jj << 2), -Infinity);
    }
    const mv = f32x4.splat(max);
    let sum = f32x4.splat(0);
    j = 0;
    for (; j + 4 <= n; j += 4) {
      const p = row + (<usize>j << 2);
      const e = vexp(f32x4.sub(v128.load(p), mv));
      v128.store(p, e);
      sum = f32x4.add(sum, e);
    }
    let total = f32x4.extract_lane(sum, 0) + f32x4.extract_lane(sum, 1) + f32x4.extract_lane(sum, 2) + f32x4.extract_lane(sum, 3);
    for (; j < n; j++) {
      const e = Mathf.exp(load<f32>(row + (<usize>j << 2)) - max);
      store<f32>(row + (<usize>j << 2), e);
      total += e;
    }
    const inv = f32x4.splat(1 / total);
    j = 0;
    for (; j + 4 <= n; j += 4) {
      const p = row + (<usize>j << 2);
      v128.store(p, f32x4.mul(v128.load(p), inv));
    }
    for (; j < n; j++) store<f32>(row + (<usize>j << 2), load<f32>(row + (<usize>j << 2)) / total);
    for (j = n; j < tk; j++) store<f32>(row + (<usize>j << 2), 0);
    if (patternOut) memory.copy(patternOut + (<usize>(i * tk) << 2), row, <usize>tk << 2);
    store<f32>(lse + (<usize>i << 2), n > 0 ? max + Mathf.log(total) : -Infinity);
  }
}

export function attentionF32(
  q: usize, k: usize, v: usize, out: usize, lse: usize,
  tq: i32, tk: i32, d: i32, scale: f32, causal: bool, heads: i32,
  b0: i32, b1: i32, scratch: usize, scoresOut: usize, patternOut: usize,
): void {
  const rs = rowStride(d, heads);
  const off = tk - tq;
  const S = (scratch + 63) & ~63;
  const pack = S + (<usize>(2 * tq * tk) << 2);
  const tmp = pack + (<usize>packFloats(tq, tk, d) << 2);
  for (let b = b0; b < b1; b++) {
    const qb = base(q, b, tq, d, heads);
    const kb = base(k, b, tk, d, heads);
    const vb = base(v, b, tk, d, heads);
    bandMatmul(qb, rs, 1, kb, 1, rs, S, tk, tq, d, tk, COLS, causal, off, pack, tmp); // S = q kᵀ
    const head = <usize>(b * tq * tk) << 2;
    softmaxRows(S, lse + (<usize>(b * tq) << 2), tq, tk, scale, causal, scoresOut ? scoresOut + head : 0, patternOut ? patternOut + head : 0);
    bandMatmul(S, tk, 1, vb, rs, 1, base(out, b, tq, d, heads), rs, tq, tk, d, P_LOWER, causal, off, pack, tmp); // out = P v
  }
}

export function attentionBackwardF32(
  q: usize, k: usize, v: usize, out: usize, lse: usize, dout: usize,
  dq: usize, dk: usize, dv: usize,
  tq: i32, tk: i32, d: i32, scale: f32, causal: bool, heads: i32,
  b0: i32, b1: i32, scratch: usize,
): void {
  const rs = rowStride(d, heads);
  const off = tk - tq;
  const P = (scratch + 63) & ~63;
  const dP = P + (<usize>(tq * tk) << 2);
  const pack = dP + (<usize>(tq * tk) << 2);
  const tmp = pack + (<usize>packFloats(tq, tk, d) << 2);
  for (let b = b0; b < b1; b++) {
    const qb = base(q, b, tq, d, heads);
    const kb = base(k, b, tk, d, heads);
    const vb = base(v, b, tk, d, heads);
    const ob = base(out, b, tq, d, heads);
    const dob = base(dout, b, tq, d, heads);
    // P = exp(q kᵀ·scale − lse), zero where masked
    bandMatmul(qb, rs, 1, kb, 1, rs, P, tk, tq, d, tk, COLS, causal, off, pack, tmp);
    for (let i = 0; i < tq; i++) {
      const row = P + (<usize>(i * tk) << 2);
      const l = load<f32>(lse + (<usize>(b * tq + i) << 2));
      const n = visibleKeys(i, tq, tk, causal);
      const sv = f32x4.splat(scale);
      const lv = f32x4.splat(l);
      let j = 0;
      for (; j + 4 <= n; j += 4) {
        const p = row + (<usize>j << 2);
        v128.store(p, vexp(f32x4.sub(f32x4.mul(v128.load(p), sv), lv)));
      }
      for (; j < n; j++) store<f32>(row + (<usize>j << 2), Mathf.exp(load<f32>(row + (<usize>j << 2)) * scale - l));
      for (; j < tk; j++) store<f32>(row + (<usize>j << 2), 0);
    }
    bandMatmul(P, 1, tk, dob, rs, 1, base(dv, b, tk, d, heads), rs, tk, tq, d, P_UPPER, causal, off, pack, tmp); // dv = Pᵀ dO
    bandMatmul(dob, rs, 1, vb, 1, rs, dP, tk, tq, d, tk, COLS, causal, off, pack, tmp); // dP = dO vᵀ
    for (let i = 0; i < tq; i++) {
      // delta_i = dO_i · O_i; dS = P ⊙ (dP − delta)·scale, in place over dP (zero where masked)
      const o = ob + (<usize>(i * rs) << 2);
      const g = dob + (<usize>(i * rs) << 2);
      let dv4 = f32x4.splat(0);
      let c = 0;
      for (; c + 4 <= d; c += 4) dv4 = f32x4.add(dv4, f32x4.mul(v128.load(g + (<usize>c << 2)), v128.load(o + (<usize>c << 2))));
      let delta: f32 = f32x4.extract_lane(dv4, 0) + f32x4.extract_lane(dv4, 1) + f32x4.extract_lane(dv4, 2) + f32x4.extract_lane(dv4, 3);
      for (; c < d; c++) delta += load<f32>(g + (<usize>c << 2)) * load<f32>(o + (<usize>c << 2));
      const pr = P + (<usize>(i * tk) << 2);
      const dr = dP + (<usize>(i * tk) << 2);
      const n = visibleKeys(i, tq, tk, causal);
      const deltaV = f32x4.splat(delta);
      const sv = f32x4.splat(scale);
      let j = 0;
      for (; j + 4 <= n; j += 4) {
        const at = <usize>j << 2;
        v128.store(dr + at, f32x4.mul(f32x4.mul(v128.load(pr + at), f32x4.sub(v128.load(dr + at), deltaV)), sv));
      }
      for (; j < n; j++) {
        const at = <usize>j << 2;
        store<f32>(dr + at, load<f32>(pr + at) * (load<f32>(dr + at) - delta) * scale);
      }
      for (; j < tk; j++) store<f32>(dr + (<usize>j << 2), 0);
    }
    bandMatmul(dP, tk, 1, kb, rs, 1, base(dq, b, tq, d, heads), rs, tq, tk, d, P_LOWER, causal, off, pack, tmp); // dq = dS k
    bandMatmul(dP, 1, tk, qb, rs, 1, base(dk, b, tk, d, heads), rs, tk, tq, d, P_UPPER, causal, off, pack, tmp); // dk = dSᵀ q
  }
}
