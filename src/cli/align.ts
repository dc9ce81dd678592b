// `dgpt align prefs | rm | dpo` (and ppo, rloo: align-rl.ts): the alignment pipeline from the
// command line — preferences from a model's samples ranked by the sentiment rule, a reward model
// trained on them, and DPO on the same pairs. Each writes its result folder or file, metrics
// (JSONL), summary.json and an HTML page.
import { readFile, rm as remove } from "node:fs/promises";
import { join } from "node:path";
import { type Command, Option } from "commander";
import { writeFileAtomic } from "../io/files.node.js";
import { writePlot } from "../plot/files.node.js";
import { keep } from "../tensor/scope.js";
import type { Tensor } from "../tensor/tensor.js";
import { savePolicyCheckpoint } from "../align/checkpoint.node.js";
import { trainDpo, type DpoLossType, type DpoMetrics } from "../align/dpo.js";
import { sentiment } from "../align/lexicon.js";
import { samplePreferencePairs } from "../align/preference-sampling.js";
import { encodePreferences, formatPreferences, parsePreferences } from "../align/preferences.js";
import { splitHeldOut } from "../align/prompts.js";
import { RewardModel, evaluateRewardModel, trainRewardModel, type RewardMetrics } from "../align/reward.js";
import { saveRewardModel } from "../align/reward-files.node.js";
import { CliExit, defaultOut, forFlag, MODEL_HELP, outputDir, outputFile } from "./common.js";
import { intOption, numberOption } from "./options.js";
import { progress } from "./progress.js";
import { encodePrompts, evaluateForReport, jsonlWriter, loadAlignModel, loadPrompts, loadReward, promptSourceOptions, sentimentReward, stopTokens, type NamedReward } from "./align-common.js";
import { registerAlignRlCommands } from "./align-rl.js";
import { dpoPage, evalCaption, rewardModelPage } from "./pages/align.js";

type Opts = Record<string, string>;

/** --prefs FILE read and tokenized; errors name the file, the line and the field. */
async function readPreferencePairs(path: string, tok: Parameters<typeof encodePreferences>[1]) {
  const text = await forFlag("--prefs", path, () => readFile(path, "utf8"));
  const pairs = parsePreferences(text, path);
  return { pairs, ids: encodePreferences(pairs, tok, path) };
}

export function registerAlignCommands(program: Command): void {
  const align = program.command("align").description("alignment: preference data, reward models, RLHF (PPO, RLOO) and DPO on a model you trained");

  promptSourceOptions(
    align
      .command("prefs")
      .description("preference pairs from a model's samples: two completions of each prompt, the one the sentiment rule scores higher is chosen")
      .requiredOption("--model <dir>", MODEL_HELP),
  )
    .option("--n <n>", "pairs to sample, going round the prompts as often as needed (ties are dropped)", "600")
    .option("--max-new-tokens <n>", "tokens per completion at most", "32")
    .option("--temperature <x>", "sampling temperature", "1")
    .option("--seed <n>", "random seed", "0")
    .option("--out <file>", "the JSONL file to write", defaultOut("prefs.jsonl"))
    .option("--overwrite", "replace --out if it exists")
    .action(async (o: Opts & { overwrite?: boolean }) => {
      const out = outputFile(o.out, o.overwrite);
      const sft = await loadAlignModel(o.model);
      const prompts = await loadPrompts(o);
      const maxNewTokens = intOption(o, "maxNewTokens", 32);
      // --n past the number of prompts goes round them again (fresh samples each time)
      const texts = Array.from({ length: intOption(o, "n", 600) }, (_, i) => prompts.train[i % prompts.train.length]);
      // long prompts are cut to fit: the pair records the text the model saw
      const ids = encodePrompts(sft.tokenizer, texts, sft.model.cfg.n_ctx, maxNewTokens, o.prompts ? "--prompts" : "--data");
      const seen = ids.map((p) => sft.tokenizer.decode(p));
      const temperature = numberOption(o, "temperature", 1);
      if (!(temperature > 0)) throw new Error(`--temperature must be > 0, got ${o.temperature}`);
      const bar = progress("prefs", seen.length);
      const pairs = samplePreferencePairs(sft.model, sft.tokenizer, seen, { score: (c) => sentiment(c), maxNewTokens, temperature, stopTokens: stopTokens(sft.tokenizer), seed: intOption(o, "seed", 0, 0), onProgress: (d) => bar.update(d, {}) });
      bar.stop();
      if (pairs.length === 0) throw new Error("every pair was a tie (both completions scored the same): use more --n or longer completions");
      await writeFileAtomic(out, new TextEncoder().encode(formatPreferences(pairs)));
      const gap = pairs.reduce((s, p) => s + sentiment(p.chosen) - sentiment(p.rejected), 0) / pairs.length;
      console.log(`${pairs.length} pairs from ${seen.length} prompts (${seen.length - pairs.length} ties or empty completions dropped); mean sentiment chosen − rejected ${gap.toFixed(3)}`);
      console.log(`wrote ${out}`);
    });

  align
    .command("rm")
    .description("train a reward model (the model's body + a scalar head) on preference pairs with the Bradley–Terry loss; reports held-out accuracy")
    .requiredOption("--model <dir>", `the model to start the reward model from (usually the SFT model): ${MODEL_HELP}`)
    .requiredOption("--prefs <file>", "preference pairs, one JSON object per line: {\"prompt\", \"chosen\", \"rejected\"}")
    .option("--steps <n>", "optimizer steps", "300")
    .option("--batch-size <n>", "pairs per step", "16")
    .option("--lr <x>", "AdamW learning rate", "3e-4")
    .option("--val-frac <x>", "share of the pairs held out (the file's last ones)", "0.1")
    .option("--seed <n>", "random seed", "0")
    .option("--out <dir>", "the reward model folder to write", defaultOut("align-rm"))
    .option("--overwrite", "replace --out if it holds something")
    .action(async (o: Opts & { overwrite?: boolean }) => {
      const out = outputDir(o.out, o.overwrite);
      const sft = await loadAlignModel(o.model);
      const { ids } = await readPreferencePairs(o.prefs, sft.tokenizer);
      const valFrac = numberOption(o, "valFrac", 0.1);
      if (!(valFrac > 0 && valFrac < 1)) throw new Error(`--val-frac must be in (0, 1), got ${o.valFrac}`);
      if (ids.length < 2) throw new Error(`--prefs ${o.prefs}: ${ids.length} pair; a held-out part needs at least 2`);
      const { train, heldOut } = splitHeldOut(ids, valFrac);
      const steps = intOption(o, "steps", 300);
      const rmModel = new RewardModel(sft.model);
      const start = evaluateRewardModel(rmModel, heldOut);
      const setup = `reward model on ${sft.dir} (${(sft.model.numParameters() / 1e6).toFixed(2)}M parameters + a ${sft.model.cfg.d_model} → 1 head); ${train.length} training pairs, ${heldOut.length} held out, from ${o.prefs}; ${steps} steps of ${o.batchSize} pairs, lr ${o.lr}`;
      console.log(setup);
      console.log(`held-out accuracy before training ${(100 * start.accuracy).toFixed(1)} %`);
      await remove(join(out, "metrics.jsonl"), { force: true });
      const log = jsonlWriter(join(out, "metrics.jsonl"));
      const rows: RewardMetrics[] = [];
      const bar = progress("rm", steps);
      trainRewardModel(rmModel, train, {
        steps,
        batchSize: intOption(o, "batchSize", 16),
        lr: numberOption(o, "lr", 3e-4),
        seed: intOption(o, "seed", 0, 0),
        valPairs: heldOut,
        logEvery: Math.max(1, Math.round(steps / 30)),
        onLog: (m) => {
          rows.push(m);
          bar.update(m.step, { loss: m.loss, acc: m.accuracy, val: m.valAccuracy ?? NaN });
        },
      });
      bar.stop();
      for (const m of rows) await log(m);
      const final = rows.at(-1)!;
      await saveRewardModel(out, rmModel, { "tokenizer.json": sft.tokenizerJson }, { sft: sft.dir, val_accuracy: final.valAccuracy, val_pairs: heldOut.length });
      await writePlot(join(out, "rm.html"), rewardModelPage("dgpt align rm", setup, rows as unknown as Record<string, number>[]));
      const summary = { setup, trainPairs: train.length, valPairs: heldOut.length, valAccuracyBefore: start.accuracy, valAccuracy: final.valAccuracy, valMargin: final.valMargin };
      await writeFileAtomic(join(out, "summary.json"), new TextEncoder().encode(JSON.stringify(summary, null, 1) + "\n"));
      console.log(`held-out accuracy ${(100 * final.valAccuracy!).toFixed(1)} % (${heldOut.length} pairs), margin ${final.valMargin!.toFixed(3)}`);
      console.log(`reward model: ${out}\npage: ${join(out, "rm.html")}`);
    });

  align
    .command("dpo")
    .description("Direct Preference Optimization on preference pairs against a frozen copy of the model; evaluates reward and KL before and after")
    .requiredOption("--model <dir>", `the SFT model: ${MODEL_HELP}`)
    .requiredOption("--prefs <file>", "preference pairs (JSONL)")
    .requiredOption("--beta <x>", "β > 0: the strength of the implicit KL constraint")
    .addOption(new Option("--loss <kind>", "sigmoid (DPO) or ipo").choices(["sigmoid", "ipo"]).default("sigmoid"))
    .option("--label-smoothing <x>", "conservative DPO's ε in [0, 0.5)", "0")
    .option("--steps <n>", "optimizer steps", "200")
    .option("--batch-size <n>", "pairs per step", "16")
    .option("--lr <x>", "AdamW learning rate", "5e-4")
    .option("--eval-reward <dir>", "a reward model folder to score the evaluation samples with, beside the sentiment rule")
    .option("--data <fileOrName>", "evaluation prompts: the opening words of each story in this text (the held-out 10 %)", "tinystories")
    .option("--prompts <file>", "evaluation prompts: one per line (the last 10 % are used)")
    .option("--prompt-words <n>", "with --data: words per prompt", "8")
    .option("--eval-prompts <n>", "held-out prompts for the before/after evaluation", "64")
    .option("--max-new-tokens <n>", "tokens per evaluation completion", "32")
    .option("--seed <n>", "random seed", "0")
    .option("--out <dir>", "output folder", defaultOut("align-dpo"))
    .option("--overwrite", "replace a run already in --out")
    .action(async (o: Opts & { overwrite?: boolean }) => {
      const beta = numberOption(o, "beta", 0);
      if (!(beta > 0)) throw new Error(`--beta must be > 0 (it scales the log-ratios: β → 0 lets the policy move without limit), got ${o.beta}`);
      const out = outputDir(o.out, o.overwrite);
      for (const f of ["metrics.jsonl", "dpo.html", "summary.json"]) await remove(join(out, f), { force: true });
      const sft = await loadAlignModel(o.model);
      const reference = await loadAlignModel(o.model);
      const tok = sft.tokenizer;
      const { ids } = await readPreferencePairs(o.prefs, tok);
      const evalRewards: NamedReward[] = [{ name: "sentiment", fn: sentimentReward(tok) }];
      if (o.evalReward !== undefined) evalRewards.push(await loadReward(o.evalReward, tok, sft.model, "--eval-reward"));
      const maxNewTokens = intOption(o, "maxNewTokens", 32);
      const seed = intOption(o, "seed", 0, 0);
      const prompts = await loadPrompts(o);
      const evalTexts = prompts.heldOut.slice(0, intOption(o, "evalPrompts", 64));
      const evalSet = { texts: evalTexts, ids: encodePrompts(tok, evalTexts, sft.model.cfg.n_ctx, maxNewTokens, o.prompts ? "--prompts" : "--data") };
      const evaluate = () => evaluateForReport(sft.model, reference.model, tok, evalSet, evalRewards, maxNewTokens, seed + 1);
      const steps = intOption(o, "steps", 200);
      const setup = `DPO (${o.loss}) on ${sft.dir} (${(sft.model.numParameters() / 1e6).toFixed(2)}M parameters) with ${ids.length} pairs from ${o.prefs}; β ${beta}, ${steps} steps of ${o.batchSize} pairs, lr ${o.lr}; evaluation on ${evalTexts.length} held-out prompts (${prompts.source}); seed ${seed}`;
      console.log(setup);
      const before = evaluate();
      console.log(evalCaption("before", before));
      // the last weights whose loss was finite, kept in memory: a diverging run saves these
      let good: { step: number; weights: Record<string, Tensor> } = { step: 0, weights: snapshot(sft.model.stateDict()) };
      const rows: DpoMetrics[] = [];
      const bar = progress("dpo", steps);
      const policyDir = join(out, "policy");
      const savePolicy = (step: number) => savePolicyCheckpoint(policyDir, { model: sft.model, extraFiles: { "tokenizer.json": sft.tokenizerJson }, state: { method: "dpo", step, beta, sft: sft.dir } });
      try {
        trainDpo(sft.model, reference.model, ids, {
          beta,
          loss: o.loss as DpoLossType,
          labelSmoothing: numberOption(o, "labelSmoothing", 0),
          steps,
          batchSize: intOption(o, "batchSize", 16),
          lr: numberOption(o, "lr", 5e-4),
          seed,
          logEvery: Math.max(1, Math.round(steps / 50)),
          onLog: (m) => {
            rows.push(m);
            bar.update(m.step, { loss: m.loss, acc: m.accuracy, margin: m.margin });
            for (const t of Object.values(good.weights)) t.dispose();
            good = { step: m.step, weights: snapshot(sft.model.stateDict()) };
          },
        });
      } catch (err) {
        bar.stop();
        const m = /the loss is (\S+) at step (\d+)/.exec((err as Error).message);
        if (!m) throw err;
        sft.model.loadStateDict(good.weights);
        await savePolicy(good.step);
        console.error(`dgpt: dpo diverged at step ${m[2]}: the loss is ${m[1]}; stopped. The last good policy (step ${good.step}) is in ${policyDir}`);
        throw new CliExit(1);
      }
      bar.stop();
      const log = jsonlWriter(join(out, "metrics.jsonl"));
      for (const m of rows) await log(m);
      await savePolicy(steps);
      const after = evaluate();
      console.log(evalCaption(`after ${steps} steps`, after));
      for (const s of after.samples.slice(0, 3)) console.log(`  [${s.reward.toFixed(2)}] ${s.prompt}▸${s.completion.replace(/\n/g, "⏎")}`);
      const evals = [{ label: "before", e: before }, { label: `after ${steps} steps`, e: after }];
      await writePlot(join(out, "dpo.html"), dpoPage("dgpt align dpo", setup, rows as unknown as Record<string, number>[], evals));
      await writeFileAtomic(join(out, "summary.json"), new TextEncoder().encode(JSON.stringify({ method: "dpo", setup, options: o, before, after, last: rows.at(-1) }, null, 1) + "\n"));
      console.log(`policy: ${policyDir}\npage: ${join(out, "dpo.html")}\nmetrics: ${join(out, "metrics.jsonl")} · summary: ${join(out, "summary.json")}`);
    });

  registerAlignRlCommands(align);
}

/** Copies of a state dict's tensors (kept past any tidy scope). */
function snapshot(sd: Record<string, Tensor>): Record<string, Tensor> {
  return Object.fromEntries(Object.entries(sd).map(([k, t]) => [k, keep(t.detach().clone())]));
}
