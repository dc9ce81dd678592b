// `npm run screenshots`: pictures of every page kind for docs/pages/, made in headless Chromium
// from the same page builders the CLI calls (test/pages/fixtures.ts), so they show what a user's
// page looks like. Prints any layout problem test/pages.test.ts would report.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { buildPages } from "../test/pages/fixtures.js";
import { layoutProblems } from "../test/pages/layout-check.js";
import { toPalettePng } from "./png-palette.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const OUT = fileURLToPath(new URL("../docs/pages/", import.meta.url));

/** How much of each page to show: `height` CSS pixels from the top, or from the section whose
 *  heading is `from`; the part of the page that matters. */
const VIEW: Record<string, { height: number; from?: string }> = {
  attention: { height: 1500 }, patching: { height: 760 }, lens: { height: 520 }, ngram: { height: 1000 },
  circuits: { height: 700 }, images: { height: 420, from: "Mistakes" }, bpe: { height: 560 }, loss: { height: 600 },
  fit: { height: 560 }, spirals: { height: 800 }, dla: { height: 700 }, probe: { height: 620 },
  tms: { height: 1400, from: "Superposition as sparsity grows: WᵀW and b" },
  "sae-dashboard": { height: 1100 }, "sae-synthetic": { height: 900 },
  "scaling-sweep": { height: 900 }, "scaling-fit": { height: 1300 }, "scaling-isoflop": { height: 560, from: "IsoFLOP profiles" },
  "steer-sweep": { height: 1200 },
  "align-ppo": { height: 1000 }, "align-rm": { height: 700 }, "align-dpo": { height: 900 }, repro: { height: 1100 },
};

const pages = buildPages();
mkdirSync(OUT, { recursive: true });
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu", "--no-first-run"] });
try {
  // the page's own width (max-width 1100 px), at one device pixel per CSS pixel to keep files small
  const page = await browser.newPage({ viewport: { width: 1100, height: 800 }, deviceScaleFactor: 1 });
  for (const [name, html] of Object.entries(pages)) {
    await page.setContent(html, { waitUntil: "load" });
    await page.evaluate("window.__name = (f) => f"); // see test/pages.test.ts
    const problems = await page.evaluate(layoutProblems);
    const view = VIEW[name] ?? { height: 800 };
    const full = await page.evaluate(() => document.body.scrollHeight);
    const top = view.from === undefined ? 0 : await page.evaluate((h) => {
      const heading = Array.from(document.querySelectorAll("h2")).find((e) => e.textContent === h);
      return heading ? heading.closest("section")!.getBoundingClientRect().top + window.scrollY - 12 : 0;
    }, view.from);
    const height = Math.min(full - top, view.height);
    const path = join(OUT, `${name}.png`);
    // stored with a palette: a third of the size of Chromium's 24-bit PNG
    writeFileSync(path, toPalettePng(await page.screenshot({ clip: { x: 0, y: top, width: 1100, height }, fullPage: true })));
    console.log(`${path} (${height} px from ${Math.round(top)} of ${full})${problems.length ? `: ${problems.length} layout problems` : ""}`);
    for (const p of problems) console.log(`  ${p.kind}: ${p.text} ${p.detail}`);
  }
} finally {
  await browser.close();
}
