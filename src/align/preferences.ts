// Preference data: (prompt, chosen, rejected) triples, one JSON object per line as in Anthropic's
// HH-RLHF and TRL's datasets, e.g. {"prompt": "Once upon a time", "chosen": " a happy…", "rejected": " a sad…"}.
// Parsing names the line and field of anything wrong. `syntheticPreferences` makes them from a
// model's own samples and a scoring rule, as labellers would rank two samples of the SFT model.
import { Generator } from "../tensor/random.js";
import type { HookedTransformer } from "../models/gpt/model.js";
import { generate } from "../models/gpt/generate.js";
import type { Tokenizer } from "../tokenizers/types.js";
import type { PreferenceIds } from "./dpo.js";

export interface PreferencePair {
  prompt: string;
  chosen: string;
  rejected: string;
}

/** Parses JSONL preference pairs; errors name the source, line and field. Blank lines are skipped. */
export function parsePreferences(text: string, source = "preferences"): PreferencePair[] {
  const pairs: PreferencePair[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (line === "") return;
    const at = `${source}:${i + 1}`;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (err) {
      throw new Error(`${at}: not valid JSON (${(err as Error).message})`);
    }
    if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error(`${at}: expected an object with "prompt", "chosen" and "rejected", got ${Array.isArray(v) ? "an array" : typeof v}`);
    const o = v as Record<string, unknown>;
    for (const field of ["prompt", "chosen", "rejected"] as const) {
      if (!(field in o)) throw new Error(`${at}: missing field "${field}"`);
      if (typeof o[field] !== "string") throw new Error(`${at}: field "${field}" must be a string, got ${JSON.stringify(o[field])}`);
    }
    if ((o.chosen as string).length === 0) throw new Error(`${at}: field "chosen" is empty`);
    if ((o.rejected as string).length === 0) throw new Error(`${at}: field "rejected" is empty`);
    pairs.push({ prompt: o.prompt as string, chosen: o.chosen as string, rejected: o.rejected as string });
  });
  if (pairs.length === 0) throw new Error(`${source}: no preference pairs (expected one JSON object per line)`);
  return pairs;
}

export function formatPreferences(pairs: readonly PreferencePair[]): string {
  return pairs.map((p) => JSON.stringify({ prompt: p.prompt, chosen: p.chosen, rejected: p.rejected })).join("\n") + "\n";
}

/** Tokenizes pairs for training; an empty prompt is an error here (the model needs a token to predict from). */
export function encodePreferences(pairs: readonly PreferencePair[], tokenizer: Tokenizer, source = "preferences"): PreferenceIds[] {
  return pairs.map((p, i) => {
    const prompt = tokenizer.encode(p.prompt);
    if (prompt.length === 0) throw new Error(`${source}: pair ${i + 1} has an empty prompt; the model predicts a completion from at least one token`);
    const chosen = tokenizer.encode(p.chosen);
    const rejected = tokenizer.encode(p.rejected);
    if (chosen.length === 0 || rejected.length === 0) throw new Error(`${source}: pair ${i + 1}'s ${chosen.length === 0 ? "chosen" : "rejected"} completion encodes to no tokens`);
    return { prompt, chosen, rejected };
  });
}

export interface SyntheticPreferenceOptions {
  /** Prompts to continue (each gives at most one pair). */
  prompts: readonly string[];
  /** Scores a completion; the higher one is chosen. */
  score: (completion: string, prompt: string) => number;
  /** Tokens per completion (default 48). */
  maxNewTokens?: number;
  temperature?: number;
  /** Pairs whose scores differ by less are dropped as ties (default 1e-9). */
  minGap?: number;
  seed?: number;
}

/** Two samples of `model` per prompt, ranked by `score`: the SFT-model-then-labeller recipe with a rule for a labeller. */
export function syntheticPreferences(model: HookedTransformer, tokenizer: Tokenizer, opts: SyntheticPreferenceOptions): PreferencePair[] {
  const g = new Generator(opts.seed ?? 0);
  const pairs: PreferencePair[] = [];
  for (const prompt of opts.prompts) {
    const ids = tokenizer.encode(prompt);
    if (ids.length === 0) throw new Error(`syntheticPreferences: the prompt ${JSON.stringify(prompt)} encodes to no tokens`);
    const sample = () => tokenizer.decode(generate(model, ids, { maxNewTokens: opts.maxNewTokens ?? 48, temperature: opts.temperature ?? 1, generator: g }));
    const a = sample();
    const b = sample();
    const sa = opts.score(a, prompt);
    const sb = opts.score(b, prompt);
    if (Math.abs(sa - sb) < (opts.minGap ?? 1e-9) || a.length === 0 || b.length === 0) continue;
    pairs.push(sa > sb ? { prompt, chosen: a, rejected: b } : { prompt, chosen: b, rejected: a });
  }
  return pairs;
}
