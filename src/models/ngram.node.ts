// Node-only: n-gram models on disk as JSON, written atomically (a crash mid-write leaves the old
// file, never half of the new one).
import { open, stat } from "node:fs/promises";
import { writeFileAtomic } from "../io/files.node.js";
import type { NgramModel } from "./ngram.js";
import { ngramFromJSON, ngramToJSON } from "./ngram-json.js";

/** Refuse to read model files bigger than this (a corrupt or hostile path must not eat memory). */
export const MAX_NGRAM_FILE_BYTES = 1 << 30;

export async function saveNgram(path: string, model: NgramModel, meta?: Record<string, unknown>): Promise<void> {
  await writeFileAtomic(path, new TextEncoder().encode(JSON.stringify(ngramToJSON(model, meta))));
}

export async function loadNgram(path: string, opts: { maxBytes?: number } = {}): Promise<{ model: NgramModel; meta: Record<string, unknown> }> {
  const maxBytes = opts.maxBytes ?? MAX_NGRAM_FILE_BYTES;
  const { size } = await stat(path);
  if (size > maxBytes) throw new Error(`${path}: ${size} bytes is more than the ${maxBytes} allowed for an n-gram model file`);
  const file = await open(path, "r");
  let text: string;
  try {
    text = await file.readFile("utf8");
  } finally {
    await file.close();
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
  return ngramFromJSON(json, path);
}
