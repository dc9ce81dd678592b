# PyTorch side of the PPO benchmark (bench/align.ts): the same PPO step, written as TRL's
# PPOTrainer does it, on the same small GPT (pre-LN blocks, GELU MLP, tied embeddings, no biases
# in the linear maps) with a value head, a frozen reference and a reward model of the same size.
# One step = generation (KV cache, multinomial sampling) + scoring (policy with values, reference,
# reward model; no grad) + update (GAE, whitening, ppo_epochs x minibatches of clipped losses,
# AdamW, clipping). Prints JSON: median milliseconds of each phase.
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
        self.ln_1 = nn.LayerNorm(d)
        self.c_attn = nn.Linear(d, 3 * d, bias=False)
        self.c_proj = nn.Linear(d, d, bias=False)
        self.ln_2 = nn.LayerNorm(d)
        self.fc = nn.Linear(d, 4 * d, bias=False)
        self.proj = nn.Linear(4 * d, d, bias=False)

    def forward(self, x, past=None):
        B, T, C = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(C, dim=2)
        q, k, v = (t.view(B, T, self.h, C // self.h).transpose(1, 2) for t in (q, k, v))
        if past is not None:
            k = torch.cat([past[0], k], dim=2)
            v = torch.cat([past[1], v], dim=2)
        tk = k.shape[2]
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        mask = torch.ones(T, tk, dtype=torch.bool).triu(tk - T + 1)
        att = F.softmax(att.masked_fill(mask, float("-inf")), dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        x = x + self.c_proj(y)
        return x + self.proj(F.gelu(self.fc(self.ln_2(x)))), (k, v)


class GPT(nn.Module):
    def __init__(self, vocab, ctx, d, h, layers):
        super().__init__()
        self.wte = nn.Embedding(vocab, d)
        self.wpe = nn.Embedding(ctx, d)
        self.blocks = nn.ModuleList([Block(d, h) for _ in range(layers)])
        self.ln_f = nn.LayerNorm(d)

    def hidden(self, idx, past=None):
        offset = 0 if past is None else past[0][0].shape[2]
        T = idx.shape[1]
        x = self.wte(idx) + self.wpe(torch.arange(offset, offset + T))
        new = []
        for i, b in enumerate(self.blocks):
            x, kv = b(x, None if past is None else past[i])
            new.append(kv)
        return self.ln_f(x), new

    def logits(self, h):
        return h @ self.wte.weight.T


class PolicyWithValueHead(nn.Module):
    def __init__(self, body, d):
        super().__init__()
        self.body = body
        self.v_head = nn.Linear(d, 1)

    def forward(self, idx):
        h, _ = self.body.hidden(idx)
        return self.body.logits(h), self.v_head(h).squeeze(-1)


def masked_mean(x, m):
    return (x * m).sum() / m.sum()


def main():
    cfg = json.loads(sys.argv[1])
    torch.manual_seed(0)
    V, ctx, d, h, L = cfg["vocab"], cfg["ctx"], cfg["d"], cfg["heads"], cfg["layers"]
    B, P, N, mb, epochs = cfg["batch"], cfg["prompt"], cfg["new"], cfg["minibatch"], cfg["epochs"]
    policy = PolicyWithValueHead(GPT(V, ctx, d, h, L), d)
    ref = GPT(V, ctx, d, h, L)
    ref.load_state_dict(policy.body.state_dict())
    rm_body = GPT(V, ctx, d, h, L)
    rm_head = nn.Linear(d, 1, bias=False)
    opt = torch.optim.AdamW(policy.parameters(), lr=1e-4, weight_decay=0)
    beta, gamma, lam, eps, eps_v, vf = 0.1, 1.0, 0.95, 0.2, 0.2, 0.1
    times = {"generate": [], "score": [], "update": []}
    for step in range(cfg["steps"]):
        prompts = torch.randint(0, V, (B, P))
        t0 = time.perf_counter()
        with torch.no_grad():  # generation with the KV cache
            h_, past = policy.body.hidden(prompts)
            out = []
            for _ in range(N):
                probs = F.softmax(policy.body.logits(h_[:, -1]), dim=-1)
                nxt = torch.multinomial(probs, 1)
                out.append(nxt)
                h_, past = policy.body.hidden(nxt, past)
        seq = torch.cat([prompts] + out, dim=1)  # (B, P + N)
        t1 = time.perf_counter()
        with torch.no_grad():  # scoring
            logits, values = policy(seq)
            logp = F.log_softmax(logits[:, P - 1 : -1], -1).gather(2, seq[:, P:, None]).squeeze(2)
            old_values = values[:, P - 1 : -1]
            rh, _ = ref.hidden(seq)
            ref_logp = F.log_softmax(ref.logits(rh)[:, P - 1 : -1], -1).gather(2, seq[:, P:, None]).squeeze(2)
            sh, _ = rm_body.hidden(seq)
            scores = rm_head(sh[:, -1]).squeeze(-1)
        t2 = time.perf_counter()
        # rewards, GAE, whitening
        rewards = -beta * (logp - ref_logp)
        rewards[:, -1] += scores
        adv = torch.zeros_like(rewards)
        last = torch.zeros(B)
        for t in reversed(range(N)):
            nv = old_values[:, t + 1] if t + 1 < N else torch.zeros(B)
            delta = rewards[:, t] + gamma * nv - old_values[:, t]
            last = delta + gamma * lam * last
            adv[:, t] = last
        returns = adv + old_values
        adv = (adv - adv.mean()) / (adv.std() + 1e-8)
        mask = torch.ones(B, N)
        for _ in range(epochs):
            perm = torch.randperm(B)
            for s in range(0, B, mb):
                i = perm[s : s + mb]
                lg, v = policy(seq[i])
                lp = F.log_softmax(lg[:, P - 1 : -1], -1).gather(2, seq[i, P:, None]).squeeze(2)
                vpred = v[:, P - 1 : -1]
                ratio = torch.exp(lp - logp[i])
                pg = torch.max(-adv[i] * ratio, -adv[i] * torch.clamp(ratio, 1 - eps, 1 + eps))
                vclip = old_values[i] + torch.clamp(vpred - old_values[i], -eps_v, eps_v)
                vl = 0.5 * torch.max((vpred - returns[i]) ** 2, (vclip - returns[i]) ** 2)
                loss = masked_mean(pg, mask[i]) + vf * masked_mean(vl, mask[i])
                opt.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(policy.parameters(), 1.0)
                opt.step()
        t3 = time.perf_counter()
        if step >= cfg["warmup"]:
            times["generate"].append((t1 - t0) * 1000)
            times["score"].append((t2 - t1) * 1000)
            times["update"].append((t3 - t2) * 1000)
    med = lambda xs: sorted(xs)[len(xs) // 2]
    print(json.dumps({k: med(v) for k, v in times.items()}))


if __name__ == "__main__":
    main()
