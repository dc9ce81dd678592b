// Index ops: index_select (embedding lookups), gather / scatter_add (picking one logit per row),
// masked_fill, one_hot. Each gather's gradient is the matching scatter-add and vice versa.
import { backend } from "../../backend/index.js";
import { attach } from "../autograd.js";
import { axisSpec, fmt, normalizeDim } from "../shape.js";
import { Tensor } from "../tensor.js";
import { where } from "./elementwise.js";

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
  });
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
  });
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
  return attach(out, "scatterAdd", [x, s], (g) => [g, gather(g, d, index)]);
}

export function maskedFill(x: Tensor, mask: Tensor, value: number): Tensor {
  if (mask.dtype !== "bool") throw new Error(`maskedFill: mask must be a bool tensor, got ${mask.dtype}`);
  return where(mask, value, x);
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
