// Token windows fed through a model a few at a time (the evaluation and the feature pass share it).

/** Consecutive groups of `perForward` windows of `len` tokens, each as one flat (rows × len) id array. */
export function* windowChunks(rows: readonly Int32Array[], len: number, perForward: number): Generator<{ ids: Int32Array; count: number; first: number }> {
  for (let first = 0; first < rows.length; first += perForward) {
    const chunk = rows.slice(first, first + perForward);
    const ids = new Int32Array(chunk.length * len);
    chunk.forEach((r, i) => ids.set(r, i * len));
    yield { ids, count: chunk.length, first };
  }
}
