// Hook points: identity modules placed at every activation TransformerLens names
// (blocks.0.attn.hook_q, blocks.0.hook_resid_post, ...). A hook may read the activation or return
// a replacement; with none attached a hook point costs one function call.
import { Module } from "../../nn/module.js";
import type { Tensor } from "../../tensor/tensor.js";

/** A forward hook: gets the activation and the hook's name; a returned tensor replaces it. */
export type HookFn = (activation: Tensor, hook: HookPoint) => Tensor | void;

/**
 * Hooks known to keep whatever they store in the caller's scope (runWithCache's recorder). A
 * forward pass without gradients frees each block's temporaries as soon as the block is done
 * only when every attached hook is one of these: a user's hook may hold on to an activation.
 */
const scopeSafe = new WeakSet<HookFn>();

/** Marks a hook as scope-safe (see above); returns it. */
export function markScopeSafe(fn: HookFn): HookFn {
  scopeSafe.add(fn);
  return fn;
}

export class HookPoint extends Module {
  /** Full dotted name, set by the model after construction. */
  name = "";
  private fwd: HookFn[] = [];
  private bwd: HookFn[] = [];

  get hasHooks(): boolean {
    return this.fwd.length > 0 || this.bwd.length > 0;
  }

  /** True when no hook is attached, or only scope-safe forward hooks (markScopeSafe). */
  get onlyScopeSafeHooks(): boolean {
    return this.bwd.length === 0 && this.fwd.every((fn) => scopeSafe.has(fn));
  }

  /** Adds a forward hook (or a backward one, which sees the gradient of this activation). */
  addHook(fn: HookFn, dir: "fwd" | "bwd" = "fwd"): () => void {
    const list = dir === "fwd" ? this.fwd : this.bwd;
    list.push(fn);
    return () => {
      const i = list.indexOf(fn);
      if (i >= 0) list.splice(i, 1);
    };
  }

  removeHooks(): void {
    this.fwd = [];
    this.bwd = [];
  }

  forward(x: Tensor): Tensor {
    let y = x;
    for (const fn of this.fwd) {
      const r = fn(y, this);
      if (r !== undefined) {
        if (r.shape.length !== y.shape.length || r.shape.some((s, i) => s !== y.shape[i])) {
          throw new Error(`hook on ${this.name}: a replacement must keep the shape [${y.shape}], got [${r.shape}]`);
        }
        y = r;
      }
    }
    if (this.bwd.length > 0 && y.requiresGrad) {
      const fns = this.bwd;
      y.registerHook((g) => {
        let out = g;
        for (const fn of fns) out = fn(out, this) ?? out;
        return out;
      });
    }
    return y;
  }
}
