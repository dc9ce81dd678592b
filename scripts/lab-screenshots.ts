// Pictures of the lab's views for docs/lab/: the lab served by `dgpt lab`, its default model
// (2 layers, 4 heads, d_model 64) trained 300 steps on Tiny Shakespeare in headless Chromium, then
// each view run on its default prompt. Run: node --experimental-wasm-relaxed-simd --import tsx scripts/lab-screenshots.ts
import { fileURLToPath } from "node:url";
import { buildLab, serveLab } from "../src/cli/lab.js";
import { launchChromium, openLab } from "../test/lab-page.js";

const OUT = fileURLToPath(new URL("../docs/lab/", import.meta.url));

const server = await serveLab(await buildLab(), { host: "127.0.0.1", port: 0 });
const browser = await launchChromium();
try {
  const { page, errors } = await openLab(browser, server.url);
  await page.click("button[name=train]");
  await page.waitForSelector("[data-phase=done]", { timeout: 600_000 });
  const shoot = async (view: string, button: string, ready: string) => {
    await page.click(`button[name=view-${view}]`);
    await page.click(`button[name=${button}]`);
    await page.waitForSelector(ready, { timeout: 60_000 });
    await page.locator(`[data-view=${view}]`).screenshot({ path: `${OUT}${view}.png` });
  };
  await shoot("attention", "attention", "[data-view=attention] svg.heatmap rect");
  // the pointer on a cell, so the picture shows the readout too
  await page.hover(`[data-view=attention] rect[data-q="20"][data-k="19"]`);
  await page.locator("[data-view=attention]").screenshot({ path: `${OUT}attention.png` });
  await shoot("lens", "lens", "[data-lens] td[data-top]");
  if (errors.length) console.error(errors.join("\n"));
} finally {
  await browser.close();
  await server.close();
}
