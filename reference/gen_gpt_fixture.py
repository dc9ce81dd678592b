"""Writes the GPT golden fixtures in fixtures/gpt/ (run: /usr/bin/python3 reference/gen_gpt_fixture.py).

A small GPT-2-architecture model in plain torch, written from TransformerLens's HookedTransformer
math and parameter layout (not from our TypeScript), with random weights (std 0.1, so attention
patterns and GELUs are far from trivial; LayerNorm weights near 1 and biases non-zero):

  resid  = W_E[tokens] + W_pos[:pos]                                   (standard positions)
  block: x = ln1(resid);  q,k,v = x W_{Q,K,V}[h] + b_{Q,K,V}[h]          (batch, pos, head, d_head)
         (rotary variant: rotate the first rotary_dim dims of q and k, GPT-NeoX "rotate half")
         scores = q kᵀ / √d_head, causal mask -inf;  pattern = softmax;  z = pattern v
         attn_out = Σ_h z_h W_O[h] + b_O;  resid_mid = resid + attn_out
         pre = ln2(resid_mid) W_in + b_in;  post = gelu_new(pre);  resid_post = resid_mid + post W_out + b_out
  logits = ln_final(resid) W_U + b_U;  LayerNorm: centre, scale = √(mean(x²) + 1e-5), x/scale·w + b

Weights are float32 (saved as safetensors, hand-encoded as in gen_safetensors_fixtures.py); the
forward and backward passes run in float64 from those float32 values, so the expected numbers are
exact to float32 and the TS tests' tolerance only has to absorb their own float32 rounding.

Outputs, for each variant (fixtures/gpt/ = standard positions, fixtures/gpt/rotary/ = rotary):
  config.json       our GPTConfig field names
  model.safetensors keys = Object.keys(new HookedTransformer(cfg).stateDict())
  expected.json     tokens (2 × 12), logits, loss (mean next-token CE), cached activations by
                    hook name, and d loss / d parameter for a few parameters
"""

import json
import math
import os
import struct

import torch

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "gpt")


# ---------------------------------------------------------------- safetensors, by hand (F32 only)
def save_safetensors(tensors):
    # one dtype, so the reference order is by name (UTF-8 bytes); compact header padded to 8 bytes
    items = sorted(tensors.items(), key=lambda kv: kv[0].encode("utf-8"))
    header = {}
    offset = 0
    for name, t in items:
        n = t.numel() * 4
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + n]}
        offset += n
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    data = b"".join(t.detach().to(torch.float32).contiguous().numpy().astype("<f4").tobytes() for _, t in items)
    return struct.pack("<Q", len(text)) + text + data


# ---------------------------------------------------------------- the model, TransformerLens's math
def make_params(cfg, gen):
    d, h, k, m, v, n_ctx = cfg["d_model"], cfg["n_heads"], cfg["d_head"], cfg["d_mlp"], cfg["d_vocab"], cfg["n_ctx"]

    def rnd(*shape, std=0.1, mean=0.0):
        return (torch.randn(*shape, generator=gen) * std + mean).to(torch.float32)

    p = {"embed.W_E": rnd(v, d)}
    if cfg["positional_embedding_type"] == "standard":
        p["pos_embed.W_pos"] = rnd(n_ctx, d)
    for i in range(cfg["n_layers"]):
        b = f"blocks.{i}."
        p[b + "ln1.w"] = rnd(d, mean=1.0)
        p[b + "ln1.b"] = rnd(d)
        for name in ("W_Q", "W_K", "W_V"):
            p[b + "attn." + name] = rnd(h, d, k, std=0.2)
        p[b + "attn.W_O"] = rnd(h, k, d, std=0.2)
        for name in ("b_Q", "b_K", "b_V"):
            p[b + "attn." + name] = rnd(h, k)
        p[b + "attn.b_O"] = rnd(d)
        p[b + "ln2.w"] = rnd(d, mean=1.0)
        p[b + "ln2.b"] = rnd(d)
        p[b + "mlp.W_in"] = rnd(d, m, std=0.2)
        p[b + "mlp.b_in"] = rnd(m)
        p[b + "mlp.W_out"] = rnd(m, d)
        p[b + "mlp.b_out"] = rnd(d)
    p["ln_final.w"] = rnd(d, mean=1.0)
    p["ln_final.b"] = rnd(d)
    p["unembed.W_U"] = rnd(d, v, std=0.3)
    p["unembed.b_U"] = rnd(v)
    return p


def layer_norm(x, w, b, eps, cache, name):
    x = x - x.mean(-1, keepdim=True)
    scale = (x.pow(2).mean(-1, keepdim=True) + eps).sqrt()  # (batch, pos, 1)
    out = x / scale * w + b
    cache[name + ".hook_scale"] = scale
    cache[name + ".hook_normalized"] = out  # TransformerLens: the LayerNorm's output, after w and b
    return out


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x.pow(3))))


def rotary(x, rotary_dim, base):
    """GPT-NeoX rotate-half on the first rotary_dim dims of x (batch, pos, head, d_head)."""
    pos = x.shape[1]
    half = rotary_dim // 2
    inv = base ** (-torch.arange(half, dtype=torch.float64) * 2 / rotary_dim)  # (half,)
    angle = torch.arange(pos, dtype=torch.float64)[:, None] * inv[None, :]  # (pos, half)
    cos = angle.cos()[None, :, None, :]
    sin = angle.sin()[None, :, None, :]
    x1, x2, rest = x[..., :half], x[..., half:rotary_dim], x[..., rotary_dim:]
    return torch.cat([x1 * cos - x2 * sin, x1 * sin + x2 * cos, rest], dim=-1)


def forward(cfg, p, tokens, cache):
    eps = cfg["eps"]
    batch, pos = tokens.shape
    resid = p["embed.W_E"][tokens]  # (batch, pos, d)
    cache["hook_embed"] = resid
    if "pos_embed.W_pos" in p:
        pe = p["pos_embed.W_pos"][:pos].unsqueeze(0).expand(batch, pos, -1)
        cache["hook_pos_embed"] = pe
        resid = resid + pe
    mask = torch.ones(pos, pos, dtype=torch.bool).triu(1)  # key after query
    for i in range(cfg["n_layers"]):
        b = f"blocks.{i}."
        cache[b + "hook_resid_pre"] = resid
        x = layer_norm(resid, p[b + "ln1.w"], p[b + "ln1.b"], eps, cache, b + "ln1")
        q = torch.einsum("bpd,hdk->bphk", x, p[b + "attn.W_Q"]) + p[b + "attn.b_Q"]
        k = torch.einsum("bpd,hdk->bphk", x, p[b + "attn.W_K"]) + p[b + "attn.b_K"]
        v = torch.einsum("bpd,hdk->bphk", x, p[b + "attn.W_V"]) + p[b + "attn.b_V"]
        cache[b + "attn.hook_q"], cache[b + "attn.hook_k"], cache[b + "attn.hook_v"] = q, k, v
        if cfg["positional_embedding_type"] == "rotary":  # TransformerLens: hook_q before, hook_rot_q after
            q = rotary(q, cfg["rotary_dim"], cfg["rotary_base"])
            k = rotary(k, cfg["rotary_dim"], cfg["rotary_base"])
            cache[b + "attn.hook_rot_q"], cache[b + "attn.hook_rot_k"] = q, k
        scores = torch.einsum("bqhk,bphk->bhqp", q, k) / math.sqrt(cfg["d_head"])
        scores = scores.masked_fill(mask, -math.inf)
        cache[b + "attn.hook_attn_scores"] = scores
        pattern = scores.softmax(-1)  # (batch, head, q, k)
        cache[b + "attn.hook_pattern"] = pattern
        z = torch.einsum("bhqp,bphk->bqhk", pattern, v)  # (batch, pos, head, d_head)
        cache[b + "attn.hook_z"] = z
        result = torch.einsum("bqhk,hkd->bqhd", z, p[b + "attn.W_O"])
        cache[b + "attn.hook_result"] = result
        attn_out = result.sum(2) + p[b + "attn.b_O"]
        cache[b + "hook_attn_out"] = attn_out
        resid = resid + attn_out
        cache[b + "hook_resid_mid"] = resid
        x = layer_norm(resid, p[b + "ln2.w"], p[b + "ln2.b"], eps, cache, b + "ln2")
        pre = x @ p[b + "mlp.W_in"] + p[b + "mlp.b_in"]
        post = gelu_new(pre)
        cache[b + "mlp.hook_pre"], cache[b + "mlp.hook_post"] = pre, post
        mlp_out = post @ p[b + "mlp.W_out"] + p[b + "mlp.b_out"]
        cache[b + "hook_mlp_out"] = mlp_out
        resid = resid + mlp_out
        cache[b + "hook_resid_post"] = resid
    x = layer_norm(resid, p["ln_final.w"], p["ln_final.b"], eps, cache, "ln_final")
    return x @ p["unembed.W_U"] + p["unembed.b_U"]


def flat(t):
    # 8 significant digits: far below the tests' 1e-5 tolerance, and keeps the files small
    return [float(f"{x:.8g}") for x in t.detach().to(torch.float64).flatten().tolist()]


def enc(t):
    return {"shape": list(t.shape), "data": flat(t)}


def build(out_dir, cfg, seed, activations, grads, note):
    os.makedirs(out_dir, exist_ok=True)
    gen = torch.Generator().manual_seed(seed)
    params32 = make_params(cfg, gen)
    tokens = torch.randint(0, cfg["d_vocab"], (2, 12), generator=gen)
    p = {k: t.to(torch.float64).requires_grad_(True) for k, t in params32.items()}
    cache = {}
    logits = forward(cfg, p, tokens, cache)
    v = cfg["d_vocab"]
    loss = torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, v), tokens[:, 1:].reshape(-1))
    loss.backward()
    with open(os.path.join(out_dir, "model.safetensors"), "wb") as f:
        f.write(save_safetensors(params32))
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump({"model_type": "decoding-gpt", **cfg}, f, indent=2)
        f.write("\n")
    expected = {
        "note": note,
        "tokens": tokens.tolist(),
        "logits": enc(logits),
        "loss": loss.item(),
        "activations": {name: enc(cache[name]) for name in activations},
        "grads": {name: enc(p[name].grad) for name in grads},
    }
    with open(os.path.join(out_dir, "expected.json"), "w") as f:
        json.dump(expected, f, separators=(",", ":"))
        f.write("\n")
    sizes = {name: os.path.getsize(os.path.join(out_dir, name)) for name in ("config.json", "model.safetensors", "expected.json")}
    print(out_dir, sizes, "loss", round(loss.item(), 4))


def main():
    base = {
        "n_layers": 2, "d_model": 32, "n_heads": 4, "d_head": 8, "d_mlp": 64, "d_vocab": 50, "n_ctx": 16,
        "act_fn": "gelu_new", "normalization_type": "LN", "positional_embedding_type": "standard",
        "attn_only": False, "tie_embeddings": False, "use_bias": True, "eps": 1e-5,
    }
    build(ROOT, base, seed=1234,
          activations=["blocks.0.attn.hook_pattern", "blocks.1.hook_resid_post", "blocks.0.mlp.hook_post",
                       "ln_final.hook_scale", "blocks.0.ln1.hook_normalized"],
          grads=["blocks.0.attn.W_Q", "blocks.1.mlp.W_out", "embed.W_E", "blocks.0.ln1.w"],
          note="GPT-2 architecture (TransformerLens math), random weights; by reference/gen_gpt_fixture.py")
    rot = {**base, "n_layers": 1, "positional_embedding_type": "rotary", "rotary_dim": 4, "rotary_base": 10000}
    build(os.path.join(ROOT, "rotary"), rot, seed=99,
          activations=["blocks.0.attn.hook_pattern", "blocks.0.attn.hook_k", "blocks.0.attn.hook_rot_q"],
          grads=["blocks.0.attn.W_K", "blocks.0.attn.b_Q"],
          note="as fixtures/gpt but one layer and rotary positions (GPT-NeoX rotate-half on the first 4 of 8 head dims), no W_pos")


if __name__ == "__main__":
    main()
