// The reproductions of `dgpt repro`, in the order the course meets them. Each file of this
// folder holds one (see types.ts for what a reproduction is); add a new one to this list.
import { mazeRepro } from "./maze.js";
import type { Reproduction } from "./types.js";

export * from "./types.js";
export * from "./report.js";

// the course's order: induction, grokking, abacus, tms, maze, ioi, attention-atlas
export const REPRODUCTIONS: readonly Reproduction[] = [mazeRepro];

/** The reproduction called `name`, or an error listing them all. */
export function getReproduction(name: string): Reproduction {
  const r = REPRODUCTIONS.find((x) => x.name === name);
  if (!r) throw new Error(`no reproduction "${name}"; there are: ${REPRODUCTIONS.map((x) => x.name).join(", ")} (dgpt repro --list)`);
  return r;
}
