// The activation store: activations at one hook of a model, streamed from a token corpus in a
// bounded, shuffled buffer (SAELens's ActivationsStore, in small). SAE training draws batches
// from it; however long the corpus or the run, it holds at most `bufferSize` activations.
//
//   windows   the corpus is cut into consecutive windows of contextSize tokens (a BOS token in
//             front when the model has one), read in order and again from the start when used up
//   forward   a few windows at a time, only as far as the hook's block, no gradients
//   buffer    activations fill a buffer that is shuffled whenever it is refilled; a batch is taken
//             from it, and it is refilled once half of it is spent, so each batch mixes windows
//             from across the corpus instead of consecutive positions of one text
//   BOS       positions holding the BOS token are left out: their activations are outliers
//             (huge norms in GPT-2) that an SAE would spend latents on
import type { HookedTransformer } from "../models/gpt/model.js";
import { noGrad } from "../tensor/autograd.js";
import { tensor } from "../tensor/creation.js";
import { Generator } from "../tensor/random.js";
import { tidy } from "../tensor/scope.js";
import type { Tensor } from "../tensor/tensor.js";
import type { ActivationSource } from "./synthetic.js";

export interface ActivationStoreOptions {
  /** The hook to read, e.g. blocks.1.hook_resid_post (hook_z etc. are flattened, or one head with headIndex). */
  hook: string;
  /** Tokens per window (default and at most the model's n_ctx; the BOS counts). */
  contextSize?: number;
  /** A BOS token id to put in front of every window (its positions are left out). */
  bos?: number;
  /** Token ids whose positions are left out too (e.g. padding). */
  excludeTokens?: readonly number[];
  /** For hooks with a head axis (hook_z, hook_q …): read only this head. */
  headIndex?: number;
  /** Activations held at most (default 32768, or fewer so the buffer stays under ~256 MB). */
  bufferSize?: number;
  /** Windows per forward pass (default: about 4096 tokens' worth). */
  windowsPerForward?: number;
  seed?: number;
}

export class ActivationStore implements ActivationSource {
  readonly dIn: number;
  readonly hook: string;
  readonly contextSize: number;
  readonly bufferSize: number;
  /** Corpus tokens read so far (windows × tokens, counting repeats after wrapping around). */
  tokensSeen = 0;
  /** Activations handed out so far. */
  activationsServed = 0;
  private readonly buffer: Float32Array;
  private count = 0;
  private cursor = 0; // where the next window starts in the corpus
  private readonly gen: Generator;
  private readonly stopAtLayer: number | undefined;
  private readonly excluded: Set<number>;
  private readonly perForward: number;

  constructor(
    private readonly model: HookedTransformer,
    private readonly tokens: Int32Array,
    private readonly opts: ActivationStoreOptions,
  ) {
    const { n_ctx } = model.cfg;
    model.hookPoint(opts.hook); // unknown names: an error listing near matches
    if (/hook_(pattern|attn_scores)$/.test(opts.hook)) throw new Error(`ActivationStore: ${opts.hook} is (batch, head, query, key), not one vector per position`);
    this.hook = opts.hook;
    this.contextSize = opts.contextSize ?? n_ctx;
    if (!(Number.isSafeInteger(this.contextSize) && this.contextSize >= 2 && this.contextSize <= n_ctx)) throw new Error(`ActivationStore: contextSize must be an integer in [2, n_ctx = ${n_ctx}], got ${this.contextSize}`);
    const textPerWindow = this.contextSize - (opts.bos === undefined ? 0 : 1);
    if (tokens.length < textPerWindow) throw new Error(`ActivationStore: the corpus has ${tokens.length} tokens, fewer than one window of ${textPerWindow}`);
    this.excluded = new Set([...(opts.excludeTokens ?? []), ...(opts.bos === undefined ? [] : [opts.bos])]);
    const block = /^blocks\.(\d+)\./.exec(opts.hook);
    this.stopAtLayer = block ? Number(block[1]) + 1 : /^hook_(embed|pos_embed)$/.test(opts.hook) ? 0 : undefined;
    this.dIn = this.probeWidth();
    const cap = Math.max(1, Math.floor((256 * 2 ** 20) / (4 * this.dIn)));
    this.bufferSize = opts.bufferSize ?? Math.min(32768, cap);
    if (!(Number.isSafeInteger(this.bufferSize) && this.bufferSize >= 2)) throw new Error(`ActivationStore: bufferSize must be an integer ≥ 2, got ${this.bufferSize}`);
    this.buffer = new Float32Array(this.bufferSize * this.dIn);
    this.perForward = opts.windowsPerForward ?? Math.max(1, Math.floor(4096 / this.contextSize));
    this.gen = new Generator(opts.seed ?? 0);
  }

  /** The width of one activation at the hook (one head's, with headIndex). */
  private probeWidth(): number {
    const act = this.run(Int32Array.from({ length: 2 }, (_, i) => this.tokens[i % this.tokens.length]), 1, 2);
    return act.width;
  }

  /** The hook's activations for `rows` windows of `len` tokens: a flat (rows·len, width) array. */
  private run(ids: Int32Array, rows: number, len: number): { data: Float32Array; width: number } {
    return noGrad(() =>
      tidy(() => {
        const input = tensor(ids, { shape: [rows, len], dtype: "int32" });
        const was = this.model.training;
        this.model.eval();
        let act: Tensor;
        try {
          act = this.model.runWithCache(input, { namesFilter: [this.hook], stopAtLayer: this.stopAtLayer }).cache.get(this.hook)!;
        } finally {
          this.model.train(was);
        }
        if (act.shape[0] !== rows || act.shape[1] !== len) throw new Error(`ActivationStore: ${this.hook} has shape [${act.shape}], not (batch, pos, …)`);
        if (this.opts.headIndex !== undefined) {
          if (act.ndim !== 4) throw new Error(`ActivationStore: headIndex given, but ${this.hook} has no head axis (shape [${act.shape}])`);
          const h = this.opts.headIndex;
          if (!(Number.isInteger(h) && h >= 0 && h < act.shape[2])) throw new Error(`ActivationStore: headIndex ${h} is out of range [0, ${act.shape[2]})`);
          act = act.select(2, h);
        }
        const width = act.shape.slice(2).reduce((a, b) => a * b, 1);
        return { data: Float32Array.from(act.contiguous().dataSync() as Float32Array), width };
      }),
    );
  }

  /** The next window's token ids (BOS first when set), wrapping around the corpus. */
  private nextWindow(out: Int32Array, at: number): void {
    let k = at;
    if (this.opts.bos !== undefined) out[k++] = this.opts.bos;
    const need = this.contextSize - (k - at);
    if (this.cursor + need > this.tokens.length) this.cursor = 0; // a new epoch
    out.set(this.tokens.subarray(this.cursor, this.cursor + need), k);
    this.cursor += need;
    this.tokensSeen += need;
  }

  /** Fills the buffer to capacity from new windows, then shuffles it (old and new rows mix). */
  private refill(): void {
    const d = this.dIn;
    const len = this.contextSize;
    let guard = 0;
    while (this.count < this.bufferSize) {
      const ids = new Int32Array(this.perForward * len);
      for (let w = 0; w < this.perForward; w++) this.nextWindow(ids, w * len);
      const { data } = this.run(ids, this.perForward, len);
      let kept = 0;
      for (let i = 0; i < ids.length && this.count < this.bufferSize; i++) {
        if (this.excluded.has(ids[i])) continue;
        this.buffer.set(data.subarray(i * d, (i + 1) * d), this.count * d);
        this.count++;
        kept++;
      }
      if (kept === 0 && ++guard > 100) throw new Error("ActivationStore: every position of the corpus is a BOS or excluded token");
    }
    // Fisher–Yates over rows
    const tmp = new Float32Array(d);
    for (let i = this.count - 1; i > 0; i--) {
      const j = Math.floor(this.gen.random() * (i + 1));
      if (j === i) continue;
      tmp.set(this.buffer.subarray(i * d, (i + 1) * d));
      this.buffer.copyWithin(i * d, j * d, (j + 1) * d);
      this.buffer.set(tmp, j * d);
    }
  }

  next(n: number): Tensor {
    if (!(Number.isSafeInteger(n) && n > 0)) throw new Error(`ActivationStore.next: n must be a positive integer, got ${n}`);
    if (n > this.bufferSize / 2) throw new Error(`ActivationStore.next: a batch of ${n} is more than half the buffer (${this.bufferSize}); raise bufferSize`);
    if (this.count - n < this.bufferSize / 2) this.refill();
    const d = this.dIn;
    this.count -= n;
    this.activationsServed += n;
    return tensor(this.buffer.slice(this.count * d, (this.count + n) * d), { shape: [n, d] });
  }

  /** Where the stream stands, for resuming a run from the same place. */
  position(): { cursor: number; tokensSeen: number; activationsServed: number } {
    return { cursor: this.cursor, tokensSeen: this.tokensSeen, activationsServed: this.activationsServed };
  }

  /** Continues from a saved position (the buffer refills from there; shuffling differs). */
  seek(p: { cursor: number; tokensSeen?: number; activationsServed?: number }): void {
    if (!(Number.isSafeInteger(p.cursor) && p.cursor >= 0 && p.cursor <= this.tokens.length)) throw new Error(`ActivationStore.seek: cursor ${p.cursor} is outside the corpus (${this.tokens.length} tokens)`);
    this.cursor = p.cursor;
    this.tokensSeen = p.tokensSeen ?? this.tokensSeen;
    this.activationsServed = p.activationsServed ?? this.activationsServed;
    this.count = 0;
  }
}
