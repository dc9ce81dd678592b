// Sparse n-gram counts: for each context (the previous L tokens), a hash map from the next token
// to how often it followed. Only contexts and continuations that occur are stored, so memory grows
// with the corpus, never with vocabSize^n (GPT-2: 50257² ≈ 2.5e9 possible bigrams).

/** A context of L token ids packed into one hash-map key. */
export type ContextKey = number | string;

/** The continuations of one context: c(h, w) for every w seen after h, and c(h) = Σ_w c(h, w). */
export interface CountRow {
  total: number;
  next: Map<number, number>;
}

/**
 * Packs contexts into keys. When vocabSize^L fits in a double's 53-bit integer range, a context
 * (c₁, …, c_L) is the number Σ cᵢ · V^(L−i) (its digits in base V: fast Map keys); otherwise the
 * ids joined by commas. Either way dropping the oldest token (the "suffix" context one order
 * down, used by backoff) is cheap.
 */
export class ContextCodec {
  readonly numeric: boolean;
  /** V^L for L = 0..maxLen (numeric keys only). */
  private readonly powers: number[];

  constructor(
    readonly vocabSize: number,
    readonly maxLen: number,
  ) {
    this.numeric = maxLen * Math.log2(vocabSize) <= 53;
    this.powers = [1];
    for (let L = 1; L <= maxLen; L++) this.powers.push(this.powers[L - 1] * vocabSize);
  }

  /** The empty context. */
  get empty(): ContextKey {
    return this.numeric ? 0 : "";
  }

  /** The key of (token, ...rest) where `rest` has key restKey and length restLen. */
  prepend(token: number, restKey: ContextKey, restLen: number): ContextKey {
    if (this.numeric) return token * this.powers[restLen] + (restKey as number);
    return restLen === 0 ? String(token) : `${token},${restKey as string}`;
  }

  /** The key of the context with its oldest token removed. */
  suffix(key: ContextKey, len: number): ContextKey {
    if (len <= 1) return this.empty;
    if (this.numeric) return (key as number) % this.powers[len - 1];
    const s = key as string;
    return s.slice(s.indexOf(",") + 1);
  }

  /** The token ids of a key of length len, oldest first. */
  decode(key: ContextKey, len: number): number[] {
    if (len === 0) return [];
    if (!this.numeric) return (key as string).split(",").map(Number);
    const out = new Array<number>(len);
    let k = key as number;
    for (let i = len - 1; i >= 0; i--) {
      out[i] = k % this.vocabSize;
      k = Math.floor(k / this.vocabSize);
    }
    return out;
  }

  /** Keys of the last 0, 1, …, maxLen tokens of `context` (fewer if it is shorter). */
  keysOf(context: readonly number[]): ContextKey[] {
    const keys: ContextKey[] = [this.empty];
    const L = Math.min(this.maxLen, context.length);
    for (let l = 1; l <= L; l++) keys.push(this.prepend(context[context.length - l], keys[l - 1], l - 1));
    return keys;
  }
}

/** The counts of one order: context (length L) → next-token counts. */
export class CountTable {
  readonly rows = new Map<ContextKey, CountRow>();

  add(key: ContextKey, next: number, count = 1): void {
    let row = this.rows.get(key);
    if (row === undefined) {
      row = { total: 0, next: new Map() };
      this.rows.set(key, row);
    }
    row.total += count;
    row.next.set(next, (row.next.get(next) ?? 0) + count);
  }

  /** Number of distinct n-grams (context, next) stored. */
  get types(): number {
    let s = 0;
    for (const row of this.rows.values()) s += row.next.size;
    return s;
  }

  /** n_r = how many n-grams occur exactly r times, for r = 1 and 2 (for discount estimates). */
  countOfCounts(): { n1: number; n2: number } {
    let n1 = 0;
    let n2 = 0;
    for (const row of this.rows.values()) {
      for (const c of row.next.values()) {
        if (c === 1) n1++;
        else if (c === 2) n2++;
      }
    }
    return { n1, n2 };
  }
}

/**
 * Kneser–Ney continuation counts one order down: N₁₊(• h w) = the number of distinct tokens v
 * that preceded the n-gram (h, w). "San Francisco" is frequent, but "Francisco" follows almost
 * nothing else, so it should get little probability as a *novel* continuation.
 */
export function continuationTable(higher: CountTable, codec: ContextCodec, higherLen: number): CountTable {
  const out = new CountTable();
  for (const [key, row] of higher.rows) {
    const shorter = codec.suffix(key, higherLen);
    for (const w of row.next.keys()) out.add(shorter, w, 1);
  }
  return out;
}

/**
 * The absolute discount D = n₁ / (n₁ + 2 n₂) (Ney, Essen & Kneser 1994): the expected count lost
 * by an n-gram seen once, estimated from how many are seen once and twice. Falls back to 0.5
 * when the table is too small to estimate it.
 */
export function estimateDiscount(table: CountTable): number {
  const { n1, n2 } = table.countOfCounts();
  if (n1 === 0 || n2 === 0) return 0.5;
  return n1 / (n1 + 2 * n2);
}
