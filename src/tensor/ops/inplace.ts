// In-place ops (add_, mul_, fill_, copy_ …) with PyTorch's rules for autograd:
//
//   - a leaf that requires grad (a parameter) may only be changed in place inside noGrad(), as in
//     an optimizer step; otherwise it is an error, because its gradient would refer to numbers
//     that are gone;
//   - any other tensor may be changed in place. If the change involves tensors that require grad
//     (and recording is on), the tensor's history is rewritten: it now comes from the op applied
//     to its previous value, so gradients flow through the in-place op as through its out-of-place
//     twin;
//   - every in-place write bumps the version of the tensor's storage (shared with its views), and
//     backward() refuses a node whose saved tensors changed since (see autograd.ts), rather than
//     computing a wrong gradient.
//
// The op is computed out of place and copied in: the point is PyTorch's semantics (and code that
// reads like PyTorch), not saving memory.
import { backend } from "../../backend/index.js";
import type { DType } from "../../backend/types.js";
import { attach, bumpVersion, isGradEnabled, noGrad } from "../autograd.js";
import { isFloat } from "../dtype.js";
import { fmt } from "../shape.js";
import { Tensor } from "../tensor.js";
import { clone } from "./elementwise.js";
import { expand } from "./shape.js";

const KIND: Record<DType, number> = { bool: 0, int32: 1, float32: 2, float64: 2 };

/**
 * Replaces self's numbers with compute(previous value of self), which must have self's shape and
 * a dtype that casts to self's without losing its kind (no float into int, as in PyTorch).
 * `operands` are the other tensors involved, to know whether autograd must record the op.
 */
export function inplace(self: Tensor, op: string, compute: (previous: Tensor) => Tensor, operands: readonly unknown[] = []): Tensor {
  const grad = isGradEnabled();
  if (grad && self.isLeaf && self.requiresGrad) {
    throw new Error(`${op}: a leaf Variable that requires grad is being used in an in-place operation (shape ${fmt(self.shape)}); wrap the update in noGrad(() => ...), as an optimizer step does`);
  }
  const recording = grad && (self.requiresGrad || operands.some((o) => o instanceof Tensor && o.requiresGrad));
  if (recording && self.gradFn?.op === "reshape") {
    throw new Error(`${op}: in-place changes to a view (reshape/view/flatten/squeeze) of a tensor that requires grad are not supported; change the base tensor, or clone() the view first`);
  }
  let result: Tensor;
  let previous: Tensor | null = null;
  if (!recording) {
    result = noGrad(() => compute(self));
  } else {
    // the previous value as its own tensor, carrying self's history: the new node's input
    previous = noGrad(() => clone(self));
    if (self.gradFn !== null) previous._setGradFn(self.gradFn);
    result = compute(previous);
  }
  if (result.ndim !== self.ndim || result.shape.some((s, i) => s !== self.shape[i])) {
    throw new Error(`${op}: output with shape ${fmt(self.shape)} doesn't match the broadcast shape ${fmt(result.shape)}`);
  }
  if (KIND[result.dtype] > KIND[self.dtype]) throw new Error(`${op}: result type ${result.dtype} can't be cast to the desired output type ${self.dtype}`);
  let value = result.to(self.dtype);
  // the new value does not depend on anything that requires grad (copy_ of a constant): self
  // still requires grad, and its previous value gets a zero gradient, as in PyTorch
  if (recording && value.gradFn === null && isFloat(value.dtype)) value = attach(value.detach(), op, [previous!], (g) => [g.zerosLike()], []);
  if (value.storage !== self.storage) backend().write(self.storage, backend().read(value.storage));
  bumpVersion(self);
  if (recording && value.gradFn !== null) self._setGradFn(value.gradFn);
  else if (value.storage !== self.storage) {
    // nothing recorded refers to the out-of-place result: free it now rather than at the next
    // garbage collection (loading GPT-2's weights with copy_ would otherwise hold a third copy)
    if (result !== value) result.dispose();
    value.dispose();
  }
  return self;
}

/** fill_: every element becomes `value` (a number, or a one-element tensor that then gets the gradient Σg). */
export function fill_(self: Tensor, value: number | boolean | Tensor): Tensor {
  if (value instanceof Tensor) {
    if (value.numel() !== 1) throw new Error(`fill_: only supports a one-element value tensor, got shape ${fmt(value.shape)}`);
    return inplace(self, "fill_", () => clone(expand(value.reshape([]).to(self.dtype), self.shape)), [value]);
  }
  if (typeof value !== "number" && typeof value !== "boolean") throw new Error(`fill_: value must be a number or a tensor, got ${typeof value}`);
  if (!(isGradEnabled() && self.requiresGrad)) {
    // the common case (initialisation, buffers): the backend's fill, no copy
    backend().fill(self.storage, Number(value));
    bumpVersion(self);
    return self;
  }
  // a non-leaf filled while recording: inplace() gives its previous value a zero gradient (a leaf errors)
  return inplace(self, "fill_", () => {
    const out = Tensor.empty(self.shape, self.dtype);
    backend().fill(out.storage, Number(value));
    return out;
  });
}

/** copy_: self's numbers become src's (broadcast to self's shape, cast to self's dtype); the gradient goes to src. */
export function copy_(self: Tensor, src: Tensor | number): Tensor {
  if (typeof src === "number") return fill_(self, src);
  if (!(src instanceof Tensor)) throw new Error(`copy_: src must be a Tensor, got ${typeof src}`);
  // any dtype converts into any other (float into int truncates), as torch's copy_
  return inplace(self, "copy_", () => clone(expand(src.to(self.dtype), self.shape)), [src]);
}
