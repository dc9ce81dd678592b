// `dgpt ngram train|sample|eval|analyze`: count-based n-gram models (Markov chains) from the
// command line. Thin: read files, pick a tokenizer, call src/models, print, plot.
import { basename, resolve } from "node:path";
import type { Command } from "commander";
import { trainValSplit } from "../data/corpus.js";
import { markovChain, sparsityStats, stationaryDistribution, transitionSpectrum } from "../models/markov.js";
import { NgramModel, type Evaluation, type Smoothing } from "../models/ngram.js";
import { loadNgram, saveNgram } from "../models/ngram.node.js";
import { writePlot } from "../plot/files.node.js";
import { Generator } from "../tensor/random.js";
import { CharTokenizer, WordTokenizer, gpt2Tokenizer, loadTokenizer, type Tokenizer } from "../tokenizers/index.js";
import { loadTokenizerFile } from "../tokenizers/files.node.js";
import { defaultOut, encodeText, outputFile, readTextFlag, replaceInvalidUtf8Option } from "./common.js";
import { intOption, numberOption } from "./options.js";
import { progress } from "./progress.js";
import { markovPage } from "./pages/markov.js";

type Opts = Record<string, string>;

export function registerNgramCommands(program: Command): void {
  const ngram = program.command("ngram").description("count-based n-gram language models: Markov chains over tokens");
  ngram
    .command("train")
    .description("count n-grams in a text file and save the model (JSON)")
    .requiredOption("--data <file>", "UTF-8 text file to train on")
    .addOption(replaceInvalidUtf8Option())
    .option("--n <n>", "order: 1 unigram, 2 bigram (a Markov chain), 3 trigram, …", "2")
    .option("--tokenizer <kind>", "char | word | gpt2 | path to a tokenizer.json", "char")
    .option("--smoothing <kind>", "kneser-ney | absolute | addk", "kneser-ney")
    .option("--k <x>", "pseudo-count for --smoothing addk", "1")
    .option("--discount <d>", "fixed discount in (0, 1] for kneser-ney / absolute (default: estimated)")
    .option("--val-fraction <x>", "hold out this last part of the text and report its perplexity (0: train on all)", "0.1")
    .option("--out <file>", "model file", defaultOut("ngram.json"))
    .option("--overwrite", "replace --out if it exists")
    .action((o: Opts) => ngramTrain(o));
  ngram
    .command("sample")
    .description("generate text from a saved model")
    .requiredOption("--model <file>", "model file from `dgpt ngram train`")
    .option("--max-tokens <n>", "tokens to generate", "200")
    .option("--seed <n>", "random seed", "0")
    .option("--temperature <t>", "< 1 sharper, > 1 flatter, 0 greedy", "1")
    .option("--top-k <k>", "sample among the k most likely tokens only")
    .option("--prompt <text>", "text to continue")
    .action((o: Opts) => ngramSample(o));
  ngram
    .command("eval")
    .description("perplexity of a saved model on a text file")
    .requiredOption("--model <file>", "model file from `dgpt ngram train`")
    .requiredOption("--data <file>", "UTF-8 text file to score")
    .addOption(replaceInvalidUtf8Option())
    .option("--smoothing <kind>", "score with another smoothing: kneser-ney | absolute | addk")
    .option("--k <x>", "pseudo-count for --smoothing addk", "1")
    .option("--discount <d>", "fixed discount for kneser-ney / absolute")
    .action((o: Opts) => ngramEval(o));
  ngram
    .command("analyze")
    .description("study the bigram transition matrix: stationary distribution, sparsity, singular values (HTML)")
    .requiredOption("--model <file>", "model file from `dgpt ngram train` (n ≥ 2)")
    .option("--out <file>", "HTML page to write", defaultOut("ngram-analysis.html"))
    .option("--overwrite", "replace --out if it exists")
    .option("--k <n>", "singular values for the randomized SVD (up to 400 tokens seen, a dense SVD gives all)", "50")
    .option("--top <n>", "tokens in the stationary-distribution chart and transition heatmap", "30")
    .option("--seed <n>", "seed of the randomized SVD", "0")
    .action((o: Opts) => ngramAnalyze(o));
}

// ---------------------------------------------------------------------------- tokenizers

/** How the tokenizer is stored in a model file: GPT-2 by name (it ships with the package), others whole. */
type TokenizerMeta = { name: "gpt2" } | { json: unknown };

async function tokenizerFor(kind: string, trainText: string): Promise<{ tokenizer: Tokenizer; meta: TokenizerMeta }> {
  if (kind === "gpt2") return { tokenizer: gpt2Tokenizer(), meta: { name: "gpt2" } };
  let tokenizer: Tokenizer;
  // char and word vocabularies come from the training part only; text outside it becomes <unk>
  if (kind === "char") tokenizer = CharTokenizer.fromText(trainText, { unk: true });
  else if (kind === "word") tokenizer = WordTokenizer.fromText(trainText);
  else if (/\.json$/i.test(kind)) tokenizer = await loadTokenizerFile(kind);
  else throw new Error(`--tokenizer: expected char, word, gpt2 or a tokenizer.json path, got "${kind}"`);
  if (typeof tokenizer.toJSON !== "function") throw new Error(`--tokenizer: the ${tokenizer.kind} tokenizer cannot be saved with the model`);
  return { tokenizer, meta: { json: tokenizer.toJSON() } };
}

function tokenizerFromMeta(meta: Record<string, unknown>, path: string, vocabSize: number): Tokenizer {
  const t = meta.tokenizer as Record<string, unknown> | undefined;
  if (typeof t !== "object" || t === null) throw new Error(`${path}: the model file has no tokenizer (meta.tokenizer); was it written by \`dgpt ngram train\`?`);
  let tokenizer: Tokenizer;
  if (t.name === "gpt2") tokenizer = gpt2Tokenizer();
  else if (t.json !== undefined) tokenizer = loadTokenizer(t.json as object);
  else throw new Error(`${path}: meta.tokenizer must be { name: "gpt2" } or { json: … }`);
  if (tokenizer.vocabSize !== vocabSize) throw new Error(`${path}: the tokenizer has ${tokenizer.vocabSize} tokens but the model ${vocabSize}`);
  return tokenizer;
}

function smoothingOption(o: Opts): Smoothing {
  const kind = o.smoothing ?? "kneser-ney";
  if (kind === "addk") return { kind, k: numberOption(o, "k", 1) };
  if (kind === "kneser-ney" || kind === "absolute") {
    return o.discount === undefined ? { kind } : { kind, discount: numberOption(o, "discount", 0.75) };
  }
  throw new Error(`--smoothing: expected kneser-ney, absolute or addk, got "${kind}"`);
}

function describeSmoothing(s: Smoothing): string {
  return s.kind === "addk" ? `add-${s.k}` : `${s.kind}${s.discount === undefined ? "" : ` (D = ${s.discount})`}`;
}

/** Counting with a progress bar (it is fast, but GPT-2 on a big corpus takes a while). */
function countWithProgress(model: NgramModel, ids: number[], label: string): void {
  const bar = progress(label, ids.length);
  model.add(ids, (done) => bar.update(done, {}));
  bar.stop();
}

function scoreWithProgress(model: NgramModel, ids: number[]): Evaluation {
  const bar = progress("eval", ids.length);
  const r = model.evaluate(ids, (done) => bar.update(done, {}));
  bar.stop();
  return r;
}

// ---------------------------------------------------------------------------- commands

export async function ngramTrain(o: Opts): Promise<void> {
  const n = intOption(o, "n", 2);
  const valFraction = numberOption(o, "valFraction", 0.1);
  if (!(valFraction >= 0 && valFraction < 1)) throw new Error(`--val-fraction: expected a number in [0, 1), got "${o.valFraction}"`);
  const smoothing = smoothingOption(o);
  const out = outputFile(o.out ?? defaultOut("ngram.json"), Boolean(o.overwrite));
  const text = await readTextFlag("--data", o.data, Boolean(o.replaceInvalidUtf8));
  const { train, val } = valFraction > 0 ? trainValSplit(text, 1 - valFraction) : { train: text, val: "" };
  const { tokenizer, meta } = await tokenizerFor(o.tokenizer ?? "char", train);
  const t0 = performance.now();
  const trainIds = tokenizer.encode(train);
  const tokenizeSeconds = (performance.now() - t0) / 1000;
  if (trainIds.length === 0) throw new Error(`--data ${o.data}: no text to train on`);
  const model = new NgramModel({ n, vocabSize: tokenizer.vocabSize, smoothing });
  const t1 = performance.now();
  countWithProgress(model, trainIds, "count");
  const countSeconds = (performance.now() - t1) / 1000;
  const types = model.tables.map((t) => t.types);
  console.log(`${n}-gram model, ${tokenizer.kind} tokenizer (${tokenizer.vocabSize} tokens): ${trainIds.length} training tokens (tokenized in ${tokenizeSeconds.toFixed(2)} s, counted in ${countSeconds.toFixed(2)} s)`);
  console.log(`distinct m-grams for m = 1..${n}: ${types.join(", ")}; smoothing ${describeSmoothing(smoothing)}`);
  if (val.length > 0) {
    const valIds = tokenizer.encode(val);
    if (valIds.length > 0) {
      const r = scoreWithProgress(model, valIds);
      console.log(`held-out (last ${(valFraction * 100).toFixed(0)}%, ${r.tokens} tokens): perplexity ${r.perplexity.toFixed(3)}, ${r.bitsPerToken.toFixed(3)} bits/token`);
    }
  }
  await saveNgram(out, model, { tokenizer: meta, source: basename(o.data) });
  console.log(`wrote ${out}`);
}

export async function ngramSample(o: Opts): Promise<void> {
  const path = resolve(o.model);
  const { model, meta } = await loadNgram(path);
  const tokenizer = tokenizerFromMeta(meta, path, model.vocabSize);
  const length = intOption(o, "maxTokens", 200, 0);
  const temperature = numberOption(o, "temperature", 1);
  const topK = o.topK === undefined ? undefined : intOption(o, "topK", 1);
  const prompt = o.prompt === undefined ? [] : encodeText(tokenizer, o.prompt, "--prompt");
  const ids = model.sample({ length, prompt, generator: new Generator(intOption(o, "seed", 0, 0)), temperature, topK });
  console.log((o.prompt ?? "") + tokenizer.decode(ids));
}

export async function ngramEval(o: Opts): Promise<void> {
  const path = resolve(o.model);
  const { model, meta } = await loadNgram(path);
  if (o.smoothing !== undefined) model.smoothing = smoothingOption(o);
  const tokenizer = tokenizerFromMeta(meta, path, model.vocabSize);
  const ids = tokenizer.encode(await readTextFlag("--data", o.data, Boolean(o.replaceInvalidUtf8)));
  if (ids.length === 0) throw new Error(`--data ${o.data}: no text to score`);
  const r = scoreWithProgress(model, ids);
  console.log(`${model.n}-gram (${describeSmoothing(model.smoothing)}) on ${o.data}: ${r.tokens} tokens, cross-entropy ${r.nll.toFixed(4)} nats = ${r.bitsPerToken.toFixed(4)} bits/token, perplexity ${r.perplexity.toFixed(3)}`);
}

export async function ngramAnalyze(o: Opts): Promise<void> {
  const path = resolve(o.model);
  const { model, meta } = await loadNgram(path);
  const tokenizer = tokenizerFromMeta(meta, path, model.vocabSize);
  const top = intOption(o, "top", 30);
  const out = outputFile(o.out ?? defaultOut("ngram-analysis.html"), Boolean(o.overwrite));
  const chain = markovChain(model);
  const nStates = chain.states.length;

  const stats = sparsityStats(chain);
  const power = stationaryDistribution(chain.P, { method: "power", lazy: true });
  const eig = stationaryDistribution(chain.P, { method: nStates <= 1000 ? "solve" : "arnoldi" });
  let gap = 0;
  for (let s = 0; s < nStates; s++) gap = Math.max(gap, Math.abs(power.pi[s] - eig.pi[s]));
  const spectrum = transitionSpectrum(chain.P, { k: Math.min(intOption(o, "k", 50), nStates), seed: intOption(o, "seed", 0, 0) });
  const sv = Array.from(spectrum.singularValues);

  console.log(`transition matrix: ${nStates} states of ${model.vocabSize} tokens, ${stats.nnz} non-zeros (density ${stats.density.toExponential(3)}), ${(stats.zeroRowFraction * 100).toFixed(1)}% zero rows`);
  console.log(`stationary distribution: power iteration (${power.matvecs} steps, residual ${power.residual.toExponential(2)}) vs ${eig.method} (residual ${eig.residual.toExponential(2)}): max difference ${gap.toExponential(2)}`);
  console.log(`singular values (${spectrum.method}): σ₁ = ${sv[0].toFixed(4)}, σ_${sv.length} = ${sv[sv.length - 1].toExponential(3)}; numerical rank ${spectrum.rank.lowerBound ? "≥ " : ""}${spectrum.rank.rank}`);

  const title = `Markov chain of ${String(meta.source ?? basename(path))} (${tokenizer.kind} tokens)`;
  await writePlot(out, markovPage({ title, chain, stats, stationary: eig, powerGap: gap, spectrum, piece: (id) => tokenizer.idToToken(id), top }));
  console.log(`wrote ${out}`);
}
