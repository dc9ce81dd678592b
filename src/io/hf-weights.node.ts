// Node-only: the weights of a Hugging Face model directory, read tensor by tensor.
//
// A directory holds either one `model.safetensors`, or shards listed by
// `model.safetensors.index.json`:  {"metadata": {"total_size": N}, "weight_map": {tensor name: shard file}}
// (Hugging Face's transformers looks for the single file first, then the index; so do we), or,
// failing both, the PyTorch pickle equivalents `pytorch_model.bin` / `pytorch_model.bin.index.json`
// (read by torch-checkpoint.node.ts, which never runs the pickle).
// Opening the directory reads only the headers (names, dtypes, shapes, offsets); the numbers are
// read one tensor at a time when asked for, so loading a checkpoint holds the model plus one
// tensor, never a second copy of the whole file. F16 and BF16 (and F64) become float32.
import { existsSync } from "node:fs";
import { type FileHandle, open, readFile } from "node:fs/promises";
import { join } from "node:path";
import { readSafetensorsFileHeader } from "./files.node.js";
import { contiguousTorchStart, listTorchWeights, readTorchWeight, type TorchWeightRef } from "./torch-checkpoint.node.js";
import { type TensorInfo, decodeTensor } from "./safetensors.js";

export const SAFE_WEIGHTS = "model.safetensors";
export const SAFE_WEIGHTS_INDEX = "model.safetensors.index.json";
export const TORCH_WEIGHTS = "pytorch_model.bin";
export const TORCH_WEIGHTS_INDEX = "pytorch_model.bin.index.json";

/** Where one tensor's bytes are: its file and its place in that file's data section. */
export interface WeightRef {
  name: string;
  path: string;
  info: TensorInfo;
  /** Byte offset of the file's data section (8 + header length). */
  dataStart: number;
  /** Set for a tensor of a PyTorch checkpoint: its storage and view (info then holds only dtype and shape). */
  torch?: TorchWeightRef;
}

/** A tensor read as float32, whatever dtype the file stores. */
export interface Float32Weight {
  name: string;
  shape: number[];
  data: Float32Array;
  /** The dtype in the file ("F32", "F16", "BF16", "F64"). */
  sourceDtype: string;
  /** True when the numbers were read straight into the destination readFloat32Weights was given. */
  inPlace?: boolean;
}

/** Where a tensor's float32 numbers should go, if it can be read there directly (same number of elements). */
export type WeightDestination = (ref: WeightRef) => Float32Array | undefined;

const FLOAT_DTYPES = new Set(["F32", "F16", "BF16", "F64"]);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Every tensor of the model directory `dir` (headers only), by name, in file order. Errors name
 * the file: no weights at all, an index that does not parse, a shard it names that is missing,
 * a tensor it names that its shard lacks.
 */
export async function listHfWeights(dir: string): Promise<Map<string, WeightRef>> {
  const single = join(dir, SAFE_WEIGHTS);
  if (existsSync(single)) return refsOf(single);
  if (existsSync(join(dir, SAFE_WEIGHTS_INDEX))) return shardedRefs(dir, join(dir, SAFE_WEIGHTS_INDEX), refsOf);
  if (existsSync(join(dir, TORCH_WEIGHTS))) return torchRefsOf(join(dir, TORCH_WEIGHTS));
  if (existsSync(join(dir, TORCH_WEIGHTS_INDEX))) return shardedRefs(dir, join(dir, TORCH_WEIGHTS_INDEX), torchRefsOf);
  throw new Error(`${dir} has no weights: expected ${SAFE_WEIGHTS}, ${SAFE_WEIGHTS_INDEX}, ${TORCH_WEIGHTS} or ${TORCH_WEIGHTS_INDEX}`);
}

/** The tensors of every shard an index lists, each checked to be in the shard the index names. */
async function shardedRefs(dir: string, indexPath: string, refsOfShard: (path: string) => Promise<Map<string, WeightRef>>): Promise<Map<string, WeightRef>> {
  const weightMap = await readWeightMap(indexPath);
  const refs = new Map<string, WeightRef>();
  for (const shard of new Set(weightMap.values())) {
    const path = join(dir, shard);
    if (!existsSync(path)) throw new Error(`${indexPath}: shard ${shard} is missing from ${dir}`);
    for (const [name, ref] of await refsOfShard(path)) refs.set(name, ref);
  }
  for (const [name, shard] of weightMap) {
    if (refs.get(name)?.path !== join(dir, shard)) throw new Error(`${indexPath}: tensor "${name}" should be in ${shard}, but that shard does not hold it`);
  }
  return refs;
}

async function torchRefsOf(path: string): Promise<Map<string, WeightRef>> {
  const refs = new Map<string, WeightRef>();
  for (const [name, t] of await listTorchWeights(path)) refs.set(name, { name, path, info: { dtype: t.dtype, shape: t.shape, dataOffsets: [0, 0] }, dataStart: 0, torch: t });
  return refs;
}

/** The index's weight_map (tensor name → shard file name), checked. */
async function readWeightMap(indexPath: string): Promise<Map<string, string>> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(indexPath, "utf8"));
  } catch (err) {
    throw new Error(`${indexPath}: not valid JSON (${(err as Error).message})`);
  }
  const map = (json as { weight_map?: unknown } | null)?.weight_map;
  if (typeof map !== "object" || map === null || Array.isArray(map)) throw new Error(`${indexPath}: expected a "weight_map" object (tensor name → shard file)`);
  const out = new Map<string, string>();
  for (const [name, shard] of Object.entries(map)) {
    // shards sit beside the index: a path that leaves the directory is refused, not followed
    if (typeof shard !== "string" || shard === "" || /[/\\]/.test(shard) || shard === "." || shard === "..") {
      throw new Error(`${indexPath}: weight_map["${name}"] must be a file name in the same directory, got ${JSON.stringify(shard)}`);
    }
    out.set(name, shard);
  }
  return out;
}

async function refsOf(path: string): Promise<Map<string, WeightRef>> {
  const header = await readSafetensorsFileHeader(path);
  const refs = new Map<string, WeightRef>();
  for (const [name, info] of header.tensors) refs.set(name, { name, path, info, dataStart: header.dataStart });
  return refs;
}

/**
 * Reads the given tensors as float32, one at a time, opening each file once. A tensor stored as
 * an integer or boolean dtype is an error that names it (weights are floating point). When
 * `destination` gives an array for a tensor stored as contiguous little-endian float32, its bytes
 * are read from the file straight into that array (no copy in between; the weight comes back
 * with `inPlace` set); other tensors come back in arrays of their own.
 */
export async function* readFloat32Weights(refs: Iterable<WeightRef>, destination?: WeightDestination): AsyncGenerator<Float32Weight> {
  const byFile = new Map<string, WeightRef[]>();
  for (const ref of refs) {
    if (!FLOAT_DTYPES.has(ref.info.dtype)) throw new Error(`${ref.path}: tensor "${ref.name}" has dtype ${ref.info.dtype}; weights must be F32, F16, BF16 or F64`);
    byFile.set(ref.path, [...(byFile.get(ref.path) ?? []), ref]);
  }
  for (const [path, list] of byFile) {
    const file = await open(path, "r");
    try {
      for (const ref of list) yield await readOne(file, ref, destination?.(ref));
    } finally {
      await file.close();
    }
  }
}

/** Fills `into` with the file's bytes at `position`; a file that ends first is an error naming the tensor. */
async function readBytes(file: FileHandle, ref: WeightRef, into: Uint8Array, position: number): Promise<void> {
  for (let got = 0; got < into.length; ) {
    const { bytesRead } = await file.read(into, got, into.length - got, position + got);
    if (bytesRead === 0) throw new Error(`${ref.path}: file ends inside tensor "${ref.name}" (truncated?)`);
    got += bytesRead;
  }
}

async function readOne(file: FileHandle, ref: WeightRef, dest: Float32Array | undefined): Promise<Float32Weight> {
  const shape = [...ref.info.shape];
  const numel = shape.reduce((a, b) => a * b, 1);
  const direct = dest !== undefined && dest.length === numel && ref.info.dtype === "F32" && LITTLE_ENDIAN;
  if (ref.torch) {
    const start = direct ? contiguousTorchStart(ref.torch) : null;
    if (start === null) return { name: ref.name, shape, data: await readTorchWeight(file, ref.torch), sourceDtype: ref.torch.dtype };
    await readBytes(file, ref, new Uint8Array(dest!.buffer, dest!.byteOffset, dest!.byteLength), start);
    return { name: ref.name, shape, data: dest!, sourceDtype: "F32", inPlace: true };
  }
  const [begin, end] = ref.info.dataOffsets;
  if (direct && end - begin === dest!.byteLength) {
    await readBytes(file, ref, new Uint8Array(dest!.buffer, dest!.byteOffset, dest!.byteLength), ref.dataStart + begin);
    return { name: ref.name, shape, data: dest!, sourceDtype: "F32", inPlace: true };
  }
  const raw = new Uint8Array(end - begin);
  await readBytes(file, ref, raw, ref.dataStart + begin);
  // F32 on a little-endian machine: the bytes already are the Float32Array (no second copy)
  if (ref.info.dtype === "F32" && LITTLE_ENDIAN) return { name: ref.name, shape, data: new Float32Array(raw.buffer), sourceDtype: "F32" };
  const entry = decodeTensor(ref.name, ref.info, raw);
  const data = entry.data instanceof Float32Array ? entry.data : Float32Array.from(entry.data as Float64Array);
  return { name: ref.name, shape, data, sourceDtype: entry.sourceDtype };
}
