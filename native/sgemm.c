// decoding-gpt's native tier: single-precision matrix multiply with AVX2 + FMA (256-bit vectors,
// twice the width WebAssembly SIMD has), built at `npm install` where a C compiler exists.
// It works directly on the WebAssembly backend's shared memory: JavaScript passes a view of that
// memory (its base address never moves: V8 reserves a shared memory's maximum size) and byte
// offsets into it. Each call names its memory, so several backends can use the addon at once.
//
// The addon is single-threaded: the wasm backend's worker pool calls it on every thread, each
// call with its own range of batches, columns or rows (src/backend/native/sgemm.node.ts), so one
// set of threads serves all kernels and none competes with another for the cores.
//
// Structure (GotoBLAS): for each KC-deep slice of the product, pack an NC-wide block of op(B)
// into 16-wide column panels, then a 6×16 micro-kernel keeps a block of C in 12 vector registers
// while it streams 6 rows of op(A) (read in place: rows of A are addressed through six offsets,
// so no transpose form needs A copied) against one panel. Every element of C is computed by the
// same instructions in the same order whatever range a call covers, so any split over threads
// gives bit-identical results.
#include <node_api.h>
#include <immintrin.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MR 6
#define NR 16
#define KC 256
#define NC 512 // a packed KC×NC block of B is 512 KiB: it stays in the 1–2 MiB L2 of current cores

// this thread's packing buffer for B (each pool thread calls the addon with its own)
static _Thread_local float* bpack = NULL;

/**
 * C[0:mr, 0:nr] (+)= Σ_p A(r, p)·B(p, :), with A(r, p) = a[ro[r] + p·cs] (ro[0] = 0) and B a
 * packed panel, 16 floats per p. Rows past mr repeat row mr-1 (ro says so); their results are
 * dropped, so edge tiles run the same instructions as full ones.
 */
__attribute__((target("avx2,fma")))
static void kernel(int kc, const float* a, const long* ro, long cs, const float* bp, float* c, long ldc, int mr, int nr, int accumulate) {
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
__attribute__((target("avx2,fma")))
static inline void transpose8(const float* src, long ld, float* dst, long ldd) {
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

/**
 * Packs op(B)[p0 : p0+kc, j0 : j0+nc] (op(B)(p, j) = b[p·bRow + j·bCol]) into 16-wide panels:
 * panel q holds dst[q·kc·16 + p·16 + jj]; columns at or past n are zero. Stored (k, n), a panel
 * row is 16 consecutive floats; stored (n, k) — a Linear layer's weight — it is a transpose.
 */
__attribute__((target("avx2,fma")))
static void packB(const float* b, long bRow, long bCol, int p0, int kc, int j0, int nc, int n, float* dst) {
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

/**
 * Rows [r0, r1) and columns [c0, c1) of C = op(A)·op(B) for one matrix of a batch, where
 * op(A)(i, p) = a[i·aRow + p·aCol]. c0 is a multiple of 16 (or equals c1).
 */
__attribute__((target("avx2,fma")))
static int gemm(const float* a, long aRow, long aCol, const float* b, long bRow, long bCol, float* c, int k, int n, int r0, int r1, int c0, int c1) {
  if (k == 0) {
    for (int i = r0; i < r1; i++) memset(c + (size_t)i * n + c0, 0, sizeof(float) * (size_t)(c1 - c0));
    return 1;
  }
  if (bpack == NULL && (bpack = aligned_alloc(64, sizeof(float) * KC * NC)) == NULL) return 0;
  for (int p0 = 0; p0 < k; p0 += KC) {
    const int kc = k - p0 < KC ? k - p0 : KC;
    for (int j0 = c0; j0 < c1; j0 += NC) {
      const int nc = c1 - j0 < NC ? c1 - j0 : NC;
      packB(b, bRow, bCol, p0, kc, j0, nc, n, bpack);
      for (int i0 = r0; i0 < r1; i0 += MR) {
        const int mr = r1 - i0 < MR ? r1 - i0 : MR;
        long ro[MR];
        for (int r = 0; r < MR; r++) ro[r] = (long)(r < mr ? r : mr - 1) * aRow;
        const float* ap = a + (size_t)i0 * aRow + (size_t)p0 * aCol;
        for (int q = 0; q * NR < nc; q++) {
          const int j = j0 + q * NR;
          kernel(kc, ap, ro, aCol, bpack + (size_t)q * kc * NR, c + (size_t)i0 * n + j, n, mr, c1 - j < NR ? c1 - j : NR, p0 > 0);
        }
      }
    }
  }
  return 1;
}

static int32_t argInt(napi_env env, napi_value v) {
  int32_t x = 0;
  napi_get_value_int32(env, v, &x);
  return x;
}

/** The start of the memory a typed-array view lies in, or NULL (with a JS error thrown). */
static uint8_t* memoryBase(napi_env env, napi_value view) {
  napi_typedarray_type type;
  size_t length, offset;
  void* data;
  napi_value ab;
  if (napi_get_typedarray_info(env, view, &type, &length, &data, &ab, &offset) != napi_ok || data == NULL) {
    napi_throw_type_error(env, NULL, "native.sgemm: the first argument must be a typed array over the WebAssembly memory");
    return NULL;
  }
  return (uint8_t*)data - offset;
}

#define SGEMM_ARGS 18

// sgemm(memoryView, A, aRow, aCol, B, bRow, bCol, C, m, k, n, offsets, batchStart, batchEnd,
//       rowStart, rowEnd, colStart, colEnd): for each batch i in [batchStart, batchEnd),
// C + offsets[3i+2] = op(A + offsets[3i])·op(B + offsets[3i+1]) over the given rows and columns.
// A, B, C, offsets are byte addresses in the memory; the offsets are int32 element counts.
static napi_value Sgemm(napi_env env, napi_callback_info info) {
  size_t argc = SGEMM_ARGS;
  napi_value args[SGEMM_ARGS];
  napi_get_cb_info(env, info, &argc, args, NULL, NULL);
  if (argc != SGEMM_ARGS) {
    napi_throw_error(env, NULL, "native.sgemm: expected 18 arguments");
    return NULL;
  }
  uint8_t* base = memoryBase(env, args[0]);
  if (base == NULL) return NULL;
  int32_t v[SGEMM_ARGS - 1];
  for (int i = 0; i < SGEMM_ARGS - 1; i++) v[i] = argInt(env, args[i + 1]);
  const float* a = (const float*)(base + (uint32_t)v[0]);
  const float* b = (const float*)(base + (uint32_t)v[3]);
  float* c = (float*)(base + (uint32_t)v[6]);
  const int m = v[7], k = v[8], n = v[9];
  const int32_t* offsets = (const int32_t*)(base + (uint32_t)v[10]);
  (void)m;
  for (int i = v[11]; i < v[12]; i++) {
    const int32_t* o = offsets + 3 * (size_t)i;
    if (!gemm(a + o[0], v[1], v[2], b + o[1], v[4], v[5], c + o[2], k, n, v[13], v[14], v[15], v[16])) {
      napi_throw_error(env, NULL, "native.sgemm: out of memory for the packing buffer");
      return NULL;
    }
  }
  return NULL;
}

static napi_value Supported(napi_env env, napi_callback_info info) {
  (void)info;
  __builtin_cpu_init();
  napi_value out;
  napi_get_boolean(env, __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"), &out);
  return out;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
    {"sgemm", NULL, Sgemm, NULL, NULL, NULL, napi_default, NULL},
    {"supported", NULL, Supported, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, 2, props);
  return exports;
}
