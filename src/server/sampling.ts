// Choosing a request's next token, and the log-probabilities the OpenAI API reports.
//
// Before sampling, OpenAI's penalties and biases adjust the logits of the generated tokens:
//   logit[j] += logit_bias[j] − frequency_penalty · count[j] − presence_penalty · [count[j] > 0]
// then temperature, top-k and top-p pick among them (sampleLogits, as `dgpt generate` does).
// Reported log-probabilities are the model's own, log softmax of the raw logits, as vLLM reports
// them by default: they say what the model believes, whatever the sampling settings.
import { type GenerateOptions, sampleLogits } from "../models/gpt/generate.js";
import type { Generator } from "../tensor/random.js";

export interface SamplingOptions {
  temperature: number;
  topP?: number;
  topK?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  /** Divides the logits of tokens already present (prompt included), CTRL's repetition penalty. */
  repetitionPenalty?: number;
  /** Added to the logits of these token ids (−100 bans a token, +100 all but forces it). */
  logitBias?: ReadonlyMap<number, number>;
}

export interface TokenLogprob {
  id: number;
  /** NaN when log-probabilities were not asked for. */
  logprob: number;
}

/** The next token from one row of logits. */
export function chooseToken(logits: Float32Array, o: SamplingOptions, counts: ReadonlyMap<number, number>, history: readonly number[], g: Generator): number {
  const adjust = (o.presencePenalty ?? 0) !== 0 || (o.frequencyPenalty ?? 0) !== 0 || (o.logitBias?.size ?? 0) > 0;
  let row: Float32Array = logits;
  if (adjust) {
    row = Float32Array.from(logits);
    for (const [id, c] of counts) row[id] -= (o.frequencyPenalty ?? 0) * c + (c > 0 ? (o.presencePenalty ?? 0) : 0);
    for (const [id, b] of o.logitBias ?? []) row[id] += b;
  }
  const opts: GenerateOptions = { temperature: o.temperature, topK: o.topK, topP: o.topP, repetitionPenalty: o.repetitionPenalty };
  return sampleLogits(row, opts, history, g);
}

/** log softmax(logits)[id], and the k most likely tokens with theirs (k = 0: none). */
export function topLogprobs(logits: Float32Array, id: number, k: number): TokenLogprob & { top?: TokenLogprob[] } {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i] - max);
  const logZ = max + Math.log(sum);
  const out: TokenLogprob & { top?: TokenLogprob[] } = { id, logprob: logits[id] - logZ };
  if (k > 0) {
    // the k largest by one pass with a small sorted list: k ≤ 20, the vocabulary 50k
    const best: number[] = [];
    for (let i = 0; i < logits.length; i++) {
      if (best.length === k && logits[i] <= logits[best[k - 1]]) continue;
      let j = best.length === k ? k - 1 : best.length;
      while (j > 0 && logits[best[j - 1]] < logits[i]) {
        best[j] = best[j - 1];
        j--;
      }
      best[j] = i;
    }
    out.top = best.map((t) => ({ id: t, logprob: logits[t] - logZ }));
  }
  return out;
}
