// Attention heads: their patterns, and TransformerLens's head detector (transformer_lens/head_detector.py),
// which scores how closely each head's pattern A (query × key) follows a detection pattern D:
//   "mul": score = Σ A ⊙ D / Σ A   — the share of the head's attention on the pairs D marks (D of 0s and 1s);
//   "abs": score = 1 − round(Σ |A − D| / n, 3)   (n = sequence length; 1 = perfect match, −1 = opposite).
// Built-in detection patterns, for tokens t (queries i, keys j ≤ i):
//   previous_token_head:  D[i][j] = 1 if j = i − 1;
//   duplicate_token_head: D[i][j] = 1 if j < i and t[j] = t[i]   (an earlier copy of the current token);
//   induction_head:       D[i][j] = 1 if 1 ≤ j ≤ i and t[j−1] = t[i] with j − 1 < i   (the token after an earlier copy).
import type { HookedTransformer } from "../models/gpt/model.js";
import type { Tensor } from "../tensor/tensor.js";
import type { ActivationCache } from "./cache.js";

export type HeadName = "previous_token_head" | "duplicate_token_head" | "induction_head";
export const HEAD_NAMES: readonly HeadName[] = ["previous_token_head", "duplicate_token_head", "induction_head"];

export interface DetectOptions {
  /** Only these heads, as [layer, head] pairs or { layer: [heads] }; the others score −1. */
  heads?: readonly (readonly [number, number])[] | Readonly<Record<number, readonly number[]>>;
  /** A cache of this sequence's run with every blocks.L.attn.hook_pattern (saves a forward pass). */
  cache?: ActivationCache;
  /** This sequence's patterns [layer][head][query][key] as already read, e.g. by
   *  attentionPatternRows (saves reading them again: seconds for a long prompt). */
  patterns?: readonly (readonly (readonly ArrayLike<number>[])[])[];
  /** Ignore attention paid to position 0 (the BOS token). */
  excludeBos?: boolean;
  /** Ignore attention paid to the query's own position. */
  excludeCurrentToken?: boolean;
  errorMeasure?: "mul" | "abs";
}

/** A named detection pattern for a token sequence, (n, n) lower-triangular 0/1. */
export function detectionPattern(name: HeadName, tokens: readonly number[]): number[][] {
  const n = tokens.length;
  const zerosN = () => Array.from({ length: n }, () => new Array<number>(n).fill(0));
  if (name === "previous_token_head") {
    const D = zerosN();
    for (let i = 1; i < n; i++) D[i][i - 1] = 1;
    return D;
  }
  // earlier copies of the current token
  const dup = zerosN();
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) if (tokens[i] === tokens[j]) dup[i][j] = 1;
  if (name === "duplicate_token_head") return dup;
  if (name === "induction_head") {
    // shift one key to the right (the token after the copy), first column zero, keep j ≤ i
    const D = zerosN();
    for (let i = 0; i < n; i++) for (let j = 1; j <= i; j++) D[i][j] = dup[i][j - 1];
    return D;
  }
  throw new Error(`detectionPattern: unknown head name ${JSON.stringify(name)}; use one of ${HEAD_NAMES.join(", ")} or pass a pattern`);
}

/** How well one head's pattern A (q × k) matches D, with TransformerLens's measures and exclusions. */
export function headSimilarityScore(pattern: readonly (ArrayLike<number>)[], detection: readonly (ArrayLike<number>)[], opts: Omit<DetectOptions, "heads" | "cache" | "patterns"> = {}): number {
  const n = pattern.length;
  if (detection.length !== n || pattern.some((r) => r.length !== n) || detection.some((r) => r.length !== n)) {
    throw new Error(`headSimilarityScore: the pattern and the detection pattern must both be ${n} × ${n}`);
  }
  const skip = (i: number, j: number) => (opts.excludeBos && j === 0) || (opts.excludeCurrentToken && i === j);
  const measure = opts.errorMeasure ?? "mul";
  if (measure === "mul") {
    let hit = 0;
    let total = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const a = skip(i, j) ? 0 : pattern[i][j];
        hit += a * detection[i][j];
        total += a;
      }
    }
    return total === 0 ? 0 : hit / total;
  }
  if (measure !== "abs") throw new Error(`errorMeasure must be "mul" or "abs", got ${JSON.stringify(measure)}`);
  let sum = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (!skip(i, j)) sum += Math.abs(pattern[i][j] - detection[i][j]);
  return 1 - Math.round((sum / n) * 1000) / 1000;
}

/** Each layer's hook_pattern of one sequence, (h, q, k), from a cache or a new run. */
function patternTensors(fn: string, model: HookedTransformer, tokens: readonly number[], cache?: ActivationCache, dropBatch = true): Tensor[] {
  const names = model.blocks.map((_, l) => `blocks.${l}.attn.hook_pattern`);
  const c = cache ?? model.runWithCache([[...tokens]], { namesFilter: names }).cache;
  return names.map((name) => {
    let p: Tensor = c.get(name); // (b, h, q, k) or (h, q, k)
    if (c.hasBatchDim) {
      if (p.shape[0] !== 1) throw new Error(`${fn}: expected one sequence, the cache has a batch of ${p.shape[0]}`);
      if (dropBatch) p = p.select(0, 0);
    }
    return p;
  });
}

/** Attention patterns of one sequence: [layer][head][query][key] (from a cache or a new run). */
export function attentionPatterns(model: HookedTransformer, tokens: readonly number[], cache?: ActivationCache): number[][][][] {
  return patternTensors("attentionPatterns", model, tokens, cache).map((p) => p.toArray() as number[][][]);
}

/**
 * The same patterns as [layer][head][query] rows, each row (the keys) a view into one flat copy of
 * its layer. For long prompts: nested JS numbers take twice the memory of float32 and seconds to
 * build (GPT-2 small at 1024 tokens has 151M pattern entries: 1.2 GB as JS numbers, 0.6 GB here).
 */
export function attentionPatternRows(model: HookedTransformer, tokens: readonly number[], cache?: ActivationCache): ArrayLike<number>[][][] {
  // read (1, h, q, k) as it is: a batch of one has the same layout, and select(0, 0) would copy
  // every layer inside the backend's heap, which a long prompt can run out of
  return patternTensors("attentionPatternRows", model, tokens, cache, false).map((p) => {
    const [H, Q, K] = p.shape.slice(-3) as [number, number, number];
    const flat = p.dataSync();
    return Array.from({ length: H }, (_, h) => Array.from({ length: Q }, (_, q) => flat.subarray((h * Q + q) * K, (h * Q + q + 1) * K)));
  });
}

function headList(model: HookedTransformer, heads: DetectOptions["heads"]): [number, number][] {
  const { n_layers: L, n_heads: H } = model.cfg;
  let list: [number, number][];
  if (heads === undefined) list = Array.from({ length: L * H }, (_, i) => [Math.floor(i / H), i % H]);
  else if (Array.isArray(heads)) list = (heads as readonly (readonly [number, number])[]).map(([l, h]) => [l, h]);
  else list = Object.entries(heads as Record<number, readonly number[]>).flatMap(([l, hs]) => hs.map((h) => [Number(l), h] as [number, number]));
  for (const [l, h] of list) {
    if (!(Number.isInteger(l) && l >= 0 && l < L && Number.isInteger(h) && h >= 0 && h < H)) throw new Error(`heads: [${l}, ${h}] is not a head of this model (${L} layers × ${H} heads)`);
  }
  return list;
}

function checkDetection(D: readonly (ArrayLike<number>)[], n: number): void {
  if (D.length !== n || D.some((r) => r.length !== n)) throw new Error(`detection pattern must be ${n} × ${n} (the sequence length)`);
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) if (D[i][j] !== 0) throw new Error(`detection pattern must be lower triangular (a query cannot attend to a later key), but [${i}][${j}] = ${D[i][j]}`);
}

/**
 * Scores every head (or the chosen ones) against a detection pattern, as TransformerLens's
 * detect_head: a (n_layers × n_heads) matrix, −1 for heads not asked about. `seq` is one token
 * sequence or several; for several, the scores are averaged. `detection` is a HeadName or a
 * (n × n) lower-triangular pattern of your own (then every sequence must have length n).
 */
export function detectHead(model: HookedTransformer, seq: readonly number[] | readonly (readonly number[])[], detection: HeadName | readonly (ArrayLike<number>)[] | Tensor, opts: DetectOptions = {}): number[][] {
  const seqs = seq.length > 0 && Array.isArray(seq[0]) ? (seq as readonly (readonly number[])[]) : [seq as readonly number[]];
  if (seqs.length === 0) throw new Error("detectHead: no sequence given");
  if ((opts.cache || opts.patterns) && seqs.length > 1) throw new Error("detectHead: a cache or patterns can be given for one sequence only");
  const { n_layers: L, n_heads: H, n_ctx } = model.cfg;
  const heads = headList(model, opts.heads);
  const custom = typeof detection === "string" ? null : Array.isArray(detection) ? (detection as readonly (ArrayLike<number>)[]) : ((detection as Tensor).toArray() as number[][]);
  const total = Array.from({ length: L }, () => new Array<number>(H).fill(0));
  for (const tokens of seqs) {
    const n = tokens.length;
    if (!(n > 1 && n <= n_ctx)) throw new Error(`detectHead: a sequence must have 2 to n_ctx = ${n_ctx} tokens, got ${n}`);
    const D = custom ?? detectionPattern(detection as HeadName, tokens);
    checkDetection(D, n);
    const patterns = opts.patterns ?? attentionPatternRows(model, tokens, opts.cache);
    if (patterns.length !== L || patterns.some((layer) => layer.length !== H || layer.some((p) => p.length !== n))) {
      throw new Error(`detectHead: patterns must be [${L} layers][${H} heads][${n} queries][${n} keys]`);
    }
    for (const [l, h] of heads) total[l][h] += headSimilarityScore(patterns[l][h], D, opts);
  }
  const asked = new Set(heads.map(([l, h]) => l * H + h));
  return total.map((row, l) => row.map((s, h) => (asked.has(l * H + h) ? s / seqs.length : -1)));
}

/** All three built-in detectors on the same sequence(s), from one forward pass per sequence. */
export function headDetectorScores(model: HookedTransformer, seq: readonly number[] | readonly (readonly number[])[], opts: Omit<DetectOptions, "cache" | "patterns"> = {}): Record<HeadName, number[][]> {
  const seqs = seq.length > 0 && Array.isArray(seq[0]) ? (seq as readonly (readonly number[])[]) : [seq as readonly number[]];
  const names = model.blocks.map((_, l) => `blocks.${l}.attn.hook_pattern`);
  const out = Object.fromEntries(HEAD_NAMES.map((name) => [name, [] as number[][]])) as Record<HeadName, number[][]>;
  for (const tokens of seqs) {
    const cache = model.runWithCache([[...tokens]], { namesFilter: names }).cache;
    for (const name of HEAD_NAMES) {
      const s = detectHead(model, tokens, name, { ...opts, cache });
      out[name] = out[name].length === 0 ? s : out[name].map((row, l) => row.map((v, h) => v + s[l][h]));
    }
    cache.dispose();
  }
  const H = model.cfg.n_heads;
  const asked = new Set(headList(model, opts.heads).map(([l, h]) => l * H + h));
  for (const name of HEAD_NAMES) out[name] = out[name].map((row, l) => row.map((v, h) => (asked.has(l * H + h) ? v / seqs.length : -1)));
  return out;
}

/** The (layer, head) pairs sorted by score, best first. */
export function rankHeads(scores: readonly (readonly number[])[]): { layer: number; head: number; score: number }[] {
  return scores.flatMap((row, layer) => row.map((score, head) => ({ layer, head, score }))).sort((a, b) => b.score - a.score);
}
