// Matrix products on the WebAssembly kernels (see assembly/matmul.ts), split over threads by
// batches when there are enough of them, else by 16-column blocks, else by 4-row tiles.
import { stridedOffsets } from "../../js/storage.js";
import { jsBackend } from "../../js/index.js";
import type { Backend, MatmulSpec, Storage } from "../../types.js";
import { WasmContext } from "../context.js";

/** Multiply-adds per thread below which splitting does not pay. */
const MIN_MACS_PER_THREAD = 1 << 17;
/** Rows of the kernel's tile: a part with fewer rows takes the unpacked matrix-vector path. */
const MR = 4;

export function matmulKernels(ctx: WasmContext): Partial<Backend> {
  const scratchBytes = ctx.kernel("matmulScratchBytes");
  const batchKernel = ctx.kernel("matmulBatchF32");
  // The per-batch offsets table of products that need no packing buffer (fewer than MR rows: a
  // vector times a matrix in generation, batched per head) lives in one block kept between
  // calls and grown as needed: such a product costs a few µs, about what allocating and
  // freeing a scratch block for every call would add.
  let table = { ptr: 0, bytes: 0, view: new Int32Array(0) };
  const offsetTable = (batches: number) => {
    if (batches * 12 > table.bytes) {
      if (table.bytes > 0) ctx.heap.releaseBlock(table.ptr, table.bytes);
      const [ptr, bytes] = ctx.heap.allocBlock(Math.max(64, batches * 12));
      table = { ptr, bytes, view: new Int32Array(ctx.heap.memory.buffer, ptr, bytes >> 2) };
    }
    return table;
  };
  /** Writes each batch's element offsets of A, B and C into o (batches × 3 int32). */
  const writeOffsets = (o: Int32Array, spec: MatmulSpec, batches: number) => {
    if (batches === 1) {
      o[0] = o[1] = o[2] = 0; // the first position of any broadcast walk
      return;
    }
    const aOff = stridedOffsets(spec.batchShape, spec.aBatchStrides);
    const bOff = stridedOffsets(spec.batchShape, spec.bBatchStrides);
    const mn = spec.m * spec.n;
    for (let i = 0; i < batches; i++) {
      o[3 * i] = aOff[i];
      o[3 * i + 1] = bOff[i];
      o[3 * i + 2] = i * mn;
    }
  };
  return {
    matmul(a: Storage, b: Storage, out: Storage, spec: MatmulSpec): void {
      if (!ctx.owns("float32", a, b, out)) return jsBackend.matmul(a, b, out, spec);
      const { m, k, n, transA, transB } = spec;
      let batches = 1;
      for (const s of spec.batchShape) batches *= s;
      const parts = ctx.partsFor(batches * m * k * n, MIN_MACS_PER_THREAD);
      const [pa, aRow, aCol, pb, bRow, bCol, pc] = [ctx.ptr(a), transA ? 1 : k, transA ? m : 1, ctx.ptr(b), transB ? 1 : n, transB ? k : 1, ctx.ptr(out)];
      if (parts === 1 && m < MR) {
        // vectors (up to 3) times matrices on this thread: no packing, so no scratch block
        const t = offsetTable(batches);
        writeOffsets(t.view, spec, batches);
        batchKernel(pa, aRow, aCol, pb, bRow, bCol, pc, m, k, n, t.ptr, 0, batches, 0, m, 0, n, 0);
        return;
      }
      const scratch = m < MR ? 0 : (scratchBytes(k, n) as number); // parts of under MR rows pack nothing
      ctx.withScratch(batches * 12 + parts * (scratch + 64), (base) => {
        // per-batch element offsets of A, B and C, then one packing buffer per thread
        writeOffsets(new Int32Array(ctx.heap.memory.buffer, base, batches * 3), spec, batches);
        const common = [pa, aRow, aCol, pb, bRow, bCol, pc, m, k, n, base];
        const packing = (t: number) => (base + batches * 12 + t * (scratch + 64) + 63) & ~63;
        // batches; else 16-column blocks (each thread packs only its part of B); else 4-row tiles
        let split: number[][];
        if (batches >= parts) split = WasmContext.ranges(batches, parts).map(([lo, hi]) => [lo, hi, 0, m, 0, n]);
        else if (Math.ceil(n / 16) >= 2 * parts || m < 8 * parts) split = WasmContext.ranges(n, parts, 16).map(([lo, hi]) => [0, batches, 0, m, lo, hi]);
        else split = WasmContext.ranges(m, parts, 4).map(([lo, hi]) => [0, batches, lo, hi, 0, n]);
        ctx.run("matmulBatchF32", split.map((r, t) => [...common, ...r, packing(t)]));
      });
    },
  };
}
