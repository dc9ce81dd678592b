// The IOI circuit analyses of Wang et al. 2022 ("Interpretability in the Wild"), for any
// GPT-style model given an IOI dataset (src/data/ioi.ts):
//
//   - the logit difference logit(IO) − logit(S) at END, the paper's metric (section 2);
//   - path patching from every head, with the ABC prompts as the corrupted source, into
//       the logits                        → name movers (negative effect), negative name movers (positive)   Fig. 3
//       the name movers' queries          → S-inhibition heads                                              Fig. 4
//       the S-inhibition heads' values    → induction and duplicate-token heads                            Fig. 5
//       the induction heads' keys         → previous-token heads                                           section 3.3
//     each reported as the paper does, the relative change of the logit difference
//       (patched − clean) / clean        (−0.2 = the path carries a fifth of the logit difference);
//   - attention scores on the IOI prompts themselves: duplicate-token (S2 → S1), induction
//     (S2 → the token after S1) and previous-token (the token after S1 → S1).
//
// Prompts of different templates have different lengths: they are right-padded, and the metric
// reads each prompt's logits at its own END position.
import type { IoiDataset } from "../data/ioi.js";
import { getActName, type HookedTransformer } from "../models/gpt/model.js";
import { tensor } from "../tensor/creation.js";
import type { Tensor } from "../tensor/tensor.js";
import { type HeadRef, type Metric, type RunInterventionsOptions, cacheActivations, logitDiffMetric } from "./patching-core.js";
import { type ReceiverInput, pathPatchingSweep } from "./patching.js";

/** The logits (batch, d_vocab) of each row at its own position. */
function logitsAtRows(logits: Tensor, positions: readonly number[]): Tensor {
  const [b, p, v] = logits.shape;
  if (positions.length !== b) throw new Error(`IOI metric: ${positions.length} END positions for a batch of ${b}`);
  const flat = positions.map((pos, r) => {
    if (!(pos >= 0 && pos < p)) throw new Error(`IOI metric: END position ${pos} is outside the ${p} positions`);
    return r * p + pos;
  });
  return logits.reshape(b * p, v).indexSelect(0, tensor(flat, { dtype: "int32" }));
}

/** logit(IO) − logit(S) at END, per prompt (a (batch,) tensor). */
export function ioiLogitDiffs(logits: Tensor, ds: Pick<IoiDataset, "ioIds" | "sIds" | "pos">): Tensor {
  const end = logitsAtRows(logits, ds.pos.end);
  const col = (ids: readonly number[]) => tensor(ids.map((x) => [x]), { dtype: "int32" });
  return end.gather(1, col(ds.ioIds)).sub(end.gather(1, col(ds.sIds))).reshape(-1);
}

/** The paper's metric: the mean over prompts of logit(IO) − logit(S) at END. */
export function ioiMetric(ds: Pick<IoiDataset, "ioIds" | "sIds" | "pos">): Metric {
  return (logits) => ioiLogitDiffs(logits, ds).mean();
}

export interface IoiPerformance {
  /** Mean logit(IO) − logit(S) at END (the paper: 3.56 on GPT-2 small). */
  logitDiff: number;
  /** Fraction of prompts where logit(IO) > logit(S) (the paper: 99.3%). */
  ioOverS: number;
  /** Mean probability of IO at END (the paper: 49%). */
  ioProb: number;
  /** Mean logit difference on the ABC prompts (IO and S of the clean prompt; ≈ 0 expected). */
  abcLogitDiff: number;
  perPrompt: number[];
}

/** How well the model does IOI on the dataset, and what the ABC corruption leaves. */
export function ioiPerformance(model: HookedTransformer, ds: IoiDataset): IoiPerformance {
  const diffs: number[] = [];
  let ioProb = 0;
  const abc = cacheActivations(model, ds.corruptedTokens, [], ioiMetric(ds)).metric;
  cacheActivations(model, ds.tokens, [], (logits) => {
    diffs.push(...(ioiLogitDiffs(logits, ds).dataSync() as Float32Array));
    const probs = logitsAtRows(logits, ds.pos.end).softmax(-1);
    ioProb = probs.gather(1, tensor(ds.ioIds.map((x) => [x]), { dtype: "int32" })).mean().item();
    return 0;
  });
  const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return { logitDiff: mean(diffs), ioOverS: diffs.filter((d) => d > 0).length / diffs.length, ioProb, abcLogitDiff: abc, perPrompt: diffs };
}

// ------------------------------------------------------------------------- path patching

export interface IoiPathPatching {
  /** [layer][head]: (patched − clean) / clean, the relative change of the logit difference when
   *  only the path from that head (its output taken from the ABC run) to the receivers is changed. */
  effect: number[][];
  /** The receivers ("logits", or heads) and which of their inputs were patched. */
  receivers: HeadRef[] | "logits";
  receiverInput: ReceiverInput[];
  clean: number;
  corrupted: number;
}

/**
 * The dataset split into groups of prompts of one length, each without padding: patching runs
 * per group with the metric at the last position (the unembedding of the other positions, most of
 * the cost of a patched run from a late layer, is skipped), and the group means are recombined.
 */
export function ioiLengthGroups(ds: IoiDataset): { rows: number[]; tokens: number[][]; corruptedTokens: number[][]; ioIds: number[]; sIds: number[] }[] {
  const byLength = new Map<number, number[]>();
  ds.pos.end.forEach((e, i) => byLength.set(e + 1, [...(byLength.get(e + 1) ?? []), i]));
  return [...byLength].map(([len, rows]) => ({
    rows,
    tokens: rows.map((i) => ds.tokens[i]!.slice(0, len)),
    corruptedTokens: rows.map((i) => ds.corruptedTokens[i]!.slice(0, len)),
    ioIds: rows.map((i) => ds.ioIds[i]!),
    sIds: rows.map((i) => ds.sIds[i]!),
  }));
}

/**
 * Path patching from every head into the receivers, clean = p_IOI, corrupted = p_ABC (Wang et al.
 * Fig. 3–5). The metric is a mean over prompts and each prompt's run is independent of the others,
 * so the sweep runs per length group and the size-weighted mean of the groups is the whole set's.
 */
export function ioiPathPatching(model: HookedTransformer, ds: IoiDataset, receivers: readonly HeadRef[] | "logits", receiverInput: readonly ReceiverInput[] = ["q", "k", "v"], opts: RunInterventionsOptions = {}): IoiPathPatching {
  const { n_layers: L, n_heads: H } = model.cfg;
  const n = ds.tokens.length;
  const values = Array.from({ length: L }, () => new Array<number>(H).fill(0));
  let clean = 0;
  let corrupted = 0;
  const groups = ioiLengthGroups(ds);
  let done = 0;
  for (const g of groups) {
    const w = g.rows.length / n;
    const r = pathPatchingSweep(model, {
      clean: g.tokens,
      corrupted: g.corruptedTokens,
      metric: logitDiffMetric(g.ioIds, g.sIds, -1),
      receivers,
      receiverInput,
      ...opts,
      onProgress: opts.onProgress && ((d, total) => opts.onProgress!(done + (d / total) * g.rows.length, n)),
    });
    done += g.rows.length;
    r.values.forEach((row, l) => row.forEach((v, h) => (values[l]![h]! += w * v)));
    clean += w * r.clean;
    corrupted += w * r.corrupted;
  }
  if (clean === 0) throw new Error("IOI path patching: the clean logit difference is exactly 0, so relative changes are undefined");
  const effect = values.map((row) => row.map((v) => (v - clean) / clean));
  return { effect, receivers: receivers === "logits" ? "logits" : [...receivers], receiverInput: [...receiverInput], clean, corrupted };
}

// ---------------------------------------------------------------------- attention scores

export interface IoiAttentionScores {
  /** [layer][head] mean attention from S2 to S1 (duplicate-token heads, paper section 3.3). */
  duplicateToken: number[][];
  /** [layer][head] mean attention from S2 to the token after S1 (induction heads). */
  induction: number[][];
  /** [layer][head] mean attention from the token after S1 to S1 (previous-token heads). */
  previousToken: number[][];
  /** [layer][head] mean attention from END to IO and to S2 (name movers attend to IO, section 3.1). */
  endToIo: number[][];
  endToS: number[][];
}

/** Mean attention probabilities between the IOI positions, per head, on the clean prompts. */
export function ioiAttentionScores(model: HookedTransformer, ds: IoiDataset): IoiAttentionScores {
  const { n_layers: L, n_heads: H } = model.cfg;
  const names = Array.from({ length: L }, (_, l) => getActName("pattern", l));
  const { acts } = cacheActivations(model, ds.tokens, names);
  const n = ds.tokens.length;
  const P = ds.tokens[0]!.length;
  const score = (from: readonly number[], to: readonly number[]) =>
    names.map((name) => {
      const a = acts.get(name)!.data; // (batch, head, query, key)
      return Array.from({ length: H }, (_, h) => {
        let s = 0;
        for (let b = 0; b < n; b++) s += a[((b * H + h) * P + from[b]!) * P + to[b]!]!;
        return s / n;
      });
    });
  const afterS1 = ds.pos.s1.map((p) => p + 1);
  return {
    duplicateToken: score(ds.pos.s2, ds.pos.s1),
    induction: score(ds.pos.s2, afterS1),
    previousToken: score(afterS1, ds.pos.s1),
    endToIo: score(ds.pos.end, ds.pos.io),
    endToS: score(ds.pos.end, ds.pos.s2),
  };
}

// ------------------------------------------------------------------------ head rankings

/** The k heads with the largest values (or smallest with "min"), as [layer, head], best first. */
export function topHeads(values: readonly (readonly number[])[], k: number, by: "max" | "min" = "max", maxLayer = Infinity): HeadRef[] {
  const all: { ref: HeadRef; v: number }[] = [];
  values.forEach((row, l) => {
    if (l < maxLayer) row.forEach((v, h) => Number.isFinite(v) && all.push({ ref: [l, h], v }));
  });
  all.sort((a, b) => (by === "max" ? b.v - a.v : a.v - b.v));
  return all.slice(0, k).map((x) => x.ref);
}

/** "9.9" for [9, 9], as the paper writes heads. */
export const headName = ([l, h]: HeadRef): string => `${l}.${h}`;

/** The heads of `ours` that are in `published`. */
export function headOverlap(ours: readonly HeadRef[], published: readonly HeadRef[]): HeadRef[] {
  return ours.filter(([l, h]) => published.some(([pl, ph]) => pl === l && ph === h));
}

/** The head classes of Wang et al. (Fig. 2, the circuit), as (layer, head) of GPT-2 small. */
export const IOI_PUBLISHED_HEADS = {
  nameMovers: [[9, 9], [9, 6], [10, 0]],
  negativeNameMovers: [[10, 7], [11, 10]],
  backupNameMovers: [[10, 10], [10, 6], [10, 2], [10, 1], [11, 2], [9, 7], [9, 0], [11, 9]],
  sInhibition: [[7, 3], [7, 9], [8, 6], [8, 10]],
  induction: [[5, 5], [5, 8], [5, 9], [6, 9]],
  duplicateToken: [[0, 1], [0, 10], [3, 0]],
  previousToken: [[2, 2], [4, 11]],
} as const satisfies Record<string, readonly HeadRef[]>;
