"""Writes fixtures/ops.json: golden op results, gradients, an MLP and optimizer steps from PyTorch.

Run with Debian's Python, which has torch (the pyenv python3 on PATH does not):

    /usr/bin/python3 reference/gen_fixtures.py

test/fixtures.test.ts replays every case with our engine and compares.

File layout (compact JSON):
  {
    "torch": "<version>",
    "cases": [ {
        "name": "...", "op": "<op key>", "args": {...non-tensor args...},
        "inputs": [ {"shape": [...], "dtype": "float32"|"float64"|"int32", "data": [flat row-major]} ],
        "output": {shape, dtype, data},
        "gradWeight": {shape, dtype, data},          # W, a fixed random tensor shaped like output
        "grads": [ {shape, dtype, data} | null ]      # d(sum(output * W))/d(input); null for int inputs
    } ],
    "mlp": [ {name, dtype, x, y, params: {key: tensor}, loss, grads: {key: tensor}} ],
    "optim": [ {name, optimizer, options, dtype, initial, grads: [5 tensors], params: [5 tensors]} ]
  }

Numbers are written at full precision (repr of the Python float holding the float32/float64
value), never rounded. Float inputs are drawn in float64 and cast to the case's dtype, so the
float32 and float64 variants of a case see the same numbers up to rounding. Integer tensors are
int64 in torch and written as "int32" (our index dtype). Everything is seeded, so reruns give the
same file.
"""

import json
import math
import os

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "ops.json")
DTYPES = {"float32": torch.float32, "float64": torch.float64}

torch.manual_seed(1234)
GEN = torch.Generator().manual_seed(1234)


# ---------------------------------------------------------------- random inputs (float64, cast later)
def randn(*shape):
    return torch.randn(tuple(shape), generator=GEN, dtype=torch.float64)


def uniform(lo, hi, *shape):
    return lo + (hi - lo) * torch.rand(tuple(shape), generator=GEN, dtype=torch.float64)


def away_from_zero(*shape, margin=0.1):
    """Normal values pushed at least `margin` from 0 (kinks of abs/relu, poles of div)."""
    x = randn(*shape)
    return torch.where(x >= 0, x + margin, x - margin)


def ints(lo, hi, *shape):
    return torch.randint(lo, hi, shape, generator=GEN, dtype=torch.int64)


class Int:
    """Marks an integer input (indices, targets): no gradient, written as int32."""

    def __init__(self, t):
        self.t = t


# ---------------------------------------------------------------- serialization
def enc(t):
    t = t.detach()
    if t.dtype in (torch.int64, torch.int32):
        dtype = "int32"
        data = [int(v) for v in t.reshape(-1).tolist()]
        assert all(-(2**31) <= v < 2**31 for v in data)
    else:
        dtype = {torch.float32: "float32", torch.float64: "float64"}[t.dtype]
        data = [float(v) for v in t.reshape(-1).tolist()]
        assert all(math.isfinite(v) for v in data), "non-finite value in a fixture"
    return {"shape": list(t.shape), "dtype": dtype, "data": data}


CASES = []


def case(name, op, fn, inputs, args=None, dtypes=("float32", "float64")):
    """Runs fn(*inputs) in each dtype, records output and d(sum(out * W))/d(inputs)."""
    args = args or {}
    for dt in dtypes:
        tensors = []
        for inp in inputs:
            if isinstance(inp, Int):
                tensors.append(inp.t.clone())
            else:
                tensors.append(inp.to(DTYPES[dt]).clone().requires_grad_(True))
        out = fn(*tensors)
        W = torch.randn(tuple(out.shape), generator=GEN, dtype=torch.float64).to(out.dtype)
        (out * W).sum().backward()
        grads = []
        for t in tensors:
            if not t.is_floating_point():
                grads.append(None)
            elif t.grad is None:  # an input the output does not depend on
                grads.append(enc(torch.zeros_like(t)))
            else:
                grads.append(enc(t.grad))
        CASES.append({
            "name": f"{name}[{dt}]",
            "op": op,
            "args": args,
            "inputs": [enc(t) for t in tensors],
            "output": enc(out),
            "gradWeight": enc(W),
            "grads": grads,
        })


# ---------------------------------------------------------------- elementwise unary
F = torch.nn.functional
U = (3, 5)
case("exp", "exp", torch.exp, [randn(*U)])
case("log", "log", torch.log, [uniform(0.2, 4.0, *U)])
case("sqrt", "sqrt", torch.sqrt, [uniform(0.2, 4.0, *U)])
case("rsqrt", "rsqrt", torch.rsqrt, [uniform(0.2, 4.0, *U)])
case("tanh", "tanh", torch.tanh, [2 * randn(*U)])
case("sigmoid", "sigmoid", torch.sigmoid, [3 * randn(*U)])
case("relu", "relu", torch.relu, [away_from_zero(*U)])
case("gelu", "gelu", lambda x: F.gelu(x, approximate="none"), [2 * randn(*U)], {"approximate": "none"})
case("gelu_tanh", "gelu", lambda x: F.gelu(x, approximate="tanh"), [2 * randn(*U)], {"approximate": "tanh"})
case("silu", "silu", F.silu, [3 * randn(*U)])
case("softplus", "softplus", F.softplus, [3 * randn(*U)])
case("erf", "erf", torch.erf, [1.5 * randn(*U)])
case("sin", "sin", torch.sin, [3 * randn(*U)])
case("cos", "cos", torch.cos, [3 * randn(*U)])
case("abs", "abs", torch.abs, [away_from_zero(*U)])
case("neg", "neg", torch.neg, [randn(*U)])
case("square", "square", torch.square, [randn(*U)])
case("reciprocal", "reciprocal", torch.reciprocal, [away_from_zero(*U, margin=0.3)])
# a wide range for the functions with tails (large |x|, where naive formulas overflow or cancel)
WIDE = torch.tensor([-30.0, -12.0, -5.0, -1.0, -0.25, 0.25, 1.0, 5.0, 12.0, 30.0], dtype=torch.float64)
case("sigmoid_wide", "sigmoid", torch.sigmoid, [WIDE])
case("softplus_wide", "softplus", F.softplus, [WIDE])
case("silu_wide", "silu", F.silu, [WIDE])
case("tanh_wide", "tanh", torch.tanh, [WIDE / 3])
case("gelu_wide", "gelu", lambda x: F.gelu(x, approximate="none"), [WIDE / 3], {"approximate": "none"})
case("gelu_tanh_wide", "gelu", lambda x: F.gelu(x, approximate="tanh"), [WIDE / 3], {"approximate": "tanh"})
case("erf_wide", "erf", torch.erf, [WIDE / 6])

# ---------------------------------------------------------------- binary with broadcasting
BCAST = [((3, 1, 4), (2, 4)), ((2, 3, 4), (4,)), ((), (2, 3)), ((2, 1), (1, 3))]
for i, (sa, sb) in enumerate(BCAST):
    case(f"add_{i}", "add", torch.add, [randn(*sa), randn(*sb)])
    case(f"sub_{i}", "sub", torch.sub, [randn(*sa), randn(*sb)])
    case(f"mul_{i}", "mul", torch.mul, [randn(*sa), randn(*sb)])
    case(f"div_{i}", "div", torch.div, [randn(*sa), away_from_zero(*sb, margin=0.5)])
    case(f"pow_{i}", "pow", torch.pow, [uniform(0.3, 2.0, *sa), uniform(-2.0, 2.5, *sb)])
    case(f"maximum_{i}", "maximum", torch.maximum, [randn(*sa), randn(*sb)])
    case(f"minimum_{i}", "minimum", torch.minimum, [randn(*sa), randn(*sb)])
# ties: PyTorch splits the gradient evenly between equal inputs
ta = torch.tensor([[1.0, -2.0, 0.5, 3.0], [0.0, 2.0, -1.0, 4.0]], dtype=torch.float64)
tb = torch.tensor([[1.0, -1.0, 0.5, 2.0], [0.0, 3.0, -1.0, 4.0]], dtype=torch.float64)
case("maximum_ties", "maximum", torch.maximum, [ta, tb])
case("minimum_ties", "minimum", torch.minimum, [ta, tb])
case("pow_scalar_3", "pow_scalar", lambda x: torch.pow(x, 3), [randn(2, 5)], {"exponent": 3})
case("pow_scalar_half", "pow_scalar", lambda x: torch.pow(x, 0.5), [uniform(0.2, 3.0, 2, 5)], {"exponent": 0.5})
case("pow_scalar_neg", "pow_scalar", lambda x: torch.pow(x, -1.5), [uniform(0.2, 3.0, 2, 5)], {"exponent": -1.5})
case("mul_scalar", "mul_scalar", lambda x: x * 2.5, [randn(2, 5)], {"other": 2.5})
case("rsub_scalar", "rsub_scalar", lambda x: 1.5 - x, [randn(2, 5)], {"other": 1.5})
case("atan2", "atan2", torch.atan2, [randn(3, 4), randn(4)])

# ---------------------------------------------------------------- reductions
R = (2, 3, 4)
RED_DIMS = [None, 0, -1, [0, 2], [1, 2]]
for dim in RED_DIMS:
    for keepdim in (False, True):
        if dim is None and keepdim:
            continue
        tag = ("all" if dim is None else str(dim).replace(" ", "")) + ("_keep" if keepdim else "")
        kw = {} if dim is None else {"dim": dim, "keepdim": keepdim}
        args = {"dim": dim, "keepdim": keepdim}
        case(f"sum_{tag}", "sum", lambda x, kw=kw: torch.sum(x, **kw), [randn(*R)], args)
        case(f"mean_{tag}", "mean", lambda x, kw=kw: torch.mean(x, **kw), [randn(*R)], args)
        case(f"var_{tag}", "var", lambda x, kw=kw: torch.var(x, **kw), [randn(*R)], {**args, "correction": 1})
        case(f"std_{tag}", "std", lambda x, kw=kw: torch.std(x, **kw), [randn(*R)], {**args, "correction": 1})
        if dim is not None:
            case(f"amax_{tag}", "amax", lambda x, kw=kw: torch.amax(x, **kw), [randn(*R)], args)
            case(f"amin_{tag}", "amin", lambda x, kw=kw: torch.amin(x, **kw), [randn(*R)], args)
            case(f"logsumexp_{tag}", "logsumexp", lambda x, kw=kw: torch.logsumexp(x, **kw), [3 * randn(*R)], args)
        else:
            case(f"amax_{tag}", "amax", lambda x: torch.amax(x), [randn(*R)], args)
        case(f"norm2_{tag}", "norm", lambda x, kw=kw: torch.linalg.vector_norm(x, 2, **kw), [randn(*R)], {**args, "p": 2})
case("var_correction0", "var", lambda x: torch.var(x, dim=1, unbiased=False), [randn(*R)], {"dim": 1, "keepdim": False, "correction": 0})
case("std_correction0_keep", "std", lambda x: torch.std(x, dim=[0, 2], unbiased=False, keepdim=True), [randn(*R)], {"dim": [0, 2], "keepdim": True, "correction": 0})
case("norm1", "norm", lambda x: torch.linalg.vector_norm(x, 1, dim=-1), [away_from_zero(*R)], {"p": 1, "dim": -1, "keepdim": False})
case("norm3", "norm", lambda x: torch.linalg.vector_norm(x, 3, dim=[0, 1], keepdim=True), [randn(*R)], {"p": 3, "dim": [0, 1], "keepdim": True})
case("norm_inf", "norm", lambda x: torch.linalg.vector_norm(x, math.inf, dim=1), [randn(*R)], {"p": "inf", "dim": 1, "keepdim": False})
# ties in amax: the gradient is shared evenly among the tied maxima
tied = torch.tensor([[1.0, 3.0, 3.0, -1.0], [2.0, 2.0, 2.0, 0.5], [-1.0, -4.0, -1.0, -1.0]], dtype=torch.float64)
case("amax_ties", "amax", lambda x: torch.amax(x, dim=1), [tied], {"dim": 1, "keepdim": False})
case("amin_ties_all", "amin", lambda x: torch.amin(x, dim=[0, 1]), [tied], {"dim": [0, 1], "keepdim": False})

# ---------------------------------------------------------------- softmax
for dim in (-1, 0, 1):
    case(f"softmax_{dim}", "softmax", lambda x, d=dim: torch.softmax(x, d), [2 * randn(2, 3, 5)], {"dim": dim})
    case(f"log_softmax_{dim}", "log_softmax", lambda x, d=dim: torch.log_softmax(x, d), [2 * randn(2, 3, 5)], {"dim": dim})
case("softmax_large", "softmax", lambda x: torch.softmax(x, -1), [torch.tensor([[100.0, 101.0, 99.0], [-50.0, -51.0, -49.5]], dtype=torch.float64)], {"dim": -1})
case("log_softmax_large", "log_softmax", lambda x: torch.log_softmax(x, -1), [torch.tensor([[100.0, 101.0, 99.0], [-50.0, -51.0, -49.5]], dtype=torch.float64)], {"dim": -1})

# ---------------------------------------------------------------- matmul and einsum
MM = [((3, 4), (4, 5)), ((2, 3, 4), (2, 4, 5)), ((2, 1, 3, 4), (3, 4, 2)), ((4,), (4, 3)), ((3, 4), (4,)), ((4,), (4,)), ((2, 3, 4), (4,)), ((5,), (2, 5, 3))]
for i, (sa, sb) in enumerate(MM):
    case(f"matmul_{i}", "matmul", torch.matmul, [randn(*sa), randn(*sb)])
EINSUM = [
    ("bqhd,bkhd->bhqk", (2, 3, 2, 4), (2, 5, 2, 4)),
    ("bpd,dv->bpv", (2, 3, 4), (4, 5)),
    ("bhqk,bkhd->bqhd", (2, 2, 3, 5), (2, 5, 2, 4)),
    ("ij,jk->ik", (3, 4), (4, 2)),
    ("bij->bji", (2, 3, 4), None),
    ("bi,bi->b", (3, 4), (3, 4)),
    ("i,j->ij", (3,), (4,)),
]
for i, (eq, sa, sb) in enumerate(EINSUM):
    ins = [randn(*sa)] + ([randn(*sb)] if sb is not None else [])
    case(f"einsum_{i}", "einsum", lambda *xs, eq=eq: torch.einsum(eq, *xs), ins, {"equation": eq})

# ---------------------------------------------------------------- cumsum, indexing, shape
for dim in (0, 1, -1):
    case(f"cumsum_{dim}", "cumsum", lambda x, d=dim: torch.cumsum(x, d), [randn(2, 3, 4)], {"dim": dim})
gidx1 = ints(0, 5, 3, 4)  # repeats, so the backward must accumulate
case("gather_1", "gather", lambda x, i: torch.gather(x, 1, i), [randn(3, 5), Int(gidx1)], {"dim": 1})
gidx0 = ints(0, 3, 2, 5)
case("gather_0", "gather", lambda x, i: torch.gather(x, 0, i), [randn(3, 5), Int(gidx0)], {"dim": 0})
gidx3 = ints(0, 4, 2, 3, 2)
case("gather_3d", "gather", lambda x, i: torch.gather(x, -1, i), [randn(2, 3, 4), Int(gidx3)], {"dim": -1})
case("index_select_0", "index_select", lambda x, i: torch.index_select(x, 0, i), [randn(5, 3), Int(torch.tensor([4, 0, 2, 0, 4, 4]))], {"dim": 0})
case("index_select_1", "index_select", lambda x, i: torch.index_select(x, 1, i), [randn(2, 5, 3), Int(torch.tensor([1, 3, 1]))], {"dim": 1})
case("cat_0", "cat", lambda *xs: torch.cat(xs, 0), [randn(2, 3), randn(1, 3), randn(3, 3)], {"dim": 0})
case("cat_1", "cat", lambda *xs: torch.cat(xs, 1), [randn(2, 2, 3), randn(2, 4, 3)], {"dim": 1})
case("cat_neg", "cat", lambda *xs: torch.cat(xs, -1), [randn(2, 3, 1), randn(2, 3, 2), randn(2, 3, 3)], {"dim": -1})
case("stack_1", "stack", lambda *xs: torch.stack(xs, 1), [randn(2, 3), randn(2, 3)], {"dim": 1})
for i, dims in enumerate([[1, 0, 2], [2, 0, 1], [0, 2, 1], [2, 1, 0]]):
    case(f"permute_{i}", "permute", lambda x, d=dims: x.permute(*d), [randn(2, 3, 4)], {"dims": dims})
case("transpose", "transpose", lambda x: x.transpose(0, 2), [randn(2, 3, 4)], {"dim0": 0, "dim1": 2})
case("expand", "expand", lambda x: x.expand(2, 3, 4), [randn(3, 1)], {"shape": [2, 3, 4]})
case("reshape", "reshape", lambda x: x.reshape(4, 6), [randn(2, 3, 4)], {"shape": [4, 6]})
case("slice_step", "slice", lambda x: x[:, 1:5:2], [randn(3, 6)], {"dim": 1, "start": 1, "end": 5, "step": 2})
case("flip", "flip", lambda x: torch.flip(x, [0, 2]), [randn(2, 3, 4)], {"dims": [0, 2]})
case("tril", "tril", lambda x: torch.tril(x), [randn(2, 4, 4)], {"diagonal": 0})

# ---------------------------------------------------------------- nn functional
case("layer_norm", "layer_norm", lambda x, w, b: F.layer_norm(x, (6,), w, b, 1e-5),
     [randn(2, 3, 6), 1 + 0.1 * randn(6), 0.1 * randn(6)], {"normalizedShape": [6], "eps": 1e-5})
case("layer_norm_2d", "layer_norm", lambda x, w, b: F.layer_norm(x, (3, 4), w, b, 1e-5),
     [randn(2, 3, 4), 1 + 0.1 * randn(3, 4), 0.1 * randn(3, 4)], {"normalizedShape": [3, 4], "eps": 1e-5})
case("layer_norm_noaffine", "layer_norm", lambda x: F.layer_norm(x, (5,), None, None, 1e-3),
     [3 + 2 * randn(4, 5)], {"normalizedShape": [5], "eps": 1e-3})

NC = (6, 5)
ce_t = ints(0, 5, 6)
ce_t_ign = ce_t.clone()
ce_t_ign[1] = -100
ce_t_ign[4] = -100
ce_t_ign2 = ce_t.clone()
ce_t_ign2[0] = 3
ce_t_ign2[2] = 3  # ignore_index = 3 (a valid class) must still be skipped
case("cross_entropy", "cross_entropy", lambda x, t: F.cross_entropy(x, t), [2 * randn(*NC), Int(ce_t)], {})
case("cross_entropy_sum", "cross_entropy", lambda x, t: F.cross_entropy(x, t, reduction="sum"), [2 * randn(*NC), Int(ce_t)], {"reduction": "sum"})
case("cross_entropy_none", "cross_entropy", lambda x, t: F.cross_entropy(x, t, reduction="none"), [2 * randn(*NC), Int(ce_t)], {"reduction": "none"})
case("cross_entropy_ignore", "cross_entropy", lambda x, t: F.cross_entropy(x, t, ignore_index=-100), [2 * randn(*NC), Int(ce_t_ign)], {"ignoreIndex": -100})
case("cross_entropy_ignore3", "cross_entropy", lambda x, t: F.cross_entropy(x, t, ignore_index=3), [2 * randn(*NC), Int(ce_t_ign2)], {"ignoreIndex": 3})
case("cross_entropy_smooth", "cross_entropy", lambda x, t: F.cross_entropy(x, t, label_smoothing=0.1), [2 * randn(*NC), Int(ce_t)], {"labelSmoothing": 0.1})
case("cross_entropy_smooth_ignore", "cross_entropy", lambda x, t: F.cross_entropy(x, t, ignore_index=-100, label_smoothing=0.2),
     [2 * randn(*NC), Int(ce_t_ign)], {"ignoreIndex": -100, "labelSmoothing": 0.2})
case("cross_entropy_smooth_ignore_sum", "cross_entropy", lambda x, t: F.cross_entropy(x, t, ignore_index=-100, label_smoothing=0.2, reduction="sum"),
     [2 * randn(*NC), Int(ce_t_ign)], {"ignoreIndex": -100, "labelSmoothing": 0.2, "reduction": "sum"})
case("cross_entropy_smooth_ignore_none", "cross_entropy", lambda x, t: F.cross_entropy(x, t, ignore_index=-100, label_smoothing=0.2, reduction="none"),
     [2 * randn(*NC), Int(ce_t_ign)], {"ignoreIndex": -100, "labelSmoothing": 0.2, "reduction": "none"})
ce_t3 = ints(0, 4, 2, 3)
ce_t3[1, 2] = -100
case("cross_entropy_ncd", "cross_entropy", lambda x, t: F.cross_entropy(x, t, ignore_index=-100, label_smoothing=0.05),
     [randn(2, 4, 3), Int(ce_t3)], {"ignoreIndex": -100, "labelSmoothing": 0.05})
case("cross_entropy_probs", "cross_entropy", lambda x, p: F.cross_entropy(x, p, label_smoothing=0.1),
     [randn(4, 5), torch.softmax(randn(4, 5), -1)], {"labelSmoothing": 0.1})
case("cross_entropy_1d", "cross_entropy", lambda x, t: F.cross_entropy(x, t), [randn(5), Int(torch.tensor(2))], {})

case("mse_loss", "mse_loss", lambda a, b: F.mse_loss(a, b), [randn(3, 4), randn(3, 4)], {})
case("mse_loss_sum", "mse_loss", lambda a, b: F.mse_loss(a, b, reduction="sum"), [randn(3, 4), randn(3, 4)], {"reduction": "sum"})
case("mse_loss_none", "mse_loss", lambda a, b: F.mse_loss(a, b, reduction="none"), [randn(3, 4), randn(3, 4)], {"reduction": "none"})

case("conv2d_s2p1", "conv2d", lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1),
     [randn(2, 3, 7, 6), 0.3 * randn(4, 3, 3, 3), randn(4)], {"stride": 2, "padding": 1})
case("conv2d_plain", "conv2d", lambda x, w: F.conv2d(x, w), [randn(1, 2, 5, 5), 0.3 * randn(3, 2, 2, 3)], {})
case("conv2d_dil", "conv2d", lambda x, w, b: F.conv2d(x, w, b, stride=(1, 2), padding=(2, 1), dilation=2),
     [randn(1, 2, 6, 6), 0.3 * randn(2, 2, 3, 2), randn(2)], {"stride": [1, 2], "padding": [2, 1], "dilation": 2})
case("max_pool2d_k2", "max_pool2d", lambda x: F.max_pool2d(x, 2), [randn(2, 3, 4, 6)], {"kernelSize": 2})
case("max_pool2d_k3s2p1", "max_pool2d", lambda x: F.max_pool2d(x, 3, 2, 1), [randn(1, 2, 7, 6)], {"kernelSize": 3, "stride": 2, "padding": 1})
case("max_pool2d_negative_pad", "max_pool2d", lambda x: F.max_pool2d(x, 3, 2, 1), [-uniform(1.0, 3.0, 1, 1, 5, 5)], {"kernelSize": 3, "stride": 2, "padding": 1})
case("avg_pool2d_k2", "avg_pool2d", lambda x: F.avg_pool2d(x, 2), [randn(2, 3, 4, 6)], {"kernelSize": 2})
case("avg_pool2d_k3s2p1", "avg_pool2d", lambda x: F.avg_pool2d(x, 3, 2, 1), [randn(1, 2, 7, 6)], {"kernelSize": 3, "stride": 2, "padding": 1})
case("embedding", "embedding", lambda i, w: F.embedding(i, w), [Int(torch.tensor([[1, 4, 1], [0, 1, 6]])), randn(7, 4)], {})
case("linear", "linear", lambda x, w, b: F.linear(x, w, b), [randn(4, 3), randn(5, 3), randn(5)], {})
case("linear_3d", "linear", lambda x, w, b: F.linear(x, w, b), [randn(2, 3, 4), randn(5, 4), randn(5)], {})
case("linear_nobias", "linear", lambda x, w: F.linear(x, w), [randn(3), randn(2, 3)], {})


# ---------------------------------------------------------------- small MLP: Linear → tanh → Linear, MSE
class MLP(torch.nn.Module):
    def __init__(self, d_in, d_hidden, d_out):
        super().__init__()
        self.fc1 = torch.nn.Linear(d_in, d_hidden)
        self.fc2 = torch.nn.Linear(d_hidden, d_out)

    def forward(self, x):
        return self.fc2(torch.tanh(self.fc1(x)))


MLPS = []
mlp_base = MLP(4, 8, 3).double()
mlp_x = randn(6, 4)
mlp_y = randn(6, 3)
for dt in ("float32", "float64"):
    model = MLP(4, 8, 3).to(DTYPES[dt])
    model.load_state_dict({k: v.to(DTYPES[dt]) for k, v in mlp_base.state_dict().items()})
    x = mlp_x.to(DTYPES[dt])
    y = mlp_y.to(DTYPES[dt])
    loss = F.mse_loss(model(x), y)
    loss.backward()
    MLPS.append({
        "name": f"mlp[{dt}]",
        "dtype": dt,
        "x": enc(x),
        "y": enc(y),
        "params": {k: enc(v) for k, v in model.state_dict().items()},
        "loss": enc(loss),
        "grads": {k: enc(p.grad) for k, p in model.named_parameters()},
    })


# ---------------------------------------------------------------- optimizer steps
OPTIMS = []
STEPS = 5
opt_p0 = randn(3, 4)
opt_target = randn(3, 4)
opt_scale = uniform(0.5, 2.0, 3, 4)
OPT_CONFIGS = [
    ("adam", "Adam", lambda ps: torch.optim.Adam(ps, lr=1e-2, betas=(0.9, 0.99), eps=1e-8, weight_decay=0.1),
     {"lr": 1e-2, "betas": [0.9, 0.99], "eps": 1e-8, "weightDecay": 0.1}),
    ("adamw", "AdamW", lambda ps: torch.optim.AdamW(ps, lr=1e-2, betas=(0.9, 0.99), eps=1e-8, weight_decay=0.1),
     {"lr": 1e-2, "betas": [0.9, 0.99], "eps": 1e-8, "weightDecay": 0.1}),
    ("adam_nowd", "Adam", lambda ps: torch.optim.Adam(ps, lr=1e-2, betas=(0.9, 0.99), eps=1e-8),
     {"lr": 1e-2, "betas": [0.9, 0.99], "eps": 1e-8, "weightDecay": 0}),
    ("sgd_nesterov", "SGD", lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1),
     {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weightDecay": 0.1}),
    ("sgd_momentum", "SGD", lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9, weight_decay=0.1),
     {"lr": 0.05, "momentum": 0.9, "nesterov": False, "weightDecay": 0.1}),
    ("sgd_plain", "SGD", lambda ps: torch.optim.SGD(ps, lr=0.05),
     {"lr": 0.05, "momentum": 0, "nesterov": False, "weightDecay": 0}),
]
for name, kind, make, options in OPT_CONFIGS:
    for dt in ("float32", "float64"):
        p = torch.nn.Parameter(opt_p0.to(DTYPES[dt]).clone())
        target = opt_target.to(DTYPES[dt])
        scale = opt_scale.to(DTYPES[dt])
        opt = make([p])
        grads, params = [], []
        for _ in range(STEPS):
            opt.zero_grad()
            # a quadratic-ish loss: weighted squares plus a quartic term
            loss = (scale * (p - target) ** 2).sum() + 0.1 * ((p - target) ** 4).sum()
            loss.backward()
            grads.append(enc(p.grad))
            opt.step()
            params.append(enc(p))
        OPTIMS.append({
            "name": f"{name}[{dt}]",
            "optimizer": kind,
            "options": options,
            "dtype": dt,
            "initial": enc(opt_p0.to(DTYPES[dt])),
            "grads": grads,
            "params": params,
        })


os.makedirs(os.path.dirname(OUT), exist_ok=True)
doc = {"torch": torch.__version__, "cases": CASES, "mlp": MLPS, "optim": OPTIMS}
text = json.dumps(doc, separators=(",", ":"), allow_nan=False)
with open(OUT + ".tmp", "w") as f:
    f.write(text)
    f.write("\n")
os.replace(OUT + ".tmp", OUT)
print(f"wrote {len(CASES)} op cases, {len(MLPS)} MLP, {len(OPTIMS)} optimizer runs to {os.path.relpath(OUT)} ({len(text) / 1e6:.2f} MB)")
