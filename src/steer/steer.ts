// Running a model with a steering intervention: forward hooks attached for the run and removed
// afterwards, even when the run throws (model.runWithHooks). Two kinds of intervention:
//
//   activation addition   at blocks.L.hook_resid_pre, position t:
//                           x_t ← x_t + c·v[t − start]   for a (n, d) vector (ActAdd: start = 0),
//                           x_t ← x_t + c·v               for a (d) vector, at every t ≥ start (CAA)
//   directional ablation  x ← x − (x·r̂) r̂ at every residual write (ablate.ts)
//
// Positions are absolute positions of the sequence. Generating with a KV cache, each forward pass
// after the first sees only the newest position, so the hook is told where the pass starts
// (positionOffset); that way the cached and the uncached generation steer the same positions and
// give the same tokens. The hooks keep no activations (they are scope-safe: a forward pass without
// gradients may still free each block's temporaries as it goes).
import { generate, type GenerateOptions } from "../models/gpt/generate.js";
import { type HookFn, markScopeSafe } from "../models/gpt/hooks.js";
import type { HookSpec, HookedTransformer } from "../models/gpt/model.js";
import { tensor } from "../tensor/creation.js";
import { cat } from "../tensor/ops/shape.js";
import { Generator } from "../tensor/random.js";
import type { Tensor } from "../tensor/tensor.js";
import { ablationHooks, type DirectionalAblation } from "./ablate.js";
import { residHook } from "./vectors.js";

/** Add c·vector to the residual stream at blocks.layer.hook_resid_pre. */
export interface ActivationAddition {
  kind: "add";
  layer: number;
  /** (n, d_model): row j goes to position start + j (ActAdd); or (d_model): to every position ≥ start (CAA). */
  vector: Tensor;
  coef: number;
  /** The first absolute position steered (default 0). */
  start?: number;
}

export type Steering = ActivationAddition | DirectionalAblation;

/** Where a forward pass of p positions starts in the sequence (0 for a whole sequence). */
export type PositionOffset = (p: number) => number;

function checkAddition(model: HookedTransformer, a: ActivationAddition): void {
  residHook(model, a.layer);
  const d = model.cfg.d_model;
  const v = a.vector;
  if (!((v.ndim === 1 && v.shape[0] === d) || (v.ndim === 2 && v.shape[1] === d && v.shape[0] > 0))) throw new Error(`activation addition: the vector must be (d_model = ${d}) or (positions, ${d}), got [${v.shape}]`);
  if (!Number.isFinite(a.coef)) throw new Error(`activation addition: the coefficient must be a finite number, got ${a.coef}`);
  const start = a.start ?? 0;
  if (!(Number.isInteger(start) && start >= 0)) throw new Error(`activation addition: start must be an integer ≥ 0, got ${start}`);
}

/** The forward hook of an activation addition (see the header). */
export function additionHook(a: ActivationAddition, positionOffset: PositionOffset = () => 0): HookFn {
  const start = a.start ?? 0;
  const { vector: v, coef: c } = a;
  return markScopeSafe((x: Tensor) => {
    if (c === 0) return undefined;
    const p = x.shape[1];
    const offset = positionOffset(p); // absolute position of x's first row
    if (v.ndim === 1) {
      // c·v where t ≥ start: a (1, p, 1) mask of 0s and 1s times c·v (d)
      const mask = Float32Array.from({ length: p }, (_, j) => (offset + j >= start ? 1 : 0));
      if (!mask.some((m) => m === 1)) return undefined;
      return x.add(tensor(mask, { shape: [1, p, 1] }).mul(v.mul(c)));
    }
    // rows start … start + n − 1 of the sequence get c·v[0 … n − 1]; find those inside this pass
    const n = v.shape[0];
    const from = Math.max(offset, start);
    const to = Math.min(offset + p, start + n); // exclusive
    if (from >= to) return undefined;
    const rows = v.narrow(0, from - start, to - from).mul(c); // (to − from, d)
    const parts: Tensor[] = [];
    if (from > offset) parts.push(x.narrow(1, 0, from - offset)); // positions before the steered ones
    parts.push(x.narrow(1, from - offset, to - from).add(rows));
    if (to < offset + p) parts.push(x.narrow(1, to - offset, offset + p - to)); // and after them
    return parts.length === 1 ? parts[0] : cat(parts, 1);
  });
}

/** The hooks that carry out the steering (checked against the model). */
export function steeringHooks(model: HookedTransformer, steering: Steering | readonly Steering[], positionOffset: PositionOffset = () => 0): HookSpec[] {
  const list = Array.isArray(steering) ? steering : [steering as Steering];
  return list.flatMap((s): HookSpec[] => {
    if (s.kind === "add") {
      checkAddition(model, s);
      return [[residHook(model, s.layer), additionHook(s, positionOffset)]];
    }
    if (s.kind === "ablate") return ablationHooks(model, s);
    throw new Error(`steering: kind must be "add" or "ablate", got ${JSON.stringify((s as { kind: unknown }).kind)}`);
  });
}

/** Runs fn with the steering's hooks attached (none when null), removing them afterwards even on error. */
export function withSteering<T>(model: HookedTransformer, steering: Steering | readonly Steering[] | null, fn: (model: HookedTransformer) => T, positionOffset?: PositionOffset): T {
  if (steering === null) return fn(model);
  return model.runWithHooks<T>([], { fwdHooks: steeringHooks(model, steering, positionOffset), run: fn });
}

/** Logits (batch, pos, d_vocab) with the steering on, for whole sequences (positions from 0). */
export function steeredLogits(model: HookedTransformer, tokens: number[][], steering: Steering | readonly Steering[] | null): Tensor {
  return withSteering(model, steering, (m) => m.forward(tokens));
}

/**
 * Continues `prompt` with the steering on at every forward pass (null: none); returns the new
 * tokens. With the KV cache (default) or without it, the same positions are steered.
 */
export function generateSteered(model: HookedTransformer, prompt: readonly number[], steering: Steering | readonly Steering[] | null, opts: GenerateOptions = {}): number[] {
  let length = prompt.length; // tokens in the sequence when the next forward pass runs
  const offset: PositionOffset = (p) => length - p;
  return withSteering(
    model,
    steering,
    (m) =>
      generate(m, prompt, {
        ...opts,
        onToken: (id) => {
          length++;
          opts.onToken?.(id);
        },
      }),
    offset,
  );
}

export interface BeforeAfter {
  before: number[];
  after: number[];
}

/** The prompt continued without and with the steering, each sampled from Generator(seed). */
export function steerGenerations(model: HookedTransformer, prompt: readonly number[], steering: Steering | readonly Steering[], opts: Omit<GenerateOptions, "generator"> & { seed?: number } = {}): BeforeAfter {
  const { seed = 0, ...rest } = opts;
  const before = generateSteered(model, prompt, null, { ...rest, generator: new Generator(seed) });
  const after = generateSteered(model, prompt, steering, { ...rest, generator: new Generator(seed) });
  return { before, after };
}
