// Length generalisation on addition (McLeish et al. 2024, "Transformers Can Do Arithmetic with
// the Right Embeddings"): train a small decoder on a + b with operands of up to N digits, then ask
// it for sums of longer numbers and measure exact-match accuracy for each pair of operand lengths
// (i, j). The only thing that changes between runs is how the model is told where a token is:
//
//   standard  a learned vector per absolute position (GPT-2's W_pos): rows past the training
//             length never receive a gradient, so longer problems meet untrained positions;
//   rotary    q and k rotated by their absolute position, so attention sees relative offsets;
//   none      no positional signal at all (NoPE): causal masking alone;
//   abacus    a learned vector per *place within a number*: the k-th digit of every operand and
//             of the answer shares W_abacus[k], so "add the digits of equal place" is one
//             attention pattern at any length. In training every digit place is shifted by a
//             random k ∈ [0, maxOffset) (one per batch, as the paper's code does), so places
//             beyond N digits are trained too; testing uses offset 0.
//
// Numbers are written least-significant digit first (src/data/tasks/addition.ts), the sum too.
import { ADDITION_DIGIT_IDS, additionTask } from "../data/tasks/addition.js";
import { collate } from "../data/tasks/common.js";
import type { GPTConfigInput, PositionalEmbeddingType } from "../models/gpt/config.js";
import { HookedTransformer, KVCache } from "../models/gpt/model.js";
import { Module } from "../nn/module.js";
import { noGrad } from "../tensor/autograd.js";
import { tensor } from "../tensor/creation.js";
import { crossEntropy } from "../tensor/ops/nn.js";
import { Generator } from "../tensor/random.js";
import { tidy } from "../tensor/scope.js";
import type { Tensor } from "../tensor/tensor.js";
import { type BatchSource, Trainer } from "../train/trainer.js";
import { shortRunConfig } from "./short-run.js";

export type AdditionTask = ReturnType<typeof additionTask>;

export interface AdditionTrainOptions {
  positional: PositionalEmbeddingType;
  /** Longest operand in training (N). */
  trainDigits: number;
  /** Longest operand the model will be tested on: sets n_ctx (and the abacus table's size). */
  testDigits: number;
  /** Abacus only: digit places are shifted by k ∈ [0, maxOffset) in training (paper: 100 for N = 20); 0 = off. */
  maxOffset?: number;
  n_layers?: number;
  d_model?: number;
  n_heads?: number;
  steps?: number;
  batchSize?: number;
  lr?: number;
  seed?: number;
  /** Called every logEvery steps (and at the last) with the step and the training loss. */
  onStep?: (step: number, loss: number) => void;
  logEvery?: number;
}

export interface AdditionTrainResult {
  model: HookedTransformer;
  task: AdditionTask;
  /** Training loss (answer tokens only) per step. */
  losses: number[];
  seconds: number;
  /** The abacus offset range used (0 for the other positional types). */
  maxOffset: number;
}

/**
 * The model trained by the Trainer: the loss on answer tokens (targets −100 elsewhere), and for
 * abacus positions a fresh random offset of the digit places on every batch.
 */
class AdditionObjective extends Module {
  constructor(
    readonly gpt: HookedTransformer,
    private readonly maxOffset: number,
    private readonly offsets: Generator,
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return this.gpt.forward(x);
  }
  loss(x: Tensor, y: Tensor): Tensor {
    const abacusOffset = this.maxOffset > 0 ? this.offsets.randint(0, this.maxOffset) : 0;
    const logits = this.gpt.forward(x, { abacusOffset });
    return crossEntropy(logits.reshape(-1, this.gpt.cfg.d_vocab), y.reshape(-1), { ignoreIndex: -100 });
  }
}

/** Fresh random problems each batch (the paper samples from 20M; here nothing repeats by design). */
function additionBatches(task: AdditionTask, batchSize: number): BatchSource {
  return {
    tokensPerBatch: batchSize * (task.maxLength - 1),
    getBatch: (_split, gen) => {
      const { x, y } = collate(task.generate(batchSize, gen.randint(0, 2 ** 31)), { padId: task.padId, ignoreIndex: -100 });
      return { x, y };
    },
  };
}

/**
 * The default abacus offset range: training answers have up to N + 1 digits, so with k < maxOffset
 * they reach place N + maxOffset; a test answer has up to testDigits + 1. One more for margin.
 */
export function defaultMaxOffset(trainDigits: number, testDigits: number): number {
  return Math.max(1, testDigits + 1 - trainDigits) + 1;
}

/** Trains one model on addition with operands of 1 … trainDigits digits. */
export function trainAdditionModel(opts: AdditionTrainOptions): AdditionTrainResult {
  const { positional, trainDigits, testDigits } = opts;
  if (!(Number.isInteger(trainDigits) && trainDigits >= 1)) throw new Error(`trainAdditionModel: trainDigits must be a positive integer, got ${trainDigits}`);
  if (!(Number.isInteger(testDigits) && testDigits >= trainDigits)) throw new Error(`trainAdditionModel: testDigits must be an integer ≥ trainDigits (${trainDigits}), got ${testDigits}`);
  const maxOffset = positional === "abacus" ? (opts.maxOffset ?? defaultMaxOffset(trainDigits, testDigits)) : 0;
  if (!(Number.isInteger(maxOffset) && maxOffset >= 0)) throw new Error(`trainAdditionModel: maxOffset must be a non-negative integer, got ${maxOffset}`);
  const steps = opts.steps ?? 2000;
  const seed = opts.seed ?? 0;
  const task = additionTask({ minDigits: 1, maxDigits: trainDigits });
  const cfg: GPTConfigInput = {
    n_layers: opts.n_layers ?? 2,
    d_model: opts.d_model ?? 64,
    n_heads: opts.n_heads ?? 4,
    d_vocab: task.vocab.length,
    // room for the longest test problem, so learned positions have (untrained) rows there
    n_ctx: task.lengthFor(testDigits),
    positional_embedding_type: positional,
    seed,
    ...(positional === "abacus"
      ? { abacus_digit_ids: [...ADDITION_DIGIT_IDS], abacus_max_digits: Math.max(trainDigits + Math.max(1, maxOffset), testDigits + 1) }
      : {}),
  };
  const model = new HookedTransformer(cfg);
  const lr = opts.lr ?? 1e-3;
  const config = shortRunConfig({ steps, lr, batchSize: opts.batchSize ?? 64, blockSize: task.maxLength - 1, seed });
  const objective = new AdditionObjective(model, maxOffset, new Generator(seed + 17));
  const trainer = new Trainer(objective, additionBatches(task, config.batchSize), config);
  const losses: number[] = [];
  const t0 = performance.now();
  const every = opts.logEvery ?? 50;
  for (let i = 0; i < steps; i++) {
    const { loss } = trainer.trainStep();
    losses.push(loss);
    if (opts.onStep && (i % every === 0 || i === steps - 1)) opts.onStep(i, loss);
  }
  model.eval();
  return { model, task, losses, seconds: (performance.now() - t0) / 1000, maxOffset };
}

/**
 * Greedy answers to prompts of one length, all at once: the prompts run through the model as one
 * batch, then each step feeds every row its last token through the KV cache. Each answer is cut
 * after its first <eos> (kept, as the task's answers end with it); at most maxNewTokens long.
 */
export function greedyAnswers(model: HookedTransformer, prompts: readonly (readonly number[])[], eos: number, maxNewTokens: number, abacusOffset = 0): number[][] {
  if (prompts.length === 0) return [];
  const P = prompts[0].length;
  if (prompts.some((p) => p.length !== P)) throw new Error("greedyAnswers: prompts must have one length (batch them by operand lengths)");
  const B = prompts.length;
  const V = model.cfg.d_vocab;
  const answers: number[][] = prompts.map(() => []);
  const done = new Array<boolean>(B).fill(false);
  const cache = new KVCache(model.cfg.n_layers);
  try {
    let input: number[][] = prompts.map((p) => [...p]);
    for (let step = 0; step < maxNewTokens && done.includes(false); step++) {
      const logits = tidy(() => noGrad(() => model.forward(tensor(Int32Array.from(input.flat()), { shape: [B, input[0].length] }), { cache, lastPositionOnly: true, abacusOffset }).dataSync() as Float32Array));
      input = [];
      for (let b = 0; b < B; b++) {
        let best = 0;
        for (let v = 1; v < V; v++) if (logits[b * V + v] > logits[b * V + best]) best = v;
        if (!done[b]) {
          answers[b].push(best);
          if (best === eos) done[b] = true;
        }
        input.push([best]);
      }
    }
  } finally {
    cache.dispose();
  }
  return answers;
}

export interface AccuracyGrid {
  /** Operand lengths 1 … maxDigits (rows i: first operand, columns j: second). */
  lengths: number[];
  /** accuracy[i − 1][j − 1]: exact-match accuracy on problems with an i-digit and a j-digit operand; NaN where not measured. */
  accuracy: number[][];
  /** Problems per measured cell. */
  perCell: number;
}

/**
 * Exact-match accuracy of greedy answers by operand lengths. `cells` says which (i, j) to measure
 * (default every pair up to maxDigits: the paper's 2-D grid); the diagonal i = j is the curve.
 */
export function additionAccuracyGrid(model: HookedTransformer, task: AdditionTask, opts: { maxDigits: number; perCell: number; seed: number; cells?: "all" | "diagonal" }): AccuracyGrid {
  const { maxDigits, perCell, seed } = opts;
  const eos = task.vocab.indexOf("<eos>");
  const lengths = Array.from({ length: maxDigits }, (_, k) => k + 1);
  const accuracy = lengths.map(() => lengths.map(() => NaN));
  const wasTraining = model.training;
  model.eval();
  try {
    for (const i of lengths) {
      for (const j of lengths) {
        if (opts.cells === "diagonal" && i !== j) continue;
        // one seed per cell, the same for every model: all positional types meet the same problems
        const examples = task.examplesOfLength(i, j, perCell, seed + 1000 * i + j);
        const answers = greedyAnswers(model, examples.map((e) => e.prompt), eos, Math.max(i, j) + 2);
        accuracy[i - 1][j - 1] = examples.filter((e, k) => task.evaluate(answers[k], e)).length / perCell;
      }
    }
  } finally {
    model.train(wasTraining);
  }
  return { lengths, accuracy, perCell };
}

/** The diagonal of a grid: accuracy when both operands have n digits, n = 1 … maxDigits. */
export function diagonal(grid: AccuracyGrid): number[] {
  return grid.lengths.map((n) => grid.accuracy[n - 1][n - 1]);
}
