// n-gram training and Markov-chain analysis throughput on tinyshakespeare (1.1 MB).
// Run: node --import tsx bench/ngram.ts
// Counting MB/s is over the bytes of text the ids came from (tokenization timed separately).
// Baseline in the same run: Python's collections.Counter over zip(ids, ids[1:]), if python3 exists.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { randomizedSvd } from "../src/linalg/svd.js";
import { markovChain, stationaryDistribution } from "../src/models/markov.js";
import { NgramModel } from "../src/models/ngram.js";
import { CharTokenizer, WordTokenizer, gpt2Tokenizer, type Tokenizer } from "../src/tokenizers/index.js";

const text = readFileSync(new URL("../../shared/data/tinyshakespeare.txt", import.meta.url), "utf8");
const MB = Buffer.byteLength(text) / 1e6;

/** Median wall time of `runs` calls, in seconds. */
function time(fn: () => unknown, runs = 5): number {
  const ts: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    ts.push((performance.now() - t0) / 1000);
  }
  return ts.sort((a, b) => a - b)[Math.floor(runs / 2)];
}

function pythonBigramSeconds(ids: number[]): number | null {
  const script = "import sys, json, time, collections\nids = json.load(sys.stdin)\nts = []\nfor _ in range(5):\n    t = time.perf_counter(); c = collections.Counter(zip(ids, ids[1:])); ts.append(time.perf_counter() - t)\nprint(sorted(ts)[2])";
  try {
    return Number(execFileSync(process.env.DGPT_PYTHON ?? "python3", ["-c", script], { input: JSON.stringify(ids), encoding: "utf8" }));
  } catch {
    return null;
  }
}

const rows: string[][] = [];
const row = (task: string, seconds: number, extra = "") => rows.push([task, (MB / seconds).toFixed(1), (seconds * 1000).toFixed(1), extra]);

const tokenizers: [string, () => Tokenizer][] = [
  ["word", () => WordTokenizer.fromText(text)],
  ["char", () => CharTokenizer.fromText(text)],
  ["gpt2", () => gpt2Tokenizer()],
];
for (const [name, make] of tokenizers) {
  const tok = make();
  const ids = tok.encode(text);
  row(`${name}: encode (${ids.length} tokens, V = ${tok.vocabSize})`, time(() => tok.encode(text), 3));
  for (const n of name === "word" ? [2, 3] : [2]) {
    const t = time(() => new NgramModel({ n, vocabSize: tok.vocabSize }).add(ids));
    row(`${name}: count ${n}-grams (train)`, t, `${(ids.length / t / 1e6).toFixed(1)} M tokens/s`);
  }
  if (name === "word") {
    const py = pythonBigramSeconds(ids);
    if (py !== null) row("word: bigrams with Python collections.Counter", py, "baseline");
  }
  const model = new NgramModel({ n: 2, vocabSize: tok.vocabSize }).add(ids);
  row(`${name}: bigram Kneser–Ney perplexity of the text`, time(() => model.evaluate(ids), 3));
  if (name !== "char") {
    const chain = markovChain(model);
    const tA = time(() => stationaryDistribution(chain.P, { method: "arnoldi" }), 3);
    const tP = time(() => stationaryDistribution(chain.P, { method: "power", lazy: true }), 3);
    const tS = time(() => randomizedSvd(chain.P, 50), 1);
    rows.push([`${name}: π by Arnoldi / power; top-50 SVD (${chain.states.length} states, ${chain.P.nnz} nnz)`, "", "", `${(tA * 1000).toFixed(0)} / ${(tP * 1000).toFixed(0)} / ${(tS * 1000).toFixed(0)} ms`]);
  }
}

const widths = [72, 8, 9, 28];
const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
console.log(`n-gram models on tinyshakespeare (${MB.toFixed(2)} MB), Node ${process.version}`);
console.log(line(["task", "MB/s", "ms", ""]));
for (const r of rows) console.log(line(r));
