// `dgpt interp lens | train-lens | attention | dla`: interpretability views of a trained model as
// self-contained HTML pages (and the same numbers as JSON with --json).
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { registerCircuitCommands } from "./interp-circuits.js";
import { loadCorpus } from "../data/corpus.node.js";
import { detectHead, HEAD_NAMES, attentionPatterns, type HeadName } from "../interp/attention.js";
import { directLogitAttribution } from "../interp/dla.js";
import { lensKL, logitLens, loadTunedLens, saveTunedLens, trainTunedLens, type LogitLensResult } from "../interp/lens.js";
import { writeFileAtomic } from "../io/files.node.js";
import { loadModelDir } from "../models/gpt/io.node.js";
import type { HookedTransformer } from "../models/gpt/model.js";
import { barChart, heatmap, htmlPage, type PageSection } from "../plot/index.js";
import { getBatch } from "../data/batch.js";
import { Generator } from "../tensor/random.js";
import type { Tokenizer } from "../tokenizers/types.js";
import { intOption, numberOption, parseTokenIds } from "./options.js";
import { dlaSummary, headScoresSummary, lensSummary } from "./summaries.js";
import { defaultOut, encodeText, forFlag, LOCAL_DATA, loadDirTokenizer, modelDir, outputFile, reportPaths, writeReport, replaceInvalidUtf8Option } from "./common.js";

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
  const dir = modelDir(o.model);
  const model = await loadModelDir(dir);
  model.eval();
  let tok: Tokenizer | null = null;
  let ids: number[];
  if (o.tokens !== undefined) {
    ids = parseTokenIds(o.tokens, "--tokens");
  } else if (o.text !== undefined) {
    tok = loadDirTokenizer(dir, "--tokens");
    ids = encodeText(tok, o.text, "--text");
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

async function writeOutputs(o: Opts, title: string, sections: PageSection[], data: unknown): Promise<void> {
  await writeReport(reportPaths(o), htmlPage(title, sections), data);
}

function lensSection(r: LogitLensResult, labels: string[], piece: (id: number) => string, name: string): PageSection[] {
  const cols = labels.map((t, i) => `${i}:${t}`);
  // one token has no next token to follow: colour by the top token's probability instead
  const hasTarget = r.targets.some((t) => t !== null);
  return [
    {
      heading: `${name}: top token per layer and position`,
      svg: heatmap({
        values: hasTarget ? r.targetProb : r.topProbs.map((row) => row.map((top) => top[0])),
        rowLabels: r.labels,
        colLabels: cols,
        cellText: r.topTokens.map((row) => row.map((top) => piece(top[0]))),
        domain: [0, 1],
        colorLabel: hasTarget ? "probability of the actual next token" : "probability of the top token",
        xLabel: "position: input token",
        yLabel: "residual stream",
      }),
      caption: "Each cell shows the most likely next token read from that layer's residual stream; its colour is the probability given to the token that actually comes next (blank at the last position).",
    },
    {
      heading: `${name}: KL(final ‖ layer) in nats`,
      svg: heatmap({ values: r.kl, rowLabels: r.labels, colLabels: cols, colorScheme: "oranges", colorLabel: "KL (nats)" }),
      caption: `Mean per layer: ${r.labels.map((l, i) => `${l} ${r.meanKl[i].toFixed(3)}`).join(", ")}`,
    },
  ];
}

export function registerInterpCommands(program: Command): void {
  const interp = program.command("interp").description("interpretability views of a trained model: lenses, attention heads, attribution, patching, circuits, probes");
  registerCircuitCommands(interp);

  interp
    .command("lens")
    .description("logit lens (and tuned lens with --tuned-lens): what each layer predicts at each position")
    .requiredOption("--model <dir>", "a model directory (or a training output folder)")
    .option("--text <text>", "the prompt")
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
      const sections = lensSection(plain, labels, piece, "Logit lens");
      if (tuned) sections.push(...lensSection(tuned, labels, piece, "Tuned lens"));
      console.log(lensSummary(plain, "logit lens", piece));
      if (tuned) console.log(lensSummary(tuned, "tuned lens", piece));
      const withText = (r: LogitLensResult) => ({ ...r, topText: r.topTokens.map((row) => row.map((top) => top.map(piece))) });
      await writeOutputs(o, `Logit lens: ${labels.join("")}`, sections, { tokens: ids, tokenText: labels, logitLens: withText(plain), ...(tuned ? { tunedLens: withText(tuned) } : {}) });
    });

  interp
    .command("train-lens")
    .description("train a tuned lens (one affine translator per layer) on a text and save it as .safetensors")
    .requiredOption("--model <dir>", "a model directory (or a training output folder)")
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
      const dir = modelDir(o.model);
      const model = await loadModelDir(dir);
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
    .requiredOption("--model <dir>", "a model directory (or a training output folder)")
    .option("--text <text>", "the prompt")
    .option("--tokens <ids>", "comma-separated token ids instead of --text")
    .option("--exclude-bos", "detectors ignore attention to position 0")
    .option("--exclude-current-token", "detectors ignore attention to the query's own position")
    .option("--error-measure <m>", "mul | abs (TransformerLens's head detector)", "mul")
    .option("--out <file>", "HTML page", defaultOut("attention.html"))
    .option("--json <file>", "also write the numbers as JSON")
    .option("--overwrite", "replace --out / --json if they exist")
    .action(async (o: Record<string, string | boolean>) => {
      const { model, ids, labels } = await loadInputs(o as Opts);
      if (o.errorMeasure !== "mul" && o.errorMeasure !== "abs") throw new Error(`--error-measure must be mul or abs, got "${o.errorMeasure}"`);
      const patterns = attentionPatterns(model, ids);
      const { n_layers: L, n_heads: H } = model.cfg;
      const heads = Array.from({ length: H }, (_, h) => `H${h}`);
      const layers = Array.from({ length: L }, (_, l) => `L${l}`);
      const scores: Partial<Record<HeadName, number[][]>> = {};
      const sections: PageSection[] = [];
      if (ids.length >= 2) {
        for (const name of HEAD_NAMES) {
          scores[name] = detectHead(model, ids, name, { excludeBos: o.excludeBos === true, excludeCurrentToken: o.excludeCurrentToken === true, errorMeasure: o.errorMeasure as "mul" | "abs" });
          sections.push({ heading: `${name.replace(/_/g, " ")} scores`, svg: heatmap({ values: scores[name]!, rowLabels: layers, colLabels: heads, cellText: true, domain: o.errorMeasure === "abs" ? [-1, 1] : [0, 1], colorLabel: "score", yLabel: "layer", xLabel: "head" }) });
        }
      }
      const cols = labels.map((t, i) => `${i}:${t}`);
      patterns.forEach((layer, l) =>
        layer.forEach((p, h) => {
          // keys after the query are masked: leave them blank
          const values = p.map((row, i) => row.map((v, j) => (j > i ? NaN : v)));
          sections.push({ heading: `L${l}H${h}`, svg: heatmap({ values, rowLabels: cols, colLabels: cols, domain: [0, 1], yLabel: "query", xLabel: "key", colorLabel: "attention" }) });
        }),
      );
      console.log(headScoresSummary(scores));
      await writeOutputs(o as Opts, `Attention: ${labels.join("")}`, sections, { tokens: ids, tokenText: labels, scores, patterns });
    });

  interp
    .command("dla")
    .description("direct logit attribution: how much each layer, component and head adds to one logit (or a logit difference)")
    .requiredOption("--model <dir>", "a model directory (or a training output folder)")
    .option("--text <text>", "the prompt")
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
      const what = r.incorrect !== undefined ? `logit(${JSON.stringify(piece(r.target))}) − logit(${JSON.stringify(piece(r.incorrect))})` : `logit(${JSON.stringify(piece(r.target))})`;
      const where = `at position ${r.pos} (after ${JSON.stringify(labels.slice(0, r.pos + 1).join(""))})`;
      const sum = r.components.values.reduce((s, v) => s + v, 0);
      const caption = `${what} = ${r.logit.toFixed(4)} = Σ components ${sum.toFixed(4)} + biases (b_U, ln_final.b) ${r.constant.toFixed(4)}`;
      const sections: PageSection[] = [
        { heading: `Per component: ${what} ${where}`, svg: barChart({ labels: r.components.labels, values: r.components.values, horizontal: true, xLabel: "direct contribution to the logit" }), caption },
        { heading: "Per head", svg: barChart({ labels: r.heads.labels, values: r.heads.values, horizontal: true, xLabel: "direct contribution to the logit" }), caption: "Each head's result z·W_O through the final LayerNorm's cached scale; a layer's heads plus its b_O make its attn_out." },
      ];
      console.log(dlaSummary(r, what));
      await writeOutputs(o, `Direct logit attribution: ${what}`, sections, { ...r, tokenText: labels, targetText: piece(r.target), ...(r.incorrect !== undefined ? { incorrectText: piece(r.incorrect) } : {}) });
    });
}
