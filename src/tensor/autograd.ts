// Reverse-mode automatic differentiation on a define-by-run tape.
//
// Every op that produces a tensor from inputs that require gradients attaches a GradNode to its
// output: the inputs and a backward function mapping the output's gradient to the inputs'
// gradients. `backward()` walks these nodes from the output in reverse topological order,
// summing gradients where a tensor is used more than once, and stores the result in `.grad` of
// the leaves. Backward functions are written with tensor ops, so with `createGraph` the
// backward pass is itself recorded and can be differentiated again.
//
// In-place ops (add_, mul_, copy_ …) change numbers a backward function may still need. As in
// PyTorch, every storage has a version counter that in-place ops bump; each node remembers the
// versions of the tensors its backward reads ("saved"), and backward() refuses to run a node
// whose saved tensors have changed since, instead of returning a wrong gradient.
import type { Storage } from "../backend/types.js";
import type { Tensor } from "./tensor.js";

export interface GradNode {
  /** The op's name, for error messages and graph printing. */
  readonly op: string;
  readonly inputs: readonly Tensor[];
  /** dL/d(output) → dL/d(input) for each input (null where an input gets no gradient). */
  readonly backward: (grad: Tensor) => readonly (Tensor | null | undefined)[];
  /** The tensors whose numbers `backward` reads, and their versions when the op ran (null: all 0). */
  readonly saved: readonly Tensor[];
  readonly savedVersions: readonly number[] | null;
}

let gradEnabled = true;

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs fn without recording operations (like `with torch.no_grad():`). */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/** Runs fn with recording on, even inside noGrad. */
export function enableGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = true;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

// ------------------------------------------------------------------ versions (in-place safety)
const versions = new WeakMap<Storage, number>();
/** How many in-place writes ever happened: while 0, every version is 0 and nodes store none. */
let inplaceWrites = 0;

/** How often the tensor's numbers (shared by its views) were changed in place. */
export function versionOf(t: Tensor): number {
  return inplaceWrites === 0 ? 0 : (versions.get(t.storage) ?? 0);
}

/** @internal called by every in-place op after it writes t's storage */
export function bumpVersion(t: Tensor): void {
  inplaceWrites++;
  versions.set(t.storage, (versions.get(t.storage) ?? 0) + 1);
}

/**
 * Whether an op on these inputs will be recorded: checked before an op builds its backward
 * closure and input list, which most calls (inference, noGrad) would otherwise make for nothing.
 */
export function willRecord(a: Tensor, b?: Tensor): boolean {
  return gradEnabled && (a.requiresGrad || (b !== undefined && b.requiresGrad));
}

/**
 * Records `out` as computed by `op` from `inputs` if any of them needs a gradient. `saved` lists
 * the tensors `backward` reads; by default the inputs and the output, which is always safe. Ops
 * whose backward reads less say so, so that writing in place to what they do not read (the
 * output of an add, say) stays allowed, as in PyTorch.
 */
export function attach(out: Tensor, op: string, inputs: readonly Tensor[], backward: GradNode["backward"], saved?: readonly Tensor[]): Tensor {
  if (gradEnabled && inputs.some((t) => t.requiresGrad)) {
    const s = saved ?? [...inputs, out];
    out._setGradFn({ op, inputs, backward, saved: s, savedVersions: inplaceWrites === 0 ? null : s.map(versionOf) });
  }
  return out;
}

/** Throws if a tensor the node's backward reads was changed in place after the op ran. */
function checkSaved(node: GradNode): void {
  if (inplaceWrites === 0) return;
  node.saved.forEach((t, i) => {
    if (t.isDisposed) return;
    const then = node.savedVersions?.[i] ?? 0;
    const now = versionOf(t);
    if (now !== then) {
      throw new Error(
        `backward of ${node.op}: one of the tensors needed for gradient computation (shape [${t.shape}]) has been modified by an in-place operation ` +
          `(it is at version ${now}; expected version ${then}). Use the out-of-place op (add instead of add_), or clone() the tensor before changing it.`,
      );
    }
  });
}

/** Tensors reachable from root through grad nodes, ordered so each comes after all its consumers. */
function reverseTopologicalOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  // Iterative DFS (a long RNN unroll would overflow the call stack).
  const stack: [Tensor, number][] = [[root, 0]];
  visited.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const [t, i] = top;
    const inputs = t.gradFn?.inputs ?? [];
    if (i < inputs.length) {
      top[1]++;
      const child = inputs[i];
      if (child.requiresGrad && !visited.has(child)) {
        visited.add(child);
        stack.push([child, 0]);
      }
    } else {
      stack.pop();
      order.push(t);
    }
  }
  return order.reverse();
}

export interface BackwardOptions {
  /** Record the backward pass so gradients can be differentiated again. */
  createGraph?: boolean;
  /** Only compute gradients for these tensors and return them instead of accumulating into .grad. */
  inputs?: readonly Tensor[];
}

/** Runs the backward pass from root with upstream gradient `seed`. */
export function runBackward(root: Tensor, seed: Tensor, opts: BackwardOptions = {}): Map<Tensor, Tensor> {
  if (!root.requiresGrad) {
    throw new Error("backward: tensor does not require grad and has no grad_fn (did you forget requiresGrad: true, or call it inside noGrad?)");
  }
  const grads = new Map<Tensor, Tensor>();
  grads.set(root, seed);
  const wanted = opts.inputs ? new Set(opts.inputs) : null;
  const result = new Map<Tensor, Tensor>();
  const run = () => {
    for (const t of reverseTopologicalOrder(root)) {
      let g = grads.get(t);
      if (g === undefined) continue;
      grads.delete(t); // free it as soon as it is consumed
      for (const hook of t._hooks) g = hook(g) ?? g;
      if (wanted) {
        if (wanted.has(t)) result.set(t, g);
      } else if (t.gradFn === null || t._retainsGrad) {
        // a fresh copy: one gradient tensor can reach several leaves (a + b), and .grad must not alias it
        t.grad = t.grad === null ? (opts.createGraph ? g.clone() : g.detach().clone()) : t.grad.add(g);
        t._ownsGrad = !opts.createGraph; // a recorded gradient may feed a later graph: leave it to the GC
      }
      const node = t.gradFn;
      if (node === null) continue;
      checkSaved(node);
      const inputGrads = node.backward(g);
      node.inputs.forEach((input, i) => {
        let gi = inputGrads[i];
        if (!input.requiresGrad || gi === null || gi === undefined) return;
        // ops compute in the promoted dtype; a float32 input still gets a float32 gradient
        if (gi.dtype !== input.dtype) gi = gi.to(input.dtype);
        if (gi.shape.length !== input.shape.length || gi.shape.some((s, d) => s !== input.shape[d])) {
          throw new Error(`backward of ${node.op}: gradient shape [${gi.shape}] does not match input shape [${input.shape}]`);
        }
        const prev = grads.get(input);
        grads.set(input, prev === undefined ? gi : prev.add(gi));
      });
    }
  };
  if (opts.createGraph) enableGrad(run);
  else noGrad(run);
  return result;
}

/**
 * Functional gradient, like torch.func.grad: grad(f)(...xs) returns dL/dx for each x, where
 * L = f(...xs) must be a scalar. Inputs are used as given (they need requiresGrad).
 */
export function grad(f: (...xs: Tensor[]) => Tensor, opts: { createGraph?: boolean } = {}): (...xs: Tensor[]) => Tensor[] {
  return (...xs: Tensor[]) => {
    const inputs = xs.map((x) => (x.requiresGrad ? x : x.detach().requiresGrad_(true)));
    const out = enableGrad(() => f(...inputs));
    if (out.numel() !== 1) throw new Error(`grad: f must return a scalar, got shape [${out.shape}]`);
    const got = runBackward(out, out.onesLike(), { createGraph: opts.createGraph, inputs });
    return inputs.map((x) => got.get(x) ?? x.zerosLike());
  };
}
