// Index ops: index_select (embedding lookups), gather / scatter_add (picking one logit per row),
// masked_fill, one_hot, nonzero, repeat_interleave. Each gather's gradient is the matching scatter-add and vice versa.
import { backend } from "../../backend/index.js";
import { attach } from "../autograd.js";
import { boolOption, parseArgs } from "../args.js";
import { axisSpec, contiguousStrides, fmt, normalizeDim } from "../shape.js";
import { Tensor } from "../tensor.js";
import { where } from "./elementwise.js";
import { reshape } from "./shape.js";

/** Checks an index tensor: int32 and every entry in [0, size). */
export function checkIndex(index: Tensor, size: number, op: string): void {
  if (!(index instanceof Tensor)) throw new Error(`${op}: index must be a Tensor`);
  if (index.dtype !== "int32") throw new Error(`${op}: index must be an int32 tensor, got ${index.dtype} (use tensor(..., { dtype: "int32" }) or .int())`);
  const data = backend().read(index.storage);
  for (let i = 0; i < data.length; i++) {
    if (data[i] < 0 || data[i] >= size) throw new Error(`${op}: index ${data[i]} is out of bounds for dimension with size ${size}`);
  }
}

/** Picks entries `index` (1-D, int32) along `dim`: the embedding lookup W_E[tokens]. */
export function indexSelect(x: Tensor, dim: number, index: Tensor): Tensor {
  const d = normalizeDim(dim, x.ndim, "indexSelect");
  if (index.ndim > 1) throw new Error(`indexSelect: index must be 0-D or 1-D, got shape ${fmt(index.shape)}`);
  checkIndex(index, x.shape[d] ?? 1, "indexSelect");
  const shape = [...x.shape];
  if (x.ndim > 0) shape[d] = index.numel();
  const out = Tensor.empty(shape, x.dtype);
  const spec = axisSpec(x.shape, d);
  backend().indexSelect(x.storage, index.storage, out.storage, spec);
  return attach(out, "indexSelect", [x], (g) => {
    const gx = Tensor.empty(x.shape, g.dtype);
    backend().indexAdd(g.storage, index.storage, gx.storage, spec);
    return [gx];
  }, [index]);
}

function checkGatherShapes(op: string, x: Tensor, d: number, index: Tensor): void {
  if (index.ndim !== x.ndim) throw new Error(`${op}: index ${fmt(index.shape)} must have as many dims as the input ${fmt(x.shape)}`);
  index.shape.forEach((s, i) => {
    if (i !== d && s > x.shape[i]) throw new Error(`${op}: index ${fmt(index.shape)} is larger than the input ${fmt(x.shape)} in dim ${i}`);
  });
  checkIndex(index, x.shape[d], op);
}

/** out[i][j][k] = x[i][index[i][j][k]][k] for dim = 1 (and likewise for any dim). */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  const d = normalizeDim(dim, x.ndim, "gather");
  checkGatherShapes("gather", x, d, index);
  const out = Tensor.empty(index.shape, x.dtype);
  backend().gather(x.storage, x.shape, index.storage, index.shape, d, out.storage);
  return attach(out, "gather", [x], (g) => {
    const gx = Tensor.empty(x.shape, g.dtype);
    backend().scatterAdd(gx.storage, x.shape, index.storage, index.shape, g.storage, d);
    return [gx];
  }, [index]);
}

/** Out-of-place scatter_add: a copy of x with src added at `index` along `dim`. */
export function scatterAdd(x: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  const d = normalizeDim(dim, x.ndim, "scatterAdd");
  checkGatherShapes("scatterAdd", x, d, index);
  index.shape.forEach((s, i) => {
    if (s > src.shape[i]) throw new Error(`scatterAdd: index ${fmt(index.shape)} is larger than src ${fmt(src.shape)} in dim ${i}`);
  });
  if (src.ndim !== index.ndim) throw new Error(`scatterAdd: src ${fmt(src.shape)} must have as many dims as index ${fmt(index.shape)}`);
  // only the part of src that index covers takes part
  let s = src.to(x.dtype);
  index.shape.forEach((n, i) => {
    if (s.shape[i] !== n) s = s.narrow(i, 0, n);
  });
  const out = x.clone().detach();
  backend().scatterAdd(out.storage, x.shape, index.storage, index.shape, s.storage, d);
  return attach(out, "scatterAdd", [x, s], (g) => [g, gather(g, d, index)], [index]);
}

/** x with `value` where mask (bool, broadcast to x) is true; value may be a 0-d tensor, which then gets a gradient. */
export function maskedFill(x: Tensor, mask: Tensor, value: number | Tensor): Tensor {
  if (!(mask instanceof Tensor) || mask.dtype !== "bool") throw new Error(`maskedFill: mask must be a bool tensor, got ${mask instanceof Tensor ? mask.dtype : typeof mask}`);
  if (value instanceof Tensor && value.ndim !== 0) throw new Error(`maskedFill: only supports a 0-dimensional value tensor, got shape ${fmt(value.shape)}`);
  const out = where(mask, value instanceof Tensor ? value.to(x.dtype) : value, x);
  if (out.ndim !== x.ndim || out.shape.some((s, i) => s !== x.shape[i])) throw new Error(`maskedFill: mask ${fmt(mask.shape)} must broadcast to the input's shape ${fmt(x.shape)}`);
  return out.dtype === x.dtype ? out : out.to(x.dtype);
}

/**
 * Indices of the nonzero entries, int32, as torch.nonzero: an (n, ndim) tensor with one row per
 * entry in row-major order, or with asTuple one 1-D tensor per dim (what x[mask] indexing uses).
 */
export function nonzero(x: Tensor, opts?: { asTuple?: false }): Tensor;
export function nonzero(x: Tensor, opts: { asTuple: true }): Tensor[];
export function nonzero(x: Tensor, opts: { asTuple?: boolean } = {}): Tensor | Tensor[] {
  const asTuple = boolOption("nonzero", "asTuple", parseArgs("nonzero", ["asTuple"], 0, [opts]).asTuple, false);
  const data = backend().read(x.storage);
  const strides = contiguousStrides(x.shape);
  const hits: number[] = [];
  for (let i = 0; i < data.length; i++) if (data[i] !== 0) hits.push(i); // NaN counts as nonzero, as in PyTorch
  const nd = x.ndim;
  const coords = new Int32Array(hits.length * nd);
  hits.forEach((flat, r) => {
    for (let d = 0; d < nd; d++) coords[r * nd + d] = Math.floor(flat / strides[d]) % x.shape[d];
  });
  const table = Tensor.fromTypedArray(coords, [hits.length, nd]);
  if (!asTuple) return table;
  // a 0-d tensor counts as 1-d here, as in PyTorch
  return nd === 0 ? [Tensor.fromTypedArray(new Int32Array(hits.length), [hits.length])] : Array.from({ length: nd }, (_, d) => table.select(1, d).contiguous());
}

export interface RepeatInterleaveOptions {
  dim?: number | null;
  /** The total output length along dim, if known (checked here). */
  outputSize?: number;
}

/**
 * Repeats each entry along dim `repeats` times (a number, or an int32 tensor with one count per
 * entry): [a, b] → [a, a, b, b]. Without dim the input is flattened first (torch.repeat_interleave).
 */
export function repeatInterleave(x: Tensor, repeats: number | Tensor, dim?: number | null | RepeatInterleaveOptions, opts?: RepeatInterleaveOptions): Tensor {
  const o = parseArgs("repeatInterleave", ["dim", "outputSize"], 1, [dim, opts]);
  if (o.dim === undefined || o.dim === null) return repeatInterleave(reshape(x, [-1]), repeats, { dim: 0, outputSize: o.outputSize as number | undefined });
  const d = normalizeDim(o.dim as number, x.ndim, "repeatInterleave");
  const n = x.shape[d];
  let counts: ArrayLike<number>;
  if (typeof repeats === "number") {
    if (!Number.isInteger(repeats) || repeats < 0) throw new Error(`repeatInterleave: repeats must be a non-negative integer, got ${repeats}`);
    counts = new Array<number>(n).fill(repeats);
  } else {
    if (!(repeats instanceof Tensor) || repeats.dtype !== "int32" || repeats.ndim > 1) throw new Error("repeatInterleave: repeats must be a number or a 0-d/1-d int32 tensor");
    const r = backend().read(repeats.storage).slice();
    if (r.length !== n && r.length !== 1) throw new Error(`repeatInterleave: repeats has ${r.length} entries but dim ${d} has size ${n}`);
    if (r.some((v) => v < 0)) throw new Error("repeatInterleave: repeats must be non-negative");
    counts = r.length === 1 ? new Array<number>(n).fill(r[0]) : r;
  }
  const index: number[] = [];
  for (let i = 0; i < n; i++) for (let k = 0; k < counts[i]; k++) index.push(i);
  if (o.outputSize !== undefined && o.outputSize !== index.length) throw new Error(`repeatInterleave: outputSize ${String(o.outputSize)} does not match the ${index.length} entries the repeats give`);
  return indexSelect(x, d, Tensor.fromTypedArray(Int32Array.from(index), [index.length]));
}

/** one_hot(indices, numClasses): int32 tensor with a trailing class dim. */
export function oneHot(indices: Tensor, numClasses = -1): Tensor {
  const data = backend().read(indices.storage);
  if (indices.dtype !== "int32") throw new Error(`oneHot: indices must be int32, got ${indices.dtype}`);
  let n = numClasses;
  if (n === -1) for (let i = 0; i < data.length; i++) n = Math.max(n, data[i] + 1, 0);
  if (n === -1) n = 0;
  checkIndex(indices, n, "oneHot");
  const out = Tensor.empty([...indices.shape, n], "int32");
  const o = new Int32Array(data.length * n);
  for (let i = 0; i < data.length; i++) o[i * n + data[i]] = 1;
  backend().write(out.storage, o);
  return out;
}
