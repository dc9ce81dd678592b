// nn: module trees and state dicts, layers' shapes and equations, initialisers, train/eval.
import assert from "node:assert/strict";
import { test } from "node:test";
import { gradcheck, manualSeed, nn, noGrad, randn, tensor, Tensor, zeros } from "../src/index.js";

class Block extends nn.Module {
  attn = new nn.Linear(4, 4);
  ln = new nn.LayerNorm(4);
  forward(x: Tensor): Tensor {
    return this.ln.forward(x.add(this.attn.forward(x)));
  }
}
class Tiny extends nn.Module {
  embed = new nn.Embedding(10, 4);
  blocks = [new Block(), new Block()];
  forward(ids: Tensor): Tensor {
    let h = this.embed.forward(ids);
    for (const b of this.blocks) h = b.forward(h);
    return h.matmul(this.embed.weight.mT);
  }
}

class Tied extends nn.Module {
  embed = new nn.Embedding(10, 4);
  head = new nn.Linear(4, 10, { bias: false });
  constructor() {
    super();
    this.head.weight = this.embed.weight;
  }
  forward(x: Tensor): Tensor {
    return this.head.forward(this.embed.forward(x));
  }
}

test("a tied weight appears once, under its first name", () => {
  const m = new Tied();
  assert.deepEqual(Object.keys(m.stateDict()), ["embed.weight"]);
  assert.equal(m.parameters().length, 1);
});

test("state-dict keys are dotted paths in definition order", () => {
  const m = new Tiny();
  assert.deepEqual(Object.keys(m.stateDict()), [
    "embed.weight",
    "blocks.0.attn.weight", "blocks.0.attn.bias", "blocks.0.ln.weight", "blocks.0.ln.bias",
    "blocks.1.attn.weight", "blocks.1.attn.bias", "blocks.1.ln.weight", "blocks.1.ln.bias",
  ]);
  assert.equal(m.numParameters(), 10 * 4 + 2 * (16 + 4 + 4 + 4));
  assert.deepEqual(m.forward(tensor([[1, 2, 3]], { dtype: "int32" })).shape, [1, 3, 10]);
});

test("loadStateDict copies values and reports every problem at once", () => {
  const a = new Tiny();
  const b = new Tiny();
  b.loadStateDict(a.stateDict());
  assert.deepEqual(b.blocks[1].attn.weight.toArray(), a.blocks[1].attn.weight.toArray());
  const sd = a.stateDict();
  delete sd["embed.weight"];
  sd["extra.weight"] = zeros(1);
  sd["blocks.0.attn.bias"] = zeros(5);
  assert.throws(() => b.loadStateDict(sd), (e: Error) =>
    /size mismatch for "blocks.0.attn.bias": checkpoint has \[5\], this model has \[4\]/.test(e.message) &&
    /missing key\(s\): "embed.weight"/.test(e.message) &&
    /unexpected key\(s\): "extra.weight"/.test(e.message));
  delete sd["blocks.0.attn.bias"];
  const r = b.loadStateDict(sd, { strict: false });
  assert.deepEqual(r.missingKeys, ["embed.weight", "blocks.0.attn.bias"]);
  assert.deepEqual(r.unexpectedKeys, ["extra.weight"]);
});

test("train()/eval() reach every descendant and switch dropout", () => {
  manualSeed(1);
  const m = new nn.Sequential(new nn.Linear(3, 3), new nn.Dropout(0.5));
  const x = randn(200, 3);
  m.eval();
  assert.ok(m.children().every((c) => !c.training));
  const a = m.forward(x).toArray();
  assert.deepEqual(m.forward(x).toArray(), a); // deterministic in eval
  m.train();
  const y = m.forward(x).dataSync();
  const zerosFrac = y.filter((v) => v === 0).length / y.length;
  assert.ok(zerosFrac > 0.4 && zerosFrac < 0.6, `dropout zeroed ${zerosFrac}`);
  assert.deepEqual(Object.keys(m.stateDict()), ["0.weight", "0.bias"]);
});

test("Linear init follows PyTorch's bounds and is reproducible from the seed", () => {
  manualSeed(7);
  const a = new nn.Linear(100, 50);
  manualSeed(7);
  const b = new nn.Linear(100, 50);
  assert.deepEqual(a.weight.toArray(), b.weight.toArray());
  const w = a.weight.dataSync();
  const bound = 1 / Math.sqrt(100);
  assert.ok(w.every((v) => Math.abs(v) <= bound));
  assert.ok(Math.max(...w) > 0.9 * bound, "uniform fills the range");
  const g = new nn.Linear(100, 50, { bias: false });
  assert.equal(g.bias, null);
  assert.throws(() => new nn.Linear(0, 3), /inFeatures must be a positive integer/);
  assert.throws(() => a.forward(randn(2, 99)), /linear: input \[2, 99\] has 99 features but weight \[50, 100\] expects 100/);
});

test("initialisers: xavier and kaiming have the right spread", () => {
  manualSeed(3);
  const w = zeros(400, 300);
  nn.init.xavierNormal_(w);
  const std = w.std().item();
  assert.ok(Math.abs(std - Math.sqrt(2 / 700)) < 0.002, `xavier std ${std}`);
  nn.init.kaimingNormal_(w, { nonlinearity: "relu" });
  assert.ok(Math.abs(w.std().item() - Math.sqrt(2 / 300)) < 0.003);
});

test("LayerNorm normalises the last dim; RMSNorm scales by the root mean square", () => {
  const x = tensor([[1, 2, 3, 4], [2, 2, 2, 6]]);
  const y = new nn.LayerNorm(4).forward(x).toArray() as number[][];
  // row 1: mean 2.5, var 1.25
  const s = Math.sqrt(1.25 + 1e-5);
  y[0].forEach((v, i) => assert.ok(Math.abs(v - (i + 1 - 2.5) / s) < 1e-5));
  const r = new nn.RMSNorm(4, { eps: 0 }).forward(x).toArray() as number[][];
  const rms = Math.sqrt((4 + 4 + 4 + 36) / 4);
  r[1].forEach((v, i) => assert.ok(Math.abs(v - [2, 2, 2, 6][i] / rms) < 1e-6));
});

test("RNN, LSTM and GRU follow PyTorch's equations and parameter names", () => {
  manualSeed(0);
  const rnn = new nn.RNN(2, 3, { dtype: "float64" });
  const x = randn(4, 1, 2, { dtype: "float64" });
  const [out, hN] = rnn.forward(x);
  // step by step with plain arithmetic on the weights
  const sd = rnn.stateDict();
  const W = sd.weight_ih_l0.toArray() as number[][];
  const U = sd.weight_hh_l0.toArray() as number[][];
  const b1 = sd.bias_ih_l0.toArray() as number[];
  const b2 = sd.bias_hh_l0.toArray() as number[];
  const xs = x.toArray() as number[][][];
  let h = [0, 0, 0];
  for (let t = 0; t < 4; t++) {
    h = h.map((_, i) => Math.tanh(W[i][0] * xs[t][0][0] + W[i][1] * xs[t][0][1] + b1[i] + U[i].reduce((s, u, j) => s + u * h[j], 0) + b2[i]));
    (out.toArray() as number[][][])[t][0].forEach((v, i) => assert.ok(Math.abs(v - h[i]) < 1e-12));
  }
  assert.deepEqual(hN.shape, [1, 1, 3]);
  const lstm = new nn.LSTM(2, 3, { numLayers: 2, batchFirst: true });
  const [o, [hl, cl]] = lstm.forward(randn(5, 7, 2));
  assert.deepEqual([o.shape, hl.shape, cl.shape], [[5, 7, 3], [2, 5, 3], [2, 5, 3]]);
  assert.deepEqual(Object.keys(lstm.stateDict()).slice(0, 4), ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]);
  assert.deepEqual(lstm.stateDict().weight_ih_l1.shape, [12, 3]);
  const gru = new nn.GRU(2, 3);
  assert.deepEqual(gru.forward(randn(4, 2, 2))[0].shape, [4, 2, 3]);
  assert.throws(() => gru.forward(randn(4, 2, 5)), /input has 5 features, expected inputSize 2/);
});

test("LSTM and GRU gradients pass a float64 finite-difference check", () => {
  manualSeed(2);
  for (const Layer of [nn.LSTM, nn.GRU]) {
    const layer = new Layer(2, 2, { dtype: "float64" });
    const x = randn(3, 1, 2, { dtype: "float64" });
    const w = layer.parameters();
    const r = gradcheck((xx, ...ps) => {
      // use the given parameter tensors in place of the layer's own
      const sd = Object.fromEntries(Object.keys(layer.stateDict()).map((k, i) => [k, ps[i]]));
      const clone = new Layer(2, 2, { dtype: "float64" });
      Object.assign(clone, sd);
      return clone.forward(xx)[0];
    }, [x, ...w]);
    assert.ok(r.ok, `${Layer.name}: ${r.worst}`);
  }
});

test("Conv2d + pooling + Flatten + Linear compose into a CNN with PyTorch's shapes", () => {
  const cnn = new nn.Sequential(
    new nn.Conv2d(1, 4, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Conv2d(4, 8, 3, { stride: 2 }), new nn.AvgPool2d(1), new nn.Flatten(), new nn.Linear(8 * 3 * 3, 10),
  );
  assert.deepEqual(cnn.forward(randn(2, 1, 14, 14)).shape, [2, 10]);
  assert.throws(() => cnn.forward(randn(2, 3, 14, 14)), /conv2d: input \[2, 3, 14, 14\] has 3 channels but weight \[4, 1, 3, 3\] expects 1/);
});

test("an MLP learns XOR with plain gradient descent", () => {
  manualSeed(0);
  const X = tensor([[0, 0], [0, 1], [1, 0], [1, 1]]);
  const y = tensor([[0], [1], [1], [0]]);
  const m = new nn.MLP([2, 8, 1], { activation: "tanh" });
  for (let i = 0; i < 2000; i++) {
    m.zeroGrad();
    m.forward(X).sub(y).square().mean().backward();
    noGrad(() => {
      for (const p of m.parameters()) p.copy_(p.sub(p.grad!.mul(0.1)));
    });
  }
  const pred = (m.forward(X).toArray() as number[][]).map((r) => r[0]);
  pred.forEach((v, i) => assert.ok(Math.abs(v - [0, 1, 1, 0][i]) < 0.2, `XOR ${i}: ${v}`));
});
