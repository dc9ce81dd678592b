// DPO where the answer is known: a tabular "language model" over K possible responses to each
// of M prompts, π(y | x) = softmax(θ_x)_y. With rewards r(x, y) and a reference π_ref, the
// KL-regularised optimum is
//
//   π*(y | x) = π_ref(y | x) exp(r(x, y)/β) / Σ_y' π_ref(y' | x) exp(r(x, y')/β)
//
// and DPO on Bradley–Terry preferences P(y ≻ y' | x) = σ(r(x, y) − r(x, y')) should find it: its
// expected loss over every pair of responses is minimised exactly when β h(y, y') = r(y) − r(y')
// for all pairs, i.e. at π*. `trainBanditDpo` minimises that expected loss (or the loss on pairs
// sampled from π_ref, to see the effect of finite data) and reports the distance to π*.
import { tensor } from "../tensor/creation.js";
import { Generator } from "../tensor/random.js";
import { tidy } from "../tensor/scope.js";
import { parameter } from "../nn/module.js";
import { Adam } from "../optim/adam.js";
import { checkBeta, dpoLoss, type DpoLossType } from "./dpo.js";

export interface Bandit {
  nPrompts: number;
  nResponses: number;
  /** r(x, y), row-major (nPrompts × nResponses). */
  reward: Float64Array;
  /** The reference's logits, row-major; π_ref = softmax per prompt. */
  refLogits: Float64Array;
}

/** A random bandit: rewards N(0, 1), reference logits N(0, 1) (seeded). */
export function randomBandit(nPrompts: number, nResponses: number, seed = 0): Bandit {
  for (const [name, v] of [["nPrompts", nPrompts], ["nResponses", nResponses]] as const) {
    if (!(Number.isSafeInteger(v) && v >= (name === "nResponses" ? 2 : 1))) throw new Error(`randomBandit: ${name} must be an integer ≥ ${name === "nResponses" ? 2 : 1}, got ${v}`);
  }
  const g = new Generator(seed);
  const n = nPrompts * nResponses;
  return { nPrompts, nResponses, reward: Float64Array.from({ length: n }, () => g.normal()), refLogits: Float64Array.from({ length: n }, () => g.normal()) };
}

function softmaxRows(logits: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(logits.length);
  for (let r = 0; r < rows; r++) {
    let max = -Infinity;
    for (let c = 0; c < cols; c++) max = Math.max(max, logits[r * cols + c]);
    let z = 0;
    for (let c = 0; c < cols; c++) z += out[r * cols + c] = Math.exp(logits[r * cols + c] - max);
    for (let c = 0; c < cols; c++) out[r * cols + c] /= z;
  }
  return out;
}

/** π_ref, per prompt. */
export function referencePolicy(b: Bandit): Float64Array {
  return softmaxRows(b.refLogits, b.nPrompts, b.nResponses);
}

/** The closed-form optimum π* ∝ π_ref · exp(r/β), per prompt. */
export function optimalPolicy(b: Bandit, beta: number): Float64Array {
  checkBeta(beta, "optimalPolicy");
  return softmaxRows(b.refLogits.map((l, i) => l + b.reward[i] / beta), b.nPrompts, b.nResponses);
}

/** Mean over prompts of KL(p ‖ q) between two row-stochastic tables. */
export function meanKl(p: Float64Array, q: Float64Array, rows: number, cols: number): number {
  let kl = 0;
  for (let i = 0; i < rows * cols; i++) if (p[i] > 0) kl += p[i] * Math.log(p[i] / q[i]);
  return kl / rows;
}

export interface BanditDpoOptions {
  beta: number;
  loss?: DpoLossType;
  steps?: number;
  lr?: number;
  /** "expected": every ordered pair weighted by π_ref(y)π_ref(y') with soft labels σ(Δr) (default);
   *  a number n: n pairs per prompt sampled once from π_ref, each labelled by one Bradley–Terry draw. */
  pairs?: "expected" | number;
  seed?: number;
  logEvery?: number;
}

export interface BanditDpoResult {
  /** The trained policy π, per prompt. */
  policy: Float64Array;
  optimum: Float64Array;
  /** KL(π* ‖ π) every logEvery steps. */
  history: { step: number; loss: number; klToOptimum: number }[];
  /** Largest |π − π*| over all entries at the end. */
  maxAbsError: number;
}

/** Trains a tabular policy, started at π_ref, with DPO (or IPO) on the bandit's preferences. */
export function trainBanditDpo(b: Bandit, opts: BanditDpoOptions): BanditDpoResult {
  const beta = checkBeta(opts.beta, "trainBanditDpo");
  const { nPrompts: M, nResponses: K } = b;
  const steps = opts.steps ?? 2000;
  const logEvery = opts.logEvery ?? 100;
  const g = new Generator(opts.seed ?? 0);
  // the pairs (prompt, y_w, y_l) with a weight each; log-probs are read with a gather per pair
  const px: number[] = [];
  const pw: number[] = [];
  const pl: number[] = [];
  const weight: number[] = [];
  const ref = referencePolicy(b);
  const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
  if ((opts.pairs ?? "expected") === "expected") {
    for (let x = 0; x < M; x++) {
      for (let i = 0; i < K; i++) {
        for (let j = 0; j < K; j++) {
          if (i === j) continue;
          // ordered pair (i preferred over j) with probability σ(r_i − r_j)
          px.push(x);
          pw.push(i);
          pl.push(j);
          weight.push(ref[x * K + i] * ref[x * K + j] * sigmoid(b.reward[x * K + i] - b.reward[x * K + j]));
        }
      }
    }
  } else {
    const n = opts.pairs as number;
    if (!(Number.isSafeInteger(n) && n > 0)) throw new Error(`trainBanditDpo: pairs must be "expected" or a positive integer, got ${JSON.stringify(opts.pairs)}`);
    const draw = (x: number) => {
      let u = g.random();
      for (let y = 0; y < K; y++) if ((u -= ref[x * K + y]) < 0) return y;
      return K - 1;
    };
    for (let x = 0; x < M; x++) {
      for (let s = 0; s < n; s++) {
        const a = draw(x);
        const c = draw(x);
        if (a === c) continue; // a pair of identical responses carries no preference
        const aWins = g.random() < sigmoid(b.reward[x * K + a] - b.reward[x * K + c]);
        px.push(x);
        pw.push(aWins ? a : c);
        pl.push(aWins ? c : a);
        weight.push(1);
      }
    }
  }
  const total = weight.reduce((s, w) => s + w, 0);
  const theta = parameter(tensor(b.refLogits, { shape: [M, K], dtype: "float64" }));
  const refLogp = tensor(b.refLogits, { shape: [M, K], dtype: "float64" }).logSoftmax(1);
  const flat = (x: number[], y: number[]) => tensor(x.map((xi, k) => xi * K + y[k]), { dtype: "int32" });
  const iw = flat(px, pw);
  const il = flat(px, pl);
  const w = tensor(weight.map((v) => (v * weight.length) / total), { dtype: "float64" });
  const optimizer = new Adam([theta], { lr: opts.lr ?? 0.05 });
  const optimum = optimalPolicy(b, beta);
  const history: BanditDpoResult["history"] = [];
  const policyNow = () => softmaxRows(Float64Array.from(theta.dataSync() as Float64Array), M, K);
  for (let step = 1; step <= steps; step++) {
    const loss = tidy(() => {
      optimizer.zeroGrad();
      const logp = theta.logSoftmax(1).reshape([M * K]);
      const refFlat = refLogp.reshape([M * K]);
      // the weights (mean 1) make the average over pairs the expected loss
      const lw = dpoLoss(logp.indexSelect(0, iw), logp.indexSelect(0, il), refFlat.indexSelect(0, iw), refFlat.indexSelect(0, il), { beta, loss: opts.loss }).losses.mul(w).mean();
      lw.backward();
      optimizer.step();
      return lw.item();
    });
    if (step % logEvery === 0 || step === steps) history.push({ step, loss, klToOptimum: meanKl(optimum, policyNow(), M, K) });
  }
  const policy = policyNow();
  let maxAbsError = 0;
  for (let i = 0; i < policy.length; i++) maxAbsError = Math.max(maxAbsError, Math.abs(policy[i] - optimum[i]));
  return { policy, optimum, history, maxAbsError };
}
