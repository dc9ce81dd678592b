// Matrix products. `matmul` follows torch.matmul's rules (1-D operands, batch broadcasting);
// underneath is one differentiable primitive, C = op(A)·op(B) with op = transpose or identity,
// so the backward never materialises a transposed copy:
//   dA = G·op(B)ᵀ  and  dB = op(A)ᵀ·G   (then summed over broadcast batch dims).
import { backend } from "../../backend/index.js";
import { attach } from "../autograd.js";
import { isFloat, promoteTypes } from "../dtype.js";
import { broadcastShapes, fmt } from "../shape.js";
import { Tensor } from "../tensor.js";
import { cast } from "./elementwise.js";
import { permute, reshape, sumToShape, unsqueeze } from "./shape.js";

const NO_DIMS: readonly number[] = Object.freeze([]);

/**
 * Element strides of an operand's batch dims `own` (matrices of matSize elements) over the
 * broadcast batch shape: 0 where the operand has no such dim or broadcasts it.
 */
function batchStrides(own: readonly number[], matSize: number, batchShape: readonly number[]): number[] {
  const lead = batchShape.length - own.length;
  const out = new Array<number>(batchShape.length).fill(0);
  let step = matSize;
  for (let i = own.length - 1; i >= 0; i--) {
    if (own[i] !== 1) out[i + lead] = step;
    step *= own[i];
  }
  return out;
}

/** Batched op(A)·op(B) for tensors with ≥ 2 dims; batch dims broadcast. */
export function matmulT(a: Tensor, b: Tensor, transA: boolean, transB: boolean): Tensor {
  const [ar, ac] = [a.shape[a.ndim - 2], a.shape[a.ndim - 1]];
  const [br, bc] = [b.shape[b.ndim - 2], b.shape[b.ndim - 1]];
  const m = transA ? ac : ar;
  const k = transA ? ar : ac;
  const kb = transB ? bc : br;
  const n = transB ? br : bc;
  if (k !== kb) {
    throw new Error(`matmul: shapes ${fmt(a.shape)}${transA ? "ᵀ" : ""} and ${fmt(b.shape)}${transB ? "ᵀ" : ""} cannot be multiplied (${m}x${k} and ${kb}x${n})`);
  }
  // two matrices (most products): no batch dims to broadcast
  const plain = a.ndim === 2 && b.ndim === 2;
  const aBatch = plain ? NO_DIMS : a.shape.slice(0, -2);
  const bBatch = plain ? NO_DIMS : b.shape.slice(0, -2);
  const batchShape = plain ? NO_DIMS : broadcastShapes("matmul", aBatch, bBatch);
  const dtype = promoteTypes(a.dtype, b.dtype);
  const A = cast(a, dtype);
  const B = cast(b, dtype);
  const out = Tensor.output(plain ? [m, n] : [...batchShape, m, n], dtype); // every kernel writes all of C (zeros when k = 0)
  backend().matmul(A.storage, B.storage, out.storage, {
    batchShape,
    aBatchStrides: plain ? NO_DIMS : batchStrides(aBatch, ar * ac, batchShape),
    bBatchStrides: plain ? NO_DIMS : batchStrides(bBatch, br * bc, batchShape),
    m, k, n, transA, transB,
  });
  if (!isFloat(dtype)) return out;
  return attach(out, "matmul", [a, b], (g) => [
    a.requiresGrad ? sumToShape(transA ? matmulT(b, g, transB, true) : matmulT(g, b, false, !transB), a.shape) : null,
    b.requiresGrad ? sumToShape(transB ? matmulT(g, a, true, transA) : matmulT(a, g, !transA, false), b.shape) : null,
  ], [a, b]);
}

/** torch.matmul: dot for 1-D·1-D, matrix-vector, vector-matrix, and broadcast batched products. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (!(a instanceof Tensor) || !(b instanceof Tensor)) throw new Error("matmul: both arguments must be Tensors");
  if (a.ndim === 0 || b.ndim === 0) throw new Error(`matmul: both arguments need at least 1 dimension, got ${fmt(a.shape)} and ${fmt(b.shape)}`);
  const ka = a.shape[a.ndim - 1];
  const kb = b.shape[b.ndim === 1 ? 0 : b.ndim - 2];
  if (ka !== kb) throw new Error(`matmul: shapes ${fmt(a.shape)} and ${fmt(b.shape)} cannot be multiplied (inner sizes ${ka} and ${kb} differ)`);
  if (a.ndim > 2 && b.ndim === 2) {
    // (…, m, k)·(k, n): one (…·m, k)·(k, n) product, so the weight's gradient is a single
    // product too instead of one per batch entry summed afterwards
    const lead = a.shape.slice(0, -1);
    return reshape(matmulT(reshape(a, [-1, b.shape[0]]), b, false, false), [...lead, b.shape[1]]);
  }
  const A = a.ndim === 1 ? unsqueeze(a, 0) : a;
  const B = b.ndim === 1 ? unsqueeze(b, -1) : b;
  let out = matmulT(A, B, false, false);
  if (a.ndim === 1) out = reshape(out, [...out.shape.slice(0, -2), out.shape[out.ndim - 1]]);
  if (b.ndim === 1) out = reshape(out, out.shape.slice(0, -1));
  return out;
}

/** torch.mm: the product of two matrices, (n, k)·(k, m); no broadcasting, unlike matmul. */
export function mm(a: Tensor, b: Tensor): Tensor {
  if (!(a instanceof Tensor) || !(b instanceof Tensor) || a.ndim !== 2 || b.ndim !== 2) {
    throw new Error(`mm: expected two 2-D tensors, got ${a instanceof Tensor ? fmt(a.shape) : typeof a} and ${b instanceof Tensor ? fmt(b.shape) : typeof b}`);
  }
  return matmulT(a, b, false, false);
}

/** torch.bmm: batched matrix products, (B, n, k)·(B, k, m); the batch sizes must match (no broadcasting). */
export function bmm(a: Tensor, b: Tensor): Tensor {
  if (!(a instanceof Tensor) || !(b instanceof Tensor) || a.ndim !== 3 || b.ndim !== 3) {
    throw new Error(`bmm: expected two 3-D tensors, got ${a instanceof Tensor ? fmt(a.shape) : typeof a} and ${b instanceof Tensor ? fmt(b.shape) : typeof b}`);
  }
  if (a.shape[0] !== b.shape[0]) throw new Error(`bmm: batch sizes differ: ${fmt(a.shape)} and ${fmt(b.shape)}`);
  return matmulT(a, b, false, false);
}

/**
 * Kronecker product: for matrices, the block matrix [a_ij·b]; in general out[i·s + j] = a[i]·b[j]
 * per dim, with s = b's size there (the fewer dims of the two are padded with leading 1s).
 */
export function kron(a: Tensor, b: Tensor): Tensor {
  const nd = Math.max(a.ndim, b.ndim);
  const pad = (t: Tensor) => [...new Array<number>(nd - t.ndim).fill(1), ...t.shape];
  const sa = pad(a);
  const sb = pad(b);
  // a as (a0, 1, a1, 1, …) times b as (1, b0, 1, b1, …), then each pair of dims merged
  const A = reshape(a, sa.flatMap((s) => [s, 1]));
  const B = reshape(b, sb.flatMap((s) => [1, s]));
  return reshape(A.mul(B), sa.map((s, i) => s * sb[i]));
}

/** Outer product of two vectors. */
export function outer(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 1 || b.ndim !== 1) throw new Error(`outer: expected two 1-D tensors, got ${fmt(a.shape)} and ${fmt(b.shape)}`);
  return unsqueeze(a, 1).mul(unsqueeze(b, 0));
}

/**
 * Einstein summation for the forms attention and interpretability use, e.g.
 * "bqhd,bkhd->bhqk", "bpd,dv->bpv", "ij->ji", "bij->b", "...d,d->..." is not supported (use
 * explicit letters). Each operand's subscripts are distinct letters; a letter absent from the
 * output is summed. Two operands reduce to one batched matmul; more are folded left to right.
 */
export function einsum(equation: string, ...operands: Tensor[]): Tensor {
  const eq = equation.replace(/\s+/g, "");
  const arrow = eq.indexOf("->");
  const lhs = arrow >= 0 ? eq.slice(0, arrow) : eq;
  const inputs = lhs.split(",");
  if (inputs.length !== operands.length) throw new Error(`einsum: "${equation}" names ${inputs.length} operand(s) but ${operands.length} were given`);
  const letters = inputs.join("");
  let output: string;
  if (arrow >= 0) output = eq.slice(arrow + 2);
  else output = [...new Set(letters)].filter((c) => letters.indexOf(c) === letters.lastIndexOf(c)).sort().join("");
  const sizes = new Map<string, number>();
  inputs.forEach((sub, i) => {
    const t = operands[i];
    if (!/^[a-zA-Z]*$/.test(sub)) throw new Error(`einsum: subscripts must be letters, got "${sub}" in "${equation}"`);
    if (new Set(sub).size !== sub.length) throw new Error(`einsum: repeated subscript in "${sub}" (diagonals are not supported)`);
    if (sub.length !== t.ndim) throw new Error(`einsum: operand ${i} has shape ${fmt(t.shape)} but subscripts "${sub}"`);
    [...sub].forEach((c, d) => {
      const prev = sizes.get(c);
      if (prev !== undefined && prev !== t.shape[d] && prev !== 1 && t.shape[d] !== 1) {
        throw new Error(`einsum: subscript "${c}" has size ${prev} in one operand and ${t.shape[d]} in another`);
      }
      sizes.set(c, Math.max(prev ?? 1, t.shape[d]));
    });
  });
  for (const c of output) if (!sizes.has(c)) throw new Error(`einsum: output subscript "${c}" does not appear in the inputs`);
  let acc = operands[0];
  let accSub = inputs[0];
  for (let i = 1; i < operands.length; i++) {
    const rest = inputs.slice(i + 1).join("") + output;
    [acc, accSub] = contractPair(acc, accSub, operands[i], inputs[i], rest, sizes);
  }
  // sum letters not in the output, then order as the output says
  const drop = [...accSub].map((c, d) => (output.includes(c) ? -1 : d)).filter((d) => d >= 0);
  if (drop.length) {
    acc = acc.sum(drop);
    accSub = [...accSub].filter((c) => output.includes(c)).join("");
  }
  return permute(acc, [...output].map((c) => accSub.indexOf(c)));
}

/** Contracts two operands, keeping the letters that `keep` still needs. */
function contractPair(a: Tensor, sa: string, b: Tensor, sb: string, keep: string, sizes: Map<string, number>): [Tensor, string] {
  // letters only in one operand and not needed later are summed out first
  const pre = (t: Tensor, s: string, other: string): [Tensor, string] => {
    const dims = [...s].map((c, d) => (!other.includes(c) && !keep.includes(c) ? d : -1)).filter((d) => d >= 0);
    if (!dims.length) return [t, s];
    return [t.sum(dims), [...s].filter((_, d) => !dims.includes(d)).join("")];
  };
  [a, sa] = pre(a, sa, sb);
  [b, sb] = pre(b, sb, sa);
  const batch = [...sa].filter((c) => sb.includes(c) && keep.includes(c));
  const contract = [...sa].filter((c) => sb.includes(c) && !keep.includes(c));
  const left = [...sa].filter((c) => !sb.includes(c));
  const right = [...sb].filter((c) => !sa.includes(c));
  const size = (cs: string[]) => cs.reduce((p, c) => p * sizes.get(c)!, 1);
  const arrange = (t: Tensor, s: string, order: string[], shape: number[]) => {
    const p = permute(t, order.map((c) => s.indexOf(c)));
    const full = order.map((c) => sizes.get(c)!);
    return reshape(p.expand(full), shape);
  };
  const A = arrange(a, sa, [...batch, ...left, ...contract], [size(batch), size(left), size(contract)]);
  const B = arrange(b, sb, [...batch, ...contract, ...right], [size(batch), size(contract), size(right)]);
  const C = matmulT(A, B, false, false);
  const sub = [...batch, ...left, ...right];
  return [reshape(C, sub.map((c) => sizes.get(c)!)), sub.join("")];
}
