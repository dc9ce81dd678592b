// `dgpt lab`: the in-browser lab (web/lab), bundled with esbuild when the command starts and
// served from 127.0.0.1 with the cross-origin isolation headers (COOP/COEP) that let the engine
// use threads in the browser; `--export DIR` writes the same files for any static host (where,
// without those headers, the lab runs single-threaded and says so).
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join, resolve } from "node:path";
import type { Command } from "commander";
import { build, type Plugin } from "esbuild";
import { loadCorpus } from "../data/corpus.node.js";
import { LOCAL_DATA, packageRoot } from "./common.js";
import { intOption } from "./options.js";

/** The lab's files by URL path: the page, its styles, the two bundles, and the built-in text when there is a copy here. */
export async function buildLab(opts: { download?: boolean } = {}): Promise<Map<string, { type: string; body: Uint8Array | string }>> {
  const dir = join(packageRoot(), "web", "lab");
  if (!existsSync(join(dir, "main.tsx"))) throw new Error(`the lab's sources are not in ${dir}`);
  const out = await build({
    entryPoints: { main: join(dir, "main.tsx"), "train-worker": join(dir, "train-worker.ts") },
    bundle: true,
    format: "esm",
    platform: "browser",
    target: ["chrome120", "firefox121"],
    jsx: "automatic",
    jsxImportSource: "preact",
    outdir: "/lab", // nothing is written: the output stays in memory
    write: false,
    minify: true,
    logLevel: "silent",
    plugins: [libraryFromDist()],
  });
  const files = new Map<string, { type: string; body: Uint8Array | string }>();
  for (const f of out.outputFiles) files.set(`/${f.path.split("/").pop()}`, { type: "text/javascript; charset=utf-8", body: f.contents });
  files.set("/", { type: "text/html; charset=utf-8", body: readFileSync(join(dir, "index.html")) });
  files.set("/lab.css", { type: "text/css; charset=utf-8", body: readFileSync(join(dir, "lab.css")) });
  const corpus = await builtInText(opts.download ?? true);
  if (corpus !== null) files.set("/corpus/tinyshakespeare.txt", { type: "text/plain; charset=utf-8", body: corpus });
  return files;
}

/** Tiny Shakespeare: a local copy or the cache, else (when allowed) downloaded once into the cache; null when neither works. */
async function builtInText(download: boolean): Promise<string | null> {
  try {
    return (await loadCorpus("tinyshakespeare", { localDirs: LOCAL_DATA, offline: true })).text;
  } catch {
    if (!download) return null;
  }
  try {
    console.error("downloading Tiny Shakespeare (1 MB, once) for the lab…");
    return (await loadCorpus("tinyshakespeare", { localDirs: LOCAL_DATA, timeoutMs: 20_000 })).text;
  } catch (err) {
    console.error(`note: Tiny Shakespeare could not be downloaded (${(err as Error).message}); the lab will ask for a text file`);
    return null;
  }
}

/**
 * The lab imports the library's TypeScript sources (../../src/index.js); an installed package
 * ships them compiled, in dist/src, so there the import is sent to the compiled files.
 */
function libraryFromDist(): Plugin {
  return {
    name: "library-from-dist",
    setup(b) {
      b.onResolve({ filter: /\/src\/index\.js$/ }, (args) => {
        const asked = resolve(args.resolveDir, args.path);
        if (existsSync(asked.replace(/\.js$/, ".ts")) || existsSync(asked)) return undefined;
        const compiled = join(packageRoot(), "dist", "src", "index.js");
        return existsSync(compiled) ? { path: compiled } : undefined;
      });
    },
  };
}

/** Serves the lab's files; `isolated` adds COOP/COEP (threads). Resolves with the server's URL. */
export async function serveLab(files: Map<string, { type: string; body: Uint8Array | string }>, opts: { host: string; port: number; isolated?: boolean }): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const file = files.get(path === "/index.html" ? "/" : path);
    if (opts.isolated !== false) {
      // cross-origin isolation: what SharedArrayBuffer, and so WebAssembly threads, require
      res.setHeader("Cross-Origin-Opener-Policy", "same-origin");
      res.setHeader("Cross-Origin-Embedder-Policy", "require-corp");
    }
    if (req.method !== "GET" && req.method !== "HEAD") return void res.writeHead(405, { Allow: "GET, HEAD" }).end();
    if (!file) return void res.writeHead(404, { "Content-Type": "text/plain" }).end("not found");
    res.writeHead(200, { "Content-Type": file.type, "Cache-Control": "no-cache" }).end(req.method === "HEAD" ? undefined : file.body);
  });
  await new Promise<void>((ok, fail) => {
    server.once("error", fail);
    server.listen(opts.port, opts.host, ok);
  });
  const { port } = server.address() as AddressInfo;
  const close = () =>
    new Promise<void>((ok) => {
      server.close(() => ok());
      server.closeAllConnections(); // an open tab's keep-alive connection must not hold the process
    });
  return { url: `http://${opts.host.includes(":") ? `[${opts.host}]` : opts.host}:${port}/`, close };
}

/** Writes the lab as static files into `dir` (atomically: a sibling folder renamed into place). */
export function exportLab(files: Map<string, { type: string; body: Uint8Array | string }>, dir: string, overwrite: boolean): string {
  const target = resolve(dir);
  if (existsSync(target) && !overwrite) throw new Error(`--export ${dir} exists; add --overwrite to replace it`);
  const tmp = `${target}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  for (const [path, f] of files) {
    const file = join(tmp, path === "/" ? "index.html" : path.slice(1));
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, f.body);
  }
  rmSync(target, { recursive: true, force: true });
  renameSync(tmp, target);
  return target;
}

export function registerLabCommand(program: Command): void {
  program
    .command("lab")
    .description("the in-browser lab: train a small GPT live in the browser and generate from it (served at 127.0.0.1; --export DIR writes static files)")
    .option("--port <n>", "port (0: any free one)", "5173")
    .option("--host <address>", "address to listen on", "127.0.0.1")
    .option("--export <dir>", "write the lab as static files for any web server instead of serving it")
    .option("--overwrite", "replace --export if it exists")
    .action(async (o: Record<string, string | boolean | undefined>) => {
      const files = await buildLab();
      if (typeof o.export === "string") {
        const dir = exportLab(files, o.export, o.overwrite === true);
        console.log(`wrote the lab to ${dir} (serve it with any static web server; without COOP/COEP headers it runs single-threaded)`);
        return;
      }
      const server = await serveLab(files, { host: o.host as string, port: intOption(o as Record<string, string>, "port", 5173, 0, 65535) });
      console.error(`the lab is at ${server.url} — open it in a browser; Ctrl-C to stop`);
      await new Promise<void>((done) => {
        const stop = () => void server.close().then(done);
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      });
    });
}
