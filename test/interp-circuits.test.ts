// Weight-space interpretability: FactoredMatrix against dense products, the general eigenvalue
// solver against trace identities and known spectra, copying and composition scores on
// hand-built weights, SVD read-outs through the vocabulary, and embedding PCA / Fourier analysis
// against independent computations.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { HookedTransformer, noGrad, tensor } from "../src/node.js";
import { sinusoidalTable } from "../src/models/gpt/positional.js";
import { svdJacobi } from "../src/linalg/dense.js";
import { FactoredMatrix, copyingScoreOf, eigenvalues, frobenius64, matmul64, matrix64, positiveEigenvalueFraction, transpose64, type Matrix64 } from "../src/interp/factored.js";
import { compositionBaseline, compositionScore, compositionScores, copyingScore, copyingScores, fullOvCircuit, headWeights, fullQkCircuit, ovCircuit, qkCircuit, svdMlpIn, svdMlpOut, svdOV, svdReadout } from "../src/interp/circuits.js";
import { cosineSimilarity, embeddingPca, pca, positionalFourier } from "../src/interp/embeddings.js";

let seed = 12345;
const rnd = () => {
  seed = (seed * 16807) % 2147483647;
  return seed / 2147483647 - 0.5;
};
const randMat = (r: number, c: number) => matrix64(r, c, Array.from({ length: r * c }, rnd));
const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

/** Σ λ^k from (re, im) pairs via polar form. */
function powerSum(e: { re: Float64Array; im: Float64Array }, k: number): number {
  let s = 0;
  for (let i = 0; i < e.re.length; i++) s += Math.hypot(e.re[i], e.im[i]) ** k * Math.cos(k * Math.atan2(e.im[i], e.re[i]));
  return s;
}
function trace(m: Matrix64): number {
  let s = 0;
  for (let i = 0; i < m.rows; i++) s += m.data[i * m.cols + i];
  return s;
}

describe("eigenvalues of general real matrices", () => {
  test("Σ λ^k = tr(A^k) for k = 1..n (Newton's identities fix the spectrum)", () => {
    for (const n of [1, 2, 3, 6, 12, 30]) {
      const a = randMat(n, n);
      const e = eigenvalues(a);
      let P = a;
      for (let k = 1; k <= Math.min(n, 8); k++) {
        close(powerSum(e, k), trace(P), 1e-9, `n=${n} k=${k}`);
        P = matmul64(P, a);
      }
    }
  });
  test("known spectra: rotation ±i, triangular diagonal, companion matrix roots, defective block", () => {
    const rot = eigenvalues([[0, -1], [1, 0]]);
    assert.deepEqual([...rot.re].map((v) => Math.round(v * 1e12) / 1e12), [0, 0]);
    assert.deepEqual([...rot.im].map((v) => Math.abs(Math.round(v * 1e12) / 1e12)), [1, 1]);
    const tri = eigenvalues([[3, 1, 4], [0, -2, 7], [0, 0, 0.5]]);
    assert.deepEqual([...tri.re].map((v) => Math.round(v * 1e10) / 1e10), [3, -2, 0.5]);
    // x³ − 6x² + 11x − 6 = (x − 1)(x − 2)(x − 3)
    const comp = eigenvalues([[6, -11, 6], [1, 0, 0], [0, 1, 0]]);
    assert.deepEqual([...comp.re].map((v) => Math.round(v * 1e8) / 1e8), [3, 2, 1]);
    const jordan = eigenvalues([[2, 1], [0, 2]]);
    assert.deepEqual([...jordan.re], [2, 2]);
  });
  test("bad input is rejected", () => {
    assert.throws(() => eigenvalues([[1, 2, 3]]), /square/);
    assert.throws(() => eigenvalues([[NaN]]), /NaN/);
  });
});

describe("FactoredMatrix", () => {
  const A = randMat(40, 5);
  const B = randMat(5, 40);
  const fm = new FactoredMatrix(A, B);
  const dense = matmul64(A, B);
  test("AB, T, matmul and rmatmul equal the dense products", () => {
    assert.deepEqual(fm.shape, [40, 40]);
    assert.equal(fm.mdim, 5);
    const M = randMat(40, 3);
    const right = fm.matmul(M).AB;
    const expect = matmul64(dense, M);
    right.data.forEach((v, i) => close(v, expect.data[i], 1e-12, "matmul"));
    const left = fm.rmatmul(transpose64(M)).AB;
    const expectL = matmul64(transpose64(M), dense);
    left.data.forEach((v, i) => close(v, expectL.data[i], 1e-12, "rmatmul"));
    fm.T.AB.data.forEach((v, i) => close(v, transpose64(dense).data[i], 1e-12, "T"));
    const other = new FactoredMatrix(randMat(40, 3), randMat(3, 40));
    const both = fm.matmul(other);
    assert.equal(both.mdim, 3);
    const expectB = matmul64(dense, other.AB);
    both.AB.data.forEach((v, i) => close(v, expectB.data[i], 1e-12, "factored matmul"));
    assert.deepEqual(fm.getCorner(2), [[dense.data[0], dense.data[1]], [dense.data[40], dense.data[41]]]);
    fm.diagonal().forEach((v, i) => close(v, dense.data[i * 40 + i], 1e-12, "diagonal"));
  });
  test("norm through Gram matrices = dense Frobenius norm", () => {
    close(fm.norm(), frobenius64(dense), 1e-12, "norm");
  });
  test("SVD through the inner dimension = dense Jacobi SVD, and reconstructs AB", () => {
    const { U, S, V } = fm.svd();
    const ref = svdJacobi(dense.data, 40, 40).s;
    assert.equal(S.length, 5);
    S.forEach((s, i) => close(s, ref[i], 1e-10, `σ${i}`));
    for (let i = 5; i < 40; i++) assert.ok(ref[i] < 1e-10, "rank 5");
    const rec = matmul64(matmul64(U, matrix64(5, 5, Array.from({ length: 25 }, (_, k) => (k % 6 === 0 ? S[k / 6] : 0)))), transpose64(V));
    rec.data.forEach((v, i) => close(v, dense.data[i], 1e-10, "U S Vᵀ"));
    const utu = matmul64(transpose64(U), U);
    utu.data.forEach((v, i) => close(v, i % 6 === 0 ? 1 : 0, 1e-10, "UᵀU = I"));
  });
  test("eigenvalues of the small BA = the nonzero eigenvalues of the dense AB", () => {
    const small = fm.eigenvalues();
    const big = eigenvalues(dense);
    assert.equal(small.re.length, 5);
    for (let i = 0; i < 5; i++) {
      close(small.re[i], big.re[i], 1e-8, `Re λ${i}`);
      close(Math.abs(small.im[i]), Math.abs(big.im[i]), 1e-8, `|Im λ${i}|`);
    }
    for (let i = 5; i < 40; i++) assert.ok(Math.hypot(big.re[i], big.im[i]) < 1e-8, "the rest are 0");
  });
  test("shape errors", () => {
    assert.throws(() => new FactoredMatrix(randMat(3, 2), randMat(3, 2)), /columns must equal/);
    assert.throws(() => new FactoredMatrix(randMat(3, 2), randMat(2, 4)).BA, /square/);
  });
});

describe("copying scores", () => {
  test("Re Σλ / Σ|λ|: +1 for positive spectra, −1 negative, 0 for a rotation", () => {
    assert.equal(copyingScoreOf(eigenvalues([[2, 0], [0, 3]])), 1);
    assert.equal(copyingScoreOf(eigenvalues([[-2, 0], [0, -1]])), -1);
    assert.ok(Math.abs(copyingScoreOf(eigenvalues([[0, -1], [1, 0]]))) < 1e-12);
    assert.equal(positiveEigenvalueFraction(eigenvalues([[2, 0, 0], [0, -3, 0], [0, 0, 1]])), 2 / 3);
  });
});

/** A model whose weights we set by hand: no LayerNorm (so the circuits are exact), d = 8, d_head = 2. */
function handModel(): HookedTransformer {
  const m = new HookedTransformer({ n_layers: 2, d_model: 8, n_heads: 2, d_head: 2, d_vocab: 8, n_ctx: 6, attn_only: true, normalization_type: null, use_bias: false, seed: 1 });
  noGrad(() => {
    for (const b of m.blocks) for (const W of [b.attn.W_Q, b.attn.W_K, b.attn.W_V, b.attn.W_O]) W.zero_();
    m.embed.W_E.copy_(tensor(Array.from({ length: 8 }, (_, i) => Array.from({ length: 8 }, (_, j) => (i === j ? 1 : 0)))));
    m.unembed.W_U!.copy_(tensor(Array.from({ length: 8 }, (_, i) => Array.from({ length: 8 }, (_, j) => (i === j ? 1 : 0)))));
  });
  const set = (W: import("../src/node.js").Tensor, h: number, i: number, j: number, v: number) => {
    const d = W.dataSync();
    d[(h * W.shape[1] + i) * W.shape[2] + j] = v;
    noGrad(() => W.copy_(tensor(d, { shape: W.shape })));
  };
  const [a0, a1] = [m.blocks[0].attn, m.blocks[1].attn];
  // head (0, 0): OV = e0 e2ᵀ (reads e0, writes e2) — rank one
  set(a0.W_V, 0, 0, 0, 1);
  set(a0.W_O, 0, 0, 2, 1);
  // head (1, 1): keys read e2, queries read e4: W_QK = e4 e2ᵀ, so W_OV(0,0) · W_QKᵀ = e0 e4ᵀ
  set(a1.W_K, 1, 2, 0, 1);
  set(a1.W_Q, 1, 4, 0, 1);
  // head (1, 1) OV reads e6 writes e7 (no V-composition with e2); head (1, 0) copies e3 → e3 (+2), e5 → e5 (+1)
  set(a1.W_V, 1, 6, 0, 1);
  set(a1.W_O, 1, 0, 7, 1);
  set(a1.W_V, 0, 3, 0, 2);
  set(a1.W_O, 0, 0, 3, 1);
  set(a1.W_V, 0, 5, 1, 1);
  set(a1.W_O, 0, 1, 5, 1);
  return m;
}

describe("circuits on hand-built weights", () => {
  const m = handModel();
  test("K-composition of aligned rank-one circuits is 1; Q- and V-composition 0", () => {
    const K = compositionScores(m, "K");
    const Q = compositionScores(m, "Q");
    const V = compositionScores(m, "V");
    close(K[0][0][1][1], 1, 1e-12, "K (0,0)→(1,1)");
    assert.equal(Q[0][0][1][1], 0);
    assert.equal(V[0][0][1][1], 0);
    assert.equal(K[0][1][1][1], 0, "a zero head composes with nothing");
    assert.equal(K[1][1][0][0], 0, "later → earlier is masked");
  });
  test("compositionScore equals ‖L R‖ / (‖L‖ ‖R‖) computed densely, for random factors", () => {
    const L = new FactoredMatrix(randMat(16, 4), randMat(4, 16));
    const R = new FactoredMatrix(randMat(16, 4), randMat(4, 16));
    const dense = frobenius64(matmul64(L.AB, R.AB)) / (frobenius64(L.AB) * frobenius64(R.AB));
    close(compositionScore(L, R), dense, 1e-12, "score");
    const base = compositionBaseline(16, 4, { samples: 30 });
    assert.ok(base > 0.1 && base < 0.6, `baseline ${base}`);
  });
  test("QK and OV circuits equal the tensors' own products", () => {
    const qk = qkCircuit(m, 1, 1).AB;
    const expect = m.blocks[1].attn.W_QK(1).dataSync();
    qk.data.forEach((v, i) => close(v, expect[i], 1e-7, "W_QK"));
    const ov = ovCircuit(m, 0, 0).AB;
    const expectOv = m.blocks[0].attn.W_OV(0).dataSync();
    ov.data.forEach((v, i) => close(v, expectOv[i], 1e-7, "W_OV"));
    const full = fullOvCircuit(m, 1, 0).AB;
    const dense = m.embed.W_E.matmul(m.blocks[1].attn.W_OV(0)).matmul(m.unembed.weight).dataSync();
    full.data.forEach((v, i) => close(v, dense[i], 1e-6, "full OV"));
    assert.deepEqual(fullQkCircuit(m, 1, 1, { query: "pos", key: "pos" }).shape, [6, 6]);
  });
  test("copying score of the full OV circuit: +1 for a head that copies, 0 for one that moves e6 → e7", () => {
    close(copyingScore(m, 1, 0), 1, 1e-12, "copying head");
    assert.ok(Math.abs(copyingScore(m, 1, 1)) < 1e-12);
    const all = copyingScores(m);
    close(all.score[1][0], 1, 1e-12, "copyingScores");
    assert.equal(all.positiveFraction[1][0], 1);
  });
  test("SVD read-out names the tokens a head reads and writes", () => {
    const dirs = svdReadout(fullOvCircuit(m, 1, 0), { k: 2, topTokens: 1, vocab: ["a", "b", "c", "d", "e", "f", "g", "h"] });
    assert.equal(dirs.length, 2);
    close(dirs[0].singularValue, 2, 1e-10, "σ0");
    close(dirs[1].singularValue, 1, 1e-10, "σ1");
    const viaReaders = svdReadout(ovCircuit(m, 1, 0), { k: 2, topTokens: 1, inputReader: matrix64(8, 8, m.embed.W_E.dataSync()), outputReader: matrix64(8, 8, m.unembed.weight.dataSync()), vocab: "abcdefgh".split("") });
    assert.equal(viaReaders[0].inputTop![0].token, "d");
    assert.equal(viaReaders[0].outputTop![0].token, "d");
    assert.equal(viaReaders[1].outputTop![0].token, "f");
  });
});

describe("SVD read-outs of a model with MLPs", () => {
  test("W_in, W_out and W_OV: singular values match a dense SVD; tokens are listed per direction", () => {
    const m = new HookedTransformer({ n_layers: 1, d_model: 16, n_heads: 2, d_vocab: 12, n_ctx: 8, normalization_type: null, seed: 6, initializer_range: 0.3 });
    const out = svdMlpOut(m, 0, { k: 3, topTokens: 2 });
    const ref = svdJacobi(Float64Array.from(m.blocks[0].mlp!.W_out.dataSync()), 64, 16).s;
    out.forEach((d, i) => close(d.singularValue, ref[i], 1e-9, `W_out σ${i}`));
    assert.equal(out[0].outputTop!.length, 2);
    assert.ok(out[0].outputTop![0].value >= out[0].outputTop![1].value);
    const inn = svdMlpIn(m, 0, { k: 2 });
    assert.equal(inn[0].inputTop!.length, 8);
    const ov = svdOV(m, 0, 1, { k: 2 });
    const dense = svdJacobi(Float64Array.from(m.blocks[0].attn.W_OV(1).dataSync()), 16, 16).s;
    ov.forEach((d, i) => close(d.singularValue, dense[i], 1e-6, `W_OV σ${i}`));
    assert.throws(() => svdMlpIn(new HookedTransformer({ n_layers: 1, d_model: 8, n_heads: 2, d_vocab: 5, n_ctx: 4, attn_only: true }), 0), /no MLP/);
  });
});

describe("embeddings", () => {
  test("PCA: explained variances are the eigenvalues of the covariance matrix", () => {
    const N = 200;
    const X = matrix64(N, 3, Array.from({ length: N * 3 }, (_, i) => {
      const r = Math.floor(i / 3);
      const t = Math.sin(r * 1.3) * 5;
      return [t, 2 * t, 0][i % 3] + rnd() * 0.3 + [1, -2, 3][i % 3];
    }));
    const res = pca(X);
    // covariance computed directly
    const mean = [0, 1, 2].map((j) => Array.from({ length: N }, (_, r) => X.data[r * 3 + j]).reduce((a, b) => a + b) / N);
    const cov = matrix64(3, 3, Array.from({ length: 9 }, (_, k) => {
      const [a, b] = [Math.floor(k / 3), k % 3];
      let s = 0;
      for (let r = 0; r < N; r++) s += (X.data[r * 3 + a] - mean[a]) * (X.data[r * 3 + b] - mean[b]);
      return s / (N - 1);
    }));
    const ev = eigenvalues(cov).re;
    res.explainedVariance.forEach((v, i) => close(v, ev[i], 1e-9, `λ${i}`));
    assert.ok(res.explainedVarianceRatio[0] > 0.99);
    const c0 = [...res.components.data.subarray(0, 3)];
    close(Math.abs(c0[0] * 1 + c0[1] * 2) / Math.sqrt(5), 1, 1e-3, "first component ∥ (1, 2, 0)");
    close(res.cumulativeRatio[2], 1, 1e-12, "cumulative");
  });
  test("Fourier analysis finds the frequencies of a sinusoidal positional table", () => {
    const N = 32;
    const W = matrix64(N, 2, Array.from({ length: N * 2 }, (_, i) => {
      const p = Math.floor(i / 2);
      return i % 2 === 0 ? Math.cos((2 * Math.PI * 3 * p) / N) : 2 * Math.sin((2 * Math.PI * 5 * p) / N);
    }));
    const f = positionalFourier(W);
    assert.deepEqual(f.dominantFrequency, [3, 5]);
    assert.deepEqual(f.topFrequencies.slice(0, 2), [5, 3]);
    // Parseval: Σ_f P(f) = N Σ_p Σ_j w² (mean removed)
    const energy = W.data.reduce((s, v) => s + v * v, 0);
    close(f.power.reduce((a, b) => a + b, 0), N * energy, 1e-9, "Parseval");
    // the transformer's fixed sinusoidal table puts its power in low frequencies
    const table = sinusoidalTable(64, 16);
    const g = positionalFourier(table);
    assert.ok(g.powerFraction[0] < 1e-9);
    assert.equal(g.frequencies.length, 33);
  });
  test("embeddingPca and cosineSimilarity on a model", () => {
    const m = new HookedTransformer({ n_layers: 1, d_model: 16, n_heads: 2, d_vocab: 20, n_ctx: 12, seed: 2 });
    const p = embeddingPca(m, "W_pos", { k: 4 });
    assert.equal(p.components.rows, 4);
    assert.equal(p.projected.rows, 12);
    const sim = cosineSimilarity(matrix64(12, 16, m.pos_embed!.W_pos.dataSync()));
    for (let i = 0; i < 12; i++) close(sim[i][i], 1, 1e-9, "self-similarity");
    assert.throws(() => embeddingPca(new HookedTransformer({ n_layers: 1, d_model: 8, n_heads: 2, d_vocab: 5, n_ctx: 4, positional_embedding_type: "rotary" }), "W_pos"), /no learned positional embedding/);
  });
});

describe("fast circuit paths equal the float64 definitions", () => {
  // copyingScores regroups the vocabulary-sized products (eig of W_O (W_U W_E) W_V) and
  // compositionScores batches the pair products in float32; the straightforward float64
  // definitions (FactoredMatrix through d_vocab, compositionScore per pair) must agree.
  const rel = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-4 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);
  for (const normalization_type of ["LN", "LNPre", "RMS", null] as const) {
    test(`normalization ${normalization_type}`, () => {
      const m = new HookedTransformer({ n_layers: 3, d_model: 32, n_heads: 4, d_head: 8, d_vocab: 50, n_ctx: 8, normalization_type, seed: 11, initializer_range: 0.3 });
      // non-trivial LayerNorm weights so that the fold matters
      noGrad(() => {
        for (const norm of [...m.blocks.map((b) => b.ln1), m.ln_final]) {
          if (norm?.w) norm.w.copy_(tensor(Float32Array.from({ length: 32 }, () => 1 + rnd())));
        }
      });
      const { n_layers, n_heads } = m.cfg;
      // the O(d k) fold equals the dense C diag(w) W_Q (C = I − 11ᵀ/d for LayerNorms, I for RMSNorm)
      const d = 32;
      const w = m.blocks[1].ln1?.w?.dataSync() ?? new Float32Array(d).fill(1);
      const centered = normalization_type === "LN" || normalization_type === "LNPre";
      const Cw = matrix64(d, d, Array.from({ length: d * d }, (_, t) => ((Math.floor(t / d) === t % d ? 1 : 0) - (centered ? 1 / d : 0)) * w[t % d]));
      const W_Q = matrix64(d, 8, m.blocks[1].attn.W_Q.dataSync().subarray(2 * d * 8, 3 * d * 8));
      const dense = normalization_type === null ? W_Q : matmul64(Cw, W_Q);
      const folded = headWeights(m, 1, 2).W_Q;
      dense.data.forEach((v, i) => assert.ok(Math.abs(folded.data[i] - v) < 1e-6, `fold [${i}]`));
      const ov = copyingScores(m);
      const qk = copyingScores(m, { circuit: "qk" });
      for (let l = 0; l < n_layers; l++) {
        for (let h = 0; h < n_heads; h++) {
          rel(ov.score[l][h], copyingScoreOf(fullOvCircuit(m, l, h).eigenvalues()), `OV ${l}.${h}`);
          rel(qk.score[l][h], copyingScoreOf(fullQkCircuit(m, l, h).eigenvalues()), `QK ${l}.${h}`);
        }
      }
      for (const kind of ["Q", "K", "V"] as const) {
        const s = compositionScores(m, kind);
        for (let l1 = 0; l1 < n_layers; l1++) {
          for (let l2 = l1 + 1; l2 < n_layers; l2++) {
            for (let h1 = 0; h1 < n_heads; h1++) {
              for (let h2 = 0; h2 < n_heads; h2++) {
                const right = kind === "V" ? ovCircuit(m, l2, h2) : kind === "Q" ? qkCircuit(m, l2, h2) : qkCircuit(m, l2, h2).T;
                rel(s[l1][h1][l2][h2], compositionScore(ovCircuit(m, l1, h1), right), `${kind} ${l1}.${h1}→${l2}.${h2}`);
              }
            }
          }
        }
      }
    });
  }
});

test("PCA through the covariance equals PCA through the SVD (up to signs)", () => {
  const N = 80;
  const D = 12;
  const X = matrix64(N, D, Array.from({ length: N * D }, (_, i) => rnd() * (1 + (i % D)) + (i % 3)));
  const a = pca(X, { method: "svd", k: 5 });
  const b = pca(X, { method: "covariance", k: 5 });
  for (let c = 0; c < 5; c++) {
    assert.ok(Math.abs(a.explainedVariance[c] - b.explainedVariance[c]) <= 1e-4 * a.explainedVariance[c], `variance ${c}`);
    assert.ok(Math.abs(a.explainedVarianceRatio[c] - b.explainedVarianceRatio[c]) <= 1e-5, `ratio ${c}`);
    let dot = 0;
    for (let j = 0; j < D; j++) dot += a.components.data[c * D + j] * b.components.data[c * D + j];
    assert.ok(Math.abs(Math.abs(dot) - 1) < 1e-4, `component ${c}: |cos| = ${Math.abs(dot)}`);
    const sign = Math.sign(dot);
    for (let i = 0; i < N; i++) assert.ok(Math.abs(a.projected.data[i * 5 + c] - sign * b.projected.data[i * 5 + c]) < 1e-3 * Math.sqrt(a.explainedVariance[c]), `projected ${i}, ${c}`);
  }
});
