// Making tensors: from JS data, constants, ranges, and seeded random numbers.
// Shapes may be given PyTorch-style as varargs, zeros(2, 3), or as one array, zeros([2, 3]).
import { backend } from "../backend/index.js";
import type { DType, TypedArray } from "../backend/types.js";
import { checkDType, dtypeOfArray, isFloat, makeTypedArray } from "./dtype.js";
import { defaultGenerator, type Generator } from "./random.js";
import { checkShape, fmt, sizeOf } from "./shape.js";
import { type NestedArray, Tensor } from "./tensor.js";

export interface TensorOptions {
  dtype?: DType;
  requiresGrad?: boolean;
}
export interface RandomOptions extends TensorOptions {
  generator?: Generator;
}
type ShapeArgs<O> = (number | readonly number[] | O | undefined)[];

/** Splits (2, 3, {opts}) or ([2, 3], {opts}) into a shape and options. */
function parseShape<O extends object>(args: ShapeArgs<O>, op: string): [number[], O] {
  let opts = {} as O;
  const rest = [...args];
  if (rest.length && typeof rest[rest.length - 1] === "object" && !Array.isArray(rest[rest.length - 1])) opts = (rest.pop() ?? {}) as O;
  while (rest.length && rest[rest.length - 1] === undefined) rest.pop();
  let shape: number[];
  if (rest.length === 1 && Array.isArray(rest[0])) shape = [...(rest[0] as number[])];
  else if (rest.every((v) => typeof v === "number")) shape = rest as number[];
  else throw new Error(`${op}: expected a shape as numbers or one array, got ${JSON.stringify(args)}`);
  return [checkShape(shape, op), opts];
}

function finish(t: Tensor, opts: TensorOptions): Tensor {
  if (opts.requiresGrad) t.requiresGrad_(true);
  return t;
}

function dtypeOf(opts: TensorOptions, fallback: DType, op: string): DType {
  return opts.dtype === undefined ? fallback : checkDType(opts.dtype, op);
}

/** Shape of a nested array, checking it is rectangular. */
function nestedShape(data: NestedArray, op: string): number[] {
  const shape: number[] = [];
  let level: NestedArray = data;
  while (Array.isArray(level)) {
    shape.push(level.length);
    level = level[0];
  }
  const check = (v: NestedArray, d: number, path: string) => {
    if (d === shape.length) {
      if (typeof v !== "number" && typeof v !== "boolean") throw new Error(`${op}: entry ${path} is ${Array.isArray(v) ? "an array" : JSON.stringify(v)}, expected a number (ragged nested array?)`);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[d]) throw new Error(`${op}: ragged nested array: entry ${path} should have length ${shape[d]}`);
    v.forEach((c, i) => check(c, d + 1, `${path}[${i}]`));
  };
  check(data, 0, "");
  return shape;
}

function flattenNested(data: NestedArray): (number | boolean)[] {
  const out: (number | boolean)[] = [];
  const walk = (v: NestedArray): void => {
    if (Array.isArray(v)) for (const c of v) walk(c);
    else out.push(v);
  };
  walk(data);
  return out;
}

/**
 * tensor(data, opts): from a number, nested arrays or a typed array. Numbers become float32
 * unless `dtype` says otherwise (booleans become bool); typed arrays keep their type, and
 * `shape` reshapes flat data.
 */
export function tensor(data: NestedArray | TypedArray | readonly number[], opts: TensorOptions & { shape?: readonly number[] } = {}): Tensor {
  let flat: TypedArray;
  let shape: number[];
  if (ArrayBuffer.isView(data)) {
    const given = data as TypedArray;
    const from = dtypeOfArray(given);
    const dtype = dtypeOf(opts, from, "tensor");
    flat = dtype === from ? given : makeTypedArray(dtype, given);
    shape = opts.shape ? checkShape([...opts.shape], "tensor") : [given.length];
  } else {
    shape = nestedShape(data as NestedArray, "tensor");
    const values = flattenNested(data as NestedArray);
    const isBool = values.length > 0 && values.every((v) => typeof v === "boolean");
    const dtype = dtypeOf(opts, isBool ? "bool" : "float32", "tensor");
    flat = makeTypedArray(dtype, values.map(Number));
    if (opts.shape) {
      const target = checkShape([...opts.shape], "tensor");
      if (sizeOf(target) !== flat.length) throw new Error(`tensor: shape ${fmt(target)} does not fit ${flat.length} values`);
      shape = target;
    }
  }
  if (sizeOf(shape) !== flat.length) throw new Error(`tensor: shape ${fmt(shape)} does not fit ${flat.length} values`);
  return finish(Tensor.fromTypedArray(flat, shape), opts);
}

export function full(shape: readonly number[], value: number, opts: TensorOptions = {}): Tensor {
  const s = checkShape([...shape], "full");
  const t = Tensor.empty(s, dtypeOf(opts, typeof value === "boolean" ? "bool" : "float32", "full"));
  backend().fill(t.storage, value);
  return finish(t, opts);
}

export function zeros(...args: ShapeArgs<TensorOptions>): Tensor {
  const [shape, opts] = parseShape(args, "zeros");
  return full(shape, 0, opts);
}

export function ones(...args: ShapeArgs<TensorOptions>): Tensor {
  const [shape, opts] = parseShape(args, "ones");
  return full(shape, 1, opts);
}

export function zerosLike(t: Tensor, opts: TensorOptions = {}): Tensor {
  return full(t.shape, 0, { dtype: t.dtype, ...opts });
}

export function onesLike(t: Tensor, opts: TensorOptions = {}): Tensor {
  return full(t.shape, 1, { dtype: t.dtype, ...opts });
}

export function fullLike(t: Tensor, value: number, opts: TensorOptions = {}): Tensor {
  return full(t.shape, value, { dtype: t.dtype, ...opts });
}

/** arange(end) or arange(start, end, step): int32 when all are integers, like PyTorch's int64. */
export function arange(start: number, end?: number, step = 1, opts: TensorOptions = {}): Tensor {
  if (end === undefined) [start, end] = [0, start];
  if (![start, end, step].every(Number.isFinite) || step === 0) throw new Error(`arange: start, end and step must be finite and step non-zero, got ${start}, ${end}, ${step}`);
  const n = Math.max(0, Math.ceil((end - start) / step));
  if (n > 2 ** 31) throw new Error(`arange: ${n} elements is too many`);
  const ints = [start, end, step].every(Number.isInteger);
  const dtype = dtypeOf(opts, ints ? "int32" : "float32", "arange");
  const data = makeTypedArray(dtype, n);
  for (let i = 0; i < n; i++) data[i] = start + i * step;
  return finish(Tensor.fromTypedArray(data, [n]), opts);
}

export function linspace(start: number, end: number, steps: number, opts: TensorOptions = {}): Tensor {
  if (!Number.isInteger(steps) || steps < 0) throw new Error(`linspace: steps must be a non-negative integer, got ${steps}`);
  const data = makeTypedArray(dtypeOf(opts, "float32", "linspace"), steps);
  const h = steps > 1 ? (end - start) / (steps - 1) : 0;
  // fill from both ends, as PyTorch does, so the last value is exactly `end`
  for (let i = 0; i < steps; i++) data[i] = i < steps / 2 ? start + h * i : end - h * (steps - 1 - i);
  return finish(Tensor.fromTypedArray(data, [steps]), opts);
}

export function eye(n: number, m = n, opts: TensorOptions = {}): Tensor {
  checkShape([n, m], "eye");
  const data = makeTypedArray(dtypeOf(opts, "float32", "eye"), n * m);
  for (let i = 0; i < Math.min(n, m); i++) data[i * m + i] = 1;
  return finish(Tensor.fromTypedArray(data, [n, m]), opts);
}

function randomTensor(shape: number[], opts: RandomOptions, op: string, draw: (g: Generator) => number): Tensor {
  const dtype = dtypeOf(opts, "float32", op);
  if (!isFloat(dtype)) throw new Error(`${op}: dtype must be float32 or float64, got ${dtype}`);
  const g = opts.generator ?? defaultGenerator;
  const data = makeTypedArray(dtype, sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = draw(g);
  return finish(Tensor.fromTypedArray(data, shape), opts);
}

/** Uniform on [0, 1). */
export function rand(...args: ShapeArgs<RandomOptions>): Tensor {
  const [shape, opts] = parseShape(args, "rand");
  return randomTensor(shape, opts, "rand", (g) => g.random());
}

/** Standard normal. */
export function randn(...args: ShapeArgs<RandomOptions>): Tensor {
  const [shape, opts] = parseShape(args, "randn");
  return randomTensor(shape, opts, "randn", (g) => g.normal());
}

/** Uniform integers in [low, high), int32. */
export function randint(low: number, high: number, shape: readonly number[], opts: RandomOptions = {}): Tensor {
  if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low) throw new Error(`randint: need integers low < high, got ${low}, ${high}`);
  const s = checkShape([...shape], "randint");
  const g = opts.generator ?? defaultGenerator;
  const data = new Int32Array(sizeOf(s));
  for (let i = 0; i < data.length; i++) data[i] = g.randint(low, high);
  return Tensor.fromTypedArray(data, s);
}

/** A random permutation of 0..n-1 (Fisher–Yates), int32. */
export function randperm(n: number, opts: RandomOptions = {}): Tensor {
  checkShape([n], "randperm");
  const g = opts.generator ?? defaultGenerator;
  const data = new Int32Array(n);
  for (let i = 0; i < n; i++) data[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = g.randint(0, i + 1);
    [data[i], data[j]] = [data[j], data[i]];
  }
  return Tensor.fromTypedArray(data, [n]);
}

export function randnLike(t: Tensor, opts: RandomOptions = {}): Tensor {
  return randn(t.shape, { dtype: t.dtype, ...opts });
}

export function randLike(t: Tensor, opts: RandomOptions = {}): Tensor {
  return rand(t.shape, { dtype: t.dtype, ...opts });
}
