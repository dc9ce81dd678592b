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
  add, sub, mul, div, pow, maximum, minimum, atan2, neg, abs, sign, exp, log, sqrt, rsqrt, square,
  reciprocal, sin, cos, tanh, sigmoid, relu, gelu, silu, softplus, erf, floor, ceil, round, clamp,
  gt, ge, lt, le, eq, ne, logicalAnd, logicalOr, logicalNot, isnan, isinf, where, cast, clone,
} from "./ops/elementwise.js";
export { sum, mean, amax, amin, argmax, argmin, variance as var, std, logsumexp, norm, cumsum, sort, topk } from "./ops/reduce.js";
export { reshape, flatten, permute, transpose, squeeze, unsqueeze, expand, slice, narrow, select, flip, cat, stack, split, chunk, repeat, tril, triu, sumToShape } from "./ops/shape.js";
export { indexSelect, gather, scatterAdd, maskedFill, oneHot } from "./ops/indexing.js";
export { matmul, outer, einsum } from "./ops/linalg.js";
export { softmax, logSoftmax } from "./ops/nn.js";
export { gradcheck, type GradcheckOptions } from "./gradcheck.js";
