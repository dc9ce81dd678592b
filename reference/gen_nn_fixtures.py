"""Writes fixtures/nn-api.json: torch.nn modules and torch.nn.functional, run by PyTorch.

Run with Debian's Python, which has torch (the pyenv python3 on PATH does not):

    /usr/bin/python3 reference/gen_nn_fixtures.py

test/nn-api.test.ts replays every case with our engine: it loads PyTorch's state dict into our
module (so both hold the same weights), runs the same inputs, and compares outputs, gradients
of inputs and parameters, state-dict keys and shapes, BatchNorm's running statistics, and
MultiheadAttention's averaged weights.

Everything is float64 (the engine's float64 path matches PyTorch's to ~1e-12) and seeded.
Options are written with our names (camelCase: ignoreIndex, posWeight, batchFirst, ...);
a tensor inside options is {"$tensor": <tensor>}. Tensors are {shape, dtype, data} with dtype
"float64", "int32" (int64 in torch) or "bool" (data 0/1). Every case weighs its outputs with
fixed random tensors W and records the gradients of L = Σ out · W.

Layout:
  {
    "torch": "<version>",
    "activations": [ {name, fn, args, module: {ctor, args}, input, output, gradWeight, grad, rtol?} ],
    "losses":      [ {name, fn, module, opts, inputs, gradInputs, output, gradWeight, grads} ],
    "functional":  [ {name, fn, inputs, extra, output, gradWeight, grads} ],
    "batchnorm":   [ {name, ctor, numFeatures, opts, stateKeys, state, steps: [...], eval} ],
    "mha":         [ {name, embedDim, numHeads, opts, stateKeys, state, inputs, forwardOpts,
                      output, weights, gradWeights, grads, paramGrads} ],
    "containers":  {stateKeys, state, input, output, gradWeight, grad, paramGrads, buffersAfter}
  }
"""

import json
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "nn-api.json")

torch.manual_seed(4321)
torch.set_default_dtype(torch.float64)
GEN = torch.Generator().manual_seed(4321)


def randn(*shape):
    return torch.randn(tuple(shape), generator=GEN)


def uniform(lo, hi, *shape):
    return lo + (hi - lo) * torch.rand(tuple(shape), generator=GEN)


def ints(lo, hi, *shape):
    return torch.randint(lo, hi, shape, generator=GEN)


def away_from(x, points, margin=0.05):
    """Moves entries of x that sit within `margin` of a kink in `points` out to the margin."""
    for p in points:
        close = (x - p).abs() < margin
        x = torch.where(close, p + margin * torch.sign(x - p + 1e-300), x)
    return x


def enc(t):
    t = t.detach()
    if t.dtype == torch.bool:
        return {"shape": list(t.shape), "dtype": "bool", "data": [int(v) for v in t.reshape(-1).tolist()]}
    if t.dtype in (torch.int64, torch.int32):
        data = [int(v) for v in t.reshape(-1).tolist()]
        assert all(-(2**31) <= v < 2**31 for v in data)
        return {"shape": list(t.shape), "dtype": "int32", "data": data}
    assert t.dtype == torch.float64, t.dtype
    data = [float(v) for v in t.reshape(-1).tolist()]
    assert all(math.isfinite(v) for v in data), "non-finite value in a fixture"
    return {"shape": list(t.shape), "dtype": "float64", "data": data}


def enc_opts(opts):
    """Options with tensors wrapped as {"$tensor": ...}."""
    return {k: ({"$tensor": enc(v)} if isinstance(v, torch.Tensor) else v) for k, v in opts.items()}


def weigh(out):
    W = torch.randn(tuple(out.shape), generator=GEN)
    return W, (out * W).sum()


def state_of(module):
    sd = module.state_dict()
    return [[k, list(v.shape)] for k, v in sd.items()], {k: enc(v) for k, v in sd.items()}


def param_grads(module):
    return {k: enc(p.grad if p.grad is not None else torch.zeros_like(p)) for k, p in module.named_parameters()}


# ---------------------------------------------------------------- activations: F.x(input, *args) and nn.X(*args)
ACTIVATIONS = []


def activation(name, fn, ts_fn, args, ctor, ctor_args, x, rtol=None, module=None):
    x = x.clone().requires_grad_(True)
    out = fn(x)
    W, L = weigh(out)
    L.backward()
    c = {
        "name": name, "fn": ts_fn, "args": args, "module": {"ctor": ctor, "args": ctor_args},
        "input": enc(x), "output": enc(out), "gradWeight": enc(W), "grad": enc(x.grad),
    }
    if rtol is not None:
        c["rtol"] = rtol
    if module is not None:
        keys, state = state_of(module)
        c["module"]["state"] = state
        c["module"]["paramGrads"] = param_grads(module)
    ACTIVATIONS.append(c)


A = (4, 3, 5)
activation("relu", F.relu, "relu", [], "ReLU", [], away_from(2 * randn(*A), [0]))
activation("gelu", F.gelu, "gelu", [], "GELU", [], 2 * randn(*A))
activation("gelu_tanh", lambda x: F.gelu(x, approximate="tanh"), "gelu", [{"approximate": "tanh"}], "GELU", [{"approximate": "tanh"}], 2 * randn(*A))
activation("silu", F.silu, "silu", [], "SiLU", [], 3 * randn(*A))
activation("sigmoid", torch.sigmoid, "sigmoid", [], "Sigmoid", [], 3 * randn(*A))
activation("tanh", torch.tanh, "tanh", [], "Tanh", [], 2 * randn(*A))
activation("leaky_relu", lambda x: F.leaky_relu(x, 0.2), "leakyRelu", [0.2], "LeakyReLU", [0.2], away_from(2 * randn(*A), [0]))
activation("leaky_relu_default", F.leaky_relu, "leakyRelu", [], "LeakyReLU", [], away_from(2 * randn(*A), [0]))
activation("elu", lambda x: F.elu(x, 0.7), "elu", [0.7], "ELU", [0.7], away_from(2 * randn(*A), [0]))
# PyTorch's celu backward takes 1/alpha with alpha rounded to float32 (derivatives.yaml:
# 1.0/alpha.toFloat()), 2e-8 relative from the exact derivative, hence the looser tolerance
activation("celu", lambda x: F.celu(x, 1.3), "celu", [1.3], "CELU", [1.3], away_from(2 * randn(*A), [0]), rtol=1e-7)
activation("selu", F.selu, "selu", [], "SELU", [], away_from(2 * randn(*A), [0]))
activation("hardtanh", lambda x: F.hardtanh(x, -0.5, 0.8), "hardtanh", [-0.5, 0.8], "Hardtanh", [-0.5, 0.8], away_from(randn(*A), [-0.5, 0.8]))
activation("relu6", F.relu6, "relu6", [], "ReLU6", [], away_from(4 * randn(*A), [0, 6]))
# PyTorch's hardsigmoid backward uses the float32 constant 1/6 even in float64 (a 3e-9 relative
# difference from 1/6), hence the looser tolerance
activation("hardsigmoid", F.hardsigmoid, "hardsigmoid", [], "Hardsigmoid", [], away_from(3 * randn(*A), [-3, 3]), rtol=1e-7)
activation("hardswish", F.hardswish, "hardswish", [], "Hardswish", [], away_from(3 * randn(*A), [-3, 3]))
activation("softplus", F.softplus, "softplus", [], "Softplus", [], 4 * randn(*A))
activation("softplus_beta", lambda x: F.softplus(x, beta=2, threshold=3), "softplus", [2, 3], "Softplus", [2, 3], away_from(3 * randn(*A), [1.5]))
activation("logsigmoid", F.logsigmoid, "logsigmoid", [], "LogSigmoid", [], 4 * randn(*A))
activation("softsign", F.softsign, "softsign", [], "Softsign", [], away_from(3 * randn(*A), [0]))
activation("tanhshrink", F.tanhshrink, "tanhshrink", [], "Tanhshrink", [], 2 * randn(*A))
activation("mish", F.mish, "mish", [], "Mish", [], 3 * randn(*A))
activation("threshold", lambda x: F.threshold(x, 0.1, -2.0), "threshold", [0.1, -2.0], "Threshold", [0.1, -2.0], away_from(randn(*A), [0.1]))
activation("softmax_dim1", lambda x: F.softmax(x, dim=1), "softmax", [1], "Softmax", [1], 2 * randn(*A))
activation("log_softmax_dim0", lambda x: F.log_softmax(x, dim=0), "logSoftmax", [0], "LogSoftmax", [0], 2 * randn(*A))
activation("softmin_last", lambda x: F.softmin(x, dim=-1), "softmin", [-1], "Softmin", [-1], 2 * randn(*A))
activation("glu", lambda x: F.glu(x, dim=1), "glu", [1], "GLU", [1], randn(4, 6, 5))
activation("glu_last", F.glu, "glu", [], "GLU", [], randn(3, 8))
prelu = nn.PReLU(3)
with torch.no_grad():
    prelu.weight.copy_(uniform(0.05, 0.5, 3))
activation("prelu_per_channel", prelu, "prelu", [], "PReLU", [3], away_from(2 * randn(*A), [0]), module=prelu)
prelu1 = nn.PReLU()
activation("prelu_single", prelu1, "prelu", [], "PReLU", [], away_from(2 * randn(*A), [0]), module=prelu1)


# ---------------------------------------------------------------- losses: F.x(input, target, opts) and nn.XLoss(opts)
LOSSES = []


def loss(name, fn, ts_fn, ctor, torch_opts, ts_opts, inputs, grad_inputs=(0,)):
    ts = [t.clone().requires_grad_(i in grad_inputs) if t.is_floating_point() else t.clone() for i, t in enumerate(inputs)]
    out = fn(*ts, **torch_opts)
    module_out = getattr(nn, ctor)(**torch_opts)(*ts)
    assert torch.equal(out, module_out), (name, out, module_out)
    W, L = weigh(out)
    L.backward()
    LOSSES.append({
        "name": name, "fn": ts_fn, "module": ctor, "opts": enc_opts(ts_opts),
        "inputs": [enc(t) for t in ts], "gradInputs": list(grad_inputs),
        "output": enc(out), "gradWeight": enc(W), "grads": [enc(ts[i].grad) for i in grad_inputs],
    })


N, C = 6, 4
for reduction in ("mean", "sum", "none"):
    loss(f"cross_entropy_{reduction}", F.cross_entropy, "crossEntropy", "CrossEntropyLoss", {"reduction": reduction}, {"reduction": reduction}, [2 * randn(N, C), ints(0, C, N)])
cw = uniform(0.2, 2.0, C)
loss("cross_entropy_weight", F.cross_entropy, "crossEntropy", "CrossEntropyLoss", {"weight": cw}, {"weight": cw}, [2 * randn(N, C), ints(0, C, N)])
t_ign = torch.tensor([0, 2, 1, 3, 2, 1])
loss("cross_entropy_ignore_smoothing", F.cross_entropy, "crossEntropy", "CrossEntropyLoss", {"ignore_index": 2, "label_smoothing": 0.15}, {"ignoreIndex": 2, "labelSmoothing": 0.15}, [2 * randn(N, C), t_ign])
for reduction in ("mean", "sum", "none"):
    t = ints(0, C, N)
    t[3] = -100
    loss(f"cross_entropy_weight_smoothing_ignore_{reduction}", F.cross_entropy, "crossEntropy", "CrossEntropyLoss",
         {"weight": cw, "label_smoothing": 0.2, "reduction": reduction}, {"weight": cw, "labelSmoothing": 0.2, "reduction": reduction}, [2 * randn(N, C), t])
loss("cross_entropy_nd_weight", F.cross_entropy, "crossEntropy", "CrossEntropyLoss", {"weight": cw}, {"weight": cw}, [randn(2, C, 3, 2), ints(0, C, 2, 3, 2)])
loss("cross_entropy_nd_smoothing", F.cross_entropy, "crossEntropy", "CrossEntropyLoss", {"label_smoothing": 0.1}, {"labelSmoothing": 0.1}, [randn(2, C, 5), ints(0, C, 2, 5)])
loss("cross_entropy_unbatched", F.cross_entropy, "crossEntropy", "CrossEntropyLoss", {}, {}, [randn(C), torch.tensor(2)])
probs = torch.softmax(randn(N, C), dim=1)
loss("cross_entropy_probs_weight_smoothing", F.cross_entropy, "crossEntropy", "CrossEntropyLoss",
     {"weight": cw, "label_smoothing": 0.1}, {"weight": cw, "labelSmoothing": 0.1}, [2 * randn(N, C), probs], grad_inputs=(0, 1))
logp = torch.log_softmax(randn(N, C), dim=1)
loss("nll_weight_ignore", F.nll_loss, "nllLoss", "NLLLoss", {"weight": cw, "ignore_index": 1}, {"weight": cw, "ignoreIndex": 1}, [logp, torch.tensor([0, 1, 2, 3, 1, 0])])
loss("nll_sum", F.nll_loss, "nllLoss", "NLLLoss", {"reduction": "sum"}, {"reduction": "sum"}, [logp, ints(0, C, N)])
loss("nll_nd_none", F.nll_loss, "nllLoss", "NLLLoss", {"weight": cw, "reduction": "none"}, {"weight": cw, "reduction": "none"}, [torch.log_softmax(randn(2, C, 3), dim=1), ints(0, C, 2, 3)])
R = (3, 4)
for reduction in ("mean", "sum", "none"):
    loss(f"mse_{reduction}", F.mse_loss, "mseLoss", "MSELoss", {"reduction": reduction}, {"reduction": reduction}, [randn(*R), randn(*R)], grad_inputs=(0, 1))
    loss(f"l1_{reduction}", F.l1_loss, "l1Loss", "L1Loss", {"reduction": reduction}, {"reduction": reduction}, [randn(*R), randn(*R)], grad_inputs=(0, 1))
loss("smooth_l1", F.smooth_l1_loss, "smoothL1Loss", "SmoothL1Loss", {}, {}, [2 * randn(*R), randn(*R)], grad_inputs=(0, 1))
loss("smooth_l1_beta", F.smooth_l1_loss, "smoothL1Loss", "SmoothL1Loss", {"beta": 0.5, "reduction": "sum"}, {"beta": 0.5, "reduction": "sum"}, [2 * randn(*R), randn(*R)], grad_inputs=(0, 1))
loss("smooth_l1_beta0", F.smooth_l1_loss, "smoothL1Loss", "SmoothL1Loss", {"beta": 0.0}, {"beta": 0.0}, [2 * randn(*R), randn(*R)], grad_inputs=(0, 1))
loss("huber", F.huber_loss, "huberLoss", "HuberLoss", {"delta": 0.7}, {"delta": 0.7}, [2 * randn(*R), randn(*R)], grad_inputs=(0, 1))
loss("huber_none", F.huber_loss, "huberLoss", "HuberLoss", {"reduction": "none"}, {"reduction": "none"}, [2 * randn(*R), randn(*R)], grad_inputs=(0, 1))
ew = uniform(0.5, 1.5, *R)
loss("bce", F.binary_cross_entropy, "binaryCrossEntropy", "BCELoss", {}, {}, [uniform(0.05, 0.95, *R), uniform(0, 1, *R)])
loss("bce_weight_sum", F.binary_cross_entropy, "binaryCrossEntropy", "BCELoss", {"weight": ew, "reduction": "sum"}, {"weight": ew, "reduction": "sum"}, [uniform(0.05, 0.95, *R), (uniform(0, 1, *R) > 0.5).double()])
pw = uniform(0.5, 3.0, R[1])
loss("bce_logits", F.binary_cross_entropy_with_logits, "binaryCrossEntropyWithLogits", "BCEWithLogitsLoss", {}, {}, [3 * randn(*R), uniform(0, 1, *R)], grad_inputs=(0, 1))
loss("bce_logits_pos_weight", F.binary_cross_entropy_with_logits, "binaryCrossEntropyWithLogits", "BCEWithLogitsLoss",
     {"pos_weight": pw}, {"posWeight": pw}, [3 * randn(*R), uniform(0, 1, *R)], grad_inputs=(0, 1))
loss("bce_logits_weight_pos_weight_none", F.binary_cross_entropy_with_logits, "binaryCrossEntropyWithLogits", "BCEWithLogitsLoss",
     {"weight": ew, "pos_weight": pw, "reduction": "none"}, {"weight": ew, "posWeight": pw, "reduction": "none"}, [3 * randn(*R), (uniform(0, 1, *R) > 0.5).double()], grad_inputs=(0, 1))
kl_in = torch.log_softmax(randn(*R), dim=1)
kl_t = torch.softmax(randn(*R), dim=1)
loss("kl_div_batchmean", F.kl_div, "klDiv", "KLDivLoss", {"reduction": "batchmean"}, {"reduction": "batchmean"}, [kl_in, kl_t], grad_inputs=(0, 1))
loss("kl_div_mean", F.kl_div, "klDiv", "KLDivLoss", {}, {}, [kl_in, kl_t], grad_inputs=(0, 1))
kl_t0 = kl_t.clone()
kl_t0[0, 1] = 0.0
kl_t0[2, 3] = 0.0
loss("kl_div_zero_targets_none", F.kl_div, "klDiv", "KLDivLoss", {"reduction": "none"}, {"reduction": "none"}, [kl_in, kl_t0])
loss("kl_div_log_target_sum", F.kl_div, "klDiv", "KLDivLoss", {"reduction": "sum", "log_target": True}, {"reduction": "sum", "logTarget": True},
     [kl_in, torch.log_softmax(randn(*R), dim=1)], grad_inputs=(0, 1))


# ---------------------------------------------------------------- other functionals: F.x(*inputs, *extra)
FUNCTIONAL = []


def functional(name, fn, ts_fn, inputs, extra, grad_inputs=None):
    grad_inputs = range(len(inputs)) if grad_inputs is None else grad_inputs
    ts = [t.clone().requires_grad_(i in grad_inputs) for i, t in enumerate(inputs)]
    out = fn(*ts)
    W, L = weigh(out)
    L.backward()
    FUNCTIONAL.append({
        "name": name, "fn": ts_fn, "inputs": [enc(t) for t in ts],
        "extra": [({"$tensor": enc(e)} if isinstance(e, torch.Tensor) else (enc_opts(e) if isinstance(e, dict) else e)) for e in extra],
        "output": enc(out), "gradWeight": enc(W), "grads": [enc(ts[i].grad) if i in grad_inputs else None for i in range(len(ts))],
    })


functional("normalize", lambda x: F.normalize(x), "normalize", [randn(3, 4, 2)], [])
functional("normalize_p1_last", lambda x: F.normalize(x, p=1.0, dim=-1), "normalize", [away_from(randn(3, 4), [0])], [{"p": 1, "dim": -1}])
functional("cosine_similarity", lambda a, b: F.cosine_similarity(a, b), "cosineSimilarity", [randn(5, 4), randn(5, 4)], [])
functional("cosine_similarity_broadcast_last", lambda a, b: F.cosine_similarity(a, b, dim=-1), "cosineSimilarity", [randn(2, 3, 4), randn(3, 4)], [{"dim": -1}])
functional("pairwise_distance", lambda a, b: F.pairwise_distance(a, b), "pairwiseDistance", [randn(5, 4), randn(5, 4)], [])
functional("pairwise_distance_p1_keepdim", lambda a, b: F.pairwise_distance(a, b, p=1.0, keepdim=True), "pairwiseDistance", [randn(5, 4), randn(5, 4)], [{"p": 1, "keepdim": True}])
functional("pad_constant", lambda x: F.pad(x, (1, 2), value=0.5), "pad", [randn(2, 3, 4)], [[1, 2], "constant", 0.5])
functional("pad_constant_2d_crop", lambda x: F.pad(x, (2, -1, -1, 1)), "pad", [randn(2, 3, 4)], [[2, -1, -1, 1]])
functional("pad_reflect", lambda x: F.pad(x, (2, 3), mode="reflect"), "pad", [randn(2, 3, 5)], [[2, 3], "reflect"])
functional("pad_reflect_2d", lambda x: F.pad(x, (1, 2, 2, 1), mode="reflect"), "pad", [randn(1, 2, 4, 5)], [[1, 2, 2, 1], "reflect"])
functional("pad_replicate_2d", lambda x: F.pad(x, (3, 1, 0, 2), mode="replicate"), "pad", [randn(1, 2, 3, 4)], [[3, 1, 0, 2], "replicate"])
functional("pad_circular", lambda x: F.pad(x, (2, 1), mode="circular"), "pad", [randn(2, 3, 4)], [[2, 1], "circular"])
rm, rv = randn(3), uniform(0.5, 2.0, 3)
bw, bb = randn(3), randn(3)
functional("batch_norm_eval", lambda x: F.batch_norm(x, rm, rv, bw, bb, training=False, eps=1e-3), "batchNorm", [randn(4, 3, 2)],
           [rm, rv, {"weight": bw, "bias": bb, "training": False, "eps": 1e-3}])
functional("batch_norm_train_no_stats", lambda x: F.batch_norm(x, None, None, bw, bb, training=True), "batchNorm", [randn(4, 3, 2, 2)],
           [None, None, {"weight": bw, "bias": bb, "training": True}])
functional("linear", lambda x, w, b: F.linear(x, w, b), "linear", [randn(2, 3, 4), randn(5, 4), randn(5)], [])


# ---------------------------------------------------------------- BatchNorm: train steps, running statistics, eval
BATCHNORM = []


def batchnorm(name, ctor, num_features, torch_opts, ts_opts, shape, steps=3):
    m = getattr(nn, ctor)(num_features, **torch_opts)
    if m.affine:
        with torch.no_grad():
            m.weight.copy_(uniform(0.5, 1.5, num_features))
            m.bias.copy_(randn(num_features))
    keys, state = state_of(m)
    records = []
    m.train()
    for _ in range(steps):
        x = (2 * randn(*shape) + 0.5).requires_grad_(True)
        m.zero_grad()
        out = m(x)
        W, L = weigh(out)
        L.backward()
        rec = {"input": enc(x), "output": enc(out), "gradWeight": enc(W), "grad": enc(x.grad), "paramGrads": param_grads(m)}
        rec["buffers"] = {k: enc(b) for k, b in m.named_buffers()}
        records.append(rec)
    m.eval()
    x = (2 * randn(*shape) + 0.5).requires_grad_(True)
    out = m(x)
    W, L = weigh(out)
    L.backward()
    ev = {"input": enc(x), "output": enc(out), "gradWeight": enc(W), "grad": enc(x.grad)}
    BATCHNORM.append({"name": name, "ctor": ctor, "numFeatures": num_features, "opts": ts_opts, "stateKeys": keys, "state": state, "steps": records, "eval": ev})


batchnorm("bn1d_2d_input", "BatchNorm1d", 4, {}, {}, (8, 4))
batchnorm("bn1d_3d_input", "BatchNorm1d", 3, {"momentum": 0.3, "eps": 1e-3}, {"momentum": 0.3, "eps": 1e-3}, (4, 3, 5))
batchnorm("bn1d_cumulative", "BatchNorm1d", 3, {"momentum": None}, {"momentum": None}, (5, 3))
batchnorm("bn2d", "BatchNorm2d", 3, {}, {}, (4, 3, 3, 2))
batchnorm("bn2d_no_affine", "BatchNorm2d", 2, {"affine": False}, {"affine": False}, (3, 2, 2, 3))
batchnorm("bn2d_no_running_stats", "BatchNorm2d", 2, {"track_running_stats": False}, {"trackRunningStats": False}, (3, 2, 2, 2), steps=2)
batchnorm("bn3d", "BatchNorm3d", 2, {}, {}, (2, 2, 2, 2, 3), steps=2)


# ---------------------------------------------------------------- MultiheadAttention
MHA = []


def mha(name, E, H, torch_opts, ts_opts, L, S, N, forward_opts, ts_forward_opts, kdim=None, vdim=None, unbatched=False):
    m = nn.MultiheadAttention(E, H, **torch_opts)
    with torch.no_grad():  # PyTorch zeroes the biases at init: give them values so they are tested
        for name_, p in m.named_parameters():
            if "bias" in name_:
                p.copy_(0.3 * randn(*p.shape))
    m.eval()  # the outputs are deterministic (dropout off); gradients still flow
    keys, state = state_of(m)
    batch_first = torch_opts.get("batch_first", False)

    def shaped(T, D):
        if unbatched:
            return randn(T, D)
        return randn(N, T, D) if batch_first else randn(T, N, D)

    q = shaped(L, E).requires_grad_(True)
    k = shaped(S, kdim or E).requires_grad_(True)
    v = shaped(S, vdim or E).requires_grad_(True)
    out, weights = m(q, k, v, **forward_opts)
    W_out, L_out = weigh(out)
    total = L_out
    rec_w = None
    if weights is not None:
        W_w, L_w = weigh(weights)
        total = total + L_w
        rec_w = enc(W_w)
    total.backward()
    MHA.append({
        "name": name, "embedDim": E, "numHeads": H, "opts": ts_opts, "stateKeys": keys, "state": state,
        "inputs": {"query": enc(q), "key": enc(k), "value": enc(v)},
        "forwardOpts": {k_: ({"$tensor": enc(v_)} if isinstance(v_, torch.Tensor) else v_) for k_, v_ in ts_forward_opts.items()},
        "output": enc(out), "weights": enc(weights) if weights is not None else None,
        "gradWeights": {"output": enc(W_out), "weights": rec_w},
        "grads": {"query": enc(q.grad), "key": enc(k.grad), "value": enc(v.grad)},
        "paramGrads": param_grads(m),
    })


E, H, L, S, N = 8, 2, 5, 5, 3
mha("self_seq_first", E, H, {}, {}, L, S, N, {}, {})
causal = torch.triu(torch.ones(L, L, dtype=torch.bool), diagonal=1)
kpm = torch.zeros(N, S, dtype=torch.bool)
kpm[0, 3:] = True
kpm[2, 4] = True
mha("batch_first_causal_bool_padding", E, H, {"batch_first": True}, {"batchFirst": True}, L, S, N,
    {"attn_mask": causal, "key_padding_mask": kpm}, {"attnMask": causal, "keyPaddingMask": kpm})
fmask = 0.5 * randn(L, S)
mha("float_mask_per_head_weights", E, 4, {"batch_first": True}, {"batchFirst": True}, L, S, N,
    {"attn_mask": fmask, "key_padding_mask": kpm, "average_attn_weights": False}, {"attnMask": fmask, "keyPaddingMask": kpm, "averageAttnWeights": False})
mask3 = torch.rand(N * H, L, S, generator=GEN) < 0.3
mask3[:, :, 0] = False  # every query keeps a key (a fully masked row is NaN in PyTorch too)
mha("mask_3d_bool", E, H, {}, {}, L, S, N, {"attn_mask": mask3}, {"attnMask": mask3})
mha("cross_kdim_vdim", E, H, {"kdim": 3, "vdim": 6, "batch_first": True}, {"kdim": 3, "vdim": 6, "batchFirst": True}, 4, 6, N, {}, {}, kdim=3, vdim=6)
kpm6 = torch.zeros(N, 6, dtype=torch.bool)
kpm6[1, 4:] = True
mha("bias_kv_zero_attn", E, H, {"add_bias_kv": True, "add_zero_attn": True}, {"addBiasKv": True, "addZeroAttn": True}, 4, 6, N,
    {"key_padding_mask": kpm6, "attn_mask": torch.triu(torch.ones(4, 6, dtype=torch.bool), diagonal=3)},
    {"keyPaddingMask": kpm6, "attnMask": torch.triu(torch.ones(4, 6, dtype=torch.bool), diagonal=3)})
mha("no_bias", E, H, {"bias": False}, {"bias": False}, L, S, N, {}, {})
ukpm = torch.tensor([False, False, True, False, True])
mha("unbatched_padding", E, H, {}, {}, L, S, N, {"key_padding_mask": ukpm}, {"keyPaddingMask": ukpm}, unbatched=True)
mha("no_weights", E, H, {"batch_first": True, "dropout": 0.2}, {"batchFirst": True, "dropout": 0.2}, L, S, N, {"need_weights": False}, {"needWeights": False})


# ---------------------------------------------------------------- containers: a model using ModuleList, ModuleDict, Parameter
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.randn(3, generator=GEN))
        self.blocks = nn.ModuleList([nn.Linear(3, 4), nn.BatchNorm1d(4), nn.PReLU(4), nn.Identity(), nn.Linear(4, 6)])
        self.heads = nn.ModuleDict({"cls": nn.Linear(6, 2), "reg": nn.Sequential(nn.Linear(6, 3), nn.Tanh(), nn.Linear(3, 1))})
        self.attn = nn.MultiheadAttention(6, 3, batch_first=True)

    def forward(self, x):  # x (N, T, 3)
        h = x * self.scale
        n, t, _ = h.shape
        for i, block in enumerate(self.blocks):
            h = block(h.reshape(n * t, -1)).reshape(n, t, -1) if i < 3 else block(h)
        a, _ = self.attn(h, h, h)
        h = h + a
        return torch.cat([self.heads["cls"](h), self.heads["reg"](h)], dim=-1)


net = Net()
net.train()
keys, state = state_of(net)
x = randn(2, 4, 3).requires_grad_(True)
out = net(x)
W, Lc = weigh(out)
Lc.backward()
CONTAINERS = {
    "stateKeys": keys, "state": state, "input": enc(x), "output": enc(out), "gradWeight": enc(W), "grad": enc(x.grad),
    "paramGrads": param_grads(net), "buffersAfter": {k: enc(b) for k, b in net.named_buffers()},
    "namedParameters": [k for k, _ in net.named_parameters()],
}


with open(OUT, "w") as f:
    json.dump({
        "torch": torch.__version__, "activations": ACTIVATIONS, "losses": LOSSES, "functional": FUNCTIONAL,
        "batchnorm": BATCHNORM, "mha": MHA, "containers": CONTAINERS,
    }, f, separators=(",", ":"))
print(f"wrote {OUT}: {len(ACTIVATIONS)} activations, {len(LOSSES)} losses, {len(FUNCTIONAL)} functionals, "
      f"{len(BATCHNORM)} batchnorm, {len(MHA)} mha cases, {os.path.getsize(OUT)} bytes")
