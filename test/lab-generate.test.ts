// The lab's model views in real Chromium, on a small model trained in the page: Generate's chips
// carry the probabilities the sampler used (greedy picks the likeliest; a seed repeats its text),
// direct logit attribution's parts add up to the logit a plain forward pass gives, and activation
// patching of resid_pre shows its two facts that hold for any model: patching layer 0 at the
// changed position restores the clean run (1), patching where the prompts agree changes nothing (0).
// Skipped when Chromium is not installed, except in CI.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Page } from "playwright-core";
import { labWithModel, skipWithoutChromium as skip, waitForCount } from "./lab-page.js";

interface Chip {
  text: string;
  p: number;
  top: { text: string; p: number }[];
}

/** Clicks `button`, then waits for the view's answer (its data-runs counter to move on). */
async function runView(page: Page, view: string, button: string): Promise<void> {
  const runs = `[data-view=${view}] [data-runs]`;
  const before = Number(await page.getAttribute(runs, "data-runs"));
  await page.click(`button[name=${button}]`);
  await page.waitForFunction(([sel, n]) => Number(document.querySelector(sel as string)?.getAttribute("data-runs")) > (n as number), [runs, before], { timeout: 30_000 });
  const error = await page.$(`[data-view=${view}] .error`);
  assert.equal(error && (await error.textContent()), null, "the view shows no error");
}

async function generate(page: Page, temperature: number, seed: number, n: number): Promise<Chip[]> {
  await page.fill("input[name=temperature]", String(temperature));
  await page.fill("input[name=seed]", String(seed));
  await page.fill("input[name=max_tokens]", String(n));
  await runView(page, "generate", "generate");
  return page.$$eval(".prob-chip", (els) => els.map((e) => ({ text: e.textContent ?? "", p: Number(e.getAttribute("data-p")), top: JSON.parse(e.getAttribute("data-top") ?? "[]") as { text: string; p: number }[] })));
}

const json = async <T>(page: Page, attr: string): Promise<T> => JSON.parse((await page.getAttribute(`[${attr}]`, attr)) ?? "null") as T;

describe("the lab's model views: generate, direct logit attribution, activation patching", { skip, timeout: 120_000 }, () => {
  let lab: Awaited<ReturnType<typeof labWithModel>>;
  before(async () => {
    lab = await labWithModel(150, "generate");
  });
  after(async () => {
    await lab?.close();
  });

  test("generate: chips carry the sampled distribution's probabilities; greedy picks the likeliest; a seed repeats", async () => {
    const { page } = lab;
    const greedy = await generate(page, 0, 1, 40);
    assert.equal(greedy.length, 40);
    for (const c of greedy) {
      assert.ok(c.p > 0 && c.p <= 1, `p = ${c.p} in (0, 1]`);
      assert.equal(c.top.length, 5);
      for (const a of c.top) assert.ok(c.p >= a.p, `greedy chose ${JSON.stringify(c.text)} (p ${c.p}) over ${JSON.stringify(a.text)} (p ${a.p})`);
    }
    const sampled = await generate(page, 0.8, 7, 60);
    for (const c of sampled) assert.ok(c.p > 0 && c.p <= 1, `p = ${c.p} in (0, 1]`);
    const again = await generate(page, 0.8, 7, 60);
    assert.equal(again.map((c) => c.text).join(""), sampled.map((c) => c.text).join(""), "the same seed gives the same text");
    assert.deepEqual(again.map((c) => c.p), sampled.map((c) => c.p));
    // hovering a chip shows its five alternatives
    await page.hover(".prob-chip >> nth=3");
    assert.equal(await waitForCount(page, "[data-alternatives] .alt", 5), 5);
  });

  test("direct logit attribution: the parts add up to the logit (difference) a forward pass gives", async () => {
    const { page } = lab;
    await page.click("button[name=view-dla]");
    interface Dla { parts: { label: string; value: number }[]; total: number; forwardLogit: number; target: string; versus: string | null }
    const check = (d: Dla) => {
      const sum = d.parts.reduce((s, p) => s + p.value, 0);
      assert.ok(Math.abs(sum - d.total) < 1e-3, `parts sum to ${sum}, total ${d.total}`);
      assert.ok(Math.abs(d.total - d.forwardLogit) < 1e-3, `total ${d.total}, forward pass ${d.forwardLogit}`);
      for (const l of ["embed", "pos_embed", "L0H0", "L0H1", "L0 MLP"]) assert.ok(d.parts.some((p) => p.label === l), `a bar for ${l}`);
    };
    await runView(page, "dla", "dla");
    const top = await json<Dla>(page, "data-dla");
    assert.equal(top.versus, null);
    check(top);
    // the chart is drawn by an effect after the numbers render: wait for it rather than count at once
    assert.ok((await waitForCount(page, "[data-view=dla] svg rect", 1)) > 0, "the bars are drawn");
    await page.fill("input[name=dla_target]", "e");
    await page.fill("input[name=dla_versus]", "a");
    await runView(page, "dla", "dla");
    const diff = await json<Dla>(page, "data-dla");
    assert.deepEqual([diff.target, diff.versus], ["e", "a"]);
    check(diff);
  });

  test("activation patching: resid_pre at layer 0 restores the clean run at the changed position, and nothing before it", async () => {
    const { page, errors } = lab;
    await page.click("button[name=view-patching]");
    // prompts that differ at the last character, so that even a briefly trained model's bigram
    // statistics tell them apart (the view's default differs two characters back)
    await page.fill("input[name=clean]", "Good morrow, and t");
    await page.fill("input[name=corrupted]", "Good morrow, and  ");
    await page.fill("input[name=correct]", "h");
    await page.fill("input[name=incorrect]", "t");
    await runView(page, "patching", "patch");
    const r = await json<{ positions: { clean: string; corrupted: string }[]; normalized: number[][]; clean: number; corrupted: number }>(page, "data-patching");
    const changed = r.positions.findIndex((p) => p.clean !== p.corrupted);
    assert.equal(changed, 17);
    assert.ok(Math.abs(r.clean - r.corrupted) > 1e-2, `the metric tells the prompts apart: ${r.clean} vs ${r.corrupted}`);
    assert.ok(Math.abs(r.normalized[0][changed] - 1) < 1e-3, `layer 0 at position ${changed}: ${r.normalized[0][changed]}`);
    for (let p = 0; p < changed; p++) assert.ok(Math.abs(r.normalized[0][p]) < 1e-3, `layer 0 at position ${p}: ${r.normalized[0][p]}`);
    const cells = await waitForCount(page, "[data-view=patching] svg g[aria-label=cell] rect", r.normalized.length * r.positions.length);
    assert.equal(cells, r.normalized.length * r.positions.length, "a heatmap cell per layer and position");
    assert.deepEqual(errors, []);
  });
});
