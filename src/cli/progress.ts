// A progress bar for long loops: a live bar on a terminal (cli-progress), occasional plain lines
// when output is piped (logs stay readable in CI).
import cliProgress from "cli-progress";

export interface Progress {
  update(step: number, values: Record<string, number>): void;
  stop(): void;
}

const fmtValues = (v: Record<string, number>) => Object.entries(v).map(([k, x]) => `${k} ${Number.isInteger(x) ? x : x.toPrecision(4)}`).join("  ");

export function progress(label: string, total: number): Progress {
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: `${label} [{bar}] {percentage}% | {value}/{total} | ETA {eta_formatted} | {info}`, stream: process.stderr, hideCursor: true, etaBuffer: 50 },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { info: "" });
    return {
      update: (step, values) => bar.update(step, { info: fmtValues(values) }),
      stop: () => bar.stop(),
    };
  }
  const every = Math.max(1, Math.round(total / 10));
  return {
    update: (step, values) => {
      if (step % every === 0 || step === total) process.stderr.write(`${label} ${step}/${total}  ${fmtValues(values)}\n`);
    },
    stop: () => {},
  };
}
