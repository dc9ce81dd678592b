// torch.nn.functional.pad. `padding` lists (before, after) pairs starting from the LAST dim:
// [left, right] pads the last dim, [left, right, top, bottom] the last two, and so on.
// Constant padding concatenates blocks of `value` (negative amounts crop); the other modes pick
// input entries by index (indexSelect), so their gradient adds each output's gradient back to
// the entry it copied.
import { tensor, full } from "../../tensor/creation.js";
import { indexSelect } from "../../tensor/ops/indexing.js";
import { cat, narrow } from "../../tensor/ops/shape.js";
import { fmt } from "../../tensor/shape.js";
import type { Tensor } from "../../tensor/tensor.js";

export type PadMode = "constant" | "reflect" | "replicate" | "circular";

export function pad(x: Tensor, padding: readonly number[], mode: PadMode = "constant", value = 0): Tensor {
  if (padding.length % 2 !== 0 || padding.length / 2 > x.ndim) {
    throw new Error(`pad: padding must hold (before, after) pairs for at most ${x.ndim} dims of input ${fmt(x.shape)}, got [${padding}]`);
  }
  if (!padding.every(Number.isInteger)) throw new Error(`pad: padding must be integers, got [${padding}]`);
  if (!["constant", "reflect", "replicate", "circular"].includes(mode)) throw new Error(`pad: mode must be "constant", "reflect", "replicate" or "circular", got ${JSON.stringify(mode)}`);
  if (mode !== "constant" && value !== 0) throw new Error(`pad: a padding value only applies to mode "constant", not ${JSON.stringify(mode)}`);
  let y = x;
  for (let i = 0; i < padding.length / 2; i++) {
    const dim = x.ndim - 1 - i;
    const [before, after] = [padding[2 * i], padding[2 * i + 1]];
    if (before === 0 && after === 0) continue;
    y = mode === "constant" ? padConstant(y, dim, before, after, value) : padByIndex(y, dim, before, after, mode);
  }
  return y;
}

function padConstant(x: Tensor, dim: number, before: number, after: number, value: number): Tensor {
  const n = x.shape[dim];
  if (n + before + after < 0) throw new Error(`pad: padding (${before}, ${after}) of dim ${dim} leaves a negative size for input ${fmt(x.shape)}`);
  // negative amounts crop first
  const start = Math.min(n, Math.max(0, -before));
  const kept = Math.max(0, n - start - Math.max(0, -after));
  let y = start > 0 || kept < n ? narrow(x, dim, start, kept) : x;
  const block = (size: number) => full(x.shape.map((s, d) => (d === dim ? size : s)), value, { dtype: x.dtype });
  const parts = [...(before > 0 ? [block(before)] : []), y, ...(after > 0 ? [block(after)] : [])];
  if (parts.length > 1) y = cat(parts, dim);
  return y;
}

function padByIndex(x: Tensor, dim: number, before: number, after: number, mode: Exclude<PadMode, "constant">): Tensor {
  const n = x.shape[dim];
  if (before < 0 || after < 0) throw new Error(`pad: mode "${mode}" needs non-negative padding, got (${before}, ${after}) for dim ${dim}`);
  if (mode === "reflect" && (before >= n || after >= n)) throw new Error(`pad: reflect padding (${before}, ${after}) must be less than the size ${n} of dim ${dim}`);
  if (mode === "circular" && (before > n || after > n)) throw new Error(`pad: circular padding (${before}, ${after}) must not exceed the size ${n} of dim ${dim}`);
  if (mode === "replicate" && n === 0) throw new Error(`pad: cannot replicate-pad the empty dim ${dim} of input ${fmt(x.shape)}`);
  const source = (i: number): number => {
    if (mode === "replicate") return Math.min(n - 1, Math.max(0, i));
    if (mode === "circular") return ((i % n) + n) % n;
    // reflect about the edge entries (which are not repeated): −1 → 1, n → n − 2
    return i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i;
  };
  const index = Array.from({ length: n + before + after }, (_, j) => source(j - before));
  return indexSelect(x, dim, tensor(index, { dtype: "int32" }));
}
