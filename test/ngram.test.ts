// n-gram language models and the Markov-chain analyses of their transition matrix: counts and
// smoothed probabilities against hand computations, perplexity on tinyshakespeare, stationary
// distributions three ways, sparse SVD against an independent dense eigen-solver, gradient
// descent recovering the counts, save/load, and the `dgpt ngram` commands.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { Command } from "commander";
import { registerNgramCommands } from "../src/cli/ngram.js";
import { CsrMatrix } from "../src/linalg/sparse.js";
import { numericalRank, randomizedSvd, denseSvd } from "../src/linalg/svd.js";
import { bigramPerplexity, compareWithCounts, trainMarkovNet } from "../src/models/markov-gd.js";
import { markovChain, sparsityStats, stationaryDistribution, transitionSpectrum } from "../src/models/markov.js";
import { NgramModel, type Smoothing } from "../src/models/ngram.js";
import { ngramFromJSON, ngramToJSON } from "../src/models/ngram-json.js";
import { loadNgram, saveNgram } from "../src/models/ngram.node.js";
import { Generator } from "../src/tensor/random.js";
import { CharTokenizer, gpt2Tokenizer } from "../src/tokenizers/index.js";

const close = (a: number, b: number, tol: number, what = "") => assert.ok(Math.abs(a - b) <= tol, `${what} ${a} vs ${b} (tol ${tol})`);
const dir = mkdtempSync(join(tmpdir(), "dgpt-ngram-"));
after(() => rmSync(dir, { recursive: true, force: true }));

// ---------------------------------------------------------------------------- counts and smoothing

// ids 0 1 0 2 0 1 (V = 3). Unigrams: 0×3, 1×2, 2×1. Bigrams: (0,1)×2, (1,0), (0,2), (2,0).
const tiny = [0, 1, 0, 2, 0, 1];

test("counts on a tiny corpus", () => {
  const m = new NgramModel({ n: 2, vocabSize: 3 }).add(tiny);
  assert.equal(m.count([0], 1), 2);
  assert.equal(m.count([0], 2), 1);
  assert.equal(m.count([0], 0), 0);
  assert.equal(m.count([5, 1], 0), 1, "only the last n − 1 = 1 context tokens count");
  assert.equal(m.count([], 0), 3);
  assert.equal(m.row([0])!.total, 3);
  assert.deepEqual(m.tables.map((t) => t.types), [3, 4]);
});

test("add-k, absolute discounting and Kneser–Ney match hand-computed probabilities", () => {
  const m = new NgramModel({ n: 2, vocabSize: 3, smoothing: { kind: "addk", k: 1 } }).add(tiny);
  close(m.prob([0], 1), (2 + 1) / (3 + 3), 1e-15, "add-1 P(1|0)");
  close(m.prob([0], 0), 1 / 6, 1e-15, "add-1 P(0|0)");
  close(m.prob([1], 0), (1 + 1) / (1 + 3), 1e-15, "add-1 P(0|1)");
  m.smoothing = { kind: "addk", k: 0 };
  close(m.prob([0], 1), 2 / 3, 1e-15, "MLE P(1|0)");

  // absolute discounting, D = 1/2: P₁(w) = (c(w) − ½)/6 + ½·3/6·⅓ → P₁ = (1/2, 1/3, 1/6)
  // P(1|0) = (2 − ½)/3 + ½·2/3 · P₁(1) = 1/2 + 1/9
  m.smoothing = { kind: "absolute", discount: 0.5 };
  close(m.prob([0], 1), 1 / 2 + 1 / 9, 1e-15, "absolute P(1|0)");
  close(m.prob([], 2), 1 / 6, 1e-15, "absolute P₁(2)");

  // Kneser–Ney, D = 1/2: continuation counts N₁₊(•0) = 2 (after 1 and 2), N₁₊(•1) = N₁₊(•2) = 1;
  // P_cont(w) = (N − ½)/4 + ½·3/4·⅓ → (1/2, 1/4, 1/4); P(1|0) = 1/2 + ½·2/3 · 1/4 = 7/12
  m.smoothing = { kind: "kneser-ney", discount: 0.5 };
  close(m.prob([0], 1), 7 / 12, 1e-15, "KN P(1|0)");
  close(m.prob([0], 0), 0 + (1 / 3) * (1 / 2), 1e-15, "KN P(0|0)");
  // at the start of a text the (empty) context is the top level: raw counts, not continuations
  close(m.prob([], 2), 1 / 6, 1e-15, "KN P(2) at the start");
  const e = m.evaluate([0, 1]);
  close(e.nll, -(Math.log(0.5) + Math.log(7 / 12)) / 2, 1e-15, "nll");
  close(e.perplexity, Math.exp(e.nll), 1e-12);
});

test("discounts are estimated as n₁ / (n₁ + 2 n₂)", () => {
  // bigram counts: (0,1)×2 and three singletons → n₁ = 3, n₂ = 1, D = 3/5
  const m = new NgramModel({ n: 2, vocabSize: 3, smoothing: { kind: "absolute" } }).add(tiny);
  close(m.discounts().raw[1], 3 / 5, 1e-15);
});

const smoothings: Smoothing[] = [{ kind: "addk", k: 1 }, { kind: "addk", k: 0.01 }, { kind: "absolute" }, { kind: "kneser-ney" }, { kind: "kneser-ney", discount: 0.9 }];

test("every smoothing gives normalised distributions (seen, unseen and empty contexts), and prob agrees", () => {
  const gen = new Generator(3);
  const ids = Array.from({ length: 400 }, () => Math.floor(gen.random() ** 2 * 20)); // skewed, V = 25: some ids never occur
  for (const n of [1, 2, 3, 4]) {
    const m = new NgramModel({ n, vocabSize: 25 }).add(ids);
    for (const s of smoothings) {
      m.smoothing = s;
      for (const ctx of [[], [0], [0, 1], [3, 0, 1], [24, 24, 24], ids.slice(10, 13)]) {
        const p = m.distribution(ctx);
        const total = p.reduce((a, b) => a + b, 0);
        close(total, 1, 1e-12, `n=${n} ${s.kind} ctx ${ctx} sums to`);
        for (const w of [0, 7, 24]) close(m.prob(ctx, w), p[w], 1e-15, `n=${n} ${s.kind} prob vs distribution`);
        if (s.kind !== "addk" || s.k > 0) assert.ok(p.every((x) => x > 0), "smoothed probabilities are positive");
      }
    }
  }
});

test("backoff: unseen contexts fall back to shorter ones; Kneser–Ney prefers versatile continuations", () => {
  // token 5 ("Francisco") is frequent but only ever after 4 ("San"); token 6 is rarer but follows
  // many different tokens
  const ids: number[] = [];
  for (let r = 0; r < 30; r++) ids.push(4, 5, r % 4);
  for (let r = 0; r < 4; r++) ids.push(r, 6);
  const kn = new NgramModel({ n: 2, vocabSize: 10, smoothing: { kind: "kneser-ney" } }).add(ids);
  const abs = new NgramModel({ n: 2, vocabSize: 10, smoothing: { kind: "absolute" } }).add(ids);
  // 9 never occurs, so context [9] is unseen: the next-shorter level decides
  assert.ok(abs.prob([9], 5) > abs.prob([9], 6), "raw counts: 5 is the more frequent token");
  assert.ok(kn.prob([9], 6) > kn.prob([9], 5), "continuation counts: 6 follows more distinct tokens");
  // a seen context keeps most of its mass on what was seen
  assert.ok(kn.prob([4], 5) > 0.9);
  // a trigram model on a context seen only as a shorter one backs off to the bigram
  const tri = new NgramModel({ n: 3, vocabSize: 10, smoothing: { kind: "absolute" } }).add(ids);
  tri.distribution([9, 4]).forEach((p, w) => close(p, tri.prob([4], w), 1e-15, `P(${w} | 9 4) = P(${w} | 4)`));
});

test("sampling: seeded, greedy at temperature 0, top-k respected, frequencies follow the distribution", () => {
  const m = new NgramModel({ n: 2, vocabSize: 3, smoothing: { kind: "addk", k: 0.5 } }).add(tiny);
  const a = m.sample({ length: 50, generator: new Generator(7) });
  assert.deepEqual(m.sample({ length: 50, generator: new Generator(7) }), a);
  assert.notDeepEqual(m.sample({ length: 50, generator: new Generator(8) }), a);
  // greedy from 0: argmax P(·|0) = 1, argmax P(·|1) = 0, …
  assert.deepEqual(m.sample({ length: 4, prompt: [0], generator: new Generator(0), temperature: 0 }), [1, 0, 1, 0]);
  assert.deepEqual(m.sample({ length: 4, prompt: [0], generator: new Generator(1), topK: 1 }), [1, 0, 1, 0]);
  const top2 = m.sample({ length: 300, prompt: [0], generator: new Generator(2), topK: 2 });
  assert.ok(top2.every((w, i) => (i > 0 && top2[i - 1] !== 0) || w !== 0), "after 0, the least likely token (0) is never drawn");
  // empirical frequencies of P(·|0) = (1/6+…): add-½ gives (0.5, 2.5, 1.5)/4.5
  const gen = new Generator(11);
  const freq = [0, 0, 0];
  for (let i = 0; i < 20000; i++) freq[m.sample({ length: 1, prompt: [0], generator: gen })[0]]++;
  [0.5, 2.5, 1.5].forEach((c, w) => close(freq[w] / 20000, c / 4.5, 0.015, `frequency of ${w}`));
  assert.throws(() => m.sample({ length: 1, generator: gen, temperature: -1 }), /temperature/);
  assert.throws(() => m.add([0, 3]), /token 1 is 3/);
  assert.throws(() => m.prob([7], 0), /7 is not a token id in \[0, 3\)/);
});

// ---------------------------------------------------------------------------- tinyshakespeare

const text = readFileSync(new URL("../../shared/data/tinyshakespeare.txt", import.meta.url), "utf8");
const tok = CharTokenizer.fromText(text); // nanoGPT's 65 characters
const allIds = tok.encode(text);
const split = Math.floor(allIds.length * 0.9);
const train = allIds.slice(0, split);
const val = allIds.slice(split);
const bigram = new NgramModel({ n: 2, vocabSize: tok.vocabSize, smoothing: { kind: "addk", k: 1 } }).add(train);

test("char bigram perplexity on tinyshakespeare val is ~8–12, trigrams lower, and matches a dense recount", () => {
  assert.equal(tok.vocabSize, 65);
  const ppl2 = bigram.perplexity(val);
  assert.ok(ppl2 > 8 && ppl2 < 12.5, `bigram perplexity ${ppl2}`); // measured 11.96 (add-1), 11.99 (KN)
  // an independent recount: a dense 65 × 65 table, add-1 rows, the first token by add-1 unigram
  const V = tok.vocabSize;
  const c = new Float64Array(V * V);
  const uni = new Float64Array(V);
  for (let t = 0; t < train.length; t++) {
    uni[train[t]]++;
    if (t > 0) c[train[t - 1] * V + train[t]]++;
  }
  let nll = -Math.log((uni[val[0]] + 1) / (train.length + V));
  for (let t = 1; t < val.length; t++) {
    let row = 0;
    for (let j = 0; j < V; j++) row += c[val[t - 1] * V + j];
    nll -= Math.log((c[val[t - 1] * V + val[t]] + 1) / (row + V));
  }
  close(ppl2, Math.exp(nll / val.length), 1e-9, "dense recount");
  for (const s of [{ kind: "addk", k: 0.1 }, { kind: "kneser-ney" }] as const) {
    const m2 = new NgramModel({ n: 2, vocabSize: V, smoothing: s }).add(train);
    const m3 = new NgramModel({ n: 3, vocabSize: V, smoothing: s }).add(train);
    const [p2, p3] = [m2.perplexity(val), m3.perplexity(val)];
    assert.ok(p2 > 8 && p2 < 12.5, `${s.kind} bigram ${p2}`);
    assert.ok(p3 < p2 - 2, `${s.kind}: trigram ${p3} should beat bigram ${p2}`); // measured ~7.8 vs ~12
  }
});

// ---------------------------------------------------------------------------- Markov chain

test("stationary distribution: power iteration = eigenvector of Pᵀ (Arnoldi) = direct solve, and πP = π", () => {
  const chain = markovChain(bigram);
  assert.equal(chain.states.length, 65);
  const rows = chain.P.rowSums();
  rows.forEach((s) => close(s, 1, 1e-12, "row sum"));
  const power = stationaryDistribution(chain.P, { method: "power" });
  const arnoldi = stationaryDistribution(chain.P, { method: "arnoldi" });
  const direct = stationaryDistribution(chain.P, { method: "solve" });
  for (const r of [power, arnoldi, direct]) {
    assert.ok(r.converged && r.residual < 1e-10, `${r.method}: residual ${r.residual}`);
    close(r.pi.reduce((a, b) => a + b, 0), 1, 1e-12);
  }
  for (let s = 0; s < 65; s++) {
    close(power.pi[s], direct.pi[s], 1e-10, "power vs solve");
    close(arnoldi.pi[s], direct.pi[s], 1e-12, "arnoldi vs solve");
  }
  // πP = π checked entry by entry with the dense matrix
  const P = chain.P.toDense();
  for (let j = 0; j < 65; j++) {
    let pj = 0;
    for (let i = 0; i < 65; i++) pj += direct.pi[i] * P[i][j];
    close(pj, direct.pi[j], 1e-13, `(πP)_${j}`);
  }
  assert.ok(arnoldi.matvecs < power.matvecs, `Arnoldi used ${arnoldi.matvecs} mat-vecs, power iteration ${power.matvecs}`);
});

test("a text that ends where it starts: the stationary distribution is the bigram row frequencies", () => {
  // a closed walk enters and leaves every token equally often, so row sums = column sums of the
  // counts and π_i ∝ (number of bigrams starting with i) solves πP = π
  const ids = [...train.slice(0, 20000), train[0]];
  const chain = markovChain(new NgramModel({ n: 2, vocabSize: 65 }).add(ids));
  assert.deepEqual(chain.dangling, []);
  const r = chain.counts.rowSums();
  const total = r.reduce((a, b) => a + b, 0);
  for (const method of ["power", "arnoldi"] as const) {
    const { pi } = stationaryDistribution(chain.P, { method, lazy: true });
    r.forEach((ri, s) => close(pi[s], ri / total, 1e-10, `${method} π_${s}`));
  }
});

test("dangling tokens restart from the unigram distribution; sparsity statistics", () => {
  // 0 1 2 0 1 3: token 3 is never followed; V = 6, so tokens 4 and 5 are never seen
  const m = new NgramModel({ n: 2, vocabSize: 6 }).add([0, 1, 2, 0, 1, 3]);
  const chain = markovChain(m);
  assert.deepEqual(Array.from(chain.states), [0, 1, 2, 3]);
  assert.deepEqual(chain.dangling, [3]);
  assert.deepEqual(Array.from(chain.P.toDense()[3]), [2 / 6, 2 / 6, 1 / 6, 1 / 6]);
  const s = sparsityStats(chain);
  assert.equal(s.nnz, 4); // (0,1) (1,2) (2,0) (1,3)
  close(s.density, 4 / 36, 1e-15);
  close(s.zeroRowFraction, 3 / 6, 1e-15, "tokens 3, 4, 5 have no successors");
  close(s.singletonFraction, 3 / 4, 1e-15);
  assert.deepEqual([s.support.min, s.support.max], [1, 2]);
  assert.deepEqual(Array.from(s.entropy.rows), [0, 1, 0]); // row 1 splits evenly between 2 and 3
  // entropy rate: Σ πᵢ H(Pᵢ) over rows with successors, π = unigram (2, 2, 1)/5 renormalised
  close(s.entropyRate, 2 / 5, 1e-12);

  const big = sparsityStats(markovChain(bigram));
  assert.ok(big.nnz > 1000 && big.nnz < 65 * 65 && big.zeroRowFraction === 0, JSON.stringify({ nnz: big.nnz }));
  // the entropy rate is the maximum-likelihood bigram's cross-entropy on its own training text
  const mle = new NgramModel({ n: 2, vocabSize: 65, smoothing: { kind: "addk", k: 0 } }).add(train);
  close(big.entropyRate, Math.log2(bigramPerplexity((a, b) => mle.logProb([a], b), train)), 1e-5);
});

// ---------------------------------------------------------------------------- SVD

/** Eigenvalues of a symmetric matrix by the classical two-sided Jacobi method: the test's own
 *  reference, a different algorithm from the library's one-sided Jacobi and randomized SVD. */
function symmetricEigenvalues(a: number[][]): number[] {
  const n = a.length;
  const m = a.map((r) => [...r]);
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += m[p][q] ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        if (Math.abs(m[p][q]) < 1e-300) continue;
        const theta = (m[q][q] - m[p][p]) / (2 * m[p][q]);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const [mkp, mkq] = [m[k][p], m[k][q]];
          m[k][p] = c * mkp - s * mkq;
          m[k][q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < n; k++) {
          const [mpk, mqk] = [m[p][k], m[q][k]];
          m[p][k] = c * mpk - s * mqk;
          m[q][k] = s * mpk + c * mqk;
        }
      }
    }
  }
  return m.map((r, i) => r[i]).sort((x, y) => y - x);
}

function randomSparse(rows: number, cols: number, density: number, seed: number): number[][] {
  const g = new Generator(seed);
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => (g.random() < density ? g.randint(1, 10) : 0)));
}

test("sparse top-k SVD equals a dense SVD (eigenvalues of AᵀA) on small matrices", () => {
  const a = randomSparse(40, 30, 0.2, 5);
  const ata = Array.from({ length: 30 }, (_, i) => Array.from({ length: 30 }, (_, j) => a.reduce((s, r) => s + r[i] * r[j], 0)));
  const sigma = symmetricEigenvalues(ata).map((l) => Math.sqrt(Math.max(l, 0)));
  const A = CsrMatrix.fromDense(a);
  // with k + oversample ≥ min(m, n) the random block spans everything: exact up to round-off
  const exact = randomizedSvd(A, 6, { oversample: 24 });
  for (let i = 0; i < 6; i++) close(exact.s[i], sigma[i], 1e-10 * sigma[0], `σ_${i}`);
  // default settings: a real low-dimensional sketch, still accurate for the top values
  const sketch = randomizedSvd(A, 4, { seed: 3 });
  for (let i = 0; i < 4; i++) close(sketch.s[i], sigma[i], 1e-4 * sigma[i], `sketched σ_${i}`);
  // singular vectors: A vᵢ = σᵢ uᵢ
  const y = new Float64Array(40);
  for (let i = 0; i < 6; i++) {
    A.apply(exact.v[i], y);
    y.forEach((yi, r) => close(yi, exact.s[i] * exact.u[i][r], 1e-9 * sigma[0], `A v_${i}`));
  }
  // the dense route gives all of them, matching too
  const dense = denseSvd(A);
  sigma.forEach((s, i) => close(dense.s[i], s, 1e-9 * sigma[0], `dense σ_${i}`));
});

test("numerical rank: a sum of three outer products has rank 3", () => {
  const g = new Generator(1);
  const vecs = (len: number) => Array.from({ length: 3 }, () => Array.from({ length: len }, () => (g.random() < 0.5 ? g.randint(1, 5) : 0)));
  const [us, vs] = [vecs(25), vecs(20)];
  const a = Array.from({ length: 25 }, (_, i) => Array.from({ length: 20 }, (_, j) => us.reduce((s, u, r) => s + u[i] * vs[r][j], 0)));
  const svd = denseSvd(CsrMatrix.fromDense(a));
  assert.equal(numericalRank(svd.s, 25, 20, true).rank, 3);
  const spec = transitionSpectrum(CsrMatrix.fromDense(a));
  assert.equal(spec.method, "dense");
  assert.equal(spec.rank.rank, 3);
  const top = transitionSpectrum(CsrMatrix.fromDense(a), { denseLimit: 5, k: 2 });
  assert.deepEqual([top.method, top.rank.rank, top.rank.lowerBound], ["randomized", 2, true]);
});

test("GPT-2 tokens: the 50257 × 50257 bigram matrix stays sparse; π and top singular values", () => {
  const gpt2 = gpt2Tokenizer();
  const ids = gpt2.encode(text.slice(0, 300_000));
  const chain = markovChain(new NgramModel({ n: 2, vocabSize: gpt2.vocabSize }).add(ids));
  assert.equal(chain.vocabSize, 50257);
  const stats = sparsityStats(chain);
  assert.ok(stats.nnz < 100_000 && stats.density < 1e-4 && stats.zeroRowFraction > 0.8, JSON.stringify({ nnz: stats.nnz, zero: stats.zeroRowFraction }));
  assert.throws(() => chain.P.toDense(), /keep it sparse/);
  const power = stationaryDistribution(chain.P, { method: "power", lazy: true });
  const arnoldi = stationaryDistribution(chain.P, { method: "arnoldi" });
  assert.ok(power.residual < 1e-10 && arnoldi.residual < 1e-10, `${power.residual} ${arnoldi.residual}`);
  power.pi.forEach((p, s) => close(p, arnoldi.pi[s], 1e-10, `π_${s}`));
  // P 1 = 1, so ‖P‖₂ = σ₁ ≥ 1; more power iterations must not change converged top values
  const a = randomizedSvd(chain.P, 5, { powerIterations: 4 });
  const b = randomizedSvd(chain.P, 5, { powerIterations: 8, oversample: 20, seed: 9 });
  assert.ok(a.s[0] >= 1, `σ₁ = ${a.s[0]}`);
  for (let i = 0; i < 5; i++) close(a.s[i], b.s[i], 1e-4 * b.s[i], `σ_${i}`); // measured: ≤ 1.2e-5
});

// ---------------------------------------------------------------------------- gradient descent

test("the Markov chain trained by gradient descent approaches the counts", () => {
  const V = tok.vocabSize;
  const ids = train; // full-batch training costs O(V²) per step whatever the corpus size
  const counted = bigram; // add-1
  const chain = markovChain(counted);
  const { net, losses } = trainMarkovNet(ids, { vocabSize: V, steps: 150, lr: 0.5 });
  const lp = net.logProbs();
  const cmp = compareWithCounts(lp, chain);
  // training loss = entropy rate of the counts + the weighted KL: both sides agree
  const h = sparsityStats(chain).entropyRate * Math.LN2;
  assert.ok(losses[0] > losses.at(-1)! + 1, `loss ${losses[0]} → ${losses.at(-1)}`);
  close(losses.at(-1)! - h, cmp.kl, 5e-4, "loss − H = KL");
  assert.ok(cmp.kl < 2e-3, `π-weighted KL(counts ‖ net) = ${cmp.kl}`);
  const pplNet = bigramPerplexity((a, b) => lp[a * V + b], val);
  const pplCounts = bigramPerplexity((a, b) => counted.logProb([a], b), val);
  close(pplNet, pplCounts, 0.02 * pplCounts, "held-out perplexity");
  // minibatch SGD and a rank-8 factorisation also learn (a few steps only)
  const mini = trainMarkovNet(ids, { vocabSize: V, steps: 15, lr: 0.1, batchSize: 256, rank: 8 });
  assert.ok(mini.losses.at(-1)! < mini.losses[0] - 0.3, `minibatch loss ${mini.losses[0]} → ${mini.losses.at(-1)}`);
});

// ---------------------------------------------------------------------------- files and CLI

test("save and load round-trip; bad model files are rejected with the reason", async () => {
  const m = new NgramModel({ n: 3, vocabSize: 65, smoothing: { kind: "kneser-ney" } }).add(train.slice(0, 5000)).add(train.slice(5000, 6000));
  const path = join(dir, "m.json");
  await saveNgram(path, m, { tokenizer: "test" });
  const { model, meta } = await loadNgram(path);
  assert.deepEqual(meta, { tokenizer: "test" });
  assert.deepEqual([model.n, model.vocabSize, model.tokens, model.sequences], [3, 65, 6000, 2]);
  for (const ctx of [[], [1], [10, 20], train.slice(100, 102)]) assert.deepEqual(model.distribution(ctx), m.distribution(ctx));
  const good = ngramToJSON(m);
  const bad: [unknown, RegExp][] = [
    [{ ...good, format: "x" }, /"format"/],
    [{ ...good, n: 0 }, /"n" must be/],
    [{ ...good, smoothing: { kind: "magic" } }, /unknown smoothing/],
    [{ ...good, counts: [[70, 1], [], []] }, /counts\[0\]\[0\] is 70/],
    [{ ...good, counts: [[1, 0], [], []] }, /not a positive integer count/],
    [{ ...good, counts: [[1, 2, 1, 3], [], []] }, /twice/],
    [{ ...good, counts: [[1, 2, 3], [], []] }, /groups of 2/],
    [[1, 2], /JSON object/],
  ];
  for (const [json, re] of bad) assert.throws(() => ngramFromJSON(json, "bad.json"), (e: Error) => re.test(e.message) && e.message.startsWith("bad.json"));
  writeFileSync(join(dir, "broken.json"), "{ not json");
  await assert.rejects(loadNgram(join(dir, "broken.json")), /not valid JSON/);
});

async function dgpt(...argv: string[]): Promise<string> {
  const program = new Command("dgpt").exitOverride().configureOutput({ writeErr: () => {} });
  registerNgramCommands(program);
  const orig = console.log;
  let out = "";
  console.log = (...a: unknown[]) => {
    out += a.join(" ") + "\n";
  };
  try {
    await program.parseAsync(argv, { from: "user" });
  } finally {
    console.log = orig;
  }
  return out;
}

test("dgpt ngram train, sample, eval, analyze", async () => {
  const input = join(dir, "in.txt");
  writeFileSync(input, text.slice(0, 60_000));
  const model = join(dir, "char3.json");
  const trained = await dgpt("ngram", "train", "--data", input, "--n", "3", "--out", model);
  assert.match(trained, /3-gram model, char tokenizer/);
  const ppl = Number(/perplexity ([\d.]+)/.exec(trained)![1]);
  assert.ok(ppl > 3 && ppl < 20, trained);
  const s1 = await dgpt("ngram", "sample", "--model", model, "--max-tokens", "80", "--seed", "4", "--prompt", "ROMEO:");
  assert.equal(await dgpt("ngram", "sample", "--model", model, "--max-tokens", "80", "--seed", "4", "--prompt", "ROMEO:"), s1);
  assert.ok(s1.startsWith("ROMEO:") && s1.length > 80, s1);
  const evaluated = await dgpt("ngram", "eval", "--model", model, "--data", input, "--smoothing", "addk", "--k", "0.5");
  assert.match(evaluated, /3-gram \(add-0.5\).*perplexity [\d.]+/);
  const html = join(dir, "analysis.html");
  const analyzed = await dgpt("ngram", "analyze", "--model", model, "--out", html);
  assert.match(analyzed, /numerical rank \d+/);
  const page = readFileSync(html, "utf8");
  assert.ok(page.startsWith("<!DOCTYPE html>") && (page.match(/<svg/g) ?? []).length >= 4);
  await assert.rejects(dgpt("ngram", "train", "--data", input, "--n", "0"), /--n: expected an integer ≥ 1/);
  await assert.rejects(dgpt("ngram", "train", "--data", input, "--smoothing", "good-turing"), /--smoothing/);
  await assert.rejects(dgpt("ngram", "train", "--data", join(dir, "missing.txt")), /no such file/);
  await assert.rejects(dgpt("ngram", "sample", "--model", input), /not valid JSON/);
});
