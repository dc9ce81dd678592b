// The tensor layer's public surface: the Tensor class, creation functions, autodiff controls,
// and every op as a function (torch.* style) besides the methods.
export { Tensor, type TensorLike, type NestedArray, type Dims } from "./tensor.js";
export { noGrad, enableGrad, isGradEnabled, grad, type GradNode } from "./autograd.js";
export { tidy, keep, scopeDepth } from "./scope.js";
export { Generator, manualSeed, defaultGenerator } from "./random.js";
export { promoteTypes, isFloat, type DType, type TypedArray } from "./dtype.js";
export { broadcastShapes, sizeOf } from "./shape.js";
export * from "./creation.js";
export {
  add, sub, mul, div, pow, maximum, minimum, atan2, neg, abs, sign, exp, log, log1p, expm1, sqrt, rsqrt, square,
  reciprocal, sin, cos, tanh, sigmoid, relu, gelu, silu, softplus, erf, floor, ceil, round, clamp, clip,
  gt, ge, lt, le, eq, ne, logicalAnd, logicalOr, logicalNot, isnan, isinf, isclose, allclose, where, cast, clone,
  type ClampOptions, type IscloseOptions,
} from "./ops/elementwise.js";
export {
  sum, mean, prod, max, min, amax, amin, argmax, argmin, variance as var, std, logsumexp, norm, vectorNorm, all, any,
  type KeepdimOptions, type ReduceOptions, type SumOptions, type ProdOptions, type DimOptions, type VarOptions, type NormOptions, type NormOrd, type VectorNormOptions,
} from "./ops/reduce.js";
export { cumsum, cumprod, sort, argsort, topk, ValuesIndices, type ScanOptions, type SortOptions, type TopkOptions } from "./ops/scan.js";
export { reshape, flatten, permute, transpose, t, squeeze, unsqueeze, expand, slice, narrow, select, unbind, flip, roll, cat, stack, split, chunk, repeat, diag, tril, triu, sumToShape } from "./ops/shape.js";
export { indexSelect, gather, scatterAdd, maskedFill, oneHot, nonzero, repeatInterleave, type RepeatInterleaveOptions } from "./ops/indexing.js";
export { matmul, mm, bmm, outer, kron, einsum } from "./ops/linalg.js";
export { multinomial, type MultinomialOptions } from "./ops/sampling.js";
export { versionOf } from "./autograd.js";
export { softmax, logSoftmax } from "./ops/nn.js";
export { gradcheck, type GradcheckOptions } from "./gradcheck.js";
