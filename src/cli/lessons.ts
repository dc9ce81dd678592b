// `dgpt rnn train|generate` and `dgpt images train`: the course's pre-transformer lessons (a
// character-level RNN/LSTM/GRU language model; MLP vs CNN image classifiers) on the same engine.
import { join, resolve } from "node:path";
import { type Command, Option } from "commander";
import { loadCorpus } from "../data/corpus.node.js";
import { glyphDigitSplits, headOf, imageBatches, type ImageSet } from "../data/images.js";
import { loadMnist } from "../data/images.node.js";
import { saveModule } from "../io/checkpoint.node.js";
import { writeFileAtomic } from "../io/files.node.js";
import { cnnClassifier, evaluateClassifier, type ImageClassifier, mlpClassifier } from "../models/classifiers.js";
import { CELL_KINDS, type CellKind, RNNLanguageModel } from "../models/rnn-lm.js";
import { loadRNNLanguageModel, saveRNNLanguageModel } from "../models/rnn-lm.node.js";
import { writePlot } from "../plot/files.node.js";
import { Generator, manualSeed } from "../tensor/random.js";
import { CharTokenizer } from "../tokenizers/char.js";
import { textBatches } from "../train/data.js";
import { lossCurvePage, STOP_SIGNALS } from "../train/train.node.js";
import { checkTrainConfig, type TrainConfig, Trainer } from "../train/trainer.js";
import { intOption, numberOption } from "./options.js";
import { progress } from "./progress.js";
import { defaultOut, encodeText, forFlag, LOCAL_DATA, outputDir, replaceInvalidUtf8Option } from "./common.js";
import { type AccuracyPoint, imagesPage } from "./pages/images.js";

/** Runs `steps` optimizer steps, calling onEval every `every` steps and at the end; Ctrl-C, SIGTERM or SIGHUP stop early. */
async function loop(trainer: Trainer, every: number, onStep: (loss: number) => void, onEval: () => void): Promise<boolean> {
  let interrupted = false;
  const stop = () => {
    interrupted = true;
  };
  // Ctrl-C, kill and a closed terminal all stop after this step; the caller then saves the model
  for (const s of STOP_SIGNALS) process.on(s, stop);
  try {
    while (trainer.step < trainer.config.maxIters && !interrupted) {
      if (trainer.step % every === 0) onEval();
      onStep(trainer.trainStep().loss);
      await new Promise((r) => setImmediate(r)); // let Ctrl-C through between steps
    }
    onEval();
  } finally {
    for (const s of STOP_SIGNALS) process.off(s, stop);
  }
  return interrupted;
}

/** AdamW with a short warmup and cosine decay to lr/10, no weight decay: fine for these small models. */
function trainConfig(o: Record<string, string>, d: { steps: number; batchSize: number; blockSize: number; lr: number; evalInterval: number }): TrainConfig {
  const maxIters = intOption(o, "steps", d.steps);
  const lr = numberOption(o, "lr", d.lr);
  return checkTrainConfig({
    maxIters,
    batchSize: intOption(o, "batchSize", d.batchSize),
    blockSize: intOption(o, "blockSize", d.blockSize),
    lr,
    minLr: lr / 10,
    warmupIters: Math.min(100, Math.floor(maxIters / 10)),
    lrDecayIters: maxIters,
    weightDecay: 0,
    beta1: 0.9,
    beta2: 0.99,
    gradClip: 1,
    gradAccumSteps: 1,
    evalInterval: intOption(o, "evalInterval", d.evalInterval),
    evalIters: intOption(o, "evalIters", 10),
    seed: intOption(o, "seed", 0, 0),
  });
}

async function rnnTrain(o: Record<string, string>): Promise<void> {
  const cell = o.cell as CellKind;
  if (!CELL_KINDS.includes(cell)) throw new Error(`--cell must be rnn, lstm or gru, got "${o.cell}"`);
  const out = outputDir(o.out, Boolean(o.overwrite));
  const train = trainConfig(o, { steps: 1000, batchSize: 32, blockSize: 64, lr: 5e-3, evalInterval: 100 });
  const corpus = await forFlag("--data", o.data, () => loadCorpus(o.data, { localDirs: LOCAL_DATA, invalid: o.replaceInvalidUtf8 ? "replace" : "error" }));
  const tokenizer = CharTokenizer.fromText(corpus.text);
  const ids = Int32Array.from(tokenizer.encode(corpus.text));
  const data = textBatches(ids, { batchSize: train.batchSize, blockSize: train.blockSize });
  manualSeed(train.seed);
  const hidden = intOption(o, "hidden", 128);
  const model = new RNNLanguageModel({ cell, vocabSize: tokenizer.vocabSize, hiddenSize: hidden, embeddingDim: intOption(o, "embed", Math.min(hidden, 64)), numLayers: intOption(o, "layers", 1), dropout: numberOption(o, "dropout", 0) });
  console.log(`data: ${corpus.name} (${corpus.path}), ${ids.length} characters (train ${data.trainTokens}, val ${data.valTokens}), vocabulary ${tokenizer.vocabSize}`);
  console.log(`model: ${cell.toUpperCase()} × ${model.cfg.numLayers}, hidden ${hidden}, embedding ${model.cfg.embeddingDim}: ${model.numParameters()} parameters; ${train.maxIters} steps of ${train.batchSize} × ${train.blockSize} characters`);
  const trainer = new Trainer(model, data, train);
  const bar = progress(`train ${cell}`, train.maxIters);
  let val: number | undefined;
  const interrupted = await loop(
    trainer,
    train.evalInterval,
    (loss) => bar.update(trainer.step, { loss, ...(val !== undefined ? { val } : {}) }),
    () => {
      val = trainer.evaluate().val;
    },
  );
  bar.stop();
  for (const e of trainer.history.evals) console.log(`step ${String(e.step).padStart(5)}: train loss ${e.train.toFixed(4)}, val loss ${e.val.toFixed(4)}`);
  const last = trainer.history.evals.at(-1)!;
  console.log(`val loss ${last.val.toFixed(4)} nats/char = ${(last.val / Math.LN2).toFixed(3)} bits/char, perplexity ${Math.exp(last.val).toFixed(2)}${interrupted ? ` (interrupted at step ${trainer.step})` : ""}`);
  const n = intOption(o, "sample", 300, 0);
  if (n > 0) {
    const start = tokenizer.tokenToId("\n") ?? 0;
    const sample = model.generate([start], { maxNewTokens: n, temperature: numberOption(o, "temperature", 0.8), generator: new Generator(train.seed) });
    console.log(`\n--- sample ---\n${tokenizer.decode(sample)}\n--------------`);
  }
  await saveRNNLanguageModel(out, model, tokenizer, { trained_steps: trainer.step, val_loss: last.val, data: corpus.name });
  await writePlot(join(out, "loss.html"), lossCurvePage(trainer, `Character-level ${cell.toUpperCase()} language model`));
  console.log(`model in ${out} (config.json, model.safetensors, tokenizer.json); loss curve ${join(out, "loss.html")}`);
}

async function rnnGenerate(o: Record<string, string>, write: (s: string) => void): Promise<void> {
  const { model, tokenizer } = await loadRNNLanguageModel(resolve(o.model));
  const prompt = encodeText(tokenizer, o.prompt, "--prompt");
  if (prompt.length === 0) throw new Error("--prompt encodes to no tokens");
  write(o.prompt);
  model.generate(prompt, {
    maxNewTokens: intOption(o, "maxTokens", 200, 0),
    temperature: numberOption(o, "temperature", 0.8),
    topK: o.topK !== undefined ? intOption(o, "topK", 0) : undefined,
    generator: new Generator(intOption(o, "seed", 0, 0)),
    onToken: (id) => write(tokenizer.decode([id])),
  });
  write("\n");
}

async function loadImages(o: Record<string, string>): Promise<{ train: ImageSet; test: ImageSet; name: string }> {
  const seed = intOption(o, "seed", 0, 0);
  if (o.data === "glyphs") {
    const size = intOption(o, "size", 16);
    const translate = numberOption(o, "translate", 1);
    const sets = glyphDigitSplits({ train: intOption(o, "trainSize", 5000), test: intOption(o, "testSize", 1000), size, translate, seed });
    return { ...sets, name: `glyph digits ${size}×${size}, translate ${translate}` };
  }
  const limit = { train: o.trainSize === undefined ? undefined : intOption(o, "trainSize", 0), test: o.testSize === undefined ? undefined : intOption(o, "testSize", 0) };
  return { ...(await loadMnist(resolve(o.data), { limit })), name: `MNIST-format files in ${o.data}` };
}

function buildClassifier(o: Record<string, string>, set: ImageSet): ImageClassifier {
  const { height: H, width: W, classes } = set;
  if (o.arch === "mlp") return mlpClassifier(H, W, classes, intOption(o, "hidden", 64));
  const ch = String(o.channels).split(",").map((s) => Number(s.trim()));
  if (ch.length !== 2 || ch.some((c) => !Number.isSafeInteger(c) || c < 1)) throw new Error(`--channels: expected two positive integers like 8,16, got "${o.channels}"`);
  return cnnClassifier(H, W, classes, [ch[0], ch[1]]);
}

async function imagesTrain(o: Record<string, string>): Promise<void> {
  if (o.model !== undefined) throw new Error("--model names a model folder elsewhere; the architecture here is --arch mlp|cnn");
  if (o.arch !== "mlp" && o.arch !== "cnn") throw new Error(`--arch must be mlp or cnn, got "${o.arch}"`);
  const train = trainConfig(o, { steps: 500, batchSize: 32, blockSize: 1, lr: 1e-2, evalInterval: 50 });
  const data = await loadImages(o);
  manualSeed(train.seed);
  const model = buildClassifier(o, data.train);
  const out = outputDir(o.out, Boolean(o.overwrite)); // checked before training, after the flags
  const kind = o.arch.toUpperCase();
  console.log(`data: ${data.name}: ${data.train.count} train, ${data.test.count} test images of ${data.train.height}×${data.train.width}, ${data.train.classes} classes`);
  console.log(`model: ${kind}, ${model.numParameters()} parameters; ${train.maxIters} steps of ${train.batchSize} images`);
  // accuracy during training on fixed subsets, so evaluations stay cheap on 60,000 MNIST images
  const evalSize = intOption(o, "evalSize", 1000);
  const subsets = { train: headOf(data.train, evalSize), test: headOf(data.test, evalSize) };
  const curve: AccuracyPoint[] = [];
  const trainer = new Trainer(model, imageBatches(data, train.batchSize), train);
  const bar = progress(`train ${o.arch}`, train.maxIters);
  const interrupted = await loop(
    trainer,
    train.evalInterval,
    (loss) => bar.update(trainer.step, { loss, ...(curve.length ? { "test acc": curve[curve.length - 1].test } : {}) }),
    () => {
      curve.push({ step: trainer.step, train: evaluateClassifier(model, subsets.train).accuracy, test: evaluateClassifier(model, subsets.test).accuracy });
    },
  );
  bar.stop();
  const trainAcc = curve[curve.length - 1].train; // the loop evaluates once more at the end
  const test = evaluateClassifier(model, data.test);
  const trainNote = subsets.train.count < data.train.count ? ` (first ${subsets.train.count} images)` : "";
  const summary = `train accuracy ${(100 * trainAcc).toFixed(1)}%${trainNote}, test accuracy ${(100 * test.accuracy).toFixed(1)}% (${data.test.count} images)`;
  console.log(summary + (interrupted ? `; interrupted at step ${trainer.step}` : ""));

  await saveModule(join(out, "model.safetensors"), model, { format: "pt" });
  await writeFileAtomic(join(out, "config.json"), new TextEncoder().encode(JSON.stringify({ model_type: "image-classifier", ...model.config }, null, 2) + "\n"));
  const page = join(out, "images.html");
  await writePlot(page, imagesPage(`${kind} on ${data.name}`, trainer.history.steps, curve, summary, data.test, test.predictions));
  console.log(`model in ${out} (config.json, model.safetensors); plots ${page}`);
}

/** Adds `rnn train|generate` and `images train`; `stdout` receives generated text as it streams (tests capture it). */
export function registerLessonCommands(program: Command, io: { stdout?: (s: string) => void } = {}): void {
  const write = io.stdout ?? ((s: string) => void process.stdout.write(s));
  const rnn = program.command("rnn").description("a character-level recurrent language model (RNN, LSTM or GRU)");
  rnn
    .command("train")
    .description("train a character-level RNN/LSTM/GRU on a text, print a sample, save the model")
    .option("--cell <kind>", "rnn | lstm | gru", "lstm")
    .option("--data <fileOrName>", "a text file, or tinyshakespeare | tinystories", "tinyshakespeare")
    .addOption(replaceInvalidUtf8Option())
    .option("--hidden <n>", "hidden units per layer", "128")
    .option("--layers <n>", "stacked recurrent layers", "1")
    .option("--embed <n>", "embedding width (default min(hidden, 64))")
    .option("--dropout <x>", "dropout on embeddings and outputs", "0")
    .option("--steps <n>", "training steps", "1000")
    .option("--batch-size <n>", "sequences per batch", "32")
    .option("--block-size <n>", "characters per sequence (backpropagation through time)", "64")
    .option("--lr <x>", "peak AdamW learning rate", "0.005")
    .option("--eval-interval <n>", "evaluate every n steps", "100")
    .option("--eval-iters <n>", "batches per evaluation", "10")
    .option("--seed <n>", "random seed", "0")
    .option("--sample <n>", "characters to sample at the end", "300")
    .option("--temperature <x>", "sampling temperature", "0.8")
    .option("--out <dir>", "output folder", defaultOut("rnn"))
    .option("--overwrite", "replace what --out holds")
    .action((o: Record<string, string>) => rnnTrain(o));
  rnn
    .command("generate")
    .description("continue a prompt with a trained RNN language model")
    .requiredOption("--model <dir>", "a folder written by `dgpt rnn train`")
    .option("--prompt <text>", "text to continue", "\n")
    .option("--max-tokens <n>", "characters to generate", "200")
    .option("--temperature <x>", "0 = greedy", "0.8")
    .option("--top-k <n>", "sample among the k most likely characters")
    .option("--seed <n>", "random seed", "0")
    .action((o: Record<string, string>) => rnnGenerate(o, write));

  const images = program.command("images").description("image classifiers: an MLP and a CNN on glyph digits or MNIST");
  images
    .command("train")
    .description("train an MLP or a CNN; print train/test accuracy; plot curves and mistakes")
    .option("--arch <kind>", "mlp | cnn", "cnn")
    .addOption(new Option("--model <dir>").hideHelp())
    .option("--data <glyphs|dir>", "glyphs (generated) or a folder with the four MNIST-format IDX files", "glyphs")
    .option("--hidden <n>", "MLP hidden units", "64")
    .option("--channels <c1,c2>", "CNN channels of its two conv layers", "8,16")
    .option("--steps <n>", "training steps", "500")
    .option("--batch-size <n>", "images per batch", "32")
    .option("--lr <x>", "peak AdamW learning rate", "0.01")
    .option("--eval-interval <n>", "measure accuracy every n steps", "50")
    .option("--eval-size <n>", "images per accuracy measurement during training", "1000")
    .option("--train-size <n>", "training images (glyphs: generated, default 5000; MNIST: the first n)")
    .option("--test-size <n>", "test images (glyphs: default 1000; MNIST: the first n)")
    .option("--size <n>", "glyphs: canvas side in pixels", "16")
    .option("--translate <x>", "glyphs: 0 = centred digits, 1 = anywhere on the canvas", "1")
    .option("--seed <n>", "random seed (data and initialisation)", "0")
    .option("--out <dir>", "output folder", defaultOut("images"))
    .option("--overwrite", "replace what --out holds")
    .action((o: Record<string, string>) => imagesTrain(o));
}
