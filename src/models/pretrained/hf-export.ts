// Which Hugging Face family a model trained here is written as (export.node.ts writes it):
//   GPT-2 (GPT2LMHeadModel)   LayerNorm + learned absolute positions + a plain MLP
//   Llama (LlamaForCausalLM)  RMSNorm + rotary positions + a gated silu MLP (SwiGLU)
// A model that has any Llama trait (RMSNorm, rotary positions, a gated MLP) is Llama's to write,
// one with LayerNorm or learned positions GPT-2's; the chosen family then refuses, with the reason,
// what it cannot express (e.g. LayerNorm with rotary positions: Llama's, refused for its norm).
// Browser-safe.
import type { Tensor } from "../../tensor/tensor.js";
import { BpeTokenizer } from "../../tokenizers/bpe.js";
import { CharTokenizer } from "../../tokenizers/char.js";
import { SentencePieceBpeTokenizer } from "../../tokenizers/sentencepiece.js";
import type { Tokenizer } from "../../tokenizers/types.js";
import type { HookedTransformer } from "../gpt/model.js";
import { gpt2ConfigJson, gpt2ExportProblem, gpt2StateDict } from "./gpt2-export.js";
import { llamaConfigJson, llamaExportProblem, llamaStateDict } from "./llama-export.js";

export interface SpecialTokenIds {
  bos_token_id?: number;
  eos_token_id?: number;
}

export interface HfExportFamily {
  /** "GPT-2", "Llama". */
  name: string;
  architecture: string;
  /** What a model needs to be written as this family, for messages. */
  requirements: string;
  /** Why the model cannot be written as this family, or null. */
  problem(model: HookedTransformer): string | null;
  configJson(model: HookedTransformer, special?: SpecialTokenIds): Record<string, unknown>;
  stateDict(model: HookedTransformer): Record<string, Tensor>;
}

export const GPT2_EXPORT: HfExportFamily = {
  name: "GPT-2",
  architecture: "GPT2LMHeadModel",
  requirements: 'GPT-2 needs LayerNorm (normalization_type "LN"), learned positions (positional_embedding_type "standard") and a plain MLP',
  problem: gpt2ExportProblem,
  configJson: gpt2ConfigJson,
  stateDict: gpt2StateDict,
};

export const LLAMA_EXPORT: HfExportFamily = {
  name: "Llama",
  architecture: "LlamaForCausalLM",
  requirements: 'Llama needs RMSNorm (normalization_type "RMS"), rotary positions over the whole head (positional_embedding_type "rotary") and a gated silu MLP (gated_mlp true, act_fn "silu")',
  problem: llamaExportProblem,
  configJson: llamaConfigJson,
  stateDict: llamaStateDict,
};

export const EXPORT_FAMILIES: HfExportFamily[] = [GPT2_EXPORT, LLAMA_EXPORT];

/** The family this model would be written as, or null when it has the traits of neither. */
export function hfExportFamilyOf(model: HookedTransformer): HfExportFamily | null {
  const c = model.cfg;
  const norm = c.normalization_type;
  if (norm === "RMS" || norm === "RMSPre" || c.positional_embedding_type === "rotary" || c.gated_mlp) return LLAMA_EXPORT;
  if (norm === "LN" || norm === "LNPre" || c.positional_embedding_type === "standard") return GPT2_EXPORT;
  return null;
}

/** Why this model cannot be written as a Hugging Face model (naming the family it would be), or null. */
export function hfExportProblem(model: HookedTransformer): string | null {
  const family = hfExportFamilyOf(model);
  const c = model.cfg;
  if (!family) {
    return `cannot write this model as a Hugging Face model: its normalization is ${JSON.stringify(c.normalization_type)} and its positions "${c.positional_embedding_type}", which fit neither family (${GPT2_EXPORT.requirements}; ${LLAMA_EXPORT.requirements})`;
  }
  const problem = family.problem(model);
  return problem ? `cannot write this model as ${family.name} (${family.architecture}): ${problem}` : null;
}

/** The family to write this model as; throws hfExportProblem's message when there is none. */
export function hfExportFamily(model: HookedTransformer): HfExportFamily {
  const problem = hfExportProblem(model);
  if (problem) throw new Error(problem);
  return hfExportFamilyOf(model)!;
}

/** Beginning- and end-of-text tokens, by the names the common tokenizers give them. */
const BOS_NAMES = ["<|begin_of_text|>", "<s>", "<|endoftext|>"];
const EOS_NAMES = ["<|end_of_text|>", "</s>", "<|endoftext|>"];

/** The tokenizer's beginning- and end-of-text tokens (text and id), those it has. */
export function bosEosTokens(tokenizer: Tokenizer | null): { bos?: [string, number]; eos?: [string, number] } {
  const specials = tokenizer?.specialTokens ?? {};
  const find = (names: string[]): [string, number] | undefined => {
    const name = names.find((n) => specials[n] !== undefined);
    return name === undefined ? undefined : [name, specials[name]];
  };
  return { bos: find(BOS_NAMES), eos: find(EOS_NAMES) };
}

/** The tokenizer in Hugging Face's tokenizer.json form, or null when it has none (a word tokenizer). */
export function hfTokenizerJson(tok: Tokenizer): Record<string, unknown> | null {
  if (tok instanceof BpeTokenizer || tok instanceof SentencePieceBpeTokenizer) return tok.toJSON();
  if (tok instanceof CharTokenizer) return tok.toHfJSON();
  return null;
}
