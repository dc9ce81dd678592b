// The optional native tier (AVX2+FMA matmul and attention on the wasm memory) against the
// reference kernels.
// Skipped where it is not built; in CI (a machine with a C compiler) it must be there.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createWasmBackend, jsBackend, type MatmulSpec } from "../src/backend/index.js";
import { loadNative, withNative, withNativeMatmul } from "../src/backend/native/native.node.js";
import { spawnNodeWorker } from "../src/backend/wasm/threads.node.js";
import { Generator } from "../src/index.js";
import { attentionCases, matmulCases, runAttention } from "./browser/kernel-cases.js";
import { precise, ulp } from "./precise-math.js";

const { addon, path, reason } = loadNative();

test("the native matmul equals the reference in all transpose forms, batched and odd shapes, 1 and 2 threads", { skip: addon === null && !process.env.CI ? reason : false }, async () => {
  assert.ok(addon, `CI builds the native tier: ${reason}`);
  const results = new Map<string, number[]>();
  for (const threads of [1, 2]) {
    const be = createWasmBackend({ threads, spawn: spawnNodeWorker, native: path });
    await be.ready();
    const matmul = withNativeMatmul(be, addon);
    const g = new Generator(3); // the same numbers for each thread count
    // sizes around the 6×16 tile, the 256-deep and 512-wide blocks, and each way of splitting work;
    // 1–3 rows take the matrix-vector kernel (odd k and n reach its tails; 1×1024×1000 splits columns)
    for (const [batch, m, k, n] of [[1, 1, 1, 1], [1, 5, 9, 17], [3, 33, 65, 31], [2, 130, 257, 45], [1, 200, 300, 100], [12, 64, 32, 64], [1, 7, 600, 530], [1, 300, 40, 20], [1, 64, 64, 64], [2, 1, 70, 3], [1, 3, 129, 70], [4, 2, 37, 45], [1, 1, 1024, 1000]]) {
      for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]]) {
        const A = Float32Array.from({ length: batch * m * k }, () => g.normal());
        const B = Float32Array.from({ length: batch * k * n }, () => g.normal());
        const spec: MatmulSpec = { batchShape: [batch], aBatchStrides: [m * k], bBatchStrides: [k * n], m, k, n, transA, transB };
        const ref = jsBackend.alloc("float32", batch * m * n);
        jsBackend.matmul(jsBackend.fromArray(A), jsBackend.fromArray(B), ref, spec);
        const out = be.alloc("float32", batch * m * n);
        const [a, b] = [be.fromArray(A), be.fromArray(B)];
        matmul(a, b, out, spec);
        const again = be.alloc("float32", batch * m * n);
        matmul(a, b, again, spec);
        const r = jsBackend.read(ref);
        const o = be.read(out);
        assert.deepEqual(Array.from(be.read(again)), Array.from(o), "bit-identical run to run");
        const key = `${batch},${m},${k},${n},${transA},${transB}`;
        if (results.has(key)) assert.deepEqual(Array.from(o), results.get(key), `${key}: 2 threads give the bits 1 thread gives`);
        results.set(key, Array.from(o));
        for (let i = 0; i < r.length; i++) {
          if (!(Math.abs(o[i] - r[i]) <= 1e-5 * Math.sqrt(k) * (1 + Math.abs(r[i])))) assert.fail(`${threads} threads [${batch},${m},${k},${n}] tA=${transA} tB=${transB} at ${i}: ${o[i]} vs ${r[i]}`);
        }
      }
    }
    be.terminate();
  }
});

test("two backends (two memories) can use the native matmul side by side", { skip: addon === null && !process.env.CI ? reason : false }, () => {
  assert.ok(addon, reason);
  const g = new Generator(4);
  const [b1, b2] = [createWasmBackend(), createWasmBackend()];
  const [m1, m2] = [withNativeMatmul(b1, addon), withNativeMatmul(b2, addon)];
  const spec: MatmulSpec = { batchShape: [], aBatchStrides: [], bBatchStrides: [], m: 40, k: 30, n: 20, transA: false, transB: false };
  const A = Float32Array.from({ length: 1200 }, () => g.normal());
  const B = Float32Array.from({ length: 600 }, () => g.normal());
  const ref = jsBackend.alloc("float32", 800);
  jsBackend.matmul(jsBackend.fromArray(A), jsBackend.fromArray(B), ref, spec);
  for (let round = 0; round < 3; round++) {
    for (const [be, mm] of [[b1, m1], [b2, m2]] as const) {
      const out = be.alloc("float32", 800);
      mm(be.fromArray(A), be.fromArray(B), out, spec);
      const o = be.read(out);
      const r = jsBackend.read(ref);
      for (let i = 0; i < 800; i++) assert.ok(Math.abs(o[i] - r[i]) <= 1e-4 * (1 + Math.abs(r[i])), `round ${round} at ${i}: ${o[i]} vs ${r[i]}`);
    }
  }
});

test("native attention forward+backward equals the reference: causal or not, T_q < T_k, odd sizes, both layouts, 1 and 2 threads", { skip: addon === null && !process.env.CI ? reason : false }, async () => {
  assert.ok(addon, reason);
  const seen = new Map<string, number[]>();
  for (const threads of [1, 2]) {
    const wasm = createWasmBackend({ threads, spawn: spawnNodeWorker, native: path });
    await wasm.ready();
    const be = withNative(wasm, addon);
    for (const r of [...attentionCases(be, `native ${threads}T`), ...matmulCases(be, `native ${threads}T`)]) assert.ok(r.ok, `${r.name}: ${r.detail}`);
    // the nanoGPT shape, a long context (more than one 6×16 tile band, keys past 256), a KV-cache step
    const g = new Generator(11);
    for (const [batch, tq, tk, d, heads, causal] of [[48, 64, 64, 32, 4, true], [4, 300, 300, 24, 2, true], [2, 70, 300, 20, 0, true], [3, 1, 40, 16, 0, true], [5, 33, 47, 9, 0, false]] as const) {
      const spec = { batch, tq, tk, dHead: d, scale: 1 / Math.sqrt(d), causal, ...(heads ? { layout: "bthd" as const, heads } : {}) };
      const inputs = [batch * tq * d, batch * tk * d, batch * tk * d, batch * tq * d].map((n) => Float32Array.from({ length: n }, () => g.normal()));
      const run = (b: typeof jsBackend) => runAttention(b, spec, inputs).flatMap((x) => Array.from(x));
      const got = run(be);
      const ref = run(jsBackend);
      for (let i = 0; i < ref.length; i++) {
        if (!(Math.abs(got[i] - ref[i]) <= 3e-5 * (1 + Math.abs(ref[i])))) assert.fail(`${threads}T [${batch},${tq},${tk},${d}] heads=${heads} causal=${causal} at ${i}: ${got[i]} vs ${ref[i]}`);
      }
      const key = `${batch},${tq},${tk},${d},${causal}`;
      if (seen.has(key)) assert.deepEqual(got, seen.get(key), `${key}: 2 threads give the bits 1 thread gives`);
      seen.set(key, got);
    }
    wasm.terminate();
  }
});

test("native GELU (exact erf) and its derivative are within a few float32 ulps of precise values, tails and specials included, 1 and 2 threads", { skip: addon === null && !process.env.CI ? reason : false }, async () => {
  assert.ok(addon, reason);
  const g = new Generator(12);
  const specials = [0, -0, 1e-30, -1e-30, 1e-3, -1e-3, 0.5, -0.5, -0.75, 2, -2, 5, -5, 9, -9, 13, -13, 14, -14, 20, -20, 1e30, -1e30, Infinity, -Infinity, NaN];
  const x = Float32Array.from([...specials, ...Array.from({ length: 40_003 }, (_, i) => (i % 2 ? 4 : 15) * g.normal())]);
  // the same bounds the WebAssembly kernels meet (test/wasm-elementwise.test.ts)
  const tolerance = { gelu_erf: [6, 0], gelu_erf_grad: [4, 4e-7] } as const;
  for (const threads of [1, 2]) {
    const wasm = createWasmBackend({ threads, spawn: spawnNodeWorker, native: path });
    await wasm.ready();
    const be = withNative(wasm, addon);
    for (const op of ["gelu_erf", "gelu_erf_grad"] as const) {
      const [ulps, abs] = tolerance[op];
      for (const n of [1, 7, 9, specials.length, x.length]) {
        const input = x.subarray(0, n);
        const out = be.alloc("float32", n);
        be.unary(op, be.fromArray(input), out);
        const o = be.read(out);
        for (let i = 0; i < n; i++) {
          const want = precise[op]!(input[i]);
          if (Number.isNaN(want)) assert.ok(Number.isNaN(o[i]), `${op}(${input[i]}) = ${o[i]}, want NaN`);
          else if (!(o[i] === want || Math.abs(o[i] - want) <= ulps * ulp(want) + abs)) assert.fail(`${threads}T ${op}(${input[i]}) = ${o[i]}, want ${want} (${(Math.abs(o[i] - want) / ulp(want)).toFixed(1)} ulps)`);
        }
      }
    }
    wasm.terminate();
  }
});
