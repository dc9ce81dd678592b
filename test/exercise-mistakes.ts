// Planted mistakes: plausible wrong solutions to each exercise, written as a student would, with
// the case that must catch each one first. test/exercises.test.ts grades every one of them.
import { cat, getActName, ones, tensor, type HookedTransformer, type Tensor } from "../src/index.js";
import type { AttentionWeights } from "../src/exercises/causal-attention.js";
import type { BlockWeights } from "../src/exercises/gpt-block.js";
import type { Generator } from "../src/index.js";

export interface Planted {
  /** What is wrong, in a few words. */
  mistake: string;
  fn: unknown;
  /** The first failing case's name must match this. */
  caughtBy: RegExp;
}

// ------------------------------------------------------------------ shared wrong pieces

/** Causal attention as the exercise states it, with switches for the classic slips. */
function attention(x: Tensor, w: AttentionWeights, slip: { noScale?: boolean; noMask?: boolean; maskDiagonal?: boolean; softmaxOverQueries?: boolean } = {}): Tensor {
  const [B, p] = x.shape;
  // x (b, p, d) · W (h, d, k) laid out as (d, h·k) → (b, h, p, k)
  const heads = (W: Tensor, b: Tensor) => x.matmul(W.permute(1, 0, 2).reshape(W.shape[1], -1)).reshape(B, p, W.shape[0], W.shape[2]).add(b).permute(0, 2, 1, 3);
  const [q, k, v] = [heads(w.W_Q, w.b_Q), heads(w.W_K, w.b_K), heads(w.W_V, w.b_V)];
  let scores = q.matmul(k.mT);
  if (!slip.noScale) scores = scores.div(Math.sqrt(w.W_Q.shape[2]));
  if (!slip.noMask) scores = scores.maskedFill(ones([p, p], { dtype: "bool" }).triu(slip.maskDiagonal ? 0 : 1), -Infinity);
  const z = scores.softmax(slip.softmaxOverQueries ? -2 : -1).matmul(v); // (b, h, p, k)
  return z.permute(0, 2, 1, 3).reshape(B, p, -1).matmul(w.W_O.reshape(-1, w.W_O.shape[2])).add(w.b_O);
}

const layerNorm = (x: Tensor, n: { w: Tensor; b: Tensor }, eps: number) => {
  const mu = x.mean(-1, true);
  const c = x.sub(mu);
  return c.div(c.square().mean(-1, true).add(eps).sqrt()).mul(n.w).add(n.b);
};
const mlp = (x: Tensor, m: BlockWeights["mlp"]) => x.matmul(m.W_in).add(m.b_in).gelu().matmul(m.W_out).add(m.b_out);

// ------------------------------------------------------------------ the mistakes, by exercise

export const PLANTED: Record<string, Planted[]> = {
  "autodiff-op": [
    { mistake: "forgets the product rule (gradX = gradY·σ(x))", caughtBy: /finite differences/, fn: (x: Tensor, g: Tensor) => ({ y: x.mul(x.sigmoid()), gradX: g.mul(x.sigmoid()) }) },
    {
      mistake: "returns the local derivative, not multiplied by gradY",
      caughtBy: /finite differences/,
      fn: (x: Tensor) => {
        const s = x.sigmoid();
        return { y: x.mul(s), gradX: s.mul(x.mul(s.neg().add(1)).add(1)) };
      },
    },
    {
      mistake: "σ as eˣ/(1 + eˣ), which is ∞/∞ = NaN for x = 800",
      caughtBy: /large \|x\|/,
      fn: (x: Tensor, g: Tensor) => {
        const s = x.exp().div(x.exp().add(1));
        return { y: x.mul(s), gradX: g.mul(s.mul(x.mul(s.neg().add(1)).add(1))) };
      },
    },
    {
      mistake: "computes in float64 whatever the input (float32 in, float64 out)",
      caughtBy: /dtype/,
      fn: (x0: Tensor, g: Tensor) => {
        const x = x0.double();
        const s = x.sigmoid();
        return { y: x.mul(s), gradX: g.double().mul(s.mul(x.mul(s.neg().add(1)).add(1))) };
      },
    },
  ],
  "mlp-layer": [
    { mistake: "ReLU instead of GELU", caughtBy: /example/, fn: (x: Tensor, Wi: Tensor, bi: Tensor, Wo: Tensor, bo: Tensor) => x.matmul(Wi).add(bi).relu().matmul(Wo).add(bo) },
    { mistake: "the tanh approximation of GELU", caughtBy: /example/, fn: (x: Tensor, Wi: Tensor, bi: Tensor, Wo: Tensor, bo: Tensor) => x.matmul(Wi).add(bi).gelu({ approximate: "tanh" }).matmul(Wo).add(bo) },
    { mistake: "forgets b_in", caughtBy: /matches the library/, fn: (x: Tensor, Wi: Tensor, _bi: Tensor, Wo: Tensor, bo: Tensor) => x.matmul(Wi).gelu().matmul(Wo).add(bo) },
    { mistake: "breaks the graph (rebuilds the output from numbers)", caughtBy: /gradient check/, fn: (x: Tensor, Wi: Tensor, bi: Tensor, Wo: Tensor, bo: Tensor) => { const y = x.matmul(Wi).add(bi).gelu().matmul(Wo).add(bo); return tensor(y.dataSync().slice(), { shape: y.shape }); } },
  ],
  "softmax-cross-entropy": [
    {
      mistake: "no max subtraction: e^1000 overflows",
      caughtBy: /large logits/,
      fn: (z: Tensor, y: Tensor) => z.exp().sum(-1).log().sub(z.gather(1, y.unsqueeze(1)).squeeze(1)).mean(),
    },
    {
      mistake: "log(softmax(z)): a vanishing probability gives log 0 = −∞",
      caughtBy: /1000 below/,
      fn: (z: Tensor, y: Tensor) => z.softmax(-1).log().gather(1, y.unsqueeze(1)).neg().mean(),
    },
    {
      mistake: "sums over the batch instead of averaging",
      caughtBy: /example/,
      fn: (z: Tensor, y: Tensor) => z.logSoftmax(-1).gather(1, y.unsqueeze(1)).neg().sum(),
    },
    {
      mistake: "softmax over the batch axis",
      caughtBy: /matches the library/,
      fn: (z: Tensor, y: Tensor) => z.logSoftmax(0).gather(1, y.unsqueeze(1)).neg().mean(),
    },
  ],
  layernorm: [
    { mistake: "the unbiased variance (divides by d − 1)", caughtBy: /example/, fn: (x: Tensor, w: Tensor, b: Tensor, eps: number) => x.sub(x.mean(-1, true)).div(x.var(-1, { keepdim: true, correction: 1 }).add(eps).sqrt()).mul(w).add(b) },
    { mistake: "ε outside the square root", caughtBy: /matches the library/, fn: (x: Tensor, w: Tensor, b: Tensor, eps: number) => x.sub(x.mean(-1, true)).div(x.var(-1, { keepdim: true, correction: 0 }).sqrt().add(eps)).mul(w).add(b) },
    {
      mistake: "σ² = E[x²] − μ², which loses every digit near 1000 in float32",
      caughtBy: /near 1000/,
      fn: (x: Tensor, w: Tensor, b: Tensor, eps: number) => {
        const mu = x.mean(-1, true);
        return x.sub(mu).div(x.square().mean(-1, true).sub(mu.square()).add(eps).sqrt()).mul(w).add(b);
      },
    },
    { mistake: "forgets the bias b", caughtBy: /matches the library/, fn: (x: Tensor, w: Tensor, _b: Tensor, eps: number) => x.sub(x.mean(-1, true)).div(x.var(-1, { keepdim: true, correction: 0 }).add(eps).sqrt()).mul(w) },
  ],
  ngram: [
    {
      mistake: "leaves rows without successors at zero",
      caughtBy: /rows without successors/,
      fn: (tokens: number[], V: number) => chain(tokens, V, { noDangling: true }),
    },
    { mistake: "counts the wrap-around bigram (last → first)", caughtBy: /example/, fn: (tokens: number[], V: number) => chain(tokens, V, { wrap: true }) },
    { mistake: "plain power iteration, which oscillates on a periodic chain", caughtBy: /periodic/, fn: (tokens: number[], V: number) => chain(tokens, V, { plainPower: true }) },
    { mistake: "normalises the columns of P instead of the rows", caughtBy: /example/, fn: (tokens: number[], V: number) => chain(tokens, V, { columns: true }) },
  ],
  "bpe-merge": [
    { mistake: "ties go to the pair seen first", caughtBy: /ties/, fn: (words: number[][], counts: number[], newId: number) => mergeStep(words, counts, newId, { firstSeen: true }) },
    { mistake: "counts each pair once per word, not per occurrence", caughtBy: /overlapping occurrences count/, fn: (words: number[][], counts: number[], newId: number) => mergeStep(words, counts, newId, { oncePerWord: true }) },
    { mistake: "merges right to left", caughtBy: /overlapping pairs/, fn: (words: number[][], counts: number[], newId: number) => mergeStep(words, counts, newId, { rightToLeft: true }) },
    { mistake: "ignores the word counts", caughtBy: /example/, fn: (words: number[][], counts: number[], newId: number) => mergeStep(words, counts.map(() => 1), newId, {}) },
  ],
  "causal-attention": [
    { mistake: "no 1/√d_head", caughtBy: /matches the library/, fn: (x: Tensor, w: AttentionWeights) => attention(x, w, { noScale: true }) },
    { mistake: "no causal mask", caughtBy: /matches the library/, fn: (x: Tensor, w: AttentionWeights) => attention(x, w, { noMask: true }) },
    { mistake: "masks the diagonal too", caughtBy: /matches the library/, fn: (x: Tensor, w: AttentionWeights) => attention(x, w, { maskDiagonal: true }) },
    { mistake: "softmax over the queries", caughtBy: /matches the library/, fn: (x: Tensor, w: AttentionWeights) => attention(x, w, { softmaxOverQueries: true }) },
  ],
  "gpt-block": [
    {
      mistake: "post-norm: LayerNorm after the residual add",
      caughtBy: /matches the library/,
      fn: (x: Tensor, w: BlockWeights) => {
        const mid = layerNorm(x.add(attention(x, w.attn)), w.ln1, w.eps);
        return layerNorm(mid.add(mlp(mid, w.mlp)), w.ln2, w.eps);
      },
    },
    {
      mistake: "the MLP reads resid_pre instead of resid_mid",
      caughtBy: /matches the library/,
      fn: (x: Tensor, w: BlockWeights) => x.add(attention(layerNorm(x, w.ln1, w.eps), w.attn)).add(mlp(layerNorm(x, w.ln2, w.eps), w.mlp)),
    },
    {
      mistake: "ln1 used before the MLP as well",
      caughtBy: /matches the library/,
      fn: (x: Tensor, w: BlockWeights) => {
        const mid = x.add(attention(layerNorm(x, w.ln1, w.eps), w.attn));
        return mid.add(mlp(layerNorm(mid, w.ln1, w.eps), w.mlp));
      },
    },
    {
      mistake: "attention without the causal mask",
      caughtBy: /matches the library/,
      fn: (x: Tensor, w: BlockWeights) => {
        const mid = x.add(attention(layerNorm(x, w.ln1, w.eps), w.attn, { noMask: true }));
        return mid.add(mlp(layerNorm(mid, w.ln2, w.eps), w.mlp));
      },
    },
  ],
  "sample-next": [
    { mistake: "multiplies by the temperature", caughtBy: /statistical test: T = 0.7/, fn: (z: Tensor, T: number, k: number | null, g: Generator) => sample(z, T, k, g, { multiplyT: true }) },
    { mistake: "ignores top-k", caughtBy: /top-k cut/, fn: (z: Tensor, T: number, k: number | null, g: Generator) => sample(z, T, null, g, {}) },
    { mistake: "always greedy", caughtBy: /top-k cut/, fn: (z: Tensor, _T: number, k: number | null, g: Generator) => sample(z, 0, k, g, {}) },
    { mistake: "Math.random instead of the generator", caughtBy: /same generator seed/, fn: (z: Tensor, T: number, k: number | null, g: Generator) => sample(z, T, k, g, { mathRandom: true }) },
    { mistake: "exp without the max: e^1000 = ∞", caughtBy: /large and −Infinity/, fn: (z: Tensor, T: number, k: number | null, g: Generator) => sample(z, T, k, g, { noMax: true }) },
  ],
  "logit-lens": [
    { mistake: "skips ln_final", caughtBy: /last row/, fn: (model: HookedTransformer, tokens: number[]) => lens(model, tokens, { noLn: true }) },
    { mistake: "reads resid_post of each layer (off by one)", caughtBy: /matches the library/, fn: (model: HookedTransformer, tokens: number[]) => lens(model, tokens, { post: true }) },
    { mistake: "forgets the final row", caughtBy: /shape/, fn: (model: HookedTransformer, tokens: number[]) => lens(model, tokens, { noFinal: true }) },
    { mistake: "leaves a hook attached", caughtBy: /no hook/, fn: (model: HookedTransformer, tokens: number[]) => lens(model, tokens, { leaveHook: true }) },
  ],
  "induction-score": [
    { mistake: "the duplicate-token pattern (no shift)", caughtBy: /example/, fn: (pattern: Tensor, tokens: number[]) => induction(pattern, tokens, { shift: 0 }) },
    { mistake: "only the latest earlier copy", caughtBy: /three times/, fn: (pattern: Tensor, tokens: number[]) => induction(pattern, tokens, { latestOnly: true }) },
    { mistake: "divides by the number of positions", caughtBy: /share of the head's total/, fn: (pattern: Tensor, tokens: number[]) => induction(pattern, tokens, { perPosition: true }) },
  ],
  "patch-head": [
    { mistake: "patches every head of the layer", caughtBy: /matches the library/, fn: (m: HookedTransformer, c: number[], k: number[], l: number, h: number, metric: (t: Tensor) => number) => patchHead(m, c, k, l, h, metric, { allHeads: true }) },
    { mistake: "noising: runs clean and patches the corrupted value in", caughtBy: /matches the library/, fn: (m: HookedTransformer, c: number[], k: number[], l: number, h: number, metric: (t: Tensor) => number) => patchHead(m, k, c, l, h, metric, {}) },
    { mistake: "patches the last position only", caughtBy: /matches the library/, fn: (m: HookedTransformer, c: number[], k: number[], l: number, h: number, metric: (t: Tensor) => number) => patchHead(m, c, k, l, h, metric, { lastOnly: true }) },
  ],
  sae: [
    { mistake: "does not subtract b_dec before encoding", caughtBy: /matches the library/, fn: (x: Tensor, w: SaeW, l1: number) => saeLoss(x, w, l1, { noCentering: true }) },
    { mistake: "plain L1, without the decoder norms", caughtBy: /example/, fn: (x: Tensor, w: SaeW, l1: number) => saeLoss(x, w, l1, { plainL1: true }) },
    { mistake: "averages the squared error over d_in too", caughtBy: /matches the library/, fn: (x: Tensor, w: SaeW, l1: number) => saeLoss(x, w, l1, { meanOverDin: true }) },
  ],
  "dpo-loss": [
    { mistake: "the reference's sign flipped", caughtBy: /matches the library/, fn: (pc: Tensor, pr: Tensor, rc: Tensor, rr: Tensor, beta: number) => pc.add(rc).sub(pr.add(rr)).mul(beta).neg().softplus().mean() },
    { mistake: "−log(sigmoid(z)), which is −log 0 = ∞ for z = −1000", caughtBy: /huge margins/, fn: (pc: Tensor, pr: Tensor, rc: Tensor, rr: Tensor, beta: number) => pc.sub(rc).sub(pr.sub(rr)).mul(beta).sigmoid().log().neg().mean() },
    { mistake: "forgets β", caughtBy: /example/, fn: (pc: Tensor, pr: Tensor, rc: Tensor, rr: Tensor) => pc.sub(rc).sub(pr.sub(rr)).neg().softplus().mean() },
    { mistake: "sums over the batch", caughtBy: /equal log-probabilities/, fn: (pc: Tensor, pr: Tensor, rc: Tensor, rr: Tensor, beta: number) => pc.sub(rc).sub(pr.sub(rr)).mul(beta).neg().softplus().sum() },
  ],
};

// ------------------------------------------------------------------ helpers the mistakes share

function chain(tokens: number[], V: number, slip: { noDangling?: boolean; wrap?: boolean; plainPower?: boolean; columns?: boolean }) {
  const counts = Array.from({ length: V }, () => new Array<number>(V).fill(0));
  const pairs = tokens.length - (slip.wrap ? 0 : 1);
  for (let i = 0; i < pairs; i++) counts[tokens[i]][tokens[(i + 1) % tokens.length]]++;
  const unigram = new Array<number>(V).fill(0);
  for (const t of tokens) unigram[t] += 1 / tokens.length;
  let P = counts.map((row) => {
    const total = row.reduce((a, b) => a + b, 0);
    return total === 0 ? (slip.noDangling ? row.map(() => 0) : [...unigram]) : row.map((c) => c / total);
  });
  if (slip.columns) {
    const colSums = counts[0].map((_, j) => counts.reduce((s, row) => s + row[j], 0));
    P = counts.map((row) => row.map((c, j) => (colSums[j] ? c / colSums[j] : 0)));
  }
  let pi = new Array<number>(V).fill(1 / V);
  for (let it = 0; it < 2000; it++) {
    const next = P[0].map((_, j) => pi.reduce((s, p, i) => s + p * P[i][j], 0));
    pi = slip.plainPower ? next : next.map((v, j) => (v + pi[j]) / 2);
  }
  const total = pi.reduce((a, b) => a + b, 0);
  return { counts, P, pi: pi.map((v) => v / total) };
}

function mergeStep(words: number[][], counts: number[], newId: number, slip: { firstSeen?: boolean; oncePerWord?: boolean; rightToLeft?: boolean }) {
  const freq = new Map<string, number>();
  words.forEach((w, k) => {
    const seen = new Set<string>();
    for (let i = 0; i + 1 < w.length; i++) {
      const key = `${w[i]},${w[i + 1]}`;
      if (slip.oncePerWord && seen.has(key)) continue;
      seen.add(key);
      freq.set(key, (freq.get(key) ?? 0) + counts[k]);
    }
  });
  let best: [number, number] | null = null;
  let bestN = -1;
  for (const [key, n] of freq) {
    const pair = key.split(",").map(Number) as [number, number];
    const better = slip.firstSeen ? n > bestN : n > bestN || (n === bestN && best !== null && (pair[0] < best[0] || (pair[0] === best[0] && pair[1] < best[1])));
    if (better) [best, bestN] = [pair, n];
  }
  if (!best) return { pair: null, words };
  const [a, b] = best;
  const merge = (w: number[]) => {
    const out: number[] = [];
    if (slip.rightToLeft) {
      for (let i = w.length - 1; i >= 0; ) {
        if (i >= 1 && w[i - 1] === a && w[i] === b) {
          out.unshift(newId);
          i -= 2;
        } else out.unshift(w[i--]);
      }
      return out;
    }
    for (let i = 0; i < w.length; ) {
      if (i + 1 < w.length && w[i] === a && w[i + 1] === b) {
        out.push(newId);
        i += 2;
      } else out.push(w[i++]);
    }
    return out;
  };
  return { pair: best, words: words.map(merge) };
}

function sample(z: Tensor, T: number, k: number | null, g: Generator, slip: { multiplyT?: boolean; mathRandom?: boolean; noMax?: boolean }): number {
  const logits = Array.from(z.dataSync());
  if (T === 0) return logits.indexOf(Math.max(...logits));
  const order = logits.map((_, i) => i).sort((a, b) => logits[b] - logits[a] || a - b).slice(0, k ?? logits.length);
  const max = slip.noMax ? 0 : logits[order[0]];
  const w = order.map((i) => Math.exp(slip.multiplyT ? (logits[i] - max) * T : (logits[i] - max) / T));
  let u = (slip.mathRandom ? Math.random() : g.random()) * w.reduce((a, b) => a + b, 0);
  for (let j = 0; j < w.length; j++) if ((u -= w[j]) < 0) return order[j];
  return order[order.length - 1];
}

function lens(model: HookedTransformer, tokens: number[], slip: { noLn?: boolean; post?: boolean; noFinal?: boolean; leaveHook?: boolean }): Tensor {
  const L = model.cfg.n_layers;
  const { cache } = model.runWithCache([tokens]);
  const names = Array.from({ length: L }, (_, l) => (slip.post ? `blocks.${l}.hook_resid_post` : `blocks.${l}.hook_resid_pre`));
  if (!slip.noFinal) names.push(`blocks.${L - 1}.hook_resid_post`);
  const read = (r: Tensor) => model.unembed.forward(slip.noLn || !model.ln_final ? r : model.ln_final.forward(r));
  if (slip.leaveHook) model.hookPoint("blocks.0.hook_resid_pre").addHook((x) => x);
  return cat(names.map((n) => read(cache.get(n))), 0);
}

function induction(pattern: Tensor, tokens: number[], slip: { shift?: number; latestOnly?: boolean; perPosition?: boolean }): number[] {
  const A = pattern.toArray() as number[][][];
  const shift = slip.shift ?? 1;
  return A.map((rows) => {
    let hit = 0;
    let total = 0;
    rows.forEach((row, i) => {
      const copies = tokens.slice(0, i).flatMap((tok, j) => (tok === tokens[i] ? [j] : []));
      const keys = (slip.latestOnly ? copies.slice(-1) : copies).map((j) => j + shift).filter((j) => j <= i);
      row.forEach((a, j) => {
        total += a;
        if (keys.includes(j)) hit += a;
      });
    });
    const denom = slip.perPosition ? rows.length : total;
    return denom === 0 ? 0 : hit / denom;
  });
}

function patchHead(model: HookedTransformer, clean: number[], corrupted: number[], layer: number, head: number, metric: (t: Tensor) => number, slip: { allHeads?: boolean; lastOnly?: boolean }): number {
  const name = getActName("z", layer);
  const { cache } = model.runWithCache([clean], { namesFilter: [name] });
  const cleanZ = cache.get(name);
  const logits = model.runWithHooks([corrupted], {
    fwdHooks: [
      [
        name,
        (z: Tensor) => {
          const [, p, h] = z.shape;
          const mask = ones([1, p, h, 1], { dtype: "bool" }).mul(tensor(Array.from({ length: h }, (_, i) => (slip.allHeads || i === head ? 1 : 0))).reshape(1, 1, h, 1)).mul(tensor(Array.from({ length: p }, (_, i) => (!slip.lastOnly || i === p - 1 ? 1 : 0))).reshape(1, p, 1, 1)).gt(0);
          return cleanZ.where(mask, z);
        },
      ],
    ],
  });
  return metric(logits);
}

type SaeW = { W_enc: Tensor; b_enc: Tensor; W_dec: Tensor; b_dec: Tensor };
function saeLoss(x: Tensor, w: SaeW, l1: number, slip: { noCentering?: boolean; plainL1?: boolean; meanOverDin?: boolean }) {
  const featureActs = (slip.noCentering ? x : x.sub(w.b_dec)).matmul(w.W_enc).add(w.b_enc).relu();
  const reconstruction = featureActs.matmul(w.W_dec).add(w.b_dec);
  const err = x.sub(reconstruction).square();
  const mse = slip.meanOverDin ? err.mean() : err.sum(-1).mean();
  const norms = w.W_dec.square().sum(-1).sqrt();
  const sparsity = (slip.plainL1 ? featureActs : featureActs.mul(norms)).sum(-1).mean().mul(l1);
  return { featureActs, reconstruction, loss: mse.add(sparsity) };
}
