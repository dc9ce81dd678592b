// How sure is an accuracy? Each item scores 0 or 1 (or a number); the task's score is their
// mean (or, for perplexity, exp(−log-likelihood per token)). The standard error of a mean is
// s / √n with s the sample standard deviation (lm-eval's mean_stderr); for any statistic, the
// percentile bootstrap resamples the n items with replacement B times, recomputes the statistic
// each time, and takes the 2.5th and 97.5th percentiles of those B values as a 95 % interval.
// Both shrink like 1/√n: four times the items, half the width.
import { Generator } from "../tensor/random.js";

export const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Per token: exp(−Σ log p / Σ tokens) over the items' continuations (each item: its summed log p and its token count). */
export function perplexity(items: readonly { logprob: number; tokens: number }[]): number {
  let lp = 0;
  let tokens = 0;
  for (const it of items) {
    lp += it.logprob;
    tokens += it.tokens;
  }
  return Math.exp(-lp / tokens);
}

/** Sample standard deviation over √n; NaN with fewer than 2 values. */
export function meanStderr(xs: readonly number[]): number {
  const n = xs.length;
  if (n < 2) return NaN;
  const m = mean(xs);
  const variance = xs.reduce((a, x) => a + (x - m) * (x - m), 0) / (n - 1);
  return Math.sqrt(variance / n);
}

/** The q-quantile of sorted values, interpolating linearly between neighbours (numpy's default). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const at = q * (sorted.length - 1);
  const lo = Math.floor(at);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (at - lo) * (sorted[hi] - sorted[lo]);
}

export interface BootstrapOptions {
  /** Resamples (default 1000). */
  iters?: number;
  /** Seed of the resampling (default 1234): the same items give the same interval. */
  seed?: number;
  /** Coverage of the interval (default 0.95). */
  level?: number;
}

/**
 * Percentile bootstrap of `statistic` over `values`: the interval [lo, hi] and the standard
 * deviation of the resampled statistics (the bootstrap standard error).
 */
export function bootstrap<T>(values: readonly T[], statistic: (xs: readonly T[]) => number, opts: BootstrapOptions = {}): { lo: number; hi: number; stderr: number } {
  const iters = opts.iters ?? 1000;
  const level = opts.level ?? 0.95;
  if (!(Number.isSafeInteger(iters) && iters >= 1)) throw new Error(`bootstrap: iters must be a positive integer, got ${iters}`);
  if (!(level > 0 && level < 1)) throw new Error(`bootstrap: level must be in (0, 1), got ${level}`);
  const n = values.length;
  if (n === 0) return { lo: NaN, hi: NaN, stderr: NaN };
  const gen = new Generator(opts.seed ?? 1234);
  const stats: number[] = [];
  const sample = new Array<T>(n);
  for (let b = 0; b < iters; b++) {
    for (let i = 0; i < n; i++) sample[i] = values[gen.randint(0, n)];
    stats.push(statistic(sample));
  }
  stats.sort((a, b) => a - b);
  const m = mean(stats);
  const sd = iters > 1 ? Math.sqrt(stats.reduce((a, s) => a + (s - m) * (s - m), 0) / (iters - 1)) : NaN;
  return { lo: quantile(stats, (1 - level) / 2), hi: quantile(stats, 1 - (1 - level) / 2), stderr: sd };
}
