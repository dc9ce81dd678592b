// Interpretability core: runWithCache and the ActivationCache (residual decomposition, head
// results, LayerNorm scaling, logit attribution), direct logit attribution, and the head
// detectors on a model whose heads are built by hand to be a previous-token, a duplicate-token
// and an induction head.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { backend, type WasmBackend } from "../src/backend/index.js";
import { ActivationCache, residualConstant, residualDirections } from "../src/interp/cache.js";
import { detectHead, detectionPattern, headDetectorScores, headSimilarityScore, rankHeads } from "../src/interp/attention.js";
import { directLogitAttribution } from "../src/interp/dla.js";
import { type GPTConfigInput, HookedTransformer, Tensor, crossEntropy, noGrad, tensor, tidy, zeros } from "../src/node.js";
import { maxAbsDiff, values } from "./tensor-compare.js";

function param(model: HookedTransformer, name: string): Tensor {
  const p = new Map(model.namedParameters()).get(name);
  assert.ok(p, `no parameter ${name}`);
  return p;
}

/** A small model with every kind of component and weights large enough that nothing is near-trivial. */
const cfg = (extra: Partial<GPTConfigInput> = {}): GPTConfigInput => ({ n_layers: 3, d_model: 24, n_heads: 3, d_mlp: 48, d_vocab: 30, n_ctx: 16, initializer_range: 0.3, seed: 7, ...extra });

/** Gives every bias and LayerNorm weight a random non-trivial value (they start at 0 and 1). */
function perturb(model: HookedTransformer): HookedTransformer {
  noGrad(() => {
    let i = 1;
    for (const [name, p] of model.namedParameters()) {
      if (p.ndim > 1 && !name.endsWith(".w") && !name.endsWith(".b")) continue;
      const n = p.numel();
      const r = Array.from({ length: n }, (_, j) => Math.sin(17.3 * (i + j)) * 0.3);
      p.copy_(tensor(r, { shape: [...p.shape] }).add(name.endsWith(".w") ? 1 : 0));
      i += n;
    }
  });
  return model;
}

const tokens = [
  [1, 5, 9, 2, 7, 7, 3, 11, 4],
  [0, 29, 8, 8, 15, 6, 21, 2, 13],
];

describe("runWithCache and ActivationCache", () => {
  const model = perturb(new HookedTransformer(cfg()));
  const { logits, cache } = model.runWithCache(tokens);
  const L = model.cfg.n_layers;

  test("the cache is a Map with TransformerLens's short names and clear errors", () => {
    assert.ok(cache instanceof ActivationCache && cache instanceof Map);
    assert.equal(cache.get("resid_post", 1), cache.get("blocks.1.hook_resid_post"));
    assert.equal(cache.get("pattern", -1), cache.get(`blocks.${L - 1}.attn.hook_pattern`));
    assert.equal(cache.get("embed"), cache.get("hook_embed"));
    assert.equal(cache.get("scale"), cache.get("ln_final.hook_scale"));
    assert.ok(cache.has("z", 0) && !cache.has("blocks.0.attn.hook_result"), "hook_result is cached only with use_attn_result (TransformerLens)");
    assert.throws(() => cache.get("blocks.0.hook_resid_psot"), /"blocks.0.hook_resid_psot" is not in the cache; did you mean "blocks.0.hook_resid_post"/);
    assert.throws(() => cache.get("result", 0), /"blocks.0.attn.hook_result" is not in the cache \(it is a hook point, but this run did not cache it.*stackHeadResults/);
    assert.ok(logits.gradFn === null && !logits.requiresGrad, "no autograd tape by default");
  });

  test("decomposeResid sums to the final residual stream; accumulatedResid ends with it", () => {
    const [stack, labels] = cache.decomposeResid(undefined, { returnLabels: true });
    assert.deepEqual(labels, ["embed", "pos_embed", "0_attn_out", "0_mlp_out", "1_attn_out", "1_mlp_out", "2_attn_out", "2_mlp_out"]);
    const final = cache.get("resid_post", L - 1);
    assert.ok(maxAbsDiff(stack.sum(0), final) < 1e-4);
    // into layer 1's MLP: embed, pos_embed, attn 0, mlp 0, attn 1 = resid_mid of layer 1
    const mid = cache.decomposeResid(1, { mlpInput: true });
    assert.ok(maxAbsDiff(mid.sum(0), cache.get("resid_mid", 1)) < 1e-4);
    assert.deepEqual(cache.decomposeResid(2, { mode: "attn", inclEmbeds: false, returnLabels: true })[1], ["0_attn_out", "1_attn_out"]);

    const [acc, accLabels] = cache.accumulatedResid(undefined, { returnLabels: true, inclMid: true });
    assert.deepEqual(accLabels, ["0_pre", "0_mid", "1_pre", "1_mid", "2_pre", "2_mid", "final_post"]);
    assert.equal(maxAbsDiff(acc.select(0, acc.shape[0] - 1), final), 0);
    assert.equal(maxAbsDiff(acc.select(0, 2), cache.get("resid_pre", 1)), 0);
    assert.deepEqual(cache.accumulatedResid(1, { returnLabels: true })[1], ["0_pre", "1_pre"]);
    // a position slice: an index drops the axis, a list keeps it
    assert.deepEqual(cache.accumulatedResid(undefined, { posSlice: -1 }).shape, [L + 1, 2, 24]);
    const two = cache.decomposeResid(undefined, { posSlice: [0, -1] });
    assert.deepEqual(two.shape, [8, 2, 2, 24]);
    assert.ok(maxAbsDiff(two.select(2, 1), cache.decomposeResid(undefined, { posSlice: 8 })) === 0);
  });

  test("stackHeadResults: heads + b_O = attn_out, from hook_z alone or from a cached hook_result", () => {
    const [heads, labels] = cache.stackHeadResults(undefined, { returnLabels: true });
    assert.deepEqual(labels.slice(0, 4), ["L0H0", "L0H1", "L0H2", "L1H0"]);
    assert.deepEqual(heads.shape, [L * 3, 2, 9, 24]);
    for (let l = 0; l < L; l++) {
      const sum = heads.narrow(0, 3 * l, 3).sum(0).add(param(model, `blocks.${l}.attn.b_O`));
      assert.ok(maxAbsDiff(sum, cache.get("attn_out", l)) < 1e-4, `layer ${l}`);
    }
    // the same model run with use_attn_result caches hook_result itself: same numbers
    const withResult = new HookedTransformer(cfg({ use_attn_result: true }));
    withResult.loadStateDict(model.stateDict());
    const c2 = withResult.runWithCache(tokens).cache;
    assert.ok(c2.has("result", 0));
    assert.ok(maxAbsDiff(c2.stackHeadResults(), heads) < 1e-5);
    // with the remainder, the stack sums to the final residual stream
    const withRest = cache.stackHeadResults(undefined, { inclRemainder: true, returnLabels: true });
    assert.equal(withRest[1].at(-1), "remainder");
    assert.ok(maxAbsDiff(withRest[0].sum(0), cache.get("resid_post", L - 1)) < 1e-4);
  });

  test("applyLnToStack of the decomposition, summed, is ln_final's normalised input (its output before w, b)", () => {
    const stack = cache.decomposeResid();
    const normed = cache.applyLnToStack(stack).sum(0);
    const lnOut = normed.mul(param(model, "ln_final.w")).add(param(model, "ln_final.b"));
    assert.ok(maxAbsDiff(lnOut, cache.get("ln_final.hook_normalized")) < 1e-4);
    // the same for a block's input: ln1 of layer 2
    const pre = cache.applyLnToStack(cache.decomposeResid(2), 2).sum(0).mul(param(model, "blocks.2.ln1.w")).add(param(model, "blocks.2.ln1.b"));
    assert.ok(maxAbsDiff(pre, cache.get("blocks.2.ln1.hook_normalized")) < 1e-4);
    // applyLn through the options, and into the unembed with recomputed statistics (logit lens)
    assert.ok(maxAbsDiff(cache.decomposeResid(undefined, { applyLn: true }), cache.applyLnToStack(stack)) < 1e-6);
    const acc = cache.accumulatedResid(undefined, { applyLn: true });
    assert.ok(maxAbsDiff(acc.select(0, L), cache.get("ln_final.hook_normalized")) < 1e-4);
  });

  test("logitAttrs of the decomposition sum to the logit less the bias terms", () => {
    const stack = cache.decomposeResid();
    const t = 4;
    const attrs = cache.logitAttrs(stack, t); // (n, b, p)
    assert.deepEqual(attrs.shape, [8, 2, 9]);
    const logitT = logits.narrow(-1, t, 1).squeeze(-1);
    assert.ok(maxAbsDiff(attrs.sum(0).add(residualConstant(model, t)), logitT) < 1e-4);
    // a logit difference, one token pair per batch row
    const diff = cache.logitAttrs(stack, [3, 10], [12, 0]).sum(0);
    const want = tensor([[3], [10]], { dtype: "int32" });
    const wrong = tensor([[12], [0]], { dtype: "int32" });
    const l = logits.gather(-1, want.unsqueeze(1).expand(2, 9, 1)).sub(logits.gather(-1, wrong.unsqueeze(1).expand(2, 9, 1))).squeeze(-1);
    assert.ok(maxAbsDiff(diff.add(residualConstant(model, [3, 10], [12, 0]).unsqueeze(-1)), l) < 1e-4);
    // per-position targets (b, p): the next tokens; a posSlice picks one position
    const next = tokens.map((r) => [...r.slice(1), 0]);
    const perPos = cache.logitAttrs(stack, next).sum(0);
    const direct = logits.gather(-1, tensor(next, { dtype: "int32" }).unsqueeze(-1)).squeeze(-1);
    assert.ok(maxAbsDiff(perPos.add(residualConstant(model, next)), direct) < 1e-4);
    const last = cache.logitAttrs(cache.decomposeResid(undefined, { posSlice: -1 }), t, undefined, { posSlice: -1 });
    assert.deepEqual(last.shape, [8, 2]);
    assert.ok(maxAbsDiff(last, attrs.select(2, 8)) < 1e-5);
    assert.deepEqual(residualDirections(model, [[1, 2, 3]]).shape, [1, 3, 24]);
    assert.throws(() => cache.logitAttrs(stack, 30), /token id 30 is outside the vocabulary/);
  });

  test("removeBatchDim: the same analyses on (pos, …) activations", () => {
    const one = model.runWithCache([tokens[1]], { removeBatchDim: true }).cache;
    assert.equal(one.hasBatchDim, false);
    assert.deepEqual(one.get("resid_post", 0).shape, [9, 24]);
    const stack = one.decomposeResid();
    assert.ok(maxAbsDiff(stack.sum(0), one.get("resid_post", L - 1)) < 1e-4);
    const attrs = one.logitAttrs(stack, 4).sum(0);
    assert.ok(maxAbsDiff(attrs.add(residualConstant(model, 4)), logits.select(0, 1).narrow(-1, 4, 1).squeeze(-1)) < 1e-4);
    assert.throws(() => model.runWithCache(tokens, { removeBatchDim: true }), /batch size must be 1/);
  });

  test("without gradients the fused kernels serve the attention and norm hooks: the same cache and, with a replacing hook, the same logits as the composite ops", () => {
    for (const extra of [{}, { normalization_type: "RMS" as const, positional_embedding_type: "rotary" as const }]) {
      const model = perturb(new HookedTransformer(cfg(extra)));
      const tokens = tensor([[1, 5, 9, 2, 7, 7, 3], [4, 4, 8, 0, 1, 2, 6]], { dtype: "int32" });
      tidy(() => {
        const fast = model.runWithCache(tokens).cache; // noGrad: fused attention and norms write what the hooks read
        const slow = model.runWithCache(tokens, { grad: true }).cache; // autograd on: the composite ops
        for (const name of ["blocks.1.attn.hook_attn_scores", "blocks.1.attn.hook_pattern", "blocks.0.ln1.hook_scale", "blocks.0.ln1.hook_normalized", "ln_final.hook_scale", "blocks.2.attn.hook_z", "blocks.2.hook_resid_post"]) {
          const [a, b] = [values(fast.get(name)), values(slow.get(name))];
          const scale = 1 + b.reduce((m, v) => (Number.isFinite(v) ? Math.max(m, Math.abs(v)) : m), 0);
          // masked scores are −∞ in both
          a.forEach((v, i) => assert.ok(v === b[i] || Math.abs(v - b[i]) < 2e-5 * scale, `${JSON.stringify(extra)} ${name} at ${i}: ${v} vs ${b[i]}`));
        }
        // a hook that replaces the pattern (uniform over visible keys) and one that doubles a norm's scale
        const uniform = (p: Tensor) => p.gt(0).to("float32").div(p.gt(0).to("float32").sum(-1, true));
        const hooks = { fwdHooks: [["blocks.1.attn.hook_pattern", uniform], ["blocks.0.ln2.hook_scale", (t: Tensor) => t.mul(2)]] as [string, (t: Tensor) => Tensor][] };
        const patched = noGrad(() => model.runWithHooks(tokens, hooks));
        const reference = model.runWithHooks(tokens, { ...hooks, run: (m) => m.forward(tokens) }); // grad on: composite
        assert.ok(maxAbsDiff(patched, reference.detach()) < 1e-4, `${JSON.stringify(extra)}: patched logits`);
        assert.ok(maxAbsDiff(patched, noGrad(() => model.forward(tokens))) > 1e-2, "the hooks changed the output");
      });
    }
  });

  test("namesFilter keeps only what is asked for, also in memory", () => {
    const heap = (backend() as Partial<WasmBackend>).heap;
    const measure = (filter?: string[]) =>
      tidy(() => {
        const before = heap?.bytesInUse ?? 0;
        const kept = tidy(() => {
          const r = model.runWithCache(tokens, { namesFilter: filter });
          return [r.logits, ...r.cache.values()];
        });
        const bytes = (heap?.bytesInUse ?? 0) - before;
        const wanted = kept.reduce((s, t) => s + t.numel() * 4, 0);
        return { n: kept.length - 1, bytes, wanted };
      });
    const one = measure(["blocks.1.hook_resid_mid"]);
    assert.equal(one.n, 1);
    const all = measure();
    assert.ok(all.n > 40);
    if (heap) {
      // what stays allocated is the logits and the one activation (allocator rounding aside)
      assert.ok(one.bytes <= one.wanted * 1.5 + 4096, `${one.bytes} bytes in use for ${one.wanted} bytes of tensors`);
      assert.ok(all.bytes > 10 * one.bytes, `full cache ${all.bytes} bytes vs one activation ${one.bytes}`);
    }
  });

  test("stopAtLayer runs the first blocks only and returns the residual stream", () => {
    const r = model.runWithCache(tokens, { stopAtLayer: 1 });
    assert.deepEqual(r.logits.shape, [2, 9, 24]);
    assert.ok(maxAbsDiff(r.logits, cache.get("resid_pre", 1)) < 1e-6);
    assert.ok(r.cache.has("blocks.0.hook_mlp_out") && !r.cache.has("blocks.1.hook_resid_pre") && !r.cache.has("ln_final.hook_scale"));
    // as in TransformerLens, stopping at n_layers returns the final residual stream, not logits
    const all = model.runWithCache(tokens, { stopAtLayer: model.cfg.n_layers });
    assert.deepEqual(all.logits.shape, [2, 9, 24]);
    assert.ok(maxAbsDiff(all.logits, cache.get("resid_post", model.cfg.n_layers - 1)) < 1e-6);
    assert.ok(!all.cache.has("ln_final.hook_scale"));
  });

  test("inclGradients caches d loss / d activation as <name>_grad, leaving parameter gradients alone", () => {
    const m = perturb(new HookedTransformer(cfg({ n_layers: 2 })));
    const r = m.runWithCache(tokens, { inclGradients: true });
    for (const p of m.parameters()) assert.equal(p.grad, null);
    const gResid = r.cache.get("blocks.0.hook_resid_post_grad");
    assert.deepEqual(gResid.shape, [2, 9, 24]);
    // the same gradient by differentiating the rest of the model from the cached residual stream
    const resid = r.cache.get("blocks.0.hook_resid_post").clone().requiresGrad_();
    const out = m.forward(resid, { startAtLayer: 1 });
    const t = tensor(tokens, { dtype: "int32" });
    crossEntropy(out.narrow(1, 0, 8).reshape(-1, 30), t.narrow(1, 1, 8).reshape(-1)).backward();
    assert.ok(maxAbsDiff(gResid, resid.grad!) < 1e-6);
    // hook_pos_embed is W_pos[:p] broadcast over the batch: its gradient summed over the batch is W_pos's
    m.zeroGrad();
    m.loss(tokens).backward();
    const gPos = r.cache.get("hook_pos_embed_grad").sum(0);
    assert.ok(maxAbsDiff(gPos, param(m, "pos_embed.W_pos").grad!.narrow(0, 0, 9)) < 1e-6);
    // a metric of our own: the logit of token 3 at the last position
    const r2 = m.runWithCache(tokens, { inclGradients: true, namesFilter: ["ln_final.hook_normalized"], metric: (l) => l.select(1, 8).narrow(-1, 3, 1).sum() });
    const g = r2.cache.get("ln_final.hook_normalized_grad"); // = W_U[:, 3] at the last position, 0 elsewhere
    assert.ok(maxAbsDiff(g.select(1, 8).select(0, 1), param(m, "unembed.W_U").select(1, 3)) < 1e-6);
    assert.equal(Math.max(...values(g.narrow(1, 0, 8)).map(Math.abs)), 0);
  });
});

// ---------------------------------------------------------------- direct logit attribution
describe("direct logit attribution", () => {
  test("per-component attributions plus the constant give the logit; heads give each attn_out", () => {
    for (const useBias of [true, false]) {
      const model = perturb(new HookedTransformer(cfg({ use_bias: useBias })));
      const seq = tokens[0];
      const r = directLogitAttribution(model, seq, { target: 6, incorrect: 2, pos: 5 });
      const logits = noGrad(() => model.forward([seq]));
      const row = values(logits.select(0, 0).select(0, 5));
      assert.ok(Math.abs(r.logit - (row[6] - row[2])) < 1e-5);
      const total = r.components.values.reduce((s, v) => s + v, 0) + r.constant;
      assert.ok(Math.abs(total - r.logit) < 1e-4, `${total} vs ${r.logit}`);
      assert.equal(r.heads.labels.length, 9);
      if (!useBias) {
        // no b_O: a layer's heads add up to its attn_out attribution
        for (let l = 0; l < 3; l++) {
          const heads = r.heads.values.slice(3 * l, 3 * l + 3).reduce((s, v) => s + v, 0);
          assert.ok(Math.abs(heads - r.components.values[r.components.labels.indexOf(`${l}_attn_out`)]) < 1e-4);
        }
      }
      // the default target is the model's top prediction at the last position
      const top = directLogitAttribution(model, seq);
      const last = values(logits.select(0, 0).select(0, 8));
      assert.equal(top.target, last.indexOf(Math.max(...last)));
    }
  });
});

// ---------------------------------------------------------------- head detectors
/**
 * A 2-layer attention-only model without LayerNorm whose heads are set by hand. Residual stream:
 * dims 0..15 position (one-hot), 16..31 token (one-hot), 32..47 "previous token" (written by L0H0).
 *   L0H0 previous-token head: q_i = c·e_i, k_j = c·e_{j+1}; OV copies the token into dims 32..47.
 *   L0H1 duplicate-token head: q and k are the token: attends to copies of the current token.
 *   L1H0 induction head: q = current token, k = previous token (K-composition with L0H0).
 */
function handBuiltModel(): HookedTransformer {
  const d = 48;
  const model = new HookedTransformer({ n_layers: 2, d_model: d, n_heads: 3, d_head: 16, d_vocab: 16, n_ctx: 16, attn_only: true, normalization_type: null, use_bias: false, seed: 1 });
  const c = 6;
  const set = (name: string, fill: (idx: number[]) => number) => {
    const p = param(model, name);
    const shape = [...p.shape];
    const data = new Float32Array(p.numel());
    const idx = shape.map(() => 0);
    for (let i = 0; i < data.length; i++) {
      let r = i;
      for (let k = shape.length - 1; k >= 0; k--) {
        idx[k] = r % shape[k];
        r = Math.floor(r / shape[k]);
      }
      data[i] = fill(idx);
    }
    noGrad(() => p.copy_(tensor(data, { shape })));
  };
  set("embed.W_E", ([t, j]) => (j === 16 + t ? 1 : 0));
  set("pos_embed.W_pos", ([p, j]) => (j === p ? 1 : 0));
  // W_Q, W_K, W_V: (h, d, k); W_O: (h, k, d)
  set("blocks.0.attn.W_Q", ([h, i, k]) => (h === 0 && i < 16 && k === i ? c : h === 1 && i >= 16 && i < 32 && k === i - 16 ? c : 0));
  set("blocks.0.attn.W_K", ([h, i, k]) => (h === 0 && i < 15 && k === i + 1 ? c : h === 1 && i >= 16 && i < 32 && k === i - 16 ? c : 0));
  set("blocks.0.attn.W_V", ([h, i, k]) => (h === 0 && i >= 16 && i < 32 && k === i - 16 ? 1 : 0));
  set("blocks.0.attn.W_O", ([h, k, j]) => (h === 0 && j === 32 + k ? 1 : 0));
  set("blocks.1.attn.W_Q", ([h, i, k]) => (h === 0 && i >= 16 && i < 32 && k === i - 16 ? c : 0));
  set("blocks.1.attn.W_K", ([h, i, k]) => (h === 0 && i >= 32 && k === i - 32 ? c : 0));
  return model;
}

describe("head detectors (TransformerLens's head_detector)", () => {
  const model = handBuiltModel();
  const half = [3, 9, 1, 14, 6, 11, 0, 7];
  const seq = [...half, ...half]; // a repeated random sequence

  test("detection patterns follow TransformerLens", () => {
    const t = [5, 1, 5, 1];
    assert.deepEqual(detectionPattern("previous_token_head", t), [[0, 0, 0, 0], [1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]]);
    assert.deepEqual(detectionPattern("duplicate_token_head", t), [[0, 0, 0, 0], [0, 0, 0, 0], [1, 0, 0, 0], [0, 1, 0, 0]]);
    assert.deepEqual(detectionPattern("induction_head", t), [[0, 0, 0, 0], [0, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]]);
    // "mul": share of attention on the marked pairs; "abs": 1 − Σ|A − D| / n, rounded to 3 places
    const A = [[1, 0], [0.25, 0.75]];
    const D = [[0, 0], [1, 0]];
    assert.equal(headSimilarityScore(A, D), 0.25 / 2);
    assert.equal(headSimilarityScore(A, D, { excludeBos: true }), 0);
    assert.equal(headSimilarityScore(A, D, { excludeCurrentToken: true }), 0.25 / 0.25);
    assert.equal(headSimilarityScore(A, D, { errorMeasure: "abs" }), 1 - (1 + 0.75 + 0.75) / 2);
  });

  test("the hand-built heads are found: previous-token L0H0, duplicate-token L0H1, induction L1H0", () => {
    const scores = headDetectorScores(model, seq);
    assert.deepEqual(rankHeads(scores.previous_token_head)[0], { layer: 0, head: 0, score: scores.previous_token_head[0][0] });
    assert.ok(scores.previous_token_head[0][0] > 0.9);
    const ind = rankHeads(scores.induction_head)[0];
    assert.deepEqual([ind.layer, ind.head], [1, 0]);
    assert.ok(ind.score > 0.4, `induction score ${ind.score}`);
    // the duplicate head also attends to itself; excluding the current token, it is nearly pure
    const dup = detectHead(model, seq, "duplicate_token_head", { excludeCurrentToken: true });
    assert.deepEqual([rankHeads(dup)[0].layer, rankHeads(dup)[0].head], [0, 1]);
    assert.ok(dup[0][1] > 0.9);
    // "abs" ranks the same head first; a subset of heads leaves −1 elsewhere
    const abs = detectHead(model, seq, "previous_token_head", { errorMeasure: "abs" });
    assert.deepEqual([rankHeads(abs)[0].layer, rankHeads(abs)[0].head], [0, 0]);
    const some = detectHead(model, seq, "previous_token_head", { heads: [[0, 0], [1, 2]] });
    assert.equal(some[0][1], -1);
    assert.ok(some[0][0] > 0.9 && some[1][2] !== -1);
    // a pattern of our own: "attend to position 0"
    const first = seq.map((_, i) => seq.map((__, j) => (j === 0 && i >= 0 ? 1 : 0)));
    const s = detectHead(model, seq, first);
    assert.equal(s.length, 2);
    assert.throws(() => detectHead(model, seq, [[0, 1], [0, 0]]), /must be 16 × 16/);
    assert.throws(() => detectHead(model, [1, 2], [[0, 1], [0, 0]]), /lower triangular/);
    assert.throws(() => detectHead(model, [1], "induction_head"), /2 to n_ctx/);
  });

  test("several sequences are averaged", () => {
    const other = [...[2, 4, 8, 10, 12, 13, 5, 15], ...[2, 4, 8, 10, 12, 13, 5, 15]];
    const a = detectHead(model, seq, "induction_head");
    const b = detectHead(model, other, "induction_head");
    const both = detectHead(model, [seq, other], "induction_head");
    assert.ok(Math.abs(both[1][0] - (a[1][0] + b[1][0]) / 2) < 1e-9);
  });
});

test("zeros of a tensor of size 0 are allowed (stackHeadResults of layer 0)", () => {
  const model = new HookedTransformer(cfg());
  const { cache } = model.runWithCache(tokens);
  assert.deepEqual(cache.stackHeadResults(0).shape, [0, 2, 9, 24]);
  assert.deepEqual(zeros([0, 3]).shape, [0, 3]);
});
