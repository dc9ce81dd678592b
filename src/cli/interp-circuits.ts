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
<<<<<<< HEAD
import { analyzeInduction, repeatedTokenVocab } from "../interp/induction.js";
import { runInductionExperiment } from "../experiments/induction.js";
import { inductionReport } from "../experiments/induction-report.js";
=======
import { analyzeInduction, type InductionAnalysis, repeatedTokenVocab } from "../interp/induction.js";
import { type InductionTrainResult, runInductionExperiment } from "../experiments/induction.js";
>>>>>>> repro-atlas
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

<<<<<<< HEAD
=======
/** "L1H3". */
const headName = ([l, h]: readonly number[]) => `L${l}H${h}`;

/**
 * The HTML page, a text summary and the JSON of an induction analysis, after training (the
 * experiment: with losses and history) or of a saved model (shared with examples/induction.ts).
 */
export function inductionReport(r: { model: HookedTransformer; analysis: InductionAnalysis } & Partial<Pick<InductionTrainResult, "losses" | "seconds" | "history">>, tokenizer: Tokenizer | null = null): { html: string; summary: string; json: unknown } {
  const a = r.analysis;
  const { model } = r;
  const { n } = a;
  const { n_layers: L, n_heads: H } = model.cfg;
  const heads = Array.from({ length: H }, (_, h) => `H${h}`);
  const layers = Array.from({ length: L }, (_, l) => `layer ${l}`);
  const f3 = (v: number) => v.toFixed(3);
  const scoreOf = (m: number[][], [l, h]: readonly number[]) => m[l][h];
  // Name heads only when the best one clears the threshold; otherwise say that none formed.
  const verdict = (kind: string, m: number[][], best: readonly number[], found: readonly (readonly number[])[], formed: boolean) => {
    if (!formed) return `no ${kind} heads formed (best ${kind} score ${f3(scoreOf(m, best))} at ${headName(best)}, below ${a.threshold})`;
    const top = found.filter((hd) => scoreOf(m, hd) >= a.threshold).sort((x, y) => scoreOf(m, y) - scoreOf(m, x));
    return `${kind} heads (score ≥ ${a.threshold}): ${top.slice(0, 8).map((hd) => `${headName(hd)} ${f3(scoreOf(m, hd))}`).join(", ")}${top.length > 8 ? `, … (${top.length} in all)` : ""}`;
  };
  const byLayer = (m: number[][]) => m.map((row, l) => `  layer ${l}: ${row.map(f3).join(" ")}`).join("\n");
  const ablated = a.inductionFormed ? "induction heads" : "heads with the highest induction scores";
  const summary = [
    ...(r.losses ? [`trained ${r.losses.length} steps in ${(r.seconds ?? 0).toFixed(1)} s`] : []),
    `loss: first copy ${f3(a.firstHalfLoss)} (chance ${f3(a.chanceLoss)}), repeated copy ${f3(a.secondHalfLoss)}; in-context gain ${f3(a.inContextGain)}`,
    verdict("induction", a.scores.induction, a.inductionHead, a.inductionHeads, a.inductionFormed),
    verdict("previous-token", a.scores.previousToken, a.previousTokenHead, a.previousTokenHeads, a.previousTokenFormed),
    `induction scores (uniform attention would score ${f3(a.uniformScores.induction)}):\n${byLayer(a.scores.induction)}`,
    `previous-token scores (uniform attention would score ${f3(a.uniformScores.previousToken)}):\n${byLayer(a.scores.previousToken)}`,
    `largest K-composition: ${headName(a.maxKComposition.sender)} → ${headName(a.maxKComposition.receiver)} = ${f3(a.maxKComposition.score)} (max Q ${f3(a.maxQComposition)}, max V ${f3(a.maxVComposition)}, random baseline ${f3(a.compositionBaseline)})`,
    `${a.ablation.method}-ablating ${ablated} ${a.inductionHeads.map(headName).join(",")}: gain ${f3(a.inContextGain)} → ${f3(a.ablation.all.inContextGain)}; only ${headName(a.inductionHead)}: → ${f3(a.ablation.top.inContextGain)}; only ${headName(a.previousTokenHead)} (best previous-token score): → ${f3(a.ablation.previousToken.inContextGain)}; all of ${a.previousTokenHeads.map(headName).join(",")}: → ${f3(a.ablation.allPreviousToken.inContextGain)}`,
    `OV copying scores of the ${ablated}: ${a.inductionHeads.map((hd) => `${headName(hd)} ${f3(scoreOf(a.copyingScores, hd))}`).join(", ")}`,
  ].join("\n");
  // the first evaluation sequence's attention patterns for the two best heads
  const tokens = a.example;
  const [pHead, iHead] = [a.previousTokenHead, a.inductionHead];
  const patterns = tidy(() =>
    noGrad(() => {
      const names = [pHead[0], iHead[0]].map((l) => `blocks.${l}.attn.hook_pattern`);
      const { cache } = model.runWithCache([tokens], { namesFilter: names });
      return names.map((nm) => (cache.get(nm).toArray() as number[][][][])[0]);
    }),
  );
  const labels = tokens.map((t, i) => (i === 0 && t === a.bos ? "<bos>" : tokenizer ? visibleToken(tokenizer.idToToken(t)) : String(t)));
  const sections: PageSection[] = [];
  if (r.history?.length) {
    const x = r.history.map((p) => p.step);
    sections.push({ heading: "The phase change", svg: linePlot({ series: [{ name: "loss, first copy", x, y: r.history.map((p) => p.firstHalfLoss) }, { name: "loss, repeated copy", x, y: r.history.map((p) => p.secondHalfLoss) }], xLabel: "step", yLabel: "loss (nats)", title: "Test loss on <bos> s s" }) });
    sections.push({ heading: "Head scores during training", svg: linePlot({ series: [{ name: "best layer-1 induction score", x, y: r.history.map((p) => p.inductionScore) }, { name: "best layer-0 previous-token score", x, y: r.history.map((p) => p.previousTokenScore) }], xLabel: "step", yDomain: [0, 1], title: "Previous-token heads form first, induction heads later" }) });
  }
  const pLayer = `L${pHead[0]}`;
  const iLayer = `L${iHead[0]}`;
  sections.push({ heading: "Loss by position", svg: linePlot({ series: [{ name: "loss", x: a.lossByPosition.map((_, i) => i), y: a.lossByPosition }], xLabel: "position", yLabel: "loss", title: `Next-token loss on <bos> s s (n = ${n})` }) });
  sections.push({ heading: "Induction scores", svg: heatmap({ values: a.scores.induction, rowLabels: layers, colLabels: heads, domain: [0, 1], cellText: true, width: 560, title: "Attention from i to i − n + 1 (second copy)" }), caption: `A head scoring ≥ ${a.threshold} is an induction head; uniform attention would score ${f3(a.uniformScores.induction)}.` });
  sections.push({ heading: "Previous-token scores", svg: heatmap({ values: a.scores.previousToken, rowLabels: layers, colLabels: heads, domain: [0, 1], cellText: true, width: 560, title: "Attention from i to i − 1" }), caption: `A head scoring ≥ ${a.threshold} is a previous-token head; uniform attention would score ${f3(a.uniformScores.previousToken)}.` });
  for (const kind of ["K", "Q", "V"] as const) sections.push({ heading: `${kind}-composition, layer ${pHead[0]} → layer ${iHead[0]}`, svg: heatmap({ values: a.composition[kind], rowLabels: heads.map((h) => `${pLayer}${h}`), colLabels: heads.map((h) => `${iLayer}${h}`), cellText: true, colorScheme: "viridis", width: 560, title: `${kind}-composition scores (random baseline ${f3(a.compositionBaseline)})` }) });
  sections.push({ heading: "OV copying scores", svg: heatmap({ values: a.copyingScores, rowLabels: layers, colLabels: heads, domain: [-1, 1], diverging: true, cellText: true, width: 560, title: "Re Σλ / Σ|λ| of W_E W_V W_O W_U" }) });
  sections.push({ heading: "Ablation", svg: barChart({ labels: ["none", headName(iHead), a.inductionFormed ? "all induction heads" : "top induction-score heads", headName(pHead), a.previousTokenFormed ? "all previous-token heads" : "top previous-token-score heads"], values: [a.inContextGain, a.ablation.top.inContextGain, a.ablation.all.inContextGain, a.ablation.previousToken.inContextGain, a.ablation.allPreviousToken.inContextGain], yLabel: "in-context gain (nats)", title: `${a.ablation.method} ablation` }) });
  sections.push({ heading: `Attention pattern of ${a.previousTokenFormed ? "the previous-token head" : "the best previous-token-score head"} ${headName(pHead)}`, svg: heatmap({ values: patterns[0][pHead[1]], rowLabels: labels, colLabels: labels, domain: [0, 1], xLabel: "key", yLabel: "query" }) });
  sections.push({ heading: `Attention pattern of ${a.inductionFormed ? "the induction head" : "the best induction-score head"} ${headName(iHead)}`, svg: heatmap({ values: patterns[1][iHead[1]], rowLabels: labels, colLabels: labels, domain: [0, 1], xLabel: "key", yLabel: "query" }), caption: "An induction head draws a stripe n − 1 below the diagonal: each token of the second copy attends to the token after its earlier occurrence." });
  const title = r.losses ? `Induction heads in a ${L}-layer attention-only transformer` : `Induction heads in a saved ${L}-layer model`;
  const html = htmlPage(title, [{ heading: "Summary", svg: barChart({ labels: ["first copy", "repeated copy", "chance"], values: [a.firstHalfLoss, a.secondHalfLoss, a.chanceLoss], yLabel: "loss (nats)" }), caption: summary }, ...sections]);
  return { html, summary, json: { config: model.cfg, steps: r.losses?.length ?? 0, seconds: r.seconds ?? 0, history: r.history ?? [], analysis: a } };
}
>>>>>>> repro-atlas
