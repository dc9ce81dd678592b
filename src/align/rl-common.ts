// What the RL trainers (PPO, RLOO) share: drawing prompts, the KL coefficient's controller, the
// metrics every step reports, and stopping with the step and the reason when training diverges.
import type { Generator } from "../tensor/random.js";
import { withoutInit } from "../nn/init.js";
import { HookedTransformer } from "../models/gpt/model.js";
import { AdaptiveKLController, FixedKLController, type KLController } from "./kl-control.js";
import type { Experience } from "./experience.js";

/** Training produced a non-finite number; the parameters are those after the last good update. */
export class TrainingDivergedError extends Error {
  constructor(
    readonly step: number,
    readonly reason: string,
  ) {
    super(`training diverged at step ${step}: ${reason}`);
  }
}

/** Throws TrainingDivergedError unless every value is finite. */
export function checkFinite(step: number, what: string, values: ArrayLike<number>): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) throw new TrainingDivergedError(step, `${what} is ${values[i]}${values.length > 1 ? ` (entry ${i})` : ""}`);
  }
}

export interface KLOptions {
  /** β, the KL penalty's coefficient (the adaptive controller's starting value); 0 turns the penalty off. */
  klCoef?: number;
  /** A KL target (nats per completion): β then adapts (Ziegler et al.'s controller). */
  targetKl?: number;
  /** The adaptive controller's horizon (default 10,000, the paper's; short runs need far less). */
  horizon?: number;
}

/** A fixed β, or, with a target, the adaptive controller. */
export function klController(o: KLOptions, where: string): KLController {
  const beta = o.klCoef ?? 0.2;
  if (!(Number.isFinite(beta) && beta >= 0)) throw new Error(`${where}: klCoef must be a number ≥ 0, got ${JSON.stringify(o.klCoef)}`);
  if (o.targetKl === undefined) return new FixedKLController(beta);
  if (!(beta > 0)) throw new Error(`${where}: an adaptive KL coefficient (targetKl) needs a starting klCoef > 0`);
  return new AdaptiveKLController(beta, o.targetKl, o.horizon);
}

/** n prompts drawn uniformly with replacement. */
export function drawPrompts(prompts: readonly (readonly number[])[], n: number, g: Generator): number[][] {
  if (prompts.length === 0) throw new Error("no prompts to sample from");
  return Array.from({ length: n }, () => [...prompts[Math.floor(g.random() * prompts.length)]]);
}

/** Mean and standard deviation of a list. */
export function meanStd(xs: ArrayLike<number>): { mean: number; std: number } {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  const mean = s / xs.length;
  let q = 0;
  for (let i = 0; i < xs.length; i++) q += (xs[i] - mean) ** 2;
  return { mean, std: Math.sqrt(q / Math.max(1, xs.length - 1)) };
}

/** Checks an integer option ≥ min. */
export function checkInt(v: number, name: string, where: string, min = 1): number {
  if (!(Number.isInteger(v) && v >= min)) throw new Error(`${where}: ${name} must be an integer ≥ ${min}, got ${JSON.stringify(v)}`);
  return v;
}

/** A copy of a model with its own weights: the frozen reference is a copy of the SFT model taken before training. */
export function copyModel(model: HookedTransformer): HookedTransformer {
  const c = withoutInit(() => new HookedTransformer(model.cfg));
  c.loadStateDict(model.stateDict());
  return c;
}

export interface RlStepMetrics {
  step: number;
  /** Mean r(x, y) of the step's samples, and its spread. */
  reward: number;
  rewardStd: number;
  /** Mean Σ_t log π_old/π_ref per completion: the KL to the reference (nats). */
  kl: number;
  /** β used for this step's rewards. */
  klCoef: number;
  /** Mean r(x, y) − β·KL: the objective RLHF maximises. */
  objective: number;
  /** Mean per-token entropy of the sampling policy (nats). */
  entropy: number;
  /** Mean completion length in tokens. */
  length: number;
  /** Milliseconds spent generating, scoring (policy, reference and reward forwards) and updating. */
  msGenerate: number;
  msScore: number;
  msUpdate: number;
}

/**
 * The metrics every RL step reports, from its scored rollout and the per-sample KL; also feeds
 * the step's mean KL to the controller (which sets the next step's β). `times` are the
 * performance.now() stamps at the start, after generation, after scoring and after the update.
 */
export function stepSummary(step: number, e: Experience, kl: ArrayLike<number>, beta: number, controller: KLController, times: [number, number, number, number]): RlStepMetrics {
  const klStats = meanStd(kl);
  controller.update(klStats.mean, e.samples.length);
  const r = meanStd(e.scores);
  const [t0, t1, t2, t3] = times;
  return {
    step,
    reward: r.mean,
    rewardStd: r.std,
    kl: klStats.mean,
    klCoef: beta,
    objective: r.mean - beta * klStats.mean,
    entropy: e.entropy,
    length: e.samples.reduce((n, x) => n + x.completion.length, 0) / e.samples.length,
    msGenerate: t1 - t0,
    msScore: t2 - t1,
    msUpdate: t3 - t2,
  };
}
