// Multi-digit addition, the length-generalisation task of McLeish et al. 2024 ("Transformers Can
// Do Arithmetic with the Right Embeddings"): train on operands of up to maxDigits digits, test on
// longer ones. Every number is written least-significant digit first ("reversed"), so the model
// emits the sum in the order the carries flow: the k-th answer digit depends only on the k-th
// operand digits and the carry from digit k − 1.
//
// Format: ids 0..9 are the digits (so the digit ids are the first ten, which abacus positions
// need to know), then "+", "=", <eos>, <pad>. 123 + 4567 = 4690:
//   prompt 3 2 1 + 7 6 5 4 =   answer 0 9 6 4 <eos>
// The answer ends with <eos> because its length (max(i, j) or max(i, j) + 1 digits) varies.
// Numbers are digit arrays, never JS numbers, so 100-digit operands are exact.
import { Generator } from "../../tensor/index.js";
import { type SplitOptions, type Task, type TaskExample, checkCount, checkInt, exactMatch, makeExample, makeVocab, sampledSplit } from "./common.js";

export interface AdditionOptions {
  /** Shortest operand in digits (default 1). */
  minDigits?: number;
  /** Longest operand in digits (default 5): the training range is [minDigits, maxDigits]. */
  maxDigits?: number;
}

export interface AdditionExample extends TaskExample {
  /** The operands and their sum as decimal strings, most significant digit first ("123"). */
  readonly a: string;
  readonly b: string;
  readonly sum: string;
}

/** Digit ids of the addition vocabulary: "0".."9" are ids 0..9. */
export const ADDITION_DIGIT_IDS: readonly number[] = Array.from({ length: 10 }, (_, i) => i);

/** a + b for decimal digit strings of any length ("999" + "1" = "1000"), by schoolbook carrying. */
export function addDecimal(a: string, b: string): string {
  if (!/^\d+$/.test(a) || !/^\d+$/.test(b)) throw new Error(`addDecimal: operands must be digit strings, got "${a}" and "${b}"`);
  const out: number[] = [];
  let carry = 0;
  for (let k = 0; k < Math.max(a.length, b.length) || carry; k++) {
    const s = Number(a[a.length - 1 - k] ?? 0) + Number(b[b.length - 1 - k] ?? 0) + carry;
    out.push(s % 10);
    carry = s >= 10 ? 1 : 0;
  }
  return out.reverse().join("").replace(/^0+(?=\d)/, "");
}

/** A random number of exactly n digits (no leading zero unless n = 1), as a string. */
export function randomDigits(n: number, gen: Generator): string {
  let s = String(n === 1 ? gen.randint(0, 10) : gen.randint(1, 10));
  for (let k = 1; k < n; k++) s += String(gen.randint(0, 10));
  return s;
}

export function additionTask(opts: AdditionOptions = {}): Task<AdditionExample> & {
  readonly minDigits: number;
  readonly maxDigits: number;
  /** The example for a + b (decimal strings, any length: also longer than maxDigits). */
  example(a: string, b: string): AdditionExample;
  /** n examples whose operands have exactly i and j digits, reproducible from seed (the test grid). */
  examplesOfLength(i: number, j: number, n: number, seed: number): AdditionExample[];
  /** Tokens of an example with operands of up to d digits: for a model's n_ctx. */
  lengthFor(d: number): number;
} {
  const where = "additionTask";
  const minDigits = opts.minDigits ?? 1;
  const maxDigits = opts.maxDigits ?? 5;
  checkInt(minDigits, "minDigits", 1, 1000, where);
  checkInt(maxDigits, "maxDigits", minDigits, 1000, where);

  const { vocab, id } = makeVocab(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "+", "=", "<eos>", "<pad>"]);
  const [plus, eq, eos, pad] = [id("+"), id("="), id("<eos>"), id("<pad>")];
  // least-significant digit first: "123" → [3, 2, 1]
  const reversedIds = (s: string) => [...s].reverse().map(Number);

  const example = (a: string, b: string): AdditionExample => {
    const sum = addDecimal(a, b);
    return makeExample([...reversedIds(a), plus, ...reversedIds(b), eq], [...reversedIds(sum), eos], { a, b, sum });
  };
  // both operand lengths uniform in [minDigits, maxDigits], independently (the paper's balanced sampling)
  const sample = (gen: Generator): AdditionExample => {
    const i = gen.randint(minDigits, maxDigits + 1);
    const j = gen.randint(minDigits, maxDigits + 1);
    return example(randomDigits(i, gen), randomDigits(j, gen));
  };
  // i + j operand digits, "+", "=", up to max(i, j) + 1 answer digits, <eos>
  const lengthFor = (d: number) => 3 * d + 4;

  return {
    name: "addition",
    minDigits,
    maxDigits,
    vocab,
    padId: pad,
    maxLength: lengthFor(maxDigits),
    lengthFor,
    example,
    generate(n: number, seed: number): AdditionExample[] {
      checkCount(n, `${where}.generate`);
      const gen = new Generator(seed);
      return Array.from({ length: n }, () => sample(gen));
    },
    examplesOfLength(i: number, j: number, n: number, seed: number): AdditionExample[] {
      checkInt(i, "i", 1, 100000, `${where}.examplesOfLength`);
      checkInt(j, "j", 1, 100000, `${where}.examplesOfLength`);
      checkCount(n, `${where}.examplesOfLength`);
      const gen = new Generator(seed);
      return Array.from({ length: n }, () => example(randomDigits(i, gen), randomDigits(j, gen)));
    },
    split: (s: SplitOptions = {}) => sampledSplit(sample, (e) => `${e.a}+${e.b}`, s, where),
    evaluate: (predicted, ex) => exactMatch(predicted, ex.answer),
  };
}
