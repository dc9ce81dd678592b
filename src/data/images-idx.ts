// The IDX file format of MNIST, Fashion-MNIST, KMNIST and EMNIST (yann.lecun.com/exdb/mnist):
//   bytes 0–1  zero
//   byte  2    element type: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64
//   byte  3    number of dimensions d
//   then d big-endian uint32 sizes, then the values, big-endian, row-major.
// Reading checks all of it against the bytes actually there, before allocating anything.
import type { ImageSet } from "./images.js";

export type IdxType = "uint8" | "int8" | "int16" | "int32" | "float32" | "float64";
type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxArray {
  type: IdxType;
  shape: number[];
  data: IdxData;
}

const TYPES: Record<number, [IdxType, number]> = { 0x08: ["uint8", 1], 0x09: ["int8", 1], 0x0b: ["int16", 2], 0x0c: ["int32", 4], 0x0d: ["float32", 4], 0x0e: ["float64", 8] };
const CODES = Object.fromEntries(Object.entries(TYPES).map(([code, [t, size]]) => [t, [Number(code), size]])) as Record<IdxType, [number, number]>;

/** Parses an (uncompressed) IDX file; `where` names it in errors. */
export function readIdx(bytes: Uint8Array, where = "IDX data"): IdxArray {
  if (!(bytes instanceof Uint8Array)) throw new Error(`${where}: expected the file's bytes as a Uint8Array`);
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) throw new Error(`${where}: this is gzip-compressed; decompress it first (loadMnist does so for .gz files)`);
  if (bytes.length < 4) throw new Error(`${where}: truncated: ${bytes.length} bytes, shorter than the 4-byte magic number`);
  const magic = ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0;
  const type = TYPES[bytes[2]];
  if (bytes[0] !== 0 || bytes[1] !== 0 || type === undefined) {
    throw new Error(`${where}: bad magic number 0x${magic.toString(16).padStart(8, "0")}: an IDX file starts with 00 00, a type code (08 uint8, 09 int8, 0B int16, 0C int32, 0D float32, 0E float64) and the number of dimensions (MNIST images: 0x00000803, labels: 0x00000801)`);
  }
  const ndim = bytes[3];
  if (ndim === 0) throw new Error(`${where}: the header declares 0 dimensions`);
  const headerBytes = 4 + 4 * ndim;
  if (bytes.length < headerBytes) throw new Error(`${where}: truncated: the header needs ${headerBytes} bytes for ${ndim} dimension sizes, the file has ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape = Array.from({ length: ndim }, (_, i) => view.getUint32(4 + 4 * i, false));
  const [name, size] = type;
  // checked against the bytes present before anything is allocated, so a lying header costs nothing
  const count = shape.reduce((a, b) => a * b, 1);
  const need = count * size;
  const have = bytes.length - headerBytes;
  if (need > have) throw new Error(`${where}: truncated: the header says [${shape.join(", ")}] ${name} values (${need} bytes) but only ${have} bytes follow it`);
  if (need < have) throw new Error(`${where}: ${have - need} unexpected bytes after the [${shape.join(", ")}] ${name} values`);
  const data = decode(view, headerBytes, count, name);
  return { type: name, shape, data };
}

function decode(view: DataView, at: number, n: number, type: IdxType): IdxData {
  switch (type) {
    case "uint8": return new Uint8Array(view.buffer, view.byteOffset + at, n).slice();
    case "int8": return new Int8Array(view.buffer, view.byteOffset + at, n).slice();
    case "int16": return Int16Array.from({ length: n }, (_, i) => view.getInt16(at + 2 * i, false));
    case "int32": return Int32Array.from({ length: n }, (_, i) => view.getInt32(at + 4 * i, false));
    case "float32": return Float32Array.from({ length: n }, (_, i) => view.getFloat32(at + 4 * i, false));
    case "float64": return Float64Array.from({ length: n }, (_, i) => view.getFloat64(at + 8 * i, false));
  }
}

/** Encodes an array as an IDX file (the inverse of readIdx). */
export function writeIdx(a: IdxArray): Uint8Array {
  const code = CODES[a.type];
  if (code === undefined) throw new Error(`writeIdx: unknown type ${JSON.stringify(a.type)}`);
  if (a.shape.length < 1 || a.shape.length > 255 || a.shape.some((s) => !Number.isInteger(s) || s < 0 || s > 0xffffffff)) throw new Error(`writeIdx: bad shape [${a.shape}]`);
  const count = a.shape.reduce((x, y) => x * y, 1);
  if (a.data.length !== count) throw new Error(`writeIdx: shape [${a.shape}] holds ${count} values, data has ${a.data.length}`);
  const [typeCode, size] = code;
  const header = 4 + 4 * a.shape.length;
  const out = new Uint8Array(header + count * size);
  const view = new DataView(out.buffer);
  out[2] = typeCode;
  out[3] = a.shape.length;
  a.shape.forEach((s, i) => view.setUint32(4 + 4 * i, s, false));
  for (let i = 0; i < count; i++) {
    const v = Number(a.data[i]);
    const at = header + i * size;
    if (a.type === "uint8") view.setUint8(at, v);
    else if (a.type === "int8") view.setInt8(at, v);
    else if (a.type === "int16") view.setInt16(at, v, false);
    else if (a.type === "int32") view.setInt32(at, v, false);
    else if (a.type === "float32") view.setFloat32(at, v, false);
    else view.setFloat64(at, v, false);
  }
  return out;
}

/** An ImageSet from an MNIST-style pair: images uint8 (N, H, W), labels uint8 (N). */
export function imageSetFromIdx(images: IdxArray, labels: IdxArray, where = "MNIST"): ImageSet {
  if (images.type !== "uint8" || images.shape.length !== 3) throw new Error(`${where}: images must be uint8 of shape (count, height, width), got ${images.type} [${images.shape}]`);
  if (labels.type !== "uint8" || labels.shape.length !== 1) throw new Error(`${where}: labels must be uint8 of shape (count), got ${labels.type} [${labels.shape}]`);
  const [count, height, width] = images.shape;
  if (labels.shape[0] !== count) throw new Error(`${where}: ${count} images but ${labels.shape[0]} labels`);
  if (height === 0 || width === 0) throw new Error(`${where}: images of size ${height}×${width}`);
  const lab = Int32Array.from(labels.data);
  let classes = 10; // EMNIST's letters and balanced sets have more
  for (const l of lab) classes = Math.max(classes, l + 1);
  return { pixels: images.data as Uint8Array, labels: lab, count, height, width, classes };
}
