// Scoring a generated maze path in three steps, each harder than the last:
//   valid_path    the path starts at the origin and every step crosses an open passage
//                 (no walking through walls, no jumps between cells that are not neighbours);
//   reaches_goal  a valid path that ends at the target;
//   is_shortest   a path that reaches the goal with as few steps as breadth-first search needs.
// So is_shortest ≤ reaches_goal ≤ valid_path for every item: the gaps between them say whether a
// model fails by breaking the rules, by getting lost, or by taking detours.
import { shortestPath } from "../data/tasks/maze.js";
import type { Checker, Doc } from "./task.js";

/** The cells a text names, in order: "(1,0) (0,0)" → [[1, 0], [0, 0]]; anything else is ignored. */
export function parseMazePath(text: string): [number, number][] {
  return [...text.matchAll(/\((\d+)\s*,\s*(\d+)\)/g)].map((m) => [Number(m[1]), Number(m[2])]);
}

/** A maze as the scorer needs it: grid size, passages between cells r * cols + c, and the endpoints. */
export interface MazeSpec {
  rows: number;
  cols: number;
  edges: readonly (readonly [number, number])[];
  origin: number;
  target: number;
}

export interface MazePathScores {
  valid_path: number;
  reaches_goal: number;
  is_shortest: number;
}

/** The three scores (1 or 0) of a path given as [row, col] cells. */
export function scoreMazePath(path: readonly (readonly [number, number])[], maze: MazeSpec): MazePathScores {
  const { rows, cols } = maze;
  const nCells = rows * cols;
  const none = { valid_path: 0, reaches_goal: 0, is_shortest: 0 };
  if (path.length === 0 || path.some(([r, c]) => r >= rows || c >= cols)) return none;
  const cells = path.map(([r, c]) => r * cols + c);
  if (cells[0] !== maze.origin) return none;
  const open = new Set(maze.edges.map(([a, b]) => Math.min(a, b) * nCells + Math.max(a, b)));
  for (let i = 1; i < cells.length; i++) {
    const [a, b] = [cells[i - 1], cells[i]];
    if (!open.has(Math.min(a, b) * nCells + Math.max(a, b))) return none;
  }
  if (cells[cells.length - 1] !== maze.target) return { ...none, valid_path: 1 };
  const best = shortestPath(nCells, maze.edges, maze.origin, maze.target);
  return { valid_path: 1, reaches_goal: 1, is_shortest: best !== null && cells.length === best.length ? 1 : 0 };
}

function checkSpec(doc: Doc): MazeSpec {
  const { rows, cols, edges, origin, target } = doc as Partial<MazeSpec>;
  const int = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
  if (!int(rows) || !int(cols) || !int(origin) || !int(target) || !Array.isArray(edges) || !edges.every((e) => Array.isArray(e) && e.length === 2 && e.every(int))) {
    throw new Error("mazeChecker: an item needs rows, cols, origin, target (integers) and edges ([a, b] cell pairs)");
  }
  return { rows: rows!, cols: cols!, edges: edges!, origin: origin!, target: target! };
}

/** The maze task's checker: parses the generation's cells and scores them against the item's maze. */
export const mazeChecker: Checker = {
  metrics: ["valid_path", "reaches_goal", "is_shortest"],
  check: (response, doc) => ({ ...scoreMazePath(parseMazePath(response), checkSpec(doc)) }),
};
