// Weight-space linear algebra for interpretability, in float64.
//
// FactoredMatrix (TransformerLens's FactoredMatrix): a product M = A·B kept as its two factors,
// A (m × k) and B (k × n). Circuits such as W_OV = W_V W_O (d × d, rank ≤ d_head) or the full OV
// circuit W_E W_V W_O W_U (d_vocab × d_vocab) are huge but low-rank; everything we want from them
// goes through the small inner dimension k:
//   ‖AB‖_F² = tr(Bᵀ Aᵀ A B) = Σ_ij (AᵀA)_ij (BBᵀ)_ij                 (two k × k Gram matrices)
//   eig(AB) = eig(BA) ∪ {0, …}                                        (BA is k × k; m = n needed)
//   AB = Q_A R_A R_Bᵀ Q_Bᵀ with A = Q_A R_A, Bᵀ = Q_B R_B (thin QR)
//      → SVD of the k × k core R_A R_Bᵀ = U_c S V_cᵀ gives AB = (Q_A U_c) S (Q_B V_c)ᵀ.
//
// Matrices here are plain row-major Float64Array with their dimensions (Matrix64); `toMatrix64`
// accepts a 2-D Tensor, nested arrays or a Matrix64. `eigenvalues` computes the (complex)
// eigenvalues of a small general real matrix: balancing, Householder reduction to upper
// Hessenberg form, then Francis double-shift QR (the classic EISPACK hqr algorithm).
import { svdJacobi } from "../linalg/dense.js";
import { tensor } from "../tensor/creation.js";
import { Tensor } from "../tensor/tensor.js";

/** A dense row-major float64 matrix. */
export interface Matrix64 {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
}

export type MatrixInput = Matrix64 | Tensor | readonly (readonly number[])[];

/** Eigenvalues λ_j = re[j] + i·im[j]; complex pairs are adjacent (a + bi, a − bi). */
export interface ComplexValues {
  re: Float64Array;
  im: Float64Array;
}

export function matrix64(rows: number, cols: number, data?: ArrayLike<number>): Matrix64 {
  if (!Number.isSafeInteger(rows) || !Number.isSafeInteger(cols) || rows < 0 || cols < 0) throw new Error(`matrix64: bad dimensions ${rows} × ${cols}`);
  const d = data === undefined ? new Float64Array(rows * cols) : Float64Array.from(data);
  if (d.length !== rows * cols) throw new Error(`matrix64: ${rows} × ${cols} needs ${rows * cols} values, got ${d.length}`);
  return { rows, cols, data: d };
}

/** A Matrix64 from a 2-D tensor, nested arrays or a Matrix64 (copied). */
export function toMatrix64(x: MatrixInput, what = "matrix"): Matrix64 {
  if (x instanceof Tensor) {
    if (x.ndim !== 2) throw new Error(`${what}: expected a 2-D tensor, got shape [${x.shape}]`);
    return matrix64(x.shape[0], x.shape[1], x.dataSync());
  }
  if (Array.isArray(x)) {
    const rows = x as readonly (readonly number[])[];
    const cols = rows.length ? rows[0].length : 0;
    const out = new Float64Array(rows.length * cols);
    rows.forEach((r, i) => {
      if (!Array.isArray(r) || r.length !== cols) throw new Error(`${what}: row ${i} has ${Array.isArray(r) ? r.length : "no"} values, expected ${cols}`);
      for (let j = 0; j < cols; j++) out[i * cols + j] = r[j];
    });
    return { rows: rows.length, cols, data: out };
  }
  const m = x as Matrix64;
  if (!m || !(m.data instanceof Float64Array) || m.data.length !== m.rows * m.cols) throw new Error(`${what}: expected a Tensor, nested arrays or { rows, cols, data: Float64Array }`);
  return { rows: m.rows, cols: m.cols, data: Float64Array.from(m.data) };
}

/** The matrix as a float32 tensor (rows, cols). */
export function matrixToTensor(m: Matrix64): Tensor {
  return tensor(Float32Array.from(m.data), { shape: [m.rows, m.cols] });
}

/** Nested arrays (for JSON and plots). */
export function matrixToArray(m: Matrix64): number[][] {
  return Array.from({ length: m.rows }, (_, i) => Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)));
}

/** C = A·B. */
export function matmul64(a: Matrix64, b: Matrix64): Matrix64 {
  if (a.cols !== b.rows) throw new Error(`matmul: shapes ${a.rows} × ${a.cols} and ${b.rows} × ${b.cols} do not chain`);
  const { rows: m, cols: k } = a;
  const n = b.cols;
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    const ci = i * n;
    for (let p = 0; p < k; p++) {
      const aip = a.data[i * k + p];
      if (aip === 0) continue;
      const bp = p * n;
      for (let j = 0; j < n; j++) c[ci + j] += aip * b.data[bp + j];
    }
  }
  return { rows: m, cols: n, data: c };
}

export function transpose64(a: Matrix64): Matrix64 {
  const t = new Float64Array(a.rows * a.cols);
  for (let i = 0; i < a.rows; i++) for (let j = 0; j < a.cols; j++) t[j * a.rows + i] = a.data[i * a.cols + j];
  return { rows: a.cols, cols: a.rows, data: t };
}

/** ‖A‖_F. */
export function frobenius64(a: Matrix64): number {
  let s = 0;
  for (const v of a.data) s += v * v;
  return Math.sqrt(s);
}

/** AᵀA (cols × cols). */
function gram(a: Matrix64): Matrix64 {
  return matmul64(transpose64(a), a);
}

/**
 * Thin QR by modified Gram–Schmidt run twice: A (m × k, m ≥ k) = Q R, Q (m × k) with orthonormal
 * columns (a dependent column gives a zero column of Q and R[j][j] = 0), R (k × k) upper triangular.
 */
export function qr64(a: Matrix64): { q: Matrix64; r: Matrix64 } {
  const { rows: m, cols: k } = a;
  const cols = Array.from({ length: k }, (_, j) => Float64Array.from({ length: m }, (_, i) => a.data[i * k + j]));
  const r = new Float64Array(k * k);
  let scale = 0;
  for (const v of a.data) scale = Math.max(scale, Math.abs(v));
  for (let j = 0; j < k; j++) {
    const v = cols[j];
    const before = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i < j; i++) {
        const qi = cols[i];
        let d = 0;
        for (let t = 0; t < m; t++) d += qi[t] * v[t];
        r[i * k + j] += d;
        for (let t = 0; t < m; t++) v[t] -= d * qi[t];
      }
    }
    const nrm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
    if (nrm <= 1e-13 * Math.max(before, scale * Math.sqrt(m))) {
      v.fill(0);
      r[j * k + j] = 0;
    } else {
      for (let t = 0; t < m; t++) v[t] /= nrm;
      r[j * k + j] = nrm;
    }
  }
  const q = new Float64Array(m * k);
  for (let j = 0; j < k; j++) for (let i = 0; i < m; i++) q[i * k + j] = cols[j][i];
  return { q: { rows: m, cols: k, data: q }, r: { rows: k, cols: k, data: r } };
}

export interface Svd64 {
  /** m × r, orthonormal columns. */
  U: Matrix64;
  /** r singular values, descending. */
  S: Float64Array;
  /** n × r, orthonormal columns: M = U diag(S) Vᵀ. */
  V: Matrix64;
}

/** Thin SVD of a dense matrix (one-sided Jacobi, linalg/dense.ts). */
export function svd64(a: Matrix64): Svd64 {
  const r = Math.min(a.rows, a.cols);
  const { u, s, v } = svdJacobi(a.data, a.rows, a.cols);
  return { U: { rows: a.rows, cols: r, data: u }, S: s, V: { rows: a.cols, cols: r, data: v } };
}

// ------------------------------------------------------------------------------- eigenvalues

/**
 * Eigenvalues of a small general real square matrix (row-major n × n): balance, reduce to upper
 * Hessenberg form by Householder reflections, then the Francis implicit double-shift QR
 * iteration, deflating 1 × 1 and 2 × 2 blocks from the bottom. O(n³); meant for n up to a few
 * hundred (d_head-sized problems are instant). Sorted by descending modulus.
 */
export function eigenvalues(m: MatrixInput): ComplexValues {
  const a = toMatrix64(m, "eigenvalues");
  const n = a.rows;
  if (a.cols !== n) throw new Error(`eigenvalues: the matrix must be square, got ${a.rows} × ${a.cols}`);
  for (const v of a.data) if (!Number.isFinite(v)) throw new Error("eigenvalues: the matrix has a NaN or infinite entry");
  const h = Array.from({ length: n }, (_, i) => Float64Array.from(a.data.subarray(i * n, (i + 1) * n)));
  balance(h);
  hessenberg(h);
  const { re, im } = hqr(h);
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => Math.hypot(re[y], im[y]) - Math.hypot(re[x], im[x]) || re[y] - re[x] || im[y] - im[x]);
  return { re: Float64Array.from(order, (i) => re[i]), im: Float64Array.from(order, (i) => im[i]) };
}

/** Scales rows and columns by powers of 2 so their norms are comparable (Parlett–Reinsch). Similar matrix, same eigenvalues. */
function balance(a: Float64Array[]): void {
  const n = a.length;
  const RADIX = 2;
  const sqrdx = RADIX * RADIX;
  let done = false;
  while (!done) {
    done = true;
    for (let i = 0; i < n; i++) {
      let r = 0;
      let c = 0;
      for (let j = 0; j < n; j++) {
        if (j === i) continue;
        c += Math.abs(a[j][i]);
        r += Math.abs(a[i][j]);
      }
      if (c === 0 || r === 0) continue;
      let g = r / RADIX;
      let f = 1;
      const s = c + r;
      while (c < g) {
        f *= RADIX;
        c *= sqrdx;
      }
      g = r * RADIX;
      while (c > g) {
        f /= RADIX;
        c /= sqrdx;
      }
      if ((c + r) / f < 0.95 * s) {
        done = false;
        const ginv = 1 / f;
        for (let j = 0; j < n; j++) a[i][j] *= ginv;
        for (let j = 0; j < n; j++) a[j][i] *= f;
      }
    }
  }
}

/** In place: A ← Hᵀ A H with Householder reflections H, leaving A upper Hessenberg (zero below the subdiagonal). */
function hessenberg(a: Float64Array[]): void {
  const n = a.length;
  for (let k = 0; k < n - 2; k++) {
    // the reflection I − 2vvᵀ maps a[k+1..n)[k] onto a multiple of e_1
    let alpha = 0;
    for (let i = k + 1; i < n; i++) alpha += a[i][k] * a[i][k];
    alpha = Math.sqrt(alpha);
    if (alpha === 0) continue;
    const v = new Float64Array(n - k - 1);
    for (let i = 0; i < v.length; i++) v[i] = a[k + 1 + i][k];
    v[0] += v[0] >= 0 ? alpha : -alpha;
    let vn = 0;
    for (const x of v) vn += x * x;
    vn = Math.sqrt(vn);
    if (vn === 0) continue;
    for (let i = 0; i < v.length; i++) v[i] /= vn;
    // left: rows k+1.. of every column from k on (columns before k are already zero there)
    for (let j = k; j < n; j++) {
      let s = 0;
      for (let i = 0; i < v.length; i++) s += v[i] * a[k + 1 + i][j];
      s *= 2;
      for (let i = 0; i < v.length; i++) a[k + 1 + i][j] -= s * v[i];
    }
    // right: columns k+1.. of every row
    for (let i = 0; i < n; i++) {
      const row = a[i];
      let s = 0;
      for (let j = 0; j < v.length; j++) s += row[k + 1 + j] * v[j];
      s *= 2;
      for (let j = 0; j < v.length; j++) row[k + 1 + j] -= s * v[j];
    }
    for (let i = k + 2; i < n; i++) a[i][k] = 0;
  }
}

/**
 * Eigenvalues of an upper Hessenberg matrix (destroyed) by the Francis double-shift QR
 * algorithm with exceptional shifts after 10 and 20 stalled iterations (EISPACK's hqr).
 */
function hqr(a: Float64Array[]): ComplexValues {
  const n = a.length;
  const wr = new Float64Array(n);
  const wi = new Float64Array(n);
  let anorm = 0;
  for (let i = 0; i < n; i++) for (let j = Math.max(i - 1, 0); j < n; j++) anorm += Math.abs(a[i][j]);
  let nn = n - 1;
  let t = 0;
  const sign = (x: number, y: number) => (y >= 0 ? Math.abs(x) : -Math.abs(x));
  let p = 0;
  let q = 0;
  let r = 0;
  while (nn >= 0) {
    let its = 0;
    let l: number;
    do {
      // look for a single small subdiagonal element to split the matrix
      for (l = nn; l >= 1; l--) {
        let s = Math.abs(a[l - 1][l - 1]) + Math.abs(a[l][l]);
        if (s === 0) s = anorm;
        if (Math.abs(a[l][l - 1]) + s === s) {
          a[l][l - 1] = 0;
          break;
        }
      }
      let x = a[nn][nn];
      if (l === nn) {
        // one root found
        wr[nn] = x + t;
        wi[nn] = 0;
        nn--;
      } else {
        let y = a[nn - 1][nn - 1];
        let w = a[nn][nn - 1] * a[nn - 1][nn];
        if (l === nn - 1) {
          // two roots: the eigenvalues of the trailing 2 × 2 block
          p = 0.5 * (y - x);
          q = p * p + w;
          const z = Math.sqrt(Math.abs(q));
          x += t;
          if (q >= 0) {
            const zz = p + sign(z, p);
            wr[nn - 1] = wr[nn] = x + zz;
            if (zz !== 0) wr[nn] = x - w / zz;
            wi[nn - 1] = wi[nn] = 0;
          } else {
            wr[nn - 1] = wr[nn] = x + p;
            wi[nn - 1] = -z;
            wi[nn] = z;
          }
          nn -= 2;
        } else {
          if (its === 60) throw new Error("eigenvalues: the QR iteration did not converge");
          if (its === 10 || its === 20) {
            // exceptional shift
            t += x;
            for (let i = 0; i <= nn; i++) a[i][i] -= x;
            const s = Math.abs(a[nn][nn - 1]) + Math.abs(a[nn - 1][nn - 2]);
            y = x = 0.75 * s;
            w = -0.4375 * s * s;
          }
          its++;
          // form the shift and look for two consecutive small subdiagonal elements
          let m: number;
          let z = 0;
          for (m = nn - 2; m >= l; m--) {
            z = a[m][m];
            r = x - z;
            const s0 = y - z;
            p = (r * s0 - w) / a[m + 1][m] + a[m][m + 1];
            q = a[m + 1][m + 1] - z - r - s0;
            r = a[m + 2][m + 1];
            const s = Math.abs(p) + Math.abs(q) + Math.abs(r);
            p /= s;
            q /= s;
            r /= s;
            if (m === l) break;
            const u = Math.abs(a[m][m - 1]) * (Math.abs(q) + Math.abs(r));
            const v = Math.abs(p) * (Math.abs(a[m - 1][m - 1]) + Math.abs(z) + Math.abs(a[m + 1][m + 1]));
            if (u + v === v) break;
          }
          for (let i = m + 2; i <= nn; i++) {
            a[i][i - 2] = 0;
            if (i !== m + 2) a[i][i - 3] = 0;
          }
          // the double QR step on rows l..nn and columns m..nn
          for (let k = m; k <= nn - 1; k++) {
            if (k !== m) {
              p = a[k][k - 1];
              q = a[k + 1][k - 1];
              r = k !== nn - 1 ? a[k + 2][k - 1] : 0;
              x = Math.abs(p) + Math.abs(q) + Math.abs(r);
              if (x !== 0) {
                p /= x;
                q /= x;
                r /= x;
              }
            }
            const s = sign(Math.sqrt(p * p + q * q + r * r), p);
            if (s !== 0) {
              if (k === m) {
                if (l !== m) a[k][k - 1] = -a[k][k - 1];
              } else a[k][k - 1] = -s * x;
              p += s;
              x = p / s;
              y = q / s;
              z = r / s;
              q /= p;
              r /= p;
              for (let j = k; j <= nn; j++) {
                let pp = a[k][j] + q * a[k + 1][j];
                if (k !== nn - 1) {
                  pp += r * a[k + 2][j];
                  a[k + 2][j] -= pp * z;
                }
                a[k + 1][j] -= pp * y;
                a[k][j] -= pp * x;
              }
              const mmin = nn < k + 3 ? nn : k + 3;
              for (let i = l; i <= mmin; i++) {
                let pp = x * a[i][k] + y * a[i][k + 1];
                if (k !== nn - 1) {
                  pp += z * a[i][k + 2];
                  a[i][k + 2] -= pp * r;
                }
                a[i][k + 1] -= pp * q;
                a[i][k] -= pp;
              }
            }
          }
        }
      }
    } while (l < nn - 1);
  }
  return { re: wr, im: wi };
}

// ------------------------------------------------------------------------------ FactoredMatrix

/** M = A·B kept as its factors A (m × k) and B (k × n) (TransformerLens's FactoredMatrix). */
export class FactoredMatrix {
  readonly A: Matrix64;
  readonly B: Matrix64;

  constructor(A: MatrixInput, B: MatrixInput) {
    this.A = toMatrix64(A, "FactoredMatrix A");
    this.B = toMatrix64(B, "FactoredMatrix B");
    if (this.A.cols !== this.B.rows) throw new Error(`FactoredMatrix: A is ${this.A.rows} × ${this.A.cols} but B is ${this.B.rows} × ${this.B.cols}; A's columns must equal B's rows`);
  }

  /** [m, n]: the shape of AB. */
  get shape(): [number, number] {
    return [this.A.rows, this.B.cols];
  }
  /** m, k, n as TransformerLens calls them. */
  get ldim(): number {
    return this.A.rows;
  }
  get mdim(): number {
    return this.A.cols;
  }
  get rdim(): number {
    return this.B.cols;
  }

  /** The dense product AB (m × n). */
  get AB(): Matrix64 {
    return matmul64(this.A, this.B);
  }

  /** BA (k × k): same nonzero eigenvalues as AB. Needs a square AB. */
  get BA(): Matrix64 {
    if (this.ldim !== this.rdim) throw new Error(`FactoredMatrix.BA: AB must be square, it is ${this.ldim} × ${this.rdim}`);
    return matmul64(this.B, this.A);
  }

  /** (AB)ᵀ = Bᵀ Aᵀ, still factored. */
  get T(): FactoredMatrix {
    return new FactoredMatrix(transpose64(this.B), transpose64(this.A));
  }

  /** (AB)·M: a factored product; with a dense M the factors become A and B·M. */
  matmul(other: MatrixInput | FactoredMatrix): FactoredMatrix {
    if (other instanceof FactoredMatrix) {
      if (other.ldim !== this.rdim) throw new Error(`FactoredMatrix.matmul: ${this.ldim} × ${this.rdim} times ${other.ldim} × ${other.rdim}`);
      // keep the smaller inner dimension: A (B A' B') or (A B A') B'
      return this.mdim <= other.mdim ? new FactoredMatrix(this.A, matmul64(matmul64(this.B, other.A), other.B)) : new FactoredMatrix(matmul64(this.A, matmul64(this.B, other.A)), other.B);
    }
    const m = toMatrix64(other, "FactoredMatrix.matmul");
    if (m.rows !== this.rdim) throw new Error(`FactoredMatrix.matmul: ${this.ldim} × ${this.rdim} times ${m.rows} × ${m.cols}`);
    return new FactoredMatrix(this.A, matmul64(this.B, m));
  }

  /** M·(AB) with a dense M: factors M·A and B. */
  rmatmul(other: MatrixInput): FactoredMatrix {
    const m = toMatrix64(other, "FactoredMatrix.rmatmul");
    if (m.cols !== this.ldim) throw new Error(`FactoredMatrix.rmatmul: ${m.rows} × ${m.cols} times ${this.ldim} × ${this.rdim}`);
    return new FactoredMatrix(matmul64(m, this.A), this.B);
  }

  /** ‖AB‖_F² = Σ_ij (AᵀA)_ij (BBᵀ)_ij: two k × k Gram matrices, never the m × n product. */
  norm(): number {
    const ga = gram(this.A);
    const gb = gram(transpose64(this.B));
    let s = 0;
    for (let i = 0; i < ga.data.length; i++) s += ga.data[i] * gb.data[i];
    return Math.sqrt(Math.max(0, s));
  }

  /**
   * Thin SVD of AB through the inner dimension: A = Q_A R_A, Bᵀ = Q_B R_B, and the SVD of the
   * k × k core R_A R_Bᵀ. Returns min(m, k, n) singular triplets. (With k ≥ min(m, n) the dense
   * product is decomposed instead.)
   */
  svd(): Svd64 {
    const [m, n] = this.shape;
    const k = this.mdim;
    if (k >= Math.min(m, n)) return svd64(this.AB);
    const qa = qr64(this.A);
    const qb = qr64(transpose64(this.B));
    const core = matmul64(qa.r, transpose64(qb.r)); // k × k
    const c = svd64(core);
    return { U: matmul64(qa.q, c.U), S: c.S, V: matmul64(qb.q, c.V) };
  }

  /** Singular values of AB (descending). */
  singularValues(): Float64Array {
    return this.svd().S;
  }

  /** The k eigenvalues of BA: the nonzero eigenvalues of AB (the other m − k are 0). */
  eigenvalues(): ComplexValues {
    return eigenvalues(this.BA);
  }

  /** The top-left corner of AB, computed alone (for printing). */
  getCorner(size = 3): number[][] {
    const r = Math.min(size, this.ldim);
    const c = Math.min(size, this.rdim);
    return Array.from({ length: r }, (_, i) =>
      Array.from({ length: c }, (_, j) => {
        let s = 0;
        for (let p = 0; p < this.mdim; p++) s += this.A.data[i * this.mdim + p] * this.B.data[p * this.rdim + j];
        return s;
      }),
    );
  }

  /** Row i of AB. */
  row(i: number): Float64Array {
    if (!(Number.isInteger(i) && i >= 0 && i < this.ldim)) throw new Error(`FactoredMatrix.row: index ${i} is out of range [0, ${this.ldim})`);
    const out = new Float64Array(this.rdim);
    for (let p = 0; p < this.mdim; p++) {
      const a = this.A.data[i * this.mdim + p];
      for (let j = 0; j < this.rdim; j++) out[j] += a * this.B.data[p * this.rdim + j];
    }
    return out;
  }

  /** The diagonal of AB (square only): Σ_p A[i][p] B[p][i]. */
  diagonal(): Float64Array {
    if (this.ldim !== this.rdim) throw new Error("FactoredMatrix.diagonal: AB must be square");
    const out = new Float64Array(this.ldim);
    for (let i = 0; i < this.ldim; i++) {
      let s = 0;
      for (let p = 0; p < this.mdim; p++) s += this.A.data[i * this.mdim + p] * this.B.data[p * this.rdim + i];
      out[i] = s;
    }
    return out;
  }

  /** AB as a float32 tensor (dense; mind the size). */
  toTensor(): Tensor {
    return matrixToTensor(this.AB);
  }
}

/**
 * The copying score of a square matrix's spectrum (TransformerLens, "OV copying score"):
 *   Re(Σ λ) / Σ |λ|  ∈ [−1, 1],
 * 1 when every eigenvalue is positive real (the map copies its input direction, scaled up), −1
 * when every eigenvalue is negative real.
 */
export function copyingScoreOf(eig: ComplexValues): number {
  let sum = 0;
  let abs = 0;
  for (let i = 0; i < eig.re.length; i++) {
    sum += eig.re[i];
    abs += Math.hypot(eig.re[i], eig.im[i]);
  }
  return abs === 0 ? 0 : sum / abs;
}

/** The fraction of eigenvalues with a positive real part (ignoring those of modulus ≤ tol·max). */
export function positiveEigenvalueFraction(eig: ComplexValues, tol = 1e-9): number {
  let maxAbs = 0;
  for (let i = 0; i < eig.re.length; i++) maxAbs = Math.max(maxAbs, Math.hypot(eig.re[i], eig.im[i]));
  let pos = 0;
  let count = 0;
  for (let i = 0; i < eig.re.length; i++) {
    if (Math.hypot(eig.re[i], eig.im[i]) <= tol * maxAbs) continue;
    count++;
    if (eig.re[i] > 0) pos++;
  }
  return count === 0 ? 0 : pos / count;
}
