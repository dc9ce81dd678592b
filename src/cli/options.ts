// Parsing numeric CLI flags with errors that name the flag.
/** The flag as typed: commander's camelCase key maxIters is --max-iters. */
const flag = (name: string) => `--${name.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase())}`;

export function numberOption(o: Record<string, string>, name: string, fallback: number): number {
  const raw = o[name];
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (String(raw).trim() === "" || !Number.isFinite(v)) throw new Error(`${flag(name)}: expected a number, got "${raw}"`);
  return v;
}

export function intOption(o: Record<string, string>, name: string, fallback: number, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  const v = numberOption(o, name, fallback);
  if (!Number.isInteger(v) || v < min || v > max) {
    const range = max === Number.MAX_SAFE_INTEGER && v <= max ? `≥ ${min}` : `from ${min} to ${max}`;
    throw new Error(`${flag(name)}: expected an integer ${range}, got "${o[name]}"`);
  }
  return v;
}

/** A number in (0, 1] (a probability mass such as top-p). */
export function probabilityOption(o: Record<string, string>, name: string): number {
  const v = numberOption(o, name, 1);
  if (!(v > 0 && v <= 1)) throw new Error(`${flag(name)}: expected a number in (0, 1], got "${o[name]}"`);
  return v;
}

/** Comma-separated token ids ("1, 2,3"), each a non-negative integer; the error names the flag. */
export function parseTokenIds(text: string, flagName: string): number[] {
  const ids = String(text).split(",").map((x) => Number(x.trim()));
  if (String(text).trim() === "" || ids.some((v) => !Number.isInteger(v) || v < 0)) throw new Error(`${flagName}: expected comma-separated integers, got "${text}" (token ids, each ≥ 0)`);
  return ids;
}

/** One entry of a head list: a whole layer ("5") or one head ("9.6"). */
export interface HeadSpec {
  layer: number;
  head?: number;
}

/** A head list such as "5,9.6,10.7" (layers and layer.head pairs); checks the syntax only, since
 *  the ranges need the model (resolveHeads). The error names the flag and the bad entry. */
export function parseHeadList(text: string, flagName: string): HeadSpec[] {
  const entries = String(text).split(",").map((e) => e.trim());
  return entries.map((e) => {
    const m = /^(\d+)(?:\.(\d+))?$/.exec(e);
    if (!m) {
      const what = e === "" ? "an empty entry" : `"${e}"`;
      throw new Error(`${flagName}: ${what} in "${text}" is not a layer (5) or a layer.head pair (9.6); give a comma-separated list such as 5,9.6,10.7`);
    }
    return m[2] === undefined ? { layer: Number(m[1]) } : { layer: Number(m[1]), head: Number(m[2]) };
  });
}

/** The [layer, head] pairs a head list names in a model of nLayers × nHeads, in model order
 *  without repeats; an entry outside the model is an error naming the flag and the model's size. */
export function resolveHeads(spec: readonly HeadSpec[], nLayers: number, nHeads: number, flagName: string): [number, number][] {
  const picked = new Set<number>();
  for (const { layer, head } of spec) {
    const name = head === undefined ? `${layer}` : `${layer}.${head}`;
    if (layer >= nLayers) throw new Error(`${flagName}: ${name}: there is no layer ${layer}; the model has layers 0 to ${nLayers - 1}`);
    if (head !== undefined && head >= nHeads) throw new Error(`${flagName}: ${name}: there is no head ${head}; each layer has heads 0 to ${nHeads - 1}`);
    if (head === undefined) for (let h = 0; h < nHeads; h++) picked.add(layer * nHeads + h);
    else picked.add(layer * nHeads + head);
  }
  return [...picked].sort((a, b) => a - b).map((i) => [Math.floor(i / nHeads), i % nHeads]);
}
