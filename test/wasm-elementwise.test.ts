// The WebAssembly elementwise and reduction kernels against the reference backend: unary maps
// (the transcendental ones sampled over the whole float range, within a few float32 ulps), binary
// ops with broadcasting, where, strided gathers and scatter-adds, reductions over any dims, cumsum,
// fill and cast — on random shapes with odd sizes, 1-element and 0-size dims — for both builds,
// and bit-identical results run to run on two threads.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createWasmBackend, jsBackend, wasmFeatures, type Backend, type BinaryOp, type DType, type ReduceOp, type Storage, type TypedArray, type UnaryOp, type WasmBackend } from "../src/backend/index.js";
import { MIN_WORK_PER_THREAD } from "../src/backend/wasm/ops/elementwise.js";
import { Generator } from "../src/tensor/random.js";
import { precise, ulp } from "./precise-math.js";

const variants = (["simd", "relaxed-simd"] as const).filter((v) => (v === "simd" ? wasmFeatures().simd : wasmFeatures().relaxedSimd));
const backends = variants.map((variant) => createWasmBackend({ variant }));

// ---------------------------------------------------------------- helpers

/** A seeded uniform [0, 1) source (the project's generator), so failures reproduce. */
function rng(seed: number): () => number {
  const g = new Generator(seed);
  return () => g.random();
}

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

function contiguous(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length).fill(0);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    s[d] = acc;
    acc *= shape[d];
  }
  return s;
}

/** Strides of `inShape` seen from `outShape` (NumPy broadcasting: 0 on broadcast dims). */
function broadcastStrides(inShape: readonly number[], outShape: readonly number[]): number[] {
  const own = contiguous(inShape);
  const lead = outShape.length - inShape.length;
  return outShape.map((_, d) => (d < lead || inShape[d - lead] === 1 ? 0 : own[d - lead]));
}

/** Random float32s: mostly normal-ish, some zeros, with NaN/±Inf sprinkled in when `special`. */
function randomFloats(r: () => number, n: number, special = false): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = r();
    if (special && u < 0.03) a[i] = [NaN, Infinity, -Infinity, 0, -0][Math.floor(r() * 5)];
    else if (u < 0.08) a[i] = 0;
    else if (u < 0.12) a[i] = Math.round((r() - 0.5) * 6); // small integers: ties for max/min/eq
    else a[i] = (r() - 0.5) * 8 * Math.exp((r() - 0.5) * 6);
  }
  return a;
}

function fromArray(be: Backend, data: TypedArray): Storage {
  return be.fromArray(data);
}

function read(be: Backend, s: Storage): TypedArray {
  return be.read(s).slice();
}

function sameValue(a: number, b: number): boolean {
  return a === b || (Number.isNaN(a) && Number.isNaN(b));
}

function assertExact(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) if (!sameValue(got[i], want[i])) assert.fail(`${what} at ${i}: ${got[i]} vs ${want[i]}`);
}

// ---------------------------------------------------------------- unary

/** Allowed error in float32 ulps of the precise value (0: exact), and an absolute floor. */
const UNARY_TOL: Record<string, [ulps: number, abs: number]> = {
  neg: [0, 0], abs: [0, 0], sign: [0, 0], sqrt: [0, 0], relu: [0, 0], reciprocal: [0, 0], square: [0, 0],
  floor: [0, 0], ceil: [0, 0], round: [0, 0],
  exp: [2, 0], log: [2, 0], rsqrt: [2, 0], sin: [2, 0], cos: [2, 0], tanh: [2, 0], sigmoid: [3, 0],
  silu: [4, 0], softplus: [3, 0], erf: [3, 0], gelu_tanh: [4, 0], gelu_erf: [6, 0],
  // the derivatives cross zero near x = −0.75, where only an absolute error makes sense
  gelu_erf_grad: [4, 4e-7], gelu_tanh_grad: [4, 4e-7],
};
const FLOAT_UNARY = Object.keys(UNARY_TOL) as UnaryOp[];

/** Inputs over the whole float range: every bit pattern class, dense ranges, and the edges. */
function unaryInputs(n: number, seed: number): Float32Array {
  const r = rng(seed);
  const x = new Float32Array(n);
  const bits = new Uint32Array(x.buffer);
  for (let i = 0; i < n; i++) {
    const k = i % 5;
    if (k === 0) bits[i] = Math.floor(r() * 2 ** 32) >>> 0;
    else if (k === 1) x[i] = (r() - 0.5) * 40;
    else if (k === 2) x[i] = (r() - 0.5) * 6;
    else if (k === 3) x[i] = (r() - 0.5) * 400;
    else x[i] = (r() < 0.5 ? -1 : 1) * Math.exp((r() - 0.5) * 200); // magnitudes 1e-43 … 1e43
  }
  const edges = [0, -0, Infinity, -Infinity, NaN, 1e-45, -1e-45, 1e-40, -3e-39, 1.1754942e-38, -1.1754944e-38, 3.4028235e38, -3.4028235e38,
    88.72, 88.73, 89, -87.3, -103.9, -104, -110, -115, -116, 0.625, -0.625, 0.9, -0.9, 1.2727922, -1.2727922, 0.7071068, -0.7071068,
    -0.75, -0.7539, 11.4, -11.4, 12, -12, 12.5, -12.5, 15, -15, 15.5, -15.5, 20, -20, 1e6, -1e6, 1.7e6, 1e30, -1e30, 0.5, -0.5, 2.5, -2.5, 1.5];
  x.set(edges);
  return x;
}

for (const [vi, wasm] of backends.entries()) {
  const variant = variants[vi];

  test(`${variant}: unary float32 ops equal the reference within a few ulps over the whole float range`, () => {
    const n = 60_000;
    const xs = unaryInputs(n, 17 + vi);
    const xw = fromArray(wasm, xs);
    const xj = fromArray(jsBackend, xs);
    for (const op of FLOAT_UNARY) {
      for (const len of [n, 1, 3, 5, 0]) {
        const o = wasm.alloc("float32", len);
        const inp = len === n ? xw : fromArray(wasm, xs.subarray(7, 7 + len));
        wasm.unary(op, inp, o);
        const got = read(wasm, o);
        const ref = jsBackend.alloc("float32", len);
        jsBackend.unary(op, len === n ? xj : fromArray(jsBackend, xs.subarray(7, 7 + len)), ref);
        const want = read(jsBackend, ref);
        const [ulps, abs] = UNARY_TOL[op];
        const exact = precise[op];
        let maxRel = 0;
        for (let i = 0; i < len; i++) {
          const x = xs[len === n ? i : 7 + i];
          const g = got[i];
          const w = exact ? exact(x) : want[i];
          if (Number.isNaN(w) || Number.isNaN(g)) {
            if (!(Number.isNaN(w) && Number.isNaN(g))) assert.fail(`${op}(${x}): ${g} vs ${w}`);
            continue;
          }
          if (ulps === 0) {
            if (g !== want[i]) assert.fail(`${op}(${x}): ${g} vs ${want[i]} (exact)`);
            continue;
          }
          if (!Number.isFinite(w)) {
            if (g !== w) assert.fail(`${op}(${x}): ${g} vs ${w}`);
            continue;
          }
          const err = Math.abs(g - w);
          if (err > ulps * ulp(w) + abs) assert.fail(`${op}(${x}): ${g} vs ${w}, ${(err / ulp(w)).toFixed(1)} ulps`);
          // and against the reference kernel itself (whose GELU tails lose digits in 1 + erf)
          if (exact && Math.abs(g - want[i]) > ulps * ulp(w) + abs + 2e-16 * Math.max(1, Math.abs(x))) assert.fail(`${op}(${x}): ${g} vs reference ${want[i]}`);
          if (Math.abs(w) > 1.2e-38 && abs === 0) maxRel = Math.max(maxRel, err / Math.abs(w));
        }
        assert.ok(maxRel <= 1e-6, `${op}: relative error ${maxRel}`);
      }
    }
  });

  test(`${variant}: bool-valued unary ops, pow and atan2`, () => {
    const xs = unaryInputs(4099, 3);
    for (const op of ["isnan", "isinf", "logical_not"] as UnaryOp[]) {
      for (const dtype of ["float32", "bool"] as DType[]) {
        if (dtype === "bool" && op !== "logical_not") continue;
        const data = dtype === "bool" ? Uint8Array.from(xs, (v, i) => (i % 3 === 0 ? 0 : v > 0 ? 1 : 0)) : xs;
        const o = wasm.alloc("bool", data.length);
        wasm.unary(op, fromArray(wasm, data), o);
        const ref = jsBackend.alloc("bool", data.length);
        jsBackend.unary(op, fromArray(jsBackend, data), ref);
        assertExact(read(wasm, o), read(jsBackend, ref), `${op} ${dtype}`);
      }
    }
    // pow by a scalar (small integers take a vectorised path), by a tensor, and atan2
    const r = rng(5);
    const base = randomFloats(r, 1001, true);
    const expo = Float32Array.from({ length: 1001 }, () => Math.round((r() - 0.5) * 8) / (r() < 0.3 ? 2 : 1));
    const cases: [BinaryOp, Float32Array, number[]][] = [
      ...[2, 3, -1, -2, 4, 0.5, 0, 1.5, -3].map((k): [BinaryOp, Float32Array, number[]] => ["pow", Float32Array.of(k), [0]]),
      ["pow", expo, [1]], ["atan2", expo, [1]],
    ];
    for (const [op, b, bStrides] of cases) {
      const want = jsBackend.alloc("float32", 1001);
      jsBackend.binary(op, fromArray(jsBackend, base), [1], fromArray(jsBackend, b), bStrides, want, [1001]);
      const got = wasm.alloc("float32", 1001);
      wasm.binary(op, fromArray(wasm, base), [1], fromArray(wasm, b), bStrides, got, [1001]);
      const g = read(wasm, got);
      const w = read(jsBackend, want);
      for (let i = 0; i < 1001; i++) {
        if (sameValue(g[i], w[i])) continue;
        if (!(Math.abs(g[i] - w[i]) <= ulp(w[i]))) assert.fail(`${op}(${base[i]}, ${b[bStrides[0] ? i : 0]}): ${g[i]} vs ${w[i]}`);
      }
    }
  });

  test(`${variant}: binary ops and comparisons broadcast like the reference (exact)`, () => {
    const r = rng(11 + vi);
    const dims = [0, 1, 1, 2, 3, 4, 5, 7, 16, 17];
    const shapes: number[][] = [[300, 64], [4, 6, 33], [2, 3, 4, 5], [1], [], [7], [0, 3], [17, 1, 9]];
    for (let k = 0; k < 60; k++) shapes.push(Array.from({ length: Math.floor(r() * 5) }, () => dims[Math.floor(r() * dims.length)]));
    const ops: BinaryOp[] = ["add", "sub", "mul", "div", "maximum", "minimum", "gt", "ge", "lt", "le", "eq", "ne", "logical_and", "logical_or"];
    for (const outShape of shapes) {
      // operand shapes: same, a trailing slice (bias), ones on random dims, scalar
      const variantsOf = (): number[][] => {
        const list = [outShape, outShape.slice(Math.floor(r() * (outShape.length + 1))), outShape.map((s) => (r() < 0.5 ? 1 : s)), []];
        if (outShape.length) list.push([...outShape.slice(0, -1), 1]);
        return list;
      };
      for (const aShape of variantsOf()) {
        for (const bShape of variantsOf()) {
          const op = ops[Math.floor(r() * ops.length)];
          const A = randomFloats(r, sizeOf(aShape), true);
          const B = randomFloats(r, sizeOf(bShape), true);
          const outDtype: DType = ["add", "sub", "mul", "div", "maximum", "minimum"].includes(op) ? "float32" : "bool";
          const run = (be: Backend) => {
            const out = be.alloc(outDtype, sizeOf(outShape));
            be.binary(op, fromArray(be, A), broadcastStrides(aShape, outShape), fromArray(be, B), broadcastStrides(bShape, outShape), out, outShape);
            return read(be, out);
          };
          assertExact(run(wasm), run(jsBackend), `${op} [${aShape}] with [${bShape}] → [${outShape}]`);
        }
      }
    }
  });

  test(`${variant}: where broadcasts cond, a and b (float32 and int32)`, () => {
    const r = rng(23);
    const cases: number[][][] = [
      [[2, 3, 5, 5], [5, 5], [2, 3, 5, 5], []], // masked_fill with a causal mask
      [[7, 9], [7, 9], [7, 9], [7, 9]],
      [[4, 1, 6], [1, 6], [4, 1, 1], [6]],
      [[3, 0, 2], [3, 0, 2], [2], [1]],
      [[13], [13], [], []],
      [[2, 17, 3], [2, 1, 3], [17, 3], [2, 17, 1]],
    ];
    for (const [outShape, cShape, aShape, bShape] of cases) {
      for (const dtype of ["float32", "int32"] as const) {
        const cond = Uint8Array.from({ length: sizeOf(cShape) }, () => (r() < 0.5 ? 1 : 0));
        const mk = (n: number) => (dtype === "float32" ? randomFloats(r, n, true) : Int32Array.from({ length: n }, () => Math.floor((r() - 0.5) * 1000)));
        const A = mk(sizeOf(aShape));
        const B = mk(sizeOf(bShape));
        const run = (be: Backend) => {
          const out = be.alloc(dtype, sizeOf(outShape));
          be.where(fromArray(be, cond), broadcastStrides(cShape, outShape), fromArray(be, A), broadcastStrides(aShape, outShape), fromArray(be, B), broadcastStrides(bShape, outShape), out, outShape);
          return read(be, out);
        };
        assertExact(run(wasm), run(jsBackend), `where ${dtype} [${cShape}] [${aShape}] [${bShape}] → [${outShape}]`);
      }
    }
  });

  test(`${variant}: strided gathers (permute, transpose, slice, flip, expand) for every dtype, and stridedAdd`, () => {
    const r = rng(31);
    type Case = { xShape: number[]; offset: number; strides: number[]; outShape: number[]; name: string };
    const cases: Case[] = [];
    const permute = (xShape: number[], perm: number[]) => {
      const own = contiguous(xShape);
      cases.push({ xShape, offset: 0, strides: perm.map((d) => own[d]), outShape: perm.map((d) => xShape[d]), name: `permute [${xShape}] by [${perm}]` });
    };
    permute([2, 5, 3, 8], [0, 2, 1, 3]); // (B,T,H,d) → (B,H,T,d)
    permute([2, 3, 5, 8], [0, 2, 1, 3]);
    permute([3, 37, 19], [0, 2, 1]); // transpose of the last two dims, odd sizes
    permute([64, 48], [1, 0]);
    permute([5, 4, 4], [0, 2, 1]);
    permute([2, 3, 4, 5, 6], [4, 2, 0, 3, 1]);
    permute([1, 7, 1, 3], [3, 1, 2, 0]);
    permute([6, 0, 3], [2, 1, 0]);
    // slices with steps, flips, expand
    cases.push({ xShape: [10, 12], offset: 1 * 12 + 2, strides: [24, 3], outShape: [4, 3], name: "slice [1:9:2, 2:11:3]" });
    cases.push({ xShape: [9, 7], offset: 8 * 7 + 6, strides: [-7, -1], outShape: [9, 7], name: "flip both dims" });
    cases.push({ xShape: [5, 6], offset: 4 * 6, strides: [-6, 1], outShape: [5, 6], name: "flip rows" });
    cases.push({ xShape: [6], offset: 0, strides: [0, 1], outShape: [9, 6], name: "expand (6) → (9, 6)" });
    cases.push({ xShape: [4, 1], offset: 0, strides: [1, 0], outShape: [4, 11], name: "expand (4, 1) → (4, 11)" });
    cases.push({ xShape: [1], offset: 0, strides: [], outShape: [], name: "0-d" });
    for (let k = 0; k < 12; k++) {
      const nd = 1 + Math.floor(r() * 4);
      const xShape = Array.from({ length: nd }, () => [1, 2, 3, 4, 5, 8, 9][Math.floor(r() * 7)]);
      const perm = xShape.map((_, i) => i).sort(() => r() - 0.5);
      permute(xShape, perm);
    }
    for (const c of cases) {
      for (const dtype of ["float32", "int32", "bool", "float64"] as DType[]) {
        const n = sizeOf(c.xShape);
        const data = dtype === "float32" ? randomFloats(r, n, true) : dtype === "int32" ? Int32Array.from({ length: n }, (_, i) => i * 7 - 3) : dtype === "bool" ? Uint8Array.from({ length: n }, () => (r() < 0.5 ? 1 : 0)) : Float64Array.from({ length: n }, () => r() - 0.5);
        const run = (be: Backend) => {
          const out = be.alloc(dtype, sizeOf(c.outShape));
          be.strided(fromArray(be, data), c.offset, c.strides, out, c.outShape);
          return read(be, out);
        };
        assertExact(run(wasm), run(jsBackend), `${c.name} ${dtype}`);
      }
      // the adjoint scatter-add into a non-zero target (expand's backward accumulates in order)
      const src = randomFloats(r, sizeOf(c.outShape));
      const target = randomFloats(r, sizeOf(c.xShape));
      const runAdd = (be: Backend) => {
        const x = fromArray(be, target);
        be.stridedAdd(fromArray(be, src), c.outShape, x, c.offset, c.strides);
        return read(be, x);
      };
      assertExact(runAdd(wasm), runAdd(jsBackend), `stridedAdd ${c.name}`);
    }
  });

  test(`${variant}: reductions over any dims (sum, max, min, argmax, argmin) and cumsum`, () => {
    const r = rng(41 + vi);
    const shapes: number[][] = [[1000], [37, 129], [129, 37], [5, 64, 3], [4, 16, 17], [3, 1, 33], [2, 3, 4, 5], [1], [], [0, 4], [4, 0, 3], [1, 1, 7]];
    for (let k = 0; k < 30; k++) shapes.push(Array.from({ length: 1 + Math.floor(r() * 4) }, () => [1, 2, 3, 5, 8, 16, 19][Math.floor(r() * 7)]));
    for (const shape of shapes) {
      const n = sizeOf(shape);
      const subsets: boolean[][] = [shape.map(() => true), shape.map((_, d) => d === shape.length - 1), shape.map((_, d) => d === 0), shape.map((_, d) => d > 0 && d < shape.length - 1), shape.map(() => r() < 0.5)];
      for (const reduced of subsets) {
        for (const op of ["sum", "max", "min", "argmax", "argmin"] as ReduceOp[]) {
          const data = randomFloats(r, n, op !== "sum" && r() < 0.3);
          const outLen = sizeOf(shape.map((s, d) => (reduced[d] ? 1 : s)));
          const outDtype: DType = op.startsWith("arg") ? "int32" : "float32";
          const run = (be: Backend) => {
            const out = be.alloc(outDtype, outLen);
            be.reduce(op, fromArray(be, data), shape, reduced, out);
            return read(be, out);
          };
          const got = run(wasm);
          const want = run(jsBackend);
          if (op !== "sum") {
            assertExact(got, want, `${op} of [${shape}] over [${reduced}]`);
            continue;
          }
          const scale = data.reduce((s, v) => s + Math.abs(v), 0);
          for (let i = 0; i < outLen; i++) if (!(Math.abs(got[i] - want[i]) <= ulp(want[i]) + 1e-12 * scale)) assert.fail(`sum of [${shape}] over [${reduced}] at ${i}: ${got[i]} vs ${want[i]}`);
        }
      }
      // cumsum along each axis: float64 running sums like the reference, so exact
      for (let d = 0; d < shape.length; d++) {
        const spec = { outer: sizeOf(shape.slice(0, d)), dim: shape[d], inner: sizeOf(shape.slice(d + 1)) };
        const data = randomFloats(r, n);
        const run = (be: Backend) => {
          const out = be.alloc("float32", n);
          be.cumsum(fromArray(be, data), out, spec);
          return read(be, out);
        };
        assertExact(run(wasm), run(jsBackend), `cumsum of [${shape}] along ${d}`);
      }
    }
  });

  test(`${variant}: fill and cast between float32, int32 and bool`, () => {
    const r = rng(53);
    const floats = Float32Array.from([...randomFloats(r, 1003, true), 2.5, -2.5, 0.9999, -0.9999, 3e9, -3e9, 2147483648, -2147483648, 2147483520, 1e20, -1e20, 3.4e38, 1.5e10, -7.3e12]);
    const ints = Int32Array.from({ length: 1001 }, () => Math.floor((r() - 0.5) * 2 ** 32));
    ints.set([0, 1, -1, 2147483647, -2147483648, 16777217, -16777217]);
    const bools = Uint8Array.from({ length: 1002 }, () => (r() < 0.5 ? 1 : 0));
    const inputs: Record<string, TypedArray> = { float32: floats, int32: ints, bool: bools };
    for (const from of ["float32", "int32", "bool"] as DType[]) {
      for (const to of ["float32", "int32", "bool"] as DType[]) {
        if (from === to) continue;
        const data = inputs[from];
        const run = (be: Backend) => {
          const out = be.alloc(to, data.length);
          be.cast(fromArray(be, data), out);
          return read(be, out);
        };
        assertExact(run(wasm), run(jsBackend), `cast ${from} → ${to}`);
      }
    }
    for (const [dtype, value] of [["float32", 0.1], ["float32", -Infinity], ["int32", 7], ["int32", -3.7], ["bool", 1]] as [DType, number][]) {
      for (const n of [0, 1, 5, 1001]) {
        const run = (be: Backend) => {
          const out = be.alloc(dtype, n);
          be.fill(out, value);
          return read(be, out);
        };
        assertExact(run(wasm), run(jsBackend), `fill ${dtype} ${value}`);
      }
    }
  });
}

test("two threads: elementwise and reduction kernels are bit-identical run to run, and agree with one thread", async () => {
  const { spawnNodeWorker } = await import("../src/backend/wasm/threads.node.js");
  const one = backends[0];
  const two: WasmBackend = createWasmBackend({ variant: one.variant, threads: 2, spawn: spawnNodeWorker });
  try {
    await two.ready();
    const r = rng(61);
    // odd sizes, so the parts split rows in the middle
    const [B, T, H, d] = [7, 67, 11, 29];
    const n = B * T * H * d;
    assert.ok(n >= 2 * MIN_WORK_PER_THREAD, "big enough to be split over both threads");
    const x = randomFloats(r, n, true);
    const y = randomFloats(r, n);
    const bias = randomFloats(r, H * d);
    const cond = Uint8Array.from({ length: T * H * d }, () => (r() < 0.5 ? 1 : 0));
    const jobs: [string, (be: Backend) => Storage, boolean][] = [
      ["gelu", (be) => { const o = be.alloc("float32", n); be.unary("gelu_erf", fromArray(be, x), o); return o; }, true],
      ["exp", (be) => { const o = be.alloc("float32", n); be.unary("exp", fromArray(be, x), o); return o; }, true],
      ["isnan", (be) => { const o = be.alloc("bool", n); be.unary("isnan", fromArray(be, x), o); return o; }, true],
      ["bias add", (be) => { const o = be.alloc("float32", n); be.binary("add", fromArray(be, x), contiguous([B * T, H * d]), fromArray(be, bias), [0, 1], o, [B * T, H * d]); return o; }, true],
      ["mul", (be) => { const o = be.alloc("float32", n); be.binary("mul", fromArray(be, x), [1], fromArray(be, y), [1], o, [n]); return o; }, true],
      ["gt", (be) => { const o = be.alloc("bool", n); be.binary("gt", fromArray(be, x), [1], fromArray(be, y), [1], o, [n]); return o; }, true],
      ["where", (be) => { const o = be.alloc("float32", n); be.where(fromArray(be, cond), [0, H * d, d, 1], fromArray(be, x), contiguous([B, T, H, d]), fromArray(be, Float32Array.of(-1)), [0, 0, 0, 0], o, [B, T, H, d]); return o; }, true],
      ["permute", (be) => { const o = be.alloc("float32", n); be.strided(fromArray(be, x), 0, [T * H * d, d, H * d, 1], o, [B, H, T, d]); return o; }, true],
      ["transpose", (be) => { const o = be.alloc("float32", n); be.strided(fromArray(be, x), 0, [T * H * d, 1, H * d], o, [B, H * d, T]); return o; }, true],
      ["stridedAdd", (be) => { const t = fromArray(be, y); be.stridedAdd(fromArray(be, x), [B, H, T, d], t, 0, [T * H * d, d, H * d, 1]); return t; }, true],
      ["fill", (be) => { const o = be.alloc("float32", 4 * n); be.fill(o, 0.25); return o; }, true],
      ["cast", (be) => { const o = be.alloc("int32", n); be.cast(fromArray(be, y), o); return o; }, true],
      ["cumsum", (be) => { const o = be.alloc("float32", n); be.cumsum(fromArray(be, y), o, { outer: B * T, dim: H, inner: d }); return o; }, true],
      ["sum rows", (be) => { const o = be.alloc("float32", B * T); be.reduce("sum", fromArray(be, y), [B * T, H * d], [false, true], o); return o; }, true],
      ["max cols", (be) => { const o = be.alloc("float32", H * d); be.reduce("max", fromArray(be, x), [B * T, H * d], [true, false], o); return o; }, true],
      ["argmax cols", (be) => { const o = be.alloc("int32", H * d); be.reduce("argmax", fromArray(be, x), [B * T, H * d], [true, false], o); return o; }, true],
      // a reduction to one number is split along the row and combined: equal up to float64 rounding
      ["sum all", (be) => { const o = be.alloc("float32", 1); be.reduce("sum", fromArray(be, y), [n], [true], o); return o; }, false],
      ["argmin all", (be) => { const o = be.alloc("int32", 1); be.reduce("argmin", fromArray(be, x), [n], [true], o); return o; }, true],
    ];
    for (const [name, job, exact] of jobs) {
      const a = read(two, job(two));
      const b = read(two, job(two));
      assertExact(a, b, `${name}: two runs on two threads`);
      const c = read(one, job(one));
      if (exact) assertExact(a, c, `${name}: two threads vs one`);
      else for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - c[i]) <= 2 * ulp(c[i]), `${name}: ${a[i]} vs ${c[i]}`);
    }
  } finally {
    two.terminate();
  }
});
