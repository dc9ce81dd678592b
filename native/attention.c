// decoding-gpt's native tier: fused scaled-dot-product attention, forward and backward, with
// AVX2 + FMA. The same algorithm as the WebAssembly kernel (src/backend/wasm/assembly/attention.ts),
// one head at a time as a few small products on the 6×16 micro-kernel:
//   S = q kᵀ·scale (causal entries −∞),  P = softmax(S),  out = P v                (forward)
//   dv = Pᵀ dO,  dP = dO vᵀ,  dS = P ⊙ (dP − rowsum(dO ⊙ O))·scale,
//   dq = dS k,  dk = dSᵀ q                                                        (backward)
// Causal masking is used to skip work, not only to zero it: a block of query rows computes
// scores only up to its last visible key, and products with P or dS as the left factor run
// only over the keys (or queries) that can be non-zero. That halves the multiply-adds at T = 64.
// A head's scores live in this thread's scratch only; the backward recomputes P from the saved
// log-sum-exp. Threads split the heads, so every write is private to one call.
#include <immintrin.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "vmath.h"

AVX2 static inline float hsum8(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

AVX2 static inline float hmax8(__m256 v) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

/** Element offset of row 0 of head bi: (batch, t, d) when heads = 0, else (B, t, heads, d). */
static inline size_t head_base(int bi, int rows, const dgpt_attention_spec* s) {
  if (s->heads == 0) return (size_t)bi * rows * s->d;
  return ((size_t)(bi / s->heads) * rows * s->heads + bi % s->heads) * s->d;
}

/** Keys query row i may see: all, or (causal) j ≤ i + (tk − tq). */
static inline int visible(int i, const dgpt_attention_spec* s) {
  if (!s->causal) return s->tk;
  int n = i + s->tk - s->tq + 1;
  return n < s->tk ? n : s->tk;
}

// Which part of a product the causal mask lets us skip
enum Band {
  COLS,    // C(i, j) is needed only for keys j visible to query i (the rest is left arbitrary)
  P_LOWER, // A(i, p) is zero for keys p query i cannot see (A = P or dS)
  P_UPPER, // A(j, p) is zero for queries p that cannot see key j (A = Pᵀ or dSᵀ)
};

/** C (m × n, row stride ldc) = op(A)·op(B), skipping what the band says is masked. */
AVX2 static int band_gemm(const float* a, long aRow, long aCol, const float* b, long bRow, long bCol, float* c, long ldc, int m, int k, int n, enum Band band, const dgpt_attention_spec* s) {
  const int panels = (n + NR - 1) / NR;
  float* bp = dgpt_scratch(SCRATCH_ATTN_PACK, (size_t)panels * NR * k);
  if (bp == NULL) return 0;
  dgpt_pack_b(b, bRow, bCol, 0, k, 0, n, n, bp);
  const int off = s->tk - s->tq;
  for (int i0 = 0; i0 < m; i0 += MR) {
    const int mr = m - i0 < MR ? m - i0 : MR;
    const int last = i0 + mr - 1;
    int ps = 0, pe = k, ce = n;
    if (s->causal && band == COLS) ce = last + off + 1 < n ? last + off + 1 : n;
    if (s->causal && band == P_LOWER) pe = last + off + 1 < k ? last + off + 1 : k;
    if (s->causal && band == P_UPPER) ps = i0 - off > 0 ? i0 - off : 0;
    long ro[MR];
    dgpt_row_offsets(ro, mr, aRow);
    for (int j = 0; j < ce; j += NR)
      dgpt_kernel(pe - ps, a + (size_t)i0 * aRow + (size_t)ps * aCol, ro, aCol, bp + (size_t)j * k + (size_t)ps * NR, c + (size_t)i0 * ldc + j, ldc, mr, n - j < NR ? n - j : NR, 0);
  }
  return 1;
}

/**
 * In place over a row of S: scale, softmax over its n visible keys, zeros after; returns the
 * log-sum-exp. Copies the scaled scores (−∞ where masked) and the pattern out unless NULL.
 */
AVX2 static float softmax_row(float* row, int n, int tk, float scale, float* scores_out, float* pattern_out) {
  const __m256 sv = _mm256_set1_ps(scale);
  __m256 mx = _mm256_set1_ps(-INFINITY);
  int j = 0;
  for (; j + 8 <= n; j += 8) {
    __m256 x = _mm256_mul_ps(_mm256_loadu_ps(row + j), sv);
    _mm256_storeu_ps(row + j, x);
    mx = _mm256_max_ps(mx, x);
  }
  float m = hmax8(mx);
  for (; j < n; j++) {
    row[j] *= scale;
    m = row[j] > m ? row[j] : m;
  }
  if (scores_out) {
    memcpy(scores_out, row, sizeof(float) * (size_t)n);
    for (j = n; j < tk; j++) scores_out[j] = -INFINITY;
  }
  const __m256 mv = _mm256_set1_ps(m);
  __m256 sum = _mm256_setzero_ps();
  for (j = 0; j + 8 <= n; j += 8) {
    __m256 e = exp8(_mm256_sub_ps(_mm256_loadu_ps(row + j), mv));
    _mm256_storeu_ps(row + j, e);
    sum = _mm256_add_ps(sum, e);
  }
  float total = hsum8(sum);
  for (; j < n; j++) total += (row[j] = expf(row[j] - m));
  const __m256 inv = _mm256_set1_ps(1.0f / total);
  for (j = 0; j + 8 <= n; j += 8) _mm256_storeu_ps(row + j, _mm256_mul_ps(_mm256_loadu_ps(row + j), inv));
  for (; j < n; j++) row[j] /= total;
  for (j = n; j < tk; j++) row[j] = 0;
  if (pattern_out) memcpy(pattern_out, row, sizeof(float) * (size_t)tk);
  return m + logf(total);
}

AVX2 int dgpt_attention(const float* q, const float* k, const float* v, float* out, float* lse, float* scores, float* pattern, const dgpt_attention_spec* s, int b0, int b1) {
  const int tq = s->tq, tk = s->tk, d = s->d;
  const long rs = s->heads == 0 ? d : (long)s->heads * d;
  float* S = dgpt_scratch(SCRATCH_SCORES, (size_t)tq * tk);
  if (S == NULL) return 0;
  for (int bi = b0; bi < b1; bi++) {
    const size_t qo = head_base(bi, tq, s), ko = head_base(bi, tk, s);
    if (!band_gemm(q + qo, rs, 1, k + ko, 1, rs, S, tk, tq, d, tk, COLS, s)) return 0; // S = q kᵀ
    for (int i = 0; i < tq; i++) {
      const size_t at = ((size_t)bi * tq + i) * tk;
      lse[(size_t)bi * tq + i] = softmax_row(S + (size_t)i * tk, visible(i, s), tk, s->scale, scores ? scores + at : NULL, pattern ? pattern + at : NULL);
    }
    if (!band_gemm(S, tk, 1, v + ko, rs, 1, out + qo, rs, tq, tk, d, P_LOWER, s)) return 0; // out = P v
  }
  return 1;
}

AVX2 int dgpt_attention_backward(const float* q, const float* k, const float* v, const float* out, const float* lse, const float* dout, float* dq, float* dk, float* dv, const dgpt_attention_spec* s, int b0, int b1) {
  const int tq = s->tq, tk = s->tk, d = s->d;
  const long rs = s->heads == 0 ? d : (long)s->heads * d;
  float* P = dgpt_scratch(SCRATCH_SCORES, (size_t)tq * tk);
  float* dS = dgpt_scratch(SCRATCH_DSCORES, (size_t)tq * tk);
  if (P == NULL || dS == NULL) return 0;
  const __m256 sv = _mm256_set1_ps(s->scale);
  for (int bi = b0; bi < b1; bi++) {
    const size_t qo = head_base(bi, tq, s), ko = head_base(bi, tk, s);
    // P = exp(q kᵀ·scale − lse), zero where masked
    if (!band_gemm(q + qo, rs, 1, k + ko, 1, rs, P, tk, tq, d, tk, COLS, s)) return 0;
    for (int i = 0; i < tq; i++) {
      float* row = P + (size_t)i * tk;
      const int n = visible(i, s);
      const float l = lse[(size_t)bi * tq + i];
      const __m256 lv = _mm256_set1_ps(l);
      int j = 0;
      for (; j + 8 <= n; j += 8) _mm256_storeu_ps(row + j, exp8(_mm256_fmsub_ps(_mm256_loadu_ps(row + j), sv, lv)));
      for (; j < n; j++) row[j] = expf(row[j] * s->scale - l);
      for (; j < tk; j++) row[j] = 0;
    }
    if (!band_gemm(P, 1, tk, dout + qo, rs, 1, dv + ko, rs, tk, tq, d, P_UPPER, s)) return 0; // dv = Pᵀ dO
    if (!band_gemm(dout + qo, rs, 1, v + ko, 1, rs, dS, tk, tq, d, tk, COLS, s)) return 0; // dP = dO vᵀ
    for (int i = 0; i < tq; i++) {
      // delta_i = dO_i · O_i; dS = P ⊙ (dP − delta)·scale, in place over dP
      const float* o = out + qo + (size_t)i * rs;
      const float* g = dout + qo + (size_t)i * rs;
      __m256 acc = _mm256_setzero_ps();
      int c = 0;
      for (; c + 8 <= d; c += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(g + c), _mm256_loadu_ps(o + c), acc);
      float delta = hsum8(acc);
      for (; c < d; c++) delta += g[c] * o[c];
      const __m256 dv8 = _mm256_set1_ps(delta);
      const float* pr = P + (size_t)i * tk;
      float* dr = dS + (size_t)i * tk;
      const int n = visible(i, s);
      int j = 0;
      for (; j + 8 <= n; j += 8) _mm256_storeu_ps(dr + j, _mm256_mul_ps(_mm256_mul_ps(_mm256_loadu_ps(pr + j), _mm256_sub_ps(_mm256_loadu_ps(dr + j), dv8)), sv));
      for (; j < n; j++) dr[j] = pr[j] * (dr[j] - delta) * s->scale;
      for (; j < tk; j++) dr[j] = 0;
    }
    if (!band_gemm(dS, tk, 1, k + ko, rs, 1, dq + qo, rs, tq, tk, d, P_LOWER, s)) return 0; // dq = dS k
    if (!band_gemm(dS, 1, tk, q + qo, rs, 1, dk + ko, rs, tk, tq, d, P_UPPER, s)) return 0; // dk = dSᵀ q
  }
  return 1;
}
