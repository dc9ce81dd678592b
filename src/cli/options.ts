// Parsing numeric CLI flags with errors that name the flag.
export function numberOption(o: Record<string, string>, name: string, fallback: number): number {
  const raw = o[name];
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(v)) throw new Error(`--${name}: expected a number, got "${raw}"`);
  return v;
}

export function intOption(o: Record<string, string>, name: string, fallback: number, min = 1): number {
  const v = numberOption(o, name, fallback);
  if (!Number.isSafeInteger(v) || v < min) throw new Error(`--${name}: expected an integer ≥ ${min}, got "${o[name]}"`);
  return v;
}
