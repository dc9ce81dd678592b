// Cross-framework golden fixtures: op results and gradients, a small MLP, and optimizer steps,
// all computed by PyTorch (reference/gen_fixtures.py → fixtures/ops.json) and replayed here.
//
// Every op case stores its inputs, the output, a random weight W shaped like the output, and
// d(sum(output · W))/d(input) for each float input, so every output element reaches the
// gradient check. Tolerances: float32 1e-5 relative (1e-6 absolute floor near zero), float64
// 1e-10 relative (1e-12 absolute floor).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { type DType, type Dims, Tensor, cat, einsum, matmul, nn, optim, stack, sub, tensor } from "../src/index.js";
import { avgPool2d, conv2d, crossEntropy, embedding, layerNorm, linear, maxPool2d, mseLoss, type Pair, type Reduction } from "../src/tensor/ops/nn.js";

// ---------------------------------------------------------------- the fixture file
interface Enc {
  shape: number[];
  dtype: "float32" | "float64" | "int32";
  data: number[];
}
type Args = Record<string, unknown>;
interface OpCase {
  name: string;
  op: string;
  args: Args;
  inputs: Enc[];
  output: Enc;
  gradWeight: Enc;
  grads: (Enc | null)[];
}
interface MlpCase {
  name: string;
  dtype: "float32" | "float64";
  x: Enc;
  y: Enc;
  params: Record<string, Enc>;
  loss: Enc;
  grads: Record<string, Enc>;
}
interface OptimCase {
  name: string;
  optimizer: "Adam" | "AdamW" | "SGD";
  options: Record<string, unknown>;
  dtype: "float32" | "float64";
  initial: Enc;
  grads: Enc[];
  params: Enc[];
}
interface Fixtures {
  torch: string;
  cases: OpCase[];
  mlp: MlpCase[];
  optim: OptimCase[];
}

const fixtures = JSON.parse(readFileSync(new URL("../fixtures/ops.json", import.meta.url), "utf8")) as Fixtures;

// ---------------------------------------------------------------- comparing
const TOL: Record<string, { rtol: number; atol: number }> = {
  float32: { rtol: 1e-5, atol: 1e-6 },
  float64: { rtol: 1e-10, atol: 1e-12 },
};

function decode(e: Enc, requiresGrad = false): Tensor {
  const t = tensor(e.data, { dtype: e.dtype as DType, shape: e.shape });
  if (requiresGrad && e.dtype !== "int32") t.requiresGrad_(true);
  return t;
}

function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = i % shape[d];
    i = Math.floor(i / shape[d]);
  }
  return idx;
}

/** Asserts `got` matches `expected` in shape, dtype and every value; names the first mismatches. */
function assertClose(where: string, expected: Enc, got: Tensor | null): void {
  assert.ok(got !== null, `${where}: expected a tensor of shape [${expected.shape}], got null`);
  assert.deepEqual([...got.shape], expected.shape, `${where}: shape: expected [${expected.shape}], got [${got.shape}]`);
  assert.equal(got.dtype, expected.dtype, `${where}: dtype: expected ${expected.dtype}, got ${got.dtype}`);
  const { rtol, atol } = TOL[expected.dtype] ?? { rtol: 0, atol: 0 };
  const data = got.dataSync();
  const bad: string[] = [];
  let worst = 0;
  for (let i = 0; i < expected.data.length; i++) {
    const e = expected.data[i];
    const g = data[i];
    const diff = Math.abs(g - e);
    const tol = Math.max(rtol * Math.abs(e), atol);
    if (!(diff <= tol)) {
      worst = Math.max(worst, Number.isNaN(diff) ? Infinity : diff / Math.max(Math.abs(e), atol));
      if (bad.length < 5) bad.push(`  at index ${i} [${unravel(i, expected.shape)}]: expected ${e}, got ${g} (|diff| ${diff.toExponential(2)}, tol ${tol.toExponential(1)})`);
      else if (bad.length === 5) bad.push("  ...");
    }
  }
  if (bad.length) {
    const count = expected.data.filter((e, i) => !(Math.abs(data[i] - e) <= Math.max(rtol * Math.abs(e), atol))).length;
    assert.fail(`${where}: ${count} of ${expected.data.length} values differ (worst relative error ${worst.toExponential(2)}, ${expected.dtype} rtol ${rtol}):\n${bad.join("\n")}`);
  }
}

// ---------------------------------------------------------------- op keys → our API
const dimsArg = (a: Args, key = "dim"): Dims | null => (a[key] === undefined ? null : (a[key] as Dims | null));
const numArg = (a: Args, key: string): number => {
  const v = a[key];
  if (typeof v !== "number") throw new Error(`fixture arg ${key} should be a number, got ${JSON.stringify(v)}`);
  return v;
};
const pairArg = (a: Args, key: string): Pair | undefined => (a[key] === undefined ? undefined : (a[key] as Pair));
const keep = (a: Args): boolean => a.keepdim === true;
/** A reduction over `dim` (null: all dims). */
const reduction = (f: (x: Tensor, dim: Dims | null, keepdim: boolean) => Tensor) => ([x]: Tensor[], a: Args) => f(x, dimsArg(a), keep(a));
const ceOpts = (a: Args) => ({
  ...(a.ignoreIndex !== undefined ? { ignoreIndex: numArg(a, "ignoreIndex") } : {}),
  ...(a.labelSmoothing !== undefined ? { labelSmoothing: numArg(a, "labelSmoothing") } : {}),
  ...(a.reduction !== undefined ? { reduction: a.reduction as Reduction } : {}),
});

const OPS: Record<string, (inputs: Tensor[], args: Args) => Tensor> = {
  // unary
  exp: ([x]) => x.exp(),
  log: ([x]) => x.log(),
  sqrt: ([x]) => x.sqrt(),
  rsqrt: ([x]) => x.rsqrt(),
  tanh: ([x]) => x.tanh(),
  sigmoid: ([x]) => x.sigmoid(),
  relu: ([x]) => x.relu(),
  gelu: ([x], a) => x.gelu({ approximate: a.approximate as "none" | "tanh" }),
  silu: ([x]) => x.silu(),
  softplus: ([x]) => x.softplus(),
  erf: ([x]) => x.erf(),
  sin: ([x]) => x.sin(),
  cos: ([x]) => x.cos(),
  abs: ([x]) => x.abs(),
  neg: ([x]) => x.neg(),
  square: ([x]) => x.square(),
  reciprocal: ([x]) => x.reciprocal(),
  // binary (broadcasting)
  add: ([a, b]) => a.add(b),
  sub: ([a, b]) => a.sub(b),
  mul: ([a, b]) => a.mul(b),
  div: ([a, b]) => a.div(b),
  pow: ([a, b]) => a.pow(b),
  maximum: ([a, b]) => a.maximum(b),
  minimum: ([a, b]) => a.minimum(b),
  atan2: ([a, b]) => a.atan2(b),
  pow_scalar: ([x], a) => x.pow(numArg(a, "exponent")),
  mul_scalar: ([x], a) => x.mul(numArg(a, "other")),
  rsub_scalar: ([x], a) => sub(numArg(a, "other"), x),
  // reductions
  sum: reduction((x, d, k) => x.sum(d, k)),
  mean: reduction((x, d, k) => x.mean(d, k)),
  var: ([x], a) => x.var(dimsArg(a), { correction: numArg(a, "correction"), keepdim: keep(a) }),
  std: ([x], a) => x.std(dimsArg(a), { correction: numArg(a, "correction"), keepdim: keep(a) }),
  amax: reduction((x, d, k) => x.amax(d, k)),
  amin: reduction((x, d, k) => x.amin(d, k)),
  logsumexp: reduction((x, d, k) => x.logsumexp(d!, k)),
  norm: ([x], a) => x.norm(a.p === "inf" ? Infinity : numArg(a, "p"), dimsArg(a), keep(a)),
  // softmax family
  softmax: ([x], a) => x.softmax(numArg(a, "dim")),
  log_softmax: ([x], a) => x.logSoftmax(numArg(a, "dim")),
  // linear algebra
  matmul: ([a, b]) => matmul(a, b),
  einsum: (xs, a) => einsum(a.equation as string, ...xs),
  // cumsum, indexing, shape
  cumsum: ([x], a) => x.cumsum(numArg(a, "dim")),
  gather: ([x, i], a) => x.gather(numArg(a, "dim"), i),
  index_select: ([x, i], a) => x.indexSelect(numArg(a, "dim"), i),
  cat: (xs, a) => cat(xs, numArg(a, "dim")),
  stack: (xs, a) => stack(xs, numArg(a, "dim")),
  permute: ([x], a) => x.permute(...(a.dims as number[])),
  transpose: ([x], a) => x.transpose(numArg(a, "dim0"), numArg(a, "dim1")),
  expand: ([x], a) => x.expand(a.shape as number[]),
  reshape: ([x], a) => x.reshape(a.shape as number[]),
  slice: ([x], a) => x.slice(numArg(a, "dim"), numArg(a, "start"), numArg(a, "end"), numArg(a, "step")),
  flip: ([x], a) => x.flip(a.dims as number[]),
  tril: ([x], a) => x.tril(numArg(a, "diagonal")),
  // nn functional
  layer_norm: ([x, w, b], a) => layerNorm(x, a.normalizedShape as number[], w ?? null, b ?? null, numArg(a, "eps")),
  cross_entropy: ([x, t], a) => crossEntropy(x, t, ceOpts(a)),
  mse_loss: ([x, y], a) => mseLoss(x, y, a.reduction !== undefined ? { reduction: a.reduction as Reduction } : {}),
  conv2d: ([x, w, b], a) => conv2d(x, w, b ?? null, { stride: pairArg(a, "stride"), padding: pairArg(a, "padding"), dilation: pairArg(a, "dilation") }),
  max_pool2d: ([x], a) => maxPool2d(x, a.kernelSize as Pair, pairArg(a, "stride"), pairArg(a, "padding")),
  avg_pool2d: ([x], a) => avgPool2d(x, a.kernelSize as Pair, pairArg(a, "stride"), pairArg(a, "padding")),
  embedding: ([ids, w]) => embedding(ids, w),
  linear: ([x, w, b]) => linear(x, w, b ?? null),
};

// ---------------------------------------------------------------- op cases
const byOp = new Map<string, OpCase[]>();
for (const c of fixtures.cases) byOp.set(c.op, [...(byOp.get(c.op) ?? []), c]);

test("fixtures: every op key has a mapping", () => {
  const missing = [...byOp.keys()].filter((op) => !(op in OPS));
  assert.deepEqual(missing, [], `fixtures/ops.json uses op keys with no mapping here: ${missing.join(", ")}`);
  assert.ok(fixtures.cases.length > 100, `expected the full fixture set, got ${fixtures.cases.length} cases`);
});

for (const [op, cases] of byOp) {
  describe(`op ${op}`, () => {
    for (const c of cases) {
      const index = fixtures.cases.indexOf(c);
      test(`${c.name} (case #${index})`, () => {
        const where = `case #${index} "${c.name}" (op ${c.op}, args ${JSON.stringify(c.args)})`;
        const fn = OPS[c.op];
        assert.ok(fn, `${where}: no mapping for op "${c.op}"`);
        const inputs = c.inputs.map((e) => decode(e, true));
        const out = fn(inputs, c.args);
        assertClose(`${where}: output`, c.output, out);
        out.mul(decode(c.gradWeight)).sum().backward();
        c.grads.forEach((g, i) => {
          if (g === null) return;
          // an input that reaches the output through no differentiable path may keep grad null
          const got = inputs[i].grad ?? (g.data.every((v) => v === 0) ? inputs[i].zerosLike() : null);
          assertClose(`${where}: grad of input ${i}`, g, got);
        });
      });
    }
  });
}

// ---------------------------------------------------------------- small MLP (plain tensors)
describe("mlp: Linear → tanh → Linear, MSE loss", () => {
  for (const c of fixtures.mlp) {
    test(`${c.name} with tensor ops`, () => {
      const p = Object.fromEntries(Object.entries(c.params).map(([k, v]) => [k, decode(v, true)]));
      const x = decode(c.x);
      const y = decode(c.y);
      const h = x.matmul(p["fc1.weight"].mT).add(p["fc1.bias"]).tanh();
      const out = h.matmul(p["fc2.weight"].mT).add(p["fc2.bias"]);
      const loss = out.sub(y).square().mean();
      assertClose(`${c.name}: loss`, c.loss, loss);
      loss.backward();
      for (const [k, g] of Object.entries(c.grads)) assertClose(`${c.name}: grad of ${k}`, g, p[k].grad);
    });
    test(`${c.name} with linear() and mseLoss()`, () => {
      const p = Object.fromEntries(Object.entries(c.params).map(([k, v]) => [k, decode(v, true)]));
      const out = linear(linear(decode(c.x), p["fc1.weight"], p["fc1.bias"]).tanh(), p["fc2.weight"], p["fc2.bias"]);
      const loss = mseLoss(out, decode(c.y));
      assertClose(`${c.name}: loss`, c.loss, loss);
      loss.backward();
      for (const [k, g] of Object.entries(c.grads)) assertClose(`${c.name}: grad of ${k}`, g, p[k].grad);
    });
  }
});

// ---------------------------------------------------------------- nn modules and optimizers
class TinyMLP extends nn.Module {
  fc1: InstanceType<typeof nn.Linear>;
  fc2: InstanceType<typeof nn.Linear>;
  constructor(dIn: number, dHidden: number, dOut: number, dtype: DType) {
    super();
    this.fc1 = new nn.Linear(dIn, dHidden, { dtype });
    this.fc2 = new nn.Linear(dHidden, dOut, { dtype });
  }
  forward(x: Tensor): Tensor {
    return this.fc2.forward(this.fc1.forward(x).tanh());
  }
}

describe("mlp: nn modules with PyTorch's state dict", () => {
  for (const c of fixtures.mlp) {
    const [dHidden, dIn] = c.params["fc1.weight"].shape;
    const dOut = c.params["fc2.weight"].shape[0];
    const state = Object.fromEntries(Object.entries(c.params).map(([k, v]) => [k, decode(v)]));

    test(`${c.name} as a Module with fc1, fc2`, () => {
      const model = new TinyMLP(dIn, dHidden, dOut, c.dtype);
      // the same keys, in the same order, as torch's state_dict()
      assert.deepEqual([...model.namedParameters()].map(([k]) => k), Object.keys(c.params), `${c.name}: parameter names`);
      model.loadStateDict(state);
      const loss = mseLoss(model.forward(decode(c.x)), decode(c.y));
      assertClose(`${c.name}: loss`, c.loss, loss);
      loss.backward();
      const params = new Map(model.namedParameters());
      for (const [k, g] of Object.entries(c.grads)) assertClose(`${c.name}: grad of ${k}`, g, params.get(k)?.grad ?? null);
    });

    test(`${c.name} as nn.Sequential(Linear, Tanh, Linear)`, () => {
      const model = new nn.Sequential(new nn.Linear(dIn, dHidden, { dtype: c.dtype }), new nn.Tanh(), new nn.Linear(dHidden, dOut, { dtype: c.dtype }));
      // torch.nn.Sequential numbers its children: fc1 → "0", fc2 → "2"
      const rename = (k: string) => k.replace("fc1.", "0.").replace("fc2.", "2.");
      model.loadStateDict(Object.fromEntries(Object.entries(state).map(([k, v]) => [rename(k), v])));
      const loss = mseLoss(model.forward(decode(c.x)), decode(c.y));
      assertClose(`${c.name}: loss`, c.loss, loss);
      loss.backward();
      const params = new Map(model.namedParameters());
      for (const [k, g] of Object.entries(c.grads)) assertClose(`${c.name}: grad of ${rename(k)}`, g, params.get(rename(k))?.grad ?? null);
    });
  }
});

function makeOptimizer(c: OptimCase, params: Tensor[]): optim.Optimizer<optim.SGDOptions> | optim.Optimizer<optim.AdamOptions> {
  switch (c.optimizer) {
    case "SGD":
      return new optim.SGD(params, c.options as Partial<optim.SGDOptions>);
    case "Adam":
      return new optim.Adam(params, c.options as Partial<optim.AdamOptions>);
    case "AdamW":
      return new optim.AdamW(params, c.options as Partial<optim.AdamOptions>);
  }
}

describe("optimizers: 5 steps fed PyTorch's gradients", () => {
  for (const c of fixtures.optim) {
    test(`${c.name}`, () => {
      const p = decode(c.initial, true);
      const opt = makeOptimizer(c, [p]);
      c.grads.forEach((g, step) => {
        opt.zeroGrad();
        p.grad = decode(g);
        opt.step();
        assertClose(`${c.name} (${c.optimizer} ${JSON.stringify(c.options)}): parameter after step ${step + 1}`, c.params[step], p);
      });
    });
  }
});
