// Preference pairs from a model's own samples, batched: two completions of each prompt drawn in
// one rollout (KV cache), ranked by a scoring rule standing in for a labeller — the SFT-model-
// then-labeller recipe of InstructGPT with a rule such as the sentiment lexicon. (The one-prompt-
// at-a-time version is syntheticPreferences in preferences.ts.)
import { Generator } from "../tensor/random.js";
import type { HookedTransformer } from "../models/gpt/model.js";
import type { Tokenizer } from "../tokenizers/types.js";
import type { PreferencePair } from "./preferences.js";
import { sampleRollout } from "./rollout.js";

export interface SamplePreferenceOptions {
  /** Scores a completion's text; the higher of the two is chosen. */
  score: (completion: string, prompt: string) => number;
  maxNewTokens: number;
  /** Tokens that end a completion (not kept in its text). */
  stopTokens?: readonly number[];
  temperature?: number;
  /** Pairs whose scores differ by less are dropped as ties (default 1e-9). */
  minGap?: number;
  seed?: number;
  /** Prompts per sampling batch (default 32). */
  batchSize?: number;
  onProgress?: (done: number, total: number) => void;
}

export function samplePreferencePairs(model: HookedTransformer, tokenizer: Tokenizer, prompts: readonly string[], opts: SamplePreferenceOptions): PreferencePair[] {
  const g = new Generator(opts.seed ?? 0);
  const stop = new Set(opts.stopTokens ?? []);
  const bs = opts.batchSize ?? 32;
  const pairs: PreferencePair[] = [];
  const ids = prompts.map((p, i) => {
    const t = tokenizer.encode(p);
    if (t.length === 0) throw new Error(`samplePreferencePairs: prompt ${i + 1} (${JSON.stringify(p)}) encodes to no tokens`);
    return t;
  });
  for (let s = 0; s < prompts.length; s += bs) {
    const part = ids.slice(s, s + bs);
    // each prompt twice, side by side
    const r = sampleRollout(model, part.flatMap((p) => [p, p]), { maxNewTokens: opts.maxNewTokens, temperature: opts.temperature, stopTokens: opts.stopTokens, generator: g });
    const text = (c: number[]) => tokenizer.decode(c.filter((t) => !stop.has(t)));
    part.forEach((_, i) => {
      const prompt = prompts[s + i];
      const a = text(r.completions[2 * i]);
      const b = text(r.completions[2 * i + 1]);
      if (a.trim() === "" || b.trim() === "") return;
      const sa = opts.score(a, prompt);
      const sb = opts.score(b, prompt);
      if (Math.abs(sa - sb) < (opts.minGap ?? 1e-9)) return;
      pairs.push(sa > sb ? { prompt, chosen: a, rejected: b } : { prompt, chosen: b, rejected: a });
    });
    opts.onProgress?.(Math.min(prompts.length, s + bs), prompts.length);
  }
  return pairs;
}
