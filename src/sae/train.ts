// Training an SAE on a stream of activations, with the practices the field settled on:
//
//   init      b_dec = the geometric median (or mean) of a sample of inputs, so the encoder starts
//             centred on the data (Bricken et al. 2023); inputs optionally rescaled to mean norm √d_in
//             (normalize_activations = expected_average_only_in, Anthropic's April 2024 update).
//   schedule  Adam; learning rate warm-up, then constant, then a linear decay to 0 over the last
//             20 % of steps; the sparsity coefficient λ warms up linearly from 0 (Anthropic: 5 %).
//   decoder   for topk and jumprelu, decoder rows kept at unit norm: the gradient's component along
//             each row is removed before the step and the rows renormalised after it (Gao et al.);
//             standard and gated SAEs weight their penalty by ‖W_dec,i‖ instead, so need no constraint.
//   dead      a latent that has not fired for `deadWindow` steps is dead: TopK's AuxK term trains
//             those; for the others, `resampleAt` steps re-initialise them on badly reconstructed
//             inputs (Bricken et al.'s resampling).
import { Adam } from "../optim/adam.js";
import type { OptimizerStateDict } from "../optim/optimizer.js";
import { noGrad } from "../tensor/autograd.js";
import { tensor } from "../tensor/creation.js";
import { cat } from "../tensor/ops/shape.js";
import { Generator } from "../tensor/random.js";
import { keep, tidy } from "../tensor/scope.js";
import type { Tensor } from "../tensor/tensor.js";
import { saeLoss } from "./losses.js";
import type { SparseAutoencoder } from "./sae.js";
import type { ActivationSource } from "./synthetic.js";

export interface TrainSaeOptions {
  steps: number;
  /** Activations per step (default 4096). */
  batchSize?: number;
  /** Adam's learning rate (default 3e-4) and betas (default [0.9, 0.999]). */
  lr?: number;
  betas?: [number, number];
  /** Steps of linear learning-rate warm-up (default 0). */
  lrWarmupSteps?: number;
  /** Steps of linear decay to 0 at the end (default steps / 5). */
  lrDecaySteps?: number;
  /** λ of the sparsity term: L1 (standard, gated; default 5) or L0 (jumprelu; default 1). Not for topk. */
  sparsityCoefficient?: number;
  /** Steps over which λ rises linearly from 0 (default steps / 20). */
  sparsityWarmupSteps?: number;
  /** TopK's AuxK coefficient α (default 1/32). */
  auxKCoefficient?: number;
  /** Steps without firing after which a latent counts as dead (default min(1000, steps / 4)). */
  deadWindow?: number;
  /** Keep decoder rows at unit norm (default: true for topk and jumprelu). */
  normalizeDecoder?: boolean;
  /** How b_dec starts (default geometric_median). */
  bDecInit?: "geometric_median" | "mean" | "zeros";
  /** JumpReLU: every threshold θ_i starts here (default 0.01, in the SAE's input units). */
  initThreshold?: number;
  /** Inputs sampled for the initialisation (default 4096). */
  initSamples?: number;
  /** Steps at which dead latents are resampled (standard, gated, jumprelu; default none). */
  resampleAt?: readonly number[];
  /** Seeds the resampling draws. */
  seed?: number;
  /** Called every `logEvery` steps (default 10) and at the last with the running metrics. */
  onLog?: (m: SaeTrainMetrics) => void;
  logEvery?: number;
}

export interface SaeTrainMetrics {
  step: number;
  lr: number;
  sparsityCoefficient: number;
  loss: number;
  mse: number;
  sparsity: number;
  aux: number;
  /** Mean number of latents active per input. */
  l0: number;
  /** 1 − Σ‖x − x̂‖² / Σ‖x − x̄‖² on the batch. */
  explainedVariance: number;
  /** Latents that have not fired for deadWindow steps. */
  dead: number;
  resampled?: number;
}

function checkPositiveInt(v: unknown, name: string): number {
  if (!(typeof v === "number" && Number.isSafeInteger(v) && v > 0)) throw new Error(`trainSae: ${name} must be a positive integer, got ${JSON.stringify(v)}`);
  return v;
}

function checkNonNegative(v: number, name: string): number {
  if (!(typeof v === "number" && v >= 0 && Number.isFinite(v))) throw new Error(`trainSae: ${name} must be a number ≥ 0, got ${JSON.stringify(v)}`);
  return v;
}

/** Where a run stands, to continue it later (trainSaeSteps). */
export interface SaeTrainState {
  /** Steps done. */
  step: number;
  optimizer: OptimizerStateDict;
  /** The step each latent last fired (0 = before training). */
  lastFired: Int32Array;
  scalingFactor: number;
}

/** Trains `sae` in place on `source` for opts.steps steps; returns the metrics logged. */
export function trainSae(sae: SparseAutoencoder, source: ActivationSource, opts: TrainSaeOptions): SaeTrainMetrics[] {
  return trainSaeSteps(sae, source, opts, null, opts.steps).history;
}

/**
 * Runs the steps after `resume` (from the start when null: initialisation first) up to step
 * `until` of an opts.steps-step run (schedules follow opts.steps), and returns the metrics and
 * the state to continue from. A run cut into pieces this way equals one run, except for the
 * random draws of resampling.
 */
export function trainSaeSteps(sae: SparseAutoencoder, source: ActivationSource, opts: TrainSaeOptions, resume: SaeTrainState | null, until: number): { history: SaeTrainMetrics[]; state: SaeTrainState } {
  const arch = sae.cfg.architecture;
  const steps = checkPositiveInt(opts.steps, "steps");
  const batchSize = checkPositiveInt(opts.batchSize ?? 4096, "batchSize");
  if (source.dIn !== sae.cfg.d_in) throw new Error(`trainSae: the activations have ${source.dIn} dimensions, the SAE's d_in is ${sae.cfg.d_in}${sae.cfg.hook_name ? ` (${sae.cfg.hook_name})` : ""}`);
  const lr = checkNonNegative(opts.lr ?? 3e-4, "lr");
  const warmup = checkNonNegative(opts.lrWarmupSteps ?? 0, "lrWarmupSteps");
  const decay = checkNonNegative(opts.lrDecaySteps ?? Math.floor(steps / 5), "lrDecaySteps");
  const lambda = checkNonNegative(opts.sparsityCoefficient ?? (arch === "jumprelu" ? 1 : 5), "sparsityCoefficient");
  const lambdaWarmup = checkNonNegative(opts.sparsityWarmupSteps ?? Math.floor(steps / 20), "sparsityWarmupSteps");
  const deadWindow = checkPositiveInt(opts.deadWindow ?? Math.max(1, Math.min(1000, Math.floor(steps / 4))), "deadWindow");
  const normalizeDecoder = opts.normalizeDecoder ?? arch !== "standard";
  const logEvery = checkPositiveInt(opts.logEvery ?? 10, "logEvery");
  const resampleAt = new Set(opts.resampleAt ?? []);
  if (resampleAt.size && arch === "topk") throw new Error("trainSae: resampleAt is for standard, gated and jumprelu SAEs; TopK trains its dead latents with the AuxK loss");

  if (!(Number.isSafeInteger(until) && until >= (resume?.step ?? 0) && until <= steps)) throw new Error(`trainSae: until must be a step in [${resume?.step ?? 0}, ${steps}], got ${until}`);
  const gen = new Generator((opts.seed ?? 0) + (resume?.step ?? 0));

  if (!resume) {
    initialise(sae, source, opts.bDecInit ?? "geometric_median", checkPositiveInt(opts.initSamples ?? 4096, "initSamples"), batchSize);
    if (normalizeDecoder) noGrad(() => tidy(() => void sae.W_dec.copy_(sae.W_dec.div(sae.W_dec.norm(2, 1, true)))));
    if (sae.log_threshold) {
      const theta = opts.initThreshold ?? 0.01;
      if (!(theta > 0 && Number.isFinite(theta))) throw new Error(`trainSae: initThreshold must be a positive number, got ${theta}`);
      noGrad(() => void sae.log_threshold!.fill_(Math.log(theta)));
    }
  } else sae.scalingFactor = resume.scalingFactor;

  const optimizer = new Adam(sae.parameters(), { lr, betas: opts.betas ?? [0.9, 0.999] });
  if (resume) optimizer.loadStateDict(resume.optimizer);
  const lastFired = resume ? Int32Array.from(resume.lastFired) : new Int32Array(sae.cfg.d_sae); // the step each latent last fired
  if (lastFired.length !== sae.cfg.d_sae) throw new Error(`trainSae: the saved state has ${lastFired.length} latents, the SAE ${sae.cfg.d_sae}`);
  const history: SaeTrainMetrics[] = [];
  for (let s = (resume?.step ?? 0) + 1; s <= until; s++) {
    // learning rate: warm-up, constant, linear decay to 0 over the last `decay` steps
    const rate = lr * Math.min(warmup > 0 ? s / warmup : 1, decay > 0 ? Math.min(1, (steps - s + 1) / decay) : 1);
    optimizer.setLr(rate);
    const lam = lambda * (lambdaWarmup > 0 ? Math.min(1, s / lambdaWarmup) : 1);
    const dead = Int32Array.from(lastFired, (t) => (s - 1 - t >= deadWindow ? 1 : 0));
    const log = s % logEvery === 0 || s === steps;
    const stats = tidy(() => {
      const x = source.next(batchSize);
      optimizer.zeroGrad();
      const deadMask = arch === "topk" ? tensor(dead, { shape: [sae.cfg.d_sae], dtype: "int32" }) : null;
      const L = saeLoss(sae, x, { sparsityCoefficient: lam, auxKCoefficient: opts.auxKCoefficient, deadMask });
      L.loss.backward();
      if (normalizeDecoder) removeParallelGradient(sae);
      optimizer.step();
      if (normalizeDecoder) noGrad(() => void sae.W_dec.copy_(sae.W_dec.div(sae.W_dec.norm(2, 1, true))));
      // which latents fired on this batch (one small read per step)
      const fired = noGrad(() => L.out.featureActs.detach().gt(0).to("float32").amax(0).dataSync());
      for (let i = 0; i < fired.length; i++) if (fired[i]) lastFired[i] = s;
      if (!log) return null;
      return noGrad(() => {
        const f = L.out.featureActs.detach();
        const err = L.out.saeIn.sub(L.out.saeOut.detach()).square().sum();
        const centred = L.out.saeIn.sub(L.out.saeIn.mean(0, true)).square().sum();
        return { loss: L.loss.item(), mse: L.mse.item(), sparsity: L.sparsity.item(), aux: L.aux.item(), l0: f.gt(0).to("float32").sum(-1).mean().item(), explainedVariance: 1 - err.item() / Math.max(centred.item(), 1e-30) };
      });
    });
    let resampled: number | undefined;
    if (resampleAt.has(s)) {
      const deadNow = Array.from(lastFired, (t, i) => (s - t >= deadWindow ? i : -1)).filter((i) => i >= 0);
      resampled = resampleDead(sae, optimizer, source, deadNow, batchSize, gen);
      for (const i of deadNow) lastFired[i] = s; // a fresh latent gets a full window to fire
    }
    if (stats) {
      const nDead = lastFired.reduce((n, t) => n + (s - t >= deadWindow ? 1 : 0), 0);
      const m: SaeTrainMetrics = { step: s, lr: rate, sparsityCoefficient: lam, ...stats, dead: nDead, ...(resampled !== undefined ? { resampled } : {}) };
      history.push(m);
      opts.onLog?.(m);
    }
  }
  const state = { step: until, optimizer: optimizer.stateDict(), lastFired, scalingFactor: sae.scalingFactor };
  // the optimizer ends here: free its moments (the state holds copies)
  for (const st of optimizer.state.values()) for (const v of Object.values(st)) if (typeof v !== "number") v.dispose();
  return { history, state };
}

/**
 * b_dec from a sample of inputs, and the input scale when the SAE normalises activations.
 * The geometric median minimises Σ‖x_n − y‖ (robust to outliers; Weiszfeld's iteration).
 */
function initialise(sae: SparseAutoencoder, source: ActivationSource, how: "geometric_median" | "mean" | "zeros", n: number, batchSize: number): void {
  if (how !== "geometric_median" && how !== "mean" && how !== "zeros") throw new Error(`trainSae: bDecInit must be geometric_median, mean or zeros, got ${JSON.stringify(how)}`);
  if (how === "zeros" && sae.cfg.normalize_activations === "none") return;
  noGrad(() =>
    tidy(() => {
      // drawn a batch at a time (a store hands out at most half its buffer at once)
      const parts: Tensor[] = [];
      for (let got = 0; got < n; got += batchSize) parts.push(source.next(Math.min(batchSize, n - got)));
      let x = parts.length === 1 ? parts[0] : cat(parts, 0);
      if (sae.cfg.normalize_activations === "expected_average_only_in") {
        // scale so that the mean ‖x‖ is √d_in
        const meanNorm = x.norm(2, 1).mean().item();
        sae.scalingFactor = meanNorm > 0 ? Math.sqrt(sae.cfg.d_in) / meanNorm : 1;
        x = x.mul(sae.scalingFactor);
      }
      if (how === "zeros") return;
      sae.b_dec.copy_(how === "mean" ? x.mean(0) : geometricMedian(x));
    }),
  );
}

/** Weiszfeld's iteration for argmin_y Σ_n ‖x_n − y‖, from the mean. */
export function geometricMedian(x: Tensor, iterations = 100, tol = 1e-6): Tensor {
  return noGrad(() => {
    let y = keep(x.mean(0));
    for (let it = 0; it < iterations; it++) {
      const next = tidy(() => {
        const w = x.sub(y).norm(2, 1).clamp(1e-8, null).reciprocal(); // 1/‖x_n − y‖
        return w.unsqueeze(1).mul(x).sum(0).div(w.sum());
      });
      const moved = tidy(() => next.sub(y).norm().item() / Math.max(y.norm().item(), 1e-12));
      y.dispose();
      y = keep(next);
      if (moved < tol) break;
    }
    return y;
  });
}

/** Removes from W_dec's gradient its component along each (unit) row: the step then rotates rows, not rescales them. */
function removeParallelGradient(sae: SparseAutoencoder): void {
  const g = sae.W_dec.grad;
  if (!g) return;
  noGrad(() => {
    const unit = sae.W_dec.div(sae.W_dec.norm(2, 1, true));
    g.copy_(g.sub(g.mul(unit).sum(1, true).mul(unit)));
  });
}

/**
 * Bricken et al.'s resampling: each dead latent gets the direction of an input the SAE
 * reconstructs badly (drawn with probability ∝ its squared error), as its decoder row (unit norm)
 * and its encoder column (scaled to 0.2 × the mean live encoder norm), with b_enc = 0 and its Adam
 * moments cleared. Returns the number resampled.
 */
function resampleDead(sae: SparseAutoencoder, optimizer: Adam, source: ActivationSource, dead: readonly number[], batchSize: number, gen: Generator): number {
  if (dead.length === 0) return 0;
  const { d_in, d_sae } = sae.cfg;
  noGrad(() =>
    tidy(() => {
      const x = source.next(Math.max(batchSize, dead.length));
      const out = sae.run(x);
      const lossPer = Float64Array.from(out.saeIn.sub(out.saeOut).square().sum(-1).dataSync());
      const inputs = out.saeIn.sub(sae.cfg.apply_b_dec_to_input ? sae.b_dec : 0).dataSync() as Float32Array;
      const weights = lossPer.map((l) => l * l);
      let total = weights.reduce((a, b) => a + b, 0);
      if (!(total > 0)) {
        weights.fill(1);
        total = weights.length;
      }
      const encNorms = sae.W_enc.norm(2, 0).dataSync();
      const deadSet = new Set(dead);
      let live = 0;
      let liveCount = 0;
      for (let i = 0; i < d_sae; i++) {
        if (deadSet.has(i)) continue;
        live += encNorms[i];
        liveCount++;
      }
      const encScale = 0.2 * (liveCount ? live / liveCount : 1);
      const W_enc = Float32Array.from(sae.W_enc.dataSync());
      const W_dec = Float32Array.from(sae.W_dec.dataSync());
      const b_enc = Float32Array.from(sae.b_enc.dataSync());
      for (const i of dead) {
        // draw an input with probability ∝ squared reconstruction error
        let r = gen.random() * total;
        let n = 0;
        while (n < weights.length - 1 && (r -= weights[n]) > 0) n++;
        const v = inputs.subarray(n * d_in, (n + 1) * d_in);
        const norm = Math.hypot(...v) || 1;
        for (let j = 0; j < d_in; j++) {
          W_dec[i * d_in + j] = v[j] / norm;
          W_enc[j * d_sae + i] = (v[j] / norm) * encScale;
        }
        b_enc[i] = 0;
      }
      sae.W_enc.copy_(tensor(W_enc, { shape: sae.W_enc.shape }));
      sae.W_dec.copy_(tensor(W_dec, { shape: sae.W_dec.shape }));
      sae.b_enc.copy_(tensor(b_enc, { shape: sae.b_enc.shape }));
      clearMoments(optimizer, sae.W_enc, dead, 1);
      clearMoments(optimizer, sae.W_dec, dead, 0);
      clearMoments(optimizer, sae.b_enc, dead, 0);
    }),
  );
  return dead.length;
}

/** Zeroes Adam's moments of latents `idx` along `axis` of parameter p (the latent axis). */
function clearMoments(optimizer: Adam, p: Tensor, idx: readonly number[], axis: 0 | 1): void {
  const state = optimizer.state.get(p);
  if (!state) return;
  for (const key of ["expAvg", "expAvgSq"]) {
    const t = state[key];
    if (typeof t === "number" || !t) continue;
    const data = Float32Array.from(t.dataSync());
    const [rows, cols] = t.ndim === 2 ? t.shape : [t.shape[0], 1];
    for (const i of idx) {
      if (axis === 0) data.fill(0, i * cols, (i + 1) * cols);
      else for (let r = 0; r < rows; r++) data[r * cols + i] = 0;
    }
    t.copy_(tensor(data, { shape: t.shape }));
  }
}
