// The synthetic tasks by name, with their options, so that a command line or a saved run can say
// "maze with rows=4, cols=4" and get the same task back: `dgpt train --task maze --task-options
// rows=4,cols=4` saves { name, options, split } beside the model (task.json), and
// `dgpt evals run maze --model DIR` rebuilds that task and its held-out split from it.
import { type AdditionOptions, additionTask } from "./addition.js";
import type { SplitOptions, Task } from "./common.js";
import { type RepeatedTokensOptions, repeatedTokens } from "./induction.js";
import { type MazeOptions, mazeTask } from "./maze.js";
import { type ModOp, modularArithmetic } from "./modular.js";
import { type ParensOptions, balancedParens } from "./parens.js";
import { type SequenceOptions, sequenceTask } from "./sequence.js";

type OptionKind = "int" | "bool" | "string";
export type TaskOptions = Record<string, number | boolean | string>;

interface TaskEntry {
  description: string;
  options: Record<string, { kind: OptionKind; help: string; values?: readonly string[] }>;
  make(options: TaskOptions): Task;
}

const sequenceOptions = {
  nSymbols: { kind: "int", help: "alphabet size (10)" },
  minLength: { kind: "int", help: "shortest sequence (5)" },
  maxLength: { kind: "int", help: "longest sequence (10)" },
} as const;

const TASKS: Record<string, TaskEntry> = {
  modular: {
    description: "a op b mod p, the grokking task: prompt a + b =, answer c",
    options: {
      p: { kind: "int", help: "the modulus (113)" },
      op: { kind: "string", help: "the operation (+)", values: ["+", "-", "*", "/", "x2+y2"] },
      opToken: { kind: "bool", help: "put the operation token between a and b (true)" },
    },
    make: (o) => modularArithmetic({ p: o.p as number | undefined, op: o.op as ModOp | undefined, opToken: o.opToken as boolean | undefined }),
  },
  copy: { description: "copy a random sequence of symbols", options: sequenceOptions, make: (o) => sequenceTask("copy", o as SequenceOptions) },
  reverse: { description: "reverse a random sequence of symbols", options: sequenceOptions, make: (o) => sequenceTask("reverse", o as SequenceOptions) },
  sort: { description: "sort a random sequence of symbols", options: sequenceOptions, make: (o) => sequenceTask("sort", o as SequenceOptions) },
  parens: {
    description: "is a bracket string balanced? answer balanced or unbalanced",
    options: { minLength: { kind: "int", help: "shortest string (2)" }, maxLength: { kind: "int", help: "longest string (16)" } },
    make: (o) => balancedParens(o as ParensOptions),
  },
  maze: {
    description: "a maze as an adjacency list, an origin and a target: answer the path",
    options: { rows: { kind: "int", help: "grid rows (5)" }, cols: { kind: "int", help: "grid columns (5)" } },
    make: (o) => mazeTask(o as MazeOptions),
  },
  "repeated-tokens": {
    description: "random tokens repeated once: the induction-head task",
    options: {
      nSymbols: { kind: "int", help: "distinct tokens (100)" },
      length: { kind: "int", help: "length of the repeated sequence (20)" },
      distinct: { kind: "bool", help: "no repeats inside the sequence (false)" },
    },
    make: (o) => repeatedTokens(o as RepeatedTokensOptions),
  },
  addition: {
    description: "multi-digit addition, digits least-significant first: 3 2 1 + 6 5 4 = answer 9 7 5 <eos>",
    options: {
      minDigits: { kind: "int", help: "shortest operand (1)" },
      maxDigits: { kind: "int", help: "longest operand (5)" },
    },
    make: (o) => additionTask(o as AdditionOptions),
  },
};

/** The names makeTask accepts. */
export const TASK_NAMES: readonly string[] = Object.keys(TASKS);

/** One line per task: its name, what it is, and its options. */
export function describeTasks(): { name: string; description: string; options: string }[] {
  return Object.entries(TASKS).map(([name, t]) => ({
    name,
    description: t.description,
    options: Object.entries(t.options).map(([k, v]) => `${k}: ${v.help}`).join("; "),
  }));
}

function entry(name: string): TaskEntry {
  const t = Object.hasOwn(TASKS, name) ? TASKS[name] : undefined;
  if (!t) throw new Error(`unknown task "${name}"; the tasks are ${TASK_NAMES.join(", ")}`);
  return t;
}

/** Checks options against the task's list (names, kinds, allowed values); returns them unchanged. */
export function checkTaskOptions(name: string, options: Record<string, unknown>, where = "task options"): TaskOptions {
  const t = entry(name);
  for (const [k, v] of Object.entries(options)) {
    const spec = Object.hasOwn(t.options, k) ? t.options[k] : undefined;
    if (!spec) throw new Error(`${where}: ${name} has no option "${k}" (it has ${Object.keys(t.options).join(", ")}; and the split's seed, nTrain, nTest${name === "modular" ? ", trainFraction" : ""})`);
    const ok = spec.kind === "int" ? Number.isSafeInteger(v) : spec.kind === "bool" ? typeof v === "boolean" : typeof v === "string";
    if (!ok) throw new Error(`${where}: ${name}'s ${k} must be ${spec.kind === "int" ? "an integer" : spec.kind === "bool" ? "true or false" : "a string"}, got ${JSON.stringify(v)}`);
    if (spec.values && !spec.values.includes(v as string)) throw new Error(`${where}: ${name}'s ${k} must be one of ${spec.values.join(", ")}, got ${JSON.stringify(v)}`);
  }
  return options as TaskOptions;
}

/** "p=13,op=*" → { p: 13, op: "*" }, typed by the task's option list; errors name the entry. */
export function parseTaskOptions(name: string, text: string, where = "task options"): TaskOptions {
  const t = entry(name);
  const out: TaskOptions = {};
  for (const part of text.split(",").map((s) => s.trim()).filter((s) => s !== "")) {
    const eq = part.indexOf("=");
    if (eq <= 0) throw new Error(`${where}: "${part}" is not key=value (e.g. ${Object.keys(t.options)[0]}=…)`);
    const key = part.slice(0, eq).trim();
    const raw = part.slice(eq + 1).trim();
    const kind = Object.hasOwn(t.options, key) ? t.options[key].kind : "string";
    if (kind === "int") out[key] = raw !== "" && Number.isSafeInteger(Number(raw)) ? Number(raw) : raw;
    else if (kind === "bool") out[key] = raw === "true" ? true : raw === "false" ? false : raw;
    else out[key] = raw;
  }
  return checkTaskOptions(name, out, where);
}

const SPLIT_KEYS = ["seed", "nTrain", "nTest", "trainFraction"] as const;

/**
 * "p=13,op=*,nTrain=500" → the task's options and its split settings (seed, nTrain, nTest,
 * trainFraction: how many examples to train on and hold out), each checked.
 */
export function parseTaskSpec(name: string, text: string, where = "task options"): { options: TaskOptions; split: SplitOptions } {
  const split: Record<string, number> = {};
  const rest: string[] = [];
  for (const part of text.split(",").map((x) => x.trim()).filter((x) => x !== "")) {
    const key = part.split("=")[0].trim();
    if (!(SPLIT_KEYS as readonly string[]).includes(key)) {
      rest.push(part);
      continue;
    }
    const raw = part.slice(part.indexOf("=") + 1).trim();
    const v = Number(raw);
    const ok = raw !== "" && (key === "trainFraction" ? v > 0 && v < 1 : Number.isSafeInteger(v) && v >= 0);
    if (!ok) throw new Error(`${where}: ${key} must be ${key === "trainFraction" ? "a number between 0 and 1" : "a non-negative integer"}, got "${raw}"`);
    split[key] = v;
  }
  return { options: parseTaskOptions(name, rest.join(","), where), split };
}

/** The task called `name`, with options (checked: unknown names and wrong kinds are errors). */
export function makeTask(name: string, options: Record<string, unknown> = {}): Task {
  return entry(name).make(checkTaskOptions(name, options));
}

/** What a run trained on a task saves beside its model (task.json), to rebuild the task and its split. */
export interface TaskRecord {
  name: string;
  options: TaskOptions;
  split: SplitOptions;
}

/** Reads a task.json record (parsed JSON); errors name `where` and the field. */
export function parseTaskRecord(json: unknown, where: string): TaskRecord {
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw new Error(`${where}: expected a JSON object { name, options, split }`);
  const o = json as Record<string, unknown>;
  if (typeof o.name !== "string") throw new Error(`${where}: "name" must be a task name (${TASK_NAMES.join(", ")})`);
  entry(o.name);
  const options = o.options ?? {};
  const split = o.split ?? {};
  if (typeof options !== "object" || options === null || Array.isArray(options)) throw new Error(`${where}: "options" must be an object`);
  if (typeof split !== "object" || split === null || Array.isArray(split)) throw new Error(`${where}: "split" must be an object`);
  for (const [k, v] of Object.entries(split)) {
    if (!["seed", "trainFraction", "nTrain", "nTest"].includes(k) || typeof v !== "number") throw new Error(`${where}: split.${k} is not a split setting (seed, trainFraction, nTrain, nTest are, as numbers)`);
  }
  return { name: o.name, options: checkTaskOptions(o.name, options as Record<string, unknown>, where), split: split as SplitOptions };
}
