// Pictures of the lab's model views for docs/lab/: the lab served by `dgpt lab`, its default
// model (2 layers, d_model 64, 4 heads) trained 300 steps on Tiny Shakespeare in the page, then
// each view run with its defaults (Generate with one chip hovered) and photographed.
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
  const shots: [view: string, button: string, prepare?: () => Promise<void>][] = [
    ["generate", "generate", async () => void (await page.hover(".chip >> nth=12"))],
    ["dla", "dla"],
    ["patching", "patch"],
  ];
  for (const [view, button, prepare] of shots) {
    await page.click(`button[name=view-${view}]`);
    await page.click(`button[name=${button}]`);
    await page.waitForFunction((v) => Number(document.querySelector(`[data-view=${v}] [data-runs]`)?.getAttribute("data-runs")) > 0, view, { timeout: 60_000 });
    await prepare?.();
    const section = page.locator("section[aria-label=views]");
    writeFileSync(`${OUT}${view}.png`, toPalettePng(await section.screenshot()));
    console.log(`${OUT}${view}.png`);
  }
  if (errors.length) console.log("console errors:", errors);
} finally {
  await browser.close();
  await server.close();
}
