// One maze as a small SVG: walls where two neighbouring cells have no passage, the origin (green)
// and the target (red), the shortest path dashed in grey, and the model's path on top — blue
// when it is a shortest path, amber when it is valid but does not get there by the shortest way,
// red when it breaks the rules (through a wall, a jump, the wrong start). With `shade`, each cell
// is first filled in proportion to a value in [0, 1] (e.g. how much attention a head puts on that
// cell's tokens), as the attention-over-the-maze figures of Ivanitskiy et al. 2023 are drawn.
import { shortestPath } from "../data/tasks/maze.js";
import type { MazePathScores, MazeSpec } from "../evals/maze.js";

const CELL = 30;
const PAD = 8;

export interface MazeSvgOptions {
  /** One value in [0, 1] per cell (row-major): the cell is shaded blue in proportion. */
  shade?: ArrayLike<number>;
  /** Cell to ring in black (e.g. the current cell of an attention query). */
  mark?: number;
}

export function mazeSvg(maze: MazeSpec, path: readonly (readonly [number, number])[], scores: MazePathScores, opts: MazeSvgOptions = {}): string {
  const { rows, cols } = maze;
  const n = rows * cols;
  const open = new Set(maze.edges.map(([a, b]) => Math.min(a, b) * n + Math.max(a, b)));
  const isOpen = (a: number, b: number) => open.has(Math.min(a, b) * n + Math.max(a, b));
  const w = cols * CELL + 2 * PAD;
  const h = rows * CELL + 2 * PAD;
  const x = (c: number) => PAD + c * CELL;
  const y = (r: number) => PAD + r * CELL;
  const centre = (cell: number) => `${x(cell % cols) + CELL / 2},${y(Math.floor(cell / cols)) + CELL / 2}`;
  const parts: string[] = [];
  const square = (cell: number, fill: string) => parts.push(`<rect x="${x(cell % cols) + 4}" y="${y(Math.floor(cell / cols)) + 4}" width="${CELL - 8}" height="${CELL - 8}" fill="${fill}" rx="3"/>`);
  if (opts.shade) {
    if (opts.shade.length !== n) throw new Error(`mazeSvg: shade has ${opts.shade.length} values for ${n} cells`);
    for (let cell = 0; cell < n; cell++) {
      const v = Math.min(1, Math.max(0, opts.shade[cell]));
      if (v > 0) parts.push(`<rect x="${x(cell % cols)}" y="${y(Math.floor(cell / cols))}" width="${CELL}" height="${CELL}" fill="#4269d0" fill-opacity="${(0.85 * v).toFixed(3)}"/>`);
    }
  }
  square(maze.origin, "#9be3a1");
  square(maze.target, "#f4a3a3");
  const walls: string[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const cell = r * cols + c;
      if (c + 1 < cols && !isOpen(cell, cell + 1)) walls.push(`M${x(c + 1)},${y(r)}V${y(r + 1)}`);
      if (r + 1 < rows && !isOpen(cell, cell + cols)) walls.push(`M${x(c)},${y(r + 1)}H${x(c + 1)}`);
    }
  }
  parts.push(`<path d="${walls.join("")}" stroke="#1f2328" stroke-width="2.5" stroke-linecap="square"/>`);
  parts.push(`<rect x="${PAD}" y="${PAD}" width="${cols * CELL}" height="${rows * CELL}" fill="none" stroke="#1f2328" stroke-width="3"/>`);
  const best = shortestPath(n, maze.edges, maze.origin, maze.target);
  if (best && best.length > 1) parts.push(`<polyline points="${best.map(centre).join(" ")}" fill="none" stroke="#8a8f98" stroke-width="2" stroke-dasharray="4 4"/>`);
  // the model's cells inside the grid (a cell off the grid cannot be drawn)
  const cells = path.filter(([r, c]) => r < rows && c < cols).map(([r, c]) => r * cols + c);
  const colour = scores.is_shortest ? "#4269d0" : scores.valid_path ? "#efb118" : "#d62728";
  if (cells.length > 1) parts.push(`<polyline points="${cells.map(centre).join(" ")}" fill="none" stroke="${colour}" stroke-width="4" stroke-linejoin="round" stroke-linecap="round" opacity="0.85"/>`);
  if (cells.length > 0) parts.push(`<circle cx="${centre(cells[0]).split(",")[0]}" cy="${centre(cells[0]).split(",")[1]}" r="4" fill="${colour}"/>`);
  if (opts.mark !== undefined) parts.push(`<rect x="${x(opts.mark % cols) + 2}" y="${y(Math.floor(opts.mark / cols)) + 2}" width="${CELL - 4}" height="${CELL - 4}" fill="none" stroke="#1f2328" stroke-width="2" rx="4"/>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}">${parts.join("")}</svg>`;
}
