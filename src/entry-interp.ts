// The package entry's `interp` namespace: every analysis of src/interp, plus the induction
// experiment, which lived in src/interp until it moved to src/experiments (an experiment trains
// a model, so it sits above the analyses). Re-exported here so `interp.runInductionExperiment`
// and friends keep working; new code imports them from `experiments`.
export * from "./interp/index.js";
export { inductionBatches, inductionTrainingSequences, runInductionExperiment, trainInductionModel, type InductionDataOptions, type InductionTrackPoint, type InductionTrainOptions, type InductionTrainResult } from "./experiments/induction.js";
