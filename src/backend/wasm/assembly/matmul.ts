// AssemblyScript: single-precision matrix multiply C = op(A)·op(B) with WebAssembly SIMD.
//
// The classic GotoBLAS/BLIS structure, small enough to read:
// 1. pack a KC-deep slice of op(B) into column panels NR = 8 wide (two f32x4 vectors), zero-padded;
// 2. the micro-kernel keeps a 4×8 block of C in 8 vector registers and, for each p, adds
//    A[i, p]·B[p, j..j+8] with one broadcast and two fused multiply-adds per row.
// Packing turns any transpose of B into unit-stride loads; the 4 rows of op(A) are read in place
// through four byte offsets and a stride (a broadcast load needs no contiguity), so all four
// transpose forms share the kernel and A is never copied.
// Rows of C are independent, so threads can split [rowStart, rowEnd) with bit-identical results.

// @ts-ignore: decorator
@inline export const MR: i32 = 4;
// @ts-ignore: decorator
@inline export const NR: i32 = 8;
// @ts-ignore: decorator
@inline const KC: i32 = 256;

// a·b + c: one fused instruction with relaxed SIMD, else multiply then add.
// @ts-ignore: decorator
@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** Pack op(B) rows p0..p0+kc, all n columns, as panels: dst[(jp·kc + p)·NR + c] (zero past n). */
export function packB(b: usize, rowStride: i32, colStride: i32, p0: i32, kc: i32, n: i32, dst: usize): void {
  const panels = (n + NR - 1) / NR;
  for (let jp = 0; jp < panels; jp++) {
    const j0 = jp * NR;
    const base = dst + (<usize>(jp * kc * NR) << 2);
    if (colStride == 1 && j0 + NR <= n) {
      // fast path: each row of the panel is 8 contiguous floats
      for (let p = 0; p < kc; p++) {
        const src = b + (<usize>((p0 + p) * rowStride + j0) << 2);
        const d = base + (<usize>(p * NR) << 2);
        v128.store(d, v128.load(src));
        v128.store(d, v128.load(src, 16), 16);
      }
    } else {
      for (let p = 0; p < kc; p++) {
        for (let c = 0; c < NR; c++) {
          const j = j0 + c;
          const v: f32 = j < n ? load<f32>(b + (<usize>((p0 + p) * rowStride + j * colStride) << 2)) : 0;
          store<f32>(base + (<usize>(p * NR + c) << 2), v);
        }
      }
    }
  }
}

/**
 * C[4×8] (+)= A·Bp over kc steps, A(r, p) at ap + o_r + p·cs (bytes; o0 = 0, rows past mr repeat
 * the last row's offset and their results are dropped). Writes the mr×nr corner that lies inside
 * C; `accumulate` adds to C (later KC slices) instead of overwriting it (the first slice).
 */
export function kernel(ap: usize, o1: usize, o2: usize, o3: usize, cs: usize, bp: usize, kc: i32, c: usize, ldc: i32, mr: i32, nr: i32, accumulate: bool, tmp: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(bp);
    const b1 = v128.load(bp, 16);
    const a0 = v128.load32_splat(ap);
    c00 = madd(a0, b0, c00);
    c01 = madd(a0, b1, c01);
    const a1 = v128.load32_splat(ap + o1);
    c10 = madd(a1, b0, c10);
    c11 = madd(a1, b1, c11);
    const a2 = v128.load32_splat(ap + o2);
    c20 = madd(a2, b0, c20);
    c21 = madd(a2, b1, c21);
    const a3 = v128.load32_splat(ap + o3);
    c30 = madd(a3, b0, c30);
    c31 = madd(a3, b1, c31);
    ap += cs;
    bp += NR << 2;
  }
  if (mr == MR && nr == NR) {
    const row = <usize>ldc << 2;
    if (accumulate) {
      v128.store(c, f32x4.add(v128.load(c), c00));
      v128.store(c, f32x4.add(v128.load(c, 16), c01), 16);
      v128.store(c + row, f32x4.add(v128.load(c + row), c10));
      v128.store(c + row, f32x4.add(v128.load(c + row, 16), c11), 16);
      v128.store(c + 2 * row, f32x4.add(v128.load(c + 2 * row), c20));
      v128.store(c + 2 * row, f32x4.add(v128.load(c + 2 * row, 16), c21), 16);
      v128.store(c + 3 * row, f32x4.add(v128.load(c + 3 * row), c30));
      v128.store(c + 3 * row, f32x4.add(v128.load(c + 3 * row, 16), c31), 16);
    } else {
      v128.store(c, c00);
      v128.store(c, c01, 16);
      v128.store(c + row, c10);
      v128.store(c + row, c11, 16);
      v128.store(c + 2 * row, c20);
      v128.store(c + 2 * row, c21, 16);
      v128.store(c + 3 * row, c30);
      v128.store(c + 3 * row, c31, 16);
    }
    return;
  }
  // edge tile: spill to this caller's scratch tile (threads must not share it), copy the part inside C
  v128.store(tmp, c00); v128.store(tmp, c01, 16);
  v128.store(tmp, c10, 32); v128.store(tmp, c11, 48);
  v128.store(tmp, c20, 64); v128.store(tmp, c21, 80);
  v128.store(tmp, c30, 96); v128.store(tmp, c31, 112);
  for (let r = 0; r < mr; r++) {
    for (let j = 0; j < nr; j++) {
      const dst = c + (<usize>(r * ldc + j) << 2);
      const v = load<f32>(tmp + (<usize>(r * NR + j) << 2));
      store<f32>(dst, accumulate ? load<f32>(dst) + v : v);
    }
  }
}

/** The four lanes' sum, lanes in order. */
// @ts-ignore: decorator
@inline function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

/**
 * a · b over k contiguous floats, given the two accumulators of its first p0 (a multiple of 8)
 * steps: the same operations whichever loop below computed those, so a column's bits do not
 * depend on which columns share its loop (or thread).
 */
// @ts-ignore: decorator
@inline function dotFinish(s0: v128, s1: v128, a: usize, b: usize, p0: i32, k: i32): f32 {
  let acc = f32x4.add(s0, s1);
  let p = p0;
  for (; p + 4 <= k; p += 4) acc = madd(v128.load(a + (<usize>p << 2)), v128.load(b + (<usize>p << 2)), acc);
  let s = hsum(acc);
  for (; p < k; p++) s += load<f32>(a + (<usize>p << 2)) * load<f32>(b + (<usize>p << 2));
  return s;
}

/**
 * C[i, j] = A[i, :] · B[:, j] for columns [0, n) when both are contiguous along k (a linear
 * layer's x·Wᵀ): four columns at a time, each with two accumulators (8 independent chains of
 * fused multiply-adds, enough to hide their latency), sharing the loads of A's row.
 */
function dotColumns(ai: usize, b: usize, bCol: i32, ci: usize, k: i32, n: i32): void {
  const stride = <usize>bCol << 2;
  const k8 = k & ~7;
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const b0 = b + <usize>j * stride, b1 = b0 + stride, b2 = b1 + stride, b3 = b2 + stride;
    let s00 = f32x4.splat(0), s01 = f32x4.splat(0), s10 = f32x4.splat(0), s11 = f32x4.splat(0);
    let s20 = f32x4.splat(0), s21 = f32x4.splat(0), s30 = f32x4.splat(0), s31 = f32x4.splat(0);
    for (let p = 0; p < k8; p += 8) {
      const o = <usize>p << 2;
      const x0 = v128.load(ai + o), x1 = v128.load(ai + o, 16);
      s00 = madd(x0, v128.load(b0 + o), s00);
      s01 = madd(x1, v128.load(b0 + o, 16), s01);
      s10 = madd(x0, v128.load(b1 + o), s10);
      s11 = madd(x1, v128.load(b1 + o, 16), s11);
      s20 = madd(x0, v128.load(b2 + o), s20);
      s21 = madd(x1, v128.load(b2 + o, 16), s21);
      s30 = madd(x0, v128.load(b3 + o), s30);
      s31 = madd(x1, v128.load(b3 + o, 16), s31);
    }
    const cj = ci + (<usize>j << 2);
    store<f32>(cj, dotFinish(s00, s01, ai, b0, k8, k));
    store<f32>(cj, dotFinish(s10, s11, ai, b1, k8, k), 4);
    store<f32>(cj, dotFinish(s20, s21, ai, b2, k8, k), 8);
    store<f32>(cj, dotFinish(s30, s31, ai, b3, k8, k), 12);
  }
  for (; j < n; j++) {
    const bj = b + <usize>j * stride;
    let s0 = f32x4.splat(0), s1 = f32x4.splat(0);
    for (let p = 0; p < k8; p += 8) {
      const o = <usize>p << 2;
      s0 = madd(v128.load(ai + o), v128.load(bj + o), s0);
      s1 = madd(v128.load(ai + o, 16), v128.load(bj + o, 16), s1);
    }
    store<f32>(ci + (<usize>j << 2), dotFinish(s0, s1, ai, bj, k8, k));
  }
}

/**
 * C row i = Σ_p A[i, p] B[p, :] for row-major B (columns contiguous), accumulated in C itself
 * (one row, in L1) while B streams by four consecutive rows at a time: the access pattern a
 * prefetcher follows, unlike a walk down B's columns. Each element of C gets the same fused
 * multiply-adds in the same order (p = 0, 1, …) whichever part of the loops computes it.
 */
function axpyColumns(ai: usize, aCol: i32, b: usize, bRow: i32, ci: usize, k: i32, n: i32): void {
  const aStep = <usize>aCol << 2;
  const bStep = <usize>bRow << 2;
  const bytes4 = <usize>(n & ~3) << 2; // the columns done in vectors; the rest one at a time
  const zero = f32x4.splat(0);
  for (let o: usize = 0; o < bytes4; o += 16) v128.store(ci + o, zero);
  let p = 0;
  for (; p + 4 <= k; p += 4) {
    const ap = ai + <usize>p * aStep;
    const a0 = v128.load32_splat(ap), a1 = v128.load32_splat(ap + aStep);
    const a2 = v128.load32_splat(ap + 2 * aStep), a3 = v128.load32_splat(ap + 3 * aStep);
    const r0 = b + <usize>p * bStep, r1 = r0 + bStep, r2 = r1 + bStep, r3 = r2 + bStep;
    for (let o: usize = 0; o < bytes4; o += 16) {
      let c = v128.load(ci + o);
      c = madd(a0, v128.load(r0 + o), c);
      c = madd(a1, v128.load(r1 + o), c);
      c = madd(a2, v128.load(r2 + o), c);
      c = madd(a3, v128.load(r3 + o), c);
      v128.store(ci + o, c);
    }
  }
  for (; p < k; p++) {
    const av = v128.load32_splat(ai + <usize>p * aStep);
    const r = b + <usize>p * bStep;
    for (let o: usize = 0; o < bytes4; o += 16) v128.store(ci + o, madd(av, v128.load(r + o), v128.load(ci + o)));
  }
  for (let j = n & ~3; j < n; j++) {
    let s: f32 = 0;
    for (let q = 0; q < k; q++) s += load<f32>(ai + <usize>q * aStep) * load<f32>(b + (<usize>(q * bRow + j) << 2));
    store<f32>(ci + (<usize>j << 2), s);
  }
}

/**
 * Rows [rowStart, rowEnd) of C without packing, for products with very few rows (generation,
 * batch-1 RNN steps: a vector times a matrix). Streams op(B) once per row: along its rows when
 * B is row-major (vectors over columns of C), along its columns when B is transposed (dot
 * products over k).
 */
function matvecRows(a: usize, aRow: i32, aCol: i32, b: usize, bRow: i32, bCol: i32, c: usize, ldc: i32, k: i32, n: i32, rowStart: i32, rowEnd: i32): void {
  for (let i = rowStart; i < rowEnd; i++) {
    const ci = c + (<usize>(i * ldc) << 2);
    const ai = a + (<usize>(i * aRow) << 2);
    if (bCol == 1) axpyColumns(ai, aCol, b, bRow, ci, k, n);
    else if (bRow == 1 && aCol == 1) dotColumns(ai, b, bCol, ci, k, n);
    else {
      for (let j = 0; j < n; j++) {
        let s: f32 = 0;
        for (let p = 0; p < k; p++) s += load<f32>(ai + (<usize>(p * aCol) << 2)) * load<f32>(b + (<usize>(p * bRow + j * bCol) << 2));
        store<f32>(ci + (<usize>j << 2), s);
      }
    }
  }
}

/** Bytes of scratch space `matmulF32` needs for these sizes (packed B slice + an edge tile). */
export function matmulScratchBytes(k: i32, n: i32): i32 {
  const kc = min(k, KC);
  return (((n + NR - 1) / NR) * NR * kc + MR * NR) * 4 + 64;
}

/**
 * One matrix product for rows [rowStart, rowEnd) of C (m×n, rows ldc apart at c).
 * op(A) is m×k: element (i, p) at a + 4·(i·aRow + p·aCol); op(B) is k×n likewise with bRow, bCol.
 * `scratch` must hold matmulScratchBytes(k, n) bytes, private to this caller.
 */
export function matmulF32(
  a: usize, aRow: i32, aCol: i32,
  b: usize, bRow: i32, bCol: i32,
  c: usize, ldc: i32, m: i32, k: i32, n: i32,
  rowStart: i32, rowEnd: i32, scratch: usize,
): void {
  if (k == 0) {
    for (let i = rowStart; i < rowEnd; i++) memory.fill(c + (<usize>(i * ldc) << 2), 0, <usize>n << 2);
    return;
  }
  if (rowEnd - rowStart < MR) {
    // a few rows (generation: one token): packing B would cost as much as the product itself
    matvecRows(a, aRow, aCol, b, bRow, bCol, c, ldc, k, n, rowStart, rowEnd);
    return;
  }
  const panels = (n + NR - 1) / NR;
  const bPacked = (scratch + 15) & ~15;
  const tile = bPacked + (<usize>(panels * NR * min(k, KC)) << 2);
  const rowBytes = <usize>aRow << 2;
  const cs = <usize>aCol << 2;
  for (let p0 = 0; p0 < k; p0 += KC) {
    const kc = min(KC, k - p0);
    packB(b, bRow, bCol, p0, kc, n, bPacked);
    for (let i0 = rowStart; i0 < rowEnd; i0 += MR) {
      const mr = min(MR, rowEnd - i0);
      const ap = a + <usize>i0 * rowBytes + <usize>p0 * cs;
      // rows past mr read the last row again (never outside A); their sums are dropped
      const o1 = <usize>min(1, mr - 1) * rowBytes, o2 = <usize>min(2, mr - 1) * rowBytes, o3 = <usize>min(3, mr - 1) * rowBytes;
      for (let jp = 0; jp < panels; jp++) {
        const j0 = jp * NR;
        kernel(ap, o1, o2, o3, cs, bPacked + (<usize>(jp * kc * NR) << 2), kc, c + (<usize>(i0 * ldc + j0) << 2), ldc, mr, min(NR, n - j0), p0 > 0, tile);
      }
    }
  }
}

/**
 * Batched form: for batches [b0, b1) with element offsets (aOff, bOff, cOff) as i32 triples at
 * `offsets`, runs matmulF32 over rows [rowStart, rowEnd) and columns [colStart, colEnd) of each.
 * Threads split batches, columns (at multiples of 16, so every panel and vector group is the
 * unsplit one: the same bits) or rows.
 */
export function matmulBatchF32(
  a: usize, aRow: i32, aCol: i32,
  b: usize, bRow: i32, bCol: i32,
  c: usize, m: i32, k: i32, n: i32,
  offsets: usize, b0: i32, b1: i32,
  rowStart: i32, rowEnd: i32, colStart: i32, colEnd: i32, scratch: usize,
): void {
  for (let i = b0; i < b1; i++) {
    const o = offsets + (<usize>(i * 3) << 2);
    matmulF32(
      a + (<usize>load<i32>(o) << 2), aRow, aCol,
      b + (<usize>(load<i32>(o, 4) + colStart * bCol) << 2), bRow, bCol,
      c + (<usize>(load<i32>(o, 8) + colStart) << 2), n, m, k, colEnd - colStart, rowStart, rowEnd, scratch,
    );
  }
}
