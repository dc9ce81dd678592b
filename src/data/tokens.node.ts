// Token-id datasets cached on disk: tokenize a corpus once, reuse the ids while both the source
// text and the tokenizer are unchanged, rebuild (atomically) when either changes. Format in
// tokenfile.ts.
import { createHash } from "node:crypto";
import { mkdir, open } from "node:fs/promises";
import { dirname, join } from "node:path";
import { writeFileAtomic } from "../io/files.node.js";
import type { Tokenizer } from "../tokenizers/types.js";
import { cacheDir } from "./corpus.node.js";
import { type TokenFileHeader, MAX_TOKEN_HEADER_BYTES, decodeTokenFile, decodeTokenFileHeader, encodeTokenFile, idDtypeFor } from "./tokenfile.js";

/** Text every fingerprint encodes, so tokenizers with equal vocabularies but different merges differ. */
const PROBE =
  "Hello, World! It's 2024: naïve café — 東京 🤖🚀\n\n\tfoo  bar   baz\r\n" +
  "the quick brown fox jumps over the lazy dog 0123456789 <|endoftext|> ''``";

/**
 * A hex sha256 that identifies a tokenizer's behaviour: its kind, vocabulary size, special tokens,
 * every id's token string, its encoding of a fixed probe text, and its toJSON() when it has one. Two tokenizers with the same
 * fingerprint produce the same ids on the probe; pass `tokenizerId` to the cache functions when you
 * have a stronger identity (e.g. the hash of a tokenizer.json).
 */
export function tokenizerFingerprint(tokenizer: Tokenizer): string {
  const h = createHash("sha256");
  const special = Object.entries(tokenizer.specialTokens).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  h.update(JSON.stringify({ kind: tokenizer.kind, vocabSize: tokenizer.vocabSize, special }));
  for (let i = 0; i < tokenizer.vocabSize; i++) {
    let piece: string;
    try {
      piece = tokenizer.idToToken(i);
    } catch {
      piece = "\u0000<none>";
    }
    h.update(`${piece.length}:${piece}`); // length-prefixed so pieces cannot run together
  }
  let probe: number[] | string;
  try {
    probe = tokenizer.encode(PROBE);
  } catch (err) {
    probe = `encode failed: ${(err as Error).message}`; // e.g. a word tokenizer without <unk>
  }
  h.update(JSON.stringify(probe));
  // The tokenizers in src/tokenizers serialize themselves (BPE: its tokenizer.json, merges and all):
  // the strongest identity there is, so use it where it exists.
  if (typeof tokenizer.toJSON === "function") h.update(JSON.stringify(tokenizer.toJSON()) ?? "");
  return h.digest("hex");
}

export function sha256Text(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

export interface TokenCacheOptions {
  /** The cache file. Default: <cacheDir>/tokens/<name>.<tokenizer.kind>.tok (needs `name`). */
  path?: string;
  /** Dataset name for the default path, e.g. "tinyshakespeare". */
  name?: string;
  cacheDir?: string;
  /** Tokenizer identity to store and compare instead of tokenizerFingerprint(tokenizer). */
  tokenizerId?: string;
}

export interface TokenDataset {
  readonly ids: Uint16Array | Uint32Array;
  readonly path: string;
  /** True when the ids came from the cache file, false when the text was tokenized now. */
  readonly reused: boolean;
  /** Why the cache was not used, when it was not: "missing", "source changed", … */
  readonly rebuiltBecause?: string;
}

/** Where tokenizeCached keeps `name` tokenized by `tokenizer`. */
export function tokenCachePath(name: string, tokenizer: Tokenizer, opts: { cacheDir?: string } = {}): string {
  if (!/^[\w.-]+$/.test(name)) throw new Error(`tokenCachePath: name "${name}" must be letters, digits, "_", "-" or "." (it becomes a file name)`);
  const kind = tokenizer.kind.replace(/[^\w.-]/g, "_");
  return join(cacheDir(opts), "tokens", `${name}.${kind}.tok`);
}

/** Reads a cache file if it was made from this source by this tokenizer; otherwise says why not. */
async function readIfValid(path: string, want: { source: string; tokenizer: string; vocabSize: number }): Promise<{ ids: Uint16Array | Uint32Array } | { why: string }> {
  let file;
  try {
    file = await open(path, "r");
  } catch {
    return { why: "missing" };
  }
  try {
    // Header first: a stale or foreign file is rejected without reading its data.
    const size = (await file.stat()).size;
    const head = new Uint8Array(Math.min(size, 12 + MAX_TOKEN_HEADER_BYTES));
    await file.read(head, 0, head.length, 0);
    let header: TokenFileHeader;
    try {
      header = decodeTokenFileHeader(head, path).header;
    } catch (err) {
      return { why: `unreadable (${(err as Error).message})` };
    }
    if (header.source !== want.source) return { why: "source changed" };
    if (header.tokenizer !== want.tokenizer || header.vocabSize !== want.vocabSize) return { why: "tokenizer changed" };
    const bytes = new Uint8Array(size);
    let got = 0;
    while (got < size) {
      const { bytesRead } = await file.read(bytes, got, size - got, got); // one read may return less
      if (bytesRead === 0) return { why: "unreadable (file shrank while read)" };
      got += bytesRead;
    }
    try {
      return { ids: decodeTokenFile(bytes, path).ids };
    } catch (err) {
      return { why: `unreadable (${(err as Error).message})` };
    }
  } finally {
    await file.close();
  }
}

/**
 * The token ids of `text` under `tokenizer`, from the cache file when it is valid for this text
 * and tokenizer, else tokenized now and written to the cache atomically (an interrupted write
 * leaves the old file or none, never a torn one).
 */
export async function tokenizeCached(text: string, tokenizer: Tokenizer, opts: TokenCacheOptions): Promise<TokenDataset> {
  if (typeof text !== "string") throw new Error("tokenizeCached: text must be a string");
  const path = opts.path ?? (opts.name !== undefined ? tokenCachePath(opts.name, tokenizer, opts) : undefined);
  if (path === undefined) throw new Error("tokenizeCached: give a cache file `path` or a dataset `name`");
  const want = { source: sha256Text(text), tokenizer: opts.tokenizerId ?? tokenizerFingerprint(tokenizer), vocabSize: tokenizer.vocabSize };
  const cached = await readIfValid(path, want);
  if ("ids" in cached) return { ids: cached.ids, path, reused: true };

  const raw = tokenizer.encode(text);
  const ids = idDtypeFor(tokenizer.vocabSize) === "uint16" ? new Uint16Array(raw.length) : new Uint32Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const v = raw[i];
    if (!(Number.isInteger(v) && v >= 0 && v < tokenizer.vocabSize)) {
      throw new Error(`tokenizeCached: the ${tokenizer.kind} tokenizer produced id ${v} at position ${i}, outside [0, ${tokenizer.vocabSize})`);
    }
    ids[i] = v;
  }
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, encodeTokenFile(ids, { vocabSize: tokenizer.vocabSize, tokenizerKind: tokenizer.kind, tokenizer: want.tokenizer, source: want.source }));
  return { ids, path, reused: false, rebuiltBecause: cached.why };
}
