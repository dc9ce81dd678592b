// Prompt templates: "Question: {{question}}\nAnswer:" with each {{field}} replaced by that field
// of an item. The same double braces as lm-evaluation-harness's Jinja templates, with only what
// an eval needs: field names, dotted paths into nested objects ({{meta.source}}) and array
// indices ({{choices.0}}). No expressions, loops or filters — a template that needs logic is a
// sign the item file should hold the value ready-made.

export type Doc = Record<string, unknown>;

/** A template cut into literal text and field references. */
export interface Template {
  readonly source: string;
  readonly parts: readonly (string | { readonly path: readonly string[]; readonly name: string })[];
}

const FIELD = /^[A-Za-z_][\w-]*(\.[\w-]+)*$/;

/** Parses a template; `where` names it in errors (e.g. "task.json:4: doc_to_text"). */
export function parseTemplate(source: string, where: string): Template {
  if (typeof source !== "string") throw new Error(`${where} must be a string template such as "{{question}}", got ${JSON.stringify(source)}`);
  const parts: Template["parts"][number][] = [];
  let i = 0;
  while (i < source.length) {
    const open = source.indexOf("{{", i);
    if (open < 0) {
      parts.push(source.slice(i));
      break;
    }
    if (open > i) parts.push(source.slice(i, open));
    const close = source.indexOf("}}", open + 2);
    if (close < 0) throw new Error(`${where}: "{{" at character ${open} is never closed with "}}"`);
    const name = source.slice(open + 2, close).trim();
    if (!FIELD.test(name)) throw new Error(`${where}: {{${source.slice(open + 2, close)}}} is not a field name (letters, digits and _, with dots for nested fields: {{question}}, {{meta.source}}, {{choices.0}})`);
    parts.push({ path: name.split("."), name });
    i = close + 2;
  }
  return { source, parts };
}

/** The field names a template uses, in order, without repeats. */
export function templateFields(t: Template): string[] {
  return [...new Set(t.parts.filter((p) => typeof p !== "string").map((p) => (p as { name: string }).name))];
}

function lookup(doc: Doc, path: readonly string[]): { found: boolean; value: unknown } {
  let v: unknown = doc;
  for (const key of path) {
    if (v === null || typeof v !== "object" || !Object.hasOwn(v, key)) return { found: false, value: undefined };
    v = (v as Record<string, unknown>)[key];
  }
  return { found: true, value: v };
}

function missing(t: Template, name: string, doc: Doc, where: string, field: string): Error {
  const has = Object.keys(doc);
  return new Error(`${where}: ${field} uses {{${name}}}, but this item has no field "${name}" (it has ${has.length ? has.join(", ") : "no fields"})`);
}

/**
 * The field's value itself when the template is exactly one {{field}} (so "{{choices}}" can be
 * an array and "{{label}}" a number), else undefined. Errors name `where` (the item's file:line)
 * and `field` (which template).
 */
export function templateValue(t: Template, doc: Doc, where: string, field: string): unknown {
  if (t.parts.length !== 1 || typeof t.parts[0] === "string") return undefined;
  const ref = t.parts[0];
  const { found, value } = lookup(doc, ref.path);
  if (!found) throw missing(t, ref.name, doc, where, field);
  return value;
}

/** The template with every {{field}} replaced by the item's value (strings as they are, numbers and booleans written out). */
export function renderTemplate(t: Template, doc: Doc, where: string, field: string): string {
  let out = "";
  for (const p of t.parts) {
    if (typeof p === "string") {
      out += p;
      continue;
    }
    const { found, value } = lookup(doc, p.path);
    if (!found) throw missing(t, p.name, doc, where, field);
    if (typeof value === "string") out += value;
    else if (typeof value === "number" || typeof value === "boolean") out += String(value);
    else throw new Error(`${where}: ${field} uses {{${p.name}}}, which is ${value === null ? "null" : Array.isArray(value) ? "an array" : "an object"} here; a template can only write strings, numbers and booleans`);
  }
  return out;
}
