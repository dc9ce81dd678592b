// Shape arithmetic shared by every op: sizes, strides, NumPy broadcasting, dim normalisation.
import type { AxisSpec } from "../backend/types.js";

export type Shape = readonly number[];

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i];
  return n;
}

export function contiguousStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = acc;
    acc *= shape[d];
  }
  return strides;
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function fmt(shape: Shape): string {
  return `[${shape.join(", ")}]`;
}

/** NumPy broadcasting: align on the right; each pair of sizes must be equal or contain a 1. */
export function broadcastShapes(op: string, ...shapes: Shape[]): number[] {
  // two equal shapes, the most common case of all: every small op passes here
  if (shapes.length === 2 && shapesEqual(shapes[0], shapes[1])) return shapes[0].slice();
  let nd = 0;
  for (const s of shapes) nd = Math.max(nd, s.length);
  const out = new Array<number>(nd).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const d = nd - s.length + i;
      if (s[i] === out[d] || s[i] === 1) continue;
      if (out[d] === 1) out[d] = s[i];
      else throw new Error(`${op}: shapes ${shapes.map(fmt).join(" and ")} do not broadcast (dimension ${d}: ${out[d]} vs ${s[i]})`);
    }
  }
  return out;
}

/** Strides to read a contiguous tensor of `shape` as if it had `outShape` (0 on broadcast dims). */
export function broadcastStrides(shape: Shape, outShape: Shape): number[] {
  if (shapesEqual(shape, outShape)) return contiguousStrides(shape); // nothing broadcast
  const own = contiguousStrides(shape);
  const strides = new Array<number>(outShape.length).fill(0);
  const offset = outShape.length - shape.length;
  for (let i = 0; i < shape.length; i++) strides[offset + i] = shape[i] === 1 ? 0 : own[i];
  return strides;
}

/** Turns a possibly negative dim into 0..ndim-1, with an error that names the op. */
export function normalizeDim(dim: number, ndim: number, op: string): number {
  if (!Number.isInteger(dim)) throw new Error(`${op}: dim must be an integer, got ${dim}`);
  const lo = ndim === 0 ? -1 : -ndim;
  const hi = ndim === 0 ? 0 : ndim - 1;
  if (dim < lo || dim > hi) throw new Error(`${op}: dim ${dim} out of range for a tensor with ${ndim} dimension(s) (expected ${lo}..${hi})`);
  return dim < 0 ? dim + Math.max(ndim, 1) : dim;
}

/** Normalised, sorted, de-duplicated dims; undefined means all dims. */
export function normalizeDims(dims: number | readonly number[] | undefined | null, ndim: number, op: string): number[] {
  if (dims === undefined || dims === null) return Array.from({ length: ndim }, (_, i) => i);
  const list = typeof dims === "number" ? [dims] : [...dims];
  const out = [...new Set(list.map((d) => normalizeDim(d, ndim, op)))].sort((a, b) => a - b);
  if (out.length !== list.length) throw new Error(`${op}: dim ${JSON.stringify(dims)} repeats a dimension`);
  return out;
}

/** The (outer, dim, inner) view around one axis. */
export function axisSpec(shape: Shape, dim: number): AxisSpec {
  let outer = 1;
  let inner = 1;
  for (let d = 0; d < dim; d++) outer *= shape[d];
  for (let d = dim + 1; d < shape.length; d++) inner *= shape[d];
  return { outer, dim: shape[dim] ?? 1, inner };
}

export function checkShape(shape: readonly number[], op: string): number[] {
  if (!Array.isArray(shape)) throw new Error(`${op}: shape must be an array of sizes, got ${String(shape)}`);
  for (const s of shape) {
    if (!Number.isSafeInteger(s) || s < 0) throw new Error(`${op}: invalid size ${s} in shape ${JSON.stringify(shape)}`);
  }
  return [...shape];
}

/** Resolves a single -1 in a reshape target from the element count. */
export function inferShape(shape: readonly number[], numel: number, op: string): number[] {
  const out = [...shape];
  const neg = out.filter((s) => s === -1).length;
  if (neg > 1) throw new Error(`${op}: only one dimension can be -1, got ${fmt(shape)}`);
  for (const s of out) {
    if (s !== -1 && (!Number.isSafeInteger(s) || s < 0)) throw new Error(`${op}: invalid size ${s} in shape ${fmt(shape)}`);
  }
  if (neg === 1) {
    const known = out.reduce((p, s) => (s === -1 ? p : p * s), 1);
    if (known === 0 || numel % known !== 0) throw new Error(`${op}: shape ${fmt(shape)} is invalid for input of size ${numel}`);
    out[out.indexOf(-1)] = numel / known;
  }
  if (sizeOf(out) !== numel) throw new Error(`${op}: shape ${fmt(shape)} is invalid for input of size ${numel}`);
  return out;
}
