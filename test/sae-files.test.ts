// SAE folders in SAELens's layout: our round trip for every architecture (an input scale folded
// into the weights), folders written the way SAELens 6 and SAELens ≤ 5 write them, and bad files.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { noGrad, randn, tensor, tidy, type Tensor } from "../src/node.js";
import { saveSafetensors } from "../src/io/checkpoint.node.js";
import { loadSae, saveSae } from "../src/sae/files.node.js";
import { SparseAutoencoder, type SaeArchitecture } from "../src/sae/sae.js";

const root = mkdtempSync(join(tmpdir(), "dgpt-sae-files-"));
after(() => rmSync(root, { recursive: true, force: true }));
const arr = (t: Tensor) => Array.from(t.dataSync() as Float32Array);
const maxDiff = (a: Tensor, b: Tensor) => tidy(() => a.sub(b).abs().max().item());

function randomSae(architecture: SaeArchitecture): SparseAutoencoder {
  const sae = new SparseAutoencoder({ d_in: 6, d_sae: 12, architecture, k: architecture === "topk" ? 4 : undefined, hook_name: "blocks.1.hook_resid_post", hook_layer: 1, model_name: "tiny", context_size: 32, seed: 5 });
  noGrad(() => {
    sae.W_enc.copy_(randn([6, 12]));
    sae.b_enc.copy_(randn([12]).mul(0.1));
    sae.b_dec.copy_(randn([6]).mul(0.1));
    sae.log_threshold?.fill_(Math.log(0.2));
    sae.b_mag?.copy_(randn([12]).mul(0.1));
    sae.r_mag?.copy_(randn([12]).mul(0.1));
  });
  return sae;
}

describe("SAELens folders", () => {
  for (const architecture of ["standard", "topk", "jumprelu", "gated"] as const) {
    test(`${architecture}: save → load gives the same SAE, the input scale folded into the weights`, async () => {
      const sae = randomSae(architecture);
      sae.scalingFactor = 1.7; // normalize_activations = expected_average_only_in, fitted
      const dir = join(root, architecture);
      await saveSae(dir, sae);
      const back = await loadSae(dir);
      assert.equal(back.scalingFactor, 1, "folded");
      const cfg = JSON.parse(readFileSync(join(dir, "cfg.json"), "utf8"));
      assert.equal(cfg.normalize_activations, "none");
      assert.equal(cfg.metadata.hook_name, "blocks.1.hook_resid_post");
      assert.equal(cfg.hook_name, "blocks.1.hook_resid_post", "the top-level field older SAELens reads");
      assert.deepEqual([back.cfg.architecture, back.cfg.k, back.cfg.hook_layer, back.cfg.model_name, back.cfg.context_size], [architecture, sae.cfg.k, 1, "tiny", 32]);
      const x = randn([5, 6]);
      assert.ok(maxDiff(back.forward(x), sae.forward(x)) < 1e-5, "x̂");
      assert.ok(maxDiff(back.encode(x), sae.encode(x)) < 1e-5, "f");
    });
  }

  test("a folder as SAELens 6 writes it (metadata block, JumpReLU threshold)", async () => {
    const dir = join(root, "saelens6");
    await mkdir(dir, { recursive: true });
    const cfg = { architecture: "jumprelu", d_in: 4, d_sae: 8, dtype: "float32", device: "cpu", apply_b_dec_to_input: true, normalize_activations: "none", reshape_activations: "none", metadata: { sae_lens_version: "6.18.0", model_name: "gpt2", hook_name: "blocks.8.hook_resid_pre", hook_head_index: null, prepend_bos: true, context_size: 128 } };
    writeFileSync(join(dir, "cfg.json"), JSON.stringify(cfg));
    const W_enc = randn([4, 8]);
    const W_dec = randn([8, 4]);
    await saveSafetensors(join(dir, "sae_weights.safetensors"), { W_enc, W_dec, b_enc: tensor(new Array(8).fill(0.1)), b_dec: tensor([0.1, 0.2, 0.3, 0.4]), threshold: tensor(new Array(8).fill(0.5)) });
    const sae = await loadSae(dir);
    assert.deepEqual([sae.cfg.hook_name, sae.cfg.hook_layer, sae.cfg.model_name], ["blocks.8.hook_resid_pre", 8, "gpt2"]);
    const x = randn([3, 4]);
    // by hand: π = (x − b_dec) W_enc + b_enc, f = π·[π > 0.5], x̂ = f W_dec + b_dec
    const pre = x.sub(tensor([0.1, 0.2, 0.3, 0.4])).matmul(W_enc).add(0.1);
    const f = pre.mul(pre.gt(0.5).to("float32"));
    assert.ok(maxDiff(sae.encode(x), f) < 1e-5);
    assert.ok(maxDiff(sae.forward(x), f.matmul(W_dec).add(tensor([0.1, 0.2, 0.3, 0.4]))) < 1e-5);
  });

  test("a folder as SAELens ≤ 5 writes it: top-level hook fields, TopK as activation_fn_str", async () => {
    const dir = join(root, "saelens5");
    await mkdir(dir, { recursive: true });
    writeFileSync(join(dir, "cfg.json"), JSON.stringify({ architecture: "standard", d_in: 4, d_sae: 8, activation_fn_str: "topk", activation_fn_kwargs: { k: 2 }, apply_b_dec_to_input: false, hook_name: "blocks.0.hook_mlp_out", hook_layer: 0, model_name: "tiny-stories-1M", normalize_activations: "none", context_size: 64 }));
    await saveSafetensors(join(dir, "sae_weights.safetensors"), { W_enc: randn([4, 8]), W_dec: randn([8, 4]), b_enc: randn([8]), b_dec: randn([4]) });
    const sae = await loadSae(dir);
    assert.deepEqual([sae.cfg.architecture, sae.cfg.k, sae.cfg.apply_b_dec_to_input, sae.cfg.hook_name], ["topk", 2, false, "blocks.0.hook_mlp_out"]);
    const active = arr(sae.encode(randn([10, 4])).gt(0).to("float32").sum(-1));
    assert.ok(active.every((n) => n <= 2));
    // the first SAELens versions: hook_point
    writeFileSync(join(dir, "cfg.json"), JSON.stringify({ d_in: 4, d_sae: 8, hook_point: "blocks.3.hook_resid_pre", hook_point_layer: 3 }));
    await saveSafetensors(join(dir, "sae_weights.safetensors"), { W_enc: randn([4, 8]), W_dec: randn([8, 4]), b_enc: randn([8]), b_dec: randn([4]) });
    const old = await loadSae(dir);
    assert.deepEqual([old.cfg.architecture, old.cfg.hook_name, old.cfg.hook_layer], ["standard", "blocks.3.hook_resid_pre", 3]);
  });

  test("bad folders: clear errors naming the file and field", async () => {
    const dir = join(root, "bad");
    await mkdir(dir, { recursive: true });
    await assert.rejects(loadSae(dir), /is not an SAE folder: it has no cfg.json/);
    const write = async (cfg: object, tensors: Record<string, Tensor>) => {
      writeFileSync(join(dir, "cfg.json"), JSON.stringify(cfg));
      await saveSafetensors(join(dir, "sae_weights.safetensors"), tensors);
    };
    const ok = { W_enc: randn([4, 8]), W_dec: randn([8, 4]), b_enc: randn([8]), b_dec: randn([4]) };
    await write({ d_in: 4, d_sae: 8, architecture: "matryoshka_batchtopk" }, ok);
    await assert.rejects(loadSae(dir), /architecture "matryoshka_batchtopk" is not supported \(supported: standard, topk, jumprelu, gated\)/);
    await write({ d_in: 4, d_sae: 9 }, ok);
    await assert.rejects(loadSae(dir), /"W_enc" has shape \[4,8\], but d_in = 4 and d_sae = 9 need \[4,9\]/);
    await write({ d_in: 4, d_sae: 8, architecture: "jumprelu" }, ok);
    await assert.rejects(loadSae(dir), /no tensor "threshold"/);
    await write({ d_in: "4", d_sae: 8 }, ok);
    await assert.rejects(loadSae(dir), /cfg.json: SAE config: d_in must be a positive integer/);
    await write({ d_in: 4, d_sae: 8, normalize_activations: "layer_norm" }, ok);
    await assert.rejects(loadSae(dir), /normalize_activations "layer_norm"/);
    writeFileSync(join(dir, "cfg.json"), "{ not json");
    await assert.rejects(loadSae(dir), /cfg.json/);
    writeFileSync(join(dir, "cfg.json"), JSON.stringify({ d_in: 4, d_sae: 8 }));
    writeFileSync(join(dir, "sae_weights.safetensors"), new Uint8Array([1, 2, 3]));
    await assert.rejects(loadSae(dir), /sae_weights.safetensors/);
  });
});
