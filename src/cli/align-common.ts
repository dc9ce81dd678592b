// What the `dgpt align` commands share: the SFT model with its tokenizer, prompts (from a file or
// the opening words of a corpus's stories, the last 10 % held out for evaluation), rewards (the
// sentiment rule or a reward model folder), the before/after evaluation, and a step loop that
// Ctrl-C stops after the current step.
import type { Command } from "commander";
import { appendFile, readFile } from "node:fs/promises";
import { loadCorpus } from "../data/corpus.node.js";
import { loadModelDir } from "../models/gpt/io.node.js";
import type { HookedTransformer } from "../models/gpt/model.js";
import { serializeTokenizer } from "../tokenizers/load.js";
import type { Tokenizer } from "../tokenizers/types.js";
import { STOP_SIGNALS, type StopSignal } from "../train/train.node.js";
import type { RewardFn } from "../align/experience.js";
import { sentiment } from "../align/lexicon.js";
import { evaluatePolicy } from "../align/policy-eval.js";
import { parsePromptLines, splitHeldOut, storyPrompts } from "../align/prompts.js";
import { loadRewardModel } from "../align/reward-files.node.js";
import { rewardModelReward, textReward } from "../align/rewards.js";
import { LOCAL_DATA, encodeText, forFlag, loadDirTokenizer, modelDir } from "./common.js";
import { intOption } from "./options.js";
import type { PolicyEvalSummary } from "./pages/align.js";

type Opts = Record<string, string>;

export interface AlignModel {
  model: HookedTransformer;
  tokenizer: Tokenizer;
  /** tokenizer.json's text, saved beside every model the command writes. */
  tokenizerJson: string;
  dir: string;
}

/** A model folder and its tokenizer (required: rewards and preferences are text). */
export async function loadAlignModel(name: string, flag = "--model"): Promise<AlignModel> {
  const dir = await modelDir(name, flag);
  const model = await forFlag(flag, name, () => loadModelDir(dir));
  const tokenizer = await forFlag(flag, name, () => loadDirTokenizer(dir));
  return { model, tokenizer, tokenizerJson: serializeTokenizer(tokenizer), dir };
}

/** The end-of-text token, when the tokenizer has one: completions stop there. */
export function stopTokens(tok: Tokenizer): number[] {
  const eos = tok.eosTokenId ?? tok.tokenToId("<|endoftext|>");
  return eos === undefined ? [] : [eos];
}

/** The flags loadPrompts reads: --data, --prompts, --prompt-words (align prefs, ppo, rloo). */
export function promptSourceOptions(cmd: Command): Command {
  return cmd
    .option("--data <fileOrName>", "prompts: the opening words of each story in this text (a file, or tinystories)", "tinystories")
    .option("--prompts <file>", "prompts: one per line (instead of --data)")
    .option("--prompt-words <n>", "with --data: words per prompt", "8");
}

/** Prompt texts from --prompts FILE (one per line) or the first --prompt-words words of each story in --data; 10 % held out. */
export async function loadPrompts(o: Opts): Promise<{ train: string[]; heldOut: string[]; source: string }> {
  let prompts: string[];
  let source: string;
  if (o.prompts !== undefined) {
    prompts = await forFlag("--prompts", o.prompts, async () => parsePromptLines(await readFile(o.prompts, "utf8"), o.prompts));
    source = o.prompts;
  } else {
    const data = o.data ?? "tinystories";
    const corpus = await forFlag("--data", data, () => loadCorpus(data, { localDirs: LOCAL_DATA }));
    const words = intOption(o, "promptWords", 8, 1, 100);
    prompts = storyPrompts(corpus.text, words);
    if (prompts.length < 2) throw new Error(`--data ${data}: found ${prompts.length} stories with more than ${words} words; prompts need at least 2`);
    source = `the first ${words} words of each story in ${corpus.name}`;
  }
  if (prompts.length < 2) throw new Error(`--prompts ${o.prompts}: give at least 2 prompts (10 % are held out for evaluation)`);
  return { ...splitHeldOut(prompts, 0.1), source };
}

/** Prompt token ids that leave room for maxNewTokens in the model's context; too-long ones are cut from the left. */
export function encodePrompts(tok: Tokenizer, prompts: readonly string[], nCtx: number, maxNewTokens: number, flag: string): number[][] {
  const room = nCtx - maxNewTokens;
  if (room < 1) throw new Error(`--max-new-tokens ${maxNewTokens} leaves no room for a prompt in the model's context of ${nCtx}`);
  return prompts.map((p, i) => {
    const ids = encodeText(tok, p, flag);
    if (ids.length === 0) throw new Error(`${flag}: prompt ${i + 1} (${JSON.stringify(p)}) encodes to no tokens`);
    return ids.slice(-room);
  });
}

export interface NamedReward {
  name: string;
  fn: RewardFn;
}

/** --reward sentiment (the lexicon rule on the decoded completion) or a reward model folder, whose vocabulary must be the policy's. */
export async function loadReward(spec: string, tok: Tokenizer, policy: HookedTransformer, flag = "--reward"): Promise<NamedReward> {
  if (spec === "sentiment") return { name: "sentiment", fn: sentimentReward(tok) };
  const rm = await forFlag(flag, spec, () => loadRewardModel(spec));
  if (rm.body.cfg.d_vocab !== policy.cfg.d_vocab) throw new Error(`${flag} ${spec}: the reward model's vocabulary has ${rm.body.cfg.d_vocab} tokens, the policy's ${policy.cfg.d_vocab}: they must share a tokenizer`);
  return { name: "reward model", fn: rewardModelReward(rm) };
}

export const sentimentReward = (tok: Tokenizer): RewardFn => textReward(tok, (completion) => sentiment(completion));

/** The policy's held-out samples scored by every reward, and its KL to the reference, for the page and summary.json. */
export function evaluateForReport(policy: HookedTransformer, reference: HookedTransformer, tok: Tokenizer, prompts: { ids: number[][]; texts: string[] }, rewards: NamedReward[], maxNewTokens: number, seed: number): PolicyEvalSummary {
  const stop = new Set(stopTokens(tok));
  const fns = Object.fromEntries(rewards.map((r) => [r.name, r.fn]));
  const r = evaluatePolicy(policy, reference, prompts.ids, fns, { maxNewTokens, stopTokens: [...stop], seed });
  const first = rewards[0].name;
  return {
    meanReward: r.meanReward,
    kl: r.kl,
    klStdErr: r.klStdErr,
    entropy: r.entropy,
    samples: r.samples.map((s, i) => ({ prompt: prompts.texts[i], completion: tok.decode(s.completion.filter((t) => !stop.has(t))), reward: r.scores[first][i] })),
  };
}

/** Appends one JSON object per line (metrics.jsonl). */
export const jsonlWriter = (path: string) => (obj: object) => appendFile(path, JSON.stringify(obj) + "\n");

/**
 * Runs `step` up to `steps` times; Ctrl-C, SIGTERM or SIGHUP stop after the current step (a
 * second one quits at once). Returns the signal that stopped it, if any.
 */
export async function stepLoop(steps: number, step: (i: number) => Promise<void>, onSignal: (s: StopSignal) => void): Promise<StopSignal | undefined> {
  let signal: StopSignal | undefined;
  const handlers = STOP_SIGNALS.map((s) => [s, () => {
    if (signal !== undefined) {
      release();
      process.kill(process.pid, s);
      return;
    }
    signal = s;
    onSignal(s);
  }] as const);
  const release = () => {
    for (const [s, h] of handlers) process.off(s, h);
  };
  for (const [s, h] of handlers) process.on(s, h);
  try {
    for (let i = 1; i <= steps && signal === undefined; i++) {
      await step(i);
      await new Promise((r) => setImmediate(r)); // let a signal through between steps
    }
  } finally {
    release();
  }
  return signal;
}

/** The exit code of a process stopped by a signal (128 + its number). */
export const SIGNAL_EXIT: Record<StopSignal, number> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };
