// The kernel tests again, in real headless Chromium (Debian's `chromium`): the page is bundled
// with esbuild, served from 127.0.0.1 with the cross-origin isolation headers shared memory needs,
// and driven with playwright-core. Skipped when Chromium is not installed, except in CI.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { chromium } from "playwright-core";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const available = existsSync(CHROMIUM);

test("kernel tests pass in headless Chromium", { skip: !available && !process.env.CI ? `no Chromium at ${CHROMIUM} (apt-get install chromium)` : false, timeout: 180_000 }, async () => {
  assert.ok(available, `CI needs Chromium at ${CHROMIUM}`);
  const bundle = await build({
    entryPoints: [fileURLToPath(new URL("./browser/kernels.entry.ts", import.meta.url))],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "chrome120",
    write: false,
    logLevel: "silent",
  });
  const js = bundle.outputFiles[0].text;
  const html = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>decoding-gpt kernels</title></head><body><script type="module" src="/kernels.js"></script></body></html>`;
  const server = createServer((req, res) => {
    // COOP + COEP make the page cross-origin isolated, which SharedArrayBuffer (threads) requires
    res.setHeader("Cross-Origin-Opener-Policy", "same-origin");
    res.setHeader("Cross-Origin-Embedder-Policy", "require-corp");
    if (req.url === "/kernels.js") res.writeHead(200, { "Content-Type": "text/javascript" }).end(js);
    else if (req.url === "/" || req.url === "/index.html") res.writeHead(200, { "Content-Type": "text/html" }).end(html);
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    const page = await browser.newPage();
    const logs: string[] = [];
    page.on("console", (m) => logs.push(m.text()));
    page.on("pageerror", (e) => logs.push(`page error: ${e.message}`));
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForFunction(() => (window as unknown as { __results?: unknown; __error?: unknown }).__results !== undefined || (window as unknown as { __error?: unknown }).__error !== undefined, undefined, { timeout: 150_000 });
    const error = await page.evaluate(() => (window as unknown as { __error?: string }).__error);
    assert.equal(error, undefined, `page failed: ${error}\n${logs.join("\n")}`);
    const results = await page.evaluate(() => (window as unknown as { __results: { name: string; ok: boolean; detail: string }[] }).__results);
    const failed = results.filter((r) => !r.ok);
    assert.deepEqual(failed, [], failed.map((r) => `${r.name}: ${r.detail}`).join("\n"));
    assert.ok(results.length > 50, `only ${results.length} checks ran`);
  } finally {
    await browser.close();
    server.close();
  }
});
