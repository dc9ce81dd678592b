// Every kind of page the CLI writes, built by the same page functions the CLI calls, from small
// models and data made here in a few seconds: a 2-layer random GPT over a small BPE vocabulary,
// a bigram model, glyph digits. Used by test/pages.test.ts (layout checks in Chromium) and by
// scripts/screenshots.ts (the pictures in docs/pages/).
import { attentionPatterns, detectHead, HEAD_NAMES, type HeadName } from "../../src/interp/attention.js";
import { directLogitAttribution } from "../../src/interp/dla.js";
import { logitLens } from "../../src/interp/lens.js";
import { patchHeadsAllPos, patchResidComponent, type PatchingResult } from "../../src/interp/patching.js";
import { logitDiffMetric } from "../../src/interp/patching-core.js";
import { fitFunction } from "../../src/demos/fit.js";
import { trainSpirals } from "../../src/demos/spirals.js";
import { glyphDigitSplits } from "../../src/data/images.js";
import { markovChain, sparsityStats, stationaryDistribution, transitionSpectrum } from "../../src/models/markov.js";
import { NgramModel } from "../../src/models/ngram.js";
import { HookedTransformer } from "../../src/models/gpt/model.js";
import { CharTokenizer } from "../../src/tokenizers/char.js";
import { trainBpe } from "../../src/tokenizers/train.js";
import { textBatches } from "../../src/train/data.js";
import { NANOGPT_CPU_TRAIN, Trainer, type StepMetrics } from "../../src/train/trainer.js";
import { lossCurvePage } from "../../src/train/train.node.js";
import { attentionPage } from "../../src/cli/pages/attention.js";
import { circuitsReport } from "../../src/cli/pages/circuits.js";
import { fitPage, spiralsPage } from "../../src/cli/pages/demos.js";
import { dlaPage } from "../../src/cli/pages/dla.js";
import { imagesPage } from "../../src/cli/pages/images.js";
import { lensPage } from "../../src/cli/pages/lens.js";
import { markovPage } from "../../src/cli/pages/markov.js";
import { patchingPage } from "../../src/cli/pages/patching.js";
import { probePage } from "../../src/cli/pages/probe.js";
import { quoteToken } from "../../src/cli/pages/tokens.js";
import { bpePage } from "../../src/cli/pages/tokenizer.js";
import { tmsPage } from "../../src/experiments/tms-page.js";
import { steerSweepPage, sweepPageInput } from "../../src/cli/pages/steer.js";
import { steeringSweep } from "../../src/steer/sweep.js";
import { actAddVector } from "../../src/steer/vectors.js";
import { dashboardPage } from "../../src/cli/pages/sae-dashboard.js";
import { saeFeatures } from "../../src/sae/features.js";
import { SparseAutoencoder } from "../../src/sae/sae.js";
import { dimensionalitySweep, phaseDiagram, superpositionSweep } from "../../src/experiments/tms.js";
import { dictionarySweep } from "../../src/experiments/sae-dictionary.js";
import { saeSyntheticPage } from "../../src/cli/pages/sae-synthetic.js";
import { scalingFitPage, scalingSweepPage } from "../../src/cli/pages/scaling.js";
import { analyzeRuns } from "../../src/scaling/analysis.js";
import { COARSE_GRID } from "../../src/scaling/fit.js";
import { predictLoss } from "../../src/scaling/law.js";
import { parseRuns, type RunRecord } from "../../src/scaling/runs.js";
import { readFileSync } from "node:fs";
import { PpoTrainer } from "../../src/align/ppo.js";
import { PolicyWithValueHead } from "../../src/align/value-head.js";
import { copyModel } from "../../src/align/rl-common.js";
import { textReward } from "../../src/align/rewards.js";
import { sentiment } from "../../src/align/lexicon.js";
import { trainDpo, type PreferenceIds } from "../../src/align/dpo.js";
import { RewardModel, trainRewardModel } from "../../src/align/reward.js";
import { evaluatePolicy } from "../../src/align/policy-eval.js";
import { dpoPage, rewardModelPage, rlPage, type PolicyEvalSummary } from "../../src/cli/pages/align.js";
import { reproPage, reproRecord } from "../../src/experiments/repro/index.js";
import { dimensionalityChecks, phaseChecks, tmsRepro } from "../../src/experiments/repro/tms.js";
import { tmsSections } from "../../src/experiments/tms-page.js";
import "../../src/plot/index.node.js";

/** A corpus for when no bigger one is given: enough text for a BPE vocabulary and counts in the tens of thousands. */
export const SAMPLE_TEXT = `First Citizen:
Before we proceed any further, hear me speak.

All:
Speak, speak.

First Citizen:
You are all resolved rather to die than to famish?

All:
Resolved. resolved.

First Citizen:
First, you know Caius Marcius is chief enemy to the people.
`.repeat(60);

/**
 * The prompt the model pages use. Its double space makes a token that is a lone space, and its
 * line break a newline token: the labels a page most easily draws as nothing.
 */
export const PROMPT = "First Citizen:\nYou are  all resolved rather to die";

/** Every page kind, by a short name (also the screenshot's file name). */
export function buildPages(text = SAMPLE_TEXT): Record<string, string> {
  const pages: Record<string, string> = {};

  // tokenizer: a small byte-level BPE vocabulary, watching each merge's count
  const mergeCounts: number[] = [];
  const tok = trainBpe([text], { vocabSize: 320, minFrequency: 2, specialTokens: [], onMerge: (m) => void mergeCounts.push(m.count) });
  const corpusIds = tok.encode(text);
  const vocabLengths = Array.from({ length: tok.vocabSize }, (_, id) => tok.idToBytes(id).length);
  // the corpus histogram counts a text 20 times the sample: six-digit counts, as a real corpus
  // has, are the y tick labels that used to be cut off
  const big = text.repeat(20);
  const usedLengths = tok.encode(big).map((id) => tok.idToBytes(id).length);
  pages.bpe = bpePage({ vocabSize: tok.vocabSize, vocabLengths, usedLengths, mergeCounts, bytes: Buffer.byteLength(big) });

  // a bigram model of the characters, studied as a Markov chain
  const chars = CharTokenizer.fromText(text);
  const ngram = new NgramModel({ n: 2, vocabSize: chars.vocabSize });
  ngram.add(chars.encode(text));
  const chain = markovChain(ngram);
  const stationary = stationaryDistribution(chain.P, { method: "solve" });
  const power = stationaryDistribution(chain.P, { method: "power", lazy: true });
  const powerGap = Math.max(...Array.from(stationary.pi, (p, s) => Math.abs(p - power.pi[s]!)));
  const spectrum = transitionSpectrum(chain.P, { k: chain.states.length });
  pages.ngram = markovPage({ title: "Markov chain of the sample (char tokens)", chain, stats: sparsityStats(chain), stationary, powerGap, spectrum, piece: (id) => chars.idToToken(id), top: 30 });

  // a random 2-layer GPT over the BPE vocabulary: the layout does not care what it learned,
  // but it trains a few steps for the loss curve
  const model = new HookedTransformer({ n_layers: 2, d_model: 32, n_heads: 4, n_ctx: 32, d_vocab: tok.vocabSize, seed: 1 });
  const trainer = new Trainer(model, textBatches(Int32Array.from(corpusIds), { batchSize: 4, blockSize: 16 }), { ...NANOGPT_CPU_TRAIN, maxIters: 60, lrDecayIters: 60, warmupIters: 5, evalInterval: 10, evalIters: 2, lr: 3e-3, seed: 1 });
  while (trainer.step < 60) {
    if (trainer.step % 10 === 0) trainer.evaluate();
    trainer.trainStep();
  }
  trainer.evaluate();
  model.eval();
  pages.loss = lossCurvePage(trainer, "Training loss");

  const piece = (id: number) => tok.idToToken(id);
  const ids = tok.encode(PROMPT);
  const tokens = ids.map(piece);
  pages.lens = lensPage(tokens, piece, logitLens(model, ids, { k: 3 }));
  const scores: Partial<Record<HeadName, number[][]>> = {};
  for (const name of HEAD_NAMES) scores[name] = detectHead(model, ids, name);
  pages.attention = attentionPage({ tokens, patterns: attentionPatterns(model, ids), scores });
  // a long prompt: cells drawn as images, every 10th token labelled; two of the heads carded
  const longModel = new HookedTransformer({ n_layers: 2, d_model: 32, n_heads: 4, n_ctx: 512, d_vocab: tok.vocabSize, seed: 2 });
  const longIds = corpusIds.slice(0, 300);
  pages["attention-long"] = attentionPage({ tokens: longIds.map(piece), patterns: attentionPatterns(longModel, longIds), heads: [[0, 1], [1, 2]] });
  // words that are one token each in this vocabulary
  const [target, distractor] = [tok.encode(" speak")[0]!, tok.encode(" resolved")[0]!];
  pages.dla = dlaPage(directLogitAttribution(model, ids, { target, incorrect: distractor }), tokens, piece);

  // patching: the corrupted prompt has " speak" where the clean one has " resolved"
  const corrupted = ids.map((id) => (id === distractor ? target : id));
  const metric = logitDiffMetric(target, distractor);
  const results: Record<string, PatchingResult<number[][]>> = {};
  for (const c of ["resid_pre", "attn_out", "mlp_out"] as const) results[c] = patchResidComponent(model, { clean: [ids], corrupted: [corrupted], metric, direction: "denoise", component: c });
  results.heads = patchHeadsAllPos(model, { clean: [ids], corrupted: [corrupted], metric, direction: "denoise" });
  pages.patching = patchingPage({ clean: tokens, corrupted: corrupted.map(piece), metric: `logit(${quoteToken(piece(target))}) − logit(${quoteToken(piece(distractor))})`, direction: "denoise", nLayers: 2, nHeads: 4, results });

  pages.circuits = circuitsReport(model, tok, { svd: "1.0" }).html;
  const hooks = ["blocks.0.hook_resid_pre", "blocks.0.hook_resid_post", "blocks.1.hook_resid_post"];
  pages.probe = probePage(hooks.map((hook, i) => ({ hook, testScore: 0.6 + 0.1 * i, selectivity: 0.2 + 0.05 * i, wordControlScore: 0.5, majorityBaseline: 0.3 })), { kind: "multinomial", tagset: "universal", tokens: 5000, classes: 12 });

  // an SAE dashboard: an untrained TopK SAE on the random model's first residual stream, read on
  // the corpus; the index and six latent cards on one page
  const sae = new SparseAutoencoder({ d_in: 32, d_sae: 64, architecture: "topk", k: 8, hook_name: "blocks.0.hook_resid_post", seed: 3 });
  const windows = Array.from({ length: 24 }, (_, w) => corpusIds.slice(w * 16, w * 16 + 16));
  const features = saeFeatures(model, sae, { windows });
  const cards = Array.from(features.density.keys()).filter((j) => features.density[j] > 0).slice(0, 6);
  pages["sae-dashboard"] = dashboardPage(features, cards, piece, { title: "topk k=8 SAE, d_sae 64, at blocks.0.hook_resid_post", source: "sample text", command: "dgpt sae dashboard --sae sae --model model --out dash.html" });

  // a steering sweep: ActAdd " speak" − " resolved" on the random model, scored by how many of
  // the new tokens hold an "e" (the random model writes no sentiment words for the lexicon)
  const [speak, resolved] = [tok.encode(" speak"), tok.encode(" resolved")];
  const sweep = steeringSweep(model, {
    layers: [0, 1],
    coefs: [-4, 0, 4],
    vectorAt: (l) => actAddVector(model, speak, resolved, l),
    prompts: [ids.slice(0, 4)],
    samples: 3,
    score: (out) => out.filter((id) => piece(id).includes("e")).length / out.length,
    lossWindows: windows.slice(0, 4),
    generate: { maxNewTokens: 8 },
  });
  pages["steer-sweep"] = steerSweepPage(sweepPageInput(sweep, (out) => tok.decode(out), { title: 'ActAdd " speak" − " resolved"', setup: "dgpt steer sweep --model model --plus \" speak\" --minus \" resolved\" --layers 0-1 --coefs -4,0,4 …", scoreName: "share of tokens with an e" }));

  // the lessons: curves of two small demos, and an image classifier's mistakes
  pages.fit = fitPage(fitFunction({ steps: 60, hidden: 8, samples: 80 }), "sin");
  pages.spirals = spiralsPage(trainSpirals({ steps: 40, hidden: 16, pointsPerClass: 40 }), 3);
  const { test } = glyphDigitSplits({ train: 1, test: 60, size: 16, seed: 1 });
  // a stand-in classifier that is wrong on every third image
  const predictions = Int32Array.from(test.labels, (l, i) => (i % 3 === 0 ? (l + 1 + (i % 7)) % 10 : l));
  const steps: StepMetrics[] = Array.from({ length: 50 }, (_, s) => ({ step: s, loss: 2.3 * Math.exp(-s / 20) + 0.1, lr: 0.01, gradNorm: 1, ms: 1, tokensPerSec: 1 }));
  const curve = [0, 25, 49].map((step, i) => ({ step, train: 0.1 + 0.4 * i, test: 0.1 + 0.35 * i }));
  pages.images = imagesPage("CNN on glyph digits 16×16", steps, curve, "train accuracy 90.0%, test accuracy 80.0% (60 images)", test, predictions);

  // toy models of superposition: every section, at the default sizes but briefly trained
  const brief = { steps: 200, batchSize: 128 };
  const tmsDims = dimensionalitySweep({ ...brief, nFeatures: 40, nHidden: 5, nInstances: 6 });
  const tmsPhase = phaseDiagram({ ...brief, restarts: 1 });
  pages.tms = tmsPage({
    superposition: superpositionSweep({ ...brief, linearBaseline: true }),
    geometry: superpositionSweep({ ...brief, nFeatures: 5, nHidden: 2, nInstances: 8, maxSparsity: 0.99 }, "geometry"),
    dimensionality: tmsDims,
    phase: tmsPhase,
    command: "dgpt tms",
  });

  // SAEs on a known dictionary: a small sweep of k, briefly trained
  const small = { nFeatures: 32, dIn: 16, steps: 60, batchSize: 256, evalSamples: 1024 };
  pages["sae-synthetic"] = saeSyntheticPage([dictionarySweep({ ...small, architecture: "topk", values: [2, 4, 8, 16] }), dictionarySweep({ ...small, architecture: "standard", values: [0.1, 0.3, 1] })]);

  // scaling laws: the README's Tiny Shakespeare sweep (its runs are committed), and an IsoFLOP
  // sweep whose losses come from a known law (with a little noise), so that the parabolas show
  const runs = parseRuns(readFileSync(new URL("../../docs/scaling/tinyshakespeare-runs.jsonl", import.meta.url), "utf8"));
  pages["scaling-sweep"] = scalingSweepPage(runs, "tinyshakespeare, char tokenizer (vocabulary 65); batch 16 × block 64; AdamW lr 0.002, cosine to lr/10 over each run.");
  pages["scaling-fit"] = scalingFitPage(analyzeRuns(runs, { bootstrap: 20, starts: COARSE_GRID }), "runs: docs/scaling/tinyshakespeare-runs.jsonl");
  const law = { E: 1.5, A: 60, B: 300, alpha: 0.4, beta: 0.35 };
  // seven sizes for every budget; the law's optima (8k, 24k, 71k parameters) lie inside their range
  const isoRuns: RunRecord[] = [1e11, 1e12, 1e13].flatMap((C, i) => [0, 1, 2, 3, 4, 5, 6].map((j) => {
    const N = 3000 * 2 ** j;
    const D = Math.round(C / (6 * N));
    const valLoss = predictLoss(law, N, D) * (1 + 0.004 * Math.sin(7 * i + 3 * j));
    return { id: `iso-${i}-${j}`, nLayers: 2, dModel: 8 * 2 ** j, nHeads: 1, params: N, paramsNonEmbedding: Math.round(0.9 * N), tokens: D, steps: 1, batchSize: 16, blockSize: 64, flops6ND: 6 * N * D, flopsChinchilla: 6 * N * D, budget: C, valLoss, trainLoss: valLoss, seconds: 1 };
  }));
  pages["scaling-isoflop"] = scalingFitPage(analyzeRuns(isoRuns, { bootstrap: 20, starts: COARSE_GRID }), "an IsoFLOP sweep made from a known law");

  // alignment on the random model: a few real PPO steps with the lexicon sentiment as the reward,
  // a reward model and DPO on pairs of its own samples; the curves are short and noisy
  const prompts = ["First Citizen:\n", "All:\n", "You are", "Speak,"].map((t) => tok.encode(t));
  const reward = textReward(tok, (c) => sentiment(c));
  const ppo = new PpoTrainer(new PolicyWithValueHead(copyModel(model)), model, prompts, reward, { batchSize: 4, miniBatchSize: 2, ppoEpochs: 2, maxNewTokens: 10, klCoef: 0.1, targetKl: 2, seed: 1 });
  const ppoRows = Array.from({ length: 6 }, () => ppo.step() as unknown as Record<string, number>);
  const summary = (policy: HookedTransformer): PolicyEvalSummary => {
    const r = evaluatePolicy(policy, model, prompts, { sentiment: reward }, { maxNewTokens: 10, seed: 2 });
    return { meanReward: r.meanReward, kl: r.kl, klStdErr: r.klStdErr, entropy: r.entropy, samples: r.samples.map((x, i) => ({ prompt: tok.decode(x.prompt), completion: tok.decode(x.completion), reward: r.scores.sentiment[i]! })) };
  };
  const ppoSetup = "PPO on the fixture's random 2-layer model; reward: lexicon sentiment; adaptive β from 0.1, target KL 2; 6 steps of 4 prompts";
  pages["align-ppo"] = rlPage("dgpt align ppo", ppoSetup, ppoRows, [{ label: "before", e: summary(model) }, { label: "after 6 steps", e: summary(ppo.policy.body) }], 2);
  const pairs: PreferenceIds[] = Array.from({ length: 24 }, (_, i) => {
    const p = prompts[i % prompts.length]!;
    const a = corpusIds.slice(3 * i, 3 * i + 6);
    const b = corpusIds.slice(500 + 5 * i, 500 + 5 * i + 4);
    return sentiment(tok.decode(a)) >= sentiment(tok.decode(b)) ? { prompt: p, chosen: a, rejected: b } : { prompt: p, chosen: b, rejected: a };
  });
  const rm = new RewardModel(copyModel(model));
  const rmRows = trainRewardModel(rm, pairs.slice(0, 18), { steps: 30, batchSize: 6, valPairs: pairs.slice(18), logEvery: 3, seed: 1 });
  pages["align-rm"] = rewardModelPage("dgpt align rm", "a reward model on the random model's body, 18 training pairs and 6 held out", rmRows as unknown as Record<string, number>[]);
  const dpoPolicy = copyModel(model);
  const dpoRows = trainDpo(dpoPolicy, model, pairs, { beta: 0.5, steps: 30, batchSize: 6, logEvery: 3, seed: 1 });
  pages["align-dpo"] = dpoPage("dgpt align dpo", "DPO (β 0.5) on 24 pairs of corpus snippets ranked by the lexicon", dpoRows as unknown as Record<string, number>[], [{ label: "before", e: summary(model) }, { label: "after 30 steps", e: summary(dpoPolicy) }]);

  // a reproduction's report: the TMS checks on this fixture's briefly trained runs (some fail)
  const out = { checks: [...phaseChecks(tmsPhase), ...dimensionalityChecks(tmsDims)], settings: { steps: brief.steps, batchSize: brief.batchSize }, data: {}, sections: tmsSections({ phase: tmsPhase, dimensionality: tmsDims }).filter((x) => x.heading !== "Setup") };
  pages.repro = reproPage(tmsRepro, out, reproRecord(tmsRepro, out, { full: false, seed: 0, seconds: 12.3 }), "dgpt repro tms");
  return pages;
}
