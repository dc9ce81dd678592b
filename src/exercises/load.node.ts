// Checking a student's file: compile it (esbuild: TypeScript to JavaScript, its own relative
// imports bundled in, "decoding-gpt" pointed at this very library), then grade it in a worker
// thread with a time limit and a memory limit. Whatever the file does — not compile, not export
// the function, throw, loop for ever, eat memory, call process.exit — the answer is a Verdict
// with a plain `problem`, never a crash or a hang of the checker.
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { buildSync, type BuildFailure } from "esbuild";
import { exerciseByName } from "./registry.js";
import type { CaseResult, Verdict } from "./types.js";

export interface CheckFileOptions {
  /** Seconds the solution may run in all: loading the file and every case (default 60). */
  timeoutSeconds?: number;
  /** The worker's JavaScript heap limit in MB (default 2048). */
  memoryMb?: number;
  onCaseStart?: (name: string) => void;
  onCaseEnd?: (result: CaseResult) => void;
}

/** Messages from the worker (worker.node.ts). */
export type WorkerMessage =
  | { kind: "ready" }
  | { kind: "start"; name: string }
  | { kind: "case"; result: CaseResult }
  | { kind: "done"; verdict: Verdict };

export interface WorkerInput {
  exercise: string;
  moduleUrl: string;
}

// Run from source (tsx) this file is src/exercises/load.node.ts; compiled, dist/src/exercises/load.node.js.
// The student's "decoding-gpt" must be the same module instance the checks use (so their tensors
// are this library's Tensors): the entry beside this folder, in the same form.
const FROM_SOURCE = import.meta.url.endsWith(".ts");
const LIBRARY_ENTRY = new URL(FROM_SOURCE ? "../node.ts" : "../node.js", import.meta.url).href;
/** Loading the library in a fresh worker takes seconds from source; this is only a safety net. */
const STARTUP_LIMIT_S = 180;

/** The solution as one ES module, or what keeps it from compiling (file:line:column: message). */
export function compileSolution(file: string): { code: string } | { problem: string } {
  try {
    const out = buildSync({
      entryPoints: [file],
      bundle: true,
      format: "esm",
      platform: "node",
      target: "node20",
      write: false,
      logLevel: "silent",
      alias: { "decoding-gpt/node": LIBRARY_ENTRY, "decoding-gpt": LIBRARY_ENTRY },
      external: [LIBRARY_ENTRY],
    });
    return { code: out.outputFiles[0].text };
  } catch (err) {
    const errors = (err as BuildFailure).errors ?? [];
    if (errors.length === 0) return { problem: `the file does not compile: ${(err as Error).message}` };
    const lines = errors.slice(0, 3).map((e) => (e.location ? `${e.location.file}:${e.location.line}:${e.location.column + 1}: ${e.text}` : e.text));
    return { problem: `the file does not compile:\n${lines.join("\n")}${errors.length > 3 ? `\n(and ${errors.length - 3} more)` : ""}` };
  }
}

/** Checks the solution in `file` against the exercise `name`: compiles it, grades it in a worker. */
export async function checkFile(name: string, file: string, opts: CheckFileOptions = {}): Promise<Verdict> {
  const exercise = exerciseByName(name);
  const path = resolve(file);
  if (!existsSync(path)) throw new Error(`no such file: ${path}`);
  if (statSync(path).isDirectory()) throw new Error(`${path} is a folder; give the solution's .ts file`);
  const timeout = opts.timeoutSeconds ?? 60;
  if (!(timeout > 0 && Number.isFinite(timeout))) throw new Error(`the time limit must be a positive number of seconds, got ${timeout}`);
  const compiled = compileSolution(path);
  if ("problem" in compiled) return { exercise: exercise.name, passed: false, cases: [], problem: compiled.problem };
  const dir = mkdtempSync(join(tmpdir(), "dgpt-exercise-"));
  try {
    const module = join(dir, "solution.mjs");
    writeFileSync(module, compiled.code);
    return await gradeInWorker({ exercise: exercise.name, moduleUrl: pathToFileURL(module).href }, timeout, opts);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function gradeInWorker(input: WorkerInput, timeoutSeconds: number, opts: CheckFileOptions): Promise<Verdict> {
  const memoryMb = opts.memoryMb ?? 2048;
  const worker = startWorker(input, memoryMb);
  const cases: CaseResult[] = [];
  let current = "loading your file";
  return new Promise<Verdict>((done) => {
    let settled = false;
    let clock: NodeJS.Timeout | undefined;
    const finish = (verdict: Verdict) => {
      if (settled) return;
      settled = true;
      clearTimeout(startup);
      clearTimeout(clock);
      void worker.terminate();
      done(verdict);
    };
    const stop = (problem: string) => finish({ exercise: input.exercise, passed: false, cases, problem });
    const startup = setTimeout(() => stop(`the checker did not start within ${STARTUP_LIMIT_S} s`), STARTUP_LIMIT_S * 1000);
    worker.on("message", (m: WorkerMessage) => {
      switch (m.kind) {
        case "ready": // the library is loaded: from here on the time is the solution's
          clearTimeout(startup);
          clock = setTimeout(() => stop(`time limit of ${timeoutSeconds} s exceeded in case "${current}" (an endless loop? raise the limit with --timeout)`), timeoutSeconds * 1000);
          break;
        case "start":
          current = m.name;
          opts.onCaseStart?.(m.name);
          break;
        case "case":
          cases.push(m.result);
          opts.onCaseEnd?.(m.result);
          break;
        case "done":
          finish(m.verdict);
          break;
      }
    });
    worker.on("error", (err: Error & { code?: string }) => {
      if (err.code === "ERR_WORKER_OUT_OF_MEMORY") stop(`ran out of memory (the limit is ${memoryMb} MB) in case "${current}"`);
      else stop(`the solution crashed the checks in case "${current}": ${err.name}: ${err.message}`);
    });
    worker.on("exit", (code) => stop(`the checks stopped early (exit code ${code}) in case "${current}": does the file call process.exit()?`));
  });
}

/** The worker, with one kernel thread (the cases are tiny). From source it first registers tsx. */
function startWorker(input: WorkerInput, memoryMb: number): Worker {
  const options = { workerData: input, env: { ...process.env, DGPT_THREADS: "1" }, resourceLimits: { maxOldGenerationSizeMb: memoryMb } };
  if (!FROM_SOURCE) return new Worker(new URL("./worker.node.js", import.meta.url), options);
  const tsx = import.meta.resolve("tsx/esm/api");
  const script = new URL("./worker.node.ts", import.meta.url).href;
  return new Worker(`import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(script)}); });`, { ...options, eval: true });
}
