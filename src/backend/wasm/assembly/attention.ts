// AssemblyScript: fused scaled dot-product attention, forward and backward, one query row at a
// time. A row's scores live in a small scratch buffer (tk floats), so the tq × tk pattern of a
// whole head is never stored; the backward recomputes it from the saved log-sum-exp.
// Threads split the batch (batch = B·n_heads): dk and dv accumulate over query rows of one
// batch entry, so that keeps every write private to one thread.

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

/** Bytes of scratch one thread needs: one row of scores. */
export function attentionScratchBytes(tk: i32): i32 {
  return tk * 4 + 64;
}

export function attentionF32(
  q: usize, k: usize, v: usize, out: usize, lse: usize,
  tq: i32, tk: i32, d: i32, scale: f32, causal: bool,
  b0: i32, b1: i32, scratch: usize,
): void {
  const rowBytes = <usize>d << 2;
  for (let b = b0; b < b1; b++) {
    const kb = k + <usize>(b * tk) * rowBytes;
    const vb = v + <usize>(b * tk) * rowBytes;
    for (let i = 0; i < tq; i++) {
      const qi = q + <usize>(b * tq + i) * rowBytes;
      const oi = out + <usize>(b * tq + i) * rowBytes;
      const n = visibleKeys(i, tq, tk, causal);
      let max: f32 = -Infinity;
      for (let j = 0; j < n; j++) {
        const s = dot(qi, kb + <usize>j * rowBytes, d) * scale;
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
      for (let j = 0; j < n; j++) axpy(load<f32>(scratch + (<usize>j << 2)) * inv, vb + <usize>j * rowBytes, oi, d);
      store<f32>(lse + (<usize>(b * tq + i) << 2), n > 0 ? max + Mathf.log(sum) : -Infinity);
    }
  }
}

// dv = Pᵀ dO,  dP = dO vᵀ,  dS = P ⊙ (dP − rowsum(dO ⊙ O)),  dq = dS k · scale,  dk = dSᵀ q · scale.
export function attentionBackwardF32(
  q: usize, k: usize, v: usize, out: usize, lse: usize, dout: usize,
  dq: usize, dk: usize, dv: usize,
  tq: i32, tk: i32, d: i32, scale: f32, causal: bool,
  b0: i32, b1: i32,
): void {
  const rowBytes = <usize>d << 2;
  for (let b = b0; b < b1; b++) {
    const kb = k + <usize>(b * tk) * rowBytes;
    const vb = v + <usize>(b * tk) * rowBytes;
    const dkb = dk + <usize>(b * tk) * rowBytes;
    const dvb = dv + <usize>(b * tk) * rowBytes;
    memory.fill(dkb, 0, <usize>tk * rowBytes);
    memory.fill(dvb, 0, <usize>tk * rowBytes);
    for (let i = 0; i < tq; i++) {
      const row = <usize>(b * tq + i) * rowBytes;
      const qi = q + row;
      const doi = dout + row;
      const dqi = dq + row;
      memory.fill(dqi, 0, rowBytes);
      const delta = dot(doi, out + row, d);
      const l = load<f32>(lse + (<usize>(b * tq + i) << 2));
      const n = visibleKeys(i, tq, tk, causal);
      for (let j = 0; j < n; j++) {
        const kj = kb + <usize>j * rowBytes;
        const p = Mathf.exp(dot(qi, kj, d) * scale - l);
        axpy(p, doi, dvb + <usize>j * rowBytes, d);
        const ds = p * (dot(doi, vb + <usize>j * rowBytes, d) - delta) * scale;
        axpy(ds, kj, dqi, d);
        axpy(ds, qi, dkb + <usize>j * rowBytes, d);
      }
    }
  }
}
