// The evals harness: log-likelihoods against a hand computation from the model's own logits (a
// log-softmax written out here, not the harness's tensor path), the tokenization boundary,
// batching and truncation; acc against acc_norm; exact match, filters; few-shot prompts to the
// character; bootstrap intervals; task files with errors that name file, line and field; the
// maze scores on hand-made paths; built-in suites over every synthetic task.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, describe, test } from "node:test";
import "../src/node.js";
import { makeTask, mazeTask, parseTaskSpec, TASK_NAMES, type TaskOptions, taskText, taskTokenizer } from "../src/data/tasks/index.js";
import {
  applyFilters, bootstrap, BUILTIN_SUITES, builtinTask, defineTask, drawExamples, evaluateTask, exactMatch, fewshotContext,
  gptEvalModel, mazeChecker, meanStderr, multipleChoice, parseMazePath, quantile, scoreMazePath, type MazeSpec,
} from "../src/evals/index.js";
import { loadTaskFile } from "../src/evals/load.node.js";
import { HookedTransformer } from "../src/models/gpt/model.js";
import { Generator } from "../src/tensor/random.js";
import { gpt2Tokenizer } from "../src/tokenizers/gpt2.js";

const tmp = mkdtempSync(join(tmpdir(), "dgpt-evals-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** log P(cont | prefix) and whether every cont token is the argmax, from one forward's logits, by hand in float64. */
function handScore(model: HookedTransformer, prefix: readonly number[], cont: readonly number[]): { logprob: number; greedy: boolean } {
  const seq = [...prefix, ...cont];
  const logits = (model.forward([seq.slice(0, -1)]).toArray() as number[][][])[0];
  let logprob = 0;
  let greedy = true;
  cont.forEach((tok, j) => {
    const row = logits[prefix.length - 1 + j];
    let max = -Infinity;
    let arg = 0;
    row.forEach((x, i) => {
      if (x > max) [max, arg] = [x, i];
    });
    const logZ = max + Math.log(row.reduce((a, x) => a + Math.exp(x - max), 0));
    logprob += row[tok] - logZ;
    if (arg !== tok) greedy = false;
  });
  return { logprob, greedy };
}

describe("log-likelihoods", () => {
  const gpt2 = gpt2Tokenizer();
  const model = new HookedTransformer({ n_layers: 1, d_model: 8, n_heads: 2, d_vocab: gpt2.vocabSize, n_ctx: 32, seed: 3 });

  test("the continuation's tokens are those the whole text has past the context's (trailing space moved), scored as by hand", async () => {
    const lm = gptEvalModel(model, gpt2);
    // lm-eval's boundary: "The answer is " + "Paris" is scored as "The answer is" + " Paris"
    const ctx = gpt2.encode("The answer is");
    const cont = gpt2.encode(" Paris");
    assert.deepEqual([...ctx, ...cont], gpt2.encode("The answer is Paris"));
    const [r] = await lm.loglikelihood([{ context: "The answer is ", continuation: "Paris" }]);
    const want = handScore(model, ctx, cont);
    assert.equal(r.tokens, cont.length);
    assert.ok(Math.abs(r.logprob - want.logprob) < 1e-4, `${r.logprob} vs ${want.logprob}`);
    assert.equal(r.isGreedy, want.greedy);
    assert.equal(r.truncated, false);
  });

  test("a batch with padding gives each request what it gives alone; a long context is cut on the left to n_ctx", async () => {
    const lm = gptEvalModel(model, gpt2, { batchSize: 2 });
    const reqs = [
      { context: "Once upon a time", continuation: " there was a cat" },
      { context: "2 + 2 =", continuation: " 4" },
      { context: "Hello", continuation: ", world! How are you today?" },
      { context: "word ".repeat(40), continuation: " end" },
    ];
    const got = await lm.loglikelihood(reqs);
    reqs.forEach((r, i) => {
      const ctx = gpt2.encode(r.context.trimEnd());
      const cont = gpt2.encode(r.context + r.continuation).slice(ctx.length);
      const full = [...ctx, ...cont];
      // the window: the last n_ctx + 1 tokens, of which the model reads the first n_ctx
      const window = full.slice(-(model.cfg.n_ctx + 1));
      const want = handScore(model, window.slice(0, window.length - cont.length), cont);
      assert.ok(Math.abs(got[i].logprob - want.logprob) < 1e-4, `request ${i}: ${got[i].logprob} vs ${want.logprob}`);
      assert.equal(got[i].truncated, full.length - 1 > model.cfg.n_ctx, `request ${i}`);
    });
    assert.equal(got[3].truncated, true);
  });

  test("isGreedy is true exactly when the continuation is the argmax; a BOS token is put in front when asked", async () => {
    const task = makeTask("copy", { nSymbols: 6, minLength: 3, maxLength: 3 });
    const tok = taskTokenizer(task);
    const m = new HookedTransformer({ n_layers: 1, d_model: 16, n_heads: 2, d_vocab: task.vocab.length, n_ctx: 12, seed: 1 });
    const prompt = tok.encode("<bos> 1 2 3 <sep>");
    const logits = (m.forward([prompt]).toArray() as number[][][])[0].at(-1)!;
    const best = logits.indexOf(Math.max(...logits));
    const other = (best + 1) % task.vocab.length;
    const lm = gptEvalModel(m, tok);
    const [a, b] = await lm.loglikelihood([
      { context: "<bos> 1 2 3 <sep>", continuation: " " + task.vocab[best] },
      { context: "<bos> 1 2 3 <sep>", continuation: " " + task.vocab[other] },
    ]);
    assert.equal(a.isGreedy, true);
    assert.equal(b.isGreedy, false);
    assert.ok(a.logprob > b.logprob);
    // a tokenizer with a BOS token (as pretrained ones have): it is read first
    const withBos = Object.assign(taskTokenizer(task), { bosTokenId: tok.encode("<pad>")[0] });
    const [c] = await gptEvalModel(m, withBos).loglikelihood([{ context: "1 2", continuation: " 3" }]);
    const want = handScore(m, [withBos.bosTokenId, ...tok.encode("1 2")], tok.encode("3"));
    assert.ok(Math.abs(c.logprob - want.logprob) < 1e-4);
    const [d] = await gptEvalModel(m, withBos, { prependBos: false }).loglikelihood([{ context: "1 2", continuation: " 3" }]);
    assert.ok(Math.abs(d.logprob - handScore(m, tok.encode("1 2"), tok.encode("3")).logprob) < 1e-4);
  });

  test("errors name the item: a word the tokenizer lacks, an empty continuation", async () => {
    const task = makeTask("copy", { nSymbols: 4 });
    const tok = taskTokenizer(task);
    const m = new HookedTransformer({ n_layers: 1, d_model: 8, n_heads: 2, d_vocab: task.vocab.length, n_ctx: 16, seed: 1 });
    const t = defineTask({ task: "t", output_type: "loglikelihood", doc_to_text: "{{q}}", doc_to_target: "{{a}}" }, [{ q: "<bos> 1 <sep>", a: "1" }, { q: "<bos> 9 <sep>", a: "1" }], { where: ["f.jsonl:1", "f.jsonl:2"] });
    await assert.rejects(evaluateTask(t, gptEvalModel(m, tok)), /^Error: f\.jsonl:2: .*"9"/);
    const empty = defineTask({ task: "t", output_type: "loglikelihood", doc_to_text: "{{q}}", doc_to_target: "{{a}}", target_delimiter: "" }, [{ q: "<bos> 1 <sep>", a: "" }]);
    await assert.rejects(evaluateTask(empty, gptEvalModel(m, tok)), /item 1: the continuation "" encodes to no tokens/);
  });
});

describe("scores", () => {
  test("acc takes the largest summed log-likelihood, acc_norm the largest per character", () => {
    // "ab": -4 (‑2 per character); "abcdefgh": -4.5 (‑0.5625 per character)
    assert.deepEqual(multipleChoice([-4, -4.5], ["ab", "abcdefgh"], 1), { acc: 0, acc_norm: 1, pred: 0, predNorm: 1 });
    assert.deepEqual(multipleChoice([-4, -4.5], ["ab", "abcdefgh"], 0), { acc: 1, acc_norm: 0, pred: 0, predNorm: 1 });
    // characters are code points: "é" is one, as Python's len
    assert.equal(multipleChoice([-2, -3], ["éé", "abc"], 1).predNorm, 0);
  });

  test("a multiple-choice task end to end: acc and acc_norm from hand-computed log-likelihoods", async () => {
    const task = makeTask("copy", { nSymbols: 8 });
    const tok = taskTokenizer(task);
    const m = new HookedTransformer({ n_layers: 1, d_model: 16, n_heads: 2, d_vocab: task.vocab.length, n_ctx: 16, seed: 7 });
    const docs = Array.from({ length: 12 }, (_, i) => ({ q: `<bos> ${i % 8} <sep>`, choices: [`${i % 8}`, `${(i + 1) % 8} ${(i + 2) % 8} ${(i + 3) % 8}`, "<eos>"], label: i % 3 }));
    const t = defineTask({ task: "mc", output_type: "multiple_choice", doc_to_text: "{{q}}", doc_to_target: "{{label}}", doc_to_choice: "{{choices}}" }, docs);
    const r = await evaluateTask(t, gptEvalModel(m, tok), { bootstrapIters: 200 });
    let acc = 0;
    let accNorm = 0;
    docs.forEach((d, i) => {
      const lls = d.choices.map((c) => handScore(m, tok.encode(d.q), tok.encode(c)).logprob);
      lls.forEach((lp, j) => assert.ok(Math.abs(r.samples[i].loglikelihoods![j] - lp) < 1e-4));
      const argmax = (xs: number[]) => xs.indexOf(Math.max(...xs));
      if (argmax(lls) === d.label) acc++;
      if (argmax(lls.map((lp, j) => lp / d.choices[j].length)) === d.label) accNorm++;
    });
    const value = (k: string) => r.metrics.find((x) => x.metric === k)!.value;
    assert.equal(value("acc"), acc / docs.length);
    assert.equal(value("acc_norm"), accNorm / docs.length);
  });

  test("exact match: whitespace at the ends, case, punctuation, ignored regexes", () => {
    assert.equal(exactMatch(" 4", "4"), 1);
    assert.equal(exactMatch(" 4", "4", { strip: false }), 0);
    assert.equal(exactMatch("Paris", "paris"), 0);
    assert.equal(exactMatch("Paris", "paris", { ignore_case: true }), 1);
    assert.equal(exactMatch("Paris!", "Paris", { ignore_punctuation: true }), 1);
    assert.equal(exactMatch("The answer is 12", "12", { regexes_to_ignore: ["^The answer is "] }), 1);
    assert.equal(exactMatch("1 2", "12"), 0);
  });

  test("filters: a regex keeps its group (the chosen match, or the fallback); case and leading whitespace", () => {
    const pipe = (steps: object[]) => ({ name: "p", filter: steps }) as Parameters<typeof applyFilters>[1];
    assert.equal(applyFilters("so #### 42 and #### 7", pipe([{ function: "regex", regex_pattern: "#### (\\d+)" }])), "42");
    assert.equal(applyFilters("so #### 42 and #### 7", pipe([{ function: "regex", regex_pattern: "#### (\\d+)", group_select: -1 }])), "7");
    assert.equal(applyFilters("no number", pipe([{ function: "regex", regex_pattern: "(\\d+)" }])), "[invalid]");
    assert.equal(applyFilters("no number", pipe([{ function: "regex", regex_pattern: "(\\d+)", fallback: "?" }])), "?");
    assert.equal(applyFilters("  Yes", pipe([{ function: "remove_whitespace" }, { function: "lowercase" }])), "yes");
  });

  test("bootstrap: the interval holds the mean and shrinks like 1/√n; stderr is s/√n", () => {
    const gen = new Generator(5);
    const draw = (n: number) => Array.from({ length: n }, () => (gen.random() < 0.7 ? 1 : 0));
    const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const widths: number[] = [];
    for (const n of [50, 800]) {
      const xs = draw(n);
      const b = bootstrap(xs, mean, { iters: 1000, seed: 1 });
      assert.ok(b.lo <= mean(xs) && mean(xs) <= b.hi, `n ${n}: [${b.lo}, ${b.hi}] ∌ ${mean(xs)}`);
      // the bootstrap's spread agrees with the binomial standard error √(p(1−p)/n)
      const p = mean(xs);
      assert.ok(Math.abs(b.stderr - Math.sqrt((p * (1 - p)) / n)) < 0.25 * Math.sqrt((p * (1 - p)) / n));
      widths.push(b.hi - b.lo);
    }
    // 16 times the items: a quarter of the width (within the resampling noise)
    assert.ok(widths[1] < widths[0] / 3 && widths[1] > widths[0] / 5.5, `${widths}`);
    // [0, 1, 1, 1]: mean 3/4, sample variance 1/4, stderr √(1/4 / 4) = 1/4
    assert.equal(meanStderr([0, 1, 1, 1]), 0.25);
    assert.equal(quantile([1, 2, 3, 4], 0.5), 2.5);
    assert.deepEqual(bootstrap([1, 0, 1], mean, { seed: 3 }), bootstrap([1, 0, 1], mean, { seed: 3 }));
  });
});

describe("few-shot prompts", () => {
  const config = { task: "qa", output_type: "generate_until", doc_to_text: "Q: {{q}}\nA:", doc_to_target: "{{a}}", description: "Answer briefly.\n\n", num_fewshot: 1 };

  test("description, examples with their targets, delimiters, then the question — to the character", () => {
    const t = defineTask(config, [{ q: "2+2", a: "4" }], { fewshotDocs: [{ q: "1+1", a: "2" }] });
    const { context } = fewshotContext(t, 0, 1, new Generator(0));
    assert.equal(context, "Answer briefly.\n\nQ: 1+1\nA: 2\n\nQ: 2+2\nA:");
    const custom = defineTask({ ...config, description: "", target_delimiter: "=", fewshot_delimiter: " | " }, [{ q: "x", a: "1" }], { fewshotDocs: [{ q: "y", a: "2" }] });
    assert.equal(fewshotContext(custom, 0, 1, new Generator(0)).context, "Q: y\nA:=2 | Q: x\nA:");
    assert.equal(fewshotContext(custom, 0, 0, new Generator(0)).context, "Q: x\nA:");
  });

  test("multiple choice examples show the correct choice's text", () => {
    const t = defineTask({ task: "mc", output_type: "multiple_choice", doc_to_text: "{{q}}", doc_to_target: "{{label}}", doc_to_choice: ["no", "yes"] }, [{ q: "Is it?", label: 0 }], { fewshotDocs: [{ q: "Was it?", label: 1 }] });
    assert.equal(fewshotContext(t, 0, 1, new Generator(0)).context, "Was it? yes\n\nIs it?");
  });

  test("examples are distinct, never the item itself, seeded", () => {
    const docs = Array.from({ length: 10 }, (_, i) => ({ q: String(i), a: String(i) }));
    const t = defineTask(config, docs);
    for (let i = 0; i < 10; i++) {
      const { examples } = fewshotContext(t, i, 5, new Generator(i));
      assert.equal(new Set(examples.map((e) => e.doc.q)).size, 5);
      assert.ok(!examples.some((e) => e.doc.q === String(i)));
    }
    assert.deepEqual(drawExamples(100, 3, 0, new Generator(9)), drawExamples(100, 3, 0, new Generator(9)));
    assert.notDeepEqual(drawExamples(100, 3, 0, new Generator(9)), drawExamples(100, 3, 0, new Generator(10)));
    assert.equal(new Set(drawExamples(10, 9, 4, new Generator(1))).size, 9);
    assert.throws(() => drawExamples(5, 5, 0, new Generator(1)), /num_fewshot 5: only 4 items/);
  });
});

describe("task files", () => {
  let n = 0;
  /** Writes task.json (as given, so its lines are known) and items.jsonl; returns the task path. */
  function files(taskJson: string, items: string): string {
    const dir = join(tmp, `task${n++}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    writeFileSync(join(dir, "task.json"), taskJson);
    writeFileSync(join(dir, "items.jsonl"), items);
    return join(dir, "task.json");
  }
  const good = ['{', '  "task": "capitals",', '  "test_split": "items.jsonl",', '  "output_type": "generate_until",', '  "doc_to_text": "Q: {{question}}\\nA:",', '  "doc_to_target": "{{answer}}",', '  "generation_kwargs": {"until": ["\\n"]}', '}'].join("\n");
  const items = ['{"question": "Capital of France?", "answer": "Paris"}', "", '{"question": "Capital of Italy?", "answer": "Rome"}', '{"answer": "Madrid"}'].join("\n");

  test("a template naming a field an item lacks: the error names the file:line, the template and the field", async () => {
    const path = files(good, items);
    await assert.rejects(loadTaskFile(path), (err: Error) => {
      assert.match(err.message, /items\.jsonl:4: doc_to_text uses \{\{question\}\}, but this item has no field "question" \(it has answer\)/);
      return true;
    });
  });

  test("a good file loads: items keep their line numbers, defaults are lm-eval's", async () => {
    const t = await loadTaskFile(files(good, items.split("\n").slice(0, 3).join("\n")));
    assert.deepEqual(t.items.map((i) => i.where.split(/[\\/]/).at(-1)), ["items.jsonl:1", "items.jsonl:3"]);
    assert.equal(t.items[1].text, "Q: Capital of Italy?\nA:");
    assert.equal(t.config.target_delimiter, " ");
    assert.equal(t.config.fewshot_delimiter, "\n\n");
    assert.equal(t.config.generation_kwargs.max_gen_toks, 256);
    assert.deepEqual(t.config.metric_list, [{ metric: "exact_match" }]);
  });

  test("config errors name the file, the line of the field and the field", async () => {
    const ok = items.split("\n").slice(0, 1).join("\n");
    const cases: [string, RegExp][] = [
      [good.replace('{"until": ["\\n"]}', '{"until": "" }'), /task\.json:7: generation_kwargs\.until must be a list of non-empty strings/],
      [good.replace('"doc_to_text"', '"doc_to_txt"'), /task\.json:5: doc_to_txt: unknown field "doc_to_txt" \(did you mean "doc_to_text"\?\)/],
      [good.replace('  "doc_to_target": "{{answer}}",\n', ""), /task\.json: doc_to_target: missing/],
      [good.replace('"generate_until"', '"generate"'), /task\.json:4: output_type must be one of multiple_choice, loglikelihood, generate_until/],
      [good.replace("{{question}}", "{{question"), /task\.json:5: doc_to_text: "\{\{" at character 3 is never closed/],
      [good.replace('"test_split": "items.jsonl"', '"dataset_path": "x"'), /task\.json:3: dataset_path: "dataset_path" is an lm-evaluation-harness field this harness does not take: give the items as a JSONL file in test_split/],
      [good.replace("}\n}", "},\n  \"metric_list\": [{\"metric\": \"acc\"}]\n}"), /task\.json:8: metric_list\[0\]\.metric must be one of exact_match for this output_type/],
      [good.replace('"task": "capitals",', '"task": "capitals",,'), /task\.json:2: not valid JSON/],
    ];
    for (const [json, re] of cases) await assert.rejects(loadTaskFile(files(json, ok)), re);
  });

  test("item errors: a line that is not JSON, not an object; a choice target that is no choice", async () => {
    await assert.rejects(loadTaskFile(files(good, '{"question": "a", "answer": "b"}\n{"question": \n')), /items\.jsonl:2: not valid JSON/);
    await assert.rejects(loadTaskFile(files(good, '["a", "b"]')), /items\.jsonl:1: each line must be one JSON object/);
    await assert.rejects(loadTaskFile(files(good, "\n\n")), /items\.jsonl: no items/);
    const mc = good.replace('"generate_until"', '"multiple_choice"').replace(',\n  "generation_kwargs": {"until": ["\\n"]}', ',\n  "doc_to_choice": "{{options}}"');
    await assert.rejects(loadTaskFile(files(mc, '{"question": "a", "answer": "c", "options": ["a", "b"]}')), /items\.jsonl:1: doc_to_target gives "c", which is none of the choices \("a", "b"\) and no choice index/);
    await assert.rejects(loadTaskFile(files(mc, '{"question": "a", "answer": "a", "options": "ab"}')), /items\.jsonl:1: doc_to_choice \{\{options\}\} must be an array of at least 2 strings/);
    const t = await loadTaskFile(files(mc, '{"question": "a", "answer": 1, "options": ["a", "b"]}\n{"question": "a", "answer": "b", "options": ["a", "b"]}'));
    assert.deepEqual(t.items.map((i) => i.gold), [1, 1]);
  });
});

describe("the example task files (examples/evals)", () => {
  test("capitals (multiple choice, few-shot from its own file) and arithmetic (generation, a regex filter) load", async () => {
    const capitals = await loadTaskFile(fileURLToPath(new URL("../examples/evals/capitals/task.json", import.meta.url)));
    assert.equal(capitals.items.length, 10);
    assert.equal(capitals.items[7].target, "Brasília");
    const { context } = fewshotContext(capitals, 0, 2, new Generator(1234));
    assert.match(context, /^Answer with the capital city\.\n\nQuestion: What is the capital of \w+\?\nAnswer: \w+( \w+)?\n\nQuestion: What is the capital of \w+\?\nAnswer: \w+( \w+)?\n\nQuestion: What is the capital of France\?\nAnswer:$/);
    const arithmetic = await loadTaskFile(fileURLToPath(new URL("../examples/evals/arithmetic/task.json", import.meta.url)));
    assert.deepEqual(arithmetic.config.filter_list.map((f) => f.name), ["none", "first-number"]);
    assert.equal(applyFilters(" 72, I think", arithmetic.config.filter_list[1]), "72");
  });
});

describe("maze scores", () => {
  // 2×2 grid, cells r·2 + c: passages (0,0)–(0,1), (0,1)–(1,1), (0,0)–(1,0); wall between (1,0) and (1,1)
  const maze: MazeSpec = { rows: 2, cols: 2, edges: [[0, 1], [1, 3], [0, 2]], origin: 2, target: 3 };
  const score = (text: string) => scoreMazePath(parseMazePath(text), maze);

  test("valid, reaching and shortest on hand-made paths", () => {
    assert.deepEqual(score("(1,0) (0,0) (0,1) (1,1)"), { valid_path: 1, reaches_goal: 1, is_shortest: 1 });
    assert.deepEqual(score("(1,0) (0,0) (0,1) (0,0) (0,1) (1,1)"), { valid_path: 1, reaches_goal: 1, is_shortest: 0 }, "a detour");
    assert.deepEqual(score("(1,0) (0,0)"), { valid_path: 1, reaches_goal: 0, is_shortest: 0 }, "stops short");
    assert.deepEqual(score("(1,0) (1,1)"), { valid_path: 0, reaches_goal: 0, is_shortest: 0 }, "through the wall");
    assert.deepEqual(score("(1,0) (0,1) (1,1)"), { valid_path: 0, reaches_goal: 0, is_shortest: 0 }, "a diagonal jump");
    assert.deepEqual(score("(0,0) (0,1) (1,1)"), { valid_path: 0, reaches_goal: 0, is_shortest: 0 }, "starts elsewhere");
    assert.deepEqual(score("(1,0) (2,0)"), { valid_path: 0, reaches_goal: 0, is_shortest: 0 }, "off the grid");
    assert.deepEqual(score("no path"), { valid_path: 0, reaches_goal: 0, is_shortest: 0 });
  });

  test("the checker on generated mazes: the solution scores 1 three times, its first half only as valid", () => {
    const task = mazeTask({ rows: 4, cols: 4 });
    for (const e of task.generate(20, 3)) {
      const doc = { rows: e.rows, cols: e.cols, edges: e.edges, origin: e.origin, target: e.target };
      const cells = e.path.map((c) => `(${Math.floor(c / 4)},${c % 4})`);
      assert.deepEqual(mazeChecker.check(cells.join(" "), doc), { valid_path: 1, reaches_goal: 1, is_shortest: 1 });
      assert.deepEqual(mazeChecker.check(cells.slice(0, -1).join(" "), doc), { valid_path: 1, reaches_goal: 0, is_shortest: 0 });
    }
  });
});

describe("built-in suites", () => {
  test("every task's text reads back into its ids through its tokenizer (tokens like <--> and (0,1) included)", () => {
    for (const name of TASK_NAMES) {
      const task = makeTask(name, name === "maze" ? { rows: 11, cols: 11 } : name === "modular" ? { p: 13, op: "x2+y2" } : {});
      const tok = taskTokenizer(task);
      for (const e of task.generate(30, 2)) {
        assert.deepEqual(tok.encode(taskText(task, e.tokens)), [...e.tokens], name);
        assert.deepEqual(tok.encode(tok.decode(e.tokens)), [...e.tokens], name);
      }
    }
  });

  test("each suite builds on the held-out split; a random model scores, and the true answers would score 1", async () => {
    for (const suite of BUILTIN_SUITES) {
      const options: TaskOptions = suite.name === "maze" ? { rows: 3, cols: 3 } : suite.name === "modular" ? { p: 7 } : {};
      const task = makeTask(suite.name, options);
      const tok = taskTokenizer(task);
      const t = builtinTask(suite.name, { options, tokenizer: tok });
      const { test: heldOut } = task.split();
      assert.equal(t.items.length, heldOut.length, suite.name);
      assert.equal(t.items[0].text + " " + t.items[0].target + (suite.outputType === "generate_until" ? " " + task.vocab[heldOut[0].answer.at(-1)!] : ""), taskText(task, heldOut[0].tokens), suite.name);
      if (t.checker) assert.ok(Object.values(t.checker.check(t.items[0].target, t.items[0].doc)).every((v) => v === 1));
      const m = new HookedTransformer({ n_layers: 1, d_model: 8, n_heads: 2, d_vocab: task.vocab.length, n_ctx: task.maxLength, seed: 0 });
      const r = await evaluateTask(t, gptEvalModel(m, tok), { limit: 4, bootstrapIters: 50 });
      assert.deepEqual(r.metrics.map((x) => x.metric), [...suite.metrics], suite.name);
      assert.equal(r.samples.length, 4);
    }
  });

  test("task options and split settings from one string; bad ones are named", () => {
    assert.deepEqual(parseTaskSpec("modular", "p=13,op=*,trainFraction=0.5"), { options: { p: 13, op: "*" }, split: { trainFraction: 0.5 } });
    assert.deepEqual(parseTaskSpec("maze", "rows=3, cols=4, nTest=50"), { options: { rows: 3, cols: 4 }, split: { nTest: 50 } });
    assert.throws(() => parseTaskSpec("maze", "rows=x"), /maze's rows must be an integer, got "x"/);
    assert.throws(() => parseTaskSpec("maze", "depth=3"), /maze has no option "depth"/);
    assert.throws(() => parseTaskSpec("modular", "op=%"), /op must be one of \+, -, \*, \/, x2\+y2/);
    assert.throws(() => parseTaskSpec("copy", "nTrain=-1"), /nTrain must be a non-negative integer/);
    assert.throws(() => builtinTask("chess"), /unknown built-in eval "chess"/);
  });
});
