// PyTorch snippets and their TypeScript equivalents. fixtures/torch-api.json (written by
// reference/gen_torch_api_fixtures.py) holds short pieces of PyTorch code as a user writes them,
// with the inputs and what PyTorch computed: values, dtypes, and gradients of Σ out·W for fixed
// random W. Below, each snippet's TypeScript twin; a test runs it on the same inputs and compares.
// Read the table as "this PyTorch line is written like that here". Tolerances as in
// fixtures.test.ts: float32 1e-5 relative (1e-6 floor), float64 1e-10 (1e-12 floor); integers,
// bools and Python values exactly.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import {
  type DType, type NestedArray, Generator, Tensor, allclose, argsort, bmm, cat, chunk, clamp, cumprod, diag, expm1, flip, isclose, kron,
  linalg, log1p, logsumexp, manualSeed, max, min, mm, multinomial, noGrad, nonzero, norm, outer, prod, repeatInterleave, roll,
  sort, stack, std, sum, tensor, unbind, where, zeros,
} from "../src/index.js";

// ---------------------------------------------------------------- the fixture file
type Num = number | "NaN" | "Infinity" | "-Infinity";
interface Enc {
  shape: number[];
  dtype: DType;
  data: Num[];
}
type Value = { tensor: Enc } | { list: Value[] } | { py: unknown };
interface Case {
  snippet: string;
  label?: string;
  inputs: Record<string, Enc>;
  output?: Value;
  error?: string;
  gradOutputs?: number[];
  gradWeights?: Enc[];
  grads?: Record<string, Enc>;
}
const fixtures = JSON.parse(readFileSync(new URL("../fixtures/torch-api.json", import.meta.url), "utf8")) as { torch: string; cases: Case[] };

const num = (v: Num): number => (v === "NaN" ? NaN : v === "Infinity" ? Infinity : v === "-Infinity" ? -Infinity : v);
const decode = (e: Enc): Tensor => tensor(e.dtype === "bool" ? e.data.map((v) => v !== 0) : e.data.map(num), { dtype: e.dtype, shape: e.shape });

// ---------------------------------------------------------------- the TypeScript side of every snippet
type In = Record<string, Tensor>;
type Result = Tensor | Iterable<Tensor> | NestedArray | boolean;
interface Twin {
  ts: (t: In) => Result;
  /** For snippets where PyTorch raises: what our message says. */
  throws?: RegExp;
}
const LEAF = /a leaf Variable that requires grad is being used in an in-place operation/;
const MODIFIED = /needed for gradient computation .*has been modified by an in-place operation/;

const TWINS: Record<string, Twin> = {
  // keyword arguments: a trailing options object
  "x.sum(1, keepdim=True)": { ts: ({ x }) => x.sum(1, { keepdim: true }) },
  "x.sum(dim=(0, 2))": { ts: ({ x }) => x.sum({ dim: [0, 2] }) },
  "torch.sum(x, -1, True)": { ts: ({ x }) => sum(x, -1, true) },
  "x.sum(dtype=torch.float64)": { ts: ({ x }) => x.sum({ dtype: "float64" }) },
  "x.mean(dim=-1, keepdim=True)": { ts: ({ x }) => x.mean({ dim: -1, keepdim: true }) },
  "x.mean((0, 1))": { ts: ({ x }) => x.mean([0, 1]) },
  "x.var(1, unbiased=False, keepdim=True)": { ts: ({ x }) => x.var(1, { unbiased: false, keepdim: true }) },
  "x.var(1, False, True)": { ts: ({ x }) => x.var(1, false, true) },
  "x.var()": { ts: ({ x }) => x.var() },
  "x.var(False)": { ts: ({ x }) => x.var(false) },
  "x.std(dim=0, correction=0)": { ts: ({ x }) => x.std({ dim: 0, correction: 0 }) },
  "torch.std(x, (0, 2), keepdim=True)": { ts: ({ x }) => std(x, [0, 2], { keepdim: true }) },
  "x.logsumexp(1)": { ts: ({ x }) => x.logsumexp(1) },
  "torch.logsumexp(x, dim=(0, 1), keepdim=True)": { ts: ({ x }) => logsumexp(x, { dim: [0, 1], keepdim: true }) },
  "x.amax(dim=(0, 1))": { ts: ({ x }) => x.amax({ dim: [0, 1] }) },
  "x.argmax(dim=1, keepdim=True)": { ts: ({ x }) => x.argmax({ dim: 1, keepdim: true }) },
  "x.argmin()": { ts: ({ x }) => x.argmin() },
  // max/min along a dim: { values, indices }, iterable as a pair
  "x.max(1)": { ts: ({ x }) => x.max(1) },
  "x.max(dim=0, keepdim=True)": { ts: ({ x }) => x.max({ dim: 0, keepdim: true }) },
  "x.min(-1)": { ts: ({ x }) => x.min(-1) },
  "torch.min(x, 1, keepdim=True)": { ts: ({ x }) => min(x, 1, { keepdim: true }) },
  "x.max()": { ts: ({ x }) => x.max() },
  "values, indices = x.max(1)\nvalues": {
    ts: ({ x }) => {
      const [values] = x.max(1);
      return values;
    },
  },
  "torch.max(x, y)": { ts: ({ x, y }) => max(x, y) },
  "torch.min(x, y)": { ts: ({ x, y }) => min(x, y) },
  // products
  "x.prod()": { ts: ({ x }) => x.prod() },
  "x.prod(1)": { ts: ({ x }) => x.prod(1) },
  "x.prod(0, keepdim=True)": { ts: ({ x }) => x.prod(0, { keepdim: true }) },
  "torch.prod(x, 1, dtype=torch.float64)": { ts: ({ x }) => prod(x, 1, { dtype: "float64" }) },
  "x.prod(-1)": { ts: ({ x }) => x.prod(-1) },
  "x.cumprod(1)": { ts: ({ x }) => x.cumprod(1) },
  "torch.cumprod(x, dim=0)": { ts: ({ x }) => cumprod(x, { dim: 0 }) },
  "x.cumprod(-1)": { ts: ({ x }) => x.cumprod(-1) },
  "x.cumsum(dim=1)": { ts: ({ x }) => x.cumsum({ dim: 1 }) },
  "x.cumsum(0, dtype=torch.float64)": { ts: ({ x }) => x.cumsum(0, { dtype: "float64" }) },
  // norms
  "x.norm()": { ts: ({ x }) => x.norm() },
  "x.norm(p=3, dim=1)": { ts: ({ x }) => x.norm({ p: 3, dim: 1 }) },
  "x.norm(1, 0, True)": { ts: ({ x }) => x.norm(1, 0, true) },
  "torch.norm(x, dim=(0, 1))": { ts: ({ x }) => norm(x, { dim: [0, 1] }) },
  "torch.linalg.vector_norm(x)": { ts: ({ x }) => linalg.vectorNorm(x) },
  "torch.linalg.vector_norm(x, ord=math.inf, dim=1)": { ts: ({ x }) => linalg.vectorNorm(x, { ord: Infinity, dim: 1 }) },
  "torch.linalg.vector_norm(x, -math.inf, 0)": { ts: ({ x }) => linalg.vectorNorm(x, -Infinity, 0) },
  "torch.linalg.vector_norm(x, ord=0.5)": { ts: ({ x }) => linalg.vectorNorm(x, { ord: 0.5 }) },
  "torch.linalg.vector_norm(x, -1, dim=(0, 1), keepdim=True)": { ts: ({ x }) => linalg.vectorNorm(x, -1, { dim: [0, 1], keepdim: true }) },
  "torch.linalg.vector_norm(x, 0, dim=1)": { ts: ({ x }) => linalg.vectorNorm(x, 0, 1) },
  // sorting (indices are int32)
  "x.sort()": { ts: ({ x }) => x.sort() },
  "x.sort(dim=0, descending=True)": { ts: ({ x }) => x.sort({ dim: 0, descending: true }) },
  "torch.sort(x, 1, True)": { ts: ({ x }) => sort(x, 1, true) },
  "x.argsort(1)": { ts: ({ x }) => x.argsort(1) },
  "torch.argsort(x, dim=0, descending=True)": { ts: ({ x }) => argsort(x, { dim: 0, descending: true }) },
  "x.topk(2)": { ts: ({ x }) => x.topk(2) },
  "x.topk(2, dim=0, largest=False)": { ts: ({ x }) => x.topk(2, { dim: 0, largest: false }) },
  "values, indices = x.topk(3, 1)\nindices": {
    ts: ({ x }) => {
      const [, indices] = x.topk(3, 1);
      return indices;
    },
  },
  // elementwise
  "torch.log1p(x)": { ts: ({ x }) => log1p(x) },
  "x.log1p()": { ts: ({ x }) => x.log1p() },
  "torch.expm1(x)": { ts: ({ x }) => expm1(x) },
  "x.expm1()": { ts: ({ x }) => x.expm1() },
  "x.clamp(min=-0.5)": { ts: ({ x }) => x.clamp({ min: -0.5 }) },
  "x.clamp(max=0.5)": { ts: ({ x }) => x.clamp({ max: 0.5 }) },
  "x.clamp(-0.5, 0.5)": { ts: ({ x }) => x.clamp(-0.5, 0.5) },
  "x.clip(-1, 1)": { ts: ({ x }) => x.clip(-1, 1) },
  "torch.clamp(x, lo, hi)": { ts: ({ x, lo, hi }) => clamp(x, lo, hi) },
  "torch.clamp(x, 1.0, -1.0)": { ts: ({ x }) => clamp(x, 1, -1) },
  "x.clamp(min=0)": { ts: ({ x }) => x.clamp({ min: 0 }) },
  "torch.where(c, x, 0.0)": { ts: ({ c, x }) => where(c, x, 0) },
  "torch.where(c, 1.0, 0.0)": { ts: ({ c }) => where(c, 1, 0) },
  "torch.where(c, x, y)": { ts: ({ c, x, y }) => where(c, x, y) },
  "x.where(c, -x)": { ts: ({ c, x }) => x.where(c, x.neg()) },
  "x.masked_fill(c, 0.5)": { ts: ({ c, x }) => x.maskedFill(c, 0.5) },
  "x.masked_fill(c, v)": { ts: ({ c, x, v }) => x.maskedFill(c, v) },
  "torch.isclose(a, b)": { ts: ({ a, b }) => isclose(a, b) },
  "torch.isclose(a, b, rtol=0, atol=1e-8, equal_nan=True)": { ts: ({ a, b }) => isclose(a, b, { rtol: 0, atol: 1e-8, equalNan: true }) },
  "a.isclose(b, 1e-4, 1e-3)": { ts: ({ a, b }) => a.isclose(b, 1e-4, 1e-3) },
  "torch.allclose(a, b)": { ts: ({ a, b }) => allclose(a, b) },
  "torch.allclose(a, a + 1e-9)": { ts: ({ a }) => allclose(a, a.add(1e-9)) },
  "torch.allclose(a, b, equal_nan=True)": { ts: ({ a, b }) => allclose(a, b, { equalNan: true }) },
  // matrices
  "torch.mm(a, b)": { ts: ({ a, b }) => mm(a, b) },
  "a.mm(b)": { ts: ({ a, b }) => a.mm(b) },
  "torch.bmm(a, b)": { ts: ({ a, b }) => bmm(a, b) },
  "a.t()": { ts: ({ a }) => a.t() },
  "v.t()": { ts: ({ v }) => v.t() },
  "torch.outer(u, v)": { ts: ({ u, v }) => outer(u, v) },
  "torch.kron(a, b)": { ts: ({ a, b }) => kron(a, b) },
  "torch.kron(u, b)": { ts: ({ u, b }) => kron(u, b) },
  "torch.diag(v)": { ts: ({ v }) => diag(v) },
  "torch.diag(v, 1)": { ts: ({ v }) => diag(v, 1) },
  "torch.diag(v, -2)": { ts: ({ v }) => diag(v, -2) },
  "torch.diag(m)": { ts: ({ m }) => diag(m) },
  "torch.diag(m, -1)": { ts: ({ m }) => diag(m, -1) },
  "m.diag(2)": { ts: ({ m }) => m.diag(2) },
  // shapes
  "x.unbind(1)": { ts: ({ x }) => x.unbind(1) },
  "torch.unbind(x)": { ts: ({ x }) => unbind(x) },
  "torch.chunk(x, 3, dim=1)": { ts: ({ x }) => chunk(x, 3, 1) },
  "x.chunk(4)": { ts: ({ x }) => x.chunk(4) },
  "x.split(2, dim=1)": { ts: ({ x }) => x.split(2, { dim: 1 }) },
  "x.split([1, 2], 0)": { ts: ({ x }) => x.split([1, 2], 0) },
  "x.flip(0, 1)": { ts: ({ x }) => x.flip(0, 1) },
  "torch.flip(x, [1])": { ts: ({ x }) => flip(x, [1]) },
  "x.roll(1, 1)": { ts: ({ x }) => x.roll(1, 1) },
  "x.roll(shifts=(1, -2), dims=(0, 1))": { ts: ({ x }) => x.roll([1, -2], [0, 1]) },
  "torch.roll(x, 2)": { ts: ({ x }) => roll(x, 2) },
  "x.repeat(2, 1, 2)": { ts: ({ x }) => x.repeat(2, 1, 2) },
  "x.flatten(start_dim=1)": { ts: ({ x }) => x.flatten({ startDim: 1 }) },
  "torch.cat([a, b], dim=1)": { ts: ({ a, b }) => cat([a, b], { dim: 1 }) },
  "torch.stack([a, b], dim=-1)": { ts: ({ a, b }) => stack([a, b], { dim: -1 }) },
  "x.unsqueeze(dim=0)": { ts: ({ x }) => x.unsqueeze({ dim: 0 }) },
  "x.squeeze(dim=1)": { ts: ({ x }) => x.squeeze({ dim: 1 }) },
  "x.tril(diagonal=-1)": { ts: ({ x }) => x.tril({ diagonal: -1 }) },
  "x.softmax(dim=-1)": { ts: ({ x }) => x.softmax({ dim: -1 }) },
  "x.repeat_interleave(2, dim=0)": { ts: ({ x }) => x.repeatInterleave(2, { dim: 0 }) },
  "torch.repeat_interleave(x, r, dim=1)": { ts: ({ x, r }) => repeatInterleave(x, r, 1) },
  "x.repeat_interleave(2)": { ts: ({ x }) => x.repeatInterleave(2) },
  // indices and JS values
  "x.nonzero()": { ts: ({ x }) => x.nonzero() },
  "torch.nonzero(x, as_tuple=True)": { ts: ({ x }) => nonzero(x, { asTuple: true }) },
  "m.nonzero()": { ts: ({ m }) => m.nonzero() },
  "x.tolist()": { ts: ({ x }) => x.tolist() },
  "m.tolist()": { ts: ({ m }) => m.tolist() },
  "x.sum().tolist()": { ts: ({ x }) => x.sum().tolist() },
  // in place
  "y = x * 2\ny.add_(z, alpha=0.5)\ny.mul_(z)\ny": { ts: ({ x, z }) => x.mul(2).add_(z, { alpha: 0.5 }).mul_(z) },
  "y = x.sin()\ny.div_(z)\ny.sub_(x)\ny": { ts: ({ x, z }) => x.sin().div_(z).sub_(x) },
  "y = x.clone()\ny.clamp_(-0.5, 0.5)\ny.masked_fill_(c, 1.0)\ny": { ts: ({ x, c }) => x.clone().clamp_(-0.5, 0.5).maskedFill_(c, 1) },
  "y = x * 1\ny.masked_fill_(c, v)\ny": { ts: ({ x, c, v }) => x.mul(1).maskedFill_(c, v) },
  "buf = torch.zeros(2, 3, dtype=torch.float64)\nbuf.copy_(v)\nbuf.mul_(3)\nbuf": { ts: ({ v }) => zeros(2, 3, { dtype: "float64" }).copy_(v).mul_(3) },
  "y = x * 1\ny.zero_()\ny + x": { ts: ({ x }) => x.mul(1).zero_().add(x) },
  "y = x * 1\ny.fill_(2)\ny * x": { ts: ({ x }) => x.mul(1).fill_(2).mul(x) },
  "i = x.clone()\ni.add_(3)\ni.mul_(2)\ni": { ts: ({ x }) => x.clone().add_(3).mul_(2) },
  "with torch.no_grad():\n    w.add_(1)\nw * 1": {
    ts: ({ w }) => {
      noGrad(() => w.add_(1));
      return w.mul(1);
    },
  },
  "w.add_(1)": { ts: ({ w }) => w.add_(1), throws: LEAF },
  "w.zero_()": { ts: ({ w }) => w.zero_(), throws: LEAF },
  "y = w.exp()\ny.add_(1)\ny.sum().backward()": {
    ts: ({ w }) => {
      const y = w.exp();
      y.add_(1);
      y.sum().backward();
      return y;
    },
    throws: MODIFIED,
  },
  "a = w.tanh()\nb = a * 2\na.mul_(2)\nb.sum().backward()": {
    ts: ({ w }) => {
      const a = w.tanh();
      const b = a.mul(2);
      a.mul_(2);
      b.sum().backward();
      return b;
    },
    throws: MODIFIED,
  },
  "i = x.clone()\ni.add_(0.5)": { ts: ({ x }) => x.clone().add_(0.5), throws: /result type float32 can't be cast to the desired output type int32/ },
  "y = x * 1\ny.add_(z)": { ts: ({ x, z }) => x.mul(1).add_(z), throws: /output with shape \[3\] doesn't match the broadcast shape \[2, 3\]/ },
};

// ---------------------------------------------------------------- comparing
const TOL: Record<string, { rtol: number; atol: number }> = {
  float32: { rtol: 1e-5, atol: 1e-6 },
  float64: { rtol: 1e-10, atol: 1e-12 },
};

function closeEnough(e: number, g: number, dtype: string): boolean {
  if (Number.isNaN(e)) return Number.isNaN(g);
  if (!Number.isFinite(e)) return e === g;
  const t = TOL[dtype];
  return t ? Math.abs(g - e) <= Math.max(t.rtol * Math.abs(e), t.atol) : g === e;
}

function assertTensor(where: string, expected: Enc, got: unknown): void {
  assert.ok(got instanceof Tensor, `${where}: expected a tensor, got ${typeof got}`);
  assert.deepEqual([...got.shape], expected.shape, `${where}: shape`);
  assert.equal(got.dtype, expected.dtype, `${where}: dtype`);
  const data = got.dataSync();
  const bad: string[] = [];
  expected.data.forEach((v, i) => {
    if (!closeEnough(num(v), data[i], expected.dtype) && bad.length < 5) bad.push(`  [${i}] expected ${num(v)}, got ${data[i]}`);
  });
  assert.equal(bad.length, 0, `${where}: values differ (${expected.dtype}):\n${bad.join("\n")}`);
}

/** A Python value (bool, number, nested list) against ours; floats as in a float64 tensor. */
function assertPy(where: string, expected: unknown, got: unknown): void {
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(got) && got.length === expected.length, `${where}: expected a list of ${expected.length}, got ${JSON.stringify(got)}`);
    expected.forEach((e, i) => assertPy(`${where}[${i}]`, e, (got as unknown[])[i]));
  } else if (typeof expected === "number" || typeof expected === "string") {
    assert.ok(typeof got === "number" && closeEnough(num(expected as Num), got, "float64"), `${where}: expected ${expected}, got ${JSON.stringify(got)}`);
  } else {
    assert.equal(got, expected, `${where}`);
  }
}

function assertValue(where: string, expected: Value, got: unknown): void {
  if ("tensor" in expected) return assertTensor(where, expected.tensor, got);
  if ("list" in expected) {
    assert.ok(got !== null && typeof got === "object" && Symbol.iterator in got, `${where}: expected a sequence of ${expected.list.length} tensors`);
    const items = [...(got as Iterable<unknown>)];
    assert.equal(items.length, expected.list.length, `${where}: length`);
    expected.list.forEach((e, i) => assertValue(`${where}[${i}]`, e, items[i]));
    return;
  }
  assertPy(where, expected.py, got);
}

/** The tensors of a result in order, as the generator's flatten(). */
function flatten(r: Result): Tensor[] {
  if (r instanceof Tensor) return [r];
  if (r !== null && typeof r === "object" && Symbol.iterator in r) return [...(r as Iterable<unknown>)].filter((t): t is Tensor => t instanceof Tensor);
  return [];
}

// ---------------------------------------------------------------- the cases
test("torch-api: every snippet has a TypeScript twin, and every twin a snippet", () => {
  const snippets = new Set(fixtures.cases.map((c) => c.snippet));
  assert.deepEqual([...snippets].filter((s) => !(s in TWINS)), [], "snippets with no twin here");
  assert.deepEqual(Object.keys(TWINS).filter((s) => !snippets.has(s)), [], "twins with no snippet in the fixture");
});

describe(`PyTorch ${fixtures.torch} snippets`, () => {
  fixtures.cases.forEach((c, index) => {
    const twin = TWINS[c.snippet];
    if (!twin) return;
    const shown = c.snippet.replace(/\n\s*/g, "; ");
    test(`#${index} ${shown}${c.label ? ` [${c.label}]` : ""}  ⇢  ${twin.ts.toString().replace(/\s+/g, " ")}`, () => {
      const inputs: In = Object.fromEntries(Object.entries(c.inputs).map(([k, e]) => {
        const t = decode(e);
        return [k, t.isFloatingPoint ? t.requiresGrad_(true) : t];
      }));
      const where = `case #${index} ${JSON.stringify(c.snippet)}`;
      if (c.error !== undefined) {
        assert.ok(twin.throws, `${where}: PyTorch raises (${c.error}) but the twin expects no error`);
        assert.throws(() => twin.ts(inputs), twin.throws, `${where}: PyTorch raises "${c.error}"`);
        return;
      }
      assert.equal(twin.throws, undefined, `${where}: the twin expects an error but PyTorch raised none`);
      const out = twin.ts(inputs);
      assertValue(`${where}: output`, c.output!, out);
      if (!c.gradOutputs) return;
      const flat = flatten(out);
      const loss = c.gradOutputs.map((i, k) => flat[i].mul(decode(c.gradWeights![k])).sum()).reduce((a, b) => a.add(b));
      loss.backward();
      for (const [k, g] of Object.entries(c.grads!)) {
        const mine = inputs[k].grad ?? (g.data.every((v) => v === 0) ? inputs[k].zerosLike() : null);
        assertTensor(`${where}: grad of ${k}`, g, mine);
      }
    });
  });
});

// ---------------------------------------------------------------- multinomial: distributions, not PyTorch's samples
describe("multinomial (checked by its distribution: PyTorch's random stream is not ours)", () => {
  const w = tensor([0.1, 0.2, 0.3, 0.4], { dtype: "float64" });
  test("with replacement: frequencies match the weights (chi-square, 3 degrees of freedom, p ≈ 0.001)", () => {
    const n = 20000;
    const s = multinomial(w, n, true, { generator: new Generator(1) });
    assert.deepEqual([s.dtype, ...s.shape], ["int32", n]);
    const counts = [0, 0, 0, 0];
    for (const v of s.dataSync()) counts[v]++;
    const chi2 = counts.reduce((acc, c, i) => acc + (c - n * [0.1, 0.2, 0.3, 0.4][i]) ** 2 / (n * [0.1, 0.2, 0.3, 0.4][i]), 0);
    assert.ok(chi2 < 16.27, `chi-square ${chi2.toFixed(2)} for counts ${counts}`);
  });
  test("unnormalised weights, one row per distribution, zero weights never drawn", () => {
    const rows = tensor([[0, 5, 0, 5], [1, 0, 0, 0]]);
    const s = rows.multinomial(1000, true, { generator: new Generator(2) });
    assert.deepEqual(s.shape, [2, 1000]);
    const [a, b] = s.tolist() as number[][];
    assert.ok(a.every((v) => v === 1 || v === 3) && a.includes(1) && a.includes(3));
    assert.ok(b.every((v) => v === 0));
  });
  test("without replacement: distinct draws; the first draw follows the weights, and all draws together cover every category", () => {
    const first = [0, 0, 0, 0];
    const g = new Generator(3);
    for (let i = 0; i < 4000; i++) {
      const s = multinomial(w, 4, { generator: g }).tolist() as number[];
      assert.deepEqual([...s].sort(), [0, 1, 2, 3]);
      first[s[0]]++;
    }
    const chi2 = first.reduce((acc, c, i) => acc + (c - 4000 * [0.1, 0.2, 0.3, 0.4][i]) ** 2 / (4000 * [0.1, 0.2, 0.3, 0.4][i]), 0);
    assert.ok(chi2 < 16.27, `chi-square ${chi2.toFixed(2)} for first draws ${first}`);
    // P(second = 0 | first = 3) = 0.1 / 0.6: the renormalised rest
    let firstIs3 = 0;
    let thenIs0 = 0;
    const g2 = new Generator(4);
    for (let i = 0; i < 6000; i++) {
      const [s0, s1] = multinomial(w, 2, false, { generator: g2 }).tolist() as number[];
      if (s0 === 3) {
        firstIs3++;
        if (s1 === 0) thenIs0++;
      }
    }
    const p = thenIs0 / firstIs3;
    assert.ok(Math.abs(p - 1 / 6) < 4 * Math.sqrt((1 / 6) * (5 / 6) / firstIs3), `P(0 | 3 first) = ${p.toFixed(3)}, expected 0.167`);
  });
  test("seeded: the same seed gives the same draws, through manualSeed or a Generator", () => {
    manualSeed(7);
    const a = multinomial(w, 50, true).tolist();
    manualSeed(7);
    assert.deepEqual(multinomial(w, 50, true).tolist(), a);
    assert.deepEqual(multinomial(w, 3, { generator: new Generator(9) }).tolist(), multinomial(w, 3, { generator: new Generator(9) }).tolist());
  });
  test("bad weights and counts are errors that say what is wrong", () => {
    assert.throws(() => multinomial(tensor([1, -1]), 1), /weights must be finite and non-negative/);
    assert.throws(() => multinomial(tensor([0, 0]), 1), /row 0 has no positive weight/);
    assert.throws(() => multinomial(tensor([0, 1, 1]), 3), /cannot draw 3 samples without replacement from 2 categories/);
    assert.throws(() => multinomial(tensor([1, 2], { dtype: "int32" }), 1), /floating point/);
    assert.throws(() => multinomial(tensor([[[1]]]), 1), /1-D or 2-D/);
    assert.throws(() => multinomial(tensor([1, 2]), 1, { replacment: true } as never), /unknown option "replacment"/);
  });
});

// ---------------------------------------------------------------- the convention's errors
test("options objects: unknown names, a value given twice, or arguments after the object are errors", () => {
  const x = tensor([[1, 2], [3, 4]]);
  assert.throws(() => x.sum(1, { keepDim: true } as never), /sum: unknown option "keepDim" \(sum takes dim, keepdim, dtype\)/);
  assert.throws(() => x.sum(1, { dim: 0 }), /sum: got "dim" both as an argument and as an option/);
  assert.throws(() => x.var(0, { correction: 0, unbiased: false }), /either correction or unbiased/);
  assert.throws(() => x.max([0, 1] as never), /max: dim must be one integer .* use amax/);
  assert.throws(() => x.max({ keepdim: true }), /max: dim must be one integer/);
  assert.throws(() => x.sort({ descending: 1 } as never), /descending must be true or false/);
});
