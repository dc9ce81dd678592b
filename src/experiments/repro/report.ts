// A reproduction's report: the JSON of its numbers and one HTML page (the paper, the checks
// table, then the figures). Shared by every reproduction so that all of them read alike.
import { htmlPage, type PageSection } from "../../plot/html.js";
import type { Reproduction, ReproOutput } from "./types.js";

export interface ReproRecord {
  name: string;
  title: string;
  papers: Reproduction["papers"];
  scale: "quick" | "full";
  seed: number;
  seconds: number;
  /** Every check passed. */
  passed: boolean;
  checks: ReproOutput["checks"];
  settings: ReproOutput["settings"];
  data: ReproOutput["data"];
}

export function reproRecord(r: Reproduction, out: ReproOutput, run: { full: boolean; seed: number; seconds: number }): ReproRecord {
  return {
    name: r.name,
    title: r.title,
    papers: r.papers,
    scale: run.full ? "full" : "quick",
    seed: run.seed,
    seconds: +run.seconds.toFixed(1),
    passed: out.checks.every((c) => c.pass),
    checks: out.checks,
    settings: out.settings,
    data: out.data,
  };
}

/** The checks as text lines for the terminal: one per check, then the verdict. */
export function checksText(rec: ReproRecord): string[] {
  const rows = [["", "check", "paper", "ours", "tolerance"], ...rec.checks.map((c) => [c.pass ? "pass" : "FAIL", c.what, c.paper, c.ours, c.tolerance])];
  const widths = rows[0].map((_, j) => Math.min(60, Math.max(...rows.map((r) => r[j].length))));
  const line = (r: string[]) => r.map((c, j) => (j === r.length - 1 ? c : c.padEnd(widths[j]))).join("  ");
  const passed = rec.checks.filter((c) => c.pass).length;
  return [...rows.map(line), `${passed} of ${rec.checks.length} checks pass (${rec.scale} scale, seed ${rec.seed}, ${rec.seconds} s)`];
}

export function reproPage(r: Reproduction, out: ReproOutput, rec: ReproRecord, command?: string): string {
  const passed = rec.checks.filter((c) => c.pass).length;
  const about: PageSection = {
    heading: "What this reproduces",
    caption:
      `${r.summary}\n\n` +
      r.papers.map((p) => `${p.cite}, "${p.title}" — ${p.url}`).join("\n") +
      `\n\n${rec.scale === "full" ? "Run at the paper's scale (--full)" : "Run at the quick scale (add --full for the paper's)"}, seed ${rec.seed}, ${rec.seconds} s.` +
      (command ? `\nCommand: ${command}` : "") +
      `\nSettings: ${Object.entries(rec.settings).map(([k, v]) => `${k} ${typeof v === "object" ? JSON.stringify(v) : String(v)}`).join(", ")}`,
  };
  const checks: PageSection = {
    heading: `The paper's figures and ours: ${passed} of ${rec.checks.length} checks pass`,
    table: {
      header: ["check", "paper", "ours", "tolerance", ""],
      rows: rec.checks.map((c) => ({ cells: [c.what, c.paper, c.ours, c.tolerance, c.pass ? "pass" : "fail"], class: c.pass ? "pass" : "fail" })),
    },
  };
  return htmlPage(`${r.title} — reproduction`, [about, checks, ...out.sections]);
}
