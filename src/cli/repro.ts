// `dgpt repro NAME`: the course's key results, one command each (src/experiments/repro). Each
// reproduction is a subcommand with its own flags beside the common ones; this file runs it,
// prints the paper's figures beside ours, and writes the JSON and the HTML report.
import type { Command } from "commander";
import { HubError } from "../io/hub.node.js";
import { loadModelDir } from "../models/gpt/io.node.js";
import { checksText, getReproduction, ModelUnavailable, REPRODUCTIONS, reproPage, reproRecord, type Reproduction, type ReproContext, type ReproOutput } from "../experiments/repro/index.js";
import { mkdirSync } from "node:fs";
import { dirname, isAbsolute, join, normalize } from "node:path";
import { writeFileAtomic } from "../io/files.node.js";
import { CliExit, defaultOut, dirTokenizer, modelDir, outputDir, readTextFlag, reportPaths, writeReport } from "./common.js";
import { intOption } from "./options.js";
import { progress, type Progress } from "./progress.js";

type Opts = Record<string, string | boolean | undefined>;

/** The flags given on the command line, as a command a reader can rerun (for the report). */
function commandLine(name: string, o: Opts, cmd: Command): string {
  const parts = ["dgpt", "repro", name];
  for (const [k, v] of Object.entries(o)) {
    if (cmd.getOptionValueSource(k) !== "cli") continue;
    parts.push(`--${k.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase())}`);
    if (v !== true) parts.push(/^[\w./=,:-]+$/.test(String(v)) ? String(v) : JSON.stringify(v));
  }
  return parts.join(" ");
}

/** --model for a reproduction: a folder or hub name; a hub model that cannot be had is ModelUnavailable. */
async function loadModel(spec: string): Promise<Awaited<ReturnType<ReproContext["loadModel"]>>> {
  let dir: string;
  try {
    dir = await modelDir(spec);
  } catch (err) {
    const hub = (err instanceof HubError ? err : (err as Error).cause) as HubError | undefined;
    if (hub instanceof HubError && ["network", "timeout", "offline", "not-found", "auth", "gated"].includes(hub.kind)) throw new ModelUnavailable(`${spec} is not in the hub cache and cannot be downloaded here (${hub.message})`, { cause: err });
    throw err;
  }
  const model = await loadModelDir(dir);
  model.eval();
  return { model, tokenizer: dirTokenizer(dir) };
}

async function runRepro(r: Reproduction, o: Opts, cmd: Command): Promise<void> {
  const paths = reportPaths(o); // refuse to replace a report before any work
  const full = o.full === true;
  const seed = intOption(o as Record<string, string>, "seed", 0, 0);
  const own: Record<string, string | boolean | undefined> = {};
  for (const f of r.flags ?? []) {
    const key = cmd.options.find((x) => x.flags === f.flags)!.attributeName();
    own[key] = o[key];
  }
  let bar: { phase: string; p: Progress } | null = null;
  const ctx: ReproContext = {
    full,
    seed,
    options: own,
    progress: (phase, done, total, values = {}) => {
      if (bar?.phase !== phase) {
        bar?.p.stop();
        bar = { phase, p: progress(phase, total) };
      }
      bar.p.update(done, values);
      if (done >= total) {
        bar.p.stop();
        bar = null;
      }
    },
    log: (line) => (bar ? bar.p.log(line) : console.log(line)),
    loadModel,
    reportPath: paths.html,
    readText: (flag, path) => readTextFlag(flag, path),
    claimDir: (flag, path) => outputDir(path, o.overwrite === true, flag),
  };
  console.log(`${r.title} (${r.papers.map((p) => p.cite).join("; ")}), ${full ? "paper's scale" : "quick scale"}: about ${full ? r.minutes.full : r.minutes.quick} min on a 2-core laptop`);
  const t0 = performance.now();
  let out;
  try {
    out = await r.run(ctx);
  } finally {
    (bar as { p: Progress } | null)?.p.stop();
  }
  if (out.skipped !== undefined) {
    console.log(`skipped: ${out.skipped}`);
    return;
  }
  const rec = reproRecord(r, out, { full, seed, seconds: (performance.now() - t0) / 1000 });
  for (const line of checksText(rec)) console.log(line);
  await writeReport(paths, reproPage(r, out, rec, commandLine(r.name, o, cmd)), rec);
  if (out.files) await writeFiles(out.files);
  if (o.strict === true && !rec.passed) throw new CliExit(1);
}

/**
 * A reproduction's extra files, each written atomically into their folder (claimed before the
 * run). Only these files are replaced: whatever else the folder holds stays.
 */
async function writeFiles({ dir, files }: NonNullable<ReproOutput["files"]>): Promise<void> {
  for (const [rel, content] of Object.entries(files)) {
    if (isAbsolute(rel) || normalize(rel).startsWith("..")) throw new Error(`a reproduction's file ${JSON.stringify(rel)} is outside its folder ${dir}`);
    const path = join(dir, rel);
    mkdirSync(dirname(path), { recursive: true });
    await writeFileAtomic(path, typeof content === "string" ? new TextEncoder().encode(content) : content);
  }
  console.log(`wrote ${Object.keys(files).length} files in ${dir}`);
}

function listText(): string {
  const w = Math.max(...REPRODUCTIONS.map((r) => r.name.length));
  return REPRODUCTIONS.map((r) => `${r.name.padEnd(w)}  ${r.title} (${r.papers.map((p) => p.cite).join("; ")}); ~${r.minutes.quick} min, --full ~${r.minutes.full} min`).join("\n");
}

export function registerReproCommands(program: Command): void {
  const repro = program
    .command("repro")
    .description("the field's key results, one command each: train or load, measure, and check against the paper's figures (JSON + HTML report)")
    .argument("[name]", "the reproduction to run (see --list)")
    .option("--list", "list the reproductions")
    .action((name: string | undefined, o: Opts) => {
      if (name !== undefined) getReproduction(name); // not a subcommand: the error lists the names
      if (o.list !== true) {
        repro.outputHelp();
        return;
      }
      console.log(listText());
    });
  repro.command("list").description("list the reproductions").action(() => console.log(listText()));
  for (const r of REPRODUCTIONS) {
    const cmd = repro.command(r.name).description(`${r.title} (${r.papers.map((p) => p.cite).join("; ")}). ${r.summary}`);
    cmd
      .option("--full", `the paper's scale (about ${r.minutes.full} min here) instead of the quick one (about ${r.minutes.quick} min)`)
      .option("--seed <n>", "random seed", "0");
    for (const f of r.flags ?? []) cmd.option(f.flags, f.description, f.default);
    cmd
      .option("--out <file>", "HTML report to write", defaultOut(`repro-${r.name}.html`))
      .option("--json <file>", "the numbers as JSON", defaultOut(`repro-${r.name}.json`))
      .option("--overwrite", "replace --out / --json if they exist")
      .option("--strict", "exit with status 1 when a check fails (for scripts and CI)")
      .action((o: Opts, c: Command) => runRepro(r, o, c));
  }
}
