// Safetensors: decoding Python-written fixtures, byte-exact writing, hostile input, atomic files.
//
// The fixtures come from reference/gen_safetensors_fixtures.py, which hand-encodes the format the
// way Hugging Face's library does (its Rust `prepare`/`serialize`, huggingface/safetensors
// safetensors/src/tensor.rs: sort by dtype descending then name, compact JSON, "__metadata__"
// first, space padding to 8 bytes). That encoder is itself checked against byte strings copied
// from the library's own tests ("upstream vectors" below), so our writer is compared with two
// independent sources.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type SerializableTensor,
  type TensorData,
  type TensorDType,
  SafetensorsError,
  bfloat16ToFloat32,
  float16ToFloat32,
  parseSafetensors,
  readSafetensorsHeader,
  serializeSafetensors,
} from "../src/io/safetensors.js";
import {
  readSafetensorsFile,
  readSafetensorsFileHeader,
  writeFileAtomic,
  writeSafetensorsFile,
} from "../src/io/files.node.js";
import { Generator } from "../src/tensor/random.js";

const DIR = fileURLToPath(new URL("../fixtures/safetensors/", import.meta.url));

interface ExpectedTensor { dtype: string; shape: number[]; values: (number | string)[] }
interface ExpectedFile { metadata: Record<string, string>; tensors: Record<string, ExpectedTensor> }
const manifest = JSON.parse(readFileSync(join(DIR, "expected.json"), "utf8")) as {
  valid: Record<string, ExpectedFile>;
  malformed: Record<string, string>;
};

const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(join(DIR, name)));
// JSON has no NaN/Infinity, so the generator writes those as strings.
const num = (v: number | string): number => (typeof v === "string" ? Number(v) : v);
const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};
const u64 = (n: bigint): Uint8Array => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, n, true);
  return b;
};

function expectSafetensorsError(fn: () => unknown, substrings: string[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof SafetensorsError, `expected a SafetensorsError, got ${String(e)}`);
    assert.ok(e.message.startsWith("safetensors: "), e.message);
    for (const s of substrings) assert.ok(e.message.includes(s), `message ${JSON.stringify(e.message)} lacks ${JSON.stringify(s)}`);
    return true;
  });
}

// ---------------------------------------------------------------------------------------------
// Decoding

const IN_MEMORY: Record<string, TensorDType> = {
  F32: "float32", F16: "float32", BF16: "float32", F64: "float64",
  I64: "int32", I32: "int32", I16: "int32", I8: "int32", U8: "int32", BOOL: "bool",
};

test("decodes every Python-written fixture to the values torch wrote", () => {
  for (const [file, want] of Object.entries(manifest.valid)) {
    const { tensors, metadata } = parseSafetensors(fixture(file));
    assert.deepEqual(metadata, want.metadata, file);
    assert.deepEqual([...tensors.keys()].sort(), Object.keys(want.tensors).sort(), file);
    for (const [name, w] of Object.entries(want.tensors)) {
      const got = tensors.get(name)!;
      const where = `${file} ${name}`;
      assert.equal(got.sourceDtype, w.dtype, where);
      assert.equal(got.dtype, IN_MEMORY[w.dtype], where);
      assert.deepEqual(got.shape, w.shape, where);
      // deepStrictEqual compares with SameValue: NaN matches NaN, -0 does not match 0.
      assert.deepEqual(Array.from(got.data), w.values.map(num), where);
    }
  }
});

test("decodes from an unaligned view of the file", () => {
  for (const file of ["f32.safetensors", "f64.safetensors", "i32.safetensors", "bf16.safetensors"]) {
    const bytes = fixture(file);
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    const a = parseSafetensors(bytes);
    const b = parseSafetensors(shifted.subarray(1));
    for (const [name, t] of a.tensors) assert.deepEqual(Array.from(b.tensors.get(name)!.data), Array.from(t.data), `${file} ${name}`);
  }
});

test("decodes from a pooled Node Buffer (whose slice() does not copy)", () => {
  for (const file of ["mixed.safetensors", "small_ints.safetensors"]) {
    const bytes = fixture(file);
    const pooled = Buffer.from(bytes); // small Buffers share one pool: byteOffset != 0
    const a = parseSafetensors(bytes);
    const b = parseSafetensors(pooled);
    for (const [name, t] of a.tensors) {
      const got = b.tensors.get(name)!.data;
      assert.ok(!Buffer.isBuffer(got), "results are plain typed arrays");
      assert.deepEqual(Array.from(got), Array.from(t.data), `${file} ${name}`);
    }
  }
});

test("float16ToFloat32 and bfloat16ToFloat32 on known bit patterns", () => {
  const f16: [number, number][] = [
    [0x0000, 0], [0x8000, -0], [0x3c00, 1], [0xc000, -2], [0x7bff, 65504], [0x0400, 2 ** -14],
    [0x0001, 2 ** -24], [0x03ff, 1023 * 2 ** -24], [0x3555, 0.333251953125], [0x7c00, Infinity],
    [0xfc00, -Infinity], [0x7e00, NaN], [0x7c01, NaN],
  ];
  for (const [bits, value] of f16) assert.equal(float16ToFloat32(bits), value, bits.toString(16));
  const bf16: [number, number][] = [
    [0x0000, 0], [0x8000, -0], [0x3f80, 1], [0xc000, -2], [0x7f7f, 3.3895313892515355e38],
    [0x0080, 2 ** -126], [0x0001, 2 ** -133], [0x3eab, 0.333984375], [0x7f80, Infinity],
    [0xff80, -Infinity], [0x7fc0, NaN], [0xffc1, NaN],
  ];
  for (const [bits, value] of bf16) assert.equal(bfloat16ToFloat32(bits), value, bits.toString(16));
});

test("float16ToFloat32 matches bit-level rebiasing on every normal value", () => {
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  for (let bits = 0; bits < 0x10000; bits++) {
    const exp = (bits >> 10) & 0x1f;
    if (exp === 0 || exp === 31) continue; // zeros, subnormals, inf, NaN: covered above
    u[0] = (((bits & 0x8000) << 16) | ((exp - 15 + 127) << 23) | ((bits & 0x3ff) << 13)) >>> 0;
    assert.equal(float16ToFloat32(bits), f[0], bits.toString(16));
  }
});

test("readSafetensorsHeader lists tensors in file order without decoding", () => {
  const bytes = fixture("mixed.safetensors");
  const header = readSafetensorsHeader(bytes);
  assert.deepEqual([...header.tensors.keys()], ["w64", "10", "9", "a", "b", "empty", "\u00e9t\u00e9", "\uff5e", "\u{1F600}", "ids", "mask"]);
  assert.deepEqual(header.tensors.get("ids"), { dtype: "I32", shape: [4], dataOffsets: [68, 84] });
  assert.deepEqual(header.tensors.get("empty")!.shape, [0, 3]);
  assert.deepEqual(header.tensors.get("9")!.shape, []);
  assert.deepEqual(header.metadata, { format: "pt" });
  assert.equal(header.dataStart, 8 + header.headerByteLength);
  assert.equal(header.headerByteLength % 8, 0);
  // Only the prefix is needed when the file's size is given (lazy loading).
  const prefix = bytes.slice(0, header.dataStart);
  assert.deepEqual(readSafetensorsHeader(prefix, { fileByteLength: bytes.length }), header);
  // A dtype we cannot decode can still be listed.
  assert.equal(readSafetensorsHeader(fixture("u16.safetensors")).tensors.get("u")!.dtype, "U16");
});

// ---------------------------------------------------------------------------------------------
// Writing

function fromExpected(want: ExpectedFile): Record<string, SerializableTensor> {
  const arrays: Record<string, (values: number[]) => TensorData> = {
    F32: (v) => Float32Array.from(v), F64: (v) => Float64Array.from(v),
    I32: (v) => Int32Array.from(v), BOOL: (v) => Uint8Array.from(v),
  };
  const out: Record<string, SerializableTensor> = {};
  for (const [name, w] of Object.entries(want.tensors)) {
    out[name] = { dtype: IN_MEMORY[w.dtype]!, shape: w.shape, data: arrays[w.dtype]!(w.values.map(num)) };
  }
  return out;
}

const headerText = (bytes: Uint8Array): string => {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  return new TextDecoder().decode(bytes.subarray(8, 8 + n));
};

test("serialization equals the Python-layout fixtures byte for byte", () => {
  for (const file of ["f32.safetensors", "f64.safetensors", "i32.safetensors", "mixed.safetensors", "no_metadata.safetensors"]) {
    const want = manifest.valid[file]!;
    const wantBytes = fixture(file);
    const metadata = Object.keys(want.metadata).length ? want.metadata : undefined;
    const ours = serializeSafetensors(fromExpected(want), metadata);
    assert.equal(headerText(ours), headerText(wantBytes), file); // readable diff first
    assert.deepEqual(ours, wantBytes, file);
  }
});

test("serialization equals byte strings from the upstream safetensors test suite", () => {
  const zeros = (n: number) => new Uint8Array(n);
  const i32 = { dtype: "int32", shape: [2, 2], data: new Int32Array(4) } as const;
  // bindings/python/tests/test_simple.py: test_serialization, test_serialization_metadata
  assert.deepEqual(
    serializeSafetensors({ test: i32 }),
    concat(ascii("@\0\0\0\0\0\0\0"), ascii('{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}    '), zeros(16)),
  );
  assert.deepEqual(
    serializeSafetensors({ test1: i32 }, { framework: "pt" }),
    concat(ascii("`\0\0\0\0\0\0\0"), ascii('{"__metadata__":{"framework":"pt"},"test1":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}} '), zeros(16)),
  );
  // safetensors/src/tensor.rs: test_empty, test_serialization_forced_alignement
  assert.deepEqual(serializeSafetensors({}), concat(u64(8n), ascii("{}      ")));
  assert.deepEqual(serializeSafetensors({}, { framework: "pt" }), concat(u64(40n), ascii('{"__metadata__":{"framework":"pt"}}     ')));
  const f32 = Float32Array.from([0, 1, 2, 3, 4, 5]);
  assert.deepEqual(
    serializeSafetensors({ attn0: { dtype: "float32", shape: [1, 1, 2, 3], data: f32 } }),
    concat(u64(72n), ascii('{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}       '), new Uint8Array(f32.buffer)),
  );
});

test("accepts the edge cases the Python library accepts", () => {
  const file = (header: string, data: Uint8Array) => concat(u64(BigInt(header.length)), ascii(header), data);
  // Header order need not be offset order; zero-size tensors may sit at any boundary.
  const header = '{"z":{"dtype":"F32","shape":[0],"data_offsets":[8,8]},"b":{"dtype":"I32","shape":[1],"data_offsets":[4,8]},'
    + '"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"e":{"dtype":"BOOL","shape":[0,2],"data_offsets":[0,0]},"__metadata__":null}';
  const data = concat(new Uint8Array(Float32Array.from([1.5]).buffer), new Uint8Array(Int32Array.from([-3]).buffer));
  const { tensors, metadata } = parseSafetensors(file(header, data));
  assert.deepEqual([...tensors.keys()], ["e", "a", "b", "z"]);
  assert.deepEqual(Array.from(tensors.get("a")!.data), [1.5]);
  assert.deepEqual(Array.from(tensors.get("b")!.data), [-3]);
  assert.deepEqual(metadata, {});
  assert.equal(parseSafetensors(file("{}", new Uint8Array(0))).tensors.size, 0);
  // Unknown fields in an entry are ignored, as serde does.
  assert.equal(parseSafetensors(file('{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"extra":1}}', new Uint8Array(1))).tensors.size, 1);
});

test("reads an unpadded header (older writers) with unaligned data", () => {
  // test_deserialization in the upstream Python tests: a 60-byte header, so data starts at 68.
  const bytes = concat(ascii("<\0\0\0\0\0\0\0"), ascii('{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}'), u64(7n), u64(0n));
  const t = parseSafetensors(bytes).tensors.get("test")!;
  assert.deepEqual(Array.from(t.data), [7, 0, 0, 0]);
});

test("round trip: serialize then parse gives back every dtype, shape and value", () => {
  const tensors = new Map<string, SerializableTensor>([
    ["w", { dtype: "float32", shape: [2, 3], data: Float32Array.from([1.5, -2, 0, NaN, Infinity, -0]) }],
    ["d", { dtype: "float64", shape: [], data: Float64Array.from([Math.PI]) }],
    ["i", { dtype: "int32", shape: [3], data: Int32Array.from([-(2 ** 31), 0, 2 ** 31 - 1]) }],
    ["m", { dtype: "bool", shape: [2, 2], data: Uint8Array.from([1, 0, 0, 1]) }],
    ["zero", { dtype: "float32", shape: [0], data: new Float32Array(0) }],
    ["quote\"back\\slash\nnewline\u0001\u00e9\u{1F600}", { dtype: "float32", shape: [1], data: Float32Array.from([7]) }],
    ["0", { dtype: "float32", shape: [1], data: Float32Array.from([8]) }],
  ]);
  const metadata = { format: "pt", "2": "integer-like key", note: "quote \" and \u2028" };
  const parsed = parseSafetensors(serializeSafetensors(tensors, metadata));
  assert.deepEqual(parsed.metadata, metadata);
  assert.equal(parsed.tensors.size, tensors.size);
  for (const [name, t] of tensors) {
    const got = parsed.tensors.get(name)!;
    assert.equal(got.dtype, t.dtype, name);
    assert.deepEqual(got.shape, t.shape, name);
    assert.deepEqual(Array.from(got.data), Array.from(t.data), name);
  }
});

test("serializer rejects bad tensors and metadata with clear errors", () => {
  const f = (n: number) => new Float32Array(n);
  expectSafetensorsError(() => serializeSafetensors({ t: { dtype: "float32", shape: [3], data: f(2) } }), ['tensor "t"', "[3]", "3 elements", "has 2"]);
  expectSafetensorsError(() => serializeSafetensors({ t: { dtype: "float32", shape: [1], data: new Float64Array(1) } }), ["Float32Array"]);
  expectSafetensorsError(() => serializeSafetensors({ t: { dtype: "int64" as TensorDType, shape: [1], data: f(1) } }), ["cannot write dtype"]);
  expectSafetensorsError(() => serializeSafetensors({ t: { dtype: "float32", shape: [-1], data: f(0) } }), ["shape"]);
  expectSafetensorsError(() => serializeSafetensors({ __metadata__: { dtype: "float32", shape: [0], data: f(0) } }), ["reserved"]);
  expectSafetensorsError(() => serializeSafetensors({ "a\ud800": { dtype: "float32", shape: [0], data: f(0) } }), ["lone UTF-16 surrogate"]);
  expectSafetensorsError(() => serializeSafetensors({}, { epoch: 3 as unknown as string }), ['metadata value for "epoch"', "must be a string"]);
});

test("serializer writes bool as 0/1 bytes", () => {
  const bytes = serializeSafetensors({ m: { dtype: "bool", shape: [3], data: Uint8Array.from([0, 2, 255]) } });
  assert.deepEqual(Array.from(bytes.subarray(bytes.length - 3)), [0, 1, 1]);
});

// ---------------------------------------------------------------------------------------------
// Bad input

const MALFORMED: Record<string, string[]> = {
  "truncated_prefix.safetensors": ["5 bytes long", "shorter than the 8-byte"],
  "truncated_data.safetensors": ['tensor "t"', "run past the end of the data section"],
  "header_past_eof.safetensors": ["header length 1000 bytes", "past the end of the file (16 bytes"],
  "header_huge.safetensors": ["header length 9007199254740992 bytes", "exceeds the limit of 100000000"],
  "header_u64_max.safetensors": ["18446744073709551615", "exceeds the limit"],
  "bad_utf8.safetensors": ["not valid UTF-8"],
  "bom.safetensors": ["not valid JSON"],
  "bad_json.safetensors": ["not valid JSON"],
  "not_object.safetensors": ["must be a JSON object", "an array"],
  "entry_not_object.safetensors": ['tensor "t"', "must be an object", "number 5"],
  "unknown_dtype.safetensors": ['tensor "t"', 'unknown dtype "F99"'],
  "negative_shape.safetensors": ['tensor "t"', "shape must be an array of non-negative integers", "[-1]"],
  "fractional_shape.safetensors": ["shape must be", "[1.5]"],
  "shape_not_array.safetensors": ["shape must be", 'the string "1"'],
  "bad_offsets.safetensors": ["data_offsets must be [begin, end]", "[0]"],
  "end_before_begin.safetensors": ["[4, 0]", "end before they begin"],
  "shape_mismatch.safetensors": ['tensor "t"', "shape [3] needs 12 bytes", "span 8"],
  "shape_overflow.safetensors": ["overflows 64 bits"],
  "out_of_range.safetensors": ["[0, 16]", "past the end of the data section (8 bytes)"],
  "overlapping.safetensors": ['tensor "b"', 'overlaps tensor "a"'],
  "hole.safetensors": ["bytes [4, 8)", "belong to no tensor", 'tensor "b"'],
  "trailing_bytes.safetensors": ["last 4 bytes", "belong to no tensor"],
  "metadata_not_string.safetensors": ['__metadata__ value for key "epoch"', "must be a string", "number 1"],
  "metadata_not_object.safetensors": ["__metadata__ must be an object"],
  "i64_out_of_range.safetensors": ['tensor "big"', "1099511627776", "flat index 1", "int32"],
  "u16.safetensors": ["U16", "cannot decode"],
};

test("every malformed fixture is rejected with a message naming the problem", () => {
  assert.deepEqual(Object.keys(MALFORMED).sort(), Object.keys(manifest.malformed).sort(), "each fixture needs an expectation");
  for (const [file, substrings] of Object.entries(MALFORMED)) {
    expectSafetensorsError(() => parseSafetensors(fixture(file)), substrings);
  }
});

test("file readers put the path in the message", async () => {
  const path = join(DIR, "overlapping.safetensors");
  for (const read of [readSafetensorsFile, readSafetensorsFileHeader]) {
    await assert.rejects(read(path), (e: unknown) => {
      assert.ok(e instanceof SafetensorsError);
      assert.ok(e.message.startsWith(`safetensors: ${path}: `), e.message);
      assert.ok(e.message.includes('overlaps tensor "a"'), e.message);
      return true;
    });
  }
  await assert.rejects(readSafetensorsFileHeader(join(DIR, "header_huge.safetensors")), /exceeds the limit/);
  const header = await readSafetensorsFileHeader(join(DIR, "mixed.safetensors"));
  assert.equal(header.tensors.size, 11);
});

test("a header claiming 2^53 bytes is rejected before anything is allocated", () => {
  const bytes = concat(u64(2n ** 53n), ascii("{}      "));
  const before = process.memoryUsage().arrayBuffers;
  expectSafetensorsError(() => parseSafetensors(bytes), ["9007199254740992", "exceeds the limit"]);
  expectSafetensorsError(() => readSafetensorsHeader(bytes), ["exceeds the limit"]);
  assert.ok(process.memoryUsage().arrayBuffers - before < 1 << 20, "no large buffer was allocated");
  // The limit is configurable, and applies to honest files too.
  const ok = serializeSafetensors({ t: { dtype: "float32", shape: [1], data: new Float32Array(1) } });
  expectSafetensorsError(() => parseSafetensors(ok, { maxHeaderBytes: 16 }), ["exceeds the limit of 16 bytes"]);
});

/** A seeded uniform [0, 1) source (the project's generator), so failures reproduce. */
function rng(seed: number): () => number {
  const g = new Generator(seed);
  return () => g.random();
}

test("fuzz: mutated files parse or throw a SafetensorsError, never anything else", { timeout: 20_000 }, (t) => {
  const random = rng(0x5afe);
  const int = (n: number) => Math.floor(random() * n);
  const bases = ["mixed.safetensors", "f16.safetensors", "i64.safetensors", "small_ints.safetensors"].map(fixture);
  const interesting = ["-1", "0", "1", "3", "4", "8", "1.5", "1e300", "9007199254740993", "18446744073709551616", "null", '"F32"', '"I64"', "[]", "{}"];
  const outcomes = new Map<string, number>();
  const start = performance.now();
  for (let i = 0; i < 2000; i++) {
    let bytes: Uint8Array = bases[int(bases.length)]!.slice();
    const headerEnd = 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true));
    for (let m = 1 + int(3); m > 0; m--) {
      const kind = int(6);
      if (kind === 0 && bytes.length > 0) bytes[int(bytes.length)]! ^= 1 << int(8); // flip a bit
      else if (kind === 1 && bytes.length > 0) bytes[int(bytes.length)] = int(256); // random byte
      else if (kind === 2) bytes = bytes.slice(0, int(bytes.length + 1)); // truncate
      else if (kind === 3) bytes[int(8)] = int(256); // length prefix
      else if (kind === 4) bytes = concat(bytes, new Uint8Array(1 + int(16)).map(() => int(256))); // append
      else if (bytes.length >= headerEnd) {
        // Swap one JSON token for another and fix the length prefix: reaches the semantic checks.
        const text = new TextDecoder().decode(bytes.subarray(8, headerEnd));
        const tokens = [...text.matchAll(/-?\d+|"[^"]*"|\[[^\]]*\]/g)];
        const hit = tokens[int(tokens.length)];
        if (hit) {
          const edited = ascii(text.slice(0, hit.index) + interesting[int(interesting.length)] + text.slice(hit.index + hit[0].length));
          bytes = concat(u64(BigInt(edited.length)), edited, bytes.subarray(headerEnd));
        }
      }
    }
    try {
      parseSafetensors(bytes);
      outcomes.set("ok", (outcomes.get("ok") ?? 0) + 1);
    } catch (e) {
      if (!(e instanceof SafetensorsError) || !e.message.startsWith("safetensors: ")) {
        assert.fail(`iteration ${i}: unexpected ${String(e)}`);
      }
      const kind = e.message.replace(/"[^"]*"|\d+/g, "#").slice(13, 50);
      outcomes.set(kind, (outcomes.get(kind) ?? 0) + 1);
    }
  }
  t.diagnostic(`2000 fuzz iterations in ${(performance.now() - start).toFixed(0)} ms, ${outcomes.size} distinct outcomes`);
  assert.ok((outcomes.get("ok") ?? 0) > 0, "some mutations should still parse");
  assert.ok(outcomes.size >= 10, `the fuzzer should reach many checks, reached ${[...outcomes.keys()].join(" | ")}`);
});

// ---------------------------------------------------------------------------------------------
// Atomic files

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "dgpt-safetensors-"));
}

test("writeSafetensorsFile replaces an existing file and leaves no temp file", async () => {
  const dir = tempDir();
  try {
    const path = join(dir, "model.safetensors");
    writeFileSync(path, "old content");
    await writeSafetensorsFile(path, { w: { dtype: "float32", shape: [2], data: Float32Array.from([1, 2]) } }, { format: "pt" });
    const { tensors, metadata } = await readSafetensorsFile(path);
    assert.deepEqual(Array.from(tensors.get("w")!.data), [1, 2]);
    assert.deepEqual(metadata, { format: "pt" });
    assert.deepEqual(readdirSync(dir), ["model.safetensors"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a failed atomic write keeps the old file and cleans up its temp file", async () => {
  const dir = tempDir();
  try {
    const path = join(dir, "model.safetensors");
    writeFileSync(path, "old content");
    // Not bytes: fails after the temp file was created, inside the write.
    await assert.rejects(writeFileAtomic(path, { bogus: true } as unknown as Uint8Array));
    assert.equal(readFileSync(path, "utf8"), "old content");
    assert.deepEqual(readdirSync(dir), ["model.safetensors"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("concurrent readers see the old or the new file, never a mix", async () => {
  const dir = tempDir();
  try {
    const path = join(dir, "data.bin");
    const a = new Uint8Array(300_000).fill(0xaa);
    const b = new Uint8Array(100_000).fill(0xbb);
    await writeFileAtomic(path, a);
    let writing = true;
    const writer = (async () => {
      for (let i = 0; i < 20; i++) await writeFileAtomic(path, i % 2 ? a : b);
      writing = false;
    })();
    let reads = 0;
    while (writing) {
      const got = new Uint8Array(await readFile(path));
      const whole = (got.length === a.length && got.every((x) => x === 0xaa)) || (got.length === b.length && got.every((x) => x === 0xbb));
      assert.ok(whole, `read ${got.length} bytes that are neither version`);
      reads++;
    }
    await writer;
    assert.ok(reads > 0);
    assert.deepEqual(readdirSync(dir), ["data.bin"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("writing into a missing directory throws and creates nothing", async () => {
  const dir = tempDir();
  try {
    const missing = join(dir, "no", "such");
    await assert.rejects(writeSafetensorsFile(join(missing, "m.safetensors"), {}), { code: "ENOENT" });
    assert.equal(existsSync(join(dir, "no")), false);
    assert.deepEqual(readdirSync(dir), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
