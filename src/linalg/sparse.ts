// Sparse matrices in CSR (compressed sparse row) form, float64.
//
// A bigram transition matrix over GPT-2's vocabulary is 50257 × 50257 ≈ 2.5e9 entries (20 GB as
// float64), yet a corpus of a million tokens fills at most a million of them. CSR stores only the
// non-zeros, row by row:
//   row i holds the entries k in [rowPtr[i], rowPtr[i+1]), at column colIdx[k] with value values[k].
// Every algorithm on it (power iteration, Arnoldi, randomized SVD) touches the matrix only through
// products A·x and Aᵀ·y, which cost O(nnz) instead of O(rows · cols).

/** Anything that can multiply a vector: y = A x (apply) and y = Aᵀ x (applyT). */
export interface LinearOperator {
  readonly rows: number;
  readonly cols: number;
  /** y ← A x. x has length cols, y has length rows. */
  apply(x: Float64Array, y: Float64Array): void;
  /** y ← Aᵀ x. x has length rows, y has length cols. */
  applyT(x: Float64Array, y: Float64Array): void;
}

export class CsrMatrix implements LinearOperator {
  constructor(
    readonly rows: number,
    readonly cols: number,
    /** rowPtr[i]..rowPtr[i+1] index the non-zeros of row i; length rows + 1. */
    readonly rowPtr: Int32Array,
    /** Column of each stored entry, increasing within a row. */
    readonly colIdx: Int32Array,
    readonly values: Float64Array,
  ) {
    if (!Number.isSafeInteger(rows) || rows < 0 || !Number.isSafeInteger(cols) || cols < 0) {
      throw new Error(`CsrMatrix: shape must be non-negative integers, got ${rows} × ${cols}`);
    }
    if (rowPtr.length !== rows + 1) throw new Error(`CsrMatrix: rowPtr must have rows + 1 = ${rows + 1} entries, got ${rowPtr.length}`);
    const nnz = rowPtr[rows];
    if (rowPtr[0] !== 0 || colIdx.length !== nnz || values.length !== nnz) {
      throw new Error(`CsrMatrix: rowPtr[0] must be 0 and rowPtr[rows] (${nnz}) must equal colIdx.length (${colIdx.length}) and values.length (${values.length})`);
    }
    for (let i = 0; i < rows; i++) {
      const start = rowPtr[i];
      const end = rowPtr[i + 1];
      if (end < start) throw new Error(`CsrMatrix: rowPtr decreases at row ${i}`);
      for (let k = start; k < end; k++) {
        const c = colIdx[k];
        if (c < 0 || c >= cols || (k > start && c <= colIdx[k - 1])) {
          throw new Error(`CsrMatrix: row ${i} has column ${c} out of range [0, ${cols}) or out of increasing order`);
        }
      }
    }
  }

  /** Number of stored (non-zero) entries. */
  get nnz(): number {
    return this.rowPtr[this.rows];
  }

  /**
   * Builds a matrix from (row, col, value) triplets, the natural output of counting. Duplicate
   * (row, col) pairs are summed; explicit zeros are dropped.
   */
  static fromTriplets(rows: number, cols: number, r: ArrayLike<number>, c: ArrayLike<number>, v: ArrayLike<number>): CsrMatrix {
    const n = r.length;
    if (c.length !== n || v.length !== n) throw new Error(`CsrMatrix.fromTriplets: rows, cols and values must have the same length, got ${n}, ${c.length}, ${v.length}`);
    // counting sort by row, then sort each row's columns and merge duplicates
    const count = new Int32Array(rows + 1);
    for (let k = 0; k < n; k++) {
      const i = r[k];
      const j = c[k];
      if (!Number.isInteger(i) || i < 0 || i >= rows || !Number.isInteger(j) || j < 0 || j >= cols) {
        throw new Error(`CsrMatrix.fromTriplets: entry ${k} at (${i}, ${j}) is outside the ${rows} × ${cols} matrix`);
      }
      count[i + 1]++;
    }
    for (let i = 0; i < rows; i++) count[i + 1] += count[i];
    const next = count.slice(0, rows);
    const cols0 = new Int32Array(n);
    const vals0 = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      const p = next[r[k]]++;
      cols0[p] = c[k];
      vals0[p] = v[k];
    }
    const rowPtr = new Int32Array(rows + 1);
    const colIdx: number[] = [];
    const values: number[] = [];
    for (let i = 0; i < rows; i++) {
      const order = Array.from({ length: count[i + 1] - count[i] }, (_, t) => count[i] + t).sort((a, b) => cols0[a] - cols0[b]);
      let lastCol = -1;
      for (const p of order) {
        if (cols0[p] === lastCol) values[values.length - 1] += vals0[p];
        else {
          colIdx.push(cols0[p]);
          values.push(vals0[p]);
          lastCol = cols0[p];
        }
      }
      // drop entries that summed (or were given) as exactly zero
      let w = rowPtr[i];
      for (let k = rowPtr[i]; k < colIdx.length; k++) {
        if (values[k] !== 0) {
          colIdx[w] = colIdx[k];
          values[w] = values[k];
          w++;
        }
      }
      colIdx.length = w;
      values.length = w;
      rowPtr[i + 1] = w;
    }
    return new CsrMatrix(rows, cols, rowPtr, Int32Array.from(colIdx), Float64Array.from(values));
  }

  /** A dense matrix (array of rows) in CSR form; for tests and small examples. */
  static fromDense(a: ArrayLike<number>[]): CsrMatrix {
    const rows = a.length;
    const cols = rows === 0 ? 0 : a[0].length;
    const r: number[] = [];
    const c: number[] = [];
    const v: number[] = [];
    a.forEach((row, i) => {
      if (row.length !== cols) throw new Error(`CsrMatrix.fromDense: row ${i} has ${row.length} entries, row 0 has ${cols}`);
      for (let j = 0; j < cols; j++) {
        if (row[j] !== 0) {
          r.push(i);
          c.push(j);
          v.push(row[j]);
        }
      }
    });
    return CsrMatrix.fromTriplets(rows, cols, r, c, v);
  }

  /** Dense copy as an array of rows. Refuses big matrices: that is the point of CSR. */
  toDense(maxEntries = 1 << 24): Float64Array[] {
    if (this.rows * this.cols > maxEntries) {
      throw new Error(`CsrMatrix.toDense: ${this.rows} × ${this.cols} is more than ${maxEntries} entries; keep it sparse`);
    }
    const out = Array.from({ length: this.rows }, () => new Float64Array(this.cols));
    for (let i = 0; i < this.rows; i++) {
      for (let k = this.rowPtr[i]; k < this.rowPtr[i + 1]; k++) out[i][this.colIdx[k]] = this.values[k];
    }
    return out;
  }

  /** A(i, j), by binary search in row i. */
  get(i: number, j: number): number {
    let lo = this.rowPtr[i];
    let hi = this.rowPtr[i + 1] - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const c = this.colIdx[mid];
      if (c === j) return this.values[mid];
      if (c < j) lo = mid + 1;
      else hi = mid - 1;
    }
    return 0;
  }

  /** Number of stored entries in row i (the "support" of a transition row). */
  rowNnz(i: number): number {
    return this.rowPtr[i + 1] - this.rowPtr[i];
  }

  rowSums(): Float64Array {
    const s = new Float64Array(this.rows);
    for (let i = 0; i < this.rows; i++) {
      let acc = 0;
      for (let k = this.rowPtr[i]; k < this.rowPtr[i + 1]; k++) acc += this.values[k];
      s[i] = acc;
    }
    return s;
  }

  colSums(): Float64Array {
    const s = new Float64Array(this.cols);
    for (let k = 0; k < this.nnz; k++) s[this.colIdx[k]] += this.values[k];
    return s;
  }

  apply(x: Float64Array, y: Float64Array): void {
    if (x.length !== this.cols || y.length !== this.rows) throw new Error(`CsrMatrix.apply: ${this.rows} × ${this.cols} matrix needs x of length ${this.cols} and y of length ${this.rows}, got ${x.length} and ${y.length}`);
    const { rowPtr, colIdx, values } = this;
    for (let i = 0; i < this.rows; i++) {
      let acc = 0;
      for (let k = rowPtr[i]; k < rowPtr[i + 1]; k++) acc += values[k] * x[colIdx[k]];
      y[i] = acc;
    }
  }

  applyT(x: Float64Array, y: Float64Array): void {
    if (x.length !== this.rows || y.length !== this.cols) throw new Error(`CsrMatrix.applyT: ${this.rows} × ${this.cols} matrix needs x of length ${this.rows} and y of length ${this.cols}, got ${x.length} and ${y.length}`);
    const { rowPtr, colIdx, values } = this;
    y.fill(0);
    // Aᵀx = Σ_i x_i · (row i of A): scatter each row, no transpose needed
    for (let i = 0; i < this.rows; i++) {
      const xi = x[i];
      if (xi === 0) continue;
      for (let k = rowPtr[i]; k < rowPtr[i + 1]; k++) y[colIdx[k]] += values[k] * xi;
    }
  }

  transpose(): CsrMatrix {
    const count = new Int32Array(this.cols + 1);
    for (let k = 0; k < this.nnz; k++) count[this.colIdx[k] + 1]++;
    for (let j = 0; j < this.cols; j++) count[j + 1] += count[j];
    const next = count.slice(0, this.cols);
    const colIdx = new Int32Array(this.nnz);
    const values = new Float64Array(this.nnz);
    // rows are visited in increasing order, so each transposed row comes out sorted
    for (let i = 0; i < this.rows; i++) {
      for (let k = this.rowPtr[i]; k < this.rowPtr[i + 1]; k++) {
        const p = next[this.colIdx[k]]++;
        colIdx[p] = i;
        values[p] = this.values[k];
      }
    }
    return new CsrMatrix(this.cols, this.rows, count, colIdx, values);
  }

  /** D A with D = diag(d): scales row i by d[i] (e.g. counts → probabilities). */
  scaleRows(d: ArrayLike<number>): CsrMatrix {
    if (d.length !== this.rows) throw new Error(`CsrMatrix.scaleRows: need ${this.rows} factors, got ${d.length}`);
    const values = new Float64Array(this.nnz);
    for (let i = 0; i < this.rows; i++) {
      for (let k = this.rowPtr[i]; k < this.rowPtr[i + 1]; k++) values[k] = this.values[k] * d[i];
    }
    return new CsrMatrix(this.rows, this.cols, this.rowPtr, this.colIdx, values);
  }
}
