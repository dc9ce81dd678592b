// Safetensors read/write, byte-compatible with Hugging Face's `safetensors` (Rust core behind the
// Python package). Browser-safe: only Uint8Array, DataView, TextEncoder/TextDecoder.
//
// File layout: u64 little-endian N | N bytes of UTF-8 JSON header | data section.
// The header maps tensor names to {"dtype","shape","data_offsets":[begin,end]} (offsets relative to
// the data section), plus an optional "__metadata__" map of string to string.
//
// What the reference writer does (read from huggingface/safetensors `safetensors/src/tensor.rs`,
// functions `prepare`/`serialize` and `impl Serialize for Metadata`, and checked against the byte
// strings in its Python tests `bindings/python/tests/test_simple.py`):
// - tensors sorted by dtype, descending in the order of the Rust `Dtype` enum (declared in
//   increasing alignment: BOOL < U8 < I8 < ... < I16 < U16 < F16 < BF16 < I32 < U32 < F32 < C64 <
//   F64 < I64 < U64), then by name (Rust `String` order, i.e. UTF-8 bytes = code points);
// - data laid out back to back in that order, no gaps;
// - compact JSON (serde_json::to_string), "__metadata__" first when given, each tensor's fields in
//   the order dtype, shape, data_offsets;
// - the header padded with spaces (0x20) to a multiple of 8 bytes, N counting the padding.
// The keys inside "__metadata__" come out of a Rust HashMap, so their order is random in Python's
// output when there are several; we write them sorted, which is one of the orders it can produce.
//
// What the reference reader accepts (`SafeTensors::read_metadata` and `Metadata::validate`): N at
// most 100 MB and within the file; the header valid UTF-8 JSON; once sorted by data_offsets the
// tensors tile the data section exactly from 0 to its end (no overlap, no hole, no trailing byte),
// each spanning exactly product(shape) * itemsize bytes. We enforce the same rules and say which
// one a bad file breaks. Known corner cases where we differ: integers above 2^53 (JS numbers lose
// precision) and the sub-byte dtypes F4/F6_* are refused here; `4.0` for an integer is accepted
// here (JSON.parse cannot tell it from `4`); a duplicated key keeps its last value (JSON.parse).

/** Dtypes this reader decodes. */
export type SafetensorsDType = "F64" | "F32" | "F16" | "BF16" | "I64" | "I32" | "I16" | "I8" | "U8" | "BOOL";
/** Every dtype a header may name; the extra ones can be listed but not decoded. */
export type HeaderDType = SafetensorsDType | "U16" | "U32" | "U64" | "F8_E5M2" | "F8_E4M3" | "F8_E8M0" | "C64";
/** The in-memory dtypes (same as the backend's DType). */
export type TensorDType = "float32" | "float64" | "int32" | "bool";
export type TensorData = Float32Array | Float64Array | Int32Array | Uint8Array;

export interface TensorEntry {
  dtype: TensorDType;
  shape: number[];
  data: TensorData;
  /** The dtype stored in the file, before widening (F16/BF16 -> float32, I64 -> int32, ...). */
  sourceDtype: SafetensorsDType;
}

export interface TensorInfo {
  dtype: HeaderDType;
  shape: number[];
  /** [begin, end) in bytes, relative to the start of the data section. */
  dataOffsets: [number, number];
}

export interface SafetensorsHeader {
  /** N: the header's length in bytes, padding included. */
  headerByteLength: number;
  /** Where the data section starts in the file (8 + N). */
  dataStart: number;
  /** In file order (by data offset). */
  tensors: Map<string, TensorInfo>;
  metadata: Record<string, string>;
}

export interface SerializableTensor {
  dtype: TensorDType;
  shape: readonly number[];
  data: TensorData;
}

export interface ReadOptions {
  /** Largest header accepted, in bytes. Default 100_000_000, the Python library's limit. */
  maxHeaderBytes?: number;
}

export class SafetensorsError extends Error {
  override name = "SafetensorsError";
}

function fail(message: string): never {
  throw new SafetensorsError(`safetensors: ${message}`);
}

export const DEFAULT_MAX_HEADER_BYTES = 100_000_000;

const ITEM_BYTES: Record<HeaderDType, number> = {
  BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1, F8_E8M0: 1,
  I16: 2, U16: 2, F16: 2, BF16: 2,
  I32: 4, U32: 4, F32: 4,
  I64: 8, U64: 8, F64: 8, C64: 8,
};
const DECODABLE = new Set<string>(["F64", "F32", "F16", "BF16", "I64", "I32", "I16", "I8", "U8", "BOOL"]);

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const U64_MAX = (1n << 64n) - 1n;

/** A name or value, quoted and cut short so a hostile header cannot flood the message. */
function q(s: string): string {
  return JSON.stringify(s.length > 120 ? `${s.slice(0, 120)}...` : s);
}

/** JSON of a header value, cut short like `q`. */
function brief(v: unknown): string {
  const s = JSON.stringify(v);
  return s.length > 120 ? `${s.slice(0, 120)}...` : s;
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "string") return `the string ${q(v)}`;
  if (typeof v === "object") return "an object";
  return `${typeof v} ${String(v)}`;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * A plain Uint8Array over the same memory. Node's Buffer is a Uint8Array whose `slice` does not
 * copy and whose `map` returns a Buffer, so never let one through.
 */
function plain(bytes: Uint8Array): Uint8Array {
  if (!(bytes instanceof Uint8Array)) fail(`expected the file's bytes as a Uint8Array, got ${describe(bytes)}`);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function isCount(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

// ---------------------------------------------------------------------------------------------
// Reading

/**
 * Reads and checks the 8-byte length prefix. `fileByteLength` is the whole file's size when
 * `bytes` holds only its beginning (lazy loading); it defaults to `bytes.length`.
 */
export function readHeaderLength(
  bytes: Uint8Array,
  opts: ReadOptions & { fileByteLength?: number } = {},
): number {
  bytes = plain(bytes);
  const fileLength = opts.fileByteLength ?? bytes.length;
  const max = opts.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
  if (!isCount(max)) fail(`maxHeaderBytes must be a non-negative integer, got ${describe(max)}`);
  if (!isCount(fileLength)) fail(`fileByteLength must be a non-negative integer, got ${describe(fileLength)}`);
  if (bytes.length < 8 || fileLength < 8) {
    fail(`file is ${Math.min(bytes.length, fileLength)} bytes long, shorter than the 8-byte header length prefix`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, 8);
  const n = view.getBigUint64(0, true);
  // Compare before converting or allocating anything: a hostile N may be up to 2^64 - 1.
  if (n > BigInt(max)) fail(`header length ${n} bytes exceeds the limit of ${max} bytes`);
  const headerLength = Number(n);
  if (8 + headerLength > fileLength) {
    fail(`header length ${headerLength} bytes runs past the end of the file (${fileLength} bytes, so at most ${fileLength - 8} bytes of header)`);
  }
  return headerLength;
}

function parseMetadata(value: unknown): Record<string, string> {
  if (value === null) return {}; // serde reads null as "no metadata"
  if (!isPlainObject(value)) fail(`__metadata__ must be an object of strings, got ${describe(value)}`);
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== "string") fail(`__metadata__ value for key ${q(key)} must be a string, got ${describe(v)}`);
  }
  return value as Record<string, string>;
}

function parseTensorInfo(name: string, value: unknown): TensorInfo {
  const where = `tensor ${q(name)}`;
  if (!isPlainObject(value)) fail(`${where}: header entry must be an object, got ${describe(value)}`);
  const { dtype, shape, data_offsets: offsets } = value;
  if (typeof dtype !== "string" || !Object.hasOwn(ITEM_BYTES, dtype)) {
    fail(`${where}: unknown dtype ${typeof dtype === "string" ? q(dtype) : describe(dtype)} (known: ${Object.keys(ITEM_BYTES).join(", ")})`);
  }
  if (!Array.isArray(shape) || !shape.every(isCount)) {
    fail(`${where}: shape must be an array of non-negative integers, got ${Array.isArray(shape) ? brief(shape) : describe(shape)}`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
    fail(`${where}: data_offsets must be [begin, end] with non-negative integers, got ${Array.isArray(offsets) ? brief(offsets) : describe(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) fail(`${where}: data_offsets [${begin}, ${end}] end before they begin`);
  const elements = elementCount(shape as number[]);
  const expected = elements === undefined ? undefined : elements * BigInt(ITEM_BYTES[dtype as HeaderDType]);
  if (expected === undefined || expected > U64_MAX) fail(`${where}: shape ${brief(shape)} overflows 64 bits`);
  if (expected !== BigInt(end - begin)) {
    fail(`${where}: ${dtype} with shape ${brief(shape)} needs ${expected} bytes but data_offsets [${begin}, ${end}] span ${end - begin}`);
  }
  return { dtype: dtype as HeaderDType, shape: shape as number[], dataOffsets: [begin, end] };
}

/**
 * product(shape), exactly, or undefined where the Rust reader's u64 running product overflows
 * (so [2^40, 2^40, 0] is refused there, and here, although its product is 0).
 */
function elementCount(shape: number[]): bigint | undefined {
  let n = 1;
  for (const d of shape) {
    n *= d;
    if (n > Number.MAX_SAFE_INTEGER) {
      // Rare: redo exactly with BigInt, checking each step as Rust's checked_mul does.
      let exact = 1n;
      for (const e of shape) {
        exact *= BigInt(e);
        if (exact > U64_MAX) return undefined;
      }
      return exact;
    }
  }
  return BigInt(n);
}

/**
 * Parses and validates the header without decoding any tensor data. `bytes` must hold at least
 * the first 8 + N bytes; pass `fileByteLength` when it holds only that prefix.
 */
export function readSafetensorsHeader(
  bytes: Uint8Array,
  opts: ReadOptions & { fileByteLength?: number } = {},
): SafetensorsHeader {
  bytes = plain(bytes);
  const fileLength = opts.fileByteLength ?? bytes.length;
  const n = readHeaderLength(bytes, opts);
  if (bytes.length < 8 + n) fail(`need the first ${8 + n} bytes of the file to read its header, got ${bytes.length}`);

  let text: string;
  try {
    // ignoreBOM keeps a leading BOM, which then fails JSON parsing, as in the Rust reader.
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    fail(`header (${n} bytes) is not valid UTF-8`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    fail(`header is not valid JSON (${e instanceof Error ? e.message.slice(0, 200) : String(e)})`);
  }
  if (!isPlainObject(json)) fail(`header must be a JSON object, got ${describe(json)}`);

  let metadata: Record<string, string> = {};
  const infos: [string, TensorInfo][] = [];
  for (const [name, value] of Object.entries(json)) {
    if (name === "__metadata__") metadata = parseMetadata(value);
    else infos.push([name, parseTensorInfo(name, value)]);
  }

  const dataLength = fileLength - 8 - n;
  for (const [name, { dataOffsets: [begin, end] }] of infos) {
    if (end > dataLength) {
      fail(`tensor ${q(name)}: data_offsets [${begin}, ${end}] run past the end of the data section (${dataLength} bytes)`);
    }
  }
  // Sorted by offsets, the tensors must tile [0, dataLength) exactly.
  infos.sort(([, a], [, b]) => a.dataOffsets[0] - b.dataOffsets[0] || a.dataOffsets[1] - b.dataOffsets[1]);
  let cursor = 0;
  let previous = "";
  for (const [name, { dataOffsets: [begin, end] }] of infos) {
    if (begin < cursor) {
      fail(`tensor ${q(name)} at data_offsets [${begin}, ${end}] overlaps tensor ${q(previous)}, which ends at ${cursor}`);
    }
    if (begin > cursor) {
      fail(`bytes [${cursor}, ${begin}) of the data section belong to no tensor (a hole before tensor ${q(name)}); files must be fully covered`);
    }
    cursor = end;
    previous = name;
  }
  if (cursor !== dataLength) {
    fail(`the last ${dataLength - cursor} bytes of the data section belong to no tensor (tensors end at ${cursor}, data section is ${dataLength} bytes)`);
  }
  return { headerByteLength: n, dataStart: 8 + n, tensors: new Map(infos), metadata };
}

/** Parses a whole safetensors file and decodes every tensor. */
export function parseSafetensors(
  bytes: Uint8Array,
  opts: ReadOptions = {},
): { tensors: Map<string, TensorEntry>; metadata: Record<string, string> } {
  bytes = plain(bytes);
  const header = readSafetensorsHeader(bytes, { maxHeaderBytes: opts.maxHeaderBytes });
  const tensors = new Map<string, TensorEntry>();
  for (const [name, info] of header.tensors) {
    const [begin, end] = info.dataOffsets;
    tensors.set(name, decodeTensor(name, info, bytes.subarray(header.dataStart + begin, header.dataStart + end)));
  }
  return { tensors, metadata: header.metadata };
}

/** Copies `raw` into a fresh (hence aligned) buffer in native byte order. */
function nativeCopy(raw: Uint8Array, itemBytes: number): ArrayBuffer {
  const copy = new Uint8Array(raw); // copies, whatever the subclass
  if (!LITTLE_ENDIAN) {
    for (let i = 0; i < copy.length; i += itemBytes) copy.subarray(i, i + itemBytes).reverse();
  }
  return copy.buffer;
}

/** Decodes one tensor's bytes (already checked to be product(shape) * itemsize long). */
export function decodeTensor(name: string, info: TensorInfo, raw: Uint8Array): TensorEntry {
  raw = plain(raw);
  const { dtype, shape } = info;
  if (!DECODABLE.has(dtype)) {
    fail(`tensor ${q(name)} has dtype ${dtype}, which this reader cannot decode (supported: ${[...DECODABLE].join(", ")})`);
  }
  const sourceDtype = dtype as SafetensorsDType;
  const count = raw.length / ITEM_BYTES[dtype];
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const entry = (dt: TensorDType, data: TensorData): TensorEntry => ({ dtype: dt, shape: [...shape], data, sourceDtype });
  switch (sourceDtype) {
    case "F32":
      return entry("float32", new Float32Array(nativeCopy(raw, 4)));
    case "F64":
      return entry("float64", new Float64Array(nativeCopy(raw, 8)));
    case "I32":
      return entry("int32", new Int32Array(nativeCopy(raw, 4)));
    case "F16": {
      const table = float16Table();
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = table[view.getUint16(2 * i, true)]!;
      return entry("float32", out);
    }
    case "BF16": {
      // bfloat16 is the top half of a float32: shift the bits into place (keeps NaN payloads).
      const out = new Float32Array(count);
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) bits[i] = view.getUint16(2 * i, true) << 16;
      return entry("float32", out);
    }
    case "I64": {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) {
        const lo = view.getUint32(8 * i, true);
        const hi = view.getInt32(8 * i + 4, true);
        // In int32 range iff the high word is the sign extension of the low word.
        if (hi !== (lo >= 0x80000000 ? -1 : 0)) {
          fail(`tensor ${q(name)} (I64) holds ${view.getBigInt64(8 * i, true)} at flat index ${i}, outside the int32 range this library uses for integers`);
        }
        out[i] = lo | 0;
      }
      return entry("int32", out);
    }
    case "I16": {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt16(2 * i, true);
      return entry("int32", out);
    }
    case "I8":
      return entry("int32", Int32Array.from(new Int8Array(raw.buffer, raw.byteOffset, raw.length)));
    case "U8":
      return entry("int32", Int32Array.from(raw));
    case "BOOL":
      return entry("bool", raw.map((b) => (b !== 0 ? 1 : 0)));
  }
}

// ---------------------------------------------------------------------------------------------
// Half-precision helpers

/** Exact value of an IEEE 754 binary16 bit pattern. */
export function float16ToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24; // zero or subnormal
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

/** Exact value of a bfloat16 bit pattern (the high 16 bits of a float32). */
export function bfloat16ToFloat32(bits: number): number {
  scratchU32[0] = (bits & 0xffff) << 16;
  return scratchF32[0]!;
}

let f16Table: Float32Array | undefined;
/** All 65536 binary16 values, built once: decoding by lookup is several times faster. */
function float16Table(): Float32Array {
  if (!f16Table) {
    f16Table = new Float32Array(65536);
    for (let b = 0; b < 65536; b++) f16Table[b] = float16ToFloat32(b);
  }
  return f16Table;
}

// ---------------------------------------------------------------------------------------------
// Writing

// Rank in the Rust Dtype enum's order; the writer sorts by descending rank.
const WRITERS: Record<TensorDType, { code: HeaderDType; rank: number; array: new (n: number) => TensorData }> = {
  bool: { code: "BOOL", rank: 0, array: Uint8Array },
  int32: { code: "I32", rank: 1, array: Int32Array },
  float32: { code: "F32", rank: 2, array: Float32Array },
  float64: { code: "F64", rank: 3, array: Float64Array },
};

/** Rust's String order: by UTF-8 bytes, which for well-formed strings is code point order. */
function compareCodePoints(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length) {
    const ca = a.codePointAt(i)!;
    const cb = b.codePointAt(i)!;
    if (ca !== cb) return ca - cb;
    i += ca > 0xffff ? 2 : 1;
  }
  return a.length - b.length;
}

const LONE_SURROGATE = /\p{Surrogate}/u;

function checkString(s: unknown, what: string): string {
  if (typeof s !== "string") fail(`${what} must be a string, got ${describe(s)}`);
  // A lone surrogate has no UTF-8 encoding; the Rust library cannot hold one either.
  if (LONE_SURROGATE.test(s)) fail(`${what} ${q(s)} contains a lone UTF-16 surrogate and cannot be encoded as UTF-8`);
  return s;
}

function checkTensor(name: string, t: SerializableTensor): { code: HeaderDType; rank: number; bytes: number } {
  const where = `tensor ${q(name)}`;
  const writer = Object.hasOwn(WRITERS, t.dtype) ? WRITERS[t.dtype] : undefined;
  if (!writer) fail(`${where}: cannot write dtype ${describe(t.dtype)} (writable: ${Object.keys(WRITERS).join(", ")})`);
  if (!(t.data instanceof writer.array)) fail(`${where}: dtype ${t.dtype} needs its data in a ${writer.array.name}`);
  if (!Array.isArray(t.shape) || !t.shape.every(isCount)) fail(`${where}: shape must be an array of non-negative integers`);
  const size = t.shape.reduce((a, b) => a * b, 1);
  if (size !== t.data.length) fail(`${where}: shape ${JSON.stringify(t.shape)} holds ${size} elements but data has ${t.data.length}`);
  return { code: writer.code, rank: writer.rank, bytes: t.data.byteLength };
}

/** Writes `t.data` little-endian at `pos`. */
function writeData(out: Uint8Array, pos: number, t: SerializableTensor): void {
  const { data } = t;
  if (t.dtype === "bool") {
    for (let i = 0; i < data.length; i++) out[pos + i] = data[i] ? 1 : 0;
    return;
  }
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  out.set(bytes, pos);
  if (!LITTLE_ENDIAN) {
    const size = data.BYTES_PER_ELEMENT;
    for (let i = 0; i < bytes.length; i += size) out.subarray(pos + i, pos + i + size).reverse();
  }
}

/**
 * Serializes tensors exactly as Python's `safetensors.torch.save` / `save_file` would (see the
 * layout notes at the top). `metadata` is omitted from the header when undefined.
 */
export function serializeSafetensors(
  tensors: Record<string, SerializableTensor> | Map<string, SerializableTensor>,
  metadata?: Record<string, string>,
): Uint8Array {
  const items = (tensors instanceof Map ? [...tensors] : Object.entries(tensors)).map(([name, t]) => {
    checkString(name, "tensor name");
    if (name === "__metadata__") fail(`"__metadata__" is reserved and cannot name a tensor`);
    return { name, t, ...checkTensor(name, t) };
  });
  items.sort((a, b) => b.rank - a.rank || compareCodePoints(a.name, b.name));

  // Built by hand rather than with JSON.stringify(object), which would move integer-like keys
  // ("0", "1", ...) to the front and break the order above.
  const parts: string[] = [];
  if (metadata !== undefined) {
    const entries = Object.entries(metadata).map(([k, v]) => [checkString(k, "metadata key"), checkString(v, `metadata value for ${q(k)}`)]);
    entries.sort(([a], [b]) => compareCodePoints(a!, b!));
    parts.push(`"__metadata__":{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(",")}}`);
  }
  let offset = 0;
  for (const { name, t, code, bytes } of items) {
    parts.push(`${JSON.stringify(name)}:{"dtype":"${code}","shape":${JSON.stringify(t.shape)},"data_offsets":[${offset},${offset + bytes}]}`);
    offset += bytes;
  }
  const json = new TextEncoder().encode(`{${parts.join(",")}}`);
  const headerLength = Math.ceil(json.length / 8) * 8;
  if (headerLength > DEFAULT_MAX_HEADER_BYTES) fail(`header would be ${headerLength} bytes, over the ${DEFAULT_MAX_HEADER_BYTES}-byte limit readers enforce`);

  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let pos = 8 + headerLength;
  for (const { t, bytes } of items) {
    writeData(out, pos, t);
    pos += bytes;
  }
  return out;
}
