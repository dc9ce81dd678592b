// `dgpt interp patch | circuits | probe | induction`: causal interventions, weight circuits,
// linear probes and the induction-head reproduction from the command line. Thin: load the model
// directory (config.json + model.safetensors + tokenizer.json), call src/interp, write a
// self-contained HTML page of heatmaps / bar charts and the same numbers as JSON.
import type { Command } from "commander";
import { loadBrown } from "../data/corpus.node.js";
import { loadModelDir } from "../models/gpt/io.node.js";
import { getActName, type HookedTransformer } from "../models/gpt/model.js";
import { circuitsReport } from "./pages/circuits.js";
import { patchingPage } from "./pages/patching.js";
import { probePage } from "./pages/probe.js";
import { quoteToken } from "./pages/tokens.js";
import { defaultOut, dirTokenizer, encodePrompt, encodeText, modelDir, prependBosOption, reportPaths, writeReport, MODEL_HELP, NO_PROCESSING_HELP } from "./common.js";
import type { Tokenizer } from "../tokenizers/types.js";
import { analyzeInduction, repeatedTokenVocab } from "../interp/induction.js";
import { runInductionExperiment } from "../experiments/induction.js";
import { inductionReport } from "../experiments/induction-report.js";
import { type PatchingResult, patchHeadsAllPos, patchResidComponent, type StreamComponent } from "../interp/patching.js";
import { logitDiffMetric, lossMetric, probMetric } from "../interp/patching-core.js";
import { probeIntervention } from "../interp/probes.js";
import { brownPosDataset, brownPosProbe } from "../interp/probes-brown.js";
import { intOption, numberOption, parseTokenIds } from "./options.js";
import { progress } from "./progress.js";
import { circuitsSummary, patchSummary } from "./summaries.js";

type Opts = Record<string, string>;

/**
 * Tokens `interp probe` reads by default: every probed hook's activations are kept for them
 * (GPT-2 small: 13 hooks × 16k tokens × 768 floats = 650 MB).
 */
const PROBE_TOKENS = 16_384;

/** The model of --model (a Hugging Face checkpoint processed unless --no-processing), its tokenizer and directory. */
async function loadModel(dir: string, processing: unknown): Promise<{ model: HookedTransformer; tokenizer: Tokenizer | null; dir: string }> {
  const d = await modelDir(dir);
  const model = await loadModelDir(d, { processing: processing === false ? false : {} });
  model.eval();
  const tokenizer = dirTokenizer(d);
  return { model, tokenizer, dir: d };
}


/** Token ids of a prompt: --X-ids a,b,c or --X text through the model's tokenizer. */
function promptIds(o: Opts, key: string, flag: string, tok: Tokenizer | null): number[] {
  const ids = o[`${key}Ids`];
  if (ids !== undefined) return parseTokenIds(ids, `--${flag}-ids`);
  const text = o[key];
  if (text === undefined) throw new Error(`give --${flag} <text> or --${flag}-ids <ids>`);
  if (!tok) throw new Error(`--${flag}: the model directory has no tokenizer.json; pass --${flag}-ids`);
  const out = encodePrompt(tok, text, `--${flag}`, (o as Record<string, unknown>).prependBos);
  if (out.length === 0) throw new Error(`--${flag} encodes to no tokens`);
  return out;
}

/** One token: "#17" is id 17; otherwise text that is exactly one token. */
function oneToken(s: string, flag: string, tok: Tokenizer | null): number {
  const m = /^#(\d+)$/.exec(s);
  if (m) return Number(m[1]);
  if (!tok) throw new Error(`${flag}: without tokenizer.json give the id as #<id>`);
  const direct = tok.tokenToId(s);
  if (direct !== undefined) return direct;
  const enc = encodeText(tok, s, flag);
  if (enc.length !== 1) throw new Error(`${flag}: "${s}" is ${enc.length} tokens, not one (use #<id>)`);
  return enc[0];
}

const label = (tok: Tokenizer | null, id: number) => (tok ? tok.idToToken(id) : `#${id}`);

async function writeOutputs(out: string, json: string | undefined, html: string, data: unknown, overwrite?: unknown): Promise<void> {
  await writeReport(reportPaths({ out, json, overwrite }), html, data);
}

export function registerCircuitCommands(interp: Command): void {
  interp
    .command("patch")
    .description("activation patching between a clean and a corrupted prompt (same length): which layer × position, and which heads, restore the clean behaviour")
    .requiredOption("--model <dirOrName>", MODEL_HELP)
    .option("--no-processing", NO_PROCESSING_HELP)
    .option("--clean <text>", "the clean prompt")
    .option("--corrupt <text>", "the corrupted prompt (same number of tokens)")
    .option("--clean-ids <ids>", "the clean prompt as comma-separated token ids")
    .option("--corrupt-ids <ids>", "the corrupted prompt as token ids")
    .addOption(prependBosOption())
    .option("--target <token>", "the answer on the clean prompt (text of one token, or #id)")
    .option("--distractor <token>", "the answer on the corrupted prompt: the metric is logit(target) − logit(distractor)")
    .option("--metric <name>", "logit-diff (needs --target and --distractor) | prob (of --target) | loss", "logit-diff")
    .option("--components <list>", "comma-separated: resid_pre, resid_mid, resid_post, attn_out, mlp_out, heads", "resid_pre,attn_out,mlp_out,heads")
    .option("--direction <d>", "denoise (run corrupted, patch clean in) | noise", "denoise")
    .option("--out <file>", "HTML page", defaultOut("patch.html"))
    .option("--json <file>", "also write the numbers as JSON")
    .option("--overwrite", "replace --out / --json if they exist")
    .action(async (o: Opts) => {
      reportPaths(o); // refuse to replace a report before any work
      const { model, tokenizer } = await loadModel(o.model, o.processing);
      const clean = promptIds(o, "clean", "clean", tokenizer);
      const corrupted = promptIds(o, "corrupt", "corrupt", tokenizer);
      if (clean.length !== corrupted.length) throw new Error(`the clean prompt has ${clean.length} tokens and the corrupted one ${corrupted.length}; patching needs the same length`);
      let metric;
      let metricText: string; // the metric in words, for the page's headings
      const named = (id: number) => quoteToken(label(tokenizer, id));
      if (o.metric === "logit-diff") {
        if (o.target === undefined || o.distractor === undefined) throw new Error("--metric logit-diff needs --target and --distractor");
        const [target, distractor] = [oneToken(o.target, "--target", tokenizer), oneToken(o.distractor, "--distractor", tokenizer)];
        metric = logitDiffMetric(target, distractor);
        metricText = `logit(${named(target)}) − logit(${named(distractor)})`;
      } else if (o.metric === "prob") {
        if (o.target === undefined) throw new Error("--metric prob needs --target");
        const target = oneToken(o.target, "--target", tokenizer);
        metric = probMetric(target);
        metricText = `P(${named(target)})`;
      } else if (o.metric === "loss") {
        metric = lossMetric([clean]);
        metricText = "loss on the clean prompt (nats)";
      }
      else throw new Error(`--metric must be logit-diff, prob or loss, got "${o.metric}"`);
      if (o.direction !== "denoise" && o.direction !== "noise") throw new Error(`--direction must be denoise or noise, got "${o.direction}"`);
      const direction = o.direction;
      const components = o.components.split(",").map((s) => s.trim()).filter((c) => !(c === "mlp_out" && model.cfg.attn_only));
      const known = ["resid_pre", "resid_mid", "resid_post", "attn_out", "mlp_out", "heads"];
      for (const c of components) if (!known.includes(c)) throw new Error(`--components: unknown "${c}" (known: ${known.join(", ")})`);
      const tokens = clean.map((id, i) => (id === corrupted[i] ? label(tokenizer, id) : `${label(tokenizer, id)}/${label(tokenizer, corrupted[i])}`));
      const results: Record<string, PatchingResult<number[][]>> = {};
      const t0 = performance.now();
      for (const c of components) {
        const r = c === "heads" ? patchHeadsAllPos(model, { clean: [clean], corrupted: [corrupted], metric, direction }) : patchResidComponent(model, { clean: [clean], corrupted: [corrupted], metric, direction, component: c as StreamComponent });
        results[c] = r;
      }
      console.log(`patched ${components.join(", ")} in ${((performance.now() - t0) / 1000).toFixed(2)} s (${direction === "denoise" ? "denoising: clean activations into the corrupted run" : "noising: corrupted activations into the clean run"})`);
      console.log(patchSummary(metricText!, results, (c) => (c === "heads" ? [] : tokens.map(quoteToken))));
      const page = patchingPage({ clean: clean.map((id) => label(tokenizer, id)), corrupted: corrupted.map((id) => label(tokenizer, id)), metric: metricText!, direction, nLayers: model.cfg.n_layers, nHeads: model.cfg.n_heads, results });
      await writeOutputs(o.out, o.json, page, { clean, corrupted, tokens, metric: o.metric, direction: o.direction, results }, o.overwrite);
    });

  interp
    .command("circuits")
    .description("weight circuits: OV / QK copying scores, K-, Q-, V-composition between heads, embedding PCA and positional Fourier analysis")
    .requiredOption("--model <dirOrName>", MODEL_HELP)
    .option("--no-processing", NO_PROCESSING_HELP)
    .option("--svd <heads>", "also list the SVD read-out of these heads' OV circuits, e.g. 1.0,1.3")
    .option("--no-fold-ln", "read the raw weights (default: fold each LayerNorm into the weights that read it)")
    .option("--out <file>", "HTML page", defaultOut("circuits.html"))
    .option("--json <file>", "also write the numbers as JSON")
    .option("--overwrite", "replace --out / --json if they exist")
    .action(async (o: Record<string, string | boolean>) => {
      reportPaths(o); // refuse to replace a report before any work
      const { model, tokenizer } = await loadModel(String(o.model), o.processing);
      const report = circuitsReport(model, tokenizer, { foldLn: o.foldLn !== false, svd: typeof o.svd === "string" ? o.svd : undefined });
      console.log(circuitsSummary(report.json.copying.ov, report.json.composition));
      await writeOutputs(String(o.out), o.json === undefined ? undefined : String(o.json), report.html, report.json, o.overwrite);
    });

  interp
    .command("probe")
    .description("linear probes for part of speech (Brown corpus tags) on the residual stream, with controls and an intervention")
    .requiredOption("--model <dirOrName>", `${MODEL_HELP}; it needs a tokenizer`)
    .option("--no-processing", NO_PROCESSING_HELP)
    .option("--hooks <list>", "comma-separated hook names (default: resid_pre of layer 0 and resid_post of every layer)")
    .option("--files <list>", "Brown files to read, e.g. ca01,ca02 (default: the news category)")
    .option("--windows <n>", `context windows of n_ctx tokens to probe (default: 200, or fewer for a long context: at most ${PROBE_TOKENS} tokens)`)
    .option("--tagset <name>", "universal | brown", "universal")
    .option("--kind <name>", "multinomial | logistic (NOUN vs the rest)", "multinomial")
    .option("--seed <n>", "train/test split seed", "0")
    .option("--intervene", "project the best probe's directions out at its hook and report the loss and probe change")
    .option("--out <file>", "HTML page", defaultOut("probe.html"))
    .option("--json <file>", "also write the numbers as JSON")
    .option("--overwrite", "replace --out / --json if they exist")
    .action(async (o: Record<string, string | boolean>) => {
      reportPaths(o); // refuse to replace a report before any work
      const s = o as Opts;
      const { model, tokenizer } = await loadModel(s.model, o.processing);
      if (!tokenizer) throw new Error("probe: the model directory has no tokenizer.json");
      const corpus = await loadBrown(s.files ? { files: s.files.split(",").map((f) => f.trim()) } : { categories: ["news"] });
      if (s.tagset !== "universal" && s.tagset !== "brown") throw new Error(`--tagset must be universal or brown, got "${s.tagset}"`);
      if (s.kind !== "multinomial" && s.kind !== "logistic") throw new Error(`--kind must be multinomial or logistic, got "${s.kind}"`);
      const data = brownPosDataset(corpus, tokenizer, { contextLength: model.cfg.n_ctx, windows: intOption(s, "windows", Math.max(1, Math.min(200, Math.floor(PROBE_TOKENS / model.cfg.n_ctx)))), tagset: s.tagset });
      let labels = data.labels;
      if (s.kind === "logistic") {
        const noun = data.classes.indexOf(s.tagset === "universal" ? "NOUN" : "nn");
        labels = Int32Array.from(labels, (l) => (l === noun ? 1 : 0));
      }
      const hooks = s.hooks ? s.hooks.split(",").map((h) => h.trim()) : [getActName("resid_pre", 0), ...Array.from({ length: model.cfg.n_layers }, (_, l) => getActName("resid_post", l))];
      for (const h of hooks) model.hookPoint(h);
      const results = brownPosProbe(model, { ...data, labels }, hooks, { kind: s.kind, seed: intOption(s, "seed", 0, 0) });
      const table = results.map((r) => ({ hook: r.hook, accuracy: r.testScore, train: r.trainScore, shuffledControl: r.controlScore, wordTypeControl: r.wordControlScore, selectivity: r.selectivity, majority: r.majorityBaseline }));
      console.table(table.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === "number" ? Number(v.toFixed(3)) : v]))));
      let intervention = null;
      if (o.intervene) {
        const best = results.reduce((a, b) => (b.selectivity > a.selectivity ? b : a));
        intervention = { hook: best.hook, ...probeIntervention(model, data.windows, best.hook, { mode: "project", directions: best.probe.directions() }, { metric: lossMetric(data.windows), read: { hook: best.hook, probe: best.probe, labels, sites: data.sites } }) };
        console.log(`projecting the probe out at ${best.hook}: loss ${intervention.metricBefore.toFixed(4)} → ${intervention.metricAfter.toFixed(4)}, probe ${intervention.probeBefore!.toFixed(3)} → ${intervention.probeAfter!.toFixed(3)}`);
      }
      await writeOutputs(s.out, s.json, probePage(results, { kind: s.kind, tagset: s.tagset, tokens: data.sites.length, classes: data.classes.length }), { classes: data.classes, sites: data.sites.length, table, intervention }, s.overwrite);
    });

  interp
    .command("induction")
    .description("induction heads: train a 2-layer attention-only transformer on repeated random tokens and measure its circuit, or (--model) measure a saved model without training")
    .option("--model <dirOrName>", `analyse this model instead of training one: ${MODEL_HELP}`)
    .option("--no-processing", NO_PROCESSING_HELP)
    .option("--n <n>", "length of the repeated sequence (context 2n + 1; with --model at most (n_ctx − 1) / 2)", "20")
    .option("--symbols <n>", "random-token vocabulary", "32")
    .option("--steps <n>", "training steps", "3000")
    .option("--d-model <n>", "width", "64")
    .option("--n-heads <n>", "heads per layer", "4")
    .option("--lr <x>", "peak learning rate", "0.003")
    .option("--seed <n>", "seed", "0")
    .option("--out <file>", "HTML page", defaultOut("induction.html"))
    .option("--json <file>", "also write the numbers as JSON")
    .option("--overwrite", "replace --out / --json if they exist")
    .action(async (o: Opts) => {
      reportPaths(o); // refuse to replace a report before any work
      let report: ReturnType<typeof inductionReport>;
      if (o.model !== undefined) {
        const { model, tokenizer } = await loadModel(o.model, o.processing);
        const maxN = Math.floor((model.cfg.n_ctx - 1) / 2);
        const n = Math.min(intOption(o, "n", 20, 2), maxN);
        if (n < 2) throw new Error(`--model: n_ctx = ${model.cfg.n_ctx} is too short for <bos> s s with |s| ≥ 2`);
        if (n < intOption(o, "n", 20, 2)) console.error(`n = ${n}: <bos> s s must fit n_ctx = ${model.cfg.n_ctx}`);
        const analysis = analyzeInduction(model, { n, vocab: repeatedTokenVocab(model, tokenizer) });
        report = inductionReport({ model, analysis }, tokenizer);
      } else {
        const steps = intOption(o, "steps", 3000);
        const bar = progress("train induction model", steps);
        const r = runInductionExperiment({
          n: intOption(o, "n", 20, 2),
          nSymbols: intOption(o, "symbols", 32, 2),
          steps,
          d_model: intOption(o, "dModel", 64),
          n_heads: intOption(o, "nHeads", 4),
          lr: numberOption(o, "lr", 3e-3),
          seed: intOption(o, "seed", 0, 0),
          trackEvery: Math.max(1, Math.floor(steps / 30)),
          onStep: (step, loss) => bar.update(step + 1, { loss }),
          logEvery: 25,
        });
        bar.stop();
        report = inductionReport(r);
      }
      console.log(report.summary);
      await writeOutputs(o.out, o.json, report.html, report.json, o.overwrite);
    });
}

