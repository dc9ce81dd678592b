# PyTorch side of the GPT benchmark: nanoGPT's architecture (pre-LN blocks, fused QKV projection,
# GELU MLP, tied embeddings, no biases) at the shakespeare_char CPU recipe's size, trained with
# AdamW in eager mode. Prints JSON: ms per training iteration, tokens/s of generation.
import json
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, d, h):
        super().__init__()
        self.h = h
        self.ln_1 = nn.LayerNorm(d, bias=False) if "bias" in nn.LayerNorm.__init__.__code__.co_varnames else nn.LayerNorm(d)
        self.c_attn = nn.Linear(d, 3 * d, bias=False)
        self.c_proj = nn.Linear(d, d, bias=False)
        self.ln_2 = nn.LayerNorm(d)
        self.fc = nn.Linear(d, 4 * d, bias=False)
        self.proj = nn.Linear(4 * d, d, bias=False)

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(C, dim=2)
        q, k, v = (t.view(B, T, self.h, C // self.h).transpose(1, 2) for t in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True) if hasattr(F, "scaled_dot_product_attention") else self.manual(q, k, v, T)
        x = x + self.c_proj(y.transpose(1, 2).contiguous().view(B, T, C))
        return x + self.proj(F.gelu(self.fc(self.ln_2(x))))

    @staticmethod
    def manual(q, k, v, T):
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        att = att.masked_fill(torch.ones(T, T, dtype=torch.bool).triu(1), float("-inf"))
        return F.softmax(att, dim=-1) @ v


class GPT(nn.Module):
    def __init__(self, vocab, ctx, d, h, layers):
        super().__init__()
        self.wte = nn.Embedding(vocab, d)
        self.wpe = nn.Embedding(ctx, d)
        self.blocks = nn.ModuleList([Block(d, h) for _ in range(layers)])
        self.ln_f = nn.LayerNorm(d)
        self.lm_head = nn.Linear(d, vocab, bias=False)
        self.lm_head.weight = self.wte.weight

    def forward(self, idx, targets=None):
        T = idx.shape[1]
        x = self.wte(idx) + self.wpe(torch.arange(T))
        for b in self.blocks:
            x = b(x)
        logits = self.lm_head(self.ln_f(x))
        if targets is None:
            return logits
        return F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))


def main():
    spec = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
    torch.manual_seed(1337)
    V, T, d, h, L, B = spec.get("vocab", 65), spec.get("ctx", 64), spec.get("d", 128), spec.get("heads", 4), spec.get("layers", 4), spec.get("batch", 12)
    model = GPT(V, T, d, h, L)
    decay = [p for p in model.parameters() if p.dim() >= 2]
    nodecay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": nodecay, "weight_decay": 0.0}], lr=1e-3, betas=(0.9, 0.99))
    x = torch.randint(0, V, (B, T))
    y = torch.randint(0, V, (B, T))

    def step():
        loss = model(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

    for _ in range(5):
        step()
    # the median iteration, like bench/gpt.ts: robust to the machine's other jobs
    times = []
    for _ in range(spec.get("iters", 40)):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    ms = sorted(times)[len(times) // 2] * 1000

    # generation without a cache (nanoGPT's generate recomputes the context), 1 sequence
    model.eval()
    with torch.no_grad():
        ids = torch.zeros((1, 1), dtype=torch.long)
        n = spec.get("gen", 100)
        t0 = time.perf_counter()
        for _ in range(n):
            logits = model(ids[:, -T:])[:, -1, :]
            nxt = torch.multinomial(F.softmax(logits, dim=-1), 1)
            ids = torch.cat((ids, nxt), dim=1)
        gen = n / (time.perf_counter() - t0)
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "msPerIter": ms, "genTokensPerSec": gen}))


if __name__ == "__main__":
    main()
