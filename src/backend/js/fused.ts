// Reference versions of the fused kernels: LayerNorm and scaled dot-product attention, forward and
// backward, written as plainly as possible (the fast backends must equal these).
import type { AttentionProbe, AttentionSpec, RowSpec, Storage } from "../types.js";
import { arr } from "./storage.js";

/** LayerNorm (or, with spec.rms, RMSNorm: μ taken as 0) of each row; writes μ and rstd per row. */
export function layerNorm(x: Storage, w: Storage | null, b: Storage | null, out: Storage, mean: Storage, rstd: Storage, { rows, d, rms }: RowSpec, eps: number): void {
  const X = arr(x);
  const O = arr(out);
  const W = w ? arr(w) : null;
  const B = b ? arr(b) : null;
  const M = arr(mean);
  const R = arr(rstd);
  for (let r = 0; r < rows; r++) {
    const o = r * d;
    let mu = 0;
    if (!rms) {
      for (let i = 0; i < d; i++) mu += X[o + i];
      mu /= d;
    }
    let v = 0;
    for (let i = 0; i < d; i++) v += (X[o + i] - mu) ** 2;
    const rs = 1 / Math.sqrt(v / d + eps);
    M[r] = mu;
    R[r] = rs;
    for (let i = 0; i < d; i++) O[o + i] = (X[o + i] - mu) * rs * (W ? W[i] : 1) + (B ? B[i] : 0);
  }
}

// With x̂ = (x − μ)·rstd and g = dy ⊙ w:  dx = rstd · (g − mean(g) − x̂ · mean(g ⊙ x̂)).
// RMSNorm (μ = 0, nothing centred): dx = rstd · (g − x̂ · mean(g ⊙ x̂)).
export function layerNormBackward(dy: Storage, x: Storage, mean: Storage, rstd: Storage, w: Storage | null, dx: Storage, dw: Storage | null, db: Storage | null, { rows, d, rms }: RowSpec): void {
  const DY = arr(dy);
  const X = arr(x);
  const M = arr(mean);
  const R = arr(rstd);
  const W = w ? arr(w) : null;
  const DX = arr(dx);
  const DW = dw ? arr(dw) : null;
  const DB = db ? arr(db) : null;
  for (let r = 0; r < rows; r++) {
    const o = r * d;
    let sumG = 0;
    let sumGX = 0;
    for (let i = 0; i < d; i++) {
      const xhat = (X[o + i] - M[r]) * R[r];
      const g = DY[o + i] * (W ? W[i] : 1);
      sumG += g;
      sumGX += g * xhat;
      if (DW) DW[i] += DY[o + i] * xhat;
      if (DB) DB[i] += DY[o + i];
    }
    for (let i = 0; i < d; i++) {
      const xhat = (X[o + i] - M[r]) * R[r];
      const g = DY[o + i] * (W ? W[i] : 1);
      DX[o + i] = R[r] * (g - (rms ? 0 : sumG / d) - xhat * (sumGX / d));
    }
  }
}

/** Element offset of row t of batch entry bi (length dHead) in a tensor with `t` rows per entry. */
function rowOffset(s: AttentionSpec, bi: number, t: number, rows: number): number {
  if (s.layout === "bthd") {
    const H = s.heads ?? 1;
    const b = Math.floor(bi / H);
    return ((b * rows + t) * H + (bi % H)) * s.dHead;
  }
  return (bi * rows + t) * s.dHead;
}

/** Whether query i may attend to key j. */
const visible = (s: AttentionSpec, i: number, j: number) => !s.causal || j <= i + (s.tk - s.tq);

export function attention(q: Storage, k: Storage, v: Storage, out: Storage, lse: Storage, s: AttentionSpec, probe?: AttentionProbe): void {
  const Q = arr(q);
  const K = arr(k);
  const V = arr(v);
  const O = arr(out);
  const L = arr(lse);
  const S = probe?.scores ? arr(probe.scores) : null;
  const P = probe?.pattern ? arr(probe.pattern) : null;
  const { tq, tk, dHead: d } = s;
  const p = new Float64Array(tk);
  for (let b = 0; b < s.batch; b++) {
    for (let i = 0; i < tq; i++) {
      const qo = rowOffset(s, b, i, tq);
      let max = -Infinity;
      for (let j = 0; j < tk; j++) {
        if (!visible(s, i, j)) {
          p[j] = -Infinity;
          continue;
        }
        let dot = 0;
        const ko = rowOffset(s, b, j, tk);
        for (let c = 0; c < d; c++) dot += Q[qo + c] * K[ko + c];
        p[j] = dot * s.scale;
        max = Math.max(max, p[j]);
      }
      let sum = 0;
      for (let j = 0; j < tk; j++) sum += p[j] === -Infinity ? 0 : Math.exp(p[j] - max);
      L[b * tq + i] = max + Math.log(sum);
      const row = (b * tq + i) * tk;
      for (let j = 0; j < tk; j++) {
        if (S) S[row + j] = p[j];
        if (P) P[row + j] = p[j] === -Infinity ? 0 : Math.exp(p[j] - max) / sum;
      }
      for (let c = 0; c < d; c++) O[qo + c] = 0;
      for (let j = 0; j < tk; j++) {
        if (p[j] === -Infinity) continue;
        const w = Math.exp(p[j] - max) / sum;
        const vo = rowOffset(s, b, j, tk);
        for (let c = 0; c < d; c++) O[qo + c] += w * V[vo + c];
      }
    }
  }
}

// With P = softmax(S), S = q kᵀ·scale:  dv = Pᵀ dout,  dP = dout vᵀ,  dS = P ⊙ (dP − rowsum(dout ⊙ out)),
// dq = dS k · scale,  dk = dSᵀ q · scale.  P is recomputed from the saved log-sum-exp.
export function attentionBackward(q: Storage, k: Storage, v: Storage, out: Storage, lse: Storage, dout: Storage, dq: Storage, dk: Storage, dv: Storage, s: AttentionSpec): void {
  const Q = arr(q);
  const K = arr(k);
  const V = arr(v);
  const O = arr(out);
  const L = arr(lse);
  const DO = arr(dout);
  const DQ = arr(dq);
  const DK = arr(dk);
  const DV = arr(dv);
  const { tq, tk, dHead: d } = s;
  DQ.fill(0);
  DK.fill(0);
  DV.fill(0);
  for (let b = 0; b < s.batch; b++) {
    for (let i = 0; i < tq; i++) {
      const qo = rowOffset(s, b, i, tq);
      let delta = 0;
      for (let c = 0; c < d; c++) delta += DO[qo + c] * O[qo + c];
      for (let j = 0; j < tk; j++) {
        if (!visible(s, i, j)) continue;
        const ko = rowOffset(s, b, j, tk);
        let dot = 0;
        for (let c = 0; c < d; c++) dot += Q[qo + c] * K[ko + c];
        const p = Math.exp(dot * s.scale - L[b * tq + i]);
        let dp = 0;
        for (let c = 0; c < d; c++) {
          DV[ko + c] += p * DO[qo + c];
          dp += DO[qo + c] * V[ko + c];
        }
        const ds = p * (dp - delta) * s.scale;
        for (let c = 0; c < d; c++) {
          DQ[qo + c] += ds * K[ko + c];
          DK[ko + c] += ds * Q[qo + c];
        }
      }
    }
  }
}
