// Rollouts: a batch of completions sampled from a policy, with the log-probability of each
// sampled token under the distribution it was drawn from,
//
//   y_t ~ π_T(· | x, y_<t) = softmax(logits_t / T)   (restricted to the top k and renormalised, with top-k)
//   logprob_t = log π_T(y_t | x, y_<t)
//
// Sampling runs with the KV cache: the prompt is read once, then each step feeds only the B newly
// sampled tokens (one position per row) and reuses every earlier key and value.
//
// Prompts of different lengths: the KV cache holds one position count for the whole batch, so a
// batch must have prompts of one length. Prompts are therefore grouped by length and each group is
// sampled as its own batch (no padding, so no attention mask is needed and every position id is
// right). Rows that reach a stop token are finished; the batch keeps computing them until every
// row is done or maxNewTokens is reached, and what they sample after the stop is dropped.
import { noGrad } from "../tensor/autograd.js";
import { tensor } from "../tensor/creation.js";
import { defaultGenerator, type Generator } from "../tensor/random.js";
import { tidy } from "../tensor/scope.js";
import { KVCache, type HookedTransformer } from "../models/gpt/model.js";

export interface RolloutOptions {
  /** Tokens to sample per prompt at most. */
  maxNewTokens: number;
  /** Softmax temperature T > 0 (default 1: the policy itself, what PPO needs). */
  temperature?: number;
  /** Sample only among the k most likely tokens (the logprobs are then of the renormalised top k). */
  topK?: number;
  /** A row stops after sampling one of these (e.g. the end-of-text token); the stop token is kept. */
  stopTokens?: readonly number[];
  generator?: Generator;
}

export interface Rollout {
  /** The prompts, as given. */
  prompts: number[][];
  /** The sampled tokens of each row (at least one; a stop token, if reached, is the last). */
  completions: number[][];
  /** log π_T(y_t | x, y_<t) of each sampled token (same lengths as completions). */
  logprobs: Float64Array[];
}

function checkRolloutOptions(model: HookedTransformer, prompts: readonly (readonly number[])[], o: RolloutOptions): void {
  if (!Number.isInteger(o.maxNewTokens) || o.maxNewTokens < 1) throw new Error(`sampleRollout: maxNewTokens must be an integer ≥ 1, got ${o.maxNewTokens}`);
  if (o.temperature !== undefined && !(o.temperature > 0)) throw new Error(`sampleRollout: temperature must be > 0, got ${o.temperature}`);
  if (o.topK !== undefined && (!Number.isInteger(o.topK) || o.topK < 1)) throw new Error(`sampleRollout: topK must be an integer ≥ 1, got ${o.topK}`);
  if (prompts.length === 0) throw new Error("sampleRollout: no prompts");
  const { n_ctx: nCtx, d_vocab: V } = model.cfg;
  prompts.forEach((p, i) => {
    if (p.length === 0) throw new Error(`sampleRollout: prompt ${i} is empty (the first token is predicted from at least one)`);
    if (p.length + o.maxNewTokens > nCtx) throw new Error(`sampleRollout: prompt ${i} has ${p.length} tokens; with ${o.maxNewTokens} new ones that is more than the model's context of ${nCtx}`);
    for (const id of p) if (!(Number.isInteger(id) && id >= 0 && id < V)) throw new Error(`sampleRollout: prompt ${i} holds token id ${id}, outside the vocabulary [0, ${V})`);
  });
}

/**
 * Draws one token from a row of logits at temperature T (among the top k when given); returns
 * the token and its log-probability under the distribution it was drawn from.
 */
export function sampleToken(logits: ArrayLike<number>, temperature: number, topK: number | undefined, g: Generator): { id: number; logprob: number } {
  const V = logits.length;
  // the candidate tokens: all of them, or the k with the largest logits
  const ids = topK !== undefined && topK < V ? Array.from({ length: V }, (_, i) => i).sort((a, b) => logits[b] - logits[a]).slice(0, topK) : null;
  const n = ids ? ids.length : V;
  const z = (j: number) => logits[ids ? ids[j] : j] / temperature;
  // p_j ∝ exp(z_j − max z); log π(j) = z_j − max − log Σ exp(z − max)
  let max = -Infinity;
  for (let j = 0; j < n; j++) max = Math.max(max, z(j));
  const p = new Float64Array(n);
  let total = 0;
  for (let j = 0; j < n; j++) total += p[j] = Math.exp(z(j) - max);
  const logZ = max + Math.log(total);
  let r = g.random() * total;
  let pick = n - 1; // if rounding leaves r a hair above 0
  for (let j = 0; j < n; j++) {
    r -= p[j];
    if (r <= 0) {
      pick = j;
      break;
    }
  }
  return { id: ids ? ids[pick] : pick, logprob: z(pick) - logZ };
}

/** Samples a completion for every prompt (batched per prompt length, with the KV cache). */
export function sampleRollout(model: HookedTransformer, prompts: readonly (readonly number[])[], opts: RolloutOptions): Rollout {
  checkRolloutOptions(model, prompts, opts);
  const temperature = opts.temperature ?? 1;
  const g = opts.generator ?? defaultGenerator;
  const stop = new Set(opts.stopTokens ?? []);
  const completions: number[][] = prompts.map(() => []);
  const logprobs: number[][] = prompts.map(() => []);
  const groups = new Map<number, number[]>();
  prompts.forEach((p, i) => groups.set(p.length, [...(groups.get(p.length) ?? []), i]));
  const wasTraining = model.training;
  model.eval();
  try {
    for (const rows of groups.values()) {
      const cache = new KVCache(model.cfg.n_layers);
      const done = rows.map(() => false);
      // step 0 reads the whole prompts (B, P); each later step the B tokens just sampled (B, 1)
      let input: number[][] = rows.map((r) => [...prompts[r]]);
      try {
        for (let step = 0; step < opts.maxNewTokens; step++) {
          const x = input;
          const logits = noGrad(() => tidy(() => model.forward(tensor(x, { dtype: "int32" }), { cache, lastPositionOnly: true }).dataSync())); // (B·V)
          const V = logits.length / rows.length;
          const next = rows.map((r, b) => {
            const s = sampleToken(logits.subarray(b * V, (b + 1) * V), temperature, opts.topK, g);
            if (!done[b]) {
              completions[r].push(s.id);
              logprobs[r].push(s.logprob);
              if (stop.has(s.id)) done[b] = true;
            }
            return s.id;
          });
          if (done.every(Boolean)) break;
          input = next.map((id) => [id]);
        }
      } finally {
        for (const kv of cache.layers) {
          kv.k?.dispose();
          kv.v?.dispose();
        }
      }
    }
  } finally {
    model.train(wasTraining);
  }
  return { prompts: prompts.map((p) => [...p]), completions, logprobs: logprobs.map((l) => Float64Array.from(l)) };
}
