// The GPT (HookedTransformer): a PyTorch golden fixture (logits, loss, activations, gradients),
// TransformerLens's hook names and shapes, hooks that read and replace, every architecture
// variant training, KV-cache generation, model directories, the training loop (exact resume,
// same seed → same curve, divergence) and the `dgpt train | generate | eval | logits` CLI.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, describe, test } from "node:test";
import { main } from "../src/cli/main.js";
import {
  type GPTConfigInput,
  Generator,
  HookedTransformer,
  KVCache,
  type TrainConfig,
  NANOGPT_CPU_TRAIN,
  Tensor,
  crossEntropy,
  generate,
  getActName,
  loadModelDir,
  loadSafetensors,
  noGrad,
  optim,
  runTraining,
  saveModelDir,
  saveSafetensors,
  tensor,
  textBatches,
  tidy,
} from "../src/node.js";
import { maxAbsDiff, values } from "./tensor-compare.js";

const FIXTURES = fileURLToPath(new URL("../fixtures/gpt/", import.meta.url));
const SHAKESPEARE = fileURLToPath(new URL("../../shared/data/tinyshakespeare.txt", import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), "dgpt-gpt-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

// ---------------------------------------------------------------- helpers
interface Enc {
  shape: number[];
  data: number[];
}

/** |actual − expected| ≤ rtol·|expected| + atol, atol = floor · max|expected| (float32 sums of many terms). */
function assertClose(actual: Tensor, expected: Enc, what: string, rtol = 1e-5, floor = 1e-5): void {
  assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  const a = values(actual);
  const scale = expected.data.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const atol = floor * scale + 1e-7;
  let worst = 0;
  let at = -1;
  for (let i = 0; i < a.length; i++) {
    const err = Math.abs(a[i] - expected.data[i]) - rtol * Math.abs(expected.data[i]);
    if (err > worst) [worst, at] = [err, i];
  }
  assert.ok(worst <= atol, `${what}: element ${at} is ${a[at]}, expected ${expected.data[at]} (excess error ${worst} > ${atol})`);
}

const tiny = (extra: Partial<GPTConfigInput> = {}): GPTConfigInput => ({ n_layers: 2, d_model: 16, n_heads: 2, d_vocab: 20, n_ctx: 16, seed: 3, ...extra });

function param(model: HookedTransformer, name: string): Tensor {
  const p = new Map(model.namedParameters()).get(name);
  assert.ok(p, `no parameter ${name}`);
  return p;
}

/**
 * Captures console.log / console.error and the strings written to stdout / stderr while fn runs.
 * Binary writes pass through: under `node --test` they are the runner's own report stream.
 */
async function capture(fn: () => Promise<number>): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const orig = { log: console.log, error: console.error, warn: console.warn, stdout: process.stdout.write, stderr: process.stderr.write };
  console.log = (...a: unknown[]) => void (out += a.join(" ") + "\n");
  console.error = (...a: unknown[]) => void (err += a.join(" ") + "\n");
  console.warn = console.error;
  const intercept = (stream: NodeJS.WriteStream, orig: typeof stream.write, sink: (s: string) => void) =>
    (stream.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
      if (typeof chunk !== "string") return orig.call(stream, chunk, ...rest);
      sink(chunk);
      return true;
    }) as typeof stream.write);
  intercept(process.stdout, orig.stdout, (s) => (out += s));
  intercept(process.stderr, orig.stderr, (s) => (err += s));
  try {
    const code = await fn();
    return { code, out, err };
  } finally {
    Object.assign(console, { log: orig.log, error: orig.error, warn: orig.warn });
    process.stdout.write = orig.stdout;
    process.stderr.write = orig.stderr;
  }
}

// ---------------------------------------------------------------- the PyTorch golden fixture
interface Expected {
  tokens: number[][];
  logits: Enc;
  loss: number;
  activations: Record<string, Enc>;
  grads: Record<string, Enc>;
}

for (const variant of ["", "rotary"]) {
  describe(`PyTorch fixture fixtures/gpt/${variant} (reference/gen_gpt_fixture.py)`, () => {
    const dir = join(FIXTURES, variant);
    const expected = JSON.parse(readFileSync(join(dir, "expected.json"), "utf8")) as Expected;

    test("logits, loss and cached activations match", async () => {
      const model = await loadModelDir(dir);
      const { logits, cache } = model.runWithCache(expected.tokens, { namesFilter: Object.keys(expected.activations) });
      assertClose(logits, expected.logits, "logits");
      for (const [name, enc] of Object.entries(expected.activations)) {
        const act = cache.get(name);
        assert.ok(act, `cache has ${name}`);
        assertClose(act, enc, name);
      }
      assert.equal(cache.size, Object.keys(expected.activations).length, "only the filtered names are cached");
      const loss = noGrad(() => model.loss(expected.tokens).item());
      assert.ok(Math.abs(loss - expected.loss) <= 1e-5 * expected.loss, `loss ${loss} vs ${expected.loss}`);
    });

    test("parameter gradients of the loss match", async () => {
      const model = await loadModelDir(dir);
      model.loss(expected.tokens).backward();
      for (const [name, enc] of Object.entries(expected.grads)) {
        const g = param(model, name).grad;
        assert.ok(g, `${name} has a gradient`);
        assertClose(g, enc, `d loss / d ${name}`);
      }
    });
  });
}

// ---------------------------------------------------------------- hook points
describe("hook points", () => {
  const B = 2;
  const P = 5;
  const cfg = tiny({ d_mlp: 24, use_attn_result: true });
  const tokens = [
    [1, 2, 3, 4, 5],
    [6, 7, 8, 9, 10],
  ];

  test("every hook name of DESIGN.md exists with TransformerLens's shapes", () => {
    const model = new HookedTransformer(cfg);
    const { d_model: d, n_heads: h, d_head: k, d_mlp: m } = model.cfg;
    const expected: Record<string, number[]> = { hook_embed: [B, P, d], hook_pos_embed: [B, P, d], "ln_final.hook_scale": [B, P, 1], "ln_final.hook_normalized": [B, P, d] };
    for (let l = 0; l < 2; l++) {
      const b = `blocks.${l}.`;
      Object.assign(expected, {
        [b + "hook_resid_pre"]: [B, P, d],
        [b + "hook_resid_mid"]: [B, P, d],
        [b + "hook_resid_post"]: [B, P, d],
        [b + "ln1.hook_scale"]: [B, P, 1],
        [b + "ln1.hook_normalized"]: [B, P, d],
        [b + "ln2.hook_scale"]: [B, P, 1],
        [b + "ln2.hook_normalized"]: [B, P, d],
        [b + "attn.hook_q"]: [B, P, h, k],
        [b + "attn.hook_k"]: [B, P, h, k],
        [b + "attn.hook_v"]: [B, P, h, k],
        [b + "attn.hook_z"]: [B, P, h, k],
        [b + "attn.hook_attn_scores"]: [B, h, P, P],
        [b + "attn.hook_pattern"]: [B, h, P, P],
        [b + "attn.hook_result"]: [B, P, h, d],
        [b + "hook_attn_out"]: [B, P, d],
        [b + "mlp.hook_pre"]: [B, P, m],
        [b + "mlp.hook_post"]: [B, P, m],
        [b + "hook_mlp_out"]: [B, P, d],
      });
    }
    assert.deepEqual([...model.hookPoints().keys()].sort(), Object.keys(expected).sort());
    const { logits, cache } = model.runWithCache(tokens);
    assert.deepEqual(logits.shape, [B, P, 20]);
    for (const [name, shape] of Object.entries(expected)) assert.deepEqual(cache.get(name)?.shape, shape, name);
    // what the activations mean: patterns are causal distributions, the residual stream adds up
    const pattern = cache.get("blocks.0.attn.hook_pattern")!.toArray() as number[][][][];
    for (const row of pattern[1][1]) assert.ok(Math.abs(row.reduce((s, v) => s + v, 0) - 1) < 1e-5);
    assert.equal(pattern[0][0][1][2], 0, "no attention to a later position");
    const c = (n: string) => cache.get(n)!;
    assert.ok(maxAbsDiff(c("blocks.1.hook_resid_mid"), c("blocks.1.hook_resid_pre").add(c("blocks.1.hook_attn_out"))) < 1e-6);
    assert.ok(maxAbsDiff(c("blocks.0.hook_resid_pre"), c("hook_embed").add(c("hook_pos_embed"))) < 1e-6);
    const attnOut = c("blocks.0.attn.hook_result").sum(2).add(param(model, "blocks.0.attn.b_O"));
    assert.ok(maxAbsDiff(attnOut, c("blocks.0.hook_attn_out")) < 1e-5, "hook_result sums to hook_attn_out (less b_O)");
    // ln hooks: normalized = (x − mean)/scale · w + b, the LayerNorm's output (TransformerLens)
    const x = c("blocks.1.hook_resid_mid");
    const ln = x.sub(x.mean(-1, true)).div(c("blocks.1.ln2.hook_scale")).mul(param(model, "blocks.1.ln2.w")).add(param(model, "blocks.1.ln2.b"));
    assert.ok(maxAbsDiff(ln, c("blocks.1.ln2.hook_normalized")) < 1e-5);
  });

  test("unknown hook names are errors that list near matches", () => {
    const model = new HookedTransformer(cfg);
    assert.throws(() => model.hookPoint("blocks.0.attn.hook_qq"), /unknown hook point "blocks.0.attn.hook_qq"; did you mean "blocks.0.attn.hook_q"/);
    assert.throws(() => model.runWithCache(tokens, { namesFilter: ["blocks.1.hook_resid_psot"] }), /did you mean "blocks.1.hook_resid_post"/);
    assert.throws(() => model.runWithHooks(tokens, { fwdHooks: [["blocks.7.hook_resid_pre", () => {}]] }), /unknown hook point "blocks.7.hook_resid_pre"/);
  });

  test("getActName follows TransformerLens", () => {
    assert.equal(getActName("k", 6), "blocks.6.attn.hook_k");
    assert.equal(getActName("pattern", 0), "blocks.0.attn.hook_pattern");
    assert.equal(getActName("attn", 1), "blocks.1.attn.hook_pattern");
    assert.equal(getActName("scores", 1), "blocks.1.attn.hook_attn_scores");
    assert.equal(getActName("z", 2), "blocks.2.attn.hook_z");
    assert.equal(getActName("rot_q", 0), "blocks.0.attn.hook_rot_q");
    assert.equal(getActName("resid_pre", 3), "blocks.3.hook_resid_pre");
    assert.equal(getActName("mlp_out", 0), "blocks.0.hook_mlp_out");
    assert.equal(getActName("post", 1), "blocks.1.mlp.hook_post");
    assert.equal(getActName("scale", 2, "ln2"), "blocks.2.ln2.hook_scale");
    assert.equal(getActName("scale"), "ln_final.hook_scale");
    assert.equal(getActName("embed"), "hook_embed");
    assert.equal(getActName("pos_embed"), "hook_pos_embed");
    assert.throws(() => getActName("z"), /"z" needs a layer/);
    assert.throws(() => getActName("nope", 0), /unknown activation "nope"/);
  });

  test("a forward hook that zero-ablates a head equals zeroing that head's W_O", () => {
    const model = new HookedTransformer(cfg);
    const clean = noGrad(() => model.forward(tokens));
    const headMask = tensor([1, 0], { shape: [1, 1, 2, 1] });
    const ablated = noGrad(() => model.runWithHooks(tokens, { fwdHooks: [["blocks.0.attn.hook_z", (z) => z.mul(headMask)]] }));
    assert.ok(maxAbsDiff(clean, ablated) > 1e-3, "ablating a head changes the logits");
    assert.ok(!model.hookPoint("blocks.0.attn.hook_z").hasHooks, "hooks are removed after the run");
    // the same ablation through the weights, with no hooks at all
    const W_O = param(model, "blocks.0.attn.W_O");
    noGrad(() => W_O.copy_(W_O.mul(headMask.reshape(2, 1, 1))));
    assert.ok(maxAbsDiff(noGrad(() => model.forward(tokens)), ablated) < 1e-5);
    // a filter function selects several hook points; a replacement must keep the shape
    let seen = 0;
    noGrad(() => model.runWithHooks(tokens, { fwdHooks: [[(n) => n.endsWith("hook_resid_post"), () => void seen++]] }));
    assert.equal(seen, 2);
    assert.throws(() => noGrad(() => model.runWithHooks(tokens, { fwdHooks: [["hook_embed", (e) => e.sum(-1)]] })), /hook on hook_embed: a replacement must keep the shape \[2,5,16\]/);
  });

  test("hooks are removed even when the run throws", () => {
    const model = new HookedTransformer(cfg);
    const clean = noGrad(() => model.forward(tokens));
    assert.throws(
      () =>
        model.runWithHooks(tokens, {
          fwdHooks: [
            ["blocks.0.hook_resid_pre", (x) => x.mul(0)],
            ["blocks.1.mlp.hook_post", () => {
              throw new Error("boom");
            }],
          ],
        }),
      /boom/,
    );
    for (const hp of model.hookPoints().values()) assert.ok(!hp.hasHooks, `${hp.name} has no hooks left`);
    assert.equal(maxAbsDiff(noGrad(() => model.forward(tokens)), clean), 0);
  });

  test("a backward hook sees the gradient of its activation, and may replace it", () => {
    const model = new HookedTransformer(cfg);
    const targets = tensor([[2, 3, 4, 5, 6], [7, 8, 9, 10, 11]], { dtype: "int32" });
    let seen: Tensor | null = null;
    model.runWithHooks(tokens, {
      bwdHooks: [["blocks.1.hook_resid_post", (g) => void (seen = g.detach().clone())]],
      run: (m) => m.loss(tokens, targets).backward(),
    });
    assert.ok(seen, "the backward hook ran");
    // the same gradient by differentiating only ln_final + unembed from the cached residual stream
    const { cache } = model.runWithCache(tokens, { namesFilter: ["blocks.1.hook_resid_post"] });
    const resid = cache.get("blocks.1.hook_resid_post")!.clone().requiresGrad_();
    const logits = model.forward(resid, { startAtLayer: 2 });
    crossEntropy(logits.reshape(-1, 20), targets.reshape(-1)).backward();
    assert.ok(maxAbsDiff(seen!, resid.grad!) < 1e-6);
    // a replacement gradient flows on: zero at resid_pre of block 0 → no gradient reaches W_E
    model.zeroGrad();
    model.runWithHooks(tokens, {
      bwdHooks: [["blocks.0.hook_resid_pre", (g) => g.mul(0)]],
      run: (m) => m.loss(tokens, targets).backward(),
    });
    const gradMax = (name: string) => Math.max(...values(param(model, name).grad!).map(Math.abs));
    assert.equal(gradMax("embed.W_E"), 0);
    assert.equal(gradMax("pos_embed.W_pos"), 0);
    assert.ok(gradMax("blocks.0.attn.W_Q") > 0, "block 0 still learns through resid_mid");
  });

  test("the fused attention path equals the unfused one, forward and backward", () => {
    for (const extra of [{}, { positional_embedding_type: "rotary" as const }, { use_attn_scale: false }, { attn_scale: 2.5 }, { n_key_value_heads: 1 }]) {
      const model = new HookedTransformer(tiny(extra));
      const run = (hooked: boolean) => {
        model.zeroGrad();
        const specs: [(n: string) => boolean, () => void][] = hooked ? [[(n) => n.endsWith("hook_pattern"), () => {}]] : [];
        return model.runWithHooks(tokens, {
          fwdHooks: specs,
          run: (m) => {
            const logits = m.forward(tokens);
            m.loss(tokens).backward();
            return { logits, gQ: param(m, "blocks.1.attn.W_Q").grad!.clone(), gE: param(m, "embed.W_E").grad!.clone() };
          },
        });
      };
      const fused = run(false);
      const unfused = run(true);
      assert.ok(maxAbsDiff(fused.logits, unfused.logits) < 1e-5);
      assert.ok(maxAbsDiff(fused.gQ, unfused.gQ) < 1e-5);
      assert.ok(maxAbsDiff(fused.gE, unfused.gE) < 1e-5);
    }
  });
});

// ---------------------------------------------------------------- architecture variants
/** Sequences counting up mod the vocabulary from random starts: next = current + 1 (any model can learn it). */
function countingBatch(gen: Generator, batch: number, pos: number, vocab: number): number[][] {
  return Array.from({ length: batch }, () => {
    const start = gen.randint(0, vocab);
    return Array.from({ length: pos }, (_, i) => (start + i) % vocab);
  });
}

const DIGITS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
const VARIANTS: [string, Partial<GPTConfigInput>][] = [
  ["standard positions, LayerNorm", {}],
  ["sinusoidal", { positional_embedding_type: "sinusoidal" }],
  ["rotary (half the head dims)", { positional_embedding_type: "rotary", rotary_dim: 4 }],
  ["alibi", { positional_embedding_type: "alibi" }],
  ["no positions", { positional_embedding_type: "none" }],
  ["abacus digit places", { positional_embedding_type: "abacus", abacus_digit_ids: DIGITS, abacus_max_digits: 16 }],
  ["RMSNorm", { normalization_type: "RMS" }],
  ["no normalization", { normalization_type: null }],
  ["attention only", { attn_only: true }],
  ["tied embeddings, no biases, relu", { tie_embeddings: true, use_bias: false, act_fn: "relu" }],
  ["d_head ≠ d_model / n_heads, silu", { n_heads: 3, d_head: 4, act_fn: "silu" }],
  ["local + global attention (window 3, GPT-Neo), unscaled scores", { attn_types: ["local", "global"], window_size: 3, use_attn_scale: false }],
  ["parallel attention and MLP, partial rotary (GPT-NeoX)", { parallel_attn_mlp: true, positional_embedding_type: "rotary", rotary_dim: 4 }],
  ["Llama-style: gated silu MLP, RMSNorm, rotary, one kv head shared, no biases", { gated_mlp: true, act_fn: "silu", normalization_type: "RMS", positional_embedding_type: "rotary", n_key_value_heads: 1, use_bias: false }],
  ["grouped-query attention with biases", { n_heads: 4, n_key_value_heads: 2 }],
];

describe("architecture variants", () => {
  for (const [name, extra] of VARIANTS) {
    test(`${name}: forward, backward, and a few AdamW steps lower the loss`, () => {
      const model = new HookedTransformer(tiny({ n_ctx: 12, ...extra }));
      const gen = new Generator(5);
      const x = countingBatch(gen, 4, 12, 20);
      const logits = noGrad(() => model.forward(x));
      assert.deepEqual(logits.shape, [4, 12, 20]);
      assert.ok(values(logits).every(Number.isFinite));
      // one loss/backward: every parameter gets a finite gradient
      model.loss(x).backward();
      for (const [pname, p] of model.namedParameters()) {
        assert.ok(p.grad, `${pname} has a gradient`);
        assert.ok(values(p.grad).every(Number.isFinite), `${pname}: finite gradient`);
      }
      if (extra.tie_embeddings) assert.ok(!model.stateDict()["unembed.W_U"], "tied: no separate W_U");
      if (extra.attn_only) assert.ok(!Object.keys(model.stateDict()).some((k) => k.includes("mlp")), "attn_only: no MLP weights");
      const opt = new optim.AdamW(model.parameters(), { lr: 1e-2, weightDecay: 0 });
      const losses: number[] = [];
      for (let step = 0; step < 25; step++) {
        losses.push(tidy(() => {
          opt.zeroGrad();
          const l = model.loss(countingBatch(gen, 8, 12, 20));
          l.backward();
          opt.step();
          return l.item();
        }));
      }
      assert.ok(losses[losses.length - 1] < 0.6 * losses[0], `loss ${losses[0].toFixed(3)} → ${losses[losses.length - 1].toFixed(3)}`);
    });
  }

  test("KV-cached forward one token at a time equals the full forward, for every variant", () => {
    for (const [name, extra] of VARIANTS) {
      const model = new HookedTransformer(tiny({ n_ctx: 12, ...extra }));
      // digits in runs (abacus places depend on the run), other tokens in between
      const seq = [3, 4, 5, 12, 7, 7, 1, 15, 2, 9, 8, 16];
      const full = noGrad(() => model.forward([seq]));
      const cache = new KVCache(model.cfg.n_layers);
      const first = noGrad(() => model.forward([seq.slice(0, 2)], { cache }));
      const steps = [first];
      for (let i = 2; i < seq.length; i++) steps.push(noGrad(() => model.forward([[seq[i]]], { cache })));
      assert.equal(cache.length, seq.length);
      const cached = steps.flatMap((t) => values(t));
      const ref = values(full);
      const err = ref.reduce((m, v, i) => Math.max(m, Math.abs(v - cached[i])), 0);
      assert.ok(err < 1e-5, `${name}: cached vs full logits differ by ${err}`);
    }
  });

  test("a ragged batch (one KV cache per row, different lengths) equals each sequence decoded alone, for every variant", () => {
    for (const [name, extra] of VARIANTS) {
      const model = new HookedTransformer(tiny({ n_ctx: 12, ...extra }));
      // three sequences with prompts of different lengths, then three decode steps side by side
      const prompts = [[3, 4, 5, 12, 7], [1, 15], [2, 9, 8, 16, 6, 6, 3]];
      const next = [[7, 1, 2], [9, 9, 4], [5, 3, 12]];
      const alone = prompts.map((prompt, b) => {
        const cache = new KVCache(model.cfg.n_layers);
        noGrad(() => model.forward([prompt], { cache }));
        const rows = next.map((step) => values(noGrad(() => model.forward([[step[b]]], { cache }))));
        cache.dispose();
        return rows;
      });
      const caches = prompts.map((prompt) => {
        const cache = new KVCache(model.cfg.n_layers);
        noGrad(() => model.forward([prompt], { cache }));
        return cache;
      });
      for (let s = 0; s < next.length; s++) {
        const batched = values(noGrad(() => model.forward([next[s].map((t) => [t])].flat(), { cache: caches, lastPositionOnly: true })));
        const v = model.cfg.d_vocab;
        for (let b = 0; b < prompts.length; b++) {
          const row = batched.slice(b * v, (b + 1) * v);
          const err = row.reduce((m, x, i) => Math.max(m, Math.abs(x - alone[b][s][i])), 0);
          assert.ok(err < 1e-5, `${name}: step ${s}, row ${b} differs from the sequence alone by ${err}`);
        }
      }
      assert.deepEqual(caches.map((c) => c.length), prompts.map((p) => p.length + next.length));
      for (const c of caches) c.dispose();
    }
    const model = new HookedTransformer(tiny());
    assert.throws(() => noGrad(() => model.forward([[1], [2]], { cache: [new KVCache(2)] })), /1 caches for a batch of 2/);
  });

  test("bad configs are rejected with the field named", () => {
    assert.throws(() => new HookedTransformer(tiny({ n_heads: 3 })), /d_model \(16\) is not divisible by n_heads \(3\)/);
    assert.throws(() => new HookedTransformer(tiny({ positional_embedding_type: "learned" as never })), /positional_embedding_type must be one of/);
    assert.throws(() => new HookedTransformer(tiny({ normalization_type: "BN" as never })), /normalization_type must be/);
    assert.throws(() => new HookedTransformer(tiny({ rotary_dim: 3, positional_embedding_type: "rotary" })), /rotary_dim must be even/);
    assert.throws(() => new HookedTransformer(tiny({ positional_embedding_type: "abacus" })), /abacus_digit_ids/);
    assert.throws(() => new HookedTransformer(tiny({ d_mdoel: 3 } as never)), /unknown field\(s\) "d_mdoel"/);
    assert.throws(() => new HookedTransformer({ n_layers: 1, d_model: 8, n_heads: 2, n_ctx: 4 } as GPTConfigInput), /missing required field "d_vocab"/);
    assert.throws(() => new HookedTransformer(tiny({ attn_types: ["local"] })), /attn_types must be null or a list of n_layers \(2\) entries "global" or "local"/);
    assert.throws(() => new HookedTransformer(tiny({ attn_types: ["local", "global"] })), /window_size must be an integer ≥ 1, got null/);
    assert.throws(() => new HookedTransformer(tiny({ attn_scale: 0 })), /attn_scale must be a positive number/);
    assert.throws(() => new HookedTransformer(tiny({ use_attn_scale: "no" as never })), /use_attn_scale must be true or false/);
    assert.throws(() => new HookedTransformer(tiny({ parallel_attn_mlp: true, attn_only: true })), /parallel_attn_mlp needs an MLP, but attn_only is set/);
    assert.throws(() => new HookedTransformer(tiny({ n_key_value_heads: 3 })), /n_heads \(2\) must be a multiple of n_key_value_heads \(3\)/);
    assert.throws(() => new HookedTransformer(tiny({ n_key_value_heads: 0 })), /n_key_value_heads must be an integer ≥ 1, got 0/);
    assert.throws(() => new HookedTransformer(tiny({ gated_mlp: 1 as never })), /gated_mlp must be true or false/);
    const model = new HookedTransformer(tiny());
    assert.throws(() => model.forward([[1, 2, 20]]), /token id 20 is outside the vocabulary \[0, 20\)/);
    assert.throws(() => model.forward([Array.from({ length: 17 }, () => 1)]), /17 positions is longer than n_ctx = 16/);
  });
});

// ---------------------------------------------------------------- generation
describe("generation", () => {
  const model = new HookedTransformer(tiny({ n_ctx: 8, seed: 11 }));

  test("the KV cache gives the same tokens as recomputing, greedy and sampled, past n_ctx too", () => {
    for (const extra of [{}, { positional_embedding_type: "rotary" as const }, { positional_embedding_type: "alibi" as const }, { positional_embedding_type: "abacus" as const, abacus_digit_ids: DIGITS }]) {
      const m = new HookedTransformer(tiny({ n_ctx: 8, seed: 11, ...extra }));
      const prompt = [1, 2, 3];
      // 20 new tokens: the context passes n_ctx = 8, so the window slides
      const greedy = generate(m, prompt, { maxNewTokens: 20, temperature: 0 });
      assert.equal(greedy.length, 20);
      assert.deepEqual(generate(m, prompt, { maxNewTokens: 20, temperature: 0, useCache: false }), greedy);
      const sampled = generate(m, prompt, { maxNewTokens: 20, temperature: 1.5, generator: new Generator(7) });
      assert.deepEqual(generate(m, prompt, { maxNewTokens: 20, temperature: 1.5, generator: new Generator(7), useCache: false }), sampled);
      assert.notDeepEqual(sampled, greedy, "high-temperature sampling departs from greedy");
    }
  });

  test("greedy is the argmax of the full forward at every step", () => {
    const prompt = [4, 5];
    const out = generate(model, prompt, { maxNewTokens: 10, temperature: 0 });
    const ids = [...prompt];
    for (const t of out) {
      const row = values(noGrad(() => model.forward([ids.slice(-8)])).select(1, Math.min(ids.length, 8) - 1));
      assert.equal(t, row.indexOf(Math.max(...row)));
      ids.push(t);
    }
  });

  test("topK = 1 and a tiny topP equal greedy; streaming sees every token", () => {
    const greedy = generate(model, [7], { maxNewTokens: 12, temperature: 0 });
    assert.deepEqual(generate(model, [7], { maxNewTokens: 12, topK: 1, generator: new Generator(1) }), greedy);
    assert.deepEqual(generate(model, [7], { maxNewTokens: 12, topP: 1e-6, temperature: 2, generator: new Generator(2) }), greedy);
    const streamed: number[] = [];
    const out = generate(model, [7], { maxNewTokens: 12, temperature: 0, onToken: (id) => streamed.push(id) });
    assert.deepEqual(streamed, out);
    assert.deepEqual(generate(model, [7], { maxNewTokens: 0 }), []);
  });

  test("stop tokens, stop strings and repetition stop generation", () => {
    // a model that always predicts token 3: no signal through the weights, a bias on token 3
    const m = new HookedTransformer(tiny({ seed: 1 }));
    noGrad(() => {
      param(m, "unembed.W_U").zero_();
      param(m, "unembed.b_U").copy_(tensor(Array.from({ length: 20 }, (_, i) => (i === 3 ? 5 : 0))));
    });
    assert.deepEqual(generate(m, [1], { maxNewTokens: 50, temperature: 0 }), Array(50).fill(3));
    assert.deepEqual(generate(m, [1], { maxNewTokens: 50, temperature: 0, stopTokens: [9, 3] }), [3]);
    const decode = (ids: number[]) => ids.map((i) => String.fromCharCode(97 + i)).join("");
    assert.deepEqual(generate(m, [1], { maxNewTokens: 50, temperature: 0, stopStrings: ["ddd"], decode }), [3, 3, 3]);
    assert.deepEqual(generate(m, [1], { maxNewTokens: 50, temperature: 0, stopOnRepeat: 2 }), [3, 3, 3, 3]);
  });

  test("bad options give clear errors", () => {
    assert.throws(() => generate(model, [1], { maxNewTokens: -1 }), /maxNewTokens must be a non-negative integer, got -1/);
    assert.throws(() => generate(model, [1], { temperature: -0.5 }), /temperature must be ≥ 0, got -0.5/);
    assert.throws(() => generate(model, [1], { topK: 0 }), /topK must be a positive integer, got 0/);
    assert.throws(() => generate(model, [1], { topP: 1.5 }), /topP must be in \(0, 1\], got 1.5/);
    assert.throws(() => generate(model, [1], { stopStrings: ["x"] }), /stopStrings need a decode function/);
    assert.throws(() => generate(model, [], {}), /the prompt must have at least one token/);
    assert.throws(() => generate(model, [1, 99], { maxNewTokens: 1 }), /token id 99 is outside the vocabulary/);
    assert.ok(model.training, "the model's mode is restored after generation");
  });
});

// ---------------------------------------------------------------- model directories
describe("model directories", () => {
  test("saveModelDir / loadModelDir round-trips config and weights", async () => {
    const model = new HookedTransformer(tiny({ positional_embedding_type: "rotary", tie_embeddings: true, seed: 8 }));
    const dir = join(tmp, "roundtrip");
    await saveModelDir(dir, model);
    const config = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
    assert.equal(config.positional_embedding_type, "rotary");
    assert.equal(config.d_model, 16);
    const loaded = await loadModelDir(dir);
    assert.deepEqual(loaded.cfg, model.cfg);
    const x = [[1, 2, 3, 4]];
    assert.equal(maxAbsDiff(noGrad(() => loaded.forward(x)), noGrad(() => model.forward(x))), 0);
    assert.deepEqual(Object.keys((await loadSafetensors(join(dir, "model.safetensors"))).tensors).sort(), Object.keys(model.stateDict()).sort());
  });

  test("a missing directory, a bad config.json and mismatched weights are clear errors", async () => {
    await assert.rejects(loadModelDir(join(tmp, "nope")), /cannot read .*nope\/config\.json.*is .*nope a model directory\?/);
    const dir = join(tmp, "bad");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "config.json"), "{ n_layers: 2");
    await assert.rejects(loadModelDir(dir), /bad\/config\.json is not valid JSON/);
    writeFileSync(join(dir, "config.json"), JSON.stringify({ n_layers: 2, d_model: 16, n_heads: 2, n_ctx: 16 }));
    await assert.rejects(loadModelDir(dir), /config\.json: GPT config: missing required field "d_vocab"/);
    writeFileSync(join(dir, "config.json"), JSON.stringify({ ...tiny(), act_fn: "swish" }));
    await assert.rejects(loadModelDir(dir), /act_fn must be one of gelu, gelu_new, relu, silu, tanh, got "swish"/);
    // weights of a model with another vocabulary
    await saveSafetensors(join(dir, "model.safetensors"), new HookedTransformer(tiny({ d_vocab: 21 })).stateDict());
    writeFileSync(join(dir, "config.json"), JSON.stringify(tiny()));
    await assert.rejects(loadModelDir(dir), /model\.safetensors: loadStateDict: size mismatch for "embed\.W_E": checkpoint has \[21,16\], this model has \[20,16\]/);
    // a missing weight
    const partial = new HookedTransformer(tiny()).stateDict();
    delete partial["blocks.1.attn.W_O"];
    await saveSafetensors(join(dir, "model.safetensors"), partial);
    await assert.rejects(loadModelDir(dir), /missing key\(s\): "blocks\.1\.attn\.W_O"/);
  });
});

// ---------------------------------------------------------------- the training loop
describe("training (runTraining)", () => {
  const text = readFileSync(SHAKESPEARE, "utf8").slice(0, 20000);
  const chars = [...new Set(text)].sort();
  const ids = Int32Array.from([...text].map((c) => chars.indexOf(c)));
  const modelCfg = { n_layers: 1, d_model: 32, n_heads: 2, d_vocab: chars.length, n_ctx: 16, seed: 4 };
  const trainCfg = (extra: Partial<TrainConfig> = {}): TrainConfig => ({
    ...NANOGPT_CPU_TRAIN,
    maxIters: 40,
    lrDecayIters: 40,
    warmupIters: 5,
    lr: 3e-3,
    batchSize: 8,
    blockSize: 16,
    evalInterval: 20,
    evalIters: 2,
    seed: 9,
    ...extra,
  });
  const run = (outDir: string, cfg: TrainConfig, resume = false) =>
    runTraining(new HookedTransformer(modelCfg), textBatches(ids, { batchSize: cfg.batchSize, blockSize: cfg.blockSize }), cfg, { outDir, resume, handleSignals: false });
  const weights = async (dir: string) => (await loadSafetensors(join(dir, "last", "model.safetensors"))).tensors;

  test("the loss falls; metrics, loss curve and best/last checkpoints are written; same seed → same curve", async () => {
    const a = await run(join(tmp, "train-a"), trainCfg());
    const losses = a.trainer.history.steps.map((s) => s.loss);
    assert.equal(losses.length, 40);
    const mean = (xs: number[]) => xs.reduce((s, v) => s + v, 0) / xs.length;
    assert.ok(mean(losses.slice(-5)) < mean(losses.slice(0, 5)) - 0.5, `loss ${mean(losses.slice(0, 5))} → ${mean(losses.slice(-5))}`);
    assert.ok(a.final.val < a.trainer.history.evals[0].val, "val loss falls");
    const lines = readFileSync(join(tmp, "train-a", "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    assert.equal(lines.filter((l) => l.type === "step").length, 40);
    assert.deepEqual(lines.filter((l) => l.type === "eval").map((l) => l.step), [0, 20, 40]);
    for (const l of lines.filter((l) => l.type === "step")) for (const k of ["loss", "lr", "gradNorm", "tokensPerSec"]) assert.ok(Number.isFinite(l[k]), `${k} in ${JSON.stringify(l)}`);
    assert.match(readFileSync(join(tmp, "train-a", "loss.html"), "utf8"), /<svg/);
    for (const sub of ["best", "last"]) {
      for (const f of ["config.json", "model.safetensors", "optimizer.safetensors", "trainer.json"]) assert.ok(existsSync(join(tmp, "train-a", sub, f)), `${sub}/${f}`);
    }
    const b = await run(join(tmp, "train-b"), trainCfg());
    assert.deepEqual(b.trainer.history.steps.map((s) => s.loss), losses, "same seed → identical losses");
    assert.deepEqual(b.trainer.history.evals, a.trainer.history.evals);
    const c = await run(join(tmp, "train-c"), trainCfg({ seed: 10 }));
    assert.notDeepEqual(c.trainer.history.steps.map((s) => s.loss), losses, "another seed → another curve");
  });

  test("resume is exact: 40 steps = 25 steps + resume to 40 (losses and final weights)", async () => {
    const full = await run(join(tmp, "resume-full"), trainCfg());
    const dir = join(tmp, "resume-split");
    const first = await run(dir, trainCfg({ maxIters: 25 }));
    assert.equal(first.trainer.step, 25);
    const rest = await run(dir, trainCfg(), true);
    assert.equal(rest.trainer.step, 40);
    assert.deepEqual(rest.trainer.history.steps.map((s) => s.loss), full.trainer.history.steps.map((s) => s.loss));
    const [w1, w2] = [await weights(join(tmp, "resume-full")), await weights(dir)];
    for (const [name, t] of Object.entries(w1)) assert.deepEqual(values(w2[name]), values(t), name);
    // the resumed run does not evaluate step 25 twice, and metrics.jsonl continues
    assert.deepEqual(rest.trainer.history.evals.map((e) => e.step), [0, 20, 25, 40]);
    const lines = readFileSync(join(dir, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    assert.equal(lines.filter((l) => l.type === "step").length, 40);
  });

  test("a diverging run stops with a clear error", async () => {
    await assert.rejects(run(join(tmp, "diverge"), trainCfg({ lr: 1e30, warmupIters: 0, maxIters: 10 })), /training diverged: (loss|gradient norm) is (NaN|Infinity|-Infinity) at step \d+/);
  });

  test("bad training configs are rejected with the field named", async () => {
    await assert.rejects(run(join(tmp, "bad"), trainCfg({ batchSize: 0 })), /train config: batchSize must be an integer ≥ 1, got 0/);
    await assert.rejects(run(join(tmp, "bad"), trainCfg({ beta2: 1.5 })), /beta2 must be a number in \[0, 1\]/);
    assert.throws(() => textBatches(ids.slice(0, 20), { batchSize: 2, blockSize: 16 }), /the val split has 2 tokens, not enough for windows of 16 \+ 1/);
  });
});

// ---------------------------------------------------------------- the CLI
describe("dgpt train / generate / eval / logits", () => {
  const out = join(tmp, "cli");

  test("dgpt train --preset char-small: 50 steps on tinyshakespeare, the loss falls (the CI check)", async () => {
    const r = await capture(() => main(["train", "--preset", "char-small", "--data", SHAKESPEARE, "--steps", "50", "--eval-interval", "25", "--eval-iters", "2", "--out", out, "--sample", "0"]));
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /data: .*tinyshakespeare.*char tokens .*vocabulary 65/);
    assert.match(r.out, /model: 4 layers, 4 heads, d_model 128, context 64/);
    assert.match(r.out, /step {4}50: train loss [\d.]+, val loss [\d.]+/);
    const lines = readFileSync(join(out, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    const steps = lines.filter((l) => l.type === "step");
    const evals = lines.filter((l) => l.type === "eval");
    assert.equal(steps.length, 50);
    assert.deepEqual(evals.map((e) => e.step), [0, 25, 50]);
    assert.ok(evals[2].val < evals[0].val - 0.5, `val loss ${evals[0].val} → ${evals[2].val}`);
    assert.ok(steps[49].loss < steps[0].loss - 0.5, `train loss ${steps[0].loss} → ${steps[49].loss}`);
    for (const f of ["config.json", "model.safetensors", "tokenizer.json"]) assert.ok(existsSync(join(out, "last", f)), f);
  });

  test("generate, eval and logits read the trained output directory", async () => {
    let r = await capture(() => main(["generate", "--model", out, "--prompt", "ROMEO:", "--max-tokens", "30", "--temperature", "0"]));
    assert.equal(r.code, 0, r.err);
    assert.ok(r.out.startsWith("ROMEO:"), r.out);
    assert.equal(r.out.length, "ROMEO:".length + 30, "30 characters follow the prompt");
    assert.match(r.err, /\[30 tokens in [\d.]+ s: [\d.]+ tokens\/s\]/);
    const greedy = r.out;
    r = await capture(() => main(["generate", "--model", out, "--prompt", "ROMEO:", "--max-tokens", "30", "--temperature", "0", "--no-cache"]));
    assert.equal(r.out, greedy, "the same text without the KV cache");

    r = await capture(() => main(["eval", "--model", out, "--data", SHAKESPEARE, "--max-tokens", "2000"]));
    assert.equal(r.code, 0, r.err);
    const ev = JSON.parse(r.out);
    assert.equal(ev.tokens, 1999);
    assert.ok(ev.loss > 1 && ev.loss < Math.log(65), `eval loss ${ev.loss}`);
    assert.ok(Math.abs(ev.perplexity - Math.exp(ev.loss)) < 1e-9 * ev.perplexity);

    r = await capture(() => main(["logits", "--model", out, "--tokens", "1,2,3"]));
    assert.equal(r.code, 0, r.err);
    const lg = JSON.parse(r.out);
    assert.deepEqual(lg.tokens, [1, 2, 3]);
    assert.equal(lg.logits.length, 3);
    assert.equal(lg.logits[0].length, 65);
    // the printed loss is the mean next-token cross-entropy of the printed logits
    const ce = (row: number[], t: number) => Math.log(row.reduce((s, v) => s + Math.exp(v), 0)) - row[t];
    assert.ok(Math.abs(lg.loss - (ce(lg.logits[0], 2) + ce(lg.logits[1], 3)) / 2) < 1e-4, `loss ${lg.loss}`);
    r = await capture(() => main(["logits", "--model", out, "--text", "the", "--top", "2"]));
    const top = JSON.parse(r.out);
    assert.equal(top.tokens.length, 3);
    assert.equal(top.logits[0].length, 2);
    assert.ok(top.logits[0][0][1] >= top.logits[0][1][1], "top-k sorted by logit");
  });

  test("bad flags and inputs fail clearly", async () => {
    const cases: [string[], RegExp][] = [
      [["train", "--preset", "nope", "--out", join(tmp, "x")], /--preset: unknown preset "nope" \(choose from nanogpt-cpu, tinystories, char-small\)/],
      [["train", "--preset", "char-small", "--data", SHAKESPEARE, "--steps", "ten", "--out", join(tmp, "x")], /--steps: expected a number, got "ten"/],
      [["train", "--preset", "char-small", "--data", SHAKESPEARE, "--steps", "1e30", "--out", join(tmp, "x")], /--steps: expected an integer from 0 to 1000000000, got "1e30"/],
      [["train", "--preset", "char-small", "--data", SHAKESPEARE, "--max-iters", "10", "--out", join(tmp, "x")], /--max-iters is called --steps here/],
      [["train", "--preset", "char-small", "--data", SHAKESPEARE, "--block-size", "200000", "--out", join(tmp, "x")], /--block-size 200000: the text's validation part \(its last 10%\) has 111540 tokens/],
      [["train", "--preset", "char-small", "--data", SHAKESPEARE, "--block-size", "100000", "--out", join(tmp, "x")], /--block-size 100000 with --batch-size 12: one head's attention scores alone need 447\.0 GiB/],
      [["train", "--preset", "char-small", "--data", SHAKESPEARE, "--lr", "fast", "--out", join(tmp, "x")], /--lr: expected a number, got "fast"/],
      [["train", "--preset", "char-small", "--data", join(tmp, "missing.txt"), "--out", join(tmp, "x")], /^dgpt: --data .*missing\.txt: ".*missing\.txt" is neither a known corpus \(tinyshakespeare, tinystories\) nor a readable file$/m],
      [["train", "--preset", "char-small", "--data", SHAKESPEARE, "--config", join(tmp, "missing.json"), "--out", join(tmp, "x")], /--config .*missing\.json/],
      [["generate", "--model", join(tmp, "nowhere")], /--model .*nowhere: no such directory/],
      [["generate", "--model", tmp], /--model .*: no model there \(expected config\.json in it, or in its best\/ or last\/ folder/],
      [["generate", "--model", out, "--top-p", "2"], /--top-p: expected a number in \(0, 1\], got "2"/],
      [["generate", "--model", out, "--prompt", "café"], /--prompt: the character U\+00E9 "é" \(at index 3\) is not in this model's vocabulary of 65 tokens/],
      [["generate", "--model", out, "--temperature", "hot"], /--temperature: expected a number, got "hot"/],
      [["logits", "--model", out, "--tokens", "1,x"], /--tokens: expected comma-separated integers, got "1,x"/],
      [["logits", "--model", out, "--tokens", "1,999"], /--tokens: 999 is not a token id of this model \(its vocabulary has 65\)/],
      [["logits", "--model", out], /give --tokens or --text/],
      [["eval", "--model", out, "--data", SHAKESPEARE, "--split", "test"], /--split must be all or val, got "test"/],
    ];
    for (const [argv, re] of cases) {
      const r = await capture(() => main(argv));
      assert.equal(r.code, 1, `${argv.join(" ")} → exit ${r.code}`);
      assert.match(r.err, re, argv.join(" "));
    }
    const r = await capture(() => main(["generate"]));
    assert.notEqual(r.code, 0);
    assert.match(r.err, /required option '--model <dirOrName>' not specified/);
  });
});

test("lastPositionOnly gives the full forward's last row (what generation unembeds)", () => {
  const model = new HookedTransformer({ n_layers: 2, d_model: 32, n_heads: 4, d_vocab: 30, n_ctx: 16, seed: 5 });
  const tokens = [[1, 2, 3, 4, 5, 6], [6, 5, 4, 3, 2, 1]];
  const full = noGrad(() => model.forward(tokens));
  const last = noGrad(() => model.forward(tokens, { lastPositionOnly: true }));
  assert.deepEqual(last.shape, [2, 1, 30]);
  const want = full.narrow(1, 5, 1).dataSync();
  const got = last.dataSync();
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(want[i] - got[i]) < 1e-5);
});
