// A scored rollout ("experience"): the sampled completions with everything RL needs about each
// token, measured once after sampling and frozen for the update that follows:
//
//   log π_old(y_t | s_t)   the policy that sampled (recomputed teacher-forced, as TRL does)
//   log π_ref(y_t | s_t)   the frozen reference (the SFT model)
//   V_old(s_t)             the value head, when there is one
//   r(x, y)                the reward of the whole completion (a reward model, or a rule on the text)
//
// Per-token quantities are kept per row, one number per completion token; rowsToPositions and
// positionsToRows move them to and from the (batch, T − 1) layout of a packed batch, where
// completion token j of row b is predicted at position promptLength_b − 1 + j.
import { noGrad } from "../tensor/autograd.js";
import { tensor } from "../tensor/creation.js";
import { tidy } from "../tensor/scope.js";
import type { Tensor } from "../tensor/tensor.js";
import type { HookedTransformer } from "../models/gpt/model.js";
import { packSequences, type PromptCompletion, type SequenceBatch } from "./sequences.js";
import { logprobsAndEntropy, completionValues, PolicyWithValueHead } from "./value-head.js";
import type { Rollout } from "./rollout.js";

/** Scores whole completions: one number per sample, higher is better. */
export type RewardFn = (samples: readonly PromptCompletion[]) => ArrayLike<number>;

export interface Experience {
  samples: PromptCompletion[];
  logprobs: Float64Array[];
  refLogprobs: Float64Array[];
  /** V_old per completion token; null without a value head. */
  values: Float64Array[] | null;
  /** r(x, y) per sample. */
  scores: Float64Array;
  /** Mean per-token entropy of π_old over the batch's completion tokens (nats). */
  entropy: number;
}

/** Per-row arrays (one number per completion token) → a (b, T − 1) float32 tensor, zero elsewhere. */
export function rowsToPositions(rows: readonly ArrayLike<number>[], batch: SequenceBatch): Tensor {
  const T1 = batch.tokens.shape[1] - 1;
  const out = new Float32Array(rows.length * T1);
  rows.forEach((r, b) => {
    const start = batch.promptLengths[b] - 1;
    for (let j = 0; j < r.length; j++) out[b * T1 + start + j] = r[j];
  });
  return tensor(out, { shape: [rows.length, T1] });
}

/** A (b, T − 1) array → per-row arrays over each row's completion tokens. */
export function positionsToRows(x: ArrayLike<number>, batch: SequenceBatch): Float64Array[] {
  const T1 = batch.tokens.shape[1] - 1;
  return batch.lengths.map((len, b) => {
    const n = len - batch.promptLengths[b];
    const start = b * T1 + batch.promptLengths[b] - 1;
    return Float64Array.from({ length: n }, (_, j) => x[start + j]);
  });
}

/** Rollout samples as prompt + completion pairs (each must fit the context: sampleRollout checks it). */
export function rolloutSamples(r: Rollout): PromptCompletion[] {
  return r.prompts.map((prompt, i) => ({ prompt, completion: r.completions[i] }));
}

/** Checks the two models can be compared token by token. */
export function checkSameVocabulary(policy: HookedTransformer, reference: HookedTransformer, where: string): void {
  if (policy.cfg.d_vocab !== reference.cfg.d_vocab) throw new Error(`${where}: the policy's vocabulary has ${policy.cfg.d_vocab} tokens, the reference's ${reference.cfg.d_vocab}: they must share a tokenizer`);
}

/**
 * Measures a rollout: π_old and π_ref log-probabilities of every sampled token, V_old when the
 * policy has a value head, the rewards, and π_old's mean entropy. No gradients.
 */
export function scoreRollout(policy: PolicyWithValueHead | HookedTransformer, reference: HookedTransformer, rollout: Rollout, reward: RewardFn, temperature = 1): Experience {
  const samples = rolloutSamples(rollout);
  const body = policy instanceof PolicyWithValueHead ? policy.body : policy;
  const batch = packSequences(samples, body.cfg.n_ctx);
  const measured = noGrad(() =>
    tidy(() => {
      const wasTraining = [policy.training, reference.training];
      policy.eval();
      reference.eval();
      try {
        const out = policy instanceof PolicyWithValueHead ? policy.forward(batch.tokens) : { logits: policy.forward(batch.tokens), values: null };
        const lp = logprobsAndEntropy(out.logits, batch, temperature);
        const ref = logprobsAndEntropy(reference.forward(batch.tokens), batch, temperature, false).logprobs;
        const mask = batch.completionMask;
        return {
          logprobs: positionsToRows(lp.logprobs.dataSync(), batch),
          refLogprobs: positionsToRows(ref.dataSync(), batch),
          values: out.values ? positionsToRows(completionValues(out.values, batch).dataSync(), batch) : null,
          entropy: lp.entropy!.sum().item() / mask.sum().item(),
        };
      } finally {
        policy.train(wasTraining[0]);
        reference.train(wasTraining[1]);
      }
    }),
  );
  batch.tokens.dispose();
  batch.completionMask.dispose();
  batch.targets.dispose();
  const scores = Float64Array.from(reward(samples));
  if (scores.length !== samples.length) throw new Error(`scoreRollout: the reward function gave ${scores.length} scores for ${samples.length} samples`);
  return { samples, ...measured, scores };
}

/** Σ_t (log π_old − log π_ref) of each sample: a one-sample estimate of KL(π_old ‖ π_ref) for its prompt. */
export function sequenceKl(e: Experience): Float64Array {
  return Float64Array.from(e.logprobs, (lp, i) => lp.reduce((s, v, t) => s + v - e.refLogprobs[i][t], 0));
}
