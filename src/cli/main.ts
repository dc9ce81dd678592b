// The `dgpt` command line. Thin: parse flags, call the library, present the result.
// The Node entry point comes first: relaxed SIMD and worker threads for the kernels.
import "../node.js";
import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { demoFit, demoSpirals } from "./demo.js";
import { registerTokenizeCommands } from "./tokenize.js";
import { registerTrainCommands } from "./train.js";
import { registerNgramCommands } from "./ngram.js";
import { registerInterpCommands } from "./interp.js";
import { registerLessonCommands } from "./lessons.js";
import { registerExportCommand } from "./export.js";
import { registerPullCommand } from "./pull.js";
import { registerSaeCommands } from "./sae.js";
import { registerTmsCommand } from "./tms.js";
import { registerEvalsCommands } from "./evals.js";
import { registerScalingCommands } from "./scaling.js";
import { registerExerciseCommands } from "./exercise.js";
import { registerSteerCommands } from "./steer.js";
import { registerAlignCommands } from "./align.js";
import { registerReproCommands } from "./repro.js";
import { registerServeCommand } from "./serve.js";
import { registerLabCommand } from "./lab.js";
import { CliExit, defaultOut, plainMessage } from "./common.js";

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string };
    return pkg.version;
  } catch {
    return "unknown";
  }
}

export function buildProgram(): Command {
  const program = new Command("dgpt")
    .description("decoding-gpt: build, train and take apart neural networks and GPTs, in TypeScript")
    .version(version())
    .option("--verbose", "on an error, also print where it happened (the stack); DGPT_DEBUG=1 does the same")
    .showHelpAfterError()
    .exitOverride();
  const demo = program.command("demo").description("small end-to-end demos that train in seconds");
  demo
    .command("fit")
    .description("universal function approximation: an MLP fits a 1-D function")
    .option("--target <name>", "sin | abs | step | square | sawtooth | gauss", "sin")
    .option("--hidden <n>", "hidden units per layer", "32")
    .option("--layers <n>", "hidden layers", "2")
    .option("--steps <n>", "training steps", "1000")
    .option("--lr <x>", "Adam learning rate", "0.01")
    .option("--seed <n>", "random seed", "0")
    .option("--out <file>", "HTML file for the plots", defaultOut("fit.html"))
    .option("--overwrite", "replace --out if it exists")
    .action((opts: Record<string, string>) => demoFit(opts));
  demo
    .command("spirals")
    .description("a 2-D spirals classifier: loss falls, accuracy rises, decision regions plotted")
    .option("--classes <n>", "number of spiral arms", "3")
    .option("--points <n>", "points per class", "100")
    .option("--hidden <n>", "hidden units", "64")
    .option("--steps <n>", "training steps", "500")
    .option("--lr <x>", "Adam learning rate", "0.01")
    .option("--seed <n>", "random seed", "0")
    .option("--out <file>", "HTML file for the plots", defaultOut("spirals.html"))
    .option("--overwrite", "replace --out if it exists")
    .action((opts: Record<string, string>) => demoSpirals(opts));
  registerTrainCommands(program);
  registerTokenizeCommands(program);
  registerNgramCommands(program);
  registerInterpCommands(program);
  registerLessonCommands(program);
  registerExportCommand(program);
  registerPullCommand(program);
  registerSaeCommands(program);
  registerTmsCommand(program);
  registerEvalsCommands(program);
  registerScalingCommands(program);
  registerExerciseCommands(program);
  registerSteerCommands(program);
  registerAlignCommands(program);
  registerReproCommands(program);
  registerServeCommand(program);
  registerLabCommand(program);
  return program;
}

/** An error for the terminal: file-system errors in plain words (Node's say "ENOENT: no such file or directory, open 'x'"). */
function describeError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const path = e?.path ? ` ${e.path}` : "";
  switch (e?.code) {
    case "ENOENT": return `no such file or folder:${path}`;
    case "EACCES": case "EPERM": return `permission denied:${path}`;
    case "EISDIR": return `${path.trim()} is a folder, not a file`;
    case "ENOTDIR": return `${path.trim()}: a part of this path is not a folder`;
    case "ENOSPC": return `no space left on the disk (writing${path})`;
    default: return plainMessage(err);
  }
}

/** Runs the CLI; returns the exit code instead of exiting, so tests can call it. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: "user" });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander has printed the message (or the help / version) already
      return err.exitCode;
    }
    if (err instanceof CliExit) return err.code; // the command has said why
    console.error(`dgpt: ${describeError(err)}`);
    if (program.opts().verbose || process.env.DGPT_DEBUG) console.error(err instanceof Error ? err.stack : err);
    return 1;
  }
}
