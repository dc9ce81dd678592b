// Copies of a tensor's numbers for JavaScript to keep (`dataSync()`).
//
// Why a pool: V8 spends 1.5–4 µs creating any fresh ArrayBuffer (a 256-byte one costs nearly as
// much as a 16 KB one), several times the copy itself, and small reads (a row of logits each
// decode step, a loss) are exactly the calls of generation and RNN loops. So small copies are
// cut from a shared slab, the way Node cuts small Buffers from Buffer.poolSize: each copy is its
// own region that nothing else writes, but its `.buffer` is the slab. Code that needs a buffer
// of its own (to transfer to a worker, say) calls `.slice()` on the copy.
import type { TypedArray } from "../backend/types.js";

/** Copies up to this many bytes come from the slab; larger ones get their own ArrayBuffer. */
const POOLED_MAX_BYTES = 16 * 1024;
/** Small enough for malloc's heap: a slab of 256 KB or more is a fresh mmap whose first touches
 *  fault page by page, which measured slower than no pool at all (1.4–6 µs per 16 KB copy). */
const SLAB_BYTES = 64 * 1024;

let slab = new ArrayBuffer(SLAB_BYTES);
let used = 0;

type ArrayCtor = new (buffer: ArrayBuffer, byteOffset: number, length: number) => TypedArray;

/** A copy of `src`, of the same type, that no one else holds. */
export function copyOut(src: TypedArray): TypedArray {
  const bytes = src.byteLength;
  if (bytes > POOLED_MAX_BYTES || bytes === 0) return src.slice();
  if (used + bytes > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    used = 0;
  }
  const out = new (src.constructor as ArrayCtor)(slab, used, src.length);
  out.set(src);
  used += (bytes + 15) & ~15; // every copy starts 16-byte aligned, as Float64Array needs 8
  return out;
}
