// REINFORCE with a leave-one-out baseline (RLOO; Ahmadian et al. 2024, "Back to basics"): the
// simpler alternative to PPO. No value head, no clipping, one on-policy gradient step per batch.
//
// For each of P prompts draw k completions y_1..y_k ~ π_θ(· | x) and give each a sequence reward
// with the KL penalty folded in (sequence level, not per token):
//
//   R_i = r(x, y_i) − β Σ_t (log π_θ(y_i,t) − log π_ref(y_i,t))
//   A_i = R_i − (1/(k−1)) Σ_{j≠i} R_j                       (the other samples as the baseline)
//   L   = −(1/(P·k)) Σ_i A_i · log π_θ(y_i | x),   log π_θ(y | x) = Σ_t log π_θ(y_t | x, y_<t)
//
// ∇L is the REINFORCE estimate of −∇ E[R]; the baseline leaves it unbiased and cuts its variance.
// With baseline "none", A_i = R_i: plain REINFORCE, for comparison.
import { Generator } from "../tensor/random.js";
import { tensor } from "../tensor/creation.js";
import { tidy } from "../tensor/scope.js";
import { AdamW } from "../optim/adam.js";
import { clipGradNorm_ } from "../optim/schedule.js";
import type { HookedTransformer } from "../models/gpt/model.js";
import { leaveOneOutAdvantages } from "./advantages.js";
import { checkSameVocabulary, scoreRollout, sequenceKl, type RewardFn } from "./experience.js";
import { checkFinite, checkInt, drawPrompts, klController, stepSummary, TrainingDivergedError, type KLOptions, type RlStepMetrics } from "./rl-common.js";
import type { KLController } from "./kl-control.js";
import { sampleRollout } from "./rollout.js";
import { packSequences } from "./sequences.js";
import { logprobsAndEntropy } from "./value-head.js";

export interface RlooConfig extends KLOptions {
  /** Distinct prompts per step (default 8). */
  promptsPerStep?: number;
  /** Completions per prompt, k ≥ 2 (default 4). */
  k?: number;
  /** "loo" (default): the leave-one-out baseline; "none": plain REINFORCE. */
  baseline?: "loo" | "none";
  maxNewTokens?: number;
  stopTokens?: readonly number[];
  temperature?: number;
  /** AdamW learning rate (default 1e-4), no weight decay; gradient norm clipped to gradClip (default 1). */
  lr?: number;
  gradClip?: number;
  seed?: number;
}

export interface RlooStepMetrics extends RlStepMetrics {
  loss: number;
  /** Mean |A_i|: how strongly this batch pushes. */
  meanAbsAdvantage: number;
}

export class RlooTrainer {
  readonly optimizer: AdamW;
  readonly kl: KLController;
  stepCount = 0;
  private readonly g: Generator;
  private readonly cfg: { promptsPerStep: number; k: number; baseline: "loo" | "none"; maxNewTokens: number; stopTokens?: readonly number[]; temperature: number; gradClip: number };

  constructor(
    readonly policy: HookedTransformer,
    readonly reference: HookedTransformer,
    readonly prompts: readonly (readonly number[])[],
    readonly reward: RewardFn,
    config: RlooConfig = {},
  ) {
    const where = "RlooTrainer";
    checkSameVocabulary(policy, reference, where);
    if (prompts.length === 0) throw new Error(`${where}: no prompts`);
    this.kl = klController(config, where);
    this.cfg = {
      promptsPerStep: checkInt(config.promptsPerStep ?? 8, "promptsPerStep", where),
      k: checkInt(config.k ?? 4, "k", where, 2),
      baseline: config.baseline ?? "loo",
      maxNewTokens: checkInt(config.maxNewTokens ?? 32, "maxNewTokens", where),
      stopTokens: config.stopTokens,
      temperature: config.temperature ?? 1,
      gradClip: config.gradClip ?? 1,
    };
    if (this.cfg.baseline !== "loo" && this.cfg.baseline !== "none") throw new Error(`${where}: baseline must be "loo" or "none", got ${JSON.stringify(config.baseline)}`);
    const lr = config.lr ?? 1e-4;
    if (!(lr > 0)) throw new Error(`${where}: lr must be > 0, got ${lr}`);
    this.g = new Generator(config.seed ?? 0);
    this.optimizer = new AdamW(policy.parameters(), { lr, weightDecay: 0 });
  }

  step(): RlooStepMetrics {
    const step = ++this.stepCount;
    const { k, temperature } = this.cfg;
    const beta = this.kl.value;
    const t0 = performance.now();
    // each drawn prompt k times in a row: groups of k for the baseline
    const prompts = drawPrompts(this.prompts, this.cfg.promptsPerStep, this.g).flatMap((p) => Array.from({ length: k }, () => p));
    const rollout = sampleRollout(this.policy, prompts, { maxNewTokens: this.cfg.maxNewTokens, temperature, stopTokens: this.cfg.stopTokens, generator: this.g });
    const t1 = performance.now();
    const e = scoreRollout(this.policy, this.reference, rollout, this.reward, temperature);
    const t2 = performance.now();
    checkFinite(step, "the reward", e.scores);
    const kl = sequenceKl(e);
    checkFinite(step, "the KL of a sample", kl);
    const R = e.scores.map((s, i) => s - beta * kl[i]);
    const A = this.cfg.baseline === "loo" ? leaveOneOutAdvantages(R, k) : R;

    const wasTraining = this.policy.training;
    this.policy.eval(); // no dropout: the gradient is of the policy that sampled
    let loss: number;
    try {
      loss = tidy(() => {
        this.optimizer.zeroGrad();
        const batch = packSequences(e.samples, this.policy.cfg.n_ctx);
        const logp = logprobsAndEntropy(this.policy.forward(batch.tokens), batch, temperature, false).logprobs.sum(1); // log π_θ(y | x), (B,)
        const l = tensor(Float32Array.from(A)).mul(logp).mean().neg();
        const value = l.item();
        checkFinite(step, "the REINFORCE loss", [value]);
        l.backward();
        const norm = clipGradNorm_(this.policy.parameters(), this.cfg.gradClip > 0 ? this.cfg.gradClip : Infinity);
        if (!Number.isFinite(norm)) throw new TrainingDivergedError(step, `the gradient norm is ${norm}`);
        this.optimizer.step();
        return value;
      });
    } finally {
      this.policy.train(wasTraining);
    }
    return {
      ...stepSummary(step, e, kl, beta, this.kl, [t0, t1, t2, performance.now()]),
      loss,
      meanAbsAdvantage: A.reduce((s, a) => s + Math.abs(a), 0) / A.length,
    };
  }
}

/** Runs `steps` RLOO steps; returns every step's metrics. */
export function trainRloo(policy: HookedTransformer, reference: HookedTransformer, prompts: readonly (readonly number[])[], reward: RewardFn, config: RlooConfig & { steps: number; onStep?: (m: RlooStepMetrics) => void }): RlooStepMetrics[] {
  const trainer = new RlooTrainer(policy, reference, prompts, reward, config);
  const history: RlooStepMetrics[] = [];
  for (let i = 0; i < config.steps; i++) {
    const m = trainer.step();
    history.push(m);
    config.onStep?.(m);
  }
  return history;
}
