// `dgpt align ppo` and `dgpt align rloo`: RLHF on a model folder against a frozen copy of it, with
// the sentiment rule or a reward model as the reward. Thin: read flags, call src/align, print a
// live progress line, save the policy every --save-every steps (atomically: a diverging run keeps
// the last good one), write metrics.jsonl, summary.json and a page of the curves.
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { type Command, Option } from "commander";
import { writeFileAtomic } from "../io/files.node.js";
import { writePlot } from "../plot/files.node.js";
import { savePolicyCheckpoint } from "../align/checkpoint.node.js";
import { PpoTrainer, type PpoConfig, type RlStepMetrics } from "../align/ppo.js";
import { TrainingDivergedError } from "../align/rl-common.js";
import { RlooTrainer, type RlooConfig } from "../align/rloo.js";
import { PolicyWithValueHead } from "../align/value-head.js";
import { CliExit, defaultOut, MODEL_HELP, outputDir } from "./common.js";
import { intOption, numberOption } from "./options.js";
import { progress } from "./progress.js";
import { encodePrompts, evaluateForReport, jsonlWriter, loadAlignModel, loadPrompts, loadReward, promptSourceOptions, sentimentReward, SIGNAL_EXIT, stepLoop, stopTokens, type NamedReward } from "./align-common.js";
import { evalCaption, rlPage, type PolicyEvalSummary } from "./pages/align.js";

type Opts = Record<string, string>;
type Kind = "ppo" | "rloo";

/** The options both commands take. */
function rlOptions(cmd: Command, kind: Kind): Command {
  return promptSourceOptions(
    cmd
      .requiredOption("--model <dir>", `the SFT model to start from (and, unless --reference, the frozen reference): ${MODEL_HELP}`)
      .option("--reference <dir>", "the frozen reference model (default: a copy of --model); it must share the model's tokenizer")
      .requiredOption("--reward <dirOrRule>", "what to maximise: sentiment (the lexicon rule on the completion's text) or a reward model folder from `dgpt align rm`")
      .option("--eval-reward <dir>", "a reward model folder to score the evaluation samples with as well")
      .option("--kl-coef <x>", "β, the KL penalty's coefficient (the adaptive controller's start with --target-kl); 0 removes the penalty", "0.5")
      .option("--target-kl <x>", "adapt β so the KL to the reference (nats per completion) tracks this target")
      .option("--horizon <n>", "the adaptive controller's horizon, in samples (Ziegler et al.: 10000, over far longer runs)", "100")
      .option("--steps <n>", "rollout batches (each one update for rloo, several for ppo)", "100")
      .option("--lr <x>", "AdamW learning rate", "5e-5")
      .option("--max-new-tokens <n>", "tokens per completion at most (completions also stop at <|endoftext|>)", "32")
  )
    .option("--eval-prompts <n>", "held-out prompts for the before/after evaluation", "64")
    .option("--save-every <n>", "save the policy every n steps (and at the end)", "10")
    .option("--seed <n>", "random seed", "0")
    .option("--out <dir>", "output folder", defaultOut(`align-${kind}`))
    .option("--overwrite", "replace a run already in --out");
}

export function registerAlignRlCommands(align: Command): void {
  rlOptions(align.command("ppo").description("RLHF with PPO: value head, per-token KL penalty (fixed or adaptive), GAE, clipped policy and value losses"), "ppo")
    .option("--batch-size <n>", "completions per rollout batch", "32")
    .option("--mini-batch-size <n>", "completions per gradient step", "8")
    .option("--ppo-epochs <n>", "passes over each rollout batch", "4")
    .option("--clip-range <x>", "ε of the policy ratio", "0.2")
    .option("--vf-coef <x>", "weight of the value loss", "0.1")
    .option("--gamma <x>", "GAE discount γ", "1")
    .option("--lambda <x>", "GAE λ", "0.95")
    .action((o: Opts & { overwrite?: boolean }) => rlCommand("ppo", o));
  rlOptions(align.command("rloo").description("REINFORCE with a leave-one-out baseline (RLOO): k samples per prompt, sequence-level KL penalty, no value head"), "rloo")
    .option("--prompts-per-step <n>", "distinct prompts per step", "8")
    .option("--k <n>", "completions per prompt (≥ 2)", "4")
    .addOption(new Option("--baseline <kind>", "loo (leave-one-out) or none (plain REINFORCE)").choices(["loo", "none"]).default("loo"))
    .action((o: Opts & { overwrite?: boolean }) => rlCommand("rloo", o));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

async function rlCommand(kind: Kind, o: Opts & { overwrite?: boolean }): Promise<void> {
  const out = outputDir(o.out, o.overwrite);
  for (const f of ["metrics.jsonl", `${kind}.html`, "summary.json"]) await rm(join(out, f), { force: true });
  const klCoef = numberOption(o, "klCoef", 0.5);
  if (!(klCoef >= 0)) throw new Error(`--kl-coef must be ≥ 0 (0 removes the KL penalty), got ${o.klCoef}`);
  const targetKl = o.targetKl === undefined ? undefined : numberOption(o, "targetKl", 0);
  if (targetKl !== undefined && !(targetKl > 0)) throw new Error(`--target-kl must be > 0, got ${o.targetKl}`);
  if (targetKl !== undefined && klCoef === 0) throw new Error("--target-kl adapts β by multiplication, so it needs a starting --kl-coef > 0");
  const steps = intOption(o, "steps", 100);
  const maxNewTokens = intOption(o, "maxNewTokens", 32);
  const seed = intOption(o, "seed", 0, 0);
  const saveEvery = intOption(o, "saveEvery", 10);

  const sft = await loadAlignModel(o.model);
  const reference = await loadAlignModel(o.reference ?? o.model, o.reference ? "--reference" : "--model");
  if (reference.model.cfg.d_vocab !== sft.model.cfg.d_vocab) throw new Error(`--reference ${o.reference}: its vocabulary has ${reference.model.cfg.d_vocab} tokens, the policy's ${sft.model.cfg.d_vocab}: the reference must share the policy's tokenizer`);
  const tok = sft.tokenizer;
  const reward = await loadReward(o.reward, tok, sft.model);
  const evalRewards: NamedReward[] = [{ name: "sentiment", fn: sentimentReward(tok) }];
  if (reward.name !== "sentiment") evalRewards.push(reward);
  if (o.evalReward !== undefined) evalRewards.push(await loadReward(o.evalReward, tok, sft.model, "--eval-reward"));

  const prompts = await loadPrompts(o);
  const nCtx = sft.model.cfg.n_ctx;
  const trainIds = encodePrompts(tok, prompts.train, nCtx, maxNewTokens, o.prompts ? "--prompts" : "--data");
  const evalTexts = prompts.heldOut.slice(0, intOption(o, "evalPrompts", 64));
  const evalSet = { texts: evalTexts, ids: encodePrompts(tok, evalTexts, nCtx, maxNewTokens, o.prompts ? "--prompts" : "--data") };
  const evaluate = () => evaluateForReport(sft.model, reference.model, tok, evalSet, evalRewards, maxNewTokens, seed + 1);

  const common = { klCoef, targetKl, horizon: numberOption(o, "horizon", 100), lr: numberOption(o, "lr", 5e-5), maxNewTokens, stopTokens: stopTokens(tok), seed };
  const policy = kind === "ppo" ? new PolicyWithValueHead(sft.model) : null;
  const trainer = policy
    ? new PpoTrainer(policy, reference.model, trainIds, reward.fn, {
        ...common,
        batchSize: intOption(o, "batchSize", 32),
        miniBatchSize: intOption(o, "miniBatchSize", 8),
        ppoEpochs: intOption(o, "ppoEpochs", 4),
        clipRange: numberOption(o, "clipRange", 0.2),
        vfCoef: numberOption(o, "vfCoef", 0.1),
        gamma: numberOption(o, "gamma", 1),
        lambda: numberOption(o, "lambda", 0.95),
      } satisfies PpoConfig)
    : new RlooTrainer(sft.model, reference.model, trainIds, reward.fn, { ...common, promptsPerStep: intOption(o, "promptsPerStep", 8), k: intOption(o, "k", 4, 2), baseline: o.baseline as "loo" | "none" } satisfies RlooConfig);
  const setup = `${kind.toUpperCase()} on ${sft.dir} (${(sft.model.numParameters() / 1e6).toFixed(2)}M parameters), reference ${reference.dir}; reward: ${reward.name}${reward.name === "sentiment" ? "" : ` (${o.reward})`}; ` +
    `${targetKl !== undefined ? `adaptive β from ${klCoef}, target KL ${targetKl}, horizon ${common.horizon}` : `β ${klCoef}`}; ${steps} steps, lr ${common.lr}, ≤ ${maxNewTokens} new tokens; ` +
    `${prompts.train.length} training prompts, ${evalTexts.length} held out (${prompts.source}); seed ${seed}`;
  console.log(setup);

  const before = evaluate();
  console.log(evalCaption("before", before));
  const policyDir = join(out, "policy");
  const save = (step: number) => savePolicyCheckpoint(policyDir, { model: sft.model, valueHead: policy?.v_head, extraFiles: { "tokenizer.json": sft.tokenizerJson }, state: { method: kind, step, klCoef: trainer.kl.value, sft: sft.dir } });
  await save(0);
  let saved = 0;
  const history: RlStepMetrics[] = [];
  const log = jsonlWriter(join(out, "metrics.jsonl"));
  const bar = progress(kind, steps);
  const report = async (after: PolicyEvalSummary | null, extra: Record<string, unknown>) => {
    const rows = history as unknown as Record<string, number>[];
    const evals = [{ label: "before", e: before }, ...(after ? [{ label: `after ${history.length} steps`, e: after }] : [])];
    await writePlot(join(out, `${kind}.html`), rlPage(`dgpt align ${kind}`, setup, rows, evals, targetKl));
    const time = history.length ? { msGenerate: median(history.map((m) => m.msGenerate)), msScore: median(history.map((m) => m.msScore)), msUpdate: median(history.map((m) => m.msUpdate)) } : null;
    const summary = { method: kind, setup, options: o, steps: history.length, medianStepTime: time, before, after, ...extra };
    await writeFileAtomic(join(out, "summary.json"), new TextEncoder().encode(JSON.stringify(summary, null, 1) + "\n"));
  };

  let signal;
  try {
    signal = await stepLoop(steps, async (i) => {
      const m = trainer.step();
      history.push(m);
      await log(m);
      const extra: Record<string, number> = "clipFrac" in m ? { clip: m.clipFrac as number, vloss: m.valueLoss as number } : {};
      bar.update(i, { reward: m.reward, kl: m.kl, beta: m.klCoef, ent: m.entropy, ...extra, ms: Math.round(m.msGenerate + m.msScore + m.msUpdate) });
      if (i % saveEvery === 0 || i === steps) {
        await save(i);
        saved = i;
      }
    }, (s) => bar.log(`${s}: stopping after this step and saving the policy in ${policyDir} (send it again to quit without saving)`));
  } catch (err) {
    bar.stop();
    if (!(err instanceof TrainingDivergedError)) throw err;
    await report(null, { diverged: { step: err.step, reason: err.reason, lastGoodStep: saved } });
    console.error(`dgpt: ${kind} ${err.message}; stopped. The last good policy (step ${saved}) is in ${policyDir}`);
    throw new CliExit(1);
  }
  bar.stop();
  if (signal) {
    await save(history.length);
    await report(null, { stoppedBy: signal });
    console.log(`stopped by ${signal} after step ${history.length}: the policy is in ${policyDir}`);
    throw new CliExit(SIGNAL_EXIT[signal]);
  }
  const after = evaluate();
  console.log(evalCaption(`after ${steps} steps`, after));
  for (const s of after.samples.slice(0, 3)) console.log(`  [${s.reward.toFixed(2)}] ${s.prompt}▸${s.completion.replace(/\n/g, "⏎")}`);
  const t = { g: median(history.map((m) => m.msGenerate)), s: median(history.map((m) => m.msScore)), u: median(history.map((m) => m.msUpdate)) };
  console.log(`median step: generation ${t.g.toFixed(0)} ms, scoring ${t.s.toFixed(0)} ms, update ${t.u.toFixed(0)} ms`);
  await report(after, {});
  console.log(`policy: ${policyDir}\npage: ${join(out, `${kind}.html`)}\nmetrics: ${join(out, "metrics.jsonl")} · summary: ${join(out, "summary.json")}`);
}
