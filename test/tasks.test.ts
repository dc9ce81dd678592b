// Synthetic tasks: every answer checked by a method other than the generator's own, seeded
// determinism, disjoint train/test splits, formats, metrics, and collation with a loss mask.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import {
  type Task, type TaskExample, accuracy, balancedParens, collate, copyTask, formatTokens, mazeTask,
  modularArithmetic, repeatedTokens, reverseTask, sortTask, type ModOp,
} from "../src/data/tasks/index.js";

function keyOf(e: TaskExample): string {
  return e.prompt.join(",");
}

/** Same seed, same examples; another seed, other examples. */
function checkDeterminism(task: Task, n = 50): void {
  const a = task.generate(n, 7);
  assert.deepEqual(task.generate(n, 7), a);
  assert.notDeepEqual(task.generate(n, 8).map((e) => e.tokens), a.map((e) => e.tokens));
}

/** Shape invariants every example of every task must satisfy. */
function checkExample(task: Task, e: TaskExample): void {
  assert.deepEqual(e.tokens, [...e.prompt, ...e.answer]);
  assert.equal(e.answerMask.length, e.tokens.length);
  assert.equal(e.answerMask.filter(Boolean).length, e.answer.length);
  assert.ok(e.answerMask.slice(e.prompt.length).every(Boolean));
  assert.ok(e.tokens.length <= task.maxLength, `${e.tokens.length} > maxLength ${task.maxLength}`);
  assert.ok(e.tokens.every((t) => Number.isInteger(t) && t >= 0 && t < task.vocab.length));
  assert.ok(task.evaluate(e.answer, e), "the true answer passes the metric");
}

describe("modular arithmetic", () => {
  // Checks each answer by the defining relation, in BigInt, not by recomputing the operation.
  const holds = (op: ModOp, a: number, b: number, c: number, p: number): boolean => {
    const [A, B, C, P] = [a, b, c, p].map(BigInt);
    const m = (x: bigint) => ((x % P) + P) % P;
    switch (op) {
      case "+": return m(C - B) === A;
      case "-": return m(C + B) === A;
      case "*": return C === m(A * B);
      case "/": return m(C * B) === A;
      case "x2+y2": return C === m(A * A + B * B);
    }
  };

  for (const op of ["+", "-", "*", "/", "x2+y2"] as ModOp[]) {
    test(`a ${op} b mod p: every pair correct; split covers all pairs, disjoint`, () => {
      const p = 13;
      const task = modularArithmetic({ p, op });
      const { train, test: held } = task.split({ trainFraction: 0.3, seed: 1 });
      const nPairs = op === "/" ? p * (p - 1) : p * p;
      assert.equal(train.length + held.length, nPairs);
      assert.equal(train.length, Math.round(0.3 * nPairs));
      const keys = new Set(train.map(keyOf));
      assert.ok(held.every((e) => !keys.has(keyOf(e))), "train and test are disjoint");
      assert.equal(new Set([...train, ...held].map(keyOf)).size, nPairs, "every pair exactly once");
      for (const e of [...train, ...held]) {
        checkExample(task, e);
        assert.ok(e.c >= 0 && e.c < p);
        assert.ok(holds(op, e.a, e.b, e.c, p), `${e.a} ${op} ${e.b} = ${e.c}`);
        assert.deepEqual(e.answer, [e.c]);
      }
      checkDeterminism(task);
    });
  }

  test("format: numbers are their own ids; op token optional; same split per seed", () => {
    const t = modularArithmetic({ p: 7, op: "-" });
    assert.equal(t.vocab.length, 9);
    assert.deepEqual(t.vocab.slice(0, 3), ["0", "1", "2"]);
    const [e] = t.split({ seed: 0 }).train.filter((x) => x.a === 3 && x.b === 5).concat(t.split({ seed: 0 }).test.filter((x) => x.a === 3 && x.b === 5));
    assert.equal(formatTokens(t.vocab, e.tokens), "3 - 5 = 5");
    const nanda = modularArithmetic({ p: 113, opToken: false });
    assert.equal(nanda.vocab.length, 114);
    assert.equal(nanda.generate(1, 0)[0].tokens.length, 4);
    assert.deepEqual(t.split({ seed: 4 }), t.split({ seed: 4 }));
    assert.notDeepEqual(t.split({ seed: 4 }).train.map(keyOf), t.split({ seed: 5 }).train.map(keyOf));
    assert.equal(t.evaluate([5], e), true);
    assert.equal(t.evaluate([4], e), false);
    assert.equal(t.evaluate([5, 5], e), false);
  });

  test("bad options are rejected", () => {
    assert.throws(() => modularArithmetic({ p: 12, op: "/" }), /division needs a prime modulus/);
    assert.throws(() => modularArithmetic({ p: 1 }), /p must be an integer in \[2, 1024\]/);
    assert.throws(() => modularArithmetic({ op: "%" as ModOp }), /op must be one of/);
    assert.throws(() => modularArithmetic().split({ trainFraction: 1.5 }), /trainFraction must be in \(0, 1\)/);
    assert.throws(() => modularArithmetic().split({ nTrain: 5 }), /give trainFraction, not nTrain/);
    assert.throws(() => modularArithmetic().generate(-1, 0), /n must be a non-negative integer/);
  });
});

describe("copy, reverse, sort", () => {
  const count = (xs: readonly number[]) => xs.reduce((m, x) => m.set(x, (m.get(x) ?? 0) + 1), new Map<number, number>());
  const cases = [
    ["copy", copyTask, (inp: readonly number[], out: readonly number[]) => out.every((v, i) => v === inp[i])],
    ["reverse", reverseTask, (inp: readonly number[], out: readonly number[]) => out.every((v, i) => v === inp[inp.length - 1 - i])],
    ["sort", sortTask, (inp: readonly number[], out: readonly number[]) =>
      out.every((v, i) => i === 0 || out[i - 1] <= v) && [...count(inp)].every(([k, c]) => count(out).get(k) === c)],
  ] as const;

  for (const [name, make, correct] of cases) {
    test(`${name}: <bos> input <sep> | output <eos>, answers correct, split disjoint`, () => {
      const task = make({ nSymbols: 8, minLength: 3, maxLength: 9 });
      const bos = task.vocab.indexOf("<bos>");
      const sep = task.vocab.indexOf("<sep>");
      const eos = task.vocab.indexOf("<eos>");
      const lengths = new Set<number>();
      for (const e of task.generate(300, 1)) {
        checkExample(task, e);
        const n = e.input.length;
        lengths.add(n);
        assert.deepEqual(e.prompt, [bos, ...e.input, sep]);
        assert.equal(e.answer.length, n + 1);
        assert.equal(e.answer[n], eos);
        assert.ok(e.input.every((s) => s >= 0 && s < 8));
        assert.ok(correct(e.input, e.answer.slice(0, n)), `${name} of ${e.input} gave ${e.answer}`);
      }
      assert.deepEqual([...lengths].sort((a, b) => a - b), [3, 4, 5, 6, 7, 8, 9]);
      const { train, test: held } = task.split({ nTrain: 400, nTest: 100, seed: 2 });
      assert.equal(train.length, 400);
      assert.equal(held.length, 100);
      const keys = new Set(train.map(keyOf));
      assert.equal(keys.size, 400, "no duplicates in train");
      assert.ok(held.every((e) => !keys.has(keyOf(e))));
      checkDeterminism(task);
    });
  }

  test("a split larger than the task's space fails instead of looping", () => {
    const tiny = copyTask({ nSymbols: 2, minLength: 2, maxLength: 2 }); // 4 distinct inputs
    assert.deepEqual(tiny.split({ nTrain: 2, nTest: 2 }).train.length, 2);
    assert.throws(() => tiny.split({ nTrain: 8, nTest: 2 }), /found only 4 distinct examples/);
  });
});

describe("repeated random tokens", () => {
  test("<bos> s s; the answer is the second copy after its first token", () => {
    const task = repeatedTokens({ nSymbols: 30, length: 12 });
    for (const e of task.generate(100, 3)) {
      checkExample(task, e);
      assert.equal(e.tokens.length, 25);
      assert.equal(e.tokens[0], task.bosId);
      assert.deepEqual(e.tokens.slice(13), e.tokens.slice(1, 13));
      assert.deepEqual(e.answer, e.sequence.slice(1));
      assert.equal(e.prompt.length, 14);
      assert.ok(e.sequence.every((t) => t < 30));
    }
    const distinct = repeatedTokens({ nSymbols: 12, length: 12, distinct: true });
    for (const e of distinct.generate(50, 0)) assert.equal(new Set(e.sequence).size, 12);
    assert.throws(() => repeatedTokens({ nSymbols: 5, length: 6, distinct: true }), /distinct needs length ≤ nSymbols/);
    checkDeterminism(task);
    const { train, test: held } = task.split({ nTrain: 100, nTest: 20 });
    const keys = new Set(train.map(keyOf));
    assert.ok(held.every((e) => !keys.has(keyOf(e))));
  });
});

describe("balanced parentheses", () => {
  // An independent checker: repeatedly delete "()" pairs; balanced iff nothing is left.
  const reducesToEmpty = (s: string): boolean => {
    let prev = "";
    while (prev !== s) [prev, s] = [s, s.replaceAll("()", "")];
    return s === "";
  };

  test("labels are right, classes are balanced, every kind of unbalanced string appears", () => {
    const task = balancedParens({ minLength: 2, maxLength: 12 });
    const yes = task.vocab.indexOf("balanced");
    const no = task.vocab.indexOf("unbalanced");
    const examples = task.generate(2000, 5);
    const kinds = new Set<string>();
    let nBalanced = 0;
    for (const e of examples) {
      checkExample(task, e);
      assert.equal(e.balanced, reducesToEmpty(e.text), e.text);
      assert.deepEqual(e.answer, [e.balanced ? yes : no]);
      assert.equal(formatTokens(task.vocab, e.prompt.slice(1, -1)).replaceAll(" ", ""), e.text);
      assert.ok(e.text.length >= 2 && e.text.length <= 12);
      if (e.balanced) nBalanced++;
      else kinds.add(e.kind!);
      if (e.kind === "swap") assert.equal(e.text.split("(").length - 1, e.text.length / 2, "a swap keeps the counts equal");
    }
    assert.ok(nBalanced > 900 && nBalanced < 1100, `${nBalanced} balanced of 2000`);
    assert.deepEqual([...kinds].sort(), ["flip", "random", "swap"]);
    assert.equal(task.evaluate([no], examples.find((e) => e.balanced)!), false);
    checkDeterminism(task);
  });

  test("balanced strings of a length are drawn uniformly", () => {
    const task = balancedParens({ minLength: 6, maxLength: 6 }); // 5 balanced strings of length 6
    const counts = new Map<string, number>();
    for (const e of task.generate(4000, 9)) if (e.balanced) counts.set(e.text, (counts.get(e.text) ?? 0) + 1);
    assert.equal(counts.size, 5);
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    for (const [s, c] of counts) assert.ok(Math.abs(c / total - 0.2) < 0.04, `${s}: ${c}/${total}`);
  });

  test("split is disjoint; impossible ranges are rejected", () => {
    const task = balancedParens();
    const { train, test: held } = task.split({ nTrain: 500, nTest: 100, seed: 3 });
    const keys = new Set(train.map((e) => e.text));
    assert.ok(held.every((e) => !keys.has(e.text)));
    assert.throws(() => balancedParens({ minLength: 3, maxLength: 3 }), /no even length in \[3, 3\]/);
  });
});

describe("mazes", () => {
  /** Reads the maze back from its tokens alone, knowing only the documented format. */
  function parse(task: { vocab: readonly string[] }, tokens: readonly number[]) {
    const s = tokens.map((t) => task.vocab[t]);
    const cell = (tok: string): [number, number] => {
      const m = /^\((\d+),(\d+)\)$/.exec(tok);
      assert.ok(m, `not a cell token: ${tok}`);
      return [Number(m[1]), Number(m[2])];
    };
    assert.equal(s[0], "<ADJLIST_START>");
    const end = s.indexOf("<ADJLIST_END>");
    const edges: [[number, number], [number, number]][] = [];
    for (let i = 1; i < end; i += 4) {
      assert.equal(s[i + 1], "<-->");
      assert.equal(s[i + 3], ";");
      edges.push([cell(s[i]), cell(s[i + 2])]);
    }
    // <ADJLIST_END> <ORIGIN_START> o <ORIGIN_END> <TARGET_START> t <TARGET_END> <PATH_START> path… <PATH_END>
    assert.deepEqual([s[end + 1], s[end + 3], s[end + 4], s[end + 6], s[end + 7]], ["<ORIGIN_START>", "<ORIGIN_END>", "<TARGET_START>", "<TARGET_END>", "<PATH_START>"]);
    const origin = cell(s[end + 2]);
    const target = cell(s[end + 5]);
    assert.equal(s[s.length - 1], "<PATH_END>");
    const path = s.slice(end + 8, -1).map(cell);
    return { edges, origin, target, path };
  }

  test("mazes are perfect (spanning trees), and the given path is valid and shortest", () => {
    const rows = 4;
    const cols = 5;
    const task = mazeTask({ rows, cols });
    const id = (r: number, c: number) => r * cols + c;
    for (const e of task.generate(150, 11)) {
      checkExample(task, e);
      const { edges, origin, target, path } = parse(task, e.tokens);
      // passages join grid neighbours; n−1 of them, connecting everything, make a spanning tree
      assert.equal(edges.length, rows * cols - 1);
      const parent = Array.from({ length: rows * cols }, (_, i) => i);
      const find = (x: number): number => (parent[x] === x ? x : (parent[x] = find(parent[x])));
      const open = new Set<string>();
      for (const [[r1, c1], [r2, c2]] of edges) {
        assert.equal(Math.abs(r1 - r2) + Math.abs(c1 - c2), 1, "a passage joins neighbouring cells");
        assert.ok(r1 < rows && r2 < rows && c1 < cols && c2 < cols);
        parent[find(id(r1, c1))] = find(id(r2, c2));
        open.add(`${id(r1, c1)}-${id(r2, c2)}`).add(`${id(r2, c2)}-${id(r1, c1)}`);
      }
      const roots = new Set(parent.map((_, i) => find(i)));
      assert.equal(roots.size, 1, "every cell reachable: the maze is solvable from anywhere");
      assert.notDeepEqual(origin, target);
      // the path: from origin to target through passages only
      assert.deepEqual(path[0], origin);
      assert.deepEqual(path[path.length - 1], target);
      for (let i = 1; i < path.length; i++) assert.ok(open.has(`${id(...path[i - 1])}-${id(...path[i])}`), "no step through a wall");
      // shortest: BFS distance computed here from the parsed passages
      const dist = new Map([[id(...origin), 0]]);
      const queue = [id(...origin)];
      while (queue.length) {
        const u = queue.shift()!;
        for (const v of [u - cols, u + cols, u - 1, u + 1]) {
          if (open.has(`${u}-${v}`) && !dist.has(v)) {
            dist.set(v, dist.get(u)! + 1);
            queue.push(v);
          }
        }
      }
      assert.equal(path.length - 1, dist.get(id(...target)));
    }
    checkDeterminism(task);
  });

  test("the metric rejects walls, detours, wrong ends and malformed answers", () => {
    const task = mazeTask({ rows: 4, cols: 4 });
    const pathEnd = task.vocab.indexOf("<PATH_END>");
    const e = task.generate(40, 2).find((x) => x.path.length >= 3)!;
    const ids = (cells: number[]) => [...cells.map(task.cellId), pathEnd];
    assert.ok(task.evaluate(ids([...e.path]), e));
    assert.equal(task.evaluate(ids([...e.path]).slice(0, -1), e), false, "missing <PATH_END>");
    assert.equal(task.evaluate(ids(e.path.slice(1)), e), false, "does not start at the origin");
    assert.equal(task.evaluate(ids(e.path.slice(0, -1)), e), false, "stops short of the target");
    const detour = [e.path[0], e.path[1], e.path[0], ...e.path.slice(1)];
    assert.equal(task.evaluate(ids(detour), e), false, "valid steps but not shortest");
    // a step between neighbouring cells with a wall between them
    const open = new Set(e.edges.map(([a, b]) => `${a}-${b}`));
    const walled = [...Array(16).keys()].flatMap((a) => [a + 1, a + 4].filter((b) => b < 16 && (b === a + 4 || b % 4 !== 0)).map((b) => [a, b])).find(([a, b]) => !open.has(`${a}-${b}`))!;
    const viaWall = { ...e, origin: walled[0], target: walled[1] };
    assert.equal(task.evaluate(ids(walled), viaWall), false, "through a wall");
    assert.equal(task.evaluate([e.prompt[0], pathEnd], e), false, "not cell tokens");
  });

  test("split: no maze with the same endpoints in both sets; sizes", () => {
    const task = mazeTask({ rows: 3, cols: 3 });
    const { train, test: held } = task.split({ nTrain: 300, nTest: 50, seed: 1 });
    const key = (x: (typeof train)[number]) => `${x.edges.flat()}|${x.origin}|${x.target}`;
    const keys = new Set(train.map(key));
    assert.equal(keys.size, 300);
    assert.ok(held.every((x) => !keys.has(key(x))));
    assert.throws(() => mazeTask({ rows: 1, cols: 1 }), /at least 2 cells/);
    assert.equal(task.vocab.length, 11 + 9);
    assert.equal(task.vocab[task.cellId(5)], "(1,2)");
  });
});

describe("collate and accuracy", () => {
  test("x/y shifted, padded, mask only on answer targets, ignoreIndex", () => {
    const task = copyTask({ nSymbols: 5, minLength: 2, maxLength: 4 });
    const ex = task.generate(6, 0);
    const L = Math.max(...ex.map((e) => e.tokens.length));
    assert.throws(() => collate(ex), /differ in length; give padId/);
    const { x, y, mask } = collate(ex, { padId: task.padId });
    assert.deepEqual(x.shape, [6, L - 1]);
    assert.equal(x.dtype, "int32");
    assert.equal(mask.dtype, "float32");
    const X = x.toArray() as number[][];
    const Y = y.toArray() as number[][];
    const M = mask.toArray() as number[][];
    ex.forEach((e, b) => {
      assert.equal(M[b].reduce((s, v) => s + v, 0), e.answer.length);
      for (let t = 0; t < L - 1; t++) {
        if (t + 1 < e.tokens.length) {
          assert.equal(X[b][t], e.tokens[t]);
          assert.equal(Y[b][t], e.tokens[t + 1]);
          assert.equal(M[b][t], t + 1 >= e.prompt.length ? 1 : 0);
        } else {
          assert.equal(X[b][t], task.padId);
          assert.equal(M[b][t], 0);
        }
      }
    });
    const ig = collate(ex, { padId: task.padId!, ignoreIndex: -100 });
    const YI = ig.y.toArray() as number[][];
    ex.forEach((_, b) => YI[b].forEach((v, t) => assert.equal(v === -100, M[b][t] === 0)));
  });

  test("accuracy counts exact answers", () => {
    const task = sortTask();
    const ex = task.generate(4, 1);
    const preds = ex.map((e, i) => (i < 3 ? [...e.answer] : [...e.answer].reverse().concat([0])));
    assert.equal(accuracy(task, preds, ex), 0.75);
    assert.throws(() => accuracy(task, preds.slice(1), ex), /3 predictions for 4 examples/);
  });
});
