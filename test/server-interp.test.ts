// The interpretability endpoints over real HTTP on loopback: each answer must hold the numbers
// the library gives on the same model (checked against independent computations where there is
// one: the forward pass's logits, the hook's own activation), and each bad request a 400/404 that
// names what was wrong.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { HookedTransformer } from "../src/models/gpt/model.js";
import { hookShape } from "../src/models/gpt/hook-shapes.js";
import { generate } from "../src/models/gpt/generate.js";
import { headDetectorScores } from "../src/interp/attention.js";
import { patternStats } from "../src/interp/attention-stats.js";
import { directLogitAttribution } from "../src/interp/dla.js";
import { logitLens } from "../src/interp/lens.js";
import { logitDiffMetric } from "../src/interp/patching-core.js";
import { patchHeadsAllPos, patchResidComponent } from "../src/interp/patching.js";
import { generateSteered } from "../src/steer/steer.js";
import { SparseAutoencoder } from "../src/sae/sae.js";
import { steerGenerations } from "../src/sae/steer.js";
import { actAddVector } from "../src/steer/vectors.js";
import { Generator } from "../src/tensor/random.js";
import { CharTokenizer } from "../src/tokenizers/char.js";
import type { Tokenizer } from "../src/tokenizers/types.js";
import { createServer, type Server } from "../src/server/app.js";
import { ModelRegistry } from "../src/server/models.js";

// 19 characters and one special token, the BOS: 20 ids, the model's d_vocab
const tok: Tokenizer = new CharTokenizer([..." abcdefghijklmnopqr"], { specialTokens: ["<|endoftext|>"] });
tok.bosTokenId = 19;
const BOS = 19;
const model = new HookedTransformer({ n_layers: 2, d_model: 16, n_heads: 2, d_vocab: 20, n_ctx: 16, d_mlp: 24, seed: 3 });
// long context, attention only: a cache too large to answer is refused before any run
const long = new HookedTransformer({ n_layers: 1, d_model: 8, n_heads: 2, d_vocab: 20, n_ctx: 1024, attn_only: true, seed: 1 });
model.eval();
long.eval();
const ids = (text: string) => [BOS, ...tok.encode(text)];

let server: Server;
let base: string;

before(async () => {
  const models: Record<string, HookedTransformer> = { tiny: model, long };
  const registry = new ModelRegistry({ load: async (dir, id) => ({ id, dir, model: models[id], tokenizer: id === "tiny" ? tok : null, chat: null }) });
  await registry.add("-", "tiny");
  await registry.add("-", "long");
  server = await createServer({ registry, log: null });
  await server.app.listen({ host: "127.0.0.1", port: 0 });
  const addr = server.app.server.address() as { port: number };
  base = `http://127.0.0.1:${addr.port}`;
});
after(() => server.shutdown(100));

/** An answer's JSON, read loosely: the tests check its values against the library's, not its static type. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Answer = Record<string, any>;

async function post(path: string, body: unknown): Promise<{ status: number; json: Answer }> {
  const res = await fetch(`${base}/v1/interp/${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Answer };
}

/** Expects a 4xx whose message matches `re`. */
async function refused(path: string, body: unknown, status: number, re: RegExp): Promise<void> {
  const { status: got, json } = await post(path, body);
  assert.equal(got, status, JSON.stringify(json));
  assert.match(json.error.message, re);
}

function assertClose(actual: number, expected: number, what: string, tol = 1e-5): void {
  assert.ok(Math.abs(actual - expected) <= tol * (1 + Math.abs(expected)), `${what}: ${actual} vs ${expected}`);
}

function flat(v: unknown, out: number[] = []): number[] {
  if (Array.isArray(v)) for (const x of v) flat(x, out);
  else out.push(v as number);
  return out;
}

/** The last position's logits of a forward pass, as numbers. */
const lastLogits = (tokens: number[]) => Array.from(model.forward([tokens]).select(0, 0).select(0, tokens.length - 1).dataSync(), Number);

describe("hookShape", () => {
  test("gives every hook point's shape before the run, and null for those the architecture never runs", () => {
    const variants = [{}, { positional_embedding_type: "rotary", n_key_value_heads: 1, gated_mlp: true, normalization_type: "RMS" }, { attn_only: true }, { parallel_attn_mlp: true, positional_embedding_type: "sinusoidal" }];
    for (const extra of variants) {
      const m = new HookedTransformer({ n_layers: 1, d_model: 8, n_heads: 2, d_vocab: 10, n_ctx: 8, d_mlp: 12, ...extra } as never);
      const { cache } = m.runWithCache([[1, 2, 3]], { namesFilter: () => true });
      for (const name of m.hookPoints().keys()) {
        assert.deepEqual(hookShape(m.cfg, name, 1, 3), cache.has(name) ? cache.get(name).shape : null, `${name} with ${JSON.stringify(extra)}`);
      }
    }
  });
});

describe("POST /v1/interp/run_with_cache", () => {
  const names = ["blocks.0.hook_resid_pre", "blocks.1.attn.hook_pattern", "blocks.1.mlp.hook_post"];
  test("answers the activations of the named hooks, with the BOS in front of a text prompt", async () => {
    const { status, json } = await post("run_with_cache", { model: "tiny", prompt: "abca", names });
    assert.equal(status, 200, JSON.stringify(json));
    assert.deepEqual(json.tokens, ids("abca"));
    assert.deepEqual(json.pieces, ["<|endoftext|>", "a", "b", "c", "a"]);
    const { cache } = model.runWithCache([ids("abca")], { namesFilter: names });
    for (const name of names) {
      assert.deepEqual(json.cache[name].shape, cache.get(name).shape);
      assert.equal(json.cache[name].dtype, "float32");
      assert.deepEqual(flat(json.cache[name].data), Array.from(cache.get(name).dataSync(), Number), name);
    }
    // the residual stream at layer 0 is the embedding plus the position embedding
    const { cache: emb } = model.runWithCache([ids("abca")], { namesFilter: ["hook_embed", "hook_pos_embed"] });
    const sum = emb.get("hook_embed").add(emb.get("hook_pos_embed")).dataSync();
    flat(json.cache[names[0]].data).forEach((v, i) => assertClose(v, sum[i], "resid_pre = embed + pos_embed"));
  });

  test("base64 is the little-endian float32 bytes of the same values", async () => {
    const [a, b] = await Promise.all([post("run_with_cache", { model: "tiny", tokens: [3, 1, 4, 1, 5], names, encoding: "base64" }), post("run_with_cache", { model: "tiny", tokens: [3, 1, 4, 1, 5], names })]);
    assert.equal(a.status, 200, JSON.stringify(a.json));
    for (const name of names) {
      const bytes = Buffer.from(a.json.cache[name].data, "base64");
      const decoded = Array.from({ length: bytes.length / 4 }, (_, i) => bytes.readFloatLE(i * 4));
      assert.deepEqual(decoded, flat(b.json.cache[name].data).map((v) => Math.fround(v)), name);
      assert.deepEqual(a.json.cache[name].shape, b.json.cache[name].shape);
    }
  });

  test("refuses unknown hook names, hooks that never run, and caches over the limit", async () => {
    await refused("run_with_cache", { model: "tiny", prompt: "ab", names: ["blocks.0.hook_resid_pre", "blocks.0.hook_resid_pree"] }, 400, /names\[1\]: unknown hook point "blocks\.0\.hook_resid_pree"; did you mean "blocks\.0\.hook_resid_pre"/);
    await refused("run_with_cache", { model: "long", tokens: [1, 2], names: ["blocks.0.hook_mlp_out"] }, 400, /names\[0\]: .*"blocks\.0\.hook_mlp_out" but never runs it/);
    const tokens = new Array(1024).fill(1);
    const big = ["blocks.0.attn.hook_pattern", "blocks.0.attn.hook_attn_scores"]; // 2 × (1, 2, 1024, 1024): 4,194,304 floats
    await refused("run_with_cache", { model: "long", tokens, names: big }, 400, /holds 4,194,304 floats .*more than the 2,097,152 .*"json"/);
    const ok = await post("run_with_cache", { model: "long", tokens, names: big.slice(0, 1), encoding: "base64" });
    assert.equal(ok.status, 200);
    assert.equal(Buffer.from(ok.json.cache[big[0]].data, "base64").length, 4 * 2 * 1024 * 1024);
  });
});

describe("POST /v1/interp/attention", () => {
  test("patterns are the hook's, scores the head detector's, stats the pattern statistics", async () => {
    const tokens = ids("abcabc");
    const { status, json } = await post("attention", { model: "tiny", tokens, layers: [1] });
    assert.equal(status, 200, JSON.stringify(json));
    assert.deepEqual(json.layers.map((l: { layer: number }) => l.layer), [1]);
    const pattern = model.runWithCache([tokens], { namesFilter: ["blocks.1.attn.hook_pattern"] }).cache.get("blocks.1.attn.hook_pattern").select(0, 0).toArray() as number[][][];
    const scores = headDetectorScores(model, tokens);
    for (const h of [0, 1]) {
      const head = json.layers[0].heads[h];
      assert.deepEqual(head.pattern, pattern[h]);
      for (const name of ["previous_token_head", "duplicate_token_head", "induction_head"] as const) assertClose(head.scores[name], scores[name][1][h], name);
      assert.deepEqual(head.stats, patternStats(pattern[h]));
    }
  });

  test("a layer out of range is a 400 naming it", async () => {
    await refused("attention", { model: "tiny", prompt: "ab", layers: [0, 2] }, 400, /layers\[1\]: layer 2 is out of range: the model has layers 0 to 1/);
  });
});

describe("POST /v1/interp/logit_lens", () => {
  test("is logitLens's result, and its last layer reads the model's own output", async () => {
    const tokens = ids("hello");
    const { status, json } = await post("logit_lens", { model: "tiny", tokens, k: 3 });
    assert.equal(status, 200, JSON.stringify(json));
    const r = JSON.parse(JSON.stringify(logitLens(model, tokens, { k: 3 }))) as Record<string, unknown>;
    for (const key of ["labels", "targets", "topTokens", "targetRank"]) assert.deepEqual(json[key], r[key], key);
    for (const key of ["topProbs", "targetProb", "kl", "meanKl"]) flat(json[key]).forEach((v, i) => (v === null ? assert.equal(flat(r[key])[i], null) : assertClose(v, flat(r[key])[i], key)));
    const logits = lastLogits(tokens);
    assert.equal(json.topTokens.at(-1).at(-1)[0], logits.indexOf(Math.max(...logits)));
    assert.equal(json.topText.at(-1).at(-1)[0], tok.idToToken(json.topTokens.at(-1).at(-1)[0]));
  });

  test("types are not coerced", async () => {
    await refused("logit_lens", { model: "tiny", prompt: "ab", k: "3" }, 400, /k must be integer/);
    await refused("logit_lens", { model: "tiny", tokens: [1, 2.5] }, 400, /tokens\/1|tokens\.1 must be integer/);
  });
});

describe("POST /v1/interp/dla", () => {
  test("is directLogitAttribution's result; the parts add up to the model's logit", async () => {
    const tokens = ids("abcab");
    const { status, json } = await post("dla", { model: "tiny", tokens, target: "c", incorrect: 5 });
    assert.equal(status, 200, JSON.stringify(json));
    const c = tok.encode("c")[0];
    const r = directLogitAttribution(model, tokens, { target: c, incorrect: 5 });
    assert.equal(json.target, c);
    assert.equal(json.targetText, "c");
    assert.deepEqual(json.components.labels, r.components.labels);
    assert.deepEqual(json.heads.labels, r.heads.labels);
    json.components.values.forEach((v: number, i: number) => assertClose(v, r.components.values[i], json.components.labels[i]));
    json.heads.values.forEach((v: number, i: number) => assertClose(v, r.heads.values[i], json.heads.labels[i]));
    const logits = lastLogits(tokens);
    assertClose(json.logit, logits[c] - logits[5], "logit difference", 1e-4);
    assertClose(json.constant + json.components.values.reduce((a: number, b: number) => a + b, 0), json.logit, "sum of the parts", 1e-4);
  });

  test("a target that is no single token, or out of range, is a 400", async () => {
    await refused("dla", { model: "tiny", prompt: "ab", target: "abc" }, 400, /target: "abc" is 3 tokens, not one/);
    await refused("dla", { model: "tiny", prompt: "ab", target: 20 }, 400, /target\[0\]: token id 20 is outside this model's vocabulary \[0, 20\)/);
    await refused("dla", { model: "tiny", prompt: "ab", pos: 3 }, 400, /pos: 3 is outside the prompt's 3 positions/);
  });
});

describe("POST /v1/interp/patching", () => {
  // the prompts differ at one position (3): patching the residual stream there restores the clean run
  const clean = "abcab";
  const corrupted = "abdab";
  const metric = { type: "logit_diff", correct: "c", incorrect: "d" };
  test("resid_pre is patchResidComponent's grid; patching layer 0 where the prompts differ restores the clean run", async () => {
    const { status, json } = await post("patching", { model: "tiny", clean, corrupted, metric, what: "resid_pre" });
    assert.equal(status, 200, JSON.stringify(json));
    const [c, d] = [tok.encode("c")[0], tok.encode("d")[0]];
    const r = patchResidComponent(model, { clean: [ids(clean)], corrupted: [ids(corrupted)], metric: logitDiffMetric(c, d), component: "resid_pre" });
    flat(json.result.values).forEach((v, i) => assertClose(v, flat(r.values)[i], "values"));
    flat(json.result.normalized).forEach((v, i) => assertClose(v, flat(r.normalized)[i], "normalized"));
    const logits = lastLogits(ids(clean));
    assertClose(json.result.clean, logits[c] - logits[d], "clean metric", 1e-4);
    assertClose(json.result.normalized[0][3], 1, "layer 0 at the differing position", 1e-4);
    assertClose(json.result.normalized[0][1], 0, "layer 0 where nothing differs", 1e-4);
    assert.deepEqual(json.columns.labels, ["<|endoftext|>", "a", "b", "c/d", "a", "b"]);
  });

  test("heads is patchHeadsAllPos's grid; the logit metric reads the model's logit", async () => {
    const { status, json } = await post("patching", { model: "tiny", clean: ids(clean), corrupted: ids(corrupted), metric: { type: "logit", token: 3 }, what: "heads", direction: "noise" });
    assert.equal(status, 200, JSON.stringify(json));
    const m = (logits: import("../src/tensor/tensor.js").Tensor) => logits.select(1, -1 + logits.shape[1]).select(1, 3).mean();
    const r = patchHeadsAllPos(model, { clean: [ids(clean)], corrupted: [ids(corrupted)], metric: m, direction: "noise" });
    flat(json.result.values).forEach((v, i) => assertClose(v, flat(r.values)[i], "values"));
    assertClose(json.result.corrupted, lastLogits(ids(corrupted))[3], "corrupted metric", 1e-4);
    assert.deepEqual(json.columns.labels, ["H0", "H1"]);
  });

  test("prompts of different lengths, a metric without its tokens, mlp_out of an attention-only model: 400", async () => {
    await refused("patching", { model: "tiny", clean: "abc", corrupted: "ab", metric, what: "heads" }, 400, /the clean prompt has 4 tokens and the corrupted one 3/);
    await refused("patching", { model: "tiny", clean, corrupted, metric: { type: "logit_diff", correct: "c" }, what: "heads" }, 400, /metric: type "logit_diff" needs "incorrect"/);
    await refused("patching", { model: "long", clean: [1, 2], corrupted: [1, 3], metric: { type: "prob", token: 1 }, what: "mlp_out" }, 400, /attention-only/);
    await refused("patching", { model: "tiny", clean, corrupted, metric, what: "everything" }, 400, /what must be equal to one of the allowed values/);
  });
});

describe("POST /v1/interp/steer", () => {
  test("a vector with coefficient 0 generates what the model generates unsteered", async () => {
    const { status, json } = await post("steer", { model: "tiny", prompt: "ab", steering: [{ layer: 1, coefficient: 0, vector: new Array(16).fill(1) }], max_tokens: 5, temperature: 0 });
    assert.equal(status, 200, JSON.stringify(json));
    const plain = generate(model, ids("ab"), { maxNewTokens: 5, temperature: 0 });
    assert.deepEqual(json.tokens, plain);
    assert.equal(json.text, tok.decode(plain));
  });

  test("ActAdd from a pair, with compare: the library's steered and unsteered generations from the same seed", async () => {
    const { status, json } = await post("steer", { model: "tiny", prompt: "ab", steering: [{ layer: 1, coefficient: 50, pair: { positive: "hop", negative: "c" } }], max_tokens: 100, seed: 7, compare: true });
    assert.equal(status, 200, JSON.stringify(json));
    assert.equal(json.max_tokens, 16 - 3); // clamped to the context left after the prompt
    const vector = actAddVector(model, ids("hop"), ids("c"), 1, { padToken: tok.encode(" ")[0] });
    const opts = { maxNewTokens: 13, temperature: 1 };
    const steered = generateSteered(model, ids("ab"), { kind: "add", layer: 1, coef: 50, vector }, { ...opts, generator: new Generator(7) });
    const unsteered = generateSteered(model, ids("ab"), null, { ...opts, generator: new Generator(7) });
    assert.deepEqual(json.tokens, steered);
    assert.deepEqual(json.unsteered_tokens, unsteered);
    assert.notDeepEqual(steered, unsteered, "a coefficient of 50 changes the generation");
    assert.equal(json.steering[0].positions, 4);
  });

  test("a layer out of range, a vector of the wrong length, neither vector nor pair: 400", async () => {
    await refused("steer", { model: "tiny", prompt: "ab", steering: [{ layer: 2, coefficient: 1, vector: [1] }] }, 400, /steering\[0\]\.layer: layer 2 is out of range/);
    await refused("steer", { model: "tiny", prompt: "ab", steering: [{ layer: 0, coefficient: 1, vector: [1, 2] }] }, 400, /steering\[0\]\.vector: 2 numbers, but the model's d_model is 16/);
    await refused("steer", { model: "tiny", prompt: "ab", steering: [{ layer: 0, coefficient: 1 }] }, 400, /give either "vector" .* not neither/);
  });
});

describe("POST /v1/interp/feature_steer", () => {
  const sae = new SparseAutoencoder({ d_in: 16, d_sae: 32, hook_name: "blocks.1.hook_resid_pre", seed: 2 });
  before(() => server.registry.saes.set("l1", sae));

  test("the library's generations with and without the latent pushed, from the same seed", async () => {
    const body = { model: "tiny", prompt: "abc", sae: "l1", latent: 5, mode: "add", value: 6, max_tokens: 6, temperature: 0.8, seed: 4 };
    const { status, json } = await post("feature_steer", body);
    assert.equal(status, 200, JSON.stringify(json));
    const lib = steerGenerations(model, sae, ids("abc"), { latent: 5, mode: "add", value: 6 }, { maxNewTokens: 6, temperature: 0.8, seed: 4 });
    assert.deepEqual(json.steered.tokens, lib.after);
    assert.deepEqual(json.unsteered.tokens, lib.before);
    assert.equal(json.hook, "blocks.1.hook_resid_pre");
    const zero = await post("feature_steer", { ...body, value: 0 });
    assert.deepEqual(zero.json.steered.tokens, zero.json.unsteered.tokens, "adding 0 changes nothing");
  });

  test("an unknown SAE 404, a latent out of range or add without a value 400, an SAE of another width 400", async () => {
    await refused("feature_steer", { model: "tiny", prompt: "a", sae: "nope", latent: 0, value: 1 }, 404, /no SAE "nope" is loaded \(loaded: l1/);
    await refused("feature_steer", { model: "tiny", prompt: "a", sae: "l1", latent: 32, value: 1 }, 400, /latent 32 is out of range \[0, 32\)/);
    await refused("feature_steer", { model: "tiny", prompt: "a", sae: "l1", latent: 0 }, 400, /add needs a finite value/);
    server.registry.saes.set("wide", new SparseAutoencoder({ d_in: 8, d_sae: 4, hook_name: "blocks.0.hook_resid_pre" }));
    await refused("feature_steer", { model: "tiny", prompt: "a", sae: "wide", latent: 0, value: 1 }, 400, /reads 8 numbers at blocks.0.hook_resid_pre, but the model "tiny" has 16/);
  });
});

describe("every endpoint", () => {
  test("runs between the decode steps of a generation going on, and answers the same numbers", async () => {
    const completion = fetch(`${base}/v1/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "tiny", prompt: "ab", max_tokens: 12, temperature: 0 }) });
    const [lens, alone] = [await post("logit_lens", { model: "tiny", prompt: "abc", k: 2 }), await completion];
    assert.equal(alone.status, 200);
    assert.equal(((await alone.json()) as Answer).choices[0].text, tok.decode(generate(model, tok.encode("ab"), { maxNewTokens: 12, temperature: 0 })));
    assert.deepEqual(lens.json.topTokens, logitLens(model, ids("abc"), { k: 2 }).topTokens);
  });

  test("unknown model 404, missing prompt, prompt and tokens both, too long, out-of-vocabulary: 400", async () => {
    await refused("logit_lens", { model: "nope", prompt: "ab" }, 404, /the model "nope" does not exist/);
    await refused("logit_lens", { model: "tiny" }, 400, /give the prompt as "prompt" \(text\) or as "tokens"/);
    await refused("logit_lens", { model: "tiny", prompt: "a", tokens: [1] }, 400, /not both/);
    await refused("attention", { model: "tiny", prompt: "abcdefghijklmnopq" }, 400, /maximum context length is 16 tokens, but the prompt has 18/);
    await refused("dla", { model: "tiny", tokens: [1, 25] }, 400, /tokens\[1\]: token id 25 is outside/);
    await refused("dla", { model: "tiny", prompt: "xyz" }, 400, /prompt: the character "x"|prompt: the .* is not in this model's vocabulary/);
    await refused("logit_lens", { model: "long", prompt: "ab" }, 400, /has no tokenizer/);
  });
});
