// Pictures of the lab for docs/lab/: the lab served by `dgpt lab`, its default model (2 layers,
// 4 heads, d_model 64) trained 300 steps on Tiny Shakespeare in headless Chromium, then each model
// view run with its defaults and photographed, and the whole page (lab.png). The text views'
// pictures (tokenizer, ngram) come from LAB_SCREENSHOTS=1 with test/lab-tokenizer.test.ts.
//   node --experimental-wasm-relaxed-simd --import tsx scripts/lab-screenshots.ts
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { buildLab, serveLab } from "../src/cli/lab.js";
import { launchChromium, openLab } from "../test/lab-page.js";
import { toPalettePng } from "./png-palette.js";

const OUT = fileURLToPath(new URL("../docs/lab/", import.meta.url));
mkdirSync(OUT, { recursive: true });

const server = await serveLab(await buildLab(), { host: "127.0.0.1", port: 0 });
const browser = await launchChromium();
try {
  const { page, errors } = await openLab(browser, server.url);
  await page.click("button[name=train]"); // the page's defaults: 300 steps
  await page.waitForSelector("[data-phase=done]", { timeout: 600_000 });
  // view, the button that runs it, what shows it has drawn, and what to point at before the picture
  const shots: [view: string, button: string, ready: string, prepare?: () => Promise<void>][] = [
    ["generate", "generate", "[data-view=generate] [data-runs]:not([data-runs='0'])", async () => void (await page.hover(".prob-chip >> nth=12"))],
    ["attention", "attention", "[data-view=attention] svg.heatmap rect", async () => void (await page.hover(`[data-view=attention] rect[data-q="20"][data-k="19"]`))],
    ["lens", "lens", "[data-lens] td[data-top]"],
    ["dla", "dla", "[data-view=dla] [data-runs]:not([data-runs='0'])"],
    ["patching", "patch", "[data-view=patching] [data-runs]:not([data-runs='0'])"],
  ];
  for (const [view, button, ready, prepare] of shots) {
    await page.click(`button[name=view-${view}]`);
    await page.click(`button[name=${button}]`);
    await page.waitForSelector(ready, { timeout: 60_000 });
    await prepare?.();
    writeFileSync(`${OUT}${view}.png`, toPalettePng(await page.locator("section[aria-label=views]").screenshot()));
    console.log(`${OUT}${view}.png`);
  }
  await page.click("button[name=view-generate]");
  writeFileSync(`${OUT}lab.png`, toPalettePng(await page.screenshot({ fullPage: true })));
  console.log(`${OUT}lab.png`);
  if (errors.length) console.log("console errors:", errors);
} finally {
  await browser.close();
  await server.close();
}
