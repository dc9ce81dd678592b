// `dgpt repro ioi` (Wang et al. 2022): the IOI dataset against GPT-2's real tokenizer, the whole
// pipeline on a tiny random GPT-2-shaped model (its numbers mean nothing; the flow, the shapes, the
// padding and the checks table are what is tested), and the CLI: a run on a checkpoint folder,
// a clean skip when GPT-2 small is neither cached nor downloadable, and a bad flag.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { IOI_ABBA_TEMPLATES, IOI_BABA_TEMPLATES, IOI_NAMES, ioiDataset, singleTokenNames } from "../src/data/ioi.js";
import { ioi } from "../src/experiments/repro/ioi.js";
import { ModelUnavailable, type ReproContext } from "../src/experiments/repro/types.js";
import { ioiLengthGroups, ioiPathPatching, ioiPerformance, topHeads } from "../src/interp/ioi.js";
import { HookedTransformer, loadModelDir, manualSeed, saveModelDir } from "../src/node.js";
import { gpt2Tokenizer } from "../src/tokenizers/index.js";
import { dgptHere } from "./dgpt-here.js";
import { closedPort } from "./mock-hub.js";

const tok = gpt2Tokenizer();
const tmp = mkdtempSync(join(tmpdir(), "dgpt-ioi-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe("the IOI dataset (src/data/ioi.ts)", () => {
  test("the paper's names are single GPT-2 tokens; 15 templates in each order, ABBA = BABA with the first clause swapped", () => {
    assert.equal(IOI_NAMES.length, 99);
    assert.deepEqual(singleTokenNames(tok), [...IOI_NAMES]);
    assert.equal(IOI_BABA_TEMPLATES.length, 15);
    assert.equal(IOI_ABBA_TEMPLATES[0], "Then, [A] and [B] went to the [PLACE]. [B] gave a [OBJECT] to");
    assert.equal(IOI_ABBA_TEMPLATES[13], "The [PLACE] [A] and [B] went to had a [OBJECT]. [B] gave it to");
    for (const t of [...IOI_BABA_TEMPLATES, ...IOI_ABBA_TEMPLATES]) {
      assert.equal(t.match(/\[A\]/g)?.length, 1, t);
      assert.equal(t.match(/\[B\]/g)?.length, 2, t);
      assert.ok(t.endsWith(" to"), t);
    }
  });

  test("positions: IO once, S at S1 and S2, END the final ' to'; the ABC prompt differs exactly at IO, S1 and S2", () => {
    const ds = ioiDataset(tok, { n: 40, seed: 3 });
    assert.equal(ds.prompts.filter((p) => p.order === "BABA").length, 20);
    const width = ds.tokens[0]!.length;
    for (let i = 0; i < 40; i++) {
      const p = ds.prompts[i]!;
      const t = ds.tokens[i]!;
      const k = ds.corruptedTokens[i]!;
      const { io, s1, s2, end } = { io: ds.pos.io[i]!, s1: ds.pos.s1[i]!, s2: ds.pos.s2[i]!, end: ds.pos.end[i]! };
      assert.equal(t.length, width);
      assert.equal(tok.decode(t.slice(0, end + 1)), p.text);
      assert.ok(t.slice(end + 1).every((x) => x === 50256), "right-padded with <|endoftext|>");
      assert.equal(tok.decode([t[io]!]), " " + p.io);
      assert.equal(tok.decode([t[s1]!]), " " + p.s);
      assert.equal(tok.decode([t[s2]!]), " " + p.s);
      assert.equal(tok.decode([t[end]!]), " to");
      assert.ok(s1 < s2 && io < s2 && s2 < end);
      assert.ok(p.order === "BABA" ? s1 < io : io < s1, `${p.order}: ${p.text}`);
      assert.notEqual(p.io, p.s);
      // the ABC corruption: only the three name positions change, to three different new names
      const changed = t.map((x, j) => (x === k[j] ? -1 : j)).filter((j) => j >= 0);
      assert.deepEqual(changed, [io, s1, s2].sort((a, b) => a - b), ds.corrupted[i]);
      const abc = [k[io]!, k[s1]!, k[s2]!];
      assert.equal(new Set(abc).size, 3);
      assert.ok(abc.every((x) => x !== ds.ioIds[i] && x !== ds.sIds[i]));
    }
    // reproducible from the seed, different for another
    assert.deepEqual(ioiDataset(tok, { n: 40, seed: 3 }).tokens, ds.tokens);
    assert.notDeepEqual(ioiDataset(tok, { n: 40, seed: 4 }).tokens, ds.tokens);
    assert.throws(() => ioiDataset(tok, { n: 0 }), /n must be a positive integer/);
    assert.throws(() => ioiDataset(tok, { n: 4, names: ["Mary", "John", "Abcdefghijk"] }), /at least 5 names that are a single token/);
  });
});

describe("the pipeline on a tiny random GPT-2-shaped model", () => {
  let dir: string;
  let model: HookedTransformer;
  before(async () => {
    manualSeed(1);
    dir = join(tmp, "tiny-gpt2");
    await saveModelDir(dir, new HookedTransformer({ n_layers: 4, d_model: 16, n_heads: 2, d_head: 8, d_mlp: 32, d_vocab: 50257, n_ctx: 32, act_fn: "gelu_new" }));
    model = await loadModelDir(dir);
    model.eval();
  });

  test("right padding and the length groups agree: the padded forward's logit difference is the groups' path-patching clean value", () => {
    const ds = ioiDataset(tok, { n: 8, seed: 0 });
    assert.ok(ioiLengthGroups(ds).length > 1, "the prompts should have several lengths for this test to mean something");
    const perf = ioiPerformance(model, ds);
    const pp = ioiPathPatching(model, ds, "logits");
    assert.ok(Math.abs(perf.logitDiff - pp.clean) < 1e-4, `${perf.logitDiff} vs ${pp.clean}`);
    assert.ok(Math.abs(perf.abcLogitDiff - pp.corrupted) < 1e-4, `${perf.abcLogitDiff} vs ${pp.corrupted}`);
    assert.equal(perf.perPrompt.length, 8);
    // a receiver in layer 2 can only be reached from layers 0 and 1: the rest have no effect
    const toL2 = ioiPathPatching(model, ds, [[2, 0]], ["q"]);
    assert.deepEqual(toL2.effect.slice(2).flat(), [0, 0, 0, 0]);
    assert.ok(toL2.effect.slice(0, 2).flat().some((v) => v !== 0));
    assert.deepEqual(topHeads(toL2.effect, 1, "min", 2)[0]![0] < 2, true);
  });

  test("run(): every step of the trace, the checks table against the paper, and the figures", async () => {
    const phases = new Set<string>();
    const ctx: ReproContext = {
      full: false,
      seed: 0,
      options: { model: dir, prompts: "6" },
      progress: (phase) => void phases.add(phase),
      log: () => {},
      loadModel: async (spec) => ({ model: await loadModelDir(spec), tokenizer: null }),
    };
    const out = await ioi.run(ctx);
    assert.equal(out.skipped, undefined);
    assert.equal(out.settings.prompts, 6);
    assert.equal(out.checks.length, 10);
    for (const c of out.checks) assert.ok(c.what && c.paper && c.ours && c.tolerance && typeof c.pass === "boolean", JSON.stringify(c));
    assert.match(out.checks[0]!.paper, /3\.56/);
    const heads = out.data.heads as Record<string, string[]>;
    assert.equal(heads.nameMovers!.length, 3);
    assert.equal(heads.negativeNameMovers!.length, 2);
    const pp = out.data.pathPatching as Record<string, { effect: number[][] } | null>;
    assert.equal(pp.logits!.effect.length, 4);
    assert.equal(pp.logits!.effect[0]!.length, 2);
    // each later step's senders sit below its receivers
    const layers = (names: string[]) => names.map((s) => Number(s.split(".")[0]));
    assert.equal(heads.sInhibition!.length, 4, "this seed's name movers are not all in layer 0, so the trace goes on");
    assert.ok(Math.max(...layers(heads.sInhibition!)) < Math.max(...layers(heads.nameMovers!)));
    assert.ok(heads.inductionLike!.length > 0);
    assert.deepEqual([...heads.induction!, ...heads.duplicate!].sort(), [...heads.inductionLike!].sort());
    assert.ok(phases.has("heads → logits"));
    assert.ok(out.sections.some((s) => /Fig\. 3/.test(s.heading) && s.svg?.startsWith("<svg")));
    assert.ok(out.sections.some((s) => s.table?.header.includes("the paper's")));
  });

  test("a model that cannot be had is a skip with the reason, not an error", async () => {
    const out = await ioi.run({ full: false, seed: 0, options: {}, progress: () => {}, log: () => {}, loadModel: async () => Promise.reject(new ModelUnavailable("gpt2-small is not in the hub cache")) });
    assert.match(out.skipped ?? "", /gpt2-small is not in the hub cache.*GPT-2 small's trained weights/);
  });
});

describe("dgpt repro ioi", () => {
  const ENV = ["HF_HUB_CACHE", "HF_HOME", "HF_ENDPOINT", "HF_HUB_OFFLINE"] as const;
  const saved = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));
  after(() => {
    for (const k of ENV) if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  });

  test("without network or cache it says it skipped and exits 0", async () => {
    delete process.env.HF_HUB_CACHE;
    delete process.env.HF_HUB_OFFLINE;
    process.env.HF_HOME = mkdtempSync(join(tmp, "hf-home-"));
    process.env.HF_ENDPOINT = `http://127.0.0.1:${await closedPort()}`;
    const out = join(tmp, "skip.html");
    const r = await dgptHere(["repro", "ioi", "--out", out, "--json", join(tmp, "skip.json")]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /skipped: gpt2-small is not in the hub cache and cannot be downloaded here/);
    assert.ok(!existsSync(out), "no report for a skipped run");
  });

  test("on a checkpoint folder: the checks table, the JSON and the HTML report", async () => {
    const out = join(tmp, "ioi.html");
    const json = join(tmp, "ioi.json");
    const r = await dgptHere(["repro", "ioi", "--model", join(tmp, "tiny-gpt2"), "--prompts", "4", "--out", out, "--json", json]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /mean logit difference.*3\.560 ± 0\.750/);
    assert.match(r.out, /of 10 checks pass/);
    const rec = JSON.parse(readFileSync(json, "utf8")) as { checks: unknown[]; settings: { prompts: number } };
    assert.equal(rec.checks.length, 10);
    assert.equal(rec.settings.prompts, 4);
    assert.match(readFileSync(out, "utf8"), /Direct paths to the logits/);
  });

  test("a bad --prompts is an error that names the flag", async () => {
    const r = await dgptHere(["repro", "ioi", "--model", join(tmp, "tiny-gpt2"), "--prompts", "1", "--out", join(tmp, "bad.html"), "--json", join(tmp, "bad.json")]);
    assert.equal(r.code, 1);
    assert.match(r.err, /--prompts must be an integer from 2 to 10000, got "1"/);
  });
});
