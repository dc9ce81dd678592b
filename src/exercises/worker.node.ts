// The worker thread that grades one solution (started by load.node.ts): loads the library, says
// "ready" (the parent starts the time limit), imports the compiled solution, runs the cases and
// reports each one as it starts and ends, then the verdict.
import "../node.js";
import { parentPort, workerData } from "node:worker_threads";
import { grade } from "./grade.js";
import type { WorkerInput, WorkerMessage } from "./load.node.js";
import { exerciseByName } from "./registry.js";
import type { Verdict } from "./types.js";

const { exercise: name, moduleUrl } = workerData as WorkerInput;
const post = (m: WorkerMessage) => parentPort!.postMessage(m);
const exercise = exerciseByName(name);

async function main(): Promise<Verdict> {
  post({ kind: "ready" });
  let module: Record<string, unknown>;
  try {
    module = (await import(moduleUrl)) as Record<string, unknown>;
  } catch (err) {
    const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    return { exercise: name, passed: false, cases: [], problem: `loading the file threw ${text}` };
  }
  const verdict = grade(exercise, module[exercise.exportName], {
    onCaseStart: (caseName) => post({ kind: "start", name: caseName }),
    onCaseEnd: (result) => post({ kind: "case", result }),
  });
  const others = Object.keys(module).filter((k) => k !== exercise.exportName);
  if (verdict.problem && others.length > 0) verdict.problem += ` (it exports: ${others.join(", ")})`;
  return verdict;
}

post({ kind: "done", verdict: await main() });
