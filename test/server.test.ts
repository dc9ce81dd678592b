// `dgpt serve` over real HTTP on loopback: the official `openai` client unchanged (completions,
// chat, streaming), continuous batching giving what one-at-a-time generation gives, and the
// bounds: malformed and mistyped bodies, huge bodies, unknown models, path escapes, an API key,
// a full queue (429), a time limit, a client leaving mid-stream (memory back to where it was),
// and SIGTERM mid-stream (the CLI finishes the stream and exits 0).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import OpenAI from "openai";
import { backend } from "../src/backend/index.js";
import { HookedTransformer, generate, saveModelDir } from "../src/node.js";
import { CharTokenizer, serializeTokenizer } from "../src/tokenizers/index.js";
import type { Tokenizer } from "../src/tokenizers/types.js";
import { ChatTemplate } from "../src/server/chat.js";
import { createServer, type Server } from "../src/server/app.js";
import { ModelRegistry, type ModelLoader } from "../src/server/models.js";

const TEXT = "the quick brown fox jumps over the lazy dog. ROMEO: hello! JULIET: goodbye?\n";
const TEMPLATE = "{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}{% if add_generation_prompt %}assistant:{% endif %}";

function tinyModel(seed = 1, nCtx = 48): { model: HookedTransformer; tokenizer: CharTokenizer } {
  const tokenizer = CharTokenizer.fromText(TEXT, { specialTokens: ["<eos>"] });
  const model = new HookedTransformer({ n_layers: 2, d_model: 32, n_heads: 4, d_vocab: tokenizer.vocabSize, n_ctx: nCtx, seed });
  model.eval();
  return { model, tokenizer };
}

const tmp = mkdtempSync(join(tmpdir(), "dgpt-serve-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** A server on a free loopback port; `base` is its /v1 URL. */
async function start(opts: { maxBatch?: number; maxQueue?: number; timeoutMs?: number; apiKey?: string; cors?: boolean; bodyLimit?: number; modelsDir?: string; eos?: boolean } = {}): Promise<{ server: Server; base: string; root: string }> {
  const load: ModelLoader = async (dir, id) => {
    const { model, tokenizer } = tinyModel();
    // an end-of-text token, as a pretrained model's tokenizer has: generation stops there
    const tok: Tokenizer = opts.eos ? Object.assign(tokenizer, { eosTokenId: tokenizer.tokenToId("<eos>") }) : tokenizer;
    return { id, dir, model, tokenizer: tok, chat: new ChatTemplate(TEMPLATE, tok) };
  };
  const registry = new ModelRegistry({ load, maxBatch: opts.maxBatch, maxQueue: opts.maxQueue, modelsDir: opts.modelsDir });
  await registry.add("(memory)", "tiny");
  const server = await createServer({ registry, log: null, timeoutMs: opts.timeoutMs, apiKey: opts.apiKey, cors: opts.cors, bodyLimit: opts.bodyLimit });
  const root = await server.app.listen({ host: "127.0.0.1", port: 0 });
  return { server, base: `${root}/v1`, root };
}

/** The fields of an answer the tests read: an OpenAI error, or completion choices. */
interface Answer {
  error?: { message: string; type: string; param: string | null; code: string | null };
  choices: { text: string }[];
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: Answer; headers: Headers }> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: typeof body === "string" ? body : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : {}, headers: res.headers };
}

function assertError(r: { status: number; json: Answer }, status: number, pattern: RegExp, param?: string): void {
  assert.equal(r.status, status, JSON.stringify(r.json));
  const e = r.json.error;
  assert.ok(e && typeof e.message === "string", "OpenAI's error shape");
  assert.match(e.message, pattern);
  assert.ok("type" in e && "code" in e && "param" in e);
  if (param !== undefined) assert.equal(e.param, param);
}

describe("the official openai client, unchanged", () => {
  let s: Awaited<ReturnType<typeof start>>;
  let client: OpenAI;
  before(async () => {
    s = await start({ eos: true });
    client = new OpenAI({ baseURL: s.base, apiKey: "unused", maxRetries: 0 });
  });
  after(() => s.server.shutdown(100));

  test("models, completions (text, ids, n, echo, logprobs, usage)", async () => {
    const models = await client.models.list();
    assert.deepEqual(models.data.map((m) => m.id), ["tiny"]);
    assert.equal((await client.models.retrieve("tiny")).id, "tiny");

    const greedy = await client.completions.create({ model: "tiny", prompt: "ROMEO:", max_tokens: 12, temperature: 0 });
    const { model, tokenizer } = tinyModel();
    const prompt = tokenizer.encode("ROMEO:");
    const eos = tokenizer.tokenToId("<eos>")!;
    const expected = generate(model, prompt, { maxNewTokens: 12, temperature: 0, stopTokens: [eos] }).filter((t) => t !== eos);
    assert.equal(greedy.choices[0].text, tokenizer.decode(expected), "greedy text equals the library's generate");
    assert.equal(greedy.object, "text_completion");
    assert.equal(greedy.usage?.prompt_tokens, prompt.length);
    assert.equal(greedy.usage?.total_tokens, prompt.length + greedy.usage!.completion_tokens);

    const byIds = await client.completions.create({ model: "tiny", prompt: prompt, max_tokens: 12, temperature: 0 });
    assert.equal(byIds.choices[0].text, greedy.choices[0].text, "a prompt of token ids is the same prompt");

    const many = await client.completions.create({ model: "tiny", prompt: ["ab", "the "], n: 2, max_tokens: 5, seed: 7 });
    assert.deepEqual(many.choices.map((c) => c.index), [0, 1, 2, 3]);
    const again = await client.completions.create({ model: "tiny", prompt: ["ab", "the "], n: 2, max_tokens: 5, seed: 7 });
    assert.deepEqual(again.choices.map((c) => c.text), many.choices.map((c) => c.text), "a seed repeats the sample");

    const lp = await client.completions.create({ model: "tiny", prompt: "fox", max_tokens: 4, temperature: 0, logprobs: 3, echo: true });
    const c = lp.choices[0];
    assert.ok(c.text.startsWith("fox"), "echo puts the prompt first");
    const l = c.logprobs!;
    assert.equal(l.tokens!.length, 3 + 4);
    assert.equal(l.token_logprobs![0], null, "the first prompt token has no log-probability");
    for (let i = 1; i < l.tokens!.length; i++) {
      const top = l.top_logprobs![i]!;
      assert.equal(Object.keys(top).length, 3);
      const best = Math.max(...Object.values(top));
      assert.ok(l.token_logprobs![i]! <= best + 1e-9);
      if (i >= 3) assert.ok(Math.abs(l.token_logprobs![i]! - best) < 1e-6, "greedy picks the most likely token");
    }
    // scoring a text (max_tokens 0, echo, logprobs): the prompt's own log-probabilities, nothing generated
    const scored = await client.completions.create({ model: "tiny", prompt: "fox", max_tokens: 0, echo: true, logprobs: 0 });
    assert.equal(scored.usage?.completion_tokens, 0);
    assert.equal(scored.choices[0].text, "fox");
    assert.deepEqual(scored.choices[0].logprobs!.token_logprobs!.slice(0, 3), l.token_logprobs!.slice(0, 3), "the same prompt log-probabilities as with generation");
    // the reported log-probabilities are the model's own: exp of the full distribution sums to 1
    const [f, o] = tokenizer.encode("fo");
    const logits = model.lastLogits([[f]]).dataSync();
    const lse = Math.log(Array.from(logits).reduce((a, x) => a + Math.exp(x), 0));
    assert.ok(Math.abs(l.token_logprobs![1]! - (logits[o] - lse)) < 1e-4);
  });

  test("stop strings end the text before them; max_tokens is clamped to the context", async () => {
    const free = await client.completions.create({ model: "tiny", prompt: "the ", max_tokens: 20, temperature: 0 });
    const text = free.choices[0].text;
    const stop = text.slice(3, 5);
    const stopped = await client.completions.create({ model: "tiny", prompt: "the ", max_tokens: 20, temperature: 0, stop: [stop] });
    assert.equal(stopped.choices[0].text, text.slice(0, text.indexOf(stop)));
    assert.equal(stopped.choices[0].finish_reason, "stop");
    const long = await client.completions.create({ model: "tiny", prompt: "x".repeat(40), max_tokens: 1000, temperature: 0, logit_bias: { [String(tinyModel().tokenizer.tokenToId("<eos>"))]: -100 } });
    assert.equal(long.usage?.completion_tokens, 48 - 40, "n_ctx 48 leaves 8 tokens");
    assert.equal(long.choices[0].finish_reason, "length");
  });

  test("chat completions through the model's chat template, whole and streamed", async () => {
    const chat = await client.chat.completions.create({ model: "tiny", messages: [{ role: "system", content: "be brief" }, { role: "user", content: "hello" }], max_tokens: 6, temperature: 0, logprobs: true, top_logprobs: 2 });
    assert.equal(chat.object, "chat.completion");
    assert.equal(chat.choices[0].message.role, "assistant");
    const { model, tokenizer } = tinyModel();
    const prompt = tokenizer.encode("system: be brief\nuser: hello\nassistant:");
    assert.equal(chat.usage?.prompt_tokens, prompt.length, "the template's text is the prompt");
    const eos = tokenizer.tokenToId("<eos>")!;
    const expected = generate(model, prompt, { maxNewTokens: 6, temperature: 0, stopTokens: [eos] }).filter((t) => t !== eos);
    assert.equal(chat.choices[0].message.content, tokenizer.decode(expected));
    assert.equal(chat.choices[0].logprobs!.content!.length, expected.length);
    assert.equal(chat.choices[0].logprobs!.content![0].top_logprobs.length, 2);

    const stream = await client.chat.completions.create({ model: "tiny", messages: [{ role: "user", content: "hello" }], max_tokens: 6, temperature: 0, stream: true, stream_options: { include_usage: true } });
    let content = "";
    let finish: string | null = null;
    let usage = null;
    for await (const chunk of stream) {
      assert.equal(chunk.object, "chat.completion.chunk");
      for (const ch of chunk.choices) {
        content += ch.delta.content ?? "";
        finish = ch.finish_reason ?? finish;
      }
      if (chunk.usage) usage = chunk.usage;
    }
    const whole = await client.chat.completions.create({ model: "tiny", messages: [{ role: "user", content: "hello" }], max_tokens: 6, temperature: 0 });
    assert.equal(content, whole.choices[0].message.content, "the streamed deltas add up to the whole answer");
    assert.ok(finish === "stop" || finish === "length");
    assert.ok(usage && usage.completion_tokens > 0);
  });

  test("streamed completions end in [DONE] and add up to the whole text", async () => {
    const stream = await client.completions.create({ model: "tiny", prompt: "JULIET:", max_tokens: 10, temperature: 0, stream: true });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.text ?? "";
    const whole = await client.completions.create({ model: "tiny", prompt: "JULIET:", max_tokens: 10, temperature: 0 });
    assert.equal(text, whole.choices[0].text);
    const raw = await fetch(`${s.base}/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "tiny", prompt: "a", max_tokens: 3, stream: true }) });
    assert.equal(raw.headers.get("content-type"), "text/event-stream; charset=utf-8");
    const body = await raw.text();
    assert.ok(body.trimEnd().endsWith("data: [DONE]"), body);
  });

  test("errors reach the client as OpenAI's errors", async () => {
    await assert.rejects(client.completions.create({ model: "nope", prompt: "a" }), (e: InstanceType<typeof OpenAI.NotFoundError>) => e.status === 404 && /nope/.test(e.message));
    await assert.rejects(client.completions.create({ model: "tiny", prompt: "a", temperature: 5 }), (e: InstanceType<typeof OpenAI.BadRequestError>) => e.status === 400 && /temperature/.test(e.message));
  });
});

describe("batching", () => {
  test("concurrent requests run in shared forward passes and give what each gives alone", async () => {
    const s = await start({ maxBatch: 8 });
    try {
      const prompts = ["the", "ROMEO: hel", "a", "JULIET: goodbye", "fox jumps", "lazy", "dog. ", "q"];
      const body = (p: string) => ({ model: "tiny", prompt: p, max_tokens: 10, temperature: 0 });
      const alone: string[] = [];
      for (const p of prompts) alone.push((await post(`${s.base}/completions`, body(p))).json.choices[0].text);
      const { scheduler } = await s.server.registry.get("tiny");
      const stepsBefore = scheduler.stats.steps;
      const together = await Promise.all(prompts.map((p) => post(`${s.base}/completions`, body(p))));
      assert.deepEqual(together.map((r) => r.json.choices[0].text), alone);
      assert.ok(scheduler.stats.largestBatch >= 4, `largest batch ${scheduler.stats.largestBatch}`);
      assert.ok(scheduler.stats.steps - stepsBefore < prompts.length * 9, "fewer forward passes than one request at a time");
    } finally {
      await s.server.shutdown(100);
    }
  });
});

describe("bounded and safe", () => {
  test("malformed JSON, wrong types, missing fields, huge bodies, unknown routes: clear 4xx in OpenAI's shape", async () => {
    const s = await start({ bodyLimit: 4096 });
    try {
      assertError(await post(`${s.base}/completions`, '{"model": "tiny", "prompt": '), 400, /not valid JSON/);
      assertError(await post(`${s.base}/completions`, { model: "tiny", prompt: "a", max_tokens: "5" }), 400, /max_tokens must be integer/, "max_tokens");
      assertError(await post(`${s.base}/completions`, { model: "tiny", prompt: "a", n: 0 }), 400, /n must be >= 1/, "n");
      assertError(await post(`${s.base}/completions`, { model: "tiny" }), 400, /"prompt" is required/, "prompt");
      assertError(await post(`${s.base}/completions`, { model: "tiny", prompt: [1, 99999] }), 400, /token id 99999 is outside/, "prompt");
      assertError(await post(`${s.base}/completions`, { model: "tiny", prompt: "x".repeat(60) }), 400, /maximum context length is 48 tokens/, "prompt");
      assertError(await post(`${s.base}/completions`, { model: "tiny", prompt: "x".repeat(10_000) }), 413, /larger than the server's limit of 4096 bytes/);
      assertError(await post(`${s.base}/chat/completions`, { model: "tiny", messages: [{ role: "wizard", content: "hi" }] }), 400, /role/);
      assertError(await post(`${s.base}/chat/completions`, { model: "tiny", messages: [{ role: "user", content: [{ type: "image_url" }] }] }), 400, /only text parts/);
      assertError(await post(`${s.base}/nothing`, {}), 404, /no route POST \/v1\/nothing/);
    } finally {
      await s.server.shutdown(100);
    }
  });

  test("model names resolve only inside the models directory", async () => {
    const modelsDir = join(tmp, "models");
    const outside = join(tmp, "outside");
    const { model, tokenizer } = tinyModel(2);
    for (const dir of [join(modelsDir, "good"), outside]) {
      await saveModelDir(dir, model);
      writeFileSync(join(dir, "tokenizer.json"), serializeTokenizer(tokenizer));
    }
    symlinkSync(outside, join(modelsDir, "escape"));
    mkdirSync(join(modelsDir, "empty"));
    const s = await start({ modelsDir });
    try {
      const listed = (await (await fetch(`${s.base}/models`)).json()) as { data: { id: string }[] };
      assert.deepEqual(listed.data.map((m) => m.id).sort(), ["escape", "good", "tiny"].sort(), "folders with a model, and the served one");
      assert.equal((await post(`${s.base}/completions`, { model: "good", prompt: "the", max_tokens: 2 })).status, 200);
      for (const name of ["../outside", "good/../../outside", "/etc", "good/./x", "..", "%2e%2e/outside"]) {
        const r = await post(`${s.base}/completions`, { model: name, prompt: "a" });
        assert.ok(r.status === 400 || r.status === 404, `${name}: ${r.status}`);
        assert.equal(r.json.error?.param, "model");
      }
      assertError(await post(`${s.base}/completions`, { model: "escape", prompt: "a" }), 400, /leads outside the models directory/, "model");
      assertError(await post(`${s.base}/completions`, { model: "empty", prompt: "a" }), 404, /holds no model/, "model");
    } finally {
      await s.server.shutdown(100);
    }
  });

  test("an API key is required when set; CORS is off unless enabled", async () => {
    const s = await start({ apiKey: "sekrit" });
    try {
      assertError(await post(`${s.base}/completions`, { model: "tiny", prompt: "a", max_tokens: 1 }), 401, /API key/);
      assertError(await post(`${s.base}/completions`, { model: "tiny", prompt: "a", max_tokens: 1 }, { authorization: "Bearer wrong" }), 401, /API key/);
      assert.equal((await post(`${s.base}/completions`, { model: "tiny", prompt: "a", max_tokens: 1 }, { authorization: "Bearer sekrit" })).status, 200);
      const client = new OpenAI({ baseURL: s.base, apiKey: "sekrit", maxRetries: 0 });
      assert.equal((await client.models.list()).data[0].id, "tiny");
      const res = await fetch(`${s.base}/models`, { headers: { origin: "http://evil.example", authorization: "Bearer sekrit" } });
      assert.equal(res.headers.get("access-control-allow-origin"), null);
    } finally {
      await s.server.shutdown(100);
    }
    const c = await start({ cors: true });
    try {
      const res = await fetch(`${c.base}/models`, { headers: { origin: "http://lab.example" } });
      assert.equal(res.headers.get("access-control-allow-origin"), "*");
    } finally {
      await c.server.shutdown(100);
    }
  });

  test("a full queue answers 429 with Retry-After; a slow request 408", async () => {
    const s = await start({ maxBatch: 1, maxQueue: 1 });
    try {
      const long = { model: "tiny", prompt: "a", max_tokens: 40, temperature: 0 };
      const { scheduler } = await s.server.registry.get("tiny");
      const first = post(`${s.base}/completions`, long);
      const second = post(`${s.base}/completions`, long);
      // both taken: one decoding, one waiting
      while (scheduler.load.active + scheduler.load.waiting < 2) await new Promise((r) => setTimeout(r, 1));
      const third = await post(`${s.base}/completions`, long);
      assertError(third, 429, /busy/);
      assertError(await post(`${s.base}/completions`, { ...long, n: 3 }), 400, /asks for 3 sequences \(prompts × n\), but this server runs at most 2 at once/, "n");
      assert.ok(Number(third.headers.get("retry-after")) >= 1);
      assert.equal((await first).status, 200);
      assert.equal((await second).status, 200);
    } finally {
      await s.server.shutdown(100);
    }
    const t = await start({ timeoutMs: 1 });
    try {
      assertError(await post(`${t.base}/completions`, { model: "tiny", prompt: "a", max_tokens: 40 }), 408, /longer than the server's limit/);
    } finally {
      await t.server.shutdown(100);
    }
  });

  test("a client that leaves mid-stream cancels its generation and its memory is freed", async () => {
    const s = await start();
    try {
      const { scheduler } = await s.server.registry.get("tiny");
      await post(`${s.base}/completions`, { model: "tiny", prompt: "warm", max_tokens: 3 }); // first-use allocations
      const heap = () => (backend() as unknown as { heap: { bytesInUse: number } }).heap.bytesInUse;
      const baseline = heap();
      for (let round = 0; round < 3; round++) {
        await new Promise<void>((resolve, reject) => {
          const req = request(`${s.base}/completions`, { method: "POST", headers: { "content-type": "application/json" } }, (res) => {
            res.once("data", () => {
              req.destroy(); // leave after the first chunk
              resolve();
            });
          });
          req.on("error", () => {});
          req.once("error", reject);
          req.end(JSON.stringify({ model: "tiny", prompt: "ROMEO:", max_tokens: 40, stream: true }));
        });
        await scheduler.idle();
      }
      assert.equal(scheduler.load.active, 0);
      assert.ok(scheduler.stats.tokens < 3 * 40, `cancelled early: ${scheduler.stats.tokens} tokens decoded`);
      assert.equal(heap(), baseline, "WebAssembly memory back to the baseline");
    } finally {
      await s.server.shutdown(100);
    }
  });
});

describe("dgpt serve (the CLI)", () => {
  test("SIGTERM mid-stream: the stream finishes, the process exits 0", { timeout: 60_000 }, async () => {
    const dir = join(tmp, "cli-model");
    const { model, tokenizer } = tinyModel(3, 256);
    await saveModelDir(dir, model);
    writeFileSync(join(dir, "tokenizer.json"), serializeTokenizer(tokenizer));
    const bin = join(import.meta.dirname, "..", "src", "cli", "bin.ts");
    const child = spawn(process.execPath, ["--experimental-wasm-relaxed-simd", "--import", "tsx", bin, "serve", "--model", dir, "--port", "0", "--grace", "20"], { cwd: join(import.meta.dirname, ".."), stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stderr.on("data", (d: Buffer) => {
          stderr += d.toString();
          const m = /serving cli-model at (http:\/\/\S+)/.exec(stderr);
          if (m) resolve(m[1]);
        });
        child.once("exit", () => reject(new Error(`dgpt serve exited: ${stderr}`)));
      });
      assert.match(stderr, /loaded cli-model: 2 layers/);
      const res = await fetch(`${url}/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "cli-model", prompt: "the", max_tokens: 200, stream: true }) });
      const reader = res.body!.getReader();
      await reader.read(); // the stream has begun
      child.kill("SIGTERM");
      let body = "";
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        body += Buffer.from(value).toString();
      }
      assert.ok(body.trimEnd().endsWith("data: [DONE]"), "the stream in flight was finished");
      assert.equal(await exited, 0);
      assert.match(stderr, /SIGTERM: finishing requests in flight/);
      assert.match(stderr, /POST \/v1\/completions 200 \d+ms tokens=3\+\d+/, "one log line per request");
    } finally {
      child.kill("SIGKILL");
    }
  });
});
