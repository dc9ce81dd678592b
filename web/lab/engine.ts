// The page's side of the worker: one worker for the whole lab, its messages fanned out to
// listeners, and analyses as promises.
import type { FromWorker, ToWorker } from "./protocol.js";

const worker = new Worker(new URL("./train-worker.js", import.meta.url), { type: "module" });
const listeners = new Set<(m: FromWorker) => void>();
const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
let nextId = 1;

worker.onmessage = (ev: MessageEvent<FromWorker>) => {
  const m = ev.data;
  if (m.type === "analysis") {
    const p = pending.get(m.id);
    pending.delete(m.id);
    if (m.error !== undefined) p?.reject(new Error(m.error));
    else p?.resolve(m.result);
    return;
  }
  for (const l of listeners) l(m);
};

/** Sends a message to the worker; `transfer` hands buffers over instead of copying them (a model's weights). */
export const send = (m: ToWorker, transfer: Transferable[] = []): void => worker.postMessage(m, transfer);

/** Calls `fn` with every message from the worker (but analysis answers); returns the unsubscribe. */
export function listen(fn: (m: FromWorker) => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** Runs the named analysis (analyses.ts) on the current model. */
export function analyse<T>(kind: string, args: unknown): Promise<T> {
  const id = nextId++;
  return new Promise<T>((resolve, reject) => {
    pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
    send({ type: "analyse", id, kind, args });
  });
}

// for tests, and for the curious in the browser's console: `await __engine.analyse("memory", {})`
(globalThis as unknown as { __engine?: unknown }).__engine = { analyse };
