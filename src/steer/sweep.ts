// Where does a steering vector work, and what does it cost? For each layer L and coefficient c:
//
//   effect(L, c) = mean over N seeded generations of score(continuation)   (± its standard error)
//   shift(L, c)  = mean over k of score_k(L, c) − score_k(clean)            (paired: generation k has the same seed)
//   cost(L, c)   = loss_steered(L, c) − loss_clean
//
// where loss is the mean next-token cross-entropy on held-out ordinary text with the steering on
// (ActAdd's paper checks the same on OpenWebText: a good vector moves the behaviour it targets
// and leaves everything else about as predictable as before). Generation k uses Generator(seed + k)
// in every cell, so cells differ by the steering alone (paired samples), and c = 0 is the clean model.
import type { GenerateOptions } from "../models/gpt/generate.js";
import type { HookedTransformer } from "../models/gpt/model.js";
import { noGrad } from "../tensor/autograd.js";
import { Generator } from "../tensor/random.js";
import { tidy } from "../tensor/scope.js";
import type { Tensor } from "../tensor/tensor.js";
import { type ActivationAddition, generateSteered, type Steering, withSteering } from "./steer.js";
import { residHook } from "./vectors.js";

export interface Stat {
  mean: number;
  /** Standard error of the mean: sample standard deviation / √n (0 for n = 1). */
  stderr: number;
  n: number;
}

/** Mean and standard error of a list of numbers. */
export function meanStderr(xs: readonly number[]): Stat {
  const n = xs.length;
  if (n === 0) return { mean: NaN, stderr: NaN, n };
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1) : 0;
  return { mean, stderr: Math.sqrt(variance / n), n };
}

/** Mean next-token loss over token windows (each run from position 0) with the steering on (null: clean). */
export function meanLoss(model: HookedTransformer, windows: readonly number[][], steering: Steering | readonly Steering[] | null, batchSize = 8): number {
  if (windows.length === 0) throw new Error("meanLoss: no windows of text");
  const len = windows[0].length;
  if (len < 2 || windows.some((w) => w.length !== len)) throw new Error("meanLoss: the windows must all have the same length, at least 2 tokens");
  let sum = 0;
  for (let i = 0; i < windows.length; i += batchSize) {
    const batch = windows.slice(i, i + batchSize).map((w) => Array.from(w));
    const loss = noGrad(() => tidy(() => withSteering(model, steering, (m) => m.loss(batch).item())));
    sum += loss * batch.length;
  }
  return sum / windows.length;
}

export interface SweepOptions {
  layers: readonly number[];
  coefs: readonly number[];
  /** The steering vector at layer L: (n, d) for ActAdd, (d) for CAA. Called once per layer. */
  vectorAt: (layer: number) => Tensor;
  /** The first absolute position steered (ActAdd: 0, the front of the prompt; CAA: 0 or the prompt's end). May depend on the prompt. */
  start?: number | ((prompt: readonly number[]) => number);
  /** Prompts to continue; generation k continues prompts[k mod prompts.length]. */
  prompts: readonly (readonly number[])[];
  /** N: generations per cell (default 16). */
  samples?: number;
  /** Scores a continuation's token ids (e.g. the lexicon sentiment of its text, or a probe's reading). */
  score: (continuation: number[], prompt: readonly number[]) => number;
  /** Held-out ordinary text, as equal-length token windows, for the loss cost. */
  lossWindows: readonly number[][];
  generate?: Omit<GenerateOptions, "generator">;
  seed?: number;
  /** Keep this many continuations per cell in the result (default 3). */
  keepSamples?: number;
  /** Called after each cell (progress). */
  onCell?: (done: number, total: number) => void;
}

export interface SweepCell {
  layer: number;
  coef: number;
  /** The score of the steered generations. */
  effect: Stat;
  /** The paired change: score of generation k steered − score of generation k clean (same seed). */
  shift: Stat;
  loss: number;
  /** loss − the clean loss. */
  cost: number;
  /** The first keepSamples continuations (token ids). */
  samples: number[][];
}

export interface SweepResult {
  layers: number[];
  coefs: number[];
  /** The clean model (c = 0): effect and loss. */
  clean: { effect: Stat; loss: number; samples: number[][]; scores: number[] };
  /** cells[i][j]: layers[i], coefs[j]. */
  cells: SweepCell[][];
  /** Per layer: ‖v‖ (for (n, d) vectors, the largest row norm) and the mean ‖resid_pre‖ over the held-out text, to set c against. */
  vectorNorm: number[];
  residNorm: number[];
}

/** The whole grid (see the header). */
export function steeringSweep(model: HookedTransformer, o: SweepOptions): SweepResult {
  const layers = [...o.layers];
  const coefs = [...o.coefs];
  if (layers.length === 0 || coefs.length === 0) throw new Error("steeringSweep: give at least one layer and one coefficient");
  for (const l of layers) residHook(model, l);
  for (const c of coefs) if (!Number.isFinite(c)) throw new Error(`steeringSweep: coefficients must be finite numbers, got ${c}`);
  if (o.prompts.length === 0 || o.prompts.some((p) => p.length === 0)) throw new Error("steeringSweep: give at least one prompt, none empty");
  const samples = o.samples ?? 16;
  if (!(Number.isInteger(samples) && samples >= 1)) throw new Error(`steeringSweep: samples must be an integer ≥ 1, got ${samples}`);
  const seed = o.seed ?? 0;
  const keep = o.keepSamples ?? 3;
  const startOf = (prompt: readonly number[]) => (typeof o.start === "function" ? o.start(prompt) : (o.start ?? 0));

  /** N continuations and their scores with one steering (null: clean), generation k from Generator(seed + k). */
  const run = (steerAt: ((prompt: readonly number[]) => ActivationAddition) | null) => {
    const scores: number[] = [];
    const kept: number[][] = [];
    for (let k = 0; k < samples; k++) {
      const prompt = o.prompts[k % o.prompts.length];
      const out = generateSteered(model, prompt, steerAt ? steerAt(prompt) : null, { ...o.generate, generator: new Generator(seed + k) });
      scores.push(o.score(out, prompt));
      if (kept.length < keep) kept.push(out);
    }
    return { scores, effect: meanStderr(scores), samples: kept };
  };

  const cleanLoss = meanLoss(model, o.lossWindows, null);
  const clean = { ...run(null), loss: cleanLoss };
  const total = layers.length * coefs.length;
  let done = 0;
  const vectorNorm: number[] = [];
  const residNorm: number[] = [];
  const cells = layers.map((layer) => {
    const vector = o.vectorAt(layer);
    vectorNorm.push(tidy(() => (vector.ndim === 1 ? vector.norm() : vector.norm(2, -1).amax()).item()));
    residNorm.push(meanResidNorm(model, o.lossWindows, layer));
    return coefs.map((coef): SweepCell => {
      const at = (prompt: readonly number[] | null): ActivationAddition => ({ kind: "add", layer, vector, coef, start: prompt ? startOf(prompt) : 0 });
      // c = 0 adds nothing: the clean runs are that cell
      const cell = coef === 0 ? clean : { ...run((prompt) => at(prompt)), loss: meanLoss(model, o.lossWindows, at(null)) };
      o.onCell?.(++done, total);
      const shift = meanStderr(cell.scores.map((x, k) => x - clean.scores[k]));
      return { layer, coef, effect: cell.effect, shift, loss: cell.loss, cost: cell.loss - cleanLoss, samples: cell.samples };
    });
  });
  return { layers, coefs, clean, cells, vectorNorm, residNorm };
}

/** Mean ‖resid_pre‖ at a layer over the held-out windows' positions. */
function meanResidNorm(model: HookedTransformer, windows: readonly number[][], layer: number): number {
  const hook = residHook(model, layer);
  const batch = windows.slice(0, 8).map((w) => Array.from(w));
  return noGrad(() => tidy(() => model.runWithCache(batch, { namesFilter: [hook], stopAtLayer: layer + 1 }).cache.get(hook)!.norm(2, -1).mean().item()));
}
