// The WebAssembly neural-network kernels (softmax, LayerNorm, index_select/index_add,
// gather/scatter_add, Adam/AdamW) against the reference backend: random shapes with odd sizes,
// 1-element dims and lengths that are not multiples of the SIMD width, masked (−∞) softmax
// inputs, repeated indices; both instruction sets, and two threads bit-identical run to run.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createWasmBackend, jsBackend, wasmFeatures, type AdamWSpec, type AxisSpec, type Backend, type RowSpec, type Storage, type WasmBackend } from "../src/backend/index.js";
import { Generator } from "../src/index.js";

const variants = (["simd", "relaxed-simd"] as const).filter((v) => (v === "simd" ? wasmFeatures().simd : wasmFeatures().relaxedSimd));
const backends: WasmBackend[] = variants.map((variant) => createWasmBackend({ variant }));

function normals(g: Generator, n: number, scale = 1, shift = 0): Float32Array {
  return Float32Array.from({ length: n }, () => g.normal() * scale + shift);
}

function ints(g: Generator, n: number, below: number): Int32Array {
  return Int32Array.from({ length: n }, () => Math.floor(g.random() * below));
}

/** got ≈ want elementwise: |got − want| ≤ atol + rtol·|want|; NaN only where want is NaN, ±∞ exactly. */
function close(what: string, got: ArrayLike<number>, want: ArrayLike<number>, rtol: number, atol = rtol): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    const [a, b] = [got[i], want[i]];
    if (Number.isNaN(b) ? Number.isNaN(a) : !Number.isFinite(b) ? a === b : Math.abs(a - b) <= atol + rtol * Math.abs(b)) continue;
    assert.fail(`${what} at ${i}: got ${a}, want ${b}`);
  }
}

function same(what: string, got: ArrayLike<number>, want: ArrayLike<number>): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], want[i])) assert.fail(`${what} at ${i}: got ${got[i]}, want exactly ${want[i]}`);
  }
}

/** Runs `fn` on a backend with its inputs copied in; returns copies of the storages it names. */
function on<T extends Storage[]>(be: Backend, inputs: (Float32Array | Int32Array)[], fn: (s: Storage[]) => T): Float32Array[] {
  const s = inputs.map((a) => be.fromArray(a));
  return fn(s).map((x) => Float32Array.from(be.read(x)));
}

const label = (be: Backend) => `${be.name}/${(be as WasmBackend).variant}/${(be as WasmBackend).threads}T`;

// ------------------------------------------------------------------ softmax
const softmaxShapes: [number, number, number][] = [[1, 1, 1], [3, 5, 1], [7, 64, 1], [1, 13, 1], [4, 4, 1], [6, 33, 1], [2, 100, 1], [2, 9, 3], [4, 4, 5], [5, 1, 7], [2, 17, 6], [1, 3, 4], [3, 7, 9]];

/** Normal inputs, scaled up, with about a fifth masked to −∞; one fully masked row (or column). */
function softmaxInput(g: Generator, [outer, dim, inner]: [number, number, number], mask: boolean): Float32Array {
  const x = normals(g, outer * dim * inner, 8);
  if (!mask) return x;
  for (let i = 0; i < x.length; i++) if (g.random() < 0.2) x[i] = -Infinity;
  if (outer > 1) for (let j = 0; j < dim; j++) x[(outer - 1) * dim * inner + j * inner] = -Infinity;
  return x;
}

test("softmax and log-softmax equal the reference along any axis, masked rows included", () => {
  const g = new Generator(1);
  for (const shape of softmaxShapes) {
    const [outer, dim, inner] = shape;
    const spec: AxisSpec = { outer, dim, inner };
    for (const mask of [false, true]) {
      const x = softmaxInput(g, shape, mask);
      const dy = normals(g, x.length);
      for (const log of [false, true]) {
        const fwd = (be: Backend) => on(be, [x], ([xs]) => {
          const out = be.alloc("float32", x.length);
          be.softmax(xs, out, spec, log);
          return [out];
        })[0];
        const yRef = fwd(jsBackend);
        const bwd = (be: Backend) => on(be, [yRef, dy], ([ys, dys]) => {
          const dx = be.alloc("float32", x.length);
          be.softmaxBackward(ys, dys, dx, spec, log);
          return [dx];
        })[0];
        const dxRef = bwd(jsBackend);
        for (const be of backends) {
          const what = `${label(be)} ${log ? "log-" : ""}softmax [${shape}] mask=${mask}`;
          close(`${what} forward`, fwd(be), yRef, log ? 1e-6 : 1e-6, log ? 1e-6 : 1e-7);
          close(`${what} backward`, bwd(be), dxRef, 2e-6, 2e-6);
        }
      }
    }
  }
});

test("a fully masked softmax row is NaN and a partly masked one is 0 (log: −∞) where masked, like the reference; NaN spreads over its row", () => {
  for (const be of backends) {
    for (const log of [false, true]) {
      const x = Float32Array.from([-Infinity, -Infinity, -Infinity, -Infinity, -Infinity, 0, -Infinity, 1, 2, 1, NaN, 2]);
      const [y] = on(be, [x], ([xs]) => {
        const out = be.alloc("float32", 12);
        be.softmax(xs, out, { outer: 4, dim: 3, inner: 1 }, log);
        return [out];
      });
      assert.ok(y.slice(0, 3).every(Number.isNaN), `${label(be)} fully masked row: ${y}`);
      assert.ok(y.slice(9).every(Number.isNaN), `${label(be)} row with a NaN: ${y}`);
      assert.deepEqual([y[3], y[4], y[6]], log ? [-Infinity, -Infinity, -Infinity] : [0, 0, 0]);
      assert.ok(Math.abs(y[5] - (log ? 0 : 1)) < 1e-7);
    }
  }
});

// ------------------------------------------------------------------ softmax + cross-entropy
test("fused softmax + cross-entropy forward and backward equal the reference (odd class counts, ignored rows, smoothing, GPT-2's vocabulary)", () => {
  const g = new Generator(8);
  for (const [rows, C] of [[1, 1], [5, 3], [7, 65], [3, 130], [2, 50257]]) {
    for (const eps of [0, 0.1]) {
      const x = normals(g, rows * C, 3);
      const t = Int32Array.from({ length: rows }, (_, r) => (r % 4 === 2 ? -100 : Math.floor(g.random() * C)));
      const dl = normals(g, rows);
      const spec = { rows, classes: C, ignoreIndex: -100, labelSmoothing: eps };
      const run = (be: Backend) => on(be, [x, t, dl], ([xs, ts, gs]) => {
        const [loss, lse, dx] = [be.alloc("float32", rows), be.alloc("float32", rows), be.alloc("float32", rows * C)];
        be.crossEntropy(xs, ts, loss, lse, spec);
        be.crossEntropyBackward(xs, ts, lse, gs, dx, spec);
        return [loss, lse, dx];
      });
      const ref = run(jsBackend);
      for (const be of backends) {
        const got = run(be);
        const what = `${label(be)} crossEntropy [${rows}, ${C}] eps=${eps}`;
        close(`${what} loss`, got[0], ref[0], 2e-6, 2e-6);
        close(`${what} lse`, got[1], ref[1], 2e-6, 2e-6);
        close(`${what} dx`, got[2], ref[2], 1e-5, 1e-7);
      }
    }
  }
});

// ------------------------------------------------------------------ LayerNorm
test("LayerNorm and RMSNorm forward and backward equal the reference, with and without weight and bias; dw, db accumulate", () => {
  const g = new Generator(2);
  const shapes: [number, number][] = [[1, 1], [3, 5], [4, 3], [2, 33], [5, 64], [7, 128], [3, 130], [1, 7]];
  for (const [[rows, d], rms] of shapes.flatMap((s) => [[s, false], [s, true]] as const)) {
    const spec: RowSpec = { rows, d, rms };
    const x = normals(g, rows * d, 3, 5);
    const dy = normals(g, rows * d);
    const w = normals(g, d, 0.5, 1);
    const b = normals(g, d);
    const dw0 = normals(g, d);
    const db0 = normals(g, d);
    for (const [hasW, hasB] of [[true, true], [true, false], [false, true], [false, false]]) {
      const run = (be: Backend) => on(be, [x, w, b, dy, dw0, db0], ([xs, ws, bs, dys, dws, dbs]) => {
        const out = be.alloc("float32", rows * d);
        const mean = be.alloc("float32", rows);
        const rstd = be.alloc("float32", rows);
        be.layerNorm(xs, hasW ? ws : null, hasB ? bs : null, out, mean, rstd, spec, 1e-5);
        const dx = be.alloc("float32", rows * d);
        be.layerNormBackward(dys, xs, mean, rstd, hasW ? ws : null, dx, hasW ? dws : null, hasB ? dbs : null, spec);
        return [out, mean, rstd, dx, dws, dbs];
      });
      const ref = run(jsBackend);
      for (const be of backends) {
        const got = run(be);
        const what = `${label(be)} ${rms ? "RMSNorm" : "LayerNorm"} [${rows}, ${d}] w=${hasW} b=${hasB}`;
        close(`${what} out`, got[0], ref[0], 2e-6, 2e-6);
        close(`${what} mean`, got[1], ref[1], 1e-6);
        close(`${what} rstd`, got[2], ref[2], 2e-6);
        close(`${what} dx`, got[3], ref[3], 1e-5, 1e-5);
        close(`${what} dw`, got[4], ref[4], 1e-5, 1e-5);
        close(`${what} db`, got[5], ref[5], 1e-5, 1e-5);
      }
    }
  }
});

// ------------------------------------------------------------------ embedding gather / scatter-add
test("indexSelect equals the reference and indexAdd is bit-identical to it with repeated indices", () => {
  const g = new Generator(3);
  const cases: [number, number, number, number][] = [[1, 1, 1, 3], [2, 5, 3, 7], [1, 50, 128, 300], [3, 4, 1, 10], [2, 7, 6, 5], [1, 9, 13, 40], [1, 3, 4, 1]];
  for (const [outer, dim, inner, n] of cases) {
    const spec: AxisSpec = { outer, dim, inner };
    const idx = ints(g, n, dim);
    if (n > 2) idx[n - 1] = idx[0]; // at least one repeat
    const x = normals(g, outer * dim * inner);
    const xi = ints(g, outer * dim * inner, 1000);
    const dout = normals(g, outer * n * inner);
    const dx0 = normals(g, outer * dim * inner);
    const sel = (be: Backend, data: Float32Array | Int32Array) => {
      const s = be.fromArray(data);
      const out = be.alloc(data instanceof Int32Array ? "int32" : "float32", outer * n * inner);
      be.indexSelect(s, be.fromArray(idx), out, spec);
      return Array.from(be.read(out));
    };
    const add = (be: Backend) => on(be, [dout, idx, dx0], ([ds, is, dxs]) => {
      be.indexAdd(ds, is, dxs, spec);
      return [dxs];
    })[0];
    for (const be of backends) {
      const what = `${label(be)} [${outer}, ${dim}, ${inner}] n=${n}`;
      same(`${what} indexSelect`, sel(be, x), sel(jsBackend, x));
      same(`${what} indexSelect int32`, sel(be, xi), sel(jsBackend, xi));
      same(`${what} indexAdd`, add(be), add(jsBackend));
    }
  }
});

test("gather equals the reference and scatterAdd is bit-identical to it (cross-entropy's shape included)", () => {
  const g = new Generator(4);
  const cases: [number[], number, number[]][] = [
    [[5, 10], 1, [5, 1]], [[3, 4, 5], 1, [3, 7, 5]], [[4, 6], 0, [9, 6]], [[2, 3, 4], 2, [2, 3, 2]], [[7], 0, [12]], [[1, 1], 0, [1, 1]],
    [[5, 10], 1, [3, 1]], // index smaller than x off the gather dim: the reference path
  ];
  for (const [xShape, dim, indexShape] of cases) {
    const xn = xShape.reduce((a, b) => a * b, 1);
    const n = indexShape.reduce((a, b) => a * b, 1);
    const x = normals(g, xn);
    const idx = ints(g, n, xShape[dim]);
    const src = normals(g, n);
    const gat = (be: Backend) => on(be, [x, idx], ([xs, is]) => {
      const out = be.alloc("float32", n);
      be.gather(xs, xShape, is, indexShape, dim, out);
      return [out];
    })[0];
    const sca = (be: Backend) => on(be, [x, idx, src], ([ts, is, ss]) => {
      be.scatterAdd(ts, xShape, is, indexShape, ss, dim);
      return [ts];
    })[0];
    for (const be of backends) {
      const what = `${label(be)} x=[${xShape}] dim=${dim} index=[${indexShape}]`;
      same(`${what} gather`, gat(be), gat(jsBackend));
      same(`${what} scatterAdd`, sca(be), sca(jsBackend));
    }
  }
});

// ------------------------------------------------------------------ Adam / AdamW
test("AdamW and Adam (L2) steps equal the reference over several steps", () => {
  const g = new Generator(5);
  for (const n of [1, 3, 17, 1000, 4099]) {
    for (const decoupled of [true, false]) {
      const p = normals(g, n);
      const m0 = normals(g, n, 0.01);
      const v0 = Float32Array.from(normals(g, n, 0.01), (a) => a * a);
      const grads = [0, 1, 2].map(() => normals(g, n));
      const run = (be: Backend) => on(be, [p, m0, v0, ...grads], ([ps, ms, vs, ...gs]) => {
        gs.forEach((gr, i) => {
          const spec: AdamWSpec = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1, step: 1 + i * 4, decoupled };
          be.adamw([{ p: ps, g: gr, m: ms, v: vs }], spec);
        });
        return [ps, ms, vs];
      });
      const ref = run(jsBackend);
      for (const be of backends) {
        const got = run(be);
        const what = `${label(be)} n=${n} decoupled=${decoupled}`;
        close(`${what} p`, got[0], ref[0], 1e-6, 1e-8);
        close(`${what} m`, got[1], ref[1], 1e-6, 6e-8); // 0.9·m + 0.1·g cancels: absolute error ~ 0.1·ulp(g)
        close(`${what} v`, got[2], ref[2], 1e-6, 1e-12);
      }
    }
  }
});

// ------------------------------------------------------------------ two threads
test("two threads: every kernel is bit-identical run to run and equals the reference", async () => {
  const { spawnNodeWorker } = await import("../src/backend/wasm/threads.node.js");
  const two = createWasmBackend({ threads: 2, spawn: spawnNodeWorker });
  try {
    await two.ready();
    const g = new Generator(6);
    const jobs: [string, (be: Backend) => Float32Array[], number][] = [];
    // softmax over rows (3072 × 64) and along a middle axis (big enough to split)
    for (const shape of [[3072, 64, 1], [1, 70_001, 1], [2, 70, 300], [1, 50, 1000]] as [number, number, number][]) {
      const [outer, dim, inner] = shape;
      const x = softmaxInput(g, shape, true);
      const dy = normals(g, x.length);
      for (const log of [false, true]) {
        jobs.push([`softmax [${shape}] log=${log}`, (be) => on(be, [x, dy], ([xs, dys]) => {
          const y = be.alloc("float32", x.length);
          const dx = be.alloc("float32", x.length);
          be.softmax(xs, y, { outer, dim, inner }, log);
          be.softmaxBackward(y, dys, dx, { outer, dim, inner }, log);
          return [y, dx];
        }), dim > 1000 ? 2e-5 : 2e-6]); // a float32 sum over 70k terms carries ~1e-5 of rounding
      }
    }
    // LayerNorm on nanoGPT's shape (and an odd one): dw, db from per-thread partials
    for (const [rows, d] of [[768, 128], [1001, 67], [1, 70_001]]) {
      const x = normals(g, rows * d, 2, 1);
      const dy = normals(g, rows * d);
      const w = normals(g, d, 0.5, 1);
      const b = normals(g, d);
      jobs.push([`LayerNorm [${rows}, ${d}]`, (be) => on(be, [x, w, b, dy], ([xs, ws, bs, dys]) => {
        const out = be.alloc("float32", rows * d);
        const mean = be.alloc("float32", rows);
        const rstd = be.alloc("float32", rows);
        be.layerNorm(xs, ws, bs, out, mean, rstd, { rows, d }, 1e-5);
        const [dx, dw, db] = [rows * d, d, d].map((n) => be.alloc("float32", n));
        be.layerNormBackward(dys, xs, mean, rstd, ws, dx, dw, db, { rows, d });
        return [out, mean, rstd, dx, dw, db];
      }), 2e-5]);
    }
    // embedding: 768 token ids out of 65, 128 features, lots of repeats
    {
      const [vocab, d, n] = [65, 128, 768];
      const idx = ints(g, n, vocab);
      const table = normals(g, vocab * d);
      const dout = normals(g, n * d);
      jobs.push(["indexSelect/indexAdd", (be) => on(be, [table, idx, dout], ([ts, is, ds]) => {
        const out = be.alloc("float32", n * d);
        be.indexSelect(ts, is, out, { outer: 1, dim: vocab, inner: d });
        const dt = be.alloc("float32", vocab * d);
        be.indexAdd(ds, is, dt, { outer: 1, dim: vocab, inner: d });
        return [out, dt];
      }), 0]);
    }
    // cross-entropy over a GPT-2-sized vocabulary, rows split over the threads
    {
      const [rows, C] = [24, 50257];
      const [x, dl] = [normals(g, rows * C, 2), normals(g, rows)];
      const t = Int32Array.from({ length: rows }, (_, r) => (r === 5 ? -100 : (r * 7919) % C));
      jobs.push(["crossEntropy", (be) => on(be, [x, t, dl], ([xs, ts, gs]) => {
        const spec = { rows, classes: C, ignoreIndex: -100, labelSmoothing: 0.1 };
        const [loss, lse, dx] = [be.alloc("float32", rows), be.alloc("float32", rows), be.alloc("float32", rows * C)];
        be.crossEntropy(xs, ts, loss, lse, spec);
        be.crossEntropyBackward(xs, ts, lse, gs, dx, spec);
        return [loss, lse, dx];
      }), 1e-5]);
    }
    // AdamW over 200k parameters in one tensor, and over a list of tensors in one call (the
    // thread split cuts inside tensors of every size; the bits must be the 1-thread bits)
    for (const sizes of [[200_003], [5, 70_001, 0, 17, 33_333, 1, 64, 100_000]]) {
      const data = sizes.map((n) => [normals(g, n), normals(g, n)]);
      const run = (be: Backend) =>
        on(be, data.flat(), (st) => {
          const list = sizes.map((n, i) => ({ p: st[2 * i], g: st[2 * i + 1], m: be.alloc("float32", n), v: be.alloc("float32", n) }));
          for (let step = 1; step <= 3; step++) be.adamw(list, { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1, step, decoupled: true });
          return list.flatMap(({ p, m, v }) => [p, m, v]);
        });
      jobs.push([`adamw over ${sizes.length} tensor(s)`, run, 1e-6]);
      jobs.push([`adamw over ${sizes.length} tensor(s), 2 threads vs 1`, (be) => (be === jsBackend ? run(createWasmBackend()) : run(be)), 0]);
    }
    for (const [what, run, tol] of jobs) {
      const a = run(two);
      const b = run(two);
      a.forEach((x, i) => same(`${what} output ${i}, run to run`, x, b[i]));
      const ref = run(jsBackend);
      a.forEach((x, i) => (tol === 0 ? same(`${what} output ${i} vs reference`, x, ref[i]) : close(`${what} output ${i} vs reference`, x, ref[i], tol, tol)));
    }
  } finally {
    two.terminate();
  }
});
