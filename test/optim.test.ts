// optim: update rules against hand-computed steps, state dicts that resume exactly, schedules,
// clipping, and hyperparameter validation. (SGD/Adam/AdamW are also compared with PyTorch in
// fixtures.test.ts.)
import assert from "node:assert/strict";
import { test } from "node:test";
import { manualSeed, nn, optim, randn, tensor } from "../src/index.js";

const close = (a: number, b: number, tol = 1e-6) => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} vs ${b}`);

test("RMSprop's first step matches the formula", () => {
  const p = tensor([1, -2], { dtype: "float64", requiresGrad: true });
  const opt = new optim.RMSprop([p], { lr: 0.01, alpha: 0.9, eps: 1e-8 });
  p.grad = tensor([0.5, 2], { dtype: "float64" });
  opt.step();
  // v = 0.1 g²; p ← p − lr g / (√v + eps)
  const expect = [0.5, 2].map((g, i) => [1, -2][i] - (0.01 * g) / (Math.sqrt(0.1 * g * g) + 1e-8));
  (p.toArray() as number[]).forEach((v, i) => close(v, expect[i], 1e-12));
});

test("Adam's first step moves each weight by about lr against its gradient's sign", () => {
  const p = tensor([1, 1, 1], { requiresGrad: true });
  const opt = new optim.Adam([p], { lr: 0.1 });
  p.grad = tensor([3, -0.001, 0]);
  opt.step();
  const v = p.toArray() as number[];
  close(v[0], 0.9, 1e-5);
  close(v[1], 1.1, 1e-3);
  close(v[2], 1, 1e-7);
});

test("optimizer state dicts resume training exactly", () => {
  const run = (resumeAt: number | null) => {
    manualSeed(0);
    const model = new nn.Linear(3, 2);
    const x = randn(8, 3);
    let opt = new optim.AdamW(model.parameters(), { lr: 0.05, weightDecay: 0.1 });
    for (let i = 0; i < 6; i++) {
      if (i === resumeAt) {
        const sd = opt.stateDict();
        opt = new optim.AdamW(model.parameters(), { lr: 999 });
        opt.loadStateDict(sd);
      }
      opt.zeroGrad();
      model.forward(x).square().mean().backward();
      opt.step();
    }
    return model.weight.toArray();
  };
  assert.deepEqual(run(3), run(null));
  assert.notDeepEqual(run(null), (() => { manualSeed(0); return new nn.Linear(3, 2).weight.toArray(); })());
});

test("loadStateDict rejects mismatched state", () => {
  const a = new optim.SGD([tensor([1, 2], { requiresGrad: true })], { lr: 0.1, momentum: 0.9 });
  const b = new optim.SGD([tensor([1, 2, 3], { requiresGrad: true })], { lr: 0.1, momentum: 0.9 });
  a.paramGroups[0].params[0].grad = tensor([1, 1]);
  a.step();
  assert.throws(() => b.loadStateDict(a.stateDict()), /state of parameter 0 has shape \[2\], parameter has \[3\]/);
  assert.throws(() => b.loadStateDict({} as never), /expected \{ state, paramGroups \}/);
});

test("parameter groups carry their own hyperparameters", () => {
  const decay = tensor([1], { requiresGrad: true });
  const noDecay = tensor([1], { requiresGrad: true });
  const opt = new optim.AdamW([{ params: [decay], weightDecay: 0.5 }, { params: [noDecay], weightDecay: 0 }], { lr: 0.1 });
  decay.grad = tensor([0]);
  noDecay.grad = tensor([0]);
  opt.step();
  close(decay.item(), 1 - 0.1 * 0.5);
  close(noDecay.item(), 1);
});

test("bad hyperparameters and parameters are rejected with clear errors", () => {
  const p = tensor([1], { requiresGrad: true });
  assert.throws(() => new optim.Adam([p], { lr: -1 }), /Adam: lr must be a number in \[0, Infinity\], got -1/);
  assert.throws(() => new optim.AdamW([p], { betas: [0.9, 1] }), /betas\[1\]/);
  assert.throws(() => new optim.SGD([p], { nesterov: true }), /Nesterov momentum requires a momentum/);
  assert.throws(() => new optim.SGD([tensor([1])]), /every parameter must require grad/);
  assert.throws(() => new optim.SGD([]), /empty parameter list/);
});

test("warmupCosine rises linearly, then decays along a cosine to minLr", () => {
  const s = optim.warmupCosine({ maxLr: 1e-3, minLr: 1e-4, warmupSteps: 100, decaySteps: 2000 });
  close(s(0), 1e-3 / 101);
  close(s(99), 1e-3 * 100 / 101);
  close(s(100), 1e-3);
  close(s(1050), 1e-4 + 0.5 * 0.9e-3);
  close(s(2000), 1e-4);
  close(s(5000), 1e-4);
  const st = optim.stepDecay({ lr: 1, stepSize: 10, gamma: 0.5 });
  assert.deepEqual([st(0), st(9), st(10), st(25)], [1, 1, 0.5, 0.25]);
});

test("clipGradNorm_ rescales gradients to the max norm and returns the old norm", () => {
  const a = tensor([1, 1], { requiresGrad: true });
  const b = tensor([1, 1], { requiresGrad: true });
  a.grad = tensor([3, 0]);
  b.grad = tensor([0, 4]);
  close(optim.clipGradNorm_([a, b], 1), 5);
  const ga = a.grad!.toArray() as number[];
  const gb = b.grad!.toArray() as number[];
  close(Math.hypot(...ga, ...gb), 1, 1e-5);
  close(ga[0] / 3, gb[1] / 4, 1e-6);
  // under the limit nothing changes
  close(optim.clipGradNorm_([a, b], 10), 1, 1e-5);
  close(Math.hypot(...(a.grad!.toArray() as number[]), ...(b.grad!.toArray() as number[])), 1, 1e-5);
});
