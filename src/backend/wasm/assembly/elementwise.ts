// AssemblyScript: elementwise kernels over float32 (and 4-byte / 1-byte / 8-byte copies).
//
// Every kernel works on a range [start, end) of its dense output, so threads split a job into
// disjoint ranges; lanes are independent, so results never depend on the split.
//
// Broadcasting and strided kernels read a descriptor `desc` (int32s) written by the caller after
// it merged contiguous dimensions: [nd, shape[0..nd), strides of operand 0, strides of operand 1, …]
// in elements, and keep their odometer in `idx` (nd int32s private to the part). They walk the
// output in runs along the innermost dimension and pick a loop by the run's input strides:
// contiguous (1), broadcast (0) or gathered.
//
// The op codes are fixed here and in ../ops/elementwise.ts; each kernel switches on the op once and
// runs a loop specialised for it. (Unary ops get one plain function each: inlining a switch of
// 24 transcendental functions into 24 loops makes a function too large for Binaryen.)
import { vexp, verf, vgeluErf, vgeluTanh, vlanes2, vlog, vlogistic, vpowi, vsincos, vtanh } from "./mathf";

// ---------------------------------------------------------------- binary op tables

/** float32 binary ops. */
// @ts-ignore: decorator
@inline function binaryOp(op: i32, a: v128, b: v128): v128 {
  switch (op) {
    case 0: return f32x4.add(a, b);
    case 1: return f32x4.sub(a, b);
    case 2: return f32x4.mul(a, b);
    case 3: return f32x4.div(a, b);
    case 4: return vlanes2(0, a, b); // pow
    case 5: return f32x4.max(a, b); // NaN propagates, like torch.maximum
    case 6: return f32x4.min(a, b);
    default: return vlanes2(1, a, b); // atan2
  }
}

/** float32 comparisons and logical ops, as int32 lane masks. */
// @ts-ignore: decorator
@inline function binaryMask(op: i32, a: v128, b: v128): v128 {
  switch (op) {
    case 0: return f32x4.gt(a, b);
    case 1: return f32x4.ge(a, b);
    case 2: return f32x4.lt(a, b);
    case 3: return f32x4.le(a, b);
    case 4: return f32x4.eq(a, b);
    case 5: return f32x4.ne(a, b);
    case 6: return v128.and(f32x4.ne(a, f32x4.splat(0)), f32x4.ne(b, f32x4.splat(0))); // NaN is true
    default: return v128.or(f32x4.ne(a, f32x4.splat(0)), f32x4.ne(b, f32x4.splat(0)));
  }
}

// ---------------------------------------------------------------- loads and stores

/** Four floats from p with element stride s (1: contiguous, 0: one value, else gathered). */
// @ts-ignore: decorator
@inline function load4(p: usize, s: i32): v128 {
  if (s == 1) return v128.load(p);
  if (s == 0) return v128.load32_splat(p);
  const step = <usize>s << 2;
  let v = v128.load32_zero(p);
  v = v128.load32_lane(p + step, v, 1);
  v = v128.load32_lane(p + 2 * step, v, 2);
  return v128.load32_lane(p + 3 * step, v, 3);
}

/** The first `count` (1..3) floats from p with stride s; other lanes 0. */
// @ts-ignore: decorator
@inline function loadPart(p: usize, s: i32, count: i32): v128 {
  const step = <usize>s << 2;
  let v = v128.load32_zero(p);
  if (count > 1) v = v128.load32_lane(p + step, v, 1);
  if (count > 2) v = v128.load32_lane(p + 2 * step, v, 2);
  return v;
}

// @ts-ignore: decorator
@inline function storePart(p: usize, v: v128, count: i32): void {
  v128.store32_lane(p, v, 0);
  if (count > 1) v128.store32_lane(p, v, 1, 4);
  if (count > 2) v128.store32_lane(p, v, 2, 8);
}

/** Four int32 masks narrowed to four bytes 0/1. */
// @ts-ignore: decorator
@inline function maskBytes(m: v128): v128 {
  const b = v128.and(m, i32x4.splat(1));
  const h = i16x8.narrow_i32x4_u(b, b);
  return i8x16.narrow_i16x8_u(h, h);
}

// @ts-ignore: decorator
@inline function storeBytesPart(p: usize, v: v128, count: i32): void {
  v128.store8_lane(p, v, 0);
  if (count > 1) v128.store8_lane(p, v, 1, 1);
  if (count > 2) v128.store8_lane(p, v, 2, 2);
}

/** Four bool bytes from p with stride s as int32 lane masks (true = any nonzero byte). */
// @ts-ignore: decorator
@inline function loadMask4(p: usize, s: i32): v128 {
  let v: v128;
  if (s == 1) v = v128.load32_zero(p);
  else if (s == 0) v = v128.load8_splat(p);
  else {
    v = v128.load8_lane(p, i32x4.splat(0), 0);
    v = v128.load8_lane(p + <usize>s, v, 1);
    v = v128.load8_lane(p + 2 * <usize>s, v, 2);
    v = v128.load8_lane(p + 3 * <usize>s, v, 3);
  }
  return i32x4.ne(i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v)), i32x4.splat(0));
}

// @ts-ignore: decorator
@inline function loadMaskPart(p: usize, s: i32, count: i32): v128 {
  let v = v128.load8_lane(p, i32x4.splat(0), 0);
  if (count > 1) v = v128.load8_lane(p + <usize>s, v, 1);
  if (count > 2) v = v128.load8_lane(p + 2 * <usize>s, v, 2);
  return i32x4.ne(i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v)), i32x4.splat(0));
}

// ---------------------------------------------------------------- unary

/** Floats i..i+4 of x (those before n; the rest 0). */
// @ts-ignore: decorator
@inline function ld4(x: usize, i: i32, n: i32): v128 {
  const p = x + (<usize>i << 2);
  return i + 4 <= n ? v128.load(p) : loadPart(p, 1, n - i);
}

// @ts-ignore: decorator
@inline function st4(out: usize, i: i32, n: i32, r: v128): void {
  const p = out + (<usize>i << 2);
  if (i + 4 <= n) v128.store(p, r);
  else storePart(p, r, n - i);
}

// @ts-ignore: decorator
@inline function stMask4(out: usize, i: i32, n: i32, m: v128): void {
  const p = out + <usize>i;
  if (i + 4 <= n) v128.store32_lane(p, maskBytes(m), 0);
  else storeBytesPart(p, maskBytes(m), n - i);
}

/** relu, NaN → 0 like the reference. */
// @ts-ignore: decorator
@inline function vrelu(x: v128): v128 {
  return v128.and(x, f32x4.gt(x, f32x4.splat(0)));
}

/** sign: ±1, keeping ±0 and NaN. */
// @ts-ignore: decorator
@inline function vsign(x: v128): v128 {
  const s = v128.or(v128.and(x, i32x4.splat(0x80000000)), f32x4.splat(1));
  return v128.bitselect(s, x, v128.or(f32x4.gt(x, f32x4.splat(0)), f32x4.lt(x, f32x4.splat(0))));
}

// One loop per op, unrolled (2 vectors for the long functions, 4 for the cheap ones) so that
// independent vectors overlap; the last 1..7 floats go one zero-padded vector at a time.

function u0Neg(x: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const p = x + (<usize>i << 2);
    const q = out + (<usize>i << 2);
    const a = f32x4.neg(v128.load(p));
    const b = f32x4.neg(v128.load(p, 16));
    const c = f32x4.neg(v128.load(p, 32));
    const d = f32x4.neg(v128.load(p, 48));
    v128.store(q, a);
    v128.store(q, b, 16);
    v128.store(q, c, 32);
    v128.store(q, d, 48);
  }
  for (; i < n; i += 4) { const v = ld4(x, i, n); st4(out, i, n, f32x4.neg(v)); }
}

function u1Abs(x: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const p = x + (<usize>i << 2);
    const q = out + (<usize>i << 2);
    const a = f32x4.abs(v128.load(p));
    const b = f32x4.abs(v128.load(p, 16));
    const c = f32x4.abs(v128.load(p, 32));
    const d = f32x4.abs(v128.load(p, 48));
    v128.store(q, a);
    v128.store(q, b, 16);
    v128.store(q, c, 32);
    v128.store(q, d, 48);
  }
  for (; i < n; i += 4) { const v = ld4(x, i, n); st4(out, i, n, f32x4.abs(v)); }
}

function u2Sign(x: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const p = x + (<usize>i << 2);
    const q = out + (<usize>i << 2);
    const a = vsign(v128.load(p));
    const b = vsign(v128.load(p, 16));
    const c = vsign(v128.load(p, 32));
    const d = vsign(v128.load(p, 48));
    v128.store(q, a);
    v128.store(q, b, 16);
    v128.store(q, c, 32);
    v128.store(q, d, 48);
  }
  for (; i < n; i += 4) { const v = ld4(x, i, n); st4(out, i, n, vsign(v)); }
}

function u3Exp(x: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const p = x + (<usize>i << 2);
    const q = out + (<usize>i << 2);
    const a = vexp(v128.load(p));
    const b = vexp(v128.load(p, 16));
    v128.store(q, a);
    v128.store(q, b, 16);
  }
  for (; i < n; i += 4) { const v = ld4(x, i, n); st4(out, i, n, vexp(v)); }
}

function u4Log(x: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const p = x + (<usize>i << 2);
    const q = out + (<usize>i << 2);
    const a = vlog(v128.load(p));
    const b = vlog(v128.load(p, 16));
    v128.store(q, a);
    v128.store(q, b, 16);
  }
  for (; i < n; i += 4) { const v = ld4(x, i, n); st4(out, i, n, vlog(v)); }
}

function u5Sqrt(x: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const p = x + (<usize>i << 2);
    const q = out + (<usize>i << 2);
    const a = f32x4.sqrt(v128.load(p));
    const b = f32x4.sqrt(v128.load(p, 16));
    const c = f32x4.sqrt(v128.load(p, 32));
    const d = f32x4.sqrt(v128.load(p, 48));
    v128.store(q, a);
    v128.store(q, b, 16);
    v128.store(q, c, 32);
    v128.store(q, d, 48);
  }
  for (; i < n; i += 4) { const v = ld4(x, i, n); st4(out, i, n, f32x4.sqrt(v)); }
}

function u6Rsqrt(x: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const p = x + (<usize>i << 2);
    const q = out + (<usize>i << 2);
    const a = f32x4.div(f32x4.splat(1), f32x4.sqrt(v128.load(p)));
    const b = f32x4.div(f32x4.splat(1), f32x4.sqrt(v128.load(p, 16)));
    const c = f32x4.div(f32x4.splat(1), f32x4.sqrt(v128.load(p, 32)));
    const d = f32x4.div(f32x4.splat(1), f32x4.sqrt(v128.load(p, 48)));
    v128.store(q, a);
    v128.store(q, b, 16);
    v128.store(q, c, 32);
    v128.store(q, d, 48);
  }
  for (; i < n; i += 4) { const v = ld4(x, i, n); st4(out, i, n, f32x4.div(f32x4.splat(1), f32x4.sqrt(v))); }
}

function u7Sin(x: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const p = x + (<usize>i << 2);
    const q = out + (<usize>i << 2);
    const a = vsincos(v128.load(p), false);
    const b = vsincos(v128.load(p, 16), false);
    v128.store(q, a);
    v128.store(q, b, 16);
  }
  for (; i < n; i += 4) { const v = ld4(x, i, n); st4(out, i, n, vsincos(v, false)); }
}

function u8Cos(x: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const p = x + (<usize>i << 2);
    const q = out + (<usize>i << 2);
    const a = vsincos(v128.load(p), true);
    const b = vsincos(v128.load(p, 16), true);
    v128.store(q, a);
    v128.store(q, b, 16);
  }
  for (; i < n; i += 4) { const v = ld4(x, i, n); st4(out, i, n, vsincos(v, true)); }
}

function u9Tanh(x: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const p = x + (<usize>i << 2);
    const q = out + (<usize>i << 2);
    const a = vtanh(v128.load(p));
    const b = vtanh(v128.load(p, 16));
    v128.store(q, a);
    v128.store(q, b, 16);
  }
  for (; i < n; i += 4) { const v = ld4(x, i, n); st4(out, i, n, vtanh(v)); }
}

function u10Sigmoid(x: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const p = x + (<usize>i << 2);
    const q = out + (<usize>i << 2);
    const a = vlogistic(0, v128.load(p));
    const b = vlogistic(0, v128.load(p, 16));
    v128.store(q, a);
    v128.store(q, b, 16);
  }
  for (; i < n; i += 4) { const v = ld4(x, i, n); st4(out, i, n, vlogistic(0, v)); }
}

function u11Relu(x: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const p = x + (<usize>i << 2);
    const q = out + (<usize>i << 2);
    const a = vrelu(v128.load(p));
    const b = vrelu(v128.load(p, 16));
    const c = vrelu(v128.load(p, 32));
    const d = vrelu(v128.load(p, 48));
    v128.store(q, a);
    v128.store(q, b, 16);
    v128.store(q, c, 32);
    v128.store(q, d, 48);
  }
  for (; i < n; i += 4) { const v = ld4(x, i, n); st4(out, i, n, vrelu(v)); }
}

function u12GeluTanh(x: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const p = x + (<usize>i << 2);
    const q = out + (<usize>i << 2);
    const a = vgeluTanh(0, v128.load(p));
    const b = vgeluTanh(0, v128.load(p, 16));
    v128.store(q, a);
    v128.store(q, b, 16);
  }
  for (; i < n; i += 4) { const v = ld4(x, i, n); st4(out, i, n, vgeluTanh(0, v)); }
}

function u13GeluErf(x: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const p = x + (<usize>i << 2);
    const q = out + (<usize>i << 2);
    const a = vgeluErf(0, v128.load(p));
    const b = vgeluErf(0, v128.load(p, 16));
    v128.store(q, a);
    v128.store(q, b, 16);
  }
  for (; i < n; i += 4) { const v = ld4(x, i, n); st4(out, i, n, vgeluErf(0, v)); }
}

function u14Silu(x: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const p = x + (<usize>i << 2);
    const q = out + (<usize>i << 2);
    const a = vlogistic(1, v128.load(p));
    const b = vlogistic(1, v128.load(p, 16));
    v128.store(q, a);
    v128.store(q, b, 16);
  }
  for (; i < n; i += 4) { const v = ld4(x, i, n); st4(out, i, n, vlogistic(1, v)); }
}

function u15Softplus(x: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const p = x + (<usize>i << 2);
    const q = out + (<usize>i << 2);
    const a = vlogistic(2, v128.load(p));
    const b = vlogistic(2, v128.load(p, 16));
    v128.store(q, a);
    v128.store(q, b, 16);
  }
  for (; i < n; i += 4) { const v = ld4(x, i, n); st4(out, i, n, vlogistic(2, v)); }
}

function u16Reciprocal(x: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const p = x + (<usize>i << 2);
    const q = out + (<usize>i << 2);
    const a = f32x4.div(f32x4.splat(1), v128.load(p));
    const b = f32x4.div(f32x4.splat(1), v128.load(p, 16));
    const c = f32x4.div(f32x4.splat(1), v128.load(p, 32));
    const d = f32x4.div(f32x4.splat(1), v128.load(p, 48));
    v128.store(q, a);
    v128.store(q, b, 16);
    v128.store(q, c, 32);
    v128.store(q, d, 48);
  }
  for (; i < n; i += 4) { const v = ld4(x, i, n); st4(out, i, n, f32x4.div(f32x4.splat(1), v)); }
}

function u17Square(x: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const p = x + (<usize>i << 2);
    const q = out + (<usize>i << 2);
    const a = f32x4.mul(v128.load(p), v128.load(p));
    const b = f32x4.mul(v128.load(p, 16), v128.load(p, 16));
    const c = f32x4.mul(v128.load(p, 32), v128.load(p, 32));
    const d = f32x4.mul(v128.load(p, 48), v128.load(p, 48));
    v128.store(q, a);
    v128.store(q, b, 16);
    v128.store(q, c, 32);
    v128.store(q, d, 48);
  }
  for (; i < n; i += 4) { const v = ld4(x, i, n); st4(out, i, n, f32x4.mul(v, v)); }
}

function u18Erf(x: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const p = x + (<usize>i << 2);
    const q = out + (<usize>i << 2);
    const a = verf(v128.load(p));
    const b = verf(v128.load(p, 16));
    v128.store(q, a);
    v128.store(q, b, 16);
  }
  for (; i < n; i += 4) { const v = ld4(x, i, n); st4(out, i, n, verf(v)); }
}

function u19Floor(x: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const p = x + (<usize>i << 2);
    const q = out + (<usize>i << 2);
    const a = f32x4.floor(v128.load(p));
    const b = f32x4.floor(v128.load(p, 16));
    const c = f32x4.floor(v128.load(p, 32));
    const d = f32x4.floor(v128.load(p, 48));
    v128.store(q, a);
    v128.store(q, b, 16);
    v128.store(q, c, 32);
    v128.store(q, d, 48);
  }
  for (; i < n; i += 4) { const v = ld4(x, i, n); st4(out, i, n, f32x4.floor(v)); }
}

function u20Ceil(x: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const p = x + (<usize>i << 2);
    const q = out + (<usize>i << 2);
    const a = f32x4.ceil(v128.load(p));
    const b = f32x4.ceil(v128.load(p, 16));
    const c = f32x4.ceil(v128.load(p, 32));
    const d = f32x4.ceil(v128.load(p, 48));
    v128.store(q, a);
    v128.store(q, b, 16);
    v128.store(q, c, 32);
    v128.store(q, d, 48);
  }
  for (; i < n; i += 4) { const v = ld4(x, i, n); st4(out, i, n, f32x4.ceil(v)); }
}

function u21Round(x: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const p = x + (<usize>i << 2);
    const q = out + (<usize>i << 2);
    const a = f32x4.nearest(v128.load(p));
    const b = f32x4.nearest(v128.load(p, 16));
    const c = f32x4.nearest(v128.load(p, 32));
    const d = f32x4.nearest(v128.load(p, 48));
    v128.store(q, a);
    v128.store(q, b, 16);
    v128.store(q, c, 32);
    v128.store(q, d, 48);
  }
  for (; i < n; i += 4) { const v = ld4(x, i, n); st4(out, i, n, f32x4.nearest(v)); }
}

function u22GeluErfGrad(x: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const p = x + (<usize>i << 2);
    const q = out + (<usize>i << 2);
    const a = vgeluErf(1, v128.load(p));
    const b = vgeluErf(1, v128.load(p, 16));
    v128.store(q, a);
    v128.store(q, b, 16);
  }
  for (; i < n; i += 4) { const v = ld4(x, i, n); st4(out, i, n, vgeluErf(1, v)); }
}

function u23GeluTanhGrad(x: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const p = x + (<usize>i << 2);
    const q = out + (<usize>i << 2);
    const a = vgeluTanh(1, v128.load(p));
    const b = vgeluTanh(1, v128.load(p, 16));
    v128.store(q, a);
    v128.store(q, b, 16);
  }
  for (; i < n; i += 4) { const v = ld4(x, i, n); st4(out, i, n, vgeluTanh(1, v)); }
}

/** out[i] = op(x[i]) for n float32s (op codes: ops/elementwise.ts). */
export function ewUnaryF32(op: i32, x: usize, out: usize, n: i32): void {
  switch (op) {
    case 0: u0Neg(x, out, n); break;
    case 1: u1Abs(x, out, n); break;
    case 2: u2Sign(x, out, n); break;
    case 3: u3Exp(x, out, n); break;
    case 4: u4Log(x, out, n); break;
    case 5: u5Sqrt(x, out, n); break;
    case 6: u6Rsqrt(x, out, n); break;
    case 7: u7Sin(x, out, n); break;
    case 8: u8Cos(x, out, n); break;
    case 9: u9Tanh(x, out, n); break;
    case 10: u10Sigmoid(x, out, n); break;
    case 11: u11Relu(x, out, n); break;
    case 12: u12GeluTanh(x, out, n); break;
    case 13: u13GeluErf(x, out, n); break;
    case 14: u14Silu(x, out, n); break;
    case 15: u15Softplus(x, out, n); break;
    case 16: u16Reciprocal(x, out, n); break;
    case 17: u17Square(x, out, n); break;
    case 18: u18Erf(x, out, n); break;
    case 19: u19Floor(x, out, n); break;
    case 20: u20Ceil(x, out, n); break;
    case 21: u21Round(x, out, n); break;
    case 22: u22GeluErfGrad(x, out, n); break;
    case 23: u23GeluTanhGrad(x, out, n); break;
    default: break;
  }
}

function m0Not(x: usize, out: usize, n: i32): void { for (let i = 0; i < n; i += 4) stMask4(out, i, n, f32x4.eq(ld4(x, i, n), f32x4.splat(0))); }
function m1IsNan(x: usize, out: usize, n: i32): void { for (let i = 0; i < n; i += 4) { const v = ld4(x, i, n); stMask4(out, i, n, f32x4.ne(v, v)); } }
function m2IsInf(x: usize, out: usize, n: i32): void { for (let i = 0; i < n; i += 4) stMask4(out, i, n, f32x4.eq(f32x4.abs(ld4(x, i, n)), f32x4.splat(Infinity))); }

/** out[i] = op(x[i]) as bool bytes for n float32s: 0 logical_not, 1 isnan, 2 isinf. */
export function ewUnaryMaskF32(op: i32, x: usize, out: usize, n: i32): void {
  if (op == 0) m0Not(x, out, n);
  else if (op == 1) m1IsNan(x, out, n);
  else m2IsInf(x, out, n);
}

/** out[i] = !x[i] for n bool bytes. */
export function ewNotU8(x: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 16 <= n; i += 16) v128.store(out + <usize>i, v128.and(i8x16.eq(v128.load(x + <usize>i), i8x16.splat(0)), i8x16.splat(1)));
  for (; i < n; i++) store<u8>(out + <usize>i, load<u8>(x + <usize>i) == 0 ? 1 : 0);
}

/** out[i] = x[i]^k for a small integer k ≠ 0 (pow with a scalar exponent). */
export function ewPowiF32(x: usize, out: usize, n: i32, k: i32): void {
  for (let i = 0; i < n; i += 4) {
    const o = <usize>i << 2;
    if (i + 4 <= n) v128.store(out + o, vpowi(v128.load(x + o), k));
    else storePart(out + o, vpowi(loadPart(x + o, 1, n - i), k), n - i);
  }
}

// ---------------------------------------------------------------- the strided walk

// @ts-ignore: decorator
@inline function dim(desc: usize, d: i32): i32 {
  return load<i32>(desc + 4 + (<usize>d << 2));
}

/** Stride of operand k along dim d. */
// @ts-ignore: decorator
@inline function stride(desc: usize, nd: i32, k: i32, d: i32): i32 {
  return load<i32>(desc + 4 + (<usize>((k + 1) * nd + d) << 2));
}

/**
 * Sets idx to the multi-index of flat output position `pos` and returns the element offset of
 * operand k there.
 */
function startOffset(desc: usize, idx: usize, pos: i32, k: i32): i32 {
  const nd = load<i32>(desc);
  let rem = pos;
  let off = 0;
  for (let d = nd - 1; d >= 0; d--) {
    const s = dim(desc, d);
    const q = rem / s;
    const id = rem - q * s;
    store<i32>(idx + (<usize>d << 2), id);
    off += id * stride(desc, nd, k, d);
    rem = q;
  }
  return off;
}

/**
 * The odometer past the two innermost dims (which the kernels step themselves): advances
 * idx[0..nd−3] by one and sets carry0..2 to how much each operand's offset moves (ops operands).
 */
let carry0: i32 = 0;
let carry1: i32 = 0;
let carry2: i32 = 0;
function carryOuter(desc: usize, idx: usize, ops: i32): void {
  const nd = load<i32>(desc);
  carry0 = 0;
  carry1 = 0;
  carry2 = 0;
  for (let d = nd - 3; d >= 0; d--) {
    const p = idx + (<usize>d << 2);
    const id = load<i32>(p) + 1;
    carry0 += stride(desc, nd, 0, d);
    if (ops > 1) carry1 += stride(desc, nd, 1, d);
    if (ops > 2) carry2 += stride(desc, nd, 2, d);
    if (id < dim(desc, d)) {
      store<i32>(p, id);
      return;
    }
    store<i32>(p, 0);
    const s = dim(desc, d);
    carry0 -= s * stride(desc, nd, 0, d);
    if (ops > 1) carry1 -= s * stride(desc, nd, 1, d);
    if (ops > 2) carry2 -= s * stride(desc, nd, 2, d);
  }
}

/** Size of the second-innermost dim (1 when there is none). */
// @ts-ignore: decorator
@inline function rows(desc: usize, nd: i32): i32 {
  return nd > 1 ? dim(desc, nd - 2) : 1;
}

/** Operand k's stride along the second-innermost dim (0 when there is none). */
// @ts-ignore: decorator
@inline function rowStride(desc: usize, nd: i32, k: i32): i32 {
  return nd > 1 ? stride(desc, nd, k, nd - 2) : 0;
}

// @ts-ignore: decorator
@inline function rowIndex(idx: usize, nd: i32): i32 {
  return nd > 1 ? load<i32>(idx + (<usize>(nd - 2) << 2)) : 0;
}

// ---------------------------------------------------------------- binary

/** One run of `len` outputs: out[j] = op(a[j·sa], b[j·sb]), float32 out. */
// @ts-ignore: decorator
@inline function binaryRun(op: i32, pa: usize, sa: i32, pb: usize, sb: i32, po: usize, len: i32): void {
  let j = 0;
  if (sa == 1 && sb == 1) {
    for (; j + 8 <= len; j += 8) {
      const o = <usize>j << 2;
      const r0 = binaryOp(op, v128.load(pa + o), v128.load(pb + o));
      const r1 = binaryOp(op, v128.load(pa + o, 16), v128.load(pb + o, 16));
      v128.store(po + o, r0);
      v128.store(po + o, r1, 16);
    }
    for (; j + 4 <= len; j += 4) {
      const o = <usize>j << 2;
      v128.store(po + o, binaryOp(op, v128.load(pa + o), v128.load(pb + o)));
    }
  } else if (sa == 1 && sb == 0) {
    const vb = v128.load32_splat(pb);
    for (; j + 8 <= len; j += 8) {
      const o = <usize>j << 2;
      const r0 = binaryOp(op, v128.load(pa + o), vb);
      const r1 = binaryOp(op, v128.load(pa + o, 16), vb);
      v128.store(po + o, r0);
      v128.store(po + o, r1, 16);
    }
    for (; j + 4 <= len; j += 4) {
      const o = <usize>j << 2;
      v128.store(po + o, binaryOp(op, v128.load(pa + o), vb));
    }
  } else if (sa == 0 && sb == 1) {
    const va = v128.load32_splat(pa);
    for (; j + 8 <= len; j += 8) {
      const o = <usize>j << 2;
      const r0 = binaryOp(op, va, v128.load(pb + o));
      const r1 = binaryOp(op, va, v128.load(pb + o, 16));
      v128.store(po + o, r0);
      v128.store(po + o, r1, 16);
    }
    for (; j + 4 <= len; j += 4) {
      const o = <usize>j << 2;
      v128.store(po + o, binaryOp(op, va, v128.load(pb + o)));
    }
  } else {
    for (; j + 4 <= len; j += 4) {
      v128.store(po + (<usize>j << 2), binaryOp(op, load4(pa + (<usize>(j * sa) << 2), sa), load4(pb + (<usize>(j * sb) << 2), sb)));
    }
  }
  if (j < len) {
    const c = len - j;
    storePart(po + (<usize>j << 2), binaryOp(op, loadPart(pa + (<usize>(j * sa) << 2), sa, c), loadPart(pb + (<usize>(j * sb) << 2), sb, c)), c);
  }
}

/** The same with bool output. */
// @ts-ignore: decorator
@inline function binaryMaskRun(op: i32, pa: usize, sa: i32, pb: usize, sb: i32, po: usize, len: i32): void {
  let j = 0;
  if (sa == 1 && sb == 1) {
    for (; j + 4 <= len; j += 4) {
      const o = <usize>j << 2;
      v128.store32_lane(po + <usize>j, maskBytes(binaryMask(op, v128.load(pa + o), v128.load(pb + o))), 0);
    }
  } else if (sa == 1 && sb == 0) {
    const vb = v128.load32_splat(pb);
    for (; j + 4 <= len; j += 4) {
      v128.store32_lane(po + <usize>j, maskBytes(binaryMask(op, v128.load(pa + (<usize>j << 2)), vb)), 0);
    }
  } else {
    for (; j + 4 <= len; j += 4) {
      v128.store32_lane(po + <usize>j, maskBytes(binaryMask(op, load4(pa + (<usize>(j * sa) << 2), sa), load4(pb + (<usize>(j * sb) << 2), sb))), 0);
    }
  }
  if (j < len) {
    const c = len - j;
    storeBytesPart(po + <usize>j, maskBytes(binaryMask(op, loadPart(pa + (<usize>(j * sa) << 2), sa, c), loadPart(pb + (<usize>(j * sb) << 2), sb, c))), c);
  }
}

// The walkers below keep each operand's offset at the start of the current innermost row, step
// rows of the second-innermost dim themselves and call carryOuter when those wrap.

// @ts-ignore: decorator
@inline function binaryWalk(op: i32, mask: bool, a: usize, b: usize, out: usize, desc: usize, start: i32, end: i32, idx: usize): void {
  const nd = load<i32>(desc);
  const inner = dim(desc, nd - 1);
  const n2 = rows(desc, nd);
  const sa = stride(desc, nd, 0, nd - 1);
  const sb = stride(desc, nd, 1, nd - 1);
  const ra = rowStride(desc, nd, 0);
  const rb = rowStride(desc, nd, 1);
  let oa = startOffset(desc, idx, start, 0);
  let ob = startOffset(desc, idx, start, 1);
  let j = load<i32>(idx + (<usize>(nd - 1) << 2));
  let i2 = rowIndex(idx, nd);
  oa -= j * sa;
  ob -= j * sb;
  let i = start;
  while (i < end) {
    const len = min(inner - j, end - i);
    const pa = a + (<usize>(oa + j * sa) << 2);
    const pb = b + (<usize>(ob + j * sb) << 2);
    if (mask) binaryMaskRun(op, pa, sa, pb, sb, out + <usize>i, len);
    else binaryRun(op, pa, sa, pb, sb, out + (<usize>i << 2), len);
    i += len;
    if (i >= end) break;
    j = 0;
    if (++i2 < n2) {
      oa += ra;
      ob += rb;
      continue;
    }
    i2 = 0;
    carryOuter(desc, idx, 2);
    oa += carry0 - (n2 - 1) * ra;
    ob += carry1 - (n2 - 1) * rb;
  }
}

/** out[i] = op(a[..], b[..]) over output positions [start, end), float32 out (codes: ops/elementwise.ts). */
export function ewBinaryF32(op: i32, a: usize, b: usize, out: usize, desc: usize, start: i32, end: i32, idx: usize): void {
  switch (op) {
    case 0: binaryWalk(0, false, a, b, out, desc, start, end, idx); break;
    case 1: binaryWalk(1, false, a, b, out, desc, start, end, idx); break;
    case 2: binaryWalk(2, false, a, b, out, desc, start, end, idx); break;
    case 3: binaryWalk(3, false, a, b, out, desc, start, end, idx); break;
    case 4: binaryWalk(4, false, a, b, out, desc, start, end, idx); break;
    case 5: binaryWalk(5, false, a, b, out, desc, start, end, idx); break;
    case 6: binaryWalk(6, false, a, b, out, desc, start, end, idx); break;
    default: binaryWalk(7, false, a, b, out, desc, start, end, idx); break;
  }
}

/** The comparisons and logical ops of float32 inputs, bool out. */
export function ewCompareF32(op: i32, a: usize, b: usize, out: usize, desc: usize, start: i32, end: i32, idx: usize): void {
  switch (op) {
    case 0: binaryWalk(0, true, a, b, out, desc, start, end, idx); break;
    case 1: binaryWalk(1, true, a, b, out, desc, start, end, idx); break;
    case 2: binaryWalk(2, true, a, b, out, desc, start, end, idx); break;
    case 3: binaryWalk(3, true, a, b, out, desc, start, end, idx); break;
    case 4: binaryWalk(4, true, a, b, out, desc, start, end, idx); break;
    case 5: binaryWalk(5, true, a, b, out, desc, start, end, idx); break;
    case 6: binaryWalk(6, true, a, b, out, desc, start, end, idx); break;
    default: binaryWalk(7, true, a, b, out, desc, start, end, idx); break;
  }
}

/** out[j] = op(a[j·sa], b[j·sb]) for j < n: one run, no descriptor (same shapes, or a scalar side). */
export function ewBinaryFlatF32(op: i32, a: usize, sa: i32, b: usize, sb: i32, out: usize, n: i32): void {
  switch (op) {
    case 0: binaryRun(0, a, sa, b, sb, out, n); break;
    case 1: binaryRun(1, a, sa, b, sb, out, n); break;
    case 2: binaryRun(2, a, sa, b, sb, out, n); break;
    case 3: binaryRun(3, a, sa, b, sb, out, n); break;
    case 4: binaryRun(4, a, sa, b, sb, out, n); break;
    case 5: binaryRun(5, a, sa, b, sb, out, n); break;
    case 6: binaryRun(6, a, sa, b, sb, out, n); break;
    default: binaryRun(7, a, sa, b, sb, out, n); break;
  }
}

/** The comparisons in one run, bool out. */
export function ewCompareFlatF32(op: i32, a: usize, sa: i32, b: usize, sb: i32, out: usize, n: i32): void {
  switch (op) {
    case 0: binaryMaskRun(0, a, sa, b, sb, out, n); break;
    case 1: binaryMaskRun(1, a, sa, b, sb, out, n); break;
    case 2: binaryMaskRun(2, a, sa, b, sb, out, n); break;
    case 3: binaryMaskRun(3, a, sa, b, sb, out, n); break;
    case 4: binaryMaskRun(4, a, sa, b, sb, out, n); break;
    case 5: binaryMaskRun(5, a, sa, b, sb, out, n); break;
    case 6: binaryMaskRun(6, a, sa, b, sb, out, n); break;
    default: binaryMaskRun(7, a, sa, b, sb, out, n); break;
  }
}

// ---------------------------------------------------------------- where

/** out = cond ? a : b for 4-byte values (float32 or int32); operands 0, 1, 2 = cond, a, b. */
export function ewWhere32(cond: usize, a: usize, b: usize, out: usize, desc: usize, start: i32, end: i32, idx: usize): void {
  const nd = load<i32>(desc);
  const inner = dim(desc, nd - 1);
  const n2 = rows(desc, nd);
  const sc = stride(desc, nd, 0, nd - 1);
  const sa = stride(desc, nd, 1, nd - 1);
  const sb = stride(desc, nd, 2, nd - 1);
  const rc = rowStride(desc, nd, 0);
  const ra = rowStride(desc, nd, 1);
  const rb = rowStride(desc, nd, 2);
  let oc = startOffset(desc, idx, start, 0);
  let oa = startOffset(desc, idx, start, 1);
  let ob = startOffset(desc, idx, start, 2);
  let j = load<i32>(idx + (<usize>(nd - 1) << 2));
  let i2 = rowIndex(idx, nd);
  oc -= j * sc;
  oa -= j * sa;
  ob -= j * sb;
  let i = start;
  while (i < end) {
    const len = min(inner - j, end - i);
    const pc = cond + <usize>(oc + j * sc);
    const pa = a + (<usize>(oa + j * sa) << 2);
    const pb = b + (<usize>(ob + j * sb) << 2);
    const po = out + (<usize>i << 2);
    let k = 0;
    for (; k + 4 <= len; k += 4) {
      const m = loadMask4(pc + <usize>(k * sc), sc);
      v128.store(po + (<usize>k << 2), v128.bitselect(load4(pa + (<usize>(k * sa) << 2), sa), load4(pb + (<usize>(k * sb) << 2), sb), m));
    }
    if (k < len) {
      const c = len - k;
      const m = loadMaskPart(pc + <usize>(k * sc), sc, c);
      storePart(po + (<usize>k << 2), v128.bitselect(loadPart(pa + (<usize>(k * sa) << 2), sa, c), loadPart(pb + (<usize>(k * sb) << 2), sb, c), m), c);
    }
    i += len;
    if (i >= end) break;
    j = 0;
    if (++i2 < n2) {
      oc += rc;
      oa += ra;
      ob += rb;
      continue;
    }
    i2 = 0;
    carryOuter(desc, idx, 3);
    oc += carry0 - (n2 - 1) * rc;
    oa += carry1 - (n2 - 1) * ra;
    ob += carry2 - (n2 - 1) * rb;
  }
}

// ---------------------------------------------------------------- strided copy (gather) and its scatter-add

/** out[i] = x[offset(i)] over [start, end) for elements of `size` bytes (1, 4 or 8); x points at the view's offset. */
export function ewStrided(size: i32, x: usize, out: usize, desc: usize, start: i32, end: i32, idx: usize): void {
  const nd = load<i32>(desc);
  const inner = dim(desc, nd - 1);
  const n2 = rows(desc, nd);
  const sx = stride(desc, nd, 0, nd - 1);
  const rx = rowStride(desc, nd, 0);
  let ox = startOffset(desc, idx, start, 0);
  let j = load<i32>(idx + (<usize>(nd - 1) << 2));
  let i2 = rowIndex(idx, nd);
  ox -= j * sx;
  let i = start;
  while (i < end) {
    const len = min(inner - j, end - i);
    const o = ox + j * sx;
    if (size == 4) copyRun32(x + (<usize>o << 2), sx, out + (<usize>i << 2), len);
    else if (size == 8) {
      for (let k = 0; k < len; k++) store<u64>(out + (<usize>(i + k) << 3), load<u64>(x + (<usize>(o + k * sx) << 3)));
    } else if (sx == 1) memory.copy(out + <usize>i, x + <usize>o, <usize>len);
    else for (let k = 0; k < len; k++) store<u8>(out + <usize>(i + k), load<u8>(x + <usize>(o + k * sx)));
    i += len;
    if (i >= end) break;
    j = 0;
    if (++i2 < n2) {
      ox += rx;
      continue;
    }
    i2 = 0;
    carryOuter(desc, idx, 1);
    ox += carry0 - (n2 - 1) * rx;
  }
}

// @ts-ignore: decorator
@inline function copyRun32(px: usize, sx: i32, po: usize, len: i32): void {
  if (sx == 1) {
    if (len >= 64) {
      memory.copy(po, px, <usize>len << 2);
      return;
    }
    let k = 0;
    for (; k + 4 <= len; k += 4) v128.store(po + (<usize>k << 2), v128.load(px + (<usize>k << 2)));
    for (; k < len; k++) store<u32>(po + (<usize>k << 2), load<u32>(px + (<usize>k << 2)));
    return;
  }
  if (sx == 0) {
    const v = v128.load32_splat(px);
    let k = 0;
    for (; k + 4 <= len; k += 4) v128.store(po + (<usize>k << 2), v);
    for (; k < len; k++) store<u32>(po + (<usize>k << 2), load<u32>(px));
    return;
  }
  let k = 0;
  for (; k + 4 <= len; k += 4) v128.store(po + (<usize>k << 2), load4(px + (<usize>(k * sx) << 2), sx));
  for (; k < len; k++) store<u32>(po + (<usize>k << 2), load<u32>(px + (<usize>(k * sx) << 2)));
}

/**
 * The strided gather where the output's last two dims (P, Q) read x with strides (1, sq): a batch
 * of transposes, done in 4×4 register tiles. Work unit u = (outer index, block of 16 rows of P);
 * this part does units [u0, u1). desc holds the full output shape and x strides.
 */
export function ewTranspose32(x: usize, out: usize, desc: usize, u0: i32, u1: i32): void {
  const nd = load<i32>(desc);
  const P = dim(desc, nd - 2);
  const Q = dim(desc, nd - 1);
  const sq = stride(desc, nd, 0, nd - 1);
  const blocks = (P + 15) >> 4;
  const rowBytes = <usize>sq << 2;
  for (let u = u0; u < u1; u++) {
    const outer = u / blocks;
    const p0 = (u - outer * blocks) << 4;
    const p1 = min(p0 + 16, P);
    // offset of this outer index in x: decompose over the outer dims
    let rem = outer;
    let ox = 0;
    for (let d = nd - 3; d >= 0; d--) {
      const s = dim(desc, d);
      const q = rem / s;
      ox += (rem - q * s) * stride(desc, nd, 0, d);
      rem = q;
    }
    const xb = x + (<usize>ox << 2);
    const ob = out + (<usize>(outer * P) * <usize>Q << 2);
    let p = p0;
    for (; p + 4 <= p1; p += 4) {
      let q = 0;
      const src = xb + (<usize>p << 2);
      const dst = ob + (<usize>(p * Q) << 2);
      const qRow = <usize>Q << 2;
      for (; q + 4 <= Q; q += 4) {
        const s = src + <usize>q * rowBytes;
        const r0 = v128.load(s);
        const r1 = v128.load(s + rowBytes);
        const r2 = v128.load(s + 2 * rowBytes);
        const r3 = v128.load(s + 3 * rowBytes);
        // r_j holds x[p..p+4, q+j]; out row p+i needs lane i of each
        const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5);
        const t1 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
        const t2 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
        const t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
        const d = dst + (<usize>q << 2);
        v128.store(d, i32x4.shuffle(t0, t1, 0, 1, 4, 5));
        v128.store(d + qRow, i32x4.shuffle(t0, t1, 2, 3, 6, 7));
        v128.store(d + 2 * qRow, i32x4.shuffle(t2, t3, 0, 1, 4, 5));
        v128.store(d + 3 * qRow, i32x4.shuffle(t2, t3, 2, 3, 6, 7));
      }
      for (; q < Q; q++) {
        const s = src + <usize>q * rowBytes;
        const d = dst + (<usize>q << 2);
        store<u32>(d, load<u32>(s));
        store<u32>(d + qRow, load<u32>(s, 4));
        store<u32>(d + 2 * qRow, load<u32>(s, 8));
        store<u32>(d + 3 * qRow, load<u32>(s, 12));
      }
    }
    for (; p < p1; p++) {
      const src = xb + (<usize>p << 2);
      const dst = ob + (<usize>(p * Q) << 2);
      for (let q = 0; q < Q; q++) store<u32>(dst + (<usize>q << 2), load<u32>(src + <usize>q * rowBytes));
    }
  }
}

/** x[offset(i)] += src[i] over [start, end), float32, in row-major order of src (x points at the offset). */
export function ewStridedAddF32(src: usize, x: usize, desc: usize, start: i32, end: i32, idx: usize): void {
  const nd = load<i32>(desc);
  const inner = dim(desc, nd - 1);
  const n2 = rows(desc, nd);
  const sx = stride(desc, nd, 0, nd - 1);
  const rx = rowStride(desc, nd, 0);
  let ox = startOffset(desc, idx, start, 0);
  let j = load<i32>(idx + (<usize>(nd - 1) << 2));
  let i2 = rowIndex(idx, nd);
  ox -= j * sx;
  let i = start;
  while (i < end) {
    const len = min(inner - j, end - i);
    const ps = src + (<usize>i << 2);
    const px = x + (<usize>(ox + j * sx) << 2);
    if (sx == 1) {
      let k = 0;
      for (; k + 4 <= len; k += 4) {
        const o = <usize>k << 2;
        v128.store(px + o, f32x4.add(v128.load(px + o), v128.load(ps + o)));
      }
      for (; k < len; k++) {
        const o = <usize>k << 2;
        store<f32>(px + o, load<f32>(px + o) + load<f32>(ps + o));
      }
    } else if (sx == 0) {
      // the same float32 additions in the same order as the reference
      let acc = load<f32>(px);
      for (let k = 0; k < len; k++) acc += load<f32>(ps + (<usize>k << 2));
      store<f32>(px, acc);
    } else {
      for (let k = 0; k < len; k++) {
        const p = px + (<usize>(k * sx) << 2);
        store<f32>(p, load<f32>(p) + load<f32>(ps + (<usize>k << 2)));
      }
    }
    i += len;
    if (i >= end) break;
    j = 0;
    if (++i2 < n2) {
      ox += rx;
      continue;
    }
    i2 = 0;
    carryOuter(desc, idx, 1);
    ox += carry0 - (n2 - 1) * rx;
  }
}

// ---------------------------------------------------------------- copy, fill and cast

/** `bytes` bytes from src to dst (memmove: the ranges may overlap). */
export function ewCopy(src: usize, dst: usize, bytes: usize): void {
  memory.copy(dst, src, bytes);
}

/** n 4-byte values set to `bits`. */
export function ewFill32(out: usize, n: i32, bits: i32): void {
  const v = i32x4.splat(bits);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const p = out + (<usize>i << 2);
    v128.store(p, v);
    v128.store(p, v, 16);
    v128.store(p, v, 32);
    v128.store(p, v, 48);
  }
  for (; i < n; i++) store<i32>(out + (<usize>i << 2), bits);
}

/**
 * out = x converted, n elements. kind: 0 f32→i32 (truncation; out of range wraps modulo 2^32 like
 * JavaScript's Int32Array), 1 i32→f32, 2 f32→bool (NaN is true), 3 bool→f32, 4 i32→bool, 5 bool→i32.
 */
export function ewCast(kind: i32, x: usize, out: usize, n: i32): void {
  let i = 0;
  switch (kind) {
    case 0: {
      for (; i + 4 <= n; i += 4) {
        const o = <usize>i << 2;
        const v = v128.load(x + o);
        v128.store(out + o, i32x4.trunc_sat_f32x4_s(v));
        // |x| ≥ 2^31, ±Inf, NaN: JavaScript's ToInt32, lane by lane
        if (v128.any_true(v128.not(f32x4.lt(f32x4.abs(v), f32x4.splat(2147483648.0))))) {
          for (let k = 0; k < 4; k++) store<i32>(out + o + (<usize>k << 2), toInt32(load<f32>(x + o + (<usize>k << 2))));
        }
      }
      for (; i < n; i++) store<i32>(out + (<usize>i << 2), toInt32(load<f32>(x + (<usize>i << 2))));
      break;
    }
    case 1: {
      for (; i + 4 <= n; i += 4) v128.store(out + (<usize>i << 2), f32x4.convert_i32x4_s(v128.load(x + (<usize>i << 2))));
      for (; i < n; i++) store<f32>(out + (<usize>i << 2), <f32>load<i32>(x + (<usize>i << 2)));
      break;
    }
    case 2: {
      for (; i + 4 <= n; i += 4) v128.store32_lane(out + <usize>i, maskBytes(v128.not(f32x4.eq(v128.load(x + (<usize>i << 2)), f32x4.splat(0)))), 0);
      for (; i < n; i++) store<u8>(out + <usize>i, load<f32>(x + (<usize>i << 2)) != 0 ? 1 : 0);
      break;
    }
    case 3: {
      for (; i + 4 <= n; i += 4) {
        const m = i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32_zero(x + <usize>i)));
        v128.store(out + (<usize>i << 2), f32x4.convert_i32x4_u(m));
      }
      for (; i < n; i++) store<f32>(out + (<usize>i << 2), <f32>load<u8>(x + <usize>i));
      break;
    }
    case 4: {
      for (; i + 4 <= n; i += 4) v128.store32_lane(out + <usize>i, maskBytes(v128.not(i32x4.eq(v128.load(x + (<usize>i << 2)), i32x4.splat(0)))), 0);
      for (; i < n; i++) store<u8>(out + <usize>i, load<i32>(x + (<usize>i << 2)) != 0 ? 1 : 0);
      break;
    }
    default: {
      for (; i + 4 <= n; i += 4) v128.store(out + (<usize>i << 2), i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32_zero(x + <usize>i))));
      for (; i < n; i++) store<i32>(out + (<usize>i << 2), <i32>load<u8>(x + <usize>i));
      break;
    }
  }
}

/** JavaScript's ToInt32 of a float32: truncate, then wrap modulo 2^32; NaN and ±Inf give 0. */
function toInt32(v: f32): i32 {
  const a = Mathf.abs(v);
  if (!(a < 9.2e18)) return 0; // NaN, ±Inf, and huge values (multiples of 2^40: 0 modulo 2^32)
  return <i32><i64>v;
}
