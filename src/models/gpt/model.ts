// HookedTransformer: a GPT from token ids to logits, with a hook point at every activation
// TransformerLens names. With components.ts it is the whole forward pass:
//   resid = W_E[tokens] + positions;  for each block: resid = block(resid);  logits = ln_final(resid) W_U + b_U
import { Module, parameter } from "../../nn/module.js";
import { tensor } from "../../tensor/creation.js";
import { enableGrad, isGradEnabled, noGrad, runBackward } from "../../tensor/autograd.js";
import { currentScope, inScope, tidy } from "../../tensor/scope.js";
import { ActivationCache } from "./activation-cache.js";
import { backend } from "../../backend/index.js";
import { crossEntropy } from "../../tensor/ops/nn.js";
import { Tensor } from "../../tensor/tensor.js";
import { normal_ } from "../../nn/init.js";
import { zeros } from "../../tensor/creation.js";
import { manualSeed } from "../../tensor/random.js";
import { embedding } from "../../tensor/ops/nn.js";
import { Embed, type LayerKV, Norm, PosEmbed, TransformerBlock, Unembed } from "./components.js";
import { type GPTConfig, type GPTConfigInput, makeConfig } from "./config.js";
import { type HookFn, HookPoint, markScopeSafe } from "./hooks.js";
import { nearest } from "./names.js";
// getActName lives in names.ts (activation-cache.ts needs it too); model.ts stays its public home
export { getActName } from "./names.js";
import { abacusPositions, sinusoidalTable } from "./positional.js";

/** Token ids as an int32 tensor (batch, pos), a nested array, or one sequence. */
export type TokensLike = Tensor | number[] | number[][];

/** Past keys and values of every layer, for generation one token at a time. */
export class KVCache {
  readonly layers: LayerKV[];
  /** Positions already processed. */
  length = 0;
  /** Abacus positions only: the length of the digit run each sequence ends with. */
  abacusRuns: Int32Array | null = null;
  constructor(nLayers: number) {
    this.layers = Array.from({ length: nLayers }, () => ({ k: null, v: null }));
  }
  /** Frees the cached keys and values now (they are kept out of every scope); the cache is then empty. */
  dispose(): void {
    for (const l of this.layers) {
      l.k?.dispose();
      l.v?.dispose();
      l.k = l.v = null;
    }
    this.length = 0;
  }
}

export interface ForwardOptions {
  /** Run only blocks [startAtLayer, stopAtLayer); the input is then the residual stream when startAtLayer > 0. */
  startAtLayer?: number;
  stopAtLayer?: number;
  /**
   * Cache of earlier positions (generation). One cache per batch row makes a ragged batch: each
   * sequence has its own past and length (a server's decode step over several requests).
   */
  cache?: KVCache | readonly KVCache[];
  /** Abacus only: random offset added to digit places (training-time augmentation). */
  abacusOffset?: number;
  /**
   * Unembed only the last position: logits (batch, 1, d_vocab). What generation needs; for
   * GPT-2 a 512-token prompt then costs 1 row of the (d_model × 50257) product, not 512.
   */
  lastPositionOnly?: boolean;
}

export type HookSpec = [string | ((name: string) => boolean), HookFn];

export interface RunWithCacheOptions {
  /** Hook names to cache, or a predicate on names (default: all but hook_result). */
  namesFilter?: string[] | ((name: string) => boolean);
  /** Run only blocks [0, stopAtLayer); the returned "logits" are then the residual stream. */
  stopAtLayer?: number;
  /** Also cache the gradient of `metric` with respect to each cached activation, as "<name>_grad". */
  inclGradients?: boolean;
  /** The scalar differentiated by inclGradients (default: mean next-token cross-entropy). */
  metric?: (output: Tensor) => Tensor;
  /** Record the autograd tape so the returned logits can be differentiated (default false). */
  grad?: boolean;
  /** Drop the batch dimension of the cache (batch size 1), as TransformerLens's remove_batch_dim. */
  removeBatchDim?: boolean;
}

export class HookedTransformer extends Module {
  readonly cfg: GPTConfig;
  embed: Embed;
  hook_embed = new HookPoint();
  pos_embed: PosEmbed | null;
  /** Abacus digit-place embeddings (abacus_max_digits + 1, d): row 0 is "not a digit". */
  W_abacus: Tensor | null;
  hook_pos_embed = new HookPoint();
  blocks: TransformerBlock[];
  ln_final: Norm | null;
  unembed: Unembed;
  private readonly sinusoidal: Tensor | null;
  private readonly digitIds: Set<number>;
  private hookIndex: Map<string, HookPoint> | null = null;

  constructor(config: GPTConfigInput) {
    super();
    const cfg = (this.cfg = makeConfig(config));
    manualSeed(cfg.seed);
    this.embed = new Embed(cfg);
    this.pos_embed = cfg.positional_embedding_type === "standard" ? new PosEmbed(cfg) : null;
    this.W_abacus = cfg.positional_embedding_type === "abacus" ? parameter(normal_(zeros([cfg.abacus_max_digits + 1, cfg.d_model]), 0, cfg.initializer_range)) : null;
    this.sinusoidal = cfg.positional_embedding_type === "sinusoidal" ? sinusoidalTable(cfg.n_ctx, cfg.d_model) : null;
    this.digitIds = new Set(cfg.abacus_digit_ids);
    this.blocks = Array.from({ length: cfg.n_layers }, (_, layer) => new TransformerBlock(cfg, layer));
    this.ln_final = cfg.normalization_type === null ? null : new Norm(cfg, cfg.normalization_type);
    this.unembed = new Unembed(cfg, this.embed);
    for (const [name, m] of this.namedModules()) if (m instanceof HookPoint) m.name = name;
  }

  /** Every hook point by its TransformerLens name. */
  hookPoints(): Map<string, HookPoint> {
    if (!this.hookIndex) {
      this.hookIndex = new Map();
      for (const [name, m] of this.namedModules()) if (m instanceof HookPoint) this.hookIndex.set(name, m);
    }
    return this.hookIndex;
  }

  /** The hook point called `name`; unknown names are an error that lists near matches. */
  hookPoint(name: string): HookPoint {
    const hp = this.hookPoints().get(name);
    if (hp) return hp;
    const names = [...this.hookPoints().keys()];
    const near = nearest(name, names);
    throw new Error(`unknown hook point "${name}"; did you mean ${near.map((n) => `"${n}"`).join(", ")}?`);
  }

  /** Turns token input into an int32 (batch, pos) tensor, checking ids and length. */
  toTokens(tokens: TokensLike): Tensor {
    let t: Tensor;
    if (tokens instanceof Tensor) t = tokens.dtype === "int32" ? tokens : tokens.to("int32");
    else {
      const rows = Array.isArray(tokens[0]) ? (tokens as number[][]) : [tokens as number[]];
      t = tensor(rows, { dtype: "int32" });
    }
    if (t.ndim === 1) t = t.unsqueeze(0);
    if (t.ndim !== 2) throw new Error(`tokens must be (batch, pos), got shape [${t.shape}]`);
    const ids = backend().read(t.storage);
    for (let i = 0; i < ids.length; i++) {
      if (!(ids[i] >= 0 && ids[i] < this.cfg.d_vocab)) throw new Error(`token id ${ids[i]} is outside the vocabulary [0, ${this.cfg.d_vocab})`);
    }
    return t;
  }

  /**
   * The residual stream before block 0: token embeddings plus positional information. For abacus
   * positions, `abacusRuns` carries digit runs over from earlier positions (see abacusPositions).
   */
  embedTokens(tokens: Tensor, offset: number | readonly number[] = 0, abacusOffset = 0, abacusRuns?: Int32Array): Tensor {
    const [batch, pos] = tokens.shape;
    const longest = typeof offset === "number" ? offset : Math.max(...offset);
    if (longest + pos > this.cfg.n_ctx && this.cfg.positional_embedding_type !== "rotary" && this.cfg.positional_embedding_type !== "alibi" && this.cfg.positional_embedding_type !== "none") {
      throw new Error(`sequence of ${longest + pos} positions is longer than n_ctx = ${this.cfg.n_ctx}`);
    }
    const embed = this.hook_embed.forward(this.embed.forward(tokens)); // (b, p, d)
    let posEmbed: Tensor | null = null;
    const table = this.pos_embed?.W_pos ?? this.sinusoidal;
    if (table && typeof offset !== "number") {
      // a ragged batch: row b reads positions offset[b] … offset[b] + pos − 1 of the table
      const rows = Int32Array.from({ length: batch * pos }, (_, i) => offset[Math.floor(i / pos)] + (i % pos));
      posEmbed = embedding(tensor(rows, { shape: [batch, pos] }), table);
    } else if (this.pos_embed) posEmbed = this.pos_embed.forward(pos, offset as number);
    else if (this.sinusoidal) posEmbed = this.sinusoidal.narrow(0, offset as number, pos).unsqueeze(0);
    else if (this.W_abacus) {
      const places = abacusPositions(backend().read(tokens.storage), tokens.shape[0], pos, this.digitIds, abacusOffset, abacusRuns);
      for (const p of places) if (p > this.cfg.abacus_max_digits) throw new Error(`a number has more digits (+ offset) than abacus_max_digits = ${this.cfg.abacus_max_digits}`);
      posEmbed = embedding(tensor(places, { shape: tokens.shape }), this.W_abacus);
    }
    if (posEmbed === null) return embed;
    // (batch, pos, d) like TransformerLens's hook_pos_embed, so a hook may replace it per sequence
    return embed.add(this.hook_pos_embed.forward(posEmbed.expand(embed.shape)));
  }

  /** Logits (batch, pos, d_vocab) for the tokens, or the residual stream if stopAtLayer is set. */
  forward(tokens: TokensLike | Tensor, opts: ForwardOptions = {}): Tensor {
    const start = opts.startAtLayer ?? 0;
    const stop = opts.stopAtLayer ?? this.cfg.n_layers;
    const caches = opts.cache;
    const ragged = Array.isArray(caches);
    const offset: number | number[] = ragged ? caches.map((c) => c.length) : ((caches as KVCache | undefined)?.length ?? 0);
    // Without gradients nothing needs a block's activations once the block is done. Unless a hook
    // might hold on to one, each stage then runs in its own tidy() and each residual stream is
    // freed as soon as the next block has read it, so the forward holds about one block's
    // activations at a time, as PyTorch under no_grad does, not every layer's until the caller's
    // scope ends (GPT-2 small at 1024 tokens: ~1.1 GB less).
    const scoped = !isGradEnabled() && this.hooksAreScopeSafe();
    const stage = scoped ? tidy : <T>(fn: () => T): T => fn();
    const done = (t: Tensor, next: Tensor) => {
      if (scoped && t !== tokens && t !== next) t.dispose();
    };
    let resid: Tensor;
    let pos: number;
    if (start === 0) {
      const t = this.toTokens(tokens);
      pos = t.shape[1];
      if (ragged && caches.length !== t.shape[0]) throw new Error(`forward: ${caches.length} caches for a batch of ${t.shape[0]} (a ragged batch needs one per row)`);
      // abacus positions carry each sequence's digit run over from its earlier positions
      const runs = !caches || !this.W_abacus ? undefined : ragged ? Int32Array.from(caches, (c) => c.abacusRuns?.[0] ?? 0) : ((caches as KVCache).abacusRuns ??= new Int32Array(t.shape[0]));
      resid = stage(() => this.embedTokens(t, offset, opts.abacusOffset ?? 0, runs));
      if (ragged && runs) caches.forEach((c, b) => (c.abacusRuns = Int32Array.of(runs[b])));
    } else {
      if (!(tokens instanceof Tensor) || tokens.ndim !== 3) throw new Error("forward: with startAtLayer > 0 the input must be the residual stream (batch, pos, d_model)");
      resid = tokens;
      pos = tokens.shape[1];
    }
    for (let l = start; l < stop; l++) {
      const input = resid;
      const kv = ragged ? caches.map((c) => c.layers[l]) : (caches as KVCache | undefined)?.layers[l];
      resid = stage(() => this.blocks[l].forward(input, kv, offset));
      done(input, resid);
    }
    if (ragged) for (const c of caches) c.length += pos;
    else if (caches) (caches as KVCache).length += pos;
    // TransformerLens: any stop_at_layer (n_layers too) returns the residual stream, not logits
    if (opts.stopAtLayer !== undefined) return resid;
    const final = resid;
    const logits = stage(() => {
      const x = opts.lastPositionOnly && pos > 1 ? final.narrow(1, pos - 1, 1) : final;
      return this.unembed.forward(this.ln_final ? this.ln_final.forward(x) : x);
    });
    done(final, logits);
    return logits;
  }

  /** True when every attached hook is scope-safe (none attached, or only runWithCache's). */
  private hooksAreScopeSafe(): boolean {
    for (const hp of this.hookPoints().values()) if (!hp.onlyScopeSafeHooks) return false;
    return true;
  }

  /**
   * Mean next-token cross-entropy: logits at position i predict tokens[i + 1] (or `targets`
   * (batch, pos) when given, with -100 ignored).
   */
  loss(tokens: TokensLike, targets?: TokensLike): Tensor {
    const t = this.toTokens(tokens);
    if (targets === undefined) {
      const logits = this.forward(t.narrow(1, 0, t.shape[1] - 1));
      const y = t.narrow(1, 1, t.shape[1] - 1);
      return crossEntropy(logits.reshape(-1, this.cfg.d_vocab), y.reshape(-1));
    }
    const y = targets instanceof Tensor ? targets.to("int32") : tensor(targets as number[][], { dtype: "int32" });
    const logits = this.forward(t);
    return crossEntropy(logits.reshape(-1, this.cfg.d_vocab), y.reshape(-1));
  }

  /** Runs with hooks attached, removing them afterwards even on error (TransformerLens's run_with_hooks). */
  runWithHooks<T = Tensor>(tokens: TokensLike, opts: { fwdHooks?: HookSpec[]; bwdHooks?: HookSpec[]; run?: (model: HookedTransformer) => T } = {}): T {
    const removers: (() => void)[] = [];
    try {
      for (const [dir, list] of [["fwd", opts.fwdHooks ?? []], ["bwd", opts.bwdHooks ?? []]] as const) {
        for (const [sel, fn] of list) {
          const points = typeof sel === "string" ? [this.hookPoint(sel)] : [...this.hookPoints().values()].filter((h) => sel(h.name));
          for (const hp of points) removers.push(hp.addHook(fn, dir));
        }
      }
      return opts.run ? opts.run(this) : (this.forward(tokens) as T);
    } finally {
      for (const remove of removers) remove();
    }
  }

  /**
   * Runs the model and stores the activations at the chosen hook points (TransformerLens's
   * run_with_cache) in an ActivationCache (a Map by hook name). Only what namesFilter selects is
   * kept (by default every hook point but hook_result, which, as in TransformerLens, runs only
   * with use_attn_result); with stopAtLayer the run stops early and returns the residual stream.
   * The run records no autograd tape (so nothing but the cache is retained) unless `grad` is set;
   * with inclGradients it also caches d metric / d activation as "<name>_grad" (TransformerLens's
   * incl_bwd), without touching the parameters' .grad.
   */
  runWithCache(tokens: TokensLike, opts: RunWithCacheOptions = {}): { logits: Tensor; cache: ActivationCache } {
    const filter = opts.namesFilter;
    if (Array.isArray(filter)) for (const n of filter) this.hookPoint(n); // unknown names are errors
    const useResult = this.cfg.use_attn_result;
    const wanted = filter === undefined ? (n: string) => useResult || !n.endsWith(".hook_result") : Array.isArray(filter) ? ((set) => (n: string) => set.has(n))(new Set(filter)) : filter;
    if (opts.inclGradients && opts.stopAtLayer !== undefined && !opts.metric) throw new Error("runWithCache: inclGradients with stopAtLayer needs a metric (the default is the next-token loss of the logits)");
    const cache = new ActivationCache(this);
    const live = new Map<string, Tensor>(); // the activations themselves, for their gradients
    // the cached activations belong to the caller's scope, even when the forward frees each block's own
    const outer = currentScope();
    const record: HookFn = markScopeSafe((act, hp) => {
      cache.set(hp.name, inScope(outer, () => act.detach()));
      if (!opts.inclGradients) return;
      // a constant (e.g. sinusoidal positions) becomes a leaf so its gradient exists too
      const a = act.requiresGrad ? act : act.detach().requiresGrad_();
      live.set(hp.name, a);
      return a === act ? undefined : a;
    });
    const run = () => {
      const out = this.runWithHooks(tokens, { fwdHooks: [[wanted, record]], run: (m) => m.forward(tokens, { stopAtLayer: opts.stopAtLayer }) });
      if (opts.inclGradients) {
        const value = opts.metric ? opts.metric(out) : this.nextTokenLoss(out, tokens);
        if (value.numel() !== 1) throw new Error(`runWithCache: the metric must be a scalar, got shape [${value.shape}]`);
        const grads = runBackward(value, value.onesLike(), { inputs: [...new Set(live.values())] });
        for (const [name, a] of live) cache.set(`${name}_grad`, (grads.get(a) ?? a.zerosLike()).detach());
      }
      return out;
    };
    const logits = opts.grad || opts.inclGradients ? enableGrad(run) : noGrad(run);
    if (opts.removeBatchDim) cache.removeBatchDim();
    return { logits, cache };
  }

  /** Mean cross-entropy of logits (b, p, v) predicting the next token of `tokens`. */
  private nextTokenLoss(logits: Tensor, tokens: TokensLike): Tensor {
    const t = this.toTokens(tokens);
    const p = t.shape[1];
    if (p < 2) throw new Error("runWithCache: the default metric (next-token loss) needs at least 2 positions; pass a metric");
    const v = this.cfg.d_vocab;
    return crossEntropy(logits.narrow(1, 0, p - 1).reshape(-1, v), t.narrow(1, 1, p - 1).reshape(-1));
  }

  /** Parameters split for AdamW: matrices and embeddings decay, biases and norm weights do not (nanoGPT). */
  parameterGroups(weightDecay: number): { params: Tensor[]; weightDecay: number }[] {
    const decay = this.parameters().filter((p) => p.ndim >= 2);
    const noDecay = this.parameters().filter((p) => p.ndim < 2);
    return [
      { params: decay, weightDecay },
      { params: noDecay, weightDecay: 0 },
    ].filter((g) => g.params.length > 0);
  }

  /** Greedy or sampled continuation is in generate.ts; this is the logits of the last position. */
  lastLogits(tokens: TokensLike, cache?: KVCache): Tensor {
    return noGrad(() => {
      const logits = this.forward(tokens, { cache, lastPositionOnly: true });
      return logits.select(1, 0);
    });
  }
}
