// `dgpt sae dashboard | steer`: what an SAE's latents respond to (a feature dashboard of pages),
// and what they do when pushed (generations before and after, and the next-token effect). Thin:
// read flags, load the SAE, model and text, call src/sae/features.ts and steer.ts, present.
import { readdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { writeFileAtomic } from "../io/files.node.js";
import type { HookedTransformer } from "../models/gpt/model.js";
import { writePlot } from "../plot/files.node.js";
import { loadSae } from "../sae/files.node.js";
import { checkSaeOnModel, FeatureCollector, saeFeatures, type SaeFeaturesResult } from "../sae/features.js";
import type { SparseAutoencoder } from "../sae/sae.js";
import { INTERVENTION_MODES, type Intervention, type InterventionMode, latentActivations, nextTokenEffect, steerGenerations } from "../sae/steer.js";
import type { Tokenizer } from "../tokenizers/types.js";
import { MODEL_HELP, NO_PROCESSING_HELP, defaultOut, encodePrompt, forFlag, outputDir, outputFile, prependBosOption, replaceInvalidUtf8Option } from "./common.js";
import { intOption, numberOption, probabilityOption } from "./options.js";
import { CARDS_PER_PAGE, INDEX_ROWS, SINGLE_FILE_CARDS, dashboardFolder, dashboardPage, densityOrder, fmt } from "./pages/sae-dashboard.js";
import { quoteToken } from "./pages/tokens.js";
import { progress } from "./progress.js";
import { corpusTokens, loadSaeModel } from "./sae-common.js";

type Opts = Record<string, string>;

/** Above this many bytes of examples for every latent, the dashboard first finds the densest latents in a cheaper pass. */
const ONE_PASS_BYTES = 1 << 30;

/** The SAE and the model, checked against each other; errors name the flags. */
async function loadPair(o: Opts & { processing?: boolean }): Promise<{ sae: SparseAutoencoder; model: HookedTransformer; tokenizer: Tokenizer }> {
  const sae = await forFlag("--sae", o.sae, () => loadSae(o.sae));
  const { model, tokenizer } = await loadSaeModel(o.model, o.processing);
  try {
    checkSaeOnModel(model, sae);
  } catch (err) {
    throw new Error(`--sae ${o.sae} does not fit --model ${o.model}: ${(err as Error).message}`, { cause: err });
  }
  return { sae, model, tokenizer };
}

/** A token's text for pages: its piece, or [id] when the tokenizer has none for it. */
function pieceOf(tok: Tokenizer): (id: number) => string {
  return (id) => {
    if (id < 0) return "";
    try {
      return tok.idToToken(id);
    } catch {
      return `[${id}]`;
    }
  };
}

/** Non-negative integers from a flag ("0,5,9"); the error names the flag and what the numbers are. */
function parseIndices(text: string, flag: string, what: string): number[] {
  const ids = String(text).split(",").map((x) => Number(x.trim()));
  if (String(text).trim() === "" || ids.some((v) => !Number.isInteger(v) || v < 0)) throw new Error(`${flag}: expected comma-separated ${what} (integers ≥ 0), got "${text}"`);
  return ids;
}

/** Latent ids from a flag ("0,5,9"), each checked against d_sae. */
function parseLatents(text: string, flag: string, dSae: number): number[] {
  const ids = parseIndices(text, flag, "latent indices");
  for (const i of ids) if (i >= dSae) throw new Error(`${flag}: ${i} is not a latent of this SAE (its latents are 0 to ${dSae - 1})`);
  if (new Set(ids).size !== ids.length) throw new Error(`${flag}: "${text}" lists a latent twice`);
  return ids;
}

/**
 * Up to n windows of contextSize tokens: the held-out text (last 10 %) first, then the training
 * part from its start, so a small --windows reads text the SAE was not trained on.
 */
export function dashboardWindows(train: Int32Array, val: Int32Array, contextSize: number, n: number, bos: number | undefined): number[][] {
  const text = contextSize - (bos === undefined ? 0 : 1);
  const windows: number[][] = [];
  for (const part of [val, train]) for (let s = 0; s + text <= part.length && windows.length < n; s += text) windows.push([...(bos === undefined ? [] : [bos]), ...part.subarray(s, s + text)]);
  if (windows.length === 0) throw new Error(`--data: the text has fewer tokens than one window of ${text}; use a longer text or a smaller --context-size`);
  return windows;
}

/** Removes the pages an earlier dashboard left in `dir` (index.html, latents-N.html, features.json). */
function clearOldPages(dir: string): void {
  for (const f of readdirSync(dir)) if (/^(index\.html|latents-\d+\.html)$/.test(f)) rmSync(join(dir, f));
}

export function registerSaeFeatureCommands(sae: Command): void {
  sae
    .command("dashboard")
    .description("feature dashboard: for each latent its top-activating contexts, samples by activation interval, activation histogram, density and logit effects, as HTML pages")
    .requiredOption("--sae <dir>", "an SAE folder (cfg.json + sae_weights.safetensors)")
    .requiredOption("--model <dirOrName>", MODEL_HELP)
    .option("--no-processing", NO_PROCESSING_HELP)
    .option("--data <fileOrName>", "the text: a file, or tinyshakespeare | tinystories", "tinyshakespeare")
    .addOption(replaceInvalidUtf8Option())
    .option("--windows <n>", "windows of text to read (the held-out last 10 % first, then from the start)", "1024")
    .option("--context-size <n>", "tokens per window (default: the SAE's context_size, else the model's n_ctx, at most 128)")
    .option("--latents <ids>", "cards for these latents, e.g. 0,5,9")
    .option("--top <n>", "cards for the n densest latents")
    .option("--spread <n>", `cards for n latents spread evenly over the density order, densest to rarest (the default: 100, or ${SINGLE_FILE_CARDS} for a single file)`)
    .option("--examples <n>", "top-activating contexts per latent", "20")
    .option("--samples <n>", "random examples per activation interval", "3")
    .option("--seed <n>", "random seed of the interval samples", "0")
    .option("--out <dirOrFile>", `a folder (index.html + pages of ${CARDS_PER_PAGE} cards), or one .html file (at most ${SINGLE_FILE_CARDS} cards)`, defaultOut("sae-dashboard"))
    .option("--json <file>", "also write the numbers (density of every latent; the chosen latents' examples, histograms, logit effects) as JSON")
    .option("--overwrite", "replace --out / --json if they exist")
    .addHelpText("after", `\nThe index lists every latent by density (at most ${INDEX_ROWS} rows); cards go ${CARDS_PER_PAGE} to a page so each opens fast.\nLogit effects are the direct path: W_dec[i] through ln_final's centring and weight, times W_U.`)
    .action(async (o: Opts & { processing?: boolean; overwrite?: boolean }) => {
      const picks = (["latents", "top", "spread"] as const).filter((k) => o[k] !== undefined);
      if (picks.length > 1) throw new Error(`${picks.map((k) => `--${k}`).join(" and ")} contradict each other: choose one`);
      const single = /\.html?$/i.test(o.out);
      // refuse before any work is done
      const out = single ? outputFile(o.out, o.overwrite, "--out") : outputDir(o.out, o.overwrite, "--out");
      const json = o.json === undefined ? undefined : outputFile(o.json, o.overwrite, "--json");
      const { sae: sparse, model, tokenizer } = await loadPair(o);
      const dSae = sparse.cfg.d_sae;
      const cap = single ? SINGLE_FILE_CARDS : Infinity;
      let chosen = o.latents !== undefined ? parseLatents(o.latents, "--latents", dSae) : null;
      const flag = o.latents !== undefined ? "latents" : o.top !== undefined ? "top" : "spread";
      const count = chosen ? chosen.length : intOption(o, flag, Math.min(100, cap, dSae), 0, dSae);
      if (count > cap) throw new Error(`--out ${o.out}: one page holds at most ${SINGLE_FILE_CARDS} latent cards, but ${flag === "latents" ? "--latents lists" : `--${flag} asks for`} ${count}; write a folder (an --out without .html) or ask for fewer`);
      // the latents with cards, from the density order: the densest, or evenly spaced through the live ones
      const pick = (res: SaeFeaturesResult) => {
        const live = densityOrder(res).filter((j) => res.density[j] > 0);
        if (flag === "top" || count >= live.length) return live.slice(0, count);
        return Array.from({ length: count }, (_, i) => live[Math.floor((i * live.length) / count)]);
      };
      const contextSize = intOption(o, "contextSize", Math.min(model.cfg.n_ctx, sparse.cfg.context_size ?? 128), 2, model.cfg.n_ctx);
      const { train, val, name } = await corpusTokens(o.data, tokenizer, o.replaceInvalidUtf8);
      const bos = sparse.cfg.prepend_bos ? tokenizer.bosTokenId : undefined;
      const windows = dashboardWindows(train, val, contextSize, intOption(o, "windows", 1024), bos);
      const examples = { topExamples: intOption(o, "examples", 20, 1, 1000), samplesPerInterval: intOption(o, "samples", 3, 0, 100) };
      const common = { windows, excludeTokens: bos === undefined ? [] : [bos], seed: intOption(o, "seed", 0, 0), ...examples };
      const t0 = performance.now();
      const run = (label: string, latents?: number[]) => {
        const bar = progress(label, windows.length);
        try {
          return saeFeatures(model, sparse, { ...common, latents, onProgress: (done) => bar.update(done, {}) });
        } finally {
          bar.stop();
        }
      };
      let r: SaeFeaturesResult;
      if (chosen) r = run("features", chosen);
      else if (FeatureCollector.bytesFor(dSae, examples) <= ONE_PASS_BYTES) r = run("features");
      else {
        // too many latents to keep examples of all: a density pass picks them, a second reads them
        console.log(`d_sae ${dSae}: a first pass for density, then examples of the ${count} latents chosen by it`);
        chosen = pick(run("density", []));
        r = run("features", chosen);
      }
      const secs = (performance.now() - t0) / 1000;
      chosen ??= pick(r);
      const piece = pieceOf(tokenizer);
      const cfg = sparse.cfg;
      const info = {
        title: `${cfg.architecture}${cfg.k ? ` k=${cfg.k}` : ""} SAE, d_sae ${dSae}, at ${cfg.hook_name}${cfg.hook_head_index !== null ? ` head ${cfg.hook_head_index}` : ""}`,
        source: `${o.sae} on ${o.model} · text: ${name}`,
        command: `dgpt ${process.argv.slice(2).join(" ")}`.slice(0, 300),
      };
      console.log(`read ${r.tokens} tokens (${r.windows} windows of ${contextSize}) in ${secs.toFixed(1)} s: ${r.density.filter((d) => d === 0).length} dead latents, ${r.density.filter((d) => d > 0.1).length} dense`);
      if (single) {
        const html = dashboardPage(r, chosen, piece, info);
        await writePlot(out, html);
        console.log(`wrote ${out} (${chosen.length} latent cards, ${(html.length / 1024).toFixed(0)} KB)`);
      } else {
        if (o.overwrite) clearOldPages(out);
        const { pages } = dashboardFolder(r, chosen, piece, info);
        let bytes = 0;
        let largest = 0;
        for (const [file, html] of pages) {
          await writePlot(join(out, file), html);
          bytes += html.length;
          largest = Math.max(largest, html.length);
        }
        console.log(`wrote ${join(out, "index.html")} and ${pages.size - 1} pages of latent cards (${chosen.length} latents; ${(bytes / 2 ** 20).toFixed(1)} MB in all, the largest page ${(largest / 1024).toFixed(0)} KB)`);
      }
      if (json) {
        const data = { ...r, density: Array.from(r.density), fires: Array.from(r.fires), maxAct: Array.from(r.maxAct), meanAct: Array.from(r.meanAct) };
        await writeFileAtomic(json, new TextEncoder().encode(JSON.stringify(data) + "\n"));
        console.log(`wrote ${json}`);
      }
    });

  sae
    .command("steer")
    .description("push one SAE latent while the model runs (add α·W_dec[i], clamp it, or ablate it) and compare generations and the next-token distribution before and after")
    .requiredOption("--sae <dir>", "an SAE folder (cfg.json + sae_weights.safetensors)")
    .requiredOption("--model <dirOrName>", MODEL_HELP)
    .option("--no-processing", NO_PROCESSING_HELP)
    .requiredOption("--latent <i>", "the latent to intervene on")
    .option("--mode <mode>", `${INTERVENTION_MODES.join(" | ")}: add = add α·W_dec[i] to the activation; clamp = set f_i to α; ablate = set f_i to 0 (clamp and ablate keep the SAE's error term, so only latent i changes)`, "add")
    .option("--alpha <x>", "add: the multiple of W_dec[i] added; clamp: the value f_i is set to")
    .option("--positions <list>", "only at these token positions of the sequence (0 = the prompt's first token), e.g. 3,4; default every position, generated ones too")
    .option("--prompt <text>", "text to continue", "\n")
    .addOption(prependBosOption())
    .option("--max-tokens <n>", "tokens to generate", "100")
    .option("--temperature <x>", "0 = greedy", "0.8")
    .option("--top-k <n>", "sample among the k most likely tokens only")
    .option("--top-p <x>", "sample among the most likely tokens whose probabilities add up to x")
    .option("--seed <n>", "random seed (the same for both generations)", "0")
    .option("--json <file>", "also write the generations and the next-token effect as JSON")
    .option("--overwrite", "replace --json if it exists")
    .action(async (o: Opts & { processing?: boolean; overwrite?: boolean; prependBos?: boolean }) => {
      const json = o.json === undefined ? undefined : outputFile(o.json, o.overwrite, "--json");
      const mode = o.mode as InterventionMode;
      if (!INTERVENTION_MODES.includes(mode)) throw new Error(`--mode must be one of ${INTERVENTION_MODES.join(", ")}, got "${o.mode}"`);
      if (mode !== "ablate" && o.alpha === undefined) throw new Error(`--mode ${mode} needs --alpha (${mode === "add" ? "the multiple of W_dec[i] to add, e.g. --alpha 10" : "the value to clamp the latent to"})`);
      if (mode === "ablate" && o.alpha !== undefined) throw new Error("--alpha has no meaning with --mode ablate (the latent is set to 0)");
      const alpha = mode === "ablate" ? 0 : numberOption(o, "alpha", 0);
      const { sae: sparse, model, tokenizer } = await loadPair(o);
      const dSae = sparse.cfg.d_sae;
      const latent = intOption(o, "latent", 0, 0);
      if (latent >= dSae) throw new Error(`--latent ${latent}: the SAE has latents 0 to ${dSae - 1}`);
      const prompt = encodePrompt(tokenizer, o.prompt, "--prompt", o.prependBos);
      if (prompt.length === 0) throw new Error("--prompt encodes to no tokens");
      if (prompt.length > model.cfg.n_ctx) throw new Error(`--prompt is ${prompt.length} tokens, more than the model's context of ${model.cfg.n_ctx}`);
      const positions = o.positions === undefined ? undefined : parseIndices(o.positions, "--positions", "token positions");
      const iv: Intervention = { latent, mode, value: alpha, positions };
      const maxNewTokens = intOption(o, "maxTokens", 100, 0);
      const temperature = numberOption(o, "temperature", 0.8);
      if (!(temperature >= 0)) throw new Error(`--temperature must be ≥ 0, got ${o.temperature}`);
      const seed = intOption(o, "seed", 0, 0);
      const piece = pieceOf(tokenizer);
      const q = (id: number) => quoteToken(piece(id));

      // the latent on the prompt, so an ablation that changes nothing says why
      const fOnPrompt = latentActivations(model, sparse, prompt, latent);
      const where = positions ? `at positions ${positions.join(", ")}` : "at every position";
      const what = mode === "add" ? `add ${fmt(alpha)} × W_dec[${latent}] (‖W_dec[${latent}]‖ = ${fmt(sparse.W_dec.select(0, latent).norm().item())})` : mode === "clamp" ? `clamp latent ${latent} to ${fmt(alpha)} (the SAE's error term kept)` : `ablate latent ${latent} (set it to 0, the SAE's error term kept)`;
      console.log(`${sparse.cfg.architecture} SAE at ${sparse.cfg.hook_name}: ${what}, ${where}`);
      const maxF = Math.max(...fOnPrompt);
      console.log(`latent ${latent} on the prompt (${prompt.length} tokens): ${maxF > 0 ? `max ${fmt(maxF)} at position ${fOnPrompt.indexOf(maxF)}, active on ${fOnPrompt.filter((v) => v > 0).length}` : "never active"}${mode === "ablate" && maxF === 0 ? " — ablating it changes nothing on the prompt" : ""}`);

      const effect = nextTokenEffect(model, sparse, prompt, iv);
      const shift = (s: { token: number; before: number; after: number }) => `${q(s.token)} ${fmt(s.before)} → ${fmt(s.after)}`;
      console.log(`\nnext token after the prompt: KL ${effect.kl.toFixed(4)} nats (mean over its ${prompt.length} positions ${effect.meanKl.toFixed(4)}); most likely ${q(effect.topBefore)} → ${q(effect.topAfter)}`);
      console.log(`  gain: ${effect.gains.length ? effect.gains.slice(0, 8).map(shift).join(", ") : "none"}`);
      console.log(`  lose: ${effect.losses.length ? effect.losses.slice(0, 8).map(shift).join(", ") : "none"}`);

      const t0 = performance.now();
      const stop = tokenizer.eosTokenId !== undefined ? [tokenizer.eosTokenId] : undefined;
      const gen = steerGenerations(model, sparse, prompt, iv, {
        maxNewTokens,
        temperature,
        topK: o.topK !== undefined ? intOption(o, "topK", 0) : undefined,
        topP: o.topP !== undefined ? probabilityOption(o, "topP") : undefined,
        stopTokens: stop,
        seed,
      });
      const secs = (performance.now() - t0) / 1000;
      const text = (ids: number[]) => tokenizer.decode(ids.filter((id) => id !== tokenizer.eosTokenId));
      console.log(`\n--- before (seed ${seed}, temperature ${temperature}) ---\n${o.prompt}${text(gen.before)}`);
      console.log(`\n--- after (${mode}${mode === "ablate" ? "" : ` ${fmt(alpha)}`}) ---\n${o.prompt}${text(gen.after)}`);
      console.log(`\n[${gen.before.length + gen.after.length} tokens in ${secs.toFixed(2)} s]`);
      if (json) {
        const data = { sae: resolve(o.sae), latent, mode, alpha: mode === "ablate" ? null : alpha, positions: positions ?? null, prompt: o.prompt, promptTokens: prompt, latentOnPrompt: Array.from(fOnPrompt), nextToken: effect, before: { tokens: gen.before, text: text(gen.before) }, after: { tokens: gen.after, text: text(gen.after) } };
        await writeFileAtomic(json, new TextEncoder().encode(JSON.stringify(data, null, 1) + "\n"));
        console.log(`wrote ${json}`);
      }
    });
}
