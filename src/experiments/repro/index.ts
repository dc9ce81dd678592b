// The reproductions of `dgpt repro`, in the order the course meets them. Each file of this
// folder holds one (see types.ts for what a reproduction is); add a new one to this list.
import type { Reproduction } from "./types.js";
import { abacus } from "./abacus.js";

export * from "./types.js";
export * from "./report.js";

export const REPRODUCTIONS: readonly Reproduction[] = [abacus];

/** The reproduction called `name`, or an error listing them all. */
export function getReproduction(name: string): Reproduction {
  const r = REPRODUCTIONS.find((x) => x.name === name);
  if (!r) throw new Error(`no reproduction "${name}"; there are: ${REPRODUCTIONS.map((x) => x.name).join(", ")} (dgpt repro --list)`);
  return r;
}
