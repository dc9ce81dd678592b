// Linear probes (Alain & Bengio 2016; Hewitt & Liang 2019): is a property linearly readable from
// an activation? And the causal follow-up: does the model use that direction?
//
//   logistic     binary labels, p(y = 1 | x) = σ(x·w + b), L2-regularised, fitted by Newton's
//                method (IRLS) in float64: w ← w − H⁻¹ ∇, H = Xᵀ diag(p(1−p)) X + λI
//   multinomial  C classes, softmax(x W + b), L2-regularised cross-entropy, full-batch Adam on
//                the library's tensors
//   ridge        real-valued targets, closed form W = (XᵀX + λI)⁻¹ Xᵀ Y on centered data
//
// Features are standardised internally (mean 0, std 1 per dimension) and the fitted weights are
// mapped back, so a probe applies to raw activations and its direction lives in activation
// space. Accuracy on a held-out split is compared with a control task: the same probe trained on
// shuffled labels (or, with `controlTypes`, on a random label per type, Hewitt & Liang's control
// task); selectivity = accuracy − control accuracy. A probe can reach high accuracy by
// memorising; a selective one reads a property the representation actually has.
//
// Interventions: remove the probe's direction(s) from the activation (x ← x − U Uᵀ x, U an
// orthonormal basis of the directions) or push along it (x ← x + α u), at a hook, and measure the
// change of the loss or of a probe read later.
import type { HookFn } from "../models/gpt/hooks.js";
import type { HookedTransformer, TokensLike } from "../models/gpt/model.js";
import { parameter } from "../nn/module.js";
import { AdamW } from "../optim/adam.js";
import { solve } from "../linalg/dense.js";
import { noGrad } from "../tensor/autograd.js";
import { tensor, zeros } from "../tensor/creation.js";
import { crossEntropy } from "../tensor/ops/nn.js";
import { Generator } from "../tensor/random.js";
import { tidy } from "../tensor/scope.js";
import { Tensor } from "../tensor/tensor.js";
import { type Metric, inEvalMode, metricValue } from "./patching-core.js";

/** N samples × D features, row-major float32 (as activations come). */
export interface Features {
  X: Float32Array;
  N: number;
  D: number;
}

/** Features from nested arrays, a 2-D tensor or a Features object (checked). */
export function toFeatures(x: Features | Tensor | readonly (readonly number[])[]): Features {
  if (x instanceof Tensor) {
    if (x.ndim !== 2) throw new Error(`probe features: expected a 2-D tensor (samples, features), got shape [${x.shape}]`);
    return { X: Float32Array.from(x.dataSync()), N: x.shape[0], D: x.shape[1] };
  }
  if (Array.isArray(x)) {
    const rows = x as readonly (readonly number[])[];
    const D = rows.length ? rows[0].length : 0;
    const X = new Float32Array(rows.length * D);
    rows.forEach((r, i) => {
      if (r.length !== D) throw new Error(`probe features: row ${i} has ${r.length} values, expected ${D}`);
      X.set(r, i * D);
    });
    return { X, N: rows.length, D };
  }
  const f = x as Features;
  if (!(f.X instanceof Float32Array) || f.X.length !== f.N * f.D) throw new Error("probe features: expected { X: Float32Array, N, D } with X.length = N·D");
  return f;
}

function checkLabels(y: ArrayLike<number>, N: number, what: string): void {
  if (y.length !== N) throw new Error(`${what}: ${y.length} labels for ${N} samples`);
  for (let i = 0; i < y.length; i++) if (!Number.isFinite(y[i])) throw new Error(`${what}: label ${i} is ${y[i]}`);
}

/** Indices split at random into train and test (seeded). */
export function trainTestSplit(n: number, opts: { testFraction?: number; seed?: number } = {}): { train: Int32Array; test: Int32Array } {
  const f = opts.testFraction ?? 0.2;
  if (!(f > 0 && f < 1)) throw new Error(`trainTestSplit: testFraction must be in (0, 1), got ${f}`);
  const perm = permutation(n, opts.seed ?? 0);
  const nTest = Math.max(1, Math.round(n * f));
  if (nTest >= n) throw new Error(`trainTestSplit: ${n} samples are too few to split`);
  return { test: perm.slice(0, nTest), train: perm.slice(nTest) };
}

function permutation(n: number, seed: number): Int32Array {
  const gen = new Generator(seed);
  const p = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = gen.randint(0, i + 1);
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

function subset(f: Features, idx: Int32Array): Features {
  const X = new Float32Array(idx.length * f.D);
  idx.forEach((r, i) => X.set(f.X.subarray(r * f.D, (r + 1) * f.D), i * f.D));
  return { X, N: idx.length, D: f.D };
}

function standardizer(f: Features): { mu: Float64Array; sigma: Float64Array } {
  const mu = new Float64Array(f.D);
  const sigma = new Float64Array(f.D);
  for (let i = 0; i < f.N; i++) for (let j = 0; j < f.D; j++) mu[j] += f.X[i * f.D + j];
  for (let j = 0; j < f.D; j++) mu[j] /= Math.max(1, f.N);
  for (let i = 0; i < f.N; i++) for (let j = 0; j < f.D; j++) sigma[j] += (f.X[i * f.D + j] - mu[j]) ** 2;
  for (let j = 0; j < f.D; j++) sigma[j] = Math.sqrt(sigma[j] / Math.max(1, f.N)) || 1;
  return { mu, sigma };
}

export type ProbeKind = "logistic" | "multinomial" | "ridge";

/** A fitted linear probe on raw activations: scores = x W + b, W (D × C) row-major. */
export class LinearProbe {
  constructor(
    readonly kind: ProbeKind,
    readonly D: number,
    /** Outputs: 1 for logistic and single-target ridge, the number of classes / targets otherwise. */
    readonly C: number,
    readonly W: Float64Array,
    readonly b: Float64Array,
  ) {}

  /** x W + b for each sample (N × C). */
  scores(x: Features | Tensor | readonly (readonly number[])[]): Float64Array {
    const f = toFeatures(x);
    if (f.D !== this.D) throw new Error(`probe: it was fitted on ${this.D} features, got ${f.D}`);
    // float64 on the backend: exact enough to match a loop, and fast on 10⁴ × 768 samples
    return tidy(() => {
      const X = tensor(f.X, { shape: [f.N, this.D] }).to("float64");
      const W = tensor(this.W, { shape: [this.D, this.C], dtype: "float64" });
      return Float64Array.from(X.matmul(W).add(tensor(this.b, { shape: [this.C], dtype: "float64" })).dataSync());
    });
  }

  /** Class labels (logistic: 0/1, multinomial: argmax) or predicted values (ridge, first target). */
  predict(x: Features | Tensor | readonly (readonly number[])[]): Float64Array {
    const s = this.scores(x);
    const N = s.length / this.C;
    if (this.kind === "ridge") return Float64Array.from({ length: N }, (_, i) => s[i * this.C]);
    if (this.kind === "logistic") return Float64Array.from({ length: N }, (_, i) => (s[i] > 0 ? 1 : 0));
    return Float64Array.from({ length: N }, (_, i) => {
      let best = 0;
      for (let c = 1; c < this.C; c++) if (s[i * this.C + c] > s[i * this.C + best]) best = c;
      return best;
    });
  }

  /** Fraction of correct labels (classification) or R² (ridge). */
  score(x: Features | Tensor | readonly (readonly number[])[], y: ArrayLike<number>): number {
    const p = this.predict(x);
    checkLabels(y, p.length, "probe.score");
    if (this.kind === "ridge") return rSquared(p, y);
    let ok = 0;
    for (let i = 0; i < p.length; i++) if (p[i] === y[i]) ok++;
    return ok / Math.max(1, p.length);
  }

  /**
   * The probe's direction in activation space (unit length): w for a binary probe, the
   * difference between class c's weights and the mean class weights for a multinomial one.
   */
  direction(cls = 0): Float64Array {
    const d = new Float64Array(this.D);
    if (this.kind === "multinomial") {
      if (!(Number.isInteger(cls) && cls >= 0 && cls < this.C)) throw new Error(`probe.direction: class ${cls} is out of range [0, ${this.C})`);
      for (let j = 0; j < this.D; j++) {
        let mean = 0;
        for (let c = 0; c < this.C; c++) mean += this.W[j * this.C + c];
        d[j] = this.W[j * this.C + cls] - mean / this.C;
      }
    } else for (let j = 0; j < this.D; j++) d[j] = this.W[j * this.C + Math.min(cls, this.C - 1)];
    const n = Math.hypot(...d);
    return n === 0 ? d : d.map((v) => v / n);
  }

  /** Every class direction (multinomial) or the one direction: for projecting the whole probe out. */
  directions(): Float64Array[] {
    return this.kind === "multinomial" ? Array.from({ length: this.C }, (_, c) => this.direction(c)) : [this.direction(0)];
  }
}

function rSquared(p: ArrayLike<number>, y: ArrayLike<number>): number {
  let mean = 0;
  for (let i = 0; i < y.length; i++) mean += y[i];
  mean /= y.length;
  let ssr = 0;
  let sst = 0;
  for (let i = 0; i < y.length; i++) {
    ssr += (y[i] - p[i]) ** 2;
    sst += (y[i] - mean) ** 2;
  }
  return sst === 0 ? 0 : 1 - ssr / sst;
}

/** Maps weights fitted on standardised features back to raw ones: W_raw = W/σ, b_raw = b − Σ μ W/σ. */
function unstandardize(kind: ProbeKind, D: number, C: number, Ws: Float64Array, bs: Float64Array, st: { mu: Float64Array; sigma: Float64Array }): LinearProbe {
  const W = new Float64Array(D * C);
  const b = Float64Array.from(bs);
  for (let j = 0; j < D; j++) for (let c = 0; c < C; c++) {
    W[j * C + c] = Ws[j * C + c] / st.sigma[j];
    b[c] -= st.mu[j] * W[j * C + c];
  }
  return new LinearProbe(kind, D, C, W, b);
}

export interface ProbeFitOptions {
  /** L2 penalty λ on the weights (on standardised features; default 1e-3 for classifiers, 1 for ridge). */
  l2?: number;
  /** Newton iterations (logistic, default 25) or Adam steps (multinomial, default 300). */
  iterations?: number;
  /** Adam learning rate (multinomial, default 0.05). */
  lr?: number;
}

/** Binary logistic regression by Newton's method (IRLS) on standardised features. Labels 0/1. */
export function fitLogisticProbe(features: Features | Tensor | readonly (readonly number[])[], y: ArrayLike<number>, opts: ProbeFitOptions = {}): LinearProbe {
  const f = toFeatures(features);
  checkLabels(y, f.N, "fitLogisticProbe");
  for (let i = 0; i < f.N; i++) if (y[i] !== 0 && y[i] !== 1) throw new Error(`fitLogisticProbe: labels must be 0 or 1, got ${y[i]} at ${i}`);
  const st = standardizer(f);
  const { N, D } = f;
  const P = D + 1; // weights then the bias
  const z = (i: number, j: number) => (j === D ? 1 : (f.X[i * D + j] - st.mu[j]) / st.sigma[j]);
  const w = new Float64Array(P);
  const lambda = opts.l2 ?? 1e-3;
  const row = new Float64Array(P);
  for (let it = 0; it < (opts.iterations ?? 25); it++) {
    const g = new Float64Array(P);
    const H = new Float64Array(P * P);
    for (let i = 0; i < N; i++) {
      let s = 0;
      for (let j = 0; j < P; j++) {
        row[j] = z(i, j);
        s += row[j] * w[j];
      }
      const p = 1 / (1 + Math.exp(-s));
      const r = p - y[i];
      const v = Math.max(p * (1 - p), 1e-10);
      for (let j = 0; j < P; j++) {
        g[j] += r * row[j];
        const vj = v * row[j];
        for (let k = j; k < P; k++) H[j * P + k] += vj * row[k];
      }
    }
    for (let j = 0; j < P; j++) {
      for (let k = 0; k < j; k++) H[j * P + k] = H[k * P + j];
      g[j] /= N;
      for (let k = 0; k < P; k++) H[j * P + k] /= N;
      if (j < D) {
        g[j] += lambda * w[j];
        H[j * P + j] += lambda;
      } else H[j * P + j] += 1e-9;
    }
    const step = solve(H, g, P);
    let change = 0;
    for (let j = 0; j < P; j++) {
      w[j] -= step[j];
      change = Math.max(change, Math.abs(step[j]));
    }
    if (change < 1e-8) break;
  }
  return unstandardize("logistic", D, 1, w.subarray(0, D), w.subarray(D), st);
}

/** Multinomial (softmax) regression, full-batch AdamW on standardised features. Labels 0..C−1. */
export function fitMultinomialProbe(features: Features | Tensor | readonly (readonly number[])[], y: ArrayLike<number>, opts: ProbeFitOptions & { classes?: number } = {}): LinearProbe {
  const f = toFeatures(features);
  checkLabels(y, f.N, "fitMultinomialProbe");
  let C = opts.classes ?? 0;
  for (let i = 0; i < f.N; i++) {
    if (!(Number.isInteger(y[i]) && y[i] >= 0)) throw new Error(`fitMultinomialProbe: labels must be integers ≥ 0, got ${y[i]} at ${i}`);
    C = Math.max(C, y[i] + 1);
  }
  if (C < 2) throw new Error("fitMultinomialProbe: need at least 2 classes");
  const st = standardizer(f);
  const { N, D } = f;
  const Z = new Float32Array(N * D);
  for (let i = 0; i < N; i++) for (let j = 0; j < D; j++) Z[i * D + j] = (f.X[i * D + j] - st.mu[j]) / st.sigma[j];
  const lambda = opts.l2 ?? 1e-3;
  const { W, b } = tidy(() => {
    const x = tensor(Z, { shape: [N, D] });
    const t = tensor(Int32Array.from(y as ArrayLike<number>), { shape: [N] });
    const Wp = parameter(zeros([D, C]));
    const bp = parameter(zeros([C]));
    // decoupled weight decay would not be the L2 penalty's gradient; add λ/2 ‖W‖² to the loss instead
    const optimizer = new AdamW([Wp, bp], { lr: opts.lr ?? 0.05, weightDecay: 0 });
    // Stop early once 25 steps lower the (convex) loss by less than 0.01 %: on GPT-2's residual
    // stream the last half of 300 steps changes test accuracy by < 0.5 % and costs half the time.
    let checked = Infinity;
    for (let it = 0; it < (opts.iterations ?? 300); it++) {
      const loss = tidy(() => {
        optimizer.zeroGrad();
        const loss = crossEntropy(x.matmul(Wp).add(bp), t).add(Wp.square().sum().mul(lambda / 2));
        loss.backward();
        optimizer.step();
        return it % 25 === 24 ? loss.item() : NaN;
      });
      if (opts.iterations === undefined && !Number.isNaN(loss)) {
        if (checked - loss < 1e-4 * Math.abs(loss)) break;
        checked = loss;
      }
    }
    return { W: Float64Array.from(Wp.dataSync()), b: Float64Array.from(bp.dataSync()) };
  });
  return unstandardize("multinomial", D, C, W, b, st);
}

/** Ridge regression in closed form on centered, standardised features; y is N values or N × K (row-major, give targets). */
export function fitRidgeProbe(features: Features | Tensor | readonly (readonly number[])[], y: ArrayLike<number>, opts: ProbeFitOptions & { targets?: number } = {}): LinearProbe {
  const f = toFeatures(features);
  const K = opts.targets ?? 1;
  if (y.length !== f.N * K) throw new Error(`fitRidgeProbe: ${y.length} target values for ${f.N} samples × ${K} targets`);
  for (let i = 0; i < y.length; i++) if (!Number.isFinite(y[i])) throw new Error(`fitRidgeProbe: target ${i} is ${y[i]}`);
  const st = standardizer(f);
  const { N, D } = f;
  const lambda = opts.l2 ?? 1;
  const ymean = new Float64Array(K);
  for (let i = 0; i < N; i++) for (let k = 0; k < K; k++) ymean[k] += y[i * K + k] / N;
  const A = new Float64Array(D * D);
  const B = new Float64Array(D * K);
  const z = new Float64Array(D);
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < D; j++) z[j] = (f.X[i * D + j] - st.mu[j]) / st.sigma[j];
    for (let j = 0; j < D; j++) {
      for (let l = j; l < D; l++) A[j * D + l] += z[j] * z[l];
      for (let k = 0; k < K; k++) B[j * K + k] += z[j] * (y[i * K + k] - ymean[k]);
    }
  }
  for (let j = 0; j < D; j++) {
    for (let l = 0; l < j; l++) A[j * D + l] = A[l * D + j];
    A[j * D + j] += lambda;
  }
  const W = new Float64Array(D * K);
  for (let k = 0; k < K; k++) {
    const col = solve(A, Float64Array.from({ length: D }, (_, j) => B[j * K + k]), D);
    for (let j = 0; j < D; j++) W[j * K + k] = col[j];
  }
  return unstandardize("ridge", D, K, W, ymean, st);
}

export function fitProbe(kind: ProbeKind, features: Features | Tensor | readonly (readonly number[])[], y: ArrayLike<number>, opts: ProbeFitOptions = {}): LinearProbe {
  if (kind === "logistic") return fitLogisticProbe(features, y, opts);
  if (kind === "multinomial") return fitMultinomialProbe(features, y, opts);
  if (kind === "ridge") return fitRidgeProbe(features, y, opts);
  throw new Error(`fitProbe: kind must be logistic, multinomial or ridge, got ${JSON.stringify(kind)}`);
}

export interface ProbeExperiment {
  probe: LinearProbe;
  trainScore: number;
  /** Held-out accuracy (R² for ridge). */
  testScore: number;
  /** The same probe fitted on control labels, scored on held-out control labels. */
  controlScore: number;
  /** testScore − controlScore. */
  selectivity: number;
  /** Held-out accuracy of always predicting the most frequent training label (classification). */
  majorityBaseline: number;
  nTrain: number;
  nTest: number;
}

/**
 * Fits a probe on a random train split, scores it on the rest, and fits the same probe on
 * control labels: the labels shuffled across samples (default), or with `controlTypes` (one type
 * id per sample, e.g. the word or token id) a random label per type drawn from the label
 * distribution, as in Hewitt & Liang's control tasks.
 */
export function runProbe(kind: ProbeKind, features: Features | Tensor | readonly (readonly number[])[], y: ArrayLike<number>, opts: ProbeFitOptions & { testFraction?: number; seed?: number; controlTypes?: ArrayLike<number>; extraControlTypes?: ArrayLike<number> } = {}): ProbeExperiment & { extraControlScore?: number } {
  const f = toFeatures(features);
  checkLabels(y, f.N, "runProbe");
  const { train, test } = trainTestSplit(f.N, { testFraction: opts.testFraction, seed: opts.seed });
  const pick = (arr: ArrayLike<number>, idx: Int32Array) => Float64Array.from(idx, (i) => arr[i]);
  const trX = subset(f, train);
  const teX = subset(f, test);
  const probe = fitProbe(kind, trX, pick(y, train), opts);
  const control = controlLabels(y, { seed: (opts.seed ?? 0) + 1, types: opts.controlTypes });
  const cprobe = fitProbe(kind, trX, pick(control, train), opts);
  const testScore = probe.score(teX, pick(y, test));
  const controlScore = cprobe.score(teX, pick(control, test));
  // a second control task on the same split, without fitting the main probe again
  let extraControlScore: number | undefined;
  if (opts.extraControlTypes) {
    const extra = controlLabels(y, { seed: (opts.seed ?? 0) + 1, types: opts.extraControlTypes });
    extraControlScore = fitProbe(kind, trX, pick(extra, train), opts).score(teX, pick(extra, test));
  }
  let majorityBaseline = NaN;
  if (kind !== "ridge") {
    const counts = new Map<number, number>();
    for (const i of train) counts.set(y[i], (counts.get(y[i]) ?? 0) + 1);
    const major = [...counts].sort((a, b) => b[1] - a[1])[0][0];
    majorityBaseline = Array.from(test).filter((i) => y[i] === major).length / test.length;
  }
  return { probe, trainScore: probe.score(trX, pick(y, train)), testScore, controlScore, selectivity: testScore - controlScore, majorityBaseline, nTrain: train.length, nTest: test.length, ...(extraControlScore === undefined ? {} : { extraControlScore }) };
}

/** Control labels: y shuffled (seeded), or with `types` a random label per type drawn from y's empirical distribution. */
export function controlLabels(y: ArrayLike<number>, opts: { seed?: number; types?: ArrayLike<number> } = {}): Float64Array {
  const gen = new Generator(opts.seed ?? 0);
  if (!opts.types) {
    const perm = permutation(y.length, opts.seed ?? 0);
    return Float64Array.from(perm, (i) => y[i]);
  }
  if (opts.types.length !== y.length) throw new Error(`controlLabels: ${opts.types.length} types for ${y.length} labels`);
  const byType = new Map<number, number>();
  return Float64Array.from({ length: y.length }, (_, i) => {
    const t = opts.types![i];
    if (!byType.has(t)) byType.set(t, y[gen.randint(0, y.length)]);
    return byType.get(t)!;
  });
}

// -------------------------------------------------------------------- activations and interventions

/** Where to read: every position (default), or a list of (row, position) pairs. */
export interface ActivationSites {
  sites?: readonly (readonly [row: number, pos: number])[];
}

/**
 * Activations at a hook as probe features: one sample per (row, position), the trailing
 * dimensions flattened (resid (b, p, d) → d features; hook_z (b, p, h, k) → h·k; pick one head
 * with `head`). No gradients, eval mode.
 */
export function collectActivations(model: HookedTransformer, tokens: TokensLike, hook: string, opts: ActivationSites & { head?: number } = {}): Features & { sites: [number, number][] } {
  return collectActivationsAt(model, tokens, [hook], opts).get(hook)!;
}

/**
 * collectActivations for several hooks from the same forward passes. The sequences run a few at
 * a time (at most ~4096 positions per forward) and only as far as the deepest hook's layer, and
 * only the sites' rows are kept: GPT-2's logits for 16 windows of 1024 tokens alone would be
 * 3.3 GB, and one pass per hook would run the early layers once for every hook.
 */
export function collectActivationsAt(model: HookedTransformer, tokens: TokensLike, hooks: readonly string[], opts: ActivationSites & { head?: number } = {}): Map<string, Features & { sites: [number, number][] }> {
  for (const hook of hooks) {
    model.hookPoint(hook); // unknown names are errors that list near matches
    if (/hook_(pattern|attn_scores)$/.test(hook)) throw new Error(`collectActivations: ${hook} is (batch, head, query, key); probe per-position activations instead`);
  }
  const layerAfter = (hook: string): number | undefined => {
    const block = /^blocks\.(\d+)\./.exec(hook);
    return block ? Number(block[1]) + 1 : /^hook_(embed|pos_embed)$/.test(hook) ? 0 : undefined;
  };
  const stops = hooks.map(layerAfter);
  const stopAtLayer = stops.includes(undefined) ? undefined : Math.max(0, ...(stops as number[]));
  const all = model.toTokens(tokens);
  const [B, P] = all.shape;
  const sites: [number, number][] = opts.sites ? opts.sites.map(([r, p]) => [r, p]) : Array.from({ length: B * P }, (_, i) => [Math.floor(i / P), i % P]);
  sites.forEach(([r, p]) => {
    if (!(Number.isInteger(r) && Number.isInteger(p) && r >= 0 && r < B && p >= 0 && p < P)) throw new Error(`collectActivations: site (${r}, ${p}) is outside the batch (${B} × ${P})`);
  });
  const byRow = sites.map((_, i) => i).sort((a, b) => sites[a][0] - sites[b][0]);
  const out = new Map<string, Features & { sites: [number, number][] }>();
  const chunk = Math.max(1, Math.floor(4096 / P));
  inEvalMode(model, () => {
    let next = 0; // position in byRow of the first site not yet read
    for (let b0 = 0; b0 < B; b0 += chunk) {
      const b1 = Math.min(B, b0 + chunk);
      const first = next;
      while (next < byRow.length && sites[byRow[next]][0] < b1) next++;
      tidy(() =>
        noGrad(() => {
          const { cache } = model.runWithCache(all.narrow(0, b0, b1 - b0), { namesFilter: [...hooks], stopAtLayer });
          for (const hook of hooks) {
            const t = cache.get(hook)!;
            if (t.shape[0] !== b1 - b0 || t.shape[1] !== P) throw new Error(`collectActivations: ${hook} has shape [${t.shape}]; expected (batch, pos, …)`);
            let D = t.shape.slice(2).reduce((a, b) => a * b, 1);
            let offset = 0;
            const stride = D;
            if (opts.head !== undefined) {
              if (t.shape.length !== 4) throw new Error(`collectActivations: head given but ${hook} has no head dimension`);
              const [, , H, K] = t.shape;
              if (!(Number.isInteger(opts.head) && opts.head >= 0 && opts.head < H)) throw new Error(`collectActivations: head ${opts.head} is out of range [0, ${H})`);
              offset = opts.head * K;
              D = K;
            }
            if (!out.has(hook)) out.set(hook, { X: new Float32Array(sites.length * D), N: sites.length, D, sites });
            const { X } = out.get(hook)!;
            const data = t.dataSync() as Float32Array;
            for (let k = first; k < next; k++) {
              const i = byRow[k];
              const at = ((sites[i][0] - b0) * P + sites[i][1]) * stride + offset;
              X.set(data.subarray(at, at + D), i * D);
            }
          }
        }),
      );
    }
  });
  return out;
}

/** An orthonormal basis (Gram–Schmidt) of the given directions; near-dependent ones are dropped. */
export function orthonormalBasis(directions: readonly ArrayLike<number>[]): Float64Array[] {
  const basis: Float64Array[] = [];
  for (const d of directions) {
    const v = Float64Array.from(d);
    const n0 = Math.hypot(...v);
    for (let pass = 0; pass < 2; pass++) for (const u of basis) {
      let dot = 0;
      for (let i = 0; i < v.length; i++) dot += u[i] * v[i];
      for (let i = 0; i < v.length; i++) v[i] -= dot * u[i];
    }
    const n = Math.hypot(...v);
    if (n > 1e-8 * Math.max(1, n0)) basis.push(v.map((x) => x / n));
  }
  return basis;
}

export interface DirectionIntervention {
  /** "project": remove the directions' span (x ← x − U Uᵀ x); "add": x ← x + α u (first direction, unit length). */
  mode: "project" | "add";
  directions: readonly ArrayLike<number>[];
  alpha?: number;
  /** Only these positions (default all). */
  positions?: readonly number[];
}

/**
 * A forward hook applying the intervention to an activation whose last dimension is the
 * direction's. It rewrites the numbers (analysis only: no gradient flows through it).
 */
export function directionHook(iv: DirectionIntervention): HookFn {
  if (iv.mode !== "project" && iv.mode !== "add") throw new Error(`directionHook: mode must be "project" or "add", got ${JSON.stringify(iv.mode)}`);
  const basis = orthonormalBasis(iv.directions);
  if (basis.length === 0) throw new Error("directionHook: the directions are all zero");
  const D = basis[0].length;
  const alpha = iv.alpha ?? 1;
  return (act) => {
    if (act.shape[act.ndim - 1] !== D) throw new Error(`directionHook: directions have ${D} entries but the activation's last dimension is ${act.shape[act.ndim - 1]}`);
    const data = act.dataSync() as Float32Array;
    // rows of D values; with (batch, pos, …, D) layouts each position holds perPos rows
    const P = act.ndim >= 3 ? act.shape[1] : 1;
    const rows = data.length / D;
    const perPos = rows / (act.shape[0] * P);
    const posSet = iv.positions ? new Set(iv.positions.map((p) => (p < 0 ? p + P : p))) : null;
    for (let r = 0; r < rows; r++) {
      if (posSet && !posSet.has(Math.floor(r / perPos) % P)) continue;
      const off = r * D;
      if (iv.mode === "add") for (let j = 0; j < D; j++) data[off + j] += alpha * basis[0][j];
      else for (const u of basis) {
        let dot = 0;
        for (let j = 0; j < D; j++) dot += data[off + j] * u[j];
        for (let j = 0; j < D; j++) data[off + j] -= dot * u[j];
      }
    }
    return tensor(data, { shape: act.shape });
  };
}

export interface InterventionEffect {
  /** The metric (e.g. loss) without and with the intervention. */
  metricBefore: number;
  metricAfter: number;
  /** A probe's held-out score read at `readHook` without and with the intervention (when given). */
  probeBefore?: number;
  probeAfter?: number;
}

/**
 * Applies a direction intervention at `hook` and measures a metric of the logits (e.g.
 * lossMetric(tokens)) and optionally a probe read at `read.hook` on `read.sites` against labels.
 */
export function probeIntervention(model: HookedTransformer, tokens: TokensLike, hook: string, iv: DirectionIntervention, opts: { metric?: Metric; read?: { hook: string; probe: LinearProbe; labels: ArrayLike<number>; sites?: readonly (readonly [number, number])[] } } = {}): InterventionEffect {
  model.hookPoint(hook);
  const fn = directionHook(iv);
  const run = (withHook: boolean) =>
    inEvalMode(model, () =>
      tidy(() =>
        noGrad(() => {
          const captured: { data?: Float32Array; shape?: number[] } = {};
          const hooks: [string, HookFn][] = withHook ? [[hook, fn]] : [];
          if (opts.read) hooks.push([opts.read.hook, (a: Tensor) => void Object.assign(captured, { data: a.dataSync() as Float32Array, shape: [...a.shape] })]);
          const logits = model.runWithHooks(tokens, { fwdHooks: hooks });
          const m = opts.metric ? metricValue(opts.metric(logits)) : NaN;
          let p: number | undefined;
          if (opts.read) {
            const [B, P] = captured.shape!;
            const D = captured.shape!.slice(2).reduce((a, b) => a * b, 1);
            const sites = opts.read.sites ?? Array.from({ length: B * P }, (_, i) => [Math.floor(i / P), i % P] as const);
            const X = new Float32Array(sites.length * D);
            sites.forEach(([r, q], i) => X.set(captured.data!.subarray((r * P + q) * D, (r * P + q + 1) * D), i * D));
            p = opts.read.probe.score({ X, N: sites.length, D }, opts.read.labels);
          }
          return { m, p };
        }),
      ),
    );
  const before = run(false);
  const after = run(true);
  return { metricBefore: before.m, metricAfter: after.m, probeBefore: before.p, probeAfter: after.p };
}
