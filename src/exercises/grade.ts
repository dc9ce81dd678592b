// Grading, in this process: run an exercise's cases on a candidate function and collect the
// verdict. Each case runs inside tidy() (its tensors are freed when it ends) and inside a
// try/catch, so a candidate that throws, returns the wrong type or returns garbage gives a failed
// case naming its inputs — never an exception out of grade(). The time limit is not here: a
// synchronous infinite loop cannot be stopped from the same thread; load.node.ts runs grade() in
// a worker thread it can terminate.
import { manualSeed, tidy } from "../index.js";
import { CaseContext, CaseFailure, kindOf } from "./check.js";
import type { AnyExercise, CaseResult, Verdict } from "./types.js";

export interface GradeOptions {
  /** Called as each case starts (the worker reports it, so a time limit can name the case). */
  onCaseStart?: (name: string) => void;
  /** Called with each case's result as it ends. */
  onCaseEnd?: (result: CaseResult) => void;
}

/** The verdict for `candidate` (the value the student's module exported) on every case of `exercise`. */
export function grade(exercise: AnyExercise, candidate: unknown, opts: GradeOptions = {}): Verdict {
  if (typeof candidate !== "function") {
    const problem = candidate === undefined
      ? `the file does not export a function named ${exercise.exportName} (write \`export function ${exercise.exportName}(…)\`)`
      : `${exercise.exportName} should be a function, but the file exports ${kindOf(candidate)}`;
    return { exercise: exercise.name, passed: false, cases: [], problem };
  }
  const cases: CaseResult[] = [];
  for (const c of exercise.cases) {
    opts.onCaseStart?.(c.name);
    const result = runCase(c.name, (t) => c.run(candidate, t));
    cases.push(result);
    opts.onCaseEnd?.(result);
  }
  return { exercise: exercise.name, passed: cases.every((c) => c.ok), cases };
}

/** One case, its failures (or the candidate's throws) turned into a result. */
function runCase(name: string, run: (t: CaseContext) => void): CaseResult {
  const t = new CaseContext();
  try {
    manualSeed(1234); // a candidate that draws from the default generator sees the same numbers every run
    tidy(() => run(t));
    return { name, ok: true, message: "" };
  } catch (err) {
    if (err instanceof CaseFailure) return { name, ok: false, message: err.message, inputs: t.inputs, expected: err.expected, got: err.got };
    // not a check that failed: something broke while looking at the candidate's result
    const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    return { name, ok: false, message: `the check could not use your result: ${text}`, inputs: t.inputs };
  }
}

/** The first failing case, if any. */
export function firstFailure(verdict: Verdict): CaseResult | undefined {
  return verdict.cases.find((c) => !c.ok);
}
