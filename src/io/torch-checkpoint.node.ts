// Node-only: PyTorch checkpoints (pytorch_model.bin, torch.save since PyTorch 1.6) read without
// Python and without running their pickle. The file is a ZIP archive:
//   <name>/data.pkl       the state dict, pickled (read by the restricted unpickler, torch-pickle.ts)
//   <name>/data/<key>     one flat storage per key, raw little-endian numbers, stored uncompressed
//   <name>/version
// Listing reads only the ZIP directory and data.pkl; a tensor's numbers are read when asked for,
// in place from its storage entry, and gathered through its strides (a transposed or sliced
// tensor shares its storage with others).
import { type FileHandle, open } from "node:fs/promises";
import { decodeTensor, type SafetensorsDType } from "./safetensors.js";
import { parseTorchPickle, type TorchTensorRef } from "./torch-pickle.js";
import { entryDataOffset, type ReadAt, readZipDirectory } from "./zip.js";

const ITEM_BYTES: Record<SafetensorsDType, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

/** A tensor of a PyTorch checkpoint: where its storage's bytes start in the file, and its view. */
export interface TorchWeightRef {
  name: string;
  path: string;
  dtype: SafetensorsDType;
  shape: number[];
  /** File offset of the storage's first byte. */
  storageStart: number;
  offset: number;
  stride: number[];
}

function readerOf(file: FileHandle): ReadAt {
  return async (offset, length) => {
    const out = new Uint8Array(length);
    for (let got = 0; got < length; ) {
      const { bytesRead } = await file.read(out, got, length - got, offset + got);
      if (bytesRead === 0) throw new Error(`the file ends at byte ${offset + got}, inside what its directory describes (truncated?)`);
      got += bytesRead;
    }
    return out;
  };
}

/** The last element a view reaches, counted from its offset (−1 for an empty tensor). */
function lastElement(t: TorchTensorRef): number {
  if (t.shape.some((n) => n === 0)) return -1;
  return t.shape.reduce((s, n, i) => s + (n - 1) * t.stride[i], 0);
}

/** Every tensor of a torch.save ZIP checkpoint (the directory and the pickle only), checked against its storages. */
export async function listTorchWeights(path: string): Promise<Map<string, TorchWeightRef>> {
  const file = await open(path, "r");
  try {
    const { size } = await file.stat();
    const read = readerOf(file);
    const magic = await read(0, Math.min(4, size));
    if (magic[0] === 0x80 && magic[1] === 0x02) {
      throw new Error(`${path}: an old-style PyTorch checkpoint (torch.save before 1.6, no ZIP archive), which this reader does not support; re-save it with a recent PyTorch (torch.save(torch.load(path), path)) or convert it to model.safetensors`);
    }
    const entries = await readZipDirectory(read, size, path);
    const pkl = entries.find((e) => e.name.endsWith("/data.pkl") || e.name === "data.pkl");
    if (!pkl) throw new Error(`${path}: a ZIP archive without data.pkl: not a torch.save checkpoint`);
    const prefix = pkl.name.slice(0, pkl.name.length - "data.pkl".length);
    const byName = new Map(entries.map((e) => [e.name, e]));
    const stored = async (name: string) => {
      const e = byName.get(name);
      if (!e) throw new Error(`${path}: the checkpoint names ${name}, which the archive lacks`);
      if (e.method !== 0) throw new Error(`${path}: ${name} is compressed (method ${e.method}); torch.save stores entries uncompressed`);
      return { entry: e, start: await entryDataOffset(read, e, path) };
    };
    const p = await stored(pkl.name);
    const tensors = parseTorchPickle(await read(p.start, pkl.size), `${path} (data.pkl)`);
    const refs = new Map<string, TorchWeightRef>();
    const starts = new Map<string, number>();
    for (const [name, t] of tensors) {
      const { key, dtype, numel } = t.storage;
      if (dtype === undefined) throw new Error(`${path}: tensor "${name}" has a storage type this reader does not know`);
      let start = starts.get(key);
      if (start === undefined) {
        const s = await stored(`${prefix}data/${key}`);
        if (s.entry.size !== numel * ITEM_BYTES[dtype]) throw new Error(`${path}: storage ${key} of tensor "${name}" holds ${s.entry.size} bytes, not ${numel} × ${ITEM_BYTES[dtype]}`);
        starts.set(key, (start = s.start));
      }
      if (t.offset < 0 || t.stride.some((s) => s < 0) || t.offset + lastElement(t) >= numel) throw new Error(`${path}: tensor "${name}" (shape [${t.shape}], stride [${t.stride}], offset ${t.offset}) reaches past its storage of ${numel} elements`);
      refs.set(name, { name, path, dtype, shape: [...t.shape], storageStart: start, offset: t.offset, stride: [...t.stride] });
    }
    return refs;
  } finally {
    await file.close();
  }
}

/** The file offset of a tensor's first byte when its view is its storage's elements in row-major order (else null). */
export function contiguousTorchStart(ref: TorchWeightRef): number | null {
  let expected = 1;
  for (let k = ref.shape.length - 1; k >= 0; k--) {
    if (ref.shape[k] !== 1 && ref.stride[k] !== expected) return null;
    expected *= ref.shape[k];
  }
  return ref.storageStart + ref.offset * ITEM_BYTES[ref.dtype];
}

/** One tensor's numbers as float32 (F16/BF16/F64 widened or narrowed), contiguous in row-major order. */
export async function readTorchWeight(file: FileHandle, ref: TorchWeightRef): Promise<Float32Array> {
  const span = lastElement({ storage: undefined as never, offset: ref.offset, shape: ref.shape, stride: ref.stride }) + 1;
  const item = ITEM_BYTES[ref.dtype];
  const raw = await readerOf(file)(ref.storageStart + ref.offset * item, span * item);
  const flat = decodeTensor(ref.name, { dtype: ref.dtype, shape: [span], dataOffsets: [0, raw.length] }, raw).data;
  const n = ref.shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  // walk the view in row-major order: index i ↔ multi-index (i₀, i₁, …) ↔ storage Σ i_k · stride_k
  const idx = new Array<number>(ref.shape.length).fill(0);
  let at = 0;
  for (let i = 0; i < n; i++) {
    out[i] = Number(flat[at]);
    for (let k = ref.shape.length - 1; k >= 0; k--) {
      idx[k]++;
      at += ref.stride[k];
      if (idx[k] < ref.shape[k]) break;
      at -= idx[k] * ref.stride[k];
      idx[k] = 0;
    }
  }
  return out;
}
