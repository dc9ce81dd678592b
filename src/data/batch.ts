// Next-token-prediction batches from one long array of token ids, as nanoGPT's get_batch:
//   ix = torch.randint(len(data) - block_size, (batch_size,))
//   x  = stack([data[i : i+block_size]     for i in ix])
//   y  = stack([data[i+1 : i+1+block_size] for i in ix])
// so y[b, t] is the token that follows x[b, t]. Plus a sequential (epoch) iterator for evaluating
// on a whole split. Both return int32 tensors of shape (B, T).
import { Generator, Tensor, defaultGenerator, tensor } from "../tensor/index.js";
import type { IdArray } from "./corpus.js";

export interface Batch {
  /** Inputs, int32 (B, T). */
  readonly x: Tensor;
  /** Targets, int32 (B, T): y[b, t] = ids[start_b + t + 1]. */
  readonly y: Tensor;
  /** Where each row starts in `ids` (for debugging and for labels aligned with positions). */
  readonly starts: readonly number[];
}

function checkPositiveInt(v: number, name: string, where: string): void {
  if (!(Number.isSafeInteger(v) && v > 0)) throw new Error(`${where}: ${name} must be a positive integer, got ${v}`);
}

function checkIds(ids: IdArray, blockSize: number, where: string): void {
  if (!(ArrayBuffer.isView(ids) || Array.isArray(ids))) throw new Error(`${where}: ids must be an array or typed array of token ids`);
  if (ids.length < blockSize + 1) {
    throw new Error(`${where}: need at least blockSize + 1 = ${blockSize + 1} token ids for one (x, y) window, got ${ids.length}`);
  }
}

/** Copies ids[start .. start+T] into x and ids[start+1 .. start+T+1] into y at row `row`. */
function fillRow(ids: IdArray, start: number, T: number, x: Int32Array, y: Int32Array, row: number, where: string): void {
  const o = row * T;
  for (let t = 0; t <= T; t++) {
    const v = ids[start + t];
    // int32 storage: reject what it cannot hold (floats or NaN in a plain array, ids ≥ 2^31).
    if (!(Number.isInteger(v) && v >= 0 && v <= 0x7fffffff)) throw new Error(`${where}: ids[${start + t}] = ${v} is not a valid token id`);
    if (t < T) x[o + t] = v;
    if (t > 0) y[o + t - 1] = v;
  }
}

function makeBatch(ids: IdArray, starts: readonly number[], T: number, where: string): Batch {
  const B = starts.length;
  const x = new Int32Array(B * T);
  const y = new Int32Array(B * T);
  for (let b = 0; b < B; b++) fillRow(ids, starts[b], T, x, y, b, where);
  return { x: tensor(x, { shape: [B, T] }), y: tensor(y, { shape: [B, T] }), starts };
}

/**
 * A random batch of `batchSize` windows of `blockSize` tokens. Start positions are uniform in
 * [0, ids.length - blockSize), drawn from `gen` (default: the global generator), so a fixed seed
 * gives the same batches.
 */
export function getBatch(ids: IdArray, batchSize: number, blockSize: number, gen: Generator = defaultGenerator): Batch {
  checkPositiveInt(batchSize, "batchSize", "getBatch");
  checkPositiveInt(blockSize, "blockSize", "getBatch");
  checkIds(ids, blockSize, "getBatch");
  const starts: number[] = [];
  for (let b = 0; b < batchSize; b++) starts.push(gen.randint(0, ids.length - blockSize));
  return makeBatch(ids, starts, blockSize, "getBatch");
}

export interface SequentialOptions {
  /** Distance between window starts (default blockSize: windows tile the data without overlap). */
  stride?: number;
  /** Drop a last batch smaller than batchSize (default false). */
  dropLast?: boolean;
  /** Visit the windows in an order shuffled by this generator (default: in order). */
  shuffle?: Generator;
}

/** Starts of the windows an epoch visits: start + blockSize + 1 ≤ ids.length. */
export function windowStarts(length: number, blockSize: number, stride = blockSize): number[] {
  const starts: number[] = [];
  for (let s = 0; s + blockSize + 1 <= length; s += stride) starts.push(s);
  return starts;
}

/**
 * One pass over `ids` in windows of blockSize (every target predicted once when stride equals
 * blockSize), batchSize windows a batch. For validation loss over a whole split, or epoch-style
 * training with `shuffle`.
 */
export function* sequentialBatches(ids: IdArray, batchSize: number, blockSize: number, opts: SequentialOptions = {}): IterableIterator<Batch> {
  checkPositiveInt(batchSize, "batchSize", "sequentialBatches");
  checkPositiveInt(blockSize, "blockSize", "sequentialBatches");
  const stride = opts.stride ?? blockSize;
  checkPositiveInt(stride, "stride", "sequentialBatches");
  checkIds(ids, blockSize, "sequentialBatches");
  const starts = windowStarts(ids.length, blockSize, stride);
  if (opts.shuffle) {
    const g = opts.shuffle;
    for (let i = starts.length - 1; i > 0; i--) {
      const j = g.randint(0, i + 1);
      [starts[i], starts[j]] = [starts[j], starts[i]];
    }
  }
  for (let i = 0; i < starts.length; i += batchSize) {
    const chunk = starts.slice(i, i + batchSize);
    if (chunk.length < batchSize && opts.dropLast) return;
    yield makeBatch(ids, chunk, blockSize, "sequentialBatches");
  }
}
