// decoding-gpt's native tier: single-precision matrix multiply with AVX2 + FMA (256-bit vectors,
// twice the width WebAssembly SIMD has), built at `npm install` where a C compiler exists.
// It works directly on the WebAssembly backend's shared memory: JavaScript passes a view of that
// memory (its base address never moves: V8 reserves a shared memory's maximum size) and byte
// offsets into it. Each call names its memory, so several backends can use the addon at once.
//
// The addon is single-threaded: the wasm backend's worker pool calls it on every thread, each
// call with its own range of batches, columns or rows (src/backend/native/native.node.ts), so
// one set of threads serves all kernels and none competes with another for the cores.
//
// Structure (GotoBLAS): for each KC-deep slice of the product, pack an NC-wide block of op(B)
// into 16-wide column panels, then a 6×16 micro-kernel keeps a block of C in 12 vector registers
// while it streams 6 rows of op(A) (read in place: rows of A are addressed through six offsets,
// so no transpose form needs A copied) against one panel. Every element of C is computed by the
// same instructions in the same order whatever range a call covers, so any split over threads
// gives bit-identical results.
#include <immintrin.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"

#define KC 256
#define NC 512 // a packed KC×NC block of B is 512 KiB: it stays in the 1–2 MiB L2 of current cores

// The micro-kernel, reading B's panel with `bs` floats between consecutive p (16 when packed).
AVX2 static inline __attribute__((always_inline)) void kernel_strided(int kc, const float* a, const long* ro, long cs, const float* bp, long bs, float* c, long ldc, int mr, int nr, int accumulate) {
  const long o1 = ro[1], o2 = ro[2], o3 = ro[3], o4 = ro[4], o5 = ro[5];
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  for (int p = 0; p < kc; p++) {
    const __m256 b0 = _mm256_load_ps(bp), b1 = _mm256_load_ps(bp + 8);
    __m256 x;
    x = _mm256_broadcast_ss(a);      c00 = _mm256_fmadd_ps(x, b0, c00); c01 = _mm256_fmadd_ps(x, b1, c01);
    x = _mm256_broadcast_ss(a + o1); c10 = _mm256_fmadd_ps(x, b0, c10); c11 = _mm256_fmadd_ps(x, b1, c11);
    x = _mm256_broadcast_ss(a + o2); c20 = _mm256_fmadd_ps(x, b0, c20); c21 = _mm256_fmadd_ps(x, b1, c21);
    x = _mm256_broadcast_ss(a + o3); c30 = _mm256_fmadd_ps(x, b0, c30); c31 = _mm256_fmadd_ps(x, b1, c31);
    x = _mm256_broadcast_ss(a + o4); c40 = _mm256_fmadd_ps(x, b0, c40); c41 = _mm256_fmadd_ps(x, b1, c41);
    x = _mm256_broadcast_ss(a + o5); c50 = _mm256_fmadd_ps(x, b0, c50); c51 = _mm256_fmadd_ps(x, b1, c51);
    a += cs;
    bp += bs;
  }
  __m256 acc[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
  if (nr == NR) {
    for (int r = 0; r < mr; r++) {
      float* cr = c + (size_t)r * ldc;
      if (accumulate) {
        acc[r][0] = _mm256_add_ps(acc[r][0], _mm256_loadu_ps(cr));
        acc[r][1] = _mm256_add_ps(acc[r][1], _mm256_loadu_ps(cr + 8));
      }
      _mm256_storeu_ps(cr, acc[r][0]);
      _mm256_storeu_ps(cr + 8, acc[r][1]);
    }
    return;
  }
  float tmp[NR] __attribute__((aligned(32)));
  for (int r = 0; r < mr; r++) {
    _mm256_store_ps(tmp, acc[r][0]);
    _mm256_store_ps(tmp + 8, acc[r][1]);
    float* cr = c + (size_t)r * ldc;
    for (int j = 0; j < nr; j++) cr[j] = accumulate ? cr[j] + tmp[j] : tmp[j];
  }
}

AVX2 void dgpt_kernel(int kc, const float* a, const long* ro, long cs, const float* bp, float* c, long ldc, int mr, int nr, int accumulate) {
  kernel_strided(kc, a, ro, cs, bp, NR, c, ldc, mr, nr, accumulate);
}

/** dst[i·ldd + j] = src[j·ld + i] for an 8×8 block: the transpose B needs when it is stored (n, k). */
AVX2 static inline void transpose8(const float* src, long ld, float* dst, long ldd) {
  __m256 r0 = _mm256_loadu_ps(src), r1 = _mm256_loadu_ps(src + ld), r2 = _mm256_loadu_ps(src + 2 * ld), r3 = _mm256_loadu_ps(src + 3 * ld);
  __m256 r4 = _mm256_loadu_ps(src + 4 * ld), r5 = _mm256_loadu_ps(src + 5 * ld), r6 = _mm256_loadu_ps(src + 6 * ld), r7 = _mm256_loadu_ps(src + 7 * ld);
  __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1), t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
  __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5), t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
  __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE), s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
  __m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE), s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  _mm256_store_ps(dst, _mm256_permute2f128_ps(s0, s4, 0x20));
  _mm256_store_ps(dst + ldd, _mm256_permute2f128_ps(s1, s5, 0x20));
  _mm256_store_ps(dst + 2 * ldd, _mm256_permute2f128_ps(s2, s6, 0x20));
  _mm256_store_ps(dst + 3 * ldd, _mm256_permute2f128_ps(s3, s7, 0x20));
  _mm256_store_ps(dst + 4 * ldd, _mm256_permute2f128_ps(s0, s4, 0x31));
  _mm256_store_ps(dst + 5 * ldd, _mm256_permute2f128_ps(s1, s5, 0x31));
  _mm256_store_ps(dst + 6 * ldd, _mm256_permute2f128_ps(s2, s6, 0x31));
  _mm256_store_ps(dst + 7 * ldd, _mm256_permute2f128_ps(s3, s7, 0x31));
}

// A panel row is 16 consecutive floats when B is stored (k, n); stored (n, k), as a Linear
// layer's weight is, it is a transpose, done 8×8 at a time.
AVX2 void dgpt_pack_b(const float* b, long bRow, long bCol, int p0, int kc, int j0, int nc, int n, float* dst) {
  for (int q = 0; q * NR < nc; q++, dst += (size_t)kc * NR) {
    const int j = j0 + q * NR;
    const int w = n - j < NR ? n - j : NR;
    if (w == NR && bCol == 1) {
      const float* src = b + (size_t)p0 * bRow + j;
      for (int p = 0; p < kc; p++, src += bRow) {
        _mm256_store_ps(dst + p * NR, _mm256_loadu_ps(src));
        _mm256_store_ps(dst + p * NR + 8, _mm256_loadu_ps(src + 8));
      }
    } else if (w == NR && bRow == 1) {
      const float* src = b + (size_t)j * bCol + p0;
      int p = 0;
      for (; p + 8 <= kc; p += 8) {
        transpose8(src + p, bCol, dst + p * NR, NR);
        transpose8(src + 8 * bCol + p, bCol, dst + p * NR + 8, NR);
      }
      for (; p < kc; p++)
        for (int jj = 0; jj < NR; jj++) dst[p * NR + jj] = src[(size_t)jj * bCol + p];
    } else {
      for (int p = 0; p < kc; p++)
        for (int jj = 0; jj < NR; jj++) dst[p * NR + jj] = jj < w ? b[(size_t)(p0 + p) * bRow + (size_t)(j + jj) * bCol] : 0.0f;
    }
  }
}

void dgpt_row_offsets(long* ro, int mr, long aRow) {
  for (int r = 0; r < MR; r++) ro[r] = (long)(r < mr ? r : mr - 1) * aRow;
}

// One matrix of a batch, op(A)(i, p) = a[i·aRow + p·aCol]; c0 is a multiple of 16 (or equals c1).
AVX2 int dgpt_gemm(const float* a, long aRow, long aCol, const float* b, long bRow, long bCol, float* c, int k, int n, int r0, int r1, int c0, int c1) {
  if (k == 0) {
    for (int i = r0; i < r1; i++) memset(c + (size_t)i * n + c0, 0, sizeof(float) * (size_t)(c1 - c0));
    return 1;
  }
  // A small row-major B whose columns fill whole panels is read in place, each panel row being 16
  // consecutive floats already: packing it would cost a tenth of a 64×64 product. (The same
  // multiply-adds in the same order either way: the bits do not depend on this choice.)
  if (bCol == 1 && n % NR == 0 && (size_t)k * (size_t)n <= 16384) {
    for (int i0 = r0; i0 < r1; i0 += MR) {
      const int mr = r1 - i0 < MR ? r1 - i0 : MR;
      long ro[MR];
      dgpt_row_offsets(ro, mr, aRow);
      for (int j = c0; j < c1; j += NR) kernel_strided(k, a + (size_t)i0 * aRow, ro, aCol, b + j, bRow, c + (size_t)i0 * n + j, n, mr, NR, 0);
    }
    return 1;
  }
  float* bpack = dgpt_scratch(SCRATCH_GEMM_B, (size_t)KC * NC); // this thread's
  if (bpack == NULL) return 0;
  for (int p0 = 0; p0 < k; p0 += KC) {
    const int kc = k - p0 < KC ? k - p0 : KC;
    for (int j0 = c0; j0 < c1; j0 += NC) {
      const int nc = c1 - j0 < NC ? c1 - j0 : NC;
      dgpt_pack_b(b, bRow, bCol, p0, kc, j0, nc, n, bpack);
      for (int i0 = r0; i0 < r1; i0 += MR) {
        const int mr = r1 - i0 < MR ? r1 - i0 : MR;
        long ro[MR];
        dgpt_row_offsets(ro, mr, aRow);
        const float* ap = a + (size_t)i0 * aRow + (size_t)p0 * aCol;
        for (int q = 0; q * NR < nc; q++) {
          const int j = j0 + q * NR;
          dgpt_kernel(kc, ap, ro, aCol, bpack + (size_t)q * kc * NR, c + (size_t)i0 * n + j, n, mr, c1 - j < NR ? c1 - j : NR, p0 > 0);
        }
      }
    }
  }
  return 1;
}


// ---------------------------------------------------------------- matrix-vector products
// A product with very few rows (generation, batch-1 RNN steps: a vector times a weight matrix)
// reads B once per row, so packing B would cost as much as the product itself: these stream it.
// Each column of the result gets the same fused multiply-adds in the same order whichever columns
// share its loop, so a split over columns (at multiples of 16) gives the same bits.

/** y[j] = Σ_p x[p·xs]·B[p·bRow + j] for B row-major: 4 rows of B at a time, y (one row) in L1. */
AVX2 static void gemv_rows(const float* x, long xs, const float* b, long bRow, float* y, int k, int n) {
  const int n8 = n & ~7;
  for (int j = 0; j < n8; j += 8) _mm256_storeu_ps(y + j, _mm256_setzero_ps());
  for (int j = n8; j < n; j++) y[j] = 0.0f;
  int p = 0;
  for (; p + 4 <= k; p += 4) {
    const __m256 a0 = _mm256_broadcast_ss(x + p * xs), a1 = _mm256_broadcast_ss(x + (p + 1) * xs);
    const __m256 a2 = _mm256_broadcast_ss(x + (p + 2) * xs), a3 = _mm256_broadcast_ss(x + (p + 3) * xs);
    const float *r0 = b + (size_t)p * bRow, *r1 = r0 + bRow, *r2 = r1 + bRow, *r3 = r2 + bRow;
    for (int j = 0; j < n8; j += 8) {
      __m256 c = _mm256_loadu_ps(y + j);
      c = _mm256_fmadd_ps(a0, _mm256_loadu_ps(r0 + j), c);
      c = _mm256_fmadd_ps(a1, _mm256_loadu_ps(r1 + j), c);
      c = _mm256_fmadd_ps(a2, _mm256_loadu_ps(r2 + j), c);
      c = _mm256_fmadd_ps(a3, _mm256_loadu_ps(r3 + j), c);
      _mm256_storeu_ps(y + j, c);
    }
    for (int j = n8; j < n; j++) {
      float c = y[j];
      c = __builtin_fmaf(x[p * xs], r0[j], c);
      c = __builtin_fmaf(x[(p + 1) * xs], r1[j], c);
      c = __builtin_fmaf(x[(p + 2) * xs], r2[j], c);
      c = __builtin_fmaf(x[(p + 3) * xs], r3[j], c);
      y[j] = c;
    }
  }
  for (; p < k; p++) {
    const __m256 a = _mm256_broadcast_ss(x + p * xs);
    const float* r = b + (size_t)p * bRow;
    for (int j = 0; j < n8; j += 8) _mm256_storeu_ps(y + j, _mm256_fmadd_ps(a, _mm256_loadu_ps(r + j), _mm256_loadu_ps(y + j)));
    for (int j = n8; j < n; j++) y[j] = __builtin_fmaf(x[p * xs], r[j], y[j]);
  }
}

/** The 8 lanes' sum, in a fixed order. */
AVX2 static inline float hsum8(__m256 v) {
  const __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 t = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(t, _mm_movehdup_ps(t)));
}

/** x·b over k contiguous floats, given the two accumulators of its first k16 steps (see gemv_dots). */
AVX2 static inline float dot_finish(__m256 s0, __m256 s1, const float* x, const float* b, int k16, int k) {
  __m256 acc = _mm256_add_ps(s0, s1);
  int p = k16;
  for (; p + 8 <= k; p += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(x + p), _mm256_loadu_ps(b + p), acc);
  float s = hsum8(acc);
  for (; p < k; p++) s = __builtin_fmaf(x[p], b[p], s);
  return s;
}

/**
 * y[j] = x · B[j·bCol : j·bCol + k] for B stored (n, k) with contiguous x (a linear layer's x·Wᵀ):
 * 4 columns at a time, two accumulators each (8 independent FMA chains), sharing x's loads.
 */
AVX2 static void gemv_dots(const float* x, const float* b, long bCol, float* y, int k, int n) {
  const int k16 = k & ~15;
  int j = 0;
  for (; j + 4 <= n; j += 4) {
    const float *b0 = b + (size_t)j * bCol, *b1 = b0 + bCol, *b2 = b1 + bCol, *b3 = b2 + bCol;
    __m256 s00 = _mm256_setzero_ps(), s01 = s00, s10 = s00, s11 = s00, s20 = s00, s21 = s00, s30 = s00, s31 = s00;
    for (int p = 0; p < k16; p += 16) {
      const __m256 x0 = _mm256_loadu_ps(x + p), x1 = _mm256_loadu_ps(x + p + 8);
      s00 = _mm256_fmadd_ps(x0, _mm256_loadu_ps(b0 + p), s00);
      s01 = _mm256_fmadd_ps(x1, _mm256_loadu_ps(b0 + p + 8), s01);
      s10 = _mm256_fmadd_ps(x0, _mm256_loadu_ps(b1 + p), s10);
      s11 = _mm256_fmadd_ps(x1, _mm256_loadu_ps(b1 + p + 8), s11);
      s20 = _mm256_fmadd_ps(x0, _mm256_loadu_ps(b2 + p), s20);
      s21 = _mm256_fmadd_ps(x1, _mm256_loadu_ps(b2 + p + 8), s21);
      s30 = _mm256_fmadd_ps(x0, _mm256_loadu_ps(b3 + p), s30);
      s31 = _mm256_fmadd_ps(x1, _mm256_loadu_ps(b3 + p + 8), s31);
    }
    y[j] = dot_finish(s00, s01, x, b0, k16, k);
    y[j + 1] = dot_finish(s10, s11, x, b1, k16, k);
    y[j + 2] = dot_finish(s20, s21, x, b2, k16, k);
    y[j + 3] = dot_finish(s30, s31, x, b3, k16, k);
  }
  for (; j < n; j++) {
    const float* bj = b + (size_t)j * bCol;
    __m256 s0 = _mm256_setzero_ps(), s1 = s0;
    for (int p = 0; p < k16; p += 16) {
      s0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + p), _mm256_loadu_ps(bj + p), s0);
      s1 = _mm256_fmadd_ps(_mm256_loadu_ps(x + p + 8), _mm256_loadu_ps(bj + p + 8), s1);
    }
    y[j] = dot_finish(s0, s1, x, bj, k16, k);
  }
}

AVX2 void dgpt_gemv(const float* a, long aRow, long aCol, const float* b, long bRow, long bCol, float* c, int k, int n, int r0, int r1, int c0, int c1) {
  for (int i = r0; i < r1; i++) {
    const float* x = a + (size_t)i * aRow;
    float* y = c + (size_t)i * n + c0;
    if (bCol == 1) gemv_rows(x, aCol, b + c0, bRow, y, k, c1 - c0);
    else if (bRow == 1 && aCol == 1) gemv_dots(x, b + (size_t)c0 * bCol, bCol, y, k, c1 - c0);
    else
      for (int j = c0; j < c1; j++) {
        float s = 0.0f;
        for (int p = 0; p < k; p++) s = __builtin_fmaf(x[p * aCol], b[(size_t)p * bRow + (size_t)j * bCol], s);
        c[(size_t)i * n + j] = s;
      }
  }
}
