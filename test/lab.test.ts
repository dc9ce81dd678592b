// The lab in real headless Chromium (Debian's `chromium`, driven by playwright-core): served by
// `dgpt lab` (cross-origin isolated: threads), a small GPT trains in the page's worker and its
// loss falls, pause holds it, samples and generation show text; the static export, served by a
// plain file server without the isolation headers, runs single-threaded and says so. Skipped when
// Chromium is not installed, except in CI.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { unzipSync } from "fflate";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import type { Browser } from "playwright-core";
import { HookedTransformer, generate, loadModelDir, saveModelDir, tokenizers } from "../src/node.js";
import { buildLab, exportLab, serveLab } from "../src/cli/lab.js";
import { labState as lab, launchChromium, type LabWindow, openLab, skipWithoutChromium as skip, startTraining as train, waitForCount } from "./lab-page.js";

const SHAKESPEARE = fileURLToPath(new URL("../../shared/data/tinyshakespeare.txt", import.meta.url));

describe("dgpt lab", { skip, timeout: 300_000 }, () => {
  let browser: Browser;
  let files: Awaited<ReturnType<typeof buildLab>>;
  const tmp = mkdtempSync(join(tmpdir(), "dgpt-lab-"));
  before(async () => {
    files = await buildLab({ download: false });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  test("served by dgpt lab: threads, the loss falls, pause holds, samples and generation show text", async () => {
    const server = await serveLab(files, { host: "127.0.0.1", port: 0 });
    try {
      const { page, errors } = await openLab(browser, server.url);
      assert.match(await page.textContent("[data-engine]") ?? "", /WebAssembly, \d+ threads \(cross-origin isolated\)/);
      await train(page, 200);
      // pause as soon as it runs: the step count then holds still
      await page.waitForFunction(() => ((window as unknown as LabWindow).__lab?.losses.length ?? 0) >= 5, undefined, { timeout: 60_000 });
      await page.click("button[name=pause]");
      await page.waitForSelector("[data-phase=paused]", { timeout: 30_000 });
      const held = (await lab(page)).losses.length;
      await page.waitForTimeout(500);
      assert.equal((await lab(page)).losses.length, held, "no steps while paused");
      await page.click("button[name=pause]"); // Resume
      await page.waitForSelector("[data-phase=done]", { timeout: 240_000 });
      const state = await lab(page);
      assert.equal(state.losses.length, 200);
      const mean = (xs: { loss: number }[]) => xs.reduce((s, x) => s + x.loss, 0) / xs.length;
      const start = mean(state.losses.slice(0, 10));
      const end = mean(state.losses.slice(-10));
      assert.ok(end < start - 0.8, `loss fell from ${start.toFixed(3)} to ${end.toFixed(3)}`);
      assert.ok(state.samples.length >= 10 && state.samples.every((s) => s.text.length > 0), "a sample every 20 steps");
      assert.ok((await waitForCount(page, ".chart svg path", 1)) > 0, "the loss chart is drawn");
      // a second run of the same size: the first's weights and Adam moments were freed, so the
      // engine's memory after it is what it was after the first
      const memory = () => page.evaluate(async () => {
        const { analyse } = (window as unknown as { __engine: { analyse: (k: string, a: unknown) => Promise<{ bytesInUse: number }> } }).__engine;
        return (await analyse("memory", {})).bytesInUse;
      });
      const afterFirst = await memory();
      await page.click("button[name=train]");
      await page.waitForSelector("[data-phase=training]", { timeout: 30_000 });
      await page.waitForSelector("[data-phase=done]", { timeout: 240_000 });
      assert.equal(await memory(), afterFirst, "WebAssembly memory in use after a second run equals that after the first");
      // the trained model downloaded as a zipped Hugging Face folder: loaded in Node (as a GPT-2
      // checkpoint), its greedy continuation is the page's
      const [download] = await Promise.all([page.waitForEvent("download"), page.click("button[name=download]")]);
      const zipPath = join(tmp, "lab-model.zip");
      await download.saveAs(zipPath);
      const folder = join(tmp, "downloaded");
      for (const [name, bytes] of Object.entries(unzipSync(readFileSync(zipPath)))) {
        mkdirSync(folder, { recursive: true });
        writeFileSync(join(folder, name), bytes);
      }
      const hf = await loadModelDir(folder);
      const hfTok = tokenizers.loadTokenizer(readFileSync(join(folder, "tokenizer.json"), "utf8"));
      await page.click("button[name=view-generate]");
      await page.fill("textarea[name=prompt]", "ROMEO:");
      await page.fill("input[name=temperature]", "0");
      await page.fill("input[name=max_tokens]", "20");
      await page.click("button[name=generate]");
      await waitForCount(page, ".prob-chip", 20);
      const greedy = (await page.$$eval(".prob-chip", (els) => els.map((e) => e.textContent ?? ""))).map((c) => (c === "␣" ? " " : c === "↵" ? "\n" : c)).join("");
      assert.equal(greedy, hfTok.decode(generate(hf, hfTok.encode("ROMEO:"), { maxNewTokens: 20, temperature: 0 })), "the downloaded folder continues as the page's model does");
      await page.fill("input[name=temperature]", "0.8");
      await page.fill("input[name=max_tokens]", "200");
      await page.click("button[name=generate]");
      await page.waitForFunction(() => (document.querySelector("[data-generated]")?.textContent ?? "").length > 50, undefined, { timeout: 30_000 });
      assert.deepEqual(errors, []);
    } finally {
      await server.close();
    }
  });

  test("a model folder from `dgpt train` loads by file input, and the views read it: greedy text as the library's", async () => {
    const text = readFileSync(SHAKESPEARE, "utf8");
    const tok = tokenizers.CharTokenizer.fromText(text);
    const model = new HookedTransformer({ n_layers: 2, d_model: 32, n_heads: 2, n_ctx: 32, d_vocab: tok.vocabSize, act_fn: "gelu", tie_embeddings: true, use_bias: false, seed: 11 });
    const dir = join(tmp, "folder-model");
    await saveModelDir(dir, model);
    writeFileSync(join(dir, "tokenizer.json"), tokenizers.serializeTokenizer(tok));
    const server = await serveLab(files, { host: "127.0.0.1", port: 0 });
    try {
      const { page, errors } = await openLab(browser, server.url);
      // a missing file is said, nothing loads
      await page.setInputFiles("input[name=model_files]", [join(dir, "config.json")]);
      await page.waitForSelector("[role=alert]", { timeout: 10_000 });
      assert.match((await page.textContent("[role=alert]")) ?? "", /missing: model.safetensors, tokenizer.json/);
      await page.setInputFiles("input[name=model_files]", ["config.json", "model.safetensors", "tokenizer.json"].map((f) => join(dir, f)));
      await page.waitForFunction(() => (document.querySelector("[data-loaded]")?.textContent ?? "").startsWith("loaded"), undefined, { timeout: 30_000 });
      assert.match((await page.textContent("[data-loaded]")) ?? "", /2 layers, d_model 32/);
      await page.click("button[name=view-generate]");
      await page.fill("textarea[name=prompt]", "ROMEO:");
      await page.fill("input[name=temperature]", "0");
      await page.fill("input[name=max_tokens]", "30");
      await page.click("button[name=generate]");
      await waitForCount(page, ".prob-chip", 30);
      const shown = (await page.$$eval(".prob-chip", (els) => els.map((e) => e.textContent ?? ""))).map((c) => (c === "␣" ? " " : c === "↵" ? "\n" : c)).join("");
      const expected = tok.decode(generate(model, tok.encode("ROMEO:"), { maxNewTokens: 30, temperature: 0 }));
      assert.equal(shown, expected, "the page's greedy continuation is the library's, on the same weights");
      assert.deepEqual(errors, []);
    } finally {
      await server.close();
    }
  });

  test("the static export on a plain file server: single-thread mode, said on the page, and it trains", async () => {
    const dir = exportLab(files, join(tmp, "site"), false);
    const server = createServer((req, res) => {
      const path = (req.url ?? "/").split("?")[0];
      const file = join(dir, path === "/" ? "index.html" : path);
      if (!file.startsWith(dir) || !existsSync(file)) return void res.writeHead(404).end();
      const types: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".txt": "text/plain" };
      res.writeHead(200, { "Content-Type": types[extname(file)] ?? "application/octet-stream" }).end(readFileSync(file));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const { page, errors } = await openLab(browser, `http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      assert.match(await page.textContent("[data-engine]") ?? "", /single-thread mode/);
      await train(page, 40);
      await page.waitForSelector("[data-phase=done]", { timeout: 120_000 });
      const state = await lab(page);
      assert.equal(state.losses.length, 40);
      assert.ok(state.losses[39].loss < state.losses[0].loss, "the loss fell");
      assert.deepEqual(errors, []);
    } finally {
      server.close();
    }
  });
});
