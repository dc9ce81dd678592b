// Kernel checks shared by the Node tests and the browser page: each case runs a kernel on a fast
// backend and on the reference backend and reports the worst mismatch.
import { jsBackend, type AttentionSpec, type Backend, type MatmulSpec } from "../../src/backend/index.js";
import { Generator } from "../../src/tensor/random.js";

export interface CaseResult {
  name: string;
  ok: boolean;
  detail: string;
}

function randomArray(g: Generator, n: number): Float32Array {
  return Float32Array.from({ length: n }, () => g.normal());
}

function compare(name: string, got: ArrayLike<number>, ref: ArrayLike<number>, tol: (r: number) => number): CaseResult {
  for (let i = 0; i < ref.length; i++) {
    if (!(Math.abs(got[i] - ref[i]) <= tol(ref[i]))) return { name, ok: false, detail: `at ${i}: ${got[i]} vs reference ${ref[i]}` };
  }
  return { name, ok: true, detail: `${ref.length} values match` };
}

export function matmulCases(be: Backend, label: string): CaseResult[] {
  const g = new Generator(42);
  const out: CaseResult[] = [];
  for (const [batch, m, k, n] of [[1, 1, 1, 1], [1, 5, 9, 17], [3, 33, 65, 31], [48, 16, 32, 16], [1, 130, 257, 3]]) {
    for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]]) {
      const A = randomArray(g, batch * m * k);
      const B = randomArray(g, batch * k * n);
      const spec: MatmulSpec = { batchShape: [batch], aBatchStrides: [m * k], bBatchStrides: [k * n], m, k, n, transA, transB };
      const run = (b: Backend) => {
        const c = b.alloc("float32", batch * m * n);
        b.matmul(b.fromArray(A), b.fromArray(B), c, spec);
        return Float32Array.from(b.read(c));
      };
      out.push(compare(`${label} matmul ${batch}x${m}x${k}x${n} tA=${transA} tB=${transB}`, run(be), run(jsBackend), (r) => 1e-5 * Math.sqrt(k) * (1 + Math.abs(r))));
    }
  }
  return out;
}

/** Attention forward then backward on `b` from host arrays q, k, v, dout: [out, lse, dq, dk, dv] as copies. */
export function runAttention(b: Backend, spec: AttentionSpec, [q, k, v, dout]: Float32Array[]): Float32Array[] {
  const [qs, ks, vs, ds] = [q, k, v, dout].map((a) => b.fromArray(a));
  const o = b.alloc("float32", q.length);
  const lse = b.alloc("float32", spec.batch * spec.tq);
  b.attention(qs, ks, vs, o, lse, spec);
  const [dq, dk, dv] = [q.length, k.length, v.length].map((n) => b.alloc("float32", n));
  b.attentionBackward(qs, ks, vs, o, lse, ds, dq, dk, dv, spec);
  return [o, lse, dq, dk, dv].map((s) => Float32Array.from(b.read(s)));
}

export function attentionCases(be: Backend, label: string): CaseResult[] {
  const g = new Generator(9);
  const out: CaseResult[] = [];
  for (const [batch, tq, tk, d, heads] of [[1, 1, 1, 1, 0], [3, 5, 5, 7, 0], [2, 3, 8, 4, 0], [48, 16, 16, 32, 0], [6, 5, 5, 7, 3], [8, 3, 9, 4, 4]]) {
    for (const causal of [false, true]) {
      const spec = { batch, tq, tk, dHead: d, scale: 1 / Math.sqrt(d), causal, ...(heads ? { layout: "bthd" as const, heads } : {}) };
      const inputs = [batch * tq * d, batch * tk * d, batch * tk * d, batch * tq * d].map((n) => randomArray(g, n));
      const run = (b: Backend) => runAttention(b, spec, inputs).flatMap((s) => Array.from(s));
      out.push(compare(`${label} attention [${batch},${tq},${tk},${d}] heads=${heads} causal=${causal}`, run(be), run(jsBackend), (r) => 2e-5 * (1 + Math.abs(r))));
    }
  }
  return out;
}

/** Elementwise, reduction and nn kernels on a few shapes each (the Node tests go much wider). */
export function elementwiseAndNnCases(be: Backend, label: string): CaseResult[] {
  const g = new Generator(21);
  const out: CaseResult[] = [];
  const tol = (r: number) => 2e-5 * (1 + Math.abs(r));
  const run = (name: string, f: (b: Backend) => ArrayLike<number>) => out.push(compare(`${label} ${name}`, f(be), f(jsBackend), tol));
  const x = randomArray(g, 1037);
  const y = randomArray(g, 1037);
  const unaries = ["neg", "abs", "exp", "tanh", "sigmoid", "relu", "gelu_tanh", "gelu_erf", "silu", "softplus", "erf", "sin", "cos", "gelu_erf_grad", "gelu_tanh_grad"] as const;
  for (const op of unaries) {
    run(`unary ${op}`, (b) => {
      const o = b.alloc("float32", x.length);
      b.unary(op, b.fromArray(x), o);
      return Float32Array.from(b.read(o));
    });
  }
  // (17, 61) + (61) bias add, (17, 61) * (17, 1)
  for (const [op, bShape, bStrides] of [["add", 61, [0, 1]], ["mul", 17, [1, 0]]] as const) {
    run(`binary ${op} broadcast`, (b) => {
      const o = b.alloc("float32", 17 * 61);
      b.binary(op, b.fromArray(x.subarray(0, 17 * 61)), [61, 1], b.fromArray(y.subarray(0, bShape)), bStrides, o, [17, 61]);
      return Float32Array.from(b.read(o));
    });
  }
  for (const reduced of [[false, true], [true, false]]) {
    run(`reduce sum over ${reduced}`, (b) => {
      const o = b.alloc("float32", reduced[0] ? 61 : 17);
      b.reduce("sum", b.fromArray(x.subarray(0, 17 * 61)), [17, 61], reduced, o);
      return Float32Array.from(b.read(o));
    });
  }
  run("permute (2,5,3,7)→(2,3,5,7)", (b) => {
    const o = b.alloc("float32", 210);
    b.strided(b.fromArray(x.subarray(0, 210)), 0, [105, 7, 21, 1], o, [2, 3, 5, 7]);
    return Float32Array.from(b.read(o));
  });
  for (const log of [false, true]) {
    run(`${log ? "log-" : ""}softmax forward and backward`, (b) => {
      const spec = { outer: 19, dim: 53, inner: 1 };
      const yy = b.alloc("float32", 19 * 53);
      b.softmax(b.fromArray(x.subarray(0, 19 * 53)), yy, spec, log);
      const dx = b.alloc("float32", 19 * 53);
      b.softmaxBackward(yy, b.fromArray(y.subarray(0, 19 * 53)), dx, spec, log);
      return [...b.read(yy), ...b.read(dx)];
    });
  }
  run("layerNorm forward and backward", (b) => {
    const spec = { rows: 13, d: 37 };
    const [xs, w, bias, dy] = [x.subarray(0, 481), y.subarray(0, 37), y.subarray(40, 77), y.subarray(100, 581)].map((a) => b.fromArray(a));
    const o = b.alloc("float32", 481);
    const mean = b.alloc("float32", 13);
    const rstd = b.alloc("float32", 13);
    b.layerNorm(xs, w, bias, o, mean, rstd, spec, 1e-5);
    const dx = b.alloc("float32", 481);
    const dw = b.alloc("float32", 37);
    const db = b.alloc("float32", 37);
    b.layerNormBackward(dy, xs, mean, rstd, w, dx, dw, db, spec);
    return [...b.read(o), ...b.read(dx), ...b.read(dw), ...b.read(db)];
  });
  run("embedding gather and scatter-add with repeated ids", (b) => {
    const ids = Int32Array.from([3, 0, 3, 7, 3, 1]);
    const spec = { outer: 1, dim: 8, inner: 33 };
    const o = b.alloc("float32", 6 * 33);
    b.indexSelect(b.fromArray(x.subarray(0, 8 * 33)), b.fromArray(ids), o, spec);
    const dx = b.alloc("float32", 8 * 33);
    b.indexAdd(b.fromArray(y.subarray(0, 6 * 33)), b.fromArray(ids), dx, spec);
    return [...b.read(o), ...b.read(dx)];
  });
  run("softmax + cross-entropy", (b) => {
    const spec = { rows: 6, classes: 33, ignoreIndex: -100, labelSmoothing: 0.1 };
    const xs = b.fromArray(x.subarray(0, 6 * 33));
    const ts = b.fromArray(Int32Array.from([0, 32, -100, 5, 17, 1]));
    const [loss, lse, dx] = [b.alloc("float32", 6), b.alloc("float32", 6), b.alloc("float32", 6 * 33)];
    b.crossEntropy(xs, ts, loss, lse, spec);
    b.crossEntropyBackward(xs, ts, lse, b.fromArray(y.subarray(0, 6)), dx, spec);
    return [...b.read(loss), ...b.read(lse), ...b.read(dx)];
  });
  run("AdamW step", (b) => {
    const [p, gr, m, v] = [x, y, x.map((t) => t * 0.1), y.map((t) => t * t)].map((a) => b.fromArray(Float32Array.from(a)));
    b.adamw([{ p, g: gr, m, v }], { lr: 1e-2, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.1, step: 3, decoupled: true });
    return [...b.read(p), ...b.read(m), ...b.read(v)];
  });
  return out;
}
