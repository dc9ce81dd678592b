// The lab's Attention and Logit lens views in real Chromium, on a small GPT trained in the page:
// the heatmaps hold real softmax patterns (causal, rows summing to 1), the head detector's scores
// are those of the patterns drawn (recomputed here from the cells), and the lens table has a row
// per layer and its output row agrees with the model's own greedy next character. Skipped without
// Chromium, as test/lab.test.ts.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Page } from "playwright-core";
import { labWithModel, skipWithoutChromium as skip, waitForText } from "./lab-page.js";

const PROMPT = "the cat sat. the cat sat."; // repeats, so the duplicate and induction detectors have pairs to score
const N = PROMPT.length; // every character is in Tiny Shakespeare, and N ≤ the test model's n_ctx (32)
const LAYERS = 1; // the test model's (lab-page.ts startTraining)
const HEADS = 2;

/** The detectors' "mul" score, recomputed from a pattern: the share of attention on the pairs each marks. */
function detectorScores(A: number[][], chars: string): Record<string, number> {
  let total = 0;
  const hit = { previous_token_head: 0, duplicate_token_head: 0, induction_head: 0 };
  for (let i = 0; i < N; i++) {
    for (let j = 0; j <= i; j++) {
      total += A[i][j];
      if (j === i - 1) hit.previous_token_head += A[i][j];
      if (j < i && chars[j] === chars[i]) hit.duplicate_token_head += A[i][j];
      if (j >= 1 && j - 1 < i && chars[j - 1] === chars[i]) hit.induction_head += A[i][j];
    }
  }
  return Object.fromEntries(Object.entries(hit).map(([k, v]) => [k, v / total]));
}

/** Every drawn heatmap's cells as matrices, by "layer.head". */
const heatmaps = (page: Page) =>
  page.$$eval("[data-view=attention] svg.heatmap", (svgs) =>
    svgs.map((svg) => {
      const cells = Array.from(svg.querySelectorAll("rect[data-w]")).map((r) => ({ q: Number(r.getAttribute("data-q")), k: Number(r.getAttribute("data-k")), w: Number(r.getAttribute("data-w")) }));
      return { key: `${svg.getAttribute("data-layer")}.${svg.getAttribute("data-head")}`, cells };
    }),
  );

describe("lab views: attention and logit lens", { skip, timeout: 180_000 }, () => {
  let lab: Awaited<ReturnType<typeof labWithModel>>;
  before(async () => {
    lab = await labWithModel(40, "attention");
  });
  after(async () => {
    await lab?.close();
  });

  test("Attention: n × n causal patterns for every head, hover, and the detector scores of those patterns", async () => {
    const { page, errors } = lab;
    await page.fill("textarea[name=attention-prompt]", PROMPT);
    await page.click("button[name=attention]");
    await page.waitForSelector("[data-view=attention] svg.heatmap rect", { timeout: 30_000 });
    const one = await heatmaps(page);
    assert.equal(one.length, 1, "one head drawn large");
    assert.equal(one[0].cells.length, N * N);
    const labels = await page.$$eval("[data-view=attention] svg.heatmap text", (ts) => ts.length);
    assert.equal(labels, 2 * N, "a character label per row and per column");

    // the pointer on a cell names its query, key and weight
    await page.hover(`[data-view=attention] rect[data-q="5"][data-k="4"]`);
    const w54 = one[0].cells.find((c) => c.q === 5 && c.k === 4)!.w;
    await waitForText(page, "[data-hover]", `L0 H0: query ${JSON.stringify(PROMPT[5])} (position 5) → key ${JSON.stringify(PROMPT[4])} (position 4): weight ${w54.toFixed(3)}`);

    await page.selectOption("select[name=head]", "all");
    const all = await heatmaps(page);
    assert.deepEqual(all.map((h) => h.key).sort(), Array.from({ length: LAYERS * HEADS }, (_, i) => `${Math.floor(i / HEADS)}.${i % HEADS}`));
    const scores = await page.$$eval("[data-scores] tbody tr", (rows) =>
      rows.map((tr) => ({
        key: `${tr.getAttribute("data-layer")}.${tr.getAttribute("data-head")}`,
        scores: Object.fromEntries(Array.from(tr.querySelectorAll("td[data-detector]")).map((td) => [td.getAttribute("data-detector"), Number(td.getAttribute("data-score"))])),
      })),
    );
    assert.equal(scores.length, LAYERS * HEADS, "a row of scores per head");
    let spread = 0;
    for (const { key, cells } of all) {
      assert.equal(cells.length, N * N, `head ${key}: n × n cells`);
      const A = Array.from({ length: N }, () => new Array<number>(N).fill(NaN));
      for (const c of cells) A[c.q][c.k] = c.w;
      for (let q = 0; q < N; q++) {
        const row = A[q];
        assert.ok(Math.abs(row.reduce((s, w) => s + w, 0) - 1) < 1e-4, `head ${key} query ${q}: the weights sum to 1`);
        for (let k = q + 1; k < N; k++) assert.equal(row[k], 0, `head ${key}: query ${q} cannot see key ${k}`);
        for (let k = 0; k <= q; k++) assert.ok(row[k] >= 0 && row[k] <= 1);
      }
      // a trained head does not spread its attention evenly over what it can see
      spread = Math.max(spread, ...A.map((row, q) => Math.max(...row.slice(0, q + 1)) - Math.min(...row.slice(0, q + 1))));
      const expected = detectorScores(A, PROMPT);
      const shown = scores.find((s) => s.key === key)!.scores;
      for (const name of Object.keys(expected)) assert.ok(Math.abs(shown[name] - expected[name]) < 1e-4, `head ${key} ${name}: shown ${shown[name]}, from the pattern ${expected[name]}`);
    }
    assert.ok(spread > 0.01, "the patterns are not all uniform");
    assert.deepEqual(errors, []);
  });

  test("Logit lens: a row per layer and the output, probabilities, and the output row's last cell is the greedy next character", async () => {
    const { page, errors } = lab;
    await page.click("button[name=view-lens]");
    await page.fill("textarea[name=lens-prompt]", PROMPT);
    await page.click("button[name=lens]");
    await page.waitForSelector("[data-lens] td[data-top]", { timeout: 30_000 });
    const rows = await page.$$eval("[data-lens] tbody tr", (trs) =>
      trs.map((tr) => ({
        label: tr.getAttribute("data-row"),
        cells: Array.from(tr.querySelectorAll("td[data-top]")).map((td) => ({ top: td.getAttribute("data-top")!, p: Number(td.getAttribute("data-p")), next: td.getAttribute("data-next-p") })),
      })),
    );
    assert.deepEqual(rows.map((r) => r.label), [...Array.from({ length: LAYERS }, (_, l) => `${l}_pre`), "final_post"]);
    for (const r of rows) {
      assert.equal(r.cells.length, N, `${r.label}: a cell per position`);
      r.cells.forEach((c, i) => {
        assert.equal([...c.top].length, 1, "a character");
        assert.ok(c.p > 0 && c.p <= 1, `${r.label} ${i}: top probability ${c.p}`);
        if (i === N - 1) assert.equal(c.next, "", "nothing follows the last position");
        else {
          const next = Number(c.next);
          assert.ok(next >= 0 && next <= c.p + 1e-6, `${r.label} ${i}: p(next) ${next} ≤ the top's ${c.p}`);
          if (c.top === PROMPT[i + 1]) assert.ok(Math.abs(next - c.p) < 1e-6, "when the top guess is the next character, the two are one probability");
        }
      });
    }
    const greedy = await page.getAttribute("[data-lens]", "data-greedy-next");
    assert.equal(rows.at(-1)!.cells.at(-1)!.top, greedy, "the lens's output row is the model's own prediction");
    assert.deepEqual(errors, []);
  });
});
