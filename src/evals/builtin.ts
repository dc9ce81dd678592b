// Built-in eval suites, one per synthetic task (src/data/tasks): the task's held-out test split
// as items, its training split as the pool of few-shot examples, and each task's tokens written
// as text with spaces between them (taskText) — exactly what the tokenizer of a model trained on
// the task (`dgpt train --task`) reads back into the training ids, and plain text any pretrained
// model can read too.
//
//   modular, repeated-tokens  loglikelihood: acc = the answer is the greedy continuation
//                             (every answer token the argmax), and perplexity of the answer
//   copy, reverse, sort,      generate_until "<eos>": exact match of the generated sequence
//   addition
//   parens                    multiple_choice between "balanced" and "unbalanced": acc, acc_norm
//   maze                      generate_until "<PATH_END>": valid_path, reaches_goal, is_shortest
import type { SplitOptions, Task, TaskExample } from "../data/tasks/common.js";
import { makeTask, TASK_NAMES, type TaskOptions } from "../data/tasks/registry.js";
import { taskText } from "../data/tasks/text.js";
import type { Tokenizer } from "../tokenizers/types.js";
import type { TaskConfig } from "./config.js";
import { mazeChecker } from "./maze.js";
import { type Checker, defineTask, type Doc, type EvalTask } from "./task.js";

export interface BuiltinSuite {
  name: string;
  description: string;
  outputType: TaskConfig["output_type"];
  metrics: readonly string[];
}

const SUITES: Record<string, Omit<BuiltinSuite, "name">> = {
  modular: { description: "a op b mod p: is the answer the greedy continuation?", outputType: "loglikelihood", metrics: ["acc", "perplexity"] },
  copy: { description: "copy a sequence: exact match of the generation", outputType: "generate_until", metrics: ["exact_match"] },
  reverse: { description: "reverse a sequence: exact match of the generation", outputType: "generate_until", metrics: ["exact_match"] },
  sort: { description: "sort a sequence: exact match of the generation", outputType: "generate_until", metrics: ["exact_match"] },
  addition: { description: "a + b, digits least-significant first: exact match of the generated sum", outputType: "generate_until", metrics: ["exact_match"] },
  parens: { description: "balanced or unbalanced? multiple choice", outputType: "multiple_choice", metrics: ["acc", "acc_norm"] },
  maze: { description: "the path through a maze: valid, reaches the goal, shortest", outputType: "generate_until", metrics: mazeChecker.metrics },
  "repeated-tokens": { description: "the second copy of random tokens: is it the greedy continuation?", outputType: "loglikelihood", metrics: ["acc", "perplexity"] },
};

/** The built-in suites, in the order `dgpt evals list` shows them. */
export const BUILTIN_SUITES: readonly BuiltinSuite[] = TASK_NAMES.filter((n) => Object.hasOwn(SUITES, n)).map((name) => ({ name, ...SUITES[name] }));

export const isBuiltinSuite = (name: string): boolean => Object.hasOwn(SUITES, name);

export interface BuiltinTaskOptions {
  /** The task's options (e.g. { p: 13 } for modular); default the task's defaults. */
  options?: TaskOptions;
  /** The train/test split (the seed and sizes a model was trained with); default the task's. */
  split?: SplitOptions;
  /**
   * The model's tokenizer: sets generate_until's max_gen_toks to the longest answer in its
   * tokens (a BPE model writes "(0,1)" in several). Without it, one token per task token.
   */
  tokenizer?: Tokenizer;
}

/** An example as an item: its prompt and answer as text, and the task's own fields (a, b, edges, …). */
function toDoc(task: Task, e: TaskExample): Doc {
  const { tokens: _t, prompt, answer, answerMask: _m, ...fields } = e as TaskExample & Record<string, unknown>;
  return { prompt: taskText(task, prompt), answer: taskText(task, answer), ...fields };
}

/** The answer without its final end token (<eos>, <PATH_END>): what a generation cut at that token leaves. */
function withoutEnd(task: Task, e: TaskExample): string {
  return taskText(task, e.answer.slice(0, -1));
}

/** The built-in suite `name` (see BUILTIN_SUITES) as a task. */
export function builtinTask(name: string, opts: BuiltinTaskOptions = {}): EvalTask {
  if (!isBuiltinSuite(name)) throw new Error(`unknown built-in eval "${name}"; the built-in evals are ${BUILTIN_SUITES.map((s) => s.name).join(", ")}`);
  const task = makeTask(name, opts.options ?? {});
  const { train, test } = task.split(opts.split ?? {});
  if (test.length === 0) throw new Error(`${name}: the split left no test items`);
  const base = { task: name, doc_to_text: "{{prompt}}", target_delimiter: " ", fewshot_delimiter: "\n" };
  const docs = (list: TaskExample[], extra: (e: TaskExample) => Doc = () => ({})) => list.map((e) => ({ ...toDoc(task, e), ...extra(e) }));
  // the longest answer (and its end token) in the model's tokens, with room for one more
  const answerTokens = (texts: string[]) => 1 + Math.max(...texts.map((s) => (opts.tokenizer ? opts.tokenizer.encode(" " + s).length : s.split(" ").length)));
  let config: TaskConfig;
  let checker: Checker | undefined;
  let extra: (e: TaskExample) => Doc = () => ({});
  switch (name) {
    case "modular":
    case "repeated-tokens":
      config = { ...base, output_type: "loglikelihood", doc_to_target: "{{answer}}" };
      break;
    case "parens":
      config = { ...base, output_type: "multiple_choice", doc_to_target: "{{answer}}", doc_to_choice: ["balanced", "unbalanced"] };
      break;
    case "maze":
      extra = (e) => ({ solution: withoutEnd(task, e) });
      checker = mazeChecker;
      config = {
        ...base,
        output_type: "generate_until",
        doc_to_target: "{{solution}}",
        generation_kwargs: { until: ["<PATH_END>", "\n"], max_gen_toks: answerTokens(test.map((e) => taskText(task, e.answer))) },
        metric_list: mazeChecker.metrics.map((metric) => ({ metric })),
      };
      break;
    default: // copy, reverse, sort, addition
      extra = (e) => ({ output: withoutEnd(task, e) });
      config = {
        ...base,
        output_type: "generate_until",
        doc_to_target: "{{output}}",
        generation_kwargs: { until: ["<eos>", "\n"], max_gen_toks: answerTokens(test.map((e) => taskText(task, e.answer))) },
        metric_list: [{ metric: "exact_match" }],
      };
  }
  return defineTask(config, docs(test, extra), {
    where: test.map((_, i) => `${name} test item ${i + 1}`),
    fewshotDocs: docs(train, extra),
    fewshotWhere: train.map((_, i) => `${name} train item ${i + 1}`),
    ...(checker ? { checker } : {}),
    locate: (f) => `built-in ${name}: ${f}`,
  });
}
