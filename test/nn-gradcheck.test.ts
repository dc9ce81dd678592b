// Float64 finite-difference checks of the nn API's functionals (F.*) and of the modules that
// compose them: each one's autodiff gradient against central differences of L = Σ f(x) ⊙ R, on
// small random shapes, away from kinks, with class weights, masks and broadcasting where they apply.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { F, gradcheck, manualSeed, nn, rand, randn, tensor, type Tensor, where } from "../src/index.js";

const F64 = { dtype: "float64" } as const;
const rn = (...shape: number[]): Tensor => randn(shape, F64);
const unif = (lo: number, hi: number, ...shape: number[]): Tensor => rand(shape, F64).mul(hi - lo).add(lo);
/** |x| in [0.2, 2), either sign: away from the kinks at 0. */
const awayFromZero = (...shape: number[]): Tensor => unif(0.2, 2, ...shape).mul(rand(shape, F64).gt(0.5).to("float64").mul(2).sub(1));
/** Standard normal entries nudged at least 0.05 from each of `points`. */
function awayFrom(x: Tensor, points: number[]): Tensor {
  let y = x;
  for (const p of points) y = where(y.sub(p).abs().lt(0.05), where(y.ge(p), p + 0.05, p - 0.05), y);
  return y;
}
const int = (data: number[], shape?: number[]): Tensor => tensor(data, { dtype: "int32", ...(shape ? { shape } : {}) });

function check(name: string, f: (...xs: Tensor[]) => Tensor, inputs: Tensor[], opts: { wrt?: number[] } = {}): void {
  const r = gradcheck(f, inputs, opts);
  assert.ok(r.ok, `${name}: ${r.worst} (max abs error ${r.maxAbsError})`);
}

describe("activations", () => {
  test("leakyRelu, hardtanh, relu6, threshold, elu, celu, selu, prelu (away from the kinks)", () => {
    manualSeed(1);
    check("leakyRelu", (x) => F.leakyRelu(x, 0.2), [awayFromZero(3, 4)]);
    check("hardtanh", (x) => F.hardtanh(x, -0.5, 0.8), [awayFrom(rn(3, 4), [-0.5, 0.8])]);
    check("relu6", (x) => F.relu6(x), [awayFrom(rn(3, 4).mul(4), [0, 6])]);
    check("threshold", (x) => F.threshold(x, 0.1, -2), [awayFrom(rn(3, 4), [0.1])]);
    check("elu", (x) => F.elu(x, 0.7), [awayFromZero(3, 4)]);
    check("celu", (x) => F.celu(x, 1.3), [awayFromZero(3, 4)]);
    check("selu", (x) => F.selu(x), [awayFromZero(3, 4)]);
    check("prelu, one slope per channel (input and slopes)", (x, w) => F.prelu(x, w), [awayFromZero(2, 3, 4), unif(0.1, 0.5, 3)]);
    check("prelu, one slope", (x, w) => F.prelu(x, w), [awayFromZero(2, 3), unif(0.1, 0.5, 1)]);
  });
  test("softplus (β, threshold), logsigmoid, softsign, tanhshrink, mish, hardsigmoid, hardswish", () => {
    manualSeed(2);
    check("softplus", (x) => F.softplus(x), [rn(3, 4).mul(3)]);
    check("softplus β=2, threshold=3", (x) => F.softplus(x, 2, 3), [awayFrom(rn(3, 4).mul(2), [1.5])]);
    check("logsigmoid", (x) => F.logsigmoid(x), [rn(3, 4).mul(3)]);
    check("softsign", (x) => F.softsign(x), [awayFromZero(3, 4)]);
    check("tanhshrink", (x) => F.tanhshrink(x), [rn(3, 4)]);
    check("mish", (x) => F.mish(x), [rn(3, 4).mul(2)]);
    check("hardsigmoid", (x) => F.hardsigmoid(x), [awayFrom(rn(3, 4).mul(3), [-3, 3])]);
    check("hardswish", (x) => F.hardswish(x), [awayFrom(rn(3, 4).mul(3), [-3, 3])]);
  });
  test("softmin and glu over each dim", () => {
    manualSeed(3);
    for (const dim of [0, 1, -1]) check(`softmin dim ${dim}`, (x) => F.softmin(x, dim), [rn(2, 3, 4)]);
    check("glu dim 1", (x) => F.glu(x, 1), [rn(2, 4, 3)]);
    check("glu last dim", (x) => F.glu(x), [rn(3, 6)]);
  });
});

describe("losses", () => {
  test("crossEntropy with class weights: ignoreIndex, labelSmoothing, every reduction, (N, C, d) layout", () => {
    manualSeed(4);
    const w = unif(0.3, 2, 4);
    const t = int([0, 3, 1, -100, 2]);
    for (const reduction of ["mean", "sum", "none"] as const) {
      check(`crossEntropy weight ${reduction}`, (x, wt) => F.crossEntropy(x, t, { weight: wt, reduction }), [rn(5, 4), w]);
      check(`crossEntropy weight + smoothing ${reduction}`, (x, wt) => F.crossEntropy(x, t, { weight: wt, labelSmoothing: 0.2, reduction }), [rn(5, 4), w]);
    }
    check("crossEntropy (N, C, d) with weight", (x) => F.crossEntropy(x, int([0, 1, 3, 2, 2, 0], [2, 3]), { weight: w, labelSmoothing: 0.1 }), [rn(2, 4, 3)]);
    check("crossEntropy probability targets with weight", (x, p) => F.crossEntropy(x, p, { weight: w, labelSmoothing: 0.1 }), [rn(3, 4), rn(3, 4).softmax(1)]);
  });
  test("nllLoss with class weights", () => {
    manualSeed(5);
    check("nllLoss weight", (lp, wt) => F.nllLoss(lp, int([0, 2, 1, 1]), { weight: wt, ignoreIndex: 2 }), [rn(4, 3).logSoftmax(1), unif(0.3, 2, 3)]);
  });
  test("l1, smoothL1 (β > 0 and β = 0), huber", () => {
    manualSeed(6);
    const [a, b] = [rn(3, 4), rn(3, 4)];
    const nudge = (x: Tensor, y: Tensor, edges: number[]) => [y.add(awayFrom(x.sub(y), edges)), y];
    check("l1Loss", (x, y) => F.l1Loss(x, y), nudge(a, b, [0]));
    check("l1Loss broadcast, sum", (x, y) => F.l1Loss(x, y, { reduction: "sum" }), [awayFromZero(3, 4), tensor([0], F64)]);
    check("smoothL1Loss β=0.5", (x, y) => F.smoothL1Loss(x, y, { beta: 0.5 }), nudge(a.mul(2), b, [-0.5, 0, 0.5]));
    check("smoothL1Loss β=0", (x, y) => F.smoothL1Loss(x, y, { beta: 0, reduction: "none" }), nudge(a, b, [0]));
    check("huberLoss δ=0.7", (x, y) => F.huberLoss(x, y, { delta: 0.7, reduction: "sum" }), nudge(a.mul(2), b, [-0.7, 0.7]));
  });
  test("binaryCrossEntropy (weight) and binaryCrossEntropyWithLogits (weight, posWeight)", () => {
    manualSeed(7);
    const [y, w] = [unif(0, 1, 3, 4), unif(0.5, 1.5, 3, 4)];
    check("binaryCrossEntropy", (x) => F.binaryCrossEntropy(x, y, { weight: w }), [unif(0.05, 0.95, 3, 4)]);
    check("bceWithLogits, all of logits, targets, weight, posWeight",
      (x, y, w, pw) => F.binaryCrossEntropyWithLogits(x, y, { weight: w, posWeight: pw }),
      [rn(3, 4).mul(3), unif(0, 1, 3, 4), unif(0.5, 1.5, 3, 4), unif(0.5, 3, 4)]);
  });
  test("klDiv: probabilities and log-probabilities as targets, batchmean", () => {
    manualSeed(8);
    check("klDiv batchmean", (x, y) => F.klDiv(x, y, { reduction: "batchmean" }), [rn(3, 4).logSoftmax(1), rn(3, 4).softmax(1)]);
    check("klDiv logTarget", (x, y) => F.klDiv(x, y, { reduction: "sum", logTarget: true }), [rn(3, 4).logSoftmax(1), rn(3, 4).logSoftmax(1)]);
  });
});

describe("normalisation, distances, padding", () => {
  test("batchNorm in training (through the batch statistics) and in eval, for 2-D to 4-D inputs", () => {
    manualSeed(9);
    for (const shape of [[5, 3], [4, 3, 2], [2, 3, 2, 2]]) {
      check(`batchNorm training ${shape}`, (x, w, b) => F.batchNorm(x, null, null, { weight: w, bias: b, training: true }), [rn(...shape), rn(3), rn(3)]);
      check(`batchNorm eval ${shape}`, (x, w, b, m, v) => F.batchNorm(x, m, v, { weight: w, bias: b, eps: 1e-3 }), [rn(...shape), rn(3), rn(3), rn(3), unif(0.5, 2, 3)]);
    }
  });
  test("normalize (p = 1, 2), cosineSimilarity (broadcast), pairwiseDistance", () => {
    manualSeed(10);
    check("normalize", (x) => F.normalize(x), [rn(3, 4, 2)]);
    check("normalize p=1 last dim", (x) => F.normalize(x, { p: 1, dim: -1 }), [awayFromZero(3, 4)]);
    check("cosineSimilarity", (a, b) => F.cosineSimilarity(a, b), [rn(4, 3), rn(4, 3)]);
    check("cosineSimilarity broadcast", (a, b) => F.cosineSimilarity(a, b, { dim: -1 }), [rn(2, 3, 4), rn(3, 4)]);
    check("pairwiseDistance", (a, b) => F.pairwiseDistance(a, b, { keepdim: true }), [rn(4, 3), rn(4, 3)]);
  });
  test("pad in every mode (constant with crops, reflect, replicate, circular)", () => {
    manualSeed(11);
    check("pad constant", (x) => F.pad(x, [1, 2, -1, 1], "constant", 0.5), [rn(2, 3, 4)]);
    check("pad reflect", (x) => F.pad(x, [2, 1, 1, 2], "reflect"), [rn(1, 2, 4, 3)]);
    check("pad replicate", (x) => F.pad(x, [3, 1], "replicate"), [rn(2, 3)]);
    check("pad circular", (x) => F.pad(x, [2, 3, 1, 0], "circular"), [rn(2, 3, 4)]);
  });
});

describe("attention", () => {
  test("multiHeadAttentionForward: every input and projection, with bool and float masks", () => {
    manualSeed(12);
    const [L, S, N, E, H] = [3, 4, 2, 4, 2];
    const causal = tensor([[false, true, true, true], [false, false, true, true], [false, false, false, true]]);
    const padding = tensor([[false, false, false, true], [false, false, false, false]]);
    check("mha", (q, k, v, wIn, bIn, wOut, bOut, m) =>
      F.multiHeadAttentionForward(q, k, v, H, { inProjWeight: wIn, inProjBias: bIn, outProjWeight: wOut, outProjBias: bOut }, { attnMask: causal, keyPaddingMask: padding })[0].add(
        F.multiHeadAttentionForward(q, k, v, H, { inProjWeight: wIn, inProjBias: bIn, outProjWeight: wOut, outProjBias: bOut }, { attnMask: m })[1]!.sum(-1, true).mean(),
      ),
    [rn(L, N, E), rn(S, N, E), rn(S, N, E), rn(3 * E, E).mul(0.5), rn(3 * E), rn(E, E).mul(0.5), rn(E), rn(L, S)]);
  });
  test("the attention weights themselves, per head, with bias_k/bias_v and a zero key", () => {
    manualSeed(13);
    const [L, S, N, E, H] = [2, 3, 2, 4, 2];
    const wOut = rn(E, E);
    check("mha weights", (q, k, v, wq, wk, wv, bk, bv) =>
      F.multiHeadAttentionForward(q, k, v, H, { qProjWeight: wq, kProjWeight: wk, vProjWeight: wv, biasK: bk, biasV: bv, outProjWeight: wOut },
        { addZeroAttn: true, averageAttnWeights: false })[1]!,
    [rn(L, N, E), rn(S, N, 3), rn(S, N, 5), rn(E, E).mul(0.5), rn(E, 3).mul(0.5), rn(E, 5), rn(1, 1, E), rn(1, 1, E)], { wrt: [0, 1, 3, 4, 6] });
  });
  test("MultiheadAttention and BatchNorm2d modules: gradients of the input and every parameter", () => {
    manualSeed(14);
    const mha = new nn.MultiheadAttention(4, 2, { batchFirst: true, dtype: "float64", addBiasKv: true, kdim: 3 });
    const names = [...mha.namedParameters()].map(([k]) => k);
    assert.deepEqual(names, ["q_proj_weight", "k_proj_weight", "v_proj_weight", "in_proj_bias", "bias_k", "bias_v", "out_proj.weight", "out_proj.bias"]);
    const mask = tensor([[false, true, false], [false, false, true]]);
    check("MultiheadAttention", (q, kv, ...ps) => {
      setParameters(mha, names, ps);
      const [out, weights] = mha.forward(q, kv, q, { keyPaddingMask: mask });
      return out.add(weights!.mean());
    }, [rn(2, 3, 4), rn(2, 3, 3), ...names.map((k) => new Map(mha.namedParameters()).get(k)!.detach().clone().add(rn(1).mul(0.1)))]);
    const bn = new nn.BatchNorm2d(3, { dtype: "float64" });
    check("BatchNorm2d training", (x, w, b) => {
      setParameters(bn, ["weight", "bias"], [w, b]);
      return bn.forward(x);
    }, [rn(2, 3, 2, 2), rn(3), rn(3)]);
  });
});

/** Puts `values` in place of the module's parameters (dotted names), so gradcheck can vary them. */
function setParameters(module: nn.Module, names: string[], values: Tensor[]): void {
  names.forEach((name, i) => {
    const path = name.split(".");
    let owner = module as unknown as Record<string, unknown>;
    for (const part of path.slice(0, -1)) owner = owner[part] as Record<string, unknown>;
    owner[path[path.length - 1]] = values[i];
  });
}

describe("scaledDotProductAttention with a mask", () => {
  test("a bool mask (true = attend) equals the fused causal kernel, a zero float mask the unmasked one", () => {
    manualSeed(15);
    const [q, k, v] = [rn(2, 3, 4, 5), rn(2, 3, 6, 5), rn(2, 3, 6, 5)];
    const allowed = tensor(Array.from({ length: 4 }, (_, i) => Array.from({ length: 6 }, (_, j) => j <= i + 2)));
    const close = (a: Tensor, b: Tensor) => assert.ok(a.sub(b).abs().amax().item() < 1e-12, `max diff ${a.sub(b).abs().amax().item()}`);
    close(F.scaledDotProductAttention(q, k, v, { attnMask: allowed }), F.scaledDotProductAttention(q, k, v, { isCausal: true }));
    close(F.scaledDotProductAttention(q, k, v, { attnMask: rn(4, 6).mul(0) }), F.scaledDotProductAttention(q, k, v));
    const bthd = (t: Tensor) => t.transpose(1, 2);
    close(bthd(F.scaledDotProductAttention(bthd(q), bthd(k), bthd(v), { attnMask: allowed, layout: "bthd" })), F.scaledDotProductAttention(q, k, v, { isCausal: true }));
    assert.throws(() => F.scaledDotProductAttention(q, k, v, { attnMask: allowed, isCausal: true }), /not both/);
  });
  test("gradients through q, k, v and a float mask", () => {
    manualSeed(16);
    check("sdpa float mask", (q, k, v, m) => F.scaledDotProductAttention(q, k, v, { attnMask: m, scale: 0.3 }), [rn(2, 3, 4), rn(2, 5, 4), rn(2, 5, 4), rn(3, 5)]);
  });
});
