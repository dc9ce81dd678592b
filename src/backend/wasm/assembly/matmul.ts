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

/**
 * Rows [rowStart, rowEnd) of C without packing, for products with very few rows. Streams op(B)
 * once per row: along its rows when B is row-major (vectors over columns of C), along its
 * columns when B is transposed (vector dot products over k).
 */
function matvecRows(a: usize, aRow: i32, aCol: i32, b: usize, bRow: i32, bCol: i32, c: usize, ldc: i32, k: i32, n: i32, rowStart: i32, rowEnd: i32): void {
  for (let i = rowStart; i < rowEnd; i++) {
    const ci = c + (<usize>(i * ldc) << 2);
    const ai = a + (<usize>(i * aRow) << 2);
    if (bCol == 1) {
      let j = 0;
      for (; j + 16 <= n; j += 16) {
        let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
        for (let p = 0; p < k; p++) {
          const av = v128.load32_splat(ai + (<usize>(p * aCol) << 2));
          const bp = b + (<usize>(p * bRow + j) << 2);
          c0 = madd(av, v128.load(bp), c0);
          c1 = madd(av, v128.load(bp, 16), c1);
          c2 = madd(av, v128.load(bp, 32), c2);
          c3 = madd(av, v128.load(bp, 48), c3);
        }
        const cj = ci + (<usize>j << 2);
        v128.store(cj, c0);
        v128.store(cj, c1, 16);
        v128.store(cj, c2, 32);
        v128.store(cj, c3, 48);
      }
      for (; j + 4 <= n; j += 4) {
        let c0 = f32x4.splat(0);
        for (let p = 0; p < k; p++) c0 = madd(v128.load32_splat(ai + (<usize>(p * aCol) << 2)), v128.load(b + (<usize>(p * bRow + j) << 2)), c0);
        v128.store(ci + (<usize>j << 2), c0);
      }
      for (; j < n; j++) {
        let s: f32 = 0;
        for (let p = 0; p < k; p++) s += load<f32>(ai + (<usize>(p * aCol) << 2)) * load<f32>(b + (<usize>(p * bRow + j) << 2));
        store<f32>(ci + (<usize>j << 2), s);
      }
    } else if (bRow == 1 && aCol == 1) {
      // op(B) column j is contiguous: C[i, j] = A[i, :] · B[:, j]
      for (let j = 0; j < n; j++) {
        const bj = b + (<usize>(j * bCol) << 2);
        let acc = f32x4.splat(0);
        let p = 0;
        for (; p + 4 <= k; p += 4) acc = madd(v128.load(ai + (<usize>p << 2)), v128.load(bj + (<usize>p << 2)), acc);
        let s = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
        for (; p < k; p++) s += load<f32>(ai + (<usize>p << 2)) * load<f32>(bj + (<usize>p << 2));
        store<f32>(ci + (<usize>j << 2), s);
      }
    } else {
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
