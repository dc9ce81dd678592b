// Forward semantics of the tensor layer against hand-computed values, and autodiff semantics
// (accumulation, noGrad, detach, hooks, the functional API). Expected values are written out by
// hand or computed with plain JS Math, never with the code under test.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  amax, arange, argmax, argmin, broadcastShapes, cat, chunk, conv2d, crossEntropy, cumsum, einsum, eye, full, gather,
  Generator, grad, indexSelect, isGradEnabled, linspace, logsumexp, manualSeed, matmul, maximum, maxPool2d,
  type NestedArray, noGrad, norm, oneHot, ones, pow, rand, randint, randn, scatterAdd, softmax, sort, split, stack,
  sum, tensor, type Tensor, topk, where, zeros,
} from "../src/index.js";

const i32 = { dtype: "int32" } as const;
const f64 = { dtype: "float64" } as const;

function flat(v: NestedArray): number[] {
  return Array.isArray(v) ? v.flatMap(flat) : [Number(v)];
}

function shapeOf(v: NestedArray): number[] {
  return Array.isArray(v) ? [v.length, ...(v.length ? shapeOf(v[0]) : [])] : [];
}

/** Same shape as `expected` and every entry within tol (NaN matches NaN). */
function assertClose(t: Tensor, expected: NestedArray, tol = 1e-6): void {
  assert.deepEqual([...t.shape], shapeOf(expected), `shape ${JSON.stringify(t.shape)} vs expected ${JSON.stringify(shapeOf(expected))}`);
  const got = [...t.dataSync()];
  const want = flat(expected);
  got.forEach((g, i) => {
    const w = want[i];
    const ok = Number.isNaN(w) ? Number.isNaN(g) : g === w || Math.abs(g - w) <= tol * Math.max(1, Math.abs(w));
    assert.ok(ok, `entry ${i}: got ${g}, expected ${w} (all: ${JSON.stringify(got)})`);
  });
}

describe("broadcasting", () => {
  test("values follow NumPy's rules", () => {
    const col = tensor([[1], [2], [3]]); // [3, 1]
    const row = tensor([10, 20]); // [2]
    assert.deepEqual(col.add(row).toArray(), [[11, 21], [12, 22], [13, 23]]);
    assert.deepEqual(row.sub(col).toArray(), [[9, 19], [8, 18], [7, 17]]);
    assert.deepEqual(tensor(2).mul(tensor([[1, 2]])).toArray(), [[2, 4]]);
    assert.deepEqual(zeros(3, 1, 4).add(zeros(2, 1)).shape, [3, 2, 4]);
  });
  test("broadcastShapes", () => {
    assert.deepEqual(broadcastShapes("op", [3, 1, 4], [2, 1]), [3, 2, 4]);
    assert.deepEqual(broadcastShapes("op", [], [2, 3]), [2, 3]);
    assert.deepEqual(broadcastShapes("op", [1, 5], [4, 1], [4, 5]), [4, 5]);
  });
  test("errors name the op and both shapes", () => {
    assert.throws(() => zeros(2, 3).add(zeros(4)), /add: shapes \[2, 3\] and \[4\] do not broadcast/);
    assert.throws(() => zeros(2, 3).mul(zeros(3, 2)), /mul: shapes \[2, 3\] and \[3, 2\] do not broadcast/);
    assert.throws(() => where(tensor([true, false]), zeros(3), 1), /where: .*\[2\].*\[3\]/);
    assert.throws(() => matmul(zeros(3), zeros(4)), /matmul: shapes \[3\] and \[4\] cannot be multiplied/);
    assert.throws(() => matmul(zeros(2, 3), zeros(4, 5)), /matmul: shapes \[2, 3\] and \[4, 5\] cannot be multiplied/);
    assert.throws(() => zeros(2, 3).expand(2, 4), /expand: cannot expand shape \[2, 3\] to \[2, 4\]/);
    assert.throws(() => cat([zeros(2, 3), zeros(3, 2)]), /cat: shapes \[2, 3\], \[3, 2\]/);
    assert.throws(() => zeros(2, 3).reshape(4, 2), /reshape: shape \[4, 2\] is invalid for input of size 6/);
  });
});

describe("dtypes", () => {
  test("promotion: int32 with float32 gives float32, floats widen to float64", () => {
    const a = tensor([1, 2], i32);
    const b = tensor([0.5, 0.25]);
    const c = a.add(b);
    assert.equal(c.dtype, "float32");
    assert.deepEqual(c.toArray(), [1.5, 2.25]);
    assert.equal(a.add(a).dtype, "int32");
    assert.equal(a.mul(3).dtype, "int32");
    assert.equal(a.add(0.5).dtype, "float32");
    assert.deepEqual(a.add(0.5).toArray(), [1.5, 2.5]);
    assert.equal(b.add(tensor([1], f64)).dtype, "float64");
    assert.equal(b.mul(2).dtype, "float32"); // a JS number does not widen a float tensor
    assert.equal(tensor([1, 2], i32).exp().dtype, "float32");
  });
  test("int / int is true division in float", () => {
    const q = tensor([1, 7, -7], i32).div(tensor([2, 2, 2], i32));
    assert.equal(q.dtype, "float32");
    assert.deepEqual(q.toArray(), [0.5, 3.5, -3.5]);
    assert.deepEqual(tensor([3], i32).div(2).toArray(), [1.5]);
  });
  test("comparisons give bool", () => {
    const x = tensor([1, 2, 3], i32);
    const gt = x.gt(1.5);
    assert.equal(gt.dtype, "bool");
    assert.deepEqual(gt.toArray(), [false, true, true]);
    assert.deepEqual(x.eq(tensor([1, 0, 3])).toArray(), [true, false, true]);
    assert.deepEqual(x.le(2).toArray(), [true, true, false]);
    assert.deepEqual(tensor([1, NaN]).ne(tensor([1, NaN])).toArray(), [false, true]);
  });
  test("casts: float → int truncates toward zero; anything non-zero (NaN too) is true", () => {
    assert.deepEqual(tensor([1.7, -1.7, 2.5]).int().toArray(), [1, -1, 2]);
    assert.deepEqual(tensor([0, 0.5, -2, NaN]).bool().toArray(), [false, true, true, true]);
    assert.deepEqual(tensor([0, NaN], { dtype: "bool" }).toArray(), [false, true]);
    assert.deepEqual(tensor([0, 0.5, NaN]).logicalNot().toArray(), [true, false, false]);
    assert.deepEqual(tensor([0, 0.5, NaN]).logicalAnd(tensor([1, 1, 2])).toArray(), [false, true, true]);
    assert.deepEqual(tensor([0, 0, NaN]).logicalOr(tensor([0, 0.1, 0])).toArray(), [false, true, true]);
  });
  test("isnan and isinf look at the values", () => {
    const v = tensor([1, NaN, Infinity, -Infinity, 0]);
    assert.deepEqual(v.isnan().toArray(), [false, true, false, false, false]);
    assert.deepEqual(v.isinf().toArray(), [false, false, true, true, false]);
    assert.deepEqual(tensor([NaN], f64).isnan().toArray(), [true]);
    assert.deepEqual(tensor([3], i32).isinf().toArray(), [false]);
  });
  test("sum of bool counts, mean of int is float", () => {
    const s = tensor([true, false, true]).sum();
    assert.equal(s.dtype, "int32");
    assert.equal(s.item(), 2);
    const m = tensor([1, 2], i32).mean();
    assert.equal(m.dtype, "float32");
    assert.equal(m.item(), 1.5);
  });
});

describe("creation", () => {
  test("zeros/ones/full take a shape as varargs or one array", () => {
    for (const t of [zeros(2, 3), zeros([2, 3])]) {
      assert.deepEqual(t.shape, [2, 3]);
      assert.equal(t.dtype, "float32");
      assert.deepEqual(t.toArray(), [[0, 0, 0], [0, 0, 0]]);
    }
    assert.deepEqual(ones(2, { dtype: "int32" }).toArray(), [1, 1]);
    assert.equal(ones([2], f64).dtype, "float64");
    assert.deepEqual(zeros().shape, []);
    assert.deepEqual(full([2], 7).toArray(), [7, 7]);
    assert.throws(() => zeros(2, -1), /zeros: invalid size -1/);
  });
  test("arange: int32 for integer arguments, float32 otherwise", () => {
    const a = arange(5);
    assert.equal(a.dtype, "int32");
    assert.deepEqual(a.toArray(), [0, 1, 2, 3, 4]);
    assert.deepEqual(arange(2, 8, 3).toArray(), [2, 5]);
    assert.deepEqual(arange(5, 0, -2).toArray(), [5, 3, 1]);
    const f = arange(1, 2, 0.25);
    assert.equal(f.dtype, "float32");
    assert.deepEqual(f.toArray(), [1, 1.25, 1.5, 1.75]);
    assert.equal(arange(0, 1, 0.1).numel(), 10);
    assert.throws(() => arange(0, 1, 0), /step/);
  });
  test("linspace hits both endpoints exactly", () => {
    assert.deepEqual(linspace(0, 1, 5).toArray(), [0, 0.25, 0.5, 0.75, 1]);
    assert.deepEqual(linspace(-1, 1, 3).toArray(), [-1, 0, 1]);
    const l = linspace(0.1, 0.7, 7, f64).dataSync();
    assert.equal(l[0], 0.1);
    assert.equal(l[6], 0.7);
    assert.ok(Math.abs(l[3] - 0.4) < 1e-15);
    assert.deepEqual(linspace(3, 5, 1).toArray(), [3]);
    assert.deepEqual(linspace(3, 5, 0).toArray(), []);
  });
  test("eye", () => {
    assert.deepEqual(eye(2).toArray(), [[1, 0], [0, 1]]);
    assert.deepEqual(eye(2, 3).toArray(), [[1, 0, 0], [0, 1, 0]]);
  });
  test("randn is reproducible under manualSeed and differs across seeds", () => {
    manualSeed(7);
    const a = randn(5).dataSync();
    const a2 = randn(5).dataSync();
    manualSeed(7);
    const b = randn(5).dataSync();
    assert.deepEqual(b, a);
    assert.notDeepEqual(a2, a);
    manualSeed(8);
    assert.notDeepEqual(randn(5).dataSync(), a);
    // an explicit generator is independent of the global one
    const g1 = randn(4, { generator: new Generator(3) }).dataSync();
    randn(10);
    assert.deepEqual(randn(4, { generator: new Generator(3) }).dataSync(), g1);
  });
  test("randint stays in [low, high) and reaches every value", () => {
    manualSeed(1);
    const r = randint(2, 5, [1000]);
    assert.equal(r.dtype, "int32");
    const values = [...r.dataSync()];
    assert.ok(values.every((v) => v >= 2 && v < 5));
    assert.deepEqual([...new Set(values)].sort(), [2, 3, 4]);
    assert.throws(() => randint(3, 3, [2]), /randint/);
  });
  test("rand is in [0, 1); randn of 10k has mean ≈ 0 and std ≈ 1", () => {
    manualSeed(2);
    const u = [...rand(1000).dataSync()];
    assert.ok(u.every((v) => v >= 0 && v < 1));
    const x = [...randn(10000, f64).dataSync()];
    const mean = x.reduce((s, v) => s + v, 0) / x.length;
    const std = Math.sqrt(x.reduce((s, v) => s + (v - mean) ** 2, 0) / (x.length - 1));
    assert.ok(Math.abs(mean) < 0.04, `mean ${mean}`);
    assert.ok(Math.abs(std - 1) < 0.04, `std ${std}`);
  });
});

describe("tensor() and reading numbers back", () => {
  test("nested arrays", () => {
    const t = tensor([[1, 2, 3], [4, 5, 6]]);
    assert.deepEqual(t.shape, [2, 3]);
    assert.equal(t.dtype, "float32");
    assert.deepEqual([...t.dataSync()], [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(tensor(3).shape, []);
    assert.equal(tensor(3).item(), 3);
    assert.equal(tensor([true, false]).dtype, "bool");
    assert.deepEqual(tensor([[]]).shape, [1, 0]);
    assert.deepEqual(tensor([1.9, -1.9], i32).toArray(), [1, -1]);
    assert.deepEqual(tensor([1, 2, 3, 4], { shape: [2, 2] }).toArray(), [[1, 2], [3, 4]]);
  });
  test("typed arrays keep their dtype and are copied", () => {
    const src = new Float64Array([1, 2, 3, 4]);
    const t = tensor(src, { shape: [2, 2] });
    assert.equal(t.dtype, "float64");
    src[0] = 99;
    assert.deepEqual(t.toArray(), [[1, 2], [3, 4]]);
    assert.equal(tensor(new Int32Array([5])).dtype, "int32");
    assert.equal(tensor(new Uint8Array([1, 0])).dtype, "bool");
    assert.equal(tensor(new Float32Array([1.5]), f64).dtype, "float64");
    assert.throws(() => tensor(new Float32Array(4), { shape: [3] }), /tensor: shape \[3\] does not fit 4 values/);
  });
  test("ragged input is an error", () => {
    assert.throws(() => tensor([[1, 2], [3]]), /ragged/);
    assert.throws(() => tensor([[1, 2], 3] as NestedArray), /ragged/);
    assert.throws(() => tensor([1, [2]]), /ragged/);
  });
  test("toArray, item, dataSync", () => {
    const t = tensor([[1, 2], [3, 4]], i32);
    assert.deepEqual(t.toArray(), [[1, 2], [3, 4]]);
    assert.deepEqual(tensor([true, false]).toArray(), [true, false]);
    const d = t.dataSync();
    assert.ok(d instanceof Int32Array);
    d[0] = 100; // a copy
    assert.equal(t.toArray().toString(), "1,2,3,4");
    assert.equal(tensor([[2.5]]).item(), 2.5);
    assert.throws(() => t.item(), /item: a tensor with 4 elements/);
    assert.equal(tensor(true).toArray(), true);
  });
});

describe("reductions", () => {
  const x = tensor([[1, 2, 3], [4, 5, 6]]);
  test("sum and mean over dims, keepdim", () => {
    assert.equal(x.sum().item(), 21);
    assertClose(x.sum(0), [5, 7, 9]);
    assertClose(x.sum(1, true), [[6], [15]]);
    assertClose(x.sum([0, 1]), 21);
    assertClose(x.sum(-1), [6, 15]);
    assertClose(x.mean(1), [2, 5]);
    assertClose(x.mean(), 3.5);
    assertClose(x.mean(0, true), [[2.5, 3.5, 4.5]]);
  });
  test("var and std with correction 0 and 1", () => {
    const v = tensor([1, 2, 3, 4], f64);
    assertClose(v.var(), 5 / 3, 1e-12);
    assertClose(v.var(null, { correction: 0 }), 1.25, 1e-12);
    assertClose(v.std(), Math.sqrt(5 / 3), 1e-12);
    assertClose(v.std(0, { correction: 0, keepdim: true }), [Math.sqrt(1.25)], 1e-12);
    assertClose(x.var(1), [1, 1]);
  });
  test("max/min/amax/amin", () => {
    assertClose(x.max(), 6);
    assertClose(x.min(1).values, [1, 4]);
    assert.deepEqual(x.min(1).indices.tolist(), [0, 0]);
    const [values, indices] = x.max(0, true);
    assertClose(values, [[4, 5, 6]]);
    assert.deepEqual(indices.tolist(), [[1, 1, 1]]);
    assertClose(x.max(tensor([5])), [[5, 5, 5], [5, 5, 6]]);
    assertClose(amax(x, 0, true), [[4, 5, 6]]);
    assertClose(tensor([3, NaN, 5]).max(), NaN);
    assertClose(tensor([3, NaN, 5]).min(), NaN);
    assertClose(tensor([1, 2, NaN]).sum(), NaN);
    assert.throws(() => zeros(0).max(), /cannot reduce over dim 0 of size 0/);
  });
  test("argmax/argmin take the first occurrence; NaN counts as the extreme", () => {
    assert.equal(argmax(tensor([1, 3, 3, 2])).item(), 1);
    assert.equal(argmin(tensor([2, 0, 0, 1])).item(), 1);
    assert.deepEqual(argmax(tensor([[1, 5, 5], [7, 7, 0]]), 1).toArray(), [1, 0]);
    assert.deepEqual(tensor([[1, 5], [7, 0]]).argmin(0, true).toArray(), [[0, 1]]);
    assert.equal(argmax(tensor([[1, 2], [9, 3]])).item(), 2); // flattened index
    assert.equal(argmax(tensor([1, NaN, 3, NaN])).item(), 1);
    assert.equal(argmin(tensor([1, NaN, 0])).item(), 1);
    assert.equal(argmax(tensor([1, 2], i32)).dtype, "int32");
  });
  test("logsumexp and norm", () => {
    assertClose(logsumexp(tensor([0, Math.log(3)], f64), 0), Math.log(4), 1e-12);
    assertClose(logsumexp(tensor([1000, 1000], f64), -1), 1000 + Math.LN2, 1e-12);
    assertClose(logsumexp(tensor([[0, 0], [1, 1]], f64), 1, true), [[Math.LN2], [1 + Math.LN2]], 1e-12);
    assertClose(logsumexp(tensor([-Infinity, -Infinity]), 0), -Infinity);
    const v = tensor([3, -4], f64);
    assert.equal(norm(v).item(), 5);
    assertClose(v.norm(1), 7, 1e-12);
    assertClose(v.norm(Infinity), 4, 1e-12);
    assertClose(v.norm(3), Math.cbrt(91), 1e-12);
    assertClose(tensor([[3, 4], [0, 1]]).norm(2, 1), [5, 1]);
  });
  test("all and any use truthiness", () => {
    assert.equal(tensor([0.5, 1]).all(), true);
    assert.equal(tensor([0.5, 0]).all(), false);
    assert.equal(tensor([NaN, 0]).any(), true);
    assert.equal(tensor([0, 0]).any(), false);
    assert.equal(zeros(0).all(), true);
    assert.equal(zeros(0).any(), false);
  });
  test("cumsum", () => {
    assertClose(cumsum(x, 1), [[1, 3, 6], [4, 9, 15]]);
    assertClose(x.cumsum(0), [[1, 2, 3], [5, 7, 9]]);
    const c = cumsum(tensor([1, 2, 3], i32), 0);
    assert.equal(c.dtype, "int32");
    assert.deepEqual(c.toArray(), [1, 3, 6]);
  });
});

describe("sort and topk", () => {
  test("sort is stable, ascending and descending", () => {
    const s = sort(tensor([3, 1, 2, 1, 3]));
    assert.deepEqual(s.values.toArray(), [1, 1, 2, 3, 3]);
    assert.deepEqual(s.indices.toArray(), [1, 3, 2, 0, 4]);
    const d = tensor([3, 1, 2, 1, 3]).sort(-1, true);
    assert.deepEqual(d.values.toArray(), [3, 3, 2, 1, 1]);
    assert.deepEqual(d.indices.toArray(), [0, 4, 2, 1, 3]);
  });
  test("sort puts NaN last ascending, first descending; works along dim 0", () => {
    const a = sort(tensor([2, NaN, 1]));
    assertClose(a.values, [1, 2, NaN]);
    assert.deepEqual(a.indices.toArray(), [2, 0, 1]);
    const d = sort(tensor([2, NaN, 1]), 0, true);
    assertClose(d.values, [NaN, 2, 1]);
    assert.deepEqual(d.indices.toArray(), [1, 0, 2]);
    const m = sort(tensor([[3, 0], [1, 5], [2, 4]]), 0);
    assert.deepEqual(m.values.toArray(), [[1, 0], [2, 4], [3, 5]]);
    assert.deepEqual(m.indices.toArray(), [[1, 0], [2, 2], [0, 1]]);
  });
  test("topk", () => {
    const t = topk(tensor([1, 5, 3, 5, 2]), 2);
    assert.deepEqual(t.values.toArray(), [5, 5]);
    assert.deepEqual(t.indices.toArray(), [1, 3]);
    const s = tensor([1, 5, 3, 5, 2]).topk(2, -1, false);
    assert.deepEqual(s.values.toArray(), [1, 2]);
    assert.deepEqual(s.indices.toArray(), [0, 4]);
    const m = tensor([[1, 9], [8, 2], [5, 5]]).topk(1, 0);
    assert.deepEqual(m.values.toArray(), [[8, 9]]);
    assert.deepEqual(m.indices.toArray(), [[1, 0]]);
    assert.throws(() => topk(zeros(3), 4), /topk: k = 4 out of range/);
  });
});

describe("slicing and joining", () => {
  const r = arange(10);
  test("slice with negative bounds and steps, narrow, select", () => {
    assert.deepEqual(r.slice(0, -3).toArray(), [7, 8, 9]);
    assert.deepEqual(r.slice(0, 1, -1, 3).toArray(), [1, 4, 7]);
    assert.deepEqual(r.slice(0, -100, 2).toArray(), [0, 1]);
    assert.deepEqual(r.slice(0, 8, 100).toArray(), [8, 9]);
    assert.deepEqual(r.slice(0, 5, 2).toArray(), []);
    assert.deepEqual(r.slice(0, null, null, 4).toArray(), [0, 4, 8]);
    const m = arange(12).reshape(3, 4);
    assert.deepEqual(m.slice(1, 1, null, 2).toArray(), [[1, 3], [5, 7], [9, 11]]);
    assert.deepEqual(m.slice(0, -2).toArray(), [[4, 5, 6, 7], [8, 9, 10, 11]]);
    assert.deepEqual(m.narrow(1, -3, 2).toArray(), [[1, 2], [5, 6], [9, 10]]);
    assert.deepEqual(m.select(0, -1).toArray(), [8, 9, 10, 11]);
    assert.deepEqual(m.select(1, 2).toArray(), [2, 6, 10]);
    assert.equal(r.select(0, -1).item(), 9);
    assert.throws(() => r.slice(0, 0, 5, 0), /slice: step must be a positive integer/);
    assert.throws(() => r.slice(0, 1.5), /slice: start and end must be integers/);
    assert.throws(() => m.select(0, 3), /select: index 3 out of range for dim 0 of size 3/);
    assert.throws(() => m.narrow(1, 2, 3), /narrow/);
  });
  test("flip, permute, transpose, squeeze, unsqueeze, expand, repeat", () => {
    const m = tensor([[1, 2, 3], [4, 5, 6]]);
    assert.deepEqual(m.flip(1).toArray(), [[3, 2, 1], [6, 5, 4]]);
    assert.deepEqual(m.flip([0, 1]).toArray(), [[6, 5, 4], [3, 2, 1]]);
    assert.deepEqual(m.T.toArray(), [[1, 4], [2, 5], [3, 6]]);
    assert.deepEqual(arange(6).reshape(1, 2, 3).permute(2, 0, 1).toArray(), [[[0, 3]], [[1, 4]], [[2, 5]]]);
    assert.deepEqual(arange(6).reshape(1, 2, 3).mT.shape, [1, 3, 2]);
    assert.deepEqual(zeros(2, 1, 3, 1).squeeze().shape, [2, 3]);
    assert.deepEqual(zeros(2, 1, 3, 1).squeeze(1).shape, [2, 3, 1]);
    assert.deepEqual(zeros(2, 3).unsqueeze(-1).shape, [2, 3, 1]);
    assert.deepEqual(tensor([1, 2]).expand(2, 2).toArray(), [[1, 2], [1, 2]]);
    assert.deepEqual(tensor([1, 2]).repeat(2, 2).toArray(), [[1, 2, 1, 2], [1, 2, 1, 2]]);
    assert.deepEqual(tensor([[1], [2]]).repeat(1, 3).toArray(), [[1, 1, 1], [2, 2, 2]]);
    assert.deepEqual(m.flatten().toArray(), [1, 2, 3, 4, 5, 6]);
  });
  test("cat, stack, split, chunk", () => {
    const a = tensor([[1, 2]]);
    const b = tensor([[3, 4], [5, 6]]);
    assert.deepEqual(cat([a, b]).toArray(), [[1, 2], [3, 4], [5, 6]]);
    assert.deepEqual(cat([b, b], 1).toArray(), [[3, 4, 3, 4], [5, 6, 5, 6]]);
    assert.deepEqual(cat([tensor([1, 2], i32), tensor([0.5])]).toArray(), [1, 2, 0.5]);
    assert.deepEqual(stack([zeros(2, 3), ones(2, 3)]).shape, [2, 2, 3]);
    assert.deepEqual(stack([tensor([1, 2]), tensor([3, 4])], -1).toArray(), [[1, 3], [2, 4]]);
    assert.deepEqual(split(arange(5), 2).map((t) => t.toArray()), [[0, 1], [2, 3], [4]]);
    assert.deepEqual(arange(5).split([1, 4]).map((t) => t.shape), [[1], [4]]);
    assert.deepEqual(chunk(zeros(7, 2), 3).map((t) => t.shape), [[3, 2], [3, 2], [1, 2]]);
    assert.deepEqual(zeros(2, 6).chunk(4, 1).map((t) => t.shape), [[2, 2], [2, 2], [2, 2]]);
    assert.throws(() => arange(5).split([1, 2]), /split: sizes \[1, 2\] do not sum to 5/);
    assert.throws(() => stack([zeros(2), zeros(3)]), /stack: all tensors must have the same shape/);
    assert.deepEqual(stack([tensor(1), tensor(2)]).toArray(), [1, 2]);
    assert.throws(() => cat([tensor(1), tensor(2)]), /cat: zero-dimensional tensors cannot be concatenated/);
  });
  test("tril and triu with diagonals (bool masks stay bool)", () => {
    const o = ones(3, 4);
    assert.deepEqual(o.tril().toArray(), [[1, 0, 0, 0], [1, 1, 0, 0], [1, 1, 1, 0]]);
    assert.deepEqual(o.tril(-1).toArray(), [[0, 0, 0, 0], [1, 0, 0, 0], [1, 1, 0, 0]]);
    assert.deepEqual(o.tril(1).toArray(), [[1, 1, 0, 0], [1, 1, 1, 0], [1, 1, 1, 1]]);
    assert.deepEqual(o.triu().toArray(), [[1, 1, 1, 1], [0, 1, 1, 1], [0, 0, 1, 1]]);
    assert.deepEqual(o.triu(2).toArray(), [[0, 0, 1, 1], [0, 0, 0, 1], [0, 0, 0, 0]]);
    assert.deepEqual(o.triu(-1).toArray(), [[1, 1, 1, 1], [1, 1, 1, 1], [0, 1, 1, 1]]);
    const causal = ones(2, 2, { dtype: "bool" }).tril();
    assert.equal(causal.dtype, "bool");
    assert.deepEqual(causal.toArray(), [[true, false], [true, true]]);
    assert.deepEqual(zeros(2, 2).maskedFill(causal.logicalNot(), -Infinity).toArray(), [[0, -Infinity], [0, 0]]);
    assert.deepEqual(tensor([[1, 2], [3, 4]], i32).triu().toArray(), [[1, 2], [0, 4]]);
    assert.deepEqual(ones(2, 2, 2).tril().toArray(), [[[1, 0], [1, 1]], [[1, 0], [1, 1]]]);
  });
});

describe("index ops", () => {
  test("gather", () => {
    const t = tensor([[1, 2], [3, 4]]);
    assert.deepEqual(gather(t, 1, tensor([[0, 0], [1, 0]], i32)).toArray(), [[1, 1], [4, 3]]);
    assert.deepEqual(t.gather(0, tensor([[1, 0]], i32)).toArray(), [[3, 2]]);
    assert.throws(() => t.gather(1, tensor([[0, 2]], i32)), /gather: index 2 is out of bounds for dimension with size 2/);
    assert.throws(() => t.gather(1, tensor([[-1, 0]], i32)), /gather: index -1 is out of bounds/);
    assert.throws(() => t.gather(1, tensor([[0, 1]])), /gather: index must be an int32 tensor/);
  });
  test("scatterAdd accumulates duplicates", () => {
    const out = scatterAdd(zeros(2, 4), 1, tensor([[0, 2, 0], [3, 3, 1]], i32), tensor([[1, 2, 3], [4, 5, 6]]));
    assert.deepEqual(out.toArray(), [[4, 0, 2, 0], [0, 6, 0, 9]]);
    const base = ones(3);
    const y = base.scatterAdd(0, tensor([2, 2], i32), tensor([10, 20]));
    assert.deepEqual(y.toArray(), [1, 1, 31]);
    assert.deepEqual(base.toArray(), [1, 1, 1]); // out of place
    assert.throws(() => zeros(3).scatterAdd(0, tensor([3], i32), tensor([1])), /scatterAdd: index 3 is out of bounds/);
  });
  test("indexSelect", () => {
    const t = tensor([[1, 2, 3], [4, 5, 6], [7, 8, 9]]);
    assert.deepEqual(indexSelect(t, 0, tensor([2, 0, 2], i32)).toArray(), [[7, 8, 9], [1, 2, 3], [7, 8, 9]]);
    assert.deepEqual(t.indexSelect(1, tensor([1], i32)).toArray(), [[2], [5], [8]]);
    assert.throws(() => t.indexSelect(0, tensor([3], i32)), /indexSelect: index 3 is out of bounds for dimension with size 3/);
  });
  test("oneHot", () => {
    assert.deepEqual(oneHot(tensor([0, 2, 1], i32)).toArray(), [[1, 0, 0], [0, 0, 1], [0, 1, 0]]);
    const o = oneHot(tensor([[1], [0]], i32), 4);
    assert.deepEqual(o.shape, [2, 1, 4]);
    assert.deepEqual(o.toArray(), [[[0, 1, 0, 0]], [[1, 0, 0, 0]]]);
    assert.throws(() => oneHot(tensor([3], i32), 3), /oneHot: index 3 is out of bounds/);
  });
  test("where and maskedFill", () => {
    assert.deepEqual(where(tensor([true, false, true]), tensor([1, 2, 3]), 0).toArray(), [1, 0, 3]);
    assert.deepEqual(where(tensor([[true], [false]]), tensor([1, 2]), tensor([9])).toArray(), [[1, 2], [9, 9]]);
    assert.deepEqual(tensor([1, 2, 3]).maskedFill(tensor([false, true, false]), -1).toArray(), [1, -1, 3]);
    assert.throws(() => tensor([1, 2]).maskedFill(tensor([0, 1]), 0), /maskedFill: mask must be a bool tensor/);
  });
});

describe("linear algebra", () => {
  test("matmul in every form", () => {
    const a = tensor([[1, 2], [3, 4]]);
    const b = tensor([[5, 6], [7, 8]]);
    assert.deepEqual(matmul(a, b).toArray(), [[19, 22], [43, 50]]);
    assert.equal(matmul(tensor([1, 2, 3]), tensor([4, 5, 6])).item(), 32);
    assert.deepEqual(matmul(tensor([1, 2, 3]), tensor([4, 5, 6])).shape, []);
    assert.deepEqual(matmul(a, tensor([1, 1])).toArray(), [3, 7]);
    assert.deepEqual(matmul(tensor([1, 1]), a).toArray(), [4, 6]);
    const batched = matmul(stack([a, b]), tensor([[1, 0], [0, 2]])); // [2,2,2]·[2,2]
    assert.deepEqual(batched.toArray(), [[[1, 4], [3, 8]], [[5, 12], [7, 16]]]);
    assert.deepEqual(matmul(zeros(2, 1, 3, 4), zeros(5, 4, 2)).shape, [2, 5, 3, 2]);
    assert.deepEqual(a.mT.matmul(b).toArray(), [[26, 30], [38, 44]]);
  });
  test("matmul propagates NaN and Infinity through zeros (IEEE: 0·NaN = NaN)", () => {
    assertClose(matmul(tensor([[0, 1]]), tensor([[NaN], [2]])), [[NaN]]);
    assertClose(matmul(tensor([0, 1]), tensor([Infinity, 2])), NaN);
  });
  test("einsum against explicit loops", () => {
    manualSeed(3);
    const [B, Q, K, H, D] = [2, 3, 2, 2, 3];
    const q = randn(B, Q, H, D, f64);
    const k = randn(B, K, H, D, f64);
    const qd = q.dataSync();
    const kd = k.dataSync();
    const expected: number[] = [];
    for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) for (let i = 0; i < Q; i++) for (let j = 0; j < K; j++) {
      let s = 0;
      for (let d = 0; d < D; d++) s += qd[((b * Q + i) * H + h) * D + d] * kd[((b * K + j) * H + h) * D + d];
      expected.push(s);
    }
    const scores = einsum("bqhd,bkhd->bhqk", q, k);
    assert.deepEqual(scores.shape, [B, H, Q, K]);
    scores.dataSync().forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-12));

    const p = tensor([[[[1, 2], [3, 4]]]]); // b=1, h=1, q=2, k=2
    const v = tensor([[[10, 20]], [[30, 40]]]).reshape(1, 2, 1, 2); // b=1, k=2, h=1, d=2
    // out[q][d] = Σ_k p[q][k] v[k][d]
    assert.deepEqual(einsum("bhqk,bkhd->bqhd", p, v).toArray(), [[[[70, 100]], [[150, 220]]]]);
    assert.deepEqual(einsum("bpd,dv->bpv", tensor([[[1, 2]]]), tensor([[1, 0, 2], [0, 1, 3]])).toArray(), [[[1, 2, 8]]]);
    assert.deepEqual(einsum("ij->ji", tensor([[1, 2, 3], [4, 5, 6]])).toArray(), [[1, 4], [2, 5], [3, 6]]);
    assert.deepEqual(einsum("bij->b", tensor([[[1, 2], [3, 4]], [[5, 6], [7, 8]]])).toArray(), [10, 26]);
    assert.equal(einsum("i,i->", tensor([1, 2, 3]), tensor([4, 5, 6])).item(), 32);
    assert.deepEqual(einsum("ij,jk", tensor([[1, 2]]), tensor([[3], [4]])).toArray(), [[11]]);
    assert.throws(() => einsum("ij,jk->ik", zeros(2, 3), zeros(4, 2)), /einsum: subscript "j" has size 3 in one operand and 4 in another/);
    assert.throws(() => einsum("ij->ij", zeros(2)), /einsum: operand 0 has shape \[2\] but subscripts "ij"/);
  });
});

describe("elementwise values", () => {
  test("erf, gelu, silu, softplus, sigmoid to float64 precision", () => {
    const e = tensor([0.5, 1, 3, -2, 0.1, 0], f64).erf().dataSync();
    const want = [0.5204998778130465, 0.8427007929497149, 0.9999779095030014, -0.9953222650189527, 0.1124629160182849, 0];
    want.forEach((w, i) => assert.ok(Math.abs(e[i] - w) < 1e-14, `erf entry ${i}: ${e[i]} vs ${w}`));
    assertClose(tensor([1, -0.5], f64).gelu(), [0.8413447460685429, -0.15426876936299344], 1e-14);
    assertClose(tensor([1], f64).gelu({ approximate: "tanh" }), [0.8411919906082768], 1e-14);
    assertClose(tensor([1], f64).silu(), [0.7310585786300049], 1e-14);
    assertClose(tensor([1, 100, -100], f64).softplus(), [1.3132616875182228, 100, Math.exp(-100)], 1e-14);
    assertClose(tensor([0, -800, 800], f64).sigmoid(), [0.5, 0, 1]);
    assert.throws(() => tensor([1]).gelu({ approximate: "fast" as "tanh" }), /gelu: approximate must be/);
  });
  test("round half to even, floor, ceil, sign, clamp", () => {
    assert.deepEqual(tensor([0.5, 1.5, 2.5, -0.5, -1.5, 2.4]).round().toArray(), [0, 2, 2, -0, -2, 2]);
    assert.deepEqual(tensor([1.5, -1.5]).floor().toArray(), [1, -2]);
    assert.deepEqual(tensor([1.5, -1.5]).ceil().toArray(), [2, -1]);
    assert.deepEqual(tensor([-3, 0, 2]).sign().toArray(), [-1, 0, 1]);
    assert.deepEqual(tensor([-2, 0, 2]).clamp(-1, 1).toArray(), [-1, 0, 1]);
    assert.deepEqual(tensor([-2, 0, 2]).clamp(null, 1).toArray(), [-2, 0, 1]);
    assert.throws(() => tensor([1]).clamp(), /clamp: at least one of min and max/);
  });
  test("pow, maximum with NaN, atan2", () => {
    assert.deepEqual(tensor([2, 3]).pow(2).toArray(), [4, 9]);
    assert.deepEqual(pow(2, tensor([3, -1])).toArray(), [8, 0.5]);
    assertClose(maximum(tensor([1, NaN]), tensor([2, 0])), [2, NaN]);
    assertClose(tensor([1, -1], f64).atan2(tensor([0, -1], f64)), [Math.PI / 2, -3 * Math.PI / 4], 1e-15);
  });
  test("softmax, logSoftmax, crossEntropy against hand-computed values", () => {
    const z = Math.exp(1) + Math.exp(2) + Math.exp(3);
    assertClose(softmax(tensor([1, 2, 3], f64), 0), [Math.exp(1) / z, Math.exp(2) / z, Math.exp(3) / z], 1e-14);
    assertClose(tensor([[1, 2, 3]], f64).logSoftmax(1), [[1 - Math.log(z), 2 - Math.log(z), 3 - Math.log(z)]], 1e-14);
    assertClose(softmax(tensor([1000, 1000]), 0), [0.5, 0.5]);
    assertClose(softmax(tensor([0, -Infinity]), 0), [1, 0]);
    assertClose(crossEntropy(tensor([[1, 2, 3], [1, 1, 1]], f64), tensor([2, 0], i32)), (Math.log(z) - 3 + Math.log(3)) / 2, 1e-14);
    assertClose(crossEntropy(tensor([[1, 2, 3], [1, 1, 1]], f64), tensor([2, -100], i32)), Math.log(z) - 3, 1e-14);
  });
  test("conv2d and maxPool2d against hand-computed values", () => {
    const x = arange(9).reshape(1, 1, 3, 3).float(); // [[0,1,2],[3,4,5],[6,7,8]]
    assert.deepEqual(conv2d(x, ones(1, 1, 2, 2)).toArray(), [[[[8, 12], [20, 24]]]]);
    assert.deepEqual(conv2d(x, ones(1, 1, 2, 2), tensor([1]), { stride: 2, padding: 1 }).toArray(), [[[[1, 4], [10, 25]]]]);
    assert.deepEqual(maxPool2d(x, 2, 1).toArray(), [[[[4, 5], [7, 8]]]]);
    assert.deepEqual(maxPool2d(x.neg(), 2, 2, 1).toArray(), [[[[-0, -1], [-3, -4]]]]);
  });
});

describe("autodiff semantics", () => {
  test("a tensor used twice gets both contributions: d(x·x)/dx = 2x", () => {
    const x = tensor([1, -2, 3], { requiresGrad: true });
    x.mul(x).sum().backward();
    assert.deepEqual(x.grad!.toArray(), [2, -4, 6]);
    const y = tensor([2], { requiresGrad: true });
    y.mul(y).mul(y).add(y).sum().backward(); // 3y² + 1
    assert.deepEqual(y.grad!.toArray(), [13]);
  });
  test("gradients accumulate across backward() calls", () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    x.mul(2).sum().backward();
    x.mul(2).sum().backward();
    assert.deepEqual(x.grad!.toArray(), [4, 4, 4]);
    x.grad = null;
    x.mul(3).sum().backward();
    assert.deepEqual(x.grad!.toArray(), [3, 3, 3]);
  });
  test("gradients of different leaves do not share storage", () => {
    const a = tensor([1, 2], { requiresGrad: true });
    const b = tensor([3, 4], { requiresGrad: true });
    a.add(b).sum().backward();
    a.grad!.zero_();
    assert.deepEqual(b.grad!.toArray(), [1, 1]);
    const seed = tensor([5, 6]);
    const c = tensor([0, 0], { requiresGrad: true });
    c.reshape(2).backward(seed);
    c.grad!.fill_(0);
    assert.deepEqual(seed.toArray(), [5, 6]);
  });
  test("a float32 leaf gets a float32 gradient even through float64 ops", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    x.mul(tensor([3, 4], f64)).sum().backward();
    assert.equal(x.grad!.dtype, "float32");
    assert.deepEqual(x.grad!.toArray(), [3, 4]);
    const y = tensor([1], { requiresGrad: true });
    cat([y, tensor([2], f64)]).sum().backward();
    assert.equal(y.grad!.dtype, "float32");
  });
  test("noGrad records nothing; enable state is restored", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = noGrad(() => {
      assert.equal(isGradEnabled(), false);
      return x.mul(2);
    });
    assert.equal(isGradEnabled(), true);
    assert.equal(y.requiresGrad, false);
    assert.equal(y.gradFn, null);
    assert.throws(() => noGrad(() => { throw new Error("boom"); }), /boom/);
    assert.equal(isGradEnabled(), true);
  });
  test("detach cuts the graph but shares the numbers", () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    const d = x.detach();
    assert.equal(d.requiresGrad, false);
    assert.deepEqual(d.toArray(), [1, 2, 3]);
    x.mul(d).sum().backward(); // d is a constant: gradient is d, not 2x
    assert.deepEqual(x.grad!.toArray(), [1, 2, 3]);
  });
  test("retainGrad keeps a non-leaf's gradient", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const h = x.mul(3);
    const h2 = h.retainGrad().square();
    h2.sum().backward();
    assert.deepEqual(h.grad!.toArray(), [6, 12]); // 2h
    assert.equal(h2.grad, null);
    assert.deepEqual(x.grad!.toArray(), [18, 36]);
    assert.equal(x.isLeaf, true);
    assert.equal(h.isLeaf, false);
  });
  test("registerHook can replace a gradient, and can be removed", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const remove = x.registerHook((g) => g.mul(10));
    x.mul(2).sum().backward();
    assert.deepEqual(x.grad!.toArray(), [20, 20]);
    remove();
    x.grad = null;
    x.mul(2).sum().backward();
    assert.deepEqual(x.grad!.toArray(), [2, 2]);

    const z = tensor([1, 2], { requiresGrad: true });
    const h = z.mul(5);
    const seen: number[][] = [];
    h.registerHook((g) => void seen.push([...g.dataSync()])); // observe only
    h.registerHook((g) => g.mul(tensor([1, 0]))); // then block the second entry
    h.sum().backward();
    assert.deepEqual(seen, [[1, 1]]);
    assert.deepEqual(z.grad!.toArray(), [5, 0]);
  });
  test("requiresGrad on an int tensor is an error", () => {
    assert.throws(() => tensor([1], { dtype: "int32", requiresGrad: true }), /requiresGrad: only floating-point tensors/);
    assert.throws(() => arange(3).requiresGrad_(), /only floating-point/);
    assert.throws(() => {
      tensor([true]).requiresGrad = true;
    }, /only floating-point/);
  });
  test("backward errors: non-scalar without gradient, wrong gradient shape, nothing to differentiate", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    assert.throws(() => x.mul(2).backward(), /backward: grad can be implicitly created only for scalar outputs, got shape \[2\]/);
    assert.throws(() => x.mul(2).backward(tensor([1, 2, 3])), /backward: gradient shape \[3\] does not match tensor shape \[2\]/);
    assert.throws(() => tensor([1]).sum().backward(), /does not require grad/);
    x.mul(2).backward(tensor([1, 0]));
    assert.deepEqual(x.grad!.toArray(), [2, 0]);
    // in place: a leaf that requires grad only inside noGrad; a non-leaf is recorded (as PyTorch)
    assert.throws(() => x.copy_(tensor([0, 0])), /copy_: a leaf Variable that requires grad is being used in an in-place operation/);
    const y = x.mul(2).copy_(tensor([0, 0]));
    assert.equal(y.gradFn?.op, "copy_");
  });
  test("grad(f): the functional API returns gradients without touching .grad", () => {
    const [gx, gy] = grad((x, y) => x.pow(3).mul(y).sum())(tensor([1, 2], f64), tensor([3, 4], f64));
    assert.deepEqual(gx.toArray(), [9, 48]); // 3x²y
    assert.deepEqual(gy.toArray(), [1, 8]); // x³
    const leaf = tensor([2], { requiresGrad: true });
    grad((x) => x.square().sum())(leaf);
    assert.equal(leaf.grad, null);
    assert.throws(() => grad((x) => x.mul(2))(tensor([1, 2])), /grad: f must return a scalar/);
    // second derivative with createGraph: d²(x³)/dx² = 6x
    const d1 = grad((x) => x.pow(3).sum(), { createGraph: true });
    const [d2] = grad((x) => d1(x)[0].sum())(tensor([1, -2], f64));
    assert.deepEqual(d2.toArray(), [6, -12]);
  });
  test("gradients at ties and kinks follow PyTorch", () => {
    const u = tensor([1, 3, 3], { requiresGrad: true });
    amax(u).backward();
    assert.deepEqual(u.grad!.toArray(), [0, 0.5, 0.5]); // shared evenly
    const a = tensor([1, 2], { requiresGrad: true });
    const b = tensor([1, 1], { requiresGrad: true });
    maximum(a, b).sum().backward();
    assert.deepEqual(a.grad!.toArray(), [0.5, 1]);
    assert.deepEqual(b.grad!.toArray(), [0.5, 0]);
    const r = tensor([-1, 0, 1], { requiresGrad: true });
    r.relu().add(r.abs()).sum().backward();
    assert.deepEqual(r.grad!.toArray(), [-1, 0, 2]);
    const c = tensor([-1, 0, 1], { requiresGrad: true });
    c.clamp(0, 1).sum().backward(); // the gradient passes at the bounds
    assert.deepEqual(c.grad!.toArray(), [0, 1, 1]);
  });
  test("norm and pow have zero (not NaN) gradients at zero, as PyTorch", () => {
    for (const p of [2, 3, 1.5]) {
      const z = zeros(3, { requiresGrad: true });
      norm(z, p).backward();
      assert.deepEqual(z.grad!.toArray(), [0, 0, 0], `p = ${p}`);
    }
    const m = tensor([[0, 0], [3, 4]], { requiresGrad: true });
    m.norm(2, 1).sum().backward();
    assertClose(m.grad!, [[0, 0], [0.6, 0.8]]);
    const w = tensor([0, 2], { requiresGrad: true });
    w.pow(0).sum().backward();
    assert.deepEqual(w.grad!.toArray(), [0, 0]);
    const v = tensor([0, 2], { requiresGrad: true });
    v.pow(2).sum().backward();
    assert.deepEqual(v.grad!.toArray(), [0, 4]);
  });
  test("sum of a broadcast product routes gradients to both shapes", () => {
    const a = tensor([[1], [2]], { requiresGrad: true }); // [2,1]
    const b = tensor([10, 20, 30], { requiresGrad: true }); // [3]
    sum(a.mul(b)).backward();
    assert.deepEqual(a.grad!.toArray(), [[60], [60]]);
    assert.deepEqual(b.grad!.toArray(), [3, 3, 3]);
  });
});

test("topk (selection) gives what a stable sort's first k give: ties by index, NaN as the largest, any dim", () => {
  const g = new Generator(7);
  for (const [shape, dim] of [[[3, 50], -1], [[4, 9, 5], 1], [[6, 7], 0], [[2, 1000], 1]] as [number[], number][]) {
    const n = shape.reduce((a, b) => a * b, 1);
    // few distinct values (many ties), and a few NaN
    const data = Array.from({ length: n }, (_, i) => (i % 17 === 3 ? NaN : Math.floor(g.random() * 6)));
    const x = tensor(data).reshape(shape);
    const size = shape[(dim + shape.length) % shape.length];
    for (const k of [0, 1, 3, size]) {
      for (const largest of [true, false]) {
        const got = x.topk(k, dim, largest);
        const ref = x.sort(dim, largest);
        const want = { values: ref.values.narrow(dim, 0, k), indices: ref.indices.narrow(dim, 0, k) };
        assert.deepEqual(got.indices.toArray(), want.indices.toArray(), `indices ${shape} dim ${dim} k ${k} largest ${largest}`);
        assert.deepEqual(got.values.toArray(), want.values.toArray());
      }
    }
  }
});
