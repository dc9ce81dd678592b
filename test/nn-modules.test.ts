// The PyTorch-shaped nn API beyond the numbers (those are in nn-api.test.ts against PyTorch):
// ModuleList / ModuleDict / Identity / Parameter behave as their PyTorch namesakes, state dicts
// come in PyTorch's order, F holds torch.nn.functional's names, and bad arguments are refused
// with messages that say what was wrong.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { F, isFloat, manualSeed, nn, ones, randn, tensor, Tensor, zeros } from "../src/index.js";

describe("ModuleList", () => {
  test("indexing, at(−1), length, iteration, and children registered as 0, 1, …", () => {
    const [a, b, c] = [new nn.Linear(2, 3), new nn.ReLU(), new nn.Linear(3, 1)];
    const list = new nn.ModuleList([a, b]);
    assert.equal(list.push(c), 3);
    assert.equal(list[0], a);
    assert.equal(list[2], c);
    assert.equal(list.at(-1), c);
    assert.equal(list.length, 3);
    assert.deepEqual([...list], [a, b, c]);
    assert.deepEqual([...list.namedChildren()].map(([k]) => k), ["0", "1", "2"]);
    assert.deepEqual(Object.keys(list.stateDict()), ["0.weight", "0.bias", "2.weight", "2.bias"]);
    class Model extends nn.Module {
      layers = list;
      forward(x: Tensor): Tensor {
        for (const layer of this.layers) x = layer.forward(x) as Tensor;
        return x;
      }
    }
    const m = new Model();
    assert.deepEqual(Object.keys(m.stateDict()), ["layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias"]);
    assert.deepEqual(m.forward(randn(4, 2)).shape, [4, 1]);
    assert.equal(m.parameters().length, 4);
  });
  test("insert, pop and extend renumber the children", () => {
    const [a, b, c] = [new nn.Linear(1, 1), new nn.Linear(1, 2), new nn.Linear(2, 2)];
    const list = new nn.ModuleList<nn.Linear>([a, c]);
    list.insert(1, b);
    assert.deepEqual([...list], [a, b, c]);
    assert.equal(list.pop(0), a);
    assert.deepEqual([...list], [b, c]);
    assert.equal(list[2], undefined);
    list.extend([a]).append(a);
    assert.deepEqual(Object.keys(list.stateDict()), ["0.weight", "0.bias", "1.weight", "1.bias", "2.weight", "2.bias"]);
  });
  test("refuses what is not a module, an index out of range, and being called", () => {
    const list = new nn.ModuleList([new nn.ReLU()]);
    assert.throws(() => list.append(zeros(2) as unknown as nn.Module), /ModuleList.append: expected a Module, got Tensor/);
    assert.throws(() => list.at(3), /index 3 is out of range for a list of 1/);
    assert.throws(() => list.forward(), /ModuleList has no forward/);
  });
});

describe("ModuleDict", () => {
  test("get/set/has/delete/pop, keys in insertion order, iteration gives keys as in Python", () => {
    const enc = new nn.Linear(2, 2);
    const d = new nn.ModuleDict({ enc, act: new nn.GELU() });
    d.set("dec", new nn.Linear(2, 3));
    assert.equal(d.get("enc"), enc);
    assert.equal(d.has("act"), true);
    assert.deepEqual(d.keys(), ["enc", "act", "dec"]);
    assert.deepEqual([...d], ["enc", "act", "dec"]);
    assert.equal(d.size, 3);
    assert.deepEqual(Object.keys(d.stateDict()), ["enc.weight", "enc.bias", "dec.weight", "dec.bias"]);
    assert.equal(d.pop("enc"), enc);
    assert.equal(d.delete("act"), true);
    d.update([["post", new nn.LayerNorm(3)]]);
    assert.deepEqual(d.items().map(([k, m]) => [k, m.constructor.name]), [["dec", "Linear"], ["post", "LayerNorm"]]);
  });
  test("refuses keys with dots, unknown keys and non-modules", () => {
    const d = new nn.ModuleDict();
    assert.throws(() => d.set("a.b", new nn.ReLU()), /key must be a non-empty string without "."/);
    assert.throws(() => d.get("nope"), /no module named "nope"/);
    assert.throws(() => d.set("x", 3 as unknown as nn.Module), /expected a Module, got number/);
    assert.throws(() => d.forward(), /ModuleDict has no forward/);
  });
});

describe("Identity and Parameter", () => {
  test("Identity returns its input and ignores constructor arguments", () => {
    const x = randn(3);
    assert.equal(new nn.Identity(54, { unused: true }).forward(x), x);
  });
  test("new nn.Parameter(t) shares t's numbers, requires grad, and registers when assigned", () => {
    const t = zeros(3);
    const p = new nn.Parameter(t);
    assert.ok(p instanceof Tensor);
    assert.ok(p instanceof nn.Parameter);
    assert.equal(p.requiresGrad, true);
    assert.equal(p.isLeaf, true);
    t.fill_(2); // like PyTorch: the parameter wraps the tensor's storage, no copy
    assert.deepEqual(p.toArray(), [2, 2, 2]);
    assert.equal(new nn.Parameter(zeros(1), false).requiresGrad, false);
    class M extends nn.Module {
      w = new nn.Parameter(ones(2, 2));
      old = nn.parameter(zeros(2));
      plain = zeros(2); // a tensor that is neither a parameter nor a buffer belongs to no state dict
      forward(x: Tensor): Tensor {
        return x.matmul(this.w).add(this.old).add(this.plain);
      }
    }
    const m = new M();
    assert.deepEqual(Object.keys(m.stateDict()), ["w", "old"]);
    assert.ok(m.old instanceof nn.Parameter, "instanceof holds for parameter() too");
    assert.ok(!(m.plain instanceof nn.Parameter));
    m.forward(ones(1, 2)).sum().backward();
    assert.deepEqual(m.w.grad!.toArray(), [[1, 1], [1, 1]]);
    // results of ops on a parameter are plain tensors, as in PyTorch
    assert.ok(!(m.w.mul(2) instanceof nn.Parameter));
  });
  test("state dicts list each module's parameters, then its buffers, then its children (PyTorch's order)", () => {
    const seq = new nn.Sequential(new nn.Linear(2, 3), new nn.BatchNorm1d(3), new nn.Linear(3, 1));
    assert.deepEqual(Object.keys(seq.stateDict()), [
      "0.weight", "0.bias",
      "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked",
      "2.weight", "2.bias",
    ]);
  });
});

describe("F holds torch.nn.functional", () => {
  test("every functional under its camelCase name, the same object as nn.functional's", () => {
    const names = [
      "relu", "gelu", "silu", "sigmoid", "tanh", "leakyRelu", "hardtanh", "relu6", "elu", "celu", "selu", "softplus",
      "logsigmoid", "softsign", "tanhshrink", "mish", "hardsigmoid", "hardswish", "threshold", "softmin", "glu", "prelu",
      "softmax", "logSoftmax", "crossEntropy", "nllLoss", "mseLoss", "binaryCrossEntropyWithLogits", "l1Loss",
      "smoothL1Loss", "huberLoss", "binaryCrossEntropy", "klDiv", "linear", "embedding", "layerNorm", "rmsNorm", "dropout",
      "batchNorm", "normalize", "cosineSimilarity", "pairwiseDistance", "oneHot", "pad", "conv2d", "maxPool2d", "avgPool2d",
      "unfold2d", "scaledDotProductAttention", "multiHeadAttentionForward",
    ];
    const f = F as unknown as Record<string, unknown>;
    for (const name of names) {
      assert.equal(typeof f[name], "function", `F.${name}`);
      assert.equal((nn.functional as unknown as Record<string, unknown>)[name], f[name], `nn.functional.${name}`);
    }
  });
  test("F.gelu(x) works (it was a TypeError), with approximate 'tanh' too", () => {
    const x = tensor([-1, 0, 1], { dtype: "float64" });
    assert.ok(Math.abs(F.gelu(x).dataSync()[2] - 0.8413447460685429) < 1e-12);
    assert.ok(Math.abs(F.gelu(x, { approximate: "tanh" }).dataSync()[2] - 0.8411919906082768) < 1e-12);
  });
});

describe("BatchNorm", () => {
  test("train() updates running statistics and num_batches_tracked; eval() uses them and leaves them be", () => {
    manualSeed(1);
    const bn = new nn.BatchNorm1d(2);
    const x = tensor([[1, 10], [3, 14], [5, 18]]);
    const y = bn.forward(x);
    // batch mean (3, 14), biased variance (8/3, 32/3) for y; unbiased (4, 16) for running_var
    assert.ok(y.mean(0).abs().amax().item() < 1e-6);
    assert.deepEqual((bn.running_mean!.toArray() as number[]).map((v) => +v.toFixed(5)), [0.3, 1.4]);
    assert.deepEqual((bn.running_var!.toArray() as number[]).map((v) => +v.toFixed(5)), [0.9 + 0.4, 0.9 + 1.6]);
    assert.equal(bn.num_batches_tracked!.item(), 1);
    bn.eval();
    const before = bn.running_mean!.toArray();
    bn.forward(x);
    assert.deepEqual(bn.running_mean!.toArray(), before);
    assert.equal(bn.num_batches_tracked!.item(), 1);
    bn.resetRunningStats();
    assert.deepEqual(bn.running_var!.toArray(), [1, 1]);
  });
  test("refuses the wrong rank, the wrong channel count and one value per channel in training", () => {
    assert.throws(() => new nn.BatchNorm2d(3).forward(randn(2, 3)), /BatchNorm2d: expected 4D input \(N, C, H, W\), got \[2, 3\]/);
    assert.throws(() => new nn.BatchNorm1d(3).forward(randn(2, 4)), /has 4 channels \(dim 1\), expected numFeatures 3/);
    assert.throws(() => new nn.BatchNorm1d(3).forward(randn(1, 3)), /expected more than 1 value per channel when training/);
    assert.doesNotThrow(() => new nn.BatchNorm1d(3).eval().forward(randn(1, 3)));
    assert.deepEqual(Object.keys(new nn.BatchNorm1d(3, { affine: false, trackRunningStats: false }).stateDict()), []);
  });
});

describe("MultiheadAttention", () => {
  test("dropout on the pattern only in training: entries are 0 or scaled by 1/(1 − p)", () => {
    manualSeed(2);
    const mha = new nn.MultiheadAttention(8, 2, { dropout: 0.5, batchFirst: true });
    const x = randn(2, 6, 8);
    const [, wEval] = mha.eval().forward(x, x, x, { averageAttnWeights: false });
    mha.train();
    const [, wTrain] = mha.forward(x, x, x, { averageAttnWeights: false });
    const [e, t] = [wEval!.dataSync(), wTrain!.dataSync()];
    let zeroed = 0;
    for (let i = 0; i < e.length; i++) {
      if (t[i] === 0) zeroed++;
      else assert.ok(Math.abs(t[i] - 2 * e[i]) < 1e-5, `entry ${i}: ${t[i]} is neither 0 nor 2 × ${e[i]}`);
    }
    assert.ok(zeroed > e.length * 0.3 && zeroed < e.length * 0.7, `${zeroed} of ${e.length} zeroed at p = 0.5`);
  });
  test("a query whose keys are all masked gets NaN, as in PyTorch", () => {
    const mha = new nn.MultiheadAttention(4, 1);
    const x = randn(2, 1, 4);
    const [, w] = mha.forward(x, x, x, { attnMask: tensor([[true, true], [false, true]]) });
    const data = w!.dataSync();
    assert.ok(Number.isNaN(data[0]) && Number.isNaN(data[1]));
    assert.deepEqual([data[2], data[3]], [1, 0]);
  });
  test("refuses mismatched sizes and masks with clear messages", () => {
    assert.throws(() => new nn.MultiheadAttention(6, 4), /embedDim 6 must be divisible by numHeads 4/);
    const mha = new nn.MultiheadAttention(4, 2, { batchFirst: true });
    const x = randn(2, 3, 4);
    assert.throws(() => mha.forward(randn(2, 3, 5), x, x), /query \[2, 3, 5\] has 5 features, expected embedDim 4/);
    assert.throws(() => mha.forward(x, x, x, { attnMask: ones(3, 4) }), /attnMask must be \[3, 3\] or \[4, 3, 3\]/);
    assert.throws(() => mha.forward(x, x, x, { keyPaddingMask: ones(3, 2) }), /keyPaddingMask must be \[2, 3\]/);
    assert.throws(() => mha.forward(x, x, x, { attnMask: zeros([3, 3], { dtype: "int32" }) }), /attnMask must be bool .* or floating-point/);
  });
});

describe("losses and functionals refuse bad arguments", () => {
  test("reductions, class weights, probabilities out of range, padding", () => {
    assert.throws(() => new nn.MSELoss({ reduction: "avg" as "mean" }), /MSELoss: reduction must be "mean", "sum" or "none", got "avg"/);
    assert.throws(() => F.crossEntropy(randn(2, 3), tensor([0, 1], { dtype: "int32" }), { weight: ones(4) }), /weight must hold one number per class, shape \[3\], got \[4\]/);
    assert.throws(() => F.binaryCrossEntropy(tensor([0.5, 1.5]), tensor([0, 1])), /between 0 and 1/);
    assert.throws(() => F.binaryCrossEntropyWithLogits(randn(2, 3), randn(3)), /target size \[3\] must be the same as input size \[2, 3\]/);
    assert.throws(() => F.klDiv(randn(2), randn(2), { reduction: "avg" as "mean" }), /"batchmean"/);
    assert.throws(() => F.pad(randn(2, 3), [4, 0], "reflect"), /reflect padding \(4, 0\) must be less than the size 3/);
    assert.throws(() => F.pad(randn(3), [1, 1, 1, 1]), /at most 1 dims/);
    assert.throws(() => F.pad(randn(3), [1, -5]), /negative size/);
    assert.throws(() => new nn.Softmax(undefined as unknown as number), /dim must be an integer/);
  });
  test("the loss modules keep PyTorch's defaults (mean reduction, ignoreIndex −100)", () => {
    const ce = new nn.CrossEntropyLoss();
    assert.equal(ce.reduction, "mean");
    assert.equal(ce.ignoreIndex, -100);
    const logits = randn(3, 4);
    const t = tensor([1, -100, 2], { dtype: "int32" });
    assert.ok(Math.abs(ce.forward(logits, t).item() - F.crossEntropy(logits, t).item()) < 1e-7);
    assert.ok(isFloat(new nn.BCEWithLogitsLoss().forward(randn(2), tensor([0, 1])).dtype));
  });
});
