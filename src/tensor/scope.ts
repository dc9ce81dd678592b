// Deterministic memory release. With the reference backend the garbage collector frees tensors;
// with WebAssembly memory it cannot see how much a tensor holds, so memory is released by
// reference counts on storages and by scopes:
//
//   const loss = tidy(() => { ...forward, backward, optimizer step...; return loss.detach(); });
//
// Every tensor made inside tidy() is disposed when it returns, except the tensors it returns
// and those marked with keep() (gradients and optimizer state are kept automatically).
// Views (reshape, detach) share a storage; it is released when its last tensor is disposed.
// The garbage collector remains a safety net for tensors made outside any scope.
import { backend } from "../backend/index.js";
import type { Storage } from "../backend/types.js";

/**
 * All a scope needs of a tensor. An interface rather than the Tensor class, because tensor.ts
 * imports this file (its constructor registers every new tensor here).
 */
export interface ScopedTensor {
  /** Set by keep(): survives every enclosing tidy(). */
  _kept: boolean;
  dispose(): void;
}

/**
 * How many tensors share a storage, kept on the storage object itself: every op makes a tensor,
 * and a field costs a few nanoseconds where a WeakMap lookup costs tens. The backends' storage
 * classes declare `refs = 0`, so the field never changes their objects' shape.
 */
type Counted = Storage & { refs?: number };

const scopes: ScopedTensor[][] = [];

/** @internal called by the Tensor constructor */
export function registerTensor(t: ScopedTensor, storage: Storage): void {
  const s = storage as Counted;
  s.refs = (s.refs ?? 0) + 1;
  if (scopes.length > 0) scopes[scopes.length - 1].push(t);
}

/** @internal called by Tensor.dispose */
export function releaseStorage(storage: Storage): void {
  const s = storage as Counted;
  const n = (s.refs ?? 1) - 1;
  s.refs = n > 0 ? n : 0;
  if (n <= 0) backend().dispose(storage);
}

/** Marks a tensor to survive every enclosing tidy() (like tf.keep). */
export function keep<T extends ScopedTensor>(t: T): T {
  t._kept = true;
  return t;
}

/**
 * Marks a class whose instances hold tensors in their own fields (like { values, indices } from
 * max(dim)), so that tidy() looks inside them as it does inside plain objects.
 */
export const holdsTensors: unique symbol = Symbol("holdsTensors");

/** Tensors found in a returned value: a tensor, or arrays / plain objects / marked objects holding tensors. */
function collect(value: unknown, out: Set<unknown>, depth = 0): void {
  if (value === null || typeof value !== "object" || depth > 4) return;
  if ((value as { storage?: unknown }).storage !== undefined && "shape" in value && "dtype" in value) {
    out.add(value);
    return;
  }
  const items = Array.isArray(value) ? value : Object.getPrototypeOf(value) === Object.prototype || holdsTensors in value ? Object.values(value) : [];
  for (const v of items) collect(v, out, depth + 1);
}

/**
 * Runs fn and disposes every tensor created during it, except those it returns (found in a
 * returned tensor, array, plain object or { values, indices } pair) and those marked with keep(). Scopes nest: a returned
 * tensor belongs to the enclosing scope.
 */
export function tidy<T>(fn: () => T): T {
  scopes.push([]);
  let result: T;
  let ok = false;
  try {
    result = fn();
    ok = true;
  } finally {
    const made = scopes.pop()!;
    const returned = new Set<unknown>();
    if (ok) collect(result!, returned);
    const parent = scopes.length > 0 ? scopes[scopes.length - 1] : null;
    for (const t of made) {
      if (t._kept) continue;
      if (returned.has(t)) parent?.push(t);
      else t.dispose();
    }
  }
  return result!;
}

/** A scope to create tensors in later (see inScope); null when no tidy() is open. */
export type ScopeHandle = ScopedTensor[] | null;

/** The innermost open scope: tensors made now would belong to it. */
export function currentScope(): ScopeHandle {
  return scopes.length > 0 ? scopes[scopes.length - 1] : null;
}

/**
 * Runs fn with the tensors it makes belonging to `scope` (from currentScope()) instead of the
 * innermost open one: a forward pass that frees each block's temporaries with its own tidy() can
 * still hand what a hook caches to the caller's scope. With a null scope they belong to no scope
 * (the garbage collector's), as they would outside every tidy().
 */
export function inScope<T>(scope: ScopeHandle, fn: () => T): T {
  scopes.push(scope ?? []);
  try {
    return fn();
  } finally {
    scopes.pop();
  }
}

/** How many tidy() scopes are open (for tests and debugging). */
export function scopeDepth(): number {
  return scopes.length;
}
