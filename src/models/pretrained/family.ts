// What a model family (GPT-2, later GPT-Neo, GPT-NeoX, Llama) supplies to load its Hugging Face
// checkpoints onto HookedTransformer: its config mapping and its weight mapping.
import type { GPTConfig, GPTConfigInput } from "../gpt/config.js";
import type { Tensor } from "../../tensor/tensor.js";

/** One tensor of the checkpoint: the shape it must have and the parameters of ours it becomes. */
export interface WeightRule {
  shape: number[];
  /** Our state-dict name → value (made from the checkpoint's tensor `w`). */
  convert: (w: Tensor) => [string, Tensor][];
  /** Set when the tensor goes unchanged into this one parameter: the loader then writes its numbers straight in. */
  copyTo?: string;
}

export interface PretrainedFamily {
  /** config.json's model_type, e.g. "gpt2". */
  modelType: string;
  /** config.json's "architectures" entries it loads, e.g. GPT2LMHeadModel. */
  architectures: string[];
  /** The BOS and EOS tokens of the family's Hugging Face tokenizer class, for a folder whose
   * tokenizer_config.json / special_tokens_map.json do not name them (GPT2TokenizerFast:
   * "<|endoftext|>" for both; LlamaTokenizerFast: "<s>" and "</s>"). */
  specialTokens: { bos: string; eos: string };
  /** Our GPTConfig from config.json. */
  config(hf: Record<string, unknown>): GPTConfigInput;
  /** Every weight the checkpoint must hold (by canonical name) and how it maps onto ours (`hf`: config.json, for what GPTConfig does not say). */
  weightRules(cfg: GPTConfig, hf?: Record<string, unknown>): Map<string, WeightRule>;
  /** The checkpoint's name of a tensor as weightRules names it (e.g. without a "transformer." prefix). */
  canonicalName(name: string): string;
  /** Tensors a checkpoint may hold that are not weights, or that repeat one (never read). */
  skip(canonicalName: string, cfg: GPTConfig): boolean;
}
