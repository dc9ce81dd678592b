// Reductions and cumsum on WebAssembly (see assembly/reduce.ts). A reduction over any dims first
// merges the input's dims into groups of kept and reduced ones; the shapes that matter — reduce the
// last dim(s), the leading dim(s), or one middle block (A, R, C) — run in wasm, anything with more
// alternations goes to the reference kernel. Parts write disjoint outputs (rows, or column ranges),
// except a reduction to very few outputs, whose parts each reduce a slice of the row and are
// combined here in a fixed order: bit-identical from run to run for a given thread count.
import { jsBackend } from "../../js/index.js";
import type { AxisSpec, Backend, ReduceOp, Storage } from "../../types.js";
import { WasmContext } from "../context.js";
import { MIN_WORK_PER_THREAD, Walker } from "./elementwise.js";

const CODES: Partial<Record<ReduceOp, number>> = { sum: 0, max: 1, min: 2, argmax: 3, argmin: 4 };

/** (A, R, C) for a reduction, or null when the reduced dims are not one contiguous block. */
export function reduceBlocks(shape: readonly number[], reduced: readonly boolean[]): [number, number, number] | null {
  const groups: [number, boolean][] = [];
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    const last = groups[groups.length - 1];
    if (last && last[1] === reduced[d]) last[0] *= shape[d];
    else groups.push([shape[d], reduced[d]]);
  }
  const flags = groups.map((g) => (g[1] ? "R" : "K")).join("");
  const size = (i: number) => groups[i][0];
  switch (flags) {
    case "": return [1, 1, 1];
    case "R": return [1, size(0), 1];
    case "K": return [size(0), 1, 1];
    case "KR": return [size(0), size(1), 1];
    case "RK": return [1, size(0), size(1)];
    case "KRK": return [size(0), size(1), size(2)];
    default: return null;
  }
}

export function reduceKernels(ctx: WasmContext): Partial<Backend> {
  const rows = ctx.kernel("rdRowsF32");
  const cols = ctx.kernel("rdColsF32");
  const cumsum = ctx.kernel("rdCumsumF32");
  const wk = new Walker(ctx);
  return {
    reduce(op: ReduceOp, x: Storage, shape: readonly number[], reduced: readonly boolean[], out: Storage): void {
      const code = CODES[op];
      const arg = op === "argmax" || op === "argmin";
      if (code === undefined || !ctx.owns("float32", x) || !ctx.owns(arg ? "int32" : "float32", out) || x.length === 0) {
        return jsBackend.reduce(op, x, shape, reduced, out);
      }
      const blocks = reduceBlocks(shape, reduced);
      if (blocks === null) {
        // reduced dims that are not one block: gather them last (kept dims first, each group in
        // order, so positions along the reduced dims stay row-major), then reduce rows
        const dims = shape.map((_, d) => d);
        const perm = [...dims.filter((d) => !reduced[d]), ...dims.filter((d) => reduced[d])];
        const own = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
        const tmp = ctx.heap.alloc("float32", x.length, false);
        try {
          if (!wk.gather(4, ctx.ptr(x), perm.map((d) => own[d]), tmp.ptr, perm.map((d) => shape[d]), x.length)) return jsBackend.reduce(op, x, shape, reduced, out);
          const R = perm.filter((d) => reduced[d]).reduce((a, d) => a * shape[d], 1);
          return reduceBlock(op, code, tmp.ptr, ctx.ptr(out), out, x.length / R, R, 1);
        } finally {
          ctx.heap.release(tmp);
        }
      }
      const [A, R, C] = blocks;
      reduceBlock(op, code, ctx.ptr(x), ctx.ptr(out), out, A, R, C);
    },

    cumsum(x: Storage, out: Storage, spec: AxisSpec): void {
      if (!ctx.owns("float32", x, out)) return jsBackend.cumsum(x, out, spec);
      const { outer, dim, inner } = spec;
      if (outer * dim * inner === 0) return;
      const px = ctx.ptr(x);
      const po = ctx.ptr(out);
      const parts = ctx.partsFor(outer * dim * inner, MIN_WORK_PER_THREAD);
      if (parts === 1) return void cumsum(px, po, dim, inner, 0, outer, 0, inner);
      if (outer >= parts || inner < 8 * parts) {
        const p = Math.min(parts, outer);
        ctx.run("rdCumsumF32", WasmContext.ranges(outer, p).map(([o0, o1]) => [px, po, dim, inner, o0, o1, 0, inner]));
        return;
      }
      ctx.run("rdCumsumF32", WasmContext.ranges(inner, parts, 4).map(([c0, c1]) => [px, po, dim, inner, 0, outer, c0, c1]));
    },
  };

  /** Reduces an A × R × C block at px over R into po (out is the storage at po, for the combine step). */
  function reduceBlock(op: ReduceOp, code: number, px: number, po: number, out: Storage, A: number, R: number, C: number): void {
    const parts = ctx.partsFor(A * R * C, MIN_WORK_PER_THREAD);
    if (parts === 1) {
      if (C === 1) rows(code, px, po, R, 0, A);
      else cols(code, px, po, R, C, 0, A, 0, C);
      return;
    }
    if (C === 1) {
      if (A >= parts) {
        ctx.run("rdRowsF32", WasmContext.ranges(A, parts).map(([r0, r1]) => [code, px, po, R, r0, r1]));
        return;
      }
      // fewer rows than threads: each row in parts (a float64 value and an int32 position
      // each), combined in order
      const ranges = WasmContext.ranges(R, parts, 16).filter(([lo, hi]) => hi > lo);
      ctx.withScratch(16 * ranges.length, (partials) => {
        const f64 = new Float64Array(ctx.heap.memory.buffer, partials, 2 * ranges.length);
        const i32 = new Int32Array(ctx.heap.memory.buffer, partials, 4 * ranges.length);
        for (let r = 0; r < A; r++) {
          ctx.run("rdPartialF32", ranges.map(([lo, hi], t) => [code, px + 4 * r * R, lo, hi, partials + 16 * t]));
          combine(op, f64, i32, ranges.length, out, r);
        }
      });
      return;
    }
    if (A >= parts) {
      ctx.run("rdColsF32", WasmContext.ranges(A, parts).map(([a0, a1]) => [code, px, po, R, C, a0, a1, 0, C]));
      return;
    }
    const colParts = Math.max(1, Math.min(parts, Math.floor(C / 16)));
    ctx.run("rdColsF32", WasmContext.ranges(C, colParts, 16).map(([c0, c1]) => [code, px, po, R, C, 0, A, c0, c1]));
  }

  /** Folds the parts' results in order into out[r], with the reference's rules (NaN and the first extreme win). */
  function combine(op: ReduceOp, partialF64: Float64Array, partialI32: Int32Array, parts: number, out: Storage, r: number): void {
    const o = (out as unknown as { data: Float32Array | Int32Array }).data;
    if (op === "sum") {
      let s = 0;
      for (let t = 0; t < parts; t++) s += partialF64[2 * t];
      o[r] = s;
      return;
    }
    const isMax = op === "max" || op === "argmax";
    let best = partialF64[0];
    let at = partialI32[2];
    for (let t = 1; t < parts; t++) {
      const v = partialF64[2 * t];
      if (!Number.isNaN(best) && (Number.isNaN(v) || (isMax ? v > best : v < best))) {
        best = v;
        at = partialI32[4 * t + 2];
      }
    }
    o[r] = op === "argmax" || op === "argmin" ? at : best;
  }
}
