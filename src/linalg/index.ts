// Linear algebra beyond tensors, in float64: sparse CSR matrices, small dense factorizations,
// top-k SVD of sparse matrices and eigenvectors by power iteration and Arnoldi; and
// torch.linalg.vector_norm for tensors (vectorNorm).
export { CsrMatrix, type LinearOperator } from "./sparse.js";
export { orthonormalize, svdJacobi, solve, dot, transposeDense, type DenseSvd } from "./dense.js";
export { randomizedSvd, denseSvd, numericalRank, type SvdResult, type RandomizedSvdOptions, type NumericalRank } from "./svd.js";
export { vectorNorm, type VectorNormOptions } from "../tensor/ops/reduce.js";
export { powerIteration, arnoldiEigenvector, type MatVec, type PowerIterationOptions, type PowerIterationResult, type ArnoldiOptions, type ArnoldiResult } from "./eigen.js";
