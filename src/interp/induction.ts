// The induction-head reproduction (Olsson et al. 2022, "In-context Learning and Induction Heads";
// Elhage et al. 2021), scaled to seconds-to-minutes on a laptop CPU.
//
// A 2-layer attention-only transformer is trained with the next-token loss on every position of
// sequences holding a random segment written twice (inductionTrainingSequences), then tested on
// TransformerLens's repeated random tokens
//   <bos> s₁ s₂ … s_n s₁ s₂ … s_n      (s_i uniform over nSymbols tokens; src/data/tasks repeatedTokens)
// The first copy is unpredictable (loss ≈ ln nSymbols); the second is predictable only by looking
// back: "find the previous occurrence of the current token and copy the token after it". The
// two-head circuit that does this:
//   layer 0, previous-token head: at position j attends to j − 1 and writes "the token before me";
//   layer 1, induction head: its keys read that write (K-composition with the previous-token
//     head), so from position i (token A) it attends to the position right after the earlier A,
//     and its OV circuit copies that token into the logits (a positive copying score).
//
// analyzeInduction measures each link:
//   - loss on the first and the second copy (in-context gain = first − second);
//   - induction score of each head: mean attention from position i of the second copy to
//     i − n + 1 (the token after the previous occurrence), the diagonal definition of
//     TransformerLens's tutorials; previous-token score: mean attention from i to i − 1;
//   - K-, Q-, V-composition scores between layer-0 and layer-1 heads;
//   - the in-context gain after ablating the induction head(s) and the previous-token head;
//   - the OV copying score (Re Σλ / Σ|λ| of W_E W_V W_O W_U) of every head.
import { HookedTransformer } from "../models/gpt/model.js";
import type { GPTConfigInput } from "../models/gpt/config.js";
import { noGrad } from "../tensor/autograd.js";
import { tensor } from "../tensor/creation.js";
import { Generator } from "../tensor/random.js";
import { tidy } from "../tensor/scope.js";
import type { Tensor } from "../tensor/tensor.js";
import { repeatedTokens } from "../data/tasks/induction.js";
import { type BatchSource, NANOGPT_CPU_TRAIN, type TrainConfig, Trainer } from "../train/trainer.js";
import { ablationOps, type AblationMethod } from "./ablation.js";
import { compositionBaseline, compositionBetween, compositionScores, copyingScores } from "./circuits.js";
import { type HeadRef, inEvalMode, runInterventions } from "./patching-core.js";

/**
 * `count` sequences <bos> s₁…s_n s₁…s_n (length 2n + 1) from the repeatedTokens task: ids
 * 0 … nSymbols − 1 uniform (with replacement, as TransformerLens), <bos> = nSymbols.
 */
export function repeatedTokenSequences(count: number, n: number, nSymbols: number, seed: number): number[][] {
  return repeatedTokens({ nSymbols, length: n }).generate(count, seed).map((e) => [...e.tokens]);
}

/** How training sequences are drawn (see inductionTrainingSequences). */
export interface InductionDataOptions {
  /** Random-token vocabulary (ids 0 … nSymbols − 1; <bos> = nSymbols). */
  nSymbols: number;
  /** Sequence length including <bos>. */
  length: number;
  /** The repeated segment's length m is uniform in [nMin, nMax]. */
  nMin: number;
  nMax: number;
  /** Probability that a background token repeats the token two back ("A B A"), default 0.5. */
  stutter?: number;
}

/**
 * Training sequences for the induction experiment. Each is <bos>, then background tokens, with
 * one random segment s of m tokens (m uniform in [nMin, nMax]) written twice at random places:
 *   <bos> bg… s₁…s_m bg… s₁…s_m bg…
 * Every token of the second copy after its first is predictable only by induction. Two details
 * matter on a small budget (measured: without them no induction heads formed in 10k steps):
 *   - the copies' place and period vary, so neither "attend n − 1 back" (a positional layer-0
 *     head) nor "predict the least recently seen token" solves the task;
 *   - background tokens repeat the token two back with probability `stutter` ("A B A"), a
 *     statistic that rewards a previous-token head directly (in natural text bigram statistics
 *     do this: previous-token heads form first, Olsson et al. 2022); the induction head then
 *     builds on it by K-composition instead of waiting for both heads to appear together.
 */
export function inductionTrainingSequences(count: number, opts: InductionDataOptions, gen: Generator): number[][] {
  const { nSymbols: V, length: T, nMin, nMax } = opts;
  const stutter = opts.stutter ?? 0.5;
  if (!(Number.isInteger(nMin) && Number.isInteger(nMax) && nMin >= 2 && nMax >= nMin)) throw new Error(`inductionTrainingSequences: need integers 2 ≤ nMin ≤ nMax, got ${nMin}, ${nMax}`);
  if (2 * nMax + 1 > T) throw new Error(`inductionTrainingSequences: two copies of ${nMax} tokens need length ≥ ${2 * nMax + 1}, got ${T}`);
  if (!(stutter >= 0 && stutter < 1)) throw new Error(`inductionTrainingSequences: stutter must be in [0, 1), got ${stutter}`);
  return Array.from({ length: count }, () => {
    const out = [V];
    const background = () => {
      const twoBack = out.length >= 2 ? out[out.length - 2] : V;
      out.push(twoBack !== V && gen.random() < stutter ? twoBack : gen.randint(0, V));
    };
    const m = gen.randint(nMin, nMax + 1);
    const s = Array.from({ length: m }, () => gen.randint(0, V));
    const free = T - 1 - 2 * m;
    const before = gen.randint(0, Math.floor(free / 2) + 1);
    const gap = gen.randint(0, free - before + 1);
    for (let i = 0; i < before; i++) background();
    out.push(...s);
    for (let i = 0; i < gap; i++) background();
    out.push(...s);
    while (out.length < T) background();
    return out;
  });
}

/** Next-token batches of fresh training sequences, loss on every position (x = seq[:-1], y = seq[1:]). */
export function inductionBatches(opts: InductionDataOptions & { batchSize: number }): BatchSource {
  const { batchSize, length } = opts;
  const T = length - 1;
  return {
    tokensPerBatch: batchSize * T,
    getBatch: (_split, gen) => {
      const seqs = inductionTrainingSequences(batchSize, opts, gen);
      const x = new Int32Array(batchSize * T);
      const y = new Int32Array(batchSize * T);
      seqs.forEach((s, b) => {
        for (let t = 0; t < T; t++) {
          x[b * T + t] = s[t];
          y[b * T + t] = s[t + 1];
        }
      });
      return { x: tensor(x, { shape: [batchSize, T] }), y: tensor(y, { shape: [batchSize, T] }) };
    },
  };
}

export interface InductionTrainOptions {
  /** Evaluation length n: context 2n + 1 (default 20 → 41 positions). */
  n?: number;
  /** Shortest and longest repeated segment in training (default 3 and n − 2). */
  nMin?: number;
  nMax?: number;
  /** Background "A B A" probability (default 0.5). */
  stutter?: number;
  /** Random-token vocabulary (default 64; d_vocab = nSymbols + 1 with <bos>). */
  nSymbols?: number;
  d_model?: number;
  n_heads?: number;
  /** Extra model fields (normalization_type, positional_embedding_type, …). */
  model?: Partial<GPTConfigInput>;
  steps?: number;
  batchSize?: number;
  lr?: number;
  seed?: number;
  /** Called on the fresh model before training (custom initialisation). */
  init?: (model: HookedTransformer) => void;
  /** Another training distribution (default: inductionBatches with these settings). */
  data?: BatchSource;
  /** Called every `logEvery` steps with the step and the training loss. */
  onStep?: (step: number, loss: number, model: HookedTransformer) => void;
  logEvery?: number;
  /** Every this many steps record losses and head scores on 16 test sequences (the phase change); 0 = off. */
  trackEvery?: number;
}

/** One point of the training history (trackEvery). */
export interface InductionTrackPoint {
  step: number;
  trainLoss: number;
  firstHalfLoss: number;
  secondHalfLoss: number;
  /** Best layer-1 induction score and best layer-0 previous-token score. */
  inductionScore: number;
  previousTokenScore: number;
}

export interface InductionTrainResult {
  model: HookedTransformer;
  n: number;
  nSymbols: number;
  /** Training loss per step. */
  losses: number[];
  /** With trackEvery: test losses and head scores during training. */
  history: InductionTrackPoint[];
  seconds: number;
}

/** Trains the 2-layer attention-only model on repeated random tokens (fixed seed → same model). */
export function trainInductionModel(opts: InductionTrainOptions = {}): InductionTrainResult {
  const n = opts.n ?? 20;
  const nSymbols = opts.nSymbols ?? 64;
  const steps = opts.steps ?? 1000;
  const seed = opts.seed ?? 0;
  const model = new HookedTransformer({
    n_layers: 2,
    d_model: opts.d_model ?? 64,
    n_heads: opts.n_heads ?? 4,
    d_vocab: nSymbols + 1,
    n_ctx: 2 * n + 1,
    attn_only: true,
    normalization_type: "LN",
    positional_embedding_type: "standard",
    // GPT-2's 0.02 starts every head with uniform attention; then all heads of a layer get the
    // same gradients and stay interchangeable copies (measured: identical scores per head, no
    // induction in 2k steps). 0.1 breaks the symmetry from the start.
    initializer_range: 0.1,
    seed,
    ...opts.model,
  });
  opts.init?.(model);
  const lr = opts.lr ?? 1e-3;
  const config: TrainConfig = { ...NANOGPT_CPU_TRAIN, maxIters: steps, batchSize: opts.batchSize ?? 32, blockSize: 2 * n, lr, minLr: lr / 10, warmupIters: Math.min(50, Math.floor(steps / 10)), lrDecayIters: steps, weightDecay: 0.01, evalIters: 1, evalInterval: steps + 1, seed };
  const nMin = opts.nMin ?? 3;
  const nMax = opts.nMax ?? Math.max(nMin, n - 2);
  const data = opts.data ?? inductionBatches({ nMin, nMax, nSymbols, batchSize: config.batchSize, length: 2 * n + 1, stutter: opts.stutter });
  const trainer = new Trainer(model, data, config);
  const t0 = performance.now();
  const losses: number[] = [];
  const history: InductionTrackPoint[] = [];
  const probe = opts.trackEvery ? repeatedTokenSequences(16, n, nSymbols, 777) : [];
  const track = (step: number, trainLoss: number) => {
    const h = halfLosses(lossByPosition(model, probe), n);
    const sc = headScoresOnRepeatedTokens(model, probe, n);
    history.push({ step, trainLoss, firstHalfLoss: h.first, secondHalfLoss: h.second, inductionScore: Math.max(...sc.induction[1]), previousTokenScore: Math.max(...sc.previousToken[0]) });
  };
  for (let i = 0; i < steps; i++) {
    const m = trainer.trainStep();
    losses.push(m.loss);
    if (opts.trackEvery && (i % opts.trackEvery === 0 || i === steps - 1)) track(i, m.loss);
    if (opts.onStep && (i % (opts.logEvery ?? 50) === 0 || i === steps - 1)) opts.onStep(i, m.loss, model);
  }
  model.eval();
  return { model, n, nSymbols, losses, history, seconds: (performance.now() - t0) / 1000 };
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

function argmax2(m: number[][], rowFilter?: (r: number) => boolean): HeadRef {
  let best: HeadRef = [0, 0];
  let bv = -Infinity;
  m.forEach((row, r) => {
    if (rowFilter && !rowFilter(r)) return;
    row.forEach((v, c) => {
      if (v > bv) [bv, best] = [v, [r, c]];
    });
  });
  return best;
}

export interface InductionAnalysis {
  n: number;
  /** Per-position loss on the evaluation batch. */
  lossByPosition: number[];
  firstHalfLoss: number;
  secondHalfLoss: number;
  /** firstHalfLoss − secondHalfLoss. */
  inContextGain: number;
  /** ln(nSymbols): the loss of guessing uniformly. */
  chanceLoss: number;
  scores: RepeatedTokenHeadScores;
  /** The layer-1 head with the highest induction score, the layer-0 head with the highest previous-token score. */
  inductionHead: HeadRef;
  previousTokenHead: HeadRef;
  /** Layer-1 heads with induction score ≥ 0.5 × the best (the induction heads). */
  inductionHeads: HeadRef[];
  /** Layer-0 heads with previous-token score ≥ 0.5 × the best. */
  previousTokenHeads: HeadRef[];
  /** Composition scores from each layer-0 head (rows) into each layer-1 head (columns). */
  composition: { K: number[][]; Q: number[][]; V: number[][] };
  /** The (layer-0, layer-1) head pair with the largest K-composition, and the largest Q- and V-composition of any pair. */
  maxKComposition: { sender: HeadRef; receiver: HeadRef; score: number };
  maxQComposition: number;
  maxVComposition: number;
  /** Composition score of random matrices of these shapes (Elhage et al.'s baseline). */
  compositionBaseline: number;
  /** Losses after ablating the top induction head alone and all induction heads. */
  ablation: {
    method: AblationMethod;
    top: { firstHalfLoss: number; secondHalfLoss: number; inContextGain: number };
    all: { firstHalfLoss: number; secondHalfLoss: number; inContextGain: number };
    /** The same for the top previous-token head, and for all of them. */
    previousToken: { firstHalfLoss: number; secondHalfLoss: number; inContextGain: number };
    allPreviousToken: { firstHalfLoss: number; secondHalfLoss: number; inContextGain: number };
  };
  /** Full-OV-circuit copying score [layer][head]. */
  copyingScores: number[][];
  inductionHeadCopyingScore: number;
}

/** Every measurement of the reproduction on `batch` fresh sequences (seeded). */
export function analyzeInduction(model: HookedTransformer, opts: { n: number; nSymbols: number; batch?: number; seed?: number; ablation?: AblationMethod }): InductionAnalysis {
  const { n, nSymbols } = opts;
  if (model.cfg.n_layers !== 2) throw new Error(`analyzeInduction: expects a 2-layer model, got ${model.cfg.n_layers} layers`);
  const tokens = repeatedTokenSequences(opts.batch ?? 64, n, nSymbols, opts.seed ?? 12345);
  const perPos = lossByPosition(model, tokens);
  const halves = halfLosses(perPos, n);
  const scores = headScoresOnRepeatedTokens(model, tokens, n);
  const inductionHead = argmax2(scores.induction, (l) => l === 1);
  const previousTokenHead = argmax2(scores.previousToken, (l) => l === 0);
  const best = scores.induction[1][inductionHead[1]];
  const inductionHeads: HeadRef[] = scores.induction[1].map((v, h) => [1, h] as HeadRef).filter(([, h]) => scores.induction[1][h] >= 0.5 * best);
  const comp = (k: "K" | "Q" | "V") => compositionBetween(compositionScores(model, k), 0, 1);
  const composition = { K: comp("K"), Q: comp("Q"), V: comp("V") };
  const [s0, r1] = argmax2(composition.K);
  const method = opts.ablation ?? "mean";
  // ablations, batched: the top induction head, all induction heads, the previous-token head
  const reference = repeatedTokenSequences(opts.batch ?? 64, n, nSymbols, (opts.seed ?? 12345) + 1);
  const bestPrev = scores.previousToken[0][previousTokenHead[1]];
  const previousTokenHeads: HeadRef[] = scores.previousToken[0].map((_, h) => [0, h] as HeadRef).filter(([, h]) => scores.previousToken[0][h] >= 0.5 * bestPrev);
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
  const summarize = (pp: number[]) => {
    const h = halfLosses(pp, n);
    return { firstHalfLoss: h.first, secondHalfLoss: h.second, inContextGain: h.gain };
  };
  const copying = copyingScores(model).score;
  return {
    n,
    lossByPosition: perPos,
    firstHalfLoss: halves.first,
    secondHalfLoss: halves.second,
    inContextGain: halves.gain,
    chanceLoss: Math.log(nSymbols),
    scores,
    inductionHead,
    previousTokenHead,
    inductionHeads,
    composition,
    maxKComposition: { sender: [0, s0], receiver: [1, r1], score: composition.K[s0][r1] },
    maxQComposition: Math.max(...composition.Q.flat()),
    maxVComposition: Math.max(...composition.V.flat()),
    compositionBaseline: compositionBaseline(model.cfg.d_model, model.cfg.d_head),
    previousTokenHeads,
    ablation: { method, top: summarize(perSet[0]), all: summarize(perSet[1]), previousToken: summarize(perSet[2]), allPreviousToken: summarize(perSet[3]) },
    copyingScores: copying,
    inductionHeadCopyingScore: copying[inductionHead[0]][inductionHead[1]],
  };
}

/** Trains the model and analyses it: the whole reproduction in one call. */
export function runInductionExperiment(opts: InductionTrainOptions & { evalBatch?: number; ablation?: AblationMethod } = {}): InductionTrainResult & { analysis: InductionAnalysis } {
  const trained = trainInductionModel(opts);
  const analysis = analyzeInduction(trained.model, { n: trained.n, nSymbols: trained.nSymbols, batch: opts.evalBatch, ablation: opts.ablation });
  return { ...trained, analysis };
}
