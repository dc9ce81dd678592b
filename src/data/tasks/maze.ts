// Maze solving in the spirit of maze-dataset (Ivanitskiy et al. 2023): a grid maze made by
// randomized depth-first search (a spanning tree of the grid, so exactly one simple path joins
// any two cells), written as tokens — its passages as an adjacency list, the origin, the target —
// and the path from origin to target as the answer. The token strings are maze-dataset's.
//
// Format (2×2 grid; edges in random order and orientation):
//   <ADJLIST_START> (0,0) <--> (0,1) ; (1,1) <--> (0,1) ; (1,0) <--> (0,0) ; <ADJLIST_END>
//   <ORIGIN_START> (1,0) <ORIGIN_END> <TARGET_START> (1,1) <TARGET_END> <PATH_START>
//   answer: (1,0) (0,0) (0,1) (1,1) <PATH_END>
// Ids: the 11 structure tokens, then one token per cell "(r,c)" in row-major order.
// Metric: the whole path must be right — it starts at the origin, ends at the target, every step
// crosses a passage, and it is a shortest path (in a perfect maze: the unique one).
import { Generator } from "../../tensor/index.js";
import { type SplitOptions, type Task, type TaskExample, checkCount, checkInt, makeExample, makeVocab, sampledSplit, shuffleInPlace } from "./common.js";

export interface MazeOptions {
  /** Grid size (default 5×5). */
  rows?: number;
  cols?: number;
}

export interface MazeExample extends TaskExample {
  readonly rows: number;
  readonly cols: number;
  /** Passages between cells, cells numbered r * cols + c, each pair listed once (smaller first). */
  readonly edges: readonly (readonly [number, number])[];
  readonly origin: number;
  readonly target: number;
  /** Cells of the solution, origin first, target last. */
  readonly path: readonly number[];
}

const STRUCTURE = [
  "<ADJLIST_START>", "<ADJLIST_END>", "<ORIGIN_START>", "<ORIGIN_END>", "<TARGET_START>", "<TARGET_END>",
  "<PATH_START>", "<PATH_END>", "<-->", ";", "<PADDING>",
] as const;

/** Randomized DFS (recursive backtracker, with an explicit stack): the maze's passages. */
export function generateMazeEdges(rows: number, cols: number, gen: Generator): [number, number][] {
  const visited = new Uint8Array(rows * cols);
  const edges: [number, number][] = [];
  const start = gen.randint(0, rows * cols);
  const stack = [start];
  visited[start] = 1;
  while (stack.length > 0) {
    const cell = stack[stack.length - 1];
    const r = Math.floor(cell / cols);
    const c = cell % cols;
    const next: number[] = [];
    if (r > 0 && !visited[cell - cols]) next.push(cell - cols);
    if (r + 1 < rows && !visited[cell + cols]) next.push(cell + cols);
    if (c > 0 && !visited[cell - 1]) next.push(cell - 1);
    if (c + 1 < cols && !visited[cell + 1]) next.push(cell + 1);
    if (next.length === 0) {
      stack.pop(); // dead end: backtrack
      continue;
    }
    const to = next[gen.randint(0, next.length)];
    visited[to] = 1;
    edges.push(cell < to ? [cell, to] : [to, cell]);
    stack.push(to);
  }
  return edges;
}

/** Breadth-first search: a shortest path from `from` to `to` over `edges`, or null if none. */
export function shortestPath(nCells: number, edges: readonly (readonly [number, number])[], from: number, to: number): number[] | null {
  const adj: number[][] = Array.from({ length: nCells }, () => []);
  for (const [a, b] of edges) {
    adj[a].push(b);
    adj[b].push(a);
  }
  const prev = new Int32Array(nCells).fill(-1);
  prev[from] = from;
  const queue = [from];
  for (let qi = 0; qi < queue.length; qi++) {
    const u = queue[qi];
    if (u === to) break;
    for (const v of adj[u]) {
      if (prev[v] === -1) {
        prev[v] = u;
        queue.push(v);
      }
    }
  }
  if (prev[to] === -1) return null;
  const path = [to];
  while (path[path.length - 1] !== from) path.push(prev[path[path.length - 1]]);
  return path.reverse();
}

export function mazeTask(opts: MazeOptions = {}): Task<MazeExample> & { readonly rows: number; readonly cols: number; cellId(cell: number): number } {
  const where = "mazeTask";
  const rows = opts.rows ?? 5;
  const cols = opts.cols ?? 5;
  checkInt(rows, "rows", 1, 64, where);
  checkInt(cols, "cols", 1, 64, where);
  const nCells = rows * cols;
  if (nCells < 2) throw new Error(`${where}: a maze needs at least 2 cells for distinct origin and target`);

  const cellName = (cell: number): string => `(${Math.floor(cell / cols)},${cell % cols})`;
  const { vocab, id } = makeVocab([...STRUCTURE, ...Array.from({ length: nCells }, (_, i) => cellName(i))]);
  const cellBase = STRUCTURE.length;
  const cellId = (cell: number): number => cellBase + cell;
  const T = Object.fromEntries(STRUCTURE.map((s) => [s, id(s)])) as Record<(typeof STRUCTURE)[number], number>;

  const sample = (gen: Generator): MazeExample => {
    const edges = generateMazeEdges(rows, cols, gen).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    const origin = gen.randint(0, nCells);
    let target = gen.randint(0, nCells - 1);
    if (target >= origin) target++; // distinct from origin, uniform over the rest
    const path = shortestPath(nCells, edges, origin, target)!; // a spanning tree connects every pair
    // The model sees the passages in a random order and orientation, as in maze-dataset.
    const listed = shuffleInPlace(edges.map(([a, b]) => (gen.random() < 0.5 ? [a, b] : [b, a])), gen);
    const prompt = [T["<ADJLIST_START>"]];
    for (const [a, b] of listed) prompt.push(cellId(a), T["<-->"], cellId(b), T[";"]);
    prompt.push(T["<ADJLIST_END>"], T["<ORIGIN_START>"], cellId(origin), T["<ORIGIN_END>"]);
    prompt.push(T["<TARGET_START>"], cellId(target), T["<TARGET_END>"], T["<PATH_START>"]);
    return makeExample(prompt, [...path.map(cellId), T["<PATH_END>"]], { rows, cols, edges, origin, target, path });
  };

  const evaluate = (predicted: readonly number[], ex: MazeExample): boolean => {
    if (predicted.length < 2 || predicted[predicted.length - 1] !== T["<PATH_END>"]) return false;
    const cells = predicted.slice(0, -1).map((t) => t - cellBase);
    if (cells.some((c) => !(c >= 0 && c < nCells))) return false;
    if (cells[0] !== ex.origin || cells[cells.length - 1] !== ex.target) return false;
    const passages = new Set(ex.edges.map(([a, b]) => a * nCells + b));
    for (let i = 1; i < cells.length; i++) {
      const [a, b] = cells[i - 1] < cells[i] ? [cells[i - 1], cells[i]] : [cells[i], cells[i - 1]];
      if (!passages.has(a * nCells + b)) return false; // through a wall, or not a neighbour
    }
    return cells.length === shortestPath(nCells, ex.edges, ex.origin, ex.target)!.length;
  };

  return {
    name: `maze-${rows}x${cols}`,
    rows,
    cols,
    cellId,
    vocab,
    padId: T["<PADDING>"],
    // adjacency list (4 tokens per passage) + 2 + origin 3 + target 3 + <PATH_START> + path + <PATH_END>
    maxLength: 4 * (nCells - 1) + 2 + 3 + 3 + 1 + nCells + 1,
    generate(n: number, seed: number): MazeExample[] {
      checkCount(n, `${where}.generate`);
      const gen = new Generator(seed);
      return Array.from({ length: n }, () => sample(gen));
    },
    // Keyed by maze and endpoints, not by token order: the same maze listed differently is the same example.
    split: (s: SplitOptions = {}) => sampledSplit(sample, (e) => `${e.edges.flat().join(",")}|${e.origin}|${e.target}`, s, where),
    evaluate,
  };
}
