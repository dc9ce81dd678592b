// `dgpt sae train | eval`: sparse autoencoders on any hook of any model. Thin: read flags, load the
// model and corpus, call src/sae, print and write. (dashboard and steer: sae-features.ts)
import type { Command } from "commander";
import { evaluateSae, type SaeEvalResult } from "../sae/evaluate.js";
import { loadSae } from "../sae/files.node.js";
import { SAE_ARCHITECTURES, type SaeArchitecture, SparseAutoencoder } from "../sae/sae.js";
import { SaeOutputExistsError, checkSaeRunDir, runSaeTraining } from "../sae/run.node.js";
import { ActivationStore } from "../sae/store.js";
import type { TrainSaeOptions } from "../sae/train.js";
import { CliExit, MODEL_HELP, NO_PROCESSING_HELP, defaultOut, outputFile, replaceInvalidUtf8Option } from "./common.js";
import { intOption, numberOption } from "./options.js";
import { progress } from "./progress.js";
import { writeFileAtomic } from "../io/files.node.js";
import { registerSaeFeatureCommands } from "./sae-features.js";
import { registerSaeSyntheticCommand } from "./sae-synthetic.js";
import { corpusTokens, loadSaeModel } from "./sae-common.js";

type Opts = Record<string, string>;

/** Evaluation windows from the held-out tokens: up to `n` windows of contextSize (BOS first when the model has one). */
export function evalWindows(val: Int32Array, contextSize: number, n: number, bos: number | undefined): number[][] {
  const text = contextSize - (bos === undefined ? 0 : 1);
  const windows: number[][] = [];
  for (let s = 0; s + text <= val.length && windows.length < n; s += text) windows.push([...(bos === undefined ? [] : [bos]), ...val.subarray(s, s + text)]);
  if (windows.length === 0) throw new Error(`--data: the held-out part (last 10 %) has ${val.length} tokens, fewer than one window of ${text}; use a longer text or a smaller --context-size`);
  return windows;
}

export function evalSummary(r: SaeEvalResult, dSae: number): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
  return [
    `evaluated on ${r.tokens} tokens:`,
    `  L0 ${r.l0.toFixed(1)} latents per token · explained variance ${pct(r.explainedVariance)} · MSE ${r.mse.toPrecision(4)}`,
    `  CE loss: clean ${r.ceLossClean.toFixed(4)}, with the SAE ${r.ceLossWithSae.toFixed(4)}, zero-ablated ${r.ceLossZeroAblation.toFixed(4)} → recovered ${pct(r.ceLossRecovered)} · KL ${r.klDivWithSae.toFixed(4)}`,
    `  dead latents ${r.deadLatents} / ${dSae} · dense (> 10 % of tokens) ${r.denseLatents}`,
  ].join("\n");
}

/** The eval result as JSON (density as a plain array). */
function evalJson(r: SaeEvalResult): Record<string, unknown> {
  return { ...r, density: Array.from(r.density) };
}

export function registerSaeCommands(program: Command): void {
  const sae = program.command("sae").description("sparse autoencoders: train on any hook, evaluate, feature dashboards, steering (SAELens files)");

  sae
    .command("train")
    .description("train a sparse autoencoder on a model's activations at one hook, streamed from a text")
    .requiredOption("--model <dirOrName>", MODEL_HELP)
    .option("--no-processing", NO_PROCESSING_HELP)
    .requiredOption("--hook <name>", "the hook to read, e.g. blocks.1.hook_resid_post (TransformerLens names)")
    .option("--head <n>", "for hook_z / hook_q …: one head's activations")
    .option("--arch <name>", `architecture: ${SAE_ARCHITECTURES.join(" | ")}`, "topk")
    .option("--k <n>", "latents kept per token (topk)", "32")
    .option("--d-sae <n>", "number of latents (default 16 × the hook's width)")
    .option("--tokens <n>", "training tokens (activations)", "1000000")
    .option("--batch-size <n>", "activations per step (a run of minutes needs steps: SAELens's 4096 suits runs of 100M+ tokens)", "1024")
    .option("--lr <x>", "Adam learning rate (SAELens's 3e-4 suits long runs)", "0.001")
    .option("--l1 <x>", "sparsity coefficient λ: L1 for standard and gated (default 5, with --normalize), L0 for jumprelu (default 1)")
    .option("--normalize", "scale activations to mean norm √d_in first (Anthropic's recipe; the scale is folded into the saved weights)")
    .option("--init-threshold <x>", "jumprelu: every threshold's starting value", "0.01")
    .option("--resample", "standard, gated, jumprelu: resample dead latents at 25 %, 50 % and 75 % of the run")
    .option("--data <fileOrName>", "the text: a file, or tinyshakespeare | tinystories", "tinyshakespeare")
    .addOption(replaceInvalidUtf8Option())
    .option("--context-size <n>", "tokens per window (default: the model's n_ctx, at most 128)")
    .option("--eval-windows <n>", "held-out windows for the final evaluation", "64")
    .option("--seed <n>", "random seed", "0")
    .option("--out <dir>", "output folder (a SAELens folder when done)", defaultOut("sae"))
    .option("--resume", "continue the run saved in --out")
    .option("--overwrite", "replace a run already in --out")
    .action(async (o: Opts & { processing?: boolean; normalize?: boolean; resample?: boolean; resume?: boolean; overwrite?: boolean }) => {
      if (o.resume && o.overwrite) throw new Error("--resume and --overwrite contradict each other: choose one");
      let saved;
      try {
        saved = await checkSaeRunDir(o.out, { resume: o.resume, overwrite: o.overwrite });
      } catch (err) {
        if (err instanceof SaeOutputExistsError) throw new Error(err.kind === "run" ? `--out ${o.out} already holds an SAE run: continue it with --resume, or replace it with --overwrite` : `--resume: ${o.out} has no checkpoint to continue from`);
        throw err;
      }
      const arch = o.arch as SaeArchitecture;
      if (!SAE_ARCHITECTURES.includes(arch)) throw new Error(`--arch must be one of ${SAE_ARCHITECTURES.join(", ")}, got "${o.arch}"`);
      const { model, tokenizer } = await loadSaeModel(o.model, o.processing);
      const hook = o.hook;
      model.hookPoint(hook); // unknown hook names: the error lists near matches
      const contextSize = intOption(o, "contextSize", Math.min(model.cfg.n_ctx, 128), 2, model.cfg.n_ctx);
      const { train, val, name } = await corpusTokens(o.data, tokenizer, o.replaceInvalidUtf8);
      const bos = tokenizer.bosTokenId;
      const batchSize = intOption(o, "batchSize", 1024);
      const store = new ActivationStore(model, train, { hook, contextSize, bos, headIndex: o.head === undefined ? undefined : intOption(o, "head", 0, 0), bufferSize: Math.max(8 * batchSize, 32768), seed: intOption(o, "seed", 0, 0) });
      const dIn = store.dIn;
      const dSae = intOption(o, "dSae", 16 * dIn);
      const k = arch === "topk" ? intOption(o, "k", 32) : undefined;
      if (k !== undefined && k > dSae) throw new Error(`--k ${k} is more than --d-sae ${dSae}`);
      const l1 = o.l1 === undefined ? undefined : numberOption(o, "l1", 0);
      if (l1 !== undefined && !(l1 >= 0)) throw new Error(`--l1 must be ≥ 0, got ${o.l1}`);
      const lr = numberOption(o, "lr", 1e-3);
      if (!(lr > 0)) throw new Error(`--lr must be positive, got ${o.lr}`);
      const initThreshold = numberOption(o, "initThreshold", 0.01);
      if (!(initThreshold > 0)) throw new Error(`--init-threshold must be positive, got ${o.initThreshold}`);
      const steps = Math.max(1, Math.ceil(intOption(o, "tokens", 1_000_000) / batchSize));
      const resampleAt = o.resample ? [0.25, 0.5, 0.75].map((f) => Math.max(1, Math.round(f * steps))) : undefined;
      if (resampleAt && arch === "topk") throw new Error("--resample is for standard, gated and jumprelu SAEs; topk trains dead latents with its AuxK loss");
      const cfgFromFlags = { d_in: dIn, d_sae: dSae, architecture: arch, k, hook_name: hook, hook_layer: Number(/^blocks\.(\d+)\./.exec(hook)?.[1] ?? -1), hook_head_index: o.head === undefined ? null : Number(o.head), model_name: o.model, context_size: contextSize, prepend_bos: bos !== undefined, normalize_activations: o.normalize ? ("expected_average_only_in" as const) : ("none" as const), seed: intOption(o, "seed", 0, 0) };
      const sparse = new SparseAutoencoder(saved ? saved.cfg : cfgFromFlags);
      const options: TrainSaeOptions = saved ? { ...saved.options } : { steps, batchSize, lr, sparsityCoefficient: l1, initThreshold, resampleAt, seed: intOption(o, "seed", 0, 0), logEvery: Math.max(1, Math.floor(steps / 200)) };
      console.log(`SAE: ${sparse.cfg.architecture}${sparse.cfg.k ? ` k=${sparse.cfg.k}` : ""}, d_in ${sparse.cfg.d_in} → d_sae ${sparse.cfg.d_sae}, at ${hook}; ${options.steps} steps of ${options.batchSize} activations from ${name} (${train.length} tokens, windows of ${contextSize})`);
      const bar = progress("sae", options.steps);
      const t0 = performance.now();
      let served0 = store.activationsServed;
      const result = await runSaeTraining(sparse, store, options, {
        outDir: o.out,
        resume: o.resume,
        overwrite: o.overwrite,
        onResume: (s) => {
          bar.log(`resuming from step ${s} (${o.out}/checkpoint)`);
          served0 = store.activationsServed;
        },
        onSignal: (s) => bar.log(`${s}: stopping after this piece and saving a checkpoint in ${o.out} (send it again to quit without saving)`),
        onLog: (m) => bar.update(m.step, { mse: m.mse, l0: m.l0, fve: m.explainedVariance, dead: m.dead, "act/s": Math.round((store.activationsServed - served0) / ((performance.now() - t0) / 1000)) }),
      }, saved);
      bar.stop();
      if (result.signal) {
        console.log(`stopped by ${result.signal} at step ${result.step}: continue with --resume`);
        throw new CliExit(result.signal === "SIGINT" ? 130 : result.signal === "SIGTERM" ? 143 : 129);
      }
      const r = evaluateSae(model, sparse, { windows: evalWindows(val, contextSize, intOption(o, "evalWindows", 64), bos), excludeTokens: bos === undefined ? [] : [bos], headIndex: sparse.cfg.hook_head_index ?? undefined });
      console.log(evalSummary(r, sparse.cfg.d_sae));
      await writeFileAtomic(`${o.out}/eval.json`, new TextEncoder().encode(JSON.stringify(evalJson(r), null, 2) + "\n"));
      console.log(`SAE (SAELens folder): ${o.out}\nmetrics: ${o.out}/metrics.jsonl · evaluation: ${o.out}/eval.json`);
    });

  sae
    .command("eval")
    .description("evaluate a saved SAE (ours or SAELens's): L0, explained variance, CE loss recovered, KL, dead and dense latents")
    .requiredOption("--sae <dir>", "an SAE folder (cfg.json + sae_weights.safetensors)")
    .requiredOption("--model <dirOrName>", MODEL_HELP)
    .option("--no-processing", NO_PROCESSING_HELP)
    .option("--data <fileOrName>", "the text: a file, or tinyshakespeare | tinystories", "tinyshakespeare")
    .addOption(replaceInvalidUtf8Option())
    .option("--windows <n>", "windows of held-out text (the last 10 %)", "64")
    .option("--context-size <n>", "tokens per window (default: the SAE's context_size, else the model's n_ctx, at most 128)")
    .option("--json <file>", "also write the numbers as JSON")
    .option("--overwrite", "replace --json if it exists")
    .action(async (o: Opts & { processing?: boolean; overwrite?: boolean }) => {
      const json = o.json === undefined ? undefined : outputFile(o.json, o.overwrite, "--json");
      const sparse = await loadSae(o.sae);
      const { model, tokenizer } = await loadSaeModel(o.model, o.processing);
      model.hookPoint(sparse.cfg.hook_name);
      const contextSize = intOption(o, "contextSize", Math.min(model.cfg.n_ctx, sparse.cfg.context_size ?? 128), 2, model.cfg.n_ctx);
      const { val } = await corpusTokens(o.data, tokenizer, o.replaceInvalidUtf8);
      const bos = sparse.cfg.prepend_bos ? tokenizer.bosTokenId : undefined;
      const r = evaluateSae(model, sparse, { windows: evalWindows(val, contextSize, intOption(o, "windows", 64), bos), excludeTokens: bos === undefined ? [] : [bos], headIndex: sparse.cfg.hook_head_index ?? undefined });
      console.log(`${sparse.cfg.architecture} SAE at ${sparse.cfg.hook_name}, d_sae ${sparse.cfg.d_sae}`);
      console.log(evalSummary(r, sparse.cfg.d_sae));
      if (json) {
        await writeFileAtomic(json, new TextEncoder().encode(JSON.stringify(evalJson(r), null, 2) + "\n"));
        console.log(`numbers: ${json}`);
      }
    });

  registerSaeFeatureCommands(sae);
  registerSaeSyntheticCommand(sae);
}
