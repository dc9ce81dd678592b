// A progress bar for long loops: a live bar on a terminal (cli-progress), and in a log (a pipe,
// CI, `| tee`) one plain line per tenth of the way, never `\r` overwrites. `log` prints a result
// line (an evaluation, a note) as it happens: above the live bar on a terminal, else on stdout.
import cliProgress from "cli-progress";

export interface Progress {
  update(step: number, values: Record<string, number>): void;
  /** Prints a line above the bar (on a terminal) or as its own line (in a log). */
  log(line: string): void;
  stop(): void;
}

const fmtValues = (v: Record<string, number>) => Object.entries(v).map(([k, x]) => `${k} ${Number.isInteger(x) ? x : x.toPrecision(4)}`).join("  ");

export function progress(label: string, total: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (stream.isTTY && process.stdout.isTTY) {
    // a MultiBar of one bar: cli-progress's way to print lines above a live bar (multi.log)
    const multi = new cliProgress.MultiBar(
      { format: `${label} [{bar}] {percentage}% | {value}/{total} | ETA {eta_formatted} | {info}`, stream, hideCursor: true, etaBuffer: 50, clearOnComplete: false },
      cliProgress.Presets.shades_classic,
    );
    const bar = multi.create(total, 0, { info: "" });
    return {
      update: (step, values) => bar.update(step, { info: fmtValues(values) }),
      log: (line) => multi.log(`${line}\n`),
      stop: () => multi.stop(),
    };
  }
  const every = Math.max(1, Math.round(total / 10));
  return {
    update: (step, values) => {
      if (step % every === 0 || step === total) stream.write(`${label} ${step}/${total}  ${fmtValues(values)}\n`);
    },
    log: (line) => console.log(line),
    stop: () => {},
  };
}
