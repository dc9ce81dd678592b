// `dgpt exercise list | new NAME | check NAME FILE.ts`: the course's exercises. `new` writes a
// starter file (the statement, the signature, a body to fill in); `check` grades a solution in a
// worker with a time limit and prints each case, then the first failure with its inputs.
import { existsSync } from "node:fs";
import { basename, relative } from "node:path";
import type { Command } from "commander";
import { EXERCISES, exerciseByName, starterSource, type CaseResult, type Verdict } from "../exercises/index.js";
import { writeFileAtomic } from "../io/files.node.js";
import { CliExit, outputFile } from "./common.js";
import { numberOption } from "./options.js";

export function registerExerciseCommands(program: Command): void {
  const exercise = program.command("exercise").description("course exercises: write one function, and have it checked (shapes, edge cases, gradients, parity with the library)");
  exercise
    .command("list")
    .description("the exercises, unit by unit")
    .action(() => listExercises());
  exercise
    .command("new <name>")
    .description("write a starter file: the statement with its math, the signature, a body to fill in")
    .option("--out <file>", "where to write it (default: NAME.ts in this folder)")
    .option("--overwrite", "replace --out if it exists")
    .action((name: string, opts: Record<string, string>) => newExercise(name, opts));
  exercise
    .command("check <name> <file>")
    .description("check a solution file (TypeScript; it imports the library as \"decoding-gpt\")")
    .option("--timeout <seconds>", "how long the solution may run, all cases together", "60")
    .action((name: string, file: string, opts: Record<string, string>) => checkExercise(name, file, opts));
}

function listExercises(): void {
  let unit = "";
  const width = Math.max(...EXERCISES.map((e) => e.name.length));
  for (const ex of EXERCISES) {
    if (ex.unit !== unit) {
      unit = ex.unit;
      console.log(`${unit}`);
    }
    console.log(`  ${ex.name.padEnd(width)}  ${ex.title}`);
  }
  console.log("\nStart one with: npx dgpt exercise new NAME");
}

async function newExercise(name: string, opts: Record<string, string>): Promise<void> {
  const ex = exerciseByName(name);
  const path = outputFile(opts.out ?? `${ex.name}.ts`, Boolean(opts.overwrite));
  await writeFileAtomic(path, new TextEncoder().encode(starterSource(ex, basename(path))));
  console.log(`wrote ${path}`);
  console.log(`Write ${ex.exportName} in it, then check it with: npx dgpt exercise check ${ex.name} ${shortPath(path)}`);
}

async function checkExercise(name: string, file: string, opts: Record<string, string>): Promise<void> {
  const ex = exerciseByName(name);
  const timeoutSeconds = numberOption(opts, "timeout", 60);
  if (!(timeoutSeconds > 0)) throw new Error(`--timeout: expected a positive number of seconds, got "${opts.timeout}"`);
  if (!existsSync(file)) throw new Error(`no such file: ${file}`);
  console.log(`${ex.name}: ${ex.title}`);
  const { checkFile } = await import("../exercises/load.node.js"); // esbuild loads only when a check runs
  const verdict = await checkFile(ex.name, file, { timeoutSeconds, onCaseEnd: (c) => console.log(`  ${c.ok ? "✓" : "✗"} ${c.name}`) });
  report(verdict, ex.cases.length);
  if (!verdict.passed) throw new CliExit(1);
}

/** After the live ✓/✗ lines: what stopped the run, or the first failure in full, and a count. */
function report(verdict: Verdict, total: number): void {
  const passed = verdict.cases.filter((c) => c.ok).length;
  if (verdict.problem) {
    console.log(`\n✗ ${verdict.problem}`);
  } else {
    const first = verdict.cases.find((c) => !c.ok);
    if (first) printFailure(first);
  }
  console.log(`\n${passed} of ${total} checks passed.${verdict.passed ? " Well done." : ""}`);
}

function printFailure(c: CaseResult): void {
  console.log(`\nFirst failure: ${c.name}`);
  console.log(`  ${c.message}`);
  if (c.inputs) console.log(`  inputs:\n${indent(c.inputs, 4)}`);
  if (c.expected !== undefined) console.log(`  expected: ${c.expected}`);
  if (c.got !== undefined) console.log(`  got:      ${c.got}`);
}

const indent = (text: string, n: number) => text.split("\n").map((l) => " ".repeat(n) + l).join("\n");

/** The path as the user would type it: relative when under the current folder. */
function shortPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith("..") ? rel : path;
}
