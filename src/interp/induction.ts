// Induction heads in any HookedTransformer (Olsson et al. 2022, "In-context Learning and
// Induction Heads"; Elhage et al. 2021), measured on TransformerLens's repeated random tokens
//   <bos> s₁ s₂ … s_n s₁ s₂ … s_n      (s_i uniform over the symbols; src/data/tasks repeatedTokens)
// The first copy is unpredictable (loss ≈ ln |symbols|); the second is predictable only by looking
// back: "find the previous occurrence of the current token and copy the token after it". The
// two-head circuit that does this:
//   previous-token head (an earlier layer): at position j attends to j − 1 and writes "the token before me";
//   induction head (a later layer): its keys read that write (K-composition with the previous-token
//     head), so from position i (token A) it attends to the position right after the earlier A,
//     and its OV circuit copies that token into the logits (a positive copying score).
//
// analyzeInduction measures each link on a model it is given (training one is the experiment in
// src/experiments/induction.ts):
//   - loss on the first and the second copy (in-context gain = first − second);
//   - induction score of each head: mean attention from position i of the second copy to
//     i − n + 1 (the token after the previous occurrence), the diagonal definition of
//     TransformerLens's tutorials; previous-token score: mean attention from i to i − 1;
//   - whether the best scores clear HEAD_SCORE_THRESHOLD (did the heads form at all?);
//   - K-, Q-, V-composition scores between the previous-token head's layer and the induction head's;
//   - the in-context gain after ablating the induction head(s) and the previous-token head(s);
//   - the OV copying score (Re Σλ / Σ|λ| of W_E W_V W_O W_U) of every head.
import type { HookedTransformer } from "../models/gpt/model.js";
import type { Tokenizer } from "../tokenizers/types.js";
import { noGrad } from "../tensor/autograd.js";
import { Generator } from "../tensor/random.js";
import { tidy } from "../tensor/scope.js";
import type { Tensor } from "../tensor/tensor.js";
import { repeatedTokens } from "../data/tasks/induction.js";
import { ablationOps, type AblationMethod } from "./ablation.js";
import { compositionBaseline, compositionBetween, compositionScores, copyingScores } from "./circuits.js";
import { type HeadRef, inEvalMode, runInterventions } from "./patching-core.js";

/**
 * A head "formed" when its score reaches 0.4: the threshold of the induction, previous-token and
 * current-token detectors in ARENA's TransformerLens tutorial (induction_attn_detector: score > 0.4).
 * A head that does nothing in particular attends about uniformly over the i + 1 positions it can
 * see, scoring the mean of 1/(i + 1) over the scored positions (uniformScores): 0.034 for the
 * induction score and 0.08 for the previous-token score at n = 20. A real induction head in
 * the trained 2-layer model scores 0.5–0.75 (docs/induction.md); GPT-2 small's best score 0.9+.
 */
export const HEAD_SCORE_THRESHOLD = 0.4;

/**
 * `count` sequences <bos> s₁…s_n s₁…s_n (length 2n + 1) from the repeatedTokens task: ids
 * 0 … nSymbols − 1 uniform (with replacement, as TransformerLens), <bos> = nSymbols.
 */
export function repeatedTokenSequences(count: number, n: number, nSymbols: number, seed: number): number[][] {
  return repeatedTokens({ nSymbols, length: n }).generate(count, seed).map((e) => [...e.tokens]);
}

/**
 * Which tokens the repeated sequences use: s_i uniform over `symbols`, after the token `bos`. With
 * bos = null (a vocabulary without a special token to begin with) position 0 holds one more
 * random symbol, so a text model sees an ordinary window.
 */
export interface RepeatedTokenVocab {
  symbols: readonly number[];
  bos: number | null;
}

/** The trained experiment's vocabulary: symbols 0 … nSymbols − 1, <bos> = nSymbols. */
export function symbolVocab(nSymbols: number): RepeatedTokenVocab {
  return { symbols: Array.from({ length: nSymbols }, (_, i) => i), bos: nSymbols };
}

/**
 * The tokens to repeat for a saved model: every id of its vocabulary except special tokens (a
 * <pad> or <|endoftext|> inside s would not be "random text"); the special token that starts a
 * text (GPT-2's <|endoftext|>, a <bos> or <s>) as <bos> if the tokenizer has one.
 */
export function repeatedTokenVocab(model: HookedTransformer, tok: Tokenizer | null): RepeatedTokenVocab {
  const special = Object.entries(tok?.specialTokens ?? {}).filter(([, id]) => id < model.cfg.d_vocab);
  const specialIds = new Set(special.map(([, id]) => id));
  const size = Math.min(model.cfg.d_vocab, tok?.vocabSize ?? Infinity);
  const symbols = Array.from({ length: size }, (_, id) => id).filter((id) => !specialIds.has(id));
  const bos = special.find(([text]) => /bos|^<s>$|endoftext|start/i.test(text))?.[1] ?? null;
  return { symbols, bos };
}

/** repeatedTokenSequences over any vocabulary: the same draws, symbol k renamed to symbols[k]. */
export function repeatedTokensOver(count: number, n: number, vocab: RepeatedTokenVocab, seed: number): number[][] {
  const { symbols, bos } = vocab;
  if (symbols.length === 0) throw new Error("repeatedTokensOver: no symbols to draw from");
  const gen = new Generator(seed + 7919); // another stream than the task's, for position 0 only
  return repeatedTokenSequences(count, n, symbols.length, seed).map((seq) =>
    seq.map((k, i) => (i > 0 ? symbols[k] : bos ?? symbols[gen.randint(0, symbols.length)])),
  );
}

/** Per-position mean next-token loss (position i predicts token i + 1): length pos − 1. */
export function lossByPosition(model: HookedTransformer, tokens: number[][], logits?: Tensor): number[] {
  return inEvalMode(model, () =>
    tidy(() =>
      noGrad(() => {
        const lg = logits ?? model.forward(tokens);
        const [b, p, v] = lg.shape;
        const logp = lg.logSoftmax(-1).dataSync() as Float32Array;
        const out = new Array<number>(p - 1).fill(0);
        for (let r = 0; r < b; r++) for (let i = 0; i < p - 1; i++) out[i] -= logp[(r * p + i) * v + tokens[r][i + 1]] / b;
        return out;
      }),
    ),
  );
}

/**
 * Mean losses on the two copies of <bos> s₁…s_n s₁…s_n: first = predictions of s₂…s_n in the
 * first copy (positions 1…n−1), second = the same tokens in the second copy (positions n+1…2n−1).
 */
export function halfLosses(perPosition: number[], n: number): { first: number; second: number; gain: number } {
  const mean = (a: number, b: number) => perPosition.slice(a, b).reduce((s, v) => s + v, 0) / (b - a);
  const first = mean(1, n);
  const second = mean(n + 1, 2 * n);
  return { first, second, gain: first - second };
}

export interface RepeatedTokenHeadScores {
  /** Mean attention from position i of the second copy to i − n + 1 (the token after the earlier copy): [layer][head]. */
  induction: number[][];
  /** Mean attention from every position i ≥ 1 to i − 1: [layer][head]. */
  previousToken: number[][];
  /** Mean attention from position i of the second copy to i − n (the earlier copy of the same token): [layer][head]. */
  duplicateToken: number[][];
}

/**
 * Head scores on repeated random tokens (tokens = <bos> + s + s, n = |s|) from the attention
 * patterns: the diagonal-offset definitions of TransformerLens's tutorials (ARENA's
 * induction_attn_detector / prev_attn_detector), distinct from any pattern-matching detector.
 */
export function headScoresOnRepeatedTokens(model: HookedTransformer, tokens: number[][], n: number): RepeatedTokenHeadScores {
  const { n_layers: L, n_heads: H } = model.cfg;
  const names = Array.from({ length: L }, (_, l) => `blocks.${l}.attn.hook_pattern`);
  const patterns = inEvalMode(model, () =>
    tidy(() =>
      noGrad(() => {
        const { cache } = model.runWithCache(tokens, { namesFilter: names });
        return names.map((nm) => ({ data: cache.get(nm)!.dataSync() as Float32Array, shape: cache.get(nm)!.shape }));
      }),
    ),
  );
  const P = tokens[0].length;
  if (P !== 2 * n + 1) throw new Error(`headScoresOnRepeatedTokens: expected sequences of 2n + 1 = ${2 * n + 1} tokens, got ${P}`);
  const B = tokens.length;
  const score = (l: number, h: number, from: number, to: number, offset: number) => {
    const { data } = patterns[l];
    let s = 0;
    let c = 0;
    for (let b = 0; b < B; b++) for (let q = from; q < to; q++) {
      s += data[((b * H + h) * P + q) * P + (q - offset)];
      c++;
    }
    return s / c;
  };
  const grid = (from: number, to: number, offset: number) => Array.from({ length: L }, (_, l) => Array.from({ length: H }, (_, h) => score(l, h, from, to, offset)));
  return { induction: grid(n + 1, 2 * n + 1, n - 1), previousToken: grid(1, P, 1), duplicateToken: grid(n + 1, 2 * n + 1, n) };
}

/** The head with the largest value in m[layer][head], among the layers `layers` allows. */
function argmax2(m: number[][], layers: (l: number) => boolean = () => true): HeadRef {
  let best: HeadRef = [0, 0];
  let bv = -Infinity;
  m.forEach((row, r) => {
    if (!layers(r)) return;
    row.forEach((v, c) => {
      if (v > bv) [bv, best] = [v, [r, c]];
    });
  });
  return best;
}

/** Losses on the two copies, and the in-context gain = first − second. */
export interface CopyLosses {
  firstHalfLoss: number;
  secondHalfLoss: number;
  inContextGain: number;
}

export interface InductionAnalysis extends CopyLosses {
  n: number;
  /** The first evaluation sequence <bos> s s (for attention-pattern figures). */
  example: number[];
  /** The <bos> id of the sequences (null: position 0 held a random symbol). */
  bos: number | null;
  /** Per-position loss on the evaluation batch. */
  lossByPosition: number[];
  /** ln |symbols|: the loss of guessing uniformly. */
  chanceLoss: number;
  scores: RepeatedTokenHeadScores;
  /** What heads attending uniformly would score (uniformScores), and the bar a formed head clears. */
  uniformScores: { induction: number; previousToken: number };
  threshold: number;
  /**
   * The head with the highest induction score in layers ≥ 1 (an induction head needs an earlier
   * head to compose with), and the head with the highest previous-token score in the layers
   * before it. In a 2-layer model: the best layer-1 and the best layer-0 head.
   */
  inductionHead: HeadRef;
  previousTokenHead: HeadRef;
  /** Whether those best scores reach the threshold: did induction / previous-token heads form at all? */
  inductionFormed: boolean;
  previousTokenFormed: boolean;
  /**
   * Heads of those layers scoring ≥ 0.5 × the best: the induction heads (previous-token heads)
   * when the best one formed, otherwise only the least flat ones, for the ablation.
   */
  inductionHeads: HeadRef[];
  previousTokenHeads: HeadRef[];
  /** Composition scores from each head of previousTokenHead's layer (rows) into each head of inductionHead's layer (columns). */
  composition: { K: number[][]; Q: number[][]; V: number[][] };
  /** The pair of those layers with the largest K-composition, and the largest Q- and V-composition of any pair. */
  maxKComposition: { sender: HeadRef; receiver: HeadRef; score: number };
  maxQComposition: number;
  maxVComposition: number;
  /** Composition score of random matrices of these shapes (Elhage et al.'s baseline). */
  compositionBaseline: number;
  /** Losses after ablating the top induction head alone and all induction heads. */
  ablation: {
    method: AblationMethod;
    top: CopyLosses;
    all: CopyLosses;
    /** The same for the top previous-token head, and for all of them. */
    previousToken: CopyLosses;
    allPreviousToken: CopyLosses;
  };
  /** Full-OV-circuit copying score [layer][head]. */
  copyingScores: number[][];
  inductionHeadCopyingScore: number;
}

/**
 * The score a head attending uniformly to every position it can see would get: the mean of
 * 1/(q + 1) over the query positions q that each score averages.
 */
export function uniformScores(n: number): { induction: number; previousToken: number } {
  const mean = (from: number, to: number) => {
    let s = 0;
    for (let q = from; q < to; q++) s += 1 / (q + 1);
    return s / (to - from);
  };
  return { induction: mean(n + 1, 2 * n + 1), previousToken: mean(1, 2 * n + 1) };
}

export interface InductionAnalysisOptions {
  /** Length of the repeated segment: sequences of 2n + 1 tokens, at most n_ctx. */
  n: number;
  /** The experiment's vocabulary: symbols 0 … nSymbols − 1, <bos> = nSymbols … */
  nSymbols?: number;
  /** … or any model's: draw from these ids after this <bos> (see RepeatedTokenVocab). */
  vocab?: RepeatedTokenVocab;
  /** Sequences to average over (default 64). */
  batch?: number;
  seed?: number;
  ablation?: AblationMethod;
}

/** Every measurement of the reproduction on `batch` fresh sequences (seeded), on any model of ≥ 2 layers. */
export function analyzeInduction(model: HookedTransformer, opts: InductionAnalysisOptions): InductionAnalysis {
  const { n } = opts;
  const vocab = opts.vocab ?? (opts.nSymbols !== undefined ? symbolVocab(opts.nSymbols) : null);
  if (vocab === null) throw new Error("analyzeInduction: give nSymbols or vocab");
  const L = model.cfg.n_layers;
  if (L < 2) throw new Error(`analyzeInduction: needs at least 2 layers (an induction head composes with a head of an earlier layer), got ${L}`);
  if (2 * n + 1 > model.cfg.n_ctx) throw new Error(`analyzeInduction: sequences of 2n + 1 = ${2 * n + 1} tokens exceed n_ctx = ${model.cfg.n_ctx}`);
  const batch = opts.batch ?? 64;
  const seed = opts.seed ?? 12345;
  const tokens = repeatedTokensOver(batch, n, vocab, seed);
  const perPos = lossByPosition(model, tokens);
  const halves = halfLosses(perPos, n);
  const scores = headScoresOnRepeatedTokens(model, tokens, n);
  const threshold = HEAD_SCORE_THRESHOLD;
  const inductionHead = argmax2(scores.induction, (l) => l >= 1);
  const previousTokenHead = argmax2(scores.previousToken, (l) => l < inductionHead[0]);
  const score = (m: number[][], [l, h]: HeadRef) => m[l][h];
  const bestInduction = score(scores.induction, inductionHead);
  const bestPrevious = score(scores.previousToken, previousTokenHead);
  const near = (m: number[][], best: number, layers: (l: number) => boolean) =>
    m.flatMap((row, l) => (layers(l) ? row.map((v, h) => [v, [l, h] as HeadRef] as const) : [])).filter(([v]) => v >= 0.5 * best).map(([, head]) => head);
  const inductionHeads = near(scores.induction, bestInduction, (l) => l >= 1);
  const previousTokenHeads = near(scores.previousToken, bestPrevious, (l) => l < inductionHead[0]);
  const [lp, li] = [previousTokenHead[0], inductionHead[0]];
  const comp = (k: "K" | "Q" | "V") => compositionBetween(compositionScores(model, k), lp, li);
  const composition = { K: comp("K"), Q: comp("Q"), V: comp("V") };
  const [s0, r1] = argmax2(composition.K);
  const method = opts.ablation ?? "mean";
  // ablations, batched: the top induction head, all induction heads, the previous-token head(s)
  const reference = repeatedTokensOver(batch, n, vocab, seed + 1);
  const sets: HeadRef[][] = [[inductionHead], inductionHeads, [previousTokenHead], previousTokenHeads];
  const perSet = sets.map((set) => {
    let perPosition: number[] = [];
    const record = (logits: Tensor) => {
      perPosition = lossByPosition(model, tokens, logits);
      return 0;
    };
    runInterventions(model, tokens, [ablationOps(model, tokens, set, { method, reference })], record);
    return perPosition;
  });
  const summarize = (pp: number[]): CopyLosses => {
    const h = halfLosses(pp, n);
    return { firstHalfLoss: h.first, secondHalfLoss: h.second, inContextGain: h.gain };
  };
  const copying = copyingScores(model).score;
  return {
    n,
    example: tokens[0],
    bos: vocab.bos,
    lossByPosition: perPos,
    firstHalfLoss: halves.first,
    secondHalfLoss: halves.second,
    inContextGain: halves.gain,
    chanceLoss: Math.log(vocab.symbols.length),
    scores,
    uniformScores: uniformScores(n),
    threshold,
    inductionHead,
    previousTokenHead,
    inductionFormed: bestInduction >= threshold,
    previousTokenFormed: bestPrevious >= threshold,
    inductionHeads,
    composition,
    maxKComposition: { sender: [lp, s0], receiver: [li, r1], score: composition.K[s0][r1] },
    maxQComposition: Math.max(...composition.Q.flat()),
    maxVComposition: Math.max(...composition.V.flat()),
    compositionBaseline: compositionBaseline(model.cfg.d_model, model.cfg.d_head),
    previousTokenHeads,
    ablation: { method, top: summarize(perSet[0]), all: summarize(perSet[1]), previousToken: summarize(perSet[2]), allPreviousToken: summarize(perSet[3]) },
    copyingScores: copying,
    inductionHeadCopyingScore: copying[inductionHead[0]][inductionHead[1]],
  };
}
