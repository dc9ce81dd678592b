"""Writes fixtures/torch-api.json: PyTorch snippets, run by PyTorch, with their values and gradients.

Run with Debian's Python, which has torch (the pyenv python3 on PATH does not):

    /usr/bin/python3 reference/gen_torch_api_fixtures.py

Each case is a short piece of PyTorch code as a user would write it (`x.max(1)`,
`x.var(1, unbiased=False, keepdim=True)`, `y = x * 2; y.add_(z); y`), the inputs it reads, and
what PyTorch returned. test/torch-api.test.ts holds the TypeScript equivalent of every snippet
and checks it gives the same values, dtypes and gradients, so the file doubles as a list of
"this PyTorch line is written like that here".

File layout (compact JSON):
  {
    "torch": "<version>",
    "cases": [ {
        "snippet": "x.max(1)",             # the code; the last line is the value (earlier lines run first)
        "label": "...",                    # optional: what distinguishes cases with the same snippet
        "inputs": {"x": tensor, ...},      # float inputs require grad
        "output": value,                   # see below
        "gradOutputs": [i, ...],           # which flattened outputs the gradient is taken through
        "gradWeights": [tensor, ...],      # W_i, shaped like those outputs
        "grads": {"x": tensor, ...},       # d(Σ_i sum(out_i · W_i))/d(input)
        "error": "message"                 # instead of output: PyTorch raised this
    } ]
  }
  value  = {"tensor": tensor} | {"list": [value, ...]} (tuples, named tuples, lists of tensors)
         | {"py": <bool, number or nested list>} (Python values: allclose, tolist)
  tensor = {"shape": [...], "dtype": "float32"|"float64"|"int32"|"bool", "data": [flat row-major]}

Integer tensors are int64 in torch and written as "int32" (our index dtype); bools as 0/1.
Non-finite numbers are written as the strings "NaN", "Infinity", "-Infinity" (JSON has none).
Everything is seeded, so reruns give the same file.
"""

import json
import math
import os

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "torch-api.json")
GEN = torch.Generator().manual_seed(13)
F64 = torch.float64


def randn(*shape, dtype=F64):
    return torch.randn(shape, generator=GEN, dtype=F64).to(dtype)


def uniform(lo, hi, *shape, dtype=F64):
    return (lo + (hi - lo) * torch.rand(shape, generator=GEN, dtype=F64)).to(dtype)


def away_from_zero(*shape, dtype=F64):
    x = randn(*shape)
    return torch.where(x >= 0, x + 0.2, x - 0.2).to(dtype)


def with_zeros(x, *flat):
    x = x.clone()
    x.view(-1)[list(flat)] = 0
    return x


def num(v):
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, float) and not math.isfinite(v):
        return "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")
    return v


def enc(t):
    t = t.detach()
    if t.dtype in (torch.int64, torch.int32):
        dtype, data = "int32", [int(v) for v in t.reshape(-1).tolist()]
        assert all(-(2**31) <= v < 2**31 for v in data)
    elif t.dtype == torch.bool:
        dtype, data = "bool", [int(v) for v in t.reshape(-1).tolist()]
    else:
        dtype = {torch.float32: "float32", torch.float64: "float64"}[t.dtype]
        data = [num(float(v)) for v in t.reshape(-1).tolist()]
    return {"shape": list(t.shape), "dtype": dtype, "data": data}


def enc_py(v):
    if isinstance(v, list):
        return [enc_py(x) for x in v]
    return v if isinstance(v, bool) else num(v)


def enc_value(v):
    if isinstance(v, torch.Tensor):
        return {"tensor": enc(v)}
    if isinstance(v, (tuple, list)) and all(isinstance(x, torch.Tensor) for x in v) and len(v) > 0:
        return {"list": [enc_value(x) for x in v]}
    return {"py": enc_py(v)}


def flatten(v):
    """The tensors of a value in order: a tensor, or a tuple/list of tensors."""
    if isinstance(v, torch.Tensor):
        return [v]
    if isinstance(v, (tuple, list)):
        return [x for x in v if isinstance(x, torch.Tensor)]
    return []


def run(snippet, env):
    lines = snippet.split("\n")
    exec("\n".join(lines[:-1]), env)
    return eval(lines[-1], env)


CASES = []


def case(snippet, label=None, **inputs):
    """Runs the snippet on the inputs (float ones require grad) and records value and gradients."""
    tensors = {k: (v.clone().requires_grad_(True) if v.is_floating_point() else v.clone()) for k, v in inputs.items()}
    env = {"torch": torch, "math": math, **tensors}
    entry = {"snippet": snippet, **({"label": label} if label else {}), "inputs": {k: enc(v) for k, v in tensors.items()}}
    try:
        out = run(snippet, env)
    except Exception as e:  # the snippet shows an error PyTorch raises
        entry["error"] = str(e).split("\n")[0]
        CASES.append(entry)
        return
    entry["output"] = enc_value(out)
    flat = flatten(out)
    diff = [i for i, t in enumerate(flat) if t.is_floating_point() and t.requires_grad]
    if diff:
        weights = [torch.randn(tuple(flat[i].shape), generator=GEN, dtype=F64).to(flat[i].dtype) for i in diff]
        loss = sum((flat[i] * w).sum() for i, w in zip(diff, weights))
        loss.backward()
        entry["gradOutputs"] = diff
        entry["gradWeights"] = [enc(w) for w in weights]
        entry["grads"] = {k: enc(t.grad if t.grad is not None else torch.zeros_like(t)) for k, t in tensors.items() if t.is_floating_point()}
    CASES.append(entry)


def error_case(snippet, **inputs):
    before = len(CASES)
    case(snippet, **inputs)
    assert "error" in CASES[before], f"expected PyTorch to raise for {snippet!r}"


# ---------------------------------------------------------------- keyword arguments: (dim, keepdim), dtype
X = randn(2, 3, 4)
case("x.sum(1, keepdim=True)", x=X)
case("x.sum(dim=(0, 2))", x=X)
case("torch.sum(x, -1, True)", x=X)
case("x.sum(dtype=torch.float64)", x=randn(3, 4, dtype=torch.float32))
case("x.mean(dim=-1, keepdim=True)", x=X)
case("x.mean((0, 1))", x=X)
case("x.var(1, unbiased=False, keepdim=True)", x=X)
case("x.var(1, False, True)", x=X)
case("x.var()", x=X)
case("x.var(False)", x=X)
case("x.std(dim=0, correction=0)", x=X)
case("torch.std(x, (0, 2), keepdim=True)", x=X)
case("x.logsumexp(1)", x=3 * X)
case("torch.logsumexp(x, dim=(0, 1), keepdim=True)", x=3 * X)
case("x.amax(dim=(0, 1))", x=X)
case("x.argmax(dim=1, keepdim=True)", x=X)
case("x.argmin()", x=X)

# ---------------------------------------------------------------- max / min: (values, indices)
case("x.max(1)", x=X)
case("x.max(dim=0, keepdim=True)", x=X)
case("x.min(-1)", x=X)
case("torch.min(x, 1, keepdim=True)", x=X)
case("x.max()", x=X)
case("values, indices = x.max(1)\nvalues", x=X)
case("torch.max(x, y)", x=randn(2, 3), y=randn(3))
case("torch.min(x, y)", x=randn(3, 1), y=randn(1, 4))
ties = torch.tensor([[1.0, 3.0, 3.0], [2.0, 2.0, -1.0]], dtype=F64)
case("x.max(1)", "ties: the first index, and the gradient to it alone", x=ties)
case("x.max()", "ties: the gradient shared evenly", x=ties)
case("x.max(1)", "NaN is the maximum", x=torch.tensor([[1.0, math.nan, 3.0], [2.0, 5.0, 4.0]], dtype=F64))

# ---------------------------------------------------------------- prod, cumprod, cumsum
P = uniform(0.5, 1.5, 3, 4)
case("x.prod()", x=P)
case("x.prod(1)", x=P)
case("x.prod(0, keepdim=True)", x=P)
case("x.prod(1)", "a zero in one row, two in another", x=with_zeros(P, 1, 8, 10))
case("x.prod()", "one zero", x=with_zeros(P, 5))
case("torch.prod(x, 1, dtype=torch.float64)", x=uniform(0.5, 1.5, 2, 3, dtype=torch.float32))
case("x.prod(-1)", "int64 → int32", x=torch.tensor([[1, 2, 3], [4, -5, 6]]))
case("x.cumprod(1)", x=P)
case("torch.cumprod(x, dim=0)", x=P)
case("x.cumprod(1)", "zeros: one, two in a row, at the start", x=with_zeros(P, 2, 5, 6, 8))
case("x.cumprod(-1)", "float32", x=uniform(0.5, 1.5, 2, 5, dtype=torch.float32))
case("x.cumsum(dim=1)", x=P)
case("x.cumsum(0, dtype=torch.float64)", x=torch.tensor([[1, 2], [3, 4]]))

# ---------------------------------------------------------------- norms
N = away_from_zero(3, 4)
case("x.norm()", x=N)
case("x.norm(p=3, dim=1)", x=N)
case("x.norm(1, 0, True)", x=N)
case("torch.norm(x, dim=(0, 1))", x=N)
case("torch.linalg.vector_norm(x)", x=N)
case("torch.linalg.vector_norm(x, ord=math.inf, dim=1)", x=N)
case("torch.linalg.vector_norm(x, -math.inf, 0)", x=N)
case("torch.linalg.vector_norm(x, ord=0.5)", x=N)
case("torch.linalg.vector_norm(x, -1, dim=(0, 1), keepdim=True)", x=N)
case("torch.linalg.vector_norm(x, 0, dim=1)", x=with_zeros(N, 1, 2, 7))

# ---------------------------------------------------------------- sort, argsort, topk
S = randn(3, 5)
case("x.sort()", x=S)
case("x.sort(dim=0, descending=True)", x=S)
case("torch.sort(x, 1, True)", x=S)
case("x.argsort(1)", x=S)
case("torch.argsort(x, dim=0, descending=True)", x=S)
case("x.topk(2)", x=S)
case("x.topk(2, dim=0, largest=False)", x=S)
case("values, indices = x.topk(3, 1)\nindices", x=S)

# ---------------------------------------------------------------- elementwise
case("torch.log1p(x)", x=uniform(-0.5, 2.0, 3, 4))
case("x.log1p()", "tiny x, where log(1 + x) loses everything", x=torch.tensor([1e-10, -3e-12, 1e-17, 2e-8], dtype=F64))
case("x.log1p()", "tiny x in float32", x=torch.tensor([1e-10, -3e-12, 1e-7, 2e-5], dtype=torch.float32))
case("torch.expm1(x)", x=randn(3, 4))
case("x.expm1()", "tiny x", x=torch.tensor([1e-10, -3e-12, 1e-17, 2e-8], dtype=F64))
C = away_from_zero(3, 4)
case("x.clamp(min=-0.5)", x=C)
case("x.clamp(max=0.5)", x=C)
case("x.clamp(-0.5, 0.5)", x=C)
case("x.clip(-1, 1)", x=C)
case("torch.clamp(x, lo, hi)", x=C, lo=uniform(-1.1, -0.05, 4), hi=uniform(0.05, 1.1, 3, 1))
case("torch.clamp(x, 1.0, -1.0)", "min > max: everything becomes max", x=C)
case("x.clamp(min=0)", "int64 stays an integer", x=torch.tensor([[-2, 3], [4, -1]]))
M = torch.tensor([[True, False, True, False], [False, False, True, True], [True, True, False, False]])
case("torch.where(c, x, 0.0)", x=C, c=M)
case("torch.where(c, 1.0, 0.0)", c=M)
case("torch.where(c, x, y)", x=randn(3, 1), y=randn(4), c=M)
case("x.where(c, -x)", x=C, c=M)
case("x.masked_fill(c, 0.5)", x=C, c=M)
case("x.masked_fill(c, v)", x=C, c=M, v=randn())
A = torch.tensor([1.0, 2.0, math.inf, -math.inf, math.nan, 1e-9, 100.0], dtype=F64)
B = torch.tensor([1.0 + 1e-6, 2.1, math.inf, math.inf, math.nan, 0.0, 100.001], dtype=F64)
case("torch.isclose(a, b)", a=A, b=B)
case("torch.isclose(a, b, rtol=0, atol=1e-8, equal_nan=True)", a=A, b=B)
case("a.isclose(b, 1e-4, 1e-3)", a=A, b=B)
case("torch.allclose(a, b)", a=randn(3), b=randn(3))
case("torch.allclose(a, a + 1e-9)", a=randn(3))
case("torch.allclose(a, b, equal_nan=True)", a=torch.tensor([1.0, math.nan], dtype=F64), b=torch.tensor([1.0, math.nan], dtype=F64))

# ---------------------------------------------------------------- matrices
case("torch.mm(a, b)", a=randn(2, 3), b=randn(3, 4))
case("a.mm(b)", a=randn(3, 3, dtype=torch.float32), b=randn(3, 2, dtype=torch.float32))
case("torch.bmm(a, b)", a=randn(2, 2, 3), b=randn(2, 3, 4))
case("a.t()", a=randn(2, 3))
case("v.t()", v=randn(3))
case("torch.outer(u, v)", u=randn(3), v=randn(4))
case("torch.kron(a, b)", a=randn(2, 2), b=randn(2, 3))
case("torch.kron(u, b)", u=randn(3), b=randn(2, 2))
case("torch.kron(a, b)", "3-D with 2-D", a=randn(2, 1, 2), b=randn(2, 3))
case("torch.diag(v)", v=randn(3))
case("torch.diag(v, 1)", v=randn(3))
case("torch.diag(v, -2)", v=randn(2))
case("torch.diag(m)", m=randn(3, 4))
case("torch.diag(m, -1)", m=randn(3, 4))
case("m.diag(2)", m=randn(3, 4))

# ---------------------------------------------------------------- shapes
T = randn(3, 7)
case("x.unbind(1)", x=randn(2, 3))
case("torch.unbind(x)", x=randn(2, 3))
case("torch.chunk(x, 3, dim=1)", x=T)
case("x.chunk(4)", x=randn(6, 2))
case("x.split(2, dim=1)", x=T)
case("x.split([1, 2], 0)", x=T)
case("x.flip(0, 1)", x=T)
case("torch.flip(x, [1])", x=T)
case("x.roll(1, 1)", x=T)
case("x.roll(shifts=(1, -2), dims=(0, 1))", x=T)
case("torch.roll(x, 2)", x=randn(2, 3))
case("x.repeat(2, 1, 2)", x=randn(2, 3))
case("x.flatten(start_dim=1)", x=randn(2, 3, 2))
case("torch.cat([a, b], dim=1)", a=randn(2, 3), b=randn(2, 1))
case("torch.stack([a, b], dim=-1)", a=randn(2, 3), b=randn(2, 3))
case("x.unsqueeze(dim=0)", x=randn(2, 3))
case("x.squeeze(dim=1)", x=randn(2, 1, 3))
case("x.tril(diagonal=-1)", x=randn(3, 4))
case("x.softmax(dim=-1)", x=randn(2, 4))
case("x.repeat_interleave(2, dim=0)", x=randn(2, 3))
case("torch.repeat_interleave(x, r, dim=1)", x=randn(2, 3), r=torch.tensor([1, 0, 3]))
case("x.repeat_interleave(2)", x=randn(2, 2))

# ---------------------------------------------------------------- indices and Python values
case("x.nonzero()", x=torch.tensor([[0.0, 1.5, 0.0], [2.0, 0.0, -1.0]], dtype=F64))
case("torch.nonzero(x, as_tuple=True)", x=torch.tensor([[0, 1, 0], [2, 0, -1]]))
case("m.nonzero()", m=M)
case("x.tolist()", x=torch.tensor([[1.5, -2.0], [0.25, 3.0]], dtype=F64))
case("x.tolist()", "int", x=torch.tensor([[1, 2], [3, 4]]))
case("m.tolist()", m=M)
case("x.sum().tolist()", x=torch.tensor([1.5, 2.0], dtype=F64))

# ---------------------------------------------------------------- in place
Z = randn(3)
case("y = x * 2\ny.add_(z, alpha=0.5)\ny.mul_(z)\ny", x=randn(2, 3), z=Z)
case("y = x.sin()\ny.div_(z)\ny.sub_(x)\ny", x=randn(2, 3), z=uniform(0.5, 2.0, 3))
case("y = x.clone()\ny.clamp_(-0.5, 0.5)\ny.masked_fill_(c, 1.0)\ny", x=C, c=M)
case("y = x * 1\ny.masked_fill_(c, v)\ny", x=C, c=M, v=randn())
case("buf = torch.zeros(2, 3, dtype=torch.float64)\nbuf.copy_(v)\nbuf.mul_(3)\nbuf", v=randn(3))
case("y = x * 1\ny.zero_()\ny + x", x=randn(4))
case("y = x * 1\ny.fill_(2)\ny * x", x=randn(4))
case("i = x.clone()\ni.add_(3)\ni.mul_(2)\ni", x=torch.tensor([1, 2, 3]))
case("with torch.no_grad():\n    w.add_(1)\nw * 1", w=randn(3))
error_case("w.add_(1)", w=randn(3))
error_case("w.zero_()", w=randn(3))
error_case("y = w.exp()\ny.add_(1)\ny.sum().backward()", w=randn(3))
error_case("a = w.tanh()\nb = a * 2\na.mul_(2)\nb.sum().backward()", w=randn(3))
error_case("i = x.clone()\ni.add_(0.5)", x=torch.tensor([1, 2]))
error_case("y = x * 1\ny.add_(z)", x=randn(3), z=randn(2, 3))


os.makedirs(os.path.dirname(OUT), exist_ok=True)
doc = {"torch": torch.__version__, "cases": CASES}
text = json.dumps(doc, separators=(",", ":"), allow_nan=False)
with open(OUT + ".tmp", "w") as f:
    f.write(text)
    f.write("\n")
os.replace(OUT + ".tmp", OUT)
print(f"wrote {len(CASES)} snippet cases to {os.path.relpath(OUT)} ({len(text) / 1e3:.0f} kB)")
