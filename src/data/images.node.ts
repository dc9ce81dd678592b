// MNIST-format data sets from a local folder: the four standard IDX files (raw or .gz), as
// published for MNIST, Fashion-MNIST and KMNIST. Nothing is downloaded.
import { existsSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { headOf, type ImageSet } from "./images.js";
import { imageSetFromIdx, readIdx } from "./images-idx.js";

/** The files' standard names; Kaggle's copies write a dot before "idx". */
const FILES = {
  trainImages: "train-images-idx3-ubyte",
  trainLabels: "train-labels-idx1-ubyte",
  testImages: "t10k-images-idx3-ubyte",
  testLabels: "t10k-labels-idx1-ubyte",
} as const;

/** No file this format needs is near this size (MNIST's train images: 47 MB); a bigger one is refused. */
const MAX_BYTES = 1 << 30;

function candidates(base: string): string[] {
  const dotted = base.replace("-idx", ".idx");
  return [base, `${base}.gz`, dotted, `${dotted}.gz`];
}

async function readMaybeGzipped(path: string): Promise<Uint8Array> {
  const info = await stat(path);
  if (!info.isFile()) throw new Error(`loadMnist: ${path} is not a regular file`);
  if (info.size > MAX_BYTES) throw new Error(`loadMnist: ${path} is ${info.size} bytes, more than an IDX image file should be`);
  const bytes = await readFile(path);
  if (!(bytes[0] === 0x1f && bytes[1] === 0x8b)) return bytes;
  try {
    // capped, so a gzip bomb fails instead of filling memory
    return gunzipSync(bytes, { maxOutputLength: MAX_BYTES });
  } catch (err) {
    throw new Error(`loadMnist: ${path} is not a valid gzip file (${(err as Error).message})`, { cause: err });
  }
}

async function readIdxFile(dir: string, base: string) {
  const path = candidates(base).map((f) => join(dir, f)).find((p) => existsSync(p));
  if (path === undefined) throw new Error(`loadMnist: ${dir} has no ${base} (looked for ${candidates(base).join(", ")}); it needs the four MNIST-format files: ${Object.values(FILES).join(", ")} (raw or .gz)`);
  return readIdx(await readMaybeGzipped(path), path);
}

/**
 * Loads the train and test sets of an MNIST-format data set from `dir`. `limit` keeps only the
 * first images of each (a quick run need not hold 60,000 images). Pixels stay bytes.
 */
export async function loadMnist(dir: string, opts: { limit?: { train?: number; test?: number } } = {}): Promise<{ train: ImageSet; test: ImageSet }> {
  if (!existsSync(dir)) throw new Error(`loadMnist: no such folder: ${dir} (it should hold ${Object.values(FILES).join(", ")}, raw or .gz)`);
  const [trainImages, trainLabels, testImages, testLabels] = await Promise.all(Object.values(FILES).map((base) => readIdxFile(dir, base)));
  let train = imageSetFromIdx(trainImages, trainLabels, `${dir} (train)`);
  let test = imageSetFromIdx(testImages, testLabels, `${dir} (test)`);
  if (train.height !== test.height || train.width !== test.width) throw new Error(`loadMnist: ${dir}: train images are ${train.height}×${train.width} but test images are ${test.height}×${test.width}`);
  const classes = Math.max(train.classes, test.classes);
  train = headOf({ ...train, classes }, opts.limit?.train ?? train.count);
  test = headOf({ ...test, classes }, opts.limit?.test ?? test.count);
  return { train, test };
}
