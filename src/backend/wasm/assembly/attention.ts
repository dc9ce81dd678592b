// AssemblyScript: fused scaled dot-product attention, forward and backward, one query row at a
// time. A row's scores live in a small scratch buffer (tk floats), so the tq × tk pattern of a
// whole head is never stored; the backward recomputes it from the saved log-sum-exp.
// Threads split the batch (batch = B·n_heads): dk and dv accumulate over query rows of one
// batch entry, so that keeps every write private to one thread.
// Layout: with heads = 0, each batch entry's rows are contiguous (batch, t, d); with heads = H,
// tensors are (B, t, H, d) as the projections make them, and batch entry bi = b·H + h.

/** Σ_c x[c]·y[c] over d floats, four lanes at a time. */
// @ts-ignore: decorator
@inline function dot(x: usize, y: usize, d: i32): f32 {
  let acc = f32x4.splat(0);
  let c = 0;
  for (; c + 4 <= d; c += 4) {
    const p = <usize>c << 2;
    acc = f32x4.add(acc, f32x4.mul(v128.load(x + p), v128.load(y + p)));
  }
  let s = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
  for (; c < d; c++) s += load<f32>(x + (<usize>c << 2)) * load<f32>(y + (<usize>c << 2));
  return s;
}

/** y[c] += a·x[c] over d floats. */
// @ts-ignore: decorator
@inline function axpy(a: f32, x: usize, y: usize, d: i32): void {
  const av = f32x4.splat(a);
  let c = 0;
  for (; c + 4 <= d; c += 4) {
    const p = <usize>c << 2;
    v128.store(y + p, f32x4.add(v128.load(y + p), f32x4.mul(av, v128.load(x + p))));
  }
  for (; c < d; c++) {
    const p = <usize>c << 2;
    store<f32>(y + p, load<f32>(y + p) + a * load<f32>(x + p));
  }
}

/** Keys a query row may see: all of them, or (causal) j ≤ i + (tk − tq). */
// @ts-ignore: decorator
@inline function visibleKeys(i: i32, tq: i32, tk: i32, causal: bool): i32 {
  return causal ? min(tk, i + (tk - tq) + 1) : tk;
}

/** Byte address of row t of batch entry bi. */
// @ts-ignore: decorator
@inline function row(base: usize, bi: i32, t: i32, rows: i32, d: i32, heads: i32): usize {
  if (heads == 0) return base + (<usize>(bi * rows + t) * d << 2);
  const b = bi / heads;
  return base + (<usize>(((b * rows + t) * heads + bi % heads) * d) << 2);
}

/** Bytes of scratch one thread needs: one row of scores. */
export function attentionScratchBytes(tk: i32): i32 {
  return tk * 4 + 64;
}

export function attentionF32(
  q: usize, k: usize, v: usize, out: usize, lse: usize,
  tq: i32, tk: i32, d: i32, scale: f32, causal: bool, heads: i32,
  b0: i32, b1: i32, scratch: usize,
): void {
  const rowBytes = <usize>d << 2;
  for (let b = b0; b < b1; b++) {
    for (let i = 0; i < tq; i++) {
      const qi = row(q, b, i, tq, d, heads);
      const oi = row(out, b, i, tq, d, heads);
      const n = visibleKeys(i, tq, tk, causal);
      let max: f32 = -Infinity;
      for (let j = 0; j < n; j++) {
        const s = dot(qi, row(k, b, j, tk, d, heads), d) * scale;
        store<f32>(scratch + (<usize>j << 2), s);
        max = s > max ? s : max;
      }
      let sum: f32 = 0;
      for (let j = 0; j < n; j++) {
        const e = Mathf.exp(load<f32>(scratch + (<usize>j << 2)) - max);
        store<f32>(scratch + (<usize>j << 2), e);
        sum += e;
      }
      memory.fill(oi, 0, rowBytes);
      const inv: f32 = 1 / sum;
      for (let j = 0; j < n; j++) axpy(load<f32>(scratch + (<usize>j << 2)) * inv, row(v, b, j, tk, d, heads), oi, d);
      store<f32>(lse + (<usize>(b * tq + i) << 2), n > 0 ? max + Mathf.log(sum) : -Infinity);
    }
  }
}

// dv = Pᵀ dO,  dP = dO vᵀ,  dS = P ⊙ (dP − rowsum(dO ⊙ O)),  dq = dS k · scale,  dk = dSᵀ q · scale.
export function attentionBackwardF32(
  q: usize, k: usize, v: usize, out: usize, lse: usize, dout: usize,
  dq: usize, dk: usize, dv: usize,
  tq: i32, tk: i32, d: i32, scale: f32, causal: bool, heads: i32,
  b0: i32, b1: i32,
): void {
  const rowBytes = <usize>d << 2;
  for (let b = b0; b < b1; b++) {
    for (let j = 0; j < tk; j++) {
      memory.fill(row(dk, b, j, tk, d, heads), 0, rowBytes);
      memory.fill(row(dv, b, j, tk, d, heads), 0, rowBytes);
    }
    for (let i = 0; i < tq; i++) {
      const qi = row(q, b, i, tq, d, heads);
      const doi = row(dout, b, i, tq, d, heads);
      const dqi = row(dq, b, i, tq, d, heads);
      memory.fill(dqi, 0, rowBytes);
      const delta = dot(doi, row(out, b, i, tq, d, heads), d);
      const l = load<f32>(lse + (<usize>(b * tq + i) << 2));
      const n = visibleKeys(i, tq, tk, causal);
      for (let j = 0; j < n; j++) {
        const kj = row(k, b, j, tk, d, heads);
        const p = Mathf.exp(dot(qi, kj, d) * scale - l);
        axpy(p, doi, row(dv, b, j, tk, d, heads), d);
        const ds = p * (dot(doi, row(v, b, j, tk, d, heads), d) - delta) * scale;
        axpy(ds, kj, dqi, d);
        axpy(ds, qi, row(dk, b, j, tk, d, heads), d);
      }
    }
  }
}
