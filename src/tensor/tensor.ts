// The Tensor: a shape, a dtype, a backend Storage holding its numbers (always dense, row-major),
// and, for autodiff, `requiresGrad`, `grad` and the GradNode that produced it.
//
// The methods here are thin: each forwards to the op of the same name in ./ops/, where the
// forward and backward of every op sit side by side. Names and argument orders are PyTorch's in
// camelCase, so `x.matmul(w).add(b).relu()` reads as it would in Python.
import { backend } from "../backend/index.js";
import type { DType, Storage, TypedArray } from "../backend/types.js";
import { type GradNode, isGradEnabled, runBackward } from "./autograd.js";
import { isFloat, makeTypedArray } from "./dtype.js";
import * as E from "./ops/elementwise.js";
import * as I from "./ops/indexing.js";
import * as L from "./ops/linalg.js";
import * as F from "./ops/nn.js";
import * as R from "./ops/reduce.js";
import * as S from "./ops/shape.js";
import { keep, registerTensor, releaseStorage } from "./scope.js";
import { contiguousStrides, fmt, type Shape, sizeOf } from "./shape.js";

export type Scalar = number | boolean;
export type TensorLike = Tensor | number;
export type NestedArray = number | boolean | NestedArray[];
export type Dims = number | readonly number[];

const NO_HOOKS: readonly never[] = Object.freeze([]);

export class Tensor {
  readonly shape: readonly number[];
  readonly dtype: DType;
  /** Where the numbers live; opaque outside the backend. Views (reshape) share it. */
  private readonly _storage: Storage;
  private _disposed = false;
  /** @internal survives tidy() scopes (see keep) */
  _kept = false;
  /** dL/d(this), filled by backward() on leaves (and on tensors that called retainGrad()). */
  private _grad: Tensor | null = null;
  /** @internal the gradient was made by backward(), so replacing it disposes it */
  _ownsGrad = false;
  private _requiresGrad = false;
  private _gradFn: GradNode | null = null;
  /** @internal set by retainGrad() */
  _retainsGrad = false;
  /** @internal gradient hooks, see registerHook (a shared empty list until one is added: most tensors never get one) */
  _hooks: readonly ((grad: Tensor) => Tensor | void)[] = NO_HOOKS;
  /** An optional name, used by parameters and in error messages. */
  name?: string;

  /** @internal Use tensor(), zeros() etc. to make tensors. */
  constructor(storage: Storage, shape: Shape, dtype: DType = storage.dtype) {
    if (storage.length !== sizeOf(shape)) throw new Error(`Tensor: storage of ${storage.length} elements does not fit shape ${fmt(shape)}`);
    this._storage = storage;
    registerTensor(this, storage);
    this.shape = Object.freeze([...shape]);
    this.dtype = dtype;
  }

  /** @internal A new tensor of this shape and dtype around fresh, zero-filled storage. */
  static empty(shape: Shape, dtype: DType): Tensor {
    return new Tensor(backend().alloc(dtype, sizeOf(shape)), shape, dtype);
  }

  /** @internal Like empty, but the numbers are arbitrary: for the output of a kernel that writes every element. */
  static output(shape: Shape, dtype: DType): Tensor {
    return new Tensor(backend().alloc(dtype, sizeOf(shape), false), shape, dtype);
  }

  /** @internal A tensor that copies the given typed array. */
  static fromTypedArray(data: TypedArray, shape: Shape): Tensor {
    return new Tensor(backend().fromArray(data), shape);
  }

  /** Where the numbers live; throws once the tensor is disposed. */
  get storage(): Storage {
    if (this._disposed) throw new Error(`Tensor of shape ${fmt(this.shape)} was disposed (made inside tidy() and neither returned nor kept, or dispose() was called)`);
    return this._storage;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  /**
   * Releases this tensor's hold on its memory now (its storage is freed once no view shares it).
   * Using the tensor afterwards is an error. Safe to call twice.
   */
  dispose(): void {
    if (this._disposed) return;
    this._disposed = true;
    this._gradFn = null;
    releaseStorage(this._storage);
  }

  /** dL/d(this), filled by backward() on leaves (and on tensors that called retainGrad()). */
  get grad(): Tensor | null {
    return this._grad;
  }
  set grad(g: Tensor | null) {
    // a gradient made by backward() belongs to this tensor: replacing it (zeroGrad) frees it
    if (this._grad !== null && this._grad !== g && this._ownsGrad) this._grad.dispose();
    this._grad = g === null ? null : keep(g);
    this._ownsGrad = false;
  }

  // ---------------------------------------------------------------- metadata
  get ndim(): number {
    return this.shape.length;
  }
  dim(): number {
    return this.shape.length;
  }
  numel(): number {
    return this.storage.length;
  }
  /** size() → the shape; size(d) → one dimension (negative d counts from the end). */
  size(): number[];
  size(dim: number): number;
  size(dim?: number): number[] | number {
    if (dim === undefined) return [...this.shape];
    const d = dim < 0 ? dim + this.ndim : dim;
    if (d < 0 || d >= this.ndim) throw new Error(`size: dim ${dim} out of range for shape ${fmt(this.shape)}`);
    return this.shape[d];
  }
  get isFloatingPoint(): boolean {
    return isFloat(this.dtype);
  }

  // ---------------------------------------------------------------- autodiff state
  get requiresGrad(): boolean {
    return this._requiresGrad;
  }
  set requiresGrad(v: boolean) {
    this.requiresGrad_(v);
  }
  get gradFn(): GradNode | null {
    return this._gradFn;
  }
  get isLeaf(): boolean {
    return this._gradFn === null;
  }
  /** Sets requiresGrad in place (only on leaves, only for float dtypes), returns this. */
  requiresGrad_(v = true): this {
    if (v && !isFloat(this.dtype)) throw new Error(`requiresGrad: only floating-point tensors can require gradients (this one is ${this.dtype})`);
    if (!v && this._gradFn !== null) throw new Error("requiresGrad: cannot turn off gradients of a non-leaf tensor; use detach()");
    this._requiresGrad = v;
    return this;
  }
  /** @internal called by autograd.attach */
  _setGradFn(node: GradNode): void {
    this._gradFn = node;
    this._requiresGrad = true;
  }
  /** Keep .grad on this non-leaf tensor after backward(). */
  retainGrad(): this {
    this._retainsGrad = true;
    return this;
  }
  /** Calls hook(grad) when this tensor's gradient is computed; a returned tensor replaces it. */
  registerHook(hook: (grad: Tensor) => Tensor | void): () => void {
    this._hooks = [...this._hooks, hook];
    return () => {
      this._hooks = this._hooks.filter((h) => h !== hook);
    };
  }
  /**
   * Backpropagates from this tensor. Without an argument the tensor must hold one element
   * (a loss); otherwise pass dL/d(this) with the same shape.
   */
  backward(gradient?: Tensor, opts: { createGraph?: boolean } = {}): void {
    let seed = gradient;
    if (seed === undefined) {
      if (this.numel() !== 1) throw new Error(`backward: grad can be implicitly created only for scalar outputs, got shape ${fmt(this.shape)}; pass a gradient`);
      seed = this.onesLike();
    } else if (seed.shape.length !== this.shape.length || seed.shape.some((s, i) => s !== this.shape[i])) {
      throw new Error(`backward: gradient shape ${fmt(seed.shape)} does not match tensor shape ${fmt(this.shape)}`);
    }
    runBackward(this, seed.to(this.dtype), opts);
  }
  /** A tensor sharing these numbers, cut from the graph. */
  detach(): Tensor {
    return new Tensor(this.storage, this.shape, this.dtype);
  }

  // ---------------------------------------------------------------- reading numbers
  /** A copy of the numbers as a flat typed array (Float32Array, Float64Array, Int32Array or Uint8Array). */
  dataSync(): TypedArray {
    return backend().read(this.storage).slice();
  }
  /** Same as dataSync(): a flat copy. */
  get data(): TypedArray {
    return this.dataSync();
  }
  /** The numbers as nested JS arrays (booleans for bool tensors). */
  toArray(): NestedArray {
    return nest(backend().read(this.storage), this.shape, this.dtype === "bool");
  }
  /** The one number of a one-element tensor. */
  item(): number {
    if (this.numel() !== 1) throw new Error(`item: a tensor with ${this.numel()} elements cannot be converted to a number`);
    return backend().read(this.storage)[0];
  }
  toString(): string {
    return formatTensor(this);
  }

  // ---------------------------------------------------------------- in place (no autodiff)
  /** Copies src's numbers (broadcast to this shape) into this tensor. */
  copy_(src: TensorLike): this {
    if (this._gradFn !== null || (this._requiresGrad && isGradEnabled())) {
      throw new Error("copy_: in-place write to a tensor that requires grad; wrap it in noGrad(() => ...)");
    }
    const s = E.asTensor(src, this.dtype).expand(this.shape).to(this.dtype).contiguous();
    backend().write(this.storage, backend().read(s.storage));
    return this;
  }
  fill_(value: number): this {
    backend().fill(this.storage, value);
    return this;
  }
  zero_(): this {
    return this.fill_(0);
  }

  // ---------------------------------------------------------------- conversion
  to(dtype: DType): Tensor {
    return E.cast(this, dtype);
  }
  float(): Tensor {
    return this.to("float32");
  }
  double(): Tensor {
    return this.to("float64");
  }
  int(): Tensor {
    return this.to("int32");
  }
  bool(): Tensor {
    return this.to("bool");
  }
  clone(): Tensor {
    return E.clone(this);
  }
  /** Tensors are always dense here, so this returns the tensor itself. */
  contiguous(): Tensor {
    return this;
  }
  zerosLike(): Tensor {
    return Tensor.empty(this.shape, this.dtype);
  }
  onesLike(): Tensor {
    return Tensor.empty(this.shape, this.dtype).fill_(1);
  }

  // ---------------------------------------------------------------- elementwise
  add(other: TensorLike, alpha?: number): Tensor {
    return E.add(this, alpha === undefined ? other : E.mul(other, alpha));
  }
  sub(other: TensorLike, alpha?: number): Tensor {
    return E.sub(this, alpha === undefined ? other : E.mul(other, alpha));
  }
  mul(other: TensorLike): Tensor {
    return E.mul(this, other);
  }
  div(other: TensorLike): Tensor {
    return E.div(this, other);
  }
  pow(exponent: TensorLike): Tensor {
    return E.pow(this, exponent);
  }
  maximum(other: TensorLike): Tensor {
    return E.maximum(this, other);
  }
  minimum(other: TensorLike): Tensor {
    return E.minimum(this, other);
  }
  atan2(other: TensorLike): Tensor {
    return E.atan2(this, other);
  }
  neg(): Tensor {
    return E.neg(this);
  }
  abs(): Tensor {
    return E.abs(this);
  }
  sign(): Tensor {
    return E.sign(this);
  }
  exp(): Tensor {
    return E.exp(this);
  }
  log(): Tensor {
    return E.log(this);
  }
  sqrt(): Tensor {
    return E.sqrt(this);
  }
  rsqrt(): Tensor {
    return E.rsqrt(this);
  }
  square(): Tensor {
    return E.square(this);
  }
  reciprocal(): Tensor {
    return E.reciprocal(this);
  }
  sin(): Tensor {
    return E.sin(this);
  }
  cos(): Tensor {
    return E.cos(this);
  }
  tanh(): Tensor {
    return E.tanh(this);
  }
  sigmoid(): Tensor {
    return E.sigmoid(this);
  }
  relu(): Tensor {
    return E.relu(this);
  }
  gelu(opts: { approximate?: "none" | "tanh" } = {}): Tensor {
    return E.gelu(this, opts);
  }
  silu(): Tensor {
    return E.silu(this);
  }
  softplus(): Tensor {
    return E.softplus(this);
  }
  erf(): Tensor {
    return E.erf(this);
  }
  floor(): Tensor {
    return E.floor(this);
  }
  ceil(): Tensor {
    return E.ceil(this);
  }
  round(): Tensor {
    return E.round(this);
  }
  clamp(min?: number | null, max?: number | null): Tensor {
    return E.clamp(this, min, max);
  }
  gt(other: TensorLike): Tensor {
    return E.gt(this, other);
  }
  ge(other: TensorLike): Tensor {
    return E.ge(this, other);
  }
  lt(other: TensorLike): Tensor {
    return E.lt(this, other);
  }
  le(other: TensorLike): Tensor {
    return E.le(this, other);
  }
  eq(other: TensorLike): Tensor {
    return E.eq(this, other);
  }
  ne(other: TensorLike): Tensor {
    return E.ne(this, other);
  }
  logicalNot(): Tensor {
    return E.logicalNot(this);
  }
  logicalAnd(other: TensorLike): Tensor {
    return E.logicalAnd(this, other);
  }
  logicalOr(other: TensorLike): Tensor {
    return E.logicalOr(this, other);
  }
  isnan(): Tensor {
    return E.isnan(this);
  }
  isinf(): Tensor {
    return E.isinf(this);
  }
  /** where(cond, this, other) */
  where(cond: Tensor, other: TensorLike): Tensor {
    return E.where(cond, this, other);
  }
  maskedFill(mask: Tensor, value: number): Tensor {
    return I.maskedFill(this, mask, value);
  }

  // ---------------------------------------------------------------- reductions
  sum(dim?: Dims | null, keepdim = false): Tensor {
    return R.sum(this, dim, keepdim);
  }
  mean(dim?: Dims | null, keepdim = false): Tensor {
    return R.mean(this, dim, keepdim);
  }
  /** Variance with Bessel's correction by default (correction = 1), as torch.var. */
  var(dim?: Dims | null, opts: { correction?: number; keepdim?: boolean } = {}): Tensor {
    return R.variance(this, dim, opts);
  }
  std(dim?: Dims | null, opts: { correction?: number; keepdim?: boolean } = {}): Tensor {
    return R.std(this, dim, opts);
  }
  /** Largest value over dim(s) (all when omitted); use argmax for the index. */
  max(dim?: Dims | null, keepdim = false): Tensor {
    return R.amax(this, dim, keepdim);
  }
  min(dim?: Dims | null, keepdim = false): Tensor {
    return R.amin(this, dim, keepdim);
  }
  amax(dim?: Dims | null, keepdim = false): Tensor {
    return R.amax(this, dim, keepdim);
  }
  amin(dim?: Dims | null, keepdim = false): Tensor {
    return R.amin(this, dim, keepdim);
  }
  argmax(dim?: number | null, keepdim = false): Tensor {
    return R.argmax(this, dim, keepdim);
  }
  argmin(dim?: number | null, keepdim = false): Tensor {
    return R.argmin(this, dim, keepdim);
  }
  logsumexp(dim: Dims, keepdim = false): Tensor {
    return R.logsumexp(this, dim, keepdim);
  }
  norm(p = 2, dim?: Dims | null, keepdim = false): Tensor {
    return R.norm(this, p, dim, keepdim);
  }
  cumsum(dim: number): Tensor {
    return R.cumsum(this, dim);
  }
  sort(dim = -1, descending = false): { values: Tensor; indices: Tensor } {
    return R.sort(this, dim, descending);
  }
  topk(k: number, dim = -1, largest = true, sorted = true): { values: Tensor; indices: Tensor } {
    return R.topk(this, k, dim, largest, sorted);
  }
  all(): boolean {
    return R.all(this);
  }
  any(): boolean {
    return R.any(this);
  }

  // ---------------------------------------------------------------- shape
  reshape(...shape: number[] | [readonly number[]]): Tensor {
    return S.reshape(this, S.shapeArgs(shape));
  }
  view(...shape: number[] | [readonly number[]]): Tensor {
    return S.reshape(this, S.shapeArgs(shape));
  }
  flatten(startDim = 0, endDim = -1): Tensor {
    return S.flatten(this, startDim, endDim);
  }
  permute(...dims: number[] | [readonly number[]]): Tensor {
    return S.permute(this, S.shapeArgs(dims));
  }
  transpose(dim0: number, dim1: number): Tensor {
    return S.transpose(this, dim0, dim1);
  }
  /** Transpose of the last two dims (matrix transpose, batched). */
  get mT(): Tensor {
    return S.transpose(this, -2, -1);
  }
  /** Matrix transpose of a 2-D tensor (reverses all dims otherwise, like torch's .T). */
  get T(): Tensor {
    return S.permute(this, this.shape.map((_, i) => this.ndim - 1 - i));
  }
  squeeze(dim?: Dims): Tensor {
    return S.squeeze(this, dim);
  }
  unsqueeze(dim: number): Tensor {
    return S.unsqueeze(this, dim);
  }
  expand(...shape: number[] | [readonly number[]]): Tensor {
    return S.expand(this, S.shapeArgs(shape));
  }
  expandAs(other: Tensor): Tensor {
    return S.expand(this, other.shape);
  }
  narrow(dim: number, start: number, length: number): Tensor {
    return S.narrow(this, dim, start, length);
  }
  /** Python's x[start:end:step] along one dim (negative indices count from the end). */
  slice(dim: number, start?: number | null, end?: number | null, step = 1): Tensor {
    return S.slice(this, dim, start, end, step);
  }
  /** x[i] along a dim, removing it (negative i counts from the end). */
  select(dim: number, index: number): Tensor {
    return S.select(this, dim, index);
  }
  flip(dims: Dims): Tensor {
    return S.flip(this, dims);
  }
  split(splitSizeOrSections: number | readonly number[], dim = 0): Tensor[] {
    return S.split(this, splitSizeOrSections, dim);
  }
  chunk(chunks: number, dim = 0): Tensor[] {
    return S.chunk(this, chunks, dim);
  }
  repeat(...sizes: number[] | [readonly number[]]): Tensor {
    return S.repeat(this, S.shapeArgs(sizes));
  }
  tril(diagonal = 0): Tensor {
    return S.tril(this, diagonal);
  }
  triu(diagonal = 0): Tensor {
    return S.triu(this, diagonal);
  }

  // ---------------------------------------------------------------- indexing
  indexSelect(dim: number, index: Tensor): Tensor {
    return I.indexSelect(this, dim, index);
  }
  gather(dim: number, index: Tensor): Tensor {
    return I.gather(this, dim, index);
  }
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor {
    return I.scatterAdd(this, dim, index, src);
  }

  // ---------------------------------------------------------------- linear algebra and nn
  matmul(other: Tensor): Tensor {
    return L.matmul(this, other);
  }
  softmax(dim: number): Tensor {
    return F.softmax(this, dim);
  }
  logSoftmax(dim: number): Tensor {
    return F.logSoftmax(this, dim);
  }
}

/**
 * The numbers of a dense row-major `shape` as nested arrays: the innermost rows first, then
 * grouped dim by dim outwards. Plain loops that push numbers make packed arrays of doubles; a
 * recursive walk calling a converter per element ran about 4× slower.
 */
function nest(flat: TypedArray, shape: readonly number[], bool: boolean): NestedArray {
  const nd = shape.length;
  if (nd === 0) return bool ? flat[0] !== 0 : flat[0];
  const last = shape[nd - 1];
  let rows = 1;
  for (let d = 0; d < nd - 1; d++) rows *= shape[d];
  let level: NestedArray[] = [];
  for (let r = 0, off = 0; r < rows; r++, off += last) {
    const row: NestedArray[] = [];
    if (bool) for (let i = 0; i < last; i++) row.push(flat[off + i] !== 0);
    else for (let i = 0; i < last; i++) row.push(flat[off + i]);
    level.push(row);
  }
  for (let d = nd - 2; d >= 0; d--) {
    let groups = 1; // the product of the dims outside d
    for (let e = 0; e < d; e++) groups *= shape[e];
    const size = shape[d];
    const next: NestedArray[] = [];
    for (let g = 0, i = 0; g < groups; g++) {
      const group: NestedArray[] = [];
      for (let j = 0; j < size; j++) group.push(level[i++]);
      next.push(group);
    }
    level = next;
  }
  return level[0];
}

function formatTensor(t: Tensor): string {
  const flat = backend().read(t.storage);
  const fmtNum = (v: number): string => {
    if (t.dtype === "bool") return v ? "true" : "false";
    if (t.dtype === "int32") return String(v);
    if (!Number.isFinite(v)) return String(v);
    return Math.abs(v) >= 1e5 || (v !== 0 && Math.abs(v) < 1e-4) ? v.toExponential(4) : v.toFixed(4);
  };
  const limit = 6; // show the first and last 3 entries of long dims, like PyTorch's summarisation
  const strides = contiguousStrides(t.shape);
  const build = (d: number, off: number, indent: string): string => {
    if (t.ndim === 0) return fmtNum(flat[0]);
    const n = t.shape[d];
    const idx = n > limit ? [0, 1, 2, -1, n - 3, n - 2, n - 1] : Array.from({ length: n }, (_, i) => i);
    const parts = idx.map((i) => (i < 0 ? "..." : d === t.ndim - 1 ? fmtNum(flat[off + i]) : build(d + 1, off + i * strides[d], indent + " ")));
    return d === t.ndim - 1 ? `[${parts.join(", ")}]` : `[${parts.join(`,\n${indent} `)}]`;
  };
  const extra: string[] = [];
  if (t.dtype !== "float32") extra.push(`dtype=${t.dtype}`);
  if (t.gradFn) extra.push(`gradFn=${t.gradFn.op}`);
  else if (t.requiresGrad) extra.push("requiresGrad=true");
  return `tensor(${build(0, 0, "       ")}${extra.length ? ", " + extra.join(", ") : ""})`;
}

export { makeTypedArray };
