// Tokenizers against independent references: js-tiktoken (GPT-2's ranks, OpenAI's algorithm) for
// GPT-2's ids, Hugging Face's tokenizers.js for our tokenizer.json files, and hand-computed or
// published answers (GPT-2's merges.txt, nanoGPT's shakespeare_char) for the rest.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { Command } from "commander";
import { getEncoding } from "js-tiktoken";
import { Tokenizer as HfTokenizer } from "@huggingface/tokenizers";
import {
  BYTE_TO_CHAR,
  BpeTokenizer,
  CharTokenizer,
  GPT2_PATTERN,
  GPT2_PATTERN_JS,
  TokenizerError,
  WordTokenizer,
  gpt2Tokenizer,
  loadTokenizer,
  loadVocabMerges,
  mergeSimple,
  mergeWithHeap,
  pretokenize,
  serializeTokenizer,
  trainBpe,
  type LearnedMerge,
} from "../src/tokenizers/index.js";
import { loadTokenizerFile, saveTokenizerFile } from "../src/tokenizers/files.node.js";
import { registerTokenizeCommands } from "../src/cli/tokenize.js";

const data = (name: string) => readFileSync(new URL(`../../shared/data/${name}`, import.meta.url), "utf8");
const shakespeare = data("tinyshakespeare.txt");
const tiktoken = getEncoding("gpt2");
const gpt2 = gpt2Tokenizer();
const dir = mkdtempSync(join(tmpdir(), "dgpt-tok-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Strings that break naive tokenizers. */
const STRESS = [
  "",
  "Hello world",
  "hello  world   and\ttabs\t\tand\n\n\nnewlines \n \n",
  "   leading and trailing   ",
  " ".repeat(100) + "x" + "\n".repeat(50),
  "line\r\nwindows\r\n\r\nends\r",
  "It's they're we've I'm you'll he'd IT'S THEY'RE don't o'clock ’s",
  "12345 3.14159 1,000,000 0x1F 2024-01-01 ½ ² ٣",
  "naïve café résumé e\u0301 (combining) ñ Å\u030A",
  "日本語のテキスト 中文字符 한국어 텍스트 العربية עברית ไทย",
  "😀 👍🏽 👨‍👩‍👧‍👦 🇫🇷 ❤️ 🫠 𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
  "\u0000\u0001\u001f\u007f control \u00ad soft hyphen \u200b zero width \u200d",
  "\u00a0nbsp\u2003em\u3000ideographic\u2028line sep\u2029para sep",
  "<|endoftext|>",
  "one<|endoftext|>two <|endoftext|> three<|endoftext|><|endoftext|>",
  "<|endoftext <|endoftext|x endoftext|>",
  "!!!??? ... --- *** ### @@@ $$$ %%% ^^^ &&& ((( ))) [[[ ]]] {{{ }}} ||| ~~~ ```",
  "a".repeat(1000),
  "ab".repeat(300) + "😀".repeat(100),
  "def f(x):\n    return x ** 2  # comment\n\tif x: pass\n",
];

test("GPT-2: ids equal js-tiktoken's on every ../shared/data/*.txt file", () => {
  for (const name of ["tinyshakespeare.txt", "tinystories_10k.txt"]) {
    const text = data(name);
    const ours = gpt2.encode(text);
    const ref = tiktoken.encode(text, "all");
    assert.equal(ours.length, ref.length, name);
    assert.deepEqual(ours, ref, name);
    assert.equal(gpt2.decode(ours), text, name);
  }
});

test("GPT-2: ids equal js-tiktoken's on the stress set, and decode(encode(s)) === s", () => {
  for (const s of STRESS) {
    assert.deepEqual(gpt2.encode(s), tiktoken.encode(s, "all"), JSON.stringify(s.slice(0, 60)));
    assert.equal(gpt2.decode(gpt2.encode(s)), s);
  }
  // with special tokens not allowed, "<|endoftext|>" is ordinary text, as in tiktoken with no specials
  for (const s of STRESS.filter((x) => x.includes("<|endoftext"))) {
    assert.deepEqual(gpt2.encode(s, { allowedSpecial: "none" }), tiktoken.encode(s, [], []));
  }
});

test("GPT-2: random strings from a nasty alphabet match js-tiktoken", () => {
  const pool = ["a", "e", "t", " ", "  ", "\n", "\r\n", "\t", "'s", "'ll", "'S", "7", "42", "é", "e\u0301", "中", "😀", "👍🏽", "\u200d", "\u00a0", "\u3000", "!", ".", "—", "ß", "ﬁ", "<|endoftext|>", "|>", "A", "あ", "\u0000", "\uD800", "\uDC00", "𝔘"];
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let k = 0; k < 2000; k++) {
    let s = "";
    for (let i = 1 + Math.floor(rnd() * 25); i > 0; i--) s += pool[Math.floor(rnd() * pool.length)];
    assert.deepEqual(gpt2.encode(s), tiktoken.encode(s, "all"), JSON.stringify(s));
  }
});

test("GPT-2: known ids, vocabulary, and the merge list recovered from the ranks is GPT-2's merges.txt", () => {
  assert.equal(gpt2.vocabSize, 50257);
  assert.deepEqual(gpt2.specialTokens, { "<|endoftext|>": 50256 });
  assert.deepEqual(gpt2.encode("Hello world"), [15496, 995]);
  assert.equal(gpt2.tokenToId(" the"), 262);
  assert.equal(gpt2.idToRawToken(262), "Ġthe");
  assert.equal(gpt2.idToToken(50256), "<|endoftext|>");
  assert.equal(gpt2.merges.length, 50000);
  // The first and last lines of GPT-2's merges.txt
  assert.deepEqual(gpt2.merges.slice(0, 12).map((m) => m.join(" ")), ["Ġ t", "Ġ a", "h e", "i n", "r e", "o n", "Ġt he", "e r", "Ġ s", "a t", "Ġ w", "Ġ o"]);
  assert.deepEqual(gpt2.merges.at(-1), ["Ġg", "azed"]);
  assert.deepEqual(gpt2.tokenize("Hello, world! It's"), ["Hello", ",", "Ġworld", "!", "ĠIt", "'s"]);
  assert.deepEqual(pretokenize("Hi  there, it's 42\n\n"), ["Hi", " ", " there", ",", " it", "'s", " 42", "\n\n"]);
});

test("GPT-2: whitespace is Unicode White_Space as in the Rust/Oniguruma references (js-tiktoken differs on U+0085)", () => {
  // Hugging Face's tokenizers (Rust) pre-tokenize "!" + U+0085 as ["!", "\u0085"]: ids [0, 126, 227].
  assert.deepEqual(gpt2.encode("!\u0085"), [0, 126, 227]);
  assert.deepEqual(gpt2.encode(" \u0085b"), [220, 126, 227, 65]); // JavaScript's \s lacks U+0085: js-tiktoken gives [1587, 227, 65]
  assert.deepEqual(tiktoken.encode(" \u0085b"), [1587, 227, 65]);
  assert.notEqual(GPT2_PATTERN, GPT2_PATTERN_JS);
});

test("GPT-2: lone surrogates encode as U+FFFD (as in js-tiktoken), so they do not round-trip", () => {
  for (const s of ["a\uD800b", "\uDC00", "x\uD83D"]) {
    assert.deepEqual(gpt2.encode(s), tiktoken.encode(s));
    assert.equal(gpt2.decode(gpt2.encode(s)), s.replace(/[\uD800-\uDFFF]/g, "\uFFFD"));
  }
});

test("GPT-2: offsets cover the text; long runs encode in linear time; both merge algorithms agree", () => {
  const s = "Hi 😀 naïve<|endoftext|>  x";
  const spans = gpt2.encodeWithOffsets(s);
  assert.deepEqual(spans.map((t) => t.id), gpt2.encode(s));
  assert.deepEqual(spans.map((t) => s.slice(t.start, t.end)), ["Hi", " 😀", "😀", " naïve", "<|endoftext|>", " ", " x"]);
  assert.deepEqual(gpt2.encode("1".repeat(1500)), tiktoken.encode("1".repeat(1500))); // js-tiktoken is quadratic here
  assert.equal(gpt2.decode(gpt2.encode("z".repeat(500_000))).length, 500_000); // the heap path: O(n log n)
  const table = (gpt2 as unknown as { table: Parameters<typeof mergeSimple>[1] }).table;
  let seed = 3;
  for (let k = 0; k < 100; k++) {
    const ids = Array.from({ length: 1 + (k * 7) % 200 }, () => [64, 65, 66, 71, 220, 256][(seed = (seed * 69069 + 1) % 2 ** 32) % 6]!);
    assert.deepEqual(mergeSimple([...ids], table), mergeWithHeap([...ids], table));
  }
});

test("GPT-2's tokenizer.json runs in Hugging Face's tokenizers.js with the same ids; vocab.json + merges.txt load too", () => {
  const json = gpt2.toJSON();
  const hf = new HfTokenizer(json, {});
  const text = shakespeare.slice(0, 50_000) + STRESS.slice(0, 12).join(" ");
  assert.deepEqual(hf.encode(text).ids, tiktoken.encode(text, "all"));
  const model = json.model as { vocab: Record<string, number>; merges: string[] };
  const fromFiles = loadVocabMerges(JSON.stringify(model.vocab), "#version: 0.2\n" + model.merges.join("\n") + "\n");
  assert.deepEqual(fromFiles.specialTokens, { "<|endoftext|>": 50256 });
  assert.deepEqual(fromFiles.encode(text), tiktoken.encode(text, "all"));
});

test("BPE training: a hand-computed corpus gives the expected merges, ties broken by smaller ids", () => {
  const seen: LearnedMerge[] = [];
  const tok = trainBpe(["aaabdaaabac"], { vocabSize: 300, onMerge: (m, rank) => seen.push({ ...m, count: rank }) });
  // pairs: aa ×4, ab ×2 → merge "a a"; then "aa a" ×2 and "a b" ×2 tie: ("a","b") has smaller ids;
  // then "aa ab" ×2; every other pair occurs once (< minFrequency 2), so training stops.
  assert.deepEqual(tok.merges, [["a", "a"], ["a", "b"], ["aa", "ab"]]);
  assert.deepEqual(seen.map((m) => [m.merged, m.id, m.count]), [["aa", 256, 0], ["ab", 257, 1], ["aaab", 258, 2]]);
  assert.equal(tok.vocabSize, 259);
  assert.deepEqual(tok.tokenize("aaabdaaabac"), ["aaab", "d", "aaab", "a", "c"]);
});

test("BPE training on tinyshakespeare: vocabulary size, round trip, reload from tokenizer.json, determinism", async () => {
  const merges: string[] = [];
  const tok = trainBpe(shakespeare, { vocabSize: 1000, specialTokens: ["<|endoftext|>"], onMerge: (m) => merges.push(m.merged) });
  assert.equal(tok.vocabSize, 1000);
  assert.equal(merges.length, 1000 - 1 - 256);
  assert.deepEqual(merges.slice(0, 3), ["Ġt", "he", "Ġa"]);
  assert.equal(tok.specialTokens["<|endoftext|>"], 0);
  const sample = shakespeare.slice(0, 100_000);
  const ids = tok.encode(sample);
  assert.ok(ids.length < gpt2.encode(sample).length * 1.6 && ids.length < sample.length / 2, `${ids.length} tokens`);
  for (const s of [sample, ...STRESS]) assert.equal(tok.decode(tok.encode(s)), s);
  assert.deepEqual(tok.encode("a<|endoftext|>b"), [tok.tokenToId("a"), 0, tok.tokenToId("b")]);

  const path = join(dir, "tokenizer.json");
  await saveTokenizerFile(path, tok);
  const back = await loadTokenizerFile(path);
  assert.ok(back instanceof BpeTokenizer);
  assert.deepEqual(back.encode(sample), ids);
  assert.equal(serializeTokenizer(back), serializeTokenizer(tok));
  // Hugging Face's tokenizers.js reads the file and agrees on every id
  const hf = new HfTokenizer(JSON.parse(readFileSync(path, "utf8")), {});
  const mixed = sample.slice(0, 20_000) + "<|endoftext|>" + STRESS.join("\n");
  assert.deepEqual(hf.encode(mixed).ids, tok.encode(mixed));
  assert.equal(hf.decode(ids.slice(0, 500)), tok.decode(ids.slice(0, 500)));

  const again = trainBpe(shakespeare, { vocabSize: 1000, specialTokens: ["<|endoftext|>"] });
  assert.deepEqual(again.merges, tok.merges);
  const fewer = trainBpe(shakespeare.slice(0, 2000), { vocabSize: 5000, minFrequency: 3 });
  assert.ok(fewer.vocabSize < 5000, "stops when no pair is frequent enough");
});

test("BPE training rejects bad options", () => {
  assert.throws(() => trainBpe("abc", { vocabSize: 100 }), /vocabSize must be an integer ≥ 256/);
  assert.throws(() => trainBpe("abc", { vocabSize: 300, specialTokens: ["x", "x"] }), /distinct/);
  assert.throws(() => trainBpe([1 as unknown as string], { vocabSize: 300 }), /texts must be strings/);
});

test("a GPT-NeoX-style tokenizer.json: NFC normalizer, non-special added tokens split first (checked against tokenizers.js)", () => {
  const vocab: Record<string, number> = {};
  [...BYTE_TO_CHAR].sort().forEach((c, i) => (vocab[c] = i + 2));
  vocab["Ġt"] = 258;
  vocab["he"] = 259;
  vocab["Ġthe"] = 260;
  vocab["ĠĠ"] = 261;
  const json = {
    version: "1.0",
    added_tokens: [
      { id: 0, content: "<|endoftext|>", single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
      { id: 1, content: "<|padding|>", single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
      { id: 261, content: "  ", single_word: false, lstrip: false, rstrip: false, normalized: true, special: false },
    ],
    normalizer: { type: "NFC" },
    pre_tokenizer: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
    decoder: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
    model: { type: "BPE", dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, vocab: { ...vocab, "<|endoftext|>": 0, "<|padding|>": 1 }, merges: ["Ġ t", "h e", "Ġt he"] },
  };
  const tok = loadTokenizer(JSON.stringify(json)) as BpeTokenizer;
  const hf = new HfTokenizer(json, {});
  for (const s of ["the  the", " the cafe\u0301<|endoftext|>x", "a    b", "<|padding|>  "]) {
    assert.deepEqual(tok.encode(s), hf.encode(s).ids, JSON.stringify(s));
  }
  assert.deepEqual(tok.encode("a  the"), [vocab.a, 261, vocab.t, 259]); // "  " is cut out before the regex runs
  assert.equal(tok.decode(tok.encode("cafe\u0301")), "caf\u00e9"); // normalized, so not the same code points
  assert.ok(tok.encode("<|endoftext|>", { allowedSpecial: "none" }).length > 1);
  assert.throws(() => tok.encode("x", { allowedSpecial: ["<|nope|>"] }), /not a special token/);
});

test("bad tokenizer files give errors that say what and where", async () => {
  const gpt2Json = trainBpe("hello world, the tokens & the merges", { vocabSize: 270 }).toJSON(); // small: quick to reparse
  const withModel = (patch: Record<string, unknown>) => JSON.stringify({ ...gpt2Json, model: { ...(gpt2Json.model as object), ...patch } });
  const cases: Array<[string, RegExp]> = [
    ["{ not json", /not valid JSON/],
    ["[1, 2]", /expected a JSON object/],
    ['{"hello": 1}', /not a tokenizer.*"model"/],
    [withModel({ type: "WordPiece" }), /model\.type "WordPiece" is not supported/],
    [withModel({ type: "Unigram" }), /model\.type "Unigram"/],
    [withModel({ vocab: [1, 2] }), /model\.vocab must be an object/],
    [withModel({ vocab: { a: "x" } }), /model\.vocab\["a"\] must be an integer id/],
    [withModel({ merges: ["Ġ t", "Ġ"] }), /model\.merges\[1\] must be two tokens/],
    [withModel({ merges: [["Ġ", "t"], 7] }), /model\.merges\[1\] must be "a b" or \["a", "b"\], got number 7/],
    [withModel({ merges: [["Ġ", "zzzq"]] }), /merges\[0\].*"zzzq" is not in the vocabulary/],
    [withModel({ dropout: 0.1 }), /model\.dropout/],
    [withModel({ continuing_subword_prefix: "##" }), /continuing_subword_prefix/],
    // a Metaspace pre-tokenizer is SentencePiece-style, which a byte-level decoder does not go with
    [JSON.stringify({ ...gpt2Json, pre_tokenizer: { type: "Metaspace" } }), /a byte-level pre_tokenizer or decoder \("ByteLevel"\) does not go with SentencePiece-style settings/],
    [withModel({ byte_fallback: true }), /does not go with SentencePiece-style settings \(model\.byte_fallback: true\)/],
    [JSON.stringify({ ...gpt2Json, pre_tokenizer: null }), /pre_tokenizer must be an object/],
    [JSON.stringify({ ...gpt2Json, normalizer: { type: "Precompiled" } }), /normalizer\.type "Precompiled" is not supported/],
    [JSON.stringify({ ...gpt2Json, decoder: { type: "WordPiece" } }), /decoder\.type "WordPiece"/],
    [JSON.stringify({ ...gpt2Json, added_tokens: [{ id: 5 }] }), /added_tokens\[0\]\.content must be a non-empty string/],
    [JSON.stringify({ ...gpt2Json, added_tokens: [{ id: -1, content: "<x>" }] }), /added_tokens\[0\]\.id must be an integer/],
    [JSON.stringify({ type: "char", chars: ["ab"] }), /chars\[0\] must be one character/],
    [JSON.stringify({ type: "word", vocab: "x" }), /"vocab" must be an array/],
  ];
  for (const [text, pattern] of cases) {
    assert.throws(() => loadTokenizer(text), (e: unknown) => e instanceof TokenizerError && pattern.test(e.message), `${text.slice(0, 80)} → ${pattern}`);
  }
  const bad = join(dir, "bad.json");
  writeFileSync(bad, "{");
  await assert.rejects(loadTokenizerFile(bad), /bad\.json: tokenizer file: not valid JSON/);
  assert.throws(() => loadVocabMerges('{"a": 0}', "#version: 0.2\na b c\n"), /merges\.txt line 2/);
  assert.throws(() => gpt2.decode([50257]), /ids\[0\] = number 50257 is not a token id/);
});

test("char tokenizer: nanoGPT's shakespeare_char vocabulary and ids; unknown characters; save and load", () => {
  const tok = CharTokenizer.fromText(shakespeare);
  assert.equal(tok.vocabSize, 65);
  assert.equal(tok.chars.join(""), "\n !$&',-.3:;?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");
  assert.deepEqual(tok.encode("hii there"), [46, 47, 47, 1, 58, 46, 43, 56, 43]);
  assert.equal(tok.decode(tok.encode(shakespeare.slice(0, 5000))), shakespeare.slice(0, 5000));
  assert.throws(() => tok.encode("hi 😀"), /character U\+1F600 "😀" at index 3 is not in the vocabulary/);
  const unk = CharTokenizer.fromText("ab😀", { unk: true, specialTokens: ["<|endoftext|>"] });
  assert.deepEqual(unk.chars, ["a", "b", "😀"]); // code points, sorted: one emoji is one token
  assert.deepEqual(unk.encode("a😀z<|endoftext|>"), [0, 2, 4, 3]);
  assert.deepEqual(unk.specialTokens, { "<|endoftext|>": 3, "<unk>": 4 });
  const back = loadTokenizer(serializeTokenizer(unk));
  assert.deepEqual(back.encode("ba😀?<|endoftext|>"), unk.encode("ba😀?<|endoftext|>"));
  assert.equal(back.idToToken(2), "😀");
  assert.equal(back.tokenToId("b"), 1);
});

test("word tokenizer: words and punctuation, lowercase, frequency cut-offs, <unk>, save and load", () => {
  const tok = WordTokenizer.fromText("The cat sat. The cat's hat, the END!\nthe end", { lowercase: true });
  assert.deepEqual(tok.split("Don't stop—now, O'er 3.5 times"), ["don't", "stop", "—", "now", ",", "o'er", "3", ".", "5", "times"]);
  assert.equal(tok.idToToken(0), "<unk>");
  assert.equal(tok.idToToken(1), "the"); // most frequent first
  assert.deepEqual(tok.encode("The dog sat."), [1, 0, tok.tokenToId("sat")!, tok.tokenToId(".")!]);
  assert.equal(tok.decode(tok.encode("the cat sat, the end.\nthe hat!")), "the cat sat, the end.\nthe hat!");
  const small = WordTokenizer.fromText(shakespeare, { maxVocab: 100 });
  assert.equal(small.vocabSize, 100);
  const frequent = WordTokenizer.fromText(shakespeare, { minFrequency: 50 });
  assert.ok(frequent.vocabSize > 100 && frequent.vocabSize < 1000, `${frequent.vocabSize}`);
  const back = loadTokenizer(serializeTokenizer(frequent));
  const line = shakespeare.slice(0, 2000);
  assert.deepEqual(back.encode(line), frequent.encode(line));
  const strict = WordTokenizer.fromText("a b", { unkToken: null });
  assert.throws(() => strict.encode("a c"), /word "c" at index 2 is not in the vocabulary/);
});

test("dgpt tokenize and dgpt bpe train", async () => {
  const run = async (args: string[]) => {
    const program = new Command("dgpt").exitOverride();
    registerTokenizeCommands(program);
    const lines: string[] = [];
    const [log, err] = [console.log, console.error];
    console.log = (...a: unknown[]) => lines.push(a.join(" "));
    console.error = () => {};
    try {
      await program.parseAsync(args, { from: "user" });
    } finally {
      [console.log, console.error] = [log, err];
    }
    return lines.join("\n");
  };
  const json = JSON.parse(await run(["tokenize", "--json", "Hello world<|endoftext|>"]));
  assert.deepEqual(json.ids, [15496, 995, 50256]);
  assert.match(await run(["tokenize", "--no-special", "<|endoftext|>"]), /7 tokens/);
  const corpus = join(dir, "corpus.txt");
  writeFileSync(corpus, shakespeare.slice(0, 30_000));
  const out = join(dir, "cli-tokenizer.json");
  const text = await run(["bpe", "train", "--data", corpus, "--vocab-size", "300", "--out", out, "--show-merges"]);
  assert.match(text, /^ {5}0 {2}"Ġ" \+ "t" → " t"/m);
  assert.match(text, /learned 43 merges \(vocabulary 300\)/);
  assert.match(readFileSync(join(dir, "cli-tokenizer.html"), "utf8"), /^<!DOCTYPE html>[\s\S]*Token lengths in the vocabulary/);
  const listed = await run(["tokenize", "--tokenizer", out, "--plot", join(dir, "t.html"), "To be"]);
  assert.match(listed, /bpe \(vocabulary 300\)/);
  await assert.rejects(run(["bpe", "train", "--data", corpus, "--vocab-size", "10", "--out", out]), /--vocab-size: expected at least 258 \(256 byte tokens \+ 1 special \+ 1 merge\), got 10/);
  // an existing tokenizer (or its page) is not replaced without --overwrite
  const before = readFileSync(out, "utf8");
  await assert.rejects(run(["bpe", "train", "--data", corpus, "--vocab-size", "280", "--out", out]), /--out .*cli-tokenizer\.json exists already; add --overwrite to replace it/);
  assert.equal(readFileSync(out, "utf8"), before);
  assert.match(await run(["bpe", "train", "--data", corpus, "--vocab-size", "280", "--out", out, "--overwrite"]), /learned 23 merges/);
  await assert.rejects(run(["tokenize", "--tokenizer", out, "--plot", join(dir, "t.html"), "To be"]), /--plot .*t\.html exists already/);
  await assert.rejects(run(["bpe", "train", "--data", join(dir, "empty.txt"), "--out", join(dir, "e.json")]), /--data .*empty\.txt: no such file/);
  writeFileSync(join(dir, "empty.txt"), "");
  await assert.rejects(run(["bpe", "train", "--data", join(dir, "empty.txt"), "--out", join(dir, "e.json")]), /--data: .*empty\.txt holds no text to learn merges from/);
  await assert.rejects(run(["tokenize", "--data", join(dir, "nope.txt")]), /--data .*nope\.txt: no such file/);
  await assert.rejects(run(["tokenize", "--tokenizer", join(dir, "nope.json"), "x"]), /--tokenizer must be gpt2, char, word or a tokenizer.json file; ".*nope\.json" is none of these/);
});
