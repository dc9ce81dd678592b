# PyTorch side of the GPT-2 small benchmark (bench/gpt2.ts): Hugging Face's GPT-2 forward in eager
# mode (Conv1D projections as addmm, fused c_attn, explicit causal attention, gelu_new), random
# weights with GPT-2's names and shapes. One measurement per process, so its peak RSS is its own.
# Prints JSON. Modes (argv[1] is a JSON spec):
#   {"mode": "forward", "tokens": T}       ms per no-grad forward (median), RSS after building, peak RSS
#   {"mode": "generate", "context": C, "new": N}  tokens/s of greedy generation with a key/value cache
#   {"mode": "write_bin", "dir": D}        writes D/pytorch_model.bin + D/config.json (GPT-2 small)
#   {"mode": "load", "dir": D}             ms to torch.load + load_state_dict, peak RSS
import json
import math
import os
import resource
import sys
import time

import torch
import torch.nn.functional as F

L, D, H, V, N_CTX = 12, 768, 12, 50257, 1024


def rss_mib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def random_state_dict():
    g = torch.Generator().manual_seed(0)
    rnd = lambda *s: torch.randn(*s, generator=g) * 0.02
    sd = {"transformer.wte.weight": rnd(V, D), "transformer.wpe.weight": rnd(N_CTX, D)}
    for l in range(L):
        p = f"transformer.h.{l}."
        sd.update({
            p + "ln_1.weight": torch.ones(D), p + "ln_1.bias": torch.zeros(D),
            p + "attn.c_attn.weight": rnd(D, 3 * D), p + "attn.c_attn.bias": torch.zeros(3 * D),
            p + "attn.c_proj.weight": rnd(D, D), p + "attn.c_proj.bias": torch.zeros(D),
            p + "ln_2.weight": torch.ones(D), p + "ln_2.bias": torch.zeros(D),
            p + "mlp.c_fc.weight": rnd(D, 4 * D), p + "mlp.c_fc.bias": torch.zeros(4 * D),
            p + "mlp.c_proj.weight": rnd(4 * D, D), p + "mlp.c_proj.bias": torch.zeros(D),
        })
    sd["transformer.ln_f.weight"] = torch.ones(D)
    sd["transformer.ln_f.bias"] = torch.zeros(D)
    return sd


class GPT2(torch.nn.Module):
    """GPT-2 as Hugging Face computes it, over a flat state dict (parameters registered by name)."""

    def __init__(self, sd):
        super().__init__()
        self.params = torch.nn.ParameterDict({k.replace(".", "/"): torch.nn.Parameter(v, requires_grad=False) for k, v in sd.items()})

    def w(self, name):
        return self.params[name.replace(".", "/")]

    def forward(self, ids, past=None):
        T = ids.shape[1]
        offset = 0 if past is None else past[0][0].shape[2]
        x = self.w("transformer.wte.weight")[ids] + self.w("transformer.wpe.weight")[offset:offset + T]
        new_past = []
        k_head = D // H
        for l in range(L):
            p = f"transformer.h.{l}."
            a = F.layer_norm(x, (D,), self.w(p + "ln_1.weight"), self.w(p + "ln_1.bias"), 1e-5)
            qkv = torch.addmm(self.w(p + "attn.c_attn.bias"), a.view(-1, D), self.w(p + "attn.c_attn.weight")).view(1, T, 3 * D)
            q, k, v = (t.view(1, T, H, k_head).transpose(1, 2) for t in qkv.split(D, dim=2))
            if past is not None:
                k = torch.cat((past[l][0], k), dim=2)
                v = torch.cat((past[l][1], v), dim=2)
            new_past.append((k, v))
            Tk = k.shape[2]
            att = (q @ k.transpose(-2, -1)) / math.sqrt(k_head)
            mask = torch.ones(T, Tk, dtype=torch.bool).triu(Tk - T + 1)
            att = F.softmax(att.masked_fill(mask, float("-inf")), dim=-1)
            z = (att @ v).transpose(1, 2).contiguous().view(-1, D)
            x = x + torch.addmm(self.w(p + "attn.c_proj.bias"), z, self.w(p + "attn.c_proj.weight")).view(1, T, D)
            m = F.layer_norm(x, (D,), self.w(p + "ln_2.weight"), self.w(p + "ln_2.bias"), 1e-5)
            hdn = F.gelu(torch.addmm(self.w(p + "mlp.c_fc.bias"), m.view(-1, D), self.w(p + "mlp.c_fc.weight")), approximate="tanh")
            x = x + torch.addmm(self.w(p + "mlp.c_proj.bias"), hdn, self.w(p + "mlp.c_proj.weight")).view(1, T, D)
        x = F.layer_norm(x, (D,), self.w("transformer.ln_f.weight"), self.w("transformer.ln_f.bias"), 1e-5)
        return x @ self.w("transformer.wte.weight").T, new_past


def main():
    spec = json.loads(sys.argv[1])
    mode = spec["mode"]
    base = rss_mib()
    torch.manual_seed(0)
    if mode == "write_bin":
        os.makedirs(spec["dir"], exist_ok=True)
        sd = random_state_dict()
        torch.save(sd, os.path.join(spec["dir"], "pytorch_model.bin"))
        cfg = {"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "n_layer": L, "n_embd": D, "n_head": H, "vocab_size": V,
               "n_positions": N_CTX, "n_ctx": N_CTX, "activation_function": "gelu_new", "layer_norm_epsilon": 1e-5, "tie_word_embeddings": True}
        with open(os.path.join(spec["dir"], "config.json"), "w") as f:
            json.dump(cfg, f)
        print(json.dumps({"ok": True}))
        return
    if mode == "load":
        t0 = time.perf_counter()
        sd = torch.load(os.path.join(spec["dir"], "pytorch_model.bin"), map_location="cpu")
        model = GPT2(sd)
        del sd
        ms = (time.perf_counter() - t0) * 1000
        print(json.dumps({"ms": ms, "base": base, "rss": rss_mib(), "peak": peak_rss_mib(), "params": sum(p.numel() for p in model.parameters())}))
        return
    model = GPT2(random_state_dict())
    built = rss_mib()
    with torch.no_grad():
        if mode == "forward":
            ids = torch.randint(0, V, (1, spec["tokens"]))
            times = []
            for _ in range(spec.get("reps", 3)):
                t0 = time.perf_counter()
                logits, _ = model(ids)
                del logits
                times.append((time.perf_counter() - t0) * 1000)
            print(json.dumps({"ms": sorted(times)[len(times) // 2], "base": base, "built": built, "peak": peak_rss_mib(), "threads": torch.get_num_threads()}))
        elif mode == "generate":
            ids = torch.randint(0, V, (1, spec["context"]))
            logits, past = model(ids)
            n = spec["new"]
            t0 = time.perf_counter()
            for _ in range(n):
                nxt = logits[:, -1, :].argmax(-1, keepdim=True)
                logits, past = model(nxt, past)
            print(json.dumps({"tokensPerSec": n / (time.perf_counter() - t0), "base": base, "built": built, "peak": peak_rss_mib()}))


if __name__ == "__main__":
    main()
