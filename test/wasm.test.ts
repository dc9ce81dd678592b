// The WebAssembly backend against the reference backend: every fast kernel must equal the
// reference within float32 tolerance on random shapes, odd sizes and transposes included.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createWasmBackend, jsBackend, wasmFeatures, type MatmulSpec } from "../src/backend/index.js";
import { Generator } from "../src/index.js";
import { runAttention } from "./browser/kernel-cases.js";

const variants = (["simd", "relaxed-simd"] as const).filter((v) => (v === "simd" ? wasmFeatures().simd : wasmFeatures().relaxedSimd));

test("this Node runs WebAssembly SIMD (and relaxed SIMD with the flag the test script passes)", () => {
  assert.ok(wasmFeatures().simd);
  assert.ok(wasmFeatures().relaxedSimd, "npm test runs node with --experimental-wasm-relaxed-simd");
});

function randomArray(g: Generator, n: number): Float32Array {
  return Float32Array.from({ length: n }, () => g.normal());
}

for (const variant of variants) {
  const wasm = createWasmBackend({ variant });
  test(`${variant}: matmul equals the reference in all transpose forms, odd and batched shapes`, () => {
    const g = new Generator(42);
    // (1–3 rows take the unpacked matrix-vector path: 37 and 70 columns reach its vector loops and tails)
    const shapes: [number, number, number][] = [[1, 1, 1], [1, 7, 1], [3, 5, 2], [4, 8, 8], [5, 9, 17], [13, 1, 9], [33, 65, 31], [64, 64, 64], [7, 300, 11], [130, 257, 3], [1, 130, 37], [3, 67, 70], [2, 16, 128]];
    for (const [m, k, n] of shapes) {
      for (const transA of [false, true]) {
        for (const transB of [false, true]) {
          for (const batch of [[], [3], [2, 1]] as number[][]) {
            const bCount = batch.reduce((a, b) => a * b, 1);
            const bBatch = batch.length === 2 ? [2, 3] : batch; // broadcast A's second batch dim against B's
            const outBatch = batch.length === 2 ? [2, 3] : batch;
            const bCountB = bBatch.reduce((a, b) => a * b, 1);
            const A = randomArray(g, bCount * m * k);
            const B = randomArray(g, bCountB * k * n);
            const spec: MatmulSpec = {
              batchShape: outBatch, m, k, n, transA, transB,
              aBatchStrides: batch.length === 2 ? [m * k, 0] : batch.map(() => m * k),
              bBatchStrides: bBatch.length === 2 ? [3 * k * n, k * n] : bBatch.map(() => k * n),
            };
            const outLen = outBatch.reduce((a, b) => a * b, 1) * m * n;
            const ref = jsBackend.alloc("float32", outLen);
            jsBackend.matmul(jsBackend.fromArray(A), jsBackend.fromArray(B), ref, spec);
            const got = wasm.alloc("float32", outLen);
            wasm.matmul(wasm.fromArray(A), wasm.fromArray(B), got, spec);
            const r = jsBackend.read(ref);
            const w = wasm.read(got);
            for (let i = 0; i < outLen; i++) {
              const tol = 1e-5 * Math.sqrt(k) * (1 + Math.abs(r[i]));
              if (Math.abs(r[i] - w[i]) > tol) assert.fail(`m=${m} k=${k} n=${n} transA=${transA} transB=${transB} batch=[${batch}] at ${i}: ${w[i]} vs ${r[i]}`);
            }
          }
        }
      }
    }
  });
}

test("the heap reuses freed blocks, so repeated allocation stays flat", () => {
  const wasm = createWasmBackend();
  for (let i = 0; i < 1000; i++) {
    const s = wasm.alloc("float32", 1000 + (i % 7));
    wasm.dispose(s);
  }
  assert.ok(wasm.heap.reservedBytes < 1 << 20, `reserved ${wasm.heap.reservedBytes}`);
  assert.equal(wasm.heap.bytesInUse, 0);
  const a = wasm.alloc("float32", 10);
  assert.deepEqual([...wasm.read(a)], new Array(10).fill(0), "fresh storage is zero-filled even when the block is reused");
  // a block of a new small size class opens an arena; only the block counts as in use
  const [inUse, peak] = [wasm.heap.bytesInUse, wasm.heap.peakBytes];
  wasm.alloc("float32", 3000); // 12 KB → a 16 KiB class not used above
  assert.equal(wasm.heap.bytesInUse - inUse, 16384);
  assert.ok(wasm.heap.peakBytes <= Math.max(peak, inUse + 16384), `peak ${wasm.heap.peakBytes}`);
});

test("large blocks are cut from freed ranges of any size and merge back, so the heap does not grow per size", () => {
  const wasm = createWasmBackend();
  const MiB = 1 << 20;
  const ptr = (s: unknown) => (s as { ptr: number }).ptr;
  const a = wasm.alloc("float32", MiB); // 4 MiB
  const b = wasm.alloc("float32", MiB / 2); // 2 MiB, after a
  const reserved = wasm.heap.reservedBytes;
  wasm.read(a).fill(7);
  wasm.dispose(a);
  const c = wasm.alloc("float32", (3 * MiB) / 4); // 3 MiB: the front of a's range
  const d = wasm.alloc("float32", MiB / 4); // 1 MiB: the rest of it
  assert.equal(ptr(c), ptr(a));
  assert.equal(ptr(d), ptr(a) + 3 * MiB);
  assert.equal(wasm.heap.reservedBytes, reserved, "no growth: both fit where a was");
  assert.ok(wasm.read(c).every((x) => x === 0) && wasm.read(d).every((x) => x === 0), "reused memory is zero-filled");
  // freed in any order, neighbours merge: one 6 MiB block then fits without growing
  for (const s of [c, b, d]) wasm.dispose(s);
  assert.equal(wasm.heap.bytesInUse, 0);
  const e = wasm.alloc("float32", (6 * MiB) / 4);
  assert.equal(ptr(e), ptr(a));
  assert.equal(wasm.heap.reservedBytes, reserved);
});

test("two threads give bit-identical results run to run, equal to one thread within float32 rounding", async () => {
  const { spawnNodeWorker } = await import("../src/backend/wasm/threads.node.js");
  const one = createWasmBackend({ threads: 1 });
  const two = createWasmBackend({ threads: 2, spawn: spawnNodeWorker });
  try {
    await two.ready();
    const g = new Generator(5);
    for (const [batch, m, k, n] of [[1, 130, 70, 90], [6, 33, 17, 40], [48, 16, 32, 16]]) {
      const A = randomArray(g, batch * m * k);
      const B = randomArray(g, batch * k * n);
      const spec: MatmulSpec = { batchShape: [batch], aBatchStrides: [m * k], bBatchStrides: [k * n], m, k, n, transA: false, transB: true };
      const run = (be: typeof one) => {
        const out = be.alloc("float32", batch * m * n);
        be.matmul(be.fromArray(A), be.fromArray(B), out, spec);
        return Float32Array.from(be.read(out));
      };
      const r1 = run(one);
      const r2a = run(two);
      const r2b = run(two);
      assert.deepEqual(r2a, r2b, "same thread count, same bits");
      for (let i = 0; i < r1.length; i++) assert.ok(Math.abs(r1[i] - r2a[i]) <= 1e-5 * (1 + Math.abs(r1[i])));
    }
  } finally {
    two.terminate();
  }
});

test("fused attention forward and backward equal the reference (causal and not, odd sizes, 2 threads)", async () => {
  const { spawnNodeWorker } = await import("../src/backend/wasm/threads.node.js");
  const backends = [...variants.map((variant) => createWasmBackend({ variant })), createWasmBackend({ threads: 2, spawn: spawnNodeWorker })];
  await backends[backends.length - 1].ready();
  const g = new Generator(9);
  try {
    for (const [batch, tq, tk, d, heads] of [[1, 1, 1, 1, 0], [3, 5, 5, 7, 0], [2, 3, 8, 4, 0], [48, 16, 16, 32, 0], [4, 33, 33, 17, 0], [6, 5, 5, 7, 3], [8, 3, 9, 4, 4], [2, 70, 300, 20, 0], [4, 100, 100, 24, 2], [2, 1, 37, 8, 0]]) {
      for (const causal of [false, true]) {
        const spec = { batch, tq, tk, dHead: d, scale: 1 / Math.sqrt(d), causal, ...(heads ? { layout: "bthd" as const, heads } : {}) };
        const inputs = [batch * tq * d, batch * tk * d, batch * tk * d, batch * tq * d].map((n) => randomArray(g, n));
        const run = (be: typeof jsBackend) => runAttention(be, spec, inputs);
        const ref = run(jsBackend);
        for (const be of backends) {
          run(be).forEach((got, which) => {
            got.forEach((x, i) => {
              const r = ref[which][i];
              if (!(Math.abs(x - r) <= 2e-5 * (1 + Math.abs(r)))) assert.fail(`${be.name}/${(be as { variant?: string }).variant} [${batch},${tq},${tk},${d}] causal=${causal} output ${which} at ${i}: ${x} vs ${r}`);
            });
          });
        }
      }
    }
  } finally {
    for (const be of backends) be.terminate();
  }
});

test("a kernel part that fails on a worker thread throws to the caller, and the pool keeps working", async () => {
  const { spawnNodeWorker } = await import("../src/backend/wasm/threads.node.js");
  const be = createWasmBackend({ threads: 2, spawn: spawnNodeWorker });
  try {
    await be.ready();
    const out = be.alloc("float32", 64) as unknown as { ptr: number };
    const ONE = 0x3f800000; // 1.0f as bits
    // ewFill32(ptr, n, bits) on this thread, with the bounds check WebAssembly makes (a trap)
    const here = ([ptr, n]: number[]) => {
      if (ptr + 4 * n > be.heap.memory.buffer.byteLength) throw new RangeError("memory access out of bounds");
      new Float32Array(be.heap.memory.buffer, ptr, n).fill(1);
    };
    const beyond = be.heap.memory.buffer.byteLength + 4096;
    for (let round = 0; round < 20; round++) {
      // part 1 (offered to the worker) writes past the memory: whoever runs it, the caller gets the error
      assert.throws(() => be.parallel("ewFill32", [[out.ptr, 64, ONE], [beyond, 64, ONE]], here), /out of bounds/);
      // and the next job runs normally on both threads
      (be.read(out as never) as Float32Array).fill(0);
      be.parallel("ewFill32", [[out.ptr, 32, ONE], [out.ptr + 128, 32, ONE]], here);
      assert.deepEqual(Array.from(be.read(out as never)), new Array(64).fill(1));
    }
  } finally {
    be.terminate();
  }
});
