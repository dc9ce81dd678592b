// Evals in the spirit of lm-evaluation-harness: a task is items + prompt templates + a metric;
// a model answers log-likelihood and generation requests; results come with per-item records,
// standard errors and bootstrap confidence intervals.
export { checkTaskConfig, METRICS_OF, OUTPUT_TYPES, type FilterPipeline, type FilterStep, type GenerationKwargs, type Locate, type MetricSpec, type OutputType, type ResolvedTaskConfig, type TaskConfig } from "./config.js";
export { parseTemplate, renderTemplate, templateFields, templateValue, type Template } from "./template.js";
export { defineTask, type Checker, type DefineTaskOptions, type Doc, type EvalItem, type EvalTask } from "./task.js";
export { gptEvalModel, RequestError, type EvalModel, type GenerationRequest, type GenerationResult, type GptEvalModelOptions, type LoglikelihoodRequest, type LoglikelihoodResult, type Progress } from "./model.js";
export { drawExamples, fewshotContext } from "./fewshot.js";
export { applyFilters, argmaxIndex, exactMatch, multipleChoice } from "./metrics.js";
export { bootstrap, mean, meanStderr, perplexity, quantile, type BootstrapOptions } from "./stats.js";
export { evaluateTask, type EvalResult, type EvaluateOptions, type MetricResult, type SampleResult } from "./evaluate.js";
export { BUILTIN_SUITES, builtinTask, isBuiltinSuite, type BuiltinSuite, type BuiltinTaskOptions } from "./builtin.js";
export { mazeChecker, parseMazePath, scoreMazePath, type MazePathScores, type MazeSpec } from "./maze.js";
