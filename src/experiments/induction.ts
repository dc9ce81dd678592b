// The induction-head reproduction (Olsson et al. 2022, "In-context Learning and Induction Heads";
// Elhage et al. 2021), scaled to seconds-to-minutes on a laptop CPU: an experiment, so it sits
// above both the trainer (src/train) and the analyses it calls (src/interp/induction.ts).
//
// A 2-layer attention-only transformer is trained with the next-token loss on every position of
// sequences holding a random segment written twice (inductionTrainingSequences), then measured
// by analyzeInduction on TransformerLens's repeated random tokens <bos> s s: the loss on each
// copy, the previous-token head in layer 0, the induction head in layer 1 that K-composes with
// it, what ablating them costs, and the induction head's OV copying score. docs/induction.md has
// the full-size run.
import { HookedTransformer } from "../models/gpt/model.js";
import type { GPTConfigInput } from "../models/gpt/config.js";
import { tensor } from "../tensor/creation.js";
import type { Generator } from "../tensor/random.js";
import { type BatchSource, NANOGPT_CPU_TRAIN, type TrainConfig, Trainer } from "../train/trainer.js";
import type { AblationMethod } from "../interp/ablation.js";
import { analyzeInduction, halfLosses, headScoresOnRepeatedTokens, type InductionAnalysis, lossByPosition, repeatedTokenSequences } from "../interp/induction.js";

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

/** Trains the model and analyses it: the whole reproduction in one call. */
export function runInductionExperiment(opts: InductionTrainOptions & { evalBatch?: number; ablation?: AblationMethod } = {}): InductionTrainResult & { analysis: InductionAnalysis } {
  const trained = trainInductionModel(opts);
  const analysis = analyzeInduction(trained.model, { n: trained.n, nSymbols: trained.nSymbols, batch: opts.evalBatch, ablation: opts.ablation });
  return { ...trained, analysis };
}
