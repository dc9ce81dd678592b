// The optional native tier in Node: an AVX2+FMA matrix multiply (native/sgemm.c) that works in
// place on the WebAssembly backend's shared memory. Built at `npm install` when a C compiler is
// there; absent, unsupported (no AVX2) or disabled with DGPT_NATIVE=0, the wasm kernels are used.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { stridedOffsets } from "../js/storage.js";
import type { Backend, MatmulSpec, Storage } from "../types.js";
import type { WasmBackend } from "../wasm/index.js";
import { WasmStorage } from "../wasm/heap.js";

interface NativeAddon {
  /** The first argument is any typed array over the memory the byte offsets point into. */
  sgemm(memory: Uint8Array, a: number, aRow: number, aCol: number, b: number, bRow: number, bCol: number, c: number, m: number, k: number, n: number, threads: number): void;
  supported(): boolean;
}

function findAddon(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const p = join(dir, "native", "build", "dgpt_native.node");
    if (existsSync(p)) return p;
    dir = dirname(dir);
  }
  return null;
}

/** The addon, or null (with the reason) when it cannot be used here. */
export function loadNative(): { addon: NativeAddon | null; reason: string } {
  if (process.env.DGPT_NATIVE === "0") return { addon: null, reason: "disabled by DGPT_NATIVE=0" };
  const path = findAddon();
  if (!path) return { addon: null, reason: "not built (npm install builds it where a C compiler exists)" };
  try {
    const addon = createRequire(import.meta.url)(path) as NativeAddon;
    if (!addon.supported()) return { addon: null, reason: "this CPU lacks AVX2/FMA" };
    return { addon, reason: "" };
  } catch (err) {
    return { addon: null, reason: `could not load ${path}: ${(err as Error).message}` };
  }
}

/**
 * The wasm backend's matmul, replaced for float32 by the native kernel (on `threads` threads of
 * its own); anything else goes to the original.
 */
export function withNativeMatmul(be: WasmBackend, addon: NativeAddon, threads: number): Backend["matmul"] {
  const memory = new Uint8Array(be.heap.memory.buffer, 0, 1);
  const fallback = be.matmul;
  const ours = (s: Storage) => s instanceof WasmStorage && s.heap === be.heap && s.dtype === "float32";
  return (a: Storage, b: Storage, out: Storage, spec: MatmulSpec) => {
    if (!ours(a) || !ours(b) || !ours(out)) return fallback(a, b, out, spec);
    const { m, k, n, transA, transB } = spec;
    const aOff = stridedOffsets(spec.batchShape, spec.aBatchStrides);
    const bOff = stridedOffsets(spec.batchShape, spec.bBatchStrides);
    const A = (a as WasmStorage).ptr;
    const B = (b as WasmStorage).ptr;
    const C = (out as WasmStorage).ptr;
    for (let i = 0; i < aOff.length; i++) {
      addon.sgemm(memory, A + aOff[i] * 4, transA ? 1 : k, transA ? m : 1, B + bOff[i] * 4, transB ? 1 : n, transB ? k : 1, C + i * m * n * 4, m, k, n, threads);
    }
  };
}
