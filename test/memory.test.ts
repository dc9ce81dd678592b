// Deterministic memory: scopes dispose what they made, views share storage safely, gradients and
// optimizer state survive, and a training loop's WebAssembly memory stays flat.
import assert from "node:assert/strict";
import { test } from "node:test";
import { backend, createWasmBackend, setBackend } from "../src/backend/index.js";
import { crossEntropy, keep, manualSeed, nn, optim, randint, randn, scopeDepth, tensor, tidy } from "../src/index.js";

test("tidy disposes what it made, except what it returns or keeps", () => {
  const outside = randn(3);
  let inner: ReturnType<typeof randn> | undefined;
  let kept: ReturnType<typeof randn> | undefined;
  const result = tidy(() => {
    inner = outside.mul(2);
    kept = keep(outside.add(1));
    return { y: inner.add(1), list: [inner.sub(1)] };
  });
  assert.equal(scopeDepth(), 0);
  assert.ok(inner!.isDisposed && !kept!.isDisposed && !outside.isDisposed);
  assert.ok(!result.y.isDisposed && !result.list[0].isDisposed);
  assert.throws(() => inner!.add(1), /was disposed \(made inside tidy\(\) and neither returned nor kept/);
});

test("a view keeps its storage alive after the original is disposed", () => {
  const r = tidy(() => {
    const a = tensor([1, 2, 3, 4]);
    return a.reshape(2, 2); // shares a's storage; a itself is disposed
  });
  assert.deepEqual(r.toArray(), [[1, 2], [3, 4]]);
});

test("an exception inside tidy still disposes and closes the scope", () => {
  let t: ReturnType<typeof randn> | undefined;
  assert.throws(() =>
    tidy(() => {
      t = randn(2);
      throw new Error("boom");
    }), /boom/);
  assert.equal(scopeDepth(), 0);
  assert.ok(t!.isDisposed);
});

test("a training loop's WebAssembly memory is flat: gradients and Adam state survive, temporaries do not", () => {
  const prev = backend();
  const wasm = createWasmBackend();
  setBackend(wasm);
  try {
    manualSeed(0);
    const model = new nn.MLP([16, 64, 10]);
    const opt = new optim.AdamW(model.parameters(), { lr: 1e-2 });
    const x = randn(32, 16);
    const y = randint(0, 10, [32]);
    const inUse: number[] = [];
    let first = 0;
    let last = 0;
    for (let step = 0; step < 300; step++) {
      const loss = tidy(() => {
        const l = crossEntropy(model.forward(x), y);
        opt.zeroGrad();
        l.backward();
        opt.step();
        return l.detach();
      });
      if (step === 0) first = loss.item();
      last = loss.item();
      loss.dispose();
      inUse.push(wasm.heap.bytesInUse);
    }
    assert.ok(last < first / 2, `loss ${first} → ${last}`);
    assert.equal(inUse[299], inUse[10], `bytes in use drift: ${inUse[10]} → ${inUse[299]}`);
    assert.ok(model.parameters().every((p) => p.grad !== null && !p.grad.isDisposed));
    // parameters, their grads and two Adam moments: 4 copies of the weights, block-rounded
    const weights = model.numParameters() * 4;
    assert.ok(inUse[299] < 4 * 2 * weights + (1 << 16), `in use ${inUse[299]} for ${weights} bytes of weights`);
  } finally {
    setBackend(prev);
  }
});

// A forward pass without gradients holds about one block's activations at a time, not every
// layer's until the caller's scope ends (the GPT-2-small memory target of the pretrained-models issue).
test("a no-grad forward frees each block's activations as it goes, so its peak does not grow with depth", async () => {
  const { HookedTransformer } = await import("../src/models/gpt/model.js");
  const { noGrad } = await import("../src/index.js");
  const heap = (backend() as { heap?: { bytesInUse: number; peakBytes: number } }).heap;
  assert.ok(heap, "the default backend is the WebAssembly one");
  const extraPeak = (layers: number, grad: boolean) => {
    const model = new HookedTransformer({ n_layers: layers, d_model: 64, n_heads: 4, d_vocab: 50, n_ctx: 256, seed: 1 });
    const tokens = randint(0, 50, [2, 256]);
    const before = heap.bytesInUse;
    heap.peakBytes = before;
    tidy(() => (grad ? model.forward(tokens) : noGrad(() => model.forward(tokens))).sum().item());
    assert.equal(heap.bytesInUse, before, "the scope released everything");
    return heap.peakBytes - before;
  };
  const [two, eight] = [extraPeak(2, false), extraPeak(8, false)];
  assert.ok(eight < 1.25 * two, `no grad: the peak above the weights grew from ${two} bytes (2 layers) to ${eight} (8 layers)`);
  // with gradients every activation is kept for the backward pass, as it must be
  const [gTwo, gEight] = [extraPeak(2, true), extraPeak(8, true)];
  assert.ok(gEight > 2.5 * gTwo, `with grad: ${gTwo} → ${gEight}`);
});

test("runWithCache's cache belongs to the caller's scope; a user's hook still sees activations that outlive the forward", async () => {
  const { HookedTransformer } = await import("../src/models/gpt/model.js");
  const { noGrad } = await import("../src/index.js");
  const model = new HookedTransformer({ n_layers: 3, d_model: 32, n_heads: 4, d_vocab: 20, n_ctx: 16, seed: 2 });
  const tokens = [[1, 2, 3, 4, 5]];
  const ref = noGrad(() => model.forward(tokens)).toArray();
  let cacheOut: Map<string, unknown> | null = null;
  const logits = tidy(() => {
    const { logits, cache } = model.runWithCache(tokens);
    cacheOut = cache;
    const mid = cache.get("blocks.1.hook_resid_mid")!;
    assert.ok(!mid.isDisposed, "cached activations survive the blocks' own scopes");
    assert.deepEqual(logits.toArray(), ref);
    return logits;
  });
  assert.ok(!logits.isDisposed);
  for (const t of cacheOut!.values()) assert.ok((t as { isDisposed: boolean }).isDisposed, "the caller's scope disposes the cache");
  // a plain hook that keeps a reference: the forward does not free what it holds
  const saved: { isDisposed: boolean; toArray(): unknown }[] = [];
  tidy(() => {
    model.runWithHooks(tokens, { fwdHooks: [["blocks.0.hook_resid_post", (a) => void saved.push(a)]], run: (m) => noGrad(() => m.forward(tokens)) });
    assert.ok(!saved[0].isDisposed);
    assert.equal((saved[0].toArray() as number[][][])[0].length, 5);
  });
});

test("tidy keeps the { values, indices } pairs that max(dim), sort and topk return", () => {
  const x = tensor([[3, 1, 2], [0, 5, 4]]);
  const [m, s, k] = [tidy(() => x.mul(1).max(1)), tidy(() => x.mul(1).sort(1)), tidy(() => x.mul(1).topk(1))];
  assert.deepEqual([m.values.tolist(), m.indices.tolist()], [[3, 5], [0, 1]]);
  assert.deepEqual(s.values.tolist(), [[1, 2, 3], [0, 4, 5]]);
  assert.deepEqual(k.indices.tolist(), [[0], [1]]);
});
