# PyTorch side of the SAE training benchmark (bench/sae.ts): the same loop as src/sae/train.ts,
# written the way SAELens writes it (eager PyTorch): TopK (with AuxK on dead latents, unit-norm
# decoder, the gradient's parallel component removed) or standard (ReLU, L1 weighted by decoder
# norms), Adam, on random activations (d_in 128, d_sae 2048, batch 4096). Prints JSON:
# {"ms": median ms per step, "act_per_s": activations per second}.
import json
import sys
import time

import torch

spec = json.loads(sys.argv[1])
arch, d_in, d_sae, batch, k = spec["arch"], spec["d_in"], spec["d_sae"], spec["batch"], spec.get("k", 32)
steps = spec.get("steps", 20)
torch.manual_seed(0)
W_dec = torch.nn.init.kaiming_uniform_(torch.empty(d_sae, d_in))
W_dec = W_dec / W_dec.norm(dim=1, keepdim=True) * 0.1
W_dec = torch.nn.Parameter(W_dec)
W_enc = torch.nn.Parameter(W_dec.detach().T.clone().contiguous())
b_enc = torch.nn.Parameter(torch.zeros(d_sae))
b_dec = torch.nn.Parameter(torch.zeros(d_in))
params = [W_enc, b_enc, W_dec, b_dec]
opt = torch.optim.Adam(params, lr=3e-4)
last_fired = torch.zeros(d_sae, dtype=torch.long)


def step(s):
    x = torch.randn(batch, d_in)
    opt.zero_grad()
    sae_in = x - b_dec
    pre = sae_in @ W_enc + b_enc
    if arch == "topk":
        vals, idx = pre.topk(k, dim=-1, sorted=False)
        f = torch.zeros_like(pre).scatter(-1, idx, vals.relu())
    else:
        f = pre.relu()
    out = f @ W_dec + b_dec
    mse = (out - x).pow(2).sum(-1).mean()
    loss = mse
    dead = (s - 1 - last_fired) >= 1000
    if arch == "topk":
        n_dead = int(dead.sum())
        if n_dead > 0:
            k_aux = min(d_in // 2, n_dead)
            err = (x - out).detach()
            aux_pre = torch.where(dead[None], pre, -torch.inf)
            av, ai = aux_pre.topk(k_aux, sorted=False)
            aux = torch.zeros_like(pre).scatter(-1, ai, av.relu())
            loss = loss + (1 / 32) * min(n_dead / (d_in // 2), 1) * (aux @ W_dec - err).pow(2).sum(-1).mean()
    else:
        loss = loss + 5 * (f * W_dec.norm(dim=1)).sum(-1).mean()
    loss.backward()
    if arch == "topk":
        with torch.no_grad():
            unit = W_dec / W_dec.norm(dim=1, keepdim=True)
            W_dec.grad -= (W_dec.grad * unit).sum(1, keepdim=True) * unit
    opt.step()
    with torch.no_grad():
        if arch == "topk":
            W_dec.div_(W_dec.norm(dim=1, keepdim=True))
        fired = (f > 0).any(0)
        last_fired[fired] = s
    return loss.item()


for s in range(1, 4):
    step(s)
times = []
for s in range(4, 4 + steps):
    t = time.perf_counter()
    step(s)
    times.append((time.perf_counter() - t) * 1000)
times.sort()
ms = times[len(times) // 2]
print(json.dumps({"ms": ms, "act_per_s": batch / ms * 1000}))
