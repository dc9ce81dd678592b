// `dgpt scaling sweep | fit | chinchilla | count`: scaling laws from the command line. Thin: read
// flags, call src/scaling, print, write the runs, the JSON and the pages.
import { existsSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { loadCorpus } from "../data/corpus.node.js";
import { writeFileAtomic } from "../io/files.node.js";
import { writePlot } from "../plot/files.node.js";
import { analyzeRuns, type ScalingAnalysis } from "../scaling/analysis.js";
import { chinchillaOptimal, CHINCHILLA } from "../scaling/chinchilla.js";
import { chinchillaFlops, countParameters, kaplanFlops } from "../scaling/counting.js";
import { optimalExponents } from "../scaling/law.js";
import { CHINCHILLA_GRID, COARSE_GRID } from "../scaling/fit.js";
import { parseRuns, type ParamCount } from "../scaling/runs.js";
import { DEFAULT_SWEEP_SETTINGS, parseSize, planGrid, planIsoFlop, SWEEP_ARCHITECTURE, type ModelSize, type PlannedRun, type SweepSettings } from "../experiments/scaling-sweep.js";
import { runSweep, type SweepManifest } from "../experiments/scaling-sweep.node.js";
import { CharTokenizer } from "../tokenizers/char.js";
import { gpt2Tokenizer } from "../tokenizers/gpt2.js";
import type { Tokenizer } from "../tokenizers/types.js";
import { WordTokenizer } from "../tokenizers/word.js";
import { defaultOut, encodeText, forFlag, LOCAL_DATA, outputDir, outputFile, replaceInvalidUtf8Option } from "./common.js";
import { intOption, numberOption } from "./options.js";
import { fmt, scalingFitPage, scalingSummary, scalingSweepPage } from "./pages/scaling.js";
import { progress } from "./progress.js";

type Opts = Record<string, string>;

const SUFFIX: Record<string, number> = { k: 1e3, K: 1e3, m: 1e6, M: 1e6, g: 1e9, G: 1e9, b: 1e9, B: 1e9 };

/** "64k", "1.5M", "3e11", "262144": a positive amount; the error names the flag. */
export function parseAmount(text: string, flag: string, what: string): number {
  const m = /^\s*([0-9]*\.?[0-9]+(?:e[+-]?\d+)?)\s*([kKmMgGbB])?\s*$/.exec(text);
  const v = m ? Number(m[1]) * (m[2] ? SUFFIX[m[2]]! : 1) : NaN;
  if (!m || !(v > 0) || !Number.isFinite(v)) {
    const neg = /^\s*-/.test(text) ? " (it is negative)" : "";
    throw new Error(`${flag}: "${text}" is not a positive number of ${what}${neg}; write e.g. 64k, 1.5M or 3e11`);
  }
  return v;
}

/** A comma-separated list of amounts. */
export const parseAmounts = (text: string, flag: string, what: string): number[] => String(text).split(",").map((t) => parseAmount(t, flag, what));

function sweepTokenizer(kind: string, text: string): Tokenizer {
  if (kind === "char") return CharTokenizer.fromText(text);
  if (kind === "word") return WordTokenizer.fromText(text, { maxVocab: 20000 });
  if (kind === "gpt2") return gpt2Tokenizer();
  throw new Error(`--tokenizer must be char, word or gpt2, got "${kind}"`);
}

const sizeName = (s: ModelSize) => `${s.nLayers}x${s.dModel}x${s.nHeads}`;

async function sweepCommand(o: Opts & { resume?: boolean; overwrite?: boolean }): Promise<void> {
  if (o.resume && o.overwrite) throw new Error("--resume and --overwrite contradict each other: continue the sweep, or replace it");
  if ((o.tokens === undefined) === (o.budgets === undefined)) throw new Error("give either --tokens (a grid of sizes × token counts) or --budgets (IsoFLOP: for each budget, every size with D = C/6N), not both");
  const sizes = forFlagSync("--sizes", o.sizes, () => String(o.sizes).split(",").map(parseSize));
  const settings: SweepSettings = {
    batchSize: intOption(o, "batchSize", DEFAULT_SWEEP_SETTINGS.batchSize, 1, 4096),
    blockSize: intOption(o, "blockSize", DEFAULT_SWEEP_SETTINGS.blockSize, 2, 4096),
    lr: numberOption(o, "lr", DEFAULT_SWEEP_SETTINGS.lr),
    evalBatches: intOption(o, "evalBatches", DEFAULT_SWEEP_SETTINGS.evalBatches, 1, 100000),
    seed: intOption(o, "seed", DEFAULT_SWEEP_SETTINGS.seed, 0),
  };
  if (!(settings.lr > 0 && settings.lr < 1)) throw new Error(`--lr: expected a learning rate in (0, 1), got "${o.lr}"`);
  const tokens = o.tokens !== undefined ? parseAmounts(o.tokens, "--tokens", "tokens") : null;
  const budgets = o.budgets !== undefined ? parseAmounts(o.budgets, "--budgets", "FLOPs") : null;
  const minSteps = intOption(o, "minSteps", 10, 1);
  // the folder is checked before the corpus is read (a refusal costs nothing)
  const out = resolve(o.out);
  const held = ["runs.jsonl", "sweep.json"].filter((f) => existsSync(join(out, f)));
  if (!o.resume && !o.overwrite && held.length > 0) throw new Error(`--out ${out} already holds a sweep (${held.join(", ")}); add --resume to continue it (the runs already there are skipped), --overwrite to replace it, or choose another --out`);
  if (!o.resume) outputDir(out, held.length > 0 || o.overwrite === true ? true : undefined);
  else if (!existsSync(join(out, "sweep.json"))) throw new Error(`--resume: ${out} holds no sweep (no sweep.json); leave out --resume to start one there`);
  const corpus = await forFlag("--data", o.data, () => loadCorpus(o.data, { localDirs: LOCAL_DATA, invalid: o.replaceInvalidUtf8 ? "replace" : "error" }));
  const tokenizer = await forFlag("--tokenizer", o.tokenizer, () => sweepTokenizer(o.tokenizer, corpus.text));
  const ids = Int32Array.from(encodeText(tokenizer, corpus.text, "--data"));
  const val = ids.length - Math.floor(ids.length * 0.9);
  if (val <= settings.blockSize) throw new Error(`--data ${o.data}: its held-out part (last 10%) has ${val} tokens, too few for windows of --block-size ${settings.blockSize} + 1`);
  let plans: PlannedRun[];
  if (tokens) plans = forFlagSync("--tokens", o.tokens, () => planGrid(sizes, tokens, settings));
  else {
    const planned = planIsoFlop(sizes, budgets!, settings, tokenizer.vocabSize, minSteps);
    for (const s of planned.skipped) console.log(`skipping ${sizeName(s.size)} at C = ${fmt(s.budget)}: D = C/6N is ${s.steps} steps (under --min-steps ${minSteps})`);
    if (planned.plans.length === 0) throw new Error("--budgets: every run would be shorter than --min-steps; give larger budgets or smaller --sizes");
    plans = planned.plans;
  }
  const trainTokens = Math.floor(ids.length * 0.9);
  const manifest: SweepManifest = { data: corpus.name, tokenizer: o.tokenizer, vocabSize: tokenizer.vocabSize, settings, architecture: SWEEP_ARCHITECTURE };
  console.log(`data: ${corpus.name} (${corpus.path}), ${ids.length} ${tokenizer.kind} tokens (train ${trainTokens}), vocabulary ${tokenizer.vocabSize}`);
  for (const s of sizes) {
    const c = countParameters({ n_layers: s.nLayers, d_model: s.dModel, n_heads: s.nHeads, d_vocab: tokenizer.vocabSize, n_ctx: settings.blockSize, ...SWEEP_ARCHITECTURE });
    console.log(`  ${sizeName(s)}: N ${fmt(c.total)} parameters (${fmt(c.nonEmbedding)} without embeddings)`);
  }
  const maxTokens = Math.max(...plans.map((p) => p.tokens));
  console.log(`${plans.length} runs, ${fmt(plans.reduce((s, p) => s + p.tokens, 0))} training tokens in all${maxTokens > trainTokens ? ` (the longest run sees the training text ${(maxTokens / trainTokens).toFixed(1)} times)` : ""}; batch ${settings.batchSize} × ${settings.blockSize}, lr ${settings.lr}`);
  console.log("Ctrl-C stops the sweep; the runs finished are in runs.jsonl, and --resume continues with the rest.");
  let bar: ReturnType<typeof progress> | null = null;
  const runs = await runSweep(plans, ids, manifest, {
    outDir: out,
    resume: o.resume === true,
    overwrite: o.overwrite === true,
    onSkip: (r, i, n) => console.log(`[${i + 1}/${n}] ${r.id}: in runs.jsonl already (val loss ${r.valLoss.toFixed(4)})`),
    onRunStart: (p, i, n) => {
      bar = progress(`[${i + 1}/${n}] ${sizeName(p.size)} D ${fmt(p.tokens)}${p.budget !== null ? ` C ${fmt(p.budget)}` : ""}`, p.steps);
    },
    onStep: (_p, step, loss) => bar?.update(step, { loss }),
    onRunEnd: (r, i, n) => {
      bar?.stop();
      bar = null;
      console.log(`[${i + 1}/${n}] ${r.id}: N ${fmt(r.params)}, D ${fmt(r.tokens)}, C ${fmt(r.flops6ND)}: val loss ${r.valLoss.toFixed(4)} (train ${r.trainLoss.toFixed(4)}) in ${r.seconds.toFixed(1)} s`);
    },
  });
  const setup = `${corpus.name}, ${tokenizer.kind} tokenizer (vocabulary ${tokenizer.vocabSize}); batch ${settings.batchSize} × block ${settings.blockSize}; AdamW lr ${settings.lr}, warmup a tenth of the steps (at most 100), cosine to lr/10 over each run; held-out loss over ${settings.evalBatches} batches; seed ${settings.seed}.`;
  await writePlot(join(out, "sweep.html"), scalingSweepPage(runs, setup));
  console.log(`wrote ${join(out, "runs.jsonl")} (${runs.length} runs)\nwrote ${join(out, "sweep.html")}\nfit a law: dgpt scaling fit --runs ${join(out, "runs.jsonl")}`);
}

function forFlagSync<T>(flag: string, value: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw new Error(`${flag} ${value}: ${(err as Error).message}`, { cause: err });
  }
}

/** The analysis as JSON: every number of the summary, the runs, and the bootstrap's laws. */
function analysisJson(a: ScalingAnalysis): Record<string, unknown> {
  return { ...a, exponents: optimalExponents(a.fit.law) };
}

async function fitCommand(o: Opts & { overwrite?: boolean }): Promise<void> {
  const count = o.count as ParamCount;
  if (count !== "total" && count !== "non-embedding") throw new Error(`--count must be total (Chinchilla: every parameter) or non-embedding (Kaplan), got "${o.count}"`);
  const samples = intOption(o, "bootstrap", 200, 0, 100000);
  const seed = intOption(o, "seed", 0, 0);
  const budgets = o.budgets !== undefined ? parseAmounts(o.budgets, "--budgets", "FLOPs") : undefined;
  if (o.starts !== "paper" && o.starts !== "coarse") throw new Error(`--starts must be paper (4500 starts) or coarse (432), got "${o.starts}"`);
  let path = resolve(o.runs);
  if (existsSync(path) && statSync(path).isDirectory()) path = join(path, "runs.jsonl");
  const html = outputFile(o.out, o.overwrite, "--out");
  const json = outputFile(o.json, o.overwrite, "--json");
  const all = parseRuns(await readFile(path, "utf8"), path);
  const minTokens = o.minTokens !== undefined ? parseAmount(o.minTokens, "--min-tokens", "tokens") : 0;
  const runs = all.filter((r) => r.tokens >= minTokens);
  if (runs.length < all.length) console.log(`leaving out ${all.length - runs.length} runs shorter than --min-tokens ${o.minTokens}`);
  if (runs.length < 5) throw new Error(`--runs ${path}: ${runs.length} run${runs.length === 1 ? "" : "s"}; the law has 5 unknowns (E, A, B, α, β), so it needs at least 5`);
  const bar = samples > 0 ? progress("bootstrap", samples) : null;
  console.log(`fitting ${runs.length} runs from ${path}`);
  const analysis = analyzeRuns(runs, { count, bootstrap: samples, seed, budgets, starts: o.starts === "coarse" ? COARSE_GRID : CHINCHILLA_GRID, onSample: (done) => bar?.update(done, {}) });
  bar?.stop();
  console.log(scalingSummary(analysis));
  await writePlot(html, scalingFitPage(analysis, `runs: ${path}`));
  console.log(`wrote ${html}`);
  await writeFileAtomic(json, new TextEncoder().encode(JSON.stringify(analysisJson(analysis), null, 1) + "\n"));
  console.log(`wrote ${json}`);
}

function chinchillaCommand(o: Opts): void {
  const budgets = parseAmounts(o.compute, "--compute", "FLOPs");
  const { a, b } = optimalExponents(CHINCHILLA);
  const rows = budgets.map((C) => chinchillaOptimal(C));
  if (o.json) {
    console.log(JSON.stringify({ law: CHINCHILLA, a, b, optimal: rows }));
    return;
  }
  console.log(`Chinchilla's published law (Hoffmann et al. 2022, approach 3): L(N, D) = ${CHINCHILLA.E} + ${CHINCHILLA.A}/N^${CHINCHILLA.alpha} + ${CHINCHILLA.B}/D^${CHINCHILLA.beta}`);
  console.log(`compute-optimal with C = 6ND: N_opt ∝ C^${a.toFixed(3)}, D_opt ∝ C^${b.toFixed(3)}`);
  for (const r of rows) console.log(`C = ${fmt(r.C)} FLOPs: N_opt ${fmt(r.N)} parameters, D_opt ${fmt(r.D)} tokens, ${r.tokensPerParameter.toFixed(1)} tokens per parameter, predicted loss ${r.loss.toFixed(3)}`);
  console.log("(approaches 1 and 2 of the paper give ~20 tokens per parameter — Chinchilla itself is 70B on 1.4T; this fit's rounded coefficients give smaller models and more tokens per parameter)");
}

function countCommand(o: Opts): void {
  const cfg = {
    n_layers: intOption(o, "nLayers", 0, 0, 1000),
    d_model: intOption(o, "dModel", 0, 1, 1 << 20),
    n_heads: intOption(o, "nHeads", 0, 1, 1 << 16),
    d_vocab: intOption(o, "vocab", 0, 1, 1 << 24),
    n_ctx: intOption(o, "context", 0, 1, 1 << 24),
    tie_embeddings: o.tied !== undefined,
  };
  const p = countParameters(cfg);
  const f = chinchillaFlops(cfg);
  const k = kaplanFlops(cfg);
  console.log(JSON.stringify({ config: cfg, parameters: p, flopsPerToken: { sixN: 6 * p.total, sixNNonEmbedding: 6 * p.nonEmbedding, chinchilla: f, kaplan: k } }, null, 1));
}

export function registerScalingCommands(program: Command): void {
  const scaling = program.command("scaling").description("scaling laws: sweeps of small GPTs, Chinchilla fits (approaches 2 and 3), compute-optimal sizes");
  scaling
    .command("sweep")
    .description("train a grid of small GPTs (sizes × tokens, or IsoFLOP budgets) and record their final losses in DIR/runs.jsonl")
    .option("--data <fileOrName>", "a text file, or tinyshakespeare | tinystories", "tinyshakespeare")
    .addOption(replaceInvalidUtf8Option())
    .option("--tokenizer <kind>", "char | word | gpt2", "char")
    .requiredOption("--sizes <list>", "model sizes, layers x d_model[x heads], e.g. 1x32,2x48,2x64,3x96 (one head per 32 dimensions unless given)")
    .option("--tokens <list>", "training tokens per run, e.g. 64k,128k,256k (a grid: every size on every count)")
    .option("--budgets <list>", "IsoFLOP budgets C in FLOPs, e.g. 1e11,3e11 (every size with D = C/6N, N counting every parameter)")
    .option("--min-steps <n>", "with --budgets: leave out runs shorter than this", "10")
    .option("--batch-size <n>", "sequences per step", String(DEFAULT_SWEEP_SETTINGS.batchSize))
    .option("--block-size <n>", "context length (the models' n_ctx)", String(DEFAULT_SWEEP_SETTINGS.blockSize))
    .option("--lr <x>", "peak learning rate (cosine to a tenth over each run)", String(DEFAULT_SWEEP_SETTINGS.lr))
    .option("--eval-batches <n>", "held-out batches for each run's final loss (the same for every run)", String(DEFAULT_SWEEP_SETTINGS.evalBatches))
    .option("--seed <n>", "seed of the initialisation and of the batches (the same for every run)", String(DEFAULT_SWEEP_SETTINGS.seed))
    .option("--out <dir>", "folder for runs.jsonl, sweep.json and sweep.html", defaultOut("scaling-sweep"))
    .option("--resume", "continue the sweep in --out: runs already in its runs.jsonl are skipped")
    .option("--overwrite", "replace a sweep already in --out")
    .action((o: Opts & { resume?: boolean; overwrite?: boolean }) => sweepCommand(o));
  scaling
    .command("fit")
    .description("fit L(N, D) = E + A/N^α + B/D^β to a sweep's runs (Chinchilla's approach 3, with bootstrap intervals; approach 2 when it had budgets)")
    .requiredOption("--runs <file>", "a runs.jsonl written by dgpt scaling sweep (or its folder)")
    .option("--bootstrap <n>", "bootstrap resamples for the intervals (0: none)", "200")
    .option("--count <which>", "N as total (every parameter, as Chinchilla) or non-embedding (as Kaplan)", "total")
    .option("--budgets <list>", "budgets (FLOPs) at which to give the compute-optimal N, D and D/N (default: the sweep's budgets, or its smallest and largest compute)")
    .option("--min-tokens <n>", "leave out runs trained on fewer tokens (e.g. 100k: the shortest runs are still in the first, fast phase of training)")
    .option("--starts <grid>", "L-BFGS starting grid: paper (Hoffmann et al.'s 4500 starts) or coarse (432, ten times quicker)", "paper")
    .option("--seed <n>", "seed of the bootstrap's resampling", "0")
    .option("--out <file>", "HTML page to write", defaultOut("scaling-fit.html"))
    .option("--json <file>", "the numbers as JSON", defaultOut("scaling-fit.json"))
    .option("--overwrite", "replace --out / --json if they exist")
    .action((o: Opts & { overwrite?: boolean }) => fitCommand(o));
  scaling
    .command("chinchilla")
    .description("the published Chinchilla law's compute-optimal model size and tokens for a budget")
    .requiredOption("--compute <flops>", "training budget(s) C in FLOPs, e.g. 1e21 or 1e21,5.76e23")
    .option("--json", "print JSON")
    .action((o: Opts) => chinchillaCommand(o));
  scaling
    .command("count")
    .description("parameters (with and without embeddings) and training FLOPs per token of a GPT config")
    .requiredOption("--n-layers <n>")
    .requiredOption("--d-model <n>")
    .requiredOption("--n-heads <n>")
    .requiredOption("--vocab <n>", "d_vocab")
    .requiredOption("--context <n>", "n_ctx (the sequence length of the attention FLOPs)")
    .option("--tied", "tied embeddings (W_U = W_Eᵀ)")
    .action((o: Opts) => countCommand(o));
}
