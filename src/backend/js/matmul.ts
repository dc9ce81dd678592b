// Reference batched matrix product. Readable i-k-j loops (row of B streamed, row of C updated),
// accumulating in float64; the fast backends tile and vectorise the same computation.
import type { MatmulSpec, Storage } from "../types.js";
import { arr, stridedOffsets } from "./storage.js";

export function matmul(a: Storage, b: Storage, out: Storage, spec: MatmulSpec): void {
  const { m, k, n, transA, transB } = spec;
  const A = arr(a);
  const B = arr(b);
  const C = arr(out);
  const aOff = stridedOffsets(spec.batchShape, spec.aBatchStrides);
  const bOff = stridedOffsets(spec.batchShape, spec.bBatchStrides);
  // element (i, p) of op(A) and (p, j) of op(B), as strides
  const aRow = transA ? 1 : k;
  const aCol = transA ? m : 1;
  const bRow = transB ? 1 : n;
  const bCol = transB ? k : 1;
  const acc = new Float64Array(n);
  for (let bi = 0; bi < aOff.length; bi++) {
    const ao = aOff[bi];
    const bo = bOff[bi];
    const co = bi * m * n;
    for (let i = 0; i < m; i++) {
      acc.fill(0);
      for (let p = 0; p < k; p++) {
        const av = A[ao + i * aRow + p * aCol];
        const bBase = bo + p * bRow;
        for (let j = 0; j < n; j++) acc[j] += av * B[bBase + j * bCol];
      }
      for (let j = 0; j < n; j++) C[co + i * n + j] = acc[j];
    }
  }
}
