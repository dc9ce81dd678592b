// Fourier analysis of a model of modular arithmetic (Nanda et al. 2023, "Progress measures for
// grokking via mechanistic interpretability", §4–5). A network that adds mod p learns to
// represent each residue a by waves cos(w_k a), sin(w_k a) with w_k = 2πk/p for a few "key"
// frequencies k, and its logits for answer c become Σ_k α_k cos(w_k (a + b − c)). This file holds
// the measurements that show it, on plain arrays, so any model (ours or a loaded one) can use them:
//
//   fourierBasis            the orthonormal real Fourier basis of functions on Z_p
//   frequencyNorms          ‖component of each frequency‖ of a matrix whose rows are residues
//                           (the embedding W_E: the paper's Fig. 3a)
//   sumFrequencyComponents  the logits' components along cos(w_k(a+b)) and sin(w_k(a+b))
//   logitFourierNorms2d     ‖logits‖ in the 2-D Fourier basis of (a, b) (the paper's Fig. 4c)
//   restrictedLogits        keep only the key frequencies' (a+b) components   (§5.1, "restricted loss")
//   excludedLogits          remove the key frequencies' (a+b) components      (§5.1, "excluded loss")
//
// A logits grid is a Float32Array of p²·p numbers: row a·p + b holds the p logits of the answer
// c = 0 … p−1 for the prompt "a b =". Frequencies are k = 1 … K with K = (p − 1)/2 (p odd).

/** K = (p − 1)/2, the number of non-constant frequencies; p must be odd. */
export function nFrequencies(p: number): number {
  if (!Number.isInteger(p) || p < 3 || p % 2 === 0) throw new Error(`Fourier analysis mod p needs an odd p ≥ 3 (every frequency then has a cos and a sin), got ${p}`);
  return (p - 1) / 2;
}

/**
 * The real Fourier basis of functions on Z_p, orthonormal: row 0 is the constant 1/√p, then for
 * each frequency k = 1 … K the rows cos(w_k x)·√(2/p) and sin(w_k x)·√(2/p) (rows 2k−1, 2k).
 */
export function fourierBasis(p: number): { rows: Float64Array[]; names: string[] } {
  const K = nFrequencies(p);
  const rows = [new Float64Array(p).fill(1 / Math.sqrt(p))];
  const names = ["const"];
  const scale = Math.sqrt(2 / p);
  for (let k = 1; k <= K; k++) {
    const w = (2 * Math.PI * k) / p;
    rows.push(Float64Array.from({ length: p }, (_, x) => scale * Math.cos(w * x)));
    rows.push(Float64Array.from({ length: p }, (_, x) => scale * Math.sin(w * x)));
    names.push(`cos ${k}`, `sin ${k}`);
  }
  return { rows, names };
}

/**
 * For a matrix M (p rows, one per residue, `cols` wide: W_E[:p] is p × d_model), the norm of its
 * component at each frequency: ‖cos_k·M‖ and ‖sin_k·M‖ combined, √(‖cos_kᵀM‖² + ‖sin_kᵀM‖²).
 * Returns the constant term's norm and the K frequency norms (index k − 1 for frequency k).
 */
export function frequencyNorms(M: ArrayLike<number>, p: number, cols: number): { constant: number; norms: number[] } {
  if (M.length !== p * cols) throw new Error(`frequencyNorms: expected ${p} × ${cols} = ${p * cols} numbers, got ${M.length}`);
  const { rows } = fourierBasis(p);
  // (F M)[i] = Σ_x F[i][x] M[x]: the coefficients of basis row i, one per column
  const rowNormSq = rows.map((f) => {
    let sq = 0;
    for (let j = 0; j < cols; j++) {
      let s = 0;
      for (let x = 0; x < p; x++) s += f[x] * M[x * cols + j];
      sq += s * s;
    }
    return sq;
  });
  const K = nFrequencies(p);
  return { constant: Math.sqrt(rowNormSq[0]), norms: Array.from({ length: K }, (_, i) => Math.sqrt(rowNormSq[2 * i + 1] + rowNormSq[2 * i + 2])) };
}

/**
 * The logits' components along the unit vectors cos(w_k(a+b))·√2/p and sin(w_k(a+b))·√2/p of
 * R^{p²} (the (a, b) inputs), for every frequency and every answer c: cos[(k−1)·p + c] and
 * sin[(k−1)·p + c]. (In the 2-D Fourier basis these are (cos a cos b − sin a sin b)/√2 and
 * (sin a cos b + cos a sin b)/√2, Nanda et al.'s get_component_cos_xpy / _sin_xpy.) Also the mean
 * logit of each answer over all inputs, the constant that the directions above cannot carry.
 * Both depend on (a, b) only through a + b, so the logits are first summed along each
 * anti-diagonal s = (a + b) mod p: O(p³) instead of O(p⁴).
 */
export function sumFrequencyComponents(logits: ArrayLike<number>, p: number): { cos: Float64Array; sin: Float64Array; mean: Float64Array } {
  checkGrid(logits, p, "sumFrequencyComponents");
  const K = nFrequencies(p);
  const S = new Float64Array(p * p); // S[s·p + c] = Σ_{a+b ≡ s} logits[a, b, c]
  const mean = new Float64Array(p);
  for (let a = 0; a < p; a++) {
    for (let b = 0; b < p; b++) {
      const s = (a + b) % p;
      const row = (a * p + b) * p;
      for (let c = 0; c < p; c++) {
        S[s * p + c] += logits[row + c];
        mean[c] += logits[row + c] / (p * p);
      }
    }
  }
  const cos = new Float64Array(K * p);
  const sin = new Float64Array(K * p);
  const unit = Math.SQRT2 / p; // ‖cos(w_k(a+b))‖ over the p² inputs is p/√2
  for (let k = 1; k <= K; k++) {
    const w = (2 * Math.PI * k) / p;
    for (let s = 0; s < p; s++) {
      const cs = unit * Math.cos(w * s);
      const sn = unit * Math.sin(w * s);
      for (let c = 0; c < p; c++) {
        cos[(k - 1) * p + c] += cs * S[s * p + c];
        sin[(k - 1) * p + c] += sn * S[s * p + c];
      }
    }
  }
  return { cos, sin, mean };
}

/** Per frequency k (index k − 1), the norm of the logits' (a+b) component over all answers. */
export function sumFrequencyNorms(logits: ArrayLike<number>, p: number): number[] {
  const { cos, sin } = sumFrequencyComponents(logits, p);
  return Array.from({ length: nFrequencies(p) }, (_, i) => {
    let sq = 0;
    for (let c = 0; c < p; c++) sq += cos[i * p + c] ** 2 + sin[i * p + c] ** 2;
    return Math.sqrt(sq);
  });
}

/**
 * The logits' components along the (a+b) directions of the frequencies `keys`, as a grid:
 * part[a, b, c] = Σ_k cos_k[c]·u_k(a+b) + sin_k[c]·v_k(a+b).
 */
function keyComponents(logits: ArrayLike<number>, p: number, keys: readonly number[]): { part: Float64Array; mean: Float64Array } {
  const K = nFrequencies(p);
  for (const k of keys) if (!(Number.isInteger(k) && k >= 1 && k <= K)) throw new Error(`key frequencies must be integers in 1 … ${K}, got ${k}`);
  const { cos, sin, mean } = sumFrequencyComponents(logits, p);
  const unit = Math.SQRT2 / p;
  const bySum = new Float64Array(p * p); // the component as a function of s = a + b and c
  for (const k of keys) {
    const w = (2 * Math.PI * k) / p;
    for (let s = 0; s < p; s++) {
      const cs = unit * Math.cos(w * s);
      const sn = unit * Math.sin(w * s);
      for (let c = 0; c < p; c++) bySum[s * p + c] += cs * cos[(k - 1) * p + c] + sn * sin[(k - 1) * p + c];
    }
  }
  const part = new Float64Array(p * p * p);
  for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) part.set(bySum.subarray(((a + b) % p) * p, ((a + b) % p + 1) * p), (a * p + b) * p);
  return { part, mean };
}

/**
 * Restricted logits (Nanda et al. §5.1): only the key frequencies' cos(w_k(a+b)), sin(w_k(a+b))
 * components of the logits, plus each answer's mean logit (their "bias correction", which puts
 * back the constant term the directions have no share of). Their loss measures how well the
 * Fourier circuit alone does the task.
 */
export function restrictedLogits(logits: ArrayLike<number>, p: number, keys: readonly number[]): Float32Array {
  checkGrid(logits, p, "restrictedLogits");
  const { part, mean } = keyComponents(logits, p, keys);
  const out = new Float32Array(p * p * p);
  for (let i = 0; i < out.length; i++) out[i] = part[i] + mean[i % p];
  return out;
}

/**
 * Excluded logits (Nanda et al. §5.1): the logits with the key frequencies' cos(w_k(a+b)),
 * sin(w_k(a+b)) components removed. Their loss on the training set measures how much the model
 * still fits the training data without the Fourier circuit (memorisation).
 */
export function excludedLogits(logits: ArrayLike<number>, p: number, keys: readonly number[]): Float32Array {
  checkGrid(logits, p, "excludedLogits");
  const { part } = keyComponents(logits, p, keys);
  return Float32Array.from({ length: p * p * p }, (_, i) => logits[i] - part[i]);
}

/**
 * ‖logits‖ over the answers in the 2-D Fourier basis of the inputs: out[i·p + j] is the norm
 * over c of Σ_{a,b} F[i][a] F[j][b] logits[a, b, c], with F = fourierBasis(p) (rows i of a,
 * columns j of b). The paper's Fig. 4c: a trained model shows a few bright (cos/sin k, cos/sin k)
 * squares, one per key frequency, on the diagonal.
 */
export function logitFourierNorms2d(logits: ArrayLike<number>, p: number): Float64Array {
  checkGrid(logits, p, "logitFourierNorms2d");
  const F = fourierBasis(p).rows;
  const sq = new Float64Array(p * p);
  const X = new Float64Array(p * p);
  const T = new Float64Array(p * p);
  for (let c = 0; c < p; c++) {
    for (let i = 0; i < p * p; i++) X[i] = logits[i * p + c];
    // T = X Fᵀ (transform b), then F T (transform a)
    T.fill(0);
    for (let a = 0; a < p; a++) for (let j = 0; j < p; j++) {
      let s = 0;
      for (let b = 0; b < p; b++) s += X[a * p + b] * F[j][b];
      T[a * p + j] = s;
    }
    for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) {
      let s = 0;
      for (let a = 0; a < p; a++) s += F[i][a] * T[a * p + j];
      sq[i * p + j] += s * s;
    }
  }
  return sq.map(Math.sqrt);
}

/** Mean cross-entropy and accuracy of the logits grid on the given inputs (a·p + b) with answers labels[i]. */
export function gridLossAccuracy(logits: ArrayLike<number>, p: number, inputs: ArrayLike<number>, labels: ArrayLike<number>): { loss: number; accuracy: number } {
  checkGrid(logits, p, "gridLossAccuracy");
  if (inputs.length !== labels.length || inputs.length === 0) throw new Error(`gridLossAccuracy: need as many labels as inputs (≥ 1), got ${inputs.length} and ${labels.length}`);
  let loss = 0;
  let correct = 0;
  for (let i = 0; i < inputs.length; i++) {
    const row = inputs[i] * p;
    let max = -Infinity;
    let arg = 0;
    for (let c = 0; c < p; c++) if (logits[row + c] > max) [max, arg] = [logits[row + c], c];
    let sum = 0;
    for (let c = 0; c < p; c++) sum += Math.exp(logits[row + c] - max);
    loss += Math.log(sum) + max - logits[row + labels[i]];
    if (arg === labels[i]) correct++;
  }
  return { loss: loss / inputs.length, accuracy: correct / inputs.length };
}

function checkGrid(logits: ArrayLike<number>, p: number, where: string): void {
  nFrequencies(p);
  if (logits.length !== p * p * p) throw new Error(`${where}: a logits grid mod ${p} has p³ = ${p * p * p} numbers (p² inputs × p answers), got ${logits.length}`);
}
