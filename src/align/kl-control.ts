// The KL coefficient β of RLHF's objective E[r(x, y)] − β KL(π ‖ π_ref).
//
// Fixed: β stays where it is set. Adaptive (Ziegler et al. 2019, "Fine-tuning language models from
// human preferences", §2.2): β is steered so the measured KL tracks a target, a proportional
// controller in log β,
//
//   e = clip(KL / KL_target − 1, −0.2, 0.2)
//   β ← β · (1 + e · n_steps / horizon)
//
// where n_steps is the number of samples the KL was measured on (TRL passes the batch size) and
// horizon sets how fast β moves (10,000 in the paper and TRL). Too much KL raises β, too little
// lowers it; the clip keeps one noisy batch from moving β by more than 0.2·n/horizon.

export interface KLController {
  /** The current β. */
  readonly value: number;
  /** Folds in the KL measured on the last batch of `nSteps` samples. */
  update(currentKl: number, nSteps: number): void;
}

export class FixedKLController implements KLController {
  constructor(readonly value: number) {
    if (!(Number.isFinite(value) && value >= 0)) throw new Error(`FixedKLController: the KL coefficient must be a number ≥ 0, got ${value}`);
  }

  update(): void {}
}

export class AdaptiveKLController implements KLController {
  value: number;

  constructor(
    initKlCoef: number,
    readonly target: number,
    readonly horizon = 10_000,
  ) {
    if (!(Number.isFinite(initKlCoef) && initKlCoef > 0)) throw new Error(`AdaptiveKLController: the initial KL coefficient must be > 0 (it is adjusted by multiplication), got ${initKlCoef}`);
    if (!(Number.isFinite(target) && target > 0)) throw new Error(`AdaptiveKLController: the KL target must be > 0, got ${target}`);
    if (!(Number.isFinite(horizon) && horizon > 0)) throw new Error(`AdaptiveKLController: the horizon must be > 0, got ${horizon}`);
    this.value = initKlCoef;
  }

  update(currentKl: number, nSteps: number): void {
    const error = Math.min(0.2, Math.max(-0.2, currentKl / this.target - 1));
    this.value *= 1 + (error * nSteps) / this.horizon;
  }
}
