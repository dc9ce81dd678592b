// In-place ops and autograd, PyTorch's rules: a leaf that requires grad changes only inside
// noGrad; other tensors are recorded through the in-place op; a tensor a backward still needs,
// changed in place afterwards, makes backward() fail (the version counter) instead of giving a
// wrong gradient. Expected gradients are worked out by hand in the comments.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { noGrad, tensor, versionOf } from "../src/index.js";

const f64 = { dtype: "float64" } as const;

describe("leaves that require grad", () => {
  test("in place outside noGrad is PyTorch's error; inside noGrad it is allowed and bumps the version", () => {
    const w = tensor([1, 2], { requiresGrad: true });
    for (const f of [() => w.add_(1), () => w.mul_(2), () => w.zero_(), () => w.fill_(3), () => w.clamp_(0, 1), () => w.copy_(tensor([0, 0])), () => w.maskedFill_(tensor([true, false]), 0)]) {
      assert.throws(f, /a leaf Variable that requires grad is being used in an in-place operation/);
    }
    assert.deepEqual(w.tolist(), [1, 2]);
    assert.equal(versionOf(w), 0);
    noGrad(() => w.sub_(tensor([0.5, 0.5]), 2).mul_(3));
    assert.deepEqual(w.tolist(), [0, 3]);
    assert.equal(versionOf(w), 2);
    assert.ok(w.isLeaf && w.requiresGrad);
  });
  test("a parameter updated after the forward (an optimizer step in noGrad) makes the old graph's backward fail", () => {
    const w = tensor([1, 2], { requiresGrad: true });
    const loss = w.mul(tensor([3, 4])).sum();
    const loss2 = w.square().sum(); // square's backward reads w
    noGrad(() => w.add_(1));
    assert.throws(() => loss2.backward(), /backward of square: one of the tensors needed for gradient computation .* modified by an in-place operation/);
    // mul's backward reads both inputs (it cannot know which gradient will be asked for)
    assert.throws(() => loss.backward(), /backward of mul/);
  });
  test("a view shares the version counter: detach().zero_() is seen by the base", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = x.exp();
    x.detach().zero_();
    assert.deepEqual(x.tolist(), [0, 0]);
    assert.equal(versionOf(x), 1);
    assert.throws(() => y.sum().backward(), /backward of exp/);
  });
});

describe("non-leaves: recorded through the in-place op", () => {
  test("y = 2x; y += 1; y *= c gives dL/dx = 2c", () => {
    const x = tensor([1, 2, 3], { ...f64, requiresGrad: true });
    const y = x.mul(2);
    y.add_(1).mul_(tensor([1, 10, 100], f64));
    assert.deepEqual(y.tolist(), [3, 50, 700]);
    y.sum().backward();
    assert.deepEqual(x.grad!.tolist(), [2, 20, 200]);
  });
  test("a buffer that does not require grad becomes part of the graph when a tensor that does is added in", () => {
    const a = tensor([1, 2], { requiresGrad: true });
    const buf = tensor([10, 20]);
    buf.add_(a, 3); // buf + 3a
    assert.ok(buf.requiresGrad && !buf.isLeaf);
    buf.square().sum().backward(); // d/da Σ(buf + 3a)² = 6(buf + 3a)
    assert.deepEqual(a.grad!.tolist(), [78, 156]);
  });
  test("copy_ sends the gradient to the (broadcast) source; fill_ and zero_ cut it off", () => {
    const src = tensor([1, 2], { ...f64, requiresGrad: true });
    const x = tensor([5, 6], { ...f64, requiresGrad: true });
    const y = x.mul(1);
    y.copy_(src.unsqueeze(0).expand(3, 2).sum(0)); // y = 3·src
    y.mul(tensor([1, 2], f64)).sum().backward();
    assert.deepEqual(src.grad!.tolist(), [3, 6]);
    assert.deepEqual(x.grad?.tolist() ?? [0, 0], [0, 0]); // the overwritten value gets nothing (PyTorch: zeros)
    const z = x.mul(2);
    z.zero_();
    assert.ok(z.requiresGrad);
    z.add(x).sum().backward(); // only the direct path: 1 each, plus the 0s above
    assert.deepEqual(x.grad!.tolist(), [1, 1]);
  });
  test("writing to the output of an op whose backward does not read it is fine (add, matmul, reshape…)", () => {
    const x = tensor([[1, 2], [3, 4]], { ...f64, requiresGrad: true });
    const h = x.matmul(tensor([[1], [1]], f64)).add(1);
    h.mul_(2); // d/dx Σ 2(x·1 + 1) = 2
    h.sum().backward();
    assert.deepEqual(x.grad!.tolist(), [[2, 2], [2, 2]]);
  });
  test("writing to an output its backward reads (exp, sqrt, softmax) is an error at backward, not a wrong gradient", () => {
    for (const f of ["exp", "sqrt", "sigmoid"] as const) {
      const x = tensor([1, 2], { requiresGrad: true });
      const y = x[f]();
      y.add_(1);
      assert.throws(() => y.sum().backward(), new RegExp(`backward of ${f}: .*has been modified by an in-place operation \\(it is at version 1; expected version 0\\)`));
    }
    const s = tensor([[1, 2]], { requiresGrad: true });
    const p = s.softmax(-1);
    p.mul_(2);
    assert.throws(() => p.sum().backward(), /backward of softmax/);
  });
  test("writing to an input a later op saved is an error too", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const a = x.tanh();
    const b = a.mul(tensor([3, 4]));
    a.add_(1);
    assert.throws(() => b.sum().backward(), /backward of mul/);
  });
  test("in place on a view of a tensor that requires grad is refused (PyTorch would rebase the base's history)", () => {
    const x = tensor([1, 2, 3, 4], { requiresGrad: true });
    const v = x.mul(1).view(2, 2);
    assert.throws(() => v.add_(1), /in-place changes to a view/);
  });
});

describe("shapes and dtypes, as PyTorch", () => {
  test("the result must keep self's shape and not need a narrower dtype", () => {
    assert.throws(() => tensor([1, 2]).add_(tensor([[1, 2], [3, 4]])), /add_: output with shape \[2\] doesn't match the broadcast shape \[2, 2\]/);
    assert.throws(() => tensor([1, 2], { dtype: "int32" }).add_(0.5), /result type float32 can't be cast to the desired output type int32/);
    assert.throws(() => tensor([1, 2], { dtype: "int32" }).div_(2), /result type float32 can't be cast/);
    const i = tensor([1, 2], { dtype: "int32" }).add_(3).mul_(2);
    assert.deepEqual([i.dtype, i.tolist()], ["int32", [8, 10]]);
    const f = tensor([1, 2]).add_(tensor([1, 1], { dtype: "int32" })).clamp_({ max: 2.5 });
    assert.deepEqual([f.dtype, f.tolist()], ["float32", [2, 2.5]]);
    // copy_ converts any dtype, float into int truncating
    assert.deepEqual(tensor([0, 0], { dtype: "int32" }).copy_(tensor([1.7, -1.7])).tolist(), [1, -1]);
    assert.deepEqual(tensor([true, false]).fill_(true).tolist(), [true, true]);
  });
});
