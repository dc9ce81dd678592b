// Lenses: what the residual stream "predicts" part-way through the model.
//   logit lens (nostalgebraist 2020):  logits_l = unembed(ln_final(resid_pre[l]))
//   tuned lens (Belrose et al. 2023):  logits_l = unembed(ln_final(A_l · resid_pre[l] + b_l)),
// one affine translator (A_l, b_l) per layer, A_l starting at the identity (= the logit lens),
// trained with the model frozen to minimise KL(final ‖ lens_l) = Σ_v p_final(v) (log p_final(v) − log p_l(v)).
// The last entry, "final_post", is the model's own output and needs no translator.
import type { IdArray } from "../data/corpus.js";
import { getBatch } from "../data/batch.js";
import { loadTensors, saveTensors } from "../io/tensors.js";
import type { HookedTransformer, TokensLike } from "../models/gpt/model.js";
import { Module, parameter } from "../nn/module.js";
import { AdamW } from "../optim/adam.js";
import { noGrad } from "../tensor/autograd.js";
import { eye, tensor, zeros } from "../tensor/creation.js";
import { Generator } from "../tensor/random.js";
import { tidy } from "../tensor/scope.js";
import { linear } from "../tensor/ops/nn.js";
import { stack } from "../tensor/ops/shape.js";
import type { Tensor } from "../tensor/tensor.js";
import type { ActivationCache } from "./cache.js";

/** ln_final then the unembedding: the model's read-out, applied to any residual vectors (…, d) → (…, v). */
export function readout(model: HookedTransformer, resid: Tensor): Tensor {
  const normed = model.ln_final ? model.ln_final.forward(resid) : resid;
  return model.unembed.forward(normed);
}

/** KL(p ‖ q) over the last axis from log-probabilities: Σ exp(lp)(lp − lq). */
function kl(logP: Tensor, logQ: Tensor): Tensor {
  return logP.exp().mul(logP.sub(logQ)).sum(-1);
}

const residNames = (model: HookedTransformer) => [...model.blocks.map((_, l) => `blocks.${l}.hook_resid_pre`), `blocks.${model.cfg.n_layers - 1}.hook_resid_post`];

/** Layer labels of a lens, as accumulatedResid names them: "0_pre", …, "final_post". */
export const lensLabels = (model: HookedTransformer): string[] => [...model.blocks.map((_, l) => `${l}_pre`), "final_post"];

// ---------------------------------------------------------------------------------------------
// Logit lens

export interface LogitLensOptions {
  /** Top tokens kept per layer and position (default 5). */
  k?: number;
  /** The token to follow at each position (default: the next token; the last position has none). */
  targets?: readonly (number | null)[];
  /** A cache of this run (with resid_pre of every layer, resid_post of the last, ln_final.hook_scale). */
  cache?: ActivationCache;
  /** A tuned lens to read the layers through instead of the plain logit lens. */
  lens?: TunedLens;
}

export interface LogitLensResult {
  /** One per row: "0_pre", …, "final_post" (the model's output). */
  labels: string[];
  tokens: number[];
  /** Per position: the token whose rank and probability are tracked (null: none). */
  targets: (number | null)[];
  /** [layer][position][k]: the k most likely tokens and their probabilities. */
  topTokens: number[][][];
  topProbs: number[][][];
  /** [layer][position]: probability of the target and its rank (0 = top); NaN without a target. */
  targetProb: number[][];
  targetRank: number[][];
  /** [layer][position]: KL(final ‖ layer) in nats; meanKl averages it over positions. */
  kl: number[][];
  meanKl: number[];
}

/** Logits of every layer's residual stream (layers + 1, b, p, v), through the logit lens or a tuned lens. */
export function lensLogits(model: HookedTransformer, cache: ActivationCache, lens?: TunedLens): Tensor {
  return noGrad(() => {
    const names = residNames(model);
    const resid = names.map((n, l) => {
      const r = cache.get(n);
      return lens && l < model.cfg.n_layers ? lens.translate(r, l) : r;
    });
    return readout(model, stack(resid));
  });
}

/** The logit lens (or a tuned lens) over one sequence: top tokens, target rank and probability, KL to the final logits. */
export function logitLens(model: HookedTransformer, tokens: readonly number[], opts: LogitLensOptions = {}): LogitLensResult {
  const k = Math.min(opts.k ?? 5, model.cfg.d_vocab);
  if (!(Number.isInteger(k) && k >= 1)) throw new Error(`logitLens: k must be a positive integer, got ${opts.k}`);
  const p = tokens.length;
  if (p === 0) throw new Error("logitLens: no tokens");
  const targets = opts.targets ? [...opts.targets] : tokens.map((_, i) => (i + 1 < p ? tokens[i + 1] : null));
  if (targets.length !== p) throw new Error(`logitLens: ${targets.length} targets for ${p} positions`);
  return tidy(() => {
    const cache = opts.cache ?? model.runWithCache([[...tokens]], { namesFilter: residNames(model) }).cache;
    const names = residNames(model);
    const n = names.length;
    /** Log-probabilities (p, v) that layer l's residual stream reads as. */
    const layerLogP = (l: number): Tensor =>
      tidy(() =>
        noGrad(() => {
          let r = cache.get(names[l]);
          if (!cache.hasBatchDim) r = r.unsqueeze(0);
          if (r.shape[0] !== 1) throw new Error(`logitLens: expected one sequence, the cache has a batch of ${r.shape[0]}`);
          if (opts.lens && l < model.cfg.n_layers) r = opts.lens.translate(r, l);
          return readout(model, r.reshape(p, -1)).logSoftmax(-1);
        }),
      );
    // One layer at a time, keeping only what the result reports: GPT-2's 13 layers × 512
    // positions × 50257 tokens would be 1.3 GB of logits at once.
    const finalLogP = layerLogP(n - 1);
    // KL(final ‖ l) = Σ p_final log p_final − Σ p_final log p_l: the first sum is the same for every layer
    const pFinal = finalLogP.exp();
    const negEntropy = pFinal.mul(finalLogP).sum(-1); // (p)
    const targetIds = tensor(targets.map((t) => [t ?? 0]), { dtype: "int32" }); // (p, 1)
    const result: LogitLensResult = { labels: lensLabels(model), tokens: [...tokens], targets, topTokens: [], topProbs: [], targetProb: [], targetRank: [], kl: [], meanKl: [] };
    for (let l = 0; l < n; l++) {
      tidy(() => {
        const logP = l === n - 1 ? finalLogP : layerLogP(l);
        const top = logP.topk(k, -1);
        result.topTokens.push(top.indices.toArray() as number[][]);
        result.topProbs.push(top.values.exp().toArray() as number[][]);
        const targetLogP = logP.gather(-1, targetIds); // (p, 1)
        const prob = targetLogP.exp().dataSync();
        const rank = logP.gt(targetLogP).sum(-1).dataSync(); // tokens strictly more likely than the target
        result.targetProb.push(targets.map((t, i) => (t === null ? NaN : prob[i])));
        result.targetRank.push(targets.map((t, i) => (t === null ? NaN : Number(rank[i]))));
        const klRow = Array.from(negEntropy.sub(pFinal.mul(logP).sum(-1)).dataSync());
        result.kl.push(klRow);
        result.meanKl.push(klRow.reduce((s, v) => s + v, 0) / klRow.length);
      });
    }
    return result;
  });
}

/** Mean KL(final ‖ layer) per layer over a batch of sequences (b, p), for the logit lens and, if given, a tuned lens. */
export function lensKL(model: HookedTransformer, tokens: TokensLike, lens?: TunedLens): { labels: string[]; logitLens: number[]; tunedLens?: number[] } {
  return tidy(() => {
    const { cache } = model.runWithCache(tokens, { namesFilter: residNames(model) });
    const perLayer = (t?: TunedLens) => {
      const logP = lensLogits(model, cache, t).logSoftmax(-1); // (n, b, p, v)
      const n = logP.shape[0];
      return Array.from(kl(logP.select(0, n - 1).unsqueeze(0), logP).mean([1, 2]).dataSync());
    };
    return { labels: lensLabels(model), logitLens: perLayer(), ...(lens ? { tunedLens: perLayer(lens) } : {}) };
  });
}

// ---------------------------------------------------------------------------------------------
// Tuned lens

/** One layer's affine map, PyTorch Linear style: y = x Wᵀ + b, W (d, d) starting at the identity, b at 0. */
export class Translator extends Module {
  weight: Tensor;
  bias: Tensor;
  constructor(d_model: number) {
    super();
    this.weight = parameter(eye(d_model));
    this.bias = parameter(zeros([d_model]));
  }
  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
}

/** One translator per layer (state-dict keys translators.{l}.weight / .bias). */
export class TunedLens extends Module {
  translators: Translator[];
  constructor(
    readonly d_model: number,
    readonly n_layers: number,
  ) {
    super();
    if (!(Number.isInteger(d_model) && d_model >= 1 && Number.isInteger(n_layers) && n_layers >= 1)) throw new Error(`TunedLens: d_model and n_layers must be positive integers, got ${d_model}, ${n_layers}`);
    this.translators = Array.from({ length: n_layers }, () => new Translator(d_model));
  }

  static forModel(model: HookedTransformer): TunedLens {
    return new TunedLens(model.cfg.d_model, model.cfg.n_layers);
  }

  /** The residual stream at the input of layer `layer`, (…, d), moved to where the final layer would have it. */
  translate(resid: Tensor, layer: number): Tensor {
    if (!(Number.isInteger(layer) && layer >= 0 && layer < this.n_layers)) throw new Error(`TunedLens: layer must be in [0, ${this.n_layers}), got ${layer}`);
    return this.translators[layer].forward(resid);
  }

  forward(resid: Tensor, layer: number): Tensor {
    return this.translate(resid, layer);
  }
}

export interface TunedLensTrainOptions {
  steps?: number;
  lr?: number;
  batchSize?: number;
  /** Tokens per training window (default min(n_ctx, 64)). */
  blockSize?: number;
  weightDecay?: number;
  seed?: number;
  /** Start from this lens (e.g. to continue training). */
  lens?: TunedLens;
  onStep?: (step: number, loss: number) => void;
}

/**
 * Trains a tuned lens on random windows of a token stream: each step caches the residual stream
 * of a batch (model frozen, no tape), then takes an AdamW step on the mean over layers and
 * positions of KL(final ‖ lens_l). Returns the lens and the loss of each step.
 */
export function trainTunedLens(model: HookedTransformer, tokenStream: IdArray, opts: TunedLensTrainOptions = {}): { lens: TunedLens; losses: number[] } {
  const steps = opts.steps ?? 100;
  const batchSize = opts.batchSize ?? 8;
  const blockSize = opts.blockSize ?? Math.min(model.cfg.n_ctx, 64);
  if (!(Number.isInteger(steps) && steps >= 0)) throw new Error(`trainTunedLens: steps must be an integer ≥ 0, got ${opts.steps}`);
  if (!(blockSize >= 1 && blockSize <= model.cfg.n_ctx)) throw new Error(`trainTunedLens: blockSize must be in [1, n_ctx = ${model.cfg.n_ctx}], got ${blockSize}`);
  const lens = opts.lens ?? TunedLens.forModel(model);
  if (lens.d_model !== model.cfg.d_model || lens.n_layers !== model.cfg.n_layers) throw new Error(`trainTunedLens: the lens is for d_model ${lens.d_model}, ${lens.n_layers} layers; the model has ${model.cfg.d_model}, ${model.cfg.n_layers}`);
  const opt = new AdamW(lens.parameters(), { lr: opts.lr ?? 1e-3, weightDecay: opts.weightDecay ?? 0 });
  const gen = new Generator(opts.seed ?? 0);
  const names = residNames(model);
  const L = model.cfg.n_layers;
  const losses: number[] = [];
  // freeze the model: gradients flow through ln_final and W_U to the lens, not into them
  const params = model.parameters();
  const was = params.map((p) => p.requiresGrad);
  const wasTraining = model.training;
  model.eval();
  try {
    for (const p of params) p.requiresGrad_(false);
    for (let step = 0; step < steps; step++) {
      const loss = tidy(() => {
        const { x } = getBatch(tokenStream, batchSize, blockSize, gen);
        const { cache } = model.runWithCache(x, { namesFilter: names });
        const final = readout(model, cache.get(names[L])).logSoftmax(-1); // (b, p, v)
        let total: Tensor | null = null;
        for (let l = 0; l < L; l++) {
          const logQ = readout(model, lens.translate(cache.get(names[l]), l)).logSoftmax(-1);
          const term = kl(final, logQ).mean();
          total = total ? total.add(term) : term;
        }
        if (!total) return 0;
        const mean = total.div(L);
        opt.zeroGrad();
        mean.backward();
        opt.step();
        return mean.item();
      });
      losses.push(loss);
      opts.onStep?.(step, loss);
    }
  } finally {
    params.forEach((p, i) => p.requiresGrad_(was[i]));
    model.train(wasTraining);
  }
  return { lens, losses };
}

/** Tuned-lens logits of every layer, (layers + 1, b, p, v); the last is the model's own. */
export function tunedLensLogits(model: HookedTransformer, lens: TunedLens, tokensOrCache: TokensLike | ActivationCache): Tensor {
  const cache = isCache(tokensOrCache) ? tokensOrCache : model.runWithCache(tokensOrCache, { namesFilter: residNames(model) }).cache;
  return lensLogits(model, cache, lens);
}

function isCache(x: unknown): x is ActivationCache {
  return x instanceof Map && "accumulatedResid" in (x as object);
}

/** A tuned lens as safetensors bytes (keys translators.{l}.weight / .bias; d_model and n_layers in the metadata). */
export function saveTunedLens(lens: TunedLens): Uint8Array {
  return saveTensors(lens.stateDict(), { format: "decoding-gpt-tuned-lens", d_model: String(lens.d_model), n_layers: String(lens.n_layers) });
}

/** Reads saveTunedLens's bytes; with a model, checks that the lens fits it. */
export function loadTunedLens(bytes: Uint8Array, model?: HookedTransformer): TunedLens {
  const { tensors, metadata } = loadTensors(bytes);
  const d = Number(metadata.d_model);
  const n = Number(metadata.n_layers);
  if (metadata.format !== "decoding-gpt-tuned-lens" || !Number.isInteger(d) || !Number.isInteger(n) || d < 1 || n < 1) {
    throw new Error(`loadTunedLens: not a tuned lens file (metadata ${JSON.stringify(metadata)})`);
  }
  if (model && (model.cfg.d_model !== d || model.cfg.n_layers !== n)) throw new Error(`loadTunedLens: the lens is for d_model ${d}, ${n} layers; the model has ${model.cfg.d_model}, ${model.cfg.n_layers}`);
  const lens = new TunedLens(d, n);
  lens.loadStateDict(tensors);
  return lens;
}
