// Applying learned BPE merges to one pre-tokenized word: the heart of BPE encoding.
//
// Training produced an ordered list of merges, e.g. rank 0: ("Ġ", "t") → "Ġt", rank 1: ("Ġ", "a")
// → "Ġa", rank 2: ("h", "e") → "he", ... To encode a word, start from its single bytes and keep
// merging the adjacent pair with the LOWEST rank (the merge learned earliest), until no adjacent
// pair is in the list. Replaying merges in training order this way reproduces the segmentation
// training would have given the word. Ties (the same pair twice) go to the leftmost one.

/** The merge list as lookup tables over token ids. */
export class MergeTable {
  /** pair key (see key()) → rank */
  readonly ranks = new Map<number, number>();
  /** rank → id of the merged token */
  readonly results: number[] = [];
  /** Ids are < idBound; pair keys are left * idBound + right, exact as long as idBound² < 2⁵³. */
  constructor(readonly idBound: number) {}

  key(left: number, right: number): number {
    return left * this.idBound + right;
  }

  /** Appends a merge (left, right) → merged with the next rank; a repeated pair keeps its first rank. */
  add(left: number, right: number, merged: number): void {
    const k = this.key(left, right);
    if (this.ranks.has(k)) return;
    this.ranks.set(k, this.results.length);
    this.results.push(merged);
  }

  get size(): number {
    return this.results.length;
  }
}

/**
 * The textbook algorithm: scan all adjacent pairs, merge the best one, repeat. O(n²) in the word's
 * length, and the fastest choice for ordinary words (a dozen bytes). Mutates and returns `ids`.
 */
export function mergeSimple(ids: number[], table: MergeTable): number[] {
  const { ranks, results, idBound } = table;
  while (ids.length > 1) {
    let best = -1;
    let bestRank = Infinity;
    for (let i = 0; i + 1 < ids.length; i++) {
      const r = ranks.get(ids[i]! * idBound + ids[i + 1]!);
      if (r !== undefined && r < bestRank) {
        bestRank = r;
        best = i;
      }
    }
    if (best < 0) break;
    ids[best] = results[bestRank]!;
    ids.splice(best + 1, 1);
  }
  return ids;
}

/**
 * The same result in O(n log n), for long words (a 100 kB run of digits or of one letter would
 * take the simple loop minutes). Symbols form a linked list; a min-heap holds candidate pairs keyed
 * by (rank, position). A popped candidate is used only if the pair at that position still has
 * that rank: merges elsewhere may have consumed one of its symbols since it was pushed.
 */
export function mergeWithHeap(ids: number[], table: MergeTable): number[] {
  const n = ids.length;
  if (n < 2) return ids;
  const { ranks, results, idBound } = table;
  const sym = Int32Array.from(ids); // sym[i] = -1 once symbol i has been merged into its left neighbour
  const next = new Int32Array(n);
  const prev = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    next[i] = i + 1 < n ? i + 1 : -1;
    prev[i] = i - 1;
  }
  // Heap entries pack (rank, position) into one number: rank * n + position, smaller is better.
  const heap: number[] = [];
  const push = (x: number) => {
    let i = heap.push(x) - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (heap[p]! <= x) break;
      heap[i] = heap[p]!;
      i = p;
    }
    heap[i] = x;
  };
  const pop = (): number => {
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      let i = 0;
      for (;;) {
        let c = 2 * i + 1;
        if (c >= heap.length) break;
        if (c + 1 < heap.length && heap[c + 1]! < heap[c]!) c++;
        if (heap[c]! >= last) break;
        heap[i] = heap[c]!;
        i = c;
      }
      heap[i] = last;
    }
    return top;
  };
  const rankAt = (i: number): number | undefined => (i < 0 || next[i]! < 0 ? undefined : ranks.get(sym[i]! * idBound + sym[next[i]!]!));
  const consider = (i: number) => {
    const r = rankAt(i);
    if (r !== undefined) push(r * n + i);
  };
  for (let i = 0; i + 1 < n; i++) consider(i);
  while (heap.length > 0) {
    const entry = pop();
    const i = entry % n;
    const r = (entry - i) / n;
    if (sym[i]! < 0 || rankAt(i) !== r) continue; // stale
    const j = next[i]!;
    sym[i] = results[r]!;
    sym[j] = -1;
    next[i] = next[j]!;
    if (next[j]! >= 0) prev[next[j]!] = i;
    consider(prev[i]!);
    consider(i);
  }
  const out: number[] = [];
  for (let i = 0; i >= 0; i = next[i]!) out.push(sym[i]!);
  return out;
}

/** Merges a word's symbols, picking the algorithm by length. */
export function applyMerges(ids: number[], table: MergeTable): number[] {
  return ids.length <= 48 ? mergeSimple(ids, table) : mergeWithHeap(ids, table);
}
