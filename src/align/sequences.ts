// Prompt + completion pairs as a batch, and the log-probability a model gives each completion.
// Every alignment method here is built on this one quantity:
//
//   log π(y | x) = Σ_t log π(y_t | x, y_<t)     summed over the completion's tokens only
//
// (DPO compares it between policy and reference; PPO uses it per token; a reward model reads the
// last token's state instead). Sequences of different lengths are right-padded into one
// (batch, T) tensor; a mask marks which predicted positions belong to a completion.
import { tensor } from "../tensor/creation.js";
import type { Tensor } from "../tensor/tensor.js";
import type { HookedTransformer } from "../models/gpt/model.js";

/** One sequence: the prompt's token ids, then the completion's. */
export interface PromptCompletion {
  prompt: readonly number[];
  completion: readonly number[];
}

export interface SequenceBatch {
  /** (batch, T) token ids, right-padded with `pad`. */
  tokens: Tensor;
  /** (batch, T − 1) float32: 1 where the token predicted at that position (tokens[:, t + 1]) is a completion token. */
  completionMask: Tensor;
  /** (batch, T − 1, 1) int32: the next token at every position (the targets), pads as 0. */
  targets: Tensor;
  /** Each row's length without padding. */
  lengths: number[];
  /** Each row's prompt length. */
  promptLengths: number[];
}

/**
 * Packs sequences into one right-padded batch. A sequence longer than the model's context keeps
 * its last n_ctx tokens (the prompt is cut from the left), and must keep at least one prompt token
 * and one completion token.
 */
export function packSequences(seqs: readonly PromptCompletion[], nCtx: number, pad = 0): SequenceBatch {
  if (seqs.length === 0) throw new Error("packSequences: no sequences");
  const rows: number[][] = [];
  const promptLengths: number[] = [];
  seqs.forEach((s, i) => {
    if (s.prompt.length === 0) throw new Error(`packSequences: sequence ${i} has an empty prompt (a completion is predicted from at least one token before it)`);
    if (s.completion.length === 0) throw new Error(`packSequences: sequence ${i} has an empty completion`);
    if (s.completion.length >= nCtx) throw new Error(`packSequences: sequence ${i}'s completion has ${s.completion.length} tokens; with a prompt token it must fit the context of ${nCtx}`);
    const keep = Math.min(s.prompt.length, nCtx - s.completion.length);
    rows.push([...s.prompt.slice(s.prompt.length - keep), ...s.completion]);
    promptLengths.push(keep);
  });
  const T = Math.max(...rows.map((r) => r.length));
  const B = rows.length;
  const ids = new Int32Array(B * T).fill(pad);
  const mask = new Float32Array(B * (T - 1));
  const targets = new Int32Array(B * (T - 1));
  rows.forEach((r, b) => {
    ids.set(r, b * T);
    for (let t = 0; t + 1 < r.length; t++) {
      targets[b * (T - 1) + t] = r[t + 1];
      // position t predicts token t + 1, which is a completion token when t + 1 ≥ prompt length
      if (t + 1 >= promptLengths[b]) mask[b * (T - 1) + t] = 1;
    }
  });
  return {
    tokens: tensor(ids, { shape: [B, T], dtype: "int32" }),
    completionMask: tensor(mask, { shape: [B, T - 1] }),
    targets: tensor(targets, { shape: [B, T - 1, 1], dtype: "int32" }),
    lengths: rows.map((r) => r.length),
    promptLengths,
  };
}

/**
 * log π(y_t | x, y_<t) for every predicted position: (batch, T − 1), zero outside completions.
 * Differentiable (call it under noGrad for a frozen reference model).
 */
export function tokenLogprobs(model: HookedTransformer, batch: SequenceBatch): Tensor {
  const T = batch.tokens.shape[1];
  const logits = model.forward(batch.tokens).narrow(1, 0, T - 1); // (B, T − 1, V): position t predicts t + 1
  const logp = logits.logSoftmax(-1).gather(2, batch.targets).squeeze(2); // (B, T − 1)
  return logp.mul(batch.completionMask);
}

/** log π(y | x) per sequence: the completion's token log-probabilities summed, (batch,). */
export function sequenceLogprobs(model: HookedTransformer, batch: SequenceBatch): Tensor {
  return tokenLogprobs(model, batch).sum(1);
}
