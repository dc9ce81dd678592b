// The active backend. Tensor code calls `backend()`; `setBackend` swaps the implementation
// (the reference "js" backend is always available).
import { jsBackend } from "./js/index.js";
import type { Backend } from "./types.js";

export type * from "./types.js";
export { jsBackend };

let active: Backend = jsBackend;

export function backend(): Backend {
  return active;
}

export function setBackend(b: Backend): void {
  active = b;
}
