// Shape ops. Tensors are always dense, so reshape shares storage while permute, slicing,
// expand and flip copy through the backend's one strided-gather kernel; each backward is the
// adjoint gather (a strided scatter-add) or the inverse shape op.
import { backend } from "../../backend/index.js";
import { isOptions, oneArg, parseArgs } from "../args.js";
import { attach } from "../autograd.js";
import { promoteTypes } from "../dtype.js";
import { broadcastStrides, checkShape, contiguousStrides, fmt, inferShape, normalizeDim, normalizeDims, type Shape, sizeOf } from "../shape.js";
import { Tensor } from "../tensor.js";

/** Accepts shape as varargs `(2, 3)` or as one array `([2, 3])`. */
export function shapeArgs(args: readonly (number | readonly number[])[]): number[] {
  if (args.length === 1 && Array.isArray(args[0])) return [...(args[0] as readonly number[])];
  return args as number[];
}

export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const target = inferShape(shape, x.numel(), "reshape");
  const out = new Tensor(x.storage, target, x.dtype);
  return attach(out, "reshape", [x], (g) => [reshape(g, x.shape)], []);
}

export interface FlattenOptions {
  startDim?: number;
  endDim?: number;
}

export function flatten(x: Tensor, startDimArg?: number | FlattenOptions, endDimArg?: number | FlattenOptions): Tensor {
  let startDim = startDimArg as number | undefined;
  let endDim = endDimArg as number | undefined;
  if (isOptions(startDimArg) || isOptions(endDimArg)) {
    const o = parseArgs("flatten", ["startDim", "endDim"], 2, [startDimArg, endDimArg]);
    [startDim, endDim] = [o.startDim as number | undefined, o.endDim as number | undefined];
  }
  startDim ??= 0;
  endDim ??= -1;
  if (x.ndim === 0) return reshape(x, [1]);
  const s = normalizeDim(startDim, x.ndim, "flatten");
  const e = normalizeDim(endDim, x.ndim, "flatten");
  if (s > e) throw new Error(`flatten: startDim ${startDim} comes after endDim ${endDim}`);
  const shape = [...x.shape.slice(0, s), sizeOf(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)];
  return reshape(x, shape);
}

/** out = the strided view (offset, strides) of x, materialised with shape `shape`. */
function gatherStrided(x: Tensor, offset: number, strides: readonly number[], shape: Shape, op: string): Tensor {
  const out = Tensor.output(shape, x.dtype); // the gather writes every element
  backend().strided(x.storage, offset, strides, out.storage, shape);
  return attach(out, op, [x], (g) => {
    const gx = Tensor.empty(x.shape, g.dtype);
    backend().stridedAdd(g.storage, shape, gx.storage, offset, strides);
    return [gx];
  }, []);
}

export function permute(x: Tensor, dims: readonly number[]): Tensor {
  if (dims.length !== x.ndim) throw new Error(`permute: got ${dims.length} dims ${fmt(dims)} for a tensor of shape ${fmt(x.shape)}`);
  const perm = dims.map((d) => normalizeDim(d, x.ndim, "permute"));
  if (new Set(perm).size !== perm.length) throw new Error(`permute: dims ${fmt(dims)} repeat a dimension`);
  if (perm.every((d, i) => d === i)) return x;
  const own = contiguousStrides(x.shape);
  const out = Tensor.output(perm.map((d) => x.shape[d]), x.dtype);
  backend().strided(x.storage, 0, perm.map((d) => own[d]), out.storage, out.shape);
  const inverse = new Array<number>(perm.length);
  perm.forEach((d, i) => (inverse[d] = i));
  return attach(out, "permute", [x], (g) => [permute(g, inverse)], []);
}

export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  const a = normalizeDim(dim0, x.ndim, "transpose");
  const b = normalizeDim(dim1, x.ndim, "transpose");
  const perm = x.shape.map((_, i) => i);
  perm[a] = b;
  perm[b] = a;
  return permute(x, perm);
}

export function squeeze(x: Tensor, dimArg?: number | readonly number[] | { dim?: number | readonly number[] }): Tensor {
  const dim = oneArg<number | readonly number[]>("squeeze", "dim", dimArg);
  const dims = dim === undefined ? x.shape.map((_, i) => i) : normalizeDims(dim, x.ndim, "squeeze");
  return reshape(x, x.shape.filter((s, i) => !(s === 1 && dims.includes(i))));
}

export function unsqueeze(x: Tensor, dimArg: number | { dim: number }): Tensor {
  const dim = oneArg<number>("unsqueeze", "dim", dimArg);
  if (dim === undefined) throw new Error("unsqueeze: dim is required");
  const d = normalizeDim(dim, x.ndim + 1, "unsqueeze");
  const shape = [...x.shape];
  shape.splice(d, 0, 1);
  return reshape(x, shape);
}

/** Broadcasts to `shape` (size -1 keeps a dim). The gradient sums over the broadcast dims. */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  if (shape.length < x.ndim) throw new Error(`expand: the target shape ${fmt(shape)} has fewer dims than ${fmt(x.shape)}`);
  const lead = shape.length - x.ndim;
  const target = shape.map((s, i) => (s === -1 && i >= lead ? x.shape[i - lead] : s));
  checkShape(target, "expand");
  x.shape.forEach((s, i) => {
    if (s !== 1 && s !== target[i + lead]) throw new Error(`expand: cannot expand shape ${fmt(x.shape)} to ${fmt(shape)} (dimension ${i + lead}: ${s} vs ${target[i + lead]})`);
  });
  if (target.length === x.ndim && target.every((s, i) => s === x.shape[i])) return x;
  const out = Tensor.output(target, x.dtype);
  backend().strided(x.storage, 0, broadcastStrides(x.shape, target), out.storage, target);
  return attach(out, "expand", [x], (g) => [sumToShape(g, x.shape)], []);
}

/** Sums a broadcast gradient back down to `shape` (the adjoint of broadcasting). */
export function sumToShape(g: Tensor, shape: Shape): Tensor {
  if (g.ndim === shape.length && g.shape.every((s, i) => s === shape[i])) return g;
  const lead = g.ndim - shape.length;
  const dims: number[] = [];
  for (let i = 0; i < g.ndim; i++) if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) dims.push(i);
  return reshape(g.sum(dims, true), shape);
}

/** A slice bound as Python reads it: negative counts from the end, then clamped to [0, n]. */
function clampIndex(v: number, n: number): number {
  return Math.min(Math.max(v < 0 ? v + n : v, 0), n);
}

/** x[start:end:step] along `dim` with Python's rules for negative and out-of-range bounds. */
export function slice(x: Tensor, dim: number, start?: number | null, end?: number | null, step = 1): Tensor {
  const d = normalizeDim(dim, x.ndim, "slice");
  if (!Number.isInteger(step) || step <= 0) throw new Error(`slice: step must be a positive integer, got ${step}`);
  for (const v of [start, end]) if (v !== undefined && v !== null && !Number.isInteger(v)) throw new Error(`slice: start and end must be integers, got ${start} and ${end}`);
  const n = x.shape[d];
  const s = start === undefined || start === null ? 0 : clampIndex(start, n);
  const e = end === undefined || end === null ? n : clampIndex(end, n);
  const len = Math.max(0, Math.ceil((e - s) / step));
  const strides = contiguousStrides(x.shape);
  const shape = [...x.shape];
  shape[d] = len;
  const st = [...strides];
  st[d] = strides[d] * step;
  return gatherStrided(x, s * strides[d], st, shape, "slice");
}

export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  const d = normalizeDim(dim, x.ndim, "narrow");
  const n = x.shape[d];
  const s = start < 0 ? start + n : start;
  if (!Number.isInteger(s) || !Number.isInteger(length) || s < 0 || length < 0 || s + length > n) {
    throw new Error(`narrow: start ${start} and length ${length} out of range for dim ${dim} of size ${n}`);
  }
  return slice(x, d, s, s + length);
}

export function select(x: Tensor, dim: number, index: number): Tensor {
  const d = normalizeDim(dim, x.ndim, "select");
  const n = x.shape[d];
  if (!Number.isInteger(index) || index < -n || index >= n) throw new Error(`select: index ${index} out of range for dim ${dim} of size ${n}`);
  const i = index < 0 ? index + n : index;
  return squeeze(slice(x, d, i, i + 1), d);
}

export function flip(x: Tensor, dims: number | readonly number[]): Tensor {
  const ds = normalizeDims(dims, x.ndim, "flip");
  const strides = contiguousStrides(x.shape);
  let offset = 0;
  const st = strides.map((s, i) => {
    if (!ds.includes(i)) return s;
    offset += (x.shape[i] - 1) * s;
    return -s;
  });
  return gatherStrided(x, offset, st, x.shape, "flip");
}

/** Concatenates along an existing dim. */
export function cat(tensors: readonly Tensor[], dimArg: number | { dim?: number } = 0): Tensor {
  const dim = oneArg<number>("cat", "dim", dimArg) ?? 0;
  if (!Array.isArray(tensors) || tensors.length === 0) throw new Error("cat: expected a non-empty list of tensors");
  const first = tensors[0];
  if (first.ndim === 0) throw new Error("cat: zero-dimensional tensors cannot be concatenated (use stack)");
  const d = normalizeDim(dim, first.ndim, "cat");
  const dtype = tensors.map((t) => t.dtype).reduce(promoteTypes);
  for (const t of tensors) {
    if (t.ndim !== first.ndim || t.shape.some((s: number, i: number) => i !== d && s !== first.shape[i])) {
      throw new Error(`cat: shapes ${tensors.map((x) => fmt(x.shape)).join(", ")} differ outside dim ${dim}`);
    }
  }
  const shape = [...first.shape];
  shape[d] = tensors.reduce((n, t) => n + t.shape[d], 0);
  // When every dim before d has size 1 (the KV cache's cat along positions at batch 1, stack
  // along dim 0) each piece is one contiguous block of the output: copy it in, with no zero fill
  // and no read-modify-write; otherwise add each piece into zeros through its strided view.
  let blocks = true;
  for (let i = 0; i < d; i++) if (shape[i] !== 1) blocks = false;
  const out = blocks ? Tensor.output(shape, dtype) : Tensor.empty(shape, dtype);
  const strides = contiguousStrides(shape);
  let pos = 0;
  const starts: number[] = [];
  for (const t of tensors) {
    starts.push(pos);
    const piece = t.to(dtype).storage;
    if (blocks) backend().write(out.storage, backend().read(piece), pos * strides[d]);
    else backend().stridedAdd(piece, t.shape, out.storage, pos * strides[d], strides);
    pos += t.shape[d];
  }
  return attach(out, "cat", tensors, (g) => tensors.map((t, i) => (t.requiresGrad ? slice(g, d, starts[i], starts[i] + t.shape[d]) : null)), []);
}

/** Joins along a new dim. */
export function stack(tensors: readonly Tensor[], dimArg: number | { dim?: number } = 0): Tensor {
  const dim = oneArg<number>("stack", "dim", dimArg) ?? 0;
  if (!Array.isArray(tensors) || tensors.length === 0) throw new Error("stack: expected a non-empty list of tensors");
  const first = tensors[0];
  for (const t of tensors) {
    if (t.ndim !== first.ndim || t.shape.some((s: number, i: number) => s !== first.shape[i])) throw new Error(`stack: all tensors must have the same shape, got ${tensors.map((x) => fmt(x.shape)).join(", ")}`);
  }
  const d = normalizeDim(dim, first.ndim + 1, "stack");
  return cat(tensors.map((t) => unsqueeze(t, d)), d);
}

export function split(x: Tensor, sizeOrSections: number | readonly number[], dimArg: number | { dim?: number } = 0): Tensor[] {
  const dim = oneArg<number>("split", "dim", dimArg) ?? 0;
  const d = normalizeDim(dim, x.ndim, "split");
  const n = x.shape[d];
  let sizes: number[];
  if (typeof sizeOrSections === "number") {
    if (!Number.isInteger(sizeOrSections) || sizeOrSections <= 0) throw new Error(`split: split size must be a positive integer, got ${sizeOrSections}`);
    sizes = [];
    for (let s = 0; s < n; s += sizeOrSections) sizes.push(Math.min(sizeOrSections, n - s));
  } else {
    sizes = [...sizeOrSections];
    if (sizes.reduce((a, b) => a + b, 0) !== n) throw new Error(`split: sizes ${fmt(sizes)} do not sum to ${n}, the size of dim ${dim}`);
  }
  let start = 0;
  return sizes.map((s) => {
    const part = slice(x, d, start, start + s);
    start += s;
    return part;
  });
}

export function chunk(x: Tensor, chunks: number, dimArg: number | { dim?: number } = 0): Tensor[] {
  const dim = oneArg<number>("chunk", "dim", dimArg) ?? 0;
  if (!Number.isInteger(chunks) || chunks <= 0) throw new Error(`chunk: chunks must be a positive integer, got ${chunks}`);
  const n = x.shape[normalizeDim(dim, x.ndim, "chunk")];
  return split(x, Math.max(1, Math.ceil(n / chunks)), dim);
}

/** Tiles the tensor: repeat(2, 3) on a (4, 5) tensor gives (8, 15), as torch.Tensor.repeat. */
export function repeat(x: Tensor, sizes: readonly number[]): Tensor {
  if (sizes.length < x.ndim) throw new Error(`repeat: number of repeat dims (${sizes.length}) can not be smaller than the tensor's (${x.ndim})`);
  checkShape(sizes, "repeat");
  const lead = sizes.length - x.ndim;
  const base = [...new Array<number>(lead).fill(1), ...x.shape];
  // interleave: (r0, s0, r1, s1, ...) then merge each pair
  const inter: number[] = [];
  for (const s of base) inter.push(1, s);
  const target = base.flatMap((s, i) => [sizes[i], s]);
  const y = expand(reshape(x, inter), target);
  return reshape(y, base.map((s, i) => s * sizes[i]));
}

function triangle(x: Tensor, diagonal: number, lower: boolean): Tensor {
  if (x.ndim < 2) throw new Error(`${lower ? "tril" : "triu"}: expected a tensor with at least 2 dims, got shape ${fmt(x.shape)}`);
  const [r, c] = x.shape.slice(-2);
  const mask = Tensor.empty([r, c], "bool");
  const m = new Uint8Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) m[i * c + j] = (lower ? j - i <= diagonal : j - i >= diagonal) ? 1 : 0;
  backend().write(mask.storage, m);
  return x.where(mask, Tensor.empty([], x.dtype).fill_(0)); // a zero of x's own dtype, so bool masks stay bool
}

export function tril(x: Tensor, diagonal: number | { diagonal?: number } = 0): Tensor {
  return triangle(x, oneArg<number>("tril", "diagonal", diagonal) ?? 0, true);
}

export function triu(x: Tensor, diagonal: number | { diagonal?: number } = 0): Tensor {
  return triangle(x, oneArg<number>("triu", "diagonal", diagonal) ?? 0, false);
}

/** Matrix transpose of a tensor with at most 2 dims (0-D and 1-D come back as they are), as torch.t. */
export function t(x: Tensor): Tensor {
  if (x.ndim > 2) throw new Error(`t: expects a tensor with at most 2 dims, got shape ${fmt(x.shape)} (use transpose(-2, -1) or mT for batches)`);
  return x.ndim < 2 ? x : transpose(x, 0, 1);
}

/** The slices along dim, as a list with that dim removed (torch.unbind). */
export function unbind(x: Tensor, dimArg: number | { dim?: number } = 0): Tensor[] {
  const d = normalizeDim(oneArg<number>("unbind", "dim", dimArg) ?? 0, x.ndim, "unbind");
  return Array.from({ length: x.shape[d] }, (_, i) => select(x, d, i));
}

/**
 * Rotates entries along dims: roll(x, 1, 0) moves row i to row i + 1 and the last row to the
 * first. Without dims the tensor is rolled as if flattened, then reshaped back (torch.roll).
 */
export function roll(x: Tensor, shifts: number | readonly number[], dims?: number | readonly number[] | null | { dims?: number | readonly number[] | null }): Tensor {
  if (dims !== null && typeof dims === "object" && !Array.isArray(dims)) return roll(x, shifts, (dims as { dims?: number | readonly number[] | null }).dims);
  const ss = typeof shifts === "number" ? [shifts] : [...shifts];
  if (ss.some((s) => !Number.isInteger(s))) throw new Error(`roll: shifts must be integers, got ${JSON.stringify(shifts)}`);
  if (dims === undefined || dims === null) {
    if (ss.length !== 1) throw new Error(`roll: without dims, shifts must be one integer, got ${JSON.stringify(shifts)}`);
    return reshape(roll(reshape(x, [-1]), ss[0], 0), x.shape);
  }
  const ds = typeof dims === "number" ? [dims] : [...(dims as readonly number[])];
  if (ds.length !== ss.length) throw new Error(`roll: shifts ${JSON.stringify(shifts)} and dims ${JSON.stringify(dims)} must have the same length`);
  let y = x;
  ds.forEach((dim, i) => {
    const d = normalizeDim(dim, x.ndim, "roll");
    const n = x.shape[d];
    const k = n === 0 ? 0 : ((ss[i] % n) + n) % n;
    if (k !== 0) y = cat([slice(y, d, n - k), slice(y, d, 0, n - k)], d);
  });
  return y;
}

/**
 * torch.diag: a 1-D x becomes the square matrix with x on its `diagonal`-th diagonal (above the
 * main one when positive, below when negative); a 2-D x gives that diagonal as a 1-D tensor.
 */
export function diag(x: Tensor, diagonalArg: number | { diagonal?: number } = 0): Tensor {
  const diagonal = oneArg<number>("diag", "diagonal", diagonalArg) ?? 0;
  if (!Number.isInteger(diagonal)) throw new Error(`diag: diagonal must be an integer, got ${diagonal}`);
  if (x.ndim === 2) {
    const [r, c] = x.shape;
    const len = Math.max(0, diagonal >= 0 ? Math.min(r, c - diagonal) : Math.min(r + diagonal, c));
    const offset = len === 0 ? 0 : diagonal >= 0 ? diagonal : -diagonal * c;
    return gatherStrided(x, offset, [c + 1], [len], "diag");
  }
  if (x.ndim !== 1) throw new Error(`diag: expected a 1-D or 2-D tensor, got shape ${fmt(x.shape)}`);
  const n = x.shape[0];
  const m = n + Math.abs(diagonal);
  const out = Tensor.empty([m, m], x.dtype);
  if (n > 0) backend().stridedAdd(x.storage, [n], out.storage, diagonal >= 0 ? diagonal : -diagonal * m, [m + 1]);
  // the adjoint of placing x on a diagonal is reading that diagonal back
  return attach(out, "diag", [x], (g) => [diag(g, diagonal)], []);
}
