// PyTorch checkpoints (pytorch_model.bin) read without Python and without running their pickle:
// the fixtures of reference/gen_torch_checkpoint_fixtures.py (written by torch.save) give back
// every tensor exactly — strided views, shared storages, F16/BF16/F64/I64, 0-d, parameters,
// nested dicts — a hostile pickle is refused by name, old-format and damaged files get clear
// errors, a checkpoint with the ZIP64 records of one past 4 GiB reads the same and its damaged
// variants get clear errors, and a GPT-2 saved as pytorch_model.bin gives the same logits as its
// safetensors twin.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { listTorchWeights, readTorchWeight } from "../src/io/torch-checkpoint.node.js";
import { parseTorchPickle } from "../src/io/torch-pickle.js";
import { readZipDirectory } from "../src/io/zip.js";
import { loadModelDir } from "../src/node.js";
import { values } from "./tensor-compare.js";

const DIR = fileURLToPath(new URL("../fixtures/torch-checkpoint/", import.meta.url));
const PRETRAINED = fileURLToPath(new URL("../fixtures/pretrained/", import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), "dgpt-torch-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Checks that the checkpoint at `path` holds tensors.bin's tensors (expected.json, written by PyTorch). */
async function expectFixtureTensors(path: string) {
  const expected = JSON.parse(readFileSync(join(DIR, "expected.json"), "utf8")) as Record<string, { shape: number[]; values: number[] }>;
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
}

test("every tensor of a torch.save checkpoint comes back with its shape and values", async () => {
  await expectFixtureTensors(join(DIR, "tensors.bin"));
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

// zip64.bin: tensors.bin re-packed by Python's zipfile with the ZIP64 records of an archive past
// 4 GiB (reference/gen_torch_checkpoint_fixtures.py, write_zip64): the end record's count, size and
// offset are 0xffff/0xffffffff, data.pkl's central record has a ZIP64 extra field with its size,
// compressed size and offset, later entries one with their offset only, every local header one.
const ZIP64 = join(DIR, "zip64.bin");

/** Byte positions in zip64.bin, found by their signatures (the test's own reading of the format). */
function zip64Layout(bytes: Buffer) {
  const eocd = bytes.length - 22; // no archive comment
  const locator = eocd - 20;
  assert.equal(bytes.readUInt32LE(locator), 0x07064b50, "the fixture has a ZIP64 locator");
  const record = Number(bytes.readBigUInt64LE(locator + 8));
  assert.equal(bytes.readUInt32LE(record), 0x06064b50, "the locator points at the ZIP64 end record");
  const pklName = bytes.lastIndexOf(Buffer.from("tensors/data.pkl")); // in data.pkl's central record
  const pklExtra = pklName + "tensors/data.pkl".length;
  assert.equal(bytes.readUInt16LE(pklExtra), 0x0001, "data.pkl's central record starts its extra with the ZIP64 field");
  assert.equal(bytes.readUInt16LE(pklExtra + 2), 24, "three 64-bit values: size, compressed size, offset");
  return { eocd, locator, record, pklExtra };
}

/** A copy of zip64.bin, edited, in the temporary folder. */
function patched(name: string, edit: (bytes: Buffer) => void): string {
  const bytes = readFileSync(ZIP64);
  edit(bytes);
  writeFileSync(join(tmp, name), bytes);
  return join(tmp, name);
}

test("a checkpoint with ZIP64 records (as past 4 GiB) gives back every tensor", async () => {
  await expectFixtureTensors(ZIP64);
  // the sizes and offsets came from the ZIP64 fields: the same sizes as the plain archive's
  const entriesOf = async (path: string) => {
    const bytes = readFileSync(path);
    const read = async (offset: number, length: number) => new Uint8Array(bytes.subarray(offset, offset + length));
    return readZipDirectory(read, bytes.length, path);
  };
  const plain = new Map((await entriesOf(join(DIR, "tensors.bin"))).map((e) => [e.name, e.size]));
  const zip64 = await entriesOf(ZIP64);
  assert.deepEqual(new Map(zip64.map((e) => [e.name, e.size])), plain);
  const bytes = readFileSync(ZIP64);
  for (const e of zip64) assert.equal(bytes.readUInt32LE(e.localHeaderOffset), 0x04034b50, `${e.name}'s offset points at its local header`);
  assert.ok(zip64.filter((e) => e.localHeaderOffset > 500).length >= 2, "the fixture has entries whose offset only is in the ZIP64 field");
});

test("each 0xffff/0xffffffff of the end record alone sends the reader to the ZIP64 record", async () => {
  const bytes = readFileSync(ZIP64);
  const { eocd, record } = zip64Layout(bytes);
  const real = { count: Number(bytes.readBigUInt64LE(record + 32)), size: Number(bytes.readBigUInt64LE(record + 40)), offset: Number(bytes.readBigUInt64LE(record + 48)) };
  for (const keep of ["count", "size", "offset"] as const) {
    // the real values back in the end record, but for one placeholder
    const onePlaceholder = (b: Buffer) => {
      if (keep !== "count") {
        b.writeUInt16LE(real.count, eocd + 8);
        b.writeUInt16LE(real.count, eocd + 10);
      }
      if (keep !== "size") b.writeUInt32LE(real.size, eocd + 12);
      if (keep !== "offset") b.writeUInt32LE(real.offset, eocd + 16);
    };
    await expectFixtureTensors(patched(`only-${keep}.bin`, onePlaceholder));
    // the ZIP64 record is what was read: without its signature the same archive fails
    const broken = patched(`only-${keep}-broken.bin`, (b) => {
      onePlaceholder(b);
      b.writeUInt32LE(0, record);
    });
    await assert.rejects(listTorchWeights(broken), /no ZIP64 end record at byte \d+, where its locator points/, keep);
  }
});

test("a damaged ZIP64 checkpoint gets a clear error, never a hang or a read past the file", { timeout: 30_000 }, async () => {
  const bytes = readFileSync(ZIP64);
  const { locator, record, pklExtra } = zip64Layout(bytes);
  const cases: [string, (b: Buffer) => void, RegExp][] = [
    ["no-locator", (b) => b.writeUInt32LE(0, locator), /a ZIP64 archive without its ZIP64 end-record locator/],
    ["locator-past-end", (b) => b.writeBigUInt64LE(10n ** 12n, locator + 8), /the ZIP64 locator points at byte 1000000000000, past where its end record can be/],
    ["locator-elsewhere", (b) => b.writeBigUInt64LE(0n, locator + 8), /no ZIP64 end record at byte 0, where its locator points/],
    ["dir-past-end", (b) => b.writeBigUInt64LE(10n ** 12n, record + 48), /the central directory \(\d+ bytes at byte 1000000000000\) lies past the end of the file/],
    ["dir-too-long", (b) => b.writeBigUInt64LE(BigInt(bytes.length), record + 40), /the central directory \(\d+ bytes at byte \d+\) lies past the end of the file/],
    ["count-huge", (b) => b.writeBigUInt64LE(2n ** 40n, record + 32), /claims 1099511627776 entries, more than its \d+-byte central directory can hold/],
    ["count-unsafe", (b) => b.writeBigUInt64LE(2n ** 60n, record + 32), /a 64-bit size or offset is too large/],
    // data.pkl's ZIP64 field says 16 bytes (two values) where it needs three; its last 8 bytes then read as an empty field
    ["extra-short", (b) => b.writeUInt16LE(16, pklExtra + 2), /entry tensors\/data\.pkl: its ZIP64 extra field is too short to hold its local-header offset/],
    ["extra-overrun", (b) => b.writeUInt16LE(200, pklExtra + 2), /entry tensors\/data\.pkl: its extra field 1 runs past the record/],
    ["extra-missing", (b) => b.writeUInt16LE(0x9999, pklExtra), /entry tensors\/data\.pkl says its size or offset is in a ZIP64 extra field, which it lacks/],
    ["offset-past-end", (b) => b.writeBigUInt64LE(10n ** 12n, pklExtra + 4 + 16), /entry tensors\/data\.pkl \(1065 bytes at byte 1000000000000\) runs into the central directory/],
    [
      "size-past-end",
      (b) => {
        b.writeBigUInt64LE(2n ** 50n, pklExtra + 4); // size
        b.writeBigUInt64LE(2n ** 50n, pklExtra + 12); // compressed size
      },
      /entry tensors\/data\.pkl \(1125899906842624 bytes at byte \d+\) runs into the central directory/,
    ],
    ["offset-wrong", (b) => b.writeBigUInt64LE(1n, pklExtra + 4 + 16), /entry tensors\/data\.pkl has no local header where the directory says/],
  ];
  for (const [name, edit, message] of cases) {
    await assert.rejects(listTorchWeights(patched(`${name}.bin`, edit)), (err: Error) => {
      assert.match(err.message, message, name);
      assert.ok(err.message.startsWith(join(tmp, `${name}.bin`)), `${name}: the error names the file`);
      return true;
    });
  }
});

test("an archive of exactly 65535 entries (count 0xffff, no ZIP64 records, as Python's zipfile writes one) reads as it is", async () => {
  // a plain archive of empty stored entries e0 … e65534, laid out by hand
  const n = 0xffff;
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (let i = 0; i < n; i++) {
    const name = Buffer.from(`e${i}`);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name);
    centrals.push(central, name);
    offset += 30 + name.length;
  }
  const dir = Buffer.concat(centrals);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(n, 8);
  eocd.writeUInt16LE(n, 10);
  eocd.writeUInt32LE(dir.length, 12);
  eocd.writeUInt32LE(offset, 16);
  const bytes = Buffer.concat([...locals, dir, eocd]);
  const read = async (at: number, length: number) => new Uint8Array(bytes.subarray(at, at + length));
  const entries = await readZipDirectory(read, bytes.length, "many.zip");
  assert.equal(entries.length, n);
  assert.deepEqual(entries[n - 1], { name: `e${n - 1}`, method: 0, compressedSize: 0, size: 0, localHeaderOffset: offset - 30 - `e${n - 1}`.length });
});
