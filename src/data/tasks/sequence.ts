// Copy, reverse and sort: a random sequence of symbols, then its transform. The classic first
// algorithmic tasks for a transformer (copying needs attention to an offset position, reversing
// to a mirrored one, sorting to "the smallest symbol not yet written").
//
// Format: ids 0..nSymbols-1 are the symbols "0", "1", …, then <bos> <sep> <eos> <pad>.
// Sort with nSymbols = 10, length 4:
//   prompt <bos> 3 1 4 1 <sep>   answer 1 1 3 4 <eos>
// The answer ends with <eos> so a model also learns where to stop when lengths vary.
import { Generator } from "../../tensor/index.js";
import { type SplitOptions, type Task, type TaskExample, checkCount, checkInt, exactMatch, makeExample, makeVocab, sampledSplit } from "./common.js";

export type SequenceKind = "copy" | "reverse" | "sort";

export interface SequenceOptions {
  /** Alphabet size (default 10). */
  nSymbols?: number;
  /** Sequence length range, inclusive (default 5..10). */
  minLength?: number;
  maxLength?: number;
}

export interface SequenceExample extends TaskExample {
  /** The input symbols (ids), without <bos>/<sep>. */
  readonly input: readonly number[];
}

function transform(kind: SequenceKind, s: readonly number[]): number[] {
  if (kind === "copy") return [...s];
  if (kind === "reverse") return [...s].reverse();
  return [...s].sort((a, b) => a - b);
}

export function sequenceTask(kind: SequenceKind, opts: SequenceOptions = {}): Task<SequenceExample> & { readonly kind: SequenceKind } {
  const where = `${kind}Task`;
  if (kind !== "copy" && kind !== "reverse" && kind !== "sort") throw new Error(`sequenceTask: kind must be copy, reverse or sort, got ${String(kind)}`);
  const nSymbols = opts.nSymbols ?? 10;
  const minLength = opts.minLength ?? 5;
  const maxLength = opts.maxLength ?? Math.max(10, minLength);
  checkInt(nSymbols, "nSymbols", 1, 65536, where);
  checkInt(minLength, "minLength", 1, 4096, where);
  checkInt(maxLength, "maxLength", minLength, 4096, where);

  const { vocab, id } = makeVocab([...Array.from({ length: nSymbols }, (_, i) => String(i)), "<bos>", "<sep>", "<eos>", "<pad>"]);
  const [bos, sep, eos, pad] = [id("<bos>"), id("<sep>"), id("<eos>"), id("<pad>")];

  const sample = (gen: Generator): SequenceExample => {
    const n = gen.randint(minLength, maxLength + 1);
    const input = Array.from({ length: n }, () => gen.randint(0, nSymbols));
    return makeExample([bos, ...input, sep], [...transform(kind, input), eos], { input });
  };

  return {
    name: kind,
    kind,
    vocab,
    padId: pad,
    maxLength: 2 * maxLength + 3,
    generate(n: number, seed: number): SequenceExample[] {
      checkCount(n, `${where}.generate`);
      const gen = new Generator(seed);
      return Array.from({ length: n }, () => sample(gen));
    },
    split: (s: SplitOptions = {}) => sampledSplit(sample, (e) => e.input.join(","), s, where),
    evaluate: (predicted, ex) => exactMatch(predicted, ex.answer),
  };
}

export const copyTask = (opts?: SequenceOptions): Task<SequenceExample> => sequenceTask("copy", opts);
export const reverseTask = (opts?: SequenceOptions): Task<SequenceExample> => sequenceTask("reverse", opts);
export const sortTask = (opts?: SequenceOptions): Task<SequenceExample> => sequenceTask("sort", opts);
