// GPT-Neo, GPT-NeoX and Llama-style Hugging Face checkpoints onto HookedTransformer: the fixtures
// of reference/gen_pretrained_fixtures.py (each family's names, layouts and forward, computed in
// PyTorch from Hugging Face's documented behaviour) give the same logits, loss and activations;
// a published detail of each family is checked; a wrong mapping of each family's quirk is caught.
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, describe, test } from "node:test";
import { HookedTransformer, KVCache, type Tensor, loadModelDir, noGrad, readSafetensorsFile, tensor } from "../src/node.js";
import { values } from "./tensor-compare.js";

const FIXTURES = fileURLToPath(new URL("../fixtures/pretrained/", import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), "dgpt-families-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

interface Enc {
  shape: number[];
  data: number[];
}
interface Expected {
  tokens: number[][];
  logits: Enc;
  loss: number;
  activations: Record<string, Enc>;
}
const readExpected = (family: string): Expected => JSON.parse(readFileSync(join(FIXTURES, family, "expected.json"), "utf8")) as Expected;

/** max |actual − expected| after checking the shape. */
function maxError(actual: Tensor, expected: Enc, what: string): number {
  assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  return values(actual).reduce((m, v, i) => Math.max(m, Math.abs(v - expected.data[i])), 0);
}
/** Within float32 noise: |error| ≤ 1e-5 · max|expected| (the expected numbers are float64 from the same float32 weights). */
const tolerance = (expected: Enc) => 1e-5 * expected.data.reduce((m, v) => Math.max(m, Math.abs(v)), 0) + 1e-7;
function assertClose(actual: Tensor, expected: Enc, what: string): number {
  const err = maxError(actual, expected, what);
  assert.ok(err <= tolerance(expected), `${what}: max abs error ${err} (tolerance ${tolerance(expected)})`);
  return err;
}

/** A copy of a family's fixture with its config.json edited (a deliberately wrong reading of it). */
function withConfig(family: string, name: string, edit: (c: Record<string, unknown>) => Record<string, unknown>): string {
  const dir = join(tmp, name);
  cpSync(join(FIXTURES, family), dir, { recursive: true });
  const path = join(dir, "config.json");
  writeFileSync(path, JSON.stringify(edit(JSON.parse(readFileSync(path, "utf8")))));
  return dir;
}

/**
 * The fixture's logits and loss match through the plain forward (fused kernels where they apply),
 * and its activations through runWithCache (the hooked paths). Returns the max abs logit error.
 */
async function checkFixture(family: string): Promise<{ model: HookedTransformer; err: number }> {
  const expected = readExpected(family);
  const model = await loadModelDir(join(FIXTURES, family));
  const logits = noGrad(() => model.forward(expected.tokens));
  const err = assertClose(logits, expected.logits, "logits");
  const names = Object.keys(expected.activations);
  const { logits: cachedLogits, cache } = model.runWithCache(expected.tokens, { namesFilter: names });
  assertClose(cachedLogits, expected.logits, "logits (runWithCache)");
  for (const name of names) assertClose(cache.get(name)!, expected.activations[name], name);
  const loss = noGrad(() => model.loss(expected.tokens).item());
  assert.ok(Math.abs(loss - expected.loss) <= 1e-5 * expected.loss, `loss ${loss} vs ${expected.loss}`);
  return { model, err };
}

/** A model's logits differ from the fixture's by far more than float32 noise. */
async function assertWrong(dir: string, family: string): Promise<void> {
  const expected = readExpected(family);
  const model = await loadModelDir(dir);
  const err = maxError(noGrad(() => model.forward(expected.tokens)), expected.logits, "logits");
  assert.ok(err > 1000 * tolerance(expected.logits), `the wrong reading should be caught: max abs error only ${err}`);
}

/** Logits one token at a time through a KV cache equal the full forward's. */
function assertCacheMatches(model: HookedTransformer, seq: number[]): void {
  const full = values(noGrad(() => model.forward([seq])));
  const cache = new KVCache(model.cfg.n_layers);
  const steps = [noGrad(() => model.forward([seq.slice(0, 2)], { cache }))];
  for (let i = 2; i < seq.length; i++) steps.push(noGrad(() => model.forward([[seq[i]]], { cache })));
  const cached = steps.flatMap((t) => values(t));
  const err = full.reduce((m, v, i) => Math.max(m, Math.abs(v - cached[i])), 0);
  assert.ok(err < 1e-5, `cached vs full logits differ by ${err}`);
}

// ---------------------------------------------------------------- GPT-Neo
describe("GPT-Neo (fixtures/pretrained/gpt-neo: GPTNeoForCausalLM, global + local attention)", () => {
  test("logits, loss and activations match Hugging Face's forward", async (t) => {
    const { model, err } = await checkFixture("gpt-neo");
    t.diagnostic(`max abs logit error ${err.toExponential(2)}`);
    assert.deepEqual(model.cfg.attn_types, ["global", "local"]);
    assert.equal(model.cfg.window_size, 3);
    assert.equal(model.cfg.use_attn_scale, false);
    assert.equal(model.cfg.d_mlp, 64); // intermediate_size, not 4·hidden_size
  });

  test("the local layer sees at most window_size keys, itself included; the global one sees them all", () => {
    const expected = readExpected("gpt-neo");
    const [, heads, p] = expected.activations["blocks.1.attn.hook_pattern"].shape;
    assert.ok(p > 3, "the fixture's sequence is longer than the window");
    const pattern = (layer: number, b: number, h: number, q: number, k: number) => {
      const e = expected.activations[`blocks.${layer}.attn.hook_pattern`];
      return e.data[((b * heads + h) * p + q) * p + k];
    };
    for (let h = 0; h < heads; h++) {
      for (let q = 0; q < p; q++) {
        for (let k = 0; k <= q; k++) {
          if (q - k >= 3) assert.equal(pattern(1, 0, h, q, k), 0, `local: query ${q} must not see key ${k}`);
          else assert.ok(pattern(1, 0, h, q, k) > 0);
          assert.ok(pattern(0, 0, h, q, k) > 0, "global: every earlier key");
        }
      }
    }
  });

  test("reading it as all-global, or with GPT-2's 1/√d_head scale, is caught", async () => {
    await assertWrong(withConfig("gpt-neo", "neo-global", (c) => ({ ...c, attention_types: [[["global", "global"], 1]] })), "gpt-neo");
    const model = await loadModelDir(join(FIXTURES, "gpt-neo"));
    const scaled = new HookedTransformer({ ...model.cfg, use_attn_scale: true });
    scaled.loadStateDict(model.stateDict());
    const expected = readExpected("gpt-neo");
    const err = maxError(noGrad(() => scaled.forward(expected.tokens)), expected.logits, "logits");
    assert.ok(err > 1000 * tolerance(expected.logits), `scaled scores should be caught: ${err}`);
  });

  test("generation with a KV cache past the window equals the full forward", async () => {
    const model = await loadModelDir(join(FIXTURES, "gpt-neo"));
    assertCacheMatches(model, readExpected("gpt-neo").tokens[0]);
  });

  test("bad GPT-Neo configs are named", async () => {
    await assert.rejects(loadModelDir(withConfig("gpt-neo", "neo-layers", (c) => ({ ...c, num_layers: 3 }))), /attention_types gives 2 layers, but num_layers is 3/);
    await assert.rejects(loadModelDir(withConfig("gpt-neo", "neo-types", (c) => ({ ...c, attention_types: [[["global", "sparse"], 1]] }))), /"attention_types" must be a list of/);
    await assert.rejects(loadModelDir(withConfig("gpt-neo", "neo-window", (c) => ({ ...c, window_size: 0 }))), /"window_size" must be a positive integer, got 0/);
  });
});

// ---------------------------------------------------------------- GPT-NeoX
describe("GPT-NeoX (fixtures/pretrained/gpt-neox: GPTNeoXForCausalLM, Pythia's layout)", () => {
  test("logits, loss and activations match Hugging Face's forward", async (t) => {
    const { model, err } = await checkFixture("gpt-neox");
    t.diagnostic(`max abs logit error ${err.toExponential(2)}`);
    assert.equal(model.cfg.rotary_dim, 4); // rotary_pct 0.25 of d_head 16
    assert.equal(model.cfg.parallel_attn_mlp, true);
    assert.equal(model.cfg.tie_embeddings, false);
    assert.equal(model.cfg.act_fn, "gelu");
  });

  test("rotary_pct: only the first rotary_dim dims of q and k rotate", () => {
    const e = readExpected("gpt-neox");
    const [, p, heads, dHead] = e.activations["blocks.0.attn.hook_q"].shape;
    const q = e.activations["blocks.0.attn.hook_q"].data;
    const rot = e.activations["blocks.0.attn.hook_rot_q"].data;
    for (let pos = 1; pos < p; pos++) {
      for (let h = 0; h < heads; h++) {
        const at = (i: number) => ((pos * heads + h) * dHead + i);
        for (let i = 4; i < dHead; i++) assert.equal(rot[at(i)], q[at(i)], "dims past rotary_dim pass through");
        assert.ok([0, 1, 2, 3].some((i) => Math.abs(rot[at(i)] - q[at(i)]) > 1e-4), "the first 4 dims rotate");
      }
    }
  });

  test("use_parallel_residual false: the sequential block, on the same weights", async () => {
    const expected = readExpected("gpt-neox") as Expected & { sequential_logits: Enc };
    const model = await loadModelDir(withConfig("gpt-neox", "neox-sequential", (c) => ({ ...c, use_parallel_residual: false })));
    assert.equal(model.cfg.parallel_attn_mlp, false);
    assertClose(noGrad(() => model.forward(expected.tokens)), expected.sequential_logits, "sequential logits");
  });

  test("reading it with a full rotary, or with GPT-2's q|k|v column blocks, is caught", async () => {
    await assertWrong(withConfig("gpt-neox", "neox-full-rotary", (c) => ({ ...c, rotary_pct: 1 })), "gpt-neox");
    // the fused weight read as GPT-2 lays out c_attn, [all q rows | all k rows | all v rows], instead of per head
    const { tensors } = await readSafetensorsFile(join(FIXTURES, "gpt-neox", "model.safetensors"));
    const model = await loadModelDir(join(FIXTURES, "gpt-neox"));
    const { n_heads: h, d_head: k, d_model: d } = model.cfg;
    noGrad(() => {
      for (let l = 0; l < model.cfg.n_layers; l++) {
        const read = (name: string) => tensor(tensors.get(`gpt_neox.layers.${l}.attention.query_key_value.${name}`)!.data as Float32Array);
        const w = read("weight").reshape(3 * d, d);
        const b = read("bias");
        const attn = model.blocks[l].attn;
        (["W_Q", "W_K", "W_V"] as const).forEach((name, j) => attn[name].copy_(w.narrow(0, j * d, d).reshape(h, k, d).permute(0, 2, 1)));
        (["b_Q", "b_K", "b_V"] as const).forEach((name, j) => attn[name]!.copy_(b.narrow(0, j * d, d).reshape(h, k)));
      }
    });
    const expected = readExpected("gpt-neox");
    const err = maxError(noGrad(() => model.forward(expected.tokens)), expected.logits, "logits");
    assert.ok(err > 1000 * tolerance(expected.logits), `GPT-2's layout should be caught: ${err}`);
  });

  test("generation with a KV cache (partial rotary at an offset) equals the full forward", async () => {
    const model = await loadModelDir(join(FIXTURES, "gpt-neox"));
    assertCacheMatches(model, readExpected("gpt-neox").tokens[0]);
  });
});

// ---------------------------------------------------------------- Llama
describe("Llama (fixtures/pretrained/llama: LlamaForCausalLM, RMSNorm, SwiGLU, RoPE, grouped-query attention)", () => {
  test("logits, loss and activations (hook_k, hook_v with the 2 kv heads, TransformerLens's shapes) match Hugging Face's forward", async (t) => {
    const { model, err } = await checkFixture("llama");
    t.diagnostic(`max abs logit error ${err.toExponential(2)}`);
    assert.equal(model.cfg.n_key_value_heads, 2);
    assert.equal(model.cfg.normalization_type, "RMS");
    assert.equal(model.cfg.gated_mlp, true);
    assert.equal(model.cfg.rotary_base, 500);
    assert.equal(model.cfg.rotary_dim, model.cfg.d_head);
    assert.equal(model.cfg.tie_embeddings, false);
    const names = Object.keys(model.stateDict());
    assert.ok(names.includes("blocks.0.attn._W_K") && names.includes("blocks.0.mlp.W_gate"), "TransformerLens's parameter names");
    assert.ok(!names.includes("blocks.0.attn.W_K") && !names.some((n) => n.includes("b_")), "no repeated copies, no biases");
  });

  test("W_K, W_V read as TransformerLens's repeat_interleave of the kv heads: query heads 0, 1 share kv head 0", async () => {
    const model = await loadModelDir(join(FIXTURES, "llama"));
    const { tensors } = await readSafetensorsFile(join(FIXTURES, "llama", "model.safetensors"));
    const kProj = tensors.get("model.layers.1.self_attn.k_proj.weight")!; // (g·k, d) rows: kv head j's output dims
    const { d_model: d, d_head: k, n_heads: h } = model.cfg;
    const W_K = values(model.blocks[1].attn.W_K); // (h, d, k)
    assert.equal(W_K.length, h * d * k);
    for (let head = 0; head < h; head++) {
      const kvHead = Math.floor(head / 2);
      for (let i = 0; i < d; i++) for (let j = 0; j < k; j++) assert.equal(W_K[(head * d + i) * k + j], kProj.data[(kvHead * k + j) * d + i]);
    }
  });

  test("tie_word_embeddings true (SmolLM): lm_head is embed_tokens", async () => {
    const expected = readExpected("llama") as Expected & { tied_logits: Enc };
    const model = await loadModelDir(withConfig("llama", "llama-tied", (c) => ({ ...c, tie_word_embeddings: true })));
    assert.equal(model.cfg.tie_embeddings, true);
    assertClose(noGrad(() => model.forward(expected.tokens)), expected.tied_logits, "tied logits");
  });

  test("the default rope_theta, or the kv heads tiled instead of repeated in place, is caught", async () => {
    await assertWrong(withConfig("llama", "llama-theta", ({ rope_theta: _t, ...c }) => c), "llama");
    // the same model as ordinary attention with each kv head given to its query heads: right when
    // repeated in place (0, 0, 1, 1), wrong when tiled (0, 1, 0, 1)
    const model = await loadModelDir(join(FIXTURES, "llama"));
    const expected = readExpected("llama");
    const { d_model: d, d_head: k, n_heads: h } = model.cfg;
    for (const layout of ["in place", "tiled"]) {
      const mha = new HookedTransformer({ ...model.cfg, n_key_value_heads: null });
      const sd = model.stateDict();
      noGrad(() => {
        for (let l = 0; l < model.cfg.n_layers; l++) {
          for (const W of ["W_K", "W_V"]) {
            const shared = sd[`blocks.${l}.attn._${W}`]; // (2, d, k)
            sd[`blocks.${l}.attn.${W}`] = layout === "in place" ? shared.unsqueeze(1).expand(2, 2, d, k).reshape(h, d, k) : shared.unsqueeze(0).expand(2, 2, d, k).reshape(h, d, k);
            delete sd[`blocks.${l}.attn._${W}`];
          }
        }
      });
      mha.loadStateDict(sd);
      const err = maxError(noGrad(() => mha.forward(expected.tokens)), expected.logits, "logits");
      if (layout === "in place") assert.ok(err <= tolerance(expected.logits), `repeated in place: ${err}`);
      else assert.ok(err > 1000 * tolerance(expected.logits), `tiled should be caught: ${err}`);
    }
  });

  test("generation with a KV cache (the kv heads cached unrepeated) equals the full forward", async () => {
    const model = await loadModelDir(join(FIXTURES, "llama"));
    assertCacheMatches(model, readExpected("llama").tokens[0]);
  });

  test("Llama options we do not compute are refused", async () => {
    await assert.rejects(loadModelDir(withConfig("llama", "llama-scaling", (c) => ({ ...c, rope_scaling: { rope_type: "llama3", factor: 8 } }))), /Llama config: rope_scaling \{"rope_type":"llama3","factor":8\} is not supported/);
    // attention_bias / mlp_bias are read (export.test.ts round-trips them); a checkpoint that says so must hold the biases
    await assert.rejects(loadModelDir(withConfig("llama", "llama-bias", (c) => ({ ...c, attention_bias: true }))), /the weights lack "layers\.0\.self_attn\.q_proj\.bias"/);
    await assert.rejects(loadModelDir(withConfig("llama", "llama-mlp-bias", (c) => ({ ...c, mlp_bias: "yes" }))), /Llama config: "mlp_bias" must be true or false, got "yes"/);
    await assert.rejects(loadModelDir(withConfig("llama", "llama-kv", (c) => ({ ...c, num_key_value_heads: 3 }))), /num_attention_heads \(4\) is not a multiple of num_key_value_heads \(3\)/);
  });
});
