// A task's configuration: the fields of an lm-evaluation-harness task YAML that an eval on local
// items needs, with the same names (doc_to_text, doc_to_target, doc_to_choice, target_delimiter,
// fewshot_delimiter, num_fewshot, output_type, generation_kwargs.until, metric_list, filter_list),
// written as JSON. checkTaskConfig validates one and fills in lm-eval's defaults; every error
// names the field and, through `locate`, the file and line it sits on.

/** How an item is scored (lm-eval's output_type). */
export type OutputType = "multiple_choice" | "loglikelihood" | "generate_until";
export const OUTPUT_TYPES: readonly OutputType[] = ["multiple_choice", "loglikelihood", "generate_until"];

/** The metrics each output type can compute (a task's checker adds its own to generate_until). */
export const METRICS_OF: Record<OutputType, readonly string[]> = {
  multiple_choice: ["acc", "acc_norm"],
  loglikelihood: ["acc", "perplexity"],
  generate_until: ["exact_match"],
};

export interface MetricSpec {
  metric: string;
  /** exact_match options, as Hugging Face's exact_match metric names them. */
  ignore_case?: boolean;
  ignore_punctuation?: boolean;
  regexes_to_ignore?: string[];
  /** exact_match: leading and trailing whitespace does not count (default true; false compares raw). */
  strip?: boolean;
  /** Accepted for lm-eval files; only the defaults are supported (mean; perplexity for perplexity). */
  aggregation?: string;
  higher_is_better?: boolean;
}

/** One step of a filter pipeline applied to a generation before it is scored (lm-eval's filters). */
export interface FilterStep {
  function: "regex" | "lowercase" | "uppercase" | "remove_whitespace" | "take_first";
  /** regex: the pattern whose match is kept (the first non-empty capture group, else the whole match). */
  regex_pattern?: string;
  /** regex: which match when there are several (0 the first, -1 the last). */
  group_select?: number;
  /** regex: the answer when nothing matches. */
  fallback?: string;
}

export interface FilterPipeline {
  name: string;
  filter: FilterStep[];
}

export interface GenerationKwargs {
  /** Stop at the first of these strings (it is cut off); default: the fewshot_delimiter. */
  until?: string[];
  /** At most this many new tokens (default 256). */
  max_gen_toks?: number;
  /** 0 (the default) is greedy. */
  temperature?: number;
  /** false (the default) is greedy whatever the temperature, as in lm-eval. */
  do_sample?: boolean;
}

/** A task file's fields. The item files are paths relative to the task file. */
export interface TaskConfig {
  task: string;
  /** The items to evaluate, one JSON object per line (JSONL). */
  test_split?: string;
  /** Items to draw few-shot examples from (default: the test items, never the item itself). */
  fewshot_split?: string;
  output_type: OutputType;
  doc_to_text: string;
  doc_to_target: string;
  /** multiple_choice: a list of templates, or one template naming an array field ("{{choices}}"). */
  doc_to_choice?: string | string[];
  /** Put before every prompt (e.g. "The following are questions about geography.\n\n"). */
  description?: string;
  target_delimiter?: string;
  fewshot_delimiter?: string;
  num_fewshot?: number;
  generation_kwargs?: GenerationKwargs;
  metric_list?: MetricSpec[];
  filter_list?: FilterPipeline[];
  /** Free-form (lm-eval keeps a version here). */
  metadata?: Record<string, unknown>;
}

/** A config with every default filled in. */
export type ResolvedTaskConfig = Required<Omit<TaskConfig, "test_split" | "fewshot_split" | "doc_to_choice" | "metadata">> &
  Pick<TaskConfig, "test_split" | "fewshot_split" | "doc_to_choice" | "metadata"> & { generation_kwargs: Required<GenerationKwargs> };

const FIELDS = [
  "task", "test_split", "fewshot_split", "output_type", "doc_to_text", "doc_to_target", "doc_to_choice", "description",
  "target_delimiter", "fewshot_delimiter", "num_fewshot", "generation_kwargs", "metric_list", "filter_list", "metadata",
];

/** lm-eval fields with no meaning here, and what to do instead. */
const NOT_HERE: Record<string, string> = {
  dataset_path: "give the items as a JSONL file in test_split",
  dataset_name: "give the items as a JSONL file in test_split",
  dataset_kwargs: "give the items as a JSONL file in test_split",
  training_split: "give few-shot items as a JSONL file in fewshot_split",
  validation_split: "give the items as a JSONL file in test_split",
  process_docs: "write the items ready-made into the JSONL file",
  process_results: "use metric_list, filter_list, or a checker in the library",
};

/** Where a field is, for messages: "task.json:7: generation_kwargs.until". */
export type Locate = (field: string) => string;

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0];
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j];
      d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return d[b.length];
}

function unknownField(name: string, known: readonly string[], at: string): Error {
  if (Object.hasOwn(NOT_HERE, name)) return new Error(`${at}: "${name}" is an lm-evaluation-harness field this harness does not take: ${NOT_HERE[name]}`);
  const near = known.filter((k) => distance(k, name) <= 2);
  return new Error(`${at}: unknown field "${name}"${near.length ? ` (did you mean ${near.map((n) => `"${n}"`).join(" or ")}?)` : ""}; the fields are ${known.join(", ")}`);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === "string");

function checkRegex(pattern: string, at: string): void {
  try {
    new RegExp(pattern, "u");
  } catch (err) {
    throw new Error(`${at}: not a regular expression: ${(err as Error).message}`);
  }
}

function checkMetric(m: unknown, i: number, allowed: readonly string[], locate: Locate): MetricSpec {
  const at = locate(`metric_list[${i}]`);
  if (!isObject(m)) throw new Error(`${at} must be an object such as {"metric": "${allowed[0]}"}`);
  for (const k of Object.keys(m)) if (!["metric", "ignore_case", "ignore_punctuation", "regexes_to_ignore", "strip", "aggregation", "higher_is_better"].includes(k)) throw unknownField(k, ["metric", "ignore_case", "ignore_punctuation", "regexes_to_ignore", "strip", "aggregation", "higher_is_better"], at);
  if (typeof m.metric !== "string" || !allowed.includes(m.metric)) throw new Error(`${at}.metric must be one of ${allowed.join(", ")} for this output_type, got ${JSON.stringify(m.metric)}`);
  for (const k of ["ignore_case", "ignore_punctuation", "strip", "higher_is_better"]) if (m[k] !== undefined && typeof m[k] !== "boolean") throw new Error(`${at}.${k} must be true or false, got ${JSON.stringify(m[k])}`);
  if (m.regexes_to_ignore !== undefined) {
    if (!isStringList(m.regexes_to_ignore)) throw new Error(`${at}.regexes_to_ignore must be a list of regular expressions`);
    m.regexes_to_ignore.forEach((r, j) => checkRegex(r, `${at}.regexes_to_ignore[${j}]`));
  }
  const exactOnly = ["ignore_case", "ignore_punctuation", "regexes_to_ignore", "strip"].filter((k) => m[k] !== undefined);
  if (exactOnly.length > 0 && m.metric !== "exact_match") throw new Error(`${at}: ${exactOnly.join(", ")} ${exactOnly.length > 1 ? "are options" : "is an option"} of exact_match, not of ${m.metric}`);
  const aggregation = m.metric === "perplexity" ? "perplexity" : "mean";
  if (m.aggregation !== undefined && m.aggregation !== aggregation) throw new Error(`${at}.aggregation: ${m.metric} is aggregated by ${aggregation} here, got ${JSON.stringify(m.aggregation)}`);
  return m as unknown as MetricSpec;
}

function checkFilters(v: unknown, locate: Locate): FilterPipeline[] {
  const at = locate("filter_list");
  if (!Array.isArray(v) || v.length === 0) throw new Error(`${at} must be a non-empty list of {"name": ..., "filter": [...]}`);
  const names = new Set<string>();
  return v.map((p, i) => {
    const pat = `${at}[${i}]`;
    if (!isObject(p)) throw new Error(`${pat} must be an object {"name": ..., "filter": [...]}`);
    for (const k of Object.keys(p)) if (k !== "name" && k !== "filter") throw unknownField(k, ["name", "filter"], pat);
    if (typeof p.name !== "string" || p.name === "") throw new Error(`${pat}.name must be a non-empty string`);
    if (names.has(p.name)) throw new Error(`${pat}.name "${p.name}" is used twice`);
    names.add(p.name);
    if (!Array.isArray(p.filter) || p.filter.length === 0) throw new Error(`${pat}.filter must be a non-empty list of steps such as {"function": "regex", "regex_pattern": "..."}`);
    p.filter.forEach((s, j) => {
      const sat = `${pat}.filter[${j}]`;
      if (!isObject(s)) throw new Error(`${sat} must be an object {"function": ...}`);
      const fns = ["regex", "lowercase", "uppercase", "remove_whitespace", "take_first"];
      if (typeof s.function !== "string" || !fns.includes(s.function)) throw new Error(`${sat}.function must be one of ${fns.join(", ")}, got ${JSON.stringify(s.function)}`);
      const keys = s.function === "regex" ? ["function", "regex_pattern", "group_select", "fallback"] : ["function"];
      for (const k of Object.keys(s)) if (!keys.includes(k)) throw unknownField(k, keys, sat);
      if (s.function === "regex") {
        if (typeof s.regex_pattern !== "string") throw new Error(`${sat}.regex_pattern must be a regular expression (a string)`);
        checkRegex(s.regex_pattern, `${sat}.regex_pattern`);
        if (s.group_select !== undefined && !Number.isSafeInteger(s.group_select)) throw new Error(`${sat}.group_select must be an integer (0 the first match, -1 the last)`);
        if (s.fallback !== undefined && typeof s.fallback !== "string") throw new Error(`${sat}.fallback must be a string`);
      }
    });
    return p as unknown as FilterPipeline;
  });
}

/**
 * Validates a task config (parsed JSON) and fills in lm-eval's defaults: target_delimiter " ",
 * fewshot_delimiter "\n\n", num_fewshot 0, until [fewshot_delimiter], max_gen_toks 256, greedy,
 * the output type's metrics, the filter "none". `extraMetrics` are metrics a checker computes.
 */
export function checkTaskConfig(json: unknown, locate: Locate = (f) => `task config: ${f}`, extraMetrics: readonly string[] = []): ResolvedTaskConfig {
  if (!isObject(json)) throw new Error(`${locate("(top level)")}: a task config is a JSON object with task, output_type, doc_to_text, doc_to_target, …`);
  const c = json;
  for (const k of Object.keys(c)) if (!FIELDS.includes(k)) throw unknownField(k, FIELDS, locate(k));
  const str = (k: string, required: boolean): string | undefined => {
    const v = c[k];
    if (v === undefined) {
      if (required) throw new Error(`${locate(k)}: missing; the task needs it`);
      return undefined;
    }
    if (typeof v !== "string") throw new Error(`${locate(k)} must be a string, got ${JSON.stringify(v)}`);
    return v;
  };
  const task = str("task", true)!;
  if (task.trim() === "") throw new Error(`${locate("task")} must be a non-empty name`);
  const outputType = str("output_type", true) as OutputType;
  if (!OUTPUT_TYPES.includes(outputType)) {
    const hint = (outputType as string) === "loglikelihood_rolling" ? " (loglikelihood_rolling, perplexity of whole documents, is `dgpt eval --data`)" : "";
    throw new Error(`${locate("output_type")} must be one of ${OUTPUT_TYPES.join(", ")}, got ${JSON.stringify(outputType)}${hint}`);
  }
  const docToText = str("doc_to_text", true)!;
  const docToTarget = str("doc_to_target", true)!;
  let docToChoice: string | string[] | undefined;
  if (c.doc_to_choice !== undefined) {
    if (typeof c.doc_to_choice !== "string" && !isStringList(c.doc_to_choice)) throw new Error(`${locate("doc_to_choice")} must be a template naming an array field ("{{choices}}") or a list of templates`);
    if (Array.isArray(c.doc_to_choice) && c.doc_to_choice.length < 2) throw new Error(`${locate("doc_to_choice")} must list at least 2 choices`);
    docToChoice = c.doc_to_choice;
  }
  if (outputType === "multiple_choice" && docToChoice === undefined) throw new Error(`${locate("doc_to_choice")}: missing; a multiple_choice task needs its choices`);
  if (outputType !== "multiple_choice" && docToChoice !== undefined) throw new Error(`${locate("doc_to_choice")}: only a multiple_choice task has choices (this one is ${outputType})`);
  const fewshotDelimiter = str("fewshot_delimiter", false) ?? "\n\n";
  let numFewshot = 0;
  if (c.num_fewshot !== undefined) {
    if (!Number.isSafeInteger(c.num_fewshot) || (c.num_fewshot as number) < 0 || (c.num_fewshot as number) > 1000) throw new Error(`${locate("num_fewshot")} must be an integer from 0 to 1000, got ${JSON.stringify(c.num_fewshot)}`);
    numFewshot = c.num_fewshot as number;
  }

  const gk: Required<GenerationKwargs> = { until: [fewshotDelimiter], max_gen_toks: 256, temperature: 0, do_sample: false };
  if (c.generation_kwargs !== undefined) {
    const g = c.generation_kwargs;
    const at = locate("generation_kwargs");
    if (!isObject(g)) throw new Error(`${at} must be an object such as {"until": ["\\n"], "max_gen_toks": 32}`);
    if (outputType !== "generate_until") throw new Error(`${at}: only a generate_until task generates (this one is ${outputType})`);
    for (const k of Object.keys(g)) if (!["until", "max_gen_toks", "temperature", "do_sample"].includes(k)) throw unknownField(k, ["until", "max_gen_toks", "temperature", "do_sample"], at);
    if (g.until !== undefined) {
      const until = typeof g.until === "string" ? [g.until] : g.until;
      if (!isStringList(until) || until.some((s) => s === "")) throw new Error(`${locate("generation_kwargs.until")} must be a list of non-empty strings, got ${JSON.stringify(g.until)}`);
      gk.until = until;
    }
    if (g.max_gen_toks !== undefined) {
      if (!Number.isSafeInteger(g.max_gen_toks) || (g.max_gen_toks as number) < 1 || (g.max_gen_toks as number) > 1 << 16) throw new Error(`${locate("generation_kwargs.max_gen_toks")} must be an integer from 1 to 65536, got ${JSON.stringify(g.max_gen_toks)}`);
      gk.max_gen_toks = g.max_gen_toks as number;
    }
    if (g.temperature !== undefined) {
      if (typeof g.temperature !== "number" || !(g.temperature >= 0) || !Number.isFinite(g.temperature)) throw new Error(`${locate("generation_kwargs.temperature")} must be a number ≥ 0, got ${JSON.stringify(g.temperature)}`);
      gk.temperature = g.temperature;
    }
    if (g.do_sample !== undefined) {
      if (typeof g.do_sample !== "boolean") throw new Error(`${locate("generation_kwargs.do_sample")} must be true or false`);
      gk.do_sample = g.do_sample;
    }
    if (gk.do_sample && gk.temperature === 0) throw new Error(`${locate("generation_kwargs.do_sample")}: sampling needs a temperature above 0`);
  }

  const allowed = [...METRICS_OF[outputType], ...(outputType === "generate_until" ? extraMetrics : [])];
  let metrics: MetricSpec[] = [...METRICS_OF[outputType], ...(outputType === "generate_until" ? extraMetrics : [])].map((metric) => ({ metric }));
  if (c.metric_list !== undefined) {
    if (!Array.isArray(c.metric_list) || c.metric_list.length === 0) throw new Error(`${locate("metric_list")} must be a non-empty list such as [{"metric": "${allowed[0]}"}]`);
    metrics = c.metric_list.map((m, i) => checkMetric(m, i, allowed, locate));
    const seen = new Set<string>();
    for (const m of metrics) {
      if (seen.has(m.metric)) throw new Error(`${locate("metric_list")}: ${m.metric} is listed twice`);
      seen.add(m.metric);
    }
  }
  let filters: FilterPipeline[] = [{ name: "none", filter: [{ function: "take_first" }] }];
  if (c.filter_list !== undefined) {
    if (outputType !== "generate_until") throw new Error(`${locate("filter_list")}: filters apply to generations; this task is ${outputType}`);
    filters = checkFilters(c.filter_list, locate);
  }
  if (c.metadata !== undefined && !isObject(c.metadata)) throw new Error(`${locate("metadata")} must be an object`);
  for (const k of ["test_split", "fewshot_split", "description", "target_delimiter"]) str(k, false);
  return {
    task,
    ...(c.test_split !== undefined ? { test_split: c.test_split as string } : {}),
    ...(c.fewshot_split !== undefined ? { fewshot_split: c.fewshot_split as string } : {}),
    output_type: outputType,
    doc_to_text: docToText,
    doc_to_target: docToTarget,
    ...(docToChoice !== undefined ? { doc_to_choice: docToChoice } : {}),
    description: (c.description as string | undefined) ?? "",
    target_delimiter: (c.target_delimiter as string | undefined) ?? " ",
    fewshot_delimiter: fewshotDelimiter,
    num_fewshot: numFewshot,
    generation_kwargs: gk,
    metric_list: metrics,
    filter_list: filters,
    ...(c.metadata !== undefined ? { metadata: c.metadata as Record<string, unknown> } : {}),
  };
}
