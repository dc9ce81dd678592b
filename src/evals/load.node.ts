// A task from files: task.json (the config, see config.ts) and the JSONL files it names, one item
// per line. Every error says where: "task.json:7: generation_kwargs.until must be …" for the
// config (the line of the field's key), "items.jsonl:12: …" for an item.
import { dirname, join } from "node:path";
import { readTextFile } from "../data/corpus.node.js";
import { checkTaskConfig, type Locate } from "./config.js";
import { type Checker, defineTask, type Doc, type EvalTask } from "./task.js";

/** A task file is small; items files may be large, but not unbounded. */
const MAX_TASK_BYTES = 1 << 20;
const MAX_ITEMS_BYTES = 512 * (1 << 20);

/** The 1-based line of a character offset. */
function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** JSON.parse with the line of a syntax error in the message. */
function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const msg = (err as Error).message;
    const pos = /position (\d+)/.exec(msg);
    throw new Error(`${file}${pos ? `:${lineAt(text, Number(pos[1]))}` : ""}: not valid JSON (${msg})`);
  }
}

/**
 * Where a config field sits: the line of its top-level key ("generation_kwargs" for
 * "generation_kwargs.until") when the file has one, else the file alone (a missing field).
 */
function locator(text: string, file: string): Locate {
  return (field) => {
    const top = field.split(/[.[]/)[0];
    const m = new RegExp(`"${top.replace(/[\\^$.*+?()[\]{}|]/g, "\\$&")}"\\s*:`).exec(text);
    return m ? `${file}:${lineAt(text, m.index)}: ${field}` : `${file}: ${field}`;
  };
}

async function readText(path: string, maxBytes: number): Promise<string> {
  try {
    return await readTextFile(path, { maxBytes });
  } catch (err) {
    throw new Error((err as Error).message.replace(/^readTextFile: /, ""), { cause: err });
  }
}

/** The items of a JSONL file: one JSON object per non-blank line, each with its file:line. */
export async function readJsonl(path: string): Promise<{ docs: Doc[]; where: string[] }> {
  const text = await readText(path, MAX_ITEMS_BYTES);
  const docs: Doc[] = [];
  const where: string[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (line === "") return;
    const at = `${path}:${i + 1}`;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (err) {
      throw new Error(`${at}: not valid JSON (${(err as Error).message}); each line must be one JSON object (JSONL)`);
    }
    if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error(`${at}: each line must be one JSON object, got ${line.slice(0, 60)}`);
    docs.push(v as Doc);
    where.push(at);
  });
  if (docs.length === 0) throw new Error(`${path}: no items (it has no non-blank lines)`);
  return { docs, where };
}

export interface LoadTaskOptions {
  /** A checker for task-specific metrics (library use; a file cannot hold code). */
  checker?: Checker;
}

/** Loads task.json and its item files; paths in it are relative to its folder. */
export async function loadTaskFile(path: string, opts: LoadTaskOptions = {}): Promise<EvalTask> {
  const text = await readText(path, MAX_TASK_BYTES);
  const json = parseJson(text, path);
  const locate = locator(text, path);
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw new Error(`${path}: a task file is a JSON object with task, test_split, output_type, doc_to_text, doc_to_target, …`);
  const c = json as Record<string, unknown>;
  checkTaskConfig(json, locate, opts.checker?.metrics ?? []); // the config's own errors first, before any item is read
  if (c.test_split === undefined) throw new Error(`${locate("test_split")}: missing; name the JSONL file of items to evaluate (relative to the task file)`);
  for (const k of ["test_split", "fewshot_split"]) if (c[k] !== undefined && (typeof c[k] !== "string" || c[k] === "")) throw new Error(`${locate(k)} must be a file path (a string)`);
  const dir = dirname(path);
  const test = await readJsonl(join(dir, c.test_split as string));
  const fewshot = c.fewshot_split !== undefined ? await readJsonl(join(dir, c.fewshot_split as string)) : null;
  return defineTask(json, test.docs, {
    where: test.where,
    ...(fewshot ? { fewshotDocs: fewshot.docs, fewshotWhere: fewshot.where } : {}),
    ...(opts.checker ? { checker: opts.checker } : {}),
    locate,
  });
}
