// Next-token batches: shapes, the one-step shift, the range of start positions, seeding, and the
// sequential iterator's coverage. Data ids[i] = i, so every value says where it came from.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Generator } from "../src/tensor/index.js";
import { getBatch, sequentialBatches } from "../src/data/batch.js";

const rows = (t: { toArray(): unknown }): number[][] => t.toArray() as number[][];

test("getBatch: int32 (B, T), y is x shifted by one, windows inside the data", () => {
  const ids = Int32Array.from({ length: 500 }, (_, i) => i);
  const { x, y, starts } = getBatch(ids, 8, 16, new Generator(0));
  assert.deepEqual(x.shape, [8, 16]);
  assert.deepEqual(y.shape, [8, 16]);
  assert.equal(x.dtype, "int32");
  assert.equal(y.dtype, "int32");
  const X = rows(x);
  const Y = rows(y);
  for (let b = 0; b < 8; b++) {
    assert.equal(X[b][0], starts[b]);
    for (let t = 0; t < 16; t++) {
      assert.equal(X[b][t], starts[b] + t, "x is a contiguous window");
      assert.equal(Y[b][t], X[b][t] + 1, "y[b, t] is the token after x[b, t]");
    }
    assert.ok(starts[b] >= 0 && starts[b] + 16 < 500);
  }
});

test("getBatch: starts are uniform over [0, len - T), the last one included", () => {
  const ids = Uint16Array.from({ length: 11 }, (_, i) => i); // T = 8: starts 0, 1, 2
  const seen = new Map<number, number>();
  const gen = new Generator(3);
  for (let k = 0; k < 300; k++) for (const s of getBatch(ids, 4, 8, gen).starts) seen.set(s, (seen.get(s) ?? 0) + 1);
  assert.deepEqual([...seen.keys()].sort(), [0, 1, 2]);
  for (const c of seen.values()) assert.ok(c > 300, `counts ${[...seen.values()]}`); // 1200 draws / 3 ≈ 400 each
  // exactly T + 1 ids: only one window exists
  assert.deepEqual(getBatch([5, 6, 7], 2, 2, new Generator(0)).starts, [0, 0]);
});

test("getBatch: same seed, same batch; another seed, another batch", () => {
  const ids = Uint32Array.from({ length: 10000 }, (_, i) => (i * 7919) % 50257);
  const a = getBatch(ids, 4, 32, new Generator(42));
  const b = getBatch(ids, 4, 32, new Generator(42));
  const c = getBatch(ids, 4, 32, new Generator(43));
  assert.deepEqual(rows(a.x), rows(b.x));
  assert.deepEqual(rows(a.y), rows(b.y));
  assert.notDeepEqual(a.starts, c.starts);
});

test("getBatch rejects bad arguments with messages that say what", () => {
  const ids = [1, 2, 3, 4];
  assert.throws(() => getBatch(ids, 2, 4), /need at least blockSize \+ 1 = 5 token ids/);
  assert.throws(() => getBatch(ids, 0, 2), /batchSize must be a positive integer, got 0/);
  assert.throws(() => getBatch(ids, 1, 1.5), /blockSize must be a positive integer/);
  assert.throws(() => getBatch([0, 1.5, 2, 3], 4, 3, new Generator(0)), /ids\[1\] = 1.5 is not a valid token id/);
  assert.throws(() => getBatch(Uint32Array.of(0, 2 ** 31, 1), 1, 2), /is not a valid token id/);
});

test("sequentialBatches: every target once, in order, with a smaller last batch", () => {
  const ids = Int32Array.from({ length: 103 }, (_, i) => i); // T = 10: windows at 0, 10, …, 90 (10 windows)
  const batches = [...sequentialBatches(ids, 4, 10)];
  assert.deepEqual(batches.map((b) => b.x.shape[0]), [4, 4, 2]);
  const ys = batches.flatMap((b) => rows(b.y).flat());
  assert.deepEqual(ys, Array.from({ length: 100 }, (_, i) => i + 1), "targets 1..100, each once");
  assert.equal([...sequentialBatches(ids, 4, 10, { dropLast: true })].length, 2);
  assert.equal([...sequentialBatches(ids, 4, 10, { stride: 5 })].flatMap((b) => b.starts).length, 19);
});

test("sequentialBatches with shuffle: a seeded permutation of the same windows", () => {
  const ids = Int32Array.from({ length: 1001 }, (_, i) => i);
  const starts = (seed: number): number[] => [...sequentialBatches(ids, 7, 10, { shuffle: new Generator(seed) })].flatMap((b) => b.starts);
  const a = starts(1);
  assert.deepEqual([...a].sort((p, q) => p - q), Array.from({ length: 100 }, (_, i) => 10 * i));
  assert.deepEqual(starts(1), a);
  assert.notDeepEqual(starts(2), a);
  assert.notDeepEqual(a, [...a].sort((p, q) => p - q));
});
