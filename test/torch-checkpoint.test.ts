// PyTorch checkpoints (pytorch_model.bin) read without Python and without running their pickle:
// the fixtures of reference/gen_torch_checkpoint_fixtures.py (written by torch.save) give back
// every tensor exactly — strided views, shared storages, F16/BF16/F64/I64, 0-d, parameters,
// nested dicts — a hostile pickle is refused by name, old-format and damaged files get clear
// errors, and a GPT-2 saved as pytorch_model.bin gives the same logits as its safetensors twin.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { listTorchWeights, readTorchWeight } from "../src/io/torch-checkpoint.node.js";
import { parseTorchPickle } from "../src/io/torch-pickle.js";
import { loadModelDir } from "../src/node.js";
import { values } from "./tensor-compare.js";

const DIR = fileURLToPath(new URL("../fixtures/torch-checkpoint/", import.meta.url));
const PRETRAINED = fileURLToPath(new URL("../fixtures/pretrained/", import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), "dgpt-torch-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

test("every tensor of a torch.save checkpoint comes back with its shape and values", async () => {
  const expected = JSON.parse(readFileSync(join(DIR, "expected.json"), "utf8")) as Record<string, { shape: number[]; values: number[] }>;
  const path = join(DIR, "tensors.bin");
  const refs = await listTorchWeights(path);
  assert.deepEqual([...refs.keys()].sort(), Object.keys(expected).sort());
  assert.deepEqual(refs.get("transposed")!.stride, [1, 4], "a transposed view keeps its strides");
  assert.equal(refs.get("shared.slice")!.storageStart, refs.get("shared.base")!.storageStart, "two views of one storage");
  assert.equal(refs.get("shared.slice")!.offset, 2);
  const file = await open(path, "r");
  try {
    for (const [name, ref] of refs) {
      const got = await readTorchWeight(file, ref);
      assert.deepEqual(ref.shape, expected[name].shape, name);
      // float32 holds F16, BF16, I64 (small) and F32 exactly; F64 is rounded to float32
      const want = name === "double" ? expected[name].values.map(Math.fround) : expected[name].values;
      assert.deepEqual(Array.from(got), want, name);
    }
  } finally {
    await file.close();
  }
});

test("a pickle that asks for anything but tensors is refused, and nothing runs", async () => {
  await assert.rejects(listTorchWeights(join(DIR, "evil.bin")), /refused: the pickle asks for posix\.system, which is not part of a tensor checkpoint \(this reader rebuilds tensors only and never runs code\)/);
  const pickle = (body: number[]) => new Uint8Array([0x80, 0x02, ...body]);
  const text = (s: string) => [...new TextEncoder().encode(s)];
  assert.throws(() => parseTorchPickle(pickle([0x63, ...text("builtins\neval\n")]), "x"), /refused: the pickle asks for builtins\.eval/);
  assert.throws(() => parseTorchPickle(pickle([0x58, 5, 0, 0, 0, 0x61]), "x"), /x: the pickle ends early \(truncated\?\)/);
  assert.throws(() => parseTorchPickle(pickle([0x69]), "x"), /unsupported pickle opcode 0x69/);
  assert.throws(() => parseTorchPickle(pickle([0x68, 7]), "x"), /memo entry 7 was never stored/);
  assert.throws(() => parseTorchPickle(pickle([0x5d, 0x2e]), "x"), /not a dict of tensors/);
});

test("an old-format or damaged checkpoint gets a clear error", async () => {
  await assert.rejects(listTorchWeights(join(DIR, "legacy.bin")), /an old-style PyTorch checkpoint \(torch\.save before 1\.6, no ZIP archive\)/);
  const bytes = readFileSync(join(DIR, "tensors.bin"));
  writeFileSync(join(tmp, "cut.bin"), bytes.subarray(0, bytes.length - 200));
  await assert.rejects(listTorchWeights(join(tmp, "cut.bin")), /cut\.bin: (not a ZIP archive|the central directory lies past the end)/);
  // a storage entry shorter than its tensor needs: shrink the first data entry's recorded size
  const broken = Buffer.from(bytes);
  const at = broken.lastIndexOf(Buffer.from("tensors/data/0")); // its central directory record
  const central = broken.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]), at);
  broken.writeUInt32LE(broken.readUInt32LE(central + 24) - 4, central + 24);
  writeFileSync(join(tmp, "short.bin"), broken);
  await assert.rejects(listTorchWeights(join(tmp, "short.bin")), /storage 0 of tensor "weight" holds \d+ bytes, not 6 × 4/);
});

test("a GPT-2 saved as pytorch_model.bin gives the logits of its safetensors twin", async () => {
  const [bin, safe] = await Promise.all([loadModelDir(join(PRETRAINED, "gpt2-bin")), loadModelDir(join(PRETRAINED, "gpt2"))]);
  const expected = JSON.parse(readFileSync(join(PRETRAINED, "gpt2", "expected.json"), "utf8")) as { tokens: number[][]; logits: { data: number[] } };
  const got = values(bin.forward(expected.tokens));
  assert.deepEqual(got, values(safe.forward(expected.tokens)), "the same weights, bit for bit");
  const err = got.reduce((m, v, i) => Math.max(m, Math.abs(v - expected.logits.data[i])), 0);
  assert.ok(err < 1e-4, `max abs logit error ${err}`);
});
