// What the lab's browser tests share: Chromium (Debian's, via playwright-core), the lab served by
// `dgpt lab`'s own server, and a page ready for a view to look (with a small model trained in it,
// for the views that look inside one).
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { chromium, type Browser, type Page } from "playwright-core";
import { buildLab, serveLab } from "../src/cli/lab.js";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
/** The reason to skip a browser test (no Chromium, outside CI), or false. */
export const skipWithoutChromium = !existsSync(CHROMIUM) && !process.env.CI ? `no Chromium at ${CHROMIUM} (apt-get install chromium)` : false;

export interface LabWindow {
  __lab?: { losses: { step: number; loss: number }[]; samples: { step: number; text: string }[]; phase: string; engine: string };
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"] });
}

/** Opens the lab at `url` and waits for its engine; console errors and page errors are collected. */
export async function openLab(browser: Browser, url: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  await page.goto(url);
  await page.waitForFunction(() => !(document.querySelector("[data-engine]")?.textContent ?? "starting").startsWith("starting"), undefined, { timeout: 60_000 });
  return { page, errors };
}

/** Sets small model and training fields (a test trains in seconds) and clicks Train. */
export async function startTraining(page: Page, steps: number): Promise<void> {
  for (const [name, value] of [["n_layers", "1"], ["d_model", "32"], ["n_heads", "2"], ["n_ctx", "32"], ["steps", String(steps)], ["batch", "8"], ["sample_every", "20"], ["lr", "0.01"]]) {
    await page.fill(`input[name=${name}]`, value);
  }
  await page.click("button[name=train]");
}

/** The numbers behind the Train view. */
export const labState = (page: Page) => page.evaluate(() => (window as unknown as LabWindow).__lab!);

/** A lab page served by `dgpt lab`, nothing trained, with the view `view` opened; `close` ends it all. */
export async function labPage(view?: string): Promise<{ page: Page; errors: string[]; close: () => Promise<void> }> {
  const server = await serveLab(await buildLab({ download: false }), { host: "127.0.0.1", port: 0 });
  const browser = await launchChromium();
  const { page, errors } = await openLab(browser, server.url);
  if (view) await page.click(`button[name=view-${view}]`);
  return {
    page,
    errors,
    close: async () => {
      await browser.close();
      await server.close();
    },
  };
}

/**
 * A lab page served by `dgpt lab` with a model trained for `steps` steps (a 1-layer, d 32
 * character model on Tiny Shakespeare), and the view `view` opened; `close` ends it all.
 */
export async function labWithModel(steps = 40, view?: string): Promise<{ page: Page; errors: string[]; close: () => Promise<void> }> {
  const lab = await labPage();
  await startTraining(lab.page, steps);
  await lab.page.waitForSelector("[data-phase=done]", { timeout: 120_000 });
  assert.equal((await labState(lab.page)).losses.length, steps);
  if (view) await lab.page.click(`button[name=view-${view}]`);
  return lab;
}

/**
 * Waits until `selector` matches at least `n` elements (charts are drawn by effects after the
 * numbers render, and a hover's readout a frame after the pointer moves), then returns the count.
 */
export async function waitForCount(page: Page, selector: string, n: number): Promise<number> {
  await page.waitForFunction(([sel, k]) => document.querySelectorAll(sel as string).length >= (k as number), [selector, n] as const, { timeout: 30_000 });
  return page.locator(selector).count();
}

/** Waits until `selector`'s text is `text` (failing with what it was); see waitForCount. */
export async function waitForText(page: Page, selector: string, text: string): Promise<void> {
  try {
    await page.waitForFunction(([sel, t]) => document.querySelector(sel)?.textContent === t, [selector, text] as const, { timeout: 30_000 });
  } catch {
    assert.equal(await page.textContent(selector), text);
  }
}
