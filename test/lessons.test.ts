// The pre-transformer lessons: a character-level RNN/LSTM/GRU language model, glyph-digit and
// MNIST-format image data, MLP vs CNN classifiers, and the `dgpt rnn` / `dgpt images` commands.
import "../src/node.js";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { gzipSync } from "node:zlib";
import { Command } from "commander";
import { backend, createWasmBackend, setBackend } from "../src/backend/index.js";
import { registerLessonCommands } from "../src/cli/lessons.js";
import { glyphDigits, glyphDigitSplits, imageBatch, imageBatches, type ImageSet } from "../src/data/images.js";
import { imageSetFromIdx, readIdx, writeIdx } from "../src/data/images-idx.js";
import { loadMnist } from "../src/data/images.node.js";
import { loadModule } from "../src/io/checkpoint.node.js";
import { classifierFromConfig, cnnClassifier, evaluateClassifier, type ImageClassifier, mlpClassifier } from "../src/models/classifiers.js";
import { type CellKind, RNNLanguageModel } from "../src/models/rnn-lm.js";
import { noGrad } from "../src/tensor/autograd.js";
import { tensor } from "../src/tensor/creation.js";
import { Generator, manualSeed } from "../src/tensor/random.js";
import { tidy } from "../src/tensor/scope.js";
import { CharTokenizer } from "../src/tokenizers/char.js";
import { textBatches } from "../src/train/data.js";
import { type BatchSource, type TrainConfig, Trainer } from "../src/train/trainer.js";

const dir = mkdtempSync(join(tmpdir(), "dgpt-lessons-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const CORPUS = "the cat sat on the mat. the dog sat on the log. ".repeat(40);
const tok = CharTokenizer.fromText(CORPUS);
const ids = Int32Array.from(tok.encode(CORPUS));

function config(steps: number, lr: number, batchSize: number, blockSize = 1): TrainConfig {
  return { maxIters: steps, batchSize, blockSize, lr, minLr: lr / 10, warmupIters: 5, lrDecayIters: steps, weightDecay: 0, beta1: 0.9, beta2: 0.99, gradClip: 1, gradAccumSteps: 1, evalInterval: 1000, evalIters: 4, seed: 0 };
}

function train(model: RNNLanguageModel | ImageClassifier, data: BatchSource, cfg: TrainConfig): Trainer {
  const t = new Trainer(model, data, cfg);
  for (let i = 0; i < cfg.maxIters; i++) t.trainStep();
  return t;
}

test("an LSTM language model learns a tiny corpus and continues a prompt with its carried state", () => {
  manualSeed(0);
  const model = new RNNLanguageModel({ cell: "lstm", vocabSize: tok.vocabSize, hiddenSize: 48, embeddingDim: 24 });
  const data = textBatches(ids, { batchSize: 16, blockSize: 16 });
  const cfg = config(40, 1e-2, 16, 16);
  const trainer = new Trainer(model, data, cfg);
  const before = trainer.evaluate().val;
  for (let i = 0; i < cfg.maxIters; i++) trainer.trainStep();
  const after = trainer.evaluate().val;
  assert.ok(before > 2.3 && after < 0.6, `val loss ${before} → ${after}`);

  const prompt = tok.encode("the cat sat on the ");
  const out = model.generate(prompt, { maxNewTokens: 40, temperature: 0 });
  const words = tok.decode(out).split(/[ .]+/).slice(0, -1); // the last word may be cut off
  assert.ok(words.length >= 5 && words.every((w) => ["the", "cat", "sat", "on", "mat", "dog", "log", ""].includes(w)), `continuation ${JSON.stringify(tok.decode(out))}`);
  // the state carried token by token gives what a full forward pass over the whole text gives
  const full = tidy(() => noGrad(() => Array.from(model.eval().forward(tensor([[...prompt, ...out]], { dtype: "int32" })).argmax(-1).dataSync())));
  assert.deepEqual(full.slice(prompt.length - 1, -1), out);
  // sampling is reproducible with a seeded generator
  const a = model.generate(prompt, { maxNewTokens: 20, temperature: 1, generator: new Generator(3) });
  assert.deepEqual(model.generate(prompt, { maxNewTokens: 20, temperature: 1, generator: new Generator(3) }), a);
  assert.throws(() => model.generate([], {}), /at least one token/);
  assert.throws(() => model.generate([tok.vocabSize], {}), /not in the vocabulary/);
});

test("RNN and GRU cells, stacked, train too, with PyTorch's state-dict names", () => {
  for (const cell of ["rnn", "gru"] as CellKind[]) {
    manualSeed(1);
    const model = new RNNLanguageModel({ cell, vocabSize: tok.vocabSize, hiddenSize: 32, embeddingDim: 16, numLayers: 2 });
    assert.deepEqual(Object.keys(model.stateDict()).filter((k) => !k.startsWith("rnn.")), ["encoder.weight", "decoder.weight", "decoder.bias"]);
    const gates = cell === "gru" ? 3 : 1;
    assert.deepEqual(model.stateDict()["rnn.weight_ih_l1"].shape, [gates * 32, 32]);
    assert.deepEqual(model.stateDict()["rnn.weight_ih_l0"].shape, [gates * 32, 16]);
    const logits = tidy(() => noGrad(() => model.forward(tensor([[1, 2, 3], [4, 5, 6]], { dtype: "int32" })).shape));
    assert.deepEqual(logits, [2, 3, tok.vocabSize]);
    const t = new Trainer(model, textBatches(ids, { batchSize: 8, blockSize: 12 }), config(15, 1e-2, 8, 12));
    const before = t.evaluate().val;
    for (let i = 0; i < 15; i++) t.trainStep();
    const after = t.evaluate().val;
    assert.ok(after < before - 0.5, `${cell}: val loss ${before} → ${after}`);
    assert.equal(model.generate([0, 1], { maxNewTokens: 5 }).length, 5);
  }
  assert.throws(() => new RNNLanguageModel({ cell: "transformer" as CellKind, vocabSize: 5, hiddenSize: 4 }), /cell must be rnn, lstm or gru/);
  assert.throws(() => new RNNLanguageModel({ vocabSize: 5, hiddenSize: 0 }), /hiddenSize must be a positive integer/);
});

test("training, generating and evaluating keep WebAssembly memory flat", () => {
  const prev = backend();
  const wasm = createWasmBackend();
  setBackend(wasm);
  try {
    manualSeed(0);
    const lm = new RNNLanguageModel({ cell: "lstm", vocabSize: tok.vocabSize, hiddenSize: 16, embeddingDim: 8 });
    const lmTrainer = new Trainer(lm, textBatches(ids, { batchSize: 4, blockSize: 8 }), config(30, 1e-2, 4, 8));
    const images = glyphDigitSplits({ train: 64, test: 40, seed: 2 });
    const cnn = cnnClassifier(16, 16, 10, [4, 4]);
    const cnnTrainer = new Trainer(cnn, imageBatches(images, 8), config(30, 1e-2, 8));
    const inUse: number[] = [];
    for (let i = 0; i < 30; i++) {
      lmTrainer.trainStep();
      lm.generate([1, 2, 3], { maxNewTokens: 5 });
      cnnTrainer.trainStep();
      evaluateClassifier(cnn, images.test, 16);
      inUse.push(wasm.heap.bytesInUse);
    }
    assert.equal(inUse[29], inUse[5], `bytes in use drift: ${inUse[5]} → ${inUse[29]}`);
  } finally {
    setBackend(prev);
  }
});

/** Standard deviation of the ink's centre of mass along x, over the images of a set. */
function centroidSpread(s: ImageSet): number {
  const xs: number[] = [];
  for (let n = 0; n < s.count; n++) {
    let m = 0;
    let mx = 0;
    for (let y = 0; y < s.height; y++) for (let x = 0; x < s.width; x++) {
      const v = s.pixels[n * s.height * s.width + y * s.width + x];
      m += v;
      mx += v * x;
    }
    xs.push(mx / m);
  }
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
}

test("glyph digits: deterministic per seed, balanced labels, bytes to [0, 1] batches, translation as asked", () => {
  const a = glyphDigits({ count: 200, seed: 5 });
  const b = glyphDigits({ count: 200, seed: 5 });
  const c = glyphDigits({ count: 200, seed: 6 });
  assert.deepEqual(a.pixels, b.pixels);
  assert.deepEqual(a.labels, b.labels);
  assert.notDeepEqual(a.pixels, c.pixels);
  assert.deepEqual([a.height, a.width, a.classes], [16, 16, 10]);
  const counts = new Array(10).fill(0);
  for (const l of a.labels) counts[l]++;
  assert.deepEqual(counts, new Array(10).fill(20));
  assert.notDeepEqual(Array.from(a.labels.subarray(0, 10)), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]); // shuffled
  // ink and background both present: strokes near white, background near black
  const hist = { dark: 0, bright: 0 };
  for (const v of a.pixels) if (v < 40) hist.dark++; else if (v > 170) hist.bright++;
  assert.ok(hist.dark > a.pixels.length * 0.4 && hist.bright > a.pixels.length * 0.05, JSON.stringify(hist));
  const { x, y } = imageBatch(a, [0, 1, 2]);
  assert.deepEqual([x.shape, x.dtype, y.shape, y.dtype], [[3, 1, 16, 16], "float32", [3], "int32"]);
  const xv = x.dataSync();
  assert.ok(xv.every((v) => v >= 0 && v <= 1) && Math.max(...xv) > 0.9);
  assert.deepEqual(Array.from(y.dataSync()), Array.from(a.labels.subarray(0, 3)));
  // train and test come from different streams
  const { train, test } = glyphDigitSplits({ train: 50, test: 50, seed: 5 });
  assert.notDeepEqual(train.pixels, test.pixels);
  // translate 0 centres the digits; translate 1 spreads them over the canvas
  const centred = centroidSpread(glyphDigits({ count: 200, translate: 0, noise: 0 }));
  const spread = centroidSpread(glyphDigits({ count: 200, translate: 1, noise: 0 }));
  assert.ok(centred < 0.8 && spread > 1.5, `centroid spread ${centred} vs ${spread}`);
  assert.equal(glyphDigits({ count: 3, size: 28 }).pixels.length, 3 * 28 * 28);
  assert.throws(() => glyphDigits({ count: 3, translate: 2 }), /translate must be in \[0, 1\]/);
  assert.throws(() => glyphDigits({ count: 3, size: 8, scale: [1, 2] }), /fit the canvas/);
});

test("IDX files round-trip; bad magic, truncated data and trailing bytes are refused", async () => {
  const images = { type: "uint8" as const, shape: [3, 2, 4], data: Uint8Array.from({ length: 24 }, (_, i) => i * 10) };
  const bytes = writeIdx(images);
  assert.deepEqual(Array.from(bytes.subarray(0, 8)), [0, 0, 8, 3, 0, 0, 0, 3]); // MNIST's 0x00000803, then 3
  assert.deepEqual(readIdx(bytes), images);
  for (const [type, data] of [["int16", Int16Array.of(-300, 5, 7000)], ["int32", Int32Array.of(-1, 2 ** 30, 0)], ["float32", Float32Array.of(0.5, -2, 1e10)], ["float64", Float64Array.of(Math.PI, -1e-300, 2)], ["int8", Int8Array.of(-128, 0, 127)]] as const) {
    assert.deepEqual(readIdx(writeIdx({ type, shape: [3], data })), { type, shape: [3], data });
  }
  // big-endian on disk: int16 -300 is FE D4
  assert.deepEqual(Array.from(writeIdx({ type: "int16", shape: [1], data: Int16Array.of(-300) }).subarray(8)), [0xfe, 0xd4]);
  const bad = bytes.slice();
  bad[2] = 0x07;
  assert.throws(() => readIdx(bad, "x.idx"), /x\.idx: bad magic number 0x00000703/);
  assert.throws(() => readIdx(Uint8Array.of(1, 2, 8, 1, 0, 0, 0, 0)), /bad magic number/);
  assert.throws(() => readIdx(bytes.subarray(0, bytes.length - 1)), /truncated: the header says \[3, 2, 4\] uint8 values \(24 bytes\) but only 23 bytes follow/);
  assert.throws(() => readIdx(bytes.subarray(0, 10)), /truncated: the header needs 16 bytes/);
  assert.throws(() => readIdx(bytes.subarray(0, 2)), /truncated/);
  assert.throws(() => readIdx(Uint8Array.from([...bytes, 0])), /1 unexpected bytes/);
  assert.throws(() => readIdx(gzipSync(bytes)), /gzip-compressed/);
  // a header announcing 4 billion images is refused before anything is allocated
  assert.throws(() => readIdx(Uint8Array.of(0, 0, 8, 3, 255, 255, 255, 255, 0, 0, 0, 28, 0, 0, 0, 28, 1, 2)), /truncated/);
  assert.throws(() => imageSetFromIdx(images, { type: "uint8", shape: [2], data: Uint8Array.of(1, 2) }), /3 images but 2 labels/);
});

/** Glyph digits written as the four MNIST files (two gzipped, two raw) in a new folder. */
function writeMnistDir(name: string, size: number, train: number, test: number): string {
  const d = join(dir, name);
  mkdirSync(d);
  const sets = glyphDigitSplits({ train, test, size, seed: 9 });
  const put = (file: string, bytes: Uint8Array, gz: boolean) => writeFileSync(join(d, gz ? `${file}.gz` : file), gz ? gzipSync(bytes) : bytes);
  for (const [split, prefix, gz] of [["train", "train", true], ["test", "t10k", false]] as const) {
    const s = sets[split];
    put(`${prefix}-images-idx3-ubyte`, writeIdx({ type: "uint8", shape: [s.count, size, size], data: s.pixels }), gz);
    put(`${prefix}-labels-idx1-ubyte`, writeIdx({ type: "uint8", shape: [s.count], data: Uint8Array.from(s.labels) }), gz);
  }
  return d;
}

test("loadMnist reads the four files, raw or gzipped, and names what is missing or broken", async () => {
  const d = writeMnistDir("mnist-a", 28, 40, 20);
  const { train, test } = await loadMnist(d);
  assert.deepEqual([train.count, train.height, train.width, test.count, train.classes], [40, 28, 28, 20, 10]);
  assert.deepEqual(train.pixels, glyphDigitSplits({ train: 40, test: 20, size: 28, seed: 9 }).train.pixels);
  const limited = await loadMnist(d, { limit: { train: 10, test: 5 } });
  assert.deepEqual([limited.train.count, limited.test.count, limited.train.labels.length], [10, 5, 10]);
  const empty = join(dir, "empty");
  mkdirSync(empty);
  await assert.rejects(loadMnist(empty), /has no train-images-idx3-ubyte \(looked for .*\.gz/);
  await assert.rejects(loadMnist(join(dir, "nowhere")), /no such folder/);
  writeFileSync(join(d, "t10k-labels-idx1-ubyte"), writeIdx({ type: "uint8", shape: [19], data: new Uint8Array(19) }));
  await assert.rejects(loadMnist(d), /20 images but 19 labels/);
  writeFileSync(join(d, "train-labels-idx1-ubyte.gz"), Uint8Array.of(0x1f, 0x8b, 1, 2, 3));
  await assert.rejects(loadMnist(d), /train-labels-idx1-ubyte\.gz is not a valid gzip file/);
});

test("on glyph digits both classifiers beat chance, and the CNN beats a larger MLP when digits move", () => {
  const fit = (model: ImageClassifier, data: { train: ImageSet; test: ImageSet }) => {
    manualSeed(0);
    train(model, imageBatches(data, 32), config(150, 1e-2, 32));
    return evaluateClassifier(model, data.test).accuracy;
  };
  const moving = glyphDigitSplits({ train: 1500, test: 500, translate: 1, seed: 1 });
  manualSeed(0);
  const mlp = mlpClassifier(16, 16, 10, 64);
  manualSeed(0);
  const cnn = cnnClassifier(16, 16, 10, [8, 16]);
  assert.ok(mlp.numParameters() > 4 * cnn.numParameters()); // 17,098 vs 3,818
  const mlpAcc = fit(mlp, moving);
  const cnnAcc = fit(cnn, moving);
  // measured: MLP 0.56–0.62, CNN 0.77–0.83 over five seeds
  assert.ok(mlpAcc > 0.35 && cnnAcc > 0.6 && cnnAcc > mlpAcc + 0.08, `test accuracy with translation: MLP ${mlpAcc}, CNN ${cnnAcc}`);
  // centred digits are easy for the MLP: it is the translation that hurts it
  manualSeed(0);
  const centred = fit(mlpClassifier(16, 16, 10, 64), glyphDigitSplits({ train: 1500, test: 500, translate: 0, seed: 1 }));
  assert.ok(centred > 0.9, `MLP on centred digits: ${centred}`);
  assert.throws(() => cnnClassifier(3, 16, 10), /at least 4×4/);
  assert.throws(() => mlpClassifier(16, 16, 10, [32, 0]), /hidden\[1\] must be a positive integer/);
});

/** Runs a `dgpt` lesson command, capturing what it prints. */
async function dgpt(args: string[]): Promise<string> {
  let out = "";
  const program = new Command("dgpt").exitOverride();
  registerLessonCommands(program, { stdout: (s) => void (out += s) });
  // (process.stdout itself carries the test runner's report: leave it alone)
  const log = console.log;
  const writeErr = process.stderr.write;
  console.log = (...a: unknown[]) => void (out += a.join(" ") + "\n");
  process.stderr.write = (() => true) as typeof process.stderr.write; // the progress lines
  try {
    await program.parseAsync(args, { from: "user" });
  } finally {
    console.log = log;
    process.stderr.write = writeErr;
  }
  return out;
}

test("dgpt rnn train / generate run end to end and save a loadable model", async () => {
  const text = join(dir, "corpus.txt");
  writeFileSync(text, CORPUS);
  const out = join(dir, "rnn");
  const log = await dgpt(["rnn", "train", "--data", text, "--cell", "gru", "--hidden", "32", "--steps", "12", "--batch-size", "8", "--block-size", "16", "--eval-interval", "6", "--eval-iters", "2", "--sample", "30", "--out", out]);
  assert.match(log, /model: GRU × 1, hidden 32/);
  assert.match(log, /val loss \d\.\d{4} nats\/char = \d\.\d{3} bits\/char, perplexity \d+\.\d\d/);
  assert.match(log, /--- sample ---\n[^]{30}\n---/);
  for (const f of ["config.json", "model.safetensors", "tokenizer.json", "loss.html"]) assert.ok(existsSync(join(out, f)), f);
  assert.equal(JSON.parse(readFileSync(join(out, "config.json"), "utf8")).cell, "gru");
  const gen = await dgpt(["rnn", "generate", "--model", out, "--prompt", "the ", "--max-tokens", "25", "--temperature", "0"]);
  assert.equal(gen.length, "the ".length + 25 + 1);
  assert.ok(gen.startsWith("the "));
  await assert.rejects(dgpt(["rnn", "train", "--data", text, "--cell", "transformer"]), /--cell must be rnn, lstm or gru/);
  await assert.rejects(dgpt(["rnn", "generate", "--model", join(dir, "nothing")]), /no RNN language model in/);
  await assert.rejects(dgpt(["rnn", "train", "--data", text, "--steps", "2", "--out", out]), /--out .*rnn already holds .*; add --overwrite to replace it/);
});

test("dgpt images train runs on glyphs and on an MNIST-format folder, and plots the mistakes", async () => {
  const out = join(dir, "img");
  const log = await dgpt(["images", "train", "--arch", "mlp", "--steps", "30", "--train-size", "300", "--test-size", "100", "--eval-interval", "10", "--out", out]);
  assert.match(log, /train accuracy \d+\.\d%, test accuracy \d+\.\d% \(100 images\)/);
  const html = readFileSync(join(out, "images.html"), "utf8");
  assert.match(html, /Misclassified test images/);
  // each misclassified tile is labelled true→predicted under it, in the picture
  assert.match(html, /true class → predicted class/);
  assert.match(html, /<text[^>]*>\d→\d<\/text>/);
  assert.equal((html.match(/<figure>/g) ?? []).length, 3);
  // the saved classifier reloads and predicts what the trained one did
  const config = JSON.parse(readFileSync(join(out, "config.json"), "utf8"));
  assert.equal(config.model_type, "image-classifier");
  const reloaded = classifierFromConfig(config);
  await loadModule(join(out, "model.safetensors"), reloaded);
  const set = glyphDigitSplits({ train: 300, test: 100, seed: 0 }).test;
  const acc = Number(/test accuracy (\d+\.\d)%/.exec(log)![1]);
  assert.equal((100 * evaluateClassifier(reloaded, set).accuracy).toFixed(1), acc.toFixed(1));

  const mnist = writeMnistDir("mnist-b", 20, 120, 40);
  const log2 = await dgpt(["images", "train", "--arch", "cnn", "--data", mnist, "--steps", "10", "--eval-interval", "5", "--out", join(dir, "img2")]);
  assert.match(log2, /120 train, 40 test images of 20×20, 10 classes/);
  assert.match(log2, /test accuracy \d+\.\d% \(40 images\)/);
  await assert.rejects(dgpt(["images", "train", "--arch", "svm", "--out", out]), /--arch must be mlp or cnn/);
  await assert.rejects(dgpt(["images", "train", "--data", join(dir, "empty"), "--out", join(dir, "img3")]), /has no train-images-idx3-ubyte/);
  await assert.rejects(dgpt(["images", "train", "--arch", "mlp", "--steps", "2", "--out", out]), /--out .*img already holds .*config\.json.*; add --overwrite to replace it/);
  await assert.rejects(dgpt(["images", "train", "--model", "mlp", "--out", join(dir, "img4")]), /the architecture here is --arch mlp\|cnn/);
  await assert.rejects(dgpt(["images", "train", "--channels", "8", "--steps", "1", "--train-size", "10", "--test-size", "10", "--out", out]), /--channels: expected two positive integers/);
});
