// What an exercise is, and what checking a solution gives back.
//
// An exercise asks for one exported function. It carries the statement (the math, the signature,
// a tiny example: what `dgpt exercise new` writes into the starter file), the library's own
// implementation of the same function (the reference, called through the public API), and an
// ordered list of cases. Each case builds its inputs, calls the candidate, and compares: shapes
// and dtypes, edge cases, a gradient check, parity with the reference. Grading a candidate
// (grade.ts) runs every case and collects a Verdict.
import type { CaseContext } from "./check.js";

/** The outcome of one case. */
export interface CaseResult {
  name: string;
  ok: boolean;
  /** Why it failed; empty when it passed. */
  message: string;
  /** The inputs that broke it, as text. */
  inputs?: string;
  expected?: string;
  got?: string;
}

/** The outcome of checking one solution. */
export interface Verdict {
  exercise: string;
  /** Every case ran and passed. */
  passed: boolean;
  /** The cases that ran, in order (all of them unless a problem stopped the run). */
  cases: CaseResult[];
  /**
   * What stopped the checks, in plain words: the file does not export the function, does not
   * compile, ran past the time limit, ... Absent when every case ran.
   */
  problem?: string;
}

/** One check: builds its inputs, calls the candidate, throws a CaseFailure (via `t`) when it is wrong. */
export interface CheckCase<F> {
  name: string;
  run(fn: F, t: CaseContext): void;
}

export interface Exercise<F> {
  /** The command-line name: "layernorm". */
  name: string;
  /** The course unit it belongs to. */
  unit: string;
  /** One line: what the student writes. */
  title: string;
  /** The function the student's file must export. */
  exportName: string;
  /** The statement: the math and a tiny example, as comment lines (without the comment markers). */
  doc: string;
  /** The starter file's import line(s). */
  imports: string;
  /** The exported function's header, up to (not including) the opening brace of its body. */
  signature: string;
  /** The library's own implementation, through the public API: what every case compares with. */
  reference: F;
  cases: CheckCase<F>[];
}

/** An exercise of any signature (what the registry holds). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyExercise = Exercise<any>;
