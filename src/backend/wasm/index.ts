// The WebAssembly backend: tensors live in one shared WebAssembly memory; the kernels that pay
// (matrix products first) run as SIMD code compiled from AssemblyScript, and every other kernel
// is the reference one, running directly on views of that memory (no copies in or out).
import { jsBackend } from "../js/index.js";
import { stridedOffsets } from "../js/storage.js";
import type { Backend, DType, MatmulSpec, Storage, TypedArray } from "../types.js";
import { WasmHeap, WasmStorage } from "./heap.js";
import { KERNELS_RELAXED, KERNELS_SIMD } from "./kernels.generated.js";

interface KernelExports {
  matmulF32(a: number, aRow: number, aCol: number, b: number, bRow: number, bCol: number, c: number, m: number, k: number, n: number, rowStart: number, rowEnd: number, scratch: number): void;
  matmulScratchBytes(k: number, n: number): number;
}

function decodeBase64(b64: string): Uint8Array<ArrayBuffer> {
  if (typeof atob === "function") {
    const bin = atob(b64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return bytes;
  }
  throw new Error("wasm backend: no base64 decoder (atob) in this runtime");
}

/** Which instruction set the runtime accepts: relaxed SIMD (fused multiply-add) or plain SIMD. */
export function wasmFeatures(): { simd: boolean; relaxedSimd: boolean } {
  if (typeof WebAssembly === "undefined") return { simd: false, relaxedSimd: false };
  return { simd: WebAssembly.validate(decodeBase64(KERNELS_SIMD)), relaxedSimd: WebAssembly.validate(decodeBase64(KERNELS_RELAXED)) };
}

export interface WasmBackend extends Backend {
  readonly heap: WasmHeap;
  readonly variant: "relaxed-simd" | "simd";
}

/**
 * Compiles the kernels and returns a backend (synchronously: fine in Node and workers; browsers'
 * main threads may refuse synchronous compilation of large modules, ours is a few KB).
 */
export function createWasmBackend(opts: { variant?: "relaxed-simd" | "simd" } = {}): WasmBackend {
  const features = wasmFeatures();
  if (!features.simd) throw new Error("wasm backend: this runtime has no WebAssembly SIMD");
  const variant = opts.variant ?? (features.relaxedSimd ? "relaxed-simd" : "simd");
  if (variant === "relaxed-simd" && !features.relaxedSimd) throw new Error("wasm backend: relaxed SIMD is not available here (Node 20 needs --experimental-wasm-relaxed-simd; importing decoding-gpt in Node sets it)");
  const heap = new WasmHeap();
  const module = new WebAssembly.Module(decodeBase64(variant === "relaxed-simd" ? KERNELS_RELAXED : KERNELS_SIMD));
  const instance = new WebAssembly.Instance(module, {
    env: {
      memory: heap.memory,
      abort: () => {
        throw new Error("wasm kernel aborted");
      },
    },
  });
  const k = instance.exports as unknown as KernelExports;

  const isWasmF32 = (...ss: Storage[]) => ss.every((s) => s instanceof WasmStorage && s.dtype === "float32" && s.heap === heap);

  function matmul(a: Storage, b: Storage, out: Storage, spec: MatmulSpec): void {
    if (!isWasmF32(a, b, out)) return jsBackend.matmul(a, b, out, spec);
    const { m, k: kk, n, transA, transB } = spec;
    const A = a as WasmStorage;
    const B = b as WasmStorage;
    const C = out as WasmStorage;
    const aOff = stridedOffsets(spec.batchShape, spec.aBatchStrides);
    const bOff = stridedOffsets(spec.batchShape, spec.bBatchStrides);
    const [scratch, scratchBytes] = heap.allocBlock(k.matmulScratchBytes(kk, n));
    try {
      for (let i = 0; i < aOff.length; i++) {
        k.matmulF32(
          A.ptr + aOff[i] * 4, transA ? 1 : kk, transA ? m : 1,
          B.ptr + bOff[i] * 4, transB ? 1 : n, transB ? kk : 1,
          C.ptr + i * m * n * 4, m, kk, n, 0, m, scratch,
        );
      }
    } finally {
      heap.releaseBlock(scratch, scratchBytes);
    }
  }

  return {
    ...jsBackend,
    name: "wasm",
    heap,
    variant,
    alloc: (dtype: DType, length: number) => heap.alloc(dtype, length),
    fromArray: (data: TypedArray) => {
      const dtype: DType = data instanceof Float32Array ? "float32" : data instanceof Float64Array ? "float64" : data instanceof Int32Array ? "int32" : "bool";
      const s = heap.alloc(dtype, data.length, false);
      s.data.set(data);
      return s;
    },
    dispose: (s: Storage) => {
      if (s instanceof WasmStorage && s.heap === heap) heap.release(s);
    },
    matmul,
  };
}
