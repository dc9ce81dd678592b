// Small dense linear algebra in float64, row-major Float64Array storage: what the sparse
// algorithms need on their small projected problems (a k × k matrix after a Krylov or randomized
// projection), and what direct methods use on small vocabularies (a char-level chain has ~65 states).
//   orthonormalize — Gram–Schmidt, twice (QR of a block of vectors)
//   svdJacobi      — one-sided Jacobi SVD (accurate small singular values, simple to read)
//   solve          — Gaussian elimination with partial pivoting

const EPS = 2.220446049250313e-16;

/**
 * Orthonormalizes the vectors q[0..l) in place and returns R (l × l, row-major, upper triangular)
 * with q_original[j] = Σ_i R[i][j] q[i], i.e. Y = Q R for the matrix Y with these columns.
 * Modified Gram–Schmidt run twice per vector ("twice is enough", Giraud et al. 2005) restores the
 * orthogonality that round-off loses. A vector (numerically) in the span of the previous ones
 * becomes zero with R[j][j] = 0: the block's rank shows in R rather than as amplified noise.
 */
export function orthonormalize(q: Float64Array[]): Float64Array {
  const l = q.length;
  const r = new Float64Array(l * l);
  for (let j = 0; j < l; j++) {
    const qj = q[j];
    const before = Math.sqrt(dot(qj, qj));
    for (let pass = 0; pass < 2; pass++) {
      for (let p = 0; p < j; p++) {
        const qp = q[p];
        const d = dot(qp, qj);
        r[p * l + j] += d;
        for (let i = 0; i < qj.length; i++) qj[i] -= d * qp[i];
      }
    }
    const norm = Math.sqrt(dot(qj, qj));
    if (norm === 0 || norm <= 1e3 * EPS * before) {
      qj.fill(0);
      continue; // R[j][j] stays 0
    }
    r[j * l + j] = norm;
    for (let i = 0; i < qj.length; i++) qj[i] /= norm;
  }
  return r;
}

export function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export interface DenseSvd {
  /** m × k row-major, orthonormal columns (k = min(m, n)). */
  u: Float64Array;
  /** The k singular values, descending. */
  s: Float64Array;
  /** n × k row-major, orthonormal columns: A = U diag(s) Vᵀ. */
  v: Float64Array;
}

/**
 * Thin SVD of a dense m × n matrix by one-sided Jacobi (Hestenes 1958): rotate pairs of columns
 * until every pair is orthogonal. Then the columns of A·V are U·diag(s). It costs more than
 * Golub–Kahan but computes even tiny singular values to high relative accuracy, which is what a
 * numerical-rank estimate needs. For m < n it works on Aᵀ and swaps U and V.
 */
export function svdJacobi(a: Float64Array, m: number, n: number, maxSweeps = 60): DenseSvd {
  if (a.length !== m * n) throw new Error(`svdJacobi: expected ${m} × ${n} = ${m * n} values, got ${a.length}`);
  if (m < n) {
    const t = svdJacobi(transposeDense(a, m, n), n, m, maxSweeps);
    return { u: t.v, s: t.s, v: t.u };
  }
  // work on columns, each contiguous: w[j] becomes σ_j u_j, v[j] accumulates the rotations
  const w = Array.from({ length: n }, (_, j) => Float64Array.from({ length: m }, (_, i) => a[i * n + j]));
  const v = Array.from({ length: n }, (_, j) => {
    const e = new Float64Array(n);
    e[j] = 1;
    return e;
  });
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const alpha = dot(w[p], w[p]);
        const beta = dot(w[q], w[q]);
        const gamma = dot(w[p], w[q]);
        if (gamma === 0 || Math.abs(gamma) <= EPS * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        // the rotation that zeroes the off-diagonal of the 2 × 2 Gram matrix [[α, γ], [γ, β]]
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        rotate(w[p], w[q], c, c * t);
        rotate(v[p], v[q], c, c * t);
      }
    }
    if (!rotated) break;
  }
  // singular values are the column norms; sort them descending
  const norms = w.map((col) => Math.sqrt(dot(col, col)));
  const order = norms.map((_, j) => j).sort((x, y) => norms[y] - norms[x]);
  const u = new Float64Array(m * n);
  const s = new Float64Array(n);
  const vOut = new Float64Array(n * n);
  order.forEach((j, k) => {
    s[k] = norms[j];
    for (let i = 0; i < m; i++) u[i * n + k] = norms[j] > 0 ? w[j][i] / norms[j] : 0;
    for (let i = 0; i < n; i++) vOut[i * n + k] = v[j][i];
  });
  return { u, s, v: vOut };
}

/** (x, y) ← (c x − s y, s x + c y). */
function rotate(x: Float64Array, y: Float64Array, c: number, s: number): void {
  for (let i = 0; i < x.length; i++) {
    const xi = x[i];
    const yi = y[i];
    x[i] = c * xi - s * yi;
    y[i] = s * xi + c * yi;
  }
}

export function transposeDense(a: Float64Array, m: number, n: number): Float64Array {
  const t = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) t[j * m + i] = a[i * n + j];
  return t;
}

/**
 * Solves A x = b for a square n × n row-major A by Gaussian elimination with partial pivoting
 * (A is copied, not changed). Throws if A is singular to working precision.
 */
export function solve(a: Float64Array, b: Float64Array, n: number): Float64Array {
  if (a.length !== n * n || b.length !== n) throw new Error(`solve: expected a ${n} × ${n} matrix and ${n} right-hand side values, got ${a.length} and ${b.length}`);
  const m = Float64Array.from(a);
  const x = Float64Array.from(b);
  let scale = 0;
  for (let k = 0; k < m.length; k++) scale = Math.max(scale, Math.abs(m[k]));
  for (let col = 0; col < n; col++) {
    let piv = col;
    for (let i = col + 1; i < n; i++) if (Math.abs(m[i * n + col]) > Math.abs(m[piv * n + col])) piv = i;
    if (Math.abs(m[piv * n + col]) <= n * EPS * scale) throw new Error(`solve: matrix is singular to working precision (pivot ${col})`);
    if (piv !== col) {
      for (let j = 0; j < n; j++) [m[col * n + j], m[piv * n + j]] = [m[piv * n + j], m[col * n + j]];
      [x[col], x[piv]] = [x[piv], x[col]];
    }
    for (let i = col + 1; i < n; i++) {
      const f = m[i * n + col] / m[col * n + col];
      if (f === 0) continue;
      for (let j = col; j < n; j++) m[i * n + j] -= f * m[col * n + j];
      x[i] -= f * x[col];
    }
  }
  for (let i = n - 1; i >= 0; i--) {
    let acc = x[i];
    for (let j = i + 1; j < n; j++) acc -= m[i * n + j] * x[j];
    x[i] = acc / m[i * n + i];
  }
  return x;
}
