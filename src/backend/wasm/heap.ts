// The WebAssembly heap: one shared, growable WebAssembly.Memory that every tensor of the wasm
// backend lives in, and a small allocator over it written in TypeScript.
//
// Blocks come from a bump pointer and go back to free lists by size class (powers of two up to
// 64 KiB, then multiples of 64 KiB), so a training loop that makes the same tensors every step
// reuses the same blocks and memory stays flat. Storages are released explicitly (Tensor.dispose,
// scopes) or, as a safety net, when the garbage collector finalises them.
import type { DType, HostStorage, TypedArray } from "../types.js";

const PAGE = 65536;
/** Where our blocks start: below is AssemblyScript's static data (scratch tiles). */
const HEAP_BASE = 1 << 16;
export const MAX_PAGES = 65536;

function sizeClass(bytes: number): number {
  if (bytes <= 64) return 64;
  if (bytes <= PAGE) return 1 << (32 - Math.clz32(bytes - 1)); // the next power of two
  return Math.ceil(bytes / PAGE) * PAGE;
}

/** Index of a small size class (64 B → 0 … 64 KiB → 10) in the free lists. */
function smallIndex(cls: number): number {
  return 25 - Math.clz32(cls);
}

/**
 * Allocations a small storage gets before its finalizer is registered (see WasmHeap.alloc):
 * registering one costs about half a microsecond, as much as a small op's kernel, and most small
 * storages (an op's temporaries, a generation step's) are released explicitly well within this.
 */
const GRACE = 128;

const ITEM_BYTES: Record<DType, number> = { float32: 4, float64: 8, int32: 4, bool: 1 };

export class WasmStorage implements HostStorage {
  released = false;
  /** The garbage collector's finalizer is registered for it (WasmHeap.track). */
  tracked = false;
  /** @internal tensors sharing this storage (scope.ts counts them here) */
  refs = 0;
  private view: TypedArray | null = null;
  constructor(
    readonly heap: WasmHeap,
    readonly dtype: DType,
    readonly length: number,
    /** Byte offset in the heap's memory. */
    readonly ptr: number,
    readonly blockBytes: number,
  ) {}

  /**
   * A view of the numbers; valid forever (shared memory never detaches on growth). Made on first
   * use: most storages are an op's output that only wasm kernels read, through ptr.
   */
  get data(): TypedArray {
    return (this.view ??= this.heap.view(this.dtype, this.ptr, this.length));
  }
}

/**
 * Small blocks (size classes up to 64 KiB) are cut from arenas of this size, one size class per
 * arena, so they never sit between large blocks and keep freed large ones from merging.
 */
const ARENA = 256 * 1024;

export class WasmHeap {
  readonly memory: WebAssembly.Memory;
  private top = HEAP_BASE;
  /** Highest address ever handed out: memory above it has never been written (zeros from memory.grow). */
  private highWater = HEAP_BASE;
  /** Free small blocks by size class (smallIndex). */
  private readonly freeLists: number[][] = Array.from({ length: smallIndex(PAGE) + 1 }, () => []);
  /** Free ranges of large blocks, sorted by address, never two adjacent (they are merged). */
  private readonly largeFree: { ptr: number; bytes: number }[] = [];
  bytesInUse = 0;
  peakBytes = 0;
  private readonly finalizer = new FinalizationRegistry<[number, number]>(([ptr, bytes]) => this.releaseBlock(ptr, bytes));
  /** Recent small storages, finalizer not yet registered (held strongly until then). */
  private readonly untracked: WasmStorage[] = [];

  /**
   * The memory's buffer as of its last growth (only this heap grows it): reading memory.buffer
   * costs a call into the engine on every allocation.
   */
  private buffer: ArrayBufferLike;

  /** Every buffer object the memory has had (a new one per growth), all views of the same bytes. */
  private readonly buffers: ArrayBufferLike[] = [];

  constructor(initialPages = 32) {
    this.memory = new WebAssembly.Memory({ initial: initialPages, maximum: MAX_PAGES, shared: true });
    this.buffer = this.memory.buffer;
    this.buffers.push(this.buffer);
  }

  /** Whether a typed array over `buffer` is a view of this heap (its byteOffset is then an address). */
  isOwnBuffer(buffer: ArrayBufferLike): boolean {
    return buffer === this.buffer || this.buffers.includes(buffer);
  }

  /** Bytes reserved from the memory so far (the high-water mark of the bump pointer). */
  get reservedBytes(): number {
    return this.highWater;
  }

  /**
   * A block of at least `bytes` bytes, 64-byte aligned. Its contents are arbitrary, except that a
   * `fresh` block (never handed out before: above the old high-water mark) is all zeros, as
   * memory.grow gives it.
   *
   * Small blocks come back from a free list of their exact size class (a training loop makes the
   * same tensors every step, so it reuses the same blocks), filled from arenas. Large ones
   * (> 64 KiB) are cut from the smallest free range that holds them: GPT-2's 154 MB embedding,
   * once freed, can become the 103 MB of a prompt's logits and more, instead of the heap growing
   * for every new size.
   */
  allocBlock(bytes: number): [ptr: number, blockBytes: number, fresh: boolean] {
    const cls = sizeClass(bytes);
    let ptr: number;
    let fresh = false;
    if (cls <= PAGE) {
      const list = this.freeLists[smallIndex(cls)];
      if (list.length === 0) {
        // a new arena, cut into blocks of this class (handed out lowest address first)
        const [arena] = this.reserveLarge(ARENA, bytes);
        for (let p = arena + ARENA - cls; p >= arena; p -= cls) list.push(p);
      }
      ptr = list.pop()!;
    } else [ptr, fresh] = this.reserveLarge(cls, bytes);
    this.bytesInUse += cls;
    this.peakBytes = Math.max(this.peakBytes, this.bytesInUse);
    return [ptr, cls, fresh];
  }

  /** A large block: from the free ranges, else from the bump pointer (growing the memory). */
  private reserveLarge(cls: number, asked: number): [ptr: number, fresh: boolean] {
    const reused = this.takeLarge(cls);
    if (reused !== undefined) return [reused, false];
    const ptr = this.top;
    const end = ptr + cls;
    if (end > MAX_PAGES * PAGE) throw new Error(`wasm backend: out of memory (asked for ${asked} bytes with ${this.bytesInUse} in use; the limit is 4 GiB)`);
    const have = this.buffer.byteLength;
    if (end > have) {
      this.memory.grow(Math.max(Math.ceil((end - have) / PAGE), Math.ceil(have / PAGE / 4)));
      this.buffer = this.memory.buffer;
      this.buffers.push(this.buffer);
    }
    this.top = end;
    const fresh = ptr >= this.highWater;
    this.highWater = Math.max(this.highWater, end);
    return [ptr, fresh];
  }

  releaseBlock(ptr: number, blockBytes: number): void {
    this.bytesInUse -= blockBytes;
    if (blockBytes > PAGE) return this.freeLarge(ptr, blockBytes);
    this.freeLists[smallIndex(blockBytes)].push(ptr);
  }

  /** Best fit among the free ranges; the rest of the range stays free. */
  private takeLarge(bytes: number): number | undefined {
    let best = -1;
    for (let i = 0; i < this.largeFree.length; i++) {
      const r = this.largeFree[i];
      if (r.bytes >= bytes && (best < 0 || r.bytes < this.largeFree[best].bytes)) best = i;
    }
    if (best < 0) return undefined;
    const r = this.largeFree[best];
    const ptr = r.ptr;
    if (r.bytes === bytes) this.largeFree.splice(best, 1);
    else {
      r.ptr += bytes;
      r.bytes -= bytes;
    }
    return ptr;
  }

  /** Returns a range, merged with free neighbours; a range that reaches the bump pointer lowers it instead. */
  private freeLarge(ptr: number, bytes: number): void {
    const list = this.largeFree;
    let i = 0;
    while (i < list.length && list[i].ptr < ptr) i++;
    let range = { ptr, bytes };
    if (i > 0 && list[i - 1].ptr + list[i - 1].bytes === ptr) {
      range = list[i - 1];
      range.bytes += bytes;
      i--;
    } else list.splice(i, 0, range);
    const next = list[i + 1];
    if (next && range.ptr + range.bytes === next.ptr) {
      range.bytes += next.bytes;
      list.splice(i + 1, 1);
    }
    if (range.ptr + range.bytes === this.top) {
      this.top = range.ptr;
      list.splice(i, 1);
    }
  }

  /** A zero-filled storage for `length` elements of `dtype`. */
  alloc(dtype: DType, length: number, zero = true): WasmStorage {
    const bytes = length * ITEM_BYTES[dtype];
    const [ptr, blockBytes, fresh] = this.allocBlock(bytes);
    const s = new WasmStorage(this, dtype, length, ptr, blockBytes);
    // a fresh block is zero already: not writing it also leaves its pages untouched (not yet
    // resident) until they are used, so a model's weights are touched once, when they are loaded
    if (zero && !fresh) s.data.fill(0);
    // The finalizer is the safety net for storages never released. A small one is registered
    // only if it is still in use GRACE allocations later: an op's output released soon after
    // (the common case, in tidy() or by dispose()) then never pays for it. Until then it is held
    // here, so at most 2·GRACE small blocks (≤ 16 MiB) wait longer for the collector.
    if (blockBytes > PAGE) this.track(s);
    else if (this.untracked.push(s) >= 2 * GRACE) this.trackSurvivors();
    return s;
  }

  private track(s: WasmStorage): void {
    s.tracked = true;
    this.finalizer.register(s, [s.ptr, s.blockBytes], s);
  }

  /** Registers the finalizers of the older half of the waiting storages still in use (each has had ≥ GRACE allocations). */
  private trackSurvivors(): void {
    const list = this.untracked;
    for (let i = 0; i < GRACE; i++) if (!list[i].released) this.track(list[i]);
    list.copyWithin(0, GRACE);
    list.length -= GRACE;
  }

  /** A typed array over `length` elements of `dtype` at byte address ptr. */
  view(dtype: DType, ptr: number, length: number): TypedArray {
    return view(this.buffer, dtype, ptr, length);
  }

  release(s: WasmStorage): void {
    if (s.released) return;
    s.released = true;
    if (s.tracked) this.finalizer.unregister(s);
    this.releaseBlock(s.ptr, s.blockBytes);
  }
}

function view(buffer: ArrayBufferLike, dtype: DType, ptr: number, length: number): TypedArray {
  switch (dtype) {
    case "float32":
      return new Float32Array(buffer, ptr, length);
    case "float64":
      return new Float64Array(buffer, ptr, length);
    case "int32":
      return new Int32Array(buffer, ptr, length);
    case "bool":
      return new Uint8Array(buffer, ptr, length);
  }
}
