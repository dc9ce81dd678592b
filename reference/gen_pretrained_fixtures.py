"""Writes fixtures/pretrained/{gpt2,gpt-neo,gpt-neox,llama}/: tiny random-weight checkpoints in
Hugging Face's format, with the outputs of Hugging Face's forward pass on them.
(run: /usr/bin/python3 reference/gen_pretrained_fixtures.py [gpt2|gpt-neo|gpt-neox|llama ...])

GPT-2 first (below); the other families follow the same plan and are described at their sections.

The checkpoints are what `GPT2LMHeadModel.save_pretrained` writes (and what the hub serves), written
here without `transformers` or the `safetensors` package, from Hugging Face's documented GPT-2:

  config.json        GPT2Config's field names (n_embd, n_layer, n_head, n_positions, n_inner,
                     vocab_size, layer_norm_epsilon, activation_function, ...)
  model.safetensors  GPT2LMHeadModel's state dict: transformer.wte.weight (vocab, d),
                     transformer.wpe.weight (n_positions, d), transformer.h.{i}.{ln_1,attn.c_attn,
                     attn.c_proj,ln_2,mlp.c_fc,mlp.c_proj}.{weight,bias}, transformer.ln_f.*.
                     GPT-2's projections are Conv1D layers: weight (in, out), y = x W + b (the
                     transpose of nn.Linear's layout). lm_head.weight is tied to wte and left out,
                     as save_pretrained leaves it out.

and the forward pass of GPT2LMHeadModel (eval mode, no dropout), run in float64 from the stored
weights:

  h = wte[ids] + wpe[0..p)
  each block:  a = ln_1(h);  q, k, v = split(a c_attn.W + c_attn.b, d_model, dim=-1)
               heads: view (b, p, n_head, d_head), transpose to (b, n_head, p, d_head)
               w = q kᵀ / √d_head, causal mask (a key after the query gets the dtype's minimum),
               softmax;  o = merge_heads(w v) c_proj.W + c_proj.b;  h = h + o
               m = ln_2(h) c_fc.W + c_fc.b;  h = h + gelu_new(m) mlp.c_proj.W + mlp.c_proj.b
  logits = ln_f(h) wteᵀ;  loss = mean cross-entropy of logits[:, :-1] against ids[:, 1:]

The activations in expected.json carry the TransformerLens hook names of the same quantities
(hook_embed = wte[ids], blocks.i.ln1.hook_normalized = ln_1's output, attn.hook_q = q as
(b, p, head, d_head), attn.hook_pattern = softmax(w) as (b, head, q, k), attn.hook_z = w v as
(b, p, head, d_head), mlp.hook_pre = m, ...), so the test checks our mapping onto TransformerLens's
layout against Hugging Face's layout computed here, never against itself.

Variants (same weights unless said):
  gpt2/            model.safetensors with "transformer." names; vocab.json + merges.txt
  gpt2/no-prefix/  the names without "transformer." (as in openai-community/gpt2's own
                   model.safetensors, "h.0.attn.c_attn.weight", "wte.weight"), with the
                   h.{i}.attn.bias causal-mask buffers (1, 1, n_positions, n_positions) and
                   h.{i}.attn.masked_bias scalars older checkpoints carry, and an older config.json
  gpt2/sharded/    model.safetensors.index.json + model-00001-of-00002.safetensors + ...-00002-...
  gpt2/f16/, gpt2/bf16/  the weights rounded to float16 / bfloat16 and stored so (F16 / BF16), with
                   their own expected.json (logits and loss of the rounded weights)
"""

import json
import math
import os
import re
import struct

import torch

PRETRAINED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "pretrained")
ROOT = os.path.join(PRETRAINED, "gpt2")

CONFIG = {
    "activation_function": "gelu_new",
    "architectures": ["GPT2LMHeadModel"],
    "attn_pdrop": 0.1,
    "bos_token_id": 99,
    "embd_pdrop": 0.1,
    "eos_token_id": 99,
    "initializer_range": 0.02,
    "layer_norm_epsilon": 1e-05,
    "model_type": "gpt2",
    "n_embd": 32,
    "n_head": 4,
    "n_inner": None,
    "n_layer": 2,
    "n_positions": 32,
    "reorder_and_upcast_attn": False,
    "resid_pdrop": 0.1,
    "scale_attn_by_inverse_layer_idx": False,
    "scale_attn_weights": True,
    "summary_activation": None,
    "summary_first_dropout": 0.1,
    "summary_proj_to_labels": True,
    "summary_type": "cls_index",
    "summary_use_proj": True,
    "torch_dtype": "float32",
    "transformers_version": "4.44.0",
    "use_cache": True,
    "vocab_size": 100,
}

# openai-community/gpt2's config.json predates some fields and has n_ctx beside n_positions
OLD_CONFIG = {
    "activation_function": "gelu_new",
    "architectures": ["GPT2LMHeadModel"],
    "attn_pdrop": 0.1,
    "bos_token_id": 99,
    "embd_pdrop": 0.1,
    "eos_token_id": 99,
    "initializer_range": 0.02,
    "layer_norm_epsilon": 1e-05,
    "model_type": "gpt2",
    "n_ctx": 32,
    "n_embd": 32,
    "n_head": 4,
    "n_layer": 2,
    "n_positions": 32,
    "resid_pdrop": 0.1,
    "vocab_size": 100,
}


# ---------------------------------------------------------------- safetensors, by hand
DTYPES = {"F32": ("<f4", torch.float32), "F16": ("<f2", torch.float16), "BF16": (None, torch.bfloat16), "BOOL": ("|b1", torch.bool)}


def tensor_bytes(t, dtype):
    if dtype == "BF16":
        # bfloat16 = the high 16 bits of a float32 (the rounding was done by torch's .to(bfloat16))
        bits = t.to(torch.bfloat16).to(torch.float32).contiguous().numpy().view("<u4") >> 16
        return bits.astype("<u2").tobytes()
    np_dtype, torch_dtype = DTYPES[dtype]
    return t.to(torch_dtype).contiguous().numpy().astype(np_dtype).tobytes()


def save_safetensors(path, tensors, metadata=None):
    """tensors: name -> (tensor, dtype code). Header compact, padded with spaces to 8 bytes."""
    items = sorted(tensors.items(), key=lambda kv: kv[0].encode("utf-8"))
    header = {"__metadata__": metadata} if metadata else {}
    chunks = []
    offset = 0
    for name, (t, dtype) in items:
        data = tensor_bytes(t, dtype)
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))
    return offset


# ---------------------------------------------------------------- Hugging Face GPT-2
def make_weights(cfg, gen):
    """GPT2LMHeadModel's state dict (without lm_head.weight, tied to wte), float32."""
    d, n_layer, v, n_pos = cfg["n_embd"], cfg["n_layer"], cfg["vocab_size"], cfg["n_positions"]
    inner = cfg.get("n_inner") or 4 * d

    def rnd(*shape, std=0.1, mean=0.0):
        return (torch.randn(*shape, generator=gen) * std + mean).to(torch.float32)

    w = {"transformer.wte.weight": rnd(v, d, std=0.3), "transformer.wpe.weight": rnd(n_pos, d)}
    for i in range(n_layer):
        b = f"transformer.h.{i}."
        w[b + "ln_1.weight"] = rnd(d, mean=1.0)
        w[b + "ln_1.bias"] = rnd(d)
        w[b + "attn.c_attn.weight"] = rnd(d, 3 * d, std=0.2)  # Conv1D: (in, out)
        w[b + "attn.c_attn.bias"] = rnd(3 * d)
        w[b + "attn.c_proj.weight"] = rnd(d, d, std=0.2)
        w[b + "attn.c_proj.bias"] = rnd(d)
        w[b + "ln_2.weight"] = rnd(d, mean=1.0)
        w[b + "ln_2.bias"] = rnd(d)
        w[b + "mlp.c_fc.weight"] = rnd(d, inner, std=0.2)
        w[b + "mlp.c_fc.bias"] = rnd(inner)
        w[b + "mlp.c_proj.weight"] = rnd(inner, d)
        w[b + "mlp.c_proj.bias"] = rnd(d)
    w["transformer.ln_f.weight"] = rnd(d, mean=1.0)
    w["transformer.ln_f.bias"] = rnd(d)
    return w


def layer_norm(x, weight, bias, eps):
    mean = x.mean(-1, keepdim=True)
    var = (x - mean).pow(2).mean(-1, keepdim=True)  # biased variance, as torch.nn.LayerNorm
    return (x - mean) / (var + eps).sqrt() * weight + bias


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x.pow(3))))


def conv1d(x, w, b):
    return x @ w + b  # Hugging Face's Conv1D: weight (in, out)


# activation_function → the function (transformers' ACT2FN: "gelu" is the exact, erf one)
GPT2_ACTIVATIONS = {"gelu_new": gelu_new, "gelu": torch.nn.functional.gelu, "relu": torch.relu, "silu": torch.nn.functional.silu, "tanh": torch.tanh}


def forward(cfg, w, ids, cache):
    """GPT2LMHeadModel's forward in float64; fills `cache` under TransformerLens's hook names.
    lm_head is wte unless tie_word_embeddings is false (then lm_head.weight, as save_pretrained
    writes it for an untied model)."""
    d, n_head, eps = cfg["n_embd"], cfg["n_head"], cfg["layer_norm_epsilon"]
    dh = d // n_head
    batch, p = ids.shape
    tok = w["transformer.wte.weight"][ids]
    pos = w["transformer.wpe.weight"][torch.arange(p)].unsqueeze(0).expand(batch, p, d)
    cache["hook_embed"], cache["hook_pos_embed"] = tok, pos
    h = tok + pos
    causal = torch.tril(torch.ones(p, p, dtype=torch.bool))  # query i sees keys 0..i
    for i in range(cfg["n_layer"]):
        b = f"transformer.h.{i}."
        t = f"blocks.{i}."
        cache[t + "hook_resid_pre"] = h
        a = layer_norm(h, w[b + "ln_1.weight"], w[b + "ln_1.bias"], eps)
        cache[t + "ln1.hook_normalized"] = a
        q, k, v = conv1d(a, w[b + "attn.c_attn.weight"], w[b + "attn.c_attn.bias"]).split(d, dim=2)
        q, k, v = (x.view(batch, p, n_head, dh).permute(0, 2, 1, 3) for x in (q, k, v))  # (b, head, p, dh)
        cache[t + "attn.hook_q"], cache[t + "attn.hook_k"], cache[t + "attn.hook_v"] = (x.permute(0, 2, 1, 3) for x in (q, k, v))
        scores = q @ k.transpose(-1, -2) / math.sqrt(dh)
        scores = torch.where(causal, scores, torch.tensor(torch.finfo(scores.dtype).min, dtype=scores.dtype))
        pattern = scores.softmax(-1)
        cache[t + "attn.hook_pattern"] = pattern
        z = (pattern @ v).permute(0, 2, 1, 3)  # (b, p, head, dh)
        cache[t + "attn.hook_z"] = z
        attn_out = conv1d(z.reshape(batch, p, d), w[b + "attn.c_proj.weight"], w[b + "attn.c_proj.bias"])
        cache[t + "hook_attn_out"] = attn_out
        h = h + attn_out
        cache[t + "hook_resid_mid"] = h
        m = conv1d(layer_norm(h, w[b + "ln_2.weight"], w[b + "ln_2.bias"], eps), w[b + "mlp.c_fc.weight"], w[b + "mlp.c_fc.bias"])
        cache[t + "mlp.hook_pre"] = m
        post = GPT2_ACTIVATIONS[cfg.get("activation_function", "gelu_new")](m)
        cache[t + "mlp.hook_post"] = post
        mlp_out = conv1d(post, w[b + "mlp.c_proj.weight"], w[b + "mlp.c_proj.bias"])
        cache[t + "hook_mlp_out"] = mlp_out
        h = h + mlp_out
        cache[t + "hook_resid_post"] = h
    h = layer_norm(h, w["transformer.ln_f.weight"], w["transformer.ln_f.bias"], eps)
    cache["ln_final.hook_normalized"] = h
    lm_head = w["transformer.wte.weight"] if cfg.get("tie_word_embeddings", True) else w["lm_head.weight"]
    return h @ lm_head.T  # lm_head: no bias


def flat(t):
    return [float(f"{x:.8g}") for x in t.detach().to(torch.float64).flatten().tolist()]


def enc(t):
    return {"shape": list(t.shape), "data": flat(t)}


def expected(cfg, weights, ids, activations, note):
    w64 = {k: t.to(torch.float64) for k, t in weights.items()}
    cache = {}
    logits = forward(cfg, w64, ids, cache)
    v = cfg["vocab_size"]
    loss = torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, v), ids[:, 1:].reshape(-1))
    out = {"note": note, "tokens": ids.tolist(), "logits": enc(logits), "loss": loss.item()}
    if activations:
        out["activations"] = {name: enc(cache[name]) for name in activations}
    return out


# ---------------------------------------------------------------- a small byte-level BPE (vocab.json + merges.txt)
def bytes_to_unicode():
    """GPT-2's printable stand-ins for the 256 bytes (space is 'Ġ')."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for byte in range(256):
        if byte not in bs:
            bs.append(byte)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


def train_bpe(text, size):
    """Greedy BPE over GPT-2-style pre-tokens (a word with its leading space): the most frequent pair first."""
    b2u = bytes_to_unicode()
    words = [tuple(b2u[c] for c in piece.encode("utf-8")) for piece in re.findall(r" ?[a-z]+| ?[^a-z ]+", text)]
    vocab = sorted({c for word in words for c in word})
    merges = []
    while len(vocab) < size:
        pairs = {}
        for word in words:
            for pair in zip(word, word[1:]):
                pairs[pair] = pairs.get(pair, 0) + 1
        if not pairs:
            break
        best = max(sorted(pairs), key=lambda pair: pairs[pair])
        merges.append(best)
        vocab.append(best[0] + best[1])
        merged = []
        for word in words:
            out, j = [], 0
            while j < len(word):
                if j + 1 < len(word) and (word[j], word[j + 1]) == best:
                    out.append(word[j] + word[j + 1])
                    j += 2
                else:
                    out.append(word[j])
                    j += 1
            merged.append(tuple(out))
        words = merged
    return vocab, merges


def write_tokenizer(out_dir, vocab_size):
    text = ("the quick brown fox jumps over the lazy dog. hello world, hello there! "
            "the cat sat on the mat, and the dog sat on the log. "
            "once upon a time there was a little girl who liked to read.")
    tokens, merges = train_bpe(text, vocab_size - 1)
    tokens.append("<|endoftext|>")  # id vocab_size - 1, as GPT-2's 50256
    assert len(tokens) == vocab_size, len(tokens)
    with open(os.path.join(out_dir, "vocab.json"), "w") as f:
        json.dump({t: i for i, t in enumerate(tokens)}, f, ensure_ascii=False)
    with open(os.path.join(out_dir, "merges.txt"), "w") as f:
        f.write("#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in merges))


# ---------------------------------------------------------------- the variants
def write_json(path, obj, compact=False):
    with open(path, "w") as f:
        if compact:
            json.dump(obj, f, separators=(",", ":"))
        else:
            json.dump(obj, f, indent=2)
        f.write("\n")


def write_gpt2():
    cfg = CONFIG
    gen = torch.Generator().manual_seed(2024)
    weights = make_weights(cfg, gen)
    ids = torch.randint(0, cfg["vocab_size"], (2, 8), generator=gen)
    activations = [
        "hook_embed", "blocks.0.ln1.hook_normalized", "blocks.0.attn.hook_q", "blocks.1.attn.hook_v", "blocks.0.attn.hook_pattern",
        "blocks.1.attn.hook_z", "blocks.0.hook_attn_out", "blocks.1.mlp.hook_pre", "blocks.1.hook_resid_post", "ln_final.hook_normalized",
    ]
    f32 = {name: (t, "F32") for name, t in weights.items()}
    meta = {"format": "pt"}  # what save_pretrained writes

    os.makedirs(ROOT, exist_ok=True)
    write_json(os.path.join(ROOT, "config.json"), cfg)
    save_safetensors(os.path.join(ROOT, "model.safetensors"), f32, meta)
    write_tokenizer(ROOT, cfg["vocab_size"])
    write_json(os.path.join(ROOT, "expected.json"), expected(cfg, weights, ids, activations,
               "Hugging Face GPT-2 forward (float64 from the float32 weights) on random weights; by reference/gen_pretrained_fixtures.py. "
               "The same numbers hold for no-prefix/ and sharded/."), compact=True)

    # names without "transformer.", plus the causal-mask buffers older GPT-2 checkpoints carry
    d = os.path.join(ROOT, "no-prefix")
    os.makedirs(d, exist_ok=True)
    write_json(os.path.join(d, "config.json"), OLD_CONFIG)
    bare = {name.removeprefix("transformer."): tv for name, tv in f32.items()}
    n_pos = cfg["n_positions"]
    for i in range(cfg["n_layer"]):
        bare[f"h.{i}.attn.bias"] = (torch.tril(torch.ones(n_pos, n_pos, dtype=torch.bool)).view(1, 1, n_pos, n_pos), "BOOL")
        bare[f"h.{i}.attn.masked_bias"] = (torch.tensor(-1e4), "F32")
    save_safetensors(os.path.join(d, "model.safetensors"), bare, meta)

    # two shards and their index, as save_pretrained(max_shard_size=...) writes them
    d = os.path.join(ROOT, "sharded")
    os.makedirs(d, exist_ok=True)
    write_json(os.path.join(d, "config.json"), cfg)
    names = sorted(f32)
    first = {n for n in names if n.startswith("transformer.h.0.") or n.startswith("transformer.w")}
    shards = [("model-00001-of-00002.safetensors", {n: f32[n] for n in names if n in first}),
              ("model-00002-of-00002.safetensors", {n: f32[n] for n in names if n not in first})]
    total = 0
    weight_map = {}
    for file, part in shards:
        total += save_safetensors(os.path.join(d, file), part, meta)
        weight_map.update({n: file for n in part})
    write_json(os.path.join(d, "model.safetensors.index.json"), {"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))})

    # half precision: the weights rounded, stored as F16 / BF16; expected numbers from the rounded weights
    for sub, code, torch_dtype in (("f16", "F16", torch.float16), ("bf16", "BF16", torch.bfloat16)):
        d = os.path.join(ROOT, sub)
        os.makedirs(d, exist_ok=True)
        write_json(os.path.join(d, "config.json"), {**cfg, "torch_dtype": str(torch_dtype).removeprefix("torch.")})
        rounded = {name: t.to(torch_dtype).to(torch.float32) for name, t in weights.items()}
        save_safetensors(os.path.join(d, "model.safetensors"), {name: (t, code) for name, t in rounded.items()}, meta)
        write_json(os.path.join(d, "expected.json"), expected(cfg, rounded, ids, [],
                   f"as ../expected.json, for the weights rounded to {torch_dtype} (stored as {code})"), compact=True)

    for dirpath, _, files in sorted(os.walk(ROOT)):
        print(os.path.relpath(dirpath, ROOT), {f: os.path.getsize(os.path.join(dirpath, f)) for f in sorted(files)})


# ================================================================ the other families
# Each writes config.json (the family's field names), model.safetensors (its state dict, float32,
# names as save_pretrained writes them) and expected.json (logits, loss, activations under
# TransformerLens's hook names), from its forward below (float64 from the float32 weights).


def linear(x, w, b=None):
    """torch.nn.Linear: weight (out, in), y = x Wᵀ + b."""
    y = x @ w.T
    return y if b is None else y + b


def attend(q, k, v, scale, allowed):
    """q, k, v (b, head, p, dh); allowed (p, p) bool. Masked scores get the dtype's minimum, as Hugging Face's."""
    scores = q @ k.transpose(-1, -2) * scale
    scores = torch.where(allowed, scores, torch.tensor(torch.finfo(scores.dtype).min, dtype=scores.dtype))
    pattern = scores.softmax(-1)
    return pattern, pattern @ v


def write_family(name, cfg, weights, forward_fn, ids, activations, note):
    out = os.path.join(PRETRAINED, name)
    os.makedirs(out, exist_ok=True)
    write_json(os.path.join(out, "config.json"), cfg)
    save_safetensors(os.path.join(out, "model.safetensors"), {n: (t, "F32") for n, t in weights.items()}, {"format": "pt"})
    w64 = {k: t.to(torch.float64) for k, t in weights.items()}
    cache = {}
    logits = forward_fn(cfg, w64, ids, cache)
    v = cfg["vocab_size"]
    loss = torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, v), ids[:, 1:].reshape(-1))
    write_json(os.path.join(out, "expected.json"), {"note": note, "tokens": ids.tolist(), "logits": enc(logits), "loss": loss.item(),
                                                  "activations": {a: enc(cache[a]) for a in activations}}, compact=True)
    print(name, {f: os.path.getsize(os.path.join(out, f)) for f in sorted(os.listdir(out))})


def rnd_fn(gen):
    def rnd(*shape, std=0.1, mean=0.0):
        return (torch.randn(*shape, generator=gen) * std + mean).to(torch.float32)
    return rnd


# ---------------------------------------------------------------- GPT-Neo (GPTNeoForCausalLM)
# config.json: GPTNeoConfig's names (hidden_size, num_layers, num_heads, max_position_embeddings,
# intermediate_size (null: 4·hidden_size), window_size, layer_norm_epsilon, activation_function, and
# attention_types [[["global", "local"], n]] = the pattern repeated n times, expanded into
# attention_layers, one entry per layer). Weights: transformer.wte, transformer.wpe,
# transformer.h.{i}.ln_1, .attn.attention.{q_proj, k_proj, v_proj} (Linear without bias),
# .attn.attention.out_proj (with bias), .ln_2, .mlp.c_fc, .mlp.c_proj (Linear: weight (out, in)),
# transformer.ln_f; lm_head tied to wte. The forward is GPT-2's but for the attention:
#   scores = q kᵀ                       NOT divided by √d_head
#   mask:   causal; in a "local" layer also key j ≤ query i − window_size is masked (the causal
#           mask XOR its lower triangle from diagonal −window_size): a query sees at most
#           window_size keys, itself included
# The fixture has window_size 3 and 10 tokens, so its local layer masks keys the global one sees.
NEO_CONFIG = {
    "activation_function": "gelu_new",
    "architectures": ["GPTNeoForCausalLM"],
    "attention_dropout": 0,
    "attention_layers": ["global", "local"],
    "attention_types": [[["global", "local"], 1]],
    "bos_token_id": 63,
    "embed_dropout": 0,
    "eos_token_id": 63,
    "hidden_size": 32,
    "initializer_range": 0.02,
    "intermediate_size": 64,
    "layer_norm_epsilon": 1e-05,
    "max_position_embeddings": 32,
    "model_type": "gpt_neo",
    "num_heads": 4,
    "num_layers": 2,
    "resid_dropout": 0,
    "torch_dtype": "float32",
    "transformers_version": "4.44.0",
    "use_cache": True,
    "vocab_size": 64,
    "window_size": 3,
}


def neo_attention_layers(cfg):
    return [t for pattern, n in cfg["attention_types"] for _ in range(n) for t in pattern]


def neo_weights(cfg, gen):
    rnd = rnd_fn(gen)
    d, v = cfg["hidden_size"], cfg["vocab_size"]
    m = cfg["intermediate_size"] or 4 * d
    w = {"transformer.wte.weight": rnd(v, d, std=0.3), "transformer.wpe.weight": rnd(cfg["max_position_embeddings"], d)}
    for i in range(cfg["num_layers"]):
        b = f"transformer.h.{i}."
        w[b + "ln_1.weight"], w[b + "ln_1.bias"] = rnd(d, mean=1.0), rnd(d)
        for proj in ("q_proj", "k_proj", "v_proj"):
            w[b + f"attn.attention.{proj}.weight"] = rnd(d, d, std=0.2)
        w[b + "attn.attention.out_proj.weight"], w[b + "attn.attention.out_proj.bias"] = rnd(d, d, std=0.2), rnd(d)
        w[b + "ln_2.weight"], w[b + "ln_2.bias"] = rnd(d, mean=1.0), rnd(d)
        w[b + "mlp.c_fc.weight"], w[b + "mlp.c_fc.bias"] = rnd(m, d, std=0.2), rnd(m)
        w[b + "mlp.c_proj.weight"], w[b + "mlp.c_proj.bias"] = rnd(d, m), rnd(d)
    w["transformer.ln_f.weight"], w["transformer.ln_f.bias"] = rnd(d, mean=1.0), rnd(d)
    return w


def neo_forward(cfg, w, ids, cache):
    d, nh, eps, window = cfg["hidden_size"], cfg["num_heads"], cfg["layer_norm_epsilon"], cfg["window_size"]
    dh = d // nh
    batch, p = ids.shape
    tok = w["transformer.wte.weight"][ids]
    cache["hook_embed"] = tok
    h = tok + w["transformer.wpe.weight"][torch.arange(p)]
    causal = torch.tril(torch.ones(p, p, dtype=torch.bool))
    local = causal ^ torch.tril(causal, -window)
    for i, kind in enumerate(neo_attention_layers(cfg)):
        b, t = f"transformer.h.{i}.", f"blocks.{i}."
        cache[t + "hook_resid_pre"] = h
        a = layer_norm(h, w[b + "ln_1.weight"], w[b + "ln_1.bias"], eps)
        q, k, v = (linear(a, w[b + f"attn.attention.{n}.weight"]).view(batch, p, nh, dh).permute(0, 2, 1, 3) for n in ("q_proj", "k_proj", "v_proj"))
        cache[t + "attn.hook_q"], cache[t + "attn.hook_k"], cache[t + "attn.hook_v"] = (x.permute(0, 2, 1, 3) for x in (q, k, v))
        pattern, z = attend(q, k, v, 1.0, local if kind == "local" else causal)  # no 1/√d_head
        cache[t + "attn.hook_pattern"] = pattern
        z = z.permute(0, 2, 1, 3)
        cache[t + "attn.hook_z"] = z
        attn_out = linear(z.reshape(batch, p, d), w[b + "attn.attention.out_proj.weight"], w[b + "attn.attention.out_proj.bias"])
        cache[t + "hook_attn_out"] = attn_out
        h = h + attn_out
        cache[t + "hook_resid_mid"] = h
        pre = linear(layer_norm(h, w[b + "ln_2.weight"], w[b + "ln_2.bias"], eps), w[b + "mlp.c_fc.weight"], w[b + "mlp.c_fc.bias"])
        cache[t + "mlp.hook_pre"] = pre
        mlp_out = linear(gelu_new(pre), w[b + "mlp.c_proj.weight"], w[b + "mlp.c_proj.bias"])
        cache[t + "hook_mlp_out"] = mlp_out
        h = h + mlp_out
        cache[t + "hook_resid_post"] = h
    h = layer_norm(h, w["transformer.ln_f.weight"], w["transformer.ln_f.bias"], eps)
    cache["ln_final.hook_normalized"] = h
    return h @ w["transformer.wte.weight"].T


def write_neo():
    cfg = NEO_CONFIG
    gen = torch.Generator().manual_seed(2025)
    weights = neo_weights(cfg, gen)
    ids = torch.randint(0, cfg["vocab_size"], (2, 10), generator=gen)
    acts = ["blocks.0.attn.hook_q", "blocks.0.attn.hook_pattern", "blocks.1.attn.hook_pattern", "blocks.1.attn.hook_z",
            "blocks.1.hook_attn_out", "blocks.1.mlp.hook_pre", "ln_final.hook_normalized"]
    write_family("gpt-neo", cfg, weights, neo_forward, ids, acts,
                 "Hugging Face GPT-Neo forward (float64 from the float32 weights) on random weights; layer 1 is local with window_size 3; "
                 "by reference/gen_pretrained_fixtures.py")


# ---------------------------------------------------------------- rotary embeddings (GPT-NeoX and Llama)
def rotary_cos_sin(p, rot_dim, base):
    """inv_freq_i = 1 / base^(2i / rot_dim), angle = position · inv_freq, each angle used twice (cat(freqs, freqs))."""
    inv_freq = 1.0 / (base ** (torch.arange(0, rot_dim, 2, dtype=torch.float64) / rot_dim))
    freqs = torch.outer(torch.arange(p, dtype=torch.float64), inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)  # (p, rot_dim)
    return emb.cos(), emb.sin()


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def apply_rotary(x, cos, sin, rot_dim):
    """x (b, head, p, dh): the first rot_dim dims rotate (x·cos + rotate_half(x)·sin), the rest pass through."""
    rot, rest = x[..., :rot_dim], x[..., rot_dim:]
    return torch.cat((rot * cos + rotate_half(rot) * sin, rest), dim=-1)


# ---------------------------------------------------------------- GPT-NeoX (GPTNeoXForCausalLM, Pythia)
# config.json: GPTNeoXConfig's names (hidden_size, num_hidden_layers, num_attention_heads,
# intermediate_size, max_position_embeddings, rotary_pct, rotary_emb_base, hidden_act, layer_norm_eps,
# use_parallel_residual, tie_word_embeddings (false)). Weights: gpt_neox.embed_in,
# gpt_neox.layers.{i}.input_layernorm, .post_attention_layernorm, .attention.query_key_value (Linear
# d → 3d), .attention.dense, .mlp.dense_h_to_4h, .mlp.dense_4h_to_h, gpt_neox.final_layer_norm,
# embed_out (the untied unembedding, no bias). The forward, per block:
#   qkv = ln1(h) Wᵀ + b, viewed (b, p, n_heads, 3·d_head): per head its q, then k, then v
#         (the fused rows are interleaved per head: row = head·3·d_head + j·d_head + i)
#   q, k: the first rotary_dim = int(d_head · rotary_pct) dims rotate (rotate-half pairing,
#         base rotary_emb_base); scores = q kᵀ / √d_head, causal, softmax; o = merge(z) denseᵀ + b
#   use_parallel_residual:  h = h + o + mlp(ln2(h))      (both read the block's input)
#   otherwise:              h = h + o;  h = h + mlp(ln2(h))
#   mlp(x) = gelu(x h_to_4hᵀ + b) 4h_to_hᵀ + b  (exact, erf gelu);  logits = final_ln(h) embed_outᵀ
# The fixture: rotary_pct 0.25 (4 of 16 dims rotate), parallel residual; expected.json also holds
# the logits of the same weights read with use_parallel_residual false ("sequential_logits").
NEOX_CONFIG = {
    "architectures": ["GPTNeoXForCausalLM"],
    "attention_bias": True,
    "attention_dropout": 0.0,
    "bos_token_id": 0,
    "classifier_dropout": 0.1,
    "eos_token_id": 0,
    "hidden_act": "gelu",
    "hidden_dropout": 0.0,
    "hidden_size": 32,
    "initializer_range": 0.02,
    "intermediate_size": 64,
    "layer_norm_eps": 1e-05,
    "max_position_embeddings": 32,
    "model_type": "gpt_neox",
    "num_attention_heads": 2,
    "num_hidden_layers": 2,
    "rope_scaling": None,
    "rotary_emb_base": 10000,
    "rotary_pct": 0.25,
    "tie_word_embeddings": False,
    "torch_dtype": "float32",
    "transformers_version": "4.44.0",
    "use_cache": True,
    "use_parallel_residual": True,
    "vocab_size": 64,
}


def neox_weights(cfg, gen):
    rnd = rnd_fn(gen)
    d, v, m = cfg["hidden_size"], cfg["vocab_size"], cfg["intermediate_size"]
    w = {"gpt_neox.embed_in.weight": rnd(v, d, std=0.3)}
    for i in range(cfg["num_hidden_layers"]):
        b = f"gpt_neox.layers.{i}."
        w[b + "input_layernorm.weight"], w[b + "input_layernorm.bias"] = rnd(d, mean=1.0), rnd(d)
        w[b + "post_attention_layernorm.weight"], w[b + "post_attention_layernorm.bias"] = rnd(d, mean=1.0), rnd(d)
        w[b + "attention.query_key_value.weight"], w[b + "attention.query_key_value.bias"] = rnd(3 * d, d, std=0.3), rnd(3 * d)
        w[b + "attention.dense.weight"], w[b + "attention.dense.bias"] = rnd(d, d, std=0.2), rnd(d)
        w[b + "mlp.dense_h_to_4h.weight"], w[b + "mlp.dense_h_to_4h.bias"] = rnd(m, d, std=0.2), rnd(m)
        w[b + "mlp.dense_4h_to_h.weight"], w[b + "mlp.dense_4h_to_h.bias"] = rnd(d, m), rnd(d)
    w["gpt_neox.final_layer_norm.weight"], w["gpt_neox.final_layer_norm.bias"] = rnd(d, mean=1.0), rnd(d)
    w["embed_out.weight"] = rnd(v, d, std=0.3)
    return w


def neox_forward(cfg, w, ids, cache):
    d, nh, eps = cfg["hidden_size"], cfg["num_attention_heads"], cfg["layer_norm_eps"]
    dh = d // nh
    rot = int(dh * cfg["rotary_pct"])
    batch, p = ids.shape
    h = w["gpt_neox.embed_in.weight"][ids]
    cache["hook_embed"] = h
    cos, sin = rotary_cos_sin(p, rot, cfg["rotary_emb_base"])
    causal = torch.tril(torch.ones(p, p, dtype=torch.bool))
    for i in range(cfg["num_hidden_layers"]):
        b, t = f"gpt_neox.layers.{i}.", f"blocks.{i}."
        cache[t + "hook_resid_pre"] = h
        a = layer_norm(h, w[b + "input_layernorm.weight"], w[b + "input_layernorm.bias"], eps)
        qkv = linear(a, w[b + "attention.query_key_value.weight"], w[b + "attention.query_key_value.bias"]).view(batch, p, nh, 3 * dh)
        q, k, v = (qkv[..., j * dh:(j + 1) * dh].permute(0, 2, 1, 3) for j in range(3))  # (b, head, p, dh)
        cache[t + "attn.hook_q"], cache[t + "attn.hook_k"], cache[t + "attn.hook_v"] = (x.permute(0, 2, 1, 3) for x in (q, k, v))
        q, k = apply_rotary(q, cos, sin, rot), apply_rotary(k, cos, sin, rot)
        cache[t + "attn.hook_rot_q"], cache[t + "attn.hook_rot_k"] = q.permute(0, 2, 1, 3), k.permute(0, 2, 1, 3)
        pattern, z = attend(q, k, v, 1 / math.sqrt(dh), causal)
        cache[t + "attn.hook_pattern"] = pattern
        z = z.permute(0, 2, 1, 3)
        cache[t + "attn.hook_z"] = z
        attn_out = linear(z.reshape(batch, p, d), w[b + "attention.dense.weight"], w[b + "attention.dense.bias"])
        cache[t + "hook_attn_out"] = attn_out
        mlp_in = h if cfg["use_parallel_residual"] else h + attn_out
        pre = linear(layer_norm(mlp_in, w[b + "post_attention_layernorm.weight"], w[b + "post_attention_layernorm.bias"], eps),
                     w[b + "mlp.dense_h_to_4h.weight"], w[b + "mlp.dense_h_to_4h.bias"])
        cache[t + "mlp.hook_pre"] = pre
        mlp_out = linear(torch.nn.functional.gelu(pre), w[b + "mlp.dense_4h_to_h.weight"], w[b + "mlp.dense_4h_to_h.bias"])
        cache[t + "hook_mlp_out"] = mlp_out
        h = mlp_in + mlp_out + (attn_out if cfg["use_parallel_residual"] else 0)
        cache[t + "hook_resid_post"] = h
    h = layer_norm(h, w["gpt_neox.final_layer_norm.weight"], w["gpt_neox.final_layer_norm.bias"], eps)
    cache["ln_final.hook_normalized"] = h
    return linear(h, w["embed_out.weight"])


def write_neox():
    cfg = NEOX_CONFIG
    gen = torch.Generator().manual_seed(2026)
    weights = neox_weights(cfg, gen)
    ids = torch.randint(0, cfg["vocab_size"], (2, 10), generator=gen)
    acts = ["blocks.0.attn.hook_q", "blocks.0.attn.hook_rot_q", "blocks.1.attn.hook_rot_k", "blocks.1.attn.hook_v", "blocks.1.attn.hook_pattern",
            "blocks.0.hook_attn_out", "blocks.0.mlp.hook_pre", "blocks.0.hook_resid_post", "ln_final.hook_normalized"]
    write_family("gpt-neox", cfg, weights, neox_forward, ids, acts,
                 "Hugging Face GPT-NeoX forward (float64 from the float32 weights) on random weights: rotary_pct 0.25, parallel residual; "
                 "sequential_logits: the same weights with use_parallel_residual false; by reference/gen_pretrained_fixtures.py")
    path = os.path.join(PRETRAINED, "gpt-neox", "expected.json")
    with open(path) as f:
        out = json.load(f)
    sequential = neox_forward({**cfg, "use_parallel_residual": False}, {k: t.to(torch.float64) for k, t in weights.items()}, ids, {})
    out["sequential_logits"] = enc(sequential)
    write_json(path, out, compact=True)


# ---------------------------------------------------------------- Llama (LlamaForCausalLM: SmolLM, TinyLlama)
# config.json: LlamaConfig's names (hidden_size, intermediate_size, num_hidden_layers,
# num_attention_heads, num_key_value_heads, hidden_act (silu), max_position_embeddings,
# rms_norm_eps, rope_theta, rope_scaling (null), attention_bias / mlp_bias (false),
# tie_word_embeddings). Weights: model.embed_tokens, model.layers.{i}.input_layernorm,
# .self_attn.{q,k,v,o}_proj (Linear without bias; k_proj and v_proj have num_key_value_heads·d_head
# rows), .post_attention_layernorm, .mlp.{gate,up,down}_proj, model.norm, lm_head (absent when tied).
# The forward, per block:
#   rms(x) = x / √(mean(x²) + eps) · weight                (RMSNorm: no centring, no bias)
#   q, k, v = rms1(h) q_projᵀ, … k_projᵀ, … v_projᵀ;  RoPE on the whole head (rotate-half, base rope_theta)
#   grouped-query attention: key/value head j serves query heads j·n_rep … (j+1)·n_rep − 1
#   (repeat_kv: each kv head repeated n_rep = num_attention_heads / num_key_value_heads times in place)
#   scores = q kᵀ / √d_head, causal;  h = h + merge(z) o_projᵀ
#   h = h + down_proj(silu(gate_proj(x)) ⊙ up_proj(x)),  x = rms2(h)          (SwiGLU)
#   logits = norm(h) lm_headᵀ (or embed_tokensᵀ when tied)
# (llama_forward also computes what the fixture does not hold, for checking exported models:
# head_dim ≠ hidden_size / num_attention_heads, and the biases of attention_bias / mlp_bias:
# q, k, v, o_proj and gate, up, down_proj with a bias each, down(silu(x Wgᵀ + bg) ⊙ (x Wuᵀ + bu)) + bd.)
# The fixture: 4 query heads sharing 2 key/value heads, rope_theta 500, untied; expected.json also
# holds "tied_logits", the same weights read with tie_word_embeddings true (lm_head = embed_tokens).
LLAMA_CONFIG = {
    "architectures": ["LlamaForCausalLM"],
    "attention_bias": False,
    "attention_dropout": 0.0,
    "bos_token_id": 1,
    "eos_token_id": 2,
    "hidden_act": "silu",
    "hidden_size": 32,
    "initializer_range": 0.02,
    "intermediate_size": 48,
    "max_position_embeddings": 64,
    "mlp_bias": False,
    "model_type": "llama",
    "num_attention_heads": 4,
    "num_hidden_layers": 2,
    "num_key_value_heads": 2,
    "pretraining_tp": 1,
    "rms_norm_eps": 1e-06,
    "rope_scaling": None,
    "rope_theta": 500.0,
    "tie_word_embeddings": False,
    "torch_dtype": "float32",
    "transformers_version": "4.44.0",
    "use_cache": True,
    "vocab_size": 64,
}


def rms_norm(x, weight, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * weight


def llama_weights(cfg, gen):
    rnd = rnd_fn(gen)
    d, v, m = cfg["hidden_size"], cfg["vocab_size"], cfg["intermediate_size"]
    dh = d // cfg["num_attention_heads"]
    kv = cfg["num_key_value_heads"] * dh
    w = {"model.embed_tokens.weight": rnd(v, d, std=0.3)}
    for i in range(cfg["num_hidden_layers"]):
        b = f"model.layers.{i}."
        w[b + "input_layernorm.weight"], w[b + "post_attention_layernorm.weight"] = rnd(d, mean=1.0), rnd(d, mean=1.0)
        w[b + "self_attn.q_proj.weight"], w[b + "self_attn.k_proj.weight"] = rnd(d, d, std=0.3), rnd(kv, d, std=0.3)
        w[b + "self_attn.v_proj.weight"], w[b + "self_attn.o_proj.weight"] = rnd(kv, d, std=0.2), rnd(d, d, std=0.2)
        w[b + "mlp.gate_proj.weight"], w[b + "mlp.up_proj.weight"] = rnd(m, d, std=0.3), rnd(m, d, std=0.2)
        w[b + "mlp.down_proj.weight"] = rnd(d, m, std=0.2)
    w["model.norm.weight"] = rnd(d, mean=1.0)
    w["lm_head.weight"] = rnd(v, d, std=0.3)
    return w


def llama_forward(cfg, w, ids, cache):
    d, nh, nkv, eps = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["rms_norm_eps"]
    dh, rep = cfg.get("head_dim") or d // nh, nh // nkv

    def bias(name):
        """The projection's bias when config.json gives that kind one (as nn.Linear(bias=...)), else None."""
        return w[name] if cfg.get("mlp_bias" if ".mlp." in name else "attention_bias") else None

    batch, p = ids.shape
    h = w["model.embed_tokens.weight"][ids]
    cache["hook_embed"] = h
    cos, sin = rotary_cos_sin(p, dh, cfg["rope_theta"])
    causal = torch.tril(torch.ones(p, p, dtype=torch.bool))
    for i in range(cfg["num_hidden_layers"]):
        b, t = f"model.layers.{i}.", f"blocks.{i}."
        cache[t + "hook_resid_pre"] = h
        x = rms_norm(h, w[b + "input_layernorm.weight"], eps)
        q = linear(x, w[b + "self_attn.q_proj.weight"], bias(b + "self_attn.q_proj.bias")).view(batch, p, nh, dh).permute(0, 2, 1, 3)
        k, v = (linear(x, w[b + f"self_attn.{n}_proj.weight"], bias(b + f"self_attn.{n}_proj.bias")).view(batch, p, nkv, dh).permute(0, 2, 1, 3) for n in ("k", "v"))
        cache[t + "attn.hook_q"], cache[t + "attn.hook_k"], cache[t + "attn.hook_v"] = (y.permute(0, 2, 1, 3) for y in (q, k, v))  # k, v: (b, p, n_kv, dh)
        q, k = apply_rotary(q, cos, sin, dh), apply_rotary(k, cos, sin, dh)
        cache[t + "attn.hook_rot_q"], cache[t + "attn.hook_rot_k"] = q.permute(0, 2, 1, 3), k.permute(0, 2, 1, 3)
        # repeat_kv: (b, n_kv, p, dh) → (b, n_kv, rep, p, dh) → (b, n_kv·rep, p, dh)
        k, v = (y[:, :, None].expand(batch, nkv, rep, p, dh).reshape(batch, nh, p, dh) for y in (k, v))
        pattern, z = attend(q, k, v, 1 / math.sqrt(dh), causal)
        cache[t + "attn.hook_pattern"] = pattern
        z = z.permute(0, 2, 1, 3)
        cache[t + "attn.hook_z"] = z
        attn_out = linear(z.reshape(batch, p, nh * dh), w[b + "self_attn.o_proj.weight"], bias(b + "self_attn.o_proj.bias"))
        cache[t + "hook_attn_out"] = attn_out
        h = h + attn_out
        cache[t + "hook_resid_mid"] = h
        x = rms_norm(h, w[b + "post_attention_layernorm.weight"], eps)
        gate, up = linear(x, w[b + "mlp.gate_proj.weight"], bias(b + "mlp.gate_proj.bias")), linear(x, w[b + "mlp.up_proj.weight"], bias(b + "mlp.up_proj.bias"))
        cache[t + "mlp.hook_pre"], cache[t + "mlp.hook_pre_linear"] = gate, up
        post = torch.nn.functional.silu(gate) * up
        cache[t + "mlp.hook_post"] = post
        mlp_out = linear(post, w[b + "mlp.down_proj.weight"], bias(b + "mlp.down_proj.bias"))
        cache[t + "hook_mlp_out"] = mlp_out
        h = h + mlp_out
        cache[t + "hook_resid_post"] = h
    normalized = rms_norm(h, 1.0, eps)
    cache["ln_final.hook_normalized"] = normalized  # TransformerLens's RMSNorm hooks x / rms(x), before the weight
    h = normalized * w["model.norm.weight"]
    return linear(h, w["model.embed_tokens.weight" if cfg.get("tie_word_embeddings", False) else "lm_head.weight"])


def write_llama():
    cfg = LLAMA_CONFIG
    gen = torch.Generator().manual_seed(2027)
    weights = llama_weights(cfg, gen)
    ids = torch.randint(0, cfg["vocab_size"], (2, 10), generator=gen)
    acts = ["blocks.0.attn.hook_q", "blocks.0.attn.hook_k", "blocks.1.attn.hook_rot_k", "blocks.1.attn.hook_v", "blocks.1.attn.hook_pattern",
            "blocks.0.attn.hook_z", "blocks.0.mlp.hook_pre", "blocks.0.mlp.hook_pre_linear", "blocks.1.mlp.hook_post", "blocks.1.hook_resid_mid",
            "ln_final.hook_normalized"]
    write_family("llama", cfg, weights, llama_forward, ids, acts,
                 "Hugging Face Llama forward (float64 from the float32 weights) on random weights: 4 query heads share 2 key/value heads, "
                 "rope_theta 500, untied; tied_logits: the same weights with tie_word_embeddings true; by reference/gen_pretrained_fixtures.py")
    path = os.path.join(PRETRAINED, "llama", "expected.json")
    with open(path) as f:
        out = json.load(f)
    out["tied_logits"] = enc(llama_forward({**cfg, "tie_word_embeddings": True}, {k: t.to(torch.float64) for k, t in weights.items()}, ids, {}))
    write_json(path, out, compact=True)


WRITERS = {"gpt2": write_gpt2, "gpt-neo": write_neo, "gpt-neox": write_neox, "llama": write_llama}


def main():
    import sys
    for name in sys.argv[1:] or list(WRITERS):
        WRITERS[name]()


if __name__ == "__main__":
    main()
