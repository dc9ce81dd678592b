// A task ready to run: its config with defaults filled in, and its items with every template
// already rendered. Rendering all items up front means a template that names a missing field
// fails before any model work, with the item's file:line and the template's name.
import { checkTaskConfig, type Locate, type ResolvedTaskConfig } from "./config.js";
import { type Doc, parseTemplate, renderTemplate, type Template, templateValue } from "./template.js";

export type { Doc } from "./template.js";

/** One item, rendered. */
export interface EvalItem {
  /** The item as given. */
  readonly doc: Doc;
  /** Where it came from, for messages and the per-item results: "items.jsonl:3", or "item 3". */
  readonly where: string;
  /** doc_to_text: the prompt. */
  readonly text: string;
  /** doc_to_target: the answer text (for multiple choice: the correct choice). */
  readonly target: string;
  /** multiple_choice: the choices, and the index of the correct one. */
  readonly choices?: readonly string[];
  readonly gold?: number;
}

/**
 * Scores a generation in a task-specific way (e.g. is this a valid path through the maze?):
 * metric name → value, for the metrics it lists. Built-in tasks have one; a task file cannot
 * (it holds no code), but a library user can pass one to defineTask.
 */
export interface Checker {
  readonly metrics: readonly string[];
  check(response: string, doc: Doc): Record<string, number>;
}

export interface EvalTask {
  readonly name: string;
  readonly config: ResolvedTaskConfig;
  readonly items: readonly EvalItem[];
  /** Where few-shot examples come from; null: the test items themselves (never the item being asked). */
  readonly fewshotItems: readonly EvalItem[] | null;
  readonly checker?: Checker;
}

export interface DefineTaskOptions {
  /** Where each doc came from ("items.jsonl:3"); default "item 1", "item 2", … */
  where?: readonly string[];
  /** Items to draw few-shot examples from, and where each came from. */
  fewshotDocs?: readonly Doc[];
  fewshotWhere?: readonly string[];
  checker?: Checker;
  /** Names a config field's place in its file, for errors (see loadTaskFile). */
  locate?: Locate;
}

interface Templates {
  text: Template;
  target: Template;
  choice?: Template | Template[];
}

function choicesOf(t: Templates, doc: Doc, where: string): string[] {
  const c = t.choice!;
  if (Array.isArray(c)) return c.map((tc) => renderTemplate(tc, doc, where, "doc_to_choice"));
  const v = templateValue(c, doc, where, "doc_to_choice");
  if (v === undefined) throw new Error(`${where}: doc_to_choice "${c.source}" must name one array field ("{{choices}}") or be a list of templates`);
  if (!Array.isArray(v) || v.length < 2 || !v.every((x) => typeof x === "string" || typeof x === "number")) {
    throw new Error(`${where}: doc_to_choice ${c.source} must be an array of at least 2 strings here, got ${JSON.stringify(v)?.slice(0, 80)}`);
  }
  return v.map(String);
}

/**
 * The index of the correct choice: a number field is the index; a text is the choice it equals,
 * or else (as lm-eval reads "2") a choice index written as digits.
 */
function goldOf(t: Templates, doc: Doc, choices: readonly string[], where: string): number {
  const v = templateValue(t.target, doc, where, "doc_to_target");
  if (typeof v === "number") {
    if (!Number.isInteger(v) || v < 0 || v >= choices.length) throw new Error(`${where}: doc_to_target ${t.target.source} is ${v}, not a choice index 0..${choices.length - 1}`);
    return v;
  }
  const text = renderTemplate(t.target, doc, where, "doc_to_target");
  const i = choices.indexOf(text);
  if (i >= 0) return i;
  if (/^\d+$/.test(text) && Number(text) < choices.length) return Number(text);
  throw new Error(`${where}: doc_to_target gives ${JSON.stringify(text)}, which is none of the choices (${choices.map((s) => JSON.stringify(s)).join(", ")}) and no choice index`);
}

function renderItem(t: Templates, outputType: string, doc: unknown, where: string): EvalItem {
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) throw new Error(`${where}: an item must be a JSON object, got ${JSON.stringify(doc)?.slice(0, 80)}`);
  const d = doc as Doc;
  const text = renderTemplate(t.text, d, where, "doc_to_text");
  if (outputType !== "multiple_choice") return { doc: d, where, text, target: renderTemplate(t.target, d, where, "doc_to_target") };
  const choices = choicesOf(t, d, where);
  const gold = goldOf(t, d, choices, where);
  return { doc: d, where, text, target: choices[gold], choices, gold };
}

/** A task from a config (checked; see checkTaskConfig) and its items (each rendered and checked). */
export function defineTask(config: unknown, docs: readonly Doc[], opts: DefineTaskOptions = {}): EvalTask {
  const locate = opts.locate ?? ((f: string) => `task config: ${f}`);
  const cfg = checkTaskConfig(config, locate, opts.checker?.metrics ?? []);
  const templates: Templates = {
    text: parseTemplate(cfg.doc_to_text, locate("doc_to_text")),
    target: parseTemplate(cfg.doc_to_target, locate("doc_to_target")),
  };
  if (cfg.doc_to_choice !== undefined) {
    templates.choice = Array.isArray(cfg.doc_to_choice)
      ? cfg.doc_to_choice.map((s, i) => parseTemplate(s, locate(`doc_to_choice[${i}]`)))
      : parseTemplate(cfg.doc_to_choice, locate("doc_to_choice"));
  }
  if (!Array.isArray(docs) || docs.length === 0) throw new Error(`${cfg.task}: no items to evaluate`);
  const at = (list: readonly string[] | undefined, i: number, kind: string) => list?.[i] ?? `${kind} ${i + 1}`;
  const items = docs.map((d, i) => renderItem(templates, cfg.output_type, d, at(opts.where, i, "item")));
  const fewshotItems = opts.fewshotDocs ? opts.fewshotDocs.map((d, i) => renderItem(templates, cfg.output_type, d, at(opts.fewshotWhere, i, "few-shot item"))) : null;
  if (fewshotItems !== null && fewshotItems.length < cfg.num_fewshot) throw new Error(`${locate("num_fewshot")}: ${cfg.num_fewshot} examples per prompt, but the few-shot items are only ${fewshotItems.length}`);
  return { name: cfg.task, config: cfg, items, fewshotItems, ...(opts.checker ? { checker: opts.checker } : {}) };
}
