// `dgpt steer sweep`: a steering vector (ActAdd or CAA) at every chosen layer and coefficient, its
// effect on the lexicon sentiment of seeded generations and its cost in held-out loss; a page of
// heatmaps and lines, and the numbers as JSON.
import type { Command } from "commander";
import { sentiment } from "../align/lexicon.js";
import { steeringSweep } from "../steer/sweep.js";
import { actAddVector, caaVector } from "../steer/vectors.js";
import { MODEL_HELP, prependBosOption, replaceInvalidUtf8Option, reportOptions, reportPaths, writeReport } from "./common.js";
import { intOption } from "./options.js";
import { steerSweepPage, sweepPageInput } from "./pages/steer.js";
import { progress } from "./progress.js";
import { generateFlags, loadPairs, loadSteerModel, lossWindows, type Opts, padToken, parseLayers, parseNumbers, promptTokens } from "./steer-common.js";

const DEFAULT_PROMPTS = ["Once upon a time", "One day,", "The little dog"];

export function registerSteerSweepCommand(steer: Command): void {
  reportOptions(
    steer
      .command("sweep")
      .description("sweep a steering vector over layers × coefficients: the lexicon sentiment of seeded generations (mean ± standard error) and the rise in held-out loss; writes a page of heatmaps and lines")
      .requiredOption("--model <dirOrName>", MODEL_HELP)
      .option("--method <m>", "actadd (needs --plus, --minus) | caa (--pairs, or the built-in sentiment pairs); default: actadd when --plus is given")
      .option("--plus <text>", "ActAdd: the prompt steered towards")
      .option("--minus <text>", "ActAdd: the prompt steered away from")
      .option("--pad <text>", "ActAdd: the one-token text that pads the shorter prompt", " ")
      .option("--pairs <file>", 'CAA: JSON Lines of {"positive": "…", "negative": "…"} (default: built-in happy/sad sentences)')
      .option("--position <which>", "CAA: last | mean (each text's last token, or the mean over its tokens)", "last")
      .option("--positions <which>", "CAA: all | after-prompt (steer every position, or from the prompt's last token on)", "all")
      .option("--layers <list>", "layers, e.g. 0-3 or 1,3 (default: all)")
      .option("--coefs <list>", "coefficients, e.g. -8,-4,0,4,8", "-8,-4,0,4,8")
      .option("--prompt <text...>", `prompts to continue; generation k continues prompt k mod their number (default: ${DEFAULT_PROMPTS.map((p) => JSON.stringify(p)).join(" ")})`)
      .addOption(prependBosOption())
      .option("--samples <n>", "generations per cell (N)", "16")
      .option("--max-tokens <n>", "tokens per generation", "30")
      .option("--temperature <x>", "0 = greedy", "0.8")
      .option("--top-k <n>", "sample among the k most likely tokens only")
      .option("--top-p <x>", "sample among the most likely tokens whose probabilities add up to x")
      .option("--seed <n>", "random seed of generation 0 (generation k uses seed + k in every cell)", "0")
      .requiredOption("--data <fileOrName>", "ordinary text for the loss cost (its held-out last 10 %), e.g. tinystories")
      .addOption(replaceInvalidUtf8Option())
      .option("--windows <n>", "held-out windows for the loss", "16")
      .option("--context-size <n>", "tokens per held-out window (default: the model's n_ctx, at most 64)"),
    "steer-sweep.html",
  ).action(async (o: Opts & { prependBos?: boolean; overwrite?: boolean; prompt?: string[] }) => {
    const paths = reportPaths(o);
    const method = o.method ?? (o.plus !== undefined || o.minus !== undefined ? "actadd" : "caa");
    if (method !== "actadd" && method !== "caa") throw new Error(`--method must be actadd or caa, got "${method}"`);
    if (method === "actadd" && (o.plus === undefined || o.minus === undefined)) throw new Error("--method actadd needs --plus and --minus");
    if (method === "caa" && (o.plus !== undefined || o.minus !== undefined)) throw new Error("--plus and --minus are for --method actadd; CAA reads --pairs");
    if (o.position !== "last" && o.position !== "mean") throw new Error(`--position must be last or mean, got "${o.position}"`);
    if (o.positions !== "all" && o.positions !== "after-prompt") throw new Error(`--positions must be all or after-prompt, got "${o.positions}"`);
    const coefs = parseNumbers(o.coefs, "--coefs");
    const gen = generateFlags(o);
    const samples = intOption(o, "samples", 16, 1);
    const seed = intOption(o, "seed", 0, 0);
    const { model, tokenizer: tok } = await loadSteerModel(o.model);
    const layers = o.layers === undefined ? Array.from({ length: model.cfg.n_layers }, (_, l) => l) : parseLayers(o.layers, model);
    const promptTexts = o.prompt ?? DEFAULT_PROMPTS;
    const prompts = promptTexts.map((p, i) => promptTokens(tok, model, p, promptTexts.length > 1 ? `--prompt ${i + 1}` : "--prompt", o.prependBos));
    const windows = (await lossWindows(o, model, tok))!;

    let vectorAt: (layer: number) => ReturnType<typeof actAddVector>;
    let what: string;
    if (method === "actadd") {
      const plus = promptTokens(tok, model, o.plus, "--plus", o.prependBos);
      const minus = promptTokens(tok, model, o.minus, "--minus", o.prependBos);
      const pad = padToken(tok, o.pad ?? " ");
      vectorAt = (layer) => actAddVector(model, plus, minus, layer, { padToken: pad });
      what = `ActAdd ${JSON.stringify(o.plus)} − ${JSON.stringify(o.minus)} (added to ${Math.max(plus.length, minus.length) === 1 ? "the first position" : `the first ${Math.max(plus.length, minus.length)} positions`})`;
    } else {
      const { pairs, source } = await loadPairs(o.pairs, tok, model, o.prependBos);
      vectorAt = (layer) => caaVector(model, pairs, layer, { position: o.position as "last" | "mean" });
      what = `CAA over ${source} (${o.position} token; steering ${o.positions === "all" ? "every position" : "from the prompt's last token on"})`;
    }
    console.log(`sweep: ${what}; layers ${layers.join(", ")} × coefficients ${coefs.join(", ")}; ${samples} generations of ${gen.maxNewTokens} tokens per cell; loss on ${windows.length} windows of ${windows[0].length} tokens`);
    const bar = progress("cells", layers.length * coefs.length);
    const decode = (ids: number[]) => tok.decode(ids);
    const result = steeringSweep(model, {
      layers,
      coefs,
      vectorAt,
      start: method === "caa" && o.positions === "after-prompt" ? (p) => p.length - 1 : 0,
      prompts,
      samples,
      score: (ids) => sentiment(decode(ids)),
      lossWindows: windows,
      generate: gen,
      seed,
      onCell: (done) => bar.update(done, {}),
    });
    bar.stop();

    // the table in the terminal: Δ sentiment ± stderr and Δ loss per cell
    const clean = result.clean;
    console.log(`clean: sentiment ${clean.effect.mean.toFixed(3)} ± ${clean.effect.stderr.toFixed(3)}, loss ${clean.loss.toFixed(4)}`);
    console.log(["layer", ...coefs.map((c) => `c=${c}`.padStart(22))].join(" "));
    result.cells.forEach((row, i) => {
      console.log([`${layers[i]}`.padEnd(5), ...row.map((c) => `${c.shift.mean.toFixed(3)}±${c.shift.stderr.toFixed(3)} ${(c.cost >= 0 ? "+" : "") + c.cost.toFixed(3)}`.padStart(22))].join(" "));
    });
    console.log("(each cell: change in sentiment, steered − clean with the same seeds, ± standard error; then change in held-out loss)");
    const page = sweepPageInput(result, decode, {
      title: what,
      setup: `dgpt steer sweep --model ${o.model} … (${what}).\nPrompts: ${promptTexts.map((p) => JSON.stringify(p)).join(", ")}; ${samples} generations of ${gen.maxNewTokens} tokens per cell at temperature ${gen.temperature}, generation k from seed ${seed} + k in every cell. Loss on ${windows.length} held-out windows of ${windows[0].length} tokens of ${o.data}.`,
      scoreName: "lexicon sentiment",
    });
    await writeReport(paths, steerSweepPage(page), { method, prompts: promptTexts, samples, ...page });
  });
}
