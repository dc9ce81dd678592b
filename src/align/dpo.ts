// Direct Preference Optimization (Rafailov et al. 2023) and IPO (Azar et al. 2023).
//
// RLHF maximises E[r(x, y)] − β KL(π ‖ π_ref). Its optimum has a closed form,
//
//   π*(y | x) = π_ref(y | x) · exp(r(x, y) / β) / Z(x),
//
// so a reward is a log-ratio in disguise: r(x, y) = β log π*(y|x)/π_ref(y|x) + β log Z(x). Put
// that into the Bradley–Terry likelihood of a preference y_w ≻ y_l and Z cancels:
//
//   L_DPO = −log σ(β h),   h = log π(y_w|x)/π_ref(y_w|x) − log π(y_l|x)/π_ref(y_l|x)
//
// — a classification loss on the policy itself, no reward model, no sampling. β h/β-scaled
// log-ratios are the "implicit rewards" r̂(x, y) = β log π(y|x)/π_ref(y|x); the share of pairs
// where r̂(y_w) > r̂(y_l) is the implicit-reward accuracy.
//
//   conservative DPO (label smoothing ε: the label is wrong with probability ε)
//           L = −(1 − ε) log σ(β h) − ε log σ(−β h)
//   IPO     L = (h − 1/(2β))²     a squared loss that stops pushing once h reaches 1/(2β), where
//           DPO keeps pushing h → ∞ when preferences are deterministic (its overfitting case)
import { noGrad } from "../tensor/autograd.js";
import { tensor } from "../tensor/creation.js";
import { Generator } from "../tensor/random.js";
import { tidy } from "../tensor/scope.js";
import type { Tensor } from "../tensor/tensor.js";
import { AdamW } from "../optim/adam.js";
import { clipGradNorm_ } from "../optim/schedule.js";
import type { HookedTransformer } from "../models/gpt/model.js";
import { packSequences, sequenceLogprobs } from "./sequences.js";

export type DpoLossType = "sigmoid" | "ipo";

export interface DpoLossOptions {
  /** β > 0: the strength of the KL constraint (small β lets the policy move far from the reference). */
  beta: number;
  /** "sigmoid" (DPO, default) or "ipo". */
  loss?: DpoLossType;
  /** Conservative DPO's ε in [0, 0.5) (sigmoid loss only; default 0). */
  labelSmoothing?: number;
}

export interface DpoLossResult {
  /** Mean loss over the batch (differentiable). */
  loss: Tensor;
  /** Each pair's loss, (batch,) (differentiable). */
  losses: Tensor;
  /** Implicit rewards β log π/π_ref of the chosen and rejected completions, (batch,), detached. */
  chosenRewards: Tensor;
  rejectedRewards: Tensor;
}

export function checkBeta(beta: unknown, where: string): number {
  if (!(typeof beta === "number" && Number.isFinite(beta) && beta > 0)) throw new Error(`${where}: beta must be a number > 0, got ${JSON.stringify(beta)}`);
  return beta;
}

/** The DPO / IPO loss from the four log-probabilities of a batch of pairs, each (batch,). */
export function dpoLoss(policyChosen: Tensor, policyRejected: Tensor, refChosen: Tensor, refRejected: Tensor, opts: DpoLossOptions): DpoLossResult {
  const beta = checkBeta(opts.beta, "dpoLoss");
  const eps = opts.labelSmoothing ?? 0;
  if (!(eps >= 0 && eps < 0.5)) throw new Error(`dpoLoss: labelSmoothing must be in [0, 0.5), got ${eps}`);
  const chosenRatio = policyChosen.sub(refChosen); // log π(y_w)/π_ref(y_w)
  const rejectedRatio = policyRejected.sub(refRejected);
  const h = chosenRatio.sub(rejectedRatio);
  let perPair: Tensor;
  if ((opts.loss ?? "sigmoid") === "ipo") {
    perPair = h.sub(1 / (2 * beta)).square();
  } else {
    // −log σ(z) = softplus(−z)
    const z = h.mul(beta);
    perPair = eps === 0 ? z.neg().softplus() : z.neg().softplus().mul(1 - eps).add(z.softplus().mul(eps));
  }
  return { loss: perPair.mean(), losses: perPair, chosenRewards: chosenRatio.detach().mul(beta), rejectedRewards: rejectedRatio.detach().mul(beta) };
}

/** A preference pair as token ids: one prompt, the chosen and the rejected completion. */
export interface PreferenceIds {
  prompt: readonly number[];
  chosen: readonly number[];
  rejected: readonly number[];
}

export interface TrainDpoOptions extends DpoLossOptions {
  steps: number;
  /** Pairs per step (default 16). */
  batchSize?: number;
  /** AdamW learning rate (default 5e-4, for the small models here; papers use ~5e-7 on billions of parameters), no weight decay. */
  lr?: number;
  /** Clip the gradient norm (default 1; 0 = off). */
  gradClip?: number;
  seed?: number;
  onLog?: (m: DpoMetrics) => void;
  logEvery?: number;
}

export interface DpoMetrics {
  step: number;
  loss: number;
  /** Share of the batch's pairs whose implicit reward ranks the chosen completion first. */
  accuracy: number;
  /** Mean implicit reward margin r̂(y_w) − r̂(y_l). */
  margin: number;
  chosenReward: number;
  rejectedReward: number;
}

/** log π_ref of every pair's chosen and rejected completion, computed once (the reference is frozen). */
export function referenceLogprobs(reference: HookedTransformer, pairs: readonly PreferenceIds[], batchSize = 32): { chosen: Float64Array; rejected: Float64Array } {
  const chosen = new Float64Array(pairs.length);
  const rejected = new Float64Array(pairs.length);
  const wasTraining = reference.training;
  reference.eval();
  try {
    for (let s = 0; s < pairs.length; s += batchSize) {
      const part = pairs.slice(s, s + batchSize);
      const lp = noGrad(() =>
        tidy(() => {
          const seqs = part.flatMap((p) => [{ prompt: p.prompt, completion: p.chosen }, { prompt: p.prompt, completion: p.rejected }]);
          return Float64Array.from(sequenceLogprobs(reference, packSequences(seqs, reference.cfg.n_ctx)).dataSync());
        }),
      );
      part.forEach((_, i) => {
        chosen[s + i] = lp[2 * i];
        rejected[s + i] = lp[2 * i + 1];
      });
    }
  } finally {
    reference.train(wasTraining);
  }
  return { chosen, rejected };
}

/**
 * Trains `policy` in place with DPO (or IPO) on preference pairs, against the frozen `reference`
 * (usually a copy of the policy before training: the SFT model). Returns the logged metrics.
 */
export function trainDpo(policy: HookedTransformer, reference: HookedTransformer, pairs: readonly PreferenceIds[], opts: TrainDpoOptions): DpoMetrics[] {
  checkBeta(opts.beta, "trainDpo");
  if (pairs.length === 0) throw new Error("trainDpo: no preference pairs");
  if (policy.cfg.d_vocab !== reference.cfg.d_vocab) throw new Error(`trainDpo: the policy's vocabulary has ${policy.cfg.d_vocab} tokens, the reference's ${reference.cfg.d_vocab}: they must share a tokenizer`);
  const batchSize = Math.min(opts.batchSize ?? 16, pairs.length);
  const ref = referenceLogprobs(reference, pairs);
  const optimizer = new AdamW(policy.parameters(), { lr: opts.lr ?? 5e-4, weightDecay: 0 });
  const gen = new Generator(opts.seed ?? 0);
  const history: DpoMetrics[] = [];
  const logEvery = opts.logEvery ?? 10;
  // dropout off (TRL's disable_dropout): with it, π and π_ref would differ at the start, h ≠ 0
  const wasTraining = policy.training;
  policy.eval();
  for (let step = 1; step <= opts.steps; step++) {
    const idx = Array.from({ length: batchSize }, () => Math.floor(gen.random() * pairs.length));
    const m = tidy(() => {
      optimizer.zeroGrad();
      const seqs = idx.flatMap((i) => [{ prompt: pairs[i].prompt, completion: pairs[i].chosen }, { prompt: pairs[i].prompt, completion: pairs[i].rejected }]);
      const lp = sequenceLogprobs(policy, packSequences(seqs, policy.cfg.n_ctx)).reshape([batchSize, 2]);
      const r = dpoLoss(lp.select(1, 0), lp.select(1, 1), tensor(idx.map((i) => ref.chosen[i])), tensor(idx.map((i) => ref.rejected[i])), opts);
      const loss = r.loss.item();
      if (!Number.isFinite(loss)) throw new Error(`trainDpo: the loss is ${loss} at step ${step} (try a lower learning rate)`);
      r.loss.backward();
      if ((opts.gradClip ?? 1) > 0) clipGradNorm_(policy.parameters(), opts.gradClip ?? 1);
      optimizer.step();
      const c = r.chosenRewards.dataSync();
      const j = r.rejectedRewards.dataSync();
      let acc = 0;
      let margin = 0;
      let cr = 0;
      let rr = 0;
      for (let b = 0; b < batchSize; b++) {
        if (c[b] > j[b]) acc++;
        margin += c[b] - j[b];
        cr += c[b];
        rr += j[b];
      }
      return { step, loss, accuracy: acc / batchSize, margin: margin / batchSize, chosenReward: cr / batchSize, rejectedReward: rr / batchSize };
    });
    if (step % logEvery === 0 || step === opts.steps || step === 1) {
      history.push(m);
      opts.onLog?.(m);
    }
  }
  policy.train(wasTraining);
  return history;
}
