// Text generation: greedy or sampled (temperature, top-k, top-p), with a KV cache so each new
// token costs one position's forward pass, and stops on tokens, strings, repetition or length.
import { noGrad } from "../../tensor/autograd.js";
import { defaultGenerator, type Generator } from "../../tensor/random.js";
import { tidy } from "../../tensor/scope.js";
import { KVCache, type HookedTransformer } from "./model.js";

export interface GenerateOptions {
  maxNewTokens?: number;
  /** 0 means greedy (argmax); default 1. */
  temperature?: number;
  /** Sample only among the k most likely tokens. */
  topK?: number;
  /** Sample from the smallest set of tokens whose probability reaches p (nucleus sampling). */
  topP?: number;
  /** Divide the logits of tokens already present by this (> 1 discourages repeats; CTRL). */
  repetitionPenalty?: number;
  /** Stop when any of these token ids is produced (it is kept in the output). */
  stopTokens?: number[];
  /** Stop when the decoded text ends with one of these (needs `decode`). */
  stopStrings?: string[];
  decode?: (ids: number[]) => string;
  /** Stop when the last n tokens repeat the n before them (a loop). */
  stopOnRepeat?: number;
  /** Use the KV cache (default true); false recomputes the whole context for every token. */
  useCache?: boolean;
  generator?: Generator;
  /** Called with each new token as soon as it is chosen (streaming). */
  onToken?: (id: number) => void;
  /** Called with each step's logits (d_vocab), the very row the next token is sampled from: to show its probabilities. */
  onLogits?: (logits: Float32Array) => void;
}

/** Picks the next token from a row of logits. */
export function sampleLogits(logits: Float32Array | Float64Array, opts: GenerateOptions, history: readonly number[], g: Generator): number {
  const l = Float64Array.from(logits);
  if (opts.repetitionPenalty && opts.repetitionPenalty !== 1) {
    for (const t of new Set(history)) l[t] = l[t] > 0 ? l[t] / opts.repetitionPenalty : l[t] * opts.repetitionPenalty;
  }
  const temperature = opts.temperature ?? 1;
  if (temperature === 0) {
    let best = 0;
    for (let i = 1; i < l.length; i++) if (l[i] > l[best]) best = i;
    return best;
  }
  let order = Array.from(l.keys()).sort((a, b) => l[b] - l[a]);
  if (opts.topK !== undefined && opts.topK > 0) order = order.slice(0, opts.topK);
  const max = l[order[0]];
  let probs = order.map((i) => Math.exp((l[i] - max) / temperature));
  let total = probs.reduce((a, b) => a + b, 0);
  if (opts.topP !== undefined && opts.topP < 1) {
    let acc = 0;
    let keep = 0;
    while (keep < probs.length && acc < opts.topP * total) acc += probs[keep++];
    order = order.slice(0, Math.max(1, keep));
    probs = probs.slice(0, Math.max(1, keep));
    total = probs.reduce((a, b) => a + b, 0);
  }
  let r = g.random() * total;
  for (let i = 0; i < probs.length; i++) {
    r -= probs[i];
    if (r <= 0) return order[i];
  }
  return order[order.length - 1];
}

function checkOptions(o: GenerateOptions): void {
  if (o.maxNewTokens !== undefined && (!Number.isInteger(o.maxNewTokens) || o.maxNewTokens < 0)) throw new Error(`generate: maxNewTokens must be a non-negative integer, got ${o.maxNewTokens}`);
  if (o.temperature !== undefined && !(o.temperature >= 0)) throw new Error(`generate: temperature must be ≥ 0, got ${o.temperature}`);
  if (o.topK !== undefined && (!Number.isInteger(o.topK) || o.topK < 1)) throw new Error(`generate: topK must be a positive integer, got ${o.topK}`);
  if (o.topP !== undefined && !(o.topP > 0 && o.topP <= 1)) throw new Error(`generate: topP must be in (0, 1], got ${o.topP}`);
  if (o.stopStrings?.length && !o.decode) throw new Error("generate: stopStrings need a decode function");
}

/**
 * The new tokens after `prompt` (token ids), one at a time as they are chosen: a consumer can
 * stream them, await between them (so a closed pipe or a cancelled request is noticed), or stop
 * early with `break`.
 */
export function* generateTokens(model: HookedTransformer, prompt: readonly number[], opts: GenerateOptions = {}): IterableIterator<number> {
  checkOptions(opts);
  if (prompt.length === 0) throw new Error("generate: the prompt must have at least one token");
  const { maxNewTokens = 100, useCache = true } = opts;
  const g = opts.generator ?? defaultGenerator;
  const nCtx = model.cfg.n_ctx;
  const ids = [...prompt];
  const out: number[] = [];
  const wasTraining = model.training;
  model.eval();
  let cache: KVCache | null = null;
  try {
    for (let step = 0; step < maxNewTokens; step++) {
      const logits = tidy(() =>
        noGrad(() => {
          let input: number[];
          if (useCache && cache !== null && cache.length < nCtx) input = ids.slice(-1);
          else {
            // first step, no cache, or the context is full: (re)start from the last n_ctx tokens
            input = ids.slice(-nCtx);
            cache?.dispose();
            cache = useCache ? new KVCache(model.cfg.n_layers) : null;
          }
          const last = model.forward([input], { cache: cache ?? undefined, lastPositionOnly: true });
          return last.reshape(-1).dataSync() as Float32Array;
        }),
      );
      opts.onLogits?.(logits);
      const next = sampleLogits(logits, opts, ids, g);
      ids.push(next);
      out.push(next);
      opts.onToken?.(next);
      yield next;
      if (opts.stopTokens?.includes(next)) break;
      if (opts.stopStrings?.length) {
        const text = opts.decode!(out);
        if (opts.stopStrings.some((s) => text.endsWith(s))) break;
      }
      const n = opts.stopOnRepeat;
      if (n && out.length >= 2 * n && out.slice(-n).every((t, i) => t === out[out.length - 2 * n + i])) break;
    }
  } finally {
    (cache as KVCache | null)?.dispose(); // (TypeScript does not see the closure above assign it)
    model.train(wasTraining);
  }
}

/** Continues `prompt` (token ids); returns the new tokens only. */
export function generate(model: HookedTransformer, prompt: readonly number[], opts: GenerateOptions = {}): number[] {
  return [...generateTokens(model, prompt, opts)];
}
