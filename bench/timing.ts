// Timing for the benchmarks: run once to warm up, then double the repetitions until they take
// at least minMs, and report milliseconds per call.
export function timeit(fn: () => void, minMs = 300, maxReps = Infinity): number {
  fn();
  let reps = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) fn();
    const ms = performance.now() - t0;
    if (ms >= minMs || reps >= maxReps) return ms / reps;
    reps *= 2;
  }
}
