// Guard for DESIGN.md's "Layers": a module of src/ imports only from its own layer or from the
// layers listed before it (kernels first, apps last; DESIGN.md says "above it", the messages
// below say the importer reached "a layer below it"), and no file of src/ reaches itself through
// its imports (an import cycle). The imports are read with the TypeScript parser, so every form
// counts: `import … from`, `export … from`, `import "…"`, `import("…")` and `import("…").T` types.
//
// Type-only imports count too. They vanish from the JavaScript, but they are still a dependency
// a reader has to follow: a cycle of types means neither file can be read, compiled on its own or
// moved without the other, and a type from a lower layer (say a trainer's options in an analysis)
// ties the upper layer's meaning to it just as a call would.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, test } from "node:test";
import ts from "typescript";

/**
 * DESIGN.md's table, in its order, as folders of src/. Three folders the table does not name:
 *   - linalg (dense/sparse matrices, eigen- and singular values over tensors) sits with nn and
 *     optim: numerical building blocks on tensors that models and analyses use;
 *   - plot (SVG/HTML figures; writes files through io) sits with tokenizers and data: above io,
 *     below train, which draws loss curves;
 *   - demos (fit a function, classify spirals: they train small networks) are experiments;
 *   - scaling (parameter and FLOP counts, the Chinchilla law and its fits) is an analysis, with
 *     interp and sae; the sweep that trains the runs is an experiment (experiments/scaling-sweep.ts).
 * The package entry (src/index.ts, src/node.ts: the files directly in src/) re-exports the whole
 * library, and the apps call the library through it, so it sits between experiments and apps.
 * The exercises (src/exercises: statements, checks, the grader) call the library only through
 * the package entry, as a student's solution does, and the CLI calls them: between the two.
 */
const ENTRY = "package entry";
const LAYERS: { layer: string; folders: string[] }[] = [
  { layer: "kernels", folders: ["backend"] },
  { layer: "tensor", folders: ["tensor"] },
  { layer: "nn, optim", folders: ["nn", "optim", "linalg"] },
  { layer: "io", folders: ["io"] },
  { layer: "tokenizers, data", folders: ["tokenizers", "data", "plot"] },
  { layer: "models", folders: ["models"] },
  { layer: "train", folders: ["train"] },
  { layer: "interp, sae, align, evals", folders: ["interp", "sae", "align", "steer", "evals", "scaling"] },
  { layer: "experiments", folders: ["experiments", "demos"] },
  { layer: ENTRY, folders: [] },
  { layer: "exercises", folders: ["exercises"] },
  { layer: "apps", folders: ["cli", "server", "web"] },
];

/**
 * Narrower than the table: folders that must not import a folder listed before them. DESIGN.md
 * lets the interp/sae/align/evals layer use the training API (an SAE or a DPO run trains), but
 * an analysis in src/interp works on whatever model it is given (issue #10).
 */
const NOT_FROM: { from: string; to: string; why: string }[] = [
  { from: "interp", to: "train", why: "an analysis takes a model; code that trains one is an experiment (src/experiments/)" },
  { from: "scaling", to: "train", why: "the laws are fitted to runs, whoever trained them; the sweep that trains them is an experiment (src/experiments/scaling-sweep.ts)" },
];

/**
 * Imports allowed although they break a rule above, as "from -> to" (paths under src/), each
 * with the reason. Keep this list short: the fix is to move code, not to add a line here.
 */
const KNOWN_EXCEPTIONS: Record<string, string> = {};

/**
 * Imports allowed to close an import cycle, as "from -> to" ("*" matches within a file name),
 * each with the reason. Without them the graph must be acyclic.
 */
const KNOWN_CYCLE_EDGES: Record<string, string> = {
  "tensor/tensor.ts -> tensor/ops/*.ts":
    "Tensor's methods (x.add(y), x.matmul(w)) are the fluent face of the op files, as in PyTorch, and each op makes Tensors; the methods call the ops only after every module has loaded",
  "tensor/autograd.ts -> tensor/tensor.ts":
    "type-only: the tape and the Tensor are one idea (micrograd keeps them in one class); Tensor records ops with attach() and runs runBackward(), the tape's nodes hold Tensors",
};

/** Whether an import matches a "from -> to" pattern of an exception list. */
function listed(e: Edge, list: Record<string, string>): boolean {
  const glob = (p: string) => new RegExp(`^${p.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*")}$`);
  return Object.keys(list).some((k) => {
    const [from, to] = k.split(" -> ");
    return glob(from).test(e.from) && glob(to).test(e.to);
  });
}

/** AssemblyScript sources: compiled to WebAssembly by asc, not modules of the library (tsconfig excludes them too). */
const SKIP = ["backend/wasm/assembly"];

/** The layer of a file (its path under src/, with "/") and its rank in LAYERS: 0 = kernels, … */
function layerOf(file: string): { rank: number; layer: string } {
  const parts = file.split("/");
  const rank = parts.length === 1 ? LAYERS.findIndex((l) => l.layer === ENTRY) : LAYERS.findIndex((l) => l.folders.includes(parts[0]));
  if (rank < 0) throw new Error(`src/${parts[0]}/ is in no layer: add it to LAYERS in test/layers.test.ts (and to DESIGN.md's table)`);
  return { rank, layer: LAYERS[rank].layer };
}

/** One import of a file: the module specifier and whether only types come through it. */
interface ImportRef {
  specifier: string;
  typeOnly: boolean;
}

/** Every import and re-export of a TypeScript source, from its syntax tree. */
function importsOf(fileName: string, source: string): ImportRef[] {
  const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true);
  const out: ImportRef[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      // `import type {…}`, or `import { type A, type B }` with every name marked type
      const named = clause?.namedBindings && ts.isNamedImports(clause.namedBindings) ? clause.namedBindings.elements : undefined;
      const typeOnly = !!clause && (clause.isTypeOnly || (!clause.name && !!named && named.length > 0 && named.every((e) => e.isTypeOnly)));
      out.push({ specifier: node.moduleSpecifier.text, typeOnly });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const named = node.exportClause && ts.isNamedExports(node.exportClause) ? node.exportClause.elements : undefined;
      out.push({ specifier: node.moduleSpecifier.text, typeOnly: node.isTypeOnly || (!!named && named.length > 0 && named.every((e) => e.isTypeOnly)) });
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments.length > 0 && ts.isStringLiteral(node.arguments[0])) {
      out.push({ specifier: node.arguments[0].text, typeOnly: false });
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      out.push({ specifier: node.argument.literal.text, typeOnly: true });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

/** An import between two files of src/ (paths under src/). */
interface Edge {
  from: string;
  to: string;
  typeOnly: boolean;
}

/**
 * The file a relative specifier names, under src/ (NodeNext style: "./x.js" is x.ts, a folder
 * is its index.ts); null for packages and node: modules. `exists` says whether a path under src/ is a file.
 */
function resolveImport(from: string, specifier: string, exists: (file: string) => boolean): string | null {
  if (!specifier.startsWith(".")) return null;
  const base = join(dirname(from), specifier).split("\\").join("/");
  const candidates = [base.replace(/\.js$/, ".ts"), base, `${base}.ts`, `${base}/index.ts`];
  const hit = candidates.find(exists);
  if (!hit) throw new Error(`${from}: cannot resolve "${specifier}"`);
  return hit;
}

/** The import graph of a set of files (path under src/ → source text). Imports leaving src/ are an error. */
function importGraph(files: Map<string, string>): Edge[] {
  const edges: Edge[] = [];
  for (const [from, source] of files) {
    for (const { specifier, typeOnly } of importsOf(from, source)) {
      const to = resolveImport(from, specifier, (f) => files.has(f) || f.endsWith(".json"));
      if (to === null) continue;
      if (to.startsWith("..")) throw new Error(`${from}: "${specifier}" reaches outside src/`);
      edges.push({ from, to, typeOnly });
    }
  }
  return edges;
}

/** Imports that break the layering: to a layer listed after the importer's, or against NOT_FROM. */
function layerViolations(edges: Edge[], exceptions: Record<string, string> = KNOWN_EXCEPTIONS): string[] {
  const out: string[] = [];
  for (const e of edges) {
    if (listed(e, exceptions)) continue;
    const a = layerOf(e.from);
    const b = layerOf(e.to);
    const what = `${e.from} -> ${e.to}${e.typeOnly ? " (type-only)" : ""}`;
    if (b.rank > a.rank) out.push(`${what}: ${a.layer} imports from ${b.layer}, a layer below it`);
    const rule = NOT_FROM.find((r) => e.from.startsWith(`${r.from}/`) && e.to.startsWith(`${r.to}/`));
    if (rule) out.push(`${what}: src/${rule.from} must not import src/${rule.to}: ${rule.why}`);
  }
  return out;
}

/**
 * The import cycles: each strongly connected component of the graph with more than one file (or a
 * file importing itself), found with Tarjan's algorithm, reported as one closed path through it.
 */
function importCycles(allEdges: Edge[], allowed: Record<string, string> = KNOWN_CYCLE_EDGES): string[][] {
  const edges = allEdges.filter((e) => !listed(e, allowed));
  const next = new Map<string, string[]>();
  for (const e of edges) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  const nodes = [...new Set(edges.flatMap((e) => [e.from, e.to]))].sort();
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  const strongConnect = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        strongConnect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (next.get(v) ?? []).includes(v)) components.push(component);
    }
  };
  for (const v of nodes) if (!index.has(v)) strongConnect(v);
  // a readable witness: the shortest path from the component's first file back to itself
  return components.map((c) => {
    const inside = new Set(c);
    const start = [...c].sort()[0];
    const prev = new Map<string, string>();
    const queue = [start];
    while (queue.length) {
      const v = queue.shift()!;
      for (const w of next.get(v) ?? []) {
        if (!inside.has(w)) continue;
        if (w === start) {
          const path = [start];
          for (let u = v; u !== start; u = prev.get(u)!) path.splice(1, 0, u);
          return [...path, start];
        }
        if (!prev.has(w)) {
          prev.set(w, v);
          queue.push(w);
        }
      }
    }
    return [...c, c[0]];
  });
}

/** Every .ts file under `root` (paths relative to it, with "/"), minus SKIP. */
function readSources(root: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      const rel = relative(root, full).split("\\").join("/");
      if (SKIP.includes(rel)) continue;
      if (statSync(full).isDirectory()) walk(full);
      else if (name.endsWith(".ts")) files.set(rel, readFileSync(full, "utf8"));
    }
  };
  walk(root);
  return files;
}

const SRC = resolve(import.meta.dirname, "../src");

describe("layers (DESIGN.md)", () => {
  const files = readSources(SRC);
  const edges = importGraph(files);

  test("the scan sees the library: many files and imports, every folder in a layer", () => {
    assert.ok(files.size > 100 && edges.length > 300, `${files.size} files, ${edges.length} imports`);
    for (const f of files.keys()) layerOf(f);
  });

  test("no module imports from a layer below its own", () => {
    assert.deepEqual(layerViolations(edges), []);
  });

  test("every known exception still matches an import (delete the ones that were fixed)", () => {
    const unused = (list: Record<string, string>) => Object.keys(list).filter((k) => !edges.some((e) => listed(e, { [k]: "" })));
    assert.deepEqual([...unused(KNOWN_EXCEPTIONS), ...unused(KNOWN_CYCLE_EDGES)], []);
  });

  test("no import cycles between files of src/, type-only imports included", () => {
    assert.deepEqual(importCycles(edges).map((c) => c.join(" -> ")), []);
  });
});

describe("the layer checker itself", () => {
  const graph = (sources: Record<string, string>) => importGraph(new Map(Object.entries(sources)));

  test("reads every import form, and which ones are type-only", () => {
    const refs = importsOf("x.ts", [
      `import { a } from "./a.js";`,
      `import type { B } from "./b.js";`,
      `import { type C, type D } from "./c.js";`,
      `import { type E, f } from "./e.js";`,
      `import "./g.js";`,
      `export * from "./h.js";`,
      `export type { I } from "./i.js";`,
      `const j = await import("./j.js");`,
      `let k: import("./k.js").K;`,
      `// import { z } from "./not-an-import.js";`,
      `const s = 'import { y } from "./not-either.js"';`,
    ].join("\n"));
    assert.deepEqual(refs, [
      { specifier: "./a.js", typeOnly: false },
      { specifier: "./b.js", typeOnly: true },
      { specifier: "./c.js", typeOnly: true },
      { specifier: "./e.js", typeOnly: false },
      { specifier: "./g.js", typeOnly: false },
      { specifier: "./h.js", typeOnly: false },
      { specifier: "./i.js", typeOnly: true },
      { specifier: "./j.js", typeOnly: false },
      { specifier: "./k.js", typeOnly: true },
    ]);
  });

  test("an analysis importing the trainer is a violation; the trainer importing a model is not", () => {
    const edges = graph({
      "interp/induction.ts": `import { Trainer } from "../train/trainer.js";`,
      "train/trainer.ts": `import type { HookedTransformer } from "../models/gpt/model.js";`,
      "models/gpt/model.ts": `import { Tensor } from "../../tensor/index.js";`,
      "tensor/index.ts": ``,
    });
    assert.deepEqual(layerViolations(edges, {}), ["interp/induction.ts -> train/trainer.ts: src/interp must not import src/train: " + NOT_FROM[0].why]);
    assert.deepEqual(layerViolations(edges, { "interp/induction.ts -> train/trainer.ts": "why" }), []);
    // an SAE may train (DESIGN.md); a model must not reach up into the trainer, nor the library into the CLI
    assert.deepEqual(layerViolations(graph({ "sae/train.ts": `import "../train/trainer.js";`, "train/trainer.ts": "" }), {}), []);
    assert.deepEqual(layerViolations(graph({ "models/a.ts": `import type { T } from "../train/trainer.js";`, "train/trainer.ts": "" }), {}), ["models/a.ts -> train/trainer.ts (type-only): models imports from train, a layer below it"]);
    assert.equal(layerViolations(graph({ "index.ts": `export * from "./cli/main.js";`, "cli/main.ts": `import "../node.js";`, "node.ts": "" }), {}).length, 1);
  });

  test("a type-only cycle is a cycle, reported as a closed path; an acyclic graph has none", () => {
    const cyclic = graph({
      "models/gpt/model.ts": `import { ActivationCache } from "./activation-cache.js";\nimport { nearest } from "./names.js";`,
      "models/gpt/activation-cache.ts": `import type { HookedTransformer } from "./model.js";\nimport { nearest } from "./names.js";`,
      "models/gpt/names.ts": ``,
    });
    assert.deepEqual(importCycles(cyclic, {}), [["models/gpt/activation-cache.ts", "models/gpt/model.ts", "models/gpt/activation-cache.ts"]]);
    assert.deepEqual(importCycles(cyclic, { "models/gpt/activation-cache.ts -> models/gpt/model.ts": "why" }), []);
    const acyclic = graph({
      "models/gpt/model.ts": `import { ActivationCache } from "./activation-cache.js";`,
      "models/gpt/activation-cache.ts": `import { getActName } from "./names.js";`,
      "models/gpt/names.ts": ``,
    });
    assert.deepEqual(importCycles(acyclic, {}), []);
  });

  test("a folder outside the table and an unresolvable import are errors, not silently passed", () => {
    assert.throws(() => layerOf("widgets/x.ts"), /in no layer/);
    assert.throws(() => graph({ "models/a.ts": `import "./missing.js";` }), /cannot resolve/);
    assert.equal(layerOf("index.ts").layer, ENTRY);
  });
});
