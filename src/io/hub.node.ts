// Node-only: the Hugging Face hub and its local cache, in the same layout as Python's
// huggingface_hub, so that a model downloaded by either serves both:
//
//   $HF_HUB_CACHE  (else $HF_HOME/hub, else ~/.cache/huggingface/hub)
//   ├── .locks/models--openai-community--gpt2/<etag>.lock
//   │                                            held while a process downloads that blob (file-lock.node.ts)
//   └── models--openai-community--gpt2/          "models--" + the repo id with "/" as "--"
//       ├── refs/main                            the commit "main" pointed to when we last asked
//       ├── blobs/<etag>                         each file's bytes, once, named by its etag: the
//       │                                        sha256 of a large (LFS) file such as the weights,
//       │                                        the git blob sha1 of a small one (config.json)
//       └── snapshots/<commit>/config.json -> ../../blobs/<etag>
//                                                one folder per commit, of relative symlinks
//
// A snapshot folder is an ordinary model directory: every loader here reads it as it reads any other.
//
// What comes from @huggingface/hub: where the cache is (getHFHubCachePath), how a repo's folder is
// named (getRepoFolderName), and the two API calls that say what to fetch: the commit a revision
// points to (modelInfo) and the files at that commit with their sizes and hashes (listFiles).
// What is written here instead: the transfer of a file into the cache. The library's
// downloadFileToCacheDir does not resume an interrupted download, check the size or hash of what
// arrived, report progress or time out on a stalled connection, and it files each file under the
// snapshot of the last commit that *changed that file* (pathsInfo's lastCommit), not under the
// commit of the revision asked for, so one model's files end up split across snapshot folders;
// nor does it keep two processes downloading the same file from writing into one another.
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, existsSync, readFileSync } from "node:fs";
import { copyFile, mkdir, open, readFile, rename, stat, symlink, unlink, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { basename, dirname, join, relative } from "node:path";
import { getHFHubCachePath, getRepoFolderName, HubApiError, listFiles, modelInfo } from "@huggingface/hub";
import { type LockHolder, LockTimeoutError, withFileLock } from "./file-lock.node.js";

// ---------------------------------------------------------------------------- settings, from the same environment variables as Python

/** Where models are cached: $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub (as huggingface_hub). */
export const hubCacheDir = (): string => getHFHubCachePath();

/** The hub's address: $HF_ENDPOINT (a mirror, or a test server), else https://huggingface.co. */
export const hubEndpoint = (): string => (process.env.HF_ENDPOINT || "https://huggingface.co").replace(/\/+$/, "");

/** True when $HF_HUB_OFFLINE says so (1, ON, YES or TRUE, as in Python): then nothing is fetched. */
export const hubOffline = (): boolean => ["1", "ON", "YES", "TRUE"].includes((process.env.HF_HUB_OFFLINE ?? "").trim().toUpperCase());

/** The access token: $HF_TOKEN, else the file `huggingface-cli login` writes ($HF_HOME/token). */
export function hubToken(): string | undefined {
  const env = process.env.HF_TOKEN || process.env.HUGGING_FACE_HUB_TOKEN;
  if (env) return env.trim();
  const home = process.env.HF_HOME || join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "huggingface");
  const path = process.env.HF_TOKEN_PATH || join(home, "token");
  try {
    return readFileSync(path, "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}

/** How long to wait for the hub to answer or to send the next bytes: $HF_HUB_DOWNLOAD_TIMEOUT seconds (default 10, as Python). */
function defaultTimeoutMs(): number {
  const s = Number(process.env.HF_HUB_DOWNLOAD_TIMEOUT);
  return Number.isFinite(s) && s > 0 ? s * 1000 : 10_000;
}

export interface DownloadProgress {
  /** The file being fetched now. */
  file: string;
  /** Bytes fetched so far in this call, over all its files (bytes already on disk count as fetched). */
  bytes: number;
  /** Bytes this call fetches in all. */
  totalBytes: number;
}

export interface HubOptions {
  /** A branch, tag or commit (default "main"). */
  revision?: string;
  /** Default hubEndpoint(). */
  endpoint?: string;
  /** Default hubToken(). */
  token?: string;
  /** Default hubCacheDir(). */
  cacheDir?: string;
  /** Use only the cache (default hubOffline()). */
  offline?: boolean;
  /** Milliseconds to wait for an answer or for the next bytes of one (default $HF_HUB_DOWNLOAD_TIMEOUT or 10 s). */
  timeoutMs?: number;
  onProgress?: (p: DownloadProgress) => void;
  /**
   * Told, in a line for people, when another process (or another call here) is downloading the
   * same file into the same cache and we wait for it to finish; again every 10 s. Default: printed
   * on stderr (a wait without a word looks like a hang); `() => {}` to keep quiet.
   */
  onWait?: (message: string) => void;
  /** Milliseconds to wait for another process's download of the same file that shows no progress at all, before giving up (default 5 min). */
  lockTimeoutMs?: number;
}

/** Why the hub or the cache could not give a file. `kind` is for programs; the message is for people. */
export type HubErrorKind = "auth" | "gated" | "not-found" | "timeout" | "network" | "offline" | "disk-full" | "interrupted" | "integrity" | "bad-name" | "locked";

export class HubError extends Error {
  constructor(
    message: string,
    readonly kind: HubErrorKind,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "HubError";
  }
}

// ---------------------------------------------------------------------------- names

/**
 * Checks a repo id as the hub does ("gpt2", "openai-community/gpt2"): letters, digits, "-", "_", ".",
 * at most one "/", no "--" or ".." (they would make cache folder names ambiguous or escape it).
 */
export function checkRepoId(repo: string): void {
  const ok = /^([\w.-]+\/)?[\w.-]{1,96}$/.test(repo) && !repo.includes("--") && !repo.includes("..") && !/(^|\/)[.-]|[.-]($|\/)/.test(repo);
  if (!ok) throw new HubError(`"${repo}" is not a Hugging Face repo id (expected a name such as "gpt2" or "openai-community/gpt2")`, "bad-name");
}

/** A revision names a file under refs/ and a folder under snapshots/: it must stay inside them. */
function checkRevision(revision: string): void {
  if (!revision || revision.split("/").some((p) => p === "" || p === "." || p === "..") || /[\\\0]/.test(revision)) throw new HubError(`"${revision}" is not a revision (a branch, tag or commit)`, "bad-name");
}

const isCommit = (s: string) => /^[0-9a-f]{40}$/.test(s);

/** The repo's folder in the cache: models--org--name. */
export const repoCacheDir = (repo: string, cacheDir = hubCacheDir()): string => join(cacheDir, getRepoFolderName({ type: "model", name: repo }));

/** The commit a revision points to in the cache (refs/<revision>, or the revision itself when it is a cached commit), or null. */
export function cachedCommit(repo: string, revision = "main", cacheDir = hubCacheDir()): string | null {
  const storage = repoCacheDir(repo, cacheDir);
  if (isCommit(revision)) return existsSync(join(storage, "snapshots", revision)) ? revision : null;
  try {
    const commit = readFileSync(join(storage, "refs", revision), "utf8").trim();
    return isCommit(commit) && existsSync(join(storage, "snapshots", commit)) ? commit : null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------- one file of a repo, as the hub lists it

export interface HubFile {
  path: string;
  size: number;
  /** Its name under blobs/: the sha256 of an LFS file, the git blob sha1 of another (what the hub sends as its ETag). */
  etag: string;
  /** Stored with Git LFS (or Xet): then `etag` is the sha256 of the bytes. */
  lfs: boolean;
}

// ---------------------------------------------------------------------------- a snapshot: one commit of a repo, in the cache

/** A repo at one commit: its snapshot folder in the cache, and (when online) the hub's list of its files. */
export class HubSnapshot {
  constructor(
    readonly repo: string,
    readonly revision: string,
    readonly commit: string,
    /** The cache's folder of this repo (models--org--name). */
    readonly storage: string,
    /** What the hub lists at this commit; null when we work from the cache alone. */
    readonly files: Map<string, HubFile> | null,
    private readonly ctx: Context,
    /** Set when the hub could not be reached and the cached snapshot is used instead: why. */
    readonly warning?: string,
  ) {}

  /** The snapshot folder: a model directory once the files are in it. */
  get dir(): string {
    return join(this.storage, "snapshots", this.commit);
  }

  /** Whether the repo has this file (online: in the hub's list; from the cache: in the snapshot folder). */
  has(path: string): boolean {
    return this.files ? this.files.has(path) : existsSync(join(this.dir, path));
  }

  /** What "repo" or "repo@revision" the user asked for, for messages. */
  get label(): string {
    return this.revision === "main" ? this.repo : `${this.repo}@${this.revision}`;
  }

  /**
   * Makes each file present in the snapshot folder: already there, linked to a blob that is,
   * or downloaded (resuming a partial download) and checked against the hub's size and hash.
   * Each download holds the blob's lock (.locks/<repo folder>/<etag>.lock, as huggingface_hub):
   * a second process after the same file waits, then finds the blob there and fetches nothing.
   */
  async download(paths: string[]): Promise<void> {
    if (!this.files) {
      const missing = paths.filter((p) => !existsSync(join(this.dir, p)));
      if (missing.length) throw new HubError(`${this.label}: ${missing.join(", ")} ${missing.length > 1 ? "are" : "is"} not in the cache (${this.dir}), and ${this.ctx.offline ? this.ctx.offlineWhy : "the hub cannot be reached"}; ${this.ctx.offline ? "go online" : "connect"} to download ${missing.length > 1 ? "them" : "it"}`, "offline");
      return;
    }
    const todo: { file: HubFile; pointer: string; blob: string }[] = [];
    for (const path of paths) {
      const file = this.files.get(path);
      if (!file) throw new HubError(`${this.label} has no file ${path} at commit ${this.commit}`, "not-found");
      checkRelativePath(path);
      const pointer = join(this.dir, path);
      if (existsSync(pointer)) continue; // there already (existsSync follows the link: its blob is there too)
      todo.push({ file, pointer, blob: join(this.storage, "blobs", file.etag) });
    }
    // bytes of blobs that are complete already cost nothing; partial ones resume
    const totalBytes = todo.reduce((n, t) => n + (existsSync(t.blob) ? 0 : t.file.size), 0);
    let bytes = 0;
    for (const { file, pointer, blob } of todo) {
      if (!existsSync(blob)) {
        const url = `${this.ctx.endpoint}/${this.repo}/resolve/${this.commit}/${file.path.split("/").map(encodeURIComponent).join("/")}`;
        const progress = (n: number) => {
          bytes += n;
          this.ctx.onProgress?.({ file: file.path, bytes, totalBytes });
        };
        await mkdir(dirname(blob), { recursive: true });
        const lock = join(dirname(this.storage), ".locks", basename(this.storage), `${file.etag}.lock`);
        const fetched = await this.holdingLock(lock, file, blob, async () => {
          if (existsSync(blob)) return false; // another process finished it while we waited for the lock
          await downloadBlob(this.label, url, file, blob, this.ctx, progress);
          return true;
        });
        if (!fetched) progress(file.size); // fetched all the same, by someone else
      }
      await linkIntoSnapshot(blob, pointer);
    }
  }

  /** Runs `download` holding the blob's lock; false, without running it, when another process brought the blob while we waited. */
  private async holdingLock(lock: string, file: HubFile, blob: string, download: () => Promise<boolean>): Promise<boolean> {
    const say = (holder: LockHolder) => `${this.label}: ${file.path} is being downloaded into the same cache by ${holder.description}`;
    try {
      const outcome = await withFileLock(
        lock,
        {
          activity: `${blob}.incomplete`,
          done: () => existsSync(blob),
          timeoutMs: this.ctx.lockTimeoutMs,
          onWait: (holder, waitedMs) => this.ctx.onWait(`${say(holder)}; waiting for it to finish${waitedMs >= 1000 ? ` (${Math.round(waitedMs / 1000)} s so far)` : ""}`),
        },
        download,
      );
      return outcome.ran && outcome.value;
    } catch (err) {
      if (!(err instanceof LockTimeoutError)) throw err;
      throw new HubError(`${say(err.holder)}, which has shown no progress for ${Math.round(err.silentMs / 1000)} s: if it is suspended (Ctrl-Z), resume or end it; if no download is running any more, delete ${lock} and run again`, "locked", { cause: err });
    }
  }
}

interface Context {
  endpoint: string;
  token?: string;
  offline: boolean;
  /** Why offline, for messages: the environment variable, or the option. */
  offlineWhy: string;
  timeoutMs: number;
  onProgress?: (p: DownloadProgress) => void;
  onWait: (message: string) => void;
  lockTimeoutMs: number;
}

function checkRelativePath(path: string): void {
  if (path.startsWith("/") || path.split(/[/\\]/).some((p) => p === ".." || p === "")) throw new HubError(`the hub listed a file "${path}" that would land outside the snapshot folder`, "bad-name");
}

/**
 * Opens `repo` at `revision`: asks the hub which commit that is and which files it holds (and
 * records refs/<revision> in the cache), or, offline, finds the commit in the cache. When the hub
 * cannot be reached but the revision is cached, the cached snapshot is used (as Python does) and
 * `warning` says so.
 */
export async function openHubRepo(repo: string, options: HubOptions = {}): Promise<HubSnapshot> {
  checkRepoId(repo);
  const revision = options.revision ?? "main";
  checkRevision(revision);
  const cacheDir = options.cacheDir ?? hubCacheDir();
  const ctx: Context = {
    endpoint: (options.endpoint ?? hubEndpoint()).replace(/\/+$/, ""),
    token: options.token ?? hubToken(),
    offline: options.offline ?? hubOffline(),
    offlineWhy: options.offline === undefined ? "HF_HUB_OFFLINE is set" : "offline mode is on",
    timeoutMs: options.timeoutMs ?? defaultTimeoutMs(),
    onProgress: options.onProgress,
    onWait: options.onWait ?? ((message) => console.error(message)),
    lockTimeoutMs: options.lockTimeoutMs ?? 5 * 60_000,
  };
  const storage = repoCacheDir(repo, cacheDir);
  const label = revision === "main" ? repo : `${repo}@${revision}`;

  const fromCache = (why?: string): HubSnapshot | null => {
    const commit = cachedCommit(repo, revision, cacheDir);
    return commit ? new HubSnapshot(repo, revision, commit, storage, null, ctx, why) : null;
  };
  if (ctx.offline) {
    const snap = fromCache();
    if (snap) return snap;
    throw new HubError(`${label} is not in the cache (${storage}), and ${ctx.offlineWhy}, so it cannot be downloaded${options.offline === undefined ? "; unset HF_HUB_OFFLINE to download it" : ""}`, "offline");
  }

  const seen = { errorCode: "" };
  const hubFetch = timedFetch(ctx.timeoutMs, seen);
  const call = { hubUrl: ctx.endpoint, fetch: hubFetch, ...(ctx.token ? { accessToken: ctx.token as `hf_${string}` } : {}) };
  let commit: string;
  const files = new Map<string, HubFile>();
  try {
    commit = (await modelInfo({ ...call, name: repo, revision, additionalFields: ["sha"] })).sha;
    if (typeof commit !== "string" || !isCommit(commit)) throw new HubError(`${ctx.endpoint} gave no commit for ${label} (got ${JSON.stringify(commit)}); is HF_ENDPOINT a Hugging Face hub?`, "not-found");
    for await (const entry of listFiles({ ...call, repo: { type: "model", name: repo }, revision: commit, recursive: true })) {
      if (entry.type !== "file") continue;
      const etag = entry.lfs?.oid ?? entry.oid;
      if (!etag) throw new HubError(`${ctx.endpoint} listed ${entry.path} of ${label} without a hash`, "integrity");
      files.set(entry.path, { path: entry.path, size: entry.size, etag, lfs: entry.lfs !== undefined });
    }
  } catch (err) {
    if (err instanceof HubApiError) (err as CodedApiError).errorCode = seen.errorCode;
    const e = hubError(err, { label, endpoint: ctx.endpoint, hasToken: !!ctx.token });
    // like Python: an unreachable hub is no reason to refuse a model we already have
    if (e.kind === "network" || e.kind === "timeout") {
      const snap = fromCache(`${e.message}; using the cached snapshot ${cachedCommit(repo, revision, cacheDir)}`);
      if (snap) return snap;
    }
    throw e;
  }
  if (revision !== commit) {
    // refs/<revision> records which commit the branch or tag meant, for offline use later
    const ref = join(storage, "refs", revision);
    await mkdir(dirname(ref), { recursive: true });
    const tmp = `${ref}.${process.pid}-${randomBytes(4).toString("hex")}.tmp`; // unique: two calls in one process may write it at once
    await writeFile(tmp, commit);
    await rename(tmp, ref);
  }
  return new HubSnapshot(repo, revision, commit, storage, files, ctx);
}

// ---------------------------------------------------------------------------- transfer

/**
 * fetch with a deadline for the answer (the API's answers are small, so the body is included),
 * keeping the hub's X-Error-Code of a failed answer (GatedRepo, RepoNotFound, RevisionNotFound),
 * which the library's HubApiError does not carry.
 */
function timedFetch(timeoutMs: number, seen: { errorCode: string }): typeof fetch {
  return async (input, init) => {
    const response = await fetch(input, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) seen.errorCode = response.headers.get("x-error-code") ?? "";
    return response;
  };
}

type CodedApiError = HubApiError & { errorCode?: string };

/**
 * Downloads one file into blobs/<etag>: into blobs/<etag>.incomplete first, continuing from the
 * bytes a previous attempt left there (an HTTP Range request), hashing as it goes; renamed into
 * place only when the size and hash are the hub's. So the cache never holds a partial file under
 * the name of a complete one, and an interrupted download costs only what was not yet fetched.
 */
async function downloadBlob(label: string, url: string, file: HubFile, blobPath: string, ctx: Context, progress: (n: number) => void, attempt = 1): Promise<void> {
  const partial = `${blobPath}.incomplete`;
  let start = 0;
  try {
    start = (await stat(partial)).size;
  } catch {
    // nothing fetched yet
  }
  if (start > file.size) start = 0; // longer than the file: not ours; start over
  const resumed = start > 0;

  // the hash covers the whole file: the bytes already on disk, then the new ones
  const newHash = () => {
    const h = createHash(file.lfs ? "sha256" : "sha1");
    if (!file.lfs) h.update(`blob ${file.size}\0`); // git's blob id: sha1 of "blob <size>\0" + content
    return h;
  };
  let hash = newHash();
  if (start > 0) for await (const chunk of createReadStream(partial, { end: start - 1 })) hash.update(chunk as Buffer);
  progress(start);

  if (start < file.size) {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const stalled = () => {
      clearTimeout(timer);
      timer = setTimeout(() => controller.abort(new HubError(`no answer from ${url} for ${ctx.timeoutMs / 1000} s`, "timeout")), ctx.timeoutMs);
    };
    stalled();
    let received = 0;
    try {
      const response = await fetch(url, {
        headers: { ...(ctx.token ? { Authorization: `Bearer ${ctx.token}` } : {}), ...(start > 0 ? { Range: `bytes=${start}-` } : {}) },
        signal: controller.signal,
      });
      if (!response.ok) throw await responseError(response, `${label}: ${file.path}`, ctx);
      if (start > 0 && response.status !== 206) {
        // the server sent the whole file instead of the rest: start over
        progress(-start);
        start = 0;
        hash = newHash();
      }
      if (!response.body) throw new HubError(`${url} answered without a body`, "interrupted");
      // each chunk is on disk before the next is read, so the .incomplete file always holds
      // exactly the bytes hashed so far, whatever breaks (the connection, the disk)
      const handle = await open(partial, start > 0 ? "a" : "w");
      try {
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          stalled();
          await handle.write(chunk);
          hash.update(chunk);
          received += chunk.length;
          progress(chunk.length);
        }
      } finally {
        await handle.close();
      }
    } catch (err) {
      const reason = controller.signal.reason;
      if (reason instanceof HubError) throw new HubError(`${label}: ${file.path}: ${reason.message} (after ${start + received} of ${file.size} bytes; run again to resume, or raise HF_HUB_DOWNLOAD_TIMEOUT)`, "timeout", { cause: err });
      if (err instanceof HubError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOSPC") throw new HubError(`${label}: no space left on the disk while writing ${file.path} to ${partial}: free ${file.size - start - received} more bytes (or point HF_HUB_CACHE elsewhere) and run again; the ${start + received} bytes already fetched are kept and the download resumes`, "disk-full", { cause: err });
      if (code && /^E[A-Z]+$/.test(code) && (err as NodeJS.ErrnoException).path) throw err; // another file-system error: it names its path
      throw new HubError(`${label}: the download of ${file.path} from ${ctx.endpoint} broke off after ${start + received} of ${file.size} bytes (${describeNetworkError(err)}); run again to resume from there`, "interrupted", { cause: err });
    } finally {
      clearTimeout(timer);
    }
    start += received;
  }

  const size = (await stat(partial)).size;
  const digest = hash.digest("hex");
  if (size !== file.size || digest !== file.etag) {
    await unlink(partial);
    progress(-size);
    if (attempt === 1 && resumed) return downloadBlob(label, url, file, blobPath, ctx, progress, 2); // maybe the part kept from before was bad: once more from scratch
    throw new HubError(`${label}: ${file.path}: what arrived does not match the hub's listing (${size} bytes, ${file.lfs ? "sha256" : "git sha1"} ${digest}; expected ${file.size} bytes, ${file.etag}); it was discarded: run again`, "integrity");
  }
  await rename(partial, blobPath);
}

/** snapshots/<commit>/<path> → a relative symlink to its blob (a copy where links are not allowed, as Python on Windows). */
async function linkIntoSnapshot(blob: string, pointer: string): Promise<void> {
  await mkdir(dirname(pointer), { recursive: true });
  const tmp = `${pointer}.${process.pid}-${randomBytes(4).toString("hex")}.tmp`; // unique: two calls in one process may link it at once
  try {
    await symlink(relative(dirname(pointer), blob), tmp);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "EPERM" && code !== "EACCES" && code !== "ENOTSUP") throw err;
    await copyFile(blob, tmp);
  }
  await rename(tmp, pointer); // atomic: the name appears complete or not at all
}

// ---------------------------------------------------------------------------- errors in the user's words

/** An HTTP error of a file download, read from the hub's X-Error-Code header (GatedRepo, RepoNotFound, …). */
async function responseError(response: Response, label: string, ctx: Context): Promise<HubError> {
  const e: CodedApiError = new HubApiError(response.url, response.status);
  e.message = response.headers.get("x-error-message") ?? (await response.text().catch(() => "")).slice(0, 200);
  e.errorCode = response.headers.get("x-error-code") ?? "";
  return hubError(e, { label, endpoint: ctx.endpoint, hasToken: !!ctx.token });
}

function describeNetworkError(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message ?? String(err);
}

/** Any failure talking to the hub, as a HubError whose message says what to do. */
function hubError(err: unknown, at: { label: string; endpoint: string; hasToken: boolean }): HubError {
  if (err instanceof HubError) return err;
  const name = (err as Error)?.name;
  if (name === "TimeoutError" || name === "AbortError") return new HubError(`${at.label}: ${at.endpoint} did not answer within the timeout (set HF_HUB_DOWNLOAD_TIMEOUT to wait longer, or HF_HUB_OFFLINE=1 to use only the cache)`, "timeout", { cause: err });
  if (err instanceof HubApiError) {
    const code = (err as CodedApiError).errorCode ?? "";
    const said = err.message ? ` (the hub says: ${err.message.replace(/\. URL: .*$/, "")})` : "";
    if (code === "GatedRepo")
      return new HubError(`${at.label} is gated: accept its licence on its page on ${at.endpoint} while logged in, then set HF_TOKEN to an access token of that account (${at.endpoint}/settings/tokens)${said}`, "gated", { cause: err });
    if (code === "RepoNotFound" || (err.statusCode === 401 && code === ""))
      return new HubError(`${at.label}: no such model on ${at.endpoint}, or it is private or gated: check the name${at.hasToken ? "" : ", or set HF_TOKEN to an access token that may read it"}${said}`, err.statusCode === 401 ? "auth" : "not-found", { cause: err });
    if (code === "RevisionNotFound") return new HubError(`${at.label}: no such revision (branch, tag or commit) on ${at.endpoint}${said}`, "not-found", { cause: err });
    if (code === "EntryNotFound") return new HubError(`${at.label}: no such file on ${at.endpoint}${said}`, "not-found", { cause: err });
    if (err.statusCode === 401 || err.statusCode === 403) return new HubError(`${at.label}: ${at.endpoint} refused access (HTTP ${err.statusCode}): set HF_TOKEN to an access token that may read it, and accept the model's licence on its page if it is gated${said}`, err.statusCode === 401 ? "auth" : "gated", { cause: err });
    if (err.statusCode === 404) return new HubError(`${at.label}: not found on ${at.endpoint} (no such model or revision)${said}`, "not-found", { cause: err });
    return new HubError(`${at.label}: ${at.endpoint} answered HTTP ${err.statusCode}${said}`, "network", { cause: err });
  }
  if (err instanceof TypeError && /fetch failed/.test(err.message))
    return new HubError(`${at.label}: cannot reach ${at.endpoint} (${describeNetworkError(err)}); check the connection or HF_ENDPOINT, or set HF_HUB_OFFLINE=1 to use only the cache`, "network", { cause: err });
  return new HubError(`${at.label}: ${(err as Error)?.message ?? String(err)}`, "network", { cause: err });
}

/** Reads a JSON file of a snapshot (e.g. a shard index); errors name the repo and file. */
export async function readSnapshotJson(snap: HubSnapshot, path: string): Promise<unknown> {
  const full = join(snap.dir, path);
  try {
    return JSON.parse(await readFile(full, "utf8"));
  } catch (err) {
    throw new Error(`${snap.label}: ${path} (${full}) is not valid JSON: ${(err as Error).message}`);
  }
}
