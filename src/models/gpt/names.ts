// "Did you mean …?" for hook and activation names.

/** Levenshtein distance, for "did you mean" messages. */
export function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0];
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j];
      dp[j] = Math.min(dp[j] + 1, dp[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length];
}

/** The `count` names closest to `name`. */
export function nearest(name: string, names: Iterable<string>, count = 3): string[] {
  return [...names].map((n) => [n, editDistance(n, name)] as const).sort((a, b) => a[1] - b[1]).slice(0, count).map(([n]) => n);
}
