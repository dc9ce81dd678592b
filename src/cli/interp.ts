// `dgpt interp lens | train-lens | attention | dla`: interpretability views of a trained model as
// self-contained HTML pages (and the same numbers as JSON with --json).
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { registerCircuitCommands } from "./interp-circuits.js";
import { loadCorpus } from "../data/corpus.node.js";
import { detectHead, HEAD_NAMES, attentionPatternRows, type HeadName } from "../interp/attention.js";
import { directLogitAttribution } from "../interp/dla.js";
import { lensKL, logitLens, loadTunedLens, saveTunedLens, trainTunedLens, type LogitLensResult } from "../interp/lens.js";
import { attentionPage, attentionPageBytes } from "./pages/attention.js";
import { dlaPage } from "./pages/dla.js";
import { lensPage } from "./pages/lens.js";
import { writeFileAtomic } from "../io/files.node.js";
import { loadModelDir } from "../models/gpt/io.node.js";
import type { HookedTransformer } from "../models/gpt/model.js";
import { getBatch } from "../data/batch.js";
import { Generator } from "../tensor/random.js";
import type { Tokenizer } from "../tokenizers/types.js";
import { intOption, numberOption, parseHeadList, parseTokenIds, resolveHeads } from "./options.js";
import { dlaSummary, headScoresSummary, lensSummary } from "./summaries.js";
import { quoteToken } from "./pages/tokens.js";
import { MAX_CELLS } from "../plot/svg.js";
import { defaultOut, encodePrompt, encodeText, forFlag, LOCAL_DATA, loadDirTokenizer, modelDir, outputFile, prependBosOption, reportPaths, writeReport, replaceInvalidUtf8Option, MODEL_HELP, NO_PROCESSING_HELP } from "./common.js";

type Opts = Record<string, string>;

interface Inputs {
  model: HookedTransformer;
  tok: Tokenizer | null;
  ids: number[];
  /** A label per token (its text, or its id without a tokenizer). */
  labels: string[];
}

/** The model, its tokenizer and the prompt's ids, from --model and --text or --tokens. */
async function loadInputs(o: Opts): Promise<Inputs> {
  reportPaths(o); // refuse to replace a report before any work
  const dir = await modelDir(o.model);
  const model = await loadModelDir(dir, { processing: (o.processing as unknown) === false ? false : {} });
  model.eval();
  let tok: Tokenizer | null = null;
  let ids: number[];
  if (o.tokens !== undefined) {
    ids = parseTokenIds(o.tokens, "--tokens");
  } else if (o.text !== undefined) {
    tok = loadDirTokenizer(dir, "--tokens");
    ids = encodePrompt(tok, o.text, "--text", (o as Record<string, unknown>).prependBos);
  } else throw new Error("give --text (or --tokens as comma-separated ids)");
  if (ids.length === 0) throw new Error("the prompt encodes to no tokens");
  if (ids.length > model.cfg.n_ctx) throw new Error(`the prompt is ${ids.length} tokens, longer than the model's context n_ctx = ${model.cfg.n_ctx}`);
  for (const id of ids) if (!(id >= 0 && id < model.cfg.d_vocab)) throw new Error(`token id ${id} is outside the vocabulary [0, ${model.cfg.d_vocab})`);
  if (tok === null && o.text === undefined) {
    try {
      tok = loadDirTokenizer(dir);
    } catch {
      tok = null;
    }
  }
  const show = (id: number) => (tok ? tok.idToToken(id) : String(id));
  return { model, tok, ids, labels: ids.map(show) };
}

const pieceOf = (tok: Tokenizer | null) => (id: number) => (tok ? tok.idToToken(id) : String(id));

async function writeOutputs(o: Opts, html: string, data: unknown): Promise<void> {
  await writeReport(reportPaths(o), html, data);
}

/** The attention page's size, at most (estimated before any work by attentionPageBytes). */
const PAGE_BYTES = 30e6;
/** --json writes the drawn patterns as numbers, ~30 bytes each: at most this many (~120 MB). */
const JSON_CELLS = 4_000_000;

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(bytes < 1e7 ? 1 : 0)} MB`;

/** Refuses a prompt whose page (or JSON) would be too large, naming both ways out and their numbers. */
function checkAttentionSize(n: number, drawn: number, all: number, promptFlag: string, json: boolean): void {
  const fits = (tokens: number, heads: number) => tokens * tokens <= MAX_CELLS && attentionPageBytes(tokens, heads, all) <= PAGE_BYTES;
  if (!fits(n, drawn)) {
    let maxN = 1;
    while (fits(maxN + 1, drawn)) maxN++;
    let maxHeads = 0;
    while (maxHeads < drawn && fits(n, maxHeads + 1)) maxHeads++;
    const fewer = maxHeads > 0 ? ` or fewer heads with --heads (at most ${maxHeads} at ${n} tokens; e.g. --heads 5,9.6 draws layer 5 and head 6 of layer 9)` : "";
    throw new Error(
      `${promptFlag}: the prompt is ${n} tokens; drawing ${drawn} heads as ${n} × ${n} grids makes a page of about ${mb(attentionPageBytes(n, drawn, all))}` +
        `${n * n > MAX_CELLS ? ` (and one grid holds at most ${MAX_CELLS} cells)` : ""}, more than the ${mb(PAGE_BYTES)} it may have. ` +
        `Use a shorter prompt (at most ${maxN} tokens for ${drawn} heads)${fewer}`,
    );
  }
  const cells = drawn * n * n;
  if (json && cells > JSON_CELLS) {
    throw new Error(
      `--json: writing ${drawn} heads' ${n} × ${n} patterns as numbers is ${cells.toLocaleString("en-US")} values, more than the ${JSON_CELLS.toLocaleString("en-US")} a JSON file may hold (about 120 MB): ` +
        `pick fewer heads with --heads (at most ${Math.floor(JSON_CELLS / (n * n))} at ${n} tokens), use a shorter prompt (at most ${Math.floor(Math.sqrt(JSON_CELLS / drawn))} tokens for ${drawn} heads), or leave out --json`,
    );
  }
}

export function registerInterpCommands(program: Command): void {
  const interp = program.command("interp").description("interpretability views of a trained model: lenses, attention heads, attribution, patching, circuits, probes");
  registerCircuitCommands(interp);

  interp
    .command("lens")
    .description("logit lens (and tuned lens with --tuned-lens): what each layer predicts at each position")
    .requiredOption("--model <dirOrName>", MODEL_HELP)
    .option("--no-processing", NO_PROCESSING_HELP)
    .option("--text <text>", "the prompt (a pretrained model's BOS token is put in front)")
    .addOption(prependBosOption())
    .option("--tokens <ids>", "comma-separated token ids instead of --text")
    .option("--top-k <n>", "top tokens kept per cell in the JSON", "5")
    .option("--tuned-lens <file>", "a tuned lens (.safetensors from `dgpt interp train-lens`) to show beside the logit lens")
    .option("--out <file>", "HTML page", defaultOut("lens.html"))
    .option("--json <file>", "also write the numbers as JSON")
    .option("--overwrite", "replace --out / --json if they exist")
    .action(async (o: Opts) => {
      const { model, tok, ids, labels } = await loadInputs(o);
      const k = intOption(o, "topK", 5);
      const piece = pieceOf(tok);
      const plain = logitLens(model, ids, { k });
      let tuned: LogitLensResult | null = null;
      if (o.tunedLens !== undefined) tuned = logitLens(model, ids, { k, lens: loadTunedLens(await readFile(o.tunedLens), model) });
      console.log(lensSummary(plain, "logit lens", piece));
      if (tuned) console.log(lensSummary(tuned, "tuned lens", piece));
      const withText = (r: LogitLensResult) => ({ ...r, topText: r.topTokens.map((row) => row.map((top) => top.map(piece))) });
      await writeOutputs(o, lensPage(labels, piece, plain, tuned), { tokens: ids, tokenText: labels, logitLens: withText(plain), ...(tuned ? { tunedLens: withText(tuned) } : {}) });
    });

  interp
    .command("train-lens")
    .description("train a tuned lens (one affine translator per layer) on a text and save it as .safetensors")
    .requiredOption("--model <dirOrName>", MODEL_HELP)
    .option("--no-processing", NO_PROCESSING_HELP)
    .requiredOption("--data <fileOrName>", "a text file, or tinyshakespeare | tinystories")
    .addOption(replaceInvalidUtf8Option())
    .option("--steps <n>", "optimizer steps", "200")
    .option("--lr <x>", "AdamW learning rate", "0.001")
    .option("--batch-size <n>", "windows per step", "8")
    .option("--seed <n>", "random seed", "0")
    .option("--out <file>", "where to save the lens", defaultOut("tuned-lens.safetensors"))
    .option("--overwrite", "replace --out if it exists")
    .action(async (o: Opts) => {
      const out = outputFile(o.out, Boolean(o.overwrite));
      const dir = await modelDir(o.model);
      const model = await loadModelDir(dir, { processing: (o.processing as unknown) === false ? false : {} });
      const tok = loadDirTokenizer(dir);
      const corpus = await forFlag("--data", o.data, () => loadCorpus(o.data, { localDirs: LOCAL_DATA, invalid: o.replaceInvalidUtf8 ? "replace" : "error" }));
      const ids = Int32Array.from(encodeText(tok, corpus.text, "--data"));
      const split = Math.floor(ids.length * 0.9);
      const steps = intOption(o, "steps", 200, 0);
      const { lens, losses } = trainTunedLens(model, ids.subarray(0, split), {
        steps,
        lr: numberOption(o, "lr", 1e-3),
        batchSize: intOption(o, "batchSize", 8),
        seed: intOption(o, "seed", 0, 0),
        onStep: (s, loss) => {
          if (s % 50 === 0 || s === steps - 1) console.log(`step ${s}: KL ${loss.toFixed(4)}`);
        },
      });
      await writeFileAtomic(out, saveTunedLens(lens));
      const val = ids.subarray(split);
      const T = Math.min(model.cfg.n_ctx, 64);
      const { x } = getBatch(val, 8, T, new Generator(1));
      const cmp = lensKL(model, x, lens);
      console.log(`held-out KL(final ‖ layer), nats: ${cmp.labels.map((l, i) => `${l} logit ${cmp.logitLens[i].toFixed(3)} / tuned ${cmp.tunedLens![i].toFixed(3)}`).join("; ")}`);
      console.log(`wrote ${out} (final training KL ${losses.at(-1)?.toFixed(4) ?? "—"})`);
    });

  interp
    .command("attention")
    .description("attention patterns of every head with token labels, and previous-token / duplicate-token / induction scores")
    .requiredOption("--model <dirOrName>", MODEL_HELP)
    .option("--no-processing", NO_PROCESSING_HELP)
    .option("--text <text>", "the prompt (a pretrained model's BOS token is put in front)")
    .addOption(prependBosOption())
    .option("--tokens <ids>", "comma-separated token ids instead of --text")
    .option("--exclude-bos", "detectors ignore attention to position 0")
    .option("--exclude-current-token", "detectors ignore attention to the query's own position")
    .option("--error-measure <m>", "mul | abs (TransformerLens's head detector)", "mul")
    .option("--heads <list>", "draw only these heads' cards: comma-separated layers (5) and layer.head pairs (9.6), e.g. 5,9.6,10.7; the overview and the scores show every head")
    .option("--out <file>", "HTML page", defaultOut("attention.html"))
    .option("--json <file>", "also write the numbers as JSON")
    .option("--overwrite", "replace --out / --json if they exist")
    .action(async (o: Record<string, string | boolean>) => {
      if (o.errorMeasure !== "mul" && o.errorMeasure !== "abs") throw new Error(`--error-measure must be mul or abs, got "${o.errorMeasure}"`);
      const headSpec = o.heads === undefined ? undefined : parseHeadList(String(o.heads), "--heads"); // before the model loads
      const { model, ids, labels } = await loadInputs(o as Opts);
      const { n_layers: L, n_heads: H } = model.cfg;
      const heads = headSpec ? resolveHeads(headSpec, L, H, "--heads") : Array.from({ length: L * H }, (_, i): [number, number] => [Math.floor(i / H), i % H]);
      // each drawn head's pattern is a card of positions × positions cells: bound the page's size
      checkAttentionSize(ids.length, heads.length, L * H, o.tokens !== undefined ? "--tokens" : "--text", o.json !== undefined);
      // one forward pass: the detectors score the patterns the page draws
      const { cache } = model.runWithCache([ids], { namesFilter: model.blocks.map((_, l) => `blocks.${l}.attn.hook_pattern`) });
      const patterns = attentionPatternRows(model, ids, cache);
      const scores: Partial<Record<HeadName, number[][]>> = {};
      if (ids.length >= 2) {
        for (const name of HEAD_NAMES) {
          scores[name] = detectHead(model, ids, name, { patterns, excludeBos: o.excludeBos === true, excludeCurrentToken: o.excludeCurrentToken === true, errorMeasure: o.errorMeasure as "mul" | "abs" });
        }
      }
      cache.dispose();
      console.log(headScoresSummary(scores));
      const page = attentionPage({ tokens: labels, patterns, scores, errorMeasure: o.errorMeasure as "mul" | "abs", heads });
      // the JSON has the drawn heads' patterns (null for the others, with --heads); built only
      // when asked for, as plain arrays are several times the size of the page
      const drawn = new Set(heads.map(([l, h]) => l * H + h));
      const json = () => patterns.map((layer, l) => layer.map((p, h) => (drawn.has(l * H + h) ? p.map((row) => Array.from(row)) : null)));
      await writeOutputs(o as Opts, page, o.json === undefined ? null : { tokens: ids, tokenText: labels, scores, ...(headSpec ? { heads } : {}), patterns: json() });
    });

  interp
    .command("dla")
    .description("direct logit attribution: how much each layer, component and head adds to one logit (or a logit difference)")
    .requiredOption("--model <dirOrName>", MODEL_HELP)
    .option("--no-processing", NO_PROCESSING_HELP)
    .option("--text <text>", "the prompt (a pretrained model's BOS token is put in front)")
    .addOption(prependBosOption())
    .option("--tokens <ids>", "comma-separated token ids instead of --text")
    .option("--target <token>", "the token to explain (text of one token; default: the model's prediction)")
    .option("--incorrect <token>", "explain the logit difference target − incorrect")
    .option("--target-id <id>", "the target as a token id")
    .option("--incorrect-id <id>", "the incorrect token as an id")
    .option("--pos <n>", "position (negative counts from the end)", "-1")
    .option("--out <file>", "HTML page", defaultOut("dla.html"))
    .option("--json <file>", "also write the numbers as JSON")
    .option("--overwrite", "replace --out / --json if they exist")
    .action(async (o: Opts) => {
      const { model, tok, ids, labels } = await loadInputs(o);
      const tokenArg = (text: string | undefined, id: string | undefined, flag: string): number | undefined => {
        if (id !== undefined) return intOption({ [flag]: id }, flag, 0, 0);
        if (text === undefined) return undefined;
        if (!tok) throw new Error(`--${flag.replace(/Id$/, "")} needs the model directory's tokenizer.json (or use --${flag.replace(/Id$/, "")}-id)`);
        const single = tok.tokenToId(text);
        if (single !== undefined) return single;
        const enc = encodeText(tok, text, `--${flag.replace(/Id$/, "")}`);
        if (enc.length !== 1) throw new Error(`--${flag.replace(/Id$/, "")} "${text}" is ${enc.length} tokens, not one`);
        return enc[0];
      };
      const pos = intOption(o, "pos", -1, -ids.length);
      const r = directLogitAttribution(model, ids, { target: tokenArg(o.target, o.targetId, "targetId"), incorrect: tokenArg(o.incorrect, o.incorrectId, "incorrectId"), pos });
      const piece = pieceOf(tok);
      const what = r.incorrect !== undefined ? `logit(${quoteToken(piece(r.target))}) − logit(${quoteToken(piece(r.incorrect))})` : `logit(${quoteToken(piece(r.target))})`;
      console.log(dlaSummary(r, what));
      await writeOutputs(o, dlaPage(r, labels, piece), { ...r, tokenText: labels, targetText: piece(r.target), ...(r.incorrect !== undefined ? { incorrectText: piece(r.incorrect) } : {}) });
    });
}
