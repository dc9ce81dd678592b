// RLHF with PPO, the recipe of Ziegler et al. 2019, Stiennon et al. 2020 ("Learning to summarize")
// and InstructGPT (Ouyang et al. 2022), laid out as TRL's PPOTrainer:
//
//   policy π_θ   the SFT model plus a value head (value-head.ts), trained
//   reference    a frozen copy of the SFT model
//   reward       r(x, y): a reward model or a rule, read once per completion
//
// One PPO step:
//   1. generate   B prompts x from the prompt set, a completion y ~ π_θ(· | x) each (KV cache)
//   2. score      log π_old(y_t), log π_ref(y_t), V_old(s_t) of every token, r(x, y) of each sample
//   3. rewards    per token, the KL penalty at every token and the score at the last one:
//                   r_t = −β (log π_old(y_t | s_t) − log π_ref(y_t | s_t)) + [t = last] · r(x, y)
//                 so Σ_t r_t = r(x, y) − β · KL-estimate: RLHF's objective E[r] − β KL(π ‖ π_ref)
//   4. advantages GAE(γ, λ) on r_t and V_old, whitened over the batch (advantages.ts)
//   5. update     ppoEpochs passes over the batch in shuffled minibatches, each an AdamW step on
//                 the clipped policy loss + c_v · the clipped value loss (ppo-loss.ts)
//   6. β          the adaptive controller, if any, moves β toward the KL target (kl-control.ts)
import { Generator } from "../tensor/random.js";
import { tidy } from "../tensor/scope.js";
import { AdamW } from "../optim/adam.js";
import { clipGradNorm_ } from "../optim/schedule.js";
import type { HookedTransformer } from "../models/gpt/model.js";
import { gae, whiten } from "./advantages.js";
import { checkSameVocabulary, rowsToPositions, scoreRollout, sequenceKl, type Experience, type RewardFn } from "./experience.js";
import { ppoLoss, type PpoLossOptions } from "./ppo-loss.js";
import { checkFinite, checkInt, drawPrompts, klController, stepSummary, TrainingDivergedError, type KLOptions, type RlStepMetrics } from "./rl-common.js";
import type { KLController } from "./kl-control.js";
import { sampleRollout } from "./rollout.js";
import { packSequences } from "./sequences.js";
import { completionValues, logprobsAndEntropy, type PolicyWithValueHead } from "./value-head.js";

export interface PpoConfig extends KLOptions, PpoLossOptions {
  /** Completions per step (default 32). */
  batchSize?: number;
  /** Completions per gradient step (default 8). */
  miniBatchSize?: number;
  /** Passes over each batch (default 4). */
  ppoEpochs?: number;
  /** Tokens per completion at most (default 32). */
  maxNewTokens?: number;
  /** A completion ends after one of these tokens (e.g. end-of-text). */
  stopTokens?: readonly number[];
  /** Sampling temperature (default 1); log-probabilities are taken at the same temperature. */
  temperature?: number;
  /** GAE's discount γ (default 1) and λ (default 0.95). */
  gamma?: number;
  lambda?: number;
  /** Whiten advantages over the batch (default true). */
  whitenAdvantages?: boolean;
  /** AdamW learning rate (default 1e-4), no weight decay; gradient norm clipped to gradClip (default 1). */
  lr?: number;
  gradClip?: number;
  seed?: number;
}

export type { RlStepMetrics } from "./rl-common.js";

export interface PpoStepMetrics extends RlStepMetrics {
  policyLoss: number;
  valueLoss: number;
  clipFrac: number;
  valueClipFrac: number;
  approxKl: number;
}

/** Per-token rewards r_t = −β (log π_old − log π_ref) + [t = last] · score, per sample. */
export function tokenRewards(e: Experience, beta: number): Float64Array[] {
  return e.logprobs.map((lp, i) => {
    const r = lp.map((v, t) => -beta * (v - e.refLogprobs[i][t]));
    r[r.length - 1] += e.scores[i];
    return r;
  });
}

/** PPO on a policy with a value head, against a frozen reference; call step() once per rollout batch. */
export class PpoTrainer {
  readonly optimizer: AdamW;
  readonly kl: KLController;
  stepCount = 0;
  private readonly g: Generator;
  private readonly cfg: Required<Omit<PpoConfig, "stopTokens" | "targetKl" | "horizon" | "klCoef">> & Pick<PpoConfig, "stopTokens">;

  constructor(
    readonly policy: PolicyWithValueHead,
    readonly reference: HookedTransformer,
    readonly prompts: readonly (readonly number[])[],
    readonly reward: RewardFn,
    config: PpoConfig = {},
  ) {
    const where = "PpoTrainer";
    checkSameVocabulary(policy.body, reference, where);
    if (prompts.length === 0) throw new Error(`${where}: no prompts`);
    this.kl = klController(config, where);
    const c = {
      batchSize: config.batchSize ?? 32,
      miniBatchSize: config.miniBatchSize ?? 8,
      ppoEpochs: config.ppoEpochs ?? 4,
      maxNewTokens: config.maxNewTokens ?? 32,
      stopTokens: config.stopTokens,
      temperature: config.temperature ?? 1,
      gamma: config.gamma ?? 1,
      lambda: config.lambda ?? 0.95,
      whitenAdvantages: config.whitenAdvantages ?? true,
      lr: config.lr ?? 1e-4,
      gradClip: config.gradClip ?? 1,
      seed: config.seed ?? 0,
      clipRange: config.clipRange ?? 0.2,
      clipRangeValue: config.clipRangeValue ?? 0.2,
      vfCoef: config.vfCoef ?? 0.1,
      entCoef: config.entCoef ?? 0,
    };
    for (const k of ["batchSize", "miniBatchSize", "ppoEpochs", "maxNewTokens"] as const) checkInt(c[k], k, where);
    if (c.miniBatchSize > c.batchSize) throw new Error(`${where}: miniBatchSize (${c.miniBatchSize}) is larger than batchSize (${c.batchSize})`);
    for (const k of ["lr", "temperature", "clipRange", "clipRangeValue"] as const) if (!(c[k] > 0)) throw new Error(`${where}: ${k} must be > 0, got ${c[k]}`);
    if (!(c.gamma >= 0 && c.gamma <= 1 && c.lambda >= 0 && c.lambda <= 1)) throw new Error(`${where}: gamma and lambda must be in [0, 1], got ${c.gamma} and ${c.lambda}`);
    this.cfg = c;
    this.g = new Generator(c.seed);
    this.optimizer = new AdamW(policy.parameters(), { lr: c.lr, weightDecay: 0 });
  }

  /** One rollout batch and its PPO epochs; throws TrainingDivergedError (before any update from bad numbers) if something is not finite. */
  step(): PpoStepMetrics {
    const step = ++this.stepCount;
    const c = this.cfg;
    const beta = this.kl.value;
    const t0 = performance.now();
    const rollout = sampleRollout(this.policy.body, drawPrompts(this.prompts, c.batchSize, this.g), { maxNewTokens: c.maxNewTokens, temperature: c.temperature, stopTokens: c.stopTokens, generator: this.g });
    const t1 = performance.now();
    const e = scoreRollout(this.policy, this.reference, rollout, this.reward, c.temperature);
    const t2 = performance.now();
    checkFinite(step, "the reward", e.scores);
    for (const rows of [e.logprobs, e.refLogprobs, e.values!]) for (const r of rows) checkFinite(step, "a log-probability or value of the rollout", r);
    const kl = sequenceKl(e);

    // rewards → GAE advantages and returns, per sample
    const rewards = tokenRewards(e, beta);
    const adv = rewards.map((r, i) => gae(r, e.values![i], c.gamma, c.lambda));
    const advantages = c.whitenAdvantages ? whiten(adv.map((a) => a.advantages)) : adv.map((a) => a.advantages);
    const returns = adv.map((a) => a.returns);

    const sums = { policyLoss: 0, valueLoss: 0, clipFrac: 0, valueClipFrac: 0, approxKl: 0 };
    let updates = 0;
    const wasTraining = this.policy.training;
    this.policy.eval(); // no dropout: π_θ must equal π_old at the first minibatch (ratio 1)
    try {
      for (let epoch = 0; epoch < c.ppoEpochs; epoch++) {
        const order = this.shuffled(e.samples.length);
        for (let s = 0; s < order.length; s += c.miniBatchSize) {
          const rows = order.slice(s, s + c.miniBatchSize);
          const m = tidy(() => this.update(e, rows, advantages, returns, step));
          for (const k of Object.keys(sums) as (keyof typeof sums)[]) sums[k] += m[k];
          updates++;
        }
      }
    } finally {
      this.policy.train(wasTraining);
    }
    return {
      ...stepSummary(step, e, kl, beta, this.kl, [t0, t1, t2, performance.now()]),
      policyLoss: sums.policyLoss / updates,
      valueLoss: sums.valueLoss / updates,
      clipFrac: sums.clipFrac / updates,
      valueClipFrac: sums.valueClipFrac / updates,
      approxKl: sums.approxKl / updates,
    };
  }

  /** One minibatch's gradient step. */
  private update(e: Experience, rows: number[], advantages: Float64Array[], returns: Float64Array[], step: number) {
    const c = this.cfg;
    const pick = <T>(xs: readonly T[]) => rows.map((i) => xs[i]);
    const batch = packSequences(pick(e.samples), this.policy.body.cfg.n_ctx);
    this.optimizer.zeroGrad();
    const out = this.policy.forward(batch.tokens);
    const { logprobs, entropy } = logprobsAndEntropy(out.logits, batch, c.temperature, c.entCoef > 0);
    const r = ppoLoss(
      {
        logprobs,
        oldLogprobs: rowsToPositions(pick(e.logprobs), batch),
        advantages: rowsToPositions(pick(advantages), batch),
        values: completionValues(out.values, batch),
        oldValues: rowsToPositions(pick(e.values!), batch),
        returns: rowsToPositions(pick(returns), batch),
        mask: batch.completionMask,
        entropy: entropy ?? undefined,
      },
      c,
    );
    const loss = r.loss.item();
    checkFinite(step, "the PPO loss", [loss]);
    r.loss.backward();
    const norm = clipGradNorm_(this.policy.parameters(), c.gradClip > 0 ? c.gradClip : Infinity);
    if (!Number.isFinite(norm)) throw new TrainingDivergedError(step, `the gradient norm is ${norm}`);
    this.optimizer.step();
    return { policyLoss: r.policyLoss.item(), valueLoss: r.valueLoss.item(), clipFrac: r.clipFrac, valueClipFrac: r.valueClipFrac, approxKl: r.approxKl };
  }

  private shuffled(n: number): number[] {
    const a = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(this.g.random() * (i + 1));
      [a[i], a[j]] = [a[j], a[i]];
    }
    return a;
  }
}

/** Runs `steps` PPO steps; returns every step's metrics. */
export function trainPpo(policy: PolicyWithValueHead, reference: HookedTransformer, prompts: readonly (readonly number[])[], reward: RewardFn, config: PpoConfig & { steps: number; onStep?: (m: PpoStepMetrics) => void }): PpoStepMetrics[] {
  const trainer = new PpoTrainer(policy, reference, prompts, reward, config);
  const history: PpoStepMetrics[] = [];
  for (let i = 0; i < config.steps; i++) {
    const m = trainer.step();
    history.push(m);
    config.onStep?.(m);
  }
  return history;
}
