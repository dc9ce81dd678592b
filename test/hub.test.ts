// The Hugging Face hub download and cache, end to end against a local stand-in for the hub
// (mock-hub.ts) serving the tiny random-weight GPT-2 of fixtures/pretrained/gpt2: the cache layout
// is huggingface_hub's (checked by hand and by @huggingface/hub's own scanCacheDir), the model
// loads and gives Hugging Face's logits, the cache serves offline, a cut transfer resumes, two
// downloads of one model at once (in one process or two) fetch each file once, and failures say
// what to do.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, afterEach, before, beforeEach, describe, test } from "node:test";
import { scanCacheDir } from "@huggingface/hub";
import { main } from "../src/cli/main.js";
import { fromPretrained, noGrad, pretrainedSnapshot, resolveModelName } from "../src/node.js";
import { closedPort, gitBlobSha1, isLfs, type MockHub, sha256, startMockHub } from "./mock-hub.js";

const GPT2 = fileURLToPath(new URL("../fixtures/pretrained/gpt2/", import.meta.url));
const read = (dir: string, f: string) => new Uint8Array(readFileSync(join(dir, f)));
const GPT2_FILES = Object.fromEntries(["config.json", "model.safetensors", "vocab.json", "merges.txt"].map((f) => [f, read(GPT2, f)]));
const SHARDED = join(GPT2, "sharded");

interface Enc {
  shape: number[];
  data: number[];
}
const expected = JSON.parse(readFileSync(join(GPT2, "expected.json"), "utf8")) as { tokens: number[][]; logits: Enc };

/** Within float32 noise of the fixture's logits (Hugging Face's forward, float64 from the same float32 weights). */
function assertLogits(actual: number[], what: string): void {
  const data = expected.logits.data.slice(0, actual.length);
  const scale = data.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const err = actual.reduce((m, v, i) => Math.max(m, Math.abs(v - data[i])), 0);
  assert.ok(err <= 1e-5 * scale, `${what}: max error ${err}`);
}

/** Runs dgpt in this process, capturing what it prints. */
async function dgpt(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const orig = { log: console.log, error: console.error };
  console.log = (...a: unknown[]) => void (out += a.join(" ") + "\n");
  console.error = (...a: unknown[]) => void (err += a.join(" ") + "\n");
  try {
    return { code: await main(argv), out, err };
  } finally {
    Object.assign(console, orig);
  }
}

let hub: MockHub;
let cache: string;
const ENV = ["HF_HUB_CACHE", "HF_HOME", "HF_ENDPOINT", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_TOKEN_PATH", "HF_HUB_OFFLINE", "HF_HUB_DOWNLOAD_TIMEOUT"];
const savedEnv = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));

before(async () => {
  hub = await startMockHub([
    // the hub's gpt2, with files a loader must not fetch beside the ones it needs
    { id: "openai-community/gpt2", renamedFrom: ["gpt2"], refs: { v1: createCommit("v1") }, files: { ...GPT2_FILES, "pytorch_model.bin": "pickled weights: must not be fetched", "flax_model.msgpack": "flax weights", "README.md": "# gpt2\n", "onnx/decoder_model.onnx": "onnx" } },
    { id: "org/sharded", files: Object.fromEntries(["config.json", "model.safetensors.index.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"].map((f) => [f, read(SHARDED, f)])) },
    { id: "org/bert", files: { "config.json": JSON.stringify({ architectures: ["BertForMaskedLM"], model_type: "bert" }), "model.safetensors": "bert weights" } },
    { id: "org/gated", gated: true, files: GPT2_FILES },
    { id: "org/bin-only", files: { "config.json": GPT2_FILES["config.json"], "pytorch_model.bin": "pickled" } },
  ]);
});
after(async () => {
  await hub.close();
  for (const k of ENV) if (savedEnv[k] === undefined) delete process.env[k];
  else process.env[k] = savedEnv[k];
});
beforeEach(() => {
  for (const k of ENV) delete process.env[k];
  cache = mkdtempSync(join(tmpdir(), "dgpt-hub-"));
  process.env.HF_HUB_CACHE = cache;
  process.env.HF_ENDPOINT = hub.url;
  process.env.HF_TOKEN_PATH = join(cache, "no-token"); // never the developer's own login
  hub.requests.length = 0;
  hub.silent = false;
});
afterEach(() => rmSync(cache, { recursive: true, force: true }));

// a tag's commit in the mock: any 40 hex digits other than main's
function createCommit(tag: string): string {
  return Buffer.from(`tag ${tag}`.padEnd(20, "."), "utf8").toString("hex").slice(0, 40);
}

const fileRequests = () => hub.requests.filter((r) => r.url.includes("/resolve/") || r.url.startsWith("/cdn/"));

describe("dgpt pull: huggingface_hub's cache layout", () => {
  test("a TransformerLens alias downloads config, weights and tokenizer, each a symlink to a blob named by its hash", async () => {
    const r = await dgpt("pull", "gpt2-small");
    assert.equal(r.code, 0, r.err);
    const commit = hub.commit("openai-community/gpt2");
    // "gpt2-small" is TransformerLens's alias of the repo "gpt2" (which the hub redirects): Python's folder for it is models--gpt2
    const repoDir = join(cache, "models--gpt2");
    const snapshot = join(repoDir, "snapshots", commit);
    assert.equal(r.out.trim(), snapshot);
    assert.equal(readFileSync(join(repoDir, "refs", "main"), "utf8"), commit);
    assert.deepEqual(readdirSync(snapshot).sort(), ["config.json", "merges.txt", "model.safetensors", "vocab.json"]);
    for (const [name, bytes] of Object.entries(GPT2_FILES)) {
      // LFS files (the weights) are named by sha256, others by git's blob sha1, as huggingface_hub names them (the ETag the hub sends)
      const etag = name.endsWith(".safetensors") ? sha256(bytes) : gitBlobSha1(bytes);
      const link = join(snapshot, name);
      assert.ok(lstatSync(link).isSymbolicLink(), `${name} is a symlink`);
      assert.equal(readlinkSync(link), `../../blobs/${etag}`);
      assert.deepEqual(new Uint8Array(readFileSync(join(repoDir, "blobs", etag))), bytes, `${name}'s blob holds its bytes`);
    }
    assert.deepEqual(readdirSync(join(repoDir, "blobs")).filter((f) => f.endsWith(".incomplete")), []);
    const fetched = fileRequests().map((q) => q.url);
    for (const never of ["pytorch_model.bin", "flax_model.msgpack", "README.md", "onnx"]) assert.ok(!fetched.some((u) => u.includes(never)), `${never} was not fetched`);

    // huggingface's own reader of the cache sees one revision, on main, with the four files
    const scan = await scanCacheDir(cache);
    assert.deepEqual(scan.warnings, []);
    assert.equal(scan.repos.length, 1);
    assert.deepEqual(scan.repos[0].id, { type: "model", name: "gpt2" });
    const [rev] = scan.repos[0].revisions;
    assert.equal(rev.commitOid, commit);
    assert.deepEqual(rev.refs, ["main"]);
    assert.equal(rev.files.length, 4);

    // a second pull fetches nothing
    hub.requests.length = 0;
    assert.equal((await dgpt("pull", "gpt2")).code, 0);
    assert.deepEqual(fileRequests(), []);
  });

  test("--revision: a tag gets its own ref and snapshot", async () => {
    const r = await dgpt("pull", "openai-community/gpt2", "--revision", "v1");
    assert.equal(r.code, 0, r.err);
    const repoDir = join(cache, "models--openai-community--gpt2");
    assert.equal(readFileSync(join(repoDir, "refs", "v1"), "utf8"), createCommit("v1"));
    assert.equal(r.out.trim(), join(repoDir, "snapshots", createCommit("v1")));
    assert.ok(!existsSync(join(repoDir, "refs", "main")));
  });

  test("a sharded checkpoint: the index and every shard it names", async () => {
    const snap = await pretrainedSnapshot("org/sharded");
    assert.deepEqual(readdirSync(snap.dir).sort(), ["config.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors", "model.safetensors.index.json"]);
    const model = await fromPretrained("org/sharded", { processing: false }); // Hugging Face's own logits
    assertLogits(Array.from(noGrad(() => model.forward([expected.tokens[0]])).data), "sharded logits");
  });
});

describe("--model NAME and fromPretrained(NAME) load through the cache", () => {
  test("dgpt logits --model <alias> and <repo id>: Hugging Face's logits", async () => {
    const row = expected.tokens[0];
    for (const name of ["gpt2-small", "openai-community/gpt2"]) {
      const r = await dgpt("logits", "--model", name, "--tokens", row.join(","));
      assert.equal(r.code, 0, r.err);
      assertLogits((JSON.parse(r.out) as { logits: number[][] }).logits.flat(), `${name}: printed logits`);
    }
    assert.ok(existsSync(join(cache, "models--gpt2")) && existsSync(join(cache, "models--openai-community--gpt2")));
  });

  test("HF_HUB_OFFLINE=1: a cached model loads with the hub unreachable; an uncached one is a clear error", async () => {
    assert.equal((await dgpt("pull", "gpt2")).code, 0);
    process.env.HF_ENDPOINT = `http://127.0.0.1:${await closedPort()}`;
    process.env.HF_HUB_OFFLINE = "1";
    const r = await dgpt("logits", "--model", "gpt2-small", "--tokens", expected.tokens[0].join(","));
    assert.equal(r.code, 0, r.err);
    assertLogits((JSON.parse(r.out) as { logits: number[][] }).logits.flat(), "offline logits");
    const miss = await dgpt("logits", "--model", "pythia-70m", "--tokens", "1");
    assert.equal(miss.code, 1);
    assert.match(miss.err, /--model pythia-70m: EleutherAI\/pythia-70m is not in the cache \(.*models--EleutherAI--pythia-70m\), and HF_HUB_OFFLINE is set/);
  });

  test("the hub unreachable without HF_HUB_OFFLINE: the cached snapshot serves, with a note", async () => {
    await pretrainedSnapshot("gpt2");
    process.env.HF_ENDPOINT = `http://127.0.0.1:${await closedPort()}`;
    const snap = await pretrainedSnapshot("gpt2");
    assert.match(snap.warning ?? "", /cannot reach http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\).*using the cached snapshot/);
    await assert.rejects(pretrainedSnapshot("org/sharded"), (e: Error & { kind?: string }) => e.kind === "network" && /org\/sharded: cannot reach .*HF_HUB_OFFLINE=1/.test(e.message));
  });

  test("a cache written by Python's huggingface_hub is used as it is: nothing downloaded", async () => {
    // huggingface_hub's layout, made by hand: blobs named by etag, relative symlinks, refs/main
    const commit = hub.commit("openai-community/gpt2");
    const repoDir = join(cache, "models--gpt2");
    mkdirSync(join(repoDir, "blobs"), { recursive: true });
    mkdirSync(join(repoDir, "snapshots", commit), { recursive: true });
    mkdirSync(join(repoDir, "refs"));
    writeFileSync(join(repoDir, "refs", "main"), commit);
    for (const [name, bytes] of Object.entries(GPT2_FILES)) {
      const etag = name.endsWith(".safetensors") ? sha256(bytes) : gitBlobSha1(bytes);
      writeFileSync(join(repoDir, "blobs", etag), bytes);
      symlinkSync(`../../blobs/${etag}`, join(repoDir, "snapshots", commit, name));
    }
    const model = await fromPretrained("gpt2-small", { processing: false });
    assertLogits(Array.from(noGrad(() => model.forward([expected.tokens[0]])).data), "logits from Python's cache");
    assert.deepEqual(fileRequests(), [], "no file was downloaded");
    // offline, with the hub unreachable, too
    process.env.HF_HUB_OFFLINE = "1";
    process.env.HF_ENDPOINT = `http://127.0.0.1:${await closedPort()}`;
    hub.requests.length = 0;
    await fromPretrained("gpt2-small");
    assert.deepEqual(hub.requests, []);
  });

  test("offline, a renamed model cached under its new name is found under its old one", async () => {
    await pretrainedSnapshot("openai-community/gpt2");
    process.env.HF_HUB_OFFLINE = "1";
    const snap = await pretrainedSnapshot("gpt2-small");
    assert.equal(snap.dir, join(cache, "models--openai-community--gpt2", "snapshots", hub.commit("openai-community/gpt2")));
  });
});

describe("interrupted, corrupt and refused downloads", () => {
  test("a transfer cut off leaves only blobs/<sha>.incomplete; the next run resumes with a Range request", async () => {
    const weights = GPT2_FILES["model.safetensors"];
    const blob = join(cache, "models--gpt2", "blobs", sha256(weights));
    const link = join(cache, "models--gpt2", "snapshots", hub.commit("openai-community/gpt2"), "model.safetensors");
    hub.fault("model.safetensors", "cut", 50_000);
    const r = await dgpt("pull", "gpt2");
    assert.equal(r.code, 1);
    assert.match(r.err, /model\.safetensors from http:\/\/127\.0\.0\.1:\d+ broke off after 50000 of 121384 bytes .*run again to resume/);
    assert.ok(!existsSync(blob) && !existsSync(link), "no blob or link under the complete file's name");
    assert.equal(statSync(`${blob}.incomplete`).size, 50_000);

    hub.requests.length = 0;
    assert.equal((await dgpt("pull", "gpt2")).code, 0);
    const cdn = hub.requests.filter((q) => q.url.startsWith("/cdn/"));
    assert.deepEqual(cdn.map((q) => q.range), ["bytes=50000-"]);
    assert.deepEqual(new Uint8Array(readFileSync(link)), weights);
    assert.ok(!existsSync(`${blob}.incomplete`));
  });

  test("bytes that do not match the listed sha256 are discarded, never cached", async () => {
    hub.fault("model.safetensors", "corrupt", 1000);
    await assert.rejects(pretrainedSnapshot("gpt2"), (e: Error & { kind?: string }) => e.kind === "integrity" && /model\.safetensors: what arrived does not match the hub's listing .*sha256/.test(e.message));
    const blobs = join(cache, "models--gpt2", "blobs");
    assert.deepEqual(readdirSync(blobs).filter((f) => f.startsWith(sha256(GPT2_FILES["model.safetensors"]))), []);
  });

  test("a server that stops answering is a timeout, before the answer and in the middle of a file", async () => {
    process.env.HF_HUB_DOWNLOAD_TIMEOUT = "0.3";
    hub.silent = true;
    const t0 = Date.now();
    await assert.rejects(pretrainedSnapshot("gpt2"), (e: Error & { kind?: string }) => e.kind === "timeout" && /gpt2: .* did not answer within the timeout \(set HF_HUB_DOWNLOAD_TIMEOUT/.test(e.message));
    assert.ok(Date.now() - t0 < 5000);
    hub.silent = false;
    hub.fault("model.safetensors", "stall", 20_000);
    await assert.rejects(pretrainedSnapshot("gpt2"), (e: Error & { kind?: string }) => e.kind === "timeout" && /model\.safetensors: no answer from .* for 0\.3 s \(after 20000 of 121384 bytes; run again to resume/.test(e.message));
  });

  test("401 / 404: an unknown repo, revision or file", async () => {
    let r = await dgpt("pull", "nobody/nothing");
    assert.equal(r.code, 1);
    assert.match(r.err, /nobody\/nothing: no such model on http:\/\/127\.0\.0\.1:\d+, or it is private or gated: check the name, or set HF_TOKEN/);
    r = await dgpt("pull", "gpt2", "--revision", "no-such-branch");
    assert.match(r.err, /gpt2@no-such-branch: no such revision \(branch, tag or commit\)/);
    r = await dgpt("logits", "--model", "out/no-such-run", "--tokens", "1");
    assert.match(r.err, /--model out\/no-such-run: no such local directory; as a hub name: out\/no-such-run: no such model on/);
    await assert.rejects(pretrainedSnapshot("org/bert-nope"), /no such model/);
    await assert.rejects(pretrainedSnapshot("bad--name"), /"bad--name" is not a Hugging Face repo id/);
  });

  test("401 / 403 on a gated model: set HF_TOKEN and accept the licence", async () => {
    await assert.rejects(pretrainedSnapshot("org/gated"), (e: Error & { kind?: string }) => e.kind === "gated" && /org\/gated: config\.json is gated: accept its licence .* then set HF_TOKEN/.test(e.message));
    process.env.HF_TOKEN = "hf_not_granted";
    await assert.rejects(pretrainedSnapshot("org/gated"), /is gated.*not in the authorized list/);
    process.env.HF_TOKEN = "hf_granted";
    await pretrainedSnapshot("org/gated");
    assert.ok(hub.requests.filter((q) => q.url.includes("/resolve/")).every((q) => q.auth === undefined || q.auth.startsWith("Bearer hf_")));
  });

  test("a full disk (ENOSPC) says so and keeps what was fetched", { skip: !existsSync("/dev/full") && "no /dev/full here" }, async () => {
    // blobs/<sha>.incomplete pointing at /dev/full: every write to it fails with ENOSPC
    const blobs = join(cache, "models--gpt2", "blobs");
    mkdirSync(blobs, { recursive: true });
    symlinkSync("/dev/full", join(blobs, `${sha256(GPT2_FILES["model.safetensors"])}.incomplete`));
    const r = await dgpt("pull", "gpt2");
    assert.equal(r.code, 1);
    assert.match(r.err, /no space left on the disk while writing model\.safetensors .*HF_HUB_CACHE/);
  });
});

describe("architectures and names", () => {
  test("an architecture no family loads is refused from config.json, before the weights are fetched", async () => {
    await assert.rejects(fromPretrained("org/bert"), /org\/bert: config\.json: architecture "BertForMaskedLM" is not supported \(supported: .*\); its weights were not downloaded/);
    assert.ok(!fileRequests().some((q) => q.url.includes("model.safetensors")));
    // `dgpt pull` downloads it anyway (for Python, say), with a note
    const r = await dgpt("pull", "org/bert");
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /cannot load this model yet: architecture "BertForMaskedLM"/);
  });

  test("pytorch_model.bin is fetched only when there are no safetensors", async () => {
    const snap = await pretrainedSnapshot("org/bin-only");
    assert.ok(existsSync(join(snap.dir, "pytorch_model.bin")));
  });

  test("TransformerLens names, any case; other names are repo ids", () => {
    assert.equal(resolveModelName("gpt2-small").repo, "gpt2");
    assert.equal(resolveModelName("GPT2-Small").repo, "gpt2");
    assert.equal(resolveModelName("tiny-stories-1M").repo, "roneneldan/TinyStories-1M");
    assert.equal(resolveModelName("pythia-70m").repo, "EleutherAI/pythia-70m");
    assert.equal(resolveModelName("pythia-19m").repo, "EleutherAI/pythia-70m");
    assert.equal(resolveModelName("gpt-neo-125M").repo, "EleutherAI/gpt-neo-125M");
    assert.equal(resolveModelName("distil-gpt2").repo, "distilgpt2");
    assert.equal(resolveModelName("openai-community/gpt2").repo, "openai-community/gpt2");
  });
});

describe("two downloads of the same model at once", () => {
  const BIN = fileURLToPath(new URL("../src/cli/bin.ts", import.meta.url));
  const ROOT = fileURLToPath(new URL("..", import.meta.url));
  const etagOf = (name: string) => (isLfs(name) ? sha256(GPT2_FILES[name]) : gitBlobSha1(GPT2_FILES[name]));
  const locksDir = () => join(cache, ".locks", "models--gpt2");

  /**
   * How many times the hub sent each file's bytes: a small file from its repo's /resolve/ (the
   * request for "gpt2" only redirects there), an LFS one from the CDN.
   */
  function servedCounts(): Record<string, number> {
    const byEtag = new Map(Object.keys(GPT2_FILES).map((f) => [etagOf(f), f]));
    const counts: Record<string, number> = {};
    for (const q of hub.requests) {
      const cdn = /^\/cdn\/([0-9a-f]{64})$/.exec(q.url);
      const small = /^\/openai-community\/gpt2\/resolve\/[^/]+\/(.+)$/.exec(q.url);
      const name = cdn ? byEtag.get(cdn[1]) : small && !isLfs(small[1]) ? decodeURIComponent(small[1]) : undefined;
      if (name) counts[name] = (counts[name] ?? 0) + 1;
    }
    return counts;
  }

  /** The cache holds gpt2 whole, as huggingface_hub reads it: every blob its bytes, no partial file, no lock left. */
  async function assertCacheWhole(): Promise<void> {
    const repoDir = join(cache, "models--gpt2");
    for (const name of Object.keys(GPT2_FILES)) assert.deepEqual(new Uint8Array(readFileSync(join(repoDir, "blobs", etagOf(name)))), GPT2_FILES[name], name);
    assert.deepEqual(readdirSync(join(repoDir, "blobs")).sort(), Object.keys(GPT2_FILES).map(etagOf).sort(), "no .incomplete left");
    assert.deepEqual(readdirSync(locksDir()), [], "every lock released");
    const scan = await scanCacheDir(cache);
    assert.deepEqual(scan.warnings, []);
    assert.equal(scan.repos[0].revisions.length, 1);
    assert.equal(scan.repos[0].revisions[0].files.length, 4);
  }

  /** `dgpt ARGS` in a child process (the CLI from source), with this test's hub and cache. */
  function dgptChild(args: string[], onStderr?: (soFar: string) => void) {
    const child = spawn(process.execPath, ["--experimental-wasm-relaxed-simd", "--import", "tsx", BIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, HF_HUB_DOWNLOAD_TIMEOUT: "60" }, // a paused transfer must not time out
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => void (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => {
      err += d.toString();
      onStderr?.(err);
    });
    const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }>((resolve) => child.on("close", (code, signal) => resolve({ code, signal, out, err })));
    return { child, done };
  }

  test("in one process (Promise.all): the second call waits for the first's download, and each file is served once", async () => {
    // the first call's weights transfer stops halfway, so the second surely finds it under way
    const paused = hub.pause("model.safetensors", 50_000);
    const waits: string[] = [];
    const first = pretrainedSnapshot("gpt2", { onWait: (m) => waits.push(m) });
    await paused.reached;
    const second = pretrainedSnapshot("gpt2", {
      onWait: (m) => {
        waits.push(m);
        paused.resume(); // told it waits: now let the first one finish
      },
    });
    const [a, b] = await Promise.all([first, second]);
    assert.equal(a.dir, b.dir);
    assert.match(waits[0], /^gpt2: model\.safetensors is being downloaded into the same cache by another call in this process; waiting for it to finish/);
    assert.deepEqual(servedCounts(), { "config.json": 1, "model.safetensors": 1, "vocab.json": 1, "merges.txt": 1 });
    await assertCacheWhole();
    const model = await fromPretrained("gpt2", { processing: false });
    assertLogits(Array.from(noGrad(() => model.forward([expected.tokens[0]])).data), "logits after two pulls at once");
  });

  test("in two processes (two dgpt pull): both succeed, the second waiting for the first, each file served once", { timeout: 120_000 }, async () => {
    const paused = hub.pause("model.safetensors", 50_000);
    const first = dgptChild(["pull", "gpt2"]);
    await paused.reached; // the first process holds the weights' lock, halfway through
    const second = dgptChild(["pull", "gpt2"], (err) => {
      if (/waiting for it to finish/.test(err)) paused.resume();
    });
    const [a, b] = await Promise.all([first.done, second.done]);
    assert.equal(a.code, 0, a.err);
    assert.equal(b.code, 0, b.err);
    const snapshot = join(cache, "models--gpt2", "snapshots", hub.commit("openai-community/gpt2"));
    assert.equal(a.out.trim(), snapshot);
    assert.equal(b.out.trim(), snapshot);
    assert.match(b.err, new RegExp(`gpt2: model\\.safetensors is being downloaded into the same cache by process ${first.child.pid}; waiting for it to finish`));
    assert.deepEqual(servedCounts(), { "config.json": 1, "model.safetensors": 1, "vocab.json": 1, "merges.txt": 1 });
    await assertCacheWhole();
  });

  test("Ctrl-C during a download releases its lock and keeps the bytes fetched", { timeout: 60_000 }, async () => {
    const paused = hub.pause("model.safetensors", 50_000);
    const run = dgptChild(["pull", "gpt2"]);
    await paused.reached;
    const lock = join(locksDir(), `${etagOf("model.safetensors")}.lock`);
    while (!existsSync(`${join(cache, "models--gpt2", "blobs", etagOf("model.safetensors"))}.incomplete`)) await new Promise((r) => setTimeout(r, 50));
    assert.equal((JSON.parse(readFileSync(lock, "utf8")) as { pid: number }).pid, run.child.pid, "the lock names its holder");
    run.child.kill("SIGINT");
    const r = await run.done;
    paused.resume();
    assert.equal(r.signal, "SIGINT", "the process ends as Ctrl-C ends it");
    assert.ok(!existsSync(lock), "the lock is gone");
    // the next run resumes the partial download
    hub.requests.length = 0;
    assert.equal((await dgpt("pull", "gpt2")).code, 0);
    assert.match(hub.requests.find((q) => q.url.startsWith("/cdn/"))?.range ?? "", /^bytes=[1-9]\d*-$/);
    await assertCacheWhole();
  });

  test("a lock left by a dead process, or an old one of Python's, is taken over at once, resuming the partial download", async () => {
    const weights = GPT2_FILES["model.safetensors"];
    mkdirSync(locksDir(), { recursive: true });
    const blobs = join(cache, "models--gpt2", "blobs");
    mkdirSync(blobs, { recursive: true });
    // a pull killed (-9) halfway through the weights: its lock names its process, which is gone
    const dead = spawnSync(process.execPath, ["-e", ""]).pid;
    writeFileSync(join(locksDir(), `${etagOf("model.safetensors")}.lock`), JSON.stringify({ pid: dead, host: hostname(), since: "2024-01-01T00:00:00.000Z", token: "0123456789abcdef", by: "decoding-gpt" }));
    writeFileSync(join(blobs, `${etagOf("model.safetensors")}.incomplete`), weights.subarray(0, 30_000));
    // Python's filelock leaves an empty lock file behind; this one was last touched two minutes ago
    const pythonLock = join(locksDir(), `${etagOf("vocab.json")}.lock`);
    writeFileSync(pythonLock, "");
    const twoMinutesAgo = new Date(Date.now() - 120_000);
    utimesSync(pythonLock, twoMinutesAgo, twoMinutesAgo);

    const waits: string[] = [];
    const t0 = Date.now();
    await pretrainedSnapshot("gpt2", { onWait: (m) => waits.push(m) });
    assert.deepEqual(waits, [], "no wait");
    assert.ok(Date.now() - t0 < 10_000);
    assert.deepEqual(hub.requests.filter((q) => q.url.startsWith("/cdn/")).map((q) => q.range), ["bytes=30000-"]);
    await assertCacheWhole();
  });

  test("a live holder that shows no progress is reported after lockTimeoutMs, with the lock file to delete", async () => {
    // held by a running process (the one that started this test) and untouched for ten minutes: a pull suspended with Ctrl-Z, say
    const lock = join(locksDir(), `${etagOf("config.json")}.lock`);
    mkdirSync(locksDir(), { recursive: true });
    writeFileSync(lock, JSON.stringify({ pid: process.ppid, host: hostname(), since: "2024-01-01T00:00:00.000Z", token: "0123456789abcdef", by: "decoding-gpt" }));
    const tenMinutesAgo = new Date(Date.now() - 600_000);
    utimesSync(lock, tenMinutesAgo, tenMinutesAgo);
    await assert.rejects(pretrainedSnapshot("gpt2", { lockTimeoutMs: 1000, onWait: () => {} }), (e: Error & { kind?: string }) => {
      assert.equal(e.kind, "locked");
      assert.match(e.message, new RegExp(`^gpt2: config\\.json is being downloaded into the same cache by process ${process.ppid}, which has shown no progress for 600 s: if it is suspended \\(Ctrl-Z\\), resume or end it; if no download is running any more, delete ${lock.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} and run again$`));
      return true;
    });
    assert.ok(existsSync(lock), "a live holder's lock is left alone");
    assert.deepEqual(servedCounts(), {});
  });
});
