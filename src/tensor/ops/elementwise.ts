// Elementwise ops: each one's forward (a backend kernel) and backward (tensor ops, so the
// backward itself is differentiable) side by side. Binary ops broadcast like NumPy; their
// gradients are summed back to each input's shape.
import { backend } from "../../backend/index.js";
import type { BinaryOp, DType, UnaryOp } from "../../backend/types.js";
import { boolOption, isOptions, numberOption, parseArgs } from "../args.js";
import { attach, isGradEnabled, willRecord } from "../autograd.js";
import { floatTypeOf, isFloat, makeTypedArray, promoteTypes } from "../dtype.js";
import { broadcastShapes, broadcastStrides, fmt, shapesEqual } from "../shape.js";
import { Tensor, type TensorLike } from "../tensor.js";
import { sumToShape } from "./shape.js";

export function isGradRecording(): boolean {
  return isGradEnabled();
}

/** Wraps a JS number as a 0-d tensor of the given dtype (floats stay floats: 0.5 never becomes int). */
export function asTensor(x: TensorLike, like: DType): Tensor {
  if (x instanceof Tensor) return x;
  if (typeof x !== "number" && typeof x !== "boolean") throw new Error(`expected a Tensor or a number, got ${typeof x}`);
  const v = Number(x);
  const dtype = !isFloat(like) && !Number.isInteger(v) ? "float32" : like === "bool" && typeof x === "number" ? "int32" : like;
  const t = Tensor.empty([], dtype);
  backend().fill(t.storage, v);
  return t;
}

// ------------------------------------------------------------------ dtype conversion
export function cast(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return x;
  const out = Tensor.output(x.shape, dtype);
  backend().cast(x.storage, out.storage);
  if (!isFloat(dtype)) return out;
  // d(cast x)/dx = 1: cast the gradient back
  return attach(out, "cast", [x], (g) => [cast(g, x.dtype)], []);
}

export function clone(x: Tensor): Tensor {
  const out = Tensor.output(x.shape, x.dtype);
  backend().write(out.storage, backend().read(x.storage));
  return attach(out, "clone", [x], (g) => [g], []);
}

// ------------------------------------------------------------------ unary
function unaryKernel(op: UnaryOp, x: Tensor, dtype: DType = floatTypeOf(x.dtype), inputDtype: DType = dtype): Tensor {
  const input = cast(x, inputDtype);
  const out = Tensor.output(x.shape, dtype);
  backend().unary(op, input.storage, out.storage);
  return out;
}

/** Defines a differentiable unary op: grad(g, x, y) returns dL/dx given dL/dy = g. */
function unary(op: UnaryOp, grad: ((g: Tensor, x: Tensor, y: Tensor) => Tensor) | null, keepDtype = false) {
  return (x: Tensor): Tensor => {
    const y = unaryKernel(op, x, keepDtype ? x.dtype : floatTypeOf(x.dtype));
    if (grad === null || !isFloat(y.dtype) || !willRecord(x)) return y;
    // what the backward reads shows in its parameters: (g) nothing, (g, x) the input, (g, x, y) the output too
    return attach(y, op, [x], (g) => [grad(g, x, y)], grad.length >= 3 ? [x, y] : grad.length === 2 ? [x] : []);
  };
}

/** A unary op without a backend kernel: JS's Math function on each element, in float64. */
function mathUnary(x: Tensor, f: (v: number) => number): Tensor {
  const dtype = floatTypeOf(x.dtype);
  const input = cast(x, dtype);
  const out = Tensor.output(x.shape, dtype);
  const src = backend().read(input.storage);
  const y = makeTypedArray(dtype, src.length);
  for (let i = 0; i < src.length; i++) y[i] = f(src[i]);
  backend().write(out.storage, y);
  return out;
}

/** log(1 + x), accurate for tiny x where 1 + x would round to 1. */
export function log1p(x: Tensor): Tensor {
  return attach(mathUnary(x, Math.log1p), "log1p", [x], (g) => [g.div(x.add(1))], [x]);
}

/** eˣ − 1, accurate for tiny x. d/dx = eˣ = y + 1. */
export function expm1(x: Tensor): Tensor {
  const y = mathUnary(x, Math.expm1);
  return attach(y, "expm1", [x], (g) => [g.mul(y.add(1))], [y]);
}

const zeroGrad = (g: Tensor) => g.zerosLike();
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

export const neg = unary("neg", (g) => g.neg(), true);
export const abs = unary("abs", (g, x) => g.mul(x.sign()), true);
export const sign = unary("sign", zeroGrad, true);
export const exp = unary("exp", (g, _x, y) => g.mul(y));
export const log = unary("log", (g, x) => g.div(x));
export const sqrt = unary("sqrt", (g, _x, y) => g.div(y.mul(2)));
export const rsqrt = unary("rsqrt", (g, _x, y) => g.mul(y.pow(3)).mul(-0.5));
export const square = unary("square", (g, x) => g.mul(x).mul(2), true);
export const reciprocal = unary("reciprocal", (g, _x, y) => g.mul(y.square()).neg());
export const sin = unary("sin", (g, x) => g.mul(x.cos()));
export const cos = unary("cos", (g, x) => g.mul(x.sin()).neg());
export const tanh = unary("tanh", (g, _x, y) => g.mul(sub(1, y.square())));
export const sigmoid = unary("sigmoid", (g, _x, y) => g.mul(y).mul(sub(1, y)));
export const relu = unary("relu", (g, x) => g.mul(x.gt(0)), true);
// d/dx [x σ(x)] = σ(x) (1 + x (1 − σ(x)))
export const silu = unary("silu", (g, x) => {
  const s = x.sigmoid();
  return g.mul(s.mul(add(1, x.mul(sub(1, s)))));
});
export const softplus = unary("softplus", (g, x) => g.mul(x.sigmoid()));
// d/dx erf x = 2/√π e^{−x²}
export const erf = unary("erf", (g, x) => g.mul(x.square().neg().exp()).mul(2 / Math.sqrt(Math.PI)));
export const floor = unary("floor", zeroGrad, true);
export const ceil = unary("ceil", zeroGrad, true);
export const round = unary("round", zeroGrad, true);
export const logicalNot = (x: Tensor): Tensor => unaryKernel("logical_not", x, "bool");
// tests on the values themselves: casting to bool first would turn NaN and ±∞ into true
export const isnan = (x: Tensor): Tensor => unaryKernel("isnan", x, "bool", x.dtype);
export const isinf = (x: Tensor): Tensor => unaryKernel("isinf", x, "bool", x.dtype);

// GELU, exact: x Φ(x), so d/dx = Φ(x) + x φ(x): one derivative kernel in a plain backward pass,
// differentiable ops when the backward itself is recorded (double backward).
const geluErf = unary("gelu_erf", (g, x) => {
  if (!isGradEnabled()) return g.mul(unaryKernel("gelu_erf_grad", x, g.dtype));
  const cdf = add(1, x.mul(Math.SQRT1_2).erf()).mul(0.5);
  const pdf = x.square().mul(-0.5).exp().mul(INV_SQRT_2PI);
  return g.mul(cdf.add(x.mul(pdf)));
});
// GELU, tanh approximation: ½x(1 + tanh u), u = √(2/π)(x + 0.044715x³).
const geluTanh = unary("gelu_tanh", (g, x) => {
  if (!isGradEnabled()) return g.mul(unaryKernel("gelu_tanh_grad", x, g.dtype));
  // double backward: the same derivative in differentiable ops
  const t = x.add(x.pow(3).mul(0.044715)).mul(SQRT_2_OVER_PI).tanh();
  const du = add(1, x.square().mul(3 * 0.044715)).mul(SQRT_2_OVER_PI);
  return g.mul(add(1, t).mul(0.5).add(x.mul(0.5).mul(sub(1, t.square())).mul(du)));
});
export function gelu(x: Tensor, opts: { approximate?: "none" | "tanh" } = {}): Tensor {
  const mode = opts.approximate ?? "none";
  if (mode !== "none" && mode !== "tanh") throw new Error(`gelu: approximate must be "none" or "tanh", got ${JSON.stringify(mode)}`);
  return mode === "tanh" ? geluTanh(x) : geluErf(x);
}

// ------------------------------------------------------------------ binary
/** Runs a broadcasting binary kernel; inputs are cast to `dtype`, output has dtype `outDtype`. */
function binaryKernel(op: BinaryOp, a: Tensor, b: Tensor, dtype: DType, outDtype: DType): Tensor {
  const shape = broadcastShapes(op, a.shape, b.shape);
  const A = cast(a, dtype);
  const B = cast(b, dtype);
  const out = Tensor.output(shape, outDtype);
  const aStrides = broadcastStrides(a.shape, shape);
  const bStrides = shapesEqual(a.shape, b.shape) ? aStrides : broadcastStrides(b.shape, shape); // (the common case: one list)
  backend().binary(op, A.storage, aStrides, B.storage, bStrides, out.storage, shape);
  return out;
}

function operands(x: TensorLike, y: TensorLike, op: string): [Tensor, Tensor] {
  if (!(x instanceof Tensor) && !(y instanceof Tensor)) throw new Error(`${op}: at least one argument must be a Tensor`);
  const a = x instanceof Tensor ? x : asTensor(x, (y as Tensor).dtype);
  const b = y instanceof Tensor ? y : asTensor(y, a.dtype);
  return [a, b];
}

/** Defines a differentiable broadcasting binary op. */
function binary(op: BinaryOp, grad: (g: Tensor, a: Tensor, b: Tensor, y: Tensor) => [Tensor | null, Tensor | null], floatOnly = false) {
  return (x: TensorLike, y: TensorLike): Tensor => {
    const [a, b] = operands(x, y, op);
    let dtype = promoteTypes(a.dtype, b.dtype);
    if (dtype === "bool" || floatOnly) dtype = floatOnly ? floatTypeOf(dtype) : "int32";
    const out = binaryKernel(op, a, b, dtype, dtype);
    if (!isFloat(dtype) || !willRecord(a, b)) return out;
    return attach(out, op, [a, b], (g) => {
      const [ga, gb] = grad(g, a, b, out);
      return [ga && sumToShape(ga, a.shape), gb && sumToShape(gb, b.shape)];
    }, grad.length >= 4 ? [a, b, out] : grad.length >= 2 ? [a, b] : []);
  };
}

export const add = binary("add", (g) => [g, g]);
export const sub = binary("sub", (g) => [g, g.neg()]);
export const mul = binary("mul", (g, a, b) => [g.mul(b), g.mul(a)]);
// Division is true division: integers divide as floats, like torch.div.
export const div = binary("div", (g, a, b) => [g.div(b), a.requiresGrad || b.requiresGrad ? g.mul(a).div(b.square()).neg() : null], true);
// d(a^b)/da = b a^(b−1) (taken as 0 where b = 0, even at a = 0); d(a^b)/db = a^b ln a (taken as 0
// where a = 0), both as PyTorch does
export const pow = binary("pow", (g, a, b, y) => [
  a.requiresGrad ? g.mul(where(b.eq(0), 0, b.mul(a.pow(sub(b, 1))))) : null,
  b.requiresGrad ? g.mul(y).mul(where(a.eq(0), 0, a.abs().log())) : null,
]);
// Ties split the gradient evenly between both inputs, as PyTorch does.
export const maximum = binary("maximum", (g, a, b) => {
  const share = a.gt(b).to(g.dtype).add(a.eq(b).to(g.dtype).mul(0.5));
  return [g.mul(share), g.mul(sub(1, share))];
});
export const minimum = binary("minimum", (g, a, b) => {
  const share = a.lt(b).to(g.dtype).add(a.eq(b).to(g.dtype).mul(0.5));
  return [g.mul(share), g.mul(sub(1, share))];
});
// d atan2(a, b) = (b da − a db) / (a² + b²)
export const atan2 = binary("atan2", (g, a, b) => {
  const r2 = a.square().add(b.square());
  return [g.mul(b).div(r2), g.mul(a).div(r2).neg()];
}, true);

function comparison(op: BinaryOp) {
  return (x: TensorLike, y: TensorLike): Tensor => {
    const [a, b] = operands(x, y, op);
    return binaryKernel(op, a, b, promoteTypes(a.dtype, b.dtype), "bool");
  };
}
export const gt = comparison("gt");
export const ge = comparison("ge");
export const lt = comparison("lt");
export const le = comparison("le");
export const eq = comparison("eq");
export const ne = comparison("ne");
export const logicalAnd = comparison("logical_and");
export const logicalOr = comparison("logical_or");

/** where(cond, a, b): a where cond is true, else b; all three broadcast together. */
export function where(cond: Tensor, x: TensorLike, y: TensorLike): Tensor {
  if (!(cond instanceof Tensor)) throw new Error("where: cond must be a Tensor");
  // two JS numbers give float32 (JS has no int literals; PyTorch would give int64 for where(c, 1, 0))
  const scalars = typeof x === "boolean" && typeof y === "boolean" ? "bool" : "float32";
  const [a, b] = x instanceof Tensor || y instanceof Tensor ? operands(x, y, "where") : [asTensor(x, scalars), asTensor(y, scalars)];
  const shape = broadcastShapes("where", cond.shape, a.shape, b.shape);
  const dtype = promoteTypes(a.dtype, b.dtype);
  const A = cast(a, dtype);
  const B = cast(b, dtype);
  const C = cast(cond, "bool");
  const out = Tensor.output(shape, dtype);
  backend().where(C.storage, broadcastStrides(cond.shape, shape), A.storage, broadcastStrides(a.shape, shape), B.storage, broadcastStrides(b.shape, shape), out.storage, shape);
  if (!isFloat(dtype)) return out;
  return attach(out, "where", [a, b], (g) => [
    a.requiresGrad ? sumToShape(where(C, g, 0), a.shape) : null,
    b.requiresGrad ? sumToShape(where(C, 0, g), b.shape) : null,
  ], [C]);
}

export interface ClampOptions {
  min?: number | Tensor | null;
  max?: number | Tensor | null;
}

/**
 * Limits values to [min, max] (either may be omitted or null; tensors broadcast). The gradient
 * passes to x where min ≤ x ≤ max, and to a tensor bound where it is the one taken. Where
 * min > max every value becomes max, as in PyTorch.
 */
export function clamp(x: Tensor, min?: number | Tensor | null | ClampOptions, max?: number | Tensor | null | ClampOptions): Tensor {
  if (isOptions(min) || isOptions(max)) {
    const o = parseArgs("clamp", ["min", "max"], 2, [min, max]);
    return clamp(x, o.min as number | Tensor | null | undefined, o.max as number | Tensor | null | undefined);
  }
  const lo = (min ?? null) as number | Tensor | null;
  const hi = (max ?? null) as number | Tensor | null;
  if (lo === null && hi === null) throw new Error("clamp: at least one of min and max must be given");
  for (const b of [lo, hi]) if (b !== null && typeof b !== "number" && !(b instanceof Tensor)) throw new Error(`clamp: min and max must be numbers or tensors, got ${typeof b}`);
  if (lo instanceof Tensor || hi instanceof Tensor) {
    // where() routes each element's gradient to whichever of x and the bound it took
    let y: Tensor = x;
    if (lo !== null) y = where(lt(y, lo), lo, y);
    if (hi !== null) y = where(gt(y, hi), hi, y);
    return y;
  }
  let y = noGradUnary(x, (t) => (lo !== null ? maximum(t, lo) : t));
  y = noGradUnary(y, (t) => (hi !== null ? minimum(t, hi) : t));
  if (!isFloat(y.dtype)) return y;
  return attach(y, "clamp", [x], (g) => {
    let pass = x.isnan().logicalNot();
    if (lo !== null) pass = pass.logicalAnd(x.ge(lo));
    if (hi !== null) pass = pass.logicalAnd(x.le(hi));
    return [where(pass, g, 0)];
  }, [x]);
}

/** Alias of clamp, as torch.clip. */
export const clip = clamp;

export interface IscloseOptions {
  rtol?: number;
  atol?: number;
  equalNan?: boolean;
}

/**
 * |a − b| ≤ atol + rtol·|b| elementwise (bool, broadcast), as torch.isclose: equal infinities
 * are close, NaN is close to NaN only with equalNan. Not symmetric in a and b, like PyTorch's.
 */
export function isclose(a: TensorLike, b: TensorLike, rtol?: number | IscloseOptions, atol?: number | IscloseOptions, equalNan?: boolean | IscloseOptions): Tensor {
  const o = parseArgs("isclose", ["rtol", "atol", "equalNan"], 3, [rtol, atol, equalNan]);
  const [x, y] = operands(a, b, "isclose");
  const rt = numberOption("isclose", "rtol", o.rtol, 1e-5);
  const at = numberOption("isclose", "atol", o.atol, 1e-8);
  if (!(rt >= 0) || !(at >= 0)) throw new Error(`isclose: rtol and atol must be non-negative, got ${rt} and ${at}`);
  const dtype = floatTypeOf(promoteTypes(x.dtype, y.dtype));
  const X = cast(x, dtype).detach();
  const Y = cast(y, dtype).detach();
  let close = eq(X, Y);
  if (boolOption("isclose", "equalNan", o.equalNan, false)) close = logicalOr(close, logicalAnd(X.isnan(), Y.isnan()));
  const err = X.sub(Y).abs();
  const finite = logicalNot(logicalOr(err.isnan(), err.isinf()));
  return logicalOr(close, logicalAnd(finite, err.le(Y.abs().mul(rt).add(at))));
}

/** Whether every element is close (see isclose): a JS boolean, as torch.allclose's Python bool. */
export function allclose(a: TensorLike, b: TensorLike, rtol?: number | IscloseOptions, atol?: number | IscloseOptions, equalNan?: boolean | IscloseOptions): boolean {
  return isclose(a, b, rtol, atol, equalNan).all();
}

function noGradUnary(x: Tensor, f: (t: Tensor) => Tensor): Tensor {
  return f(x.detach());
}

export function checkSameShape(op: string, a: Tensor, b: Tensor): void {
  if (a.shape.length !== b.shape.length || a.shape.some((s, i) => s !== b.shape[i])) {
    throw new Error(`${op}: shapes ${fmt(a.shape)} and ${fmt(b.shape)} must match`);
  }
}
