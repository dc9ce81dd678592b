// RLHF with PPO and RLOO: GAE, whitening, the leave-one-out baseline and the adaptive KL
// controller against hand computations; the clipped losses against their formulas on fixed
// numbers; rollouts (KV cache, prompts of several lengths) against a teacher-forced
// recomputation; tiny policies trained with PPO and RLOO on a toy reward; bad input.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { noGrad, tensor } from "../src/index.js";
import { Generator } from "../src/tensor/random.js";
import { HookedTransformer } from "../src/models/gpt/model.js";
import { packSequences, tokenLogprobs } from "../src/align/sequences.js";
import { gae, leaveOneOutAdvantages, whiten } from "../src/align/advantages.js";
import { AdaptiveKLController, FixedKLController } from "../src/align/kl-control.js";
import { ppoLoss } from "../src/align/ppo-loss.js";
import { sampleRollout } from "../src/align/rollout.js";
import { positionsToRows, rowsToPositions } from "../src/align/experience.js";
import { PolicyWithValueHead } from "../src/align/value-head.js";
import { PpoTrainer, trainPpo } from "../src/align/ppo.js";
import { RlooTrainer, trainRloo } from "../src/align/rloo.js";
import { tokenCountReward } from "../src/align/rewards.js";
import { TrainingDivergedError, copyModel } from "../src/align/rl-common.js";
import { evaluatePolicy } from "../src/align/policy-eval.js";

const tiny = (seed = 1, V = 7) => new HookedTransformer({ n_layers: 1, d_model: 16, n_heads: 2, d_vocab: V, n_ctx: 16, seed });
const copy = copyModel;
const close = (a: number, b: number, tol = 1e-9) => Math.abs(a - b) <= tol;

describe("advantages and the KL controller", () => {
  test("GAE against a hand computation", () => {
    // rewards [1, 0, 2], values [0.5, 0.2, 0.1], γ 0.9, λ 0.8 (γλ = 0.72):
    //   δ2 = 2 − 0.1 = 1.9                  A2 = 1.9
    //   δ1 = 0 + 0.9·0.1 − 0.2 = −0.11      A1 = −0.11 + 0.72·1.9 = 1.258
    //   δ0 = 1 + 0.9·0.2 − 0.5 = 0.68       A0 = 0.68 + 0.72·1.258 = 1.58576
    const { advantages, returns } = gae([1, 0, 2], [0.5, 0.2, 0.1], 0.9, 0.8);
    [1.58576, 1.258, 1.9].forEach((a, t) => assert.ok(close(advantages[t], a, 1e-12), `A${t} ${advantages[t]}`));
    [2.08576, 1.458, 2.0].forEach((r, t) => assert.ok(close(returns[t], r, 1e-12), `R${t} ${returns[t]}`));
    // γ = λ = 1: the Monte-Carlo return minus the value
    assert.deepEqual(Array.from(gae([1, 0, 2], [0.5, 0.2, 0.1], 1, 1).advantages).map((v) => +v.toFixed(12)), [2.5, 1.8, 1.9]);
    // λ = 0: the one-step TD error
    assert.deepEqual(Array.from(gae([1, 0, 2], [0.5, 0.2, 0.1], 0.9, 0).advantages).map((v) => +v.toFixed(12)), [0.68, -0.11, 1.9]);
    assert.throws(() => gae([1, 2], [0], 1, 1), /2 rewards but 1 values/);
  });

  test("whitening over all tokens of a batch; the leave-one-out baseline", () => {
    const w = whiten([Float64Array.from([1, 2]), Float64Array.from([3, 4, 5])]);
    // mean 3, unbiased std √2.5
    assert.ok(close(w[0][0], -2 / Math.sqrt(2.5), 1e-7) && close(w[1][2], 2 / Math.sqrt(2.5), 1e-7));
    const a = leaveOneOutAdvantages([1, 2, 3, 10, 20, 30], 3);
    assert.deepEqual(Array.from(a), [1 - 2.5, 2 - 2, 3 - 1.5, 10 - 25, 20 - 20, 30 - 15]);
    assert.throws(() => leaveOneOutAdvantages([1, 2, 3], 2), /not groups of 2/);
    assert.throws(() => leaveOneOutAdvantages([1, 2], 1), /k must be an integer ≥ 2/);
  });

  test("adaptive KL controller: β ← β·(1 + clip(KL/target − 1, ±0.2)·n/horizon); fixed stays", () => {
    const c = new AdaptiveKLController(0.5, 6, 100);
    c.update(9, 32); // error 0.5, clipped to 0.2
    assert.ok(close(c.value, 0.5 * (1 + (0.2 * 32) / 100)));
    c.update(5.4, 10); // error −0.1
    assert.ok(close(c.value, 0.5 * 1.064 * (1 - (0.1 * 10) / 100)));
    c.update(0, 50); // error −1, clipped to −0.2
    assert.ok(close(c.value, 0.5 * 1.064 * 0.99 * 0.9));
    const f = new FixedKLController(0.3);
    f.update();
    assert.equal(f.value, 0.3);
    assert.throws(() => new AdaptiveKLController(0.1, 0), /KL target must be > 0/);
    assert.throws(() => new AdaptiveKLController(0, 6), /initial KL coefficient must be > 0/);
    assert.throws(() => new FixedKLController(-1), /must be a number ≥ 0, got -1/);
  });
});

describe("PPO's clipped losses", () => {
  test("policy and value losses, clip fractions and approx KL against the formulas", () => {
    const lp = [-1.0, -0.5, -2.0, -0.1], old = [-1.2, -0.4, -1.5, -0.1];
    const A = [1.0, -2.0, 0.5, 3.0], v = [0.5, 1.5, -0.2, 0.0], vOld = [0.2, 1.0, 0.0, 0.1], R = [1.0, 0.0, 0.3, 0.5];
    const mask = [1, 1, 1, 0]; // the last token is padding
    const eps = 0.2, epsV = 0.1, vf = 0.5;
    const t = (x: number[]) => tensor([x], { dtype: "float64" });
    const r = ppoLoss({ logprobs: t(lp), oldLogprobs: t(old), advantages: t(A), values: t(v), oldValues: t(vOld), returns: t(R), mask: t(mask) }, { clipRange: eps, clipRangeValue: epsV, vfCoef: vf });
    let pg = 0, vl = 0, cf = 0, vcf = 0, kl = 0;
    for (let i = 0; i < 3; i++) {
      const ratio = Math.exp(lp[i] - old[i]);
      const l1 = -A[i] * ratio;
      const l2 = -A[i] * Math.min(Math.max(ratio, 1 - eps), 1 + eps);
      pg += Math.max(l1, l2) / 3;
      if (l2 > l1) cf += 1 / 3;
      const vc = vOld[i] + Math.min(Math.max(v[i] - vOld[i], -epsV), epsV);
      const e1 = (v[i] - R[i]) ** 2, e2 = (vc - R[i]) ** 2;
      vl += (0.5 * Math.max(e1, e2)) / 3;
      if (e2 > e1) vcf += 1 / 3;
      kl += (0.5 * (lp[i] - old[i]) ** 2) / 3;
    }
    assert.ok(close(r.policyLoss.item(), pg, 1e-12), `${r.policyLoss.item()} vs ${pg}`);
    assert.ok(close(r.valueLoss.item(), vl, 1e-12), `${r.valueLoss.item()} vs ${vl}`);
    assert.ok(close(r.loss.item(), pg + vf * vl, 1e-12));
    assert.ok(close(r.clipFrac, cf, 1e-12) && close(r.valueClipFrac, vcf, 1e-12) && close(r.approxKl, kl, 1e-12), JSON.stringify([r.clipFrac, cf, r.valueClipFrac, vcf]));
    // with these numbers token 2's ratio e^−0.5 is clipped (A > 0, ratio < 1 − ε): some clipping happens
    assert.ok(cf > 0 && vcf > 0);
  });

  test("the gradient is cut where the clipped term wins", () => {
    const lp = tensor([[Math.log(1.5), Math.log(1.1)]], { dtype: "float64" }).requiresGrad_();
    const zero = tensor([[0, 0]], { dtype: "float64" });
    const r = ppoLoss({ logprobs: lp, oldLogprobs: zero, advantages: tensor([[1, 1]], { dtype: "float64" }), values: zero, oldValues: zero, returns: zero, mask: tensor([[1, 1]], { dtype: "float64" }) });
    r.loss.backward();
    const g = lp.grad!.dataSync();
    // token 0: ratio 1.5 > 1.2 with A > 0 → clipped, no gradient; token 1: −A·ratio/2 → −1.1/2
    assert.ok(close(g[0], 0) && close(g[1], -0.55, 1e-12), `${g[0]} ${g[1]}`);
  });
});

describe("rollouts", () => {
  test("the sampled tokens' logprobs equal a teacher-forced recomputation, prompts of several lengths", () => {
    const model = tiny(3);
    const prompts = [[1, 2], [3], [4, 5, 6], [2, 2], [6]];
    const r = sampleRollout(model, prompts, { maxNewTokens: 6, generator: new Generator(5) });
    assert.deepEqual(r.prompts, prompts);
    const batch = packSequences(prompts.map((p, i) => ({ prompt: p, completion: r.completions[i] })), model.cfg.n_ctx);
    const want = positionsToRows(noGrad(() => tokenLogprobs(model, batch)).dataSync(), batch);
    r.completions.forEach((c, i) => {
      assert.equal(c.length, 6);
      c.forEach((_, t) => assert.ok(close(r.logprobs[i][t], want[i][t], 2e-5), `row ${i} token ${t}: ${r.logprobs[i][t]} vs ${want[i][t]}`));
    });
    // rowsToPositions inverts positionsToRows
    assert.deepEqual(positionsToRows(rowsToPositions(want, batch).dataSync(), batch).map((x) => Array.from(x, (v) => +v.toFixed(5))), want.map((x) => Array.from(x, (v) => +v.toFixed(5))));
  });

  test("temperature: logprobs of softmax(logits / T); a stop token ends a row and is kept", () => {
    const model = tiny(4);
    const T = 0.6;
    const r = sampleRollout(model, [[1, 3]], { maxNewTokens: 5, temperature: T, generator: new Generator(1) });
    const ids = [1, 3, ...r.completions[0]];
    const logits = noGrad(() => model.forward([ids]).dataSync());
    r.completions[0].forEach((tok, j) => {
      const row = Array.from(logits.slice((1 + j) * 7, (2 + j) * 7), (x) => x / T);
      const m = Math.max(...row);
      const lse = m + Math.log(row.reduce((s, x) => s + Math.exp(x - m), 0));
      assert.ok(close(r.logprobs[0][j], row[tok] - lse, 2e-5));
    });
    // stop: every row ends at its first stop token (or runs the full length without one)
    const s = sampleRollout(model, [[1], [2], [3], [4]], { maxNewTokens: 8, stopTokens: [0, 5], generator: new Generator(2) });
    for (const c of s.completions) {
      const first = c.findIndex((t) => t === 0 || t === 5);
      assert.ok(first === -1 ? c.length === 8 : first === c.length - 1, JSON.stringify(c));
    }
    assert.throws(() => sampleRollout(model, [[1, 2, 3]], { maxNewTokens: 14 }), /prompt 0 has 3 tokens; with 14 new ones that is more than the model's context of 16/);
    assert.throws(() => sampleRollout(model, [[1, 9]], { maxNewTokens: 2 }), /token id 9, outside the vocabulary/);
    assert.throws(() => sampleRollout(model, [[]], { maxNewTokens: 2 }), /prompt 0 is empty/);
  });
});

describe("PPO and RLOO on a tiny policy", () => {
  const prompts = [[1], [2], [3], [1, 2], [2, 3]];
  const target = 4;
  const reward = tokenCountReward(target);

  test("PPO: KL is 0 at step 0; the reward (count of token 4) rises while the KL penalty keeps KL bounded", () => {
    const sft = tiny(6);
    const policy = new PolicyWithValueHead(copy(sft));
    const trainer = new PpoTrainer(policy, sft, prompts, reward, { batchSize: 16, miniBatchSize: 8, ppoEpochs: 2, maxNewTokens: 8, lr: 1e-2, klCoef: 0.5, seed: 1 });
    const history = Array.from({ length: 25 }, () => trainer.step());
    assert.ok(Math.abs(history[0].kl) < 1e-6, `KL at step 0: ${history[0].kl}`);
    assert.ok(history[0].approxKl < 0.05 && history[0].clipFrac < 0.5, JSON.stringify(history[0]));
    const early = history.slice(0, 3).reduce((s, m) => s + m.reward, 0) / 3;
    const late = history.slice(-3).reduce((s, m) => s + m.reward, 0) / 3;
    assert.ok(late > early + 2, `reward ${early} → ${late}`);
    const maxKl = Math.max(...history.map((m) => m.kl));
    // β 0.5 trades reward for KL: all 8 tokens = 4 would cost ≈ 15 nats; the optimum π_ref·e^{r/β} keeps ≈ 4
    assert.ok(maxKl < 8, `KL stays bounded: max ${maxKl}`);
    for (const m of history) assert.ok(m.msGenerate > 0 && m.msScore > 0 && m.msUpdate > 0 && Number.isFinite(m.valueLoss));
  });

  test("RLOO: the reward rises with a sequence-level KL penalty; KL is 0 at step 0", () => {
    const sft = tiny(7);
    const history = trainRloo(copy(sft), sft, prompts, reward, { steps: 25, promptsPerStep: 4, k: 4, maxNewTokens: 8, lr: 1e-2, klCoef: 0.5, seed: 2 });
    assert.ok(Math.abs(history[0].kl) < 1e-6, `KL at step 0: ${history[0].kl}`);
    const early = history.slice(0, 3).reduce((s, m) => s + m.reward, 0) / 3;
    const late = history.slice(-3).reduce((s, m) => s + m.reward, 0) / 3;
    assert.ok(late > early + 2, `reward ${early} → ${late}`);
    assert.ok(Math.max(...history.map((m) => m.kl)) < 8);
  });

  test("a larger KL coefficient keeps the policy closer to the reference (adaptive controller tracks a target)", () => {
    const sft = tiny(8);
    const run = (o: { klCoef: number; targetKl?: number }) => trainRloo(copy(sft), sft, prompts, reward, { steps: 20, promptsPerStep: 4, k: 4, maxNewTokens: 8, lr: 1e-2, seed: 3, horizon: 20, ...o });
    const free = run({ klCoef: 0 });
    const held = run({ klCoef: 1 });
    const tail = (h: { kl: number }[]) => h.slice(-5).reduce((s, m) => s + m.kl, 0) / 5;
    assert.ok(tail(held) < tail(free), `KL with β 1: ${tail(held)}, with β 0: ${tail(free)}`);
    const adaptive = run({ klCoef: 0.05, targetKl: 1 });
    // each step's KL moves the next step's β: up when above the target, down when below
    for (let i = 0; i + 1 < adaptive.length; i++) {
      const m = adaptive[i];
      const want = m.klCoef * (1 + (Math.min(0.2, Math.max(-0.2, m.kl / 1 - 1)) * 16) / 20);
      assert.ok(close(adaptive[i + 1].klCoef, want, 1e-12), `step ${m.step}: KL ${m.kl}, β ${m.klCoef} → ${adaptive[i + 1].klCoef}`);
    }
    assert.ok(adaptive.some((m) => m.kl > 1) && adaptive.at(-1)!.klCoef > 0.05, "the KL passed its target and β rose");
  });

  test("bad input: vocabularies that differ, β < 0, a KL target without β; divergence names the step", () => {
    const sft = tiny(9);
    const other = tiny(9, 9);
    assert.throws(() => new PpoTrainer(new PolicyWithValueHead(copy(sft)), other, prompts, reward), /policy's vocabulary has 7 tokens, the reference's 9/);
    assert.throws(() => new RlooTrainer(copy(sft), other, prompts, reward), /policy's vocabulary has 7 tokens, the reference's 9/);
    assert.throws(() => new RlooTrainer(copy(sft), sft, prompts, reward, { klCoef: -0.1 }), /klCoef must be a number ≥ 0, got -0.1/);
    assert.throws(() => new RlooTrainer(copy(sft), sft, prompts, reward, { klCoef: 0, targetKl: 3 }), /needs a starting klCoef > 0/);
    assert.throws(() => new RlooTrainer(copy(sft), sft, prompts, reward, { k: 1 }), /k must be an integer ≥ 2/);
    assert.throws(() => new PpoTrainer(new PolicyWithValueHead(copy(sft)), sft, prompts, reward, { batchSize: 4, miniBatchSize: 8 }), /miniBatchSize \(8\) is larger than batchSize \(4\)/);
    let calls = 0;
    const flaky = (xs: readonly unknown[]) => xs.map(() => (++calls > 16 ? NaN : 1));
    const trainer = new PpoTrainer(new PolicyWithValueHead(copy(sft)), sft, prompts, flaky, { batchSize: 8, miniBatchSize: 8, ppoEpochs: 1, maxNewTokens: 4 });
    trainer.step();
    trainer.step();
    assert.throws(() => trainer.step(), (err: unknown) => err instanceof TrainingDivergedError && err.step === 3 && /step 3: the reward is NaN/.test(err.message));
  });

  test("evaluatePolicy: the reference against itself has KL 0; rewards are scored per sample", () => {
    const sft = tiny(10);
    const r = evaluatePolicy(sft, copy(sft), prompts, { count: reward }, { maxNewTokens: 6, samplesPerPrompt: 2 });
    assert.equal(r.samples.length, 10);
    assert.ok(Math.abs(r.kl) < 1e-6);
    assert.ok(close(r.meanReward.count, r.samples.reduce((s, x) => s + x.completion.filter((t) => t === target).length, 0) / 10));
    void trainPpo;
  });
});
