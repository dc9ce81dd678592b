// Modular arithmetic, the grokking task (Power et al. 2022; Nanda et al. 2023): every pair (a, b)
// of residues mod p, a fraction of them for training, the rest held out.
//
// Format: ids 0..p-1 are the numbers themselves (so W_E[:p] is the number embedding), then the
// operation token, then "=".  With p = 7 and op "-":
//   prompt [3, "-", 5, "="]  answer [5]      (3 − 5 ≡ 5 mod 7)
//   tokens as ids: [3, 7, 5, 8, 5]
// With { opToken: false } the prompt is [a, b, "="] as in Nanda et al.'s p = 113 model.
import { Generator } from "../../tensor/index.js";
import { type SplitOptions, type Task, type TaskExample, checkCount, checkInt, exactMatch, makeExample, makeVocab, shuffleInPlace } from "./common.js";

export type ModOp = "+" | "-" | "*" | "/" | "x2+y2";

export interface ModularOptions {
  /** The modulus (default 113). Division needs a prime. */
  p?: number;
  op?: ModOp;
  /** Put the operation token between a and b (default true). */
  opToken?: boolean;
}

export interface ModularExample extends TaskExample {
  readonly a: number;
  readonly b: number;
  readonly c: number;
}

export function isPrime(n: number): boolean {
  if (n < 2) return false;
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;
  return true;
}

/** (x mod p) in [0, p), for negative x too. */
function mod(x: number, p: number): number {
  return ((x % p) + p) % p;
}

/** The inverse of b mod p by the extended Euclidean algorithm (b and p coprime). */
export function modInverse(b: number, p: number): number {
  let [r0, r1] = [mod(b, p), p];
  let [s0, s1] = [1, 0];
  while (r1 !== 0) {
    const q = Math.floor(r0 / r1);
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  if (r0 !== 1) throw new Error(`modInverse: ${b} has no inverse mod ${p}`);
  return mod(s0, p);
}

/** The answer of `a op b` mod p (exact in doubles while p² < 2^53). */
export function modApply(op: ModOp, a: number, b: number, p: number): number {
  switch (op) {
    case "+": return mod(a + b, p);
    case "-": return mod(a - b, p);
    case "*": return mod(a * b, p);
    case "/": return mod(a * modInverse(b, p), p);
    case "x2+y2": return mod(a * a + b * b, p);
  }
}

const OPS: readonly ModOp[] = ["+", "-", "*", "/", "x2+y2"];
const OP_TOKEN: Record<ModOp, string> = { "+": "+", "-": "-", "*": "*", "/": "/", "x2+y2": "x²+y²" };

export function modularArithmetic(opts: ModularOptions = {}): Task<ModularExample> & { readonly p: number; readonly op: ModOp } {
  const where = "modularArithmetic";
  const p = opts.p ?? 113;
  const op = opts.op ?? "+";
  const withOp = opts.opToken ?? true;
  checkInt(p, "p", 2, 1024, where); // split lists all p² pairs as example objects: keep that ~1M at most
  if (!OPS.includes(op)) throw new Error(`${where}: op must be one of ${OPS.join(", ")}, got ${String(op)}`);
  if (op === "/" && !isPrime(p)) throw new Error(`${where}: division needs a prime modulus (every b ≠ 0 invertible), got p = ${p}`);

  const { vocab, id } = makeVocab([...Array.from({ length: p }, (_, i) => String(i)), ...(withOp ? [OP_TOKEN[op]] : []), "="]);
  const opId = withOp ? id(OP_TOKEN[op]) : -1;
  const eq = id("=");
  const bMin = op === "/" ? 1 : 0; // no division by zero

  const example = (a: number, b: number): ModularExample => {
    const c = modApply(op, a, b, p);
    return makeExample(withOp ? [a, opId, b, eq] : [a, b, eq], [c], { a, b, c });
  };

  return {
    name: `mod${p}${op}`,
    p,
    op,
    vocab,
    maxLength: withOp ? 5 : 4,
    generate(n: number, seed: number): ModularExample[] {
      checkCount(n, `${where}.generate`);
      const gen = new Generator(seed);
      return Array.from({ length: n }, () => example(gen.randint(0, p), gen.randint(bMin, p)));
    },
    /** All pairs, shuffled by `seed`; the first trainFraction (default 0.3) are train. */
    split(s: SplitOptions = {}): { train: ModularExample[]; test: ModularExample[] } {
      const f = s.trainFraction ?? 0.3;
      if (!(f > 0 && f < 1)) throw new Error(`${where}.split: trainFraction must be in (0, 1), got ${f}`);
      if (s.nTrain !== undefined || s.nTest !== undefined) throw new Error(`${where}.split: this task lists all pairs; give trainFraction, not nTrain/nTest`);
      const all: ModularExample[] = [];
      for (let a = 0; a < p; a++) for (let b = bMin; b < p; b++) all.push(example(a, b));
      shuffleInPlace(all, new Generator(s.seed ?? 0));
      const nTrain = Math.round(f * all.length);
      return { train: all.slice(0, nTrain), test: all.slice(nTrain) };
    },
    evaluate: (predicted, ex) => exactMatch(predicted, ex.answer),
  };
}
