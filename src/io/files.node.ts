// Node-only file edge for safetensors: atomic writes and file reads. The format logic lives in
// safetensors.ts, which runs in browsers too.
import { randomBytes } from "node:crypto";
import { open, readFile, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import {
  type ReadOptions,
  type SafetensorsHeader,
  type SerializableTensor,
  type TensorEntry,
  SafetensorsError,
  parseSafetensors,
  readHeaderLength,
  readSafetensorsHeader,
  serializeSafetensors,
} from "./safetensors.js";

/**
 * Writes `bytes` to `path` so that `path` holds either its old content or all of the new one, never
 * a mix: write a temp file in the same directory (rename is atomic only within one file system),
 * fsync it, then rename it over `path`. On any error the temp file is removed and `path` untouched.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  const file = await open(tmp, "wx"); // throws, creating nothing, if `dir` does not exist
  try {
    try {
      await file.writeFile(bytes);
      await file.sync(); // the data must be on disk before the rename makes it visible
    } finally {
      await file.close();
    }
    await rename(tmp, path);
  } catch (error) {
    await unlink(tmp).catch(() => {});
    throw error;
  }
  // Make the rename itself durable. Best effort: some platforms cannot fsync a directory.
  try {
    const handle = await open(dir, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // ignored on purpose
  }
}

/** Re-throws a format error with the file's path in it, so the message says where. */
function withPath<T>(path: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof SafetensorsError) {
      throw new SafetensorsError(error.message.replace(/^safetensors: /, `safetensors: ${path}: `), { cause: error });
    }
    throw error;
  }
}

/** Reads and decodes a whole safetensors file. */
export async function readSafetensorsFile(
  path: string,
  opts: ReadOptions = {},
): Promise<{ tensors: Map<string, TensorEntry>; metadata: Record<string, string> }> {
  const bytes = await readFile(path);
  return withPath(path, () => parseSafetensors(bytes, opts));
}

/** Reads only the header (names, dtypes, shapes, offsets): cheap even for multi-GB files. */
export async function readSafetensorsFileHeader(path: string, opts: ReadOptions = {}): Promise<SafetensorsHeader> {
  const file = await open(path, "r");
  try {
    const { size } = await file.stat();
    const prefix = new Uint8Array(8);
    const { bytesRead } = await file.read(prefix, 0, 8, 0);
    const n = withPath(path, () => readHeaderLength(prefix.subarray(0, bytesRead), { ...opts, fileByteLength: size }));
    const head = new Uint8Array(8 + n); // n is now known to fit in the file and under the limit
    const got = await file.read(head, 0, head.length, 0);
    if (got.bytesRead < head.length) throw new SafetensorsError(`safetensors: ${path}: file shrank while its header was read`);
    return withPath(path, () => readSafetensorsHeader(head, { ...opts, fileByteLength: size }));
  } finally {
    await file.close();
  }
}

/** Serializes tensors (byte-compatible with Python's safetensors) and writes them atomically. */
export async function writeSafetensorsFile(
  path: string,
  tensors: Record<string, SerializableTensor> | Map<string, SerializableTensor>,
  metadata?: Record<string, string>,
): Promise<void> {
  await writeFileAtomic(path, serializeSafetensors(tensors, metadata));
}
