// The float64 finite-difference battery: every differentiable op's autodiff gradient must match
// central differences of L = Σ f(x) ⊙ R (gradcheck draws R), on small random shapes with
// broadcasting, several dims, keepdim both ways, and a few second derivatives.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  add, amax, amin, atan2, avgPool2d, binaryCrossEntropyWithLogits, cat, chunk, conv2d, crossEntropy, cumsum, div,
  dropout, einsum, embedding, gather, Generator, grad, gradcheck, indexSelect, layerNorm, linear, logSoftmax,
  logsumexp, manualSeed, matmul, maximum, maxPool2d, minimum, mseLoss, mul, nllLoss, norm, outer, pow, rand, randn,
  ones, rmsNorm, scatterAdd, softmax, split, stack, sub, tensor, type Tensor, unfold2d, where,
  bmm, clamp, cumprod, diag, expm1, kron, linalg, log1p, mm, prod, repeatInterleave, roll, unbind, zeros,
} from "../src/index.js";

const F64 = { dtype: "float64" } as const;

/** Standard normal float64 tensor. */
const rn = (...shape: number[]): Tensor => randn(shape, F64);
/** Uniform in [lo, hi), float64. */
const unif = (lo: number, hi: number, ...shape: number[]): Tensor => rand(shape, F64).mul(hi - lo).add(lo);
/** Positive values in [0.5, 2): for log, sqrt, tensor exponents, denominators. */
const pos = (...shape: number[]): Tensor => unif(0.5, 2, ...shape);
/** Values with |x| in [0.3, 1.5) and random sign: away from the kinks of abs, relu, norm p=1. */
const awayFromZero = (...shape: number[]): Tensor => {
  const sign = rand(shape, F64).gt(0.5).to("float64").mul(2).sub(1);
  return unif(0.3, 1.5, ...shape).mul(sign);
};
const int = (data: number[] | number[][], shape?: number[]): Tensor => tensor(data, { dtype: "int32", ...(shape ? { shape } : {}) });

/** Two shapes that broadcast: up to 3 dims of size 1–3, some set to 1, one operand possibly shorter. */
function randomBroadcastPair(g: Generator): [number[], number[]] {
  const nd = g.randint(0, 4);
  const out = Array.from({ length: nd }, () => g.randint(1, 4));
  const a = out.map((s) => (g.random() < 0.3 ? 1 : s));
  const b = out.map((s) => (g.random() < 0.3 ? 1 : s)).slice(g.randint(0, nd + 1));
  return g.random() < 0.5 ? [a, b] : [b, a];
}

function check(name: string, f: (...xs: Tensor[]) => Tensor, inputs: Tensor[], opts: { wrt?: number[] } = {}): void {
  const r = gradcheck(f, inputs, opts);
  assert.ok(r.ok, `${name}: ${r.worst} (max abs error ${r.maxAbsError})`);
}

describe("gradcheck itself", () => {
  test("rejects float32 inputs", () => {
    assert.throws(() => gradcheck((x) => x.exp(), [randn(3)]), /float64/);
  });
  test("catches a wrong gradient (a hook that triples it)", () => {
    manualSeed(1);
    const r = gradcheck((x) => {
      const y = x.mul(2);
      y.registerHook((g) => g.mul(3));
      return y;
    }, [rn(4)]);
    assert.equal(r.ok, false);
    assert.ok(r.maxAbsError > 0.1);
  });
});

describe("binary elementwise ops with broadcasting", () => {
  const pairs: [string, number[], number[]][] = [
    ["same shape", [2, 3], [2, 3]],
    ["[3,1,4] with [2,1]", [3, 1, 4], [2, 1]],
    ["[4] with [2,3,1]", [4], [2, 3, 1]],
    ["[2,3] with 0-d", [2, 3], []],
    ["[2,1,3] with [1,4,1] (both broadcast)", [2, 1, 3], [1, 4, 1]],
    ["0-d with [3,2]", [], [3, 2]],
  ];
  for (const [label, sa, sb] of pairs) {
    test(`add/sub/mul/div: ${label}`, () => {
      manualSeed(10);
      check("add", (a, b) => add(a, b), [rn(...sa), rn(...sb)]);
      check("sub", (a, b) => sub(a, b), [rn(...sa), rn(...sb)]);
      check("mul", (a, b) => mul(a, b), [rn(...sa), rn(...sb)]);
      check("div", (a, b) => div(a, b), [rn(...sa), awayFromZero(...sb)]);
    });
    test(`pow/maximum/minimum/atan2: ${label}`, () => {
      manualSeed(11);
      check("pow (tensor exponent, positive base)", (a, b) => pow(a, b), [pos(...sa), rn(...sb)]);
      check("maximum", (a, b) => maximum(a, b), [rn(...sa), rn(...sb)]);
      check("minimum", (a, b) => minimum(a, b), [rn(...sa), rn(...sb)]);
      check("atan2", (a, b) => atan2(a, b), [rn(...sa), rn(...sb)]);
    });
  }
  test("random broadcastable shapes", () => {
    manualSeed(14);
    const g = new Generator(14);
    for (let trial = 0; trial < 12; trial++) {
      const [sa, sb] = randomBroadcastPair(g);
      const label = `[${sa}] with [${sb}]`;
      check(`add ${label}`, (a, b) => add(a, b), [rn(...sa), rn(...sb)]);
      check(`mul ${label}`, (a, b) => mul(a, b), [rn(...sa), rn(...sb)]);
      check(`div ${label}`, (a, b) => div(a, b), [rn(...sa), awayFromZero(...sb)]);
      check(`pow ${label}`, (a, b) => pow(a, b), [pos(...sa), rn(...sb)]);
      check(`maximum ${label}`, (a, b) => maximum(a, b), [rn(...sa), rn(...sb)]);
      check(`atan2 ${label}`, (a, b) => atan2(a, b), [rn(...sa), rn(...sb)]);
      const cond = rand(sa.length ? [sa[sa.length - 1]] : []).gt(0.5);
      check(`where ${label}`, (a, b) => where(cond, a, b), [rn(...sa), rn(...sb)]);
    }
  });
  test("scalar operands on either side", () => {
    manualSeed(12);
    const x = rn(2, 3);
    check("x + 2.5", (a) => a.add(2.5), [x]);
    check("3 - x", (a) => sub(3, a), [x]);
    check("x * -1.5", (a) => a.mul(-1.5), [x]);
    check("1.5 / x", (a) => div(1.5, a), [awayFromZero(2, 3)]);
    check("x / 4", (a) => a.div(4), [x]);
    check("x ^ 3", (a) => a.pow(3), [x]);
    check("x ^ 2.5 (positive base)", (a) => a.pow(2.5), [pos(2, 3)]);
    check("x ^ -0.5", (a) => a.pow(-0.5), [pos(2, 3)]);
    check("2 ^ x", (a) => pow(2, a), [x]);
    check("maximum(x, 0.1)", (a) => maximum(a, 0.1), [awayFromZero(2, 3)]);
    check("minimum(0.1, x)", (a) => minimum(0.1, a), [awayFromZero(2, 3)]);
    check("atan2(x, 0.7)", (a) => atan2(a, 0.7), [x]);
    check("atan2(0.7, x)", (a) => atan2(0.7, a), [x]);
    check("x.add(y, alpha)", (a, b) => a.add(b, 0.5), [x, rn(3)]);
  });
  test("an input used on both sides", () => {
    manualSeed(13);
    check("x * x", (a) => a.mul(a), [rn(5)]);
    check("x / (x + 3)", (a) => a.div(a.add(3)), [pos(5)]);
    check("x ^ x", (a) => a.pow(a), [pos(5)]);
  });
});

describe("unary ops", () => {
  const cases: [string, (x: Tensor) => Tensor, () => Tensor][] = [
    ["neg", (x) => x.neg(), () => rn(2, 3)],
    ["abs", (x) => x.abs(), () => awayFromZero(2, 3)],
    ["exp", (x) => x.exp(), () => rn(2, 3)],
    ["log", (x) => x.log(), () => pos(2, 3)],
    ["sqrt", (x) => x.sqrt(), () => pos(2, 3)],
    ["rsqrt", (x) => x.rsqrt(), () => pos(2, 3)],
    ["square", (x) => x.square(), () => rn(2, 3)],
    ["reciprocal", (x) => x.reciprocal(), () => awayFromZero(2, 3)],
    ["sin", (x) => x.sin(), () => rn(2, 3)],
    ["cos", (x) => x.cos(), () => rn(2, 3)],
    ["tanh", (x) => x.tanh(), () => rn(2, 3)],
    ["sigmoid", (x) => x.sigmoid(), () => rn(2, 3).mul(3)],
    ["relu", (x) => x.relu(), () => awayFromZero(2, 3)],
    ["gelu (erf)", (x) => x.gelu(), () => rn(2, 3).mul(2)],
    ["gelu (tanh)", (x) => x.gelu({ approximate: "tanh" }), () => rn(2, 3).mul(2)],
    ["silu", (x) => x.silu(), () => rn(2, 3).mul(2)],
    ["softplus", (x) => x.softplus(), () => rn(2, 3).mul(3)],
    ["erf", (x) => x.erf(), () => rn(2, 3).mul(1.5)],
    ["clamp(min, max)", (x) => x.clamp(-0.5, 0.5), () => awayFromZero(2, 4).mul(0.9)],
    ["clamp(min)", (x) => x.clamp(0.2), () => rn(2, 4)],
    ["clamp(null, max)", (x) => x.clamp(null, -0.2), () => rn(2, 4)],
    ["to(float64) is identity", (x) => x.to("float64"), () => rn(3)],
    ["clone", (x) => x.clone(), () => rn(3)],
    // piecewise constant: zero gradient away from the jumps
    ["sign", (x) => x.sign().add(x), () => awayFromZero(2, 3)],
    ["floor", (x) => x.floor().add(x), () => unif(-3, 3, 2, 3)],
    ["ceil", (x) => x.ceil().add(x), () => unif(-3, 3, 2, 3)],
    ["round", (x) => x.round().add(x), () => unif(-3, 3, 2, 3)],
    ["dropout (fixed generator)", (x) => dropout(x, 0.3, true, new Generator(5)), () => rn(3, 4)],
  ];
  for (const [name, f, make] of cases) {
    test(name, () => {
      manualSeed(20);
      check(name, f, [make()]);
    });
  }
  test("where and maskedFill, broadcast", () => {
    manualSeed(21);
    const cond = tensor([[true], [false], [true]]); // [3,1]
    check("where(cond, a, b)", (a, b) => where(cond, a, b), [rn(2, 1, 4), rn(4)]);
    check("where(cond, a, scalar)", (a) => where(cond, a, -1), [rn(3, 4)]);
    check("where(cond, scalar, b)", (b) => where(cond, 2, b), [rn(3, 4)]);
    const mask = tensor([[true, false, false], [false, true, true]]);
    check("maskedFill", (x) => x.maskedFill(mask, -3), [rn(2, 3)]);
    check("maskedFill, broadcast mask", (x) => x.maskedFill(tensor([false, true, false, true]), 0), [rn(3, 4)]);
  });
});

describe("reductions", () => {
  const dimCases: [string, number | number[] | undefined][] = [
    ["all dims", undefined],
    ["dim 1", 1],
    ["dim -1", -1],
    ["dims [0, 2]", [0, 2]],
    ["dims [-1, -3]", [-1, -3]],
  ];
  for (const [label, dim] of dimCases) {
    for (const keepdim of [false, true]) {
      test(`sum/mean/amax/amin/logsumexp, ${label}, keepdim=${keepdim}`, () => {
        manualSeed(30);
        const x = rn(2, 3, 4);
        check("sum", (a) => a.sum(dim, keepdim), [x]);
        check("mean", (a) => a.mean(dim, keepdim), [x]);
        check("amax", (a) => amax(a, dim, keepdim), [x]);
        check("amin", (a) => amin(a, dim, keepdim), [x]);
        // max(dim) takes one dim and returns (values, indices); the gradient goes to the index
        if (typeof dim === "number") check("max(dim).values", (a) => a.max(dim, keepdim).values, [x]);
        if (dim === undefined) check("max() of everything", (a) => a.max(), [x]);
        check("logsumexp", (a) => logsumexp(a, dim ?? null, keepdim), [x]);
      });
      test(`var/std (correction 0 and 1) and norm (p = 1, 2, 3), ${label}, keepdim=${keepdim}`, () => {
        manualSeed(31);
        const x = rn(2, 3, 4);
        for (const correction of [0, 1]) {
          check(`var correction=${correction}`, (a) => a.var(dim, { correction, keepdim }), [x]);
          check(`std correction=${correction}`, (a) => a.std(dim, { correction, keepdim }), [x]);
        }
        const y = awayFromZero(2, 3, 4);
        for (const p of [1, 2, 3, 1.5, 0.5]) check(`norm p=${p}`, (a) => norm(a, p, dim, keepdim), [y]);
        check("norm p=inf", (a) => a.norm(Infinity, dim, keepdim), [y]);
      });
    }
  }
  test("random shapes and random dim subsets", () => {
    manualSeed(35);
    const g = new Generator(35);
    for (let trial = 0; trial < 10; trial++) {
      const shape = Array.from({ length: g.randint(1, 4) }, () => g.randint(1, 4));
      const dims = shape.map((_, d) => d).filter(() => g.random() < 0.5).map((d) => (g.random() < 0.5 ? d - shape.length : d));
      const keepdim = g.random() < 0.5;
      const label = `[${shape}] over [${dims}] keepdim=${keepdim}`;
      const x = rn(...shape);
      check(`sum ${label}`, (a) => a.sum(dims, keepdim), [x]);
      check(`mean ${label}`, (a) => a.mean(dims, keepdim), [x]);
      check(`amax ${label}`, (a) => amax(a, dims, keepdim), [x]);
      check(`logsumexp ${label}`, (a) => logsumexp(a, dims, keepdim), [x]);
      check(`var ${label}`, (a) => a.var(dims, { correction: 0, keepdim }), [x]);
      check(`norm ${label}`, (a) => norm(a, 2, dims, keepdim), [x]);
      check(`softmax [${shape}] dim ${shape.length - 1}`, (a) => softmax(a, shape.length - 1), [x]);
    }
  });
  test("var with the default correction, mean of a 0-d tensor", () => {
    manualSeed(32);
    check("var default (correction 1)", (a) => a.var(), [rn(5)]);
    check("mean of 0-d", (a) => a.mean(), [rn()]);
  });
  test("cumsum along each dim", () => {
    manualSeed(33);
    const x = rn(2, 3, 4);
    for (const d of [0, 1, 2, -1]) check(`cumsum dim ${d}`, (a) => cumsum(a, d), [x]);
  });
  test("sort values and topk values", () => {
    manualSeed(34);
    const x = rn(3, 4);
    check("sort ascending", (a) => a.sort(-1).values, [x]);
    check("sort descending dim 0", (a) => a.sort(0, true).values, [x]);
    check("topk 2 largest", (a) => a.topk(2).values, [x]);
    check("topk 2 smallest along dim 0", (a) => a.topk(2, 0, false).values, [x]);
    check("topk all", (a) => a.topk(4, 1).values.mul(tensor([1, 2, 3, 4], F64)), [x]);
  });
});

describe("shape ops", () => {
  test("reshape, view, flatten, permute, transpose, mT, T, squeeze, unsqueeze", () => {
    manualSeed(40);
    const x = rn(2, 3, 4);
    check("reshape", (a) => a.reshape(4, -1).mul(a.reshape([6, 4]).sum(1)), [x]);
    check("view", (a) => a.view(6, 4), [x]);
    check("flatten", (a) => a.flatten(), [x]);
    check("flatten(1)", (a) => a.flatten(1), [x]);
    check("flatten(0, 1)", (a) => a.flatten(0, 1), [x]);
    check("permute", (a) => a.permute(2, 0, 1), [x]);
    check("permute negative", (a) => a.permute([-1, -3, -2]), [x]);
    check("transpose", (a) => a.transpose(0, 2), [x]);
    check("mT", (a) => a.mT, [x]);
    check("T", (a) => a.T, [rn(3, 4)]);
    check("squeeze", (a) => a.squeeze(), [rn(2, 1, 3, 1)]);
    check("squeeze(dim)", (a) => a.squeeze(-1), [rn(2, 1, 3, 1)]);
    const w = rn(3, 1);
    check("unsqueeze", (a) => a.unsqueeze(1).mul(w), [rn(2, 3)]);
    check("unsqueeze(-1)", (a) => a.unsqueeze(-1), [rn(2, 3)]);
  });
  test("expand", () => {
    manualSeed(41);
    check("expand", (a) => a.expand(2, 3, 4), [rn(3, 1)]);
    check("expand with -1", (a) => a.expand(2, -1, 4), [rn(3, 1)]);
    check("expandAs", (a) => a.expandAs(rn(2, 3)), [rn(3)]);
  });
  test("slice (steps, negative bounds), narrow, select, flip", () => {
    manualSeed(42);
    const x = rn(3, 5);
    check("slice step 2", (a) => a.slice(1, 0, null, 2), [x]);
    check("slice 1::2", (a) => a.slice(1, 1, null, 2), [x]);
    check("slice negative bounds", (a) => a.slice(-1, -4, -1), [x]);
    check("slice out-of-range end", (a) => a.slice(0, 1, 100), [x]);
    check("slice step 3 on dim 0 of 3-d", (a) => a.slice(0, 0, undefined, 3), [rn(5, 2, 2)]);
    check("narrow", (a) => a.narrow(1, 1, 3), [x]);
    check("narrow negative start", (a) => a.narrow(0, -2, 2), [x]);
    check("select", (a) => a.select(1, -2), [x]);
    check("select dim 0", (a) => a.select(0, 1), [x]);
    check("flip", (a) => a.flip(1), [x]);
    check("flip several", (a) => a.flip([0, -1]), [rn(2, 3, 2)]);
  });
  test("cat, stack, split, chunk", () => {
    manualSeed(43);
    check("cat dim 1", (a, b, c) => cat([a, b, c], 1), [rn(2, 1, 3), rn(2, 2, 3), rn(2, 3, 3)]);
    check("cat dim -1", (a, b) => cat([a, b], -1), [rn(2, 2), rn(2, 3)]);
    check("cat with a repeated input", (a) => cat([a, a.mul(2), a], 0), [rn(2, 3)]);
    check("stack dim 0", (a, b) => stack([a, b]), [rn(2, 3), rn(2, 3)]);
    check("stack dim -1", (a, b) => stack([a, b], -1), [rn(2, 3), rn(2, 3)]);
    const weighted = (parts: Tensor[]) => stack(parts.map((p, i) => p.mul(i + 1).sum()));
    check("split size 2", (a) => weighted(split(a, 2, 1)), [rn(2, 5)]);
    check("split sections", (a) => weighted(a.split([1, 3], 0)), [rn(4, 2)]);
    check("split, one part used", (a) => a.split([2, 3], 1)[1], [rn(2, 5)]);
    check("chunk", (a) => weighted(chunk(a, 3, -1)), [rn(2, 7)]);
  });
  test("repeat, tril, triu", () => {
    manualSeed(44);
    check("repeat", (a) => a.repeat(2, 1, 2), [rn(2, 3)]);
    check("repeat same rank", (a) => a.repeat(3, 2), [rn(2, 2)]);
    for (const d of [-1, 0, 1]) {
      check(`tril(${d})`, (a) => a.tril(d), [rn(2, 3, 4)]);
      check(`triu(${d})`, (a) => a.triu(d), [rn(3, 4)]);
    }
  });
});

describe("index ops", () => {
  test("indexSelect (with duplicate indices)", () => {
    manualSeed(50);
    check("indexSelect dim 0", (a) => indexSelect(a, 0, int([2, 0, 2])), [rn(3, 4)]);
    check("indexSelect dim -1", (a) => a.indexSelect(-1, int([3, 1, 1, 0, 3])), [rn(2, 4)]);
  });
  test("gather", () => {
    manualSeed(51);
    check("gather dim 1", (a) => gather(a, 1, int([[0, 3, 3], [2, 1, 0]])), [rn(2, 4)]);
    check("gather dim 0, smaller index", (a) => a.gather(0, int([[1, 0], [1, 1]])), [rn(3, 4)]);
    check("gather 3-d", (a) => a.gather(2, int([1, 0, 0, 1, 1, 1, 0, 0], [2, 2, 2])), [rn(2, 3, 2)]);
  });
  test("scatterAdd (both the base and the source)", () => {
    manualSeed(52);
    const index = int([[0, 2, 0], [1, 1, 3]]);
    check("scatterAdd dim 1", (x, src) => scatterAdd(x, 1, index, src), [rn(2, 4), rn(2, 3)]);
    check("scatterAdd dim 0, larger src", (x, src) => x.scatterAdd(0, int([[2, 0], [2, 2]]), src), [rn(3, 2), rn(3, 3)]);
  });
});

describe("matmul, einsum, outer", () => {
  const forms: [string, number[], number[]][] = [
    ["1-D · 1-D", [4], [4]],
    ["2-D · 1-D", [3, 4], [4]],
    ["1-D · 2-D", [4], [4, 3]],
    ["2-D · 2-D", [2, 3], [3, 4]],
    ["1-D · 3-D", [3], [2, 3, 2]],
    ["3-D · 1-D", [2, 2, 3], [3]],
    ["3-D · 2-D", [2, 3, 4], [4, 2]],
    ["2-D · 3-D", [3, 2], [2, 2, 3]],
    ["[2,1,3,4] · [5,4,2]", [2, 1, 3, 4], [5, 4, 2]],
    ["[1,3,2] · [2,2,3] (batch 1 broadcast)", [1, 3, 2], [2, 2, 3]],
  ];
  for (const [label, sa, sb] of forms) {
    test(`matmul ${label}`, () => {
      manualSeed(60);
      check(label, (a, b) => matmul(a, b), [rn(...sa), rn(...sb)]);
    });
  }
  test("matmul with transposed operands (mT forms)", () => {
    manualSeed(61);
    check("a.mT @ b", (a, b) => a.mT.matmul(b), [rn(2, 4, 3), rn(2, 4, 2)]);
    check("a @ b.mT", (a, b) => a.matmul(b.mT), [rn(2, 3, 4), rn(2, 2, 4)]);
    check("a.mT @ b.mT", (a, b) => a.mT.matmul(b.mT), [rn(4, 3), rn(2, 4)]);
    check("q @ k.mT batched broadcast", (q, k) => q.matmul(k.mT), [rn(2, 1, 3, 2), rn(2, 2, 2)]);
    check("x @ x.mT (one input twice)", (a) => a.matmul(a.mT), [rn(3, 4)]);
  });
  test("einsum forms used by attention and interpretability", () => {
    manualSeed(62);
    check("bqhd,bkhd->bhqk", (q, k) => einsum("bqhd,bkhd->bhqk", q, k), [rn(2, 3, 2, 2), rn(2, 2, 2, 2)]);
    check("bhqk,bkhd->bqhd", (p, v) => einsum("bhqk,bkhd->bqhd", p, v), [rn(2, 2, 3, 2), rn(2, 2, 2, 2)]);
    check("bpd,dv->bpv", (x, w) => einsum("bpd,dv->bpv", x, w), [rn(2, 3, 4), rn(4, 2)]);
    check("ij->ji", (x) => einsum("ij->ji", x), [rn(3, 4)]);
    check("bij->b", (x) => einsum("bij->b", x), [rn(2, 3, 4)]);
    check("i,i->", (a, b) => einsum("i,i->", a, b), [rn(5), rn(5)]);
    check("ij,jk (implicit output)", (a, b) => einsum("ij,jk", a, b), [rn(2, 3), rn(3, 2)]);
    check("ij,jk,kl->il", (a, b, c) => einsum("ij,jk,kl->il", a, b, c), [rn(2, 3), rn(3, 2), rn(2, 4)]);
    check("bi,bj->bij (outer, batched)", (a, b) => einsum("bi,bj->bij", a, b), [rn(2, 3), rn(2, 2)]);
    check("ijk,k->i with a summed letter only in one operand", (a, b) => einsum("ijk,k->i", a, b), [rn(2, 3, 4), rn(4)]);
    check("bij,bjk->bik with b broadcast from 1", (a, b) => einsum("bij,bjk->bik", a, b), [rn(1, 2, 3), rn(2, 3, 2)]);
  });
  test("outer", () => {
    manualSeed(63);
    check("outer", (a, b) => outer(a, b), [rn(3), rn(4)]);
  });
});

describe("softmax family and losses", () => {
  test("softmax and logSoftmax over each dim", () => {
    manualSeed(70);
    const x = rn(2, 3, 4);
    for (const d of [0, 1, 2, -1]) {
      check(`softmax dim ${d}`, (a) => softmax(a, d), [x]);
      check(`logSoftmax dim ${d}`, (a) => logSoftmax(a, d), [x]);
      check(`x.softmax(${d}) with a repeated input`, (a) => a.softmax(d).mul(a), [x]);
    }
    check("softmax of a masked row", (a) => a.maskedFill(tensor([false, true, false, true]), -Infinity).softmax(-1), [rn(3, 4)]);
  });
  test("crossEntropy: index targets, ignoreIndex, labelSmoothing, reductions", () => {
    manualSeed(71);
    const logits = rn(4, 5);
    const target = int([1, -100, 3, 0]);
    check("crossEntropy mean", (l) => crossEntropy(l, target), [logits]);
    check("crossEntropy sum", (l) => crossEntropy(l, target, { reduction: "sum" }), [logits]);
    check("crossEntropy none", (l) => crossEntropy(l, target, { reduction: "none" }), [logits]);
    check("crossEntropy ignoreIndex 3", (l) => crossEntropy(l, int([1, 3, 3, 0]), { ignoreIndex: 3 }), [logits]);
    check("crossEntropy labelSmoothing 0.1", (l) => crossEntropy(l, target, { labelSmoothing: 0.1 }), [logits]);
    check("crossEntropy labelSmoothing 0.1 sum", (l) => crossEntropy(l, target, { labelSmoothing: 0.1, reduction: "sum" }), [logits]);
    check("crossEntropy labelSmoothing 0.1 none", (l) => crossEntropy(l, target, { labelSmoothing: 0.1, reduction: "none" }), [logits]);
    check("crossEntropy 1-D logits", (l) => crossEntropy(l, tensor(2, { dtype: "int32" })), [rn(5)]);
  });
  test("crossEntropy: probability targets and the (N, C, d) layout", () => {
    manualSeed(72);
    const probs = softmax(rn(3, 4), 1);
    check("crossEntropy probability targets (logits and targets)", (l, p) => crossEntropy(l, p), [rn(3, 4), probs]);
    check("crossEntropy probability targets, smoothing", (l) => crossEntropy(l, probs, { labelSmoothing: 0.1 }), [rn(3, 4)]);
    const target = int([[0, 2, 1, -100], [2, 2, 0, 1]]);
    check("crossEntropy (N, C, d)", (l) => crossEntropy(l, target), [rn(2, 3, 4)]);
    check("crossEntropy (N, C, d) smoothing none", (l) => crossEntropy(l, target, { labelSmoothing: 0.1, reduction: "none" }), [rn(2, 3, 4)]);
    check("crossEntropy (N, C, d) probability targets", (l, p) => crossEntropy(l, p), [rn(2, 3, 2), softmax(rn(2, 3, 2), 1)]);
  });
  test("nllLoss, mseLoss, binaryCrossEntropyWithLogits", () => {
    manualSeed(73);
    check("nllLoss", (lp) => nllLoss(lp, int([3, 0, -100])), [rn(3, 4)]);
    check("nllLoss sum", (lp) => nllLoss(lp, int([3, 0, 1]), { reduction: "sum" }), [rn(3, 4)]);
    check("nllLoss (N, C, d) none", (lp) => nllLoss(lp, int([[0, 1], [2, 2]]), { reduction: "none" }), [rn(2, 3, 2)]);
    check("mseLoss", (a, b) => mseLoss(a, b), [rn(2, 3), rn(2, 3)]);
    check("mseLoss sum", (a, b) => mseLoss(a, b, { reduction: "sum" }), [rn(2, 3), rn(2, 3)]);
    check("binaryCrossEntropyWithLogits", (l, t) => binaryCrossEntropyWithLogits(l, t), [rn(2, 3).mul(3), rand([2, 3], F64)]);
    check("binaryCrossEntropyWithLogits none", (l, t) => binaryCrossEntropyWithLogits(l, t, { reduction: "none" }), [rn(5), rand([5], F64)]);
  });
});

describe("normalisation and layers", () => {
  test("layerNorm with and without weight and bias", () => {
    manualSeed(80);
    const x = rn(2, 3, 4);
    check("layerNorm", (a) => layerNorm(a, [4]), [x]);
    check("layerNorm over two dims", (a) => layerNorm(a, [3, 4]), [x]);
    check("layerNorm weight", (a, w) => layerNorm(a, [4], w), [x, rn(4)]);
    check("layerNorm weight and bias", (a, w, b) => layerNorm(a, [4], w, b), [x, rn(4), rn(4)]);
    check("layerNorm bias only", (a, b) => layerNorm(a, [4], null, b), [x, rn(4)]);
    check("layerNorm, weight gradient only (wrt)", (a, w) => layerNorm(a, [3, 4], w), [x, rn(3, 4)], { wrt: [1] });
  });
  test("rmsNorm", () => {
    manualSeed(81);
    check("rmsNorm", (a) => rmsNorm(a, [4]), [rn(2, 3, 4)]);
    check("rmsNorm weight", (a, w) => rmsNorm(a, [3, 4], w), [rn(2, 3, 4), rn(3, 4)]);
  });
  test("linear and embedding", () => {
    manualSeed(82);
    check("linear 3-d input with bias", (x, w, b) => linear(x, w, b), [rn(2, 3, 4), rn(2, 4), rn(2)]);
    check("linear 1-d input", (x, w) => linear(x, w), [rn(4), rn(3, 4)]);
    check("embedding (repeated ids)", (w) => embedding(int([[1, 4, 1], [0, 0, 3]]), w), [rn(5, 3)]);
  });
  test("conv2d with stride, padding, dilation", () => {
    manualSeed(83);
    const x = rn(2, 2, 4, 3);
    const w = rn(2, 2, 2, 2);
    const b = rn(2);
    check("conv2d plain", (a, k, c) => conv2d(a, k, c), [x, w, b]);
    check("conv2d stride 2 padding 1", (a, k) => conv2d(a, k, null, { stride: 2, padding: 1 }), [x, w]);
    check("conv2d dilation 2 padding (1, 0)", (a, k, c) => conv2d(a, k, c, { dilation: 2, padding: [1, 0] }), [x, w, b]);
    check("conv2d stride (1, 2), 1x3 kernel", (a, k) => conv2d(a, k, null, { stride: [1, 2], padding: [0, 1] }), [x, rn(3, 2, 1, 3)]);
  });
  test("unfold2d, maxPool2d, avgPool2d", () => {
    manualSeed(84);
    const x = rn(1, 2, 4, 4);
    check("unfold2d", (a) => unfold2d(a, 2, { stride: 2 }), [x]);
    check("unfold2d padding dilation", (a) => unfold2d(a, [2, 3], { padding: 1, dilation: [2, 1] }), [rn(1, 1, 3, 4)]);
    check("maxPool2d 2x2", (a) => maxPool2d(a, 2), [x]);
    check("maxPool2d overlapping, padding", (a) => maxPool2d(a, 3, 1, 1), [x]);
    check("maxPool2d stride (1, 2)", (a) => maxPool2d(a, 2, [1, 2]), [x]);
    check("avgPool2d 2x2", (a) => avgPool2d(a, 2), [x]);
    check("avgPool2d stride 1, padding", (a) => avgPool2d(a, [2, 3], 1, [1, 1]), [x]);
  });
});

describe("double backward (gradients of gradients)", () => {
  test("tanh", () => {
    manualSeed(90);
    const w = rn(2, 3);
    const dtanh = grad((x: Tensor) => x.tanh().mul(w).sum(), { createGraph: true });
    check("d/dx of d(tanh)/dx", (x) => dtanh(x)[0], [rn(2, 3)]);
  });
  test("sigmoid, exp·sin and a power", () => {
    manualSeed(91);
    const dsig = grad((x: Tensor) => x.sigmoid().sum(), { createGraph: true });
    check("sigmoid''", (x) => dsig(x)[0], [rn(4)]);
    const dmix = grad((x: Tensor) => x.exp().mul(x.sin()).sum(), { createGraph: true });
    check("(eˣ sin x)''", (x) => dmix(x)[0], [rn(4)]);
    const dpow = grad((x: Tensor, y: Tensor) => pow(x, y).sum(), { createGraph: true });
    check("pow, both partials", (x, y) => stack([dpow(x, y)[0], dpow(x, y)[1]]), [pos(3), rn(3)]);
  });
  test("softmax and logSoftmax", () => {
    manualSeed(92);
    const w = rn(2, 4);
    const dsm = grad((x: Tensor) => x.softmax(-1).mul(w).sum(), { createGraph: true });
    check("softmax''", (x) => dsm(x)[0], [rn(2, 4)]);
    const dlsm = grad((x: Tensor) => logSoftmax(x, 0).mul(w).sum(), { createGraph: true });
    check("logSoftmax''", (x) => dlsm(x)[0], [rn(2, 4)]);
    const dce = grad((x: Tensor) => crossEntropy(x, int([1, 3])), { createGraph: true });
    check("crossEntropy''", (x) => dce(x)[0], [rn(2, 4)]);
  });
  test("matmul (both operands, and the cross terms)", () => {
    manualSeed(93);
    const dmm = grad((a: Tensor, b: Tensor) => matmul(a, b).square().sum(), { createGraph: true });
    check("d(a@b)²/da", (a, b) => dmm(a, b)[0], [rn(2, 3), rn(3, 2)]);
    check("d(a@b)²/db", (a, b) => dmm(a, b)[1], [rn(2, 3), rn(3, 2)]);
    const dbatched = grad((a: Tensor, b: Tensor) => a.matmul(b.mT).tanh().sum(), { createGraph: true });
    check("batched a@bᵀ, tanh", (a, b) => cat([dbatched(a, b)[0].flatten(), dbatched(a, b)[1].flatten()]), [rn(2, 2, 3), rn(2, 3)]);
  });
  test("linear and conv2d (transposed matmul forms in the backward)", () => {
    manualSeed(95);
    const dlin = grad((x: Tensor, w: Tensor) => linear(x, w).tanh().sum(), { createGraph: true });
    check("linear'' wrt x", (x, w) => dlin(x, w)[0], [rn(2, 3), rn(2, 3)]);
    check("linear'' wrt w", (x, w) => dlin(x, w)[1], [rn(2, 3), rn(2, 3)]);
    const dconv = grad((x: Tensor, w: Tensor) => conv2d(x, w, null, { padding: 1 }).square().sum(), { createGraph: true });
    check("conv2d'' wrt w", (x, w) => dconv(x, w)[1], [rn(1, 1, 3, 3), rn(1, 1, 2, 2)]);
  });
  test("layerNorm, logsumexp, norm", () => {
    manualSeed(94);
    const w = rn(2, 4);
    const dln = grad((x: Tensor) => layerNorm(x, [4]).mul(w).sum(), { createGraph: true });
    check("layerNorm''", (x) => dln(x)[0], [rn(2, 4)]);
    const dlse = grad((x: Tensor) => logsumexp(x, 1).sum(), { createGraph: true });
    check("logsumexp''", (x) => dlse(x)[0], [rn(2, 4)]);
    for (const p of [2, 3]) {
      const dnorm = grad((x: Tensor) => norm(x, p, -1).mul(tensor([1, -2], F64)).sum(), { createGraph: true });
      check(`norm p=${p}''`, (x) => dnorm(x)[0], [rn(2, 3)]);
    }
  });
});

describe("ops added for PyTorch parity (issue #13)", () => {
  /** x with a few entries set to exactly 0, at the flat positions given. */
  const withZeros = (x: Tensor, at: number[]): Tensor => {
    const d = x.dataSync();
    for (const i of at) d[i] = 0;
    return tensor(d, { shape: x.shape });
  };
  test("prod over each dim, all dims, keepdim; zeros included (one and two in a row)", () => {
    manualSeed(200);
    for (const x of [rn(2, 3, 4), withZeros(rn(2, 3, 4), [5]), withZeros(rn(2, 3, 4), [1, 2, 13])]) {
      for (const d of [0, 1, 2, -1]) for (const keepdim of [false, true]) check(`prod dim ${d} keepdim ${keepdim}`, (a) => a.prod(d, keepdim), [x]);
      check("prod of everything", (a) => prod(a), [x]);
    }
  });
  test("cumprod along each dim; zeros included (one, two, at the start and end)", () => {
    manualSeed(201);
    for (const x of [rn(3, 4), withZeros(rn(3, 4), [1]), withZeros(rn(3, 4), [4, 6, 11]), withZeros(rn(3, 4), [0, 3, 8, 9])]) {
      for (const d of [0, 1, -1]) check(`cumprod dim ${d}`, (a) => cumprod(a, d), [x]);
    }
  });
  test("prod and cumprod twice (double backward), with and without a zero", () => {
    manualSeed(202);
    const w = rn(2, 4);
    for (const x of [rn(2, 4), withZeros(rn(2, 4), [2])]) {
      const dprod = grad((a: Tensor) => a.prod(1).mul(tensor([1, -2], F64)).sum(), { createGraph: true });
      check("prod''", (a) => dprod(a)[0], [x]);
      const dcum = grad((a: Tensor) => a.cumprod(1).mul(w).sum(), { createGraph: true });
      check("cumprod''", (a) => dcum(a)[0], [x]);
    }
  });
  test("log1p, expm1", () => {
    manualSeed(203);
    check("log1p", (a) => log1p(a), [unif(-0.5, 2, 3, 4)]);
    check("expm1", (a) => expm1(a), [rn(3, 4)]);
  });
  test("mm, bmm, kron (different ranks), diag both ways with offsets, t, unbind", () => {
    manualSeed(204);
    check("mm", (a, b) => mm(a, b), [rn(2, 3), rn(3, 4)]);
    check("bmm", (a, b) => bmm(a, b), [rn(2, 2, 3), rn(2, 3, 4)]);
    check("kron 2-D", (a, b) => kron(a, b), [rn(2, 3), rn(3, 2)]);
    check("kron 1-D with 2-D", (a, b) => kron(a, b), [rn(3), rn(2, 2)]);
    for (const k of [0, 1, -2]) {
      check(`diag of a vector, diagonal ${k}`, (a) => diag(a, k), [rn(3)]);
      check(`diag of a matrix, diagonal ${k}`, (a) => diag(a, k), [rn(3, 4)]);
    }
    check("t", (a) => a.t(), [rn(2, 3)]);
    check("unbind dim 1", (a) => stack(unbind(a, 1).map((u, i) => u.mul(i + 1))), [rn(2, 3)]);
  });
  test("roll, repeatInterleave, flip with varargs", () => {
    manualSeed(205);
    check("roll one dim", (a) => roll(a, 2, 1), [rn(2, 3)]);
    check("roll two dims, negative shift", (a) => roll(a, [-1, 1], [0, 1]), [rn(3, 4)]);
    check("roll flattened", (a) => roll(a, 4), [rn(2, 3)]);
    check("repeatInterleave a number along dim 0", (a) => repeatInterleave(a, 2, 0), [rn(2, 3)]);
    check("repeatInterleave per-entry counts", (a) => a.repeatInterleave(int([1, 0, 3]), 1), [rn(2, 3)]);
    check("repeatInterleave flattened", (a) => a.repeatInterleave(3), [rn(2, 2)]);
    check("flip(0, 1)", (a) => a.flip(0, 1), [rn(2, 3)]);
  });
  test("clamp with tensor bounds (broadcast), clip, max/min along a dim", () => {
    manualSeed(206);
    // bounds and values drawn apart so no element sits on a kink
    const x = tensor([[-2, -0.5, 0.5, 2], [1.5, -1.5, 0.2, -0.2]], F64);
    check("clamp(x, lo, hi) wrt all three", (a, lo, hi) => clamp(a, lo, hi), [x, tensor([-1, 0, -1, 0.1], F64), tensor([[1], [0.7]], F64)]);
    check("clip with a tensor max only", (a, hi) => a.clip(null, hi), [x, tensor([0, 1, 0, 1], F64)]);
    check("clamp({ min })", (a) => a.clamp({ min: 0 }), [x]);
    check("min(dim).values", (a) => a.min(0).values, [rn(3, 4)]);
    check("max(dim, keepdim).values", (a) => a.max(-1, true).values, [rn(3, 4)]);
  });
  test("vector norms: ord 3, 0.5, −1, ±∞ over dims", () => {
    manualSeed(207);
    const x = awayFromZero(3, 4);
    for (const ord of [3, 0.5, -1, Infinity, -Infinity]) {
      check(`vectorNorm ord ${ord} over dim 1`, (a) => linalg.vectorNorm(a, ord, 1), [x]);
      check(`vectorNorm ord ${ord}, all dims, keepdim`, (a) => linalg.vectorNorm(a, ord, null, true), [x]);
    }
    check("norm('fro', dim 0)", (a) => a.norm("fro", 0), [x]);
  });
  test("maskedFill with a 0-d tensor value, where with scalars", () => {
    manualSeed(208);
    const mask = tensor([[true, false, true], [false, false, true]]);
    check("maskedFill value tensor", (a, v) => a.maskedFill(mask, v), [rn(2, 3), rn()]);
    check("where(cond, x, scalar)", (a) => where(mask, a, 2), [rn(2, 3)]);
    check("where(cond, scalar, x)", (a) => where(mask, -1, a), [rn(1, 3)]);
  });
  test("in-place ops on non-leaves are differentiated like their out-of-place twins", () => {
    manualSeed(209);
    check("add_, mul_, sub_ (alpha), div_ on a copy", (a, b) => {
      const y = a.mul(1);
      y.add_(b).mul_(b).sub_(a, 0.5).div_(b.abs().add(1));
      return y;
    }, [rn(2, 3), rn(3)]);
    check("clamp_ then maskedFill_ with a tensor value", (a, v) => {
      const y = a.mul(2);
      y.clamp_(-1, 1).maskedFill_(tensor([true, false, false]), v);
      return y;
    }, [tensor([[-3, 0.3, 0.1], [0.2, -0.4, 3]], F64), rn()]);
    check("copy_ a broadcast source into a buffer, then scale it", (src) => {
      const buf = zeros(2, 3, F64);
      buf.copy_(src).mul_(3);
      return buf;
    }, [rn(3)]);
    check("fill_ cuts the old value's gradient", (a) => {
      const y = a.exp();
      const z = y.mul(1);
      z.fill_(2);
      return z.add(y);
    }, [rn(4)]);
  });
});

test("fused attention: forward equals softmax(q kᵀ/√d) v and gradients pass finite differences", async () => {
  const { scaledDotProductAttention } = await import("../src/tensor/ops/fused.js");
  manualSeed(11);
  for (const causal of [false, true]) {
    const q = randn(2, 3, 4, { dtype: "float64" });
    const k = randn(2, 5, 4, { dtype: "float64" });
    const v = randn(2, 5, 4, { dtype: "float64" });
    const composite = (qq: Tensor, kk: Tensor, vv: Tensor) => {
      let s = qq.matmul(kk.mT).mul(0.5);
      if (causal) s = s.maskedFill(ones(3, 5, { dtype: "bool" }).triu(3), -Infinity);
      return s.softmax(-1).matmul(vv);
    };
    const fused = scaledDotProductAttention(q, k, v, { isCausal: causal });
    const ref = composite(q, k, v);
    const a = fused.dataSync();
    const b = ref.dataSync();
    for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-12, `causal=${causal} ${i}: ${a[i]} vs ${b[i]}`);
    const r = gradcheck((qq, kk, vv) => scaledDotProductAttention(qq, kk, vv, { isCausal: causal }), [q, k, v]);
    assert.ok(r.ok, r.worst);
  }
});

test("fused layerNorm equals the composite definition, gradients and double backward included", async () => {
  const { layerNormComposite, layerNorm } = await import("../src/tensor/ops/nn.js");
  manualSeed(12);
  const x = randn(3, 2, 6, { dtype: "float64" });
  const w = randn(6, { dtype: "float64" });
  const b = randn(6, { dtype: "float64" });
  const a = layerNorm(x, [6], w, b).dataSync();
  const c = layerNormComposite(x, [6], w, b).dataSync();
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - c[i]) < 1e-12);
  for (const [ww, bb] of [[w, b], [null, null], [w, null]] as const) {
    const r = gradcheck((...t) => layerNorm(t[0], [6], ww ? t[1] : null, bb ? t[2] : null), [x, w, b].slice(0, 1 + (ww ? 1 : 0) + (bb ? 1 : 0)));
    assert.ok(r.ok, r.worst);
  }
  const dd = gradcheck((xx, ww) => grad((x2: Tensor) => layerNorm(x2, [6], ww).square().sum(), { createGraph: true })(xx)[0], [x, w]);
  assert.ok(dd.ok, dd.worst);
});

test("fused rmsNorm equals the composite definition, gradients and double backward included", async () => {
  const { rmsNormComposite, rmsNorm } = await import("../src/tensor/ops/nn.js");
  manualSeed(14);
  const x = randn(3, 2, 6, { dtype: "float64" });
  const w = randn(6, { dtype: "float64" });
  for (const ww of [w, null]) {
    const a = rmsNorm(x, [6], ww).dataSync();
    const c = rmsNormComposite(x, [6], ww).dataSync();
    for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - c[i]) < 1e-12);
    const r = gradcheck((...t) => rmsNorm(t[0], [6], ww ? t[1] : null), ww ? [x, w] : [x]);
    assert.ok(r.ok, r.worst);
  }
  const dd = gradcheck((xx, ww) => grad((x2: Tensor) => rmsNorm(x2, [6], ww).square().sum(), { createGraph: true })(xx)[0], [x, w]);
  assert.ok(dd.ok, dd.worst);
});

test("fused cross-entropy equals log-softmax + NLL (smoothing, ignored rows), gradients and double backward included", () => {
  manualSeed(15);
  const logits = randn(6, 5, { dtype: "float64" });
  const target = tensor([1, 4, -100, 0, 3, 3], { dtype: "int32" });
  for (const eps of [0, 0.2]) {
    const fused = crossEntropy(logits, target, { labelSmoothing: eps, reduction: "none" }).dataSync();
    const logp = logSoftmax(logits, 1);
    const nll = nllLoss(logp, target, { reduction: "none" }).dataSync();
    const smooth = logp.sum(1).neg().div(5).dataSync();
    for (let r = 0; r < 6; r++) {
      const want = r === 2 ? 0 : (1 - eps) * nll[r] + eps * smooth[r];
      assert.ok(Math.abs(fused[r] - want) < 1e-12, `eps ${eps} row ${r}: ${fused[r]} vs ${want}`);
    }
    const dd = gradcheck((l) => grad((x: Tensor) => crossEntropy(x, target, { labelSmoothing: eps }).mul(crossEntropy(x, target, { labelSmoothing: eps })), { createGraph: true })(l)[0], [logits]);
    assert.ok(dd.ok, dd.worst);
  }
  assert.throws(() => crossEntropy(logits, tensor([1, 5, 0, 0, 0, 0], { dtype: "int32" })), /index 5 is out of bounds for dimension with size 5/);
  assert.throws(() => crossEntropy(logits, tensor([1, 2, 0], { dtype: "int32" })), /expects target of shape \[6\], got \[3\]/);
});

test("fused attention in the (B, T, H, d) layout equals the permuted (B, H, T, d) one, gradients included", async () => {
  const { scaledDotProductAttention } = await import("../src/tensor/ops/fused.js");
  manualSeed(13);
  const [q, k, v] = [rn(2, 4, 3, 5), rn(2, 4, 3, 5), rn(2, 4, 3, 5)];
  const a = scaledDotProductAttention(q, k, v, { isCausal: true, layout: "bthd" });
  const b = scaledDotProductAttention(q.permute(0, 2, 1, 3), k.permute(0, 2, 1, 3), v.permute(0, 2, 1, 3), { isCausal: true }).permute(0, 2, 1, 3);
  const x = a.dataSync();
  const y = b.dataSync();
  for (let i = 0; i < x.length; i++) assert.ok(Math.abs(x[i] - y[i]) < 1e-12);
  const r = gradcheck((qq, kk, vv) => scaledDotProductAttention(qq, kk, vv, { isCausal: true, layout: "bthd" }), [q, k, v]);
  assert.ok(r.ok, r.worst);
});
