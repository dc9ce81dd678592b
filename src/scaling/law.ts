// The parametric scaling law of Chinchilla (Hoffmann et al. 2022, eq. 2): the final loss of a
// model of N parameters trained on D tokens,
//
//   L(N, D) = E + A / N^α + B / D^β
//
// E is the loss of an ideal model on this data (the text's entropy), A / N^α what a finite model
// costs, B / D^β what finite training costs. Training costs C ≈ 6 N D FLOPs (Kaplan et al. 2020:
// 2 N per token forward, 4 N backward). For a budget C, the (N, D) with the lowest loss on the
// line 6 N D = C is (Hoffmann et al. eq. 4)
//
//   N_opt(C) = G (C/6)^a,   D_opt(C) = G⁻¹ (C/6)^b,   a = β/(α+β),  b = α/(α+β),
//   G = (αA / (βB))^(1/(α+β)).
//
// Derivation: put D = C/(6N) into L; dL/dN = −αA N^(−α−1) + βB (C/6)^(−β) N^(β−1) = 0 gives
// N^(α+β) = (αA/(βB)) (C/6)^β.

export interface ScalingLaw {
  E: number;
  A: number;
  B: number;
  alpha: number;
  beta: number;
}

export interface ComputeOptimal {
  /** The budget, in FLOPs (C = 6 N D). */
  C: number;
  N: number;
  D: number;
  /** The law's loss at (N, D). */
  loss: number;
  /** D / N: training tokens per parameter. */
  tokensPerParameter: number;
}

/** L(N, D) = E + A / N^α + B / D^β. */
export function predictLoss(law: ScalingLaw, N: number, D: number): number {
  return law.E + law.A / N ** law.alpha + law.B / D ** law.beta;
}

/** The exponents of the compute-optimal frontier, N_opt ∝ C^a and D_opt ∝ C^b (a + b = 1). */
export function optimalExponents(law: ScalingLaw): { a: number; b: number } {
  const { alpha, beta } = law;
  return { a: beta / (alpha + beta), b: alpha / (alpha + beta) };
}

/**
 * The compute-optimal allocation for a budget of C FLOPs (C = 6 N D): N_opt = G (C/6)^a,
 * D_opt = G⁻¹ (C/6)^b. Needs α > 0 and β > 0 (otherwise one of the two terms never shrinks, and
 * the loss on the line 6 N D = C has no minimum).
 */
export function computeOptimal(law: ScalingLaw, C: number): ComputeOptimal {
  if (!(C > 0) || !Number.isFinite(C)) throw new Error(`computeOptimal: the budget C must be a positive number of FLOPs, got ${C}`);
  checkLaw(law, "computeOptimal");
  if (!(law.alpha > 0 && law.beta > 0)) throw new Error(`computeOptimal: the law needs α > 0 and β > 0 for a compute-optimal allocation, got α = ${law.alpha}, β = ${law.beta}`);
  const { alpha, beta, A, B } = law;
  const { a, b } = optimalExponents(law);
  // in logs, so that laws with huge A or B (A = e^25 is a start of the fit's grid) do not overflow
  const logG = (Math.log(alpha * A) - Math.log(beta * B)) / (alpha + beta);
  const logC6 = Math.log(C / 6);
  const N = Math.exp(logG + a * logC6);
  const D = Math.exp(-logG + b * logC6);
  return { C, N, D, loss: predictLoss(law, N, D), tokensPerParameter: D / N };
}

/**
 * Whether the law has a compute-optimal allocation: finite coefficients (a fit that drifted along a
 * flat direction can overflow A = eᵃ) and α, β > 0.
 */
export function hasComputeOptimum(law: ScalingLaw): boolean {
  return [law.E, law.A, law.B, law.alpha, law.beta].every(Number.isFinite) && law.alpha > 0 && law.beta > 0;
}

/** Throws unless every field of the law is a finite number (A, B, E positive). */
export function checkLaw(law: ScalingLaw, where = "scaling law"): ScalingLaw {
  if (typeof law !== "object" || law === null) throw new Error(`${where}: expected a law {E, A, B, alpha, beta}, got ${String(law)}`);
  for (const k of ["E", "A", "B", "alpha", "beta"] as const) {
    if (typeof law[k] !== "number" || !Number.isFinite(law[k])) throw new Error(`${where}: ${k} must be a finite number, got ${JSON.stringify(law[k])}`);
  }
  for (const k of ["E", "A", "B"] as const) if (!(law[k] >= 0)) throw new Error(`${where}: ${k} must be ≥ 0, got ${law[k]}`);
  return law;
}
