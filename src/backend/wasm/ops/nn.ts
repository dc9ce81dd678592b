// Neural-network kernels on WebAssembly (assembly/nn.ts): softmax and log-softmax forward and
// backward, LayerNorm forward and backward, the embedding gather and its scatter-add gradient,
// gather / scatter_add, and the fused Adam(W) update. float32 only; anything else (float64,
// storages of another backend, shapes the kernels do not cover) goes to the reference kernels.
//
// Splitting over threads keeps every write private to one part:
// - softmax, LayerNorm and index_select split by rows (or softmax's outer blocks / columns);
// - LayerNorm's dw and db sum over rows, so each part sums its rows into its own partial and
//   nnSumPartsF32 adds the partials in part order — bit-identical run to run;
// - index_add splits the feature columns, never the rows, so repeated indices still add up in
//   index order (bit-identical to the reference, for any thread count);
// - Adam(W) splits the element range; gather / scatter_add (one entry per row in cross-entropy)
//   stay on one thread.
import { jsBackend } from "../../js/index.js";
import type { AdamWSpec, AdamWTensors, AxisSpec, Backend, CrossEntropySpec, RowSpec, Storage } from "../../types.js";
import { WasmContext } from "../context.js";

/** Elements per thread below which splitting LayerNorm does not pay (~20 µs of work). */
const MIN_ELEMS_PER_THREAD = 1 << 15;
/** The same for kernels with an exponential per element (softmax, cross-entropy): ~1 ns each. */
const MIN_EXP_ELEMS_PER_THREAD = 1 << 12;
/** Same for the memory-bound kernels (copies, index_add, Adam). */
const MIN_COPY_PER_THREAD = 1 << 16;

export function nnKernels(ctx: WasmContext): Partial<Backend> {
  /** Splits a (outer, dim, inner) softmax job with inner > 1 into [o0, o1, i0, i1] parts. */
  const colParts = ({ outer, dim, inner }: AxisSpec): [number, number, number, number][] => {
    const parts = ctx.partsFor(outer * dim * inner, MIN_EXP_ELEMS_PER_THREAD);
    if (outer >= parts) return WasmContext.ranges(outer, parts).map(([o0, o1]) => [o0, o1, 0, inner]);
    return WasmContext.ranges(inner, Math.min(parts, Math.ceil(inner / 4)), 4).map(([i0, i1]) => [0, outer, i0, i1]);
  };

  return {
    softmax(x: Storage, out: Storage, spec: AxisSpec, log: boolean): void {
      if (!ctx.owns("float32", x, out)) return jsBackend.softmax(x, out, spec, log);
      const { outer, dim, inner } = spec;
      if (outer * dim * inner === 0) return;
      if (inner === 1) {
        const parts = Math.min(outer, ctx.partsFor(outer * dim, MIN_EXP_ELEMS_PER_THREAD));
        ctx.run("nnSoftmaxRowsF32", WasmContext.ranges(outer, parts).map(([r0, r1]) => [ctx.ptr(x), ctx.ptr(out), dim, r0, r1, log ? 1 : 0]));
      } else {
        ctx.run("nnSoftmaxColsF32", colParts(spec).map(([o0, o1, i0, i1]) => [ctx.ptr(x), ctx.ptr(out), dim, inner, o0, o1, i0, i1, log ? 1 : 0]));
      }
    },

    softmaxBackward(y: Storage, dy: Storage, dx: Storage, spec: AxisSpec, log: boolean): void {
      if (!ctx.owns("float32", y, dy, dx)) return jsBackend.softmaxBackward(y, dy, dx, spec, log);
      const { outer, dim, inner } = spec;
      if (outer * dim * inner === 0) return;
      if (inner === 1) {
        const parts = Math.min(outer, ctx.partsFor(outer * dim, MIN_EXP_ELEMS_PER_THREAD));
        ctx.run("nnSoftmaxBackwardRowsF32", WasmContext.ranges(outer, parts).map(([r0, r1]) => [ctx.ptr(y), ctx.ptr(dy), ctx.ptr(dx), dim, r0, r1, log ? 1 : 0]));
      } else {
        ctx.run("nnSoftmaxBackwardColsF32", colParts(spec).map(([o0, o1, i0, i1]) => [ctx.ptr(y), ctx.ptr(dy), ctx.ptr(dx), dim, inner, o0, o1, i0, i1, log ? 1 : 0]));
      }
    },

    crossEntropy(logits, target, loss, lse, s: CrossEntropySpec): void {
      if (!ctx.owns("float32", logits, loss, lse) || !ctx.owns("int32", target)) return jsBackend.crossEntropy(logits, target, loss, lse, s);
      if (s.rows === 0 || s.classes === 0) return jsBackend.crossEntropy(logits, target, loss, lse, s);
      const parts = Math.min(s.rows, ctx.partsFor(s.rows * s.classes, MIN_EXP_ELEMS_PER_THREAD));
      const common = [ctx.ptr(logits), ctx.ptr(target), ctx.ptr(loss), ctx.ptr(lse), s.classes, s.ignoreIndex, s.labelSmoothing];
      ctx.run("nnCrossEntropyF32", WasmContext.ranges(s.rows, parts).map(([r0, r1]) => [...common, r0, r1]));
    },

    crossEntropyBackward(logits, target, lse, g, dx, s: CrossEntropySpec): void {
      if (!ctx.owns("float32", logits, lse, g, dx) || !ctx.owns("int32", target)) return jsBackend.crossEntropyBackward(logits, target, lse, g, dx, s);
      if (s.rows === 0 || s.classes === 0) return jsBackend.crossEntropyBackward(logits, target, lse, g, dx, s);
      const parts = Math.min(s.rows, ctx.partsFor(s.rows * s.classes, MIN_EXP_ELEMS_PER_THREAD));
      const common = [ctx.ptr(logits), ctx.ptr(target), ctx.ptr(lse), ctx.ptr(g), ctx.ptr(dx), s.classes, s.ignoreIndex, s.labelSmoothing];
      ctx.run("nnCrossEntropyBackwardF32", WasmContext.ranges(s.rows, parts).map(([r0, r1]) => [...common, r0, r1]));
    },

    layerNorm(x, w, b, out, mean, rstd, spec: RowSpec, eps: number): void {
      const opt = [w, b].filter((s): s is Storage => s !== null);
      if (!ctx.owns("float32", x, out, mean, rstd, ...opt) || spec.d === 0) return jsBackend.layerNorm(x, w, b, out, mean, rstd, spec, eps);
      const { rows, d } = spec;
      if (rows === 0) return;
      const parts = Math.min(rows, ctx.partsFor(rows * d, MIN_ELEMS_PER_THREAD));
      const common = [ctx.ptr(x), w ? ctx.ptr(w) : 0, b ? ctx.ptr(b) : 0, ctx.ptr(out), ctx.ptr(mean), ctx.ptr(rstd), d, eps];
      ctx.run("nnLayerNormF32", WasmContext.ranges(rows, parts).map(([r0, r1]) => [...common, r0, r1, spec.rms ? 1 : 0]));
    },

    layerNormBackward(dy, x, mean, rstd, w, dx, dw, db, spec: RowSpec): void {
      const opt = [w, dw, db].filter((s): s is Storage => s !== null);
      if (!ctx.owns("float32", dy, x, mean, rstd, dx, ...opt) || spec.d === 0) return jsBackend.layerNormBackward(dy, x, mean, rstd, w, dx, dw, db, spec);
      const { rows, d } = spec;
      if (rows === 0) return;
      const parts = Math.min(rows, ctx.partsFor(rows * d, MIN_ELEMS_PER_THREAD));
      const head = [ctx.ptr(dy), ctx.ptr(x), ctx.ptr(mean), ctx.ptr(rstd), w ? ctx.ptr(w) : 0, ctx.ptr(dx)];
      const split = WasmContext.ranges(rows, parts);
      if (parts === 1 || (dw === null && db === null)) {
        // one part (or nothing summed over rows): accumulate straight into dw and db
        ctx.run("nnLayerNormBackwardF32", split.map(([r0, r1]) => [...head, dw ? ctx.ptr(dw) : 0, db ? ctx.ptr(db) : 0, d, r0, r1, 0, spec.rms ? 1 : 0]));
        return;
      }
      // per-part partials of dw and db, then summed into dw and db in part order
      const stride = (d * 4 + 63) & ~63;
      ctx.withScratch(2 * parts * stride + 64, (scratch) => {
        const dwBase = (scratch + 63) & ~63;
        const dbBase = dwBase + parts * stride;
        ctx.run("nnLayerNormBackwardF32", split.map(([r0, r1], t) => [...head, dw ? dwBase + t * stride : 0, db ? dbBase + t * stride : 0, d, r0, r1, 1, spec.rms ? 1 : 0]));
        const sum = ctx.kernel("nnSumPartsF32");
        if (dw) sum(ctx.ptr(dw), dwBase, d, parts, stride);
        if (db) sum(ctx.ptr(db), dbBase, d, parts, stride);
      });
    },

    indexSelect(x: Storage, index: Storage, out: Storage, spec: AxisSpec): void {
      if (!((ctx.owns("float32", x, out) || ctx.owns("int32", x, out)) && ctx.owns("int32", index))) return jsBackend.indexSelect(x, index, out, spec);
      const { outer, dim, inner } = spec;
      const n = index.length;
      const rows = outer * n;
      if (rows * inner === 0) return;
      const parts = Math.min(rows, ctx.partsFor(rows * inner, MIN_COPY_PER_THREAD));
      ctx.run("nnIndexSelect32", WasmContext.ranges(rows, parts).map(([r0, r1]) => [ctx.ptr(x), ctx.ptr(index), ctx.ptr(out), dim, inner, n, r0, r1]));
    },

    indexAdd(dout: Storage, index: Storage, dx: Storage, spec: AxisSpec): void {
      if (!(ctx.owns("float32", dout, dx) && ctx.owns("int32", index))) return jsBackend.indexAdd(dout, index, dx, spec);
      const { outer, dim, inner } = spec;
      const n = index.length;
      if (outer * n * inner === 0) return;
      // split the feature columns (4-aligned), never the rows: repeated indices stay in order
      const parts = Math.min(ctx.partsFor(outer * n * inner, MIN_COPY_PER_THREAD), Math.floor(inner / 4));
      const split = WasmContext.ranges(inner, Math.max(1, parts), 4);
      ctx.run("nnIndexAddF32", split.map(([c0, c1]) => [ctx.ptr(dout), ctx.ptr(index), ctx.ptr(dx), outer, dim, inner, n, c0, c1]));
    },

    gather(x, xShape, index, indexShape, dim, out): void {
      const view = middleAxisView(xShape, indexShape, dim);
      if (view === null || !((ctx.owns("float32", x, out) || ctx.owns("int32", x, out)) && ctx.owns("int32", index))) return jsBackend.gather(x, xShape, index, indexShape, dim, out);
      const [A, Dx, J, B] = view;
      if (A * J * B === 0) return;
      ctx.kernel("nnGather32")(ctx.ptr(x), ctx.ptr(index), ctx.ptr(out), A, Dx, J, B);
    },

    scatterAdd(target, targetShape, index, indexShape, src, dim): void {
      const view = middleAxisView(targetShape, indexShape, dim);
      if (view === null || !(ctx.owns("float32", target, src) && ctx.owns("int32", index))) return jsBackend.scatterAdd(target, targetShape, index, indexShape, src, dim);
      const [A, Dx, J, B] = view;
      if (A * J * B === 0) return;
      ctx.kernel("nnScatterAddF32")(ctx.ptr(target), ctx.ptr(index), ctx.ptr(src), A, Dx, J, B);
    },

    adamw(tensors: readonly AdamWTensors[], s: AdamWSpec): void {
      if (!tensors.every(({ p, g, m, v }) => ctx.owns("float32", p, g, m, v))) return jsBackend.adamw(tensors, s);
      const total = tensors.reduce((sum, t) => sum + t.p.length, 0);
      if (total === 0) return;
      // scalars in double precision, rounded once to float32 by the call
      const stepSize = s.lr / (1 - Math.pow(s.beta1, s.step));
      const rbc2 = 1 / (1 - Math.pow(s.beta2, s.step));
      const decay = s.decoupled ? s.lr * s.weightDecay : s.weightDecay;
      const hyper = [stepSize, rbc2, s.eps, s.beta1, 1 - s.beta1, s.beta2, 1 - s.beta2, decay, s.decoupled ? 1 : 0];
      // split the concatenation evenly, each cut moved back to a multiple of 16 in its tensor
      const starts = [0];
      for (const t of tensors) starts.push(starts[starts.length - 1] + t.p.length);
      const snap = (x: number) => {
        let t = 0;
        while (starts[t + 1] <= x && t < tensors.length - 1) t++;
        return Math.min(x, starts[t] + Math.floor((x - starts[t]) / 16) * 16);
      };
      const parts = ctx.partsFor(total, MIN_COPY_PER_THREAD);
      const cuts = Array.from({ length: parts + 1 }, (_, i) => (i === parts ? total : snap(Math.floor((total * i) / parts))));
      ctx.withScratch(tensors.length * 20, (table) => {
        const e = new Int32Array(ctx.heap.memory.buffer, table, tensors.length * 5);
        tensors.forEach(({ p, g, m, v }, i) => e.set([ctx.ptr(p), ctx.ptr(g), ctx.ptr(m), ctx.ptr(v), p.length], 5 * i));
        ctx.run("nnAdamWF32", cuts.slice(0, -1).map((lo, i) => [table, tensors.length, ...hyper, lo, cuts[i + 1]]));
      });
    },
  };
}

/**
 * gather/scatter_add's shapes as (A, Dx, J, B) — x is (A, Dx, B) and index (A, J, B) around
 * `dim` — when index matches x on every other dim (the usual case, cross-entropy's included);
 * null otherwise (the reference kernel handles those).
 */
function middleAxisView(xShape: readonly number[], indexShape: readonly number[], dim: number): [number, number, number, number] | null {
  if (xShape.length === 0 || indexShape.length !== xShape.length || dim < 0 || dim >= xShape.length) return null;
  for (let i = 0; i < xShape.length; i++) if (i !== dim && xShape[i] !== indexShape[i]) return null;
  const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
  return [prod(xShape.slice(0, dim)), xShape[dim], indexShape[dim], prod(xShape.slice(dim + 1))];
}
