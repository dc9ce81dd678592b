// The nn API against PyTorch (reference/gen_nn_fixtures.py → fixtures/nn-api.json): activation
// functions and modules, losses (functional and modules, with their options), other functionals
// (pad, normalize, cosineSimilarity, batchNorm, ...), BatchNorm over train steps and in eval,
// MultiheadAttention with masks, and a model built from ModuleList / ModuleDict / Parameter.
//
// Each module is built here, its state-dict keys and shapes are compared with PyTorch's, then
// PyTorch's state dict is loaded into it (same weights), and outputs and the gradients of
// L = Σ out · W (W fixed random, from the fixture) are compared: inputs' and parameters'.
// All float64; tolerance 1e-10 relative, 1e-12 absolute floor.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { cat, F, nn, tensor, Tensor, zeros, type DType } from "../src/index.js";

// ---------------------------------------------------------------- the fixture file
interface Enc {
  shape: number[];
  dtype: "float64" | "int32" | "bool";
  data: number[];
}
type Encoded = Enc | { $tensor: Enc } | null | number | string | boolean | Encoded[] | { [k: string]: Encoded };
type StateKeys = [string, number[]][];

interface ActivationCase {
  name: string;
  fn: string;
  args: Encoded[];
  module: { ctor: string; args: Encoded[]; state?: Record<string, Enc>; paramGrads?: Record<string, Enc> };
  input: Enc;
  output: Enc;
  gradWeight: Enc;
  grad: Enc;
  rtol?: number;
}
interface LossCase {
  name: string;
  fn: string;
  module: string;
  opts: Record<string, Encoded>;
  inputs: Enc[];
  gradInputs: number[];
  output: Enc;
  gradWeight: Enc;
  grads: Enc[];
}
interface FunctionalCase {
  name: string;
  fn: string;
  inputs: Enc[];
  extra: Encoded[];
  output: Enc;
  gradWeight: Enc;
  grads: (Enc | null)[];
}
interface Step {
  input: Enc;
  output: Enc;
  gradWeight: Enc;
  grad: Enc;
  paramGrads?: Record<string, Enc>;
  buffers?: Record<string, Enc>;
}
interface BatchNormCase {
  name: string;
  ctor: "BatchNorm1d" | "BatchNorm2d" | "BatchNorm3d";
  numFeatures: number;
  opts: Record<string, number | boolean | null>;
  stateKeys: StateKeys;
  state: Record<string, Enc>;
  steps: Step[];
  eval: Step;
}
interface MhaCase {
  name: string;
  embedDim: number;
  numHeads: number;
  opts: Record<string, number | boolean>;
  stateKeys: StateKeys;
  state: Record<string, Enc>;
  inputs: { query: Enc; key: Enc; value: Enc };
  forwardOpts: Record<string, Encoded>;
  output: Enc;
  weights: Enc | null;
  gradWeights: { output: Enc; weights: Enc | null };
  grads: { query: Enc; key: Enc; value: Enc };
  paramGrads: Record<string, Enc>;
}
interface ContainersCase {
  stateKeys: StateKeys;
  namedParameters: string[];
  state: Record<string, Enc>;
  input: Enc;
  output: Enc;
  gradWeight: Enc;
  grad: Enc;
  paramGrads: Record<string, Enc>;
  buffersAfter: Record<string, Enc>;
}
interface Fixtures {
  torch: string;
  activations: ActivationCase[];
  losses: LossCase[];
  functional: FunctionalCase[];
  batchnorm: BatchNormCase[];
  mha: MhaCase[];
  containers: ContainersCase;
}

const fx = JSON.parse(readFileSync(new URL("../fixtures/nn-api.json", import.meta.url), "utf8")) as Fixtures;

// ---------------------------------------------------------------- decoding and comparing
const F64 = { dtype: "float64" } as const;

function decode(e: Enc, requiresGrad = false): Tensor {
  const t = tensor(e.data, { dtype: e.dtype as DType, shape: e.shape });
  return requiresGrad ? t.requiresGrad_(true) : t;
}

const isEnc = (v: unknown): v is Enc => typeof v === "object" && v !== null && "shape" in v && "data" in v;

/** Options and arguments: {"$tensor": …} becomes a Tensor, objects and arrays are walked. */
function decodeDeep(v: Encoded): unknown {
  if (v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) return v.map(decodeDeep);
  if ("$tensor" in v && isEnc(v.$tensor)) return decode(v.$tensor);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, decodeDeep(x as Encoded)]));
}

const decodeState = (s: Record<string, Enc>) => Object.fromEntries(Object.entries(s).map(([k, e]) => [k, decode(e)]));

function assertClose(where: string, expected: Enc, got: Tensor | null | undefined, rtol = 1e-10, atol = 1e-12): void {
  assert.ok(got, `${where}: expected a tensor of shape [${expected.shape}], got ${got}`);
  assert.deepEqual([...got.shape], expected.shape, `${where}: shape: expected [${expected.shape}], got [${got.shape}]`);
  assert.equal(got.dtype, expected.dtype, `${where}: dtype`);
  const data = got.dataSync();
  const bad: string[] = [];
  for (let i = 0; i < expected.data.length; i++) {
    const [e, g] = [expected.data[i], data[i]];
    if (!(Math.abs(g - e) <= Math.max(rtol * Math.abs(e), atol)) && bad.length < 5) bad.push(`at ${i}: expected ${e}, got ${g}`);
  }
  assert.equal(bad.length, 0, `${where}: values differ from PyTorch's:\n  ${bad.join("\n  ")}`);
}

/** Our module's state-dict keys, in order, with shapes: must equal PyTorch's. */
function assertStateKeys(where: string, module: nn.Module, expected: StateKeys): void {
  const ours = Object.entries(module.stateDict()).map(([k, t]) => [k, [...t.shape]]);
  assert.deepEqual(ours, expected, `${where}: state-dict keys and shapes differ from PyTorch's`);
}

function assertParamGrads(where: string, module: nn.Module, expected: Record<string, Enc>): void {
  const ours = new Map(module.namedParameters());
  assert.deepEqual([...ours.keys()].sort(), Object.keys(expected).sort(), `${where}: parameter names`);
  for (const [k, e] of Object.entries(expected)) assertClose(`${where}: grad of ${k}`, e, ours.get(k)!.grad ?? zeros(e.shape, F64));
}

/** Backpropagates L = Σ out_i · W_i. */
function backwardWeighted(pairs: [Tensor, Enc][]): void {
  pairs.map(([out, W]) => out.mul(decode(W)).sum()).reduce((a, b) => a.add(b)).backward();
}

type AnyFn = (...args: unknown[]) => Tensor;
function fnOf(name: string): AnyFn {
  const f = (F as unknown as Record<string, unknown>)[name];
  assert.equal(typeof f, "function", `F.${name} is missing`);
  assert.equal((nn.functional as unknown as Record<string, unknown>)[name], f, `nn.functional.${name} should be F.${name}`);
  return f as AnyFn;
}
function ctorOf(name: string): new (...args: unknown[]) => nn.Module {
  const C = (nn as unknown as Record<string, unknown>)[name];
  assert.equal(typeof C, "function", `nn.${name} is missing`);
  return C as new (...args: unknown[]) => nn.Module;
}

// ---------------------------------------------------------------- activations
describe(`activations against PyTorch ${fx.torch}: F.x(input, ...args) and new nn.X(...args)`, () => {
  for (const c of fx.activations) {
    test(c.name, () => {
      const args = c.args.map(decodeDeep);
      const state = c.module.state && decodeState(c.module.state);
      // functional
      const x = decode(c.input, true);
      const out = c.fn === "prelu" ? fnOf("prelu")(x, state!.weight) : fnOf(c.fn)(x, ...args);
      assertClose(`F.${c.fn} output`, c.output, out, c.rtol);
      backwardWeighted([[out, c.gradWeight]]);
      assertClose(`F.${c.fn} input grad`, c.grad, x.grad, c.rtol);
      // module
      const ctorArgs = c.module.args.map(decodeDeep);
      const module = c.module.ctor === "PReLU" ? new nn.PReLU((ctorArgs[0] as number | undefined) ?? 1, 0.25, F64) : new (ctorOf(c.module.ctor))(...ctorArgs);
      if (state) module.loadStateDict(state);
      const xm = decode(c.input, true);
      const outM = module.forward(xm) as Tensor;
      assertClose(`nn.${c.module.ctor} output`, c.output, outM, c.rtol);
      backwardWeighted([[outM, c.gradWeight]]);
      assertClose(`nn.${c.module.ctor} input grad`, c.grad, xm.grad, c.rtol);
      if (c.module.paramGrads) assertParamGrads(`nn.${c.module.ctor}`, module, c.module.paramGrads);
    });
  }
});

// ---------------------------------------------------------------- losses
describe("losses against PyTorch: F.x(input, target, opts) and new nn.XLoss(opts)", () => {
  for (const c of fx.losses) {
    test(c.name, () => {
      const opts = decodeDeep(c.opts) as Record<string, unknown>;
      const run = (f: (input: Tensor, target: Tensor) => Tensor, where: string) => {
        const inputs = c.inputs.map((e, i) => decode(e, c.gradInputs.includes(i)));
        const out = f(inputs[0], inputs[1]);
        assertClose(`${where} output`, c.output, out);
        backwardWeighted([[out, c.gradWeight]]);
        c.gradInputs.forEach((i, k) => assertClose(`${where} grad of input ${i}`, c.grads[k], inputs[i].grad));
      };
      run((a, b) => fnOf(c.fn)(a, b, opts), `F.${c.fn}`);
      const module = new (ctorOf(c.module))(opts);
      run((a, b) => module.forward(a, b) as Tensor, `nn.${c.module}`);
    });
  }
  test("weights are buffers named as PyTorch's (weight, pos_weight)", () => {
    const w = tensor([1, 2, 3], F64);
    assert.deepEqual(Object.keys(new nn.CrossEntropyLoss({ weight: w }).stateDict()), ["weight"]);
    assert.deepEqual(Object.keys(new nn.BCEWithLogitsLoss({ weight: w, posWeight: w }).stateDict()), ["weight", "pos_weight"]);
    assert.deepEqual(Object.keys(new nn.CrossEntropyLoss().stateDict()), []);
  });
});

// ---------------------------------------------------------------- other functionals
describe("other functionals against PyTorch", () => {
  for (const c of fx.functional) {
    test(c.name, () => {
      const inputs = c.inputs.map((e, i) => decode(e, c.grads[i] !== null));
      const out = fnOf(c.fn)(...inputs, ...c.extra.map(decodeDeep));
      assertClose(`F.${c.fn} output`, c.output, out);
      backwardWeighted([[out, c.gradWeight]]);
      c.grads.forEach((g, i) => g && assertClose(`F.${c.fn} grad of input ${i}`, g, inputs[i].grad));
    });
  }
});

// ---------------------------------------------------------------- BatchNorm
describe("BatchNorm against PyTorch: train steps, running statistics, eval", () => {
  for (const c of fx.batchnorm) {
    test(c.name, () => {
      const bn = new (ctorOf(c.ctor))(c.numFeatures, { ...c.opts, dtype: "float64" });
      assertStateKeys(c.name, bn, c.stateKeys);
      bn.loadStateDict(decodeState(c.state));
      bn.train();
      c.steps.forEach((s, i) => {
        bn.zeroGrad();
        const x = decode(s.input, true);
        const out = bn.forward(x) as Tensor;
        assertClose(`step ${i} output`, s.output, out);
        backwardWeighted([[out, s.gradWeight]]);
        assertClose(`step ${i} input grad`, s.grad, x.grad);
        assertParamGrads(`step ${i}`, bn, s.paramGrads!);
        const buffers = new Map(bn.namedBuffers());
        assert.deepEqual([...buffers.keys()], Object.keys(s.buffers!), `step ${i}: buffer names`);
        for (const [k, e] of Object.entries(s.buffers!)) assertClose(`step ${i} ${k}`, e, buffers.get(k));
      });
      bn.eval();
      const x = decode(c.eval.input, true);
      const out = bn.forward(x) as Tensor;
      assertClose("eval output", c.eval.output, out);
      backwardWeighted([[out, c.eval.gradWeight]]);
      assertClose("eval input grad", c.eval.grad, x.grad);
    });
  }
});

// ---------------------------------------------------------------- MultiheadAttention
describe("MultiheadAttention against PyTorch: layouts, masks, averaged weights, gradients", () => {
  for (const c of fx.mha) {
    test(c.name, () => {
      const mha = new nn.MultiheadAttention(c.embedDim, c.numHeads, { ...c.opts, dtype: "float64" });
      assertStateKeys(c.name, mha, c.stateKeys);
      mha.loadStateDict(decodeState(c.state));
      mha.eval();
      const q = decode(c.inputs.query, true);
      const k = decode(c.inputs.key, true);
      const v = decode(c.inputs.value, true);
      const [out, weights] = mha.forward(q, k, v, decodeDeep(c.forwardOpts) as nn.MultiheadAttentionForwardOptions);
      assertClose("output", c.output, out);
      if (c.weights === null) assert.equal(weights, null, "no weights were asked for");
      else assertClose("attention weights", c.weights, weights);
      backwardWeighted(weights && c.gradWeights.weights ? [[out, c.gradWeights.output], [weights, c.gradWeights.weights]] : [[out, c.gradWeights.output]]);
      assertClose("query grad", c.grads.query, q.grad);
      assertClose("key grad", c.grads.key, k.grad);
      assertClose("value grad", c.grads.value, v.grad);
      assertParamGrads(c.name, mha, c.paramGrads);
    });
  }
});

// ---------------------------------------------------------------- containers
// The same model as reference/gen_nn_fixtures.py's Net, written with our API.
class Net extends nn.Module {
  scale = new nn.Parameter(zeros([3], F64));
  blocks = new nn.ModuleList<nn.Module>([new nn.Linear(3, 4, F64), new nn.BatchNorm1d(4, F64), new nn.PReLU(4, 0.25, F64), new nn.Identity(), new nn.Linear(4, 6, F64)]);
  heads = new nn.ModuleDict({ cls: new nn.Linear(6, 2, F64), reg: new nn.Sequential(new nn.Linear(6, 3, F64), new nn.Tanh(), new nn.Linear(3, 1, F64)) });
  attn = new nn.MultiheadAttention(6, 3, { batchFirst: true, dtype: "float64" });
  forward(x: Tensor): Tensor {
    let h = x.mul(this.scale);
    const [n, t] = h.shape;
    let i = 0;
    for (const block of this.blocks) {
      h = i++ < 3 ? (block.forward(h.reshape(n * t, -1)) as Tensor).reshape(n, t, -1) : (block.forward(h) as Tensor);
    }
    const [a] = this.attn.forward(h, h, h);
    h = h.add(a);
    return cat([this.heads.get("cls").forward(h) as Tensor, this.heads.get("reg").forward(h) as Tensor], -1);
  }
}

test("a model of ModuleList, ModuleDict, Parameter, BatchNorm, PReLU, Identity and MultiheadAttention matches PyTorch's", () => {
  const c = fx.containers;
  const net = new Net();
  assertStateKeys("Net", net, c.stateKeys);
  assert.deepEqual([...net.namedParameters()].map(([k]) => k), c.namedParameters, "namedParameters order");
  net.loadStateDict(decodeState(c.state));
  net.train();
  const x = decode(c.input, true);
  const out = net.forward(x);
  assertClose("output", c.output, out);
  backwardWeighted([[out, c.gradWeight]]);
  assertClose("input grad", c.grad, x.grad);
  assertParamGrads("Net", net, c.paramGrads);
  const buffers = new Map(net.namedBuffers());
  for (const [k, e] of Object.entries(c.buffersAfter)) assertClose(`buffer ${k} after the step`, e, buffers.get(k));
});
