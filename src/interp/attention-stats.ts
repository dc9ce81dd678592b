// Statistics of attention patterns, one number per head: what an attention atlas sorts and
// filters heads by (after pattern-lens's "figure functions", which summarise each head's pattern
// on each prompt). For a pattern A (queries q down, keys k across, row q a distribution over the
// keys k ≤ q it can see), averaged over the query positions q = 1 … n − 1 (position 0 sees only
// itself, so every head "attends to itself" and "to the first token" there with weight 1):
//   entropy            −Σ_k A[q,k] ln A[q,k]        nats; 0 = one key, ln(q + 1) = uniform
//   first token (BOS)  A[q,0]                       the attention sink of many trained models
//   previous token     A[q,q−1]
//   self (diagonal)    A[q,q]
//   mean distance      Σ_k A[q,k] (q − k)           positions back, attention-weighted
// and two scores on TransformerLens's repeated random tokens <bos> s s (src/interp/induction.ts):
//   induction          attention from the second copy's token to the token after its first copy
//   duplicate token    attention from the second copy's token to its first copy
// A head's value over a set of prompts is the mean of its per-prompt values (each prompt counts
// once, however long).
import type { HookedTransformer } from "../models/gpt/model.js";
import { noGrad } from "../tensor/autograd.js";
import { tidy } from "../tensor/scope.js";
import { attentionPatternRows } from "./attention.js";
import { headScoresOnRepeatedTokens, repeatedTokensOver, type RepeatedTokenVocab } from "./induction.js";
import { inEvalMode } from "./patching-core.js";

/** One head's pattern on one prompt: rows are queries, each row the attention to every key (n × n). */
export type Pattern = readonly ArrayLike<number>[];

/** The statistics measured on each prompt's pattern. */
export type PatternStatName = "entropy" | "firstToken" | "previousToken" | "self" | "meanDistance";
/** …and those measured on repeated random tokens. */
export type RepeatedStatName = "induction" | "duplicateToken";
export type HeadStatName = PatternStatName | RepeatedStatName;

/** What each statistic is, for tables, legends and the atlas's sort menu. */
export const HEAD_STATS: readonly { name: HeadStatName; label: string; unit: string; about: string }[] = [
  { name: "entropy", label: "entropy", unit: "nats", about: "−Σ A ln A per query row, mean over queries 1…n−1 (0: one key; ln(q+1): uniform)" },
  { name: "firstToken", label: "first token (BOS)", unit: "", about: "attention to position 0, the attention sink" },
  { name: "previousToken", label: "previous token", unit: "", about: "attention from q to q − 1" },
  { name: "self", label: "self (diagonal)", unit: "", about: "attention from q to itself" },
  { name: "meanDistance", label: "mean distance", unit: "tokens", about: "Σ_k A[q,k](q − k): how far back the head looks" },
  { name: "induction", label: "induction", unit: "", about: "on repeated random tokens <bos> s s: attention to the token after the earlier copy" },
  { name: "duplicateToken", label: "duplicate token", unit: "", about: "on repeated random tokens <bos> s s: attention to the earlier copy of the current token" },
];

export const PATTERN_STATS: readonly PatternStatName[] = ["entropy", "firstToken", "previousToken", "self", "meanDistance"];

/** The pattern statistics of one head on one prompt (see the header); NaN for a prompt of one token. */
export function patternStats(A: Pattern): Record<PatternStatName, number> {
  const n = A.length;
  const sum: Record<PatternStatName, number> = { entropy: 0, firstToken: 0, previousToken: 0, self: 0, meanDistance: 0 };
  for (let q = 1; q < n; q++) {
    const row = A[q]!;
    let h = 0;
    let dist = 0;
    for (let k = 0; k <= q; k++) {
      const a = row[k]!;
      if (a > 0) h -= a * Math.log(a); // 0 ln 0 = 0
      dist += a * (q - k);
    }
    sum.entropy += h;
    sum.meanDistance += dist;
    sum.firstToken += row[0]!;
    sum.previousToken += row[q - 1]!;
    sum.self += row[q]!;
  }
  const count = n - 1;
  return Object.fromEntries(PATTERN_STATS.map((s) => [s, count > 0 ? sum[s] / count : NaN])) as Record<PatternStatName, number>;
}

/**
 * How far a pattern is from a causal attention distribution: the largest |Σ_k A[q,k] − 1| over
 * the rows, and the largest attention any query pays to later keys (k > q) in all. Both are
 * float32 rounding (≲ 1e-6) for a correct softmax with the causal mask.
 */
export function patternDefects(A: Pattern): { rowSumError: number; futureAttention: number } {
  let rowSumError = 0;
  let futureAttention = 0;
  A.forEach((row, q) => {
    let s = 0;
    let future = 0;
    for (let k = 0; k < row.length; k++) {
      s += row[k]!;
      if (k > q) future += Math.abs(row[k]!);
    }
    rowSumError = Math.max(rowSumError, Math.abs(s - 1));
    futureAttention = Math.max(futureAttention, future);
  });
  return { rowSumError, futureAttention };
}

/** Every head's pattern on each prompt: patterns[prompt][layer][head][query][key]. */
export function promptPatterns(model: HookedTransformer, prompts: readonly (readonly number[])[]): ArrayLike<number>[][][][] {
  return inEvalMode(model, () => prompts.map((tokens) => tidy(() => noGrad(() => attentionPatternRows(model, tokens)))));
}

export interface HeadStatistics {
  /** stats[name][layer][head]: the mean over prompts (pattern statistics) or the repeated-token score. */
  stats: Record<HeadStatName, number[][]>;
  /** perPrompt[prompt][name][layer][head]: the pattern statistics on each prompt. */
  perPrompt: Record<PatternStatName, number[][]>[];
  /** The worst row-sum error and future attention over every pattern (see patternDefects). */
  defects: { rowSumError: number; futureAttention: number };
}

/**
 * Every head's statistics: the pattern statistics from `patterns` (as promptPatterns returns them,
 * at least one prompt of two tokens or more), the induction and duplicate-token scores from the
 * repeated-token scores given (headScoresOnRepeatedTokens).
 */
export function headStatistics(patterns: readonly (readonly (readonly Pattern[])[])[], repeated: { induction: number[][]; duplicateToken: number[][] }): HeadStatistics {
  const scored = patterns.filter((p) => p[0]![0]!.length > 1);
  if (scored.length === 0) throw new Error("headStatistics: no prompt of two tokens or more (a one-token prompt has no query that can look back)");
  let defects = { rowSumError: 0, futureAttention: 0 };
  const perPrompt = patterns.map((layers) => {
    const out = Object.fromEntries(PATTERN_STATS.map((s) => [s, [] as number[][]])) as Record<PatternStatName, number[][]>;
    layers.forEach((heads, l) => {
      for (const s of PATTERN_STATS) out[s][l] = [];
      heads.forEach((A, h) => {
        const st = patternStats(A);
        for (const s of PATTERN_STATS) out[s][l]![h] = st[s];
        const d = patternDefects(A);
        defects = { rowSumError: Math.max(defects.rowSumError, d.rowSumError), futureAttention: Math.max(defects.futureAttention, d.futureAttention) };
      });
    });
    return out;
  });
  const mean = (s: PatternStatName) => {
    const first = perPrompt[0]![s];
    return first.map((row, l) =>
      row.map((_, h) => {
        const vals = perPrompt.map((p) => p[s][l]![h]!).filter((v) => !Number.isNaN(v));
        return vals.reduce((a, b) => a + b, 0) / vals.length;
      }),
    );
  };
  const stats = { ...(Object.fromEntries(PATTERN_STATS.map((s) => [s, mean(s)])) as Record<PatternStatName, number[][]>), induction: repeated.induction, duplicateToken: repeated.duplicateToken };
  return { stats, perPrompt, defects };
}

/**
 * Induction and duplicate-token scores of every head on `batch` sequences <bos> s s with |s| = n
 * drawn from `vocab` (needs 2n + 1 ≤ n_ctx), and the first sequence (to show as a prompt).
 */
export function repeatedTokenStats(model: HookedTransformer, vocab: RepeatedTokenVocab, n: number, batch: number, seed: number): { induction: number[][]; duplicateToken: number[][]; previousToken: number[][]; example: number[] } {
  if (2 * n + 1 > model.cfg.n_ctx) throw new Error(`repeatedTokenStats: sequences of 2n + 1 = ${2 * n + 1} tokens exceed n_ctx = ${model.cfg.n_ctx}`);
  const tokens = repeatedTokensOver(batch, n, vocab, seed);
  const s = headScoresOnRepeatedTokens(model, tokens, n);
  return { ...s, example: tokens[0]! };
}
