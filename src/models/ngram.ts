// Count-based n-gram language models over token ids from any tokenizer.
//
// An n-gram model is an order-(n−1) Markov chain: P(x_t | x_<t) ≈ P(x_t | x_{t−n+1..t−1}).
// Training is counting; the only subtle part is what to do with counts of zero.
//   "addk":  P(w | h) = (c(h, w) + k) / (c(h) + k·V). k = 0 is maximum likelihood.
//   "absolute": interpolated absolute discounting. Take D from every seen count and give the
//     freed mass, γ(h) = D · N₁₊(h •) / c(h), to the next-shorter context:
//       P(w | h) = max(c(h, w) − D, 0) / c(h) + γ(h) · P(w | h′),   h′ = h without its oldest token
//     down to the uniform 1/V. Each level is normalised, so the mixture is.
//   "kneser-ney": the same, but lower orders count *continuations*: in place of c(h′, w), the number
//     of distinct tokens seen before (h′, w) (Kneser & Ney 1995; Chen & Goodman 1998, "interpolated KN").
// The first n−1 tokens of a sequence have shorter contexts; they are predicted from the longest
// context available, with raw counts at that top level.
import type { Generator } from "../tensor/random.js";
import { ContextCodec, CountTable, continuationTable, estimateDiscount, type ContextKey, type CountRow } from "./ngram-counts.js";

export type Smoothing =
  | { kind: "addk"; k: number }
  | { kind: "absolute"; discount?: number }
  | { kind: "kneser-ney"; discount?: number };

export interface NgramOptions {
  /** Order: 1 = unigram, 2 = bigram (a Markov chain), 3 = trigram, … */
  n: number;
  vocabSize: number;
  /** Default: interpolated Kneser–Ney with discounts estimated from the counts. */
  smoothing?: Smoothing;
}

export interface Evaluation {
  tokens: number;
  /** Mean negative log-likelihood, nats per token (a cross-entropy). */
  nll: number;
  bitsPerToken: number;
  /** exp(nll): the effective number of equally likely choices per token. */
  perplexity: number;
}

export interface SampleOptions {
  /** Number of tokens to generate. */
  length: number;
  /** Ids the sample continues (not included in the result). */
  prompt?: readonly number[];
  generator: Generator;
  /** Divides log-probabilities: < 1 sharper, > 1 flatter, 0 = always the most likely token. */
  temperature?: number;
  /** Sample only among the k most likely tokens. */
  topK?: number;
}

/** Per level, the table and discount to use: raw counts at the top, continuation counts below (KN). */
interface Level {
  raw: CountTable;
  rawDiscount: number;
  lower: CountTable;
  lowerDiscount: number;
}

export const MAX_ORDER = 12;

export class NgramModel {
  readonly n: number;
  readonly vocabSize: number;
  /** tables[L]: counts of (L+1)-grams, i.e. contexts of L tokens → next-token counts. */
  readonly tables: CountTable[];
  readonly codec: ContextCodec;
  /** Training tokens and sequences counted so far. */
  tokens = 0;
  sequences = 0;
  private smoothingValue: Smoothing;
  private levels: Level[] | null = null;

  constructor(opts: NgramOptions) {
    const { n, vocabSize } = opts;
    if (!Number.isInteger(n) || n < 1 || n > MAX_ORDER) throw new Error(`NgramModel: n must be an integer in [1, ${MAX_ORDER}], got ${n}`);
    if (!Number.isInteger(vocabSize) || vocabSize < 1 || vocabSize > 2 ** 31 - 1) throw new Error(`NgramModel: vocabSize must be a positive integer, got ${vocabSize}`);
    this.n = n;
    this.vocabSize = vocabSize;
    this.tables = Array.from({ length: n }, () => new CountTable());
    this.codec = new ContextCodec(vocabSize, n - 1);
    this.smoothingValue = checkSmoothing(opts.smoothing ?? { kind: "kneser-ney" });
  }

  get smoothing(): Smoothing {
    return this.smoothingValue;
  }

  /** Changes the smoothing; the counts stay, so no retraining is needed. */
  set smoothing(s: Smoothing) {
    this.smoothingValue = checkSmoothing(s);
    this.levels = null;
  }

  /**
   * Counts every m-gram (m = 1..n) in one sequence of ids. Call once per document: no n-gram
   * spans two calls. onProgress(done, total) is called every 65536 tokens.
   */
  add(ids: ArrayLike<number>, onProgress?: (done: number, total: number) => void): this {
    const V = this.vocabSize;
    for (let t = 0; t < ids.length; t++) {
      const id = ids[t];
      if (!Number.isInteger(id) || id < 0 || id >= V) throw new Error(`NgramModel.add: token ${t} is ${id}, not an id in [0, ${V})`);
    }
    const { codec, tables } = this;
    for (let t = 0; t < ids.length; t++) {
      const w = ids[t];
      let key: ContextKey = codec.empty;
      tables[0].add(key, w);
      const maxL = Math.min(this.n - 1, t);
      for (let L = 1; L <= maxL; L++) {
        key = codec.prepend(ids[t - L], key, L - 1);
        tables[L].add(key, w);
      }
      if (onProgress && (t + 1) % 65536 === 0) onProgress(t + 1, ids.length);
    }
    onProgress?.(ids.length, ids.length);
    this.tokens += ids.length;
    this.sequences++;
    this.levels = null;
    return this;
  }

  /** c(context, w): how often w followed the last min(n−1, |context|) tokens of context. */
  count(context: readonly number[], w: number): number {
    return this.row(context)?.next.get(w) ?? 0;
  }

  /** The next-token counts after a context (its last min(n−1, |context|) tokens), if seen. */
  row(context: readonly number[]): CountRow | undefined {
    const keys = this.keys(context);
    return this.tables[keys.length - 1].rows.get(keys[keys.length - 1]);
  }

  /** The discounts in use per context length L (absolute / Kneser–Ney; 0 for add-k). */
  discounts(): { raw: number[]; lower: number[] } {
    const levels = this.prepare();
    return { raw: levels.map((l) => l.rawDiscount), lower: levels.map((l) => l.lowerDiscount) };
  }

  /** P(w | context), using the last n−1 tokens of context (fewer at the start of a text). */
  prob(context: readonly number[], w: number): number {
    this.checkId(w, "prob");
    const keys = this.keys(context);
    const s = this.smoothingValue;
    if (s.kind === "addk") {
      const row = this.tables[keys.length - 1].rows.get(keys[keys.length - 1]);
      if (row === undefined) return 1 / this.vocabSize;
      return ((row.next.get(w) ?? 0) + s.k) / (row.total + s.k * this.vocabSize);
    }
    const levels = this.prepare();
    let p = 1 / this.vocabSize; // order 0: uniform
    for (let L = 0; L < keys.length; L++) {
      const top = L === keys.length - 1;
      const table = top ? levels[L].raw : levels[L].lower;
      const D = top ? levels[L].rawDiscount : levels[L].lowerDiscount;
      const row = table.rows.get(keys[L]);
      if (row === undefined) continue; // unseen context: all its mass goes to the shorter one
      const c = row.next.get(w) ?? 0;
      p = Math.max(c - D, 0) / row.total + ((D * row.next.size) / row.total) * p;
    }
    return p;
  }

  logProb(context: readonly number[], w: number): number {
    return Math.log(this.prob(context, w));
  }

  /** The whole next-token distribution after a context, a Float64Array of vocabSize entries. */
  distribution(context: readonly number[]): Float64Array {
    const keys = this.keys(context);
    const V = this.vocabSize;
    const s = this.smoothingValue;
    const p = new Float64Array(V);
    if (s.kind === "addk") {
      const row = this.tables[keys.length - 1].rows.get(keys[keys.length - 1]);
      if (row === undefined) return p.fill(1 / V);
      const z = row.total + s.k * V;
      p.fill(s.k / z);
      for (const [w, c] of row.next) p[w] += c / z;
      return p;
    }
    const levels = this.prepare();
    p.fill(1 / V);
    for (let L = 0; L < keys.length; L++) {
      const top = L === keys.length - 1;
      const row = (top ? levels[L].raw : levels[L].lower).rows.get(keys[L]);
      if (row === undefined) continue;
      const D = top ? levels[L].rawDiscount : levels[L].lowerDiscount;
      const gamma = (D * row.next.size) / row.total;
      for (let w = 0; w < V; w++) p[w] *= gamma;
      for (const [w, c] of row.next) p[w] += Math.max(c - D, 0) / row.total;
    }
    return p;
  }

  /**
   * Cross-entropy and perplexity on held-out ids (one sequence: contexts start empty).
   * onProgress(done, total) is called every 65536 tokens.
   */
  evaluate(ids: ArrayLike<number>, onProgress?: (done: number, total: number) => void): Evaluation {
    if (ids.length === 0) throw new Error("NgramModel.evaluate: no tokens to evaluate");
    const context: number[] = [];
    let nll = 0;
    for (let t = 0; t < ids.length; t++) {
      const w = ids[t];
      this.checkId(w, `evaluate (token ${t})`);
      nll -= this.logProb(context, w);
      context.push(w);
      if (context.length > this.n - 1) context.shift();
      if (onProgress && (t + 1) % 65536 === 0) onProgress(t + 1, ids.length);
    }
    onProgress?.(ids.length, ids.length);
    nll /= ids.length;
    return { tokens: ids.length, nll, bitsPerToken: nll / Math.LN2, perplexity: Math.exp(nll) };
  }

  perplexity(ids: ArrayLike<number>): number {
    return this.evaluate(ids).perplexity;
  }

  /** Generates ids one at a time from the model's next-token distribution. */
  sample(opts: SampleOptions): number[] {
    const { length, prompt = [], generator, temperature = 1, topK } = opts;
    if (!Number.isInteger(length) || length < 0) throw new Error(`NgramModel.sample: length must be a non-negative integer, got ${length}`);
    if (!(temperature >= 0) || !Number.isFinite(temperature)) throw new Error(`NgramModel.sample: temperature must be a finite number ≥ 0, got ${temperature}`);
    if (topK !== undefined && (!Number.isInteger(topK) || topK < 1)) throw new Error(`NgramModel.sample: topK must be a positive integer, got ${topK}`);
    prompt.forEach((id, i) => this.checkId(id, `sample (prompt token ${i})`));
    const context = this.n === 1 ? [] : prompt.slice(-(this.n - 1));
    const out: number[] = [];
    for (let t = 0; t < length; t++) {
      const w = sampleFrom(this.distribution(context), generator, temperature, topK);
      out.push(w);
      context.push(w);
      if (context.length > this.n - 1) context.shift();
    }
    return out;
  }

  /** Builds (once per change of counts or smoothing) the per-level tables and discounts. */
  private prepare(): Level[] {
    if (this.levels) return this.levels;
    const s = this.smoothingValue;
    const levels: Level[] = [];
    for (let L = 0; L < this.n; L++) {
      const raw = this.tables[L];
      // KN's continuation counts for L-token contexts come from the (L+2)-grams; the top order has none
      const lower = s.kind === "kneser-ney" && L < this.n - 1 ? continuationTable(this.tables[L + 1], this.codec, L + 1) : raw;
      const fixed = s.kind === "addk" ? 0 : s.discount;
      levels.push({
        raw,
        rawDiscount: fixed ?? estimateDiscount(raw),
        lower,
        lowerDiscount: fixed ?? (lower === raw ? estimateDiscount(raw) : estimateDiscount(lower)),
      });
    }
    this.levels = levels;
    return levels;
  }

  /** Keys of the context's last 0..n−1 tokens; those tokens must be ids (a stray 70 in a V = 65
   *  model would otherwise pack into the key of some other context). */
  private keys(context: readonly number[]): ContextKey[] {
    for (let i = Math.max(0, context.length - (this.n - 1)); i < context.length; i++) this.checkId(context[i], `context (token ${i})`);
    return this.codec.keysOf(context);
  }

  private checkId(id: number, where: string): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) throw new Error(`NgramModel.${where}: ${id} is not a token id in [0, ${this.vocabSize})`);
  }
}

function checkSmoothing(s: unknown): Smoothing {
  if (typeof s !== "object" || s === null) throw new Error(`NgramModel: smoothing must be an object like { kind: "kneser-ney" }, got ${JSON.stringify(s)}`);
  const o = s as Record<string, unknown>;
  if (o.kind === "addk") {
    if (typeof o.k !== "number" || !Number.isFinite(o.k) || o.k < 0) throw new Error(`NgramModel: add-k smoothing needs a finite k ≥ 0, got ${JSON.stringify(o.k)}`);
    return { kind: "addk", k: o.k };
  }
  if (o.kind === "absolute" || o.kind === "kneser-ney") {
    if (o.discount !== undefined && (typeof o.discount !== "number" || !(o.discount > 0 && o.discount <= 1))) {
      throw new Error(`NgramModel: ${o.kind} discount must be a number in (0, 1], got ${JSON.stringify(o.discount)}`);
    }
    return o.discount === undefined ? { kind: o.kind } : { kind: o.kind, discount: o.discount };
  }
  throw new Error(`NgramModel: unknown smoothing kind ${JSON.stringify(o.kind)}; use "addk", "absolute" or "kneser-ney"`);
}

/**
 * Draws an index from a probability vector, after temperature and top-k. Temperature T turns p
 * into p^(1/T) (logits divided by T), renormalised; T = 0 is argmax.
 */
export function sampleFrom(p: Float64Array, generator: Generator, temperature = 1, topK?: number): number {
  const V = p.length;
  let candidates: number[] | null = null;
  if (topK !== undefined && topK < V) candidates = topIndices(p, topK);
  if (temperature === 0) {
    let best = -1;
    for (const i of candidates ?? range(V)) if (best < 0 || p[i] > p[best]) best = i;
    return best;
  }
  const idx = candidates ?? range(V);
  // work in log space so small temperatures do not underflow: weights exp((log p − max) / T)
  let maxLog = -Infinity;
  for (const i of idx) if (p[i] > 0) maxLog = Math.max(maxLog, Math.log(p[i]));
  const weights = idx.map((i) => (p[i] > 0 ? Math.exp((Math.log(p[i]) - maxLog) / temperature) : 0));
  let total = 0;
  for (const w of weights) total += w;
  if (!(total > 0)) throw new Error("sampleFrom: the distribution has no positive probability");
  let u = generator.random() * total;
  for (let t = 0; t < idx.length; t++) {
    u -= weights[t];
    if (u < 0) return idx[t];
  }
  // round-off left u ≥ 0: return the last candidate with positive weight
  for (let t = idx.length - 1; t >= 0; t--) if (weights[t] > 0) return idx[t];
  return idx[idx.length - 1];
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** Indices of the k largest entries, with a size-k min-heap: O(V log k), no full sort. */
function topIndices(p: Float64Array, k: number): number[] {
  const heap: number[] = [];
  const less = (a: number, b: number) => p[a] < p[b] || (p[a] === p[b] && a > b);
  const down = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && less(heap[l], heap[m])) m = l;
      if (r < heap.length && less(heap[r], heap[m])) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m], heap[i]];
      i = m;
    }
  };
  for (let i = 0; i < p.length; i++) {
    if (heap.length < k) {
      heap.push(i);
      for (let c = heap.length - 1; c > 0; ) {
        const parent = (c - 1) >> 1;
        if (!less(heap[c], heap[parent])) break;
        [heap[c], heap[parent]] = [heap[parent], heap[c]];
        c = parent;
      }
    } else if (less(heap[0], i)) {
      heap[0] = i;
      down(0);
    }
  }
  return heap.sort((a, b) => a - b);
}
