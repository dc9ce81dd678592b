// Every kind of page the CLI writes, opened in headless Chromium: no text may stick out of its
// figure (it would be cut off), sit on other text, be drawn too small to read, or be a blank
// whitespace label; and each page has the parts that make it readable (the attention overview's
// links, the patching metric, the labels of misclassified digits). The pages come from the same
// builders the CLI calls (test/pages/fixtures.ts). Skipped without Chromium, except in CI.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { chromium, type Browser } from "playwright-core";
import { buildPages } from "./pages/fixtures.js";
import { layoutProblems } from "./pages/layout-check.js";
import { promptTitle } from "../src/cli/pages/tokens.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const available = existsSync(CHROMIUM);

describe("pages read well in Chromium", { skip: !available && !process.env.CI ? `no Chromium at ${CHROMIUM} (apt-get install chromium)` : false, timeout: 180_000 }, () => {
  let browser: Browser;
  let pages: Record<string, string>;
  before(async () => {
    assert.ok(available, `CI needs Chromium at ${CHROMIUM}`);
    pages = buildPages();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"] });
  });
  after(() => browser?.close());

  /** Opens the page at a desktop width and returns its layout problems and a DOM query helper. */
  async function open(name: string) {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.setContent(pages[name]!, { waitUntil: "load" });
    // tsx compiles functions with esbuild's keepNames, which wraps them in a __name(...) helper
    // that the page does not have: give it one that does nothing
    await page.evaluate("window.__name = (f) => f");
    const problems = await page.evaluate(layoutProblems);
    return { page, problems };
  }

  const kinds = ["loss", "fit", "spirals", "bpe", "ngram", "lens", "attention", "attention-long", "dla", "patching", "circuits", "probe", "images", "tms", "sae-dashboard", "sae-synthetic", "scaling-sweep", "scaling-fit", "scaling-isoflop", "steer-sweep"];
  // pages that open with a chart (a heatmap or grid is as wide as its cells need, not the card)
  const opensWithChart = new Set(["loss", "fit", "bpe", "ngram", "dla", "probe", "images"]);
  for (const name of kinds) {
    test(`${name}: no text cut off, overlapping, tiny or blank`, async () => {
      const { page, problems } = await open(name);
      try {
        assert.deepEqual(problems, [], `${name} page:\n${problems.map((p) => `  ${p.kind}: ${p.text} ${p.detail}`).join("\n")}`);
        // figures use the card: the first figure spans most of its section's width
        if (opensWithChart.has(name)) {
          const fill = await page.evaluate(() => {
            const svg = document.querySelector("section figure > svg")!;
            return svg.getBoundingClientRect().width / svg.closest("section")!.getBoundingClientRect().width;
          });
          assert.ok(fill > 0.9, `${name}: the first figure fills only ${(100 * fill).toFixed(0)}% of its card`);
        }
      } finally {
        await page.close();
      }
    });
  }

  test("attention: an overview of every head links to each head's compact card", async () => {
    const { page } = await open("attention");
    try {
      const info = await page.evaluate(() => {
        const links = Array.from(document.querySelectorAll("section:first-of-type svg a")).map((a) => a.getAttribute("href")!);
        const cards = Array.from(document.querySelectorAll("section.compact[id]")).map((s) => ({ id: s.id, height: s.getBoundingClientRect().height, top: s.getBoundingClientRect().top }));
        return { links, cards, pageHeight: document.body.scrollHeight };
      });
      assert.equal(info.links.length, 8, "2 layers × 4 heads of thumbnails");
      assert.deepEqual(info.links.map((h) => h.slice(1)), info.cards.map((c) => c.id), "each thumbnail links to its head's card");
      // compact: cards sit side by side, so the page is far shorter than one card per row
      const rows = new Set(info.cards.map((c) => Math.round(c.top))).size;
      assert.ok(rows < info.cards.length / 1.5, `${info.cards.length} cards in ${rows} rows`);
    } finally {
      await page.close();
    }
  });

  test("lens, patching, images: tokens, metric and labels are spelled out", async () => {
    const texts = async (name: string) => {
      const { page } = await open(name);
      try {
        return await page.evaluate(() => ({ svg: Array.from(document.querySelectorAll("svg text")).map((t) => t.textContent ?? ""), body: document.body.innerText }));
      } finally {
        await page.close();
      }
    };
    const lens = await texts("lens");
    assert.ok(lens.svg.some((t) => t.endsWith(":␣")), "the lone space token is labelled ␣");
    assert.ok(lens.svg.some((t) => /^\d+:↵$/.test(t)), "the newline token is labelled ↵");
    const patching = await texts("patching");
    assert.match(patching.body, /logit\("␣speak"\) − logit\("␣resolved"\)/, "the metric is named");
    assert.match(patching.body, /clean:\s+"First␣Citizen:↵You/, "the clean prompt is shown");
    assert.match(patching.body, /Denoising/, "the direction is named");
    const images = await texts("images");
    assert.ok(images.svg.filter((t) => /^\d→\d$/.test(t)).length >= 10, "each mistake is labelled true→predicted");
  });
});

test("a page's title shows a long prompt cut, and ids (no tokenizer) separated", () => {
  assert.equal(promptTitle(["The", "Ġcat"]), "TheĠcat");
  assert.equal(promptTitle(["12", "345"]), "12 345");
  const long = promptTitle(Array.from({ length: 512 }, (_, i) => String(1000 + i)));
  assert.ok(long.length < 110 && long.endsWith("(512 tokens)"), long);
});
