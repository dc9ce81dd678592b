// Positional information, in the five ways the course compares (besides learned W_pos):
// sinusoidal tables (Vaswani et al.), rotary embeddings that rotate q and k (RoPE, Su et al.),
// ALiBi's linear biases on attention scores (Press et al.), and abacus digit places
// (McLeish et al.) that tell a digit its place within its number.
import { tensor } from "../../tensor/creation.js";
import type { Tensor } from "../../tensor/tensor.js";
import { cat } from "../../tensor/ops/shape.js";

/** PE[p, 2i] = sin(p / base^(2i/d)), PE[p, 2i+1] = cos(p / base^(2i/d)). */
export function sinusoidalTable(nCtx: number, d: number, base = 10000): Tensor {
  const data = new Float32Array(nCtx * d);
  for (let p = 0; p < nCtx; p++) {
    for (let i = 0; i < d; i += 2) {
      const angle = p / Math.pow(base, i / d);
      data[p * d + i] = Math.sin(angle);
      if (i + 1 < d) data[p * d + i + 1] = Math.cos(angle);
    }
  }
  return tensor(data, { shape: [nCtx, d] });
}

/** cos and sin tables (positions × rotaryDim/2) for rotary embeddings at positions offset.. */
export function rotaryTables(positions: number, offset: number, rotaryDim: number, base: number): { cos: Tensor; sin: Tensor } {
  const half = rotaryDim / 2;
  const c = new Float32Array(positions * half);
  const s = new Float32Array(positions * half);
  for (let p = 0; p < positions; p++) {
    for (let i = 0; i < half; i++) {
      const angle = (p + offset) / Math.pow(base, (2 * i) / rotaryDim);
      c[p * half + i] = Math.cos(angle);
      s[p * half + i] = Math.sin(angle);
    }
  }
  return { cos: tensor(c, { shape: [positions, 1, half] }), sin: tensor(s, { shape: [positions, 1, half] }) };
}

/**
 * Rotates the first rotaryDim dims of each head of x (batch, pos, head, d_head) in pairs
 * (x₁, x₂) → (x₁cos − x₂sin, x₁sin + x₂cos), with the pairs formed from the two halves (GPT-NeoX style).
 */
export function applyRotary(x: Tensor, cos: Tensor, sin: Tensor, rotaryDim: number): Tensor {
  const dHead = x.shape[3];
  const half = rotaryDim / 2;
  const x1 = x.narrow(3, 0, half);
  const x2 = x.narrow(3, half, half);
  const rotated = [x1.mul(cos).sub(x2.mul(sin)), x1.mul(sin).add(x2.mul(cos))];
  if (rotaryDim < dHead) rotated.push(x.narrow(3, rotaryDim, dHead - rotaryDim));
  return cat(rotated, 3);
}

/** ALiBi head slopes: a geometric sequence 2^(−8/n), 2^(−16/n), … (interleaved for non-powers of 2). */
export function alibiSlopes(nHeads: number): number[] {
  const pow2 = (n: number) => Array.from({ length: n }, (_, i) => Math.pow(2, (-8 * (i + 1)) / n));
  const p = Math.pow(2, Math.floor(Math.log2(nHeads)));
  if (p === nHeads) return pow2(nHeads);
  return [...pow2(p), ...pow2(2 * p).filter((_, i) => i % 2 === 0).slice(0, nHeads - p)];
}

/** ALiBi bias (heads, q, k): −slope_h · (q − k) for keys at or before the query, offset for cached keys. */
export function alibiBias(nHeads: number, tq: number, tk: number): Tensor {
  const slopes = alibiSlopes(nHeads);
  const data = new Float32Array(nHeads * tq * tk);
  const offset = tk - tq;
  for (let h = 0; h < nHeads; h++) {
    for (let i = 0; i < tq; i++) for (let j = 0; j < tk; j++) data[(h * tq + i) * tk + j] = -slopes[h] * Math.max(0, i + offset - j);
  }
  return tensor(data, { shape: [nHeads, tq, tk] });
}

/**
 * Abacus positions: for each token, 1 + its index within the run of digit tokens it belongs to
 * (0 for non-digits), plus `offset` for digits (a random offset during training lets the model
 * generalise to longer numbers). `runs`, when given (one per batch row), carries the length of the
 * digit run in from earlier positions (generation with a KV cache) and is updated.
 */
export function abacusPositions(tokens: ArrayLike<number>, batch: number, pos: number, digitIds: ReadonlySet<number>, offset = 0, runs?: Int32Array): Int32Array {
  const out = new Int32Array(batch * pos);
  for (let b = 0; b < batch; b++) {
    let run = runs?.[b] ?? 0;
    for (let p = 0; p < pos; p++) {
      const t = tokens[b * pos + p];
      run = digitIds.has(t) ? run + 1 : 0;
      out[b * pos + p] = run === 0 ? 0 : run + offset;
    }
    if (runs) runs[b] = run;
  }
  return out;
}
