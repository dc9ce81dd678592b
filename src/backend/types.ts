// The kernel interface. Everything above this layer (tensors, nn, models) reaches numbers only
// through a Backend, so a faster backend (WebAssembly SIMD, WebGPU) drops in without touching
// tensor or model code. A Storage is an opaque handle: the reference backend keeps a typed array
// in it, a WebAssembly backend keeps an offset into its linear memory.
//
// Conventions for every kernel:
// - all buffers are dense and row-major; shapes and strides are in elements;
// - "strides" for broadcasting give 0 on a broadcast dimension;
// - outputs are written, never resized; the caller allocates them with `alloc`.

export type DType = "float32" | "float64" | "int32" | "bool";
export type FloatDType = "float32" | "float64";
export type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array;

export interface Storage {
  readonly dtype: DType;
  readonly length: number;
}

/**
 * A storage whose numbers JavaScript can see as a typed array (plain arrays, or a view into
 * WebAssembly memory). The reference kernels run on any of these, so a fast backend only needs
 * to override the kernels it speeds up.
 */
export interface HostStorage extends Storage {
  readonly data: TypedArray;
}

export type UnaryOp =
  | "neg" | "abs" | "sign" | "exp" | "log" | "sqrt" | "rsqrt" | "sin" | "cos" | "tanh"
  | "sigmoid" | "relu" | "gelu_tanh" | "gelu_erf" | "silu" | "softplus" | "reciprocal"
  | "square" | "erf" | "floor" | "ceil" | "round" | "logical_not" | "isnan" | "isinf"
  // derivatives, so a backward pass is one kernel and a multiply: d/dx gelu(x) in both forms
  | "gelu_erf_grad" | "gelu_tanh_grad";

export type BinaryOp =
  | "add" | "sub" | "mul" | "div" | "pow" | "maximum" | "minimum" | "atan2"
  | "gt" | "ge" | "lt" | "le" | "eq" | "ne" | "logical_and" | "logical_or";

export type ReduceOp = "sum" | "prod" | "max" | "min" | "argmax" | "argmin";

/** Batched matrix product: for each batch index, out = op(A)·op(B), op = transpose or not. */
export interface MatmulSpec {
  /** Broadcast batch shape of the output (may be empty). */
  batchShape: readonly number[];
  /** Element strides of A's and B's batch dims over batchShape (0 where broadcast). */
  aBatchStrides: readonly number[];
  bBatchStrides: readonly number[];
  m: number;
  k: number;
  n: number;
  /** A is stored as (k, m) instead of (m, k). */
  transA: boolean;
  /** B is stored as (n, k) instead of (k, n). */
  transB: boolean;
}

/** (outer, dim, inner) view of a tensor around one axis: most axis-wise kernels use it. */
export interface AxisSpec {
  outer: number;
  dim: number;
  inner: number;
}

export interface Conv2dSpec {
  batch: number;
  channels: number;
  height: number;
  width: number;
  kernelH: number;
  kernelW: number;
  strideH: number;
  strideW: number;
  padH: number;
  padW: number;
  dilationH: number;
  dilationW: number;
  outH: number;
  outW: number;
}

/** Rows × d for row-wise kernels (LayerNorm over the last dim). */
export interface RowSpec {
  rows: number;
  d: number;
  /** layerNorm kernels: RMSNorm instead (no centring: μ = 0 is written, and no mean(g) term). */
  rms?: boolean;
}

/**
 * Scaled dot-product attention for `batch` independent (query, key) sets (batch = B·n_heads):
 * q is (batch, tq, dHead), k and v are (batch, tk, dHead), out is (batch, tq, dHead).
 * With `causal`, query i sees keys j ≤ i + (tk − tq) (the last tq positions of a tk-long context).
 */
export interface AttentionSpec {
  batch: number;
  tq: number;
  tk: number;
  dHead: number;
  scale: number;
  causal: boolean;
  /**
   * Memory layout of q, k, v and out: "bhtd" (default) is (batch, t, dHead) per batch entry;
   * "bthd" is (B, t, heads, dHead) with batch = B·heads, the layout projections produce, so no
   * permutes are needed around the kernel. lse is (batch, tq) either way.
   */
  layout?: "bhtd" | "bthd";
  heads?: number;
}

/** One parameter tensor's part in an AdamW step: p, m and v are updated in place from g. */
export interface AdamWTensors {
  p: Storage;
  g: Storage;
  m: Storage;
  v: Storage;
}

/** Where attention also writes its scores and pattern (either may be null). */
export interface AttentionProbe {
  scores: Storage | null;
  pattern: Storage | null;
}

/** Cross-entropy over rows of logits: `rows` × `classes`, targets int32 (one per row). */
export interface CrossEntropySpec {
  rows: number;
  classes: number;
  /** Rows whose target equals this give loss 0 and gradient 0. */
  ignoreIndex: number;
  /** ε: the target is (1 − ε)·one-hot + ε/classes. */
  labelSmoothing: number;
}

export interface AdamWSpec {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** Step count after this update (1 for the first), for bias correction. */
  step: number;
  /** true: AdamW (decoupled decay); false: Adam with L2 added to the gradient. */
  decoupled: boolean;
}

export interface Backend {
  readonly name: string;

  // ---- memory ----
  /**
   * A new storage filled with zeros (kernels that accumulate, like stridedAdd, rely on it). With
   * `zero` false the contents may be anything: for outputs a kernel writes in full, so a training
   * step does not spend its time clearing memory it is about to overwrite.
   */
  alloc(dtype: DType, length: number, zero?: boolean): Storage;
  fromArray(data: TypedArray): Storage;
  /** A view of the storage's numbers; valid until the next allocation. Copy it to keep it. */
  read(s: Storage): TypedArray;
  /** Copy `data` into the storage at element `offset`. */
  write(s: Storage, data: TypedArray | readonly number[], offset?: number): void;
  /** Release the memory now (a no-op where the garbage collector owns it). */
  dispose(s: Storage): void;

  // ---- elementwise ----
  fill(out: Storage, value: number): void;
  /** out = x converted to out's dtype (float→int truncates toward zero, like PyTorch). */
  cast(x: Storage, out: Storage): void;
  /** out = op(x); out is bool for logical_not, isnan and isinf (x keeps its own dtype for the last two). */
  unary(op: UnaryOp, x: Storage, out: Storage): void;
  binary(op: BinaryOp, a: Storage, aStrides: readonly number[], b: Storage, bStrides: readonly number[], out: Storage, outShape: readonly number[]): void;
  /** out = cond ? a : b, each input broadcast by its strides. */
  where(cond: Storage, cStrides: readonly number[], a: Storage, aStrides: readonly number[], b: Storage, bStrides: readonly number[], out: Storage, outShape: readonly number[]): void;
  /** out[i] = x[offset + Σ idx_d·strides_d]: permute, slice, expand and flip are all this. */
  strided(x: Storage, offset: number, strides: readonly number[], out: Storage, outShape: readonly number[]): void;
  /** The inverse scatter of `strided`: x[offset + Σ idx_d·strides_d] += src[i] (x accumulates). */
  stridedAdd(src: Storage, srcShape: readonly number[], x: Storage, offset: number, strides: readonly number[]): void;

  // ---- reductions ----
  /** Reduce x (shape) over the dims where `reduced[d]`; out has the keepdim shape. argmax/argmin write int32. */
  reduce(op: ReduceOp, x: Storage, shape: readonly number[], reduced: readonly boolean[], out: Storage): void;
  cumsum(x: Storage, out: Storage, spec: AxisSpec): void;
  /** Stable sort along the axis; values and int32 indices out. */
  sort(x: Storage, values: Storage, indices: Storage, spec: AxisSpec, descending: boolean): void;
  /**
   * The first k of what sort would give (largest: descending), without sorting the rest; values
   * and indices have the axis of length k. spec describes x.
   */
  topk(x: Storage, values: Storage, indices: Storage, spec: AxisSpec, k: number, largest: boolean): void;

  // ---- linear algebra ----
  matmul(a: Storage, b: Storage, out: Storage, spec: MatmulSpec): void;

  // ---- neural-network kernels ----
  /** Softmax (or log-softmax) along the axis. */
  softmax(x: Storage, out: Storage, spec: AxisSpec, log: boolean): void;
  /** Given y = softmax(x) (or log-softmax) and dy, write dx. */
  softmaxBackward(y: Storage, dy: Storage, dx: Storage, spec: AxisSpec, log: boolean): void;
  /**
   * Fused softmax + cross-entropy per row: loss[r] = lse_r − Σ_c target_rc·x_rc (smoothed target),
   * and lse[r] = log Σ_c e^x_rc for the backward. Targets must be in range (the caller checks).
   */
  crossEntropy(logits: Storage, target: Storage, loss: Storage, lse: Storage, spec: CrossEntropySpec): void;
  /** dx[r, c] = g[r]·(softmax(x_r)_c − target_rc), from the forward's lse; ignored rows get 0. */
  crossEntropyBackward(logits: Storage, target: Storage, lse: Storage, g: Storage, dx: Storage, spec: CrossEntropySpec): void;
  /** out[o, j, i] = x[o, index[j], i]; out's axis has length index.length. */
  indexSelect(x: Storage, index: Storage, out: Storage, spec: AxisSpec): void;
  /** dx[o, index[j], i] += dout[o, j, i] (dx accumulates); spec describes dx. */
  indexAdd(dout: Storage, index: Storage, dx: Storage, spec: AxisSpec): void;
  /** PyTorch gather: out[.., j, ..] = x[.., index[.., j, ..], ..] along `dim`. */
  gather(x: Storage, xShape: readonly number[], index: Storage, indexShape: readonly number[], dim: number, out: Storage): void;
  /** PyTorch scatter_add_: target[.., index[.., j, ..], ..] += src[.., j, ..] along `dim`. */
  scatterAdd(target: Storage, targetShape: readonly number[], index: Storage, indexShape: readonly number[], src: Storage, dim: number): void;
  /** im2col: x (B, C, H, W) → cols (B, C·kH·kW, outH·outW), zero padding. */
  unfold2d(x: Storage, cols: Storage, spec: Conv2dSpec): void;
  /** col2im, the adjoint of unfold2d: dx (zeroed by the caller) += fold(dcols). */
  fold2d(dcols: Storage, dx: Storage, spec: Conv2dSpec): void;
  /**
   * LayerNorm over the last dim: out = (x − μ)/σ ⊙ w + b, σ = √(var + eps); writes each row's
   * μ and 1/σ (float32 or float64 like x) for the backward. w and b may be null.
   */
  layerNorm(x: Storage, w: Storage | null, b: Storage | null, out: Storage, mean: Storage, rstd: Storage, spec: RowSpec, eps: number): void;
  /** LayerNorm backward: writes dx; adds Σ_rows dy ⊙ x̂ into dw and Σ_rows dy into db when given. */
  layerNormBackward(dy: Storage, x: Storage, mean: Storage, rstd: Storage, w: Storage | null, dx: Storage, dw: Storage | null, db: Storage | null, spec: RowSpec): void;
  /**
   * Fused attention: out = softmax(q kᵀ · scale, causal mask) v, never storing the tq × tk
   * pattern; writes each query row's log-sum-exp of the scaled scores (batch × tq) for backward.
   * With `probe`, also writes the scaled scores (−∞ where masked) and the pattern, each
   * (batch, tq, tk): what interpretability hooks read, at the cost of two stores per score.
   */
  attention(q: Storage, k: Storage, v: Storage, out: Storage, lse: Storage, spec: AttentionSpec, probe?: AttentionProbe): void;
  /** Attention backward from dout (and the forward's out, lse): writes dq, dk, dv. */
  attentionBackward(q: Storage, k: Storage, v: Storage, out: Storage, lse: Storage, dout: Storage, dq: Storage, dk: Storage, dv: Storage, spec: AttentionSpec): void;
  /** One Adam/AdamW step in place on every tensor of the list (one pass over all of them, as one job). */
  adamw(tensors: readonly AdamWTensors[], spec: AdamWSpec): void;
}
