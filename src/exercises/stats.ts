// Pearson's χ² goodness-of-fit test, for the checks of stochastic functions: do n draws follow the
// probabilities they should? p is the chance that a correct sampler gives a χ² this large or
// larger; the checks fail only below a tiny p, so a correct sampler essentially never fails.

export interface ChiSquare {
  statistic: number;
  degreesOfFreedom: number;
  p: number;
}

/** χ² of observed counts against probabilities (categories with probability 0 must be handled before). */
export function chiSquareTest(observed: readonly number[], probs: readonly number[]): ChiSquare {
  const n = observed.reduce((a, b) => a + b, 0);
  let statistic = 0;
  for (let i = 0; i < probs.length; i++) {
    const expected = n * probs[i];
    statistic += (observed[i] - expected) ** 2 / expected;
  }
  const degreesOfFreedom = probs.length - 1;
  return { statistic, degreesOfFreedom, p: upperGamma(degreesOfFreedom / 2, statistic / 2) };
}

/** Q(a, x) = Γ(a, x)/Γ(a), the regularized upper incomplete gamma (Numerical Recipes §6.2). */
function upperGamma(a: number, x: number): number {
  if (x <= 0) return 1;
  const front = Math.exp(-x + a * Math.log(x) - logGamma(a));
  if (x < a + 1) {
    // series for P(a, x), then Q = 1 − P
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n < 500 && Math.abs(term) > Math.abs(sum) * 1e-15; n++) {
      term *= x / (a + n);
      sum += term;
    }
    return Math.max(0, 1 - sum * front);
  }
  // continued fraction for Q(a, x) (modified Lentz)
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 500; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return front * h;
}

/** log Γ(x) for x > 0 (Lanczos, g = 7). */
function logGamma(x: number): number {
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  x -= 1;
  let a = c[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}
