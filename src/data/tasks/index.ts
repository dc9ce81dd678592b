// Synthetic tasks: each a seeded generator with a train/test split and an exact-answer metric.
export * from "./common.js";
export { modularArithmetic, modApply, modInverse, isPrime, type ModOp, type ModularOptions, type ModularExample } from "./modular.js";
export { sequenceTask, copyTask, reverseTask, sortTask, type SequenceKind, type SequenceOptions, type SequenceExample } from "./sequence.js";
export { repeatedTokens, type RepeatedTokensOptions, type RepeatedTokensExample } from "./induction.js";
export { balancedParens, isBalanced, type ParensOptions, type ParensExample, type UnbalancedKind } from "./parens.js";
export { mazeTask, generateMazeEdges, shortestPath, type MazeOptions, type MazeExample } from "./maze.js";
export { additionTask, addDecimal, randomDigits, ADDITION_DIGIT_IDS, type AdditionOptions, type AdditionExample } from "./addition.js";
export { TASK_NAMES, makeTask, parseTaskOptions, parseTaskSpec, checkTaskOptions, describeTasks, parseTaskRecord, type TaskOptions, type TaskRecord } from "./registry.js";
export { taskText, taskTokenizer } from "./text.js";
