// Weight-based interpretability (Elhage et al. 2021, "A Mathematical Framework for Transformer
// Circuits"), on any HookedTransformer, in float64.
//
// Row-vector convention as in TransformerLens: a residual vector x (1 × d) is read by a head as
//   q = x W_Q,  k = x W_K,  v = x W_V,  and the head writes  z W_O,
// so for head h the two bilinear/linear maps are
//   W_QK = W_Q W_Kᵀ (d × d):  score(x_dest, x_src) = x_dest W_QK x_srcᵀ / √d_head
//   W_OV = W_V W_O  (d × d):  write = pattern · x_src W_OV
// and read through the embeddings they become token × token tables:
//   full QK circuit  W_E W_Q W_Kᵀ W_Eᵀ   (which source tokens a destination token attends to)
//   full OV circuit  W_E W_V W_O W_U     (what logits attending to a token adds)
// all FactoredMatrix (rank ≤ d_head).
//
// LayerNorm folding (TransformerLens folds by default): a head reads LN(x) = w ⊙ (x − mean x)/σ + b.
// Ignoring the per-position scale σ and the biases, the read is x C diag(w) with the centering
// C = I − 11ᵀ/d, so with foldLn (default) the reading weights become C diag(w) W (RMSNorm: diag(w) W),
// and the unembedding C diag(w_final) W_U. Without LayerNorm nothing changes.
//
// Copying score (TransformerLens's OV copying score): Re(Σ λ) / Σ |λ| over the eigenvalues of the
// full OV circuit (the d_head nonzero ones, from the small BA). Near 1: attending to token t
// raises t's own logit, i.e. the head copies.
//
// Composition scores between head h₁ in layer i and head h₂ in layer j > i (Elhage et al.;
// TransformerLens's all_composition_scores): with L = W_OV^{h₁} (what h₁ writes),
//   Q-composition  ‖L W_QK^{h₂}‖_F  / (‖L‖_F ‖W_QK^{h₂}‖_F)   (h₁'s output feeds h₂'s queries)
//   K-composition  ‖L W_QK^{h₂ᵀ}‖_F / (‖L‖_F ‖W_QK^{h₂}‖_F)   (… h₂'s keys: induction heads)
//   V-composition  ‖L W_OV^{h₂}‖_F  / (‖L‖_F ‖W_OV^{h₂}‖_F)   (… h₂'s values)
// each in [0, 1]; random matrices of these shapes give a baseline well above 0 (compositionBaseline).
import type { HookedTransformer } from "../models/gpt/model.js";
import { noGrad } from "../tensor/autograd.js";
import { tensor } from "../tensor/creation.js";
import { matmulT } from "../tensor/ops/linalg.js";
import { Generator } from "../tensor/random.js";
import { tidy } from "../tensor/scope.js";
import type { Tensor } from "../tensor/tensor.js";
import { type ComplexValues, FactoredMatrix, type Matrix64, copyingScoreOf, eigenvalues, matmul64, matrix64, positiveEigenvalueFraction, toMatrix64, transpose64 } from "./factored.js";

export interface CircuitOptions {
  /** Fold each LayerNorm's centering and weight into the weights that read it (default true). */
  foldLn?: boolean;
}

/** One head's weights as float64 matrices: W_Q, W_K, W_V (d × d_head), W_O (d_head × d). */
export interface HeadWeights {
  W_Q: Matrix64;
  W_K: Matrix64;
  W_V: Matrix64;
  W_O: Matrix64;
}

function checkLayerHead(model: HookedTransformer, layer: number, head?: number): void {
  const { n_layers, n_heads } = model.cfg;
  if (!(Number.isInteger(layer) && layer >= 0 && layer < n_layers)) throw new Error(`layer ${layer} is out of range [0, ${n_layers})`);
  if (head !== undefined && !(Number.isInteger(head) && head >= 0 && head < n_heads)) throw new Error(`head ${head} is out of range [0, ${n_heads})`);
}

/** How a norm reads the residual stream, for folding: x ↦ x C diag(w) (LayerNorm) or x diag(w) (RMSNorm). */
interface LnRead {
  /** The norm's weight (all ones for LNPre / RMSPre, whose weight is already folded). */
  w: ArrayLike<number>;
  /** Whether the norm subtracts the mean first (the centering C = I − 11ᵀ/d). */
  centered: boolean;
}

/** The norm's read for folding; null without a norm or without folding. */
function lnRead(model: HookedTransformer, norm: { w: Tensor | null } | null, fold: boolean): LnRead | null {
  if (!fold || !norm) return null;
  const w = norm.w ? norm.w.dataSync() : new Float32Array(model.cfg.d_model).fill(1);
  const centered = model.cfg.normalization_type === "LN" || model.cfg.normalization_type === "LNPre";
  return { w, centered };
}

/**
 * C diag(w) W for a matrix W (d × n) that reads the residual stream, without forming the d × d
 * matrix C diag(w): row i of diag(w) W is w_i W[i], and C = I − 11ᵀ/d subtracts the mean row, so
 *   (C diag(w) W)[i] = w_i W[i] − (1/d) Σ_j w_j W[j]          (RMSNorm: just w_i W[i]).
 * O(d n) instead of the O(d² n) product.
 */
function foldLnRows(ln: LnRead | null, W: Matrix64): Matrix64 {
  if (!ln) return W;
  const { rows: d, cols: n } = W;
  if (ln.w.length !== d) throw new Error(`foldLnRows: the norm has ${ln.w.length} weights but the matrix has ${d} rows`);
  const out = new Float64Array(d * n);
  const meanRow = new Float64Array(n);
  for (let i = 0; i < d; i++) {
    const wi = ln.w[i];
    for (let j = 0; j < n; j++) {
      const v = wi * W.data[i * n + j];
      out[i * n + j] = v;
      meanRow[j] += v / d;
    }
  }
  if (ln.centered) for (let i = 0; i < d; i++) for (let j = 0; j < n; j++) out[i * n + j] -= meanRow[j];
  return { rows: d, cols: n, data: out };
}

/** Slice (h, a, b) tensor data into h matrices a × b. */
function perHead(t: Tensor): Matrix64[] {
  const [h, a, b] = t.shape;
  const data = t.dataSync();
  return Array.from({ length: h }, (_, i) => matrix64(a, b, data.subarray(i * a * b, (i + 1) * a * b)));
}

/** The weights of every head of a layer, LayerNorm folded into W_Q, W_K, W_V unless foldLn is false. */
export function layerHeadWeights(model: HookedTransformer, layer: number, opts: CircuitOptions = {}): HeadWeights[] {
  checkLayerHead(model, layer);
  const block = model.blocks[layer];
  const attn = block.attn;
  const ln = lnRead(model, block.ln1, opts.foldLn ?? true);
  const read = (m: Matrix64) => foldLnRows(ln, m);
  const Q = perHead(attn.W_Q);
  const K = perHead(attn.W_K);
  const V = perHead(attn.W_V);
  const O = perHead(attn.W_O);
  return Q.map((_, h) => ({ W_Q: read(Q[h]), W_K: read(K[h]), W_V: read(V[h]), W_O: O[h] }));
}

export function headWeights(model: HookedTransformer, layer: number, head: number, opts: CircuitOptions = {}): HeadWeights {
  checkLayerHead(model, layer, head);
  return layerHeadWeights(model, layer, opts)[head];
}

/** W_E (d_vocab × d). */
export function embedMatrix(model: HookedTransformer): Matrix64 {
  return toMatrix64(model.embed.W_E, "W_E");
}

/** W_pos (n_ctx × d); learned positions only. */
export function posEmbedMatrix(model: HookedTransformer): Matrix64 {
  if (!model.pos_embed) throw new Error(`the model has no learned positional embedding (positional_embedding_type is "${model.cfg.positional_embedding_type}")`);
  return toMatrix64(model.pos_embed.W_pos, "W_pos");
}

/** W_U (d × d_vocab), with the final LayerNorm folded in unless foldLn is false. */
export function unembedMatrix(model: HookedTransformer, opts: CircuitOptions = {}): Matrix64 {
  const W_U = toMatrix64(model.unembed.weight, "W_U");
  return foldLnRows(lnRead(model, model.ln_final, opts.foldLn ?? true), W_U);
}

/** W_QK = W_Q W_Kᵀ (d × d) of one head, factored through d_head (TransformerLens's model.QK[l, h]). */
export function qkCircuit(model: HookedTransformer, layer: number, head: number, opts: CircuitOptions = {}): FactoredMatrix {
  const w = headWeights(model, layer, head, opts);
  return new FactoredMatrix(w.W_Q, transpose64(w.W_K));
}

/** W_OV = W_V W_O (d × d) of one head (TransformerLens's model.OV[l, h]). */
export function ovCircuit(model: HookedTransformer, layer: number, head: number, opts: CircuitOptions = {}): FactoredMatrix {
  const w = headWeights(model, layer, head, opts);
  return new FactoredMatrix(w.W_V, w.W_O);
}

export type CircuitSide = "embed" | "pos";

/**
 * The full QK circuit X_q W_Q W_Kᵀ X_kᵀ with X = W_E (tokens, default) or W_pos (positions) on
 * each side: entry (i, j) is the attention score (× √d_head) of query token/position i on key j,
 * as if the residual stream held only that embedding.
 */
export function fullQkCircuit(model: HookedTransformer, layer: number, head: number, opts: CircuitOptions & { query?: CircuitSide; key?: CircuitSide } = {}): FactoredMatrix {
  const w = headWeights(model, layer, head, opts);
  const side = (s: CircuitSide) => (s === "pos" ? posEmbedMatrix(model) : embedMatrix(model));
  return new FactoredMatrix(matmul64(side(opts.query ?? "embed"), w.W_Q), transpose64(matmul64(side(opts.key ?? "embed"), w.W_K)));
}

/** The full OV circuit W_E W_V W_O W_U (d_vocab × d_vocab): row t = the logits added by attending to token t. */
export function fullOvCircuit(model: HookedTransformer, layer: number, head: number, opts: CircuitOptions = {}): FactoredMatrix {
  const w = headWeights(model, layer, head, opts);
  return new FactoredMatrix(matmul64(embedMatrix(model), w.W_V), matmul64(w.W_O, unembedMatrix(model, opts)));
}

export interface CopyingScores {
  /** Re(Σλ)/Σ|λ| per [layer][head]. */
  score: number[][];
  /** Fraction of eigenvalues with positive real part per [layer][head]. */
  positiveFraction: number[][];
  /** The eigenvalues per [layer][head]. */
  eigenvalues: ComplexValues[][];
}

/** Matrices of one shape stacked into a float32 tensor (count, rows, cols), for batched products. */
function stack32(ms: readonly Matrix64[]): Tensor {
  const { rows, cols } = ms[0];
  const data = new Float32Array(ms.length * rows * cols);
  ms.forEach((m, i) => data.set(m.data, i * rows * cols));
  return tensor(data, { shape: [ms.length, rows, cols] });
}

/** Split a float32 (count, n, n) tensor's data into count float64 n × n matrices. */
function unstack64(t: Tensor): Matrix64[] {
  const [count, r, c] = t.shape;
  const data = t.dataSync();
  return Array.from({ length: count }, (_, i) => matrix64(r, c, data.subarray(i * r * c, (i + 1) * r * c)));
}

/**
 * Eigenvalue copying scores of every head's full OV circuit (W_E W_V W_O W_U) or, with
 * circuit "qk", its full QK circuit (W_E W_Q W_Kᵀ W_Eᵀ: positive means a token attends to copies
 * of itself), as TransformerLens's `OV.eigenvalues` / `QK.eigenvalues` scores.
 *
 * The nonzero eigenvalues of a product XY are those of YX, so regrouping the d_vocab-sized
 * factors around the vocabulary dimension leaves only d × d matrices, computed once:
 *   OV: eig((W_E W_V)(W_O W_U)) = eig(W_O (W_U W_E) W_V)       with G = W_U W_E     (d × d)
 *   QK: eig((W_E W_Q)(W_Kᵀ W_Eᵀ)) = eig(W_Kᵀ (W_Eᵀ W_E) W_Q)   with G = W_Eᵀ W_E    (d × d)
 * then per head a d_head × d_head matrix. (W_U here has the final LayerNorm folded in, i.e.
 * C diag(w) W_U, so G = C diag(w) (W_U W_E) is folded the same way, row by row.) The d_vocab-long
 * products run in float32 on the tensor backend, as TransformerLens computes these in float32;
 * the eigenvalues in float64.
 */
export function copyingScores(model: HookedTransformer, opts: CircuitOptions & { circuit?: "ov" | "qk" } = {}): CopyingScores {
  const { n_layers } = model.cfg;
  const qk = opts.circuit === "qk";
  const out: CopyingScores = { score: [], positiveFraction: [], eigenvalues: [] };
  const cores = noGrad(() =>
    tidy(() => {
      const W_E = model.embed.W_E;
      const G = qk ? matmulT(W_E, W_E, true, false) : matmulT(model.unembed.weight, W_E, false, false);
      const G64 = matrix64(G.shape[0], G.shape[1], G.dataSync());
      const core = qk ? G64 : foldLnRows(lnRead(model, model.ln_final, opts.foldLn ?? true), G64);
      const core32 = tensor(Float32Array.from(core.data), { shape: [core.rows, core.cols] });
      return Array.from({ length: n_layers }, (_, l) =>
        tidy(() => {
          const heads = layerHeadWeights(model, l, opts);
          // BA per head, batched over heads: (h, k, d)·(d, d)·(h, d, k) → (h, k, k)
          const left = qk ? matmulT(stack32(heads.map((w) => w.W_K)), core32, true, false) : matmulT(stack32(heads.map((w) => w.W_O)), core32, false, false);
          const right = stack32(heads.map((w) => (qk ? w.W_Q : w.W_V)));
          return unstack64(matmulT(left, right, false, false));
        }),
      );
    }),
  );
  for (const layer of cores) {
    const eig = layer.map((BA) => eigenvalues(BA));
    out.eigenvalues.push(eig);
    out.score.push(eig.map(copyingScoreOf));
    out.positiveFraction.push(eig.map((e) => positiveEigenvalueFraction(e)));
  }
  return out;
}

/** The copying score of one head's full OV circuit. */
export function copyingScore(model: HookedTransformer, layer: number, head: number, opts: CircuitOptions = {}): number {
  return copyingScoreOf(fullOvCircuit(model, layer, head, opts).eigenvalues());
}

/** ‖left · right‖_F / (‖left‖_F ‖right‖_F), all through the factors' inner dimensions. */
export function compositionScore(left: FactoredMatrix, right: FactoredMatrix): number {
  const denom = left.norm() * right.norm();
  return denom === 0 ? 0 : left.matmul(right).norm() / denom;
}

export type CompositionKind = "Q" | "K" | "V";

/**
 * Composition scores of every earlier head (l₁, h₁) into every later head (l₂ > l₁, h₂):
 * scores[l₁][h₁][l₂][h₂], 0 where l₂ ≤ l₁ (as TransformerLens masks them).
 *
 * Same numbers as compositionScore on each pair, but organised for ~n_heads² n_layers²/2 pairs:
 * with the earlier head's W_OV = A₁B₁ (A₁ = W_V, B₁ = W_O) and the later matrix A₂B₂
 * (Q: W_Q·W_Kᵀ, K: W_K·W_Qᵀ, V: W_V·W_O), the product is A₁ M B₂ with M = B₁A₂ (d_head × d_head), and
 *   ‖A₁ M B₂‖²_F = tr(B₂ᵀ Mᵀ A₁ᵀ A₁ M B₂) = tr(Mᵀ (A₁ᵀA₁) M (B₂B₂ᵀ)) = Σ_ij ((A₁ᵀA₁) M)_ij (M (B₂B₂ᵀ))_ij.
 * The k × k Grams A₁ᵀA₁, B₂B₂ᵀ and the norms ‖A₁B₁‖_F, ‖A₂B₂‖_F are computed once per head; all
 * the M of a layer pair come from one float32 product, every head's B₁ stacked (h·k × d) times
 * every head's A₂ side by side (d × h·k), whose (h₁, h₂) block is B₁^{h₁} A₂^{h₂}.
 */
export function compositionScores(model: HookedTransformer, kind: CompositionKind, opts: CircuitOptions = {}): number[][][][] {
  if (kind !== "Q" && kind !== "K" && kind !== "V") throw new Error(`compositionScores: kind must be "Q", "K" or "V", got ${JSON.stringify(kind)}`);
  const { n_layers, n_heads: h } = model.cfg;
  const scores: number[][][][] = Array.from({ length: n_layers }, () => Array.from({ length: h }, () => Array.from({ length: n_layers }, () => new Array<number>(h).fill(0))));
  noGrad(() =>
    tidy(() => {
      const layers = Array.from({ length: n_layers }, (_, l) => {
        const heads = layerHeadWeights(model, l, opts);
        const Q = stack32(heads.map((w) => w.W_Q)); // (h, d, k)
        const K = stack32(heads.map((w) => w.W_K));
        const V = stack32(heads.map((w) => w.W_V));
        const O = stack32(heads.map((w) => w.W_O)); // (h, k, d)
        const [, d, k] = Q.shape;
        const gram = (X: Tensor) => matmulT(X, X, true, false); // XᵀX (h, k, k) of X (h, d, k)
        const gQ = gram(Q);
        const gK = gram(K);
        const gV = gram(V);
        const gO = matmulT(O, O, false, true); // W_O W_Oᵀ (h, k, k)
        // ‖AB‖²_F = Σ_ij (AᵀA)_ij (BBᵀ)_ij
        const norms = (ga: Tensor, gb: Tensor) => Array.from(ga.mul(gb).sum([1, 2]).dataSync(), (x) => Math.sqrt(Math.max(0, x)));
        // the later head's factors A₂ (d × k) and B₂ (k × d) as Grams A₂ᵀA₂, B₂B₂ᵀ
        const [A2, gA2, gB2] = kind === "Q" ? [Q, gQ, gK] : kind === "K" ? [K, gK, gQ] : [V, gV, gO];
        return {
          B1: O.reshape(h * k, d), // every head's W_O stacked: (h·k, d)
          A2: A2.permute(1, 0, 2).reshape(d, h * k), // every head's A₂ side by side: (d, h·k)
          gA1: gV.reshape(h, 1, k, k), // A₁ᵀA₁ = W_VᵀW_V, broadcast over later heads
          gB2: gB2.reshape(1, h, k, k), // broadcast over earlier heads
          normLeft: norms(gV, gO),
          normRight: norms(gA2, gB2),
          k,
        };
      });
      for (let l1 = 0; l1 < n_layers; l1++) {
        for (let l2 = l1 + 1; l2 < n_layers; l2++) {
          tidy(() => {
            const { B1, gA1, normLeft, k } = layers[l1];
            const { A2, gB2, normRight } = layers[l2];
            // M[h₁, h₂] = B₁^{h₁} A₂^{h₂}: the (h·k × h·k) product cut into (h₁, h₂) blocks of k × k
            const M = matmulT(B1, A2, false, false).reshape(h, k, h, k).permute(0, 2, 1, 3).contiguous();
            const sq = matmulT(gA1, M, false, false).mul(matmulT(M, gB2, false, false)).sum([2, 3]).dataSync();
            for (let h1 = 0; h1 < h; h1++) {
              for (let h2 = 0; h2 < h; h2++) {
                const denom = normLeft[h1] * normRight[h2];
                scores[l1][h1][l2][h2] = denom === 0 ? 0 : Math.sqrt(Math.max(0, sq[h1 * h + h2])) / denom;
              }
            }
          });
        }
      }
    }),
  );
  return scores;
}

/** The scores from earlier layer l₁ into later layer l₂ as an (n_heads × n_heads) matrix [h₁][h₂]. */
export function compositionBetween(scores: number[][][][], l1: number, l2: number): number[][] {
  return scores[l1].map((row) => row[l2]);
}

/**
 * The composition score of random matrices with the same shapes (Elhage et al.'s baseline):
 * the mean over `samples` draws of Gaussian factors d × d_head · d_head × d.
 */
export function compositionBaseline(dModel: number, dHead: number, opts: { samples?: number; seed?: number } = {}): number {
  const gen = new Generator(opts.seed ?? 0);
  const rand = (r: number, c: number) => matrix64(r, c, Array.from({ length: r * c }, () => gen.normal()));
  const n = opts.samples ?? 20;
  let s = 0;
  for (let i = 0; i < n; i++) s += compositionScore(new FactoredMatrix(rand(dModel, dHead), rand(dHead, dModel)), new FactoredMatrix(rand(dModel, dHead), rand(dHead, dModel)));
  return s / n;
}

// ------------------------------------------------------------------ SVD read through the vocabulary

export interface TokenScore {
  id: number;
  token: string;
  value: number;
}

export interface SingularDirection {
  index: number;
  singularValue: number;
  /** Tokens whose embedding (row of the input reader) has the largest / smallest dot product with the input singular vector u. */
  inputTop?: TokenScore[];
  inputBottom?: TokenScore[];
  /** Tokens whose logit v·W_U is largest / smallest along the output singular vector v. */
  outputTop?: TokenScore[];
  outputBottom?: TokenScore[];
}

export interface SvdReadOptions {
  /** How many singular directions (default 5). */
  k?: number;
  /** Tokens listed per end (default 8). */
  topTokens?: number;
  /** Reads the input side u (d): e.g. W_E (d_vocab × d), scores W_E u. */
  inputReader?: Matrix64;
  /** Reads the output side v (d): e.g. W_U (d × d_vocab), scores vᵀ W_U. */
  outputReader?: Matrix64;
  /** Token strings by id (default: the ids as strings). */
  vocab?: readonly string[];
}

/**
 * The SVD M = U S Vᵀ of a weight matrix (m × n, dense or factored) with each singular direction
 * read through the vocabulary: u_i through an input reader (W_E: which tokens' embeddings excite
 * it) and v_i through an output reader (W_U: which logits it writes). Signs of SVD pairs are
 * arbitrary; each pair is flipped so its largest-magnitude output (else input) score is positive.
 */
export function svdReadout(m: FactoredMatrix | Matrix64 | Tensor, opts: SvdReadOptions = {}): SingularDirection[] {
  const fm = m instanceof FactoredMatrix ? m : null;
  const dense = fm ? null : toMatrix64(m as Matrix64 | Tensor, "svdReadout");
  const { U, S, V } = fm ? fm.svd() : svdOf(dense!);
  const k = Math.min(opts.k ?? 5, S.length);
  const nTop = opts.topTokens ?? 8;
  const name = (id: number) => opts.vocab?.[id] ?? String(id);
  const col = (M: Matrix64, j: number) => Float64Array.from({ length: M.rows }, (_, i) => M.data[i * M.cols + j]);
  const readIn = (u: Float64Array) => {
    const R = opts.inputReader!;
    if (R.cols !== u.length) throw new Error(`svdReadout: the input reader has ${R.cols} columns but singular vectors have ${u.length} entries`);
    return Float64Array.from({ length: R.rows }, (_, t) => {
      let s = 0;
      for (let j = 0; j < u.length; j++) s += R.data[t * R.cols + j] * u[j];
      return s;
    });
  };
  const readOut = (v: Float64Array) => {
    const R = opts.outputReader!;
    if (R.rows !== v.length) throw new Error(`svdReadout: the output reader has ${R.rows} rows but singular vectors have ${v.length} entries`);
    const out = new Float64Array(R.cols);
    for (let j = 0; j < v.length; j++) for (let t = 0; t < R.cols; t++) out[t] += v[j] * R.data[j * R.cols + t];
    return out;
  };
  const ends = (scores: Float64Array) => {
    const order = Array.from(scores.keys()).sort((a, b) => scores[b] - scores[a]);
    const pick = (ids: number[]) => ids.map((id) => ({ id, token: name(id), value: scores[id] }));
    return { top: pick(order.slice(0, nTop)), bottom: pick(order.slice(-nTop).reverse()) };
  };
  const dirs: SingularDirection[] = [];
  for (let i = 0; i < k; i++) {
    let u = col(U, i);
    let v = col(V, i);
    let inScores = opts.inputReader ? readIn(u) : null;
    let outScores = opts.outputReader ? readOut(v) : null;
    const ref = outScores ?? inScores ?? v;
    let big = 0;
    for (const x of ref) if (Math.abs(x) > Math.abs(big)) big = x;
    if (big < 0) {
      u = u.map((x) => -x);
      v = v.map((x) => -x);
      inScores = inScores && inScores.map((x) => -x);
      outScores = outScores && outScores.map((x) => -x);
    }
    const d: SingularDirection = { index: i, singularValue: S[i] };
    if (inScores) {
      const e = ends(inScores);
      d.inputTop = e.top;
      d.inputBottom = e.bottom;
    }
    if (outScores) {
      const e = ends(outScores);
      d.outputTop = e.top;
      d.outputBottom = e.bottom;
    }
    dirs.push(d);
  }
  return dirs;
}

function svdOf(m: Matrix64) {
  // a dense matrix as the trivial factorization M · I (svd then decomposes M directly)
  return new FactoredMatrix(m, identity(m.cols)).svd();
}

function identity(n: number): Matrix64 {
  const m = matrix64(n, n);
  for (let i = 0; i < n; i++) m.data[i * n + i] = 1;
  return m;
}

/** The SVD of one head's W_OV, inputs read through W_E and outputs through W_U. */
export function svdOV(model: HookedTransformer, layer: number, head: number, opts: CircuitOptions & Omit<SvdReadOptions, "inputReader" | "outputReader"> = {}): SingularDirection[] {
  return svdReadout(ovCircuit(model, layer, head, opts), { ...opts, inputReader: embedMatrix(model), outputReader: unembedMatrix(model, opts) });
}

/** The SVD of an MLP's W_in (d × d_mlp), LayerNorm folded, inputs read through W_E (outputs are neurons). */
export function svdMlpIn(model: HookedTransformer, layer: number, opts: CircuitOptions & Omit<SvdReadOptions, "inputReader" | "outputReader"> = {}): SingularDirection[] {
  checkLayerHead(model, layer);
  const block = model.blocks[layer];
  if (!block.mlp) throw new Error(`layer ${layer} has no MLP (attn_only model)`);
  const W_in = foldLnRows(lnRead(model, block.ln2, opts.foldLn ?? true), toMatrix64(block.mlp.W_in, "W_in"));
  return svdReadout(W_in, { ...opts, inputReader: embedMatrix(model) });
}

/** The SVD of an MLP's W_out (d_mlp × d), outputs read through W_U. */
export function svdMlpOut(model: HookedTransformer, layer: number, opts: CircuitOptions & Omit<SvdReadOptions, "inputReader" | "outputReader"> = {}): SingularDirection[] {
  checkLayerHead(model, layer);
  const mlp = model.blocks[layer].mlp;
  if (!mlp) throw new Error(`layer ${layer} has no MLP (attn_only model)`);
  return svdReadout(toMatrix64(mlp.W_out, "W_out"), { ...opts, outputReader: unembedMatrix(model, opts) });
}
