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

export function intOption(o: Record<string, string>, name: string, fallback: number, min = 1): number {
  const v = numberOption(o, name, fallback);
  if (!Number.isSafeInteger(v) || v < min) throw new Error(`${flag(name)}: expected an integer ≥ ${min}, got "${o[name]}"`);
  return v;
}

/** Comma-separated token ids ("1, 2,3"), each a non-negative integer; the error names the flag. */
export function parseTokenIds(text: string, flagName: string): number[] {
  const ids = String(text).split(",").map((x) => Number(x.trim()));
  if (String(text).trim() === "" || ids.some((v) => !Number.isInteger(v) || v < 0)) throw new Error(`${flagName}: expected comma-separated integers, got "${text}" (token ids, each ≥ 0)`);
  return ids;
}
