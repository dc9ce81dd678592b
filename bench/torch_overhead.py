# PyTorch side of `npm run bench -- overhead` (bench/overhead.ts): the cost of one small eager op
# and of the small steps that are made of them (a 1-token GPT decode step with a KV cache, an LSTM
# step at batch 1), microseconds per call. Run with Debian's python3 (python3-torch +
# libopenblas0-pthread); the thread count comes from the environment (OMP/OPENBLAS_NUM_THREADS).
# Prints one JSON object: {"torch": version, "threads": n, "us": {key: µs}, "cpu": {key: CPU µs}}.
import json
import math
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_gpt import GPT  # noqa: E402  nanoGPT's architecture, as bench/gpt.ts measures it


def median_us(fn, rounds=9, round_s=0.02):
    """µs per call, wall-clock and process CPU time: warm up, size a round to ~round_s, then the
    medians of `rounds` rounds (the machine is shared: the median is robust to another job's
    burst), as bench/overhead.ts does."""
    t_end = time.perf_counter() + 5 * round_s
    while time.perf_counter() < t_end:
        fn()
    reps = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        if time.perf_counter() - t0 >= round_s:
            break
        reps *= 2
    wall, cpu = [], []
    for _ in range(rounds):
        c0, t0 = time.process_time(), time.perf_counter()
        for _ in range(reps):
            fn()
        wall.append((time.perf_counter() - t0) / reps)
        cpu.append((time.process_time() - c0) / reps)
    return sorted(wall)[len(wall) // 2] * 1e6, sorted(cpu)[len(cpu) // 2] * 1e6


def decode_step(model, idx, pos, cache):
    """One token through nanoGPT's blocks with a KV cache (the HF GPT-2 way): idx (1, 1)."""
    x = model.wte(idx) + model.wpe(torch.tensor([pos]))
    for i, b in enumerate(model.blocks):
        B, T, C = x.shape
        q, k, v = b.c_attn(b.ln_1(x)).split(C, dim=2)
        q, k, v = (t.view(B, T, b.h, C // b.h).transpose(1, 2) for t in (q, k, v))
        if cache[i] is not None:
            k = torch.cat((cache[i][0], k), dim=2)
            v = torch.cat((cache[i][1], v), dim=2)
        cache[i] = (k, v)
        # one query that sees every cached key: no mask
        att = F.softmax((q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1))), dim=-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, C)
        x = x + b.c_proj(y)
        x = x + b.proj(F.gelu(b.fc(b.ln_2(x))))
    return model.lm_head(model.ln_f(x))


def main():
    spec = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
    torch.manual_seed(0)
    us = {}
    for n in spec.get("add", [16, 1024]):
        a, b = torch.randn(n), torch.randn(n)
        ag, bg = a.clone().requires_grad_(), b.clone().requires_grad_()
        us[f"add{n}"] = median_us(lambda: a + b)
        us[f"add{n}_grad"] = median_us(lambda: ag + bg)
    m = spec.get("matmul", 64)
    a, b = torch.randn(m, m), torch.randn(m, m)
    ag, bg = a.clone().requires_grad_(), b.clone().requires_grad_()
    us["matmul"] = median_us(lambda: a @ b)
    us["matmul_grad"] = median_us(lambda: ag @ bg)
    # reading numbers back: a copy as a flat array (dataSync), nested lists (toArray)
    x = torch.randn(spec.get("read", 4096))
    side = int(math.isqrt(x.numel()))
    us["datasync"] = median_us(lambda: x.numpy().copy())
    us["toarray"] = median_us(lambda: x.view(side, side).tolist())

    # a 1-token decode step of the char-level GPT (4 layers, 4 heads, d 128, ctx 64, vocab 65):
    # greedy generation of ctx - 1 tokens from one, KV cache, batch 1; µs per token
    g = spec.get("gpt", {"vocab": 65, "ctx": 64, "d": 128, "heads": 4, "layers": 4})
    model = GPT(g["vocab"], g["ctx"], g["d"], g["heads"], g["layers"]).eval()

    def generate():
        with torch.no_grad():
            cache = [None] * len(model.blocks)
            tok = 0
            for pos in range(g["ctx"] - 1):
                logits = decode_step(model, torch.tensor([[tok]]), pos, cache)
                tok = int(logits[0, -1].argmax().item())

    us["gpt_decode"] = tuple(t / (g["ctx"] - 1) for t in median_us(generate, rounds=5, round_s=0.05))

    # one LSTM step at batch 1: nn.LSTM over a sequence of length 1 with a given state
    hidden = spec.get("lstm", 128)
    lstm = torch.nn.LSTM(hidden, hidden)
    xt = torch.randn(1, 1, hidden)
    h0, c0 = torch.zeros(1, 1, hidden), torch.zeros(1, 1, hidden)

    def lstm_nograd():
        with torch.no_grad():
            lstm(xt, (h0, c0))

    us["lstm"] = median_us(lstm_nograd)
    us["lstm_grad"] = median_us(lambda: lstm(xt, (h0, c0)))
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "us": {k: v[0] for k, v in us.items()}, "cpu": {k: v[1] for k, v in us.items()}}))


if __name__ == "__main__":
    main()
