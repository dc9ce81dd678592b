// `dgpt evals list` and `dgpt evals run TASK --model M`: a built-in suite or a task.json on any
// model here, with a summary table in the terminal and three files: an HTML page, the results as
// JSON, and every item's prompt, answer and scores as JSONL.
import { existsSync, statSync } from "node:fs";
import { basename, extname, join } from "node:path";
import type { Command } from "commander";
import { describeTasks, parseTaskSpec, type TaskRecord } from "../data/tasks/registry.js";
import { BUILTIN_SUITES, builtinTask, isBuiltinSuite } from "../evals/builtin.js";
import { type EvalResult, evaluateTask } from "../evals/evaluate.js";
import { loadTaskFile } from "../evals/load.node.js";
import { gptEvalModel } from "../evals/model.js";
import type { EvalTask } from "../evals/task.js";
import { writeFileAtomic } from "../io/files.node.js";
import type { Tokenizer } from "../tokenizers/types.js";
import { loadModelDir } from "../models/gpt/io.node.js";
import { defaultOut, forFlag, loadDirTokenizer, MODEL_HELP, modelDir, outputFile, prependBosOption } from "./common.js";
import { intOption } from "./options.js";
import { evalsPage } from "./pages/evals.js";
import { type Progress, progress } from "./progress.js";
import { readTaskRecord } from "./train-task.js";
import { writePlot } from "../plot/files.node.js";

type Opts = Record<string, string | boolean>;

/** A task file when TASK names one (or looks like one), else a built-in suite. */
const isTaskFile = (name: string) => existsSync(name) ? statSync(name).isFile() : /\.json$/i.test(name);

/**
 * The built-in suite with the options and split the model was trained with (its task.json), so a
 * `dgpt train --task` model is evaluated on exactly its held-out examples; --task-options
 * replaces the options.
 */
async function builtinFor(name: string, record: TaskRecord | null, o: Opts, tokenizer: Tokenizer): Promise<EvalTask> {
  const mine = record?.name === name ? record : null;
  if (record && !mine) console.log(`note: the model was trained on the ${record.name} task, not ${name}; ${name} uses its default options`);
  const given = o.taskOptions !== undefined ? parseTaskSpec(name, String(o.taskOptions), "--task-options") : null;
  const options = given ? given.options : (mine?.options ?? {});
  const split = { ...(mine?.split ?? {}), ...(given?.split ?? {}) };
  return forFlag("evals run", name, () => builtinTask(name, { options, split, tokenizer }));
}

/** The output files: --out (the page), --json and --samples, by default beside the page; all checked before any work. */
function outputPaths(o: Opts, taskName: string): { html: string; json: string; samples: string } {
  const overwrite = o.overwrite === true;
  const html = outputFile(String(o.out ?? defaultOut(join("evals", `${taskName}.html`))), overwrite, "--out");
  const stem = html.slice(0, html.length - extname(html).length);
  const json = outputFile(String(o.json ?? `${stem}.json`), overwrite, "--json");
  const samples = outputFile(String(o.samples ?? `${stem}.samples.jsonl`), overwrite, "--samples");
  const same = new Set([html, json, samples]);
  if (same.size < 3) throw new Error("--out, --json and --samples must be three different files");
  return { html, json, samples };
}

const fmt = (x: number | null) => (x === null || !Number.isFinite(x) ? "—" : Math.abs(x) >= 1000 ? x.toExponential(3) : x.toFixed(4));

/** The terminal summary: one row per metric with its 95 % interval. */
export function summaryTable(r: EvalResult): string {
  const rows = r.metrics.map((m) => [m.filter === "none" ? m.metric : `${m.metric} (${m.filter})`, fmt(m.value), `[${fmt(m.ci[0])}, ${fmt(m.ci[1])}]`, fmt(m.stderr), String(m.n)]);
  const head = ["metric", "value", "95 % CI", "stderr", "n"];
  const widths = head.map((h, j) => Math.max(h.length, ...rows.map((row) => row[j].length)));
  const line = (cells: string[]) => cells.map((c, j) => (j === 0 ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join("  ");
  const title = `${r.task} · ${r.model} · ${r.n} items · ${r.num_fewshot}-shot · ${r.output_type} · ${r.seconds.toFixed(1)} s${r.truncated ? ` · ${r.truncated} prompts cut to fit the context` : ""}`;
  return [title, line(head), ...rows.map(line)].join("\n");
}

async function runEvals(taskArg: string, o: Opts): Promise<void> {
  const fromFile = isTaskFile(taskArg);
  if (!fromFile && !isBuiltinSuite(taskArg)) throw new Error(`unknown task "${taskArg}": give a built-in eval (${BUILTIN_SUITES.map((s) => s.name).join(", ")}; see dgpt evals list) or a task.json file`);
  if (fromFile && o.taskOptions !== undefined) throw new Error("--task-options: only the built-in evals take options; a task file holds its own settings");
  const s = o as Record<string, string>;
  const limit = s.limit !== undefined ? intOption(s, "limit", 0, 1) : undefined;
  const numFewshot = s.numFewshot !== undefined ? intOption(s, "numFewshot", 0, 0, 1000) : undefined;
  const seed = intOption(s, "seed", 1234, 0);
  const bootstrapIters = intOption(s, "bootstrapIters", 1000, 1, 1e6);
  const batchSize = intOption(s, "batchSize", 32, 1, 4096);
  // the task file is read first: a bad one is refused before the model loads
  const fileTask = fromFile ? await loadTaskFile(taskArg) : null;
  const paths = outputPaths(o, fileTask ? fileTask.name.replace(/[^\w.-]+/g, "_") : taskArg);
  const dir = await modelDir(String(o.model));
  const tokenizer = loadDirTokenizer(dir);
  const task = fileTask ?? (await builtinFor(taskArg, readTaskRecord(dir), o, tokenizer));
  const model = await loadModelDir(dir);
  const name = basename(dir) === "best" || basename(dir) === "last" ? join(basename(join(dir, "..")), basename(dir)) : String(o.model);
  const lm = gptEvalModel(model, tokenizer, { name, batchSize, seed, ...(o.prependBos === false ? { prependBos: false } : {}) });

  let bar: Progress | null = null;
  const result = await evaluateTask(task, lm, {
    limit,
    numFewshot,
    seed,
    bootstrapIters,
    onProgress: (done, total) => {
      bar ??= progress(`${task.name}`, total);
      bar.update(done, {});
    },
  });
  (bar as Progress | null)?.stop();
  console.log(summaryTable(result));
  const { samples, ...summary } = result;
  await writeFileAtomic(paths.samples, new TextEncoder().encode(samples.map((x) => JSON.stringify(x)).join("\n") + "\n"));
  await writeFileAtomic(paths.json, new TextEncoder().encode(JSON.stringify(summary, null, 1) + "\n"));
  await writePlot(paths.html, evalsPage(result));
  console.log(`wrote ${paths.html}\nwrote ${paths.json}\nwrote ${paths.samples}`);
}

function listEvals(): void {
  const options = new Map(describeTasks().map((t) => [t.name, t.options]));
  console.log("Built-in evals (each on its task's held-out test split; a model trained with `dgpt train --task NAME` is evaluated with the options it was trained with):\n");
  for (const s of BUILTIN_SUITES) {
    console.log(`  ${s.name.padEnd(16)} ${s.description}\n  ${"".padEnd(16)} ${s.outputType}: ${s.metrics.join(", ")}`);
    if (options.get(s.name)) console.log(`  ${"".padEnd(16)} --task-options ${options.get(s.name)}`);
  }
  console.log("\n--task-options also sets the split (seed, nTrain, nTest; trainFraction for modular): the held-out items are those of the split.");
  console.log("Or a task file: dgpt evals run task.json --model M (see README, \"Evals\", for its fields).");
}

export function registerEvalsCommands(program: Command): void {
  const evals = program.command("evals").description("evaluate a model on tasks (lm-evaluation-harness style): built-in suites or your own task.json");
  evals.command("list").description("the built-in evals, their metrics and options").action(() => listEvals());
  evals
    .command("run <task>")
    .description("run a built-in eval (see `dgpt evals list`) or a task.json on a model; prints a summary and writes a page, JSON results and per-item JSONL")
    .requiredOption("--model <dirOrName>", MODEL_HELP)
    .option("--limit <n>", "only the first n items")
    .option("--num-fewshot <k>", "examples in front of each prompt (default: the task's num_fewshot, 0 for the built-ins)")
    .option("--task-options <k=v,...>", "a built-in eval's task options (default: those the model was trained with, else the task's)")
    .option("--seed <n>", "seed of the few-shot draws, sampled generations and the bootstrap", "1234")
    .option("--bootstrap-iters <n>", "bootstrap resamples for the 95 % intervals", "1000")
    .option("--batch-size <n>", "sequences per forward pass when scoring log-likelihoods", "32")
    .addOption(prependBosOption())
    .option("--out <file>", "HTML page (default out/evals/TASK.html)")
    .option("--json <file>", "results as JSON (default beside --out: TASK.json)")
    .option("--samples <file>", "every item's prompt, answer and scores as JSONL (default beside --out: TASK.samples.jsonl)")
    .option("--overwrite", "replace --out, --json and --samples if they exist")
    .action((taskArg: string, o: Opts) => runEvals(taskArg, o));
}
