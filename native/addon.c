// decoding-gpt's native tier, the Node side: N-API bindings for the kernels (kernels.h). Every
// function takes, first, a typed array over the WebAssembly memory the tensors live in (its
// base address never moves: V8 reserves a shared memory's maximum size), then byte addresses in
// it and sizes, all as numbers. Each call names its memory, so several
// backends can use the addon at once; calls are single-threaded (the wasm worker pool runs one
// per thread, each on its own part).
#include <node_api.h>
#include <stdint.h>

#include "kernels.h"

#define MAX_ARGS 20

/**
 * Reads exactly `count` arguments after the memory view into v[] and returns the memory's base,
 * or NULL with a JavaScript error thrown.
 */
static uint8_t* arguments(napi_env env, napi_callback_info info, const char* name, size_t count, double* v) {
  size_t argc = MAX_ARGS;
  napi_value args[MAX_ARGS];
  napi_get_cb_info(env, info, &argc, args, NULL, NULL);
  if (argc != count + 1) {
    napi_throw_error(env, NULL, name);
    return NULL;
  }
  napi_typedarray_type type;
  size_t length, offset;
  void* data;
  napi_value ab;
  if (napi_get_typedarray_info(env, args[0], &type, &length, &data, &ab, &offset) != napi_ok || data == NULL) {
    napi_throw_type_error(env, NULL, "native kernels: the first argument must be a typed array over the WebAssembly memory");
    return NULL;
  }
  for (size_t i = 0; i < count; i++) {
    if (napi_get_value_double(env, args[i + 1], &v[i]) != napi_ok) {
      napi_throw_type_error(env, NULL, "native kernels: arguments after the memory must be numbers");
      return NULL;
    }
  }
  return (uint8_t*)data - offset;
}

#define F32(x) ((float*)(base + (uint32_t)(x)))

// sgemm(memory, A, aRow, aCol, B, bRow, bCol, C, m, k, n, offsets, batchStart, batchEnd,
//       rowStart, rowEnd, colStart, colEnd): for each batch i in [batchStart, batchEnd),
// C + offsets[3i+2] = op(A + offsets[3i])·op(B + offsets[3i+1]) over the given rows and columns
// (op(A)(i, p) = A[i·aRow + p·aCol], likewise B). The offsets are int32 element counts.
static napi_value Sgemm(napi_env env, napi_callback_info info) {
  double v[17];
  uint8_t* base = arguments(env, info, "native.sgemm: expected 18 arguments", 17, v);
  if (base == NULL) return NULL;
  const int32_t* offsets = (const int32_t*)(base + (uint32_t)v[10]);
  for (int i = (int)v[11]; i < (int)v[12]; i++) {
    const int32_t* o = offsets + 3 * (size_t)i;
    if (!dgpt_gemm(F32(v[0]) + o[0], (long)v[1], (long)v[2], F32(v[3]) + o[1], (long)v[4], (long)v[5], F32(v[6]) + o[2], (int)v[8], (int)v[9], (int)v[13], (int)v[14], (int)v[15], (int)v[16])) {
      napi_throw_error(env, NULL, "native.sgemm: out of memory for the packing buffer");
      return NULL;
    }
  }
  return NULL;
}

// sgemv(memory, …): sgemm's arguments and meaning, computed without packing B (products of 1–3 rows)
static napi_value Sgemv(napi_env env, napi_callback_info info) {
  double v[17];
  uint8_t* base = arguments(env, info, "native.sgemv: expected 18 arguments", 17, v);
  if (base == NULL) return NULL;
  const int32_t* offsets = (const int32_t*)(base + (uint32_t)v[10]);
  for (int i = (int)v[11]; i < (int)v[12]; i++) {
    const int32_t* o = offsets + 3 * (size_t)i;
    dgpt_gemv(F32(v[0]) + o[0], (long)v[1], (long)v[2], F32(v[3]) + o[1], (long)v[4], (long)v[5], F32(v[6]) + o[2], (int)v[8], (int)v[9], (int)v[13], (int)v[14], (int)v[15], (int)v[16]);
  }
  return NULL;
}

// attention(memory, q, k, v, out, lse, tq, tk, d, scale, causal, heads, b0, b1, scores, pattern)
// (scores and pattern 0 when not wanted)
static napi_value Attention(napi_env env, napi_callback_info info) {
  double v[15];
  uint8_t* base = arguments(env, info, "native.attention: expected 16 arguments", 15, v);
  if (base == NULL) return NULL;
  dgpt_attention_spec s = {(int)v[5], (int)v[6], (int)v[7], v[9] != 0, (int)v[10], (float)v[8]};
  float* scores = v[13] != 0 ? F32(v[13]) : NULL;
  float* pattern = v[14] != 0 ? F32(v[14]) : NULL;
  if (!dgpt_attention(F32(v[0]), F32(v[1]), F32(v[2]), F32(v[3]), F32(v[4]), scores, pattern, &s, (int)v[11], (int)v[12])) napi_throw_error(env, NULL, "native.attention: out of memory for scratch");
  return NULL;
}

// attentionBackward(memory, q, k, v, out, lse, dout, dq, dk, dv, tq, tk, d, scale, causal, heads, b0, b1)
static napi_value AttentionBackward(napi_env env, napi_callback_info info) {
  double v[17];
  uint8_t* base = arguments(env, info, "native.attentionBackward: expected 18 arguments", 17, v);
  if (base == NULL) return NULL;
  dgpt_attention_spec s = {(int)v[9], (int)v[10], (int)v[11], v[13] != 0, (int)v[14], (float)v[12]};
  if (!dgpt_attention_backward(F32(v[0]), F32(v[1]), F32(v[2]), F32(v[3]), F32(v[4]), F32(v[5]), F32(v[6]), F32(v[7]), F32(v[8]), &s, (int)v[15], (int)v[16]))
    napi_throw_error(env, NULL, "native.attentionBackward: out of memory for scratch");
  return NULL;
}

// gelu(memory, x, out, start, end, kind): out[i] = GELU(x[i]) (kind 0) or GELU'(x[i]) (kind 1), i in [start, end)
static napi_value Gelu(napi_env env, napi_callback_info info) {
  double v[5];
  uint8_t* base = arguments(env, info, "native.gelu: expected 6 arguments", 5, v);
  if (base == NULL) return NULL;
  const size_t start = (size_t)v[2];
  dgpt_gelu(F32(v[0]) + start, F32(v[1]) + start, (unsigned long)(v[3] - v[2]), (int)v[4]);
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
    {"sgemv", NULL, Sgemv, NULL, NULL, NULL, napi_default, NULL},
    {"attention", NULL, Attention, NULL, NULL, NULL, napi_default, NULL},
    {"attentionBackward", NULL, AttentionBackward, NULL, NULL, NULL, napi_default, NULL},
    {"gelu", NULL, Gelu, NULL, NULL, NULL, napi_default, NULL},
    {"supported", NULL, Supported, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}
