// What an eval asks of a model, as lm-evaluation-harness's LM class asks it: the log-likelihood
// of a continuation after a context, and a generation until a stop string. Everything speaks
// text, so the same tasks run on a GPT trained here, a pretrained one, or (later) a model behind
// the HTTP server; gptEvalModel answers both for a HookedTransformer and its tokenizer.
//
// The tokenization boundary (lm-eval's _encode_pair): the continuation's tokens are those that
// the whole text has beyond the context's own tokens,
//   whole = encode(context + continuation),  ctx = encode(context),  cont = whole[len(ctx):]
// with the context's trailing spaces moved onto the continuation first ("Answer: " + "Paris" is
// scored as "Answer:" + " Paris", the way a BPE tokenizer writes the word). Then
//   log P(cont | ctx) = Σ_i log softmax(logits[ctx + i − 1])[cont_i]
// and the continuation is "greedy" when every cont_i is the argmax at its position.
import { generateTokens } from "../models/gpt/generate.js";
import type { HookedTransformer } from "../models/gpt/model.js";
import { noGrad } from "../tensor/autograd.js";
import { tensor } from "../tensor/creation.js";
import { Generator } from "../tensor/random.js";
import { tidy } from "../tensor/scope.js";
import type { Tokenizer } from "../tokenizers/types.js";

export interface LoglikelihoodRequest {
  context: string;
  continuation: string;
}

export interface LoglikelihoodResult {
  /** log P(continuation | context), natural log, summed over the continuation's tokens. */
  logprob: number;
  /** Every continuation token is the most likely one at its position. */
  isGreedy: boolean;
  /** How many tokens the continuation has. */
  tokens: number;
  /** The context was cut on the left to fit the model's context window. */
  truncated: boolean;
}

export interface GenerationRequest {
  context: string;
  /** Stop at the first of these; the answer is the text before it. */
  until: readonly string[];
  maxGenToks: number;
  /** 0: greedy. */
  temperature: number;
}

export interface GenerationResult {
  text: string;
  truncated: boolean;
}

/** An error about one request, so the caller can name the item it came from. */
export class RequestError extends Error {
  constructor(
    message: string,
    readonly requestIndex: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Runs fn for request i; its errors become RequestErrors that carry i. */
function forRequest<T>(i: number, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw new RequestError((err as Error).message.replace(/^encode: /, ""), i, { cause: err });
  }
}

/** Called as requests finish: done of total. */
export type Progress = (done: number, total: number) => void;

export interface EvalModel {
  /** A name for reports (the model folder, or a hub name). */
  readonly name: string;
  loglikelihood(requests: readonly LoglikelihoodRequest[], onProgress?: Progress): Promise<LoglikelihoodResult[]>;
  generateUntil(requests: readonly GenerationRequest[], onProgress?: Progress): Promise<GenerationResult[]>;
}

export interface GptEvalModelOptions {
  name?: string;
  /**
   * Put the tokenizer's BOS token in front of every context (TransformerLens's prepend_bos).
   * Default: when the tokenizer has one (pretrained models do; models trained here do not).
   */
  prependBos?: boolean;
  /** At most this many sequences per forward pass (default 32). */
  batchSize?: number;
  /** Seed of sampled generations (temperature > 0); default 1234. */
  seed?: number;
}

/** Lets timers and I/O run between batches (a progress bar, a Ctrl-C), in Node and browsers alike. */
const yieldToEventLoop = () => new Promise<void>((r) => setTimeout(r, 0));

/** At most this many logits (batch × positions × d_vocab) in one forward pass: 64 MiB of float32. */
const LOGIT_BUDGET = 1 << 24;

/** An EvalModel over a HookedTransformer and its tokenizer. */
export function gptEvalModel(model: HookedTransformer, tokenizer: Tokenizer, opts: GptEvalModelOptions = {}): EvalModel {
  const nCtx = model.cfg.n_ctx;
  const vocab = model.cfg.d_vocab;
  const bos = (opts.prependBos ?? tokenizer.bosTokenId !== undefined) ? tokenizer.bosTokenId : undefined;
  if (opts.prependBos === true && bos === undefined) throw new Error("gptEvalModel: prependBos is set, but the tokenizer has no BOS token");
  const batchSize = opts.batchSize ?? 32;
  if (!(Number.isSafeInteger(batchSize) && batchSize >= 1)) throw new Error(`gptEvalModel: batchSize must be a positive integer, got ${batchSize}`);
  const generator = new Generator(opts.seed ?? 1234);

  const encode = (text: string): number[] => {
    const ids = tokenizer.encode(text);
    for (const id of ids) if (!(id < vocab)) throw new Error(`the tokenizer gives token ${id}, outside the model's vocabulary of ${vocab}`);
    return ids;
  };

  /** The context's and the continuation's tokens, split where lm-eval splits them. */
  const encodePair = (context: string, continuation: string): { ctx: number[]; cont: number[] } => {
    const trimmed = context.trimEnd(); // its trailing spaces now belong to the continuation
    const whole = encode(context + continuation);
    const ctx = encode(trimmed);
    const cont = whole.slice(ctx.length);
    if (cont.length === 0) throw new Error(`the continuation ${JSON.stringify(continuation)} encodes to no tokens after the context`);
    // a context with nothing to condition on starts from the BOS token (lm-eval uses the end-of-text token)
    const start = bos ?? (ctx.length === 0 ? tokenizer.eosTokenId : undefined);
    if (start === undefined && ctx.length === 0) throw new Error(`the context is empty and the tokenizer has no BOS or EOS token to score the first continuation token from`);
    return { ctx: start === undefined ? ctx : [start, ...ctx], cont };
  };

  const withEval = <T>(fn: () => Promise<T>): Promise<T> => {
    const wasTraining = model.training;
    model.eval(); // no dropout while scoring
    return fn().finally(() => model.train(wasTraining));
  };

  return {
    name: opts.name ?? "model",

    loglikelihood: (requests, onProgress) =>
      withEval(async () => {
        // inputs: (context + continuation) without its last token, cut on the left to n_ctx
        const prepared = requests.map((r, i) =>
          forRequest(i, () => {
            const { ctx, cont } = encodePair(r.context, r.continuation);
            if (cont.length > nCtx) throw new Error(`the continuation ${JSON.stringify(r.continuation.slice(0, 40))} is ${cont.length} tokens, more than the model's context of ${nCtx}`);
            const full = [...ctx, ...cont];
            const input = full.slice(-(nCtx + 1), -1);
            return { i, input, cont, truncated: full.length - 1 > nCtx };
          }),
        );
        // longest first, so each batch pads little and the memory peak comes at once (as lm-eval)
        const order = [...prepared].sort((a, b) => b.input.length - a.input.length || a.i - b.i);
        const results: LoglikelihoodResult[] = new Array(requests.length);
        let done = 0;
        while (done < order.length) {
          const T = order[done].input.length;
          const rows = Math.max(1, Math.min(batchSize, Math.floor(LOGIT_BUDGET / (T * vocab))));
          const batch = order.slice(done, done + rows);
          // right padding: causal attention keeps real positions blind to the pads after them
          const x = batch.map((r) => [...r.input, ...new Array<number>(T - r.input.length).fill(0)]);
          // the token each position should predict (0 where nothing is scored)
          const targets = new Int32Array(batch.length * T);
          batch.forEach((r, b) => r.cont.forEach((tok, j) => (targets[b * T + r.input.length - r.cont.length + j] = tok)));
          const { picked, greedy } = tidy(() =>
            noGrad(() => {
              const logits = model.forward(x); // (b, T, d_vocab)
              const logp = logits.logSoftmax(-1);
              return {
                picked: Float64Array.from(logp.gather(2, tensor(targets, { shape: [batch.length, T, 1] })).dataSync()),
                greedy: Int32Array.from(logits.argmax(-1).dataSync()),
              };
            }),
          );
          batch.forEach((r, b) => {
            let logprob = 0;
            let isGreedy = true;
            for (let j = 0; j < r.cont.length; j++) {
              const at = b * T + r.input.length - r.cont.length + j;
              logprob += picked[at];
              if (greedy[at] !== r.cont[j]) isGreedy = false;
            }
            results[r.i] = { logprob, isGreedy, tokens: r.cont.length, truncated: r.truncated };
          });
          done += batch.length;
          onProgress?.(done, order.length);
          await yieldToEventLoop();
        }
        return results;
      }),

    generateUntil: (requests, onProgress) =>
      withEval(async () => {
        const eos = tokenizer.eosTokenId;
        // a model's vocabulary may be padded past its tokenizer's (Pythia): such ids have no text
        const decode = (ids: readonly number[]) => tokenizer.decode(ids.filter((id) => id < tokenizer.vocabSize && id !== eos));
        const out: GenerationResult[] = [];
        for (const [n, r] of requests.entries()) {
          let prompt = forRequest(n, () => encode(r.context));
          if (bos !== undefined) prompt = [bos, ...prompt];
          if (prompt.length === 0) {
            if (eos === undefined) throw new RequestError("the context is empty and the tokenizer has no BOS or EOS token to start generating from", n);
            prompt = [eos];
          }
          // a prompt longer than the window keeps its end; the generation then slides the window on
          const truncated = prompt.length > nCtx;
          if (truncated) prompt = prompt.slice(-nCtx);
          const ids: number[] = [];
          for (const id of generateTokens(model, prompt, {
            maxNewTokens: r.maxGenToks,
            temperature: r.temperature,
            generator,
            stopTokens: eos !== undefined ? [eos] : undefined,
            stopStrings: r.until.length ? [...r.until] : undefined,
            decode,
          })) ids.push(id);
          let text = decode(ids);
          for (const stop of r.until) text = text.split(stop)[0]; // cut at the stop string, as lm-eval
          out.push({ text, truncated });
          onProgress?.(n + 1, requests.length);
          await yieldToEventLoop();
        }
        return out;
      }),
  };
}
