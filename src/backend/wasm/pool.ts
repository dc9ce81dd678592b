// A persistent pool of worker threads that share the backend's WebAssembly memory and run the
// same kernels on different parts of a job. Dispatch goes through a control block in that shared
// memory with Atomics (no message per job), so a parallel kernel starts in microseconds.
//
// Each part of a job is claimed with a compare-and-swap: its worker normally takes it, but once
// the calling thread has finished its own part it takes any part whose worker has not started
// (on a busy 2-core machine a worker may not be scheduled for milliseconds). Every part writes
// its own region with the same code, so results are bit-identical whoever runs it.
//
// Workers are created by a `SpawnWorker` function: worker_threads in Node (threads.node.ts),
// Web Workers in browsers (spawnWebWorker below). In Node a job may also name a function of the
// native addon ("native.sgemm"), which every worker loads: one set of threads for all kernels.
// A part that throws on a worker is rerun by the caller, which then throws the real error.

/** Starts a worker running `source` (a classic script) and hands it `init`. */
export type SpawnWorker = (source: string, init: WorkerInit) => { terminate(): void };

export interface WorkerInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  /** Byte offset of the control block in the shared memory. */
  control: number;
  index: number;
  maxArgs: number;
  /** Node only: path of the native addon (native/*.c) whose functions jobs may name too. */
  native?: string;
}

// control block: int32 slots
const SEQ = 0; // incremented to start a job
const PARTS_DONE = 1; // parts of the current job finished, by anyone
const READY = 2; // workers that have started
const FN = 3; // index of the kernel to run (into the sorted export names)
const CLAIM = 4; // CLAIM + w: 0 = part w free, 1 = taken (up to 12 workers)
const MAX_WORKERS = 12;
const FAILED = CLAIM + MAX_WORKERS; // bit w set: worker w's part threw
const CONTROL_SLOTS = 32;
const HEADER_BYTES = 4 * CONTROL_SLOTS;
/** Iterations a thread polls before sleeping (on the order of 100 µs). */
const SPIN = 200_000;
/** Functions of the native addon a job may run ("native.sgemm"): FN holds NATIVE_FN + index. */
const NATIVE_NAMES = ["sgemm", "attention", "attentionBackward", "gelu", "sgemv"];
const NATIVE_FN = 1000;

/** The worker's program: instantiate the kernels on the shared memory, then wait for jobs. */
const WORKER_SOURCE = `
"use strict";
function start(init) {
  const { module, memory, control, index, maxArgs } = init;
  let native = null;
  try {
    if (init.native) native = require(init.native);
  } catch {} // then the calling thread runs native parts itself (see claim below)
  const view = new Uint8Array(memory.buffer, 0, 1);
  const instance = new WebAssembly.Instance(module, { env: { memory, abort() { throw new Error("wasm kernel aborted"); } } });
  const names = Object.keys(instance.exports).filter((k) => typeof instance.exports[k] === "function").sort();
  const ctl = new Int32Array(memory.buffer, control, ${CONTROL_SLOTS});
  const args = new Float64Array(memory.buffer, control + ${HEADER_BYTES} + index * maxArgs * 8, maxArgs);
  let seen = Atomics.load(ctl, ${SEQ});
  Atomics.add(ctl, ${READY}, 1);
  for (;;) {
    // spin a little before sleeping: a training step dispatches kernels back to back
    for (let spin = 0; spin < ${SPIN} && Atomics.load(ctl, ${SEQ}) === seen; spin++);
    if (Atomics.load(ctl, ${SEQ}) === seen) Atomics.wait(ctl, ${SEQ}, seen);
    seen = Atomics.load(ctl, ${SEQ});
    if (Atomics.compareExchange(ctl, ${CLAIM} + index, 0, 1) !== 0) continue; // idle, or taken over
    // The kernel and its arguments are read only now, after the claim: the caller publishes
    // both before it opens the claims, so they belong to the job whose claim this is. (Read
    // before it, they may be a finished job's: a worker that woke late, after the caller had
    // taken its part over and started the next job, would run the old kernel on new arguments.)
    const fn = Atomics.load(ctl, ${FN});
    const argc = args[0];
    const a = [];
    for (let i = 1; i <= argc; i++) a.push(args[i]);
    try {
      if (fn >= ${NATIVE_FN}) {
        if (native === null) throw new Error("no native addon in this worker"); // the caller reruns the part
        native[${JSON.stringify(NATIVE_NAMES)}[fn - ${NATIVE_FN}]](view, ...a);
      } else instance.exports[names[fn]](...a);
    } catch {
      // never leave the caller waiting: it reruns this part itself and reports the real error
      Atomics.or(ctl, ${FAILED}, 1 << index);
    }
    Atomics.add(ctl, ${PARTS_DONE}, 1);
    Atomics.notify(ctl, ${PARTS_DONE});
  }
}
if (typeof require === "function") start(require("node:worker_threads").workerData);
else self.onmessage = (e) => start(e.data);
`;

/** Spawns a browser Web Worker from the source (a Blob URL). */
export const spawnWebWorker: SpawnWorker = (source, init) => {
  const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
  const w = new Worker(url);
  w.postMessage(init);
  return { terminate: () => w.terminate() };
};

/** Runs one part here; returns the first error seen (kept, not thrown, until the workers finish). */
function tryRun(run: (args: number[]) => void, args: number[], error: { thrown: unknown } | null): { thrown: unknown } | null {
  try {
    run(args);
  } catch (thrown) {
    return error ?? { thrown };
  }
  return error;
}

export class WorkerPool {
  private readonly ctl: Int32Array;
  private readonly workers: { terminate(): void }[] = [];
  private readonly names: string[];
  private readonly argSlots: Float64Array[] = [];
  /** Atomics.wait is allowed in Node and in workers, not on a browser page's main thread. */
  private readonly canBlock: boolean;

  constructor(
    readonly threads: number,
    module: WebAssembly.Module,
    memory: WebAssembly.Memory,
    control: number,
    exportsObject: object,
    spawn: SpawnWorker,
    native?: string,
    private readonly maxArgs = 24,
  ) {
    if (threads - 1 > MAX_WORKERS) throw new Error(`worker pool: at most ${MAX_WORKERS + 1} threads`);
    this.names = Object.keys(exportsObject).filter((k) => typeof (exportsObject as Record<string, unknown>)[k] === "function").sort();
    this.ctl = new Int32Array(memory.buffer, control, CONTROL_SLOTS);
    this.ctl.fill(0);
    this.ctl.fill(1, CLAIM, CLAIM + MAX_WORKERS); // nothing to claim yet
    for (let i = 1; i < threads; i++) {
      this.argSlots.push(new Float64Array(memory.buffer, control + HEADER_BYTES + (i - 1) * maxArgs * 8, maxArgs));
      this.workers.push(spawn(WORKER_SOURCE, { module, memory, control, index: i - 1, maxArgs, native }));
    }
    this.canBlock = (globalThis as { document?: unknown }).document === undefined;
  }

  /** Bytes the control block needs for `threads` threads. */
  static controlBytes(threads: number, maxArgs = 24): number {
    return HEADER_BYTES + Math.max(1, threads) * maxArgs * 8;
  }

  /** Workers that have started and wait for jobs. */
  get ready(): number {
    return Atomics.load(this.ctl, READY);
  }

  /**
   * Runs kernel `name` with argument lists parts[0] (here) and parts[1..] (offered to the
   * workers); returns when every part is done.
   */
  run(name: string, parts: number[][], runLocal: (args: number[]) => void): void {
    const fn = name.startsWith("native.") ? NATIVE_FN + NATIVE_NAMES.indexOf(name.slice(7)) : this.names.indexOf(name);
    if (fn < 0 || fn === NATIVE_FN - 1) throw new Error(`worker pool: no kernel named ${name}`);
    const remote = parts.length - 1;
    if (remote > this.workers.length) throw new Error(`worker pool: ${parts.length} parts for ${this.threads} threads`);
    // publish the job: arguments first, then open the claims, then wake the workers
    for (let w = 0; w < remote; w++) {
      const args = parts[w + 1];
      if (args.length >= this.maxArgs) throw new Error(`worker pool: too many arguments for ${name}`);
      const slot = this.argSlots[w];
      slot[0] = args.length;
      for (let i = 0; i < args.length; i++) slot[i + 1] = args[i];
    }
    Atomics.store(this.ctl, FN, fn);
    Atomics.store(this.ctl, PARTS_DONE, 0);
    for (let w = 0; w < this.workers.length; w++) Atomics.store(this.ctl, CLAIM + w, w < remote ? 0 : 1);
    Atomics.add(this.ctl, SEQ, 1);
    Atomics.notify(this.ctl, SEQ);
    // an error here is kept until the workers are done: the next job must not start under them
    let error = tryRun(runLocal, parts[0], null);
    // take over parts no worker has started
    let mine = 0;
    for (let w = 0; w < remote; w++) {
      if (Atomics.compareExchange(this.ctl, CLAIM + w, 0, 1) === 0) {
        error = tryRun(runLocal, parts[w + 1], error);
        mine++;
      }
    }
    for (let spin = 0; ; spin++) {
      const done = Atomics.load(this.ctl, PARTS_DONE);
      if (done + mine >= remote) break;
      if (this.canBlock && spin > SPIN) Atomics.wait(this.ctl, PARTS_DONE, done, 1000);
    }
    const failed = Atomics.exchange(this.ctl, FAILED, 0);
    if (error !== null) throw error.thrown;
    // a worker's part threw: run it here, where its error (if it recurs) reaches the caller
    for (let w = 0; failed >>> w !== 0; w++) {
      if (((failed >>> w) & 1) === 0) continue;
      if (w >= remote) throw new Error(`worker pool: worker ${w} reported a failed part of ${name}, which gave it none (the pool's bookkeeping is broken)`);
      runLocal(parts[w + 1]);
    }
  }

  terminate(): void {
    for (const w of this.workers) w.terminate();
    this.workers.length = 0;
  }
}
