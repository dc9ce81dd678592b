// Reference kernels for neural networks: softmax, embedding-style gathers and their scatter-add
// gradients, im2col for convolution, and the Adam/AdamW update.
import type { AdamWSpec, AdamWTensors, AxisSpec, Conv2dSpec, CrossEntropySpec, Storage } from "../types.js";
import { arr } from "./storage.js";

export function softmax(x: Storage, out: Storage, { outer, dim, inner }: AxisSpec, log: boolean): void {
  const X = arr(x);
  const O = arr(out);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * dim * inner + i;
      // subtract the max so exp never overflows
      let max = -Infinity;
      for (let j = 0; j < dim; j++) max = Math.max(max, X[base + j * inner]);
      if (max === -Infinity) max = 0;
      let sum = 0;
      for (let j = 0; j < dim; j++) sum += Math.exp(X[base + j * inner] - max);
      if (log) {
        const lse = max + Math.log(sum);
        for (let j = 0; j < dim; j++) O[base + j * inner] = X[base + j * inner] - lse;
      } else {
        for (let j = 0; j < dim; j++) O[base + j * inner] = Math.exp(X[base + j * inner] - max) / sum;
      }
    }
  }
}

// softmax:     dx = y ⊙ (dy − Σ dy·y)
// log-softmax: dx = dy − softmax(x) · Σ dy,  with softmax(x) = exp(y)
export function softmaxBackward(y: Storage, dy: Storage, dx: Storage, { outer, dim, inner }: AxisSpec, log: boolean): void {
  const Y = arr(y);
  const DY = arr(dy);
  const DX = arr(dx);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * dim * inner + i;
      let s = 0;
      if (log) {
        for (let j = 0; j < dim; j++) s += DY[base + j * inner];
        for (let j = 0; j < dim; j++) {
          const p = base + j * inner;
          DX[p] = DY[p] - Math.exp(Y[p]) * s;
        }
      } else {
        for (let j = 0; j < dim; j++) s += DY[base + j * inner] * Y[base + j * inner];
        for (let j = 0; j < dim; j++) {
          const p = base + j * inner;
          DX[p] = Y[p] * (DY[p] - s);
        }
      }
    }
  }
}

export function indexSelect(x: Storage, index: Storage, out: Storage, { outer, dim, inner }: AxisSpec): void {
  const X = arr(x);
  const I = arr(index);
  const O = arr(out);
  const n = I.length;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < n; j++) {
      const src = (o * dim + I[j]) * inner;
      const dst = (o * n + j) * inner;
      for (let i = 0; i < inner; i++) O[dst + i] = X[src + i];
    }
  }
}

export function indexAdd(dout: Storage, index: Storage, dx: Storage, { outer, dim, inner }: AxisSpec): void {
  const G = arr(dout);
  const I = arr(index);
  const D = arr(dx);
  const n = I.length;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < n; j++) {
      const dst = (o * dim + I[j]) * inner;
      const src = (o * n + j) * inner;
      for (let i = 0; i < inner; i++) D[dst + i] += G[src + i];
    }
  }
}

function contiguousStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    s[d] = acc;
    acc *= shape[d];
  }
  return s;
}

/** Visits every index position; `xOff` is the matching position in x with the `dim` coordinate replaced. */
function forGatherPairs(xShape: readonly number[], indexShape: readonly number[], dim: number, I: ArrayLike<number>, visit: (pos: number, xOff: number) => void): void {
  const xs = contiguousStrides(xShape);
  const nd = indexShape.length;
  const idx = new Array<number>(nd).fill(0);
  const total = I.length;
  for (let pos = 0; pos < total; pos++) {
    let off = 0;
    for (let d = 0; d < nd; d++) off += (d === dim ? I[pos] : idx[d]) * xs[d];
    visit(pos, off);
    for (let d = nd - 1; d >= 0; d--) {
      if (++idx[d] < indexShape[d]) break;
      idx[d] = 0;
    }
  }
}

export function gather(x: Storage, xShape: readonly number[], index: Storage, indexShape: readonly number[], dim: number, out: Storage): void {
  const X = arr(x);
  const O = arr(out);
  forGatherPairs(xShape, indexShape, dim, arr(index), (pos, off) => {
    O[pos] = X[off];
  });
}

export function scatterAdd(target: Storage, targetShape: readonly number[], index: Storage, indexShape: readonly number[], src: Storage, dim: number): void {
  const T = arr(target);
  const S = arr(src);
  forGatherPairs(targetShape, indexShape, dim, arr(index), (pos, off) => {
    T[off] += S[pos];
  });
}

/** Calls visit(colsIndex, xIndex or -1 for padding) for every entry of the im2col matrix. */
function forUnfold(s: Conv2dSpec, visit: (c: number, x: number) => void): void {
  const L = s.outH * s.outW;
  const K = s.channels * s.kernelH * s.kernelW;
  for (let b = 0; b < s.batch; b++) {
    for (let ch = 0; ch < s.channels; ch++) {
      for (let ki = 0; ki < s.kernelH; ki++) {
        for (let kj = 0; kj < s.kernelW; kj++) {
          const row = (ch * s.kernelH + ki) * s.kernelW + kj;
          const cBase = (b * K + row) * L;
          for (let oy = 0; oy < s.outH; oy++) {
            const y = oy * s.strideH - s.padH + ki * s.dilationH;
            for (let ox = 0; ox < s.outW; ox++) {
              const xx = ox * s.strideW - s.padW + kj * s.dilationW;
              const inside = y >= 0 && y < s.height && xx >= 0 && xx < s.width;
              visit(cBase + oy * s.outW + ox, inside ? ((b * s.channels + ch) * s.height + y) * s.width + xx : -1);
            }
          }
        }
      }
    }
  }
}

export function unfold2d(x: Storage, cols: Storage, spec: Conv2dSpec): void {
  const X = arr(x);
  const C = arr(cols);
  forUnfold(spec, (c, xi) => {
    C[c] = xi >= 0 ? X[xi] : 0;
  });
}

export function fold2d(dcols: Storage, dx: Storage, spec: Conv2dSpec): void {
  const C = arr(dcols);
  const D = arr(dx);
  forUnfold(spec, (c, xi) => {
    if (xi >= 0) D[xi] += C[c];
  });
}

export function adamw(tensors: readonly AdamWTensors[], s: AdamWSpec): void {
  for (const t of tensors) adamwOne(t, s);
}

function adamwOne({ p, g, m, v }: AdamWTensors, s: AdamWSpec): void {
  const P = arr(p);
  const G = arr(g);
  const M = arr(m);
  const V = arr(v);
  const bc1 = 1 - Math.pow(s.beta1, s.step);
  const bc2 = 1 - Math.pow(s.beta2, s.step);
  for (let i = 0; i < P.length; i++) {
    let grad = G[i];
    if (s.decoupled) P[i] -= s.lr * s.weightDecay * P[i];
    else grad += s.weightDecay * P[i];
    M[i] = s.beta1 * M[i] + (1 - s.beta1) * grad;
    V[i] = s.beta2 * V[i] + (1 - s.beta2) * grad * grad;
    const mHat = M[i] / bc1;
    const vHat = V[i] / bc2;
    P[i] -= (s.lr * mHat) / (Math.sqrt(vHat) + s.eps);
  }
}

/** Softmax + cross-entropy per row, written out: lse by the max-shifted sum, then the smoothed target's dot product. */
export function crossEntropy(logits: Storage, target: Storage, loss: Storage, lse: Storage, { rows, classes: C, ignoreIndex, labelSmoothing: eps }: CrossEntropySpec): void {
  const X = arr(logits);
  const T = arr(target);
  const L = arr(loss);
  const S = arr(lse);
  for (let r = 0; r < rows; r++) {
    const o = r * C;
    let max = -Infinity;
    for (let c = 0; c < C; c++) max = Math.max(max, X[o + c]);
    let sum = 0;
    let sumX = 0;
    for (let c = 0; c < C; c++) {
      sum += Math.exp(X[o + c] - max);
      sumX += X[o + c];
    }
    const l = max + Math.log(sum);
    S[r] = l;
    const t = T[r];
    L[r] = t === ignoreIndex ? 0 : (1 - eps) * (l - X[o + t]) + (eps > 0 ? eps * (l - sumX / C) : 0);
  }
}

export function crossEntropyBackward(logits: Storage, target: Storage, lse: Storage, g: Storage, dx: Storage, { rows, classes: C, ignoreIndex, labelSmoothing: eps }: CrossEntropySpec): void {
  const X = arr(logits);
  const T = arr(target);
  const S = arr(lse);
  const G = arr(g);
  const D = arr(dx);
  for (let r = 0; r < rows; r++) {
    const o = r * C;
    const t = T[r];
    for (let c = 0; c < C; c++) D[o + c] = t === ignoreIndex ? 0 : G[r] * (Math.exp(X[o + c] - S[r]) - eps / C - (c === t ? 1 - eps : 0));
  }
}
