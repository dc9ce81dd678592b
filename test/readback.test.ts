import { test } from "node:test";
import assert from "node:assert/strict";
import { tensor, zeros } from "../src/index.js";

test("dataSync copies are independent of the tensor and of each other, for every dtype and across pool slabs", () => {
  const copies: { data: ArrayLike<number>; want: number[] }[] = [];
  // enough reads of mixed types and odd sizes to pass the end of several 256 KB slabs
  for (let i = 0; i < 400; i++) {
    const n = 1 + ((i * 37) % 3000);
    const dtype = (["float32", "float64", "int32", "bool"] as const)[i % 4];
    const values = Array.from({ length: n }, (_, j) => (dtype === "bool" ? (i + j) % 2 : ((i * 7 + j) % 101) - 50));
    const t = tensor(values, { dtype });
    const data = t.dataSync();
    assert.equal(data.length, n);
    assert.equal(data.constructor, { float32: Float32Array, float64: Float64Array, int32: Int32Array, bool: Uint8Array }[dtype]);
    assert.equal(data.byteOffset % data.BYTES_PER_ELEMENT, 0);
    copies.push({ data, want: values });
    t.dispose();
  }
  for (const c of copies) assert.deepEqual(Array.from(c.data), c.want);
  // writing a copy changes neither the tensor nor the next copy
  const t = zeros([8]);
  const a = t.dataSync() as Float32Array;
  const b = t.dataSync() as Float32Array;
  a.fill(7);
  assert.deepEqual(Array.from(b), new Array(8).fill(0));
  assert.deepEqual(Array.from(t.dataSync()), new Array(8).fill(0));
  // large reads get a buffer of their own
  const big = zeros([20000]).dataSync();
  assert.equal(big.buffer.byteLength, big.byteLength);
});
