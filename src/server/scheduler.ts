// Continuous batching. Every request being generated is a Sequence with its own KV cache. Each
// turn of the loop
//   1. drops sequences whose client left or whose time ran out (their caches are freed at once),
//   2. runs one waiting job that needs the whole model (an interpretability request),
//   3. admits waiting sequences while fewer than maxBatch are active: one prefill forward each,
//      which also chooses its first token,
//   4. runs ONE forward over the newest token of every active sequence — a ragged batch, each row
//      reading its own cache (model.forward with one KVCache per row) — and samples each row
//      with that request's own settings,
//   5. yields to the event loop, so new requests, disconnects and timeouts are seen between steps.
// A decode step reads every weight once whatever the batch, so 16 requests cost little more than
// one: throughput grows with concurrency instead of queueing (bench: `npm run bench -- serve`).
import { noGrad } from "../tensor/autograd.js";
import type { Generator } from "../tensor/random.js";
import { tidy } from "../tensor/scope.js";
import { KVCache, type HookedTransformer } from "../models/gpt/model.js";
import { chooseToken, type SamplingOptions, topLogprobs, type TokenLogprob } from "./sampling.js";

export interface SequenceSpec {
  prompt: readonly number[];
  /** New tokens at most (the caller has clamped it so that prompt + maxTokens ≤ n_ctx). */
  maxTokens: number;
  sampling: SamplingOptions;
  generator: Generator;
  /** Finish (reason "stop") when one of these is chosen; it is counted but not reported (no text). */
  stopTokens: readonly number[];
  /** Log-probabilities of each chosen token and this many alternatives; null for none. */
  logprobs: number | null;
  /** Also the log-probability of every prompt token after the first (echo with logprobs). */
  promptLogprobs?: boolean;
  /** Aborting it finishes the sequence with reason "cancelled" at the next step. */
  signal?: AbortSignal;
  /** Each chosen token as it comes; returning true finishes the sequence (a stop string matched). */
  onToken: (token: TokenLogprob & { top?: TokenLogprob[] }) => boolean | void;
}

export type FinishReason = "stop" | "length" | "cancelled";

export interface SequenceResult {
  finishReason: FinishReason;
  completionTokens: number;
  /** With promptLogprobs: for prompt tokens 1 … n−1, their log-probability and alternatives. */
  promptLogprobs?: (TokenLogprob & { top?: TokenLogprob[] })[];
}

/** The queue is full: the HTTP layer answers 429 with Retry-After. */
export class QueueFullError extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super("the server is busy: too many requests are waiting; retry later");
  }
}

/** One request asks for more sequences (prompts × n) than the server ever holds at once. */
export class TooManySequencesError extends Error {
  constructor(
    readonly asked: number,
    readonly most: number,
  ) {
    super(`the request asks for ${asked} sequences (prompts × n), but this server runs at most ${most} at once (--max-batch + --max-queue)`);
  }
}

interface Sequence {
  spec: SequenceSpec;
  cache: KVCache;
  /** Every token so far (prompt, then the generated ones). */
  ids: number[];
  generated: number;
  /** How often each generated token occurred (presence and frequency penalties). */
  counts: Map<number, number>;
  /** The last chosen token, not yet in the cache. */
  pending: number;
  promptLogprobs?: SequenceResult["promptLogprobs"];
  resolve: (r: SequenceResult) => void;
  reject: (e: unknown) => void;
}

interface Job {
  run: () => unknown;
  signal?: AbortSignal;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

export interface SchedulerOptions {
  /** Sequences decoded together in one forward (default 16). */
  maxBatch?: number;
  /** Sequences and jobs that may wait for a place (default 64); beyond it, QueueFullError. */
  maxQueue?: number;
}

export class Scheduler {
  readonly maxBatch: number;
  readonly maxQueue: number;
  private readonly waiting: Sequence[] = [];
  private readonly active: Sequence[] = [];
  private readonly jobs: Job[] = [];
  private running: Promise<void> | null = null;
  /** Recent decode steps' durations (ms), for Retry-After. */
  private stepMs = 5;
  /** Counts since start: decode steps, tokens they chose, the largest batch one step ran. */
  readonly stats = { steps: 0, tokens: 0, largestBatch: 0 };

  constructor(
    readonly model: HookedTransformer,
    opts: SchedulerOptions = {},
  ) {
    this.maxBatch = opts.maxBatch ?? 16;
    this.maxQueue = opts.maxQueue ?? 64;
    model.eval();
  }

  /** Sequences being decoded, sequences and jobs waiting. */
  get load(): { active: number; waiting: number; jobs: number } {
    return { active: this.active.length, waiting: this.waiting.length, jobs: this.jobs.length };
  }

  /** Throws QueueFullError unless `n` more sequences or jobs can wait (call before answering 200). */
  reserve(n: number): void {
    // more than could ever be admitted at once: no retry helps, so it is the request's mistake
    if (n > this.maxBatch + this.maxQueue) throw new TooManySequencesError(n, this.maxBatch + this.maxQueue);
    const free = this.maxBatch - this.active.length;
    const queued = this.waiting.length + this.jobs.length;
    if (queued + n > this.maxQueue + Math.max(0, free)) {
      // a rough wait: the active sequences' remaining tokens at the current step time
      const left = this.active.reduce((s, q) => s + q.spec.maxTokens - q.generated, 0);
      throw new QueueFullError(Math.max(1, Math.ceil((left * this.stepMs) / Math.max(1, this.active.length) / 1000)));
    }
  }

  /**
   * Generates one sequence; resolves when it finishes (the tokens went to spec.onToken). The
   * caller checks room first with reserve(n) for all the sequences of a request, so that a
   * request is refused whole or not at all.
   */
  generate(spec: SequenceSpec): Promise<SequenceResult> {
    if (spec.prompt.length === 0) return Promise.reject(new Error("the prompt has no tokens"));
    return new Promise((resolve, reject) => {
      this.waiting.push({ spec, cache: new KVCache(this.model.cfg.n_layers), ids: [...spec.prompt], generated: 0, counts: new Map(), pending: -1, resolve, reject });
      this.wake();
    });
  }

  /** Runs `fn` alone on the model between two decode steps (an analysis); its tensors are freed after. */
  exclusive<T>(fn: () => T, signal?: AbortSignal): Promise<T> {
    this.reserve(1);
    return new Promise<T>((resolve, reject) => {
      this.jobs.push({ run: fn, signal, resolve: resolve as (v: unknown) => void, reject });
      this.wake();
    });
  }

  /** Resolves when nothing is active, waiting or queued. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Finishes every sequence now with reason "cancelled" and rejects waiting jobs (shutdown). */
  cancelAll(): void {
    for (const s of [...this.active, ...this.waiting]) this.finish(s, "cancelled");
    this.active.length = this.waiting.length = 0;
    for (const j of this.jobs.splice(0)) j.reject(new Error("the server is shutting down"));
  }

  private wake(): void {
    this.running ??= this.loop()
      // the steps catch the model's errors; anything else still must not take the process down
      .catch((err: unknown) => {
        for (const s of [...this.active.splice(0), ...this.waiting.splice(0)]) this.fail([s], err);
        for (const j of this.jobs.splice(0)) j.reject(err);
      })
      .finally(() => (this.running = null));
  }

  private async loop(): Promise<void> {
    // the first turn waits one tick, so requests that arrive together are batched together
    await yieldToEventLoop();
    while (this.active.length || this.waiting.length || this.jobs.length) {
      this.dropCancelled();
      const job = this.jobs.shift();
      if (job) this.runJob(job);
      while (this.active.length < this.maxBatch && this.waiting.length) this.prefill(this.waiting.shift()!);
      if (this.active.length) this.decodeStep();
      await yieldToEventLoop();
    }
  }

  private dropCancelled(): void {
    for (const list of [this.active, this.waiting]) {
      for (let i = list.length - 1; i >= 0; i--) {
        if (list[i].spec.signal?.aborted) this.finish(list.splice(i, 1)[0], "cancelled");
      }
    }
    for (let i = this.jobs.length - 1; i >= 0; i--) {
      if (this.jobs[i].signal?.aborted) this.jobs.splice(i, 1)[0].reject(new Error("cancelled"));
    }
  }

  private runJob(job: Job): void {
    try {
      job.resolve(tidy(() => job.run()));
    } catch (err) {
      job.reject(err);
    }
  }

  /** The prompt through the model into the sequence's cache, and its first token chosen. */
  private prefill(s: Sequence): void {
    try {
      const wantPrompt = s.spec.promptLogprobs && s.ids.length > 1;
      const logits = tidy(() =>
        noGrad(() => {
          const out = this.model.forward([s.ids], { cache: s.cache, lastPositionOnly: !wantPrompt });
          return out.dataSync() as Float32Array; // (1, p or 1, V)
        }),
      );
      const V = this.model.cfg.d_vocab;
      const rows = logits.length / V;
      if (wantPrompt) {
        const k = s.spec.logprobs ?? 0;
        // row i predicts token i + 1
        s.promptLogprobs = [];
        for (let i = 0; i + 1 < rows; i++) s.promptLogprobs.push(topLogprobs(logits.subarray(i * V, (i + 1) * V), s.ids[i + 1], k));
      }
      if (s.spec.maxTokens === 0) return this.finish(s, "length"); // scoring the prompt only
      this.active.push(s);
      this.choose(s, logits.subarray((rows - 1) * V));
    } catch (err) {
      this.fail([s], err);
    }
  }

  /** One forward over every active sequence's newest token, then a token chosen for each. */
  private decodeStep(): void {
    const batch = this.active.filter((s) => s.pending >= 0);
    if (batch.length === 0) return;
    const t0 = performance.now();
    try {
      const logits = tidy(() =>
        noGrad(() => {
          const out = this.model.forward(
            batch.map((s) => [s.pending]),
            { cache: batch.map((s) => s.cache), lastPositionOnly: true },
          );
          return out.dataSync() as Float32Array; // (B, 1, V)
        }),
      );
      const V = this.model.cfg.d_vocab;
      this.stats.steps++;
      this.stats.tokens += batch.length;
      this.stats.largestBatch = Math.max(this.stats.largestBatch, batch.length);
      batch.forEach((s, b) => this.choose(s, logits.subarray(b * V, (b + 1) * V)));
    } catch (err) {
      this.fail(batch, err);
    }
    this.stepMs = 0.8 * this.stepMs + 0.2 * (performance.now() - t0);
  }

  /** Samples the next token of `s` from its logits, reports it, and finishes `s` when it is done. */
  private choose(s: Sequence, logits: Float32Array): void {
    const { spec } = s;
    const id = chooseToken(logits, spec.sampling, s.counts, s.ids, spec.generator);
    s.ids.push(id);
    s.generated++;
    s.counts.set(id, (s.counts.get(id) ?? 0) + 1);
    // a stop token (end of text) finishes the sequence; it counts as generated but is no text
    if (spec.stopTokens.includes(id)) return this.finishActive(s, "stop");
    const token = spec.logprobs === null ? { id, logprob: NaN } : topLogprobs(logits, id, spec.logprobs);
    let stop = false;
    try {
      stop = spec.onToken(token) === true;
    } catch (err) {
      this.fail([s], err);
      return;
    }
    if (stop) return this.finishActive(s, "stop");
    if (s.generated >= spec.maxTokens || s.cache.length + 1 > this.model.cfg.n_ctx) return this.finishActive(s, "length");
    s.pending = id;
  }

  private finishActive(s: Sequence, reason: FinishReason): void {
    this.remove(s);
    this.finish(s, reason);
  }

  private remove(s: Sequence): void {
    const i = this.active.indexOf(s);
    if (i >= 0) this.active.splice(i, 1);
  }

  private finish(s: Sequence, reason: FinishReason): void {
    s.cache.dispose();
    s.pending = -1;
    s.resolve({ finishReason: reason, completionTokens: s.generated, promptLogprobs: s.promptLogprobs });
  }

  private fail(list: Sequence[], err: unknown): void {
    for (const s of list) {
      this.remove(s);
      s.cache.dispose();
      s.reject(err);
    }
  }
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
