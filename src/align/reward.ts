// Reward models (Stiennon et al. 2020; Ouyang et al. 2022): a transformer body with a scalar head
// that reads the final token's residual stream, trained on preference pairs with the
// Bradley–Terry model of which completion a labeller prefers,
//
//   P(y_w ≻ y_l | x) = σ(r(x, y_w) − r(x, y_l)),   L = −log σ(r(x, y_w) − r(x, y_l)).
//
// Only differences of rewards are learned: r + c for any constant c fits as well. Layout as
// Hugging Face's GPT2ForSequenceClassification with one label: `body` (the transformer) and
// `score`, a d_model → 1 linear map applied after ln_final at the last non-padding token.
import { Module, parameter } from "../nn/module.js";
import { normal_ } from "../nn/init.js";
import { Linear } from "../nn/linear.js";
import { noGrad } from "../tensor/autograd.js";
import { tensor, zeros } from "../tensor/creation.js";
import { Generator } from "../tensor/random.js";
import { tidy } from "../tensor/scope.js";
import type { Tensor } from "../tensor/tensor.js";
import { AdamW } from "../optim/adam.js";
import { clipGradNorm_ } from "../optim/schedule.js";
import type { HookedTransformer } from "../models/gpt/model.js";
import type { PreferenceIds } from "./dpo.js";
import { packSequences, type PromptCompletion } from "./sequences.js";

export class RewardModel extends Module {
  body: HookedTransformer;
  score: Linear;

  /** A reward model on `body` (e.g. a copy of the SFT model); the head is drawn as Hugging Face draws it, N(0, initializer_range²). */
  constructor(body: HookedTransformer) {
    super();
    this.body = body;
    this.score = new Linear(body.cfg.d_model, 1, { bias: false });
    this.score.weight = parameter(normal_(zeros([1, body.cfg.d_model]), 0, body.cfg.initializer_range));
  }

  /** r(x, y) for each sequence of a packed batch: (batch,). */
  rewards(tokens: Tensor, lengths: readonly number[]): Tensor {
    const { n_layers } = this.body.cfg;
    const resid = this.body.forward(tokens, { stopAtLayer: n_layers }); // (B, T, d_model)
    const h = this.body.ln_final ? this.body.ln_final.forward(resid) : resid;
    const perPosition = this.score.forward(h).squeeze(2); // (B, T)
    const last = tensor(lengths.map((n) => n - 1), { shape: [lengths.length, 1], dtype: "int32" });
    return perPosition.gather(1, last).squeeze(1);
  }

  forward(tokens: Tensor, lengths: readonly number[]): Tensor {
    return this.rewards(tokens, lengths);
  }

  /** Rewards of prompt + completion sequences (batched, no gradients). */
  scoreSequences(seqs: readonly PromptCompletion[], batchSize = 32): Float64Array {
    const out = new Float64Array(seqs.length);
    const wasTraining = this.training;
    this.eval();
    try {
      for (let s = 0; s < seqs.length; s += batchSize) {
        const part = seqs.slice(s, s + batchSize);
        const r = noGrad(() => tidy(() => {
          const b = packSequences(part, this.body.cfg.n_ctx);
          return Float64Array.from(this.rewards(b.tokens, b.lengths).dataSync());
        }));
        out.set(r, s);
      }
    } finally {
      this.train(wasTraining);
    }
    return out;
  }
}

/** The Bradley–Terry loss −log σ(r_w − r_l), averaged, and the batch's accuracy and mean margin. */
export function bradleyTerryLoss(chosen: Tensor, rejected: Tensor): { loss: Tensor; accuracy: number; margin: number } {
  const margin = chosen.sub(rejected);
  const m = margin.dataSync();
  let correct = 0;
  let sum = 0;
  for (const v of m) {
    if (v > 0) correct++;
    sum += v;
  }
  return { loss: margin.neg().softplus().mean(), accuracy: correct / m.length, margin: sum / m.length };
}

export interface TrainRewardOptions {
  steps: number;
  /** Pairs per step (default 16). */
  batchSize?: number;
  lr?: number;
  weightDecay?: number;
  gradClip?: number;
  seed?: number;
  /** Held-out pairs, scored every logEvery steps. */
  valPairs?: readonly PreferenceIds[];
  logEvery?: number;
  onLog?: (m: RewardMetrics) => void;
}

export interface RewardMetrics {
  step: number;
  loss: number;
  accuracy: number;
  margin: number;
  valAccuracy?: number;
  valMargin?: number;
}

/** Held-out accuracy (share of pairs ranked right) and mean margin r_w − r_l. */
export function evaluateRewardModel(rm: RewardModel, pairs: readonly PreferenceIds[]): { accuracy: number; margin: number } {
  if (pairs.length === 0) throw new Error("evaluateRewardModel: no pairs");
  const r = rm.scoreSequences(pairs.flatMap((p) => [{ prompt: p.prompt, completion: p.chosen }, { prompt: p.prompt, completion: p.rejected }]));
  let correct = 0;
  let margin = 0;
  for (let i = 0; i < pairs.length; i++) {
    const d = r[2 * i] - r[2 * i + 1];
    if (d > 0) correct++;
    margin += d;
  }
  return { accuracy: correct / pairs.length, margin: margin / pairs.length };
}

/** Trains `rm` in place on preference pairs; returns the logged metrics. */
export function trainRewardModel(rm: RewardModel, pairs: readonly PreferenceIds[], opts: TrainRewardOptions): RewardMetrics[] {
  if (pairs.length === 0) throw new Error("trainRewardModel: no preference pairs");
  const batchSize = Math.min(opts.batchSize ?? 16, pairs.length);
  const optimizer = new AdamW(rm.parameters(), { lr: opts.lr ?? 3e-4, weightDecay: opts.weightDecay ?? 0 });
  const gen = new Generator(opts.seed ?? 0);
  const logEvery = opts.logEvery ?? 25;
  const history: RewardMetrics[] = [];
  const wasTraining = rm.training;
  rm.eval(); // no dropout: the two completions of a pair must be scored by the same function
  try {
    for (let step = 1; step <= opts.steps; step++) {
      const idx = Array.from({ length: batchSize }, () => Math.floor(gen.random() * pairs.length));
      const m = tidy(() => {
        optimizer.zeroGrad();
        const seqs = idx.flatMap((i) => [{ prompt: pairs[i].prompt, completion: pairs[i].chosen }, { prompt: pairs[i].prompt, completion: pairs[i].rejected }]);
        const b = packSequences(seqs, rm.body.cfg.n_ctx);
        const r = rm.rewards(b.tokens, b.lengths).reshape([batchSize, 2]);
        const bt = bradleyTerryLoss(r.select(1, 0), r.select(1, 1));
        const loss = bt.loss.item();
        if (!Number.isFinite(loss)) throw new Error(`trainRewardModel: the loss is ${loss} at step ${step} (try a lower learning rate)`);
        bt.loss.backward();
        if ((opts.gradClip ?? 1) > 0) clipGradNorm_(rm.parameters(), opts.gradClip ?? 1);
        optimizer.step();
        return { step, loss, accuracy: bt.accuracy, margin: bt.margin } as RewardMetrics;
      });
      if (step % logEvery === 0 || step === opts.steps) {
        if (opts.valPairs?.length) {
          const v = evaluateRewardModel(rm, opts.valPairs);
          m.valAccuracy = v.accuracy;
          m.valMargin = v.margin;
        }
        history.push(m);
        opts.onLog?.(m);
      }
    }
  } finally {
    rm.train(wasTraining);
  }
  return history;
}
