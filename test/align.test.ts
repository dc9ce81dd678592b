// Alignment core: sequence log-probabilities against a hand computation, the DPO / IPO losses
// against their formulas, DPO on a bandit against the closed-form optimum π* ∝ π_ref·exp(r/β),
// DPO and a Bradley–Terry reward model on a tiny language model, preference files and the
// sentiment rule.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { noGrad, tensor } from "../src/index.js";
import { HookedTransformer } from "../src/models/gpt/model.js";
import { packSequences, sequenceLogprobs } from "../src/align/sequences.js";
import { dpoLoss, trainDpo, referenceLogprobs, type PreferenceIds } from "../src/align/dpo.js";
import { optimalPolicy, randomBandit, referencePolicy, trainBanditDpo } from "../src/align/bandit.js";
import { RewardModel, bradleyTerryLoss, evaluateRewardModel, trainRewardModel } from "../src/align/reward.js";
import { parsePreferences, formatPreferences } from "../src/align/preferences.js";
import { sentiment } from "../src/align/lexicon.js";

const tiny = (seed = 1) => new HookedTransformer({ n_layers: 1, d_model: 16, n_heads: 2, d_vocab: 7, n_ctx: 12, seed });

describe("sequences", () => {
  test("packSequences: right-padded tokens, a mask over completion predictions, prompts cut from the left to fit", () => {
    const b = packSequences([{ prompt: [1, 2], completion: [3] }, { prompt: [4], completion: [5, 6, 1] }], 12, 0);
    assert.deepEqual([b.tokens.shape, Array.from(b.tokens.dataSync())], [[2, 4], [1, 2, 3, 0, 4, 5, 6, 1]]);
    // position t predicts token t + 1: row 0 predicts 3 at t = 1; row 1 predicts 5, 6, 1 at t = 0, 1, 2
    assert.deepEqual(Array.from(b.completionMask.dataSync()), [0, 1, 0, 1, 1, 1]);
    assert.deepEqual(Array.from(b.targets.dataSync()), [2, 3, 0, 5, 6, 1]);
    assert.deepEqual([b.lengths, b.promptLengths], [[3, 4], [2, 1]]);
    const cut = packSequences([{ prompt: [1, 2, 3, 4, 5], completion: [6, 6] }], 4);
    assert.deepEqual(Array.from(cut.tokens.dataSync()), [4, 5, 6, 6]);
    assert.throws(() => packSequences([{ prompt: [], completion: [1] }], 4), /sequence 0 has an empty prompt/);
    assert.throws(() => packSequences([{ prompt: [1], completion: [] }], 4), /empty completion/);
    assert.throws(() => packSequences([{ prompt: [1], completion: [1, 2, 3, 4] }], 4), /must fit the context of 4/);
  });

  test("sequenceLogprobs = Σ log softmax(logits)[next token] over the completion, each sequence run alone", () => {
    const model = tiny();
    const seqs = [{ prompt: [1, 2], completion: [3, 4] }, { prompt: [5], completion: [6, 0, 2, 1] }];
    const got = noGrad(() => sequenceLogprobs(model, packSequences(seqs, 12)).dataSync());
    seqs.forEach((s, i) => {
      const ids = [...s.prompt, ...s.completion];
      const logits = noGrad(() => model.forward([ids]).dataSync());
      const V = 7;
      let want = 0;
      for (let t = s.prompt.length - 1; t + 1 < ids.length; t++) {
        const row = Array.from(logits.slice(t * V, (t + 1) * V), Number);
        const max = Math.max(...row);
        const lse = max + Math.log(row.reduce((z, v) => z + Math.exp(v - max), 0));
        want += row[ids[t + 1]] - lse;
      }
      assert.ok(Math.abs(got[i] - want) < 1e-4, `sequence ${i}: ${got[i]} vs ${want}`);
    });
  });
});

describe("DPO", () => {
  const sig = (z: number) => 1 / (1 + Math.exp(-z));
  test("the losses are the papers' formulas; implicit rewards are β · log-ratios", () => {
    const pc = [-3, -1], pr = [-2, -4], rc = [-2.5, -1.5], rr = [-2.2, -3];
    const t = (a: number[]) => tensor(a, { dtype: "float64" });
    const beta = 0.5;
    const h = pc.map((_, i) => pc[i] - rc[i] - (pr[i] - rr[i]));
    const d = dpoLoss(t(pc), t(pr), t(rc), t(rr), { beta });
    assert.ok(Math.abs(d.loss.item() - (-Math.log(sig(beta * h[0])) - Math.log(sig(beta * h[1]))) / 2) < 1e-12);
    assert.deepEqual(Array.from(d.chosenRewards.dataSync()).map((v) => +v.toFixed(12)), [beta * (pc[0] - rc[0]), beta * (pc[1] - rc[1])].map((v) => +v.toFixed(12)));
    const eps = 0.1;
    const c = dpoLoss(t(pc), t(pr), t(rc), t(rr), { beta, labelSmoothing: eps });
    const want = h.reduce((s, hi) => s - (1 - eps) * Math.log(sig(beta * hi)) - eps * Math.log(sig(-beta * hi)), 0) / 2;
    assert.ok(Math.abs(c.loss.item() - want) < 1e-12);
    const ipo = dpoLoss(t(pc), t(pr), t(rc), t(rr), { beta, loss: "ipo" });
    assert.ok(Math.abs(ipo.loss.item() - h.reduce((s, hi) => s + (hi - 1 / (2 * beta)) ** 2, 0) / 2) < 1e-12);
    assert.throws(() => dpoLoss(t(pc), t(pr), t(rc), t(rr), { beta: 0 }), /beta must be a number > 0, got 0/);
    assert.throws(() => dpoLoss(t(pc), t(pr), t(rc), t(rr), { beta, labelSmoothing: 0.5 }), /labelSmoothing must be in \[0, 0.5\)/);
  });

  test("on a bandit, DPO on the expected preference loss converges to π* ∝ π_ref·exp(r/β), for several β", () => {
    const b = randomBandit(3, 5, 1);
    for (const beta of [0.5, 2]) {
      const r = trainBanditDpo(b, { beta, steps: 1500 });
      assert.ok(r.maxAbsError < 1e-5, `β ${beta}: max |π − π*| = ${r.maxAbsError}`);
    }
    // π* moves towards the best response as β shrinks, and back to π_ref as β grows
    const best = (p: Float64Array) => p[Array.from(b.reward.slice(0, 5)).indexOf(Math.max(...b.reward.slice(0, 5)))];
    assert.ok(best(optimalPolicy(b, 0.1)) > best(optimalPolicy(b, 1)) && best(optimalPolicy(b, 1)) > best(optimalPolicy(b, 100)));
    assert.ok(Math.abs(optimalPolicy(b, 1e6)[0] - referencePolicy(b)[0]) < 1e-5);
  });

  test("on a bandit: sampled preference pairs get near π*; IPO with two responses reaches its own optimum h = (2σ(Δr) − 1)/(2β)", () => {
    const b = randomBandit(2, 4, 3);
    const sampled = trainBanditDpo(b, { beta: 1, steps: 1500, pairs: 400, seed: 2 });
    assert.ok(sampled.history.at(-1)!.klToOptimum < 0.1, `KL(π* ‖ π) ${sampled.history.at(-1)!.klToOptimum}`);
    const two = randomBandit(3, 2, 5);
    const beta = 0.7;
    const r = trainBanditDpo(two, { beta, steps: 3000, loss: "ipo" });
    const ref = referencePolicy(two);
    for (let x = 0; x < 3; x++) {
      const h = Math.log(r.policy[2 * x] / ref[2 * x]) - Math.log(r.policy[2 * x + 1] / ref[2 * x + 1]);
      const want = (2 * sig(two.reward[2 * x] - two.reward[2 * x + 1]) - 1) / (2 * beta);
      assert.ok(Math.abs(h - want) < 1e-4, `prompt ${x}: h ${h} vs ${want}`);
    }
  });

  test("trainDpo on a tiny LM: the policy learns to prefer the chosen completions; the reference does not move", () => {
    const policy = tiny(2);
    const reference = tiny(2);
    // chosen: the prompt continued by 3s; rejected: by 5s
    const pairs: PreferenceIds[] = Array.from({ length: 12 }, (_, i) => ({ prompt: [1 + (i % 2), 2], chosen: [3, 3, 3], rejected: [5, 5, 5] }));
    const before = referenceLogprobs(reference, pairs);
    const log = trainDpo(policy, reference, pairs, { beta: 0.5, steps: 40, batchSize: 8, lr: 3e-3, logEvery: 10 });
    const last = log.at(-1)!;
    assert.ok(last.accuracy === 1 && last.margin > 1, JSON.stringify(last));
    assert.ok(log[0].loss > last.loss);
    const after = referenceLogprobs(policy, pairs);
    assert.ok(after.chosen[0] > before.chosen[0] && after.rejected[0] < before.rejected[0]);
    assert.deepEqual(referenceLogprobs(reference, pairs), before);
    assert.throws(() => trainDpo(policy, new HookedTransformer({ n_layers: 1, d_model: 16, n_heads: 2, d_vocab: 9, n_ctx: 12 }), pairs, { beta: 1, steps: 1 }), /vocabulary has 7 tokens, the reference's 9/);
    assert.throws(() => trainDpo(policy, reference, pairs, { beta: -1, steps: 1 }), /beta must be a number > 0/);
  });
});

describe("reward model", () => {
  test("Bradley–Terry loss = mean −log σ(r_w − r_l), with accuracy and margin", () => {
    const r = bradleyTerryLoss(tensor([2, 0.5, -1], { dtype: "float64" }), tensor([1, 1, -3], { dtype: "float64" }));
    const want = [1, -0.5, 2].reduce((s, d) => s + Math.log(1 + Math.exp(-d)), 0) / 3;
    assert.ok(Math.abs(r.loss.item() - want) < 1e-12);
    assert.deepEqual([r.accuracy, +r.margin.toFixed(12)], [2 / 3, +(2.5 / 3).toFixed(12)]);
  });

  test("learns a hidden rule (completions holding token 4 are preferred) and ranks held-out pairs by it", () => {
    const rm = new RewardModel(tiny(3));
    const make = (n: number, seed: number) =>
      Array.from({ length: n }, (_, i) => {
        const filler = [(i * 7 + seed) % 3, ((i * 5 + seed) % 3) + 1];
        return { prompt: [6, (i + seed) % 4], chosen: [...filler, 4], rejected: [...filler, 5] };
      });
    const train = make(32, 0);
    const val = make(16, 1);
    assert.ok(Math.abs(evaluateRewardModel(rm, val).margin) < 0.5);
    const log = trainRewardModel(rm, train, { steps: 60, batchSize: 16, lr: 3e-3, valPairs: val, logEvery: 20 });
    const last = log.at(-1)!;
    assert.ok(last.valAccuracy === 1 && last.valMargin! > 1, JSON.stringify(last));
    // padding does not change a sequence's reward: alone or next to a longer one, the same
    const alone = rm.scoreSequences([{ prompt: [6, 1], completion: [0, 4] }]);
    const padded = rm.scoreSequences([{ prompt: [6, 1], completion: [0, 4] }, { prompt: [6, 1, 2, 3], completion: [0, 1, 2, 4] }]);
    assert.ok(Math.abs(alone[0] - padded[0]) < 1e-5);
  });
});

describe("preference files and the sentiment rule", () => {
  test("JSONL pairs round-trip; errors name the line and field", () => {
    const pairs = [{ prompt: "Once", chosen: " happy", rejected: " sad" }, { prompt: "", chosen: "a\nb", rejected: "c" }];
    assert.deepEqual(parsePreferences(formatPreferences(pairs)), pairs);
    assert.throws(() => parsePreferences('{"prompt": "a", "chosen": "b", "rejected": "c"}\n{"prompt": "a", "chosen": "b"}', "p.jsonl"), /p\.jsonl:2: missing field "rejected"/);
    assert.throws(() => parsePreferences('{"prompt": "a", "chosen": "", "rejected": "c"}', "p.jsonl"), /p\.jsonl:1: field "chosen" is empty/);
    assert.throws(() => parsePreferences("\n{oops", "p.jsonl"), /p\.jsonl:2: not valid JSON/);
    assert.throws(() => parsePreferences('{"prompt": 1, "chosen": "b", "rejected": "c"}', "p.jsonl"), /field "prompt" must be a string, got 1/);
    assert.throws(() => parsePreferences("\n\n", "p.jsonl"), /no preference pairs/);
  });

  test("sentiment: positive minus negative words over √(words + 1)", () => {
    assert.equal(sentiment("The dog was happy and they played."), 2 / Math.sqrt(8));
    assert.equal(sentiment("She was sad. She cried."), -2 / Math.sqrt(6));
    assert.equal(sentiment(""), 0);
    assert.ok(sentiment("happy happy happy happy") > sentiment("The girl was happy to see her friend."));
  });
});
