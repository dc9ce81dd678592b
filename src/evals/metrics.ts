// Scoring one item: multiple-choice accuracy from the choices' log-likelihoods, exact match of a
// generation against the target, and the filters that turn a raw generation into an answer.

import type { FilterPipeline, MetricSpec } from "./config.js";

/** The index of the largest value, the first one on ties (as numpy.argmax). */
export function argmaxIndex(xs: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i] > xs[best]) best = i;
  return best;
}

/**
 * Multiple choice, as lm-eval scores it. acc: the choice with the largest summed log-likelihood
 * log P(" " + choice | context) is the correct one. acc_norm: the same after dividing each by the
 * choice's length in characters, so that long answers (whose many tokens each cost probability)
 * are not penalised for their length alone.
 */
export function multipleChoice(logprobs: readonly number[], choices: readonly string[], gold: number): { acc: number; acc_norm: number; pred: number; predNorm: number } {
  if (logprobs.length !== choices.length) throw new Error(`multipleChoice: ${logprobs.length} log-likelihoods for ${choices.length} choices`);
  const pred = argmaxIndex(logprobs);
  // characters as Python counts them (code points), as lm-eval's len(choice)
  const predNorm = argmaxIndex(logprobs.map((lp, i) => lp / Math.max(1, [...choices[i]].length)));
  return { acc: pred === gold ? 1 : 0, acc_norm: predNorm === gold ? 1 : 0, pred, predNorm };
}

/** ASCII punctuation and symbols: Python's string.punctuation, which Hugging Face's exact_match removes. */
const PUNCTUATION = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g;

/**
 * Exact match as Hugging Face's exact_match metric: both texts with regexes_to_ignore removed,
 * lower-cased with ignore_case, without punctuation with ignore_punctuation; here also trimmed of
 * leading and trailing whitespace unless strip is false (a generation usually starts with a space).
 */
export function exactMatch(prediction: string, reference: string, spec: Omit<MetricSpec, "metric"> = {}): number {
  const norm = (s: string) => {
    for (const r of spec.regexes_to_ignore ?? []) s = s.replace(new RegExp(r, "gu"), "");
    if (spec.ignore_case) s = s.toLowerCase();
    if (spec.ignore_punctuation) s = s.replace(PUNCTUATION, "");
    return spec.strip === false ? s : s.trim();
  };
  return norm(prediction) === norm(reference) ? 1 : 0;
}

/**
 * A generation through a filter pipeline, step by step (lm-eval's filters on one response):
 * regex keeps a match (its first non-empty group, else the whole match; the fallback when none),
 * lowercase / uppercase change case, remove_whitespace drops leading whitespace, take_first
 * keeps the (only) response.
 */
export function applyFilters(response: string, pipeline: FilterPipeline): string {
  let s = response;
  for (const step of pipeline.filter) {
    switch (step.function) {
      case "regex": {
        const matches = [...s.matchAll(new RegExp(step.regex_pattern!, "gu"))];
        const k = step.group_select ?? 0;
        const m = matches[k < 0 ? matches.length + k : k];
        s = m === undefined ? (step.fallback ?? "[invalid]") : (m.slice(1).find((g) => g !== undefined && g !== "") ?? m[0]);
        break;
      }
      case "lowercase": s = s.toLowerCase(); break;
      case "uppercase": s = s.toUpperCase(); break;
      case "remove_whitespace": s = s.trimStart(); break;
      case "take_first": break;
    }
  }
  return s;
}
