// decoding-gpt's native tier: the kernels' entry points (called from addon.c) and the parts they share:
// the 6×16 AVX2 micro-kernel and B's packing (gemm.c), used by the matmul and by attention.
#ifndef DGPT_KERNELS_H
#define DGPT_KERNELS_H

#include <stddef.h>

#define MR 6
#define NR 16

#define AVX2 __attribute__((target("avx2,fma")))

/**
 * C[0:mr, 0:nr] (+)= Σ_{p < kc} A(r, p)·B(p, :), with A(r, p) = a[ro[r] + p·cs] (ro[0] = 0) and
 * B a packed panel, 16 floats per p. Rows past mr repeat row mr-1 (ro says so); their results
 * are dropped, so edge tiles run the same instructions as full ones. kc = 0 writes zeros.
 */
void dgpt_kernel(int kc, const float* a, const long* ro, long cs, const float* bp, float* c, long ldc, int mr, int nr, int accumulate);

/** ro[] for the rows i0..i0+mr-1 of A with row stride aRow (rows past mr repeat the last). */
void dgpt_row_offsets(long* ro, int mr, long aRow);

/**
 * Packs op(B)[p0 : p0+kc, j0 : j0+nc] (op(B)(p, j) = b[p·bRow + j·bCol]) into 16-wide panels:
 * panel q holds dst[q·kc·16 + p·16 + jj]; columns at or past n are zero.
 */
void dgpt_pack_b(const float* b, long bRow, long bCol, int p0, int kc, int j0, int nc, int n, float* dst);

/** This thread's scratch buffer `slot`, at least `floats` long, 64-byte aligned; NULL when out of memory (scratch.c). */
enum { SCRATCH_GEMM_B, SCRATCH_SCORES, SCRATCH_DSCORES, SCRATCH_ATTN_PACK };
float* dgpt_scratch(int slot, size_t floats);

/** Rows [r0, r1), columns [c0, c1) of C (row stride n) = op(A)·op(B); 0 when out of memory. */
int dgpt_gemm(const float* a, long aRow, long aCol, const float* b, long bRow, long bCol, float* c, int k, int n, int r0, int r1, int c0, int c1);

/** The same product for very few rows (a vector times a matrix): B streamed, never packed. */
void dgpt_gemv(const float* a, long aRow, long aCol, const float* b, long bRow, long bCol, float* c, int k, int n, int r0, int r1, int c0, int c1);

/** Causal attention forward / backward for heads [b0, b1) (see attention.c); 0 when out of memory. */
typedef struct {
  int tq, tk, d, causal, heads;
  float scale;
} dgpt_attention_spec;
// scores and pattern (batch, tq, tk), may be NULL: written for interpretability hooks when given
int dgpt_attention(const float* q, const float* k, const float* v, float* out, float* lse, float* scores, float* pattern, const dgpt_attention_spec* s, int b0, int b1);
int dgpt_attention_backward(const float* q, const float* k, const float* v, const float* out, const float* lse, const float* dout, float* dq, float* dk, float* dv, const dgpt_attention_spec* s, int b0, int b1);

/** GELU (kind 0) or its derivative (kind 1), exact erf form, over n floats (see gelu.c). */
void dgpt_gelu(const float* x, float* out, unsigned long n, int kind);

#endif
