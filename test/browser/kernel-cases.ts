// Kernel checks shared by the Node tests and the browser page: each case runs a kernel on a fast
// backend and on the reference backend and reports the worst mismatch.
import { jsBackend, type Backend, type MatmulSpec } from "../../src/backend/index.js";
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

export function attentionCases(be: Backend, label: string): CaseResult[] {
  const g = new Generator(9);
  const out: CaseResult[] = [];
  for (const [batch, tq, tk, d, heads] of [[1, 1, 1, 1, 0], [3, 5, 5, 7, 0], [2, 3, 8, 4, 0], [48, 16, 16, 32, 0], [6, 5, 5, 7, 3], [8, 3, 9, 4, 4]]) {
    for (const causal of [false, true]) {
      const spec = { batch, tq, tk, dHead: d, scale: 1 / Math.sqrt(d), causal, ...(heads ? { layout: "bthd" as const, heads } : {}) };
      const inputs = [batch * tq * d, batch * tk * d, batch * tk * d, batch * tq * d].map((n) => randomArray(g, n));
      const run = (b: Backend) => {
        const [q, k, v, dout] = inputs.map((a) => b.fromArray(a));
        const o = b.alloc("float32", batch * tq * d);
        const lse = b.alloc("float32", batch * tq);
        b.attention(q, k, v, o, lse, spec);
        const [dq, dk, dv] = [batch * tq * d, batch * tk * d, batch * tk * d].map((n) => b.alloc("float32", n));
        b.attentionBackward(q, k, v, o, lse, dout, dq, dk, dv, spec);
        return [o, lse, dq, dk, dv].flatMap((s) => Array.from(b.read(s)));
      };
      out.push(compare(`${label} attention [${batch},${tq},${tk},${d}] heads=${heads} causal=${causal}`, run(be), run(jsBackend), (r) => 2e-5 * (1 + Math.abs(r))));
    }
  }
  return out;
}
