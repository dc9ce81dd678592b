// Tokenizer throughput: GPT-2 encoding (ours vs js-tiktoken, same run, same text) and BPE training.
// Run: node --import tsx bench/tokenize.ts
import { readFileSync } from "node:fs";
import { getEncoding } from "js-tiktoken";
import { BpeTokenizer, gpt2Tokenizer, trainBpe } from "../src/tokenizers/index.js";

const text = readFileSync(new URL("../../shared/data/tinyshakespeare.txt", import.meta.url), "utf8");
const stories = readFileSync(new URL("../../shared/data/tinystories_10k.txt", import.meta.url), "utf8");
const mb = (s: string) => Buffer.byteLength(s) / 1e6;

/** Median wall time of `runs` calls, in seconds. */
function time(fn: () => unknown, runs = 3): number {
  const ts: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    ts.push((performance.now() - t0) / 1000);
  }
  return ts.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
}

const rows: Array<[string, string, string, string]> = [];
const row = (task: string, seconds: number, bytes: number, vs = "") => rows.push([task, (bytes / seconds).toFixed(2), (seconds * 1000).toFixed(0), vs]);

const tBuild = time(() => gpt2Tokenizer(), 1);
rows.push(["gpt2Tokenizer() first call (parse ranks, recover merges)", "", (tBuild * 1000).toFixed(0), ""]);
const gpt2 = gpt2Tokenizer();
const tiktoken = getEncoding("gpt2");

for (const [name, corpus] of [["tinyshakespeare", text], ["tinystories_10k", stories]] as const) {
  const ref = time(() => tiktoken.encode(corpus, "all"));
  const fresh = new BpeTokenizer(gpt2.model); // GPT-2 again, with an empty word cache
  const cold = time(() => fresh.encode(corpus), 1);
  const warm = time(() => gpt2.encode(corpus));
  row(`js-tiktoken gpt2 encode, ${name}`, ref, mb(corpus), "1.00×");
  row(`gpt2 encode, ${name}, empty word cache`, cold, mb(corpus), `${(ref / cold).toFixed(2)}×`);
  row(`gpt2 encode, ${name}, warm word cache`, warm, mb(corpus), `${(ref / warm).toFixed(2)}×`);
  const ids = gpt2.encode(corpus);
  const refDecode = time(() => tiktoken.decode(ids));
  const dec = time(() => gpt2.decode(ids));
  row(`gpt2 decode, ${name} (vs js-tiktoken decode)`, dec, mb(corpus), `${(refDecode / dec).toFixed(2)}×`);
}

for (const vocabSize of [2000, 5000]) {
  const t = time(() => trainBpe(text, { vocabSize }), 3);
  row(`trainBpe tinyshakespeare, vocab ${vocabSize}`, t, mb(text));
}
const t = time(() => trainBpe(stories, { vocabSize: 5000 }), 1);
row("trainBpe tinystories_10k, vocab 5000", t, mb(stories));

const widths = [58, 8, 8, 16];
const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
console.log(`tokenizers, Node ${process.version}`);
console.log(line(["task", "MB/s", "ms", "speed vs tiktoken"]));
for (const r of rows) console.log(line(r));
