"""Reads a Hugging Face model directory that `dgpt export` (saveHfModel) wrote and prints the logits
of Hugging Face's forward pass on it, computed in PyTorch, float64 from the stored float32 weights,
independently of the TypeScript code that wrote it. test/export.test.ts compares them with ours.
(run: /usr/bin/python3 reference/check_hf_export.py DIR '[[token ids], ...]')

The forward passes are the ones the committed fixtures come from (gen_pretrained_fixtures.py:
`forward` for GPT2LMHeadModel, `llama_forward` for LlamaForCausalLM), written from Hugging Face's
documented models. The weights are read with a minimal safetensors reader (the format's whole
spec: an 8-byte little-endian header length, a JSON header of name → dtype, shape, data_offsets,
then the bytes). As `from_pretrained` would complain of them, these are errors here: a tensor the
forward pass never reads (an "unexpected key", which transformers would drop), a tensor it needs
that is missing, a config field that changes the forward pass beyond what it computes.

Prints JSON: {"model_type": ..., "logits": {"shape": [...], "data": [...]}}.
"""

import json
import os
import struct
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_pretrained_fixtures as ref  # noqa: E402


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", {})
    data = raw[8 + n:]
    out = {}
    for name, e in header.items():
        if e["dtype"] != "F32":
            raise SystemExit(f"{path}: {name} is {e['dtype']}; this check reads F32 only")
        start, end = e["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(data[start:end], dtype="<f4").reshape(e["shape"]).copy())
    return out, metadata


class Tracked(dict):
    """The weights, remembering which ones the forward pass read."""

    def __init__(self, *a):
        super().__init__(*a)
        self.read = set()

    def __getitem__(self, k):
        if k not in self:
            raise SystemExit(f"the weights lack {k!r}, which the forward pass needs (transformers would initialise it at random)")
        self.read.add(k)
        return super().__getitem__(k)


def main():
    model_dir, tokens = sys.argv[1], json.loads(sys.argv[2])
    with open(os.path.join(model_dir, "config.json")) as f:
        cfg = json.load(f)
    weights, metadata = read_safetensors(os.path.join(model_dir, "model.safetensors"))
    if metadata.get("format") != "pt":
        raise SystemExit(f"model.safetensors metadata {metadata}: transformers expects format=pt")
    w = Tracked({k: t.to(torch.float64) for k, t in weights.items()})
    ids = torch.tensor(tokens, dtype=torch.long)
    kind = cfg.get("model_type")
    if kind == "gpt2":
        for field, ok in [("scale_attn_weights", True), ("scale_attn_by_inverse_layer_idx", False), ("reorder_and_upcast_attn", False)]:
            if cfg.get(field, ok) != ok:
                raise SystemExit(f"config.json: {field} = {cfg[field]} is not what this check computes")
        if cfg.get("activation_function", "gelu_new") not in ref.GPT2_ACTIVATIONS:
            raise SystemExit(f"config.json: activation_function {cfg['activation_function']!r} is not one this check computes")
        logits = ref.forward(cfg, w, ids, {})
    elif kind == "llama":
        if cfg.get("hidden_act", "silu") != "silu":
            raise SystemExit(f"config.json: hidden_act {cfg['hidden_act']!r}; this check computes silu")
        for field, ok in [("rope_scaling", None), ("pretraining_tp", 1)]:
            if cfg.get(field, ok) != ok:
                raise SystemExit(f"config.json: {field} = {cfg[field]} is not what this check computes")
        logits = ref.llama_forward(cfg, w, ids, {})
    else:
        raise SystemExit(f"config.json: model_type {kind!r}; this check reads gpt2 and llama")
    unread = sorted(set(w) - w.read)
    if unread:
        raise SystemExit(f"the weights hold {unread} that the forward pass never reads (transformers would drop them as unexpected keys)")
    print(json.dumps({"model_type": kind, "logits": {"shape": list(logits.shape), "data": logits.flatten().tolist()}}))


if __name__ == "__main__":
    main()
