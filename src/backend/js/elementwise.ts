// Reference elementwise kernels: unary maps, broadcasting binary ops, where, strided copies.
import type { BinaryOp, Storage, UnaryOp } from "../types.js";
import { arr, forEachStrided2 } from "./storage.js";

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** erf to ~1e-15 (float64-grade), since Math has none: series near 0, continued fraction in the tails. */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax < 2.5) {
    // Maclaurin series: erf x = 2/√π Σ (-1)^n x^(2n+1) / (n! (2n+1))
    let term = ax;
    let sum = ax;
    const x2 = ax * ax;
    for (let n = 1; n < 100; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    const r = (2 / Math.sqrt(Math.PI)) * sum;
    return x < 0 ? -r : r;
  }
  if (ax > 6) return x < 0 ? -1 : 1;
  // erfc x = exp(-x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...)))) (Lentz-free backward evaluation)
  let f = ax;
  for (let k = 60; k >= 1; k--) f = ax + k / 2 / f;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return x < 0 ? erfc - 1 : 1 - erfc;
}

export function unaryFn(op: UnaryOp): (x: number) => number {
  switch (op) {
    case "neg": return (x) => -x;
    case "abs": return Math.abs;
    case "sign": return (x) => (x > 0 ? 1 : x < 0 ? -1 : x);
    case "exp": return Math.exp;
    case "log": return Math.log;
    case "sqrt": return Math.sqrt;
    case "rsqrt": return (x) => 1 / Math.sqrt(x);
    case "sin": return Math.sin;
    case "cos": return Math.cos;
    case "tanh": return Math.tanh;
    case "sigmoid": return (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
    case "relu": return (x) => (x > 0 ? x : 0);
    case "gelu_tanh": return (x) => 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)));
    case "gelu_erf": return (x) => 0.5 * x * (1 + erf(x / Math.SQRT2));
    case "silu": return (x) => (x >= 0 ? x / (1 + Math.exp(-x)) : (x * Math.exp(x)) / (1 + Math.exp(x)));
    // softplus(x) = log(1 + e^x), written to neither overflow nor lose precision
    case "softplus": return (x) => (x > 20 ? x : x < -20 ? Math.exp(x) : Math.log1p(Math.exp(x)));
    case "reciprocal": return (x) => 1 / x;
    case "square": return (x) => x * x;
    case "erf": return erf;
    case "floor": return Math.floor;
    case "ceil": return Math.ceil;
    // round half to even, like PyTorch
    case "round": return (x) => { const r = Math.round(x); return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r; };
    // truthiness as PyTorch's: anything but 0 is true, NaN included
    case "logical_not": return (x) => (x === 0 ? 1 : 0);
    case "isnan": return (x) => (Number.isNaN(x) ? 1 : 0);
    case "isinf": return (x) => (x === Infinity || x === -Infinity ? 1 : 0);
    // Φ(x) + x φ(x)
    case "gelu_erf_grad": return (x) => 0.5 * (1 + erf(x / Math.SQRT2)) + (x * Math.exp(-0.5 * x * x)) / Math.sqrt(2 * Math.PI);
    // ½(1 + t) + ½x(1 − t²)·√(2/π)(1 + 3·0.044715x²),  t = tanh(√(2/π)(x + 0.044715x³))
    case "gelu_tanh_grad": return (x) => {
      const t = Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x));
      return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x);
    };
  }
}

export function binaryFn(op: BinaryOp): (a: number, b: number) => number {
  switch (op) {
    case "add": return (a, b) => a + b;
    case "sub": return (a, b) => a - b;
    case "mul": return (a, b) => a * b;
    case "div": return (a, b) => a / b;
    case "pow": return Math.pow;
    // NaN propagates, like torch.maximum
    case "maximum": return (a, b) => (a !== a || b !== b ? NaN : a > b ? a : b);
    case "minimum": return (a, b) => (a !== a || b !== b ? NaN : a < b ? a : b);
    case "atan2": return Math.atan2;
    case "gt": return (a, b) => (a > b ? 1 : 0);
    case "ge": return (a, b) => (a >= b ? 1 : 0);
    case "lt": return (a, b) => (a < b ? 1 : 0);
    case "le": return (a, b) => (a <= b ? 1 : 0);
    case "eq": return (a, b) => (a === b ? 1 : 0);
    case "ne": return (a, b) => (a !== b ? 1 : 0);
    case "logical_and": return (a, b) => (a !== 0 && b !== 0 ? 1 : 0);
    case "logical_or": return (a, b) => (a !== 0 || b !== 0 ? 1 : 0);
  }
}

export function unary(op: UnaryOp, x: Storage, out: Storage): void {
  const f = unaryFn(op);
  const xs = arr(x);
  const o = arr(out);
  for (let i = 0; i < o.length; i++) o[i] = f(xs[i]);
}

export function binary(op: BinaryOp, a: Storage, aStrides: readonly number[], b: Storage, bStrides: readonly number[], out: Storage, outShape: readonly number[]): void {
  const f = binaryFn(op);
  const A = arr(a);
  const B = arr(b);
  const O = arr(out);
  const contiguous = A.length === O.length && B.length === O.length;
  if (contiguous && isDense(aStrides, outShape) && isDense(bStrides, outShape)) {
    for (let i = 0; i < O.length; i++) O[i] = f(A[i], B[i]);
    return;
  }
  if (B.length === 1 && A.length === O.length && isDense(aStrides, outShape)) {
    const bv = B[0];
    for (let i = 0; i < O.length; i++) O[i] = f(A[i], bv);
    return;
  }
  forEachStrided2(outShape, aStrides, bStrides, (i, ia, ib) => {
    O[i] = f(A[ia], B[ib]);
  });
}

function isDense(strides: readonly number[], shape: readonly number[]): boolean {
  let expect = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1 && strides[d] !== expect) return false;
    expect *= shape[d];
  }
  return true;
}

export function where(cond: Storage, cStrides: readonly number[], a: Storage, aStrides: readonly number[], b: Storage, bStrides: readonly number[], out: Storage, outShape: readonly number[]): void {
  const C = arr(cond);
  const A = arr(a);
  const B = arr(b);
  const O = arr(out);
  // Two odometers side by side: (cond, a) and (b, unused).
  const cOff = new Int32Array(O.length);
  forEachStrided2(outShape, cStrides, aStrides, (i, ic, ia) => {
    cOff[i] = C[ic] ? ia : -1;
  });
  forEachStrided2(outShape, bStrides, bStrides, (i, ib) => {
    O[i] = cOff[i] >= 0 ? A[cOff[i]] : B[ib];
  });
}

export function strided(x: Storage, offset: number, strides: readonly number[], out: Storage, outShape: readonly number[]): void {
  const X = arr(x);
  const O = arr(out);
  forEachStrided2(outShape, strides, strides, (i, ix) => {
    O[i] = X[offset + ix];
  });
}

export function stridedAdd(src: Storage, srcShape: readonly number[], x: Storage, offset: number, strides: readonly number[]): void {
  const S = arr(src);
  const X = arr(x);
  forEachStrided2(srcShape, strides, strides, (i, ix) => {
    X[offset + ix] += S[i];
  });
}

export function fill(out: Storage, value: number): void {
  arr(out).fill(value);
}

export function cast(x: Storage, out: Storage): void {
  const X = arr(x);
  const O = arr(out);
  if (out.dtype === "bool") for (let i = 0; i < O.length; i++) O[i] = X[i] !== 0 ? 1 : 0; // NaN → true
  else for (let i = 0; i < O.length; i++) O[i] = X[i]; // Int32Array truncates toward zero
}
