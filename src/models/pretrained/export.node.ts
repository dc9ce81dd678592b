// Node-only: a model trained here written as a Hugging Face model directory that `transformers`
// loads without code (AutoModelForCausalLM / AutoTokenizer.from_pretrained(dir)):
//   config.json            the family's config (hf-export.ts picks it: GPT-2's for LayerNorm +
//                          learned positions, Llama's for RMSNorm + rotary + gated silu MLP), with
//                          bos_token_id / eos_token_id when the tokenizer has such tokens
//   model.safetensors      the family's parameter names and layouts; metadata {"format": "pt"},
//                          which transformers expects of a safetensors checkpoint
//   tokenizer.json         Hugging Face's format (a BPE tokenizer as it is; a character tokenizer
//                          as a merge-less BPE over its characters), with tokenizer_config.json
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { saveSafetensors } from "../../io/checkpoint.node.js";
import { writeFileAtomic } from "../../io/files.node.js";
import type { Tokenizer } from "../../tokenizers/types.js";
import type { HookedTransformer } from "../gpt/model.js";
import { bosEosTokens, hfExportFamily, hfTokenizerJson } from "./hf-export.js";

const json = (o: unknown) => new TextEncoder().encode(JSON.stringify(o, null, 2) + "\n");

/**
 * Writes `model` (and its tokenizer) to `dir` as a Hugging Face directory of its family (GPT-2 or
 * Llama, as hfExportFamily picks it); returns the files written. What the family cannot express
 * is refused before anything is written.
 */
export async function saveHfModel(dir: string, model: HookedTransformer, tokenizer: Tokenizer | null = null): Promise<string[]> {
  const family = hfExportFamily(model); // throws, naming the family and the reason, when no family can express the model
  const tensors = family.stateDict(model);
  const tokJson = tokenizer ? hfTokenizerJson(tokenizer) : null;
  if (tokenizer && !tokJson) throw new Error(`the ${tokenizer.kind} tokenizer has no Hugging Face tokenizer.json form (BPE and character tokenizers do)`);
  const { bos, eos } = bosEosTokens(tokenizer);
  const special = { ...(bos ? { bos_token_id: bos[1] } : {}), ...(eos ? { eos_token_id: eos[1] } : {}) };
  await mkdir(dir, { recursive: true });
  const written = ["config.json", "model.safetensors"];
  await writeFileAtomic(join(dir, "config.json"), json(family.configJson(model, special)));
  await saveSafetensors(join(dir, "model.safetensors"), tensors, { format: "pt" });
  if (tokJson) {
    await writeFileAtomic(join(dir, "tokenizer.json"), json(tokJson));
    // the generic fast tokenizer reads tokenizer.json as it is (GPT2TokenizerFast would add its own options)
    await writeFileAtomic(join(dir, "tokenizer_config.json"), json({ tokenizer_class: "PreTrainedTokenizerFast", model_max_length: model.cfg.n_ctx, ...(bos ? { bos_token: bos[0] } : {}), ...(eos ? { eos_token: eos[0] } : {}) }));
    written.push("tokenizer.json", "tokenizer_config.json");
  }
  return written;
}
