// Elementwise kernels on WebAssembly (see assembly/elementwise.ts and assembly/mathf.ts): unary
// maps, broadcasting binary ops and where, the strided gather behind permute/slice/expand and its
// scatter-add, fill and cast. Anything these do not cover (other dtypes, storages of another heap)
// goes to the reference kernels.
//
// Broadcasting and strided ops first merge dimensions (drop size-1 dims, fuse dims that are
// contiguous for every operand), so a bias add becomes rows × d with the bias's stride 0 on rows,
// and a contiguous op becomes one flat run. The merged shape and strides go into a descriptor in
// wasm memory that every part of a job reads; each part walks its own range of the output.
import { jsBackend } from "../../js/index.js";
import type { Backend, BinaryOp, DType, HostStorage, Storage, TypedArray, UnaryOp } from "../../types.js";
import { type KernelFn, WasmContext } from "../context.js";

/** Op codes of assembly/elementwise.ts (keyed by name so newer ops fall back until they have one). */
const UNARY_F32: Record<string, number> = {
  neg: 0, abs: 1, sign: 2, exp: 3, log: 4, sqrt: 5, rsqrt: 6, sin: 7, cos: 8, tanh: 9, sigmoid: 10, relu: 11,
  gelu_tanh: 12, gelu_erf: 13, silu: 14, softplus: 15, reciprocal: 16, square: 17, erf: 18, floor: 19, ceil: 20,
  round: 21, gelu_erf_grad: 22, gelu_tanh_grad: 23,
};
const UNARY_MASK: Record<string, number> = { logical_not: 0, isnan: 1, isinf: 2 };
const BINARY_F32: Record<string, number> = { add: 0, sub: 1, mul: 2, div: 3, pow: 4, maximum: 5, minimum: 6, atan2: 7 };
const COMPARE: Record<string, number> = { gt: 0, ge: 1, lt: 2, le: 3, eq: 4, ne: 5, logical_and: 6, logical_or: 7 };

/**
 * Cost of one element relative to a memory-bound one (≈ 0.15 ns on one core), measured with
 * bench/elementwise.ts; it decides when threads pay.
 */
const UNARY_COST: Record<string, number> = {
  exp: 6, log: 10, sin: 10, cos: 10, tanh: 12, sigmoid: 10, silu: 10, softplus: 14, erf: 16,
  gelu_tanh: 15, gelu_erf: 20, gelu_erf_grad: 20, gelu_tanh_grad: 20, rsqrt: 3, sqrt: 2,
};
const BINARY_COST: Record<string, number> = { pow: 100, atan2: 100, div: 2 };

/**
 * Work units per thread below which splitting a job does not pay: waking the workers costs a few
 * microseconds when they are spinning, tens when they sleep, and 2^16 units are ≈ 10 µs of work.
 */
export const MIN_WORK_PER_THREAD = 1 << 16;
/** Dimensions a descriptor holds after merging (more than this: the reference kernel). */
export const MAX_DIMS = 64;

const ITEM_BYTES: Record<DType, number> = { float32: 4, float64: 8, int32: 4, bool: 1 };

export interface Walk {
  shape: number[];
  /** Per operand, strides over `shape` (in elements). */
  strides: number[][];
}

/**
 * Merges the dims of a dense output walk: drops size-1 dims and fuses a dim into the next inner
 * one when every operand steps contiguously across both. Never returns an empty shape.
 */
export function coalesce(shape: readonly number[], strides: readonly (readonly number[])[]): Walk {
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    const s = shape[d];
    if (s === 1) continue;
    const last = outShape.length - 1;
    if (last >= 0 && strides.every((st, k) => outStrides[k][last] === st[d] * s)) {
      outShape[last] *= s;
      for (let k = 0; k < strides.length; k++) outStrides[k][last] = strides[k][d];
    } else {
      outShape.push(s);
      for (let k = 0; k < strides.length; k++) outStrides[k].push(strides[k][d]);
    }
  }
  if (outShape.length === 0) {
    outShape.push(1);
    for (const o of outStrides) o.push(0);
  }
  return { shape: outShape, strides: outStrides };
}

/** True when no two positions of the walk reach the same element (so parts write disjoint elements). */
export function injective(w: Walk): boolean {
  const dims = w.shape.map((s, d) => [s, Math.abs(w.strides[0][d])]).sort((p, q) => p[1] - q[1]);
  let reach = 0; // largest offset reachable with the dims so far
  for (const [s, st] of dims) {
    if (st <= reach) return false;
    reach += st * (s - 1);
  }
  return true;
}

/**
 * Runs the walking kernels: writes a walk's descriptor into a scratch block, splits the output
 * into parts and calls the kernel on each.
 */
export class Walker {
  private view: Int32Array;
  /** ewCopy: memmove within the heap. */
  readonly copy: KernelFn;

  constructor(readonly ctx: WasmContext) {
    this.view = new Int32Array(ctx.heap.memory.buffer);
    this.copy = ctx.kernel("ewCopy");
  }

  /** The heap as int32s, remade when the memory grows (an old view does not see new pages). */
  private heap32(): Int32Array {
    const buffer = this.ctx.heap.memory.buffer;
    if (this.view.byteLength !== buffer.byteLength) this.view = new Int32Array(buffer);
    return this.view;
  }

  /** Runs fn with a scratch block holding w's descriptor, then one odometer per part: fn(desc, odometer(t)). */
  withDesc(w: Walk, parts: number, fn: (desc: number, idx: (t: number) => number) => void): void {
    const nd = w.shape.length;
    const descBytes = 4 * (1 + (w.strides.length + 1) * nd);
    this.ctx.withScratch(descBytes + 4 * nd * parts, (desc) => {
      const m = this.heap32();
      const at = desc >>> 2; // unsigned: the heap may pass 2 GiB
      m[at] = nd;
      m.set(w.shape, at + 1);
      for (let k = 0; k < w.strides.length; k++) m.set(w.strides[k], at + 1 + (k + 1) * nd);
      fn(desc, (t) => desc + descBytes + 4 * nd * t);
    });
  }

  /** Splits n outputs into parts (aligned to 16) worth `cost` each. */
  split(n: number, cost: number): [number, number][] {
    const parts = this.ctx.partsFor(n * cost, MIN_WORK_PER_THREAD);
    return parts === 1 ? [[0, n]] : WasmContext.ranges(n, parts, 16);
  }

  /** Runs a walking kernel over w: args, then desc, start, end, odometer. */
  runWalk(name: string, w: Walk, n: number, cost: number, args: number[], ranges = this.split(n, cost)): void {
    this.withDesc(w, ranges.length, (desc, idx) => {
      if (ranges.length === 1) this.ctx.kernel(name)(...args, desc, 0, n, idx(0));
      else this.ctx.run(name, ranges.map(([lo, hi], t) => [...args, desc, lo, hi, idx(t)]));
    });
  }

  /** Runs a flat kernel over [0, n): args(lo, hi) per part. */
  runFlat(name: string, n: number, cost: number, args: (lo: number, hi: number) => number[]): void {
    if (this.ctx.partsFor(n * cost, MIN_WORK_PER_THREAD) === 1) return void this.ctx.kernel(name)(...args(0, n)); // (most calls)
    this.ctx.run(name, this.split(n, cost).map(([lo, hi]) => args(lo, hi)));
  }

  /**
   * out (dense, outShape, n elements of `size` bytes) = the strided view of x at byte address
   * `base`; false (nothing done) when the view has too many dims after merging.
   */
  gather(size: number, base: number, strides: readonly number[], out: number, outShape: readonly number[], n: number): boolean {
    const w = coalesce(outShape, [strides]);
    const nd = w.shape.length;
    if (nd > MAX_DIMS) return false;
    const st = w.strides[0];
    if (nd === 1 && st[0] === 1 && this.ctx.partsFor(n, MIN_WORK_PER_THREAD) === 1) {
      // one contiguous run (a slice along the outermost dim, a permute that moves only size-1
      // dims): a plain memory copy, with no descriptor to write
      this.copy(base, out, size * n);
      return true;
    }
    if (size === 4 && nd >= 2 && st[nd - 2] === 1 && st[nd - 1] > 1 && w.shape[nd - 2] >= 4 && w.shape[nd - 1] >= 4) {
      // a batch of transposes: 4×4 register tiles, parts by blocks of 16 rows
      const P = w.shape[nd - 2];
      const units = (n / (P * w.shape[nd - 1])) * Math.ceil(P / 16);
      const parts = Math.min(units, this.ctx.partsFor(n, MIN_WORK_PER_THREAD));
      this.withDesc(w, 0, (desc) => this.ctx.run("ewTranspose32", WasmContext.ranges(units, parts).map(([u0, u1]) => [base, out, desc, u0, u1])));
      return true;
    }
    this.runWalk("ewStrided", w, n, size === 4 && st[nd - 1] === 1 ? 1 : 2, [size, base, out]);
    return true;
  }
}

export function elementwiseKernels(ctx: WasmContext): Partial<Backend> {
  const wk = new Walker(ctx);
  const bits = new Float32Array(1);
  const bitsI = new Int32Array(bits.buffer);
  const runFlat = wk.runFlat.bind(wk);
  const [unaryF32, binaryFlatF32, compareFlatF32] = [ctx.kernel("ewUnaryF32"), ctx.kernel("ewBinaryFlatF32"), ctx.kernel("ewCompareFlatF32")];
  const runWalk = wk.runWalk.bind(wk);
  const split = wk.split.bind(wk);

  return {
    unary(op: UnaryOp, x: Storage, out: Storage): void {
      const n = out.length;
      const code = UNARY_F32[op];
      if (code !== undefined && ctx.owns("float32", x, out) && x.length === n) {
        if (n === 0) return;
        const px = ctx.ptr(x);
        const po = ctx.ptr(out);
        const cost = UNARY_COST[op] ?? 1;
        if (ctx.partsFor(n * cost, MIN_WORK_PER_THREAD) === 1) return void unaryF32(code, px, po, n); // one part: no argument lists
        return runFlat("ewUnaryF32", n, cost, (lo, hi) => [code, px + 4 * lo, po + 4 * lo, hi - lo]);
      }
      const mask = UNARY_MASK[op];
      if (mask !== undefined && ctx.owns("bool", out) && x.length === n) {
        if (n === 0) return;
        const px = ctx.ptr(x);
        const po = ctx.ptr(out);
        if (ctx.owns("float32", x)) return runFlat("ewUnaryMaskF32", n, 1, (lo, hi) => [mask, px + 4 * lo, po + lo, hi - lo]);
        if (op === "logical_not" && ctx.owns("bool", x)) return runFlat("ewNotU8", n, 1, (lo, hi) => [px + lo, po + lo, hi - lo]);
      }
      jsBackend.unary(op, x, out);
    },

    binary(op: BinaryOp, a: Storage, aStrides: readonly number[], b: Storage, bStrides: readonly number[], out: Storage, outShape: readonly number[]): void {
      const f32 = BINARY_F32[op];
      const cmp = COMPARE[op];
      const ok = ctx.owns("float32", a, b) && (f32 !== undefined ? ctx.owns("float32", out) : cmp !== undefined && ctx.owns("bool", out));
      if (!ok) return jsBackend.binary(op, a, aStrides, b, bStrides, out, outShape);
      const n = out.length;
      if (n === 0) return;
      const pa = ctx.ptr(a);
      const po = ctx.ptr(out);
      // each operand as big as the output (same shapes) or a single number: one flat run, known
      // without merging dims (most small ops; their cost is mostly this bookkeeping)
      if ((a.length === n || a.length === 1) && (b.length === n || b.length === 1) && !(op === "pow" && b.length === 1)) {
        const sa = a.length === n ? 1 : 0;
        const sb = b.length === n ? 1 : 0;
        const pb = ctx.ptr(b);
        const cost = f32 !== undefined ? (BINARY_COST[op] ?? 1) : 1;
        if (ctx.partsFor(n * cost, MIN_WORK_PER_THREAD) === 1) {
          // one part: the kernel called directly, no argument lists
          if (f32 !== undefined) binaryFlatF32(f32, pa, sa, pb, sb, po, n);
          else compareFlatF32(cmp, pa, sa, pb, sb, po, n);
          return;
        }
        if (f32 !== undefined) return runFlat("ewBinaryFlatF32", n, cost, (lo, hi) => [f32, pa + 4 * sa * lo, sa, pb + 4 * sb * lo, sb, po + 4 * lo, hi - lo]);
        return runFlat("ewCompareFlatF32", n, 1, (lo, hi) => [cmp, pa + 4 * sa * lo, sa, pb + 4 * sb * lo, sb, po + lo, hi - lo]);
      }
      const w = coalesce(outShape, [aStrides, bStrides]);
      if (w.shape.length > MAX_DIMS) return jsBackend.binary(op, a, aStrides, b, bStrides, out, outShape);
      // x^k for a scalar small integer k: multiplied out in float64, vectorised
      if (op === "pow" && w.shape.length === 1 && w.strides[0][0] === 1 && w.strides[1][0] === 0) {
        const k = (b as HostStorage).data[0];
        if (Number.isInteger(k) && k !== 0 && Math.abs(k) <= 4) return runFlat("ewPowiF32", n, 2, (lo, hi) => [pa + 4 * lo, po + 4 * lo, hi - lo, k]);
      }
      const pb = ctx.ptr(b);
      if (w.shape.length === 1) {
        // one run: same shapes, or a scalar on either side
        const [sa, sb] = [w.strides[0][0], w.strides[1][0]];
        if (f32 !== undefined) return runFlat("ewBinaryFlatF32", n, BINARY_COST[op] ?? 1, (lo, hi) => [f32, pa + 4 * sa * lo, sa, pb + 4 * sb * lo, sb, po + 4 * lo, hi - lo]);
        return runFlat("ewCompareFlatF32", n, 1, (lo, hi) => [cmp, pa + 4 * sa * lo, sa, pb + 4 * sb * lo, sb, po + lo, hi - lo]);
      }
      if (f32 !== undefined) runWalk("ewBinaryF32", w, n, BINARY_COST[op] ?? 1, [f32, pa, pb, po]);
      else runWalk("ewCompareF32", w, n, 1, [cmp, pa, pb, po]);
    },

    where(cond: Storage, cStrides: readonly number[], a: Storage, aStrides: readonly number[], b: Storage, bStrides: readonly number[], out: Storage, outShape: readonly number[]): void {
      const dt = out.dtype;
      if (!((dt === "float32" || dt === "int32") && ctx.owns(dt, a, b, out) && ctx.owns("bool", cond))) return jsBackend.where(cond, cStrides, a, aStrides, b, bStrides, out, outShape);
      const n = out.length;
      if (n === 0) return;
      const w = coalesce(outShape, [cStrides, aStrides, bStrides]);
      if (w.shape.length > MAX_DIMS) return jsBackend.where(cond, cStrides, a, aStrides, b, bStrides, out, outShape);
      runWalk("ewWhere32", w, n, 1, [ctx.ptr(cond), ctx.ptr(a), ctx.ptr(b), ctx.ptr(out)]);
    },

    strided(x: Storage, offset: number, strides: readonly number[], out: Storage, outShape: readonly number[]): void {
      const size = ITEM_BYTES[x.dtype];
      if (x.dtype !== out.dtype || !ctx.owns(x.dtype, x, out)) return jsBackend.strided(x, offset, strides, out, outShape);
      const n = out.length;
      if (n === 0) return;
      if (!wk.gather(size, ctx.ptr(x) + size * offset, strides, ctx.ptr(out), outShape, n)) jsBackend.strided(x, offset, strides, out, outShape);
    },

    stridedAdd(src: Storage, srcShape: readonly number[], x: Storage, offset: number, strides: readonly number[]): void {
      if (!ctx.owns("float32", src, x)) return jsBackend.stridedAdd(src, srcShape, x, offset, strides);
      const n = src.length;
      if (n === 0) return;
      const w = coalesce(srcShape, [strides]);
      if (w.shape.length > MAX_DIMS) return jsBackend.stridedAdd(src, srcShape, x, offset, strides);
      const args = [ctx.ptr(src), ctx.ptr(x) + 4 * offset];
      // overlapping targets (expand's backward) accumulate in order, on one thread
      runWalk("ewStridedAddF32", w, n, 2, args, injective(w) ? split(n, 2) : [[0, n]]);
    },

    write(s: Storage, data: TypedArray | readonly number[], offset = 0): void {
      // numbers already in this heap, of the storage's own type (clone, cat's pieces): the wasm
      // memory copy, several times faster than TypedArray.set between views of shared memory
      const item = ITEM_BYTES[s.dtype];
      const sameType = data instanceof Float32Array ? s.dtype === "float32" : data instanceof Int32Array ? s.dtype === "int32" : data instanceof Uint8Array ? s.dtype === "bool" : data instanceof Float64Array && s.dtype === "float64";
      if (sameType && ctx.owns(s.dtype, s) && offset >= 0 && offset + data.length <= s.length && ctx.heap.isOwnBuffer((data as TypedArray).buffer)) {
        const d = data as TypedArray;
        wk.copy(d.byteOffset, ctx.ptr(s) + item * offset, d.byteLength);
        return;
      }
      jsBackend.write(s, data, offset);
    },

    fill(out: Storage, value: number): void {
      const n = out.length;
      const dt = out.dtype;
      const parts = ctx.partsFor(n, 4 * MIN_WORK_PER_THREAD);
      if (parts === 1 || !(dt === "float32" || dt === "int32") || !ctx.owns(dt, out)) return jsBackend.fill(out, value);
      if (dt === "float32") bits[0] = value;
      else bitsI[0] = value; // ToInt32, like Int32Array.fill
      const v = bitsI[0];
      const po = ctx.ptr(out);
      ctx.run("ewFill32", WasmContext.ranges(n, parts, 16).map(([lo, hi]) => [po + 4 * lo, hi - lo, v]));
    },

    cast(x: Storage, out: Storage): void {
      const kind = castKind(x.dtype, out.dtype);
      if (kind < 0 || !ctx.owns(x.dtype, x) || !ctx.owns(out.dtype, out) || x.length !== out.length) return jsBackend.cast(x, out);
      const n = out.length;
      if (n === 0) return;
      const si = ITEM_BYTES[x.dtype];
      const so = ITEM_BYTES[out.dtype];
      const px = ctx.ptr(x);
      const po = ctx.ptr(out);
      runFlat("ewCast", n, 1, (lo, hi) => [kind, px + si * lo, po + so * lo, hi - lo]);
    },
  };
}

/** ewCast's conversion code, or −1 where the reference does it. */
function castKind(from: DType, to: DType): number {
  if (from === "float32") return to === "int32" ? 0 : to === "bool" ? 2 : -1;
  if (from === "int32") return to === "float32" ? 1 : to === "bool" ? 4 : -1;
  if (from === "bool") return to === "float32" ? 3 : to === "int32" ? 5 : -1;
  return -1;
}
