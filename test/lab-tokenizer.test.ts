// The lab's text views in real headless Chromium, before any model is trained: the Tokenizer view
// (characters, GPT-2, a BPE trained in the page; the merges step by step) and the Markov / n-gram
// view (the bigram chain of Tiny Shakespeare, its stationary distribution, samples). Checked on
// the real data the page shows. LAB_SCREENSHOTS=1 also writes docs/lab/tokenizer.png and
// ngram.png. Skipped when Chromium is not installed, except in CI.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import type { Page } from "playwright-core";
import { toPalettePng } from "../scripts/png-palette.js";
import { labPage, skipWithoutChromium as skip, waitForCount } from "./lab-page.js";

interface Bigram {
  chars: string[];
  P: number[][];
  freq: number[];
  pi: number[];
  piSum: number;
  maxGap: number;
  residual: number;
}

const chips = (page: Page, name: string) => page.$$eval(`[data-chips=${name}] .chip`, (els) => els.map((e) => ({ id: Number(e.getAttribute("data-id")), piece: e.getAttribute("data-piece") ?? "" })));

async function screenshot(page: Page, name: string): Promise<void> {
  if (!process.env.LAB_SCREENSHOTS) return;
  mkdirSync("docs/lab", { recursive: true });
  const panel = await page.$(`[data-view=${name}]`);
  writeFileSync(`docs/lab/${name}.png`, toPalettePng(await panel!.screenshot()));
}

describe("lab: text views (no model)", { skip, timeout: 120_000 }, () => {
  let lab: Awaited<ReturnType<typeof labPage>>;
  before(async () => {
    lab = await labPage("tokenizer");
  });
  after(async () => {
    await lab?.close();
  });

  test("Tokenizer: pieces re-join to the text, the last merge step is the BPE encoding", async () => {
    const { page } = lab;
    const text = "ROMEO: Wherefore art thou, my gentle cousin?\nThe king's men!";
    await page.fill("textarea[name=tok-text]", text);
    await page.fill("input[name=bpe-vocab]", "600");
    // the answer for this text and vocabulary has arrived when the header says 600
    await page.waitForFunction(() => /vocabulary 600 = 256 bytes \+ \d+ merges/.test(document.querySelector("[data-view=tokenizer]")?.textContent ?? ""), undefined, { timeout: 30_000 });
    await page.waitForFunction((t) => Array.from(document.querySelectorAll("[data-chips=char] .chip"), (e) => e.getAttribute("data-piece")).join("") === t, text, { timeout: 10_000 });

    const char = await chips(page, "char");
    assert.equal(char.length, [...text].length);
    assert.ok(char.every((c) => c.id >= 0), "Tiny Shakespeare has every character of this text");
    const gpt2 = await chips(page, "gpt2");
    assert.equal(gpt2.map((c) => c.piece).join(""), text);
    assert.ok(gpt2.length < char.length / 2, `GPT-2: ${gpt2.length} tokens`);
    assert.deepEqual(gpt2.slice(0, 3).map((c) => [c.piece, c.id]), [["ROM", 33676], ["EO", 4720], [":", 25]], "GPT-2's own ids");
    const bpe = await chips(page, "bpe");
    assert.equal(bpe.map((c) => c.piece).join(""), text);
    assert.ok(bpe.length < char.length && bpe.every((c) => c.id < 600));

    const header = (await page.textContent("[data-view=tokenizer]")) ?? "";
    assert.match(header, /vocabulary 600 = 256 bytes \+ 344 merges/, "vocabSize − 256 merges");

    // the slider starts at the last step: the BPE encoding itself
    const steps = await page.$$eval(".steps button", (els) => els.length);
    assert.ok(steps > 5, `${steps} merges change the text`);
    assert.deepEqual(await chips(page, "step"), bpe);
    // step 0: the bytes; step 1: one merge fewer pieces or more
    await page.fill("input[name=merge-step]", "0");
    assert.equal((await chips(page, "step")).length, new TextEncoder().encode(text).length);
    await page.click(".steps button >> nth=0");
    const first = await chips(page, "step");
    assert.ok(first.length < new TextEncoder().encode(text).length);
    assert.equal(first.map((c) => c.piece).join(""), text);
    await page.fill("input[name=merge-step]", String(steps));
    await screenshot(page, "tokenizer");
    assert.deepEqual(lab.errors, []);
  });

  test("Markov / n-gram: rows of P sum to 1, π sums to 1 and matches the frequencies, samples", async () => {
    const { page } = lab;
    await page.click("button[name=view-ngram]");
    await page.waitForFunction(() => (window as unknown as { __views?: { ngram?: unknown } }).__views?.ngram !== undefined, undefined, { timeout: 30_000 });
    const b = await page.evaluate(() => (window as unknown as { __views: { ngram: unknown } }).__views.ngram as Bigram);
    assert.equal(b.chars.length, 30);
    assert.equal(b.chars[0], " ", "the space is Shakespeare's most frequent character");
    for (const [i, row] of b.P.entries()) assert.ok(Math.abs(row.reduce((s, p) => s + p, 0) - 1) < 1e-9, `row ${JSON.stringify(b.chars[i])} sums to 1`);
    assert.ok(Math.abs(b.piSum - 1) < 1e-9);
    assert.ok(b.residual < 1e-9, `π P = π (residual ${b.residual})`);
    assert.ok(b.maxGap < 1e-5, `π is the character frequency (largest gap ${b.maxGap})`);
    assert.ok(b.freq.every((f, i) => i === 0 || f <= b.freq[i - 1]!), "most frequent first");
    assert.equal(await waitForCount(page, "[data-view=ngram] .heatmap svg rect", 30 * 31), 30 * 31, "the heatmap's cells");
    assert.ok((await waitForCount(page, "[data-view=ngram] .bars svg rect", 30)) >= 30, "the stationary bars");

    await page.click("button[name=ngram-sample]");
    await page.waitForFunction(() => (document.querySelector("[data-sample=trigram]")?.textContent ?? "").length > 100, undefined, { timeout: 30_000 });
    for (const n of ["bigram", "trigram"]) assert.ok(((await page.textContent(`[data-sample=${n}]`)) ?? "").length >= 150, `${n} sample`);
    await screenshot(page, "ngram");
    assert.deepEqual(lab.errors, []);
  });
});
