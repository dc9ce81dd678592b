// `dgpt tokenize` (see how a text becomes tokens) and `dgpt bpe train` (learn a byte-level BPE
// vocabulary from a corpus, watching the merges, and save it as tokenizer.json).
import type { Command } from "commander";
import { writePlot } from "../plot/files.node.js";
import { BpeTokenizer } from "../tokenizers/bpe.js";
import { SentencePieceBpeTokenizer } from "../tokenizers/sentencepiece.js";
import { CharTokenizer } from "../tokenizers/char.js";
import { gpt2Tokenizer } from "../tokenizers/gpt2.js";
import { existsSync } from "node:fs";
import { loadTokenizerFile, saveTokenizerFile } from "../tokenizers/files.node.js";
import { trainBpe, type LearnedMerge } from "../tokenizers/train.js";
import type { TokenSpan, Tokenizer } from "../tokenizers/types.js";
import { WordTokenizer } from "../tokenizers/word.js";
import { defaultOut, outputFile, readTextFlag, replaceInvalidUtf8Option } from "./common.js";
import { intOption } from "./options.js";
import { progress } from "./progress.js";
import { bpePage, tokenLengthsPage } from "./pages/tokenizer.js";

export function registerTokenizeCommands(program: Command): void {
  program
    .command("tokenize")
    .description("show the tokens of a text: pieces, ids, counts")
    .argument("[text]", "the text (or use --data)")
    .option("--tokenizer <name>", "gpt2 | char | word | a tokenizer file (tokenizer.json, or a saved char/word tokenizer)", "gpt2")
    .option("--data <file>", "read the text from this file")
    .addOption(replaceInvalidUtf8Option())
    .option("--corpus <path>", "for char/word: build the vocabulary from this file (default: the text itself)")
    .option("--no-special", "encode special tokens such as <|endoftext|> as plain text")
    .option("--json", "print JSON: the ids and each token's piece and span")
    .option("--plot <file.html>", "write a histogram of token lengths")
    .option("--overwrite", "replace --plot if it exists")
    .action((text: string | undefined, opts: Record<string, string | boolean>) => tokenizeCommand(text, opts));

  const bpe = program.command("bpe").description("byte-level BPE tokenizers");
  bpe
    .command("train")
    .description("train a byte-level BPE tokenizer and save it as a Hugging Face tokenizer.json")
    .requiredOption("--data <files...>", "training text file(s)")
    .addOption(replaceInvalidUtf8Option())
    .option("--vocab-size <n>", "final vocabulary size (special tokens + 256 bytes + merges)", "2000")
    .option("--min-frequency <n>", "stop when the best pair occurs fewer times", "2")
    .option("--special <tokens>", "comma-separated special tokens (ids 0, 1, ...)", "<|endoftext|>")
    .option("--out <file>", "where to write tokenizer.json", defaultOut("tokenizer.json"))
    .option("--show-merges", "print every merge as it is learned")
    .option("--plot <file.html>", "HTML page with token-length histograms (default: next to --out)")
    .option("--overwrite", "replace --out / --plot if they exist")
    .action((opts: Record<string, string | string[] | boolean>) => bpeTrainCommand(opts));
}

// ----------------------------------------------------------------------------------------------

async function tokenizeCommand(arg: string | undefined, o: Record<string, string | boolean>): Promise<void> {
  if (o.data !== undefined && arg !== undefined) throw new Error("give either a text or --data, not both");
  const plot = typeof o.plot === "string" ? outputFile(o.plot, o.overwrite === true, "--plot") : undefined;
  const text = typeof o.data === "string" ? await readTextFlag("--data", o.data, o.replaceInvalidUtf8 === true) : arg;
  if (text === undefined) throw new Error("nothing to tokenize: give a text or --data <file>");
  const tok = await pickTokenizer(String(o.tokenizer ?? "gpt2"), text, typeof o.corpus === "string" ? o.corpus : undefined);
  const spans = tok instanceof BpeTokenizer || tok instanceof SentencePieceBpeTokenizer ? tok.encodeWithOffsets(text, { allowedSpecial: o.special === false ? "none" : "all" }) : encodeSpans(tok, text);
  if (o.json) {
    console.log(JSON.stringify({ tokenizer: tok.kind, vocabSize: tok.vocabSize, count: spans.length, ids: spans.map((s) => s.id), tokens: spans }));
  } else {
    console.log(`${tok.kind} (vocabulary ${tok.vocabSize}): ${spans.length} tokens for ${[...text].length} characters`);
    if (process.stdout.isTTY && !process.env.NO_COLOR) {
      console.log(colourPieces(text, spans));
      console.log(`ids: ${spans.map((s) => s.id).join(" ")}`);
    } else {
      for (const s of spans) console.log(`${String(s.id).padStart(7)}  ${showPiece(tok, s)}`);
    }
  }
  if (plot !== undefined) {
    const out = plot;
    await writePlot(out, tokenLengthsPage(tok.kind, spans.map((s) => [...s.token].length)));
    console.error(`wrote ${out}`);
  }
}

async function pickTokenizer(name: string, text: string, corpusPath: string | undefined): Promise<Tokenizer> {
  if (name === "gpt2") return gpt2Tokenizer();
  if (name === "char" || name === "word") {
    const corpus = corpusPath === undefined ? text : await readTextFlag("--corpus", corpusPath);
    return name === "char" ? CharTokenizer.fromText(corpus, { unk: true }) : WordTokenizer.fromText(corpus);
  }
  if (!existsSync(name)) throw new Error(`--tokenizer must be gpt2, char, word or a tokenizer.json file; "${name}" is none of these`);
  return loadTokenizerFile(name);
}

function encodeSpans(tok: Tokenizer, text: string): TokenSpan[] {
  if (tok.encodeWithOffsets) return tok.encodeWithOffsets(text);
  return tok.encode(text).map((id) => ({ id, token: tok.idToToken(id), start: 0, end: 0 }));
}

/** A token's piece for a listing; a byte-level token holding part of a character (which would
 * show as "�") is shown as its bytes instead, e.g. <F0 9F>; a byte-fallback token as written, <0xF0>. */
function showPiece(tok: Tokenizer, s: TokenSpan): string {
  if (tok instanceof SentencePieceBpeTokenizer && s.token.includes("\uFFFD")) return `${JSON.stringify(s.token)}  ${tok.idToRawToken(s.id)}`;
  if (tok instanceof BpeTokenizer && s.token.includes("\uFFFD")) {
    const bytes = tok.idToBytes(s.id);
    try {
      new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
      return `${JSON.stringify(s.token)}  <${[...bytes].map((b) => b.toString(16).toUpperCase().padStart(2, "0")).join(" ")}>`;
    }
  }
  return JSON.stringify(s.token);
}

/** The text with each token on a coloured background. A character split over several byte-level
 * tokens is shown once, with the first token's colour. */
function colourPieces(text: string, spans: readonly TokenSpan[]): string {
  const backgrounds = [44, 42, 43, 45, 46, 41]; // blue, green, yellow, magenta, cyan, red
  let out = "";
  let shown = 0;
  spans.forEach((s, i) => {
    const piece = text.slice(Math.max(s.start, shown), s.end).replace(/\n/g, "↵\n");
    shown = Math.max(shown, s.end);
    if (piece) out += `\x1b[30;${backgrounds[i % backgrounds.length]}m${piece}\x1b[0m`;
  });
  return out;
}

// ----------------------------------------------------------------------------------------------

async function bpeTrainCommand(o: Record<string, string | string[] | boolean>): Promise<void> {
  const flags = o as Record<string, string>;
  const vocabSize = intOption(flags, "vocabSize", 2000);
  const minFrequency = intOption(flags, "minFrequency", 2);
  const specialTokens = String(o.special ?? "").split(",").filter((s) => s.length > 0);
  const smallest = 256 + specialTokens.length + 1;
  if (vocabSize < smallest) throw new Error(`--vocab-size: expected at least ${smallest} (256 byte tokens + ${specialTokens.length} special + 1 merge), got ${vocabSize}`);
  const overwrite = o.overwrite === true;
  const out = outputFile(String(o.out ?? defaultOut("tokenizer.json")), overwrite);
  const plotPath = outputFile(typeof o.plot === "string" ? o.plot : out.replace(/(\.json)?$/i, ".html"), overwrite, "--plot");
  const inputs = Array.isArray(o.data) ? o.data : [String(o.data)];
  const texts = await Promise.all(inputs.map((p) => readTextFlag("--data", p, o.replaceInvalidUtf8 === true)));
  const bytes = texts.reduce((n, t) => n + Buffer.byteLength(t), 0);
  if (bytes === 0) throw new Error(`--data: ${inputs.join(", ")} ${inputs.length > 1 ? "hold" : "holds"} no text to learn merges from`);

  const totalMerges = vocabSize - specialTokens.length - 256;
  const bar = o.showMerges ? null : progress("bpe", Math.max(1, totalMerges));
  const counts: number[] = [];
  const started = performance.now();
  const tok = trainBpe(texts, {
    vocabSize,
    minFrequency,
    specialTokens,
    onMerge: (m: LearnedMerge, rank: number) => {
      counts.push(m.count);
      if (o.showMerges) console.log(`${String(rank).padStart(6)}  ${JSON.stringify(m.left)} + ${JSON.stringify(m.right)} → ${JSON.stringify(m.text)}  (id ${m.id}, ${m.count}×)`);
      else bar!.update(rank + 1, { count: m.count });
    },
  });
  bar?.stop();
  const seconds = (performance.now() - started) / 1000;
  await saveTokenizerFile(out, tok);
  const ids = texts.flatMap((t) => tok.encode(t, { allowedSpecial: "none" }));
  console.log(`learned ${tok.merges.length} merges (vocabulary ${tok.vocabSize}) from ${(bytes / 1e6).toFixed(2)} MB in ${seconds.toFixed(2)} s; the corpus is ${ids.length} tokens (${(bytes / ids.length).toFixed(2)} bytes per token)`);
  if (tok.merges.length < totalMerges) console.log(`stopped early: no pair occurs ${minFrequency} times or more`);
  console.log(`wrote ${out}`);

  const vocabLengths: number[] = [];
  for (let id = specialTokens.length; id < tok.vocabSize; id++) vocabLengths.push(tok.idToBytes(id).length);
  const usedLengths = ids.map((id) => tok.idToBytes(id).length);
  await writePlot(plotPath, bpePage({ vocabSize: tok.vocabSize, vocabLengths, usedLengths, mergeCounts: counts, bytes }));
  console.log(`wrote ${plotPath}`);
}
