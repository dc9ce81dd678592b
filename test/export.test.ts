// Models trained here go back to Hugging Face's formats, GPT-2's (LayerNorm, learned positions) or
// Llama's (RMSNorm, rotary, gated silu MLP): the directory saveHfModel writes loads back (through the
// family readers checked against PyTorch in pretrained*.test.ts) to the same logits, and, read by
// PyTorch itself (reference/check_hf_export.py: Hugging Face's forward from the fixtures' generator,
// on the exported files), gives the same logits within float32 noise; its character tokenizer reads
// the same in Hugging Face's own tokenizers library; what a family cannot express is refused with
// the reason, before anything is written.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, test } from "node:test";
import { Tokenizer as HfTokenizer } from "@huggingface/tokenizers";
import { main } from "../src/cli/main.js";
import { saveHfModel } from "../src/models/pretrained/export.node.js";
import { type GPTConfigInput, HookedTransformer, loadModelDir, noGrad, processWeights, readSafetensorsFile, saveModelDir, tensor, writeSafetensorsFile } from "../src/node.js";
import { CharTokenizer } from "../src/tokenizers/char.js";
import { loadTokenizer, serializeTokenizer } from "../src/tokenizers/load.js";
import { values } from "./tensor-compare.js";

const tmp = mkdtempSync(join(tmpdir(), "dgpt-export-"));
after(() => rmSync(tmp, { recursive: true, force: true }));
const text = "ROMEO:\nthe king, the king!\n<|endoftext|>JULIET: ay";
const tokens = [[3, 1, 4, 1, 5, 9, 2, 6]];

/** As after training: weights large enough that attention is far from uniform, non-trivial norm weights and biases (b_U left alone). */
function trained(model: HookedTransformer): HookedTransformer {
  noGrad(() => {
    for (const [k, p] of Object.entries(model.stateDict())) {
      if (/\.W_|^embed\./.test(k)) p.copy_(p.mul(15));
      else if (k !== "unembed.b_U" && /\.b(_|$)|ln.*\.w/.test(k)) p.copy_(p.add(tensor(values(p).map((_, i) => 0.1 * Math.sin(i + k.length))).reshape(p.shape)));
    }
  });
  return model;
}

// ---------------------------------------------------------------- PyTorch on the exported files
const CHECK = fileURLToPath(new URL("../reference/check_hf_export.py", import.meta.url));
/** A Python with torch and numpy (CI may have none: the cross-checks then skip, saying why). */
const PYTHON = [process.env.DGPT_PYTHON, "python3", "/usr/bin/python3"].find((py) => py && spawnSync(py, ["-c", "import torch, numpy"], { stdio: "ignore", timeout: 120_000 }).status === 0);
const NO_PYTHON = PYTHON ? false : "no python3 with torch and numpy (tried $DGPT_PYTHON, python3, /usr/bin/python3): the PyTorch check of the exported directory is skipped";

/** Logits of Hugging Face's forward (PyTorch, float64) on the exported directory. */
function pytorchLogits(dir: string, ids: number[][]): { shape: number[]; data: number[] } {
  const r = spawnSync(PYTHON!, [CHECK, dir, JSON.stringify(ids)], { encoding: "utf8", maxBuffer: 64 << 20, timeout: 300_000 });
  assert.equal(r.status, 0, `reference/check_hf_export.py ${dir} failed:\n${r.stderr}`);
  return (JSON.parse(r.stdout) as { logits: { shape: number[]; data: number[] } }).logits;
}

/** Our logits match PyTorch's within float32 noise (1e-5 · max |logit|, as the pretrained fixtures); returns the max error. */
function assertMatchesPytorch(model: HookedTransformer, dir: string, ids: number[][]): number {
  const expected = pytorchLogits(dir, ids);
  const ours = noGrad(() => model.forward(ids));
  assert.deepEqual(ours.shape, expected.shape);
  const err = values(ours).reduce((m, v, i) => Math.max(m, Math.abs(v - expected.data[i])), 0);
  const scale = expected.data.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  assert.ok(scale > 1, `logits too small to tell mappings apart (max ${scale})`);
  assert.ok(err <= 1e-5 * scale + 1e-7, `max |ours − PyTorch| ${err} (max |logit| ${scale})`);
  return err;
}

// ---------------------------------------------------------------- GPT-2
for (const [name, cfg] of [
  ["nanoGPT-style (tied, no biases, exact GELU)", { n_layers: 2, d_model: 16, n_heads: 2, d_vocab: 12, n_ctx: 8, tie_embeddings: true, use_bias: false, act_fn: "gelu", seed: 3 }],
  ["TransformerLens defaults (untied, biases, zero b_U)", { n_layers: 2, d_model: 16, n_heads: 4, d_vocab: 12, n_ctx: 8, seed: 4 }],
] as const) {
  const dir = join(tmp, `gpt2-${cfg.seed}`);
  const model = trained(new HookedTransformer(cfg));
  test(`${name}: exported as GPT-2, it loads back to the same logits`, async () => {
    assert.deepEqual(await saveHfModel(dir, model), ["config.json", "model.safetensors"]);
    const config = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
    assert.equal(config.model_type, "gpt2");
    assert.deepEqual(config.architectures, ["GPT2LMHeadModel"]);
    const { metadata, tensors } = await readSafetensorsFile(join(dir, "model.safetensors"));
    assert.equal(metadata.format, "pt", "transformers expects format=pt");
    assert.deepEqual(tensors.get("transformer.h.0.attn.c_attn.weight")!.shape, [16, 48]);
    assert.equal(tensors.has("lm_head.weight"), !cfg.tie_embeddings);
    const back = await loadModelDir(dir);
    assert.deepEqual(values(back.forward(tokens)), values(model.forward(tokens)));
  });
  test(`${name}: PyTorch reads the GPT-2 export to the same logits`, { skip: NO_PYTHON }, async (t) => {
    await saveHfModel(dir + "-py", model);
    t.diagnostic(`max |ours − PyTorch| = ${assertMatchesPytorch(model, dir + "-py", tokens)}`);
  });
}

// ---------------------------------------------------------------- Llama
const LLAMA_STYLE = { normalization_type: "RMS", positional_embedding_type: "rotary", gated_mlp: true, act_fn: "silu" } as const;
const llamaTokens = [
  [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5],
  [2, 7, 1, 8, 2, 8, 1, 8, 2, 8, 4],
];
const LLAMAS: [string, GPTConfigInput][] = [
  ["grouped-query (4 heads share 2 kv heads), untied, no biases", { ...LLAMA_STYLE, n_layers: 2, d_model: 16, n_heads: 4, n_key_value_heads: 2, d_mlp: 24, d_vocab: 12, n_ctx: 16, use_bias: false, eps: 1e-6, rotary_base: 500, seed: 6 }],
  ["multi-query (1 kv head), tied, d_head 6 ≠ d_model / n_heads", { ...LLAMA_STYLE, n_layers: 2, d_model: 16, n_heads: 4, n_key_value_heads: 1, d_head: 6, d_mlp: 20, d_vocab: 12, n_ctx: 16, use_bias: false, tie_embeddings: true, seed: 7 }],
  ["multi-head, tied, attention and MLP biases", { ...LLAMA_STYLE, n_layers: 2, d_model: 16, n_heads: 2, d_mlp: 24, d_vocab: 12, n_ctx: 16, use_bias: true, tie_embeddings: true, seed: 8 }],
  ["grouped-query, untied, biases and a zero b_U", { ...LLAMA_STYLE, n_layers: 1, d_model: 16, n_heads: 4, n_key_value_heads: 2, d_mlp: 24, d_vocab: 12, n_ctx: 16, use_bias: true, rotary_base: 10000, seed: 9 }],
];
for (const [name, cfg] of LLAMAS) {
  const dir = join(tmp, `llama-${cfg.seed}`);
  const model = trained(new HookedTransformer(cfg));
  const c = model.cfg;
  const g = c.n_key_value_heads ?? c.n_heads;
  test(`${name}: exported as Llama, it loads back to the same logits`, async () => {
    assert.deepEqual(await saveHfModel(dir, model), ["config.json", "model.safetensors"]);
    const config = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
    assert.deepEqual(
      { ...config },
      {
        architectures: ["LlamaForCausalLM"],
        model_type: "llama",
        vocab_size: 12,
        hidden_size: 16,
        intermediate_size: c.d_mlp,
        num_hidden_layers: c.n_layers,
        num_attention_heads: c.n_heads,
        num_key_value_heads: g,
        head_dim: c.d_head,
        hidden_act: "silu",
        max_position_embeddings: 16,
        rms_norm_eps: c.eps,
        rope_theta: c.rotary_base,
        rope_scaling: null,
        attention_bias: c.use_bias,
        mlp_bias: c.use_bias,
        attention_dropout: 0,
        initializer_range: 0.02,
        pretraining_tp: 1,
        tie_word_embeddings: c.tie_embeddings,
        torch_dtype: "float32",
        use_cache: true,
      },
    );
    const { metadata, tensors } = await readSafetensorsFile(join(dir, "model.safetensors"));
    assert.equal(metadata.format, "pt");
    const shape = (n: string) => tensors.get(n)?.shape;
    assert.deepEqual(shape("model.layers.0.self_attn.q_proj.weight"), [c.n_heads * c.d_head, 16]);
    assert.deepEqual(shape("model.layers.0.self_attn.k_proj.weight"), [g * c.d_head, 16]);
    assert.deepEqual(shape("model.layers.0.self_attn.o_proj.weight"), [16, c.n_heads * c.d_head]);
    assert.deepEqual(shape("model.layers.0.mlp.gate_proj.weight"), [c.d_mlp, 16]);
    assert.deepEqual(shape("model.layers.0.mlp.down_proj.weight"), [16, c.d_mlp]);
    assert.deepEqual(shape("model.layers.0.self_attn.v_proj.bias"), c.use_bias ? [g * c.d_head] : undefined);
    assert.deepEqual(shape("model.layers.0.mlp.down_proj.bias"), c.use_bias ? [16] : undefined);
    assert.equal(tensors.has("lm_head.weight"), !c.tie_embeddings);
    assert.equal(tensors.size, 2 + c.n_layers * (9 + (c.use_bias ? 7 : 0)) + (c.tie_embeddings ? 0 : 1), [...tensors.keys()].join(", "));

    const back = await loadModelDir(dir);
    for (const f of ["n_heads", "n_key_value_heads", "d_head", "d_mlp", "eps", "rotary_base", "rotary_dim", "tie_embeddings", "use_bias"] as const) assert.deepEqual(back.cfg[f], c[f], f);
    const ours = values(noGrad(() => model.forward(llamaTokens)));
    const theirs = values(noGrad(() => back.forward(llamaTokens)));
    if (!c.use_bias) assert.deepEqual(theirs, ours);
    else {
      // b_in went into down_proj's bias (b_out + b_in W_out): the same function, summed in another order
      const err = ours.reduce((m, v, i) => Math.max(m, Math.abs(v - theirs[i])), 0);
      assert.ok(err <= 1e-5 * ours.reduce((m, v) => Math.max(m, Math.abs(v)), 0), `max error ${err}`);
    }
  });
  test(`${name}: PyTorch reads the Llama export to the same logits`, { skip: NO_PYTHON }, async (t) => {
    await saveHfModel(dir + "-py", model);
    t.diagnostic(`max |ours − PyTorch| = ${assertMatchesPytorch(model, dir + "-py", llamaTokens)}`);
  });
}

test("Llama export: all-zero biases are left out (a plain Llama); a gate or up bias is refused on loading", async () => {
  const fresh = new HookedTransformer({ ...LLAMA_STYLE, n_layers: 1, d_model: 8, n_heads: 2, d_vocab: 5, n_ctx: 4, use_bias: true, tie_embeddings: true });
  const dir = join(tmp, "llama-zero-bias");
  await saveHfModel(dir, fresh);
  const config = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
  assert.equal(config.attention_bias, false);
  assert.equal(config.mlp_bias, false);
  const { tensors } = await readSafetensorsFile(join(dir, "model.safetensors"));
  assert.ok(![...tensors.keys()].some((n) => n.endsWith(".bias")));
  assert.equal((await loadModelDir(dir)).cfg.use_bias, false);

  // Llama's up_proj bias sits inside silu(gate) ⊙ (up + b): our gated MLP adds b_in after the product
  const upBias = join(tmp, "llama-up-bias");
  await saveHfModel(upBias, trained(new HookedTransformer(LLAMAS[2][1])));
  const file = join(upBias, "model.safetensors");
  const { tensors: ts, metadata } = await readSafetensorsFile(file);
  const up = ts.get("model.layers.0.mlp.up_proj.bias")!;
  ts.set("model.layers.0.mlp.up_proj.bias", { ...up, data: new Float32Array(up.data.length).fill(0.5) });
  await writeSafetensorsFile(file, ts, metadata);
  await assert.rejects(loadModelDir(upBias), /"model\.layers\.0\.mlp\.up_proj\.bias" is not zero, which is not supported/);
});

test("each family refuses what it cannot express, naming the field and what to use, before anything is written", async () => {
  const base = { n_layers: 1, d_model: 8, n_heads: 2, d_vocab: 5, n_ctx: 4 };
  const llama = { ...base, ...LLAMA_STYLE, use_bias: false };
  const refused = async (name: string, model: HookedTransformer, message: RegExp) => {
    await assert.rejects(saveHfModel(join(tmp, name), model), message);
    assert.ok(!existsSync(join(tmp, name)), `${name}: nothing written`);
  };
  const rotaryLN = new HookedTransformer({ ...base, positional_embedding_type: "rotary" });
  await refused("rot", rotaryLN, /cannot write this model as Llama \(LlamaForCausalLM\): normalization_type is "LN"; Llama uses RMSNorm \(normalization_type "RMS"\)/);
  await refused("gated-ln", new HookedTransformer({ ...base, gated_mlp: true, act_fn: "silu" }), /as Llama .*normalization_type is "LN"/);
  await refused("partial", new HookedTransformer({ ...llama, rotary_dim: 2 }), /rotary_dim is 2 < d_head 4 \(partial rotary, as GPT-NeoX\); Llama rotates the whole head \(rotary_dim = d_head\)/);
  await refused("gelu", new HookedTransformer({ ...llama, act_fn: "gelu" }), /act_fn is "gelu"; Llama's gated MLP uses silu \(act_fn "silu"\)/);
  await refused("plain-mlp", new HookedTransformer({ ...llama, gated_mlp: false }), /gated_mlp is false; Llama's MLP is gated/);
  await refused("learned-pos", new HookedTransformer({ ...llama, positional_embedding_type: "standard" }), /positional_embedding_type is "standard"; Llama uses rotary positions/);
  await refused("attn-only", new HookedTransformer({ ...llama, attn_only: true }), /attn_only is set; every Llama block has an MLP/);
  await refused("parallel", new HookedTransformer({ ...llama, parallel_attn_mlp: true }), /parallel_attn_mlp is set; Llama's blocks are sequential/);
  await refused("unscaled", new HookedTransformer({ ...llama, use_attn_scale: false }), /the attention scale is 1 .*Llama divides scores by √d_head = 2/);
  await refused("scale", new HookedTransformer({ ...llama, attn_scale: 3 }), /the attention scale is 3 .*Llama divides scores by √d_head = 2/);
  await refused("local", new HookedTransformer({ ...llama, attn_types: ["local"], window_size: 2 }), /attn_types has local \(sliding-window\) layers; Llama attends globally/);
  const llamaBU = new HookedTransformer({ ...llama, use_bias: true });
  noGrad(() => llamaBU.unembed.b_U!.copy_(tensor([0, 1, 0, 0, 0])));
  await refused("llama-bu", llamaBU, /as Llama .*unembed\.b_U is not constant \(from 0 to 1\); Llama's lm_head has no bias/);
  const processed = processWeights(trained(new HookedTransformer(llama)));
  assert.equal(processed.cfg.normalization_type, "RMSPre");
  await refused("rmspre", processed, /normalization_type is "RMSPre": processWeights folded the RMSNorm weights .*export the model before processing \(fromPretrainedNoProcessing, or \{ processing: false \}\)/);

  await refused("lnpre", processWeights(trained(new HookedTransformer(base))), /cannot write this model as GPT-2 \(GPT2LMHeadModel\): normalization_type is "LNPre": processWeights folded/);
  await refused("sinusoidal", new HookedTransformer({ ...base, positional_embedding_type: "sinusoidal" }), /as GPT-2 .*its positions are sinusoidal; GPT-2 learns absolute positions/);
  await refused("gpt2-gqa", new HookedTransformer({ ...base, n_heads: 4, n_key_value_heads: 2 }), /as GPT-2 .*n_key_value_heads is 2 < n_heads 4/);
  const biased = new HookedTransformer(base);
  noGrad(() => biased.unembed.b_U!.copy_(tensor([0, 1, 0, 0, 0])));
  await refused("bu", biased, /as GPT-2 .*unembed\.b_U is not constant \(from 0 to 1\); GPT-2's lm_head has no bias/);
  await refused("neither", new HookedTransformer({ ...base, normalization_type: null, positional_embedding_type: "sinusoidal" }), /fit neither family \(GPT-2 needs LayerNorm .*; Llama needs RMSNorm/);
});

test("a character tokenizer becomes a tokenizer.json that Hugging Face's tokenizers reads the same way", () => {
  const tok = CharTokenizer.fromText(text.replace("<|endoftext|>", ""), { unk: true, specialTokens: ["<|endoftext|>"] });
  const json = tok.toHfJSON();
  const hf = new HfTokenizer(json, {});
  const ids = tok.encode(text);
  assert.deepEqual(hf.encode(text).ids, ids);
  assert.equal(hf.decode(ids), text);
  const back = loadTokenizer(JSON.stringify(json));
  assert.equal(back.kind, "char");
  assert.deepEqual(back.encode(text), ids);
  assert.deepEqual(back.encode("é"), [tok.tokenToId("<unk>")]);
});

/** Runs the CLI, returning its exit code and what it printed (stdout lines, stderr text). */
async function cli(args: string[]): Promise<{ code: number; log: string[]; err: string }> {
  const log: string[] = [];
  let err = "";
  const [out, error] = [console.log, console.error];
  console.log = (...a: unknown[]) => void log.push(a.join(" "));
  console.error = (...a: unknown[]) => void (err += a.join(" "));
  try {
    return { code: await main(args), log, err };
  } finally {
    [console.log, console.error] = [out, error];
  }
}

for (const [family, arch, cfg] of [
  ["GPT-2", "GPT2LMHeadModel", { tie_embeddings: true, use_bias: false }],
  ["Llama", "LlamaForCausalLM", { ...LLAMA_STYLE, n_key_value_heads: 1, use_bias: false }],
] as const) {
  test(`dgpt export writes a ${family} directory that every command reads, and does not replace one`, async () => {
    const src = join(tmp, `trained-${family}`);
    const tok = CharTokenizer.fromText(text.replace("<|endoftext|>", ""), { specialTokens: ["<|endoftext|>"] });
    const model = trained(new HookedTransformer({ n_layers: 1, d_model: 16, n_heads: 2, d_vocab: tok.vocabSize, n_ctx: 16, seed: 5, ...cfg }));
    await saveModelDir(src, model);
    writeFileSync(join(src, "tokenizer.json"), serializeTokenizer(tok));
    const out = join(tmp, `hf-${family}`);
    const exported = await cli(["export", "--model", src, "--out", out]);
    assert.equal(exported.code, 0, exported.err);
    assert.equal(exported.log[0], `wrote ${out} as ${family} (${arch}): config.json, model.safetensors, tokenizer.json, tokenizer_config.json`);
    const eot = tok.specialTokens["<|endoftext|>"];
    const config = JSON.parse(readFileSync(join(out, "config.json"), "utf8"));
    assert.deepEqual([config.architectures, config.bos_token_id, config.eos_token_id], [[arch], eot, eot]);
    const tokConfig = JSON.parse(readFileSync(join(out, "tokenizer_config.json"), "utf8"));
    assert.deepEqual([tokConfig.bos_token, tokConfig.eos_token], ["<|endoftext|>", "<|endoftext|>"]);
    // a Hugging Face directory gets its BOS in front, as TransformerLens's to_tokens puts it; the
    // model trained here never saw one, so compare without it
    const [a, b] = [await cli(["logits", "--model", out, "--text", "the king", "--no-prepend-bos"]), await cli(["logits", "--model", src, "--text", "the king"])];
    assert.equal(a.code, 0, a.err);
    assert.ok(a.log.length > 0);
    assert.deepEqual(a.log, b.log, "the exported directory gives the same tokens and logits");
    const again = await cli(["export", "--model", src, "--out", out]);
    assert.equal(again.code, 1);
    assert.match(again.err, /--out .* already holds .*; add --overwrite to replace it/);
  });
}

test("dgpt export refuses a model its family cannot express, saying why, and writes nothing", async () => {
  const src = join(tmp, "partial-rotary");
  await saveModelDir(src, new HookedTransformer({ n_layers: 1, d_model: 16, n_heads: 2, d_vocab: 7, n_ctx: 8, ...LLAMA_STYLE, rotary_dim: 4 }));
  const out = join(tmp, "hf-partial");
  const r = await cli(["export", "--model", src, "--out", out]);
  assert.equal(r.code, 1);
  assert.match(r.err, /--model .*partial-rotary: cannot write this model as Llama \(LlamaForCausalLM\): rotary_dim is 4 < d_head 8/);
  assert.ok(!existsSync(out));
});
