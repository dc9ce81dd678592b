// Sparse autoencoders: each architecture's forward against the equations written out by hand,
// float64 gradient checks of the losses, JumpReLU's straight-through gradients against their
// formulas, training that recovers a known sparse dictionary, and bad input.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { gradcheck, noGrad, tensor, tidy, type Tensor } from "../src/node.js";
import { parameter } from "../src/nn/module.js";
import { jumpReLU, step } from "../src/sae/jumprelu.js";
import { saeLoss } from "../src/sae/losses.js";
import { SparseAutoencoder, type SaeArchitecture } from "../src/sae/sae.js";
import { SyntheticFeatures, dictionaryRecovery } from "../src/sae/synthetic.js";
import { geometricMedian, trainSae, trainSaeSteps } from "../src/sae/train.js";

const arr = (t: Tensor) => Array.from(t.dataSync() as Float32Array | Float64Array);
const close = (a: number[], b: number[], tol: number, what: string) => {
  assert.equal(a.length, b.length, `${what}: lengths`);
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) <= tol * Math.max(1, Math.abs(b[i])), `${what}[${i}]: ${v} vs ${b[i]}`));
};

/** x W + b for row-major plain arrays: x (n, a), W (a, c). */
function affine(x: number[], W: number[], b: number[], n: number, a: number, c: number): number[] {
  const out = new Array<number>(n * c).fill(0);
  for (let r = 0; r < n; r++) for (let j = 0; j < c; j++) {
    let s = b[j];
    for (let i = 0; i < a; i++) s += x[r * a + i] * W[i * c + j];
    out[r * c + j] = s;
  }
  return out;
}

/** A small SAE with non-trivial biases so every term of the equations matters. */
function smallSae(architecture: SaeArchitecture, extra: Record<string, unknown> = {}): SparseAutoencoder {
  const sae = new SparseAutoencoder({ d_in: 5, d_sae: 7, architecture, k: architecture === "topk" ? 3 : undefined, seed: 3, ...extra });
  noGrad(() => {
    sae.W_enc.copy_(sae.W_enc.mul(10)); // 0.1-norm init → pre-activations of order 1
    sae.b_enc.copy_(tensor([0.1, -0.2, 0.05, 0.3, -0.1, 0.0, 0.2]));
    sae.b_dec.copy_(tensor([0.05, -0.1, 0.2, 0.0, 0.1]));
    sae.log_threshold?.fill_(Math.log(0.15));
    sae.b_mag?.copy_(tensor([0.2, 0.1, -0.1, 0.0, 0.3, -0.2, 0.1]));
    sae.r_mag?.copy_(tensor([0.1, -0.3, 0.2, 0.0, 0.05, 0.4, -0.1]));
  });
  return sae;
}

const X = [0.5, -1.2, 0.3, 0.8, -0.4, 1.1, 0.2, -0.7, 0.9, 0.6, -0.3, 0.4, 1.3, -0.8, 0.1];

describe("SAE forward = the equations", () => {
  test("SAELens's initialisation: decoder rows of norm 0.1, W_enc = W_decᵀ, zero biases", () => {
    const sae = new SparseAutoencoder({ d_in: 6, d_sae: 10, seed: 1 });
    close(arr(sae.decoderNorms()), new Array(10).fill(0.1), 1e-5, "‖W_dec,i‖");
    close(arr(sae.W_enc), arr(sae.W_dec.mT.contiguous()), 0, "W_enc");
    assert.deepEqual([sae.W_enc.shape, sae.W_dec.shape, sae.b_enc.shape, sae.b_dec.shape], [[6, 10], [10, 6], [10], [6]]);
  });

  for (const architecture of ["standard", "topk", "jumprelu", "gated"] as const) {
    test(`${architecture}: f and x̂ against a hand computation`, () => {
      const sae = smallSae(architecture);
      const x = tensor(X, { shape: [3, 5] });
      const { featureActs, reconstruction } = sae.run(x);
      const W_enc = arr(sae.W_enc);
      const b_dec = arr(sae.b_dec);
      const xt = X.map((v, i) => v - b_dec[i % 5]);
      const pre = affine(xt, W_enc, arr(sae.b_enc), 3, 5, 7);
      let f: number[];
      if (architecture === "standard") f = pre.map((v) => Math.max(0, v));
      else if (architecture === "jumprelu") f = pre.map((v) => (v > 0.15 ? v : 0));
      else if (architecture === "gated") {
        const r = arr(sae.r_mag!);
        const mag = affine(xt, W_enc.map((w, i) => w * Math.exp(r[i % 7])), arr(sae.b_mag!), 3, 5, 7);
        f = pre.map((v, i) => (v > 0 ? Math.max(0, mag[i]) : 0));
      } else {
        f = pre.map((v, i) => {
          const row = pre.slice(Math.floor(i / 7) * 7, Math.floor(i / 7) * 7 + 7).sort((a, b) => b - a);
          return v >= row[2] ? Math.max(0, v) : 0;
        });
      }
      close(arr(featureActs), f, 1e-5, "f");
      close(arr(reconstruction), affine(f, arr(sae.W_dec), b_dec, 3, 7, 5), 1e-5, "x̂");
      if (architecture === "topk") for (let r = 0; r < 3; r++) assert.ok(f.slice(r * 7, r * 7 + 7).filter((v) => v !== 0).length <= 3);
    });
  }

  test("normalised inputs: x̂ comes back in the input's units", () => {
    const sae = smallSae("standard");
    sae.scalingFactor = 2.5;
    const x = tensor(X, { shape: [3, 5] });
    const a = arr(sae.forward(x));
    sae.scalingFactor = 1;
    const b = arr(sae.decode(sae.encode(x.mul(2.5)))).map((v) => v / 2.5);
    close(a, b, 1e-5, "x̂");
  });
});

describe("SAE losses: float64 gradients", () => {
  // Reconstruction + sparsity terms. The auxiliary terms hold stop-gradients by design (AuxK's
  // target error, the gated term's frozen decoder), which finite differences cannot see: they are
  // checked against hand-written formulas below. JumpReLU's θ gets a pseudo-gradient (its own test).
  for (const architecture of ["standard", "topk", "jumprelu", "gated"] as const) {
    test(`${architecture}: every parameter's gradient matches finite differences`, () => {
      const sae = smallSae(architecture);
      const names = ["W_enc", "b_enc", "W_dec", "b_dec", ...(architecture === "gated" ? ["b_mag", "r_mag"] : [])] as const;
      const params = names.map((n) => (sae as unknown as Record<string, Tensor>)[n].to("float64"));
      if (sae.log_threshold) sae.log_threshold = sae.log_threshold.to("float64");
      const x = tensor(X, { shape: [3, 5], dtype: "float64" });
      const r = gradcheck((...ps: Tensor[]) => {
        names.forEach((n, i) => ((sae as unknown as Record<string, Tensor>)[n] = ps[i]));
        const L = saeLoss(sae, x, { sparsityCoefficient: 0.3 });
        return L.mse.add(L.sparsity);
      }, params);
      assert.ok(r.ok, `${r.worst} (max abs error ${r.maxAbsError})`);
    });
  }

  test("auxiliary terms: AuxK on the top dead latents against the error as a constant; the gated term leaves the decoder alone", () => {
    const x = tensor(X, { shape: [3, 5] });
    const t = smallSae("topk");
    const dead = [1, 0, 1, 1, 0, 0, 1];
    const L = saeLoss(t, x, { deadMask: tensor(dead, { dtype: "int32" }), kAux: 2, auxKCoefficient: 0.5 });
    L.aux.backward();
    const gAux = arr(t.W_dec.grad!);
    // by hand: the 2 largest dead pre-activations per row, ReLU'd, decoded without b_dec, against e
    t.W_dec.grad = null;
    const pre = arr(L.out.hiddenPre);
    const e = noGrad(() => L.out.saeIn.sub(L.out.saeOut)).detach();
    const acts = pre.map(() => 0);
    for (let r = 0; r < 3; r++) {
      const row = [0, 2, 3, 6].map((i) => [pre[r * 7 + i], i]).sort((a, b) => b[0] - a[0]).slice(0, 2);
      for (const [v, i] of row) acts[r * 7 + i] = Math.max(0, v);
    }
    const manual = tensor(acts, { shape: [3, 7] }).matmul(t.W_dec).sub(e).square().sum(-1).mean().mul(0.5 * Math.min(4 / 2, 1));
    close([L.aux.item()], [manual.item()], 1e-5, "AuxK value");
    manual.backward();
    close(gAux, arr(t.W_dec.grad!), 1e-5, "AuxK ∂/∂W_dec");

    const g = smallSae("gated");
    saeLoss(g, x, { sparsityCoefficient: 0.3 }).aux.backward();
    assert.ok(g.W_dec.grad === null || arr(g.W_dec.grad).every((v) => v === 0), "frozen decoder");
    assert.ok(arr(g.W_enc.grad!).some((v) => v !== 0), "the gate's encoder learns from it");
  });

  test("the loss terms as the papers write them", () => {
    const sae = smallSae("standard");
    const x = tensor(X, { shape: [3, 5] });
    const L = saeLoss(sae, x, { sparsityCoefficient: 0.5 });
    const { featureActs: f, reconstruction } = L.out;
    const mse = tidy(() => reconstruction.sub(x).square().sum().item() / 3);
    const l1 = tidy(() => f.mul(sae.decoderNorms()).sum().item() / 3);
    close([L.mse.item(), L.sparsity.item(), L.loss.item()], [mse, 0.5 * l1, mse + 0.5 * l1], 1e-5, "standard");
    const t = smallSae("topk");
    const none = saeLoss(t, x, { deadMask: tensor([0, 0, 0, 0, 0, 0, 0], { dtype: "int32" }) });
    assert.equal(none.aux.item(), 0, "no dead latent, no AuxK");
  });
});

describe("JumpReLU's straight-through gradients", () => {
  test("∂/∂θ are −(θ/ε)K((π−θ)/ε) and −(1/ε)K((π−θ)/ε); ∂/∂π is H(π−θ) and 0", () => {
    const eps = 0.1;
    const pre = parameter(tensor([[0.32, 0.1, 0.5], [0.27, 0.9, 0.26]]));
    const theta = parameter(tensor([0.3, 0.2, 0.3]));
    jumpReLU(pre, theta, eps).sum().backward();
    // |π − θ| < ε/2 = 0.05 at (0,0), (1,0), (1,2); the first two share θ_0 = 0.3
    close(arr(theta.grad!), [-2 * (0.3 / eps), 0, -(0.3 / eps)], 1e-5, "jumpReLU θ");
    close(arr(pre.grad!), [1, 0, 1, 0, 1, 0], 0, "jumpReLU π");
    pre.grad = null;
    theta.grad = null;
    step(pre, theta, eps).sum().backward();
    close(arr(theta.grad!), [-2 / eps, 0, -1 / eps], 1e-5, "step θ");
    close(arr(pre.grad!), [0, 0, 0, 0, 0, 0], 0, "step π");
  });
});

describe("training recovers a known sparse dictionary", () => {
  // 64 unit features in 32 dimensions, ~5 active per sample: superposition, with a known answer
  const cases: [SaeArchitecture, Record<string, number>][] = [
    ["standard", { sparsityCoefficient: 0.3, steps: 300 }],
    ["topk", { steps: 300 }],
    ["jumprelu", { sparsityCoefficient: 0.1, initThreshold: 0.1, steps: 600 }],
    ["gated", { sparsityCoefficient: 1, steps: 600 }],
  ];
  for (const [architecture, o] of cases) {
    test(`${architecture}: mean max cosine similarity > 0.9`, () => {
      const source = new SyntheticFeatures({ nFeatures: 64, dIn: 32, seed: 1 });
      const sae = new SparseAutoencoder({ d_in: 32, d_sae: 128, architecture, k: architecture === "topk" ? 6 : undefined, seed: 2 });
      const log = trainSae(sae, source, { batchSize: 512, lr: 3e-3, logEvery: 50, ...o } as never);
      const r = dictionaryRecovery(sae.W_dec, source.dictionary, 64);
      assert.ok(r.mmcs > 0.9, `MMCS ${r.mmcs}`);
      const last = log[log.length - 1];
      assert.ok(last.explainedVariance > 0.8, `explained variance ${last.explainedVariance}`);
      assert.ok(last.l0 < 20, `L0 ${last.l0}`);
    });
  }

  test("a weak L1 coefficient reconstructs well but does not find the features", () => {
    const source = new SyntheticFeatures({ nFeatures: 64, dIn: 32, seed: 1 });
    const sae = new SparseAutoencoder({ d_in: 32, d_sae: 128, seed: 2 });
    trainSae(sae, source, { steps: 300, batchSize: 512, lr: 3e-3, sparsityCoefficient: 0.03 });
    assert.ok(dictionaryRecovery(sae.W_dec, source.dictionary, 64).mmcs < 0.8);
  });
});

describe("a run in pieces", () => {
  test("two pieces (state saved in between) give the same SAE as one run", () => {
    const make = () => new SparseAutoencoder({ d_in: 16, d_sae: 32, architecture: "topk", k: 4, seed: 9 });
    const opts = { steps: 40, batchSize: 128, lr: 3e-3, logEvery: 10 };
    const one = make();
    trainSae(one, new SyntheticFeatures({ nFeatures: 24, dIn: 16, seed: 3 }), opts);
    const two = make();
    const source = new SyntheticFeatures({ nFeatures: 24, dIn: 16, seed: 3 });
    const first = trainSaeSteps(two, source, opts, null, 25);
    assert.equal(first.state.step, 25);
    const second = trainSaeSteps(two, source, opts, first.state, 40);
    assert.deepEqual(second.history.map((m) => m.step), [30, 40]);
    for (const name of ["W_enc", "W_dec", "b_enc", "b_dec"] as const) close(arr(two[name]), arr(one[name]), 1e-5, name);
    assert.throws(() => trainSaeSteps(two, source, opts, second.state, 30), /until must be a step in \[40, 40\]/);
  });
});

describe("initialisation and dead latents", () => {
  test("geometric median: the middle of collinear points, robust to an outlier", () => {
    const x = tensor([[0, 0], [1, 0], [2, 0], [3, 0], [1000, 0]]);
    close(arr(geometricMedian(x)), [2, 0], 1e-3, "median");
  });

  test("b_dec starts at the data's centre; normalize_activations scales to mean norm √d_in", () => {
    const source = new SyntheticFeatures({ nFeatures: 16, dIn: 8, seed: 4 });
    const sae = new SparseAutoencoder({ d_in: 8, d_sae: 16, normalize_activations: "expected_average_only_in" });
    trainSae(sae, source, { steps: 1, batchSize: 64, bDecInit: "mean", initSamples: 4096 });
    const probe = new SyntheticFeatures({ nFeatures: 16, dIn: 8, seed: 4 }).next(4096);
    const meanNorm = tidy(() => probe.norm(2, 1).mean().item());
    assert.ok(Math.abs(sae.scalingFactor * meanNorm - Math.sqrt(8)) < 1e-3, `scale ${sae.scalingFactor}`);
  });

  test("resampling revives dead latents and the training reports them", () => {
    const source = new SyntheticFeatures({ nFeatures: 32, dIn: 16, seed: 5 });
    const sae = new SparseAutoencoder({ d_in: 16, d_sae: 64, seed: 6 });
    // kill half the latents: they never fire
    noGrad(() => sae.b_enc.copy_(tensor(Array.from({ length: 64 }, (_, i) => (i < 32 ? -100 : 0)))));
    const log = trainSae(sae, source, { steps: 40, batchSize: 256, lr: 1e-3, sparsityCoefficient: 0.1, deadWindow: 10, resampleAt: [20], logEvery: 10 });
    assert.ok(log[0].dead >= 32, `dead at step 10: ${log[0].dead}`);
    assert.ok((log.find((m) => m.step === 20)?.resampled ?? 0) >= 32);
    const fired = tidy(() => arr(sae.encode(source.next(2048)).gt(0).to("float32").amax(0)));
    assert.ok(fired.slice(0, 32).filter((v) => v > 0).length >= 16, "resampled latents fire again");
  });
});

describe("bad input", () => {
  test("config and training options name the field", () => {
    assert.throws(() => new SparseAutoencoder({ d_in: 0, d_sae: 4 }), /d_in must be a positive integer/);
    assert.throws(() => new SparseAutoencoder({ d_in: 4, d_sae: 8, architecture: "topk" }), /k must be a positive integer/);
    assert.throws(() => new SparseAutoencoder({ d_in: 4, d_sae: 8, architecture: "topk", k: 9 }), /k = 9 is more than d_sae = 8/);
    assert.throws(() => new SparseAutoencoder({ d_in: 4, d_sae: 8, architecture: "relu" as never }), /architecture must be one of/);
    const sae = new SparseAutoencoder({ d_in: 4, d_sae: 8, hook_name: "blocks.0.hook_resid_post" });
    assert.throws(() => sae.forward(tensor([[1, 2, 3]])), /last dimension is 3, but d_in = 4 \(blocks.0.hook_resid_post\)/);
    const source = new SyntheticFeatures({ nFeatures: 8, dIn: 4 });
    assert.throws(() => trainSae(sae, source, { steps: 1, sparsityCoefficient: -1 }), /sparsityCoefficient must be a number ≥ 0/);
    assert.throws(() => trainSae(sae, source, { steps: 0 }), /steps must be a positive integer/);
    assert.throws(() => trainSae(sae, new SyntheticFeatures({ nFeatures: 8, dIn: 5 }), { steps: 1 }), /5 dimensions, the SAE's d_in is 4/);
    const topk = new SparseAutoencoder({ d_in: 4, d_sae: 8, architecture: "topk", k: 2 });
    assert.throws(() => trainSae(topk, source, { steps: 1, resampleAt: [1] }), /AuxK/);
  });
});
