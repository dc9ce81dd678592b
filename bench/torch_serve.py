# PyTorch side of the serving benchmark (bench/serve.ts): the decode work `dgpt serve` does for B
# concurrent requests, in eager PyTorch in one process — no HTTP, no JSON, no tokenizer, no
# scheduler. A GPT-2-style model (pre-LN blocks, tied embeddings, learned positions) with a key/value
# cache, random weights (speed does not depend on them). For each model and each batch size B:
# prefill B prompts of `prompt` tokens (which also chooses each sequence's first token), then
# new - 1 decode steps of one token per sequence, greedy; tokens/s = B * new / that time, as the
# server counts it (its prefill chooses the first token too).
#
# Input (argv[1], JSON): {"threads": T, "repeats": R,
#   "models": [{"name", "layers", "heads", "d", "vocab", "ctx", "bias", "act", "prompt", "new", "batches": [1, 4, 16]}]}
# Output (stdout, JSON): {name: {str(B): {"tokensPerSec": .., "ms": ..}}} — the fastest of R runs after a warm-up.
import json
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class LayerNorm(nn.Module):
    """LayerNorm with an optional bias (nn.LayerNorm's bias= needs PyTorch 2.1; Debian has 1.13)."""

    def __init__(self, d, bias):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.bias = nn.Parameter(torch.zeros(d)) if bias else None

    def forward(self, x):
        return F.layer_norm(x, self.weight.shape, self.weight, self.bias, 1e-5)


class Block(nn.Module):
    def __init__(self, d, h, bias, act):
        super().__init__()
        self.h = h
        self.ln_1 = LayerNorm(d, bias)
        self.c_attn = nn.Linear(d, 3 * d, bias=bias)
        self.c_proj = nn.Linear(d, d, bias=bias)
        self.ln_2 = LayerNorm(d, bias)
        self.fc = nn.Linear(d, 4 * d, bias=bias)
        self.proj = nn.Linear(4 * d, d, bias=bias)
        self.approximate = "tanh" if act == "gelu_new" else "none"

    def forward(self, x, past):
        B, T, C = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(C, dim=2)
        q, k, v = (t.view(B, T, self.h, C // self.h).transpose(1, 2) for t in (q, k, v))
        if past is not None:
            k = torch.cat([past[0], k], dim=2)
            v = torch.cat([past[1], v], dim=2)
        # (F.scaled_dot_product_attention needs PyTorch 2.0.) Prefill: causal over the prompt;
        # decode: the one new query sees the whole cache, no mask.
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        if T > 1:
            tk = k.shape[2]
            att = att.masked_fill(torch.ones(T, tk, dtype=torch.bool).triu(tk - T + 1), float("-inf"))
        y = F.softmax(att, dim=-1) @ v
        x = x + self.c_proj(y.transpose(1, 2).contiguous().view(B, T, C))
        return x + self.proj(F.gelu(self.fc(self.ln_2(x)), approximate=self.approximate)), (k, v)


class GPT(nn.Module):
    def __init__(self, vocab, ctx, d, h, layers, bias, act):
        super().__init__()
        self.wte = nn.Embedding(vocab, d)
        self.wpe = nn.Embedding(ctx, d)
        self.blocks = nn.ModuleList([Block(d, h, bias, act) for _ in range(layers)])
        self.ln_f = LayerNorm(d, bias)

    def forward(self, idx, past=None):
        offset = 0 if past is None else past[0][0].shape[2]
        T = idx.shape[1]
        x = self.wte(idx) + self.wpe(torch.arange(offset, offset + T))
        new = []
        for i, b in enumerate(self.blocks):
            x, kv = b(x, None if past is None else past[i])
            new.append(kv)
        # only the last position's logits are needed to choose the next token
        return self.ln_f(x[:, -1]) @ self.wte.weight.T, new


@torch.inference_mode()
def generate(model, prompts, new):
    logits, past = model(prompts)
    nxt = logits.argmax(-1, keepdim=True)
    for _ in range(new - 1):
        logits, past = model(nxt, past)
        nxt = logits.argmax(-1, keepdim=True)
    return nxt


def main():
    cfg = json.loads(sys.argv[1])
    torch.set_num_threads(cfg["threads"])
    torch.manual_seed(0)
    out = {}
    for m in cfg["models"]:
        assert m["prompt"] + m["new"] <= m["ctx"], "prompt + new tokens must fit the context"
        model = GPT(m["vocab"], m["ctx"], m["d"], m["heads"], m["layers"], m["bias"], m["act"]).eval()
        res = {}
        for B in m["batches"]:
            prompts = torch.randint(0, m["vocab"], (B, m["prompt"]))
            generate(model, prompts, min(m["new"], 2))  # warm-up
            best = float("inf")
            for _ in range(cfg["repeats"]):
                t0 = time.perf_counter()
                generate(model, prompts, m["new"])
                best = min(best, time.perf_counter() - t0)
            res[str(B)] = {"tokensPerSec": B * m["new"] / best, "ms": best * 1000}
        out[m["name"]] = res
        del model
    print(json.dumps(out))


if __name__ == "__main__":
    main()
