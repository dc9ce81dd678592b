// Where a policy stands after alignment, measured the same way for PPO, RLOO and DPO: sample
// completions of held-out prompts, score them with each reward, and estimate the KL to the
// reference from the same samples,
//
//   KL(π ‖ π_ref) ≈ mean over samples of Σ_t (log π(y_t | s_t) − log π_ref(y_t | s_t)),  y ~ π
//
// (unbiased, but noisy: single samples may be negative).
import { Generator } from "../tensor/random.js";
import type { HookedTransformer } from "../models/gpt/model.js";
import { checkSameVocabulary, scoreRollout, sequenceKl, type RewardFn } from "./experience.js";
import { meanStd } from "./rl-common.js";
import { sampleRollout } from "./rollout.js";
import type { PromptCompletion } from "./sequences.js";

export interface PolicyEvalOptions {
  maxNewTokens: number;
  /** Completions per prompt (default 1). */
  samplesPerPrompt?: number;
  stopTokens?: readonly number[];
  seed?: number;
  /** Prompts per sampling batch (default 64). */
  batchSize?: number;
}

export interface PolicyEvalResult {
  samples: PromptCompletion[];
  /** Each reward's score of every sample, and its mean. */
  scores: Record<string, Float64Array>;
  meanReward: Record<string, number>;
  /** Per-sample Σ_t log π/π_ref, their mean (the KL estimate) and the mean's standard error. */
  sampleKl: Float64Array;
  kl: number;
  klStdErr: number;
  /** Mean per-token entropy of the policy (nats). */
  entropy: number;
}

export function evaluatePolicy(policy: HookedTransformer, reference: HookedTransformer, prompts: readonly (readonly number[])[], rewards: Record<string, RewardFn>, opts: PolicyEvalOptions): PolicyEvalResult {
  checkSameVocabulary(policy, reference, "evaluatePolicy");
  const g = new Generator(opts.seed ?? 0);
  const k = opts.samplesPerPrompt ?? 1;
  const all = prompts.flatMap((p) => Array.from({ length: k }, () => [...p]));
  const bs = opts.batchSize ?? 64;
  const samples: PromptCompletion[] = [];
  const kls: number[] = [];
  let entropy = 0;
  let tokens = 0;
  for (let s = 0; s < all.length; s += bs) {
    const rollout = sampleRollout(policy, all.slice(s, s + bs), { maxNewTokens: opts.maxNewTokens, stopTokens: opts.stopTokens, generator: g });
    const e = scoreRollout(policy, reference, rollout, (xs) => new Float64Array(xs.length));
    samples.push(...e.samples);
    kls.push(...sequenceKl(e));
    const n = e.samples.reduce((m, x) => m + x.completion.length, 0);
    entropy += e.entropy * n;
    tokens += n;
  }
  const scores: Record<string, Float64Array> = {};
  const meanReward: Record<string, number> = {};
  for (const [name, fn] of Object.entries(rewards)) {
    scores[name] = Float64Array.from(fn(samples));
    meanReward[name] = meanStd(scores[name]).mean;
  }
  const { mean, std } = meanStd(kls);
  return { samples, scores, meanReward, sampleKl: Float64Array.from(kls), kl: mean, klStdErr: std / Math.sqrt(kls.length), entropy: entropy / tokens };
}
