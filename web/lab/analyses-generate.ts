// The Generate view's analysis: the model continues a prompt with the library's generateTokens
// (the sampling `dgpt generate` does, seeded the same way), and for each new character reports
// the probability it had, read off the very logits it was sampled from (generateTokens' onLogits),
// with the five likeliest characters at that step.
//
// Which probability: the distribution actually sampled from, softmax(logits / T). At T = 0
// (greedy) that distribution is a point mass, which says nothing; there we report the model's own
// softmax(logits) instead (the view says so).
import { Generator, generateTokens } from "../../src/index.js";
import { encodeKnown, type LabModel } from "./analyses.js";

export interface GeneratedToken {
  id: number;
  text: string;
  /** Probability of this token in the distribution above. */
  p: number;
  /** The five likeliest tokens at this step, likeliest first (this token among them when it is). */
  top: { text: string; p: number }[];
}

export interface GenerateArgs {
  prompt: string;
  maxTokens: number;
  temperature: number;
  seed: number;
}

export interface GenerateResult {
  /** The prompt as the model read it: its known characters, the last n_ctx of them. */
  prompt: string;
  dropped: string[];
  temperature: number;
  tokens: GeneratedToken[];
}

/** softmax(logits / T) in float64; T = 0 reads as T = 1 (see the header). */
function probabilities(logits: Float32Array, temperature: number): Float64Array {
  const t = temperature > 0 ? temperature : 1;
  let max = -Infinity;
  for (const l of logits) max = Math.max(max, l);
  const p = Float64Array.from(logits, (l) => Math.exp((l - max) / t));
  const total = p.reduce((a, b) => a + b, 0);
  return p.map((x) => x / total);
}

export function generateWithProbabilities(m: LabModel, args: GenerateArgs): GenerateResult {
  const { ids, dropped } = encodeKnown(m, args.prompt);
  const prompt = (ids.length ? ids : [0]).slice(-m.model.cfg.n_ctx);
  let logits: Float32Array | null = null;
  const tokens: GeneratedToken[] = [];
  const opts = { maxNewTokens: args.maxTokens, temperature: args.temperature, generator: new Generator(args.seed), onLogits: (l: Float32Array) => (logits = Float32Array.from(l)) };
  for (const id of generateTokens(m.model, prompt, opts)) {
    const p = probabilities(logits!, args.temperature);
    const order = Array.from(p.keys()).sort((a, b) => p[b] - p[a]).slice(0, 5);
    tokens.push({ id, text: m.tokenizer.decode([id]), p: p[id], top: order.map((i) => ({ text: m.tokenizer.decode([i]), p: p[i] })) });
  }
  return { prompt: m.tokenizer.decode(prompt), dropped, temperature: args.temperature, tokens };
}
