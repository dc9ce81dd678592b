// decoding-gpt's native tier: GELU with the exact (erf) form, GELU(x) = x·Φ(x), and its
// derivative Φ(x) + x·φ(x), 8 lanes at a time with AVX2 + FMA — the same formulation as the
// WebAssembly kernel (src/backend/wasm/assembly/mathf.ts, vgeluErf): Φ comes from
// ½·erfc(|x|/√2) = ½·e^(−x²/2)·g(u)/(2t+1), t = |x|/√2, u = (t−2)/(t+2), g a degree-10
// polynomial, so no 1 + erf(…) cancels and very negative inputs keep their digits.
#include <immintrin.h>
#include <stddef.h>

#include "kernels.h"
#include "vmath.h"

/** kind 0: x·Φ(x); kind 1: Φ(x) + x·φ(x). */
AVX2 static inline __m256 gelu8(__m256 x, int kind) {
  const __m256 one = _mm256_set1_ps(1.0f), two = _mm256_set1_ps(2.0f);
  const __m256 ax = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x);
  const __m256 t = _mm256_min_ps(_mm256_mul_ps(ax, _mm256_set1_ps(0.70710678118654752f)), _mm256_set1_ps(11.0f));
  // e^(−x²/2) = e·c·e with e = e^(−hi/4), x² = hi + lo exactly (FMA), c = 1 − lo/2: the square
  // loses no digits for large |x|, and the second e, applied last, lets tails round gradually
  // into the subnormal range instead of flushing to zero
  const __m256 hi = _mm256_mul_ps(x, x);
  // (|lo| ≤ 2^-16 wherever e^(−x²/2) shows; clamped so x² = ∞ gives lo = −1, not −∞)
  const __m256 lo = _mm256_max_ps(_mm256_set1_ps(-1.0f), _mm256_min_ps(_mm256_fmsub_ps(x, x, hi), one));
  const __m256 e = exp8(_mm256_mul_ps(hi, _mm256_set1_ps(-0.25f)));
  const __m256 ec = _mm256_mul_ps(e, _mm256_fnmadd_ps(lo, _mm256_set1_ps(0.5f), one));
  const __m256 q = _mm256_fmadd_ps(t, two, one); // 2t + 1
  const __m256 u = _mm256_div_ps(_mm256_sub_ps(t, two), _mm256_add_ps(t, two));
  __m256 g = _mm256_set1_ps(3.7184112443e-5f);
  g = _mm256_fmadd_ps(g, u, _mm256_set1_ps(-3.4308130853e-4f));
  g = _mm256_fmadd_ps(g, u, _mm256_set1_ps(-1.2517997529e-3f));
  g = _mm256_fmadd_ps(g, u, _mm256_set1_ps(1.2545310892e-3f));
  g = _mm256_fmadd_ps(g, u, _mm256_set1_ps(8.6316186935e-3f));
  g = _mm256_fmadd_ps(g, u, _mm256_set1_ps(-8.0392146483e-3f));
  g = _mm256_fmadd_ps(g, u, _mm256_set1_ps(-5.4202865809e-2f));
  g = _mm256_fmadd_ps(g, u, _mm256_set1_ps(1.6405259073e-1f));
  g = _mm256_fmadd_ps(g, u, _mm256_set1_ps(-1.6603156924e-1f));
  g = _mm256_fmadd_ps(g, u, _mm256_set1_ps(-9.2763878405e-2f));
  g = _mm256_fmadd_ps(g, u, _mm256_set1_ps(1.2769783735f));
  const __m256 halfE = _mm256_div_ps(_mm256_mul_ps(_mm256_mul_ps(ec, _mm256_set1_ps(0.5f)), g), q); // ½·erfc(|x|/√2) / e
  const __m256 half = _mm256_mul_ps(halfE, e);
  const __m256 neg = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ);
  if (kind == 0) return _mm256_blendv_ps(_mm256_mul_ps(x, _mm256_sub_ps(one, half)), _mm256_mul_ps(_mm256_mul_ps(x, halfE), e), neg);
  const __m256 xphi = _mm256_mul_ps(_mm256_mul_ps(x, _mm256_mul_ps(ec, _mm256_set1_ps(0.3989422804014327f))), e); // x·φ(x)
  return _mm256_add_ps(_mm256_blendv_ps(_mm256_sub_ps(one, half), half, neg), xphi);
}

AVX2 void dgpt_gelu(const float* x, float* out, unsigned long n, int kind) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, gelu8(_mm256_loadu_ps(x + i), kind));
  if (i < n) {
    float tmp[8] = {0};
    for (size_t j = i; j < n; j++) tmp[j - i] = x[j];
    _mm256_storeu_ps(tmp, gelu8(_mm256_loadu_ps(tmp), kind));
    for (size_t j = i; j < n; j++) out[j] = tmp[j - i];
  }
}
