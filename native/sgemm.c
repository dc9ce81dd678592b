// decoding-gpt's native tier: single-precision matrix multiply with AVX2 + FMA (256-bit vectors,
// twice the width WebAssembly SIMD has), built at `npm install` where a C compiler exists.
// It works directly on the WebAssembly backend's shared memory: JavaScript passes a view of that
// memory (its base address never moves: V8 reserves a shared memory's maximum size) and byte
// offsets into it. Each call names its memory, so several backends can use the addon at once.
//
// Same structure as the AssemblyScript kernel (src/backend/wasm/assembly/matmul.ts): pack a
// KC-deep slice of op(B) into 16-wide column panels and 6 rows of op(A), then a 6×16 micro-kernel
// keeps C's block in 12 vector registers. Each C element is computed by the same instructions
// in the same order whatever the row range, so splitting rows over threads is bit-identical.
#include <node_api.h>
#include <immintrin.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MR 6
#define NR 16
#define KC 256

// packing buffers, one set per thread
static _Thread_local float* bpack = NULL;
static _Thread_local size_t bpackFloats = 0;
static _Thread_local float apack[MR * KC] __attribute__((aligned(32)));

__attribute__((target("avx2,fma")))
static void kernel(const float* ap, const float* bp, int kc, float* c, int ldc, int mr, int nr, int accumulate) {
  __m256 acc[MR][2];
  for (int r = 0; r < MR; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
  for (int p = 0; p < kc; p++) {
    __m256 b0 = _mm256_load_ps(bp);
    __m256 b1 = _mm256_load_ps(bp + 8);
    for (int r = 0; r < MR; r++) {
      __m256 a = _mm256_broadcast_ss(ap + r);
      acc[r][0] = _mm256_fmadd_ps(a, b0, acc[r][0]);
      acc[r][1] = _mm256_fmadd_ps(a, b1, acc[r][1]);
    }
    ap += MR;
    bp += NR;
  }
  if (mr == MR && nr == NR) {
    for (int r = 0; r < MR; r++) {
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
  float tmp[MR * NR] __attribute__((aligned(32)));
  for (int r = 0; r < MR; r++) {
    _mm256_store_ps(tmp + r * NR, acc[r][0]);
    _mm256_store_ps(tmp + r * NR + 8, acc[r][1]);
  }
  for (int r = 0; r < mr; r++)
    for (int j = 0; j < nr; j++) {
      float* d = c + (size_t)r * ldc + j;
      *d = accumulate ? *d + tmp[r * NR + j] : tmp[r * NR + j];
    }
}

// op(A) element (i, p) = a[i*aRow + p*aCol]; op(B) element (p, j) = b[p*bRow + j*bCol]
__attribute__((target("avx2,fma")))
static void sgemm(const float* a, int aRow, int aCol, const float* b, int bRow, int bCol, float* c, int m, int k, int n, int rowStart, int rowEnd) {
  if (k == 0) {
    memset(c + (size_t)rowStart * n, 0, sizeof(float) * (size_t)(rowEnd - rowStart) * n);
    return;
  }
  int panels = (n + NR - 1) / NR;
  size_t need = (size_t)panels * NR * KC;
  if (need > bpackFloats) {
    free(bpack);
    bpack = aligned_alloc(32, need * sizeof(float));
    bpackFloats = need;
  }
  for (int p0 = 0; p0 < k; p0 += KC) {
    int kc = k - p0 < KC ? k - p0 : KC;
    for (int jp = 0; jp < panels; jp++) {
      float* dst = bpack + (size_t)jp * kc * NR;
      for (int p = 0; p < kc; p++)
        for (int cc = 0; cc < NR; cc++) {
          int j = jp * NR + cc;
          dst[p * NR + cc] = j < n ? b[(size_t)(p0 + p) * bRow + (size_t)j * bCol] : 0.0f;
        }
    }
    for (int i0 = rowStart; i0 < rowEnd; i0 += MR) {
      int mr = rowEnd - i0 < MR ? rowEnd - i0 : MR;
      for (int p = 0; p < kc; p++)
        for (int r = 0; r < MR; r++) apack[p * MR + r] = r < mr ? a[(size_t)(i0 + r) * aRow + (size_t)(p0 + p) * aCol] : 0.0f;
      for (int jp = 0; jp < panels; jp++) {
        int j0 = jp * NR;
        kernel(apack, bpack + (size_t)jp * kc * NR, kc, c + (size_t)i0 * n + j0, n, mr, n - j0 < NR ? n - j0 : NR, p0 > 0);
      }
    }
  }
}

// ---- a second thread for big products: the caller takes the first half of the rows ----
typedef struct {
  const float *a, *b;
  float* c;
  int aRow, aCol, bRow, bCol, m, k, n, rowStart, rowEnd;
} Job;
static Job job;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER, finished = PTHREAD_COND_INITIALIZER;
static int pending = 0, started = 0;

static void* worker(void* unused) {
  (void)unused;
  for (;;) {
    pthread_mutex_lock(&mu);
    while (!pending) pthread_cond_wait(&wake, &mu);
    Job j = job;
    pthread_mutex_unlock(&mu);
    sgemm(j.a, j.aRow, j.aCol, j.b, j.bRow, j.bCol, j.c, j.m, j.k, j.n, j.rowStart, j.rowEnd);
    pthread_mutex_lock(&mu);
    pending = 0;
    pthread_cond_signal(&finished);
    pthread_mutex_unlock(&mu);
  }
  return NULL;
}

/** Rows split in two at a multiple of MR: each C element is still computed by the same code. */
static void sgemmParallel(const float* a, int aRow, int aCol, const float* b, int bRow, int bCol, float* c, int m, int k, int n) {
  if ((double)m * k * n < (double)(1 << 20) || m < 2 * MR) {
    sgemm(a, aRow, aCol, b, bRow, bCol, c, m, k, n, 0, m);
    return;
  }
  if (!started) {
    pthread_t t;
    if (pthread_create(&t, NULL, worker, NULL) != 0) {
      sgemm(a, aRow, aCol, b, bRow, bCol, c, m, k, n, 0, m);
      return;
    }
    pthread_detach(t);
    started = 1;
  }
  int mid = ((m / 2 + MR - 1) / MR) * MR;
  pthread_mutex_lock(&mu);
  job = (Job){a, b, c, aRow, aCol, bRow, bCol, m, k, n, mid, m};
  pending = 1;
  pthread_cond_signal(&wake);
  pthread_mutex_unlock(&mu);
  sgemm(a, aRow, aCol, b, bRow, bCol, c, m, k, n, 0, mid);
  pthread_mutex_lock(&mu);
  while (pending) pthread_cond_wait(&finished, &mu);
  pthread_mutex_unlock(&mu);
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

// sgemm(memoryView, aByte, aRow, aCol, bByte, bRow, bCol, cByte, m, k, n, threads): C = op(A)·op(B)
static napi_value Sgemm(napi_env env, napi_callback_info info) {
  size_t argc = 12;
  napi_value args[12];
  napi_get_cb_info(env, info, &argc, args, NULL, NULL);
  if (argc != 12) {
    napi_throw_error(env, NULL, "native.sgemm: expected 12 arguments");
    return NULL;
  }
  uint8_t* base = memoryBase(env, args[0]);
  if (base == NULL) return NULL;
  int32_t v[11];
  for (int i = 0; i < 11; i++) v[i] = argInt(env, args[i + 1]);
  const float* a = (const float*)(base + (uint32_t)v[0]);
  const float* b = (const float*)(base + (uint32_t)v[3]);
  float* c = (float*)(base + (uint32_t)v[6]);
  if (v[10] > 1) sgemmParallel(a, v[1], v[2], b, v[4], v[5], c, v[7], v[8], v[9]);
  else sgemm(a, v[1], v[2], b, v[4], v[5], c, v[7], v[8], v[9], 0, v[7]);
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
