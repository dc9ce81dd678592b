// Hugging Face GPT-2 checkpoints (local directories) onto HookedTransformer: the fixtures of
// reference/gen_pretrained_fixtures.py (Hugging Face's names, layouts and forward, computed in
// PyTorch) in each of their forms (names with and without "transformer.", sharded, F16, BF16),
// the CLI on such a directory, fromPretrained, and bad checkpoints with their errors.
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { after, describe, test } from "node:test";
import { main } from "../src/cli/main.js";
import { type Tensor, fromPretrained, loadModelDir, noGrad, readSafetensorsFile, writeSafetensorsFile } from "../src/node.js";
import { values } from "./tensor-compare.js";

const GPT2 = fileURLToPath(new URL("../fixtures/pretrained/gpt2/", import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), "dgpt-pretrained-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

interface Enc {
  shape: number[];
  data: number[];
}
interface Expected {
  tokens: number[][];
  logits: Enc;
  loss: number;
  activations?: Record<string, Enc>;
}
const readExpected = (dir: string): Expected => JSON.parse(readFileSync(join(dir, "expected.json"), "utf8")) as Expected;

/** max |actual − expected|, after checking the shape. */
function maxError(actual: Tensor | number[], expected: Enc, what: string): number {
  if (!Array.isArray(actual)) assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  const a = Array.isArray(actual) ? actual : values(actual);
  assert.equal(a.length, expected.data.length, `${what}: size`);
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - expected.data[i])), 0);
}

/** Within float32 noise: |error| ≤ 1e-5 · max|expected| (the expected numbers are float64 from the same float32 weights). */
function assertClose(actual: Tensor | number[], expected: Enc, what: string): number {
  const err = maxError(actual, expected, what);
  const scale = expected.data.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  assert.ok(err <= 1e-5 * scale + 1e-7, `${what}: max abs error ${err} (scale ${scale})`);
  return err;
}

/** A copy of a fixture variant's files (not its subfolders) in a fresh folder, to break or change. */
function copyOf(variant: string, name: string): string {
  const root = resolve(GPT2, variant);
  const dir = join(tmp, name);
  cpSync(root, dir, { recursive: true, filter: (src) => resolve(src) === root || !statSync(src).isDirectory() });
  return dir;
}
function editConfig(dir: string, edit: (c: Record<string, unknown>) => Record<string, unknown>): void {
  const path = join(dir, "config.json");
  writeFileSync(path, JSON.stringify(edit(JSON.parse(readFileSync(path, "utf8")))));
}

// ---------------------------------------------------------------- the fixtures, every variant
const VARIANTS: [string, string][] = [
  ["", "transformer.* names, model.safetensors"],
  ["no-prefix", "names without transformer. (openai-community/gpt2's file), causal-mask buffers"],
  ["sharded", "model.safetensors.index.json + 2 shards"],
  ["f16", "F16 weights"],
  ["bf16", "BF16 weights"],
];

describe("Hugging Face GPT-2 checkpoints (fixtures/pretrained/gpt2, reference/gen_pretrained_fixtures.py)", () => {
  for (const [variant, what] of VARIANTS) {
    test(`${variant || "gpt2"} (${what}): logits, loss and cached activations match Hugging Face's forward`, async (t) => {
      const dir = join(GPT2, variant);
      // f16/bf16 carry the numbers of their rounded weights; the others share the parent's
      const expected = readExpected(variant === "f16" || variant === "bf16" ? dir : GPT2);
      const model = await loadModelDir(dir);
      assert.equal(model.cfg.tie_embeddings, true);
      assert.equal(model.cfg.act_fn, "gelu_new");
      const acts = readExpected(GPT2).activations!;
      const names = expected.activations ? Object.keys(acts) : [];
      const { logits, cache } = model.runWithCache(expected.tokens, { namesFilter: names });
      const err = assertClose(logits, expected.logits, "logits");
      t.diagnostic(`max abs logit error ${err.toExponential(2)}`);
      for (const name of names) assertClose(cache.get(name)!, expected.activations![name], name);
      const loss = noGrad(() => model.loss(expected.tokens).item());
      assert.ok(Math.abs(loss - expected.loss) <= 1e-5 * expected.loss, `loss ${loss} vs ${expected.loss}`);
    });
  }

  test("an untied head (tie_word_embeddings: false) reads lm_head.weight as W_Uᵀ", async () => {
    const dir = copyOf("", "untied");
    const config = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
    writeFileSync(join(dir, "config.json"), JSON.stringify({ ...config, tie_word_embeddings: false }));
    const { tensors } = await readSafetensorsFile(join(dir, "model.safetensors"));
    tensors.set("lm_head.weight", tensors.get("transformer.wte.weight")!); // same numbers, stored apart
    await writeSafetensorsFile(join(dir, "model.safetensors"), tensors);
    const model = await loadModelDir(dir);
    assert.equal(model.cfg.tie_embeddings, false);
    const expected = readExpected(GPT2);
    assertClose(noGrad(() => model.forward(expected.tokens)), expected.logits, "logits");
  });

  test("fromPretrained loads a local directory; other names go to the hub cache (test/hub.test.ts)", async () => {
    const expected = readExpected(GPT2);
    const raw = await fromPretrained(GPT2, { processing: false });
    assertClose(noGrad(() => raw.forward(expected.tokens)), expected.logits, "logits");
    // by default processed, as TransformerLens's from_pretrained: other logits, the same log-probabilities
    const processed = await fromPretrained(GPT2);
    assert.equal(processed.cfg.normalization_type, "LNPre");
    const lp = (m: typeof raw) => values(noGrad(() => m.forward(expected.tokens).logSoftmax(-1)));
    const [a, b] = [lp(raw), lp(processed)];
    assert.ok(a.every((v, i) => Math.abs(v - b[i]) < 5e-5), "processed log-probabilities equal the raw ones");
    const cacheDir = mkdtempSync(join(tmpdir(), "dgpt-empty-cache-"));
    try {
      await assert.rejects(fromPretrained("gpt2-small", { offline: true, cacheDir }), /gpt2 is not in the cache \(.*models--gpt2\), and offline mode is on, so it cannot be downloaded$/);
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
    }
    await assert.rejects(fromPretrained("./no-such-model"), /no such directory: \.\/no-such-model/);
    await assert.rejects(fromPretrained(join(GPT2, "config.json")), /is a file; pass the model's directory/);
  });
});

// ---------------------------------------------------------------- the CLI
/** Runs dgpt, capturing what it prints (console, and strings written to stdout; the test runner's own binary writes pass). */
async function dgpt(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const orig = { log: console.log, error: console.error, write: process.stdout.write };
  console.log = (...a: unknown[]) => void (out += a.join(" ") + "\n");
  console.error = (...a: unknown[]) => void (err += a.join(" ") + "\n");
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
    if (typeof chunk !== "string") return orig.write.call(process.stdout, chunk, ...rest);
    out += chunk;
    return true;
  }) as typeof process.stdout.write;
  try {
    return { code: await main(argv), out, err };
  } finally {
    Object.assign(console, { log: orig.log, error: orig.error });
    process.stdout.write = orig.write;
  }
}

describe("dgpt on a Hugging Face GPT-2 directory", () => {
  test("logits --tokens: the logits of Hugging Face's forward", async () => {
    const expected = readExpected(GPT2);
    const row = expected.tokens[0];
    const r = await dgpt("logits", "--model", GPT2, "--tokens", row.join(","));
    assert.equal(r.code, 0, r.err);
    const printed = JSON.parse(r.out) as { tokens: number[]; logits: number[][] };
    assert.deepEqual(printed.tokens, row);
    const v = expected.logits.shape[2];
    const first = { shape: [row.length, v], data: expected.logits.data.slice(0, row.length * v) }; // batch row 0
    assertClose(printed.logits.flat(), first, "printed logits");
  });

  test("--text uses the directory's vocab.json + merges.txt, with GPT-2's BOS in front (--no-prepend-bos: without)", async () => {
    const vocab = JSON.parse(readFileSync(join(GPT2, "vocab.json"), "utf8")) as Record<string, number>;
    const r = await dgpt("logits", "--model", GPT2, "--text", "hello the dog", "--top", "1");
    assert.equal(r.code, 0, r.err);
    // <|endoftext|> first, as TransformerLens's to_tokens; then whole words the merges build, each
    // with its leading space as GPT-2's "Ġ"
    assert.deepEqual(JSON.parse(r.out).tokens, [vocab["<|endoftext|>"], vocab["hello"], vocab["Ġthe"], vocab["Ġdog"]]);
    const plain = await dgpt("logits", "--model", GPT2, "--text", "hello the dog", "--top", "1", "--no-prepend-bos");
    assert.deepEqual(JSON.parse(plain.out).tokens, [vocab["hello"], vocab["Ġthe"], vocab["Ġdog"]]);
    const g = await dgpt("generate", "--model", GPT2, "--prompt", "hello", "--max-tokens", "4", "--temperature", "0");
    assert.equal(g.code, 0, g.err);
    assert.match(g.out, /^hello/);
  });

  test("--model with a hub name that is not cached, offline: says so", async () => {
    const saved = { cache: process.env.HF_HUB_CACHE, offline: process.env.HF_HUB_OFFLINE };
    process.env.HF_HUB_CACHE = mkdtempSync(join(tmpdir(), "dgpt-empty-cache-"));
    process.env.HF_HUB_OFFLINE = "1";
    try {
      const r = await dgpt("logits", "--model", "openai-community/gpt2", "--tokens", "1");
      assert.equal(r.code, 1);
      assert.match(r.err, /--model openai-community\/gpt2: openai-community\/gpt2 is not in the cache \(.*\), and HF_HUB_OFFLINE is set/);
    } finally {
      rmSync(process.env.HF_HUB_CACHE, { recursive: true, force: true });
      for (const [k, v] of [["HF_HUB_CACHE", saved.cache], ["HF_HUB_OFFLINE", saved.offline]] as const) if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
});

// ---------------------------------------------------------------- bad checkpoints
describe("bad Hugging Face checkpoints fail clearly", () => {
  test("an unknown architecture is named, with the supported list", async () => {
    const dir = copyOf("", "gptj");
    editConfig(dir, (c) => ({ ...c, model_type: "gptj", architectures: ["GPTJForCausalLM"] }));
    await assert.rejects(loadModelDir(dir), /config\.json: architecture "GPTJForCausalLM" is not supported \(supported: GPT2LMHeadModel, GPT2Model, GPTNeoForCausalLM/);
    editConfig(dir, ({ architectures: _a, ...c }) => ({ ...c, model_type: "mamba" }));
    await assert.rejects(loadModelDir(dir), /model_type "mamba" is not supported \(supported: gpt2, gpt_neo/);
    const r = await dgpt("logits", "--model", dir, "--tokens", "1,2");
    assert.equal(r.code, 1);
    assert.match(r.err, /model_type "mamba" is not supported/);
  });

  test("a missing shard is named", async () => {
    const dir = copyOf("sharded", "sharded");
    unlinkSync(join(dir, "model-00002-of-00002.safetensors"));
    await assert.rejects(loadModelDir(dir), /model\.safetensors\.index\.json: shard model-00002-of-00002\.safetensors is missing/);
  });

  test("a tensor of the wrong shape is named with both shapes", async () => {
    const dir = copyOf("", "short-ctx");
    editConfig(dir, (c) => ({ ...c, n_positions: 16 }));
    await assert.rejects(loadModelDir(dir), /tensor "transformer\.wpe\.weight" has shape \[32,32\], but this config needs \[16,32\]/);
  });

  test("a missing or unexpected tensor is named", async () => {
    const dir = copyOf("", "missing");
    const path = join(dir, "model.safetensors");
    const { tensors } = await readSafetensorsFile(path);
    const bias = tensors.get("transformer.h.1.mlp.c_fc.bias")!;
    tensors.delete("transformer.h.1.mlp.c_fc.bias");
    await writeSafetensorsFile(path, tensors);
    await assert.rejects(loadModelDir(dir), /the weights lack "h\.1\.mlp\.c_fc\.bias"/);
    tensors.set("transformer.h.1.mlp.c_fc.bias", bias);
    tensors.set("score.weight", bias);
    await writeSafetensorsFile(path, tensors);
    await assert.rejects(loadModelDir(dir), /tensor\(s\) "score\.weight" are not part of a gpt2 model/);
  });

  test("options our attention does not compute are refused, not ignored", async () => {
    const dir = copyOf("", "options");
    editConfig(dir, (c) => ({ ...c, scale_attn_by_inverse_layer_idx: true }));
    await assert.rejects(loadModelDir(dir), /scale_attn_by_inverse_layer_idx = true is not supported/);
    editConfig(dir, (c) => ({ ...c, scale_attn_by_inverse_layer_idx: false, activation_function: "quick_gelu" }));
    await assert.rejects(loadModelDir(dir), /activation_function "quick_gelu" is not supported \(supported: gelu_new/);
  });

  test("no weights, or a pytorch_model.bin that is not a checkpoint, is said so", async () => {
    const dir = copyOf("", "no-weights");
    unlinkSync(join(dir, "model.safetensors"));
    await assert.rejects(loadModelDir(dir), /has no weights: expected model\.safetensors, model\.safetensors\.index\.json, pytorch_model\.bin or pytorch_model\.bin\.index\.json/);
    writeFileSync(join(dir, "pytorch_model.bin"), "");
    await assert.rejects(loadModelDir(dir), /pytorch_model\.bin: not a ZIP archive/);
  });
});
