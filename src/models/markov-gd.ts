// The same Markov chain, learned instead of counted: a one-layer linear network
//   logits = onehot(x) · W,   P(next | x) = softmax(W[x]),   W ∈ R^(V × V)   (an Embedding(V, V))
// trained by gradient descent on the cross-entropy of (current, next) pairs. The loss
//   L(W) = −(1/N) Σ_t log softmax(W[x_t])[x_{t+1}] = −Σ_ij Ĉ_ij log softmax(W_i)_j,  Ĉ = counts / N
// is convex in W, and its minimiser has softmax(W_i) = C_i / Σ_j C_ij for every seen row: the
// counts again. So GD "rediscovers" the count model; unseen transitions only drift toward −∞, which
// acts like smoothing. With rank < V, W = E U (Embedding(V, r) then a bias-free Linear(r, V)): the
// best rank-r chain, a first look at why a transformer's embedding bottleneck matters.
import { Module, Embedding, Linear } from "../nn/index.js";
import { Adam } from "../optim/index.js";
import { noGrad } from "../tensor/autograd.js";
import { tensor } from "../tensor/creation.js";
import { crossEntropy, logSoftmax } from "../tensor/ops/nn.js";
import { Generator } from "../tensor/random.js";
import type { Tensor } from "../tensor/tensor.js";
import type { MarkovChain } from "./markov.js";

/** logits = W[x] (full rank) or E[x] Uᵀ (rank r). */
export class MarkovNet extends Module {
  readonly embed: Embedding;
  readonly unembed: Linear | null;

  constructor(
    readonly vocabSize: number,
    readonly rank: number | null = null,
    seed = 0,
  ) {
    super();
    const generator = new Generator(seed);
    this.embed = new Embedding(vocabSize, rank ?? vocabSize, { generator });
    this.unembed = rank === null ? null : new Linear(rank, vocabSize, { bias: false, generator });
    // full rank: start from W = 0, the uniform chain, so rows never seen stay uniform
    if (rank === null) noGrad(() => this.embed.weight.zero_());
  }

  forward(x: Tensor): Tensor {
    const h = this.embed.forward(x);
    return this.unembed ? this.unembed.forward(h) : h;
  }

  /** The V × V matrix of logits, one row per current token. */
  logitMatrix(): Tensor {
    return this.unembed ? this.unembed.forward(this.embed.weight) : this.embed.weight;
  }

  /** log P(next | current) for every pair, as a V × V row-major Float64Array. */
  logProbs(): Float64Array {
    return noGrad(() => Float64Array.from(logSoftmax(this.logitMatrix(), 1).dataSync()));
  }
}

export interface TrainMarkovOptions {
  vocabSize: number;
  /** Low-rank factorisation W = E U with E: V × rank (default: full rank, W: V × V). */
  rank?: number;
  steps?: number;
  lr?: number;
  seed?: number;
  /** (current, next) pairs drawn per step. 0 (default): the exact full-batch loss, computed from the
   *  bigram counts in one V × V product: the same gradient as all N pairs, in O(V²). */
  batchSize?: number;
  onStep?: (step: number, loss: number) => void;
}

export interface TrainedMarkovNet {
  net: MarkovNet;
  /** Training loss (mean NLL in nats) per step. */
  losses: number[];
}

export function trainMarkovNet(ids: ArrayLike<number>, opts: TrainMarkovOptions): TrainedMarkovNet {
  const { vocabSize: V, rank, steps = 200, lr = 0.5, seed = 0, batchSize = 0 } = opts;
  if (ids.length < 2) throw new Error("trainMarkovNet: need at least 2 tokens (one transition)");
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`trainMarkovNet: steps must be a positive integer, got ${steps}`);
  if (!(lr > 0)) throw new Error(`trainMarkovNet: lr must be positive, got ${lr}`);
  if (!Number.isInteger(batchSize) || batchSize < 0) throw new Error(`trainMarkovNet: batchSize must be a non-negative integer, got ${batchSize}`);
  if (rank !== undefined && (!Number.isInteger(rank) || rank < 1)) throw new Error(`trainMarkovNet: rank must be a positive integer, got ${rank}`);
  for (let t = 0; t < ids.length; t++) {
    if (!Number.isInteger(ids[t]) || ids[t] < 0 || ids[t] >= V) throw new Error(`trainMarkovNet: token ${t} is ${ids[t]}, not an id in [0, ${V})`);
  }
  if (batchSize === 0 && V * V > 1 << 24) throw new Error(`trainMarkovNet: the full-batch loss needs a dense ${V} × ${V} count matrix; pass batchSize > 0 for a vocabulary this large`);
  const net = new MarkovNet(V, rank ?? null, seed);
  const opt = new Adam(net.parameters(), { lr });
  const gen = new Generator(seed + 1);
  const N = ids.length - 1;

  // full batch: Ĉ_ij = (number of times j followed i) / N
  let cHat: Tensor | null = null;
  if (batchSize === 0) {
    const c = new Float32Array(V * V);
    for (let t = 0; t < N; t++) c[ids[t] * V + ids[t + 1]] += 1 / N;
    cHat = tensor(c, { shape: [V, V] });
  }
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    let loss: Tensor;
    if (cHat) {
      loss = logSoftmax(net.logitMatrix(), 1).mul(cHat).sum().neg();
    } else {
      const x = new Int32Array(batchSize);
      const y = new Int32Array(batchSize);
      for (let b = 0; b < batchSize; b++) {
        const t = gen.randint(0, N);
        x[b] = ids[t];
        y[b] = ids[t + 1];
      }
      loss = crossEntropy(net.forward(tensor(x)), tensor(y));
    }
    opt.zeroGrad();
    loss.backward();
    opt.step();
    losses.push(loss.item());
    opts.onStep?.(step, losses[step]);
  }
  return { net, losses };
}

export interface CountComparison {
  /** Σᵢ πᵢ KL(P_counts(· | i) ‖ P_net(· | i)) in nats, π = unigram frequencies of the states. */
  kl: number;
  /** The largest row KL, and the token id of that row. */
  maxKl: number;
  maxKlToken: number;
}

/**
 * How far the learned chain is from the counted one: the KL divergence of each seen row of the
 * maximum-likelihood transition matrix from the network's row, weighted by how often the row's
 * token occurs. At the optimum of full-batch training this goes to 0 (the loss minus the
 * counts' entropy rate is exactly this KL).
 */
export function compareWithCounts(logProbs: Float64Array, chain: MarkovChain): CountComparison {
  const V = chain.vocabSize;
  if (logProbs.length !== V * V) throw new Error(`compareWithCounts: expected ${V} × ${V} log-probabilities, got ${logProbs.length} values`);
  const { counts, states, unigram } = chain;
  let kl = 0;
  let weight = 0;
  let maxKl = 0;
  let maxKlToken = -1;
  for (let s = 0; s < counts.rows; s++) {
    const start = counts.rowPtr[s];
    const end = counts.rowPtr[s + 1];
    if (start === end) continue; // dangling: no counts to compare with
    let total = 0;
    for (let k = start; k < end; k++) total += counts.values[k];
    const i = states[s];
    let rowKl = 0;
    for (let k = start; k < end; k++) {
      const p = counts.values[k] / total;
      rowKl += p * (Math.log(p) - logProbs[i * V + states[counts.colIdx[k]]]);
    }
    kl += unigram[s] * rowKl;
    weight += unigram[s];
    if (rowKl > maxKl) {
      maxKl = rowKl;
      maxKlToken = i;
    }
  }
  return { kl: weight > 0 ? kl / weight : 0, maxKl, maxKlToken };
}

/**
 * Perplexity of a bigram predictor on held-out ids, over the transitions only (the first token
 * has no predecessor): exp(−mean log p(x_{t+1} | x_t)). Lets a count model and a network be
 * compared on exactly the same predictions.
 */
export function bigramPerplexity(logProb: (prev: number, next: number) => number, ids: ArrayLike<number>): number {
  if (ids.length < 2) throw new Error("bigramPerplexity: need at least 2 tokens");
  let nll = 0;
  for (let t = 0; t + 1 < ids.length; t++) nll -= logProb(ids[t], ids[t + 1]);
  return Math.exp(nll / (ids.length - 1));
}
