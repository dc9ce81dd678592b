// Exercises for the course: statements, starter files and the checks that grade a solution.
// (Loading a student's TypeScript file and grading it in a worker with a time limit is Node-only:
// load.node.ts.)
export { EXERCISES, exerciseByName } from "./registry.js";
export { grade, firstFailure, type GradeOptions } from "./grade.js";
export { starterSource } from "./starter.js";
export { CaseContext, CaseFailure } from "./check.js";
export type { AnyExercise, CaseResult, CheckCase, Exercise, Verdict } from "./types.js";
