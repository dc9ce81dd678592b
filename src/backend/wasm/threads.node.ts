// Node's way to start kernel workers: worker_threads running the pool's script with eval.
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { SpawnWorker } from "./pool.js";

export const spawnNodeWorker: SpawnWorker = (source, init) => {
  const w = new Worker(source, { eval: true, workerData: init });
  w.unref(); // idle kernel workers must not keep the process alive
  return { terminate: () => void w.terminate() };
};

export function defaultThreads(): number {
  return Math.max(1, availableParallelism());
}
