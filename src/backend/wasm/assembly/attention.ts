// AssemblyScript: fused scaled dot-product attention, forward and backward, one head (batch
// entry) at a time as a few small matrix products on the SIMD matmul kernel:
//   S = q kᵀ·scale (causal entries −∞),  P = softmax(S),  out = P v          (forward)
//   dv = Pᵀ dO,  dP = dO vᵀ,  dS = P ⊙ (dP − rowsum(dO ⊙ O))·scale,
//   dq = dS k,  dk = dSᵀ q                                                  (backward)
// A head's tq × tk scores live only in the calling thread's scratch; tensors never hold the
// pattern, and the backward recomputes P from the saved log-sum-exp.
// Threads split the batch (batch = B·n_heads), so every write is private to one thread.
// Layout: with heads = 0 each batch entry's rows are contiguous (batch, t, d); with heads = H,
// tensors are (B, t, H, d) as the projections make them, and batch entry bi = b·H + h.
import { matmulF32, matmulScratchBytes } from "./matmul";
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

/** Bytes of scratch one thread needs: two tq×tk blocks, one t×d block, and matmul packing. */
export function attentionScratchBytes(tq: i32, tk: i32, d: i32): i32 {
  const t = max(tq, tk);
  return (2 * tq * tk + t * d) * 4 + matmulScratchBytes(max(t, d), max(tk, d)) + 256;
}

/** Copies a contiguous (rows × d) block to strided rows. */
function scatterRows(src: usize, dst: usize, rows: i32, d: i32, stride: i32): void {
  for (let r = 0; r < rows; r++) memory.copy(dst + (<usize>(r * stride) << 2), src + (<usize>(r * d) << 2), <usize>d << 2);
}

/** In place over S (tq × tk): scale, mask, softmax per row; writes each row's log-sum-exp. */
function softmaxRows(s: usize, lse: usize, tq: i32, tk: i32, scale: f32, causal: bool): void {
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
    store<f32>(lse + (<usize>i << 2), n > 0 ? max + Mathf.log(total) : -Infinity);
  }
}

export function attentionF32(
  q: usize, k: usize, v: usize, out: usize, lse: usize,
  tq: i32, tk: i32, d: i32, scale: f32, causal: bool, heads: i32,
  b0: i32, b1: i32, scratch: usize,
): void {
  const rs = rowStride(d, heads);
  const S = (scratch + 63) & ~63;
  const T = S + (<usize>(2 * tq * tk) << 2);
  const pack = (T + (<usize>(max(tq, tk) * d) << 2) + 63) & ~63;
  for (let b = b0; b < b1; b++) {
    const qb = base(q, b, tq, d, heads);
    const kb = base(k, b, tk, d, heads);
    const vb = base(v, b, tk, d, heads);
    matmulF32(qb, rs, 1, kb, 1, rs, S, tq, d, tk, 0, tq, pack); // S = q kᵀ
    softmaxRows(S, lse + (<usize>(b * tq) << 2), tq, tk, scale, causal);
    matmulF32(S, tk, 1, vb, rs, 1, T, tq, tk, d, 0, tq, pack); // out = P v
    scatterRows(T, base(out, b, tq, d, heads), tq, d, rs);
  }
}

export function attentionBackwardF32(
  q: usize, k: usize, v: usize, out: usize, lse: usize, dout: usize,
  dq: usize, dk: usize, dv: usize,
  tq: i32, tk: i32, d: i32, scale: f32, causal: bool, heads: i32,
  b0: i32, b1: i32, scratch: usize,
): void {
  const rs = rowStride(d, heads);
  const P = (scratch + 63) & ~63;
  const dP = P + (<usize>(tq * tk) << 2);
  const T = dP + (<usize>(tq * tk) << 2);
  const pack = (T + (<usize>(max(tq, tk) * d) << 2) + 63) & ~63;
  for (let b = b0; b < b1; b++) {
    const qb = base(q, b, tq, d, heads);
    const kb = base(k, b, tk, d, heads);
    const vb = base(v, b, tk, d, heads);
    const ob = base(out, b, tq, d, heads);
    const dob = base(dout, b, tq, d, heads);
    // P = exp(q kᵀ·scale − lse), zero where masked
    matmulF32(qb, rs, 1, kb, 1, rs, P, tq, d, tk, 0, tq, pack);
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
    matmulF32(P, 1, tk, dob, rs, 1, T, tk, tq, d, 0, tk, pack); // dv = Pᵀ dO
    scatterRows(T, base(dv, b, tk, d, heads), tk, d, rs);
    matmulF32(dob, rs, 1, vb, 1, rs, dP, tq, d, tk, 0, tq, pack); // dP = dO vᵀ
    for (let i = 0; i < tq; i++) {
      // delta_i = dO_i · O_i; dS = P ⊙ (dP − delta)·scale, in place over dP
      const o = ob + (<usize>(i * rs) << 2);
      const g = dob + (<usize>(i * rs) << 2);
      let dv4 = f32x4.splat(0);
      let c = 0;
      for (; c + 4 <= d; c += 4) dv4 = f32x4.add(dv4, f32x4.mul(v128.load(g + (<usize>c << 2)), v128.load(o + (<usize>c << 2))));
      let delta: f32 = f32x4.extract_lane(dv4, 0) + f32x4.extract_lane(dv4, 1) + f32x4.extract_lane(dv4, 2) + f32x4.extract_lane(dv4, 3);
      for (; c < d; c++) delta += load<f32>(g + (<usize>c << 2)) * load<f32>(o + (<usize>c << 2));
      const pr = P + (<usize>(i * tk) << 2);
      const dr = dP + (<usize>(i * tk) << 2);
      const deltaV = f32x4.splat(delta);
      const sv = f32x4.splat(scale);
      let j = 0;
      for (; j + 4 <= tk; j += 4) {
        const at = <usize>j << 2;
        v128.store(dr + at, f32x4.mul(f32x4.mul(v128.load(pr + at), f32x4.sub(v128.load(dr + at), deltaV)), sv));
      }
      for (; j < tk; j++) {
        const at = <usize>j << 2;
        store<f32>(dr + at, load<f32>(pr + at) * (load<f32>(dr + at) - delta) * scale);
      }
    }
    matmulF32(dP, tk, 1, kb, rs, 1, T, tq, tk, d, 0, tq, pack); // dq = dS k
    scatterRows(T, base(dq, b, tq, d, heads), tq, d, rs);
    matmulF32(dP, 1, tk, qb, rs, 1, T, tk, tq, d, 0, tk, pack); // dk = dSᵀ q
    scatterRows(T, base(dk, b, tk, d, heads), tk, d, rs);
  }
}
