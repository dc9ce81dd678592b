// Token ids cached on disk: reuse while valid, rebuild when the source or tokenizer changes or the
// file is damaged, atomic writes, and a file format that rejects hostile bytes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Tokenizer } from "../src/tokenizers/types.js";
import { tokenCachePath, tokenizeCached, tokenizerFingerprint } from "../src/data/tokens.node.js";
import { decodeTokenFile, encodeTokenFile } from "../src/data/tokenfile.js";

/** A minimal character tokenizer over a fixed alphabet, local to this test (ids = alphabet order). */
function charTokenizer(alphabet: string, offset = 0, kind = "char"): Tokenizer {
  const chars = [...alphabet];
  const index = new Map(chars.map((c, i) => [c, i + offset]));
  return {
    kind,
    vocabSize: chars.length + offset,
    specialTokens: {},
    encode: (text) => [...text].map((c) => {
      const id = index.get(c);
      if (id === undefined) throw new Error(`unknown char ${c}`);
      return id;
    }),
    decode: (ids) => ids.map((i) => chars[i - offset]).join(""),
    idToToken: (i) => chars[i - offset] ?? "",
    tokenToId: (t) => index.get(t),
  };
}

function tmp(): string {
  return mkdtempSync(join(tmpdir(), "dgpt-tok-"));
}

test("tokenized once, reused while valid, rebuilt when source or tokenizer changes", async () => {
  const dir = tmp();
  try {
    const tok = charTokenizer("abc ");
    const text = "abc cab bca ".repeat(50);
    const first = await tokenizeCached(text, tok, { name: "toy", cacheDir: dir });
    assert.equal(first.reused, false);
    assert.equal(first.rebuiltBecause, "missing");
    assert.equal(first.path, join(dir, "tokens", "toy.char.tok"));
    assert.ok(first.ids instanceof Uint16Array);
    assert.deepEqual([...first.ids.slice(0, 4)], [0, 1, 2, 3]);

    const again = await tokenizeCached(text, tok, { name: "toy", cacheDir: dir });
    assert.equal(again.reused, true);
    assert.deepEqual([...again.ids], [...first.ids]);

    const edited = await tokenizeCached(text + "a", tok, { name: "toy", cacheDir: dir });
    assert.equal(edited.reused, false);
    assert.equal(edited.rebuiltBecause, "source changed");
    assert.equal(edited.ids.length, text.length + 1);

    // same kind and vocabulary size, different ids: a different tokenizer
    const other = charTokenizer("cba ");
    assert.notEqual(tokenizerFingerprint(other), tokenizerFingerprint(tok));
    const re = await tokenizeCached(text + "a", other, { name: "toy", cacheDir: dir });
    assert.equal(re.rebuiltBecause, "tokenizer changed");
    assert.equal(re.ids[0], 2);
    assert.equal((await tokenizeCached(text + "a", other, { name: "toy", cacheDir: dir })).reused, true);

    // an explicit identity overrides the fingerprint
    const byId = await tokenizeCached(text, tok, { path: join(dir, "x.tok"), tokenizerId: "my-tokenizer-v1" });
    assert.equal(byId.reused, false);
    assert.equal((await tokenizeCached(text, tok, { path: join(dir, "x.tok"), tokenizerId: "my-tokenizer-v1" })).reused, true);
    assert.equal((await tokenizeCached(text, tok, { path: join(dir, "x.tok"), tokenizerId: "my-tokenizer-v2" })).rebuiltBecause, "tokenizer changed");

    const names = readdirSync(join(dir, "tokens"));
    assert.deepEqual(names, ["toy.char.tok"], "atomic writes leave no temp files");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a damaged cache file is rebuilt, not trusted", async () => {
  const dir = tmp();
  try {
    const tok = charTokenizer("xyz");
    const path = join(dir, "d.tok");
    const { ids } = await tokenizeCached("xyzzyx", tok, { path });
    const good = readFileSync(path);
    writeFileSync(path, good.subarray(0, good.length - 1)); // truncated
    const a = await tokenizeCached("xyzzyx", tok, { path });
    assert.equal(a.reused, false);
    assert.match(a.rebuiltBecause ?? "", /unreadable .*bytes, but the header promises/);
    assert.deepEqual([...a.ids], [...ids]);
    writeFileSync(path, "garbage");
    assert.match((await tokenizeCached("xyzzyx", tok, { path })).rebuiltBecause ?? "", /unreadable .*bad magic/);
    assert.equal((await tokenizeCached("xyzzyx", tok, { path })).reused, true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("vocabularies over 65,536 are stored as uint32", async () => {
  const dir = tmp();
  try {
    const tok = charTokenizer("pq", 70000, "big");
    const r = await tokenizeCached("pqqp", tok, { path: join(dir, "big.tok") });
    assert.ok(r.ids instanceof Uint32Array);
    assert.deepEqual([...r.ids], [70000, 70001, 70001, 70000]);
    const back = await tokenizeCached("pqqp", tok, { path: join(dir, "big.tok") });
    assert.equal(back.reused, true);
    assert.deepEqual([...back.ids], [70000, 70001, 70001, 70000]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("bad arguments and a tokenizer that emits out-of-range ids are errors", async () => {
  const tok = charTokenizer("ab");
  await assert.rejects(tokenizeCached("ab", tok, {}), /give a cache file `path` or a dataset `name`/);
  assert.throws(() => tokenCachePath("../escape", tok), /must be letters, digits/);
  const liar: Tokenizer = { ...tok, encode: () => [0, 5] };
  const dir = tmp();
  try {
    await assert.rejects(tokenizeCached("ab", liar, { path: join(dir, "l.tok") }), /produced id 5 at position 1, outside \[0, 2\)/);
    assert.deepEqual(readdirSync(dir), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("token file format: round trip and hostile bytes", () => {
  const meta = { vocabSize: 10, tokenizerKind: "char", tokenizer: "t", source: "s" };
  const bytes = encodeTokenFile(Uint16Array.of(1, 2, 9), meta);
  assert.equal(new TextDecoder().decode(bytes.subarray(0, 8)), "DGPTTOK1");
  const h = new DataView(bytes.buffer).getUint32(8, true);
  assert.equal((12 + h) % 4, 0, "data is 4-byte aligned");
  assert.deepEqual([...new Uint16Array(bytes.slice(12 + h).buffer)], [1, 2, 9], "ids are plain little-endian uint16 after the header");
  const { header, ids } = decodeTokenFile(bytes);
  assert.deepEqual([...ids], [1, 2, 9]);
  assert.equal(header.length, 3);

  const withHeaderLength = (n: number) => {
    const b = bytes.slice();
    new DataView(b.buffer).setUint32(8, n, true);
    return b;
  };
  assert.throws(() => decodeTokenFile(withHeaderLength(0xffffffff)), /header length 4294967295 is over the limit/);
  assert.throws(() => decodeTokenFile(withHeaderLength(60000)), /runs past the end/);
  assert.throws(() => decodeTokenFile(bytes.subarray(0, 5)), /bad magic/);
  const bigId = encodeTokenFile(Uint16Array.of(1, 12), meta);
  assert.throws(() => decodeTokenFile(bigId, "f.tok"), /f\.tok: id 12 at position 1 is not below vocabSize 10/);
  const badJson = bytes.slice();
  badJson[12] = 0x7b + 1;
  assert.throws(() => decodeTokenFile(badJson), /header is not valid JSON/);
  const noFields = encodeTokenFile(Uint16Array.of(1), { ...meta, vocabSize: -1 });
  assert.throws(() => decodeTokenFile(noFields), /missing fields or has wrong types/);
});
