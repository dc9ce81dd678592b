// Named recipes for `dgpt train --preset NAME`: a model config (without d_vocab, which comes
// from the tokenizer), a training config, and the data and tokenizer they were made for.
import type { GPTConfigInput } from "../models/gpt/config.js";
import { NANOGPT_CPU_TRAIN, type TrainConfig } from "./trainer.js";

export interface Preset {
  description: string;
  /** Wall time of the whole run on a 2-core laptop-class CPU, as measured (shown by `dgpt train --help`). */
  expectedTime: string;
  model: Omit<GPTConfigInput, "d_vocab" | "n_ctx"> & { n_ctx?: number };
  train: TrainConfig;
  data: string;
  tokenizer: "char" | "gpt2" | "word";
}

export const PRESETS: Record<string, Preset> = {
  "nanogpt-cpu": {
    description: "nanoGPT's shakespeare_char CPU recipe (val loss ≈ 1.88)",
    expectedTime: "about 1.5 minutes",
    model: { n_layers: 4, n_heads: 4, d_model: 128, act_fn: "gelu", tie_embeddings: true, use_bias: false, dropout: 0 },
    train: NANOGPT_CPU_TRAIN,
    data: "tinyshakespeare",
    tokenizer: "char",
  },
  tinystories: {
    description: "a tiny TinyStories-style model with the GPT-2 tokenizer (its embeddings are most of its parameters)",
    expectedTime: "about 80 minutes",
    model: { n_layers: 4, n_heads: 4, d_model: 128, act_fn: "gelu_new", tie_embeddings: true, use_bias: true, dropout: 0 },
    train: { ...NANOGPT_CPU_TRAIN, blockSize: 128, batchSize: 16, maxIters: 3000, lrDecayIters: 3000, lr: 2e-3, minLr: 2e-4 },
    data: "tinystories",
    tokenizer: "gpt2",
  },
  "char-small": {
    description: "the nanogpt-cpu model trained briefly at a higher learning rate: a recognisable Shakespeare-like sample",
    expectedTime: "about 30 seconds",
    model: { n_layers: 4, n_heads: 4, d_model: 128, act_fn: "gelu", tie_embeddings: true, use_bias: false },
    train: { ...NANOGPT_CPU_TRAIN, maxIters: 600, lrDecayIters: 600, warmupIters: 60, lr: 2e-3, minLr: 2e-4, evalInterval: 200 },
    data: "tinyshakespeare",
    tokenizer: "char",
  },
};
