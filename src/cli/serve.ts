// `dgpt serve`: models over HTTP — OpenAI's API (so the official clients, curl and notebooks in
// any language can generate from them) and the interpretability endpoints. Thin: read the flags,
// load the models, start src/server, stop it cleanly on SIGTERM or Ctrl-C.
import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import type { Command } from "commander";
import { loadModelDir } from "../models/gpt/io.node.js";
import { loadSae } from "../sae/files.node.js";
import { ChatTemplate, readChatTemplate } from "../server/chat.js";
import { createServer } from "../server/app.js";
import { ModelRegistry, type ModelLoader } from "../server/models.js";
import { MODEL_HELP, NO_PROCESSING_HELP, dirTokenizer, modelDir } from "./common.js";
import { intOption, numberOption } from "./options.js";

type Opts = Record<string, string | string[] | boolean | undefined>;

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

export function registerServeCommand(program: Command): void {
  program
    .command("serve")
    .description("serve models over HTTP: OpenAI's API (/v1/completions, /v1/chat/completions, streaming) and interpretability endpoints (/v1/interp/...)")
    .option("--model <dirOrName>", `${MODEL_HELP}; repeat the flag to serve several`, (v: string, prev: string[] = []) => [...prev, v])
    .option("--sae <dir>", "an SAE folder (cfg.json + sae_weights.safetensors) for /v1/interp/feature_steer, named by its folder name; repeat to load several", (v: string, prev: string[] = []) => [...prev, v])
    .option("--models-dir <dir>", "also serve, on first request, any model folder inside this directory (requests name it by its folder name)")
    .option("--max-loaded <n>", "with --models-dir: models from it kept loaded at once", "2")
    .option("--host <address>", "address to listen on (anything but loopback is reachable from other machines: use --api-key)", "127.0.0.1")
    .option("--port <n>", "port (0: any free one, printed)", "8000")
    .option("--api-key <key>", "require \"Authorization: Bearer <key>\" on every request (default: $DGPT_API_KEY, else none)")
    .option("--cors <origins>", "allow browsers on these origins (comma-separated, or * for any) to call the API; off by default")
    .option("--max-batch <n>", "requests decoded together in one batched forward pass", "16")
    .option("--max-queue <n>", "requests that may wait for a place; beyond it the answer is 429 with Retry-After", "64")
    .option("--timeout <seconds>", "cancel a request that runs longer", "300")
    .option("--body-limit <kB>", "largest request body", "4096")
    .option("--chat-template <file>", "a Jinja chat template for models that have none (Hugging Face's format), so /v1/chat/completions works for them")
    .option("--no-processing", NO_PROCESSING_HELP)
    .option("--grace <seconds>", "on SIGTERM or Ctrl-C: time requests in flight get to finish before they are cancelled", "10")
    .option("--quiet", "no line per request on stderr")
    .action((o: Opts) => serve(o));
}

async function serve(o: Opts): Promise<void> {
  const flags = o as Record<string, string>;
  const models = (o.model as string[] | undefined) ?? [];
  const modelsDir = o.modelsDir as string | undefined;
  if (models.length === 0 && !modelsDir) throw new Error("give --model <dir or name> (or --models-dir <dir>)");
  const host = o.host as string;
  const port = intOption(flags, "port", 8000, 0, 65535);
  const templateSource = o.chatTemplate ? readFileSync(o.chatTemplate as string, "utf8") : null;
  const processing = o.processing === false ? false : {};
  const load: ModelLoader = async (dir, id) => {
    const model = await loadModelDir(dir, { processing });
    const tokenizer = dirTokenizer(dir);
    const source = readChatTemplate(dir) ?? templateSource;
    const chat = source && tokenizer ? new ChatTemplate(source, tokenizer) : null;
    return { id, dir, model, tokenizer, chat };
  };
  const registry = new ModelRegistry({
    load,
    modelsDir,
    maxLoaded: intOption(flags, "maxLoaded", 2, 1),
    maxBatch: intOption(flags, "maxBatch", 16, 1, 256),
    maxQueue: intOption(flags, "maxQueue", 64, 0),
  });
  for (const spec of models) {
    const dir = await modelDir(spec);
    const served = await registry.add(dir, modelId(spec));
    const c = served.model.cfg;
    console.error(`loaded ${served.id}: ${c.n_layers} layers, d_model ${c.d_model}, n_ctx ${c.n_ctx}, vocabulary ${c.d_vocab}${served.chat ? ", chat template" : ""} (${dir})`);
  }
  for (const dir of (o.sae as string[] | undefined) ?? []) {
    const sae = await loadSae(dir);
    const name = basename(resolve(dir));
    registry.saes.set(name, sae);
    console.error(`loaded SAE ${name}: ${sae.cfg.d_sae} latents reading ${sae.cfg.hook_name}`);
  }
  const apiKey = (o.apiKey as string | undefined) ?? process.env.DGPT_API_KEY;
  const corsFlag = o.cors as string | undefined;
  const server = await createServer({
    registry,
    apiKey: apiKey || undefined,
    cors: corsFlag === undefined ? false : corsFlag.trim() === "*" ? true : corsFlag.split(",").map((s) => s.trim()).filter(Boolean),
    timeoutMs: numberOption(flags, "timeout", 300) * 1000,
    bodyLimit: intOption(flags, "bodyLimit", 4096, 1) * 1024,
    log: o.quiet ? null : undefined,
  });
  if (!LOOPBACK.has(host)) console.error(`warning: listening on ${host}, reachable from other machines${apiKey ? "" : " by anyone: pass --api-key"}`);
  const address = await server.app.listen({ host, port });
  const grace = numberOption(flags, "grace", 10) * 1000;
  console.error(`serving ${registry.list().map((m) => m.id).join(", ") || "(none yet)"} at ${address}/v1 — OpenAI API and /v1/interp; Ctrl-C to stop`);
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      console.error(`${signal}: finishing requests in flight (at most ${grace / 1000} s), then stopping`);
      server.shutdown(grace).finally(resolve);
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
  });
}

/** The name requests use for --model SPEC: a hub name as it is; a folder by its name (out/run1/best → run1). */
export function modelId(spec: string): string {
  if (!existsSync(spec)) return spec;
  const trimmed = resolve(spec);
  const base = basename(trimmed);
  return base === "best" || base === "last" ? basename(dirname(trimmed)) : base;
}
