// The reproductions of `dgpt repro`, in the order the course meets them. Each file of this
// folder holds one (see types.ts for what a reproduction is); add a new one to this list.
import type { Reproduction } from "./types.js";
import { inductionRepro } from "./induction.js";
import { grokking } from "./grokking.js";
import { abacus } from "./abacus.js";
import { tmsRepro } from "./tms.js";
import { mazeRepro } from "./maze.js";
import { ioi } from "./ioi.js";
import { attentionAtlas } from "./attention-atlas.js";

export * from "./types.js";
export * from "./report.js";

export const REPRODUCTIONS: readonly Reproduction[] = [
  inductionRepro,
  grokking,
  abacus,
  tmsRepro,
  mazeRepro,
  ioi,
  attentionAtlas,
];

/** The reproduction called `name`, or an error listing them all. */
export function getReproduction(name: string): Reproduction {
  const r = REPRODUCTIONS.find((x) => x.name === name);
  if (!r) throw new Error(`no reproduction "${name}"; there are: ${REPRODUCTIONS.map((x) => x.name).join(", ")} (dgpt repro --list)`);
  return r;
}
