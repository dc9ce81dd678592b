// Corpora: UTF-8 decoding, local files, the download cache (against a local HTTP server: no test
// touches the internet), the Brown corpus from its package, and the train/val split.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Generator } from "../src/tensor/index.js";
import { decodeUtf8, findInvalidUtf8, trainValSplit, KNOWN_CORPORA } from "../src/data/corpus.js";
import { cacheDir, loadBrown, loadCorpus, readTextFile } from "../src/data/corpus.node.js";
import { universalTag, wordIndexAt, wordIndexForSpan } from "../src/data/brown.js";

const SHARED = fileURLToPath(new URL("../../shared/data/", import.meta.url));
const SHAKESPEARE = join(SHARED, "tinyshakespeare.txt");

function tmp(): string {
  return mkdtempSync(join(tmpdir(), "dgpt-data-"));
}

/** Every file under `dir`, temp files included (a failed download must leave none). */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).map((d) => d.name);
}

describe("UTF-8", () => {
  test("findInvalidUtf8 agrees with the WHATWG fatal decoder on random bytes", () => {
    const gen = new Generator(1);
    const fatal = new TextDecoder("utf-8", { fatal: true });
    // bias towards bytes that start or continue multi-byte sequences, where the edge cases are
    const pool = [0x41, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff];
    for (let k = 0; k < 3000; k++) {
      const bytes = Uint8Array.from({ length: gen.randint(0, 7) }, () => pool[gen.randint(0, pool.length)]);
      let valid = true;
      try {
        fatal.decode(bytes);
      } catch {
        valid = false;
      }
      assert.equal(findInvalidUtf8(bytes) === -1, valid, `bytes ${[...bytes].map((b) => b.toString(16)).join(" ")}`);
    }
  });

  test("named cases: overlong, surrogate, past U+10FFFF, truncated, emoji", () => {
    assert.equal(findInvalidUtf8(Uint8Array.of(0x61, 0xc0, 0x80)), 1);
    assert.equal(findInvalidUtf8(Uint8Array.of(0xe0, 0x80, 0x80)), 0);
    assert.equal(findInvalidUtf8(Uint8Array.of(0xed, 0xa0, 0x80)), 0);
    assert.equal(findInvalidUtf8(Uint8Array.of(0xf4, 0x90, 0x80, 0x80)), 0);
    assert.equal(findInvalidUtf8(Uint8Array.of(0x61, 0x62, 0xe2, 0x82)), 2);
    assert.equal(findInvalidUtf8(new TextEncoder().encode("naïve 🤖 東京")), -1);
  });

  test("decodeUtf8 says where the bad byte is, or replaces it when asked", () => {
    const bytes = Uint8Array.of(0x61, 0x0a, 0x62, 0xff, 0x63);
    assert.throws(() => decodeUtf8(bytes, { where: "f.txt" }), /f\.txt: not valid UTF-8 at byte 3 \(line 2, byte 0xff\)/);
    assert.equal(decodeUtf8(bytes, { invalid: "replace" }), "a\nb\uFFFDc");
    assert.equal(decodeUtf8(Uint8Array.of(0xef, 0xbb, 0xbf, 0x68, 0x69)), "hi", "a byte-order mark is dropped");
  });
});

describe("readTextFile", () => {
  test("reads UTF-8, and rejects missing, oversized, non-file and non-UTF-8 input clearly", async () => {
    const dir = tmp();
    try {
      const ok = join(dir, "ok.txt");
      writeFileSync(ok, "héllo\nworld\n");
      assert.equal(await readTextFile(ok), "héllo\nworld\n");
      await assert.rejects(readTextFile(join(dir, "nope.txt")), /no such file: .*nope\.txt/);
      await assert.rejects(readTextFile(ok, { maxBytes: 5 }), /13 bytes, over the limit of 5/);
      await assert.rejects(readTextFile(dir), /is not a regular file/);
      const bad = join(dir, "bad.txt");
      writeFileSync(bad, Uint8Array.of(0x61, 0x0a, 0x0a, 0xc3, 0x28));
      await assert.rejects(readTextFile(bad), /bad\.txt: not valid UTF-8 at byte 3 \(line 3/);
      assert.equal(await readTextFile(bad, { invalid: "replace" }), "a\n\n\uFFFD(");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("loadCorpus takes a path, and names what it cannot find", async () => {
    const dir = tmp();
    try {
      const f = join(dir, "mine.txt");
      writeFileSync(f, "some text");
      const c = await loadCorpus(f);
      assert.equal(c.text, "some text");
      assert.equal(c.source, "file");
      await assert.rejects(loadCorpus(join(dir, "missing.txt")), /neither a known corpus \(tinyshakespeare, tinystories\) nor a readable file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("download cache (local HTTP server)", () => {
  let server: Server;
  let base = "";
  const hits = new Map<string, number>();
  const shakespeare = existsSync(SHAKESPEARE) ? readFileSync(SHAKESPEARE) : null;
  const stories = Buffer.from("Once upon a time there was a tiny test story.\n");

  before(async () => {
    server = createServer((req, res) => {
      const url = req.url ?? "";
      hits.set(url, (hits.get(url) ?? 0) + 1);
      if (url === "/ok/input.txt" && shakespeare) res.end(shakespeare);
      else if (url === "/tampered/input.txt") res.end("not shakespeare");
      else if (url === "/ok/TinyStories-valid.txt") res.end(stories);
      else if (url === "/big/TinyStories-valid.txt") res.end(Buffer.alloc(5000, 0x61)); // with content-length
      else if (url === "/chunked/TinyStories-valid.txt") {
        // no content-length: the cap must hold while streaming
        res.writeHead(200, { "content-type": "text/plain" });
        for (let i = 0; i < 10; i++) res.write(Buffer.alloc(500, 0x62));
        res.end();
      } else if (url === "/binary/TinyStories-valid.txt") res.end(Buffer.from([0x61, 0xff, 0xfe]));
      else if (url === "/slow/TinyStories-valid.txt") {
        res.writeHead(200);
        res.write("partial"); // then never finish
      } else {
        res.statusCode = 404;
        res.end("not found");
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const addr = server.address();
    base = `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  test("downloads once into the cache, then reads the cache", { skip: !shakespeare && "no ../shared/data/tinyshakespeare.txt" }, async () => {
    const dir = tmp();
    try {
      const first = await loadCorpus("tinyshakespeare", { cacheDir: dir, baseUrl: `${base}/ok` });
      assert.equal(first.source, "download");
      assert.equal(first.path, join(dir, "corpora", "tinyshakespeare.txt"));
      assert.equal(first.text.length, 1115394); // ASCII: one char per byte
      assert.ok(first.text.startsWith("First Citizen:"));
      const second = await loadCorpus("tinyshakespeare", { cacheDir: dir, baseUrl: `${base}/ok` });
      assert.equal(second.source, "cache");
      assert.equal(second.text, first.text);
      assert.equal(hits.get("/ok/input.txt"), 1, "the second load must not touch the network");
      assert.deepEqual(filesUnder(dir), ["tinyshakespeare.txt"], "no temp files left behind");

      // A cache file that no longer matches the known hash is fetched again and replaced.
      writeFileSync(first.path, "corrupted");
      const third = await loadCorpus("tinyshakespeare", { cacheDir: dir, baseUrl: `${base}/ok` });
      assert.equal(third.source, "download");
      assert.equal(hits.get("/ok/input.txt"), 2);
      assert.equal(readFileSync(first.path).length, 1115394);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a download that fails the known size/hash is rejected and not cached", async () => {
    const dir = tmp();
    try {
      await assert.rejects(loadCorpus("tinyshakespeare", { cacheDir: dir, baseUrl: `${base}/tampered` }), /got 15 bytes, expected 1115394/);
      assert.deepEqual(filesUnder(dir), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("HTTP 404, oversized bodies, non-UTF-8 and timeouts are clear errors that leave nothing cached", async () => {
    const dir = tmp();
    try {
      const load = (path: string, extra = {}) => loadCorpus("tinystories", { cacheDir: dir, baseUrl: `${base}/${path}`, ...extra });
      await assert.rejects(load("missing"), /download of tinystories from http:\/\/127\.0\.0\.1:\d+\/missing\/TinyStories-valid\.txt failed: HTTP 404/);
      await assert.rejects(load("big", { maxBytes: 1000 }), /announces 5000 bytes, over the limit of 1000/);
      await assert.rejects(load("chunked", { maxBytes: 1000 }), /more than 1000 bytes/);
      await assert.rejects(load("binary"), /not valid UTF-8 at byte 1/);
      await assert.rejects(load("slow", { timeoutMs: 150 }), /within 150 ms/);
      assert.deepEqual(filesUnder(dir), []);
      const ok = await load("ok");
      assert.equal(ok.text, stories.toString());
      assert.deepEqual(filesUnder(dir), ["tinystories-valid.txt"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("offline: a refused connection says so and suggests a local copy; offline:true never fetches", async () => {
    const dir = tmp();
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const addr = closed.address();
    const port = typeof addr === "object" && addr ? addr.port : 0;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    try {
      await assert.rejects(loadCorpus("tinystories", { cacheDir: dir, baseUrl: `http://127.0.0.1:${port}` }), /cannot reach the server \(ECONNREFUSED\): are you offline\?/);
      let fetched = false;
      const spy = (async () => {
        fetched = true;
        throw new Error("no");
      }) as unknown as typeof fetch;
      await assert.rejects(loadCorpus("tinystories", { cacheDir: dir, offline: true, fetch: spy }), /not in the cache .* and offline is set/);
      assert.equal(fetched, false);
      assert.deepEqual(filesUnder(dir), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a fetch override is used instead of the network", async () => {
    const dir = tmp();
    try {
      const fake = (async (url: string | URL | Request) => {
        assert.equal(String(url), KNOWN_CORPORA.tinystories.url);
        return new Response("from the fake fetch");
      }) as typeof fetch;
      const c = await loadCorpus("tinystories", { cacheDir: dir, fetch: fake });
      assert.equal(c.text, "from the fake fetch");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("local copies in localDirs come first; DGPT_CACHE sets the default cache", async () => {
    const dir = tmp();
    const saved = process.env.DGPT_CACHE;
    try {
      mkdirSync(join(dir, "shared"));
      writeFileSync(join(dir, "shared", "tinystories_10k.txt"), "a local sample");
      const hitsBefore = hits.get("/ok/TinyStories-valid.txt") ?? 0;
      const c = await loadCorpus("tinystories", { cacheDir: join(dir, "cache"), localDirs: [join(dir, "nothing-here"), join(dir, "shared")], baseUrl: `${base}/ok` });
      assert.equal(c.source, "local");
      assert.equal(c.text, "a local sample");
      assert.equal(hits.get("/ok/TinyStories-valid.txt") ?? 0, hitsBefore, "no request when a local copy exists");
      process.env.DGPT_CACHE = join(dir, "env-cache");
      assert.equal(cacheDir(), join(dir, "env-cache"));
      assert.equal(cacheDir({ cacheDir: "/x" }), "/x");
    } finally {
      if (saved === undefined) delete process.env.DGPT_CACHE;
      else process.env.DGPT_CACHE = saved;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("the shared tinyshakespeare copy has the pinned size and hash", { skip: !shakespeare && "no shared copy" }, async () => {
    const c = await loadCorpus("tinyshakespeare", { localDirs: [SHARED], offline: true, cacheDir: "/nonexistent" });
    assert.equal(c.source, "local");
    assert.equal(Buffer.byteLength(c.text), KNOWN_CORPORA.tinyshakespeare.bytes);
  });
});

describe("Brown corpus", () => {
  test("one file: words and tags aligned with the text", async () => {
    const c = await loadBrown({ files: ["ca01"] });
    assert.deepEqual(c.words.slice(0, 4), ["The", "Fulton", "County", "Grand"]);
    assert.deepEqual(c.tags.slice(0, 4), ["at", "np-tl", "nn-tl", "jj-tl"]);
    assert.equal(c.words.length, c.tags.length);
    for (let i = 0; i < c.words.length; i++) assert.equal(c.text.slice(c.wordStarts[i], c.wordStarts[i] + c.words[i].length), c.words[i]);
    assert.ok(c.text.startsWith("The Fulton County Grand Jury said Friday an investigation of Atlanta's"));
    assert.equal(c.sentences[0].file, "ca01");
    const w = c.text.indexOf("Jury");
    assert.equal(c.words[wordIndexAt(c, w + 2)], "Jury");
    assert.equal(wordIndexAt(c, w - 1), -1, "the space before a word belongs to no word");
    assert.equal(c.words[wordIndexForSpan(c, w - 1, w + 4)], "Jury", 'a token " Jury" belongs to Jury');
    assert.equal(c.words[wordIndexForSpan(c, w + 2, w + 4)], "Jury", "so does a piece inside it");
    assert.equal(wordIndexForSpan(c, w - 1, w), -1, "a whitespace-only token belongs to no word");
    assert.deepEqual(c.categoryOf, { ca01: "news" });
  });

  test("the whole corpus has NLTK's 1,161,192 words in 57,340 sentences; categories filter", async () => {
    const all = await loadBrown();
    assert.equal(all.words.length, 1161192);
    assert.equal(all.sentences.length, 57340);
    assert.equal(Object.keys(all.categoryOf).length, 500);
    const humor = await loadBrown({ categories: ["humor"] });
    assert.ok(Object.values(humor.categoryOf).every((c) => c === "humor") && Object.keys(humor.categoryOf).length === 9);
    await assert.rejects(loadBrown({ categories: ["poetry"] }), /unknown category "poetry"/);
    await assert.rejects(loadBrown({ files: ["zz99"] }), /unknown file "zz99"/);
    // nearly every word gets a real universal tag
    const x = all.tags.filter((t) => universalTag(t) === "X").length;
    assert.ok(x / all.tags.length < 0.005, `${x} words tagged X`);
  });

  test("universalTag on representative Brown tags", () => {
    const cases: [string, string][] = [
      ["at", "DET"], ["np-tl", "NOUN"], ["nns", "NOUN"], ["vbd", "VERB"], ["bedz*", "VERB"], ["md", "VERB"],
      ["jj-hl", "ADJ"], ["in", "ADP"], ["cc", "CONJ"], ["cd", "NUM"], ["pps", "PRON"], ["pp$", "PRON"],
      ["rb", "ADV"], ["*", "ADV"], ["to", "PRT"], [".", "."], ["``", "."], ["--", "."], ["fw-nn", "X"],
      ["pps+bez", "PRON"], ["ap$", "DET"], ["uh", "X"],
    ];
    for (const [tag, want] of cases) assert.equal(universalTag(tag), want, tag);
  });
});

describe("trainValSplit", () => {
  test("first 90% / last 10%, for text and token arrays", () => {
    const { train, val } = trainValSplit("abcdefghij");
    assert.equal(train, "abcdefghi");
    assert.equal(val, "j");
    const ids = Uint16Array.from({ length: 1000 }, (_, i) => i);
    const s = trainValSplit(ids, 0.8);
    assert.equal(s.train.length, 800);
    assert.equal(s.val[0], 800);
    assert.ok(s.train instanceof Uint16Array && s.train.buffer === ids.buffer, "typed arrays are split into views");
    assert.deepEqual(trainValSplit([1, 2, 3, 4], 0.5), { train: [1, 2], val: [3, 4] });
    assert.throws(() => trainValSplit("abc", 1), /trainFraction must be in \(0, 1\)/);
  });
});
