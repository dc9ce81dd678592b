// Running a task on a model: build each item's prompt (with few-shot examples), ask the model
// (log-likelihoods of the choices or the target, or a generation), score each item, and
// aggregate each metric with its standard error and a bootstrap 95 % interval. Every item's
// prompt, answer and scores are kept (the samples) so a result can be checked item by item.
import { Generator } from "../tensor/random.js";
import type { ResolvedTaskConfig } from "./config.js";
import { fewshotContext } from "./fewshot.js";
import { applyFilters, exactMatch, multipleChoice } from "./metrics.js";
import { type EvalModel, type Progress, RequestError } from "./model.js";
import { bootstrap, mean, meanStderr, perplexity } from "./stats.js";
import type { Doc, EvalTask } from "./task.js";

export interface EvaluateOptions {
  /** Only the first n items. */
  limit?: number;
  /** Examples in front of each prompt (default: the task's num_fewshot). */
  numFewshot?: number;
  /** Seed of the few-shot draws and of the bootstrap (default 1234, lm-eval's few-shot seed). */
  seed?: number;
  /** Bootstrap resamples for the intervals (default 1000). */
  bootstrapIters?: number;
  onProgress?: Progress;
}

export interface MetricResult {
  metric: string;
  /** The filter pipeline the generations went through ("none" when there is none). */
  filter: string;
  /** How the metric is named in the samples: "acc", or "exact_match,get-answer" for a filter. */
  key: string;
  value: number;
  /** s/√n for a mean, the bootstrap's standard deviation for perplexity (per token); null with one item. */
  stderr: number | null;
  /** Percentile bootstrap 95 % interval. */
  ci: [number, number];
  n: number;
  higherIsBetter: boolean;
}

/** One item's prompt, answer(s) and scores (lm-eval's logged samples). */
export interface SampleResult {
  doc_id: number;
  where: string;
  doc: Doc;
  context: string;
  target: string;
  choices?: readonly string[];
  gold?: number;
  loglikelihoods?: number[];
  pred?: number;
  pred_norm?: number;
  loglikelihood?: number;
  /** Tokens of the target continuation (for perplexity per token). */
  tokens?: number;
  is_greedy?: boolean;
  response?: string;
  /** The response after each filter pipeline, by pipeline name. */
  filtered?: Record<string, string>;
  truncated: boolean;
  metrics: Record<string, number>;
}

export interface EvalResult {
  task: string;
  model: string;
  output_type: ResolvedTaskConfig["output_type"];
  n: number;
  num_fewshot: number;
  seed: number;
  bootstrap_iters: number;
  metrics: MetricResult[];
  samples: SampleResult[];
  /** Items whose prompt was cut on the left to fit the model's context. */
  truncated: number;
  seconds: number;
  config: ResolvedTaskConfig;
}

/** Asks the model; an error about one request is re-thrown naming the item it came from. */
async function ask<T>(fn: () => Promise<T>, itemOf: (request: number) => string): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof RequestError) throw new Error(`${itemOf(err.requestIndex)}: ${err.message}`, { cause: err });
    throw err;
  }
}

const metricKey = (metric: string, filter: string) => (filter === "none" ? metric : `${metric},${filter}`);

export async function evaluateTask(task: EvalTask, model: EvalModel, opts: EvaluateOptions = {}): Promise<EvalResult> {
  const t0 = performance.now();
  const cfg = task.config;
  const seed = opts.seed ?? 1234;
  const k = opts.numFewshot ?? cfg.num_fewshot;
  const iters = opts.bootstrapIters ?? 1000;
  if (!(Number.isSafeInteger(k) && k >= 0)) throw new Error(`evaluateTask: numFewshot must be a non-negative integer, got ${k}`);
  if (opts.limit !== undefined && !(Number.isSafeInteger(opts.limit) && opts.limit >= 1)) throw new Error(`evaluateTask: limit must be a positive integer, got ${opts.limit}`);
  const n = Math.min(task.items.length, opts.limit ?? Infinity);
  const gen = new Generator(seed);
  const samples: SampleResult[] = [];
  for (let i = 0; i < n; i++) {
    const item = task.items[i];
    const { context } = fewshotContext(task, i, k, gen);
    samples.push({ doc_id: i, where: item.where, doc: item.doc, context, target: item.target, truncated: false, metrics: {} });
  }

  if (cfg.output_type === "multiple_choice") {
    // one request per choice: log P(target_delimiter + choice | context)
    const requests = samples.flatMap((s, i) => task.items[i].choices!.map((ch) => ({ context: s.context, continuation: cfg.target_delimiter + ch })));
    const owner = samples.flatMap((s, i) => task.items[i].choices!.map(() => s.where));
    const lls = await ask(() => model.loglikelihood(requests, opts.onProgress), (r) => owner[r]);
    let at = 0;
    samples.forEach((s, i) => {
      const { choices, gold } = task.items[i];
      const mine = lls.slice(at, at + choices!.length);
      at += choices!.length;
      const r = multipleChoice(mine.map((l) => l.logprob), choices!, gold!);
      Object.assign(s, { choices, gold, loglikelihoods: mine.map((l) => l.logprob), pred: r.pred, pred_norm: r.predNorm, truncated: mine.some((l) => l.truncated) });
      s.metrics = { acc: r.acc, acc_norm: r.acc_norm };
    });
  } else if (cfg.output_type === "loglikelihood") {
    const requests = samples.map((s) => ({ context: s.context, continuation: cfg.target_delimiter + s.target }));
    const lls = await ask(() => model.loglikelihood(requests, opts.onProgress), (r) => samples[r].where);
    samples.forEach((s, i) => {
      Object.assign(s, { loglikelihood: lls[i].logprob, tokens: lls[i].tokens, is_greedy: lls[i].isGreedy, truncated: lls[i].truncated });
      // perplexity is no per-item score: it is aggregated from the log-likelihoods and token counts
      s.metrics = { acc: lls[i].isGreedy ? 1 : 0 };
    });
  } else {
    const g = cfg.generation_kwargs;
    const temperature = g.do_sample ? g.temperature : 0;
    const requests = samples.map((s) => ({ context: s.context, until: g.until, maxGenToks: g.max_gen_toks, temperature }));
    const outs = await ask(() => model.generateUntil(requests, opts.onProgress), (r) => samples[r].where);
    samples.forEach((s, i) => {
      s.response = outs[i].text;
      s.truncated = outs[i].truncated;
      s.filtered = {};
      for (const pipeline of cfg.filter_list) {
        const answer = applyFilters(outs[i].text, pipeline);
        s.filtered[pipeline.name] = answer;
        const checked = task.checker?.check(answer, s.doc) ?? {};
        for (const m of cfg.metric_list) {
          const value = m.metric === "exact_match" ? exactMatch(answer, s.target, m) : checked[m.metric];
          if (typeof value !== "number" || !Number.isFinite(value)) throw new Error(`${task.name}: the checker gave no number for ${m.metric} on ${s.where}`);
          s.metrics[metricKey(m.metric, pipeline.name)] = value;
        }
      }
    });
  }

  const filters = cfg.output_type === "generate_until" ? cfg.filter_list.map((f) => f.name) : ["none"];
  const metrics: MetricResult[] = [];
  for (const filter of filters) {
    for (const m of cfg.metric_list) {
      const key = metricKey(m.metric, filter);
      let value: number;
      let stderr: number;
      let boot: { lo: number; hi: number; stderr: number };
      if (m.metric === "perplexity") {
        const pairs = samples.map((s) => ({ logprob: s.loglikelihood!, tokens: s.tokens! }));
        value = perplexity(pairs);
        boot = bootstrap(pairs, perplexity, { iters, seed });
        stderr = boot.stderr;
      } else {
        const values = samples.map((s) => s.metrics[key]);
        value = mean(values);
        boot = bootstrap(values, mean, { iters, seed });
        stderr = meanStderr(values);
      }
      metrics.push({ metric: m.metric, filter, key, value, stderr: Number.isFinite(stderr) ? stderr : null, ci: [boot.lo, boot.hi], n: samples.length, higherIsBetter: m.metric !== "perplexity" });
    }
  }
  return {
    task: task.name,
    model: model.name,
    output_type: cfg.output_type,
    n,
    num_fewshot: k,
    seed,
    bootstrap_iters: iters,
    metrics,
    samples,
    truncated: samples.filter((s) => s.truncated).length,
    seconds: (performance.now() - t0) / 1000,
    config: cfg,
  };
}
