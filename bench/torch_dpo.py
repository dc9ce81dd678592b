# PyTorch side of the DPO benchmark (bench/align.ts): one DPO step as TRL's DPOTrainer does it with
# precomputed reference log-probabilities, on the same small GPT as the PPO benchmark
# (bench/torch_ppo.py). One step = the policy's forward on the chosen and the rejected sequences
# of a batch of pairs (right-padded, one batch of 2B rows), summed completion log-probabilities,
# the sigmoid DPO loss, backward, gradient clipping at 1 and AdamW. Prints JSON: median ms.
import json
import sys
import time

import torch
import torch.nn.functional as F

from torch_ppo import GPT


def main():
    cfg = json.loads(sys.argv[1])
    torch.manual_seed(0)
    B, P, C, V = cfg["batch"], cfg["prompt"], cfg["completion"], cfg["vocab"]
    policy = GPT(V, cfg["ctx"], cfg["d"], cfg["heads"], cfg["layers"])
    opt = torch.optim.AdamW(policy.parameters(), lr=5e-4, weight_decay=0.0)
    g = torch.Generator().manual_seed(0)
    # pairs: a shared prompt, two completions; completion lengths vary as real pairs do
    prompts = torch.randint(0, V, (256, P), generator=g)
    completions = torch.randint(0, V, (256, 2, C), generator=g)
    lengths = torch.randint(C // 2, C + 1, (256, 2), generator=g)
    ref_logps = torch.randn(256, 2, generator=g) * 10 - 100
    beta = 0.1
    times = []
    for step in range(cfg["steps"]):
        idx = torch.randint(0, 256, (B,), generator=g)
        t0 = time.perf_counter()
        rows = []
        for i in idx.tolist():
            for k in range(2):
                rows.append((prompts[i], completions[i, k, : lengths[i, k]]))
        T = P + C
        ids = torch.zeros(2 * B, T, dtype=torch.long)
        mask = torch.zeros(2 * B, T - 1)
        for r, (p, c) in enumerate(rows):
            ids[r, :P] = p
            ids[r, P : P + len(c)] = c
            mask[r, P - 1 : P - 1 + len(c)] = 1
        h, _ = policy.hidden(ids)
        logits = policy.logits(h)[:, :-1]
        logp = F.log_softmax(logits, -1).gather(2, ids[:, 1:, None]).squeeze(2)
        seq = (logp * mask).sum(1).view(B, 2)
        ref = ref_logps[idx]
        z = beta * ((seq[:, 0] - ref[:, 0]) - (seq[:, 1] - ref[:, 1]))
        loss = F.softplus(-z).mean()
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(policy.parameters(), 1.0)
        opt.step()
        loss.item()
        if step >= cfg["warmup"]:
            times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    print(json.dumps({"step": times[len(times) // 2]}))


if __name__ == "__main__":
    main()
