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

AVX2 void dgpt_kernel(int kc, const float* a, const long* ro, long cs, const float* bp, float* c, long ldc, int mr, int nr, int accumulate) {
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
    bp += NR;
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

