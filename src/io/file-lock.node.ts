// Node-only: an exclusive lock on one piece of work shared by several processes (two terminals
// pulling the same model, a test runner's workers), or by several calls in one process. The hub
// download (hub.node.ts) takes one per blob, so that two downloads of the same file never write
// into the same blobs/<etag>.incomplete at once.
//
// The lock is a file. Creating it with O_EXCL (the "wx" flag) takes the lock: the file system lets
// exactly one creator succeed. Deleting it releases the lock. It records who holds it:
//   {"pid":1234,"host":"laptop","since":"2024-…","token":"…","by":"decoding-gpt"}
// so that a waiter can tell a live holder from a dead one:
//   - a holder on this machine whose process is gone (crashed, killed with -9): its lock is stale,
//     and is taken over at once (as is one naming this very process that no call here holds: a
//     leftover from before a reboot that gave us its pid);
//   - a live holder on this machine: waited for, for as long as it shows progress (it touches the
//     lock file every few seconds, and its download file grows); one that shows none for
//     `timeoutMs` (a process suspended with Ctrl-Z, or a recycled pid) is not taken over but
//     reported, with the file to delete;
//   - a holder we cannot check (on another machine sharing the cache, or a lock file that is not
//     ours): stale after STALE_MS without a sign of life.
// The lock file is removed when the work ends, whether it succeeds or fails, and on Ctrl-C.
//
// The path is huggingface_hub's (<cache>/.locks/models--org--name/<etag>.lock), but Python uses
// the file differently: its `filelock` takes an flock on it and leaves it behind, so an empty lock
// file is normal in a cache Python has used. Mutual exclusion with Python processes is therefore
// best-effort: we wait while a Python download visibly progresses (its .incomplete file grows) and
// take over its leftover lock files once they are quiet; Python does not see our lock (it would
// flock our file and proceed). What keeps the cache sound either way is the check of every
// download's size and hash before it is renamed into place.
import { randomBytes } from "node:crypto";
import { readFileSync, unlinkSync } from "node:fs";
import { link, mkdir, open, readFile, rename, stat, unlink, utimes } from "node:fs/promises";
import { hostname } from "node:os";
import { dirname } from "node:path";

/** How often a waiter looks again. */
const POLL_MS = 200;
/** How often a holder touches its lock file, a sign of life for waiters on other machines. */
const HEARTBEAT_MS = 5_000;
/** Silence after which a lock we cannot check (another machine's, Python's) counts as abandoned. */
const STALE_MS = 60_000;
/** How often a waiter is told again that it is still waiting (Python logs every 10 s too). */
const REPORT_MS = 10_000;

/** Who holds a lock, as far as its file says. */
export interface LockHolder {
  /** The holder's process and machine, when the lock file is one of ours. */
  pid?: number;
  host?: string;
  /** For messages: "process 1234", "process 1234 on host other", "a process that is not decoding-gpt (Python?)". */
  description: string;
}

export interface FileLockOptions {
  /** A file the holder writes as it works (a download's .incomplete): while it changes, the holder is alive. */
  activity?: string;
  /** Looked at while waiting: true once the holder's work is done (the blob is there), so that there is nothing left to do. */
  done?: () => boolean;
  /** Give up after this long without a sign of life from a holder that cannot be taken over (a live process here). */
  timeoutMs: number;
  /** Told when the wait begins, and every 10 s after, who holds the lock and for how long we have waited. */
  onWait?: (holder: LockHolder, waitedMs: number) => void;
}

/** The lock could not be had: its holder is alive but shows no progress. */
export class LockTimeoutError extends Error {
  constructor(
    message: string,
    readonly holder: LockHolder,
    /** How long the holder had shown no sign of life. */
    readonly silentMs: number,
  ) {
    super(message);
    this.name = "LockTimeoutError";
  }
}

/**
 * Runs `work` holding the lock file `path`, waiting for it while another process (or another call
 * in this one) holds it. Returns `{ ran: false }` without running `work` when `done()` becomes true
 * while waiting (the holder did the work for us). `work` should look again after it starts: the
 * holder may have finished between our last look and our taking the lock.
 */
export async function withFileLock<T>(path: string, options: FileLockOptions, work: () => Promise<T>): Promise<{ ran: true; value: T } | { ran: false }> {
  const token = await acquire(path, options);
  if (token === null) return { ran: false };
  const heartbeat = setInterval(() => {
    const now = new Date();
    utimes(path, now, now).catch(() => {}); // a missing file is release's business, not the heartbeat's
  }, HEARTBEAT_MS);
  heartbeat.unref();
  try {
    return { ran: true, value: await work() };
  } finally {
    clearInterval(heartbeat);
    await release(path, token);
    forget(path);
  }
}

interface LockRecord {
  pid: number;
  host: string;
  token: string;
}

/** The record of a lock file of ours, or null (empty, as Python's are; or not ours). */
function parseLock(text: string): LockRecord | null {
  try {
    const r = JSON.parse(text) as Partial<LockRecord>;
    return Number.isInteger(r.pid) && typeof r.host === "string" && typeof r.token === "string" ? (r as LockRecord) : null;
  } catch {
    return null;
  }
}

/** Whether a process of this machine is running. (EPERM: it runs, as another user.) */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0); // signal 0: no signal, only the check
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Takes the lock and returns the token that marks it ours, or returns null once `done()` says there is no need. */
async function acquire(path: string, options: FileLockOptions): Promise<string | null> {
  await mkdir(dirname(path), { recursive: true });
  const token = randomBytes(8).toString("hex");
  const started = Date.now();
  let reported = -Infinity;
  for (;;) {
    if (options.done?.()) return null;
    try {
      const handle = await open(path, "wx"); // O_CREAT | O_EXCL: fails with EEXIST when the lock is held
      held.set(path, token); // at once: another call of this process may look at the file next
      watchExit();
      try {
        await handle.writeFile(`${JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString(), token, by: "decoding-gpt" })}\n`);
      } catch (err) {
        forget(path);
        await unlink(path).catch(() => {});
        throw err;
      } finally {
        await handle.close();
      }
      return token;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const seen = await inspect(path, options.activity);
    if (!seen) continue; // released between our two looks: try again at once
    if (seen.stale) {
      await breakLock(path, seen.ino);
      continue;
    }
    if (seen.silentMs > options.timeoutMs) {
      throw new LockTimeoutError(`${path} is held by ${seen.holder.description}, which has shown no progress for ${Math.round(seen.silentMs / 1000)} s`, seen.holder, seen.silentMs);
    }
    const now = Date.now();
    if (now - reported >= REPORT_MS) {
      reported = now;
      options.onWait?.(seen.holder, now - started);
    }
    await sleep(POLL_MS);
  }
}

/** Who holds the lock, how long since it last showed a sign of life, and whether it may be taken over; null when the lock file is gone. */
async function inspect(path: string, activity?: string): Promise<{ holder: LockHolder; stale: boolean; silentMs: number; ino: number } | null> {
  let text: string;
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
  // signs of life: the holder's heartbeat on the lock file, the growth of its download
  let lastSign = Number(info.mtimeMs);
  if (activity) lastSign = Math.max(lastSign, await stat(activity).then((s) => s.mtimeMs, () => 0));
  const silentMs = Math.max(0, Date.now() - lastSign);
  const ino = Number(info.ino);
  const record = parseLock(text);
  if (record && record.host === hostname() && record.pid === process.pid) {
    // this process: another call holds it, or it is a leftover from before a reboot that gave us this pid
    return { holder: { pid: record.pid, host: record.host, description: "another call in this process" }, stale: !held.has(path), silentMs, ino };
  }
  if (record && record.host === hostname()) {
    // on this machine, the process itself says whether the lock is stale
    return { holder: { pid: record.pid, host: record.host, description: `process ${record.pid}` }, stale: !isAlive(record.pid), silentMs, ino };
  }
  const description = record ? `process ${record.pid} on host ${record.host}` : "a process that is not decoding-gpt (Python's huggingface_hub?)";
  return { holder: { ...(record ? { pid: record.pid, host: record.host } : {}), description }, stale: silentMs > STALE_MS, silentMs, ino };
}

/**
 * Removes a stale lock file. It is renamed aside first: of two processes breaking the same stale
 * lock, only one rename succeeds (the other finds no file). The file moved is then checked to be
 * the one judged stale (same inode): if it is a fresh lock instead (another process broke the
 * stale one and took the lock between our look and our rename), it is put back.
 */
async function breakLock(path: string, ino: number): Promise<void> {
  const aside = `${path}.stale-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    await rename(path, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
    throw err;
  }
  if (Number((await stat(aside)).ino) !== ino) {
    await link(aside, path).catch((err: NodeJS.ErrnoException) => {
      // EEXIST: a third process took the lock in the moment it was away; rare enough to leave
      if (err.code !== "EEXIST") throw err;
    });
  }
  await unlink(aside);
}

/** Deletes the lock file if it is still ours (not taken over meanwhile, not emptied by Python's filelock). */
async function release(path: string, token: string): Promise<void> {
  try {
    if (parseLock(await readFile(path, "utf8"))?.token === token) await unlink(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
}

// ---------------------------------------------------------------------------- release on Ctrl-C and exit

/** The locks this process holds: path → token. */
const held = new Map<string, string>();
const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/** No longer ours to release on exit. */
function forget(path: string): void {
  held.delete(path);
  if (held.size === 0) unwatchExit();
}

/** On exit, `finally` blocks do not run: the locks are removed here, synchronously. */
function releaseAllNow(): void {
  for (const [path, token] of held) {
    try {
      if (parseLock(readFileSync(path, "utf8"))?.token === token) unlinkSync(path);
    } catch {
      // gone already, or unreadable: nothing more can be done on the way out
    }
  }
  held.clear();
}

/**
 * A signal that would end the process: release the locks, then let the signal do what it would
 * have done without us (end the process) — unless the program listens to it itself (dgpt train
 * saves first, for one); then the program decides, and the "exit" hook releases when it ends.
 */
function onSignal(signal: NodeJS.Signals): void {
  if (process.listenerCount(signal) > 1) return;
  releaseAllNow();
  unwatchExit();
  process.kill(process.pid, signal);
}

function watchExit(): void {
  if (process.listeners("exit").includes(releaseAllNow)) return;
  process.on("exit", releaseAllNow);
  for (const s of SIGNALS) process.on(s, onSignal);
}

function unwatchExit(): void {
  process.off("exit", releaseAllNow);
  for (const s of SIGNALS) process.off(s, onSignal);
}
