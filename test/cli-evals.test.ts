// `dgpt evals` as a user runs it: a model trained for seconds with `dgpt train --task parens`
// scores well above chance on its held-out examples; the same items written as a task.json give
// the same scores; outputs are never replaced without --overwrite; bad task files and flags are
// refused with the file, line and field named.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { evalsPage } from "../src/cli/pages/evals.js";
import { balancedParens, mazeTask, taskText, taskTokenizer } from "../src/data/tasks/index.js";
import { builtinTask, evaluateTask, gptEvalModel } from "../src/evals/index.js";
import { HookedTransformer } from "../src/models/gpt/model.js";
import { dgptHere } from "./dgpt-here.js";

const tmp = mkdtempSync(join(tmpdir(), "dgpt-cli-evals-"));
after(() => rmSync(tmp, { recursive: true, force: true }));
const run = join(tmp, "parens");

interface Results {
  n: number;
  metrics: { metric: string; value: number; ci: [number, number]; stderr: number | null; n: number }[];
}
const readJson = (path: string) => JSON.parse(readFileSync(path, "utf8")) as Results;
const metric = (r: Results, name: string) => r.metrics.find((m) => m.metric === name)!;

describe("dgpt evals", { timeout: 120_000 }, () => {
  before(async () => {
    // 2 layers, 300 steps of 32 examples: a few seconds here
    const r = await dgptHere(["train", "--task", "parens", "--n-layers", "2", "--d-model", "32", "--n-heads", "2", "--steps", "300", "--batch-size", "32", "--lr", "3e-3", "--eval-interval", "100", "--eval-iters", "2", "--out", run]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /evaluate it on its held-out examples: dgpt evals run parens --model/);
    assert.ok(existsSync(join(run, "best", "task.json")));
  });

  test("a model trained briefly on parens scores above chance (0.5) on the held-out split; page, JSON and samples written", async () => {
    const out = join(tmp, "parens.html");
    const r = await dgptHere(["evals", "run", "parens", "--model", run, "--out", out]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /parens · parens\/best · 200 items · 0-shot · multiple_choice/);
    assert.match(r.out, /metric\s+value\s+95 % CI\s+stderr\s+n\nacc\s+0\.\d{4}\s+\[0\.\d{4}, 0\.\d{4}\]/);
    const res = readJson(join(tmp, "parens.json"));
    const acc = metric(res, "acc");
    assert.equal(res.n, 200);
    assert.ok(acc.value > 0.8 && acc.ci[0] > 0.6, `acc ${acc.value} [${acc.ci}]`);
    assert.ok(acc.ci[0] <= acc.value && acc.value <= acc.ci[1]);
    const samples = readFileSync(join(tmp, "parens.samples.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    assert.equal(samples.length, 200);
    assert.equal(samples.filter((s) => s.metrics.acc === 1).length / 200, acc.value);
    assert.deepEqual(samples[0].choices, ["balanced", "unbalanced"]);
    assert.match(readFileSync(out, "utf8"), /<h2>Scores<\/h2>[\s\S]*acc 0\.\d{3} \[/);

    // a second run into the same files is refused, and they stay as they were
    const before = readFileSync(join(tmp, "parens.json"), "utf8");
    const again = await dgptHere(["evals", "run", "parens", "--model", run, "--out", out, "--limit", "5"]);
    assert.equal(again.code, 1);
    assert.match(again.err, /--out .*parens\.html exists already; add --overwrite/);
    assert.equal(readFileSync(join(tmp, "parens.json"), "utf8"), before);
    const over = await dgptHere(["evals", "run", "parens", "--model", run, "--out", out, "--limit", "5", "--overwrite"]);
    assert.equal(over.code, 0, over.err);
    assert.equal(readJson(join(tmp, "parens.json")).n, 5);
  });

  test("the same held-out items as a task.json score the same", async () => {
    const dir = join(tmp, "file-task");
    mkdirSync(dir);
    const task = balancedParens();
    const items = task.split({ seed: 0 }).test.map((e) => JSON.stringify({ text: taskText(task, e.prompt), label: e.balanced ? 0 : 1 }));
    writeFileSync(join(dir, "items.jsonl"), items.join("\n") + "\n");
    writeFileSync(join(dir, "task.json"), JSON.stringify({ task: "parens-file", test_split: "items.jsonl", output_type: "multiple_choice", doc_to_text: "{{text}}", doc_to_target: "{{label}}", doc_to_choice: ["balanced", "unbalanced"] }, null, 2));
    const r = await dgptHere(["evals", "run", join(dir, "task.json"), "--model", run, "--out", join(dir, "page.html")]);
    assert.equal(r.code, 0, r.err);
    const builtin = await dgptHere(["evals", "run", "parens", "--model", run, "--out", join(dir, "builtin.html")]);
    assert.equal(builtin.code, 0, builtin.err);
    for (const m of ["acc", "acc_norm"]) assert.equal(metric(readJson(join(dir, "page.json")), m).value, metric(readJson(join(dir, "builtin.json")), m).value, m);
  });

  test("a task file whose template names a missing field is refused before the model loads, naming line and field", async () => {
    const dir = join(tmp, "bad-task");
    mkdirSync(dir);
    writeFileSync(join(dir, "items.jsonl"), '{"text": "<bos> ( ) <sep>", "label": 0}\n{"txt": "<bos> ( <sep>", "label": 1}\n');
    writeFileSync(join(dir, "task.json"), JSON.stringify({ task: "bad", test_split: "items.jsonl", output_type: "multiple_choice", doc_to_text: "{{text}}", doc_to_target: "{{label}}", doc_to_choice: ["balanced", "unbalanced"] }, null, 2));
    const r = await dgptHere(["evals", "run", join(dir, "task.json"), "--model", join(tmp, "no-such-model"), "--out", join(dir, "page.html")]);
    assert.equal(r.code, 1);
    assert.match(r.err, /items\.jsonl:2: doc_to_text uses \{\{text\}\}, but this item has no field "text" \(it has txt, label\)/);
    assert.ok(!existsSync(join(dir, "page.html")));
  });

  test("a maze page draws each maze with the model's path", async () => {
    const task = mazeTask({ rows: 3, cols: 3 });
    const tok = taskTokenizer(task);
    const model = new HookedTransformer({ n_layers: 1, d_model: 16, n_heads: 2, d_vocab: task.vocab.length, n_ctx: task.maxLength, seed: 0 });
    const result = await evaluateTask(builtinTask("maze", { options: { rows: 3, cols: 3 }, tokenizer: tok }), gptEvalModel(model, tok), { limit: 3, bootstrapIters: 10 });
    const html = evalsPage(result);
    assert.equal(html.match(/<section class="compact">/g)?.length, 3);
    assert.match(html, /<h2>The first 3 mazes<\/h2>/);
    assert.match(html, /<polyline points="[\d., ]+" fill="none" stroke="#8a8f98"/); // the shortest path, dashed
  });

  test("list, and bad flags named", async () => {
    const list = await dgptHere(["evals", "list"]);
    assert.equal(list.code, 0);
    for (const name of ["modular", "copy", "reverse", "sort", "parens", "maze", "repeated-tokens"]) assert.match(list.out, new RegExp(`^  ${name} `, "m"));
    const never = join(tmp, "never.html");
    const cases: [string[], RegExp][] = [
      [["evals", "run", "chess", "--model", run, "--out", never], /unknown task "chess": give a built-in eval \(modular, copy/],
      [["evals", "run", "parens", "--model", run, "--limit", "0", "--out", never], /--limit: expected an integer ≥ 1, got "0"/],
      [["evals", "run", "parens", "--model", run, "--task-options", "depth=2", "--out", never], /--task-options: parens has no option "depth"/],
      [["train", "--task", "parens", "--data", "x.txt", "--out", join(tmp, "x")], /--data: this run trains on the parens task, not on a text/],
      [["train", "--task", "chess", "--out", join(tmp, "x")], /--task chess: unknown task "chess"; the tasks are modular, copy/],
    ];
    for (const [args, re] of cases) {
      const r = await dgptHere(args);
      assert.equal(r.code, 1, args.join(" "));
      assert.match(r.err, re, args.join(" "));
    }
  });
});
