// Models trained here go back to Hugging Face's GPT-2 format: the directory saveHfModel writes
// loads back (through the GPT-2 reader checked against PyTorch in pretrained.test.ts) to the
// same logits, its character tokenizer reads the same in Hugging Face's own tokenizers library,
// and what GPT-2 cannot express is refused with the reason.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { Tokenizer as HfTokenizer } from "@huggingface/tokenizers";
import { main } from "../src/cli/main.js";
import { saveHfModel } from "../src/models/pretrained/export.node.js";
import { HookedTransformer, loadModelDir, noGrad, readSafetensorsFile, saveModelDir, tensor } from "../src/node.js";
import { CharTokenizer } from "../src/tokenizers/char.js";
import { loadTokenizer, serializeTokenizer } from "../src/tokenizers/load.js";
import { values } from "./tensor-compare.js";

const tmp = mkdtempSync(join(tmpdir(), "dgpt-export-"));
after(() => rmSync(tmp, { recursive: true, force: true }));
const text = "ROMEO:\nthe king, the king!\n<|endoftext|>JULIET: ay";
const tokens = [[3, 1, 4, 1, 5, 9, 2, 6]];

for (const [name, cfg] of [
  ["nanoGPT-style (tied, no biases, exact GELU)", { n_layers: 2, d_model: 16, n_heads: 2, d_vocab: 12, n_ctx: 8, tie_embeddings: true, use_bias: false, act_fn: "gelu", seed: 3 }],
  ["TransformerLens defaults (untied, biases, zero b_U)", { n_layers: 2, d_model: 16, n_heads: 4, d_vocab: 12, n_ctx: 8, seed: 4 }],
] as const) {
  test(`${name}: exported as GPT-2, it loads back to the same logits`, async () => {
    const model = new HookedTransformer(cfg);
    // non-trivial biases and norms (initialised to 0 and 1), as after training
    noGrad(() => {
      for (const [k, p] of Object.entries(model.stateDict())) if (k !== "unembed.b_U" && /\.b(_|$)|ln.*\.w/.test(k)) p.copy_(p.add(tensor(values(p).map((_, i) => 0.1 * Math.sin(i + k.length))).reshape(p.shape)));
    });
    const dir = join(tmp, `gpt2-${cfg.seed}`);
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
}

test("what GPT-2 cannot express is refused before anything is written", async () => {
  const rotary = new HookedTransformer({ n_layers: 1, d_model: 8, n_heads: 2, d_vocab: 5, n_ctx: 4, positional_embedding_type: "rotary" });
  await assert.rejects(saveHfModel(join(tmp, "rot"), rotary), /cannot write this model as GPT-2: its positions are rotary; GPT-2 learns absolute positions/);
  assert.ok(!existsSync(join(tmp, "rot")));
  const biased = new HookedTransformer({ n_layers: 1, d_model: 8, n_heads: 2, d_vocab: 5, n_ctx: 4 });
  noGrad(() => biased.unembed.b_U!.copy_(tensor([0, 1, 0, 0, 0])));
  await assert.rejects(saveHfModel(join(tmp, "bu"), biased), /unembed\.b_U is not constant \(from 0 to 1\); GPT-2's lm_head has no bias/);
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

test("dgpt export writes a directory that every command reads, and does not replace one", async () => {
  const src = join(tmp, "trained");
  const tok = CharTokenizer.fromText(text);
  const model = new HookedTransformer({ n_layers: 1, d_model: 16, n_heads: 2, d_vocab: tok.vocabSize, n_ctx: 16, tie_embeddings: true, use_bias: false, seed: 5 });
  await saveModelDir(src, model);
  writeFileSync(join(src, "tokenizer.json"), serializeTokenizer(tok));
  const out = join(tmp, "hf");
  const log: string[] = [];
  const orig = console.log;
  console.log = (...a: unknown[]) => void log.push(a.join(" "));
  try {
    assert.equal(await main(["export", "--model", src, "--out", out]), 0);
    assert.equal(await main(["logits", "--model", out, "--text", "the king"]), 0);
    assert.equal(await main(["logits", "--model", src, "--text", "the king"]), 0);
  } finally {
    console.log = orig;
  }
  assert.match(log[0], /wrote .*hf: config\.json, model\.safetensors, tokenizer\.json, tokenizer_config\.json/);
  assert.equal(log[2], log[3], "the exported directory gives the same tokens and logits");
  const err = console.error;
  let said = "";
  console.error = (...a: unknown[]) => void (said += a.join(" "));
  try {
    assert.equal(await main(["export", "--model", src, "--out", out]), 1);
  } finally {
    console.error = err;
  }
  assert.match(said, /--out .*hf already holds .*; add --overwrite to replace it/);
});
