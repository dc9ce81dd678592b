// The Tensor: a shape, a dtype, a backend Storage holding its numbers (always dense, row-major),
// and, for autodiff, `requiresGrad`, `grad` and the GradNode that produced it.
//
// The methods here are thin: each forwards to the op of the same name in ./ops/, where the
// forward and backward of every op sit side by side. Names and argument orders are PyTorch's in
// camelCase, so `x.matmul(w).add(b).relu()` reads as it would in Python. Keyword arguments are
// a trailing options object, `x.sum(1, { keepdim: true })` (see ./args.ts).
import { backend } from "../backend/index.js";
import type { DType, Storage, TypedArray } from "../backend/types.js";
import { oneArg } from "./args.js";
import { type GradNode, runBackward } from "./autograd.js";
import { isFloat, makeTypedArray } from "./dtype.js";
import * as E from "./ops/elementwise.js";
import * as IP from "./ops/inplace.js";
import * as I from "./ops/indexing.js";
import * as L from "./ops/linalg.js";
import * as F from "./ops/nn.js";
import * as R from "./ops/reduce.js";
import * as RS from "./ops/sampling.js";
import * as SC from "./ops/scan.js";
import * as S from "./ops/shape.js";
import { copyOut } from "./readback.js";
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
  /**
   * A copy of the numbers as a flat typed array (Float32Array, Float64Array, Int32Array or
   * Uint8Array), yours to keep and change. Small copies share an underlying pool (like Node's
   * Buffers): use the array, or `.slice()` it before transferring its `.buffer` to a worker.
   */
  dataSync(): TypedArray {
    return copyOut(backend().read(this.storage));
  }
  /** Same as dataSync(): a flat copy. */
  get data(): TypedArray {
    return this.dataSync();
  }
  /** The numbers as nested JS arrays (booleans for bool tensors); a number for a 0-d tensor. */
  tolist(): NestedArray {
    return this.toArray();
  }
  /** Same as tolist(). */
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

  // ---------------------------------------------------------------- in place (see ops/inplace.ts)
  // On a leaf that requires grad only inside noGrad(); elsewhere recorded by autograd like their
  // out-of-place twins, with version checks so a changed saved tensor errors instead of misleading.
  /** Copies src's numbers (broadcast to this shape, cast to this dtype) into this tensor. */
  copy_(src: TensorLike): this {
    IP.copy_(this, src);
    return this;
  }
  fill_(value: number | boolean | Tensor): this {
    IP.fill_(this, value);
    return this;
  }
  zero_(): this {
    return this.fill_(0);
  }
  add_(other: TensorLike, alpha?: number | { alpha?: number }): this {
    IP.inplace(this, "add_", (p) => p.add(other, alpha), [other]);
    return this;
  }
  sub_(other: TensorLike, alpha?: number | { alpha?: number }): this {
    IP.inplace(this, "sub_", (p) => p.sub(other, alpha), [other]);
    return this;
  }
  mul_(other: TensorLike): this {
    IP.inplace(this, "mul_", (p) => E.mul(p, other), [other]);
    return this;
  }
  div_(other: TensorLike): this {
    IP.inplace(this, "div_", (p) => E.div(p, other), [other]);
    return this;
  }
  maskedFill_(mask: Tensor, value: number | Tensor): this {
    IP.inplace(this, "maskedFill_", (p) => I.maskedFill(p, mask, value), [value]);
    return this;
  }
  clamp_(min?: number | Tensor | null | E.ClampOptions, max?: number | Tensor | null | E.ClampOptions): this {
    IP.inplace(this, "clamp_", (p) => E.clamp(p, min, max), [min, max]);
    return this;
  }
  clip_(min?: number | Tensor | null | E.ClampOptions, max?: number | Tensor | null | E.ClampOptions): this {
    return this.clamp_(min, max);
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
  /** this + alpha·other */
  add(other: TensorLike, alpha?: number | { alpha?: number }): Tensor {
    const a = alphaArg("add", alpha);
    return E.add(this, a === undefined ? other : E.mul(other, a));
  }
  /** this − alpha·other */
  sub(other: TensorLike, alpha?: number | { alpha?: number }): Tensor {
    const a = alphaArg("sub", alpha);
    return E.sub(this, a === undefined ? other : E.mul(other, a));
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
  log1p(): Tensor {
    return E.log1p(this);
  }
  expm1(): Tensor {
    return E.expm1(this);
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
  clamp(min?: number | Tensor | null | E.ClampOptions, max?: number | Tensor | null | E.ClampOptions): Tensor {
    return E.clamp(this, min, max);
  }
  clip(min?: number | Tensor | null | E.ClampOptions, max?: number | Tensor | null | E.ClampOptions): Tensor {
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
  isclose(other: TensorLike, rtol?: number | E.IscloseOptions, atol?: number | E.IscloseOptions, equalNan?: boolean | E.IscloseOptions): Tensor {
    return E.isclose(this, other, rtol, atol, equalNan);
  }
  allclose(other: TensorLike, rtol?: number | E.IscloseOptions, atol?: number | E.IscloseOptions, equalNan?: boolean | E.IscloseOptions): boolean {
    return E.allclose(this, other, rtol, atol, equalNan);
  }
  /** where(cond, this, other) */
  where(cond: Tensor, other: TensorLike): Tensor {
    return E.where(cond, this, other);
  }
  maskedFill(mask: Tensor, value: number | Tensor): Tensor {
    return I.maskedFill(this, mask, value);
  }

  // ---------------------------------------------------------------- reductions
  // (dim, keepdim) positionally or as { dim, keepdim }; sum/mean/prod also take { dtype }.
  sum(dim?: Dims | null | R.SumOptions, keepdim?: boolean | R.SumOptions, opts?: R.SumOptions): Tensor {
    return R.sum(this, dim, keepdim, opts);
  }
  mean(dim?: Dims | null | R.SumOptions, keepdim?: boolean | R.SumOptions, opts?: R.SumOptions): Tensor {
    return R.mean(this, dim, keepdim, opts);
  }
  /** Product over one dim (all when omitted). */
  prod(dim?: number | null | R.ProdOptions, keepdim?: boolean | R.ProdOptions, opts?: R.ProdOptions): Tensor {
    return R.prod(this, dim, keepdim, opts);
  }
  /**
   * Variance with Bessel's correction by default, as torch.var: var(dim, { correction, keepdim }),
   * or the legacy var(dim, unbiased, keepdim).
   */
  var(dim?: Dims | null | boolean | R.VarOptions, unbiased?: boolean | R.VarOptions, keepdim?: boolean | R.VarOptions, opts?: R.VarOptions): Tensor {
    return R.variance(this, dim, unbiased, keepdim, opts);
  }
  std(dim?: Dims | null | boolean | R.VarOptions, unbiased?: boolean | R.VarOptions, keepdim?: boolean | R.VarOptions, opts?: R.VarOptions): Tensor {
    return R.std(this, dim, unbiased, keepdim, opts);
  }
  /**
   * As torch.max: max() is the largest value; max(dim) gives { values, indices } (also
   * `const [values, indices] = x.max(dim)`); max(other) is the elementwise maximum.
   * amax reduces several dims at once.
   */
  max(): Tensor;
  max(other: Tensor): Tensor;
  max(dim: number | R.DimOptions, keepdim?: boolean | R.KeepdimOptions): SC.ValuesIndices;
  max(dimOrOther?: number | Tensor | R.DimOptions, keepdim?: boolean | R.KeepdimOptions): Tensor | SC.ValuesIndices {
    return maxMin(R.max, this, dimOrOther, keepdim);
  }
  /** As torch.min: min(), min(dim) → { values, indices }, min(other) elementwise. */
  min(): Tensor;
  min(other: Tensor): Tensor;
  min(dim: number | R.DimOptions, keepdim?: boolean | R.KeepdimOptions): SC.ValuesIndices;
  min(dimOrOther?: number | Tensor | R.DimOptions, keepdim?: boolean | R.KeepdimOptions): Tensor | SC.ValuesIndices {
    return maxMin(R.min, this, dimOrOther, keepdim);
  }
  amax(dim?: Dims | null | R.ReduceOptions, keepdim?: boolean | R.ReduceOptions): Tensor {
    return R.amax(this, dim, keepdim);
  }
  amin(dim?: Dims | null | R.ReduceOptions, keepdim?: boolean | R.ReduceOptions): Tensor {
    return R.amin(this, dim, keepdim);
  }
  argmax(dim?: number | null | R.DimOptions, keepdim?: boolean | R.KeepdimOptions): Tensor {
    return R.argmax(this, dim, keepdim);
  }
  argmin(dim?: number | null | R.DimOptions, keepdim?: boolean | R.KeepdimOptions): Tensor {
    return R.argmin(this, dim, keepdim);
  }
  logsumexp(dim: Dims | R.ReduceOptions, keepdim?: boolean | R.KeepdimOptions): Tensor {
    return R.logsumexp(this, dim, keepdim);
  }
  /** Vector p-norm over dims (all when omitted); p = 2 ("fro") by default, ±Infinity, 0 and any other real too. */
  norm(p?: R.NormOrd | (R.NormOptions & { p?: R.NormOrd }), dim?: Dims | null | R.NormOptions, keepdim?: boolean | R.NormOptions, opts?: R.NormOptions): Tensor {
    return R.norm(this, p, dim, keepdim, opts);
  }
  cumsum(dim: number | SC.ScanOptions, opts?: SC.ScanOptions): Tensor {
    return SC.cumsum(this, dim, opts);
  }
  cumprod(dim: number | SC.ScanOptions, opts?: SC.ScanOptions): Tensor {
    return SC.cumprod(this, dim, opts);
  }
  /** { values, indices } sorted along dim (default the last); stable. */
  sort(dim?: number | SC.SortOptions, descending?: boolean | SC.SortOptions, opts?: SC.SortOptions): SC.ValuesIndices {
    return SC.sort(this, dim, descending, opts);
  }
  argsort(dim?: number | SC.SortOptions, descending?: boolean | SC.SortOptions, opts?: SC.SortOptions): Tensor {
    return SC.argsort(this, dim, descending, opts);
  }
  topk(k: number, dim?: number | SC.TopkOptions, largest?: boolean | SC.TopkOptions, sorted?: boolean | SC.TopkOptions, opts?: SC.TopkOptions): SC.ValuesIndices {
    return SC.topk(this, k, dim, largest, sorted, opts);
  }
  /** Whether every element is nonzero: a JS boolean (PyTorch returns a 0-d bool tensor). */
  all(): boolean {
    return R.all(this);
  }
  any(): boolean {
    return R.any(this);
  }
  /** Indices of the nonzero entries, (n, ndim) int32, or one 1-D tensor per dim with { asTuple: true }. */
  nonzero(opts?: { asTuple?: false }): Tensor;
  nonzero(opts: { asTuple: true }): Tensor[];
  nonzero(opts: { asTuple?: boolean } = {}): Tensor | Tensor[] {
    return opts.asTuple ? I.nonzero(this, { asTuple: true }) : I.nonzero(this, { asTuple: false });
  }
  /** Category indices drawn from this tensor's weights (1-D, or one distribution per row). */
  multinomial(numSamples: number, replacement?: boolean | RS.MultinomialOptions, opts?: RS.MultinomialOptions): Tensor {
    return RS.multinomial(this, numSamples, replacement, opts);
  }

  // ---------------------------------------------------------------- shape
  reshape(...shape: number[] | [readonly number[]]): Tensor {
    return S.reshape(this, S.shapeArgs(shape));
  }
  view(...shape: number[] | [readonly number[]]): Tensor {
    return S.reshape(this, S.shapeArgs(shape));
  }
  flatten(startDim?: number | S.FlattenOptions, endDim?: number | S.FlattenOptions): Tensor {
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
  squeeze(dim?: Dims | { dim?: Dims }): Tensor {
    return S.squeeze(this, dim);
  }
  unsqueeze(dim: number | { dim: number }): Tensor {
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
  /** Reverses the order along dims: flip(0), flip(0, 1) or flip([0, 1]). */
  flip(...dims: number[] | [readonly number[]]): Tensor {
    return S.flip(this, S.shapeArgs(dims));
  }
  /** Rotates entries along dims (as if flattened when dims is omitted). */
  roll(shifts: number | readonly number[], dims?: number | readonly number[] | null | { dims?: number | readonly number[] | null }): Tensor {
    return S.roll(this, shifts, dims);
  }
  split(splitSizeOrSections: number | readonly number[], dim: number | { dim?: number } = 0): Tensor[] {
    return S.split(this, splitSizeOrSections, dim);
  }
  chunk(chunks: number, dim: number | { dim?: number } = 0): Tensor[] {
    return S.chunk(this, chunks, dim);
  }
  repeat(...sizes: number[] | [readonly number[]]): Tensor {
    return S.repeat(this, S.shapeArgs(sizes));
  }
  /** Repeats each entry `repeats` times along dim: [a, b] → [a, a, b, b] (flattened when dim is omitted). */
  repeatInterleave(repeats: number | Tensor, dim?: number | null | I.RepeatInterleaveOptions, opts?: I.RepeatInterleaveOptions): Tensor {
    return I.repeatInterleave(this, repeats, dim, opts);
  }
  /** The slices along dim, as a list. */
  unbind(dim: number | { dim?: number } = 0): Tensor[] {
    return S.unbind(this, dim);
  }
  /** 1-D → square matrix with this on a diagonal; 2-D → that diagonal. */
  diag(diagonal: number | { diagonal?: number } = 0): Tensor {
    return S.diag(this, diagonal);
  }
  /** Transpose of a matrix (at most 2 dims). */
  t(): Tensor {
    return S.t(this);
  }
  tril(diagonal: number | { diagonal?: number } = 0): Tensor {
    return S.tril(this, diagonal);
  }
  triu(diagonal: number | { diagonal?: number } = 0): Tensor {
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
  /** Matrix product of two 2-D tensors (no broadcasting). */
  mm(other: Tensor): Tensor {
    return L.mm(this, other);
  }
  /** Batched matrix product of two 3-D tensors (no broadcasting). */
  bmm(other: Tensor): Tensor {
    return L.bmm(this, other);
  }
  outer(other: Tensor): Tensor {
    return L.outer(this, other);
  }
  kron(other: Tensor): Tensor {
    return L.kron(this, other);
  }
  softmax(dim: number | { dim: number }): Tensor {
    return F.softmax(this, dimOf("softmax", dim));
  }
  logSoftmax(dim: number | { dim: number }): Tensor {
    return F.logSoftmax(this, dimOf("logSoftmax", dim));
  }
}

/** A required dim, positionally or as { dim }. */
function dimOf(op: string, dim: number | { dim: number }): number {
  const d = oneArg<number>(op, "dim", dim);
  if (typeof d !== "number") throw new Error(`${op}: dim is required and must be an integer, got ${JSON.stringify(d)}`);
  return d;
}

/** add/sub's alpha, positionally or as { alpha }. */
function alphaArg(op: string, alpha: number | { alpha?: number } | undefined): number | undefined {
  const a = typeof alpha === "object" && alpha !== null ? alpha.alpha : alpha;
  if (a !== undefined && typeof a !== "number") throw new Error(`${op}: alpha must be a number, got ${JSON.stringify(a)}`);
  return a;
}

function maxMin(f: typeof R.max, x: Tensor, dimOrOther: number | Tensor | R.DimOptions | undefined, keepdim: boolean | R.KeepdimOptions | undefined): Tensor | SC.ValuesIndices {
  if (dimOrOther === undefined && keepdim === undefined) return f(x);
  if (dimOrOther instanceof Tensor) return f(x, dimOrOther);
  return f(x, dimOrOther as number | R.DimOptions, keepdim);
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
