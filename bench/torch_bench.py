# PyTorch side of `npm run bench`: times the same workloads as bench/*.ts on this machine.
# Run with Debian's python3 (python3-torch + libopenblas0-pthread). Prints one JSON object.
import json
import math
import sys
import time

import torch


def timeit(fn, min_time=0.3):
    fn()
    reps, elapsed = 1, 0.0
    while True:
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        elapsed = time.perf_counter() - t0
        if elapsed >= min_time:
            return elapsed / reps
        reps *= 2


def matmul(spec):
    out = {}
    for threads in spec["threads"]:
        torch.set_num_threads(threads)
        for batch, m, k, n in spec["shapes"]:
            a = torch.randn(batch, m, k) if batch > 1 else torch.randn(m, k)
            b = torch.randn(batch, k, n) if batch > 1 else torch.randn(k, n)
            t = timeit(lambda: torch.matmul(a, b))
            out[f"{batch}x{m}x{k}x{n}@{threads}"] = 2 * batch * m * k * n / t / 1e9
    return out


def nn(spec):
    """Eager forward+backward of the small-transformer kernels (bench/nn.ts), microseconds per call.

    Gradients come from torch.autograd.grad (fresh tensors, no accumulation into .grad), like the
    TypeScript side writing dx; AdamW is torch.optim.AdamW.step() (default implementation) on one
    parameter tensor.
    """
    import torch.nn.functional as F

    def us(fn):
        # best of 5 rounds (after timeit's own warm-up call), like bench/nn.ts on a shared machine
        return min(timeit(fn, 0.05) for _ in range(5)) * 1e6

    out = {}
    for threads in spec["threads"]:
        torch.set_num_threads(threads)
        rows, d = spec["layernorm"]
        x = torch.randn(rows, d, requires_grad=True)
        w = torch.randn(d, requires_grad=True)
        b = torch.randn(d, requires_grad=True)
        dy = torch.randn(rows, d)
        out[f"layernorm@{threads}"] = us(lambda: torch.autograd.grad(F.layer_norm(x, (d,), w, b), (x, w, b), dy))
        for key in ("softmax", "log_softmax"):
            rows, width = spec[key]
            x = torch.randn(rows, width, requires_grad=True)
            dy = torch.randn(rows, width)
            f = torch.softmax if key == "softmax" else torch.log_softmax
            out[f"{key}@{threads}"] = us(lambda: torch.autograd.grad(f(x, -1), (x,), dy))
        rows, classes = spec["cross_entropy"]
        x = torch.randn(rows, classes, requires_grad=True)
        target = torch.randint(0, classes, (rows,))
        out[f"cross_entropy@{threads}"] = us(lambda: torch.autograd.grad(F.cross_entropy(x, target), (x,)))
        vocab, d, n = spec["embedding"]
        table = torch.randn(vocab, d, requires_grad=True)
        ids = torch.randint(0, vocab, (n,))
        dy = torch.randn(n, d)
        out[f"embedding@{threads}"] = us(lambda: torch.autograd.grad(F.embedding(ids, table), (table,), dy))
        # causal attention, (B, H, T, d) as nanoGPT makes it; PyTorch ≥ 2 fuses it (SDPA), 1.13
        # composes it the way nanoGPT does without flash attention
        bsz, heads, t, dh = spec["attention"]
        q, k, v = (torch.randn(bsz, heads, t, dh, requires_grad=True) for _ in range(3))
        dy = torch.randn(bsz, heads, t, dh)
        causal = torch.ones(t, t, dtype=torch.bool).triu(1)

        def attention():
            if hasattr(F, "scaled_dot_product_attention"):
                return F.scaled_dot_product_attention(q, k, v, is_causal=True)
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(dh))
            return F.softmax(att.masked_fill(causal, float("-inf")), dim=-1) @ v

        out[f"attention@{threads}"] = us(lambda: torch.autograd.grad(attention(), (q, k, v), dy))
        p = torch.nn.Parameter(torch.randn(spec["adamw"]))
        p.grad = torch.randn(spec["adamw"])
        opt = torch.optim.AdamW([p], lr=1e-3, weight_decay=0.1)
        out[f"adamw@{threads}"] = us(opt.step)
    return out


def main():
    spec = json.loads(sys.argv[1])
    result = {"torch": torch.__version__}
    if "matmul" in spec:
        result["matmul"] = matmul(spec["matmul"])
    if "nn" in spec:
        result["nn"] = nn(spec["nn"])
    print(json.dumps(result))


if __name__ == "__main__":
    main()
